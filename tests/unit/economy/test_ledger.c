/* test_ledger.c: the economy's ledger against real PostgreSQL: conservation under fire, idempotency, hostile amounts, caps, purchases. */
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "economy_fixture.h"
#include "idempotency.h"

#define OWNER() econ_fresh("0000aaaa-0000-4000-8000-")
#define RESOURCE() econ_fresh("0000eeee-0000-4000-8000-")

static int group_setup(void **state)
{
	(void)state;
	return econ_suite_setup("economy_ledger");
}

/* A currency named after its uid. */
static const char *currency(int64_t max_q)
{
	const char *uid = RESOURCE();
	econ_resource(db, uid, axr_arena_printf(arena, "c-%s", uid), true, max_q, NULL);
	return uid;
}

/* An admin's transfer, executed at once; returns the call's code. */
static int admin_transfer(const char *from, const char *to, const char *res, int64_t qty, economy_answer_t *ans)
{
	economy_line_t line = {.resource_uid = res, .quantity = qty};
	economy_create_t in = {.from = from, .to = to, .lines = &line, .n_lines = 1,
	                       .approval = {.has_from = true, .from = true, .has_to = true, .to = true}};
	return economy_tx_create(db, arena, &admin, &in, ans);
}

static int64_t tx_count(void)
{
	return econ_scalar(db, "SELECT count(*) FROM transaction");
}

static int64_t ledger_rows_of(const char *tx_uid)
{
	return econ_scalar(db, "SELECT count(*) FROM ledger_entry WHERE transaction_uid = '%s'", tx_uid);
}

static void test_uids_are_canonical_and_random_ones_are_v4(void **state)
{
	(void)state;
	char out[ECONOMY_UID_SIZE], again[ECONOMY_UID_SIZE];
	assert_int_equal(economy_uid_canonical("ABCDEF01-2345-4678-89AB-CDEF01234567", out), 0);
	assert_string_equal(out, "abcdef01-2345-4678-89ab-cdef01234567");
	assert_int_equal(economy_uid_canonical("abcdef01-2345-4678-89ab-cdef0123456", out), AXR_EINVAL);
	assert_int_equal(economy_uid_canonical("abcdef01x2345-4678-89ab-cdef01234567", out), AXR_EINVAL);
	assert_int_equal(economy_uid_canonical("ghcdef01-2345-4678-89ab-cdef01234567", out), AXR_EINVAL);
	assert_int_equal(economy_uid_canonical("abcdef01-2345-4678-89ab-cdef01234567'", out), AXR_EINVAL);
	assert_int_equal(economy_uid_canonical(NULL, out), AXR_EINVAL);
	assert_int_equal(economy_uid_random(out), 0);
	assert_int_equal(economy_uid_random(again), 0);
	assert_int_equal(economy_uid_canonical(out, again), 0);
	assert_string_equal(out, again); /* already canonical */
	assert_int_equal(out[14], '4');
	assert_non_null(strchr("89ab", out[19]));
	economy_tx_status_t st;
	assert_int_equal(economy_status_parse("CANCELLED", &st), 0);
	assert_int_equal(st, ECONOMY_TX_CANCELLED);
	assert_int_equal(economy_status_parse("cancelled", &st), AXR_EINVAL);
	assert_string_equal(economy_failure_name(ECONOMY_FAIL_MAX_QUANTITY), "MAX_QUANTITY_EXCEEDED");
	assert_null(economy_failure_name(ECONOMY_FAIL_NONE));
	assert_true(economy_idem_key_valid("k"));
	assert_false(economy_idem_key_valid(""));
	assert_false(economy_idem_key_valid("has space"));
	char key[300];
	memset(key, 'k', sizeof key);
	key[255] = '\0';
	assert_true(economy_idem_key_valid(key));
	key[255] = 'k';
	key[256] = '\0';
	assert_false(economy_idem_key_valid(key));
}

static void test_schema_check_accepts_the_tables_and_names_a_missing_column(void **state)
{
	(void)state;
	char why[512];
	assert_int_equal(economy_schema_check(db, why, sizeof why), 0);
	/* The migration is recorded: a second start applies nothing. */
	axr_migrate_options_t mo = {.service = "economy", .dir = "migrations/economy"};
	axr_migrate_report_t report;
	assert_int_equal(axr_migrate_url(econ_suite_db.url, &mo, &report), 0);
	assert_int_equal(report.files_applied, 0);
	econ_sql(db, "BEGIN");
	econ_sql(db, "ALTER TABLE inventory_item RENAME COLUMN quantity TO qty");
	econ_sql(db, "ALTER TABLE transaction ALTER COLUMN \"from\" TYPE text");
	assert_int_equal(economy_schema_check(db, why, sizeof why), AXR_ECONFIG);
	econ_sql(db, "ROLLBACK");
	if (strstr(why, "missing column inventory_item.quantity (bigint)") == NULL ||
	    strstr(why, "column transaction.from is text, not uuid") == NULL)
		print_error("check said: %s\n", why);
	assert_non_null(strstr(why, "missing column inventory_item.quantity (bigint)"));
	assert_non_null(strstr(why, "column transaction.from is text, not uuid"));
	assert_int_equal(economy_schema_check(db, why, sizeof why), 0);
}

static void test_admin_transfer_moves_value_and_writes_the_ledger(void **state)
{
	(void)state;
	const char *coin = currency(0), *a = OWNER(), *b = OWNER();
	economy_answer_t ans;
	econ_mint(db, arena, a, coin, 100);
	econ_expect(0, admin_transfer(a, b, coin, 30, &ans), &ans);
	assert_int_equal(ans.status, 201);
	assert_int_equal(ans.tx.status, ECONOMY_TX_COMPLETE);
	assert_int_equal(ans.tx.kind, ECONOMY_KIND_TRANSFER);
	assert_string_equal(ans.tx.from, a);
	assert_string_equal(ans.tx.to, b);
	assert_string_equal(ans.tx.created_by, ECON_ADMIN);
	assert_int_equal(ans.tx.version, 0);
	assert_false(ans.replayed);
	assert_int_equal(econ_balance(db, a, coin), 70);
	assert_int_equal(econ_balance(db, b, coin), 30);
	/* What moved, sorted by owner: a < b. */
	assert_int_equal(ans.execution.n_balances, 2);
	assert_string_equal(ans.execution.balances[0].owner_uid, a);
	assert_int_equal(ans.execution.balances[0].delta, -30);
	assert_int_equal(ans.execution.balances[0].balance_after, 70);
	assert_int_equal(ans.execution.balances[1].delta, 30);
	assert_int_equal(ans.execution.balances[1].balance_after, 30);
	/* The ledger: a's statement of account reads +100, -30. */
	economy_ledger_entry_t *e = NULL;
	size_t n = 0;
	assert_int_equal(economy_ledger_entries(db, arena, a, coin, 0, 10, &e, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].delta, 100);
	assert_int_equal(e[0].balance_after, 100);
	assert_int_equal(e[1].delta, -30);
	assert_int_equal(e[1].balance_after, 70);
	assert_string_equal(e[1].transaction_uid, ans.tx.uid);
	assert_true(e[1].id > e[0].id);
	assert_int_equal(economy_ledger_entries(db, arena, a, NULL, e[0].id, 10, &e, &n), 0);
	assert_int_equal(n, 1); /* paging by id */
	/* The snapshot parses back into the same transaction. */
	economy_tx_t again;
	assert_int_equal(economy_tx_parse(arena, ans.json, &again), 0);
	assert_string_equal(again.uid, ans.tx.uid);
	assert_int_equal(again.lines[0].quantity, 30);
	assert_int_equal(again.lines[0].giver, ECONOMY_GIVER_FROM);
	assert_non_null(strstr(ans.json, "\"dateCreated\": \""));
	assert_null(strstr(ans.json, "failureCode"));
}

static void test_overdraft_fails_moves_nothing_and_records_why(void **state)
{
	(void)state;
	const char *coin = currency(0), *a = OWNER(), *b = OWNER();
	economy_answer_t ans;
	econ_mint(db, arena, a, coin, 10);
	econ_expect(0, admin_transfer(a, b, coin, 11, &ans), &ans);
	assert_int_equal(ans.status, 409);
	assert_int_equal(ans.tx.status, ECONOMY_TX_FAILED);
	assert_int_equal(ans.tx.failure, ECONOMY_FAIL_INSUFFICIENT_FUNDS);
	assert_string_equal(ans.code, "INSUFFICIENT_FUNDS");
	assert_non_null(strstr(ans.tx.failure_reason, "has 10"));
	assert_non_null(strstr(ans.tx.failure_reason, "needs 11"));
	assert_int_equal(econ_balance(db, a, coin), 10);
	assert_int_equal(econ_balance(db, b, coin), 0);
	assert_int_equal(ledger_rows_of(ans.tx.uid), 0);
	/* No empty inventory row is left behind for the would-be recipient. */
	assert_int_equal(econ_scalar(db, "SELECT count(*) FROM inventory_item WHERE owner_uid = '%s'", b), 0);
	assert_int_equal(econ_scalar(db, "SELECT count(*) FROM transaction WHERE uid = '%s' AND status = 'FAILED'"
	                                 " AND failure_code = 'INSUFFICIENT_FUNDS'", ans.tx.uid), 1);
	/* Exactly the balance is fine. */
	econ_expect(0, admin_transfer(a, b, coin, 10, &ans), &ans);
	assert_int_equal(ans.tx.status, ECONOMY_TX_COMPLETE);
	assert_int_equal(econ_balance(db, a, coin), 0);
	assert_int_equal(econ_balance(db, b, coin), 10);
}

static void test_hostile_amounts_are_rejected_and_change_nothing(void **state)
{
	(void)state;
	const char *coin = currency(0), *a = OWNER(), *b = OWNER();
	economy_answer_t ans;
	econ_mint(db, arena, a, coin, 1000);
	econ_mint(db, arena, b, coin, 1000);
	int64_t before = tx_count();

	econ_expect(AXR_EINVAL, admin_transfer(a, b, coin, 0, &ans), &ans);
	assert_string_equal(ans.problem.path, "/resources/0/quantity");
	econ_expect(AXR_EINVAL, admin_transfer(a, b, coin, -1, &ans), &ans);
	assert_string_equal(ans.problem.path, "/resources/0/quantity");
	econ_expect(AXR_EINVAL, admin_transfer(a, b, coin, INT64_MIN, &ans), &ans);
	/* Two lines of INT64_MAX cannot even be added up. */
	economy_line_t two[2] = {{.resource_uid = coin, .quantity = INT64_MAX}, {.resource_uid = coin, .quantity = 1}};
	economy_create_t in = {.from = a, .to = b, .lines = two, .n_lines = 2,
	                       .approval = {.has_from = true, .from = true, .has_to = true, .to = true}};
	econ_expect(AXR_EINVAL, economy_tx_create(db, arena, &admin, &in, &ans), &ans);
	assert_string_equal(ans.problem.path, "/resources/1/quantity");
	/* A resource uid that is not one, a resource that does not exist. */
	economy_line_t bad = {.resource_uid = "coin'; DROP TABLE resource; --", .quantity = 1};
	in.lines = &bad;
	in.n_lines = 1;
	econ_expect(AXR_EINVAL, economy_tx_create(db, arena, &admin, &in, &ans), &ans);
	assert_string_equal(ans.problem.path, "/resources/0/resourceUid");
	bad.resource_uid = RESOURCE();
	econ_expect(AXR_EINVAL, economy_tx_create(db, arena, &admin, &in, &ans), &ans);
	assert_string_equal(ans.code, "UNKNOWN_RESOURCE");
	/* Lines that cancel out, too many lines, a bad giver. */
	economy_line_t back[2] = {{.resource_uid = coin, .quantity = 5},
	                          {.resource_uid = coin, .quantity = 5, .giver = ECONOMY_GIVER_TO}};
	in.lines = back;
	in.n_lines = 2;
	econ_expect(AXR_EINVAL, economy_tx_create(db, arena, &admin, &in, &ans), &ans);
	assert_string_equal(ans.problem.path, "/resources");
	in.n_lines = ECONOMY_MAX_LINES + 1;
	econ_expect(AXR_EINVAL, economy_tx_create(db, arena, &admin, &in, &ans), &ans);
	back[1].giver = (economy_giver_t)7;
	in.n_lines = 2;
	econ_expect(AXR_EINVAL, economy_tx_create(db, arena, &admin, &in, &ans), &ans);
	assert_string_equal(ans.problem.path, "/resources/1/giver");
	/* from == to, no party at all. */
	econ_expect(AXR_EINVAL, admin_transfer(a, a, coin, 1, &ans), &ans);
	assert_string_equal(ans.problem.path, "/to");
	econ_expect(AXR_EINVAL, admin_transfer(NULL, NULL, coin, 1, &ans), &ans);
	assert_int_equal(tx_count(), before);

	/* INT64_MAX credited on top of 1000: FAILED, never wraps. */
	econ_expect(0, admin_transfer(NULL, b, coin, INT64_MAX, &ans), &ans);
	assert_int_equal(ans.status, 409);
	assert_int_equal(ans.tx.failure, ECONOMY_FAIL_OVERFLOW);
	assert_int_equal(ans.tx.kind, ECONOMY_KIND_MINT);
	assert_int_equal(ledger_rows_of(ans.tx.uid), 0);
	/* ... and as a transfer: b holds 1000, so INT64_MAX - 999 more is one too many. */
	econ_mint(db, arena, a, coin, INT64_MAX - 1000);
	assert_int_equal(econ_balance(db, a, coin), INT64_MAX);
	econ_expect(0, admin_transfer(a, b, coin, INT64_MAX - 999, &ans), &ans);
	assert_int_equal(ans.status, 409);
	assert_int_equal(ans.tx.failure, ECONOMY_FAIL_OVERFLOW);
	assert_int_equal(econ_balance(db, a, coin), INT64_MAX);
	assert_int_equal(econ_balance(db, b, coin), 1000);
	econ_expect(0, admin_transfer(a, b, coin, INT64_MAX - 1000, &ans), &ans); /* exactly INT64_MAX fits */
	assert_int_equal(ans.tx.status, ECONOMY_TX_COMPLETE);
	assert_int_equal(econ_balance(db, b, coin), INT64_MAX);
	econ_expect(0, admin_transfer(NULL, b, coin, 1, &ans), &ans);
	assert_int_equal(ans.tx.failure, ECONOMY_FAIL_OVERFLOW);
	assert_int_equal(econ_balance(db, b, coin), INT64_MAX);
	assert_int_equal(econ_balance(db, a, coin), 1000);
}

static void test_max_quantity_and_unstackable_resources_cap_credits(void **state)
{
	(void)state;
	const char *gem = currency(10), *sword = RESOURCE(), *a = OWNER(), *b = OWNER();
	economy_answer_t ans;
	econ_resource(db, sword, "sword-unique", false, 0, NULL);
	econ_mint(db, arena, a, gem, 10);
	econ_mint(db, arena, b, gem, 8);
	econ_expect(0, admin_transfer(a, b, gem, 3, &ans), &ans);
	assert_int_equal(ans.status, 409);
	assert_int_equal(ans.tx.failure, ECONOMY_FAIL_MAX_QUANTITY);
	assert_non_null(strstr(ans.tx.failure_reason, "would hold 11"));
	assert_int_equal(econ_balance(db, a, gem), 10);
	assert_int_equal(econ_balance(db, b, gem), 8);
	econ_expect(0, admin_transfer(a, b, gem, 2, &ans), &ans);
	assert_int_equal(ans.tx.status, ECONOMY_TX_COMPLETE);
	econ_expect(0, admin_transfer(NULL, a, gem, 11, &ans), &ans);
	assert_int_equal(ans.tx.failure, ECONOMY_FAIL_MAX_QUANTITY);
	/* Not stackable: one per owner. */
	econ_expect(0, admin_transfer(NULL, a, sword, 2, &ans), &ans);
	assert_int_equal(ans.tx.failure, ECONOMY_FAIL_MAX_QUANTITY);
	econ_mint(db, arena, a, sword, 1);
	econ_expect(0, admin_transfer(NULL, a, sword, 1, &ans), &ans);
	assert_int_equal(ans.tx.failure, ECONOMY_FAIL_MAX_QUANTITY);
	econ_expect(0, admin_transfer(a, b, sword, 1, &ans), &ans);
	assert_int_equal(ans.tx.status, ECONOMY_TX_COMPLETE);
	assert_int_equal(econ_balance(db, a, sword), 0);
	assert_int_equal(econ_balance(db, b, sword), 1);
	/* A burn is never capped, and takes what is there. */
	econ_expect(0, admin_transfer(b, NULL, gem, 10, &ans), &ans);
	assert_int_equal(ans.tx.kind, ECONOMY_KIND_BURN);
	assert_int_equal(ans.tx.status, ECONOMY_TX_COMPLETE);
	assert_int_equal(econ_balance(db, b, gem), 0);
}

static void test_trade_swaps_both_sides_in_one_transaction(void **state)
{
	(void)state;
	const char *coin = currency(0), *gem = currency(0), *a = OWNER(), *b = OWNER();
	economy_answer_t ans;
	econ_mint(db, arena, a, coin, 50);
	econ_mint(db, arena, b, gem, 2);
	economy_line_t lines[2] = {{.resource_uid = coin, .quantity = 40},
	                           {.resource_uid = gem, .quantity = 3, .giver = ECONOMY_GIVER_TO}};
	economy_create_t in = {.from = a, .to = b, .lines = lines, .n_lines = 2,
	                       .approval = {.has_from = true, .from = true, .has_to = true, .to = true}};
	econ_expect(0, economy_tx_create(db, arena, &admin, &in, &ans), &ans);
	assert_int_equal(ans.tx.failure, ECONOMY_FAIL_INSUFFICIENT_FUNDS); /* b has 2 gems, not 3 */
	assert_int_equal(econ_balance(db, a, coin), 50);                  /* a's half did not move either */
	assert_int_equal(econ_balance(db, b, coin), 0);
	lines[1].quantity = 2;
	econ_expect(0, economy_tx_create(db, arena, &admin, &in, &ans), &ans);
	assert_int_equal(ans.tx.status, ECONOMY_TX_COMPLETE);
	assert_int_equal(econ_balance(db, a, coin), 10);
	assert_int_equal(econ_balance(db, b, coin), 40);
	assert_int_equal(econ_balance(db, a, gem), 2);
	assert_int_equal(econ_balance(db, b, gem), 0);
	assert_int_equal(ledger_rows_of(ans.tx.uid), 4);
	assert_int_equal(econ_scalar(db, "SELECT sum(delta) FROM ledger_entry WHERE transaction_uid = '%s'", ans.tx.uid),
	                 0);
}

static int purchase(const char *buyer, const char *id, int64_t qty, const char *key, economy_answer_t *ans)
{
	economy_caller_t caller = {.uid = buyer};
	economy_purchase_t in = {.resource_id = id, .quantity = qty, .idempotency_key = key};
	return economy_purchase(db, arena, &caller, &in, ans);
}

static void test_purchase_pays_the_cost_and_grants_atomically(void **state)
{
	(void)state;
	const char *gold = currency(0), *gem = currency(0), *potion = RESOURCE(), *buyer = OWNER();
	economy_answer_t ans, again;
	econ_resource(db, potion, "potion", true, 3,
	              axr_arena_printf(arena, "[{\"resourceUid\": \"%s\", \"quantity\": 30},"
	                                      " {\"resourceUid\": \"%s\", \"quantity\": 2}]", gold, gem));
	econ_mint(db, arena, buyer, gold, 100);
	econ_mint(db, arena, buyer, gem, 1);

	/* Not enough gems: nothing is paid, nothing granted. */
	econ_expect(0, purchase(buyer, potion, 1, "buy-1", &ans), &ans);
	assert_int_equal(ans.status, 409);
	assert_int_equal(ans.tx.kind, ECONOMY_KIND_PURCHASE);
	assert_int_equal(ans.tx.failure, ECONOMY_FAIL_INSUFFICIENT_FUNDS);
	assert_int_equal(econ_balance(db, buyer, gold), 100);
	assert_int_equal(econ_balance(db, buyer, gem), 1);
	assert_int_equal(econ_balance(db, buyer, potion), 0);

	econ_mint(db, arena, buyer, gem, 5);
	econ_expect(0, purchase(buyer, "potion", 2, "buy-2", &ans), &ans); /* by name */
	assert_int_equal(ans.status, 201);
	assert_int_equal(ans.tx.status, ECONOMY_TX_COMPLETE);
	assert_string_equal(ans.tx.from, buyer);
	assert_null(ans.tx.to);
	assert_int_equal(ans.tx.n_lines, 3);
	assert_int_equal(ans.tx.lines[0].quantity, 60);
	assert_int_equal(ans.tx.lines[2].giver, ECONOMY_GIVER_TO);
	assert_int_equal(econ_balance(db, buyer, gold), 40);
	assert_int_equal(econ_balance(db, buyer, gem), 2);
	assert_int_equal(econ_balance(db, buyer, potion), 2);
	assert_int_equal(ledger_rows_of(ans.tx.uid), 3);

	/* The same key again: the original answer, nothing paid twice. */
	econ_expect(0, purchase(buyer, "potion", 2, "buy-2", &again), &again);
	assert_true(again.replayed);
	assert_string_equal(again.tx.uid, ans.tx.uid);
	assert_string_equal(again.json, ans.json);
	assert_int_equal(econ_balance(db, buyer, gold), 40);
	econ_expect(AXR_EUNPROCESSABLE, purchase(buyer, "potion", 1, "buy-2", &again), &again);

	/* maxQuantity 3: a third and fourth potion do not fit; the cost stays. */
	econ_mint(db, arena, buyer, gold, 100);
	econ_mint(db, arena, buyer, gem, 10);
	econ_expect(0, purchase(buyer, potion, 2, "buy-3", &ans), &ans);
	assert_int_equal(ans.tx.failure, ECONOMY_FAIL_MAX_QUANTITY);
	assert_int_equal(econ_balance(db, buyer, gold), 140);
	assert_int_equal(econ_balance(db, buyer, potion), 2);

	/* Not for sale, unknown, price overflow, missing key, bad quantity. */
	econ_expect(AXR_ECONFLICT, purchase(buyer, gold, 1, "buy-4", &ans), &ans);
	assert_string_equal(ans.code, "NOT_FOR_SALE");
	econ_expect(AXR_ENOTFOUND, purchase(buyer, "no-such-thing", 1, "buy-5", &ans), &ans);
	econ_expect(AXR_ENOTFOUND, purchase(buyer, RESOURCE(), 1, "buy-5", &ans), &ans);
	econ_expect(AXR_EINVAL, purchase(buyer, potion, INT64_MAX / 2, "buy-6", &ans), &ans);
	assert_string_equal(ans.code, "PRICE_OVERFLOW");
	assert_string_equal(ans.problem.path, "/quantity");
	econ_expect(AXR_EINVAL, purchase(buyer, potion, 1, NULL, &ans), &ans);
	assert_string_equal(ans.code, "IDEMPOTENCY_KEY_REQUIRED");
	econ_expect(AXR_EINVAL, purchase(buyer, potion, 0, "buy-7", &ans), &ans);
	assert_int_equal(econ_balance(db, buyer, gold), 140);
	assert_int_equal(econ_balance(db, buyer, potion), 2);
}

static int gift(const char *from, const char *to, const char *res, int64_t qty, const char *key,
                economy_answer_t *ans)
{
	economy_caller_t me = {.uid = from};
	economy_line_t line = {.resource_uid = res, .quantity = qty};
	economy_create_t in = {.from = from, .to = to, .lines = &line, .n_lines = 1, .idempotency_key = key};
	return economy_tx_create(db, arena, &me, &in, ans);
}

static void test_idempotency_key_replays_the_first_answer_and_refuses_another_request(void **state)
{
	(void)state;
	const char *coin = currency(0), *a = OWNER(), *b = OWNER(), *c = OWNER();
	economy_answer_t first, again;
	econ_mint(db, arena, a, coin, 10);
	int64_t before = tx_count();
	econ_expect(AXR_EINVAL, gift(a, b, coin, 1, NULL, &first), &first);
	assert_string_equal(first.code, "IDEMPOTENCY_KEY_REQUIRED");
	econ_expect(AXR_EINVAL, gift(a, b, coin, 1, "bad key", &first), &first);

	econ_expect(0, gift(a, b, coin, 4, "k1", &first), &first);
	assert_int_equal(first.status, 201);
	assert_int_equal(first.tx.status, ECONOMY_TX_PENDING);
	assert_false(first.replayed);
	econ_expect(0, gift(a, b, coin, 4, "k1", &again), &again);
	assert_true(again.replayed);
	assert_int_equal(again.status, 201);
	assert_string_equal(again.tx.uid, first.tx.uid);
	assert_string_equal(again.json, first.json);
	assert_int_equal(tx_count(), before + 1);
	/* Same key, another request: 422 and nothing written. */
	econ_expect(AXR_EUNPROCESSABLE, gift(a, b, coin, 5, "k1", &again), &again);
	assert_string_equal(again.code, "IDEMPOTENCY_KEY_REUSED");
	econ_expect(AXR_EUNPROCESSABLE, gift(a, c, coin, 4, "k1", &again), &again);
	assert_int_equal(tx_count(), before + 1);
	/* Keys belong to their caller: b may use "k1" too. */
	econ_mint(db, arena, b, coin, 1);
	before = tx_count() - 1;
	econ_expect(0, gift(b, a, coin, 1, "k1", &again), &again);
	assert_false(again.replayed);
	assert_int_equal(tx_count(), before + 2);
	/* A stored FAILED answer replays as 409 with its reason (admin with a key). */
	economy_line_t line = {.resource_uid = coin, .quantity = 1000};
	economy_create_t in = {.from = a, .to = b, .lines = &line, .n_lines = 1, .idempotency_key = "k-fail",
	                       .approval = {.has_from = true, .from = true, .has_to = true, .to = true}};
	econ_expect(0, economy_tx_create(db, arena, &admin, &in, &first), &first);
	assert_int_equal(first.status, 409);
	econ_mint(db, arena, a, coin, 5000); /* funds arrive: the replay still says what happened then */
	econ_expect(0, economy_tx_create(db, arena, &admin, &in, &again), &again);
	assert_true(again.replayed);
	assert_int_equal(again.status, 409);
	assert_string_equal(again.code, "INSUFFICIENT_FUNDS");
	assert_string_equal(again.tx.uid, first.tx.uid);
	/* Purged keys are forgotten. */
	int64_t deleted = -1;
	assert_int_equal(economy_idem_purge(db, 3600, &deleted), 0);
	assert_int_equal(deleted, 0);
	econ_sql(db, "UPDATE idempotency_key SET date_created = now() - interval '2 hours' WHERE idem_key = 'k-fail'");
	assert_int_equal(economy_idem_purge(db, 3600, &deleted), 0);
	assert_int_equal(deleted, 1);
	econ_expect(0, economy_tx_create(db, arena, &admin, &in, &again), &again);
	assert_false(again.replayed);
	assert_int_equal(again.status, 201);
}

/* ---- concurrency ------------------------------------------------------------------------------ */

typedef struct dup_worker {
	pthread_t thread;
	pthread_barrier_t *start;
	const char *url, *from, *to, *coin;
	int rc;
	int status;
	bool replayed;
	char uid[ECONOMY_UID_SIZE];
	char json[4096];
} dup_worker_t;

static void *dup_run(void *p)
{
	dup_worker_t *w = p;
	axr_db_t *mydb = NULL;
	axr_arena_t *a = axr_arena_new(0);
	economy_answer_t ans;
	economy_line_t line = {.resource_uid = w->coin, .quantity = 5};
	economy_create_t in = {.from = w->from, .to = w->to, .lines = &line, .n_lines = 1, .idempotency_key = "same-20",
	                       .approval = {.has_from = true, .from = true, .has_to = true, .to = true}};
	w->rc = axr_db_new(w->url, NULL, &mydb);
	if (w->rc == 0)
		w->rc = axr_db_connect(mydb);
	pthread_barrier_wait(w->start);
	if (w->rc == 0)
		w->rc = economy_tx_create(mydb, a, &admin, &in, &ans);
	if (w->rc == 0) {
		w->status = ans.status;
		w->replayed = ans.replayed;
		snprintf(w->uid, sizeof w->uid, "%s", ans.tx.uid);
		snprintf(w->json, sizeof w->json, "%s", ans.json);
	}
	axr_db_free(mydb);
	axr_arena_free(a);
	return NULL;
}

static void test_same_key_sent_20_times_at_once_makes_one_transaction(void **state)
{
	(void)state;
	enum { N = 20 };
	const char *coin = currency(0), *a = OWNER(), *b = OWNER();
	dup_worker_t w[N];
	pthread_barrier_t start;
	int fresh_answers = 0;

	econ_mint(db, arena, a, coin, 100);
	pthread_barrier_init(&start, NULL, N);
	for (int i = 0; i < N; i++) {
		w[i] = (dup_worker_t){.start = &start, .url = econ_suite_db.url, .from = a, .to = b, .coin = coin};
		assert_int_equal(pthread_create(&w[i].thread, NULL, dup_run, &w[i]), 0);
	}
	for (int i = 0; i < N; i++)
		pthread_join(w[i].thread, NULL);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < N; i++) {
		if (w[i].rc != 0)
			print_error("worker %d: %s\n", i, axr_errname(w[i].rc));
		assert_int_equal(w[i].rc, 0);
		assert_int_equal(w[i].status, 201);
		assert_string_equal(w[i].uid, w[0].uid);
		assert_string_equal(w[i].json, w[0].json);
		fresh_answers += !w[i].replayed;
	}
	assert_int_equal(fresh_answers, 1);
	assert_int_equal(econ_scalar(db, "SELECT count(*) FROM transaction WHERE \"from\" = '%s' AND \"to\" = '%s'", a, b),
	                 1);
	assert_int_equal(econ_balance(db, a, coin), 95);
	assert_int_equal(econ_balance(db, b, coin), 5);
	assert_int_equal(ledger_rows_of(w[0].uid), 2);
}

static void test_ledger_is_append_only(void **state)
{
	(void)state;
	const char *coin = currency(0), *a = OWNER();
	econ_mint(db, arena, a, coin, 7);
	int rc = axr_db_exec(db, NULL, "UPDATE ledger_entry SET delta = 1000 WHERE delta = 7", 0, NULL, NULL, NULL, NULL);
	assert_int_equal(rc, AXR_ECONFLICT);
	assert_non_null(strstr(axr_db_last_error(db)->message, "append-only"));
	rc = axr_db_exec(db, NULL, "DELETE FROM ledger_entry", 0, NULL, NULL, NULL, NULL);
	assert_int_equal(rc, AXR_ECONFLICT);
	assert_int_equal(econ_scalar(db, "SELECT sum(delta) FROM ledger_entry WHERE owner_uid = '%s'", a), 7);
}

/* ---- conservation under fire ------------------------------------------------------------------ */

enum { FIRE_OWNERS = 100, FIRE_START = 1000, FIRE_MAX_THREADS = 256 };

/* The size of the fire: 16 threads x 5000 operations, or what
 * AXR_ECONOMY_FIRE_THREADS / AXR_ECONOMY_FIRE_OPS say (make bench runs it larger). */
static int fire_setting(const char *name, int dflt, int max)
{
	const char *v = getenv(name);
	int n = v ? atoi(v) : 0;
	return n >= 1 && n <= max ? n : dflt;
}

typedef struct fire_worker {
	pthread_t thread;
	pthread_barrier_t *start;
	const char *url, *coin;
	char (*owners)[ECONOMY_UID_SIZE];
	int index, ops;
	uint64_t rng;
	/* tallies */
	int complete, failed, rejected, pending_left, replays_checked, unexpected;
	char first_error[200];
} fire_worker_t;

static uint64_t fire_rand(fire_worker_t *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

static void fire_unexpected(fire_worker_t *w, const char *what, int rc, const economy_answer_t *ans)
{
	if (w->unexpected++ == 0)
		snprintf(w->first_error, sizeof w->first_error, "%s: %s (%s %s)", what, axr_errname(rc),
		         ans->code ? ans->code : "-", ans->problem.message);
}

static void fire_tally(fire_worker_t *w, const economy_answer_t *ans)
{
	if (ans->tx.status == ECONOMY_TX_COMPLETE)
		w->complete++;
	else if (ans->tx.status == ECONOMY_TX_FAILED)
		w->failed++;
	else
		w->pending_left++;
}

/* One random operation: an admin's immediate transfer, or a player's gift the
 * recipient then approves; some are self-transfers, overdrafts, or between a
 * hot pair in both directions at once; some are replayed. */
static void fire_one(fire_worker_t *w, axr_db_t *mydb, axr_arena_t *a, int op)
{
	economy_answer_t ans, again;
	uint64_t r = fire_rand(w);
	int from = (int)(r % FIRE_OWNERS), to = (int)((r >> 8) % FIRE_OWNERS);
	unsigned kind = (unsigned)((r >> 16) % 100);
	int64_t qty = (int64_t)((r >> 24) % 300) + 1;
	char key[64];
	int rc;

	if (kind < 10)
		to = from; /* self-transfer */
	else if (kind < 30) {
		from = (int)((r >> 32) % 4); /* hot pair: 0<->1, 2<->3, both ways */
		to = from ^ 1;
	}
	if ((r >> 40) % 10 == 0)
		qty += 2 * FIRE_START; /* overdraft */
	snprintf(key, sizeof key, "fire-%d-%d", w->index, op);
	economy_line_t line = {.resource_uid = w->coin, .quantity = qty};
	economy_create_t in = {.from = w->owners[from], .to = w->owners[to], .lines = &line, .n_lines = 1,
	                       .idempotency_key = key};
	bool by_admin = (r >> 48) % 10 < 6;
	economy_caller_t caller = {.uid = by_admin ? ECON_ADMIN : w->owners[from], .trusted = by_admin};
	if (by_admin)
		in.approval = (economy_approval_t){.has_from = true, .from = true, .has_to = true, .to = true};

	rc = economy_tx_create(mydb, a, &caller, &in, &ans);
	if (from == to) {
		if (rc == AXR_EINVAL)
			w->rejected++;
		else
			fire_unexpected(w, "self-transfer", rc, &ans);
		return;
	}
	if (rc != 0)
		{
		fire_unexpected(w, "create", rc, &ans);
		return;
	}
	if ((r >> 56) % 20 == 0) { /* a retry of the same request */
		rc = economy_tx_create(mydb, a, &caller, &in, &again);
		if (rc != 0 || !again.replayed || strcmp(again.json, ans.json) != 0 || again.status != ans.status)
			{
		fire_unexpected(w, "replay", rc, &again);
		return;
	}
		w->replays_checked++;
	}
	if (!by_admin) { /* the recipient approves */
		economy_caller_t rcpt = {.uid = w->owners[to]};
		economy_update_t up = {.uid = ans.tx.uid, .version = ans.tx.version,
		                       .approval = {.has_to = true, .to = true}};
		rc = economy_tx_update(mydb, a, &rcpt, &up, &ans);
		if (rc != 0)
			{
		fire_unexpected(w, "approve", rc, &ans);
		return;
	}
	}
	fire_tally(w, &ans);
}

static void *fire_run(void *p)
{
	fire_worker_t *w = p;
	axr_db_t *mydb = NULL;
	axr_arena_t *a = axr_arena_new(0);
	int rc = axr_db_new(w->url, NULL, &mydb);
	if (rc == 0)
		rc = axr_db_connect(mydb);
	pthread_barrier_wait(w->start);
	for (int op = 0; op < w->ops && rc == 0; op++) {
		fire_one(w, mydb, a, op);
		axr_arena_reset(a);
	}
	if (rc != 0) {
		w->unexpected++;
		snprintf(w->first_error, sizeof w->first_error, "connect: %s", axr_errname(rc));
	}
	axr_db_free(mydb);
	axr_arena_free(a);
	return NULL;
}

static void test_conservation_under_fire(void **state)
{
	(void)state;
	const char *coin = currency(0);
	static char owners[FIRE_OWNERS][ECONOMY_UID_SIZE];
	static fire_worker_t w[FIRE_MAX_THREADS];
	const int FIRE_THREADS = fire_setting("AXR_ECONOMY_FIRE_THREADS", 16, FIRE_MAX_THREADS);
	const int FIRE_OPS = fire_setting("AXR_ECONOMY_FIRE_OPS", 5000, 10000000);
	pthread_barrier_t start;
	int complete = 0, failed = 0, rejected = 0, pending = 0, replays = 0, unexpected = 0;

	for (int i = 0; i < FIRE_OWNERS; i++) {
		econ_uid(owners[i], "f1e00000-0000-4000-8000-", (unsigned)i);
		econ_mint(db, arena, owners[i], coin, FIRE_START);
	}
	pthread_barrier_init(&start, NULL, FIRE_THREADS + 1);
	for (int i = 0; i < FIRE_THREADS; i++) {
		w[i] = (fire_worker_t){.start = &start, .url = econ_suite_db.url, .coin = coin, .owners = owners, .index = i,
		                       .ops = FIRE_OPS / FIRE_THREADS + (i < FIRE_OPS % FIRE_THREADS),
		                       .rng = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1)};
		assert_int_equal(pthread_create(&w[i].thread, NULL, fire_run, &w[i]), 0);
	}
	pthread_barrier_wait(&start);
	double t0 = axr_test_now_s();
	for (int i = 0; i < FIRE_THREADS; i++)
		pthread_join(w[i].thread, NULL);
	double elapsed = axr_test_now_s() - t0;
	pthread_barrier_destroy(&start);
	for (int i = 0; i < FIRE_THREADS; i++) {
		complete += w[i].complete, failed += w[i].failed, rejected += w[i].rejected;
		pending += w[i].pending_left, replays += w[i].replays_checked, unexpected += w[i].unexpected;
		if (w[i].unexpected)
			print_error("thread %d: %d unexpected, first: %s\n", i, w[i].unexpected, w[i].first_error);
	}
	printf("[ fire     ] %d ops on %d threads in %.2f s: %d COMPLETE (%.0f completed transfers/s), %d FAILED,"
	       " %d self-transfers rejected, %d replays checked\n",
	       FIRE_OPS, FIRE_THREADS, elapsed, complete, complete / elapsed, failed, rejected, replays);
	fflush(stdout);
	assert_int_equal(unexpected, 0);
	assert_int_equal(pending, 0);
	assert_int_equal(complete + failed + rejected, FIRE_OPS);
	assert_true(complete > FIRE_OPS / 2);
	assert_true(failed > 0);

	/* Nothing created or destroyed, nothing negative. */
	assert_int_equal(econ_scalar(db, "SELECT sum(quantity) FROM inventory_item WHERE resource_uid = '%s'", coin),
	                 FIRE_OWNERS * FIRE_START);
	assert_int_equal(econ_scalar(db, "SELECT count(*) FROM inventory_item WHERE quantity < 0"), 0);
	/* Every owner's ledger sums to its balance, and its last entry is it. */
	assert_int_equal(econ_scalar(db,
	                             "SELECT count(*) FROM inventory_item i FULL JOIN (SELECT owner_uid, resource_uid,"
	                             " sum(delta) AS s FROM ledger_entry GROUP BY 1, 2) l USING (owner_uid, resource_uid)"
	                             " WHERE COALESCE(i.quantity, 0) <> COALESCE(l.s, 0)"),
	                 0);
	assert_int_equal(econ_scalar(db,
	                             "SELECT count(*) FROM inventory_item i JOIN LATERAL (SELECT balance_after FROM"
	                             " ledger_entry e WHERE e.owner_uid = i.owner_uid AND e.resource_uid ="
	                             " i.resource_uid ORDER BY id DESC LIMIT 1) l ON true WHERE l.balance_after <>"
	                             " i.quantity"),
	                 0);
	/* COMPLETE transactions and the ledger agree; FAILED ones left no trace. */
	const char *mine = axr_arena_printf(arena, "resources @> '[{\"resourceUid\": \"%s\"}]'", coin);
	assert_int_equal(econ_scalar(db, "SELECT count(*) FROM transaction WHERE status = 'COMPLETE' AND %s", mine),
	                 complete + FIRE_OWNERS);
	assert_int_equal(econ_scalar(db, "SELECT count(DISTINCT transaction_uid) FROM ledger_entry WHERE resource_uid"
	                                 " = '%s'", coin),
	                 complete + FIRE_OWNERS);
	assert_int_equal(econ_scalar(db, "SELECT count(*) FROM transaction WHERE status = 'FAILED' AND %s", mine), failed);
	assert_int_equal(econ_scalar(db, "SELECT count(*) FROM ledger_entry e JOIN transaction t ON t.uid ="
	                                 " e.transaction_uid WHERE t.status <> 'COMPLETE'"),
	                 0);
	/* Each transfer conserves on its own: its deltas sum to 0. */
	assert_int_equal(econ_scalar(db, "SELECT count(*) FROM (SELECT transaction_uid FROM ledger_entry e JOIN"
	                                 " transaction t ON t.uid = e.transaction_uid WHERE t.kind = 'TRANSFER'"
	                                 " GROUP BY 1 HAVING sum(delta) <> 0) x"),
	                 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uids_are_canonical_and_random_ones_are_v4),
		cmocka_unit_test(test_schema_check_accepts_the_tables_and_names_a_missing_column),
		cmocka_unit_test(test_admin_transfer_moves_value_and_writes_the_ledger),
		cmocka_unit_test(test_overdraft_fails_moves_nothing_and_records_why),
		cmocka_unit_test(test_hostile_amounts_are_rejected_and_change_nothing),
		cmocka_unit_test(test_max_quantity_and_unstackable_resources_cap_credits),
		cmocka_unit_test(test_trade_swaps_both_sides_in_one_transaction),
		cmocka_unit_test(test_purchase_pays_the_cost_and_grants_atomically),
		cmocka_unit_test(test_idempotency_key_replays_the_first_answer_and_refuses_another_request),
		cmocka_unit_test(test_same_key_sent_20_times_at_once_makes_one_transaction),
		cmocka_unit_test(test_ledger_is_append_only),
		cmocka_unit_test(test_conservation_under_fire),
	};
	return cmocka_run_group_tests_name("economy ledger", tests, group_setup, econ_suite_teardown);
}
