/* schema.c: the account service's tables at start-up until the generated migrations run: the entity tables, then migrations/account/. */
#include <stddef.h>

#include "err.h"
#include "log.h"
#include "migrate.h"

#include "account_internal.h"

/*
 * INTERIM: the entity tables as the DB mapping (docs/model-mapping.md) of
 * spec/account.yaml gives them, column for column and index for index
 * (<table>_<column>_key for x-unique / x-identifier), defaults included, so
 * that the generated migration (axr_migrate_run with account_entities)
 * finds nothing to change (checked against axrgen's output: 0 statements).
 * Delete this list, and account_schema_apply with it, once the service's
 * generated main runs the migrations with the entities.
 */
static const char *const account__entity_tables[] = {
	"CREATE TABLE IF NOT EXISTS \"user\" ("
	" uid uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
	" date_created timestamptz NOT NULL DEFAULT now(),"
	" date_modified timestamptz NOT NULL DEFAULT now(),"
	" version bigint NOT NULL DEFAULT 0,"
	" name text NOT NULL,"
	" email text,"
	" given_name text,"
	" family_name text,"
	" locale text,"
	" roles jsonb DEFAULT '[]'::jsonb,"
	" verified jsonb,"
	" guest boolean DEFAULT false,"
	" last_login timestamptz)",
	"CREATE UNIQUE INDEX IF NOT EXISTS user_name_key ON \"user\" (name)",
	"CREATE UNIQUE INDEX IF NOT EXISTS user_email_key ON \"user\" (email)",

	"CREATE TABLE IF NOT EXISTS \"role\" ("
	" uid uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
	" date_created timestamptz NOT NULL DEFAULT now(),"
	" date_modified timestamptz NOT NULL DEFAULT now(),"
	" version bigint NOT NULL DEFAULT 0,"
	" name text NOT NULL,"
	" title text,"
	" description text)",
	"CREATE UNIQUE INDEX IF NOT EXISTS role_name_key ON \"role\" (name)",
};

static int account__entity_tx(axr_db_t *db, void *ctx)
{
	(void)ctx;
	/* Concurrent CREATE ... IF NOT EXISTS can still collide in the
	 * catalog (23505 on pg_type): replicas take turns. */
	int rc = account__exec(db, NULL, "SELECT pg_advisory_xact_lock(hashtext('axr:account:schema'))", 0, NULL, NULL);
	for (size_t i = 0; rc == 0 && i < sizeof account__entity_tables / sizeof account__entity_tables[0]; i++)
		rc = account__exec(db, NULL, account__entity_tables[i], 0, NULL, NULL);
	return rc;
}

int account_schema_apply(axr_db_t *db, const char *dir)
{
	axr_migrate_options_t mo = {.service = "account", .dir = dir, .lock_wait_ms = 4000};
	axr_migrate_report_t report;
	int rc = axr_db_tx_run(db, AXR_DB_READ_COMMITTED, account__entity_tx, NULL, 2);

	if (rc != 0)
		return rc;
	/* The hand-written tables: the very files the generated start-up runs. */
	rc = axr_migrate_run(db, &mo, &report);
	if (rc != 0)
		axr_log_error("account: migrations: %s", report.message[0] ? report.message : axr_strerror(rc));
	return rc;
}
