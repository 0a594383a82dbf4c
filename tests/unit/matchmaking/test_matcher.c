/* test_matcher.c: the matchmaking algorithm (handlers/matchmaking/matcher.c): sizes, parties, criteria, windows, balance. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "err.h"
#include "matcher.h"
#include "tests/unit/expect_msg.h"

/* A deterministic generator (xorshift64*), so every run sees the same tickets. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}
static int rng_int(int lo, int hi) { return lo + (int)(rng() % (uint64_t)(hi - lo + 1)); }

static matchmaking_ticket_t solo(const char *criteria, double skill, int size, double wait)
{
	return (matchmaking_ticket_t){.criteria = criteria, .party = 1, .num_teams = 2, .team_min = size,
	                              .team_max = size, .skill = skill, .latency = -1, .wait_s = wait};
}

/*
 * Checks every rule the matcher promises on `res` for input `t`; fails the
 * test naming the match and the rule otherwise. Returns the number of
 * tickets matched.
 */
static size_t check_result(const matchmaking_matcher_config_t *cfg, const matchmaking_ticket_t *t, size_t n,
                           const matchmaking_result_t *res)
{
	int *seen = calloc(n ? n : 1, sizeof *seen);
	assert_non_null(seen);
	size_t matched = 0;
	for (size_t mi = 0; mi < res->n_matches; mi++) {
		const matchmaking_match_t *m = &res->matches[mi];
		EXPECT_MSG(m->num_teams >= 1 && m->num_teams <= MATCHMAKING_MAX_TEAMS, "match %zu: %d teams", mi,
		           m->num_teams);
		int fill[MATCHMAKING_MAX_TEAMS] = {0};
		double total[MATCHMAKING_MAX_TEAMS] = {0};
		double smin = INFINITY, smax = -INFINITY;
		const matchmaking_ticket_t *first = &t[res->members[m->first_member].ticket];
		for (size_t k = 0; k < m->n_members; k++) {
			const matchmaking_member_t *mem = &res->members[m->first_member + k];
			const matchmaking_ticket_t *a = &t[mem->ticket];
			EXPECT_MSG(mem->ticket < n, "match %zu: ticket %zu out of range", mi, mem->ticket);
			EXPECT_MSG(seen[mem->ticket]++ == 0, "ticket %zu is in two matches (second: %zu)", mem->ticket, mi);
			EXPECT_MSG(mem->team >= 0 && mem->team < m->num_teams, "match %zu: team %d of %d", mi, mem->team,
			           m->num_teams);
			EXPECT_MSG(strcmp(a->criteria, first->criteria) == 0, "match %zu mixes criteria '%s' and '%s'", mi,
			           a->criteria, first->criteria);
			EXPECT_MSG(a->num_teams == m->num_teams, "match %zu: ticket %zu wants %d teams, match has %d", mi,
			           mem->ticket, a->num_teams, m->num_teams);
			EXPECT_MSG(a->team_min <= m->team_size && m->team_size <= a->team_max,
			           "match %zu: team size %d outside ticket %zu's [%d, %d]", mi, m->team_size, mem->ticket,
			           a->team_min, a->team_max);
			fill[mem->team] += a->party;
			total[mem->team] += a->party * a->skill;
			smin = fmin(smin, a->skill);
			smax = fmax(smax, a->skill);
			for (size_t j = 0; j < m->n_members; j++) {
				const matchmaking_ticket_t *b = &t[res->members[m->first_member + j].ticket];
				EXPECT_MSG(matchmaking_ticket_accepts(cfg, a, b),
				           "match %zu: ticket %zu (skill %.1f, window %.1f) does not accept skill %.1f", mi,
				           mem->ticket, a->skill, matchmaking_skill_window(cfg, a->wait_s), b->skill);
			}
			matched++;
		}
		double hi = -INFINITY, lo = INFINITY;
		for (int b = 0; b < m->num_teams; b++) {
			EXPECT_MSG(fill[b] == m->team_size, "match %zu: team %d has %d players, want exactly %d", mi, b,
			           fill[b], m->team_size);
			double avg = total[b] / m->team_size;
			EXPECT_MSG(fabs(avg - res->team_skill[m->first_team + b]) < 1e-6,
			           "match %zu: team %d average %.3f, reported %.3f", mi, b, avg,
			           res->team_skill[m->first_team + b]);
			hi = fmax(hi, avg);
			lo = fmin(lo, avg);
		}
		EXPECT_MSG(fabs((hi - lo) - m->team_skill_diff) < 1e-6, "match %zu: team difference %.3f, reported %.3f",
		           mi, hi - lo, m->team_skill_diff);
		EXPECT_MSG(fabs((smax - smin) - m->skill_spread) < 1e-6, "match %zu: spread %.3f, reported %.3f", mi,
		           smax - smin, m->skill_spread);
	}
	free(seen);
	return matched;
}

static void run(const matchmaking_matcher_config_t *cfg, const matchmaking_ticket_t *t, size_t n,
                matchmaking_result_t *res)
{
	int rc = matchmaking_match_tickets(cfg, t, n, res);
	EXPECT_MSG(rc == 0, "matchmaking_match_tickets -> %s", axr_errname(rc));
	check_result(cfg, t, n, res);
}

static void test_matcher_forms_matches_of_exactly_teams_times_size(void **state)
{
	(void)state;
	matchmaking_ticket_t t[23];
	for (size_t i = 0; i < 23; i++)
		t[i] = solo("mode=ranked", 1000 + (double)i, 5, 1);
	matchmaking_result_t res;
	run(NULL, t, 23, &res);
	assert_int_equal(res.n_matches, 2); /* 23 players: two 5v5, three left over */
	for (size_t i = 0; i < res.n_matches; i++) {
		assert_int_equal(res.matches[i].n_members, 10);
		assert_int_equal(res.matches[i].team_size, 5);
		assert_int_equal(res.matches[i].num_teams, 2);
	}
	assert_int_equal(res.n_members, 20);
	matchmaking_result_free(&res);
}

static void test_matcher_never_splits_a_party(void **state)
{
	(void)state;
	/* 3v3 out of parties of 2 and 3 and solos: a 2 and a 3 can only go
	 * with solos, never with each other in one team. */
	matchmaking_ticket_t t[] = {
	    {.criteria = "", .party = 3, .num_teams = 2, .team_min = 3, .team_max = 3, .skill = 1500, .wait_s = 5},
	    {.criteria = "", .party = 2, .num_teams = 2, .team_min = 3, .team_max = 3, .skill = 1510, .wait_s = 4},
	    {.criteria = "", .party = 2, .num_teams = 2, .team_min = 3, .team_max = 3, .skill = 1490, .wait_s = 3},
	    {.criteria = "", .party = 1, .num_teams = 2, .team_min = 3, .team_max = 3, .skill = 1505, .wait_s = 2},
	};
	matchmaking_result_t res;
	run(NULL, t, 4, &res);
	/* 3 + 2 + 1 = 6 players: the party of 3 alone, the 2 with the solo. The other 2 is left. */
	assert_int_equal(res.n_matches, 1);
	assert_int_equal(res.matches[0].n_members, 3);
	int team_of[4] = {-1, -1, -1, -1};
	for (size_t k = 0; k < res.n_members; k++)
		team_of[res.members[k].ticket] = res.members[k].team;
	assert_int_not_equal(team_of[0], -1);
	assert_int_not_equal(team_of[3], -1);
	assert_int_not_equal(team_of[0], team_of[3]);
	EXPECT_MSG((team_of[1] == -1) != (team_of[2] == -1), "exactly one pair is matched: %d %d", team_of[1],
	           team_of[2]);
	matchmaking_result_free(&res);

	/* Two parties of 2 and two of 3 want 2v2... no: a 3 never fits a team of 2. */
	matchmaking_ticket_t big[] = {
	    {.criteria = "", .party = 3, .num_teams = 2, .team_min = 2, .team_max = 3, .skill = 100, .wait_s = 1},
	    {.criteria = "", .party = 2, .num_teams = 2, .team_min = 2, .team_max = 2, .skill = 100, .wait_s = 1},
	    {.criteria = "", .party = 2, .num_teams = 2, .team_min = 2, .team_max = 2, .skill = 100, .wait_s = 1},
	};
	run(NULL, big, 3, &res);
	assert_int_equal(res.n_matches, 1); /* the two parties of 2, team size 2 */
	assert_int_equal(res.matches[0].team_size, 2);
	for (size_t k = 0; k < res.n_members; k++)
		assert_int_not_equal(res.members[k].ticket, 0);
	matchmaking_result_free(&res);
}

static void test_matcher_never_mixes_criteria_or_team_counts(void **state)
{
	(void)state;
	matchmaking_ticket_t t[12];
	for (size_t i = 0; i < 12; i++) {
		t[i] = solo(i % 3 == 0 ? "mode=casual" : i % 3 == 1 ? "mode=ranked" : "mode=casual", 1200, 1, 1);
		if (i % 3 == 2)
			t[i].num_teams = 4; /* same criteria as %3==0, other team count */
	}
	matchmaking_result_t res;
	run(NULL, t, 12, &res);
	/* 4 casual 2-team, 4 ranked 2-team, 4 casual 4-team: 2 + 2 + 1 matches */
	assert_int_equal(res.n_matches, 5);
	assert_int_equal(res.n_members, 12);
	matchmaking_result_free(&res);
}

static void test_matcher_requires_mutual_acceptance(void **state)
{
	(void)state;
	matchmaking_matcher_config_t cfg;
	matchmaking_matcher_config_init(&cfg);
	cfg.window_base = 100;
	cfg.window_rate = 10;
	/* a waited 100 s: window 1100, accepts b. b just arrived: window 100, refuses a. */
	matchmaking_ticket_t t[] = {solo("", 1000, 1, 100), solo("", 1500, 1, 0)};
	assert_true(matchmaking_ticket_accepts(&cfg, &t[0], &t[1]));
	assert_false(matchmaking_ticket_accepts(&cfg, &t[1], &t[0]));
	matchmaking_result_t res;
	run(&cfg, t, 2, &res);
	assert_int_equal(res.n_matches, 0);
	matchmaking_result_free(&res);
	t[1].wait_s = 39.9; /* window 499 */
	run(&cfg, t, 2, &res);
	assert_int_equal(res.n_matches, 0);
	matchmaking_result_free(&res);
	t[1].wait_s = 40; /* window 500: both accept */
	run(&cfg, t, 2, &res);
	assert_int_equal(res.n_matches, 1);
	matchmaking_result_free(&res);

	/* Mutual within a whole match: c in the middle accepts both ends, but
	 * the ends' windows do not reach each other: no 1v1v1 of the three. */
	matchmaking_ticket_t three[] = {solo("", 1000, 1, 0), solo("", 1090, 1, 0), solo("", 1180, 1, 0)};
	for (int i = 0; i < 3; i++)
		three[i].num_teams = 3;
	run(&cfg, three, 3, &res);
	assert_int_equal(res.n_matches, 0);
	matchmaking_result_free(&res);
}

static void test_matcher_widening_window_matches_far_tickets_eventually(void **state)
{
	(void)state;
	matchmaking_matcher_config_t cfg;
	matchmaking_matcher_config_init(&cfg);
	cfg.window_base = 100;
	cfg.window_rate = 10;
	matchmaking_ticket_t t[] = {solo("", 0, 1, 0), solo("", 3000, 1, 0)};
	int found_at = -1;
	for (int second = 0; second <= 400 && found_at < 0; second++) {
		t[0].wait_s = t[1].wait_s = second;
		matchmaking_result_t res;
		run(&cfg, t, 2, &res);
		if (res.n_matches == 1)
			found_at = second;
		matchmaking_result_free(&res);
	}
	/* 100 + 10 s >= 3000 from s = 290 on */
	assert_int_equal(found_at, 290);
}

/* The best possible team-average difference of a 2-team split, by brute force. */
static double best_two_team_diff(const matchmaking_ticket_t *t, const size_t *idx, size_t m, int size)
{
	double best = INFINITY;
	for (uint32_t mask = 0; mask < (1u << m); mask++) {
		int players = 0;
		double a = 0, b = 0;
		for (size_t k = 0; k < m; k++) {
			if (mask & (1u << k)) {
				players += t[idx[k]].party;
				a += t[idx[k]].party * t[idx[k]].skill;
			} else {
				b += t[idx[k]].party * t[idx[k]].skill;
			}
		}
		if (players == size)
			best = fmin(best, fabs(a - b) / size);
	}
	return best;
}

static void test_matcher_balances_two_teams_optimally(void **state)
{
	(void)state;
	matchmaking_matcher_config_t cfg;
	matchmaking_matcher_config_init(&cfg);
	cfg.window_base = 5000;
	for (int round = 0; round < 50; round++) {
		matchmaking_ticket_t t[10];
		size_t n = 0;
		int players = 0;
		while (players < 10) { /* a 5v5 out of parties of 1-3 */
			int p = rng_int(1, 3);
			if (players + p > 10 || (p == 3 && players + p > 8))
				p = 1;
			t[n] = solo("", rng_int(0, 3000), 5, 0);
			t[n].party = p;
			players += p;
			n++;
		}
		matchmaking_result_t res;
		run(&cfg, t, n, &res);
		if (res.n_matches == 0) { /* e.g. 3+3+3+1: no 5/5 split exists */
			size_t all[10];
			for (size_t k = 0; k < n; k++)
				all[k] = k;
			assert_true(isinf(best_two_team_diff(t, all, n, 5)));
			matchmaking_result_free(&res);
			continue;
		}
		assert_int_equal(res.n_matches, 1);
		size_t idx[10];
		for (size_t k = 0; k < res.n_members; k++)
			idx[k] = res.members[k].ticket;
		double best = best_two_team_diff(t, idx, res.n_members, 5);
		EXPECT_MSG(fabs(res.matches[0].team_skill_diff - best) < 1e-6, "round %d: difference %.3f, best %.3f",
		           round, res.matches[0].team_skill_diff, best);
		matchmaking_result_free(&res);
	}
}

static void test_matcher_balances_many_teams_close_to_the_mean(void **state)
{
	(void)state;
	matchmaking_matcher_config_t cfg;
	matchmaking_matcher_config_init(&cfg);
	cfg.window_base = 5000;
	/* 4 teams of 4 from solos 1000..2500 step 100: perfect balance exists
	 * (pairs from both ends); greedy + swaps must get within 50. */
	matchmaking_ticket_t t[16];
	for (size_t i = 0; i < 16; i++) {
		t[i] = solo("", 1000 + 100.0 * (double)i, 4, 0);
		t[i].num_teams = 4;
	}
	matchmaking_result_t res;
	run(&cfg, t, 16, &res);
	assert_int_equal(res.n_matches, 1);
	EXPECT_MSG(res.matches[0].team_skill_diff <= 50, "4 teams: difference %.1f", res.matches[0].team_skill_diff);
	printf("# 4x4 from 1000..2500: team averages %.1f %.1f %.1f %.1f (difference %.1f)\n", res.team_skill[0],
	       res.team_skill[1], res.team_skill[2], res.team_skill[3], res.matches[0].team_skill_diff);
	matchmaking_result_free(&res);
}

static void test_matcher_respects_team_size_ranges_and_takes_the_largest(void **state)
{
	(void)state;
	/* Ranged tickets [2, 4]: 8 solos make 4v4 (largest), not 2v2 twice. */
	matchmaking_ticket_t t[9];
	for (size_t i = 0; i < 8; i++) {
		t[i] = solo("", 1000, 2, 1);
		t[i].team_max = 4;
	}
	matchmaking_result_t res;
	run(NULL, t, 8, &res);
	assert_int_equal(res.n_matches, 1);
	assert_int_equal(res.matches[0].team_size, 4);
	matchmaking_result_free(&res);

	/* One exact-3 ticket among them: a match holding it is 3v3. */
	t[8] = solo("", 1000, 3, 10); /* the oldest: anchors first */
	run(NULL, t, 9, &res);
	assert_true(res.n_matches >= 1);
	assert_int_equal(res.matches[0].team_size, 3);
	assert_int_equal(res.matches[0].n_members, 6);
	matchmaking_result_free(&res);

	/* Ranges that do not overlap never meet. */
	matchmaking_ticket_t apart[4] = {solo("", 1000, 2, 0), solo("", 1000, 2, 0), solo("", 1000, 3, 0),
	                                 solo("", 1000, 3, 0)};
	run(NULL, apart, 4, &res);
	assert_int_equal(res.n_matches, 0);
	matchmaking_result_free(&res);
}

static void test_matcher_serves_the_longest_waiting_ticket_first(void **state)
{
	(void)state;
	/* 1v1, three tickets close together: the one that waited longest is matched. */
	matchmaking_ticket_t t[] = {solo("", 1000, 1, 1), solo("", 1010, 1, 2), solo("", 1020, 1, 30)};
	matchmaking_result_t res;
	run(NULL, t, 3, &res);
	assert_int_equal(res.n_matches, 1);
	bool has_oldest = false;
	for (size_t k = 0; k < res.n_members; k++)
		has_oldest |= res.members[k].ticket == 2;
	assert_true(has_oldest);
	/* ...with the partner nearest in skill (1010, not 1000). */
	bool has_nearest = false;
	for (size_t k = 0; k < res.n_members; k++)
		has_nearest |= res.members[k].ticket == 1;
	assert_true(has_nearest);
	matchmaking_result_free(&res);
}

static void test_matcher_prefers_low_spread_and_latency(void **state)
{
	(void)state;
	matchmaking_matcher_config_t cfg;
	matchmaking_matcher_config_init(&cfg);
	cfg.window_base = 1000;
	cfg.latency_weight = 2;
	/* Anchor 1000 @ 20 ms. Partner choices: 1005 @ 300 ms (cost 5 + 2*300),
	 * 1060 @ 25 ms (60 + 50): the second is cheaper. */
	matchmaking_ticket_t t[] = {solo("", 1000, 1, 10), solo("", 1005, 1, 0), solo("", 1060, 1, 0)};
	t[0].latency = 20;
	t[1].latency = 300;
	t[2].latency = 25;
	matchmaking_result_t res;
	run(&cfg, t, 3, &res);
	assert_int_equal(res.n_matches, 1);
	assert_int_equal(res.members[0].ticket + res.members[1].ticket, 2); /* tickets 0 and 2 */
	assert_true(res.matches[0].max_latency == 25);
	matchmaking_result_free(&res);

	/* Spread: anchor 1000 with 1001..1009 above and 995 below; 5v5 picks a
	 * contiguous window, not the ten nearest on both sides. */
	matchmaking_ticket_t s[11];
	s[0] = solo("", 1000, 5, 10);
	for (int i = 1; i <= 9; i++)
		s[i] = solo("", 1000 + i, 5, 0);
	s[10] = solo("", 994, 5, 0);
	run(NULL, s, 11, &res);
	assert_int_equal(res.n_matches, 1);
	EXPECT_MSG(res.matches[0].skill_spread <= 9, "spread %.1f, want 9 (1000..1009)", res.matches[0].skill_spread);
	matchmaking_result_free(&res);
}

static void test_matcher_skips_invalid_tickets(void **state)
{
	(void)state;
	matchmaking_ticket_t t[] = {
	    solo("", 1000, 1, 0), solo("", 1000, 1, 0),
	    {.criteria = "", .party = 0, .num_teams = 2, .team_min = 1, .team_max = 1, .skill = 1000},
	    {.criteria = "", .party = 3, .num_teams = 2, .team_min = 1, .team_max = 2, .skill = 1000},
	    {.criteria = "", .party = 1, .num_teams = 2, .team_min = 3, .team_max = 2, .skill = 1000},
	    {.criteria = "", .party = 1, .num_teams = 2, .team_min = 1, .team_max = 1, .skill = NAN},
	    {.criteria = "", .party = 1, .num_teams = 64, .team_min = 64, .team_max = 64, .skill = 1}, /* 4096 > 256 */
	};
	matchmaking_result_t res;
	run(NULL, t, 7, &res);
	assert_int_equal(res.n_invalid, 5);
	assert_int_equal(res.n_matches, 1);
	matchmaking_result_free(&res);
	assert_int_equal(matchmaking_match_tickets(NULL, NULL, 1, &res), AXR_EINVAL);
	assert_int_equal(matchmaking_match_tickets(NULL, t, 1, NULL), AXR_EINVAL);
	assert_int_equal(matchmaking_match_tickets(NULL, NULL, 0, &res), 0);
	assert_int_equal(res.n_matches, 0);
	matchmaking_result_free(&res);
}

/* A queue like the store's: solos and parties of 2-3, skill 0-3000, two criteria sets, 5v5. */
static matchmaking_ticket_t *random_queue(size_t n, int size)
{
	matchmaking_ticket_t *t = calloc(n, sizeof *t);
	assert_non_null(t);
	for (size_t i = 0; i < n; i++) {
		int r = rng_int(0, 9);
		t[i] = solo(rng_int(0, 1) ? "mode=ranked;region=eu" : "mode=casual;region=us", rng_int(0, 3000), size,
		            rng_int(0, 60));
		t[i].party = r < 6 ? 1 : r < 8 ? 2 : 3;
		t[i].latency = rng_int(10, 150);
	}
	return t;
}

static void test_matcher_is_deterministic(void **state)
{
	(void)state;
	matchmaking_ticket_t *t = random_queue(3000, 5);
	matchmaking_result_t a, b;
	run(NULL, t, 3000, &a);
	run(NULL, t, 3000, &b);
	assert_int_equal(a.n_matches, b.n_matches);
	assert_int_equal(a.n_members, b.n_members);
	assert_memory_equal(a.members, b.members, a.n_members * sizeof *a.members);
	assert_memory_equal(a.matches, b.matches, a.n_matches * sizeof *a.matches);
	matchmaking_result_free(&a);
	matchmaking_result_free(&b);
	free(t);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_matcher_handles_ten_thousand_tickets(void **state)
{
	(void)state;
	size_t n = 10000;
	matchmaking_ticket_t *t = random_queue(n, 5);
	matchmaking_result_t res;
	double t0 = now_s();
	int rc = matchmaking_match_tickets(NULL, t, n, &res);
	double dt = now_s() - t0;
	assert_int_equal(rc, 0);
	size_t matched = check_result(NULL, t, n, &res);
	double spread = 0, diff = 0, worst_diff = 0;
	for (size_t i = 0; i < res.n_matches; i++) {
		spread += res.matches[i].skill_spread;
		diff += res.matches[i].team_skill_diff;
		worst_diff = fmax(worst_diff, res.matches[i].team_skill_diff);
	}
	printf("# 10000 tickets (5v5, parties 1-3, waits 0-60 s): %zu matches, %zu tickets matched in %.1f ms "
	       "(%.0f matches/s); mean skill spread %.1f, mean team difference %.2f, worst %.2f\n",
	       res.n_matches, matched, dt * 1e3, (double)res.n_matches / dt, spread / (double)res.n_matches,
	       diff / (double)res.n_matches, worst_diff);
	EXPECT_MSG(matched > n * 8 / 10, "only %zu of %zu tickets matched", matched, n);
	matchmaking_result_free(&res);
	free(t);
}

static void test_matcher_gives_up_fast_when_sizes_cannot_fill_a_team(void **state)
{
	(void)state;
	/* Parties of 2 never make a team of 5: nothing is matched, and quickly. */
	size_t n = 5000;
	matchmaking_ticket_t *t = random_queue(n, 5);
	for (size_t i = 0; i < n; i++)
		t[i].party = 2;
	matchmaking_result_t res;
	double t0 = now_s();
	run(NULL, t, n, &res);
	double dt = now_s() - t0;
	assert_int_equal(res.n_matches, 0);
	EXPECT_MSG(dt < 1.0, "%.3f s for %zu unmatchable tickets", dt, n);
	matchmaking_result_free(&res);
	/* With a few solos in range the same queue does match. */
	for (size_t i = 0; i < n; i += 4)
		t[i].party = 1;
	run(NULL, t, n, &res);
	assert_true(res.n_matches > 0);
	matchmaking_result_free(&res);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_matcher_forms_matches_of_exactly_teams_times_size),
	    cmocka_unit_test(test_matcher_never_splits_a_party),
	    cmocka_unit_test(test_matcher_never_mixes_criteria_or_team_counts),
	    cmocka_unit_test(test_matcher_requires_mutual_acceptance),
	    cmocka_unit_test(test_matcher_widening_window_matches_far_tickets_eventually),
	    cmocka_unit_test(test_matcher_balances_two_teams_optimally),
	    cmocka_unit_test(test_matcher_balances_many_teams_close_to_the_mean),
	    cmocka_unit_test(test_matcher_respects_team_size_ranges_and_takes_the_largest),
	    cmocka_unit_test(test_matcher_serves_the_longest_waiting_ticket_first),
	    cmocka_unit_test(test_matcher_prefers_low_spread_and_latency),
	    cmocka_unit_test(test_matcher_skips_invalid_tickets),
	    cmocka_unit_test(test_matcher_is_deterministic),
	    cmocka_unit_test(test_matcher_handles_ten_thousand_tickets),
	    cmocka_unit_test(test_matcher_gives_up_fast_when_sizes_cannot_fill_a_team),
	};
	return cmocka_run_group_tests_name("matchmaking matcher", tests, NULL, NULL);
}
