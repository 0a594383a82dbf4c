/* ws_load.c: hold many authenticated websockets on the notification service, publish events at a fixed rate, measure. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "bus.h"
#include "err.h"
#include "jwks.h"
#include "jwt.h"
#include "redis.h"
#include "ws.h"

/*
 * usage: ws_load -P PORT -r REDIS_URL -k KEY.pem [options]
 *
 * 1. Opens N websockets to 127.0.0.1:PORT/notifications, each as its own
 *    user bench-<i> (a token signed with KEY.pem in the Authorization
 *    header), at most -w handshakes in flight. One thread, epoll.
 * 2. Waits until every connection got its READY frame (its user channel is
 *    subscribed, docs/push.md; at most 60 s) and -s seconds more for the
 *    service to settle, then reads the service's
 *    VmRSS (-p PID): memory per connection = (RSS now - RSS before the
 *    first connection) / N.
 * 3. Publishes -e events/s for -d seconds through axr_bus_publish_with(),
 *    each to one random user (audience [bench-<j>]) with its send time in
 *    data_json, and measures the delivery latency of each (CLOCK_MONOTONIC,
 *    same process), then waits 2 s for stragglers.
 *
 * Options: -n N connections (10000), -e rate (1000), -d seconds (10),
 * -w handshakes in flight (256), -s settle seconds (2), -p server pid.
 * Prints key=value lines; exit status 0 when every connection opened and
 * every event arrived exactly once, 1 otherwise, 2 on a usage error.
 */

enum { W_CONNECTING, W_HANDSHAKE, W_OPEN, W_CLOSED };

typedef struct wconn {
	int fd;
	int state;
	int user;
	axr_ws_t *ws;
	char *request; /* handshake request while not fully sent */
	size_t request_len, request_off;
	char head[1024];
	size_t head_len;
} wconn_t;

static struct {
	int port;
	const char *redis_url;
	int n, rate, seconds, window, settle;
	long server_pid;
	char **tokens;      /* one per connection, signed before connecting */
	int ep;
	wconn_t *conns;
	int opened, failed, closed, in_flight, next_to_open;
	int ready;          /* READY frames received */
	/* Delivery: one slot per event, written by the receiving thread. */
	long events;
	double *latency_ms; /* < 0: not (yet) delivered */
	long delivered, duplicates, unexpected;
	atomic_long published, publish_failures;
	atomic_int publishing_done;
} g;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long rss_kib(long pid)
{
	char path[64], line[256];
	long kib = -1;
	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* ---- one client connection -------------------------------------------------------- */

static void on_message(void *user, axr_ws_opcode_t op, const uint8_t *payload, size_t len)
{
	(void)user;
	(void)op;
	(void)len;
	int64_t t = now_ns();
	if (strstr((const char *)payload, "\"type\":\"READY\"")) {
		g.ready++;
		return;
	}
	const char *p = strstr((const char *)payload, "\"sent\":");
	const char *k = strstr((const char *)payload, "\"seq\":");
	if (p == NULL || k == NULL) {
		g.unexpected++;
		return;
	}
	long long sent = strtoll(p + 7, NULL, 10);
	long seq = strtol(k + 6, NULL, 10);
	if (seq < 0 || seq >= g.events) {
		g.unexpected++;
		return;
	}
	if (g.latency_ms[seq] >= 0) {
		g.duplicates++;
		return;
	}
	g.latency_ms[seq] = (double)(t - sent) / 1e6;
	g.delivered++;
}

static void on_ping(void *user, const uint8_t *payload, size_t len)
{
	wconn_t *c = user;
	uint8_t frame[AXR_WS_CONTROL_FRAME_MAX], key[4];
	size_t n;
	if (getrandom(key, sizeof key, 0) != sizeof key)
		memset(key, 7, sizeof key);
	if (axr_ws_control_frame(frame, AXR_WS_PONG, payload, len, key, &n) == 0 &&
	    send(c->fd, frame, n, MSG_NOSIGNAL) != (ssize_t)n)
		fprintf(stderr, "ws_load: a pong did not go out whole\n");
}

static void conn_fail(wconn_t *c, bool was_open)
{
	epoll_ctl(g.ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	if (was_open) {
		g.closed++;
	} else {
		g.failed++;
		g.in_flight--;
	}
	c->state = W_CLOSED;
	free(c->request);
	c->request = NULL;
	axr_ws_free(c->ws);
	c->ws = NULL;
}

static int conn_open(int i)
{
	wconn_t *c = &g.conns[i];
	const char *token = g.tokens[i];
	c->user = i;
	axr_buf_t req = AXR_BUF_INIT;
	axr_buf_printf(&req,
	               "GET /notifications HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
	               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	               "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n",
	               g.port, token);
	if (!axr_buf_ok(&req))
		return -1;
	c->request = req.data;
	c->request_len = req.len;
	c->request_off = 0;
	c->head_len = 0;
	axr_ws_options_t o = {.role = AXR_WS_CLIENT};
	axr_ws_callbacks_t cb = {.on_message = on_message, .on_ping = on_ping};
	c->ws = axr_ws_new(&o, &cb, c);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->ws == NULL || c->fd < 0)
		return -1;
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g.port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0 && errno != EINPROGRESS)
		return -1;
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)i};
	if (epoll_ctl(g.ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		return -1;
	c->state = W_CONNECTING;
	g.in_flight++;
	return 0;
}

static void conn_readable(wconn_t *c)
{
	uint8_t buf[65536];
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof buf, 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_fail(c, c->state == W_OPEN);
			return;
		}
		size_t off = 0;
		if (c->state == W_HANDSHAKE) {
			size_t take = (size_t)n < sizeof c->head - 1 - c->head_len ? (size_t)n : sizeof c->head - 1 - c->head_len;
			memcpy(c->head + c->head_len, buf, take);
			c->head_len += take;
			c->head[c->head_len] = '\0';
			char *end = strstr(c->head, "\r\n\r\n");
			if (end == NULL) {
				if (c->head_len == sizeof c->head - 1)
					conn_fail(c, false);
				return;
			}
			if (strncmp(c->head, "HTTP/1.1 101 ", 13) != 0) {
				conn_fail(c, false);
				return;
			}
			size_t head_bytes = (size_t)(end + 4 - c->head);
			off = take - (c->head_len - head_bytes); /* bytes of buf already past the head */
			c->state = W_OPEN;
			g.in_flight--;
			g.opened++;
			struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)c->user};
			epoll_ctl(g.ep, EPOLL_CTL_MOD, c->fd, &ev);
		}
		if (off < (size_t)n && axr_ws_feed(c->ws, buf + off, (size_t)n - off) != 0) {
			conn_fail(c, true);
			return;
		}
		if (axr_ws_state(c->ws) != AXR_WS_OPEN) {
			conn_fail(c, true);
			return;
		}
	}
}

static void conn_writable(wconn_t *c)
{
	while (c->request && c->request_off < c->request_len) {
		ssize_t n = send(c->fd, c->request + c->request_off, c->request_len - c->request_off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN))
			return;
		if (n <= 0) {
			conn_fail(c, false);
			return;
		}
		c->request_off += (size_t)n;
	}
	free(c->request);
	c->request = NULL;
	c->state = W_HANDSHAKE;
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)c->user};
	epoll_ctl(g.ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Runs the loop for `seconds` (or until done() when given). */
static void loop_for(double seconds, bool (*done)(void))
{
	struct epoll_event evs[256];
	double end = now_s() + seconds;
	while (now_s() < end && !(done && done())) {
		while (g.next_to_open < g.n && g.in_flight < g.window) {
			int i = g.next_to_open++;
			if (conn_open(i) != 0) {
				fprintf(stderr, "ws_load: connection %d: %s\n", i, strerror(errno));
				if (g.conns[i].fd >= 0)
					close(g.conns[i].fd);
				g.conns[i].fd = -1;
				g.failed++;
			}
		}
		int n = epoll_wait(g.ep, evs, 256, 50);
		for (int k = 0; k < n; k++) {
			wconn_t *c = &g.conns[evs[k].data.u32];
			if (c->state == W_CLOSED)
				continue;
			if (c->state == W_CONNECTING && (evs[k].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
				conn_writable(c);
			else if (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				conn_readable(c);
		}
	}
}

static bool all_connected(void)
{
	return g.next_to_open == g.n && g.in_flight == 0;
}

static bool all_ready(void)
{
	return g.ready >= g.opened - g.closed;
}

static bool publishing_finished(void)
{
	return atomic_load(&g.publishing_done) != 0;
}

/* ---- the publisher ------------------------------------------------------------------- */

static void *publisher(void *arg)
{
	(void)arg;
	axr_redis_t *r = NULL;
	axr_buf_t json = AXR_BUF_INIT;
	uint64_t rng = (uint64_t)now_ns() | 1;
	if (axr_redis_new(g.redis_url, NULL, &r) != 0) {
		atomic_store(&g.publishing_done, 1);
		return NULL;
	}
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long k = 0; k < g.events; k++) {
		int64_t due = (int64_t)start.tv_sec * 1000000000 + start.tv_nsec + k * (1000000000LL / g.rate);
		struct timespec ts = {.tv_sec = due / 1000000000, .tv_nsec = due % 1000000000};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		char user[32], obj[32];
		snprintf(user, sizeof user, "bench-%d", (int)(rng % (uint64_t)g.n));
		snprintf(obj, sizeof obj, "bench-obj-%ld", k);
		const char *audience[] = {user};
		axr_buf_clear(&json);
		axr_buf_printf(&json, "{\"uid\":\"%s\",\"seq\":%ld,\"sent\":%lld}", obj, k, (long long)now_ns());
		axr_bus_event_t ev = {.type = "Bench", .action = "update", .uid = obj, .data_json = json.data,
		                      .audience = audience, .naudience = 1, .service = "bench"};
		if (axr_bus_publish_with(r, &ev) == 0)
			atomic_fetch_add(&g.published, 1);
		else
			atomic_fetch_add(&g.publish_failures, 1);
	}
	axr_buf_free(&json);
	axr_redis_free(r);
	atomic_store(&g.publishing_done, 1);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int usage(void)
{
	fprintf(stderr, "usage: ws_load -P PORT -r REDIS_URL -k KEY.pem [-n CONNS] [-e RATE] [-d SECONDS] "
	                "[-w WINDOW] [-s SETTLE] [-p SERVER_PID]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *key_file = NULL;
	int opt;
	g.n = 10000;
	g.rate = 1000;
	g.seconds = 10;
	g.window = 256;
	g.settle = 2;
	while ((opt = getopt(argc, argv, "P:r:k:n:e:d:w:s:p:")) != -1) {
		switch (opt) {
		case 'P': g.port = atoi(optarg); break;
		case 'r': g.redis_url = optarg; break;
		case 'k': key_file = optarg; break;
		case 'n': g.n = atoi(optarg); break;
		case 'e': g.rate = atoi(optarg); break;
		case 'd': g.seconds = atoi(optarg); break;
		case 'w': g.window = atoi(optarg); break;
		case 's': g.settle = atoi(optarg); break;
		case 'p': g.server_pid = atol(optarg); break;
		default: return usage();
		}
	}
	if (g.port <= 0 || !g.redis_url || !key_file || g.n < 1 || g.rate < 1 || g.rate > 1000000 || g.seconds < 1 ||
	    g.window < 1)
		return usage();

	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	axr_jwk_t *key = NULL;
	axr_jwt_signer_config_t sc;
	axr_jwt_signer_config_init(&sc);
	if (axr_jwk_from_file(key_file, NULL, &key) != 0) {
		fprintf(stderr, "ws_load: cannot load %s\n", key_file);
		return 1;
	}
	sc.key = key;
	sc.issuer = "axr";
	sc.audience = "axr";
	sc.ttl = 3600;
	g.events = (long)g.rate * g.seconds;
	g.latency_ms = malloc((size_t)g.events * sizeof *g.latency_ms);
	g.conns = calloc((size_t)g.n, sizeof *g.conns);
	g.tokens = calloc((size_t)g.n, sizeof *g.tokens);
	g.ep = epoll_create1(0);
	axr_jwt_signer_t *signer = NULL;
	axr_arena_t *arena = axr_arena_new(8192);
	if (axr_jwt_signer_new(&sc, &signer) != 0 || !g.latency_ms || !g.conns || !g.tokens || !arena || g.ep < 0) {
		fprintf(stderr, "ws_load: setup failed\n");
		return 1;
	}
	/* Sign first, so that the connect phase measures the service. */
	double ts0 = now_s();
	for (int i = 0; i < g.n; i++) {
		char user[32], *token = NULL;
		snprintf(user, sizeof user, "bench-%d", i);
		axr_jwt_claims_t claims = {.sub = user, .profile = {.uid = user}};
		axr_arena_reset(arena);
		if (axr_jwt_sign(signer, &claims, arena, &token) != 0 || (g.tokens[i] = strdup(token)) == NULL) {
			fprintf(stderr, "ws_load: cannot sign token %d\n", i);
			return 1;
		}
	}
	axr_arena_free(arena);
	axr_jwt_signer_free(signer);
	printf("tokens=%d signing_seconds=%.2f\n", g.n, now_s() - ts0);
	for (long k = 0; k < g.events; k++)
		g.latency_ms[k] = -1;
	for (int i = 0; i < g.n; i++)
		g.conns[i].fd = -1;

	long rss_before = g.server_pid ? rss_kib(g.server_pid) : -1;
	double t0 = now_s();
	loop_for(600, all_connected);
	double connect_s = now_s() - t0;
	printf("connections=%d opened=%d failed=%d connect_seconds=%.2f\n", g.n, g.opened, g.failed, connect_s);
	loop_for(60, all_ready);
	printf("ready=%d ready_seconds=%.2f\n", g.ready, now_s() - t0);
	loop_for(g.settle, NULL);
	long rss_after = g.server_pid ? rss_kib(g.server_pid) : -1;
	if (g.server_pid)
		printf("server_rss_kib_before=%ld server_rss_kib_after=%ld bytes_per_connection=%.0f\n", rss_before,
		       rss_after, g.opened ? (double)(rss_after - rss_before) * 1024.0 / g.opened : 0.0);
	fflush(stdout);

	pthread_t pub;
	if (pthread_create(&pub, NULL, publisher, NULL) != 0)
		return 1;
	loop_for(g.seconds + 60, publishing_finished);
	loop_for(2, NULL);
	pthread_join(pub, NULL);

	double *lat = malloc((size_t)(g.delivered ? g.delivered : 1) * sizeof *lat);
	long m = 0;
	for (long k = 0; k < g.events && lat; k++)
		if (g.latency_ms[k] >= 0)
			lat[m++] = g.latency_ms[k];
	qsort(lat, (size_t)m, sizeof *lat, cmp_double);
	double p50 = m ? lat[m / 2] : -1, p99 = m ? lat[m * 99 / 100] : -1, max = m ? lat[m - 1] : -1;
	long published = atomic_load(&g.published);
	printf("events=%ld rate=%d published=%ld publish_failures=%ld delivered=%ld missing=%ld duplicates=%ld "
	       "unexpected=%ld p50_ms=%.3f p99_ms=%.3f max_ms=%.3f still_open=%d\n",
	       g.events, g.rate, published, atomic_load(&g.publish_failures), g.delivered, published - g.delivered,
	       g.duplicates, g.unexpected, p50, p99, max, g.opened - g.closed);
	bool ok = g.failed == 0 && g.opened == g.n && g.ready == g.n && published == g.events &&
	          g.delivered == published && g.duplicates == 0 && g.closed == 0;
	free(lat);
	for (int i = 0; i < g.n; i++) {
		if (g.conns[i].fd >= 0 && g.conns[i].state != W_CLOSED)
			close(g.conns[i].fd);
		axr_ws_free(g.conns[i].ws);
		free(g.conns[i].request);
	}
	free(g.conns);
	free(g.latency_ms);
	for (int i = 0; i < g.n; i++)
		free(g.tokens[i]);
	free(g.tokens);
	axr_jwk_free(key);
	close(g.ep);
	return ok ? 0 : 1;
}
