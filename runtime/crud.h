/* crud.h: the generic CRUD engine behind generated x-schema routes: list, count, create, get, update, delete, truncate. */
#ifndef AXR_CRUD_H
#define AXR_CRUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "db.h"
#include "entity.h"
#include "query.h"
#include "request.h"

/*
 * One generic engine runs every generated CRUD operation of every entity,
 * walking its axr_entity_t (entity.h). It is plain synchronous C on a
 * worker: it needs a request (arena, query string, headers, caller) and the
 * worker's database handle, and never touches the HTTP server, so tests and
 * handlers can call it directly.
 *
 * A generated CRUD wrapper is three lines:
 *
 *     int shop_item_get(axr_request_t *req) {
 *         const Shop__GetItemInput *in = req->input;
 *         axr_crud_result_t res;
 *         int rc = axr_crud_run(req, req->worker->db, &shop_item_entity, AXR_CRUD_GET,
 *                               in->id, NULL, &res);
 *         return axr_op_respond(req, rc, res.row);
 *     }
 *
 * (LIST answers axr_crud_list_message(), COUNT and DELETE answer no body.)
 *
 * Contract of every operation below:
 *   - On success it returns 0, fills *out (everything in req->arena), sets
 *     the response headers it owns (ETag: "<version>" for one row,
 *     X-Total-Count for COUNT) but not the status or the body.
 *   - On failure it returns a negative code AND has already set the JSON
 *     error response (axr_response_error) with the status of the code and,
 *     where one exists, the offending field: 400 with "/query/<name>" paths
 *     for a bad query, 409 naming the property of a unique violation,
 *     409 for a stale version, 404 for a missing or foreign row, 403, 401,
 *     503 when the database is unavailable (the runtime adds Retry-After),
 *     500 for anything else (e.g. a stored jsonb value that no longer fits
 *     its field). No
 *     SQL text or server message reaches the client; req->error_reason
 *     gets the detail for the log.
 *   - Writes are single statements, committed when they return; after a
 *     successful write, axr_crud_on_change (if set) is called. Called
 *     inside an axr_db_tx_run() transaction, the hook runs before the
 *     commit: such callers publish themselves.
 *
 * Ownership (x-axr-owner: entity->owner_column >= 0): a caller without one
 * of entity->trusted_roles ("admin" by default) only lists, counts, reads,
 * updates and deletes rows whose owner column equals its uid, and the
 * condition is part of the SQL. Another user's row is a 404, never a 403.
 * Creating a row owned by someone else is a 403; an absent owner defaults
 * to the caller. An anonymous caller on an owned entity gets 401.
 * Entities without an owner column are not filtered (the router's roles
 * decide who may call the operation at all).
 */

/* What an operation produced. */
typedef struct axr_crud_result {
	ProtobufCMessage *row;    /* GET, CREATE, UPDATE: the row; DELETE: the deleted row */
	ProtobufCMessage **rows;  /* LIST: n_rows rows in order */
	size_t n_rows;
	int64_t count;            /* COUNT: matching rows; TRUNCATE: rows deleted */
	int64_t version;          /* version of `row` (its ETag), 0 otherwise */
} axr_crud_result_t;

/* Actions passed to axr_crud_on_change. */
enum axr_crud_action {
	AXR_CRUD_ACTION_CREATE = 1,
	AXR_CRUD_ACTION_UPDATE = 2,
	AXR_CRUD_ACTION_DELETE = 3,
	AXR_CRUD_ACTION_TRUNCATE = 4, /* row is NULL */
};

typedef void (*axr_crud_change_fn)(axr_request_t *req, const axr_entity_t *e, int action,
                                   const ProtobufCMessage *row);

/* Called after every successful write (the push issue publishes from it);
 * NULL (the default) does nothing. Set it once at start-up, before workers
 * run. `row` lives in the request arena. */
extern axr_crud_change_fn axr_crud_on_change;

/*
 * Runs operation `kind` of entity `e` for `req` on `db`:
 *   AXR_CRUD_LIST      the query language (query.h) over e's columns
 *   AXR_CRUD_COUNT     the same filters; X-Total-Count; no paging
 *   AXR_CRUD_CREATE    `body` (an e->message, already validated): the server
 *                      assigns uid, dateCreated = dateModified = now, version 0;
 *                      read-only properties in `body` are ignored; absent
 *                      properties take the column's default
 *   AXR_CRUD_GET       `id` is a uid (when it looks like a uuid) or the value
 *                      of the x-identifier column
 *   AXR_CRUD_UPDATE    full replacement of the writable properties by `body`;
 *                      needs the current version: If-Match: "<n>", else
 *                      body.version, else ?version=; stale -> 409; success
 *                      increments version and sets dateModified
 *   AXR_CRUD_DELETE    by uid or identifier; If-Match or ?version= is
 *                      checked when given
 *   AXR_CRUD_TRUNCATE  trusted roles only (else 403): deletes every row, or
 *                      the rows matching the query's filters
 * `id` is only read by GET/UPDATE/DELETE, `body` by CREATE/UPDATE.
 * Returns as described above; AXR_EINVAL for a NULL argument or an unknown
 * kind; AXR_ECONFIG when `e` fails axr_entity_check() (500).
 */
int axr_crud_run(axr_request_t *req, axr_db_t *db, const axr_entity_t *e, axr_crud_kind_t kind,
                 const char *id, const ProtobufCMessage *body, axr_crud_result_t *out);

/* The same operations one by one. `qopt` (may be NULL) names declared query
 * parameters that are not filters. */
int axr_crud_list(axr_request_t *req, axr_db_t *db, const axr_entity_t *e,
                  const axr_query_options_t *qopt, axr_crud_result_t *out);
int axr_crud_count(axr_request_t *req, axr_db_t *db, const axr_entity_t *e,
                   const axr_query_options_t *qopt, axr_crud_result_t *out);
int axr_crud_create(axr_request_t *req, axr_db_t *db, const axr_entity_t *e,
                    const ProtobufCMessage *body, axr_crud_result_t *out);
int axr_crud_get(axr_request_t *req, axr_db_t *db, const axr_entity_t *e, const char *id,
                 axr_crud_result_t *out);
int axr_crud_update(axr_request_t *req, axr_db_t *db, const axr_entity_t *e, const char *id,
                    const ProtobufCMessage *body, axr_crud_result_t *out);
int axr_crud_delete(axr_request_t *req, axr_db_t *db, const axr_entity_t *e, const char *id,
                    axr_crud_result_t *out);
int axr_crud_truncate(axr_request_t *req, axr_db_t *db, const axr_entity_t *e,
                      const axr_query_options_t *qopt, axr_crud_result_t *out);

/*
 * True when the caller bypasses ownership: its token carries one of
 * e->trusted_roles (axr_request_has_role, auth.h), or "admin" when the
 * entity names none (trusted_roles == NULL). Anonymous callers are never
 * trusted.
 */
bool axr_crud_caller_trusted(const axr_request_t *req, const axr_entity_t *e);

/*
 * Wraps LIST rows into the operation's list message `list_desc` (a
 * `<Schema>List { repeated <Schema> items = 1; }`), allocated in `arena`;
 * the rows are shared, not copied. Returns 0 and *out; AXR_EINVAL when
 * field 1 of `list_desc` is not a repeated message; AXR_ENOMEM.
 */
int axr_crud_list_message(const ProtobufCMessageDescriptor *list_desc, const axr_crud_result_t *res,
                          axr_arena_t *arena, ProtobufCMessage **out);

/*
 * Checks `e` (axr_entity_check) and builds its fixed statements (insert,
 * select/update/delete by uid or identifier, with and without the owner
 * condition) once for the process; later calls are a lookup. Services call
 * it at start-up so a broken table stops them there. Thread-safe. Returns 0,
 * AXR_ECONFIG (errbuf says why), AXR_ENOMEM.
 */
int axr_crud_prepare(const axr_entity_t *e, char *errbuf, size_t size);

/*
 * Registers e's fixed statements on `db` (axr_db_prepare; named
 * "axr:<table>:<op>[:ident][:own]"), so a worker can do it at start instead
 * of on first use. Each is prepared on the server once per connection.
 * Returns 0 or the axr_crud_prepare / axr_db_prepare error.
 */
int axr_crud_db_prepare(axr_db_t *db, const axr_entity_t *e);

/* Frees the statements built by axr_crud_prepare. Only when no request
 * runs (process exit, tests). */
void axr_crud_cache_free(void);

/*
 * Names the properties behind a violated unique constraint (as reported in
 * axr_db_last_error()->constraint): the index of e->indexes with that name,
 * or the implicit ones (<table>_pkey, <table>_<column>_key for x-unique and
 * x-identifier columns). Fills up to `max` column indexes into cols and
 * returns how many (0 when the name is unknown).
 */
size_t axr_crud_constraint_columns(const axr_entity_t *e, const char *constraint, int *cols, size_t max);

#endif
