/* mint_token.c: sign an access token with a test key (runtime/jwt.h's signer), for script tests and benches. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "err.h"
#include "jwks.h"
#include "jwt.h"

/*
 * usage: mint_token -k PRIVATE.pem -s SUB [options]
 *
 * Prints one token (and a newline) signed with the PEM private key: header
 * {alg (from the key), typ, kid}, claims iss, aud, sub, iat, exp, jti and
 * profile {uid, roles}.
 *
 *   -k FILE   private key (tests/fixtures/keys/test-only-rs256-private.pem)
 *   -s SUB    subject; also profile.uid unless -u is given
 *   -u UID    profile.uid
 *   -r ROLE   a role in profile.roles (repeatable)
 *   -i ISS    issuer (default "axr", as AXR_JWT_ISSUER)
 *   -a AUD    audience (default "axr", as AXR_JWT_AUDIENCE)
 *   -t SECS   lifetime (default 900)
 *   -e SECS   issued SECS seconds ago (with -t smaller than -e: an expired token)
 *   -n N      print N tokens, one per line, for subjects SUB-0 .. SUB-(N-1)
 *             (uid likewise; for load tools)
 *
 * Exit status 0, 1 on any failure (message on stderr), 2 on a usage error.
 */

static int usage(void)
{
	fprintf(stderr, "usage: mint_token -k KEY.pem -s SUB [-u UID] [-r ROLE]... [-i ISS] [-a AUD] [-t SECS] "
	                "[-e SECS_AGO] [-n COUNT]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *key_file = NULL, *sub = NULL, *uid = NULL, *iss = "axr", *aud = "axr";
	const char *roles[AXR_JWT_MAX_ROLES];
	size_t nroles = 0;
	long ttl = 900, ago = 0, count = 0;
	int opt;
	while ((opt = getopt(argc, argv, "k:s:u:r:i:a:t:e:n:")) != -1) {
		switch (opt) {
		case 'k': key_file = optarg; break;
		case 's': sub = optarg; break;
		case 'u': uid = optarg; break;
		case 'r':
			if (nroles == AXR_JWT_MAX_ROLES)
				return usage();
			roles[nroles++] = optarg;
			break;
		case 'i': iss = optarg; break;
		case 'a': aud = optarg; break;
		case 't': ttl = atol(optarg); break;
		case 'e': ago = atol(optarg); break;
		case 'n': count = atol(optarg); break;
		default: return usage();
		}
	}
	if (key_file == NULL || sub == NULL || optind != argc || ttl <= 0 || ttl > 86400 || ago < 0 || count < 0)
		return usage();

	axr_jwk_t *key = NULL;
	axr_jwt_signer_t *signer = NULL;
	axr_arena_t *arena = axr_arena_new(8192);
	int rc = axr_jwk_from_file(key_file, NULL, &key);
	if (rc != 0) {
		fprintf(stderr, "mint_token: %s: %s\n", key_file, axr_strerror(rc));
		goto fail;
	}
	axr_jwt_signer_config_t cfg;
	axr_jwt_signer_config_init(&cfg);
	cfg.key = key;
	cfg.issuer = iss;
	cfg.audience = aud;
	cfg.ttl = (int)ttl;
	if ((rc = axr_jwt_signer_new(&cfg, &signer)) != 0) {
		fprintf(stderr, "mint_token: signer: %s\n", axr_strerror(rc));
		goto fail;
	}
	int64_t now = (int64_t)time(NULL);
	for (long i = 0; i < (count ? count : 1); i++) {
		char sub_i[256], uid_i[256];
		snprintf(sub_i, sizeof sub_i, count ? "%s-%ld" : "%s", sub, i);
		snprintf(uid_i, sizeof uid_i, count ? "%s-%ld" : "%s", uid ? uid : sub, i);
		axr_jwt_claims_t claims = {
			.sub = sub_i,
			.iat = now - ago,
			.exp = now - ago + ttl,
			.profile = {.uid = uid_i, .roles = nroles ? roles : NULL, .nroles = nroles},
		};
		char *token = NULL;
		if (arena == NULL || (rc = axr_jwt_sign(signer, &claims, arena, &token)) != 0) {
			fprintf(stderr, "mint_token: sign: %s\n", axr_strerror(arena ? rc : AXR_ENOMEM));
			goto fail;
		}
		printf("%s\n", token);
		axr_arena_reset(arena);
	}
	axr_jwt_signer_free(signer);
	axr_jwk_free(key);
	axr_arena_free(arena);
	return 0;
fail:
	axr_jwt_signer_free(signer);
	axr_jwk_free(key);
	axr_arena_free(arena);
	return 1;
}
