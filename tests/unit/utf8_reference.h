/* utf8_reference.h: a plain RFC 3629 decoder, the test oracle for runtime/utf8.c. */
#ifndef AXR_TEST_UTF8_REFERENCE_H
#define AXR_TEST_UTF8_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

/* Returns 1 when s[0..n) is valid UTF-8, 0 otherwise. Decodes each code point
 * the obvious way, then rejects overlong forms, surrogates and values above
 * U+10FFFF: deliberately nothing like the DFA it checks. Shared by
 * tests/unit/test_utf8.c and fuzz/fuzz_ws.c. */
static inline int utf8_reference_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t b = s[i];
		size_t need;
		uint32_t cp, min;

		if (b < 0x80) {
			i++;
			continue;
		}
		if (b >= 0xC0 && b < 0xE0)
			need = 1, cp = b & 0x1F, min = 0x80;
		else if (b >= 0xE0 && b < 0xF0)
			need = 2, cp = b & 0x0F, min = 0x800;
		else if (b >= 0xF0 && b < 0xF8)
			need = 3, cp = b & 0x07, min = 0x10000;
		else
			return 0;
		if (n - i - 1 < need)
			return 0;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += need + 1;
	}
	return 1;
}

#endif
