/* test_ticket_request.c: teamSize as the API writes it, and who may queue whom (handlers/matchmaking/ticket_request.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "ticket_request.h"
#include "tests/unit/expect_msg.h"

static void expect_range(const char *json, int want_min, int want_max, bool want_exact)
{
	int min = -1, max = -1;
	bool exact = !want_exact;
	int rc = matchmaking_team_size_parse(json, &min, &max, &exact);
	EXPECT_MSG(rc == 0 && min == want_min && max == want_max && exact == want_exact,
	           "teamSize %s -> %s [%d, %d] exact %d, want [%d, %d] exact %d", json, axr_errname(rc), min, max, exact,
	           want_min, want_max, want_exact);
}

static void test_team_size_reads_integers_and_axr_ranges(void **state)
{
	(void)state;
	expect_range("5", 5, 5, true);
	expect_range("1", 1, 1, true);
	expect_range("64", 64, 64, true);
	expect_range("{\"gte\":3,\"lte\":5}", 3, 5, false);
	expect_range("{\"gt\":2,\"lt\":6}", 3, 5, false);
	expect_range("{\"gte\":4}", 4, 64, false);
	expect_range("{\"lte\":2}", 1, 2, false);
	expect_range("{\"lt\":65}", 1, 64, false);
	expect_range("{\"gte\":5,\"lte\":5}", 5, 5, false);
}

static void test_team_size_rejects_everything_else(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "0", "65", "-1", "5.0", "5.5", "\"5\"", "true", "null", "[]", "{}", "", "5 5",
	    "{\"gte\":6,\"lte\":5}", "{\"gte\":3,\"gt\":2}", "{\"lte\":3,\"lt\":4}", "{\"gte\":0}", "{\"lte\":65}",
	    "{\"gt\":64}", "{\"lt\":1}", "{\"eq\":5}", "{\"gte\":3,\"size\":5}", "{\"gte\":\"3\"}", "{\"gte\":3.5}",
	    "{\"gte\":3,\"gte\":4}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int min = 7, max = 7;
		bool exact = true;
		int rc = matchmaking_team_size_parse(bad[i], &min, &max, &exact);
		EXPECT_MSG(rc == AXR_EINVAL && min == 7 && max == 7 && exact, "teamSize %s -> %s [%d, %d]", bad[i],
		           axr_errname(rc), min, max);
	}
	int min, max;
	bool exact;
	assert_int_equal(matchmaking_team_size_parse(NULL, &min, &max, &exact), AXR_EINVAL);
}

static void test_team_size_json_round_trips(void **state)
{
	(void)state;
	char out[32];
	assert_int_equal(matchmaking_team_size_json(5, 5, true, out, sizeof out), 0);
	assert_string_equal(out, "5");
	assert_int_equal(matchmaking_team_size_json(3, 64, false, out, sizeof out), 0);
	assert_string_equal(out, "{\"gte\":3,\"lte\":64}");
	expect_range(out, 3, 64, false);
	assert_int_equal(matchmaking_team_size_json(3, 64, false, out, 8), AXR_ETOOBIG);
}

static void test_only_trusted_callers_queue_other_users(void **state)
{
	(void)state;
	const char *me = "0a1b2c3d-0000-4000-8000-00000000000a";
	const char *mine[] = {"0A1B2C3D-0000-4000-8000-00000000000A"};
	const char *party[] = {me, "0a1b2c3d-0000-4000-8000-00000000000b"};
	assert_int_equal(matchmaking_ticket_party_allowed(me, false, NULL, 0), 0);
	assert_int_equal(matchmaking_ticket_party_allowed(me, false, mine, 1), 0);
	assert_int_equal(matchmaking_ticket_party_allowed(me, false, party, 2), AXR_EFORBIDDEN);
	assert_int_equal(matchmaking_ticket_party_allowed(me, true, party, 2), 0);
	assert_int_equal(matchmaking_ticket_party_allowed(NULL, false, NULL, 0), AXR_EUNAUTHORIZED);
	assert_int_equal(matchmaking_ticket_party_allowed(NULL, true, party, 2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_team_size_reads_integers_and_axr_ranges),
	    cmocka_unit_test(test_team_size_rejects_everything_else),
	    cmocka_unit_test(test_team_size_json_round_trips),
	    cmocka_unit_test(test_only_trusted_callers_queue_other_users),
	};
	return cmocka_run_group_tests_name("matchmaking ticket request", tests, NULL, NULL);
}
