/* test_query.c: the AXR query language (runtime/query.c): paging, sort, filters, operators, `me`, injection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crud_fixture.h"
#include "query.h"

static axr_arena_t *arena;
static axr_verrors_t errs;
static axr_query_t q;

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
	return 0;
}

static void dump_errors(void)
{
	for (size_t i = 0; i < errs.count; i++)
		print_error("  error %zu: %s: %s\n", i, errs.items[i].path, errs.items[i].message);
}

/* Parses `query` for Item as caller `uid`; returns the code. */
static int parse_as(const char *query, const char *uid)
{
	axr_arena_reset(arena);
	axr_verrors_init(&errs, arena, AXR_VERRORS_DEFAULT_MAX);
	return axr_query_parse_string(query, uid, arena, &fix_item, NULL, &q, &errs);
}

static int parse(const char *query)
{
	return parse_as(query, FIX_USER_A);
}

/* Asserts `query` parses and gives `where` with the values listed (NULL-terminated). */
static void expect_where(const char *query, const char *where, ...)
{
	int rc = parse(query);
	if (rc != 0) {
		print_error("%s -> %s\n", query, axr_errname(rc));
		dump_errors();
	}
	assert_int_equal(rc, 0);
	if (strcmp(q.where, where) != 0)
		print_error("%s\n  where: %s\n  want:  %s\n", query, q.where, where);
	assert_string_equal(q.where, where);
	va_list ap;
	va_start(ap, where);
	int i = 0;
	for (const char *v = va_arg(ap, const char *); v != NULL; v = va_arg(ap, const char *), i++) {
		assert_true(i < q.nvalues);
		if (strcmp(q.values[i], v) != 0)
			print_error("%s: value %d is %s, want %s\n", query, i + 1, q.values[i], v);
		assert_string_equal(q.values[i], v);
	}
	va_end(ap);
	assert_int_equal(q.nvalues, i);
}

/* Asserts `query` is rejected with `code` and an error at `path` whose
 * message contains `words`. */
static void expect_reject_as(const char *query, const char *uid, int code, const char *path, const char *words)
{
	int rc = parse_as(query, uid);
	bool found = false;
	for (size_t i = 0; i < errs.count; i++)
		found |= strcmp(errs.items[i].path, path) == 0 && strstr(errs.items[i].message, words) != NULL;
	if (rc != code || !found) {
		print_error("%s -> %s, want %s with an error at %s containing \"%s\"; got:\n", query, axr_errname(rc),
		            axr_errname(code), path, words);
		dump_errors();
	}
	assert_int_equal(rc, code);
	assert_true(found);
	assert_null(q.where);
}

static void expect_reject(const char *query, const char *path, const char *words)
{
	expect_reject_as(query, FIX_USER_A, AXR_EVALIDATION, path, words);
}

static void test_query_defaults_page_100_rows_in_creation_order(void **state)
{
	(void)state;
	assert_int_equal(parse(NULL), 0);
	assert_string_equal(q.where, "");
	assert_string_equal(q.order_by, "\"date_created\" ASC, \"uid\" ASC");
	assert_int_equal(q.limit, 100);
	assert_int_equal(q.offset, 0);
	assert_int_equal(q.nvalues, 0);
	assert_int_equal(parse(""), 0);
	assert_int_equal(parse("&&"), 0);
	assert_string_equal(q.where, "");
}

static void test_query_limit_accepts_0_to_1000_and_rejects_the_rest(void **state)
{
	(void)state;
	assert_int_equal(parse("limit=0"), 0);
	assert_int_equal(q.limit, 0);
	assert_int_equal(parse("limit=1000"), 0);
	assert_int_equal(q.limit, 1000);
	assert_int_equal(parse("limit=7"), 0);
	assert_int_equal(q.limit, 7);
	expect_reject("limit=1001", "/query/limit", "at most 1000");
	expect_reject("limit=-1", "/query/limit", "must not be negative");
	expect_reject("limit=1.5", "/query/limit", "non-negative integer");
	expect_reject("limit=1e2", "/query/limit", "non-negative integer");
	expect_reject("limit=abc", "/query/limit", "non-negative integer");
	expect_reject("limit=", "/query/limit", "non-negative integer");
	expect_reject("limit=%2B5", "/query/limit", "non-negative integer");
	expect_reject("limit=99999999999999999999999", "/query/limit", "at most 1000");
	expect_reject("limit=5&limit=6", "/query/limit", "more than once");
}

static void test_query_page_is_zero_based_and_bounded(void **state)
{
	(void)state;
	assert_int_equal(parse("page=0"), 0);
	assert_int_equal(q.offset, 0);
	assert_int_equal(parse("page=3&limit=20"), 0);
	assert_int_equal(q.offset, 60);
	assert_int_equal(q.limit, 20);
	assert_int_equal(parse("limit=1000&page=9223372036854775"), 0);
	assert_int_equal(q.offset, INT64_C(9223372036854775000));
	/* A huge page with limit 0 is an empty page, not an overflow. */
	assert_int_equal(parse("limit=0&page=9223372036854775807"), 0);
	assert_int_equal(q.offset, 0);
	expect_reject("page=-1", "/query/page", "must not be negative");
	expect_reject("page=9223372036854775807", "/query/page", "too large for limit 100");
	expect_reject("page=92233720368547758070", "/query/page", "at most");
	expect_reject("page=x", "/query/page", "non-negative integer");
	expect_reject("page=1&page=2", "/query/page", "more than once");
}

static void test_query_sort_by_name_or_json_object_adds_uid_last(void **state)
{
	(void)state;
	assert_int_equal(parse("sort=name"), 0);
	assert_string_equal(q.order_by, "\"name\" ASC, \"uid\" ASC");
	assert_int_equal(parse("sort=uid"), 0);
	assert_string_equal(q.order_by, "\"uid\" ASC");
	assert_int_equal(parse("sort=%7B%22quantity%22%3A%22DESC%22%2C%22name%22%3A%22asc%22%7D"), 0);
	assert_string_equal(q.order_by, "\"quantity\" DESC, \"name\" ASC, \"uid\" ASC");
	assert_int_equal(parse("sort={\"expiresAt\":-1,\"uid\":\"DESC\",\"price\":1}"), 0);
	assert_string_equal(q.order_by, "\"expires_at\" DESC, \"uid\" DESC, \"price\" ASC");
	assert_int_equal(parse("sort={}"), 0);
	assert_string_equal(q.order_by, "\"uid\" ASC");
}

static void test_query_sort_rejects_unknown_or_malformed_input(void **state)
{
	(void)state;
	expect_reject("sort=uid;DROP TABLE item", "/query/sort", "unknown property \"uid;DROP TABLE item\"");
	expect_reject("sort=uid%3BDROP%20TABLE%20item", "/query/sort", "unknown property");
	expect_reject("sort={\"x\":\"DESC; --\"}", "/query/sort", "unknown property \"x\"");
	expect_reject("sort={\"name\":\"DESC; --\"}", "/query/sort", "direction of \"name\"");
	expect_reject("sort={\"name\":\"DESC\",\"name\":\"ASC\"}", "/query/sort", "invalid JSON");
	expect_reject("sort={\"name\":\"DESC\"} x", "/query/sort", "invalid JSON");
	expect_reject("sort={'name':'DESC'}", "/query/sort", "invalid JSON");
	expect_reject("sort={\"name\":2}", "/query/sort", "direction");
	expect_reject("sort={\"name\":{\"a\":1}}", "/query/sort", "direction");
	expect_reject("sort=[\"name\"]", "/query/sort", "unknown property");
	expect_reject("sort=data", "/query/sort", "not sortable");
	expect_reject("sort=", "/query/sort", "must name a property");
	expect_reject("sort=name%22", "/query/sort", "unknown property");
	expect_reject("sort=name&sort=price", "/query/sort", "more than once");
	expect_reject("sort=date_created", "/query/sort", "unknown property");
}

static void test_query_every_operator_becomes_a_bound_comparison(void **state)
{
	(void)state;
	expect_where("name=foo", "\"name\" = $1::text", "foo", NULL);
	expect_where("name=eq(a,b)", "\"name\" = $1::text", "a,b", NULL);
	expect_where("name=ne(foo)", "\"name\" IS DISTINCT FROM $1::text", "foo", NULL);
	expect_where("quantity=gt(5)", "\"quantity\" > $1::bigint", "5", NULL);
	expect_where("quantity=gte(-5)", "\"quantity\" >= $1::bigint", "-5", NULL);
	expect_where("price=lt(2.5)", "\"price\" < $1::double precision", "2.5", NULL);
	expect_where("expiresAt=lte(2024-05-01T10:00:00Z)", "\"expires_at\" <= $1::timestamp with time zone",
	             "2024-05-01T10:00:00Z", NULL);
	expect_where("name=in(a,b,c)", "\"name\" IN ($1::text, $2::text, $3::text)", "a", "b", "c", NULL);
	expect_where("name=nin(a,b)", "(\"name\" IS NULL OR \"name\" NOT IN ($1::text, $2::text))", "a", "b", NULL);
	expect_where("name=like(ab%25)", "\"name\" LIKE $1::text", "ab%", NULL);
	expect_where("quantity=range(1,5)", "\"quantity\" BETWEEN $1::bigint AND $2::bigint", "1", "5", NULL);
	expect_where("birthday=range(2000-01-01,2000-12-31)", "\"birthday\" BETWEEN $1::date AND $2::date",
	             "2000-01-01", "2000-12-31", NULL);
	expect_where("active=true", "\"active\" = $1::boolean", "true", NULL);
	expect_where("active=in(true,false)", "\"active\" IN ($1::boolean, $2::boolean)", "true", "false", NULL);
	expect_where("level=1", "\"level\" = $1::bigint", "1", NULL);
	expect_where("uid=aaaaaaaa-0000-4000-8000-00000000000f", "\"uid\" = $1::uuid",
	             "aaaaaaaa-0000-4000-8000-00000000000f", NULL);
	expect_where("version=ne(0)", "\"version\" IS DISTINCT FROM $1::bigint", "0", NULL);
}

static void test_query_repeated_parameters_are_ored_and_properties_anded(void **state)
{
	(void)state;
	expect_where("name=a&name=b", "(\"name\" = $1::text OR \"name\" = $2::text)", "a", "b", NULL);
	expect_where("name=a&quantity=gt(1)&name=like(c%25)",
	             "(\"name\" = $1::text OR \"name\" LIKE $2::text) AND \"quantity\" > $3::bigint", "a", "c%", "1",
	             NULL);
	expect_where("quantity=lt(1)&quantity=gt(9)&price=range(1,2)&active=false",
	             "(\"quantity\" < $1::bigint OR \"quantity\" > $2::bigint) AND \"price\" BETWEEN $3::double "
	             "precision AND $4::double precision AND \"active\" = $5::boolean",
	             "1", "9", "1", "2", "false", NULL);
	/* Paging parameters mix with filters in any order. */
	assert_int_equal(parse("name=a&limit=5&sort=price&page=2&jwt_token=abc.def.ghi"), 0);
	assert_string_equal(q.where, "\"name\" = $1::text");
	assert_int_equal(q.limit, 5);
	assert_int_equal(q.offset, 10);
}

static void test_query_me_is_the_callers_uid_and_401_when_anonymous(void **state)
{
	(void)state;
	expect_where("ownerUid=me", "\"owner_uid\" = $1::uuid", FIX_USER_A, NULL);
	expect_where("ownerUid=in(me,bbbbbbbb-0000-4000-8000-000000000002)",
	             "\"owner_uid\" IN ($1::uuid, $2::uuid)", FIX_USER_A, FIX_USER_B, NULL);
	expect_where("name=ne(me)", "\"name\" IS DISTINCT FROM $1::text", FIX_USER_A, NULL);
	/* like() patterns are never substituted. */
	expect_where("name=like(me)", "\"name\" LIKE $1::text", "me", NULL);
	expect_reject_as("ownerUid=me", NULL, AXR_EUNAUTHORIZED, "/query/ownerUid", "authenticated caller");
	/* `me` on a non-text column is just a bad value. */
	expect_reject("quantity=me", "/query/quantity", "integer");
}

static void test_query_values_are_checked_against_the_column_type(void **state)
{
	(void)state;
	expect_reject("quantity=abc", "/query/quantity", "integer");
	expect_reject("quantity=gt(1.5)", "/query/quantity", "integer");
	expect_reject("quantity=99999999999999999999", "/query/quantity", "out of range");
	expect_reject("quantity=in(1,x)", "/query/quantity", "integer");
	expect_reject("ownerUid=not-a-uuid", "/query/ownerUid", "uuid");
	expect_reject("uid=1%27%20OR%201%3D1", "/query/uid", "uuid");
	expect_reject("active=yes", "/query/active", "boolean");
	expect_reject("price=abc", "/query/price", "number");
	expect_reject("expiresAt=2024-13-01T00:00:00Z", "/query/expiresAt", "date-time");
	expect_reject("birthday=2024-02-30", "/query/birthday", "date");
	expect_reject("name=%FF", "/query/name", "UTF-8");
	expect_where("price=1e3", "\"price\" = $1::double precision", "1e3", NULL);
	/* An SQL-looking value is only ever a bound text. */
	expect_where("name=%27%3B%20DROP%20TABLE%20item%3B%20--", "\"name\" = $1::text", "'; DROP TABLE item; --", NULL);
}

static void test_query_rejects_unknown_filters_operators_and_misuse(void **state)
{
	(void)state;
	expect_reject("nope=1", "/query/nope", "unknown filter \"nope\": Item has no such property");
	expect_reject("owner_uid=me", "/query/owner_uid", "unknown filter");
	expect_reject("na%27me=1", "/query/na'me", "unknown filter");
	expect_reject("name%22=x", "/query/name\"", "unknown filter");
	expect_reject("name;DROP TABLE item=1", "/query/name;DROP TABLE item", "unknown filter");
	expect_reject("a/b~c=1", "/query/a~1b~0c", "unknown filter");
	expect_reject("quantity=foo(1)", "/query/quantity", "unknown operator \"foo\"");
	expect_reject("quantity=EQ(1)", "/query/quantity", "unknown operator \"EQ\"");
	expect_reject("name=like(a)&quantity=like(1)", "/query/quantity", "text properties only");
	expect_reject("active=gt(true)", "/query/active", "does not apply to a boolean");
	expect_reject("quantity=range(1)", "/query/quantity", "two values");
	expect_reject("quantity=range(1,2,3)", "/query/quantity", "two values");
	expect_reject("data=x", "/query/data", "not filterable");
	expect_reject("name=%zz", "/query", "malformed");
	expect_reject("name=a%00b", "/query", "malformed");
	expect_reject("=x", "/query", "without a name");
	/* Every problem is reported, not only the first. */
	assert_int_equal(parse("nope=1&limit=5000&quantity=x"), AXR_EVALIDATION);
	assert_int_equal(errs.count, 3);
}

static void test_query_bounds_the_number_of_values(void **state)
{
	(void)state;
	char big[4096] = "name=in(";
	for (int i = 0; i < AXR_QUERY_MAX_VALUES + 1; i++)
		strcat(big, i ? ",x" : "x");
	strcat(big, ")");
	expect_reject(big, "/query/name", "too many filter values");
	/* Exactly the maximum is fine. */
	big[strlen(big) - 3] = ')';
	big[strlen(big) - 2] = '\0';
	assert_int_equal(parse(big), 0);
	assert_int_equal(q.nvalues, AXR_QUERY_MAX_VALUES);
}

static void test_query_skips_declared_non_filter_parameters(void **state)
{
	(void)state;
	static const char *const ignore[] = {"expand"};
	axr_query_options_t opt = {.ignore = ignore, .n_ignore = 1};
	axr_arena_reset(arena);
	axr_verrors_init(&errs, arena, AXR_VERRORS_DEFAULT_MAX);
	assert_int_equal(axr_query_parse_string("expand=all&name=a", NULL, arena, &fix_item, &opt, &q, &errs), 0);
	assert_string_equal(q.where, "\"name\" = $1::text");
	assert_int_equal(parse("expand=all"), AXR_EVALIDATION);
}

static void test_query_works_for_any_entity(void **state)
{
	(void)state;
	axr_arena_reset(arena);
	axr_verrors_init(&errs, arena, AXR_VERRORS_DEFAULT_MAX);
	assert_int_equal(axr_query_parse_string("weight=gt(3)&sort=label", NULL, arena, &fix_gadget, NULL, &q, &errs), 0);
	assert_string_equal(q.where, "\"weight\" > $1::bigint");
	assert_string_equal(q.order_by, "\"label\" ASC, \"uid\" ASC");
	expect_reject("label=x", "/query/label", "unknown filter"); /* Item has no label */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_defaults_page_100_rows_in_creation_order),
		cmocka_unit_test(test_query_limit_accepts_0_to_1000_and_rejects_the_rest),
		cmocka_unit_test(test_query_page_is_zero_based_and_bounded),
		cmocka_unit_test(test_query_sort_by_name_or_json_object_adds_uid_last),
		cmocka_unit_test(test_query_sort_rejects_unknown_or_malformed_input),
		cmocka_unit_test(test_query_every_operator_becomes_a_bound_comparison),
		cmocka_unit_test(test_query_repeated_parameters_are_ored_and_properties_anded),
		cmocka_unit_test(test_query_me_is_the_callers_uid_and_401_when_anonymous),
		cmocka_unit_test(test_query_values_are_checked_against_the_column_type),
		cmocka_unit_test(test_query_rejects_unknown_filters_operators_and_misuse),
		cmocka_unit_test(test_query_bounds_the_number_of_values),
		cmocka_unit_test(test_query_skips_declared_non_filter_parameters),
		cmocka_unit_test(test_query_works_for_any_entity),
	};
	return cmocka_run_group_tests_name("query", tests, setup, teardown);
}
