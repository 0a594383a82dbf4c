/* query.h: the AXR query language (?limit, ?page, ?sort, filters) to parameterized SQL. */
#ifndef AXR_QUERY_H
#define AXR_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "entity.h"
#include "request.h"
#include "validate.h"

/*
 * A list request's query string, e.g.
 *
 *   ?limit=20&page=2&sort={"quantity":"DESC"}&ownerUid=me&quantity=gt(5)&name=in(a,b)
 *
 * becomes SQL fragments over the entity's columns plus bound parameters;
 * nothing from the request ever becomes SQL text except through a column
 * name looked up in the entity table. docs/queries.md is the user manual;
 * in short:
 *
 *   limit=N       0..1000 (default 100); anything else is a 400
 *   page=N        0-based page (offset = page * limit); negative or an
 *                 offset beyond int64 is a 400
 *   sort=field    ascending; sort={"a":"DESC","b":"ASC"} (strict JSON, in
 *                 order; "ASC"/"DESC" any case, or 1/-1); "uid" is always
 *                 added last so pages are stable; default: dateCreated, uid
 *   <property>=v  a filter on that property's column. v is a plain value
 *                 (= eq) or op(args) with op one of eq ne gt gte lt lte
 *                 in nin like range; repeated parameters are OR'd, different
 *                 properties AND'd. `me` stands for the caller's uid.
 *
 * Values are checked against the column's type (uuid, integer, number,
 * boolean, date-time, date, string) before they are bound. jsonb columns
 * are neither filterable nor sortable.
 */

#define AXR_QUERY_DEFAULT_LIMIT 100
#define AXR_QUERY_MAX_LIMIT 1000
#define AXR_QUERY_MAX_VALUES 256 /* bound filter values in one query */

typedef struct axr_query {
	/* Filter conditions joined by AND, with placeholders $1..$nvalues;
	 * "" when there is no filter. Not including "WHERE". */
	const char *where;
	/* Sort keys without "ORDER BY", e.g. "\"quantity\" DESC, \"uid\" ASC";
	 * never empty. */
	const char *order_by;
	int64_t limit;       /* 0..AXR_QUERY_MAX_LIMIT */
	int64_t offset;      /* page * limit, >= 0 */
	const char **values; /* texts of $1..$nvalues */
	int nvalues;
} axr_query_t;

typedef struct axr_query_options {
	/* Other query parameters the operation declares that are not filters
	 * (they are skipped). `jwt_token` is always skipped. */
	const char *const *ignore;
	size_t n_ignore;
} axr_query_options_t;

/*
 * Parses `query` (the raw query string without '?', NULL for none) for
 * entity `e`. `user_uid` is the caller's uid (NULL when anonymous) and
 * replaces the value `me`. `opt` may be NULL. Everything in *out lives in
 * `arena`.
 *
 * Returns 0 and fills *out; AXR_EVALIDATION when a parameter is wrong (an
 * unknown property or operator, a bad value, limit/page/sort out of range,
 * a jsonb column, too many values): `errs` holds one error per problem,
 * path "/query/<name>" (JSON-Pointer escaped) and a message naming it;
 * AXR_EUNAUTHORIZED when an anonymous caller used `me` (401 rather than
 * 400: the request is fine, the caller must log in; errs has the entry
 * and any other problem found); AXR_ENOMEM.
 */
int axr_query_parse_string(const char *query, const char *user_uid, axr_arena_t *arena,
                           const axr_entity_t *e, const axr_query_options_t *opt, axr_query_t *out,
                           axr_verrors_t *errs);

/* axr_query_parse_string() on a request: its query, user_uid and arena. */
int axr_query_parse(axr_request_t *req, const axr_entity_t *e, const axr_query_options_t *opt,
                    axr_query_t *out, axr_verrors_t *errs);

#endif
