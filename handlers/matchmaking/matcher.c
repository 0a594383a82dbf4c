/* matcher.c: the matchmaking algorithm: anchors by wait, a bounded search for partners, balanced teams. */
#include "matcher.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define EXACT_BALANCE_PARTIES 12 /* two teams: every split tried up to this many parties */
#define PACK_BUDGET 20000        /* bin-packing steps per check */
#define BALANCE_PASSES 16        /* swap passes when balancing teams */
#define IMPROVE_PASSES 4         /* swap passes when improving the chosen set */
#define IMPROVE_EVALS 20000      /* candidate sets evaluated per match when improving */

static const matchmaking_matcher_config_t defaults = {
    .window_base = 100,
    .window_rate = 10,
    .window_max = 0,
    .latency_weight = 1,
    .max_players = 256,
    .candidates = 0,
    .search_budget = 4000,
};

void matchmaking_matcher_config_init(matchmaking_matcher_config_t *c)
{
	*c = defaults;
}

double matchmaking_skill_window(const matchmaking_matcher_config_t *c, double wait_s)
{
	if (!c)
		c = &defaults;
	if (!(wait_s > 0))
		wait_s = 0;
	double w = c->window_base + c->window_rate * wait_s;
	if (c->window_max > 0 && w > c->window_max)
		w = c->window_max;
	return w > 0 ? w : 0;
}

bool matchmaking_ticket_accepts(const matchmaking_matcher_config_t *c, const matchmaking_ticket_t *a,
                                const matchmaking_ticket_t *b)
{
	return fabs(a->skill - b->skill) <= matchmaking_skill_window(c, a->wait_s);
}

bool matchmaking_ticket_valid(const matchmaking_matcher_config_t *c, const matchmaking_ticket_t *t)
{
	if (!c)
		c = &defaults;
	if (t->party < 1 || t->party > MATCHMAKING_MAX_PARTY || t->num_teams < 1 ||
	    t->num_teams > MATCHMAKING_MAX_TEAMS || t->team_min < 1 || t->team_min > t->team_max ||
	    t->team_max > MATCHMAKING_MAX_TEAM_SIZE || t->party > t->team_max || !isfinite(t->skill))
		return false;
	int smallest = t->team_min > t->party ? t->team_min : t->party;
	return (long)t->num_teams * smallest <= (long)c->max_players;
}

static double latency_of(const matchmaking_ticket_t *t)
{
	return t->latency >= 0 ? t->latency : -1; /* NaN and negatives: unknown */
}

/* ---- bin packing: can these parties fill `bins` teams of `cap` players? -- */

/* Places sizes[k..] (largest first) into bins; equal loads are tried once. */
static bool pack_place(const int *sizes, size_t n, size_t k, int bins, int cap, int *load, long *budget)
{
	if (k == n)
		return true;
	if (--*budget < 0)
		return false;
	for (int b = 0; b < bins; b++) {
		if (load[b] + sizes[k] > cap)
			continue;
		bool tried = false;
		for (int p = 0; p < b && !tried; p++)
			tried = load[p] == load[b];
		if (tried)
			continue;
		load[b] += sizes[k];
		if (pack_place(sizes, n, k + 1, bins, cap, load, budget))
			return true;
		load[b] -= sizes[k];
	}
	return false;
}

/* true when parties of `sizes` (n of them, each 1..MATCHMAKING_MAX_PARTY)
 * fit into `bins` teams of at most `cap` players. `scratch` holds n ints,
 * `load` bins ints. Gives up (false) past PACK_BUDGET steps. */
static bool pack_fits(const int *sizes, size_t n, int bins, int cap, int *scratch, int *load)
{
	size_t count[MATCHMAKING_MAX_PARTY + 1] = {0};
	long total = 0;
	for (size_t i = 0; i < n; i++) {
		count[sizes[i]]++;
		total += sizes[i];
	}
	if (total > (long)bins * cap)
		return false;
	if (bins == 1 || count[1] == n)
		return true;
	size_t k = 0; /* largest first: counting sort */
	for (int s = MATCHMAKING_MAX_PARTY; s >= 1; s--)
		for (size_t j = 0; j < count[s]; j++)
			scratch[k++] = s;
	memset(load, 0, (size_t)bins * sizeof *load);
	long budget = PACK_BUDGET;
	return pack_place(scratch, n, 0, bins, cap, load, &budget);
}

/* ---- per-run state ------------------------------------------------------ */

/* A ticket of the group being matched, with what the search needs. */
typedef struct cand {
	size_t ticket;  /* index into the input */
	size_t pos;     /* 1-based position in the group's skill order */
	int party;
	double skill;
	double window;
	double latency; /* negative: unknown */
	double wait;
	double key;     /* how far it is from the anchor (search order) */
} cand_t;

typedef struct run {
	const matchmaking_matcher_config_t *cfg;
	const matchmaking_ticket_t *t;
	matchmaking_result_t *out;
	/* the group: tickets of one (criteria, num_teams), in skill order */
	size_t *by_skill;      /* positions 1..n (index 0 unused) -> ticket */
	size_t n;
	size_t *next_r, *next_l; /* skip links over unused positions; 0 and n+1 are sentinels */
	bool *used;            /* by position */
	double *window;        /* by position */
	/* the current anchor's candidates (c[0] is the anchor) and the search */
	cand_t *c;
	size_t nc, cap_c;
	size_t *chosen;        /* indexes into c */
	size_t n_chosen;
	bool *in_set;          /* by index into c */
	int need, teams, size;
	int *suffix;           /* players of c[i..] */
	long budget;
	int *sizes, *scratch, *load; /* packing scratch */
	/* balancing scratch */
	int *team_of;
	double *team_total;
	int *team_fill;
} run_t;

/* Skip links: the nearest unused position at or right (left) of k. */
static size_t find_r(size_t *next, size_t k)
{
	while (next[k] != k) {
		next[k] = next[next[k]];
		k = next[k];
	}
	return k;
}

static void mark_used(run_t *r, size_t pos)
{
	r->used[pos] = true;
	r->next_r[pos] = pos + 1;
	r->next_l[pos] = pos - 1;
}

/* ---- choosing partners ---------------------------------------------------- */

static int cmp_cand(const void *pa, const void *pb)
{
	const cand_t *a = pa, *b = pb;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->wait != b->wait)
		return a->wait > b->wait ? -1 : 1;
	return a->ticket < b->ticket ? -1 : a->ticket > b->ticket;
}

static void cand_fill(run_t *r, cand_t *c, size_t pos)
{
	const matchmaking_ticket_t *t = &r->t[r->by_skill[pos]];
	c->ticket = r->by_skill[pos];
	c->pos = pos;
	c->party = t->party;
	c->skill = t->skill;
	c->window = r->window[pos];
	c->latency = latency_of(t);
	c->wait = t->wait_s > 0 ? t->wait_s : 0;
	c->key = 0;
}

/* Collects the unused tickets around the anchor at `pos` that accept it and
 * that it accepts, and that can play in teams of `size`: nearest skill
 * first, at most `limit`, then sorted by key. c[0] is the anchor. */
static void collect(run_t *r, size_t pos, int size, size_t limit)
{
	cand_fill(r, &r->c[0], pos);
	const cand_t *a = &r->c[0];
	r->nc = 1;
	size_t right = find_r(r->next_r, pos + 1), left = find_r(r->next_l, pos - 1);
	size_t scanned = 0, scan_limit = 8 * limit + 64;
	while (r->nc < limit && r->nc < r->cap_c && scanned++ < scan_limit) {
		double dr = right <= r->n ? r->t[r->by_skill[right]].skill - a->skill : INFINITY;
		double dl = left >= 1 ? a->skill - r->t[r->by_skill[left]].skill : INFINITY;
		if (dr > a->window && dl > a->window)
			break; /* skill order: everything further is outside the anchor's window */
		bool take_right = dr < dl || (dr == dl && r->by_skill[right] < r->by_skill[left]);
		size_t p = take_right ? right : left;
		if (take_right)
			right = find_r(r->next_r, right + 1);
		else
			left = find_r(r->next_l, left - 1);
		const matchmaking_ticket_t *t = &r->t[r->by_skill[p]];
		double d = fabs(t->skill - a->skill);
		if (t->team_min > size || t->team_max < size || t->party > size || d > a->window ||
		    d > r->window[p])
			continue;
		cand_t *c = &r->c[r->nc++];
		cand_fill(r, c, p);
		double extra = 0; /* latency above the anchor's, when both are known */
		if (c->latency >= 0 && a->latency >= 0 && c->latency > a->latency)
			extra = c->latency - a->latency;
		c->key = d + r->cfg->latency_weight * extra;
	}
	qsort(r->c + 1, r->nc - 1, sizeof *r->c, cmp_cand);
}

static bool chosen_pack(run_t *r)
{
	for (size_t k = 0; k < r->n_chosen; k++)
		r->sizes[k] = r->c[r->chosen[k]].party;
	return pack_fits(r->sizes, r->n_chosen, r->teams, r->size, r->scratch, r->load);
}

/*
 * Depth-first over c[i..]: take c[i] (if the set stays mutual and packable)
 * before leaving it out, so the first complete set is the greedy one in key
 * order. The set's skills must all lie in [lo, hi], the intersection of its
 * members' windows; smin/smax are its lowest and highest skill.
 */
static bool search(run_t *r, size_t i, int total, double lo, double hi, double smin, double smax)
{
	if (total == r->need)
		return true;
	if (i >= r->nc || total + r->suffix[i] < r->need || --r->budget < 0)
		return false;
	const cand_t *c = &r->c[i];
	if (total + c->party <= r->need) {
		double lo2 = fmax(lo, c->skill - c->window), hi2 = fmin(hi, c->skill + c->window);
		double mn = fmin(smin, c->skill), mx = fmax(smax, c->skill);
		if (lo2 <= mn && mx <= hi2) {
			r->chosen[r->n_chosen++] = i;
			if (chosen_pack(r) && search(r, i + 1, total + c->party, lo2, hi2, mn, mx))
				return true;
			r->n_chosen--;
		}
	}
	return search(r, i + 1, total, lo, hi, smin, smax);
}

/* Cost of the chosen set with member `out_k` replaced by c[in] (out_k ==
 * SIZE_MAX: as it is); +INFINITY when that set is not mutual. */
static double set_cost(const run_t *r, size_t out_k, size_t in, double *spread, double *max_lat)
{
	double lo = -INFINITY, hi = INFINITY, mn = INFINITY, mx = -INFINITY, lat = -1;
	for (size_t k = 0; k <= r->n_chosen; k++) {
		const cand_t *c;
		if (k == r->n_chosen)
			c = out_k == SIZE_MAX ? NULL : &r->c[in];
		else
			c = k == out_k ? NULL : &r->c[r->chosen[k]];
		if (!c)
			continue;
		lo = fmax(lo, c->skill - c->window);
		hi = fmin(hi, c->skill + c->window);
		mn = fmin(mn, c->skill);
		mx = fmax(mx, c->skill);
		lat = fmax(lat, c->latency);
	}
	if (spread)
		*spread = mx - mn;
	if (max_lat)
		*max_lat = lat;
	if (!(lo <= mn && mx <= hi))
		return INFINITY;
	return (mx - mn) + r->cfg->latency_weight * (lat > 0 ? lat : 0);
}

/* Swaps a member (never the anchor) for an unchosen candidate of the same
 * party size while that lowers the cost and keeps the set mutual. Equal
 * sizes keep the set packable. */
static void improve(run_t *r)
{
	double cost = set_cost(r, SIZE_MAX, 0, NULL, NULL);
	long evals = IMPROVE_EVALS;
	for (int pass = 0; pass < IMPROVE_PASSES; pass++) {
		bool improved = false;
		for (size_t k = 1; k < r->n_chosen && evals > 0; k++) {
			size_t out = r->chosen[k];
			for (size_t u = 1; u < r->nc && evals > 0; u++) {
				if (r->in_set[u] || r->c[u].party != r->c[out].party)
					continue;
				evals--;
				double cu = set_cost(r, k, u, NULL, NULL);
				if (cu < cost - 1e-9) {
					r->in_set[out] = false;
					r->in_set[u] = true;
					r->chosen[k] = u;
					out = u;
					cost = cu;
					improved = true;
				}
			}
		}
		if (!improved)
			break;
	}
}

/* ---- balancing teams ------------------------------------------------------ */

static double party_total(const cand_t *c) { return c->party * c->skill; }

/* Two teams, few parties: tries every split with member 0 on team 0. */
static void balance_exact2(run_t *r)
{
	size_t m = r->n_chosen;
	double all = 0;
	for (size_t k = 0; k < m; k++)
		all += party_total(&r->c[r->chosen[k]]);
	double best = INFINITY;
	uint32_t best_mask = 0;
	for (uint32_t mask = 0; mask < (1u << (m - 1)); mask++) {
		int players = r->c[r->chosen[0]].party;
		double total = party_total(&r->c[r->chosen[0]]);
		for (size_t k = 1; k < m; k++)
			if (mask & (1u << (k - 1))) {
				players += r->c[r->chosen[k]].party;
				total += party_total(&r->c[r->chosen[k]]);
			}
		if (players != r->size)
			continue;
		double d = fabs(2 * total - all);
		if (d < best) {
			best = d;
			best_mask = mask;
		}
	}
	r->team_of[0] = 0;
	for (size_t k = 1; k < m; k++)
		r->team_of[k] = (best_mask & (1u << (k - 1))) ? 0 : 1;
}

/* Order of members for the greedy: largest party, then highest skill first. */
static int cmp_member_greedy(const void *pa, const void *pb, void *ctx)
{
	const run_t *r = ctx;
	const cand_t *a = &r->c[r->chosen[*(const size_t *)pa]], *b = &r->c[r->chosen[*(const size_t *)pb]];
	if (a->party != b->party)
		return a->party > b->party ? -1 : 1;
	if (a->skill != b->skill)
		return a->skill > b->skill ? -1 : 1;
	return a->ticket < b->ticket ? -1 : a->ticket > b->ticket;
}

/* Places members order[k..] each into the weakest team with room,
 * backtracking when the rest cannot be placed. */
static bool greedy_place(run_t *r, const size_t *order, size_t k, long *budget)
{
	if (k == r->n_chosen)
		return true;
	if (--*budget < 0)
		return false;
	const cand_t *c = &r->c[r->chosen[order[k]]];
	bool tried[MATCHMAKING_MAX_TEAMS] = {false};
	for (int attempt = 0; attempt < r->teams; attempt++) {
		int best = -1;
		for (int b = 0; b < r->teams; b++) {
			if (tried[b] || r->team_fill[b] + c->party > r->size)
				continue;
			if (best < 0 || r->team_total[b] < r->team_total[best])
				best = b;
		}
		if (best < 0)
			return false;
		for (int b = 0; b < r->teams; b++) /* teams at the same fill are the same to the rest */
			if (r->team_fill[b] == r->team_fill[best])
				tried[b] = true;
		r->team_of[order[k]] = best;
		r->team_fill[best] += c->party;
		r->team_total[best] += party_total(c);
		if (greedy_place(r, order, k + 1, budget))
			return true;
		r->team_fill[best] -= c->party;
		r->team_total[best] -= party_total(c);
	}
	return false;
}

static double sq(double x) { return x * x; }

/* Moves that keep every team's size: swap two parties of equal size, or one
 * party for two whose sizes add up to it. Takes any that lowers the sum of
 * squared team totals (the spread of the team averages). */
static void balance_swaps(run_t *r)
{
	size_t m = r->n_chosen;
	for (int pass = 0; pass < BALANCE_PASSES; pass++) {
		bool improved = false;
		for (size_t p = 0; p < m; p++) {
			const cand_t *cp = &r->c[r->chosen[p]];
			for (size_t q = 0; q < m; q++) {
				const cand_t *cq = &r->c[r->chosen[q]];
				int i = r->team_of[p], j = r->team_of[q];
				if (i == j)
					continue;
				if (cq->party == cp->party && q > p) {
					double vp = party_total(cp), vq = party_total(cq);
					double ti = r->team_total[i], tj = r->team_total[j];
					double delta = sq(ti - vp + vq) + sq(tj - vq + vp) - sq(ti) - sq(tj);
					if (delta < -1e-9 * (sq(ti) + sq(tj) + 1)) {
						r->team_total[i] += vq - vp;
						r->team_total[j] += vp - vq;
						r->team_of[p] = j;
						r->team_of[q] = i;
						improved = true;
					}
					continue;
				}
				if (cq->party >= cp->party || m > 64)
					continue;
				for (size_t s = q + 1; s < m; s++) { /* p <-> {q, s} */
					const cand_t *cs = &r->c[r->chosen[s]];
					if (r->team_of[s] != j || cq->party + cs->party != cp->party)
						continue;
					double vp = party_total(cp), vqs = party_total(cq) + party_total(cs);
					double ti = r->team_total[i], tj = r->team_total[j];
					double delta = sq(ti - vp + vqs) + sq(tj - vqs + vp) - sq(ti) - sq(tj);
					if (delta < -1e-9 * (sq(ti) + sq(tj) + 1)) {
						r->team_total[i] += vqs - vp;
						r->team_total[j] += vp - vqs;
						r->team_of[p] = j;
						r->team_of[q] = r->team_of[s] = i;
						improved = true;
						break;
					}
				}
			}
		}
		if (!improved)
			break;
	}
}

/* Assigns the chosen members to teams (r->team_of), balanced by skill.
 * false when no assignment was found within the budget. */
static bool balance(run_t *r, size_t *order)
{
	size_t m = r->n_chosen;
	for (int b = 0; b < r->teams; b++) {
		r->team_total[b] = 0;
		r->team_fill[b] = 0;
	}
	if (r->teams == 1) {
		for (size_t k = 0; k < m; k++)
			r->team_of[k] = 0;
	} else if (r->teams == 2 && m <= EXACT_BALANCE_PARTIES) {
		balance_exact2(r);
	} else {
		for (size_t k = 0; k < m; k++)
			order[k] = k;
		qsort_r(order, m, sizeof *order, cmp_member_greedy, r);
		long budget = PACK_BUDGET;
		if (!greedy_place(r, order, 0, &budget))
			return false;
		balance_swaps(r);
	}
	for (int b = 0; b < r->teams; b++) {
		r->team_total[b] = 0;
		r->team_fill[b] = 0;
	}
	for (size_t k = 0; k < m; k++) {
		const cand_t *c = &r->c[r->chosen[k]];
		r->team_total[r->team_of[k]] += party_total(c);
		r->team_fill[r->team_of[k]] += c->party;
	}
	for (int b = 0; b < r->teams; b++)
		if (r->team_fill[b] != r->size)
			return false; /* cannot happen: the set was packable; never emit a wrong size */
	return true;
}

/* ---- one match ------------------------------------------------------------- */

static int cmp_member_out(const void *pa, const void *pb, void *ctx)
{
	const run_t *r = ctx;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	if (r->team_of[a] != r->team_of[b])
		return r->team_of[a] < r->team_of[b] ? -1 : 1;
	const cand_t *ca = &r->c[r->chosen[a]], *cb = &r->c[r->chosen[b]];
	if (ca->skill != cb->skill)
		return ca->skill > cb->skill ? -1 : 1;
	return ca->ticket < cb->ticket ? -1 : ca->ticket > cb->ticket;
}

/* Writes the chosen set as a match and marks its tickets used. */
static void emit(run_t *r, size_t *order)
{
	matchmaking_result_t *out = r->out;
	matchmaking_match_t *m = &out->matches[out->n_matches++];
	double spread = 0, max_lat = -1;
	m->cost = set_cost(r, SIZE_MAX, 0, &spread, &max_lat);
	m->skill_spread = spread;
	m->max_latency = max_lat;
	m->num_teams = r->teams;
	m->team_size = r->size;
	m->first_member = out->n_members;
	m->n_members = r->n_chosen;
	m->first_team = out->n_teams;
	for (size_t k = 0; k < r->n_chosen; k++)
		order[k] = k;
	qsort_r(order, r->n_chosen, sizeof *order, cmp_member_out, r);
	for (size_t k = 0; k < r->n_chosen; k++) {
		const cand_t *c = &r->c[r->chosen[order[k]]];
		out->members[out->n_members++] = (matchmaking_member_t){.ticket = c->ticket, .team = r->team_of[order[k]]};
		mark_used(r, c->pos);
	}
	double hi = -INFINITY, lo = INFINITY;
	for (int b = 0; b < r->teams; b++) {
		double avg = r->team_total[b] / r->size;
		out->team_skill[out->n_teams++] = avg;
		hi = fmax(hi, avg);
		lo = fmin(lo, avg);
	}
	m->team_skill_diff = hi - lo;
}

/* A cheap necessary condition: one team of r->size players can be made of
 * the candidates' party sizes (e.g. parties of 2 alone never make 5). */
static bool team_reachable(const run_t *r)
{
	size_t count[MATCHMAKING_MAX_PARTY + 1] = {0};
	bool reach[MATCHMAKING_MAX_TEAM_SIZE + 1] = {true};
	for (size_t i = 0; i < r->nc; i++)
		count[r->c[i].party]++;
	for (int s = 1; s <= MATCHMAKING_MAX_PARTY; s++)
		for (size_t k = 0; k < count[s] && k < (size_t)(r->size / s); k++)
			for (int v = r->size; v >= s; v--)
				reach[v] = reach[v] || reach[v - s];
	return reach[r->size];
}

/* Tries to build a match around the anchor at `pos` with teams of `size`. */
static bool try_anchor(run_t *r, size_t pos, int size, size_t *order)
{
	int num_teams = r->t[r->by_skill[pos]].num_teams;
	r->teams = num_teams;
	r->size = size;
	r->need = num_teams * size;
	size_t limit = r->cfg->candidates > 0 ? (size_t)r->cfg->candidates : 2 * (size_t)r->need + 16;
	collect(r, pos, size, limit + 1);
	r->suffix[r->nc] = 0;
	for (size_t i = r->nc; i-- > 0;)
		r->suffix[i] = r->suffix[i + 1] + r->c[i].party;
	if (r->suffix[0] < r->need || !team_reachable(r))
		return false;
	const cand_t *a = &r->c[0];
	r->n_chosen = 1;
	r->chosen[0] = 0;
	r->budget = r->cfg->search_budget > 0 ? r->cfg->search_budget : 4000;
	if (!search(r, 1, a->party, a->skill - a->window, a->skill + a->window, a->skill, a->skill))
		return false;
	memset(r->in_set, 0, r->nc * sizeof *r->in_set);
	for (size_t k = 0; k < r->n_chosen; k++)
		r->in_set[r->chosen[k]] = true;
	improve(r);
	if (!balance(r, order))
		return false;
	emit(r, order);
	return true;
}

/* ---- groups -------------------------------------------------------------- */

typedef struct group_key {
	const char *criteria;
	int num_teams;
	double skill;
	size_t ticket;
} group_key_t;

static int cmp_group_key(const void *pa, const void *pb)
{
	const group_key_t *a = pa, *b = pb;
	int c = strcmp(a->criteria, b->criteria);
	if (c)
		return c < 0 ? -1 : 1;
	if (a->num_teams != b->num_teams)
		return a->num_teams < b->num_teams ? -1 : 1;
	if (a->skill != b->skill)
		return a->skill < b->skill ? -1 : 1;
	return a->ticket < b->ticket ? -1 : a->ticket > b->ticket;
}

typedef struct anchor {
	double wait;
	size_t ticket;
	size_t pos;
} anchor_t;

static int cmp_anchor(const void *pa, const void *pb)
{
	const anchor_t *a = pa, *b = pb;
	if (a->wait != b->wait)
		return a->wait > b->wait ? -1 : 1;
	return a->ticket < b->ticket ? -1 : a->ticket > b->ticket;
}

/* Matches one group (r->by_skill[1..n]): anchors by longest wait. */
static void match_group(run_t *r, anchor_t *anchors, size_t *order)
{
	for (size_t p = 0; p <= r->n + 1; p++) {
		r->next_r[p] = p;
		r->next_l[p] = p;
		r->used[p] = false;
	}
	for (size_t p = 1; p <= r->n; p++) {
		const matchmaking_ticket_t *t = &r->t[r->by_skill[p]];
		r->window[p] = matchmaking_skill_window(r->cfg, t->wait_s);
		anchors[p - 1] = (anchor_t){.wait = t->wait_s > 0 ? t->wait_s : 0, .ticket = r->by_skill[p], .pos = p};
	}
	qsort(anchors, r->n, sizeof *anchors, cmp_anchor);
	for (size_t k = 0; k < r->n; k++) {
		size_t pos = anchors[k].pos;
		if (r->used[pos])
			continue;
		const matchmaking_ticket_t *a = &r->t[anchors[k].ticket];
		int largest = a->team_max;
		if ((long)a->num_teams * largest > r->cfg->max_players)
			largest = r->cfg->max_players / a->num_teams;
		int smallest = a->team_min > a->party ? a->team_min : a->party;
		for (int size = largest; size >= smallest; size--)
			if (try_anchor(r, pos, size, order))
				break;
	}
}

void matchmaking_result_free(matchmaking_result_t *r)
{
	if (!r)
		return;
	free(r->matches);
	free(r->members);
	free(r->team_skill);
	memset(r, 0, sizeof *r);
}

int matchmaking_match_tickets(const matchmaking_matcher_config_t *cfg, const matchmaking_ticket_t *t,
                              size_t n, matchmaking_result_t *out)
{
	if (!out || (!t && n > 0))
		return AXR_EINVAL;
	memset(out, 0, sizeof *out);
	if (!cfg)
		cfg = &defaults;
	run_t r = {.cfg = cfg, .t = t, .out = out};
	group_key_t *keys = NULL;
	anchor_t *anchors = NULL;
	size_t *order = NULL;
	int rc = AXR_ENOMEM;
	size_t cap_c = (size_t)(cfg->candidates > 0 ? cfg->candidates : 2 * cfg->max_players + 16) + 2;
	size_t slots = n + 2;
	out->matches = calloc(n ? n : 1, sizeof *out->matches);
	out->members = calloc(n ? n : 1, sizeof *out->members);
	out->team_skill = calloc(n ? n : 1, sizeof *out->team_skill);
	keys = calloc(n ? n : 1, sizeof *keys);
	anchors = calloc(n ? n : 1, sizeof *anchors);
	order = calloc(cap_c, sizeof *order);
	r.by_skill = calloc(slots, sizeof *r.by_skill);
	r.next_r = calloc(slots, sizeof *r.next_r);
	r.next_l = calloc(slots, sizeof *r.next_l);
	r.used = calloc(slots, sizeof *r.used);
	r.window = calloc(slots, sizeof *r.window);
	r.cap_c = cap_c;
	r.c = calloc(cap_c, sizeof *r.c);
	r.chosen = calloc(cap_c, sizeof *r.chosen);
	r.in_set = calloc(cap_c, sizeof *r.in_set);
	r.suffix = calloc(cap_c + 1, sizeof *r.suffix);
	r.sizes = calloc(cap_c, sizeof *r.sizes);
	r.scratch = calloc(cap_c, sizeof *r.scratch);
	r.load = calloc(MATCHMAKING_MAX_TEAMS, sizeof *r.load);
	r.team_of = calloc(cap_c, sizeof *r.team_of);
	r.team_total = calloc(MATCHMAKING_MAX_TEAMS, sizeof *r.team_total);
	r.team_fill = calloc(MATCHMAKING_MAX_TEAMS, sizeof *r.team_fill);
	if (!out->matches || !out->members || !out->team_skill || !keys || !anchors || !order || !r.by_skill ||
	    !r.next_r || !r.next_l || !r.used || !r.window || !r.c || !r.chosen || !r.in_set || !r.suffix ||
	    !r.sizes || !r.scratch || !r.load || !r.team_of || !r.team_total || !r.team_fill)
		goto fail;

	size_t nk = 0;
	for (size_t i = 0; i < n; i++) {
		if (!matchmaking_ticket_valid(cfg, &t[i])) {
			out->n_invalid++;
			continue;
		}
		keys[nk++] = (group_key_t){.criteria = t[i].criteria ? t[i].criteria : "",
		                           .num_teams = t[i].num_teams, .skill = t[i].skill, .ticket = i};
	}
	qsort(keys, nk, sizeof *keys, cmp_group_key);
	for (size_t g = 0; g < nk;) {
		size_t end = g + 1;
		while (end < nk && keys[end].num_teams == keys[g].num_teams &&
		       strcmp(keys[end].criteria, keys[g].criteria) == 0)
			end++;
		r.n = end - g;
		for (size_t k = 0; k < r.n; k++)
			r.by_skill[k + 1] = keys[g + k].ticket;
		match_group(&r, anchors, order);
		g = end;
	}
	rc = 0;
fail:
	free(r.team_fill);
	free(r.team_total);
	free(r.team_of);
	free(r.load);
	free(r.scratch);
	free(r.sizes);
	free(r.suffix);
	free(r.in_set);
	free(r.chosen);
	free(r.c);
	free(r.window);
	free(r.used);
	free(r.next_l);
	free(r.next_r);
	free(r.by_skill);
	free(order);
	free(anchors);
	free(keys);
	if (rc != 0)
		matchmaking_result_free(out);
	return rc;
}
