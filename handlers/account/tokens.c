/* tokens.c: access tokens (signed JWTs) and refresh tokens (opaque, hashed, rotated, revoked by family). */
#include <inttypes.h>
#include <string.h>

#include "err.h"
#include "log.h"

#include "account_internal.h"

/*
 * A refresh token is 32 random bytes as 43 base64url characters. The server
 * keeps SHA-256 of that text only (a database leak yields nothing usable),
 * in account_refresh_token with its family (one per log-in), its parent
 * (the token it replaced) and when it was used. Tokens are single-use:
 * using one marks it used and issues its child in the same family. A used
 * token presented again means two parties hold the chain, so the family is
 * revoked and both have to log in again (OAuth 2.0 Security BCP, 4.14).
 */

/* A fresh token into `text` (ACCOUNT_REFRESH_CHARS + 1) and its hash. */
static void account__refresh_new(char *text, char hash[ACCOUNT_HASH_TEXT])
{
	unsigned char raw[ACCOUNT_REFRESH_BYTES];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(text, ACCOUNT_REFRESH_CHARS + 1, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	account__hash_text(text, ACCOUNT_REFRESH_CHARS, hash);
}

/* true when `s` has the shape of a refresh token (43 base64url chars). */
static bool account__refresh_wellformed(const char *s)
{
	if (!s || strlen(s) != ACCOUNT_REFRESH_CHARS)
		return false;
	for (size_t i = 0; i < ACCOUNT_REFRESH_CHARS; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

int account__refresh_start(account_t *acc, axr_db_t *db, const char *user_uid, axr_arena_t *arena,
                           const char **refresh, int64_t *expires_in)
{
	static const char sql[] =
	    "WITH f AS (INSERT INTO account_refresh_family (family_id, user_uid, created_at, expires_at)"
	    " VALUES (gen_random_uuid(), $1::uuid, $2::timestamptz, $2::timestamptz + $4::bigint * interval '1 second')"
	    " RETURNING family_id, expires_at)"
	    " INSERT INTO account_refresh_token (token_hash, family_id, issued_at, expires_at)"
	    " SELECT $3::bytea, f.family_id, $2::timestamptz,"
	    " LEAST($2::timestamptz + $5::bigint * interval '1 second', f.expires_at) FROM f";
	char *text = axr_arena_alloc(arena, ACCOUNT_REFRESH_CHARS + 1);
	char hash[ACCOUNT_HASH_TEXT];
	const account_config_t *c = &acc->cfg;
	const char *values[5] = {user_uid, account__ts(arena, account_now(acc)), hash,
	                         axr_arena_printf(arena, "%ld", c->refresh_family_ttl_s),
	                         axr_arena_printf(arena, "%ld", c->refresh_ttl_s)};

	if (!text || !values[1] || !values[3] || !values[4])
		return AXR_ENOMEM;
	account__refresh_new(text, hash);
	int rc = account__exec(db, "account:refresh:start", sql, 5, values, NULL);
	if (rc != 0)
		return rc;
	*refresh = text;
	*expires_in = c->refresh_ttl_s < c->refresh_family_ttl_s ? c->refresh_ttl_s : c->refresh_family_ttl_s;
	return 0;
}

int account_issue_access_token(const account_t *acc, const account_user_t *user, axr_arena_t *arena,
                               char **token, int *expires_in)
{
	if (!acc || !user || !user->uid || !arena || !token)
		return AXR_EINVAL;
	int ttl = (int)(acc->cfg.access_ttl_ms / 1000);
	axr_jwt_claims_t claims = {
	    .sub = user->uid,
	    .iat = account_now(acc) / 1000000,
	    .profile = {.uid = user->uid, .name = user->name, .roles = user->roles, .nroles = user->nroles},
	};
	claims.exp = claims.iat + ttl;
	int rc = axr_jwt_sign(acc->signer, &claims, arena, token);
	if (rc == 0 && expires_in)
		*expires_in = ttl;
	return rc;
}

int account__session_sign(const account_t *acc, axr_arena_t *arena, account_session_t *out)
{
	char *token = NULL;
	int rc = account_issue_access_token(acc, &out->user, arena, &token, &out->expires_in);
	out->token = token;
	return rc;
}

/* The state account_session_refresh's transaction works on. */
typedef struct account__refresh_tx {
	account_t *acc;
	const char *hash;        /* of the presented token */
	axr_arena_t *arena;
	bool reused;             /* the family was revoked for reuse: commit, then 401 */
	const char *family;      /* ... that family, and its user, for the log */
	const char *user_uid;
	bool gone;               /* the user no longer exists: family revoked, 401 */
	account_session_t *out;  /* user and new refresh token */
} account__refresh_tx_t;

static int account__revoke_family(axr_db_t *db, const char *family, const char *now, const char *reason)
{
	static const char sql[] = "UPDATE account_refresh_family SET revoked_at = $2::timestamptz, revoked_reason = $3"
	                          " WHERE family_id = $1::uuid AND revoked_at IS NULL";
	const char *values[3] = {family, now, reason};
	return account__exec(db, "account:refresh:revoke", sql, 3, values, NULL);
}

static int account__refresh_body(axr_db_t *db, void *ctx)
{
	static const char find[] =
	    "SELECT t.family_id::text, t.used_at IS NOT NULL, t.expires_at <= $2::timestamptz,"
	    " f.revoked_at IS NOT NULL, f.expires_at <= $2::timestamptz, f.user_uid::text,"
	    " floor(extract(epoch FROM f.expires_at - $2::timestamptz))::bigint"
	    " FROM account_refresh_token t JOIN account_refresh_family f USING (family_id)"
	    " WHERE t.token_hash = $1::bytea FOR UPDATE OF t, f";
	static const char use[] = "UPDATE account_refresh_token SET used_at = $2::timestamptz WHERE token_hash = $1::bytea";
	static const char user[] = "SELECT " ACCOUNT_USER_COLUMNS " FROM " ACCOUNT_USER_TABLE " WHERE uid = $1::uuid";
	static const char child[] =
	    "INSERT INTO account_refresh_token (token_hash, family_id, parent_hash, issued_at, expires_at)"
	    " SELECT $1::bytea, f.family_id, $3::bytea, $4::timestamptz,"
	    " LEAST($4::timestamptz + $5::bigint * interval '1 second', f.expires_at)"
	    " FROM account_refresh_family f WHERE f.family_id = $2::uuid";
	account__refresh_tx_t *tx = ctx;
	axr_db_result_t *r = NULL;
	const account_config_t *c = &tx->acc->cfg;
	const char *now = account__ts(tx->arena, account_now(tx->acc));
	bool used = false, expired = false, revoked = false, family_expired = false;
	int64_t family_left = 0;
	int rc;

	tx->reused = tx->gone = false;
	if (!now)
		return AXR_ENOMEM;
	const char *v_find[2] = {tx->hash, now};
	if ((rc = account__exec(db, "account:refresh:find", find, 2, v_find, &r)) != 0)
		goto done;
	if (axr_db_result_rows(r) != 1) {
		rc = AXR_EUNAUTHORIZED;
		goto done;
	}
	const char *family = axr_arena_strdup(tx->arena, axr_db_result_text(r, 0, 0, NULL));
	const char *uid = axr_arena_strdup(tx->arena, axr_db_result_text(r, 0, 5, NULL));
	if (!family || !uid || axr_db_result_bool(r, 0, 1, &used) != 0 || axr_db_result_bool(r, 0, 2, &expired) != 0 ||
	    axr_db_result_bool(r, 0, 3, &revoked) != 0 || axr_db_result_bool(r, 0, 4, &family_expired) != 0 ||
	    axr_db_result_int64(r, 0, 6, &family_left) != 0) {
		rc = AXR_EINTERNAL;
		goto done;
	}
	if (revoked) {
		rc = AXR_EUNAUTHORIZED;
		goto done;
	}
	if (used) {
		/* A second use: someone holds a copy. Revoke every token of
		 * this log-in and keep that (commit), then answer 401. */
		rc = account__revoke_family(db, family, now, "reuse");
		tx->reused = rc == 0;
		tx->family = family;
		tx->user_uid = uid;
		goto done;
	}
	if (expired || family_expired) {
		rc = AXR_EUNAUTHORIZED;
		goto done;
	}
	if ((rc = account__exec(db, "account:refresh:use", use, 2, v_find, NULL)) != 0)
		goto done;
	axr_db_result_free(r);
	r = NULL;
	if ((rc = account__exec(db, "account:user:by_uid", user, 1, &uid, &r)) != 0)
		goto done;
	if (axr_db_result_rows(r) != 1) {
		rc = account__revoke_family(db, family, now, "user deleted");
		tx->gone = rc == 0;
		goto done;
	}
	if ((rc = account__user_from_row(r, 0, 0, tx->arena, &tx->out->user)) != 0)
		goto done;
	char *text = axr_arena_alloc(tx->arena, ACCOUNT_REFRESH_CHARS + 1);
	char hash[ACCOUNT_HASH_TEXT];
	const char *ttl = axr_arena_printf(tx->arena, "%ld", c->refresh_ttl_s);
	if (!text || !ttl) {
		rc = AXR_ENOMEM;
		goto done;
	}
	account__refresh_new(text, hash);
	const char *v_child[5] = {hash, family, tx->hash, now, ttl};
	if ((rc = account__exec(db, "account:refresh:child", child, 5, v_child, NULL)) != 0)
		goto done;
	tx->out->refresh = text;
	tx->out->refresh_expires_in = c->refresh_ttl_s < family_left ? c->refresh_ttl_s : family_left;
done:
	axr_db_result_free(r);
	return rc;
}

int account_session_refresh(account_t *acc, axr_db_t *db, const char *refresh, axr_arena_t *arena,
                    account_session_t *out, bool *reused)
{
	char hash[ACCOUNT_HASH_TEXT];
	account__refresh_tx_t tx = {.acc = acc, .hash = hash, .arena = arena, .out = out};

	if (reused)
		*reused = false;
	if (!acc || !db || !arena || !out)
		return AXR_EINVAL;
	memset(out, 0, sizeof *out);
	if (!account__refresh_wellformed(refresh))
		return AXR_EUNAUTHORIZED;
	account__hash_text(refresh, ACCOUNT_REFRESH_CHARS, hash);
	int rc = axr_db_tx_run(db, AXR_DB_READ_COMMITTED, account__refresh_body, &tx, 3);
	if (rc != 0)
		return rc;
	if (reused)
		*reused = tx.reused;
	if (tx.reused)
		axr_log_warn("account: refresh token reused: family %s of user %s revoked", tx.family, tx.user_uid);
	if (tx.reused || tx.gone) {
		memset(out, 0, sizeof *out);
		return AXR_EUNAUTHORIZED;
	}
	return account__session_sign(acc, arena, out);
}

int account_session_revoke(account_t *acc, axr_db_t *db, const char *refresh)
{
	static const char sql[] =
	    "UPDATE account_refresh_family f SET revoked_at = $2::timestamptz, revoked_reason = 'logout'"
	    " FROM account_refresh_token t"
	    " WHERE t.token_hash = $1::bytea AND f.family_id = t.family_id AND f.revoked_at IS NULL";
	char hash[ACCOUNT_HASH_TEXT], now[ACCOUNT_TS_TEXT];

	if (!acc || !db)
		return AXR_EINVAL;
	if (!account__refresh_wellformed(refresh))
		return 0; /* RFC 7009: nothing to revoke is not an error */
	account__hash_text(refresh, ACCOUNT_REFRESH_CHARS, hash);
	if (account__ts_buf(account_now(acc), now) != 0)
		return AXR_EINTERNAL;
	const char *values[2] = {hash, now};
	return account__exec(db, "account:refresh:logout", sql, 2, values, NULL);
}

int account__refresh_cleanup(account_t *acc, axr_db_t *db, axr_arena_t *arena, long *removed)
{
	/* A day of grace: reuse of a just-expired token still finds its row. */
	static const char families[] =
	    "DELETE FROM account_refresh_family WHERE family_id IN (SELECT family_id FROM account_refresh_family"
	    " WHERE expires_at < $1::timestamptz OR revoked_at < $1::timestamptz LIMIT 1000)";
	static const char tokens[] =
	    "DELETE FROM account_refresh_token WHERE token_hash IN (SELECT token_hash FROM account_refresh_token"
	    " WHERE expires_at < $1::timestamptz LIMIT 5000)";
	const char *cutoff = account__ts(arena, account_now(acc) - INT64_C(86400) * 1000000);
	axr_db_result_t *r = NULL;
	int rc;

	if (!cutoff)
		return AXR_ENOMEM;
	if ((rc = account__exec(db, "account:cleanup:families", families, 1, &cutoff, &r)) == 0)
		*removed += axr_db_result_affected(r);
	axr_db_result_free(r);
	r = NULL;
	if (rc == 0 && (rc = account__exec(db, "account:cleanup:tokens", tokens, 1, &cutoff, &r)) == 0)
		*removed += axr_db_result_affected(r);
	axr_db_result_free(r);
	return rc;
}
