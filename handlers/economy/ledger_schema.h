/* ledger_schema.h: the economy's hand-written tables (ledger, idempotency keys) and a check of the generated ones it writes. */
#ifndef AXR_ECONOMY_LEDGER_SCHEMA_H
#define AXR_ECONOMY_LEDGER_SCHEMA_H

#include <stddef.h>

#include "db.h"

/*
 * The entity tables (resource, inventory_item, transaction) are generated
 * from spec/economy.yaml by axrgen's DB mapping. The ledger needs two more
 * that no entity describes:
 *
 *   ledger_entry     append-only (a trigger refuses UPDATE and DELETE): one
 *                    row per (transaction, owner, resource) that moved, with
 *                    the signed delta and the balance after it; `id` orders
 *                    entries as they were written.
 *   idempotency_key  one row per (caller, key): the request's hash and the
 *                    answer given (status and transaction snapshot).
 *
 * economy_schema_ddl lists their statements (each idempotent: IF NOT
 * EXISTS / OR REPLACE), in order, without trailing semicolons; a migration
 * file for the migration engine is the same statements joined with ";\n".
 */
extern const char *const economy_schema_ddl[];
extern const size_t economy_schema_ddl_count;

/*
 * Runs economy_schema_ddl in one SQL transaction under an advisory lock (so
 * replicas starting together do it one after the other). Safe to run at
 * every start. Returns 0 or the axr_db_exec / axr_db_tx_run code.
 */
int economy_schema_apply(axr_db_t *db);

/*
 * Checks that the database has every table and column the hand-written SQL
 * uses, with the types it expects (the contract between spec/economy.yaml,
 * the generated tables and handlers/economy), and the unique index on
 * inventory_item (owner_uid, resource_uid). Returns 0; AXR_ECONFIG with
 * every missing or mistyped column named in `errbuf` (when not NULL); the
 * axr_db_exec codes.
 */
int economy_schema_check(axr_db_t *db, char *errbuf, size_t size);

#endif
