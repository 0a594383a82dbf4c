/* buf.h: a growable byte buffer for building responses and log lines. */
#ifndef AXR_BUF_H
#define AXR_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A buffer owns malloc'd memory; axr_buf_free() releases it. Appending never
 * fails silently: once an allocation fails, `oom` is set, further appends are
 * ignored, and the caller checks axr_buf_ok() once at the end.
 */
typedef struct axr_buf {
	char *data;
	size_t len;
	size_t cap;
	int oom;
} axr_buf_t;

#define AXR_BUF_INIT {NULL, 0, 0, 0}

void axr_buf_free(axr_buf_t *b);
/* Drops the contents, keeps the memory. */
void axr_buf_clear(axr_buf_t *b);
/* Makes room for `extra` more bytes. 0 or AXR_ENOMEM. */
int axr_buf_reserve(axr_buf_t *b, size_t extra);
void axr_buf_append(axr_buf_t *b, const void *data, size_t len);
void axr_buf_puts(axr_buf_t *b, const char *s);
void axr_buf_putc(axr_buf_t *b, char c);
void axr_buf_printf(axr_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void axr_buf_vprintf(axr_buf_t *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends `s` (length `len`) as a JSON string literal, quotes included,
 * escaping quotes, backslashes and control characters. Bytes >= 0x80 are
 * copied as they are (callers pass valid UTF-8). */
void axr_buf_json_string(axr_buf_t *b, const char *s, size_t len);
/* Removes the first `n` bytes. */
void axr_buf_consume(axr_buf_t *b, size_t n);
/* 1 when no allocation failed since the last clear. */
static inline int axr_buf_ok(const axr_buf_t *b) { return !b->oom; }

#endif
