/* auth.h: authenticating requests with the platform's access tokens. */
#ifndef AXR_AUTH_H
#define AXR_AUTH_H

#include <stdbool.h>

#include "config.h"
#include "jwt.h"
#include "request.h"

/*
 * Every service verifies tokens itself (DESIGN.md, Auth): the public key
 * comes from AXR_JWT_PUBLIC_KEY (a PEM file), the accepted alg, issuer,
 * audience and leeway from the other AXR_JWT_* settings. Verified tokens
 * are cached (AXR_JWT_CACHE entries) so steady traffic pays no signature
 * check per request.
 *
 * One process serves one service, so the runtime keeps one authenticator;
 * axr_auth_init() sets it up at start-up.
 */

/* Loads the key and builds verifier and cache from `cfg`. With no key
 * configured, every request that needs a token is answered 401 (and a
 * warning is logged once). Returns 0, AXR_ECONFIG (unreadable or unsuitable
 * key: logged with the variable's name) or AXR_ENOMEM. */
int axr_auth_init(const axr_config_t *cfg);

/* Releases what axr_auth_init() built. */
void axr_auth_shutdown(void);

/*
 * Reads the token from `Authorization: Bearer ...` (or, when allowed, the
 * `jwt_token` query parameter used by websocket clients) and verifies it.
 * On success sets req->auth (an axr_jwt_claims_t in the request's arena)
 * and req->user_uid, and returns 0. Without a token returns 0 when
 * `required` is false (anonymous) and AXR_EUNAUTHORIZED otherwise; a token
 * that is present but invalid is always AXR_EUNAUTHORIZED (req->error_reason
 * says why, for the log only).
 */
int axr_auth_request(axr_request_t *req, bool required, bool allow_query);

/* The caller's claims, or NULL when anonymous. */
const axr_jwt_claims_t *axr_request_claims(const axr_request_t *req);

/* true when the caller's token carries `role`. */
bool axr_request_has_role(const axr_request_t *req, const char *role);

/* true when the caller is trusted: holds the "admin" role. Trusted callers
 * bypass row ownership (x-axr-owner). */
bool axr_request_trusted(const axr_request_t *req);

/* Verifies a raw token (e.g. a websocket LOGIN message) with the service's
 * authenticator; claims go to `arena`. 0 or AXR_EUNAUTHORIZED. */
int axr_auth_verify_token(const char *token, size_t len, axr_arena_t *arena, axr_jwt_claims_t *claims,
                          const char **reason);

#endif
