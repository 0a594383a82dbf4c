/* events.h: the matcher's changes on the bus: a thread that reads back what rounds changed and publishes it. */
#ifndef AXR_MATCHMAKING_EVENTS_H
#define AXR_MATCHMAKING_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "store.h"

/*
 * A round (worker.h) hands what it committed to matchmaking_events_round(),
 * which only copies the uids into a queue and returns: the matcher never
 * waits for redis. The publisher thread, with its own database connection
 * and its own redis publisher, reads those matches and tickets back as
 * stored (they no longer change: a match is written once, and a ticket that
 * left the queue keeps its final state) and publishes, for each match, a
 * Match "create" to its players and then, for each ticket, a Ticket
 * "update" (MATCH_FOUND or EXPIRED) to its users (messages.h). An event's
 * data is therefore exactly what GET /matches/{id} and GET /tickets/{id}
 * answer.
 *
 * Push is best effort (DESIGN.md, Push): when the queue holds max_pending
 * items a round is not published (counted in
 * axr_matchmaking_events_dropped_total), and rows that cannot be read back
 * or published are logged and counted; the state is stored and clients
 * poll.
 */

typedef struct matchmaking_events matchmaking_events_t;

typedef struct matchmaking_events_options {
	const char *database_url;    /* required; copied */
	const axr_db_options_t *db;  /* NULL: axr_db_options_init defaults */
	const char *redis_url;       /* required; copied */
	size_t max_pending;          /* tickets + matches waiting; 0: 200000 */
	long drain_ms;               /* on stop, how long what waits may still take; 0: 5000 */
} matchmaking_events_options_t;

typedef struct matchmaking_events_stats {
	uint64_t published;          /* events redis accepted */
	uint64_t failed;             /* events not published: read back or PUBLISH failed */
	uint64_t dropped;            /* events never tried: queue full, or left at the end of the drain */
} matchmaking_events_stats_t;

/*
 * Starts the publisher thread (connections are made on first use). Returns
 * 0 and *out; AXR_EINVAL (a URL missing), AXR_ECONFIG (a bad URL),
 * AXR_ENOMEM, AXR_EIO (no thread). Stop it with matchmaking_events_stop().
 */
int matchmaking_events_start(const matchmaking_events_options_t *opt, matchmaking_events_t **out);

/* A matchmaking_publish_fn (worker.h): `ctx` is the matchmaking_events_t.
 * Queues the round's matches and tickets; never blocks on I/O. */
void matchmaking_events_round(void *ctx, const matchmaking_round_t *round);

/* Publishes what is queued (for at most drain_ms), stops the thread, copies
 * its counters into *stats when not NULL, and frees it. NULL is a no-op. */
void matchmaking_events_stop(matchmaking_events_t *e, matchmaking_events_stats_t *stats);

#endif
