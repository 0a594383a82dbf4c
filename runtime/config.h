/* config.h: configuration from environment variables, described by tables. */
#ifndef AXR_CONFIG_H
#define AXR_CONFIG_H

#include <stddef.h>
#include <stdio.h>

enum axr_config_type {
	AXR_CFG_INT,    /* long, decimal, within [min, max] */
	AXR_CFG_SIZE,   /* long bytes; suffixes k, m, g (powers of 1024) */
	AXR_CFG_MS,     /* long milliseconds; suffixes ms, s, m */
	AXR_CFG_STRING, /* const char *, any text */
	AXR_CFG_URL,    /* const char *, empty or starting with one of `choices`
	                 * (a '|'-separated list of schemes, e.g. "postgres|postgresql") */
	AXR_CFG_BOOL,   /* int: 1/0 from true|false|1|0|yes|no|on|off */
	AXR_CFG_ENUM,   /* int: index of the value in `choices` ("a|b|c") */
};

#define AXR_CFG_SECRET 1u /* never printed (help shows only whether it is set) */

/*
 * One configuration variable. Tables of these are static const, written
 * with designated initializers; the value lands at `offset` in the caller's
 * struct (offsetof), with the C type given by `type` above.
 */
typedef struct axr_config_var {
	const char *name;    /* environment variable, e.g. "AXR_PORT" */
	int type;            /* enum axr_config_type */
	const char *def;     /* default, as text ("" or NULL: empty / 0) */
	long min, max;       /* bounds for INT, SIZE, MS (max 0: no bound) */
	const char *choices; /* ENUM values or URL schemes, '|'-separated */
	const char *help;
	size_t offset;
	unsigned flags;
} axr_config_var_t;

/*
 * Reads every variable of `vars` from the environment (or its default),
 * validates it and stores it into `dst`. Strings point into the environment
 * or the table (no allocation). On the first bad value returns AXR_ECONFIG
 * and writes a message naming the variable into `err`.
 */
int axr_config_load(const axr_config_var_t *vars, size_t n, void *dst, char *err, size_t errlen);

/* Prints the table (name, type, default, help) for --help. */
void axr_config_print_help(FILE *out, const axr_config_var_t *vars, size_t n);

/* The runtime's own settings, shared by every service. */
typedef struct axr_config {
	const char *host;
	long port;
	long threads;            /* I/O threads; 0 = one per core */
	long workers;            /* handler threads */
	long queue_max;          /* requests waiting for a worker before 503 */
	long max_connections;
	long max_body;
	long max_buffered;       /* request bytes held before handlers run, all connections; 0 = 64 x max_body */
	long max_header;
	long header_timeout_ms;  /* whole request head must arrive within this */
	long body_timeout_ms;
	long idle_timeout_ms;    /* keep-alive connections with no request */
	long drain_timeout_ms;   /* graceful shutdown bound */
	const char *database_url;
	const char *redis_url;
	long db_connect_timeout_ms;
	long db_statement_timeout_ms;
	long db_lock_timeout_ms;
	long db_idle_tx_timeout_ms;
	int log_level;
	int access_log;
	const char *jwt_public_key;  /* PEM file of the verification key */
	const char *jwt_jwks_url;    /* or fetch the keys from here */
	int jwt_alg;                 /* 0 RS256, 1 ES256 */
	const char *jwt_issuer;
	const char *jwt_audience;
	long jwt_leeway_ms;
	long jwt_cache_entries;
	long retry_after_s;          /* Retry-After on 503 answers */
	const char *trusted_proxies;  /* who may set X-Real-IP, besides loopback */
} axr_config_t;

extern const axr_config_var_t axr_config_vars[];
extern const size_t axr_config_var_count;

#endif
