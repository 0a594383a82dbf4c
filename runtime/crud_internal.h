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

#endif
