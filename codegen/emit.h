/* emit.h: the small text emitter every axrgen back end writes through. */
#ifndef AXR_AXRGEN_EMIT_H
#define AXR_AXRGEN_EMIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/*
 * An emitter collects one generated file in memory:
 *
 *     axrgen_emit_t e;
 *     axrgen_emit_init(&e, "\t");
 *     axrgen_emit(&e, "static const axr_op_t %s = {\n", name);
 *     axrgen_emit_indent(&e);
 *     axrgen_emit(&e, ".status = %d,\n", 200);
 *     axrgen_emit_outdent(&e);
 *     axrgen_emit(&e, "};\n");
 *     ... axrgen_emit_text(&e) / axrgen_write_file(path, &e, &written) ...
 *     axrgen_emit_free(&e);
 *
 * The format is printf's (checked by the compiler). Every line that starts
 * inside a call gets the current indentation (depth times the unit); empty
 * lines get none, and blanks before a newline are dropped, so the output
 * never has trailing whitespace. Allocation failures are latched: calls
 * after one do nothing and axrgen_emit_ok() says so once at the end.
 */
typedef struct axrgen_emit {
	axr_buf_t out;
	const char *unit; /* one level of indentation: "\t" or "  " */
	unsigned depth;
	bool bol;         /* the next byte starts a line */
	size_t line_start; /* offset of the current line in out */
} axrgen_emit_t;

/* Starts an empty file; `unit` (kept by pointer) is one indentation level. */
void axrgen_emit_init(axrgen_emit_t *e, const char *unit);

/* Frees the text. */
void axrgen_emit_free(axrgen_emit_t *e);

void axrgen_emit(axrgen_emit_t *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void axrgen_emit_v(axrgen_emit_t *e, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Appends `s` as it is (indented like axrgen_emit, no formatting). */
void axrgen_emit_str(axrgen_emit_t *e, const char *s);

/* One level deeper / shallower for the lines that follow. Outdent at depth
 * 0 stays at 0. */
void axrgen_emit_indent(axrgen_emit_t *e);
void axrgen_emit_outdent(axrgen_emit_t *e);

/*
 * Writes `text` (a description from the spec; may be NULL or span lines)
 * as a comment block, one output line per input line, each prefixed by
 * `lead` ("// ", "# ", or " * " inside a C block comment the caller
 * opened). Trailing blank lines and blanks are dropped, control characters
 * become spaces, and in C comments "*" "/" is split so the comment cannot
 * end early. Nothing is written for NULL or blank text.
 */
void axrgen_emit_comment_lines(axrgen_emit_t *e, const char *lead, const char *text);

/* `text` on one line, as comment text: newlines and control characters
 * become spaces, "*" "/" is split (no delimiters are written). */
void axrgen_emit_comment_text(axrgen_emit_t *e, const char *text);

/* A one-line C comment `/\* text *\/` + newline, with `text` on one line
 * (newlines and control characters become spaces, "*" "/" split). */
void axrgen_emit_c_comment(axrgen_emit_t *e, const char *text);

/* The text so far (NUL-terminated; "" when empty) and its length. */
const char *axrgen_emit_text(const axrgen_emit_t *e, size_t *len);

/* 1 when no allocation failed. */
int axrgen_emit_ok(const axrgen_emit_t *e);

/*
 * Writes `len` bytes of `data` to `path` unless the file already holds
 * exactly those bytes (so unchanged outputs keep their time stamps and
 * make rebuilds nothing). Writes a temporary file beside it and renames it
 * over, so a reader never sees half a file. Creates missing parent
 * directories. *written (may be NULL) says whether the file changed.
 * Returns 0 or AXR_EIO (errno set).
 */
int axrgen_write_file(const char *path, const char *data, size_t len, bool *written);

/* Creates `path` and its missing parents (mode 0777 & umask). 0 or AXR_EIO. */
int axrgen_mkdirs(const char *path);

#endif
