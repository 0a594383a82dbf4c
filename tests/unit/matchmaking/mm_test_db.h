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
#include "tests/unit/fresh_db.h"

/* A database of the file's own (tests/unit/fresh_db.h) with the matchmaking
 * schema, migrated twice: a second start changes nothing. 0 or -1. */
static inline int mm_test_db_create(axr_test_db_t *d, const char *tag)
{
	axr_db_t *mdb = NULL;
	if (axr_test_db_create(d, "axr_mm", tag, NULL) != 0)
		return -1;
	int rc = axr_db_new(d->url, NULL, &mdb);
	if (rc == 0)
		rc = matchmaking_store_migrate(mdb);
	if (rc == 0)
		rc = matchmaking_store_migrate(mdb);
	if (rc != 0)
		fprintf(stderr, "migrate: %s %s\n", axr_errname(rc), mdb ? axr_db_last_error(mdb)->message : "");
	axr_db_free(mdb);
	return rc == 0 ? 0 : -1;
}

/* Asserts that query `sql` answers `want`, printing both and the query otherwise. */
#define mm_expect_scalar(db, want, sql)                                                        \
	do {                                                                                       \
		int64_t got_ = axr_test_db_scalar((db), (sql));                                                 \
		if (got_ != (int64_t)(want))                                                           \
			print_error("%s\n  -> %lld, want %lld\n", (sql), (long long)got_, (long long)(want)); \
		assert_int_equal(got_, (want));                                                        \
	} while (0)

/*
 * The fixture of a test file: its database, a handle on it for the test
 * thread, and an arena reset before every test.
 */
static axr_test_db_t tdb;
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
	axr_test_db_destroy(&tdb);
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
