/* jwt.h: access-token verification and signing (hardened libjwt 1.10 wrapper). */
#ifndef AXR_JWT_H
#define AXR_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "jwks.h"

/*
 * libjwt 1.10 verifies a signature and nothing else, and has holes: it
 * accepts `alg:none` (any case) when no key is passed, verifies an HS256
 * token with an RSA *public key* as the HMAC secret, silently skips the
 * signature of an RS256 token decoded without a key, alloca()s each segment
 * and checks no claim. This wrapper parses and checks the token itself
 * before libjwt sees it and validates every claim itself; see docs/auth.md.
 *
 * Every rejected token gives AXR_EUNAUTHORIZED (the only code a client
 * sees); `*reason` then points to a short static string for logs only
 * (e.g. "token expired"), never to be sent to a client.
 */

#define AXR_JWT_MAX_TOKEN 4096      /* longest token accepted, in bytes */
#define AXR_JWT_DEFAULT_LEEWAY 60   /* seconds of clock skew allowed */
#define AXR_JWT_MAX_ROLES 32        /* most roles in profile.roles */
#define AXR_JWT_MAX_CLAIM_STRING 256 /* longest sub, jti, uid, name or role */
#define AXR_JWT_DEFAULT_TTL 900     /* signer: access tokens live 15 min */
#define AXR_JWT_TIME_MAX INT64_C(253402300799) /* latest exp/nbf/iat: 9999-12-31 */

/* The AXR profile claim: `"profile": {"uid": .., "name": .., "roles": [..]}`. */
typedef struct axr_jwt_profile {
	const char *uid;   /* NULL when absent */
	const char *name;  /* NULL when absent */
	const char **roles; /* nroles strings; NULL when nroles == 0 */
	size_t nroles;
} axr_jwt_profile_t;

/* The claims the platform uses. Strings are NUL-terminated, valid UTF-8 and
 * contain no NUL; their owner is stated by the function that fills them. */
typedef struct axr_jwt_claims {
	const char *sub; /* required when verifying */
	const char *jti; /* NULL when absent */
	int64_t exp;     /* seconds since the epoch */
	int64_t iat;     /* 0 when absent */
	axr_jwt_profile_t profile;
} axr_jwt_claims_t;

typedef struct axr_jwt_verifier axr_jwt_verifier_t;
typedef struct axr_jwt_signer axr_jwt_signer_t;

typedef struct axr_jwt_verifier_config {
	axr_jwt_alg_t alg;     /* RS256 or ES256: the only alg accepted */
	const char *issuer;    /* required; `iss` must equal it exactly */
	const char *audience;  /* required; `aud` must be or contain it */
	int leeway;            /* seconds for exp/nbf/iat, 0..300 */
	const axr_jwks_t *keys; /* keys of `alg` are copied; others skipped */
	int require_kid;       /* reject tokens without `kid` even with one key */
} axr_jwt_verifier_config_t;

/* Fills `cfg` with defaults: no alg, leeway AXR_JWT_DEFAULT_LEEWAY, no kid
 * required, NULL strings and keys. */
void axr_jwt_verifier_config_init(axr_jwt_verifier_config_t *cfg);

/*
 * Creates a verifier from `cfg`, copying everything it needs (the key set
 * may be freed afterwards). The verifier is immutable: any number of threads
 * may call axr_jwt_verify() on it at once. To rotate keys, build a new
 * verifier and swap the pointer.
 * Errors: AXR_ECONFIG (bad alg, missing issuer/audience, leeway out of
 * range, no key of `alg`), AXR_EINVAL (NULL arguments), AXR_ENOMEM.
 */
int axr_jwt_verifier_new(const axr_jwt_verifier_config_t *cfg, axr_jwt_verifier_t **out);

/* Frees a verifier. NULL is a no-op. */
void axr_jwt_verifier_free(axr_jwt_verifier_t *v);

/*
 * Verifies the `len` bytes of `token` (no NUL needed) at time `now`
 * (seconds since the epoch). In order: size <= AXR_JWT_MAX_TOKEN, exactly
 * two dots, non-empty segments of strict base64url, header and payload are
 * strict JSON objects without duplicate member names, header `alg` equals
 * the configured alg exactly, `typ` (if any) is "JWT", no `crit`, `jku`,
 * `jwk`, `x5u`, `x5c`; `kid` (if any) is one of the configured kids; claims
 * `exp` (required integer; now < exp + leeway), `nbf` and `iat` (optional
 * integers; not after now + leeway), `iss`, `aud`, `sub` and `profile`;
 * then the signature, first by us with OpenSSL and the preloaded key (so a
 * forged token never reaches libjwt), then again through libjwt's
 * jwt_decode() with the same key, and jwt_get_alg() must be the configured
 * alg.
 * On success returns 0 and, when `claims` is not NULL, fills it with
 * strings allocated from `arena` (required then).
 * Errors: AXR_EUNAUTHORIZED for every bad token, AXR_EINVAL for NULL
 * arguments, AXR_ENOMEM. `reason` (may be NULL) receives a static string on
 * any error and NULL on success.
 */
int axr_jwt_verify_at(const axr_jwt_verifier_t *v, const char *token, size_t len, int64_t now,
		      axr_arena_t *arena, axr_jwt_claims_t *claims, const char **reason);

/* axr_jwt_verify_at() with now = time(NULL). */
int axr_jwt_verify(const axr_jwt_verifier_t *v, const char *token, size_t len,
		   axr_arena_t *arena, axr_jwt_claims_t *claims, const char **reason);

/* Returns 1 if profile.roles contains `role` (exact compare), else 0. */
int axr_jwt_has_role(const axr_jwt_claims_t *claims, const char *role);

/* Deep-copies `src` into `dst` with every string from `arena`.
 * Returns 0, AXR_EINVAL or AXR_ENOMEM. */
int axr_jwt_claims_copy(const axr_jwt_claims_t *src, axr_arena_t *arena, axr_jwt_claims_t *dst);

/*
 * Token sources. Both return 0 and point *token and *token_len into the input
 * (nothing is copied), or AXR_EUNAUTHORIZED when no well-formed token is
 * there. The token itself is verified later by axr_jwt_verify().
 *
 * axr_jwt_from_bearer(): `value` is an Authorization header value of the
 * form "Bearer <token>": scheme case-insensitive, exactly one space, token
 * made of [A-Za-z0-9_.-] only (no trailing spaces or other junk).
 *
 * axr_jwt_from_query(): `query` is a raw URL query string ("a=1&jwt_token=..")
 * without the '?'. Exactly one `jwt_token` parameter must be present and its
 * value is taken as-is (a JWT needs no percent-encoding, so any '%' or other
 * character outside [A-Za-z0-9_.-] is rejected).
 */
int axr_jwt_from_bearer(const char *value, size_t len, const char **token, size_t *token_len);
int axr_jwt_from_query(const char *query, size_t len, const char **token, size_t *token_len);

typedef struct axr_jwt_signer_config {
	const axr_jwk_t *key;  /* private RS256 or ES256 key; its kid goes in the header */
	const char *issuer;    /* required */
	const char *audience;  /* required */
	int ttl;               /* seconds, 1..86400; tokens get exp = iat + ttl */
} axr_jwt_signer_config_t;

/* Fills `cfg` with defaults: ttl AXR_JWT_DEFAULT_TTL, everything else NULL. */
void axr_jwt_signer_config_init(axr_jwt_signer_config_t *cfg);

/* Creates a signer, copying the key material. Thread-safe after creation.
 * Errors: AXR_ECONFIG (no private key, missing issuer/audience, bad ttl),
 * AXR_EINVAL, AXR_ENOMEM. */
int axr_jwt_signer_new(const axr_jwt_signer_config_t *cfg, axr_jwt_signer_t **out);

/* Frees a signer, wiping the private key copy. NULL is a no-op. */
void axr_jwt_signer_free(axr_jwt_signer_t *s);

/*
 * Signs an access token for `claims`: header {alg, typ:"JWT", kid}; payload
 * iss, aud, sub (required), iat (claims->iat, or now when 0), exp
 * (claims->exp, or iat + ttl when 0), jti (claims->jti, or a random UUIDv4
 * when NULL) and profile {uid, name, roles} when any of them is set.
 * On success *token is a NUL-terminated string from `arena`.
 * Errors: AXR_EINVAL (NULL arguments, missing sub, strings too long, too
 * many roles, exp <= iat), AXR_ETOOBIG (token over AXR_JWT_MAX_TOKEN),
 * AXR_ENOMEM, AXR_EINTERNAL (libjwt or OpenSSL failure).
 */
int axr_jwt_sign(const axr_jwt_signer_t *s, const axr_jwt_claims_t *claims, axr_arena_t *arena,
		 char **token);

/* ---- internal, shared with jwks.c (not for use outside the runtime) ---- */

struct json_object;

/* Adds `value` as member `name` of `obj`; on failure (including a NULL
 * `value`, from a failed json_object_new_*) frees `value` and returns
 * AXR_ENOMEM. */
int axr__json_add(struct json_object *obj, const char *name, struct json_object *value);

/* Checks that `len` bytes are one strict RFC 8259 JSON object: valid UTF-8,
 * no NUL (raw or \u0000), no lone surrogate escapes, nesting <= 16, and no
 * object anywhere with two members of the same (unescaped) name. Returns 0,
 * AXR_EPARSE or AXR_ENOMEM; *reason (may be NULL) says why. */
int axr__json_check_object(const char *json, size_t len, const char **reason);

#endif
