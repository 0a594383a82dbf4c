/* test_client_refresh.c: automatic token refresh on 401 (runtime/client_refresh.c) against a live server that rotates refresh tokens. */
#include "client_harness.h"

#include "buf.h"
#include "request.h"

static client_live_t live;

/* The server's view: one valid access token and one valid refresh token;
 * presenting a used refresh token revokes both (as the account service does). */
static struct {
	pthread_mutex_t lock;
	char token[64];
	char refresh[64];
	int generation;
	int refreshes;  /* POSTs to a refresh endpoint */
	int private_calls;
} srv = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void srv_reset(const char *token, const char *refresh)
{
	pthread_mutex_lock(&srv.lock);
	snprintf(srv.token, sizeof srv.token, "%s", token);
	snprintf(srv.refresh, sizeof srv.refresh, "%s", refresh);
	srv.generation = 0;
	srv.refreshes = 0;
	srv.private_calls = 0;
	pthread_mutex_unlock(&srv.lock);
}

static int h_private(axr_request_t *req)
{
	const char *auth = axr_request_header(req, "Authorization");
	pthread_mutex_lock(&srv.lock);
	srv.private_calls++;
	bool ok = auth && strncmp(auth, "Bearer ", 7) == 0 && srv.token[0] && strcmp(auth + 7, srv.token) == 0;
	pthread_mutex_unlock(&srv.lock);
	if (!ok)
		return axr_response_error(req, 401, "UNAUTHORIZED", "a valid access token is required", NULL, 0);
	return axr_response_send(req, 200, NULL, "{\"secret\":42}", 13);
}

static int h_always_401(axr_request_t *req)
{
	return axr_response_error(req, 401, "UNAUTHORIZED", "never", NULL, 0);
}

/* Rotates when `presented` is the valid refresh token; a stale one
 * revokes the family. Writes the new pair into token/refresh. */
static bool rotate(const char *presented, char *token, char *refresh, size_t size)
{
	pthread_mutex_lock(&srv.lock);
	srv.refreshes++;
	bool ok = presented && srv.refresh[0] && strcmp(presented, srv.refresh) == 0;
	if (ok) {
		srv.generation++;
		snprintf(srv.token, sizeof srv.token, "tok-%d", srv.generation);
		snprintf(srv.refresh, sizeof srv.refresh, "ref-%d", srv.generation);
		snprintf(token, size, "%s", srv.token);
		snprintf(refresh, size, "%s", srv.refresh);
	} else {
		srv.token[0] = srv.refresh[0] = '\0'; /* reuse: the family is revoked */
	}
	pthread_mutex_unlock(&srv.lock);
	return ok;
}

/* The value of "name":"..." in a small flat JSON body, copied. */
static bool member(const char *body, const char *name, char *out, size_t size)
{
	char key[64];
	snprintf(key, sizeof key, "\"%s\":\"", name);
	const char *p = body ? strstr(body, key) : NULL;
	if (p == NULL)
		return false;
	p += strlen(key);
	const char *e = strchr(p, '"');
	if (e == NULL || (size_t)(e - p) >= size)
		return false;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return true;
}

static int h_refresh(axr_request_t *req)
{
	char presented[64], token[64], refresh[64];
	bool has = member(req->body, "refresh", presented, sizeof presented);
	if (!rotate(has ? presented : NULL, token, refresh, sizeof token))
		return axr_response_error(req, 401, "UNAUTHORIZED", "refresh token is not valid", NULL, 0);
	char body[256];
	int n = snprintf(body, sizeof body, "{\"token\":\"%s\",\"refresh\":\"%s\",\"expiresIn\":900,\"user\":{}}",
	                 token, refresh);
	return axr_response_send(req, 200, NULL, body, (size_t)n);
}

/* The same with other member names. */
static int h_custom_refresh(axr_request_t *req)
{
	char presented[64], token[64], refresh[64];
	bool has = member(req->body, "rt", presented, sizeof presented);
	if (!rotate(has ? presented : NULL, token, refresh, sizeof token))
		return axr_response_error(req, 400, "VALIDATION", "bad refresh", NULL, 0);
	char body[256];
	int n = snprintf(body, sizeof body, "{\"access\":\"%s\",\"next\":\"%s\",\"ttl\":60}", token, refresh);
	return axr_response_send(req, 200, NULL, body, (size_t)n);
}

static const axr_route_t routes[] = {
	{.method = AXR_HTTP_GET, .path = "/private", .handler = h_private},
	{.method = AXR_HTTP_GET, .path = "/always401", .handler = h_always_401},
	{.method = AXR_HTTP_POST, .path = "/auth/refresh", .handler = h_refresh},
	{.method = AXR_HTTP_POST, .path = "/custom/token", .handler = h_custom_refresh},
};

static int group_setup(void **state)
{
	(void)state;
	client_live_start(&live, routes, sizeof routes / sizeof routes[0], NULL);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	client_live_stop(&live);
	return 0;
}

/* What the client told about token changes. */
typedef struct told {
	int calls;
	char token[64], refresh[64];
	long expires_in;
	bool cleared;
} told_t;

static void on_tokens(const char *token, const char *refresh, long expires_in, void *ud)
{
	told_t *t = ud;
	t->calls++;
	t->cleared = token == NULL;
	snprintf(t->token, sizeof t->token, "%s", token ? token : "");
	snprintf(t->refresh, sizeof t->refresh, "%s", refresh ? refresh : "");
	t->expires_in = expires_in;
}

static int get(axr_client_t *c, const char *target, axr_arena_t *a, axr_client_response_t *resp)
{
	axr_client_request_t req = {.method = AXR_HTTP_GET, .target = target};
	axr_client_error_t err;
	int rc = axr_client_send(c, &req, NULL, a, resp, &err);
	if (rc != 0)
		fail_msg("GET %s: %s (%s)", target, axr_errname(rc), err.message);
	return resp->status;
}

static int refreshes(void)
{
	pthread_mutex_lock(&srv.lock);
	int n = srv.refreshes;
	pthread_mutex_unlock(&srv.lock);
	return n;
}

/* ---- cases ------------------------------------------------------------------------ */

static void test_401_is_refreshed_once_and_the_call_sent_again_with_the_new_token(void **state)
{
	(void)state;
	srv_reset("tok-0", "ref-0");
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	told_t told = {0};
	assert_int_equal(axr_client_set_token(c, "expired"), 0);
	assert_int_equal(axr_client_set_refresh(c, "ref-0", NULL, on_tokens, &told), 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_response_t resp;
	assert_int_equal(get(c, "/private", a, &resp), 200);
	assert_string_equal(resp.body, "{\"secret\":42}");
	assert_int_equal(refreshes(), 1);
	assert_string_equal(axr_client_token(c), "tok-1");
	assert_string_equal(axr_client_refresh_token(c), "ref-1");
	assert_int_equal(told.calls, 1);
	assert_string_equal(told.token, "tok-1");
	assert_string_equal(told.refresh, "ref-1");
	assert_int_equal(told.expires_in, 900);
	axr_client_stats_t st;
	axr_client_get_stats(c, &st);
	assert_int_equal(st.refreshes, 1);
	assert_int_equal(st.requests, 3); /* the 401, the refresh, the retry */
	/* the new token keeps working without another refresh */
	assert_int_equal(get(c, "/private", a, &resp), 200);
	assert_int_equal(refreshes(), 1);
	axr_arena_free(a);
	axr_client_free(c);
}

static void test_refused_refresh_reports_the_401_and_drops_the_refresh_token(void **state)
{
	(void)state;
	srv_reset("tok-0", "ref-0");
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	told_t told = {0};
	assert_int_equal(axr_client_set_token(c, "expired"), 0);
	assert_int_equal(axr_client_set_refresh(c, "ref-stolen", NULL, on_tokens, &told), 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_response_t resp;
	axr_client_error_t err;
	assert_int_equal(get(c, "/private", a, &resp), 401);
	assert_int_equal(axr_client_error_from_response(&resp, a, &err), AXR_EUNAUTHORIZED);
	assert_string_equal(err.message, "a valid access token is required"); /* the call's own 401 */
	assert_int_equal(refreshes(), 1);
	assert_null(axr_client_refresh_token(c));
	assert_int_equal(told.calls, 1);
	assert_true(told.cleared);
	/* nothing left to refresh with: the next 401 comes back at once */
	assert_int_equal(get(c, "/private", a, &resp), 401);
	assert_int_equal(refreshes(), 1);
	axr_arena_free(a);
	axr_client_free(c);
}

static void test_a_retry_that_fails_again_is_not_refreshed_twice(void **state)
{
	(void)state;
	srv_reset("tok-0", "ref-0");
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	assert_int_equal(axr_client_set_refresh(c, "ref-0", NULL, NULL, NULL), 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_response_t resp;
	assert_int_equal(get(c, "/always401", a, &resp), 401);
	assert_int_equal(refreshes(), 1);
	assert_string_equal(axr_client_token(c), "tok-1"); /* set from no token at all */
	axr_client_stats_t st;
	axr_client_get_stats(c, &st);
	assert_int_equal(st.requests, 3);
	/* anonymous requests are never refreshed */
	axr_client_request_t anon = {.method = AXR_HTTP_GET, .target = "/always401", .anonymous = true};
	axr_client_error_t err;
	assert_int_equal(axr_client_send(c, &anon, NULL, a, &resp, &err), 0);
	assert_int_equal(resp.status, 401);
	assert_int_equal(refreshes(), 1);
	axr_arena_free(a);
	axr_client_free(c);
}

static void test_refresh_endpoint_and_member_names_are_configurable(void **state)
{
	(void)state;
	srv_reset("tok-0", "ref-0");
	axr_client_t *c = client_for(live.url, "/api", 0, 0, 0); /* the refresh lives elsewhere */
	char url[128];
	snprintf(url, sizeof url, "%s/custom/token", live.url);
	axr_client_refresh_opts_t ro = {.url = url, .request_field = "rt", .token_field = "access",
	                                .refresh_field = "next", .expires_field = "ttl"};
	told_t told = {0};
	assert_int_equal(axr_client_set_refresh(c, "ref-0", &ro, on_tokens, &told), 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_response_t resp;
	/* /api/... does not exist: a 404 is no reason to refresh */
	assert_int_equal(get(c, "/private", a, &resp), 404);
	assert_int_equal(refreshes(), 0);
	axr_client_free(c);

	c = client_for(live.url, NULL, 0, 0, 0);
	assert_int_equal(axr_client_set_refresh(c, "ref-0", &ro, on_tokens, &told), 0);
	assert_int_equal(get(c, "/private", a, &resp), 200);
	assert_int_equal(refreshes(), 1);
	assert_string_equal(told.token, "tok-1");
	assert_string_equal(told.refresh, "ref-1");
	assert_int_equal(told.expires_in, 60);
	/* a path under the base URL works the same */
	ro.url = "/custom/token";
	assert_int_equal(axr_client_set_token(c, "expired"), 0);
	assert_int_equal(axr_client_set_refresh(c, "ref-1", &ro, on_tokens, &told), 0);
	assert_int_equal(get(c, "/private", a, &resp), 200);
	assert_string_equal(axr_client_token(c), "tok-2");
	/* and a 400 from the refresh drops the token as a 401 does */
	assert_int_equal(axr_client_set_token(c, "expired"), 0);
	assert_int_equal(axr_client_set_refresh(c, "ref-1", &ro, on_tokens, &told), 0);
	assert_int_equal(get(c, "/private", a, &resp), 401);
	assert_null(axr_client_refresh_token(c));
	assert_true(told.cleared);

	ro.url = "https://secure.example.com/token";
	assert_int_equal(axr_client_set_refresh(c, "x", &ro, NULL, NULL), AXR_EINVAL);
	ro.url = NULL;
	assert_int_equal(axr_client_set_refresh(c, "has\"quote", &ro, NULL, NULL), AXR_EINVAL);
	axr_arena_free(a);
	axr_client_free(c);
}

static void test_unreachable_refresh_endpoint_reports_the_401_and_keeps_the_token(void **state)
{
	(void)state;
	srv_reset("tok-0", "ref-0");
	axr_client_t *c = client_for(live.url, NULL, 0, 0, 0);
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/auth/refresh", client_free_port());
	axr_client_refresh_opts_t ro = {.url = url};
	assert_int_equal(axr_client_set_refresh(c, "ref-0", &ro, NULL, NULL), 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_response_t resp;
	assert_int_equal(get(c, "/private", a, &resp), 401);
	assert_string_equal(axr_client_refresh_token(c), "ref-0"); /* no answer: maybe next time */
	axr_arena_free(a);
	axr_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_401_is_refreshed_once_and_the_call_sent_again_with_the_new_token),
		cmocka_unit_test(test_refused_refresh_reports_the_401_and_drops_the_refresh_token),
		cmocka_unit_test(test_a_retry_that_fails_again_is_not_refreshed_twice),
		cmocka_unit_test(test_refresh_endpoint_and_member_names_are_configurable),
		cmocka_unit_test(test_unreachable_refresh_endpoint_reports_the_401_and_keeps_the_token),
	};
	return cmocka_run_group_tests_name("client_refresh", tests, group_setup, group_teardown);
}
