/* idempotency.h: Idempotency-Key: one answer per (caller, key), decided by a unique index inside the request's SQL transaction. */
#ifndef AXR_ECONOMY_IDEMPOTENCY_H
#define AXR_ECONOMY_IDEMPOTENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "db.h"

/*
 * How it works: the claim is an INSERT into idempotency_key (primary key
 * (caller_uid, idem_key)) made in the SAME SQL transaction as the work it
 * guards, and the answer is stored in that transaction too. So:
 *
 *   - a committed key always has its answer; a rolled-back attempt leaves
 *     no key behind (the client may retry with it);
 *   - a concurrent duplicate's INSERT waits on the unique index until the
 *     first commits (then it reads the stored answer) or rolls back (then
 *     its own INSERT succeeds and it does the work): the index decides, and
 *     exactly one request does the work;
 *   - a later replay reads the stored answer.
 *
 * The request hash covers what the request asks for (operation, parameters,
 * body in a canonical form), so the same key with a different request is
 * recognised (422).
 */

#define ECONOMY_IDEM_HASH_SIZE 65  /* SHA-256 as 64 hex digits + NUL */
#define ECONOMY_IDEM_KEY_MAX 255

/* SHA-256 of `len` bytes of `data`, as 64 lowercase hex digits. */
void economy_idem_hash(const void *data, size_t len, char out[ECONOMY_IDEM_HASH_SIZE]);

/* true when `key` is 1..255 visible ASCII characters (0x21..0x7e), as the
 * spec's IdempotencyKey pattern says. */
bool economy_idem_key_valid(const char *key);

typedef struct economy_idem {
	bool replay;        /* an answer is stored: status and body follow */
	int status;         /* the stored HTTP status */
	const char *body;   /* the stored body, in the arena */
} economy_idem_t;

/*
 * Claims (caller_uid, key) for a request whose hash is `hash`, inside the
 * SQL transaction open on `db`:
 *   - the key is new: inserts it and returns 0 with out->replay false; the
 *     caller does the work and calls economy_idem_store before committing;
 *   - another transaction holds an uncommitted claim: waits for it (at most
 *     the connection's lock_timeout, then AXR_ETIMEOUT), then as below;
 *   - a stored answer with the same hash: 0 with out->replay true, the
 *     status and body copied into `arena`;
 *   - a stored answer with another hash: AXR_EUNPROCESSABLE.
 * Also AXR_EINVAL for a NULL argument or an invalid key, AXR_EAGAIN when the
 * key vanished between the two statements (purged: retry), the axr_db_exec
 * codes, AXR_ENOMEM.
 */
int economy_idem_claim(axr_db_t *db, axr_arena_t *arena, const char *caller_uid, const char *key, const char *hash,
                       economy_idem_t *out);

/*
 * Stores the answer of a claimed key (same SQL transaction as the claim).
 * Returns 0; AXR_EINTERNAL when the key is not claimed; the axr_db_exec codes.
 */
int economy_idem_store(axr_db_t *db, const char *caller_uid, const char *key, int status, const char *body);

/*
 * Deletes keys older than `max_age_s` seconds (a replay after that is a new
 * request). Returns 0 and the number deleted in *deleted (may be NULL), or
 * the axr_db_exec codes. Run it periodically (e.g. daily with 7 days).
 */
int economy_idem_purge(axr_db_t *db, long max_age_s, int64_t *deleted);

#endif
