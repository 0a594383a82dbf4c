/* test_codec.c: the JSON <-> protobuf-c codec (runtime/codec.h) over the codectest fixture. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "codec.h"
#include "codec_fixture.h"
#include "codectest.pb-c.h"
#include "err.h"
#include "expect_msg.h"
#include "json.h"

static axr_arena_t *arena;

static int setup(void **state)
{
	(void)state;
	arena = axr_arena_new(0);
	return arena ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	axr_arena_free(arena);
	arena = NULL;
	return 0;
}

#define EVERYTHING (&codectest__everything__descriptor)

/* ---- helpers ---------------------------------------------------------------- */

static json_object *parse(const char *text)
{
	json_object *v = NULL;
	axr_json_error_t err;
	int rc = axr_json_parse(text, strlen(text), NULL, &v, &err);
	EXPECT_MSG(rc == 0, "fixture JSON does not parse (%s): %s", err.message, text);
	return v;
}

/* from_json of `text`; returns the code, the message in *out. */
static int decode_rc(const axr_schema_t *s, const ProtobufCMessageDescriptor *d, const char *text,
                     axr_verrors_t *errs, ProtobufCMessage **out)
{
	json_object *v = parse(text);
	int rc = axr_codec_from_json(s, d, v, arena, out, errs);
	json_object_put(v);
	return rc;
}

static ProtobufCMessage *decode(const axr_schema_t *s, const ProtobufCMessageDescriptor *d, const char *text)
{
	ProtobufCMessage *m = NULL;
	axr_verrors_t errs;
	axr_verrors_init(&errs, arena, 8);
	int rc = decode_rc(s, d, text, &errs, &m);
	EXPECT_MSG(rc == 0 && m != NULL, "from_json(%s) = %s (first error: %s %s)", text, axr_errname(rc),
	           errs.count ? errs.items[0].path : "-", errs.count ? errs.items[0].message : "-");
	return m;
}

static char *encode_flags(const axr_schema_t *s, const ProtobufCMessage *m, unsigned flags)
{
	axr_buf_t b = AXR_BUF_INIT;
	int rc = axr_codec_to_json(s, m, flags, &b);
	EXPECT_MSG(rc == 0, "to_json = %s", axr_errname(rc));
	char *out = axr_arena_strndup(arena, b.data ? b.data : "", b.len);
	axr_buf_free(&b);
	return out;
}

static char *encode(const axr_schema_t *s, const ProtobufCMessage *m)
{
	return encode_flags(s, m, 0);
}

#define EXPECT_JSON(got, want) EXPECT_MSG(strcmp((got), (want)) == 0, "\n got: %s\nwant: %s", (got), (want))

/* JSON -> message -> JSON gives the same text. */
static void expect_round_trip(const axr_schema_t *s, const ProtobufCMessageDescriptor *d, const char *text)
{
	ProtobufCMessage *m = decode(s, d, text);
	EXPECT_JSON(encode(s, m), text);
}

static Codectest__Everything *everything(const char *text)
{
	return (Codectest__Everything *)decode(&fx_Everything, EVERYTHING, text);
}

static Codectest__Everything *empty_everything(void)
{
	return (Codectest__Everything *)axr_codec_message_new(EVERYTHING, arena);
}

/* from_json must fail with AXR_EINVAL and this first error. */
static void expect_decode_error(const axr_schema_t *s, const char *text, const char *path, const char *message)
{
	ProtobufCMessage *m = NULL;
	axr_verrors_t errs;
	axr_verrors_init(&errs, arena, 8);
	int rc = decode_rc(s, EVERYTHING, text, &errs, &m);
	EXPECT_MSG(rc == AXR_EINVAL, "from_json(%s) = %s, want EINVAL", text, axr_errname(rc));
	assert_null(m);
	EXPECT_MSG(errs.count >= 1, "no error recorded for %s", text);
	EXPECT_MSG(strcmp(errs.items[0].path, path) == 0, "path: got %s want %s", errs.items[0].path, path);
	EXPECT_MSG(strstr(errs.items[0].message, message) != NULL, "message: got \"%s\", want it to contain \"%s\"",
	           errs.items[0].message, message);
	/* Without an error list the code is the same. */
	rc = decode_rc(s, EVERYTHING, text, NULL, &m);
	EXPECT_MSG(rc == AXR_EINVAL, "without errs: %s", axr_errname(rc));
}

/* to_json must fail with `want` and leave the buffer as it was. */
static void expect_encode_error(const axr_schema_t *s, const ProtobufCMessage *m, int want)
{
	axr_buf_t b = AXR_BUF_INIT;
	axr_buf_puts(&b, "prefix");
	int rc = axr_codec_to_json(s, m, 0, &b);
	EXPECT_MSG(rc == want, "to_json = %s, want %s", axr_errname(rc), axr_errname(want));
	EXPECT_JSON(b.data, "prefix");
	axr_buf_free(&b);
}

/* ---- the schema tables themselves -------------------------------------------- */

static void test_fixture_tables_prepare(void **state)
{
	(void)state;
	char err[256] = "";
	const axr_schema_t *roots[] = {&fx_Everything, &fx_EverythingStrict, &fx_EverythingArray, &fx_StringArray,
	                               &fx_GetThingInput, &fx_Wide};
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		EXPECT_MSG(axr_schema_prepare(roots[i], err, sizeof(err)) == 0, "table %zu: %s", i, err);
}

/* ---- integers ------------------------------------------------------------------ */

static void test_int32_round_trips_at_its_bounds(void **state)
{
	(void)state;
	Codectest__Everything *e = everything("{\"count\":-2147483648,\"levels\":[2147483647,0,-1]}");
	assert_true(e->has_count);
	assert_int_equal(e->count, INT32_MIN);
	assert_int_equal(e->n_levels, 3);
	assert_int_equal(e->levels[0], INT32_MAX);
	expect_round_trip(&fx_Everything, EVERYTHING, "{\"count\":2147483647}");
	expect_round_trip(&fx_Everything, EVERYTHING, "{\"count\":-2147483648}");
}

static void test_int32_out_of_range_is_einval_at_its_pointer(void **state)
{
	(void)state;
	expect_decode_error(&fx_Everything, "{\"count\":2147483648}", "/count", "int32");
	expect_decode_error(&fx_Everything, "{\"count\":-2147483649}", "/count", "int32");
	expect_decode_error(&fx_Everything, "{\"levels\":[1,9223372036854775807]}", "/levels/1", "int32");
}

static void test_int64_is_exact_at_int64_max_and_min(void **state)
{
	(void)state;
	Codectest__Everything *e = everything("{\"scores\":[9223372036854775807,-9223372036854775808,9007199254740993],"
	                                      "\"total\":9223372036854775807}");
	assert_true(e->has_total);
	assert_true(e->total == INT64_MAX);
	assert_true(e->scores[1] == INT64_MIN);
	assert_true(e->scores[2] == 9007199254740993LL); /* 2^53 + 1: a double would lose it */
	expect_round_trip(&fx_Everything, EVERYTHING,
	                  "{\"scores\":[9223372036854775807,-9223372036854775808,9007199254740993],"
	                  "\"total\":-9223372036854775808}");
}

static void test_integer_fields_refuse_doubles_and_values_beyond_int64(void **state)
{
	(void)state;
	expect_decode_error(&fx_Everything, "{\"total\":1.0}", "/total", "expected an integer");
	expect_decode_error(&fx_Everything, "{\"total\":\"1\"}", "/total", "expected an integer");
	expect_decode_error(&fx_Everything, "{\"count\":true}", "/count", "expected an integer");
	/* json-c can hold integers above INT64_MAX (uint64): they do not fit. */
	json_object *v = json_object_new_object();
	json_object_object_add(v, "total", json_object_new_uint64(UINT64_MAX));
	ProtobufCMessage *m = NULL;
	axr_verrors_t errs;
	axr_verrors_init(&errs, arena, 4);
	int rc = axr_codec_from_json(&fx_Everything, EVERYTHING, v, arena, &m, &errs);
	json_object_put(v);
	EXPECT_MSG(rc == AXR_EINVAL && errs.count == 1, "rc %s, %zu errors", axr_errname(rc), errs.count);
	EXPECT_JSON(errs.items[0].path, "/total");
}

/* ---- numbers, booleans, strings ---------------------------------------------- */

static void test_double_prints_the_shortest_text_that_reads_back(void **state)
{
	(void)state;
	static const struct {
		double d;
		const char *text;
	} cases[] = {
		{0.1, "0.1"}, {1.5, "1.5"}, {-0.25, "-0.25"}, {5.0, "5"}, {1e300, "1e+300"}, {123456.789, "123456.789"},
		{0.30000000000000004, "0.30000000000000004"}, {1e15, "1e+15"}, {-1e-7, "-1e-07"},
		{5e-324, "4.94065645841247e-324"}, {1.7976931348623157e308, "1.7976931348623157e+308"},
		{9007199254740993.0, "9007199254740992"}, {100.0, "100"}, {-0.0, "-0"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		Codectest__Everything *e = empty_everything();
		e->has_ratio = 1;
		e->ratio = cases[i].d;
		char want[80];
		snprintf(want, sizeof(want), "{\"ratio\":%s}", cases[i].text);
		EXPECT_JSON(encode(&fx_Everything, &e->base), want);
	}
	/* Any double reads back exactly from its text. */
	uint64_t x = 0x9E3779B97F4A7C15u;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		double d;
		memcpy(&d, &x, sizeof d);
		if (!isfinite(d))
			continue;
		axr_buf_t b = AXR_BUF_INIT;
		Codectest__Everything *e = empty_everything();
		e->has_ratio = 1;
		e->ratio = d;
		assert_int_equal(axr_codec_to_json(&fx_Everything, &e->base, 0, &b), 0);
		Codectest__Everything *back = everything(b.data);
		EXPECT_MSG(back->ratio == d || (d == 0 && back->ratio == 0), "%.17g printed as %s", d, b.data);
		axr_buf_free(&b);
		axr_arena_reset(arena);
	}
}

static void test_double_nan_and_infinity_are_written_as_null(void **state)
{
	(void)state;
	Codectest__Everything *e = empty_everything();
	e->has_ratio = 1;
	e->ratio = NAN;
	e->n_weights = 2;
	e->weights = (double[]){INFINITY, -INFINITY};
	EXPECT_JSON(encode(&fx_Everything, &e->base), "{\"ratio\":null,\"weights\":[null,null]}");
}

static void test_number_fields_take_integers_and_doubles(void **state)
{
	(void)state;
	Codectest__Everything *e = everything("{\"ratio\":3,\"weights\":[1,2.5,-9007199254740993]}");
	assert_true(e->ratio == 3.0);
	assert_true(e->weights[1] == 2.5);
	assert_true(e->weights[2] == -9007199254740992.0);
	expect_round_trip(&fx_Everything, EVERYTHING, "{\"ratio\":2.5,\"weights\":[0.1,-3,1e-300]}");
	expect_decode_error(&fx_Everything, "{\"ratio\":\"1\"}", "/ratio", "expected a number");
}

static void test_bool_round_trips(void **state)
{
	(void)state;
	Codectest__Everything *e = everything("{\"active\":false}");
	assert_true(e->has_active);
	assert_false(e->active);
	expect_round_trip(&fx_Everything, EVERYTHING, "{\"active\":true,\"switches\":[false,true]}");
	expect_round_trip(&fx_Everything, EVERYTHING, "{\"active\":false}");
	expect_decode_error(&fx_Everything, "{\"active\":1}", "/active", "expected true or false");
}

static void test_string_escapes_and_utf8_round_trip(void **state)
{
	(void)state;
	const char *text = "{\"name\":\"q\\\" b\\\\ n\\n t\\t c\\u0001\\u001f \\u0008 caf\xc3\xa9 \xf0\x9f\x98\x80 / \x7f\"}";
	Codectest__Everything *e = everything(text);
	EXPECT_JSON(e->name, "q\" b\\ n\n t\t c\x01\x1f \x08 caf\xc3\xa9 \xf0\x9f\x98\x80 / \x7f");
	expect_round_trip(&fx_Everything, EVERYTHING, text);
	/* Non-canonical escapes read the same and print canonically. */
	e = everything("{\"name\":\"\\u00e9\\/\\ud83d\\ude00\"}");
	EXPECT_JSON(encode(&fx_Everything, &e->base), "{\"name\":\"\xc3\xa9/\xf0\x9f\x98\x80\"}");
	expect_round_trip(&fx_Everything, EVERYTHING, "{\"name\":\"\"}");
}

static void test_string_with_u0000_does_not_fit_a_c_string(void **state)
{
	(void)state;
	expect_decode_error(&fx_Everything, "{\"name\":\"a\\u0000b\"}", "/name", "U+0000");
	expect_decode_error(&fx_Everything, "{\"tags\":[\"ok\",\"\\u0000\"]}", "/tags/1", "U+0000");
	/* JSON text keeps the escape: free-form values may hold it. */
	Codectest__Everything *e = everything("{\"extra\":{\"k\":\"\\u0000\"}}");
	EXPECT_JSON(e->extra, "{\"k\":\"\\u0000\"}");
}

static void test_string_that_is_not_utf8_fails_the_encoding(void **state)
{
	(void)state;
	Codectest__Everything *e = empty_everything();
	e->name = (char *)"bad \xff byte";
	expect_encode_error(&fx_Everything, &e->base, AXR_EINVAL);
	e->name = (char *)"overlong \xc0\xaf";
	expect_encode_error(&fx_Everything, &e->base, AXR_EINVAL);
}

static void test_string_mismatches_are_errors(void **state)
{
	(void)state;
	expect_decode_error(&fx_Everything, "{\"name\":7}", "/name", "expected a string");
	expect_decode_error(&fx_Everything, "{\"kind\":[\"alpha\"]}", "/kind", "expected a string");
}

static void test_enums_and_date_times_are_plain_strings(void **state)
{
	(void)state;
	Codectest__Everything *e = everything("{\"color\":\"green\",\"createdAt\":\"2024-05-01T10:00:00Z\","
	                                      "\"kind\":\"beta\"}");
	EXPECT_JSON(e->kind, "beta");
	EXPECT_JSON(e->color, "green"); /* an untyped enum of strings: still no quotes */
	EXPECT_JSON(e->created_at, "2024-05-01T10:00:00Z");
	expect_round_trip(&fx_Everything, EVERYTHING,
	                  "{\"color\":\"green\",\"createdAt\":\"2024-05-01T10:00:00Z\",\"kind\":\"beta\"}");
}

/* ---- arrays and messages --------------------------------------------------------- */

static void test_repeated_fields_of_every_kind_round_trip(void **state)
{
	(void)state;
	const char *text = "{\"blobs\":[1,\"two\",null,{\"x\":[true]}],"
	                   "\"children\":[{\"id\":\"a\",\"qty\":1},{},{\"qty\":9223372036854775807}],"
	                   "\"levels\":[1,-2,3],\"scores\":[0],\"switches\":[true,false],"
	                   "\"tags\":[\"x\",\"y\",\"\"],\"weights\":[0.5,2]}";
	Codectest__Everything *e = everything(text);
	assert_int_equal(e->n_blobs, 4);
	EXPECT_JSON(e->blobs[1], "\"two\"");
	EXPECT_JSON(e->blobs[2], "null");
	EXPECT_JSON(e->blobs[3], "{\"x\":[true]}");
	assert_int_equal(e->n_children, 3);
	EXPECT_JSON(e->children[0]->id, "a");
	assert_null(e->children[1]->id);
	assert_false(e->children[1]->has_qty);
	assert_int_equal(e->n_tags, 3);
	EXPECT_JSON(e->tags[2], "");
	expect_round_trip(&fx_Everything, EVERYTHING, text);
}

static void test_null_element_of_a_typed_array_does_not_fit(void **state)
{
	(void)state;
	expect_decode_error(&fx_Everything, "{\"levels\":[1,null]}", "/levels/1", "null");
	expect_decode_error(&fx_Everything, "{\"children\":[null]}", "/children/0", "null");
	expect_decode_error(&fx_Everything, "{\"tags\":\"x\"}", "/tags", "expected an array");
}

static void test_nested_messages_follow_ref_chains(void **state)
{
	(void)state;
	Codectest__Everything *e = everything("{\"child\":{\"id\":\"c1\",\"qty\":7},\"children\":[{\"qty\":2}]}");
	assert_non_null(e->child);
	EXPECT_JSON(e->child->id, "c1");
	assert_true(e->child->has_qty && e->child->qty == 7);
	assert_true(e->children[0]->has_qty && e->children[0]->qty == 2);
	expect_round_trip(&fx_Everything, EVERYTHING, "{\"child\":{\"id\":\"c1\",\"qty\":7},\"children\":[{\"qty\":2}]}");
	expect_decode_error(&fx_Everything, "{\"child\":[]}", "/child", "expected an object");
}

static void test_recursive_messages_round_trip(void **state)
{
	(void)state;
	const char *text = "{\"tree\":{\"kids\":[{\"label\":\"a\",\"next\":{\"label\":\"a2\"}},"
	                   "{\"kids\":[{\"kids\":[{\"label\":\"deep\"}]}],\"label\":\"b\"}],\"label\":\"root\"}}";
	Codectest__Everything *e = everything(text);
	EXPECT_JSON(e->tree->kids[1]->kids[0]->kids[0]->label, "deep");
	EXPECT_JSON(e->tree->kids[0]->next->label, "a2");
	expect_round_trip(&fx_Everything, EVERYTHING, text);
}

static void test_nesting_beyond_the_limit_is_einval(void **state)
{
	(void)state;
	/* A message chain built by a handler (or a cycle) stops at the limit. */
	Codectest__Node *nodes = axr_arena_calloc(arena, 300, sizeof(*nodes));
	for (int i = 0; i < 300; i++) {
		codectest__node__init(&nodes[i]);
		nodes[i].next = i + 1 < 300 ? &nodes[i + 1] : NULL;
	}
	Codectest__Everything *e = empty_everything();
	e->tree = &nodes[0];
	expect_encode_error(&fx_Everything, &e->base, AXR_EINVAL);
	nodes[299].next = &nodes[0];
	expect_encode_error(&fx_Everything, &e->base, AXR_EINVAL);
	/* And JSON nested that deep does not become a message. */
	axr_buf_t b = AXR_BUF_INIT;
	axr_buf_puts(&b, "{\"tree\":");
	for (int i = 0; i < 200; i++)
		axr_buf_puts(&b, "{\"next\":");
	axr_buf_puts(&b, "{}");
	for (int i = 0; i < 201; i++)
		axr_buf_putc(&b, '}');
	axr_json_opts_t opts = {.max_depth = 1000};
	json_object *v = NULL;
	assert_int_equal(axr_json_parse(b.data, b.len, &opts, &v, NULL), 0);
	ProtobufCMessage *m = NULL;
	assert_int_equal(axr_codec_from_json(&fx_Everything, EVERYTHING, v, arena, &m, NULL), AXR_EINVAL);
	json_object_put(v);
	axr_buf_free(&b);
}

/* ---- free-form values ------------------------------------------------------------- */

static void test_free_form_values_are_kept_as_compact_json_text(void **state)
{
	(void)state;
	Codectest__Everything *e = everything(
		"{\"anything\": 42, \"choice\": \"s\", \"extra\": {\"b\": [1, 2.50, {\"c\": null}], \"a\": \"x\"},"
		" \"labels\": {\"x\": 1}, \"matrix\": [[1, 2], [3.5e1], []]}");
	EXPECT_JSON(e->anything, "42");
	EXPECT_JSON(e->choice, "\"s\"");
	/* member order and number literals as written */
	EXPECT_JSON(e->extra, "{\"b\":[1,2.50,{\"c\":null}],\"a\":\"x\"}");
	EXPECT_JSON(e->labels, "{\"x\":1}");
	EXPECT_JSON(e->matrix, "[[1,2],[3.5e1],[]]");
	EXPECT_JSON(encode(&fx_Everything, &e->base),
	            "{\"anything\":42,\"choice\":\"s\",\"extra\":{\"b\":[1,2.50,{\"c\":null}],\"a\":\"x\"},"
	            "\"labels\":{\"x\":1},\"matrix\":[[1,2],[3.5e1],[]]}");
	expect_round_trip(&fx_Everything, EVERYTHING,
	                  "{\"anything\":\"text\",\"choice\":7,\"extra\":{},\"labels\":{}}");
	expect_round_trip(&fx_Everything, EVERYTHING, "{\"anything\":[true,false,null,-1.5E-3,\"\\u0000\\\"\"]}");
}

static void test_free_form_null_is_absent(void **state)
{
	(void)state;
	Codectest__Everything *e = everything("{\"anything\":null,\"extra\":null}");
	assert_null(e->anything);
	assert_null(e->extra);
	EXPECT_JSON(encode(&fx_Everything, &e->base), "{}");
}

static void test_free_form_text_is_checked_and_compacted_on_output(void **state)
{
	(void)state;
	Codectest__Everything *e = empty_everything();
	e->extra = (char *)" { \"a\" : [ 1 , \"b c\" ] ,\n\t\"d\" : { } } ";
	EXPECT_JSON(encode(&fx_Everything, &e->base), "{\"extra\":{\"a\":[1,\"b c\"],\"d\":{}}}");
	static const char *const bad[] = {
		"{bad", "", " ", "[1,]", "{\"a\":1,}", "01", "1.", "-", "tru", "nul", "\"\\x\"", "\"\\ud800\"",
		"\"\\udc00\"", "\"\xff\"", "\"a\nb\"", "[1] [2]", "{\"a\" 1}", "{1:2}", "NaN", "[", "}", "\"abc",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char copy[32];
		snprintf(copy, sizeof(copy), "%s", bad[i]);
		e->extra = copy;
		axr_buf_t b = AXR_BUF_INIT;
		int rc = axr_codec_to_json(&fx_Everything, &e->base, 0, &b);
		EXPECT_MSG(rc == AXR_EINVAL, "text %zu (%s) gave %s: %s", i, bad[i], axr_errname(rc), b.data ? b.data : "");
		axr_buf_free(&b);
	}
	/* Nesting is checked up to the parser's hard limit. */
	char deep[2100];
	memset(deep, '[', 1025);
	memset(deep + 1025, ']', 1025);
	deep[2050] = '\0';
	e->extra = deep;
	expect_encode_error(&fx_Everything, &e->base, AXR_EINVAL);
	deep[1024] = ' ';
	deep[1025] = ' ';
	EXPECT_MSG(strlen(encode(&fx_Everything, &e->base)) == 2048 + 10, "%s", "1024 levels are fine");
}

/* ---- presence ---------------------------------------------------------------------- */

static void test_nullable_null_in_is_omitted_out(void **state)
{
	(void)state;
	Codectest__Everything *e = everything("{\"maybe\":null,\"note\":null,\"requiredNote\":null}");
	assert_null(e->maybe);
	assert_null(e->note);
	EXPECT_JSON(encode(&fx_Everything, &e->base), "{}");
	expect_round_trip(&fx_Everything, EVERYTHING, "{\"maybe\":{\"id\":\"m\"},\"note\":\"n\"}");
}

static void test_absent_and_present_empty_values(void **state)
{
	(void)state;
	Codectest__Everything *e = everything("{\"child\":{},\"extra\":{},\"name\":\"\",\"tags\":[]}");
	assert_non_null(e->child);
	EXPECT_JSON(e->name, "");
	assert_int_equal(e->n_tags, 0);
	/* Present-empty strings and messages stay; an empty array cannot be told
	 * from an absent one in protobuf and is omitted (unless required). */
	EXPECT_JSON(encode(&fx_Everything, &e->base), "{\"child\":{},\"extra\":{},\"name\":\"\"}");
	e = everything("{}");
	assert_false(e->has_count);
	assert_false(e->has_total);
	assert_null(e->name);
	assert_null(e->child);
	EXPECT_JSON(encode(&fx_Everything, &e->base), "{}");
	e = everything("{\"count\":0,\"active\":false,\"ratio\":0}");
	EXPECT_JSON(encode(&fx_Everything, &e->base), "{\"active\":false,\"count\":0,\"ratio\":0}");
}

static void test_required_members_are_written_even_when_empty(void **state)
{
	(void)state;
	ProtobufCMessage *m = decode(&fx_EverythingStrict, EVERYTHING, "{\"requiredList\":[],\"requiredNote\":null}");
	EXPECT_JSON(encode(&fx_EverythingStrict, m), "{\"requiredList\":[],\"requiredNote\":null}");
	expect_round_trip(&fx_EverythingStrict, EVERYTHING, "{\"requiredList\":[\"a\"],\"requiredNote\":\"n\"}");
	/* Not required: omitted. */
	EXPECT_JSON(encode(&fx_Everything, m), "{}");
}

/* ---- readOnly / writeOnly ---------------------------------------------------------- */

static void test_write_only_is_dropped_in_response_mode_only(void **state)
{
	(void)state;
	const char *text = "{\"child\":{\"pin\":\"1234\",\"qty\":1},\"children\":[{\"id\":\"x\",\"pin\":\"9\"}],"
	                   "\"password\":\"hunter2\"}";
	ProtobufCMessage *m = decode(&fx_Everything, EVERYTHING, text);
	EXPECT_JSON(encode(&fx_Everything, m), text);
	EXPECT_JSON(encode_flags(&fx_Everything, m, AXR_CODEC_RESPONSE),
	            "{\"child\":{\"qty\":1},\"children\":[{\"id\":\"x\"}]}");
}

static void test_read_only_is_kept_in_responses(void **state)
{
	(void)state;
	ProtobufCMessage *m = decode(&fx_Everything, EVERYTHING, "{\"createdAt\":\"2024-01-01T00:00:00Z\"}");
	EXPECT_JSON(encode_flags(&fx_Everything, m, AXR_CODEC_RESPONSE), "{\"createdAt\":\"2024-01-01T00:00:00Z\"}");
}

static void test_write_only_inside_free_form_values_is_stripped_in_responses(void **state)
{
	(void)state;
	Codectest__Everything *e = everything("{\"secretBox\":{\"token\":\"t0k\",\"visible\":\"v\"}}");
	EXPECT_JSON(e->secret_box, "{\"token\":\"t0k\",\"visible\":\"v\"}");
	EXPECT_JSON(encode(&fx_Everything, &e->base), "{\"secretBox\":{\"token\":\"t0k\",\"visible\":\"v\"}}");
	EXPECT_JSON(encode_flags(&fx_Everything, &e->base, AXR_CODEC_RESPONSE), "{\"secretBox\":{\"visible\":\"v\"}}");
	e = everything("{\"secretBox\":\"just text\"}");
	EXPECT_JSON(encode_flags(&fx_Everything, &e->base, AXR_CODEC_RESPONSE), "{\"secretBox\":\"just text\"}");
	/* A free-form schema with nothing writeOnly is copied, not parsed: its
	 * numbers stay as written. */
	e = empty_everything();
	e->extra = (char *)"{\"n\":1.10,\"big\":123456789012345678901234567890}";
	EXPECT_JSON(encode_flags(&fx_Everything, &e->base, AXR_CODEC_RESPONSE),
	            "{\"extra\":{\"n\":1.10,\"big\":123456789012345678901234567890}}");
	/* Stripping parses the text but keeps numbers as written too. */
	e->secret_box = (char *)"{\"n\":1.10,\"token\":\"x\",\"big\":-123456789012345678901234567890}";
	EXPECT_JSON(encode_flags(&fx_Everything, &e->base, AXR_CODEC_RESPONSE),
	            "{\"extra\":{\"n\":1.10,\"big\":123456789012345678901234567890},"
	            "\"secretBox\":{\"n\":1.10,\"big\":-123456789012345678901234567890}}");
}

/* ---- tables and fields ---------------------------------------------------------------- */

static void test_properties_without_field_and_undeclared_members_are_ignored(void **state)
{
	(void)state;
	Codectest__Everything *e = everything("{\"legacy\":\"old\",\"undeclared\":[1],\"name\":\"n\"}");
	EXPECT_JSON(e->name, "n");
	e->has_unused = 1;
	e->unused = 99; /* a field no property names never leaves */
	EXPECT_JSON(encode(&fx_Everything, &e->base), "{\"name\":\"n\"}");
}

static void test_members_follow_the_table_order_not_field_numbers(void **state)
{
	(void)state;
	/* total = 1, ratio = 2, count = 3: the output is sorted by name */
	Codectest__Everything *e = everything("{\"total\":1,\"ratio\":2,\"count\":3}");
	EXPECT_JSON(encode(&fx_Everything, &e->base), "{\"count\":3,\"ratio\":2,\"total\":1}");
}

static void test_errors_are_collected_with_escaped_json_pointers(void **state)
{
	(void)state;
	ProtobufCMessage *m = NULL;
	axr_verrors_t errs;
	axr_verrors_init(&errs, arena, 16);
	int rc = decode_rc(&fx_Everything, EVERYTHING,
	                   "{\"children\":[{\"qty\":1},{\"qty\":\"y\"}],\"count\":\"x\",\"tags\":[1],\"x/y~z\":1.5}",
	                   &errs, &m);
	assert_int_equal(rc, AXR_EINVAL);
	assert_null(m);
	static const char *const paths[] = {"/children/1/qty", "/count", "/tags/0", "/x~1y~0z"};
	EXPECT_MSG(errs.count == 4, "%zu errors", errs.count);
	for (size_t i = 0; i < 4; i++)
		EXPECT_JSON(errs.items[i].path, paths[i]);
	/* A full list stops the decoder. */
	axr_verrors_init(&errs, arena, 1);
	rc = decode_rc(&fx_Everything, EVERYTHING, "{\"count\":\"x\",\"tags\":[1]}", &errs, &m);
	assert_int_equal(rc, AXR_EINVAL);
	assert_int_equal(errs.count, 1);
	assert_true(errs.truncated);
	/* And so does max == 0 (decide only). */
	axr_verrors_init(&errs, arena, 0);
	assert_int_equal(decode_rc(&fx_Everything, EVERYTHING, "{\"count\":\"x\"}", &errs, &m), AXR_EINVAL);
	expect_round_trip(&fx_Everything, EVERYTHING, "{\"x/y~z\":5}");
}

static void test_table_naming_a_missing_field_is_econfig(void **state)
{
	(void)state;
	static const axr_property_t ghost[] = {{.name = "ghost", .schema = &fx_string, .field = 99}};
	static const axr_schema_t broken = {
		.types = AXR_TYPE_OBJECT,
		.properties = ghost,
		.n_properties = 1,
	};
	ProtobufCMessage *m = NULL;
	assert_int_equal(decode_rc(&broken, EVERYTHING, "{\"ghost\":\"x\"}", NULL, &m), AXR_ECONFIG);
	expect_encode_error(&broken, &empty_everything()->base, AXR_ECONFIG);
	/* A free-form schema for a message with several fields describes nothing. */
	expect_encode_error(&fx_AnyPayload, &empty_everything()->base, AXR_ECONFIG);
}

/* ---- wrappers and inputs ------------------------------------------------------------- */

static void test_list_wrapper_is_a_json_array(void **state)
{
	(void)state;
	const char *text = "[{\"name\":\"a\"},{\"count\":2,\"password\":\"p\"}]";
	Codectest__EverythingList *l =
		(Codectest__EverythingList *)decode(&fx_EverythingArray, &codectest__everything_list__descriptor, text);
	assert_int_equal(l->n_items, 2);
	EXPECT_JSON(l->items[0]->name, "a");
	EXPECT_JSON(encode(&fx_EverythingArray, &l->base), text);
	EXPECT_JSON(encode_flags(&fx_EverythingArray, &l->base, AXR_CODEC_RESPONSE), "[{\"name\":\"a\"},{\"count\":2}]");
	/* op.c answers list operations with field_to_json of `items`. */
	axr_buf_t b = AXR_BUF_INIT;
	assert_int_equal(axr_codec_field_to_json(&fx_EverythingArray, &l->base,
	                                         &codectest__everything_list__descriptor.fields[0],
	                                         AXR_CODEC_RESPONSE, &b), 0);
	EXPECT_JSON(b.data, "[{\"name\":\"a\"},{\"count\":2}]");
	axr_buf_free(&b);
	l = (Codectest__EverythingList *)decode(&fx_EverythingArray, &codectest__everything_list__descriptor, "[]");
	EXPECT_JSON(encode(&fx_EverythingArray, &l->base), "[]");
	expect_round_trip(&fx_StringArray, &codectest__string_list__descriptor, "[\"a\",\"b\\\"\"]");
	ProtobufCMessage *m = NULL;
	assert_int_equal(decode_rc(&fx_StringArray, &codectest__string_list__descriptor, "{}", NULL, &m), AXR_EINVAL);
}

static void test_json_value_wrapper_carries_any_payload_as_text(void **state)
{
	(void)state;
	const ProtobufCMessageDescriptor *jv = &codectest__json_value__descriptor;
	Codectest__JsonValue *v = (Codectest__JsonValue *)decode(&fx_StringPayload, jv, "\"hello\"");
	EXPECT_JSON(v->json, "\"hello\""); /* even a string payload is JSON text here */
	EXPECT_JSON(encode(&fx_StringPayload, &v->base), "\"hello\"");
	expect_round_trip(&fx_AnyPayload, jv, "{\"a\":[1,{}]}");
	expect_round_trip(&fx_AnyPayload, jv, "12.50");
	v = (Codectest__JsonValue *)decode(&fx_AnyPayload, jv, "null");
	assert_null(v->json);
	EXPECT_JSON(encode(&fx_AnyPayload, &v->base), "null");
	expect_round_trip(NULL, jv, "[]");
}

static void test_operation_input_takes_parameters_and_body(void **state)
{
	(void)state;
	const char *text = "{\"body\":{\"child\":{\"qty\":3},\"name\":\"n\"},\"fields\":[\"a\",\"b\"],"
	                   "\"id\":\"0b7f8e7c-1c7e-4c5e-9d7a-2f4b8a9c0d1e\",\"limit\":10}";
	Codectest__GetThingInput *in = (Codectest__GetThingInput *)decode(
		&fx_GetThingInput, &codectest__get_thing_input__descriptor, text);
	assert_true(in->has_limit && in->limit == 10);
	assert_int_equal(in->n_fields, 2);
	EXPECT_JSON(in->body->name, "n");
	assert_int_equal(in->body->child->qty, 3);
	EXPECT_JSON(encode(&fx_GetThingInput, &in->base), text);
	/* An operation without parameters has an empty input and an empty table. */
	static const axr_schema_t no_params = {.types = AXR_TYPE_OBJECT};
	ProtobufCMessage *m = decode(&no_params, &codectest__ping_input__descriptor, "{}");
	EXPECT_JSON(encode(&no_params, m), "{}");
}

/* ---- one field (jsonb columns) -------------------------------------------------------- */

static const ProtobufCFieldDescriptor *field(const ProtobufCMessageDescriptor *d, unsigned id)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, id);
	assert_non_null(f);
	return f;
}

static char *field_json(const axr_schema_t *s, const ProtobufCMessage *m, unsigned id, unsigned flags)
{
	axr_buf_t b = AXR_BUF_INIT;
	int rc = axr_codec_field_to_json(s, m, field(m->descriptor, id), flags, &b);
	EXPECT_MSG(rc == 0, "field_to_json(%u) = %s", id, axr_errname(rc));
	char *out = axr_arena_strndup(arena, b.data ? b.data : "", b.len);
	axr_buf_free(&b);
	return out;
}

static void test_field_to_json_of_messages_arrays_and_free_form(void **state)
{
	(void)state;
	Codectest__Everything *e = everything("{\"child\":{\"id\":\"c\",\"pin\":\"p\"},\"children\":[{\"qty\":1}],"
	                                      "\"extra\":{\"k\":[1]},\"tags\":[\"t\"]}");
	EXPECT_JSON(field_json(&fx_child_ref, &e->base, 14, 0), "{\"id\":\"c\",\"pin\":\"p\"}");
	EXPECT_JSON(field_json(&fx_child_ref, &e->base, 14, AXR_CODEC_RESPONSE), "{\"id\":\"c\"}");
	EXPECT_JSON(field_json(&fx_child_array, &e->base, 13, 0), "[{\"qty\":1}]");
	EXPECT_JSON(field_json(&fx_object, &e->base, 15, 0), "{\"k\":[1]}");
	EXPECT_JSON(field_json(&fx_string_array, &e->base, 12, 0), "[\"t\"]");
	/* absent: null; an empty repeated field: [] */
	EXPECT_JSON(field_json(&fx_Node, &e->base, 24, 0), "null");
	EXPECT_JSON(field_json(&fx_labels, &e->base, 19, 0), "null");
	EXPECT_JSON(field_json(&fx_int64_array, &e->base, 9, 0), "[]");
}

static void test_field_from_json_reads_jsonb_text(void **state)
{
	(void)state;
	Codectest__Everything *e = empty_everything();
	const char *jsonb = "{\"a\": 1, \"b\": [1, 2.0, \"x y\"], \"c\": {}}";
	assert_int_equal(axr_codec_field_from_json(&fx_object, &e->base, field(EVERYTHING, 15), jsonb, strlen(jsonb),
	                                           arena), 0);
	EXPECT_JSON(e->extra, "{\"a\":1,\"b\":[1,2.0,\"x y\"],\"c\":{}}");
	const char *child = "{\"id\": \"c9\", \"qty\": 5}";
	assert_int_equal(axr_codec_field_from_json(&fx_child_ref, &e->base, field(EVERYTHING, 14), child,
	                                           strlen(child), arena), 0);
	EXPECT_JSON(e->child->id, "c9");
	assert_true(e->child->has_qty && e->child->qty == 5);
	const char *kids = "[{\"qty\": 1}, {\"id\": \"k\"}]";
	assert_int_equal(axr_codec_field_from_json(&fx_child_array, &e->base, field(EVERYTHING, 13), kids,
	                                           strlen(kids), arena), 0);
	assert_int_equal(e->n_children, 2);
	EXPECT_JSON(e->children[1]->id, "k");
	EXPECT_JSON(encode(&fx_Everything, &e->base),
	            "{\"child\":{\"id\":\"c9\",\"qty\":5},\"children\":[{\"qty\":1},{\"id\":\"k\"}],"
	            "\"extra\":{\"a\":1,\"b\":[1,2.0,\"x y\"],\"c\":{}}}");
	/* JSON null and SQL NULL clear the field. */
	assert_int_equal(axr_codec_field_from_json(&fx_object, &e->base, field(EVERYTHING, 15), "null", 4, arena), 0);
	assert_null(e->extra);
	assert_int_equal(axr_codec_field_from_json(&fx_child_ref, &e->base, field(EVERYTHING, 14), NULL, 0, arena), 0);
	assert_null(e->child);
	assert_int_equal(axr_codec_field_from_json(&fx_child_array, &e->base, field(EVERYTHING, 13), "null", 4, arena),
	                 0);
	assert_int_equal(e->n_children, 0);
	/* Text that is not JSON, or does not fit. */
	assert_int_equal(axr_codec_field_from_json(&fx_object, &e->base, field(EVERYTHING, 15), "{x", 2, arena),
	                 AXR_EINVAL);
	assert_int_equal(axr_codec_field_from_json(&fx_child_ref, &e->base, field(EVERYTHING, 14), "{x", 2, arena),
	                 AXR_EINVAL);
	assert_int_equal(axr_codec_field_from_json(&fx_child_ref, &e->base, field(EVERYTHING, 14), "[1]", 3, arena),
	                 AXR_EINVAL);
	assert_int_equal(axr_codec_field_from_json(&fx_int64_array, &e->base, field(EVERYTHING, 9),
	                                           "[99999999999999999999]", 22, arena), AXR_EINVAL);
}

/* ---- protobuf -------------------------------------------------------------------------- */

static const char canonical[] =
	"{\"active\":true,\"anything\":{\"deep\":[1,[2,[3]]]},\"blobs\":[{},[],\"s\",0],"
	"\"child\":{\"id\":\"c\",\"pin\":\"0000\",\"qty\":4},\"children\":[{\"id\":\"d\"},{\"qty\":0}],"
	"\"choice\":\"text\",\"color\":\"red\",\"count\":-17,\"createdAt\":\"2024-08-01T12:34:56.789Z\","
	"\"extra\":{\"z\":1,\"a\":2},\"kind\":\"alpha\",\"labels\":{\"one\":1,\"two\":2},\"levels\":[1,2,3],"
	"\"matrix\":[[0.5],[1,2]],\"maybe\":{\"qty\":1},\"name\":\"Ren\xc3\xa9" "e \\\"R\\\"\",\"note\":\"n\","
	"\"password\":\"pw\",\"ratio\":0.1,\"requiredList\":[\"r\"],\"requiredNote\":\"rn\","
	"\"scores\":[-9223372036854775808,9223372036854775807],\"secretBox\":{\"token\":\"t\"},"
	"\"switches\":[true],\"tags\":[\"a\",\"b\"],\"total\":1234567890123,"
	"\"tree\":{\"kids\":[{\"label\":\"k\"}],\"label\":\"r\",\"next\":{\"label\":\"n\"}},"
	"\"weights\":[1.5,-2,3e-10],\"x/y~z\":-1}";

static void test_canonical_document_round_trips(void **state)
{
	(void)state;
	expect_round_trip(&fx_Everything, EVERYTHING, canonical);
}

static void test_protobuf_unpacked_with_the_arena_allocator_gives_the_same_json(void **state)
{
	(void)state;
	ProtobufCMessage *m = decode(&fx_Everything, EVERYTHING, canonical);
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t *wire = axr_arena_alloc(arena, n);
	assert_int_equal(protobuf_c_message_pack(m, wire), n);
	ProtobufCAllocator alloc;
	axr_codec_arena_allocator(arena, &alloc);
	ProtobufCMessage *back = protobuf_c_message_unpack(EVERYTHING, &alloc, n, wire);
	assert_non_null(back);
	EXPECT_JSON(encode(&fx_Everything, back), canonical);
	/* Garbage fails cleanly (the arena takes whatever was allocated). */
	assert_null(protobuf_c_message_unpack(EVERYTHING, &alloc, 3, (const uint8_t *)"\xff\xff\xff"));
}

static void test_message_new_is_an_initialised_message_in_the_arena(void **state)
{
	(void)state;
	Codectest__Everything *e = empty_everything();
	assert_non_null(e);
	assert_ptr_equal(e->base.descriptor, EVERYTHING);
	assert_false(e->has_count);
	assert_null(e->name);
	assert_int_equal(e->n_tags, 0);
	ProtobufCAllocator alloc;
	axr_codec_arena_allocator(arena, &alloc);
	void *p = alloc.alloc(alloc.allocator_data, 0);
	assert_non_null(p);
	alloc.free(alloc.allocator_data, p); /* a no-op */
}

static void test_other_protobuf_types_round_trip(void **state)
{
	(void)state;
	const ProtobufCMessageDescriptor *wd = &codectest__wide__descriptor;
	const char *text = "{\"f32\":4294967295,\"f64\":18446744073709551615,\"pickText\":\"p\",\"real\":1.5,"
	                   "\"s32\":-2147483648,\"s64\":-9223372036854775808,\"sf32\":-1,\"sf64\":1,"
	                   "\"u32\":0,\"u64\":9223372036854775808}";
	json_object *v = NULL;
	ProtobufCMessage *m = NULL;
	assert_int_equal(axr_json_parse(text, strlen(text), NULL, &v, NULL), AXR_ERANGE); /* u64 beyond int64 */
	/* json-c holds uint64 values built by code */
	v = json_object_new_object();
	json_object_object_add(v, "f64", json_object_new_uint64(UINT64_MAX));
	json_object_object_add(v, "u64", json_object_new_uint64((uint64_t)INT64_MAX + 1));
	json_object_object_add(v, "f32", json_object_new_int64(UINT32_MAX));
	json_object_object_add(v, "pickText", json_object_new_string("p"));
	json_object_object_add(v, "real", json_object_new_double(1.5));
	json_object_object_add(v, "s32", json_object_new_int64(INT32_MIN));
	json_object_object_add(v, "s64", json_object_new_int64(INT64_MIN));
	json_object_object_add(v, "sf32", json_object_new_int64(-1));
	json_object_object_add(v, "sf64", json_object_new_int64(1));
	json_object_object_add(v, "u32", json_object_new_int64(0));
	assert_int_equal(axr_codec_from_json(&fx_Wide, wd, v, arena, &m, NULL), 0);
	json_object_put(v);
	Codectest__Wide *w = (Codectest__Wide *)m;
	assert_int_equal(w->pick_case, CODECTEST__WIDE__PICK_PICK_TEXT);
	assert_true(w->f64 == UINT64_MAX);
	EXPECT_JSON(encode(&fx_Wide, m), text);
	/* the other member of the oneof replaces it */
	w = (Codectest__Wide *)decode(&fx_Wide, wd, "{\"pickNumber\":5}");
	assert_int_equal(w->pick_case, CODECTEST__WIDE__PICK_PICK_NUMBER);
	EXPECT_JSON(encode(&fx_Wide, &w->base), "{\"pickNumber\":5}");
	/* ranges of the narrower types */
	static const char *const bad[] = {"{\"u32\":-1}", "{\"u32\":4294967296}", "{\"u64\":-1}", "{\"real\":1e39}",
	                                  "{\"raw\":\"bytes are not supported\"}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = NULL;
		int rc = decode_rc(&fx_Wide, wd, bad[i], NULL, &m);
		EXPECT_MSG(rc == AXR_EINVAL, "%s gave %s", bad[i], axr_errname(rc));
	}
	w = (Codectest__Wide *)axr_codec_message_new(wd, arena);
	w->has_raw = 1;
	w->raw.len = 1;
	w->raw.data = (uint8_t *)"x";
	expect_encode_error(&fx_Wide, &w->base, AXR_EINVAL);
}

/* ---- the fuzz target's copy of protoc-c's output ----------------------------------- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	EXPECT_MSG(f != NULL, "cannot open %s", path);
	axr_buf_t b = AXR_BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		axr_buf_append(&b, chunk, n);
	fclose(f);
	*len = b.len;
	char *out = axr_arena_strndup(arena, b.data ? b.data : "", b.len);
	axr_buf_free(&b);
	return out;
}

static void test_fuzz_copy_of_the_protoc_output_is_current(void **state)
{
	(void)state;
	char dir[] = "/tmp/axr-codec-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "protoc-c --proto_path=tests/unit/proto --c_out=%s tests/unit/proto/codectest.proto",
	         dir);
	assert_int_equal(system(cmd), 0);
	static const char *const files[] = {"codectest.pb-c.c", "codectest.pb-c.h"};
	for (size_t i = 0; i < 2; i++) {
		char fresh[96], copy[64];
		size_t fresh_len, copy_len;
		snprintf(fresh, sizeof(fresh), "%s/%s", dir, files[i]);
		snprintf(copy, sizeof(copy), "fuzz/%s", files[i]);
		const char *a = slurp(fresh, &fresh_len), *b = slurp(copy, &copy_len);
		EXPECT_MSG(fresh_len == copy_len && memcmp(a, b, copy_len) == 0,
		           "%s differs from protoc-c's output: run `protoc-c --proto_path=tests/unit/proto "
		           "--c_out=fuzz tests/unit/proto/codectest.proto`", copy);
		remove(fresh);
	}
	rmdir(dir);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_fixture_tables_prepare),
		T(test_int32_round_trips_at_its_bounds),
		T(test_int32_out_of_range_is_einval_at_its_pointer),
		T(test_int64_is_exact_at_int64_max_and_min),
		T(test_integer_fields_refuse_doubles_and_values_beyond_int64),
		T(test_double_prints_the_shortest_text_that_reads_back),
		T(test_double_nan_and_infinity_are_written_as_null),
		T(test_number_fields_take_integers_and_doubles),
		T(test_bool_round_trips),
		T(test_string_escapes_and_utf8_round_trip),
		T(test_string_with_u0000_does_not_fit_a_c_string),
		T(test_string_that_is_not_utf8_fails_the_encoding),
		T(test_string_mismatches_are_errors),
		T(test_enums_and_date_times_are_plain_strings),
		T(test_repeated_fields_of_every_kind_round_trip),
		T(test_null_element_of_a_typed_array_does_not_fit),
		T(test_nested_messages_follow_ref_chains),
		T(test_recursive_messages_round_trip),
		T(test_nesting_beyond_the_limit_is_einval),
		T(test_free_form_values_are_kept_as_compact_json_text),
		T(test_free_form_null_is_absent),
		T(test_free_form_text_is_checked_and_compacted_on_output),
		T(test_nullable_null_in_is_omitted_out),
		T(test_absent_and_present_empty_values),
		T(test_required_members_are_written_even_when_empty),
		T(test_write_only_is_dropped_in_response_mode_only),
		T(test_read_only_is_kept_in_responses),
		T(test_write_only_inside_free_form_values_is_stripped_in_responses),
		T(test_properties_without_field_and_undeclared_members_are_ignored),
		T(test_members_follow_the_table_order_not_field_numbers),
		T(test_errors_are_collected_with_escaped_json_pointers),
		T(test_table_naming_a_missing_field_is_econfig),
		T(test_list_wrapper_is_a_json_array),
		T(test_json_value_wrapper_carries_any_payload_as_text),
		T(test_operation_input_takes_parameters_and_body),
		T(test_field_to_json_of_messages_arrays_and_free_form),
		T(test_field_from_json_reads_jsonb_text),
		T(test_canonical_document_round_trips),
		T(test_protobuf_unpacked_with_the_arena_allocator_gives_the_same_json),
		T(test_message_new_is_an_initialised_message_in_the_arena),
		T(test_other_protobuf_types_round_trip),
		T(test_fuzz_copy_of_the_protoc_output_is_current),
	};
#undef T
	return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
