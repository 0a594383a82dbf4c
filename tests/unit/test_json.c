/* test_json.c: strict JSON decoding (runtime/json.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "err.h"
#include "json.h"

static int parse_opts(const char *text, size_t len, const axr_json_opts_t *opts, json_object **out,
		      axr_json_error_t *err)
{
	memset(err, 0, sizeof(*err));
	return axr_json_parse(text, len, opts, out, err);
}

static int parse(const char *text, json_object **out, axr_json_error_t *err)
{
	return parse_opts(text, strlen(text), NULL, out, err);
}

/* Asserts that `text` is rejected with `code` and a message containing
 * `needle`; prints the input on failure. */
static void expect_reject(const char *text, size_t len, int code, const char *needle)
{
	json_object *v = (json_object *)1;
	axr_json_error_t err;
	int rc = parse_opts(text, len, NULL, &v, &err);
	if (rc != code || strstr(err.message, needle) == NULL) {
		print_error("input %.*s: got %d (%s), want %d (%s)\n", (int)len, text, rc,
			    err.message, code, needle);
		fail();
	}
	assert_null(v);
	assert_int_equal(err.code, code);
}

#define REJECT(text, code, needle) expect_reject((text), sizeof(text) - 1, (code), (needle))

static void test_parses_every_kind_of_value(void **state)
{
	(void)state;
	json_object *v, *a, *b;
	axr_json_error_t err;

	assert_int_equal(parse(" {\"a\": [1, 2.5, \"x\", true, false, null], \"b\": {}} \n", &v, &err), 0);
	assert_int_equal(json_object_get_type(v), json_type_object);
	assert_true(json_object_object_get_ex(v, "a", &a));
	assert_int_equal(json_object_array_length(a), 6);
	assert_int_equal(json_object_get_type(json_object_array_get_idx(a, 0)), json_type_int);
	assert_int_equal(json_object_get_int64(json_object_array_get_idx(a, 0)), 1);
	assert_int_equal(json_object_get_type(json_object_array_get_idx(a, 1)), json_type_double);
	assert_true(json_object_get_double(json_object_array_get_idx(a, 1)) == 2.5);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 2)), "x");
	assert_true(json_object_get_boolean(json_object_array_get_idx(a, 3)));
	assert_false(json_object_get_boolean(json_object_array_get_idx(a, 4)));
	assert_null(json_object_array_get_idx(a, 5));
	assert_true(json_object_object_get_ex(v, "b", &b));
	assert_int_equal(json_object_object_length(b), 0);
	json_object_put(v);

	assert_int_equal(parse("null", &v, &err), 0);
	assert_null(v);
	assert_int_equal(parse("\"top\"", &v, &err), 0);
	assert_string_equal(json_object_get_string(v), "top");
	json_object_put(v);
}

static void test_matches_json_tokener_on_a_plain_document(void **state)
{
	(void)state;
	const char *doc = "{\"id\":\"5b3a\",\"n\":[0,-1,3.25,1e3,{\"deep\":[[]]}],\"s\":\"a\\\"b\\\\c\\/\"}";
	json_object *ours, *theirs = json_tokener_parse(doc);
	axr_json_error_t err;

	assert_int_equal(parse(doc, &ours, &err), 0);
	assert_non_null(theirs);
	assert_true(json_object_equal(ours, theirs));
	json_object_put(ours);
	json_object_put(theirs);
}

static void test_integers_are_exact_int64(void **state)
{
	(void)state;
	json_object *v;
	axr_json_error_t err;

	assert_int_equal(parse("9223372036854775807", &v, &err), 0);
	assert_int_equal(json_object_get_type(v), json_type_int);
	assert_true(json_object_get_int64(v) == INT64_MAX);
	json_object_put(v);
	assert_int_equal(parse("-9223372036854775808", &v, &err), 0);
	assert_true(json_object_get_int64(v) == INT64_MIN);
	json_object_put(v);
	assert_int_equal(parse("9007199254740993", &v, &err), 0); /* 2^53 + 1: not a double */
	assert_true(json_object_get_int64(v) == 9007199254740993LL);
	json_object_put(v);
	assert_int_equal(parse("-0", &v, &err), 0);
	assert_int_equal(json_object_get_type(v), json_type_int);
	assert_int_equal(json_object_get_int64(v), 0);
	json_object_put(v);
}

static void test_rejects_integers_outside_int64(void **state)
{
	(void)state;
	REJECT("9223372036854775808", AXR_ERANGE, "out of range");
	REJECT("-9223372036854775809", AXR_ERANGE, "out of range");
	REJECT("99999999999999999999", AXR_ERANGE, "out of range");
	REJECT("{\"q\": [1, 99999999999999999999]}", AXR_ERANGE, "out of range");
}

static void test_reports_the_path_of_an_out_of_range_integer(void **state)
{
	(void)state;
	json_object *v;
	axr_json_error_t err;
	assert_int_equal(parse("{\"items\":[{},{},{},{\"quantity\":99999999999999999999}]}", &v, &err),
			 AXR_ERANGE);
	assert_string_equal(err.path, "/items/3/quantity");
	assert_int_equal(parse("{\"a/b~c\": 1e999}", &v, &err), AXR_ERANGE);
	assert_string_equal(err.path, "/a~1b~0c");
}

static void test_bignum_flag_keeps_big_integers_as_doubles(void **state)
{
	(void)state;
	axr_json_opts_t opts = {.flags = AXR_JSON_BIGNUM};
	const char *text = "99999999999999999999";
	json_object *v;
	axr_json_error_t err;

	assert_int_equal(parse_opts(text, strlen(text), &opts, &v, &err), 0);
	assert_int_equal(json_object_get_type(v), json_type_double);
	assert_string_equal(axr_json_double_text(v), text);
	json_object_put(v);
}

static void test_rejects_numbers_that_overflow_a_double(void **state)
{
	(void)state;
	json_object *v;
	axr_json_error_t err;

	REJECT("1e400", AXR_ERANGE, "out of range");
	REJECT("-1e400", AXR_ERANGE, "out of range");
	REJECT("[1.8e308]", AXR_ERANGE, "out of range");
	assert_int_equal(parse("1e-400", &v, &err), 0); /* underflow rounds to zero */
	assert_true(json_object_get_double(v) == 0.0);
	json_object_put(v);
}

static void test_rejects_nan_infinity_and_bad_number_syntax(void **state)
{
	(void)state;
	REJECT("NaN", AXR_EPARSE, "NaN");
	REJECT("Infinity", AXR_EPARSE, "Infinity");
	REJECT("-Infinity", AXR_EPARSE, "Infinity");
	REJECT("[nan]", AXR_EPARSE, "literal");
	REJECT("01", AXR_EPARSE, "leading zeros");
	REJECT("-01", AXR_EPARSE, "leading zeros");
	REJECT("1.", AXR_EPARSE, "decimal point");
	REJECT(".5", AXR_EPARSE, "unexpected character '.'");
	REJECT("1e", AXR_EPARSE, "exponent");
	REJECT("1e+", AXR_EPARSE, "exponent");
	REJECT("+1", AXR_EPARSE, "unexpected character '+'");
	REJECT("0x10", AXR_EPARSE, "unexpected data");
	REJECT("-", AXR_EPARSE, "expected a digit");
}

static void test_keeps_the_literal_text_of_doubles(void **state)
{
	(void)state;
	json_object *v;
	axr_json_error_t err;
	assert_int_equal(parse("1.50", &v, &err), 0);
	assert_string_equal(axr_json_double_text(v), "1.50");
	assert_string_equal(json_object_to_json_string(v), "1.50");
	json_object_put(v);
}

static void test_rejects_duplicate_keys(void **state)
{
	(void)state;
	json_object *v;
	axr_json_error_t err;

	REJECT("{\"a\":1,\"a\":2}", AXR_EPARSE, "duplicate key \"a\"");
	assert_int_equal(parse("{\"x\":[{\"b\":1,\"c\":0,\"b\":2}]}", &v, &err), AXR_EPARSE);
	assert_string_equal(err.path, "/x/0/b");
	/* an escaped spelling of the same key is the same key */
	REJECT("{\"a\":1,\"\\u0061\":2}", AXR_EPARSE, "duplicate key \"a\"");
	/* a long key full of characters the message escapes is cut, not overrun */
	char text[256];
	size_t o = 0;
	for (int k = 0; k < 2; k++) {
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%si", k ? ":1,\"" : "{\"");
		for (int i = 0; i < 40; i++)
			o += (size_t)snprintf(text + o, sizeof(text) - o, "\\\\");
		o += (size_t)snprintf(text + o, sizeof(text) - o, "\"");
	}
	snprintf(text + o, sizeof(text) - o, ":2}");
	assert_int_equal(parse(text, &v, &err), AXR_EPARSE);
	assert_string_equal(err.message, "duplicate key \"i\\x5C\\x5C\\x5C\\x5C\\x5C\\x5C\\x5C"
					 "\\x5C\\x5C\\x5C...\"");
	assert_int_equal(parse("{\"a\":1,\"A\":2,\"a \":3}", &v, &err), 0);
	assert_int_equal(json_object_object_length(v), 3);
	json_object_put(v);
}

static char *nested(int depth, char *buf)
{
	int o = 0;
	for (int i = 0; i < depth; i++)
		buf[o++] = '[';
	for (int i = 0; i < depth; i++)
		buf[o++] = ']';
	buf[o] = '\0';
	return buf;
}

static void test_nesting_limit_is_16_and_configurable(void **state)
{
	(void)state;
	char buf[128];
	json_object *v;
	axr_json_error_t err;

	assert_int_equal(parse(nested(16, buf), &v, &err), 0);
	json_object_put(v);
	assert_int_equal(parse(nested(17, buf), &v, &err), AXR_EPARSE);
	assert_string_equal(err.message, "nesting deeper than 16 levels");
	assert_int_equal(parse("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":{\"j\":"
			       "{\"k\":{\"l\":{\"m\":{\"n\":{\"o\":{\"p\":{\"q\":1}}}}}}}}}}}}}}}}}",
			       &v, &err),
			 AXR_EPARSE);
	assert_string_equal(err.path, "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p");

	axr_json_opts_t opts = {.max_depth = 3};
	assert_int_equal(parse_opts("[[[]]]", 6, &opts, &v, &err), 0);
	json_object_put(v);
	assert_int_equal(parse_opts("[[[[]]]]", 8, &opts, &v, &err), AXR_EPARSE);
}

static void test_rejects_trailing_garbage(void **state)
{
	(void)state;
	json_object *v;
	axr_json_error_t err;

	REJECT("{} x", AXR_EPARSE, "unexpected data after the JSON value");
	REJECT("1 2", AXR_EPARSE, "unexpected data");
	REJECT("[1]]", AXR_EPARSE, "unexpected data");
	REJECT("\"a\"x", AXR_EPARSE, "unexpected data");
	REJECT("truex", AXR_EPARSE, "unexpected data");
	REJECT("{}\0", AXR_EPARSE, "unexpected data");
	assert_int_equal(parse("{}\r\n\t ", &v, &err), 0);
	json_object_put(v);
}

static void test_rejects_malformed_structure(void **state)
{
	(void)state;
	REJECT("", AXR_EPARSE, "empty input");
	REJECT("   ", AXR_EPARSE, "unexpected end of input");
	REJECT("[1,]", AXR_EPARSE, "trailing comma");
	REJECT("{\"a\":1,}", AXR_EPARSE, "trailing comma");
	REJECT("{\"a\" 1}", AXR_EPARSE, "expected ':'");
	REJECT("{a:1}", AXR_EPARSE, "expected a string key");
	REJECT("{'a':1}", AXR_EPARSE, "expected a string key");
	REJECT("[1 2]", AXR_EPARSE, "expected ',' or ']'");
	REJECT("[1", AXR_EPARSE, "unterminated array");
	REJECT("{\"a\":1", AXR_EPARSE, "unterminated object");
	REJECT("\"abc", AXR_EPARSE, "unterminated string");
	REJECT("/* c */ 1", AXR_EPARSE, "unexpected character '/'");
	REJECT("tru", AXR_EPARSE, "invalid literal");
	REJECT("\xEF\xBB\xBF{}", AXR_EPARSE, "byte order mark");
}

static void test_rejects_bad_utf8(void **state)
{
	(void)state;
	REJECT("\"\xC0\xAF\"", AXR_EPARSE, "invalid UTF-8");         /* overlong '/' */
	REJECT("\"\xE0\x80\xAF\"", AXR_EPARSE, "invalid UTF-8");     /* overlong, 3 bytes */
	REJECT("\"\xF0\x80\x80\xAF\"", AXR_EPARSE, "invalid UTF-8"); /* overlong, 4 bytes */
	REJECT("\"\xED\xA0\x80\"", AXR_EPARSE, "invalid UTF-8");     /* U+D800 surrogate */
	REJECT("\"\xED\xBF\xBF\"", AXR_EPARSE, "invalid UTF-8");     /* U+DFFF surrogate */
	REJECT("\"\xF4\x90\x80\x80\"", AXR_EPARSE, "invalid UTF-8"); /* U+110000 */
	REJECT("\"\x80\"", AXR_EPARSE, "invalid UTF-8");             /* stray continuation */
	REJECT("\"\xE2\x82\"", AXR_EPARSE, "invalid UTF-8");         /* truncated */
	REJECT("\"\xFF\"", AXR_EPARSE, "invalid UTF-8");
	REJECT("\"\xF5\x80\x80\x80\"", AXR_EPARSE, "invalid UTF-8");
	REJECT("{\"k\xC3\":1}", AXR_EPARSE, "invalid UTF-8"); /* in a key */
	REJECT("[\xC3\xA9]", AXR_EPARSE, "unexpected byte 0xC3"); /* outside strings */
}

static void test_accepts_good_utf8_and_decodes_escapes(void **state)
{
	(void)state;
	json_object *v;
	axr_json_error_t err;

	assert_int_equal(parse("\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"", &v, &err), 0);
	assert_string_equal(json_object_get_string(v), "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
	json_object_put(v);
	assert_int_equal(parse("\"\\u00e9\\u20AC\\ud83d\\ude00\\n\\t\\\"\\\\\\/\\b\\f\\r\"", &v, &err), 0);
	assert_string_equal(json_object_get_string(v),
			    "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\n\t\"\\/\b\f\r");
	json_object_put(v);
	assert_int_equal(parse("\"a\\u0000b\"", &v, &err), 0);
	assert_int_equal(json_object_get_string_len(v), 3);
	assert_memory_equal(json_object_get_string(v), "a\0b", 3);
	json_object_put(v);
}

static void test_rejects_lone_surrogates_in_escapes(void **state)
{
	(void)state;
	REJECT("\"\\ud83d\"", AXR_EPARSE, "lone high surrogate");
	REJECT("\"\\ud83dx\"", AXR_EPARSE, "lone high surrogate");
	REJECT("\"\\ud83d\\u0041\"", AXR_EPARSE, "lone high surrogate");
	REJECT("\"\\ude00\"", AXR_EPARSE, "lone low surrogate");
	REJECT("\"\\ude00\\ud83d\"", AXR_EPARSE, "lone low surrogate");
	REJECT("\"\\u12\"", AXR_EPARSE, "invalid \\u escape");
	REJECT("\"\\x41\"", AXR_EPARSE, "invalid escape \\x");
	REJECT("\"\\'\"", AXR_EPARSE, "invalid escape");
}

static void test_rejects_raw_control_characters_and_nul_keys(void **state)
{
	(void)state;
	REJECT("\"a\nb\"", AXR_EPARSE, "control character U+000A");
	REJECT("\"a\tb\"", AXR_EPARSE, "control character U+0009");
	REJECT("\"a\0b\"", AXR_EPARSE, "control character U+0000");
	REJECT("{\"a\\u0000b\":1}", AXR_EPARSE, "U+0000");
}

static void test_enforces_the_body_size_limit(void **state)
{
	(void)state;
	axr_json_opts_t opts = {.max_size = 10};
	json_object *v = NULL;
	axr_json_error_t err;

	assert_int_equal(parse_opts("[1,2,3,4,5]", 11, &opts, &v, &err), AXR_ETOOBIG);
	assert_null(v);
	assert_int_equal(parse_opts("[1,2,3,45]", 10, &opts, &v, &err), 0);
	json_object_put(v);
}

static void test_errors_give_line_column_and_offset(void **state)
{
	(void)state;
	json_object *v;
	axr_json_error_t err;
	char text[200];

	assert_int_equal(parse("{\n  \"a\": tru\n}", &v, &err), AXR_EPARSE);
	assert_int_equal(err.line, 2);
	assert_int_equal(err.column, 8);
	assert_int_equal(err.offset, 9);
	assert_string_equal(err.path, "/a");
	axr_json_error_format(&err, text, sizeof(text));
	assert_string_equal(text, "line 2, column 8 (byte 9): invalid literal (expected true)");

	/* columns count code points, not bytes */
	assert_int_equal(parse("[\"\xC3\xA9\xC3\xA9\", x]", &v, &err), AXR_EPARSE);
	assert_int_equal(err.column, 8);
	assert_int_equal(err.offset, 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parses_every_kind_of_value),
		cmocka_unit_test(test_matches_json_tokener_on_a_plain_document),
		cmocka_unit_test(test_integers_are_exact_int64),
		cmocka_unit_test(test_rejects_integers_outside_int64),
		cmocka_unit_test(test_reports_the_path_of_an_out_of_range_integer),
		cmocka_unit_test(test_bignum_flag_keeps_big_integers_as_doubles),
		cmocka_unit_test(test_rejects_numbers_that_overflow_a_double),
		cmocka_unit_test(test_rejects_nan_infinity_and_bad_number_syntax),
		cmocka_unit_test(test_keeps_the_literal_text_of_doubles),
		cmocka_unit_test(test_rejects_duplicate_keys),
		cmocka_unit_test(test_nesting_limit_is_16_and_configurable),
		cmocka_unit_test(test_rejects_trailing_garbage),
		cmocka_unit_test(test_rejects_malformed_structure),
		cmocka_unit_test(test_rejects_bad_utf8),
		cmocka_unit_test(test_accepts_good_utf8_and_decodes_escapes),
		cmocka_unit_test(test_rejects_lone_surrogates_in_escapes),
		cmocka_unit_test(test_rejects_raw_control_characters_and_nul_keys),
		cmocka_unit_test(test_enforces_the_body_size_limit),
		cmocka_unit_test(test_errors_give_line_column_and_offset),
	};
	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
