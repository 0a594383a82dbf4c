/* test_visibility.c: who sees which definitions and records (handlers/achievement/visibility.c), through the runtime's query language, on a real PostgreSQL. */
#define ACHV_TAG "vis"
#include "achievement_fixture.h"

#include "entity.h"
#include "progress.h"
#include "query.h"
#include "validate.h"
#include "visibility.h"

/* The columns of the generated entities (achievement_entities.c), which is
 * all the query parser reads. */
#define BASE_COLUMNS                                                                                 \
	{.name = "uid", .json_name = "uid", .type = AXR_COL_UUID, .flags = AXR_COLUMN_READ_ONLY},         \
	{.name = "date_created", .json_name = "dateCreated", .type = AXR_COL_TIMESTAMPTZ},                \
	{.name = "date_modified", .json_name = "dateModified", .type = AXR_COL_TIMESTAMPTZ},              \
	{.name = "version", .json_name = "version", .type = AXR_COL_BIGINT}

static const axr_column_t definition_columns[] = {
	BASE_COLUMNS,
	{.name = "name", .json_name = "name", .type = AXR_COL_TEXT, .flags = AXR_COLUMN_IDENTIFIER},
	{.name = "title", .json_name = "title", .type = AXR_COL_TEXT},
	{.name = "description", .json_name = "description", .type = AXR_COL_TEXT},
	{.name = "badge", .json_name = "badge", .type = AXR_COL_TEXT},
	{.name = "target", .json_name = "target", .type = AXR_COL_BIGINT},
	{.name = "hidden", .json_name = "hidden", .type = AXR_COL_BOOLEAN},
	{.name = "points", .json_name = "points", .type = AXR_COL_BIGINT},
	{.name = "data", .json_name = "data", .type = AXR_COL_JSONB},
	{.name = "trigger", .json_name = "trigger", .type = AXR_COL_JSONB},
};
static const axr_entity_t definition_entity = {
	.name = "AchievementDefinition", .table = "achievement_definition", .columns = definition_columns,
	.n_columns = sizeof definition_columns / sizeof definition_columns[0], .owner_column = -1,
	.identifier_column = 4};

static const axr_column_t record_columns[] = {
	BASE_COLUMNS,
	{.name = "achievement_uid", .json_name = "achievementUid", .type = AXR_COL_UUID},
	{.name = "user_uid", .json_name = "userUid", .type = AXR_COL_UUID, .flags = AXR_COLUMN_OWNER},
	{.name = "progress", .json_name = "progress", .type = AXR_COL_BIGINT},
	{.name = "unlocked", .json_name = "unlocked", .type = AXR_COL_BOOLEAN},
	{.name = "date_unlocked", .json_name = "dateUnlocked", .type = AXR_COL_TIMESTAMPTZ},
};
static const axr_entity_t record_entity = {
	.name = "UserAchievement", .table = "user_achievement", .columns = record_columns,
	.n_columns = sizeof record_columns / sizeof record_columns[0], .owner_column = 5, .identifier_column = -1};

/* `query` parsed as the adapter will (axr_query_parse on the request). */
static const axr_query_t *parse(const axr_entity_t *e, const char *query, const achievement_caller_t *who)
{
	axr_query_t *q = axr_arena_calloc(F.arena, 1, sizeof *q);
	axr_verrors_t errs;
	axr_verrors_init(&errs, F.arena, 8);
	assert_non_null(q);
	int rc = axr_query_parse_string(query, who->uid, F.arena, e, NULL, q, &errs);
	if (rc != 0)
		print_error("%s: %s (%s)\n", query, axr_errname(rc), errs.count ? errs.items[0].message : "");
	assert_int_equal(rc, 0);
	return q;
}

/* The names of the visible definitions, comma-separated ("" for none). */
static const char *names(const achievement_caller_t *who, const char *query)
{
	axr_db_result_t *r = NULL;
	const axr_query_t *q = query ? parse(&definition_entity, query, who) : NULL;
	assert_rc(0, achievement_definition_list(F.db, F.arena, who, q, "name", &r));
	char *s = axr_arena_strdup(F.arena, "");
	for (int i = 0; i < axr_db_result_rows(r); i++)
		s = axr_arena_printf(F.arena, "%s%s%s", s, i ? "," : "", axr_db_result_text(r, i, 0, NULL));
	axr_db_result_free(r);
	return s;
}

static int64_t count(const achievement_caller_t *who, const char *query)
{
	int64_t n = -1;
	const axr_query_t *q = query ? parse(&definition_entity, query, who) : NULL;
	assert_rc(0, achievement_definition_count(F.db, F.arena, who, q, &n));
	return n;
}

static void progress(const achievement_caller_t *who, const char *id, int64_t inc)
{
	achievement_progress_out_t out;
	achievement_progress_in_t in = {.achievement_id = id, .increment = inc};
	assert_rc(0, achievement_progress_add(F.db, F.arena, who, &in, &out));
}

/* The user's records as "name:progress" in the list's order. */
static const char *records(const achievement_caller_t *who, const char *user, const char *query)
{
	achievement_record_t *rows = NULL;
	size_t n = 0;
	const axr_query_t *q = query ? parse(&record_entity, query, who) : NULL;
	assert_rc(0, achievement_user_list(F.db, F.arena, who, user, q, &rows, &n));
	char *s = axr_arena_strdup(F.arena, "");
	for (size_t i = 0; i < n; i++) {
		int64_t def = achv_scalar("SELECT right(uid::text, 4)::int FROM achievement_definition WHERE uid = '%s'",
		                          rows[i].achievement_uid);
		s = axr_arena_printf(F.arena, "%s%sd%" PRId64 ":%" PRId64, s, i ? "," : "", def, rows[i].progress);
	}
	return s;
}

static void test_hidden_definitions_are_listed_to_a_player_only_once_unlocked(void **state)
{
	(void)state;
	achv_define(1, "a_open", 1, false, NULL);
	achv_define(2, "b_hidden", 1, true, NULL);
	achv_define(3, "c_hidden", 5, true, NULL);
	progress(&achv_alice, "b_hidden", 1); /* unlocked */
	progress(&achv_bob, "c_hidden", 2);   /* in progress only */

	assert_string_equal(names(&achv_alice, NULL), "a_open,b_hidden");
	assert_string_equal(names(&achv_bob, NULL), "a_open");
	assert_string_equal(names(&achv_admin, NULL), "a_open,b_hidden,c_hidden");
	assert_int_equal(count(&achv_alice, NULL), 2);
	assert_int_equal(count(&achv_bob, NULL), 1);
	assert_int_equal(count(&achv_admin, NULL), 3);

	progress(&achv_bob, "c_hidden", 3);
	assert_string_equal(names(&achv_bob, NULL), "a_open,c_hidden");
}

static void test_hidden_definition_is_not_found_until_unlocked(void **state)
{
	(void)state;
	const char *uid = achv_define(4, "secret", 2, true, NULL);
	axr_db_result_t *r = NULL;

	assert_rc(AXR_ENOTFOUND, achievement_definition_get(F.db, F.arena, &achv_bob, "secret", "name", &r));
	assert_null(r);
	assert_rc(AXR_ENOTFOUND, achievement_definition_get(F.db, F.arena, &achv_bob, uid, "name", &r));
	assert_rc(AXR_ENOTFOUND, achievement_definition_get(F.db, F.arena, &achv_bob, "missing", "name", &r));
	assert_rc(0, achievement_definition_get(F.db, F.arena, &achv_admin, "secret", "name", &r));
	assert_string_equal(axr_db_result_text(r, 0, 0, NULL), "secret");
	axr_db_result_free(r);

	progress(&achv_bob, "secret", 1);
	assert_rc(AXR_ENOTFOUND, achievement_definition_get(F.db, F.arena, &achv_bob, "secret", "name", &r));
	progress(&achv_bob, "secret", 1);
	assert_rc(0, achievement_definition_get(F.db, F.arena, &achv_bob, uid, "uid::text, name", &r));
	assert_string_equal(axr_db_result_text(r, 0, 0, NULL), uid);
	assert_string_equal(axr_db_result_text(r, 0, 1, NULL), "secret");
	axr_db_result_free(r);
	/* Alice still does not see it. */
	assert_rc(AXR_ENOTFOUND, achievement_definition_get(F.db, F.arena, &achv_alice, "secret", "name", &r));
}

static void test_queries_filter_sort_and_page_within_what_is_visible(void **state)
{
	(void)state;
	const char *open[] = {"e_five", "a_one", "d_four", "c_three", "b_two"};
	for (unsigned i = 0; i < 5; i++)
		achv_define(10 + i, open[i], 1, false, NULL);
	achv_define(20, "aa_hidden", 1, true, NULL);
	achv_define(21, "zz_hidden", 1, true, NULL);
	achv_sql("UPDATE achievement_definition SET points = 100 WHERE name IN ('b_two', 'zz_hidden')");

	assert_string_equal(names(&achv_alice, "sort=name"), "a_one,b_two,c_three,d_four,e_five");
	assert_string_equal(names(&achv_alice, "sort=%7B%22name%22:%22DESC%22%7D&limit=2&page=1"), "c_three,b_two");
	assert_string_equal(names(&achv_alice, "sort=name&limit=2&page=2"), "e_five");
	assert_string_equal(names(&achv_alice, "points=gte(50)"), "b_two");
	assert_string_equal(names(&achv_admin, "points=gte(50)&sort=name"), "b_two,zz_hidden");
	assert_string_equal(names(&achv_alice, "name=like(a%25)&sort=name"), "a_one");
	assert_int_equal(count(&achv_alice, "points=gte(50)"), 1);
	assert_int_equal(count(&achv_alice, "limit=1"), 5); /* a count ignores paging */
	assert_int_equal(count(&achv_admin, NULL), 7);
	/* Filtering on `hidden` reveals nothing. */
	assert_string_equal(names(&achv_alice, "hidden=true"), "");
}

static void test_anonymous_callers_see_nothing(void **state)
{
	(void)state;
	achievement_caller_t anonymous = {0};
	axr_db_result_t *r = NULL;
	achievement_record_t *rows = NULL;
	size_t n = 0;
	int64_t c = 0;

	achv_define(30, "open", 1, false, NULL);
	assert_rc(AXR_EUNAUTHORIZED, achievement_definition_list(F.db, F.arena, &anonymous, NULL, "name", &r));
	assert_rc(AXR_EUNAUTHORIZED, achievement_definition_count(F.db, F.arena, &anonymous, NULL, &c));
	assert_rc(AXR_EUNAUTHORIZED, achievement_definition_get(F.db, F.arena, &anonymous, "open", "name", &r));
	assert_rc(AXR_EUNAUTHORIZED, achievement_user_list(F.db, F.arena, &anonymous, "me", NULL, &rows, &n));
	assert_null(r);
}

static void test_another_users_records_are_not_found_unless_admin(void **state)
{
	(void)state;
	achievement_record_t *rows = NULL;
	size_t n = 0;
	int64_t c = -1;

	achv_define(1, "first", 5, false, NULL);
	achv_define(2, "second", 5, false, NULL);
	progress(&achv_alice, "first", 1);
	progress(&achv_alice, "second", 2);
	progress(&achv_bob, "first", 3);

	assert_string_equal(records(&achv_alice, "me", NULL), "d1:1,d2:2");
	assert_string_equal(records(&achv_alice, ACHV_ALICE, NULL), "d1:1,d2:2");
	assert_string_equal(records(&achv_alice, "A11CE000-0000-4000-8000-000000000002", NULL), "d1:1,d2:2");
	assert_string_equal(records(&achv_bob, "me", NULL), "d1:3");
	assert_string_equal(records(&achv_admin, ACHV_ALICE, NULL), "d1:1,d2:2");
	assert_string_equal(records(&achv_admin, "me", NULL), "");

	assert_rc(AXR_ENOTFOUND, achievement_user_list(F.db, F.arena, &achv_bob, ACHV_ALICE, NULL, &rows, &n));
	assert_null(rows);
	assert_int_equal(n, 0);
	assert_rc(AXR_ENOTFOUND, achievement_user_count(F.db, F.arena, &achv_bob, ACHV_ALICE, NULL, &c));
	assert_int_equal(c, 0);
	/* The same answer for a user that does not exist at all. */
	assert_rc(AXR_ENOTFOUND, achievement_user_list(F.db, F.arena, &achv_bob, "00000000-0000-4000-8000-00000000dead",
	                                               NULL, &rows, &n));
	assert_rc(AXR_EINVAL, achievement_user_list(F.db, F.arena, &achv_admin, "alice", NULL, &rows, &n));
	assert_rc(0, achievement_user_count(F.db, F.arena, &achv_admin, ACHV_ALICE, NULL, &c));
	assert_int_equal(c, 2);
	assert_rc(0, achievement_user_count(F.db, F.arena, &achv_bob, "me", NULL, &c));
	assert_int_equal(c, 1);
}

static void test_player_list_hides_hidden_in_progress_and_deleted_definitions(void **state)
{
	(void)state;
	const char *gone = achv_define(4, "gone", 5, false, NULL);
	achv_define(1, "open", 5, false, NULL);
	achv_define(2, "hidden_done", 1, true, NULL);
	achv_define(3, "hidden_started", 5, true, NULL);
	progress(&achv_alice, "open", 1);
	progress(&achv_alice, "hidden_done", 1);
	progress(&achv_alice, "hidden_started", 1);
	progress(&achv_alice, "gone", 1);
	achv_sql("DELETE FROM achievement_definition WHERE uid = '%s'", gone);

	assert_string_equal(records(&achv_alice, "me", "sort=achievementUid"), "d1:1,d2:1");
	assert_string_equal(records(&achv_admin, ACHV_ALICE, "sort=achievementUid"), "d1:1,d2:1,d3:1");
	int64_t c = -1;
	assert_rc(0, achievement_user_count(F.db, F.arena, &achv_alice, "me", NULL, &c));
	assert_int_equal(c, 2);
	/* Progress on a deleted definition is a 404. */
	achievement_progress_out_t out;
	achievement_progress_in_t in = {.achievement_id = gone, .increment = 1};
	assert_rc(AXR_ENOTFOUND, achievement_progress_add(F.db, F.arena, &achv_alice, &in, &out));
}

static void test_player_list_filters_sorts_and_pages(void **state)
{
	(void)state;
	for (unsigned i = 1; i <= 6; i++)
		achv_define(i, axr_arena_printf(F.arena, "goal_%u", i), 3, false, NULL);
	for (unsigned i = 1; i <= 6; i++)
		progress(&achv_alice, axr_arena_printf(F.arena, "goal_%u", i), i % 2 ? 3 : 1);

	assert_string_equal(records(&achv_alice, "me", "unlocked=true&sort=achievementUid"), "d1:3,d3:3,d5:3");
	assert_string_equal(records(&achv_alice, "me", "unlocked=false&sort=achievementUid"), "d2:1,d4:1,d6:1");
	assert_string_equal(records(&achv_alice, "me", "sort=%7B%22achievementUid%22:%22DESC%22%7D&limit=4&page=1"),
	                    "d2:1,d1:3");
	assert_string_equal(records(&achv_alice, "me", "progress=lt(2)&sort=achievementUid&limit=1"), "d2:1");
	assert_string_equal(records(&achv_bob, "me", "unlocked=true"), "");
	int64_t c = -1;
	assert_rc(0, achievement_user_count(F.db, F.arena, &achv_alice, "me",
	                                    parse(&record_entity, "unlocked=true", &achv_alice), &c));
	assert_int_equal(c, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ACHV_TEST(test_hidden_definitions_are_listed_to_a_player_only_once_unlocked),
		ACHV_TEST(test_hidden_definition_is_not_found_until_unlocked),
		ACHV_TEST(test_queries_filter_sort_and_page_within_what_is_visible),
		ACHV_TEST(test_anonymous_callers_see_nothing),
		ACHV_TEST(test_another_users_records_are_not_found_unless_admin),
		ACHV_TEST(test_player_list_hides_hidden_in_progress_and_deleted_definitions),
		ACHV_TEST(test_player_list_filters_sorts_and_pages),
	};
	return ACHV_RUN(tests);
}
