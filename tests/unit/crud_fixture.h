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
#include "tests/unit/fresh_db.h"

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

/* Private databases: tests/unit/fresh_db.h (axr_test_db_create/destroy, axr_test_sql, axr_test_db_scalar). */

#endif
