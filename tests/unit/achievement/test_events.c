/* test_events.c: event-driven progress (handlers/achievement/events.c, trigger_bus.c) on real PostgreSQL and redis: trigger matching, once per replica set, change events, the subscriber end to end. */
#define ACHV_TAG "events"
#include "achievement_fixture.h"

#include <event2/event.h>
#include <json-c/json.h>

#include "bus.h"
#include "events.h"
#include "redis.h"
#include "trigger_bus.h"

#define TX_CREATE "{\"service\":\"economy\",\"type\":\"Transaction\",\"action\":\"create\"}"
#define TX_ANY "{\"service\":\"economy\",\"type\":\"Transaction\"}"

static int on_event(const char *service, const char *type, const char *action, const char *owner, const char *id,
                    achievement_progress_out_t **outs, size_t *n)
{
	achievement_event_t ev = {.service = service, .type = type, .action = action, .owner_uid = owner, .event_id = id};
	return achievement_on_event(F.db, F.arena, &ev, outs, n);
}

static void test_matching_events_add_one_progress_for_their_owner(void **state)
{
	(void)state;
	achievement_progress_out_t *outs = NULL;
	size_t n = 0;
	const char *creates = achv_define(1, "three_transactions", 3, false, TX_CREATE);
	const char *any = achv_define(2, "two_changes", 2, false, TX_ANY);
	const char *items = achv_define(3, "items", 1, false,
	                                "{\"service\":\"economy\",\"type\":\"InventoryItem\",\"action\":\"update\"}");
	const char *manual = achv_define(4, "manual", 1, false, NULL);

	assert_rc(0, on_event("economy", "Transaction", "create", ACHV_ALICE, NULL, &outs, &n));
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		assert_true(outs[i].created);
		assert_false(outs[i].unlocked_now);
		assert_int_equal(outs[i].record.progress, 1);
		assert_string_equal(outs[i].record.user_uid, ACHV_ALICE);
	}
	/* An update matches only the trigger without an action, which unlocks. */
	assert_rc(0, on_event("economy", "Transaction", "update", ACHV_ALICE, NULL, &outs, &n));
	assert_int_equal(n, 1);
	assert_string_equal(outs[0].record.achievement_uid, any);
	assert_true(outs[0].unlocked_now);
	assert_string_equal(achievement_progress_action(&outs[0]), "unlock");
	/* Unlocked records are not touched again: nothing to publish. */
	assert_rc(0, on_event("economy", "Transaction", "update", ACHV_ALICE, NULL, &outs, &n));
	assert_int_equal(n, 0);
	assert_null(outs);

	assert_int_equal(achv_progress_of(ACHV_ALICE, creates), 1);
	assert_int_equal(achv_progress_of(ACHV_ALICE, any), 2);
	assert_int_equal(achv_progress_of(ACHV_ALICE, items), -1);
	assert_int_equal(achv_progress_of(ACHV_ALICE, manual), -1);
	assert_int_equal(achv_progress_of(ACHV_BOB, creates), -1);

	/* Other services, types and actions match nothing. */
	assert_rc(0, on_event("matchmaking", "Transaction", "create", ACHV_ALICE, NULL, &outs, &n));
	assert_int_equal(n, 0);
	assert_rc(0, on_event("economy", "Resource", "create", ACHV_ALICE, NULL, &outs, &n));
	assert_int_equal(n, 0);
	assert_rc(0, on_event("economy", "InventoryItem", "create", ACHV_ALICE, NULL, &outs, &n));
	assert_int_equal(n, 0);
	assert_rc(AXR_EINVAL, on_event("economy", "Transaction", "create", "alice", NULL, &outs, &n));
	assert_rc(AXR_EINVAL, on_event(NULL, "Transaction", "create", ACHV_ALICE, NULL, &outs, &n));
}

static void test_an_event_counts_once_per_user_whatever_the_replicas(void **state)
{
	(void)state;
	achievement_progress_out_t *outs = NULL;
	size_t n = 0;
	const char *uid = achv_define(5, "ten_transactions", 10, false, TX_CREATE);
	axr_db_t *replica = NULL;

	assert_rc(0, on_event("economy", "Transaction", "create", ACHV_ALICE, "economy/Transaction/create/t1/v0", &outs,
	                      &n));
	assert_int_equal(n, 1);
	/* Another replica receives the same event: nothing more. */
	assert_int_equal(axr_db_new(F.tdb.url, NULL, &replica), 0);
	achievement_event_t ev = {.service = "economy", .type = "Transaction", .action = "create",
	                          .owner_uid = ACHV_ALICE, .event_id = "economy/Transaction/create/t1/v0"};
	assert_int_equal(achievement_on_event(replica, F.arena, &ev, &outs, &n), 0);
	assert_int_equal(n, 0);
	axr_db_free(replica);
	/* The same event for its other party counts for that party. */
	assert_rc(0, on_event("economy", "Transaction", "create", ACHV_BOB, "economy/Transaction/create/t1/v0", &outs,
	                      &n));
	assert_int_equal(n, 1);
	assert_int_equal(achv_progress_of(ACHV_ALICE, uid), 1);
	assert_int_equal(achv_progress_of(ACHV_BOB, uid), 1);
}

#define ACHV_REPLICAS 10

static int achv_replica_call(axr_db_t *db, axr_arena_t *arena, int i, void *ctx)
{
	size_t *applied = ctx;
	achievement_progress_out_t *outs = NULL;
	achievement_event_t ev = {.service = "economy", .type = "Transaction", .action = "create",
	                          .owner_uid = ACHV_ALICE, .event_id = "economy/Transaction/create/t2/v0"};
	return achievement_on_event(db, arena, &ev, &outs, &applied[i]);
}

static void test_concurrent_replicas_apply_an_event_once(void **state)
{
	(void)state;
	const char *uid = achv_define(6, "ten_transactions", 10, false, TX_CREATE);
	size_t applied[ACHV_REPLICAS] = {0}, total = 0;

	achv_race(ACHV_REPLICAS, achv_replica_call, applied);
	for (int i = 0; i < ACHV_REPLICAS; i++)
		total += applied[i];
	assert_int_equal(total, 1);
	assert_int_equal(achv_progress_of(ACHV_ALICE, uid), 1);
}

static void test_event_ids_name_the_change(void **state)
{
	(void)state;
	axr_bus_message_t m = {.type = "Transaction", .action = "create", .uid = "t-1", .service = "economy",
	                       .time = "2026-01-02T03:04:05.678Z", .has_version = true, .version = 3};

	assert_string_equal(achievement_event_id(&m, F.arena), "economy/Transaction/create/t-1/v3");
	m.has_version = false;
	assert_string_equal(achievement_event_id(&m, F.arena), "economy/Transaction/create/t-1/t2026-01-02T03:04:05.678Z");
	m.time = "";
	assert_null(achievement_event_id(&m, F.arena));
}

static void test_change_event_carries_the_record_for_its_user(void **state)
{
	(void)state;
	achievement_progress_out_t out = {
		.record = {.uid = "cccccccc-0000-4000-8000-000000000001", .achievement_uid = "dddddddd-0000-4000-8000-000000000001",
		           .user_uid = ACHV_ALICE, .progress = 3, .unlocked = true, .date_unlocked = "2026-01-02T03:04:05Z",
		           .date_created = "2026-01-01T00:00:00.5Z", .date_modified = "2026-01-02T03:04:05Z", .version = 4},
		.changed = true, .unlocked_now = true};
	axr_buf_t json = AXR_BUF_INIT;
	const char *audience[1];
	axr_bus_event_t ev;

	assert_true(achievement_change_event(&out, &json, audience, &ev));
	assert_string_equal(ev.type, "UserAchievement");
	assert_string_equal(ev.action, "unlock");
	assert_string_equal(ev.uid, out.record.uid);
	assert_true(ev.has_version);
	assert_int_equal(ev.version, 4);
	assert_int_equal(ev.naudience, 1);
	assert_string_equal(ev.audience[0], ACHV_ALICE);
	assert_false(ev.is_public);
	assert_null(ev.data);
	assert_string_equal(ev.data_json,
	                    "{\"uid\":\"cccccccc-0000-4000-8000-000000000001\",\"dateCreated\":\"2026-01-01T00:00:00.5Z\","
	                    "\"dateModified\":\"2026-01-02T03:04:05Z\",\"version\":4,"
	                    "\"achievementUid\":\"dddddddd-0000-4000-8000-000000000001\",\"userUid\":\"" ACHV_ALICE "\","
	                    "\"progress\":3,\"unlocked\":true,\"dateUnlocked\":\"2026-01-02T03:04:05Z\"}");
	json_object *parsed = json_tokener_parse(ev.data_json);
	assert_non_null(parsed);
	json_object_put(parsed);
	axr_buf_free(&json);

	/* Not yet unlocked: no dateUnlocked; nothing changed: no event. */
	out.unlocked_now = false;
	out.record.unlocked = false;
	out.record.date_unlocked = NULL;
	assert_true(achievement_change_event(&out, &json, audience, &ev));
	assert_string_equal(ev.action, "update");
	assert_null(strstr(ev.data_json, "dateUnlocked"));
	axr_buf_free(&json);
	out.changed = false;
	assert_false(achievement_change_event(&out, &json, audience, &ev));
	assert_int_equal(achievement_publish_with(NULL, &out), 0); /* nothing to publish, nothing tried */
	axr_buf_free(&json);
}

/* ---- the subscriber, end to end on redis ------------------------------------------ */

typedef struct achv_inbox {
	int count;
	char action[8][16];
	char json[8][512];
	bool for_alice[8];
} achv_inbox_t;

static void achv_inbox_on(const axr_bus_message_t *m, void *ctx)
{
	achv_inbox_t *in = ctx;
	if (in->count >= 8)
		return;
	snprintf(in->action[in->count], sizeof in->action[0], "%s", m->action);
	snprintf(in->json[in->count], sizeof in->json[0], "%s", m->data_json ? m->data_json : "");
	in->for_alice[in->count] = axr_bus_message_audience_has(m, ACHV_ALICE, strlen(ACHV_ALICE));
	in->count++;
}

static void achv_run_for(struct event_base *base, long ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* Runs the loop until the subscriber has seen `events` events and the inbox
 * holds `inbox` messages, or 3 s pass. */
static void achv_wait(struct event_base *base, const achievement_bus_t *b, uint64_t events, const achv_inbox_t *in,
                      int inbox)
{
	achievement_bus_stats_t st;
	int64_t t0 = axr_test_now_ms();
	do {
		achv_run_for(base, 5);
		achievement_bus_stats(b, &st);
	} while ((st.events < events || in->count < inbox) && axr_test_now_ms() - t0 < 3000);
}

static void economy_event(axr_redis_t *pub, const char *uid, int64_t version)
{
	const char *audience[] = {ACHV_ALICE, "not-a-user"};
	axr_bus_event_t ev = {.type = "Transaction", .action = "create", .uid = uid, .has_version = true,
	                      .version = version, .audience = audience, .naudience = 2, .service = "economy"};
	assert_int_equal(axr_bus_publish_with(pub, &ev), 0);
}

static void test_subscriber_turns_bus_events_into_progress_and_publishes_the_unlock(void **state)
{
	(void)state;
	axr_test_server_t own_redis = {0};
	const char *url = axr_test_shared_url("AXR_TEST_REDIS_URL", &own_redis, false);
	struct event_base *base = event_base_new();
	axr_redis_t *pub = NULL;
	achievement_bus_t *bus = NULL;
	axr_bus_subscription_t *watch = NULL;
	achv_inbox_t inbox = {0};
	achievement_bus_stats_t st;

	assert_non_null(url);
	assert_non_null(base);
	const char *uid = achv_define(7, "two_transactions", 2, false, TX_CREATE);
	assert_int_equal(axr_bus_set_service("achievement"), 0);
	assert_int_equal(axr_redis_new(url, NULL, &pub), 0);
	achievement_bus_options_t opt = {.base = base, .redis_url = url, .db = F.db, .publisher = pub};
	assert_int_equal(achievement_bus_start(&opt, &bus), 0);
	achievement_bus_stats(bus, &st);
	assert_int_equal(st.services, 1);
	/* A client of the achievement service's events (as the notification service is). */
	assert_int_equal(axr_bus_subscribe(base, url, "achievement", "UserAchievement", NULL, achv_inbox_on, &inbox, &watch),
	                 0);
	int64_t t0 = axr_test_now_ms();
	while (!axr_bus_subscription_connected(watch) && axr_test_now_ms() - t0 < 3000)
		achv_run_for(base, 5);
	assert_true(axr_bus_subscription_connected(watch));

	economy_event(pub, "tx-1", 0);
	achv_wait(base, bus, 1, &inbox, 1);
	assert_int_equal(achv_progress_of(ACHV_ALICE, uid), 1);
	assert_int_equal(inbox.count, 1);
	assert_string_equal(inbox.action[0], "create");
	assert_true(inbox.for_alice[0]);

	economy_event(pub, "tx-1", 0); /* the same event again (a repeat, or another replica's copy) */
	economy_event(pub, "tx-2", 0);
	achv_wait(base, bus, 3, &inbox, 2);
	achievement_bus_stats(bus, &st);
	assert_int_equal(st.events, 3);
	assert_int_equal(st.applied, 2);
	assert_int_equal(st.unlocks, 1);
	assert_int_equal(st.failures, 0);
	assert_int_equal(achv_progress_of(ACHV_ALICE, uid), 2);
	assert_int_equal(inbox.count, 2);
	assert_string_equal(inbox.action[1], "unlock");
	assert_non_null(strstr(inbox.json[1], "\"unlocked\":true"));
	assert_non_null(strstr(inbox.json[1], "\"progress\":2"));

	/* Triggers are read again on refresh: a new service, then none. */
	achv_define(8, "matched", 1, false, "{\"service\":\"matchmaking\",\"type\":\"Match\"}");
	assert_int_equal(achievement_bus_refresh(bus), 0);
	achievement_bus_stats(bus, &st);
	assert_int_equal(st.services, 2);
	achv_sql("UPDATE achievement_definition SET \"trigger\" = NULL");
	assert_int_equal(achievement_bus_refresh(bus), 0);
	achievement_bus_stats(bus, &st);
	assert_int_equal(st.services, 0);

	axr_bus_unsubscribe(watch);
	achievement_bus_stop(bus);
	axr_redis_free(pub);
	achv_run_for(base, 5);
	event_base_free(base);
	axr_test_server_destroy(&own_redis);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ACHV_TEST(test_matching_events_add_one_progress_for_their_owner),
		ACHV_TEST(test_an_event_counts_once_per_user_whatever_the_replicas),
		ACHV_TEST(test_concurrent_replicas_apply_an_event_once),
		ACHV_TEST(test_event_ids_name_the_change),
		ACHV_TEST(test_change_event_carries_the_record_for_its_user),
		ACHV_TEST(test_subscriber_turns_bus_events_into_progress_and_publishes_the_unlock),
	};
	return ACHV_RUN(tests);
}
