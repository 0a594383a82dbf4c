/* test_progress.c: progress and unlocks (handlers/achievement/progress.c) against a real PostgreSQL: clamping, exactly-once unlocks, concurrency. */
#define ACHV_TAG "progress"
#include "achievement_fixture.h"


#include "progress.h"

static int add(const achievement_caller_t *who, const char *id, const char *user, int64_t inc,
               achievement_progress_out_t *out)
{
	achievement_progress_in_t in = {.achievement_id = id, .user_uid = user, .increment = inc};
	return achievement_progress_add(F.db, F.arena, who, &in, out);
}

static void test_progress_accumulates_until_target_then_unlocks_once(void **state)
{
	(void)state;
	const char *uid = achv_define(1, "ten_kills", 10, false, NULL);
	achievement_progress_out_t out;

	assert_rc(0, add(&achv_alice, "ten_kills", NULL, 4, &out));
	assert_true(out.created);
	assert_true(out.changed);
	assert_false(out.unlocked_now);
	assert_int_equal(out.record.progress, 4);
	assert_false(out.record.unlocked);
	assert_null(out.record.date_unlocked);
	assert_string_equal(out.record.achievement_uid, uid);
	assert_string_equal(out.record.user_uid, ACHV_ALICE);
	assert_int_equal(out.record.version, 0);
	assert_string_equal(achievement_progress_action(&out), "create");

	assert_rc(0, add(&achv_alice, uid, NULL, 5, &out)); /* by uid this time */
	assert_false(out.created);
	assert_false(out.unlocked_now);
	assert_int_equal(out.record.progress, 9);
	assert_int_equal(out.record.version, 1);
	assert_string_equal(achievement_progress_action(&out), "update");

	assert_rc(0, add(&achv_alice, "ten_kills", NULL, 1, &out));
	assert_true(out.unlocked_now);
	assert_true(out.record.unlocked);
	assert_int_equal(out.record.progress, 10);
	assert_non_null(out.record.date_unlocked);
	assert_int_equal(strlen(out.record.date_unlocked) >= 20, 1);
	assert_int_equal(out.record.date_unlocked[strlen(out.record.date_unlocked) - 1], 'Z');
	assert_string_equal(achievement_progress_action(&out), "unlock");
	const char *unlocked_at = out.record.date_unlocked;

	/* After the unlock nothing changes: no version, no event, same date. */
	assert_rc(0, add(&achv_alice, "ten_kills", NULL, 3, &out));
	assert_false(out.changed);
	assert_false(out.unlocked_now);
	assert_null(achievement_progress_action(&out));
	assert_int_equal(out.record.progress, 10);
	assert_int_equal(out.record.version, 2);
	assert_string_equal(out.record.date_unlocked, unlocked_at);
	assert_int_equal(achv_progress_of(ACHV_ALICE, uid), 10);
	assert_int_equal(achv_progress_of(ACHV_BOB, uid), -1); /* nobody else touched */
}

static void test_overshoot_is_clamped_at_target(void **state)
{
	(void)state;
	const char *uid = achv_define(2, "collector", 5, false, NULL);
	achievement_progress_out_t out;

	assert_rc(0, add(&achv_alice, "collector", NULL, 3, &out));
	assert_rc(0, add(&achv_alice, "collector", NULL, 100, &out));
	assert_true(out.unlocked_now);
	assert_int_equal(out.record.progress, 5);
	/* A first call past the target creates the record unlocked and clamped. */
	assert_rc(0, add(&achv_bob, "collector", NULL, INT64_MAX, &out));
	assert_true(out.created);
	assert_true(out.unlocked_now);
	assert_int_equal(out.record.progress, 5);
	assert_string_equal(achievement_progress_action(&out), "unlock");
	assert_int_equal(achv_scalar("SELECT max(progress) FROM user_achievement WHERE achievement_uid = '%s'", uid), 5);
}

static void test_unlock_sets_target_and_second_unlock_changes_nothing(void **state)
{
	(void)state;
	const char *uid = achv_define(3, "secret_door", 7, true, NULL);
	achievement_progress_out_t first, second;

	assert_rc(0, add(&achv_alice, uid, NULL, 2, &first));
	assert_rc(0, achievement_progress_unlock(F.db, F.arena, &achv_alice, "secret_door", NULL, &first));
	assert_true(first.unlocked_now);
	assert_true(first.record.unlocked);
	assert_int_equal(first.record.progress, 7);

	assert_rc(0, achievement_progress_unlock(F.db, F.arena, &achv_alice, "secret_door", NULL, &second));
	assert_false(second.unlocked_now);
	assert_false(second.changed);
	assert_true(second.record.unlocked);
	assert_string_equal(second.record.uid, first.record.uid);
	assert_int_equal(second.record.version, first.record.version);
	assert_string_equal(second.record.date_unlocked, first.record.date_unlocked);
	assert_int_equal(achv_scalar("SELECT count(*) FROM user_achievement"), 1);
}

static void test_target_absent_counts_as_one(void **state)
{
	(void)state;
	const char *uid = achv_define(4, "first_login", 1, false, NULL);
	achievement_progress_out_t out;

	achv_sql("UPDATE achievement_definition SET target = NULL WHERE uid = '%s'", uid);
	assert_rc(0, add(&achv_alice, "first_login", NULL, 1, &out));
	assert_true(out.unlocked_now);
	assert_int_equal(out.record.progress, 1);
}

static void test_lowered_target_unlocks_on_next_progress(void **state)
{
	(void)state;
	const char *uid = achv_define(5, "marathon", 100, false, NULL);
	achievement_progress_out_t out;

	assert_rc(0, add(&achv_alice, "marathon", NULL, 60, &out));
	achv_sql("UPDATE achievement_definition SET target = 50 WHERE uid = '%s'", uid);
	assert_rc(0, add(&achv_alice, "marathon", NULL, 1, &out));
	assert_true(out.unlocked_now);
	assert_int_equal(out.record.progress, 50);
}

static void test_rejects_bad_requests_without_writing(void **state)
{
	(void)state;
	achv_define(6, "quest", 3, false, NULL);
	achievement_progress_out_t out;
	achievement_caller_t anonymous = {0};
	achievement_progress_in_t keyed = {.achievement_id = "quest", .increment = 1, .idempotency_key = "has space"};

	assert_rc(AXR_ENOTFOUND, add(&achv_alice, "no_such", NULL, 1, &out));
	assert_rc(AXR_ENOTFOUND, add(&achv_alice, "dddddddd-0000-4000-8000-0000000000ff", NULL, 1, &out));
	assert_rc(AXR_EINVAL, add(&achv_alice, "quest", NULL, 0, &out));
	assert_rc(AXR_EINVAL, add(&achv_alice, "quest", NULL, -5, &out));
	assert_rc(AXR_EINVAL, add(&achv_alice, "quest", "not-a-uid", 1, &out));
	assert_rc(AXR_EUNAUTHORIZED, add(&anonymous, "quest", NULL, 1, &out));
	assert_rc(AXR_EINVAL, achievement_progress_add(F.db, F.arena, &achv_alice, &keyed, &out));
	/* Players act for themselves only (their own uid, any case, is fine). */
	assert_rc(AXR_EFORBIDDEN, add(&achv_alice, "quest", ACHV_BOB, 1, &out));
	assert_int_equal(achv_scalar("SELECT count(*) FROM user_achievement"), 0);
	assert_rc(0, add(&achv_alice, "quest", "A11CE000-0000-4000-8000-000000000002", 1, &out));
	assert_string_equal(out.record.user_uid, ACHV_ALICE);
}

static void test_admin_adds_progress_for_a_player(void **state)
{
	(void)state;
	const char *uid = achv_define(7, "helped", 2, false, NULL);
	achievement_progress_out_t out;

	assert_rc(0, add(&achv_admin, "helped", ACHV_BOB, 2, &out));
	assert_true(out.unlocked_now);
	assert_string_equal(out.record.user_uid, ACHV_BOB);
	assert_int_equal(achv_progress_of(ACHV_BOB, uid), 2);
	assert_int_equal(achv_progress_of(ACHV_ADMIN, uid), -1);
}

/* ---- 100 concurrent calls ------------------------------------------------------ */

#define ACHV_THREADS 100
#define ACHV_TARGET 250

typedef struct achv_bee {
	int64_t increment;              /* what every call adds */
	bool unlocked_now[ACHV_THREADS];
	int64_t progress[ACHV_THREADS];
} achv_bee_t;

static int achv_bee_call(axr_db_t *db, axr_arena_t *arena, int i, void *ctx)
{
	achv_bee_t *b = ctx;
	achievement_progress_out_t out;
	achievement_progress_in_t in = {.achievement_id = "busy_bee", .increment = b->increment};
	int rc = achievement_progress_add(db, arena, &achv_alice, &in, &out);
	b->unlocked_now[i] = out.unlocked_now;
	b->progress[i] = out.record.progress;
	return rc;
}

/* ACHV_THREADS calls of `increment` at once; how many said unlocked_now. */
static int achv_bees(int64_t increment)
{
	achv_bee_t b = {.increment = increment};
	int unlocks = 0;
	achv_race(ACHV_THREADS, achv_bee_call, &b);
	for (int i = 0; i < ACHV_THREADS; i++) {
		assert_in_range(b.progress[i], 1, ACHV_TARGET);
		unlocks += b.unlocked_now[i];
	}
	return unlocks;
}

static void test_hundred_concurrent_calls_add_up_and_unlock_exactly_once(void **state)
{
	(void)state;
	const char *uid = achv_define(8, "busy_bee", ACHV_TARGET, false, NULL);

	assert_int_equal(achv_bees(2), 0); /* 100 x 2 = 200 < 250 */
	assert_int_equal(achv_progress_of(ACHV_ALICE, uid), 200);
	assert_int_equal(achv_scalar("SELECT version FROM user_achievement WHERE achievement_uid = '%s'", uid), 99);

	assert_int_equal(achv_bees(3), 1); /* 200 + 100 x 3 > 250: clamped */
	assert_int_equal(achv_progress_of(ACHV_ALICE, uid), ACHV_TARGET);
	assert_int_equal(achv_scalar("SELECT count(*) FROM user_achievement WHERE unlocked"), 1);
	/* 200 -> 250 takes 17 calls of 3 (the 17th clamps); the other 83 change nothing. */
	assert_int_equal(achv_scalar("SELECT version FROM user_achievement WHERE achievement_uid = '%s'", uid), 99 + 17);
}

static void test_hundred_concurrent_first_calls_create_one_record_and_one_unlock(void **state)
{
	(void)state;
	const char *uid = achv_define(9, "busy_bee", ACHV_TARGET, false, NULL);

	assert_int_equal(achv_bees(ACHV_TARGET), 1); /* each alone would unlock */
	assert_int_equal(achv_scalar("SELECT count(*) FROM user_achievement"), 1);
	assert_int_equal(achv_progress_of(ACHV_ALICE, uid), ACHV_TARGET);
	assert_int_equal(achv_scalar("SELECT version FROM user_achievement"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ACHV_TEST(test_progress_accumulates_until_target_then_unlocks_once),
		ACHV_TEST(test_overshoot_is_clamped_at_target),
		ACHV_TEST(test_unlock_sets_target_and_second_unlock_changes_nothing),
		ACHV_TEST(test_target_absent_counts_as_one),
		ACHV_TEST(test_lowered_target_unlocks_on_next_progress),
		ACHV_TEST(test_rejects_bad_requests_without_writing),
		ACHV_TEST(test_admin_adds_progress_for_a_player),
		ACHV_TEST(test_hundred_concurrent_calls_add_up_and_unlock_exactly_once),
		ACHV_TEST(test_hundred_concurrent_first_calls_create_one_record_and_one_unlock),
	};
	return ACHV_RUN(tests);
}
