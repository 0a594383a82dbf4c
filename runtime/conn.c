/* conn.c: one client connection: read, parse, dispatch, write, keep-alive. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "metrics.h"
#include "server_internal.h"

/* How long a drain leaves an idle keep-alive connection open for a request
 * already on its way (at most half of AXR_DRAIN_TIMEOUT). */
#define AXR__DRAIN_IDLE_MS 1000

enum { AXR__TIMER_NONE, AXR__TIMER_IDLE, AXR__TIMER_HEAD, AXR__TIMER_BODY, AXR__TIMER_WRITE, AXR__TIMER_LINGER };

/* How long a closing connection keeps reading what the client still sends,
 * so that the kernel does not answer it with a reset that destroys the
 * response in flight (what nginx calls lingering close). */
#define AXR__LINGER_MS 2000

#define AXR__READ_CHUNK 16384

/*
 * Request bytes held in the input buffers of all connections (heads and
 * bodies not yet handed to a handler), process-wide. Each connection may
 * hold a whole body (AXR_MAX_BODY) before its handler runs, so without a
 * cap 1,000 clients sending 1 MiB bodies they never finish held 0.9 GB
 * until the body deadline. Once the total is over AXR_MAX_BUFFERED (by
 * default AXR__BUFFER_BUDGET_BODIES bodies' worth), a connection that
 * holds more than a head's worth and sends more is answered 503 +
 * Retry-After and closed (load shedding); connections holding less, such
 * as health probes, are never shed.
 */
#define AXR__BUFFER_BUDGET_BODIES 64
static atomic_long axr__buffered;

static void axr__in_released(size_t n)
{
	atomic_fetch_sub(&axr__buffered, (long)n);
}

static void axr__conn_process(axr__conn_t *c);
static void axr__conn_upgraded(axr__conn_t *c);

static void axr__timer_arm(axr__conn_t *c, int mode, long ms)
{
	if (c->timer_mode == mode)
		return;
	c->timer_mode = (unsigned)mode;
	if (mode == AXR__TIMER_NONE) {
		evtimer_del(c->timer);
		return;
	}
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	evtimer_add(c->timer, &tv);
}

static void axr__reading(axr__conn_t *c, int on)
{
	if (c->reading == (unsigned)on)
		return;
	c->reading = (unsigned)on;
	if (on)
		event_add(c->rev, NULL);
	else
		event_del(c->rev);
}

/* The upgrade's context goes back to its handler: after an upgraded
 * connection ends, or when the 101 was never sent (an error answer, a
 * drain, a failed write). */
static void axr__upgrade_release(axr__conn_t *c)
{
	const axr_upgrade_ops_t *ops = c->up_ops;
	if (ops == NULL || (c->state != AXR__CONN_UPGRADED && !c->upgrade_pending))
		return;
	c->up_ops = NULL;
	c->upgrade_pending = 0;
	if (ops->on_close)
		ops->on_close(c, c->up_ctx);
}

void axr__conn_close(axr__conn_t *c)
{
	axr__io_t *io = c->io;
	axr__upgrade_release(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		io->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	event_free(c->rev);
	event_free(c->wev);
	event_free(c->timer);
	close(c->fd);
	axr__in_released(c->in.len);
	axr_buf_free(&c->in);
	axr_buf_free(&c->out);
	axr_arena_free(c->arena);
	atomic_fetch_sub(&io->srv->nconns, 1);
	free(c);
}

/* Makes a request object for the head now in `in` (or for an early error). */
/* The body limit of a route: AXR_MAX_BODY, lowered by the route's own. */
static long axr__max_body(const axr_server_t *srv, const axr_route_t *route)
{
	long max = srv->cfg->max_body;
	return route->max_body > 0 && route->max_body < max ? route->max_body : max;
}

static axr_request_t *axr__request_new(axr__conn_t *c)
{
	if (c->arena == NULL)
		c->arena = axr_arena_new(4096);
	else
		axr_arena_reset(c->arena);
	if (c->arena == NULL)
		return NULL;
	axr_request_t *req = axr_arena_calloc(c->arena, 1, sizeof(*req));
	if (req == NULL)
		return NULL;
	req->arena = c->arena;
	req->conn = c;
	req->method = -1;
	req->path = "-";
	req->route_index = -1;
	req->start = axr_now();
	c->req = req;
	return req;
}

/* Answers an error found before a handler could run, then closes. */
static void axr__early_error(axr__conn_t *c, int status, const char *why)
{
	axr_request_t *req = c->req ? c->req : axr__request_new(c);
	if (req == NULL) {
		axr__conn_close(c);
		return;
	}
	if (req->request_id[0] == '\0')
		axr__request_id(c->io, req);
	c->close_after = 1;
	req->error_reason = why;
	axr_response_error(req, status, NULL, why, NULL, 0);
	axr__conn_finish(c);
}

/* Copies the parsed head into the arena and NUL-terminates its strings. */
static int axr__request_fill(axr__conn_t *c, axr_request_t *req, const axr_http_head_t *h)
{
	char *copy = axr_arena_strndup(req->arena, c->in.data, h->head_len);
	if (copy == NULL)
		return AXR_ENOMEM;
	const char *base = c->in.data;
	req->method = h->method;
	req->headers = axr_arena_alloc(req->arena, (h->nheaders ? h->nheaders : 1) * sizeof(axr_http_header_t));
	if (req->headers == NULL)
		return AXR_ENOMEM;
	req->nheaders = h->nheaders;
	for (size_t i = 0; i < h->nheaders; i++) {
		axr_http_header_t *o = &req->headers[i];
		const axr_http_header_t *in = &h->headers[i];
		char *name = copy + (in->name - base);
		char *value = copy + (in->value - base);
		name[in->name_len] = '\0';
		value[in->value_len] = '\0';
		*o = (axr_http_header_t){.name = name, .name_len = in->name_len, .value = value, .value_len = in->value_len};
	}
	char *path = copy + (h->path - base);
	path[h->path_len] = '\0';
	req->path = path;
	if (h->query) {
		char *q = copy + (h->query - base);
		q[h->query_len] = '\0';
		req->query = q;
	}
	return 0;
}

static int axr__decode_params(axr_request_t *req, const axr_route_match_t *m)
{
	req->nparams = m->nparams;
	for (size_t i = 0; i < m->nparams; i++) {
		axr_route_param_t *p = &req->params[i];
		char *name = axr_arena_strndup(req->arena, m->params[i].name, m->params[i].name_len);
		char *value = NULL;
		if (name == NULL)
			return AXR_ENOMEM;
		/* The path was copied into the arena; decode from the copy. */
		int rc = axr__percent_decode(req->arena, m->params[i].value, m->params[i].value_len, 0, &value);
		if (rc != 0)
			return rc;
		p->name = name;
		p->name_len = m->params[i].name_len;
		p->value = value;
		p->value_len = strlen(value);
	}
	return 0;
}

/* A complete head is in `in`: build the request, route it, get ready for
 * its body. Returns 1 to go on processing, 0 to stop (answered or closed). */
static int axr__conn_on_head(axr__conn_t *c, const axr_http_head_t *h)
{
	axr_server_t *srv = c->io->srv;
	axr_request_t *req = axr__request_new(c);
	if (req == NULL || axr__request_fill(c, req, h) != 0) {
		axr__conn_close(c);
		return 0;
	}
	req->start = c->head_started;
	axr__request_id(c->io, req);
	c->head_len = h->head_len;
	c->keep_alive = h->keep_alive;
	c->http10 = h->minor_version == 0;
	c->body_len = h->chunked ? -1 : (h->content_length > 0 ? h->content_length : 0);
	memset(&c->chunked, 0, sizeof(c->chunked));
	if (atomic_load(&srv->draining))
		c->close_after = 1;
	int has_body = c->body_len != 0;
	if (!has_body) {
		/* Nothing follows the head: drop it now, so that an answer given
		 * right here leaves the connection ready for the next request. */
		axr__in_released(h->head_len);
		axr_buf_consume(&c->in, h->head_len);
		c->head_len = 0;
	}

	axr_route_match_t m;
	int rc = axr_router_match(srv->router, h->method, req->path, strlen(req->path), &m);
	if (rc == AXR_EMETHOD) {
		char allow[96];
		axr_router_allow_string(m.allow, allow, sizeof(allow));
		axr_response_header(req, "Allow", allow);
		if (has_body)
			c->close_after = 1;
		axr_response_error(req, 405, NULL, "method not allowed on this path", NULL, 0);
		axr__conn_finish(c);
		return 0;
	}
	if (rc != 0) {
		if (has_body)
			c->close_after = 1;
		axr_response_error(req, 404, NULL, "no such path", NULL, 0);
		axr__conn_finish(c);
		return 0;
	}
	req->route = m.route;
	req->route_index = m.index;
	if (axr__decode_params(req, &m) != 0) {
		if (has_body)
			c->close_after = 1;
		axr_response_error(req, 400, NULL, "invalid percent-encoding in path", NULL, 0);
		axr__conn_finish(c);
		return 0;
	}
	long max_body = axr__max_body(srv, m.route);
	if (c->body_len > max_body) {
		c->close_after = 1;
		axr_response_error(req, 413, NULL, "request body too large", NULL, 0);
		axr__conn_finish(c);
		return 0;
	}
	if (h->expect_continue && has_body) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		ssize_t n = send(c->fd, cont, sizeof(cont) - 1, MSG_NOSIGNAL);
		if (n != (ssize_t)sizeof(cont) - 1) {
			axr__conn_close(c);
			return 0;
		}
	}
	c->state = AXR__CONN_BODY;
	return 1;
}

/* Returns 1 when the body is complete (and stored in the request), 0 when
 * more input is needed; answers and returns -1 on a body error. */
static int axr__conn_body(axr__conn_t *c)
{
	axr_request_t *req = c->req;
	size_t avail = c->in.len - c->head_len;
	char *start = c->in.data + c->head_len;
	size_t consumed, body_len;
	if (c->body_len >= 0) {
		if (avail < (size_t)c->body_len)
			return 0;
		consumed = body_len = (size_t)c->body_len;
	} else {
		long max_body = axr__max_body(c->io->srv, req->route);
		/* Chunk framing and extensions make the raw input larger than the
		 * body; bound it too, so a client cannot grow the buffer forever. */
		if (avail > 2 * (size_t)max_body + 65536) {
			axr__early_error(c, 413, "request body too large");
			return -1;
		}
		int rc = axr_http_chunked_decode(&c->chunked, start, avail, (size_t)max_body);
		if (rc == 0)
			return 0;
		if (rc < 0) {
			axr__early_error(c, rc == AXR_ETOOBIG ? 413 : 400,
			                 rc == AXR_ETOOBIG ? "request body too large" : "malformed chunked body");
			return -1;
		}
		consumed = c->chunked.consumed;
		body_len = c->chunked.decoded;
	}
	if (body_len > 0) {
		char *body = axr_arena_strndup(req->arena, start, body_len);
		if (body == NULL) {
			axr__conn_close(c);
			return -1;
		}
		req->body = body;
		req->body_len = body_len;
	}
	axr__in_released(c->head_len + consumed);
	axr_buf_consume(&c->in, c->head_len + consumed);
	c->head_len = 0;
	return 1;
}

static void axr__conn_process(axr__conn_t *c)
{
	axr__io_t *io = c->io;
	const axr_config_t *cfg = io->srv->cfg;
	if (c->state == AXR__CONN_HEAD) {
		if (c->in.len == 0) {
			axr__timer_arm(c, AXR__TIMER_IDLE, cfg->idle_timeout_ms);
			return;
		}
		if (c->timer_mode != AXR__TIMER_HEAD) {
			c->head_started = axr_now();
			axr__timer_arm(c, AXR__TIMER_NONE, 0);
			axr__timer_arm(c, AXR__TIMER_HEAD, cfg->header_timeout_ms);
		}
		/* Until the head is complete, c->head_len counts the bytes of it
		 * already checked (0 at the start of each head): a head that
		 * trickles in is parsed once, not once per read. */
		if (!axr_http_head_ready(c->in.data, c->in.len, (size_t)cfg->max_header, &c->head_len))
			return;
		const char *why = NULL;
		ssize_t n = axr_http_parse_head(c->in.data, c->in.len, (size_t)cfg->max_header, &io->head, &why);
		if (n == 0)
			return;
		if (n < 0) {
			axr__early_error(c, (int)-n, why);
			return;
		}
		if (!axr__conn_on_head(c, &io->head))
			return;
		axr__timer_arm(c, AXR__TIMER_NONE, 0);
		axr__timer_arm(c, AXR__TIMER_BODY, cfg->body_timeout_ms);
	}
	if (c->state == AXR__CONN_BODY) {
		int rc = axr__conn_body(c);
		if (rc <= 0)
			return;
		axr__timer_arm(c, AXR__TIMER_NONE, 0);
		c->state = AXR__CONN_DISPATCHED;
		axr__reading(c, 0);
		axr__server_dispatch(c->req);
	}
}

static void axr__conn_written(axr__conn_t *c)
{
	axr_buf_clear(&c->out);
	c->out_off = 0;
	axr__timer_arm(c, AXR__TIMER_NONE, 0);
	if (c->state == AXR__CONN_UPGRADED) {
		axr_buf_free(&c->out); /* upgraded connections queue only while the socket is full */
		if (c->closing)
			axr__conn_close(c);
		return;
	}
	if (c->upgrade_pending && c->req && c->req->status == 101 && !c->close_after) {
		axr__conn_upgraded(c);
		return;
	}
	axr__upgrade_release(c); /* marked for upgrade, but no 101 went out */
	if (c->close_after || !c->keep_alive || atomic_load(&c->io->srv->draining)) {
		shutdown(c->fd, SHUT_WR);
		c->state = AXR__CONN_LINGER;
		axr__in_released(c->in.len);
		axr_buf_clear(&c->in);
		axr__reading(c, 1);
		axr__timer_arm(c, AXR__TIMER_LINGER, AXR__LINGER_MS);
		return;
	}
	c->req = NULL;
	c->state = AXR__CONN_HEAD;
	axr__reading(c, 1);
	axr__conn_process(c);
}

/* The 101 is out: from now on the bytes belong to the upgrade handler. */
static void axr__conn_upgraded(axr__conn_t *c)
{
	c->upgrade_pending = 0;
	c->state = AXR__CONN_UPGRADED;
	c->req = NULL;
	axr_arena_free(c->arena); /* the request is over; keep memory per connection low */
	c->arena = NULL;
	axr_buf_free(&c->out);    /* the 101 is out; see axr_upconn_write() */
	axr__reading(c, 1);
	if (c->up_ops->on_open)
		c->up_ops->on_open(c, c->up_ctx);
	if (c->state == AXR__CONN_UPGRADED && c->in.len > 0 && !c->closing) {
		c->up_ops->on_data(c, c->up_ctx, (const uint8_t *)c->in.data, c->in.len);
	}
	axr__in_released(c->in.len);
	axr_buf_free(&c->in);
}

/* Writes what is pending. Returns 1 when all is written, 0 when waiting for
 * the socket, -1 when the connection was closed. */
static int axr__conn_flush(axr__conn_t *c)
{
	while (c->out_off < c->out.len) {
		ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!c->writing) {
				c->writing = 1;
				event_add(c->wev, NULL);
			}
			axr__timer_arm(c, AXR__TIMER_WRITE, c->io->srv->cfg->body_timeout_ms);
			return 0;
		}
		axr__conn_close(c);
		return -1;
	}
	if (c->writing) {
		c->writing = 0;
		event_del(c->wev);
	}
	return 1;
}

void axr__conn_finish(axr__conn_t *c)
{
	axr_request_t *req = c->req;
	axr_server_t *srv = c->io->srv;
	if (req->status == 0)
		axr_response_error(req, 500, NULL, "handler set no response", NULL, 0);
	if (atomic_load(&srv->draining))
		c->close_after = 1;
	int keep = c->keep_alive && !c->close_after;
	axr__response_serialize(req, &c->out, axr__io_date(c->io), keep ? (c->http10 ? 2 : 1) : 0);
	double dur = axr_now() - req->start;
	axr_metrics_http_observe(req->route_index, req->status, dur);
	if (srv->cfg->access_log) {
		axr_log_request_t line = {
			.request_id = req->request_id,
			.method = req->method >= 0 ? axr_http_method_name(req->method) : "-",
			.route = req->route ? req->route->path : req->path,
			.status = req->status,
			.duration_ms = dur * 1000.0,
			.user = req->user_uid,
			.error = req->error_reason,
		};
		axr_log_request(&line);
	}
	if (!axr_buf_ok(&c->out)) {
		axr__conn_close(c);
		return;
	}
	c->state = AXR__CONN_WRITING;
	axr__reading(c, 0);
	if (axr__conn_flush(c) == 1)
		axr__conn_written(c);
}

static void axr__on_read(evutil_socket_t fd, short what, void *arg)
{
	axr__conn_t *c = arg;
	(void)what;
	if (c->state == AXR__CONN_LINGER) {
		char sink[4096];
		for (;;) {
			ssize_t n = recv(fd, sink, sizeof(sink), 0);
			if (n > 0)
				continue;
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			axr__conn_close(c);
			return;
		}
	}
	if (c->state == AXR__CONN_UPGRADED) {
		uint8_t chunk[AXR__READ_CHUNK];
		ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
		if (n > 0) {
			if (!c->closing)
				c->up_ops->on_data(c, c->up_ctx, chunk, (size_t)n);
			return;
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		axr__conn_close(c);
		return;
	}
	for (int rounds = 0; rounds < 4; rounds++) {
		if (axr_buf_reserve(&c->in, AXR__READ_CHUNK) != 0) {
			axr__conn_close(c);
			return;
		}
		size_t room = c->in.cap - c->in.len;
		ssize_t n = recv(fd, c->in.data + c->in.len, room, 0);
		if (n > 0) {
			c->in.len += (size_t)n;
			c->in.data[c->in.len] = '\0';
			atomic_fetch_add(&axr__buffered, (long)n);
			if ((size_t)n < room)
				break;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		axr__conn_close(c); /* EOF or error */
		return;
	}
	const axr_config_t *cfg = c->io->srv->cfg;
	if (c->in.len > (size_t)cfg->max_header && (c->state == AXR__CONN_HEAD || c->state == AXR__CONN_BODY) &&
	    atomic_load(&axr__buffered) >
	        (cfg->max_buffered > 0 ? cfg->max_buffered : AXR__BUFFER_BUDGET_BODIES * cfg->max_body)) {
		axr__early_error(c, 503, "too many request bytes buffered, retry later");
		return;
	}
	axr__conn_process(c);
}

static void axr__on_write(evutil_socket_t fd, short what, void *arg)
{
	axr__conn_t *c = arg;
	(void)fd;
	(void)what;
	if (axr__conn_flush(c) == 1)
		axr__conn_written(c);
}

static void axr__on_timer(evutil_socket_t fd, short what, void *arg)
{
	axr__conn_t *c = arg;
	(void)fd;
	(void)what;
	int mode = (int)c->timer_mode;
	c->timer_mode = AXR__TIMER_NONE;
	switch (mode) {
	case AXR__TIMER_HEAD:
	case AXR__TIMER_BODY:
		/* Slow or stalled client: answer 408 once and close. */
		axr__early_error(c, 408, mode == AXR__TIMER_HEAD ? "request head not received in time"
		                                                  : "request body not received in time");
		return;
	default:
		axr__conn_close(c);
		return;
	}
}

/* At AXR_MAX_CONNECTIONS, a new connection takes the place of the one of
 * this loop that has waited longest without sending a byte of a request
 * (a fresh connection still silent, or a keep-alive one between requests),
 * as nginx reuses its idle connections: clients that merely hold
 * connections open cannot lock everybody else out. Returns 0 when one was
 * closed, -1 when every connection is busy with a request. */
static int axr__conn_evict_idle(axr__io_t *io)
{
	axr__conn_t *oldest = NULL;
	for (axr__conn_t *c = io->conns; c; c = c->next) /* newest first */
		if (c->state == AXR__CONN_HEAD && c->in.len == 0)
			oldest = c;
	if (oldest == NULL)
		return -1;
	axr__conn_close(oldest);
	return 0;
}

void axr__conn_accept(axr__io_t *io, int fd, const struct sockaddr *sa)
{
	axr_server_t *srv = io->srv;
	if (atomic_fetch_add(&srv->nconns, 1) >= srv->cfg->max_connections && axr__conn_evict_idle(io) != 0) {
		atomic_fetch_sub(&srv->nconns, 1);
		close(fd);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	axr__conn_t *c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto fail;
	c->io = io;
	c->fd = fd;
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, c->peer, sizeof(c->peer));
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, c->peer, sizeof(c->peer));
	c->rev = event_new(io->base, fd, EV_READ | EV_PERSIST, axr__on_read, c);
	c->wev = event_new(io->base, fd, EV_WRITE | EV_PERSIST, axr__on_write, c);
	c->timer = evtimer_new(io->base, axr__on_timer, c);
	if (!c->rev || !c->wev || !c->timer)
		goto fail;
	c->next = io->conns;
	if (io->conns)
		io->conns->prev = c;
	io->conns = c;
	c->state = AXR__CONN_HEAD;
	axr__reading(c, 1);
	axr__timer_arm(c, AXR__TIMER_IDLE, srv->cfg->header_timeout_ms);
	return;
fail:
	if (c) {
		if (c->rev)
			event_free(c->rev);
		if (c->wev)
			event_free(c->wev);
		if (c->timer)
			event_free(c->timer);
		free(c);
	}
	close(fd);
	atomic_fetch_sub(&srv->nconns, 1);
}

void axr__conn_drain(axr__conn_t *c)
{
	if (c->state == AXR__CONN_UPGRADED) {
		if (c->up_ops->on_drain && !c->closing)
			c->up_ops->on_drain(c, c->up_ctx);
		else
			axr_upconn_close(c);
		return;
	}
	c->close_after = 1;
	if (c->state == AXR__CONN_HEAD && c->in.len == 0) {
		/* An idle keep-alive connection: a request may already be on its
		 * way (a proxy picked this connection from its pool); closing now
		 * resets it, and a proxy resends only idempotent requests, so a
		 * POST would be a 502. One that comes within the grace is answered
		 * with Connection: close; the idle timer closes a quiet one. */
		long grace = c->io->srv->cfg->drain_timeout_ms / 2;
		axr__timer_arm(c, AXR__TIMER_NONE, 0);
		axr__timer_arm(c, AXR__TIMER_IDLE, grace < AXR__DRAIN_IDLE_MS ? grace : AXR__DRAIN_IDLE_MS);
	}
}

/* ---- upgraded connections --------------------------------------------- */

int axr_request_upgrade(axr_request_t *req, const axr_upgrade_ops_t *ops, void *ctx)
{
	axr__conn_t *c = req->conn;
	if (c == NULL || req->route == NULL || !(req->route->flags & AXR_ROUTE_UPGRADE) ||
	    !(req->route->flags & AXR_ROUTE_INLINE) || ops == NULL || ops->on_data == NULL)
		return AXR_EINVAL;
	c->upgrade_pending = 1;
	c->up_ops = ops;
	c->up_ctx = ctx;
	return 0;
}

int axr_upconn_write(axr_upconn_t *c, const void *data, size_t len)
{
	const char *p = data;
	if (c->closing || c->state != AXR__CONN_UPGRADED)
		return AXR_ECLOSED;
	if (!c->writing) {
		/* Nothing waits for the socket: send now and queue only what it
		 * does not take, so an idle connection holds no output buffer. A
		 * failure closes the connection from the event loop, never under
		 * the caller. */
		while (len > 0) {
			ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
			if (n > 0) {
				p += n;
				len -= (size_t)n;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			c->closing = 1;
			axr__timer_arm(c, AXR__TIMER_NONE, 0);
			axr__timer_arm(c, AXR__TIMER_WRITE, 0);
			return AXR_ECLOSED;
		}
		if (len == 0)
			return 0;
		c->writing = 1;
		event_add(c->wev, NULL);
		axr__timer_arm(c, AXR__TIMER_WRITE, c->io->srv->cfg->body_timeout_ms);
	}
	axr_buf_append(&c->out, p, len);
	if (!axr_buf_ok(&c->out)) {
		/* Part of it may be out already: the stream cannot go on. */
		axr_upconn_close(c);
		return AXR_ENOMEM;
	}
	return 0;
}

size_t axr_upconn_pending(const axr_upconn_t *c)
{
	return c->out.len - c->out_off;
}

void axr_upconn_close(axr_upconn_t *c)
{
	if (c->closing)
		return;
	c->closing = 1;
	if (!c->writing) {
		/* Close from the loop, so callers never see `c` freed under them. */
		axr__timer_arm(c, AXR__TIMER_NONE, 0);
		axr__timer_arm(c, AXR__TIMER_WRITE, 0);
	}
}

struct event_base *axr_upconn_base(const axr_upconn_t *c)
{
	return c->io->base;
}
