/* config.h: the account service's own settings (AXR_JWT_PRIVATE_KEY, token lifetimes, KDF cost, lockout, admin). */
#ifndef AXR_ACCOUNT_CONFIG_H
#define AXR_ACCOUNT_CONFIG_H

#include <stddef.h>

#include "runtime/config.h"

/*
 * Loaded from the environment by axr_config_load() with the table below,
 * like the runtime's own settings (the service passes it as
 * axr_service_def_t.config_vars). Issuer, audience and algorithm are not
 * repeated here: the signer uses the runtime's AXR_JWT_ISSUER,
 * AXR_JWT_AUDIENCE and AXR_JWT_ALG, the very values every verifier checks
 * (account_config_from_runtime copies them).
 */
typedef struct account_config {
	const char *jwt_private_key; /* AXR_JWT_PRIVATE_KEY: PEM file of the signing key (required) */
	const char *jwt_kid;         /* AXR_JWT_KID: its kid ("" = RFC 7638 thumbprint) */
	const char *jwt_published_keys; /* AXR_JWT_PUBLISHED_KEYS: more public PEM files for the
	                                 * JWKS, comma-separated (key rotation) */
	long access_ttl_ms;          /* AXR_ACCESS_TOKEN_TTL: 1s..15m, default 15m */
	long refresh_ttl_s;          /* AXR_REFRESH_TOKEN_TTL: seconds a refresh token lives unused */
	long refresh_family_ttl_s;   /* AXR_REFRESH_FAMILY_TTL: seconds a log-in lasts at most */
	long pwhash_opslimit;        /* AXR_PWHASH_OPSLIMIT: argon2id passes (t) */
	long pwhash_memlimit;        /* AXR_PWHASH_MEMLIMIT: argon2id memory in bytes (m) */
	long login_max_account;      /* AXR_LOGIN_MAX_FAILURES_ACCOUNT: failures per account per window */
	long login_max_address;      /* AXR_LOGIN_MAX_FAILURES_ADDRESS: failures per client address */
	long login_window_ms;        /* AXR_LOGIN_WINDOW */
	const char *admin_name;      /* AXR_ADMIN_NAME: bootstrap admin ("" = none) */
	const char *admin_password;  /* AXR_ADMIN_PASSWORD (secret) */

	/* Not from this table: copied from the runtime's settings. */
	const char *issuer;          /* AXR_JWT_ISSUER */
	const char *audience;        /* AXR_JWT_AUDIENCE */
	int alg;                     /* axr_jwt_alg_t from AXR_JWT_ALG */
} account_config_t;

/* The table (its length is a constant, for static tables such as the service hooks; a
 * definition of another length does not compile). */
#define ACCOUNT_CONFIG_VAR_COUNT 13
extern const axr_config_var_t account_config_vars[ACCOUNT_CONFIG_VAR_COUNT];
extern const size_t account_config_var_count;

/* Loads `c` from the environment with the table (unset variables take their
 * defaults) and sets issuer and audience "axr", alg RS256 until
 * account_config_from_runtime() replaces them. Returns 0, or AXR_ECONFIG with
 * a message naming the variable in `err`. */
int account_config_load(account_config_t *c, char *err, size_t errlen);

/* Copies issuer, audience and alg from the runtime's settings into `c`. */
void account_config_from_runtime(account_config_t *c, const axr_config_t *rt);

#endif
