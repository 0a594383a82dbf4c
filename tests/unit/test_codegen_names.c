/* test_codegen_names.c: unit tests for the names axrgen derives (snake_case, messages, protoc-c, C literals). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gen.h"

static axrgen_gen_t *gen;
static jmp_buf oom;

static int setup(void **state)
{
	(void)state;
	gen = calloc(1, sizeof(*gen));
	gen->arena = axr_arena_new(0);
	gen->oom = &oom;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	axr_arena_free(gen->arena);
	free(gen);
	return 0;
}

#define EXPECT(fn, in, want)                                                                         \
	do {                                                                                         \
		const char *got_ = fn(gen, in);                                                      \
		if (strcmp(got_, (want)) != 0)                                                       \
			fail_msg("%s(\"%s\") = \"%s\", want \"%s\"", #fn, (in), got_, (want));       \
	} while (0)

static void test_snake_case_splits_words_at_case_changes_and_symbols(void **state)
{
	(void)state;
	EXPECT(axrgen_snake, "dateCreated", "date_created");
	EXPECT(axrgen_snake, "userID", "user_id");
	EXPECT(axrgen_snake, "HTTPServer", "http_server");
	EXPECT(axrgen_snake, "X-Request-Id", "x_request_id");
	EXPECT(axrgen_snake, "routes.QuestRoute.findAll", "routes_quest_route_find_all");
	EXPECT(axrgen_snake, "v1Items", "v1_items");
	EXPECT(axrgen_snake, "get2fa", "get2fa");
	EXPECT(axrgen_snake, "__a__b__", "a_b");
	EXPECT(axrgen_snake, "$%", "");
	EXPECT(axrgen_snake, "caf\xc3\xa9" "Bar", "caf_bar");
}

static void test_pascal_case_capitalises_each_word(void **state)
{
	(void)state;
	EXPECT(axrgen_pascal, "models.QuestDefinition", "ModelsQuestDefinition");
	EXPECT(axrgen_pascal, "user_profile", "UserProfile");
	EXPECT(axrgen_pascal, "getUser", "GetUser");
	EXPECT(axrgen_pascal, "2fa", "M2fa");
	EXPECT(axrgen_pascal, "-", "");
	EXPECT(axrgen_upper, "lightBlue x", "LIGHT_BLUE_X");
	EXPECT(axrgen_ident_part, "models.Quest--Def_", "models_Quest_Def");
}

/* Pinned against protoc-c 1.4's own output (CamelToLower and ToCamel). */
static void test_protoc_names_match_protoc_c(void **state)
{
	(void)state;
	EXPECT(axrgen_protoc_lower, "ModelsQuestDefinition", "models_quest_definition");
	EXPECT(axrgen_protoc_lower, "HTTPServerX", "httpserver_x");
	EXPECT(axrgen_protoc_lower, "Foo2Bar", "foo2_bar");
	EXPECT(axrgen_protoc_lower, "AbcDEf", "abc_def");
	EXPECT(axrgen_protoc_lower, "ABCList", "abclist");
	EXPECT(axrgen_protoc_camel, "my_svc", "MySvc");
	EXPECT(axrgen_protoc_camel, "svc2x_a", "Svc2xA");
}

static void test_c_strings_escape_quotes_controls_and_trigraphs(void **state)
{
	(void)state;
	const char raw[] = "a\"b\\c\n?\?=\0z\xc3\xa9";
	const char *got = axrgen_c_string(gen, raw, sizeof(raw) - 1);
	assert_string_equal(got, "\"a\\\"b\\\\c\\012\\?\\?=\\000z\xc3\xa9\"");
}

static void test_unique_names_get_a_number(void **state)
{
	(void)state;
	axrgen_names_t set = {0};
	assert_string_equal(axrgen_names_unique(gen, &set, "Item"), "Item");
	assert_string_equal(axrgen_names_unique(gen, &set, "Item"), "Item2");
	assert_string_equal(axrgen_names_unique(gen, &set, "Item"), "Item3");
	assert_string_equal(axrgen_names_unique(gen, &set, "v1"), "v1");
	assert_string_equal(axrgen_names_unique(gen, &set, "v1"), "v1_2");
	for (int i = 0; i < 200; i++) /* grows past its first table */
		axrgen_names_add(gen, &set, axrgen_printf_g(gen, "n%d", i));
	assert_true(axrgen_names_has(&set, "n199"));
	assert_true(axrgen_names_has(&set, "Item2"));
	assert_false(axrgen_names_has(&set, "n200"));
}

static void test_field_names_avoid_c_keywords_and_protobuf_c_members(void **state)
{
	(void)state;
	axrgen_field_t f[4] = {0};
	f[0].name = axrgen_field_name(gen, f, 0, "default", "field");
	f[1].name = axrgen_field_name(gen, f, 1, "base", "field");
	f[2].name = axrgen_field_name(gen, f, 2, "note", "field");
	f[3].name = axrgen_field_name(gen, f, 3, "hasNote", "field");
	assert_string_equal(f[0].name, "default_");
	assert_string_equal(f[1].name, "base_");
	axrgen_fix_member_clashes(gen, f, 4);
	assert_string_equal(f[2].name, "note");
	assert_string_equal(f[3].name, "has_note_");
	assert_string_equal(axrgen_field_name(gen, f, 4, "note", "field"), "note_2");
	assert_string_equal(axrgen_field_name(gen, f, 4, "9lives", "field"), "f_9lives");
	assert_string_equal(axrgen_field_name(gen, f, 4, "$", "field"), "field");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snake_case_splits_words_at_case_changes_and_symbols),
		cmocka_unit_test(test_pascal_case_capitalises_each_word),
		cmocka_unit_test(test_protoc_names_match_protoc_c),
		cmocka_unit_test(test_c_strings_escape_quotes_controls_and_trigraphs),
		cmocka_unit_test(test_unique_names_get_a_number),
		cmocka_unit_test(test_field_names_avoid_c_keywords_and_protobuf_c_members),
	};
	return cmocka_run_group_tests_name("codegen_names", tests, setup, teardown);
}
