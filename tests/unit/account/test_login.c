/* test_login.c: password log-in by name or e-mail, equal answers and timing for unknown logins, device log-in. */
#define ACCT_TAG "login"
#include "account_fixture.h"

#include <pthread.h>
#include <sodium.h>

static void test_login_by_name_or_email_returns_a_session(void **state)
{
	(void)state;
	account_session_t reg = acct_register("frank", "Frank@Example.com", "frank-password");
	account_session_t s;
	account_problem_t p = {0};

	F.now += 60 * 1000000;
	assert_rc(0, account_login_password(F.acc, F.db, "frank", "frank-password", "10.0.0.1", F.arena, &s, &p));
	assert_string_equal(s.user.uid, reg.user.uid);
	assert_string_equal(s.user.last_login, "2025-01-01T00:01:00.000000Z");
	assert_string_not_equal(s.refresh, reg.refresh);
	acct_assert_token(s.token, &s.user);
	assert_rc(0, account_login_password(F.acc, F.db, "FRANK@example.COM", "frank-password", NULL, F.arena, &s, &p));
	assert_string_equal(s.user.uid, reg.user.uid);
	/* Each log-in is its own refresh family. */
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_refresh_family"), 3);
	/* Names log in whatever their case (they are unique whatever their case). */
	assert_rc(0, account_login_password(F.acc, F.db, "Frank", "frank-password", NULL, F.arena, &s, &p));
	assert_string_equal(s.user.uid, reg.user.uid);
	assert_string_equal(s.user.name, "frank");
}

static void test_login_wrong_password_and_unknown_user_look_the_same(void **state)
{
	(void)state;
	acct_register("grace", "grace@example.com", "grace-password");
	account_session_t s;
	account_problem_t wrong = {0}, unknown = {0}, bad_email = {0};

	assert_rc(AXR_EUNAUTHORIZED,
	          account_login_password(F.acc, F.db, "grace", "not-her-password", NULL, F.arena, &s, &wrong));
	assert_rc(AXR_EUNAUTHORIZED,
	          account_login_password(F.acc, F.db, "nobody", "not-her-password", NULL, F.arena, &s, &unknown));
	assert_rc(AXR_EUNAUTHORIZED,
	          account_login_password(F.acc, F.db, "x@@y", "not-her-password", NULL, F.arena, &s, &bad_email));
	assert_null(s.token);
	assert_null(wrong.field);
	assert_null(unknown.field);
	assert_string_equal(wrong.message, unknown.message);
	assert_string_equal(wrong.message, bad_email.message);
	/* A guest (no password) cannot log in with any password. */
	bool created = false;
	assert_rc(0, account_login_device(F.acc, F.db, "device-0123456789abcdef", F.arena, &s, &created, NULL));
	assert_rc(AXR_EUNAUTHORIZED,
	          account_login_password(F.acc, F.db, s.user.name, "anything-at-all", NULL, F.arena, &s, NULL));
}

static void test_login_refuses_empty_or_oversized_input(void **state)
{
	(void)state;
	char big[1100];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	account_session_t s;
	account_problem_t p = {0};
	assert_rc(AXR_EVALIDATION, account_login_password(F.acc, F.db, "", "password", NULL, F.arena, &s, &p));
	assert_string_equal(p.field, "/login");
	assert_rc(AXR_EVALIDATION, account_login_password(F.acc, F.db, "frank", "", NULL, F.arena, &s, &p));
	assert_string_equal(p.field, "/password");
	assert_rc(AXR_EVALIDATION, account_login_password(F.acc, F.db, "frank", big, NULL, F.arena, &s, &p));
	assert_string_equal(p.field, "/password");
	big[300] = '\0';
	assert_rc(AXR_EVALIDATION, account_login_password(F.acc, F.db, big, "password", NULL, F.arena, &s, &p));
	assert_string_equal(p.field, "/login");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void test_unknown_login_costs_as_much_as_a_wrong_password(void **state)
{
	(void)state;
	account_config_t def;
	char err[256];
	assert_int_equal(account_config_load(&def, err, sizeof err), 0);
	account_t *acc = acct_new_context(def.pwhash_opslimit, def.pwhash_memlimit); /* the real cost */
	assert_non_null(acc);
	account_session_t s;
	account_registration_t reg = {.name = "heidi", .email = "heidi@example.com", .password = "heidi-password"};
	assert_rc(0, account_user_register(acc, F.db, &reg, F.arena, &s, NULL));

	/* Interleaved, so a busy machine slows all three alike. */
	enum { N = 9, KINDS = 3 };
	static const char *const logins[KINDS] = {"heidi", "nobody-at-all", "nobody@example.com"};
	double t[KINDS][N];
	for (int i = 0; i < N; i++)
		for (int k = 0; k < KINDS; k++) {
			F.now += 61 * 1000000; /* a fresh window each time: no lockout */
			double t0 = axr_test_now_s();
			int rc = account_login_password(acc, F.db, logins[k], "wrong-password", NULL, F.arena, &s, NULL);
			t[k][i] = (axr_test_now_s() - t0) * 1000;
			assert_int_equal(rc, AXR_EUNAUTHORIZED);
		}
	for (int k = 0; k < KINDS; k++)
		qsort(t[k], N, sizeof t[k][0], cmp_double);
	double wrong = t[0][N / 2], unknown = t[1][N / 2], unknown_email = t[2][N / 2];
	print_message("median failing log-in (t=%ld, m=%ld KiB): wrong password %.1f ms, unknown name %.1f ms,"
	              " unknown e-mail %.1f ms (%d runs each, interleaved)\n",
	              def.pwhash_opslimit, def.pwhash_memlimit / 1024, wrong, unknown, unknown_email, N);
	/* Same order of magnitude, and both dominated by the KDF. */
	assert_true(unknown > wrong / 3 && unknown < wrong * 3);
	assert_true(unknown_email > wrong / 3 && unknown_email < wrong * 3);
	account_free(acc);
}

static void test_login_replaces_a_hash_made_with_weaker_limits(void **state)
{
	(void)state;
	acct_register("ivan", "ivan@example.com", "ivan-password"); /* t=1, 64 KiB */
	account_t *stronger = acct_new_context(2, 128 * 1024);
	assert_non_null(stronger);
	account_session_t s;
	assert_rc(0, account_login_password(stronger, F.db, "ivan", "ivan-password", NULL, F.arena, &s, NULL));
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_password WHERE hash LIKE '$argon2id$v=19$m=128,t=2,p=1$%'"),
	                 1);
	/* And it still verifies, with either context. */
	assert_rc(0, account_login_password(F.acc, F.db, "ivan", "ivan-password", NULL, F.arena, &s, NULL));
	account_free(stronger);
}

static void test_device_first_use_creates_a_guest_later_uses_log_in(void **state)
{
	(void)state;
	account_session_t first, again;
	account_problem_t p = {0};
	bool created = false;
	const char *device = "6f1c2a54-0d8e-4a7b-9a0e-3c1d2b4e5f60";

	assert_rc(0, account_login_device(F.acc, F.db, device, F.arena, &first, &created, &p));
	assert_true(created);
	assert_true(first.user.guest);
	assert_null(first.user.email);
	assert_memory_equal(first.user.name, "guest-", 6);
	assert_int_equal(strlen(first.user.name), 22);
	acct_assert_token(first.token, &first.user);

	F.now += 3600 * INT64_C(1000000);
	assert_rc(0, account_login_device(F.acc, F.db, device, F.arena, &again, &created, &p));
	assert_false(created);
	assert_string_equal(again.user.uid, first.user.uid);
	assert_string_equal(again.user.last_login, "2025-01-01T01:00:00.000000Z");
	assert_string_not_equal(again.refresh, first.refresh);
	assert_int_equal(acct_scalar("SELECT count(*) FROM \"user\""), 1);
	/* The id is kept as a hash only. */
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_device WHERE position('6f1c2a54'::bytea in device_hash) > 0"
	                             " OR encode(device_hash, 'escape') LIKE '%6f1c2a54%'"),
	                 0);
	/* Another device is another guest. */
	assert_rc(0, account_login_device(F.acc, F.db, "another-device-id-123", F.arena, &again, &created, &p));
	assert_true(created);
	assert_string_not_equal(again.user.uid, first.user.uid);
	/* Malformed ids. */
	assert_rc(AXR_EVALIDATION, account_login_device(F.acc, F.db, "short", F.arena, &again, &created, &p));
	assert_string_equal(p.field, "/deviceId");
	assert_rc(AXR_EVALIDATION,
	          account_login_device(F.acc, F.db, "has space in it 0123", F.arena, &again, &created, &p));
}

typedef struct device_race {
	const char *url;
	const char *device;
	int rc;
	bool created;
	char uid[40];
} device_race_t;

static void *device_race_thread(void *arg)
{
	device_race_t *d = arg;
	axr_db_t *db = NULL;
	axr_arena_t *arena = axr_arena_new(0);
	account_session_t s;
	d->rc = axr_db_new(d->url, NULL, &db);
	if (d->rc == 0)
		d->rc = account_login_device(F.acc, db, d->device, arena, &s, &d->created, NULL);
	if (d->rc == 0)
		snprintf(d->uid, sizeof d->uid, "%s", s.user.uid);
	axr_db_free(db);
	axr_arena_free(arena);
	return NULL;
}

static void test_device_concurrent_first_uses_create_one_account(void **state)
{
	(void)state;
	enum { N = 6 };
	pthread_t th[N];
	device_race_t d[N];
	for (int i = 0; i < N; i++) {
		d[i] = (device_race_t){.url = F.tdb.url, .device = "race-device-0000000000000001"};
		assert_int_equal(pthread_create(&th[i], NULL, device_race_thread, &d[i]), 0);
	}
	int created = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		if (d[i].rc != 0)
			print_error("thread %d: %s\n", i, axr_errname(d[i].rc));
		assert_int_equal(d[i].rc, 0);
		created += d[i].created;
		assert_string_equal(d[i].uid, d[0].uid);
	}
	assert_int_equal(created, 1);
	assert_int_equal(acct_scalar("SELECT count(*) FROM \"user\""), 1);
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_device"), 1);
}

static void test_device_of_a_deleted_user_starts_a_new_guest(void **state)
{
	(void)state;
	account_session_t s, again;
	bool created = false;
	assert_rc(0, account_login_device(F.acc, F.db, "device-of-a-deleted-user", F.arena, &s, &created, NULL));
	/* Deleted behind the core's back (e.g. by generic SQL): a stale link. */
	assert_rc(0, axr_db_exec(F.db, NULL, "DELETE FROM \"user\"", 0, NULL, NULL, NULL, NULL));
	assert_rc(0, account_login_device(F.acc, F.db, "device-of-a-deleted-user", F.arena, &again, &created, NULL));
	assert_true(created);
	assert_string_not_equal(again.user.uid, s.user.uid);
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_device"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    ACCT_TEST(test_login_by_name_or_email_returns_a_session),
	    ACCT_TEST(test_login_wrong_password_and_unknown_user_look_the_same),
	    ACCT_TEST(test_login_refuses_empty_or_oversized_input),
	    ACCT_TEST(test_unknown_login_costs_as_much_as_a_wrong_password),
	    ACCT_TEST(test_login_replaces_a_hash_made_with_weaker_limits),
	    ACCT_TEST(test_device_first_use_creates_a_guest_later_uses_log_in),
	    ACCT_TEST(test_device_concurrent_first_uses_create_one_account),
	    ACCT_TEST(test_device_of_a_deleted_user_starts_a_new_guest),
	};
	return ACCT_RUN(tests);
}
