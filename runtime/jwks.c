/* jwks.c: signing keys for access tokens: PEM loading and JWKS export/import. */
#include "jwks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "err.h"
#include "jwt.h"

#define AXR__RSA_MIN_BITS 2048
#define AXR__RSA_MAX_BITS 8192
#define AXR__EC_COORD 32 /* P-256 coordinate size in bytes */

struct axr_jwk {
	axr_jwt_alg_t alg;
	char kid[AXR_JWK_KID_MAX + 1];
	char *public_pem;
	size_t public_pem_len;
	char *private_pem; /* NULL for a public-only key; wiped on free */
	size_t private_pem_len;
	size_t sig_size;
	char *p1; /* base64url: RSA n or EC x */
	char *p2; /* base64url: RSA e or EC y */
};

struct axr_jwks {
	size_t n;
	axr_jwk_t *keys[AXR_JWKS_MAX_KEYS];
};

/* ---- base64url ---- */

static const char axr__b64url_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int axr__b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

long axr__b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
	size_t rem = len % 4, need = len / 4 * 3 + (rem ? rem - 1 : 0), o = 0, i;
	unsigned long acc = 0;
	int bits = 0;

	if (rem == 1 || need > cap)
		return -1;
	for (i = 0; i < len; i++) {
		int v = axr__b64url_value((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1UL << bits) - 1;
		}
	}
	/* Canonical form only: the bits left over must be zero, so every byte
	 * string has exactly one encoding. */
	if (acc != 0)
		return -1;
	return (long)o;
}

long axr__b64url_encode(const unsigned char *in, size_t len, char *out, size_t cap)
{
	size_t i, o = 0;

	if (cap < AXR__B64URL_ENCODED_SIZE(len))
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
		out[o++] = axr__b64url_alphabet[(v >> 18) & 63];
		out[o++] = axr__b64url_alphabet[(v >> 12) & 63];
		out[o++] = axr__b64url_alphabet[(v >> 6) & 63];
		out[o++] = axr__b64url_alphabet[v & 63];
	}
	if (len - i == 1) {
		unsigned long v = (unsigned long)in[i] << 16;
		out[o++] = axr__b64url_alphabet[(v >> 18) & 63];
		out[o++] = axr__b64url_alphabet[(v >> 12) & 63];
	} else if (len - i == 2) {
		unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
		out[o++] = axr__b64url_alphabet[(v >> 18) & 63];
		out[o++] = axr__b64url_alphabet[(v >> 12) & 63];
		out[o++] = axr__b64url_alphabet[(v >> 6) & 63];
	}
	out[o] = '\0';
	return (long)o;
}

/* ---- algorithms ---- */

const char *axr_jwt_alg_name(axr_jwt_alg_t alg)
{
	switch (alg) {
	case AXR_JWT_RS256:
		return "RS256";
	case AXR_JWT_ES256:
		return "ES256";
	case AXR_JWT_ALG_NONE:
		break;
	}
	return NULL;
}

int axr_jwt_alg_parse(const char *name, axr_jwt_alg_t *alg)
{
	if (name == NULL || alg == NULL)
		return AXR_EUNSUPPORTED;
	if (strcmp(name, "RS256") == 0)
		*alg = AXR_JWT_RS256;
	else if (strcmp(name, "ES256") == 0)
		*alg = AXR_JWT_ES256;
	else
		return AXR_EUNSUPPORTED;
	return 0;
}

/* ---- keys ---- */

static int axr__kid_valid(const char *kid, size_t len)
{
	size_t i;

	if (len == 0 || len > AXR_JWK_KID_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)kid[i];
		if (!(axr__b64url_value(c) >= 0 || c == '.'))
			return 0;
	}
	return 1;
}

static void axr__free_secret(char *p, size_t len)
{
	if (p != NULL) {
		OPENSSL_cleanse(p, len);
		free(p);
	}
}

void axr_jwk_free(axr_jwk_t *key)
{
	if (key == NULL)
		return;
	axr__free_secret(key->private_pem, key->private_pem_len);
	free(key->public_pem);
	free(key->p1);
	free(key->p2);
	free(key);
}

/* Writes the public or private PEM of `pkey` into a new malloc'd NUL-terminated string. */
static int axr__pem_string(EVP_PKEY *pkey, int private_part, char **out, size_t *len)
{
	BIO *bio = NULL;
	char *data = NULL, *copy = NULL;
	long n = 0;
	int ok, rc = AXR_EINTERNAL;

	bio = BIO_new(BIO_s_mem());
	if (bio == NULL)
		goto fail;
	if (private_part)
		ok = PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL);
	else
		ok = PEM_write_bio_PUBKEY(bio, pkey);
	if (!ok)
		goto fail;
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0)
		goto fail;
	copy = malloc((size_t)n + 1);
	if (copy == NULL) {
		rc = AXR_ENOMEM;
		goto fail;
	}
	memcpy(copy, data, (size_t)n);
	copy[n] = '\0';
	*out = copy;
	*len = (size_t)n;
	rc = 0;
fail:
	/* The memory BIO held private material too. */
	if (data != NULL && n > 0 && private_part)
		OPENSSL_cleanse(data, (size_t)n);
	BIO_free(bio);
	return rc;
}

/* Base64url of a big number, big-endian, in `pad` bytes (0: minimal). */
static int axr__bn_param_b64(const EVP_PKEY *pkey, const char *name, int pad, char **out)
{
	BIGNUM *bn = NULL;
	unsigned char *bin = NULL;
	char *text = NULL;
	int nbytes, rc = AXR_EINTERNAL;
	size_t cap;

	if (!EVP_PKEY_get_bn_param(pkey, name, &bn))
		goto fail;
	nbytes = pad ? pad : BN_num_bytes(bn);
	if (nbytes <= 0 || BN_num_bytes(bn) > nbytes)
		goto fail;
	rc = AXR_ENOMEM;
	bin = malloc((size_t)nbytes);
	cap = AXR__B64URL_ENCODED_SIZE((size_t)nbytes);
	text = malloc(cap);
	if (bin == NULL || text == NULL)
		goto fail;
	if (BN_bn2binpad(bn, bin, nbytes) != nbytes) {
		rc = AXR_EINTERNAL;
		goto fail;
	}
	axr__b64url_encode(bin, (size_t)nbytes, text, cap);
	*out = text;
	text = NULL;
	rc = 0;
fail:
	free(text);
	free(bin);
	BN_free(bn);
	return rc;
}

static int axr__has_private(const EVP_PKEY *pkey)
{
	BIGNUM *bn = NULL;
	const char *name =
		EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA ? OSSL_PKEY_PARAM_RSA_D : OSSL_PKEY_PARAM_PRIV_KEY;
	int has = EVP_PKEY_get_bn_param(pkey, name, &bn) && bn != NULL;

	BN_clear_free(bn);
	ERR_clear_error();
	return has;
}

/* Checks the key type and builds an axr_jwk_t from it. `kid` may be NULL. */
static int axr__jwk_from_pkey(EVP_PKEY *pkey, const char *kid, int want_private, axr_jwk_t **out)
{
	axr_jwk_t *key = NULL;
	char group[32];
	int rc, bits;

	*out = NULL;
	if (kid != NULL && !axr__kid_valid(kid, strlen(kid)))
		return AXR_EINVAL;
	key = calloc(1, sizeof(*key));
	if (key == NULL)
		return AXR_ENOMEM;
	rc = AXR_EUNSUPPORTED;
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		bits = EVP_PKEY_get_bits(pkey);
		if (bits < AXR__RSA_MIN_BITS || bits > AXR__RSA_MAX_BITS)
			goto fail;
		key->alg = AXR_JWT_RS256;
		key->sig_size = (size_t)EVP_PKEY_get_size(pkey);
		rc = axr__bn_param_b64(pkey, OSSL_PKEY_PARAM_RSA_N, 0, &key->p1);
		if (rc == 0)
			rc = axr__bn_param_b64(pkey, OSSL_PKEY_PARAM_RSA_E, 0, &key->p2);
		break;
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
						    NULL) ||
		    strcmp(group, "prime256v1") != 0)
			goto fail;
		key->alg = AXR_JWT_ES256;
		key->sig_size = 2 * AXR__EC_COORD;
		rc = axr__bn_param_b64(pkey, OSSL_PKEY_PARAM_EC_PUB_X, AXR__EC_COORD, &key->p1);
		if (rc == 0)
			rc = axr__bn_param_b64(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, AXR__EC_COORD, &key->p2);
		break;
	default:
		goto fail;
	}
	if (rc != 0)
		goto fail;
	rc = axr__pem_string(pkey, 0, &key->public_pem, &key->public_pem_len);
	if (rc != 0)
		goto fail;
	if (want_private && axr__has_private(pkey)) {
		rc = axr__pem_string(pkey, 1, &key->private_pem, &key->private_pem_len);
		if (rc != 0)
			goto fail;
	}
	if (kid != NULL) {
		strcpy(key->kid, kid); /* length checked by axr__kid_valid */
	} else {
		rc = axr_jwk_thumbprint(key, key->kid, sizeof(key->kid));
		if (rc != 0)
			goto fail;
	}
	*out = key;
	return 0;
fail:
	ERR_clear_error();
	axr_jwk_free(key);
	return rc;
}

/* Refuses to prompt for a passphrase: encrypted keys are not supported. */
static int axr__no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

int axr_jwk_from_pem(const char *pem, size_t len, const char *kid, axr_jwk_t **out)
{
	OSSL_DECODER_CTX *dctx = NULL;
	EVP_PKEY *pkey = NULL;
	const unsigned char *p = (const unsigned char *)pem;
	size_t left = len;
	int rc;

	if (out == NULL)
		return AXR_EINVAL;
	*out = NULL;
	if (pem == NULL)
		return AXR_EINVAL;
	if (len > AXR_JWK_PEM_MAX)
		return AXR_ETOOBIG;
	if (kid != NULL && !axr__kid_valid(kid, strlen(kid)))
		return AXR_EINVAL;
	rc = AXR_ENOMEM;
	dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM", NULL, NULL, 0, NULL, NULL);
	if (dctx == NULL)
		goto fail;
	rc = AXR_EPARSE;
	if (!OSSL_DECODER_CTX_set_pem_password_cb(dctx, axr__no_passphrase, NULL))
		goto fail;
	if (!OSSL_DECODER_from_data(dctx, &p, &left) || pkey == NULL)
		goto fail;
	rc = axr__jwk_from_pkey(pkey, kid, 1, out);
fail:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	OSSL_DECODER_CTX_free(dctx);
	return rc;
}

int axr_jwk_from_file(const char *path, const char *kid, axr_jwk_t **out)
{
	FILE *f = NULL;
	char *buf = NULL;
	size_t n;
	int rc;

	if (out == NULL)
		return AXR_EINVAL;
	*out = NULL;
	if (path == NULL)
		return AXR_EINVAL;
	rc = AXR_ENOMEM;
	buf = malloc(AXR_JWK_PEM_MAX + 1);
	if (buf == NULL)
		goto fail;
	rc = AXR_EIO;
	f = fopen(path, "rb");
	if (f == NULL)
		goto fail;
	n = fread(buf, 1, AXR_JWK_PEM_MAX + 1, f);
	if (ferror(f))
		goto fail;
	rc = AXR_ETOOBIG;
	if (n > AXR_JWK_PEM_MAX)
		goto fail;
	rc = axr_jwk_from_pem(buf, n, kid, out);
fail:
	if (f != NULL)
		fclose(f);
	if (buf != NULL)
		axr__free_secret(buf, AXR_JWK_PEM_MAX + 1);
	return rc;
}

axr_jwt_alg_t axr_jwk_alg(const axr_jwk_t *key)
{
	return key != NULL ? key->alg : AXR_JWT_ALG_NONE;
}

const char *axr_jwk_kid(const axr_jwk_t *key)
{
	return key != NULL ? key->kid : NULL;
}

int axr_jwk_has_private(const axr_jwk_t *key)
{
	return key != NULL && key->private_pem != NULL;
}

const char *axr_jwk_public_pem(const axr_jwk_t *key, size_t *len)
{
	if (key == NULL)
		return NULL;
	if (len != NULL)
		*len = key->public_pem_len;
	return key->public_pem;
}

const char *axr_jwk_private_pem(const axr_jwk_t *key, size_t *len)
{
	if (key == NULL || key->private_pem == NULL)
		return NULL;
	if (len != NULL)
		*len = key->private_pem_len;
	return key->private_pem;
}

size_t axr_jwk_signature_size(const axr_jwk_t *key)
{
	return key != NULL ? key->sig_size : 0;
}

int axr_jwk_thumbprint(const axr_jwk_t *key, char *out, size_t size)
{
	unsigned char digest[32];
	unsigned int dlen = 0;
	char *canon = NULL;
	size_t cap;
	int n, rc = AXR_EINVAL;

	if (key == NULL || out == NULL || size < AXR__B64URL_ENCODED_SIZE(sizeof(digest)))
		return AXR_EINVAL;
	/* RFC 7638: required members only, sorted, no whitespace. The values are
	 * base64url, so no escaping is needed. */
	cap = strlen(key->p1) + strlen(key->p2) + 64;
	canon = malloc(cap);
	if (canon == NULL)
		return AXR_ENOMEM;
	if (key->alg == AXR_JWT_RS256)
		n = snprintf(canon, cap, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", key->p2, key->p1);
	else
		n = snprintf(canon, cap, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
			     key->p1, key->p2);
	if (n < 0 || (size_t)n >= cap)
		goto fail;
	rc = AXR_EINTERNAL;
	if (!EVP_Digest(canon, (size_t)n, digest, &dlen, EVP_sha256(), NULL) || dlen != sizeof(digest))
		goto fail;
	axr__b64url_encode(digest, sizeof(digest), out, size);
	rc = 0;
fail:
	free(canon);
	return rc;
}

/* ---- key sets ---- */

int axr_jwks_new(axr_jwks_t **out)
{
	if (out == NULL)
		return AXR_EINVAL;
	*out = calloc(1, sizeof(**out));
	return *out != NULL ? 0 : AXR_ENOMEM;
}

void axr_jwks_free(axr_jwks_t *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		axr_jwk_free(set->keys[i]);
	free(set);
}

int axr_jwks_add(axr_jwks_t *set, axr_jwk_t *key)
{
	if (set == NULL || key == NULL)
		return AXR_EINVAL;
	if (axr_jwks_find(set, key->kid, strlen(key->kid)) != NULL)
		return AXR_EEXISTS;
	if (set->n == AXR_JWKS_MAX_KEYS)
		return AXR_ETOOBIG;
	set->keys[set->n++] = key;
	return 0;
}

size_t axr_jwks_count(const axr_jwks_t *set)
{
	return set != NULL ? set->n : 0;
}

const axr_jwk_t *axr_jwks_get(const axr_jwks_t *set, size_t i)
{
	return set != NULL && i < set->n ? set->keys[i] : NULL;
}

const axr_jwk_t *axr_jwks_find(const axr_jwks_t *set, const char *kid, size_t len)
{
	size_t i;

	if (set == NULL || kid == NULL || len > AXR_JWK_KID_MAX)
		return NULL;
	for (i = 0; i < set->n; i++) {
		const axr_jwk_t *k = set->keys[i];
		if (strlen(k->kid) == len && memcmp(k->kid, kid, len) == 0)
			return k;
	}
	return NULL;
}

/* ---- JWKS export ---- */

static int axr__add_string(json_object *obj, const char *name, const char *value)
{
	return axr__json_add(obj, name, json_object_new_string(value));
}

static int axr__jwk_json(const axr_jwk_t *k, json_object **out)
{
	json_object *o = json_object_new_object();
	int rsa = k->alg == AXR_JWT_RS256, rc;

	*out = NULL;
	if (o == NULL)
		return AXR_ENOMEM;
	rc = axr__add_string(o, "kty", rsa ? "RSA" : "EC");
	if (rc == 0)
		rc = axr__add_string(o, "use", "sig");
	if (rc == 0)
		rc = axr__add_string(o, "alg", axr_jwt_alg_name(k->alg));
	if (rc == 0)
		rc = axr__add_string(o, "kid", k->kid);
	if (rc == 0 && !rsa)
		rc = axr__add_string(o, "crv", "P-256");
	if (rc == 0)
		rc = axr__add_string(o, rsa ? "n" : "x", k->p1);
	if (rc == 0)
		rc = axr__add_string(o, rsa ? "e" : "y", k->p2);
	if (rc != 0) {
		json_object_put(o);
		return rc;
	}
	*out = o;
	return 0;
}

int axr_jwks_export(const axr_jwks_t *set, char **json, size_t *len)
{
	json_object *root = NULL, *keys = NULL, *k = NULL;
	const char *text;
	size_t i, n;
	int rc = AXR_ENOMEM;

	if (set == NULL || json == NULL)
		return AXR_EINVAL;
	*json = NULL;
	root = json_object_new_object();
	keys = json_object_new_array();
	if (root == NULL || keys == NULL)
		goto fail;
	if (json_object_object_add(root, "keys", keys) != 0)
		goto fail;
	keys = NULL; /* owned by root now */
	for (i = 0; i < set->n; i++) {
		rc = axr__jwk_json(set->keys[i], &k);
		if (rc != 0)
			goto fail;
		rc = AXR_ENOMEM;
		if (json_object_array_add(json_object_object_get(root, "keys"), k) != 0)
			goto fail;
		k = NULL;
	}
	rc = AXR_ENOMEM;
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL)
		goto fail;
	n = strlen(text);
	*json = malloc(n + 1);
	if (*json == NULL)
		goto fail;
	memcpy(*json, text, n + 1);
	if (len != NULL)
		*len = n;
	rc = 0;
fail:
	json_object_put(k);
	json_object_put(keys);
	json_object_put(root);
	return rc;
}

/* ---- JWKS import ---- */

/* Decodes the base64url string member `name` of `o` into a new BIGNUM.
 * `exact` > 0 demands that many bytes; otherwise the minimal encoding
 * (no leading zero byte) is demanded. */
static int axr__jwk_bn(json_object *o, const char *name, int exact, BIGNUM **out)
{
	unsigned char buf[AXR__RSA_MAX_BITS / 8 + 1];
	json_object *v = NULL;
	const char *s;
	long n;

	*out = NULL;
	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return AXR_EPARSE;
	s = json_object_get_string(v);
	n = axr__b64url_decode(s, (size_t)json_object_get_string_len(v), buf, sizeof(buf));
	if (n <= 0 || (exact > 0 && n != exact) || (exact == 0 && buf[0] == 0))
		return AXR_EPARSE;
	*out = BN_bin2bn(buf, (int)n, NULL);
	return *out != NULL ? 0 : AXR_ENOMEM;
}

static int axr__jwk_pkey_rsa(json_object *o, EVP_PKEY **pkey)
{
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int rc;

	rc = axr__jwk_bn(o, "n", 0, &n);
	if (rc == 0)
		rc = axr__jwk_bn(o, "e", 0, &e);
	if (rc != 0)
		goto fail;
	rc = AXR_EUNSUPPORTED;
	if (BN_num_bits(n) < AXR__RSA_MIN_BITS || BN_num_bits(n) > AXR__RSA_MAX_BITS ||
	    BN_num_bits(e) > 64)
		goto fail;
	/* Deterministic sanity checks only: OpenSSL's RSA public check runs a
	 * randomised Miller-Rabin test whose verdict on a malformed modulus can
	 * differ from one call to the next. */
	rc = AXR_EPARSE;
	if (!BN_is_odd(n) || !BN_is_odd(e) || BN_is_one(e))
		goto fail;
	rc = AXR_ENOMEM;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		goto fail;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (params == NULL || ctx == NULL)
		goto fail;
	rc = AXR_EPARSE;
	if (EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		goto fail;
	rc = 0;
fail:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(e);
	BN_free(n);
	return rc;
}

static int axr__jwk_pkey_ec(json_object *o, EVP_PKEY **pkey)
{
	unsigned char point[1 + 2 * AXR__EC_COORD];
	BIGNUM *x = NULL, *y = NULL;
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL;
	char group[] = "prime256v1";
	int rc;

	rc = axr__jwk_bn(o, "x", AXR__EC_COORD, &x);
	if (rc == 0)
		rc = axr__jwk_bn(o, "y", AXR__EC_COORD, &y);
	if (rc != 0)
		goto fail;
	point[0] = 0x04; /* uncompressed point */
	BN_bn2binpad(x, point + 1, AXR__EC_COORD);
	BN_bn2binpad(y, point + 1 + AXR__EC_COORD, AXR__EC_COORD);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point));
	params[2] = OSSL_PARAM_construct_end();
	rc = AXR_ENOMEM;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (ctx == NULL)
		goto fail;
	rc = AXR_EPARSE; /* includes a point that is not on the curve */
	if (EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		goto fail;
	rc = 0;
fail:
	EVP_PKEY_CTX_free(ctx);
	BN_free(y);
	BN_free(x);
	return rc;
}

/* Returns the string member `name`, NULL when absent, or sets *bad when it
 * is present but not a string. */
static const char *axr__opt_string(json_object *o, const char *name, int *bad)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, name, &v))
		return NULL;
	if (!json_object_is_type(v, json_type_string)) {
		*bad = 1;
		return NULL;
	}
	return json_object_get_string(v);
}

/* 1 when the JWK's "crv" is "P-256"; sets *bad when "crv" is missing or not
 * a string. */
static int axr__ec_is_p256(json_object *o, int *bad)
{
	const char *crv = axr__opt_string(o, "crv", bad);

	if (crv == NULL) {
		*bad = 1;
		return 0;
	}
	return strcmp(crv, "P-256") == 0;
}

/* Parses one JWK into *out, or leaves *out NULL when the key is to be
 * skipped (unsupported kty/alg, or a use other than "sig"). */
static int axr__jwk_parse_one(json_object *o, axr_jwk_t **out)
{
	static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *check = NULL;
	const char *kty, *use, *alg, *kid;
	axr_jwt_alg_t want;
	size_t i;
	int bad = 0, rc;

	*out = NULL;
	if (!json_object_is_type(o, json_type_object))
		return AXR_EPARSE;
	for (i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++)
		if (json_object_object_get_ex(o, private_members[i], NULL))
			return AXR_EPARSE;
	kty = axr__opt_string(o, "kty", &bad);
	use = axr__opt_string(o, "use", &bad);
	alg = axr__opt_string(o, "alg", &bad);
	kid = axr__opt_string(o, "kid", &bad);
	if (bad || kty == NULL)
		return AXR_EPARSE;
	if (kid != NULL && !axr__kid_valid(kid, strlen(kid)))
		return AXR_EPARSE;
	if (use != NULL && strcmp(use, "sig") != 0)
		return 0;
	if (strcmp(kty, "RSA") == 0)
		want = AXR_JWT_RS256;
	else if (strcmp(kty, "EC") == 0 && axr__ec_is_p256(o, &bad))
		want = AXR_JWT_ES256;
	else if (bad)
		return AXR_EPARSE;
	else
		return 0; /* "oct" (symmetric) and anything else: never used */
	if (alg != NULL && strcmp(alg, axr_jwt_alg_name(want)) != 0)
		return 0;
	rc = want == AXR_JWT_RS256 ? axr__jwk_pkey_rsa(o, &pkey) : axr__jwk_pkey_ec(o, &pkey);
	if (rc != 0)
		goto fail;
	if (want == AXR_JWT_ES256) { /* point on the curve, right order */
		rc = AXR_ENOMEM;
		check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		if (check == NULL)
			goto fail;
		rc = AXR_EPARSE;
		if (EVP_PKEY_public_check(check) != 1)
			goto fail;
	}
	rc = axr__jwk_from_pkey(pkey, kid, 0, out);
fail:
	ERR_clear_error();
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_free(pkey);
	return rc;
}

int axr_jwks_parse(const char *json, size_t len, axr_jwks_t **out)
{
	json_tokener *tok = NULL;
	json_object *root = NULL, *keys = NULL;
	axr_jwks_t *set = NULL;
	axr_jwk_t *key = NULL;
	size_t i, n;
	int rc;

	if (out == NULL)
		return AXR_EINVAL;
	*out = NULL;
	if (json == NULL)
		return AXR_EINVAL;
	if (len > AXR_JWKS_JSON_MAX)
		return AXR_ETOOBIG;
	rc = axr__json_check_object(json, len, NULL);
	if (rc != 0)
		goto fail;
	rc = AXR_ENOMEM;
	tok = json_tokener_new_ex(32);
	if (tok == NULL)
		goto fail;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	rc = AXR_EPARSE;
	root = json_tokener_parse_ex(tok, json, (int)len);
	if (root == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len)
		goto fail;
	if (!json_object_object_get_ex(root, "keys", &keys) || !json_object_is_type(keys, json_type_array))
		goto fail;
	rc = axr_jwks_new(&set);
	if (rc != 0)
		goto fail;
	n = json_object_array_length(keys);
	for (i = 0; i < n; i++) {
		rc = axr__jwk_parse_one(json_object_array_get_idx(keys, i), &key);
		if (rc != 0)
			goto fail;
		if (key == NULL)
			continue;
		rc = axr_jwks_add(set, key);
		if (rc != 0)
			goto fail;
		key = NULL;
	}
	rc = AXR_ENOTFOUND;
	if (set->n == 0)
		goto fail;
	*out = set;
	set = NULL;
	rc = 0;
fail:
	axr_jwk_free(key);
	axr_jwks_free(set);
	json_object_put(root);
	if (tok != NULL)
		json_tokener_free(tok);
	return rc;
}
