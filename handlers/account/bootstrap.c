/* bootstrap.c: the admin account from AXR_ADMIN_NAME / AXR_ADMIN_PASSWORD, created once, whatever the number of replicas. */
#include <string.h>

#include "err.h"
#include "log.h"

#include "account_internal.h"

typedef struct account__bootstrap_tx {
	account_t *acc;
	const char *hash; /* of the admin password; NULL on the first look */
	axr_arena_t *arena;
	bool exists;      /* a user has the admin's name */
	bool is_admin;    /* ... and holds the admin role */
	bool created;
} account__bootstrap_tx_t;

/* Does a user have that name, and is it an admin? */
static int account__admin_lookup(axr_db_t *db, account__bootstrap_tx_t *tx)
{
	static const char sql[] = "SELECT coalesce(roles, '[]'::jsonb) ? 'admin' FROM " ACCOUNT_USER_TABLE
	                          " WHERE lower(name) = lower($1)";
	axr_db_result_t *r = NULL;
	int rc = account__exec(db, "account:admin:find", sql, 1, &tx->acc->cfg.admin_name, &r);

	tx->exists = tx->is_admin = false;
	if (rc == 0 && axr_db_result_rows(r) == 1) {
		tx->exists = true;
		rc = axr_db_result_bool(r, 0, 0, &tx->is_admin) == 0 ? 0 : AXR_EINTERNAL;
	}
	axr_db_result_free(r);
	return rc;
}

/* The role row "admin" (the generated /roles CRUD lists it). */
static int account__admin_role(account_t *acc, axr_db_t *db, axr_arena_t *arena)
{
	static const char sql[] =
	    "INSERT INTO " ACCOUNT_ROLE_TABLE " (uid, date_created, date_modified, version, name, title, description)"
	    " VALUES (gen_random_uuid(), $1::timestamptz, $1::timestamptz, 0, 'admin', 'Administrator',"
	    " 'Trusted everywhere: bypasses row ownership') ON CONFLICT (name) DO NOTHING";
	const char *now = account__ts(arena, account_now(acc));
	return now ? account__exec(db, "account:admin:role", sql, 1, &now, NULL) : AXR_ENOMEM;
}

static int account__bootstrap_body(axr_db_t *db, void *ctx)
{
	static const char *const admin_roles[] = {"admin"};
	account__bootstrap_tx_t *tx = ctx;
	account_user_t user;
	int rc;

	tx->created = false;
	/* Replicas starting together queue here; the first creates, the
	 * others find the row once it has committed. */
	if ((rc = account__exec(db, NULL, "SELECT pg_advisory_xact_lock(hashtext('axr:account:admin'))", 0, NULL,
	                        NULL)) != 0 ||
	    (rc = account__admin_lookup(db, tx)) != 0 || (rc = account__admin_role(tx->acc, db, tx->arena)) != 0)
		return rc;
	if (tx->exists)
		return 0;
	account__new_user_t nu = {.name = tx->acc->cfg.admin_name, .roles = admin_roles, .nroles = 1};
	if ((rc = account__user_insert(tx->acc, db, tx->arena, &nu, &user, NULL)) != 0 ||
	    (rc = account__password_store(tx->acc, db, tx->arena, user.uid, tx->hash)) != 0)
		return rc;
	tx->created = tx->exists = tx->is_admin = true;
	return 0;
}

int account_bootstrap_admin(account_t *acc, axr_db_t *db, bool *created)
{
	char hash[crypto_pwhash_STRBYTES];
	account__bootstrap_tx_t tx = {.acc = acc, .hash = hash};
	const char *name;
	int rc;

	if (created)
		*created = false;
	if (!acc || !db)
		return AXR_EINVAL;
	name = acc->cfg.admin_name;
	if (!*name)
		return 0;
	if (!account_name_valid(name)) {
		axr_log_error("account: AXR_ADMIN_NAME must be 3 to 32 letters, digits, '_', '.' or '-'");
		return AXR_ECONFIG;
	}
	if (account__password_rules(acc->cfg.admin_password, NULL) != 0) {
		axr_log_error("account: AXR_ADMIN_PASSWORD must be set, at least 8 characters");
		return AXR_ECONFIG;
	}
	if (!(tx.arena = axr_arena_new(0)))
		return AXR_ENOMEM;
	/* Hash only when the admin is missing: a restart costs one query. */
	if ((rc = account__admin_lookup(db, &tx)) == 0 && !tx.exists &&
	    (rc = account__password_hash(acc, acc->cfg.admin_password, hash)) == 0)
		rc = axr_db_tx_run(db, AXR_DB_READ_COMMITTED, account__bootstrap_body, &tx, 3);
	else if (rc == 0)
		rc = account__admin_role(acc, db, tx.arena);
	if (rc == 0 && tx.exists && !tx.is_admin) {
		axr_log_error("account: AXR_ADMIN_NAME '%s' belongs to an account without the admin role;"
		              " refusing to grant it (choose another name or grant it through the API)",
		              name);
		rc = AXR_ECONFIG;
	}
	if (rc == 0 && tx.created)
		axr_log_info("account: created the admin account '%s'", name);
	if (created)
		*created = rc == 0 && tx.created;
	sodium_memzero(hash, sizeof hash);
	axr_arena_free(tx.arena);
	return rc;
}

static int account__schema_body(axr_db_t *db, void *ctx)
{
	(void)ctx;
	int rc = account__exec(db, NULL, "SELECT pg_advisory_xact_lock(hashtext('axr:account:schema'))", 0, NULL, NULL);
	if (rc == 0)
		rc = account__exec(db, NULL,
		                   "CREATE UNIQUE INDEX IF NOT EXISTS user_name_lower_key ON " ACCOUNT_USER_TABLE
		                   " (lower(name))",
		                   0, NULL, NULL);
	return rc;
}

int account_schema_ensure(axr_db_t *db)
{
	int rc = axr_db_tx_run(db, AXR_DB_READ_COMMITTED, account__schema_body, NULL, 3);
	if (rc == AXR_EEXISTS || rc == AXR_ECONFLICT) {
		axr_log_error("account: some user names differ only in case (%s); rename all but one of each"
		              " before this version starts: names are unique whatever their case",
		              axr_db_last_error(db)->message);
		return AXR_ECONFLICT;
	}
	if (rc != 0)
		axr_log_error("account: cannot create the index on lower(name): %s", axr_db_last_error(db)->message);
	return rc;
}
