/* test_upgrade.c: connection upgrades (runtime/conn.c, server.h) and the handler-time websocket handshake check, on a live in-process server. */
#include <setjmp.h>
#include <stdarg.h>
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

#include "config.h"
#include "err.h"
#include "expect_msg.h"
#include "metrics.h"
#include "server.h"
#include "ws_handshake.h"

/* What the handlers saw; reset per test. */
static struct {
	atomic_int opens, closes, drains, io_finis;
	atomic_int seq;        /* event order */
	atomic_int close_seq, io_fini_seq;
	pthread_t io_thread;   /* the (single) I/O thread, from io_init */
	atomic_int close_on_io_thread;
	char data[256];        /* bytes on_data got, in order */
	atomic_size_t data_len;
	atomic_int ignore_drain; /* on_drain does nothing (the stop must close anyway) */
} seen;

static void on_open(axr_upconn_t *c, void *ctx)
{
	(void)ctx;
	atomic_fetch_add(&seen.opens, 1);
	axr_upconn_write(c, "welcome\n", 8);
}

static void on_data(axr_upconn_t *c, void *ctx, const uint8_t *data, size_t len)
{
	(void)ctx;
	size_t at = atomic_load(&seen.data_len);
	if (at + len < sizeof seen.data) {
		memcpy(seen.data + at, data, len);
		atomic_store(&seen.data_len, at + len);
	}
	axr_upconn_write(c, data, len); /* echo */
}

static void on_close(axr_upconn_t *c, void *ctx)
{
	(void)c;
	free(ctx);
	atomic_store(&seen.close_on_io_thread, pthread_equal(pthread_self(), seen.io_thread));
	atomic_store(&seen.close_seq, atomic_fetch_add(&seen.seq, 1) + 1);
	atomic_fetch_add(&seen.closes, 1);
}

static void on_drain(axr_upconn_t *c, void *ctx)
{
	(void)ctx;
	atomic_fetch_add(&seen.drains, 1);
	if (atomic_load(&seen.ignore_drain))
		return;
	axr_upconn_write(c, "bye\n", 4);
	axr_upconn_close(c);
}

/* /bulk: on_open writes BULK_BYTES of a counting pattern at once, in pieces
 * whose size does not divide the socket's, and records what stayed queued. */
#define BULK_BYTES (4 << 20)
static atomic_size_t bulk_pending;
static atomic_int bulk_write_errors;

static void on_open_bulk(axr_upconn_t *c, void *ctx)
{
	static uint8_t piece[65537];
	(void)ctx;
	atomic_fetch_add(&seen.opens, 1);
	for (size_t off = 0; off < BULK_BYTES; off += sizeof piece) {
		size_t n = BULK_BYTES - off < sizeof piece ? BULK_BYTES - off : sizeof piece;
		for (size_t i = 0; i < n; i++)
			piece[i] = (uint8_t)((off + i) % 251);
		if (axr_upconn_write(c, piece, n) != 0)
			atomic_fetch_add(&bulk_write_errors, 1); /* no cmocka asserts off the test thread */
	}
	atomic_store(&bulk_pending, axr_upconn_pending(c));
	axr_upconn_close(c); /* after the flush */
}

static const axr_upgrade_ops_t bulk_ops = {.on_open = on_open_bulk, .on_data = on_data, .on_close = on_close};

static const axr_upgrade_ops_t ops = {.on_open = on_open, .on_data = on_data, .on_close = on_close,
                                      .on_drain = on_drain};

/* Answers 101 and hands the connection to `with` (ctx is heap memory on_close frees). */
static int upgrade_to(axr_request_t *req, const axr_upgrade_ops_t *with)
{
	req->status = 101;
	axr_response_header(req, "Upgrade", "test");
	axr_response_header(req, "Connection", "Upgrade");
	return axr_request_upgrade(req, with, malloc(16));
}

/* GET /up: the echo handler. */
static int h_up(axr_request_t *req)
{
	return upgrade_to(req, &ops);
}


/* GET /bulk: on_open_bulk. */
static int h_bulk(axr_request_t *req)
{
	return upgrade_to(req, &bulk_ops);
}

/* GET /refuse: marks the upgrade, then answers 400 instead of 101. */
static int h_refuse(axr_request_t *req)
{
	int rc = axr_request_upgrade(req, &ops, malloc(16));
	if (rc != 0)
		return rc;
	return axr_response_error(req, 400, NULL, "no upgrade for you", NULL, 0);
}

/* GET /hs: answers the status axr_ws_handshake_check_request() decides. */
static int h_handshake(axr_request_t *req)
{
	axr_ws_handshake_t hs;
	axr_ws_handshake_check_request(NULL, req, &hs);
	char body[64];
	int n = snprintf(body, sizeof body, "{\"status\":%d}", hs.status);
	return axr_response_send(req, 200, NULL, body, (size_t)n);
}

static int h_plain(axr_request_t *req)
{
	return axr_response_send(req, 200, NULL, "{}", 2);
}

/* GET /notinline: an upgrade on a worker route is refused. */
static int h_notinline(axr_request_t *req)
{
	void *ctx = malloc(16);
	int rc = axr_request_upgrade(req, &ops, ctx);
	free(ctx);
	char body[32];
	int n = snprintf(body, sizeof body, "{\"rc\":%d}", rc);
	return axr_response_send(req, 200, NULL, body, (size_t)n);
}

static const axr_route_t routes[] = {
	{.method = AXR_HTTP_GET, .path = "/up", .handler = h_up, .flags = AXR_ROUTE_INLINE | AXR_ROUTE_UPGRADE},
	{.method = AXR_HTTP_GET, .path = "/bulk", .handler = h_bulk, .flags = AXR_ROUTE_INLINE | AXR_ROUTE_UPGRADE},
	{.method = AXR_HTTP_GET, .path = "/refuse", .handler = h_refuse, .flags = AXR_ROUTE_INLINE | AXR_ROUTE_UPGRADE},
	{.method = AXR_HTTP_GET, .path = "/hs", .handler = h_handshake, .flags = AXR_ROUTE_INLINE},
	{.method = AXR_HTTP_GET, .path = "/plain", .handler = h_plain, .flags = AXR_ROUTE_INLINE},
	{.method = AXR_HTTP_GET, .path = "/notinline", .handler = h_notinline, .flags = AXR_ROUTE_UPGRADE},
};

static void io_init(struct event_base *base, int index, void *ctx)
{
	(void)base;
	(void)index;
	(void)ctx;
	seen.io_thread = pthread_self();
}

static void io_fini(struct event_base *base, int index, void *ctx)
{
	(void)base;
	(void)index;
	(void)ctx;
	atomic_store(&seen.io_fini_seq, atomic_fetch_add(&seen.seq, 1) + 1);
	atomic_fetch_add(&seen.io_finis, 1);
}

/* ---- a live server -------------------------------------------------------------- */

typedef struct live {
	axr_config_t cfg;
	axr_server_t *srv;
	pthread_t thread;
	int port;
	int run_rc;
} live_t;

static void *run_server(void *arg)
{
	live_t *l = arg;
	l->run_rc = axr_server_run(l->srv);
	return NULL;
}

/* A TCP port nobody listens on right now. */
static int free_port(void)
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

static void live_start(live_t *l, long drain_ms)
{
	char err[256];
	memset(&seen, 0, sizeof seen);
	memset(l, 0, sizeof *l);
	assert_int_equal(axr_config_load(axr_config_vars, axr_config_var_count, &l->cfg, err, sizeof err), 0);
	l->cfg.port = free_port(); /* AXR_PORT=0 cannot be parsed by server.c yet */
	l->cfg.threads = 1;
	l->cfg.workers = 1;
	l->cfg.access_log = 0;
	l->cfg.drain_timeout_ms = drain_ms;
	axr_server_options_t o = {.config = &l->cfg, .io_init = io_init, .io_fini = io_fini};
	l->srv = axr_server_new(&o);
	assert_non_null(l->srv);
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		assert_int_equal(axr_server_add_route(l->srv, &routes[i]), 0);
	assert_int_equal(axr_server_start(l->srv), 0);
	l->port = axr_server_port(l->srv);
	assert_int_equal(pthread_create(&l->thread, NULL, run_server, l), 0);
}

/* Frees a stopped server and the metrics its start registered. */
static void live_free(live_t *l)
{
	axr_server_free(l->srv);
	axr_metrics_reset();
}

static void live_stop(live_t *l)
{
	axr_server_stop(l->srv);
	pthread_join(l->thread, NULL);
	live_free(l);
}

static int dial(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

static void send_all(int fd, const char *s)
{
	size_t n = strlen(s);
	assert_int_equal(send(fd, s, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Reads until `want` appears in what arrived, EOF, or `ms`. Returns the
 * bytes in buf (NUL-terminated); *eof set when the peer closed. */
static size_t read_until(int fd, char *buf, size_t cap, const char *want, long ms, bool *eof)
{
	size_t len = 0;
	*eof = false;
	buf[0] = '\0';
	while (!(want && strstr(buf, want))) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, (int)ms) <= 0)
			break;
		ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n <= 0) {
			*eof = true;
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
	}
	return len;
}

static void wait_for(atomic_int *v, int want)
{
	for (int i = 0; i < 200 && atomic_load(v) < want; i++)
		usleep(10000);
}

/* ---- cases ---------------------------------------------------------------------- */

static void test_upgrade_hands_the_connection_to_the_handler(void **state)
{
	(void)state;
	live_t l;
	char buf[2048];
	bool eof;
	live_start(&l, 2000);
	int fd = dial(l.port);
	/* Bytes right behind the head arrive with the request: on_data gets them first. */
	send_all(fd, "GET /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\nearly");
	read_until(fd, buf, sizeof buf, "welcome\nearly", 2000, &eof);
	EXPECT_MSG(strncmp(buf, "HTTP/1.1 101 ", 13) == 0, "answer: %s", buf);
	EXPECT_MSG(strstr(buf, "Content-Length") == NULL && strstr(buf, "Connection: close") == NULL,
	           "101 carries a body header or Connection: close: %s", buf);
	EXPECT_MSG(strstr(buf, "\r\n\r\nwelcome\nearly") != NULL, "after the 101: %s", buf);
	send_all(fd, "more");
	read_until(fd, buf, sizeof buf, "more", 2000, &eof);
	assert_string_equal(buf, "more");
	assert_int_equal(atomic_load(&seen.opens), 1);
	assert_int_equal(atomic_load(&seen.closes), 0);
	close(fd);
	wait_for(&seen.closes, 1);
	assert_int_equal(atomic_load(&seen.closes), 1);
	assert_true(atomic_load(&seen.close_on_io_thread));
	assert_int_equal(atomic_load(&seen.data_len), 9);
	assert_memory_equal(seen.data, "earlymore", 9);
	live_stop(&l);
	assert_int_equal(atomic_load(&seen.closes), 1);
}

static void test_writes_beyond_the_socket_queue_in_order_and_flush_before_close(void **state)
{
	(void)state;
	live_t l;
	char head[4096];
	bool eof;
	live_start(&l, 2000);
	/* 4 MiB written at once cannot fit the kernel's buffers (a fresh
	 * connection's send and receive buffers hold a few hundred KiB): the rest
	 * waits in the connection's queue. No small SO_RCVBUF: a 4 KiB window
	 * crawls at the pace of window probes (100 s for 4 MiB). */
	int fd = dial(l.port);
	send_all(fd, "GET /bulk HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n");
	wait_for(&seen.opens, 1);
	usleep(100000); /* the peer reads nothing for a while: the rest must wait in the queue */
	size_t queued = atomic_load(&bulk_pending);
	EXPECT_MSG(queued > 0 && queued < BULK_BYTES, "queued %zu of %d bytes", queued, BULK_BYTES);
	/* Skip the 101 head, then check every byte of the pattern. */
	size_t got = read_until(fd, head, sizeof head, "\r\n\r\n", 2000, &eof);
	char *body = strstr(head, "\r\n\r\n");
	assert_non_null(body);
	body += 4;
	size_t have = got - (size_t)(body - head), total = 0, bad = 0;
	uint8_t buf[65536];
	for (size_t i = 0; i < have; i++, total++)
		bad += (uint8_t)body[i] != (uint8_t)(total % 251);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 3000) <= 0)
			break;
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++, total++)
			bad += buf[i] != (uint8_t)(total % 251);
	}
	assert_int_equal(atomic_load(&bulk_write_errors), 0);
	assert_int_equal(total, BULK_BYTES);
	assert_int_equal(bad, 0);
	wait_for(&seen.closes, 1);
	assert_int_equal(atomic_load(&seen.closes), 1);
	close(fd);
	live_stop(&l);
}

static void test_upgrade_refused_by_its_handler_releases_the_context(void **state)
{
	(void)state;
	live_t l;
	char buf[2048];
	bool eof;
	live_start(&l, 2000);
	int fd = dial(l.port);
	send_all(fd, "GET /refuse HTTP/1.1\r\nHost: x\r\n\r\n");
	read_until(fd, buf, sizeof buf, "no upgrade for you\"}", 2000, &eof);
	EXPECT_MSG(strncmp(buf, "HTTP/1.1 400 ", 13) == 0, "answer: %s", buf);
	wait_for(&seen.closes, 1);
	assert_int_equal(atomic_load(&seen.closes), 1); /* the context went back at once */
	assert_int_equal(atomic_load(&seen.opens), 0);
	/* The connection stays an ordinary keep-alive one. */
	send_all(fd, "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n");
	read_until(fd, buf, sizeof buf, "{}", 2000, &eof);
	EXPECT_MSG(strncmp(buf, "HTTP/1.1 200 ", 13) == 0, "second answer: %s", buf);
	send_all(fd, "GET /notinline HTTP/1.1\r\nHost: x\r\n\r\n");
	read_until(fd, buf, sizeof buf, "}", 2000, &eof);
	EXPECT_MSG(strstr(buf, "{\"rc\":-2}") != NULL, "upgrade on a worker route: %s", buf);
	close(fd);
	live_stop(&l);
	assert_int_equal(atomic_load(&seen.closes), 1);
}

static void test_drain_lets_upgraded_connections_say_goodbye(void **state)
{
	(void)state;
	live_t l;
	char buf[2048];
	bool eof;
	live_start(&l, 2000);
	int fd = dial(l.port);
	send_all(fd, "GET /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n");
	read_until(fd, buf, sizeof buf, "welcome\n", 2000, &eof);
	axr_server_stop(l.srv);
	read_until(fd, buf, sizeof buf, NULL, 2000, &eof);
	assert_string_equal(buf, "bye\n");
	assert_true(eof);
	pthread_join(l.thread, NULL);
	assert_int_equal(l.run_rc, 0);
	live_free(&l);
	assert_int_equal(atomic_load(&seen.drains), 1);
	assert_int_equal(atomic_load(&seen.closes), 1);
	close(fd);
}

static void test_connections_left_at_stop_close_on_their_thread_before_io_fini(void **state)
{
	(void)state;
	live_t l;
	char buf[2048];
	bool eof;
	live_start(&l, 100);
	atomic_store(&seen.ignore_drain, 1);
	int fd = dial(l.port);
	send_all(fd, "GET /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n");
	read_until(fd, buf, sizeof buf, "welcome\n", 2000, &eof);
	live_stop(&l);
	assert_int_equal(atomic_load(&seen.drains), 1);
	assert_int_equal(atomic_load(&seen.closes), 1);
	assert_int_equal(atomic_load(&seen.io_finis), 1);
	assert_true(atomic_load(&seen.close_on_io_thread));
	EXPECT_MSG(atomic_load(&seen.close_seq) < atomic_load(&seen.io_fini_seq),
	           "on_close (#%d) after io_fini (#%d)", atomic_load(&seen.close_seq), atomic_load(&seen.io_fini_seq));
	close(fd);
}

static void test_handshake_check_request_reads_headers_and_version(void **state)
{
	(void)state;
	live_t l;
	char buf[2048];
	bool eof;
	static const struct {
		const char *request;
		int status;
	} cases[] = {
		{"GET /hs HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
		 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 101},
		{"GET /hs HTTP/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
		{"GET /hs HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
		 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
		{"GET /hs HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 400},
		{"GET /hs HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n", 426},
	};
	live_start(&l, 2000);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int fd = dial(l.port);
		char want[32];
		snprintf(want, sizeof want, "{\"status\":%d}", cases[i].status);
		send_all(fd, cases[i].request);
		read_until(fd, buf, sizeof buf, "}", 2000, &eof);
		EXPECT_MSG(strstr(buf, want) != NULL, "case %zu: want %s in %s", i, want, buf);
		close(fd);
	}
	live_stop(&l);

	/* A request built by hand (no connection) reads as HTTP/1.1. */
	axr_http_header_t h[] = {
		{.name = "Upgrade", .name_len = 7, .value = "WebSocket", .value_len = 9},
		{.name = "Connection", .name_len = 10, .value = "upgrade", .value_len = 7},
		{.name = "Sec-WebSocket-Key", .name_len = 17, .value = "dGhlIHNhbXBsZSBub25jZQ==", .value_len = 24},
		{.name = "Sec-WebSocket-Version", .name_len = 21, .value = "13", .value_len = 2},
		{.name = "Origin", .name_len = 6, .value = "https://evil.test", .value_len = 17},
	};
	axr_request_t req = {.method = AXR_HTTP_GET, .nheaders = 4, .headers = h};
	axr_ws_handshake_t hs;
	assert_int_equal(axr_ws_handshake_check_request(NULL, &req, &hs), 0);
	assert_int_equal(hs.status, 101);
	assert_string_equal(hs.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	static const char *const allowed[] = {"https://play.example.com"};
	axr_ws_handshake_config_t cfg = {.allowed_origins = allowed, .allowed_origins_count = 1};
	req.nheaders = 5;
	assert_int_equal(axr_ws_handshake_check_request(&cfg, &req, &hs), AXR_EFORBIDDEN);
	assert_int_equal(hs.status, 403);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_upgrade_hands_the_connection_to_the_handler),
	    cmocka_unit_test(test_writes_beyond_the_socket_queue_in_order_and_flush_before_close),
	    cmocka_unit_test(test_upgrade_refused_by_its_handler_releases_the_context),
	    cmocka_unit_test(test_drain_lets_upgraded_connections_say_goodbye),
	    cmocka_unit_test(test_connections_left_at_stop_close_on_their_thread_before_io_fini),
	    cmocka_unit_test(test_handshake_check_request_reads_headers_and_version),
	};
	return cmocka_run_group_tests_name("upgrade", tests, NULL, NULL);
}
