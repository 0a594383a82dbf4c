/* test_client_async.c: callback calls on the caller's event_base (runtime/client_async.c): several in flight, the libuv contract, timeouts, cancellation, refresh shared by waiting calls. */
#include "client_harness.h"

#include <time.h>

#include <event2/event.h>

#include "client_fixture.h"
#include "request.h"

static client_live_t live;

/* ---- server side --------------------------------------------------------------- */

/* GET /slow/{ms}: the path parameter travels in DeleteItemInput's string field. */
static const axr_param_spec_t slow_params[] = {
	{.name = "ms", .in = AXR_PARAM_PATH, .required = true, .style = AXR_PARAM_SIMPLE, .schema = &ct_id},
};
static const axr_schema_t slow_input = {
	.types = AXR_TYPE_OBJECT,
	.properties = (const axr_property_t[]){{.name = "ms", .schema = &ct_id, .field = 1}},
	.n_properties = 1,
};
static const axr_op_t slow_op = {
	.name = "slow",
	.params = slow_params,
	.n_params = 1,
	.input = &clienttest__delete_item_input__descriptor,
	.input_schema = &slow_input,
	.status = 200,
	.response = {.schema = &ct_Item, .message = &clienttest__item__descriptor},
};
/* GET /me: no input at all. */
static const axr_op_t me_op = {
	.name = "me",
	.status = 200,
	.response = {.schema = &ct_Item, .message = &clienttest__item__descriptor},
};

static int answer_item(axr_request_t *req, const char *name)
{
	char body[128];
	int n = snprintf(body, sizeof body, "{\"name\":\"%s\"}", name);
	return axr_response_send(req, 200, NULL, body, (size_t)n);
}

/* Sleeps {ms} then answers an Item named after it. */
static int h_slow(axr_request_t *req)
{
	const char *ms = axr_request_param(req, "ms");
	usleep((useconds_t)atoi(ms) * 1000);
	return answer_item(req, ms);
}

/* Token checks and rotation, as in test_client_refresh.c but counted here. */
static struct {
	pthread_mutex_t lock;
	char token[32], refresh[32];
	int generation, refreshes, unauthorized;
} auth = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int h_me(axr_request_t *req)
{
	const char *h = axr_request_header(req, "Authorization");
	pthread_mutex_lock(&auth.lock);
	bool ok = h && strncmp(h, "Bearer ", 7) == 0 && strcmp(h + 7, auth.token) == 0;
	if (!ok)
		auth.unauthorized++;
	pthread_mutex_unlock(&auth.lock);
	usleep(20000); /* keep the calls in flight together */
	if (!ok)
		return axr_response_error(req, 401, "UNAUTHORIZED", "a valid access token is required", NULL, 0);
	return answer_item(req, "me");
}

static int h_refresh(axr_request_t *req)
{
	char want[64], body[160];
	usleep(50000); /* a slow refresh: the other 401s arrive meanwhile */
	pthread_mutex_lock(&auth.lock);
	auth.refreshes++;
	snprintf(want, sizeof want, "{\"refresh\":\"%s\"}", auth.refresh);
	bool ok = req->body && strcmp(req->body, want) == 0;
	if (ok) {
		auth.generation++;
		snprintf(auth.token, sizeof auth.token, "tok-%d", auth.generation);
		snprintf(auth.refresh, sizeof auth.refresh, "ref-%d", auth.generation);
	} else {
		auth.token[0] = auth.refresh[0] = '\0';
	}
	int n = snprintf(body, sizeof body, "{\"token\":\"%s\",\"refresh\":\"%s\",\"expiresIn\":900}", auth.token,
	                 auth.refresh);
	pthread_mutex_unlock(&auth.lock);
	if (!ok)
		return axr_response_error(req, 401, "UNAUTHORIZED", "reused refresh token", NULL, 0);
	return axr_response_send(req, 200, NULL, body, (size_t)n);
}

/* HEAD /count/{ms}: answers 204 with X-Total-Count: {ms} ("none": without one). */
static int h_count(axr_request_t *req)
{
	const char *n = axr_request_param(req, "ms");
	if (strcmp(n, "none") != 0)
		axr_response_header(req, "X-Total-Count", n);
	return axr_response_send(req, 204, NULL, NULL, 0);
}
static const axr_op_t count_op = {
	.name = "count",
	.params = slow_params,
	.n_params = 1,
	.input = &clienttest__delete_item_input__descriptor,
	.input_schema = &slow_input,
	.status = 204,
};

enum { SLOW, ME, REFRESH, COUNT, N_ROUTES };

/* Hand-written handlers (the server runs no operation pipeline for them:
 * `op` stays NULL there); the client calls `client_routes`, with tables. */
static const axr_route_t routes[N_ROUTES] = {
	[SLOW] = {.method = AXR_HTTP_GET, .path = "/slow/{ms}", .handler = h_slow},
	[ME] = {.method = AXR_HTTP_GET, .path = "/me", .handler = h_me},
	[REFRESH] = {.method = AXR_HTTP_POST, .path = "/auth/refresh", .handler = h_refresh},
	[COUNT] = {.method = AXR_HTTP_HEAD, .path = "/count/{ms}", .handler = h_count},
};
static const axr_route_t count_route = {.method = AXR_HTTP_HEAD, .path = "/count/{ms}", .op = &count_op};
static const axr_route_t slow_route = {.method = AXR_HTTP_GET, .path = "/slow/{ms}", .op = &slow_op};
static const axr_route_t me_route = {.method = AXR_HTTP_GET, .path = "/me", .op = &me_op};

static int group_setup(void **state)
{
	(void)state;
	client_live_start(&live, routes, N_ROUTES, NULL);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	client_live_stop(&live);
	return 0;
}

/* ---- what callbacks saw --------------------------------------------------------- */

typedef struct outcome {
	int calls;  /* how many times the callback ran (exactly once is right) */
	int rc;
	int status;
	int kind;
	char name[32];
	char message[160];
	bool inside;     /* ran while axr_client_call_async was still running */
	bool consistent; /* err given; out set exactly on success */
} outcome_t;

static bool in_call_async;

/* Records what it got; asserts nothing (a failed assertion would jump out
 * of the event loop): the tests check the outcome after the loop. */
static void on_done(int rc, ProtobufCMessage *out, axr_client_error_t *err, void *ud)
{
	outcome_t *o = ud;
	o->calls++;
	o->rc = rc;
	o->inside = in_call_async;
	o->status = err ? err->status : -1;
	o->kind = err ? (int)err->kind : -1;
	snprintf(o->message, sizeof o->message, "%s", rc && err ? err->message : "");
	if (rc == 0 && out != NULL && out->descriptor == &clienttest__item__descriptor)
		snprintf(o->name, sizeof o->name, "%s", ((const Clienttest__Item *)out)->name);
	else if (rc == 0)
		snprintf(o->name, sizeof o->name, "(no item)");
	o->consistent = err != NULL && (rc == 0) == (out != NULL) && (rc == 0) == (err->kind == AXR_CLIENT_ERR_NONE);
}

/* The same, for NULL-arena calls: the callback owns the result. */
static void on_done_owned(int rc, ProtobufCMessage *out, axr_client_error_t *err, void *ud)
{
	on_done(rc, out, err, ud);
	axr_client_result_free(out);
}

/* Starts GET /slow/{ms} (or GET /me when ms is NULL), noting whether the
 * callback ran inside the starting call. */
static int start(axr_client_t *c, struct event_base *base, const char *ms, const axr_client_call_opts_t *opts,
                 axr_arena_t *a, axr_client_error_t *err, axr_client_cb cb, outcome_t *o)
{
	Clienttest__DeleteItemInput in = CLIENTTEST__DELETE_ITEM_INPUT__INIT;
	in.id = (char *)(uintptr_t)ms; /* the client keeps no pointer to it */
	in_call_async = true;
	int rc = ms ? axr_client_call_async(c, base, &slow_route, &in.base, opts, a, err, cb, o)
	            : axr_client_call_async(c, base, &me_route, NULL, opts, a, err, cb, o);
	in_call_async = false;
	return rc;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* ---- cases ------------------------------------------------------------------------- */

static void test_several_calls_run_at_once_each_on_its_connection(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	outcome_t o[5] = {0};
	const char *ms[5] = {"300", "250", "200", "150", "100"};
	double t0 = now_ms();
	for (int i = 0; i < 5; i++)
		assert_int_equal(start(c, base, ms[i], NULL, a, NULL, on_done, &o[i]), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(o[i].calls, 0); /* nothing happens until the loop runs */
	assert_int_equal(event_base_dispatch(base), 1); /* returns when no call is left */
	double took = now_ms() - t0;
	for (int i = 0; i < 5; i++) {
		if (o[i].calls != 1 || o[i].rc != 0 || strcmp(o[i].name, ms[i]) != 0 || o[i].inside || !o[i].consistent)
			fail_msg("call %d: %d callbacks, %s, name \"%s\" (wanted \"%s\")", i, o[i].calls,
			         axr_errname(o[i].rc), o[i].name, ms[i]);
	}
	if (took > 900)
		fail_msg("5 calls of 100..300 ms took %.0f ms: they did not overlap", took);
	axr_client_stats_t st;
	axr_client_get_stats(c, &st);
	assert_int_equal(st.connects, 5);

	/* the next round reuses what the pool kept (4 by default) */
	memset(o, 0, sizeof o);
	for (int i = 0; i < 5; i++)
		assert_int_equal(start(c, base, "10", NULL, a, NULL, on_done, &o[i]), 0);
	event_base_dispatch(base);
	for (int i = 0; i < 5; i++)
		assert_int_equal(o[i].rc, 0);
	axr_client_get_stats(c, &st);
	assert_int_equal(st.connects, 6);
	assert_int_equal(st.reuses, 4);
	axr_arena_free(a);
	axr_client_free(c);
	event_base_free(base);
}

static void test_a_call_that_returns_an_error_never_calls_back(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	outcome_t o = {0};
	axr_client_error_t err;
	assert_int_equal(start(c, base, "1", NULL, a, &err, on_done, &o), 0);
	/* a missing path parameter fails validation: nothing is sent */
	Clienttest__DeleteItemInput in = CLIENTTEST__DELETE_ITEM_INPUT__INIT;
	outcome_t bad = {0};
	assert_int_equal(axr_client_call_async(c, base, &slow_route, &in.base, NULL, a, &err, on_done, &bad),
	                 AXR_EVALIDATION);
	assert_client_error(err, AXR_CLIENT_ERR_LOCAL, AXR_EVALIDATION, "not valid");
	assert_string_equal(err.errors[0].path, "/ms");
	axr_client_call_opts_t opts = {.request_id = "bad id"};
	in.id = "1";
	assert_int_equal(axr_client_call_async(c, base, &slow_route, &in.base, &opts, a, &err, on_done, &bad),
	                 AXR_EINVAL);
	assert_int_equal(axr_client_call_async(c, base, &slow_route, &in.base, NULL, a, &err, NULL, &bad), AXR_EINVAL);
	assert_int_equal(axr_client_call_async(c, NULL, &slow_route, &in.base, NULL, a, &err, on_done, &bad),
	                 AXR_EINVAL);
	/* a NULL-arena call that fails hands its error's arena to the caller */
	in.id = NULL;
	assert_int_equal(axr_client_call_async(c, base, &slow_route, &in.base, NULL, NULL, &err, on_done, &bad),
	                 AXR_EVALIDATION);
	assert_non_null(err.owned);
	axr_client_error_free(&err);
	event_base_dispatch(base);
	assert_int_equal(bad.calls, 0);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.rc, 0);
	axr_arena_free(a);
	axr_client_free(c);
	event_base_free(base);
}

static void test_network_failures_are_reported_from_the_loop_not_from_the_call(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d", client_free_port());
	axr_client_t *refused = client_for(url, NULL, 0, 0, 0);
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	outcome_t o1 = {0}, o2 = {0}, o3 = {0};
	assert_int_equal(start(refused, base, "1", NULL, a, NULL, on_done, &o1), 0);
	assert_int_equal(o1.calls, 0);
	axr_client_call_opts_t quick = {.timeout_ms = 100};
	assert_int_equal(start(c, base, "1000", &quick, a, NULL, on_done, &o2), 0);
	assert_int_equal(start(c, base, "5", &quick, a, NULL, on_done, &o3), 0);
	event_base_dispatch(base);
	assert_int_equal(o1.calls, 1);
	assert_false(o1.inside);
	assert_int_equal(o1.rc, AXR_EIO);
	assert_int_equal(o1.kind, AXR_CLIENT_ERR_NETWORK);
	assert_true(o1.consistent);
	if (strstr(o1.message, "Connection refused") == NULL)
		fail_msg("message \"%s\"", o1.message);
	assert_int_equal(o2.calls, 1);
	assert_int_equal(o2.rc, AXR_ETIMEOUT);
	assert_int_equal(o2.status, 0);
	assert_int_equal(o3.calls, 1);
	assert_int_equal(o3.rc, 0); /* the other call on the same client is not disturbed */
	axr_arena_free(a);
	axr_client_free(c);
	axr_client_free(refused);
	event_base_free(base);
}

static void test_freeing_the_client_cancels_calls_in_flight(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	outcome_t o[3] = {0};
	for (int i = 0; i < 3; i++)
		assert_int_equal(start(c, base, "200", NULL, NULL, NULL, on_done_owned, &o[i]), 0);
	event_base_loop(base, EVLOOP_NONBLOCK); /* connecting, sending */
	axr_client_free(c);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(o[i].calls, 1);
		assert_int_equal(o[i].rc, AXR_ECLOSED);
		assert_int_equal(o[i].kind, AXR_CLIENT_ERR_NETWORK);
	}
	assert_int_equal(event_base_dispatch(base), 1); /* nothing of the client is left on the loop */
	event_base_free(base);
}

static void test_results_of_null_arena_calls_belong_to_the_callback(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	outcome_t o[3] = {0};
	assert_int_equal(start(c, base, "1", NULL, NULL, NULL, on_done_owned, &o[0]), 0);
	assert_int_equal(start(c, base, "2", NULL, NULL, NULL, on_done_owned, &o[1]), 0);
	axr_client_call_opts_t quick = {.timeout_ms = 50};
	assert_int_equal(start(c, base, "500", &quick, NULL, NULL, on_done_owned, &o[2]), 0);
	event_base_dispatch(base);
	assert_string_equal(o[0].name, "1");
	assert_string_equal(o[1].name, "2");
	assert_int_equal(o[2].rc, AXR_ETIMEOUT); /* its error's arena was freed after the callback (ASan checks) */
	axr_client_free(c);
	event_base_free(base);
}

static void test_calls_that_get_401_together_share_one_refresh(void **state)
{
	(void)state;
	pthread_mutex_lock(&auth.lock);
	snprintf(auth.token, sizeof auth.token, "tok-0");
	snprintf(auth.refresh, sizeof auth.refresh, "ref-0");
	auth.generation = auth.refreshes = auth.unauthorized = 0;
	pthread_mutex_unlock(&auth.lock);

	struct event_base *base = event_base_new();
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	assert_int_equal(axr_client_set_token(c, "expired"), 0);
	assert_int_equal(axr_client_set_refresh(c, "ref-0", NULL, NULL, NULL), 0);
	axr_arena_t *a = axr_arena_new(0);
	outcome_t o[5] = {0};
	for (int i = 0; i < 5; i++)
		assert_int_equal(start(c, base, NULL, NULL, a, NULL, on_done, &o[i]), 0);
	event_base_dispatch(base);
	for (int i = 0; i < 5; i++)
		if (o[i].calls != 1 || o[i].rc != 0 || strcmp(o[i].name, "me") != 0)
			fail_msg("call %d: %d callbacks, %s (%s)", i, o[i].calls, axr_errname(o[i].rc), o[i].message);
	pthread_mutex_lock(&auth.lock);
	int refreshes = auth.refreshes, unauthorized = auth.unauthorized;
	pthread_mutex_unlock(&auth.lock);
	assert_int_equal(refreshes, 1); /* a second use of ref-0 would have revoked the family */
	assert_int_equal(unauthorized, 5);
	assert_string_equal(axr_client_token(c), "tok-1");
	assert_string_equal(axr_client_refresh_token(c), "ref-1");

	/* a refused refresh fails every waiting call with its own 401 */
	assert_int_equal(axr_client_set_token(c, "expired"), 0);
	assert_int_equal(axr_client_set_refresh(c, "ref-0", NULL, NULL, NULL), 0); /* used up */
	memset(o, 0, sizeof o);
	for (int i = 0; i < 3; i++)
		assert_int_equal(start(c, base, NULL, NULL, a, NULL, on_done, &o[i]), 0);
	event_base_dispatch(base);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(o[i].calls, 1);
		assert_int_equal(o[i].rc, AXR_EUNAUTHORIZED);
		assert_int_equal(o[i].status, 401);
		assert_string_equal(o[i].message, "a valid access token is required");
	}
	pthread_mutex_lock(&auth.lock);
	refreshes = auth.refreshes;
	pthread_mutex_unlock(&auth.lock);
	assert_int_equal(refreshes, 2);
	assert_null(axr_client_refresh_token(c));
	axr_arena_free(a);
	axr_client_free(c);
	event_base_free(base);
}

/* axr_client_call_opts_t.response of an async call, as the callback saw it. */
static axr_client_response_t async_resp;
static int status_in_callback;
static bool length_in_callback;

static void on_done_with_response(int rc, ProtobufCMessage *out, axr_client_error_t *err, void *ud)
{
	status_in_callback = async_resp.status;
	length_in_callback = axr_client_response_header(&async_resp, "Content-Length") != NULL;
	on_done(rc, out, err, ud);
}

static void test_async_calls_fill_the_response_before_the_callback(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	outcome_t o = {0};
	axr_client_call_opts_t opts = {.response = &async_resp};
	async_resp.status = -1;
	assert_int_equal(start(c, base, "10", &opts, a, NULL, on_done_with_response, &o), 0);
	assert_int_equal(async_resp.status, 0); /* cleared when the call started; no answer yet */
	event_base_dispatch(base);
	if (o.calls != 1 || o.rc != 0 || status_in_callback != 200 || !length_in_callback)
		fail_msg("%d callbacks, %s; status in the callback %d, Content-Length %s", o.calls, axr_errname(o.rc),
		         status_in_callback, length_in_callback ? "seen" : "missing");
	axr_arena_free(a);
	axr_client_free(c);
	event_base_free(base);
}

/* What a count's callback saw of its total. */
typedef struct counted {
	outcome_t o;
	const int64_t *total;
	int64_t in_callback;
} counted_t;

static void on_counted(int rc, ProtobufCMessage *out, axr_client_error_t *err, void *ud)
{
	counted_t *k = ud;
	on_done(rc, out, err, &k->o);
	k->in_callback = *k->total;
}

/* Starts HEAD /count/{n} with opts.total = total. */
static int start_count(axr_client_t *c, struct event_base *base, const char *n, int64_t *total, axr_arena_t *a,
                       counted_t *k)
{
	Clienttest__DeleteItemInput in = CLIENTTEST__DELETE_ITEM_INPUT__INIT;
	in.id = (char *)(uintptr_t)n;
	axr_client_call_opts_t opts = {.total = total}; /* read during the call only */
	k->total = total;
	k->in_callback = -2;
	return axr_client_call_async(c, base, &count_route, &in.base, &opts, a, NULL, on_counted, k);
}

static void test_async_counts_fill_total_before_the_callback(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	int64_t t1 = -2, t2 = -2, t3 = -2;
	counted_t k1 = {.total = NULL}, k2 = {.total = NULL}, k3 = {.total = NULL};
	assert_int_equal(start_count(c, base, "12", &t1, a, &k1), 0);
	assert_int_equal(start_count(c, base, "3", &t2, NULL, &k2), 0); /* a NULL arena */
	assert_int_equal(start_count(c, base, "none", &t3, a, &k3), 0);
	assert_true(t1 == -1 && t2 == -1 && t3 == -1); /* set when the calls started */
	event_base_dispatch(base);
	if (k1.o.calls != 1 || k1.o.rc != 0 || k1.in_callback != 12 || t1 != 12)
		fail_msg("12: %d callbacks, %s, total %lld in the callback, %lld after", k1.o.calls, axr_errname(k1.o.rc),
		         (long long)k1.in_callback, (long long)t1);
	if (k2.o.calls != 1 || k2.o.rc != 0 || k2.in_callback != 3)
		fail_msg("3 (NULL arena): %d callbacks, %s, total %lld in the callback", k2.o.calls, axr_errname(k2.o.rc),
		         (long long)k2.in_callback);
	if (k3.o.calls != 1 || k3.o.rc != AXR_EPARSE || k3.o.kind != AXR_CLIENT_ERR_HTTP || k3.o.status != 204 ||
	    k3.in_callback != -1 || strstr(k3.o.message, "X-Total-Count") == NULL)
		fail_msg("none: %d callbacks, %s kind %d status %d \"%s\", total %lld; want one AXR_EPARSE HTTP 204, -1",
		         k3.o.calls, axr_errname(k3.o.rc), k3.o.kind, k3.o.status, k3.o.message, (long long)k3.in_callback);
	axr_arena_free(a);
	axr_client_free(c);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_several_calls_run_at_once_each_on_its_connection),
		cmocka_unit_test(test_a_call_that_returns_an_error_never_calls_back),
		cmocka_unit_test(test_network_failures_are_reported_from_the_loop_not_from_the_call),
		cmocka_unit_test(test_freeing_the_client_cancels_calls_in_flight),
		cmocka_unit_test(test_results_of_null_arena_calls_belong_to_the_callback),
		cmocka_unit_test(test_calls_that_get_401_together_share_one_refresh),
		cmocka_unit_test(test_async_calls_fill_the_response_before_the_callback),
		cmocka_unit_test(test_async_counts_fill_total_before_the_callback),
	};
	return cmocka_run_group_tests_name("client_async", tests, group_setup, group_teardown);
}
