/* visibility.c: definitions and user records as a caller may see them, over the runtime's query language. */
#include "visibility.h"

#include <inttypes.h>
#include <string.h>

#include "achievement_internal.h"
#include "err.h"

/* No query: no filter, the CRUD engine's default order and limit. */
static const axr_query_t achievement__default_query = {
	.where = "",
	.order_by = "\"date_created\" ASC, \"uid\" ASC",
	.limit = AXR_QUERY_DEFAULT_LIMIT,
};

/* One SELECT over `table`: q's filters AND `scope` (placeholders numbered
 * after q's values: $<q->nvalues + 1>.. for `scope_values`), then q's order
 * and page when `paged`. */
typedef struct achievement__select {
	const char *what;               /* select list, or "count(*)" */
	const char *table;
	const char *scope;              /* a condition, already numbered */
	const char *const *scope_values;
	int n_scope;
	bool paged;
} achievement__select_t;

static int achievement__run(axr_db_t *db, axr_arena_t *arena, const axr_query_t *q, const achievement__select_t *s,
                            axr_db_result_t **out)
{
	int n = q->nvalues + s->n_scope;
	const char **values = axr_arena_calloc(arena, (size_t)n + 2, sizeof *values);
	const char *sql;

	if (values == NULL)
		return AXR_ENOMEM;
	for (int i = 0; i < q->nvalues; i++)
		values[i] = q->values[i];
	for (int i = 0; i < s->n_scope; i++)
		values[q->nvalues + i] = s->scope_values[i];
	sql = axr_arena_printf(arena, "SELECT %s FROM %s WHERE (%s) AND (%s)", s->what, s->table,
	                       q->where && *q->where ? q->where : "TRUE", s->scope);
	if (sql != NULL && s->paged) {
		values[n] = axr_arena_printf(arena, "%" PRId64, q->limit);
		values[n + 1] = axr_arena_printf(arena, "%" PRId64, q->offset);
		sql = axr_arena_printf(arena, "%s ORDER BY %s LIMIT $%d::bigint OFFSET $%d::bigint", sql, q->order_by, n + 1,
		                       n + 2);
		n += 2;
		if (values[n - 2] == NULL || values[n - 1] == NULL)
			return AXR_ENOMEM;
	}
	if (sql == NULL)
		return AXR_ENOMEM;
	return axr_db_exec(db, NULL, sql, n, values, NULL, NULL, out);
}

static int achievement__count(axr_db_t *db, axr_arena_t *arena, const axr_query_t *q, achievement__select_t *s,
                              int64_t *count)
{
	axr_db_result_t *r = NULL;
	s->what = "count(*)";
	s->paged = false;
	int rc = achievement__run(db, arena, q, s, &r);
	if (rc == 0 && axr_db_result_int64(r, 0, 0, count) != 0)
		rc = AXR_EINTERNAL;
	axr_db_result_free(r);
	return rc;
}

/* ---- definitions ------------------------------------------------------------ */

/* The scope of definitions `viewer` may see; `first` is the number of its
 * parameter (the viewer's uid), which goes to *value (NULL: none used). */
static const char *achievement__definitions_scope(axr_arena_t *arena, const achievement_caller_t *viewer, int first,
                                                  const char **value)
{
	*value = NULL;
	if (viewer->trusted)
		return "TRUE";
	if (!achievement_is_uuid(viewer->uid))
		return "NOT COALESCE(hidden, false)"; /* a uid that owns no records */
	*value = viewer->uid;
	return axr_arena_printf(arena,
	                        "NOT COALESCE(hidden, false) OR EXISTS (SELECT 1 FROM user_achievement ua"
	                        " WHERE ua.achievement_uid = achievement_definition.uid AND ua.user_uid = $%d::uuid"
	                        " AND ua.unlocked)",
	                        first);
}

static int achievement__definitions(axr_db_t *db, axr_arena_t *arena, const achievement_caller_t *viewer,
                                    const axr_query_t **q, achievement__select_t *s, const char **value)
{
	if (db == NULL || arena == NULL || viewer == NULL)
		return AXR_EINVAL;
	if (viewer->uid == NULL && !viewer->trusted)
		return AXR_EUNAUTHORIZED;
	if (*q == NULL)
		*q = &achievement__default_query;
	s->table = "achievement_definition";
	s->scope = achievement__definitions_scope(arena, viewer, (*q)->nvalues + 1, value);
	s->scope_values = value;
	s->n_scope = *value != NULL;
	return s->scope == NULL ? AXR_ENOMEM : 0;
}

int achievement_definition_list(axr_db_t *db, axr_arena_t *arena, const achievement_caller_t *viewer,
                                const axr_query_t *q, const char *select_list, axr_db_result_t **out)
{
	achievement__select_t s = {.what = select_list, .paged = true};
	const char *value;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (select_list == NULL || out == NULL)
		return AXR_EINVAL;
	rc = achievement__definitions(db, arena, viewer, &q, &s, &value);
	return rc != 0 ? rc : achievement__run(db, arena, q, &s, out);
}

int achievement_definition_count(axr_db_t *db, axr_arena_t *arena, const achievement_caller_t *viewer,
                                 const axr_query_t *q, int64_t *count)
{
	achievement__select_t s = {0};
	const char *value;
	int rc;

	if (count == NULL)
		return AXR_EINVAL;
	*count = 0;
	rc = achievement__definitions(db, arena, viewer, &q, &s, &value);
	return rc != 0 ? rc : achievement__count(db, arena, q, &s, count);
}

int achievement_definition_get(axr_db_t *db, axr_arena_t *arena, const achievement_caller_t *viewer, const char *id,
                               const char *select_list, axr_db_result_t **out)
{
	/* The id is a filter of our own: $1 uid or $2 name, the viewer $3. */
	const char *ids[2] = {NULL, NULL};
	axr_query_t by_id = achievement__default_query;
	const axr_query_t *q = &by_id;
	achievement__select_t s = {.what = select_list, .paged = false};
	const char *value;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (select_list == NULL || out == NULL || id == NULL)
		return AXR_EINVAL;
	ids[achievement_is_uuid(id) ? 0 : 1] = id;
	by_id.where = "uid = $1::uuid OR name = $2";
	by_id.values = ids;
	by_id.nvalues = 2;
	rc = achievement__definitions(db, arena, viewer, &q, &s, &value);
	if (rc == 0)
		rc = achievement__run(db, arena, q, &s, out);
	if (rc == 0 && axr_db_result_rows(*out) == 0) {
		axr_db_result_free(*out);
		*out = NULL;
		rc = AXR_ENOTFOUND;
	}
	return rc;
}

/* ---- a user's records --------------------------------------------------------- */

static int achievement__records(axr_arena_t *arena, const achievement_caller_t *viewer, const char *user_id,
                                const axr_query_t **q, achievement__select_t *s, const char **value)
{
	if (arena == NULL || viewer == NULL)
		return AXR_EINVAL;
	if (viewer->uid == NULL && !viewer->trusted)
		return AXR_EUNAUTHORIZED;
	*value = user_id == NULL || strcmp(user_id, "me") == 0 ? viewer->uid : user_id;
	if (!achievement_is_uuid(*value))
		return *value == NULL ? AXR_EUNAUTHORIZED : AXR_EINVAL;
	if (!viewer->trusted && !achievement_same_uuid(*value, viewer->uid))
		return AXR_ENOTFOUND; /* never confirm that another user exists */
	if (*q == NULL)
		*q = &achievement__default_query;
	s->table = "user_achievement";
	s->scope = axr_arena_printf(arena,
	                            "user_uid = $%d::uuid AND EXISTS (SELECT 1 FROM achievement_definition d"
	                            " WHERE d.uid = user_achievement.achievement_uid%s)",
	                            (*q)->nvalues + 1,
	                            viewer->trusted ? ""
	                                            : " AND (NOT COALESCE(d.hidden, false) OR user_achievement.unlocked)");
	s->scope_values = value;
	s->n_scope = 1;
	return s->scope == NULL ? AXR_ENOMEM : 0;
}

int achievement_user_list(axr_db_t *db, axr_arena_t *arena, const achievement_caller_t *viewer,
                          const char *user_id, const axr_query_t *q, achievement_record_t **rows, size_t *n)
{
	achievement__select_t s = {.what = ACHIEVEMENT__RECORD_COLUMNS("user_achievement."), .paged = true};
	axr_db_result_t *r = NULL;
	achievement_record_t *out = NULL;
	const char *value;
	int count = 0, rc;

	if (rows == NULL || n == NULL || db == NULL)
		return AXR_EINVAL;
	*rows = NULL;
	*n = 0;
	rc = achievement__records(arena, viewer, user_id, &q, &s, &value);
	if (rc == 0)
		rc = achievement__run(db, arena, q, &s, &r);
	if (rc == 0 && (count = axr_db_result_rows(r)) > 0 &&
	    (out = axr_arena_calloc(arena, (size_t)count, sizeof *out)) == NULL)
		rc = AXR_ENOMEM;
	for (int i = 0; rc == 0 && i < count; i++)
		rc = achievement__record_read(r, i, 0, arena, &out[i]);
	if (rc == 0) {
		*rows = out;
		*n = (size_t)count;
	}
	axr_db_result_free(r);
	return rc;
}

int achievement_user_count(axr_db_t *db, axr_arena_t *arena, const achievement_caller_t *viewer,
                           const char *user_id, const axr_query_t *q, int64_t *count)
{
	achievement__select_t s = {0};
	const char *value;
	int rc;

	if (count == NULL || db == NULL)
		return AXR_EINVAL;
	*count = 0;
	rc = achievement__records(arena, viewer, user_id, &q, &s, &value);
	return rc != 0 ? rc : achievement__count(db, arena, q, &s, count);
}
