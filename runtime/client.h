/* client.h: the generic HTTP client that generated client stubs wrap. */
#ifndef AXR_CLIENT_H
#define AXR_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "arena.h"
#include "router.h"

struct event_base;

/*
 * A client calls the operations of one service (or of the gateway) at a
 * base URL. It is driven by the same tables as the server: an operation is
 * an axr_route_t (method + path template) whose `op` is the generated
 * axr_op_t (parameters, input message, body and response payloads, success
 * status). Generated stubs (generated/<svc>/<svc>_client.{h,c}) are thin typed
 * wrappers over axr_client_call() and axr_client_call_async().
 *
 * A call turns the typed input message into an HTTP/1.1 request: path
 * parameters fill the template (percent-encoded), query parameters follow
 * their style (form, exploded or not, space- or pipe-delimited), header and
 * cookie parameters become headers, and the `body` field becomes the JSON
 * body (or protobuf with AXR_CLIENT_PROTOBUF). Unless AXR_CLIENT_NO_VALIDATE
 * is set, parameters and body are validated against the operation's schema
 * tables before anything is sent, exactly as the server will. The answer is
 * checked against the operation's success status and decoded into the
 * output message; an error answer is parsed from the platform's error body
 * {"status","code","message","errors":[{"path","message"}]}.
 *
 * Connections are HTTP/1.1 keep-alive and are reused: a client keeps up to
 * `pool_size` idle connections, checks that a pooled connection is still
 * open before reusing it, and retries a request once on a fresh connection
 * when a reused one turns out to be closed before any answer arrived (only
 * when that is safe: idempotent methods, requests with an Idempotency-Key,
 * or requests that were not completely sent).
 *
 * THREADS. A client is used by one thread at a time, like a FILE without
 * locks: its blocking calls, the async calls it has in flight and the event
 * loops those run on belong to that thread. Use one client per thread.
 *
 * NAME RESOLUTION. The host of the base URL is resolved (getaddrinfo, which
 * may block) when the first connection is opened and again after a connect
 * failure; numeric addresses never block.
 *
 * MEMORY: ONE RULE. Everything a call returns lives in one arena:
 *   - When the caller passes an arena, the output message and every string
 *     of the error live in it; freeing or resetting that arena frees them.
 *     Nothing else is to be freed (axr_client_error_free() is a no-op then).
 *   - When the caller passes NULL, the call makes an arena of its own: the
 *     output message owns it and axr_client_result_free(out) frees the
 *     message with everything it points to; a failed call's error owns it and
 *     axr_client_error_free(err) frees it.
 * Messages the client made are arena memory: never call
 * protobuf_c_message_free_unpacked() on them. The client never keeps a
 * pointer to the caller's input message after a call returned.
 *
 * ERRORS. Every function returns 0 or a negative axr_err code (err.h). A
 * failed call also fills an axr_client_error_t whose `kind` says where it
 * failed:
 *   AXR_CLIENT_ERR_LOCAL    nothing was sent: bad arguments (AXR_EINVAL),
 *                           client-side validation (AXR_EVALIDATION, with
 *                           field errors), out of memory;
 *   AXR_CLIENT_ERR_NETWORK  no complete answer: connection refused or reset,
 *                           DNS (AXR_EIO), timed out (AXR_ETIMEOUT), closed
 *                           by the server mid-answer (AXR_ECLOSED), an answer
 *                           that is not HTTP/1.x (AXR_EPARSE) or is larger
 *                           than max_response (AXR_ETOOBIG);
 *   AXR_CLIENT_ERR_HTTP     the server answered: `status` >= 400 with the
 *                           parsed body (the code is the body's `code` when
 *                           it names an axr_err with that status, else the
 *                           status's: 404 AXR_ENOTFOUND, 409 AXR_ECONFLICT,
 *                           ...), or an answer the operation does not allow
 *                           (a 3xx, a 2xx other than the
 *                           operation's for a bodiless operation or
 *                           without a body, an undecodable body:
 *                           AXR_EPARSE; another 2xx with a body is
 *                           decoded as the operation's answer, as the
 *                           server sends it: axr_op_respond). HTTP errors never use AXR_EIO,
 *                           AXR_ETIMEOUT or AXR_ECLOSED.
 */
typedef struct axr_client axr_client_t;

enum axr_client_flags {
	AXR_CLIENT_PROTOBUF = 1u << 0,    /* bodies and answers as application/x-protobuf */
	AXR_CLIENT_NO_VALIDATE = 1u << 1, /* send without client-side validation */
	AXR_CLIENT_OMIT_READ_ONLY = 1u << 2, /* leave the body's top-level readOnly members (uid,
	                                       dateCreated, version, ...: server-owned) out of
	                                       the request, so a message read from the server
	                                       can be sent back changed; without it they are a
	                                       validation error (AXR_EVALIDATION, "is read-only") */
};

typedef struct axr_client_options {
	const char *base_url;    /* "http://host[:port][/prefix]" (required; port 80 by default) */
	long connect_timeout_ms; /* to establish a connection; 0 = 5000 */
	long timeout_ms;         /* longest wait for the server to take request bytes or
	                            send answer bytes (a read/write timeout); 0 = 30000 */
	long idle_timeout_ms;    /* pooled connections idle longer are closed, not reused;
	                            0 = 30000 (servers close theirs after 75 s) */
	int pool_size;           /* idle keep-alive connections kept; 0 = 4, < 0 = none */
	size_t max_response;     /* largest answer body accepted; 0 = 64 MiB */
	unsigned flags;          /* enum axr_client_flags, for every call */
	const char *user_agent;  /* NULL = "axr-client/1" */
} axr_client_options_t;

/*
 * Creates a client (copies every option; nothing is connected yet). Returns
 * 0 and *out; AXR_EINVAL when the base URL is not "http://host[:port][/path]"
 * (https is not supported: put the client behind the gateway's plain port or
 * a local TLS proxy) or an option is out of range; AXR_ENOMEM. Free with
 * axr_client_free().
 */
int axr_client_new(const axr_client_options_t *opts, axr_client_t **out);

/*
 * Closes every connection and frees the client. Async calls still in flight
 * are cancelled: their callbacks run, from inside this function, with
 * AXR_ECLOSED (kind NETWORK) and must not use the client. NULL is a no-op.
 */
void axr_client_free(axr_client_t *c);

/*
 * Sets the access token sent as "Authorization: Bearer <token>" (copied;
 * NULL or "" removes it). Returns 0, AXR_EINVAL when the token holds
 * characters a header cannot carry (controls, spaces), AXR_ENOMEM.
 */
int axr_client_set_token(axr_client_t *c, const char *token);

/* The current access token (the client's copy: valid until the token
 * changes by axr_client_set_token() or a refresh), or NULL. */
const char *axr_client_token(const axr_client_t *c);

/* Where and how tokens are refreshed; NULL members take the defaults, which
 * follow the account service's POST /auth/refresh. */
typedef struct axr_client_refresh_opts {
	const char *url;           /* a path under the base URL ("/auth/refresh") or an
	                              absolute "http://host:port/path" */
	const char *request_field; /* body member carrying the refresh token: "refresh" */
	const char *token_field;   /* answer member with the new access token: "token" */
	const char *refresh_field; /* answer member with the new refresh token: "refresh" */
	const char *expires_field; /* answer member with the token's lifetime (s): "expiresIn" */
} axr_client_refresh_opts_t;

/* Told about token changes the client made itself: after a refresh (the new
 * pair; `expires_in` in seconds, -1 when the answer had none), or with
 * NULL, NULL, 0 when the refresh token was refused and has been dropped.
 * The strings are valid during the call only. */
typedef void (*axr_client_tokens_cb)(const char *token, const char *refresh, long expires_in, void *ud);

/*
 * Turns on automatic refresh: when an answer is 401 and a refresh token is
 * set, the client posts {"<request_field>": "<refresh token>"} to the
 * refresh URL, takes the new access and refresh tokens from the answer and
 * sends the failed request once more. One refresh runs at a time: calls
 * that get a 401 meanwhile wait for it (refresh tokens are single-use, and
 * presenting one twice revokes its family). A call whose token was already
 * replaced is simply retried. When the refresh fails, the call reports its
 * own 401; an answer of 400 or 401 to the refresh drops the refresh token.
 * A blocking call that gets a 401 while an async refresh is in flight on
 * another loop reports its 401 without waiting.
 *
 * `refresh_token` is copied (NULL turns refresh off); `opts` may be NULL;
 * `on_tokens` (may be NULL) is told about every change. Returns 0,
 * AXR_EINVAL (bad URL, or a token a JSON string cannot carry as is),
 * AXR_EBUSY while a refresh is in flight, AXR_ENOMEM.
 */
int axr_client_set_refresh(axr_client_t *c, const char *refresh_token, const axr_client_refresh_opts_t *opts,
                           axr_client_tokens_cb on_tokens, void *ud);

/* The current refresh token (the client's copy, valid until it changes), or NULL. */
const char *axr_client_refresh_token(const axr_client_t *c);

/* Counters since the client was made, for tests and diagnostics. */
typedef struct axr_client_stats {
	unsigned long connects;  /* connections opened */
	unsigned long reuses;    /* requests sent on a pooled connection */
	unsigned long requests;  /* HTTP requests sent (retries and refreshes included) */
	unsigned long retries;   /* requests sent again after a stale connection */
	unsigned long refreshes; /* successful token refreshes */
} axr_client_stats_t;

void axr_client_get_stats(const axr_client_t *c, axr_client_stats_t *out);

/* ---- errors ------------------------------------------------------------ */

typedef enum axr_client_error_kind {
	AXR_CLIENT_ERR_NONE = 0,
	AXR_CLIENT_ERR_LOCAL,   /* nothing was sent */
	AXR_CLIENT_ERR_NETWORK, /* no complete answer arrived */
	AXR_CLIENT_ERR_HTTP,    /* the server answered, not with success */
} axr_client_error_kind_t;

/* One field-level problem: {"path":"/email","message":"..."}. */
typedef struct axr_client_field_error {
	const char *path;    /* JSON Pointer into the request ("" = all of it) */
	const char *message;
} axr_client_field_error_t;

/*
 * What went wrong in a failed call. After a failure every pointer is
 * either NULL (when so documented) or a NUL-terminated string in the
 * call's arena (see MEMORY above).
 */
typedef struct axr_client_error {
	int rc;                       /* the code the call returned */
	axr_client_error_kind_t kind;
	int status;                   /* HTTP status of the answer; 0 when none arrived */
	const char *code;             /* the body's "code" ("NOTFOUND", "VALIDATION"), or
	                                 axr_errname(rc) when the body had none (never NULL) */
	const char *message;          /* the body's "message", or what went wrong (never NULL) */
	const axr_client_field_error_t *errors; /* the body's "errors" (or the client-side
	                                           validation's), n_errors of them */
	size_t n_errors;
	const char *request_id;       /* X-Request-Id of the answer, else of the request; may be NULL */
	long retry_after;             /* seconds from Retry-After (429, 503), -1 when absent */
	const char *body;             /* kind HTTP: the answer's body as received (NUL-terminated,
	                                 body_len bytes), for members beyond code/message/errors
	                                 (the economy's 409 carries the FAILED `transaction`);
	                                 NULL when the answer had none or for other kinds */
	size_t body_len;
	axr_arena_t *owned;           /* the arena the error owns (NULL-arena calls only) */
} axr_client_error_t;

/* Frees what a failed NULL-arena call left in `err` and zeroes it. A no-op
 * for errors whose strings live in the caller's arena, and for NULL. */
void axr_client_error_free(axr_client_error_t *err);

/* ---- typed operation calls ----------------------------------------------- */

/* Per-call settings; every call also accepts NULL. */
typedef struct axr_client_call_opts {
	unsigned flags;            /* enum axr_client_flags, or-ed with the client's */
	long timeout_ms;           /* replaces the client's timeout_ms for this call; 0 = keep */
	const char *request_id;    /* X-Request-Id to send ([A-Za-z0-9._-]{1,64}); NULL = random */
	const char *const *headers;/* extra headers: name, value, name, value, ... */
	size_t n_headers;          /* number of (name, value) pairs */
	/* Extra query parameters, name, value, name, value, ...: percent-encoded and
	 * appended after the operation's own (e.g. the query language's filters of
	 * list operations, "progress", "gte(5)", which have no member in the input).
	 * Not validated; an empty name is AXR_EINVAL. */
	const char *const *query;
	size_t n_query;            /* number of (name, value) pairs */
	/* When non-NULL, filled once an answer arrived (whatever its status): the
	 * status and the headers (ETag, X-Total-Count, Retry-After, ...) of the final
	 * answer; the body is not kept (body "", body_len 0). The strings live in the
	 * call's arena, so only calls given an arena get the headers (a NULL-arena
	 * call fills the status only). Async calls fill it just before the callback:
	 * it must outlive the call. Status 0: no answer arrived. */
	struct axr_client_response *response;
	/* Typed calls (axr_client_send ignores it): when non-NULL, the success answer
	 * must carry X-Total-Count (what a count operation, HEAD /entries, answers) and
	 * *total gets its value. *total is -1 from the start of the call until a
	 * success fills it; async calls fill it before the callback runs (it must
	 * outlive the call). NULL arenas work too (the header is read before the call's
	 * own arena is handed over). A missing X-Total-Count, or one that is not a
	 * decimal integer 0..INT64_MAX, fails the call: AXR_EPARSE of kind HTTP with
	 * the answer's status. Generated count stubs set it from their `total`. */
	int64_t *total;
} axr_client_call_opts_t;

/*
 * Calls the operation `route->op` (an axr_op_t) with `input` (a message of
 * type op->input; NULL when the operation has neither parameters nor body)
 * and waits for the answer, running the client's own event loop.
 *
 * On success returns 0 and sets *out to the output message (of type
 * op->response.message), or NULL when the operation answers no body (`out`
 * may then be NULL). On failure returns a negative code, leaves *out NULL
 * and fills `err` (may be NULL) as described above.
 *
 * `arena`: where the result and the error live; NULL = their own (MEMORY).
 */
int axr_client_call(axr_client_t *c, const axr_route_t *route, const ProtobufCMessage *input,
                    ProtobufCMessage **out, axr_arena_t *arena, axr_client_error_t *err);

/* axr_client_call() with per-call settings (`opts` may be NULL). */
int axr_client_call_opts(axr_client_t *c, const axr_route_t *route, const ProtobufCMessage *input,
                         const axr_client_call_opts_t *opts, ProtobufCMessage **out, axr_arena_t *arena,
                         axr_client_error_t *err);

/*
 * Called once when an async call ends. `rc` is 0 or the error; `out` is the
 * output message (NULL on error or for bodiless answers); `err` is never
 * NULL: zeroed on success, filled on failure. The struct `*err` is valid
 * during the callback only (its strings live as MEMORY says, except that
 * after a NULL-arena call the client frees the error's arena once the
 * callback returns). A NULL-arena call's `out` belongs to the callback:
 * free it with axr_client_result_free().
 */
typedef void (*axr_client_cb)(int rc, ProtobufCMessage *out, axr_client_error_t *err, void *ud);

/*
 * Starts the call on `base` (the caller runs the loop) and returns at once.
 * Several calls may be in flight, each on its own connection. Returns 0
 * when the call started: `cb` will then be called exactly once, from the
 * loop, never from inside this function. Returns a negative code when the
 * call could not start (bad arguments, client-side validation, encoding,
 * out of memory): `err` (may be NULL) says why, as for axr_client_call(),
 * and `cb` is never called. `arena` (or NULL) must outlive the callback.
 */
int axr_client_call_async(axr_client_t *c, struct event_base *base, const axr_route_t *route,
                          const ProtobufCMessage *input, const axr_client_call_opts_t *opts, axr_arena_t *arena,
                          axr_client_error_t *err, axr_client_cb cb, void *ud);

/* Frees an output message of a NULL-arena call with everything it points
 * to. NULL is a no-op. Never call it on a message in the caller's arena. */
void axr_client_result_free(ProtobufCMessage *out);

/* ---- raw requests -------------------------------------------------------- */

/* A request without an operation table, for tools and tests. */
typedef struct axr_client_request {
	int method;                 /* enum axr_http_method */
	const char *target;         /* path and query under the base URL ("/users/me?x=1"),
	                               percent-encoded, starting with '/' */
	const char *const *headers; /* name, value pairs */
	size_t n_headers;
	const void *body;           /* may be NULL */
	size_t body_len;
	const char *content_type;   /* of the body; NULL = application/json */
	const char *accept;         /* NULL = application/json */
	bool anonymous;             /* do not send the access token (nor refresh it) */
} axr_client_request_t;

typedef struct axr_client_header {
	const char *name;
	const char *value;
} axr_client_header_t;

/* An answer; every string lives in the call's arena. */
typedef struct axr_client_response {
	int status;
	const char *content_type; /* NULL when absent */
	const char *request_id;   /* X-Request-Id, NULL when absent */
	const char *body;         /* NUL-terminated (a copy); "" when empty */
	size_t body_len;
	const axr_client_header_t *headers; /* as received, n_headers of them */
	size_t n_headers;
} axr_client_response_t;

/*
 * Sends `req` and waits for the answer, whatever its status (a 401 is
 * still refreshed and retried, as for typed calls). Returns 0 and fills
 * *resp (in `arena`, which is required), or a LOCAL or NETWORK error.
 */
int axr_client_send(axr_client_t *c, const axr_client_request_t *req, const axr_client_call_opts_t *opts,
                    axr_arena_t *arena, axr_client_response_t *resp, axr_client_error_t *err);

/* The first value of header `name` (any case) in `resp`, or NULL. */
const char *axr_client_response_header(const axr_client_response_t *resp, const char *name);

/*
 * Fills `err` (in `arena`) from an error answer as typed calls do: status,
 * the body's code, message and field errors when it is the platform's JSON
 * error body, the reason phrase otherwise. Returns the call's code (see
 * ERRORS) or AXR_ENOMEM. Exposed for tools that use axr_client_send().
 */
int axr_client_error_from_response(const axr_client_response_t *resp, axr_arena_t *arena,
                                   axr_client_error_t *err);

#endif
