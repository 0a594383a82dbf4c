/* test_users.c: reading, updating and deleting users: ownership (404), admin-only roles and verified (400), versions (409). */
#define ACCT_TAG "users"
#include "account_fixture.h"

static account_caller_t caller_of(const account_session_t *s, bool admin)
{
	return (account_caller_t){.uid = s->user.uid, .admin = admin};
}

static void test_get_finds_self_by_uid_name_or_me_and_others_are_404(void **state)
{
	(void)state;
	account_session_t a = acct_register("xena", "xena@example.com", "xena-password");
	account_session_t b = acct_register("yuri", "yuri@example.com", "yuri-password");
	account_caller_t ca = caller_of(&a, false), admin = caller_of(&b, true);
	account_user_t u;

	assert_rc(0, account_user_get(F.acc, F.db, &ca, "me", F.arena, &u));
	assert_string_equal(u.uid, a.user.uid);
	assert_rc(0, account_user_get(F.acc, F.db, &ca, a.user.uid, F.arena, &u));
	assert_rc(0, account_user_get(F.acc, F.db, &ca, "xena", F.arena, &u));
	assert_string_equal(u.email, "xena@example.com");
	/* Someone else's record looks exactly like a missing one. */
	assert_rc(AXR_ENOTFOUND, account_user_get(F.acc, F.db, &ca, b.user.uid, F.arena, &u));
	assert_rc(AXR_ENOTFOUND, account_user_get(F.acc, F.db, &ca, "yuri", F.arena, &u));
	assert_rc(AXR_ENOTFOUND, account_user_get(F.acc, F.db, &ca, "00000000-0000-4000-8000-000000000000", F.arena, &u));
	assert_rc(AXR_ENOTFOUND, account_user_get(F.acc, F.db, &ca, "x' OR '1'='1", F.arena, &u));
	/* An admin sees everyone. */
	assert_rc(0, account_user_get(F.acc, F.db, &admin, "xena", F.arena, &u));
	assert_string_equal(u.uid, a.user.uid);
	/* Anonymous callers must log in. */
	account_caller_t anon = {0};
	assert_rc(AXR_EUNAUTHORIZED, account_user_get(F.acc, F.db, &anon, "me", F.arena, &u));
}

static void test_update_changes_present_fields_and_bumps_the_version(void **state)
{
	(void)state;
	account_session_t a = acct_register("zack", "zack@example.com", "zack-password");
	account_caller_t ca = caller_of(&a, false);
	account_user_t u;
	account_problem_t p = {0};

	F.now += 5 * INT64_C(1000000);
	account_user_update_t upd = {.has_version = true, .version = 0, .has_given_name = true, .given_name = "Zack",
	                             .has_locale = true, .locale = "en-GB"};
	assert_rc(0, account_user_update(F.acc, F.db, &ca, "me", &upd, F.arena, &u, &p));
	assert_int_equal(u.version, 1);
	assert_string_equal(u.given_name, "Zack");
	assert_string_equal(u.locale, "en-GB");
	assert_string_equal(u.email, "zack@example.com"); /* absent: unchanged */
	assert_string_equal(u.date_modified, "2025-01-01T00:00:05.000000Z");
	/* A stale version is a conflict naming /version. */
	account_user_update_t stale = {.has_version = true, .version = 0, .has_given_name = true, .given_name = "Z"};
	assert_rc(AXR_ECONFLICT, account_user_update(F.acc, F.db, &ca, "me", &stale, F.arena, &u, &p));
	assert_string_equal(p.field, "/version");
	/* Without a version nothing is written. */
	account_user_update_t blind = {.has_given_name = true, .given_name = "Z"};
	assert_rc(AXR_EVALIDATION, account_user_update(F.acc, F.db, &ca, "me", &blind, F.arena, &u, &p));
	assert_string_equal(p.field, "/version");
	/* Null clears a nullable property. */
	account_user_update_t clear = {.has_version = true, .version = 1, .has_locale = true, .locale = NULL};
	assert_rc(0, account_user_update(F.acc, F.db, &ca, "zack", &clear, F.arena, &u, &p));
	assert_null(u.locale);
	assert_string_equal(u.given_name, "Zack");
}

static void test_non_admin_cannot_change_roles_or_verified(void **state)
{
	(void)state;
	account_session_t a = acct_register("amy", "amy@example.com", "amy-password");
	account_caller_t ca = caller_of(&a, false);
	account_user_t u;
	account_problem_t p = {0};
	const char *admin_role[] = {"admin"};

	account_user_update_t roles = {.has_version = true, .version = 0, .has_roles = true, .roles = admin_role, .nroles = 1};
	assert_rc(AXR_EVALIDATION, account_user_update(F.acc, F.db, &ca, "me", &roles, F.arena, &u, &p));
	assert_string_equal(p.field, "/roles");
	account_user_update_t verified = {.has_version = true, .version = 0, .has_verified_email = true, .verified_email = true};
	assert_rc(AXR_EVALIDATION, account_user_update(F.acc, F.db, &ca, "me", &verified, F.arena, &u, &p));
	assert_string_equal(p.field, "/verified");
	/* Nothing changed. */
	assert_rc(0, account_user_get(F.acc, F.db, &ca, "me", F.arena, &u));
	assert_int_equal(u.nroles, 0);
	assert_false(u.verified_email);
	assert_int_equal(u.version, 0);
	/* Sending the current values back (a GET-then-PUT client) is fine. */
	account_user_update_t same = {.has_version = true, .version = 0, .has_roles = true, .roles = NULL, .nroles = 0,
	                              .has_verified_email = true, .verified_email = false,
	                              .has_verified_phone = true, .verified_phone = false};
	assert_rc(0, account_user_update(F.acc, F.db, &ca, "me", &same, F.arena, &u, &p));
	assert_int_equal(u.version, 1);
}

static void test_admin_changes_roles_and_verified_and_email_change_unverifies(void **state)
{
	(void)state;
	account_session_t a = acct_register("bea", "bea@example.com", "bea-password");
	account_session_t root = acct_register("root", "root@example.com", "root-password");
	account_caller_t admin = caller_of(&root, true), ca = caller_of(&a, false);
	account_user_t u;
	account_problem_t p = {0};
	const char *roles[] = {"moderator", "tester"};

	account_user_update_t grant = {.has_version = true, .version = 0, .has_roles = true, .roles = roles, .nroles = 2,
	                               .has_verified_email = true, .verified_email = true};
	assert_rc(0, account_user_update(F.acc, F.db, &admin, a.user.uid, &grant, F.arena, &u, &p));
	assert_int_equal(u.nroles, 2);
	assert_string_equal(u.roles[0], "moderator");
	assert_string_equal(u.roles[1], "tester");
	assert_true(u.verified_email);
	const char *bad_roles[] = {"Admin"};
	account_user_update_t bad = {.has_version = true, .version = 1, .has_roles = true, .roles = bad_roles, .nroles = 1};
	assert_rc(AXR_EVALIDATION, account_user_update(F.acc, F.db, &admin, a.user.uid, &bad, F.arena, &u, &p));
	assert_string_equal(p.field, "/roles");
	/* The user changes the address: it is no longer verified. */
	account_user_update_t move = {.has_version = true, .version = 1, .has_email = true, .email = "Bea@New.Example"};
	assert_rc(0, account_user_update(F.acc, F.db, &ca, "me", &move, F.arena, &u, &p));
	assert_string_equal(u.email, "bea@new.example");
	assert_false(u.verified_email);
	assert_int_equal(u.nroles, 2); /* roles untouched */
	/* Other users' records stay out of reach for non-admins. */
	account_user_update_t hijack = {.has_version = true, .version = 0, .has_given_name = true, .given_name = "pwned"};
	assert_rc(AXR_ENOTFOUND, account_user_update(F.acc, F.db, &ca, root.user.uid, &hijack, F.arena, &u, &p));
	assert_rc(AXR_ENOTFOUND, account_user_update(F.acc, F.db, &ca, "root", &hijack, F.arena, &u, &p));
}

static void test_update_to_a_taken_name_or_email_names_the_field(void **state)
{
	(void)state;
	account_session_t a = acct_register("cody", "cody@example.com", "cody-password");
	acct_register("dana", "dana@example.com", "dana-password");
	account_caller_t ca = caller_of(&a, false);
	account_user_t u;
	account_problem_t p = {0};

	account_user_update_t name = {.has_version = true, .version = 0, .name = "dana"};
	assert_rc(AXR_EEXISTS, account_user_update(F.acc, F.db, &ca, "me", &name, F.arena, &u, &p));
	assert_string_equal(p.field, "/name");
	account_user_update_t email = {.has_version = true, .version = 0, .has_email = true, .email = "DANA@example.com"};
	assert_rc(AXR_EEXISTS, account_user_update(F.acc, F.db, &ca, "me", &email, F.arena, &u, &p));
	assert_string_equal(p.field, "/email");
	account_user_update_t bad = {.has_version = true, .version = 0, .name = "x"};
	assert_rc(AXR_EVALIDATION, account_user_update(F.acc, F.db, &ca, "me", &bad, F.arena, &u, &p));
	assert_string_equal(p.field, "/name");
	account_user_update_t bad_email = {.has_version = true, .version = 0, .has_email = true, .email = "nope"};
	assert_rc(AXR_EVALIDATION, account_user_update(F.acc, F.db, &ca, "me", &bad_email, F.arena, &u, &p));
	assert_string_equal(p.field, "/email");
	/* A rename works, and the new name logs in. */
	account_user_update_t rename = {.has_version = true, .version = 0, .name = "cody2"};
	assert_rc(0, account_user_update(F.acc, F.db, &ca, "me", &rename, F.arena, &u, &p));
	account_session_t s;
	assert_rc(0, account_login_password(F.acc, F.db, "cody2", "cody-password", NULL, F.arena, &s, NULL));
	acct_assert_token(s.token, &s.user);
	assert_string_equal(s.user.name, "cody2");
}

static void test_delete_is_for_admins_and_removes_everything_attached(void **state)
{
	(void)state;
	account_session_t a = acct_register("eve", "eve@example.com", "eve-password");
	account_session_t root = acct_register("root", "root@example.com", "root-password");
	account_caller_t admin = caller_of(&root, true), ca = caller_of(&a, false);
	account_session_t s;
	assert_rc(AXR_EUNAUTHORIZED, account_login_password(F.acc, F.db, "eve", "wrong", NULL, F.arena, &s, NULL));

	assert_rc(AXR_EFORBIDDEN, account_user_delete(F.acc, F.db, &ca, "me"));
	assert_rc(0, account_user_delete(F.acc, F.db, &admin, "eve"));
	assert_rc(AXR_ENOTFOUND, account_user_delete(F.acc, F.db, &admin, "eve"));
	assert_rc(AXR_ENOTFOUND, account_user_delete(F.acc, F.db, &admin, a.user.uid));
	char sql[256];
	static const char *const tables[][2] = {{"account_password", "user_uid"},
	                                        {"account_refresh_family", "user_uid"},
	                                        {"account_login_attempt", "account_key::uuid"}};
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s = '%s'", tables[i][0], tables[i][1],
		         a.user.uid);
		assert_int_equal(acct_scalar(sql), 0);
	}
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_refresh_token"), 1); /* root's */
	/* Its refresh token and password are dead. */
	assert_rc(AXR_EUNAUTHORIZED, account_session_refresh(F.acc, F.db, a.refresh, F.arena, &s, NULL));
	assert_rc(AXR_EUNAUTHORIZED, account_login_password(F.acc, F.db, "eve", "eve-password", NULL, F.arena, &s, NULL));
	/* A device's guest goes with its device link. */
	bool created = false;
	assert_rc(0, account_login_device(F.acc, F.db, "device-to-be-deleted-01", F.arena, &s, &created, NULL));
	assert_rc(0, account_user_delete(F.acc, F.db, &admin, s.user.uid));
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_device"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    ACCT_TEST(test_get_finds_self_by_uid_name_or_me_and_others_are_404),
	    ACCT_TEST(test_update_changes_present_fields_and_bumps_the_version),
	    ACCT_TEST(test_non_admin_cannot_change_roles_or_verified),
	    ACCT_TEST(test_admin_changes_roles_and_verified_and_email_change_unverifies),
	    ACCT_TEST(test_update_to_a_taken_name_or_email_names_the_field),
	    ACCT_TEST(test_delete_is_for_admins_and_removes_everything_attached),
	};
	return ACCT_RUN(tests);
}
