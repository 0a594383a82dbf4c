/* expect_msg.h: an assertion that explains itself when it fails. */
#ifndef AXR_TEST_EXPECT_MSG_H
#define AXR_TEST_EXPECT_MSG_H

/*
 * EXPECT_MSG(cond, fmt, ...) fails the current cmocka test with the
 * printf-formatted message when `cond` is false, for checks whose bare
 * condition would not say what went wrong. Include after <cmocka.h>.
 */
#define EXPECT_MSG(cond, fmt, ...)                     \
	do {                                               \
		if (!(cond))                                   \
			fail_msg(fmt, __VA_ARGS__);                \
	} while (0)

#endif
