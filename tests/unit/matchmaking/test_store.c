/* test_store.c: matchmaking tickets and matches in PostgreSQL: queueing, one ticket per user, reads, cancel, rounds. */
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

static int group_setup(void **state)
{
	(void)state;
	return mm_fixture_open("store") == 0 ? 0 : -1;
}

static matchmaking_ticket_new_t solo_ticket(const char **user, double skill)
{
	static const matchmaking_criterion_t ranked[] = {{.name = "mode", .value = "ranked"}};
	return (matchmaking_ticket_new_t){.users = user, .n_users = 1, .host_uid = user[0], .criteria = ranked,
	                                  .n_criteria = 1, .skill = skill, .num_teams = 2, .team_min = 1,
	                                  .team_max = 1, .team_exact = true, .max_wait_ms = 60000};
}

/* Queues `in` on handle `h`, failing the test unless it answers `want`. */
static matchmaking_ticket_row_t *queue_on(axr_db_t *h, const matchmaking_ticket_new_t *in, int want)
{
	matchmaking_ticket_row_t *row = NULL;
	int rc = matchmaking_store_ticket_create(h, arena, in, &row);
	EXPECT_MSG(rc == want, "create -> %s, want %s (%s)", axr_errname(rc), axr_errname(want),
	           axr_db_last_error(h)->message);
	return row;
}

static void test_store_queues_a_ticket_and_reads_it_back(void **state)
{
	(void)state;
	const char *party[] = {"0A1B2C3D-0000-4000-8000-00000000000A", mm_new_user(), mm_new_user()};
	matchmaking_criterion_t criteria[] = {{.name = "region", .value = "eu"}, {.name = "mode", .value = "ranked \"x\""}};
	matchmaking_ticket_new_t in = {.users = party, .n_users = 3, .host_uid = party[1], .criteria = criteria,
	                               .n_criteria = 2, .skill = 1234.5, .has_latency = true, .latency = 42,
	                               .num_teams = 2, .team_min = 3, .team_max = 5, .max_wait_ms = 90000};
	matchmaking_ticket_row_t *t = queue_on(db, &in, 0);
	assert_non_null(t);
	assert_true(matchmaking__uuid_valid(t->uid));
	assert_int_equal(t->status, MATCHMAKING_QUEUED);
	assert_string_equal(matchmaking_status_name(t->status), "QUEUED");
	assert_int_equal(t->version, 0);
	assert_int_equal(t->n_users, 3);
	assert_string_equal(t->users[0], "0a1b2c3d-0000-4000-8000-00000000000a"); /* lower-cased */
	assert_string_equal(t->host_uid, party[1]);
	assert_int_equal(t->num_users, 3);
	assert_int_equal(t->n_criteria, 2);
	assert_string_equal(t->criteria[0].name, "mode"); /* sorted by name */
	assert_string_equal(t->criteria[0].value, "ranked \"x\"");
	assert_string_equal(t->criteria[1].name, "region");
	assert_true(t->skill == 1234.5);
	assert_true(t->has_latency && t->latency == 42);
	assert_int_equal(t->num_teams, 2);
	assert_int_equal(t->team_min, 3);
	assert_int_equal(t->team_max, 5);
	assert_false(t->team_exact);
	assert_null(t->match_uid);
	assert_null(t->date_closed);
	assert_int_equal(strlen(t->date_created), 24); /* 2024-01-02T03:04:05.678Z */
	EXPECT_MSG(strcmp(t->date_expires, t->date_created) > 0, "expires %s, created %s", t->date_expires,
	           t->date_created);

	matchmaking_ticket_row_t *got = NULL;
	assert_int_equal(matchmaking_store_ticket_get(db, arena, t->uid, party[2], &got), 0); /* a member */
	assert_string_equal(got->uid, t->uid);
	assert_string_equal(got->criteria[1].value, "eu");
	assert_int_equal(matchmaking_store_ticket_get(db, arena, t->uid, NULL, &got), 0); /* trusted */
	assert_int_equal(matchmaking_store_ticket_get(db, arena, t->uid, "0A1B2C3D-0000-4000-8000-00000000000A", &got),
	                 0); /* any case */
	assert_int_equal(matchmaking_store_ticket_get(db, arena, t->uid, mm_new_user(), &got), AXR_ENOTFOUND);
	assert_null(got);
	assert_int_equal(matchmaking_store_ticket_get(db, arena, mm_new_user(), NULL, &got), AXR_ENOTFOUND);
	assert_int_equal(matchmaking_store_ticket_get(db, arena, "x' OR 1=1 --", NULL, &got), AXR_ENOTFOUND);

	/* teamSize 5 stays an integer */
	const char *one[] = {mm_new_user()};
	matchmaking_ticket_new_t exact = solo_ticket(one, 10);
	exact.team_min = exact.team_max = 5;
	t = queue_on(db, &exact, 0);
	assert_true(t->team_exact);
	assert_int_equal(t->team_min, 5);
	assert_int_equal(t->team_max, 5);
	assert_false(t->has_latency);
}

static void test_store_rejects_invalid_tickets_and_writes_nothing(void **state)
{
	(void)state;
	const char *u[] = {mm_new_user(), mm_new_user()};
	const char *dup[] = {u[0], u[0]};
	const char *bad[] = {"not-a-uuid"};
	matchmaking_criterion_t twice[] = {{.name = "mode", .value = "a"}, {.name = "mode", .value = "b"}};
	matchmaking_criterion_t badname[] = {{.name = "mode with space", .value = "a"}};
	matchmaking_ticket_new_t in;
#define REJECT(mutation)                     \
	do {                                     \
		in = solo_ticket(u, 1000);           \
		mutation;                            \
		queue_on(db, &in, AXR_EINVAL);       \
	} while (0)
	REJECT(in.users = dup; in.n_users = 2; in.team_min = in.team_max = 2);
	REJECT(in.users = bad);
	REJECT(in.host_uid = "nope");
	REJECT(in.n_users = 0);
	REJECT(in.criteria = twice; in.n_criteria = 2);
	REJECT(in.criteria = badname);
	REJECT(in.n_users = 2; in.team_min = in.team_max = 1); /* party of 2, teams of 1 */
	REJECT(in.num_teams = 0);
	REJECT(in.num_teams = 65);
	REJECT(in.team_min = 3; in.team_max = 2);
	REJECT(in.team_max = 65);
	REJECT(in.team_exact = true; in.team_min = 1; in.team_max = 2);
	REJECT(in.num_teams = 64; in.team_min = in.team_max = 64); /* 4096 players > 256 */
	REJECT(in.skill = NAN);
	REJECT(in.skill = -1);
	REJECT(in.has_latency = true; in.latency = INFINITY);
	REJECT(in.max_wait_ms = 0);
#undef REJECT
	mm_expect_scalar(db, 0, "SELECT count(*) FROM ticket");
	mm_expect_scalar(db, 0, "SELECT count(*) FROM ticket_member");
}

static void test_store_allows_one_queued_ticket_per_user(void **state)
{
	(void)state;
	const char *a[] = {mm_new_user()};
	const char *b[] = {mm_new_user()};
	matchmaking_ticket_new_t in = solo_ticket(a, 1000);
	matchmaking_ticket_row_t *first = queue_on(db, &in, 0);
	queue_on(db, &in, AXR_EEXISTS);
	/* a party that includes `a` is refused too, and `b` gets nothing written */
	const char *party[] = {b[0], a[0]};
	matchmaking_ticket_new_t p = solo_ticket(party, 1000);
	p.n_users = 2;
	p.team_min = p.team_max = 2;
	queue_on(db, &p, AXR_EEXISTS);
	mm_expect_scalar(db, 1, "SELECT count(*) FROM ticket");
	mm_expect_scalar(db, 1, "SELECT count(*) FROM ticket_member");
	/* b alone may queue; after cancelling, a may queue again */
	matchmaking_ticket_new_t bin = solo_ticket(b, 1000);
	queue_on(db, &bin, 0);
	matchmaking_ticket_row_t *c = NULL;
	assert_int_equal(matchmaking_store_ticket_cancel(db, arena, first->uid, a[0], &c), 0);
	queue_on(db, &in, 0);
	mm_expect_scalar(db, 3, "SELECT count(*) FROM ticket");
	mm_expect_scalar(db, 2, "SELECT count(*) FROM ticket_member WHERE queued");
}

/* Eight connections queue the same user at the same moment. */
typedef struct racer {
	const char *url;
	const char *user;
	pthread_barrier_t *start;
	int rc;
} racer_t;

static void *race_queue(void *arg)
{
	racer_t *r = arg;
	axr_db_t *h = NULL;
	axr_arena_t *a = axr_arena_new(0);
	r->rc = axr_db_new(r->url, NULL, &h);
	if (r->rc == 0)
		r->rc = axr_db_connect(h);
	const char *users[] = {r->user};
	matchmaking_ticket_new_t in = solo_ticket(users, 1000);
	matchmaking_ticket_row_t *row = NULL;
	pthread_barrier_wait(r->start);
	if (r->rc == 0)
		r->rc = matchmaking_store_ticket_create(h, a, &in, &row);
	axr_db_free(h);
	axr_arena_free(a);
	return NULL;
}

static void test_store_one_queued_ticket_per_user_holds_under_concurrency(void **state)
{
	(void)state;
	enum { N = 8 };
	pthread_t th[N];
	racer_t r[N];
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, N);
	const char *user = mm_new_user();
	for (int i = 0; i < N; i++) {
		r[i] = (racer_t){.url = tdb.url, .user = user, .start = &start};
		assert_int_equal(pthread_create(&th[i], NULL, race_queue, &r[i]), 0);
	}
	int ok = 0, exists = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		ok += r[i].rc == 0;
		exists += r[i].rc == AXR_EEXISTS;
	}
	pthread_barrier_destroy(&start);
	EXPECT_MSG(ok == 1 && exists == N - 1, "%d created, %d refused with EEXISTS (of %d)", ok, exists, N);
	mm_expect_scalar(db, 1, "SELECT count(*) FROM ticket");
}

static void test_store_cancel_is_for_members_and_only_while_queued(void **state)
{
	(void)state;
	const char *a[] = {mm_new_user()};
	matchmaking_ticket_new_t in = solo_ticket(a, 1000);
	matchmaking_ticket_row_t *t = queue_on(db, &in, 0), *c = NULL;
	assert_int_equal(matchmaking_store_ticket_cancel(db, arena, t->uid, mm_new_user(), &c), AXR_ENOTFOUND);
	assert_null(c);
	assert_int_equal(matchmaking_store_ticket_cancel(db, arena, mm_new_user(), NULL, &c), AXR_ENOTFOUND);
	assert_int_equal(matchmaking_store_ticket_cancel(db, arena, "not-a-uuid", a[0], &c), AXR_ENOTFOUND);
	assert_null(c);
	assert_int_equal(matchmaking_store_ticket_cancel(db, arena, "not-a-uuid", NULL, &c), AXR_ENOTFOUND);
	assert_int_equal(matchmaking_store_ticket_cancel(db, arena, t->uid, a[0], &c), 0);
	assert_int_equal(c->status, MATCHMAKING_CANCELLED);
	assert_int_equal(c->version, 1);
	assert_non_null(c->date_closed);
	assert_true(c->cancelled_now);
	/* again: the same answer, nothing changes */
	assert_int_equal(matchmaking_store_ticket_cancel(db, arena, t->uid, a[0], &c), 0);
	assert_int_equal(c->status, MATCHMAKING_CANCELLED);
	assert_int_equal(c->version, 1);
	assert_false(c->cancelled_now);
	/* a matched ticket cannot be cancelled: 409 with its state */
	const char *b[] = {mm_new_user()}, *d[] = {mm_new_user()};
	matchmaking_ticket_new_t bin = solo_ticket(b, 1000), din = solo_ticket(d, 1000);
	matchmaking_ticket_row_t *tb = queue_on(db, &bin, 0);
	queue_on(db, &din, 0);
	matchmaking_round_options_t opt = {.batch = 100};
	matchmaking_matcher_config_init(&opt.matcher);
	matchmaking_round_t round;
	assert_int_equal(matchmaking_store_round(db, arena, &opt, &round), 0);
	assert_int_equal(round.n_matches, 1);
	assert_int_equal(matchmaking_store_ticket_cancel(db, arena, tb->uid, b[0], &c), AXR_ECONFLICT);
	assert_non_null(c);
	assert_int_equal(c->status, MATCHMAKING_MATCH_FOUND);
	assert_string_equal(c->match_uid, round.matches[0].match_uid);
	assert_false(c->cancelled_now);
}

static void test_store_reads_tickets_and_matches_back_by_uid(void **state)
{
	(void)state;
	const char *a[] = {mm_new_user()}, *b[] = {mm_new_user()}, *c[] = {mm_new_user()};
	matchmaking_ticket_new_t ain = solo_ticket(a, 1000), bin = solo_ticket(b, 1010), cin = solo_ticket(c, 5000);
	matchmaking_ticket_row_t *ta = queue_on(db, &ain, 0), *tb = queue_on(db, &bin, 0), *tc = queue_on(db, &cin, 0);
	matchmaking_round_options_t opt = {.batch = 100};
	matchmaking_matcher_config_init(&opt.matcher);
	matchmaking_round_t round;
	assert_int_equal(matchmaking_store_round(db, arena, &opt, &round), 0);
	assert_int_equal(round.n_matches, 1);
	const char *missing = mm_new_user();
	const char *uids[] = {ta->uid, tb->uid, tc->uid, missing};
	matchmaking_ticket_row_t **tickets = NULL;
	size_t n = 99;
	assert_int_equal(matchmaking_store_tickets_read(db, arena, uids, 4, &tickets, &n), 0);
	assert_int_equal(n, 3); /* the missing uid is simply absent */
	size_t found = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(tickets[i]->uid, tc->uid) == 0) {
			assert_int_equal(tickets[i]->status, MATCHMAKING_QUEUED);
			assert_null(tickets[i]->match_uid);
		} else {
			assert_int_equal(tickets[i]->status, MATCHMAKING_MATCH_FOUND);
			assert_string_equal(tickets[i]->match_uid, round.matches[0].match_uid);
			assert_int_equal(tickets[i]->version, 1);
		}
		found += strcmp(tickets[i]->uid, ta->uid) == 0 || strcmp(tickets[i]->uid, tb->uid) == 0 ||
		         strcmp(tickets[i]->uid, tc->uid) == 0;
	}
	assert_int_equal(found, 3);
	const char *match_uids[] = {round.matches[0].match_uid, missing};
	matchmaking_match_row_t **matches = NULL;
	assert_int_equal(matchmaking_store_matches_read(db, arena, match_uids, 2, &matches, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(matches[0]->uid, round.matches[0].match_uid);
	assert_int_equal(matches[0]->n_players, 2);
	assert_int_equal(matches[0]->n_teams, 2);
	/* nothing asked, nothing read; a uid that is not a uuid or too many are refused */
	assert_int_equal(matchmaking_store_tickets_read(db, arena, NULL, 0, &tickets, &n), 0);
	assert_int_equal(n, 0);
	const char *bad[] = {ta->uid, "1; DROP TABLE ticket"};
	assert_int_equal(matchmaking_store_tickets_read(db, arena, bad, 2, &tickets, &n), AXR_EINVAL);
	assert_int_equal(matchmaking_store_matches_read(db, arena, bad, MATCHMAKING_STORE_READ_MAX + 1, &matches, &n),
	                 AXR_EINVAL);
}

static void test_store_round_matches_mutual_tickets_and_expires_the_rest(void **state)
{
	(void)state;
	/* four 1v1 players near 1000, one at 2500 who expires after 300 ms */
	const char *u[5][1];
	matchmaking_ticket_row_t *t[5];
	for (int i = 0; i < 5; i++) {
		u[i][0] = mm_new_user();
		matchmaking_ticket_new_t in = solo_ticket(u[i], i < 4 ? 1000 + 10 * i : 2500);
		if (i == 4)
			in.max_wait_ms = 300;
		t[i] = queue_on(db, &in, 0);
	}
	/* other criteria never meet these */
	const char *other[] = {mm_new_user()};
	matchmaking_criterion_t casual[] = {{.name = "mode", .value = "casual"}};
	matchmaking_ticket_new_t oin = solo_ticket(other, 1000);
	oin.criteria = casual;
	queue_on(db, &oin, 0);

	matchmaking_round_options_t opt = {.batch = 100};
	matchmaking_matcher_config_init(&opt.matcher);
	matchmaking_round_t round;
	assert_int_equal(matchmaking_store_round(db, arena, &opt, &round), 0);
	assert_int_equal(round.n_queues, 2);
	assert_int_equal(round.claimed, 6);
	assert_int_equal(round.n_matches, 2);
	assert_int_equal(round.n_tickets, 4);
	assert_int_equal(round.skipped, 0);
	for (size_t i = 0; i < round.n_tickets; i++) {
		assert_int_equal(round.tickets[i].status, MATCHMAKING_MATCH_FOUND);
		assert_int_equal(round.tickets[i].version, 1);
		assert_int_equal(round.tickets[i].n_users, 1);
	}
	assert_int_equal(round.matches[0].n_players, 2);
	mm_expect_scalar(db, 4, "SELECT count(*) FROM ticket WHERE status = 'MATCH_FOUND' AND match_uid IS NOT NULL");
	mm_expect_scalar(db, 2, "SELECT count(*) FROM ticket_member WHERE queued");

	matchmaking_ticket_row_t *got = NULL;
	assert_int_equal(matchmaking_store_ticket_get(db, arena, t[0]->uid, u[0][0], &got), 0);
	assert_int_equal(got->status, MATCHMAKING_MATCH_FOUND);
	assert_non_null(got->match_uid);
	matchmaking_match_row_t *m = NULL;
	assert_int_equal(matchmaking_store_match_get(db, arena, got->match_uid, u[0][0], &m), 0);
	assert_int_equal(m->num_teams, 2);
	assert_int_equal(m->team_size, 1);
	assert_int_equal(m->n_teams, 2);
	assert_int_equal(m->n_tickets, 2);
	assert_int_equal(m->n_players, 2);
	EXPECT_MSG(strcmp(m->players[0], u[0][0]) == 0 || strcmp(m->players[1], u[0][0]) == 0,
	           "player %s missing from %s, %s", u[0][0], m->players[0], m->players[1]);
	assert_int_equal(m->n_criteria, 1);
	assert_string_equal(m->criteria[0].value, "ranked");
	assert_int_equal(m->teams[0].n_members, 1);
	assert_int_equal(m->teams[0].n_tickets, 1);
	EXPECT_MSG(m->skill_spread <= 10 && m->team_skill_diff == m->skill_spread, "spread %.1f, difference %.1f",
	           m->skill_spread, m->team_skill_diff);
	assert_false(m->has_max_latency);
	assert_int_equal(matchmaking_store_match_get(db, arena, got->match_uid, NULL, &m), 0);
	assert_int_equal(matchmaking_store_match_get(db, arena, got->match_uid, u[4][0], &m), AXR_ENOTFOUND);
	assert_int_equal(matchmaking_store_match_get(db, arena, t[0]->uid, NULL, &m), AXR_ENOTFOUND);

	axr_test_sleep_ms(350);
	assert_int_equal(matchmaking_store_round(db, arena, &opt, &round), 0);
	assert_int_equal(round.n_matches, 0);
	assert_int_equal(round.n_tickets, 1);
	assert_int_equal(round.tickets[0].status, MATCHMAKING_EXPIRED);
	assert_string_equal(round.tickets[0].ticket_uid, t[4]->uid);
	assert_null(round.tickets[0].match_uid);
	EXPECT_MSG(round.tickets[0].wait_s >= 0.3, "waited %.3f s", round.tickets[0].wait_s);
	assert_int_equal(matchmaking_store_ticket_get(db, arena, t[4]->uid, NULL, &got), 0);
	assert_int_equal(got->status, MATCHMAKING_EXPIRED);
	/* the player whose ticket expired may queue again */
	matchmaking_ticket_new_t again = solo_ticket(u[4], 2500);
	queue_on(db, &again, 0);
}

static axr_db_t *second_handle(void)
{
	axr_db_t *h = NULL;
	assert_int_equal(axr_db_new(tdb.url, NULL, &h), 0);
	return h;
}

static void test_store_round_skips_tickets_another_replica_holds(void **state)
{
	(void)state;
	const char *u[4][1];
	matchmaking_ticket_row_t *t[4];
	for (int i = 0; i < 4; i++) {
		u[i][0] = mm_new_user();
		matchmaking_ticket_new_t in = solo_ticket(u[i], 1000);
		t[i] = queue_on(db, &in, 0);
	}
	/* "replica 1" holds two tickets in an open transaction */
	axr_db_t *replica = second_handle();
	axr_test_sql(replica, "BEGIN");
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT uid FROM ticket WHERE uid IN ('%s', '%s') FOR UPDATE", t[0]->uid, t[1]->uid);
	axr_test_sql(replica, sql);
	matchmaking_round_options_t opt = {.batch = 100};
	matchmaking_matcher_config_init(&opt.matcher);
	matchmaking_round_t round;
	double t0 = axr_test_now_s();
	assert_int_equal(matchmaking_store_round(db, arena, &opt, &round), 0);
	double dt = axr_test_now_s() - t0;
	EXPECT_MSG(dt < 0.5, "the round waited %.3f s for locked rows", dt);
	assert_int_equal(round.claimed, 2); /* only the two free ones */
	assert_int_equal(round.n_matches, 1);
	for (size_t i = 0; i < round.n_tickets; i++)
		EXPECT_MSG(strcmp(round.tickets[i].ticket_uid, t[0]->uid) && strcmp(round.tickets[i].ticket_uid, t[1]->uid),
		           "ticket %s was held by the other replica", round.tickets[i].ticket_uid);
	axr_test_sql(replica, "COMMIT");
	assert_int_equal(matchmaking_store_round(db, arena, &opt, &round), 0);
	assert_int_equal(round.n_matches, 1);
	mm_expect_scalar(db, 0, "SELECT count(*) FROM ticket WHERE status = 'QUEUED'");
	axr_db_free(replica);
}

/* A cancel that arrives while the matcher holds the ticket. */
typedef struct canceller {
	const char *uid, *user;
	int rc;
	matchmaking_status_t status;
	double seconds;
} canceller_t;

static void *cancel_thread(void *arg)
{
	canceller_t *c = arg;
	axr_db_t *h = NULL;
	axr_arena_t *a = axr_arena_new(0);
	matchmaking_ticket_row_t *row = NULL;
	double t0 = axr_test_now_s();
	c->rc = axr_db_new(tdb.url, NULL, &h);
	if (c->rc == 0)
		c->rc = matchmaking_store_ticket_cancel(h, a, c->uid, c->user, &row);
	c->status = row ? row->status : MATCHMAKING_QUEUED;
	c->seconds = axr_test_now_s() - t0;
	axr_db_free(h);
	axr_arena_free(a);
	return NULL;
}

static void test_store_cancel_waiting_on_the_matcher_loses_cleanly(void **state)
{
	(void)state;
	const char *a[] = {mm_new_user()}, *b[] = {mm_new_user()};
	matchmaking_ticket_new_t ain = solo_ticket(a, 1000), bin = solo_ticket(b, 1000);
	matchmaking_ticket_row_t *ta = queue_on(db, &ain, 0), *tb = queue_on(db, &bin, 0);
	/* the matcher's transaction, step by step: claim, then (later) commit MATCH_FOUND */
	axr_db_t *matcher = second_handle();
	axr_test_sql(matcher, "BEGIN");
	axr_test_sql(matcher, "SELECT uid FROM ticket WHERE status = 'QUEUED' FOR UPDATE SKIP LOCKED");
	canceller_t c = {.uid = ta->uid, .user = a[0]};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, cancel_thread, &c), 0);
	axr_test_sleep_ms(200); /* the cancel now waits for the matcher's row lock */
	char sql[512];
	snprintf(sql, sizeof sql,
	         "WITH t AS (UPDATE ticket SET status = 'MATCH_FOUND', match_uid = gen_random_uuid(), version = version + 1"
	         " WHERE uid IN ('%s', '%s') AND status = 'QUEUED' RETURNING uid)"
	         " UPDATE ticket_member SET queued = false WHERE ticket_uid IN (SELECT uid FROM t)",
	         ta->uid, tb->uid);
	axr_test_sql(matcher, sql);
	axr_test_sql(matcher, "COMMIT");
	pthread_join(th, NULL);
	EXPECT_MSG(c.rc == AXR_ECONFLICT && c.status == MATCHMAKING_MATCH_FOUND,
	           "cancel during the match -> %s with status %s, want CONFLICT and MATCH_FOUND", axr_errname(c.rc),
	           matchmaking_status_name(c.status));
	EXPECT_MSG(c.seconds >= 0.15, "the cancel did not wait for the matcher (%.3f s)", c.seconds);
	mm_expect_scalar(db, 0, "SELECT count(*) FROM ticket WHERE status = 'CANCELLED'");

	/* the other order: the cancel commits first, the matcher's claim no longer sees the ticket */
	const char *d[] = {mm_new_user()}, *e[] = {mm_new_user()};
	matchmaking_ticket_new_t din = solo_ticket(d, 1000), ein = solo_ticket(e, 1000);
	matchmaking_ticket_row_t *td = queue_on(db, &din, 0), *row = NULL;
	queue_on(db, &ein, 0);
	axr_test_sql(matcher, "BEGIN");
	assert_int_equal(matchmaking_store_ticket_cancel(db, arena, td->uid, d[0], &row), 0);
	mm_expect_scalar(matcher, 1, "SELECT count(*) FROM ticket WHERE status = 'QUEUED'");
	axr_test_sql(matcher, "COMMIT");
	axr_db_free(matcher);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_store_queues_a_ticket_and_reads_it_back, mm_fixture_reset),
	    cmocka_unit_test_setup(test_store_rejects_invalid_tickets_and_writes_nothing, mm_fixture_reset),
	    cmocka_unit_test_setup(test_store_allows_one_queued_ticket_per_user, mm_fixture_reset),
	    cmocka_unit_test_setup(test_store_one_queued_ticket_per_user_holds_under_concurrency, mm_fixture_reset),
	    cmocka_unit_test_setup(test_store_cancel_is_for_members_and_only_while_queued, mm_fixture_reset),
	    cmocka_unit_test_setup(test_store_reads_tickets_and_matches_back_by_uid, mm_fixture_reset),
	    cmocka_unit_test_setup(test_store_round_matches_mutual_tickets_and_expires_the_rest, mm_fixture_reset),
	    cmocka_unit_test_setup(test_store_round_skips_tickets_another_replica_holds, mm_fixture_reset),
	    cmocka_unit_test_setup(test_store_cancel_waiting_on_the_matcher_loses_cleanly, mm_fixture_reset),
	};
	return cmocka_run_group_tests_name("matchmaking store", tests, group_setup, mm_fixture_close);
}
