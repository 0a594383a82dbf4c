/* matchmaking.c: the matchmaking service driven through its generated C client (run by tests/matchmaking/client.test.sh). */
/*
 * Settings: AXR_IT_MATCHMAKING_URL (http://127.0.0.1:PORT of axr-matchmaking with a fast
 * matcher: a round every 50 ms, tickets expiring after AXR_IT_MATCH_MAX_WAIT_MS, 5000 by default)
 * and AXR_IT_MATCHMAKING_DB (its database, for the SQL side of the checks).
 * Players get tokens from the test key; a game server and an admin too. Tickets are
 * created (blocking and async), polled with matchmaking_client_get_ticket() until the
 * matcher answers, cancelled; matches are read by their players and by trusted roles.
 */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "it_calls.h"
#include "matchmaking_client.h"

#define PLAYERS 22
#define TEN 10

static axr_arena_t *arena;
static const char *db;
static char uids[PLAYERS][40];
static axr_client_t *players[PLAYERS];

/* A ticket request: `team_size` is JSON text ("1", "{\"gte\":3,\"lte\":5}"); `mode` NULL = no criteria. */
typedef struct req {
	Matchmaking__TicketRequest r;
	Matchmaking__Statistics st;
	Matchmaking__Criterion crit[2];
	Matchmaking__Criterion *crits[2];
	char *users[4];
} req_t;

static void req_init(req_t *q, const char *mode, double skill, const char *team_size)
{
	memset(q, 0, sizeof *q);
	q->r = (Matchmaking__TicketRequest)MATCHMAKING__TICKET_REQUEST__INIT;
	q->st = (Matchmaking__Statistics)MATCHMAKING__STATISTICS__INIT;
	q->st.has_skillrating = 1;
	q->st.skillrating = skill;
	q->r.statistics = &q->st;
	q->r.team_size = IT_STR(team_size);
	if (mode) {
		q->crit[0] = (Matchmaking__Criterion)MATCHMAKING__CRITERION__INIT;
		q->crit[0].name = IT_STR("mode");
		q->crit[0].value = IT_STR(mode);
		q->crits[0] = &q->crit[0];
		q->r.criteria = q->crits;
		q->r.n_criteria = 1;
	}
}

static void req_users(req_t *q, size_t n, const char *const *users)
{
	for (size_t i = 0; i < n && i < 4; i++)
		q->users[i] = IT_STR(users[i]);
	q->r.users = q->users;
	q->r.n_users = n;
}

/* Polls the ticket until its status is not QUEUED (or `ms` passed); answers the last ticket read. */
static Matchmaking__Ticket *poll_ticket(axr_client_t *c, const char *id, long ms)
{
	Matchmaking__Ticket *t = NULL;
	axr_client_error_t err = {0};
	long long end = it_now_ms() + ms;
	do {
		if (matchmaking_client_get_ticket(c, id, NULL, &t, arena, &err) != 0)
			return NULL;
		if (strcmp(t->status, "QUEUED") != 0)
			return t;
		usleep(50 * 1000);
	} while (it_now_ms() < end);
	return t;
}

/* The same field path from the client (nothing sent) and from the server (sent unvalidated). */
static void validation_case(axr_client_t *c, req_t *q, const char *name, const char *path, int client_sees)
{
	Matchmaking__CreateTicketInput in = MATCHMAKING__CREATE_TICKET_INPUT__INIT;
	axr_client_error_t local = {0}, remote = {0};
	int lrc, rrc, lok;
	in.body = &q->r;
	lrc = matchmaking_client_create_ticket(c, &q->r, NULL, NULL, arena, &local);
	rrc = it_call(c, &matchmaking_client_routes[MATCHMAKING_CLIENT_CREATE_TICKET], &in.base, AXR_CLIENT_NO_VALIDATE, NULL,
	              NULL, NULL, arena, &remote);
	/* Rules beyond the schema (a party larger than a team, duplicate criteria) only the server knows:
	 * then the client sends and shows the server's answer. */
	lok = client_sees ? it_local_invalid(lrc, &local, path) : it_http(lrc, &local, 400, "VALIDATION") && it_has_path(&local, path);
	it_check(lok && it_http(rrc, &remote, 400, "VALIDATION") && it_has_path(&remote, path), name,
	         "want %s: client %s [%s]; server %s [%s]", path, it_e(lrc, &local), it_paths(&local), it_e(rrc, &remote),
	         it_paths(&remote));
}

/* Async creates of the ten players. */
typedef struct created {
	int calls, ok;
	char ids[TEN][40];
	char why[600];
} created_t;

typedef struct slot {
	created_t *all;
	int i;
} slot_t;

static void on_created(int rc, ProtobufCMessage *out, axr_client_error_t *err, void *ud)
{
	slot_t *s = ud;
	s->all->calls++;
	if (rc == 0 && out) {
		s->all->ok++;
		snprintf(s->all->ids[s->i], sizeof s->all->ids[0], "%s", ((Matchmaking__Ticket *)out)->uid);
	} else if (!s->all->why[0])
		snprintf(s->all->why, sizeof s->all->why, "%s", it_e(rc, err));
}

/* `uid` in upper case into out[40]. */
static void upper_uuid(const char *uid, char *out)
{
	snprintf(out, 40, "%s", uid);
	for (char *c = out; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
}

static int has(char *const *list, size_t n, const char *v)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], v) == 0)
			return 1;
	return 0;
}

int main(void)
{
	const char *url = it_env("AXR_IT_MATCHMAKING_URL");
	const char *wait_env = getenv("AXR_IT_MATCH_MAX_WAIT_MS");
	long max_wait = wait_env ? atol(wait_env) : 5000;
	db = it_env("AXR_IT_MATCHMAKING_DB");
	arena = axr_arena_new(0);
	for (int i = 0; i < PLAYERS; i++) {
		snprintf(uids[i], sizeof uids[i], "a%07d-beef-4000-8000-0000000000%02d", i + 1, i);
		players[i] = it_client(url, it_mint(uids[i], NULL));
	}
	axr_client_t *game = it_client(url, it_mint("9a9a9a9a-0000-4000-8000-000000000001", "gameserver"));
	axr_client_t *admin = it_client(url, it_mint("adadadad-0000-4000-8000-000000000001", "admin"));
	axr_client_t *anon = it_client(url, NULL);
	axr_client_t **p = players;
	axr_client_error_t err = {0};
	Matchmaking__Ticket *t = NULL;
	Matchmaking__Match *m = NULL;
	req_t q;
	char lonely[40] = "", t0[40] = "", t1[40] = "", match[40] = "", mine[40] = "";
	int rc;

	/* A ticket no one can join, checked at the end: EXPIRED after the maximum wait. */
	req_init(&q, "lonely", 5, "5");
	rc = matchmaking_client_create_ticket(p[19], &q.r, NULL, &t, arena, &err);
	long long lonely_at = it_now_ms();
	if (rc == 0)
		snprintf(lonely, sizeof lonely, "%s", t->uid);
	it_check(rc == 0 && strcmp(t->status, "QUEUED") == 0 && t->date_expires && t->num_teams == 2 &&
	             strcmp(t->team_size, "5") == 0,
	         "a-ticket-is-queued-with-defaults-and-its-expiry", "%s", it_e(rc, &err));

	/* Two duellists too far apart in skill for the windows to meet before the maximum wait. */
	char far[2][40] = {"", ""};
	for (int i = 0; i < 2; i++) {
		req_init(&q, "far", i ? 100000 : 0, "1");
		if (matchmaking_client_create_ticket(p[i ? 21 : 20], &q.r, NULL, &t, arena, &err) == 0)
			snprintf(far[i], sizeof far[i], "%s", t->uid);
	}

	/* ---- a 1v1 ---- */
	req_init(&q, "duel", 1200, "1");
	q.st.has_latency = 1;
	q.st.latency = 40;
	rc = matchmaking_client_create_ticket(p[0], &q.r, NULL, &t, arena, &err);
	if (rc == 0)
		snprintf(t0, sizeof t0, "%s", t->uid);
	it_check(rc == 0 && t->n_users == 1 && strcmp(t->users[0], uids[0]) == 0 && strcmp(t->host_uid, uids[0]) == 0 &&
	             t->version == 0 && t->num_users == 1 && t->n_criteria == 1,
	         "a-player-queues-themselves-host-and-party-are-the-caller", "%s", it_e(rc, &err));
	req_init(&q, "duel", 1250, "1");
	rc = matchmaking_client_create_ticket(p[1], &q.r, NULL, &t, arena, &err);
	if (rc == 0)
		snprintf(t1, sizeof t1, "%s", t->uid);
	Matchmaking__Ticket *a = poll_ticket(p[0], t0, 4000);
	Matchmaking__Ticket *b = poll_ticket(p[1], t1, 4000);
	it_check(rc == 0 && a && b && strcmp(a->status, "MATCH_FOUND") == 0 && strcmp(b->status, "MATCH_FOUND") == 0 &&
	             a->match_uid && b->match_uid && strcmp(a->match_uid, b->match_uid) == 0 && a->date_closed,
	         "two-players-of-a-1v1-are-matched-together-polled-through-the-client", "%s; %s / %s", it_e(rc, &err),
	         a ? a->status : "(read failed)", b ? b->status : "(read failed)");
	if (a && a->match_uid)
		snprintf(match, sizeof match, "%s", a->match_uid);
	rc = matchmaking_client_get_match(p[1], match, NULL, &m, arena, &err);
	it_check(rc == 0 && m->n_players == 2 && has(m->players, 2, uids[0]) && has(m->players, 2, uids[1]) &&
	             m->n_teams == 2 && m->team_size == 1 && m->n_tickets == 2 && m->skill_spread == 50 &&
	             m->has_max_latency && m->max_latency == 40,
	         "a-player-reads-their-match-teams-spread-and-latency", "%s", it_e(rc, &err));
	rc = matchmaking_client_get_match(p[2], match, NULL, &m, arena, &err);
	it_check(it_http(rc, &err, 404, NULL), "bola-someone-elses-match-is-404", "%s", it_e(rc, &err));
	rc = matchmaking_client_get_match(game, match, NULL, &m, arena, &err);
	it_check(rc == 0 && m->n_players == 2, "a-game-server-reads-any-match", "%s", it_e(rc, &err));
	rc = matchmaking_client_cancel_ticket(p[0], t0, NULL, &t, arena, &err);
	it_check(it_http(rc, &err, 409, "CONFLICT") && strstr(err.message, "MATCH_FOUND") && strstr(err.message, match),
	         "cancelling-a-matched-ticket-is-409-naming-the-match", "%s", it_e(rc, &err));

	/* ---- ten players, 5v5, created together with async stubs ---- */
	struct event_base *base = event_base_new();
	created_t ten = {0};
	slot_t slots[TEN];
	int started = 0;
	for (int i = 0; i < TEN; i++) {
		req_t r;
		req_init(&r, "ten", 1000 + 10 * i, "5");
		slots[i] = (slot_t){&ten, i};
		started += matchmaking_client_create_ticket_async(p[2 + i], base, &r.r, NULL, arena, &err, on_created,
		                                                  &slots[i]) == 0;
	}
	event_base_dispatch(base);
	int found = 0;
	char first[40] = "";
	for (int i = 0; i < TEN && ten.ok == TEN; i++) {
		Matchmaking__Ticket *x = poll_ticket(p[2 + i], ten.ids[i], 5000);
		if (x && strcmp(x->status, "MATCH_FOUND") == 0 && (!first[0] || strcmp(first, x->match_uid) == 0)) {
			found++;
			snprintf(first, sizeof first, "%s", x->match_uid);
		}
	}
	it_check(started == TEN && ten.ok == TEN && found == TEN, "ten-players-of-a-5v5-all-in-one-match",
	         "%d started, %d created (%s), %d found in one match", started, ten.ok, ten.why, found);
	rc = matchmaking_client_get_match(p[7], first, NULL, &m, arena, &err);
	int teams_ok = rc == 0 && m->n_teams == 2;
	for (size_t i = 0; teams_ok && i < m->n_teams; i++)
		teams_ok = m->teams[i]->n_members == 5 && m->teams[i]->n_tickets == 5;
	it_check(teams_ok && m->n_players == TEN && m->team_size == 5, "the-5v5-has-two-teams-of-exactly-five", "%s",
	         it_e(rc, &err));
	char sqlq[256];
	snprintf(sqlq, sizeof sqlq, "SELECT count(*) FROM ticket WHERE match_uid = '%s' AND status = 'MATCH_FOUND'", first);
	it_check(it_sql_num(db, sqlq) == TEN, "in-sql-ten-tickets-point-at-the-match", "%s", it_sql(db, sqlq));

	/* ---- a party queued by a game server is never split ---- */
	const char *party[2] = {uids[12], uids[13]};
	req_init(&q, "party", 1500, "2");
	req_users(&q, 2, party);
	rc = matchmaking_client_create_ticket(game, &q.r, NULL, &t, arena, &err);
	char pt[40] = "", pt2[40] = "";
	if (rc == 0)
		snprintf(pt, sizeof pt, "%s", t->uid);
	const char *party2[2] = {uids[14], uids[15]};
	req_users(&q, 2, party2);
	int rc2 = matchmaking_client_create_ticket(game, &q.r, NULL, &t, arena, &err);
	if (rc2 == 0)
		snprintf(pt2, sizeof pt2, "%s", t->uid);
	Matchmaking__Ticket *x = poll_ticket(p[12], pt, 4000);
	int split = 1;
	if (x && x->match_uid && matchmaking_client_get_match(p[13], x->match_uid, NULL, &m, arena, &err) == 0) {
		for (size_t i = 0; i < m->n_teams; i++)
			if (has(m->teams[i]->members, m->teams[i]->n_members, uids[12]))
				split = !has(m->teams[i]->members, m->teams[i]->n_members, uids[13]);
	}
	it_check(rc == 0 && rc2 == 0 && x && strcmp(x->status, "MATCH_FOUND") == 0 && !split && x->num_users == 2,
	         "two-parties-queued-by-a-game-server-match-2v2-each-party-on-one-team", "%s, %s",
	         it_e(rc ? rc : rc2, &err), x ? x->status : "(no ticket)");

	/* ---- validation: client and server ---- */
	req_init(&q, NULL, 1, "{\"gte\":5,\"lte\":3}");
	validation_case(p[16], &q, "an-empty-team-size-range-is-400-at-/teamSize", "/teamSize", 0);
	req_init(&q, NULL, 1, "0");
	validation_case(p[16], &q, "team-size-0-is-400-at-/teamSize", "/teamSize", 1);
	req_init(&q, NULL, -1, "1");
	validation_case(p[16], &q, "a-negative-skill-rating-is-400-at-/statistics/skillrating", "/statistics/skillrating", 1);
	req_init(&q, NULL, 1, "1");
	q.r.statistics = NULL;
	validation_case(p[16], &q, "no-statistics-is-400-at-/statistics", "/statistics", 1);
	req_init(&q, NULL, 1, "64");
	q.r.has_num_teams = 1;
	q.r.num_teams = 64;
	validation_case(p[16], &q, "a-64x64-match-is-400-at-/numTeams", "/numTeams", 0);
	req_init(&q, "a", 1, "1");
	q.crit[1] = (Matchmaking__Criterion)MATCHMAKING__CRITERION__INIT;
	q.crit[1].name = IT_STR("mode");
	q.crit[1].value = IT_STR("b");
	q.crits[1] = &q.crit[1];
	q.r.n_criteria = 2;
	validation_case(p[16], &q, "a-duplicate-criterion-is-400-at-/criteria/1/name", "/criteria/1/name", 0);
	req_init(&q, "x", 1, "1");
	q.crit[0].name = IT_STR("no spaces");
	validation_case(p[16], &q, "a-criterion-name-off-its-pattern-is-400-at-/criteria/0/name", "/criteria/0/name", 1);
	const char *three[3] = {uids[16], uids[17], "77777777-0000-4000-8000-000000000077"};
	req_init(&q, NULL, 1, "2");
	req_users(&q, 3, three);
	rc = matchmaking_client_create_ticket(game, &q.r, NULL, &t, arena, &err);
	it_check(it_http(rc, &err, 400, "VALIDATION") && it_has_path(&err, "/teamSize") && strstr(err.errors[0].message, "party of 3"),
	         "a-party-of-3-in-teams-of-2-is-400-at-/teamSize", "%s", it_e(rc, &err));
	char upper17[40];
	upper_uuid(uids[17], upper17);
	const char *twice[2] = {uids[17], upper17};
	req_init(&q, NULL, 1, "2");
	req_users(&q, 2, twice);
	rc = matchmaking_client_create_ticket(game, &q.r, NULL, &t, arena, &err);
	it_check(it_http(rc, &err, 400, "VALIDATION") && it_has_path(&err, "/users/1") && strstr(err.errors[0].message, "twice"),
	         "one-user-listed-twice-in-two-cases-is-400-at-/users/1-listed-twice", "%s", it_e(rc, &err));
	snprintf(sqlq, sizeof sqlq, "SELECT count(*) FROM ticket_member WHERE user_uid IN ('%s', '%s')", uids[16], uids[17]);
	it_check(it_sql_num(db, sqlq) == 0, "refused-tickets-queued-nothing", "%s", it_sql(db, sqlq));

	/* ---- permissions ---- */
	req_init(&q, NULL, 1, "1");
	Matchmaking__CreateTicketInput ci = MATCHMAKING__CREATE_TICKET_INPUT__INIT;
	axr_client_response_t ans;
	ci.body = &q.r;
	rc = it_call_answer(anon, &matchmaking_client_routes[MATCHMAKING_CLIENT_CREATE_TICKET], &ci.base, NULL, 0,
	                    (ProtobufCMessage **)&t, &ans, arena, &err);
	const char *www = axr_client_response_header(&ans, "WWW-Authenticate");
	it_check(it_http(rc, &err, 401, NULL) && rc == AXR_EUNAUTHORIZED && www && strncmp(www, "Bearer", 6) == 0,
	         "no-token-is-401-with-www-authenticate-bearer", "%s, WWW-Authenticate %s", it_e(rc, &err), www ? www : "(none)");
	const char *pair[2] = {uids[16], uids[17]};
	req_init(&q, NULL, 1, "2");
	req_users(&q, 2, pair);
	rc = matchmaking_client_create_ticket(p[16], &q.r, NULL, &t, arena, &err);
	it_check(it_http(rc, &err, 403, "FORBIDDEN") && it_has_path(&err, "/users"), "a-player-queueing-someone-else-is-403-at-/users",
	         "%s", it_e(rc, &err));
	char upper[40];
	upper_uuid(uids[16], upper);
	const char *self[1] = {upper};
	req_init(&q, "solo-wait", 1, "5");
	req_users(&q, 1, self);
	rc = matchmaking_client_create_ticket(p[16], &q.r, NULL, &t, arena, &err);
	if (rc == 0)
		snprintf(mine, sizeof mine, "%s", t->uid);
	it_check(rc == 0 && strcmp(t->host_uid, uids[16]) == 0 && strcmp(t->users[0], uids[16]) == 0,
	         "queueing-oneself-by-an-upper-case-uuid-is-stored-lower-case", "%s", it_e(rc, &err));
	req_init(&q, NULL, 1, "5");
	rc = matchmaking_client_create_ticket(p[16], &q.r, NULL, &t, arena, &err);
	it_check(it_http(rc, &err, 409, "EXISTS") && it_has_path(&err, "/users"), "a-second-queued-ticket-is-409-exists-at-/users", "%s",
	         it_e(rc, &err));
	const char *with_queued[2] = {uids[17], uids[16]};
	req_users(&q, 2, with_queued);
	rc = matchmaking_client_create_ticket(game, &q.r, NULL, &t, arena, &err);
	snprintf(sqlq, sizeof sqlq, "SELECT count(*) FROM ticket_member WHERE user_uid = '%s'", uids[17]);
	it_check(it_http(rc, &err, 409, "EXISTS") && it_sql_num(db, sqlq) == 0,
	         "a-party-with-a-queued-member-is-409-and-nothing-of-it-is-written", "%s, rows %s", it_e(rc, &err),
	         it_sql(db, sqlq));

	/* ---- BOLA on tickets ---- */
	rc = matchmaking_client_get_ticket(p[17], mine, NULL, &t, arena, &err);
	int g404 = it_http(rc, &err, 404, "NOTFOUND");
	rc = matchmaking_client_cancel_ticket(p[17], mine, NULL, &t, arena, &err);
	int d404 = it_http(rc, &err, 404, NULL);
	it_check(g404 && d404, "bola-another-players-ticket-is-404-for-get-and-cancel", "get %d cancel %d (%s)", g404, d404,
	         it_e(rc, &err));
	rc = matchmaking_client_get_ticket(admin, mine, NULL, &t, arena, &err);
	int adm = rc == 0;
	rc = matchmaking_client_get_ticket(game, mine, NULL, &t, arena, &err);
	it_check(adm && rc == 0 && strcmp(t->status, "QUEUED") == 0, "admins-and-game-servers-read-any-ticket", "%s",
	         it_e(rc, &err));
	rc = matchmaking_client_get_ticket(p[16], "not-a-uuid", NULL, &t, arena, &err);
	int n1 = it_http(rc, &err, 404, NULL);
	rc = matchmaking_client_cancel_ticket(p[16], "not-a-uuid", NULL, &t, arena, &err);
	it_check(n1 && it_http(rc, &err, 404, NULL), "a-ticket-id-that-is-no-uuid-is-404", "%s", it_e(rc, &err));

	/* ---- the operators' list of matches ---- */
	Matchmaking__MatchList *ml = NULL;
	Matchmaking__ListMatchesInput lq = MATCHMAKING__LIST_MATCHES_INPUT__INIT;
	lq.has_limit = 1;
	lq.limit = 2;
	lq.sort = IT_STR("{\"dateCreated\":\"ASC\"}");
	rc = matchmaking_client_list_matches(p[0], &lq, &ml, arena, &err);
	it_check(it_http(rc, &err, 403, NULL), "the-match-list-is-403-for-players", "%s", it_e(rc, &err));
	rc = matchmaking_client_list_matches(admin, &lq, &ml, arena, &err);
	it_check(rc == 0 && ml->n_items == 2 && strcmp(ml->items[0]->uid, match) == 0,
	         "an-admin-lists-matches-oldest-first-two-per-page", "%s, %zu", it_e(rc, &err), rc ? 0 : ml->n_items);

	/* ---- cancel ---- */
	Matchmaking__GetTicketInput gi = MATCHMAKING__GET_TICKET_INPUT__INIT;
	gi.id = mine;
	rc = it_call_answer(p[16], &matchmaking_client_routes[MATCHMAKING_CLIENT_GET_TICKET], &gi.base, NULL, 0,
	                    (ProtobufCMessage **)&t, &ans, arena, &err);
	const char *etag = axr_client_response_header(&ans, "ETag");
	it_check(rc == 0 && etag && strcmp(etag, "\"0\"") == 0, "a-queued-ticket-reads-with-etag-0", "%s, ETag %s",
	         it_e(rc, &err), etag ? etag : "(none)");
	Matchmaking__CancelTicketInput di = MATCHMAKING__CANCEL_TICKET_INPUT__INIT;
	di.id = mine;
	rc = it_call_answer(p[16], &matchmaking_client_routes[MATCHMAKING_CLIENT_CANCEL_TICKET], &di.base, NULL, 0,
	                    (ProtobufCMessage **)&t, &ans, arena, &err);
	etag = axr_client_response_header(&ans, "ETag");
	it_check(rc == 0 && strcmp(t->status, "CANCELLED") == 0 && t->version == 1 && t->date_closed && etag &&
	             strcmp(etag, "\"1\"") == 0,
	         "cancel-answers-the-ticket-cancelled-version-1-etag-1", "%s, ETag %s", it_e(rc, &err), etag ? etag : "(none)");
	rc = matchmaking_client_cancel_ticket(p[16], mine, NULL, &t, arena, &err);
	it_check(rc == 0 && strcmp(t->status, "CANCELLED") == 0 && t->version == 1, "a-repeated-cancel-answers-it-again", "%s",
	         it_e(rc, &err));
	req_init(&q, "solo-wait", 1, "5");
	rc = matchmaking_client_create_ticket(p[16], &q.r, NULL, &t, arena, &err);
	it_check(rc == 0 && strcmp(t->status, "QUEUED") == 0, "after-a-cancel-the-player-may-queue-again", "%s",
	         it_e(rc, &err));

	/* ---- protobuf on the wire: the team size travels as JSON text inside the message ---- */
	axr_client_options_t po = {.base_url = url, .timeout_ms = 15000, .flags = AXR_CLIENT_PROTOBUF};
	axr_client_t *pb = NULL;
	rc = axr_client_new(&po, &pb);
	if (rc == 0)
		rc = axr_client_set_token(pb, it_mint(uids[18], NULL));
	req_init(&q, "pb", 777, "{\"gte\":2,\"lte\":4}");
	q.st.has_latency = 1;
	q.st.latency = 12.5;
	if (rc == 0)
		rc = matchmaking_client_create_ticket(pb, &q.r, NULL, &t, arena, &err);
	char pbt[40] = "";
	if (rc == 0)
		snprintf(pbt, sizeof pbt, "%s", t->uid);
	it_check(rc == 0 && strcmp(t->host_uid, uids[18]) == 0 && t->statistics && t->statistics->skillrating == 777 &&
	             t->statistics->latency == 12.5 && t->team_size && strstr(t->team_size, "\"gte\":2") &&
	             t->n_criteria == 1 && strcmp(t->criteria[0]->value, "pb") == 0,
	         "a-protobuf-client-queues-a-ticket-with-a-team-size-range", "%s, teamSize %s", it_e(rc, &err),
	         rc == 0 && t->team_size ? t->team_size : "-");
	rc = matchmaking_client_get_ticket(p[18], pbt, NULL, &t, arena, &err);
	it_check(rc == 0 && t->team_size && strstr(t->team_size, "\"lte\":4") && t->statistics->skillrating == 777,
	         "a-json-client-reads-the-protobuf-ticket", "%s, teamSize %s", it_e(rc, &err),
	         rc == 0 && t->team_size ? t->team_size : "-");
	rc = matchmaking_client_cancel_ticket(pb, pbt, NULL, &t, arena, &err);
	it_check(rc == 0 && strcmp(t->status, "CANCELLED") == 0, "a-protobuf-client-cancels-and-decodes-the-answer", "%s",
	         it_e(rc, &err));
	req_init(&q, NULL, 1, "{\"gte\":5,\"lte\":3}");
	rc = matchmaking_client_create_ticket(pb, &q.r, NULL, &t, arena, &err);
	it_check(it_http(rc, &err, 400, "VALIDATION") && it_has_path(&err, "/teamSize"),
	         "a-protobuf-ticket-with-an-empty-range-is-400-at-/teamSize", "%s [%s]", it_e(rc, &err), it_paths(&err));
	axr_client_free(pb);

	/* ---- a party member who did not queue the ticket may read and cancel it ---- */
	const char *duo[2] = {uids[17], uids[18]};
	req_init(&q, "party-cancel", 1, "2");
	req_users(&q, 2, duo);
	rc = matchmaking_client_create_ticket(game, &q.r, NULL, &t, arena, &err);
	char duot[40] = "";
	if (rc == 0)
		snprintf(duot, sizeof duot, "%s", t->uid);
	int made = rc == 0 && t->num_users == 2 && t->n_users == 2;
	rc = matchmaking_client_get_ticket(p[18], duot, NULL, &t, arena, &err);
	int read = rc == 0 && strcmp(t->status, "QUEUED") == 0;
	rc = matchmaking_client_cancel_ticket(p[18], duot, NULL, &t, arena, &err);
	it_check(made && read && rc == 0 && strcmp(t->status, "CANCELLED") == 0,
	         "a-party-member-reads-and-cancels-the-ticket-a-game-server-queued", "made %d read %d cancel %s", made, read,
	         it_e(rc, &err));
	req_init(&q, "party-cancel", 1, "1");
	rc = matchmaking_client_create_ticket(p[17], &q.r, NULL, &t, arena, &err);
	it_check(rc == 0, "the-other-member-may-queue-again-after-the-cancel", "%s", it_e(rc, &err));

	/* ---- the lonely ticket ---- */
	long left = max_wait + 3000 - (long)(it_now_ms() - lonely_at);
	x = poll_ticket(p[19], lonely, left > 0 ? left : 1);
	it_check(x && strcmp(x->status, "EXPIRED") == 0 && x->date_closed, "a-ticket-no-one-joins-expires-after-the-maximum-wait",
	         "%s after %lld ms", x ? x->status : "(read failed)", it_now_ms() - lonely_at);

	Matchmaking__Ticket *f0 = poll_ticket(p[20], far[0], 3000);
	const char *s0 = f0 ? f0->status : "(read failed)";
	Matchmaking__Ticket *f1 = poll_ticket(p[21], far[1], 3000);
	it_check(f0 && f1 && strcmp(f0->status, "EXPIRED") == 0 && strcmp(f1->status, "EXPIRED") == 0,
	         "duellists-100000-skill-points-apart-never-match-both-expire", "%s / %s", s0,
	         f1 ? f1->status : "(read failed)");

	event_base_free(base);
	axr_client_t *all[PLAYERS + 3];
	for (int i = 0; i < PLAYERS; i++)
		all[i] = players[i];
	all[PLAYERS] = game;
	all[PLAYERS + 1] = admin;
	all[PLAYERS + 2] = anon;
	return it_done(arena, all, PLAYERS + 3);
}
