/* test_ws_handshake.c: unit tests for the websocket opening handshake (runtime/ws_handshake.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "ws_handshake.h"

#define RFC_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define RFC_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

enum { MAX_HEADERS = 16 };

/* A browser-like upgrade request that tests then bend one way; it is
 * written out as HTTP and read back with the server's own head parser. */
typedef struct request {
	const char *method;
	int minor;
	axr_ws_header_t headers[MAX_HEADERS];
	size_t count;
} request_t;

static request_t valid_request(void)
{
	request_t r = {
		.method = "GET",
		.minor = 1,
		.headers =
			{
				{"Host", "server.example.com"},
				{"Upgrade", "websocket"},
				{"Connection", "Upgrade"},
				{"Sec-WebSocket-Key", RFC_KEY},
				{"Origin", "http://example.com"},
				{"Sec-WebSocket-Version", "13"},
			},
		.count = 6,
	};
	return r;
}

/* Sets header `name` to `value`, adding it when absent; NULL removes it. */
static void set_header(request_t *r, const char *name, const char *value)
{
	for (size_t i = 0; i < r->count; i++) {
		if (strcmp(r->headers[i].name, name) == 0) {
			if (value == NULL) {
				memmove(&r->headers[i], &r->headers[i + 1],
				        (r->count - i - 1) * sizeof r->headers[0]);
				r->count--;
			} else {
				r->headers[i].value = value;
			}
			return;
		}
	}
	if (value != NULL) {
		assert_true(r->count < MAX_HEADERS);
		r->headers[r->count++] = (axr_ws_header_t){name, value};
	}
}

static void add_header(request_t *r, const char *name, const char *value)
{
	assert_true(r->count < MAX_HEADERS);
	r->headers[r->count++] = (axr_ws_header_t){name, value};
}

static int check(const request_t *r, const axr_ws_handshake_config_t *config, axr_ws_handshake_t *hs)
{
	char text[2048];
	axr_http_head_t head = {0}; /* axr_http_parse_head leaves the flag bits after headers[] as they were */
	const char *why = NULL;
	int len = snprintf(text, sizeof text, "%s /v1/notifications HTTP/1.%d\r\n", r->method, r->minor);

	for (size_t i = 0; i < r->count; i++)
		len += snprintf(text + len, sizeof text - (size_t)len, "%s: %s\r\n", r->headers[i].name,
		                r->headers[i].value);
	len += snprintf(text + len, sizeof text - (size_t)len, "\r\n");
	assert_true(len > 0 && (size_t)len < sizeof text);
	ssize_t parsed = axr_http_parse_head(text, (size_t)len, sizeof text, &head, &why);
	if (parsed != len)
		print_error("head parser: %zd (%s) for:\n%s", parsed, why ? why : "-", text);
	assert_int_equal(parsed, len);
	return axr_ws_handshake_check(config, &head, hs);
}

/* Asserts the request is refused with `err`, `status` and `reason`. */
static void assert_refused(const request_t *r, const axr_ws_handshake_config_t *config, int err,
                           int status, const char *reason)
{
	axr_ws_handshake_t hs;
	int rc = check(r, config, &hs);

	if (rc != err || hs.status != status)
		print_error("got %d/%d (%s), want %d/%d (%s)\n", rc, hs.status,
		            hs.reason ? hs.reason : "-", err, status, reason);
	assert_int_equal(rc, err);
	assert_int_equal(hs.status, status);
	assert_string_equal(hs.reason, reason);
}

static bool origin_ok(const axr_ws_handshake_config_t *config, const char *origin)
{
	return axr_ws_origin_allowed(config, origin, strlen(origin));
}

static void test_rfc_sample_key_gives_rfc_accept(void **state)
{
	char accept[AXR_WS_ACCEPT_LEN + 1];

	(void)state;
	assert_int_equal(axr_ws_accept_key(RFC_KEY, strlen(RFC_KEY), accept), 0);
	assert_string_equal(accept, RFC_ACCEPT);
}

static void test_valid_upgrade_is_accepted_with_101_head(void **state)
{
	request_t r = valid_request();
	axr_ws_handshake_t hs;
	char head[AXR_WS_RESPONSE_HEAD_MAX];
	size_t len;
	static const char want[] = "HTTP/1.1 101 Switching Protocols\r\n"
	                           "Upgrade: websocket\r\n"
	                           "Connection: Upgrade\r\n"
	                           "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n"
	                           "\r\n";

	(void)state;
	assert_int_equal(check(&r, NULL, &hs), 0);
	assert_int_equal(hs.status, 101);
	assert_null(hs.reason);
	assert_int_equal(hs.extra_count, 0);
	assert_string_equal(hs.accept, RFC_ACCEPT);
	assert_int_equal(axr_ws_handshake_response(&hs, head, sizeof head, &len), 0);
	assert_string_equal(head, want);
	assert_int_equal(len, strlen(want));
}

static void test_header_names_and_tokens_are_case_insensitive_lists(void **state)
{
	request_t r = valid_request();
	axr_ws_handshake_t hs;

	(void)state;
	for (size_t i = 0; i < r.count; i++) {
		if (strcmp(r.headers[i].name, "Sec-WebSocket-Key") == 0)
			r.headers[i].name = "sec-websocket-key";
		if (strcmp(r.headers[i].name, "Host") == 0)
			r.headers[i].name = "HOST";
	}
	set_header(&r, "Upgrade", "h2c, WebSocket");
	set_header(&r, "Connection", "keep-alive,  upgrade ");
	set_header(&r, "Sec-WebSocket-Version", " 13 ");
	assert_int_equal(check(&r, NULL, &hs), 0);
	assert_string_equal(hs.accept, RFC_ACCEPT);

	/* Connection split over two fields (as some proxies send it). */
	r = valid_request();
	set_header(&r, "Connection", "keep-alive");
	add_header(&r, "Connection", "Upgrade");
	assert_int_equal(check(&r, NULL, &hs), 0);
}

static void test_token_must_match_whole_list_item(void **state)
{
	request_t r = valid_request();

	(void)state;
	set_header(&r, "Upgrade", "websocketx");
	assert_refused(&r, NULL, AXR_EINVAL, 400, "Upgrade header lacks websocket");
	r = valid_request();
	set_header(&r, "Connection", "Upgraded, keep-alive");
	assert_refused(&r, NULL, AXR_EINVAL, 400, "Connection header lacks Upgrade");
}

static void test_method_other_than_get_is_405_with_allow(void **state)
{
	request_t r = valid_request();
	axr_ws_handshake_t hs;

	(void)state;
	r.method = "POST";
	assert_refused(&r, NULL, AXR_EMETHOD, 405, "websocket upgrade needs GET");
	check(&r, NULL, &hs);
	assert_int_equal(hs.extra_count, 1);
	assert_string_equal(hs.extra[0].name, "Allow");
	assert_string_equal(hs.extra[0].value, "GET");
}

static void test_http_1_0_is_400(void **state)
{
	request_t r = valid_request();
	axr_ws_handshake_t hs;

	(void)state;
	r.minor = 0;
	assert_refused(&r, NULL, AXR_EINVAL, 400, "websocket upgrade needs HTTP/1.1");
	r.minor = 2;
	assert_int_equal(check(&r, NULL, &hs), 0);
}

static void test_missing_headers_are_400(void **state)
{
	request_t r;

	(void)state;
	r = valid_request();
	set_header(&r, "Upgrade", NULL);
	assert_refused(&r, NULL, AXR_EINVAL, 400, "Upgrade header lacks websocket");
	r = valid_request();
	set_header(&r, "Connection", NULL);
	assert_refused(&r, NULL, AXR_EINVAL, 400, "Connection header lacks Upgrade");
	r = valid_request();
	set_header(&r, "Sec-WebSocket-Key", NULL);
	assert_refused(&r, NULL, AXR_EINVAL, 400, "missing Sec-WebSocket-Key");
}

static void test_key_that_is_not_base64_of_16_bytes_is_400(void **state)
{
	static const char *const bad[] = {
		"",
		"dGhlIHNhbXBsZSBub25jZQ",     /* no padding */
		"dGhlIHNhbXBsZSBub25jZQ=",    /* short padding */
		"dGhlIHNhbXBsZSBub25j",       /* 15 bytes */
		"dGhlIHNhbXBsZSBub25jZXM=",   /* 17 bytes */
		"dGhlIHNhbXBsZSBub25jZXNl",   /* 18 bytes */
		"dGhlIHNhbXBsZSBub25jZR==",   /* non-zero padding bits */
		"dGhlIHNhbXBsZSBub25j*Q==",   /* not in the alphabet */
		"dGhlIHNhbXBsZSBub25jZQ==AA", /* trailing data */
		"dGhlIHNhbXBsZS Bub25jZQ==",  /* inner space */
		"dGhlIHNhbXBsZSBub25jZQ=\xC3\xA9",
	};
	request_t r = valid_request();

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		set_header(&r, "Sec-WebSocket-Key", bad[i]);
		assert_refused(&r, NULL, AXR_EINVAL, 400, "Sec-WebSocket-Key is not base64 of 16 bytes");
	}
}

static void test_key_with_surrounding_blanks_is_accepted(void **state)
{
	request_t r = valid_request();
	axr_ws_handshake_t hs;

	(void)state;
	set_header(&r, "Sec-WebSocket-Key", "  " RFC_KEY " \t");
	assert_int_equal(check(&r, NULL, &hs), 0);
	assert_string_equal(hs.accept, RFC_ACCEPT);
}

static void test_repeated_key_version_or_origin_is_400(void **state)
{
	request_t r;

	(void)state;
	r = valid_request();
	add_header(&r, "Sec-WebSocket-Key", RFC_KEY);
	assert_refused(&r, NULL, AXR_EINVAL, 400, "repeated Sec-WebSocket-Key");
	r = valid_request();
	add_header(&r, "Sec-WebSocket-Version", "13");
	assert_refused(&r, NULL, AXR_EINVAL, 400, "repeated Sec-WebSocket-Version");
	r = valid_request();
	add_header(&r, "Origin", "http://evil.example");
	assert_refused(&r, NULL, AXR_EINVAL, 400, "repeated Origin");
}

static void test_bad_version_is_426_naming_13(void **state)
{
	static const char *const versions[] = {"8", "12", "14", "13, 8", "", "013"};
	request_t r = valid_request();
	axr_ws_handshake_t hs;

	(void)state;
	for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
		set_header(&r, "Sec-WebSocket-Version", versions[i]);
		assert_refused(&r, NULL, AXR_EUNSUPPORTED, 426, "unsupported Sec-WebSocket-Version");
	}
	check(&r, NULL, &hs);
	assert_int_equal(hs.extra_count, 2);
	assert_string_equal(hs.extra[0].name, "Sec-WebSocket-Version");
	assert_string_equal(hs.extra[0].value, "13");
	assert_string_equal(hs.extra[1].name, "Upgrade");
	assert_string_equal(hs.extra[1].value, "websocket");
	set_header(&r, "Sec-WebSocket-Version", NULL);
	assert_refused(&r, NULL, AXR_EUNSUPPORTED, 426, "missing Sec-WebSocket-Version");
}

static void test_origin_not_in_allow_list_is_403(void **state)
{
	static const char *const allowed[] = {"https://play.example.com", "http://localhost:8080"};
	axr_ws_handshake_config_t config = {.allowed_origins = allowed, .allowed_origins_count = 2};
	request_t r = valid_request();
	axr_ws_handshake_t hs;

	(void)state;
	set_header(&r, "Origin", "https://evil.example.com");
	assert_refused(&r, &config, AXR_EFORBIDDEN, 403, "Origin not allowed");
	set_header(&r, "Origin", "https://play.example.com.evil.net");
	assert_refused(&r, &config, AXR_EFORBIDDEN, 403, "Origin not allowed");
	set_header(&r, "Origin", "http://play.example.com"); /* scheme differs */
	assert_refused(&r, &config, AXR_EFORBIDDEN, 403, "Origin not allowed");
	set_header(&r, "Origin", "null");
	assert_refused(&r, &config, AXR_EFORBIDDEN, 403, "Origin not allowed");
	set_header(&r, "Origin", "https://play.example.co"); /* a prefix of an allowed one */
	assert_refused(&r, &config, AXR_EFORBIDDEN, 403, "Origin not allowed");

	set_header(&r, "Origin", "https://play.example.com");
	assert_int_equal(check(&r, &config, &hs), 0);
	set_header(&r, "Origin", "HTTPS://Play.Example.COM");
	assert_int_equal(check(&r, &config, &hs), 0);
	set_header(&r, "Origin", "http://localhost:8080");
	assert_int_equal(check(&r, &config, &hs), 0);
}

static void test_missing_origin_passes_unless_required(void **state)
{
	static const char *const allowed[] = {"https://play.example.com"};
	axr_ws_handshake_config_t config = {.allowed_origins = allowed, .allowed_origins_count = 1};
	request_t r = valid_request();
	axr_ws_handshake_t hs;

	(void)state;
	set_header(&r, "Origin", NULL);
	assert_int_equal(check(&r, &config, &hs), 0);
	config.require_origin = true;
	assert_refused(&r, &config, AXR_EFORBIDDEN, 403, "missing Origin");
}

static void test_empty_allow_list_and_star_allow_every_origin(void **state)
{
	static const char *const star[] = {"*"};
	axr_ws_handshake_config_t empty = {0};
	axr_ws_handshake_config_t any = {.allowed_origins = star, .allowed_origins_count = 1};

	(void)state;
	assert_true(origin_ok(NULL, "https://anything.example"));
	assert_true(origin_ok(&empty, "https://anything.example"));
	assert_true(origin_ok(&any, "https://anything.example"));
	assert_true(origin_ok(&any, "null"));
}

static void test_wildcard_origin_matches_subdomains_only(void **state)
{
	static const char *const allowed[] = {"https://*.example.com"};
	axr_ws_handshake_config_t config = {.allowed_origins = allowed, .allowed_origins_count = 1};

	(void)state;
	assert_true(origin_ok(&config, "https://play.example.com"));
	assert_true(origin_ok(&config, "https://eu.play.EXAMPLE.com"));
	assert_false(origin_ok(&config, "https://example.com"));
	assert_false(origin_ok(&config, "https://.example.com"));
	assert_false(origin_ok(&config, "http://play.example.com"));
	assert_false(origin_ok(&config, "https://play.example.com:8443"));
	assert_false(origin_ok(&config, "https://evilexample.com"));
	assert_false(origin_ok(&config, "https://evil.com/.example.com"));
	assert_false(origin_ok(&config, "https://user@evil.com:1@x.example.com"));
	assert_false(axr_ws_origin_allowed(&config, NULL, 0));
}

static void test_response_head_needs_success_and_room(void **state)
{
	request_t r = valid_request();
	axr_ws_handshake_t hs;
	char head[AXR_WS_RESPONSE_HEAD_MAX];
	size_t len;

	(void)state;
	assert_int_equal(check(&r, NULL, &hs), 0);
	assert_int_equal(axr_ws_handshake_response(&hs, head, 50, &len), AXR_ERANGE);
	r.method = "PUT";
	assert_int_equal(check(&r, NULL, &hs), AXR_EMETHOD);
	assert_int_equal(axr_ws_handshake_response(&hs, head, sizeof head, &len), AXR_EINVAL);
}

static void test_accept_key_rejects_oversized_input(void **state)
{
	char big[200], accept[AXR_WS_ACCEPT_LEN + 1];

	(void)state;
	memset(big, 'A', sizeof big);
	assert_int_equal(axr_ws_accept_key(big, sizeof big, accept), AXR_EINVAL);
	assert_int_equal(axr_ws_accept_key(big, 92, accept), 0);
	assert_int_equal(strlen(accept), AXR_WS_ACCEPT_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_sample_key_gives_rfc_accept),
		cmocka_unit_test(test_valid_upgrade_is_accepted_with_101_head),
		cmocka_unit_test(test_header_names_and_tokens_are_case_insensitive_lists),
		cmocka_unit_test(test_token_must_match_whole_list_item),
		cmocka_unit_test(test_method_other_than_get_is_405_with_allow),
		cmocka_unit_test(test_http_1_0_is_400),
		cmocka_unit_test(test_missing_headers_are_400),
		cmocka_unit_test(test_key_that_is_not_base64_of_16_bytes_is_400),
		cmocka_unit_test(test_key_with_surrounding_blanks_is_accepted),
		cmocka_unit_test(test_repeated_key_version_or_origin_is_400),
		cmocka_unit_test(test_bad_version_is_426_naming_13),
		cmocka_unit_test(test_origin_not_in_allow_list_is_403),
		cmocka_unit_test(test_missing_origin_passes_unless_required),
		cmocka_unit_test(test_empty_allow_list_and_star_allow_every_origin),
		cmocka_unit_test(test_wildcard_origin_matches_subdomains_only),
		cmocka_unit_test(test_response_head_needs_success_and_room),
		cmocka_unit_test(test_accept_key_rejects_oversized_input),
	};
	return cmocka_run_group_tests_name("ws_handshake", tests, NULL, NULL);
}
