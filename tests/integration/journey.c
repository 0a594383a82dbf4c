/* journey.c: a player's whole journey through the gateway with the generated C clients (issue #13). */
/*
 * Run by tests/platform/journey.test.sh against the whole platform
 * (tests/lib/platform.sh: every service behind nginx). Every call goes
 * through the gateway's /v1 with the generated stubs; tokens come from the
 * real account service. The steps, in order, each one `ok - journey_<step>`:
 *
 *   register -> login -> admin_login -> websocket -> achievement_progress ->
 *   achievement_unlock -> achievement_event -> mint -> purchase ->
 *   friend_register -> friend_websocket -> transfer_propose ->
 *   transfer_approve -> transfer_event -> match_queue -> match_found ->
 *   match_event -> events_exactly_once -> refresh -> auto_refresh -> logout ->
 *   refresh_reuse_revokes_the_family
 *
 * A step whose prerequisite failed is a `not ok - journey_<step>: skipped
 * (needs journey_<other>)`. After each step a `# journey_<step> N ms` line
 * gives its time.
 *
 * Settings (environment): AXR_IT_GATEWAY (http://127.0.0.1:PORT),
 * AXR_IT_ADMIN_NAME, AXR_IT_ADMIN_PASSWORD, AXR_IT_PLATFORM_KEY (the
 * platform's signing key: an expired token for journey_auto_refresh),
 * AXR_BUILD (build/tools/mint_token).
 */
#include <inttypes.h>
#include <stdint.h>

#include <json-c/json.h>

#include "it_calls.h"
#include "itest.h"

#include "account_client.h"
#include "achievement_client.h"
#include "economy_client.h"
#include "matchmaking_client.h"

/* ---- steps: prerequisites, one line each, timings ---- */

enum {
	S_REGISTER, S_LOGIN, S_ADMIN_LOGIN, S_WEBSOCKET, S_ACH_PROGRESS, S_ACH_UNLOCK, S_ACH_EVENT, S_MINT, S_PURCHASE,
	S_FRIEND, S_FRIEND_WS, S_TX_PROPOSE, S_TX_APPROVE, S_TX_EVENT, S_MATCH_QUEUE, S_MATCH_FOUND, S_MATCH_EVENT,
	S_EVENTS_ONCE, S_REFRESH, S_AUTO_REFRESH, S_LOGOUT, S_REFRESH_REUSE, S_COUNT
};

/* Printed as journey_<name> (journey_protobuf_<name> with AXR_IT_PROTOBUF=1). */
static const char *const step_names[S_COUNT] = {
	"register", "login", "admin_login", "websocket", "achievement_progress", "achievement_unlock",
	"achievement_event", "mint", "purchase", "friend_register", "friend_websocket", "transfer_propose",
	"transfer_approve", "transfer_event", "match_queue", "match_found", "match_event", "events_exactly_once",
	"refresh", "auto_refresh", "logout", "refresh_reuse_revokes_the_family",
};
static char step_labels[S_COUNT][64];
static int use_protobuf; /* AXR_IT_PROTOBUF=1: every client sends and asks for protobuf bodies */

static int step_passed[S_COUNT];
static int step_current = -1;
static long long step_started;
static char step_why[2048];

/*
 * Starts step s when every step of `needs` (ended by -1) passed; otherwise
 * prints its skipped line and returns 0.
 */
static int step_begin(int s, const int *needs)
{
	for (; *needs >= 0; needs++) {
		if (!step_passed[*needs]) {
			it_check(0, step_labels[s], "skipped (needs %s, which failed)", step_labels[*needs]);
			return 0;
		}
	}
	step_current = s;
	step_started = it_now_ms();
	step_why[0] = '\0';
	return 1;
}

/* Records the first failed expectation of the current step; returns cond. */
static __attribute__((format(printf, 2, 3))) int expect(int cond, const char *fmt, ...)
{
	va_list ap;
	if (!cond && step_why[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(step_why, sizeof step_why, fmt, ap);
		va_end(ap);
		if (step_why[0] == '\0')
			snprintf(step_why, sizeof step_why, "failed");
	}
	return cond;
}

/* Ends the current step: its line and its time. */
static void step_end(void)
{
	int s = step_current;
	step_passed[s] = it_check(step_why[0] == '\0', step_labels[s], "%s", step_why);
	printf("# %s %lld ms\n", step_labels[s], it_now_ms() - step_started);
	fflush(stdout);
	step_current = -1;
}

/* ---- shared state ---- */

typedef struct player {
	const char *name;
	const char *password;
	const char *uid;
	const char *token;   /* current access token */
	const char *refresh; /* current refresh token */
	axr_client_t *client;
	int ws; /* websocket through the gateway, or -1 */
	struct event_note {
		char type[32], action[16], uid[40], ref[40]; /* ref: data.achievementUid */
	} events[128]; /* every event read from the websocket, in order */
	size_t n_events;
} player_t;

static const char *gateway;    /* http://127.0.0.1:PORT */
static char base_url[512];     /* gateway + /v1 */
static char gw_host[256];
static int gw_port;
static axr_arena_t *arena;     /* every answer of the run lives here */
static axr_client_t *anon;     /* no token: register, log-in, refresh, logout */
static player_t alice = {.ws = -1}, bob = {.ws = -1}, admin = {.ws = -1};
static const char *achievement_uid, *coin_uid, *sword_uid, *transfer_uid, *match_uid;
static int64_t transfer_version, unlocked_version;
static const char *used_refresh; /* the log-in's refresh token, traded by journey_refresh */
static const char *bob_used_refresh; /* the friend's registration refresh token, traded by journey_auto_refresh */

enum { MINTED = 100, SWORD_COST = 30, GIFT = 25, ACH_TARGET = 3 };

static const char *str_or(const char *s)
{
	return s ? s : "(null)";
}

/* ---- helpers over the generated clients ---- */

/* Expects p's balance of a resource (GET /v1/inventory, 0 without a row) to be exactly `want`. */
static int expect_balance(player_t *p, const char *resource_uid, const char *what, int64_t want)
{
	Economy__FindInventoryInput in = ECONOMY__FIND_INVENTORY_INPUT__INIT;
	Economy__InventoryItemList *list = NULL;
	axr_client_error_t err = {0};
	int64_t got = 0;
	int rc;
	in.has_limit = 1;
	in.limit = 1000;
	rc = economy_client_find_inventory(p->client, &in, &list, arena, &err);
	if (!expect(rc == 0, "%s's inventory: %s", p->name, it_err(rc, &err)))
		return 0;
	for (size_t i = 0; i < list->n_items; i++) {
		const Economy__InventoryItem *it = list->items[i];
		if (!expect(it->owner_uid && strcmp(it->owner_uid, p->uid) == 0, "%s's inventory lists a row of %s",
		            p->name, str_or(it->owner_uid)))
			return 0;
		if (it->resource_uid && strcmp(it->resource_uid, resource_uid) == 0)
			got = it->quantity;
	}
	return expect(got == want, "%s's %s balance is %" PRId64 ", want %" PRId64, p->name, what, got, want);
}

/* Takes a log-in's or registration's answer (rc, nu) for p: its uid (the same as before, if known) and tokens. */
static int take_login(player_t *p, int rc, const Account__NewUser *nu, const axr_client_error_t *err,
                      const char *what)
{
	if (!expect(rc == 0, "%s: %s", what, it_err(rc, err)))
		return 0;
	if (!expect(nu->token && *nu->token && nu->refresh && *nu->refresh && nu->user && nu->user->uid,
	            "%s answered no token, refresh or user", what))
		return 0;
	if (p->uid && !expect(strcmp(nu->user->uid, p->uid) == 0, "%s answered user %s, registered %s", what,
	                      nu->user->uid, p->uid))
		return 0;
	p->uid = nu->user->uid;
	p->token = nu->token;
	p->refresh = nu->refresh;
	return expect(axr_client_set_token(p->client, p->token) == 0, "%s: token refused by the client", what);
}

/* Logs in with name and password through the gateway. */
static int login(player_t *p, const char *what)
{
	Account__PasswordLogin body = ACCOUNT__PASSWORD_LOGIN__INIT;
	Account__NewUser *nu = NULL;
	axr_client_error_t err = {0};
	int rc;
	body.login = IT_STR(p->name);
	body.password = IT_STR(p->password);
	rc = account_client_authenticate_password(anon, &body, NULL, &nu, arena, &err);
	return take_login(p, rc, nu, &err, what);
}

/* Registers p (POST /v1/users) and keeps the answer's tokens. */
static int register_player(player_t *p)
{
	Account__Registration body = ACCOUNT__REGISTRATION__INIT;
	Account__NewUser *nu = NULL;
	axr_client_error_t err = {0};
	char email[128];
	int rc;
	snprintf(email, sizeof email, "%s@journey.example.com", p->name);
	body.name = IT_STR(p->name);
	body.email = email;
	body.password = IT_STR(p->password);
	rc = account_client_register(anon, &body, NULL, &nu, arena, &err);
	if (!take_login(p, rc, nu, &err, "registration"))
		return 0;
	return expect(nu->user->name && strcmp(nu->user->name, p->name) == 0 && nu->user->email &&
	                  strcmp(nu->user->email, email) == 0,
	              "registration answered name %s email %s, sent %s %s", str_or(nu->user->name),
	              str_or(nu->user->email), p->name, email);
}

/* The caller's own record (GET /v1/users/me) is user `uid`. */
static int expect_me(axr_client_t *c, const char *uid, const char *what)
{
	Account__User *me = NULL;
	axr_client_error_t err = {0};
	int rc = account_client_find_me(c, NULL, &me, arena, &err);
	if (!expect(rc == 0, "%s: users/me: %s", what, it_err(rc, &err)))
		return 0;
	return expect(me->uid && strcmp(me->uid, uid) == 0, "%s: users/me is %s, want %s", what, str_or(me->uid), uid);
}

/* ---- websocket events (a local helper: itest.h reads frames, this picks events) ---- */

/* A string member of a json-c object, or NULL. */
static const char *json_str(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Whether the JSON array o[key] holds the string s. */
static int json_array_has(json_object *o, const char *key, const char *s)
{
	json_object *a = NULL;
	if (!o || !json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		const char *v = json_object_get_string(json_object_array_get_idx(a, i));
		if (v && strcmp(v, s) == 0)
			return 1;
	}
	return 0;
}

/* Whether every data[match[2i]] is the string match[2i+1] (match ends with NULL). */
static int json_matches(json_object *data, const char *const *match)
{
	for (; match && match[0]; match += 2) {
		const char *v = json_str(data, match[0]);
		if (!v || strcmp(v, match[1]) != 0)
			return 0;
	}
	return 1;
}

/* Notes what an event was, for the exactly-once checks. */
static void note_event(player_t *p, const char *type, const char *action, json_object *ev)
{
	struct event_note *n = &p->events[p->n_events];
	json_object *data = NULL;
	const char *uid, *ref;
	if (p->n_events == sizeof p->events / sizeof p->events[0])
		return;
	p->n_events++;
	json_object_object_get_ex(ev, "data", &data);
	uid = json_str(data, "uid");
	ref = json_str(data, "achievementUid");
	snprintf(n->type, sizeof n->type, "%s", type ? type : "");
	snprintf(n->action, sizeof n->action, "%s", action ? action : "");
	snprintf(n->uid, sizeof n->uid, "%s", uid ? uid : "");
	snprintf(n->ref, sizeof n->ref, "%s", ref ? ref : "");
}

/* How many events of `type` with `action`, `uid` and `ref` (NULL: any) p's websocket delivered. */
static int count_events(const player_t *p, const char *type, const char *action, const char *uid, const char *ref)
{
	int n = 0;
	for (size_t i = 0; i < p->n_events; i++) {
		const struct event_note *e = &p->events[i];
		n += strcmp(e->type, type) == 0 && (!action || strcmp(e->action, action) == 0) &&
		     (!uid || strcmp(e->uid, uid) == 0) && (!ref || strcmp(e->ref, ref) == 0);
	}
	return n;
}

/*
 * Reads events from p's websocket (noting each) until one with `type` and
 * `action` (NULL: any) whose data's string members match `match` (name,
 * value, ..., NULL; NULL: any) arrives, within timeout_ms. Returns the
 * event's parsed "data" (json_object_put it), or NULL; `seen` lists the
 * type/action of everything read before (for failure messages).
 */
static json_object *ws_wait_event(player_t *p, const char *type, const char *action, const char *const *match,
                                  long timeout_ms, char *seen, size_t seen_size)
{
	long long deadline = it_now_ms() + timeout_ms;
	char frame[65536];
	size_t used = 0;
	seen[0] = '\0';
	for (;;) {
		long left = (long)(deadline - it_now_ms());
		if (left <= 0 || it_ws_read_text(p->ws, frame, sizeof frame, left) < 0)
			return NULL;
		json_object *ev = json_tokener_parse(frame);
		json_object *data = NULL;
		const char *t = json_str(ev, "type"), *a = json_str(ev, "action");
		note_event(p, t, a, ev);
		if (used + 80 < seen_size)
			used += (size_t)snprintf(seen + used, seen_size - used, "%s%s/%s", used ? ", " : "", str_or(t),
			                         str_or(a));
		if (t && a && strcmp(t, type) == 0 && (!action || strcmp(a, action) == 0) &&
		    json_object_object_get_ex(ev, "data", &data) && json_object_is_type(data, json_type_object) &&
		    json_matches(data, match)) {
			json_object_get(data);
			json_object_put(ev);
			return data;
		}
		json_object_put(ev);
	}
}

/*
 * Opens p's notification websocket through the gateway and waits for its
 * READY frame ({"type":"READY","userUid":..}, docs/push.md): the user
 * channel is subscribed, so every event the journey causes from now on is
 * delivered.
 */
static int ws_open_ready(player_t *p)
{
	char why[512], frame[4096];
	p->ws = it_ws_open(gw_host, gw_port, "/v1/notifications", p->token, why, sizeof why);
	if (!expect(p->ws >= 0, "%s's websocket through the gateway: %s", p->name, why))
		return 0;
	long long deadline = it_now_ms() + 10000;
	for (;;) {
		long left = (long)(deadline - it_now_ms());
		if (left <= 0 || it_ws_read_text(p->ws, frame, sizeof frame, left) < 0)
			return expect(0, "%s's websocket sent no READY within 10 s", p->name);
		json_object *m = json_tokener_parse(frame);
		const char *type = json_str(m, "type"), *user = json_str(m, "userUid");
		int ready = type && strcmp(type, "READY") == 0;
		int ok = ready && expect(user && strcmp(user, p->uid) == 0, "%s's READY names user %s, not %s", p->name,
		                         str_or(user), p->uid);
		json_object_put(m);
		if (ready)
			return ok;
	}
}

/* ---- the steps ---- */

static void step_register(void)
{
	static const int needs[] = {-1};
	if (!step_begin(S_REGISTER, needs))
		return;
	if (register_player(&alice))
		expect_me(alice.client, alice.uid, "the registration's token");
	step_end();
}

static void step_login(void)
{
	static const int needs[] = {S_REGISTER, -1};
	const char *reg_token;
	if (!step_begin(S_LOGIN, needs))
		return;
	reg_token = alice.token;
	if (login(&alice, "player") &&
	    expect(strcmp(alice.token, reg_token) != 0, "the log-in answered the registration's access token again"))
		expect_me(alice.client, alice.uid, "the log-in's token");
	step_end();
}

static void step_admin_login(void)
{
	static const int needs[] = {-1};
	int is_admin = 0;
	if (!step_begin(S_ADMIN_LOGIN, needs))
		return;
	if (login(&admin, "admin")) {
		Account__User *me = NULL;
		axr_client_error_t err = {0};
		int rc = account_client_find_me(admin.client, NULL, &me, arena, &err);
		if (expect(rc == 0, "admin users/me: %s", it_err(rc, &err))) {
			for (size_t i = 0; i < me->n_roles; i++)
				is_admin |= strcmp(me->roles[i], "admin") == 0;
			expect(is_admin, "the admin login %s has no admin role (%zu roles)", admin.name, me->n_roles);
		}
	}
	step_end();
}

/* Step s (after step `after`): p's notification websocket through the gateway, delivering. */
static void step_websocket(int s, int after, player_t *p)
{
	const int needs[] = {after, -1};
	if (!step_begin(s, needs))
		return;
	ws_open_ready(p);
	step_end();
}

static void step_achievement_progress(void)
{
	static const int needs[] = {S_LOGIN, S_ADMIN_LOGIN, -1};
	Achievement__AchievementDefinition def = ACHIEVEMENT__ACHIEVEMENT_DEFINITION__INIT, *made = NULL;
	Achievement__ProgressRequest body = ACHIEVEMENT__PROGRESS_REQUEST__INIT;
	Achievement__UserAchievement *rec = NULL;
	axr_client_error_t err = {0};
	char name[64];
	int rc;
	if (!step_begin(S_ACH_PROGRESS, needs))
		return;
	snprintf(name, sizeof name, "journey_first_steps_%d", (int)getpid());
	def.name = name;
	def.title = "First steps";
	def.has_target = 1;
	def.target = ACH_TARGET;
	def.has_points = 1;
	def.points = 10;
	rc = achievement_client_create_achievement(admin.client, &def, NULL, &made, arena, &err);
	if (!expect(rc == 0, "admin creates the achievement: %s", it_err(rc, &err)))
		goto done;
	if (!expect(made->uid && made->name && strcmp(made->name, name) == 0 && made->target == ACH_TARGET,
	            "created definition: uid %s name %s target %" PRId64, str_or(made->uid), str_or(made->name),
	            made->target))
		goto done;
	achievement_uid = made->uid;
	body.has_increment = 1;
	body.increment = 1;
	rc = achievement_client_add_progress(alice.client, achievement_uid, &body, NULL, &rec, arena, &err);
	if (!expect(rc == 0, "progress +1: %s", it_err(rc, &err)))
		goto done;
	expect(rec->progress == 1 && !rec->unlocked && rec->achievement_uid &&
	           strcmp(rec->achievement_uid, achievement_uid) == 0 && rec->user_uid &&
	           strcmp(rec->user_uid, alice.uid) == 0,
	       "after +1: progress %" PRId64 " unlocked %d achievement %s user %s; want 1, 0, %s, %s", rec->progress,
	       (int)rec->unlocked, str_or(rec->achievement_uid), str_or(rec->user_uid), achievement_uid, alice.uid);
done:
	step_end();
}

static void step_achievement_unlock(void)
{
	static const int needs[] = {S_ACH_PROGRESS, -1};
	Achievement__ProgressRequest body = ACHIEVEMENT__PROGRESS_REQUEST__INIT;
	Achievement__UserAchievement *rec = NULL;
	Achievement__FindUserAchievementsInput q = ACHIEVEMENT__FIND_USER_ACHIEVEMENTS_INPUT__INIT;
	Achievement__UserAchievementList *list = NULL;
	axr_client_error_t err = {0};
	int rc;
	if (!step_begin(S_ACH_UNLOCK, needs))
		return;
	body.has_increment = 1;
	body.increment = ACH_TARGET - 1;
	rc = achievement_client_add_progress(alice.client, achievement_uid, &body, NULL, &rec, arena, &err);
	if (!expect(rc == 0, "progress +%d: %s", ACH_TARGET - 1, it_err(rc, &err)))
		goto done;
	if (!expect(rec->progress == ACH_TARGET && rec->unlocked && rec->date_unlocked && *rec->date_unlocked,
	            "after reaching the target: progress %" PRId64 " unlocked %d dateUnlocked %s; want %d, 1, a date",
	            rec->progress, (int)rec->unlocked, str_or(rec->date_unlocked), ACH_TARGET))
		goto done;
	q.has_unlocked = 1;
	q.unlocked = 1;
	rc = achievement_client_find_user_achievements(alice.client, "me", &q, &list, arena, &err);
	if (!expect(rc == 0, "users/me/achievements?unlocked=true: %s", it_err(rc, &err)))
		goto done;
	if (!expect(list->n_items == 1 && list->items[0]->achievement_uid &&
	                strcmp(list->items[0]->achievement_uid, achievement_uid) == 0 && list->items[0]->unlocked,
	            "users/me/achievements?unlocked=true lists %zu records (first %s), want exactly %s", list->n_items,
	            list->n_items ? str_or(list->items[0]->achievement_uid) : "-", achievement_uid))
		goto done;
	/* Progress on an unlocked achievement changes nothing (journey_events_exactly_once: nor publishes). */
	unlocked_version = rec->version;
	body.increment = 1;
	rc = achievement_client_add_progress(alice.client, achievement_uid, &body, NULL, &rec, arena, &err);
	if (!expect(rc == 0, "progress after the unlock: %s", it_err(rc, &err)))
		goto done;
	expect(rec->progress == ACH_TARGET && rec->unlocked && rec->version == unlocked_version,
	       "progress after the unlock: progress %" PRId64 " unlocked %d version %" PRId64 "; want %d, 1, %" PRId64,
	       rec->progress, (int)rec->unlocked, rec->version, ACH_TARGET, unlocked_version);
done:
	step_end();
}

static void step_achievement_event(void)
{
	static const int needs[] = {S_WEBSOCKET, S_ACH_UNLOCK, -1};
	char seen[1024];
	json_object *data, *v = NULL;
	const char *const match[] = {"achievementUid", achievement_uid, NULL};
	if (!step_begin(S_ACH_EVENT, needs))
		return;
	data = ws_wait_event(&alice, "UserAchievement", "unlock", match, 5000, seen, sizeof seen);
	if (expect(data != NULL, "no UserAchievement/unlock event for %s within 5 s (got: %s)", achievement_uid,
	           seen[0] ? seen : "nothing")) {
		const char *user = json_str(data, "userUid");
		int unlocked = json_object_object_get_ex(data, "unlocked", &v) && json_object_get_boolean(v);
		int64_t progress = json_object_object_get_ex(data, "progress", &v) ? json_object_get_int64(v) : -1;
		expect(user && strcmp(user, alice.uid) == 0 && unlocked && progress == ACH_TARGET,
		       "unlock event data: userUid %s unlocked %d progress %" PRId64 "; want %s, 1, %d", str_or(user),
		       unlocked, progress, alice.uid, ACH_TARGET);
		json_object_put(data);
	}
	step_end();
}

/* Admin defines a resource (POST /v1/resources). */
static const char *create_resource(const char *name, const char *kind, int stackable, const char *cost_uid,
                                   int64_t cost)
{
	Economy__Resource body = ECONOMY__RESOURCE__INIT, *made = NULL;
	Economy__Cost line = ECONOMY__COST__INIT, *lines[1] = {&line};
	axr_client_error_t err = {0};
	int rc;
	body.name = IT_STR(name);
	body.kind = IT_STR(kind);
	body.has_stackable = 1;
	body.stackable = stackable;
	if (cost_uid) {
		line.resource_uid = IT_STR(cost_uid);
		line.has_quantity = 1;
		line.quantity = cost;
		body.cost = lines;
		body.n_cost = 1;
	}
	rc = economy_client_create_resource(admin.client, &body, NULL, &made, arena, &err);
	if (!expect(rc == 0, "admin creates resource %s: %s", name, it_err(rc, &err)))
		return NULL;
	if (!expect(made->uid && made->name && strcmp(made->name, name) == 0, "resource %s answered uid %s name %s",
	            name, str_or(made->uid), str_or(made->name)))
		return NULL;
	return made->uid;
}

static void step_mint(void)
{
	static const int needs[] = {S_LOGIN, S_ADMIN_LOGIN, -1};
	Economy__Transaction tx = ECONOMY__TRANSACTION__INIT, *out = NULL;
	Economy__TransactionLine line = ECONOMY__TRANSACTION_LINE__INIT, *lines[1] = {&line};
	Economy__Approval approval = ECONOMY__APPROVAL__INIT;
	axr_client_error_t err = {0};
	char coin[64], sword[64];
	int rc;
	if (!step_begin(S_MINT, needs))
		return;
	snprintf(coin, sizeof coin, "journey-coin-%d", (int)getpid());
	snprintf(sword, sizeof sword, "journey-sword-%d", (int)getpid());
	if (!(coin_uid = create_resource(coin, "CURRENCY", 1, NULL, 0)) ||
	    !(sword_uid = create_resource(sword, "ITEM", 0, coin_uid, SWORD_COST)))
		goto done;
	/* A mint: no `from`, both approvals set by the admin, so it executes at once. */
	tx.to = IT_STR(alice.uid);
	line.resource_uid = IT_STR(coin_uid);
	line.has_quantity = 1;
	line.quantity = MINTED;
	tx.resources = lines;
	tx.n_resources = 1;
	approval.has_from = approval.has_to = 1;
	approval.from = approval.to = 1;
	tx.approval = &approval;
	rc = economy_client_create_transaction(admin.client, &tx, NULL, &out, arena, &err);
	if (!expect(rc == 0, "admin mints %d coins: %s", MINTED, it_err(rc, &err)))
		goto done;
	if (!expect(out->status && strcmp(out->status, "COMPLETE") == 0 && out->kind && strcmp(out->kind, "MINT") == 0 &&
	                out->from == NULL && out->to && strcmp(out->to, alice.uid) == 0,
	            "mint answered status %s kind %s from %s to %s; want COMPLETE MINT (null) %s", str_or(out->status),
	            str_or(out->kind), str_or(out->from), str_or(out->to), alice.uid))
		goto done;
	expect_balance(&alice, coin_uid, "coin", MINTED);
done:
	step_end();
}

static void step_purchase(void)
{
	static const int needs[] = {S_MINT, -1};
	Economy__PurchaseRequest body = ECONOMY__PURCHASE_REQUEST__INIT;
	Economy__PurchaseResourceInput opts = ECONOMY__PURCHASE_RESOURCE_INPUT__INIT;
	Economy__Transaction *out = NULL, *again = NULL;
	axr_client_error_t err = {0};
	int rc;
	if (!step_begin(S_PURCHASE, needs))
		return;
	body.has_quantity = 1;
	body.quantity = 1;
	opts.idempotency_key = "journey-buy-sword-1";
	rc = economy_client_purchase_resource(alice.client, sword_uid, &body, &opts, &out, arena, &err);
	if (!expect(rc == 0, "purchase of one sword: %s", it_err(rc, &err)))
		goto done;
	if (!expect(out->status && strcmp(out->status, "COMPLETE") == 0 && out->kind &&
	                strcmp(out->kind, "PURCHASE") == 0 && out->from && strcmp(out->from, alice.uid) == 0 &&
	                out->to == NULL,
	            "purchase answered status %s kind %s from %s to %s; want COMPLETE PURCHASE %s (null)",
	            str_or(out->status), str_or(out->kind), str_or(out->from), str_or(out->to), alice.uid))
		goto done;
	/* A retry with the same Idempotency-Key answers the same purchase and pays nothing more. */
	rc = economy_client_purchase_resource(alice.client, sword_uid, &body, &opts, &again, arena, &err);
	if (!expect(rc == 0, "the purchase's replay: %s", it_err(rc, &err)))
		goto done;
	if (!expect(again->uid && out->uid && strcmp(again->uid, out->uid) == 0,
	            "the replay answered transaction %s, the purchase %s", str_or(again->uid), str_or(out->uid)))
		goto done;
	if (expect_balance(&alice, coin_uid, "coin", MINTED - SWORD_COST))
		expect_balance(&alice, sword_uid, "sword", 1);
done:
	step_end();
}

static void step_friend_register(void)
{
	static const int needs[] = {-1};
	if (!step_begin(S_FRIEND, needs))
		return;
	if (register_player(&bob))
		expect_me(bob.client, bob.uid, "the friend's token");
	step_end();
}

static void step_transfer_propose(void)
{
	static const int needs[] = {S_PURCHASE, S_FRIEND, -1};
	Economy__Transaction tx = ECONOMY__TRANSACTION__INIT, *out = NULL;
	Economy__TransactionLine line = ECONOMY__TRANSACTION_LINE__INIT, *lines[1] = {&line};
	Economy__CreateTransactionInput opts = ECONOMY__CREATE_TRANSACTION_INPUT__INIT;
	axr_client_error_t err = {0};
	int rc;
	if (!step_begin(S_TX_PROPOSE, needs))
		return;
	tx.from = IT_STR(alice.uid);
	tx.to = IT_STR(bob.uid);
	line.resource_uid = IT_STR(coin_uid);
	line.has_quantity = 1;
	line.quantity = GIFT;
	tx.resources = lines;
	tx.n_resources = 1;
	opts.idempotency_key = "journey-gift-1";
	rc = economy_client_create_transaction(alice.client, &tx, &opts, &out, arena, &err);
	if (!expect(rc == 0, "gift of %d coins proposed: %s", GIFT, it_err(rc, &err)))
		goto done;
	if (!expect(out->uid && out->status && strcmp(out->status, "PENDING") == 0 && out->kind &&
	                strcmp(out->kind, "TRANSFER") == 0 && out->approval && out->approval->from && !out->approval->to,
	            "proposal answered uid %s status %s kind %s approval from %d to %d; want PENDING TRANSFER 1 0",
	            str_or(out->uid), str_or(out->status), str_or(out->kind), out->approval ? (int)out->approval->from : -1,
	            out->approval ? (int)out->approval->to : -1))
		goto done;
	transfer_uid = out->uid;
	transfer_version = out->version;
	/* Nothing moves before the friend approves. */
	if (expect_balance(&alice, coin_uid, "coin", MINTED - SWORD_COST))
		expect_balance(&bob, coin_uid, "coin", 0);
done:
	step_end();
}

static void step_transfer_approve(void)
{
	static const int needs[] = {S_TX_PROPOSE, -1};
	Economy__TransactionUpdate body = ECONOMY__TRANSACTION_UPDATE__INIT;
	Economy__Approval approval = ECONOMY__APPROVAL__INIT;
	Economy__UpdateTransactionInput opts = ECONOMY__UPDATE_TRANSACTION_INPUT__INIT;
	Economy__Transaction *out = NULL;
	axr_client_error_t err = {0};
	int rc;
	if (!step_begin(S_TX_APPROVE, needs))
		return;
	approval.has_to = 1;
	approval.to = 1;
	body.approval = &approval;
	opts.has_version = 1;
	opts.version = transfer_version;
	rc = economy_client_update_transaction(bob.client, transfer_uid, &body, &opts, &out, arena, &err);
	if (!expect(rc == 0, "the friend approves: %s", it_err(rc, &err)))
		goto done;
	if (!expect(out->status && strcmp(out->status, "COMPLETE") == 0 && out->approval && out->approval->from &&
	                out->approval->to,
	            "approval answered status %s approval from %d to %d; want COMPLETE 1 1", str_or(out->status),
	            out->approval ? (int)out->approval->from : -1, out->approval ? (int)out->approval->to : -1))
		goto done;
	if (expect_balance(&alice, coin_uid, "coin", MINTED - SWORD_COST - GIFT) &&
	    expect_balance(&bob, coin_uid, "coin", GIFT))
		expect_balance(&alice, sword_uid, "sword", 1);
done:
	step_end();
}

/* The gift's events on one party's websocket: the Transaction COMPLETE, then its coin balance. */
static void expect_transfer_events(player_t *p, int64_t coins)
{
	const char *const tx[] = {"uid", transfer_uid, "status", "COMPLETE", NULL};
	const char *const item[] = {"ownerUid", p->uid, "resourceUid", coin_uid, NULL};
	char seen[1024];
	json_object *data, *v = NULL;
	int64_t q;
	data = ws_wait_event(p, "Transaction", "update", tx, 5000, seen, sizeof seen);
	if (!expect(data != NULL, "no Transaction/update COMPLETE event for %s on %s's websocket within 5 s (got: %s)",
	            transfer_uid, p->name, seen[0] ? seen : "nothing"))
		return;
	json_object_put(data);
	data = ws_wait_event(p, "InventoryItem", NULL, item, 5000, seen, sizeof seen);
	if (!expect(data != NULL, "no InventoryItem event for %s's coins after the gift within 5 s (got: %s)", p->name,
	            seen[0] ? seen : "nothing"))
		return;
	q = json_object_object_get_ex(data, "quantity", &v) ? json_object_get_int64(v) : -1;
	expect(q == coins, "%s's coin InventoryItem event says quantity %" PRId64 ", want %" PRId64, p->name, q, coins);
	json_object_put(data);
}

static void step_transfer_event(void)
{
	static const int needs[] = {S_TX_APPROVE, S_WEBSOCKET, S_FRIEND_WS, -1};
	if (!step_begin(S_TX_EVENT, needs))
		return;
	expect_transfer_events(&alice, MINTED - SWORD_COST - GIFT);
	expect_transfer_events(&bob, GIFT);
	step_end();
}

static const char *tickets[2];

/* Queues p for a 1v1 (two teams of one) with the journey's criteria. */
static const char *queue(player_t *p, double skill)
{
	Matchmaking__TicketRequest body = MATCHMAKING__TICKET_REQUEST__INIT;
	Matchmaking__Criterion crit = MATCHMAKING__CRITERION__INIT, *crits[1] = {&crit};
	Matchmaking__Statistics stats = MATCHMAKING__STATISTICS__INIT;
	Matchmaking__Ticket *t = NULL;
	axr_client_error_t err = {0};
	char mode[64];
	int rc;
	snprintf(mode, sizeof mode, "journey-%d", (int)getpid());
	crit.name = "mode";
	crit.value = mode;
	body.criteria = crits;
	body.n_criteria = 1;
	stats.has_skillrating = 1;
	stats.skillrating = skill;
	body.statistics = &stats;
	body.has_num_teams = 1;
	body.num_teams = 2;
	body.team_size = "1";
	rc = matchmaking_client_create_ticket(p->client, &body, NULL, &t, arena, &err);
	if (!expect(rc == 0, "%s queues: %s", p->name, it_err(rc, &err)))
		return NULL;
	if (!expect(t->uid && t->status && strcmp(t->status, "QUEUED") == 0 && t->n_users == 1 &&
	                strcmp(t->users[0], p->uid) == 0 && t->host_uid && strcmp(t->host_uid, p->uid) == 0,
	            "%s's ticket: uid %s status %s users %zu host %s; want QUEUED, just %s", p->name, str_or(t->uid),
	            str_or(t->status), t->n_users, str_or(t->host_uid), p->uid))
		return NULL;
	return t->uid;
}

static void step_match_queue(void)
{
	static const int needs[] = {S_LOGIN, S_FRIEND, -1};
	if (!step_begin(S_MATCH_QUEUE, needs))
		return;
	if ((tickets[0] = queue(&alice, 1500)) != NULL)
		tickets[1] = queue(&bob, 1520);
	step_end();
}

static void step_match_found(void)
{
	static const int needs[] = {S_MATCH_QUEUE, -1};
	player_t *ps[2] = {&alice, &bob};
	Matchmaking__Ticket *t[2] = {NULL, NULL};
	Matchmaking__Match *m = NULL;
	axr_client_error_t err = {0};
	long long deadline;
	int rc;
	if (!step_begin(S_MATCH_FOUND, needs))
		return;
	/* The matcher runs every 250 ms: poll each ticket (its own player reads it) until it left the queue. */
	deadline = it_now_ms() + 10000;
	for (int i = 0; i < 2; i++) {
		for (;;) {
			rc = matchmaking_client_get_ticket(ps[i]->client, tickets[i], NULL, &t[i], arena, &err);
			if (!expect(rc == 0, "%s reads its ticket: %s", ps[i]->name, it_err(rc, &err)))
				goto done;
			if (!t[i]->status || strcmp(t[i]->status, "QUEUED") != 0 || it_now_ms() > deadline)
				break;
			usleep(100 * 1000);
		}
		if (!expect(t[i]->status && strcmp(t[i]->status, "MATCH_FOUND") == 0 && t[i]->match_uid,
		            "%s's ticket is %s (match %s) after 10 s, want MATCH_FOUND", ps[i]->name, str_or(t[i]->status),
		            str_or(t[i]->match_uid)))
			goto done;
	}
	if (!expect(strcmp(t[0]->match_uid, t[1]->match_uid) == 0, "the tickets name different matches: %s and %s",
	            t[0]->match_uid, t[1]->match_uid))
		goto done;
	match_uid = t[0]->match_uid;
	rc = matchmaking_client_get_match(alice.client, match_uid, NULL, &m, arena, &err);
	if (!expect(rc == 0, "the player reads its match: %s", it_err(rc, &err)))
		goto done;
	if (!expect(m->uid && strcmp(m->uid, match_uid) == 0 && m->num_teams == 2 && m->team_size == 1 &&
	                m->n_teams == 2 && m->n_players == 2,
	            "match %s: numTeams %d teamSize %d teams %zu players %zu; want 2 1 2 2", str_or(m->uid), m->num_teams,
	            m->team_size, m->n_teams, m->n_players))
		goto done;
	{
		int has_a = 0, has_b = 0, apart = m->teams[0]->n_members == 1 && m->teams[1]->n_members == 1;
		for (size_t i = 0; i < m->n_players; i++) {
			has_a |= strcmp(m->players[i], alice.uid) == 0;
			has_b |= strcmp(m->players[i], bob.uid) == 0;
		}
		expect(has_a && has_b && apart, "match players: alice %d bob %d, one per team %d", has_a, has_b, apart);
	}
done:
	step_end();
}

static void step_match_event(void)
{
	static const int needs[] = {S_WEBSOCKET, S_MATCH_FOUND, -1};
	player_t *ps[2] = {&alice, &bob};
	char seen[1024];
	if (!step_begin(S_MATCH_EVENT, needs))
		return;
	for (int i = 0; i < 2; i++) {
		const char *const match[] = {"uid", match_uid, NULL};
		const char *const ticket[] = {"uid", tickets[i], "status", "MATCH_FOUND", "matchUid", match_uid, NULL};
		json_object *data;
		if (ps[i]->ws < 0)
			continue; /* the friend's websocket failed: journey_friend_websocket said so */
		data = ws_wait_event(ps[i], "Match", "create", match, 5000, seen, sizeof seen);
		if (!expect(data != NULL, "no Match/create event for %s on %s's websocket within 5 s (got: %s)", match_uid,
		            ps[i]->name, seen[0] ? seen : "nothing"))
			break;
		expect(json_array_has(data, "players", alice.uid) && json_array_has(data, "players", bob.uid),
		       "the match event on %s's websocket does not list both players", ps[i]->name);
		json_object_put(data);
		/* The matcher publishes the match, then each ticket that left the queue. */
		data = ws_wait_event(ps[i], "Ticket", "update", ticket, 5000, seen, sizeof seen);
		if (!expect(data != NULL, "no Ticket/update MATCH_FOUND event for %s on %s's websocket within 5 s (got: %s)",
		            tickets[i], ps[i]->name, seen[0] ? seen : "nothing"))
			break;
		json_object_put(data);
	}
	step_end();
}


/*
 * Every event reached each websocket once: reads what is left (300 ms of
 * quiet) and counts what the websockets delivered during the whole run.
 */
static void step_events_exactly_once(void)
{
	static const int needs[] = {S_ACH_EVENT, S_TX_EVENT, S_MATCH_EVENT, -1};
	player_t *ps[2] = {&alice, &bob};
	char seen[1024];
	int n;
	if (!step_begin(S_EVENTS_ONCE, needs))
		return;
	for (int i = 0; i < 2; i++)
		ws_wait_event(ps[i], "-", NULL, NULL, 300, seen, sizeof seen);
	/* The record's create (+1) and its unlock; the progress after the unlock published nothing. */
	n = count_events(&alice, "UserAchievement", NULL, NULL, achievement_uid);
	expect(n == 2 && count_events(&alice, "UserAchievement", "unlock", NULL, achievement_uid) == 1,
	       "alice got %d UserAchievement events for %s (%d unlock), want 2 (create, unlock)", n, achievement_uid,
	       count_events(&alice, "UserAchievement", "unlock", NULL, achievement_uid));
	for (int i = 0; i < 2; i++) {
		int tx = count_events(ps[i], "Transaction", "update", transfer_uid, NULL);
		int m = count_events(ps[i], "Match", "create", match_uid, NULL);
		int t = count_events(ps[i], "Ticket", "update", tickets[i], NULL);
		expect(tx == 1 && m == 1 && t == 1,
		       "%s got the gift's approval %d times, the match %d times, its ticket's MATCH_FOUND %d times; want 1 each",
		       ps[i]->name, tx, m, t);
	}
	step_end();
}
static void step_refresh(void)
{
	static const int needs[] = {S_LOGIN, -1};
	Account__RefreshRequest body = ACCOUNT__REFRESH_REQUEST__INIT;
	Account__NewUser *nu = NULL;
	axr_client_error_t err = {0};
	int rc;
	if (!step_begin(S_REFRESH, needs))
		return;
	body.refresh = IT_STR(alice.refresh);
	rc = account_client_refresh_token(anon, &body, NULL, &nu, arena, &err);
	if (!expect(rc == 0, "refresh: %s", it_err(rc, &err)))
		goto done;
	if (!expect(nu->token && *nu->token && nu->refresh && *nu->refresh && strcmp(nu->refresh, alice.refresh) != 0 &&
	                strcmp(nu->token, alice.token) != 0,
	            "refresh answered token %s, refresh %s (old refresh %s): want a new pair",
	            nu->token ? "set" : "none", str_or(nu->refresh), alice.refresh))
		goto done;
	used_refresh = alice.refresh;
	alice.token = nu->token;
	alice.refresh = nu->refresh;
	if (expect(axr_client_set_token(alice.client, alice.token) == 0, "the refreshed token refused by the client"))
		expect_me(alice.client, alice.uid, "the refreshed token");
done:
	step_end();
}

/*
 * An access token for `uid` signed with the platform's own key
 * (AXR_IT_PLATFORM_KEY) by build/tools/mint_token, issued `ago` seconds ago
 * with `lifetime`: a local helper (itest.h's it_mint has no issue time).
 * NULL when minting failed.
 */
static char *mint_platform(const char *uid, int ago, int lifetime)
{
	const char *build = getenv("AXR_BUILD") ? getenv("AXR_BUILD") : "build";
	char cmd[1024], tok[8192];
	size_t n;
	FILE *p;
	snprintf(cmd, sizeof cmd, "'%s/tools/mint_token' -k '%s' -s '%s' -e %d -t %d", build,
	         it_env("AXR_IT_PLATFORM_KEY"), uid, ago, lifetime);
	p = popen(cmd, "r");
	n = p ? fread(tok, 1, sizeof tok - 1, p) : 0;
	if (!p || pclose(p) != 0 || n == 0)
		return NULL;
	tok[n] = '\0';
	tok[strcspn(tok, "\r\n")] = '\0';
	return axr_arena_strdup(arena, tok);
}

typedef struct saved_tokens {
	int calls;
	char token[8192];
	char refresh[512];
} saved_tokens_t;

static void on_tokens(const char *token, const char *refresh, long expires_in, void *ud)
{
	saved_tokens_t *s = ud;
	(void)expires_in;
	s->calls++;
	snprintf(s->token, sizeof s->token, "%s", token ? token : "");
	snprintf(s->refresh, sizeof s->refresh, "%s", refresh ? refresh : "");
}

static void step_auto_refresh(void)
{
	static const int needs[] = {S_FRIEND, -1};
	static saved_tokens_t saved;
	axr_client_stats_t stats;
	Account__User *me = NULL;
	axr_client_error_t err = {0};
	char *fresh, *expired;
	int rc;
	if (!step_begin(S_AUTO_REFRESH, needs))
		return;
	/* The same key and claims unexpired are accepted, so the 401 below is the expiry. */
	fresh = mint_platform(bob.uid, 0, 900);
	expired = mint_platform(bob.uid, 1000, 900);
	if (!expect(fresh && expired, "mint_token with AXR_IT_PLATFORM_KEY failed"))
		goto done;
	axr_client_set_token(bob.client, fresh);
	if (!expect_me(bob.client, bob.uid, "a platform-signed unexpired token"))
		goto done;
	axr_client_set_token(bob.client, expired);
	rc = account_client_find_me(bob.client, NULL, &me, arena, &err);
	if (!expect(rc == AXR_EUNAUTHORIZED && err.status == 401, "users/me with an expired token: %s, want 401",
	            rc ? it_err(rc, &err) : "accepted"))
		goto done;
	/* With the friend's refresh token the client refreshes on the 401 and sends the call again. */
	if (!expect(axr_client_set_refresh(bob.client, bob.refresh, NULL, on_tokens, &saved) == 0,
	            "axr_client_set_refresh refused the refresh token"))
		goto done;
	if (!expect_me(bob.client, bob.uid, "the expired token with automatic refresh"))
		goto done;
	axr_client_get_stats(bob.client, &stats);
	if (!expect(saved.calls == 1 && saved.token[0] && saved.refresh[0] && strcmp(saved.refresh, bob.refresh) != 0 &&
	                stats.refreshes == 1,
	            "after the automatic refresh: %d token callbacks, refresh %s (was %s), %lu refreshes; want 1, new, 1",
	            saved.calls, saved.refresh, bob.refresh, stats.refreshes))
		goto done;
	expect(axr_client_token(bob.client) && strcmp(axr_client_token(bob.client), saved.token) == 0 &&
	           axr_client_refresh_token(bob.client) && strcmp(axr_client_refresh_token(bob.client), saved.refresh) == 0,
	       "the client holds another pair than the one it told about");
	bob_used_refresh = bob.refresh;
	bob.token = axr_arena_strdup(arena, saved.token);
	bob.refresh = axr_arena_strdup(arena, saved.refresh);
done:
	step_end();
}

/* POST /v1/auth/refresh with `refresh` answers 401. */
static int expect_refresh_refused(const char *refresh, const char *what)
{
	Account__RefreshRequest body = ACCOUNT__REFRESH_REQUEST__INIT;
	Account__NewUser *nu = NULL;
	axr_client_error_t err = {0};
	int rc;
	body.refresh = IT_STR(refresh);
	rc = account_client_refresh_token(anon, &body, NULL, &nu, arena, &err);
	return expect(rc == AXR_EUNAUTHORIZED && err.kind == AXR_CLIENT_ERR_HTTP && err.status == 401,
	              "refresh with %s: %s, want status 401", what, rc ? it_err(rc, &err) : "accepted");
}

static void step_logout(void)
{
	static const int needs[] = {S_REFRESH, -1};
	Account__RefreshRequest body = ACCOUNT__REFRESH_REQUEST__INIT;
	axr_client_error_t err = {0};
	int rc;
	if (!step_begin(S_LOGOUT, needs))
		return;
	body.refresh = IT_STR(alice.refresh);
	rc = account_client_logout(anon, &body, NULL, arena, &err);
	if (expect(rc == 0, "logout: %s", it_err(rc, &err)) &&
	    expect_refresh_refused(alice.refresh, "the logged-out refresh token"))
		/* The log-in's own refresh token was used up by journey_refresh: refused as well. */
		expect_refresh_refused(used_refresh, "the log-in's used-up refresh token");
	step_end();
}

/* Presenting a used-up refresh token again revokes its whole family: the friend's current one too. */
static void step_refresh_reuse(void)
{
	static const int needs[] = {S_AUTO_REFRESH, -1};
	if (!step_begin(S_REFRESH_REUSE, needs))
		return;
	if (expect_refresh_refused(bob_used_refresh, "the friend's used-up refresh token (a replay)"))
		expect_refresh_refused(bob.refresh, "the friend's current refresh token after the replay");
	step_end();
}

/* Splits http://HOST:PORT into gw_host and gw_port (exits 2 when it cannot). */
static void parse_gateway(const char *url)
{
	const char *h = strncmp(url, "http://", 7) == 0 ? url + 7 : NULL;
	const char *colon = h ? strchr(h, ':') : NULL;
	if (!colon || (size_t)(colon - h) >= sizeof gw_host || (gw_port = atoi(colon + 1)) <= 0) {
		printf("not ok - setup: AXR_IT_GATEWAY %s is not http://HOST:PORT\n", url);
		exit(2);
	}
	memcpy(gw_host, h, (size_t)(colon - h));
	gw_host[colon - h] = '\0';
}

/* A client of the gateway's /v1 (itest.h's it_client with the run's flags); exits 2 when it cannot be made. */
static axr_client_t *journey_client(void)
{
	axr_client_options_t o = {.base_url = base_url, .timeout_ms = 15000,
	                           .flags = use_protobuf ? AXR_CLIENT_PROTOBUF : 0};
	axr_client_t *c = NULL;
	if (axr_client_new(&o, &c) != 0) {
		printf("not ok - setup: client for %s\n", base_url);
		exit(2);
	}
	return c;
}

int main(void)
{
	char alice_name[32], bob_name[32];
	long long started = it_now_ms();

	setvbuf(stdout, NULL, _IOLBF, 0);
	gateway = it_env("AXR_IT_GATEWAY");
	parse_gateway(gateway);
	snprintf(base_url, sizeof base_url, "%s/v1", gateway);
	arena = axr_arena_new(0);
	if (!arena) {
		printf("not ok - setup: no memory\n");
		return 2;
	}
	snprintf(alice_name, sizeof alice_name, "alice-%d", (int)getpid());
	snprintf(bob_name, sizeof bob_name, "bob-%d", (int)getpid());
	alice.name = alice_name;
	alice.password = "alice-journey-password";
	bob.name = bob_name;
	bob.password = "bob-journey-password";
	admin.name = it_env("AXR_IT_ADMIN_NAME");
	admin.password = it_env("AXR_IT_ADMIN_PASSWORD");
	use_protobuf = getenv("AXR_IT_PROTOBUF") && strcmp(getenv("AXR_IT_PROTOBUF"), "1") == 0;
	for (int s = 0; s < S_COUNT; s++)
		snprintf(step_labels[s], sizeof step_labels[s], "journey_%s%s", use_protobuf ? "protobuf_" : "", step_names[s]);
	anon = journey_client();
	alice.client = journey_client();
	bob.client = journey_client();
	admin.client = journey_client();

	step_register();
	step_login();
	step_admin_login();
	step_websocket(S_WEBSOCKET, S_LOGIN, &alice);
	step_achievement_progress();
	step_achievement_unlock();
	step_achievement_event();
	step_mint();
	step_purchase();
	step_friend_register();
	step_websocket(S_FRIEND_WS, S_FRIEND, &bob);
	step_transfer_propose();
	step_transfer_approve();
	step_transfer_event();
	step_match_queue();
	step_match_found();
	step_match_event();
	step_events_exactly_once();
	step_refresh();
	step_auto_refresh();
	step_logout();
	step_refresh_reuse();

	printf("# journey%s: %d passed, %d failed, %lld ms\n", use_protobuf ? " (protobuf)" : "", it_passed_cases,
	       it_failed_cases, it_now_ms() - started);
	if (alice.ws >= 0)
		close(alice.ws);
	if (bob.ws >= 0)
		close(bob.ws);
	axr_client_free(anon);
	axr_client_free(alice.client);
	axr_client_free(bob.client);
	axr_client_free(admin.client);
	axr_arena_free(arena);
	return it_exit_status();
}
