/* jwt_sign.c: access-token signing for the account service (libjwt 1.10). */
#include "jwt.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "err.h"
#include "jwt_libjwt.h"
#include "utf8.h"

struct axr_jwt_signer {
	jwt_alg_t lib_alg;
	char kid[AXR_JWK_KID_MAX + 1];
	char *pem; /* private key, wiped on free */
	size_t pem_len;
	char *issuer;
	char *audience;
	int ttl;
};

void axr_jwt_signer_config_init(axr_jwt_signer_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ttl = AXR_JWT_DEFAULT_TTL;
}

void axr_jwt_signer_free(axr_jwt_signer_t *s)
{
	if (s == NULL)
		return;
	if (s->pem != NULL) {
		OPENSSL_cleanse(s->pem, s->pem_len);
		free(s->pem);
	}
	free(s->issuer);
	free(s->audience);
	free(s);
}

int axr_jwt_signer_new(const axr_jwt_signer_config_t *cfg, axr_jwt_signer_t **out)
{
	axr_jwt_signer_t *s = NULL;
	const char *pem;
	size_t pem_len = 0;
	int rc = AXR_ENOMEM;

	if (out == NULL)
		return AXR_EINVAL;
	*out = NULL;
	if (cfg == NULL)
		return AXR_EINVAL;
	pem = axr_jwk_private_pem(cfg->key, &pem_len);
	if (pem == NULL || axr__lib_alg(axr_jwk_alg(cfg->key)) == JWT_ALG_TERM ||
	    cfg->issuer == NULL || cfg->issuer[0] == '\0' || cfg->audience == NULL ||
	    cfg->audience[0] == '\0' || cfg->ttl < 1 || cfg->ttl > 86400)
		return AXR_ECONFIG;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return AXR_ENOMEM;
	s->lib_alg = axr__lib_alg(axr_jwk_alg(cfg->key));
	strcpy(s->kid, axr_jwk_kid(cfg->key));
	s->ttl = cfg->ttl;
	s->pem = malloc(pem_len + 1);
	s->issuer = strdup(cfg->issuer);
	s->audience = strdup(cfg->audience);
	if (s->pem == NULL || s->issuer == NULL || s->audience == NULL)
		goto fail;
	memcpy(s->pem, pem, pem_len + 1);
	s->pem_len = pem_len;
	*out = s;
	return 0;
fail:
	axr_jwt_signer_free(s);
	return rc;
}

static int axr__claim_string_ok(const char *s, int required)
{
	size_t n;

	if (s == NULL)
		return !required;
	n = strlen(s);
	return n > 0 && n <= AXR_JWT_MAX_CLAIM_STRING && axr_utf8_validate(s, n) == 0;
}

/* A random RFC 4122 version 4 UUID, lower-case, into out[37]. */
static int axr__uuid4(char out[37])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	size_t i, o = 0;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return AXR_EINTERNAL;
	b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
	return 0;
}

int axr__json_add(json_object *obj, const char *name, json_object *value)
{
	if (value == NULL)
		return AXR_ENOMEM;
	if (json_object_object_add(obj, name, value) != 0) {
		json_object_put(value);
		return AXR_ENOMEM;
	}
	return 0;
}

/* The payload JSON for the signer, as a json-c object. */
static int axr__payload(const axr_jwt_signer_t *s, const axr_jwt_claims_t *c, int64_t iat,
			int64_t exp, const char *jti, json_object **out)
{
	json_object *o = json_object_new_object(), *p = NULL, *roles = NULL;
	size_t i;
	int rc;

	*out = NULL;
	if (o == NULL)
		return AXR_ENOMEM;
	rc = axr__json_add(o, "iss", json_object_new_string(s->issuer));
	if (rc == 0)
		rc = axr__json_add(o, "aud", json_object_new_string(s->audience));
	if (rc == 0)
		rc = axr__json_add(o, "sub", json_object_new_string(c->sub));
	if (rc == 0)
		rc = axr__json_add(o, "iat", json_object_new_int64(iat));
	if (rc == 0)
		rc = axr__json_add(o, "exp", json_object_new_int64(exp));
	if (rc == 0)
		rc = axr__json_add(o, "jti", json_object_new_string(jti));
	if (rc != 0 || (c->profile.uid == NULL && c->profile.name == NULL && c->profile.nroles == 0))
		goto done;
	rc = AXR_ENOMEM;
	p = json_object_new_object();
	roles = json_object_new_array();
	if (p == NULL || roles == NULL)
		goto done;
	rc = 0;
	if (c->profile.uid != NULL)
		rc = axr__json_add(p, "uid", json_object_new_string(c->profile.uid));
	if (rc == 0 && c->profile.name != NULL)
		rc = axr__json_add(p, "name", json_object_new_string(c->profile.name));
	for (i = 0; rc == 0 && i < c->profile.nroles; i++) {
		json_object *r = json_object_new_string(c->profile.roles[i]);
		if (r == NULL || json_object_array_add(roles, r) != 0) {
			json_object_put(r);
			rc = AXR_ENOMEM;
		}
	}
	if (rc == 0) {
		rc = axr__json_add(p, "roles", roles);
		roles = NULL;
	}
	if (rc == 0) {
		rc = axr__json_add(o, "profile", p);
		p = NULL;
	}
done:
	json_object_put(roles);
	json_object_put(p);
	if (rc != 0) {
		json_object_put(o);
		return rc;
	}
	*out = o;
	return 0;
}

int axr_jwt_sign(const axr_jwt_signer_t *s, const axr_jwt_claims_t *claims, axr_arena_t *arena,
		 char **token)
{
	json_object *payload = NULL;
	jwt_t *jwt = NULL;
	char *encoded = NULL, uuid[37];
	const char *jti;
	int64_t iat, exp;
	size_t i, n;
	int rc = AXR_EINVAL;

	if (token != NULL)
		*token = NULL;
	if (s == NULL || claims == NULL || arena == NULL || token == NULL)
		return AXR_EINVAL;
	if (!axr__claim_string_ok(claims->sub, 1) || !axr__claim_string_ok(claims->jti, 0) ||
	    !axr__claim_string_ok(claims->profile.uid, 0) ||
	    !axr__claim_string_ok(claims->profile.name, 0) ||
	    claims->profile.nroles > AXR_JWT_MAX_ROLES ||
	    (claims->profile.nroles > 0 && claims->profile.roles == NULL))
		return AXR_EINVAL;
	for (i = 0; i < claims->profile.nroles; i++)
		if (!axr__claim_string_ok(claims->profile.roles[i], 1))
			return AXR_EINVAL;
	iat = claims->iat != 0 ? claims->iat : (int64_t)time(NULL);
	exp = claims->exp != 0 ? claims->exp : iat + s->ttl;
	if (iat < 0 || exp <= iat || exp > AXR_JWT_TIME_MAX)
		return AXR_EINVAL;
	jti = claims->jti;
	if (jti == NULL) {
		rc = axr__uuid4(uuid);
		if (rc != 0)
			return rc;
		jti = uuid;
	}
	rc = axr__payload(s, claims, iat, exp, jti, &payload);
	if (rc != 0)
		goto fail;
	rc = AXR_ENOMEM;
	if (jwt_new(&jwt) != 0)
		goto fail;
	rc = AXR_EINTERNAL;
	if (jwt_add_grants_json(jwt, json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN)) != 0 ||
	    jwt_add_header(jwt, "kid", s->kid) != 0 ||
	    jwt_set_alg(jwt, s->lib_alg, (const unsigned char *)s->pem, (int)s->pem_len) != 0)
		goto fail;
	encoded = jwt_encode_str(jwt);
	if (encoded == NULL)
		goto fail;
	n = strlen(encoded);
	rc = AXR_ETOOBIG;
	if (n > AXR_JWT_MAX_TOKEN)
		goto fail;
	rc = AXR_ENOMEM;
	*token = axr_arena_strndup(arena, encoded, n);
	if (*token == NULL)
		goto fail;
	rc = 0;
fail:
	free(encoded);
	jwt_free(jwt); /* also wipes and frees libjwt's copy of the key */
	json_object_put(payload);
	return rc;
}
