/* fuzz_jwt.c: libFuzzer target for token verification, the token cache, token sources and JWKS parsing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "arena.h"
#include "err.h"
#include "jwks.h"
#include "jwt.h"
#include "jwt_cache.h"

/*
 * The first input byte picks what to fuzz (low 2 bits); the rest is input:
 *
 *   0  the bytes as a token, verified directly and through the cache (both
 *      must agree), against the fixed test-only RS256 key at a fixed time
 *   1  "<header JSON>\n<payload JSON>": both are base64url-encoded into a
 *      token with a 256-byte junk signature, so mutations reach the claim
 *      checks that run before the signature
 *   2  the bytes as a JWKS document
 *   3  the bytes as an Authorization header value, then as a query string;
 *      what they yield is verified as in mode 0
 *
 * Every mode also runs the strict JSON scanner and the base64url decoder on
 * the raw bytes, checking that anything the scanner accepts json-c parses
 * completely, and that base64url decoding is canonical (re-encoding gives
 * the input back).
 */

#define NOW INT64_C(1900000000)

#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                        \
		}                                                                       \
	} while (0)

/* tests/fixtures/keys/test-only-rs256-public.pem (TEST-ONLY key). */
static const char test_only_public_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAkQ+FurFwBI4dSLKi+UeY\n"
	"/K8JKcGNRcmohEQ0zrwWiH1XTLNmJVFyw/pZ0bbCB520yk5OzYkguAyEg6Whl01i\n"
	"0IjiMsRczvPNV4tPx5j2mR9xAfIMSvvOEk23BLoJsY9aB7FcOi9U1hW8nfHkqn0Q\n"
	"OjCH+DX9KeRqqa4zJF1zyb5V2ygD8fokveKITZ8ivNo8z7UoHQXyJ04ILXe5kFw5\n"
	"Db6Hn9u9eQdKvcA6Ex/Hu4GF9RbhvzMyAYL/3Cq6DQxPE2p87aoCT/8biBWgDKGj\n"
	"jf9rienBAPLo0pUoHGdXG1lg3+rx8Meh8GXMmBFxo7gvLh2hV3ky7QVoneJ1JTUW\n"
	"ywIDAQAB\n"
	"-----END PUBLIC KEY-----\n";

static axr_jwt_verifier_t *verifier;
static axr_jwt_cache_t *cache;
static axr_arena_t *arena;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	axr_jwt_verifier_config_t cfg;
	axr_jwt_cache_config_t ccfg;
	axr_jwks_t *set = NULL;
	axr_jwk_t *key = NULL;

	(void)argc;
	(void)argv;
	CHECK(axr_jwk_from_pem(test_only_public_pem, sizeof(test_only_public_pem) - 1, "rsa-1", &key) == 0);
	CHECK(axr_jwks_new(&set) == 0);
	CHECK(axr_jwks_add(set, key) == 0);
	axr_jwt_verifier_config_init(&cfg);
	cfg.alg = AXR_JWT_RS256;
	cfg.issuer = "https://account.axr.test";
	cfg.audience = "axr";
	cfg.keys = set;
	CHECK(axr_jwt_verifier_new(&cfg, &verifier) == 0);
	axr_jwks_free(set);
	ccfg.capacity = 64;
	ccfg.shards = 4;
	CHECK(axr_jwt_cache_new(verifier, &ccfg, &cache) == 0);
	arena = axr_arena_new(0);
	CHECK(arena != NULL);
	return 0;
}

static void check_claims(const axr_jwt_claims_t *c)
{
	size_t i;

	CHECK(c->sub != NULL && c->sub[0] != '\0');
	CHECK(NOW < c->exp + AXR_JWT_DEFAULT_LEEWAY);
	CHECK(c->profile.nroles <= AXR_JWT_MAX_ROLES);
	for (i = 0; i < c->profile.nroles; i++)
		CHECK(c->profile.roles[i] != NULL);
}

static void verify_token(const char *token, size_t len)
{
	axr_jwt_claims_t direct, cached;
	const char *why1 = NULL, *why2 = NULL;
	int rc1, rc2;

	rc1 = axr_jwt_verify_at(verifier, token, len, NOW, arena, &direct, &why1);
	rc2 = axr_jwt_cache_verify_at(cache, token, len, NOW, arena, &cached, &why2);
	CHECK(rc1 == 0 || rc1 == AXR_EUNAUTHORIZED);
	CHECK(rc1 == rc2);
	CHECK((rc1 == 0) == (why1 == NULL));
	if (rc1 == 0) {
		CHECK(len <= AXR_JWT_MAX_TOKEN);
		check_claims(&direct);
		CHECK(strcmp(direct.sub, cached.sub) == 0);
		CHECK(direct.exp == cached.exp);
	}
}

/* Mode 1: header and payload JSON texts made into a token. */
static void verify_json_pair(const char *s, size_t n)
{
	const char *nl = memchr(s, '\n', n);
	size_t hlen, plen, cap;
	unsigned char junk[256];
	char *tok;
	long a, b, c;

	if (nl == NULL)
		return;
	hlen = (size_t)(nl - s);
	plen = n - hlen - 1;
	cap = AXR__B64URL_ENCODED_SIZE(hlen) + AXR__B64URL_ENCODED_SIZE(plen) +
	      AXR__B64URL_ENCODED_SIZE(sizeof(junk)) + 2;
	tok = axr_arena_alloc(arena, cap);
	CHECK(tok != NULL);
	memset(junk, 0x41, sizeof(junk));
	a = axr__b64url_encode((const unsigned char *)s, hlen, tok, cap);
	CHECK(a >= 0);
	tok[a] = '.';
	b = axr__b64url_encode((const unsigned char *)nl + 1, plen, tok + a + 1, cap - (size_t)a - 1);
	CHECK(b >= 0);
	tok[a + 1 + b] = '.';
	c = axr__b64url_encode(junk, sizeof(junk), tok + a + b + 2, cap - (size_t)(a + b + 2));
	CHECK(c >= 0);
	verify_token(tok, (size_t)(a + b + c + 2));
}

static void check_jwks(const char *s, size_t n)
{
	axr_jwks_t *set = NULL;
	char *json = NULL;
	size_t len = 0, i;
	int rc = axr_jwks_parse(s, n, &set);

	CHECK((rc == 0) == (set != NULL));
	if (rc != 0)
		return;
	CHECK(axr_jwks_count(set) >= 1 && axr_jwks_count(set) <= AXR_JWKS_MAX_KEYS);
	for (i = 0; i < axr_jwks_count(set); i++)
		CHECK(!axr_jwk_has_private(axr_jwks_get(set, i)));
	/* Export and parse again: the same keys come back. */
	CHECK(axr_jwks_export(set, &json, &len) == 0);
	{
		axr_jwks_t *again = NULL;
		CHECK(axr_jwks_parse(json, len, &again) == 0);
		CHECK(axr_jwks_count(again) == axr_jwks_count(set));
		for (i = 0; i < axr_jwks_count(set); i++)
			CHECK(strcmp(axr_jwk_kid(axr_jwks_get(set, i)), axr_jwk_kid(axr_jwks_get(again, i))) == 0);
		axr_jwks_free(again);
	}
	free(json);
	axr_jwks_free(set);
}

static void check_sources(const char *s, size_t n)
{
	const char *t = NULL;
	size_t tl = 0;

	if (axr_jwt_from_bearer(s, n, &t, &tl) == 0) {
		CHECK(n > 7 && strncasecmp(s, "bearer ", 7) == 0);
		CHECK(t == s + 7 && tl == n - 7);
		verify_token(t, tl);
	}
	if (axr_jwt_from_query(s, n, &t, &tl) == 0) {
		CHECK(t >= s && t + tl <= s + n && tl > 0);
		CHECK(memchr(t, '&', tl) == NULL);
		verify_token(t, tl);
	}
}

/* Whatever the scanner accepts, json-c parses to the end as an object. */
static void check_scanner(const char *s, size_t n)
{
	json_tokener *tok;
	json_object *obj;

	if (axr__json_check_object(s, n, NULL) != 0 || n > 65536)
		return;
	tok = json_tokener_new_ex(32);
	CHECK(tok != NULL);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, s, (int)n);
	CHECK(obj != NULL && json_object_is_type(obj, json_type_object));
	CHECK(json_tokener_get_parse_end(tok) == n);
	json_object_put(obj);
	json_tokener_free(tok);
}

/* Strict base64url: decoding succeeds only for the canonical spelling. */
static void check_base64url(const char *s, size_t n)
{
	unsigned char *bin;
	char *back;
	long got;

	if (n > 8192)
		return;
	bin = malloc(n + 1);
	back = malloc(AXR__B64URL_ENCODED_SIZE(n));
	CHECK(bin != NULL && back != NULL);
	got = axr__b64url_decode(s, n, bin, n + 1);
	if (got >= 0) {
		CHECK(axr__b64url_encode(bin, (size_t)got, back, AXR__B64URL_ENCODED_SIZE(n)) == (long)n);
		CHECK(memcmp(back, s, n) == 0);
	}
	free(back);
	free(bin);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s;
	size_t n;

	if (size < 1)
		return 0;
	s = (const char *)data + 1;
	n = size - 1;
	switch (data[0] & 3) {
	case 0:
		verify_token(s, n);
		break;
	case 1:
		verify_json_pair(s, n);
		break;
	case 2:
		check_jwks(s, n);
		break;
	case 3:
		check_sources(s, n);
		break;
	}
	check_scanner(s, n);
	check_base64url(s, n);
	axr_arena_reset(arena);
	return 0;
}
