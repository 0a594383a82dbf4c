/* redis.c: redis URLs, process-wide redis health, and the synchronous per-worker publisher. */
#include "redis.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "err.h"
#include "readiness.h"
#include "redis_internal.h"

/* ---- shared helpers --------------------------------------------------------- */

void axr_redis_options_init(axr_redis_options_t *o)
{
	*o = (axr_redis_options_t){
		.connect_timeout_ms = 500,
		.command_timeout_ms = 500,
		.backoff_min_ms = 100,
		.backoff_max_ms = 2000,
		.keepalive_ms = 2000,
	};
}

int axr__redis_options(const axr_redis_options_t *opt, axr_redis_options_t *out)
{
	if (opt)
		*out = *opt;
	else
		axr_redis_options_init(out);
	if (out->connect_timeout_ms <= 0 || out->command_timeout_ms <= 0 || out->backoff_min_ms <= 0 ||
	    out->backoff_max_ms < out->backoff_min_ms || out->keepalive_ms <= 0)
		return AXR_EINVAL;
	return 0;
}

int axr__redis_url_parse(const char *url, axr__redis_url_t *out)
{
	static const char scheme[] = "redis://";
	memset(out, 0, sizeof *out);
	out->port = 6379;
	if (!url || strncmp(url, scheme, sizeof scheme - 1) != 0)
		return AXR_ECONFIG;
	const char *p = url + sizeof scheme - 1;
	const char *end = p + strcspn(p, "/?#");
	const char *at = memchr(p, '@', (size_t)(end - p));
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		const char *user_end = colon ? colon : at;
		if ((size_t)(user_end - p) >= sizeof out->user)
			return AXR_ECONFIG;
		memcpy(out->user, p, (size_t)(user_end - p));
		if (colon) {
			if ((size_t)(at - colon - 1) >= sizeof out->password)
				return AXR_ECONFIG;
			memcpy(out->password, colon + 1, (size_t)(at - colon - 1));
		}
		p = at + 1;
	}
	const char *host_end;
	if (*p == '[') { /* [IPv6]:port */
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (!close)
			return AXR_ECONFIG;
		p++;
		host_end = close;
	} else {
		host_end = memchr(p, ':', (size_t)(end - p));
		if (!host_end)
			host_end = end;
	}
	size_t hlen = (size_t)(host_end - p);
	if (hlen == 0 || hlen >= sizeof out->host)
		return AXR_ECONFIG;
	memcpy(out->host, p, hlen);
	const char *port = host_end + (*host_end == ']');
	if (port < end && *port == ':') {
		char *stop;
		long v = strtol(port + 1, &stop, 10);
		if (stop != end || stop == port + 1 || v < 1 || v > 65535)
			return AXR_ECONFIG;
		out->port = (int)v;
	} else if (port != end) {
		return AXR_ECONFIG;
	}
	return 0;
}

void axr__redis_ignore_sigpipe(void)
{
	struct sigaction old;
	if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
		struct sigaction ign = {.sa_handler = SIG_IGN};
		sigemptyset(&ign.sa_mask);
		sigaction(SIGPIPE, &ign, NULL);
	}
}

int64_t axr__redis_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t axr__redis_seed(const void *p)
{
	uint64_t s = (uint64_t)axr__redis_now_ms() ^ ((uint64_t)(uintptr_t)p << 16) ^ 0x9e3779b97f4a7c15ull;
	return s ? s : 1;
}

long axr__redis_backoff(uint64_t *rng, int failures, long min_ms, long max_ms)
{
	long d = min_ms;
	for (int i = 1; i < failures && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	/* xorshift64*, jitter into [d/2, d] */
	*rng ^= *rng >> 12;
	*rng ^= *rng << 25;
	*rng ^= *rng >> 27;
	uint64_t x = *rng * 2685821657736338717ull;
	return d <= 1 ? d : d / 2 + (long)(x % (uint64_t)(d - d / 2 + 1));
}

/* ---- health ----------------------------------------------------------------- */

static struct {
	_Atomic uint64_t counters[AXR__REDIS_MESSAGES + 1];
	_Atomic int64_t gauges[AXR__REDIS_SUBSCRIBERS_CONNECTED + 1];
} axr__redis_h;

static axr_readiness_t axr__redis_ready = AXR_READINESS_INIT("redis");

void axr__redis_count(enum axr__redis_counter c)
{
	atomic_fetch_add_explicit(&axr__redis_h.counters[c], 1, memory_order_relaxed);
}

void axr__redis_gauge_add(enum axr__redis_gauge g, int delta)
{
	atomic_fetch_add_explicit(&axr__redis_h.gauges[g], delta, memory_order_relaxed);
}

void axr__redis_record_outcome(bool ok, const char *why)
{
	axr_readiness_record(&axr__redis_ready, ok, why);
}

static uint64_t axr__redis_counter(enum axr__redis_counter c)
{
	return atomic_load_explicit(&axr__redis_h.counters[c], memory_order_relaxed);
}

static uint64_t axr__redis_gauge(enum axr__redis_gauge g)
{
	int64_t v = atomic_load_explicit(&axr__redis_h.gauges[g], memory_order_relaxed);
	return v > 0 ? (uint64_t)v : 0;
}

void axr_redis_health(axr_redis_health_t *out)
{
	*out = (axr_redis_health_t){
		.published = axr__redis_counter(AXR__REDIS_PUBLISHED),
		.publish_failures = axr__redis_counter(AXR__REDIS_PUBLISH_FAILURES),
		.publish_fast_failures = axr__redis_counter(AXR__REDIS_PUBLISH_FAST_FAILURES),
		.publisher_connects = axr__redis_counter(AXR__REDIS_PUB_CONNECTS),
		.publisher_connect_failures = axr__redis_counter(AXR__REDIS_PUB_CONNECT_FAILURES),
		.publishers_up = axr__redis_gauge(AXR__REDIS_PUBLISHERS_UP),
		.subscribers = axr__redis_gauge(AXR__REDIS_SUBSCRIBERS),
		.subscribers_connected = axr__redis_gauge(AXR__REDIS_SUBSCRIBERS_CONNECTED),
		.subscriber_connects = axr__redis_counter(AXR__REDIS_SUB_CONNECTS),
		.subscriber_disconnects = axr__redis_counter(AXR__REDIS_SUB_DISCONNECTS),
		.messages_received = axr__redis_counter(AXR__REDIS_MESSAGES),
		.last_error_unix_ms = axr_readiness_last_fail_unix_ms(&axr__redis_ready),
	};
}

bool axr_redis_global_ready(void)
{
	return axr_readiness_ok(&axr__redis_ready) &&
	       axr__redis_gauge(AXR__REDIS_SUBSCRIBERS_CONNECTED) >= axr__redis_gauge(AXR__REDIS_SUBSCRIBERS);
}

/* ---- publisher ---------------------------------------------------------------- */

struct axr_redis {
	axr__redis_url_t url;
	axr_redis_options_t opt;
	redisContext *c;
	bool down;               /* a connection failed or broke and is not back */
	int failures;            /* consecutive failures: connects, and PUBLISHes that timed out
	                          * (reset by a PUBLISH that succeeds) */
	int64_t next_attempt_ms; /* monotonic: no attempt before this while down */
	uint64_t rng;
	char error[256];
};

static struct timeval axr__redis_tv(long ms)
{
	return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
}

int axr_redis_new(const char *url, const axr_redis_options_t *opt, axr_redis_t **out)
{
	axr_redis_t *r = NULL;
	if (out)
		*out = NULL;
	if (!url || !out)
		return AXR_EINVAL;
	r = calloc(1, sizeof *r);
	if (!r)
		return AXR_ENOMEM;
	int rc = axr__redis_options(opt, &r->opt);
	if (rc == 0)
		rc = axr__redis_url_parse(url, &r->url);
	if (rc != 0) {
		free(r);
		return rc;
	}
	r->rng = axr__redis_seed(r);
	axr__redis_ignore_sigpipe();
	*out = r;
	return 0;
}

static void axr__redis_drop(axr_redis_t *r)
{
	if (r->c) {
		redisFree(r->c);
		r->c = NULL;
		axr__redis_gauge_add(AXR__REDIS_PUBLISHERS_UP, -1);
	}
}

void axr_redis_free(axr_redis_t *r)
{
	if (!r)
		return;
	axr__redis_drop(r);
	free(r);
}

static int axr__redis_fail(axr_redis_t *r, const char *what, const char *detail)
{
	snprintf(r->error, sizeof r->error, "%s%s%s", what, detail && *detail ? ": " : "",
	         detail ? detail : "");
	return AXR_EUNAVAILABLE;
}

/* Sends one command on `c` and checks its reply is not an error; for the
 * publisher's connect (AUTH) and ping. */
static int axr__redis_simple(redisContext *c, char *err, size_t cap, const char *fmt, const char *arg1,
                             const char *arg2)
{
	redisReply *reply = arg2 ? redisCommand(c, fmt, arg1, arg2) : redisCommand(c, fmt, arg1);
	if (!reply) {
		snprintf(err, cap, "%s", c->errstr);
		return AXR_EUNAVAILABLE;
	}
	int rc = reply->type == REDIS_REPLY_ERROR ? AXR_EUNAVAILABLE : 0;
	if (rc)
		snprintf(err, cap, "%s", reply->str ? reply->str : "error reply");
	freeReplyObject(reply);
	return rc;
}

/* Opens a connection with both timeouts set and AUTH done. */
static redisContext *axr__redis_connect(const axr__redis_url_t *u, long connect_ms, long command_ms,
                                        char *err, size_t cap)
{
	redisContext *c = redisConnectWithTimeout(u->host, u->port, axr__redis_tv(connect_ms));
	if (!c) {
		snprintf(err, cap, "out of memory");
		return NULL;
	}
	if (c->err) {
		snprintf(err, cap, "%s", c->errstr);
		goto fail;
	}
	if (redisSetTimeout(c, axr__redis_tv(command_ms)) != REDIS_OK) {
		snprintf(err, cap, "cannot set timeout");
		goto fail;
	}
	redisEnableKeepAlive(c);
	if (u->password[0]) {
		int rc = u->user[0] ? axr__redis_simple(c, err, cap, "AUTH %s %s", u->user, u->password)
		                    : axr__redis_simple(c, err, cap, "AUTH %s", u->password, NULL);
		if (rc != 0)
			goto fail;
	}
	return c;
fail:
	redisFree(c);
	return NULL;
}

/* A connection redis closed while we were idle (restart, timeout) reads as
 * EOF; redis never sends a publisher anything unasked. */
static bool axr__redis_still_alive(redisContext *c)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	return poll(&p, 1, 0) == 0;
}

static int axr__redis_ensure(axr_redis_t *r)
{
	char err[200];
	if (r->c) {
		if (axr__redis_still_alive(r->c))
			return 0;
		axr__redis_drop(r);
		r->down = true;
		r->failures = 0;
		r->next_attempt_ms = 0;
		axr__redis_record_outcome(false, "publisher connection closed by redis");
	}
	if (r->down && axr__redis_now_ms() < r->next_attempt_ms) {
		axr__redis_count(AXR__REDIS_PUBLISH_FAST_FAILURES);
		return axr__redis_fail(r, "redis down; waiting to reconnect", NULL);
	}
	r->c = axr__redis_connect(&r->url, r->opt.connect_timeout_ms, r->opt.command_timeout_ms, err,
	                          sizeof err);
	if (!r->c) {
		axr__redis_count(AXR__REDIS_PUB_CONNECT_FAILURES);
		axr__redis_record_outcome(false, err);
		r->down = true;
		r->failures++;
		r->next_attempt_ms = axr__redis_now_ms() + axr__redis_backoff(&r->rng, r->failures,
		                                                               r->opt.backoff_min_ms,
		                                                               r->opt.backoff_max_ms);
		return axr__redis_fail(r, "connect", err);
	}
	axr__redis_gauge_add(AXR__REDIS_PUBLISHERS_UP, 1);
	axr__redis_count(AXR__REDIS_PUB_CONNECTS);
	axr__redis_record_outcome(true, NULL);
	r->down = false;
	/* failures stays: a frozen redis still completes the TCP connect (the
	 * kernel answers for it), so only a PUBLISH that succeeds proves it up. */
	return 0;
}

/* A PUBLISH got no reply: the context is unusable now. After a timeout
 * (redis there but silent: stopped, overloaded) the publisher waits out a
 * growing backoff instead of paying command_timeout_ms on every publish of
 * every request; a broken connection (redis restarted) reconnects at once. */
static void axr__redis_publish_lost(axr_redis_t *r)
{
	bool timed_out = r->c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
	axr__redis_fail(r, "publish", timed_out ? "no reply within command_timeout_ms" : r->c->errstr);
	axr__redis_drop(r);
	axr__redis_record_outcome(false, r->error);
	r->down = true;
	if (timed_out) {
		r->failures++;
		r->next_attempt_ms = axr__redis_now_ms() + axr__redis_backoff(&r->rng, r->failures, r->opt.backoff_min_ms,
		                                                               r->opt.backoff_max_ms);
	} else {
		r->failures = 0;
		r->next_attempt_ms = 0;
	}
}

int axr_redis_publish(axr_redis_t *r, const char *channel, const void *data, size_t len)
{
	return axr_redis_publish_many(r, &channel, 1, data, len);
}

int axr_redis_publish_many(axr_redis_t *r, const char *const *channels, size_t n, const void *data, size_t len)
{
	if (!r || !channels || (!data && len))
		return AXR_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!channels[i] || !*channels[i])
			return AXR_EINVAL;
	if (n == 0)
		return 0;
	r->error[0] = '\0';
	int rc = axr__redis_ensure(r);
	if (rc != 0) {
		for (size_t i = 0; i < n; i++)
			axr__redis_count(AXR__REDIS_PUBLISH_FAILURES);
		return rc;
	}
	/* One write for every PUBLISH, then the replies in order. */
	for (size_t i = 0; i < n; i++) {
		if (redisAppendCommand(r->c, "PUBLISH %b %b", channels[i], strlen(channels[i]), data ? data : "", len) !=
		    REDIS_OK) {
			axr__redis_fail(r, "publish", "out of memory");
			axr__redis_drop(r);
			r->down = true;
			for (size_t k = 0; k < n; k++)
				axr__redis_count(AXR__REDIS_PUBLISH_FAILURES);
			return AXR_EUNAVAILABLE;
		}
	}
	size_t failed = 0;
	for (size_t i = 0; i < n; i++) {
		redisReply *reply = NULL;
		if (redisGetReply(r->c, (void **)&reply) != REDIS_OK || reply == NULL) {
			axr__redis_publish_lost(r);
			for (size_t k = i; k < n; k++)
				axr__redis_count(AXR__REDIS_PUBLISH_FAILURES);
			return AXR_EUNAVAILABLE;
		}
		if (reply->type != REDIS_REPLY_INTEGER) {
			axr__redis_fail(r, "publish", reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
			axr__redis_count(AXR__REDIS_PUBLISH_FAILURES);
			failed++;
		} else {
			axr__redis_count(AXR__REDIS_PUBLISHED);
		}
		freeReplyObject(reply);
	}
	r->failures = 0;
	return failed ? AXR_EUNAVAILABLE : 0;
}

bool axr_redis_is_up(const axr_redis_t *r)
{
	return r && r->c;
}

long axr_redis_retry_after_ms(const axr_redis_t *r)
{
	if (!r || !r->down)
		return 0;
	int64_t left = r->next_attempt_ms - axr__redis_now_ms();
	return left > 0 ? (long)left : 0;
}

const char *axr_redis_last_error(const axr_redis_t *r)
{
	return r ? r->error : "";
}

int axr_redis_ping(const char *url, long timeout_ms)
{
	axr__redis_url_t u;
	char err[200];
	if (!url || timeout_ms <= 0)
		return AXR_EINVAL;
	if (axr__redis_url_parse(url, &u) != 0)
		return AXR_ECONFIG;
	axr__redis_ignore_sigpipe();
	int64_t start = axr__redis_now_ms();
	redisContext *c = axr__redis_connect(&u, timeout_ms, timeout_ms, err, sizeof err);
	if (!c)
		return AXR_EUNAVAILABLE;
	long left = timeout_ms - (long)(axr__redis_now_ms() - start);
	int rc = AXR_EUNAVAILABLE;
	if (left > 0 && redisSetTimeout(c, axr__redis_tv(left)) == REDIS_OK)
		rc = axr__redis_simple(c, err, sizeof err, "PING", NULL, NULL);
	redisFree(c);
	return rc;
}
