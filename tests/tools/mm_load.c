/* mm_load.c: drive the matchmaking service over HTTP: many tickets with invariant checks, cancel races, bench load. */
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "arena.h"
#include "client.h"
#include "err.h"
#include "http.h"
#include "jwks.h"
#include "jwt.h"

/*
 * usage: mm_load -k PRIVATE.pem -u URL[,URL...] [options] COMMAND N
 *
 * Requests go to the URLs in turn (ticket i to URL i mod count), so two
 * replicas of the service share the load. Tokens are signed here with the
 * test key (as tests/tools/mint_token does): players get their own,
 * parties are queued by a "gameserver" (a trusted role of the Ticket entity).
 *
 *   mass N    N tickets: 60% solo (queued by the player), 25% pairs and 15%
 *             trios (queued by the game server); skill 0..3000, latency
 *             10..150 ms; criteria {mode: ranked, region: eu} or {mode:
 *             casual}; 2 teams of 3, or of 3..5 for 15% of them. Polls GET
 *             /tickets/{id} until every one is MATCH_FOUND or EXPIRED (at most
 *             -w seconds), reads every match with GET /matches/{id} and checks
 *             what issue 11 asks (exact team sizes, whole parties, ranges
 *             respected, one criteria set per match, no player or ticket in two
 *             matches, matchUid both ways), then BOLA on a sample (another
 *             player's ticket and match are 404). Prints the skill spread,
 *             team difference and wait-time distribution.
 *   race N    N solo 1v1 tickets, each cancelled by its player 0..-d ms after
 *             it was queued, while the matchers run: every DELETE is 200
 *             (CANCELLED) or 409 (MATCH_FOUND), the ticket's final state agrees,
 *             and no match holds a cancelled ticket.
 *   queue N   N solo 5v5 tickets of random players (one criteria set, skill
 *             0..3000) queued by the game server, as fast as -c connections
 *             go, or at -r tickets/s; prints the rate (make bench).
 *
 *   -k FILE   private key (tests/fixtures/keys/test-only-rs256-private.pem)
 *   -u URLS   base URLs, comma-separated
 *   -c N      connections (threads), default 16
 *   -w SECS   mass: how long tickets may take to leave the queue (default 30)
 *   -d MS     race: longest wait before the cancel (default 100)
 *   -r RATE   queue: tickets per second (default: as fast as possible)
 *   -s SEED   seed of the random choices (default 1)
 *   -o FILE   mass: append "tickets N matched M expired E matches K" (for SQL cross-checks)
 *
 * Prints one `ok - name` or `not ok - name: why` line per check, and
 * `# ...` lines of figures. Exit status 0 when every check passed, 1 when
 * one failed, 2 on a usage or set-up error.
 */

#define MAX_URLS 8
#define MAX_PARTY 3
#define UID_LEN 37

typedef struct ticket {
	size_t n_users;
	char users[MAX_PARTY][UID_LEN];
	const char *token;      /* the player's own, or the game server's */
	bool by_player;
	int criteria;           /* index into criteria_sets */
	int team_min, team_max;
	char body[512];
	/* answers */
	int post_status;
	int cancel_status;      /* race */
	char uid[UID_LEN];
	char status[16];
	char match[UID_LEN];
	double created_s, closed_s;
} ticket_t;

typedef struct match {
	char uid[UID_LEN];
	int status;
	json_object *json;      /* GET /matches/{id}, owned */
} match_t;

static const char *const criteria_sets[] = {
    "[{\"name\":\"mode\",\"value\":\"ranked\"},{\"name\":\"region\",\"value\":\"eu\"}]",
    "[{\"name\":\"mode\",\"value\":\"casual\"}]",
};
static const char *const criteria_keys[] = {"mode=ranked;region=eu;", "mode=casual;"};

static struct {
	const char *urls[MAX_URLS];
	size_t n_urls;
	int conns;
	long wait_s, delay_ms;
	double rate;
	uint64_t seed;
	const char *out_file;
	const char *server_token;
	int failures;
} opt = {.conns = 16, .wait_s = 30, .delay_ms = 100, .seed = 1};

/* ---- small helpers ------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double rng_unit(uint64_t *s)
{
	return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

static void uuid_from(uint64_t *s, char out[UID_LEN])
{
	uint64_t a = rng_next(s), b = rng_next(s);
	snprintf(out, UID_LEN, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
	         (unsigned)a & 0xfff, (unsigned)(0x8000 | ((b >> 48) & 0x3fff)), (unsigned long long)(b & 0xffffffffffffULL));
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "2026-01-02T03:04:05.678Z" as seconds since the epoch; NAN when unreadable. */
static double rfc3339_s(const char *s)
{
	struct tm tm = {0};
	int ms = 0;
	if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
	                 &tm.tm_sec, &ms) != 7)
		return NAN;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (double)timegm(&tm) + ms / 1000.0;
}

static void check(bool ok, const char *name, const char *why)
{
	if (ok) {
		printf("ok - %s\n", name);
	} else {
		printf("not ok - %s: %s\n", name, why);
		opt.failures++;
	}
	fflush(stdout);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "p50 x p90 y p99 z max w" of v (sorted in place). */
static void distribution(const char *what, double *v, size_t n, const char *unit)
{
	if (n == 0) {
		printf("# %s: none\n", what);
		return;
	}
	qsort(v, n, sizeof *v, cmp_double);
#define PCT(p) v[(size_t)((double)(n - 1) * (p) + 0.5)]
	printf("# %s (%zu): p50 %.2f%s, p90 %.2f%s, p99 %.2f%s, max %.2f%s\n", what, n, PCT(0.5), unit, PCT(0.9), unit,
	       PCT(0.99), unit, v[n - 1], unit);
#undef PCT
}

static const char *json_str(json_object *o, const char *key)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ? json_object_get_string(v)
	                                                                                          : NULL;
}

static json_object *json_get(json_object *o, const char *key)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static int json_int(json_object *o, const char *key)
{
	json_object *v = json_get(o, key);
	return v ? json_object_get_int(v) : -1;
}

/* ---- tokens ------------------------------------------------------------------- */

typedef struct signer {
	axr_jwk_t *key;
	axr_jwt_signer_t *signer;
	axr_arena_t *arena; /* the tokens live here */
} signer_t;

static int signer_open(signer_t *s, const char *key_file)
{
	memset(s, 0, sizeof *s);
	axr_jwt_signer_config_t cfg;
	axr_jwt_signer_config_init(&cfg);
	int rc = axr_jwk_from_file(key_file, NULL, &s->key);
	if (rc == 0) {
		cfg.key = s->key;
		cfg.issuer = "axr";
		cfg.audience = "axr";
		cfg.ttl = 3600;
		rc = axr_jwt_signer_new(&cfg, &s->signer);
	}
	if (rc == 0 && !(s->arena = axr_arena_new(1 << 20)))
		rc = AXR_ENOMEM;
	if (rc != 0)
		fprintf(stderr, "mm_load: %s: %s\n", key_file, axr_strerror(rc));
	return rc;
}

static const char *token_for(signer_t *s, const char *uid, const char *role)
{
	const char *roles[] = {role};
	int64_t now = (int64_t)time(NULL);
	axr_jwt_claims_t claims = {.sub = uid, .iat = now, .exp = now + 3600,
	                           .profile = {.uid = uid, .roles = role ? roles : NULL, .nroles = role ? 1 : 0}};
	char *token = NULL;
	return axr_jwt_sign(s->signer, &claims, s->arena, &token) == 0 ? token : NULL;
}

static void signer_close(signer_t *s)
{
	axr_jwt_signer_free(s->signer);
	axr_jwk_free(s->key);
	axr_arena_free(s->arena);
}

/* ---- HTTP with a pool of threads ------------------------------------------------------ */

typedef struct worker worker_t;
typedef void (*job_fn)(worker_t *w, size_t i, void *ctx);

struct worker {
	pthread_t thread;
	axr_client_t *clients[MAX_URLS];
	axr_arena_t *arena;
	uint64_t rng;
	job_fn fn;
	void *ctx;
	size_t n;
	size_t *next;
	int errors;
};

/* One request; *status is the answer's (0 when none came) and *body its
 * parsed JSON (NULL when none; the caller puts it). */
static void http(worker_t *w, size_t url, int method, const char *target, const char *token, const char *body,
                 int *status, json_object **json)
{
	const char *headers[] = {"Authorization", NULL};
	char auth[4200];
	snprintf(auth, sizeof auth, "Bearer %s", token);
	headers[1] = auth;
	axr_client_request_t req = {.method = method, .target = target, .headers = headers, .n_headers = 1,
	                            .body = body, .body_len = body ? strlen(body) : 0, .anonymous = true};
	axr_client_response_t resp;
	axr_client_error_t err;
	*status = 0;
	if (json)
		*json = NULL;
	if (axr_client_send(w->clients[url % opt.n_urls], &req, NULL, w->arena, &resp, &err) != 0) {
		if (w->errors++ < 3)
			fprintf(stderr, "mm_load: %s %s: %s\n", axr_http_method_name(method), target, err.message);
	} else {
		*status = resp.status;
		if (json && resp.body_len)
			*json = json_tokener_parse(resp.body);
	}
	axr_arena_reset(w->arena);
}

static void *worker_main(void *arg)
{
	worker_t *w = arg;
	for (;;) {
		size_t i = __atomic_fetch_add(w->next, 1, __ATOMIC_RELAXED);
		if (i >= w->n)
			break;
		w->fn(w, i, w->ctx);
	}
	return NULL;
}

/* Runs fn(w, i, ctx) for i in 0..n-1 on opt.conns threads; returns the
 * number of transport errors. */
static int run_jobs(size_t n, job_fn fn, void *ctx)
{
	size_t next = 0;
	int errors = 0, started = 0;
	worker_t *ws = calloc((size_t)opt.conns, sizeof *ws);
	if (!ws)
		return 1;
	for (int t = 0; t < opt.conns; t++) {
		worker_t *w = &ws[t];
		*w = (worker_t){.fn = fn, .ctx = ctx, .n = n, .next = &next, .rng = opt.seed * 7919 + (uint64_t)t + 1};
		bool ok = (w->arena = axr_arena_new(64 * 1024)) != NULL;
		for (size_t u = 0; ok && u < opt.n_urls; u++) {
			axr_client_options_t co = {.base_url = opt.urls[u], .timeout_ms = 20000, .pool_size = 1};
			ok = axr_client_new(&co, &w->clients[u]) == 0;
		}
		if (ok && pthread_create(&w->thread, NULL, worker_main, w) == 0)
			started++;
		else
			w->errors++;
	}
	for (int t = 0; t < opt.conns; t++) {
		worker_t *w = &ws[t];
		if (t < started)
			pthread_join(w->thread, NULL);
		for (size_t u = 0; u < opt.n_urls; u++)
			axr_client_free(w->clients[u]);
		axr_arena_free(w->arena);
		errors += w->errors;
	}
	free(ws);
	return errors;
}

/* ---- tickets ------------------------------------------------------------------- */

static void ticket_body(ticket_t *t, double skill, double latency, bool users_listed, int num_teams)
{
	char users[200] = "", size[40];
	if (users_listed) {
		size_t len = (size_t)snprintf(users, sizeof users, "\"users\":[");
		for (size_t u = 0; u < t->n_users; u++)
			len += (size_t)snprintf(users + len, sizeof users - len, "%s\"%s\"", u ? "," : "", t->users[u]);
		snprintf(users + len, sizeof users - len, "],");
	}
	if (t->team_min == t->team_max)
		snprintf(size, sizeof size, "%d", t->team_min);
	else
		snprintf(size, sizeof size, "{\"gte\":%d,\"lte\":%d}", t->team_min, t->team_max);
	snprintf(t->body, sizeof t->body,
	         "{%s\"criteria\":%s,\"statistics\":{\"skillrating\":%.1f,\"latency\":%.0f},\"numTeams\":%d,\"teamSize\":%s}",
	         users, criteria_sets[t->criteria], skill, latency, num_teams, size);
}

/* A solo ticket of a new player for teams of exactly `team_size`, criteria {mode: casual}. */
static void solo_ticket(ticket_t *t, uint64_t *rng, int team_size)
{
	t->n_users = 1;
	uuid_from(rng, t->users[0]);
	t->criteria = 1;
	t->team_min = t->team_max = team_size;
}

static void job_post(worker_t *w, size_t i, void *ctx)
{
	ticket_t *t = &((ticket_t *)ctx)[i];
	json_object *j = NULL;
	http(w, i, AXR_HTTP_POST, "/tickets", t->token, t->body, &t->post_status, &j);
	const char *uid = json_str(j, "uid"), *status = json_str(j, "status");
	snprintf(t->uid, sizeof t->uid, "%s", uid ? uid : "");
	snprintf(t->status, sizeof t->status, "%s", status ? status : "");
	json_object_put(j);
}

static bool ticket_final(const ticket_t *t)
{
	return strcmp(t->status, "MATCH_FOUND") == 0 || strcmp(t->status, "EXPIRED") == 0 ||
	       strcmp(t->status, "CANCELLED") == 0;
}

/* GET /tickets/{id} (by whoever queued it) unless already final. */
static void job_poll(worker_t *w, size_t i, void *ctx)
{
	ticket_t *t = &((ticket_t *)ctx)[i];
	if (!t->uid[0] || ticket_final(t))
		return;
	char target[64];
	int status = 0;
	json_object *j = NULL;
	snprintf(target, sizeof target, "/tickets/%s", t->uid);
	http(w, i, AXR_HTTP_GET, target, t->token, NULL, &status, &j);
	const char *s = json_str(j, "status"), *m = json_str(j, "matchUid");
	if (status == 200 && s) {
		snprintf(t->status, sizeof t->status, "%s", s);
		snprintf(t->match, sizeof t->match, "%s", m ? m : "");
		t->created_s = rfc3339_s(json_str(j, "dateCreated"));
		t->closed_s = rfc3339_s(json_str(j, "dateClosed"));
	}
	json_object_put(j);
}

static void job_match(worker_t *w, size_t i, void *ctx)
{
	match_t *m = &((match_t *)ctx)[i];
	char target[64];
	snprintf(target, sizeof target, "/matches/%s", m->uid);
	http(w, i, AXR_HTTP_GET, target, opt.server_token, NULL, &m->status, &m->json);
}

typedef struct index_entry {
	const char *uid;
	size_t i;
} index_entry_t;

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const index_entry_t *)a)->uid, ((const index_entry_t *)b)->uid);
}

static ticket_t *ticket_find(index_entry_t *index, size_t n, ticket_t *tickets, const char *uid)
{
	index_entry_t key = {.uid = uid};
	index_entry_t *e = uid ? bsearch(&key, index, n, sizeof *index, cmp_entry) : NULL;
	return e ? &tickets[e->i] : NULL;
}

/* true when `s` is one of the strings of JSON array `a`. */
static bool array_has(json_object *a, const char *s)
{
	for (size_t i = 0; a && i < json_object_array_length(a); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s) == 0)
			return true;
	return false;
}

/* The match's criteria as "name=value;..." (the server keeps them sorted by name). */
static void criteria_key(json_object *m, char *out, size_t cap)
{
	json_object *c = json_get(m, "criteria");
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; c && i < json_object_array_length(c) && len < cap; i++) {
		json_object *e = json_object_array_get_idx(c, i);
		len += (size_t)snprintf(out + len, cap - len, "%s=%s;", json_str(e, "name"), json_str(e, "value"));
	}
}

/* Checks one match body against the tickets; returns NULL or why not. */
static const char *match_check(json_object *m, const char *uid, index_entry_t *index, ticket_t *tickets, size_t n)
{
	static __thread char why[256];
	int num_teams = json_int(m, "numTeams"), team_size = json_int(m, "teamSize");
	json_object *teams = json_get(m, "teams"), *players = json_get(m, "players"), *mtickets = json_get(m, "tickets");
	char key[256];
	criteria_key(m, key, sizeof key);
	if (num_teams < 1 || team_size < 1 || !teams || (int)json_object_array_length(teams) != num_teams)
		return "teams do not number numTeams";
	if (!players || (int)json_object_array_length(players) != num_teams * team_size)
		return "players are not numTeams x teamSize";
	size_t in_teams = 0;
	for (int ti = 0; ti < num_teams; ti++) {
		json_object *team = json_object_array_get_idx(teams, (size_t)ti);
		json_object *members = json_get(team, "members"), *team_tickets = json_get(team, "tickets");
		if (!members || (int)json_object_array_length(members) != team_size) {
			snprintf(why, sizeof why, "team %d has %zu players, not %d", ti,
			         members ? json_object_array_length(members) : 0, team_size);
			return why;
		}
		size_t party_players = 0;
		for (size_t k = 0; team_tickets && k < json_object_array_length(team_tickets); k++) {
			ticket_t *t = ticket_find(index, n, tickets, json_object_get_string(json_object_array_get_idx(team_tickets, k)));
			if (!t)
				return "a team holds a ticket nobody queued";
			for (size_t u = 0; u < t->n_users; u++)
				if (!array_has(members, t->users[u]))
					return "a party is split across teams";
			if (team_size < t->team_min || team_size > t->team_max)
				return "the team size is outside a ticket's teamSize";
			if (strcmp(key, criteria_keys[t->criteria]) != 0)
				return "a ticket's criteria differ from the match's";
			if (strcmp(t->match, uid) != 0 || strcmp(t->status, "MATCH_FOUND") != 0)
				return "a ticket of the match is not MATCH_FOUND with this matchUid";
			if (!array_has(mtickets, t->uid))
				return "a team's ticket is missing from the match's tickets";
			party_players += t->n_users;
			in_teams++;
		}
		if ((int)party_players != team_size)
			return "a team's parties do not add up to teamSize";
		for (size_t k = 0; k < json_object_array_length(members); k++)
			if (!array_has(players, json_object_get_string(json_object_array_get_idx(members, k))))
				return "a member is missing from players";
	}
	if (!mtickets || json_object_array_length(mtickets) != in_teams)
		return "the match's tickets are not its teams' tickets";
	return NULL;
}

/* ---- mass ------------------------------------------------------------------------ */

static int cmd_mass(signer_t *s, size_t n)
{
	uint64_t rng = opt.seed;
	ticket_t *t = calloc(n, sizeof *t);
	index_entry_t *index = calloc(n, sizeof *index);
	if (!t || !index)
		return 2;
	size_t players = 0, solo = 0;
	for (size_t i = 0; i < n; i++) {
		double r = rng_unit(&rng);
		t[i].n_users = r < 0.60 ? 1 : r < 0.85 ? 2 : 3;
		for (size_t u = 0; u < t[i].n_users; u++)
			uuid_from(&rng, t[i].users[u]);
		t[i].by_player = t[i].n_users == 1;
		t[i].token = t[i].by_player ? token_for(s, t[i].users[0], NULL) : opt.server_token;
		if (!t[i].token)
			return 2;
		t[i].criteria = rng_unit(&rng) < 0.5 ? 0 : 1;
		bool range = rng_unit(&rng) < 0.15;
		t[i].team_min = 3;
		t[i].team_max = range ? 5 : 3;
		ticket_body(&t[i], floor(rng_unit(&rng) * 30000) / 10, 10 + floor(rng_unit(&rng) * 140), !t[i].by_player, 2);
		players += t[i].n_users;
		solo += t[i].by_player;
	}
	printf("# mass: %zu tickets, %zu players (%zu solo), to %zu replica(s)\n", n, players, solo, opt.n_urls);
	double t0 = now_s();
	int errors = run_jobs(n, job_post, t);
	size_t queued = 0;
	for (size_t i = 0; i < n; i++)
		queued += t[i].post_status == 201 && strcmp(t[i].status, "QUEUED") == 0 && t[i].uid[0];
	printf("# mass: queued in %.2f s\n", now_s() - t0);
	char why[256];
	snprintf(why, sizeof why, "%zu of %zu answered 201 QUEUED (%d transport errors)", queued, n, errors);
	check(queued == n, "mass: every ticket is queued with 201 through both replicas", why);

	/* Poll until every ticket has left the queue. */
	double deadline = now_s() + (double)opt.wait_s;
	size_t open = n;
	while (open > 0 && now_s() < deadline) {
		usleep(250000);
		run_jobs(n, job_poll, t);
		open = 0;
		for (size_t i = 0; i < n; i++)
			open += !ticket_final(&t[i]);
	}
	size_t matched = 0, expired = 0, other = 0, bad_link = 0;
	for (size_t i = 0; i < n; i++) {
		bool m = strcmp(t[i].status, "MATCH_FOUND") == 0, e = strcmp(t[i].status, "EXPIRED") == 0;
		matched += m;
		expired += e;
		other += !m && !e;
		bad_link += m != (t[i].match[0] != '\0');
		index[i] = (index_entry_t){.uid = t[i].uid, .i = i};
	}
	qsort(index, n, sizeof *index, cmp_entry);
	snprintf(why, sizeof why, "%zu matched, %zu expired, %zu still QUEUED or unknown after %ld s", matched, expired,
	         other, opt.wait_s);
	check(other == 0, "mass: every ticket ends MATCH_FOUND or EXPIRED (polled through GET /tickets/{id})", why);
	printf("# mass: %zu matched, %zu expired (%.1f%% matched) in %.2f s\n", matched, expired,
	       100.0 * (double)matched / (double)n, now_s() - t0);
	snprintf(why, sizeof why, "%zu tickets", bad_link);
	check(bad_link == 0, "mass: matchUid is set exactly on MATCH_FOUND tickets", why);

	/* Every match, as its GET answers it. */
	const char **uids = calloc(n + 1, sizeof *uids);
	size_t n_uids = 0;
	for (size_t i = 0; i < n; i++)
		if (t[i].match[0])
			uids[n_uids++] = t[i].match;
	qsort(uids, n_uids, sizeof *uids, cmp_str);
	size_t n_matches = 0;
	for (size_t i = 0; i < n_uids; i++)
		if (i == 0 || strcmp(uids[i], uids[i - 1]) != 0)
			uids[n_matches++] = uids[i];
	match_t *m = calloc(n_matches + 1, sizeof *m);
	for (size_t i = 0; i < n_matches; i++)
		snprintf(m[i].uid, sizeof m[i].uid, "%s", uids[i]);
	run_jobs(n_matches, job_match, m);
	size_t bad = 0, unread = 0;
	char first_why[256] = "";
	const char **all_players = calloc(players + 1, sizeof *all_players), **all_tickets = calloc(n + 1, sizeof *all_tickets);
	size_t n_players = 0, n_tickets = 0;
	double *spread = calloc(n_matches + 1, sizeof *spread), *diff = calloc(n_matches + 1, sizeof *diff);
	for (size_t i = 0; i < n_matches; i++) {
		if (m[i].status != 200 || !m[i].json) {
			unread++;
			continue;
		}
		const char *w = match_check(m[i].json, m[i].uid, index, t, n);
		if (w && bad++ == 0)
			snprintf(first_why, sizeof first_why, "match %s: %.180s", m[i].uid, w);
		json_object *p = json_get(m[i].json, "players"), *tk = json_get(m[i].json, "tickets");
		for (size_t k = 0; p && k < json_object_array_length(p) && n_players < players; k++)
			all_players[n_players++] = json_object_get_string(json_object_array_get_idx(p, k));
		for (size_t k = 0; tk && k < json_object_array_length(tk) && n_tickets < n; k++)
			all_tickets[n_tickets++] = json_object_get_string(json_object_array_get_idx(tk, k));
		spread[i] = json_object_get_double(json_get(m[i].json, "skillSpread"));
		diff[i] = json_object_get_double(json_get(m[i].json, "teamSkillDifference"));
	}
	snprintf(why, sizeof why, "%zu of %zu matches not answered 200", unread, n_matches);
	check(unread == 0 && n_matches > 0, "mass: every match reads with GET /matches/{id}", why);
	snprintf(why, sizeof why, "%zu matches, first: %.200s", bad, first_why);
	check(bad == 0, "mass: every match has numTeams teams of exactly teamSize players from whole parties, "
	                "ranges respected, one criteria set, its tickets MATCH_FOUND with its matchUid", why);
	qsort(all_players, n_players, sizeof *all_players, cmp_str);
	qsort(all_tickets, n_tickets, sizeof *all_tickets, cmp_str);
	size_t dup_players = 0, dup_tickets = 0;
	for (size_t i = 1; i < n_players; i++)
		dup_players += strcmp(all_players[i], all_players[i - 1]) == 0;
	for (size_t i = 1; i < n_tickets; i++)
		dup_tickets += strcmp(all_tickets[i], all_tickets[i - 1]) == 0;
	snprintf(why, sizeof why, "%zu players and %zu tickets appear twice", dup_players, dup_tickets);
	check(dup_players == 0 && dup_tickets == 0, "mass: no player and no ticket is in two matches", why);
	snprintf(why, sizeof why, "%zu tickets in matches, %zu MATCH_FOUND", n_tickets, matched);
	check(n_tickets == matched, "mass: the matches hold exactly the MATCH_FOUND tickets", why);

	/* Figures. */
	double *wait_m = calloc(n + 1, sizeof *wait_m), *wait_e = calloc(n + 1, sizeof *wait_e);
	size_t n_wm = 0, n_we = 0;
	for (size_t i = 0; i < n; i++) {
		double wsec = t[i].closed_s - t[i].created_s;
		if (isnan(wsec))
			continue;
		if (strcmp(t[i].status, "MATCH_FOUND") == 0)
			wait_m[n_wm++] = wsec;
		else if (strcmp(t[i].status, "EXPIRED") == 0)
			wait_e[n_we++] = wsec;
	}
	printf("# mass: %zu matches\n", n_matches);
	distribution("mass: skill spread per match", spread, n_matches - unread, "");
	distribution("mass: team average difference per match", diff, n_matches - unread, "");
	distribution("mass: wait of matched tickets", wait_m, n_wm, " s");
	distribution("mass: wait of expired tickets", wait_e, n_we, " s");

	/* BOLA on a sample: a solo player's ticket and match, read by another solo player of another match. */
	size_t tried = 0, leaks = 0, own_ok = 0;
	worker_t w = {.rng = 1};
	w.arena = axr_arena_new(64 * 1024);
	for (size_t u = 0; u < opt.n_urls; u++) {
		axr_client_options_t co = {.base_url = opt.urls[u]};
		axr_client_new(&co, &w.clients[u]);
	}
	for (size_t i = 0, j = n - 1; i < n && tried < 20; i++) {
		if (!t[i].by_player || !t[i].match[0])
			continue;
		while (j > 0 && (!t[j].by_player || j == i || strcmp(t[j].match, t[i].match) == 0))
			j--;
		if (j == 0)
			break;
		char target[64];
		int st = 0;
		snprintf(target, sizeof target, "/tickets/%s", t[i].uid);
		http(&w, i, AXR_HTTP_GET, target, t[j].token, NULL, &st, NULL);
		leaks += st != 404;
		http(&w, i + 1, AXR_HTTP_DELETE, target, t[j].token, NULL, &st, NULL);
		leaks += st != 404;
		snprintf(target, sizeof target, "/matches/%s", t[i].match);
		http(&w, i, AXR_HTTP_GET, target, t[j].token, NULL, &st, NULL);
		leaks += st != 404;
		http(&w, i + 1, AXR_HTTP_GET, target, t[i].token, NULL, &st, NULL);
		own_ok += st == 200;
		tried++;
		j--;
	}
	for (size_t u = 0; u < opt.n_urls; u++)
		axr_client_free(w.clients[u]);
	axr_arena_free(w.arena);
	snprintf(why, sizeof why, "%zu of %zu reads of someone else's ticket or match were not 404", leaks, tried * 3);
	check(tried > 0 && leaks == 0, "mass: BOLA: another player's ticket (GET, DELETE) and match are 404", why);
	snprintf(why, sizeof why, "%zu of %zu", own_ok, tried);
	check(own_ok == tried, "mass: a player reads their own match", why);

	if (opt.out_file) {
		FILE *f = fopen(opt.out_file, "a");
		if (f) {
			fprintf(f, "tickets %zu matched %zu expired %zu matches %zu\n", n, matched, expired, n_matches);
			fclose(f);
		}
	}
	for (size_t i = 0; i < n_matches; i++)
		json_object_put(m[i].json);
	free(wait_m);
	free(wait_e);
	free(spread);
	free(diff);
	free(all_players);
	free(all_tickets);
	free(m);
	free(uids);
	free(index);
	free(t);
	return 0;
}

/* ---- race ------------------------------------------------------------------------- */

static void job_race(worker_t *w, size_t i, void *ctx)
{
	ticket_t *t = &((ticket_t *)ctx)[i];
	job_post(w, i, ctx);
	if (t->post_status != 201)
		return;
	usleep((useconds_t)(rng_unit(&w->rng) * (double)opt.delay_ms * 1000));
	char target[64];
	snprintf(target, sizeof target, "/tickets/%s", t->uid);
	http(w, i + 1, AXR_HTTP_DELETE, target, t->token, NULL, &t->cancel_status, NULL); /* the other replica */
	t->status[0] = '\0';
}

static int cmd_race(signer_t *s, size_t n)
{
	uint64_t rng = opt.seed ^ 0x5eed;
	ticket_t *t = calloc(n, sizeof *t);
	if (!t)
		return 2;
	for (size_t i = 0; i < n; i++) {
		solo_ticket(&t[i], &rng, 1);
		t[i].by_player = true;
		if (!(t[i].token = token_for(s, t[i].users[0], NULL)))
			return 2;
		ticket_body(&t[i], 1000 + floor(rng_unit(&rng) * 100), 20, false, 2);
	}
	run_jobs(n, job_race, t);
	run_jobs(n, job_poll, t);
	size_t cancelled = 0, matched = 0, wrong = 0;
	char why[256] = "";
	for (size_t i = 0; i < n; i++) {
		bool c = t[i].cancel_status == 200 && strcmp(t[i].status, "CANCELLED") == 0 && !t[i].match[0];
		bool m = t[i].cancel_status == 409 && strcmp(t[i].status, "MATCH_FOUND") == 0 && t[i].match[0];
		cancelled += c;
		matched += m;
		if (!c && !m && wrong++ == 0)
			snprintf(why, sizeof why, "ticket %s: POST %d, DELETE %d, then %s", t[i].uid, t[i].post_status,
			         t[i].cancel_status, t[i].status);
	}
	printf("# race: %zu tickets: %zu cancelled first, %zu matched first\n", n, cancelled, matched);
	check(wrong == 0, "race: a cancel racing two matchers ends cancelled (200) xor matched (409), as GET agrees", why);

	/* No match holds a cancelled ticket: every ticket of every match is ours and matched. */
	size_t n_matches = 0;
	match_t *m = calloc(n + 1, sizeof *m);
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t k = 0; t[i].match[0] && k < n_matches && !seen; k++)
			seen = strcmp(m[k].uid, t[i].match) == 0;
		if (t[i].match[0] && !seen)
			snprintf(m[n_matches++].uid, UID_LEN, "%s", t[i].match);
	}
	run_jobs(n_matches, job_match, m);
	size_t holes = 0;
	for (size_t k = 0; k < n_matches; k++) {
		json_object *tk = json_get(m[k].json, "tickets");
		if (m[k].status != 200 || !tk || json_object_array_length(tk) != 2) {
			holes++;
			continue;
		}
		for (size_t j = 0; j < 2; j++) {
			const char *uid = json_object_get_string(json_object_array_get_idx(tk, j));
			bool ok = false;
			for (size_t i = 0; i < n && !ok; i++)
				ok = strcmp(t[i].uid, uid) == 0 && strcmp(t[i].status, "MATCH_FOUND") == 0;
			holes += !ok;
		}
	}
	snprintf(why, sizeof why, "%zu of %zu matches hold a ticket that is not MATCH_FOUND", holes, n_matches);
	check(holes == 0, "race: no match holds a cancelled ticket", why);
	for (size_t k = 0; k < n_matches; k++)
		json_object_put(m[k].json);
	free(m);
	free(t);
	return 0;
}

/* ---- queue (bench) ------------------------------------------------------------------- */

typedef struct queue_ctx {
	ticket_t *t;
	double t0;
} queue_ctx_t;

static void job_queue(worker_t *w, size_t i, void *ctx)
{
	queue_ctx_t *q = ctx;
	if (opt.rate > 0) { /* open loop: ticket i leaves at t0 + i / rate */
		double wait = q->t0 + (double)i / opt.rate - now_s();
		if (wait > 0)
			usleep((useconds_t)(wait * 1e6));
	}
	int status = 0;
	http(w, i, AXR_HTTP_POST, "/tickets", opt.server_token, q->t[i].body, &status, NULL);
	q->t[i].post_status = status;
}

static int cmd_queue(size_t n)
{
	uint64_t rng = opt.seed ^ (uint64_t)getpid() << 20;
	ticket_t *t = calloc(n, sizeof *t);
	if (!t)
		return 2;
	for (size_t i = 0; i < n; i++) {
		solo_ticket(&t[i], &rng, 5);
		ticket_body(&t[i], floor(rng_unit(&rng) * 30000) / 10, 10 + floor(rng_unit(&rng) * 90), true, 2);
	}
	queue_ctx_t q = {.t = t, .t0 = now_s()};
	int errors = run_jobs(n, job_queue, &q);
	double secs = now_s() - q.t0;
	size_t ok = 0;
	for (size_t i = 0; i < n; i++)
		ok += t[i].post_status == 201;
	printf("queued %zu of %zu tickets in %.3f s: %.0f tickets/s (%d transport errors)\n", ok, n, secs,
	       (double)ok / secs, errors);
	free(t);
	return ok == n ? 0 : 1;
}

/* ---- main -------------------------------------------------------------------------- */

static int usage(void)
{
	fprintf(stderr, "usage: mm_load -k KEY.pem -u URL[,URL...] [-c CONNS] [-w SECS] [-d MS] [-r RATE] [-s SEED] "
	                "[-o FILE] mass|race|queue N\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *key_file = NULL;
	char *urls = NULL;
	int c;
	while ((c = getopt(argc, argv, "k:u:c:w:d:r:s:o:")) != -1) {
		switch (c) {
		case 'k': key_file = optarg; break;
		case 'u': urls = optarg; break;
		case 'c': opt.conns = atoi(optarg); break;
		case 'w': opt.wait_s = atol(optarg); break;
		case 'd': opt.delay_ms = atol(optarg); break;
		case 'r': opt.rate = atof(optarg); break;
		case 's': opt.seed = strtoull(optarg, NULL, 10); break;
		case 'o': opt.out_file = optarg; break;
		default: return usage();
		}
	}
	if (!key_file || !urls || optind + 2 != argc || opt.conns < 1 || opt.conns > 1024 || opt.wait_s < 1 ||
	    opt.delay_ms < 0 || opt.seed == 0)
		return usage();
	for (char *save = NULL, *u = strtok_r(urls, ",", &save); u; u = strtok_r(NULL, ",", &save))
		if (opt.n_urls < MAX_URLS)
			opt.urls[opt.n_urls++] = u;
	long n = atol(argv[optind + 1]);
	if (opt.n_urls == 0 || n < 1 || n > 10000000)
		return usage();
	signer_t s;
	if (signer_open(&s, key_file) != 0)
		return 2;
	char server_uid[UID_LEN];
	uint64_t rng = opt.seed + 99;
	uuid_from(&rng, server_uid);
	opt.server_token = token_for(&s, server_uid, "gameserver");
	int rc = opt.server_token ? 0 : 2;
	if (rc == 0 && strcmp(argv[optind], "mass") == 0)
		rc = cmd_mass(&s, (size_t)n);
	else if (rc == 0 && strcmp(argv[optind], "race") == 0)
		rc = cmd_race(&s, (size_t)n);
	else if (rc == 0 && strcmp(argv[optind], "queue") == 0)
		rc = cmd_queue((size_t)n);
	else if (rc == 0)
		rc = usage();
	signer_close(&s);
	return rc ? rc : opt.failures ? 1 : 0;
}
