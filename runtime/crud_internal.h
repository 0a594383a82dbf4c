/* crud_internal.h: the per-entity statement cache shared by crud.c and crud_stmt.c. */
#ifndef AXR_CRUD_INTERNAL_H
#define AXR_CRUD_INTERNAL_H

#include "crud.h"
#include "row.h"

/* Fixed statements of one entity. Each exists by uid and by identifier
 * (when the entity has one), and without and with the owner condition
 * (when it has an owner column). */
enum axr__crud_kind {
	AXR__CRUD_GET,     /* SELECT <row> WHERE key = $1 [AND owner = $2] */
	AXR__CRUD_UPDATE,  /* UPDATE SET <writable> ... WHERE key = $1 AND version = $2
	                    * [AND owner = $n] RETURNING <row>; $3.. the writable columns */
	AXR__CRUD_DELETE,  /* DELETE WHERE key = $1 AND ($2 IS NULL OR version = $2)
	                    * [AND owner = $3] RETURNING <row> */
	AXR__CRUD_VERSION, /* SELECT version WHERE key = $1 [AND owner = $2] */
};

#define AXR__CRUD_SLOT(kind, by_ident, owned) ((kind) * 4 + (by_ident) * 2 + (owned))
#define AXR__CRUD_INSERT 16 /* INSERT ... VALUES (server values, $1.. writable) RETURNING <row> */
#define AXR__CRUD_NSTMT 17

typedef struct axr__crud_stmt {
	char *name; /* "axr:<table>:get:ident:own"; NULL when the variant does not exist */
	char *sql;
	int nparams;
} axr__crud_stmt_t;

typedef struct axr__crud_entry {
	const axr_entity_t *e;
	struct axr__crud_entry *next;
	char *select_list;      /* the row's columns, formatted (row.h) */
	int *write_cols;        /* columns bound by INSERT/UPDATE, in parameter order */
	size_t n_write;
	int owner_write;        /* position of the owner column in write_cols, -1 */
	int version_col;
	axr_row_index_t *indexes;
	size_t n_indexes;
	axr__crud_stmt_t stmt[AXR__CRUD_NSTMT];
} axr__crud_entry_t;

/* The entry of `e`, built on first use (thread-safe, lock-free lookup).
 * 0 and *out; AXR_ECONFIG (errbuf says why) or AXR_ENOMEM. */
int axr__crud_entry(const axr_entity_t *e, axr__crud_entry_t **out, char *errbuf, size_t size);

/* The answer to statement error `rc` described by `de` (the database's
 * own error, or a failure of the connection): what every operation answers
 * when the database refuses or fails it. Returns rc, or the code answered. */
int axr__crud_db_answer(axr_request_t *req, const axr_entity_t *e, int rc, const axr_db_error_t *de);

/* GET /x/{id} in two halves, so that the statement can run elsewhere (on
 * the I/O thread's pipelined connection, crud_direct.c) than where the
 * request is checked and answered. */
typedef struct axr__crud_get {
	axr__crud_entry_t *en;
	const axr__crud_stmt_t *stmt; /* the statement to run with `values` */
	const char *values[2];        /* key, owner (NULL when not owned) */
} axr__crud_get_t;

/* The checks of axr_crud_get() before the database (ownership scope, key
 * kind): 0 and *plan, or a negative code after setting the error answer. */
int axr__crud_get_begin(axr_request_t *req, const axr_entity_t *e, const char *id, axr__crud_get_t *plan);

/* The answer of axr_crud_get() from the statement's result `r` (not
 * freed): 404 when it holds no row, else the row in out->row and its ETag. */
int axr__crud_get_end(axr_request_t *req, const axr__crud_get_t *plan, axr_db_result_t *r,
                      axr_crud_result_t *out);

#endif
