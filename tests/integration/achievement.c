/* achievement.c: the achievement service through its generated C client (achievement_client_*), with the unlock event read from a websocket. */
/*
 * Run by tests/achievement/client.test.sh against a real axr-achievement
 * (real PostgreSQL and redis) and a real axr-notification on the same redis.
 * Settings: AXR_IT_ACHIEVEMENT_URL, AXR_IT_NOTIFICATION_PORT (on 127.0.0.1);
 * tokens are minted with the test key (it_mint).
 *
 * Cases: definitions are written by admins only, validation and versions,
 * hidden definitions, progress to unlock, overshoot clamped, double unlock,
 * 100 concurrent progress calls (async stubs on one event_base) adding up
 * exactly and unlocking once, Idempotency-Key replays (the stub's own
 * parameter), BOLA on another user's list, deleted definitions, and the
 * unlock event arriving on the player's websocket (/notifications).
 *
 * What stays in tests/achievement/achievement.test.sh (curl): bodies a typed
 * client cannot send (unknown members), the server's own checks of what the
 * client validates first, more of the query language (sorts, pages, counts),
 * bus triggers fed by bus_publish and the events' wire format on redis.
 */
#include "itest.h"

#include <stdint.h>

#include <event2/event.h>

#include "achievement_client.h"

static const char *URL;
static int WS_PORT;
static axr_arena_t *A;

#define S(x) ((x) ? (x) : "(null)")
#define SET(field, value) ((field) = (char *)(uintptr_t)(value)) /* the client only reads inputs */

/* Fixed users of this program (a fresh database per run). */
#define ADMIN_UID "adadadad-1111-4000-8000-000000000001"
#define ALICE_UID "a11ce111-1111-4000-8000-000000000002"
#define BOB_UID "b0b01111-1111-4000-8000-000000000003"
#define CAROL_UID "ca201111-1111-4000-8000-000000000004"

static char *admin_tok, *alice_tok, *bob_tok, *carol_tok;
static axr_client_t *admin, *alice, *bob, *carol, *anon;

/* ---- helpers ------------------------------------------------------------------ */

/* it_err() in the program's arena: several may appear in one message (it_err's buffer is static). */
static const char *E(int rc, const axr_client_error_t *err)
{
	return axr_arena_strdup(A, it_err(rc, err));
}

static int is_http(int rc, const axr_client_error_t *e, int status, const char *code)
{
	return rc != 0 && e->kind == AXR_CLIENT_ERR_HTTP && e->status == status && e->code &&
	       strcmp(e->code, code) == 0;
}

static const char *err_path(const axr_client_error_t *e)
{
	return e->n_errors ? S(e->errors[0].path) : "";
}

/* An admin defines NAME with target/points/hidden; returns its uid (arena) or NULL. */
static const char *define(const char *name, int64_t target, int64_t points, int hidden)
{
	Achievement__AchievementDefinition d = ACHIEVEMENT__ACHIEVEMENT_DEFINITION__INIT;
	Achievement__AchievementDefinition *out = NULL;
	axr_client_error_t e;
	SET(d.name, name);
	d.has_target = target > 0;
	d.target = target;
	d.has_points = points > 0;
	d.points = points;
	d.has_hidden = hidden;
	d.hidden = hidden;
	int rc = achievement_client_create_achievement(admin, &d, NULL, &out, A, &e);
	if (rc != 0) {
		printf("# define %s: %s\n", name, E(rc, &e));
		return NULL;
	}
	return out->uid;
}

/* POST /achievements/{id}/progress: increment (0: no body), for `user` (NULL: oneself), key (NULL: none). */
static int progress(axr_client_t *c, const char *id, int64_t increment, const char *user, const char *key,
                    Achievement__UserAchievement **out, axr_client_error_t *e)
{
	Achievement__ProgressRequest body = ACHIEVEMENT__PROGRESS_REQUEST__INIT;
	Achievement__AddProgressInput o = ACHIEVEMENT__ADD_PROGRESS_INPUT__INIT;
	body.has_increment = increment != 0;
	body.increment = increment;
	SET(body.user_uid, user);
	SET(o.idempotency_key, key);
	return achievement_client_add_progress(c, id, increment || user ? &body : NULL, key ? &o : NULL, out, A, e);
}

static int unlock(axr_client_t *c, const char *id, const char *user, Achievement__UserAchievement **out,
                  axr_client_error_t *e)
{
	Achievement__UnlockRequest body = ACHIEVEMENT__UNLOCK_REQUEST__INIT;
	SET(body.user_uid, user);
	return achievement_client_unlock_achievement(c, id, user ? &body : NULL, NULL, out, A, e);
}

/* The record of `user` ("me" or a uid) for achievement uid `ach`, read by `c` from the user's list; NULL if none. */
static Achievement__UserAchievement *record_of(axr_client_t *c, const char *user, const char *ach, int *rcp)
{
	Achievement__UserAchievementList *l = NULL;
	axr_client_error_t e;
	int rc = achievement_client_find_user_achievements(c, user, NULL, &l, A, &e);
	if (rcp)
		*rcp = rc;
	for (size_t i = 0; rc == 0 && i < l->n_items; i++)
		if (strcmp(S(l->items[i]->achievement_uid), S(ach)) == 0)
			return l->items[i];
	return NULL;
}

/*
 * A HEAD count call: its X-Total-Count in *n (-1 when absent). The stub has no
 * output for it, so this is axr_client_call_opts() with the answer's headers.
 */
static int count_of(axr_client_t *c, int route, const ProtobufCMessage *in, long *n, axr_client_error_t *e)
{
	axr_client_response_t resp;
	axr_client_call_opts_t o = {.response = &resp};
	int rc = axr_client_call_opts(c, &achievement_client_routes[route], in, &o, NULL, A, e);
	const char *v = rc == 0 ? axr_client_response_header(&resp, "X-Total-Count") : NULL;
	*n = v ? atol(v) : -1;
	return rc;
}

static long count_definitions(axr_client_t *c)
{
	Achievement__CountAchievementsInput in = ACHIEVEMENT__COUNT_ACHIEVEMENTS_INPUT__INIT;
	axr_client_error_t e;
	long n;
	count_of(c, ACHIEVEMENT_CLIENT_COUNT_ACHIEVEMENTS, &in.base, &n, &e);
	return n;
}

/* Whether the definition list `c` sees holds NAME (-1 on error). */
static int lists(axr_client_t *c, const char *name)
{
	Achievement__AchievementDefinitionList *l = NULL;
	axr_client_error_t e;
	if (achievement_client_find_achievements(c, NULL, &l, A, &e) != 0)
		return -1;
	for (size_t i = 0; i < l->n_items; i++)
		if (strcmp(S(l->items[i]->name), name) == 0)
			return 1;
	return 0;
}

/* ---- websocket events ----------------------------------------------------------- */

/* Whether a notification frame is about achievement `ach` with `action` (NULL: any). */
static int frame_is(const char *frame, const char *ach, const char *action)
{
	char a[96], u[96];
	snprintf(a, sizeof a, "\"action\":\"%s\"", action ? action : "");
	snprintf(u, sizeof u, "\"achievementUid\":\"%s\"", ach);
	return strstr(frame, "\"type\":\"UserAchievement\"") && strstr(frame, u) && (!action || strstr(frame, a));
}

/*
 * Reads frames for up to timeout_ms; counts those about `ach` (all in *n_any,
 * those with action `action` in *n_action) and stops early once *n_action
 * reaches stop_at (0: read until the timeout). The last matching frame is
 * copied into last. Returns the milliseconds until the stop, or -1 when it
 * timed out first.
 */
static long ws_collect(int fd, const char *ach, const char *action, int stop_at, long timeout_ms, int *n_any,
                       int *n_action, char *last, size_t last_size)
{
	long long t0 = it_now_ms(), deadline = t0 + timeout_ms;
	char buf[4096];
	*n_any = *n_action = 0;
	for (;;) {
		long left = (long)(deadline - it_now_ms());
		if (left <= 0 || it_ws_read_text(fd, buf, sizeof buf, left) < 0)
			return -1;
		if (!frame_is(buf, ach, NULL))
			continue;
		(*n_any)++;
		if (frame_is(buf, ach, action)) {
			(*n_action)++;
			snprintf(last, last_size, "%s", buf);
			if (stop_at && *n_action >= stop_at)
				return (long)(it_now_ms() - t0);
		}
	}
}

/* Opens a websocket for `token` and waits for its READY frame (the user
 * channel is subscribed: events of the calls made next all arrive). */
static int ws_open_for(const char *token)
{
	char why[256], frame[4096];
	int fd = it_ws_open("127.0.0.1", WS_PORT, "/notifications", token, why, sizeof why);
	if (fd < 0) {
		printf("# websocket: %s\n", why);
		return fd;
	}
	long long deadline = it_now_ms() + 5000;
	for (;;) {
		long left = (long)(deadline - it_now_ms());
		if (left <= 0 || it_ws_read_text(fd, frame, sizeof frame, left) < 0) {
			printf("# websocket: no READY within 5 s\n");
			return fd;
		}
		if (strstr(frame, "\"type\":\"READY\""))
			return fd;
	}
}

/* ---- cases ----------------------------------------------------------------------- */

static const char *FIRST;

/* The definition "first": target 3, `points`. */
static Achievement__AchievementDefinition first_definition(int64_t points)
{
	Achievement__AchievementDefinition f = ACHIEVEMENT__ACHIEVEMENT_DEFINITION__INIT;
	SET(f.name, "first");
	SET(f.title, "First steps");
	f.has_target = f.has_points = 1;
	f.target = 3;
	f.points = points;
	return f;
}

static void definitions_admin_only(void)
{
	Achievement__AchievementDefinition d = ACHIEVEMENT__ACHIEVEMENT_DEFINITION__INIT, *out = NULL;
	axr_client_error_t e0, e1, e2, e3, e4;
	SET(d.name, "mine");
	int rc0 = achievement_client_create_achievement(anon, &d, NULL, &out, A, &e0);
	int rc1 = achievement_client_create_achievement(alice, &d, NULL, &out, A, &e1);
	Achievement__AchievementDefinition f = first_definition(10);
	int rc = achievement_client_create_achievement(admin, &f, NULL, &out, A, &e4);
	FIRST = rc == 0 ? out->uid : NULL;
	Achievement__UpdateAchievementInput uo = ACHIEVEMENT__UPDATE_ACHIEVEMENT_INPUT__INIT;
	uo.has_version = 1;
	uo.version = 0;
	Achievement__AchievementDefinition ch = f;
	ch.target = 1;
	int rc2 = achievement_client_update_achievement(alice, "first", &ch, &uo, &out, A, &e2);
	int rc3 = achievement_client_delete_achievement(alice, "first", NULL, A, &e3);
	Achievement__AchievementDefinition *g = NULL;
	axr_client_error_t eg;
	int rcg = achievement_client_get_achievement(alice, "first", NULL, &g, A, &eg);
	it_check(rc == 0 && FIRST && is_http(rc0, &e0, 401, "UNAUTHORIZED") && is_http(rc1, &e1, 403, "FORBIDDEN") &&
	             is_http(rc2, &e2, 403, "FORBIDDEN") && is_http(rc3, &e3, 403, "FORBIDDEN") && rcg == 0 &&
	             strcmp(S(g->title), "First steps") == 0 && g->target == 3 && g->version == 0,
	         "definitions_are_written_by_admins_only_players_get_403_anonymous_401",
	         "admin create: %s; anonymous %d; player create %d, update %d, delete %d; player read %d (%s, target %lld)",
	         E(rc, &e4), rc0, rc1, rc2, rc3, rcg, g ? S(g->title) : "-", g ? (long long)g->target : -1LL);
}

static void definitions_validate_and_conflict(void)
{
	Achievement__AchievementDefinition d = ACHIEVEMENT__ACHIEVEMENT_DEFINITION__INIT, *out = NULL;
	axr_client_error_t e1, e2, e3, e4, e5;
	SET(d.name, "first");
	int rc1 = achievement_client_create_achievement(admin, &d, NULL, &out, A, &e1);
	Achievement__AchievementDefinition bad = ACHIEVEMENT__ACHIEVEMENT_DEFINITION__INIT;
	SET(bad.name, "bad");
	bad.has_target = 1;
	bad.target = 0;
	int rc2 = achievement_client_create_achievement(admin, &bad, NULL, &out, A, &e2);
	Achievement__CreateAchievementInput ci = ACHIEVEMENT__CREATE_ACHIEVEMENT_INPUT__INIT;
	ci.body = &bad;
	axr_client_call_opts_t nv = {.flags = AXR_CLIENT_NO_VALIDATE};
	ProtobufCMessage *m = NULL;
	int rc3 = axr_client_call_opts(admin, &achievement_client_routes[ACHIEVEMENT_CLIENT_CREATE_ACHIEVEMENT], &ci.base,
	                               &nv, &m, A, &e3);
	it_check(is_http(rc1, &e1, 409, "EXISTS") && strcmp(err_path(&e1), "/name") == 0 && rc2 == AXR_EVALIDATION &&
	             e2.kind == AXR_CLIENT_ERR_LOCAL && strcmp(err_path(&e2), "/target") == 0 &&
	             is_http(rc3, &e3, 400, "VALIDATION") && strcmp(err_path(&e3), "/target") == 0,
	         "definitions_duplicate_name_409_and_target_0_a_field_error_locally_and_on_the_server",
	         "duplicate: %s at %s; target 0: %s; server: %s at %s", E(rc1, &e1), err_path(&e1),
	         E(rc2, &e2), E(rc3, &e3), err_path(&e3));

	Achievement__AchievementDefinition f = first_definition(20);
	Achievement__UpdateAchievementInput uo = ACHIEVEMENT__UPDATE_ACHIEVEMENT_INPUT__INIT;
	uo.has_version = 1;
	uo.version = 0;
	int rc4 = achievement_client_update_achievement(admin, "first", &f, &uo, &out, A, &e4);
	int64_t v = rc4 == 0 ? out->version : -1;
	f.points = 30;
	int rc5 = achievement_client_update_achievement(admin, "first", &f, &uo, &out, A, &e5);
	it_check(rc4 == 0 && v == 1 && is_http(rc5, &e5, 409, "CONFLICT"),
	         "definitions_admin_update_with_the_version_then_a_stale_one_is_409", "update: %s (version %lld); stale: %s",
	         E(rc4, &e4), (long long)v, E(rc5, &e5));
}

static void hidden_definitions(void)
{
	char why[1024] = "";
	const char *secret = define("secret", 0, 50, 1);
	Achievement__AchievementDefinition *g = NULL;
	Achievement__UserAchievement *u = NULL;
	axr_client_error_t e1, e2, e3, e4;
	int l1 = lists(alice, "first"), l2 = lists(alice, "secret"), l3 = lists(admin, "secret");
	long c1 = count_definitions(alice), c2 = count_definitions(admin);
	int rc1 = achievement_client_get_achievement(alice, "secret", NULL, &g, A, &e1);
	int rc2 = achievement_client_get_achievement(alice, S(secret), NULL, &g, A, &e2);
	int rc3 = achievement_client_get_achievement(admin, "secret", NULL, &g, A, &e3);
	if (!secret)
		snprintf(why, sizeof why, "secret not defined");
	else if (l1 != 1 || l2 != 0 || l3 != 1 || c1 != 1 || c2 != 2)
		snprintf(why, sizeof why, "alice lists first %d, secret %d (counts %ld); admin lists secret %d (counts %ld)",
		         l1, l2, c1, l3, c2);
	else if (!is_http(rc1, &e1, 404, "NOTFOUND") || !is_http(rc2, &e2, 404, "NOTFOUND") || rc3 != 0)
		snprintf(why, sizeof why, "alice gets it by name %d, by uid %d; admin %d", rc1, rc2, rc3);
	it_check(!why[0], "hidden_definitions_are_not_listed_counted_or_found_by_players_admins_see_them", "%s", why);

	why[0] = '\0';
	int rcu = unlock(alice, "secret", NULL, &u, &e4);
	int rcg = achievement_client_get_achievement(alice, "secret", NULL, &g, A, &e1);
	int l4 = lists(alice, "secret");
	long c3 = count_definitions(alice);
	int rcb = achievement_client_get_achievement(bob, "secret", NULL, &g, A, &e2);
	if (rcu != 0 || !u->unlocked)
		snprintf(why, sizeof why, "unlock: %s", E(rcu, &e4));
	else if (rcg != 0 || l4 != 1 || c3 != 2)
		snprintf(why, sizeof why, "after the unlock alice gets it %d, lists it %d, counts %ld", rcg, l4, c3);
	else if (!is_http(rcb, &e2, 404, "NOTFOUND"))
		snprintf(why, sizeof why, "bob gets it: %s", E(rcb, &e2));
	it_check(!why[0], "hidden_definitions_unlocked_by_name_are_visible_to_that_player_only", "%s", why);
}

static void progress_unlock_and_websocket(void)
{
	char why[1024] = "", frame[4096] = "";
	int fd = ws_open_for(alice_tok);
	int bob_fd = ws_open_for(bob_tok); /* another player: sees none of it */
	Achievement__UserAchievement *u1 = NULL, *u2 = NULL;
	axr_client_error_t e;
	int rc = progress(alice, "first", 0, NULL, NULL, &u1, &e);
	if (rc != 0)
		snprintf(why, sizeof why, "first call: %s", E(rc, &e));
	else if (u1->progress != 1 || u1->unlocked || strcmp(S(u1->user_uid), ALICE_UID) != 0 ||
	         strcmp(S(u1->achievement_uid), S(FIRST)) != 0 || u1->date_unlocked)
		snprintf(why, sizeof why, "after 1: progress %lld unlocked %d user %s achievement %s dateUnlocked %s",
		         (long long)u1->progress, u1->unlocked, S(u1->user_uid), S(u1->achievement_uid), S(u1->date_unlocked));
	long long t0 = it_now_ms();
	if (!why[0] && (rc = progress(alice, FIRST, 2, NULL, NULL, &u2, &e)) != 0)
		snprintf(why, sizeof why, "second call: %s", E(rc, &e));
	else if (!why[0] && (u2->progress != 3 || !u2->unlocked || !u2->date_unlocked ||
	                     strncmp(u2->date_unlocked, "20", 2) != 0))
		snprintf(why, sizeof why, "after 3: progress %lld unlocked %d dateUnlocked %s", (long long)u2->progress,
		         u2->unlocked, S(u2->date_unlocked));
	it_check(!why[0], "progress_accumulates_and_unlocks_at_the_target", "%s", why);

	int n_any = 0, n_unlock = 0;
	long waited = fd >= 0 && FIRST ? ws_collect(fd, FIRST, "unlock", 1, 2000, &n_any, &n_unlock, frame, sizeof frame) : -1;
	long latency = waited >= 0 ? (long)(it_now_ms() - t0) : -1;
	char prog[64];
	snprintf(prog, sizeof prog, "\"progress\":3");
	it_check(fd >= 0 && waited >= 0 && strstr(frame, prog) && strstr(frame, "\"unlocked\":true") &&
	             strstr(frame, "\"userUid\":\"" ALICE_UID "\""),
	         "unlock_event_arrives_on_the_players_websocket_within_2_s", "%s (fd %d, %d frames about it): %s",
	         fd < 0 ? "no websocket" : waited < 0 ? "no unlock frame within 2 s" : "frame lacks fields", fd, n_any,
	         frame);
	if (latency >= 0)
		printf("# unlock event latency: %ld ms from the start of the unlocking call to the websocket frame\n", latency);

	/* progress and unlock again: nothing changes, no second unlock event */
	why[0] = '\0';
	Achievement__UserAchievement *p = NULL, *q = NULL;
	axr_client_error_t e2;
	int rcp = progress(alice, "first", 0, NULL, NULL, &p, &e);
	int rcq = unlock(alice, "first", NULL, &q, &e2);
	if (rcp != 0 || rcq != 0)
		snprintf(why, sizeof why, "progress %s; unlock %s", E(rcp, &e), E(rcq, &e2));
	else if (!u2 || p->progress != 3 || p->version != u2->version || q->version != u2->version ||
	         strcmp(S(q->date_unlocked), S(u2->date_unlocked)) != 0)
		snprintf(why, sizeof why, "progress %lld, versions %lld/%lld (was %lld), dateUnlocked %s (was %s)",
		         (long long)p->progress, (long long)p->version, (long long)q->version,
		         u2 ? (long long)u2->version : -1LL, S(q->date_unlocked), u2 ? S(u2->date_unlocked) : "-");
	else if (fd >= 0 && (ws_collect(fd, FIRST, NULL, 0, 400, &n_any, &n_unlock, frame, sizeof frame), n_any != 0))
		snprintf(why, sizeof why, "%d more events about it: %s", n_any, frame);
	it_check(!why[0], "double_unlock_and_progress_on_an_unlocked_achievement_change_nothing_and_publish_nothing", "%s",
	         why);
	int bob_any = 0, bob_unlock = 0;
	char bob_frame[4096] = "";
	if (bob_fd >= 0 && FIRST)
		ws_collect(bob_fd, FIRST, NULL, 0, 200, &bob_any, &bob_unlock, bob_frame, sizeof bob_frame);
	it_check(bob_fd >= 0 && bob_any == 0, "another_players_websocket_gets_none_of_these_events",
	         "fd %d, %d frames about it: %s", bob_fd, bob_any, bob_frame);
	if (fd >= 0)
		close(fd);
	if (bob_fd >= 0)
		close(bob_fd);
}

static void overshoot_and_bad_requests(void)
{
	Achievement__UserAchievement *u = NULL;
	axr_client_error_t e;
	define("five", 5, 0, 0);
	int rc = progress(bob, "five", 4, NULL, NULL, &u, &e);
	int64_t p4 = rc == 0 ? u->progress : -1;
	if (rc == 0)
		rc = progress(bob, "five", INT64_MAX, NULL, NULL, &u, &e);
	it_check(rc == 0 && p4 == 4 && u->progress == 5 && u->unlocked, "overshoot_is_clamped_at_the_target_and_unlocks",
	         "%s: 4 -> %lld, then %lld unlocked %d", E(rc, &e), (long long)p4, u ? (long long)u->progress : -1LL,
	         u ? u->unlocked : -1);

	axr_client_error_t e0, e1, e2, e3, e4, e5;
	int rc0 = progress(carol, "five", -1, NULL, NULL, &u, &e0); /* minimum 1 */
	int rc1 = progress(carol, "five", 1, NULL, "has space", &u, &e1);
	int rc2 = progress(carol, "five", 1, BOB_UID, NULL, &u, &e2);
	int rc3 = progress(carol, "five", 1, CAROL_UID, NULL, &u, &e3);
	int rc4 = progress(carol, "nope", 1, NULL, NULL, &u, &e4);
	int rc5 = progress(anon, "five", 1, NULL, NULL, &u, &e5);
	it_check(rc0 == AXR_EVALIDATION && strcmp(err_path(&e0), "/increment") == 0 && rc1 == AXR_EVALIDATION &&
	             is_http(rc2, &e2, 403, "FORBIDDEN") && strcmp(err_path(&e2), "/userUid") == 0 && rc3 == 0 &&
	             is_http(rc4, &e4, 404, "NOTFOUND") && is_http(rc5, &e5, 401, "UNAUTHORIZED"),
	         "progress_refuses_bad_increments_and_keys_locally_another_user_403_unknown_404_anonymous_401",
	         "increment -1: %s at %s; key with a space: %d; another user: %s; oneself %d; unknown %d; anonymous %d",
	         E(rc0, &e0), err_path(&e0), rc1, E(rc2, &e2), rc3, rc4, rc5);

	Achievement__UserAchievement *p = NULL, *q = NULL;
	int ra = progress(admin, "first", 2, CAROL_UID, NULL, &p, &e1);
	int rb = unlock(admin, "first", CAROL_UID, &q, &e2);
	it_check(ra == 0 && rb == 0 && strcmp(S(p->user_uid), CAROL_UID) == 0 && p->progress == 2 && q->unlocked &&
	             q->progress == 3,
	         "admins_add_progress_and_unlock_for_a_player", "progress %s; unlock %s", E(ra, &e1),
	         E(rb, &e2));
}

/* ---- 100 concurrent calls ------------------------------------------------------------ */

typedef struct burst {
	int done, ok, failed;
	int64_t min_progress, max_progress; /* of the answers */
	char first_error[640];
} burst_t;

static void on_progress(int rc, ProtobufCMessage *out, axr_client_error_t *err, void *ud)
{
	burst_t *b = ud;
	b->done++;
	if (rc == 0) {
		int64_t p = ((const Achievement__UserAchievement *)out)->progress;
		if (b->ok++ == 0 || p < b->min_progress)
			b->min_progress = p;
		if (p > b->max_progress)
			b->max_progress = p;
	} else if (b->failed++ == 0) {
		snprintf(b->first_error, sizeof b->first_error, "%s", E(rc, err));
	}
}

/* N progress calls on `id` (with Idempotency-Key `key` unless NULL) started at once on one
 * event_base (each on its own connection), run to the end. */
static void burst(axr_client_t *c, const char *id, int64_t increment, const char *key, int n, burst_t *b)
{
	struct event_base *base = event_base_new();
	Achievement__ProgressRequest body = ACHIEVEMENT__PROGRESS_REQUEST__INIT;
	Achievement__AddProgressInput o = ACHIEVEMENT__ADD_PROGRESS_INPUT__INIT;
	body.has_increment = increment != 0;
	body.increment = increment;
	SET(o.idempotency_key, key);
	memset(b, 0, sizeof(*b));
	for (int i = 0; i < n; i++) {
		axr_client_error_t e;
		int rc = achievement_client_add_progress_async(c, base, id, increment ? &body : NULL, key ? &o : NULL, A,
		                                               &e, on_progress, b);
		if (rc != 0) {
			b->done++;
			if (b->failed++ == 0)
				snprintf(b->first_error, sizeof b->first_error, "not started: %s", E(rc, &e));
		}
	}
	long long deadline = it_now_ms() + 30000;
	while (b->done < n && it_now_ms() < deadline)
		event_base_loop(base, EVLOOP_ONCE);
	event_base_free(base);
}

static void concurrent(void)
{
	burst_t b;
	const char *grind = define("grind", 1000, 0, 0);
	axr_client_stats_t s0, s1;
	axr_client_get_stats(bob, &s0);
	long long t0 = it_now_ms();
	burst(bob, "grind", 3, NULL, 100, &b);
	long took = (long)(it_now_ms() - t0);
	axr_client_get_stats(bob, &s1);
	int rc = 0;
	Achievement__UserAchievement *r = record_of(bob, "me", grind, &rc);
	/* in flight together: each on a connection of its own (at most pool_size were idle before) */
	unsigned long conns = s1.connects - s0.connects;
	it_check(grind && b.ok == 100 && r && r->progress == 300 && !r->unlocked && conns >= 90,
	         "hundred_concurrent_progress_calls_add_up_exactly",
	         "%d of 100 answered 200 (%s); progress %lld unlocked %d; %lu connections", b.ok, b.first_error,
	         r ? (long long)r->progress : -1LL, r ? r->unlocked : -1, conns);
	printf("# 100 concurrent async progress calls on one event_base: %ld ms, %lu connections\n", took, conns);

	const char *century = define("century", 100, 0, 0);
	int fd = ws_open_for(carol_tok);
	burst(carol, "century", 0, NULL, 100, &b);
	r = record_of(carol, "me", century, &rc);
	char frame[4096] = "";
	int n_any = 0, n_unlock = 0;
	if (fd >= 0 && century)
		ws_collect(fd, century, "unlock", 0, 1500, &n_any, &n_unlock, frame, sizeof frame);
	it_check(century && b.ok == 100 && r && r->progress == 100 && r->unlocked && n_any == 100 && n_unlock == 1,
	         "hundred_concurrent_calls_reaching_the_target_unlock_once_and_the_websocket_sees_every_change",
	         "%d of 100 answered 200 (%s); progress %lld unlocked %d; websocket: %d events, %d unlocks", b.ok,
	         b.first_error, r ? (long long)r->progress : -1LL, r ? r->unlocked : -1, n_any, n_unlock);
	if (fd >= 0)
		close(fd);
}

static void idempotency(void)
{
	char why[1024] = "";
	const char *daily = define("daily", 10, 0, 0);
	Achievement__UserAchievement *a1 = NULL, *a2 = NULL, *a3 = NULL, *a4 = NULL, *c1 = NULL;
	axr_client_error_t e, e5;
	int rc = progress(bob, "daily", 2, NULL, "day-1", &a1, &e);
	if (rc == 0)
		rc = progress(bob, "daily", 2, NULL, "day-1", &a2, &e);
	if (rc == 0)
		rc = progress(bob, "daily", 1, NULL, NULL, &a3, &e);
	if (rc == 0)
		rc = progress(bob, "daily", 2, NULL, "day-1", &a4, &e);
	int rc5 = progress(bob, "daily", 5, NULL, "day-1", &c1, &e5);
	if (rc != 0)
		snprintf(why, sizeof why, "%s", E(rc, &e));
	else if (a1->progress != 2 || a2->progress != 2 || strcmp(S(a2->uid), S(a1->uid)) != 0 ||
	         a2->version != a1->version || strcmp(S(a2->date_modified), S(a1->date_modified)) != 0)
		snprintf(why, sizeof why, "replay: progress %lld v%lld, original %lld v%lld", (long long)a2->progress,
		         (long long)a2->version, (long long)a1->progress, (long long)a1->version);
	else if (a3->progress != 3 || a4->progress != 2)
		snprintf(why, sizeof why, "without a key: %lld (want 3); a later replay: %lld (want 2)", (long long)a3->progress,
		         (long long)a4->progress);
	else if (rc5 != AXR_EUNPROCESSABLE || !is_http(rc5, &e5, 422, e5.code ? e5.code : "") ||
	         strcmp(err_path(&e5), "/Idempotency-Key") != 0)
		snprintf(why, sizeof why, "same key, another body: %s at %s", E(rc5, &e5), err_path(&e5));
	it_check(!why[0], "idempotency_key_replay_answers_the_original_and_adds_nothing_another_body_is_422", "%s", why);

	/* a retry storm: 20 calls with one key at once add once and all answer that result */
	burst_t b;
	burst(bob, "daily", 4, "storm-1", 20, &b);
	int rcs = 0;
	Achievement__UserAchievement *after = record_of(bob, "me", daily, &rcs);
	it_check(b.ok == 20 && b.min_progress == 7 && b.max_progress == 7 && after && after->progress == 7,
	         "idempotency_key_twenty_concurrent_calls_with_one_key_add_once",
	         "%d of 20 answered 200 (%s), progress answered %lld..%lld (want 7), stored %lld (want 7)", b.ok,
	         b.first_error, (long long)b.min_progress, (long long)b.max_progress,
	         after ? (long long)after->progress : -1LL);

	rc = progress(carol, "daily", 2, NULL, "day-1", &c1, &e);
	int rcr = 0;
	Achievement__UserAchievement *bobs = record_of(admin, BOB_UID, daily, &rcr);
	it_check(rc == 0 && c1->progress == 2 && strcmp(S(c1->user_uid), CAROL_UID) == 0 && bobs && bobs->progress == 7,
	         "idempotency_keys_are_per_caller", "carol: %s progress %lld; bob's total %lld (want 7)", E(rc, &e),
	         c1 ? (long long)c1->progress : -1LL, bobs ? (long long)bobs->progress : -1LL);
}

static void lists_bola(void)
{
	Achievement__UserAchievementList *l = NULL;
	axr_client_error_t e1, e2, e3, e4, e5, e6;
	int rc1 = achievement_client_find_user_achievements(alice, BOB_UID, NULL, &l, A, &e1);
	Achievement__CountUserAchievementsInput ci = ACHIEVEMENT__COUNT_USER_ACHIEVEMENTS_INPUT__INIT;
	SET(ci.user_uid, BOB_UID);
	long n2;
	int rc2 = count_of(alice, ACHIEVEMENT_CLIENT_COUNT_USER_ACHIEVEMENTS, &ci.base, &n2, &e2);
	int rc3 = achievement_client_find_user_achievements(alice, ALICE_UID, NULL, &l, A, &e3);
	int rc4 = achievement_client_find_user_achievements(admin, BOB_UID, NULL, &l, A, &e4);
	size_t bobs = rc4 == 0 ? l->n_items : 0;
	int rc5 = achievement_client_find_user_achievements(alice, "nobody", NULL, &l, A, &e5);
	int rc6 = achievement_client_find_user_achievements(anon, "me", NULL, &l, A, &e6);
	it_check(is_http(rc1, &e1, 404, "NOTFOUND") && is_http(rc2, &e2, 404, "NOTFOUND") &&
	             rc3 == 0 && rc4 == 0 && bobs == 3 && rc5 == AXR_EVALIDATION && is_http(rc6, &e6, 401, "UNAUTHORIZED"),
	         "bola_another_users_list_and_count_are_404_admins_read_it",
	         "alice reads bob's: %s; counts: %s; her own by uid %d; admin reads bob's %d (%zu records, want 3: five, "
	         "grind, daily); 'nobody' %d; anonymous %d",
	         E(rc1, &e1), E(rc2, &e2), rc3, rc4, bobs, rc5, rc6);

	Achievement__FindUserAchievementsInput fo = ACHIEVEMENT__FIND_USER_ACHIEVEMENTS_INPUT__INIT;
	fo.has_unlocked = 1;
	fo.unlocked = 1;
	int rcu = achievement_client_find_user_achievements(alice, "me", &fo, &l, A, &e1);
	size_t unlocked = rcu == 0 ? l->n_items : 0;
	fo.unlocked = 0;
	int rcl = achievement_client_find_user_achievements(alice, "me", &fo, &l, A, &e2);
	size_t locked = rcl == 0 ? l->n_items : 99;
	Achievement__CountUserAchievementsInput bc = ACHIEVEMENT__COUNT_USER_ACHIEVEMENTS_INPUT__INIT;
	SET(bc.user_uid, "me");
	bc.has_unlocked = bc.unlocked = 1;
	long bob_unlocked;
	count_of(bob, ACHIEVEMENT_CLIENT_COUNT_USER_ACHIEVEMENTS, &bc.base, &bob_unlocked, &e3);
	it_check(unlocked == 2 && locked == 0 && bob_unlocked == 1, "user_lists_filter_on_unlocked_and_count_it",
	         "alice unlocked %zu (want 2: secret, first), locked %zu (want 0); bob's unlocked count %ld (want 1)",
	         unlocked, locked, bob_unlocked);
}

static void read_modify_write(void)
{
	/* the common client pattern: read a definition, change it, send it back; its server-owned
	 * members (uid, dates, version) are refused in a request unless AXR_CLIENT_OMIT_READ_ONLY */
	axr_client_t *c = NULL;
	axr_client_options_t co = {.base_url = URL, .timeout_ms = 15000, .flags = AXR_CLIENT_OMIT_READ_ONLY};
	Achievement__AchievementDefinition *g = NULL, *u = NULL, *x = NULL;
	axr_client_error_t e, es;
	char why[1024] = "";
	int rc = axr_client_new(&co, &c);
	if (rc == 0)
		rc = axr_client_set_token(c, admin_tok);
	if (rc == 0)
		rc = achievement_client_get_achievement(c, "five", NULL, &g, A, &e);
	if (rc == 0) {
		Achievement__UpdateAchievementInput o = ACHIEVEMENT__UPDATE_ACHIEVEMENT_INPUT__INIT;
		o.has_version = 1;
		o.version = g->version;
		SET(g->title, "Five in a row");
		int strict = achievement_client_update_achievement(admin, "five", g, &o, &x, A, &es);
		rc = achievement_client_update_achievement(c, g->uid, g, &o, &u, A, &e);
		if (rc != 0)
			snprintf(why, sizeof why, "with the flag: %s", E(rc, &e));
		else if (strcmp(S(u->title), "Five in a row") != 0 || u->version != g->version + 1 || u->target != 5)
			snprintf(why, sizeof why, "title %s version %lld target %lld", S(u->title), (long long)u->version,
			         (long long)u->target);
		else if (strict != AXR_EVALIDATION || es.kind != AXR_CLIENT_ERR_LOCAL)
			snprintf(why, sizeof why, "without the flag: %s (want a local read-only error)", E(strict, &es));
	} else {
		snprintf(why, sizeof why, "%s", E(rc, &e));
	}
	it_check(!why[0], "a_definition_read_from_the_service_is_sent_back_changed_with_omit_read_only", "%s", why);
	axr_client_free(c);
}

static void query_language_filters(void)
{
	/* list filters have no member in the typed input: axr_client_call_opts' extra query */
	const char *q[] = {"progress", "gte(5)"}, *bad[] = {"nope", "1"};
	Achievement__FindUserAchievementsInput in = ACHIEVEMENT__FIND_USER_ACHIEVEMENTS_INPUT__INIT;
	axr_client_call_opts_t o = {.query = q, .n_query = 1};
	const axr_route_t *route = &achievement_client_routes[ACHIEVEMENT_CLIENT_FIND_USER_ACHIEVEMENTS];
	ProtobufCMessage *m = NULL;
	axr_client_error_t e, eb;
	SET(in.user_uid, "me");
	int rc = axr_client_call_opts(bob, route, &in.base, &o, &m, A, &e);
	const Achievement__UserAchievementList *l = (const Achievement__UserAchievementList *)m;
	int all_gte5 = rc == 0;
	for (size_t i = 0; rc == 0 && i < l->n_items; i++)
		all_gte5 = all_gte5 && l->items[i]->progress >= 5;
	o.query = bad;
	int rcb = axr_client_call_opts(bob, route, &in.base, &o, &m, A, &eb);
	it_check(rc == 0 && l->n_items == 3 && all_gte5 && is_http(rcb, &eb, 400, "VALIDATION") &&
	             strcmp(err_path(&eb), "/query/nope") == 0,
	         "user_lists_take_query_language_filters_through_call_opts",
	         "progress=gte(5): %s, %zu records (want 3: five, grind, daily), all >= 5: %d; nope=1: %s at %s", E(rc, &e),
	         rc == 0 ? l->n_items : 0, all_gte5, E(rcb, &eb), err_path(&eb));
}

static void protobuf_on_the_wire(void)
{
	axr_client_t *c = NULL;
	axr_client_options_t o = {.base_url = URL, .timeout_ms = 15000, .flags = AXR_CLIENT_PROTOBUF};
	if (axr_client_new(&o, &c) != 0 || axr_client_set_token(c, bob_tok) != 0) {
		it_check(0, "protobuf_on_the_wire_gives_the_same_answers", "no client");
		return;
	}
	char why[1024] = "";
	Achievement__UserAchievement *u = NULL;
	Achievement__AchievementDefinitionList *dl = NULL;
	axr_client_error_t e, e2;
	const char *grind = NULL;
	int rc = progress(c, "grind", 7, NULL, "pb-1", &u, &e);
	if (rc == 0)
		rc = achievement_client_find_achievements(c, NULL, &dl, A, &e);
	for (size_t i = 0; rc == 0 && i < dl->n_items; i++)
		if (strcmp(S(dl->items[i]->name), "grind") == 0)
			grind = dl->items[i]->uid;
	Achievement__UserAchievement *r = grind ? record_of(bob, "me", grind, NULL) : NULL;
	Achievement__UserAchievement *none = NULL;
	int rc2 = progress(c, "nope", 1, NULL, NULL, &none, &e2);
	if (rc != 0)
		snprintf(why, sizeof why, "%s", E(rc, &e));
	else if (u->progress != 307 || !grind || !r || r->progress != 307)
		snprintf(why, sizeof why, "answer %lld; grind %s, bob's progress as JSON %lld (want 307)",
		         (long long)u->progress, S(grind), r ? (long long)r->progress : -1LL);
	else if (!is_http(rc2, &e2, 404, "NOTFOUND"))
		snprintf(why, sizeof why, "an unknown achievement: %s", E(rc2, &e2));
	it_check(!why[0], "protobuf_on_the_wire_gives_the_same_answers", "%s", why);
	axr_client_free(c);
}

static void deleted_definitions(void)
{
	Achievement__UserAchievement *u = NULL;
	Achievement__AchievementDefinition *g = NULL;
	axr_client_error_t e1, e2, e3;
	Achievement__AchievementDefinition *d = NULL;
	int rcd = achievement_client_get_achievement(admin, "daily", NULL, &d, A, &e3);
	const char *uid = rcd == 0 ? d->uid : NULL;
	int rc1 = achievement_client_delete_achievement(admin, "daily", NULL, A, &e1);
	int rc2 = progress(bob, "daily", 0, NULL, NULL, &u, &e2);
	int rc3 = achievement_client_get_achievement(admin, "daily", NULL, &g, A, &e3);
	int rcl = 0;
	Achievement__UserAchievement *left = uid ? record_of(bob, "me", uid, &rcl) : NULL;
	it_check(uid && rc1 == 0 && is_http(rc2, &e2, 404, "NOTFOUND") && is_http(rc3, &e3, 404, "NOTFOUND") && rcl == 0 &&
	             !left,
	         "deleted_definitions_take_no_progress_and_leave_the_lists",
	         "delete %s; progress %d; get %d; bob's list %s it", E(rc1, &e1), rc2, rc3, left ? "still shows" : "drops");
}

int main(void)
{
	URL = it_env("AXR_IT_ACHIEVEMENT_URL");
	WS_PORT = atoi(it_env("AXR_IT_NOTIFICATION_PORT"));
	A = axr_arena_new(0);
	admin_tok = it_mint(ADMIN_UID, "admin");
	alice_tok = it_mint(ALICE_UID, NULL);
	bob_tok = it_mint(BOB_UID, NULL);
	carol_tok = it_mint(CAROL_UID, NULL);
	admin = it_client(URL, admin_tok);
	alice = it_client(URL, alice_tok);
	bob = it_client(URL, bob_tok);
	carol = it_client(URL, carol_tok);
	anon = it_client(URL, NULL);

	definitions_admin_only();
	if (FIRST == NULL)
		return 1;
	definitions_validate_and_conflict();
	hidden_definitions();
	progress_unlock_and_websocket();
	overshoot_and_bad_requests();
	concurrent();
	idempotency();
	lists_bola();
	read_modify_write();
	query_language_filters();
	protobuf_on_the_wire();
	deleted_definitions();

	axr_client_free(admin);
	axr_client_free(alice);
	axr_client_free(bob);
	axr_client_free(carol);
	axr_client_free(anon);
	axr_arena_free(A);
	free(admin_tok);
	free(alice_tok);
	free(bob_tok);
	free(carol_tok);
	return it_exit_status();
}
