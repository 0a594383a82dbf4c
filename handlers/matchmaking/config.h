/* config.h: the matchmaking service's settings (environment variables, runtime/config.h tables). */
#ifndef AXR_MATCHMAKING_CONFIG_H
#define AXR_MATCHMAKING_CONFIG_H

#include <stddef.h>

#include "runtime/config.h" /* not this folder's config.h */
#include "matcher.h"

typedef struct matchmaking_config {
	int enabled;          /* AXR_MATCH_ENABLED: run the background matcher in this process */
	long interval_ms;     /* AXR_MATCH_INTERVAL: pause between two matching rounds */
	long max_wait_ms;     /* AXR_MATCH_MAX_WAIT: a ticket still queued this long expires */
	long window_base;     /* AXR_MATCH_WINDOW_BASE: skill window at wait 0 (skill points) */
	long window_rate;     /* AXR_MATCH_WINDOW_RATE: its growth per second waited */
	long window_max;      /* AXR_MATCH_WINDOW_MAX: its cap (0 = none) */
	long latency_weight;  /* AXR_MATCH_LATENCY_WEIGHT: skill points per 100 ms of highest latency */
	long max_players;     /* AXR_MATCH_MAX_PLAYERS: largest match (numTeams x teamSize) */
	long batch;           /* AXR_MATCH_BATCH: tickets one round claims per criteria */
} matchmaking_config_t;

/* The table of the variables above (names, defaults, bounds, help); the
 * count is a constant so a static axr_service_hooks_t can name it. */
#define MATCHMAKING_CONFIG_VAR_COUNT 9
extern const axr_config_var_t matchmaking_config_vars[MATCHMAKING_CONFIG_VAR_COUNT];
extern const size_t matchmaking_config_var_count;

/*
 * Reads the variables from the environment (or their defaults) into `cfg`.
 * Returns 0, or AXR_ECONFIG with a message naming the variable in `err`.
 */
int matchmaking_config_load(matchmaking_config_t *cfg, char *err, size_t errlen);

/* Fills `out` (the matcher's settings) from `cfg`. */
void matchmaking_config_matcher(const matchmaking_config_t *cfg, matchmaking_matcher_config_t *out);

#endif
