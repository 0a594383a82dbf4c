/* matcher.h: the matchmaking algorithm: tickets in, matches of exact size out (pure C, deterministic). */
#ifndef AXR_MATCHMAKING_MATCHER_H
#define AXR_MATCHMAKING_MATCHER_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The matcher knows nothing of the database, HTTP or protobuf: it reads an
 * array of tickets and writes matches as indexes into that array. The same
 * input always gives the same output (no randomness, every sort has a total
 * order, ties end on the ticket's index).
 *
 * Rules it never breaks (the tests pin each one):
 *   - a match has exactly num_teams teams of exactly team_size players;
 *   - a party (one ticket) is never split: all its players are on one team;
 *   - team_size lies in [team_min, team_max] of every ticket of the match;
 *   - all tickets of a match have equal `criteria` and equal num_teams;
 *   - matching is mutual: every ticket's skill window (centred on its own
 *     skill, widening with its wait) contains the skill of every other
 *     ticket of the match;
 *   - a ticket is in at most one match.
 *
 * What it prefers (docs/matchmaking.md): the longest-waiting ticket is
 * served first (it anchors a match), then partners close in skill and not
 * worse in latency (cost = skill spread + latency_weight x highest latency),
 * the largest team size the anchor accepts and can fill; then the parties
 * are spread over teams so the team average skills are as close as it can
 * make them (exact for two teams of up to 12 parties, greedy plus swaps
 * beyond).
 */

#define MATCHMAKING_MAX_PARTY 16    /* players on one ticket */
#define MATCHMAKING_MAX_TEAMS 64
#define MATCHMAKING_MAX_TEAM_SIZE 64

/* One ticket as the matcher sees it. */
typedef struct matchmaking_ticket {
	const char *criteria; /* exact-match key (canonical criteria); NULL reads as "" */
	int party;            /* players on the ticket, 1..MATCHMAKING_MAX_PARTY */
	int num_teams;        /* teams per match, 1..MATCHMAKING_MAX_TEAMS */
	int team_min;         /* acceptable team sizes, inclusive, */
	int team_max;         /*   1 <= team_min <= team_max <= MATCHMAKING_MAX_TEAM_SIZE */
	double skill;         /* the party's average skill rating (finite) */
	double latency;       /* milliseconds; negative (or NaN) when unknown */
	double wait_s;        /* seconds the ticket has waited (its window widens with it) */
} matchmaking_ticket_t;

typedef struct matchmaking_matcher_config {
	double window_base;    /* skill window half-width at wait 0 (default 100) */
	double window_rate;    /* its growth per second waited (default 10) */
	double window_max;     /* cap on the window; 0 = none (default 0, so any two compatible
	                        * tickets eventually accept each other) */
	double latency_weight; /* skill points one millisecond of the match's highest latency
	                        * costs (default 1) */
	int max_players;       /* largest match, num_teams x team_size (default 256) */
	int candidates;        /* partners examined per anchor; 0 = 2 x players + 16 */
	long search_budget;    /* search steps per anchor and team size (default 4000) */
} matchmaking_matcher_config_t;

/* Fills `c` with the defaults above. */
void matchmaking_matcher_config_init(matchmaking_matcher_config_t *c);

/* The skill window half-width of a ticket that waited `wait_s` seconds:
 * window_base + window_rate * wait_s, capped at window_max when set.
 * Negative or NaN waits count as 0. `c` NULL: the defaults (so below). */
double matchmaking_skill_window(const matchmaking_matcher_config_t *c, double wait_s);

/* true when ticket `a`'s window accepts ticket `b`'s skill
 * (|a.skill - b.skill| <= window(a)). Mutual acceptance is both ways. `c` may be NULL. */
bool matchmaking_ticket_accepts(const matchmaking_matcher_config_t *c, const matchmaking_ticket_t *a,
                                const matchmaking_ticket_t *b);

/* true when the matcher can ever place `t` (sizes in range, party fits its
 * largest team, num_teams x team_min <= max_players, finite skill). `c`
 * NULL: the defaults. */
bool matchmaking_ticket_valid(const matchmaking_matcher_config_t *c, const matchmaking_ticket_t *t);

/* A player slot of a match: ticket `ticket` (an index into the input) plays
 * on team `team` (0-based). */
typedef struct matchmaking_member {
	size_t ticket;
	int team;
} matchmaking_member_t;

typedef struct matchmaking_match {
	size_t first_member;   /* its tickets: members[first_member .. +n_members), by team, */
	size_t n_members;      /*   then skill (highest first), then index */
	size_t first_team;     /* its team averages: team_skill[first_team .. +num_teams) */
	int num_teams;
	int team_size;
	double skill_spread;   /* highest minus lowest ticket skill */
	double team_skill_diff; /* highest minus lowest team average skill */
	double max_latency;    /* highest known latency; negative when no ticket knows it */
	double cost;           /* skill_spread + latency_weight x max(max_latency, 0) */
} matchmaking_match_t;

/* Everything one run produced; arrays are malloc'd, owned by the result. */
typedef struct matchmaking_result {
	matchmaking_match_t *matches;
	size_t n_matches;
	matchmaking_member_t *members;
	size_t n_members;
	double *team_skill;    /* team averages (sum of player skills / team_size) */
	size_t n_teams;
	size_t n_invalid;      /* tickets skipped because matchmaking_ticket_valid() is false */
} matchmaking_result_t;

/*
 * Forms matches from the `n` tickets `t` under `cfg` (NULL: the defaults).
 * On success returns 0 and fills *out (free with matchmaking_result_free();
 * tickets in no match simply do not appear). Invalid tickets are skipped and
 * counted in out->n_invalid, never an error. Returns AXR_EINVAL when `out`
 * is NULL or `t` is NULL with n > 0, AXR_ENOMEM (then *out is empty).
 */
int matchmaking_match_tickets(const matchmaking_matcher_config_t *cfg, const matchmaking_ticket_t *t,
                              size_t n, matchmaking_result_t *out);

/* Frees the arrays of `r` and zeroes it. NULL is a no-op. */
void matchmaking_result_free(matchmaking_result_t *r);

#endif
