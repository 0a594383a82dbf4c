/* loadgen.c: generic HTTP/1.1 load for fault drills and soaks: keep-alive connections, a request mix, counts per outcome. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * usage: loadgen -u http://HOST:PORT [options] -r 'METHOD PATH [BODY]'...
 *
 * Keeps -c connections busy (keep-alive; a closed or broken connection is
 * opened again; like other HTTP clients, a kept-alive connection the server
 * has closed meanwhile is not reused), each sending one request at a time. Every -r gives one
 * request of the mix; requests are taken from the mix in turn, so a request
 * given twice is sent twice as often. In PATH, BODY and the -H values,
 * {seq} becomes the request's sequence number (0, 1, ... unique in the run)
 * and {conn} the connection's index. A BODY is sent as application/json.
 *
 * Runs for -d seconds (0: until SIGINT/SIGTERM), or until the -s file exists
 * or a signal arrives; then sends nothing new and waits (at most -t) for
 * the answers in flight.
 *
 * Options:
 *   -u URL    base URL (http only)
 *   -r REQ    one request of the mix (repeatable, at least one)
 *   -H HDR    a header sent with every request, e.g. 'Authorization: Bearer T'
 *             (repeatable)
 *   -c N      connections (default 8)
 *   -d SECS   duration (default 10; 0 = until a signal or the stop file)
 *   -R RATE   at most RATE requests/s in total (default: as fast as answered)
 *   -t MS     a request unanswered after MS ms is a timeout: its connection
 *             is closed and opened again (default 10000)
 *   -b MS     wait after a connection error before the next attempt on that
 *             connection (default 50)
 *   -y        retry once, on a new connection, a request whose kept-alive
 *             connection failed before any byte of an answer came back (the
 *             server closed it while the request was on its way), whatever
 *             the method, as libcurl does; counted in `retries`, not as errors
 *   -S N      loopback only: connection i connects from 127.0.0.(2 + i mod N),
 *             so a gateway's per-address rate limit sees N clients
 *   -s FILE   stop once FILE exists
 *   -i SECS   every SECS seconds, one progress line on stderr: "t=S sent=N
 *             2xx=N 4xx=N 5xx=N conn_errors=N timeouts=N max_ms=N" for that
 *             interval (for soaks: drift shows up without waiting for the end)
 *   -o FILE   write the summary here instead of stdout
 *   -e FILE   events: one line per request, "SENT_MS STATUS LATENCY_MS METHOD
 *             SEQ", SENT_MS wall-clock milliseconds since the epoch, STATUS the
 *             HTTP status or "conn" (connection error: refused, reset, closed
 *             before a complete answer) or "timeout"
 *   -a FILE   acknowledged writes: one line per 2xx answer to a request with
 *             a method other than GET/HEAD, "SEQ STATUS METHOD PATH UID BODY":
 *             UID the first "uid" string of the answer ("-" when none)
 *
 * Summary (key=value lines): requests (sent), answered, status_NNN per
 * status, conn_errors, timeouts, no_retry_after (429/502/503 answers without
 * Retry-After), retries (-y), latency_p50_ms, latency_p99_ms, latency_max_ms, seconds,
 * rate. Exit status 0 after a run, 2 on a usage or set-up error.
 */

#define MAX_MIX 64
#define MAX_HEADERS 16
#define MAX_CONNS 4096
#define LAT_BUCKETS 120001 /* milliseconds 0 .. 120 s; longer ones land in the last */

enum cstate { C_IDLE, C_BACKOFF, C_CONNECTING, C_WRITING, C_READING, C_DONE };

typedef struct mix {
	char method[16];
	char *path, *body; /* templates */
	bool write;        /* not GET/HEAD: acknowledged writes are recorded */
} mix_t;

typedef struct conn {
	int index;
	int fd;
	enum cstate state;
	int64_t wake_ms;     /* C_BACKOFF: next attempt; active: deadline */
	int64_t started_ms;  /* monotonic start of the current request */
	int64_t sent_wall_ms;
	int64_t last_start_ms;
	unsigned long seq;
	const mix_t *req;
	char *out;
	size_t out_len, out_off, out_cap;
	char *in;
	size_t in_len, in_cap;
	char *body; /* the expanded body of the current request (for -a) */
	char *path;
	bool reused;  /* the connection carried a complete answer before */
	bool retried; /* the current request was sent a second time (-y) */
} conn_t;

typedef struct stats {
	unsigned long sent, answered, conn_errors, timeouts, no_retry_after, retries;
	unsigned long status[600];
	unsigned long lat[LAT_BUCKETS];
	long lat_max;
	/* the current -i interval */
	unsigned long i_sent, i_class[6], i_conn_errors, i_timeouts;
	long i_lat_max;
} stats_t;

static struct {
	char host[256];
	char port[8];
	struct sockaddr_storage addr;
	socklen_t addrlen;
	mix_t mix[MAX_MIX];
	int nmix;
	const char *headers[MAX_HEADERS];
	int nheaders;
	int nconns;
	long duration_s;
	double rate;
	long timeout_ms;
	long backoff_ms;
	int sources;
	bool retry;
	long interval_s;
	const char *stop_file;
	FILE *events;
	FILE *acks;
	int epfd;
	unsigned long next_seq;
	unsigned long next_mix;
	bool stopping;
} g;

static stats_t st;
static volatile sig_atomic_t signalled;

static void on_signal(int sig)
{
	(void)sig;
	signalled = 1;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *msg)
{
	fprintf(stderr, "loadgen: %s\n", msg);
	exit(2);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		die("out of memory");
	return p;
}

/* Returns a new string: `tpl` with {seq} and {conn} replaced. */
static char *expand(const char *tpl, unsigned long seq, int conn)
{
	size_t cap = strlen(tpl) + 1, len = 0;
	char *out = xmalloc(cap);
	for (const char *p = tpl; *p;) {
		char num[32];
		const char *rep = NULL;
		size_t skip = 1;
		if (strncmp(p, "{seq}", 5) == 0) {
			snprintf(num, sizeof num, "%lu", seq);
			rep = num, skip = 5;
		} else if (strncmp(p, "{conn}", 6) == 0) {
			snprintf(num, sizeof num, "%d", conn);
			rep = num, skip = 6;
		}
		size_t add = rep ? strlen(rep) : 1;
		if (len + add + 1 > cap) {
			cap = (len + add + 1) * 2;
			char *grown = realloc(out, cap);
			if (!grown)
				die("out of memory");
			out = grown;
		}
		if (rep)
			memcpy(out + len, rep, add);
		else
			out[len] = *p;
		len += add;
		p += skip;
	}
	out[len] = '\0';
	return out;
}

/* Appends printf output to *buf (length *len, capacity *cap). */
static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if (n < 0)
			die("formatting failed");
		if ((size_t)n < *cap - *len) {
			*len += (size_t)n;
			return;
		}
		*cap = (*len + (size_t)n + 1) * 2;
		char *grown = realloc(*buf, *cap);
		if (!grown)
			die("out of memory");
		*buf = grown;
	}
}

static void conn_close(conn_t *c)
{
	if (c->fd >= 0) {
		epoll_ctl(g.epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	c->in_len = 0;
}

static void watch(conn_t *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};
	if (epoll_ctl(g.epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		epoll_ctl(g.epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

static void record(conn_t *c, const char *status_word, int status, bool retry_after)
{
	long lat = (long)(mono_ms() - c->started_ms);
	if (lat < 0)
		lat = 0;
	if (status > 0) {
		st.answered++;
		if (status < 600)
			st.status[status]++;
		if ((status == 429 || status == 502 || status == 503) && !retry_after)
			st.no_retry_after++;
	}
	st.lat[lat < LAT_BUCKETS ? lat : LAT_BUCKETS - 1]++;
	if (lat > st.lat_max)
		st.lat_max = lat;
	if (status > 0)
		st.i_class[status / 100]++;
	if (lat > st.i_lat_max)
		st.i_lat_max = lat;
	if (g.events) {
		if (status > 0)
			fprintf(g.events, "%lld %d %ld %s %lu\n", (long long)c->sent_wall_ms, status, lat,
			        c->req->method, c->seq);
		else
			fprintf(g.events, "%lld %s %ld %s %lu\n", (long long)c->sent_wall_ms, status_word, lat,
			        c->req->method, c->seq);
	}
}

static void next_request(conn_t *c);
static void open_connection(conn_t *c);

/* The request failed without an answer: count it, close, try again later. */
static void fail_request(conn_t *c, bool timeout)
{
	if (g.retry && !timeout && c->reused && !c->retried && c->in_len == 0) {
		st.retries++;
		c->retried = true;
		conn_close(c);
		c->out_off = 0;
		open_connection(c);
		return;
	}
	if (timeout)
		st.timeouts++, st.i_timeouts++;
	else
		st.conn_errors++, st.i_conn_errors++;
	record(c, timeout ? "timeout" : "conn", 0, false);
	conn_close(c);
	c->state = C_BACKOFF;
	c->wake_ms = mono_ms() + g.backoff_ms;
}

/* Finds `name` (with the colon) among the header lines of head[0..len); returns the value or NULL. */
static const char *find_header(const char *head, size_t len, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *end = head + len;
	const char *p = memchr(head, '\n', len);
	while (p && p + 1 < end) {
		p++;
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			break;
		if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0) {
			const char *v = p + nl;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			const char *ve = eol;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
				ve--;
			*vlen = (size_t)(ve - v);
			return v;
		}
		p = eol;
	}
	return NULL;
}

/* Length of a complete chunked body at b[0..len), or -1 when more is needed, -2 when malformed. */
static long chunked_length(const char *b, size_t len)
{
	size_t off = 0;
	for (;;) {
		const char *eol = memchr(b + off, '\n', len - off);
		if (!eol)
			return -1;
		char *endp;
		unsigned long n = strtoul(b + off, &endp, 16);
		if (endp == b + off)
			return -2;
		off = (size_t)(eol - b) + 1;
		if (n == 0) {
			/* trailers end with an empty line */
			for (;;) {
				const char *e2 = memchr(b + off, '\n', len - off);
				if (!e2)
					return -1;
				size_t line = (size_t)(e2 - (b + off));
				off = (size_t)(e2 - b) + 1;
				if (line == 0 || (line == 1 && b[off - 2] == '\r'))
					return (long)off;
			}
		}
		if (len - off < n + 2)
			return -1;
		off += n + 2;
	}
}

static void write_ack(conn_t *c, int status, const char *body, size_t blen)
{
	char uid[64] = "-";
	const char *key = "\"uid\":\"";
	const char *p = memmem(body, blen, key, strlen(key));
	if (p) {
		p += strlen(key);
		size_t n = 0;
		while (p + n < body + blen && p[n] != '"' && n < sizeof uid - 1)
			n++;
		memcpy(uid, p, n);
		uid[n] = '\0';
	}
	fprintf(g.acks, "%lu %d %s %s %s %s\n", c->seq, status, c->req->method, c->path, uid,
	        c->body ? c->body : "-");
}

/*
 * Tries to take a complete answer from c->in. Returns 1 when one was taken
 * (and recorded), 0 when more bytes are needed, -1 when the answer is
 * malformed. `eof`: the peer closed, so a close-delimited body is complete.
 */
static int take_answer(conn_t *c, bool eof)
{
	char *hend = memmem(c->in, c->in_len, "\r\n\r\n", 4);
	if (!hend)
		return eof ? -1 : 0;
	size_t hlen = (size_t)(hend - c->in) + 4;
	if (c->in_len < 12 || strncmp(c->in, "HTTP/1.", 7) != 0)
		return -1;
	int status = atoi(c->in + 9);
	if (status < 100 || status > 599)
		return -1;
	if (status < 200) {
		/* 1xx interim answer: drop it and look again. */
		memmove(c->in, c->in + hlen, c->in_len - hlen);
		c->in_len -= hlen;
		return take_answer(c, eof);
	}
	size_t vlen;
	const char *v;
	bool close_after = false, retry_after = false;
	long body_len = -3; /* -3: until close */
	if ((v = find_header(c->in, hlen, "Connection:", &vlen)) && vlen == 5 && strncasecmp(v, "close", 5) == 0)
		close_after = true;
	if (find_header(c->in, hlen, "Retry-After:", &vlen))
		retry_after = true;
	if (strcmp(c->req->method, "HEAD") == 0 || status == 204 || status == 304)
		body_len = 0;
	else if ((v = find_header(c->in, hlen, "Transfer-Encoding:", &vlen)) && vlen >= 7 &&
	         strncasecmp(v + vlen - 7, "chunked", 7) == 0) {
		body_len = chunked_length(c->in + hlen, c->in_len - hlen);
		if (body_len == -2)
			return -1;
		if (body_len == -1)
			return 0;
	} else if ((v = find_header(c->in, hlen, "Content-Length:", &vlen)))
		body_len = strtol(v, NULL, 10);
	if (body_len == -3) {
		if (!eof)
			return 0;
		body_len = (long)(c->in_len - hlen);
		close_after = true;
	}
	if (c->in_len - hlen < (size_t)body_len)
		return eof ? -1 : 0;
	record(c, NULL, status, retry_after);
	c->reused = true;
	if (g.acks && c->req->write && status >= 200 && status < 300)
		write_ack(c, status, c->in + hlen, (size_t)body_len);
	if (close_after || c->in_len != hlen + (size_t)body_len)
		conn_close(c);
	c->in_len = 0;
	return 1;
}

static void do_read(conn_t *c)
{
	for (;;) {
		if (c->in_cap - c->in_len < 4096) {
			c->in_cap = c->in_cap ? c->in_cap * 2 : 16384;
			char *grown = realloc(c->in, c->in_cap);
			if (!grown)
				die("out of memory");
			c->in = grown;
		}
		ssize_t n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1);
		if (n > 0) {
			c->in_len += (size_t)n;
			int r = take_answer(c, false);
			if (r < 0) {
				fail_request(c, false);
				return;
			}
			if (r > 0) {
				c->state = C_IDLE;
				next_request(c);
				return;
			}
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 && errno == EINTR)
			continue;
		/* EOF or an error: a close-delimited answer may be complete. */
		if (n == 0 && take_answer(c, true) > 0) {
			c->state = C_IDLE;
			next_request(c);
			return;
		}
		fail_request(c, false);
		return;
	}
}

static void do_write(conn_t *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			watch(c, EPOLLOUT);
			return;
		}
		fail_request(c, false);
		return;
	}
	c->state = C_READING;
	watch(c, EPOLLIN | EPOLLRDHUP);
}

static void open_connection(conn_t *c)
{
	c->reused = false;
	c->fd = socket(g.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		fail_request(c, false);
		return;
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (g.sources > 0) {
		struct sockaddr_in src = {.sin_family = AF_INET,
		                          .sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)(c->index % g.sources))};
		if (bind(c->fd, (struct sockaddr *)&src, sizeof src) != 0) {
			fail_request(c, false);
			return;
		}
	}
	if (connect(c->fd, (struct sockaddr *)&g.addr, g.addrlen) == 0) {
		c->state = C_WRITING;
		do_write(c);
		return;
	}
	if (errno != EINPROGRESS) {
		fail_request(c, false);
		return;
	}
	c->state = C_CONNECTING;
	watch(c, EPOLLOUT);
}

/* Builds and starts the connection's next request, or ends the connection when stopping. */
static void next_request(conn_t *c)
{
	int64_t now = mono_ms();
	if (g.stopping) {
		conn_close(c);
		c->state = C_DONE;
		return;
	}
	if (g.rate > 0) {
		int64_t interval = (int64_t)(1000.0 * g.nconns / g.rate);
		if (c->last_start_ms && now < c->last_start_ms + interval) {
			c->state = C_BACKOFF;
			c->wake_ms = c->last_start_ms + interval;
			return;
		}
	}
	c->last_start_ms = now;
	c->req = &g.mix[g.next_mix++ % (unsigned long)g.nmix];
	c->seq = g.next_seq++;
	c->retried = false;
	free(c->body);
	free(c->path);
	c->body = c->req->body ? expand(c->req->body, c->seq, c->index) : NULL;
	c->path = expand(c->req->path, c->seq, c->index);
	c->out_len = c->out_off = 0;
	append(&c->out, &c->out_len, &c->out_cap, "%s %s HTTP/1.1\r\nHost: %s:%s\r\n", c->req->method,
	       c->path, g.host, g.port);
	for (int i = 0; i < g.nheaders; i++) {
		char *h = expand(g.headers[i], c->seq, c->index);
		append(&c->out, &c->out_len, &c->out_cap, "%s\r\n", h);
		free(h);
	}
	if (c->body)
		append(&c->out, &c->out_len, &c->out_cap, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		       strlen(c->body), c->body);
	else if (c->req->write)
		append(&c->out, &c->out_len, &c->out_cap, "Content-Length: 0\r\n\r\n");
	else
		append(&c->out, &c->out_len, &c->out_cap, "\r\n");
	st.sent++;
	st.i_sent++;
	c->started_ms = now;
	c->sent_wall_ms = wall_ms();
	c->wake_ms = now + g.timeout_ms;
	/* As HTTP clients do before reusing a kept-alive connection: one the
	 * server closed meanwhile (EOF or reset waiting) is replaced, not used. */
	if (c->fd >= 0) {
		char probe;
		ssize_t n = recv(c->fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			conn_close(c);
	}
	if (c->fd < 0) {
		open_connection(c);
		return;
	}
	c->state = C_WRITING;
	do_write(c);
}

static void on_event(conn_t *c, uint32_t events)
{
	switch (c->state) {
	case C_CONNECTING: {
		int err = 0;
		socklen_t len = sizeof err;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
			fail_request(c, false);
			return;
		}
		c->state = C_WRITING;
		do_write(c);
		return;
	}
	case C_WRITING:
		if (events & (EPOLLERR | EPOLLHUP)) {
			fail_request(c, false);
			return;
		}
		do_write(c);
		return;
	case C_READING:
		do_read(c);
		return;
	default:
		/* An idle socket should not report: the peer closed it. */
		conn_close(c);
		return;
	}
}

static void parse_url(const char *url)
{
	const char *p = url;
	if (strncmp(p, "http://", 7) != 0)
		die("-u wants http://HOST:PORT");
	p += 7;
	const char *colon = strchr(p, ':');
	const char *slash = strchr(p, '/');
	if (slash && colon && colon > slash)
		colon = NULL;
	size_t hl = colon ? (size_t)(colon - p) : slash ? (size_t)(slash - p) : strlen(p);
	if (hl == 0 || hl >= sizeof g.host)
		die("bad host in -u");
	memcpy(g.host, p, hl);
	g.host[hl] = '\0';
	if (colon) {
		size_t pl = slash ? (size_t)(slash - colon - 1) : strlen(colon + 1);
		if (pl == 0 || pl >= sizeof g.port)
			die("bad port in -u");
		memcpy(g.port, colon + 1, pl);
		g.port[pl] = '\0';
	} else {
		strcpy(g.port, "80");
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
	if (getaddrinfo(g.host, g.port, &hints, &res) != 0 || !res)
		die("cannot resolve the host of -u");
	memcpy(&g.addr, res->ai_addr, res->ai_addrlen);
	g.addrlen = res->ai_addrlen;
	freeaddrinfo(res);
}

static void add_mix(const char *spec)
{
	if (g.nmix == MAX_MIX)
		die("too many -r");
	mix_t *m = &g.mix[g.nmix++];
	const char *sp = strchr(spec, ' ');
	if (!sp || (size_t)(sp - spec) >= sizeof m->method || sp == spec)
		die("-r wants 'METHOD PATH [BODY]'");
	memcpy(m->method, spec, (size_t)(sp - spec));
	m->method[sp - spec] = '\0';
	const char *path = sp + 1;
	const char *sp2 = strchr(path, ' ');
	if (sp2) {
		m->path = xmalloc((size_t)(sp2 - path) + 1);
		memcpy(m->path, path, (size_t)(sp2 - path));
		m->path[sp2 - path] = '\0';
		m->body = xstrdup(sp2 + 1);
	} else {
		m->path = xstrdup(path);
	}
	if (m->path[0] != '/')
		die("-r: the path must start with /");
	m->write = strcmp(m->method, "GET") != 0 && strcmp(m->method, "HEAD") != 0;
}

static long percentile(double q, unsigned long total)
{
	unsigned long want = (unsigned long)(q * (double)total + 0.5), seen = 0;
	if (want == 0)
		want = 1;
	for (long i = 0; i < LAT_BUCKETS; i++) {
		seen += st.lat[i];
		if (seen >= want)
			return i;
	}
	return LAT_BUCKETS - 1;
}

static FILE *open_out(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "loadgen: cannot write %s: %s\n", path, strerror(errno));
		exit(2);
	}
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	return f;
}

int main(int argc, char **argv)
{
	const char *url = NULL, *out_path = NULL;
	int opt;

	g.nconns = 8;
	g.duration_s = 10;
	g.timeout_ms = 10000;
	g.backoff_ms = 50;
	while ((opt = getopt(argc, argv, "u:r:H:c:d:R:t:b:S:yi:s:o:e:a:h")) != -1) {
		switch (opt) {
		case 'u': url = optarg; break;
		case 'r': add_mix(optarg); break;
		case 'H':
			if (g.nheaders == MAX_HEADERS)
				die("too many -H");
			if (!strchr(optarg, ':') || strpbrk(optarg, "\r\n"))
				die("-H wants 'Name: value'");
			g.headers[g.nheaders++] = optarg;
			break;
		case 'c': g.nconns = atoi(optarg); break;
		case 'd': g.duration_s = atol(optarg); break;
		case 'R': g.rate = atof(optarg); break;
		case 't': g.timeout_ms = atol(optarg); break;
		case 'b': g.backoff_ms = atol(optarg); break;
		case 'S': g.sources = atoi(optarg); break;
		case 'y': g.retry = true; break;
		case 'i': g.interval_s = atol(optarg); break;
		case 's': g.stop_file = optarg; break;
		case 'o': out_path = optarg; break;
		case 'e': g.events = open_out(optarg); break;
		case 'a': g.acks = open_out(optarg); break;
		default:
			fprintf(stderr, "usage: loadgen -u URL -r 'METHOD PATH [BODY]'... [-H HDR] [-c N] [-d SECS]"
			                " [-R RATE] [-t MS] [-b MS] [-S N] [-y] [-i SECS] [-s STOPFILE] [-o OUT] [-e EVENTS] [-a ACKS]\n");
			return 2;
		}
	}
	if (!url || g.nmix == 0 || optind != argc)
		die("need -u URL and at least one -r (see the comment at the top of loadgen.c)");
	if (g.nconns < 1 || g.nconns > MAX_CONNS || g.duration_s < 0 || g.timeout_ms < 1 || g.backoff_ms < 0 ||
	    g.rate < 0 || g.interval_s < 0 || g.sources < 0 || g.sources > 250)
		die("bad -c, -d, -R, -t, -b or -S");
	parse_url(url);
	if (g.sources > 0 && (g.addr.ss_family != AF_INET ||
	                      (ntohl(((struct sockaddr_in *)&g.addr)->sin_addr.s_addr) >> 24) != 127))
		die("-S needs a 127.x.x.x address in -u");

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	g.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (g.epfd < 0)
		die("epoll_create1 failed");
	conn_t *conns = calloc((size_t)g.nconns, sizeof *conns);
	if (!conns)
		die("out of memory");
	int64_t t0 = mono_ms();
	int64_t end = g.duration_s ? t0 + g.duration_s * 1000 : INT64_MAX;
	int64_t stop_deadline = 0;
	int64_t next_stop_check = 0;
	int64_t next_report = g.interval_s ? t0 + g.interval_s * 1000 : INT64_MAX;
	for (int i = 0; i < g.nconns; i++) {
		conns[i].index = i;
		conns[i].fd = -1;
		conns[i].state = C_IDLE;
		next_request(&conns[i]);
	}
	struct epoll_event evs[256];
	for (;;) {
		int64_t now = mono_ms();
		if (!g.stopping) {
			bool stop = signalled || now >= end;
			if (!stop && g.stop_file && now >= next_stop_check) {
				struct stat sb;
				stop = stat(g.stop_file, &sb) == 0;
				next_stop_check = now + 100;
			}
			if (stop) {
				g.stopping = true;
				stop_deadline = now + g.timeout_ms;
			}
		}
		if (now >= next_report) {
			fprintf(stderr, "t=%lld sent=%lu 2xx=%lu 4xx=%lu 5xx=%lu conn_errors=%lu timeouts=%lu max_ms=%ld\n",
			        (long long)((now - t0) / 1000), st.i_sent, st.i_class[2], st.i_class[4], st.i_class[5],
			        st.i_conn_errors, st.i_timeouts, st.i_lat_max);
			st.i_sent = st.i_conn_errors = st.i_timeouts = 0;
			memset(st.i_class, 0, sizeof st.i_class);
			st.i_lat_max = 0;
			next_report += g.interval_s * 1000;
		}
		int64_t wait = 100;
		int active = 0;
		for (int i = 0; i < g.nconns; i++) {
			conn_t *c = &conns[i];
			if (c->state == C_DONE)
				continue;
			if (c->state == C_IDLE || c->state == C_BACKOFF) {
				if (g.stopping) {
					conn_close(c);
					c->state = C_DONE;
					continue;
				}
				if (c->state == C_BACKOFF && now >= c->wake_ms) {
					c->state = C_IDLE;
					next_request(c);
				}
			} else if (now >= c->wake_ms) {
				fail_request(c, true);
				if (g.stopping) {
					c->state = C_DONE;
					continue;
				}
			}
			if (c->state == C_DONE)
				continue;
			active++;
			if (c->state != C_IDLE && c->wake_ms - now < wait)
				wait = c->wake_ms - now;
		}
		if (active == 0 && g.stopping)
			break;
		if (g.stopping && now >= stop_deadline + 1000)
			break;
		if (wait < 0)
			wait = 0;
		int n = epoll_wait(g.epfd, evs, 256, (int)wait);
		for (int i = 0; i < n; i++)
			on_event(evs[i].data.ptr, evs[i].events);
	}
	double secs = (double)(mono_ms() - t0) / 1000.0;

	FILE *out = out_path ? open_out(out_path) : stdout;
	unsigned long finished = st.answered + st.conn_errors + st.timeouts;
	fprintf(out, "requests=%lu\nanswered=%lu\n", st.sent, st.answered);
	for (int s = 0; s < 600; s++)
		if (st.status[s])
			fprintf(out, "status_%d=%lu\n", s, st.status[s]);
	fprintf(out, "conn_errors=%lu\ntimeouts=%lu\nno_retry_after=%lu\nretries=%lu\n", st.conn_errors,
	        st.timeouts, st.no_retry_after, st.retries);
	fprintf(out, "latency_p50_ms=%ld\nlatency_p99_ms=%ld\nlatency_max_ms=%ld\n",
	        finished ? percentile(0.50, finished) : 0, finished ? percentile(0.99, finished) : 0, st.lat_max);
	fprintf(out, "seconds=%.1f\nrate=%.0f\n", secs, secs > 0 ? (double)finished / secs : 0.0);
	if (out != stdout)
		fclose(out);
	if (g.events)
		fclose(g.events);
	if (g.acks)
		fclose(g.acks);
	for (int i = 0; i < g.nconns; i++) {
		conn_close(&conns[i]);
		free(conns[i].out);
		free(conns[i].in);
		free(conns[i].body);
		free(conns[i].path);
	}
	free(conns);
	for (int i = 0; i < g.nmix; i++) {
		free(g.mix[i].path);
		free(g.mix[i].body);
	}
	close(g.epfd);
	return 0;
}
