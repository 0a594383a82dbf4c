/* http.h: a strict, allocation-free HTTP/1.1 request-head parser. */
#ifndef AXR_HTTP_H
#define AXR_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The parser works on the bytes received so far and never allocates: names
 * and values point into the caller's buffer. It is strict on purpose, since
 * it stands behind a proxy and must not disagree with it about where a
 * request ends (request smuggling):
 *   - lines end in CRLF; a bare LF or CR is an error;
 *   - NUL and other control characters in the head are errors;
 *   - obsolete line folding and whitespace before ':' are errors;
 *   - Content-Length must be digits only and appear once;
 *   - Transfer-Encoding must be exactly "chunked" and excludes Content-Length;
 *   - HTTP/1.1 requests must carry exactly one Host.
 */

enum axr_http_method {
	AXR_HTTP_GET,
	AXR_HTTP_HEAD,
	AXR_HTTP_POST,
	AXR_HTTP_PUT,
	AXR_HTTP_PATCH,
	AXR_HTTP_DELETE,
	AXR_HTTP_OPTIONS,
	AXR_HTTP_METHOD_COUNT
};

#define AXR_HTTP_MAX_HEADERS 100

typedef struct axr_http_header {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
} axr_http_header_t;

typedef struct axr_http_head {
	int method;             /* enum axr_http_method */
	const char *target;     /* request-target as sent (origin-form) */
	size_t target_len;
	const char *path;       /* target up to '?' */
	size_t path_len;
	const char *query;      /* after '?', NULL when absent */
	size_t query_len;
	int minor_version;      /* HTTP/1.<minor> */
	size_t head_len;        /* bytes of the head, final CRLFCRLF included */
	size_t nheaders;
	int64_t content_length; /* -1 when absent */
	unsigned chunked : 1;
	unsigned keep_alive : 1;
	unsigned expect_continue : 1;
	unsigned upgrade : 1;   /* Connection: upgrade and an Upgrade header */
	axr_http_header_t headers[AXR_HTTP_MAX_HEADERS]; /* last: parse clears what precedes it */
} axr_http_head_t;

/* Result of axr_http_parse_head(): > 0 the head is complete (its length),
 * 0 more bytes are needed, < 0 the head is invalid: the negation is the HTTP
 * status to answer (400, 405, 413, 414, 431, 501, 505) and `*why` says why. */
ssize_t axr_http_parse_head(const char *buf, size_t len, size_t max_head,
                            axr_http_head_t *out, const char **why);

/* For a head that arrives in pieces: is a parse worth it yet? Returns 1 when
 * axr_http_parse_head() has something to decide on buf[0..len) (the blank
 * line that ends the head arrived, a line ends in a bare LF or CR, or a size
 * limit is crossed), 0 while it would only ask for more bytes. `*checked`
 * carries what was examined from one call to the next: 0 for a new head.
 * Each call looks only at the bytes after it (and 3 before), so a head sent
 * a byte at a time costs linear time, not a full parse per read (which cost
 * 0.8 to 2.5 s of CPU for one 16 KiB head, depending on its line lengths). */
int axr_http_head_ready(const char *buf, size_t len, size_t max_head, size_t *checked);

/* Returns the header's value (not NUL-terminated, length in *len), or NULL.
 * Names compare case-insensitively; the first occurrence wins. */
const char *axr_http_header(const axr_http_head_t *h, const char *name, size_t *len);

/* Method names ("GET", ...) by enum value; NULL for out-of-range values. */
const char *axr_http_method_name(int method);

/* Standard reason phrase for a status code ("Not Found"); "Unknown" if none. */
const char *axr_http_reason(int status);

/*
 * Chunked body decoder. Feed it the bytes after the head; it decodes in place
 * (the decoded body is written at the start of the buffer). Trailers are
 * skipped. Strict: hex sizes only, chunk extensions ignored, CRLF required.
 */
typedef struct axr_http_chunked {
	int state;
	uint64_t remaining; /* bytes left in the current chunk */
	size_t decoded;     /* decoded bytes at the start of the buffer */
	size_t consumed;    /* raw bytes consumed */
	unsigned size_digits;
} axr_http_chunked_t;

/* Decodes as much of buf[consumed..len) as possible. Returns 1 when the body
 * is complete, 0 when more input is needed, AXR_EPARSE on malformed input,
 * AXR_ETOOBIG when the decoded body would exceed `max_body`. */
int axr_http_chunked_decode(axr_http_chunked_t *c, char *buf, size_t len, size_t max_body);

#endif
