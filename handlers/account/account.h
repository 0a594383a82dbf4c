/* account.h: the account service's business logic in plain C: users, passwords, log-ins, refresh tokens, lockout. */
#ifndef AXR_ACCOUNT_H
#define AXR_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "db.h"
#include "jwks.h"
#include "jwt.h"

#include "config.h"

/*
 * The generated handlers of spec/account.yaml (account_<x-name>, taking the
 * typed protobuf-c input) are thin adapters over these functions: they copy
 * the input into the plain structs below, call the core with the worker's
 * database handle and the request's arena, and copy the result out. Nothing
 * here knows HTTP or protobuf. The names below never take the form of a
 * generated handler (account_<x-name>: account_register, account_logout,
 * account_find_user, ...), so both live in one binary.
 *
 * Conventions of every function below:
 *   - returns 0 or a negative AXR_E* code; the HTTP status is
 *     axr_err_http_status() of it: AXR_EVALIDATION 400, AXR_EUNAUTHORIZED 401,
 *     AXR_ENOTFOUND 404, AXR_EEXISTS and AXR_ECONFLICT 409, AXR_ETOOMANY 429,
 *     AXR_EUNAVAILABLE/AXR_ETIMEOUT 503, others 500;
 *   - `problem` (may be NULL) says which property and why, in words a client
 *     may see, and the Retry-After of AXR_ETOOMANY; it never carries SQL,
 *     server messages or secrets;
 *   - every string of a result is allocated from `arena` (the request's);
 *     the caller frees nothing;
 *   - `db` is the calling worker's handle; statements are prepared once per
 *     connection; writes that belong together run in one transaction.
 * An account_t is immutable after account_new(): every worker shares one.
 */

typedef struct account account_t;

/* Microseconds since the Unix epoch. Tests inject their own clock. */
typedef int64_t (*account_clock_fn)(void *ctx);

/* Which property was wrong, and when to retry. */
typedef struct account_problem {
	const char *field;   /* JSON Pointer into the request body ("/email"), or NULL */
	const char *message; /* short text safe for the client, or NULL */
	int retry_after;     /* seconds, set with AXR_ETOOMANY */
} account_problem_t;

/* The caller of an operation, from its verified access token. */
typedef struct account_caller {
	const char *uid; /* NULL for anonymous callers */
	bool admin;      /* holds the "admin" role (trusted) */
} account_caller_t;

/* A user as the API shows it (never any secret). Dates are RFC 3339 UTC
 * with microseconds ("2024-10-02T02:01:25.236000Z"); NULL when absent. */
typedef struct account_user {
	const char *uid;
	const char *date_created;
	const char *date_modified;
	int64_t version;
	const char *name;
	const char *email;       /* lower case; NULL for guests */
	const char *given_name;
	const char *family_name;
	const char *locale;
	const char **roles;      /* nroles names */
	size_t nroles;
	bool verified_email;
	bool verified_phone;
	bool guest;
	const char *last_login;
} account_user_t;

/* What sign-up and every log-in answer (AcceleratXR's NewUser). */
typedef struct account_session {
	const char *token;          /* the signed access token (JWT) */
	int expires_in;             /* its lifetime in seconds */
	const char *refresh;        /* the opaque refresh token (43 base64url chars) */
	int64_t refresh_expires_in; /* seconds until the refresh token expires */
	account_user_t user;
} account_session_t;

/* ---- the context ----------------------------------------------------- */

/*
 * Builds the context from `cfg` (copied, strings too): loads the signing
 * key from cfg->jwt_private_key (its algorithm must be cfg->alg), builds
 * the signer and the JWKS document (the signing key's public half plus
 * cfg->jwt_published_keys), checks the KDF limits against libsodium's and
 * computes the dummy hash that unknown logins are checked against (one KDF
 * run). Initialises libsodium.
 * Errors: AXR_ECONFIG (no key, unreadable or unsuitable key, wrong alg,
 * bad kid, bad TTLs or KDF limits; logged with the variable's name),
 * AXR_EINVAL, AXR_ENOMEM, AXR_EINTERNAL (libsodium). *out is NULL on error.
 * Free with account_free().
 */
int account_new(const account_config_t *cfg, account_t **out);

/* Frees the context (wiping the key copy). NULL is a no-op. */
void account_free(account_t *acc);

/* Replaces the clock (default: CLOCK_REALTIME). For tests; call before
 * any worker uses `acc`. */
void account_set_clock(account_t *acc, account_clock_fn fn, void *ctx);

/* The context's current time in microseconds since the epoch. */
int64_t account_now(const account_t *acc);

/* The settings the context was built with. */
const account_config_t *account_config(const account_t *acc);

/* The JWKS document served by GET /auth/keys (NUL-terminated, owned by
 * `acc`); *len (may be NULL) receives its length. */
const char *account_jwks(const account_t *acc, size_t *len);

/* The signing key (its public half verifies what account_issue signs). */
const axr_jwk_t *account_signing_key(const account_t *acc);

/* ---- start-up -------------------------------------------------------- */

/*
 * Creates the admin account cfg->admin_name / cfg->admin_password with the
 * role "admin" (and the role "admin" itself) when no user has that name.
 * Idempotent and safe with several replicas starting at once (an advisory
 * lock serialises them; the loser finds the row). When the name is already
 * taken by a user WITHOUT the admin role, nothing is granted and
 * AXR_ECONFIG is returned (start-up must stop: someone else owns the name).
 * An existing admin's password is left alone (change it through the API).
 * Returns 0 (also when no admin is configured), AXR_ECONFIG (password
 * missing or shorter than 8 characters, bad name, name taken), or a
 * database error. *created (may be NULL) is true when this call created it.
 */
int account_bootstrap_admin(account_t *acc, axr_db_t *db, bool *created);

/*
 * Makes what the account service needs beside the generated tables: a unique
 * index on lower(name), so that names are unique whatever their case ("Alice"
 * and "alice" are one login; the name keeps the case it was given). Run at
 * start-up after the migrations (replicas one after the other). Returns 0;
 * AXR_ECONFLICT when names differing only in case already exist (logged with
 * what to do), or the database's error.
 */
int account_schema_ensure(axr_db_t *db);

/* ---- sign-up and log-in ---------------------------------------------- */

typedef struct account_registration {
	const char *name;        /* ^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$ */
	const char *email;       /* stored in lower case */
	const char *password;    /* >= 8 characters (code points), <= 1024 bytes */
	const char *given_name;  /* optional (NULL) */
	const char *family_name;
	const char *locale;
} account_registration_t;

/*
 * Registers a user (roles [], not verified) and logs it in. The password is
 * hashed with argon2id before the transaction; the user, its password hash
 * and the new refresh token family are written in one transaction.
 * Errors: AXR_EVALIDATION (bad name, e-mail or password; problem->field
 * names it), AXR_EEXISTS (name or e-mail taken; problem->field is "/name"
 * or "/email"), database errors, AXR_EINTERNAL (signing).
 */
int account_user_register(account_t *acc, axr_db_t *db, const account_registration_t *reg, axr_arena_t *arena,
                     account_session_t *out, account_problem_t *problem);

/*
 * Logs in with a password. `login` is a name or, when it contains '@', an
 * e-mail address (compared in lower case). `client_addr` is the caller's
 * address as the gateway reports it (NULL or "" skips the per-address
 * limit).
 *
 * Lockout: the attempt is recorded first (a row in account_login_attempt,
 * keyed by the user's uid, or by "login:<login>" when no user matches, and
 * by the address); when the rows of that account within the window exceed
 * login_max_account, or those of the address exceed login_max_address, the
 * attempt is withdrawn and AXR_ETOOMANY returned with problem->retry_after
 * (seconds until the oldest counted failure leaves the window) before any
 * password is checked. A success deletes the account's rows; a failure
 * leaves its row. Every replica counts the same rows, and concurrent
 * attempts see each other, so a burst cannot check more passwords than the
 * limit allows.
 *
 * An unknown login is checked against a dummy hash of the same cost, so it
 * takes as long as a wrong password and gives the same AXR_EUNAUTHORIZED.
 * A hash made with weaker KDF limits than configured is replaced on a
 * successful log-in.
 * Errors: AXR_EUNAUTHORIZED, AXR_ETOOMANY, AXR_EVALIDATION (empty or
 * oversized login/password), database errors.
 */
int account_login_password(account_t *acc, axr_db_t *db, const char *login, const char *password,
                           const char *client_addr, axr_arena_t *arena, account_session_t *out,
                           account_problem_t *problem);

/*
 * Logs in with a device id (16..256 of [A-Za-z0-9._~:-]). The first use
 * creates a guest account (name "guest-<16 hex>", no e-mail, no password,
 * guest = true) linked to SHA-256(device id) and sets *created; later uses
 * log in to that account. Concurrent first uses of one device create one
 * account (the loser retries and logs in).
 * Errors: AXR_EVALIDATION (malformed id), database errors.
 */
int account_login_device(account_t *acc, axr_db_t *db, const char *device_id, axr_arena_t *arena,
                         account_session_t *out, bool *created, account_problem_t *problem);

/*
 * Trades refresh token `refresh` for a new pair. The presented token is
 * used up (rotation); its child joins the same family. Presenting a token
 * that was already used (a stolen copy, or its rightful owner after the
 * thief) revokes the whole family (every token of that log-in, used or
 * not) and answers AXR_EUNAUTHORIZED. Unknown, expired or revoked tokens,
 * and tokens of deleted users, answer AXR_EUNAUTHORIZED too. The access
 * token carries the user's current name and roles.
 * *reused (may be NULL) is set when this call revoked a family for reuse.
 */
int account_session_refresh(account_t *acc, axr_db_t *db, const char *refresh, axr_arena_t *arena,
                    account_session_t *out, bool *reused);

/* Revokes the family of `refresh` (log-out). Unknown, malformed and
 * already revoked tokens succeed too (RFC 7009). Returns 0 or a database
 * error. */
int account_session_revoke(account_t *acc, axr_db_t *db, const char *refresh);

/*
 * Signs an access token for `user` (sub = uid; profile {uid, name, roles};
 * iat = now; exp = now + the access TTL; a random jti) into *token (from
 * `arena`) and its lifetime in seconds into *expires_in (may be NULL).
 * Errors: AXR_EINVAL, AXR_ENOMEM, AXR_EINTERNAL.
 */
int account_issue_access_token(const account_t *acc, const account_user_t *user, axr_arena_t *arena,
                               char **token, int *expires_in);

/* ---- users ----------------------------------------------------------- */

/*
 * The user `id` (a uid, a name, or "me" for the caller). A caller who is
 * not an admin only finds itself: any other id is AXR_ENOTFOUND, exactly
 * like an unknown one. Anonymous callers get AXR_EUNAUTHORIZED.
 */
int account_user_get(account_t *acc, axr_db_t *db, const account_caller_t *caller, const char *id,
                     axr_arena_t *arena, account_user_t *out);

/* PUT /users/{id}: every has_* flag says the property is in the body. For
 * the nullable strings a NULL value with its flag set clears it. */
typedef struct account_user_update {
	bool has_version;        /* required: the version the caller read, from */
	int64_t version;         /* If-Match: "<n>" or ?version= */
	const char *name;        /* NULL: unchanged */
	bool has_email;
	const char *email;
	bool has_given_name;
	const char *given_name;
	bool has_family_name;
	const char *family_name;
	bool has_locale;
	const char *locale;
	bool has_roles;
	const char *const *roles;
	size_t nroles;
	bool has_verified_email;
	bool verified_email;
	bool has_verified_phone;
	bool verified_phone;
} account_user_update_t;

/*
 * Updates user `id` (uid, name or "me") with the properties present in
 * `upd`, checking the version, in one transaction. Rules, in order:
 * no version is AXR_EVALIDATION ("/version");
 * a non-admin may only update itself (another id: AXR_ENOTFOUND); a
 * non-admin whose body would change roles or verified gets AXR_EVALIDATION
 * (problem->field "/roles" or "/verified"; sending the current value is
 * accepted); a stale version is AXR_ECONFLICT ("/version"); a new e-mail
 * clears verified.email (unless an admin sets it in the same call); a taken
 * name or e-mail is AXR_EEXISTS naming it. Success increments version and
 * sets dateModified; *out is the updated user.
 */
int account_user_update(account_t *acc, axr_db_t *db, const account_caller_t *caller, const char *id,
                        const account_user_update_t *upd, axr_arena_t *arena, account_user_t *out,
                        account_problem_t *problem);

/*
 * Deletes user `id` (uid or name) with its password hash, devices, refresh
 * token families and login attempts, in one transaction. Admins only
 * (AXR_EFORBIDDEN otherwise). AXR_ENOTFOUND when there is no such user.
 */
int account_user_delete(account_t *acc, axr_db_t *db, const account_caller_t *caller, const char *id);

/* ---- housekeeping ---------------------------------------------------- */

/*
 * Deletes login attempts older than the window (at least an hour back),
 * and refresh token families that expired or were revoked more than a day
 * ago (their tokens go with them), in bounded batches. Log-ins run it now
 * and then by themselves; a service may also call it from a timer. Safe on
 * every replica at once. *removed (may be NULL) receives the rows deleted
 * (attempts, families and tokens; not the tokens deleted with a family).
 */
int account_cleanup(account_t *acc, axr_db_t *db, long *removed);

/* ---- rules shared with the adapters ---------------------------------- */

/* true when `name` matches ^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$. */
bool account_name_valid(const char *name);

/* true when `role` matches ^[a-z][a-z0-9_-]{0,31}$ (RoleName). */
bool account_role_name_valid(const char *role);

/* true when `s` is a canonical lower- or upper-case UUID text (8-4-4-4-12). */
bool account_uuid_valid(const char *s);

#endif
