/* redis_internal.h: what redis.c and redis_sub.c share; not part of the public API. */
#ifndef AXR_REDIS_INTERNAL_H
#define AXR_REDIS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "redis.h"

/* A parsed redis URL. */
typedef struct axr__redis_url {
	char host[256];
	int port;
	char user[128];     /* "" when none */
	char password[256]; /* "" when none */
} axr__redis_url_t;

/* Parses redis://[[user]:password@]host[:port][/db]; 0 or AXR_ECONFIG. */
int axr__redis_url_parse(const char *url, axr__redis_url_t *out);

/* Validates options (AXR_EINVAL) and fills defaults for a NULL `opt`. */
int axr__redis_options(const axr_redis_options_t *opt, axr_redis_options_t *out);

/* Sets SIGPIPE to SIG_IGN when it is at its default. */
void axr__redis_ignore_sigpipe(void);

/* Monotonic clock in milliseconds. */
int64_t axr__redis_now_ms(void);

/* The wait before reconnect attempt number `failures` (1 = first retry):
 * min doubling up to max, jittered into [d/2, d]. `rng` is caller state. */
long axr__redis_backoff(uint64_t *rng, int failures, long min_ms, long max_ms);

/* Seeds a jitter state from the clock and an address. */
uint64_t axr__redis_seed(const void *p);

enum axr__redis_counter {
	AXR__REDIS_PUBLISHED,
	AXR__REDIS_PUBLISH_FAILURES,
	AXR__REDIS_PUBLISH_FAST_FAILURES,
	AXR__REDIS_PUB_CONNECTS,
	AXR__REDIS_PUB_CONNECT_FAILURES,
	AXR__REDIS_SUB_CONNECTS,
	AXR__REDIS_SUB_DISCONNECTS,
	AXR__REDIS_MESSAGES,
};
void axr__redis_count(enum axr__redis_counter c);

enum axr__redis_gauge { AXR__REDIS_PUBLISHERS_UP, AXR__REDIS_SUBSCRIBERS, AXR__REDIS_SUBSCRIBERS_CONNECTED };
void axr__redis_gauge_add(enum axr__redis_gauge g, int delta);

/* Records a connection outcome for readiness (see axr_redis_global_ready);
 * `why` is logged when readiness flips to false. */
void axr__redis_record_outcome(bool ok, const char *why);

#endif
