/* config.c: the matchmaking service's settings. */
#include "config.h"

#include "err.h"

#define MM_C(field) offsetof(matchmaking_config_t, field)

/* config.h declares it with MATCHMAKING_CONFIG_VAR_COUNT entries: another count fails the compile. */
const axr_config_var_t matchmaking_config_vars[] = {
	{.name = "AXR_MATCH_ENABLED", .type = AXR_CFG_BOOL, .def = "true", .offset = MM_C(enabled),
	 .help = "run the background matcher in this process (replicas may all run it)"},
	{.name = "AXR_MATCH_INTERVAL", .type = AXR_CFG_MS, .def = "250ms", .min = 10, .max = 60000,
	 .offset = MM_C(interval_ms), .help = "pause between two matching rounds"},
	{.name = "AXR_MATCH_MAX_WAIT", .type = AXR_CFG_MS, .def = "120s", .min = 100, .max = 86400000,
	 .offset = MM_C(max_wait_ms), .help = "a ticket still QUEUED this long after it was created becomes EXPIRED"},
	{.name = "AXR_MATCH_WINDOW_BASE", .type = AXR_CFG_INT, .def = "100", .min = 0, .max = 1000000,
	 .offset = MM_C(window_base), .help = "skill window (half-width, skill points) of a ticket that just arrived"},
	{.name = "AXR_MATCH_WINDOW_RATE", .type = AXR_CFG_INT, .def = "10", .min = 0, .max = 1000000,
	 .offset = MM_C(window_rate), .help = "skill points the window widens per second waited"},
	{.name = "AXR_MATCH_WINDOW_MAX", .type = AXR_CFG_INT, .def = "0", .min = 0, .max = 1000000,
	 .offset = MM_C(window_max), .help = "cap on the skill window; 0 = none (every compatible pair meets eventually)"},
	{.name = "AXR_MATCH_LATENCY_WEIGHT", .type = AXR_CFG_INT, .def = "100", .min = 0, .max = 1000000,
	 .offset = MM_C(latency_weight), .help = "skill points that 100 ms of a match's highest latency cost"},
	{.name = "AXR_MATCH_MAX_PLAYERS", .type = AXR_CFG_INT, .def = "256", .min = 2, .max = 4096,
	 .offset = MM_C(max_players), .help = "largest match (numTeams x teamSize); larger tickets are refused"},
	{.name = "AXR_MATCH_BATCH", .type = AXR_CFG_INT, .def = "5000", .min = 10, .max = 1000000,
	 .offset = MM_C(batch), .help = "tickets one round claims per criteria (oldest first)"},
};
const size_t matchmaking_config_var_count = sizeof matchmaking_config_vars / sizeof matchmaking_config_vars[0];

int matchmaking_config_load(matchmaking_config_t *cfg, char *err, size_t errlen)
{
	return axr_config_load(matchmaking_config_vars, matchmaking_config_var_count, cfg, err, errlen);
}

void matchmaking_config_matcher(const matchmaking_config_t *cfg, matchmaking_matcher_config_t *out)
{
	matchmaking_matcher_config_init(out);
	out->window_base = (double)cfg->window_base;
	out->window_rate = (double)cfg->window_rate;
	out->window_max = (double)cfg->window_max;
	out->latency_weight = (double)cfg->latency_weight / 100.0;
	out->max_players = (int)cfg->max_players;
}
