/* test_register.c: sign-up, password storage, unique names and e-mails, access tokens, JWKS and the KDF cost. */
#define ACCT_TAG "register"
#include "account_fixture.h"

#include <sodium.h>
#include <time.h>

static void test_register_creates_user_and_logs_it_in(void **state)
{
	(void)state;
	account_session_t s = acct_register("alice", "Alice@Example.COM", "correct horse battery");

	assert_true(account_uuid_valid(s.user.uid));
	assert_string_equal(s.user.name, "alice");
	assert_string_equal(s.user.email, "alice@example.com"); /* stored in lower case */
	assert_int_equal(s.user.version, 0);
	assert_int_equal(s.user.nroles, 0);
	assert_false(s.user.verified_email);
	assert_false(s.user.guest);
	assert_string_equal(s.user.date_created, "2025-01-01T00:00:00.000000Z");
	assert_string_equal(s.user.last_login, "2025-01-01T00:00:00.000000Z");
	assert_int_equal(s.expires_in, 900);
	assert_int_equal(strlen(s.refresh), 43);
	assert_int_equal(s.refresh_expires_in, F.cfg.refresh_ttl_s);
	acct_assert_token(s.token, &s.user);
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_refresh_family"), 1);
}

static void test_register_never_stores_the_password_in_clear(void **state)
{
	(void)state;
	const char *pw = "s3cret-Pa55word";
	account_session_t s = acct_register("bob", "bob@example.com", pw);
	axr_db_result_t *r = NULL;
	const char *values[1] = {s.user.uid};

	assert_rc(0, axr_db_exec(F.db, NULL, "SELECT hash FROM account_password WHERE user_uid = $1::uuid", 1, values,
	                         NULL, NULL, &r));
	assert_int_equal(axr_db_result_rows(r), 1);
	const char *hash = axr_db_result_text(r, 0, 0, NULL);
	assert_non_null(hash);
	assert_memory_equal(hash, "$argon2id$", 10);
	assert_null(strstr(hash, pw));
	assert_int_equal(crypto_pwhash_str_verify(hash, pw, strlen(pw)), 0);
	axr_db_result_free(r);
	/* Nowhere else either: no text column of any table holds it. */
	assert_int_equal(acct_scalar("SELECT count(*) FROM \"user\" u WHERE u::text LIKE '%s3cret-Pa55word%'"), 0);
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_refresh_token t"
	                             " WHERE encode(t.token_hash, 'escape') LIKE '%s3cret%'"),
	                 0);
	/* The refresh token is kept as its SHA-256 only. */
	char want[67];
	unsigned char d[32];
	crypto_hash_sha256(d, (const unsigned char *)s.refresh, strlen(s.refresh));
	sodium_bin2hex(want, sizeof want, d, sizeof d);
	values[0] = want;
	assert_rc(0, axr_db_exec(F.db, NULL,
	                         "SELECT count(*) FROM account_refresh_token WHERE token_hash = decode($1, 'hex')", 1,
	                         values, NULL, NULL, &r));
	assert_string_equal(axr_db_result_text(r, 0, 0, NULL), "1");
	axr_db_result_free(r);
}

static void test_register_taken_name_or_email_names_the_field(void **state)
{
	(void)state;
	account_session_t s;
	account_problem_t p = {0};
	acct_register("carol", "carol@example.com", "password-one");

	account_registration_t same_name = {.name = "carol", .email = "other@example.com", .password = "password-two"};
	assert_rc(AXR_EEXISTS, account_user_register(F.acc, F.db, &same_name, F.arena, &s, &p));
	assert_string_equal(p.field, "/name");
	assert_null(s.token);

	account_registration_t same_email = {.name = "carol2", .email = "CAROL@example.com", .password = "password-two"};
	memset(&p, 0, sizeof p);
	assert_rc(AXR_EEXISTS, account_user_register(F.acc, F.db, &same_email, F.arena, &s, &p));
	assert_string_equal(p.field, "/email");
	assert_int_equal(acct_scalar("SELECT count(*) FROM \"user\""), 1);
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_password"), 1);
	assert_int_equal(acct_scalar("SELECT count(*) FROM account_refresh_family"), 1);
}

/* "Dave" and "dave" are one login: a second sign-up differing only in case is
 * a 409 on /name, and the password log-in takes the name in any case. */
static void test_names_are_unique_and_log_in_whatever_their_case(void **state)
{
	(void)state;
	account_session_t s;
	account_problem_t p = {0};
	acct_register("Dave", "dave@example.com", "password-one");

	account_registration_t other_case = {.name = "dAVE", .email = "dave2@example.com", .password = "password-two"};
	assert_rc(AXR_EEXISTS, account_user_register(F.acc, F.db, &other_case, F.arena, &s, &p));
	assert_string_equal(p.field, "/name");
	assert_int_equal(acct_scalar("SELECT count(*) FROM \"user\" WHERE lower(name) = 'dave'"), 1);

	memset(&p, 0, sizeof p);
	assert_rc(0, account_login_password(F.acc, F.db, "DAVE", "password-one", "127.0.0.1", F.arena, &s, &p));
	assert_non_null(s.token);
	assert_string_equal(s.user.name, "Dave");
}

static void test_register_refuses_bad_input_naming_the_field(void **state)
{
	(void)state;
	static const struct {
		account_registration_t reg;
		const char *field;
	} cases[] = {
	    {{.name = "dave", .email = "dave@example.com", .password = "1234567"}, "/password"},
	    {{.name = "dave", .email = "dave@example.com", .password = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"},
	     "/password"}, /* 14 bytes but 7 characters */
	    {{.name = "dave", .email = "dave@example.com", .password = "bad utf8 \xff\xfe"}, "/password"},
	    {{.name = "dave", .email = "dave@example.com", .password = NULL}, "/password"},
	    {{.name = "me", .email = "dave@example.com", .password = "long enough"}, "/name"},
	    {{.name = "-dave", .email = "dave@example.com", .password = "long enough"}, "/name"},
	    {{.name = "dave'; DROP TABLE \"user\"; --", .email = "dave@example.com", .password = "long enough"}, "/name"},
	    {{.name = "dave", .email = "not-an-address", .password = "long enough"}, "/email"},
	    {{.name = "dave", .email = "a@b@c", .password = "long enough"}, "/email"},
	    {{.name = "dave", .email = "da ve@example.com", .password = "long enough"}, "/email"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		account_session_t s;
		account_problem_t p = {0};
		int rc = account_user_register(F.acc, F.db, &cases[i].reg, F.arena, &s, &p);
		if (rc != AXR_EVALIDATION || !p.field || strcmp(p.field, cases[i].field) != 0)
			print_error("case %zu: %s field %s, want VALIDATION %s\n", i, axr_errname(rc), p.field ? p.field : "-",
			            cases[i].field);
		assert_int_equal(rc, AXR_EVALIDATION);
		assert_string_equal(p.field, cases[i].field);
	}
	/* Exactly 8 characters (multi-byte) is enough. */
	account_registration_t ok = {.name = "dave", .email = "dave@example.com",
	                             .password = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"};
	account_session_t s;
	assert_rc(0, account_user_register(F.acc, F.db, &ok, F.arena, &s, NULL));
	assert_int_equal(acct_scalar("SELECT count(*) FROM \"user\""), 1);
}

static void test_issued_token_carries_current_roles(void **state)
{
	(void)state;
	account_session_t s = acct_register("erin", "erin@example.com", "password-erin");
	const char *roles[] = {"admin", "moderator"};
	account_user_t u = s.user;
	u.roles = roles;
	u.nroles = 2;
	char *token = NULL;
	int ttl = 0;
	F.now += 7 * 1000000;
	assert_rc(0, account_issue_access_token(F.acc, &u, F.arena, &token, &ttl));
	assert_int_equal(ttl, 900);
	acct_assert_token(token, &u);
	/* Expired 15 min + 60 s leeway later. */
	const char *reason = NULL;
	assert_int_equal(axr_jwt_verify_at(F.verifier, token, strlen(token), F.now / 1000000 + 900 + 60, F.arena, NULL,
	                                   &reason),
	                 AXR_EUNAUTHORIZED);
}

static void test_jwks_serves_the_public_key_only(void **state)
{
	(void)state;
	size_t len = 0;
	const char *jwks = account_jwks(F.acc, &len);
	assert_non_null(strstr(jwks, "\"kid\":\"rsa-1\""));
	assert_non_null(strstr(jwks, "\"alg\":\"RS256\""));
	assert_null(strstr(jwks, "\"d\""));
	assert_null(strstr(jwks, "\"p\""));
	assert_int_equal(strlen(jwks), len);

	/* A rotation: the other key's public half is published too. */
	account_config_t c = F.cfg;
	c.jwt_published_keys = ACCT_KEYS "test-only-rs256-other-public.pem";
	c.pwhash_opslimit = 1;
	c.pwhash_memlimit = 64 * 1024;
	account_t *acc = NULL;
	assert_rc(0, account_new(&c, &acc));
	axr_jwks_t *set = NULL;
	jwks = account_jwks(acc, &len);
	assert_rc(0, axr_jwks_parse(jwks, len, &set));
	assert_int_equal(axr_jwks_count(set), 2);
	assert_non_null(axr_jwks_find(set, "rsa-1", 5));
	axr_jwks_free(set);
	account_free(acc);
}

static void test_context_refuses_bad_key_settings(void **state)
{
	(void)state;
	static const struct {
		const char *key;
		int alg;
		const char *kid;
	} cases[] = {
	    {"", AXR_JWT_RS256, ""},                                          /* no key */
	    {ACCT_KEYS "no-such-file.pem", AXR_JWT_RS256, ""},               /* unreadable */
	    {ACCT_KEYS "test-only-rs256-public.pem", AXR_JWT_RS256, ""},     /* public only */
	    {ACCT_KEYS "test-only-es256-private.pem", AXR_JWT_RS256, ""},    /* alg mismatch */
	    {ACCT_KEYS "test-only-rsa1024-weak-private.pem", AXR_JWT_RS256, ""},
	    {ACCT_KEYS "test-only-rs256-private.pem", AXR_JWT_RS256, "../etc"}, /* bad kid */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		account_config_t c = F.cfg;
		account_t *acc = NULL;
		c.jwt_private_key = cases[i].key;
		c.alg = cases[i].alg;
		c.jwt_kid = cases[i].kid;
		int rc = account_new(&c, &acc);
		if (rc != AXR_ECONFIG)
			print_error("case %zu (%s): %s\n", i, cases[i].key, axr_errname(rc));
		assert_int_equal(rc, AXR_ECONFIG);
		assert_null(acc);
	}
	/* ES256 works when configured so. */
	account_config_t c = F.cfg;
	account_t *acc = NULL;
	c.jwt_private_key = ACCT_KEYS "test-only-es256-private.pem";
	c.alg = AXR_JWT_ES256;
	c.jwt_kid = "";
	c.pwhash_memlimit = 64 * 1024;
	c.pwhash_opslimit = 1;
	assert_rc(0, account_new(&c, &acc));
	assert_non_null(strstr(account_jwks(acc, NULL), "\"crv\":\"P-256\""));
	account_free(acc);
}

/* The cost of the configured KDF (defaults: t=2, m=19 MiB), printed for
 * docs/account.md; the default must stay in a usable band on this box. */
static void test_kdf_cost_of_the_default_limits(void **state)
{
	(void)state;
	account_config_t def;
	char err[256];
	assert_int_equal(account_config_load(&def, err, sizeof err), 0);
	char hash[crypto_pwhash_STRBYTES];
	const int n = 5;
	struct timespec c0, c1;
	double t0 = axr_test_now_s();
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	for (int i = 0; i < n; i++)
		assert_int_equal(crypto_pwhash_str(hash, "correct horse battery staple", 28,
		                                   (unsigned long long)def.pwhash_opslimit, (size_t)def.pwhash_memlimit),
		                 0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	double hash_ms = (axr_test_now_s() - t0) * 1000 / n;
	double cpu_ms = ((double)(c1.tv_sec - c0.tv_sec) * 1e3 + (double)(c1.tv_nsec - c0.tv_nsec) / 1e6) / n;
	t0 = axr_test_now_s();
	for (int i = 0; i < n; i++)
		assert_int_equal(crypto_pwhash_str_verify(hash, "correct horse battery staple", 28), 0);
	double verify_ms = (axr_test_now_s() - t0) * 1000 / n;
	print_message("KDF cost: argon2id t=%ld m=%ld KiB p=1: %.1f ms CPU per hash (%.1f ms wall),"
	              " %.1f ms wall per verification (%d runs each; %s)\n",
	              def.pwhash_opslimit, def.pwhash_memlimit / 1024, cpu_ms, hash_ms, verify_ms, n, hash);
	assert_true(hash_ms > 5 && hash_ms < 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    ACCT_TEST(test_register_creates_user_and_logs_it_in),
	    ACCT_TEST(test_register_never_stores_the_password_in_clear),
	    ACCT_TEST(test_register_taken_name_or_email_names_the_field),
	    ACCT_TEST(test_names_are_unique_and_log_in_whatever_their_case),
	    ACCT_TEST(test_register_refuses_bad_input_naming_the_field),
	    ACCT_TEST(test_issued_token_carries_current_roles),
	    ACCT_TEST(test_jwks_serves_the_public_key_only),
	    ACCT_TEST(test_context_refuses_bad_key_settings),
	    ACCT_TEST(test_kdf_cost_of_the_default_limits),
	};
	return ACCT_RUN(tests);
}
