/* jwks.h: signing keys for access tokens: PEM loading and JWKS export/import. */
#ifndef AXR_JWKS_H
#define AXR_JWKS_H

#include <stddef.h>

/*
 * A key (axr_jwk_t) is one asymmetric key usable for exactly one JWS
 * algorithm: an RSA key of at least 2048 bits for RS256, or an EC key on
 * P-256 for ES256. Nothing else is accepted (no HMAC secrets, no other
 * curves), so a configuration can never fall back to a symmetric algorithm.
 *
 * Every key carries a `kid` of 1..AXR_JWK_KID_MAX characters from
 * [A-Za-z0-9._-]. When the caller gives none, the kid is the RFC 7638 JWK
 * thumbprint (43 base64url characters). The kid is only ever compared as a
 * string against an in-memory table; it is never used as a path or key.
 *
 * Keys and key sets are immutable once loaded, so any number of threads may
 * read them concurrently. None of these functions is meant for a hot path.
 */

#define AXR_JWK_KID_MAX 64          /* longest kid accepted anywhere */
#define AXR_JWKS_MAX_KEYS 16        /* most keys in one set */
#define AXR_JWK_PEM_MAX (64 * 1024) /* largest PEM file or buffer read */
#define AXR_JWKS_JSON_MAX (64 * 1024) /* largest JWKS document parsed */

typedef enum axr_jwt_alg {
	AXR_JWT_ALG_NONE = 0, /* never accepted; marks "unset" */
	AXR_JWT_RS256 = 1,
	AXR_JWT_ES256 = 2,
} axr_jwt_alg_t;

typedef struct axr_jwk axr_jwk_t;
typedef struct axr_jwks axr_jwks_t;

/* Returns "RS256" or "ES256", or NULL for anything else. */
const char *axr_jwt_alg_name(axr_jwt_alg_t alg);

/* Parses "RS256" or "ES256" (exact case) into *alg. Returns 0, or
 * AXR_EUNSUPPORTED for any other string (including every spelling of "none"
 * and every HMAC algorithm) and leaves *alg untouched. */
int axr_jwt_alg_parse(const char *name, axr_jwt_alg_t *alg);

/*
 * Loads one key from `len` bytes of PEM: a private key (PKCS#8, or
 * traditional RSA/EC, unencrypted) or a public key (SubjectPublicKeyInfo or
 * PKCS#1 RSA). The algorithm follows from the key: RSA >= 2048 bits gives
 * RS256, EC P-256 gives ES256. `kid` may be NULL (thumbprint is used).
 * On success *out owns a new key (free with axr_jwk_free()).
 * Errors: AXR_EINVAL (NULL arguments, bad kid), AXR_EPARSE (not a PEM key),
 * AXR_EUNSUPPORTED (other key type, curve or a weak RSA size),
 * AXR_ETOOBIG (len > AXR_JWK_PEM_MAX), AXR_ENOMEM. *out is NULL on error.
 */
int axr_jwk_from_pem(const char *pem, size_t len, const char *kid, axr_jwk_t **out);

/* Like axr_jwk_from_pem(), reading the PEM from the file at `path`.
 * Additional error: AXR_EIO when the file cannot be read. */
int axr_jwk_from_file(const char *path, const char *kid, axr_jwk_t **out);

/* Frees a key, wiping private material. NULL is a no-op. */
void axr_jwk_free(axr_jwk_t *key);

/* Accessors. The strings live as long as the key. */
axr_jwt_alg_t axr_jwk_alg(const axr_jwk_t *key);
const char *axr_jwk_kid(const axr_jwk_t *key);
int axr_jwk_has_private(const axr_jwk_t *key);

/* The public key as SubjectPublicKeyInfo PEM (NUL-terminated; *len, when
 * not NULL, receives its length without the NUL). */
const char *axr_jwk_public_pem(const axr_jwk_t *key, size_t *len);

/* The private key as unencrypted PKCS#8 PEM, or NULL for a public-only key.
 * Only the signer should call this. */
const char *axr_jwk_private_pem(const axr_jwk_t *key, size_t *len);

/* Bytes in a signature made with this key: the RSA modulus size, or 64 for
 * ES256 (JWS R || S). */
size_t axr_jwk_signature_size(const axr_jwk_t *key);

/* Computes the RFC 7638 JWK SHA-256 thumbprint of the public key as
 * base64url into `out` (at least 44 bytes). Returns 0, AXR_EINVAL or
 * AXR_ENOMEM. */
int axr_jwk_thumbprint(const axr_jwk_t *key, char *out, size_t size);

/* Creates an empty key set. Returns 0 or AXR_ENOMEM (*out NULL). */
int axr_jwks_new(axr_jwks_t **out);

/* Frees the set and every key in it. NULL is a no-op. */
void axr_jwks_free(axr_jwks_t *set);

/* Adds `key` to the set, which takes ownership on success only.
 * Errors: AXR_EEXISTS (a key with the same kid is present), AXR_ETOOBIG
 * (already AXR_JWKS_MAX_KEYS keys), AXR_EINVAL. */
int axr_jwks_add(axr_jwks_t *set, axr_jwk_t *key);

/* Number of keys, and the i-th key (NULL when out of range). */
size_t axr_jwks_count(const axr_jwks_t *set);
const axr_jwk_t *axr_jwks_get(const axr_jwks_t *set, size_t i);

/* The key whose kid equals the `len` bytes at `kid` exactly (byte compare,
 * no normalisation), or NULL. */
const axr_jwk_t *axr_jwks_find(const axr_jwks_t *set, const char *kid, size_t len);

/*
 * Writes the public part of every key as a JWKS document
 * `{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":..,"n":..,"e":..},
 * {"kty":"EC","use":"sig","alg":"ES256","kid":..,"crv":"P-256","x":..,"y":..}]}`.
 * Private material is never written. On success *json is a NUL-terminated
 * string the caller frees with free(); *len (if not NULL) gets its length.
 * Errors: AXR_EINVAL, AXR_ENOMEM, AXR_EINTERNAL (OpenSSL failure).
 */
int axr_jwks_export(const axr_jwks_t *set, char **json, size_t *len);

/*
 * Parses a JWKS document into a new set of public keys. The document must be
 * strict JSON (no duplicate member names) of at most AXR_JWKS_JSON_MAX bytes
 * with a "keys" array. Keys whose "use" is present and not "sig", or whose
 * "kty"/"alg" we do not support, are skipped; a supported key that is
 * malformed (bad base64url, RSA under 2048 bits, point not on P-256, "alg"
 * contradicting the key, private members such as "d") fails the whole
 * document. A key without "kid" gets its thumbprint.
 * On success *out owns the new set (at least one key).
 * Errors: AXR_EPARSE, AXR_ETOOBIG, AXR_EUNSUPPORTED, AXR_EEXISTS (duplicate
 * kid), AXR_ENOTFOUND (no usable key), AXR_ENOMEM.
 */
int axr_jwks_parse(const char *json, size_t len, axr_jwks_t **out);

/* ---- internal, shared with jwt.c (not for use outside the runtime) ---- */

/* Strict base64url (RFC 4648 section 5) without padding: only [A-Za-z0-9_-],
 * length mod 4 != 1, unused trailing bits zero. Decodes `len` chars of `in`
 * into `out` (capacity `cap`); returns the decoded size or -1. */
long axr__b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap);

/* Encodes `len` bytes as unpadded base64url into `out` (capacity `cap`,
 * NUL-terminated); returns the encoded length or -1 if it does not fit. */
long axr__b64url_encode(const unsigned char *in, size_t len, char *out, size_t cap);

/* Bytes needed to encode `len` bytes, including the NUL. */
#define AXR__B64URL_ENCODED_SIZE(len) ((((len) + 2) / 3) * 4 + 1)

#endif
