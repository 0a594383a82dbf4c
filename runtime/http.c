/* http.c: a strict, allocation-free HTTP/1.1 request-head parser. */
#include "http.h"

#include <string.h>
#include <strings.h>

#include "err.h"

#define AXR__MAX_REQUEST_LINE 8192

static const char *const axr__methods[AXR_HTTP_METHOD_COUNT] = {
	[AXR_HTTP_GET] = "GET",         [AXR_HTTP_HEAD] = "HEAD",
	[AXR_HTTP_POST] = "POST",       [AXR_HTTP_PUT] = "PUT",
	[AXR_HTTP_PATCH] = "PATCH",     [AXR_HTTP_DELETE] = "DELETE",
	[AXR_HTTP_OPTIONS] = "OPTIONS",
};

const char *axr_http_method_name(int method)
{
	if (method < 0 || method >= AXR_HTTP_METHOD_COUNT)
		return NULL;
	return axr__methods[method];
}

/* RFC 9110 tchar. */
static int axr__is_tchar(unsigned char c)
{
	static const unsigned char table[256] = {
		['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
		['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
		['`'] = 1, ['|'] = 1, ['~'] = 1,
		['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
		['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
		['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
		['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
		['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
		['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
		['Y'] = 1, ['Z'] = 1,
		['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
		['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
		['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
		['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
		['y'] = 1, ['z'] = 1,
	};
	return table[c];
}

static int axr__lower_eq(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);
	return len == n && strncasecmp(s, lit, n) == 0;
}

/* Does the comma-separated token list `v` contain `token` (any case)? */
static int axr__list_has(const char *v, size_t len, const char *token)
{
	size_t i = 0;
	while (i < len) {
		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t start = i;
		while (i < len && v[i] != ',')
			i++;
		size_t end = i;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (end > start && axr__lower_eq(v + start, end - start, token))
			return 1;
	}
	return 0;
}

/* Is "chunked" the last element of the list `v`, and there only? */
static int axr__list_ends_chunked_once(const char *v, size_t len)
{
	size_t end = len;
	while (end > 0 && (v[end - 1] == ' ' || v[end - 1] == '\t'))
		end--;
	size_t start = end;
	while (start > 0 && v[start - 1] != ',')
		start--;
	size_t s = start;
	while (s < end && (v[s] == ' ' || v[s] == '\t'))
		s++;
	return axr__lower_eq(v + s, end - s, "chunked") && !axr__list_has(v, start, "chunked");
}

#define AXR__FAIL(status, reason) \
	do {                          \
		*why = (reason);          \
		return -(status);         \
	} while (0)

/* Checks the bytes received so far for a bare LF or CR, so a broken client
 * is answered at once instead of waiting for a CRLFCRLF that never comes. */
static int axr__has_bare_eol(const char *buf, size_t len)
{
	/* memchr jumps from one line end to the next: a head arriving a few
	 * bytes at a time is re-checked on each read, and a byte loop made
	 * that quadratic in CPU (about 50 us per read of a 16 KiB head). */
	const char *end = buf + len;
	for (const char *p = buf; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		if (p == buf || p[-1] != '\r')
			return 1;
	for (const char *p = buf; (p = memchr(p, '\r', (size_t)(end - p))) != NULL; p++)
		if (p + 1 < end && p[1] != '\n')
			return 1;
	return 0;
}

/* The first CRLFCRLF in buf[0..len), or NULL; memchr from CR to CR is
 * faster than memmem on a head with few line ends (see above). */
static const char *axr__find_blank_line(const char *buf, size_t len)
{
	const char *end = buf + len;
	for (const char *p = buf; (p = memchr(p, '\r', (size_t)(end - p))) != NULL; p++)
		if (end - p >= 4 && memcmp(p, "\r\n\r\n", 4) == 0)
			return p;
	return NULL;
}

/* The head in buf[0..len) is over `max_head`. Returns the answer: 401 when
 * the field that crosses the limit is Authorization (an oversized access
 * token is an invalid credential, RFC 6750 3.1, and says so to the client
 * that sent it), else 431. The request line is never that field. */
static ssize_t axr__oversized(const char *buf, size_t len, size_t max_head, const char **why)
{
	const char *end = buf + (len < max_head ? len : max_head);
	const char *line = memchr(buf, '\n', (size_t)(end - buf));
	while (line != NULL) {
		line++;
		const char *next = memchr(line, '\n', (size_t)(end - line));
		if (next == NULL)
			break; /* `line` is the field in progress at the limit */
		line = next;
	}
	static const char auth[] = "authorization:";
	if (line != NULL && (size_t)(buf + len - line) >= sizeof(auth) - 1 &&
	    strncasecmp(line, auth, sizeof(auth) - 1) == 0)
		AXR__FAIL(401, "Authorization header field too large");
	AXR__FAIL(431, "request header fields too large");
}

static ssize_t axr__parse_request_line(const char *p, const char *eol, axr_http_head_t *out,
                                       const char **why)
{
	const char *s = p;
	while (s < eol && axr__is_tchar((unsigned char)*s))
		s++;
	if (s == p || s == eol || *s != ' ')
		AXR__FAIL(400, "malformed request line");
	out->method = -1;
	for (int m = 0; m < AXR_HTTP_METHOD_COUNT; m++) {
		if ((size_t)(s - p) == strlen(axr__methods[m]) && memcmp(p, axr__methods[m], (size_t)(s - p)) == 0)
			out->method = m;
	}
	if (out->method < 0)
		AXR__FAIL(501, "method not implemented");

	const char *t = ++s;
	while (s < eol && *s != ' ') {
		unsigned char c = (unsigned char)*s;
		if (c <= 0x20 || c >= 0x7f)
			AXR__FAIL(400, "invalid character in request target");
		s++;
	}
	if (s == t || s == eol)
		AXR__FAIL(400, "malformed request line");
	if (*t != '/' && !(s - t == 1 && *t == '*' && out->method == AXR_HTTP_OPTIONS))
		AXR__FAIL(400, "request target must be in origin form");
	out->target = t;
	out->target_len = (size_t)(s - t);
	const char *q = memchr(t, '?', out->target_len);
	out->path = t;
	out->path_len = q ? (size_t)(q - t) : out->target_len;
	out->query = q ? q + 1 : NULL;
	out->query_len = q ? (size_t)(s - q - 1) : 0;

	s++;
	if (eol - s != 8 || memcmp(s, "HTTP/", 5) != 0 || s[6] != '.')
		AXR__FAIL(400, "malformed HTTP version");
	if (s[5] < '0' || s[5] > '9' || s[7] < '0' || s[7] > '9')
		AXR__FAIL(400, "malformed HTTP version");
	if (s[5] != '1')
		AXR__FAIL(505, "HTTP version not supported");
	out->minor_version = s[7] - '0';
	return 0;
}

/* Notes what one header field means for framing. *te_seen: 0 no
 * Transfer-Encoding yet, 1 chunked, 501 a coding we lack. */
static ssize_t axr__apply_header(axr_http_head_t *out, const axr_http_header_t *h, int *hosts,
                                 int *te_seen, int *closed, const char **why)
{
	const char *v = h->value;
	size_t vl = h->value_len;
	if (axr__lower_eq(h->name, h->name_len, "content-length")) {
		if (out->content_length >= 0)
			AXR__FAIL(400, "repeated Content-Length");
		if (vl == 0 || vl > 18)
			AXR__FAIL(400, "invalid Content-Length");
		int64_t n = 0;
		for (size_t i = 0; i < vl; i++) {
			if (v[i] < '0' || v[i] > '9')
				AXR__FAIL(400, "invalid Content-Length");
			n = n * 10 + (v[i] - '0');
		}
		out->content_length = n;
	} else if (axr__lower_eq(h->name, h->name_len, "transfer-encoding")) {
		if (*te_seen)
			AXR__FAIL(400, "repeated Transfer-Encoding");
		*te_seen = 1;
		if (!axr__lower_eq(v, vl, "chunked")) {
			/* RFC 9112 6.3: chunked anywhere but last leaves the body
			 * length unknown: 400; a coding we lack before it is 501,
			 * decided once the whole head is read (with a
			 * Content-Length too, the request is a 400). */
			if (axr__list_has(v, vl, "chunked") && !axr__list_ends_chunked_once(v, vl))
				AXR__FAIL(400, "chunked is not the final Transfer-Encoding");
			*te_seen = 501;
			return 0;
		}
		out->chunked = 1;
	} else if (axr__lower_eq(h->name, h->name_len, "host")) {
		(*hosts)++;
	} else if (axr__lower_eq(h->name, h->name_len, "connection")) {
		if (axr__list_has(v, vl, "close"))
			*closed = 1;
		else if (axr__list_has(v, vl, "keep-alive"))
			out->keep_alive = 1;
		if (axr__list_has(v, vl, "upgrade"))
			out->upgrade = 1;
	} else if (axr__lower_eq(h->name, h->name_len, "expect")) {
		if (!axr__lower_eq(v, vl, "100-continue"))
			AXR__FAIL(417, "unsupported expectation");
		out->expect_continue = 1;
	}
	return 0;
}

int axr_http_head_ready(const char *buf, size_t len, size_t max_head, size_t *checked)
{
	size_t from = *checked > 3 ? *checked - 3 : 0;
	int crossed_line_limit = *checked < AXR__MAX_REQUEST_LINE && len >= AXR__MAX_REQUEST_LINE;
	if (from > len)
		from = 0;
	*checked = len;
	if (len > max_head || crossed_line_limit)
		return 1;
	for (size_t i = from; i < len; i++) {
		if (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r'))
			return 1; /* a bare LF */
		if (buf[i] == '\r' && i + 1 < len && buf[i + 1] != '\n')
			return 1; /* a bare CR */
		if (buf[i] == '\r' && len - i >= 4 && memcmp(buf + i, "\r\n\r\n", 4) == 0)
			return 1; /* the blank line */
	}
	return 0;
}

ssize_t axr_http_parse_head(const char *buf, size_t len, size_t max_head,
                            axr_http_head_t *out, const char **why)
{
	size_t skip = 0;
	*why = NULL;
	/* RFC 9112 2.2: ignore empty lines before the request line. */
	while (skip + 1 < len && buf[skip] == '\r' && buf[skip + 1] == '\n')
		skip += 2;
	const char *start = buf + skip;
	size_t avail = len - skip;

	const char *line_end = memchr(start, '\n', avail < AXR__MAX_REQUEST_LINE ? avail : AXR__MAX_REQUEST_LINE);
	if (line_end == NULL && avail >= AXR__MAX_REQUEST_LINE)
		AXR__FAIL(414, "request line too long");

	const char *end = NULL;
	if (avail >= 4)
		end = axr__find_blank_line(start, avail);
	if (end == NULL) {
		if (axr__has_bare_eol(start, avail))
			AXR__FAIL(400, "line not terminated by CRLF");
		if (len > max_head)
			return axr__oversized(buf, len, max_head, why);
		return 0;
	}
	size_t head_len = (size_t)(end - buf) + 4;
	if (head_len > max_head)
		return axr__oversized(buf, head_len, max_head, why);

	memset(out, 0, offsetof(axr_http_head_t, headers));
	out->content_length = -1;
	out->head_len = head_len;

	const char *p = start;
	const char *eol = memchr(p, '\r', (size_t)(end + 2 - p));
	if (eol == NULL || eol[1] != '\n')
		AXR__FAIL(400, "line not terminated by CRLF");
	ssize_t rc = axr__parse_request_line(p, eol, out, why);
	if (rc < 0)
		return rc;
	out->keep_alive = out->minor_version >= 1;

	int hosts = 0, te_seen = 0, closed = 0;
	p = eol + 2;
	while (p < end + 2) {
		eol = p;
		while (*eol != '\r') {
			unsigned char c = (unsigned char)*eol;
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				AXR__FAIL(400, c == '\n' ? "line not terminated by CRLF" : "control character in header");
			eol++;
		}
		if (eol[1] != '\n')
			AXR__FAIL(400, "line not terminated by CRLF");
		if (*p == ' ' || *p == '\t')
			AXR__FAIL(400, "obsolete line folding");
		if (out->nheaders == AXR_HTTP_MAX_HEADERS)
			AXR__FAIL(431, "too many header fields");
		axr_http_header_t *h = &out->headers[out->nheaders];
		const char *n = p;
		while (n < eol && axr__is_tchar((unsigned char)*n))
			n++;
		if (n == p || n == eol || *n != ':')
			AXR__FAIL(400, "malformed header field");
		h->name = p;
		h->name_len = (size_t)(n - p);
		const char *v = n + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		const char *ve = eol;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		h->value = v;
		h->value_len = (size_t)(ve - v);
		out->nheaders++;
		rc = axr__apply_header(out, h, &hosts, &te_seen, &closed, why);
		if (rc < 0)
			return rc;
		p = eol + 2;
	}
	if (closed)
		out->keep_alive = 0;
	if (te_seen && out->content_length >= 0)
		AXR__FAIL(400, "both Content-Length and Transfer-Encoding");
	if (te_seen == 501)
		AXR__FAIL(501, "unsupported Transfer-Encoding");
	if (out->chunked && out->minor_version == 0)
		AXR__FAIL(400, "Transfer-Encoding in HTTP/1.0");
	if (hosts > 1 || (hosts == 0 && out->minor_version >= 1))
		AXR__FAIL(400, "exactly one Host header required");
	if (out->upgrade && axr_http_header(out, "upgrade", NULL) == NULL)
		out->upgrade = 0;
	return (ssize_t)head_len;
}

const char *axr_http_header(const axr_http_head_t *h, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < h->nheaders; i++) {
		if (h->headers[i].name_len == nl && strncasecmp(h->headers[i].name, name, nl) == 0) {
			if (len)
				*len = h->headers[i].value_len;
			return h->headers[i].value;
		}
	}
	return NULL;
}

const char *axr_http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Content";
	case 426: return "Upgrade Required";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	}
	return "Unknown";
}

enum {
	AXR__CH_SIZE,
	AXR__CH_EXT,
	AXR__CH_BWS,
	AXR__CH_SIZE_LF,
	AXR__CH_DATA,
	AXR__CH_DATA_CR,
	AXR__CH_DATA_LF,
	AXR__CH_TRAILER,
	AXR__CH_TRAILER_LINE,
	AXR__CH_TRAILER_LF,
	AXR__CH_END_LF,
	AXR__CH_DONE,
};

static int axr__hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int axr_http_chunked_decode(axr_http_chunked_t *c, char *buf, size_t len, size_t max_body)
{
	size_t i = c->consumed;
	while (i < len) {
		char ch = buf[i];
		switch (c->state) {
		case AXR__CH_SIZE: {
			int d = axr__hex(ch);
			if (d >= 0) {
				if (++c->size_digits > 15)
					return AXR_ETOOBIG;
				c->remaining = c->remaining * 16 + (uint64_t)d;
				i++;
				break;
			}
			if (c->size_digits == 0)
				return AXR_EPARSE;
			if (ch == '\r') {
				c->state = AXR__CH_SIZE_LF;
			} else if (ch == ';') {
				c->state = AXR__CH_EXT;
			} else if (ch == ' ' || ch == '\t') {
				c->state = AXR__CH_BWS;
			} else {
				return AXR_EPARSE;
			}
			i++;
			break;
		}
		case AXR__CH_BWS:
			if (ch == ';')
				c->state = AXR__CH_EXT;
			else if (ch == '\r')
				c->state = AXR__CH_SIZE_LF;
			else if (ch != ' ' && ch != '\t')
				return AXR_EPARSE;
			i++;
			break;
		case AXR__CH_EXT:
			if (ch == '\r')
				c->state = AXR__CH_SIZE_LF;
			else if ((unsigned char)ch < 0x20 && ch != '\t')
				return AXR_EPARSE;
			i++;
			break;
		case AXR__CH_SIZE_LF:
			if (ch != '\n')
				return AXR_EPARSE;
			i++;
			if (c->remaining == 0) {
				c->state = AXR__CH_TRAILER;
				break;
			}
			if (c->remaining > max_body || c->decoded > max_body - c->remaining)
				return AXR_ETOOBIG;
			c->state = AXR__CH_DATA;
			break;
		case AXR__CH_DATA: {
			size_t n = len - i;
			if (n > c->remaining)
				n = (size_t)c->remaining;
			memmove(buf + c->decoded, buf + i, n);
			c->decoded += n;
			c->remaining -= n;
			i += n;
			if (c->remaining == 0)
				c->state = AXR__CH_DATA_CR;
			break;
		}
		case AXR__CH_DATA_CR:
			if (ch != '\r')
				return AXR_EPARSE;
			c->state = AXR__CH_DATA_LF;
			i++;
			break;
		case AXR__CH_DATA_LF:
			if (ch != '\n')
				return AXR_EPARSE;
			c->state = AXR__CH_SIZE;
			c->size_digits = 0;
			i++;
			break;
		case AXR__CH_TRAILER:
			if (ch == '\r') {
				c->state = AXR__CH_END_LF;
			} else if (ch == '\n') {
				return AXR_EPARSE;
			} else {
				c->state = AXR__CH_TRAILER_LINE;
			}
			i++;
			break;
		case AXR__CH_TRAILER_LINE:
			if (ch == '\r')
				c->state = AXR__CH_TRAILER_LF;
			else if (ch == '\n')
				return AXR_EPARSE;
			i++;
			break;
		case AXR__CH_TRAILER_LF:
			if (ch != '\n')
				return AXR_EPARSE;
			c->state = AXR__CH_TRAILER;
			i++;
			break;
		case AXR__CH_END_LF:
			if (ch != '\n')
				return AXR_EPARSE;
			i++;
			c->state = AXR__CH_DONE;
			c->consumed = i;
			return 1;
		default:
			c->consumed = i;
			return 1;
		}
	}
	c->consumed = i;
	return c->state == AXR__CH_DONE;
}
