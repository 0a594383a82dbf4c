/* test_approval.c: the transaction state machine (approve, counter-offer, cancel, immutability), who may see and do what, listing. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "economy_fixture.h"
#include "idempotency.h"

#define OWNER() econ_fresh("0000bbbb-0000-4000-8000-")

static int group_setup(void **state)
{
	(void)state;
	return econ_suite_setup("economy_approval");
}

/* Three players and a coin: a holds 100, b holds 50, c is a stranger. */
typedef struct scene {
	const char *coin, *gem, *a, *b, *c;
} scene_t;

static scene_t scene(void)
{
	scene_t s = {.coin = econ_fresh("0000cccc-0000-4000-8000-"), .gem = econ_fresh("0000cccc-0000-4000-8000-"),
	             .a = OWNER(), .b = OWNER(), .c = OWNER()};
	econ_resource(db, s.coin, axr_arena_printf(arena, "coin-%s", s.coin), true, 0, NULL);
	econ_resource(db, s.gem, axr_arena_printf(arena, "gem-%s", s.gem), true, 0, NULL);
	econ_mint(db, arena, s.a, s.coin, 100);
	econ_mint(db, arena, s.b, s.coin, 50);
	econ_mint(db, arena, s.b, s.gem, 5);
	return s;
}

static int offer(const char *caller, const char *from, const char *to, const char *res, int64_t qty,
                 economy_answer_t *ans)
{
	economy_caller_t me = {.uid = caller};
	economy_line_t line = {.resource_uid = res, .quantity = qty};
	economy_create_t in = {.from = from, .to = to, .lines = &line, .n_lines = 1,
	                       .idempotency_key = axr_arena_printf(arena, "offer-%u", econ_next_id++)};
	return economy_tx_create(db, arena, &me, &in, ans);
}

static int approve(const char *caller, bool trusted, const economy_tx_t *tx, bool from_side, bool value,
                   economy_answer_t *ans)
{
	economy_caller_t me = {.uid = caller, .trusted = trusted};
	economy_update_t up = {.uid = tx->uid, .version = tx->version};
	if (from_side)
		up.approval.has_from = true, up.approval.from = value;
	else
		up.approval.has_to = true, up.approval.to = value;
	return economy_tx_update(db, arena, &me, &up, ans);
}

static int cancel(const char *caller, const economy_tx_t *tx, economy_answer_t *ans)
{
	economy_caller_t me = {.uid = caller};
	economy_update_t up = {.uid = tx->uid, .version = tx->version, .cancel = true};
	return economy_tx_update(db, arena, &me, &up, ans);
}

static void test_gift_waits_for_the_recipient_then_executes(void **state)
{
	(void)state;
	scene_t s = scene();
	economy_answer_t ans;
	econ_expect(0, offer(s.a, s.a, s.b, s.coin, 30, &ans), &ans);
	assert_int_equal(ans.status, 201);
	assert_int_equal(ans.tx.status, ECONOMY_TX_PENDING);
	assert_true(ans.tx.approval_from); /* the sender's approval is implied */
	assert_false(ans.tx.approval_to);
	assert_int_equal(ans.tx.version, 0);
	assert_int_equal(ans.execution.n_balances, 0);
	assert_int_equal(econ_balance(db, s.a, s.coin), 100);

	economy_tx_t pending = ans.tx;
	econ_expect(0, approve(s.b, false, &pending, false, true, &ans), &ans);
	assert_int_equal(ans.status, 200);
	assert_int_equal(ans.tx.status, ECONOMY_TX_COMPLETE);
	assert_int_equal(ans.tx.version, 1);
	assert_true(ans.tx.approval_from && ans.tx.approval_to);
	assert_int_equal(ans.execution.n_balances, 2);
	assert_int_equal(econ_balance(db, s.a, s.coin), 70);
	assert_int_equal(econ_balance(db, s.b, s.coin), 80);
}

static void test_recipient_may_propose_and_the_sender_then_approves(void **state)
{
	(void)state;
	scene_t s = scene();
	economy_answer_t ans;
	/* b asks a for 10 coins: b's own (recipient) side is implied. */
	econ_expect(0, offer(s.b, s.a, s.b, s.coin, 10, &ans), &ans);
	assert_false(ans.tx.approval_from);
	assert_true(ans.tx.approval_to);
	economy_tx_t asked = ans.tx;
	econ_expect(0, approve(s.a, false, &asked, true, true, &ans), &ans);
	assert_int_equal(ans.tx.status, ECONOMY_TX_COMPLETE);
	assert_int_equal(econ_balance(db, s.a, s.coin), 90);
}

static void test_counter_offer_resets_the_senders_approval(void **state)
{
	(void)state;
	scene_t s = scene();
	economy_answer_t ans;
	econ_expect(0, offer(s.a, s.a, s.b, s.coin, 40, &ans), &ans);
	economy_tx_t tx = ans.tx;

	/* b answers: 40 coins for 2 gems is not enough; 60 for 2. */
	economy_caller_t b = {.uid = s.b};
	economy_line_t counter[2] = {{.resource_uid = s.coin, .quantity = 60},
	                             {.resource_uid = s.gem, .quantity = 2, .giver = ECONOMY_GIVER_TO}};
	economy_update_t up = {.uid = tx.uid, .version = tx.version, .lines = counter, .n_lines = 2};
	econ_expect(0, economy_tx_update(db, arena, &b, &up, &ans), &ans);
	assert_int_equal(ans.tx.status, ECONOMY_TX_PENDING);
	assert_false(ans.tx.approval_from); /* reset: a must agree again */
	assert_true(ans.tx.approval_to);    /* b agrees to its own terms */
	assert_int_equal(ans.tx.n_lines, 2);
	assert_int_equal(ans.tx.version, 1);
	assert_int_equal(econ_balance(db, s.a, s.coin), 100); /* nothing moved */

	/* b cannot approve for a. */
	tx = ans.tx;
	econ_expect(AXR_EFORBIDDEN, approve(s.b, false, &tx, true, true, &ans), &ans);
	assert_string_equal(ans.problem.path, "/approval/from");
	/* a approves the counter-offer: the trade executes both ways. */
	econ_expect(0, approve(s.a, false, &tx, true, true, &ans), &ans);
	assert_int_equal(ans.tx.status, ECONOMY_TX_COMPLETE);
	assert_int_equal(econ_balance(db, s.a, s.coin), 40);
	assert_int_equal(econ_balance(db, s.b, s.coin), 110);
	assert_int_equal(econ_balance(db, s.a, s.gem), 2);
	assert_int_equal(econ_balance(db, s.b, s.gem), 3);

	/* A counter-offer by the sender resets the recipient's approval the same way. */
	econ_expect(0, offer(s.b, s.a, s.b, s.coin, 5, &ans), &ans); /* b asks, b approved */
	tx = ans.tx;
	economy_caller_t a = {.uid = s.a};
	economy_line_t less = {.resource_uid = s.coin, .quantity = 3};
	up = (economy_update_t){.uid = tx.uid, .version = tx.version, .lines = &less, .n_lines = 1};
	econ_expect(0, economy_tx_update(db, arena, &a, &up, &ans), &ans);
	assert_true(ans.tx.approval_from);
	assert_false(ans.tx.approval_to);
	assert_int_equal(ans.tx.status, ECONOMY_TX_PENDING);
}

static void test_complete_and_cancelled_transactions_are_immutable(void **state)
{
	(void)state;
	scene_t s = scene();
	economy_answer_t ans;
	econ_expect(0, offer(s.a, s.a, s.b, s.coin, 1, &ans), &ans);
	economy_tx_t tx = ans.tx;
	econ_expect(0, cancel(s.b, &tx, &ans), &ans);
	assert_int_equal(ans.tx.status, ECONOMY_TX_CANCELLED);
	tx = ans.tx;
	econ_expect(AXR_ECONFLICT, approve(s.b, false, &tx, false, true, &ans), &ans);
	assert_string_equal(ans.code, "IMMUTABLE");
	econ_expect(AXR_ECONFLICT, approve(ECON_ADMIN, true, &tx, false, true, &ans), &ans);
	econ_expect(AXR_ECONFLICT, cancel(s.a, &tx, &ans), &ans);
	assert_int_equal(econ_balance(db, s.a, s.coin), 100);

	econ_expect(0, offer(s.a, s.a, s.b, s.coin, 1, &ans), &ans);
	tx = ans.tx;
	econ_expect(0, approve(s.b, false, &tx, false, true, &ans), &ans);
	assert_int_equal(ans.tx.status, ECONOMY_TX_COMPLETE);
	tx = ans.tx;
	econ_expect(AXR_ECONFLICT, cancel(s.a, &tx, &ans), &ans);
	assert_string_equal(ans.code, "IMMUTABLE");
	econ_expect(AXR_ECONFLICT, approve(s.b, false, &tx, false, false, &ans), &ans);
	/* Nothing moved twice, nothing moved back. */
	assert_int_equal(econ_balance(db, s.a, s.coin), 99);
	assert_int_equal(econ_balance(db, s.b, s.coin), 51);
	economy_tx_t now;
	assert_int_equal(economy_tx_get(db, arena, &admin, tx.uid, &now), 0);
	assert_int_equal(now.version, tx.version);
}

static void test_stale_version_conflicts_and_changes_nothing(void **state)
{
	(void)state;
	scene_t s = scene();
	economy_answer_t ans;
	econ_expect(0, offer(s.a, s.a, s.b, s.coin, 5, &ans), &ans);
	economy_tx_t v0 = ans.tx;
	econ_expect(0, approve(s.a, false, &v0, true, true, &ans), &ans); /* a re-approves: version 1 */
	assert_int_equal(ans.tx.version, 1);
	econ_expect(AXR_ECONFLICT, approve(s.b, false, &v0, false, true, &ans), &ans);
	assert_string_equal(ans.code, "STALE_VERSION");
	assert_string_equal(ans.problem.path, "/version");
	assert_int_equal(econ_balance(db, s.b, s.coin), 50);
	economy_tx_t now;
	assert_int_equal(economy_tx_get(db, arena, &admin, v0.uid, &now), 0);
	assert_int_equal(now.status, ECONOMY_TX_PENDING);
	assert_int_equal(now.version, 1);
}

static void test_players_cannot_mint_burn_or_act_for_others(void **state)
{
	(void)state;
	scene_t s = scene();
	economy_answer_t ans;
	int64_t before = econ_scalar(db, "SELECT count(*) FROM transaction");
	econ_expect(AXR_EFORBIDDEN, offer(s.a, NULL, s.a, s.coin, 1000, &ans), &ans); /* mint */
	assert_string_equal(ans.problem.path, "/from");
	econ_expect(AXR_EFORBIDDEN, offer(s.a, s.a, NULL, s.coin, 1, &ans), &ans); /* burn */
	econ_expect(AXR_EFORBIDDEN, offer(s.c, s.a, s.b, s.coin, 1, &ans), &ans); /* not a party */
	/* A sender cannot approve for the recipient at creation. */
	economy_caller_t a = {.uid = s.a};
	economy_line_t line = {.resource_uid = s.coin, .quantity = 1};
	economy_create_t in = {.from = s.a, .to = s.b, .lines = &line, .n_lines = 1, .idempotency_key = "force",
	                       .approval = {.has_to = true, .to = true}};
	econ_expect(AXR_EFORBIDDEN, economy_tx_create(db, arena, &a, &in, &ans), &ans);
	assert_string_equal(ans.problem.path, "/approval/to");
	assert_int_equal(econ_scalar(db, "SELECT count(*) FROM transaction"), before);

	/* An admin's pending mint: the recipient may accept its side but not change the terms. */
	in = (economy_create_t){.to = s.a, .lines = &line, .n_lines = 1, .approval = {.has_from = true, .from = true}};
	econ_expect(0, economy_tx_create(db, arena, &admin, &in, &ans), &ans);
	assert_int_equal(ans.tx.kind, ECONOMY_KIND_MINT);
	assert_int_equal(ans.tx.status, ECONOMY_TX_PENDING);
	economy_tx_t mint = ans.tx;
	economy_line_t more = {.resource_uid = s.coin, .quantity = 1000000};
	economy_update_t up = {.uid = mint.uid, .version = mint.version, .lines = &more, .n_lines = 1};
	econ_expect(AXR_EFORBIDDEN, economy_tx_update(db, arena, &a, &up, &ans), &ans);
	econ_expect(0, approve(s.a, false, &mint, false, true, &ans), &ans);
	assert_int_equal(ans.tx.status, ECONOMY_TX_COMPLETE);
	assert_int_equal(econ_balance(db, s.a, s.coin), 101);
}

static void test_strangers_see_nothing_and_lists_show_the_callers_own(void **state)
{
	(void)state;
	scene_t s = scene();
	economy_answer_t ans;
	economy_caller_t c = {.uid = s.c}, a = {.uid = s.a}, b = {.uid = s.b};
	econ_expect(0, offer(s.a, s.a, s.b, s.coin, 2, &ans), &ans);
	economy_tx_t tx = ans.tx, got;
	assert_int_equal(economy_tx_get(db, arena, &a, tx.uid, &got), 0);
	assert_int_equal(economy_tx_get(db, arena, &b, tx.uid, &got), 0);
	assert_int_equal(economy_tx_get(db, arena, &admin, tx.uid, &got), 0);
	assert_string_equal(got.uid, tx.uid);
	assert_int_equal(economy_tx_get(db, arena, &c, tx.uid, &got), AXR_ENOTFOUND);
	assert_int_equal(economy_tx_get(db, arena, &c, "not-a-uid", &got), AXR_ENOTFOUND);
	/* A stranger cannot approve or cancel, and learns nothing (404, not 403). */
	econ_expect(AXR_ENOTFOUND, approve(s.c, false, &tx, false, true, &ans), &ans);
	econ_expect(AXR_ENOTFOUND, cancel(s.c, &tx, &ans), &ans);

	economy_tx_t *list = NULL;
	size_t n = 0;
	economy_list_t q = {.party = "me", .limit = 100};
	assert_int_equal(economy_tx_list(db, arena, &c, &q, &list, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(economy_tx_list(db, arena, &b, &q, &list, &n), 0);
	assert_int_equal(n, 3); /* two mints and the offer */
	assert_string_equal(list[0].uid, tx.uid); /* newest first */
	q.has_status = true;
	q.status = ECONOMY_TX_PENDING;
	assert_int_equal(economy_tx_list(db, arena, &a, &q, &list, &n), 0);
	assert_int_equal(n, 1);
	q = (economy_list_t){.party = s.a, .limit = 100};
	assert_int_equal(economy_tx_list(db, arena, &c, &q, &list, &n), AXR_EFORBIDDEN);
	assert_int_equal(economy_tx_list(db, arena, &admin, &q, &list, &n), 0);
	assert_int_equal(n, 2);
	q = (economy_list_t){.party = "me", .limit = 1, .page = 1};
	assert_int_equal(economy_tx_list(db, arena, &b, &q, &list, &n), 0);
	assert_int_equal(n, 1);
	q.limit = 1001;
	assert_int_equal(economy_tx_list(db, arena, &b, &q, &list, &n), AXR_EINVAL);
}

static void test_failed_transaction_executes_when_reapproved_after_funds_arrive(void **state)
{
	(void)state;
	scene_t s = scene();
	economy_answer_t ans;
	econ_expect(0, offer(s.a, s.a, s.b, s.coin, 150, &ans), &ans);
	economy_tx_t tx = ans.tx;
	econ_expect(0, approve(s.b, false, &tx, false, true, &ans), &ans);
	assert_int_equal(ans.status, 409);
	assert_int_equal(ans.tx.status, ECONOMY_TX_FAILED);
	assert_string_equal(ans.code, "INSUFFICIENT_FUNDS");
	assert_int_equal(econ_balance(db, s.a, s.coin), 100);
	tx = ans.tx;
	econ_mint(db, arena, s.a, s.coin, 50);
	econ_expect(0, approve(s.a, false, &tx, true, true, &ans), &ans);
	assert_int_equal(ans.status, 200);
	assert_int_equal(ans.tx.status, ECONOMY_TX_COMPLETE);
	assert_null(ans.tx.failure_reason);
	assert_int_equal(econ_balance(db, s.a, s.coin), 0);
	assert_int_equal(econ_balance(db, s.b, s.coin), 200);
	/* Withdrawing an approval of a FAILED one makes it PENDING again. */
	econ_expect(0, offer(s.a, s.a, s.b, s.coin, 1, &ans), &ans);
	tx = ans.tx;
	econ_expect(0, approve(s.b, false, &tx, false, true, &ans), &ans);
	assert_int_equal(ans.tx.status, ECONOMY_TX_FAILED);
	tx = ans.tx;
	econ_expect(0, approve(s.a, false, &tx, true, false, &ans), &ans);
	assert_int_equal(ans.tx.status, ECONOMY_TX_PENDING);
	assert_int_equal(ans.tx.failure, ECONOMY_FAIL_NONE);
}

static void test_admin_may_approve_both_sides_of_a_pending_transfer(void **state)
{
	(void)state;
	scene_t s = scene();
	economy_answer_t ans;
	economy_line_t line = {.resource_uid = s.coin, .quantity = 10};
	economy_create_t in = {.from = s.a, .to = s.b, .lines = &line, .n_lines = 1};
	econ_expect(0, economy_tx_create(db, arena, &admin, &in, &ans), &ans); /* no key: admins may omit it */
	assert_int_equal(ans.tx.status, ECONOMY_TX_PENDING);
	assert_false(ans.tx.approval_from || ans.tx.approval_to);
	assert_string_equal(ans.tx.created_by, ECON_ADMIN);
	economy_update_t up = {.uid = ans.tx.uid, .version = 0,
	                       .approval = {.has_from = true, .from = true, .has_to = true, .to = true}};
	econ_expect(0, economy_tx_update(db, arena, &admin, &up, &ans), &ans);
	assert_int_equal(ans.tx.status, ECONOMY_TX_COMPLETE);
	assert_int_equal(econ_balance(db, s.b, s.coin), 60);
	/* Unknown uid, negative version. */
	up.uid = "00000000-0000-4000-8000-000000000000";
	econ_expect(AXR_ENOTFOUND, economy_tx_update(db, arena, &admin, &up, &ans), &ans);
	up.version = -1;
	econ_expect(AXR_EINVAL, economy_tx_update(db, arena, &admin, &up, &ans), &ans);
}

static void test_idempotency_claim_waits_stores_and_detects_a_different_request(void **state)
{
	(void)state;
	const char *caller = OWNER();
	char h1[ECONOMY_IDEM_HASH_SIZE], h2[ECONOMY_IDEM_HASH_SIZE];
	economy_idem_t got;
	economy_idem_hash("request one", 11, h1);
	economy_idem_hash("request two", 11, h2);
	assert_int_equal(strlen(h1), 64);
	assert_string_not_equal(h1, h2);
	economy_idem_hash("abc", 3, h2);
	assert_string_equal(h2, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"); /* FIPS 180-2 */

	econ_sql(db, "BEGIN");
	assert_int_equal(economy_idem_claim(db, arena, caller, "key-x", h1, &got), 0);
	assert_false(got.replay);
	assert_int_equal(economy_idem_store(db, caller, "key-x", 201, "{\"stored\":1}"), 0);
	econ_sql(db, "COMMIT");
	econ_sql(db, "BEGIN");
	assert_int_equal(economy_idem_claim(db, arena, caller, "key-x", h1, &got), 0);
	assert_true(got.replay);
	assert_int_equal(got.status, 201);
	assert_string_equal(got.body, "{\"stored\":1}");
	assert_int_equal(economy_idem_claim(db, arena, caller, "key-x", h2, &got), AXR_EUNPROCESSABLE);
	econ_sql(db, "ROLLBACK");
	/* A claim that rolls back leaves no key. */
	econ_sql(db, "BEGIN");
	assert_int_equal(economy_idem_claim(db, arena, caller, "key-y", h1, &got), 0);
	econ_sql(db, "ROLLBACK");
	assert_int_equal(econ_scalar(db, "SELECT count(*) FROM idempotency_key WHERE idem_key = 'key-y'"), 0);
	assert_int_equal(economy_idem_store(db, caller, "key-never-claimed", 201, "{}"), AXR_EINTERNAL);
	assert_int_equal(economy_idem_claim(db, arena, caller, "bad key", h1, &got), AXR_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gift_waits_for_the_recipient_then_executes),
		cmocka_unit_test(test_recipient_may_propose_and_the_sender_then_approves),
		cmocka_unit_test(test_counter_offer_resets_the_senders_approval),
		cmocka_unit_test(test_complete_and_cancelled_transactions_are_immutable),
		cmocka_unit_test(test_stale_version_conflicts_and_changes_nothing),
		cmocka_unit_test(test_players_cannot_mint_burn_or_act_for_others),
		cmocka_unit_test(test_strangers_see_nothing_and_lists_show_the_callers_own),
		cmocka_unit_test(test_failed_transaction_executes_when_reapproved_after_funds_arrive),
		cmocka_unit_test(test_admin_may_approve_both_sides_of_a_pending_transfer),
		cmocka_unit_test(test_idempotency_claim_waits_stores_and_detects_a_different_request),
	};
	return cmocka_run_group_tests_name("economy approval", tests, group_setup, econ_suite_teardown);
}
