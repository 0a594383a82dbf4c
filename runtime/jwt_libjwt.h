/* jwt_libjwt.h: the part of the libjwt 1.10 API the runtime uses (private to jwt*.c). */
#ifndef AXR_JWT_LIBJWT_H
#define AXR_JWT_LIBJWT_H

#include "jwks.h"

/*
 * libjwt 1.10 API. Its header is also called jwt.h and every runtime file is
 * compiled with -Iruntime, so `#include <jwt.h>` would find runtime/jwt.h
 * instead. These declarations are copied from libjwt 1.10's jwt.h
 * (the enum is part of its ABI); verifier and signer creation check
 * jwt_str_alg() against them so a mismatched library fails loudly.
 */
typedef struct jwt jwt_t;
typedef enum jwt_alg {
	JWT_ALG_NONE = 0,
	JWT_ALG_HS256,
	JWT_ALG_HS384,
	JWT_ALG_HS512,
	JWT_ALG_RS256,
	JWT_ALG_RS384,
	JWT_ALG_RS512,
	JWT_ALG_ES256,
	JWT_ALG_ES384,
	JWT_ALG_ES512,
	JWT_ALG_TERM
} jwt_alg_t;
int jwt_new(jwt_t **jwt);
int jwt_decode(jwt_t **jwt, const char *token, const unsigned char *key, int key_len);
void jwt_free(jwt_t *jwt);
int jwt_add_header(jwt_t *jwt, const char *header, const char *val);
int jwt_add_grants_json(jwt_t *jwt, const char *json);
char *jwt_encode_str(jwt_t *jwt);
int jwt_set_alg(jwt_t *jwt, jwt_alg_t alg, const unsigned char *key, int len);
jwt_alg_t jwt_get_alg(jwt_t *jwt);
jwt_alg_t jwt_str_alg(const char *alg);

/* Maps our alg to libjwt's, checking the library agrees with our copy of
 * its enum. Returns JWT_ALG_TERM when not supported. */
static inline jwt_alg_t axr__lib_alg(axr_jwt_alg_t alg)
{
	const char *name = axr_jwt_alg_name(alg);
	jwt_alg_t want = alg == AXR_JWT_RS256 ? JWT_ALG_RS256 : JWT_ALG_ES256;

	if (name == NULL || jwt_str_alg(name) != want)
		return JWT_ALG_TERM;
	return want;
}

#endif
