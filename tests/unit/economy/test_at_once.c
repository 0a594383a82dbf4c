/* test_at_once.c: the one-statement transfer (tx_at_once.c): what it completes, what it leaves to the general path, keys, and a lock wait past its snapshot. */
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "economy_fixture.h"
#include "tx_internal.h"

#define OWNER() econ_fresh("0000a1a1-0000-4000-8000-")
#define RESOURCE() econ_fresh("0000c1c1-0000-4000-8000-")

static int group_setup(void **state)
{
	(void)state;
	return econ_suite_setup("economy_at_once");
}

/* One call of economy__create_at_once inside its own SQL transaction
 * (committed when it returns 0, as economy__create_body's would be). */
typedef struct attempt {
	economy_tx_t tx;
	economy__idem_ctx_t idem;
	economy_answer_t answer;
	bool done;
} attempt_t;

static int attempt_body(axr_db_t *d, void *p)
{
	attempt_t *t = p;
	return economy__create_at_once(d, arena, &t->tx, &t->idem, &t->answer, &t->done);
}

/* An admin's transfer of `qty` of `res` from `from` to `to`, both approvals, with `key` (may be NULL). */
static int attempt(attempt_t *t, const char *from, const char *to, const char *res, int64_t qty, const char *key)
{
	char uid[ECONOMY_UID_SIZE];
	economy_line_t *line = axr_arena_calloc(arena, 1, sizeof *line);
	memset(t, 0, sizeof *t);
	assert_non_null(line);
	*line = (economy_line_t){.resource_uid = res, .quantity = qty};
	assert_int_equal(economy_uid_random(uid), 0);
	t->tx = (economy_tx_t){.uid = axr_arena_strdup(arena, uid), .kind = ECONOMY_KIND_TRANSFER, .from = from,
	                       .to = to, .lines = line, .n_lines = 1, .approval_from = true, .approval_to = true,
	                       .created_by = ECON_ADMIN};
	t->idem.caller = ECON_ADMIN;
	t->idem.key = key;
	if (key != NULL)
		economy_idem_hash(key, strlen(key), t->idem.hash);
	return axr_db_tx_run(db, AXR_DB_READ_COMMITTED, attempt_body, t, 0);
}

static int64_t count_tx(void)
{
	return econ_scalar(db, "SELECT count(*) FROM transaction");
}

static void test_a_transfer_between_existing_rows_completes_in_one_statement_with_its_key(void **state)
{
	(void)state;
	const char *coin = RESOURCE(), *a = OWNER(), *b = OWNER();
	attempt_t t;
	econ_resource(db, coin, axr_arena_printf(arena, "coin-%s", coin), true, 0, NULL);
	econ_mint(db, arena, a, coin, 100);
	econ_mint(db, arena, b, coin, 1);

	assert_int_equal(attempt(&t, a, b, coin, 40, "once-1"), 0);
	assert_true(t.done);
	assert_int_equal(t.answer.status, 201);
	assert_string_equal(economy_status_name(t.answer.tx.status), "COMPLETE");
	assert_string_equal(t.answer.tx.uid, t.tx.uid);
	assert_int_equal(t.answer.execution.failure, ECONOMY_FAIL_NONE);
	assert_int_equal(t.answer.execution.n_balances, 2);
	/* balances sorted by owner: a's uid sorts before b's (fresh uids grow) */
	assert_string_equal(t.answer.execution.balances[0].owner_uid, a);
	assert_int_equal(t.answer.execution.balances[0].delta, -40);
	assert_int_equal(t.answer.execution.balances[0].balance_after, 60);
	assert_int_equal(t.answer.execution.balances[0].item_version, 2);
	assert_int_equal(t.answer.execution.balances[1].delta, 40);
	assert_int_equal(t.answer.execution.balances[1].balance_after, 41);
	assert_int_equal(econ_balance(db, a, coin), 60);
	assert_int_equal(econ_balance(db, b, coin), 41);
	assert_int_equal(econ_scalar(db, "SELECT count(*) FROM ledger_entry WHERE transaction_uid = '%s'", t.tx.uid), 2);
	assert_int_equal(econ_scalar(db, "SELECT sum(delta) FROM ledger_entry WHERE transaction_uid = '%s'", t.tx.uid), 0);
	assert_int_equal(econ_scalar(db,
	                             "SELECT count(*) FROM ledger_entry WHERE transaction_uid = '%s' AND owner_uid = '%s'"
	                             " AND balance_after = 60",
	                             t.tx.uid, a),
	                 1);
	/* the key holds the answer the caller got, byte for byte */
	axr_db_result_t *r = NULL;
	const char *params[1] = {"once-1"};
	assert_int_equal(axr_db_exec(db, NULL,
	                             "SELECT response_status, response_body FROM idempotency_key WHERE idem_key = $1", 1,
	                             params, NULL, NULL, &r),
	                 0);
	assert_int_equal(axr_db_result_rows(r), 1);
	assert_string_equal(axr_db_result_text(r, 0, 0, NULL), "201");
	assert_string_equal(axr_db_result_text(r, 0, 1, NULL), t.answer.json);
	axr_db_result_free(r);
}

static void test_what_cannot_complete_at_once_writes_nothing_and_the_general_path_decides(void **state)
{
	(void)state;
	const char *coin = RESOURCE(), *badge = RESOURCE(), *ghost = RESOURCE(), *a = OWNER(), *b = OWNER(),
	           *fresh = OWNER();
	economy_answer_t ans;
	attempt_t t;
	econ_resource(db, coin, axr_arena_printf(arena, "coin-%s", coin), true, 0, NULL);
	econ_resource(db, badge, axr_arena_printf(arena, "badge-%s", badge), false, 0, NULL);
	econ_mint(db, arena, a, coin, 100);
	econ_mint(db, arena, b, coin, 5);
	econ_mint(db, arena, a, badge, 1);
	econ_mint(db, arena, b, badge, 1);
	int64_t before = count_tx();

	/* the recipient has no row yet */
	assert_int_equal(attempt(&t, a, fresh, coin, 10, "cannot-1"), 0);
	assert_false(t.done);
	/* an overdraft */
	assert_int_equal(attempt(&t, b, a, coin, 6, "cannot-2"), 0);
	assert_false(t.done);
	/* over the cap: b already holds its one badge */
	assert_int_equal(attempt(&t, a, b, badge, 1, "cannot-3"), 0);
	assert_false(t.done);
	/* a resource that does not exist */
	assert_int_equal(attempt(&t, a, b, ghost, 1, "cannot-4"), 0);
	assert_false(t.done);
	assert_int_equal(count_tx(), before);
	assert_int_equal(econ_scalar(db, "SELECT count(*) FROM idempotency_key WHERE idem_key LIKE 'cannot-%%'"), 0);
	assert_int_equal(econ_scalar(db, "SELECT count(*) FROM inventory_item WHERE owner_uid = '%s'", fresh), 0);
	assert_int_equal(econ_balance(db, a, coin), 100);
	assert_int_equal(econ_balance(db, b, coin), 5);

	/* economy_tx_create: the general path creates the row, or FAILs with the first reason */
	economy_line_t line = {.resource_uid = coin, .quantity = 10};
	economy_create_t in = {.from = a, .to = fresh, .lines = &line, .n_lines = 1, .idempotency_key = "cannot-1",
	                       .approval = {.has_from = true, .from = true, .has_to = true, .to = true}};
	econ_expect(0, economy_tx_create(db, arena, &admin, &in, &ans), &ans);
	assert_int_equal(ans.status, 201);
	assert_int_equal(econ_balance(db, fresh, coin), 10);
	in = (economy_create_t){.from = b, .to = a, .lines = &line, .n_lines = 1, .idempotency_key = "cannot-2",
	                        .approval = {.has_from = true, .from = true, .has_to = true, .to = true}};
	line.quantity = 6;
	econ_expect(0, economy_tx_create(db, arena, &admin, &in, &ans), &ans);
	assert_int_equal(ans.status, 409);
	assert_string_equal(ans.code, "INSUFFICIENT_FUNDS");
	line = (economy_line_t){.resource_uid = badge, .quantity = 1};
	in = (economy_create_t){.from = a, .to = b, .lines = &line, .n_lines = 1, .idempotency_key = "cannot-3",
	                        .approval = {.has_from = true, .from = true, .has_to = true, .to = true}};
	econ_expect(0, economy_tx_create(db, arena, &admin, &in, &ans), &ans);
	assert_int_equal(ans.status, 409);
	assert_string_equal(ans.code, "MAX_QUANTITY_EXCEEDED");
	line = (economy_line_t){.resource_uid = ghost, .quantity = 1};
	in.idempotency_key = "cannot-4";
	econ_expect(AXR_EINVAL, economy_tx_create(db, arena, &admin, &in, &ans), &ans);
	assert_string_equal(ans.code, "UNKNOWN_RESOURCE");
	assert_int_equal(count_tx(), before + 3);
}

static void test_a_key_already_taken_moves_nothing_and_the_create_replays_byte_for_byte(void **state)
{
	(void)state;
	const char *coin = RESOURCE(), *a = OWNER(), *b = OWNER();
	economy_answer_t first, again;
	attempt_t t;
	econ_resource(db, coin, axr_arena_printf(arena, "coin-%s", coin), true, 0, NULL);
	econ_mint(db, arena, a, coin, 100);
	econ_mint(db, arena, b, coin, 1);
	economy_line_t line = {.resource_uid = coin, .quantity = 7};
	economy_create_t in = {.from = a, .to = b, .lines = &line, .n_lines = 1, .idempotency_key = "taken-1",
	                       .approval = {.has_from = true, .from = true, .has_to = true, .to = true}};
	econ_expect(0, economy_tx_create(db, arena, &admin, &in, &first), &first);
	assert_int_equal(first.status, 201);
	assert_false(first.replayed);
	int64_t before = count_tx();

	assert_int_equal(attempt(&t, a, b, coin, 7, "taken-1"), AXR_EEXISTS);
	assert_string_equal(axr_db_last_error(db)->constraint, "idempotency_key_pkey");
	assert_int_equal(count_tx(), before);
	assert_int_equal(econ_balance(db, a, coin), 93);
	assert_int_equal(econ_balance(db, b, coin), 8);

	econ_expect(0, economy_tx_create(db, arena, &admin, &in, &again), &again);
	assert_true(again.replayed);
	assert_int_equal(again.status, 201);
	assert_string_equal(again.json, first.json);
	assert_int_equal(count_tx(), before);
	assert_int_equal(econ_balance(db, a, coin), 93);
}

/* A transfer on a connection of its own, for the lock-wait test. */
typedef struct waiter {
	const char *from, *to, *coin;
	int rc;
	economy_answer_t ans;
} waiter_t;

static void *waiter_run(void *p)
{
	waiter_t *w = p;
	axr_db_t *mine = NULL;
	axr_arena_t *a = axr_arena_new(0);
	economy_line_t line = {.resource_uid = w->coin, .quantity = 300};
	economy_create_t in = {.from = w->from, .to = w->to, .lines = &line, .n_lines = 1, .idempotency_key = "wait-1",
	                       .approval = {.has_from = true, .from = true, .has_to = true, .to = true}};
	w->rc = axr_db_new(econ_suite_db.url, NULL, &mine);
	if (w->rc == 0)
		w->rc = economy_tx_create(mine, a, &admin, &in, &w->ans);
	if (w->rc == 0)
		w->rc = w->ans.status;
	axr_db_free(mine);
	axr_arena_free(a);
	return NULL;
}

/*
 * The statement's snapshot is older than the row it locks: a credit that
 * committed while it waited covers the debit. It must see the locked
 * balance, not fail on the one of its snapshot (PostgreSQL checks CHECK
 * constraints on the row computed from the snapshot's version before it
 * re-reads the newer one).
 */
static void test_a_debit_covered_by_a_credit_committed_during_the_lock_wait_completes(void **state)
{
	(void)state;
	const char *coin = RESOURCE(), *a = OWNER(), *b = OWNER();
	axr_db_t *other = NULL;
	pthread_t thread;
	waiter_t w = {.coin = coin};
	econ_resource(db, coin, axr_arena_printf(arena, "coin-%s", coin), true, 0, NULL);
	econ_mint(db, arena, a, coin, 1);
	econ_mint(db, arena, b, coin, 1);
	w.from = a, w.to = b;

	assert_int_equal(axr_db_new(econ_suite_db.url, NULL, &other), 0);
	econ_sql(other, "BEGIN");
	char *credit = axr_arena_printf(arena,
	                                "UPDATE inventory_item SET quantity = quantity + 500 WHERE owner_uid = '%s'"
	                                " AND resource_uid = '%s'",
	                                a, coin);
	econ_sql(other, credit);
	assert_int_equal(pthread_create(&thread, NULL, waiter_run, &w), 0);
	/* until the transfer waits for the row lock (its snapshot taken: a holds 1 in it) */
	int64_t waiting = 0;
	for (int i = 0; i < 500 && waiting == 0; i++) {
		waiting = econ_scalar(db, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
		                          " AND wait_event_type = 'Lock'");
		if (waiting == 0)
			axr_test_sleep_ms(10);
	}
	econ_sql(other, "COMMIT");
	pthread_join(thread, NULL);
	axr_db_free(other);
	assert_int_equal(waiting, 1);
	if (w.rc != 201)
		print_error("transfer: %d (%s)\n", w.rc, w.rc < 0 ? axr_errname(w.rc) : "status");
	assert_int_equal(w.rc, 201);
	assert_int_equal(econ_balance(db, a, coin), 201);
	assert_int_equal(econ_balance(db, b, coin), 301);
	assert_int_equal(econ_scalar(db, "SELECT count(*) FROM inventory_item i FULL JOIN (SELECT owner_uid, resource_uid,"
	                                 " sum(delta) AS s FROM ledger_entry GROUP BY 1, 2) l USING (owner_uid, resource_uid)"
	                                 " WHERE i.resource_uid = '%s' AND i.quantity <> l.s",
	                             coin),
	                 1); /* a: the credit above bypassed the ledger on purpose; b matches */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_transfer_between_existing_rows_completes_in_one_statement_with_its_key),
		cmocka_unit_test(test_what_cannot_complete_at_once_writes_nothing_and_the_general_path_decides),
		cmocka_unit_test(test_a_key_already_taken_moves_nothing_and_the_create_replays_byte_for_byte),
		cmocka_unit_test(test_a_debit_covered_by_a_credit_committed_during_the_lock_wait_completes),
	};
	return cmocka_run_group_tests_name("economy one-statement transfer", tests, group_setup, econ_suite_teardown);
}
