/* context.c: the account context: settings, signing key and signer, JWKS document, dummy hash, clock. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"

#include "account_internal.h"

static int64_t account__realtime(void *ctx)
{
	(void)ctx;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Copies cfg's strings into one block owned by acc. */
static int account__copy_config(account_t *acc, const account_config_t *cfg)
{
	const char **fields[] = {&acc->cfg.jwt_private_key, &acc->cfg.jwt_kid, &acc->cfg.jwt_published_keys,
	                         &acc->cfg.admin_name, &acc->cfg.admin_password, &acc->cfg.issuer,
	                         &acc->cfg.audience};
	size_t n = sizeof fields / sizeof fields[0], total = 0;

	acc->cfg = *cfg;
	for (size_t i = 0; i < n; i++)
		total += strlen(*fields[i] ? *fields[i] : "") + 1;
	acc->strings = malloc(total);
	if (!acc->strings)
		return AXR_ENOMEM;
	acc->strings_len = total;
	char *p = acc->strings;
	for (size_t i = 0; i < n; i++) {
		const char *s = *fields[i] ? *fields[i] : "";
		size_t len = strlen(s) + 1;
		memcpy(p, s, len);
		*fields[i] = p;
		p += len;
	}
	return 0;
}

/* Settings the table cannot check (callers may build cfg by hand). */
static int account__check_config(const account_config_t *c)
{
	const char *bad = NULL;

	if (!c->jwt_private_key || !*c->jwt_private_key)
		bad = "AXR_JWT_PRIVATE_KEY is not set: the account service needs the private signing key";
	else if (!c->issuer || !*c->issuer || !c->audience || !*c->audience)
		bad = "AXR_JWT_ISSUER and AXR_JWT_AUDIENCE must not be empty";
	else if (c->access_ttl_ms < 1000 || c->access_ttl_ms > 900000)
		bad = "AXR_ACCESS_TOKEN_TTL must be between 1s and 15m";
	else if (c->refresh_ttl_s < 60 || c->refresh_family_ttl_s < 60)
		bad = "AXR_REFRESH_TOKEN_TTL and AXR_REFRESH_FAMILY_TTL must be at least 60 seconds";
	else if ((unsigned long long)c->pwhash_opslimit < crypto_pwhash_OPSLIMIT_MIN ||
	         (unsigned long long)c->pwhash_opslimit > crypto_pwhash_OPSLIMIT_MAX)
		bad = "AXR_PWHASH_OPSLIMIT is outside libsodium's limits";
	else if ((size_t)c->pwhash_memlimit < crypto_pwhash_MEMLIMIT_MIN ||
	         (size_t)c->pwhash_memlimit > crypto_pwhash_MEMLIMIT_MAX)
		bad = "AXR_PWHASH_MEMLIMIT is outside libsodium's limits";
	else if (c->login_max_account < 1 || c->login_max_address < 1 || c->login_window_ms < 1000)
		bad = "AXR_LOGIN_MAX_FAILURES_* must be >= 1 and AXR_LOGIN_WINDOW >= 1s";
	if (bad) {
		axr_log_error("account: %s", bad);
		return AXR_ECONFIG;
	}
	return 0;
}

/* Loads the signing key, builds the signer and adds the key to acc->keys. */
static int account__load_signing_key(account_t *acc)
{
	const account_config_t *c = &acc->cfg;
	axr_jwk_t *key = NULL;
	int rc = axr_jwk_from_file(c->jwt_private_key, *c->jwt_kid ? c->jwt_kid : NULL, &key);

	if (rc != 0) {
		axr_log_error("account: AXR_JWT_PRIVATE_KEY (%s) or AXR_JWT_KID: %s", c->jwt_private_key,
		              axr_strerror(rc));
		return AXR_ECONFIG;
	}
	if (!axr_jwk_has_private(key) || axr_jwk_alg(key) != (axr_jwt_alg_t)c->alg) {
		axr_log_error("account: AXR_JWT_PRIVATE_KEY (%s) must be a private %s key (AXR_JWT_ALG)",
		              c->jwt_private_key, axr_jwt_alg_name((axr_jwt_alg_t)c->alg));
		axr_jwk_free(key);
		return AXR_ECONFIG;
	}
	axr_jwt_signer_config_t sc;
	axr_jwt_signer_config_init(&sc);
	sc.key = key;
	sc.issuer = c->issuer;
	sc.audience = c->audience;
	sc.ttl = (int)(c->access_ttl_ms / 1000);
	rc = axr_jwt_signer_new(&sc, &acc->signer);
	if (rc == 0)
		rc = axr_jwks_add(acc->keys, key);
	if (rc != 0) {
		axr_log_error("account: cannot use the signing key: %s", axr_strerror(rc));
		axr_jwk_free(key);
		return rc == AXR_ENOMEM ? rc : AXR_ECONFIG;
	}
	acc->key = key;
	return 0;
}

/* Adds the public keys of AXR_JWT_PUBLISHED_KEYS (comma-separated files). */
static int account__load_published_keys(account_t *acc)
{
	const char *p = acc->cfg.jwt_published_keys;

	while (*p) {
		size_t n = strcspn(p, ",");
		char path[4096];
		if (n == 0 || n >= sizeof path) {
			axr_log_error("account: AXR_JWT_PUBLISHED_KEYS: empty or overlong file name");
			return AXR_ECONFIG;
		}
		memcpy(path, p, n);
		path[n] = '\0';
		axr_jwk_t *key = NULL;
		int rc = axr_jwk_from_file(path, NULL, &key);
		if (rc == 0 && (rc = axr_jwks_add(acc->keys, key)) != 0)
			axr_jwk_free(key);
		if (rc != 0) {
			axr_log_error("account: AXR_JWT_PUBLISHED_KEYS: %s: %s", path, axr_strerror(rc));
			return rc == AXR_ENOMEM ? rc : AXR_ECONFIG;
		}
		p += n + (p[n] == ',');
	}
	return 0;
}

int account_new(const account_config_t *cfg, account_t **out)
{
	account_t *acc = NULL;
	int rc;

	if (!cfg || !out)
		return AXR_EINVAL;
	*out = NULL;
	if (sodium_init() < 0)
		return AXR_EINTERNAL;
	acc = calloc(1, sizeof *acc);
	if (!acc)
		return AXR_ENOMEM;
	acc->clock = account__realtime;
	if ((rc = account__copy_config(acc, cfg)) != 0 || (rc = account__check_config(&acc->cfg)) != 0 ||
	    (rc = axr_jwks_new(&acc->keys)) != 0 || (rc = account__load_signing_key(acc)) != 0 ||
	    (rc = account__load_published_keys(acc)) != 0)
		goto fail;
	if ((rc = axr_jwks_export(acc->keys, &acc->jwks_json, &acc->jwks_len)) != 0)
		goto fail;
	/* Unknown logins are checked against this, so they cost what a real
	 * check costs. The password is random and never kept. */
	unsigned char seed[24];
	char pw[33];
	randombytes_buf(seed, sizeof seed);
	sodium_bin2base64(pw, sizeof pw, seed, sizeof seed, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	rc = account__password_hash(acc, pw, acc->dummy_hash);
	sodium_memzero(pw, sizeof pw);
	sodium_memzero(seed, sizeof seed);
	if (rc != 0)
		goto fail;
	*out = acc;
	return 0;
fail:
	account_free(acc);
	return rc;
}

void account_free(account_t *acc)
{
	if (!acc)
		return;
	free(acc->jwks_json);
	axr_jwt_signer_free(acc->signer);
	axr_jwks_free(acc->keys);
	if (acc->strings) {
		sodium_memzero(acc->strings, acc->strings_len);
		free(acc->strings);
	}
	free(acc);
}

void account_set_clock(account_t *acc, account_clock_fn fn, void *ctx)
{
	acc->clock = fn ? fn : account__realtime;
	acc->clock_ctx = fn ? ctx : NULL;
}

int64_t account_now(const account_t *acc)
{
	return acc->clock(acc->clock_ctx);
}

const account_config_t *account_config(const account_t *acc)
{
	return &acc->cfg;
}

const char *account_jwks(const account_t *acc, size_t *len)
{
	if (len)
		*len = acc->jwks_len;
	return acc->jwks_json;
}

const axr_jwk_t *account_signing_key(const account_t *acc)
{
	return acc->key;
}
