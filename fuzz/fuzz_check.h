/* fuzz_check.h: the assertion every fuzz target uses (abort, so libFuzzer
 * records the input). */
#ifndef AXR_FUZZ_CHECK_H
#define AXR_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                      \
	do {                                                                                 \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);    \
			abort();                                                                     \
		}                                                                                \
	} while (0)

#endif
