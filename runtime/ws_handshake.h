/* ws_handshake.h: RFC 6455 opening handshake: check an upgrade request, build the 101 answer. */
#ifndef AXR_WS_HANDSHAKE_H
#define AXR_WS_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"
#include "request.h"

/* A response header the caller must add (static strings). */
typedef struct axr_ws_header {
	const char *name;
	const char *value;
} axr_ws_header_t;

typedef struct axr_ws_handshake_config {
	/* Origins a browser may connect from. Empty (count 0) allows every
	 * origin. An entry is an exact origin ("https://play.example.com",
	 * compared case-insensitively), "*" (any origin), or a pattern with one
	 * "*" standing for host characters ([A-Za-z0-9.-]+, never "/", ":" or
	 * "@"): scheme "https", then "://", then "*.example.com" allows any
	 * subdomain of example.com over https on the default port, and not
	 * example.com itself. The strings are not copied. */
	const char *const *allowed_origins;
	size_t allowed_origins_count;
	/* Reject requests without Origin (403). Default false: only browsers
	 * send Origin, and the check exists to stop other sites' pages, so
	 * non-browser clients without it are let through. */
	bool require_origin;
} axr_ws_handshake_config_t;

#define AXR_WS_ACCEPT_LEN 28 /* base64 of a SHA-1 digest */
#define AXR_WS_RESPONSE_HEAD_MAX 160

/* What to answer. On failure the caller sends `status` with the `extra`
 * headers through its ordinary error path (JSON body, `reason` as message). */
typedef struct axr_ws_handshake {
	int status;          /* 101, or 400, 403, 405, 426 */
	const char *reason;  /* static text naming the problem; NULL on success */
	axr_ws_header_t extra[2]; /* headers the failure answer must carry */
	size_t extra_count;  /* 426: Sec-WebSocket-Version: 13 and Upgrade: websocket;
	                        405: Allow: GET; else 0 */
	char accept[AXR_WS_ACCEPT_LEN + 1]; /* Sec-WebSocket-Accept, on success */
} axr_ws_handshake_t;

/*
 * Checks an upgrade request (RFC 6455 section 4.2.1) and fills *out. `head`
 * is the request head as axr_http_parse_head() returned it (so header values
 * are already trimmed, and an HTTP/1.1 request has exactly one Host); repeated
 * Upgrade fields are read as one list. `config` NULL allows every origin.
 *
 * Returns 0 with out->status 101 and out->accept set when the request is a
 * valid websocket upgrade. Otherwise returns a negative code and sets
 * out->status / out->reason / out->extra:
 *   AXR_EMETHOD       405  method is not GET
 *   AXR_EINVAL        400  HTTP/1.0; Upgrade without the "websocket" token;
 *                          Connection without the "Upgrade" token;
 *                          Sec-WebSocket-Key missing, repeated, or not the
 *                          base64 of exactly 16 bytes (24 characters,
 *                          canonical padding); repeated Sec-WebSocket-Version
 *                          or Origin
 *   AXR_EUNSUPPORTED  426  Sec-WebSocket-Version missing or not 13
 *   AXR_EFORBIDDEN    403  Origin not in the allow-list (or missing when
 *                          require_origin)
 *   AXR_EINTERNAL     500  libcrypto failed computing the accept key
 * 405 is checked first, then the 400 cases, then 426, then 403: the answer
 * does not depend on header order. Nothing is allocated; `out` points only
 * at static strings.
 */
int axr_ws_handshake_check(const axr_ws_handshake_config_t *config, const axr_http_head_t *head,
                           axr_ws_handshake_t *out);

/*
 * The same check at handler time, on the request the server built (an
 * AXR_ROUTE_UPGRADE|AXR_ROUTE_INLINE route): its NUL-terminated headers, its
 * method and the HTTP version of its connection. Same results as
 * axr_ws_handshake_check(); only the first AXR_HTTP_MAX_HEADERS headers are
 * read (the server's parser never passes more).
 */
int axr_ws_handshake_check_request(const axr_ws_handshake_config_t *config, const axr_request_t *req,
                                   axr_ws_handshake_t *out);

/* Computes Sec-WebSocket-Accept for `key` (the header value as sent):
 * base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), NUL-terminated
 * into `out`. Returns 0; AXR_EINVAL when key_len > 92 (a valid key has 24);
 * AXR_EINTERNAL when libcrypto fails. */
int axr_ws_accept_key(const char *key, size_t key_len, char out[AXR_WS_ACCEPT_LEN + 1]);

/* Writes the raw 101 response head (status line, Upgrade, Connection,
 * Sec-WebSocket-Accept, empty line) for a successful check into `buf`
 * (`cap` bytes; AXR_WS_RESPONSE_HEAD_MAX is enough), NUL-terminated, and
 * its length without the NUL into *len. After sending it the connection
 * speaks websocket frames (see ws.h).
 * Errors: AXR_EINVAL when hs->status is not 101, AXR_ERANGE when `cap` is
 * too small. */
int axr_ws_handshake_response(const axr_ws_handshake_t *hs, char *buf, size_t cap, size_t *len);

/* Returns true when the `len` bytes of `origin` pass the allow-list in
 * `config` (NULL or an empty list allows all; origin NULL never passes a
 * non-empty list). */
bool axr_ws_origin_allowed(const axr_ws_handshake_config_t *config, const char *origin,
                           size_t len);

#endif
