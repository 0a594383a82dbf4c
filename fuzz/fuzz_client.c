/* fuzz_client.c: libFuzzer target for what the client reads from servers: response heads and error bodies. */
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "client_internal.h"
#include "err.h"
#include "fuzz_check.h"

/*
 * The input is read as an answer. Its head goes through
 * axr__client_parse_head (whole, and cut short, which must never claim a
 * complete head before all of it is there, nor a different one); every
 * header it reports lies inside the head. Whatever follows the head (or
 * the whole input when there is no head) is then read as an error body
 * with every status class: the error always gets a code, a message and
 * field errors that are real strings, and never a network code.
 */

static void fuzz_head(const char *buf, size_t len)
{
	static axr__head_t h, h2;
	long hl = axr__client_parse_head(buf, len, &h);
	CHECK(hl == 0 || hl == AXR_EPARSE || hl == AXR_ETOOBIG || (hl > 0 && (size_t)hl <= len));
	if (hl <= 0)
		return;
	CHECK(h.status >= 100 && h.status <= 999);
	CHECK(h.n_headers <= AXR__CLIENT_MAX_HEADERS);
	CHECK(!(h.chunked && h.content_length >= 0));
	for (size_t i = 0; i < h.n_headers; i++) {
		const axr__resp_header_t *hd = &h.headers[i];
		CHECK(hd->name_len > 0);
		CHECK((size_t)hd->name_off + hd->name_len <= (size_t)hl);
		CHECK((size_t)hd->value_off + hd->value_len <= (size_t)hl);
		CHECK(memchr(buf + hd->value_off, '\n', hd->value_len) == NULL);
	}
	/* a prefix is never a complete head of its own */
	size_t cuts[] = {(size_t)hl - 1, (size_t)hl / 2, (size_t)hl - 4};
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
		if (cuts[i] < (size_t)hl)
			CHECK(axr__client_parse_head(buf, cuts[i], &h2) == 0);
}

static void fuzz_error_body(const char *body, size_t len)
{
	static const int statuses[] = {400, 401, 404, 409, 429, 500, 503, 302};
	axr_arena_t *a = axr_arena_new(0);
	CHECK(a != NULL);
	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
		axr_client_response_t resp = {.status = statuses[i], .body = body, .body_len = len};
		axr_client_error_t err = {0};
		int rc = axr_client_error_from_response(&resp, a, &err);
		CHECK(rc < 0 && rc == err.rc);
		CHECK(rc != AXR_EIO && rc != AXR_ETIMEOUT && rc != AXR_ECLOSED);
		CHECK(err.kind == AXR_CLIENT_ERR_HTTP && err.status == statuses[i]);
		CHECK(err.code != NULL && err.message != NULL);
		for (size_t k = 0; k < err.n_errors; k++)
			CHECK(err.errors[k].path != NULL && err.errors[k].message != NULL);
		axr_arena_reset(a);
	}
	axr_arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	/* a NUL-terminated copy: error bodies are NUL-terminated in the client */
	char *buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	fuzz_head(buf, size);
	axr__head_t h;
	long hl = axr__client_parse_head(buf, size, &h);
	size_t at = hl > 0 ? (size_t)hl : 0;
	fuzz_error_body(buf + at, size - at);
	free(buf);
	return 0;
}
