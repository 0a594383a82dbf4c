/* economy_fixture.h: a private database with the economy's tables, callers, resources and balances for the economy tests. */
#ifndef AXR_TEST_ECONOMY_FIXTURE_H
#define AXR_TEST_ECONOMY_FIXTURE_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "err.h"
#include "ledger.h"
#include "ledger_schema.h"
#include "migrate.h"
#include "tests/unit/fresh_db.h"
#include "transaction.h"

/*
 * The entity tables exactly as axrgen's DB mapping generates them from
 * spec/economy.yaml (axr_migrate_schema_sql over the entities of `axrgen
 * generate`, when this was written); the hand-written tables come from the
 * real migration folder (migrations/economy) through runtime/migrate.h, as at
 * start-up. economy_schema_check() pins the columns the ledger relies on.
 */
static const char *const econ_entity_ddl[] = {
	"CREATE TABLE IF NOT EXISTS \"inventory_item\" (\"uid\" uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
	" \"date_created\" timestamp with time zone NOT NULL DEFAULT now(), \"date_modified\" timestamp with time zone"
	" NOT NULL DEFAULT now(), \"version\" bigint NOT NULL DEFAULT 0, \"owner_uid\" uuid NOT NULL, \"resource_uid\""
	" uuid NOT NULL, \"quantity\" bigint NOT NULL DEFAULT 0 CONSTRAINT \"inventory_item_quantity_check\""
	" CHECK (\"quantity\" >= 0), \"data\" jsonb)",
	"CREATE UNIQUE INDEX IF NOT EXISTS \"inventory_item_owner_uid_resource_uid_key\" ON \"inventory_item\""
	" (\"owner_uid\", \"resource_uid\")",
	"CREATE INDEX IF NOT EXISTS \"inventory_item_owner_uid_idx\" ON \"inventory_item\" (\"owner_uid\")",
	"CREATE INDEX IF NOT EXISTS \"inventory_item_resource_uid_idx\" ON \"inventory_item\" (\"resource_uid\")",
	"CREATE TABLE IF NOT EXISTS \"resource\" (\"uid\" uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
	" \"date_created\" timestamp with time zone NOT NULL DEFAULT now(), \"date_modified\" timestamp with time zone"
	" NOT NULL DEFAULT now(), \"version\" bigint NOT NULL DEFAULT 0, \"name\" text NOT NULL, \"title\" text,"
	" \"description\" text, \"kind\" text DEFAULT 'CURRENCY', \"stackable\" boolean DEFAULT true,"
	" \"max_quantity\" bigint, \"cost\" jsonb, \"data\" jsonb)",
	"CREATE UNIQUE INDEX IF NOT EXISTS \"resource_name_key\" ON \"resource\" (\"name\")",
	"CREATE TABLE IF NOT EXISTS \"transaction\" (\"uid\" uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
	" \"date_created\" timestamp with time zone NOT NULL DEFAULT now(), \"date_modified\" timestamp with time zone"
	" NOT NULL DEFAULT now(), \"version\" bigint NOT NULL DEFAULT 0, \"kind\" text, \"from\" uuid, \"to\" uuid,"
	" \"resources\" jsonb NOT NULL, \"status\" text, \"approval\" jsonb, \"failure_code\" text,"
	" \"failure_reason\" text, \"created_by\" uuid)",
	"CREATE INDEX IF NOT EXISTS \"transaction_from_idx\" ON \"transaction\" (\"from\")",
	"CREATE INDEX IF NOT EXISTS \"transaction_to_idx\" ON \"transaction\" (\"to\")",
};

#define ECON_ADMIN "adadadad-0000-4000-8000-000000000001"

/* A fresh database `axr_t_<tag>_<pid>` (tests/unit/fresh_db.h) with the entity
 * tables and migrations/economy. 0 or -1. */
static inline int econ_db_create(axr_test_db_t *d, const char *tag)
{
	axr_migrate_options_t mo = {.service = "economy", .dir = "migrations/economy"};
	axr_migrate_report_t report;
	axr_db_t *db = NULL;
	int rc;

	if (axr_test_db_create(d, "axr_t", tag, NULL) != 0)
		return -1;
	rc = axr_db_new(d->url, NULL, &db);
	for (size_t i = 0; rc == 0 && i < sizeof econ_entity_ddl / sizeof econ_entity_ddl[0]; i++)
		rc = axr_db_exec(db, NULL, econ_entity_ddl[i], 0, NULL, NULL, NULL, NULL);
	if (rc != 0)
		fprintf(stderr, "entity tables: %s\n", db ? axr_db_last_error(db)->message : axr_strerror(rc));
	axr_db_free(db);
	if (rc == 0 && (rc = axr_migrate_url(d->url, &mo, &report)) != 0)
		fprintf(stderr, "migrations/economy: %s: %s\n", axr_errname(rc), report.message);
	if (rc == 0 && report.files_applied != 1) {
		fprintf(stderr, "migrations/economy: %d files applied, want 1\n", report.files_applied);
		rc = -1;
	}
	return rc == 0 ? 0 : -1;
}

/* Fails the test with the server's message unless `sql` runs. */
#define econ_sql(db, text)                                                                               \
	do {                                                                                                 \
		int rc_ = axr_db_exec((db), NULL, (text), 0, NULL, NULL, NULL, NULL);                            \
		if (rc_ != 0)                                                                                    \
			print_error("%s -> %s: %s\n", (text), axr_errname(rc_), axr_db_last_error(db)->message);     \
		assert_int_equal(rc_, 0);                                                                        \
	} while (0)

/* One int64 from a query (-999 when it fails or is NULL). */
static inline int64_t econ_scalar(axr_db_t *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int64_t econ_scalar(axr_db_t *db, const char *fmt, ...)
{
	char sql[2048];
	va_list ap;
	axr_db_result_t *r = NULL;
	int64_t v = -999;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	if (axr_db_exec(db, NULL, sql, 0, NULL, NULL, NULL, &r) == 0)
		axr_db_result_int64(r, 0, 0, &v);
	else
		fprintf(stderr, "%s: %s\n", sql, axr_db_last_error(db)->message);
	axr_db_result_free(r);
	return v;
}

/* The balance of (owner, resource); 0 when there is no row. */
static inline int64_t econ_balance(axr_db_t *db, const char *owner, const char *resource)
{
	return econ_scalar(db,
	                   "SELECT COALESCE((SELECT quantity FROM inventory_item WHERE owner_uid = '%s'"
	                   " AND resource_uid = '%s'), 0)",
	                   owner, resource);
}

/* Defines a resource (what POST /resources would write). `cost` is JSON or NULL. */
static inline void econ_resource(axr_db_t *db, const char *uid, const char *name, bool stackable, int64_t max_q,
                                 const char *cost)
{
	char sql[1024], maxq[24] = "NULL";
	if (max_q > 0)
		snprintf(maxq, sizeof maxq, "%" PRId64, max_q);
	snprintf(sql, sizeof sql,
	         "INSERT INTO resource (uid, date_created, date_modified, version, name, kind, stackable, max_quantity,"
	         " cost) VALUES ('%s', now(), now(), 0, '%s', 'CURRENCY', %s, %s, %s%s%s)",
	         uid, name, stackable ? "true" : "false", maxq, cost ? "'" : "", cost ? cost : "NULL", cost ? "'" : "");
	econ_sql(db, sql);
}

/* Asserts a call's code, printing the answer's problem when it differs. */
#define econ_expect(want, call, ans)                                                                \
	do {                                                                                            \
		int rc_ = (call);                                                                           \
		if (rc_ != (want))                                                                          \
			print_error("%s -> %s, want %s (code %s, path '%s': %s)\n", #call, axr_errname(rc_),     \
			            axr_errname(want), (ans)->code ? (ans)->code : "-", (ans)->problem.path,    \
			            (ans)->problem.message);                                                    \
		assert_int_equal(rc_, (want));                                                              \
	} while (0)

/* An admin's mint of `qty` to `to`, executed at once. */
static inline void econ_mint(axr_db_t *db, axr_arena_t *a, const char *to, const char *resource, int64_t qty)
{
	economy_caller_t admin = {.uid = ECON_ADMIN, .trusted = true};
	economy_line_t line = {.resource_uid = resource, .quantity = qty};
	economy_create_t in = {.to = to, .lines = &line, .n_lines = 1,
	                       .approval = {.has_from = true, .from = true, .has_to = true, .to = true}};
	economy_answer_t ans;
	econ_expect(0, economy_tx_create(db, a, &admin, &in, &ans), &ans);
	assert_int_equal(ans.status, 201);
	assert_string_equal(economy_status_name(ans.tx.status), "COMPLETE");
}

/* `base` with its last 12 hex digits replaced by n: uids for numbered owners. */
static inline void econ_uid(char out[ECONOMY_UID_SIZE], const char *base, unsigned n)
{
	snprintf(out, ECONOMY_UID_SIZE, "%.24s%012x", base, n);
}

/* ---- the suite: one database per test file ------------------------------------ */

/* Each test file is its own program: these are its suite's database, the
 * connection and arena the tests share, and a counter that gives every test
 * owners and resources of its own. */
static axr_test_db_t econ_suite_db;
static axr_db_t *db;
static axr_arena_t *arena;
static unsigned econ_next_id = 1;
static const economy_caller_t admin = {.uid = ECON_ADMIN, .trusted = true};

/* A uid no other test uses, from `base` (24 characters "xxxxxxxx-xxxx-4xxx-8xxx-"). */
static inline const char *econ_fresh(const char *base)
{
	char uid[ECONOMY_UID_SIZE];
	econ_uid(uid, base, econ_next_id++);
	return axr_arena_strdup(arena, uid);
}

/* cmocka group setup: a fresh database named after `tag`. */
static inline int econ_suite_setup(const char *tag)
{
	if (econ_db_create(&econ_suite_db, tag) != 0)
		return -1;
	arena = axr_arena_new(0);
	return arena != NULL && axr_db_new(econ_suite_db.url, NULL, &db) == 0 ? 0 : -1;
}

static inline int econ_suite_teardown(void **state)
{
	(void)state;
	axr_db_free(db);
	axr_arena_free(arena);
	axr_test_db_destroy(&econ_suite_db);
	return 0;
}

#endif
