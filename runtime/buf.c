/* buf.c: a growable byte buffer. */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

void axr_buf_free(axr_buf_t *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

void axr_buf_clear(axr_buf_t *b)
{
	b->len = 0;
	b->oom = 0;
}

int axr_buf_reserve(axr_buf_t *b, size_t extra)
{
	if (b->oom)
		return AXR_ENOMEM;
	if (extra <= b->cap - b->len)
		return 0;
	if (extra > SIZE_MAX / 2 - b->len) {
		b->oom = 1;
		return AXR_ENOMEM;
	}
	size_t want = b->cap ? b->cap : 256;
	while (want - b->len < extra)
		want *= 2;
	char *p = realloc(b->data, want + 1);
	if (p == NULL) {
		b->oom = 1;
		return AXR_ENOMEM;
	}
	b->data = p;
	b->cap = want;
	return 0;
}

void axr_buf_append(axr_buf_t *b, const void *data, size_t len)
{
	if (len == 0 || axr_buf_reserve(b, len) != 0)
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void axr_buf_puts(axr_buf_t *b, const char *s)
{
	axr_buf_append(b, s, strlen(s));
}

void axr_buf_putc(axr_buf_t *b, char c)
{
	axr_buf_append(b, &c, 1);
}

void axr_buf_vprintf(axr_buf_t *b, const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? b->cap - b->len + 1 : 0, fmt, copy);
	va_end(copy);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if (b->data != NULL && (size_t)n <= b->cap - b->len) {
		b->len += (size_t)n;
		return;
	}
	if (axr_buf_reserve(b, (size_t)n) != 0)
		return;
	vsnprintf(b->data + b->len, b->cap - b->len + 1, fmt, ap);
	b->len += (size_t)n;
}

void axr_buf_printf(axr_buf_t *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	axr_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void axr_buf_json_string(axr_buf_t *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	if (axr_buf_reserve(b, len + 2) != 0)
		return;
	axr_buf_putc(b, '"');
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		axr_buf_append(b, s + start, i - start);
		start = i + 1;
		switch (c) {
		case '"': axr_buf_append(b, "\\\"", 2); break;
		case '\\': axr_buf_append(b, "\\\\", 2); break;
		case '\n': axr_buf_append(b, "\\n", 2); break;
		case '\r': axr_buf_append(b, "\\r", 2); break;
		case '\t': axr_buf_append(b, "\\t", 2); break;
		default: {
			char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			axr_buf_append(b, esc, 6);
		}
		}
	}
	axr_buf_append(b, s + start, len - start);
	axr_buf_putc(b, '"');
}

void axr_buf_consume(axr_buf_t *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}
