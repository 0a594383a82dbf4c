/* worker.h: the background matchmaker: a thread with its own database connection running a round every interval. */
#ifndef AXR_MATCHMAKING_WORKER_H
#define AXR_MATCHMAKING_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "store.h"

/*
 * Every replica of the service may run a worker (and a process may run
 * several): rounds claim tickets with FOR UPDATE SKIP LOCKED, so two
 * workers never hold the same ticket, and whatever a crashed or stopped
 * worker held is released by its connection's end and taken by the next
 * round anywhere (docs/matchmaking.md, "Several replicas").
 */

typedef struct matchmaking_worker matchmaking_worker_t;

/*
 * Called from the worker's thread after a round committed changes (some
 * tickets matched or expired): publish them (the lead wires it to the bus:
 * a MATCH_FOUND / EXPIRED Ticket update to each ticket's users, a Match
 * create to its players). `round` and everything in it live until the
 * callback returns. It must not block for long: the next round waits.
 * Publishing is best effort; clients can always poll GET /tickets/{id}.
 */
typedef void (*matchmaking_publish_fn)(void *ctx, const matchmaking_round_t *round);

typedef struct matchmaking_worker_options {
	const char *database_url;        /* required; copied */
	const axr_db_options_t *db;      /* NULL: axr_db_options_init defaults (application_name
	                                  * "axr-matchmaker" unless set) */
	long interval_ms;                /* pause between rounds (0: 250) */
	matchmaking_round_options_t round;
	matchmaking_publish_fn publish;  /* may be NULL */
	void *publish_ctx;
} matchmaking_worker_options_t;

/* Counters of one worker since it started. */
typedef struct matchmaking_worker_stats {
	uint64_t rounds;           /* rounds run (including failed ones) */
	uint64_t failed_rounds;    /* rounds that could not list the queue (database down...) */
	uint64_t skipped_groups;   /* groups whose transaction failed (retried next round) */
	uint64_t claimed;          /* tickets looked at */
	uint64_t matches;          /* matches formed */
	uint64_t matched_tickets;  /* tickets set MATCH_FOUND */
	uint64_t expired_tickets;  /* tickets set EXPIRED */
	double busy_seconds;       /* time spent in rounds */
} matchmaking_worker_stats_t;

/*
 * Starts a worker thread (its own axr_db_t; the first round runs at once).
 * Returns 0 and *out; AXR_EINVAL (no URL, negative interval), AXR_ECONFIG
 * (bad URL), AXR_ENOMEM, AXR_EIO (the thread could not start). Stop and free
 * it with matchmaking_worker_stop().
 */
int matchmaking_worker_start(const matchmaking_worker_options_t *opt, matchmaking_worker_t **out);

/* Asks the worker to stop, waits for its current round to end (a round is
 * one transaction per group, never cut in the middle), copies its final
 * counters into *stats when not NULL, and frees it. NULL is a no-op. */
void matchmaking_worker_stop(matchmaking_worker_t *w, matchmaking_worker_stats_t *stats);

/* A consistent copy of the worker's counters (thread-safe). */
void matchmaking_worker_stats(matchmaking_worker_t *w, matchmaking_worker_stats_t *out);

/*
 * Registers the matchmaking series in /metrics (metrics.h), once per
 * process; later calls do nothing. Workers update them after every round:
 *   axr_matchmaking_tickets_queued{criteria,teams}, ..._players_queued{...}
 *                                              gauges, as the last round saw
 *   axr_matchmaking_matches_total               counter
 *   axr_matchmaking_tickets_total{status="MATCH_FOUND"|"EXPIRED"}
 *   axr_matchmaking_wait_seconds                histogram of the wait of every
 *                                              ticket leaving the queue (buckets
 *                                              0.1 s .. 1 day)
 *   axr_matchmaking_round_seconds               histogram of round durations
 * At most 64 (criteria, teams) label sets get their own gauges; the others
 * add up under criteria="other". Returns 0 or AXR_ENOMEM.
 */
int matchmaking_metrics_register(void);

#endif
