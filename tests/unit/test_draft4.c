/* test_draft4.c: the JSON-Schema-Test-Suite (draft 4) through schema_compile and validate. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "arena.h"
#include "err.h"
#include "json.h"
#include "regex.h"
#include "schema_compile.h"
#include "validate.h"

/*
 * Every case of $AXR_CORPORA/json-schema-test-suite/draft4 (default
 * ../shared/corpora), optional/ and optional/format/ included, must pass
 * except the named skips below, each with its reason. A skip that matches
 * nothing fails the test, so the list cannot rot.
 */
typedef struct skip {
	const char *file;  /* relative to draft4/ */
	const char *group; /* NULL = the whole file */
	const char *test;  /* NULL = the whole group */
	const char *reason;
	unsigned used;
} skip_t;

#define SKIP(f, g, t, why) { .file = (f), .group = (g), .test = (t), .reason = (why) }

static skip_t skips[] = {
	SKIP("refRemote.json", NULL, NULL,
	     "needs the suite's remotes/ documents served on localhost:1234; the corpus ships no "
	     "remotes/ and the compiler never fetches"),
};

/* The draft 4 meta-schema, which definitions.json and ref.json reach by
 * its URI; given to the compiler as a remote document (nothing is fetched). */
static const char draft4_metaschema[] =
	"{\"id\":\"http://json-schema.org/draft-04/schema#\","
	"\"$schema\":\"http://json-schema.org/draft-04/schema#\","
	"\"description\":\"Core schema meta-schema\","
	"\"definitions\":{"
	"\"schemaArray\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"$ref\":\"#\"}},"
	"\"positiveInteger\":{\"type\":\"integer\",\"minimum\":0},"
	"\"positiveIntegerDefault0\":{\"allOf\":[{\"$ref\":\"#/definitions/positiveInteger\"},"
	"{\"default\":0}]},"
	"\"simpleTypes\":{\"enum\":[\"array\",\"boolean\",\"integer\",\"null\",\"number\","
	"\"object\",\"string\"]},"
	"\"stringArray\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":1,"
	"\"uniqueItems\":true}},"
	"\"type\":\"object\","
	"\"properties\":{"
	"\"id\":{\"type\":\"string\"},"
	"\"$schema\":{\"type\":\"string\"},"
	"\"title\":{\"type\":\"string\"},"
	"\"description\":{\"type\":\"string\"},"
	"\"default\":{},"
	"\"multipleOf\":{\"type\":\"number\",\"minimum\":0,\"exclusiveMinimum\":true},"
	"\"maximum\":{\"type\":\"number\"},"
	"\"exclusiveMaximum\":{\"type\":\"boolean\",\"default\":false},"
	"\"minimum\":{\"type\":\"number\"},"
	"\"exclusiveMinimum\":{\"type\":\"boolean\",\"default\":false},"
	"\"maxLength\":{\"$ref\":\"#/definitions/positiveInteger\"},"
	"\"minLength\":{\"$ref\":\"#/definitions/positiveIntegerDefault0\"},"
	"\"pattern\":{\"type\":\"string\",\"format\":\"regex\"},"
	"\"additionalItems\":{\"anyOf\":[{\"type\":\"boolean\"},{\"$ref\":\"#\"}],\"default\":{}},"
	"\"items\":{\"anyOf\":[{\"$ref\":\"#\"},{\"$ref\":\"#/definitions/schemaArray\"}],"
	"\"default\":{}},"
	"\"maxItems\":{\"$ref\":\"#/definitions/positiveInteger\"},"
	"\"minItems\":{\"$ref\":\"#/definitions/positiveIntegerDefault0\"},"
	"\"uniqueItems\":{\"type\":\"boolean\",\"default\":false},"
	"\"maxProperties\":{\"$ref\":\"#/definitions/positiveInteger\"},"
	"\"minProperties\":{\"$ref\":\"#/definitions/positiveIntegerDefault0\"},"
	"\"required\":{\"$ref\":\"#/definitions/stringArray\"},"
	"\"additionalProperties\":{\"anyOf\":[{\"type\":\"boolean\"},{\"$ref\":\"#\"}],"
	"\"default\":{}},"
	"\"definitions\":{\"type\":\"object\",\"additionalProperties\":{\"$ref\":\"#\"},"
	"\"default\":{}},"
	"\"properties\":{\"type\":\"object\",\"additionalProperties\":{\"$ref\":\"#\"},"
	"\"default\":{}},"
	"\"patternProperties\":{\"type\":\"object\",\"additionalProperties\":{\"$ref\":\"#\"},"
	"\"default\":{}},"
	"\"dependencies\":{\"type\":\"object\",\"additionalProperties\":{\"anyOf\":["
	"{\"$ref\":\"#\"},{\"$ref\":\"#/definitions/stringArray\"}]}},"
	"\"enum\":{\"type\":\"array\",\"minItems\":1,\"uniqueItems\":true},"
	"\"type\":{\"anyOf\":[{\"$ref\":\"#/definitions/simpleTypes\"},{\"type\":\"array\","
	"\"items\":{\"$ref\":\"#/definitions/simpleTypes\"},\"minItems\":1,\"uniqueItems\":true}]},"
	"\"format\":{\"type\":\"string\"},"
	"\"allOf\":{\"$ref\":\"#/definitions/schemaArray\"},"
	"\"anyOf\":{\"$ref\":\"#/definitions/schemaArray\"},"
	"\"oneOf\":{\"$ref\":\"#/definitions/schemaArray\"},"
	"\"not\":{\"$ref\":\"#\"}},"
	"\"dependencies\":{\"exclusiveMaximum\":[\"maximum\"],\"exclusiveMinimum\":[\"minimum\"]},"
	"\"default\":{}}";

typedef struct counts {
	unsigned files, groups, cases, passed, skipped, failed;
} counts_t;

typedef struct suite {
	json_object *metaschema;
	axr_arena_t *arena;
	counts_t n;
} suite_t;

static const axr_json_opts_t suite_json = {
	.max_depth = 64, .max_size = SIZE_MAX, .flags = AXR_JSON_BIGNUM};

static skip_t *find_skip(const char *file, const char *group, const char *test)
{
	for (size_t i = 0; i < sizeof(skips) / sizeof(skips[0]); i++) {
		skip_t *s = &skips[i];
		if (strcmp(s->file, file) != 0)
			continue;
		if (s->group == NULL || (strcmp(s->group, group) == 0 &&
					 (s->test == NULL || strcmp(s->test, test) == 0))) {
			s->used++;
			return s;
		}
	}
	return NULL;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		*len = fread(buf, 1, (size_t)n, f);
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

/* Runs one test case; returns whether our verdict matches the suite's. */
static bool run_case(suite_t *st, const axr_schema_t *schema, json_object *test, const char *where)
{
	json_object *data = NULL, *valid;
	axr_verrors_t errs, quick;
	bool ok;

	json_object_object_get_ex(test, "data", &data);
	json_object_object_get_ex(test, "valid", &valid);
	axr_arena_reset(st->arena);
	axr_verrors_init(&errs, st->arena, AXR_VERRORS_DEFAULT_MAX);
	axr_verrors_init(&quick, st->arena, 0);
	int rc = axr_validate(schema, data, AXR_VALIDATE_PLAIN, &errs);
	int quick_rc = axr_validate(schema, data, AXR_VALIDATE_PLAIN, &quick);
	bool want = json_object_get_boolean(valid);

	ok = (rc == 0 || rc == AXR_EVALIDATION) && (rc == 0) == want && quick_rc == rc &&
	     (rc == 0 ? errs.count == 0 : errs.count > 0);
	if (!ok) {
		print_message("FAIL %s: want %s, got %s (rc %d, fast path rc %d)\n", where,
			      want ? "valid" : "invalid", rc == 0 ? "valid" : "invalid", rc, quick_rc);
		for (size_t i = 0; i < errs.count; i++)
			print_message("    \"%s\": %s\n", errs.items[i].path, errs.items[i].message);
	}
	return ok;
}

static void run_group(suite_t *st, const char *file, json_object *group)
{
	json_object *desc, *schema, *tests;
	axr_schema_remote_t remote = {"http://json-schema.org/draft-04/schema", st->metaschema};
	axr_schema_compile_opts_t opts = {.remotes = &remote, .n_remotes = 1};
	axr_schema_doc_t *doc = NULL;
	const axr_schema_t *compiled = NULL;
	char err[256] = "", where[512];
	int rc;

	st->n.groups++;
	json_object_object_get_ex(group, "description", &desc);
	json_object_object_get_ex(group, "schema", &schema);
	json_object_object_get_ex(group, "tests", &tests);
	rc = axr_schema_doc_new(schema, &opts, &doc, err, sizeof(err));
	if (rc == 0)
		rc = axr_schema_doc_get(doc, "#", &compiled, err, sizeof(err));
	for (size_t i = 0; i < json_object_array_length(tests); i++) {
		json_object *test = json_object_array_get_idx(tests, i), *tdesc;
		json_object_object_get_ex(test, "description", &tdesc);
		snprintf(where, sizeof(where), "%s / %s / %s", file, json_object_get_string(desc),
			 json_object_get_string(tdesc));
		st->n.cases++;
		if (find_skip(file, json_object_get_string(desc), json_object_get_string(tdesc))) {
			st->n.skipped++;
			continue;
		}
		if (rc != 0) {
			print_message("FAIL %s: schema does not compile: %s\n", where, err);
			st->n.failed++;
		} else if (run_case(st, compiled, test, where)) {
			st->n.passed++;
		} else {
			st->n.failed++;
		}
	}
	axr_schema_doc_free(doc);
}

static void run_file(suite_t *st, const char *dir, const char *file)
{
	char path[1024];
	size_t len = 0;
	json_object *groups = NULL;
	axr_json_error_t jerr;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	char *text = read_file(path, &len);
	if (text == NULL) {
		print_message("FAIL %s: cannot read\n", path);
		st->n.failed++;
		return;
	}
	if (axr_json_parse(text, len, &suite_json, &groups, &jerr) != 0) {
		print_message("FAIL %s: line %u: %s\n", path, jerr.line, jerr.message);
		st->n.failed++;
	} else {
		st->n.files++;
		for (size_t i = 0; i < json_object_array_length(groups); i++)
			run_group(st, file, json_object_array_get_idx(groups, i));
	}
	json_object_put(groups);
	free(text);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every *.json directly in dir/sub, in name order. */
static void run_dir(suite_t *st, const char *dir, const char *sub)
{
	char path[1024], *names[128];
	size_t n = 0;
	struct dirent *e;

	snprintf(path, sizeof(path), "%s%s%s", dir, *sub ? "/" : "", sub);
	DIR *dh = opendir(path);
	if (dh == NULL) {
		print_message("FAIL cannot open %s\n", path);
		st->n.failed++;
		return;
	}
	while ((e = readdir(dh)) != NULL && n < 128) {
		size_t l = strlen(e->d_name);
		if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0) {
			char rel[512];
			snprintf(rel, sizeof(rel), "%s%s%s", sub, *sub ? "/" : "", e->d_name);
			names[n++] = strdup(rel);
		}
	}
	closedir(dh);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (size_t i = 0; i < n; i++) {
		run_file(st, dir, names[i]);
		free(names[i]);
	}
}

static void test_draft4_suite_passes_except_named_skips(void **state)
{
	(void)state;
	const char *corpora = getenv("AXR_CORPORA");
	char dir[1024];
	suite_t st = {0};
	axr_json_error_t jerr;
	unsigned unused = 0;

	snprintf(dir, sizeof(dir), "%s/json-schema-test-suite/draft4",
		 corpora && *corpora ? corpora : "../shared/corpora");
	assert_int_equal(axr_json_parse(draft4_metaschema, strlen(draft4_metaschema), &suite_json,
					&st.metaschema, &jerr),
			 0);
	st.arena = axr_arena_new(0);
	assert_non_null(st.arena);

	run_dir(&st, dir, "");
	run_dir(&st, dir, "optional");
	run_dir(&st, dir, "optional/format");

	print_message("draft4: files %u, groups %u, cases %u, passed %u, skipped %u, failed %u\n",
		      st.n.files, st.n.groups, st.n.cases, st.n.passed, st.n.skipped, st.n.failed);
	for (size_t i = 0; i < sizeof(skips) / sizeof(skips[0]); i++) {
		const skip_t *s = &skips[i];
		print_message("  skip %s%s%s%s%s: %s (%u cases)\n", s->file, s->group ? " / " : "",
			      s->group ? s->group : "", s->test ? " / " : "", s->test ? s->test : "",
			      s->reason, s->used);
		if (s->used == 0) {
			print_message("FAIL the skip above matches no case: remove it\n");
			unused++;
		}
	}
	json_object_put(st.metaschema);
	axr_arena_free(st.arena);
	axr_regex_thread_cleanup();
	assert_true(st.n.files >= 30);
	assert_int_equal(st.n.passed + st.n.skipped + st.n.failed, st.n.cases);
	assert_int_equal(unused, 0);
	assert_int_equal(st.n.failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_draft4_suite_passes_except_named_skips),
	};
	return cmocka_run_group_tests_name("draft4", tests, NULL, NULL);
}
