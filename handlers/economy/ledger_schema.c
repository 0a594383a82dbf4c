/* ledger_schema.c: the check of the tables (generated and migrated) the ledger's hand-written SQL uses. */
#include "ledger_schema.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "err.h"

/* What the hand-written SQL needs: table, column, type (information_schema's data_type). */
static const struct {
	const char *table, *column, *type;
} economy__columns[] = {
	{"resource", "uid", "uuid"},
	{"resource", "name", "text"},
	{"resource", "stackable", "boolean"},
	{"resource", "max_quantity", "bigint"},
	{"resource", "cost", "jsonb"},
	{"inventory_item", "uid", "uuid"},
	{"inventory_item", "date_created", "timestamp with time zone"},
	{"inventory_item", "date_modified", "timestamp with time zone"},
	{"inventory_item", "version", "bigint"},
	{"inventory_item", "owner_uid", "uuid"},
	{"inventory_item", "resource_uid", "uuid"},
	{"inventory_item", "quantity", "bigint"},
	{"transaction", "uid", "uuid"},
	{"transaction", "date_created", "timestamp with time zone"},
	{"transaction", "date_modified", "timestamp with time zone"},
	{"transaction", "version", "bigint"},
	{"transaction", "kind", "text"},
	{"transaction", "from", "uuid"},
	{"transaction", "to", "uuid"},
	{"transaction", "resources", "jsonb"},
	{"transaction", "status", "text"},
	{"transaction", "approval", "jsonb"},
	{"transaction", "failure_code", "text"},
	{"transaction", "failure_reason", "text"},
	{"transaction", "created_by", "uuid"},
	{"ledger_entry", "id", "bigint"},
	{"ledger_entry", "transaction_uid", "uuid"},
	{"ledger_entry", "owner_uid", "uuid"},
	{"ledger_entry", "resource_uid", "uuid"},
	{"ledger_entry", "delta", "bigint"},
	{"ledger_entry", "balance_after", "bigint"},
	{"idempotency_key", "caller_uid", "uuid"},
	{"idempotency_key", "idem_key", "text"},
	{"idempotency_key", "request_hash", "text"},
	{"idempotency_key", "response_status", "integer"},
	{"idempotency_key", "response_body", "text"},
};

static const char economy__sql_columns[] =
	"SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns"
	" WHERE table_schema = current_schema()"
	" AND table_name IN ('resource', 'inventory_item', 'transaction', 'ledger_entry', 'idempotency_key')";

static const char economy__sql_owner_key[] =
	"SELECT count(*) FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid"
	" WHERE c.relname = 'inventory_item' AND c.relnamespace = current_schema()::regnamespace"
	" AND x.indisunique AND x.indpred IS NULL AND x.indnkeyatts = 2"
	" AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text) FROM pg_attribute a"
	" WHERE a.attrelid = c.oid AND a.attnum = ANY (x.indkey::int2[])) = ARRAY['owner_uid', 'resource_uid']";

int economy_schema_check(axr_db_t *db, char *errbuf, size_t size)
{
	axr_db_result_t *r = NULL;
	axr_buf_t why = AXR_BUF_INIT;
	int64_t keys = 0;
	int rc;

	if (errbuf != NULL && size > 0)
		errbuf[0] = '\0';
	rc = axr_db_exec(db, NULL, economy__sql_columns, 0, NULL, NULL, NULL, &r);
	if (rc != 0)
		goto fail;
	for (size_t i = 0; i < sizeof economy__columns / sizeof economy__columns[0]; i++) {
		const char *found = NULL;
		for (int row = 0; row < axr_db_result_rows(r) && found == NULL; row++)
			if (strcmp(axr_db_result_text(r, row, 0, NULL), economy__columns[i].table) == 0 &&
			    strcmp(axr_db_result_text(r, row, 1, NULL), economy__columns[i].column) == 0)
				found = axr_db_result_text(r, row, 2, NULL);
		if (found == NULL)
			axr_buf_printf(&why, "%smissing column %s.%s (%s)", why.len ? "; " : "", economy__columns[i].table,
			               economy__columns[i].column, economy__columns[i].type);
		else if (strcmp(found, economy__columns[i].type) != 0)
			axr_buf_printf(&why, "%scolumn %s.%s is %s, not %s", why.len ? "; " : "", economy__columns[i].table,
			               economy__columns[i].column, found, economy__columns[i].type);
	}
	axr_db_result_free(r);
	r = NULL;
	rc = axr_db_exec(db, NULL, economy__sql_owner_key, 0, NULL, NULL, NULL, &r);
	if (rc != 0)
		goto fail;
	if (axr_db_result_int64(r, 0, 0, &keys) != 0 || keys < 1)
		axr_buf_printf(&why, "%sno unique index on inventory_item (owner_uid, resource_uid)",
		               why.len ? "; " : "");
	if (!axr_buf_ok(&why))
		rc = AXR_ENOMEM;
	else if (why.len > 0)
		rc = AXR_ECONFIG;
	if (rc == AXR_ECONFIG && errbuf != NULL && size > 0)
		snprintf(errbuf, size, "%.*s", (int)why.len, why.data);
fail:
	axr_db_result_free(r);
	axr_buf_free(&why);
	return rc;
}
