/* request.h: what a handler sees of a request, and how it answers. */
#ifndef AXR_REQUEST_H
#define AXR_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "http.h"
#include "router.h"

typedef struct axr_worker axr_worker_t;
typedef struct axr__conn axr__conn_t;
typedef struct axr__header_out axr__header_out_t;

/* One field-level problem in an error body: {"path":"/email","message":".."}. */
typedef struct axr_field_error {
	const char *path;    /* JSON Pointer into the request ("" for the root) */
	const char *message;
} axr_field_error_t;

/*
 * A request as handlers see it. Everything reachable from it lives in
 * `arena` and dies when the response has been written: handlers never free
 * what the runtime gave them, and allocate their own scratch from `arena`.
 * All strings are NUL-terminated.
 */
struct axr_request {
	axr_arena_t *arena;
	int method;                  /* enum axr_http_method */
	const char *path;            /* raw path, still percent-encoded */
	const char *query;           /* raw query string, NULL when absent */
	size_t nheaders;
	axr_http_header_t *headers;  /* names and values NUL-terminated */
	const char *body;            /* NUL-terminated copy; NULL when empty */
	size_t body_len;
	const axr_route_t *route;
	int route_index;
	size_t nparams;
	axr_route_param_t params[AXR_ROUTER_MAX_PARAMS]; /* values percent-decoded */
	char request_id[65];
	double start;                /* monotonic seconds when the head arrived */
	const void *auth;            /* verified token claims, NULL if anonymous */
	const char *user_uid;        /* caller's uid from the token, or NULL */
	void *input;                 /* typed, validated input (generated code) */
	int format;                  /* response format: 0 JSON, 1 protobuf (Accept) */
	axr_worker_t *worker;        /* NULL for inline routes */
	const char *error_reason;    /* internal detail for the log, never sent */

	/* The response being built. */
	int status;                  /* 0 until set */
	const char *content_type;    /* default application/json when a body exists */
	axr_buf_t body_out;
	axr__header_out_t *headers_out;

	/* Runtime internals. */
	axr__conn_t *conn;
	struct axr_request *next;
};

/* Returns the first value of header `name` (any case), or NULL. */
const char *axr_request_header(const axr_request_t *req, const char *name);

/* Returns the decoded value of path parameter `name`, or NULL. */
const char *axr_request_param(const axr_request_t *req, const char *name);

/*
 * Looks up query parameter `name`: returns its i-th occurrence (0-based),
 * percent-decoded ('+' as space) into the arena, or NULL when absent.
 */
const char *axr_request_query(axr_request_t *req, const char *name, int i);

/* Sets the status and adds a header (copied into the arena). 0 or AXR_ENOMEM. */
int axr_response_header(axr_request_t *req, const char *name, const char *value);

/* Sets status and body (copied). `content_type` NULL means application/json. */
int axr_response_send(axr_request_t *req, int status, const char *content_type,
                      const void *body, size_t len);

/*
 * Sets an error response in the platform's format:
 *   {"status":409,"code":"CONFLICT","message":"...","errors":[{"path":..,"message":..}]}
 * `code` NULL derives it from the status. Adds `WWW-Authenticate: Bearer
 * error="invalid_token"` for 401 and Retry-After for 429 and 503 (the
 * server's AXR_RETRY_AFTER), each unless the response carries that header
 * already: set it first to say exactly when, or which challenge. Returns 0 or
 * AXR_ENOMEM.
 */
int axr_response_error(axr_request_t *req, int status, const char *code, const char *message,
                       const axr_field_error_t *errors, size_t nerrors);

/* The same for an axr_err code: status and code come from the error list. */
int axr_response_from_err(axr_request_t *req, int err, const char *message);

/*
 * The client's address as text: the X-Real-IP header when the peer is a
 * trusted proxy (loopback, or listed in AXR_TRUSTED_PROXIES as addresses or
 * IPv4 CIDR blocks), else the peer itself. "" when unknown. Never NULL.
 */
const char *axr_request_client_addr(const axr_request_t *req);

/* Monotonic clock in seconds. */
double axr_now(void);

#endif
