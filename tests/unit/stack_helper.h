/* stack_helper.h: start private PostgreSQL/redis servers for unit tests through scripts/stack.sh. */
#ifndef AXR_TEST_STACK_HELPER_H
#define AXR_TEST_STACK_HELPER_H

/*
 * Tests run with cwd = the repository root. A test that stops and starts a
 * server uses a private one (its own temp folder and port), never the shared
 * instance of tests/run, so other suites are not disturbed.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct axr_test_server {
	char dir[256]; /* mkdtemp folder holding the server's files */
	int port;
	char url[256];
	bool pg;       /* PostgreSQL (else redis) */
} axr_test_server_t;

static inline int64_t axr_test_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline double axr_test_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void axr_test_sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Runs `sh scripts/stack.sh ARGS`; returns its exit status (0 = success);
 * its first output line goes to `out` when not NULL. */
static inline int axr_test_stack(char *out, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static inline int axr_test_stack(char *out, size_t cap, const char *fmt, ...)
{
	char args[768], cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof args, fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof cmd, "sh scripts/stack.sh %s", args);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	char line[512] = "";
	if (!fgets(line, sizeof line, p))
		line[0] = '\0';
	char sink[512];
	while (fgets(sink, sizeof sink, p))
		;
	int st = pclose(p);
	line[strcspn(line, "\n")] = '\0';
	if (out)
		snprintf(out, cap, "%s", line);
	return st;
}

/* Starts a private server (PostgreSQL when `pg`, else redis) in a new temp
 * folder on a free port. Returns 0, or -1 with a message on stderr. */
static inline int axr_test_server_start(axr_test_server_t *s, bool pg)
{
	char port[32];
	memset(s, 0, sizeof *s);
	s->pg = pg;
	snprintf(s->dir, sizeof s->dir, "%s/axr-unit.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(s->dir)) {
		perror("mkdtemp");
		return -1;
	}
	if (axr_test_stack(port, sizeof port, "free-port") != 0 || (s->port = atoi(port)) <= 0) {
		fprintf(stderr, "stack.sh free-port failed\n");
		return -1;
	}
	if (axr_test_stack(NULL, 0, "%s-start '%s' %d", pg ? "pg" : "redis", s->dir, s->port) != 0) {
		fprintf(stderr, "stack.sh %s-start %s %d failed\n", pg ? "pg" : "redis", s->dir, s->port);
		return -1;
	}
	if (pg)
		snprintf(s->url, sizeof s->url, "postgresql://postgres@127.0.0.1:%d/postgres", s->port);
	else
		snprintf(s->url, sizeof s->url, "redis://127.0.0.1:%d", s->port);
	return 0;
}

/* Stops the server (PostgreSQL: `mode` fast or immediate; ignored for redis). */
static inline int axr_test_server_stop(axr_test_server_t *s, const char *mode)
{
	if (s->pg)
		return axr_test_stack(NULL, 0, "pg-stop '%s' %s", s->dir, mode ? mode : "fast");
	return axr_test_stack(NULL, 0, "redis-stop '%s'", s->dir);
}

/* Starts it again on the same port. */
static inline int axr_test_server_restart(axr_test_server_t *s)
{
	return axr_test_stack(NULL, 0, "%s-start '%s' %d", s->pg ? "pg" : "redis", s->dir, s->port);
}

/* Stops the server and removes its folder. Safe on a zeroed struct. */
static inline void axr_test_server_destroy(axr_test_server_t *s)
{
	char cmd[512];
	if (!s->dir[0])
		return;
	axr_test_server_stop(s, "immediate");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", s->dir);
	memset(s, 0, sizeof *s);
}

/* The shared server's URL from `env` (set by tests/run); else starts a
 * private one into `own` and returns its URL. NULL when neither works. */
static inline const char *axr_test_shared_url(const char *env, axr_test_server_t *own, bool pg)
{
	const char *url = getenv(env);
	if (url && *url)
		return url;
	if (axr_test_server_start(own, pg) != 0)
		return NULL;
	return own->url;
}

#endif
