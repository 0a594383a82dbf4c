/* progress.h: progress towards an achievement and unlocking it: one atomic upsert, clamped at the target, unlocking once. */
#ifndef AXR_ACHIEVEMENT_PROGRESS_H
#define AXR_ACHIEVEMENT_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "achievement.h"

/*
 * POST /achievements/{id}/progress and POST /achievements/{id}/unlock.
 *
 * A user's record (user_achievement, unique per user and achievement) is
 * created by the first progress and changed by ONE SQL statement
 * (INSERT ... ON CONFLICT (user_uid, achievement_uid) DO UPDATE ... WHERE
 * NOT unlocked RETURNING), so concurrent calls serialise on the row and add
 * up exactly: progress = LEAST(target, progress + increment), unlocked when
 * it reaches the target, dateUnlocked set then and never again. A record
 * that is already unlocked is not touched at all (no new version, no
 * event). Because the statement only returns a row it created or changed
 * from "not unlocked", `unlocked_now` is true for exactly one call per user
 * and achievement, however many run at once: publish the unlock event when
 * it is set.
 *
 * A target that is absent or below 1 counts as 1. Lowering a target does
 * not unlock anyone until their next progress; raising it does not
 * un-unlock anyone.
 *
 * Return codes, and the HTTP status the adapter answers:
 *   0                   *out is filled (200)
 *   AXR_EUNAUTHORIZED   401: no caller uid
 *   AXR_EINVAL          400: increment < 1, a user uid that is not a UUID,
 *                       an invalid Idempotency-Key
 *   AXR_EFORBIDDEN      403: an untrusted caller naming another user
 *   AXR_ENOTFOUND       404: no definition with that uid or name
 *   AXR_EUNPROCESSABLE  422: the Idempotency-Key was used for another request
 *   AXR_EAGAIN, AXR_ETIMEOUT, AXR_EUNAVAILABLE: 503; AXR_ENOMEM, AXR_EINTERNAL
 * On an error nothing was changed.
 */

#define ACHIEVEMENT_TX_RETRIES 8

typedef struct achievement_progress_in {
	const char *achievement_id;  /* the definition's uid or name; required */
	const char *user_uid;        /* whose progress; NULL: the caller's (others: trusted only) */
	int64_t increment;           /* >= 1; ignored when `unlock` */
	bool unlock;                 /* set progress to the target at once */
	const char *idempotency_key; /* NULL: none; per caller (the caller's uid, not user_uid) */
} achievement_progress_in_t;

typedef struct achievement_progress_out {
	achievement_record_t record; /* the record after the call (for a replay: as the original left it) */
	bool changed;      /* this call created or changed the record (publish a change event) */
	bool created;      /* this call created it (event action "create") */
	bool unlocked_now; /* this call unlocked it (event action "unlock"): once per user and achievement */
	bool replay;       /* answered from a stored Idempotency-Key result; nothing changed */
} achievement_progress_out_t;

/*
 * Adds progress as described above, for the caller or (trusted callers)
 * `in->user_uid`. With an idempotency key the claim, the change and the
 * stored result are one SQL transaction (retried on serialization failure
 * up to ACHIEVEMENT_TX_RETRIES times); a replay with the same request
 * answers the stored record with replay set and changed/unlocked_now
 * false. Strings in *out live in `arena`.
 */
int achievement_progress_add(axr_db_t *db, axr_arena_t *arena, const achievement_caller_t *caller,
                             const achievement_progress_in_t *in, achievement_progress_out_t *out);

/* Unlocks at once: achievement_progress_add with `unlock` set and no key.
 * Calling it again answers the same record with changed false. */
int achievement_progress_unlock(axr_db_t *db, axr_arena_t *arena, const achievement_caller_t *caller,
                                const char *achievement_id, const char *user_uid, achievement_progress_out_t *out);

/* The bus action of a change: "unlock" when it unlocked, else "create" or
 * "update"; NULL when nothing changed (nothing to publish). */
const char *achievement_progress_action(const achievement_progress_out_t *out);

#endif
