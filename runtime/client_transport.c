/* client_transport.c: the client's HTTP/1.1 exchanges on libevent: connect, keep-alive pool, response framing. */
#include "client_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "err.h"

enum {
	AXR__X_IDLE = 0,
	AXR__X_CONNECTING,
	AXR__X_SENDING,
	AXR__X_READING,
	AXR__X_DONE,
};

/* ---- base URLs -------------------------------------------------------------- */

void axr__origin_clear(axr__origin_t *o)
{
	free(o->host);
	free(o->host_header);
	free(o->prefix);
	if (o->ai)
		freeaddrinfo(o->ai);
	memset(o, 0, sizeof(*o));
}

int axr__origin_parse(axr__origin_t *o, const char *url)
{
	memset(o, 0, sizeof(*o));
	if (url == NULL || strncasecmp(url, "http://", 7) != 0)
		return AXR_EINVAL;
	const char *h = url + 7, *hend, *p;
	if (*h == '[') {
		hend = strchr(h, ']');
		if (hend == NULL || hend == h + 1)
			return AXR_EINVAL;
		h++;
		p = hend + 1;
	} else {
		hend = h + strcspn(h, ":/?#");
		p = hend;
	}
	if (hend == h)
		return AXR_EINVAL;
	for (const char *q = h; q < hend; q++)
		if ((unsigned char)*q <= ' ' || *q == '@' || *q == '%' || *q == '\\' || (unsigned char)*q >= 0x7f)
			return AXR_EINVAL;
	long port = 80;
	if (*p == ':') {
		char *end;
		if (p[1] < '0' || p[1] > '9')
			return AXR_EINVAL;
		port = strtol(p + 1, &end, 10);
		if (port < 1 || port > 65535 || end - (p + 1) > 5)
			return AXR_EINVAL;
		p = end;
	}
	if (*p != '\0' && *p != '/')
		return AXR_EINVAL; /* a query or fragment has no place in a base URL */
	size_t plen = strlen(p);
	while (plen > 0 && p[plen - 1] == '/')
		plen--;
	for (size_t i = 0; i < plen; i++)
		if ((unsigned char)p[i] <= ' ' || p[i] == '?' || p[i] == '#' || (unsigned char)p[i] >= 0x7f)
			return AXR_EINVAL;
	bool v6 = url[7] == '[';
	size_t hlen = (size_t)(hend - h);
	o->host = strndup(h, hlen);
	o->prefix = strndup(p, plen);
	snprintf(o->port, sizeof(o->port), "%ld", port);
	if (o->host && asprintf(&o->host_header, "%s%.*s%s%s%s", v6 ? "[" : "", (int)hlen, h, v6 ? "]" : "",
	                        port == 80 ? "" : ":", port == 80 ? "" : o->port) < 0)
		o->host_header = NULL;
	if (o->host == NULL || o->prefix == NULL || o->host_header == NULL) {
		axr__origin_clear(o);
		return AXR_ENOMEM;
	}
	return 0;
}

/* ---- the connection pool ------------------------------------------------------ */

/* Monotonic seconds (the client's own: the server's clock lives with it). */
static double axr__mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Is an idle connection still usable? The server may have closed it (FIN
 * or RST waiting), or sent bytes nobody asked for: either way, drop it. */
static bool axr__idle_alive(int fd)
{
	char byte;
	ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* Takes a live pooled connection to `origin`, or -1. */
static int axr__pool_get(axr_client_t *c, int origin)
{
	double now = axr__mono();
	axr__idle_t **pp = &c->idle;
	while (*pp) {
		axr__idle_t *e = *pp;
		bool expired = (now - e->since) * 1000.0 >= (double)c->idle_timeout_ms;
		if (e->origin != origin && !expired) {
			pp = &e->next;
			continue;
		}
		*pp = e->next;
		c->n_idle--;
		int fd = e->fd;
		free(e);
		if (!expired && axr__idle_alive(fd))
			return fd;
		close(fd);
	}
	return -1;
}

/* Gives a connection back to the pool (or closes it when the pool is full). */
static void axr__pool_put(axr_client_t *c, int origin, int fd)
{
	axr__idle_t *e = NULL;
	if (c->pool_size > 0 && !c->freeing)
		e = malloc(sizeof(*e));
	if (e == NULL) {
		close(fd);
		return;
	}
	e->fd = fd;
	e->origin = origin;
	e->since = axr__mono();
	e->next = c->idle;
	c->idle = e;
	if (++c->n_idle > c->pool_size) {
		/* drop the least recently used */
		axr__idle_t **pp = &c->idle;
		while ((*pp)->next)
			pp = &(*pp)->next;
		close((*pp)->fd);
		free(*pp);
		*pp = NULL;
		c->n_idle--;
	}
}

void axr__pool_clear(axr_client_t *c)
{
	while (c->idle) {
		axr__idle_t *e = c->idle;
		c->idle = e->next;
		close(e->fd);
		free(e);
	}
	c->n_idle = 0;
}

/* ---- response heads ------------------------------------------------------------ */

static bool axr__tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Does the comma-separated header value v[0..n) hold `token` (any case)? */
static bool axr__has_token(const char *v, size_t n, const char *token)
{
	size_t tl = strlen(token), i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < n && v[i] != ',')
			i++;
		size_t e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && strncasecmp(v + s, token, tl) == 0)
			return true;
	}
	return false;
}

static bool axr__name_is(const char *buf, const axr__resp_header_t *hd, const char *name)
{
	return hd->name_len == strlen(name) && strncasecmp(buf + hd->name_off, name, hd->name_len) == 0;
}

/* Applies one header's framing meaning to the head. */
static int axr__head_framing(axr__head_t *h, const char *buf, const axr__resp_header_t *hd)
{
	const char *v = buf + hd->value_off;
	size_t n = hd->value_len;
	if (axr__name_is(buf, hd, "Content-Length")) {
		if (n == 0 || n > 18)
			return AXR_EPARSE;
		int64_t cl = 0;
		for (size_t i = 0; i < n; i++) {
			if (v[i] < '0' || v[i] > '9')
				return AXR_EPARSE;
			cl = cl * 10 + (v[i] - '0');
		}
		if (h->content_length >= 0 && h->content_length != cl)
			return AXR_EPARSE;
		h->content_length = cl;
	} else if (axr__name_is(buf, hd, "Transfer-Encoding")) {
		if (n != 7 || strncasecmp(v, "chunked", 7) != 0 || h->chunked)
			return AXR_EPARSE;
		h->chunked = true;
	} else if (axr__name_is(buf, hd, "Connection")) {
		if (axr__has_token(v, n, "close"))
			h->close = true;
		else if (h->minor_version == 0 && axr__has_token(v, n, "keep-alive"))
			h->close = false;
	}
	return 0;
}

long axr__client_parse_head(const char *buf, size_t len, axr__head_t *h)
{
	const char *end = NULL;
	size_t scan = len < AXR__CLIENT_MAX_HEAD ? len : AXR__CLIENT_MAX_HEAD;
	for (size_t i = 3; i < scan; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
			end = buf + i + 1;
			break;
		}
	if (end == NULL)
		return len >= AXR__CLIENT_MAX_HEAD ? AXR_ETOOBIG : 0;

	memset(h, 0, offsetof(axr__head_t, headers));
	h->content_length = -1;
	/* HTTP/1.x SSS reason */
	if (end - buf < 14 || memcmp(buf, "HTTP/1.", 7) != 0 || (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ')
		return AXR_EPARSE;
	h->minor_version = buf[7] - '0';
	for (int i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return AXR_EPARSE;
		h->status = h->status * 10 + (buf[i] - '0');
	}
	if (h->status < 100 || (buf[12] != ' ' && buf[12] != '\r'))
		return AXR_EPARSE;
	h->close = h->minor_version == 0;
	const char *p = memchr(buf, '\r', (size_t)(end - buf));
	for (const char *q = buf + 12; q < p; q++)
		if ((unsigned char)*q < 0x20 && *q != '\t')
			return AXR_EPARSE;
	p += 2; /* past the status line's CRLF */
	while (p < end - 2) {
		const char *eol = memchr(p, '\r', (size_t)(end - p));
		if (eol == NULL || eol[1] != '\n')
			return AXR_EPARSE;
		const char *colon = p;
		while (colon < eol && axr__tchar((unsigned char)*colon))
			colon++;
		if (colon == p || colon == eol || *colon != ':')
			return AXR_EPARSE;
		const char *v = colon + 1, *ve = eol;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		for (const char *q = v; q < ve; q++)
			if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
				return AXR_EPARSE;
		if (h->n_headers == AXR__CLIENT_MAX_HEADERS)
			return AXR_ETOOBIG;
		axr__resp_header_t *hd = &h->headers[h->n_headers++];
		hd->name_off = (uint32_t)(p - buf);
		hd->name_len = (uint32_t)(colon - p);
		hd->value_off = (uint32_t)(v - buf);
		hd->value_len = (uint32_t)(ve - v);
		int rc = axr__head_framing(h, buf, hd);
		if (rc != 0)
			return rc;
		p = eol + 2;
	}
	if (h->chunked && h->content_length >= 0)
		return AXR_EPARSE; /* RFC 9112 6.3: a message with both is a smuggling attempt */
	return (long)(end - buf);
}

const char *axr__head_get(const axr__head_t *h, const char *buf, const char *name, size_t *len)
{
	for (size_t i = 0; i < h->n_headers; i++)
		if (axr__name_is(buf, &h->headers[i], name)) {
			if (len)
				*len = h->headers[i].value_len;
			return buf + h->headers[i].value_off;
		}
	return NULL;
}

/* ---- exchanges ------------------------------------------------------------------- */

static void axr__x_on_read(evutil_socket_t fd, short what, void *arg);
static void axr__x_on_write(evutil_socket_t fd, short what, void *arg);
static void axr__x_on_timer(evutil_socket_t fd, short what, void *arg);

static void axr__x_close_fd(axr__exchange_t *x)
{
	if (x->rev) {
		event_free(x->rev);
		x->rev = NULL;
	}
	if (x->wev) {
		event_free(x->wev);
		x->wev = NULL;
	}
	if (x->fd >= 0) {
		close(x->fd);
		x->fd = -1;
	}
}

static void axr__x_arm_timer(axr__exchange_t *x, long ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	event_add(x->timer, &tv);
}

/* Ends the exchange: the connection goes back to the pool when `rc` is 0
 * and the answer left it reusable, else it is closed. */
static void axr__x_end(axr__exchange_t *x, int rc, bool reusable)
{
	x->state = AXR__X_DONE;
	x->active = false;
	event_del(x->timer);
	if (rc == 0 && reusable && x->fd >= 0) {
		event_free(x->rev);
		event_free(x->wev);
		x->rev = x->wev = NULL;
		axr__pool_put(x->c, x->origin, x->fd);
		x->fd = -1;
	} else {
		axr__x_close_fd(x);
	}
	x->done(x, rc);
}

static int axr__x_fail(axr__exchange_t *x, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int axr__x_fail(axr__exchange_t *x, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->why, sizeof(x->why), fmt, ap);
	va_end(ap);
	return rc;
}

static int axr__x_watch(axr__exchange_t *x)
{
	x->rev = event_new(x->base, x->fd, EV_READ | EV_PERSIST, axr__x_on_read, x);
	x->wev = event_new(x->base, x->fd, EV_WRITE | EV_PERSIST, axr__x_on_write, x);
	return x->rev && x->wev ? 0 : AXR_ENOMEM;
}

/* Opens a socket to the origin's address number x->ai_index and starts
 * connecting. Returns 0 (connecting or connected: EV_WRITE tells) or an
 * error with x->why set. */
static int axr__x_connect(axr__exchange_t *x)
{
	axr__origin_t *o = &x->c->origins[x->origin];
	if (o->ai == NULL) {
		struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		                         .ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV};
		int g = getaddrinfo(o->host, o->port, &hints, &o->ai);
		if (g != 0) {
			o->ai = NULL;
			return axr__x_fail(x, AXR_EIO, "cannot resolve %s: %s", o->host, gai_strerror(g));
		}
		x->ai_index = 0;
	}
	for (;;) {
		struct addrinfo *a = o->ai;
		for (size_t i = 0; a && i < x->ai_index; i++)
			a = a->ai_next;
		if (a == NULL) {
			/* every address failed: resolve again next time */
			freeaddrinfo(o->ai);
			o->ai = NULL;
			return AXR_EIO; /* x->why holds the last address's failure */
		}
		int fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return axr__x_fail(x, AXR_EIO, "socket: %s", strerror(errno));
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		x->fd = fd;
		x->c->stats.connects++;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) {
			x->state = AXR__X_CONNECTING;
			return 0;
		}
		axr__x_fail(x, AXR_EIO, "connect to %s:%s: %s", o->host, o->port, strerror(errno));
		close(fd);
		x->fd = -1;
		x->ai_index++;
	}
}

/* Puts the exchange on a connection (pooled or new) and waits to write. */
static int axr__x_begin(axr__exchange_t *x)
{
	int rc;
	x->fd = x->reused ? -1 : axr__pool_get(x->c, x->origin);
	x->reused = x->fd >= 0;
	x->sent = 0;
	axr_buf_clear(&x->in);
	x->head_len = x->body_len = 0;
	if (x->reused) {
		x->c->stats.reuses++;
		x->state = AXR__X_SENDING;
	} else if ((rc = axr__x_connect(x)) != 0) {
		return rc;
	}
	if ((rc = axr__x_watch(x)) != 0)
		return axr__x_fail(x, rc, "out of memory");
	event_add(x->wev, NULL);
	axr__x_arm_timer(x, x->state == AXR__X_CONNECTING ? x->c->connect_timeout_ms : x->timeout_ms);
	return 0;
}

int axr__exchange_start(axr__exchange_t *x)
{
	x->fd = -1;
	x->reused = false;
	x->state = AXR__X_IDLE;
	x->pending_rc = 0;
	x->ai_index = 0;
	x->why[0] = '\0';
	if (x->timer == NULL)
		x->timer = event_new(x->base, -1, 0, axr__x_on_timer, x);
	if (x->timer == NULL)
		return AXR_ENOMEM;
	x->active = true;
	x->c->stats.requests++;
	int rc = axr__x_begin(x);
	if (rc == AXR_ENOMEM) {
		axr__x_close_fd(x);
		x->active = false;
		return rc;
	}
	if (rc != 0) {
		/* report from the loop, never from inside the caller */
		axr__x_close_fd(x);
		x->pending_rc = rc;
		x->state = AXR__X_IDLE;
		event_del(x->timer);
		event_active(x->timer, EV_TIMEOUT, 0);
	}
	return 0;
}

void axr__exchange_cancel(axr__exchange_t *x)
{
	if (x->timer)
		event_del(x->timer);
	axr__x_close_fd(x);
	x->active = false;
	x->state = AXR__X_DONE;
}

void axr__exchange_release(axr__exchange_t *x)
{
	axr__exchange_cancel(x);
	if (x->timer) {
		event_free(x->timer);
		x->timer = NULL;
	}
	axr_buf_free(&x->req);
	axr_buf_free(&x->in);
}

/* A reused connection failed before any answer byte: send once more on a
 * fresh one when that is safe. Returns true when it did. */
static bool axr__x_retry_stale(axr__exchange_t *x)
{
	if (!x->reused || x->in.len > 0 || !(x->retry_ok || x->sent < x->req.len))
		return false;
	axr__x_close_fd(x);
	x->c->stats.retries++;
	x->c->stats.requests++;
	int rc = axr__x_begin(x); /* x->reused is still set: begin opens a fresh connection */
	if (rc != 0) {
		axr__x_end(x, rc, false);
		return true;
	}
	return true;
}

static void axr__x_network_error(axr__exchange_t *x, int rc, int sys_errno, const char *what)
{
	if (axr__x_retry_stale(x))
		return;
	const axr__origin_t *o = &x->c->origins[x->origin];
	if (sys_errno)
		axr__x_fail(x, rc, "%s %s:%s: %s", what, o->host, o->port, strerror(sys_errno));
	else
		axr__x_fail(x, rc, "%s %s:%s", what, o->host, o->port);
	axr__x_end(x, rc, false);
}

static void axr__x_on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	axr__exchange_t *x = arg;
	if (x->pending_rc != 0) {
		int rc = x->pending_rc;
		x->pending_rc = 0;
		axr__x_end(x, rc, false);
		return;
	}
	const axr__origin_t *o = &x->c->origins[x->origin];
	if (x->state == AXR__X_CONNECTING)
		axr__x_fail(x, AXR_ETIMEOUT, "connecting to %s:%s timed out after %ld ms", o->host, o->port,
		            x->c->connect_timeout_ms);
	else
		axr__x_fail(x, AXR_ETIMEOUT, "no answer from %s:%s within %ld ms", o->host, o->port, x->timeout_ms);
	axr__x_end(x, AXR_ETIMEOUT, false);
}

static void axr__x_on_write(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	axr__exchange_t *x = arg;
	if (x->state == AXR__X_CONNECTING) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
			soerr = errno;
		if (soerr != 0) {
			const axr__origin_t *o = &x->c->origins[x->origin];
			axr__x_fail(x, AXR_EIO, "connect to %s:%s: %s", o->host, o->port, strerror(soerr));
			axr__x_close_fd(x);
			x->ai_index++;
			int rc = axr__x_begin(x);
			if (rc != 0)
				axr__x_end(x, rc, false);
			return;
		}
		x->state = AXR__X_SENDING;
	}
	while (x->sent < x->req.len) {
		ssize_t n = send(fd, x->req.data + x->sent, x->req.len - x->sent, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			axr__x_network_error(x, errno == EPIPE || errno == ECONNRESET ? AXR_ECLOSED : AXR_EIO, errno,
			                     "sending to");
			return;
		}
		x->sent += (size_t)n;
		axr__x_arm_timer(x, x->timeout_ms);
	}
	if (x->sent == x->req.len) {
		event_del(x->wev);
		x->state = AXR__X_READING;
		event_add(x->rev, NULL);
		axr__x_arm_timer(x, x->timeout_ms);
	}
}

/* Has the whole answer arrived? Returns 1 when complete (x->body_len set),
 * 0 when more is needed, < 0 for a malformed answer (x->why set). On 1,
 * *reusable says whether the connection can serve another request. */
static int axr__x_framed(axr__exchange_t *x, bool eof, bool *reusable)
{
	*reusable = false;
	while (x->head_len == 0) {
		long hl = axr__client_parse_head(x->in.data, x->in.len, &x->head);
		if (hl == 0)
			return eof ? axr__x_fail(x, AXR_ECLOSED, "connection closed before a complete answer") : 0;
		if (hl < 0)
			return axr__x_fail(x, (int)hl, hl == AXR_ETOOBIG ? "answer head too large" : "malformed answer head");
		if (x->head.status >= 100 && x->head.status < 200) {
			if (x->head.status == 101)
				return axr__x_fail(x, AXR_EPARSE, "unexpected 101 Switching Protocols");
			axr_buf_consume(&x->in, (size_t)hl); /* interim answer: skip it */
			continue;
		}
		x->head_len = (size_t)hl;
		memset(&x->chunked, 0, sizeof(x->chunked));
	}
	size_t avail = x->in.len - x->head_len;
	char *body = x->in.data + x->head_len;
	int status = x->head.status;
	bool keep = !x->head.close;
	if (x->method == AXR_HTTP_HEAD || status == 204 || status == 304) {
		x->body_len = 0;
		*reusable = keep && avail == 0;
		return 1;
	}
	if (x->head.chunked) {
		int rc = axr_http_chunked_decode(&x->chunked, body, avail, x->c->max_response);
		if (rc == AXR_ETOOBIG)
			return axr__x_fail(x, rc, "answer body larger than %zu bytes", x->c->max_response);
		if (rc < 0)
			return axr__x_fail(x, AXR_EPARSE, "malformed chunked body");
		x->body_len = x->chunked.decoded;
		if (rc == 0)
			return eof ? axr__x_fail(x, AXR_ECLOSED, "connection closed in the middle of the answer") : 0;
		*reusable = keep && x->chunked.consumed == avail;
		return 1;
	}
	if (x->head.content_length >= 0) {
		if ((uint64_t)x->head.content_length > x->c->max_response)
			return axr__x_fail(x, AXR_ETOOBIG, "answer body larger than %zu bytes", x->c->max_response);
		size_t want = (size_t)x->head.content_length;
		if (avail < want) {
			return eof ? axr__x_fail(x, AXR_ECLOSED, "connection closed after %zu of %zu body bytes", avail, want)
			           : 0;
		}
		x->body_len = want;
		*reusable = keep && avail == want;
		return 1;
	}
	/* no framing: the body runs until the server closes */
	if (avail > x->c->max_response)
		return axr__x_fail(x, AXR_ETOOBIG, "answer body larger than %zu bytes", x->c->max_response);
	x->body_len = avail;
	return eof ? 1 : 0;
}

static void axr__x_on_read(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	axr__exchange_t *x = arg;
	bool eof = false;
	for (;;) {
		if (axr_buf_reserve(&x->in, 16384) != 0) {
			axr__x_fail(x, AXR_ENOMEM, "out of memory");
			axr__x_end(x, AXR_ENOMEM, false);
			return;
		}
		size_t room = x->in.cap - x->in.len - 1; /* one byte stays for a NUL */
		ssize_t n = recv(fd, x->in.data + x->in.len, room, 0);
		if (n > 0) {
			x->in.len += (size_t)n;
			x->in.data[x->in.len] = '\0';
			if ((size_t)n < room)
				break; /* the socket is drained for now */
			continue;
		}
		if (n == 0) {
			eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		axr__x_network_error(x, errno == ECONNRESET ? AXR_ECLOSED : AXR_EIO, errno, "receiving from");
		return;
	}
	if (eof && x->in.len == 0) {
		axr__x_network_error(x, AXR_ECLOSED, 0, "connection closed without an answer by");
		return;
	}
	bool reusable = false;
	int rc = axr__x_framed(x, eof, &reusable);
	if (rc == 0) {
		axr__x_arm_timer(x, x->timeout_ms);
		return;
	}
	if (rc < 0) {
		axr__x_end(x, rc, false);
		return;
	}
	x->in.data[x->head_len + x->body_len] = '\0';
	axr__x_end(x, 0, reusable && !eof);
}
