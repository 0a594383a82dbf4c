/* events.c: the matcher's changes on the bus: a thread that reads back what rounds changed and publishes it. */
#include "events.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "err.h"
#include "log.h"
#include "messages.h"
#include "metrics.h"
#include "redis.h"

#define MM_UID_SIZE 37 /* a uuid and its NUL */

/* What one round changed: uids only, read back by the publisher. */
typedef struct batch {
	struct batch *next;
	size_t n_matches, n_tickets;
	char (*uids)[MM_UID_SIZE]; /* the matches, then the tickets */
} batch_t;

struct matchmaking_events {
	char *database_url, *redis_url;
	axr_db_options_t dbo;
	axr_db_t *db;
	axr_redis_t *redis;
	size_t max_pending;
	long drain_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	batch_t *head, *tail;
	size_t pending;              /* items in the queue */
	bool stopping;
	struct timespec deadline;    /* of the drain, once stopping */
	matchmaking_events_stats_t stats;
};

static axr_metric_t *mm_dropped_metric;
static pthread_once_t mm_metric_once = PTHREAD_ONCE_INIT;

static void metric_register(void)
{
	mm_dropped_metric = axr_metrics_counter("axr_matchmaking_events_dropped_total",
	                                        "Match and ticket events not published (queue full or shutdown); "
	                                        "clients poll.",
	                                        "");
}

static void count(matchmaking_events_t *e, uint64_t *field, size_t n)
{
	pthread_mutex_lock(&e->lock);
	*field += n;
	pthread_mutex_unlock(&e->lock);
	if (field == &e->stats.dropped)
		axr_metrics_add(mm_dropped_metric, n);
}

void matchmaking_events_round(void *ctx, const matchmaking_round_t *round)
{
	matchmaking_events_t *e = ctx;
	size_t n = round->n_matches + round->n_tickets;
	if (!e || n == 0)
		return;
	pthread_mutex_lock(&e->lock);
	bool full = e->pending + n > e->max_pending;
	pthread_mutex_unlock(&e->lock);
	batch_t *b = full ? NULL : malloc(sizeof *b + n * MM_UID_SIZE);
	if (!b) {
		axr_log_warn("matchmaking events: %s: %zu events of a round not published (clients poll)",
		             full ? "queue full" : "out of memory", n);
		count(e, &e->stats.dropped, n);
		return;
	}
	*b = (batch_t){.n_matches = round->n_matches, .n_tickets = round->n_tickets,
	               .uids = (char(*)[MM_UID_SIZE])(void *)(b + 1)};
	for (size_t i = 0; i < round->n_matches; i++)
		snprintf(b->uids[i], MM_UID_SIZE, "%s", round->matches[i].match_uid);
	for (size_t i = 0; i < round->n_tickets; i++)
		snprintf(b->uids[round->n_matches + i], MM_UID_SIZE, "%s", round->tickets[i].ticket_uid);
	pthread_mutex_lock(&e->lock);
	if (e->tail)
		e->tail->next = b;
	else
		e->head = b;
	e->tail = b;
	e->pending += n;
	pthread_cond_signal(&e->wake);
	pthread_mutex_unlock(&e->lock);
}

/* Reads back and publishes `n` matches (is_match) or tickets; every one is
 * counted as published or failed. */
static void publish_chunk(matchmaking_events_t *e, axr_arena_t *arena, bool is_match, const char *const *uids,
                          size_t n)
{
	matchmaking_match_row_t **matches = NULL;
	matchmaking_ticket_row_t **tickets = NULL;
	size_t found = 0, ok = 0;
	int rc = is_match ? matchmaking_store_matches_read(e->db, arena, uids, n, &matches, &found)
	                  : matchmaking_store_tickets_read(e->db, arena, uids, n, &tickets, &found);
	if (rc != 0) {
		axr_log_warn("matchmaking events: reading %zu %s back failed (%s %s): not published (clients poll)", n,
		             is_match ? "matches" : "tickets", axr_errname(rc), axr_db_last_error(e->db)->message);
		count(e, &e->stats.failed, n);
		return;
	}
	for (size_t i = 0; i < found; i++) {
		Matchmaking__Match *m = NULL;
		Matchmaking__Ticket *t = NULL;
		if (is_match)
			rc = matchmaking_match_message(arena, matches[i], &m);
		else
			rc = matchmaking_ticket_message(arena, tickets[i], &t);
		if (rc == 0)
			rc = is_match ? matchmaking_publish_match(e->redis, arena, m)
			              : matchmaking_publish_ticket(e->redis, arena, t, "update");
		ok += rc == 0;
	}
	count(e, &e->stats.published, ok);
	count(e, &e->stats.failed, n - ok); /* failures are logged by the bus; missing rows count here */
}

static void publish_batch(matchmaking_events_t *e, axr_arena_t *arena, batch_t *b)
{
	const char **uids = malloc((b->n_matches + b->n_tickets + 1) * sizeof *uids);
	if (!uids) {
		count(e, &e->stats.dropped, b->n_matches + b->n_tickets);
		return;
	}
	for (size_t i = 0; i < b->n_matches + b->n_tickets; i++)
		uids[i] = b->uids[i];
	/* Matches first: a player told MATCH_FOUND can find the match's event already there. */
	for (size_t off = 0; off < b->n_matches; off += MATCHMAKING_STORE_READ_MAX) {
		size_t k = b->n_matches - off < MATCHMAKING_STORE_READ_MAX ? b->n_matches - off : MATCHMAKING_STORE_READ_MAX;
		publish_chunk(e, arena, true, uids + off, k);
		axr_arena_reset(arena);
	}
	for (size_t off = 0; off < b->n_tickets; off += MATCHMAKING_STORE_READ_MAX) {
		size_t k = b->n_tickets - off < MATCHMAKING_STORE_READ_MAX ? b->n_tickets - off : MATCHMAKING_STORE_READ_MAX;
		publish_chunk(e, arena, false, uids + b->n_matches + off, k);
		axr_arena_reset(arena);
	}
	free(uids);
}

static bool past(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static void *events_main(void *arg)
{
	matchmaking_events_t *e = arg;
	axr_arena_t *arena = axr_arena_new(256 * 1024);
	size_t left = 0;
	pthread_mutex_lock(&e->lock);
	for (;;) {
		while (!e->head && !e->stopping)
			pthread_cond_wait(&e->wake, &e->lock);
		batch_t *b = e->head;
		if (!b || (e->stopping && past(&e->deadline)))
			break;
		if (!(e->head = b->next))
			e->tail = NULL;
		e->pending -= b->n_matches + b->n_tickets;
		pthread_mutex_unlock(&e->lock);
		if (arena)
			publish_batch(e, arena, b);
		else
			count(e, &e->stats.dropped, b->n_matches + b->n_tickets);
		free(b);
		pthread_mutex_lock(&e->lock);
	}
	while (e->head) { /* the drain ran out of time */
		batch_t *b = e->head;
		e->head = b->next;
		left += b->n_matches + b->n_tickets;
		free(b);
	}
	e->tail = NULL;
	e->pending = 0;
	pthread_mutex_unlock(&e->lock);
	if (left) {
		axr_log_warn("matchmaking events: %zu events not published at shutdown (clients poll)", left);
		count(e, &e->stats.dropped, left);
	}
	axr_arena_free(arena);
	return NULL;
}

/* Frees `e` and what it holds (its lock and condition when `sync_made`). */
static void events_free(matchmaking_events_t *e, bool sync_made)
{
	if (sync_made) {
		pthread_mutex_destroy(&e->lock);
		pthread_cond_destroy(&e->wake);
	}
	axr_redis_free(e->redis);
	axr_db_free(e->db);
	free(e->redis_url);
	free(e->database_url);
	free(e);
}

int matchmaking_events_start(const matchmaking_events_options_t *opt, matchmaking_events_t **out)
{
	if (!out)
		return AXR_EINVAL;
	*out = NULL;
	if (!opt || !opt->database_url || !opt->redis_url)
		return AXR_EINVAL;
	pthread_once(&mm_metric_once, metric_register);
	matchmaking_events_t *e = calloc(1, sizeof *e);
	if (!e)
		return AXR_ENOMEM;
	int rc = AXR_ENOMEM;
	bool sync_made = false;
	e->max_pending = opt->max_pending ? opt->max_pending : 200000;
	e->drain_ms = opt->drain_ms > 0 ? opt->drain_ms : 5000;
	if (opt->db)
		e->dbo = *opt->db;
	else
		axr_db_options_init(&e->dbo);
	if (!(e->database_url = strdup(opt->database_url)) || !(e->redis_url = strdup(opt->redis_url)))
		goto fail;
	if ((rc = axr_db_new(e->database_url, &e->dbo, &e->db)) != 0 ||
	    (rc = axr_redis_new(e->redis_url, NULL, &e->redis)) != 0)
		goto fail;
	rc = AXR_EIO;
	pthread_condattr_t attr;
	if (pthread_condattr_init(&attr) != 0)
		goto fail;
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	bool cond_ok = pthread_cond_init(&e->wake, &attr) == 0;
	pthread_condattr_destroy(&attr);
	if (!cond_ok)
		goto fail;
	if (pthread_mutex_init(&e->lock, NULL) != 0) {
		pthread_cond_destroy(&e->wake);
		goto fail;
	}
	sync_made = true;
	if (pthread_create(&e->thread, NULL, events_main, e) != 0)
		goto fail;
	*out = e;
	return 0;
fail:
	events_free(e, sync_made);
	return rc;
}

void matchmaking_events_stop(matchmaking_events_t *e, matchmaking_events_stats_t *stats)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->stopping = true;
	clock_gettime(CLOCK_MONOTONIC, &e->deadline);
	e->deadline.tv_sec += e->drain_ms / 1000;
	e->deadline.tv_nsec += (e->drain_ms % 1000) * 1000000L;
	if (e->deadline.tv_nsec >= 1000000000L) {
		e->deadline.tv_sec++;
		e->deadline.tv_nsec -= 1000000000L;
	}
	pthread_cond_signal(&e->wake);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thread, NULL);
	if (stats)
		*stats = e->stats;
	events_free(e, true);
}
