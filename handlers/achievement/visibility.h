/* visibility.h: what a caller may see: hidden definitions only once unlocked, another user's records only as an admin. */
#ifndef AXR_ACHIEVEMENT_VISIBILITY_H
#define AXR_ACHIEVEMENT_VISIBILITY_H

#include <stddef.h>
#include <stdint.h>

#include "achievement.h"
#include "query.h"

/*
 * The read side of spec/achievement.yaml, as SQL over the entity tables.
 * The adapters parse the request's query with the runtime's query language
 * (axr_query_parse over the generated entity, query.h) and pass the result
 * here; `q` NULL means no filter, order dateCreated then uid, the default
 * limit, page 0. The visibility condition is ANDed to the query's filters
 * in SQL, so paging and counts only ever see visible rows.
 *
 * Definitions (achievement_definition) visible to a viewer:
 *   - trusted viewer (admin): all;
 *   - anyone else: not hidden, OR hidden and unlocked by the viewer (a
 *     user_achievement row of the viewer with unlocked = true).
 * A hidden definition a viewer may not see is a 404 for GET, exactly as a
 * missing one.
 *
 * A user's records (user_achievement) of `user_id` (a uid or "me"):
 *   - an untrusted viewer may read only its own: another user's is a 404
 *     (BOLA: no 403 that would confirm the user exists);
 *   - records of deleted definitions are never listed; records of hidden
 *     definitions are listed to untrusted viewers once unlocked.
 *
 * Common errors: AXR_EUNAUTHORIZED (no viewer uid: 401), AXR_EINVAL (a NULL
 * argument, a user id that is neither "me" nor a UUID), the axr_db_exec
 * codes (a bad filter value the query parser let through is AXR_EINVAL),
 * AXR_ENOMEM.
 */

/*
 * Runs SELECT `select_list` FROM achievement_definition for the visible
 * definitions matching `q`, in q's order and page. `select_list` is trusted
 * SQL (the adapter's axr_row_select_list of the generated entity, so
 * axr_row_read maps the rows). Returns 0 and *out (free with
 * axr_db_result_free), or the errors above.
 */
int achievement_definition_list(axr_db_t *db, axr_arena_t *arena, const achievement_caller_t *viewer,
                                const axr_query_t *q, const char *select_list, axr_db_result_t **out);

/* The number of visible definitions matching q's filters (paging ignored),
 * for HEAD /achievements. Returns 0 and *count, or the errors above. */
int achievement_definition_count(axr_db_t *db, axr_arena_t *arena, const achievement_caller_t *viewer,
                                 const axr_query_t *q, int64_t *count);

/* One definition by uid or name, when visible: 0 and *out with one row;
 * AXR_ENOTFOUND when it does not exist or is hidden from the viewer; or
 * the errors above. */
int achievement_definition_get(axr_db_t *db, axr_arena_t *arena, const achievement_caller_t *viewer, const char *id,
                               const char *select_list, axr_db_result_t **out);

/* The records of `user_id` matching q (filters over user_achievement's
 * columns, e.g. unlocked=true), in q's order and page: 0 and *rows / *n
 * (in `arena`; *rows NULL when n is 0); AXR_ENOTFOUND for another user's
 * list without trust; or the errors above. */
int achievement_user_list(axr_db_t *db, axr_arena_t *arena, const achievement_caller_t *viewer,
                          const char *user_id, const axr_query_t *q, achievement_record_t **rows, size_t *n);

/* The number of records achievement_user_list would answer without paging:
 * 0 and *count; AXR_ENOTFOUND as above; or the errors above. */
int achievement_user_count(axr_db_t *db, axr_arena_t *arena, const achievement_caller_t *viewer,
                           const char *user_id, const axr_query_t *q, int64_t *count);

#endif
