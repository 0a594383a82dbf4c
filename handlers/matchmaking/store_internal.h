/* store_internal.h: what store.c and store_round.c share: SQL fragments, uuids, JSON columns into arena rows. */
#ifndef AXR_MATCHMAKING_STORE_INTERNAL_H
#define AXR_MATCHMAKING_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "buf.h"
#include "store.h"

/* A timestamptz column as RFC 3339 UTC with milliseconds. */
#define MM_SQL_TIME(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* teamSize is stored as a number or {"gte":a,"lte":b} (normalised on insert). */
#define MM_SQL_TEAM_MIN \
	"(CASE WHEN jsonb_typeof(team_size) = 'number' THEN (team_size)::int ELSE (team_size->>'gte')::int END)"
#define MM_SQL_TEAM_MAX \
	"(CASE WHEN jsonb_typeof(team_size) = 'number' THEN (team_size)::int ELSE (team_size->>'lte')::int END)"

/* true when `s` is a uuid in 8-4-4-4-12 hex form (any case). */
bool matchmaking__uuid_valid(const char *s);

/* Copies uuid `s` in lower case into `arena` (NULL when out of memory). */
char *matchmaking__uuid_lower(axr_arena_t *arena, const char *s);

/* Writes a random (version 4) uuid into out (37 bytes with the NUL).
 * Returns 0 or AXR_EIO when the system has no randomness to give. */
int matchmaking__uuid_v4(char out[37]);

/* Parses the JSON array of strings `json` into arena strings. Returns 0,
 * AXR_EPARSE (not an array of strings), AXR_ENOMEM. */
int matchmaking__json_strings(axr_arena_t *arena, const char *json, const char ***out, size_t *n);

/* Parses stored criteria ([{"name":..,"value":..}]) into arena criteria. */
int matchmaking__json_criteria(axr_arena_t *arena, const char *json, matchmaking_criterion_t **out, size_t *n);

/* Appends `n` strings as a JSON array. */
void matchmaking__buf_strings(axr_buf_t *b, const char *const *s, size_t n);

/* Copies the text of (row, col) into `arena`; NULL for SQL NULL (and sets
 * *oom when the copy failed). */
const char *matchmaking__text(axr_arena_t *arena, const axr_db_result_t *r, int row, int col, bool *oom);

#endif
