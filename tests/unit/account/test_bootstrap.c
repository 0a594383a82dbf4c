/* test_bootstrap.c: the admin account from AXR_ADMIN_NAME/PASSWORD (once, concurrently, never granted to a squatter) and the start-up migration. */
#define ACCT_TAG "bootstrap"
#include "account_fixture.h"

#include <pthread.h>

/* A context whose admin settings are name/password. */
static account_t *admin_context(const char *name, const char *password)
{
	account_config_t c = F.cfg;
	account_t *acc = NULL;
	c.admin_name = name;
	c.admin_password = password;
	c.pwhash_opslimit = 1;
	c.pwhash_memlimit = 64 * 1024;
	if (account_new(&c, &acc) != 0)
		return NULL;
	account_set_clock(acc, acct_clock, &F.now);
	return acc;
}

static void test_bootstrap_creates_the_admin_once(void **state)
{
	(void)state;
	account_t *acc = admin_context("operator", "operator-password");
	bool created = false;
	assert_non_null(acc);

	assert_rc(0, account_bootstrap_admin(acc, F.db, &created));
	assert_true(created);
	assert_rc(0, account_bootstrap_admin(acc, F.db, &created));
	assert_false(created);
	assert_int_equal(acct_scalar("SELECT count(*) FROM \"user\" WHERE name = 'operator' AND roles ? 'admin'"), 1);
	assert_int_equal(acct_scalar("SELECT count(*) FROM \"role\" WHERE name = 'admin'"), 1);

	/* The admin logs in and its token says admin. */
	account_session_t s;
	assert_rc(0, account_login_password(acc, F.db, "operator", "operator-password", NULL, F.arena, &s, NULL));
	assert_int_equal(s.user.nroles, 1);
	assert_string_equal(s.user.roles[0], "admin");
	acct_assert_token(s.token, &s.user);
	/* A restart with another password leaves the stored one alone. */
	account_t *later = admin_context("operator", "changed-password");
	assert_rc(0, account_bootstrap_admin(later, F.db, &created));
	assert_false(created);
	assert_rc(0, account_login_password(acc, F.db, "operator", "operator-password", NULL, F.arena, &s, NULL));
	account_free(later);
	account_free(acc);
}

static void test_bootstrap_without_settings_does_nothing_and_bad_ones_stop_start_up(void **state)
{
	(void)state;
	bool created = true;
	assert_rc(0, account_bootstrap_admin(F.acc, F.db, &created)); /* AXR_ADMIN_NAME unset */
	assert_false(created);
	assert_int_equal(acct_scalar("SELECT count(*) FROM \"user\""), 0);

	static const char *const bad[][2] = {{"operator", ""}, {"operator", "short"}, {"no", "long enough password"},
	                                     {"bad name!", "long enough password"}};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		account_t *acc = admin_context(bad[i][0], bad[i][1]);
		assert_non_null(acc);
		assert_rc(AXR_ECONFIG, account_bootstrap_admin(acc, F.db, &created));
		assert_false(created);
		account_free(acc);
	}
	assert_int_equal(acct_scalar("SELECT count(*) FROM \"user\""), 0);
}

static void test_bootstrap_never_grants_admin_to_an_existing_user(void **state)
{
	(void)state;
	acct_register("operator", "squatter@example.com", "squatter-password");
	account_t *acc = admin_context("operator", "operator-password");
	bool created = true;
	assert_rc(AXR_ECONFIG, account_bootstrap_admin(acc, F.db, &created));
	assert_false(created);
	assert_int_equal(acct_scalar("SELECT count(*) FROM \"user\" WHERE roles ? 'admin'"), 0);
	account_free(acc);
}

typedef struct racer {
	account_t *acc;
	const char *url;
	int rc;
	bool created;
} racer_t;

static void *bootstrap_thread(void *arg)
{
	racer_t *r = arg;
	axr_db_t *db = NULL;
	r->rc = axr_db_new(r->url, NULL, &db);
	if (r->rc == 0)
		r->rc = account_bootstrap_admin(r->acc, db, &r->created);
	axr_db_free(db);
	return NULL;
}

static void test_replicas_bootstrapping_at_once_create_one_admin(void **state)
{
	(void)state;
	enum { N = 6 };
	pthread_t th[N];
	racer_t r[N];
	account_t *acc = admin_context("operator", "operator-password"); /* one per replica in life; shared here */
	for (int i = 0; i < N; i++) {
		r[i] = (racer_t){.acc = acc, .url = F.tdb.url};
		assert_int_equal(pthread_create(&th[i], NULL, bootstrap_thread, &r[i]), 0);
	}
	int created = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		if (r[i].rc != 0)
			print_error("replica %d: %s\n", i, axr_errname(r[i].rc));
		assert_int_equal(r[i].rc, 0);
		created += r[i].created;
	}
	assert_int_equal(created, 1);
	assert_int_equal(acct_scalar("SELECT count(*) FROM \"user\""), 1);
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_password"), 1);
	assert_int_equal(acct_scalar("SELECT count(*) FROM \"role\""), 1);
	account_free(acc);
}

static void *schema_thread(void *arg)
{
	racer_t *r = arg;
	r->rc = acct_migrate(r->url);
	return NULL;
}

static void test_start_up_migration_applies_again_and_concurrently(void **state)
{
	(void)state;
	enum { N = 4 };
	pthread_t th[N];
	racer_t r[N];
	char sql[160];

	/* A second database, empty, set up by N replicas at once. */
	axr_test_db_url(F.tdb.admin_url, "axr_t_acct_schema_race", sql, sizeof sql);
	char url[512];
	snprintf(url, sizeof url, "%s", sql);
	assert_int_equal(axr_test_db_exec_on(F.tdb.admin_url, "DROP DATABASE IF EXISTS axr_t_acct_schema_race WITH (FORCE)"), 0);
	assert_int_equal(axr_test_db_exec_on(F.tdb.admin_url, "CREATE DATABASE axr_t_acct_schema_race TEMPLATE template0"), 0);
	for (int i = 0; i < N; i++) {
		r[i] = (racer_t){.url = url};
		assert_int_equal(pthread_create(&th[i], NULL, schema_thread, &r[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		if (r[i].rc != 0)
			print_error("replica %d: %s\n", i, axr_errname(r[i].rc));
		assert_int_equal(r[i].rc, 0);
	}
	assert_int_equal(axr_test_db_exec_on(F.tdb.admin_url, "DROP DATABASE axr_t_acct_schema_race WITH (FORCE)"), 0);
	/* And again on the fixture's database, with data in it. */
	acct_register("still-here", "still@example.com", "still-password");
	assert_rc(0, acct_migrate(F.tdb.url));
	assert_int_equal(acct_scalar("SELECT count(*) FROM \"user\""), 1);
	/* The hand-written tables came from migrations/account/, recorded once;
	 * the entity tables from the generated step, its checksum recorded once. */
	assert_int_equal(acct_scalar("SELECT count(*) FROM axr_migrations WHERE id = '001_auth_tables.sql'"), 1);
	assert_int_equal(acct_scalar("SELECT count(*) FROM axr_migrations WHERE id <> '001_auth_tables.sql'"), 1);
	assert_int_equal(acct_scalar("SELECT count(*) FROM pg_indexes WHERE tablename = 'user'"
	                             " AND indexname IN ('user_name_key', 'user_email_key')"), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    ACCT_TEST(test_bootstrap_creates_the_admin_once),
	    ACCT_TEST(test_bootstrap_without_settings_does_nothing_and_bad_ones_stop_start_up),
	    ACCT_TEST(test_bootstrap_never_grants_admin_to_an_existing_user),
	    ACCT_TEST(test_replicas_bootstrapping_at_once_create_one_admin),
	    ACCT_TEST(test_start_up_migration_applies_again_and_concurrently),
	};
	return ACCT_RUN(tests);
}
