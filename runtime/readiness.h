/* readiness.h: "is this dependency reachable?" from the latest connection outcome, lock-free. */
#ifndef AXR_READINESS_H
#define AXR_READINESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * A dependency (the database, redis) is ready when the most recent
 * connection outcome reported for it, by any thread, was a success.
 * Outcomes are totally ordered by a sequence number, so concurrent reports
 * cannot leave a stale answer. Statically initialise with
 * AXR_READINESS_INIT("name"); all functions are thread-safe.
 */
typedef struct axr_readiness {
	const char *name;            /* for the log lines, e.g. "database" */
	_Atomic uint64_t seq;        /* last sequence number handed out */
	_Atomic uint64_t last_ok;    /* sequence of the latest success, 0 = none */
	_Atomic uint64_t last_fail;  /* sequence of the latest failure, 0 = none */
	_Atomic int64_t last_ok_unix_ms;
	_Atomic int64_t last_fail_unix_ms;
} axr_readiness_t;

#define AXR_READINESS_INIT(n) {.name = (n)}

/*
 * Reports an outcome and returns its sequence number. When readiness flips,
 * logs "<name> unavailable: <why>" (warn) or "<name> available again" (info).
 * `why` may be NULL.
 */
uint64_t axr_readiness_record(axr_readiness_t *r, bool ok, const char *why);

/* true when the latest outcome was a success (false before any). */
bool axr_readiness_ok(axr_readiness_t *r);

/* Sequence number of the latest success (0: none yet). */
uint64_t axr_readiness_last_ok(axr_readiness_t *r);

/* Wall-clock times of the latest success / failure, 0 = never. */
int64_t axr_readiness_last_ok_unix_ms(axr_readiness_t *r);
int64_t axr_readiness_last_fail_unix_ms(axr_readiness_t *r);

#endif
