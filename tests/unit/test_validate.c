/* test_validate.c: the validator over static tables and compiled schemas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "arena.h"
#include "err.h"
#include "json.h"
#include "regex.h"
#include "schema.h"
#include "schema_compile.h"
#include "validate.h"

/* ---- tables written the way axrgen emits them */

static const axr_schema_t shop_Quantity = {
	.name = "Quantity",
	.types = AXR_TYPE_INTEGER,
	.format = AXR_FORMAT_INT64,
	.minimum = &(const axr_number_t)AXR_NUMBER_INT(1),
	.maximum = &(const axr_number_t)AXR_NUMBER_INT(9007199254740993),
};

static const axr_schema_t shop_Sku = {
	.types = AXR_TYPE_STRING,
	.min_length = 3,
	.max_length = 8,
	.flags = AXR_SCHEMA_MAX_LENGTH,
	.pattern = AXR_REGEX("^[A-Z][A-Z0-9-]*$"),
};

static const axr_schema_t shop_Uid = {
	.types = AXR_TYPE_STRING,
	.format = AXR_FORMAT_UUID,
	.flags = AXR_SCHEMA_READ_ONLY,
};

static const axr_schema_t shop_Password = {
	.types = AXR_TYPE_STRING,
	.min_length = 8,
	.flags = AXR_SCHEMA_WRITE_ONLY,
};

static const axr_schema_t shop_Item = {
	.name = "Item",
	.types = AXR_TYPE_OBJECT,
	.properties = (const axr_property_t[]){
		{.name = "quantity", .schema = &shop_Quantity},
		{.name = "sku", .schema = &shop_Sku},
	},
	.n_properties = 2,
	.required = (const char *const[]){"quantity", "sku"},
	.n_required = 2,
	.additional_properties = &axr_schema_false,
};

static const axr_schema_t shop_Tags = {
	.types = AXR_TYPE_ARRAY,
	.items = &(const axr_schema_t){.types = AXR_TYPE_STRING, .min_length = 1},
	.max_items = 3,
	.flags = AXR_SCHEMA_MAX_ITEMS | AXR_SCHEMA_UNIQUE_ITEMS,
};

static const axr_schema_t shop_Order = {
	.name = "Order",
	.types = AXR_TYPE_OBJECT,
	.properties = (const axr_property_t[]){
		{.name = "a/b~c", .schema = &(const axr_schema_t){.types = AXR_TYPE_BOOLEAN}},
		{.name = "email", .schema = &(const axr_schema_t){.types = AXR_TYPE_STRING,
								  .format = AXR_FORMAT_EMAIL}},
		{.name = "items", .schema = &(const axr_schema_t){.types = AXR_TYPE_ARRAY,
								  .items = &shop_Item, .min_items = 1}},
		{.name = "note", .schema = &(const axr_schema_t){.types = AXR_TYPE_STRING,
								 .flags = AXR_SCHEMA_NULLABLE}},
		{.name = "password", .schema = &shop_Password},
		{.name = "status", .schema = &(const axr_schema_t){
			.types = AXR_TYPE_STRING,
			.enum_values = (const axr_value_t[]){AXR_VALUE_STR("open"), AXR_VALUE_STR("paid")},
			.n_enum = 2}},
		{.name = "tags", .schema = &shop_Tags},
		{.name = "uid", .schema = &shop_Uid},
	},
	.n_properties = 8,
	.required = (const char *const[]){"email", "items", "password", "uid"},
	.n_required = 4,
	.additional_properties = &axr_schema_false,
};

/* A recursive schema: a pointer cycle, no $ref needed. */
static const axr_schema_t tree_Node;
static const axr_schema_t tree_Node = {
	.types = AXR_TYPE_OBJECT,
	.properties = (const axr_property_t[]){
		{.name = "children", .schema = &(const axr_schema_t){.types = AXR_TYPE_ARRAY,
								     .items = &tree_Node}},
		{.name = "value", .schema = &(const axr_schema_t){.types = AXR_TYPE_INTEGER}},
	},
	.n_properties = 2,
	.required = (const char *const[]){"value"},
	.n_required = 1,
};

/* Broken tables the startup check must catch. */
static const axr_schema_t unsorted = {
	.name = "Unsorted",
	.properties = (const axr_property_t[]){{.name = "b"}, {.name = "a"}},
	.n_properties = 2,
};
static const axr_schema_t bad_pattern = {.name = "Bad", .pattern = AXR_REGEX("([a-z]")};

/* ---- fixture and helpers */

typedef struct fixture {
	axr_arena_t *arena;
	axr_schema_doc_t *docs[32];
	size_t n_docs;
	char got[4096];
} fixture_t;

static int setup(void **state)
{
	fixture_t *f = test_calloc(1, sizeof(*f));
	f->arena = axr_arena_new(0);
	*state = f;
	return f->arena ? 0 : -1;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	for (size_t i = 0; i < f->n_docs; i++)
		axr_schema_doc_free(f->docs[i]);
	axr_arena_free(f->arena);
	test_free(f);
	axr_regex_thread_cleanup();
	return 0;
}

static json_object *parse(const char *text)
{
	json_object *v = NULL;
	axr_json_error_t err;
	if (axr_json_parse(text, strlen(text), NULL, &v, &err) != 0) {
		print_error("bad test JSON %s: %s\n", text, err.message);
		fail();
	}
	return v;
}

/* Compiles a JSON Schema (or an OpenAPI-ish document and a ref into it). */
static const axr_schema_t *compile_at(fixture_t *f, const char *text, const char *ref)
{
	json_object *doc = parse(text);
	const axr_schema_t *s = NULL;
	char err[256] = "";
	assert_true(f->n_docs < 32);
	int rc = axr_schema_doc_new(doc, NULL, &f->docs[f->n_docs], err, sizeof(err));
	json_object_put(doc);
	if (rc == 0)
		rc = axr_schema_doc_get(f->docs[f->n_docs++], ref, &s, err, sizeof(err));
	if (rc != 0) {
		print_error("schema does not compile: %s\n", err);
		fail();
	}
	return s;
}

static const axr_schema_t *compile(fixture_t *f, const char *text)
{
	return compile_at(f, text, "#");
}

/* Joins the errors as "path: message\n" lines into f->got. */
static const char *render(fixture_t *f, const axr_verrors_t *errs)
{
	size_t o = 0;
	f->got[0] = '\0';
	for (size_t i = 0; i < errs->count && o < sizeof(f->got); i++)
		o += (size_t)snprintf(f->got + o, sizeof(f->got) - o, "%s: %s\n", errs->items[i].path,
				      errs->items[i].message);
	return f->got;
}

/* Validates `text` and compares every error ("" when valid). */
static void expect(fixture_t *f, const axr_schema_t *s, axr_validate_mode_t mode, const char *text,
		   const char *want)
{
	axr_verrors_t errs;
	json_object *v = parse(text);
	axr_arena_reset(f->arena);
	axr_verrors_init(&errs, f->arena, AXR_VERRORS_DEFAULT_MAX);
	int rc = axr_validate(s, v, mode, &errs);
	json_object_put(v);
	if (strcmp(render(f, &errs), want) != 0)
		print_error("for %s\n", text);
	assert_string_equal(render(f, &errs), want);
	assert_int_equal(rc, *want ? AXR_EVALIDATION : 0);
}

#define VALID(f, s, text) expect((f), (s), AXR_VALIDATE_PLAIN, (text), "")

/* ---- tests */

static void test_static_tables_pass_the_startup_check(void **state)
{
	(void)state;
	char err[256] = "";
	assert_int_equal(axr_schema_prepare(&shop_Order, err, sizeof(err)), 0);
	assert_int_equal(axr_schema_prepare(&tree_Node, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

static void test_startup_check_rejects_unsorted_properties_and_bad_patterns(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(axr_schema_prepare(&unsorted, err, sizeof(err)), AXR_ECONFIG);
	assert_string_equal(err, "schema Unsorted: properties must be sorted and unique: \"b\" then \"a\"");
	assert_int_equal(axr_schema_prepare(&bad_pattern, err, sizeof(err)), AXR_ECONFIG);
	assert_string_equal(err, "schema Bad: pattern /([a-z]/ does not compile: missing closing parenthesis");
}

static void test_integer_rejects_every_hostile_value(void **state)
{
	fixture_t *f = *state;
	static const char *const hostile[] = {"NaN", "Infinity", "-Infinity", "1e400",
					      "99999999999999999999"};
	axr_verrors_t errs;
	json_object *v;

	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		axr_verrors_init(&errs, f->arena, 8);
		int rc = axr_validate_body(hostile[i], strlen(hostile[i]), NULL, &shop_Quantity,
					   AXR_VALIDATE_REQUEST, &errs, &v);
		assert_true(rc == AXR_EPARSE || rc == AXR_ERANGE);
		assert_null(v);
		assert_int_equal(errs.count, 1);
	}
	expect(f, &shop_Quantity, AXR_VALIDATE_REQUEST, "10.5", ": expected integer, got number\n");
	expect(f, &shop_Quantity, AXR_VALIDATE_REQUEST, "1.0", ": expected integer, got number\n");
	expect(f, &shop_Quantity, AXR_VALIDATE_REQUEST, "1e2", ": expected integer, got number\n");
	expect(f, &shop_Quantity, AXR_VALIDATE_REQUEST, "\"100\"", ": expected integer, got string\n");
	expect(f, &shop_Quantity, AXR_VALIDATE_REQUEST, "true", ": expected integer, got boolean\n");
	expect(f, &shop_Quantity, AXR_VALIDATE_REQUEST, "null", ": expected integer, got null\n");
	VALID(f, &shop_Quantity, "100");
	const axr_schema_t *nullable = compile(f, "{\"type\":\"integer\",\"nullable\":true}");
	VALID(f, nullable, "null");
	expect(f, nullable, AXR_VALIDATE_PLAIN, "\"1\"", ": expected integer, got string\n");
}

static void test_int64_bounds_are_exact_not_doubles(void **state)
{
	fixture_t *f = *state;
	/* 2^53 + 1 == 9007199254740993 is not a double: a double compare would
	 * call 9007199254740994 equal to the maximum */
	VALID(f, &shop_Quantity, "9007199254740993");
	expect(f, &shop_Quantity, AXR_VALIDATE_PLAIN, "9007199254740994",
	       ": must be <= 9007199254740993\n");
	expect(f, &shop_Quantity, AXR_VALIDATE_PLAIN, "0", ": must be >= 1\n");
	const axr_schema_t *s = compile(f, "{\"minimum\": 9223372036854775807}");
	VALID(f, s, "9223372036854775807");
	expect(f, s, AXR_VALIDATE_PLAIN, "9223372036854775806", ": must be >= 9223372036854775807\n");
	expect(f, s, AXR_VALIDATE_PLAIN, "9.2233720368547e18", ": must be >= 9223372036854775807\n");
	const axr_schema_t *i32 = compile(f, "{\"type\":\"integer\",\"format\":\"int32\"}");
	VALID(f, i32, "-2147483648");
	expect(f, i32, AXR_VALIDATE_PLAIN, "2147483648",
	       ": must be an integer from -2147483648 to 2147483647 (int32)\n");
}

static void test_exclusive_bounds_in_both_forms(void **state)
{
	fixture_t *f = *state;
	const axr_schema_t *draft4 = compile(f, "{\"minimum\":0,\"exclusiveMinimum\":true,"
						"\"maximum\":10,\"exclusiveMaximum\":true}");
	const axr_schema_t *oas31 = compile(f, "{\"exclusiveMinimum\":0,\"exclusiveMaximum\":10.5}");
	expect(f, draft4, AXR_VALIDATE_PLAIN, "0", ": must be > 0\n");
	expect(f, draft4, AXR_VALIDATE_PLAIN, "10", ": must be < 10\n");
	VALID(f, draft4, "0.0001");
	expect(f, oas31, AXR_VALIDATE_PLAIN, "0", ": must be > 0\n");
	expect(f, oas31, AXR_VALIDATE_PLAIN, "10.5", ": must be < 10.5\n");
	VALID(f, oas31, "10");
}

static void test_multiple_of_is_exact_for_decimals(void **state)
{
	fixture_t *f = *state;
	const axr_schema_t *tenth = compile(f, "{\"multipleOf\":0.1}");
	const axr_schema_t *cents = compile(f, "{\"multipleOf\":0.01}");
	const axr_schema_t *seven = compile(f, "{\"multipleOf\":7}");
	VALID(f, tenth, "0.3"); /* 0.3 / 0.1 == 2.9999999999999996 in doubles */
	VALID(f, tenth, "12345678.9");
	expect(f, tenth, AXR_VALIDATE_PLAIN, "0.35", ": must be a multiple of 0.1\n");
	VALID(f, cents, "19.99");
	expect(f, cents, AXR_VALIDATE_PLAIN, "19.999", ": must be a multiple of 0.01\n");
	/* INT64_MAX is 7 * 1317624576693539401; as doubles both are 2^63 */
	VALID(f, seven, "9223372036854775807");
	expect(f, seven, AXR_VALIDATE_PLAIN, "9223372036854775806", ": must be a multiple of 7\n");
	VALID(f, seven, "7e3");
}

static void test_string_lengths_count_code_points(void **state)
{
	fixture_t *f = *state;
	const axr_schema_t *s = compile(f, "{\"minLength\":2,\"maxLength\":3}");
	VALID(f, s, "\"\xC3\xA9\xC3\xA9\xC3\xA9\"");        /* 3 code points, 6 bytes */
	VALID(f, s, "\"\xF0\x9F\x98\x80\xF0\x9F\x98\x80\""); /* 2 code points, 8 bytes */
	expect(f, s, AXR_VALIDATE_PLAIN, "\"\xF0\x9F\x98\x80\"", ": must be at least 2 characters long\n");
	expect(f, s, AXR_VALIDATE_PLAIN, "\"abcd\"", ": must be at most 3 characters long\n");
}

static void test_patterns_use_ecma_semantics_and_compile_once(void **state)
{
	fixture_t *f = *state;
	VALID(f, &shop_Sku, "\"AB-12\"");
	void *compiled = atomic_load(&shop_Sku.pattern->compiled);
	assert_non_null(compiled);
	expect(f, &shop_Sku, AXR_VALIDATE_PLAIN, "\"ab-12\"", ": must match the pattern ^[A-Z][A-Z0-9-]*$\n");
	assert_ptr_equal(atomic_load(&shop_Sku.pattern->compiled), compiled);

	const axr_schema_t *digits = compile(f, "{\"pattern\":\"^\\\\d+$\"}");
	VALID(f, digits, "\"42\"");
	expect(f, digits, AXR_VALIDATE_PLAIN, "\"\xD9\xA3\"", ": must match the pattern ^\\d+$\n");
	const axr_schema_t *end = compile(f, "{\"pattern\":\"^abc$\"}");
	expect(f, end, AXR_VALIDATE_PLAIN, "\"abc\\n\"", ": must match the pattern ^abc$\n");
	const axr_schema_t *letter = compile(f, "{\"pattern\":\"^\\\\p{Letter}+$\"}");
	VALID(f, letter, "\"\xC3\xA9t\xC3\xA9\"");
}

static axr_regex_t shared_slot = AXR_REGEX_INIT("^(ab)+c$");

static void *match_many(void *arg)
{
	long hits = 0;
	(void)arg;
	for (int i = 0; i < 2000; i++) {
		bool m = false;
		if (axr_regex_match(&shared_slot, i % 2 ? "ababc" : "abx", i % 2 ? 5 : 3, &m) == 0 &&
		    m == (i % 2 == 1))
			hits++;
	}
	return (void *)hits;
}

static void test_pattern_slots_compile_once_across_threads(void **state)
{
	(void)state;
	pthread_t t[4];
	void *hits;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, match_many, NULL), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &hits), 0);
		assert_int_equal((long)hits, 2000);
	}
	assert_non_null(atomic_load(&shared_slot.compiled));
	axr_regex_release(&shared_slot);
}

static void test_hostile_backtracking_fails_fast(void **state)
{
	fixture_t *f = *state;
	const axr_schema_t *s = compile(f, "{\"pattern\":\"^(a+)+$\"}");
	char text[80];
	snprintf(text, sizeof(text), "\"%s!\"", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	clock_t start = clock();
	axr_verrors_t errs;
	json_object *v = parse(text);
	axr_verrors_init(&errs, f->arena, 4);
	int rc = axr_validate(s, v, AXR_VALIDATE_PLAIN, &errs);
	json_object_put(v);
	double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
	assert_int_equal(rc, AXR_EVALIDATION);
	assert_string_equal(render(f, &errs), ": is too complex to match against the pattern ^(a+)+$\n");
	assert_true(seconds < 1.0);
}

static void test_formats(void **state)
{
	fixture_t *f = *state;
	static const struct {
		const char *format, *good, *bad;
	} cases[] = {
		{"uuid", "\"123e4567-e89b-12d3-a456-426614174000\"", "\"123e4567e89b12d3a456426614174000\""},
		{"date-time", "\"2024-02-29T23:59:60Z\"", "\"2023-02-29T10:00:00Z\""},
		{"date", "\"2000-02-29\"", "\"2000-13-01\""},
		{"email", "\"joe.bloggs@example.com\"", "\"joe..bloggs@example.com\""},
		{"uri", "\"https://example.com/a?b#c\"", "\"/relative/only\""},
		{"ipv4", "\"192.168.0.1\"", "\"192.168.0.01\""},
		{"ipv6", "\"::ffff:192.168.0.1\"", "\"1::2::3\""},
		{"hostname", "\"api.example.com\"", "\"-bad.example.com\""},
		{"byte", "\"aGVsbG8=\"", "\"aGVsbG8\""},
	};
	char schema[96], want[96];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(schema, sizeof(schema), "{\"format\":\"%s\"}", cases[i].format);
		snprintf(want, sizeof(want), ": must be a valid %s\n", cases[i].format);
		const axr_schema_t *s = compile(f, schema);
		VALID(f, s, cases[i].good);
		VALID(f, s, "12"); /* string formats ignore other types */
		expect(f, s, AXR_VALIDATE_PLAIN, cases[i].bad, want);
	}
	VALID(f, compile(f, "{\"format\":\"no-such-format\"}"), "\"anything\"");
}

static void test_enum_and_const_use_deep_equality(void **state)
{
	fixture_t *f = *state;
	const axr_schema_t *e = compile(f, "{\"enum\":[{\"a\":[1,2]},\"x\",null]}");
	VALID(f, e, "{\"a\":[1.0,2]}");
	VALID(f, e, "null");
	expect(f, e, AXR_VALIDATE_PLAIN, "{\"a\":[2,1]}", ": must be one of: {...}, \"x\", null\n");
	expect(f, e, AXR_VALIDATE_PLAIN, "false", ": must be one of: {...}, \"x\", null\n");
	const axr_schema_t *c = compile(f, "{\"const\":0}");
	VALID(f, c, "0.0");
	expect(f, c, AXR_VALIDATE_PLAIN, "false", ": must be 0\n");
	expect(f, &shop_Order, AXR_VALIDATE_PLAIN,
	       "{\"email\":\"a@b.c\",\"items\":[{\"quantity\":1,\"sku\":\"ABC\"}],\"password\":\"12345678\","
	       "\"uid\":\"123e4567-e89b-12d3-a456-426614174000\",\"status\":\"closed\"}",
	       "/status: must be one of: \"open\", \"paid\"\n");
}

static void test_unique_items_finds_duplicates_in_large_arrays(void **state)
{
	fixture_t *f = *state;
	const axr_schema_t *s = compile(f, "{\"uniqueItems\":true}");
	char text[12000];
	size_t o = 0;
	o += (size_t)snprintf(text + o, sizeof(text) - o, "[");
	for (int i = 0; i < 1000; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%d,", i);
	snprintf(text + o, sizeof(text) - o, "{\"b\":2,\"a\":1},{\"a\":1,\"b\":2},500.0]");
	expect(f, s, AXR_VALIDATE_PLAIN, text,
	       ": must not contain duplicates (items 500 and 1002 are equal)\n");
	expect(f, s, AXR_VALIDATE_PLAIN, "[[1],{\"a\":1},{\"a\":1.0}]",
	       ": must not contain duplicates (items 1 and 2 are equal)\n");
	VALID(f, s, "[1,true,\"1\",[1],{\"1\":1},null,0,false]");
	expect(f, &shop_Tags, AXR_VALIDATE_PLAIN, "[\"a\",\"b\",\"a\",\"\"]",
	       ": must have at most 3 items\n"
	       "/3: must be at least 1 characters long\n"
	       ": must not contain duplicates (items 0 and 2 are equal)\n");
}

static void test_object_keywords(void **state)
{
	fixture_t *f = *state;
	const axr_schema_t *s = compile(
		f, "{\"properties\":{\"a\":{\"type\":\"string\"}},\"patternProperties\":{\"^x-\":"
		   "{\"type\":\"integer\"}},\"additionalProperties\":false,\"minProperties\":1,"
		   "\"maxProperties\":3,\"dependencies\":{\"a\":[\"x-b\"],\"x-c\":{\"required\":[\"a\"]}}}");
	VALID(f, s, "{\"a\":\"1\",\"x-b\":2}");
	expect(f, s, AXR_VALIDATE_PLAIN, "{}", ": must have at least 1 property\n");
	expect(f, s, AXR_VALIDATE_PLAIN, "{\"a\":\"1\",\"x-b\":\"no\",\"zzz\":1,\"x-c\":1}",
	       ": must have at most 3 properties\n"
	       "/x-b: expected integer, got string\n"
	       "/zzz: is not an allowed property\n");
	expect(f, s, AXR_VALIDATE_PLAIN, "{\"a\":\"1\"}", "/x-b: is required when \"a\" is present\n");
	expect(f, s, AXR_VALIDATE_PLAIN, "{\"x-c\":1}", "/a: is required\n");
}

static void test_tuple_items_and_additional_items(void **state)
{
	fixture_t *f = *state;
	const axr_schema_t *s = compile(f, "{\"items\":[{\"type\":\"integer\"},{\"type\":\"string\"}],"
					   "\"additionalItems\":false}");
	VALID(f, s, "[1,\"a\"]");
	VALID(f, s, "[1]");
	expect(f, s, AXR_VALIDATE_PLAIN, "[\"a\",\"b\",3]",
	       "/0: expected integer, got string\n/2: is not allowed: at most 2 items\n");
}

static void test_composition(void **state)
{
	fixture_t *f = *state;
	const axr_schema_t *s = compile(
		f, "{\"allOf\":[{\"type\":\"integer\"},{\"minimum\":2}],\"anyOf\":[{\"maximum\":5},"
		   "{\"multipleOf\":10}],\"oneOf\":[{\"multipleOf\":2},{\"multipleOf\":3}],"
		   "\"not\":{\"const\":9}}");
	VALID(f, s, "4");
	VALID(f, s, "20");
	expect(f, s, AXR_VALIDATE_PLAIN, "1",
	       ": must be >= 2\n: must match exactly one of the 2 schemas in oneOf, matches none\n");
	expect(f, s, AXR_VALIDATE_PLAIN, "6",
	       ": must match at least one of the 2 schemas in anyOf\n"
	       ": must match exactly one of the schemas in oneOf, matches #0 and #1\n");
	expect(f, s, AXR_VALIDATE_PLAIN, "9",
	       ": must match at least one of the 2 schemas in anyOf\n"
	       ": must not match the schema in \"not\"\n");
}

static const char pets_spec[] =
	"{\"components\":{\"schemas\":{"
	"\"Pet\":{\"oneOf\":[{\"$ref\":\"#/components/schemas/Cat\"},{\"$ref\":\"#/components/schemas/Dog\"}],"
	"\"discriminator\":{\"propertyName\":\"petType\",\"mapping\":{\"kitty\":\"Cat\"}}},"
	"\"Cat\":{\"type\":\"object\",\"required\":[\"petType\",\"lives\"],\"properties\":{"
	"\"petType\":{\"type\":\"string\"},\"lives\":{\"type\":\"integer\",\"maximum\":9}}},"
	"\"Dog\":{\"type\":\"object\",\"required\":[\"petType\",\"bark\"],\"properties\":{"
	"\"petType\":{\"type\":\"string\"},\"bark\":{\"type\":\"boolean\"}}}}}}";

static void test_discriminator_reports_only_the_chosen_branch(void **state)
{
	fixture_t *f = *state;
	const axr_schema_t *pet = compile_at(f, pets_spec, "#/components/schemas/Pet");
	VALID(f, pet, "{\"petType\":\"Dog\",\"bark\":true}");
	VALID(f, pet, "{\"petType\":\"kitty\",\"lives\":3}");
	/* the explicit mapping replaces Cat's implicit name */
	expect(f, pet, AXR_VALIDATE_PLAIN, "{\"petType\":\"Cat\",\"lives\":3}",
	       "/petType: must be one of: \"kitty\", \"Dog\"\n");
	expect(f, pet, AXR_VALIDATE_PLAIN, "{\"petType\":\"Dog\",\"bark\":5}",
	       "/bark: expected boolean, got integer\n");
	expect(f, pet, AXR_VALIDATE_PLAIN, "{\"petType\":\"kitty\",\"lives\":10}", "/lives: must be <= 9\n");
	expect(f, pet, AXR_VALIDATE_PLAIN, "{\"petType\":\"cow\"}",
	       "/petType: must be one of: \"kitty\", \"Dog\"\n");
	expect(f, pet, AXR_VALIDATE_PLAIN, "{\"lives\":1}",
	       "/petType: is required (it selects the kind of object)\n");
	expect(f, pet, AXR_VALIDATE_PLAIN, "[]", ": expected object, got array\n");
}

static void test_collects_every_error_with_json_pointer_paths(void **state)
{
	fixture_t *f = *state;
	expect(f, &shop_Order, AXR_VALIDATE_REQUEST,
	       "{\"a/b~c\":1,\"email\":\"nope\",\"items\":[{\"quantity\":1,\"sku\":\"ABC\"},{},"
	       "{\"quantity\":0,\"sku\":\"x\",\"extra\":1},{\"quantity\":2.5,\"sku\":\"ABCDEFGHI\"}],"
	       "\"password\":\"short\",\"note\":null}",
	       "/a~1b~0c: expected boolean, got integer\n"
	       "/email: must be a valid email\n"
	       "/items/1/quantity: is required\n"
	       "/items/1/sku: is required\n"
	       "/items/2/quantity: must be >= 1\n"
	       "/items/2/sku: must be at least 3 characters long\n"
	       "/items/2/sku: must match the pattern ^[A-Z][A-Z0-9-]*$\n"
	       "/items/2/extra: is not an allowed property\n"
	       "/items/3/quantity: expected integer, got number\n"
	       "/items/3/sku: must be at most 8 characters long\n"
	       "/password: must be at least 8 characters long\n");
}

static void test_error_list_is_bounded(void **state)
{
	fixture_t *f = *state;
	const axr_schema_t *s = compile(f, "{\"items\":{\"type\":\"string\"}}");
	axr_verrors_t errs;
	json_object *v = parse("[1,2,3,4,5,6,7,8,9,10]");
	axr_verrors_init(&errs, f->arena, 4);
	assert_int_equal(axr_validate(s, v, AXR_VALIDATE_PLAIN, &errs), AXR_EVALIDATION);
	json_object_put(v);
	assert_int_equal(errs.count, 4);
	assert_true(errs.truncated);
	assert_string_equal(errs.items[3].path, "/3");
}

static void test_request_mode_rejects_read_only_properties(void **state)
{
	fixture_t *f = *state;
	const char *body = "{\"email\":\"a@b.c\",\"items\":[{\"quantity\":1,\"sku\":\"ABC\"}],"
			   "\"password\":\"12345678\",\"uid\":\"123e4567-e89b-12d3-a456-426614174000\"}";
	expect(f, &shop_Order, AXR_VALIDATE_REQUEST, body, "/uid: is read-only\n");
	/* a required readOnly property is not required in a request */
	expect(f, &shop_Order, AXR_VALIDATE_REQUEST,
	       "{\"email\":\"a@b.c\",\"items\":[{\"quantity\":1,\"sku\":\"ABC\"}],\"password\":\"12345678\"}",
	       "");
	VALID(f, &shop_Order, body);
	/* compiled schemas carry readOnly too, also behind a $ref */
	const axr_schema_t *user = compile_at(
		f, "{\"components\":{\"schemas\":{\"Id\":{\"type\":\"string\",\"readOnly\":true},"
		   "\"User\":{\"properties\":{\"uid\":{\"$ref\":\"#/components/schemas/Id\"},"
		   "\"roles\":{\"type\":\"array\",\"readOnly\":true}}}}}}",
		"#/components/schemas/User");
	expect(f, user, AXR_VALIDATE_REQUEST, "{\"uid\":\"x\",\"roles\":[\"admin\"]}",
	       "/uid: is read-only\n/roles: is read-only\n");
}

static void test_response_mode_reports_write_only_and_strip_removes_them(void **state)
{
	fixture_t *f = *state;
	const char *body = "{\"email\":\"a@b.c\",\"items\":[{\"quantity\":1,\"sku\":\"ABC\"}],"
			   "\"password\":\"12345678\",\"uid\":\"123e4567-e89b-12d3-a456-426614174000\"}";
	expect(f, &shop_Order, AXR_VALIDATE_RESPONSE, body, "/password: is write-only\n");

	json_object *v = parse(body);
	assert_int_equal(axr_strip_write_only(&shop_Order, v), 1);
	assert_false(json_object_object_get_ex(v, "password", NULL));
	json_object_put(v);
	expect(f, &shop_Order, AXR_VALIDATE_RESPONSE,
	       "{\"email\":\"a@b.c\",\"items\":[{\"quantity\":1,\"sku\":\"ABC\"}],"
	       "\"uid\":\"123e4567-e89b-12d3-a456-426614174000\"}",
	       "");

	/* nested, behind allOf and items */
	const axr_schema_t *list = compile(
		f, "{\"type\":\"array\",\"items\":{\"allOf\":[{\"properties\":{\"secret\":"
		   "{\"type\":\"string\",\"writeOnly\":true}}},{\"properties\":{\"name\":{}}}]}}");
	v = parse("[{\"name\":\"a\",\"secret\":\"s1\"},{\"secret\":\"s2\"},{\"name\":\"c\"}]");
	assert_int_equal(axr_strip_write_only(list, v), 2);
	assert_string_equal(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
			    "[{\"name\":\"a\"},{},{\"name\":\"c\"}]");
	json_object_put(v);
}

static void test_body_errors_carry_path_and_position(void **state)
{
	fixture_t *f = *state;
	axr_verrors_t errs;
	json_object *v;
	const char *body = "{\"items\":[{\"quantity\":99999999999999999999}]}";

	axr_verrors_init(&errs, f->arena, 8);
	assert_int_equal(axr_validate_body(body, strlen(body), NULL, &shop_Order, AXR_VALIDATE_REQUEST,
					   &errs, &v),
			 AXR_ERANGE);
	assert_string_equal(render(f, &errs),
			    "/items/0/quantity: invalid JSON at line 1, column 23 (byte 22): integer out "
			    "of range (must fit in 64 bits)\n");
	axr_verrors_init(&errs, f->arena, 8);
	body = "{\"a\":1,\"a\":2}";
	assert_int_equal(axr_validate_body(body, strlen(body), NULL, &tree_Node, AXR_VALIDATE_REQUEST,
					   &errs, &v),
			 AXR_EPARSE);
	assert_string_equal(render(f, &errs),
			    "/a: invalid JSON at line 1, column 8 (byte 7): duplicate key \"a\"\n");
	axr_verrors_init(&errs, f->arena, 8);
	body = "{\"value\":1,\"children\":[{\"value\":2,\"children\":[{\"value\":\"x\"}]}]}";
	assert_int_equal(axr_validate_body(body, strlen(body), NULL, &tree_Node, AXR_VALIDATE_REQUEST,
					   &errs, &v),
			 AXR_EVALIDATION);
	assert_string_equal(render(f, &errs),
			    "/children/0/children/0/value: expected integer, got string\n");
}

static void test_params_convert_and_validate(void **state)
{
	fixture_t *f = *state;
	const axr_schema_t *limit = compile(f, "{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000}");
	const axr_schema_t *ids = compile(f, "{\"type\":\"array\",\"items\":{\"type\":\"integer\"},"
					     "\"maxItems\":3}");
	const axr_schema_t *flag = compile(f, "{\"type\":\"boolean\"}");
	const axr_schema_t *name = compile(f, "{\"type\":\"string\",\"maxLength\":3}");
	static const struct {
		int which;
		axr_param_style_t style;
		const char *raw[4];
		size_t n;
		const char *json, *errors;
	} cases[] = {
		{0, AXR_PARAM_FORM_EXPLODE, {"10"}, 1, "10", ""},
		{0, AXR_PARAM_FORM_EXPLODE, {"abc"}, 1, NULL, "/limit: expected integer\n"},
		{0, AXR_PARAM_FORM_EXPLODE, {"10.5"}, 1, NULL, "/limit: expected integer, got number\n"},
		{0, AXR_PARAM_FORM_EXPLODE, {"1e400"}, 1, NULL, "/limit: is out of range\n"},
		{0, AXR_PARAM_FORM_EXPLODE, {"99999999999999999999"}, 1, NULL, "/limit: is out of range\n"},
		{0, AXR_PARAM_FORM_EXPLODE, {"NaN"}, 1, NULL, "/limit: expected integer\n"},
		{0, AXR_PARAM_FORM_EXPLODE, {" 10"}, 1, NULL, "/limit: expected integer\n"},
		{0, AXR_PARAM_FORM_EXPLODE, {"10 "}, 1, NULL, "/limit: expected integer\n"},
		{0, AXR_PARAM_FORM_EXPLODE, {"5000"}, 1, NULL, "/limit: must be <= 1000\n"},
		{0, AXR_PARAM_FORM_EXPLODE, {"1", "2"}, 2, NULL, "/limit: must not be repeated\n"},
		{1, AXR_PARAM_FORM_EXPLODE, {"1", "2"}, 2, "[1,2]", ""},
		{1, AXR_PARAM_FORM, {"1,2,3"}, 1, "[1,2,3]", ""},
		{1, AXR_PARAM_PIPE_DELIMITED, {"1|2"}, 1, "[1,2]", ""},
		{1, AXR_PARAM_FORM, {""}, 1, "[]", ""},
		{1, AXR_PARAM_FORM, {"1,x,3"}, 1, NULL, "/limit/1: expected integer\n"},
		{1, AXR_PARAM_FORM, {"1,2,3,4"}, 1, NULL, "/limit: must have at most 3 items\n"},
		{2, AXR_PARAM_FORM_EXPLODE, {"true"}, 1, "true", ""},
		{2, AXR_PARAM_FORM_EXPLODE, {"1"}, 1, NULL, "/limit: expected boolean\n"},
		{3, AXR_PARAM_FORM_EXPLODE, {"abc"}, 1, "\"abc\"", ""},
		{3, AXR_PARAM_FORM_EXPLODE, {"\xC3\xA9\xC3\xA9"}, 1, "\"\xC3\xA9\xC3\xA9\"", ""},
		{3, AXR_PARAM_FORM_EXPLODE, {"\xC3"}, 1, NULL, "/limit: must be valid UTF-8\n"},
		{3, AXR_PARAM_FORM_EXPLODE, {"abcd"}, 1, NULL, "/limit: must be at most 3 characters long\n"},
	};
	const axr_schema_t *schemas[] = {limit, ids, flag, name};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		axr_verrors_t errs;
		json_object *v = NULL;
		axr_verrors_init(&errs, f->arena, 8);
		int rc = axr_param_decode(schemas[cases[i].which], cases[i].style, cases[i].raw, NULL,
					  cases[i].n, "/limit", &errs, &v);
		if (strcmp(render(f, &errs), cases[i].errors) != 0)
			print_error("case %zu (%s)\n", i, cases[i].raw[0]);
		assert_string_equal(render(f, &errs), cases[i].errors);
		if (cases[i].json != NULL) {
			assert_int_equal(rc, 0);
			assert_string_equal(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
					    cases[i].json);
		} else {
			assert_int_equal(rc, AXR_EVALIDATION);
			assert_null(v);
		}
		json_object_put(v);
	}
}

static void test_schema_compile_reports_bad_schemas(void **state)
{
	(void)state;
	static const struct {
		const char *schema, *ref, *error;
	} cases[] = {
		{"{\"minLength\":-1}", "#", "#/minLength: must be a non-negative integer"},
		{"{\"properties\":{\"a\":{\"type\":\"strin\"}}}", "#", "#/properties/a/type: unknown type"},
		{"{\"pattern\":\"(\"}", "#", "#/pattern: pattern /(/ does not compile: missing closing parenthesis"},
		{"{\"$ref\":\"#/definitions/nope\"}", "#", "unresolvable $ref \"#/definitions/nope\": no such location"},
		{"{\"$ref\":\"other.json\"}", "#", "unresolvable $ref \"other.json\": no document \"other.json\" (nothing is fetched)"},
		{"{\"definitions\":{\"a\":{\"$ref\":\"#/definitions/b\"},\"b\":{\"$ref\":\"#/definitions/a\"}},"
		 "\"$ref\":\"#/definitions/a\"}", "#", "#/definitions/b: $ref cycle"},
		{"{\"multipleOf\":0}", "#", "#/multipleOf: must be greater than 0"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *doc = parse(cases[i].schema);
		axr_schema_doc_t *d = NULL;
		const axr_schema_t *s;
		char err[256] = "";
		assert_int_equal(axr_schema_doc_new(doc, NULL, &d, err, sizeof(err)), 0);
		assert_int_equal(axr_schema_doc_get(d, cases[i].ref, &s, err, sizeof(err)), AXR_EINVAL);
		assert_string_equal(err, cases[i].error);
		axr_schema_doc_free(d);
		json_object_put(doc);
	}
}

static void test_self_recursive_all_of_stops_instead_of_overflowing(void **state)
{
	fixture_t *f = *state;
	const axr_schema_t *s = compile(f, "{\"allOf\":[{\"$ref\":\"#\"}]}");
	expect(f, s, AXR_VALIDATE_PLAIN, "1", ": is nested too deeply to validate\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static_tables_pass_the_startup_check),
		cmocka_unit_test(test_startup_check_rejects_unsorted_properties_and_bad_patterns),
		cmocka_unit_test_setup_teardown(test_integer_rejects_every_hostile_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_int64_bounds_are_exact_not_doubles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exclusive_bounds_in_both_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multiple_of_is_exact_for_decimals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_string_lengths_count_code_points, setup, teardown),
		cmocka_unit_test_setup_teardown(test_patterns_use_ecma_semantics_and_compile_once, setup,
						teardown),
		cmocka_unit_test(test_pattern_slots_compile_once_across_threads),
		cmocka_unit_test_setup_teardown(test_hostile_backtracking_fails_fast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_formats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enum_and_const_use_deep_equality, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unique_items_finds_duplicates_in_large_arrays, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_object_keywords, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tuple_items_and_additional_items, setup, teardown),
		cmocka_unit_test_setup_teardown(test_composition, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discriminator_reports_only_the_chosen_branch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_collects_every_error_with_json_pointer_paths, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_error_list_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_mode_rejects_read_only_properties, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_response_mode_reports_write_only_and_strip_removes_them,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_errors_carry_path_and_position, setup, teardown),
		cmocka_unit_test_setup_teardown(test_params_convert_and_validate, setup, teardown),
		cmocka_unit_test(test_schema_compile_reports_bad_schemas),
		cmocka_unit_test_setup_teardown(test_self_recursive_all_of_stops_instead_of_overflowing,
						setup, teardown),
	};
	int rc = cmocka_run_group_tests_name("validate", tests, NULL, NULL);
	axr_regex_thread_cleanup();
	return rc;
}
