/* test_messages.c: stored tickets and matches as the API's messages and JSON (what GET answers and events carry). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "buf.h"
#include "codec.h"
#include "err.h"
#include "messages.h"
#include "tests/unit/expect_msg.h"

#include "matchmaking_schema.h"

/* The REST JSON of `msg` described by `schema`, in `arena`. */
static const char *to_json(axr_arena_t *arena, const axr_schema_t *schema, const ProtobufCMessage *msg)
{
	axr_buf_t b = AXR_BUF_INIT;
	int rc = axr_codec_to_json(schema, msg, AXR_CODEC_RESPONSE, &b);
	EXPECT_MSG(rc == 0, "to_json -> %s", axr_errname(rc));
	const char *out = axr_arena_strdup(arena, b.data ? b.data : "");
	axr_buf_free(&b);
	return out;
}

#define EXPECT_JSON(got, want) EXPECT_MSG(strcmp((got), (want)) == 0, "\n  got  %s\n  want %s", (got), (want))

static void test_ticket_row_becomes_the_api_ticket(void **state)
{
	(void)state;
	axr_arena_t *arena = axr_arena_new(0);
	const char *users[] = {"0a1b2c3d-0000-4000-8000-00000000000a", "0a1b2c3d-0000-4000-8000-00000000000b"};
	matchmaking_criterion_t criteria[] = {{.name = "mode", .value = "ranked"}, {.name = "region", .value = "eu"}};
	matchmaking_ticket_row_t row = {
	    .uid = "11111111-2222-4333-8444-555555555555", .date_created = "2026-01-02T03:04:05.006Z",
	    .date_modified = "2026-01-02T03:04:06.000Z", .version = 1, .users = users, .n_users = 2,
	    .host_uid = users[0], .criteria = criteria, .n_criteria = 2, .skill = 1234.5, .has_latency = true,
	    .latency = 42, .num_teams = 2, .team_min = 3, .team_max = 5, .num_users = 2,
	    .status = MATCHMAKING_MATCH_FOUND, .match_uid = "99999999-2222-4333-8444-555555555555",
	    .date_expires = "2026-01-02T03:06:05.006Z", .date_closed = "2026-01-02T03:04:06.000Z"};
	Matchmaking__Ticket *t = NULL;
	assert_int_equal(matchmaking_ticket_message(arena, &row, &t), 0);
	EXPECT_JSON(to_json(arena, &matchmaking_schema_Ticket, &t->base),
	            "{\"criteria\":[{\"name\":\"mode\",\"value\":\"ranked\"},{\"name\":\"region\",\"value\":\"eu\"}],"
	            "\"dateClosed\":\"2026-01-02T03:04:06.000Z\",\"dateCreated\":\"2026-01-02T03:04:05.006Z\","
	            "\"dateExpires\":\"2026-01-02T03:06:05.006Z\",\"dateModified\":\"2026-01-02T03:04:06.000Z\","
	            "\"hostUid\":\"0a1b2c3d-0000-4000-8000-00000000000a\","
	            "\"matchUid\":\"99999999-2222-4333-8444-555555555555\",\"numTeams\":2,\"numUsers\":2,"
	            "\"statistics\":{\"latency\":42,\"skillrating\":1234.5},\"status\":\"MATCH_FOUND\","
	            "\"teamSize\":{\"gte\":3,\"lte\":5},\"uid\":\"11111111-2222-4333-8444-555555555555\","
	            "\"users\":[\"0a1b2c3d-0000-4000-8000-00000000000a\",\"0a1b2c3d-0000-4000-8000-00000000000b\"],"
	            "\"version\":1}");
	/* a queued ticket: exact teamSize as a number, no matchUid, dateClosed or latency, empty criteria */
	row = (matchmaking_ticket_row_t){.uid = row.uid, .date_created = row.date_created,
	                                 .date_modified = row.date_created, .users = users, .n_users = 1,
	                                 .host_uid = users[0], .skill = 0, .num_teams = 1, .team_min = 4, .team_max = 4,
	                                 .team_exact = true, .num_users = 1, .status = MATCHMAKING_QUEUED,
	                                 .date_expires = row.date_expires};
	assert_int_equal(matchmaking_ticket_message(arena, &row, &t), 0);
	EXPECT_JSON(to_json(arena, &matchmaking_schema_Ticket, &t->base),
	            "{\"criteria\":[],\"dateCreated\":\"2026-01-02T03:04:05.006Z\","
	            "\"dateExpires\":\"2026-01-02T03:06:05.006Z\",\"dateModified\":\"2026-01-02T03:04:05.006Z\","
	            "\"hostUid\":\"0a1b2c3d-0000-4000-8000-00000000000a\",\"numTeams\":1,\"numUsers\":1,"
	            "\"statistics\":{\"skillrating\":0},\"status\":\"QUEUED\",\"teamSize\":4,"
	            "\"uid\":\"11111111-2222-4333-8444-555555555555\","
	            "\"users\":[\"0a1b2c3d-0000-4000-8000-00000000000a\"],\"version\":0}");
	axr_arena_free(arena);
}

static void test_match_row_becomes_the_api_match(void **state)
{
	(void)state;
	axr_arena_t *arena = axr_arena_new(0);
	const char *a[] = {"0a1b2c3d-0000-4000-8000-00000000000a"}, *b[] = {"0a1b2c3d-0000-4000-8000-00000000000b"};
	const char *ta[] = {"1a1b2c3d-0000-4000-8000-00000000000a"}, *tb[] = {"1a1b2c3d-0000-4000-8000-00000000000b"};
	const char *tickets[] = {ta[0], tb[0]}, *players[] = {a[0], b[0]};
	matchmaking_team_row_t teams[] = {{.members = a, .n_members = 1, .tickets = ta, .n_tickets = 1, .skill = 1500},
	                                  {.members = b, .n_members = 1, .tickets = tb, .n_tickets = 1, .skill = 1550.25}};
	matchmaking_criterion_t criteria[] = {{.name = "mode", .value = "duel"}};
	matchmaking_match_row_t row = {
	    .uid = "99999999-2222-4333-8444-555555555555", .date_created = "2026-01-02T03:04:06.000Z",
	    .date_modified = "2026-01-02T03:04:06.000Z", .criteria = criteria, .n_criteria = 1, .num_teams = 2,
	    .team_size = 1, .teams = teams, .n_teams = 2, .tickets = tickets, .n_tickets = 2, .players = players,
	    .n_players = 2, .skill_spread = 50.25, .team_skill_diff = 50.25};
	Matchmaking__Match *m = NULL;
	assert_int_equal(matchmaking_match_message(arena, &row, &m), 0);
	EXPECT_JSON(to_json(arena, &matchmaking_schema_Match, &m->base),
	            "{\"criteria\":[{\"name\":\"mode\",\"value\":\"duel\"}],\"dateCreated\":\"2026-01-02T03:04:06.000Z\","
	            "\"dateModified\":\"2026-01-02T03:04:06.000Z\",\"numTeams\":2,"
	            "\"players\":[\"0a1b2c3d-0000-4000-8000-00000000000a\",\"0a1b2c3d-0000-4000-8000-00000000000b\"],"
	            "\"skillSpread\":50.25,\"teamSize\":1,\"teamSkillDifference\":50.25,"
	            "\"teams\":[{\"members\":[\"0a1b2c3d-0000-4000-8000-00000000000a\"],\"skillrating\":1500,"
	            "\"tickets\":[\"1a1b2c3d-0000-4000-8000-00000000000a\"]},"
	            "{\"members\":[\"0a1b2c3d-0000-4000-8000-00000000000b\"],\"skillrating\":1550.25,"
	            "\"tickets\":[\"1a1b2c3d-0000-4000-8000-00000000000b\"]}],"
	            "\"tickets\":[\"1a1b2c3d-0000-4000-8000-00000000000a\",\"1a1b2c3d-0000-4000-8000-00000000000b\"],"
	            "\"uid\":\"99999999-2222-4333-8444-555555555555\",\"version\":0}");
	/* the message owns copies: the row's strings may go */
	assert_ptr_not_equal(m->players[0], players[0]);
	assert_string_equal(m->teams[1]->members[0], b[0]);
	axr_arena_free(arena);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ticket_row_becomes_the_api_ticket),
	    cmocka_unit_test(test_match_row_becomes_the_api_match),
	};
	return cmocka_run_group_tests_name("matchmaking messages", tests, NULL, NULL);
}
