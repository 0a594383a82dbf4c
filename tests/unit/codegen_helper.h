/* codegen_helper.h: helpers shared by the axrgen unit tests (test_codegen_*.c). */
#ifndef AXR_TEST_CODEGEN_HELPER_H
#define AXR_TEST_CODEGEN_HELPER_H

#include <stdio.h>
#include <string.h>

#include "model.h"

/* Loads `text` from memory as `name` and asserts the load status; on a
 * mismatch the diagnostics go to stderr first. */
static inline axrgen_model_t *codegen_load(const char *name, const char *text, int want_rc)
{
	axrgen_model_t *m = NULL;
	int rc = axrgen_model_load_memory(name, text, strlen(text), &m);
	if (rc != want_rc && m != NULL)
		axrgen_model_print_diagnostics(m, stderr);
	assert_int_equal(rc, want_rc);
	assert_non_null(m);
	return m;
}

/* The named schema `name` of the first service; fails the test when absent. */
static inline axrgen_schema_t *codegen_named(const axrgen_model_t *m, const char *name)
{
	axrgen_schema_t *s = axrgen_service_schema(m->services[0], name);
	if (s == NULL)
		fail_msg("no schema '%s'", name);
	return s;
}

#endif
