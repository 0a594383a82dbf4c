/* test_jwt.c: unit and attack tests for token verification, signing and JWKS (runtime/jwt.c, jwks.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <pthread.h>

#include "arena.h"
#include "err.h"
#include "jwks.h"
#include "jwt.h"

#define KEYS "tests/fixtures/keys/"
#define ISS "https://account.axr.test"
#define AUD "axr"
#define NOW INT64_C(1900000000)

/* Fixtures shared by every test, built once by the group setup. */
static struct {
	axr_jwk_t *rsa, *rsa_other, *ec;
	axr_jwks_t *rsa_set, *ec_set, *rotation_set;
	axr_jwt_verifier_t *rs256, *es256, *rotation;
	axr_jwt_signer_t *rs_signer, *ec_signer, *other_signer;
	EVP_PKEY *rsa_priv, *rsa_other_priv, *ec_priv;
	char *rsa_public_pem; /* the file's bytes, as an attacker would fetch them */
	axr_arena_t *arena;
} fx;

/* ---- helpers ---- */

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static EVP_PKEY *load_private(const char *path)
{
	FILE *f = fopen(path, "rb");
	EVP_PKEY *k;

	assert_non_null(f);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(k);
	return k;
}

static char *b64url(const void *data, size_t len)
{
	size_t cap = AXR__B64URL_ENCODED_SIZE(len);
	char *out = axr_arena_alloc(fx.arena, cap);

	assert_non_null(out);
	assert_true(axr__b64url_encode(data, len, out, cap) >= 0);
	return out;
}

/* Signs `data` with `key` (RS256, or ES256 as JWS R || S). */
static size_t sign_raw(EVP_PKEY *key, const char *data, unsigned char *out, size_t cap)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[512];
	size_t len = sizeof(der);

	assert_non_null(md);
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(md, der, &len, (const unsigned char *)data, strlen(data)), 1);
	EVP_MD_CTX_free(md);
	if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
		assert_true(len <= cap);
		memcpy(out, der, len);
		return len;
	}
	{
		const unsigned char *p = der;
		ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
		assert_non_null(sig);
		assert_true(cap >= 64);
		BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, 32);
		BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + 32, 32);
		ECDSA_SIG_free(sig);
		return 64;
	}
}

enum sig_mode { SIG_KEY, SIG_HS256_WITH_PUBLIC_PEM, SIG_EMPTY, SIG_JUNK };

/* Builds "b64(header).b64(payload).sig" from raw JSON texts. */
static char *craft(const char *header, const char *payload, enum sig_mode mode, EVP_PKEY *key)
{
	unsigned char sig[512];
	unsigned int hlen = 0;
	size_t slen = 0;
	char *signing = axr_arena_printf(fx.arena, "%s.%s", b64url(header, strlen(header)),
					 b64url(payload, strlen(payload)));

	assert_non_null(signing);
	switch (mode) {
	case SIG_KEY:
		slen = sign_raw(key, signing, sig, sizeof(sig));
		break;
	case SIG_HS256_WITH_PUBLIC_PEM:
		assert_non_null(HMAC(EVP_sha256(), fx.rsa_public_pem, (int)strlen(fx.rsa_public_pem),
				     (const unsigned char *)signing, strlen(signing), sig, &hlen));
		slen = hlen;
		break;
	case SIG_EMPTY:
		return axr_arena_printf(fx.arena, "%s.", signing);
	case SIG_JUNK:
		memset(sig, 0x5a, 256);
		slen = 256;
		break;
	}
	return axr_arena_printf(fx.arena, "%s.%s", signing, b64url(sig, slen));
}

#define RS_HEADER "{\"alg\":\"RS256\",\"typ\":\"JWT\"}"
#define ES_HEADER "{\"alg\":\"ES256\",\"typ\":\"JWT\"}"

/* A valid payload with some fields overridable by printf arguments. */
static char *payload_times(int64_t iat, int64_t exp)
{
	return axr_arena_printf(fx.arena,
				"{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"user-1\",\"iat\":%lld,"
				"\"exp\":%lld,\"jti\":\"j-1\",\"profile\":{\"uid\":\"u-1\",\"name\":\"alice\","
				"\"roles\":[\"player\",\"admin\"]}}",
				(long long)iat, (long long)exp);
}

static char *valid_payload(void)
{
	return payload_times(NOW - 10, NOW + 600);
}

static char *rs_token(const char *header, const char *payload)
{
	return craft(header, payload, SIG_KEY, fx.rsa_priv);
}

static int verify_v(const axr_jwt_verifier_t *v, const char *tok, size_t len, int64_t now,
		    axr_jwt_claims_t *claims, const char **reason)
{
	return axr_jwt_verify_at(v, tok, len, now, fx.arena, claims, reason);
}

static void expect_reject_at(const axr_jwt_verifier_t *v, const char *tok, size_t len, int64_t now,
			     const char *why)
{
	const char *reason = NULL;
	axr_jwt_claims_t c;
	int rc = verify_v(v, tok, len, now, &c, &reason);

	if (rc != AXR_EUNAUTHORIZED || (why != NULL && (reason == NULL || strcmp(reason, why) != 0)))
		print_error("token %.100s...: rc=%d reason=\"%s\", expected rc=%d reason=\"%s\"\n", tok, rc,
			    reason ? reason : "(null)", AXR_EUNAUTHORIZED, why ? why : "(any)");
	assert_int_equal(rc, AXR_EUNAUTHORIZED);
	assert_non_null(reason);
	if (why != NULL)
		assert_string_equal(reason, why);
}

#define REJECT(tok, why) expect_reject_at(fx.rs256, (tok), strlen(tok), NOW, (why))

static void expect_accept_at(const axr_jwt_verifier_t *v, const char *tok, int64_t now,
			     axr_jwt_claims_t *claims)
{
	const char *reason = NULL;
	axr_jwt_claims_t c;
	int rc = verify_v(v, tok, strlen(tok), now, claims ? claims : &c, &reason);

	if (rc != 0)
		print_error("token %.100s...: rc=%d reason=\"%s\", expected acceptance\n", tok, rc,
			    reason ? reason : "(null)");
	assert_int_equal(rc, 0);
	assert_null(reason);
}

#define ACCEPT(tok) expect_accept_at(fx.rs256, (tok), NOW, NULL)

/* ---- setup ---- */

static axr_jwt_verifier_t *make_verifier(axr_jwt_alg_t alg, const axr_jwks_t *keys)
{
	axr_jwt_verifier_config_t cfg;
	axr_jwt_verifier_t *v = NULL;

	axr_jwt_verifier_config_init(&cfg);
	cfg.alg = alg;
	cfg.issuer = ISS;
	cfg.audience = AUD;
	cfg.keys = keys;
	assert_int_equal(axr_jwt_verifier_new(&cfg, &v), 0);
	return v;
}

static axr_jwt_signer_t *make_signer(const axr_jwk_t *key)
{
	axr_jwt_signer_config_t cfg;
	axr_jwt_signer_t *s = NULL;

	axr_jwt_signer_config_init(&cfg);
	cfg.key = key;
	cfg.issuer = ISS;
	cfg.audience = AUD;
	assert_int_equal(axr_jwt_signer_new(&cfg, &s), 0);
	return s;
}

static axr_jwks_t *set_of(axr_jwk_t *a, axr_jwk_t *b)
{
	axr_jwks_t *set = NULL;
	axr_jwk_t *copy = NULL;
	size_t len;
	const char *pem;

	assert_int_equal(axr_jwks_new(&set), 0);
	pem = axr_jwk_public_pem(a, &len);
	assert_int_equal(axr_jwk_from_pem(pem, len, axr_jwk_kid(a), &copy), 0);
	assert_int_equal(axr_jwks_add(set, copy), 0);
	if (b != NULL) {
		pem = axr_jwk_public_pem(b, &len);
		assert_int_equal(axr_jwk_from_pem(pem, len, axr_jwk_kid(b), &copy), 0);
		assert_int_equal(axr_jwks_add(set, copy), 0);
	}
	return set;
}

static int group_setup(void **state)
{
	(void)state;
	fx.arena = axr_arena_new(0);
	assert_int_equal(axr_jwk_from_file(KEYS "test-only-rs256-private.pem", "rsa-1", &fx.rsa), 0);
	assert_int_equal(axr_jwk_from_file(KEYS "test-only-rs256-other-private.pem", "rsa-2", &fx.rsa_other), 0);
	assert_int_equal(axr_jwk_from_file(KEYS "test-only-es256-private.pem", "ec-1", &fx.ec), 0);
	fx.rsa_set = set_of(fx.rsa, NULL);
	fx.ec_set = set_of(fx.ec, NULL);
	fx.rotation_set = set_of(fx.rsa, fx.rsa_other);
	fx.rs256 = make_verifier(AXR_JWT_RS256, fx.rsa_set);
	fx.es256 = make_verifier(AXR_JWT_ES256, fx.ec_set);
	fx.rotation = make_verifier(AXR_JWT_RS256, fx.rotation_set);
	fx.rs_signer = make_signer(fx.rsa);
	fx.ec_signer = make_signer(fx.ec);
	fx.other_signer = make_signer(fx.rsa_other);
	fx.rsa_priv = load_private(KEYS "test-only-rs256-private.pem");
	fx.rsa_other_priv = load_private(KEYS "test-only-rs256-other-private.pem");
	fx.ec_priv = load_private(KEYS "test-only-es256-private.pem");
	fx.rsa_public_pem = read_file(KEYS "test-only-rs256-public.pem");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	axr_jwt_verifier_free(fx.rs256);
	axr_jwt_verifier_free(fx.es256);
	axr_jwt_verifier_free(fx.rotation);
	axr_jwt_signer_free(fx.rs_signer);
	axr_jwt_signer_free(fx.ec_signer);
	axr_jwt_signer_free(fx.other_signer);
	axr_jwks_free(fx.rsa_set);
	axr_jwks_free(fx.ec_set);
	axr_jwks_free(fx.rotation_set);
	axr_jwk_free(fx.rsa);
	axr_jwk_free(fx.rsa_other);
	axr_jwk_free(fx.ec);
	EVP_PKEY_free(fx.rsa_priv);
	EVP_PKEY_free(fx.rsa_other_priv);
	EVP_PKEY_free(fx.ec_priv);
	free(fx.rsa_public_pem);
	axr_arena_free(fx.arena);
	return 0;
}

static char *sign_with(const axr_jwt_signer_t *s, int64_t iat, int64_t exp)
{
	static const char *roles[] = {"player", "admin"};
	axr_jwt_claims_t in;
	char *tok = NULL;

	memset(&in, 0, sizeof(in));
	in.sub = "user-1";
	in.iat = iat;
	in.exp = exp;
	in.profile.uid = "u-1";
	in.profile.name = "alice \"the\" \xc3\xa9l\xc3\xa8ve";
	in.profile.roles = roles;
	in.profile.nroles = 2;
	assert_int_equal(axr_jwt_sign(s, &in, fx.arena, &tok), 0);
	return tok;
}

/* ---- sign and verify ---- */

static void check_roundtrip(const axr_jwt_signer_t *s, const axr_jwt_verifier_t *v, const char *kid)
{
	axr_jwt_claims_t c;
	char *tok = sign_with(s, NOW, NOW + 900);
	char *want_kid = axr_arena_printf(fx.arena, "\"kid\":\"%s\"", kid);
	char header[256];
	long n = axr__b64url_decode(tok, (size_t)(strchr(tok, '.') - tok), (unsigned char *)header,
				    sizeof(header) - 1);

	assert_true(n > 0);
	header[n] = '\0';
	assert_non_null(strstr(header, want_kid));
	expect_accept_at(v, tok, NOW, &c);
	assert_string_equal(c.sub, "user-1");
	assert_int_equal(c.exp, NOW + 900);
	assert_int_equal(c.iat, NOW);
	assert_non_null(c.jti);
	assert_int_equal(strlen(c.jti), 36); /* random UUIDv4 */
	assert_int_equal(c.jti[14], '4');
	assert_string_equal(c.profile.uid, "u-1");
	assert_string_equal(c.profile.name, "alice \"the\" \xc3\xa9l\xc3\xa8ve");
	assert_int_equal(c.profile.nroles, 2);
	assert_string_equal(c.profile.roles[0], "player");
	assert_string_equal(c.profile.roles[1], "admin");
	assert_true(axr_jwt_has_role(&c, "admin"));
	assert_false(axr_jwt_has_role(&c, "Admin"));
	assert_false(axr_jwt_has_role(&c, "adm"));
}

static void test_sign_verify_roundtrip_rs256(void **state)
{
	(void)state;
	check_roundtrip(fx.rs_signer, fx.rs256, "rsa-1");
}

static void test_sign_verify_roundtrip_es256(void **state)
{
	(void)state;
	check_roundtrip(fx.ec_signer, fx.es256, "ec-1");
}

static void test_sign_uses_now_and_ttl_and_fresh_jti_when_unset(void **state)
{
	axr_jwt_claims_t in, a, b;
	char *t1 = NULL, *t2 = NULL;
	int64_t before = (int64_t)time(NULL);

	(void)state;
	memset(&in, 0, sizeof(in));
	in.sub = "user-2";
	assert_int_equal(axr_jwt_sign(fx.rs_signer, &in, fx.arena, &t1), 0);
	assert_int_equal(axr_jwt_sign(fx.rs_signer, &in, fx.arena, &t2), 0);
	assert_int_equal(axr_jwt_verify(fx.rs256, t1, strlen(t1), fx.arena, &a, NULL), 0);
	assert_int_equal(axr_jwt_verify(fx.rs256, t2, strlen(t2), fx.arena, &b, NULL), 0);
	assert_true(a.iat >= before && a.iat <= before + 5);
	assert_int_equal(a.exp - a.iat, AXR_JWT_DEFAULT_TTL);
	assert_string_not_equal(a.jti, b.jti);
	assert_null(a.profile.uid);
	assert_int_equal(a.profile.nroles, 0);
	assert_false(axr_jwt_has_role(&a, "admin"));
}

static void test_sign_refuses_bad_claims(void **state)
{
	const char *roles[AXR_JWT_MAX_ROLES + 1];
	char long_sub[AXR_JWT_MAX_CLAIM_STRING + 2];
	axr_jwt_claims_t in;
	char *tok = NULL;
	size_t i;

	(void)state;
	memset(&in, 0, sizeof(in));
	assert_int_equal(axr_jwt_sign(fx.rs_signer, &in, fx.arena, &tok), AXR_EINVAL); /* no sub */
	memset(long_sub, 'x', sizeof(long_sub) - 1);
	long_sub[sizeof(long_sub) - 1] = '\0';
	in.sub = long_sub;
	assert_int_equal(axr_jwt_sign(fx.rs_signer, &in, fx.arena, &tok), AXR_EINVAL);
	in.sub = "bad \xff utf8";
	assert_int_equal(axr_jwt_sign(fx.rs_signer, &in, fx.arena, &tok), AXR_EINVAL);
	in.sub = "ok";
	in.iat = NOW;
	in.exp = NOW;
	assert_int_equal(axr_jwt_sign(fx.rs_signer, &in, fx.arena, &tok), AXR_EINVAL);
	in.exp = NOW + 1;
	for (i = 0; i < AXR_JWT_MAX_ROLES + 1; i++)
		roles[i] = "r";
	in.profile.roles = roles;
	in.profile.nroles = AXR_JWT_MAX_ROLES + 1;
	assert_int_equal(axr_jwt_sign(fx.rs_signer, &in, fx.arena, &tok), AXR_EINVAL);
	assert_null(tok);
}

static void test_crafted_valid_token_verifies(void **state)
{
	axr_jwt_claims_t c;

	(void)state;
	expect_accept_at(fx.rs256, rs_token(RS_HEADER, valid_payload()), NOW, &c);
	assert_string_equal(c.sub, "user-1");
	assert_string_equal(c.jti, "j-1");
	expect_accept_at(fx.rs256,
			 rs_token("{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}", valid_payload()), NOW, NULL);
	expect_accept_at(fx.es256, craft(ES_HEADER, valid_payload(), SIG_KEY, fx.ec_priv), NOW, NULL);
}

/* ---- attacks: algorithm ---- */

static void test_rejects_alg_none_without_signature(void **state)
{
	(void)state;
	REJECT(craft("{\"alg\":\"none\"}", valid_payload(), SIG_EMPTY, NULL), "empty token segment");
	REJECT(craft("{\"alg\":\"None\",\"typ\":\"JWT\"}", valid_payload(), SIG_EMPTY, NULL),
	       "empty token segment");
	REJECT(craft("{\"alg\":\"nOnE\"}", valid_payload(), SIG_EMPTY, NULL), "empty token segment");
}

static void test_rejects_alg_none_with_signature(void **state)
{
	(void)state;
	REJECT(rs_token("{\"alg\":\"none\"}", valid_payload()), "alg none refused");
	REJECT(rs_token("{\"alg\":\"None\"}", valid_payload()), "alg none refused");
	REJECT(rs_token("{\"alg\":\"nOnE\"}", valid_payload()), "alg none refused");
	REJECT(rs_token("{\"alg\":\"NONE\"}", valid_payload()), "alg none refused");
}

static void test_rejects_alg_in_other_case_or_missing(void **state)
{
	(void)state;
	REJECT(rs_token("{\"alg\":\"rs256\"}", valid_payload()), "alg not allowed");
	REJECT(rs_token("{\"alg\":\"Rs256\"}", valid_payload()), "alg not allowed");
	REJECT(rs_token("{\"typ\":\"JWT\"}", valid_payload()), "alg missing");
	REJECT(rs_token("{\"alg\":null}", valid_payload()), "alg missing");
	REJECT(rs_token("{\"alg\":[\"RS256\"]}", valid_payload()), "alg missing");
}

static void test_rejects_hs256_signed_with_public_key_pem(void **state)
{
	(void)state;
	REJECT(craft("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", valid_payload(), SIG_HS256_WITH_PUBLIC_PEM, NULL),
	       "alg not allowed");
}

static void test_rejects_es256_token_with_rs256_config(void **state)
{
	(void)state;
	REJECT(craft(ES_HEADER, valid_payload(), SIG_KEY, fx.ec_priv), "alg not allowed");
	REJECT(sign_with(fx.ec_signer, NOW, NOW + 60), "alg not allowed");
}

static void test_rejects_rs256_token_with_es256_config(void **state)
{
	char *crafted = rs_token(RS_HEADER, valid_payload());
	char *t = sign_with(fx.rs_signer, NOW, NOW + 60);

	(void)state;
	expect_reject_at(fx.es256, crafted, strlen(crafted), NOW, "alg not allowed");
	expect_reject_at(fx.es256, t, strlen(t), NOW, "alg not allowed");
}

/* ---- attacks: time claims ---- */

static void test_accepts_59s_after_exp_within_leeway(void **state)
{
	(void)state;
	expect_accept_at(fx.rs256, rs_token(RS_HEADER, payload_times(NOW - 600, NOW - 59)), NOW, NULL);
}

static void test_rejects_61s_after_exp(void **state)
{
	(void)state;
	REJECT(rs_token(RS_HEADER, payload_times(NOW - 600, NOW - 61)), "token expired");
	REJECT(rs_token(RS_HEADER, payload_times(NOW - 600, NOW - 60)), "token expired");
}

static void test_rejects_nbf_in_the_future_beyond_leeway(void **state)
{
	char *p = axr_arena_printf(fx.arena, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"s\","
				   "\"exp\":%lld,\"nbf\":%lld}", (long long)(NOW + 600), (long long)(NOW + 61));

	(void)state;
	REJECT(rs_token(RS_HEADER, p), "token not yet valid");
	p = axr_arena_printf(fx.arena, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"s\","
			     "\"exp\":%lld,\"nbf\":%lld}", (long long)(NOW + 600), (long long)(NOW + 59));
	ACCEPT(rs_token(RS_HEADER, p));
}

static void test_rejects_iat_in_the_future_beyond_leeway(void **state)
{
	(void)state;
	REJECT(rs_token(RS_HEADER, payload_times(NOW + 61, NOW + 600)), "token issued in the future");
	ACCEPT(rs_token(RS_HEADER, payload_times(NOW + 59, NOW + 600)));
}

#define CLAIMS_WITH_EXP(exp) \
	"{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"s\",\"exp\":" exp "}"

static void test_rejects_exp_missing(void **state)
{
	(void)state;
	REJECT(rs_token(RS_HEADER, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"s\"}"), "exp missing");
}

static void test_rejects_exp_as_string(void **state)
{
	(void)state;
	REJECT(rs_token(RS_HEADER, CLAIMS_WITH_EXP("\"2000000000\"")), "time claim is not an integer");
}

static void test_rejects_exp_as_float(void **state)
{
	(void)state;
	REJECT(rs_token(RS_HEADER, CLAIMS_WITH_EXP("2000000000.0")), "time claim is not an integer");
	REJECT(rs_token(RS_HEADER, CLAIMS_WITH_EXP("2000000000.5")), "time claim is not an integer");
	REJECT(rs_token(RS_HEADER, CLAIMS_WITH_EXP("2e9")), "time claim is not an integer");
}

static void test_rejects_exp_of_other_types_or_out_of_range(void **state)
{
	(void)state;
	REJECT(rs_token(RS_HEADER, CLAIMS_WITH_EXP("true")), "time claim is not an integer");
	REJECT(rs_token(RS_HEADER, CLAIMS_WITH_EXP("null")), "time claim is not an integer");
	REJECT(rs_token(RS_HEADER, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"s\",\"exp\":2000000000,"
				   "\"nbf\":null}"),
	       "time claim is not an integer");
	REJECT(rs_token(RS_HEADER, CLAIMS_WITH_EXP("-1")), "time claim out of range");
	REJECT(rs_token(RS_HEADER, CLAIMS_WITH_EXP("99999999999999")), "time claim out of range");
	REJECT(rs_token(RS_HEADER, CLAIMS_WITH_EXP("9223372036854775807")), "time claim out of range");
	REJECT(rs_token(RS_HEADER, CLAIMS_WITH_EXP("18446744073709551615")), "time claim out of range");
	REJECT(rs_token(RS_HEADER, CLAIMS_WITH_EXP("99999999999999999999999")), NULL);
}

/* ---- attacks: iss, aud, sub ---- */

#define CLAIMS_ISS_AUD(iss, aud) \
	"{\"iss\":" iss ",\"aud\":" aud ",\"sub\":\"s\",\"exp\":2000000000}"

static void test_rejects_wrong_issuer(void **state)
{
	(void)state;
	REJECT(rs_token(RS_HEADER, CLAIMS_ISS_AUD("\"https://evil.test\"", "\"" AUD "\"")), "wrong issuer");
	REJECT(rs_token(RS_HEADER, CLAIMS_ISS_AUD("\"" ISS "/\"", "\"" AUD "\"")), "wrong issuer");
	REJECT(rs_token(RS_HEADER, CLAIMS_ISS_AUD("\"HTTPS://ACCOUNT.AXR.TEST\"", "\"" AUD "\"")),
	       "wrong issuer");
	REJECT(rs_token(RS_HEADER, "{\"aud\":\"" AUD "\",\"sub\":\"s\",\"exp\":2000000000}"), "iss missing");
}

static void test_rejects_aud_missing(void **state)
{
	(void)state;
	REJECT(rs_token(RS_HEADER, "{\"iss\":\"" ISS "\",\"sub\":\"s\",\"exp\":2000000000}"), "aud missing");
}

static void test_rejects_foreign_aud_string(void **state)
{
	(void)state;
	REJECT(rs_token(RS_HEADER, CLAIMS_ISS_AUD("\"" ISS "\"", "\"other\"")), "wrong audience");
	REJECT(rs_token(RS_HEADER, CLAIMS_ISS_AUD("\"" ISS "\"", "\"axr \"")), "wrong audience");
}

static void test_rejects_foreign_aud_array(void **state)
{
	(void)state;
	REJECT(rs_token(RS_HEADER, CLAIMS_ISS_AUD("\"" ISS "\"", "[\"other\",\"more\"]")), "wrong audience");
	REJECT(rs_token(RS_HEADER, CLAIMS_ISS_AUD("\"" ISS "\"", "[]")), "wrong audience");
	REJECT(rs_token(RS_HEADER, CLAIMS_ISS_AUD("\"" ISS "\"", "[\"axr\",1]")), "aud element is not a string");
	REJECT(rs_token(RS_HEADER, CLAIMS_ISS_AUD("\"" ISS "\"", "{\"axr\":1}")),
	       "aud is neither string nor array");
	ACCEPT(rs_token(RS_HEADER, CLAIMS_ISS_AUD("\"" ISS "\"", "[\"other\",\"axr\"]")));
}

static void test_rejects_sub_missing_empty_or_not_a_string(void **state)
{
	(void)state;
	REJECT(rs_token(RS_HEADER, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":2000000000}"), "sub missing");
	REJECT(rs_token(RS_HEADER, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"\",\"exp\":2000000000}"),
	       "sub missing");
	REJECT(rs_token(RS_HEADER, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":7,\"exp\":2000000000}"),
	       "claim is not a string");
}

static void test_rejects_nul_in_claim_strings(void **state)
{
	(void)state;
	/* json-c would truncate "admin\u0000x" to "admin" in a C string. */
	REJECT(rs_token(RS_HEADER, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"a\\u0000b\",\"exp\":2000000000}"),
	       "payload is not a strict JSON object");
	REJECT(rs_token(RS_HEADER, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"a\",\"exp\":2000000000,"
				   "\"profile\":{\"roles\":[\"admin\\u0000x\"]}}"),
	       "payload is not a strict JSON object");
}

static void test_rejects_bad_profile_shapes(void **state)
{
	(void)state;
#define WITH_PROFILE(p) "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"s\",\"exp\":2000000000,\"profile\":" p "}"
	REJECT(rs_token(RS_HEADER, WITH_PROFILE("\"admin\"")), "profile is not an object");
	REJECT(rs_token(RS_HEADER, WITH_PROFILE("{\"roles\":\"admin\"}")), "roles is not an array");
	REJECT(rs_token(RS_HEADER, WITH_PROFILE("{\"roles\":[[\"admin\"]]}")), "role is not a string");
	REJECT(rs_token(RS_HEADER, WITH_PROFILE("{\"uid\":5}")), "claim is not a string");
	REJECT(rs_token(RS_HEADER, WITH_PROFILE("null")), "profile is not an object");
	REJECT(rs_token(RS_HEADER, WITH_PROFILE("{\"roles\":null}")), "roles is not an array");
	REJECT(rs_token(RS_HEADER, WITH_PROFILE("{\"roles\":[null]}")), "role is not a string");
	REJECT(rs_token(RS_HEADER,
			WITH_PROFILE("{\"roles\":[\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\","
				     "\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\","
				     "\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\"]}")),
	       "too many roles");
#undef WITH_PROFILE
}

/* ---- attacks: kid ---- */

static char *with_kid(const char *kid_json)
{
	return rs_token(axr_arena_printf(fx.arena, "{\"alg\":\"RS256\",\"kid\":%s}", kid_json), valid_payload());
}

static void test_rejects_kid_path_traversal(void **state)
{
	(void)state;
	REJECT(with_kid("\"../../etc/passwd\""), "unknown kid");
	REJECT(with_kid("\"/dev/null\""), "unknown kid");
}

static void test_rejects_kid_with_sql(void **state)
{
	(void)state;
	REJECT(with_kid("\"rsa-1' OR '1'='1\""), "unknown kid");
	REJECT(with_kid("\"x'; DROP TABLE users; --\""), "unknown kid");
}

static void test_rejects_kid_of_10_kb(void **state)
{
	char *kid = axr_arena_alloc(fx.arena, 10 * 1024 + 3);

	(void)state;
	kid[0] = '"';
	memset(kid + 1, 'k', 10 * 1024);
	strcpy(kid + 1 + 10 * 1024, "\"");
	REJECT(with_kid(kid), "token too large");
}

static void test_rejects_kid_over_64_chars(void **state)
{
	(void)state;
	REJECT(with_kid("\"rsa-1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\""),
	       "kid too long");
}

static void test_rejects_kid_not_a_string_or_prefix_or_case_variant(void **state)
{
	(void)state;
	REJECT(with_kid("1"), "kid is not a string");
	REJECT(with_kid("null"), "kid is not a string");
	REJECT(with_kid("[\"rsa-1\"]"), "kid is not a string");
	REJECT(with_kid("\"rsa-\""), "unknown kid");
	REJECT(with_kid("\"RSA-1\""), "unknown kid");
	REJECT(with_kid("\"rsa-1 \""), "unknown kid");
	ACCEPT(with_kid("\"rsa-1\""));
}

static void test_kid_selects_the_key_among_several(void **state)
{
	char *other = craft("{\"alg\":\"RS256\",\"kid\":\"rsa-2\"}", valid_payload(), SIG_KEY, fx.rsa_other_priv);
	char *lying = craft("{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}", valid_payload(), SIG_KEY, fx.rsa_other_priv);
	char *no_kid = craft(RS_HEADER, valid_payload(), SIG_KEY, fx.rsa_priv);

	(void)state;
	expect_accept_at(fx.rotation, other, NOW, NULL);
	expect_accept_at(fx.rotation, sign_with(fx.other_signer, NOW, NOW + 60), NOW, NULL);
	expect_accept_at(fx.rotation, sign_with(fx.rs_signer, NOW, NOW + 60), NOW, NULL);
	expect_reject_at(fx.rotation, lying, strlen(lying), NOW, "bad signature");
	expect_reject_at(fx.rotation, no_kid, strlen(no_kid), NOW, "kid required");
	/* A token signed by a key we do not hold. */
	REJECT(other, "unknown kid");
}

/* ---- attacks: size and shape ---- */

static char *token_of_size(size_t size)
{
	char *t = malloc(size + 1);

	assert_non_null(t);
	memset(t, 'A', size);
	t[size / 3] = '.';
	t[2 * size / 3] = '.';
	t[size] = '\0';
	return t;
}

static void test_rejects_token_of_4097_bytes(void **state)
{
	char *t = token_of_size(AXR_JWT_MAX_TOKEN + 1);

	(void)state;
	REJECT(t, "token too large");
	free(t);
}

static void test_rejects_token_of_64_kib(void **state)
{
	char *t = token_of_size(64 * 1024);

	(void)state;
	REJECT(t, "token too large");
	free(t);
}

static void test_rejects_token_of_8_mib(void **state)
{
	char *t = token_of_size(8 * 1024 * 1024);

	(void)state;
	REJECT(t, "token too large");
	free(t);
}

/* The largest valid token that fits is accepted; three bytes of claims more are not. */
static char *padded_payload(size_t n)
{
	char *pad = axr_arena_alloc(fx.arena, n + 1);

	memset(pad, 'p', n);
	pad[n] = '\0';
	return axr_arena_printf(fx.arena, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"s\","
				"\"exp\":2000000000,\"pad\":\"%s\"}", pad);
}

static void test_accepts_largest_token_up_to_4096_bytes(void **state)
{
	size_t fixed = AXR__B64URL_ENCODED_SIZE(strlen(RS_HEADER)) - 1 + 2 + 342; /* header, dots, sig */
	size_t n = 0;
	char *tok;

	(void)state;
	while (fixed + (4 * strlen(padded_payload(n + 1)) + 2) / 3 <= AXR_JWT_MAX_TOKEN)
		n++;
	tok = rs_token(RS_HEADER, padded_payload(n));
	assert_true(strlen(tok) <= AXR_JWT_MAX_TOKEN);
	assert_true(strlen(tok) >= AXR_JWT_MAX_TOKEN - 2);
	ACCEPT(tok);
	REJECT(rs_token(RS_HEADER, padded_payload(n + 3)), "token too large");
}

static void test_rejects_wrong_number_of_dots(void **state)
{
	char *good = rs_token(RS_HEADER, valid_payload());
	char *h = axr_arena_strndup(fx.arena, good, (size_t)(strchr(good, '.') - good));

	(void)state;
	REJECT(h, "token needs exactly two dots");                                          /* 0 */
	REJECT(axr_arena_printf(fx.arena, "%s.%s", h, h), "token needs exactly two dots");  /* 1 */
	REJECT(axr_arena_printf(fx.arena, "%s.x", good), "token needs exactly two dots");  /* 3 */
	REJECT(axr_arena_printf(fx.arena, "%s.x.y.z", good), "token needs exactly two dots"); /* 5 */
	REJECT(axr_arena_printf(fx.arena, "%s.", good), "token needs exactly two dots");
	REJECT("..", "empty token segment");
	REJECT(axr_arena_printf(fx.arena, "%s..x", h), "empty token segment");
	REJECT(strchr(good, '.'), "empty token segment");
	REJECT("", "empty token");
}

static void test_rejects_characters_outside_base64url(void **state)
{
	char *good = rs_token(RS_HEADER, valid_payload());
	const char bad[] = {'+', '/', '=', ' ', '%', '\n', '\0', '"', '\x80'};
	size_t i, len = strlen(good);

	(void)state;
	for (i = 0; i < sizeof(bad); i++) {
		char *t = axr_arena_strdup(fx.arena, good);
		t[5] = bad[i]; /* inside the header segment */
		expect_reject_at(fx.rs256, t, len, NOW, "character outside base64url");
	}
}

static void test_rejects_base64_padding_and_non_canonical_bits(void **state)
{
	char *good = rs_token(RS_HEADER, valid_payload());
	char *dot = strchr(good, '.');
	char *h = axr_arena_strndup(fx.arena, good, (size_t)(dot - good));
	/* 16 bytes: the last base64url character carries 4 unused bits. */
	char *odd = rs_token("{\"alg\":\"RS256\" }", valid_payload());
	char *last = strchr(odd, '.') - 1;

	(void)state;
	REJECT(axr_arena_printf(fx.arena, "%s==%s", h, dot), "character outside base64url");
	REJECT(axr_arena_printf(fx.arena, "%s=%s", h, dot), "character outside base64url");
	/* A segment of 4k+1 characters cannot be base64. */
	assert_int_equal(strlen(h) % 4, 0);
	REJECT(axr_arena_printf(fx.arena, "%sA%s", h, dot), "header is not strict base64url");
	/* Same bytes, another spelling: unused bits must be zero. */
	assert_int_equal((size_t)(last - odd + 1) % 4, 2);
	ACCEPT(odd);
	assert_non_null(strchr("AQgw", *last));
	*last = (char)(*last + 1);
	REJECT(odd, "header is not strict base64url");
}

static void test_rejects_non_json_header(void **state)
{
	(void)state;
	REJECT(rs_token("alg=RS256", valid_payload()), "header is not a strict JSON object");
	REJECT(rs_token("{\"alg\":\"RS256\",}", valid_payload()), "header is not a strict JSON object");
	REJECT(rs_token("{\"alg\":'RS256'}", valid_payload()), "header is not a strict JSON object");
	REJECT(rs_token("{\"alg\":\"RS256\"} x", valid_payload()), "header is not a strict JSON object");
	REJECT(rs_token("{\"alg\":\"RS256\"/**/}", valid_payload()), "header is not a strict JSON object");
	REJECT(rs_token("{\"alg\":\"RS\xff\"}", valid_payload()), "header is not a strict JSON object");
}

static void test_rejects_header_as_json_array(void **state)
{
	(void)state;
	REJECT(rs_token("[{\"alg\":\"RS256\"}]", valid_payload()), "header is not a strict JSON object");
	REJECT(rs_token("\"RS256\"", valid_payload()), "header is not a strict JSON object");
	REJECT(rs_token("null", valid_payload()), "header is not a strict JSON object");
}

static void test_rejects_payload_that_is_not_a_json_object(void **state)
{
	(void)state;
	REJECT(rs_token(RS_HEADER, "[1]"), "payload is not a strict JSON object");
	REJECT(rs_token(RS_HEADER, "{\"sub\":\"s\""), "payload is not a strict JSON object");
	REJECT(rs_token(RS_HEADER, "{\"exp\":01}"), "payload is not a strict JSON object");
	REJECT(rs_token(RS_HEADER, "{\"exp\":NaN}"), "payload is not a strict JSON object");
	REJECT(rs_token(RS_HEADER, "{\"s\":\"\\ud800\"}"), "payload is not a strict JSON object");
}

static void test_rejects_duplicate_sub(void **state)
{
	(void)state;
	REJECT(rs_token(RS_HEADER, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"user-1\","
				   "\"exp\":2000000000,\"sub\":\"admin\"}"),
	       "duplicate claim");
	/* The same name spelled with an escape is still the same name. */
	REJECT(rs_token(RS_HEADER, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"user-1\","
				   "\"exp\":2000000000,\"s\\u0075b\":\"admin\"}"),
	       "duplicate claim");
	REJECT(rs_token(RS_HEADER, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u\",\"exp\":2000000000,"
				   "\"profile\":{\"roles\":[],\"roles\":[\"admin\"]}}"),
	       "duplicate claim");
}

static void test_rejects_duplicate_alg_in_header(void **state)
{
	(void)state;
	REJECT(rs_token("{\"alg\":\"none\",\"alg\":\"RS256\"}", valid_payload()), "duplicate header parameter");
	REJECT(rs_token("{\"alg\":\"RS256\",\"alg\":\"RS256\"}", valid_payload()), "duplicate header parameter");
}

static void test_rejects_refused_header_parameters(void **state)
{
	(void)state;
	REJECT(rs_token("{\"alg\":\"RS256\",\"crit\":[\"exp\"]}", valid_payload()), "header parameter refused");
	REJECT(rs_token("{\"alg\":\"RS256\",\"jku\":\"https://evil.test/jwks\"}", valid_payload()),
	       "header parameter refused");
	REJECT(rs_token("{\"alg\":\"RS256\",\"jwk\":{\"kty\":\"RSA\"}}", valid_payload()), "header parameter refused");
	REJECT(rs_token("{\"alg\":\"RS256\",\"x5u\":\"https://evil.test\"}", valid_payload()),
	       "header parameter refused");
	REJECT(rs_token("{\"alg\":\"RS256\",\"typ\":\"JWS\"}", valid_payload()), "typ is not JWT");
	REJECT(rs_token("{\"alg\":\"RS256\",\"typ\":null}", valid_payload()), "typ is not JWT");
	REJECT(rs_token("{\"alg\":\"RS256\",\"crit\":null}", valid_payload()), "header parameter refused");
}

static void test_rejects_tampered_payload_with_original_signature(void **state)
{
	char *good = rs_token(RS_HEADER, valid_payload());
	const char *claims = "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"admin\",\"exp\":2000000000}";
	char *evil = b64url(claims, strlen(claims));
	char *d1 = strchr(good, '.'), *d2 = strchr(d1 + 1, '.');
	char *t = axr_arena_printf(fx.arena, "%.*s.%s%s", (int)(d1 - good), good, evil, d2);

	(void)state;
	REJECT(t, "bad signature");
}

static void test_rejects_wrong_signature_and_wrong_length(void **state)
{
	char *junk = craft(RS_HEADER, valid_payload(), SIG_JUNK, NULL);
	char *good = rs_token(RS_HEADER, valid_payload());

	(void)state;
	REJECT(junk, "bad signature");
	REJECT(craft(RS_HEADER, valid_payload(), SIG_KEY, fx.rsa_other_priv), "bad signature");
	REJECT(axr_arena_printf(fx.arena, "%sAAAA", good), "wrong signature length");
	good[strlen(good) - 2] = '\0'; /* 340 chars: 255 bytes */
	REJECT(good, "wrong signature length");
}

/* Our signature check passes, then libjwt gets the last word: its JSON
 * parser (jansson) refuses integers beyond 64 bits, so libjwt rejects. */
static void test_libjwt_still_checks_after_our_own_checks(void **state)
{
	(void)state;
	REJECT(rs_token(RS_HEADER, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"s\",\"exp\":2000000000,"
				   "\"big\":123456789012345678901234567890}"),
	       "rejected by libjwt");
}

static void test_valid_token_still_verifies_after_attacks(void **state)
{
	axr_jwt_claims_t c;

	(void)state;
	expect_accept_at(fx.rs256, rs_token(RS_HEADER, valid_payload()), NOW, &c);
	assert_string_equal(c.sub, "user-1");
	expect_accept_at(fx.rs256, sign_with(fx.rs_signer, NOW, NOW + 900), NOW, NULL);
	expect_accept_at(fx.es256, sign_with(fx.ec_signer, NOW, NOW + 900), NOW, NULL);
}

/* ---- token sources ---- */

static void test_bearer_header_extraction(void **state)
{
	const char *t = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(axr_jwt_from_bearer("Bearer a.b.c", 12, &t, &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(t, "a.b.c", 5);
	assert_int_equal(axr_jwt_from_bearer("bEARER x-y_z.1.2", 16, &t, &n), 0);
	assert_int_equal(n, 9);
	assert_int_equal(axr_jwt_from_bearer("Bearer  a.b.c", 13, &t, &n), AXR_EUNAUTHORIZED);
	assert_int_equal(axr_jwt_from_bearer("Bearer a.b.c ", 13, &t, &n), AXR_EUNAUTHORIZED);
	assert_int_equal(axr_jwt_from_bearer("Bearer\ta.b.c", 12, &t, &n), AXR_EUNAUTHORIZED);
	assert_int_equal(axr_jwt_from_bearer("Bearer ", 7, &t, &n), AXR_EUNAUTHORIZED);
	assert_int_equal(axr_jwt_from_bearer("Basic dXNlcjpwYXNz", 18, &t, &n), AXR_EUNAUTHORIZED);
	assert_int_equal(axr_jwt_from_bearer("Bearera.b.c", 11, &t, &n), AXR_EUNAUTHORIZED);
	assert_int_equal(axr_jwt_from_bearer("Bearer a.b.c, Bearer d.e.f", 26, &t, &n), AXR_EUNAUTHORIZED);
	assert_int_equal(axr_jwt_from_bearer("Bearer a+b/c=", 13, &t, &n), AXR_EUNAUTHORIZED);
	assert_int_equal(axr_jwt_from_bearer("Bearer a.b\0c", 12, &t, &n), AXR_EUNAUTHORIZED);
	assert_int_equal(axr_jwt_from_bearer("Bea", 3, &t, &n), AXR_EUNAUTHORIZED);
}

static void test_query_token_extraction(void **state)
{
	const char *t = NULL;
	size_t n = 0;
	const char *q;

	(void)state;
	q = "jwt_token=a.b.c";
	assert_int_equal(axr_jwt_from_query(q, strlen(q), &t, &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(t, "a.b.c", 5);
	q = "x=1&jwt_token=a.b.c&y=2";
	assert_int_equal(axr_jwt_from_query(q, strlen(q), &t, &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(t, "a.b.c", 5);
	q = "jwt_token=a.b.c&jwt_token=d.e.f";
	assert_int_equal(axr_jwt_from_query(q, strlen(q), &t, &n), AXR_EUNAUTHORIZED);
	q = "jwt_token&jwt_token=d.e.f";
	assert_int_equal(axr_jwt_from_query(q, strlen(q), &t, &n), AXR_EUNAUTHORIZED);
	q = "jwt_token=";
	assert_int_equal(axr_jwt_from_query(q, strlen(q), &t, &n), AXR_EUNAUTHORIZED);
	q = "jwt_token=a%2Eb.c";
	assert_int_equal(axr_jwt_from_query(q, strlen(q), &t, &n), AXR_EUNAUTHORIZED);
	q = "xjwt_token=a.b.c";
	assert_int_equal(axr_jwt_from_query(q, strlen(q), &t, &n), AXR_EUNAUTHORIZED);
	q = "token=a.b.c";
	assert_int_equal(axr_jwt_from_query(q, strlen(q), &t, &n), AXR_EUNAUTHORIZED);
	assert_int_equal(axr_jwt_from_query("", 0, &t, &n), AXR_EUNAUTHORIZED);
}

/* ---- configuration ---- */

static void test_verifier_and_signer_refuse_bad_config(void **state)
{
	axr_jwt_verifier_config_t cfg;
	axr_jwt_signer_config_t scfg;
	axr_jwt_verifier_t *v = NULL;
	axr_jwt_signer_t *s = NULL;
	axr_jwk_t *pub = NULL;
	size_t len;
	const char *pem = axr_jwk_public_pem(fx.rsa, &len);
	axr_jwt_alg_t alg = AXR_JWT_ALG_NONE;

	(void)state;
	axr_jwt_verifier_config_init(&cfg);
	assert_int_equal(cfg.leeway, 60);
	cfg.issuer = ISS;
	cfg.audience = AUD;
	cfg.keys = fx.rsa_set;
	assert_int_equal(axr_jwt_verifier_new(&cfg, &v), AXR_ECONFIG); /* no alg */
	cfg.alg = (axr_jwt_alg_t)99;
	assert_int_equal(axr_jwt_verifier_new(&cfg, &v), AXR_ECONFIG);
	cfg.alg = AXR_JWT_ES256; /* no ES256 key in the set */
	assert_int_equal(axr_jwt_verifier_new(&cfg, &v), AXR_ECONFIG);
	cfg.alg = AXR_JWT_RS256;
	cfg.leeway = 301;
	assert_int_equal(axr_jwt_verifier_new(&cfg, &v), AXR_ECONFIG);
	cfg.leeway = 0;
	cfg.audience = "";
	assert_int_equal(axr_jwt_verifier_new(&cfg, &v), AXR_ECONFIG);
	assert_null(v);
	assert_int_equal(axr_jwt_alg_parse("none", &alg), AXR_EUNSUPPORTED);
	assert_int_equal(axr_jwt_alg_parse("HS256", &alg), AXR_EUNSUPPORTED);
	assert_int_equal(axr_jwt_alg_parse("rs256", &alg), AXR_EUNSUPPORTED);
	assert_int_equal(axr_jwt_alg_parse("ES256", &alg), 0);
	assert_int_equal(alg, AXR_JWT_ES256);

	assert_int_equal(axr_jwk_from_pem(pem, len, "pub", &pub), 0);
	axr_jwt_signer_config_init(&scfg);
	scfg.key = pub; /* public only */
	scfg.issuer = ISS;
	scfg.audience = AUD;
	assert_int_equal(axr_jwt_signer_new(&scfg, &s), AXR_ECONFIG);
	scfg.key = fx.rsa;
	scfg.ttl = 0;
	assert_int_equal(axr_jwt_signer_new(&scfg, &s), AXR_ECONFIG);
	assert_null(s);
	axr_jwk_free(pub);
}

static void test_zero_leeway_rejects_at_exp(void **state)
{
	axr_jwt_verifier_config_t cfg;
	axr_jwt_verifier_t *v = NULL;
	char *tok = rs_token(RS_HEADER, payload_times(NOW - 100, NOW));

	(void)state;
	axr_jwt_verifier_config_init(&cfg);
	cfg.alg = AXR_JWT_RS256;
	cfg.issuer = ISS;
	cfg.audience = AUD;
	cfg.keys = fx.rsa_set;
	cfg.leeway = 0;
	assert_int_equal(axr_jwt_verifier_new(&cfg, &v), 0);
	expect_accept_at(v, tok, NOW - 1, NULL);
	expect_reject_at(v, tok, strlen(tok), NOW, "token expired");
	axr_jwt_verifier_free(v);
}

/* ---- strict JSON scanner ---- */

static void test_json_check_accepts_rfc8259_and_rejects_the_rest(void **state)
{
	static const char *const ok[] = {
		"{}", " {\"a\":[1,-0,0.5,1e3,1E-2,true,false,null,\"\\\"\\/\\b\\f\\n\\r\\t\\u00e9\"]} ",
		"{\"a\":{\"a\":{\"a\":1}},\"b\":{\"a\":2}}", "{\"\\ud83d\\ude00\":\"\xf0\x9f\x98\x80\"}",
		"{\"a\":1,\"A\":2}", "{\"\":1}", "{\"\":1,\"a\":{\"\":2}}",
	};
	static const char *const bad[] = {
		"", "[]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{'a':1}", "{\"a\":1}{}", "{\"a\":+1}",
		"{\"a\":.5}", "{\"a\":1.}", "{\"a\":1e}", "{\"a\":tru}", "{\"a\":\"\x01\"}", "{\"a\":\"\\x\"}",
		"{\"a\":\"\\u12\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud800x\"}", "{\"a\":\"\xc0\xaf\"}",
		"{\"a\":\"\xed\xa0\x80\"}", "{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}",
		"{\"x\":[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}", "{\"a\":\"\\u0000\"}", "{\"\":1,\"\":2}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *why = NULL;
		int rc = axr__json_check_object(ok[i], strlen(ok[i]), &why);
		if (rc != 0)
			print_error("expected valid: %s (%s)\n", ok[i], why);
		assert_int_equal(rc, 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = axr__json_check_object(bad[i], strlen(bad[i]), NULL);
		if (rc != AXR_EPARSE)
			print_error("expected invalid: %s\n", bad[i]);
		assert_int_equal(rc, AXR_EPARSE);
	}
	/* A NUL byte inside the text. */
	assert_int_equal(axr__json_check_object("{\"a\":\"\0\"}", 8, NULL), AXR_EPARSE);
}

/* ---- concurrency ---- */

#define THREADS 8
#define ROUNDS 40

typedef struct worker {
	const char *good_rs, *good_es, *bad;
	int failures;
} worker_t;

static void *verify_worker(void *arg)
{
	worker_t *w = arg;
	axr_arena_t *a = axr_arena_new(0);
	int i;

	for (i = 0; i < ROUNDS; i++) {
		axr_jwt_claims_t c;
		const char *reason = NULL;
		if (axr_jwt_verify_at(fx.rs256, w->good_rs, strlen(w->good_rs), NOW, a, &c, &reason) != 0 ||
		    strcmp(c.sub, "user-1") != 0)
			w->failures++;
		if (axr_jwt_verify_at(fx.es256, w->good_es, strlen(w->good_es), NOW, a, &c, &reason) != 0)
			w->failures++;
		if (axr_jwt_verify_at(fx.rs256, w->bad, strlen(w->bad), NOW, a, &c, &reason) != AXR_EUNAUTHORIZED)
			w->failures++;
		axr_arena_reset(a);
	}
	axr_arena_free(a);
	return NULL;
}

static void test_concurrent_verification_from_many_threads(void **state)
{
	pthread_t th[THREADS];
	worker_t w[THREADS];
	int i;

	(void)state;
	for (i = 0; i < THREADS; i++) {
		w[i].good_rs = sign_with(fx.rs_signer, NOW, NOW + 900);
		w[i].good_es = sign_with(fx.ec_signer, NOW, NOW + 900);
		w[i].bad = craft("{\"alg\":\"HS256\"}", valid_payload(), SIG_HS256_WITH_PUBLIC_PEM, NULL);
		w[i].failures = 0;
		assert_int_equal(pthread_create(&th[i], NULL, verify_worker, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_verify_roundtrip_rs256),
		cmocka_unit_test(test_sign_verify_roundtrip_es256),
		cmocka_unit_test(test_sign_uses_now_and_ttl_and_fresh_jti_when_unset),
		cmocka_unit_test(test_sign_refuses_bad_claims),
		cmocka_unit_test(test_crafted_valid_token_verifies),
		cmocka_unit_test(test_rejects_alg_none_without_signature),
		cmocka_unit_test(test_rejects_alg_none_with_signature),
		cmocka_unit_test(test_rejects_alg_in_other_case_or_missing),
		cmocka_unit_test(test_rejects_hs256_signed_with_public_key_pem),
		cmocka_unit_test(test_rejects_es256_token_with_rs256_config),
		cmocka_unit_test(test_rejects_rs256_token_with_es256_config),
		cmocka_unit_test(test_accepts_59s_after_exp_within_leeway),
		cmocka_unit_test(test_rejects_61s_after_exp),
		cmocka_unit_test(test_rejects_nbf_in_the_future_beyond_leeway),
		cmocka_unit_test(test_rejects_iat_in_the_future_beyond_leeway),
		cmocka_unit_test(test_rejects_exp_missing),
		cmocka_unit_test(test_rejects_exp_as_string),
		cmocka_unit_test(test_rejects_exp_as_float),
		cmocka_unit_test(test_rejects_exp_of_other_types_or_out_of_range),
		cmocka_unit_test(test_rejects_wrong_issuer),
		cmocka_unit_test(test_rejects_aud_missing),
		cmocka_unit_test(test_rejects_foreign_aud_string),
		cmocka_unit_test(test_rejects_foreign_aud_array),
		cmocka_unit_test(test_rejects_sub_missing_empty_or_not_a_string),
		cmocka_unit_test(test_rejects_nul_in_claim_strings),
		cmocka_unit_test(test_rejects_bad_profile_shapes),
		cmocka_unit_test(test_rejects_kid_path_traversal),
		cmocka_unit_test(test_rejects_kid_with_sql),
		cmocka_unit_test(test_rejects_kid_of_10_kb),
		cmocka_unit_test(test_rejects_kid_over_64_chars),
		cmocka_unit_test(test_rejects_kid_not_a_string_or_prefix_or_case_variant),
		cmocka_unit_test(test_kid_selects_the_key_among_several),
		cmocka_unit_test(test_rejects_token_of_4097_bytes),
		cmocka_unit_test(test_rejects_token_of_64_kib),
		cmocka_unit_test(test_rejects_token_of_8_mib),
		cmocka_unit_test(test_accepts_largest_token_up_to_4096_bytes),
		cmocka_unit_test(test_rejects_wrong_number_of_dots),
		cmocka_unit_test(test_rejects_characters_outside_base64url),
		cmocka_unit_test(test_rejects_base64_padding_and_non_canonical_bits),
		cmocka_unit_test(test_rejects_non_json_header),
		cmocka_unit_test(test_rejects_header_as_json_array),
		cmocka_unit_test(test_rejects_payload_that_is_not_a_json_object),
		cmocka_unit_test(test_rejects_duplicate_sub),
		cmocka_unit_test(test_rejects_duplicate_alg_in_header),
		cmocka_unit_test(test_rejects_refused_header_parameters),
		cmocka_unit_test(test_rejects_tampered_payload_with_original_signature),
		cmocka_unit_test(test_rejects_wrong_signature_and_wrong_length),
		cmocka_unit_test(test_libjwt_still_checks_after_our_own_checks),
		cmocka_unit_test(test_valid_token_still_verifies_after_attacks),
		cmocka_unit_test(test_bearer_header_extraction),
		cmocka_unit_test(test_query_token_extraction),
		cmocka_unit_test(test_verifier_and_signer_refuse_bad_config),
		cmocka_unit_test(test_zero_leeway_rejects_at_exp),
		cmocka_unit_test(test_json_check_accepts_rfc8259_and_rejects_the_rest),
		cmocka_unit_test(test_concurrent_verification_from_many_threads),
	};

	return cmocka_run_group_tests_name("jwt", tests, group_setup, group_teardown);
}
