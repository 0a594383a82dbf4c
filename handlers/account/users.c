/* users.c: the "user" rows: insert, read with ownership, update with the admin-only rules, delete with everything attached. */
#include <string.h>

#include "err.h"

#include "account_internal.h"

int account__user_insert(account_t *acc, axr_db_t *db, axr_arena_t *arena, const account__new_user_t *nu,
                         account_user_t *out, account_problem_t *problem)
{
	static const char sql[] =
	    "INSERT INTO " ACCOUNT_USER_TABLE " (uid, date_created, date_modified, version, name, email, given_name,"
	    " family_name, locale, roles, verified, guest, last_login)"
	    " VALUES (gen_random_uuid(), $1::timestamptz, $1::timestamptz, 0, $2, $3, $4, $5, $6, $7::jsonb,"
	    " jsonb_build_object('email', false, 'phone', false), $8::boolean, $1::timestamptz)"
	    " RETURNING " ACCOUNT_USER_COLUMNS;
	axr_db_result_t *r = NULL;
	const char *values[8] = {account__ts(arena, account_now(acc)), nu->name, nu->email, nu->given_name,
	                         nu->family_name, nu->locale, account__roles_json(arena, nu->roles, nu->nroles),
	                         nu->guest ? "true" : "false"};

	if (!values[0] || !values[6])
		return AXR_ENOMEM;
	int rc = account__exec(db, "account:user:insert", sql, 8, values, &r);
	if (rc == AXR_EEXISTS) {
		const char *field = account__unique_field(db);
		rc = account__fail(problem, AXR_EEXISTS, field, field && strcmp(field, "/email") == 0
		                                                    ? "is already registered"
		                                                    : "is already taken");
	}
	if (rc == 0)
		rc = account__user_from_row(r, 0, 0, arena, out);
	axr_db_result_free(r);
	return rc;
}

/* Which row `id` names for `caller`: by uid or by name, "me" being the
 * caller; *owner is the uid a non-admin is limited to (NULL for admins). */
static int account__resolve(const account_caller_t *caller, const char *id, const char **key, bool *by_uid,
                            const char **owner)
{
	if (!caller || !caller->uid)
		return AXR_EUNAUTHORIZED;
	if (!id || !*id)
		return AXR_ENOTFOUND;
	*key = strcmp(id, "me") == 0 ? caller->uid : id;
	*by_uid = account_uuid_valid(*key);
	if (!*by_uid && !account_name_valid(*key))
		return AXR_ENOTFOUND; /* no user can have that name */
	*owner = caller->admin ? NULL : caller->uid;
	return 0;
}

/* Selects the user `key` (uid or name), limited to `owner` when not NULL;
 * `lock` adds FOR UPDATE. AXR_ENOTFOUND when no row. */
static int account__user_select(axr_db_t *db, const char *key, bool by_uid, const char *owner, bool lock,
                                axr_arena_t *arena, account_user_t *out)
{
	static const char *const names[2][2] = {{"account:user:get_name", "account:user:get_name_lock"},
	                                        {"account:user:get_uid", "account:user:get_uid_lock"}};
	static const char *const sql[2][2] = {
	    {"SELECT " ACCOUNT_USER_COLUMNS " FROM " ACCOUNT_USER_TABLE
	     " WHERE name = $1 AND ($2::uuid IS NULL OR uid = $2::uuid)",
	     "SELECT " ACCOUNT_USER_COLUMNS " FROM " ACCOUNT_USER_TABLE
	     " WHERE name = $1 AND ($2::uuid IS NULL OR uid = $2::uuid) FOR UPDATE"},
	    {"SELECT " ACCOUNT_USER_COLUMNS " FROM " ACCOUNT_USER_TABLE
	     " WHERE uid = $1::uuid AND ($2::uuid IS NULL OR uid = $2::uuid)",
	     "SELECT " ACCOUNT_USER_COLUMNS " FROM " ACCOUNT_USER_TABLE
	     " WHERE uid = $1::uuid AND ($2::uuid IS NULL OR uid = $2::uuid) FOR UPDATE"},
	};
	axr_db_result_t *r = NULL;
	const char *values[2] = {key, owner};
	int rc = account__exec(db, names[by_uid][lock], sql[by_uid][lock], 2, values, &r);

	if (rc == 0)
		rc = axr_db_result_rows(r) == 1 ? account__user_from_row(r, 0, 0, arena, out) : AXR_ENOTFOUND;
	axr_db_result_free(r);
	return rc;
}

int account_user_get(account_t *acc, axr_db_t *db, const account_caller_t *caller, const char *id,
                     axr_arena_t *arena, account_user_t *out)
{
	const char *key = NULL, *owner = NULL;
	bool by_uid = false;

	if (!acc || !db || !arena || !out)
		return AXR_EINVAL;
	int rc = account__resolve(caller, id, &key, &by_uid, &owner);
	return rc != 0 ? rc : account__user_select(db, key, by_uid, owner, false, arena, out);
}

/* true when the role lists hold the same names (order and repeats aside). */
static bool account__same_roles(const char *const *a, size_t na, const char *const *b, size_t nb)
{
	for (int pass = 0; pass < 2; pass++) {
		const char *const *x = pass ? b : a, *const *y = pass ? a : b;
		size_t nx = pass ? nb : na, ny = pass ? na : nb;
		for (size_t i = 0; i < nx; i++) {
			size_t j = 0;
			while (j < ny && strcmp(x[i], y[j]) != 0)
				j++;
			if (j == ny)
				return false;
		}
	}
	return true;
}

typedef struct account__update_tx {
	account_t *acc;
	const account_caller_t *caller;
	const account_user_update_t *upd;
	const char *key, *owner, *email; /* email: normalized new value */
	bool by_uid;
	axr_arena_t *arena;
	account_user_t *out;
	account_problem_t problem;
} account__update_tx_t;

static const char *account__bool_text(bool b)
{
	return b ? "true" : "false";
}

static int account__update_body(axr_db_t *db, void *ctx)
{
	static const char sql[] =
	    "UPDATE " ACCOUNT_USER_TABLE " SET name = COALESCE($2, name),"
	    " email = CASE WHEN $3::boolean THEN $4 ELSE email END,"
	    " given_name = CASE WHEN $5::boolean THEN $6 ELSE given_name END,"
	    " family_name = CASE WHEN $7::boolean THEN $8 ELSE family_name END,"
	    " locale = CASE WHEN $9::boolean THEN $10 ELSE locale END,"
	    " roles = COALESCE($11::jsonb, roles),"
	    " verified = jsonb_build_object('email', $12::boolean, 'phone', $13::boolean),"
	    " version = version + 1, date_modified = $14::timestamptz"
	    " WHERE uid = $1::uuid RETURNING " ACCOUNT_USER_COLUMNS;
	account__update_tx_t *tx = ctx;
	const account_user_update_t *u = tx->upd;
	account_user_t cur;
	axr_db_result_t *r = NULL;
	int rc;

	memset(&tx->problem, 0, sizeof tx->problem);
	if ((rc = account__user_select(db, tx->key, tx->by_uid, tx->owner, true, tx->arena, &cur)) != 0)
		return rc;
	bool email_changed = u->has_email && (tx->email == NULL) != (cur.email == NULL);
	if (u->has_email && tx->email && cur.email)
		email_changed = strcmp(tx->email, cur.email) != 0;
	if (!tx->caller->admin) {
		if (u->has_roles && !account__same_roles(u->roles, u->nroles, cur.roles, cur.nroles))
			return account__fail(&tx->problem, AXR_EVALIDATION, "/roles", "only an admin may change roles");
		if ((u->has_verified_email && u->verified_email != cur.verified_email) ||
		    (u->has_verified_phone && u->verified_phone != cur.verified_phone))
			return account__fail(&tx->problem, AXR_EVALIDATION, "/verified",
			                     "only an admin may change verified");
	}
	if (u->version != cur.version)
		return account__fail(&tx->problem, AXR_ECONFLICT, "/version",
		                     axr_arena_printf(tx->arena, "is stale: the current version is %lld",
		                                      (long long)cur.version));
	bool v_email = u->has_verified_email ? u->verified_email : (email_changed ? false : cur.verified_email);
	bool v_phone = u->has_verified_phone ? u->verified_phone : cur.verified_phone;
	const char *values[14] = {
	    cur.uid, u->name,
	    account__bool_text(u->has_email), tx->email,
	    account__bool_text(u->has_given_name), u->given_name,
	    account__bool_text(u->has_family_name), u->family_name,
	    account__bool_text(u->has_locale), u->locale,
	    u->has_roles ? account__roles_json(tx->arena, u->roles, u->nroles) : NULL,
	    account__bool_text(v_email), account__bool_text(v_phone),
	    account__ts(tx->arena, account_now(tx->acc)),
	};
	if ((u->has_roles && !values[10]) || !values[13])
		return AXR_ENOMEM;
	rc = account__exec(db, "account:user:update", sql, 14, values, &r);
	if (rc == AXR_EEXISTS) {
		const char *field = account__unique_field(db);
		rc = account__fail(&tx->problem, AXR_EEXISTS, field, "is already taken");
	}
	if (rc == 0)
		rc = account__user_from_row(r, 0, 0, tx->arena, tx->out);
	axr_db_result_free(r);
	return rc;
}

int account_user_update(account_t *acc, axr_db_t *db, const account_caller_t *caller, const char *id,
                        const account_user_update_t *upd, axr_arena_t *arena, account_user_t *out,
                        account_problem_t *problem)
{
	account__update_tx_t tx = {.acc = acc, .caller = caller, .upd = upd, .arena = arena, .out = out};

	if (!acc || !db || !upd || !arena || !out)
		return AXR_EINVAL;
	int rc = account__resolve(caller, id, &tx.key, &tx.by_uid, &tx.owner);
	if (rc != 0)
		return rc;
	if (!upd->has_version)
		return account__fail(problem, AXR_EVALIDATION, "/version",
		                     "is required: send the version you read in If-Match or ?version=");
	if (upd->name && !account_name_valid(upd->name))
		return account__fail(problem, AXR_EVALIDATION, "/name",
		                     "must be 3 to 32 letters, digits, '_', '.' or '-', starting with a letter or digit");
	if (upd->has_email && upd->email && !(tx.email = account__email_normalize(arena, upd->email)))
		return account__fail(problem, AXR_EVALIDATION, "/email", "is not an e-mail address");
	if (upd->has_roles && upd->nroles > AXR_JWT_MAX_ROLES)
		return account__fail(problem, AXR_EVALIDATION, "/roles", "must be at most 32 roles");
	for (size_t i = 0; upd->has_roles && i < upd->nroles; i++)
		if (!account_role_name_valid(upd->roles[i]))
			return account__fail(problem, AXR_EVALIDATION, "/roles", "must be role names (^[a-z][a-z0-9_-]{0,31}$)");
	rc = axr_db_tx_run(db, AXR_DB_READ_COMMITTED, account__update_body, &tx, 3);
	if (rc != 0 && problem)
		*problem = tx.problem;
	return rc;
}

typedef struct account__delete_tx {
	const char *key;
	bool by_uid;
} account__delete_tx_t;

static int account__delete_body(axr_db_t *db, void *ctx)
{
	static const char *const del_user[2] = {
	    "DELETE FROM " ACCOUNT_USER_TABLE " WHERE name = $1 RETURNING uid::text",
	    "DELETE FROM " ACCOUNT_USER_TABLE " WHERE uid = $1::uuid RETURNING uid::text",
	};
	static const char *const attached[][2] = {
	    {"account:user:del_password", "DELETE FROM account_password WHERE user_uid = $1::uuid"},
	    {"account:user:del_devices", "DELETE FROM account_device WHERE user_uid = $1::uuid"},
	    {"account:user:del_families", "DELETE FROM account_refresh_family WHERE user_uid = $1::uuid"},
	    {"account:user:del_attempts", "DELETE FROM account_login_attempt WHERE account_key = $1"},
	};
	account__delete_tx_t *tx = ctx;
	axr_db_result_t *r = NULL;
	int rc = account__exec(db, tx->by_uid ? "account:user:del_uid" : "account:user:del_name", del_user[tx->by_uid],
	                       1, &tx->key, &r);

	if (rc == 0 && axr_db_result_rows(r) != 1)
		rc = AXR_ENOTFOUND;
	const char *uid = rc == 0 ? axr_db_result_text(r, 0, 0, NULL) : NULL;
	for (size_t i = 0; rc == 0 && i < sizeof attached / sizeof attached[0]; i++)
		rc = account__exec(db, attached[i][0], attached[i][1], 1, &uid, NULL);
	axr_db_result_free(r);
	return rc;
}

int account_user_delete(account_t *acc, axr_db_t *db, const account_caller_t *caller, const char *id)
{
	account__delete_tx_t tx = {0};
	const char *owner = NULL;

	if (!acc || !db)
		return AXR_EINVAL;
	int rc = account__resolve(caller, id, &tx.key, &tx.by_uid, &owner);
	if (rc != 0)
		return rc;
	if (!caller->admin)
		return AXR_EFORBIDDEN;
	return axr_db_tx_run(db, AXR_DB_READ_COMMITTED, account__delete_body, &tx, 3);
}
