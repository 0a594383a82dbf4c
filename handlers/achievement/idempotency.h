/* idempotency.h: Idempotency-Key for progress: one result per (caller, key), claimed inside the request's SQL transaction. */
#ifndef AXR_ACHIEVEMENT_IDEMPOTENCY_H
#define AXR_ACHIEVEMENT_IDEMPOTENCY_H

#include <stdbool.h>
#include <stdint.h>

#include "achievement.h"

/*
 * Table achievement_idempotency (migrations/achievement/001_*.sql):
 * primary key (caller_uid, idem_key), the SHA-256 of the request, and the
 * result: a snapshot of the user_achievement row as the original call left
 * it (jsonb of the row).
 *
 * The claim is an INSERT made in the SAME SQL transaction as the progress
 * it guards, and the result is stored in that transaction too, so:
 *   - a committed key always has its result; a rolled-back attempt leaves no
 *     key behind (the client may retry with it);
 *   - a concurrent duplicate's INSERT waits on the primary key until the
 *     first commits (then it reads the stored result) or rolls back (then it
 *     does the work itself): exactly one call adds progress;
 *   - a later replay reads the stored result.
 */

#define ACHIEVEMENT_IDEM_KEY_MAX 255
#define ACHIEVEMENT_IDEM_MAX_AGE_S (7L * 24 * 3600) /* what the spec promises */

/* true when `key` is 1..255 visible ASCII characters (0x21..0x7e), the
 * spec's Idempotency-Key pattern. */
bool achievement_idem_key_valid(const char *key);

typedef struct achievement_idem {
	bool replay;                 /* a result is stored: `record` holds it */
	achievement_record_t record;
} achievement_idem_t;

/*
 * Claims (caller_uid, key) for a request described by `request` (any text
 * that differs exactly when the request differs; hashed with SHA-256 in
 * SQL), inside the transaction open on `db`:
 *   - a new key: inserted; returns 0 with out->replay false; do the work and
 *     call achievement_idem_store() before committing;
 *   - held by an uncommitted transaction: waits for it (at most the
 *     connection's lock_timeout, then AXR_ETIMEOUT), then as below;
 *   - stored with the same request: 0 with out->replay true and the record;
 *   - stored with another request: AXR_EUNPROCESSABLE.
 * Also AXR_EINVAL (NULL argument, invalid key), AXR_EAGAIN (the key was
 * purged between the two statements: retry), the axr_db_exec codes,
 * AXR_ENOMEM. Strings of out->record live in `arena`.
 */
int achievement_idem_claim(axr_db_t *db, axr_arena_t *arena, const char *caller_uid, const char *key,
                           const char *request, achievement_idem_t *out);

/*
 * Stores the result of a claimed key: a snapshot of the user_achievement
 * row `record_uid` as this transaction sees it. Returns 0; AXR_EINTERNAL
 * when the key is not claimed or the row does not exist; the axr_db_exec
 * codes.
 */
int achievement_idem_store(axr_db_t *db, const char *caller_uid, const char *key, const char *record_uid);

/*
 * Deletes keys older than `max_age_s` seconds (a replay after that counts
 * as a new request) and processed-event marks (events.h) older than the
 * same age. Returns 0 and the number of rows deleted in *deleted (may be
 * NULL), or the axr_db_exec codes. Run it periodically, e.g. daily with
 * ACHIEVEMENT_IDEM_MAX_AGE_S.
 */
int achievement_idem_purge(axr_db_t *db, long max_age_s, int64_t *deleted);

#endif
