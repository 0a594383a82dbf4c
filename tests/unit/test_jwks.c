/* test_jwks.c: unit tests for key loading and JWKS export/import (runtime/jwks.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "err.h"
#include "jwks.h"
#include "jwt.h"

#define KEYS "tests/fixtures/keys/"
#define ISS "https://account.axr.test"
#define AUD "axr"
#define NOW INT64_C(1900000000)

static struct {
	axr_jwk_t *rsa, *rsa_other, *ec;
	axr_arena_t *arena;
} fx;

static int group_setup(void **state)
{
	(void)state;
	fx.arena = axr_arena_new(0);
	assert_int_equal(axr_jwk_from_file(KEYS "test-only-rs256-private.pem", "rsa-1", &fx.rsa), 0);
	assert_int_equal(axr_jwk_from_file(KEYS "test-only-rs256-other-private.pem", "rsa-2", &fx.rsa_other), 0);
	assert_int_equal(axr_jwk_from_file(KEYS "test-only-es256-private.pem", "ec-1", &fx.ec), 0);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	axr_jwk_free(fx.rsa);
	axr_jwk_free(fx.rsa_other);
	axr_jwk_free(fx.ec);
	axr_arena_free(fx.arena);
	return 0;
}

/* A set holding public-only copies of `a` and (if not NULL) `b`. */
static axr_jwks_t *set_of(const axr_jwk_t *a, const axr_jwk_t *b)
{
	const axr_jwk_t *keys[2] = {a, b};
	axr_jwks_t *set = NULL;
	size_t i, len;

	assert_int_equal(axr_jwks_new(&set), 0);
	for (i = 0; i < 2 && keys[i] != NULL; i++) {
		axr_jwk_t *copy = NULL;
		const char *pem = axr_jwk_public_pem(keys[i], &len);
		assert_int_equal(axr_jwk_from_pem(pem, len, axr_jwk_kid(keys[i]), &copy), 0);
		assert_int_equal(axr_jwks_add(set, copy), 0);
	}
	return set;
}

/* A token from the ES256 test key verifies with `v`. */
static void expect_signed_token_verifies(const axr_jwt_verifier_t *v)
{
	axr_jwt_signer_config_t cfg;
	axr_jwt_signer_t *s = NULL;
	axr_jwt_claims_t in, out;
	const char *reason = NULL;
	char *tok = NULL;

	axr_jwt_signer_config_init(&cfg);
	cfg.key = fx.ec;
	cfg.issuer = ISS;
	cfg.audience = AUD;
	assert_int_equal(axr_jwt_signer_new(&cfg, &s), 0);
	memset(&in, 0, sizeof(in));
	in.sub = "user-1";
	in.iat = NOW;
	in.exp = NOW + 60;
	assert_int_equal(axr_jwt_sign(s, &in, fx.arena, &tok), 0);
	axr_jwt_signer_free(s);
	assert_int_equal(axr_jwt_verify_at(v, tok, strlen(tok), NOW, fx.arena, &out, &reason), 0);
	assert_string_equal(out.sub, "user-1");
}

static void test_jwks_export_import_roundtrip(void **state)
{
	axr_jwks_t *set = NULL, *back = NULL;
	axr_jwk_t *copy = NULL;
	char *json = NULL;
	size_t len = 0, plen;
	const char *pem;
	axr_jwt_verifier_t *v = NULL;
	axr_jwt_verifier_config_t cfg;

	(void)state;
	set = set_of(fx.rsa, fx.ec);
	pem = axr_jwk_public_pem(fx.rsa_other, &plen);
	assert_int_equal(axr_jwk_from_pem(pem, plen, NULL, &copy), 0);
	assert_int_equal(strlen(axr_jwk_kid(copy)), 43); /* RFC 7638 thumbprint */
	assert_int_equal(axr_jwks_add(set, copy), 0);
	assert_int_equal(axr_jwks_export(set, &json, &len), 0);
	assert_int_equal(strlen(json), len);
	assert_null(strstr(json, "\"d\""));
	assert_null(strstr(json, "PRIVATE"));
	assert_non_null(strstr(json, "\"kid\":\"rsa-1\""));
	assert_non_null(strstr(json, "\"crv\":\"P-256\""));
	assert_int_equal(axr_jwks_parse(json, len, &back), 0);
	assert_int_equal(axr_jwks_count(back), 3);
	for (size_t i = 0; i < 3; i++) {
		const axr_jwk_t *a = axr_jwks_get(set, i), *b = axr_jwks_get(back, i);
		assert_string_equal(axr_jwk_kid(a), axr_jwk_kid(b));
		assert_int_equal(axr_jwk_alg(a), axr_jwk_alg(b));
		pem = axr_jwk_public_pem(b, NULL);
		assert_string_equal(axr_jwk_public_pem(a, NULL), pem);
		assert_false(axr_jwk_has_private(b));
	}
	/* A verifier fed from the parsed JWKS accepts the signer's tokens. */
	axr_jwt_verifier_config_init(&cfg);
	cfg.alg = AXR_JWT_ES256;
	cfg.issuer = ISS;
	cfg.audience = AUD;
	cfg.keys = back;
	assert_int_equal(axr_jwt_verifier_new(&cfg, &v), 0);
	axr_jwks_free(back);
	axr_jwks_free(set);
	free(json);
	expect_signed_token_verifies(v);
	axr_jwt_verifier_free(v);
}

/* RFC 7638 section 3.1: the example key and its thumbprint. */
static void test_jwks_thumbprint_matches_rfc7638_example(void **state)
{
	static const char doc[] =
		"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAA"
		"tVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lq"
		"t7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n9"
		"1CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kE"
		"gU8awapJzKnqDKgw\",\"e\":\"AQAB\",\"alg\":\"RS256\"}]}";
	axr_jwks_t *set = NULL;

	(void)state;
	assert_int_equal(axr_jwks_parse(doc, strlen(doc), &set), 0);
	assert_string_equal(axr_jwk_kid(axr_jwks_get(set, 0)), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	axr_jwks_free(set);
}

static void expect_jwks_error(const char *doc, int want)
{
	axr_jwks_t *set = NULL;
	int rc = axr_jwks_parse(doc, strlen(doc), &set);

	if (rc != want)
		print_error("JWKS %s: rc=%d (%s), expected %d\n", doc, rc, axr_errname(rc), want);
	assert_int_equal(rc, want);
	assert_null(set);
}

static void test_jwks_parse_rejects_bad_documents(void **state)
{
	char *json = NULL, *p;
	size_t len;
	axr_jwks_t *one = set_of(fx.ec, NULL);

	(void)state;
	assert_int_equal(axr_jwks_export(one, &json, &len), 0);
	axr_jwks_free(one);
	expect_jwks_error("[]", AXR_EPARSE);
	expect_jwks_error("{\"keys\":{}}", AXR_EPARSE);
	expect_jwks_error("{\"keys\":[]}", AXR_ENOTFOUND);
	expect_jwks_error("{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}", AXR_EPARSE);
	expect_jwks_error("{\"keys\":[{\"kty\":\"oct\"}]}", AXR_ENOTFOUND);
	expect_jwks_error("{\"keys\":[],\"keys\":[]}", AXR_EPARSE);
	/* Private material in a public document. */
	p = axr_arena_printf(fx.arena, "{\"keys\":[{\"d\":\"AAAA\",%s", strstr(json, "\"kty\""));
	expect_jwks_error(p, AXR_EPARSE);
	/* The same key twice: duplicate kid. */
	p = axr_arena_printf(fx.arena, "{\"keys\":[%.*s,%.*s]}", (int)(strlen(json) - 11), json + 9,
			     (int)(strlen(json) - 11), json + 9);
	expect_jwks_error(p, AXR_EEXISTS);
	/* A point that is not on P-256: flip the last character of y. */
	p = axr_arena_strdup(fx.arena, json);
	{
		char *y = strstr(p, "\"y\":\"") + 5;
		char *end = strchr(y, '"');
		end[-2] = end[-2] == 'A' ? 'B' : 'A';
	}
	expect_jwks_error(p, AXR_EPARSE);
	/* A "use" other than "sig" is skipped, leaving nothing. */
	p = axr_arena_strdup(fx.arena, json);
	memcpy(strstr(p, "\"use\":\"sig\"") + 7, "enc", 3);
	expect_jwks_error(p, AXR_ENOTFOUND);
	free(json);
}

static void test_key_loading_refuses_weak_or_foreign_keys(void **state)
{
	axr_jwk_t *k = NULL;
	static const char junk[] = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";

	(void)state;
	assert_int_equal(axr_jwk_from_file(KEYS "test-only-rsa1024-weak-private.pem", NULL, &k), AXR_EUNSUPPORTED);
	assert_null(k);
	assert_int_equal(axr_jwk_from_file(KEYS "test-only-ec-p384-private.pem", NULL, &k), AXR_EUNSUPPORTED);
	assert_int_equal(axr_jwk_from_file(KEYS "does-not-exist.pem", NULL, &k), AXR_EIO);
	assert_int_equal(axr_jwk_from_pem(junk, strlen(junk), NULL, &k), AXR_EPARSE);
	assert_int_equal(axr_jwk_from_pem("secret", 6, NULL, &k), AXR_EPARSE);
	assert_int_equal(axr_jwk_from_file(KEYS "test-only-rs256-public.pem", "../etc", &k), AXR_EINVAL);
	assert_int_equal(axr_jwk_from_file(KEYS "test-only-rs256-public.pem", "", &k), AXR_EINVAL);
	assert_int_equal(axr_jwk_from_file(KEYS "test-only-rs256-public.pem", "ok.kid-1_2", &k), 0);
	assert_false(axr_jwk_has_private(k));
	assert_null(axr_jwk_private_pem(k, NULL));
	assert_int_equal(axr_jwk_signature_size(k), 256);
	axr_jwk_free(k);
}

/* RSA keys: even modulus, e = 1, short modulus, leading zero byte. */
static void test_jwks_parse_rejects_bad_rsa_keys(void **state)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	axr_jwks_t *one = set_of(fx.rsa, NULL);
	char *json = NULL, *p, *n, *end;
	size_t len;

	(void)state;
	assert_int_equal(axr_jwks_export(one, &json, &len), 0);
	axr_jwks_free(one);
	/* 256 bytes: the last character holds the low 2 bits; bit 4 of its value
	 * is the lowest bit of n. Clearing it makes n even. */
	p = axr_arena_strdup(fx.arena, json);
	n = strstr(p, "\"n\":\"") + 5;
	end = strchr(n, '"');
	assert_int_equal(end - n, 342);
	end[-1] = b64[(strchr(b64, end[-1]) - b64) & ~16];
	expect_jwks_error(p, AXR_EPARSE);
	p = axr_arena_strdup(fx.arena, json);
	memcpy(strstr(p, "\"e\":\"AQAB\"") + 5, "AQAA", 4); /* e = 65536: even */
	expect_jwks_error(p, AXR_EPARSE);
	p = axr_arena_strdup(fx.arena, json);
	memcpy(strstr(p, "\"e\":\"AQAB\"") + 5, "AAAB", 4); /* leading zero bytes */
	expect_jwks_error(p, AXR_EPARSE);
	expect_jwks_error("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}", AXR_EUNSUPPORTED);
	expect_jwks_error("{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\",\"alg\":\"ES256\"}]}",
			  AXR_ENOTFOUND); /* alg contradicts kty: skipped */
	free(json);
}

static void test_jwk_accessors_and_kid_rules(void **state)
{
	axr_jwk_t *k = NULL;
	char thumb[64];

	(void)state;
	assert_int_equal(axr_jwk_alg(fx.rsa), AXR_JWT_RS256);
	assert_int_equal(axr_jwk_alg(fx.ec), AXR_JWT_ES256);
	assert_true(axr_jwk_has_private(fx.ec));
	assert_non_null(strstr(axr_jwk_private_pem(fx.ec, NULL), "BEGIN PRIVATE KEY"));
	assert_non_null(strstr(axr_jwk_public_pem(fx.ec, NULL), "BEGIN PUBLIC KEY"));
	assert_int_equal(axr_jwk_signature_size(fx.ec), 64);
	assert_int_equal(axr_jwk_thumbprint(fx.ec, thumb, sizeof(thumb)), 0);
	assert_int_equal(strlen(thumb), 43);
	assert_int_equal(axr_jwk_thumbprint(fx.ec, thumb, 10), AXR_EINVAL);
	/* The thumbprint of the private and the public form are the same. */
	assert_int_equal(axr_jwk_from_file(KEYS "test-only-es256-public.pem", NULL, &k), 0);
	assert_string_equal(axr_jwk_kid(k), thumb);
	axr_jwk_free(k);
	assert_int_equal(axr_jwk_from_file(KEYS "test-only-es256-public.pem",
					   "k0123456789012345678901234567890123456789012345678901234567890123", &k),
			 AXR_EINVAL); /* 65 chars */
	assert_null(k);
}

static void test_jwks_set_rules(void **state)
{
	axr_jwks_t *set = set_of(fx.rsa, NULL);
	axr_jwk_t *dup = NULL;
	size_t len;
	const char *pem = axr_jwk_public_pem(fx.rsa, &len);

	(void)state;
	assert_int_equal(axr_jwk_from_pem(pem, len, "rsa-1", &dup), 0);
	assert_int_equal(axr_jwks_add(set, dup), AXR_EEXISTS);
	axr_jwk_free(dup);
	assert_non_null(axr_jwks_find(set, "rsa-1", 5));
	assert_null(axr_jwks_find(set, "rsa-1x", 5 + 1));
	assert_null(axr_jwks_find(set, "rsa-", 4));
	assert_null(axr_jwks_find(set, "RSA-1", 5));
	assert_null(axr_jwks_get(set, 1));
	assert_int_equal(axr_jwks_count(set), 1);
	axr_jwks_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jwk_accessors_and_kid_rules),
		cmocka_unit_test(test_jwks_set_rules),
		cmocka_unit_test(test_jwks_export_import_roundtrip),
		cmocka_unit_test(test_jwks_thumbprint_matches_rfc7638_example),
		cmocka_unit_test(test_jwks_parse_rejects_bad_documents),
		cmocka_unit_test(test_jwks_parse_rejects_bad_rsa_keys),
		cmocka_unit_test(test_key_loading_refuses_weak_or_foreign_keys),
	};

	return cmocka_run_group_tests_name("jwks", tests, group_setup, group_teardown);
}
