/* account_internal.h: what the account core's files share (the context, SQL helpers, passwords, tokens, lockout). */
#ifndef AXR_ACCOUNT_INTERNAL_H
#define AXR_ACCOUNT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "account.h"

struct account {
	account_config_t cfg;          /* strings point into `strings` below */
	char *strings;                 /* one block holding cfg's copied strings */
	size_t strings_len;
	axr_jwks_t *keys;              /* public keys served as JWKS (owns `key`) */
	const axr_jwk_t *key;          /* the signing key */
	axr_jwt_signer_t *signer;
	char *jwks_json;
	size_t jwks_len;
	char dummy_hash[crypto_pwhash_STRBYTES]; /* unknown logins are checked against it */
	account_clock_fn clock;
	void *clock_ctx;
};

/* Bytes of a refresh token before encoding, and its text length. */
#define ACCOUNT_REFRESH_BYTES 32
#define ACCOUNT_REFRESH_CHARS 43
/* "\\x" + 64 hex digits + NUL: a SHA-256 as bytea text input. */
#define ACCOUNT_HASH_TEXT 67
/* Longest login and password accepted (bytes). */
#define ACCOUNT_LOGIN_MAX 254
#define ACCOUNT_PASSWORD_MAX 1024
#define ACCOUNT_PASSWORD_MIN 8 /* code points */

/* ---- SQL helpers (sql.c) ---- */

/* The table names of the entities (the DB mapping of spec/account.yaml). */
#define ACCOUNT_USER_TABLE "\"user\""
#define ACCOUNT_ROLE_TABLE "\"role\""

/* The select list every user read uses, in account__user_from_row's order. */
#define ACCOUNT_USER_COLUMNS                                                                          \
	"uid::text, to_char(date_created AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "      \
	"to_char(date_modified AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), version, name, " \
	"email, given_name, family_name, locale, coalesce(roles, '[]'::jsonb)::text, "                    \
	"coalesce((verified->>'email')::boolean, false), coalesce((verified->>'phone')::boolean, false), " \
	"coalesce(guest, false), "                                                                        \
	"to_char(last_login AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define ACCOUNT_USER_NCOLUMNS 14

/* Runs named statement `name` (prepared once per connection) with text
 * parameters; *out may be NULL. Same results as axr_db_exec. */
int account__exec(axr_db_t *db, const char *name, const char *sql, int n, const char *const *values,
                  axr_db_result_t **out);

/* Copies row `row` of `r` (selected with ACCOUNT_USER_COLUMNS from column
 * `col0` on) into *u, strings from `arena`. 0, AXR_ENOMEM or AXR_EINTERNAL. */
int account__user_from_row(axr_db_result_t *r, int row, int col0, axr_arena_t *arena, account_user_t *u);

/* `us` microseconds since the epoch as timestamptz text for a parameter
 * ("2024-10-02 02:01:25.236000+00"): into `out` (0 or AXR_EINVAL), or
 * from `arena` (NULL on no memory or a bad time). */
#define ACCOUNT_TS_TEXT 48
int account__ts_buf(int64_t us, char out[ACCOUNT_TS_TEXT]);
char *account__ts(axr_arena_t *arena, int64_t us);

/* The roles as a JSON array text, from `arena` (NULL on no memory). */
char *account__roles_json(axr_arena_t *arena, const char *const *roles, size_t n);

/* Maps a unique violation on "user" to the property: "/name", "/email",
 * or NULL when the constraint is not one of them. */
const char *account__unique_field(const axr_db_t *db);

/* Sets *problem (when not NULL) and returns `rc`. */
int account__fail(account_problem_t *problem, int rc, const char *field, const char *message);

/* Lower-cases an e-mail address into `arena`; NULL when it is not a
 * plausible address (one '@', no spaces or controls, <= 254 bytes). */
char *account__email_normalize(axr_arena_t *arena, const char *email);

/* SHA-256 of `len` bytes as bytea text ("\\x" + hex) into `out`. */
void account__hash_text(const void *data, size_t len, char out[ACCOUNT_HASH_TEXT]);

/* ---- users (users.c) ---- */

typedef struct account__new_user {
	const char *name;
	const char *email;       /* normalized, or NULL */
	const char *given_name;
	const char *family_name;
	const char *locale;
	const char *const *roles;
	size_t nroles;
	bool guest;
} account__new_user_t;

/* Inserts a user (version 0, dates and last_login now, not verified) and
 * reads it back into *out. AXR_EEXISTS names "/name" or "/email" in
 * `problem`; other axr_db_exec errors. */
int account__user_insert(account_t *acc, axr_db_t *db, axr_arena_t *arena, const account__new_user_t *nu,
                         account_user_t *out, account_problem_t *problem);

/* Stores the password hash of `uid` (insert or replace). */
int account__password_store(account_t *acc, axr_db_t *db, axr_arena_t *arena, const char *uid, const char *hash);

/* ---- passwords (password.c) ---- */

/* Checks the password rules (>= 8 code points, <= 1024 bytes, valid UTF-8).
 * 0 or AXR_EVALIDATION with problem->field "/password". */
int account__password_rules(const char *password, account_problem_t *problem);

/* argon2id with the configured limits into `out` (crypto_pwhash_STRBYTES).
 * 0, AXR_ENOMEM (libsodium could not get the memory). */
int account__password_hash(const account_t *acc, const char *password, char *out);

/* Constant-time check of `password` against `hash` (libsodium); when
 * `hash` is NULL the dummy hash is checked (same cost) and false returned. */
bool account__password_verify(const account_t *acc, const char *hash, const char *password);

/* true when `hash` was made with other limits than the configured ones. */
bool account__password_needs_rehash(const account_t *acc, const char *hash);

/* ---- tokens (tokens.c) ---- */

/*
 * Starts a refresh token family for `user_uid` (one statement, so it is
 * atomic inside or outside a transaction): a new family, its first token.
 * *refresh receives the token text from `arena`, *expires_in its lifetime.
 */
int account__refresh_start(account_t *acc, axr_db_t *db, const char *user_uid, axr_arena_t *arena,
                           const char **refresh, int64_t *expires_in);

/* Fills out->token/expires_in for out->user (already set) by signing. */
int account__session_sign(const account_t *acc, axr_arena_t *arena, account_session_t *out);

/* Deletes families expired or revoked over a day ago and tokens expired
 * over a day ago, in batches; *removed += rows. */
int account__refresh_cleanup(account_t *acc, axr_db_t *db, axr_arena_t *arena, long *removed);

/* ---- lockout (lockout.c) ---- */

typedef struct account__attempt {
	char id[24];       /* the attempt's row id, "" when none was recorded */
} account__attempt_t;

/*
 * Records an attempt for `account_key` from `addr` (may be NULL) and
 * checks the limits (see account_login_password). 0 when the attempt may
 * go on (*a holds its row); AXR_ETOOMANY (row withdrawn, retry_after set)
 * or a database error.
 */
int account__attempt_begin(account_t *acc, axr_db_t *db, const char *account_key, const char *addr,
                           axr_arena_t *arena, account__attempt_t *a, account_problem_t *problem);

/* After a success: deletes the account's attempts (its row included). */
int account__attempt_succeeded(account_t *acc, axr_db_t *db, const char *account_key);

/* Deletes attempts older than the retention; *removed += rows. */
int account__attempt_cleanup(account_t *acc, axr_db_t *db, long *removed);

#endif
