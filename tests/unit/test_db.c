/* test_db.c: the libpq layer (runtime/db.c) against real PostgreSQL servers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "db.h"
#include "err.h"
#include "metrics.h"
#include "stack_helper.h"

static const char *shared_url;        /* AXR_TEST_DATABASE_URL or our own server */
static axr_test_server_t own_shared;  /* started when the variable is unset */

/* Asserts `expr` returns `want`, printing the handle's last error if not. */
#define assert_db(db, want, expr)                                                            \
	do {                                                                                     \
		int rc_ = (expr);                                                                    \
		if (rc_ != (want))                                                                   \
			print_error("%s -> %s, want %s; last error: [%s] %s\n", #expr, axr_errname(rc_), \
			            axr_errname(want), axr_db_last_error(db)->sqlstate,                  \
			            axr_db_last_error(db)->message);                                     \
		assert_int_equal(rc_, (want));                                                       \
	} while (0)

static void sql(axr_db_t *db, const char *text)
{
	assert_db(db, 0, axr_db_exec(db, NULL, text, 0, NULL, NULL, NULL, NULL));
}

static axr_db_t *open_db(const char *url, const axr_db_options_t *opt)
{
	axr_db_t *db = NULL;
	assert_int_equal(axr_db_new(url, opt, &db), 0);
	assert_non_null(db);
	return db;
}

static int group_setup(void **state)
{
	(void)state;
	shared_url = axr_test_shared_url("AXR_TEST_DATABASE_URL", &own_shared, true);
	if (!shared_url)
		return -1;
	axr_db_t *db = NULL;
	if (axr_db_new(shared_url, NULL, &db) != 0)
		return -1;
	static const char *const ddl[] = {
	    "DROP TABLE IF EXISTS axr_test_db_users, axr_test_db_blobs, axr_test_db_wallets",
	    "CREATE TABLE axr_test_db_users (id serial PRIMARY KEY, email text NOT NULL,"
	    " age int CHECK (age >= 0), CONSTRAINT axr_test_db_users_email_key UNIQUE (email))",
	    "CREATE TABLE axr_test_db_blobs (id int PRIMARY KEY, note text, data bytea)",
	    "CREATE TABLE axr_test_db_wallets (id int PRIMARY KEY, balance bigint NOT NULL)",
	    "INSERT INTO axr_test_db_wallets VALUES (1, 0), (2, 0)",
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof ddl / sizeof ddl[0] && rc == 0; i++) {
		rc = axr_db_exec(db, NULL, ddl[i], 0, NULL, NULL, NULL, NULL);
		if (rc != 0)
			fprintf(stderr, "setup: %s: %s\n", ddl[i], axr_db_last_error(db)->message);
	}
	axr_db_free(db);
	return rc;
}

static int group_teardown(void **state)
{
	(void)state;
	axr_db_t *db = NULL;
	if (shared_url && axr_db_new(shared_url, NULL, &db) == 0) {
		axr_db_exec(db, NULL, "DROP TABLE IF EXISTS axr_test_db_users, axr_test_db_blobs, axr_test_db_wallets",
		            0, NULL, NULL, NULL, NULL);
		axr_db_free(db);
	}
	axr_test_server_destroy(&own_shared);
	return 0;
}

static void test_db_connects_lazily_and_selects(void **state)
{
	(void)state;
	axr_db_health_t before, after;
	axr_db_health(&before);
	axr_db_t *db = open_db(shared_url, NULL);
	assert_false(axr_db_is_up(db));

	axr_db_result_t *r = NULL;
	assert_db(db, 0, axr_db_exec(db, NULL, "SELECT 41 + 1 AS answer, 'x'::text AS s, true AS b, 2.5::float8 AS f",
	                             0, NULL, NULL, NULL, &r));
	assert_true(axr_db_is_up(db));
	assert_true(axr_db_global_ready());
	assert_int_equal(axr_db_result_rows(r), 1);
	assert_int_equal(axr_db_result_cols(r), 4);
	assert_int_equal(axr_db_result_column(r, "answer"), 0);
	assert_int_equal(axr_db_result_column(r, "ANSWER"), -1);
	int64_t v = 0;
	assert_int_equal(axr_db_result_int64(r, 0, 0, &v), 0);
	assert_int_equal(v, 42);
	size_t len = 0;
	assert_string_equal(axr_db_result_text(r, 0, 1, &len), "x");
	assert_int_equal(len, 1);
	bool b = false;
	assert_int_equal(axr_db_result_bool(r, 0, 2, &b), 0);
	assert_true(b);
	double f = 0;
	assert_int_equal(axr_db_result_double(r, 0, 3, &f), 0);
	assert_true(f == 2.5);
	assert_int_equal(axr_db_result_int64(r, 0, 1, &v), AXR_EPARSE);
	assert_int_equal(axr_db_result_int64(r, 1, 0, &v), AXR_EINVAL);
	assert_null(axr_db_result_text(r, 0, 9, NULL));
	axr_db_result_free(r);

	axr_db_health(&after);
	assert_int_equal(after.connects, before.connects + 1);
	assert_int_equal(after.handles, before.handles + 1);
	assert_int_equal(after.up, before.up + 1);
	axr_db_free(db);
	axr_db_health(&after);
	assert_int_equal(after.handles, before.handles);
	assert_int_equal(after.up, before.up);
}

static void test_db_session_gets_configured_timeouts(void **state)
{
	(void)state;
	axr_db_options_t o;
	axr_db_options_init(&o);
	o.statement_timeout_ms = 4321;
	o.lock_timeout_ms = 1234;
	o.idle_tx_timeout_ms = 9876;
	o.application_name = "axr-test-db";
	axr_db_t *db = open_db(shared_url, &o);
	axr_db_result_t *r = NULL;
	assert_db(db, 0, axr_db_exec(db, NULL,
	                             "SELECT current_setting('statement_timeout'), current_setting('lock_timeout'),"
	                             " current_setting('idle_in_transaction_session_timeout'),"
	                             " current_setting('application_name')",
	                             0, NULL, NULL, NULL, &r));
	assert_string_equal(axr_db_result_text(r, 0, 0, NULL), "4321ms");
	assert_string_equal(axr_db_result_text(r, 0, 1, NULL), "1234ms");
	assert_string_equal(axr_db_result_text(r, 0, 2, NULL), "9876ms");
	assert_string_equal(axr_db_result_text(r, 0, 3, NULL), "axr-test-db");
	axr_db_result_free(r);
	axr_db_free(db);
}

static void test_db_prepared_statement_is_prepared_once_per_connection(void **state)
{
	(void)state;
	axr_db_t *db = open_db(shared_url, NULL);
	assert_int_equal(axr_db_prepare(db, "add", "SELECT $1::int + $2::int", 2), 0);
	assert_int_equal(axr_db_prepare(db, "add", "SELECT $1::int + $2::int", 2), 0);
	assert_int_equal(axr_db_prepare(db, "add", "SELECT $1::int - $2::int", 2), AXR_EEXISTS);
	for (int i = 0; i < 5; i++) {
		char a[16], b[16];
		snprintf(a, sizeof a, "%d", i);
		snprintf(b, sizeof b, "%d", 100);
		const char *vals[] = {a, b};
		axr_db_result_t *r = NULL;
		assert_db(db, 0, axr_db_exec(db, "add", NULL, 2, vals, NULL, NULL, &r));
		int64_t v = 0;
		assert_int_equal(axr_db_result_int64(r, 0, 0, &v), 0);
		assert_int_equal(v, 100 + i);
		axr_db_result_free(r);
	}
	/* Registered on first use too. */
	const char *one[] = {"7"};
	assert_db(db, 0, axr_db_exec(db, "double", "SELECT $1::int * 2", 1, one, NULL, NULL, NULL));
	axr_db_result_t *r = NULL;
	assert_db(db, 0, axr_db_exec(db, NULL, "SELECT count(*) FROM pg_prepared_statements", 0, NULL, NULL, NULL, &r));
	int64_t n = 0;
	assert_int_equal(axr_db_result_int64(r, 0, 0, &n), 0);
	assert_int_equal(n, 2);
	axr_db_result_free(r);
	/* Unknown name without SQL is a caller error. */
	assert_int_equal(axr_db_exec(db, "nope", NULL, 0, NULL, NULL, NULL, NULL), AXR_EINVAL);

	/* The server forgetting them (DISCARD ALL) is repaired transparently. */
	sql(db, "DEALLOCATE ALL");
	const char *vals[] = {"1", "2"};
	assert_db(db, 0, axr_db_exec(db, "add", NULL, 2, vals, NULL, NULL, &r));
	assert_string_equal(axr_db_result_text(r, 0, 0, NULL), "3");
	axr_db_result_free(r);
	axr_db_free(db);
}

static void test_db_parameters_carry_nulls_and_binary(void **state)
{
	(void)state;
	axr_db_t *db = open_db(shared_url, NULL);
	static const uint8_t blob[] = {0x00, 0xff, 0x27, 0x5c, 0x00, 'x', 0x80};
	const char *vals[] = {"1", NULL, (const char *)blob};
	int lens[] = {0, 0, (int)sizeof blob};
	int fmts[] = {0, 0, 1};
	axr_db_result_t *r = NULL;
	assert_db(db, 0, axr_db_exec(db, "blob_put",
	                             "INSERT INTO axr_test_db_blobs (id, note, data) VALUES ($1, $2, $3)",
	                             3, vals, lens, fmts, &r));
	assert_int_equal(axr_db_result_affected(r), 1);
	axr_db_result_free(r);

	/* A text parameter with quotes and a semicolon stays data. */
	const char *evil[] = {"2", "x'); DROP TABLE axr_test_db_blobs; --"};
	assert_db(db, 0, axr_db_exec(db, NULL, "INSERT INTO axr_test_db_blobs (id, note) VALUES ($1, $2)", 2, evil,
	                             NULL, NULL, NULL));

	assert_db(db, 0, axr_db_exec(db, NULL, "SELECT note, data, id FROM axr_test_db_blobs ORDER BY id", 0, NULL,
	                             NULL, NULL, &r));
	assert_int_equal(axr_db_result_rows(r), 2);
	assert_true(axr_db_result_is_null(r, 0, 0));
	assert_null(axr_db_result_text(r, 0, 0, NULL));
	const uint8_t *data = NULL;
	size_t len = 0;
	assert_int_equal(axr_db_result_bytea(r, 0, 1, &data, &len), 0);
	assert_int_equal(len, sizeof blob);
	assert_memory_equal(data, blob, sizeof blob);
	assert_string_equal(axr_db_result_text(r, 1, 0, NULL), evil[1]);
	assert_int_equal(axr_db_result_bytea(r, 1, 1, &data, &len), AXR_ENOTFOUND);
	int64_t v;
	assert_int_equal(axr_db_result_int64(r, 1, 0, &v), AXR_EPARSE);
	axr_db_result_free(r);
	axr_db_free(db);
}

static void test_db_constraint_violations_map_to_codes(void **state)
{
	(void)state;
	axr_db_t *db = open_db(shared_url, NULL);
	const char *ins = "INSERT INTO axr_test_db_users (email, age) VALUES ($1, $2)";
	const char *a[] = {"a@example.com", "30"};
	assert_db(db, 0, axr_db_exec(db, "user_ins", ins, 2, a, NULL, NULL, NULL));

	assert_db(db, AXR_EEXISTS, axr_db_exec(db, "user_ins", ins, 2, a, NULL, NULL, NULL));
	const axr_db_error_t *e = axr_db_last_error(db);
	assert_int_equal(e->code, AXR_EEXISTS);
	assert_string_equal(e->sqlstate, "23505");
	assert_string_equal(e->constraint, "axr_test_db_users_email_key");
	assert_string_equal(e->table, "axr_test_db_users");

	const char *neg[] = {"b@example.com", "-1"};
	assert_db(db, AXR_ECONFLICT, axr_db_exec(db, "user_ins", ins, 2, neg, NULL, NULL, NULL));
	assert_string_equal(axr_db_last_error(db)->sqlstate, "23514");
	assert_string_equal(axr_db_last_error(db)->constraint, "axr_test_db_users_age_check");

	const char *noemail[] = {NULL, "1"};
	assert_db(db, AXR_EINVAL, axr_db_exec(db, "user_ins", ins, 2, noemail, NULL, NULL, NULL));
	assert_string_equal(axr_db_last_error(db)->sqlstate, "23502");
	assert_string_equal(axr_db_last_error(db)->column, "email");

	const char *badint[] = {"c@example.com", "12x"};
	assert_db(db, AXR_EINVAL, axr_db_exec(db, "user_ins", ins, 2, badint, NULL, NULL, NULL));
	assert_string_equal(axr_db_last_error(db)->sqlstate, "22P02");

	assert_db(db, AXR_EINTERNAL, axr_db_exec(db, NULL, "SELECT * FROM axr_no_such_table", 0, NULL, NULL, NULL, NULL));
	assert_string_equal(axr_db_last_error(db)->sqlstate, "42P01");

	/* None of these broke the connection. */
	assert_true(axr_db_is_up(db));
	sql(db, "SELECT 1");
	axr_db_free(db);
}

/* An autocommit statement's rows arrive before its commit: a commit that
 * fails (here a deferred foreign key) is the statement's error, never a
 * success with the rows of a write that did not happen. */
static void test_db_autocommit_statement_whose_commit_fails_is_an_error(void **state)
{
	(void)state;
	axr_db_t *db = open_db(shared_url, NULL);
	axr_db_result_t *r = NULL;
	sql(db, "CREATE TABLE IF NOT EXISTS axr_test_db_deferred (id int PRIMARY KEY,"
	        " parent int REFERENCES axr_test_db_deferred (id) DEFERRABLE INITIALLY DEFERRED)");
	sql(db, "DELETE FROM axr_test_db_deferred");
	const char *ins = "INSERT INTO axr_test_db_deferred (id, parent) VALUES ($1, $2) RETURNING id";
	const char *orphan[] = {"1", "99"};
	assert_db(db, AXR_ECONFLICT, axr_db_exec(db, "deferred_ins", ins, 2, orphan, NULL, NULL, &r));
	assert_null(r);
	assert_string_equal(axr_db_last_error(db)->sqlstate, "23503");
	assert_db(db, 0, axr_db_exec(db, NULL, "SELECT count(*) FROM axr_test_db_deferred", 0, NULL, NULL, NULL, &r));
	assert_string_equal(axr_db_result_text(r, 0, 0, NULL), "0");
	axr_db_result_free(r);
	r = NULL;
	const char *root[] = {"1", "1"};
	assert_db(db, 0, axr_db_exec(db, "deferred_ins", ins, 2, root, NULL, NULL, &r));
	assert_string_equal(axr_db_result_text(r, 0, 0, NULL), "1");
	axr_db_result_free(r);
	sql(db, "DROP TABLE axr_test_db_deferred");
	axr_db_free(db);
}

static void test_db_sqlstate_table_maps_classes(void **state)
{
	(void)state;
	static const struct {
		const char *state;
		int want;
	} cases[] = {
	    {"23505", AXR_EEXISTS},      {"23503", AXR_ECONFLICT},   {"23514", AXR_ECONFLICT},
	    {"23P01", AXR_ECONFLICT},    {"23502", AXR_EINVAL},      {"22001", AXR_EINVAL},
	    {"22003", AXR_EINVAL},       {"40001", AXR_EAGAIN},      {"40P01", AXR_EAGAIN},
	    {"57014", AXR_ETIMEOUT},     {"55P03", AXR_ETIMEOUT},    {"25P03", AXR_ETIMEOUT},
	    {"08006", AXR_EUNAVAILABLE}, {"08001", AXR_EUNAVAILABLE}, {"57P01", AXR_EUNAVAILABLE},
	    {"57P02", AXR_EUNAVAILABLE}, {"57P03", AXR_EUNAVAILABLE}, {"53300", AXR_EBUSY},
	    {"54000", AXR_ETOOBIG},      {"42601", AXR_EINTERNAL},   {"XX000", AXR_EINTERNAL},
	    {"", AXR_EINTERNAL},         {"2350", AXR_EINTERNAL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int got = axr_db_sqlstate_err(cases[i].state);
		if (got != cases[i].want)
			print_error("sqlstate %s -> %s, want %s\n", cases[i].state, axr_errname(got),
			            axr_errname(cases[i].want));
		assert_int_equal(got, cases[i].want);
	}
	assert_int_equal(axr_db_sqlstate_err(NULL), AXR_EINTERNAL);
}

/* ---- transactions ---------------------------------------------------------- */

typedef struct tx_ctx {
	axr_db_t *other;     /* a second connection that interferes */
	int calls;
	int interfere_until; /* the other connection updates the row on calls <= this */
} tx_ctx_t;

/* Reads wallet 1 (taking the snapshot), lets the other connection update it
 * meanwhile, then updates it: under REPEATABLE READ that is 40001. */
static int tx_add_one(axr_db_t *db, void *arg)
{
	tx_ctx_t *c = arg;
	c->calls++;
	int rc = axr_db_exec(db, NULL, "SELECT balance FROM axr_test_db_wallets WHERE id = 1", 0, NULL, NULL, NULL,
	                     NULL);
	if (rc != 0)
		return rc;
	if (c->calls <= c->interfere_until) {
		rc = axr_db_exec(c->other, NULL, "UPDATE axr_test_db_wallets SET balance = balance + 100 WHERE id = 1",
		                 0, NULL, NULL, NULL, NULL);
		if (rc != 0)
			return rc;
	}
	return axr_db_exec(db, NULL, "UPDATE axr_test_db_wallets SET balance = balance + 1 WHERE id = 1", 0, NULL,
	                   NULL, NULL, NULL);
}

static int64_t wallet_balance(axr_db_t *db, int id)
{
	char sid[16];
	snprintf(sid, sizeof sid, "%d", id);
	const char *v[] = {sid};
	axr_db_result_t *r = NULL;
	assert_db(db, 0, axr_db_exec(db, NULL, "SELECT balance FROM axr_test_db_wallets WHERE id = $1", 1, v, NULL,
	                             NULL, &r));
	int64_t b = -1;
	assert_int_equal(axr_db_result_int64(r, 0, 0, &b), 0);
	axr_db_result_free(r);
	return b;
}

static void test_db_tx_run_retries_serialization_failure(void **state)
{
	(void)state;
	axr_db_t *db = open_db(shared_url, NULL);
	axr_db_t *other = open_db(shared_url, NULL);
	sql(db, "UPDATE axr_test_db_wallets SET balance = 0 WHERE id = 1");

	tx_ctx_t c = {.other = other, .interfere_until = 1};
	assert_db(db, 0, axr_db_tx_run(db, AXR_DB_REPEATABLE_READ, tx_add_one, &c, 3));
	assert_int_equal(c.calls, 2);
	assert_int_equal(wallet_balance(db, 1), 101);

	/* Retries run out: the caller gets AXR_EAGAIN after 1 + max_retries calls. */
	c = (tx_ctx_t){.other = other, .interfere_until = 100};
	assert_db(db, AXR_EAGAIN, axr_db_tx_run(db, AXR_DB_SERIALIZABLE, tx_add_one, &c, 2));
	assert_int_equal(c.calls, 3);
	assert_string_equal(axr_db_last_error(db)->sqlstate, "40001");
	assert_int_equal(wallet_balance(db, 1), 401);
	axr_db_free(other);
	axr_db_free(db);
}

static int tx_insert_then_fail(axr_db_t *db, void *arg)
{
	(void)arg;
	int rc = axr_db_exec(db, NULL, "INSERT INTO axr_test_db_blobs (id, note) VALUES (100, 'rolled back')", 0,
	                     NULL, NULL, NULL, NULL);
	return rc != 0 ? rc : AXR_ECONFLICT;
}

static int tx_ignore_failed_statement(axr_db_t *db, void *arg)
{
	(void)arg;
	axr_db_exec(db, NULL, "INSERT INTO axr_test_db_users (email) VALUES (NULL)", 0, NULL, NULL, NULL, NULL);
	return 0;
}

static int tx_nested(axr_db_t *db, void *arg)
{
	(void)arg;
	return axr_db_tx_run(db, AXR_DB_READ_COMMITTED, tx_insert_then_fail, NULL, 0);
}

static void test_db_tx_run_rolls_back_on_error(void **state)
{
	(void)state;
	axr_db_t *db = open_db(shared_url, NULL);
	assert_db(db, AXR_ECONFLICT, axr_db_tx_run(db, AXR_DB_READ_COMMITTED, tx_insert_then_fail, NULL, 3));
	axr_db_result_t *r = NULL;
	assert_db(db, 0, axr_db_exec(db, NULL, "SELECT count(*) FROM axr_test_db_blobs WHERE id = 100", 0, NULL,
	                             NULL, NULL, &r));
	assert_string_equal(axr_db_result_text(r, 0, 0, NULL), "0");
	axr_db_result_free(r);

	/* A body that swallows a failed statement still does not commit. */
	assert_db(db, AXR_EINVAL, axr_db_tx_run(db, AXR_DB_READ_COMMITTED, tx_ignore_failed_statement, NULL, 0));
	assert_db(db, AXR_EINVAL, axr_db_tx_run(db, AXR_DB_READ_COMMITTED, tx_nested, NULL, 0));
	/* And the connection is back to idle (in an aborted transaction this would fail). */
	sql(db, "SELECT 1");
	axr_db_free(db);
}

/* ---- timeouts ------------------------------------------------------------------ */

static void test_db_statement_timeout_fires_and_keeps_connection(void **state)
{
	(void)state;
	axr_db_options_t o;
	axr_db_options_init(&o);
	o.statement_timeout_ms = 300;
	axr_db_t *db = open_db(shared_url, &o);
	sql(db, "SELECT 1");
	axr_db_health_t before, after;
	axr_db_health(&before);
	double t0 = axr_test_now_s();
	assert_db(db, AXR_ETIMEOUT, axr_db_exec(db, NULL, "SELECT pg_sleep(3)", 0, NULL, NULL, NULL, NULL));
	double took = axr_test_now_s() - t0;
	print_message("statement_timeout 300 ms fired after %.0f ms\n", took * 1000);
	assert_true(took < 1.5);
	assert_string_equal(axr_db_last_error(db)->sqlstate, "57014");
	assert_true(axr_db_is_up(db));
	sql(db, "SELECT 1");
	axr_db_health(&after);
	assert_int_equal(after.connects, before.connects);
	axr_db_free(db);
}

static int tx_lock_then_wait(axr_db_t *db, void *arg)
{
	axr_db_t *other = arg;
	int rc = axr_db_exec(db, NULL, "SELECT balance FROM axr_test_db_wallets WHERE id = 2 FOR UPDATE", 0, NULL,
	                     NULL, NULL, NULL);
	if (rc != 0)
		return rc;
	/* `other` now waits for our row lock, up to its lock_timeout. */
	return axr_db_exec(other, NULL, "UPDATE axr_test_db_wallets SET balance = 5 WHERE id = 2", 0, NULL, NULL,
	                   NULL, NULL);
}

static void test_db_lock_timeout_maps_to_timeout(void **state)
{
	(void)state;
	axr_db_options_t o;
	axr_db_options_init(&o);
	o.lock_timeout_ms = 200;
	axr_db_t *db = open_db(shared_url, NULL);
	axr_db_t *other = open_db(shared_url, &o);
	double t0 = axr_test_now_s();
	assert_db(db, AXR_ETIMEOUT, axr_db_tx_run(db, AXR_DB_READ_COMMITTED, tx_lock_then_wait, other, 0));
	assert_true(axr_test_now_s() - t0 < 1.5);
	assert_string_equal(axr_db_last_error(other)->sqlstate, "55P03");
	assert_int_equal(wallet_balance(other, 2), 0);
	axr_db_free(other);
	axr_db_free(db);
}

static void test_db_io_timeout_drops_connection_and_reconnects(void **state)
{
	(void)state;
	axr_db_options_t o;
	axr_db_options_init(&o);
	o.statement_timeout_ms = 0; /* the server would wait; the client bound must act */
	o.io_timeout_ms = 300;
	axr_db_t *db = open_db(shared_url, &o);
	double t0 = axr_test_now_s();
	assert_db(db, AXR_ETIMEOUT, axr_db_exec(db, NULL, "SELECT pg_sleep(2)", 0, NULL, NULL, NULL, NULL));
	double took = axr_test_now_s() - t0;
	assert_true(took >= 0.25 && took < 1.0);
	assert_false(axr_db_is_up(db));
	sql(db, "SELECT 1");
	assert_true(axr_db_is_up(db));
	axr_db_free(db);
}

static void test_db_connect_timeout_bounds_a_silent_server(void **state)
{
	(void)state;
	/* A socket that accepts TCP connections (kernel backlog) but never speaks. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(fd, 8), 0);
	socklen_t sl = sizeof sa;
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	char url[128];
	snprintf(url, sizeof url, "postgresql://postgres@127.0.0.1:%d/postgres?sslmode=disable", ntohs(sa.sin_port));

	axr_db_options_t o;
	axr_db_options_init(&o);
	o.connect_timeout_ms = 300;
	axr_db_t *db = open_db(url, &o);
	double t0 = axr_test_now_s();
	assert_db(db, AXR_EUNAVAILABLE, axr_db_connect(db));
	double took = axr_test_now_s() - t0;
	print_message("connect to a silent server gave up after %.0f ms\n", took * 1000);
	assert_true(took >= 0.25 && took < 1.0);
	assert_int_equal(axr_db_ping(url, 200), AXR_ETIMEOUT);
	axr_db_free(db);
	close(fd);
}

static void test_db_ping_tells_up_from_down(void **state)
{
	(void)state;
	assert_int_equal(axr_db_ping(shared_url, 2000), 0);
	char port[32];
	assert_int_equal(axr_test_stack(port, sizeof port, "free-port"), 0);
	char url[128];
	snprintf(url, sizeof url, "postgresql://postgres@127.0.0.1:%s/postgres", port);
	double t0 = axr_test_now_s();
	assert_int_equal(axr_db_ping(url, 2000), AXR_EUNAVAILABLE);
	assert_true(axr_test_now_s() - t0 < 0.5);
	assert_int_equal(axr_db_ping("postgresql://[bad", 2000), AXR_ECONFIG);
	axr_db_t *db = NULL;
	assert_int_equal(axr_db_new("postgresql://[bad", NULL, &db), AXR_ECONFIG);
	assert_null(db);
}

static void test_db_terminated_backend_is_replaced_before_sending(void **state)
{
	(void)state;
	axr_db_t *db = open_db(shared_url, NULL);
	axr_db_t *killer = open_db(shared_url, NULL);
	axr_db_result_t *r = NULL;
	assert_int_equal(axr_db_prepare(db, "pid", "SELECT pg_backend_pid()::text", 0), 0);
	assert_db(db, 0, axr_db_exec(db, "pid", NULL, 0, NULL, NULL, NULL, &r));
	char pid[32];
	snprintf(pid, sizeof pid, "%s", axr_db_result_text(r, 0, 0, NULL));
	axr_db_result_free(r);
	const char *v[] = {pid};
	assert_db(killer, 0, axr_db_exec(killer, NULL, "SELECT pg_terminate_backend($1::int)", 1, v, NULL, NULL, NULL));
	axr_test_sleep_ms(100);

	axr_db_health_t before, after;
	axr_db_health(&before);
	/* The first call after the kill already succeeds, on a new backend, with
	 * the statement prepared again. */
	assert_db(db, 0, axr_db_exec(db, "pid", NULL, 0, NULL, NULL, NULL, &r));
	assert_string_not_equal(axr_db_result_text(r, 0, 0, NULL), pid);
	axr_db_result_free(r);
	axr_db_health(&after);
	assert_int_equal(after.disconnects, before.disconnects + 1);
	assert_int_equal(after.connects, before.connects + 1);
	axr_db_free(killer);
	axr_db_free(db);
}

static void test_db_monitor_tracks_readiness(void **state)
{
	(void)state;
	assert_int_equal(axr_db_monitor_start(shared_url, 50), 0);
	assert_int_equal(axr_db_monitor_start(shared_url, 50), AXR_EINVAL);
	axr_test_sleep_ms(200);
	assert_true(axr_db_global_ready());
	axr_db_monitor_stop();
	axr_db_monitor_stop();
}

/* ---- a private server that goes away and comes back ------------------------ */

/* Calls SELECT 1 until it succeeds or `limit_ms` passes; returns ms taken or -1. */
static long until_up(axr_db_t *db, long limit_ms)
{
	int64_t t0 = axr_test_now_ms();
	while (axr_test_now_ms() - t0 < limit_ms) {
		if (axr_db_exec(db, "one", "SELECT 1", 0, NULL, NULL, NULL, NULL) == 0)
			return (long)(axr_test_now_ms() - t0);
		axr_test_sleep_ms(10);
	}
	return -1;
}

static void outage_round(axr_test_server_t *srv, axr_db_t *db, const char *mode)
{
	assert_db(db, 0, axr_db_exec(db, "one", "SELECT 1", 0, NULL, NULL, NULL, NULL));
	assert_true(axr_db_global_ready());
	assert_int_equal(axr_test_server_stop(srv, mode), 0);

	/* Down: every call fails with AXR_EUNAVAILABLE, quickly; after the first
	 * attempts most are refused without trying (backoff). */
	axr_db_health_t before, after;
	axr_db_health(&before);
	double worst = 0, total = 0;
	int calls = 0;
	int64_t t0 = axr_test_now_ms();
	while (axr_test_now_ms() - t0 < 1500) {
		double c0 = axr_test_now_s();
		int rc = axr_db_exec(db, "one", "SELECT 1", 0, NULL, NULL, NULL, NULL);
		double took = axr_test_now_s() - c0;
		if (rc != AXR_EUNAVAILABLE)
			print_error("call %d during outage: %s (%s)\n", calls, axr_errname(rc),
			            axr_db_last_error(db)->message);
		assert_int_equal(rc, AXR_EUNAVAILABLE);
		worst = took > worst ? took : worst;
		total += took;
		calls++;
		axr_test_sleep_ms(5);
	}
	axr_db_health(&after);
	uint64_t attempts = after.reconnect_attempts - before.reconnect_attempts;
	uint64_t refused = after.fast_failures - before.fast_failures;
	print_message("pg stopped (%s): %d calls in 1.5 s, all AXR_EUNAVAILABLE, worst %.2f ms, mean %.3f ms;"
	              " %llu reconnect attempts, %llu refused during backoff\n",
	              mode, calls, worst * 1000, total * 1000 / calls, (unsigned long long)attempts,
	              (unsigned long long)refused);
	assert_true(worst < 0.1);
	assert_true(attempts >= 2 && attempts <= 10);
	assert_true(refused >= (uint64_t)calls - attempts - 1);
	assert_false(axr_db_is_up(db));
	assert_false(axr_db_global_ready());
	assert_true(after.down >= 1);
	assert_true(after.last_error_unix_ms >= before.last_ok_unix_ms);
	long retry = axr_db_retry_after_ms(db);
	assert_in_range(retry, 0, 2000);

	/* Back: calls succeed again within 5 s, with the prepared statement. */
	assert_int_equal(axr_test_server_restart(srv), 0);
	long ms = until_up(db, 8000);
	print_message("pg restarted (%s): first success %ld ms after the server was ready\n", mode, ms);
	assert_in_range(ms, 0, 5000);
	assert_true(axr_db_global_ready());
}

static void test_db_server_stop_fails_fast_then_recovers(void **state)
{
	(void)state;
	axr_test_server_t srv;
	assert_int_equal(axr_test_server_start(&srv, true), 0);
	axr_db_t *db = open_db(srv.url, NULL);
	outage_round(&srv, db, "fast");
	outage_round(&srv, db, "immediate");
	axr_db_free(db);
	axr_test_server_destroy(&srv);
}

static void test_db_success_elsewhere_ends_backoff_early(void **state)
{
	(void)state;
	axr_test_server_t srv;
	assert_int_equal(axr_test_server_start(&srv, true), 0);
	axr_db_options_t slow;
	axr_db_options_init(&slow);
	slow.backoff_min_ms = slow.backoff_max_ms = 60000; /* would wait a minute on its own */
	axr_db_t *a = open_db(srv.url, &slow);
	axr_db_t *b = open_db(srv.url, NULL);
	sql(a, "SELECT 1");
	assert_int_equal(axr_test_server_stop(&srv, "fast"), 0);
	assert_db(a, AXR_EUNAVAILABLE, axr_db_exec(a, NULL, "SELECT 1", 0, NULL, NULL, NULL, NULL));
	assert_db(a, AXR_EUNAVAILABLE, axr_db_exec(a, NULL, "SELECT 1", 0, NULL, NULL, NULL, NULL));
	assert_in_range(axr_db_retry_after_ms(a), 20000, 60000);
	assert_int_equal(axr_test_server_restart(&srv), 0);
	/* Another handle connecting proves the server is back: `a` tries at once. */
	sql(b, "SELECT 1");
	sql(a, "SELECT 1");
	axr_db_free(b);
	axr_db_free(a);
	axr_test_server_destroy(&srv);
}

static int tx_across_restart(axr_db_t *db, void *arg)
{
	axr_test_server_t *srv = arg;
	int rc = axr_db_exec(db, NULL, "SELECT 1", 0, NULL, NULL, NULL, NULL);
	if (rc != 0)
		return rc;
	axr_test_server_stop(srv, "fast");
	axr_test_server_restart(srv);
	/* Must not silently run on a fresh connection outside the transaction. */
	rc = axr_db_exec(db, NULL, "SELECT 1", 0, NULL, NULL, NULL, NULL);
	return rc != 0 ? rc : axr_db_exec(db, NULL, "SELECT 2", 0, NULL, NULL, NULL, NULL);
}

static void test_db_connection_lost_inside_tx_fails_the_tx(void **state)
{
	(void)state;
	axr_test_server_t srv;
	assert_int_equal(axr_test_server_start(&srv, true), 0);
	axr_db_t *db = open_db(srv.url, NULL);
	assert_db(db, AXR_EUNAVAILABLE, axr_db_tx_run(db, AXR_DB_READ_COMMITTED, tx_across_restart, &srv, 3));
	/* Outside the transaction the handle reconnects by itself. */
	assert_in_range(until_up(db, 5000), 0, 5000);
	axr_db_free(db);
	axr_test_server_destroy(&srv);
}

static void test_db_rejects_bad_arguments(void **state)
{
	(void)state;
	axr_db_t *db = NULL;
	axr_db_options_t o;
	axr_db_options_init(&o);
	o.backoff_max_ms = 10; /* below backoff_min_ms */
	assert_int_equal(axr_db_new(shared_url, &o, &db), AXR_EINVAL);
	assert_int_equal(axr_db_new(NULL, NULL, &db), AXR_EINVAL);
	db = open_db(shared_url, NULL);
	assert_int_equal(axr_db_exec(db, NULL, NULL, 0, NULL, NULL, NULL, NULL), AXR_EINVAL);
	assert_int_equal(axr_db_exec(db, NULL, "SELECT $1", 1, NULL, NULL, NULL, NULL), AXR_EINVAL);
	assert_int_equal(axr_db_prepare(db, NULL, "SELECT 1", 0), AXR_EINVAL);
	assert_int_equal(axr_db_tx_run(db, AXR_DB_SERIALIZABLE, NULL, NULL, 0), AXR_EINVAL);
	assert_int_equal(axr_db_exec(db, NULL, "", 0, NULL, NULL, NULL, NULL), AXR_EINVAL);
	axr_db_free(db);
	axr_db_free(NULL);
}

static void test_db_metrics_render_health_view(void **state)
{
	(void)state;
	axr_metrics_reset();
	assert_int_equal(axr_db_metrics_register(), 0);
	axr_db_t *db = open_db(shared_url, NULL);
	sql(db, "SELECT 1");
	axr_db_health_t h;
	axr_db_health(&h);
	axr_buf_t out = AXR_BUF_INIT;
	axr_metrics_render(&out);
	axr_buf_putc(&out, '\0');
	assert_true(axr_buf_ok(&out));
	char want[128];
	snprintf(want, sizeof want, "\naxr_db_connections{state=\"up\"} %llu\n", (unsigned long long)h.up);
	if (!strstr(out.data, want) || !strstr(out.data, "\naxr_db_ready 1\n") ||
	    !strstr(out.data, "# TYPE axr_db_connects gauge\n"))
		print_error("metrics output:\n%s\nwant: %s", out.data, want);
	assert_non_null(strstr(out.data, want));
	assert_non_null(strstr(out.data, "\naxr_db_ready 1\n"));
	assert_non_null(strstr(out.data, "# TYPE axr_db_connects gauge\n"));
	axr_buf_free(&out);
	axr_metrics_reset();
	axr_db_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_db_connects_lazily_and_selects),
	    cmocka_unit_test(test_db_session_gets_configured_timeouts),
	    cmocka_unit_test(test_db_prepared_statement_is_prepared_once_per_connection),
	    cmocka_unit_test(test_db_parameters_carry_nulls_and_binary),
	    cmocka_unit_test(test_db_constraint_violations_map_to_codes),
	    cmocka_unit_test(test_db_autocommit_statement_whose_commit_fails_is_an_error),
	    cmocka_unit_test(test_db_sqlstate_table_maps_classes),
	    cmocka_unit_test(test_db_tx_run_retries_serialization_failure),
	    cmocka_unit_test(test_db_tx_run_rolls_back_on_error),
	    cmocka_unit_test(test_db_statement_timeout_fires_and_keeps_connection),
	    cmocka_unit_test(test_db_lock_timeout_maps_to_timeout),
	    cmocka_unit_test(test_db_io_timeout_drops_connection_and_reconnects),
	    cmocka_unit_test(test_db_connect_timeout_bounds_a_silent_server),
	    cmocka_unit_test(test_db_ping_tells_up_from_down),
	    cmocka_unit_test(test_db_terminated_backend_is_replaced_before_sending),
	    cmocka_unit_test(test_db_monitor_tracks_readiness),
	    cmocka_unit_test(test_db_server_stop_fails_fast_then_recovers),
	    cmocka_unit_test(test_db_success_elsewhere_ends_backoff_early),
	    cmocka_unit_test(test_db_connection_lost_inside_tx_fails_the_tx),
	    cmocka_unit_test(test_db_rejects_bad_arguments),
	    cmocka_unit_test(test_db_metrics_render_health_view),
	};
	return cmocka_run_group_tests_name("db", tests, group_setup, group_teardown);
}
