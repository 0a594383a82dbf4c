/* test_client_call.c: typed operation calls (runtime/client_call.c) against a live server running the generic operation pipeline (op.h). */
#include "client_harness.h"

#include "client_fixture.h"
#include "codec.h"
#include "op.h"
#include "request.h"

static client_live_t live;

/* What the server saw of the last request. */
typedef struct seen {
	char path[256], query[512], trace[64], cookie[128], ctype[64], accept[64], key[64];
	int requests;
} seen_t;
static seen_t seen;
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;

static void copy_header(axr_request_t *req, const char *name, char *out, size_t size)
{
	const char *v = axr_request_header(req, name);
	snprintf(out, size, "%s", v ? v : "");
}

static void record(axr_request_t *req)
{
	pthread_mutex_lock(&seen_lock);
	seen.requests++;
	snprintf(seen.path, sizeof seen.path, "%s", req->path);
	snprintf(seen.query, sizeof seen.query, "%s", req->query ? req->query : "");
	copy_header(req, "X-Trace", seen.trace, sizeof seen.trace);
	copy_header(req, "Cookie", seen.cookie, sizeof seen.cookie);
	copy_header(req, "Content-Type", seen.ctype, sizeof seen.ctype);
	copy_header(req, "Accept", seen.accept, sizeof seen.accept);
	copy_header(req, "Idempotency-Key", seen.key, sizeof seen.key);
	pthread_mutex_unlock(&seen_lock);
}

/* A copy to assert on (never assert holding the lock: a failed assertion
 * jumps out of the test and the server's handlers would wait forever). */
static seen_t seen_now(void)
{
	pthread_mutex_lock(&seen_lock);
	seen_t copy = seen;
	pthread_mutex_unlock(&seen_lock);
	return copy;
}

/* ---- handlers: typed, behind axr_op_before ------------------------------------------ */

/* Answers an Item whose tags describe the typed input the handler got. */
static int h_get_item(axr_request_t *req)
{
	record(req);
	const Clienttest__GetItemInput *in = req->input;
	if (strcmp(in->id, "missing") == 0)
		return axr_op_respond(req, AXR_ENOTFOUND, NULL);
	Clienttest__Item *item = (Clienttest__Item *)axr_op_message_new(req, &clienttest__item__descriptor);
	char **tags = axr_arena_calloc(req->arena, 32, sizeof(char *));
	size_t n = 0;
	if (in->has_verbose)
		tags[n++] = axr_arena_printf(req->arena, "verbose=%d", in->verbose);
	for (size_t i = 0; i < in->n_tag; i++)
		tags[n++] = axr_arena_printf(req->arena, "tag=%s", in->tag[i]);
	for (size_t i = 0; i < in->n_ids; i++)
		tags[n++] = axr_arena_printf(req->arena, "ids=%lld", (long long)in->ids[i]);
	for (size_t i = 0; i < in->n_pipe; i++)
		tags[n++] = axr_arena_printf(req->arena, "pipe=%s", in->pipe[i]);
	if (in->has_limit)
		tags[n++] = axr_arena_printf(req->arena, "limit=%d", in->limit);
	if (in->has_ratio)
		tags[n++] = axr_arena_printf(req->arena, "ratio=%g", in->ratio);
	if (in->x_trace)
		tags[n++] = axr_arena_printf(req->arena, "trace=%s", in->x_trace);
	if (in->session)
		tags[n++] = axr_arena_printf(req->arena, "session=%s", in->session);
	item->uid = in->id;
	item->name = "got";
	item->n_tags = n;
	item->tags = tags;
	item->has_quantity = 1;
	item->quantity = INT64_MAX; /* exact, never through a double */
	item->has_price = 1;
	item->price = 0.1;
	item->secret = "never leaves the server";
	return axr_op_respond(req, 0, &item->base);
}

static int h_create_item(axr_request_t *req)
{
	record(req);
	const Clienttest__CreateItemInput *in = req->input;
	if (strcmp(in->body->name, "taken") == 0) {
		axr_response_error(req, 409, "EXISTS", "name is taken", NULL, 0);
		return axr_op_respond(req, AXR_EEXISTS, NULL);
	}
	Clienttest__Item *item = (Clienttest__Item *)axr_op_message_new(req, &clienttest__item__descriptor);
	*item = *in->body;
	item->uid = "new-1";
	if (strcmp(in->body->name, "seen-before") == 0)
		req->status = 200; /* another success status of the operation, as account's device log-in */
	return axr_op_respond(req, 0, &item->base);
}

static int h_put_items(axr_request_t *req)
{
	record(req);
	const Clienttest__PutItemsInput *in = req->input;
	Clienttest__ItemList *list = (Clienttest__ItemList *)axr_op_message_new(req, &clienttest__item_list__descriptor);
	list->n_items = in->n_body;
	list->items = axr_arena_calloc(req->arena, in->n_body + 1, sizeof(*list->items));
	for (size_t i = 0; i < in->n_body; i++) {
		list->items[i] = in->body[in->n_body - 1 - i]; /* reversed */
		list->items[i]->uid = axr_arena_printf(req->arena, "u%zu", i);
	}
	return axr_op_respond(req, 0, &list->base);
}

static int h_post_note(axr_request_t *req)
{
	record(req);
	const Clienttest__PostNoteInput *in = req->input;
	Clienttest__JsonValue *v = (Clienttest__JsonValue *)axr_op_message_new(req, &clienttest__json_value__descriptor);
	v->json = in->body;
	return axr_op_respond(req, 0, &v->base);
}

static int h_delete_item(axr_request_t *req)
{
	record(req);
	return axr_op_respond(req, 0, NULL);
}

/* HEAD /counts/{id}: a count operation; {id} says what X-Total-Count it answers
 * ("none": no header, "missing": 404, anything else as it is). */
static const axr_op_t count_op = {
	.name = "countItems",
	.params = ct_delete_item_params,
	.n_params = 1,
	.input = &clienttest__delete_item_input__descriptor,
	.input_schema = &ct_delete_item_input,
	.status = 204,
};

static int h_count(axr_request_t *req)
{
	record(req);
	const Clienttest__DeleteItemInput *in = req->input;
	if (strcmp(in->id, "missing") == 0)
		return axr_op_respond(req, AXR_ENOTFOUND, NULL);
	if (strcmp(in->id, "none") != 0)
		axr_response_header(req, "X-Total-Count", in->id);
	return axr_op_respond(req, 0, NULL);
}

enum { GET_ITEM, CREATE_ITEM, PUT_ITEMS, POST_NOTE, DELETE_ITEM, COUNT_ITEMS, N_ROUTES };

/* The server's routes; the client calls the same tables (it ignores the handlers). */
static const axr_route_t routes[N_ROUTES] = {
	[GET_ITEM] = {.method = AXR_HTTP_GET, .path = "/items/{id}", .handler = h_get_item, .op = &ct_get_item_op},
	[CREATE_ITEM] = {.method = AXR_HTTP_POST, .path = "/items", .handler = h_create_item, .op = &ct_create_item_op},
	[PUT_ITEMS] = {.method = AXR_HTTP_PUT, .path = "/items", .handler = h_put_items, .op = &ct_put_items_op},
	[POST_NOTE] = {.method = AXR_HTTP_POST, .path = "/notes", .handler = h_post_note, .op = &ct_post_note_op},
	[DELETE_ITEM] = {.method = AXR_HTTP_DELETE, .path = "/items/{id}", .handler = h_delete_item,
	                 .op = &ct_delete_item_op},
	[COUNT_ITEMS] = {.method = AXR_HTTP_HEAD, .path = "/counts/{id}", .handler = h_count, .op = &count_op},
};

static int group_setup(void **state)
{
	(void)state;
	client_live_start(&live, routes, N_ROUTES, axr_op_before);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	client_live_stop(&live);
	return 0;
}

/* ---- helpers ---------------------------------------------------------------------- */

static void assert_tags(const Clienttest__Item *item, const char *const *want, size_t n)
{
	if (item->n_tags != n)
		fail_msg("%zu tags, wanted %zu", item->n_tags, n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(item->tags[i], want[i]) != 0)
			fail_msg("tag %zu is \"%s\", wanted \"%s\"", i, item->tags[i], want[i]);
}

static Clienttest__Item make_item(const char *name, int64_t quantity)
{
	Clienttest__Item it = CLIENTTEST__ITEM__INIT;
	it.name = (char *)(uintptr_t)name;
	it.has_quantity = 1;
	it.quantity = quantity;
	return it;
}

/* ---- cases ------------------------------------------------------------------------- */

static void test_parameters_go_where_the_operation_says_and_arrive_typed(void **state)
{
	(void)state;
	seen_t sn;
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	char *tag[] = {"a", "x&y=z"};
	int64_t ids[] = {1, -2};
	char *pipe[] = {"p", "q"};
	Clienttest__GetItemInput in = CLIENTTEST__GET_ITEM_INPUT__INIT;
	in.id = "a b/c?d%é";
	in.has_verbose = 1;
	in.verbose = 1;
	in.n_tag = 2;
	in.tag = tag;
	in.n_ids = 2;
	in.ids = ids;
	in.n_pipe = 2;
	in.pipe = pipe;
	in.has_limit = 1;
	in.limit = 5;
	in.has_ratio = 1;
	in.ratio = 0.25;
	in.x_trace = "t-1";
	in.session = "s1";
	ProtobufCMessage *out = NULL;
	axr_client_error_t err;
	int rc = axr_client_call(c, &routes[GET_ITEM], &in.base, &out, a, &err);
	if (rc != 0)
		fail_msg("call: %s: %s", axr_errname(rc), err.message);
	sn = seen_now();
	assert_string_equal(sn.path, "/items/a%20b%2Fc%3Fd%25%C3%A9");
	assert_string_equal(sn.query, "verbose=true&tag=a&tag=x%26y%3Dz&ids=1,-2&pipe=p%7Cq&limit=5&ratio=0.25");
	assert_string_equal(sn.trace, "t-1");
	assert_string_equal(sn.cookie, "session=s1");
	assert_string_equal(sn.accept, "application/json");
	assert_string_equal(sn.ctype, "");

	const Clienttest__Item *item = (const Clienttest__Item *)out;
	assert_ptr_equal(out->descriptor, &clienttest__item__descriptor);
	assert_string_equal(item->uid, "a b/c?d%é");
	const char *const want[] = {"verbose=1", "tag=a", "tag=x&y=z", "ids=1", "ids=-2", "pipe=p", "pipe=q",
	                            "limit=5", "ratio=0.25", "trace=t-1", "session=s1"};
	assert_tags(item, want, sizeof want / sizeof want[0]);
	assert_true(item->has_quantity);
	assert_true(item->quantity == INT64_MAX);
	assert_true(item->price == 0.1);
	assert_null(item->secret); /* writeOnly: stripped by the server */

	/* absent optional parameters are simply not sent */
	Clienttest__GetItemInput bare = CLIENTTEST__GET_ITEM_INPUT__INIT;
	bare.id = "7";
	assert_int_equal(axr_client_call(c, &routes[GET_ITEM], &bare.base, &out, a, &err), 0);
	sn = seen_now();
	assert_string_equal(sn.path, "/items/7");
	assert_string_equal(sn.query, "");
	assert_string_equal(sn.cookie, "");
	assert_int_equal(((const Clienttest__Item *)out)->n_tags, 0);
	axr_arena_free(a);
	axr_client_free(c);
}

static void test_bodies_round_trip_as_object_array_and_free_form_json(void **state)
{
	(void)state;
	seen_t sn;
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_error_t err;
	ProtobufCMessage *out = NULL;

	/* an object, with a header parameter alongside */
	char *tags[] = {"red", "blue"};
	Clienttest__Item body = make_item("sword", 3);
	body.has_price = 1;
	body.price = 9.5;
	body.n_tags = 2;
	body.tags = tags;
	body.secret = "s3cret"; /* writeOnly: may be sent */
	Clienttest__CreateItemInput cin = CLIENTTEST__CREATE_ITEM_INPUT__INIT;
	cin.body = &body;
	cin.idempotency_key = "idem-1";
	int rc = axr_client_call(c, &routes[CREATE_ITEM], &cin.base, &out, a, &err);
	if (rc != 0)
		fail_msg("create: %s: %s", axr_errname(rc), err.message);
	const Clienttest__Item *made = (const Clienttest__Item *)out;
	assert_string_equal(made->uid, "new-1");
	assert_string_equal(made->name, "sword");
	assert_int_equal(made->quantity, 3);
	assert_true(made->price == 9.5);
	assert_int_equal(made->n_tags, 2);
	assert_string_equal(made->tags[1], "blue");
	assert_null(made->secret);
	sn = seen_now();
	assert_string_equal(sn.ctype, "application/json");
	assert_string_equal(sn.key, "idem-1");

	/* an array, answered as an array */
	Clienttest__Item one = make_item("one", 1), two = make_item("two", 2);
	Clienttest__Item *items[] = {&one, &two};
	Clienttest__PutItemsInput pin = CLIENTTEST__PUT_ITEMS_INPUT__INIT;
	pin.n_body = 2;
	pin.body = items;
	rc = axr_client_call(c, &routes[PUT_ITEMS], &pin.base, &out, a, &err);
	if (rc != 0)
		fail_msg("put: %s: %s", axr_errname(rc), err.message);
	const Clienttest__ItemList *list = (const Clienttest__ItemList *)out;
	assert_ptr_equal(out->descriptor, &clienttest__item_list__descriptor);
	assert_int_equal(list->n_items, 2);
	assert_string_equal(list->items[0]->name, "two");
	assert_string_equal(list->items[0]->uid, "u0");
	assert_string_equal(list->items[1]->name, "one");

	/* any JSON, both ways */
	Clienttest__PostNoteInput nin = CLIENTTEST__POST_NOTE_INPUT__INIT;
	nin.body = "{\"mood\":[1,true,null,\"ok\"]}";
	rc = axr_client_call(c, &routes[POST_NOTE], &nin.base, &out, a, &err);
	if (rc != 0)
		fail_msg("note: %s: %s", axr_errname(rc), err.message);
	assert_ptr_equal(out->descriptor, &clienttest__json_value__descriptor);
	assert_string_equal(((const Clienttest__JsonValue *)out)->json, "{\"mood\":[1,true,null,\"ok\"]}");

	/* 204: no output */
	Clienttest__DeleteItemInput din = CLIENTTEST__DELETE_ITEM_INPUT__INIT;
	din.id = "9";
	out = (ProtobufCMessage *)&din; /* must be reset */
	assert_int_equal(axr_client_call(c, &routes[DELETE_ITEM], &din.base, &out, a, &err), 0);
	assert_null(out);
	assert_int_equal(axr_client_call(c, &routes[DELETE_ITEM], &din.base, NULL, a, &err), 0);
	axr_arena_free(a);
	axr_client_free(c);
}

static void test_error_answers_become_http_errors_with_the_body_parsed(void **state)
{
	(void)state;
	axr_client_t *c = client_for(live.url, NULL, 0, 0, AXR_CLIENT_NO_VALIDATE);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_error_t err;
	ProtobufCMessage *out = NULL;

	Clienttest__GetItemInput gin = CLIENTTEST__GET_ITEM_INPUT__INIT;
	gin.id = "missing";
	assert_int_equal(axr_client_call(c, &routes[GET_ITEM], &gin.base, &out, a, &err), AXR_ENOTFOUND);
	assert_null(out);
	assert_client_error(err, AXR_CLIENT_ERR_HTTP, AXR_ENOTFOUND, "not found");
	assert_int_equal(err.status, 404);
	assert_string_equal(err.code, "NOTFOUND");
	assert_non_null(err.request_id);

	Clienttest__Item taken = make_item("taken", 1);
	Clienttest__CreateItemInput cin = CLIENTTEST__CREATE_ITEM_INPUT__INIT;
	cin.body = &taken;
	assert_int_equal(axr_client_call(c, &routes[CREATE_ITEM], &cin.base, &out, a, &err), AXR_EEXISTS);
	assert_client_error(err, AXR_CLIENT_ERR_HTTP, AXR_EEXISTS, "name is taken");
	assert_int_equal(err.status, 409);
	/* the whole body is kept, for members beyond code, message and errors */
	assert_non_null(err.body);
	assert_int_equal(err.body_len, strlen(err.body));
	if (!strstr(err.body, "\"code\":\"EXISTS\"") || !strstr(err.body, "\"message\":\"name is taken\""))
		print_error("body: %s\n", err.body);
	assert_non_null(strstr(err.body, "\"code\":\"EXISTS\""));
	assert_non_null(strstr(err.body, "\"message\":\"name is taken\""));

	/* what the client would have refused, the server refuses with field errors */
	Clienttest__Item bad = make_item("bad", -1);
	bad.uid = "forged";
	cin.body = &bad;
	assert_int_equal(axr_client_call(c, &routes[CREATE_ITEM], &cin.base, &out, a, &err), AXR_EVALIDATION);
	assert_client_error(err, AXR_CLIENT_ERR_HTTP, AXR_EVALIDATION, "not valid");
	assert_int_equal(err.status, 400);
	assert_string_equal(err.code, "VALIDATION");
	assert_int_equal(err.n_errors, 2);
	assert_string_equal(err.errors[0].path, "/quantity");
	assert_string_equal(err.errors[1].path, "/uid");
	assert_string_equal(err.errors[1].message, "is read-only");
	gin.id = "1";
	gin.has_limit = 1;
	gin.limit = 500;
	assert_int_equal(axr_client_call(c, &routes[GET_ITEM], &gin.base, &out, a, &err), AXR_EVALIDATION);
	assert_int_equal(err.status, 400);
	assert_int_equal(err.n_errors, 1);
	assert_string_equal(err.errors[0].path, "/limit");
	axr_arena_free(a);
	axr_client_free(c);
}

static void test_invalid_requests_are_refused_before_anything_is_sent(void **state)
{
	(void)state;
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_error_t err;
	ProtobufCMessage *out = NULL;
	int before = seen_now().requests;

	Clienttest__Item bad = make_item("bad", -1);
	bad.uid = "forged";
	Clienttest__CreateItemInput cin = CLIENTTEST__CREATE_ITEM_INPUT__INIT;
	cin.body = &bad;
	assert_int_equal(axr_client_call(c, &routes[CREATE_ITEM], &cin.base, &out, a, &err), AXR_EVALIDATION);
	assert_client_error(err, AXR_CLIENT_ERR_LOCAL, AXR_EVALIDATION, "not valid");
	assert_int_equal(err.status, 0);
	assert_int_equal(err.n_errors, 2);
	assert_string_equal(err.errors[0].path, "/quantity");
	assert_string_equal(err.errors[1].path, "/uid");

	cin.body = NULL; /* a required body */
	assert_int_equal(axr_client_call(c, &routes[CREATE_ITEM], &cin.base, &out, a, &err), AXR_EVALIDATION);
	assert_int_equal(err.n_errors, 1);
	assert_string_equal(err.errors[0].path, "/body");

	Clienttest__GetItemInput gin = CLIENTTEST__GET_ITEM_INPUT__INIT;
	gin.id = "1";
	gin.has_limit = 1;
	gin.limit = 0;
	assert_int_equal(axr_client_call(c, &routes[GET_ITEM], &gin.base, &out, a, &err), AXR_EVALIDATION);
	assert_string_equal(err.errors[0].path, "/limit");
	gin.limit = 5;
	gin.id = NULL;
	assert_int_equal(axr_client_call(c, &routes[GET_ITEM], &gin.base, &out, a, &err), AXR_EVALIDATION);
	assert_string_equal(err.errors[0].path, "/id");
	assert_string_equal(err.errors[0].message, "required path parameter is missing");
	/* without validation a missing path parameter still cannot make a URL */
	axr_client_call_opts_t nv = {.flags = AXR_CLIENT_NO_VALIDATE};
	assert_int_equal(axr_client_call_opts(c, &routes[GET_ITEM], &gin.base, &nv, &out, a, &err), AXR_EINVAL);
	assert_client_error(err, AXR_CLIENT_ERR_LOCAL, AXR_EINVAL, "path parameter 'id' is not set");
	gin.id = "";
	assert_int_equal(axr_client_call_opts(c, &routes[GET_ITEM], &gin.base, &nv, &out, a, &err), AXR_EINVAL);
	assert_client_error(err, AXR_CLIENT_ERR_LOCAL, AXR_EINVAL, "is empty");
	gin.id = "1";
	gin.session = "a b";
	assert_int_equal(axr_client_call(c, &routes[GET_ITEM], &gin.base, &out, a, &err), AXR_EINVAL);
	assert_client_error(err, AXR_CLIENT_ERR_LOCAL, AXR_EINVAL, "cookie parameter 'session'");
	gin.session = NULL;
	gin.x_trace = "a\r\nX-Evil: 1";
	assert_int_equal(axr_client_call(c, &routes[GET_ITEM], &gin.base, &out, a, &err), AXR_EINVAL);
	assert_client_error(err, AXR_CLIENT_ERR_LOCAL, AXR_EINVAL, "header parameter 'X-Trace'");
	/* the wrong input message */
	assert_int_equal(axr_client_call(c, &routes[CREATE_ITEM], &gin.base, &out, a, &err), AXR_EINVAL);
	assert_client_error(err, AXR_CLIENT_ERR_LOCAL, AXR_EINVAL, "clienttest.GetItemInput");
	assert_int_equal(axr_client_call(NULL, &routes[CREATE_ITEM], &gin.base, &out, a, &err), AXR_EINVAL);
	assert_int_equal(seen_now().requests, before);
	axr_client_stats_t st;
	axr_client_get_stats(c, &st);
	assert_int_equal(st.requests, 0);
	axr_arena_free(a);
	axr_client_free(c);
}

static void test_protobuf_on_the_wire_gives_the_same_results(void **state)
{
	(void)state;
	seen_t sn;
	axr_client_t *c = client_for(live.url, NULL, 0, 0, AXR_CLIENT_PROTOBUF);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_error_t err;
	ProtobufCMessage *out = NULL;

	Clienttest__Item body = make_item("shield", 7);
	Clienttest__CreateItemInput cin = CLIENTTEST__CREATE_ITEM_INPUT__INIT;
	cin.body = &body;
	int rc = axr_client_call(c, &routes[CREATE_ITEM], &cin.base, &out, a, &err);
	if (rc != 0)
		fail_msg("create: %s: %s", axr_errname(rc), err.message);
	assert_string_equal(((const Clienttest__Item *)out)->uid, "new-1");
	assert_int_equal(((const Clienttest__Item *)out)->quantity, 7);
	sn = seen_now();
	assert_string_equal(sn.ctype, "application/x-protobuf");
	assert_string_equal(sn.accept, "application/x-protobuf");

	Clienttest__GetItemInput gin = CLIENTTEST__GET_ITEM_INPUT__INIT;
	gin.id = "p";
	gin.has_limit = 1;
	gin.limit = 9;
	assert_int_equal(axr_client_call(c, &routes[GET_ITEM], &gin.base, &out, a, &err), 0);
	const Clienttest__Item *item = (const Clienttest__Item *)out;
	assert_string_equal(item->uid, "p");
	assert_true(item->quantity == INT64_MAX);
	const char *const want[] = {"limit=9"};
	assert_tags(item, want, 1);

	/* errors stay JSON, and client-side validation still runs */
	gin.id = "missing";
	assert_int_equal(axr_client_call(c, &routes[GET_ITEM], &gin.base, &out, a, &err), AXR_ENOTFOUND);
	assert_int_equal(err.status, 404);
	Clienttest__Item bad = make_item("bad", -5);
	cin.body = &bad;
	assert_int_equal(axr_client_call(c, &routes[CREATE_ITEM], &cin.base, &out, a, &err), AXR_EVALIDATION);
	assert_int_equal(err.kind, AXR_CLIENT_ERR_LOCAL);
	axr_arena_free(a);
	axr_client_free(c);
}

static void test_results_without_an_arena_are_freed_with_one_call(void **state)
{
	(void)state;
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	axr_client_error_t err = {0};
	ProtobufCMessage *out = NULL;
	Clienttest__GetItemInput gin = CLIENTTEST__GET_ITEM_INPUT__INIT;
	gin.id = "own";
	gin.has_verbose = 1;
	assert_int_equal(axr_client_call(c, &routes[GET_ITEM], &gin.base, &out, NULL, &err), 0);
	assert_string_equal(((const Clienttest__Item *)out)->uid, "own");
	assert_null(err.owned);
	axr_client_result_free(out); /* everything it points to goes with it (ASan checks) */

	gin.id = "missing";
	assert_int_equal(axr_client_call(c, &routes[GET_ITEM], &gin.base, &out, NULL, &err), AXR_ENOTFOUND);
	assert_null(out);
	assert_non_null(err.owned);
	assert_string_equal(err.code, "NOTFOUND");
	axr_client_error_free(&err);
	assert_null(err.owned);
	axr_client_error_free(&err); /* twice is harmless */

	gin.id = NULL; /* a local failure owns its arena too */
	assert_int_equal(axr_client_call(c, &routes[GET_ITEM], &gin.base, &out, NULL, &err), AXR_EVALIDATION);
	assert_string_equal(err.errors[0].path, "/id");
	axr_client_error_free(&err);

	gin.id = "x"; /* nobody wants the error or the result */
	assert_int_equal(axr_client_call(c, &routes[GET_ITEM], &gin.base, NULL, NULL, NULL), 0);
	gin.id = "missing";
	assert_int_equal(axr_client_call(c, &routes[GET_ITEM], &gin.base, NULL, NULL, NULL), AXR_ENOTFOUND);
	axr_client_result_free(NULL);
	axr_client_free(c);
}

static void test_base_url_prefix_and_unexpected_answers(void **state)
{
	(void)state;
	/* a prefix the server does not have: 404 from the router */
	axr_client_t *c = client_for(live.url, "/v1", 0, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_error_t err;
	ProtobufCMessage *out = NULL;
	Clienttest__DeleteItemInput din = CLIENTTEST__DELETE_ITEM_INPUT__INIT;
	din.id = "1";
	assert_int_equal(axr_client_call(c, &routes[DELETE_ITEM], &din.base, &out, a, &err), AXR_ENOTFOUND);
	axr_client_free(c);

	/* an operation whose table expects 201 where the server answers 204 */
	c = client_for(live.url, NULL, 0, 0, 0);
	axr_op_t other = ct_delete_item_op;
	other.status = 201;
	axr_route_t r = routes[DELETE_ITEM];
	r.op = &other;
	assert_int_equal(axr_client_call(c, &r, &din.base, &out, a, &err), AXR_EPARSE);
	assert_client_error(err, AXR_CLIENT_ERR_HTTP, AXR_EPARSE, "unexpected status 204");
	assert_int_equal(err.status, 204);
	axr_arena_free(a);
	axr_client_free(c);
}

static void test_another_2xx_is_decoded_and_opts_response_gives_status_and_headers(void **state)
{
	(void)state;
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_error_t err;
	ProtobufCMessage *out = NULL;
	axr_client_response_t resp;
	axr_client_call_opts_t o = {.response = &resp};
	Clienttest__Item body = make_item("seen-before", 1);
	Clienttest__CreateItemInput in = CLIENTTEST__CREATE_ITEM_INPUT__INIT;
	in.body = &body;

	/* the operation answers 201; the server may answer 200 with the same message */
	assert_int_equal(axr_client_call_opts(c, &routes[CREATE_ITEM], &in.base, &o, &out, a, &err), 0);
	assert_non_null(out);
	assert_string_equal(((Clienttest__Item *)out)->uid, "new-1");
	assert_int_equal(resp.status, 200);
	assert_non_null(axr_client_response_header(&resp, "X-Request-Id"));
	assert_string_equal(resp.content_type, "application/json");
	assert_string_equal(resp.body, "");

	/* its own status */
	body.name = "fresh";
	assert_int_equal(axr_client_call_opts(c, &routes[CREATE_ITEM], &in.base, &o, &out, a, &err), 0);
	assert_int_equal(resp.status, 201);

	/* an error answer: the status and headers too */
	body.name = "taken";
	assert_int_equal(axr_client_call_opts(c, &routes[CREATE_ITEM], &in.base, &o, &out, a, &err), AXR_EEXISTS);
	assert_int_equal(resp.status, 409);
	assert_string_equal(axr_client_response_header(&resp, "X-Request-Id"), err.request_id);

	/* a NULL-arena call: the status only (the headers would outlive their arena) */
	body.name = "fresh";
	assert_int_equal(axr_client_call_opts(c, &routes[CREATE_ITEM], &in.base, &o, &out, NULL, &err), 0);
	assert_int_equal(resp.status, 201);
	assert_int_equal(resp.n_headers, 0);
	axr_client_result_free(out);

	/* nothing sent (client-side validation): status 0 */
	Clienttest__DeleteItemInput din = CLIENTTEST__DELETE_ITEM_INPUT__INIT;
	assert_int_equal(axr_client_call_opts(c, &routes[DELETE_ITEM], &din.base, &o, &out, a, &err), AXR_EVALIDATION);
	assert_int_equal(resp.status, 0);
	axr_arena_free(a);
	axr_client_free(c);
}

static void test_extra_query_parameters_are_sent_after_the_operations_own(void **state)
{
	(void)state;
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_error_t err;
	ProtobufCMessage *out = NULL;
	Clienttest__GetItemInput in = CLIENTTEST__GET_ITEM_INPUT__INIT;
	in.id = "1";
	in.has_verbose = 1;
	in.verbose = 1;
	/* names the operation does not declare: this server's getItem takes no filters, so it
	 * names both in its 400 (which shows they arrived as query parameter names) */
	const char *q[] = {"progress", "gte(5)", "a b", "x&y"};
	axr_client_call_opts_t o = {.query = q, .n_query = 2};
	assert_int_equal(axr_client_call_opts(c, &routes[GET_ITEM], &in.base, &o, &out, a, &err), AXR_EVALIDATION);
	assert_int_equal(err.status, 400);
	assert_int_equal(err.n_errors, 2);
	assert_string_equal(err.errors[0].path, "/progress");
	assert_string_equal(err.errors[1].path, "/a%20b"); /* as received: percent-encoded */

	/* an empty name: nothing is sent */
	int before = seen_now().requests;
	const char *bad[] = {"", "x"};
	o.query = bad;
	o.n_query = 1;
	assert_int_equal(axr_client_call_opts(c, &routes[GET_ITEM], &in.base, &o, &out, a, &err), AXR_EINVAL);
	assert_int_equal(err.kind, AXR_CLIENT_ERR_LOCAL);
	assert_int_equal(seen_now().requests, before);

	/* none: the operation's own query as before */
	o.n_query = 0;
	assert_int_equal(axr_client_call_opts(c, &routes[GET_ITEM], &in.base, &o, &out, a, &err), 0);
	assert_string_equal(seen_now().query, "verbose=true");
	axr_arena_free(a);
	axr_client_free(c);
}

static void test_omit_read_only_sends_a_message_read_from_the_server_back(void **state)
{
	(void)state;
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_error_t err;
	ProtobufCMessage *out = NULL;
	Clienttest__Item it = make_item("round-trip", 2);
	it.uid = "from-the-server"; /* readOnly: the server refuses it in a request */
	Clienttest__CreateItemInput in = CLIENTTEST__CREATE_ITEM_INPUT__INIT;
	in.body = &it;
	assert_int_equal(axr_client_call(c, &routes[CREATE_ITEM], &in.base, &out, a, &err), AXR_EVALIDATION);
	assert_string_equal(err.errors[0].path, "/uid");

	axr_client_call_opts_t o = {.flags = AXR_CLIENT_OMIT_READ_ONLY};
	for (int pb = 0; pb < 2; pb++) {
		o.flags = AXR_CLIENT_OMIT_READ_ONLY | (pb ? AXR_CLIENT_PROTOBUF : 0);
		int rc = axr_client_call_opts(c, &routes[CREATE_ITEM], &in.base, &o, &out, a, &err);
		if (rc != 0)
			fail_msg("%s: %s %s", pb ? "protobuf" : "JSON", axr_errname(rc), err.message);
		assert_string_equal(((Clienttest__Item *)out)->name, "round-trip");
		assert_string_equal(it.uid, "from-the-server"); /* the caller's message is untouched */
	}
	/* the other members are still validated */
	it.quantity = -1;
	o.flags = AXR_CLIENT_OMIT_READ_ONLY;
	assert_int_equal(axr_client_call_opts(c, &routes[CREATE_ITEM], &in.base, &o, &out, a, &err), AXR_EVALIDATION);
	assert_int_equal(err.n_errors, 1);
	assert_string_equal(err.errors[0].path, "/quantity");
	axr_arena_free(a);
	axr_client_free(c);
}

/* Calls HEAD /counts/{id} with opts.total = total (and `arena`). */
static int call_count(axr_client_t *c, const char *id, int64_t *total, axr_arena_t *arena, axr_client_error_t *err)
{
	Clienttest__DeleteItemInput in = CLIENTTEST__DELETE_ITEM_INPUT__INIT;
	in.id = (char *)(uintptr_t)id;
	axr_client_call_opts_t o = {.total = total};
	return axr_client_call_opts(c, &routes[COUNT_ITEMS], &in.base, &o, NULL, arena, err);
}

static void test_opts_total_takes_x_total_count_and_refuses_an_answer_without_a_count(void **state)
{
	(void)state;
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_error_t err;
	int64_t total = -2;

	assert_int_equal(call_count(c, "7", &total, a, &err), 0);
	assert_int_equal(total, 7);
	assert_int_equal(call_count(c, "0", &total, a, &err), 0);
	assert_int_equal(total, 0);
	assert_int_equal(call_count(c, "9223372036854775807", &total, a, &err), 0);
	assert_true(total == INT64_MAX);

	/* a NULL-arena call reads it too (the header lives in the call's own arena) */
	total = -2;
	assert_int_equal(call_count(c, "42", &total, NULL, &err), 0);
	assert_int_equal(total, 42);
	assert_null(err.owned);

	/* no header, or one that is no count: an HTTP EPARSE error with the status, total -1 */
	assert_int_equal(call_count(c, "none", &total, a, &err), AXR_EPARSE);
	assert_client_error(err, AXR_CLIENT_ERR_HTTP, AXR_EPARSE, "no X-Total-Count");
	assert_int_equal(err.status, 204);
	assert_non_null(err.request_id);
	assert_int_equal(total, -1);
	const char *bad[] = {"12x", "-1", "9223372036854775808", "1.5", "0x10"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		total = -2;
		int rc = call_count(c, bad[i], &total, a, &err);
		if (rc != AXR_EPARSE || total != -1 || strstr(err.message, bad[i]) == NULL)
			fail_msg("X-Total-Count '%s': rc %s total %lld message \"%s\"; want AXR_EPARSE, -1, naming it", bad[i],
			         axr_errname(rc), (long long)total, err.message);
		assert_int_equal(err.kind, AXR_CLIENT_ERR_HTTP);
	}
	assert_int_equal(call_count(c, "none", &total, NULL, &err), AXR_EPARSE);
	assert_non_null(err.owned); /* a NULL-arena call's error owns its arena */
	axr_client_error_free(&err);

	/* an error answer stays itself; total -1 */
	total = -2;
	assert_int_equal(call_count(c, "missing", &total, a, &err), AXR_ENOTFOUND);
	assert_int_equal(err.status, 404);
	assert_int_equal(total, -1);

	/* nothing sent (validation): -1 too */
	int before = seen_now().requests;
	total = -2;
	assert_int_equal(call_count(c, "", &total, a, &err), AXR_EVALIDATION);
	assert_int_equal(total, -1);
	assert_int_equal(seen_now().requests, before);

	/* opts.total NULL: the header is neither read nor required */
	assert_int_equal(call_count(c, "none", NULL, a, &err), 0);

	/* with opts.response as well: both filled */
	axr_client_response_t resp;
	Clienttest__DeleteItemInput in = CLIENTTEST__DELETE_ITEM_INPUT__INIT;
	in.id = "5";
	axr_client_call_opts_t o = {.total = &total, .response = &resp};
	assert_int_equal(axr_client_call_opts(c, &routes[COUNT_ITEMS], &in.base, &o, NULL, a, &err), 0);
	assert_int_equal(total, 5);
	assert_int_equal(resp.status, 204);
	assert_string_equal(axr_client_response_header(&resp, "X-Total-Count"), "5");
	axr_arena_free(a);
	axr_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parameters_go_where_the_operation_says_and_arrive_typed),
		cmocka_unit_test(test_bodies_round_trip_as_object_array_and_free_form_json),
		cmocka_unit_test(test_error_answers_become_http_errors_with_the_body_parsed),
		cmocka_unit_test(test_invalid_requests_are_refused_before_anything_is_sent),
		cmocka_unit_test(test_protobuf_on_the_wire_gives_the_same_results),
		cmocka_unit_test(test_results_without_an_arena_are_freed_with_one_call),
		cmocka_unit_test(test_base_url_prefix_and_unexpected_answers),
		cmocka_unit_test(test_another_2xx_is_decoded_and_opts_response_gives_status_and_headers),
		cmocka_unit_test(test_extra_query_parameters_are_sent_after_the_operations_own),
		cmocka_unit_test(test_omit_read_only_sends_a_message_read_from_the_server_back),
		cmocka_unit_test(test_opts_total_takes_x_total_count_and_refuses_an_answer_without_a_count),
	};
	return cmocka_run_group_tests_name("client_call", tests, group_setup, group_teardown);
}
