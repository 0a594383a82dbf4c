/* ledger_schema.h: the start-up check that the tables the ledger's hand-written SQL uses are as it expects. */
#ifndef AXR_ECONOMY_LEDGER_SCHEMA_H
#define AXR_ECONOMY_LEDGER_SCHEMA_H

#include <stddef.h>

#include "db.h"

/*
 * The entity tables (resource, inventory_item, transaction) are generated
 * from spec/economy.yaml by axrgen's DB mapping. The ledger needs two more
 * that no entity describes, created by migrations/economy/001_ledger.sql:
 *
 *   ledger_entry     append-only (a trigger refuses UPDATE and DELETE): one
 *                    row per (transaction, owner, resource) that moved, with
 *                    the signed delta and the balance after it; `id` orders
 *                    entries as they were written.
 *   idempotency_key  one row per (caller, key): the request's hash and the
 *                    answer given (status and transaction snapshot).
 *
 * The hand-written SQL of handlers/economy uses columns of all five.
 */

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
