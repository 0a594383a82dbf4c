/* test_idempotency.c: Idempotency-Key on progress (handlers/achievement/idempotency.c) against a real PostgreSQL: replay, 422, per caller, concurrent duplicates, purge. */
#define ACHV_TAG "idem"
#include "achievement_fixture.h"


#include "idempotency.h"
#include "progress.h"

static int add_keyed(const achievement_caller_t *who, const char *id, const char *user, int64_t inc, const char *key,
                     achievement_progress_out_t *out)
{
	achievement_progress_in_t in = {.achievement_id = id, .user_uid = user, .increment = inc, .idempotency_key = key};
	return achievement_progress_add(F.db, F.arena, who, &in, out);
}

static void test_replay_answers_the_original_result_and_adds_nothing(void **state)
{
	(void)state;
	const char *uid = achv_define(1, "ten_kills", 10, false, NULL);
	achievement_progress_out_t first, other, replay;

	assert_rc(0, add_keyed(&achv_alice, "ten_kills", NULL, 4, "key-1", &first));
	assert_true(first.changed);
	assert_false(first.replay);
	assert_int_equal(first.record.progress, 4);
	/* Progress moves on with another key... */
	assert_rc(0, add_keyed(&achv_alice, "ten_kills", NULL, 3, "key-2", &other));
	assert_int_equal(other.record.progress, 7);
	/* ...and the first key still answers what it answered then. */
	assert_rc(0, add_keyed(&achv_alice, "ten_kills", NULL, 4, "key-1", &replay));
	assert_true(replay.replay);
	assert_false(replay.changed);
	assert_false(replay.unlocked_now);
	assert_null(achievement_progress_action(&replay));
	assert_string_equal(replay.record.uid, first.record.uid);
	assert_int_equal(replay.record.progress, 4);
	assert_int_equal(replay.record.version, first.record.version);
	assert_string_equal(replay.record.date_created, first.record.date_created);
	assert_string_equal(replay.record.date_modified, first.record.date_modified);
	assert_string_equal(replay.record.achievement_uid, uid);
	assert_string_equal(replay.record.user_uid, ACHV_ALICE);
	assert_int_equal(achv_progress_of(ACHV_ALICE, uid), 7);
}

static void test_replay_of_the_unlocking_call_does_not_unlock_again(void **state)
{
	(void)state;
	achv_define(2, "one_shot", 2, false, NULL);
	achievement_progress_out_t first, replay;

	assert_rc(0, add_keyed(&achv_alice, "one_shot", NULL, 5, "unlock-me", &first));
	assert_true(first.unlocked_now);
	assert_rc(0, add_keyed(&achv_alice, "one_shot", NULL, 5, "unlock-me", &replay));
	assert_true(replay.replay);
	assert_false(replay.unlocked_now);
	assert_true(replay.record.unlocked);
	assert_string_equal(replay.record.date_unlocked, first.record.date_unlocked);
}

static void test_same_key_with_another_request_is_unprocessable(void **state)
{
	(void)state;
	const char *uid = achv_define(3, "ten_kills", 10, false, NULL);
	achv_define(4, "other", 10, false, NULL);
	achievement_progress_out_t out;

	assert_rc(0, add_keyed(&achv_admin, "ten_kills", ACHV_ALICE, 2, "k", &out));
	assert_rc(AXR_EUNPROCESSABLE, add_keyed(&achv_admin, "ten_kills", ACHV_ALICE, 3, "k", &out)); /* increment */
	assert_rc(AXR_EUNPROCESSABLE, add_keyed(&achv_admin, "other", ACHV_ALICE, 2, "k", &out));     /* achievement */
	assert_rc(AXR_EUNPROCESSABLE, add_keyed(&achv_admin, "ten_kills", ACHV_BOB, 2, "k", &out));   /* user */
	assert_rc(AXR_EUNPROCESSABLE, add_keyed(&achv_admin, uid, ACHV_ALICE, 2, "k", &out));         /* uid vs name */
	assert_false(out.changed);
	assert_int_equal(achv_progress_of(ACHV_ALICE, uid), 2);
	assert_int_equal(achv_progress_of(ACHV_BOB, uid), -1);
	/* The user's uid in another case is the same request. */
	assert_rc(0, add_keyed(&achv_admin, "ten_kills", "A11CE000-0000-4000-8000-000000000002", 2, "k", &out));
	assert_true(out.replay);
}

static void test_keys_belong_to_their_caller(void **state)
{
	(void)state;
	const char *uid = achv_define(5, "ten_kills", 10, false, NULL);
	achievement_progress_out_t a, b;

	assert_rc(0, add_keyed(&achv_alice, "ten_kills", NULL, 1, "shared", &a));
	assert_rc(0, add_keyed(&achv_bob, "ten_kills", NULL, 1, "shared", &b));
	assert_false(b.replay);
	assert_true(b.changed);
	assert_string_equal(b.record.user_uid, ACHV_BOB);
	assert_int_equal(achv_progress_of(ACHV_ALICE, uid), 1);
	assert_int_equal(achv_progress_of(ACHV_BOB, uid), 1);
	assert_int_equal(achv_scalar("SELECT count(*) FROM achievement_idempotency"), 2);
}

static void test_failed_call_leaves_no_key_behind(void **state)
{
	(void)state;
	achievement_progress_out_t out;

	assert_rc(AXR_ENOTFOUND, add_keyed(&achv_alice, "not_yet", NULL, 1, "retry-me", &out));
	assert_int_equal(achv_scalar("SELECT count(*) FROM achievement_idempotency"), 0);
	achv_define(6, "not_yet", 3, false, NULL);
	assert_rc(0, add_keyed(&achv_alice, "not_yet", NULL, 1, "retry-me", &out));
	assert_false(out.replay);
	assert_int_equal(out.record.progress, 1);
}

static void test_key_validity_follows_the_spec_pattern(void **state)
{
	(void)state;
	char longest[ACHIEVEMENT_IDEM_KEY_MAX + 2];
	memset(longest, 'k', sizeof longest);
	longest[ACHIEVEMENT_IDEM_KEY_MAX] = '\0';
	assert_true(achievement_idem_key_valid(longest));
	assert_true(achievement_idem_key_valid("!~"));
	longest[ACHIEVEMENT_IDEM_KEY_MAX] = 'k';
	longest[ACHIEVEMENT_IDEM_KEY_MAX + 1] = '\0';
	assert_false(achievement_idem_key_valid(longest));
	assert_false(achievement_idem_key_valid(""));
	assert_false(achievement_idem_key_valid(NULL));
	assert_false(achievement_idem_key_valid("a b"));
	assert_false(achievement_idem_key_valid("tab\t"));
	assert_false(achievement_idem_key_valid("caf\xc3\xa9"));
}

/* ---- concurrent duplicates ------------------------------------------------------ */

#define ACHV_DUPS 20

typedef struct achv_dup {
	bool changed[ACHV_DUPS], replay[ACHV_DUPS];
	int64_t progress[ACHV_DUPS], version[ACHV_DUPS];
} achv_dup_t;

static int achv_dup_call(axr_db_t *db, axr_arena_t *arena, int i, void *ctx)
{
	achv_dup_t *d = ctx;
	achievement_progress_out_t out;
	achievement_progress_in_t in = {.achievement_id = "ten_kills", .increment = 3, .idempotency_key = "same"};
	int rc = achievement_progress_add(db, arena, &achv_alice, &in, &out);
	d->changed[i] = out.changed;
	d->replay[i] = out.replay;
	d->progress[i] = out.record.progress;
	d->version[i] = out.record.version;
	return rc;
}

static void test_concurrent_duplicates_apply_once_and_all_answer_the_same(void **state)
{
	(void)state;
	const char *uid = achv_define(7, "ten_kills", 10, false, NULL);
	achv_dup_t d;
	int applied = 0;

	achv_race(ACHV_DUPS, achv_dup_call, &d);
	for (int i = 0; i < ACHV_DUPS; i++) {
		applied += d.changed[i];
		assert_int_equal(d.changed[i], !d.replay[i]);
		assert_int_equal(d.progress[i], 3);
		assert_int_equal(d.version[i], 0);
	}
	assert_int_equal(applied, 1);
	assert_int_equal(achv_progress_of(ACHV_ALICE, uid), 3);
}

static void test_purge_forgets_old_keys_and_event_marks(void **state)
{
	(void)state;
	achv_define(8, "ten_kills", 10, false, NULL);
	achievement_progress_out_t out;
	int64_t deleted = -1;

	assert_rc(0, add_keyed(&achv_alice, "ten_kills", NULL, 1, "old", &out));
	assert_rc(0, add_keyed(&achv_alice, "ten_kills", NULL, 1, "new", &out));
	achv_sql("UPDATE achievement_idempotency SET date_created = now() - interval '8 days' WHERE idem_key = 'old'");
	achv_sql("INSERT INTO achievement_event_seen (event_id, user_uid, date_created)"
	         " VALUES ('economy/Transaction/create/x/v0', '%s', now() - interval '8 days'),"
	         " ('economy/Transaction/create/y/v0', '%s', now())",
	         ACHV_ALICE, ACHV_ALICE);
	assert_rc(0, achievement_idem_purge(F.db, ACHIEVEMENT_IDEM_MAX_AGE_S, &deleted));
	assert_int_equal(deleted, 2);
	assert_int_equal(achv_scalar("SELECT count(*) FROM achievement_idempotency WHERE idem_key = 'new'"), 1);
	assert_int_equal(achv_scalar("SELECT count(*) FROM achievement_idempotency"), 1);
	assert_int_equal(achv_scalar("SELECT count(*) FROM achievement_event_seen"), 1);
	/* The purged key is a new request now. */
	assert_rc(0, add_keyed(&achv_alice, "ten_kills", NULL, 1, "old", &out));
	assert_false(out.replay);
	assert_int_equal(out.record.progress, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ACHV_TEST(test_replay_answers_the_original_result_and_adds_nothing),
		ACHV_TEST(test_replay_of_the_unlocking_call_does_not_unlock_again),
		ACHV_TEST(test_same_key_with_another_request_is_unprocessable),
		ACHV_TEST(test_keys_belong_to_their_caller),
		ACHV_TEST(test_failed_call_leaves_no_key_behind),
		ACHV_TEST(test_key_validity_follows_the_spec_pattern),
		ACHV_TEST(test_concurrent_duplicates_apply_once_and_all_answer_the_same),
		ACHV_TEST(test_purge_forgets_old_keys_and_event_marks),
	};
	return ACHV_RUN(tests);
}
