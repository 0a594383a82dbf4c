/* test_refresh.c: refresh token rotation, family revocation on reuse (parent, grandparent), logout, expiry. */
#define ACCT_TAG "refresh"
#include "account_fixture.h"

/* Refreshes `token`; fails the test unless it works. */
static account_session_t refresh_ok(const char *token)
{
	account_session_t s;
	bool reused = true;
	assert_rc(0, account_session_refresh(F.acc, F.db, token, F.arena, &s, &reused));
	assert_false(reused);
	return s;
}

static int refresh_rc(const char *token, bool *reused)
{
	account_session_t s;
	int rc = account_session_refresh(F.acc, F.db, token, F.arena, &s, reused);
	if (rc != 0)
		assert_null(s.token);
	return rc;
}

static void test_refresh_rotates_the_token_and_keeps_the_family(void **state)
{
	(void)state;
	account_session_t login = acct_register("judy", "judy@example.com", "judy-password");
	F.now += 600 * INT64_C(1000000);
	account_session_t next = refresh_ok(login.refresh);

	assert_string_equal(next.user.uid, login.user.uid);
	assert_string_not_equal(next.refresh, login.refresh);
	assert_int_equal(strlen(next.refresh), 43);
	acct_assert_token(next.token, &next.user);
	assert_int_equal(acct_scalar("SELECT count(DISTINCT family_id) FROM account_refresh_token"), 1);
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_refresh_token WHERE used_at IS NOT NULL"), 1);
	/* The child records its parent. */
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_refresh_token c JOIN account_refresh_token p"
	                             " ON c.parent_hash = p.token_hash"),
	                 1);
	/* The token carries roles granted since the log-in. */
	assert_rc(0, axr_db_exec(F.db, NULL, "UPDATE \"user\" SET roles = '[\"moderator\"]'", 0, NULL, NULL, NULL, NULL));
	account_session_t third = refresh_ok(next.refresh);
	assert_int_equal(third.user.nroles, 1);
	assert_string_equal(third.user.roles[0], "moderator");
	acct_assert_token(third.token, &third.user);
}

static void test_reusing_a_rotated_token_revokes_the_whole_family(void **state)
{
	(void)state;
	account_session_t login = acct_register("ken", "ken@example.com", "ken-password");
	account_session_t child = refresh_ok(login.refresh);
	bool reused = false;

	/* The thief (or the owner, after the thief) presents the parent. */
	assert_int_equal(refresh_rc(login.refresh, &reused), AXR_EUNAUTHORIZED);
	assert_true(reused);
	/* Every descendant is dead: the child that was never used too. */
	reused = true;
	assert_int_equal(refresh_rc(child.refresh, &reused), AXR_EUNAUTHORIZED);
	assert_false(reused); /* already revoked: nothing more to do */
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_refresh_family WHERE revoked_reason = 'reuse'"), 1);
	/* Other log-ins of the same user are unaffected. */
	account_session_t other;
	assert_rc(0, account_login_password(F.acc, F.db, "ken", "ken-password", NULL, F.arena, &other, NULL));
	refresh_ok(other.refresh);
}

static void test_reusing_a_grandparent_revokes_its_descendants(void **state)
{
	(void)state;
	account_session_t g0 = acct_register("leo", "leo@example.com", "leo-password");
	account_session_t g1 = refresh_ok(g0.refresh);
	account_session_t g2 = refresh_ok(g1.refresh);
	/* A long chain after them (timed: one transaction and one RS256 signature each). */
	enum { CHAIN = 20 };
	account_session_t g3 = g2;
	double t0 = axr_test_now_s();
	for (int i = 0; i < CHAIN; i++)
		g3 = refresh_ok(g3.refresh);
	print_message("refresh rotation: %.2f ms each (%d in a chain)\n", (axr_test_now_s() - t0) * 1000 / CHAIN, CHAIN);
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_refresh_token"), CHAIN + 3);
	bool reused = false;

	assert_int_equal(refresh_rc(g0.refresh, &reused), AXR_EUNAUTHORIZED);
	assert_true(reused);
	assert_int_equal(refresh_rc(g3.refresh, NULL), AXR_EUNAUTHORIZED);
	assert_int_equal(refresh_rc(g1.refresh, NULL), AXR_EUNAUTHORIZED);
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_refresh_family WHERE revoked_at IS NULL"), 0);
}

static void test_logout_revokes_the_family_and_is_idempotent(void **state)
{
	(void)state;
	account_session_t login = acct_register("mia", "mia@example.com", "mia-password");
	account_session_t child = refresh_ok(login.refresh);
	account_session_t other;
	assert_rc(0, account_login_password(F.acc, F.db, "mia", "mia-password", NULL, F.arena, &other, NULL));

	assert_rc(0, account_session_revoke(F.acc, F.db, child.refresh));
	assert_int_equal(refresh_rc(child.refresh, NULL), AXR_EUNAUTHORIZED);
	assert_int_equal(refresh_rc(login.refresh, NULL), AXR_EUNAUTHORIZED);
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_refresh_family WHERE revoked_reason = 'logout'"), 1);
	/* Again, with an unknown or a malformed token: still fine. */
	assert_rc(0, account_session_revoke(F.acc, F.db, child.refresh));
	assert_rc(0, account_session_revoke(F.acc, F.db, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	assert_rc(0, account_session_revoke(F.acc, F.db, "'; DELETE FROM account_refresh_family; --"));
	assert_rc(0, account_session_revoke(F.acc, F.db, NULL));
	/* The other log-in still refreshes. */
	refresh_ok(other.refresh);
}

static void test_refresh_refuses_unknown_malformed_and_expired_tokens(void **state)
{
	(void)state;
	assert_int_equal(refresh_rc("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL), AXR_EUNAUTHORIZED);
	assert_int_equal(refresh_rc("short", NULL), AXR_EUNAUTHORIZED);
	assert_int_equal(refresh_rc("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", NULL), AXR_EUNAUTHORIZED);
	assert_int_equal(refresh_rc(NULL, NULL), AXR_EUNAUTHORIZED);

	/* Unused for longer than AXR_REFRESH_TOKEN_TTL: expired. */
	account_session_t login = acct_register("nina", "nina@example.com", "nina-password");
	F.now += (F.cfg.refresh_ttl_s - 1) * INT64_C(1000000);
	account_session_t next = refresh_ok(login.refresh);
	F.now += F.cfg.refresh_ttl_s * INT64_C(1000000);
	assert_int_equal(refresh_rc(next.refresh, NULL), AXR_EUNAUTHORIZED);

	/* Used regularly, a log-in still ends after AXR_REFRESH_FAMILY_TTL. */
	account_session_t s;
	assert_rc(0, account_login_password(F.acc, F.db, "nina", "nina-password", NULL, F.arena, &s, NULL));
	int64_t end = F.now + F.cfg.refresh_family_ttl_s * INT64_C(1000000);
	while (F.now + F.cfg.refresh_ttl_s * INT64_C(1000000) / 2 < end) {
		F.now += F.cfg.refresh_ttl_s * INT64_C(1000000) / 2;
		s = refresh_ok(s.refresh);
		assert_true(s.refresh_expires_in <= F.cfg.refresh_ttl_s);
		assert_true(s.refresh_expires_in <= (end - F.now) / 1000000);
	}
	F.now = end;
	assert_int_equal(refresh_rc(s.refresh, NULL), AXR_EUNAUTHORIZED);
}

static void test_refresh_of_a_deleted_user_fails_and_revokes(void **state)
{
	(void)state;
	account_session_t login = acct_register("oscar", "oscar@example.com", "oscar-password");
	/* Deleted behind the core's back: the family is left over. */
	assert_rc(0, axr_db_exec(F.db, NULL, "DELETE FROM \"user\"", 0, NULL, NULL, NULL, NULL));
	assert_int_equal(refresh_rc(login.refresh, NULL), AXR_EUNAUTHORIZED);
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_refresh_family WHERE revoked_reason = 'user deleted'"),
	                 1);
}

static void test_cleanup_removes_old_families_and_tokens(void **state)
{
	(void)state;
	account_session_t a = acct_register("pat", "pat@example.com", "pat-password");
	account_session_t b;
	assert_rc(0, account_login_password(F.acc, F.db, "pat", "pat-password", NULL, F.arena, &b, NULL));
	assert_rc(0, account_session_revoke(F.acc, F.db, a.refresh));
	long removed = -1;
	assert_rc(0, account_cleanup(F.acc, F.db, &removed));
	assert_int_equal(removed, 0); /* revoked just now: kept a day */
	F.now += 2 * 86400 * INT64_C(1000000);
	assert_rc(0, account_cleanup(F.acc, F.db, &removed));
	assert_int_equal(removed, 1); /* a's family (its token goes with it) */
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_refresh_family"), 1);
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_refresh_token"), 1);
	refresh_ok(b.refresh);
	F.now += (F.cfg.refresh_family_ttl_s + 2 * 86400) * INT64_C(1000000);
	assert_rc(0, account_cleanup(F.acc, F.db, &removed));
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_refresh_family"), 0);
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_refresh_token"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    ACCT_TEST(test_refresh_rotates_the_token_and_keeps_the_family),
	    ACCT_TEST(test_reusing_a_rotated_token_revokes_the_whole_family),
	    ACCT_TEST(test_reusing_a_grandparent_revokes_its_descendants),
	    ACCT_TEST(test_logout_revokes_the_family_and_is_idempotent),
	    ACCT_TEST(test_refresh_refuses_unknown_malformed_and_expired_tokens),
	    ACCT_TEST(test_refresh_of_a_deleted_user_fails_and_revokes),
	    ACCT_TEST(test_cleanup_removes_old_families_and_tokens),
	};
	return ACCT_RUN(tests);
}
