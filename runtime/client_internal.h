/* client_internal.h: state shared by the client_*.c files (not installed). */
#ifndef AXR_CLIENT_INTERNAL_H
#define AXR_CLIENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "client.h"
#include "http.h"
#include "op.h"
#include "validate.h"

struct addrinfo;
struct event;

/* ---- where requests go ---------------------------------------------------- */

enum { AXR__ORIGIN_BASE = 0, AXR__ORIGIN_REFRESH = 1, AXR__ORIGIN_COUNT = 2 };

typedef struct axr__origin {
	char *host;          /* NULL: unused; IPv6 literals without brackets */
	char port[8];
	char *host_header;   /* the Host header value */
	char *prefix;        /* path prefix without a trailing '/' ("" or "/v1") */
	struct addrinfo *ai; /* resolved addresses; NULL until needed, dropped on failure */
} axr__origin_t;

/* Parses "http://host[:port][/prefix]" into `o` (malloc'd strings).
 * 0, AXR_EINVAL, AXR_ENOMEM. */
int axr__origin_parse(axr__origin_t *o, const char *url);
void axr__origin_clear(axr__origin_t *o);

/* An idle keep-alive connection in the pool. */
typedef struct axr__idle {
	int fd;
	int origin;
	double since; /* monotonic seconds */
	struct axr__idle *next;
} axr__idle_t;

typedef struct axr__call axr__call_t;

struct axr_client {
	long connect_timeout_ms, timeout_ms, idle_timeout_ms;
	int pool_size;
	size_t max_response;
	unsigned flags;
	char *user_agent;
	axr__origin_t origins[AXR__ORIGIN_COUNT];
	axr__idle_t *idle; /* most recently used first */
	int n_idle;
	char *token;
	char *refresh;
	/* refresh settings (one malloc'd block per string) */
	int refresh_origin;
	char *refresh_path; /* target under the refresh origin, prefix included */
	char *refresh_request_field, *refresh_token_field, *refresh_refresh_field, *refresh_expires_field;
	axr_client_tokens_cb on_tokens;
	void *tokens_ud;
	axr__call_t *refreshing; /* the refresh in flight, NULL when none */
	axr__call_t *calls;      /* every call in flight (doubly linked) */
	struct event_base *base; /* the loop of blocking calls, made when first needed */
	axr_client_stats_t stats;
	uint64_t rng;
	bool freeing;
};

/* ---- one HTTP exchange on one connection (client_transport.c) ------------- */

#define AXR__CLIENT_MAX_HEADERS 100
#define AXR__CLIENT_MAX_HEAD (64 * 1024)

typedef struct axr__resp_header {
	uint32_t name_off, name_len, value_off, value_len; /* into the receive buffer */
} axr__resp_header_t;

/* A parsed response head. */
typedef struct axr__head {
	int status;
	int minor_version;
	int64_t content_length; /* -1 when absent */
	bool chunked;
	bool close;      /* Connection: close (or HTTP/1.0 without keep-alive) */
	size_t n_headers;
	axr__resp_header_t headers[AXR__CLIENT_MAX_HEADERS];
} axr__head_t;

/*
 * Parses a response head at the start of buf[0..len). Returns its length
 * (final CRLFCRLF included) when complete, 0 when more bytes are needed,
 * AXR_EPARSE when malformed (the status line, a header line, a bad or
 * conflicting Content-Length, a Transfer-Encoding other than chunked),
 * AXR_ETOOBIG when the head exceeds AXR__CLIENT_MAX_HEAD or has too many
 * headers. Lines end in CRLF.
 */
long axr__client_parse_head(const char *buf, size_t len, axr__head_t *h);

/* The value of header `name` (any case) in a parsed head, or NULL. */
const char *axr__head_get(const axr__head_t *h, const char *buf, const char *name, size_t *len);

typedef struct axr__exchange axr__exchange_t;

struct axr__exchange {
	axr_client_t *c;
	struct event_base *base;
	int origin;
	int method;
	bool retry_ok;    /* may be sent again on a fresh connection */
	long timeout_ms;
	axr_buf_t req;    /* the serialized request, filled by the caller */
	/* called once from the loop: 0 with head + body, or a network error
	 * with `why` saying what happened */
	void (*done)(axr__exchange_t *x, int rc);

	/* transport state */
	int fd;
	bool reused;
	bool active;
	int state;
	int pending_rc;   /* an error found before the loop ran */
	size_t ai_index;
	size_t sent;
	axr_buf_t in;
	size_t head_len;
	size_t body_len;  /* decoded body bytes at in.data + head_len */
	axr_http_chunked_t chunked;
	struct event *rev, *wev, *timer;
	axr__head_t head;
	char why[160];
};

/* Starts sending x->req (complete except for nothing: the caller wrote
 * every byte). Returns 0 (x->done will be called from the loop) or
 * AXR_ENOMEM (nothing started). */
int axr__exchange_start(axr__exchange_t *x);

/* Stops an exchange without calling done, closing its connection. */
void axr__exchange_cancel(axr__exchange_t *x);

/* Frees the buffers of a finished or cancelled exchange. */
void axr__exchange_release(axr__exchange_t *x);

/* The decoded body of a finished exchange. */
static inline const char *axr__exchange_body(const axr__exchange_t *x)
{
	return x->in.data ? x->in.data + x->head_len : "";
}

/* Closes every pooled connection. */
void axr__pool_clear(axr_client_t *c);

/* ---- errors (client_error.c) ---------------------------------------------- */

/* Fills `err` for a failure of `kind` with a printf message (in `arena`;
 * a static text when out of memory). Returns rc. `err` may be NULL. */
int axr__client_fail(axr_client_error_t *err, axr_arena_t *arena, axr_client_error_kind_t kind, int rc,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Copies validation errors into `err` (kind LOCAL, AXR_EVALIDATION). */
int axr__client_fail_validation(axr_client_error_t *err, axr_arena_t *arena, const axr_verrors_t *errs,
                                const char *message);

/* Maps an error answer's status (and body code) to the call's code. */
int axr__client_status_rc(int status, const char *code);

/* Makes a NULL-arena call's result: a copy of `msg` whose hidden header
 * remembers `arena`, so axr_client_result_free() can free it. NULL on OOM. */
ProtobufCMessage *axr__client_result_adopt(axr_arena_t *arena, const ProtobufCMessage *msg);

/* ---- requests (client_async.c) ------------------------------------------------ */

/* An operation's request, ready to be serialized per attempt. */
typedef struct axr__req {
	int method;
	const char *target;       /* prefix + path + query */
	axr_buf_t headers;        /* extra header lines, each ending in CRLF */
	const void *body;
	size_t body_len;
	axr_buf_t body_buf;       /* owns the body when the client encoded it */
	const char *content_type; /* NULL when no body */
	const char *accept;
	bool idempotent;          /* safe to send twice */
	bool anonymous;
} axr__req_t;

void axr__req_free(axr__req_t *r);

/* Appends "Name: value\r\n" after checking both can go in a header.
 * 0 or AXR_EINVAL. An Idempotency-Key makes the request safe to resend. */
int axr__req_header(axr__req_t *r, const char *name, const char *value);

/* ---- operation encoding and decoding (client_call.c) ---------------------- */

/* Encodes `input` for `route` into `r` (target in `arena`): parameters,
 * body, validation. 0 or a LOCAL error in `err`. */
int axr__call_encode(axr_client_t *c, const axr_route_t *route, const ProtobufCMessage *input, unsigned flags,
                     axr_arena_t *arena, axr__req_t *r, axr_client_error_t *err);

/* Appends n (name, value) pairs, percent-encoded, to r->target (a new
 * string in `arena`). 0, AXR_EINVAL (an empty name), AXR_ENOMEM. */
int axr__req_add_query(axr__req_t *r, const char *const *pairs, size_t n, axr_arena_t *arena);

/* Decodes a success answer of `op` into *out (in `arena`). 0 or an HTTP
 * error (AXR_EPARSE) in `err`. */
int axr__call_decode(const axr_op_t *op, const axr_client_response_t *resp, axr_arena_t *arena,
                     ProtobufCMessage **out, axr_client_error_t *err);

/* ---- calls in flight (client_async.c) -------------------------------------- */

/* How a call ends: typed (decode into a message), raw (the response). */
enum { AXR__CALL_TYPED = 0, AXR__CALL_RAW = 1, AXR__CALL_REFRESH = 2 };

struct axr__call {
	axr_client_t *c;
	int kind;                 /* AXR__CALL_* */
	struct event_base *base;
	bool blocking;
	const axr_op_t *op;
	axr_arena_t *arena;       /* the caller's, or own_arena */
	axr_arena_t *own_arena;   /* NULL-arena calls */
	axr__req_t req;
	char request_id[65];
	long timeout_ms;
	axr__exchange_t x;
	char *token_sent;         /* the access token this attempt carried (malloc) */
	bool refreshed;           /* already retried after a refresh */
	bool stale_retried;
	bool done;
	int rc;
	ProtobufCMessage *out;
	bool adopted;             /* out owns own_arena (axr_client_result_free) */
	axr_client_response_t resp;
	axr_client_response_t *resp_out; /* axr_client_call_opts_t.response, filled at the end */
	int64_t *total_out;        /* axr_client_call_opts_t.total (typed calls), filled by decode */
	axr_client_error_t err;
	axr_client_cb cb;
	void *ud;
	int (*decode)(axr__call_t *call); /* typed calls: the answer into call->out */
	axr__call_t *prev, *next; /* c->calls */
	axr__call_t *wait_next;   /* calls waiting for the refresh */
	axr__call_t *waiters;     /* on the refresh call: who waits */
};

/* Sends (or sends again) the call's request on a new exchange. 0 or
 * AXR_ENOMEM. */
int axr__call_send(axr__call_t *call);

/* Ends `call` with `rc` (err already filled on failure): hands results to
 * the waiter or the callback, unlinks and frees the call. */
void axr__call_finish(axr__call_t *call, int rc);

/* client_refresh.c: a 401 arrived for `call`. Returns true when the call
 * was taken care of (retried now, or waiting for a refresh), false when it
 * must report its 401. */
bool axr__refresh_on_401(axr__call_t *call);

/* Frees a call that will not be finished (the refresh call, a cancelled
 * one), with whatever it holds. */
void axr__call_discard(axr__call_t *call);

/* The refresh call ended: rc != 0 when no answer came, else `resp`. Frees
 * it, updates the tokens, resumes or fails the calls that waited. */
void axr__refresh_answer(axr__call_t *r, int rc, const axr_client_response_t *resp);

/* Makes a call (typed, raw or refresh) on `base`, linked in c->calls. */
axr__call_t *axr__call_new(axr_client_t *c, struct event_base *base, int kind, axr_arena_t *arena);

/* Applies per-call settings (timeout, request id, headers). 0 or a LOCAL
 * error in call->err. */
int axr__call_options(axr__call_t *call, const axr_client_call_opts_t *opts);

/* Ends a call that never went on the wire with `rc` (call->err filled)
 * and hands the error to the caller. Returns rc. */
int axr__call_abort(axr__call_t *call, int rc, ProtobufCMessage **out, axr_client_error_t *err);

/* Sends a prepared call and runs the client's loop until it ends; hands
 * the results over and frees the call. Returns the call's code. */
int axr__call_run(axr__call_t *call, ProtobufCMessage **out, axr_client_response_t *resp, axr_client_error_t *err);

/* Fills `err` for bad arguments. Returns AXR_EINVAL. */
int axr__client_bad_args(axr_client_error_t *err, const char *what);

/* A random 16-hex-digit request id. */
void axr__client_request_id(axr_client_t *c, char out[17]);

/* The event loop of blocking calls (made on first use); NULL on OOM. */
struct event_base *axr__client_base(axr_client_t *c);

#endif
