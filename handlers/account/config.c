/* config.c: the account service's settings table. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "runtime/err.h"
#include "runtime/jwks.h"

#define ACCOUNT__C(field) offsetof(account_config_t, field)

/*
 * Defaults and why:
 * - access tokens live 15 min, the most DESIGN.md allows: a revoked log-in
 *   (logout, refresh reuse) keeps working at most that long;
 * - refresh tokens: 14 days unused, 90 days per log-in at most;
 * - argon2id t=2, m=19 MiB: OWASP's minimum for argon2id, ~50 ms per hash
 *   on the 2-core dev box (docs/account.md has the measurements);
 * - lockout: more than 5 failures per account or 20 per address in 60 s.
 */
const axr_config_var_t account_config_vars[] = {
	{.name = "AXR_JWT_PRIVATE_KEY", .type = AXR_CFG_STRING, .def = "", .offset = ACCOUNT__C(jwt_private_key),
	 .help = "PEM file of the private key access tokens are signed with (RSA >= 2048 or EC P-256)"},
	{.name = "AXR_JWT_KID", .type = AXR_CFG_STRING, .def = "", .offset = ACCOUNT__C(jwt_kid),
	 .help = "kid of the signing key ([A-Za-z0-9._-], <= 64); empty: its RFC 7638 thumbprint"},
	{.name = "AXR_JWT_PUBLISHED_KEYS", .type = AXR_CFG_STRING, .def = "",
	 .offset = ACCOUNT__C(jwt_published_keys),
	 .help = "comma-separated PEM files of further public keys served in /auth/keys (rotation)"},
	{.name = "AXR_ACCESS_TOKEN_TTL", .type = AXR_CFG_MS, .def = "15m", .min = 1000, .max = 900000,
	 .offset = ACCOUNT__C(access_ttl_ms), .help = "lifetime of access tokens (at most 15m)"},
	{.name = "AXR_REFRESH_TOKEN_TTL", .type = AXR_CFG_INT, .def = "1209600", .min = 60, .max = 31536000,
	 .offset = ACCOUNT__C(refresh_ttl_s), .help = "seconds a refresh token stays valid unused"},
	{.name = "AXR_REFRESH_FAMILY_TTL", .type = AXR_CFG_INT, .def = "7776000", .min = 60, .max = 31536000,
	 .offset = ACCOUNT__C(refresh_family_ttl_s),
	 .help = "seconds a log-in can be refreshed at most (then the password is needed again)"},
	{.name = "AXR_PWHASH_OPSLIMIT", .type = AXR_CFG_INT, .def = "2", .min = 1, .max = 20,
	 .offset = ACCOUNT__C(pwhash_opslimit), .help = "argon2id passes over memory (t)"},
	{.name = "AXR_PWHASH_MEMLIMIT", .type = AXR_CFG_SIZE, .def = "19m", .min = 8192, .max = 1L << 30,
	 .offset = ACCOUNT__C(pwhash_memlimit), .help = "argon2id memory per hash (m)"},
	{.name = "AXR_LOGIN_MAX_FAILURES_ACCOUNT", .type = AXR_CFG_INT, .def = "5", .min = 1, .max = 1000,
	 .offset = ACCOUNT__C(login_max_account), .help = "failed log-ins per account within the window before 429"},
	{.name = "AXR_LOGIN_MAX_FAILURES_ADDRESS", .type = AXR_CFG_INT, .def = "20", .min = 1, .max = 100000,
	 .offset = ACCOUNT__C(login_max_address),
	 .help = "failed log-ins per client address within the window before 429"},
	{.name = "AXR_LOGIN_WINDOW", .type = AXR_CFG_MS, .def = "60s", .min = 1000, .max = 86400000,
	 .offset = ACCOUNT__C(login_window_ms), .help = "the window failed log-ins are counted in"},
	{.name = "AXR_ADMIN_NAME", .type = AXR_CFG_STRING, .def = "", .offset = ACCOUNT__C(admin_name),
	 .help = "admin account created at start-up when missing (empty: none)"},
	{.name = "AXR_ADMIN_PASSWORD", .type = AXR_CFG_STRING, .def = "", .offset = ACCOUNT__C(admin_password),
	 .flags = AXR_CFG_SECRET, .help = "its password (at least 8 characters)"},
};
const size_t account_config_var_count = sizeof account_config_vars / sizeof account_config_vars[0];

int account_config_load(account_config_t *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	c->issuer = "axr";
	c->audience = "axr";
	c->alg = AXR_JWT_RS256;
	return axr_config_load(account_config_vars, account_config_var_count, c, err, errlen);
}

void account_config_from_runtime(account_config_t *c, const axr_config_t *rt)
{
	c->issuer = rt->jwt_issuer;
	c->audience = rt->jwt_audience;
	c->alg = rt->jwt_alg == 1 ? AXR_JWT_ES256 : AXR_JWT_RS256; /* AXR_JWT_ALG: RS256|ES256 */
}
