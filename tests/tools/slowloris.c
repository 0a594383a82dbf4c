/* slowloris.c: hold many slow or idle connections to a server and report how and when it closed them. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * usage: slowloris [options] PORT
 *
 * Opens N connections to 127.0.0.1:PORT, one third of each kind unless -m
 * names one:
 *   head  sends the start of a request head ("GET PATH HTTP/1.1\r\nHost: a\r\n
 *         X-Slow: ") at once, then one more byte of that field every -d ms:
 *         the head never ends;
 *   idle  connects and sends nothing;
 *   body  sends a whole POST head announcing Content-Length: -L bytes, then
 *         one body byte every -d ms: the body never ends.
 * When all are connected it prints "held N" on stdout (flushed), then runs
 * until every connection was closed by the server or -H ms passed, and
 * prints one line per kind:
 *
 *   KIND opened=N closed=K answered=A status=CODE:COUNT,... close_ms_min=X
 *        close_ms_p50=X close_ms_max=X open=N
 *
 * closed counts connections the server ended (EOF or reset), answered those
 * that received any bytes, status the status codes of what was received
 * (the first line of the first answer), close_ms the time from a
 * connection's first byte sent (its connect, for idle) to its end.
 *
 * Options:
 *   -n N     connections (default 999)
 *   -m KIND  head, idle, body or mix (default mix)
 *   -d MS    interval between trickled bytes (default 500)
 *   -H MS    run at most this long (default 15000)
 *   -p PATH  request path for head and body (default /echo)
 *   -L N     Content-Length that body connections announce (default 60000)
 *   -b N     body connections send N bytes of the body at once, then trickle
 *            (default 0: to see how much a server buffers per connection)
 *   -s ADDR  bind the connections to source addresses from ADDR on (an IPv4
 *            loopback address such as 127.1.0.1), each next one one higher,
 *            as if each came from another client
 *
 * Exit status 0 when all connections were opened, 1 otherwise, 2 on usage.
 */

enum slow_kind { SLOW_HEAD, SLOW_IDLE, SLOW_BODY, SLOW_KINDS };
static const char *const slow_kind_names[SLOW_KINDS] = {"head", "idle", "body"};

typedef struct slow_conn {
	int fd;
	int kind;
	int status;         /* first status code received, 0 before */
	size_t received;
	double t_start;     /* ms */
	double t_next_send; /* ms; when the next trickled byte goes */
	double t_end;       /* ms; 0 while open */
	char first[16];     /* the first bytes of the answer */
} slow_conn_t;

static double slow_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int slow_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int slow_send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Connects (blocking, so the count of held connections is exact), sends the
 * opening bytes of its kind, then makes the socket non-blocking. */
static int slow_open(slow_conn_t *c, int port, const struct in_addr *src, const char *path, long body_len,
                     long burst)
{
	char opening[512];
	int n = 0;
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0)
		return -1;
	if (src) {
		int one = 1;
		setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = *src};
		if (bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			return -1;
	}
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&to, sizeof(to)) != 0)
		return -1;
	c->t_start = slow_now();
	if (c->kind == SLOW_HEAD)
		n = snprintf(opening, sizeof(opening), "GET %s HTTP/1.1\r\nHost: a\r\nX-Slow: ", path);
	else if (c->kind == SLOW_BODY)
		n = snprintf(opening, sizeof(opening),
		             "POST %s HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: %ld\r\n\r\n",
		             path, body_len);
	if (n > 0 && slow_send_all(c->fd, opening, (size_t)n) != 0)
		return -1;
	if (c->kind == SLOW_BODY && burst > 0) {
		static char zeros[65536];
		for (long left = burst; left > 0;) {
			size_t k = left < (long)sizeof(zeros) ? (size_t)left : sizeof(zeros);
			memset(zeros, ' ', k); /* JSON whitespace */
			if (slow_send_all(c->fd, zeros, k) != 0)
				return -1;
			left -= (long)k;
		}
	}
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	return 0;
}

static void slow_end(slow_conn_t *c)
{
	c->t_end = slow_now();
	close(c->fd);
	c->fd = -1;
}

/* Reads what the server sent; ends the connection on EOF or an error. */
static void slow_read(slow_conn_t *c)
{
	char buf[4096];
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		if (n > 0) {
			size_t have = c->received < sizeof(c->first) - 1 ? c->received : sizeof(c->first) - 1;
			size_t take = sizeof(c->first) - 1 - have;
			if (take > (size_t)n)
				take = (size_t)n;
			memcpy(c->first + have, buf, take);
			c->received += (size_t)n;
			if (c->status == 0 && c->received >= 12 && strncmp(c->first, "HTTP/1.", 7) == 0)
				c->status = atoi(c->first + 9);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		slow_end(c);
		return;
	}
}

static void slow_report(const slow_conn_t *conns, int n, int kind)
{
	int opened = 0, closed = 0, answered = 0, open = 0;
	int codes[8] = {0}, counts[8] = {0}, ncodes = 0;
	double *times = calloc((size_t)n + 1, sizeof(double));
	if (times == NULL)
		return;
	for (int i = 0; i < n; i++) {
		const slow_conn_t *c = &conns[i];
		if (c->kind != kind || c->t_start == 0)
			continue;
		opened++;
		if (c->received > 0)
			answered++;
		if (c->t_end > 0)
			times[closed++] = c->t_end - c->t_start;
		else
			open++;
		if (c->status != 0) {
			int j = 0;
			while (j < ncodes && codes[j] != c->status)
				j++;
			if (j == ncodes && ncodes < 8)
				codes[ncodes++] = c->status;
			if (j < ncodes)
				counts[j]++;
		}
	}
	if (opened == 0) {
		free(times);
		return;
	}
	qsort(times, (size_t)closed, sizeof(double), slow_cmp_double);
	printf("%s opened=%d closed=%d answered=%d status=", slow_kind_names[kind], opened, closed, answered);
	for (int j = 0; j < ncodes; j++)
		printf("%s%d:%d", j ? "," : "", codes[j], counts[j]);
	if (ncodes == 0)
		printf("-");
	if (closed > 0)
		printf(" close_ms_min=%.0f close_ms_p50=%.0f close_ms_max=%.0f", times[0], times[closed / 2],
		       times[closed - 1]);
	else
		printf(" close_ms_min=- close_ms_p50=- close_ms_max=-");
	printf(" open=%d\n", open);
	free(times);
}

int main(int argc, char **argv)
{
	int n = 999, mode = -1, opt;
	double interval = 500, hold = 15000;
	const char *path = "/echo", *src_text = NULL;
	long body_len = 60000, burst = 0;
	while ((opt = getopt(argc, argv, "n:m:d:H:p:L:s:b:")) != -1) {
		switch (opt) {
		case 'n': n = atoi(optarg); break;
		case 'm':
			for (int k = 0; k < SLOW_KINDS; k++)
				if (strcmp(optarg, slow_kind_names[k]) == 0)
					mode = k;
			if (mode < 0 && strcmp(optarg, "mix") != 0)
				goto usage;
			break;
		case 'd': interval = atof(optarg); break;
		case 'H': hold = atof(optarg); break;
		case 'p': path = optarg; break;
		case 'L': body_len = atol(optarg); break;
		case 's': src_text = optarg; break;
		case 'b': burst = atol(optarg); break;
		default: goto usage;
		}
	}
	if (optind + 1 != argc || n <= 0 || interval <= 0 || strlen(path) > 256)
		goto usage;
	int port = atoi(argv[optind]);
	struct in_addr src = {0};
	if (src_text && inet_pton(AF_INET, src_text, &src) != 1)
		goto usage;

	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	slow_conn_t *conns = calloc((size_t)n, sizeof(*conns));
	struct pollfd *pfd = calloc((size_t)n, sizeof(*pfd));
	int *idx = calloc((size_t)n, sizeof(*idx));
	if (conns == NULL || pfd == NULL || idx == NULL)
		return 1;
	int opened = 0;
	for (int i = 0; i < n; i++) {
		slow_conn_t *c = &conns[i];
		c->kind = mode >= 0 ? mode : i % SLOW_KINDS;
		struct in_addr a = {.s_addr = htonl(ntohl(src.s_addr) + (uint32_t)i)};
		if (slow_open(c, port, src_text ? &a : NULL, path, body_len, burst) != 0) {
			fprintf(stderr, "slowloris: connection %d: %s\n", i, strerror(errno));
			if (c->fd >= 0)
				close(c->fd);
			c->fd = -1;
			c->t_start = 0;
			continue;
		}
		c->t_next_send = c->t_start + interval;
		opened++;
	}
	printf("held %d\n", opened);
	fflush(stdout);

	double t_stop = slow_now() + hold;
	for (;;) {
		double now = slow_now();
		int np = 0;
		for (int i = 0; i < n; i++) {
			slow_conn_t *c = &conns[i];
			if (c->fd < 0)
				continue;
			if (c->kind != SLOW_IDLE && now >= c->t_next_send) {
				ssize_t w = send(c->fd, "a", 1, MSG_NOSIGNAL);
				if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
					slow_read(c); /* collect an answer sent before the reset */
					if (c->fd >= 0)
						slow_end(c);
					continue;
				}
				c->t_next_send = now + interval;
			}
			pfd[np] = (struct pollfd){.fd = c->fd, .events = POLLIN};
			idx[np++] = i;
		}
		if (np == 0 || now >= t_stop)
			break;
		int rc = poll(pfd, (nfds_t)np, 20);
		for (int j = 0; rc > 0 && j < np; j++) {
			if (pfd[j].revents)
				slow_read(&conns[idx[j]]);
		}
	}
	for (int k = 0; k < SLOW_KINDS; k++)
		slow_report(conns, n, k);
	for (int i = 0; i < n; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	free(idx);
	free(pfd);
	free(conns);
	return opened == n ? 0 : 1;
usage:
	fprintf(stderr, "usage: slowloris [-n N] [-m head|idle|body|mix] [-d MS] [-H MS] [-p PATH] [-L N] [-b N] [-s ADDR] PORT\n");
	return 2;
}
