/* test_jwt_cache.c: unit tests for the verified-token cache (runtime/jwt_cache.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "arena.h"
#include "err.h"
#include "jwks.h"
#include "jwt.h"
#include "jwt_cache.h"

#define ISS "https://account.axr.test"
#define AUD "axr"
#define NOW INT64_C(1900000000)

static struct {
	axr_jwk_t *key;
	axr_jwks_t *set;
	axr_jwt_verifier_t *verifier;
	axr_jwt_signer_t *signer;
	axr_arena_t *arena;
} fx;

static int group_setup(void **state)
{
	axr_jwt_verifier_config_t vcfg;
	axr_jwt_signer_config_t scfg;
	axr_jwk_t *pub = NULL;
	const char *pem;
	size_t len;

	(void)state;
	fx.arena = axr_arena_new(0);
	assert_int_equal(axr_jwk_from_file("tests/fixtures/keys/test-only-es256-private.pem", "ec-1", &fx.key), 0);
	pem = axr_jwk_public_pem(fx.key, &len);
	assert_int_equal(axr_jwk_from_pem(pem, len, "ec-1", &pub), 0);
	assert_int_equal(axr_jwks_new(&fx.set), 0);
	assert_int_equal(axr_jwks_add(fx.set, pub), 0);
	axr_jwt_verifier_config_init(&vcfg);
	vcfg.alg = AXR_JWT_ES256;
	vcfg.issuer = ISS;
	vcfg.audience = AUD;
	vcfg.keys = fx.set;
	assert_int_equal(axr_jwt_verifier_new(&vcfg, &fx.verifier), 0);
	axr_jwt_signer_config_init(&scfg);
	scfg.key = fx.key;
	scfg.issuer = ISS;
	scfg.audience = AUD;
	assert_int_equal(axr_jwt_signer_new(&scfg, &fx.signer), 0);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	axr_jwt_signer_free(fx.signer);
	axr_jwt_verifier_free(fx.verifier);
	axr_jwks_free(fx.set);
	axr_jwk_free(fx.key);
	axr_arena_free(fx.arena);
	return 0;
}

/* A token for `sub` valid from NOW - 10 until `exp`. */
static char *token(const char *sub, int64_t exp)
{
	static const char *roles[] = {"admin"};
	axr_jwt_claims_t in;
	char *t = NULL;

	memset(&in, 0, sizeof(in));
	in.sub = sub;
	in.iat = NOW - 10;
	in.exp = exp;
	in.profile.uid = sub;
	in.profile.roles = roles;
	in.profile.nroles = 1;
	assert_int_equal(axr_jwt_sign(fx.signer, &in, fx.arena, &t), 0);
	return t;
}

static axr_jwt_cache_t *cache_of(size_t capacity, unsigned shards)
{
	axr_jwt_cache_config_t cfg;
	axr_jwt_cache_t *c = NULL;

	axr_jwt_cache_config_init(&cfg);
	cfg.capacity = capacity;
	cfg.shards = shards;
	assert_int_equal(axr_jwt_cache_new(fx.verifier, &cfg, &c), 0);
	return c;
}

static int verify(axr_jwt_cache_t *c, const char *t, int64_t now, axr_jwt_claims_t *claims)
{
	const char *reason = NULL;
	int rc = axr_jwt_cache_verify_at(c, t, strlen(t), now, fx.arena, claims, &reason);

	if (rc != 0 && rc != AXR_EUNAUTHORIZED)
		print_error("unexpected rc %d (%s)\n", rc, reason ? reason : "-");
	return rc;
}

static axr_jwt_cache_stats_t stats(axr_jwt_cache_t *c)
{
	axr_jwt_cache_stats_t s;

	axr_jwt_cache_stats(c, &s);
	return s;
}

static void test_second_verification_is_a_hit_with_the_same_claims(void **state)
{
	axr_jwt_cache_t *c = cache_of(16, 4);
	char *t = token("user-1", NOW + 600);
	axr_jwt_claims_t a, b;

	(void)state;
	assert_int_equal(verify(c, t, NOW, &a), 0);
	assert_int_equal(stats(c).misses, 1);
	assert_int_equal(stats(c).inserts, 1);
	assert_int_equal(stats(c).hits, 0);
	assert_int_equal(verify(c, t, NOW + 1, &b), 0);
	assert_int_equal(stats(c).hits, 1);
	assert_int_equal(stats(c).entries, 1);
	assert_string_equal(a.sub, b.sub);
	assert_string_equal(a.jti, b.jti);
	assert_string_equal(b.profile.uid, "user-1");
	assert_int_equal(b.exp, NOW + 600);
	assert_int_equal(b.iat, NOW - 10);
	assert_true(axr_jwt_has_role(&b, "admin"));
	/* The copy is the caller's: it outlives the cache. */
	axr_jwt_cache_free(c);
	assert_string_equal(b.sub, "user-1");
}

static void test_a_miss_for_other_tokens_and_no_claims_needed(void **state)
{
	axr_jwt_cache_t *c = cache_of(16, 4);
	char *t1 = token("user-1", NOW + 600), *t2 = token("user-2", NOW + 600);
	const char *reason = NULL;

	(void)state;
	assert_int_equal(axr_jwt_cache_verify_at(c, t1, strlen(t1), NOW, NULL, NULL, &reason), 0);
	assert_int_equal(axr_jwt_cache_verify_at(c, t2, strlen(t2), NOW, NULL, NULL, &reason), 0);
	assert_int_equal(axr_jwt_cache_verify_at(c, t1, strlen(t1), NOW, NULL, NULL, &reason), 0);
	assert_int_equal(stats(c).misses, 2);
	assert_int_equal(stats(c).hits, 1);
	assert_int_equal(stats(c).entries, 2);
	axr_jwt_cache_free(c);
}

static void test_a_hit_needs_every_byte_of_the_cached_token(void **state)
{
	axr_jwt_cache_t *c = cache_of(16, 4);
	char *t = token("user-1", NOW + 600);
	size_t n = strlen(t);
	char *tampered = strdup(t), *shorter = strndup(t, n - 1);

	(void)state;
	assert_non_null(tampered);
	assert_non_null(shorter);
	tampered[n - 2] = tampered[n - 2] == 'A' ? 'B' : 'A'; /* same length, other signature */
	assert_int_equal(verify(c, t, NOW, NULL), 0);
	assert_int_equal(verify(c, tampered, NOW, NULL), AXR_EUNAUTHORIZED);
	assert_int_equal(verify(c, shorter, NOW, NULL), AXR_EUNAUTHORIZED);
	if (stats(c).hits != 0)
		print_error("hits %llu, want 0: a token that is not the cached one was a hit\n",
		            (unsigned long long)stats(c).hits);
	assert_int_equal(stats(c).hits, 0);
	assert_int_equal(stats(c).misses, 3);
	assert_int_equal(verify(c, t, NOW, NULL), 0);
	assert_int_equal(stats(c).hits, 1);
	free(tampered);
	free(shorter);
	axr_jwt_cache_free(c);
}

static void test_rejected_tokens_are_never_cached(void **state)
{
	axr_jwt_cache_t *c = cache_of(16, 4);
	char *t = token("user-1", NOW + 600);
	char *bad = axr_arena_strdup(fx.arena, t);
	const char *reason = NULL;

	(void)state;
	bad[strlen(bad) - 5] = bad[strlen(bad) - 5] == 'A' ? 'B' : 'A'; /* break the signature */
	assert_int_equal(axr_jwt_cache_verify_at(c, bad, strlen(bad), NOW, fx.arena, NULL, &reason),
			 AXR_EUNAUTHORIZED);
	assert_non_null(reason);
	assert_int_equal(verify(c, bad, NOW, NULL), AXR_EUNAUTHORIZED);
	assert_int_equal(stats(c).inserts, 0);
	assert_int_equal(stats(c).entries, 0);
	assert_int_equal(stats(c).misses, 2);
	/* Oversized input is refused without hashing or caching. */
	{
		char *big = calloc(1, AXR_JWT_MAX_TOKEN + 2);
		memset(big, 'a', AXR_JWT_MAX_TOKEN + 1);
		assert_int_equal(verify(c, big, NOW, NULL), AXR_EUNAUTHORIZED);
		free(big);
	}
	axr_jwt_cache_free(c);
}

static void test_entry_expires_at_exp_and_never_later(void **state)
{
	axr_jwt_cache_t *c = cache_of(16, 1);
	char *t = token("user-1", NOW + 100);

	(void)state;
	assert_int_equal(verify(c, t, NOW, NULL), 0);
	assert_int_equal(verify(c, t, NOW + 99, NULL), 0);
	assert_int_equal(stats(c).hits, 1);
	/* At exp the entry is dropped; the full check still accepts within the
	 * leeway but does not cache again. */
	assert_int_equal(verify(c, t, NOW + 100, NULL), 0);
	assert_int_equal(stats(c).expired, 1);
	assert_int_equal(stats(c).entries, 0);
	assert_int_equal(stats(c).hits, 1);
	assert_int_equal(verify(c, t, NOW + 159, NULL), 0);
	assert_int_equal(stats(c).hits, 1);
	assert_int_equal(stats(c).entries, 0);
	assert_int_equal(verify(c, t, NOW + 160, NULL), AXR_EUNAUTHORIZED);
	assert_int_equal(verify(c, t, NOW + 100000, NULL), AXR_EUNAUTHORIZED);
	axr_jwt_cache_free(c);
}

static void test_expired_entries_at_the_cold_end_go_when_a_token_is_stored(void **state)
{
	axr_jwt_cache_t *c = cache_of(16, 1);
	char *old1 = token("user-1", NOW + 100), *old2 = token("user-2", NOW + 200);
	char *fresh = token("user-3", NOW + 900);

	(void)state;
	assert_int_equal(verify(c, old1, NOW, NULL), 0);
	assert_int_equal(verify(c, old2, NOW, NULL), 0);
	assert_int_equal(stats(c).entries, 2);
	/* At NOW + 150 only old1 has expired: storing another token drops it
	 * and keeps old2, although the shard is far from full. */
	assert_int_equal(verify(c, fresh, NOW + 150, NULL), 0);
	if (stats(c).entries != 2)
		print_error("entries %zu, want 2 (old2 and fresh)\n", stats(c).entries);
	assert_int_equal(stats(c).entries, 2);
	assert_int_equal(stats(c).expired, 1);
	assert_int_equal(verify(c, old2, NOW + 150, NULL), 0);
	assert_int_equal(stats(c).hits, 1);
	axr_jwt_cache_free(c);
}

static void test_least_recently_used_entry_is_evicted(void **state)
{
	axr_jwt_cache_t *c = cache_of(2, 1);
	char *a = token("a", NOW + 600), *b = token("b", NOW + 600), *d = token("d", NOW + 600);

	(void)state;
	assert_int_equal(verify(c, a, NOW, NULL), 0);
	assert_int_equal(verify(c, b, NOW, NULL), 0);
	assert_int_equal(verify(c, a, NOW, NULL), 0); /* a is now the most recent */
	assert_int_equal(stats(c).hits, 1);
	assert_int_equal(verify(c, d, NOW, NULL), 0); /* evicts b */
	assert_int_equal(stats(c).evictions, 1);
	assert_int_equal(stats(c).entries, 2);
	assert_int_equal(verify(c, a, NOW, NULL), 0);
	assert_int_equal(stats(c).hits, 2);
	assert_int_equal(verify(c, d, NOW, NULL), 0);
	assert_int_equal(stats(c).hits, 3);
	assert_int_equal(verify(c, b, NOW, NULL), 0); /* miss: was evicted */
	assert_int_equal(stats(c).hits, 3);
	assert_int_equal(stats(c).misses, 4);
	axr_jwt_cache_free(c);
}

static void test_entries_never_exceed_capacity(void **state)
{
	axr_jwt_cache_t *c = cache_of(10, 4); /* 4 shards of 2: capacity 8 */
	char sub[32];
	int i;

	(void)state;
	assert_int_equal(stats(c).capacity, 8);
	for (i = 0; i < 60; i++) {
		snprintf(sub, sizeof(sub), "user-%d", i);
		assert_int_equal(verify(c, token(sub, NOW + 600), NOW, NULL), 0);
		assert_true(stats(c).entries <= 8);
	}
	assert_int_equal(stats(c).inserts, 60);
	assert_int_equal(stats(c).evictions, 60 - stats(c).entries);
	axr_jwt_cache_clear(c);
	assert_int_equal(stats(c).entries, 0);
	axr_jwt_cache_free(c);
}

static void test_config_is_checked_and_small_capacities_lower_the_shards(void **state)
{
	axr_jwt_cache_config_t cfg;
	axr_jwt_cache_t *c = NULL;

	(void)state;
	axr_jwt_cache_config_init(&cfg);
	assert_int_equal(cfg.capacity, AXR_JWT_CACHE_DEFAULT_CAPACITY);
	assert_int_equal(cfg.shards, AXR_JWT_CACHE_DEFAULT_SHARDS);
	cfg.capacity = 0;
	assert_int_equal(axr_jwt_cache_new(fx.verifier, &cfg, &c), AXR_ECONFIG);
	cfg.capacity = 10;
	cfg.shards = 3;
	assert_int_equal(axr_jwt_cache_new(fx.verifier, &cfg, &c), AXR_ECONFIG);
	cfg.shards = 512;
	assert_int_equal(axr_jwt_cache_new(fx.verifier, &cfg, &c), AXR_ECONFIG);
	assert_int_equal(axr_jwt_cache_new(NULL, &cfg, &c), AXR_EINVAL);
	assert_null(c);
	c = cache_of(3, 16);
	assert_int_equal(stats(c).capacity, 2); /* 2 shards of 1 */
	axr_jwt_cache_free(c);
	assert_int_equal(axr_jwt_cache_new(fx.verifier, NULL, &c), 0);
	assert_int_equal(stats(c).capacity, AXR_JWT_CACHE_DEFAULT_CAPACITY);
	axr_jwt_cache_free(c);
}

#define THREADS 8
#define TOKENS 24
#define ROUNDS 300

typedef struct worker {
	axr_jwt_cache_t *cache;
	char **tokens;
	const char *bad;
	unsigned seed;
	int failures;
} worker_t;

static void *cache_worker(void *arg)
{
	worker_t *w = arg;
	axr_arena_t *a = axr_arena_new(0);
	int i;

	for (i = 0; i < ROUNDS; i++) {
		axr_jwt_claims_t cl;
		int k = (int)(rand_r(&w->seed) % TOKENS);
		const char *t = w->tokens[k];
		char want[32];

		snprintf(want, sizeof(want), "user-%d", k);
		if (axr_jwt_cache_verify_at(w->cache, t, strlen(t), NOW, a, &cl, NULL) != 0 ||
		    strcmp(cl.sub, want) != 0 || !axr_jwt_has_role(&cl, "admin"))
			w->failures++;
		if (i % 16 == 0 &&
		    axr_jwt_cache_verify_at(w->cache, w->bad, strlen(w->bad), NOW, a, &cl, NULL) != AXR_EUNAUTHORIZED)
			w->failures++;
		axr_arena_reset(a);
	}
	axr_arena_free(a);
	return NULL;
}

static void test_concurrent_cache_use_from_many_threads(void **state)
{
	axr_jwt_cache_t *c = cache_of(8, 4); /* smaller than the token pool: constant eviction */
	char *tokens[TOKENS], sub[32];
	pthread_t th[THREADS];
	worker_t w[THREADS];
	char *bad;
	int i;

	(void)state;
	for (i = 0; i < TOKENS; i++) {
		snprintf(sub, sizeof(sub), "user-%d", i);
		tokens[i] = token(sub, NOW + 600);
	}
	bad = axr_arena_printf(fx.arena, "%sx", tokens[0]);
	for (i = 0; i < THREADS; i++) {
		w[i] = (worker_t){.cache = c, .tokens = tokens, .bad = bad, .seed = (unsigned)i + 1};
		assert_int_equal(pthread_create(&th[i], NULL, cache_worker, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}
	assert_true(stats(c).entries <= 8);
	assert_int_equal(stats(c).hits + stats(c).misses,
			 THREADS * (ROUNDS + (ROUNDS + 15) / 16));
	axr_jwt_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_second_verification_is_a_hit_with_the_same_claims),
		cmocka_unit_test(test_a_miss_for_other_tokens_and_no_claims_needed),
		cmocka_unit_test(test_a_hit_needs_every_byte_of_the_cached_token),
		cmocka_unit_test(test_rejected_tokens_are_never_cached),
		cmocka_unit_test(test_entry_expires_at_exp_and_never_later),
		cmocka_unit_test(test_expired_entries_at_the_cold_end_go_when_a_token_is_stored),
		cmocka_unit_test(test_least_recently_used_entry_is_evicted),
		cmocka_unit_test(test_entries_never_exceed_capacity),
		cmocka_unit_test(test_config_is_checked_and_small_capacities_lower_the_shards),
		cmocka_unit_test(test_concurrent_cache_use_from_many_threads),
	};

	return cmocka_run_group_tests_name("jwt_cache", tests, group_setup, group_teardown);
}
