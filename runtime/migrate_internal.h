/* migrate_internal.h: what migrate.c, migrate_schema.c and migrate_files.c share. */
#ifndef AXR_MIGRATE_INTERNAL_H
#define AXR_MIGRATE_INTERNAL_H

#include "arena.h"
#include "migrate.h"

/* What the generated step would do to the live database. */
typedef struct axr__mig_plan {
	axr_arena_t *arena;
	const char **stmts;   /* DDL to run, in order */
	size_t n_stmts, cap_stmts;
	axr_buf_t problems;   /* one "  - ...\n" line per destructive difference */
	size_t n_problems;
	const char *example;  /* a statement the hand-written file could hold, or NULL */
} axr__mig_plan_t;

/* Entities checked (axr_entity_check, distinct tables) and sorted by table
 * into *out (arena). 0 or AXR_ECONFIG (errbuf) or AXR_ENOMEM. */
int axr__mig_sorted(const axr_entity_t *const *entities, size_t n, axr_arena_t *arena,
                    const axr_entity_t ***out, char *errbuf, size_t size);

/* The desired DDL of sorted entities (see axr_migrate_schema_sql). */
void axr__mig_schema_sql(const axr_entity_t *const *sorted, size_t n, axr_buf_t *out);

/* Reads the live tables of the sorted entities and fills `plan`. Returns 0
 * or the code of a failed catalog query (AXR_ENOMEM). */
int axr__mig_diff(axr_db_t *db, const axr_entity_t *const *sorted, size_t n, axr__mig_plan_t *plan);

/* One hand-written migration file. */
typedef struct axr__mig_file {
	const char *name;     /* "003_split_name.sql" */
	long number;          /* 3 */
	const char *sql;      /* its bytes (NUL-terminated copy) */
	size_t len;
	char checksum[65];    /* SHA-256, hex */
} axr__mig_file_t;

/* The files of `dir` sorted by number (arena). A missing folder holds
 * none. Returns 0; AXR_ECONFIG (msg: a .sql file not named NNN_name.sql,
 * two files with one number, a file too large); AXR_EIO; AXR_ENOMEM. */
int axr__mig_files(const char *dir, axr_arena_t *arena, axr__mig_file_t **out, size_t *n, char *msg,
                   size_t size);

/* SHA-256 of `len` bytes as 64 hex digits and a NUL. */
void axr__mig_sha256_hex(const void *data, size_t len, char out[65]);

#endif
