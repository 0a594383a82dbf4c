/* test_utf8.c: unit tests for the incremental UTF-8 validator (runtime/utf8.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "utf8.h"
#include "tests/unit/utf8_reference.h"

static int valid(const char *s, size_t n)
{
	return axr_utf8_validate(s, n) == 0;
}

#define VALID(lit) valid((lit), sizeof(lit) - 1)

static void test_ascii_and_well_formed_sequences_are_valid(void **state)
{
	(void)state;
	assert_true(VALID(""));
	assert_true(VALID("Hello, world"));
	assert_true(VALID("\x00"));
	assert_true(VALID("\xC2\x80"));             /* U+0080, smallest 2-byte */
	assert_true(VALID("\xDF\xBF"));             /* U+07FF */
	assert_true(VALID("\xE0\xA0\x80"));         /* U+0800, smallest 3-byte */
	assert_true(VALID("\xE2\x82\xAC"));         /* U+20AC euro */
	assert_true(VALID("\xED\x9F\xBF"));         /* U+D7FF, below surrogates */
	assert_true(VALID("\xEE\x80\x80"));         /* U+E000, above surrogates */
	assert_true(VALID("\xEF\xBF\xBF"));         /* U+FFFF */
	assert_true(VALID("\xF0\x90\x80\x80"));     /* U+10000, smallest 4-byte */
	assert_true(VALID("\xF0\x9F\x98\x80"));     /* U+1F600 */
	assert_true(VALID("\xF4\x8F\xBF\xBF"));     /* U+10FFFF, the last code point */
	assert_true(VALID("\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5")); /* "kosme" */
}

static void test_overlong_forms_are_invalid(void **state)
{
	(void)state;
	assert_false(VALID("\xC0\x80"));
	assert_false(VALID("\xC0\xAF"));
	assert_false(VALID("\xC1\xBF"));
	assert_false(VALID("\xE0\x80\x80"));
	assert_false(VALID("\xE0\x80\xAF"));
	assert_false(VALID("\xE0\x9F\xBF"));
	assert_false(VALID("\xF0\x80\x80\x80"));
	assert_false(VALID("\xF0\x80\x80\xAF"));
	assert_false(VALID("\xF0\x8F\xBF\xBF"));
	assert_false(VALID("\xF8\x88\x80\x80\x80")); /* 5-byte form */
	assert_false(VALID("\xFC\x84\x80\x80\x80\x80"));
}

static void test_utf16_surrogates_are_invalid(void **state)
{
	(void)state;
	assert_false(VALID("\xED\xA0\x80"));         /* U+D800 */
	assert_false(VALID("\xED\xAD\xBF"));         /* U+DB7F */
	assert_false(VALID("\xED\xB0\x80"));         /* U+DC00 */
	assert_false(VALID("\xED\xBF\xBF"));         /* U+DFFF */
	assert_false(VALID("\xED\xA0\x80\xED\xB0\x80")); /* a CESU-8 pair */
}

static void test_code_points_above_10ffff_are_invalid(void **state)
{
	(void)state;
	assert_false(VALID("\xF4\x90\x80\x80"));     /* U+110000 */
	assert_false(VALID("\xF4\xBF\xBF\xBF"));
	assert_false(VALID("\xF5\x80\x80\x80"));
	assert_false(VALID("\xF7\xBF\xBF\xBF"));
	assert_false(VALID("\xFE"));
	assert_false(VALID("\xFF"));
}

static void test_stray_and_missing_continuations_are_invalid(void **state)
{
	(void)state;
	assert_false(VALID("\x80"));
	assert_false(VALID("\xBF"));
	assert_false(VALID("a\x80z"));
	assert_false(VALID("\xC3\x41"));             /* lead, then ASCII */
	assert_false(VALID("\xE2\x82\x41"));
	assert_false(VALID("\xF0\x9F\x98\x41"));
	assert_false(VALID("\xC3\xA9\xA9"));         /* one continuation too many */
}

static void test_truncated_sequence_at_end_is_invalid_but_a_prefix(void **state)
{
	static const char *const prefixes[] = {"\xC3", "\xE2", "\xE2\x82", "\xF0",
	                                       "\xF0\x9F", "\xF0\x9F\x98"};
	(void)state;
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		axr_utf8_t v;
		axr_utf8_init(&v);
		assert_int_equal(axr_utf8_feed(&v, prefixes[i], strlen(prefixes[i])), 0);
		assert_int_equal(axr_utf8_incomplete(&v), 1);
		assert_int_equal(axr_utf8_finish(&v), AXR_EPARSE);
		assert_int_equal(axr_utf8_validate(prefixes[i], strlen(prefixes[i])), AXR_EPARSE);
	}
}

static void test_sequences_split_at_every_byte_complete_in_next_piece(void **state)
{
	static const char text[] = "a\xC3\xA9" "b\xE2\x82\xAC" "c\xF0\x9F\x98\x80" "d\xF4\x8F\xBF\xBF";
	size_t n = sizeof text - 1;
	(void)state;

	for (size_t cut = 0; cut <= n; cut++) {
		axr_utf8_t v;
		axr_utf8_init(&v);
		assert_int_equal(axr_utf8_feed(&v, text, cut), 0);
		assert_int_equal(axr_utf8_feed(&v, text + cut, n - cut), 0);
		assert_int_equal(axr_utf8_finish(&v), 0);
	}
	/* And one byte per call. */
	axr_utf8_t v;
	axr_utf8_init(&v);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(axr_utf8_feed(&v, text + i, 1), 0);
	assert_int_equal(axr_utf8_finish(&v), 0);
}

static void test_invalid_byte_fails_at_once_and_stays_failed(void **state)
{
	axr_utf8_t v;
	(void)state;

	axr_utf8_init(&v);
	assert_int_equal(axr_utf8_feed(&v, "ok \xED", 4), 0);
	/* ED A0 is a surrogate: rejected on its second byte, before the third. */
	assert_int_equal(axr_utf8_feed(&v, "\xA0", 1), AXR_EPARSE);
	assert_int_equal(axr_utf8_feed(&v, "plain ascii", 11), AXR_EPARSE);
	assert_int_equal(axr_utf8_incomplete(&v), 0);
	assert_int_equal(axr_utf8_finish(&v), AXR_EPARSE);
}

static void test_invalid_byte_after_long_ascii_run_is_found(void **state)
{
	char buf[100];
	(void)state;

	for (size_t pos = 0; pos < sizeof buf; pos++) {
		memset(buf, 'x', sizeof buf);
		buf[pos] = (char)0x80;
		assert_int_equal(axr_utf8_validate(buf, sizeof buf), AXR_EPARSE);
	}
	memset(buf, 'x', sizeof buf);
	assert_int_equal(axr_utf8_validate(buf, sizeof buf), 0);
}

static void test_matches_reference_on_every_sequence_up_to_three_bytes(void **state)
{
	size_t mismatches = 0;
	(void)state;

	for (size_t n = 1; n <= 3; n++) {
		for (uint32_t x = 0; x < (UINT32_C(1) << (8 * n)); x++) {
			uint8_t s[3] = {(uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x};
			const uint8_t *p = s + 3 - n;
			int got = axr_utf8_validate(p, n) == 0;
			int want = utf8_reference_valid(p, n);
			if (got != want && mismatches++ < 5)
				print_error("mismatch on %zu bytes %06x: got %d want %d\n", n,
				            (unsigned)x, got, want);
		}
	}
	assert_int_equal(mismatches, 0);
}

static void test_matches_reference_on_four_byte_sequences(void **state)
{
	static const uint8_t probes[] = {0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
	size_t np = sizeof probes, mismatches = 0;
	(void)state;

	for (unsigned lead = 0xE0; lead <= 0xFF; lead++)
		for (size_t a = 0; a < np; a++)
			for (size_t b = 0; b < np; b++)
				for (size_t c = 0; c < np; c++) {
					uint8_t s[4] = {(uint8_t)lead, probes[a], probes[b], probes[c]};
					int got = axr_utf8_validate(s, 4) == 0;
					int want = utf8_reference_valid(s, 4);
					if (got != want && mismatches++ < 5)
						print_error("mismatch on %02x %02x %02x %02x: got %d want %d\n",
						            s[0], s[1], s[2], s[3], got, want);
				}
	assert_int_equal(mismatches, 0);
}

static void test_empty_input_may_be_null(void **state)
{
	axr_utf8_t v;
	(void)state;

	assert_int_equal(axr_utf8_validate(NULL, 0), 0);
	axr_utf8_init(&v);
	assert_int_equal(axr_utf8_feed(&v, "\xE2", 1), 0);
	assert_int_equal(axr_utf8_feed(&v, NULL, 0), 0);
	assert_int_equal(axr_utf8_incomplete(&v), 1);
	assert_int_equal(axr_utf8_feed(&v, "\xFF", 1), AXR_EPARSE);
	assert_int_equal(axr_utf8_feed(&v, NULL, 0), AXR_EPARSE);
}

static void test_boundary_never_splits_a_character(void **state)
{
	static const char text[] = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
	/* Character starts at 0, 1, 3, 6; ends at 10. */
	static const size_t want[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10};
	(void)state;

	for (size_t len = 0; len <= 10; len++) {
		size_t got = axr_utf8_boundary(text, len);
		if (got != want[len])
			print_error("boundary(%zu): got %zu want %zu\n", len, got, want[len]);
		assert_int_equal(got, want[len]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii_and_well_formed_sequences_are_valid),
		cmocka_unit_test(test_overlong_forms_are_invalid),
		cmocka_unit_test(test_utf16_surrogates_are_invalid),
		cmocka_unit_test(test_code_points_above_10ffff_are_invalid),
		cmocka_unit_test(test_stray_and_missing_continuations_are_invalid),
		cmocka_unit_test(test_truncated_sequence_at_end_is_invalid_but_a_prefix),
		cmocka_unit_test(test_sequences_split_at_every_byte_complete_in_next_piece),
		cmocka_unit_test(test_invalid_byte_fails_at_once_and_stays_failed),
		cmocka_unit_test(test_invalid_byte_after_long_ascii_run_is_found),
		cmocka_unit_test(test_matches_reference_on_every_sequence_up_to_three_bytes),
		cmocka_unit_test(test_matches_reference_on_four_byte_sequences),
		cmocka_unit_test(test_empty_input_may_be_null),
		cmocka_unit_test(test_boundary_never_splits_a_character),
	};
	return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
