/* worker.c: the background matchmaker thread, and its /metrics series. */
#include "worker.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "log.h"
#include "metrics.h"
#include "store_internal.h"

/* ---- metrics ---------------------------------------------------------------- */

#define MM_MAX_QUEUE_SERIES 64

typedef struct queue_series {
	char *key;            /* canonical criteria JSON + "/" + teams */
	axr_metric_t *tickets, *players;
	bool seen;            /* present in the current round */
} queue_series_t;

static struct {
	pthread_mutex_t lock;
	bool registered;
	axr_metric_t *matches, *matched, *expired, *wait, *round;
	queue_series_t series[MM_MAX_QUEUE_SERIES + 1]; /* the last one is criteria="other" */
	size_t n_series;
} mm_metrics = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Waits run from one round (0.25 s) to AXR_MATCH_MAX_WAIT (120 s by default, up to a day). */
static const double mm_wait_buckets[] = {0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600,
                                         1800, 3600, 86400};

int matchmaking_metrics_register(void)
{
	int rc = 0;
	pthread_mutex_lock(&mm_metrics.lock);
	if (!mm_metrics.registered) {
		mm_metrics.matches = axr_metrics_counter("axr_matchmaking_matches_total", "Matches formed.", "");
		mm_metrics.matched = axr_metrics_counter("axr_matchmaking_tickets_total",
		                                         "Tickets that left the queue, by outcome.", "status=\"MATCH_FOUND\"");
		mm_metrics.expired = axr_metrics_counter("axr_matchmaking_tickets_total",
		                                         "Tickets that left the queue, by outcome.", "status=\"EXPIRED\"");
		mm_metrics.wait = axr_metrics_histogram_buckets("axr_matchmaking_wait_seconds",
		                                                "Time tickets spent queued before a match or expiry.", "",
		                                                mm_wait_buckets,
		                                                sizeof mm_wait_buckets / sizeof mm_wait_buckets[0]);
		mm_metrics.round = axr_metrics_histogram("axr_matchmaking_round_seconds",
		                                         "Duration of one matching round (all groups).", "");
		if (!mm_metrics.matches || !mm_metrics.matched || !mm_metrics.expired || !mm_metrics.wait ||
		    !mm_metrics.round)
			rc = AXR_ENOMEM;
		mm_metrics.registered = rc == 0;
	}
	pthread_mutex_unlock(&mm_metrics.lock);
	return rc;
}

/* Prometheus label value: backslash, quote and newline escaped. */
static void label_escape(axr_buf_t *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			axr_buf_putc(b, '\\');
		if (*s == '\n')
			axr_buf_puts(b, "\\n");
		else
			axr_buf_putc(b, *s);
	}
}

/* The labels of a queue: criteria="mode=ranked,region=eu",teams="2". */
static int queue_labels(axr_arena_t *arena, const matchmaking_queue_stat_t *q, axr_buf_t *out)
{
	matchmaking_criterion_t *c = NULL;
	size_t n = 0;
	int rc = matchmaking__json_criteria(arena, q->criteria, &c, &n);
	if (rc != 0)
		return rc;
	axr_buf_puts(out, "criteria=\"");
	for (size_t i = 0; i < n; i++) {
		if (i)
			axr_buf_putc(out, ',');
		label_escape(out, c[i].name);
		axr_buf_putc(out, '=');
		label_escape(out, c[i].value);
	}
	axr_buf_printf(out, "\",teams=\"%d\"", q->num_teams);
	return axr_buf_ok(out) ? 0 : AXR_ENOMEM;
}

/* The gauges of queue `q`, registered on first sight (NULL when out of memory). */
static queue_series_t *queue_series(axr_arena_t *arena, const matchmaking_queue_stat_t *q)
{
	char *key = axr_arena_printf(arena, "%s/%d", q->criteria, q->num_teams);
	if (!key)
		return NULL;
	for (size_t i = 0; i < mm_metrics.n_series; i++)
		if (strcmp(mm_metrics.series[i].key, key) == 0)
			return &mm_metrics.series[i];
	queue_series_t *s = &mm_metrics.series[MM_MAX_QUEUE_SERIES];
	axr_buf_t labels = AXR_BUF_INIT;
	if (mm_metrics.n_series < MM_MAX_QUEUE_SERIES) {
		if (queue_labels(arena, q, &labels) != 0 || !(key = strdup(key))) {
			axr_buf_free(&labels);
			return NULL;
		}
		s = &mm_metrics.series[mm_metrics.n_series++];
		s->key = key;
	} else if (!s->key) {
		axr_buf_puts(&labels, "criteria=\"other\",teams=\"\"");
		s->key = strdup("other");
	}
	if (labels.len) {
		s->tickets = axr_metrics_gauge("axr_matchmaking_tickets_queued", "QUEUED tickets.", labels.data);
		s->players = axr_metrics_gauge("axr_matchmaking_players_queued", "Players on QUEUED tickets.",
		                               labels.data);
	}
	axr_buf_free(&labels);
	return s;
}

static void metrics_observe(axr_arena_t *arena, const matchmaking_round_t *round)
{
	if (!mm_metrics.registered)
		return;
	axr_metrics_observe(mm_metrics.round, round->seconds);
	axr_metrics_add(mm_metrics.matches, round->n_matches);
	for (size_t i = 0; i < round->n_tickets; i++) {
		const matchmaking_ticket_event_t *e = &round->tickets[i];
		axr_metrics_add(e->status == MATCHMAKING_MATCH_FOUND ? mm_metrics.matched : mm_metrics.expired, 1);
		axr_metrics_observe(mm_metrics.wait, e->wait_s);
	}
	pthread_mutex_lock(&mm_metrics.lock);
	double other_tickets = 0, other_players = 0;
	for (size_t i = 0; i <= MM_MAX_QUEUE_SERIES; i++)
		mm_metrics.series[i].seen = false;
	for (size_t i = 0; i < round->n_queues; i++) {
		queue_series_t *s = queue_series(arena, &round->queues[i]);
		if (!s)
			continue;
		if (s == &mm_metrics.series[MM_MAX_QUEUE_SERIES]) {
			other_tickets += (double)round->queues[i].tickets;
			other_players += (double)round->queues[i].players;
			continue;
		}
		s->seen = true;
		axr_metrics_set(s->tickets, (double)round->queues[i].tickets);
		axr_metrics_set(s->players, (double)round->queues[i].players);
	}
	for (size_t i = 0; i < mm_metrics.n_series; i++)
		if (!mm_metrics.series[i].seen) { /* an emptied queue reads 0, not its last value */
			axr_metrics_set(mm_metrics.series[i].tickets, 0);
			axr_metrics_set(mm_metrics.series[i].players, 0);
		}
	axr_metrics_set(mm_metrics.series[MM_MAX_QUEUE_SERIES].tickets, other_tickets);
	axr_metrics_set(mm_metrics.series[MM_MAX_QUEUE_SERIES].players, other_players);
	pthread_mutex_unlock(&mm_metrics.lock);
}

/* ---- the worker ----------------------------------------------------------------- */

struct matchmaking_worker {
	matchmaking_worker_options_t opt;
	char *url;
	axr_db_t *db;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	matchmaking_worker_stats_t stats;
};

static void stats_add(matchmaking_worker_t *w, int rc, const matchmaking_round_t *round)
{
	pthread_mutex_lock(&w->lock);
	w->stats.rounds++;
	if (rc != 0) {
		w->stats.failed_rounds++;
	} else {
		w->stats.skipped_groups += round->skipped;
		w->stats.claimed += round->claimed;
		w->stats.matches += round->n_matches;
		for (size_t i = 0; i < round->n_tickets; i++) {
			if (round->tickets[i].status == MATCHMAKING_MATCH_FOUND)
				w->stats.matched_tickets++;
			else
				w->stats.expired_tickets++;
		}
		w->stats.busy_seconds += round->seconds;
	}
	pthread_mutex_unlock(&w->lock);
}

static void *worker_main(void *arg)
{
	matchmaking_worker_t *w = arg;
	axr_arena_t *arena = axr_arena_new(64 * 1024);
	int last_rc = 0;
	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		pthread_mutex_unlock(&w->lock);
		matchmaking_round_t round;
		int rc = arena ? matchmaking_store_round(w->db, arena, &w->opt.round, &round) : AXR_ENOMEM;
		if (rc != last_rc) /* log changes of state, not every failed round */
			axr_log(rc ? AXR_LOG_WARN : AXR_LOG_INFO, "matchmaking: rounds %s%s", rc ? "failing: " : "working again",
			        rc ? axr_errname(rc) : "");
		last_rc = rc;
		stats_add(w, rc, &round);
		if (rc == 0) {
			metrics_observe(arena, &round);
			if (w->opt.publish && (round.n_tickets > 0 || round.n_matches > 0))
				w->opt.publish(w->opt.publish_ctx, &round);
		}
		axr_arena_reset(arena);
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		long ms = w->opt.interval_ms;
		until.tv_sec += ms / 1000;
		until.tv_nsec += (ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&w->lock);
		while (!w->stopping && pthread_cond_timedwait(&w->wake, &w->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&w->lock);
	axr_arena_free(arena);
	return NULL;
}

int matchmaking_worker_start(const matchmaking_worker_options_t *opt, matchmaking_worker_t **out)
{
	if (!out)
		return AXR_EINVAL;
	*out = NULL;
	if (!opt || !opt->database_url || opt->interval_ms < 0)
		return AXR_EINVAL;
	matchmaking_worker_t *w = calloc(1, sizeof *w);
	if (!w)
		return AXR_ENOMEM;
	w->opt = *opt;
	if (w->opt.interval_ms == 0)
		w->opt.interval_ms = 250;
	axr_db_options_t dbo;
	if (opt->db)
		dbo = *opt->db;
	else
		axr_db_options_init(&dbo);
	if (!dbo.application_name || strcmp(dbo.application_name, "axr") == 0)
		dbo.application_name = "axr-matchmaker";
	int rc = AXR_ENOMEM;
	bool sync_made = false;
	pthread_condattr_t attr;
	if (!(w->url = strdup(opt->database_url)))
		goto fail;
	w->opt.database_url = w->url;
	w->opt.db = NULL;
	if ((rc = axr_db_new(w->url, &dbo, &w->db)) != 0)
		goto fail;
	rc = AXR_EIO;
	if (pthread_condattr_init(&attr) != 0)
		goto fail;
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	bool cond_ok = pthread_cond_init(&w->wake, &attr) == 0;
	pthread_condattr_destroy(&attr);
	if (!cond_ok)
		goto fail;
	if (pthread_mutex_init(&w->lock, NULL) != 0) {
		pthread_cond_destroy(&w->wake);
		goto fail;
	}
	sync_made = true;
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
		goto fail;
	*out = w;
	return 0;
fail:
	if (sync_made) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->wake);
	}
	axr_db_free(w->db);
	free(w->url);
	free(w);
	return rc;
}

void matchmaking_worker_stop(matchmaking_worker_t *w, matchmaking_worker_stats_t *stats)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	if (stats)
		*stats = w->stats;
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	axr_db_free(w->db);
	free(w->url);
	free(w);
}

void matchmaking_worker_stats(matchmaking_worker_t *w, matchmaking_worker_stats_t *out)
{
	pthread_mutex_lock(&w->lock);
	*out = w->stats;
	pthread_mutex_unlock(&w->lock);
}
