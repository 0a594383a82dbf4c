/* achievement_fixture.h: a fresh database per test file with the achievement tables, callers and definitions for the achievement core tests. */
#ifndef AXR_TEST_ACHIEVEMENT_FIXTURE_H
#define AXR_TEST_ACHIEVEMENT_FIXTURE_H

#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "arena.h"
#include "db.h"
#include "err.h"
#include "migrate.h"
#include "tests/unit/fresh_db.h"

#include "achievement.h"

/*
 * The entity tables exactly as axrgen's DB mapping generates them from
 * spec/achievement.yaml (axr_migrate_schema_sql over the entities of
 * `axrgen generate`, when this was written). The hand-written tables come
 * from the real migration folder through runtime/migrate.h, as at start-up.
 */
static const char *const achv_entity_ddl[] = {
	"CREATE TABLE IF NOT EXISTS \"achievement_definition\" (\"uid\" uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
	" \"date_created\" timestamp with time zone NOT NULL DEFAULT now(), \"date_modified\" timestamp with time zone"
	" NOT NULL DEFAULT now(), \"version\" bigint NOT NULL DEFAULT 0, \"name\" text NOT NULL, \"title\" text,"
	" \"description\" text, \"badge\" text, \"target\" bigint DEFAULT 1, \"hidden\" boolean DEFAULT false,"
	" \"points\" bigint DEFAULT 0, \"data\" jsonb, \"trigger\" jsonb)",
	"CREATE UNIQUE INDEX IF NOT EXISTS \"achievement_definition_name_key\" ON \"achievement_definition\" (\"name\")",
	"CREATE TABLE IF NOT EXISTS \"user_achievement\" (\"uid\" uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
	" \"date_created\" timestamp with time zone NOT NULL DEFAULT now(), \"date_modified\" timestamp with time zone"
	" NOT NULL DEFAULT now(), \"version\" bigint NOT NULL DEFAULT 0, \"achievement_uid\" uuid NOT NULL,"
	" \"user_uid\" uuid NOT NULL, \"progress\" bigint NOT NULL DEFAULT 0, \"unlocked\" boolean NOT NULL DEFAULT false,"
	" \"date_unlocked\" timestamp with time zone)",
	"CREATE UNIQUE INDEX IF NOT EXISTS \"user_achievement_user_uid_achievement_uid_key\" ON \"user_achievement\""
	" (\"user_uid\", \"achievement_uid\")",
	"CREATE INDEX IF NOT EXISTS \"user_achievement_achievement_uid_idx\" ON \"user_achievement\" (\"achievement_uid\")",
	"CREATE INDEX IF NOT EXISTS \"user_achievement_user_uid_idx\" ON \"user_achievement\" (\"user_uid\")",
};

#define ACHV_ADMIN "adadadad-0000-4000-8000-000000000001"
#define ACHV_ALICE "a11ce000-0000-4000-8000-000000000002"
#define ACHV_BOB "b0b00000-0000-4000-8000-000000000003"

static const achievement_caller_t achv_admin = {.uid = ACHV_ADMIN, .trusted = true};
static const achievement_caller_t achv_alice = {.uid = ACHV_ALICE};
static const achievement_caller_t achv_bob = {.uid = ACHV_BOB};

typedef struct achv_fix {
	axr_test_db_t tdb;     /* our fresh database (tdb.url) */
	axr_db_t *db;
	axr_arena_t *arena;    /* per test */
} achv_fix_t;

static achv_fix_t F;

/* Asserts that `expr` returns `want`, printing both and the server's message. */
#define assert_rc(want, expr)                                                                          \
	do {                                                                                               \
		int rc_ = (expr);                                                                              \
		if (rc_ != (want))                                                                             \
			print_error("%s -> %s, want %s; db: %s\n", #expr, axr_errname(rc_), axr_errname(want),      \
			            F.db ? axr_db_last_error(F.db)->message : "");                                  \
		assert_int_equal(rc_, (want));                                                                 \
	} while (0)

/* A fresh database `axr_t_achv_<tag>_<pid>` with the entity tables and the
 * hand-written migrations; F.db connected to it. 0 or -1. */
static inline int achv_setup(const char *tag)
{
	axr_migrate_options_t mo = {.service = "achievement", .dir = "migrations/achievement"};
	axr_migrate_report_t report;
	int rc = 0;

	memset(&F, 0, sizeof F);
	if (axr_test_db_create(&F.tdb, "axr_t_achv", tag, NULL) != 0 || axr_db_new(F.tdb.url, NULL, &F.db) != 0)
		return -1;
	for (size_t i = 0; rc == 0 && i < sizeof achv_entity_ddl / sizeof achv_entity_ddl[0]; i++)
		rc = axr_db_exec(F.db, NULL, achv_entity_ddl[i], 0, NULL, NULL, NULL, NULL);
	if (rc == 0 && (rc = axr_migrate_url(F.tdb.url, &mo, &report)) != 0)
		fprintf(stderr, "migrations/achievement: %s: %s\n", axr_errname(rc), report.message);
	if (rc == 0 && report.files_applied != 1) {
		fprintf(stderr, "migrations/achievement: %d files applied, want 1\n", report.files_applied);
		rc = -1;
	}
	return rc == 0 ? 0 : -1;
}

static inline int achv_teardown(void)
{
	axr_db_free(F.db);
	axr_test_db_destroy(&F.tdb);
	memset(&F, 0, sizeof F);
	return 0;
}

#ifdef ACHV_TAG
static inline int achv_group_setup(void **state)
{
	(void)state;
	return achv_setup(ACHV_TAG);
}

static inline int achv_group_teardown(void **state)
{
	(void)state;
	return achv_teardown();
}

#define ACHV_RUN(tests) cmocka_run_group_tests_name("achievement_" ACHV_TAG, tests, achv_group_setup, achv_group_teardown)
#endif

/* Per test: empty tables and a fresh arena. */
static inline int achv_test_setup(void **state)
{
	(void)state;
	F.arena = axr_arena_new(0);
	return F.arena && axr_db_exec(F.db, NULL,
	                              "WITH a AS (DELETE FROM achievement_definition), b AS (DELETE FROM user_achievement),"
	                              " c AS (DELETE FROM achievement_idempotency), d AS (DELETE FROM achievement_event_seen)"
	                              " SELECT 1",
	                              0, NULL, NULL, NULL, NULL) == 0
	           ? 0
	           : -1;
}

static inline int achv_test_teardown(void **state)
{
	(void)state;
	axr_arena_free(F.arena);
	F.arena = NULL;
	return 0;
}

#define ACHV_TEST(fn) cmocka_unit_test_setup_teardown(fn, achv_test_setup, achv_test_teardown)

/* Fails the test with the server's message unless `sql` runs. */
static inline void achv_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void achv_sql(const char *fmt, ...)
{
	char sql[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	int rc = axr_db_exec(F.db, NULL, sql, 0, NULL, NULL, NULL, NULL);
	if (rc != 0)
		print_error("%s -> %s: %s\n", sql, axr_errname(rc), axr_db_last_error(F.db)->message);
	assert_int_equal(rc, 0);
}

/* One int64 from a query (-999 when it fails or is NULL). */
static inline int64_t achv_scalar(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int64_t achv_scalar(const char *fmt, ...)
{
	char sql[2048];
	va_list ap;
	axr_db_result_t *r = NULL;
	int64_t v = -999;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	if (axr_db_exec(F.db, NULL, sql, 0, NULL, NULL, NULL, &r) == 0)
		axr_db_result_int64(r, 0, 0, &v);
	else
		fprintf(stderr, "%s: %s\n", sql, axr_db_last_error(F.db)->message);
	axr_db_result_free(r);
	return v;
}

/* Defines an achievement as POST /achievements would store it. `trigger` is
 * JSON or NULL; returns its uid (static storage per call site is not
 * needed: the uid is derived from `n`). */
static inline const char *achv_define(unsigned n, const char *name, int64_t target, bool hidden, const char *trigger)
{
	static char uids[64][37];
	char *uid = uids[n % 64];
	snprintf(uid, 37, "dddddddd-0000-4000-8000-%012x", n);
	achv_sql("INSERT INTO achievement_definition (uid, date_created, date_modified, version, name, title, target,"
	         " hidden, points, \"trigger\") VALUES ('%s', now(), now(), 0, '%s', 'Title of %s', %" PRId64
	         ", %s, 10, %s%s%s)",
	         uid, name, name, target, hidden ? "true" : "false", trigger ? "'" : "", trigger ? trigger : "NULL",
	         trigger ? "'" : "");
	return uid;
}

/* Progress of `user` on definition `uid` (-1 when there is no record). */
static inline int64_t achv_progress_of(const char *user, const char *uid)
{
	return achv_scalar("SELECT COALESCE((SELECT progress FROM user_achievement WHERE user_uid = '%s'"
	                   " AND achievement_uid = '%s'), -1)",
	                   user, uid);
}

/* ---- concurrency -------------------------------------------------------------- */

/* One call of a race: thread `i` with its own connection and arena; it
 * records what it needs in ctx (the arena dies with the thread) and returns
 * an axr code. */
typedef int (*achv_race_fn)(axr_db_t *db, axr_arena_t *arena, int i, void *ctx);

typedef struct achv_racer {
	achv_race_fn fn;
	void *ctx;
	int i;
	pthread_barrier_t *start;
	int rc;
} achv_racer_t;

static inline void *achv_racer_run(void *arg)
{
	achv_racer_t *r = arg;
	axr_db_t *db = NULL;
	axr_arena_t *arena = axr_arena_new(0);

	r->rc = arena ? axr_db_new(F.tdb.url, NULL, &db) : AXR_ENOMEM;
	if (r->rc == 0)
		r->rc = axr_db_connect(db); /* connected before the start line */
	pthread_barrier_wait(r->start);
	if (r->rc == 0)
		r->rc = r->fn(db, arena, r->i, r->ctx);
	axr_db_free(db);
	axr_arena_free(arena);
	return NULL;
}

/* Runs fn on `n` (<= 128) threads released at the same moment; fails the
 * test when a call does not return 0. */
static inline void achv_race(int n, achv_race_fn fn, void *ctx)
{
	pthread_t th[128];
	achv_racer_t r[128];
	pthread_barrier_t start;

	assert_true(n > 0 && n <= 128);
	assert_int_equal(pthread_barrier_init(&start, NULL, (unsigned)n), 0);
	for (int i = 0; i < n; i++) {
		r[i] = (achv_racer_t){.fn = fn, .ctx = ctx, .i = i, .start = &start};
		assert_int_equal(pthread_create(&th[i], NULL, achv_racer_run, &r[i]), 0);
	}
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < n; i++) {
		if (r[i].rc != 0)
			print_error("racer %d: %s\n", i, axr_errname(r[i].rc));
		assert_int_equal(r[i].rc, 0);
	}
}

#endif
