/* fuzz_http.c: libFuzzer target for the request-head parser, the chunked
 * decoder and the router. */
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "fuzz_check.h"
#include "http.h"
#include "router.h"

/*
 * The input is read as a request: its head through axr_http_parse_head (whole,
 * and again after every proper prefix, which must never claim completeness
 * before the whole head is there), then its path through a fixed router,
 * then the rest as a chunked body fed in two pieces (which must decode the
 * same as in one).
 */

static int fuzz_handler(axr_request_t *req)
{
	(void)req;
	return 0;
}

static const axr_route_t fuzz_routes[] = {
	{.method = AXR_HTTP_GET, .path = "/users/me", .handler = fuzz_handler},
	{.method = AXR_HTTP_GET, .path = "/users/{id}", .handler = fuzz_handler},
	{.method = AXR_HTTP_PUT, .path = "/users/{id}", .handler = fuzz_handler},
	{.method = AXR_HTTP_GET, .path = "/users/{id}/achievements", .handler = fuzz_handler},
	{.method = AXR_HTTP_GET, .path = "/users/me/friends", .handler = fuzz_handler},
	{.method = AXR_HTTP_POST, .path = "/achievements/{id}/progress", .handler = fuzz_handler},
	{.method = AXR_HTTP_HEAD, .path = "/achievements", .handler = fuzz_handler},
	{.method = AXR_HTTP_GET, .path = "/", .handler = fuzz_handler},
};

static axr_router_t *fuzz_router(void)
{
	static axr_router_t *r;
	if (r == NULL) {
		r = axr_router_new();
		for (size_t i = 0; i < sizeof(fuzz_routes) / sizeof(fuzz_routes[0]); i++)
			CHECK(axr_router_add(r, &fuzz_routes[i]) == 0);
	}
	return r;
}

static void fuzz_route(const axr_http_head_t *h)
{
	axr_route_match_t m;
	int rc = axr_router_match(fuzz_router(), h->method, h->path, h->path_len, &m);
	CHECK(rc == 0 || rc == AXR_ENOTFOUND || rc == AXR_EMETHOD);
	if (rc != 0)
		return;
	CHECK(m.route != NULL && m.nparams <= AXR_ROUTER_MAX_PARAMS);
	for (size_t i = 0; i < m.nparams; i++) {
		/* Every parameter value lies inside the path and holds no '/'. */
		CHECK(m.params[i].value >= h->path && m.params[i].value + m.params[i].value_len <= h->path + h->path_len);
		CHECK(memchr(m.params[i].value, '/', m.params[i].value_len) == NULL);
		CHECK(m.params[i].value_len > 0);
	}
}

static void fuzz_chunked(const uint8_t *data, size_t len)
{
	static char one[1 << 16], two[1 << 16];
	if (len > sizeof(one))
		len = sizeof(one);
	memcpy(one, data, len);
	memcpy(two, data, len);
	axr_http_chunked_t a, b;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	int ra = axr_http_chunked_decode(&a, one, len, 4096);
	size_t half = len / 2;
	int rb = axr_http_chunked_decode(&b, two, half, 4096);
	if (rb == 0)
		rb = axr_http_chunked_decode(&b, two, len, 4096);
	CHECK(ra == rb);
	CHECK(a.decoded <= 4096 && a.consumed <= len);
	if (ra == 1) {
		CHECK(a.decoded == b.decoded && a.consumed == b.consumed);
		CHECK(memcmp(one, two, a.decoded) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static axr_http_head_t head;
	const char *buf = (const char *)data;
	const char *why = NULL;
	ssize_t n = axr_http_parse_head(buf, len, 4096, &head, &why);
	CHECK(n <= (ssize_t)len);
	if (n < 0) {
		CHECK(why != NULL);
		CHECK(-n >= 400 && -n <= 505);
	}
	if (n > 0) {
		CHECK(head.head_len == (size_t)n && head.nheaders <= AXR_HTTP_MAX_HEADERS);
		CHECK(head.path_len <= head.target_len);
		CHECK(!(head.chunked && head.content_length >= 0));
		/* No proper prefix of a complete head is complete. */
		for (size_t cut = (size_t)n > 64 ? (size_t)n - 64 : 0; cut < (size_t)n; cut++) {
			static axr_http_head_t prefix;
			ssize_t p = axr_http_parse_head(buf, cut, 4096, &prefix, &why);
			CHECK(p <= 0);
		}
		n = axr_http_parse_head(buf, len, 4096, &head, &why); /* restore */
		fuzz_route(&head);
		fuzz_chunked(data + n, len - (size_t)n);
	}
	return 0;
}
