/* crud_fixture.h: hand-written entity tables, callers and private databases for the CRUD, query and migration tests. */
#ifndef AXR_TEST_CRUD_FIXTURE_H
#define AXR_TEST_CRUD_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crudtest.pb-c.h"
#include "db.h"
#include "entity.h"
#include "err.h"
#include "jwt.h"
#include "request.h"
#include "server_internal.h"
#include "stack_helper.h"

/*
 * The tables below are what axrgen will emit for a spec like
 *
 *   Item:  x-baseClass, x-axr-owner: ownerUid
 *     name      string, x-identifier, required
 *     ownerUid  string/uuid
 *     quantity  integer, minimum 0 (money-like: CHECK >= 0), default 0
 *     price number; active boolean; expiresAt date-time; birthday date
 *     data      free-form object (jsonb)
 *     level     integer/int32; sku string, x-unique; note string, default "none"
 *   Gadget: x-baseClass; label, weight (x-index), color, tags (jsonb)
 */

#define FIX_BASE_COLUMNS()                                                               \
	{.name = "uid", .json_name = "uid", .type = AXR_COL_UUID,                                    \
	 .flags = AXR_COLUMN_NOT_NULL | AXR_COLUMN_READ_ONLY, .field = 1},                           \
	{.name = "date_created", .json_name = "dateCreated", .type = AXR_COL_TIMESTAMPTZ,            \
	 .flags = AXR_COLUMN_NOT_NULL | AXR_COLUMN_READ_ONLY, .field = 2},                           \
	{.name = "date_modified", .json_name = "dateModified", .type = AXR_COL_TIMESTAMPTZ,          \
	 .flags = AXR_COLUMN_NOT_NULL | AXR_COLUMN_READ_ONLY, .field = 3},                           \
	{.name = "version", .json_name = "version", .type = AXR_COL_BIGINT,                          \
	 .flags = AXR_COLUMN_NOT_NULL | AXR_COLUMN_READ_ONLY, .field = 4}

static const axr_column_t fix_item_columns[] = {
	FIX_BASE_COLUMNS(),
	{.name = "name", .json_name = "name", .type = AXR_COL_TEXT,
	 .flags = AXR_COLUMN_NOT_NULL | AXR_COLUMN_IDENTIFIER, .field = 5},
	{.name = "owner_uid", .json_name = "ownerUid", .type = AXR_COL_UUID,
	 .flags = AXR_COLUMN_NOT_NULL | AXR_COLUMN_OWNER, .field = 6},
	{.name = "quantity", .json_name = "quantity", .type = AXR_COL_BIGINT,
	 .flags = AXR_COLUMN_NOT_NULL | AXR_COLUMN_NON_NEGATIVE, .field = 7, .default_sql = "0"},
	{.name = "price", .json_name = "price", .type = AXR_COL_DOUBLE, .field = 8},
	{.name = "active", .json_name = "active", .type = AXR_COL_BOOLEAN, .field = 9},
	{.name = "expires_at", .json_name = "expiresAt", .type = AXR_COL_TIMESTAMPTZ, .field = 10},
	{.name = "birthday", .json_name = "birthday", .type = AXR_COL_DATE, .field = 11},
	{.name = "data", .json_name = "data", .type = AXR_COL_JSONB, .field = 12},
	{.name = "level", .json_name = "level", .type = AXR_COL_BIGINT, .field = 13},
	{.name = "sku", .json_name = "sku", .type = AXR_COL_TEXT, .flags = AXR_COLUMN_UNIQUE, .field = 14},
	{.name = "note", .json_name = "note", .type = AXR_COL_TEXT, .field = 15, .default_sql = "'none'"},
};

static const axr_entity_t fix_item = {
	.name = "Item",
	.table = "item",
	.columns = fix_item_columns,
	.n_columns = sizeof fix_item_columns / sizeof fix_item_columns[0],
	.message = &crudtest__item__descriptor,
	.owner_column = 5,
	.identifier_column = 4,
	.channel_columns = (const int[]){5},
	.n_channel_columns = 1,
};

static const axr_column_t fix_gadget_columns[] = {
	FIX_BASE_COLUMNS(),
	{.name = "label", .json_name = "label", .type = AXR_COL_TEXT, .field = 5},
	{.name = "weight", .json_name = "weight", .type = AXR_COL_BIGINT, .flags = AXR_COLUMN_INDEXED, .field = 6},
	{.name = "color", .json_name = "color", .type = AXR_COL_TEXT, .field = 7},
	{.name = "tags", .json_name = "tags", .type = AXR_COL_JSONB, .field = 8},
};

static const axr_entity_t fix_gadget = {
	.name = "Gadget",
	.table = "gadget",
	.columns = fix_gadget_columns,
	.n_columns = sizeof fix_gadget_columns / sizeof fix_gadget_columns[0],
	.message = &crudtest__gadget__descriptor,
	.owner_column = -1,
	.identifier_column = -1,
	.trusted_roles = (const char *const[]){"operator"},
	.n_trusted_roles = 1,
};

/* ---- callers ---------------------------------------------------------------- */

/* A request built by hand, as the server would hand it to a worker. */
typedef struct fix_caller {
	axr_request_t req;
	axr_jwt_claims_t claims;
	const char *roles[2];
	axr_http_header_t headers[4];
} fix_caller_t;

#define FIX_USER_A "aaaaaaaa-0000-4000-8000-000000000001"
#define FIX_USER_B "bbbbbbbb-0000-4000-8000-000000000002"
#define FIX_ADMIN "cccccccc-0000-4000-8000-000000000003"

/* `uid` NULL = anonymous; `role` NULL = no role. */
static inline void fix_caller_init(fix_caller_t *c, const char *uid, const char *role)
{
	memset(c, 0, sizeof *c);
	c->req.arena = axr_arena_new(0);
	c->req.user_uid = uid;
	if (uid != NULL) {
		c->claims.sub = uid;
		c->claims.profile.uid = uid;
		if (role != NULL) {
			c->roles[0] = role;
			c->claims.profile.roles = c->roles;
			c->claims.profile.nroles = 1;
		}
		c->req.auth = &c->claims;
	}
}

/* Forgets the previous call's answer and arena; sets the query string. */
static inline axr_request_t *fix_call(fix_caller_t *c, const char *query)
{
	axr_buf_free(&c->req.body_out);
	c->req.body_out = (axr_buf_t)AXR_BUF_INIT;
	axr_arena_reset(c->req.arena);
	c->req.headers_out = NULL;
	c->req.status = 0;
	c->req.error_reason = NULL;
	c->req.query = query;
	c->req.nheaders = 0;
	return &c->req;
}

static inline void fix_header(fix_caller_t *c, const char *name, const char *value)
{
	axr_http_header_t *h = &c->headers[c->req.nheaders++];
	*h = (axr_http_header_t){.name = name, .name_len = strlen(name), .value = value, .value_len = strlen(value)};
	c->req.headers = c->headers;
}

/* A response header set by the engine, or NULL. */
static inline const char *fix_response_header(const fix_caller_t *c, const char *name)
{
	for (const axr__header_out_t *h = c->req.headers_out; h; h = h->next)
		if (strcasecmp(h->name, name) == 0)
			return h->value;
	return NULL;
}

/* The error body as a NUL-terminated string ("" when none). */
static inline const char *fix_body(fix_caller_t *c)
{
	axr_buf_putc(&c->req.body_out, '\0');
	c->req.body_out.len--;
	return c->req.body_out.data ? c->req.body_out.data : "";
}

static inline void fix_caller_free(fix_caller_t *c)
{
	axr_buf_free(&c->req.body_out);
	axr_arena_free(c->req.arena);
	memset(c, 0, sizeof *c);
}

/* ---- private databases -------------------------------------------------------- */

typedef struct fix_db {
	axr_test_server_t own;  /* started when AXR_TEST_DATABASE_URL is unset */
	const char *admin_url;  /* the server's maintenance database */
	char name[64];          /* our database */
	char url[512];
} fix_db_t;

/* `admin_url` with its database replaced by `db`. */
static inline void fix_db_url(const char *admin_url, const char *db, char *out, size_t cap)
{
	const char *scheme = strstr(admin_url, "://");
	if (scheme == NULL) { /* key=value form: a later dbname wins */
		snprintf(out, cap, "%s dbname=%s", admin_url, db);
		return;
	}
	const char *slash = strchr(scheme + 3, '/');
	const char *query = strchr(scheme + 3, '?');
	if (slash == NULL || (query && slash > query))
		slash = query ? query : admin_url + strlen(admin_url);
	const char *rest = query ? query : "";
	snprintf(out, cap, "%.*s/%s%s", (int)(slash - admin_url), admin_url, db, rest);
}

static inline int fix_admin_exec(const char *url, const char *sql)
{
	axr_db_t *db = NULL;
	int rc = axr_db_new(url, NULL, &db);
	if (rc == 0)
		rc = axr_db_exec(db, NULL, sql, 0, NULL, NULL, NULL, NULL);
	if (rc != 0)
		fprintf(stderr, "%s: %s\n", sql, db ? axr_db_last_error(db)->message : axr_strerror(rc));
	axr_db_free(db);
	return rc;
}

/* Creates a fresh database named after `tag` and the pid. 0 or -1. */
static inline int fix_db_create(fix_db_t *d, const char *tag)
{
	char sql[160];
	memset(d, 0, sizeof *d);
	d->admin_url = axr_test_shared_url("AXR_TEST_DATABASE_URL", &d->own, true);
	if (d->admin_url == NULL)
		return -1;
	snprintf(d->name, sizeof d->name, "axr_t_%s_%ld", tag, (long)getpid());
	fix_db_url(d->admin_url, d->name, d->url, sizeof d->url);
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", d->name);
	if (fix_admin_exec(d->admin_url, sql) != 0)
		return -1;
	snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'",
	         d->name);
	return fix_admin_exec(d->admin_url, sql) == 0 ? 0 : -1;
}

static inline void fix_db_destroy(fix_db_t *d)
{
	char sql[160];
	if (d->admin_url && d->name[0]) {
		snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", d->name);
		fix_admin_exec(d->admin_url, sql);
	}
	axr_test_server_destroy(&d->own);
	memset(d, 0, sizeof *d);
}

/* Runs `sql` on `db`; fails the test with the server's message. */
#define fix_sql(db, sql)                                                                            \
	do {                                                                                            \
		int rc_ = axr_db_exec((db), NULL, (sql), 0, NULL, NULL, NULL, NULL);                        \
		if (rc_ != 0)                                                                               \
			print_error("%s -> %s: %s\n", (sql), axr_errname(rc_), axr_db_last_error(db)->message); \
		assert_int_equal(rc_, 0);                                                                   \
	} while (0)

/* One int64 from a query. */
static inline int64_t fix_scalar(axr_db_t *db, const char *sql)
{
	axr_db_result_t *r = NULL;
	int64_t v = -1;
	if (axr_db_exec(db, NULL, sql, 0, NULL, NULL, NULL, &r) == 0)
		axr_db_result_int64(r, 0, 0, &v);
	else
		fprintf(stderr, "%s: %s\n", sql, axr_db_last_error(db)->message);
	axr_db_result_free(r);
	return v;
}

#endif
