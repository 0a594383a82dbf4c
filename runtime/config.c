/* config.c: configuration from environment variables, described by tables. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"

#define AXR__C(field) offsetof(axr_config_t, field)

const axr_config_var_t axr_config_vars[] = {
	{.name = "AXR_HOST", .type = AXR_CFG_STRING, .def = "127.0.0.1", .offset = AXR__C(host),
	 .help = "address to listen on"},
	{.name = "AXR_PORT", .type = AXR_CFG_INT, .def = "8000", .min = 0, .max = 65535,
	 .offset = AXR__C(port), .help = "TCP port to listen on"},
	{.name = "AXR_THREADS", .type = AXR_CFG_INT, .def = "0", .min = 0, .max = 256,
	 .offset = AXR__C(threads), .help = "I/O threads (event loops); 0 = one per core"},
	{.name = "AXR_WORKERS", .type = AXR_CFG_INT, .def = "8", .min = 1, .max = 1024,
	 .offset = AXR__C(workers), .help = "handler threads, each with its own DB and redis connection"},
	{.name = "AXR_QUEUE_MAX", .type = AXR_CFG_INT, .def = "1024", .min = 1, .max = 1000000,
	 .offset = AXR__C(queue_max), .help = "requests waiting for a worker; beyond it 503 + Retry-After"},
	{.name = "AXR_MAX_CONNECTIONS", .type = AXR_CFG_INT, .def = "20000", .min = 1, .max = 1000000,
	 .offset = AXR__C(max_connections), .help = "open client connections; beyond it new ones are closed"},
	{.name = "AXR_MAX_BODY", .type = AXR_CFG_SIZE, .def = "1m", .min = 0, .max = 1L << 30,
	 .offset = AXR__C(max_body), .help = "largest request body (413 beyond; routes may lower it)"},
	{.name = "AXR_MAX_BUFFERED", .type = AXR_CFG_SIZE, .def = "0", .min = 0, .max = 1L << 40,
	 .offset = AXR__C(max_buffered),
	 .help = "request bytes all connections may hold before their handlers run (0 = 64 x AXR_MAX_BODY); "
	         "beyond it a connection holding more than a head is shed with 503"},
	{.name = "AXR_MAX_HEADER", .type = AXR_CFG_SIZE, .def = "16k", .min = 1024, .max = 1L << 20,
	 .offset = AXR__C(max_header), .help = "largest request head (431 beyond)"},
	{.name = "AXR_HEADER_TIMEOUT", .type = AXR_CFG_MS, .def = "10s", .min = 100, .max = 3600000,
	 .offset = AXR__C(header_timeout_ms), .help = "the whole request head must arrive within this"},
	{.name = "AXR_BODY_TIMEOUT", .type = AXR_CFG_MS, .def = "30s", .min = 100, .max = 3600000,
	 .offset = AXR__C(body_timeout_ms), .help = "the whole request body must arrive within this"},
	{.name = "AXR_IDLE_TIMEOUT", .type = AXR_CFG_MS, .def = "75s", .min = 100, .max = 3600000,
	 .offset = AXR__C(idle_timeout_ms), .help = "keep-alive connections idle longer are closed"},
	{.name = "AXR_DRAIN_TIMEOUT", .type = AXR_CFG_MS, .def = "10s", .min = 0, .max = 3600000,
	 .offset = AXR__C(drain_timeout_ms), .help = "on SIGTERM, how long in-flight requests may take"},
	{.name = "AXR_DATABASE_URL", .type = AXR_CFG_URL, .def = "", .choices = "postgres|postgresql",
	 .offset = AXR__C(database_url), .flags = AXR_CFG_SECRET,
	 .help = "PostgreSQL connection URL of this service's database"},
	{.name = "AXR_REDIS_URL", .type = AXR_CFG_URL, .def = "", .choices = "redis",
	 .offset = AXR__C(redis_url), .help = "redis URL for the event bus (redis://host:port)"},
	{.name = "AXR_DB_CONNECT_TIMEOUT", .type = AXR_CFG_MS, .def = "2s", .min = 1000, .max = 600000,
	 .offset = AXR__C(db_connect_timeout_ms), .help = "PostgreSQL connect_timeout"},
	{.name = "AXR_DB_STATEMENT_TIMEOUT", .type = AXR_CFG_MS, .def = "5s", .min = 1, .max = 3600000,
	 .offset = AXR__C(db_statement_timeout_ms), .help = "PostgreSQL statement_timeout"},
	{.name = "AXR_DB_LOCK_TIMEOUT", .type = AXR_CFG_MS, .def = "2s", .min = 1, .max = 3600000,
	 .offset = AXR__C(db_lock_timeout_ms), .help = "PostgreSQL lock_timeout"},
	{.name = "AXR_DB_IDLE_TX_TIMEOUT", .type = AXR_CFG_MS, .def = "10s", .min = 1, .max = 3600000,
	 .offset = AXR__C(db_idle_tx_timeout_ms), .help = "PostgreSQL idle_in_transaction_session_timeout"},
	{.name = "AXR_LOG_LEVEL", .type = AXR_CFG_ENUM, .def = "info", .choices = "debug|info|warn|error|off",
	 .offset = AXR__C(log_level), .help = "least severe level written"},
	{.name = "AXR_ACCESS_LOG", .type = AXR_CFG_BOOL, .def = "true", .offset = AXR__C(access_log),
	 .help = "one log line per request"},
	{.name = "AXR_JWT_PUBLIC_KEY", .type = AXR_CFG_STRING, .def = "", .offset = AXR__C(jwt_public_key),
	 .help = "PEM file with the public key that verifies access tokens"},
	{.name = "AXR_JWT_JWKS_URL", .type = AXR_CFG_URL, .def = "", .choices = "http",
	 .offset = AXR__C(jwt_jwks_url), .help = "or: the account service's JWKS URL to fetch keys from"},
	{.name = "AXR_JWT_ALG", .type = AXR_CFG_ENUM, .def = "RS256", .choices = "RS256|ES256",
	 .offset = AXR__C(jwt_alg), .help = "the only accepted signing algorithm"},
	{.name = "AXR_JWT_ISSUER", .type = AXR_CFG_STRING, .def = "axr", .offset = AXR__C(jwt_issuer),
	 .help = "required iss claim"},
	{.name = "AXR_JWT_AUDIENCE", .type = AXR_CFG_STRING, .def = "axr", .offset = AXR__C(jwt_audience),
	 .help = "aud claim that must be present"},
	{.name = "AXR_JWT_LEEWAY", .type = AXR_CFG_MS, .def = "60s", .min = 0, .max = 300000,
	 .offset = AXR__C(jwt_leeway_ms), .help = "clock skew allowed on exp, nbf, iat"},
	{.name = "AXR_JWT_CACHE", .type = AXR_CFG_INT, .def = "10000", .min = 0, .max = 10000000,
	 .offset = AXR__C(jwt_cache_entries), .help = "verified tokens kept to skip signature checks"},
	{.name = "AXR_RETRY_AFTER", .type = AXR_CFG_INT, .def = "1", .min = 1, .max = 3600,
	 .offset = AXR__C(retry_after_s), .help = "seconds in Retry-After of 503 answers"},
	{.name = "AXR_TRUSTED_PROXIES", .type = AXR_CFG_STRING, .def = "", .offset = AXR__C(trusted_proxies),
	 .help = "comma-separated addresses or IPv4 CIDR blocks whose X-Real-IP is believed (loopback always is)"},
};
const size_t axr_config_var_count = sizeof(axr_config_vars) / sizeof(axr_config_vars[0]);

static const char *const axr__type_names[] = {
	[AXR_CFG_INT] = "integer", [AXR_CFG_SIZE] = "size",  [AXR_CFG_MS] = "duration",
	[AXR_CFG_STRING] = "string", [AXR_CFG_URL] = "url", [AXR_CFG_BOOL] = "bool",
	[AXR_CFG_ENUM] = "enum",
};

/* Index of `value` in the '|'-separated `choices`, or -1. */
static int axr__choice_index(const char *choices, const char *value, size_t vlen)
{
	int idx = 0;
	const char *p = choices;
	while (p != NULL && *p) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == vlen && strncasecmp(p, value, n) == 0)
			return idx;
		idx++;
		p = bar ? bar + 1 : NULL;
	}
	return -1;
}

static int axr__parse_number(const axr_config_var_t *v, const char *s, long *out)
{
	errno = 0;
	char *end = NULL;
	long long n = strtoll(s, &end, 10);
	if (end == s || errno != 0 || (n < 0 && v->type != AXR_CFG_INT))
		return -1;
	long long mult = 1;
	if (v->type == AXR_CFG_SIZE) {
		if (strcasecmp(end, "k") == 0)
			mult = 1024;
		else if (strcasecmp(end, "m") == 0)
			mult = 1024 * 1024;
		else if (strcasecmp(end, "g") == 0)
			mult = 1024LL * 1024 * 1024;
		else if (*end != '\0')
			return -1;
	} else if (v->type == AXR_CFG_MS) {
		if (strcmp(end, "s") == 0)
			mult = 1000;
		else if (strcmp(end, "m") == 0)
			mult = 60000;
		else if (strcmp(end, "ms") != 0 && *end != '\0')
			return -1;
	} else if (*end != '\0') {
		return -1;
	}
	if (n > (long long)(9223372036854775807LL / mult))
		return -1;
	*out = (long)(n * mult);
	return 0;
}

static int axr__load_one(const axr_config_var_t *v, void *dst, char *err, size_t errlen)
{
	const char *s = getenv(v->name);

	if (s == NULL)
		s = v->def ? v->def : "";
	void *field = (char *)dst + v->offset;
	const char *shown = (v->flags & AXR_CFG_SECRET) ? "(secret)" : s;

	switch (v->type) {
	case AXR_CFG_INT:
	case AXR_CFG_SIZE:
	case AXR_CFG_MS: {
		long n = 0;
		if (axr__parse_number(v, s, &n) != 0) {
			snprintf(err, errlen, "%s: '%s' is not a valid %s", v->name, shown, axr__type_names[v->type]);
			return AXR_ECONFIG;
		}
		if (n < v->min || (v->max > 0 && n > v->max)) {
			snprintf(err, errlen, "%s: %s is out of range [%ld, %ld]", v->name, shown, v->min, v->max);
			return AXR_ECONFIG;
		}
		*(long *)field = n;
		return 0;
	}
	case AXR_CFG_BOOL: {
		int idx = axr__choice_index("false|true|0|1|no|yes|off|on", s, strlen(s));
		if (idx < 0) {
			snprintf(err, errlen, "%s: '%s' is not a boolean (true|false)", v->name, shown);
			return AXR_ECONFIG;
		}
		*(int *)field = idx % 2;
		return 0;
	}
	case AXR_CFG_ENUM: {
		int idx = axr__choice_index(v->choices, s, strlen(s));
		if (idx < 0) {
			snprintf(err, errlen, "%s: '%s' is not one of %s", v->name, shown, v->choices);
			return AXR_ECONFIG;
		}
		*(int *)field = idx;
		return 0;
	}
	case AXR_CFG_URL:
		if (*s != '\0') {
			const char *colon = strstr(s, "://");
			if (colon == NULL || axr__choice_index(v->choices, s, (size_t)(colon - s)) < 0) {
				snprintf(err, errlen, "%s: '%s' must be a URL with scheme %s", v->name, shown, v->choices);
				return AXR_ECONFIG;
			}
		}
		*(const char **)field = s;
		return 0;
	case AXR_CFG_STRING:
		*(const char **)field = s;
		return 0;
	}
	snprintf(err, errlen, "%s: unknown variable type", v->name);
	return AXR_ECONFIG;
}

int axr_config_load(const axr_config_var_t *vars, size_t n, void *dst, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		int rc = axr__load_one(&vars[i], dst, err, errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void axr_config_print_help(FILE *out, const axr_config_var_t *vars, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const axr_config_var_t *v = &vars[i];
		const char *def = v->def && *v->def ? v->def : "(empty)";
		fprintf(out, "  %-26s %-8s default %-10s %s", v->name, axr__type_names[v->type], def, v->help);
		if (v->type == AXR_CFG_ENUM)
			fprintf(out, " [%s]", v->choices);
		if ((v->type == AXR_CFG_INT || v->type == AXR_CFG_SIZE || v->type == AXR_CFG_MS) && v->max > 0)
			fprintf(out, " [%ld..%ld]", v->min, v->max);
		fputc('\n', out);
	}
}
