/* achievement_internal.h: SQL fragments and row reading shared by the achievement core's files (not for adapters). */
#ifndef AXR_ACHIEVEMENT_INTERNAL_H
#define AXR_ACHIEVEMENT_INTERNAL_H

#include "achievement.h"

/* A timestamptz column `col` as RFC 3339 UTC with the fraction trimmed, as
 * runtime/row.c writes it ("2025-01-01T10:00:00Z", "...:00.25Z"). */
#define ACHIEVEMENT__TS(col) \
	"rtrim(rtrim(to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '0'), '.') || 'Z'"

/* The columns of a user_achievement row `a` (an alias followed by a dot) in
 * the order achievement__record_read() expects. */
#define ACHIEVEMENT__RECORD_COLUMNS(a)                                                              \
	a "uid, " a "achievement_uid, " a "user_uid, " a "progress, " a "unlocked, "                   \
	ACHIEVEMENT__TS(a "date_unlocked") ", " ACHIEVEMENT__TS(a "date_created") ", "              \
	ACHIEVEMENT__TS(a "date_modified") ", " a "version"
#define ACHIEVEMENT__RECORD_NCOLS 9

/* A definition's target as the rules read it: absent or below 1 counts as 1. */
#define ACHIEVEMENT__TARGET(d) "GREATEST(COALESCE(" d "target, 1), 1)::numeric"

/*
 * Reads the ACHIEVEMENT__RECORD_COLUMNS starting at column `col` of row
 * `row` into *out (strings copied into `arena`). Returns 0, AXR_EINTERNAL
 * when a column is missing or malformed (a NULL uid: no record), AXR_ENOMEM.
 */
int achievement__record_read(const axr_db_result_t *r, int row, int col, axr_arena_t *arena,
                             achievement_record_t *out);

/* The row's text at (row, col) copied into `arena`; NULL for SQL NULL. Sets
 * *oom when the copy fails. */
const char *achievement__text(const axr_db_result_t *r, int row, int col, axr_arena_t *arena, bool *oom);

/*
 * The progress upsert for the definitions `def_where` selects (a condition
 * on achievement_definition over $1, $2 and, when it needs one, $5), for
 * user $3::uuid, adding $4 (NULL: up to the target). It returns only the
 * records it created or changed from "not unlocked": column 0 "created",
 * then ACHIEVEMENT__RECORD_COLUMNS. Rows are locked in definition uid order,
 * so concurrent multi-definition upserts cannot deadlock.
 */
#define ACHIEVEMENT__UPSERT(def_where)                                                                      \
	"WITH d AS (SELECT uid, " ACHIEVEMENT__TARGET("") " AS target,"                                         \
	" COALESCE($4::numeric, " ACHIEVEMENT__TARGET("") ") AS step"                                           \
	" FROM achievement_definition WHERE " def_where " ORDER BY uid)"                                        \
	" INSERT INTO user_achievement AS ua (uid, date_created, date_modified, version, achievement_uid,"      \
	" user_uid, progress, unlocked, date_unlocked)"                                                          \
	" SELECT gen_random_uuid(), now(), now(), 0, d.uid, $3::uuid, LEAST(d.target, d.step)::bigint,"          \
	" d.step >= d.target, CASE WHEN d.step >= d.target THEN now() END FROM d"                              \
	" ON CONFLICT (user_uid, achievement_uid) DO UPDATE SET"                                                 \
	" (progress, unlocked, date_unlocked) = (SELECT LEAST(d.target, ua.progress + d.step)::bigint,"         \
	" ua.progress + d.step >= d.target, CASE WHEN ua.progress + d.step >= d.target THEN now() END"           \
	" FROM d WHERE d.uid = ua.achievement_uid),"                                                             \
	" date_modified = now(), version = ua.version + 1"                                                       \
	" WHERE NOT ua.unlocked"                                                                                 \
	" RETURNING ua.xmax = 0, " ACHIEVEMENT__RECORD_COLUMNS("ua.")

/* Reads the rows of an ACHIEVEMENT__UPSERT result into `outs` (n rows,
 * allocated in `arena`): changed, created and unlocked_now set from each
 * row. Returns 0, AXR_EINTERNAL, AXR_ENOMEM. */
struct achievement_progress_out;
int achievement__upsert_read(const axr_db_result_t *r, axr_arena_t *arena, struct achievement_progress_out **outs,
                             size_t *n);

#endif
