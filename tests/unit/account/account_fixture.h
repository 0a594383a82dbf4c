/* account_fixture.h: a private database, an account context with an injected clock, and token checks for the account core tests. */
#ifndef AXR_TEST_ACCOUNT_FIXTURE_H
#define AXR_TEST_ACCOUNT_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "arena.h"
#include "db.h"
#include "err.h"
#include "jwks.h"
#include "jwt.h"
#include "tests/unit/fresh_db.h"

#include "account.h"
#include "account_entities.h"
#include "migrate.h"

#define ACCT_KEYS "tests/fixtures/keys/"
#define ACCT_T0 (INT64_C(1735689600) * 1000000) /* 2025-01-01T00:00:00Z */

typedef struct acct_fix {
	axr_test_db_t tdb;      /* our fresh database (tdb.url) */
	axr_db_t *db;
	account_config_t cfg;
	account_t *acc;         /* cheap KDF (t=1, 64 KiB): behaviour, not cost */
	int64_t now;            /* the injected clock, microseconds */
	axr_jwt_verifier_t *verifier; /* built from the JWKS the service serves */
	axr_arena_t *arena;     /* per test */
} acct_fix_t;

static acct_fix_t F;

/* Asserts that `expr` returns `want`, printing the handle's last error. */
#define assert_rc(want, expr)                                                                       \
	do {                                                                                            \
		int rc_ = (expr);                                                                           \
		if (rc_ != (want))                                                                          \
			print_error("%s -> %s, want %s; db: [%s] %s\n", #expr, axr_errname(rc_), axr_errname(want), \
			            F.db ? axr_db_last_error(F.db)->sqlstate : "",                                \
			            F.db ? axr_db_last_error(F.db)->message : "");                                \
		assert_int_equal(rc_, (want));                                                              \
	} while (0)

static inline int64_t acct_clock(void *ctx)
{
	return *(const volatile int64_t *)ctx;
}

/* The service's start-up migration on the database at `url`, as its generated
 * main runs it: migrations/account/ (the hand-written tables), then the
 * entity tables "user" and "role" of spec/account.yaml. */
static inline int acct_migrate(const char *url)
{
	axr_migrate_options_t mo = {.service = "account", .entities = account_entities,
	                            .n_entities = ACCOUNT_ENTITY_COUNT, .lock_wait_ms = 10000};
	axr_migrate_report_t report;
	int rc = axr_migrate_url(url, &mo, &report);
	if (rc != 0)
		fprintf(stderr, "migrate: %s: %s\n", axr_errname(rc), report.message);
	return rc;
}

/* A context on the fixture's clock with these KDF limits. */
static inline account_t *acct_new_context(long opslimit, long memlimit)
{
	account_config_t c = F.cfg;
	account_t *acc = NULL;
	c.pwhash_opslimit = opslimit;
	c.pwhash_memlimit = memlimit;
	if (account_new(&c, &acc) != 0)
		return NULL;
	account_set_clock(acc, acct_clock, &F.now);
	return acc;
}

/* Group set-up: a fresh database named after `tag`, the schema, a context. */
static inline int acct_setup(const char *tag)
{
	char err[256];

	memset(&F, 0, sizeof F);
	F.now = ACCT_T0;
	if (axr_test_db_create(&F.tdb, "axr_t_acct", tag, NULL) != 0 || acct_migrate(F.tdb.url) != 0 ||
	    axr_db_new(F.tdb.url, NULL, &F.db) != 0 || account_schema_ensure(F.db) != 0)
		return -1;
	if (account_config_load(&F.cfg, err, sizeof err) != 0) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	F.cfg.jwt_private_key = ACCT_KEYS "test-only-rs256-private.pem";
	F.cfg.jwt_kid = "rsa-1";
	F.cfg.issuer = "axr-test";
	F.cfg.audience = "axr-test-aud";
	if (!(F.acc = acct_new_context(1, 64 * 1024)))
		return -1;
	axr_jwks_t *keys = NULL;
	size_t len = 0;
	const char *jwks = account_jwks(F.acc, &len);
	axr_jwt_verifier_config_t vc;
	axr_jwt_verifier_config_init(&vc);
	vc.alg = AXR_JWT_RS256;
	vc.issuer = F.cfg.issuer;
	vc.audience = F.cfg.audience;
	vc.require_kid = 1;
	int rc = axr_jwks_parse(jwks, len, &keys);
	if (rc == 0) {
		vc.keys = keys;
		rc = axr_jwt_verifier_new(&vc, &F.verifier);
	}
	axr_jwks_free(keys);
	return rc == 0 ? 0 : -1;
}

static inline int acct_teardown(void)
{
	axr_jwt_verifier_free(F.verifier);
	account_free(F.acc);
	axr_db_free(F.db);
	axr_test_db_destroy(&F.tdb);
	memset(&F, 0, sizeof F);
	return 0;
}

/* Group set-up and tear-down for cmocka: a test file defines ACCT_TAG
 * (its database's name part) before including this header. */
#ifdef ACCT_TAG
static inline int acct_group_setup(void **state)
{
	(void)state;
	return acct_setup(ACCT_TAG);
}

static inline int acct_group_teardown(void **state)
{
	(void)state;
	return acct_teardown();
}

#define ACCT_RUN(tests) cmocka_run_group_tests_name("account_" ACCT_TAG, tests, acct_group_setup, acct_group_teardown)
#endif

/* Per test: empty tables, clock back at T0, a fresh arena. */
static inline int acct_test_setup(void **state)
{
	(void)state;
	F.now = ACCT_T0;
	F.arena = axr_arena_new(0);
	/* DELETE, not TRUNCATE: a few rows go much faster than new files. */
	return F.arena && axr_db_exec(F.db, NULL,
	                              "WITH a AS (DELETE FROM \"user\"), b AS (DELETE FROM \"role\"),"
	                              " c AS (DELETE FROM account_password), d AS (DELETE FROM account_device),"
	                              " e AS (DELETE FROM account_refresh_family), f AS (DELETE FROM account_refresh_token),"
	                              " g AS (DELETE FROM account_login_attempt) SELECT 1",
	                              0, NULL, NULL, NULL, NULL) == 0
	           ? 0
	           : -1;
}

static inline int acct_test_teardown(void **state)
{
	(void)state;
	axr_arena_free(F.arena);
	F.arena = NULL;
	return 0;
}

#define ACCT_TEST(fn) cmocka_unit_test_setup_teardown(fn, acct_test_setup, acct_test_teardown)

/* One int64 from a query on the fixture's database (-1 on error). */
static inline int64_t acct_scalar(const char *sql)
{
	axr_db_result_t *r = NULL;
	int64_t v = -1;
	if (axr_db_exec(F.db, NULL, sql, 0, NULL, NULL, NULL, &r) == 0)
		axr_db_result_int64(r, 0, 0, &v);
	else
		fprintf(stderr, "%s: %s\n", sql, axr_db_last_error(F.db)->message);
	axr_db_result_free(r);
	return v;
}

/* Registers name/email/password; fails the test otherwise. */
static inline account_session_t acct_register(const char *name, const char *email, const char *password)
{
	account_session_t s;
	account_problem_t p = {0};
	account_registration_t reg = {.name = name, .email = email, .password = password};
	assert_rc(0, account_user_register(F.acc, F.db, &reg, F.arena, &s, &p));
	return s;
}

/* Verifies `token` at the fixture's clock and checks sub/profile. */
static inline void acct_assert_token(const char *token, const account_user_t *u)
{
	axr_jwt_claims_t claims;
	const char *reason = NULL;
	int rc = axr_jwt_verify_at(F.verifier, token, strlen(token), F.now / 1000000, F.arena, &claims, &reason);
	if (rc != 0)
		print_error("token refused: %s\n", reason ? reason : "?");
	assert_int_equal(rc, 0);
	assert_string_equal(claims.sub, u->uid);
	assert_string_equal(claims.profile.uid, u->uid);
	assert_string_equal(claims.profile.name, u->name);
	assert_int_equal(claims.profile.nroles, u->nroles);
	for (size_t i = 0; i < u->nroles; i++)
		assert_string_equal(claims.profile.roles[i], u->roles[i]);
	assert_non_null(claims.jti);
	assert_int_equal(claims.iat, F.now / 1000000);
	assert_int_equal(claims.exp - claims.iat, F.cfg.access_ttl_ms / 1000);
}

#endif
