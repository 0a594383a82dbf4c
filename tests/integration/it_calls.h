/* it_calls.h: what the service programs of tests/integration share on top of itest.h: calls with per-call flags or headers, raw requests, X-Total-Count, field-error lookups. */
#ifndef AXR_IT_CALLS_H
#define AXR_IT_CALLS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "itest.h"

/* A const string into a protobuf-c char * member (the client only reads it). */
#define IT_STR(s) ((char *)(uintptr_t)(s))

/* axr_client_call_opts() of one route row with `flags` (AXR_CLIENT_NO_VALIDATE, AXR_CLIENT_PROTOBUF)
 * and up to one extra header (`hname` NULL = none). */
static inline int it_call(axr_client_t *c, const axr_route_t *route, const ProtobufCMessage *in, unsigned flags,
                          const char *hname, const char *hvalue, ProtobufCMessage **out, axr_arena_t *arena,
                          axr_client_error_t *err)
{
	const char *h[2] = {hname, hvalue};
	axr_client_call_opts_t o = {.flags = flags, .headers = hname ? h : NULL, .n_headers = hname ? 1 : 0};
	return axr_client_call_opts(c, route, in, &o, out, arena, err);
}

/* A raw request under the client's base URL (the client runtime's axr_client_send()): the answer
 * whatever its status in *resp. Returns 0, or the network/local error's code. */
static inline int it_raw(axr_client_t *c, int method, const char *target, const char *body, axr_arena_t *arena,
                         axr_client_response_t *resp)
{
	axr_client_request_t r = {.method = method, .target = target, .body = body, .body_len = body ? strlen(body) : 0};
	axr_client_error_t err = {0};
	memset(resp, 0, sizeof *resp);
	return axr_client_send(c, &r, NULL, arena, resp, &err);
}

/* X-Total-Count of HEAD `target` as a number, or -1 (no answer, not 2xx, no header). The typed
 * count stubs answer no headers, so this goes through axr_client_send(). */
static inline long it_total_count(axr_client_t *c, const char *target, axr_arena_t *arena)
{
	axr_client_response_t resp;
	const char *v;
	if (it_raw(c, AXR_HTTP_HEAD, target, NULL, arena, &resp) != 0 || resp.status / 100 != 2)
		return -1;
	v = axr_client_response_header(&resp, "X-Total-Count");
	return v ? strtol(v, NULL, 10) : -1;
}

/* Whether `err` carries a field error at `path`. */
static inline int it_has_path(const axr_client_error_t *err, const char *path)
{
	for (size_t i = 0; i < err->n_errors; i++)
		if (err->errors[i].path && strcmp(err->errors[i].path, path) == 0)
			return 1;
	return 0;
}

/* The field-error paths of `err`, comma-separated (a static buffer: use at once). */
static inline const char *it_paths(const axr_client_error_t *err)
{
	static char s[512];
	size_t used = 0;
	s[0] = '\0';
	for (size_t i = 0; i < err->n_errors && used < sizeof s - 1; i++) {
		int n = snprintf(s + used, sizeof s - used, "%s%s", i ? "," : "", err->errors[i].path ? err->errors[i].path : "?");
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return s;
}

/* An HTTP error with this status and body code (NULL = any code). */
static inline int it_http(int rc, const axr_client_error_t *err, int status, const char *code)
{
	return rc != 0 && err->kind == AXR_CLIENT_ERR_HTTP && err->status == status &&
	       (code == NULL || (err->code && strcmp(err->code, code) == 0));
}

/* A local (nothing sent) validation error with a field error at `path`. */
static inline int it_local_invalid(int rc, const axr_client_error_t *err, const char *path)
{
	return rc == AXR_EVALIDATION && err->kind == AXR_CLIENT_ERR_LOCAL && it_has_path(err, path);
}

#endif
