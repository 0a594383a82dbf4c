/* test_lockout.c: failed log-in limits per account and per client address, Retry-After, expiry, bursts, cleanup. */
#define ACCT_TAG "lockout"
#include "account_fixture.h"

#include <pthread.h>

#define SEC INT64_C(1000000)

static int login(const char *name, const char *password, const char *addr, account_problem_t *p)
{
	account_session_t s;
	account_problem_t local = {0};
	return account_login_password(F.acc, F.db, name, password, addr, F.arena, &s, p ? p : &local);
}

static void test_sixth_failure_within_a_minute_locks_the_account(void **state)
{
	(void)state;
	acct_register("quinn", "quinn@example.com", "quinn-password");
	account_problem_t p = {0};

	for (int i = 0; i < 5; i++)
		assert_rc(AXR_EUNAUTHORIZED, login("quinn", "wrong", "10.0.0.1", NULL));
	/* Locked: even the right password is not checked. */
	assert_rc(AXR_ETOOMANY, login("quinn", "quinn-password", "10.0.0.1", &p));
	assert_int_equal(p.retry_after, 60);
	F.now += 30 * SEC;
	assert_rc(AXR_ETOOMANY, login("quinn", "quinn-password", "10.0.0.2", &p));
	assert_int_equal(p.retry_after, 30);
	/* Refused attempts do not extend the lock. */
	for (int i = 0; i < 10; i++)
		assert_rc(AXR_ETOOMANY, login("quinn", "wrong", "10.0.0.3", NULL));
	F.now += 29 * SEC;
	assert_rc(AXR_ETOOMANY, login("quinn", "quinn-password", "10.0.0.1", &p));
	assert_int_equal(p.retry_after, 1);
	/* The window has passed: the lock expires by itself. */
	F.now += 1 * SEC;
	assert_rc(0, login("quinn", "quinn-password", "10.0.0.1", NULL));
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_login_attempt"), 0);
}

static void test_failures_by_name_and_by_email_count_for_one_account(void **state)
{
	(void)state;
	acct_register("rose", "rose@example.com", "rose-password");
	for (int i = 0; i < 3; i++)
		assert_rc(AXR_EUNAUTHORIZED, login("rose", "wrong", NULL, NULL));
	for (int i = 0; i < 2; i++)
		assert_rc(AXR_EUNAUTHORIZED, login("ROSE@example.com", "wrong", NULL, NULL));
	assert_rc(AXR_ETOOMANY, login("rose", "rose-password", NULL, NULL));
	assert_rc(AXR_ETOOMANY, login("rose@example.com", "rose-password", NULL, NULL));
}

static void test_retry_after_follows_the_oldest_counted_failure(void **state)
{
	(void)state;
	acct_register("sam", "sam@example.com", "sam-password");
	account_problem_t p = {0};
	for (int i = 0; i < 5; i++) {
		assert_rc(AXR_EUNAUTHORIZED, login("sam", "wrong", NULL, NULL));
		F.now += 10 * SEC; /* failures at 0, 10, 20, 30, 40 s */
	}
	F.now -= 5 * SEC; /* 45 s */
	assert_rc(AXR_ETOOMANY, login("sam", "sam-password", NULL, &p));
	assert_int_equal(p.retry_after, 15); /* the failure at 0 s leaves at 60 s */
	F.now += 15 * SEC;
	/* One slot free: one more guess, then locked until 70 s. */
	assert_rc(AXR_EUNAUTHORIZED, login("sam", "wrong", NULL, NULL));
	assert_rc(AXR_ETOOMANY, login("sam", "sam-password", NULL, &p));
	assert_int_equal(p.retry_after, 10);
}

static void test_success_resets_the_account_counter(void **state)
{
	(void)state;
	acct_register("tina", "tina@example.com", "tina-password");
	for (int i = 0; i < 4; i++)
		assert_rc(AXR_EUNAUTHORIZED, login("tina", "wrong", NULL, NULL));
	assert_rc(0, login("tina", "tina-password", NULL, NULL));
	for (int i = 0; i < 5; i++)
		assert_rc(AXR_EUNAUTHORIZED, login("tina", "wrong", NULL, NULL));
	assert_rc(AXR_ETOOMANY, login("tina", "tina-password", NULL, NULL));
}

static void test_unknown_accounts_lock_the_same_way(void **state)
{
	(void)state;
	account_problem_t p = {0};
	for (int i = 0; i < 5; i++)
		assert_rc(AXR_EUNAUTHORIZED, login("ghost", "wrong", NULL, NULL));
	assert_rc(AXR_ETOOMANY, login("ghost", "wrong", NULL, &p));
	assert_int_equal(p.retry_after, 60);
	/* Another unknown name is not affected. */
	assert_rc(AXR_EUNAUTHORIZED, login("ghost2", "wrong", NULL, NULL));
}

static void test_twenty_first_failure_from_one_address_is_refused(void **state)
{
	(void)state;
	acct_register("uma", "uma@example.com", "uma-password");
	account_problem_t p = {0};
	char name[32];
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof name, "victim%02d", i); /* 20 accounts, one failure each */
		assert_rc(AXR_EUNAUTHORIZED, login(name, "wrong", "203.0.113.7", NULL));
		F.now += 1 * SEC;
	}
	/* From that address, even a right password for a clean account waits. */
	assert_rc(AXR_ETOOMANY, login("uma", "uma-password", "203.0.113.7", &p));
	assert_int_equal(p.retry_after, 40); /* the first failure (0 s) leaves at 60 s; now is 20 s */
	/* Other addresses, and callers without one, are not affected. */
	assert_rc(0, login("uma", "uma-password", "203.0.113.8", NULL));
	assert_rc(0, login("uma", "uma-password", NULL, NULL));
	assert_rc(0, login("uma", "uma-password", "", NULL));
	F.now += 40 * SEC;
	assert_rc(0, login("uma", "uma-password", "203.0.113.7", NULL));
}

typedef struct burst {
	const char *url;
	int rc;
} burst_t;

static void *burst_thread(void *arg)
{
	burst_t *b = arg;
	axr_db_t *db = NULL;
	axr_arena_t *arena = axr_arena_new(0);
	account_session_t s;
	b->rc = axr_db_new(b->url, NULL, &db);
	if (b->rc == 0)
		b->rc = account_login_password(F.acc, db, "victor", "wrong", "198.51.100.1", arena, &s, NULL);
	axr_db_free(db);
	axr_arena_free(arena);
	return NULL;
}

static void test_a_concurrent_burst_checks_at_most_five_passwords(void **state)
{
	(void)state;
	acct_register("victor", "victor@example.com", "victor-password");
	enum { N = 16 };
	pthread_t th[N];
	burst_t b[N];
	for (int i = 0; i < N; i++) {
		b[i] = (burst_t){.url = F.tdb.url};
		assert_int_equal(pthread_create(&th[i], NULL, burst_thread, &b[i]), 0);
	}
	int refused = 0, checked = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		if (b[i].rc != AXR_EUNAUTHORIZED && b[i].rc != AXR_ETOOMANY)
			print_error("thread %d: %s\n", i, axr_errname(b[i].rc));
		checked += b[i].rc == AXR_EUNAUTHORIZED;
		refused += b[i].rc == AXR_ETOOMANY;
	}
	print_message("burst of %d wrong passwords at once: %d checked (401), %d refused (429)\n", N, checked, refused);
	assert_int_equal(checked + refused, N);
	assert_true(checked >= 1 && checked <= 5);
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_login_attempt"), checked);
}

static void test_cleanup_drops_attempts_older_than_an_hour(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++)
		assert_rc(AXR_EUNAUTHORIZED, login("walt", "wrong", "192.0.2.1", NULL));
	long removed = -1;
	F.now += 3599 * SEC;
	assert_rc(0, account_cleanup(F.acc, F.db, &removed));
	assert_int_equal(removed, 0);
	F.now += 2 * SEC;
	assert_rc(0, account_cleanup(F.acc, F.db, &removed));
	assert_int_equal(removed, 3);
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_login_attempt"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    ACCT_TEST(test_sixth_failure_within_a_minute_locks_the_account),
	    ACCT_TEST(test_failures_by_name_and_by_email_count_for_one_account),
	    ACCT_TEST(test_retry_after_follows_the_oldest_counted_failure),
	    ACCT_TEST(test_success_resets_the_account_counter),
	    ACCT_TEST(test_unknown_accounts_lock_the_same_way),
	    ACCT_TEST(test_twenty_first_failure_from_one_address_is_refused),
	    ACCT_TEST(test_a_concurrent_burst_checks_at_most_five_passwords),
	    ACCT_TEST(test_cleanup_drops_attempts_older_than_an_hour),
	};
	return ACCT_RUN(tests);
}
