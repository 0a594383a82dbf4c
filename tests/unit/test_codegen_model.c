/* test_codegen_model.c: unit tests for the axrgen model: allOf, parameters, security, handlers. */
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

#define HEAD "openapi: 3.1.0\ninfo: {title: t, version: '1'}\n"

static axrgen_model_t *load(const char *text, int want_rc)
{
	return codegen_load("m.yaml", text, want_rc);
}

static void test_allof_merge_puts_parts_first_and_unions_required(void **state)
{
	(void)state;
	axrgen_model_t *m = load(HEAD "paths: {}\n"
				      "components:\n"
				      "  schemas:\n"
				      "    Base:\n"
				      "      type: object\n"
				      "      required: [uid]\n"
				      "      properties: {uid: {type: string}, note: {type: string, maxLength: 80}}\n"
				      "    Item:\n"
				      "      allOf:\n"
				      "        - $ref: '#/components/schemas/Base'\n"
				      "        - required: [name]\n"
				      "          properties: {name: {type: string}, note: {minLength: 2}}\n"
				      "      properties: {qty: {type: integer}}\n"
				      "      required: [qty]\n",
				 0);
	axrgen_schema_t *item = codegen_named(m, "Item");
	assert_true(item->merged);
	assert_int_equal(item->types, AXRGEN_TYPE_OBJECT);
	assert_int_equal(item->n_properties, 4);
	const char *order[] = { "uid", "note", "name", "qty" };
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(item->properties[i].name, order[i]);
	assert_int_equal(item->n_required, 3);
	assert_string_equal(item->required[0], "uid");
	assert_string_equal(item->required[1], "name");
	assert_string_equal(item->required[2], "qty");
	assert_true(axrgen_schema_property(item, "qty")->required);
	assert_false(axrgen_schema_property(item, "note")->required);
	/* a property two parts define is both: bounds from each */
	const axrgen_schema_t *note = axrgen_schema_property(item, "note")->schema;
	assert_int_equal(note->min_length.value, 2);
	assert_int_equal(note->max_length.value, 80);
	assert_int_equal(note->n_all_of, 2);
	/* sorted view */
	assert_string_equal(item->properties_sorted[0]->name, "name");
	assert_string_equal(item->properties_sorted[3]->name, "uid");
	assert_null(axrgen_schema_property(item, "missing"));
	axrgen_model_free(m);
}

static void test_numeric_bounds_fold_exclusive_forms(void **state)
{
	(void)state;
	axrgen_model_t *m = load(HEAD "paths: {}\n"
				      "components:\n"
				      "  schemas:\n"
				      "    A: {type: number, minimum: 1, exclusiveMinimum: 5, maximum: 9.5}\n"
				      "    B: {type: number, minimum: 7, exclusiveMinimum: 5}\n",
				 0);
	axrgen_schema_t *a = codegen_named(m, "A"), *b = codegen_named(m, "B");
	assert_true(a->minimum.present && a->minimum.exclusive);
	assert_string_equal(a->minimum.text, "5");
	assert_true(a->maximum.present && !a->maximum.exclusive);
	assert_true(a->maximum.value == 9.5);
	assert_false(b->minimum.exclusive);
	assert_string_equal(b->minimum.text, "7");
	axrgen_model_free(m);
	m = load("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"
		 "components: {schemas: {C: {type: integer, minimum: 0, exclusiveMinimum: true}}}\n",
		 0);
	assert_true(codegen_named(m, "C")->minimum.exclusive);
	axrgen_model_free(m);
}

static void test_operation_parameters_merge_with_operation_level_override(void **state)
{
	(void)state;
	axrgen_model_t *m = load(HEAD "paths:\n"
				      "  /a/{id}:\n"
				      "    parameters:\n"
				      "      - {name: id, in: path, required: true, schema: {type: string}}\n"
				      "      - {name: v, in: query, schema: {type: string}}\n"
				      "      - {name: v, in: header, schema: {type: string}}\n"
				      "    get:\n"
				      "      parameters:\n"
				      "        - {name: z, in: cookie, schema: {type: string}}\n"
				      "        - {name: v, in: query, required: true, schema: {type: integer}}\n"
				      "      responses: {'204': {description: none}}\n",
				 0);
	axrgen_operation_t *op = m->services[0]->operations[0];
	assert_int_equal(op->n_params, 4);
	assert_string_equal(op->params[0]->name, "id");
	assert_string_equal(op->params[1]->name, "v");
	assert_int_equal(op->params[1]->in, AXRGEN_IN_QUERY);
	assert_true(op->params[1]->required); /* replaced in place */
	assert_int_equal(op->params[1]->schema->types, AXRGEN_TYPE_INTEGER);
	assert_int_equal(op->params[2]->in, AXRGEN_IN_HEADER);
	assert_string_equal(op->params[3]->name, "z");
	/* sorted by (in, name): path, query, header, cookie */
	assert_int_equal(op->params_sorted[0]->in, AXRGEN_IN_PATH);
	assert_int_equal(op->params_sorted[1]->in, AXRGEN_IN_QUERY);
	assert_int_equal(op->params_sorted[2]->in, AXRGEN_IN_HEADER);
	assert_int_equal(op->params_sorted[3]->in, AXRGEN_IN_COOKIE);
	axrgen_model_free(m);
}

static void test_parameter_style_and_explode_take_openapi_defaults(void **state)
{
	(void)state;
	axrgen_model_t *m = load(HEAD "paths:\n"
				      "  /a/{id}:\n"
				      "    get:\n"
				      "      parameters:\n"
				      "        - {name: id, in: path, required: true, schema: {type: string}}\n"
				      "        - {name: q, in: query, schema: {type: array}}\n"
				      "        - {name: d, in: query, style: deepObject, explode: true, schema: {}}\n"
				      "        - {name: p, in: query, style: pipeDelimited, schema: {}}\n"
				      "      responses: {'204': {description: none}}\n",
				 0);
	axrgen_param_t **p = m->services[0]->operations[0]->params;
	assert_string_equal(axrgen_style_name(p[0]->style), "simple");
	assert_false(p[0]->explode);
	assert_false(p[0]->style_set);
	assert_string_equal(axrgen_style_name(p[1]->style), "form");
	assert_true(p[1]->explode);
	assert_string_equal(axrgen_style_name(p[2]->style), "deepObject");
	assert_true(p[2]->style_set && p[2]->explode_set && p[2]->explode);
	assert_string_equal(axrgen_style_name(p[3]->style), "pipeDelimited");
	assert_false(p[3]->explode);
	axrgen_model_free(m);
}

static void test_operation_security_overrides_and_inherits(void **state)
{
	(void)state;
	axrgen_model_t *m = load(HEAD "security: [{jwt: []}]\n"
				      "paths:\n"
				      "  /a:\n"
				      "    get: {responses: {'204': {description: none}}}\n"
				      "    put: {security: [], responses: {'204': {description: none}}}\n"
				      "    post:\n"
				      "      security: [{jwt: [write, admin], key: []}, {}]\n"
				      "      responses: {'204': {description: none}}\n"
				      "components:\n"
				      "  securitySchemes:\n"
				      "    jwt: {type: http, scheme: bearer}\n"
				      "    key: {type: apiKey, in: header, name: X-Key}\n",
				 0);
	axrgen_service_t *svc = m->services[0];
	axrgen_operation_t *get = svc->operations[0], *put = svc->operations[1], *post = svc->operations[2];
	assert_int_equal(get->method, AXRGEN_GET);
	assert_ptr_equal(get->effective_security, &svc->security);
	assert_true(put->effective_security->present);
	assert_int_equal(put->effective_security->n_alternatives, 0);
	const axrgen_security_t *s = post->effective_security;
	assert_int_equal(s->n_alternatives, 2);
	assert_int_equal(s->alternatives[0].n_items, 2);
	assert_string_equal(s->alternatives[0].items[0].scheme, "jwt");
	assert_string_equal(s->alternatives[0].items[0].scopes[1], "admin");
	assert_string_equal(s->alternatives[0].items[0].resolved->scheme, "bearer");
	assert_string_equal(s->alternatives[0].items[1].resolved->param_name, "X-Key");
	assert_int_equal(s->alternatives[1].n_items, 0);
	axrgen_model_free(m);
}

static void test_handler_name_prefers_x_name_then_operation_id_then_derived(void **state)
{
	(void)state;
	axrgen_model_t *m = load(HEAD "paths:\n"
				      "  /a:\n"
				      "    get: {operationId: listA, x-name: findAll, responses: {'204': {description: n}}}\n"
				      "    post: {operationId: makeA, responses: {'204': {description: n}}}\n"
				      "  /a/{id}/b-c:\n"
				      "    parameters: [{name: id, in: path, required: true, schema: {}}]\n"
				      "    delete: {responses: {'204': {description: n}}}\n"
				      "  /r:\n"
				      "    x-name: routes.R\n"
				      "    get: {x-name: get, responses: {'204': {description: n}}}\n",
				 0);
	axrgen_operation_t **ops = m->services[0]->operations;
	assert_string_equal(ops[0]->handler, "findAll");
	assert_int_equal(ops[0]->handler_source, AXRGEN_HANDLER_X_NAME);
	assert_string_equal(ops[1]->handler, "makeA");
	assert_int_equal(ops[1]->handler_source, AXRGEN_HANDLER_OPERATION_ID);
	assert_string_equal(ops[2]->handler, "delete_a_id_b_c");
	assert_int_equal(ops[2]->handler_source, AXRGEN_HANDLER_DERIVED);
	assert_string_equal(ops[3]->handler, "routes.R.get");
	axrgen_model_free(m);
}

static void test_discriminator_maps_explicit_and_implicit_values(void **state)
{
	(void)state;
	axrgen_model_t *m = load(HEAD "paths: {}\n"
				      "components:\n"
				      "  schemas:\n"
				      "    Cat: {type: object, properties: {kind: {type: string}}}\n"
				      "    Dog: {type: object, properties: {kind: {type: string}}}\n"
				      "    Pet:\n"
				      "      oneOf: [{$ref: '#/components/schemas/Cat'}, {$ref: '#/components/schemas/Dog'}]\n"
				      "      discriminator: {propertyName: kind, mapping: {meow: Cat}}\n",
				 0);
	const axrgen_discriminator_t *d = codegen_named(m, "Pet")->discriminator;
	assert_non_null(d);
	assert_string_equal(d->property, "kind");
	assert_int_equal(d->n_mapping, 2);
	assert_string_equal(d->mapping[0].value, "Dog");
	assert_true(d->mapping[0].implicit);
	assert_string_equal(d->mapping[1].value, "meow");
	assert_ptr_equal(d->mapping[1].schema, codegen_named(m, "Cat"));
	assert_false(d->mapping[1].implicit);
	axrgen_model_free(m);
}

static void test_diagnostics_are_sorted_by_position_and_counted(void **state)
{
	(void)state;
	axrgen_model_t *m = load(HEAD "paths: {}\n"
				      "components:\n"
				      "  schemas:\n"
				      "    B: {type: strng}\n"
				      "    A: {type: string, format: emial, minLength: -1}\n",
				 AXR_EVALIDATION);
	assert_int_equal(m->n_diagnostics, 3);
	assert_int_equal(m->n_errors, 2);
	assert_int_equal(m->n_warnings, 1);
	assert_int_equal(m->diagnostics[0].pos.line, 6);
	assert_int_equal(m->diagnostics[1].pos.line, 7);
	assert_int_equal(m->diagnostics[1].severity, AXRGEN_WARNING);
	assert_string_equal(m->diagnostics[1].message, "unknown format 'emial' (did you mean 'email'?)");
	assert_int_equal(m->diagnostics[2].pos.col, 49);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_int_equal(axrgen_model_print_diagnostics(m, out), 0);
	fclose(out);
	assert_string_equal(buf, "m.yaml:6:15: error: unknown type 'strng' (did you mean 'string'?)\n"
				 "m.yaml:7:31: warning: unknown format 'emial' (did you mean 'email'?)\n"
				 "m.yaml:7:49: error: 'minLength' must be a non-negative integer, not -1\n");
	free(buf);
	axrgen_model_free(m);
}

static char *dump_of(const char *text)
{
	char *buf = NULL;
	size_t len = 0;
	axrgen_model_t *m = load(text, 0);
	FILE *out = open_memstream(&buf, &len);
	assert_int_equal(axrgen_model_dump(m, out), 0);
	fclose(out);
	axrgen_model_free(m);
	return buf;
}

static void test_dump_is_byte_stable_and_finite_on_recursion(void **state)
{
	(void)state;
	const char *spec = HEAD "paths: {}\n"
				"components:\n"
				"  schemas:\n"
				"    Tree:\n"
				"      properties:\n"
				"        kids: {type: array, items: {$ref: '#/components/schemas/Tree/properties/kids'}}\n";
	char *a = dump_of(spec), *b = dump_of(spec);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "items -> #/components/schemas/Tree/properties/kids\n"));
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allof_merge_puts_parts_first_and_unions_required),
		cmocka_unit_test(test_numeric_bounds_fold_exclusive_forms),
		cmocka_unit_test(test_operation_parameters_merge_with_operation_level_override),
		cmocka_unit_test(test_parameter_style_and_explode_take_openapi_defaults),
		cmocka_unit_test(test_operation_security_overrides_and_inherits),
		cmocka_unit_test(test_handler_name_prefers_x_name_then_operation_id_then_derived),
		cmocka_unit_test(test_discriminator_maps_explicit_and_implicit_values),
		cmocka_unit_test(test_diagnostics_are_sorted_by_position_and_counted),
		cmocka_unit_test(test_dump_is_byte_stable_and_finite_on_recursion),
	};
	return cmocka_run_group_tests_name("codegen_model", tests, NULL, NULL);
}
