/* test_codegen_refs.c: unit tests for axrgen $ref resolution: pointers, files, cycles, suggestions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "load.h"
#include "model.h"

#include "codegen_helper.h"

#define HEAD "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n"

static axrgen_model_t *load(const char *text, int want_rc)
{
	return codegen_load("r.yaml", text, want_rc);
}

static void test_recursive_schema_points_back_at_itself(void **state)
{
	(void)state;
	axrgen_model_t *m = load(HEAD "components:\n"
				      "  schemas:\n"
				      "    Comment:\n"
				      "      type: object\n"
				      "      properties:\n"
				      "        replies: {type: array, items: {$ref: '#/components/schemas/Comment'}}\n"
				      "        parent: {$ref: '#/components/schemas/Comment'}\n",
				 0);
	axrgen_schema_t *c = codegen_named(m, "Comment");
	assert_ptr_equal(axrgen_schema_property(c, "replies")->schema->items, c);
	assert_ptr_equal(axrgen_schema_property(c, "parent")->schema, c);
	axrgen_model_free(m);
}

static void test_pointer_escapes_and_percent_encoding_resolve(void **state)
{
	(void)state;
	axrgen_model_t *m = load(HEAD "components:\n"
				      "  schemas:\n"
				      "    a/b~c: {type: string}\n"
				      "    With Space: {type: boolean}\n"
				      "    T:\n"
				      "      properties:\n"
				      "        x: {$ref: '#/components/schemas/a~1b~0c'}\n"
				      "        y: {$ref: '#/components/schemas/With%20Space'}\n"
				      "        z: {$ref: '#/components/schemas/a~1b%7E0c'}\n",
				 0);
	axrgen_schema_t *t = codegen_named(m, "T");
	assert_string_equal(axrgen_schema_property(t, "x")->schema->name, "a/b~c");
	assert_string_equal(axrgen_schema_property(t, "y")->schema->name, "With Space");
	assert_string_equal(axrgen_schema_property(t, "z")->schema->name, "a/b~c");
	axrgen_model_free(m);
}

static void test_plain_ref_chain_collapses_and_named_alias_keeps_ref(void **state)
{
	(void)state;
	axrgen_model_t *m = load(HEAD "components:\n"
				      "  schemas:\n"
				      "    A: {$ref: '#/components/schemas/B'}\n"
				      "    B: {$ref: '#/components/schemas/C'}\n"
				      "    C: {type: integer}\n"
				      "    T:\n"
				      "      properties:\n"
				      "        deep: {$ref: '#/components/schemas/T/properties/hop'}\n"
				      "        hop: {$ref: '#/components/schemas/C'}\n"
				      "        a: {$ref: '#/components/schemas/A'}\n",
				 0);
	axrgen_schema_t *a = codegen_named(m, "A"), *c = codegen_named(m, "C"), *t = codegen_named(m, "T");
	assert_ptr_equal(a->ref, codegen_named(m, "B"));
	assert_ptr_equal(axrgen_schema_target(a), c);
	/* refs to refs of inline slots land on the final node */
	assert_ptr_equal(axrgen_schema_property(t, "deep")->schema, c);
	assert_ptr_equal(axrgen_schema_property(t, "hop")->schema, c);
	assert_ptr_equal(axrgen_schema_property(t, "a")->schema, a);
	axrgen_model_free(m);
}

static void test_ref_siblings_are_kept_in_31_and_ignored_in_30(void **state)
{
	(void)state;
	axrgen_model_t *m = load(HEAD "components:\n"
				      "  schemas:\n"
				      "    Id: {type: string}\n"
				      "    T:\n"
				      "      properties:\n"
				      "        x: {$ref: '#/components/schemas/Id', maxLength: 8}\n",
				 0);
	const axrgen_schema_t *x = axrgen_schema_property(codegen_named(m, "T"), "x")->schema;
	assert_null(x->name);
	assert_ptr_equal(x->ref, codegen_named(m, "Id"));
	assert_int_equal(x->max_length.value, 8);
	axrgen_model_free(m);

	m = load("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"
		 "components:\n"
		 "  schemas:\n"
		 "    Id: {type: string}\n"
		 "    T:\n"
		 "      properties:\n"
		 "        x: {$ref: '#/components/schemas/Id', maxLength: 8}\n",
		 0);
	assert_ptr_equal(axrgen_schema_property(codegen_named(m, "T"), "x")->schema, codegen_named(m, "Id"));
	assert_int_equal(m->n_warnings, 1);
	assert_string_equal(m->diagnostics[0].message, "'maxLength' next to $ref is ignored in OpenAPI 3.0");
	axrgen_model_free(m);
}

static void test_self_ref_is_an_unrepresentable_cycle(void **state)
{
	(void)state;
	axrgen_model_t *m = load(HEAD "components: {schemas: {A: {$ref: '#/components/schemas/A'}}}\n",
				 AXR_EVALIDATION);
	assert_int_equal(m->n_errors, 1);
	assert_string_equal(m->diagnostics[0].kind, "ref-cycle");
	assert_string_equal(m->diagnostics[0].message,
			    "unrepresentable $ref cycle: A -> A (a schema cannot consist only of itself)");
	axrgen_model_free(m);
}

static void test_memory_load_refuses_refs_to_other_files(void **state)
{
	(void)state;
	axrgen_model_t *m = load(HEAD "components: {schemas: {A: {$ref: 'other.yaml#/X'}}}\n",
				 AXR_EVALIDATION);
	assert_string_equal(m->diagnostics[0].message,
			    "$ref to another file ('other.yaml') is not allowed here");
	axrgen_model_free(m);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_refs_to_other_files_resolve_relative_to_the_referring_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/axrgen-refs-XXXXXX";
	char root[128], sub[128], common[128];
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/lib", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(root, sizeof(root), "%s/svc.yaml", dir);
	snprintf(common, sizeof(common), "%s/lib/common.yaml", dir);
	write_file(common, "components:\n"
			   "  schemas:\n"
			   "    Money: {$ref: '../svc.yaml#/components/schemas/Amount'}\n");
	/* a ref back into the first file, relative to lib/ */
	write_file(root, HEAD "components:\n"
			      "  schemas:\n"
			      "    Amount: {type: integer, minimum: -1, maxLength: -2}\n"
			      "    Wallet:\n"
			      "      properties:\n"
			      "        balance: {$ref: 'lib/common.yaml#/components/schemas/Money'}\n");
	const char *paths[] = { root };
	axrgen_model_t *m = NULL;
	assert_int_equal(axrgen_model_load_files(paths, 1, NULL, &m), AXR_EVALIDATION);
	axrgen_schema_t *money = axrgen_service_schema(m->services[0], "Money");
	assert_non_null(money);
	assert_string_equal(money->pos.file, common);
	assert_ptr_equal(axrgen_schema_target(money), axrgen_service_schema(m->services[0], "Amount"));
	/* the error is reported against the file as given, with its position */
	assert_int_equal(m->n_errors, 1);
	assert_string_equal(m->diagnostics[0].pos.file, root);
	assert_int_equal(m->diagnostics[0].pos.line, 6);
	axrgen_model_free(m);
	unlink(root);
	unlink(common);
	rmdir(sub);
	rmdir(dir);
}

static void test_extern_schema_turns_a_dangling_ref_into_a_warning(void **state)
{
	(void)state;
	char dir[] = "/tmp/axrgen-extern-XXXXXX";
	char root[128];
	assert_non_null(mkdtemp(dir));
	snprintf(root, sizeof(root), "%s/svc.yaml", dir);
	write_file(root, HEAD "components:\n"
			      "  schemas:\n"
			      "    Msg: {properties: {data: {$ref: '#/components/schemas/Buffer'}}}\n");
	const char *paths[] = { root };
	const char *externs[] = { "Buffer" };
	axrgen_options_t opt = { .extern_schemas = externs, .n_extern_schemas = 1 };
	axrgen_model_t *m = NULL;
	assert_int_equal(axrgen_model_load_files(paths, 1, NULL, &m), AXR_EVALIDATION);
	assert_string_equal(m->diagnostics[0].message, "unknown $ref '#/components/schemas/Buffer'");
	axrgen_model_free(m);
	assert_int_equal(axrgen_model_load_files(paths, 1, &opt, &m), 0);
	axrgen_schema_t *buffer = axrgen_service_schema(m->services[0], "Buffer");
	assert_non_null(buffer);
	assert_true(buffer->is_extern);
	assert_int_equal(buffer->types, AXRGEN_TYPE_ANY);
	assert_string_equal(m->diagnostics[0].kind, "extern-schema");
	axrgen_model_free(m);
	unlink(root);
	rmdir(dir);
}

static void test_suggest_picks_the_closest_name_and_breaks_ties_bytewise(void **state)
{
	(void)state;
	const char *names[] = { "Wallet", "Wallets", "Ledger", "wallet" };
	assert_string_equal(axrgen_suggest("Walet", names, 4), "Wallet");
	assert_string_equal(axrgen_suggest("WALLET", names, 4), "Wallet"); /* case only: closest */
	assert_string_equal(axrgen_suggest("Wallett", names, 4), "Wallet");
	assert_null(axrgen_suggest("Account", names, 4));
	const char *short_names[] = { "x", "y" };
	assert_null(axrgen_suggest("z", short_names, 2)); /* one letter is no typo of another */
	const char *ties[] = { "abd", "abc" };
	assert_string_equal(axrgen_suggest("abx", ties, 2), "abc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recursive_schema_points_back_at_itself),
		cmocka_unit_test(test_pointer_escapes_and_percent_encoding_resolve),
		cmocka_unit_test(test_plain_ref_chain_collapses_and_named_alias_keeps_ref),
		cmocka_unit_test(test_ref_siblings_are_kept_in_31_and_ignored_in_30),
		cmocka_unit_test(test_self_ref_is_an_unrepresentable_cycle),
		cmocka_unit_test(test_memory_load_refuses_refs_to_other_files),
		cmocka_unit_test(test_refs_to_other_files_resolve_relative_to_the_referring_file),
		cmocka_unit_test(test_extern_schema_turns_a_dangling_ref_into_a_warning),
		cmocka_unit_test(test_suggest_picks_the_closest_name_and_breaks_ties_bytewise),
	};
	return cmocka_run_group_tests_name("codegen_refs", tests, NULL, NULL);
}
