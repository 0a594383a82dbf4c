/* response.c: request accessors, responses and the JSON error body. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "err.h"
#include "server_internal.h"

double axr_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *axr_request_header(const axr_request_t *req, const char *name)
{
	for (size_t i = 0; i < req->nheaders; i++) {
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	}
	return NULL;
}

const char *axr_request_param(const axr_request_t *req, const char *name)
{
	for (size_t i = 0; i < req->nparams; i++) {
		if (strcmp(req->params[i].name, name) == 0)
			return req->params[i].value;
	}
	return NULL;
}

static int axr__hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int axr__percent_decode(axr_arena_t *a, const char *s, size_t len, int plus_space, char **out)
{
	char *d = axr_arena_alloc(a, len + 1);
	if (d == NULL)
		return AXR_ENOMEM;
	size_t j = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '%') {
			if (i + 2 >= len)
				return AXR_EPARSE;
			int hi = axr__hexval(s[i + 1]);
			int lo = axr__hexval(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return AXR_EPARSE;
			d[j++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus_space) {
			d[j++] = ' ';
		} else {
			d[j++] = c;
		}
	}
	d[j] = '\0';
	*out = d;
	return 0;
}

const char *axr_request_query(axr_request_t *req, const char *name, int index)
{
	const char *q = req->query;
	size_t nlen = strlen(name);
	int seen = 0;
	while (q != NULL && *q) {
		const char *amp = strchr(q, '&');
		size_t plen = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', plen);
		size_t klen = eq ? (size_t)(eq - q) : plen;
		char *key = NULL;
		if (axr__percent_decode(req->arena, q, klen, 1, &key) == 0 && strlen(key) == nlen &&
		    memcmp(key, name, nlen) == 0) {
			if (seen++ == index) {
				char *value = NULL;
				if (!eq)
					return "";
				if (axr__percent_decode(req->arena, eq + 1, plen - klen - 1, 1, &value) != 0)
					return NULL;
				return value;
			}
		}
		q = amp ? amp + 1 : NULL;
	}
	return NULL;
}

int axr_response_header(axr_request_t *req, const char *name, const char *value)
{
	axr__header_out_t *h = axr_arena_alloc(req->arena, sizeof(*h));
	if (h == NULL)
		return AXR_ENOMEM;
	h->name = axr_arena_strdup(req->arena, name);
	h->value = axr_arena_strdup(req->arena, value);
	if (h->name == NULL || h->value == NULL)
		return AXR_ENOMEM;
	/* CR/LF in a header value would split the response: refuse it. */
	if (strpbrk(h->value, "\r\n") || strpbrk(h->name, "\r\n: "))
		return AXR_EINVAL;
	h->next = req->headers_out;
	req->headers_out = h;
	return 0;
}

int axr_response_send(axr_request_t *req, int status, const char *content_type,
                      const void *body, size_t len)
{
	req->status = status;
	req->content_type = content_type;
	axr_buf_clear(&req->body_out);
	axr_buf_append(&req->body_out, body, len);
	return axr_buf_ok(&req->body_out) ? 0 : AXR_ENOMEM;
}

static const char *axr__status_code_name(int status)
{
	switch (status) {
	case 400: return "BAD_REQUEST";
	case 401: return "UNAUTHORIZED";
	case 403: return "FORBIDDEN";
	case 404: return "NOT_FOUND";
	case 405: return "METHOD_NOT_ALLOWED";
	case 406: return "NOT_ACCEPTABLE";
	case 408: return "REQUEST_TIMEOUT";
	case 409: return "CONFLICT";
	case 412: return "PRECONDITION_FAILED";
	case 413: return "PAYLOAD_TOO_LARGE";
	case 414: return "URI_TOO_LONG";
	case 415: return "UNSUPPORTED_MEDIA_TYPE";
	case 417: return "EXPECTATION_FAILED";
	case 422: return "UNPROCESSABLE_ENTITY";
	case 426: return "UPGRADE_REQUIRED";
	case 428: return "PRECONDITION_REQUIRED";
	case 429: return "TOO_MANY_REQUESTS";
	case 431: return "HEADERS_TOO_LARGE";
	case 501: return "NOT_IMPLEMENTED";
	case 503: return "SERVICE_UNAVAILABLE";
	case 504: return "GATEWAY_TIMEOUT";
	case 505: return "HTTP_VERSION_NOT_SUPPORTED";
	}
	return status >= 500 ? "INTERNAL_ERROR" : "ERROR";
}

/* Has the response a header `name` (any case) already? */
static bool axr__response_has_header(const axr_request_t *req, const char *name)
{
	for (const axr__header_out_t *h = req->headers_out; h; h = h->next)
		if (strcasecmp(h->name, name) == 0)
			return true;
	return false;
}

int axr_response_error(axr_request_t *req, int status, const char *code, const char *message,
                       const axr_field_error_t *errors, size_t nerrors)
{
	axr_buf_t *b = &req->body_out;
	axr_buf_clear(b);
	req->status = status;
	req->content_type = "application/json";
	if (code == NULL)
		code = axr__status_code_name(status);
	if (message == NULL)
		message = axr_http_reason(status);
	axr_buf_printf(b, "{\"status\":%d,\"code\":", status);
	axr_buf_json_string(b, code, strlen(code));
	axr_buf_puts(b, ",\"message\":");
	axr_buf_json_string(b, message, strlen(message));
	if (nerrors > 0) {
		axr_buf_puts(b, ",\"errors\":[");
		for (size_t i = 0; i < nerrors; i++) {
			axr_buf_puts(b, i ? ",{\"path\":" : "{\"path\":");
			axr_buf_json_string(b, errors[i].path, strlen(errors[i].path));
			axr_buf_puts(b, ",\"message\":");
			axr_buf_json_string(b, errors[i].message, strlen(errors[i].message));
			axr_buf_putc(b, '}');
		}
		axr_buf_putc(b, ']');
	}
	axr_buf_putc(b, '}');
	if (status == 401 && !axr__response_has_header(req, "WWW-Authenticate"))
		axr_response_header(req, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
	if ((status == 429 || status == 503) && !axr__response_has_header(req, "Retry-After")) {
		/* A handler that knows when to come back (a lockout) set its own. */
		const char *ra = req->conn ? req->conn->io->srv->retry_after : "1";
		axr_response_header(req, "Retry-After", ra);
	}
	return axr_buf_ok(b) ? 0 : AXR_ENOMEM;
}

int axr_response_from_err(axr_request_t *req, int err, const char *message)
{
	return axr_response_error(req, axr_err_http_status(err), axr_errname(err),
	                          message ? message : axr_strerror(err), NULL, 0);
}

void axr__response_serialize(axr_request_t *req, axr_buf_t *out, const char *date, int keep_alive)
{
	int status = req->status;
	int bodyless = status == 204 || status == 304 || (status >= 100 && status < 200);
	axr_buf_printf(out, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status, axr_http_reason(status), date);
	if (!bodyless) {
		axr_buf_printf(out, "Content-Type: %s\r\nContent-Length: %zu\r\n",
		               req->content_type ? req->content_type : "application/json", req->body_out.len);
	}
	if (req->request_id[0])
		axr_buf_printf(out, "X-Request-Id: %s\r\n", req->request_id);
	if (keep_alive == 0 && status != 101)
		axr_buf_puts(out, "Connection: close\r\n");
	else if (keep_alive == 2)
		axr_buf_puts(out, "Connection: keep-alive\r\n");
	for (axr__header_out_t *h = req->headers_out; h; h = h->next)
		axr_buf_printf(out, "%s: %s\r\n", h->name, h->value);
	axr_buf_puts(out, "\r\n");
	if (!bodyless && req->method != AXR_HTTP_HEAD)
		axr_buf_append(out, req->body_out.data, req->body_out.len);
	axr_buf_free(&req->body_out);
}

/* Is `addr` loopback, or in the comma-separated list of addresses and IPv4
 * CIDR blocks `list`? */
static int axr__trusted_proxy(const char *addr, const char *list)
{
	struct in_addr a4;
	int is4 = inet_pton(AF_INET, addr, &a4) == 1;
	if ((is4 && (ntohl(a4.s_addr) >> 24) == 127) || strcmp(addr, "::1") == 0)
		return 1;
	while (list && *list) {
		while (*list == ' ' || *list == ',')
			list++;
		size_t n = strcspn(list, ", ");
		char item[64];
		if (n > 0 && n < sizeof(item)) {
			memcpy(item, list, n);
			item[n] = '\0';
			char *slash = strchr(item, '/');
			if (slash == NULL && strcmp(item, addr) == 0)
				return 1;
			if (slash != NULL && is4) {
				*slash = '\0';
				int bits = atoi(slash + 1);
				struct in_addr net;
				if (bits >= 0 && bits <= 32 && inet_pton(AF_INET, item, &net) == 1) {
					uint32_t mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
					if ((ntohl(a4.s_addr) & mask) == (ntohl(net.s_addr) & mask))
						return 1;
				}
			}
		}
		list += n;
	}
	return 0;
}

const char *axr_request_client_addr(const axr_request_t *req)
{
	if (req->conn == NULL)
		return "";
	const char *peer = req->conn->peer;
	if (*peer && axr__trusted_proxy(peer, req->conn->io->srv->cfg->trusted_proxies)) {
		const char *real = axr_request_header(req, "X-Real-IP");
		struct in6_addr tmp;
		if (real && (inet_pton(AF_INET, real, &tmp) == 1 || inet_pton(AF_INET6, real, &tmp) == 1))
			return real;
	}
	return peer;
}
