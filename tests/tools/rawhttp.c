/* rawhttp.c: send exact bytes to a local HTTP server and show exactly what comes back. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * usage: rawhttp [options] PORT [DATA...]
 *
 * Connects to 127.0.0.1:PORT, sends the bytes (the file of -f first, then each
 * DATA argument, with C escapes \r \n \t \0 \\ \" \' \xHH), and copies every
 * byte the server answers to stdout, unchanged. A summary goes to stderr:
 *
 *   rawhttp: sent=N received=N end=closed|reset|timeout|quiet connect_ms=X
 *            first_byte_ms=X end_ms=X total_ms=X before_last=N
 *
 * Times are milliseconds: connect_ms is the TCP connect, the others count from
 * the first byte sent (first_byte_ms is -1 when nothing came back); total_ms
 * counts from before the connect. end says why reading stopped: the server
 * closed (EOF), reset the connection, the -t deadline passed, or the server
 * stayed quiet for -i ms. before_last is how many bytes had come back before
 * the last DATA segment was sent (to see a 100 Continue arrive in time).
 *
 * Options:
 *   -f FILE  send the bytes of FILE before any DATA
 *   -d MS    send one byte at a time, MS ms apart; stops sending once the
 *            server closes
 *   -g MS    wait MS ms (reading meanwhile) before each DATA segment after the first
 *   -t MS    stop reading MS ms after the last byte was sent (default 5000)
 *   -i MS    stop reading once nothing arrived for MS ms (after the first byte)
 *   -n N     hold mode: open N connections, send the bytes on each, print
 *            "held N" on stdout, keep them open for -H MS (default 5000), then
 *            print "closed_by_server=K" (connections the server closed meanwhile)
 *   -H MS    how long hold mode keeps its connections
 *
 * Exit status: 0 when the exchange ran (whatever the server answered), 1 when
 * the connection could not be made, 2 on a usage error.
 */

typedef struct rawhttp_segment {
	char *data;
	size_t len;
} rawhttp_segment_t;

typedef struct rawhttp_session {
	int fd;
	size_t sent;
	size_t received;
	double t_start;      /* before connect */
	double t_first_send; /* after connect */
	double t_first_byte; /* < 0 until something arrives */
	double t_last_byte;
	double t_end;
	const char *end;     /* NULL while the connection is open */
} rawhttp_session_t;

static double rawhttp_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void rawhttp_sleep_ms(double ms)
{
	if (ms <= 0)
		return;
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)((ms - (double)(long)(ms / 1000) * 1000) * 1e6)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Decodes the C escapes of `s` into a new buffer. Returns -1 on a bad escape. */
static int rawhttp_unescape(const char *s, rawhttp_segment_t *out)
{
	size_t n = strlen(s);
	char *d = malloc(n + 1);
	size_t j = 0;
	if (d == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			d[j++] = s[i];
			continue;
		}
		if (++i == n)
			goto fail;
		switch (s[i]) {
		case 'r': d[j++] = '\r'; break;
		case 'n': d[j++] = '\n'; break;
		case 't': d[j++] = '\t'; break;
		case '0': d[j++] = '\0'; break;
		case '\\': d[j++] = '\\'; break;
		case '"': d[j++] = '"'; break;
		case '\'': d[j++] = '\''; break;
		case 'x': {
			if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) || !isxdigit((unsigned char)s[i + 2]))
				goto fail;
			char hex[3] = {s[i + 1], s[i + 2], '\0'};
			d[j++] = (char)strtol(hex, NULL, 16);
			i += 2;
			break;
		}
		default:
			goto fail;
		}
	}
	out->data = d;
	out->len = j;
	return 0;
fail:
	free(d);
	return -1;
}

static int rawhttp_read_file(const char *path, rawhttp_segment_t *out)
{
	FILE *f = fopen(path, "rb");
	char *d = NULL;
	size_t len = 0, cap = 0;
	if (f == NULL)
		return -1;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			char *grown = realloc(d, cap);
			if (grown == NULL)
				goto fail;
			d = grown;
		}
		size_t n = fread(d + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		goto fail;
	fclose(f);
	out->data = d;
	out->len = len;
	return 0;
fail:
	free(d);
	fclose(f);
	return -1;
}

static int rawhttp_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void rawhttp_finish(rawhttp_session_t *s, const char *why)
{
	if (s->end == NULL) {
		s->end = why;
		s->t_end = rawhttp_now();
	}
}

/* Reads whatever arrives for up to `ms` ms (forever when ms < 0), copying it to
 * stdout; stops early when the connection ends, or when `quiet_ms` >= 0 and
 * nothing arrived for that long after the first byte. */
static void rawhttp_pump(rawhttp_session_t *s, double ms, double quiet_ms)
{
	double deadline = ms >= 0 ? rawhttp_now() + ms : -1;
	char buf[65536];
	while (s->end == NULL) {
		double now = rawhttp_now();
		double wait = deadline >= 0 ? deadline - now : 1e9;
		if (quiet_ms >= 0 && s->t_first_byte >= 0) {
			double q = s->t_last_byte + quiet_ms - now;
			if (q <= 0) {
				rawhttp_finish(s, "quiet");
				return;
			}
			if (q < wait)
				wait = q;
		}
		if (deadline >= 0 && wait <= 0)
			return;
		struct pollfd p = {.fd = s->fd, .events = POLLIN};
		int rc = poll(&p, 1, wait >= 1e9 ? -1 : (int)(wait + 0.999));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			continue; /* re-evaluate the deadline and the quiet time */
		ssize_t n = recv(s->fd, buf, sizeof(buf), 0);
		if (n > 0) {
			now = rawhttp_now();
			if (s->t_first_byte < 0)
				s->t_first_byte = now;
			s->t_last_byte = now;
			s->received += (size_t)n;
			fwrite(buf, 1, (size_t)n, stdout);
			fflush(stdout);
		} else if (n == 0) {
			rawhttp_finish(s, "closed");
		} else if (errno != EINTR && errno != EAGAIN) {
			rawhttp_finish(s, errno == ECONNRESET ? "reset" : "error");
		}
	}
}

/* Sends `seg`, whole or one byte every `delay_ms`. Stops when the connection ends. */
static void rawhttp_send(rawhttp_session_t *s, const rawhttp_segment_t *seg, double delay_ms)
{
	size_t off = 0;
	while (off < seg->len && s->end == NULL) {
		size_t chunk = delay_ms > 0 ? 1 : seg->len - off;
		ssize_t n = send(s->fd, seg->data + off, chunk, MSG_NOSIGNAL);
		if (n < 0) {
			int err = errno;
			if (err == EINTR)
				continue;
			/* The server may have answered before closing: read it. */
			rawhttp_pump(s, 200, -1);
			rawhttp_finish(s, err == ECONNRESET ? "reset" : "closed");
			return;
		}
		off += (size_t)n;
		s->sent += (size_t)n;
		if (delay_ms > 0 && off < seg->len)
			rawhttp_pump(s, delay_ms, -1);
	}
}

static int rawhttp_hold(int port, size_t n, const rawhttp_segment_t *segs, size_t nsegs, double hold_ms)
{
	int status = 1;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	struct pollfd *fds = calloc(n, sizeof(*fds));
	size_t opened = 0, closed = 0;
	if (fds == NULL)
		return 1;
	for (; opened < n; opened++) {
		int fd = rawhttp_connect(port);
		if (fd < 0) {
			fprintf(stderr, "rawhttp: connection %zu of %zu failed: %s\n", opened + 1, n, strerror(errno));
			goto out;
		}
		fds[opened] = (struct pollfd){.fd = fd, .events = POLLIN};
		for (size_t k = 0; k < nsegs; k++) {
			if (send(fd, segs[k].data, segs[k].len, MSG_NOSIGNAL) != (ssize_t)segs[k].len) {
				fprintf(stderr, "rawhttp: send on connection %zu failed\n", opened + 1);
				opened++;
				goto out;
			}
		}
	}
	printf("held %zu\n", n);
	fflush(stdout);
	rawhttp_sleep_ms(hold_ms);
	if (poll(fds, n, 0) >= 0) {
		char buf[4096];
		for (size_t i = 0; i < n; i++) {
			if (fds[i].revents == 0)
				continue;
			ssize_t r;
			while ((r = recv(fds[i].fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
				;
			if (r == 0 || (r < 0 && errno != EAGAIN))
				closed++;
		}
	}
	printf("closed_by_server=%zu\n", closed);
	status = 0;
out:
	for (size_t i = 0; i < opened; i++)
		close(fds[i].fd);
	free(fds);
	return status;
}

static void rawhttp_usage(void)
{
	fprintf(stderr, "usage: rawhttp [-f FILE] [-d MS] [-g MS] [-t MS] [-i MS] [-n N [-H MS]] PORT [DATA...]\n");
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	double delay_ms = 0, gap_ms = 0, timeout_ms = 5000, quiet_ms = -1, hold_ms = 5000;
	long hold_n = 0;
	int opt, status = 2;
	while ((opt = getopt(argc, argv, "+f:d:g:t:i:n:H:")) != -1) {
		switch (opt) {
		case 'f': file = optarg; break;
		case 'd': delay_ms = atof(optarg); break;
		case 'g': gap_ms = atof(optarg); break;
		case 't': timeout_ms = atof(optarg); break;
		case 'i': quiet_ms = atof(optarg); break;
		case 'n': hold_n = atol(optarg); break;
		case 'H': hold_ms = atof(optarg); break;
		default: rawhttp_usage(); return 2;
		}
	}
	if (optind >= argc) {
		rawhttp_usage();
		return 2;
	}
	int port = atoi(argv[optind++]);
	size_t nsegs = 0;
	rawhttp_segment_t *segs = calloc((size_t)(argc - optind) + 1, sizeof(*segs));
	if (segs == NULL || port <= 0 || port > 65535) {
		rawhttp_usage();
		goto out;
	}
	if (file && rawhttp_read_file(file, &segs[nsegs++]) != 0) {
		fprintf(stderr, "rawhttp: cannot read %s: %s\n", file, strerror(errno));
		nsegs--;
		goto out;
	}
	for (int i = optind; i < argc; i++) {
		if (rawhttp_unescape(argv[i], &segs[nsegs]) != 0) {
			fprintf(stderr, "rawhttp: bad escape in argument %d\n", i);
			goto out;
		}
		nsegs++;
	}
	if (hold_n > 0) {
		status = rawhttp_hold(port, (size_t)hold_n, segs, nsegs, hold_ms);
		goto out;
	}

	rawhttp_session_t s = {.t_first_byte = -1};
	s.t_start = rawhttp_now();
	s.fd = rawhttp_connect(port);
	if (s.fd < 0) {
		fprintf(stderr, "rawhttp: connect to 127.0.0.1:%d: %s\n", port, strerror(errno));
		status = 1;
		goto out;
	}
	s.t_first_send = rawhttp_now();
	size_t before_last = 0;
	for (size_t k = 0; k < nsegs && s.end == NULL; k++) {
		if (k > 0 && gap_ms > 0)
			rawhttp_pump(&s, gap_ms, -1);
		before_last = s.received;
		rawhttp_send(&s, &segs[k], delay_ms);
	}
	rawhttp_pump(&s, timeout_ms, quiet_ms);
	rawhttp_finish(&s, "timeout");
	close(s.fd);
	fprintf(stderr,
	        "rawhttp: sent=%zu received=%zu end=%s connect_ms=%.3f first_byte_ms=%.3f end_ms=%.3f "
	        "total_ms=%.3f before_last=%zu\n",
	        s.sent, s.received, s.end, s.t_first_send - s.t_start,
	        s.t_first_byte >= 0 ? s.t_first_byte - s.t_first_send : -1.0, s.t_end - s.t_first_send,
	        (s.t_first_byte >= 0 && s.end[0] == 'q' ? s.t_last_byte : s.t_end) - s.t_start, before_last);
	status = 0;
out:
	for (size_t i = 0; i < nsegs; i++)
		free(segs[i].data);
	free(segs);
	return status;
}
