/* client_harness.h: a live in-process axr server and a scripted raw HTTP peer for the client tests (test_client_*.c). */
#ifndef AXR_TEST_CLIENT_HARNESS_H
#define AXR_TEST_CLIENT_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "config.h"
#include "err.h"
#include "log.h"
#include "metrics.h"
#include "server.h"
#include "server_internal.h"

/* ---- a live server --------------------------------------------------------------- */

typedef struct client_live {
	axr_config_t cfg;
	axr_server_t *srv;
	pthread_t thread;
	int port;
	char url[80]; /* http://127.0.0.1:<port> */
} client_live_t;

static inline void *client_live_run(void *arg)
{
	client_live_t *l = arg;
	axr_server_run(l->srv);
	return NULL;
}

/* A TCP port nobody listens on right now. */
static inline int client_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof a;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/* Starts a server on an ephemeral port with `routes` and the `before`
 * hook (axr_op_before for operation routes, or NULL). */
static inline void client_live_start(client_live_t *l, const axr_route_t *routes, size_t n,
                                     int (*before)(axr_request_t *, void *))
{
	char err[256];
	memset(l, 0, sizeof(*l));
	axr_log_init("client-test", AXR_LOG_OFF);
	if (axr_config_load(axr_config_vars, axr_config_var_count, &l->cfg, err, sizeof err) != 0)
		fail_msg("config: %s", err);
	l->cfg.host = "127.0.0.1";
	l->cfg.port = client_free_port(); /* "127.0.0.1:0" does not parse in server.c (evutil) yet */
	l->cfg.threads = 1;
	l->cfg.workers = 6;
	l->cfg.access_log = 0;
	l->cfg.drain_timeout_ms = 2000;
	axr_server_options_t o = {.config = &l->cfg, .before = before};
	l->srv = axr_server_new(&o);
	assert_non_null(l->srv);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(axr_server_add_route(l->srv, &routes[i]), 0);
	assert_int_equal(axr_server_start(l->srv), 0);
	l->port = axr_server_port(l->srv);
	assert_true(l->port > 0);
	snprintf(l->url, sizeof(l->url), "http://127.0.0.1:%d", l->port);
	assert_int_equal(pthread_create(&l->thread, NULL, client_live_run, l), 0);
}

static inline void client_live_stop(client_live_t *l)
{
	axr_server_stop(l->srv);
	pthread_join(l->thread, NULL);
	axr_server_free(l->srv);
	axr_metrics_reset();
}

/* A client for `url` (+ `suffix`, e.g. "/v1"). */
static inline axr_client_t *client_for(const char *url, const char *suffix, long timeout_ms, int pool_size,
                                       unsigned flags)
{
	char full[160];
	snprintf(full, sizeof(full), "%s%s", url, suffix ? suffix : "");
	axr_client_options_t o = {.base_url = full, .timeout_ms = timeout_ms, .pool_size = pool_size, .flags = flags};
	axr_client_t *c = NULL;
	assert_int_equal(axr_client_new(&o, &c), 0);
	return c;
}

/* The port of the peer of a request's connection (tests count connections
 * by it; inline routes only, where the connection is the I/O thread's). */
static inline int client_peer_port(const axr_request_t *req)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	if (req->conn == NULL || getpeername(req->conn->fd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	return ntohs(a.sin_port);
}

/* Distinct peer ports seen (a set of at most 64). */
typedef struct client_ports {
	pthread_mutex_t lock;
	int ports[64];
	int n;
} client_ports_t;

static inline void client_ports_add(client_ports_t *s, int port)
{
	pthread_mutex_lock(&s->lock);
	bool seen = false;
	for (int i = 0; i < s->n; i++)
		seen = seen || s->ports[i] == port;
	if (!seen && s->n < 64)
		s->ports[s->n++] = port;
	pthread_mutex_unlock(&s->lock);
}

static inline int client_ports_count(client_ports_t *s)
{
	pthread_mutex_lock(&s->lock);
	int n = s->n;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static inline void client_ports_reset(client_ports_t *s)
{
	pthread_mutex_lock(&s->lock);
	s->n = 0;
	pthread_mutex_unlock(&s->lock);
}

/* ---- a scripted raw peer ------------------------------------------------------------ */

/* What the peer does on its i-th accepted connection: answers[j] is
 * written after the j-th request arrives; a NULL answer closes the
 * connection instead (without answering). After the last scripted
 * request the connection stays open until the peer stops, unless
 * close_after is set. */
typedef struct raw_conn_script {
	const char *answers[4];
	int n_requests;
	bool close_after;
} raw_conn_script_t;

typedef struct raw_peer {
	int listen_fd;
	int port;
	char url[64];
	pthread_t thread;
	const raw_conn_script_t *script;
	int n_conns;
	atomic_int accepted;
	atomic_int requests;
	atomic_bool stop;
	int open_fds[16];
	int n_open;
	char last_request[8192];
} raw_peer_t;

/* Reads one request (head + Content-Length body). false on EOF/timeout. */
static inline bool raw_read_request(raw_peer_t *p, int fd)
{
	char buf[8192];
	size_t len = 0;
	for (;;) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 3000) <= 0)
			return false;
		ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n <= 0)
			return false;
		len += (size_t)n;
		buf[len] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		if (end == NULL)
			continue;
		const char *cl = strcasestr(buf, "\r\nContent-Length:");
		size_t want = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		if (len >= want)
			break;
	}
	memcpy(p->last_request, buf, len + 1);
	atomic_fetch_add(&p->requests, 1);
	return true;
}

static inline void *raw_peer_main(void *arg)
{
	raw_peer_t *p = arg;
	for (int i = 0; i < p->n_conns && !atomic_load(&p->stop); i++) {
		struct pollfd pf = {.fd = p->listen_fd, .events = POLLIN};
		int r = 0;
		while (!atomic_load(&p->stop) && (r = poll(&pf, 1, 50)) == 0)
			;
		if (r <= 0)
			break;
		int fd = accept(p->listen_fd, NULL, NULL);
		if (fd < 0)
			break;
		atomic_fetch_add(&p->accepted, 1);
		const raw_conn_script_t *s = &p->script[i];
		bool open = true;
		for (int j = 0; j < s->n_requests && open; j++) {
			if (!raw_read_request(p, fd) || s->answers[j] == NULL) {
				open = false;
				break;
			}
			size_t n = strlen(s->answers[j]);
			if (send(fd, s->answers[j], n, MSG_NOSIGNAL) != (ssize_t)n)
				open = false;
		}
		if (!open || s->close_after || p->n_open == 16)
			close(fd);
		else
			p->open_fds[p->n_open++] = fd;
	}
	return NULL;
}

static inline void raw_peer_start(raw_peer_t *p, const raw_conn_script_t *script, int n_conns)
{
	memset(p, 0, sizeof(*p));
	p->script = script;
	p->n_conns = n_conns;
	p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof a;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(p->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(p->listen_fd, 16), 0);
	assert_int_equal(getsockname(p->listen_fd, (struct sockaddr *)&a, &len), 0);
	p->port = ntohs(a.sin_port);
	snprintf(p->url, sizeof(p->url), "http://127.0.0.1:%d", p->port);
	assert_int_equal(pthread_create(&p->thread, NULL, raw_peer_main, p), 0);
}

static inline void raw_peer_stop(raw_peer_t *p)
{
	atomic_store(&p->stop, true);
	pthread_join(p->thread, NULL);
	for (int i = 0; i < p->n_open; i++)
		close(p->open_fds[i]);
	close(p->listen_fd);
}

/* Asserts an error's kind, code and (when not NULL) a piece of its message. */
#define assert_client_error(err, want_kind, want_rc, msg_part)                                                  \
	do {                                                                                                     \
		if ((err).kind != (want_kind) || (err).rc != (want_rc) ||                                            \
		    ((msg_part) != NULL && strstr((err).message, (msg_part) ? (msg_part) : "") == NULL))             \
			fail_msg("error: kind %d rc %s (%s), message \"%s\"; wanted kind %d rc %s, message with \"%s\"", \
			         (int)(err).kind, axr_errname((err).rc), (err).code, (err).message, (int)(want_kind),     \
			         axr_errname(want_rc), (msg_part) ? (const char *)(msg_part) : "");                  \
	} while (0)

#endif
