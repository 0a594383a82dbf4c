/* fuzz_spec.c: libFuzzer target for the axrgen spec reader (YAML or JSON from memory). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The input is one spec held in memory: JSON when it starts with '{', else
 * YAML. $refs to other files are refused by axrgen_model_load_memory(), so
 * the run touches no file. Everything a model offers is exercised: the
 * checks, the dump and the diagnostics (written to /dev/null).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	axrgen_model_t *m = NULL;

	if (sink == NULL)
		sink = fopen("/dev/null", "w");
	const char *name = size > 0 && data[0] == '{' ? "fuzz.json" : "fuzz.yaml";
	(void)axrgen_model_load_memory(name, data, size, &m);
	if (m != NULL) {
		if (sink != NULL) {
			axrgen_model_print_diagnostics(m, sink);
			axrgen_model_dump(m, sink);
		}
		axrgen_model_free(m);
	}
	return 0;
}
