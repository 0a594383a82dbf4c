/* crud.c: the generic CRUD engine: list, count, create, get, update, delete, truncate. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crud_internal.h"
#include "err.h"
#include "format.h"
#include "auth.h"

axr_crud_change_fn axr_crud_on_change = NULL;

/* ---- answers -------------------------------------------------------------- */

/* Sets the error response for `rc` (its status and code) and returns rc. */
static int axr__crud_error(axr_request_t *req, int rc, const char *message, const axr_field_error_t *errs,
                           size_t n)
{
	axr_response_error(req, axr_err_http_status(rc), axr_errname(rc), message, errs, n);
	return rc;
}

/* The same with one field error at `path` (JSON Pointer). */
static int axr__crud_field_error(axr_request_t *req, int rc, const char *message, const char *path,
                                 const char *field_message)
{
	axr_field_error_t fe = {.path = path, .message = field_message};
	return axr__crud_error(req, rc, message, &fe, 1);
}

static const char *axr__crud_path(axr_request_t *req, const axr_column_t *c)
{
	const char *p = axr_arena_printf(req->arena, "/%s", c->json_name);
	return p ? p : "";
}

/* A failed statement: maps the database's error to an answer naming the
 * property where one is known; the details go to req->error_reason only. */
static int axr__crud_db_error(axr_request_t *req, axr_db_t *db, const axr_entity_t *e, int rc)
{
	return axr__crud_db_answer(req, e, rc, axr_db_last_error(db));
}

int axr__crud_db_answer(axr_request_t *req, const axr_entity_t *e, int rc, const axr_db_error_t *de)
{
	int cols[AXR_ROW_INDEX_MAX_COLUMNS];
	axr_field_error_t fe[AXR_ROW_INDEX_MAX_COLUMNS];
	size_t n;
	int col;

	req->error_reason = axr_arena_printf(req->arena, "%s: database: [%s] %s (constraint %s)", e->table,
	                                     de->sqlstate, de->message, de->constraint);
	switch (rc) {
	case AXR_EEXISTS:
		n = axr_crud_constraint_columns(e, de->constraint, cols, AXR_ROW_INDEX_MAX_COLUMNS);
		for (size_t i = 0; i < n; i++)
			fe[i] = (axr_field_error_t){.path = axr__crud_path(req, &e->columns[cols[i]]), .message = "already exists"};
		return axr__crud_error(req, AXR_EEXISTS,
		                       n ? axr_arena_printf(req->arena, "a %s with this %s already exists", e->name,
		                                            e->columns[cols[0]].json_name)
		                         : "already exists",
		                       fe, n);
	case AXR_EINVAL:
		col = de->column[0] ? axr_row_column(e, de->column) : -1;
		if (col >= 0)
			return axr__crud_field_error(req, AXR_EVALIDATION, "validation failed",
			                             axr__crud_path(req, &e->columns[col]),
			                             strcmp(de->sqlstate, "23502") == 0 ? "is required" : "has an invalid value");
		return axr__crud_error(req, AXR_EVALIDATION, "a value does not fit its property", NULL, 0);
	case AXR_ECONFLICT:
		for (size_t i = 0; i < e->n_columns; i++) {
			char check[AXR_ROW_NAME_MAX + 1];
			axr_row_derived_name(check, e->table, e->columns[i].name, "check");
			if (strcmp(check, de->constraint) == 0)
				return axr__crud_field_error(req, AXR_ECONFLICT, "the change violates a constraint",
				                             axr__crud_path(req, &e->columns[i]), "must not be negative");
		}
		return axr__crud_error(req, AXR_ECONFLICT, "the change violates a constraint", NULL, 0);
	case AXR_EUNAVAILABLE:
	case AXR_ETIMEOUT:
	case AXR_EBUSY:
	case AXR_EAGAIN:
		return axr__crud_error(req, rc, "the database is unavailable; retry later", NULL, 0);
	case AXR_ENOMEM:
		return axr__crud_error(req, rc, NULL, NULL, 0);
	default:
		return axr__crud_error(req, AXR_EINTERNAL, "internal error", NULL, 0);
	}
}

/* A failure of our own (not the database's): out of memory, a table the
 * engine cannot serve, a jsonb field the codec does not carry yet. */
static int axr__crud_internal(axr_request_t *req, const axr_entity_t *e, int rc, const char *why)
{
	req->error_reason = axr_arena_printf(req->arena, "%s: %s (%s)", e ? e->name : "crud", why, axr_strerror(rc));
	if (rc == AXR_ENOMEM)
		return axr__crud_error(req, rc, NULL, NULL, 0);
	axr__crud_error(req, AXR_EINTERNAL, "internal error", NULL, 0);
	return rc;
}

static int axr__crud_entry_for(axr_request_t *req, const axr_entity_t *e, axr__crud_entry_t **en)
{
	char why[256];
	int rc = axr__crud_entry(e, en, why, sizeof why);
	if (rc != 0)
		return axr__crud_internal(req, e, rc == AXR_ECONFIG ? AXR_ECONFIG : rc, why);
	return 0;
}

static void axr__crud_etag(axr_request_t *req, int64_t version)
{
	char etag[32];
	snprintf(etag, sizeof etag, "\"%" PRId64 "\"", version);
	axr_response_header(req, "ETag", etag);
}

static void axr__crud_changed(axr_request_t *req, const axr_entity_t *e, int action, const ProtobufCMessage *row)
{
	axr_crud_change_fn fn = axr_crud_on_change;
	if (fn != NULL)
		fn(req, e, action, row);
}

/* ---- callers ---------------------------------------------------------------- */

bool axr_crud_caller_trusted(const axr_request_t *req, const axr_entity_t *e)
{
	if (e->trusted_roles == NULL)
		return axr_request_trusted(req);
	for (size_t i = 0; i < e->n_trusted_roles; i++)
		if (axr_request_has_role(req, e->trusted_roles[i]))
			return true;
	return false;
}

static bool axr__crud_same_owner(const axr_column_t *c, const char *a, const char *b)
{
	return c->type == AXR_COL_UUID ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

/*
 * Whose rows the caller may touch: *owner = NULL when every row (a trusted
 * caller, or an entity without owner), else the caller's uid. 401 for an
 * anonymous caller of an owned entity.
 */
static int axr__crud_scope(axr_request_t *req, const axr_entity_t *e, const char **owner)
{
	*owner = NULL;
	if (e->owner_column < 0 || axr_crud_caller_trusted(req, e))
		return 0;
	const axr_column_t *c = &e->columns[e->owner_column];
	if (req->user_uid == NULL)
		return axr__crud_error(req, AXR_EUNAUTHORIZED, "authentication required", NULL, 0);
	if (c->type == AXR_COL_UUID && !axr_format_check(AXR_FORMAT_UUID, req->user_uid, strlen(req->user_uid)))
		return axr__crud_error(req, AXR_EFORBIDDEN, "the caller has no uid that can own rows", NULL, 0);
	*owner = req->user_uid;
	return 0;
}

/* Whether `id` names a row by uid (0) or by the identifier column (1);
 * 404 when it can name none. */
static int axr__crud_key(axr_request_t *req, const axr_entity_t *e, const char *id, int *by_ident)
{
	size_t len = id ? strlen(id) : 0;
	*by_ident = 0;
	if (len > 0 && axr_format_check(AXR_FORMAT_UUID, id, len))
		return 0;
	if (len > 0 && e->identifier_column >= 0) {
		axr_column_type_t t = e->columns[e->identifier_column].type;
		bool ok = t != AXR_COL_UUID;
		for (size_t i = 0; ok && t == AXR_COL_BIGINT && i < len; i++)
			ok = (id[i] >= '0' && id[i] <= '9') || (i == 0 && id[i] == '-' && len > 1);
		if (ok && (t != AXR_COL_BIGINT || len <= 19)) {
			*by_ident = 1;
			return 0;
		}
	}
	return axr__crud_error(req, AXR_ENOTFOUND, axr_arena_printf(req->arena, "%s not found", e->name), NULL, 0);
}

static int axr__crud_parse_version(const char *s, int64_t *out)
{
	char *end;
	if (s == NULL || !(*s >= '0' && *s <= '9'))
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/*
 * The version the caller expects: If-Match: "<n>", else the body's version
 * (when `body`), else ?version=. *have false when none was given.
 */
static int axr__crud_expected_version(axr_request_t *req, const axr_entity_t *e, axr__crud_entry_t *en,
                                      const ProtobufCMessage *body, bool *have, int64_t *version)
{
	const char *h = axr_request_header(req, "If-Match");
	*have = false;
	if (h != NULL) {
		char digits[24];
		size_t n = strlen(h);
		while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
			n--;
		while (n > 0 && (*h == ' ' || *h == '\t'))
			h++, n--;
		if (n < 3 || n - 2 >= sizeof digits || h[0] != '"' || h[n - 1] != '"')
			goto bad_header;
		memcpy(digits, h + 1, n - 2);
		digits[n - 2] = '\0';
		if (axr__crud_parse_version(digits, version) != 0)
			goto bad_header;
		*have = true;
		return 0;
	}
	if (body != NULL) {
		const char *text = NULL;
		int rc = axr_row_param(e, (size_t)en->version_col, body, req->arena, &text);
		if (rc != 0)
			return axr__crud_internal(req, e, rc, "version field");
		if (text != NULL) {
			if (axr__crud_parse_version(text, version) != 0)
				return axr__crud_field_error(req, AXR_EVALIDATION, "validation failed", "/version",
				                             "must be a non-negative integer");
			*have = true;
			return 0;
		}
	}
	const char *q = axr_request_query(req, "version", 0);
	if (q != NULL) {
		if (axr__crud_parse_version(q, version) != 0)
			return axr__crud_field_error(req, AXR_EVALIDATION, "validation failed", "/query/version",
			                             "must be a non-negative integer");
		*have = true;
	}
	return 0;
bad_header:
	return axr__crud_field_error(req, AXR_EVALIDATION, "validation failed", "/header/If-Match",
	                             "must be a quoted version, e.g. \"3\"");
}

/* Runs fixed statement `slot` of `en`. */
static int axr__crud_exec(axr_request_t *req, axr_db_t *db, axr__crud_entry_t *en, int slot,
                          const char *const *values, axr_db_result_t **r)
{
	const axr__crud_stmt_t *s = &en->stmt[slot];
	if (s->name == NULL)
		return axr__crud_internal(req, en->e, AXR_EINTERNAL, "statement variant missing");
	int rc = axr_db_exec(db, s->name, s->sql, s->nparams, values, NULL, NULL, r);
	return rc ? axr__crud_db_error(req, db, en->e, rc) : 0;
}

/* Row 0 of `r` into out->row and out->version, with the ETag. */
static int axr__crud_one(axr_request_t *req, axr__crud_entry_t *en, axr_db_result_t *r, axr_crud_result_t *out)
{
	int rc = axr_row_read(en->e, r, 0, req->arena, &out->row);
	if (rc == 0)
		rc = axr_db_result_int64(r, 0, en->version_col, &out->version);
	if (rc != 0)
		return axr__crud_internal(req, en->e, rc, "reading a row");
	axr__crud_etag(req, out->version);
	return 0;
}

/* After an UPDATE or a versioned DELETE touched nothing: 404 when the row
 * does not exist for this caller, else 409 (stale version). */
static int axr__crud_explain_miss(axr_request_t *req, axr_db_t *db, axr__crud_entry_t *en, int by_ident,
                                  const char *id, const char *owner, int64_t version)
{
	const char *values[2] = {id, owner};
	axr_db_result_t *r = NULL;
	int64_t current = 0;
	int rc = axr__crud_exec(req, db, en, AXR__CRUD_SLOT(AXR__CRUD_VERSION, by_ident, owner != NULL), values, &r);
	if (rc != 0)
		return rc;
	if (axr_db_result_rows(r) == 0) {
		axr_db_result_free(r);
		return axr__crud_error(req, AXR_ENOTFOUND, axr_arena_printf(req->arena, "%s not found", en->e->name),
		                       NULL, 0);
	}
	axr_db_result_int64(r, 0, 0, &current);
	axr_db_result_free(r);
	return axr__crud_field_error(
	    req, AXR_ECONFLICT,
	    axr_arena_printf(req->arena, "version %" PRId64 " is stale: the current version is %" PRId64
	                                 "; read the %s again and retry",
	                     version, current, en->e->name),
	    "/version", "is stale");
}

/* ---- list, count, truncate -------------------------------------------------- */

/* Parses the query; answers 400/401 with every error. */
static int axr__crud_query(axr_request_t *req, const axr_entity_t *e, const axr_query_options_t *qopt,
                           axr_query_t *q)
{
	axr_verrors_t errs;
	axr_verrors_init(&errs, req->arena, AXR_VERRORS_DEFAULT_MAX);
	int rc = axr_query_parse(req, e, qopt, q, &errs);
	if (rc == 0)
		return 0;
	if (rc == AXR_ENOMEM)
		return axr__crud_internal(req, e, rc, "query");
	axr_field_error_t *fe = axr_arena_calloc(req->arena, errs.count ? errs.count : 1, sizeof *fe);
	if (fe == NULL)
		return axr__crud_internal(req, e, AXR_ENOMEM, "query");
	for (size_t i = 0; i < errs.count; i++)
		fe[i] = (axr_field_error_t){.path = errs.items[i].path, .message = errs.items[i].message};
	return axr__crud_error(req, rc, rc == AXR_EUNAUTHORIZED ? "\"me\" needs an authenticated caller"
	                                                       : "invalid query",
	                       fe, errs.count);
}

/*
 * Builds "<head> FROM t [WHERE owner AND (filters)]<tail>" and its values:
 * the query's, then the owner, then `extra`.
 */
static int axr__crud_select(axr_request_t *req, const axr_entity_t *e, const char *head, const axr_query_t *q,
                            const char *owner, const char *const *extra, int nextra, const char **sql,
                            const char ***values, int *nvalues)
{
	axr_buf_t b = AXR_BUF_INIT;
	int n = q->nvalues;
	const char **v = axr_arena_calloc(req->arena, (size_t)(n + 1 + nextra), sizeof *v);
	if (v == NULL)
		return AXR_ENOMEM;
	memcpy(v, q->values, (size_t)n * sizeof *v);
	axr_buf_printf(&b, "%s FROM \"%s\"", head, e->table);
	if (owner != NULL || q->where[0]) {
		axr_buf_puts(&b, " WHERE ");
		if (owner != NULL) {
			const axr_column_t *c = &e->columns[e->owner_column];
			v[n++] = owner;
			axr_row_ident(&b, c->name);
			axr_buf_printf(&b, " = $%d::%s", n, axr_row_sql_type(c->type));
		}
		if (owner != NULL && q->where[0])
			axr_buf_puts(&b, " AND ");
		if (q->where[0])
			axr_buf_printf(&b, "(%s)", q->where);
	}
	if (nextra == 2) {
		axr_buf_printf(&b, " ORDER BY %s LIMIT $%d OFFSET $%d", q->order_by, n + 1, n + 2);
		v[n++] = extra[0];
		v[n++] = extra[1];
	}
	*sql = axr_buf_ok(&b) ? axr_arena_strndup(req->arena, b.data, b.len) : NULL;
	axr_buf_free(&b);
	*values = v;
	*nvalues = n;
	return *sql ? 0 : AXR_ENOMEM;
}

/* Runs LIST (`list`) or COUNT: "SELECT <row>|count(*) FROM t WHERE <owner>
 * AND (<filters>)", with ORDER BY/LIMIT/OFFSET for a list. 0 and *r, or
 * the error already answered. */
static int axr__crud_filtered(axr_request_t *req, axr_db_t *db, const axr_entity_t *e,
                              const axr_query_options_t *qopt, bool list, axr_db_result_t **r)
{
	axr__crud_entry_t *en;
	axr_query_t q;
	const char *owner, *sql, **values;
	int nvalues, rc;

	*r = NULL;
	if ((rc = axr__crud_entry_for(req, e, &en)) != 0 || (rc = axr__crud_scope(req, e, &owner)) != 0 ||
	    (rc = axr__crud_query(req, e, qopt, &q)) != 0)
		return rc;
	const char *paging[2] = {axr_arena_printf(req->arena, "%" PRId64, q.limit),
	                         axr_arena_printf(req->arena, "%" PRId64, q.offset)};
	const char *head = list ? axr_arena_printf(req->arena, "SELECT %s", en->select_list) : "SELECT count(*)";
	if (!paging[0] || !paging[1] || !head ||
	    axr__crud_select(req, e, head, &q, owner, paging, list ? 2 : 0, &sql, &values, &nvalues) != 0)
		return axr__crud_internal(req, e, AXR_ENOMEM, list ? "list" : "count");
	rc = axr_db_exec(db, NULL, sql, nvalues, values, NULL, NULL, r);
	return rc ? axr__crud_db_error(req, db, e, rc) : 0;
}

int axr_crud_list(axr_request_t *req, axr_db_t *db, const axr_entity_t *e, const axr_query_options_t *qopt,
                  axr_crud_result_t *out)
{
	axr_db_result_t *r = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = axr__crud_filtered(req, db, e, qopt, true, &r)) != 0)
		return rc;
	int rows = axr_db_result_rows(r);
	out->rows = axr_arena_calloc(req->arena, rows ? (size_t)rows : 1, sizeof *out->rows);
	rc = out->rows ? 0 : AXR_ENOMEM;
	for (int i = 0; rc == 0 && i < rows; i++)
		rc = axr_row_read(e, r, i, req->arena, &out->rows[i]);
	axr_db_result_free(r);
	if (rc != 0) {
		memset(out, 0, sizeof *out);
		return axr__crud_internal(req, e, rc, "reading rows");
	}
	out->n_rows = (size_t)rows;
	return 0;
}

int axr_crud_count(axr_request_t *req, axr_db_t *db, const axr_entity_t *e, const axr_query_options_t *qopt,
                   axr_crud_result_t *out)
{
	axr_db_result_t *r = NULL;
	char total[24];
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = axr__crud_filtered(req, db, e, qopt, false, &r)) != 0)
		return rc;
	rc = axr_db_result_int64(r, 0, 0, &out->count);
	axr_db_result_free(r);
	if (rc != 0)
		return axr__crud_internal(req, e, rc, "count");
	snprintf(total, sizeof total, "%" PRId64, out->count);
	axr_response_header(req, "X-Total-Count", total);
	return 0;
}

int axr_crud_truncate(axr_request_t *req, axr_db_t *db, const axr_entity_t *e, const axr_query_options_t *qopt,
                      axr_crud_result_t *out)
{
	static const char *const paging[] = {"limit", "page", "sort"};
	axr__crud_entry_t *en;
	axr_query_t q;
	axr_db_result_t *r = NULL;
	const char *sql, **values;
	int nvalues, rc;

	memset(out, 0, sizeof *out);
	if ((rc = axr__crud_entry_for(req, e, &en)) != 0)
		return rc;
	if (!axr_crud_caller_trusted(req, e))
		return req->auth == NULL
		           ? axr__crud_error(req, AXR_EUNAUTHORIZED, "authentication required", NULL, 0)
		           : axr__crud_error(req, AXR_EFORBIDDEN,
		                             axr_arena_printf(req->arena, "only trusted roles may delete every %s", e->name),
		                             NULL, 0);
	for (size_t i = 0; i < 3; i++)
		if (axr_request_query(req, paging[i], 0) != NULL)
			return axr__crud_field_error(req, AXR_EVALIDATION, "invalid query",
			                             axr_arena_printf(req->arena, "/query/%s", paging[i]),
			                             "does not apply to a delete: every matching row is deleted");
	if ((rc = axr__crud_query(req, e, qopt, &q)) != 0)
		return rc;
	if (axr__crud_select(req, e, "DELETE", &q, NULL, NULL, 0, &sql, &values, &nvalues) != 0)
		return axr__crud_internal(req, e, AXR_ENOMEM, "truncate");
	rc = axr_db_exec(db, NULL, sql, nvalues, values, NULL, NULL, &r);
	if (rc != 0)
		return axr__crud_db_error(req, db, e, rc);
	out->count = axr_db_result_affected(r);
	axr_db_result_free(r);
	axr__crud_changed(req, e, AXR_CRUD_ACTION_TRUNCATE, NULL);
	return 0;
}

/* ---- one row ------------------------------------------------------------------ */

/* Parameter texts of the writable columns of `body` into values[0..n_write). */
static int axr__crud_body(axr_request_t *req, axr__crud_entry_t *en, const ProtobufCMessage *body,
                          const char **values)
{
	const axr_entity_t *e = en->e;
	if (body == NULL)
		return axr__crud_error(req, AXR_EVALIDATION, "a request body is required", NULL, 0);
	if (body->descriptor != e->message)
		return axr__crud_internal(req, e, AXR_EINVAL, "body is not the entity's message");
	for (size_t j = 0; j < en->n_write; j++) {
		int rc = axr_row_param(e, (size_t)en->write_cols[j], body, req->arena, &values[j]);
		if (rc != 0)
			return axr__crud_internal(req, e, rc, axr_arena_printf(req->arena, "column %s",
			                                                       e->columns[en->write_cols[j]].name));
	}
	if (e->identifier_column >= 0 && e->columns[e->identifier_column].type == AXR_COL_TEXT) {
		for (size_t j = 0; j < en->n_write; j++) {
			if (en->write_cols[j] != e->identifier_column || values[j] == NULL)
				continue;
			if (axr_format_check(AXR_FORMAT_UUID, values[j], strlen(values[j])))
				return axr__crud_field_error(req, AXR_EVALIDATION, "validation failed",
				                             axr__crud_path(req, &e->columns[e->identifier_column]),
				                             "must not look like a uuid (it could not be told from a uid)");
		}
	}
	return 0;
}

/* A non-trusted caller may only name itself as the owner of a row. */
static int axr__crud_check_owner(axr_request_t *req, axr__crud_entry_t *en, const char *given, bool trusted)
{
	const axr_entity_t *e = en->e;
	if (trusted || given == NULL)
		return 0;
	if (req->user_uid == NULL)
		return axr__crud_error(req, AXR_EUNAUTHORIZED, "authentication required", NULL, 0);
	if (!axr__crud_same_owner(&e->columns[e->owner_column], given, req->user_uid))
		return axr__crud_field_error(req, AXR_EFORBIDDEN,
		                             axr_arena_printf(req->arena, "a %s cannot be given to another user", e->name),
		                             axr__crud_path(req, &e->columns[e->owner_column]), "must be the caller's uid");
	return 0;
}

int axr_crud_create(axr_request_t *req, axr_db_t *db, const axr_entity_t *e, const ProtobufCMessage *body,
                    axr_crud_result_t *out)
{
	axr__crud_entry_t *en;
	axr_db_result_t *r = NULL;
	const char **values;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = axr__crud_entry_for(req, e, &en)) != 0)
		return rc;
	values = axr_arena_calloc(req->arena, en->n_write + 1, sizeof *values);
	if (values == NULL)
		return axr__crud_internal(req, e, AXR_ENOMEM, "create");
	if ((rc = axr__crud_body(req, en, body, values)) != 0)
		return rc;
	if (en->owner_write >= 0) {
		bool trusted = axr_crud_caller_trusted(req, e);
		const char **owner = &values[en->owner_write];
		if (*owner == NULL && req->user_uid == NULL && !trusted)
			return axr__crud_error(req, AXR_EUNAUTHORIZED, "authentication required", NULL, 0);
		if (*owner == NULL)
			*owner = req->user_uid;
		else if ((rc = axr__crud_check_owner(req, en, *owner, trusted)) != 0)
			return rc;
	}
	if ((rc = axr__crud_exec(req, db, en, AXR__CRUD_INSERT, values, &r)) != 0)
		return rc;
	rc = axr__crud_one(req, en, r, out);
	axr_db_result_free(r);
	if (rc == 0)
		axr__crud_changed(req, e, AXR_CRUD_ACTION_CREATE, out->row);
	return rc;
}

int axr__crud_get_begin(axr_request_t *req, const axr_entity_t *e, const char *id, axr__crud_get_t *plan)
{
	const char *owner;
	int by_ident, rc;

	memset(plan, 0, sizeof *plan);
	if ((rc = axr__crud_entry_for(req, e, &plan->en)) != 0 || (rc = axr__crud_scope(req, e, &owner)) != 0 ||
	    (rc = axr__crud_key(req, e, id, &by_ident)) != 0)
		return rc;
	plan->stmt = &plan->en->stmt[AXR__CRUD_SLOT(AXR__CRUD_GET, by_ident, owner != NULL)];
	if (plan->stmt->name == NULL)
		return axr__crud_internal(req, e, AXR_EINTERNAL, "statement variant missing");
	plan->values[0] = id;
	plan->values[1] = owner;
	return 0;
}

int axr__crud_get_end(axr_request_t *req, const axr__crud_get_t *plan, axr_db_result_t *r,
                      axr_crud_result_t *out)
{
	memset(out, 0, sizeof *out);
	if (axr_db_result_rows(r) == 0)
		return axr__crud_error(req, AXR_ENOTFOUND,
		                       axr_arena_printf(req->arena, "%s not found", plan->en->e->name), NULL, 0);
	return axr__crud_one(req, plan->en, r, out);
}

int axr_crud_get(axr_request_t *req, axr_db_t *db, const axr_entity_t *e, const char *id, axr_crud_result_t *out)
{
	axr__crud_get_t plan;
	axr_db_result_t *r = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = axr__crud_get_begin(req, e, id, &plan)) != 0)
		return rc;
	rc = axr_db_exec(db, plan.stmt->name, plan.stmt->sql, plan.stmt->nparams, plan.values, NULL, NULL, &r);
	if (rc != 0)
		return axr__crud_db_error(req, db, e, rc);
	rc = axr__crud_get_end(req, &plan, r, out);
	axr_db_result_free(r);
	return rc;
}

int axr_crud_update(axr_request_t *req, axr_db_t *db, const axr_entity_t *e, const char *id,
                    const ProtobufCMessage *body, axr_crud_result_t *out)
{
	axr__crud_entry_t *en;
	axr_db_result_t *r = NULL;
	const char *owner, **values;
	int by_ident, rc;
	bool have_version;
	int64_t version = 0;

	memset(out, 0, sizeof *out);
	if ((rc = axr__crud_entry_for(req, e, &en)) != 0 || (rc = axr__crud_scope(req, e, &owner)) != 0 ||
	    (rc = axr__crud_key(req, e, id, &by_ident)) != 0)
		return rc;
	values = axr_arena_calloc(req->arena, en->n_write + 3, sizeof *values);
	if (values == NULL)
		return axr__crud_internal(req, e, AXR_ENOMEM, "update");
	if ((rc = axr__crud_body(req, en, body, values + 2)) != 0 ||
	    (rc = axr__crud_expected_version(req, e, en, body, &have_version, &version)) != 0)
		return rc;
	if (!have_version)
		return axr__crud_field_error(req, AXR_EVALIDATION, "validation failed", "/version",
		                             "is required: send the current version in the body or If-Match");
	if (en->owner_write >= 0 &&
	    (rc = axr__crud_check_owner(req, en, values[2 + en->owner_write], owner == NULL)) != 0)
		return rc;
	values[0] = id;
	values[1] = axr_arena_printf(req->arena, "%" PRId64, version);
	values[2 + en->n_write] = owner;
	if (values[1] == NULL)
		return axr__crud_internal(req, e, AXR_ENOMEM, "update");
	if ((rc = axr__crud_exec(req, db, en, AXR__CRUD_SLOT(AXR__CRUD_UPDATE, by_ident, owner != NULL), values, &r)) != 0)
		return rc;
	if (axr_db_result_rows(r) == 0) {
		axr_db_result_free(r);
		return axr__crud_explain_miss(req, db, en, by_ident, id, owner, version);
	}
	rc = axr__crud_one(req, en, r, out);
	axr_db_result_free(r);
	if (rc == 0)
		axr__crud_changed(req, e, AXR_CRUD_ACTION_UPDATE, out->row);
	return rc;
}

int axr_crud_delete(axr_request_t *req, axr_db_t *db, const axr_entity_t *e, const char *id,
                    axr_crud_result_t *out)
{
	axr__crud_entry_t *en;
	axr_db_result_t *r = NULL;
	const char *owner;
	int by_ident, rc;
	bool have_version;
	int64_t version = 0;

	memset(out, 0, sizeof *out);
	if ((rc = axr__crud_entry_for(req, e, &en)) != 0 || (rc = axr__crud_scope(req, e, &owner)) != 0 ||
	    (rc = axr__crud_key(req, e, id, &by_ident)) != 0 ||
	    (rc = axr__crud_expected_version(req, e, en, NULL, &have_version, &version)) != 0)
		return rc;
	const char *values[3] = {id, have_version ? axr_arena_printf(req->arena, "%" PRId64, version) : NULL, owner};
	if (have_version && values[1] == NULL)
		return axr__crud_internal(req, e, AXR_ENOMEM, "delete");
	if ((rc = axr__crud_exec(req, db, en, AXR__CRUD_SLOT(AXR__CRUD_DELETE, by_ident, owner != NULL), values, &r)) != 0)
		return rc;
	if (axr_db_result_rows(r) == 0) {
		axr_db_result_free(r);
		if (have_version)
			return axr__crud_explain_miss(req, db, en, by_ident, id, owner, version);
		return axr__crud_error(req, AXR_ENOTFOUND, axr_arena_printf(req->arena, "%s not found", e->name), NULL, 0);
	}
	rc = axr_row_read(e, r, 0, req->arena, &out->row);
	if (rc == 0)
		rc = axr_db_result_int64(r, 0, en->version_col, &out->version);
	axr_db_result_free(r);
	if (rc != 0)
		return axr__crud_internal(req, e, rc, "reading the deleted row");
	axr__crud_changed(req, e, AXR_CRUD_ACTION_DELETE, out->row);
	return 0;
}

/* ---- dispatch --------------------------------------------------------------- */

int axr_crud_run(axr_request_t *req, axr_db_t *db, const axr_entity_t *e, axr_crud_kind_t kind, const char *id,
                 const ProtobufCMessage *body, axr_crud_result_t *out)
{
	if (req == NULL || out == NULL)
		return AXR_EINVAL;
	memset(out, 0, sizeof *out);
	if (db == NULL || e == NULL)
		return axr__crud_internal(req, e, AXR_EINVAL, "no database or entity");
	switch (kind) {
	case AXR_CRUD_LIST: return axr_crud_list(req, db, e, NULL, out);
	case AXR_CRUD_COUNT: return axr_crud_count(req, db, e, NULL, out);
	case AXR_CRUD_CREATE: return axr_crud_create(req, db, e, body, out);
	case AXR_CRUD_TRUNCATE: return axr_crud_truncate(req, db, e, NULL, out);
	case AXR_CRUD_GET: return axr_crud_get(req, db, e, id, out);
	case AXR_CRUD_UPDATE: return axr_crud_update(req, db, e, id, body, out);
	case AXR_CRUD_DELETE: return axr_crud_delete(req, db, e, id, out);
	default: return axr__crud_internal(req, e, AXR_EINVAL, "unknown CRUD kind");
	}
}

int axr_crud_list_message(const ProtobufCMessageDescriptor *list_desc, const axr_crud_result_t *res,
                          axr_arena_t *arena, ProtobufCMessage **out)
{
	const ProtobufCFieldDescriptor *f;
	ProtobufCMessage *m;

	*out = NULL;
	if (list_desc == NULL || res == NULL || arena == NULL)
		return AXR_EINVAL;
	f = protobuf_c_message_descriptor_get_field(list_desc, 1);
	if (f == NULL || f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return AXR_EINVAL;
	m = axr_row_message_new(list_desc, arena);
	if (m == NULL)
		return AXR_ENOMEM;
	*(size_t *)(void *)((char *)m + f->quantifier_offset) = res->n_rows;
	*(ProtobufCMessage ***)(void *)((char *)m + f->offset) = res->rows;
	*out = m;
	return 0;
}
