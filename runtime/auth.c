/* auth.c: authenticating requests with the platform's access tokens. */
#include "auth.h"

#include <string.h>

#include "err.h"
#include "jwks.h"
#include "jwt_cache.h"
#include "log.h"

static struct {
	axr_jwt_verifier_t *verifier;
	axr_jwt_cache_t *cache;
	int warned;
} axr__auth;

int axr_auth_init(const axr_config_t *cfg)
{
	axr_jwks_t *keys = NULL;
	axr_jwk_t *key = NULL;
	int rc = 0;
	if (cfg->jwt_public_key == NULL || *cfg->jwt_public_key == '\0') {
		axr_log_warn("AXR_JWT_PUBLIC_KEY is not set: requests that need a token will get 401");
		return 0;
	}
	rc = axr_jwk_from_file(cfg->jwt_public_key, NULL, &key);
	if (rc != 0) {
		axr_log_error("AXR_JWT_PUBLIC_KEY: cannot load a public key from '%s': %s", cfg->jwt_public_key,
		              axr_strerror(rc));
		return AXR_ECONFIG;
	}
	axr_jwt_alg_t alg;
	if (axr_jwt_alg_parse(cfg->jwt_alg == 0 ? "RS256" : "ES256", &alg) != 0) {
		rc = AXR_ECONFIG;
		goto fail;
	}
	if ((rc = axr_jwks_new(&keys)) != 0)
		goto fail;
	if ((rc = axr_jwks_add(keys, key)) != 0)
		goto fail;
	key = NULL; /* owned by the set now */
	axr_jwt_verifier_config_t vc;
	axr_jwt_verifier_config_init(&vc);
	vc.alg = alg;
	vc.issuer = cfg->jwt_issuer;
	vc.audience = cfg->jwt_audience;
	vc.leeway = (int)(cfg->jwt_leeway_ms / 1000);
	vc.keys = keys;
	if ((rc = axr_jwt_verifier_new(&vc, &axr__auth.verifier)) != 0) {
		axr_log_error("AXR_JWT_PUBLIC_KEY: the key does not fit AXR_JWT_ALG=%s: %s", axr_jwt_alg_name(alg),
		              axr_strerror(rc));
		goto fail;
	}
	if (cfg->jwt_cache_entries > 0) {
		axr_jwt_cache_config_t cc;
		axr_jwt_cache_config_init(&cc);
		cc.capacity = (size_t)cfg->jwt_cache_entries;
		if ((rc = axr_jwt_cache_new(axr__auth.verifier, &cc, &axr__auth.cache)) != 0)
			goto fail;
	}
	axr_jwks_free(keys);
	return 0;
fail:
	axr_jwk_free(key);
	axr_jwks_free(keys);
	axr_auth_shutdown();
	return rc == AXR_ENOMEM ? rc : AXR_ECONFIG;
}

void axr_auth_shutdown(void)
{
	axr_jwt_cache_free(axr__auth.cache);
	axr_jwt_verifier_free(axr__auth.verifier);
	memset(&axr__auth, 0, sizeof(axr__auth));
}

int axr_auth_verify_token(const char *token, size_t len, axr_arena_t *arena, axr_jwt_claims_t *claims,
                          const char **reason)
{
	if (axr__auth.verifier == NULL) {
		*reason = "no verification key configured";
		return AXR_EUNAUTHORIZED;
	}
	if (axr__auth.cache)
		return axr_jwt_cache_verify(axr__auth.cache, token, len, arena, claims, reason);
	return axr_jwt_verify(axr__auth.verifier, token, len, arena, claims, reason);
}

int axr_auth_request(axr_request_t *req, bool required, bool allow_query)
{
	const char *token = NULL;
	size_t len = 0;
	const char *header = axr_request_header(req, "Authorization");
	if (header != NULL) {
		if (axr_jwt_from_bearer(header, strlen(header), &token, &len) != 0) {
			req->error_reason = "malformed Authorization header";
			return AXR_EUNAUTHORIZED;
		}
	} else if (allow_query && req->query != NULL &&
	           axr_jwt_from_query(req->query, strlen(req->query), &token, &len) != 0) {
		token = NULL;
	}
	if (token == NULL)
		return required ? (req->error_reason = "no token", AXR_EUNAUTHORIZED) : 0;

	axr_jwt_claims_t *claims = axr_arena_calloc(req->arena, 1, sizeof(*claims));
	if (claims == NULL)
		return AXR_ENOMEM;
	const char *reason = NULL;
	if (axr_auth_verify_token(token, len, req->arena, claims, &reason) != 0) {
		req->error_reason = reason;
		return AXR_EUNAUTHORIZED;
	}
	req->auth = claims;
	req->user_uid = claims->profile.uid ? claims->profile.uid : claims->sub;
	return 0;
}

const axr_jwt_claims_t *axr_request_claims(const axr_request_t *req)
{
	return req->auth;
}

bool axr_request_has_role(const axr_request_t *req, const char *role)
{
	return req->auth != NULL && axr_jwt_has_role(req->auth, role);
}

bool axr_request_trusted(const axr_request_t *req)
{
	return axr_request_has_role(req, "admin");
}
