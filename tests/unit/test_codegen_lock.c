/* test_codegen_lock.c: unit tests for spec/<svc>.lock: stable, appended, never reused field numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "lockfile.h"

typedef struct fixture {
	axr_arena_t *arena;
	axrgen_lock_t lock;
	char errors[1024]; /* "line:col message;" per reported error */
} fixture_t;

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));
	f->arena = axr_arena_new(0);
	axrgen_lock_init(&f->lock, f->arena);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	axr_arena_free(f->arena);
	free(f);
	return 0;
}

static void on_error(void *ctx, axrgen_pos_t pos, const char *message)
{
	fixture_t *f = ctx;
	size_t n = strlen(f->errors);
	snprintf(f->errors + n, sizeof(f->errors) - n, "%u:%u %s;", (unsigned)pos.line, (unsigned)pos.col, message);
}

/* Numbers `names` (override per name after '=', e.g. "weight=40") as
 * message `msg` and returns "name=N ..." plus " | reserved a b". */
static const char *assign(fixture_t *f, const char *msg, const char *const *names, size_t n)
{
	axrgen_lock_field_t fields[32];
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(names[i], '=');
		fields[i] = (axrgen_lock_field_t){
			.name = eq ? axr_arena_strndup(f->arena, names[i], (size_t)(eq - names[i])) : names[i],
			.override = eq ? (uint32_t)atoi(eq + 1) : 0,
			.pos = {.file = "t.yaml", .line = (uint32_t)i + 1, .col = 3}};
	}
	uint32_t *retired = NULL;
	size_t n_retired = 0;
	assert_int_equal(axrgen_lock_assign(&f->lock, msg, fields, n, &retired, &n_retired, on_error, f), 0);
	static char out[512];
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s=%u", i ? " " : "", fields[i].name,
			 (unsigned)fields[i].number);
	if (n_retired > 0) {
		snprintf(out + strlen(out), sizeof(out) - strlen(out), " | reserved");
		for (size_t i = 0; i < n_retired; i++)
			snprintf(out + strlen(out), sizeof(out) - strlen(out), " %u", (unsigned)retired[i]);
	}
	return out;
}

#define ASSIGN(f, msg, want, ...)                                                                              \
	do {                                                                                                   \
		const char *const names_[] = {__VA_ARGS__};                                                    \
		const char *got_ = assign((f), (msg), names_, sizeof(names_) / sizeof(names_[0]));             \
		if (strcmp(got_, (want)) != 0)                                                                 \
			fail_msg("assigned '%s', want '%s'", got_, (want));                                    \
	} while (0)

static const char *format(fixture_t *f)
{
	const char *text = axrgen_lock_format(&f->lock, "t.lock", f->arena);
	assert_non_null(text);
	/* Skip the header comment. */
	while (*text == '#')
		text = strchr(text, '\n') + 1;
	return text;
}

static void test_new_fields_are_numbered_in_written_order_from_one(void **state)
{
	fixture_t *f = *state;
	ASSIGN(f, "Item", "uid=1 name=2 quantity=3", "uid", "name", "quantity");
	assert_string_equal(format(f), "Item.uid = 1\nItem.name = 2\nItem.quantity = 3\n");
	assert_true(f->lock.changed);
}

static void test_a_known_field_keeps_its_number_and_a_new_one_is_appended(void **state)
{
	fixture_t *f = *state;
	ASSIGN(f, "Item", "uid=1 name=2 quantity=3", "uid", "name", "quantity");
	f->lock.changed = false;
	/* A property inserted in the middle of the spec: old numbers stay. */
	ASSIGN(f, "Item", "uid=1 color=4 name=2 quantity=3", "uid", "color", "name", "quantity");
	assert_true(f->lock.changed);
	f->lock.changed = false;
	ASSIGN(f, "Item", "uid=1 color=4 name=2 quantity=3", "uid", "color", "name", "quantity");
	assert_false(f->lock.changed);
}

static void test_a_removed_field_is_retired_and_its_number_never_reused(void **state)
{
	fixture_t *f = *state;
	ASSIGN(f, "Item", "uid=1 name=2 quantity=3", "uid", "name", "quantity");
	ASSIGN(f, "Item", "uid=1 quantity=3 | reserved 2", "uid", "quantity");
	assert_string_equal(format(f), "Item.uid = 1\nretired Item.name = 2\nItem.quantity = 3\n");
	/* A new field goes after every number ever used, even the retired one. */
	ASSIGN(f, "Item", "uid=1 quantity=3 price=4 | reserved 2", "uid", "quantity", "price");
	/* Coming back under the same name, it still gets a new number. */
	ASSIGN(f, "Item", "uid=1 name=5 quantity=3 price=4 | reserved 2", "uid", "name", "quantity", "price");
	assert_string_equal(format(f), "Item.uid = 1\nretired Item.name = 2\nItem.quantity = 3\n"
				       "Item.price = 4\nItem.name = 5\n");
}

static void test_x_protobuf_index_overrides_without_pushing_the_others(void **state)
{
	fixture_t *f = *state;
	ASSIGN(f, "Item", "uid=1 weight=3 name=2 color=4", "uid", "weight=3", "name", "color");
	ASSIGN(f, "Pet", "a=1 b=40 c=2", "a", "b=40", "c");
	/* Once locked, new fields come after the highest number. */
	ASSIGN(f, "Pet", "a=1 b=40 c=2 d=41", "a", "b=40", "c", "d");
	assert_string_equal(f->errors, "");
}

static void test_x_protobuf_index_may_not_take_another_fields_number(void **state)
{
	fixture_t *f = *state;
	ASSIGN(f, "Item", "uid=1 name=2 quantity=3", "uid", "name", "quantity");
	ASSIGN(f, "Item", "uid=1 quantity=3 | reserved 2", "uid", "quantity");
	/* 2 was name's: a retired number is never given to another field. */
	ASSIGN(f, "Item", "uid=1 quantity=3 price=0 | reserved 2", "uid", "quantity", "price=2");
	assert_string_equal(f->errors, "3:3 x-protobuf-index 2 of Item.price was used by the retired field "
				       "Item.name in the lock file; numbers are never reused;");
	f->errors[0] = '\0';
	/* 3 is quantity's, and both ask for 7. */
	ASSIGN(f, "Item", "uid=1 quantity=3 a=7 b=0 c=0 | reserved 2", "uid", "quantity", "a=7", "b=7", "c=3");
	assert_string_equal(f->errors, "4:3 x-protobuf-index 7 of Item.b is also the number of Item.a;"
				       "5:3 x-protobuf-index 3 of Item.c belongs to Item.quantity in the lock file; "
				       "numbers are never reused;");
}

static void test_x_protobuf_index_may_bring_back_a_fields_own_retired_number(void **state)
{
	fixture_t *f = *state;
	ASSIGN(f, "Item", "uid=1 name=2", "uid", "name");
	ASSIGN(f, "Item", "uid=1 | reserved 2", "uid");
	ASSIGN(f, "Item", "uid=1 name=2", "uid", "name=2");
	assert_string_equal(f->errors, "");
}

static void test_numbers_skip_protobufs_reserved_range(void **state)
{
	fixture_t *f = *state;
	ASSIGN(f, "Big", "a=18999", "a=18999");
	ASSIGN(f, "Big", "a=18999 b=20000", "a=18999", "b");
	ASSIGN(f, "Big", "a=18999 b=20000 c=0", "a=18999", "b", "c=19000");
	assert_string_equal(f->errors, "3:3 x-protobuf-index 19000 of Big.c is not a usable field number "
				       "(1-536870911, not 19000-19999);");
}

static void test_messages_gone_from_the_spec_are_retired_whole(void **state)
{
	fixture_t *f = *state;
	ASSIGN(f, "Old", "a=1 b=2", "a", "b");
	ASSIGN(f, "Item", "uid=1", "uid");
	const char *live[] = {"Item"};
	assert_int_equal(axrgen_lock_retire_others(&f->lock, live, 1), 0);
	assert_string_equal(format(f), "Item.uid = 1\nretired Old.a = 1\nretired Old.b = 2\n");
}

static void test_parse_reads_what_format_writes(void **state)
{
	fixture_t *f = *state;
	const char *text = "# a comment\n\nZeta.a = 3\n  retired Alpha.old = 1 \r\nAlpha.new = 2\n";
	uint32_t line = 0;
	const char *msg = NULL;
	assert_int_equal(axrgen_lock_parse(&f->lock, text, strlen(text), &line, &msg), 0);
	assert_string_equal(format(f), "retired Alpha.old = 1\nAlpha.new = 2\nZeta.a = 3\n");
	ASSIGN(f, "Alpha", "new=2 next=3 | reserved 1", "new", "next");
}

static void expect_parse_error(const char *text, uint32_t want_line, const char *want_msg)
{
	axr_arena_t *a = axr_arena_new(0);
	axrgen_lock_t lock;
	axrgen_lock_init(&lock, a);
	uint32_t line = 0;
	const char *msg = NULL;
	assert_int_equal(axrgen_lock_parse(&lock, text, strlen(text), &line, &msg), AXR_EPARSE);
	if (line != want_line || strcmp(msg, want_msg) != 0)
		fail_msg("got %u: %s; want %u: %s", (unsigned)line, msg, (unsigned)want_line, want_msg);
	axr_arena_free(a);
}

static void test_parse_reports_the_line_of_a_malformed_entry(void **state)
{
	(void)state;
	expect_parse_error("A.a = 1\nA.b 2\n", 2, "expected 'Message.field = N'");
	expect_parse_error("A.a = 0\n", 1, "the field number must be an integer from 1 to 536870911");
	expect_parse_error("A.a = 536870912\n", 1, "the field number must be an integer from 1 to 536870911");
	expect_parse_error("A.a = 1x\n", 1, "the field number must be an integer from 1 to 536870911");
	expect_parse_error("A-b.a = 1\n", 1, "expected 'Message.field = N'");
	expect_parse_error("A.a = 1\n#\nA.b = 1\n", 3, "number 1 of A is listed twice");
	expect_parse_error("A.a = 1\nA.a = 2\n", 2, "field A.a is listed twice");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_fields_are_numbered_in_written_order_from_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_known_field_keeps_its_number_and_a_new_one_is_appended, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_a_removed_field_is_retired_and_its_number_never_reused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_x_protobuf_index_overrides_without_pushing_the_others, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_x_protobuf_index_may_not_take_another_fields_number, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_x_protobuf_index_may_bring_back_a_fields_own_retired_number, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_numbers_skip_protobufs_reserved_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_messages_gone_from_the_spec_are_retired_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_reads_what_format_writes, setup, teardown),
		cmocka_unit_test(test_parse_reports_the_line_of_a_malformed_entry),
	};
	return cmocka_run_group_tests_name("codegen_lock", tests, NULL, NULL);
}
