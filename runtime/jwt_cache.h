/* jwt_cache.h: bounded, thread-safe LRU cache of verified access tokens. */
#ifndef AXR_JWT_CACHE_H
#define AXR_JWT_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "jwt.h"

/*
 * Steady traffic presents the same token again and again; the cache lets it
 * skip the signature check. A cache belongs to one verifier (it is created
 * with it, so a token accepted for one audience can never be a hit for
 * another). Entries hold a copy of the exact token bytes (a hit needs all
 * of them to match; a keyed SipHash of them only picks the shard and the
 * bucket; ~0.7 KB for a platform access token), a copy of the verified
 * claims, and live until the token's `exp` (never beyond it, and without
 * the leeway: after `exp` the token goes through the full verification
 * again, which applies the leeway). Only tokens that
 * verified are stored; a rejected token costs a full verification each time.
 *
 * The cache is split into shards, each with its own mutex, hash table and
 * LRU list; a token's shard comes from its hash, so threads rarely contend.
 * Storing a token first drops the expired entries at the cold end of its
 * shard's LRU list; when the shard is still full its least recently used
 * entry is evicted. The total number of entries never exceeds the
 * configured capacity.
 */

#define AXR_JWT_CACHE_DEFAULT_CAPACITY 10000
#define AXR_JWT_CACHE_DEFAULT_SHARDS 16
#define AXR_JWT_CACHE_MAX_SHARDS 256

typedef struct axr_jwt_cache axr_jwt_cache_t;

typedef struct axr_jwt_cache_config {
	size_t capacity; /* most entries in total, >= 1 */
	unsigned shards; /* power of two, 1..AXR_JWT_CACHE_MAX_SHARDS; lowered
			    to the largest power of two <= capacity */
} axr_jwt_cache_config_t;

typedef struct axr_jwt_cache_stats {
	uint64_t hits;      /* verified from the cache, no signature check */
	uint64_t misses;    /* not cached (or expired): full verification */
	uint64_t inserts;   /* tokens stored after verifying */
	uint64_t evictions; /* entries dropped to make room (LRU) */
	uint64_t expired;   /* entries dropped because their exp passed */
	size_t entries;     /* entries held now */
	size_t capacity;    /* effective capacity (shards * per-shard size) */
} axr_jwt_cache_stats_t;

/* Fills `cfg` with AXR_JWT_CACHE_DEFAULT_CAPACITY and _SHARDS. */
void axr_jwt_cache_config_init(axr_jwt_cache_config_t *cfg);

/* Creates a cache in front of `v`, which must outlive the cache. `cfg` may
 * be NULL for the defaults. Errors: AXR_EINVAL (NULL v or out),
 * AXR_ECONFIG (capacity 0, shards not a power of two or too many),
 * AXR_ENOMEM. */
int axr_jwt_cache_new(const axr_jwt_verifier_t *v, const axr_jwt_cache_config_t *cfg,
		      axr_jwt_cache_t **out);

/* Frees the cache and every entry. NULL is a no-op. */
void axr_jwt_cache_free(axr_jwt_cache_t *c);

/*
 * Verifies `token` like axr_jwt_verify_at() on the cache's verifier, at
 * time `now`, answering from the cache when the token is there and
 * now < exp. Same results, errors and ownership as axr_jwt_verify_at():
 * `claims` (may be NULL) is filled from `arena` on success. Thread-safe.
 */
int axr_jwt_cache_verify_at(axr_jwt_cache_t *c, const char *token, size_t len, int64_t now,
			    axr_arena_t *arena, axr_jwt_claims_t *claims, const char **reason);

/* axr_jwt_cache_verify_at() with now = time(NULL). */
int axr_jwt_cache_verify(axr_jwt_cache_t *c, const char *token, size_t len, axr_arena_t *arena,
			 axr_jwt_claims_t *claims, const char **reason);

/* Drops every entry (e.g. after a key rotation). Thread-safe. */
void axr_jwt_cache_clear(axr_jwt_cache_t *c);

/* Copies the counters (a consistent snapshot per shard). Thread-safe. */
void axr_jwt_cache_stats(axr_jwt_cache_t *c, axr_jwt_cache_stats_t *stats);

#endif
