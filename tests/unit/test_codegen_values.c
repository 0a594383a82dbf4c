/* test_codegen_values.c: unit tests for axrgen's YAML/JSON reader: typing, positions, aliases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "model.h"

#include "codegen_helper.h"

/* The first diagnostic as "line:col: message". */
static const char *first_diag(const axrgen_model_t *m, char *buf, size_t size)
{
	assert_true(m->n_diagnostics > 0);
	snprintf(buf, size, "%u:%u: %s", (unsigned)m->diagnostics[0].pos.line,
		 (unsigned)m->diagnostics[0].pos.col, m->diagnostics[0].message);
	return buf;
}

static void assert_member(const axrgen_value_t *obj, const char *key, axrgen_value_kind_t kind,
			  const char *text)
{
	const axrgen_value_t *v = axrgen_value_get(obj, key);
	assert_non_null(v);
	assert_string_equal(axrgen_value_kind_name(v->kind), axrgen_value_kind_name(kind));
	assert_string_equal(v->text, text);
}

static void test_plain_scalars_are_typed_by_the_yaml_1_2_core_schema(void **state)
{
	(void)state;
	axrgen_model_t *m = codegen_load("t.yaml",
				    "openapi: 3.1.0\n"
				    "info: {title: t, version: '1'}\n"
				    "paths: {}\n"
				    "x-t: {i: 42, h: 0x1F, o: 0o17, f: 1.5e3, d: .5, z: 007, n: ~, e: ,\n"
				    "      b: True, s: '42', tag: !!str 12, no: no, y: yes, neg: -0,\n"
				    "      inf: .inf, dot: 1.}\n",
				    0);
	const axrgen_value_t *t = axrgen_ext_get(&m->services[0]->extensions, "x-t");
	assert_non_null(t);
	assert_member(t, "i", AXRGEN_VALUE_INT, "42");
	assert_member(t, "h", AXRGEN_VALUE_INT, "31");
	assert_member(t, "o", AXRGEN_VALUE_INT, "15");
	assert_member(t, "f", AXRGEN_VALUE_NUMBER, "1.5e3");
	assert_member(t, "d", AXRGEN_VALUE_NUMBER, "0.5");
	assert_member(t, "z", AXRGEN_VALUE_INT, "7");
	assert_member(t, "n", AXRGEN_VALUE_NULL, "null");
	assert_member(t, "e", AXRGEN_VALUE_NULL, "null");
	assert_member(t, "b", AXRGEN_VALUE_BOOL, "true");
	assert_member(t, "s", AXRGEN_VALUE_STRING, "42");
	assert_member(t, "tag", AXRGEN_VALUE_STRING, "12");
	/* YAML 1.1 booleans are strings in 1.2 */
	assert_member(t, "no", AXRGEN_VALUE_STRING, "no");
	assert_member(t, "y", AXRGEN_VALUE_STRING, "yes");
	assert_member(t, "neg", AXRGEN_VALUE_INT, "-0");
	assert_member(t, "inf", AXRGEN_VALUE_NUMBER, ".inf");
	assert_member(t, "dot", AXRGEN_VALUE_NUMBER, "1");
	axrgen_model_free(m);
}

static void test_extension_trees_keep_document_order_and_json_form(void **state)
{
	(void)state;
	axrgen_model_t *m = codegen_load("t.yaml",
				    "openapi: 3.1.0\n"
				    "info: {title: t, version: '1'}\n"
				    "paths: {}\n"
				    "x-axr-z: {zeta: [1, \"two\", {three: null}], alpha: \"tab\\there\"}\n"
				    "x-axr-a: true\n",
				    0);
	const axrgen_extensions_t *ext = &m->services[0]->extensions;
	assert_int_equal(ext->count, 2);
	assert_string_equal(ext->items[0].key, "x-axr-a"); /* sorted by name */
	assert_string_equal(ext->items[1].key, "x-axr-z");
	axr_arena_t *a = axr_arena_new(0);
	assert_string_equal(axrgen_value_json(a, ext->items[1].value),
			    "{\"zeta\":[1,\"two\",{\"three\":null}],\"alpha\":\"tab\\there\"}");
	axr_arena_free(a);
	assert_null(axrgen_ext_get(ext, "x-missing"));
	axrgen_model_free(m);
}

static void test_positions_are_one_based_line_and_column_of_the_node(void **state)
{
	(void)state;
	axrgen_model_t *m = codegen_load("pos.yaml",
				    "openapi: 3.1.0\n"
				    "info: {title: t, version: '1'}\n"
				    "paths: {}\n"
				    "components:\n"
				    "  schemas:\n"
				    "    User:\n"
				    "      type: object\n"
				    "      properties:\n"
				    "        name: {type: string}\n",
				    0);
	axrgen_schema_t *user = axrgen_service_schema(m->services[0], "User");
	assert_non_null(user);
	assert_string_equal(user->pos.file, "pos.yaml");
	assert_int_equal(user->pos.line, 7);
	assert_int_equal(user->pos.col, 7);
	const axrgen_property_t *name = axrgen_schema_property(user, "name");
	assert_non_null(name);
	assert_int_equal(name->pos.line, 9);
	assert_int_equal(name->pos.col, 9);
	assert_int_equal(name->schema->pos.line, 9);
	assert_int_equal(name->schema->pos.col, 15); /* the '{' of the flow mapping */
	axrgen_model_free(m);
}

static void test_error_in_a_quoted_scalar_points_at_the_opening_quote(void **state)
{
	(void)state;
	char buf[256];
	axrgen_model_t *m = codegen_load("q.yaml",
				    "openapi: 3.1.0\n"
				    "info: {title: t, version: '1'}\n"
				    "paths: {}\n"
				    "components:\n"
				    "  schemas:\n"
				    "    Wallet: {type: object}\n"
				    "    A: {$ref: \"#/components/schemas/Walet\"}\n",
				    AXR_EVALIDATION);
	assert_string_equal(first_diag(m, buf, sizeof(buf)),
			    "7:15: unknown $ref '#/components/schemas/Walet' (did you mean 'Wallet'?)");
	axrgen_model_free(m);
}

static void test_yaml_alias_is_one_shared_schema_node(void **state)
{
	(void)state;
	axrgen_model_t *m = codegen_load("alias.yaml",
				    "openapi: 3.1.0\n"
				    "info: {title: t, version: '1'}\n"
				    "paths:\n"
				    "  /a:\n"
				    "    get:\n"
				    "      parameters:\n"
				    "        - {name: x, in: query, schema: &s {type: string, maxLength: 3}}\n"
				    "        - {name: y, in: query, schema: *s}\n"
				    "      responses: {'204': {description: none}}\n",
				    0);
	axrgen_operation_t *op = m->services[0]->operations[0];
	assert_int_equal(op->n_params, 2);
	assert_ptr_equal(op->params[0]->schema, op->params[1]->schema);
	assert_int_equal(op->params[1]->schema->max_length.value, 3);
	axrgen_model_free(m);
}

static void test_duplicate_mapping_key_is_an_error_at_the_second_key(void **state)
{
	(void)state;
	char buf[256];
	axrgen_model_t *m = codegen_load("dup.yaml",
				    "openapi: 3.1.0\n"
				    "info: {title: t, version: '1'}\n"
				    "paths: {}\n"
				    "paths: {}\n",
				    AXR_EVALIDATION);
	assert_string_equal(first_diag(m, buf, sizeof(buf)), "4:1: duplicate key 'paths' (first at 3:1)");
	axrgen_model_free(m);
}

static void test_json_spec_reads_with_strict_json_rules(void **state)
{
	(void)state;
	char buf[256];
	axrgen_model_t *m = codegen_load("s.json",
				    "{\"openapi\": \"3.0.0\", \"info\": {\"title\": \"j\", \"version\": \"1\"},\n"
				    " \"paths\": {\"/s\": {\"get\": {\"responses\": {\"200\": "
				    "{\"description\": \"ok\"}}}}}}",
				    0);
	assert_int_equal(m->services[0]->n_operations, 1);
	assert_int_equal(m->services[0]->version, 30);
	axrgen_model_free(m);
	m = codegen_load("bad.json", "{\"openapi\": \"3.0.0\",}", AXR_EVALIDATION);
	assert_string_equal(first_diag(m, buf, sizeof(buf)),
			    "1:20: JSON disallows trailing comma before closing brace");
	axrgen_model_free(m);
}

static void test_default_with_inf_is_an_error_json_cannot_hold_it(void **state)
{
	(void)state;
	char buf[256];
	axrgen_model_t *m = codegen_load("inf.yaml",
				    "openapi: 3.1.0\n"
				    "info: {title: t, version: '1'}\n"
				    "paths: {}\n"
				    "components: {schemas: {N: {type: number, default: .inf}}}\n",
				    AXR_EVALIDATION);
	assert_string_equal(first_diag(m, buf, sizeof(buf)),
			    "4:51: 'default' holds a number JSON cannot represent");
	axrgen_model_free(m);
}

static void test_alias_expansion_bomb_is_refused(void **state)
{
	(void)state;
	char buf[256];
	/* 10 levels of 10 aliases each: 10^10 nodes once expanded */
	char text[4096] = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n"
			  "x-a0: &a0 [1,1,1,1,1,1,1,1,1,1]\n";
	for (int i = 1; i < 10; i++) {
		char line[128];
		snprintf(line, sizeof(line),
			 "x-a%d: &a%d [*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d,*a%d]\n", i, i,
			 i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
		strcat(text, line);
	}
	axrgen_model_t *m = codegen_load("bomb.yaml", text, AXR_EVALIDATION);
	assert_string_equal(first_diag(m, buf, sizeof(buf)),
			    "1:1: aliases expand the document to more than 1000000 nodes");
	axrgen_model_free(m);
}

static void test_utf8_cut_short_at_the_end_is_reported_not_read_past(void **state)
{
	(void)state;
	char buf[256];
	/* libfyaml 0.7 reads past its buffer here (and could loop forever) */
	axrgen_model_t *m = codegen_load("cut.yaml", "%%\xef", AXR_EVALIDATION);
	assert_string_equal(first_diag(m, buf, sizeof(buf)), "1:3: invalid UTF-8 (byte 0xef)");
	axrgen_model_free(m);
	m = codegen_load("ok.yaml", "openapi: 3.1.0\ninfo: {title: caf\xc3\xa9, version: '1'}\n", 0);
	assert_string_equal(m->services[0]->title, "caf\xc3\xa9");
	axrgen_model_free(m);
}

static void test_load_rejects_bad_arguments(void **state)
{
	(void)state;
	axrgen_model_t *m = (axrgen_model_t *)1;
	assert_int_equal(axrgen_model_load_memory(NULL, "", 0, &m), AXR_EINVAL);
	assert_int_equal(axrgen_model_load_files(NULL, 1, NULL, &m), AXR_EINVAL);
	assert_int_equal(axrgen_model_load_files(NULL, 0, NULL, NULL), AXR_EINVAL);
	axrgen_model_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_scalars_are_typed_by_the_yaml_1_2_core_schema),
		cmocka_unit_test(test_extension_trees_keep_document_order_and_json_form),
		cmocka_unit_test(test_positions_are_one_based_line_and_column_of_the_node),
		cmocka_unit_test(test_error_in_a_quoted_scalar_points_at_the_opening_quote),
		cmocka_unit_test(test_yaml_alias_is_one_shared_schema_node),
		cmocka_unit_test(test_duplicate_mapping_key_is_an_error_at_the_second_key),
		cmocka_unit_test(test_json_spec_reads_with_strict_json_rules),
		cmocka_unit_test(test_default_with_inf_is_an_error_json_cannot_hold_it),
		cmocka_unit_test(test_alias_expansion_bomb_is_refused),
		cmocka_unit_test(test_utf8_cut_short_at_the_end_is_reported_not_read_past),
		cmocka_unit_test(test_load_rejects_bad_arguments),
	};
	return cmocka_run_group_tests_name("codegen_values", tests, NULL, NULL);
}
