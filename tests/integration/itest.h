/* itest.h: what the integration programs of tests/integration share: TAP lines, settings, clients, tokens, a websocket reader. */
#ifndef AXR_ITEST_H
#define AXR_ITEST_H

/*
 * An integration program is a client developer's program: it links the
 * generated client libraries (build/lib/libaxr-<svc>-client.a) and drives
 * services a .test.sh script started. It prints one line per case, as
 * tests/run counts them:
 *
 *   ok - NAME
 *   not ok - NAME: WHY
 *
 * and exits 1 when a case failed, 2 when it could not start (a missing
 * setting). Settings come from the environment (it_env); tokens are minted
 * by build/tools/mint_token with the test key (it_mint) or come from the
 * account service (the programs that test it log in for real).
 *
 * Everything here is static inline: each program is one file plus this.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "err.h"

static int it_failed_cases;
static int it_passed_cases;

/* One case's line. `fmt` (printf) says why it failed; unused when it passed. */
static inline __attribute__((format(printf, 3, 4))) int it_check(int cond, const char *name, const char *fmt, ...)
{
	va_list ap;
	if (cond) {
		printf("ok - %s\n", name);
		it_passed_cases++;
	} else {
		printf("not ok - %s: ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
		it_failed_cases++;
	}
	fflush(stdout);
	return cond;
}

/* The exit status of a program: 1 when a case failed. */
static inline int it_exit_status(void)
{
	return it_failed_cases ? 1 : 0;
}

/* A required setting, or a "not ok - setup" line and exit 2. */
static inline const char *it_env(const char *name)
{
	const char *v = getenv(name);
	if (!v || !*v) {
		printf("not ok - setup: %s is not set (run through its .test.sh)\n", name);
		exit(2);
	}
	return v;
}

/* "status CODE: message" of a failed call. The text lives in one of IT_ERR_RING
 * static buffers used in turn: up to that many it_err() results may appear in one
 * printf; use them at once (not thread-safe). */
#define IT_ERR_RING 4
static inline const char *it_err(int rc, const axr_client_error_t *err)
{
	static char ring[IT_ERR_RING][512];
	static unsigned next;
	char *s = ring[next++ % IT_ERR_RING];
	if (!err || err->kind == AXR_CLIENT_ERR_NONE)
		snprintf(s, sizeof ring[0], "rc %s (%d)", axr_errname(rc), rc);
	else
		snprintf(s, sizeof ring[0], "rc %s, status %d, code %s: %s%s%s", axr_errname(rc), err->status,
		         err->code ? err->code : "-", err->message ? err->message : "-",
		         err->n_errors ? " at " : "", err->n_errors ? err->errors[0].path : "");
	return s;
}

/* A client of `base_url` ("http://127.0.0.1:PORT" or the gateway's "http://host:port/v1")
 * carrying `token` (NULL = none). Exits 2 when it cannot be made. */
static inline axr_client_t *it_client(const char *base_url, const char *token)
{
	axr_client_t *c = NULL;
	axr_client_options_t o = {.base_url = base_url, .timeout_ms = 15000};
	int rc = axr_client_new(&o, &c);
	if (rc == 0 && token)
		rc = axr_client_set_token(c, token);
	if (rc) {
		printf("not ok - setup: client for %s: %s\n", base_url, axr_errname(rc));
		exit(2);
	}
	return c;
}

/*
 * A token signed with the test key (AXR_IT_KEY, or tests/fixtures/keys/test-only-rs256-private.pem)
 * for subject `sub` with `role` (NULL = none), lifetime 900 s, by $AXR_BUILD/tools/mint_token.
 * Returns a malloc'd string; exits 2 when minting fails.
 */
static inline char *it_mint(const char *sub, const char *role)
{
	const char *build = getenv("AXR_BUILD") ? getenv("AXR_BUILD") : "build";
	const char *key = getenv("AXR_IT_KEY") ? getenv("AXR_IT_KEY") : "tests/fixtures/keys/test-only-rs256-private.pem";
	char cmd[1024], tok[8192];
	FILE *p;
	size_t n;
	snprintf(cmd, sizeof cmd, "'%s/tools/mint_token' -k '%s' -s '%s'%s%s%s", build, key, sub, role ? " -r '" : "",
	         role ? role : "", role ? "'" : "");
	p = popen(cmd, "r");
	n = p ? fread(tok, 1, sizeof tok - 1, p) : 0;
	if (!p || pclose(p) != 0 || n == 0) {
		printf("not ok - setup: %s failed\n", cmd);
		exit(2);
	}
	tok[n] = '\0';
	tok[strcspn(tok, "\r\n")] = '\0';
	return strdup(tok);
}

/* Milliseconds on the monotonic clock. */
static inline long long it_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- a small blocking websocket reader (server-to-client text frames) ---- */

/* Reads exactly n bytes before the monotonic deadline; 0, or -1 on timeout/close. */
static inline int it__read_full(int fd, void *p, size_t n, long long deadline)
{
	unsigned char *b = p;
	while (n > 0) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long long left = deadline - it_now_ms();
		ssize_t r;
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -1;
		r = read(fd, b, n);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * Opens a websocket to host:port `path` (e.g. "/v1/notifications" through the
 * gateway) with "Authorization: Bearer token". Returns the socket once the
 * server answered 101, or -1 (and `why` says what happened).
 */
static inline int it_ws_open(const char *host, int port, const char *path, const char *token, char *why,
                             size_t why_size)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai = NULL;
	char portstr[16], req[8192], head[4096];
	size_t used = 0;
	int fd = -1, n;
	long long deadline = it_now_ms() + 5000;

	snprintf(portstr, sizeof portstr, "%d", port);
	if (getaddrinfo(host, portstr, &hints, &ai) != 0) {
		snprintf(why, why_size, "cannot resolve %s", host);
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		snprintf(why, why_size, "connect %s:%d: %s", host, port, strerror(errno));
		goto fail;
	}
	n = snprintf(req, sizeof req,
	             "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	             "Sec-WebSocket-Key: aXRlc3Qtd2Vic29ja2V0IQ==\r\nSec-WebSocket-Version: 13\r\n"
	             "Authorization: Bearer %s\r\n\r\n",
	             path, host, port, token);
	if (n <= 0 || (size_t)n >= sizeof req || write(fd, req, (size_t)n) != n) {
		snprintf(why, why_size, "cannot send the handshake");
		goto fail;
	}
	/* The answer head, byte by byte so no frame byte is consumed. */
	while (used + 1 < sizeof head) {
		if (it__read_full(fd, head + used, 1, deadline) != 0) {
			snprintf(why, why_size, "no complete handshake answer (%zu bytes)", used);
			goto fail;
		}
		used++;
		head[used] = '\0';
		if (used >= 4 && memcmp(head + used - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	if (strncmp(head, "HTTP/1.1 101", 12) != 0) {
		snprintf(why, why_size, "handshake answered: %.*s", (int)strcspn(head, "\r\n"), head);
		goto fail;
	}
	freeaddrinfo(ai);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return -1;
}

/*
 * Waits up to timeout_ms for the next text frame and copies its payload,
 * NUL-terminated, into buf (truncated to size-1). Pings and other control
 * frames are skipped. Returns the payload length, or -1 on timeout, close
 * or a frame it does not understand.
 */
static inline long it_ws_read_text(int fd, char *buf, size_t size, long timeout_ms)
{
	long long deadline = it_now_ms() + timeout_ms;
	for (;;) {
		unsigned char h[2], ext[8];
		unsigned long long len;
		unsigned op;
		size_t keep, i;
		char sink[256];
		if (it__read_full(fd, h, 2, deadline) != 0)
			return -1;
		op = h[0] & 0x0f;
		len = h[1] & 0x7f;
		if (h[1] & 0x80)
			return -1; /* servers never mask */
		if (len == 126) {
			if (it__read_full(fd, ext, 2, deadline) != 0)
				return -1;
			len = ((unsigned long long)ext[0] << 8) | ext[1];
		} else if (len == 127) {
			if (it__read_full(fd, ext, 8, deadline) != 0)
				return -1;
			len = 0;
			for (i = 0; i < 8; i++)
				len = (len << 8) | ext[i];
		}
		keep = op == 1 ? (len < size - 1 ? (size_t)len : size - 1) : 0;
		if (keep && it__read_full(fd, buf, keep, deadline) != 0)
			return -1;
		for (len -= keep; len > 0;) {
			size_t k = len < sizeof sink ? (size_t)len : sizeof sink;
			if (it__read_full(fd, sink, k, deadline) != 0)
				return -1;
			len -= k;
		}
		if (op == 8)
			return -1; /* close */
		if (op == 1) {
			buf[keep] = '\0';
			return (long)keep;
		}
	}
}

#endif
