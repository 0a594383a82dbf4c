/* auth.c: authenticating requests with the platform's access tokens. */
#include "auth.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "err.h"
#include "jwks.h"
#include "jwt_cache.h"
#include "log.h"

/* The verifier and cache in use. A JWKS refresh builds new ones and swaps
 * the pointer; replaced ones are kept until shutdown (rotations are rare
 * and a request may still hold the old pointer). */
typedef struct axr__verif {
	axr_jwt_verifier_t *verifier;
	axr_jwt_cache_t *cache;
	struct axr__verif *older;
} axr__verif_t;

static struct {
	_Atomic(axr__verif_t *) current;
	pthread_t fetcher;
	int fetching;
	atomic_int stop;
	const axr_config_t *cfg;
	char *jwks_text; /* the last document applied, to skip unchanged ones */
} axr__auth;

#define AXR__JWKS_REFRESH_S 300

/* Builds a verifier (and cache) for `keys` and makes it the current one. */
static int axr__install(const axr_config_t *cfg, const axr_jwks_t *keys)
{
	axr_jwt_alg_t alg;
	if (axr_jwt_alg_parse(cfg->jwt_alg == 0 ? "RS256" : "ES256", &alg) != 0)
		return AXR_ECONFIG;
	axr__verif_t *v = calloc(1, sizeof(*v));
	if (v == NULL)
		return AXR_ENOMEM;
	axr_jwt_verifier_config_t vc;
	axr_jwt_verifier_config_init(&vc);
	vc.alg = alg;
	vc.issuer = cfg->jwt_issuer;
	vc.audience = cfg->jwt_audience;
	vc.leeway = (int)(cfg->jwt_leeway_ms / 1000);
	vc.keys = keys;
	int rc = axr_jwt_verifier_new(&vc, &v->verifier);
	if (rc == 0 && cfg->jwt_cache_entries > 0) {
		axr_jwt_cache_config_t cc;
		axr_jwt_cache_config_init(&cc);
		cc.capacity = (size_t)cfg->jwt_cache_entries;
		rc = axr_jwt_cache_new(v->verifier, &cc, &v->cache);
	}
	if (rc != 0) {
		axr_jwt_cache_free(v->cache);
		axr_jwt_verifier_free(v->verifier);
		free(v);
		return rc;
	}
	v->older = atomic_load(&axr__auth.current);
	atomic_store(&axr__auth.current, v);
	return 0;
}

/* One key from a PEM file (a private key serves its public half). */
static int axr__install_file(const axr_config_t *cfg, const char *path, const char *var)
{
	axr_jwk_t *key = NULL;
	axr_jwks_t *keys = NULL;
	int rc = axr_jwk_from_file(path, NULL, &key);
	if (rc != 0) {
		axr_log_error("%s: cannot load a key from '%s': %s", var, path, axr_strerror(rc));
		return AXR_ECONFIG;
	}
	if ((rc = axr_jwks_new(&keys)) == 0 && (rc = axr_jwks_add(keys, key)) == 0) {
		key = NULL; /* owned by the set */
		rc = axr__install(cfg, keys);
		if (rc != 0)
			axr_log_error("%s: the key does not fit AXR_JWT_ALG: %s", var, axr_strerror(rc));
	}
	axr_jwk_free(key);
	axr_jwks_free(keys);
	return rc == AXR_ENOMEM ? rc : rc != 0 ? AXR_ECONFIG : 0;
}

/* Fetches the JWKS once; installs it when it changed. 0 or an error code. */
static int axr__fetch_jwks(void)
{
	const axr_config_t *cfg = axr__auth.cfg;
	const char *url = cfg->jwt_jwks_url;
	const char *path = strchr(url + strlen("http://"), '/');
	char base[512];
	size_t blen = path ? (size_t)(path - url) : strlen(url);
	if (blen >= sizeof(base))
		return AXR_ECONFIG;
	memcpy(base, url, blen);
	base[blen] = '\0';
	axr_client_options_t co = {.base_url = base, .connect_timeout_ms = 2000, .timeout_ms = 5000,
	                           .pool_size = -1, .max_response = 1 << 20};
	axr_client_t *c = NULL;
	axr_arena_t *arena = axr_arena_new(0);
	int rc = arena ? axr_client_new(&co, &c) : AXR_ENOMEM;
	if (rc == 0) {
		axr_client_request_t rq = {.method = AXR_HTTP_GET, .target = path ? path : "/", .anonymous = true};
		axr_client_response_t resp;
		axr_client_error_t err;
		rc = axr_client_send(c, &rq, NULL, arena, &resp, &err);
		if (rc == 0 && resp.status != 200)
			rc = AXR_EUNAVAILABLE;
		if (rc == 0 && (axr__auth.jwks_text == NULL || strcmp(axr__auth.jwks_text, resp.body) != 0)) {
			axr_jwks_t *keys = NULL;
			rc = axr_jwks_parse(resp.body, resp.body_len, &keys);
			size_t nkeys = rc == 0 ? axr_jwks_count(keys) : 0;
			if (rc == 0)
				rc = axr__install(cfg, keys);
			axr_jwks_free(keys);
			if (rc == 0) {
				free(axr__auth.jwks_text);
				axr__auth.jwks_text = strdup(resp.body);
				axr_log_info("AXR_JWT_JWKS_URL: %zu verification key(s) loaded", nkeys);
			}
		}
	}
	axr_client_free(c);
	axr_arena_free(arena);
	return rc;
}

/* Keeps the keys current: retries with backoff until the first document
 * arrives (the account service may start later), then refreshes it every
 * few minutes so a key rotation reaches every service. */
static void *axr__fetcher_main(void *arg)
{
	(void)arg;
	long wait_ms = 250;
	while (!atomic_load(&axr__auth.stop)) {
		int rc = axr__fetch_jwks();
		if (rc == 0) {
			wait_ms = AXR__JWKS_REFRESH_S * 1000L;
		} else {
			axr_log_warn("AXR_JWT_JWKS_URL: cannot load the keys (%s); retrying", axr_strerror(rc));
			wait_ms = atomic_load(&axr__auth.current) ? AXR__JWKS_REFRESH_S * 1000L / 10
			                                          : (wait_ms * 2 > 30000 ? 30000 : wait_ms * 2);
		}
		for (long slept = 0; slept < wait_ms && !atomic_load(&axr__auth.stop); slept += 100) {
			struct timespec ts = {0, 100 * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

int axr_auth_init(const axr_config_t *cfg)
{
	axr__auth.cfg = cfg;
	if (cfg->jwt_public_key != NULL && *cfg->jwt_public_key != '\0')
		return axr__install_file(cfg, cfg->jwt_public_key, "AXR_JWT_PUBLIC_KEY");
	/* The account service holds the signing key: its public half verifies. */
	const char *priv = getenv("AXR_JWT_PRIVATE_KEY");
	if (priv != NULL && *priv != '\0' && (cfg->jwt_jwks_url == NULL || *cfg->jwt_jwks_url == '\0'))
		return axr__install_file(cfg, priv, "AXR_JWT_PRIVATE_KEY");
	if (cfg->jwt_jwks_url != NULL && *cfg->jwt_jwks_url != '\0') {
		atomic_store(&axr__auth.stop, 0);
		if (pthread_create(&axr__auth.fetcher, NULL, axr__fetcher_main, NULL) != 0)
			return AXR_ENOMEM;
		axr__auth.fetching = 1;
		return 0;
	}
	axr_log_warn("no AXR_JWT_PUBLIC_KEY nor AXR_JWT_JWKS_URL: requests that need a token will get 401");
	return 0;
}

void axr_auth_shutdown(void)
{
	if (axr__auth.fetching) {
		atomic_store(&axr__auth.stop, 1);
		pthread_join(axr__auth.fetcher, NULL);
		axr__auth.fetching = 0;
	}
	axr__verif_t *v = atomic_exchange(&axr__auth.current, NULL);
	while (v) {
		axr__verif_t *older = v->older;
		axr_jwt_cache_free(v->cache);
		axr_jwt_verifier_free(v->verifier);
		free(v);
		v = older;
	}
	free(axr__auth.jwks_text);
	axr__auth.jwks_text = NULL;
}

int axr_auth_verify_token(const char *token, size_t len, axr_arena_t *arena, axr_jwt_claims_t *claims,
                          const char **reason)
{
	axr__verif_t *v = atomic_load(&axr__auth.current);
	if (v == NULL) {
		*reason = "no verification key available";
		return AXR_EUNAUTHORIZED;
	}
	if (v->cache)
		return axr_jwt_cache_verify(v->cache, token, len, arena, claims, reason);
	return axr_jwt_verify(v->verifier, token, len, arena, claims, reason);
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
