/* test_store_load.c: two matchmaking workers on one queue: 1,000 tickets, and cancels racing the matcher. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "db.h"
#include "err.h"
#include "mm_test_db.h"
#include "store.h"
#include "store_internal.h"
#include "tests/unit/expect_msg.h"
#include "worker.h"

static int group_setup(void **state)
{
	(void)state;
	return mm_fixture_open("load") == 0 && matchmaking_metrics_register() == 0 ? 0 : -1;
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static int rng_int(int lo, int hi)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return lo + (int)((rng_state * 2685821657736338717ull) % (uint64_t)(hi - lo + 1));
}

/* Every ticket event the workers published, copied (the round dies after the hook). */
typedef struct published {
	pthread_mutex_t lock;
	char **uids;
	int *status;
	size_t n, cap;
	size_t matches;
} published_t;

static void on_round(void *ctx, const matchmaking_round_t *round)
{
	published_t *p = ctx;
	pthread_mutex_lock(&p->lock);
	p->matches += round->n_matches;
	for (size_t i = 0; i < round->n_tickets; i++) {
		if (p->n == p->cap) {
			p->cap = p->cap ? 2 * p->cap : 1024;
			p->uids = realloc(p->uids, p->cap * sizeof *p->uids);
			p->status = realloc(p->status, p->cap * sizeof *p->status);
		}
		p->uids[p->n] = strdup(round->tickets[i].ticket_uid);
		p->status[p->n++] = (int)round->tickets[i].status;
	}
	pthread_mutex_unlock(&p->lock);
}

static void published_free(published_t *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->uids[i]);
	free(p->uids);
	free(p->status);
	pthread_mutex_destroy(&p->lock);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static matchmaking_worker_t *start_worker(const matchmaking_round_options_t *round, long interval_ms, published_t *p)
{
	matchmaking_worker_options_t opt = {.database_url = tdb.url, .interval_ms = interval_ms, .round = *round,
	                                    .publish = on_round, .publish_ctx = p};
	matchmaking_worker_t *w = NULL;
	assert_int_equal(matchmaking_worker_start(&opt, &w), 0);
	return w;
}

/* Waits until no ticket is QUEUED (at most `limit_s`); returns the seconds waited. */
static double wait_queue_empty(double limit_s)
{
	double t0 = axr_test_now_s();
	while (axr_test_db_scalar(db, "SELECT count(*) FROM ticket WHERE status = 'QUEUED'") != 0) {
		double waited = axr_test_now_s() - t0;
		EXPECT_MSG(waited < limit_s, "tickets still QUEUED after %.1f s", waited);
		axr_test_sleep_ms(20);
	}
	return axr_test_now_s() - t0;
}

/* Prints one line of percentiles of `expr` over `from`. */
static void print_distribution(const char *label, const char *expr, const char *from)
{
	char sql[1024];
	snprintf(sql, sizeof sql,
	         "SELECT count(*), round(min(v)::numeric, 2), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY v)::numeric, 2),"
	         " round(percentile_cont(0.9) WITHIN GROUP (ORDER BY v)::numeric, 2),"
	         " round(percentile_cont(0.99) WITHIN GROUP (ORDER BY v)::numeric, 2), round(max(v)::numeric, 2)"
	         " FROM (SELECT (%s)::float8 AS v FROM %s) d",
	         expr, from);
	axr_db_result_t *r = NULL;
	assert_int_equal(axr_db_exec(db, NULL, sql, 0, NULL, NULL, NULL, &r), 0);
	const char *v[6];
	for (int i = 0; i < 6; i++)
		v[i] = axr_db_result_text(r, 0, i, NULL) ? axr_db_result_text(r, 0, i, NULL) : "-";
	printf("# %-28s n=%-5s min %-8s p50 %-8s p90 %-8s p99 %-8s max %s\n", label, v[0], v[1], v[2], v[3], v[4], v[5]);
	axr_db_result_free(r);
}

static void test_two_workers_settle_a_thousand_tickets(void **state)
{
	(void)state;
	enum { N = 1000 };
	/* 1,000 tickets at once: solos and parties of 2-3, skill 0-3000, two
	 * criteria sets, 5v5 (some accept 3v3 to 5v5). */
	static const matchmaking_criterion_t eu[] = {{.name = "mode", .value = "ranked"}, {.name = "region", .value = "eu"}};
	static const matchmaking_criterion_t us[] = {{.name = "mode", .value = "casual"}, {.name = "region", .value = "us"}};
	int players = 0;
	for (int i = 0; i < N; i++) {
		int r = rng_int(0, 99);
		size_t party = r < 60 ? 1 : r < 85 ? 2 : 3;
		const char **users = axr_arena_calloc(arena, party, sizeof *users);
		for (size_t k = 0; k < party; k++)
			users[k] = mm_new_user();
		bool ranged = rng_int(0, 99) < 15;
		matchmaking_ticket_new_t in = {.users = users, .n_users = party, .host_uid = users[0],
		                               .criteria = i % 2 ? eu : us, .n_criteria = 2, .skill = rng_int(0, 3000),
		                               .has_latency = true, .latency = rng_int(10, 150), .num_teams = 2,
		                               .team_min = ranged ? 3 : 5, .team_max = 5, .team_exact = !ranged,
		                               .max_wait_ms = 5000};
		matchmaking_ticket_row_t *row = NULL;
		int rc = matchmaking_store_ticket_create(db, arena, &in, &row);
		EXPECT_MSG(rc == 0, "ticket %d: %s", i, axr_errname(rc));
		players += (int)party;
	}
	matchmaking_round_options_t round = {.batch = 5000};
	matchmaking_matcher_config_init(&round.matcher);
	round.matcher.window_base = 100;
	round.matcher.window_rate = 300;
	published_t pub = {.lock = PTHREAD_MUTEX_INITIALIZER};
	matchmaking_worker_t *w1 = start_worker(&round, 50, &pub), *w2 = start_worker(&round, 50, &pub);
	double settled = wait_queue_empty(30);
	matchmaking_worker_stats_t s1, s2;
	matchmaking_worker_stop(w1, &s1);
	matchmaking_worker_stop(w2, &s2);

	/* every ticket ended MATCH_FOUND or EXPIRED, and its players may queue again */
	mm_expect_scalar(db, N, "SELECT count(*) FROM ticket WHERE status IN ('MATCH_FOUND', 'EXPIRED')");
	mm_expect_scalar(db, 0, "SELECT count(*) FROM ticket_member WHERE queued");
	/* no player in two matches */
	mm_expect_scalar(db, 0,
	                 "SELECT count(*) - count(DISTINCT p) FROM match, jsonb_array_elements(teams) tm,"
	                 " jsonb_array_elements_text(tm->'members') p");
	mm_expect_scalar(db, 0, "SELECT count(*) - count(DISTINCT p) FROM match, jsonb_array_elements_text(players) p");
	mm_expect_scalar(db, 0, "SELECT count(*) FROM match WHERE jsonb_array_length(players) <> num_teams * team_size");
	/* no ticket in two matches; every MATCH_FOUND ticket is in the match it names, and only those */
	mm_expect_scalar(db, 0,
	                 "SELECT count(*) FROM (SELECT x FROM match, jsonb_array_elements_text(tickets) x GROUP BY x"
	                 " HAVING count(*) > 1) d");
	mm_expect_scalar(db, 0,
	                 "SELECT count(*) FROM ticket t WHERE (t.status = 'MATCH_FOUND') <> EXISTS (SELECT 1 FROM match m"
	                 " WHERE m.uid = t.match_uid AND m.tickets ? t.uid::text)");
	mm_expect_scalar(db, 0,
	                 "SELECT count(*) FROM match m, jsonb_array_elements_text(m.tickets) x"
	                 " WHERE NOT EXISTS (SELECT 1 FROM ticket t WHERE t.uid = x::uuid AND t.match_uid = m.uid)");
	/* team sizes exact: numTeams teams of exactly teamSize players, made of whole parties */
	mm_expect_scalar(db, 0, "SELECT count(*) FROM match WHERE jsonb_array_length(teams) <> num_teams");
	mm_expect_scalar(db, 0,
	                 "SELECT count(*) FROM match m, jsonb_array_elements(m.teams) tm"
	                 " WHERE jsonb_array_length(tm->'members') <> m.team_size");
	mm_expect_scalar(db, 0,
	                 "SELECT count(*) FROM match m WHERE m.num_teams * m.team_size <>"
	                 " (SELECT sum(num_users) FROM ticket t WHERE t.match_uid = m.uid)");
	mm_expect_scalar(db, 0,
	                 "SELECT count(*) FROM ticket t JOIN match m ON m.uid = t.match_uid WHERE NOT EXISTS"
	                 " (SELECT 1 FROM jsonb_array_elements(m.teams) tm WHERE tm->'members' @> t.users"
	                 " AND tm->'tickets' ? t.uid::text)");
	/* every ticket's teamSize respected; no match mixes criteria or team counts */
	mm_expect_scalar(db, 0,
	                 "SELECT count(*) FROM (SELECT match_uid, " MM_SQL_TEAM_MIN ", " MM_SQL_TEAM_MAX " FROM ticket"
	                 " WHERE status = 'MATCH_FOUND') t (match_uid, lo, hi) JOIN match m ON m.uid = t.match_uid"
	                 " WHERE m.team_size < t.lo OR m.team_size > t.hi");
	mm_expect_scalar(db, 0,
	                 "SELECT count(*) FROM ticket t JOIN match m ON m.uid = t.match_uid"
	                 " WHERE t.criteria <> m.criteria OR t.num_teams <> m.num_teams");
	/* the workers reported each ticket once, and the same outcome as stored */
	int64_t matched = axr_test_db_scalar(db, "SELECT count(*) FROM ticket WHERE status = 'MATCH_FOUND'");
	int64_t n_matches = axr_test_db_scalar(db, "SELECT count(*) FROM match");
	assert_int_equal(pub.n, N);
	assert_int_equal(pub.matches, n_matches);
	qsort(pub.uids, pub.n, sizeof *pub.uids, cmp_str);
	for (size_t i = 1; i < pub.n; i++)
		EXPECT_MSG(strcmp(pub.uids[i - 1], pub.uids[i]) != 0, "ticket %s published twice", pub.uids[i]);
	size_t found_events = 0;
	for (size_t i = 0; i < pub.n; i++)
		found_events += pub.status[i] == MATCHMAKING_MATCH_FOUND;
	assert_int_equal(found_events, matched);

	printf("# %d tickets (%d players), 2 workers: %lld matches, %lld tickets matched, %lld expired;"
	       " queue settled in %.2f s\n",
	       N, players, (long long)n_matches, (long long)matched, (long long)(N - matched), settled);
	double busy = s1.busy_seconds + s2.busy_seconds;
	printf("# workers: %llu + %llu matches in %llu + %llu rounds; %.3f s inside rounds in all:"
	       " %.0f matches/s, %.0f tickets/s of round time\n",
	       (unsigned long long)s1.matches, (unsigned long long)s2.matches, (unsigned long long)s1.rounds,
	       (unsigned long long)s2.rounds, busy, (double)n_matches / busy, (double)(s1.claimed + s2.claimed) / busy);
	assert_int_equal(s1.matches + s2.matches, n_matches);
	assert_int_equal(s1.matched_tickets + s2.matched_tickets, matched);
	print_distribution("skill spread (match)", "skill_spread", "match");
	print_distribution("team avg difference", "team_skill_difference", "match");
	print_distribution("max latency (ms)", "max_latency", "match");
	print_distribution("wait, matched (s)", "extract(epoch FROM date_closed - date_created)",
	                   "ticket WHERE status = 'MATCH_FOUND'");
	print_distribution("wait, expired (s)", "extract(epoch FROM date_closed - date_created)",
	                   "ticket WHERE status = 'EXPIRED'");
	published_free(&pub);
}

/* One ticket of the cancel race and what its cancel answered. */
typedef struct raced {
	const char *uid;
	const char *user;
	int rc;
} raced_t;

static void test_cancels_racing_two_workers_end_cancelled_xor_matched(void **state)
{
	(void)state;
	enum { N = 400 };
	raced_t *t = axr_arena_calloc(arena, N, sizeof *t);
	matchmaking_round_options_t round = {.batch = 5000};
	matchmaking_matcher_config_init(&round.matcher);
	round.matcher.window_base = 100000; /* every pair is acceptable: the race is the only question */
	published_t pub = {.lock = PTHREAD_MUTEX_INITIALIZER};
	matchmaking_worker_t *w1 = start_worker(&round, 2, &pub), *w2 = start_worker(&round, 2, &pub);
	static const matchmaking_criterion_t duel[] = {{.name = "mode", .value = "duel"}};
	/* Queue 1v1 tickets one after another; cancel some right away (before a
	 * round could see them) and others a few tickets later (mid-matching). */
	int pending[N], n_pending = 0;
	for (int i = 0; i < N; i++) {
		t[i].user = mm_new_user();
		const char *users[] = {t[i].user};
		matchmaking_ticket_new_t in = {.users = users, .n_users = 1, .host_uid = users[0], .criteria = duel,
		                               .n_criteria = 1, .skill = 1000, .num_teams = 2, .team_min = 1,
		                               .team_max = 1, .team_exact = true, .max_wait_ms = 1000};
		matchmaking_ticket_row_t *row = NULL;
		assert_int_equal(matchmaking_store_ticket_create(db, arena, &in, &row), 0);
		t[i].uid = row->uid;
		t[i].rc = 1; /* not cancelled */
		int mode = rng_int(0, 2);
		if (mode == 0)
			pending[n_pending++] = i;
		else if (mode == 1)
			t[i].rc = matchmaking_store_ticket_cancel(db, arena, t[i].uid, t[i].user, &row);
		if (n_pending > 0 && (mode == 2 || n_pending > 4)) {
			int k = pending[0];
			memmove(pending, pending + 1, (size_t)--n_pending * sizeof *pending);
			t[k].rc = matchmaking_store_ticket_cancel(db, arena, t[k].uid, t[k].user, &row);
		}
	}
	for (int j = 0; j < n_pending; j++) {
		matchmaking_ticket_row_t *row = NULL;
		int k = pending[j];
		t[k].rc = matchmaking_store_ticket_cancel(db, arena, t[k].uid, t[k].user, &row);
	}
	wait_queue_empty(20);
	matchmaking_worker_stop(w1, NULL);
	matchmaking_worker_stop(w2, NULL);

	int cancelled = 0, lost = 0, untouched = 0;
	for (int i = 0; i < N; i++) {
		matchmaking_ticket_row_t *row = NULL;
		assert_int_equal(matchmaking_store_ticket_get(db, arena, t[i].uid, NULL, &row), 0);
		char sql[200];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM match WHERE tickets ? '%s'", t[i].uid);
		int64_t in_matches = axr_test_db_scalar(db, sql);
		if (t[i].rc == 0) {
			cancelled++;
			EXPECT_MSG(row->status == MATCHMAKING_CANCELLED && !row->match_uid && in_matches == 0,
			           "ticket %d: cancel succeeded, yet status %s, match %s, in %lld matches", i,
			           matchmaking_status_name(row->status), row->match_uid ? row->match_uid : "-",
			           (long long)in_matches);
		} else if (t[i].rc == AXR_ECONFLICT) {
			lost++;
			EXPECT_MSG(row->status == MATCHMAKING_MATCH_FOUND ? in_matches == 1 : row->status == MATCHMAKING_EXPIRED,
			           "ticket %d: cancel lost, status %s, in %lld matches", i, matchmaking_status_name(row->status),
			           (long long)in_matches);
		} else {
			untouched++;
			EXPECT_MSG(t[i].rc == 1, "ticket %d: cancel -> %s", i, axr_errname(t[i].rc));
			EXPECT_MSG(row->status != MATCHMAKING_CANCELLED, "ticket %d: cancelled without a cancel", i);
		}
	}
	mm_expect_scalar(db, 0,
	                 "SELECT count(*) FROM match m, jsonb_array_elements_text(m.tickets) x JOIN ticket t"
	                 " ON t.uid = x::uuid WHERE t.status <> 'MATCH_FOUND' OR t.match_uid <> m.uid");
	mm_expect_scalar(db, 0, "SELECT count(*) FROM match WHERE jsonb_array_length(tickets) <> 2");
	printf("# cancel race, %d tickets, 2 workers every 2 ms: %d cancels won, %d lost to the matcher (409), "
	       "%d not cancelled; %lld matches\n",
	       N, cancelled, lost, untouched, (long long)axr_test_db_scalar(db, "SELECT count(*) FROM match"));
	EXPECT_MSG(cancelled > 0 && lost > 0, "the race did not happen both ways (%d won, %d lost)", cancelled, lost);
	published_free(&pub);
}

static void test_one_round_matches_ten_thousand_queued_5v5_tickets(void **state)
{
	(void)state;
	/* The bench scenario of the issue, in-process: 10,000 solo 5v5 tickets
	 * already queued (waits 0-30 s), one round on one connection. */
	axr_test_sql(db, "SELECT setseed(0.42)");
	axr_test_sql(db, "INSERT INTO ticket (uid, date_created, date_modified, version, users, host_uid, criteria, statistics,"
	           " num_teams, team_size, num_users, status, date_expires)"
	           " SELECT gen_random_uuid(), now() - random() * interval '30 seconds', now(), 0, jsonb_build_array(u::text), u,"
	           " '[{\"name\":\"mode\",\"value\":\"bench\"}]', jsonb_build_object('skillrating', floor(random() * 3000),"
	           " 'latency', 10 + floor(random() * 140)), 2, '5', 1, 'QUEUED', now() + interval '120 seconds'"
	           " FROM (SELECT gen_random_uuid() AS u FROM generate_series(1, 10000)) g");
	axr_test_sql(db, "INSERT INTO ticket_member (ticket_uid, user_uid, queued) SELECT uid, host_uid, true FROM ticket");
	axr_test_sql(db, "ANALYZE ticket");
	matchmaking_round_options_t opt = {.batch = 10000};
	matchmaking_matcher_config_init(&opt.matcher);
	matchmaking_round_t round;
	assert_int_equal(matchmaking_store_round(db, arena, &opt, &round), 0);
	assert_int_equal(round.claimed, 10000);
	EXPECT_MSG(round.n_matches >= 900, "%zu matches of 10000 solo 5v5 tickets", round.n_matches);
	mm_expect_scalar(db, (int64_t)round.n_matches * 10, "SELECT count(*) FROM ticket WHERE status = 'MATCH_FOUND'");
	mm_expect_scalar(db, 0,
	                 "SELECT count(*) FROM match m, jsonb_array_elements(m.teams) tm"
	                 " WHERE jsonb_array_length(tm->'members') <> 5");
	printf("# one round over 10000 queued solo 5v5 tickets: %zu matches (%zu tickets) in %.3f s:"
	       " %.0f matches/s, %.0f tickets matched/s\n",
	       round.n_matches, round.n_matches * 10, round.seconds, (double)round.n_matches / round.seconds,
	       (double)round.n_matches * 10 / round.seconds);
	print_distribution("skill spread (10k round)", "skill_spread", "match");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_two_workers_settle_a_thousand_tickets, mm_fixture_reset),
	    cmocka_unit_test_setup(test_cancels_racing_two_workers_end_cancelled_xor_matched, mm_fixture_reset),
	    cmocka_unit_test_setup(test_one_round_matches_ten_thousand_queued_5v5_tickets, mm_fixture_reset),
	};
	return cmocka_run_group_tests_name("matchmaking store under load", tests, group_setup, mm_fixture_close);
}
