/* test_client_transport.c: the client's HTTP/1.1 transport (runtime/client_transport.c, raw requests, error answers) against a live server and a scripted peer. */
#include "client_harness.h"

#include <time.h>

#include "buf.h"
#include "client_internal.h"
#include "request.h"

static client_ports_t ports = {.lock = PTHREAD_MUTEX_INITIALIZER};
static client_live_t live;

/* ---- server side ------------------------------------------------------------------ */

static void put_member(axr_buf_t *b, const char *name, const char *value, bool last)
{
	axr_buf_json_string(b, name, strlen(name));
	axr_buf_putc(b, ':');
	if (value)
		axr_buf_json_string(b, value, strlen(value));
	else
		axr_buf_puts(b, "null");
	axr_buf_puts(b, last ? "}" : ",");
}

/* Answers what it received, as JSON. */
static int h_echo(axr_request_t *req)
{
	axr_buf_t b = AXR_BUF_INIT;
	axr_buf_putc(&b, '{');
	put_member(&b, "method", axr_http_method_name(req->method), false);
	put_member(&b, "path", req->path, false);
	put_member(&b, "query", req->query, false);
	put_member(&b, "auth", axr_request_header(req, "Authorization"), false);
	put_member(&b, "rid", axr_request_header(req, "X-Request-Id"), false);
	put_member(&b, "custom", axr_request_header(req, "X-Custom"), false);
	put_member(&b, "ctype", axr_request_header(req, "Content-Type"), false);
	put_member(&b, "ua", axr_request_header(req, "User-Agent"), false);
	put_member(&b, "body", req->body, true);
	int rc = axr_response_send(req, 200, NULL, b.data, b.len);
	axr_buf_free(&b);
	return rc;
}

static int h_peer(axr_request_t *req)
{
	client_ports_add(&ports, client_peer_port(req));
	return axr_response_send(req, 200, NULL, "{}", 2);
}

static int h_sleep(axr_request_t *req)
{
	const char *ms = axr_request_query(req, "ms", 0);
	usleep((useconds_t)(ms ? atoi(ms) : 0) * 1000);
	return axr_response_send(req, 200, NULL, "{\"slept\":true}", 14);
}

static int h_err(axr_request_t *req)
{
	const char *which = axr_request_param(req, "which");
	if (strcmp(which, "validation") == 0) {
		axr_field_error_t fe[] = {{"/email", "must be an email address"}, {"/age", "must be at least 13"}};
		return axr_response_error(req, 400, "VALIDATION", "the request is not valid", fe, 2);
	}
	if (strcmp(which, "missing") == 0)
		return axr_response_error(req, 404, "NOTFOUND", "no such user", NULL, 0);
	if (strcmp(which, "exists") == 0)
		return axr_response_error(req, 409, "EXISTS", "name is taken", NULL, 0);
	if (strcmp(which, "stale") == 0)
		return axr_response_error(req, 409, NULL, "version 3 is stale", NULL, 0);
	if (strcmp(which, "busy") == 0)
		return axr_response_error(req, 503, "TIMEOUT", "the database timed out", NULL, 0);
	if (strcmp(which, "html") == 0)
		return axr_response_send(req, 502, "text/html", "<html>bad gateway</html>", 24);
	return axr_response_error(req, 400, NULL, NULL, NULL, 0);
}

static int h_big(axr_request_t *req)
{
	static char body[100000];
	memset(body, 'x', sizeof(body));
	return axr_response_send(req, 200, "text/plain", body, sizeof(body));
}

static const axr_route_t routes[] = {
	{.method = AXR_HTTP_GET, .path = "/v1/echo", .handler = h_echo},
	{.method = AXR_HTTP_POST, .path = "/v1/echo", .handler = h_echo},
	{.method = AXR_HTTP_GET, .path = "/v1/echo/{id}", .handler = h_echo},
	{.method = AXR_HTTP_GET, .path = "/v1/peer", .handler = h_peer, .flags = AXR_ROUTE_INLINE},
	{.method = AXR_HTTP_GET, .path = "/v1/sleep", .handler = h_sleep},
	{.method = AXR_HTTP_GET, .path = "/v1/err/{which}", .handler = h_err},
	{.method = AXR_HTTP_GET, .path = "/v1/big", .handler = h_big},
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

/* ---- helpers ---------------------------------------------------------------------------- */

static int get(axr_client_t *c, const char *target, axr_arena_t *a, axr_client_response_t *resp,
               axr_client_error_t *err)
{
	axr_client_request_t req = {.method = AXR_HTTP_GET, .target = target};
	return axr_client_send(c, &req, NULL, a, resp, err);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (hay == NULL || strstr(hay, needle) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", hay ? hay : "(null)", needle);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* ---- base URLs and heads ---------------------------------------------------------------- */

static void test_base_url_takes_host_port_and_prefix_and_refuses_the_rest(void **state)
{
	(void)state;
	axr__origin_t o;
	assert_int_equal(axr__origin_parse(&o, "http://[::1]:8080/v1/"), 0);
	assert_string_equal(o.host, "::1");
	assert_string_equal(o.port, "8080");
	assert_string_equal(o.prefix, "/v1");
	assert_string_equal(o.host_header, "[::1]:8080");
	axr__origin_clear(&o);
	assert_int_equal(axr__origin_parse(&o, "HTTP://api.example.com"), 0);
	assert_string_equal(o.host, "api.example.com");
	assert_string_equal(o.port, "80");
	assert_string_equal(o.prefix, "");
	assert_string_equal(o.host_header, "api.example.com");
	axr__origin_clear(&o);

	static const char *const bad[] = {
		"https://example.com", "http://", "http://:80", "http://host:0", "http://host:65536",
		"http://host:80x", "http://host?x=1", "http://host/a b", "http://[::1", "http://user@host",
		"ftp://host", "http://host#frag", "http://ho st",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		axr_client_options_t opts = {.base_url = bad[i]};
		axr_client_t *c = (axr_client_t *)1;
		int rc = axr_client_new(&opts, &c);
		if (rc != AXR_EINVAL || c != NULL)
			fail_msg("base URL \"%s\": %s, wanted INVAL", bad[i], axr_errname(rc));
	}
}

static void test_head_parser_frames_answers_and_refuses_ambiguous_ones(void **state)
{
	(void)state;
	axr__head_t h;
	const char *ok = "HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-Request-Id: ab\r\n"
	                 "Connection: keep-alive, Close\r\n\r\n{}";
	assert_int_equal(axr__client_parse_head(ok, strlen(ok), &h), (long)strlen(ok) - 2);
	assert_int_equal(h.status, 201);
	assert_int_equal(h.content_length, 2);
	assert_true(h.close);
	size_t len = 0;
	const char *rid = axr__head_get(&h, ok, "x-request-id", &len);
	assert_non_null(rid);
	assert_int_equal(len, 2);
	assert_memory_equal(rid, "ab", 2);
	/* every prefix of a head is "need more" */
	for (size_t n = 0; n < strlen(ok) - 2; n++)
		assert_int_equal(axr__client_parse_head(ok, n, &h), 0);

	const char *v10 = "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n";
	assert_true(axr__client_parse_head(v10, strlen(v10), &h) > 0);
	assert_false(h.close);
	const char *v10c = "HTTP/1.0 200 OK\r\n\r\n";
	assert_true(axr__client_parse_head(v10c, strlen(v10c), &h) > 0);
	assert_true(h.close);

	static const char *const bad[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
		"HTTP/2 200 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 099 Low\r\n\r\n",
		"ICY 200 OK\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		long r = axr__client_parse_head(bad[i], strlen(bad[i]), &h);
		if (r != AXR_EPARSE)
			fail_msg("head %zu (%s): %ld, wanted EPARSE", i, bad[i], r);
	}
	char huge[AXR__CLIENT_MAX_HEAD + 10];
	memset(huge, 'a', sizeof huge);
	memcpy(huge, "HTTP/1.1 200 OK\r\nX: ", 20);
	assert_int_equal(axr__client_parse_head(huge, sizeof huge, &h), AXR_ETOOBIG);
}

/* ---- against the live server ------------------------------------------------------------- */

static void test_send_carries_method_target_token_request_id_headers_and_body(void **state)
{
	(void)state;
	axr_client_t *c = client_for(live.url, "/v1/", 0, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	assert_int_equal(axr_client_set_token(c, "tok.en-1"), 0);
	const char *headers[] = {"X-Custom", "hello world"};
	axr_client_request_t req = {.method = AXR_HTTP_POST, .target = "/echo?x=1&y=%20", .headers = headers,
	                            .n_headers = 1, .body = "{\"a\":1}", .body_len = 7};
	axr_client_call_opts_t opts = {.request_id = "trace-42"};
	axr_client_response_t resp;
	axr_client_error_t err;
	assert_int_equal(axr_client_send(c, &req, &opts, a, &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.content_type, "application/json");
	assert_string_equal(resp.request_id, "trace-42");
	assert_string_equal(axr_client_response_header(&resp, "x-request-id"), "trace-42");
	assert_contains(resp.body, "\"method\":\"POST\"");
	assert_contains(resp.body, "\"path\":\"/v1/echo\"");
	assert_contains(resp.body, "\"query\":\"x=1&y=%20\"");
	assert_contains(resp.body, "\"auth\":\"Bearer tok.en-1\"");
	assert_contains(resp.body, "\"rid\":\"trace-42\"");
	assert_contains(resp.body, "\"custom\":\"hello world\"");
	assert_contains(resp.body, "\"ctype\":\"application/json\"");
	assert_contains(resp.body, "\"ua\":\"axr-client/1\"");
	assert_contains(resp.body, "\"body\":\"{\\\"a\\\":1}\"");
	assert_int_equal(resp.body_len, strlen(resp.body));

	/* anonymous requests carry no token; random request ids differ */
	axr_client_request_t anon = {.method = AXR_HTTP_GET, .target = "/echo", .anonymous = true};
	axr_client_response_t r1, r2;
	assert_int_equal(axr_client_send(c, &anon, NULL, a, &r1, &err), 0);
	assert_contains(r1.body, "\"auth\":null");
	assert_int_equal(get(c, "/echo", a, &r2, &err), 0);
	assert_int_equal(strlen(r1.request_id), 16);
	assert_string_not_equal(r1.request_id, r2.request_id);
	assert_contains(r2.body, "\"auth\":\"Bearer tok.en-1\"");
	axr_arena_free(a);
	axr_client_free(c);
}

static void test_keep_alive_serves_sequential_calls_on_one_connection(void **state)
{
	(void)state;
	client_ports_reset(&ports);
	axr_client_t *c = client_for(live.url, "/v1", 0, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_response_t resp;
	axr_client_error_t err;
	for (int i = 0; i < 10; i++) {
		assert_int_equal(get(c, "/peer", a, &resp, &err), 0);
		assert_int_equal(resp.status, 200);
	}
	axr_client_stats_t st;
	axr_client_get_stats(c, &st);
	assert_int_equal(client_ports_count(&ports), 1); /* what the server saw */
	assert_int_equal(st.connects, 1);
	assert_int_equal(st.reuses, 9);
	assert_int_equal(st.requests, 10);
	axr_arena_free(a);
	axr_client_free(c);

	/* without a pool every call connects */
	client_ports_reset(&ports);
	c = client_for(live.url, "/v1", 0, -1, 0);
	a = axr_arena_new(0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(get(c, "/peer", a, &resp, &err), 0);
	axr_client_get_stats(c, &st);
	assert_int_equal(client_ports_count(&ports), 5);
	assert_int_equal(st.connects, 5);
	assert_int_equal(st.reuses, 0);
	axr_arena_free(a);
	axr_client_free(c);
}

static void test_read_timeout_is_etimeout_and_the_next_call_works(void **state)
{
	(void)state;
	axr_client_t *c = client_for(live.url, "/v1", 150, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_response_t resp;
	axr_client_error_t err;
	double t0 = now_ms();
	assert_int_equal(get(c, "/sleep?ms=600", a, &resp, &err), AXR_ETIMEOUT);
	double took = now_ms() - t0;
	assert_client_error(err, AXR_CLIENT_ERR_NETWORK, AXR_ETIMEOUT, "within 150 ms");
	assert_int_equal(err.status, 0);
	assert_non_null(err.request_id);
	if (took < 140 || took > 1000)
		fail_msg("timed out after %.0f ms, wanted about 150", took);
	/* a per-call timeout replaces the client's */
	axr_client_call_opts_t longer = {.timeout_ms = 2000};
	axr_client_request_t req = {.method = AXR_HTTP_GET, .target = "/sleep?ms=300"};
	assert_int_equal(axr_client_send(c, &req, &longer, a, &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(get(c, "/echo", a, &resp, &err), 0);
	axr_arena_free(a);
	axr_client_free(c);
}

static void test_connection_refused_is_a_network_error(void **state)
{
	(void)state;
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d", client_free_port());
	axr_client_t *c = client_for(url, NULL, 0, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_response_t resp;
	axr_client_error_t err;
	assert_int_equal(get(c, "/x", a, &resp, &err), AXR_EIO);
	assert_client_error(err, AXR_CLIENT_ERR_NETWORK, AXR_EIO, "Connection refused");
	assert_int_equal(err.status, 0);
	assert_string_equal(err.code, "IO");
	assert_int_equal(resp.status, 0);
	/* unresolvable hosts too */
	axr_client_free(c);
	c = client_for("http://no-such-host.invalid", NULL, 0, 0, 0);
	assert_int_equal(get(c, "/x", a, &resp, &err), AXR_EIO);
	assert_client_error(err, AXR_CLIENT_ERR_NETWORK, AXR_EIO, "cannot resolve no-such-host.invalid");
	axr_arena_free(a);
	axr_client_free(c);
}

static void test_connect_timeout_is_etimeout(void **state)
{
	(void)state;
	/* a listener whose backlog is full: SYNs go unanswered */
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof sa;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(l, 0), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sa, &len), 0);
	int filler = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(filler, (struct sockaddr *)&sa, sizeof sa), 0);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(sa.sin_port));
	axr_client_options_t o = {.base_url = url, .connect_timeout_ms = 200, .timeout_ms = 5000};
	axr_client_t *c = NULL;
	assert_int_equal(axr_client_new(&o, &c), 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_response_t resp;
	axr_client_error_t err;
	double t0 = now_ms();
	assert_int_equal(get(c, "/x", a, &resp, &err), AXR_ETIMEOUT);
	double took = now_ms() - t0;
	assert_client_error(err, AXR_CLIENT_ERR_NETWORK, AXR_ETIMEOUT, "timed out after 200 ms");
	if (took < 190 || took > 1500)
		fail_msg("gave up connecting after %.0f ms, wanted about 200", took);
	axr_arena_free(a);
	axr_client_free(c);
	close(filler);
	close(l);
}

static void test_error_answers_are_parsed_into_code_message_and_field_errors(void **state)
{
	(void)state;
	axr_client_t *c = client_for(live.url, "/v1", 0, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_response_t resp;
	axr_client_error_t err;

	assert_int_equal(get(c, "/err/validation", a, &resp, &err), 0);
	assert_int_equal(axr_client_error_from_response(&resp, a, &err), AXR_EVALIDATION);
	assert_client_error(err, AXR_CLIENT_ERR_HTTP, AXR_EVALIDATION, "the request is not valid");
	assert_int_equal(err.status, 400);
	assert_string_equal(err.code, "VALIDATION");
	assert_int_equal(err.n_errors, 2);
	assert_string_equal(err.errors[0].path, "/email");
	assert_string_equal(err.errors[0].message, "must be an email address");
	assert_string_equal(err.errors[1].path, "/age");
	assert_string_equal(err.errors[1].message, "must be at least 13");
	assert_non_null(err.request_id);
	assert_int_equal(err.retry_after, -1);

	static const struct {
		const char *target;
		int status, rc;
		const char *code, *message;
	} cases[] = {
		{"/err/missing", 404, AXR_ENOTFOUND, "NOTFOUND", "no such user"},
		{"/err/exists", 409, AXR_EEXISTS, "EXISTS", "name is taken"},
		{"/err/stale", 409, AXR_ECONFLICT, "CONFLICT", "version 3 is stale"},
		/* a server-side timeout is an HTTP error, never the client's AXR_ETIMEOUT */
		{"/err/busy", 503, AXR_EUNAVAILABLE, "TIMEOUT", "the database timed out"},
		{"/err/html", 502, AXR_EUNAVAILABLE, "UNAVAILABLE", "Bad Gateway"},
		{"/err/plain", 400, AXR_EINVAL, "BAD_REQUEST", "Bad Request"},
		{"/nowhere", 404, AXR_ENOTFOUND, "NOT_FOUND", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(get(c, cases[i].target, a, &resp, &err), 0);
		int rc = axr_client_error_from_response(&resp, a, &err);
		if (rc != cases[i].rc || err.status != cases[i].status || strcmp(err.code, cases[i].code) != 0 ||
		    (cases[i].message && strcmp(err.message, cases[i].message) != 0) || err.kind != AXR_CLIENT_ERR_HTTP)
			fail_msg("%s: %d %s code %s message \"%s\"; wanted %d %s code %s message \"%s\"", cases[i].target,
			         err.status, axr_errname(rc), err.code, err.message, cases[i].status,
			         axr_errname(cases[i].rc), cases[i].code, cases[i].message ? cases[i].message : "*");
	}
	assert_int_equal(get(c, "/err/busy", a, &resp, &err), 0);
	axr_client_error_from_response(&resp, a, &err);
	assert_int_equal(err.retry_after, 1);
	axr_arena_free(a);
	axr_client_free(c);
}

static void test_answer_larger_than_max_response_is_refused(void **state)
{
	(void)state;
	axr_client_options_t o = {.base_url = live.url, .max_response = 50000};
	axr_client_t *c = NULL;
	assert_int_equal(axr_client_new(&o, &c), 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_response_t resp;
	axr_client_error_t err;
	assert_int_equal(get(c, "/v1/big", a, &resp, &err), AXR_ETOOBIG);
	assert_client_error(err, AXR_CLIENT_ERR_NETWORK, AXR_ETOOBIG, "larger than 50000 bytes");
	axr_client_free(c);
	c = client_for(live.url, NULL, 0, 0, 0);
	assert_int_equal(get(c, "/v1/big", a, &resp, &err), 0);
	assert_int_equal(resp.body_len, 100000);
	axr_arena_free(a);
	axr_client_free(c);
}

static void test_what_a_header_cannot_carry_is_refused_before_sending(void **state)
{
	(void)state;
	axr_client_t *c = client_for(live.url, "/v1", 0, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	assert_int_equal(axr_client_set_token(c, "two words"), AXR_EINVAL);
	assert_int_equal(axr_client_set_token(c, "line\r\nX-Evil: 1"), AXR_EINVAL);
	assert_null(axr_client_token(c));
	assert_int_equal(axr_client_set_token(c, "ok"), 0);
	assert_string_equal(axr_client_token(c), "ok");
	assert_int_equal(axr_client_set_token(c, ""), 0);
	assert_null(axr_client_token(c));

	const char *evil[] = {"X-A", "v\r\nX-Evil: 1"};
	axr_client_request_t req = {.method = AXR_HTTP_GET, .target = "/echo", .headers = evil, .n_headers = 1};
	axr_client_response_t resp;
	axr_client_error_t err;
	assert_int_equal(axr_client_send(c, &req, NULL, a, &resp, &err), AXR_EINVAL);
	assert_client_error(err, AXR_CLIENT_ERR_LOCAL, AXR_EINVAL, "X-A");
	const char *badname[] = {"X A", "v"};
	req.headers = badname;
	assert_int_equal(axr_client_send(c, &req, NULL, a, &resp, &err), AXR_EINVAL);
	req = (axr_client_request_t){.method = AXR_HTTP_GET, .target = "/echo x"};
	assert_int_equal(axr_client_send(c, &req, NULL, a, &resp, &err), AXR_EINVAL);
	req.target = "echo";
	assert_int_equal(axr_client_send(c, &req, NULL, a, &resp, &err), AXR_EINVAL);
	axr_client_call_opts_t opts = {.request_id = "has space"};
	req.target = "/echo";
	assert_int_equal(axr_client_send(c, &req, &opts, a, &resp, &err), AXR_EINVAL);
	assert_client_error(err, AXR_CLIENT_ERR_LOCAL, AXR_EINVAL, "request id");
	axr_client_stats_t st;
	axr_client_get_stats(c, &st);
	assert_int_equal(st.requests, 0);
	axr_arena_free(a);
	axr_client_free(c);
}

/* ---- against a scripted peer ------------------------------------------------------------ */

static void test_chunked_and_close_delimited_answers_are_read_whole(void **state)
{
	(void)state;
	static const raw_conn_script_t script[] = {
		{.answers = {"HTTP/1.1 100 Continue\r\n\r\n"
		             "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
		             "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n"},
		 .n_requests = 1},
		{.answers = {"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"},
		 .n_requests = 1, .close_after = true},
	};
	raw_peer_t p;
	raw_peer_start(&p, script, 2);
	axr_client_t *c = client_for(p.url, NULL, 2000, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_response_t resp;
	axr_client_error_t err;
	assert_int_equal(get(c, "/a", a, &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body, "hello, world");
	assert_int_equal(resp.body_len, 12);
	axr_client_free(c); /* the peer's next answer is on a new connection */
	c = client_for(p.url, NULL, 2000, 0, 0);
	assert_int_equal(get(c, "/b", a, &resp, &err), 0);
	assert_string_equal(resp.body, "until the end");
	assert_int_equal(resp.body_len, 13);
	axr_client_stats_t st;
	axr_client_get_stats(c, &st);
	assert_int_equal(st.connects, 1);
	assert_int_equal(c->n_idle, 0); /* a close-delimited answer leaves nothing to reuse */
	axr_arena_free(a);
	axr_client_free(c);
	raw_peer_stop(&p);
}

static void test_malformed_or_truncated_answers_are_network_errors(void **state)
{
	(void)state;
	static const raw_conn_script_t script[] = {
		{.answers = {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"}, .n_requests = 1},
		{.answers = {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"}, .n_requests = 1, .close_after = true},
		{.answers = {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}, .n_requests = 1},
		{.answers = {"HTTP/1.1 101 Switching Protocols\r\n\r\n"}, .n_requests = 1},
		{.answers = {NULL}, .n_requests = 1},
	};
	static const struct {
		int rc;
		const char *why;
	} want[] = {
		{AXR_EPARSE, "malformed answer head"},
		{AXR_ECLOSED, "closed after 5 of 10 body bytes"},
		{AXR_EPARSE, "malformed chunked body"},
		{AXR_EPARSE, "101"},
		{AXR_ECLOSED, "closed without an answer"},
	};
	raw_peer_t p;
	raw_peer_start(&p, script, 5);
	axr_client_t *c = client_for(p.url, NULL, 2000, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		axr_client_response_t resp;
		axr_client_error_t err;
		int rc = get(c, "/x", a, &resp, &err);
		if (rc != want[i].rc || err.kind != AXR_CLIENT_ERR_NETWORK || strstr(err.message, want[i].why) == NULL)
			fail_msg("answer %zu: %s \"%s\", wanted %s \"%s\"", i, axr_errname(rc), err.message,
			         axr_errname(want[i].rc), want[i].why);
	}
	axr_client_stats_t st;
	axr_client_get_stats(c, &st);
	assert_int_equal(st.connects, 5); /* no broken connection went back to the pool */
	axr_arena_free(a);
	axr_client_free(c);
	raw_peer_stop(&p);
}

static const char ok_answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/* Connection 1 answers once, then closes when the next request comes;
 * connection 2 answers. */
static const raw_conn_script_t doomed_script[] = {
	{.answers = {ok_answer, NULL}, .n_requests = 2},
	{.answers = {ok_answer}, .n_requests = 1},
};

/* A peer playing doomed_script and a client that holds connection 1 in its pool. */
static axr_client_t *doomed_start(raw_peer_t *p, axr_arena_t **a)
{
	raw_peer_start(p, doomed_script, 2);
	axr_client_t *c = client_for(p->url, NULL, 2000, 0, 0);
	*a = axr_arena_new(0);
	axr_client_response_t resp;
	axr_client_error_t err;
	assert_int_equal(get(c, "/one", *a, &resp, &err), 0);
	return c;
}

static void doomed_stop(raw_peer_t *p, axr_client_t *c, axr_arena_t *a)
{
	axr_arena_free(a);
	axr_client_free(c);
	raw_peer_stop(p);
}

static void test_stale_pooled_connection_is_retried_once_for_idempotent_requests(void **state)
{
	(void)state;
	raw_peer_t p;
	axr_arena_t *a;
	axr_client_t *c = doomed_start(&p, &a);
	axr_client_response_t resp;
	axr_client_error_t err;
	assert_int_equal(get(c, "/two", a, &resp, &err), 0);
	assert_string_equal(resp.body, "ok");
	axr_client_stats_t st;
	axr_client_get_stats(c, &st);
	assert_int_equal(st.connects, 2);
	assert_int_equal(st.reuses, 1);
	assert_int_equal(st.retries, 1);
	assert_int_equal(atomic_load(&p.requests), 3);
	doomed_stop(&p, c, a);
}

static void test_stale_pooled_connection_is_not_retried_for_a_post(void **state)
{
	(void)state;
	raw_peer_t p;
	axr_arena_t *a;
	axr_client_t *c = doomed_start(&p, &a);
	axr_client_response_t resp;
	axr_client_error_t err;
	axr_client_request_t post = {.method = AXR_HTTP_POST, .target = "/buy", .body = "{}", .body_len = 2};
	assert_int_equal(axr_client_send(c, &post, NULL, a, &resp, &err), AXR_ECLOSED);
	assert_client_error(err, AXR_CLIENT_ERR_NETWORK, AXR_ECLOSED, "closed without an answer");
	axr_client_stats_t st;
	axr_client_get_stats(c, &st);
	assert_int_equal(st.retries, 0);
	assert_int_equal(get(c, "/three", a, &resp, &err), 0); /* connection 2 */
	doomed_stop(&p, c, a);

	/* ... unless it carries an Idempotency-Key */
	c = doomed_start(&p, &a);
	const char *key[] = {"Idempotency-Key", "k-1"};
	post.headers = key;
	post.n_headers = 1;
	assert_int_equal(axr_client_send(c, &post, NULL, a, &resp, &err), 0);
	assert_contains(p.last_request, "Idempotency-Key: k-1");
	axr_client_get_stats(c, &st);
	assert_int_equal(st.retries, 1);
	doomed_stop(&p, c, a);
}

static void test_pooled_connection_the_server_closed_is_not_reused(void **state)
{
	(void)state;
	static const raw_conn_script_t script[] = {
		{.answers = {ok_answer}, .n_requests = 1, .close_after = true},
		{.answers = {ok_answer}, .n_requests = 1},
	};
	raw_peer_t p;
	raw_peer_start(&p, script, 2);
	axr_client_t *c = client_for(p.url, NULL, 2000, 0, 0);
	axr_arena_t *a = axr_arena_new(0);
	axr_client_response_t resp;
	axr_client_error_t err;
	assert_int_equal(get(c, "/one", a, &resp, &err), 0);
	for (int i = 0; i < 100 && atomic_load(&p.accepted) < 2; i++)
		usleep(2000); /* the peer has closed connection 1 once it accepts 2 */
	usleep(20000);
	assert_int_equal(get(c, "/two", a, &resp, &err), 0);
	axr_client_stats_t st;
	axr_client_get_stats(c, &st);
	assert_int_equal(st.connects, 2);
	assert_int_equal(st.reuses, 0); /* seen closed before use, not retried */
	assert_int_equal(st.retries, 0);
	axr_arena_free(a);
	axr_client_free(c);
	raw_peer_stop(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_url_takes_host_port_and_prefix_and_refuses_the_rest),
		cmocka_unit_test(test_head_parser_frames_answers_and_refuses_ambiguous_ones),
		cmocka_unit_test(test_send_carries_method_target_token_request_id_headers_and_body),
		cmocka_unit_test(test_keep_alive_serves_sequential_calls_on_one_connection),
		cmocka_unit_test(test_read_timeout_is_etimeout_and_the_next_call_works),
		cmocka_unit_test(test_connection_refused_is_a_network_error),
		cmocka_unit_test(test_connect_timeout_is_etimeout),
		cmocka_unit_test(test_error_answers_are_parsed_into_code_message_and_field_errors),
		cmocka_unit_test(test_answer_larger_than_max_response_is_refused),
		cmocka_unit_test(test_what_a_header_cannot_carry_is_refused_before_sending),
		cmocka_unit_test(test_chunked_and_close_delimited_answers_are_read_whole),
		cmocka_unit_test(test_malformed_or_truncated_answers_are_network_errors),
		cmocka_unit_test(test_stale_pooled_connection_is_retried_once_for_idempotent_requests),
		cmocka_unit_test(test_stale_pooled_connection_is_not_retried_for_a_post),
		cmocka_unit_test(test_pooled_connection_the_server_closed_is_not_reused),
	};
	return cmocka_run_group_tests_name("client_transport", tests, group_setup, group_teardown);
}
