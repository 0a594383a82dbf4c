/* mm_test_db.h: a fresh PostgreSQL database per matchmaking test file, its fixture, and small query helpers. */
#ifndef AXR_TEST_MM_TEST_DB_H
#define AXR_TEST_MM_TEST_DB_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Include after <cmocka.h>. */

#include "arena.h"
#include "db.h"
#include "err.h"
#include "store.h"
#include "store_internal.h"
#include "tests/unit/stack_helper.h"

/*
 * The server is tests/run's (AXR_TEST_DATABASE_URL) or a private one started
 * through scripts/stack.sh; the database is ours alone, named after the file
 * and the pid, created with the matchmaking schema and dropped at the end.
 */
typedef struct mm_test_db {
	axr_test_server_t own;
	const char *admin_url;
	char name[64];
	char url[512];
} mm_test_db_t;

static inline int mm_admin_exec(const char *url, const char *sql)
{
	axr_db_t *db = NULL;
	int rc = axr_db_new(url, NULL, &db);
	if (rc == 0)
		rc = axr_db_exec(db, NULL, sql, 0, NULL, NULL, NULL, NULL);
	if (rc != 0)
		fprintf(stderr, "%s: %s\n", sql, db ? axr_db_last_error(db)->message : axr_strerror(rc));
	axr_db_free(db);
	return rc;
}

/* Creates database axr_mm_<tag>_<pid> with the schema; 0 or -1. */
static inline int mm_test_db_create(mm_test_db_t *d, const char *tag)
{
	char sql[200];
	memset(d, 0, sizeof *d);
	if (!(d->admin_url = axr_test_shared_url("AXR_TEST_DATABASE_URL", &d->own, true)))
		return -1;
	snprintf(d->name, sizeof d->name, "axr_mm_%s_%ld", tag, (long)getpid());
	const char *scheme = strstr(d->admin_url, "://");
	const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
	const char *query = scheme ? strchr(scheme + 3, '?') : NULL;
	if (!scheme) /* key=value form: the later dbname wins */
		snprintf(d->url, sizeof d->url, "%s dbname=%s", d->admin_url, d->name);
	else if (!slash || (query && slash > query))
		snprintf(d->url, sizeof d->url, "%.*s/%s%s", (int)((query ? query : d->admin_url + strlen(d->admin_url)) - d->admin_url),
		         d->admin_url, d->name, query ? query : "");
	else
		snprintf(d->url, sizeof d->url, "%.*s/%s%s", (int)(slash - d->admin_url), d->admin_url, d->name,
		         query ? query : "");
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", d->name);
	if (mm_admin_exec(d->admin_url, sql) != 0)
		return -1;
	snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8'", d->name);
	if (mm_admin_exec(d->admin_url, sql) != 0)
		return -1;
	axr_db_t *db = NULL;
	int rc = axr_db_new(d->url, NULL, &db);
	if (rc == 0)
		rc = matchmaking_store_migrate(db);
	if (rc == 0)
		rc = matchmaking_store_migrate(db); /* a second start changes nothing */
	if (rc != 0)
		fprintf(stderr, "migrate: %s %s\n", axr_errname(rc), db ? axr_db_last_error(db)->message : "");
	axr_db_free(db);
	return rc == 0 ? 0 : -1;
}

static inline void mm_test_db_destroy(mm_test_db_t *d)
{
	char sql[160];
	if (d->admin_url && d->name[0]) {
		snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", d->name);
		mm_admin_exec(d->admin_url, sql);
	}
	axr_test_server_destroy(&d->own);
	memset(d, 0, sizeof *d);
}

/* Runs `sql`; fails the test with the server's message. */
#define mm_sql(db, sql)                                                                              \
	do {                                                                                             \
		int rc_ = axr_db_exec((db), NULL, (sql), 0, NULL, NULL, NULL, NULL);                         \
		if (rc_ != 0)                                                                                \
			print_error("%s -> %s: %s\n", (sql), axr_errname(rc_), axr_db_last_error(db)->message); \
		assert_int_equal(rc_, 0);                                                                    \
	} while (0)

/* One int64 from a query (-1 and a message on stderr when it fails). */
static inline int64_t mm_scalar(axr_db_t *db, const char *sql)
{
	axr_db_result_t *r = NULL;
	int64_t v = -1;
	if (axr_db_exec(db, NULL, sql, 0, NULL, NULL, NULL, &r) == 0)
		axr_db_result_int64(r, 0, 0, &v);
	else
		fprintf(stderr, "%s: %s\n", sql, axr_db_last_error(db)->message);
	axr_db_result_free(r);
	return v;
}

/* Asserts that query `sql` answers `want`, printing both and the query otherwise. */
#define mm_expect_scalar(db, want, sql)                                                        \
	do {                                                                                       \
		int64_t got_ = mm_scalar((db), (sql));                                                 \
		if (got_ != (int64_t)(want))                                                           \
			print_error("%s\n  -> %lld, want %lld\n", (sql), (long long)got_, (long long)(want)); \
		assert_int_equal(got_, (want));                                                        \
	} while (0)

/*
 * The fixture of a test file: its database, a handle on it for the test
 * thread, and an arena reset before every test.
 */
static mm_test_db_t tdb;
static axr_db_t *db;
static axr_arena_t *arena;

/* Group setup: the database named after `tag`. 0 or -1. */
static inline int mm_fixture_open(const char *tag)
{
	if (mm_test_db_create(&tdb, tag) != 0)
		return -1;
	arena = axr_arena_new(0);
	return arena && axr_db_new(tdb.url, NULL, &db) == 0 ? 0 : -1;
}

static inline int mm_fixture_close(void **state)
{
	(void)state;
	axr_db_free(db);
	axr_arena_free(arena);
	mm_test_db_destroy(&tdb);
	return 0;
}

/* Per-test setup: empty tables, empty arena. */
static inline int mm_fixture_reset(void **state)
{
	(void)state;
	axr_arena_reset(arena);
	return axr_db_exec(db, NULL, "TRUNCATE ticket, ticket_member, match", 0, NULL, NULL, NULL, NULL);
}

/* A fresh user uid (in the arena). */
static inline const char *mm_new_user(void)
{
	char uid[37];
	assert_int_equal(matchmaking__uuid_v4(uid), 0);
	return axr_arena_strdup(arena, uid);
}

#endif
