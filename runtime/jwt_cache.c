/* jwt_cache.c: bounded, thread-safe LRU cache of verified access tokens. */
#include "jwt_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <sodium.h>

#include "err.h"

#define AXR__ALIGN 16

typedef struct axr__centry {
	uint64_t hash;                   /* keyed hash of the token (bucket, shard) */
	char *token;                     /* the exact token bytes: a hit must match them all */
	size_t token_len;
	int64_t exp;
	struct axr__centry *chain;       /* next in the hash bucket */
	struct axr__centry *prev, *next; /* LRU list, most recent first */
	axr_arena_t *arena;              /* holds the claims' strings */
	axr_jwt_claims_t claims;
} axr__centry_t;

typedef struct axr__shard {
	_Alignas(64) pthread_mutex_t lock; /* own cache line: no false sharing */
	axr__centry_t **buckets;
	size_t mask; /* buckets - 1 */
	axr__centry_t *head, *tail;
	size_t n, cap;
	uint64_t hits, misses, inserts, evictions, expired;
} axr__shard_t;

struct axr_jwt_cache {
	const axr_jwt_verifier_t *verifier;
	unsigned char hash_key[crypto_shorthash_KEYBYTES]; /* random per cache: no chosen collisions */
	unsigned nshards;
	axr__shard_t *shards;
};

void axr_jwt_cache_config_init(axr_jwt_cache_config_t *cfg)
{
	cfg->capacity = AXR_JWT_CACHE_DEFAULT_CAPACITY;
	cfg->shards = AXR_JWT_CACHE_DEFAULT_SHARDS;
}

static void axr__centry_free(axr__centry_t *e)
{
	if (e != NULL) {
		axr_arena_free(e->arena);
		free(e);
	}
}

/* Frees a list of entries linked through `chain` (unlinked from a shard). */
static void axr__centry_free_list(axr__centry_t *e)
{
	while (e != NULL) {
		axr__centry_t *next = e->chain;
		axr__centry_free(e);
		e = next;
	}
}

void axr_jwt_cache_free(axr_jwt_cache_t *c)
{
	unsigned i;

	if (c == NULL)
		return;
	if (c->shards != NULL) {
		axr_jwt_cache_clear(c);
		for (i = 0; i < c->nshards; i++) {
			free(c->shards[i].buckets);
			pthread_mutex_destroy(&c->shards[i].lock);
		}
	}
	free(c->shards);
	free(c);
}

int axr_jwt_cache_new(const axr_jwt_verifier_t *v, const axr_jwt_cache_config_t *cfg,
		      axr_jwt_cache_t **out)
{
	axr_jwt_cache_config_t defaults;
	axr_jwt_cache_t *c = NULL;
	size_t per_shard, nbuckets;
	unsigned shards, i;

	if (out == NULL)
		return AXR_EINVAL;
	*out = NULL;
	if (v == NULL)
		return AXR_EINVAL;
	if (cfg == NULL) {
		axr_jwt_cache_config_init(&defaults);
		cfg = &defaults;
	}
	shards = cfg->shards;
	if (cfg->capacity == 0 || shards == 0 || shards > AXR_JWT_CACHE_MAX_SHARDS ||
	    (shards & (shards - 1)) != 0)
		return AXR_ECONFIG;
	while (shards > cfg->capacity)
		shards /= 2;
	per_shard = cfg->capacity / shards;
	for (nbuckets = 4; nbuckets < per_shard; nbuckets *= 2)
		;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return AXR_ENOMEM;
	c->verifier = v;
	if (getrandom(c->hash_key, sizeof c->hash_key, 0) != (ssize_t)sizeof c->hash_key)
		goto fail;
	c->shards = aligned_alloc(64, sizeof(axr__shard_t) * shards);
	if (c->shards == NULL)
		goto fail;
	memset(c->shards, 0, sizeof(axr__shard_t) * shards);
	for (i = 0; i < shards; i++) {
		axr__shard_t *s = &c->shards[i];
		s->cap = per_shard;
		s->mask = nbuckets - 1;
		s->buckets = calloc(nbuckets, sizeof(*s->buckets));
		if (s->buckets == NULL || pthread_mutex_init(&s->lock, NULL) != 0) {
			free(s->buckets);
			goto fail;
		}
		c->nshards = i + 1; /* shards [0, nshards) are initialised */
	}
	*out = c;
	return 0;
fail:
	axr_jwt_cache_free(c);
	return AXR_ENOMEM;
}

/* SipHash-2-4 of the token under the cache's random key: cheap (a
 * fraction of a SHA-256 and no OpenSSL fetch or lock), and nobody can
 * choose tokens that collide. Equality is decided on the bytes. */
static uint64_t axr__token_hash(const axr_jwt_cache_t *c, const char *token, size_t len)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h = 0;

	crypto_shorthash(out, (const unsigned char *)token, len, c->hash_key);
	for (unsigned i = 0; i < sizeof out; i++)
		h = h << 8 | out[i];
	return h;
}

static axr__shard_t *axr__shard_for(axr_jwt_cache_t *c, uint64_t hash)
{
	return &c->shards[(hash >> 56) & (c->nshards - 1)];
}

static axr__centry_t **axr__bucket(axr__shard_t *s, uint64_t hash)
{
	return &s->buckets[hash & s->mask];
}

static void axr__lru_unlink(axr__shard_t *s, axr__centry_t *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		s->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		s->tail = e->prev;
	e->prev = e->next = NULL;
}

static void axr__lru_push(axr__shard_t *s, axr__centry_t *e)
{
	e->prev = NULL;
	e->next = s->head;
	if (s->head != NULL)
		s->head->prev = e;
	s->head = e;
	if (s->tail == NULL)
		s->tail = e;
}

/* Unlinks `e` from its bucket and the LRU list; the caller frees it. */
static void axr__shard_remove(axr__shard_t *s, axr__centry_t *e)
{
	axr__centry_t **pp = axr__bucket(s, e->hash);

	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	e->chain = NULL;
	axr__lru_unlink(s, e);
	s->n--;
}

static axr__centry_t *axr__shard_find(axr__shard_t *s, uint64_t hash, const char *token, size_t len)
{
	axr__centry_t *e;

	for (e = *axr__bucket(s, hash); e != NULL; e = e->chain)
		if (e->hash == hash && e->token_len == len && memcmp(e->token, token, len) == 0)
			return e;
	return NULL;
}

/* Looks the token up. On a hit copies the claims into `arena` (if
 * `claims`) and returns 0; returns AXR_ENOTFOUND on a miss. An expired
 * entry is dropped and handed back in *dead for freeing outside the lock. */
static int axr__lookup(axr__shard_t *s, uint64_t hash, const char *token, size_t len, int64_t now,
		       axr_arena_t *arena, axr_jwt_claims_t *claims, axr__centry_t **dead)
{
	axr__centry_t *e;
	int rc = AXR_ENOTFOUND;

	pthread_mutex_lock(&s->lock);
	e = axr__shard_find(s, hash, token, len);
	if (e != NULL && now >= e->exp) {
		axr__shard_remove(s, e);
		s->expired++;
		*dead = e;
		e = NULL;
	}
	if (e != NULL) {
		axr__lru_unlink(s, e);
		axr__lru_push(s, e);
		rc = claims != NULL ? axr_jwt_claims_copy(&e->claims, arena, claims) : 0;
		s->hits++;
	} else {
		s->misses++;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* Inserts `e` (owned by the shard afterwards). Entries dropped to make
 * room come back through *dead, chained, for freeing outside the lock. */
static void axr__insert(axr__shard_t *s, axr__centry_t *e, int64_t now, axr__centry_t **dead)
{
	axr__centry_t *old, **bucket;

	pthread_mutex_lock(&s->lock);
	old = axr__shard_find(s, e->hash, e->token, e->token_len);
	if (old != NULL) { /* another thread verified the same token first */
		axr__shard_remove(s, old);
		old->chain = *dead;
		*dead = old;
	}
	/* Expired entries at the cold end go first, so that tokens nobody
	 * presents again do not hold memory until the shard is full. */
	while (s->tail != NULL && now >= s->tail->exp) {
		old = s->tail;
		axr__shard_remove(s, old);
		s->expired++;
		old->chain = *dead;
		*dead = old;
	}
	while (s->n >= s->cap && s->tail != NULL) {
		old = s->tail;
		axr__shard_remove(s, old);
		s->evictions++;
		old->chain = *dead;
		*dead = old;
	}
	bucket = axr__bucket(s, e->hash);
	e->chain = *bucket;
	*bucket = e;
	axr__lru_push(s, e);
	s->n++;
	s->inserts++;
	pthread_mutex_unlock(&s->lock);
}

static size_t axr__str_size(const char *s)
{
	return s != NULL ? (strlen(s) + 1 + AXR__ALIGN) & ~(size_t)(AXR__ALIGN - 1) : 0;
}

/* A new entry holding a copy of the token and of `claims` in an arena
 * sized to fit. */
static int axr__centry_new(uint64_t hash, const char *token, size_t len, const axr_jwt_claims_t *claims,
			   axr__centry_t **out)
{
	axr__centry_t *e;
	size_t size, i;
	int rc;

	*out = NULL;
	size = (len + AXR__ALIGN) + axr__str_size(claims->sub) + axr__str_size(claims->jti) +
	       axr__str_size(claims->profile.uid) + axr__str_size(claims->profile.name) +
	       (claims->profile.nroles * sizeof(char *) + AXR__ALIGN);
	for (i = 0; i < claims->profile.nroles; i++)
		size += axr__str_size(claims->profile.roles[i]);
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return AXR_ENOMEM;
	e->hash = hash;
	e->token_len = len;
	e->exp = claims->exp;
	e->arena = axr_arena_new(size);
	if (e->arena == NULL || (e->token = axr_arena_alloc(e->arena, len ? len : 1)) == NULL) {
		axr__centry_free(e);
		return AXR_ENOMEM;
	}
	memcpy(e->token, token, len);
	rc = axr_jwt_claims_copy(claims, e->arena, &e->claims);
	if (rc != 0) {
		axr__centry_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

int axr_jwt_cache_verify_at(axr_jwt_cache_t *c, const char *token, size_t len, int64_t now,
			    axr_arena_t *arena, axr_jwt_claims_t *claims, const char **reason)
{
	uint64_t hash;
	axr__centry_t *dead = NULL, *e = NULL;
	axr_arena_t *scratch = NULL, *use;
	axr_jwt_claims_t verified;
	axr__shard_t *s;
	const char *why = NULL;
	int rc;

	if (reason == NULL)
		reason = &why;
	*reason = NULL;
	if (c == NULL || (token == NULL && len != 0) || (claims != NULL && arena == NULL)) {
		*reason = "invalid arguments";
		return AXR_EINVAL;
	}
	/* Oversized input is refused before it is even hashed. */
	if (len > AXR_JWT_MAX_TOKEN)
		return axr_jwt_verify_at(c->verifier, token, len, now, arena, claims, reason);
	hash = axr__token_hash(c, token, len);
	s = axr__shard_for(c, hash);
	rc = axr__lookup(s, hash, token, len, now, arena, claims, &dead);
	axr__centry_free(dead);
	dead = NULL;
	if (rc != AXR_ENOTFOUND) {
		if (rc != 0)
			*reason = "out of memory";
		return rc;
	}
	use = arena;
	if (use == NULL) {
		scratch = axr_arena_new(1024);
		if (scratch == NULL) {
			*reason = "out of memory";
			return AXR_ENOMEM;
		}
		use = scratch;
	}
	rc = axr_jwt_verify_at(c->verifier, token, len, now, use, &verified, reason);
	if (rc != 0)
		goto done;
	if (claims != NULL)
		*claims = verified;
	/* Accepted only thanks to the leeway: not worth caching. */
	if (now >= verified.exp)
		goto done;
	if (axr__centry_new(hash, token, len, &verified, &e) != 0)
		goto done; /* the token is fine; it just is not cached */
	axr__insert(s, e, now, &dead);
	axr__centry_free_list(dead);
done:
	axr_arena_free(scratch);
	return rc;
}

int axr_jwt_cache_verify(axr_jwt_cache_t *c, const char *token, size_t len, axr_arena_t *arena,
			 axr_jwt_claims_t *claims, const char **reason)
{
	return axr_jwt_cache_verify_at(c, token, len, (int64_t)time(NULL), arena, claims, reason);
}

void axr_jwt_cache_clear(axr_jwt_cache_t *c)
{
	unsigned i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nshards; i++) {
		axr__shard_t *s = &c->shards[i];
		axr__centry_t *list = NULL, *e;

		pthread_mutex_lock(&s->lock);
		while ((e = s->head) != NULL) {
			axr__shard_remove(s, e);
			e->chain = list;
			list = e;
		}
		pthread_mutex_unlock(&s->lock);
		axr__centry_free_list(list);
	}
}

void axr_jwt_cache_stats(axr_jwt_cache_t *c, axr_jwt_cache_stats_t *stats)
{
	unsigned i;

	if (stats == NULL)
		return;
	memset(stats, 0, sizeof(*stats));
	if (c == NULL)
		return;
	for (i = 0; i < c->nshards; i++) {
		axr__shard_t *s = &c->shards[i];

		pthread_mutex_lock(&s->lock);
		stats->hits += s->hits;
		stats->misses += s->misses;
		stats->inserts += s->inserts;
		stats->evictions += s->evictions;
		stats->expired += s->expired;
		stats->entries += s->n;
		stats->capacity += s->cap;
		pthread_mutex_unlock(&s->lock);
	}
}
