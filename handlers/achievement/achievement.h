/* achievement.h: what the achievement core's files share: the caller, a user's achievement record, uid checks. */
#ifndef AXR_ACHIEVEMENT_H
#define AXR_ACHIEVEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "db.h"

/*
 * The achievement core is plain C over runtime/db.h: no protobuf, no
 * generated header. The generated handlers (spec/achievement.yaml) turn
 * their typed input into these structs and the results back into messages;
 * docs/achievement.md describes the rules.
 *
 * Tables: achievement_definition and user_achievement are the generated
 * entity tables of AchievementDefinition and UserAchievement
 * (docs/model-mapping.md); achievement_idempotency and
 * achievement_event_seen come from migrations/achievement/.
 *
 * Strings returned live in the caller's arena; uids come back in
 * PostgreSQL's canonical (lowercase) form, dates as RFC 3339 UTC with the
 * fraction trimmed ("2025-01-01T10:00:00.25Z"), as the CRUD engine writes
 * them.
 */

/* Who is calling. */
typedef struct achievement_caller {
	const char *uid; /* the authenticated user's uid; NULL: anonymous */
	bool trusted;    /* a trusted role (admin): acts for anyone, sees everything */
} achievement_caller_t;

/* One user's progress towards one achievement: a UserAchievement row. */
typedef struct achievement_record {
	const char *uid;
	const char *achievement_uid;
	const char *user_uid;
	int64_t progress;          /* 0..target */
	bool unlocked;
	const char *date_unlocked; /* NULL until unlocked */
	const char *date_created;
	const char *date_modified;
	int64_t version;
} achievement_record_t;

/* true when `s` is a UUID in text form (8-4-4-4-12 hex digits, any case). */
bool achievement_is_uuid(const char *s);

/* true when `a` and `b` are the same UUID (case-insensitive); false when
 * either is NULL. */
bool achievement_same_uuid(const char *a, const char *b);

/*
 * Appends `rec` in the REST JSON mapping of UserAchievement (the websocket
 * and bus `data_json` form): {"uid":..,"dateCreated":..,"dateModified":..,
 * "version":n,"achievementUid":..,"userUid":..,"progress":n,"unlocked":b,
 * "dateUnlocked":..} (dateUnlocked only when set). Check axr_buf_ok(out).
 */
void achievement_record_json(const achievement_record_t *rec, axr_buf_t *out);

#endif
