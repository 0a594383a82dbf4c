/* login.c: sign-up, password log-in (with lockout and equal timing for unknown logins) and device log-in. */
#include <string.h>

#include "err.h"
#include "log.h"

#include "account_internal.h"

/* ---- sign-up ---------------------------------------------------------- */

typedef struct account__register_tx {
	account_t *acc;
	const account__new_user_t *nu;
	const char *hash;
	axr_arena_t *arena;
	account_session_t *out;
	account_problem_t problem;
} account__register_tx_t;

static int account__register_body(axr_db_t *db, void *ctx)
{
	account__register_tx_t *tx = ctx;
	int rc;

	memset(&tx->problem, 0, sizeof tx->problem);
	if ((rc = account__user_insert(tx->acc, db, tx->arena, tx->nu, &tx->out->user, &tx->problem)) != 0 ||
	    (rc = account__password_store(tx->acc, db, tx->arena, tx->out->user.uid, tx->hash)) != 0)
		return rc;
	return account__refresh_start(tx->acc, db, tx->out->user.uid, tx->arena, &tx->out->refresh,
	                              &tx->out->refresh_expires_in);
}

int account_user_register(account_t *acc, axr_db_t *db, const account_registration_t *reg, axr_arena_t *arena,
                     account_session_t *out, account_problem_t *problem)
{
	char hash[crypto_pwhash_STRBYTES];
	account__new_user_t nu = {0};
	account__register_tx_t tx = {.acc = acc, .nu = &nu, .hash = hash, .arena = arena, .out = out};
	int rc;

	if (!acc || !db || !reg || !arena || !out)
		return AXR_EINVAL;
	memset(out, 0, sizeof *out);
	if (!account_name_valid(reg->name))
		return account__fail(problem, AXR_EVALIDATION, "/name",
		                     "must be 3 to 32 letters, digits, '_', '.' or '-', starting with a letter or digit");
	if (!(nu.email = account__email_normalize(arena, reg->email)))
		return account__fail(problem, AXR_EVALIDATION, "/email", "is not an e-mail address");
	if ((rc = account__password_rules(reg->password, problem)) != 0)
		return rc;
	nu.name = reg->name;
	nu.given_name = reg->given_name;
	nu.family_name = reg->family_name;
	nu.locale = reg->locale;
	/* The slow part runs before the transaction, so no lock is held
	 * while it computes. */
	if ((rc = account__password_hash(acc, reg->password, hash)) != 0)
		return rc;
	rc = axr_db_tx_run(db, AXR_DB_READ_COMMITTED, account__register_body, &tx, 3);
	if (rc == 0)
		rc = account__session_sign(acc, arena, out);
	else if (problem)
		*problem = tx.problem;
	sodium_memzero(hash, sizeof hash);
	return rc;
}

/* ---- password log-in -------------------------------------------------- */

/* Finds the user a login names, with its password hash (NULL for guests). */
static int account__find_login(axr_db_t *db, const char *login, bool by_email, axr_arena_t *arena,
                               account_user_t *user, const char **hash, bool *found)
{
	static const char *const sql[2] = {
	    "SELECT " ACCOUNT_USER_COLUMNS ", p.hash FROM " ACCOUNT_USER_TABLE " u"
	    " LEFT JOIN account_password p ON p.user_uid = u.uid WHERE lower(u.name) = lower($1)",
	    "SELECT " ACCOUNT_USER_COLUMNS ", p.hash FROM " ACCOUNT_USER_TABLE " u"
	    " LEFT JOIN account_password p ON p.user_uid = u.uid WHERE u.email = $1",
	};
	axr_db_result_t *r = NULL;
	int rc = account__exec(db, by_email ? "account:login:by_email" : "account:login:by_name", sql[by_email], 1,
	                       &login, &r);

	*found = false;
	*hash = NULL;
	if (rc == 0 && axr_db_result_rows(r) == 1) {
		*found = true;
		rc = account__user_from_row(r, 0, 0, arena, user);
		const char *h = axr_db_result_text(r, 0, ACCOUNT_USER_NCOLUMNS, NULL);
		if (rc == 0 && h && !(*hash = axr_arena_strdup(arena, h)))
			rc = AXR_ENOMEM;
	}
	axr_db_result_free(r);
	return rc;
}

/* After a successful check: last_login, a stronger hash if the limits
 * were raised, and the user as stored now. */
static int account__logged_in(account_t *acc, axr_db_t *db, const char *password, const char *hash,
                              axr_arena_t *arena, account_user_t *user)
{
	static const char sql[] = "UPDATE " ACCOUNT_USER_TABLE " SET last_login = $2::timestamptz"
	                          " WHERE uid = $1::uuid RETURNING " ACCOUNT_USER_COLUMNS;
	axr_db_result_t *r = NULL;
	const char *values[2] = {user->uid, account__ts(arena, account_now(acc))};
	int rc;

	if (!values[1])
		return AXR_ENOMEM;
	if (hash && password && account__password_needs_rehash(acc, hash)) {
		char fresh[crypto_pwhash_STRBYTES];
		rc = account__password_hash(acc, password, fresh);
		if (rc == 0)
			rc = account__password_store(acc, db, arena, user->uid, fresh);
		if (rc != 0)
			axr_log_warn("account: could not rehash a password: %s", axr_strerror(rc));
	}
	rc = account__exec(db, "account:login:touch", sql, 2, values, &r);
	if (rc == 0)
		rc = axr_db_result_rows(r) == 1 ? account__user_from_row(r, 0, 0, arena, user) : AXR_EUNAUTHORIZED;
	axr_db_result_free(r);
	return rc;
}

int account_login_password(account_t *acc, axr_db_t *db, const char *login, const char *password,
                           const char *client_addr, axr_arena_t *arena, account_session_t *out,
                           account_problem_t *problem)
{
	account__attempt_t attempt;
	const char *hash = NULL, *key;
	bool found = false;
	int rc;

	if (!acc || !db || !arena || !out)
		return AXR_EINVAL;
	memset(out, 0, sizeof *out);
	size_t login_len = login ? strlen(login) : 0, pw_len = password ? strlen(password) : 0;
	if (login_len == 0 || login_len > ACCOUNT_LOGIN_MAX)
		return account__fail(problem, AXR_EVALIDATION, "/login", "must be 1 to 254 bytes");
	if (pw_len == 0 || pw_len > ACCOUNT_PASSWORD_MAX)
		return account__fail(problem, AXR_EVALIDATION, "/password", "must be 1 to 1024 bytes");

	/* A login with '@' is an e-mail (stored in lower case); one that
	 * cannot be an address matches nobody but still costs a full check. */
	bool by_email = strchr(login, '@') != NULL;
	const char *lookup = by_email ? account__email_normalize(arena, login) : login;
	if (lookup && (rc = account__find_login(db, lookup, by_email, arena, &out->user, &hash, &found)) != 0)
		return rc;
	/* Failures count against the user whichever login named it; unknown
	 * logins are limited the same way, so the answer says nothing. */
	key = found ? out->user.uid : axr_arena_printf(arena, "login:%s", lookup ? lookup : login);
	if (!key)
		return AXR_ENOMEM;
	if ((rc = account__attempt_begin(acc, db, key, client_addr, arena, &attempt, problem)) != 0)
		return rc;
	if (!account__password_verify(acc, found ? hash : NULL, password)) {
		memset(out, 0, sizeof *out);
		if (randombytes_uniform(64) == 0)
			account_cleanup(acc, db, NULL); /* now and then: old attempts and tokens */
		return account__fail(problem, AXR_EUNAUTHORIZED, NULL, "wrong login or password");
	}
	if ((rc = account__attempt_succeeded(acc, db, key)) != 0 ||
	    (rc = account__logged_in(acc, db, password, hash, arena, &out->user)) != 0 ||
	    (rc = account__refresh_start(acc, db, out->user.uid, arena, &out->refresh, &out->refresh_expires_in)) != 0 ||
	    (rc = account__session_sign(acc, arena, out)) != 0)
		memset(out, 0, sizeof *out);
	return rc;
}

/* ---- device log-in ---------------------------------------------------- */

typedef struct account__device_tx {
	account_t *acc;
	const char *hash; /* SHA-256 of the device id */
	axr_arena_t *arena;
	account_session_t *out;
	bool created;
} account__device_tx_t;

static int account__device_body(axr_db_t *db, void *ctx)
{
	static const char find[] =
	    "SELECT d.user_uid::text, u.uid IS NOT NULL FROM account_device d"
	    " LEFT JOIN " ACCOUNT_USER_TABLE " u ON u.uid = d.user_uid WHERE d.device_hash = $1::bytea FOR UPDATE OF d";
	static const char orphan[] = "DELETE FROM account_device WHERE device_hash = $1::bytea";
	static const char link[] = "INSERT INTO account_device (device_hash, user_uid, date_created, last_used)"
	                           " VALUES ($1::bytea, $2::uuid, $3::timestamptz, $3::timestamptz)"
	                           " ON CONFLICT (device_hash) DO NOTHING RETURNING 1";
	static const char seen[] = "UPDATE account_device SET last_used = $2::timestamptz WHERE device_hash = $1::bytea";
	account__device_tx_t *tx = ctx;
	axr_db_result_t *r = NULL;
	const char *now = account__ts(tx->arena, account_now(tx->acc));
	bool has_user = false;
	int rc;

	tx->created = false;
	if (!now)
		return AXR_ENOMEM;
	const char *values[3] = {tx->hash, now, now};
	if ((rc = account__exec(db, "account:device:find", find, 1, values, &r)) != 0)
		goto done;
	if (axr_db_result_rows(r) == 1 && axr_db_result_bool(r, 0, 1, &has_user) == 0 && has_user) {
		const char *uid = axr_arena_strdup(tx->arena, axr_db_result_text(r, 0, 0, NULL));
		if (!uid) {
			rc = AXR_ENOMEM;
			goto done;
		}
		tx->out->user.uid = uid;
		if ((rc = account__exec(db, "account:device:seen", seen, 2, values, NULL)) != 0 ||
		    (rc = account__logged_in(tx->acc, db, NULL, NULL, tx->arena, &tx->out->user)) != 0)
			goto done;
	} else {
		/* First use (or the account was deleted): a new guest. */
		unsigned char rnd[8];
		char hex[17];
		randombytes_buf(rnd, sizeof rnd);
		sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
		account__new_user_t nu = {.name = axr_arena_printf(tx->arena, "guest-%s", hex), .guest = true};
		if (!nu.name) {
			rc = AXR_ENOMEM;
			goto done;
		}
		if (axr_db_result_rows(r) == 1 && (rc = account__exec(db, "account:device:orphan", orphan, 1, values, NULL)) != 0)
			goto done;
		rc = account__user_insert(tx->acc, db, tx->arena, &nu, &tx->out->user, NULL);
		if (rc == AXR_EEXISTS) {
			rc = AXR_EAGAIN; /* a guest name collided: roll back, new name */
			goto done;
		}
		axr_db_result_free(r);
		r = NULL;
		values[1] = tx->out->user.uid;
		if (rc != 0 || (rc = account__exec(db, "account:device:link", link, 3, values, &r)) != 0)
			goto done;
		if (axr_db_result_rows(r) != 1) {
			/* Another first use of this device committed meanwhile:
			 * roll back our guest and log in to its account. */
			rc = AXR_EAGAIN;
			goto done;
		}
		tx->created = true;
	}
	rc = account__refresh_start(tx->acc, db, tx->out->user.uid, tx->arena, &tx->out->refresh,
	                            &tx->out->refresh_expires_in);
done:
	axr_db_result_free(r);
	return rc;
}

static bool account__device_id_valid(const char *id)
{
	size_t len = id ? strlen(id) : 0;
	if (len < 16 || len > 256)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = id[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("._~:-", c)))
			return false;
	}
	return true;
}

int account_login_device(account_t *acc, axr_db_t *db, const char *device_id, axr_arena_t *arena,
                         account_session_t *out, bool *created, account_problem_t *problem)
{
	char hash[ACCOUNT_HASH_TEXT];
	account__device_tx_t tx = {.acc = acc, .hash = hash, .arena = arena, .out = out};

	if (created)
		*created = false;
	if (!acc || !db || !arena || !out)
		return AXR_EINVAL;
	memset(out, 0, sizeof *out);
	if (!account__device_id_valid(device_id))
		return account__fail(problem, AXR_EVALIDATION, "/deviceId",
		                     "must be 16 to 256 letters, digits or ._~:- characters");
	account__hash_text(device_id, strlen(device_id), hash);
	int rc = axr_db_tx_run(db, AXR_DB_READ_COMMITTED, account__device_body, &tx, 5);
	if (rc == 0)
		rc = account__session_sign(acc, arena, out);
	if (rc != 0)
		memset(out, 0, sizeof *out);
	else if (created)
		*created = tx.created;
	return rc;
}
