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

/* The end of a program: frees its clients and its arena, answers it_exit_status(). */
static inline int it_done(axr_arena_t *arena, axr_client_t *const *clients, size_t n)
{
	for (size_t i = 0; i < n; i++)
		axr_client_free(clients[i]);
	axr_arena_free(arena);
	return it_exit_status();
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

/* The first line of one psql query on database URL `db` (psql -tA), without its newline, in a
 * static buffer (use at once); "(psql failed)" when psql could not run. */
static inline const char *it_sql(const char *db, const char *query)
{
	static char s[4096];
	char cmd[8192], q[6144];
	FILE *p;
	size_t n = 0;
	for (const char *c = query; *c && n + 5 < sizeof q; c++) /* ' inside '...' for sh */
		n += (size_t)(*c == '\'' ? snprintf(q + n, sizeof q - n, "'\\''") : snprintf(q + n, sizeof q - n, "%c", *c));
	q[n] = '\0';
	snprintf(cmd, sizeof cmd, "psql -X -q -t -A '%s' -c '%s' 2>&1", db, q);
	p = popen(cmd, "r");
	n = p ? fread(s, 1, sizeof s - 1, p) : 0;
	if (!p) {
		snprintf(s, sizeof s, "(psql failed)");
		return s;
	}
	pclose(p);
	s[n] = '\0';
	s[strcspn(s, "\n")] = '\0';
	return s;
}

/* it_sql() as a number (-1 when it is not one). */
static inline long long it_sql_num(const char *db, const char *query)
{
	const char *v = it_sql(db, query);
	char *end;
	long long n = strtoll(v, &end, 10);
	return end != v && *end == '\0' ? n : -1;
}

/* it_err() in one of 4 rotating buffers, so one message may quote several errors. */
static inline const char *it_e(int rc, const axr_client_error_t *err)
{
	static char s[4][512];
	static unsigned next;
	char *b = s[next++ % 4];
	snprintf(b, sizeof s[0], "%s", it_err(rc, err));
	return b;
}

/* Calls one route row with extra query parameters (`query`: name, value, ...; may be NULL) and
 * fills *ans with the answer's status and headers (opts.response). Returns the call's code. */
static inline int it_call_answer(axr_client_t *c, const axr_route_t *route, const ProtobufCMessage *in,
                                 const char *const *query, size_t n_query, ProtobufCMessage **out,
                                 axr_client_response_t *ans, axr_arena_t *arena, axr_client_error_t *err)
{
	axr_client_call_opts_t o = {.query = query, .n_query = n_query, .response = ans};
	memset(ans, 0, sizeof *ans);
	return axr_client_call_opts(c, route, in, &o, out, arena, err);
}

/* X-Total-Count of a count (HEAD) route row through the typed call's opts.response, or -1. */
static inline long it_count(axr_client_t *c, const axr_route_t *route, const char *const *query, size_t n_query,
                            axr_arena_t *arena)
{
	axr_client_response_t ans;
	axr_client_error_t err = {0};
	const char *v;
	if (it_call_answer(c, route, NULL, query, n_query, NULL, &ans, arena, &err) != 0)
		return -1;
	v = axr_client_response_header(&ans, "X-Total-Count");
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

/* The field-error paths of `err`, comma-separated (one of 4 rotating buffers). */
static inline const char *it_paths(const axr_client_error_t *err)
{
	static char bufs[4][512];
	static unsigned next;
	char *s = bufs[next++ % 4];
	size_t used = 0;
	s[0] = '\0';
	for (size_t i = 0; i < err->n_errors && used < sizeof bufs[0] - 1; i++) {
		int n = snprintf(s + used, sizeof bufs[0] - used, "%s%s", i ? "," : "", err->errors[i].path ? err->errors[i].path : "?");
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
