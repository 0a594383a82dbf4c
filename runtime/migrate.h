/* migrate.h: start-up migrations: hand-written files, then the schema the entities describe, once, under a lock. */
#ifndef AXR_MIGRATE_H
#define AXR_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "db.h"
#include "entity.h"

/*
 * A service brings its database to its spec when it starts:
 *
 *   1. In ONE transaction holding a transaction-level advisory lock (so
 *      replicas starting together run it one after the other), and with
 *      the record table `axr_migrations (id, checksum, applied_at,
 *      statements)` created if missing:
 *   2. every hand-written file `migrations/<service>/NNN_name.sql` not yet
 *      recorded runs, in NNN order, and is recorded (id = file name,
 *      checksum = SHA-256 of its bytes). A recorded file whose bytes changed
 *      stops start-up: applied migrations are never edited, a new one is
 *      added instead;
 *   3. the generated step: when the schema checksum (SHA-256 of the DDL the
 *      entities describe, axr_migrate_schema_sql) is already the last one
 *      recorded and no file ran now, nothing else happens (a second start
 *      is a no-op). Otherwise the live tables are read from pg_catalog and
 *      compared with the entities: missing tables, columns, indexes
 *      (CREATE [UNIQUE] INDEX IF NOT EXISTS) and CHECK (col >= 0)
 *      constraints are created, NOT NULL is dropped where the spec made a
 *      property optional and set where it made one required (when no row
 *      is NULL), missing defaults are set; then the checksum is recorded.
 *   4. Anything that would lose or reject data stops start-up, the whole
 *      transaction is rolled back (hand-written files included), and the
 *      report names every table and column concerned and the file to
 *      write: a column the spec no longer has (drop), a type change, a new
 *      NOT NULL column without default on a table with rows, a column made
 *      required that holds NULLs. A change that fails when run (a unique
 *      index over duplicates, a CHECK the rows violate) stops it the same
 *      way, with the server's message.
 *
 * Tables the entities do not name (and axr_migrations) are left alone, and
 * so are extra indexes and constraints. Hand-written files may contain
 * several statements (split on top-level ';', quotes, dollar quotes and
 * comments understood) but none that cannot run inside a transaction
 * (CREATE INDEX CONCURRENTLY, VACUUM).
 */

typedef struct axr_migrate_options {
	const char *service;    /* required, [a-z0-9_-]+: the lock key and the default folder */
	const char *dir;        /* hand-written files; NULL = "migrations/<service>" (relative to
	                         * the working directory); a folder that does not exist holds none */
	const axr_entity_t *const *entities;
	size_t n_entities;
	long lock_wait_ms;      /* longest wait for another replica's migration (default 120000) */
} axr_migrate_options_t;

typedef struct axr_migrate_report {
	bool noop;              /* nothing was changed or recorded */
	int files_applied;      /* hand-written files run by this start */
	int statements;         /* generated DDL statements run by this start */
	char checksum[65];      /* the schema checksum (hex) */
	char message[4096];     /* why start-up must stop; "" on success */
} axr_migrate_report_t;

/*
 * Runs the steps above on `db`. Long DDL and the lock wait need long
 * timeouts: use a handle made with statement_timeout_ms = 0 and an
 * io_timeout_ms above lock_wait_ms (axr_migrate_url does), not a worker's.
 * Returns 0 (report filled); AXR_ECONFIG when start-up must stop (bad
 * options or entity tables, a destructive difference, a changed or
 * misnamed hand-written file, a statement that failed: report->message
 * says which and what to do); AXR_ETIMEOUT when another replica held the
 * lock longer than lock_wait_ms; AXR_EUNAVAILABLE and the other
 * axr_db_exec codes for the database itself; AXR_EIO when the folder
 * cannot be read; AXR_ENOMEM. `report` must not be NULL.
 */
int axr_migrate_run(axr_db_t *db, const axr_migrate_options_t *opt, axr_migrate_report_t *report);

/* axr_migrate_run on a connection of its own to `url`, with the timeouts
 * it needs; the connection is closed before it returns. */
int axr_migrate_url(const char *url, const axr_migrate_options_t *opt, axr_migrate_report_t *report);

/*
 * Appends the DDL of a fresh database for `entities` (CREATE TABLE IF NOT
 * EXISTS, then CREATE INDEX IF NOT EXISTS, tables sorted by name, each
 * statement ending with ";\n") to `out`: what the schema checksum is taken
 * of, and what `axrgen` can show. Returns 0, AXR_ECONFIG (errbuf says why:
 * a table fails axr_entity_check or two entities share a table), AXR_ENOMEM.
 */
int axr_migrate_schema_sql(const axr_entity_t *const *entities, size_t n, axr_buf_t *out, char *errbuf,
                           size_t size);

/*
 * Splits `len` bytes of SQL into statements at top-level semicolons,
 * skipping empty and comment-only ones, and calls fn(stmt, stmt_len, ctx)
 * for each (not NUL-terminated; without the ';'). Quotes ('..', E'..',
 * "..") dollar quotes ($tag$..$tag$) and comments (-- and nested block comments) are
 * understood. Returns 0; AXR_EPARSE when a quote or comment is not closed
 * (fn has been called for the statements before it); or fn's non-zero
 * return, which stops the split.
 */
int axr_migrate_split_sql(const char *sql, size_t len, int (*fn)(const char *stmt, size_t len, void *ctx),
                          void *ctx);

#endif
