/* known_bug.h: cmocka tests that pin a bug the runtime still has. */
#ifndef AXR_TEST_KNOWN_BUG_H
#define AXR_TEST_KNOWN_BUG_H

#include <stdlib.h>

/*
 * KNOWN_BUG(cond, fmt, ...) states the behaviour the code must have (`cond`)
 * and that it does not have it yet. While `cond` is false the test is
 * reported as SKIPPED with the message, so `make test` stays green; with
 * AXR_TEST_KNOWN_BUGS=1 in the environment it fails instead. Once the bug is
 * fixed the test passes and prints a reminder to drop the KNOWN_BUG mark
 * (replace it by assert_true). Include after <cmocka.h>.
 */
#define KNOWN_BUG(cond, fmt, ...)                                                                  \
	do {                                                                                           \
		if (cond) {                                                                                \
			print_message("known bug fixed: replace KNOWN_BUG by an assertion (%s:%d)\n",          \
			              __FILE__, __LINE__);                                                     \
			break;                                                                                 \
		}                                                                                          \
		if (getenv("AXR_TEST_KNOWN_BUGS") != NULL)                                                 \
			fail_msg("KNOWN BUG: " fmt, __VA_ARGS__);                                              \
		print_message("KNOWN BUG (skipped; AXR_TEST_KNOWN_BUGS=1 makes it fail): " fmt "\n",       \
		              __VA_ARGS__);                                                                \
		skip();                                                                                    \
	} while (0)

#endif
