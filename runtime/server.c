/* server.c: I/O threads, dispatch to workers, built-in endpoints, drain. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/thread.h>

#include "err.h"
#include "log.h"
#include "metrics.h"
#include "server_internal.h"
#include "service.h"

/* ---- helpers used by conn.c ------------------------------------------ */

const char *axr__io_date(axr__io_t *io)
{
	time_t now = time(NULL);
	if (now != io->date_sec) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(io->date, sizeof(io->date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		io->date_sec = now;
	}
	return io->date;
}

static int axr__request_id_ok(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (n >= 64 || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		                 c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return n > 0;
}

/* xorshift64*: request ids need to be unique-ish, not secret. */
static uint64_t axr__rand64(axr__io_t *io)
{
	uint64_t x = ((uint64_t)io->rng[0] << 32) | io->rng[1];
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	io->rng[0] = (unsigned)(x >> 32);
	io->rng[1] = (unsigned)x;
	return x * 0x2545F4914F6CDD1DULL;
}

void axr__request_id(axr__io_t *io, axr_request_t *req)
{
	const char *given = axr_request_header(req, "X-Request-Id");
	if (given && axr__request_id_ok(given)) {
		snprintf(req->request_id, sizeof(req->request_id), "%s", given);
		return;
	}
	/* 16 hex digits, as "%016llx" would print them (without printf's cost). */
	static const char hex[] = "0123456789abcdef";
	uint64_t x = axr__rand64(io);
	for (int i = 15; i >= 0; i--, x >>= 4)
		req->request_id[i] = hex[x & 15];
	req->request_id[16] = '\0';
}

/* ---- dispatch -------------------------------------------------------- */

void axr__server_handler_result(axr_request_t *req, int rc)
{
	if (rc != 0 && (req->status == 0 || req->status < 400)) {
		req->error_reason = axr_strerror(rc);
		axr_response_from_err(req, rc, NULL);
	} else if (rc == 0 && req->status == 0) {
		req->error_reason = "handler returned without a response";
		axr_response_error(req, 500, NULL, NULL, NULL, 0);
	}
}

static void axr__run_handler(axr_request_t *req)
{
	axr__server_handler_result(req, req->route->handler(req));
}

/* Worker side: run the handler, then hand the request back to its I/O
 * thread, which alone may touch the connection. */
static void axr__worker_run(axr_request_t *req, void *ctx)
{
	(void)ctx;
	axr__run_handler(req);
	axr__io_t *io = req->conn->io;
	req->next = NULL;
	pthread_mutex_lock(&io->done_lock);
	if (io->done_tail)
		io->done_tail->next = req;
	else
		io->done_head = req;
	io->done_tail = req;
	pthread_mutex_unlock(&io->done_lock);
	event_active(io->done_ev, EV_READ, 0);
}

static void axr__on_done(evutil_socket_t fd, short what, void *arg)
{
	axr__io_t *io = arg;
	(void)fd;
	(void)what;
	pthread_mutex_lock(&io->done_lock);
	axr_request_t *req = io->done_head;
	io->done_head = io->done_tail = NULL;
	pthread_mutex_unlock(&io->done_lock);
	while (req) {
		axr_request_t *next = req->next;
		atomic_fetch_sub(&io->srv->inflight, 1);
		axr__conn_finish(req->conn);
		req = next;
	}
}

void axr__server_dispatch(axr_request_t *req)
{
	axr_server_t *srv = req->conn->io->srv;
	if (srv->opts.before) {
		int rc = srv->opts.before(req, srv->opts.ctx);
		if (rc != 0 || req->status != 0) {
			if (req->status == 0)
				axr_response_from_err(req, rc, NULL);
			axr__conn_finish(req->conn);
			return;
		}
	}
	if (req->route->flags & AXR_ROUTE_INLINE) {
		axr__run_handler(req);
		axr__conn_finish(req->conn);
		return;
	}
	if (axr__crud_direct_take(req->conn->io->direct, req))
		return;
	axr__server_submit(req);
}

void axr__server_submit(axr_request_t *req)
{
	axr_server_t *srv = req->conn->io->srv;
	atomic_fetch_add(&srv->inflight, 1);
	if (axr_pool_submit(srv->pool, req) != 0) {
		atomic_fetch_sub(&srv->inflight, 1);
		req->error_reason = "worker queue full";
		axr_response_error(req, 503, "OVERLOADED", "server busy, retry later", NULL, 0);
		axr__conn_finish(req->conn);
	}
}

/* ---- built-in endpoints ---------------------------------------------- */

static axr_server_t *axr__srv(axr_request_t *req)
{
	return req->conn->io->srv;
}

static int axr__builtin_status(axr_request_t *req)
{
	axr_server_t *srv = axr__srv(req);
	char now[40], body[512];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	int n = snprintf(body, sizeof(body), "{\"name\":\"%s\",\"version\":\"%s\",\"time\":\"%s\"}",
	                 srv->opts.service_name, srv->opts.service_version, now);
	return axr_response_send(req, 200, NULL, body, (size_t)n);
}

static int axr__builtin_healthz(axr_request_t *req)
{
	static const char body[] = "{\"status\":\"ok\"}";
	return axr_response_send(req, 200, NULL, body, sizeof(body) - 1);
}

static int axr__builtin_readyz(axr_request_t *req)
{
	axr_server_t *srv = axr__srv(req);
	const char *why = NULL;
	if (atomic_load(&srv->draining))
		why = "draining";
	else if (srv->opts.ready && !srv->opts.ready(srv->opts.ctx, &why) && why == NULL)
		why = "a dependency is unavailable";
	if (why)
		return axr_response_error(req, 503, "NOT_READY", why, NULL, 0);
	static const char body[] = "{\"status\":\"ready\"}";
	return axr_response_send(req, 200, NULL, body, sizeof(body) - 1);
}

static int axr__builtin_metrics(axr_request_t *req)
{
	axr_buf_t b = AXR_BUF_INIT;
	axr_metrics_render(&b);
	int rc = axr_buf_ok(&b) ? axr_response_send(req, 200, "text/plain; version=0.0.4", b.data, b.len)
	                        : AXR_ENOMEM;
	axr_buf_free(&b);
	return rc;
}

static double axr__gauge_conns(void *ctx)
{
	return (double)atomic_load(&((axr_server_t *)ctx)->nconns);
}

static double axr__gauge_inflight(void *ctx)
{
	return (double)atomic_load(&((axr_server_t *)ctx)->inflight);
}

static double axr__gauge_queue(void *ctx)
{
	axr_server_t *s = ctx;
	return s->pool ? (double)axr_pool_queued(s->pool) : 0;
}

static double axr__gauge_ready(void *ctx)
{
	axr_server_t *s = ctx;
	const char *why = NULL;
	if (atomic_load(&s->draining))
		return 0;
	return s->opts.ready ? (double)(s->opts.ready(s->opts.ctx, &why) != 0) : 1;
}

/* ---- lifecycle ------------------------------------------------------- */

static void axr__threads_init(void)
{
	evthread_use_pthreads();
}

axr_server_t *axr_server_new(const axr_server_options_t *opts)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, axr__threads_init);
	if (opts == NULL || opts->config == NULL)
		return NULL;
	axr_server_t *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->opts = *opts;
	if (s->opts.service_name == NULL)
		s->opts.service_name = "axr";
	if (s->opts.service_version == NULL)
		s->opts.service_version = "0";
	s->cfg = opts->config;
	s->router = axr_router_new();
	if (s->router == NULL) {
		free(s);
		return NULL;
	}
	static char retry[16];
	snprintf(retry, sizeof(retry), "%ld", s->cfg->retry_after_s);
	s->retry_after = retry;
	static const struct {
		const char *path;
		axr_handler_fn fn;
	} builtin[] = {
		{"/status", axr__builtin_status},
		{"/healthz", axr__builtin_healthz},
		{"/readyz", axr__builtin_readyz},
		{"/metrics", axr__builtin_metrics},
	};
	for (size_t i = 0; i < 4; i++) {
		s->builtin[i] = (axr_route_t){.method = AXR_HTTP_GET, .path = builtin[i].path,
		                              .handler = builtin[i].fn, .flags = AXR_ROUTE_INLINE,
		                              .name = builtin[i].path + 1};
		axr_router_add(s->router, &s->builtin[i]);
	}
	return s;
}

int axr_server_add_route(axr_server_t *s, const axr_route_t *route)
{
	return axr_router_add(s->router, route);
}

static void axr__on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
	(void)l;
	(void)len;
	axr__conn_accept(arg, fd, sa);
}

static void axr__on_accept_error(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	/* EMFILE and friends: log and keep serving the connections we have. */
	axr_log_warn("accept failed: %s", strerror(errno));
}

/* Main thread asked this I/O thread to drain or stop. */
static void axr__on_ctrl(evutil_socket_t fd, short what, void *arg)
{
	axr__io_t *io = arg;
	(void)fd;
	(void)what;
	if (atomic_load(&io->srv->stop_requested) == 2) {
		event_base_loopbreak(io->base);
		return;
	}
	if (io->listener) {
		evconnlistener_free(io->listener);
		io->listener = NULL;
	}
	axr__conn_t *c = io->conns;
	while (c) {
		axr__conn_t *next = c->next;
		axr__conn_drain(c);
		c = next;
	}
}

static void *axr__io_main(void *arg)
{
	axr__io_t *io = arg;
	const axr_server_options_t *o = &io->srv->opts;
	if (o->io_init)
		o->io_init(io->base, io->index, o->ctx);
	event_base_loop(io->base, EVLOOP_NO_EXIT_ON_EMPTY);
	/* Statements still in flight are forgotten with their connection;
	 * their client connections close below. */
	axr__crud_direct_free(io->direct);
	io->direct = NULL;
	/* Connections still open after the drain close here, on their own
	 * thread and before io_fini, so upgrade handlers' on_close can still
	 * use the per-thread state io_fini tears down. */
	while (io->conns)
		axr__conn_close(io->conns);
	if (o->io_fini)
		o->io_fini(io->base, io->index, o->ctx);
	return NULL;
}

static int axr__io_setup(axr_server_t *s, axr__io_t *io, int index)
{
	io->srv = s;
	io->index = index;
	pthread_mutex_init(&io->done_lock, NULL);
	uint64_t seed = 0;
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)time(NULL) ^ ((uint64_t)index << 32);
	io->rng[0] = (unsigned)(seed >> 32) | 1u;
	io->rng[1] = (unsigned)seed;
	io->base = event_base_new();
	if (io->base == NULL)
		return AXR_ENOMEM;
	if (s->cfg->database_url != NULL && s->cfg->database_url[0] != '\0') {
		/* Without it the thread just sends every request to the workers. */
		axr_db_options_t dbo;
		axr_service_db_options(s->cfg, s->opts.service_name, &dbo);
		io->direct = axr__crud_direct_new(io->base, s->cfg->database_url, &dbo);
	}
	io->done_ev = event_new(io->base, -1, 0, axr__on_done, io);
	io->ctrl_ev = event_new(io->base, -1, 0, axr__on_ctrl, io);
	if (!io->done_ev || !io->ctrl_ev)
		return AXR_ENOMEM;
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	char addr[300];
	int port = s->port ? s->port : (int)s->cfg->port;
	/* libevent refuses port 0 in text: parse with a stand-in, then set the
	 * real port (0 = the kernel picks one; the first listener's is reused). */
	snprintf(addr, sizeof(addr), strchr(s->cfg->host, ':') ? "[%s]:1" : "%s:1", s->cfg->host);
	if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &sslen) != 0) {
		axr_log_error("AXR_HOST: cannot parse '%s'", s->cfg->host);
		return AXR_ECONFIG;
	}
	if (ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
	snprintf(addr, sizeof(addr), "%s:%d", s->cfg->host, port);
	io->listener = evconnlistener_new_bind(
		io->base, axr__on_accept, io,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT | LEV_OPT_CLOSE_ON_EXEC, 4096,
		(struct sockaddr *)&ss, sslen);
	if (io->listener == NULL) {
		axr_log_error("cannot listen on %s: %s", addr, strerror(errno));
		return AXR_EIO;
	}
	evconnlistener_set_error_cb(io->listener, axr__on_accept_error);
	if (s->port == 0) {
		struct sockaddr_storage bound;
		socklen_t blen = sizeof(bound);
		getsockname(evconnlistener_get_fd(io->listener), (struct sockaddr *)&bound, &blen);
		s->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
	}
	return 0;
}

int axr_server_start(axr_server_t *s)
{
	int n = (int)s->cfg->threads;
	if (n <= 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		n = cores > 0 ? (int)cores : 1;
	}
	s->port = s->cfg->port == 0 ? 0 : (int)s->cfg->port;
	s->nio = n;
	s->io = calloc((size_t)n, sizeof(*s->io));
	if (s->io == NULL)
		return AXR_ENOMEM;
	for (int i = 0; i < n; i++) {
		int rc = axr__io_setup(s, &s->io[i], i);
		if (rc != 0)
			return rc;
	}

	int nroutes = axr_router_count(s->router);
	s->route_direct = calloc((size_t)nroutes + 1, sizeof(*s->route_direct));
	if (s->route_direct == NULL)
		return AXR_ENOMEM;
	s->nroute_direct = nroutes;
	const char **labels = calloc((size_t)nroutes + 1, sizeof(char *));
	const char **methods = calloc((size_t)nroutes + 1, sizeof(char *));
	if (!labels || !methods) {
		free(labels);
		free(methods);
		return AXR_ENOMEM;
	}
	for (int i = 0; i < nroutes; i++) {
		labels[i] = axr_router_route(s->router, i)->path;
		methods[i] = axr_http_method_name(axr_router_route(s->router, i)->method);
	}
	int mrc = axr_metrics_http_init((size_t)nroutes, labels, methods);
	free(labels);
	free(methods);
	if (mrc != 0)
		return AXR_ENOMEM;
	axr_metrics_gauge_fn("axr_connections_open", "Open client connections.", "", axr__gauge_conns, s);
	axr_metrics_gauge_fn("axr_requests_in_flight", "Requests queued or running on workers.", "",
	                     axr__gauge_inflight, s);
	axr_metrics_gauge_fn("axr_worker_queue_depth", "Requests waiting for a worker.", "", axr__gauge_queue, s);
	axr_metrics_gauge_fn("axr_ready", "1 when /readyz answers 200.", "", axr__gauge_ready, s);

	axr_pool_hooks_t hooks = s->opts.worker;
	hooks.run = axr__worker_run;
	if (hooks.ctx == NULL)
		hooks.ctx = s->opts.ctx;
	s->pool = axr_pool_new((int)s->cfg->workers, (size_t)s->cfg->queue_max, &hooks);
	if (s->pool == NULL)
		return AXR_ENOMEM;
	for (int i = 0; i < n; i++) {
		if (pthread_create(&s->io[i].thread, NULL, axr__io_main, &s->io[i]) != 0)
			return AXR_ENOMEM;
	}
	axr_log_info("listening on %s:%d (%d I/O threads, %ld workers)", s->cfg->host, s->port, n, s->cfg->workers);
	return 0;
}

int axr_server_port(const axr_server_t *s)
{
	return s->port;
}

int axr_server_draining(const axr_server_t *s)
{
	return atomic_load(&s->draining);
}

static void axr__on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void axr__on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	axr_log_info("signal %d: shutting down", (int)sig);
	axr_server_stop(arg);
}

void axr_server_stop(axr_server_t *s)
{
	int expected = 0;
	if (atomic_compare_exchange_strong(&s->stop_requested, &expected, 1) && s->stop_ev)
		event_active(s->stop_ev, EV_READ, 0);
}

int axr_server_run(axr_server_t *s)
{
	s->main_base = event_base_new();
	if (s->main_base == NULL)
		return AXR_ENOMEM;
	s->stop_ev = event_new(s->main_base, -1, EV_PERSIST, axr__on_stop, s->main_base);
	if (s->stop_ev == NULL)
		return AXR_ENOMEM;
	event_add(s->stop_ev, NULL);
	struct event *sigterm = evsignal_new(s->main_base, SIGTERM, axr__on_signal, s);
	struct event *sigint = evsignal_new(s->main_base, SIGINT, axr__on_signal, s);
	if (!sigterm || !sigint)
		return AXR_ENOMEM;
	event_add(sigterm, NULL);
	event_add(sigint, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (atomic_load(&s->stop_requested) == 0)
		event_base_dispatch(s->main_base);

	/* Drain: readiness fails, listeners close, busy connections finish. */
	axr_log_info("draining: %ld connections, %ld requests in flight", (long)atomic_load(&s->nconns),
	             (long)atomic_load(&s->inflight));
	atomic_store(&s->draining, 1);
	for (int i = 0; i < s->nio; i++)
		event_active(s->io[i].ctrl_ev, EV_READ, 0);
	double deadline = axr_now() + (double)s->cfg->drain_timeout_ms / 1000.0;
	while (atomic_load(&s->nconns) > 0 && axr_now() < deadline)
		usleep(10000);
	int rc = atomic_load(&s->inflight) > 0 ? AXR_ETIMEOUT : 0;
	if (rc != 0)
		axr_log_warn("drain deadline passed with %ld requests in flight", (long)atomic_load(&s->inflight));
	atomic_store(&s->stop_requested, 2);
	for (int i = 0; i < s->nio; i++)
		event_active(s->io[i].ctrl_ev, EV_READ, 0);
	for (int i = 0; i < s->nio; i++)
		pthread_join(s->io[i].thread, NULL);
	for (int i = 0; i < s->nio; i++)
		s->io[i].thread = 0;
	event_free(sigterm);
	event_free(sigint);
	axr_log_info("stopped");
	return rc;
}

void axr_server_free(axr_server_t *s)
{
	if (s == NULL)
		return;
	if (s->io) {
		/* Threads of a server that started but never ran: stop them. */
		atomic_store(&s->stop_requested, 2);
		for (int i = 0; i < s->nio; i++) {
			if (s->io[i].thread) {
				event_active(s->io[i].ctrl_ev, EV_READ, 0);
				pthread_join(s->io[i].thread, NULL);
			}
		}
	}
	axr_pool_free(s->pool);
	for (int i = 0; s->io && i < s->nio; i++) {
		axr__io_t *io = &s->io[i];
		while (io->conns)
			axr__conn_close(io->conns);
		if (io->listener)
			evconnlistener_free(io->listener);
		axr__crud_direct_free(io->direct);
		io->direct = NULL;
		if (io->done_ev)
			event_free(io->done_ev);
		if (io->ctrl_ev)
			event_free(io->ctrl_ev);
		if (io->base)
			event_base_free(io->base);
		pthread_mutex_destroy(&io->done_lock);
	}
	free(s->io);
	free(s->route_direct);
	if (s->stop_ev)
		event_free(s->stop_ev);
	if (s->main_base)
		event_base_free(s->main_base);
	axr_router_free(s->router);
	free(s);
}
