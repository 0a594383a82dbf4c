/* emit.c: the text emitter (indentation, comments) and write-if-changed files. */
#include "emit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"

void axrgen_emit_init(axrgen_emit_t *e, const char *unit)
{
	*e = (axrgen_emit_t){.out = AXR_BUF_INIT, .unit = unit ? unit : "\t", .bol = true};
}

void axrgen_emit_free(axrgen_emit_t *e)
{
	axr_buf_free(&e->out);
	e->line_start = 0;
	e->bol = true;
}

/* Ends the current line: drops its trailing blanks, appends '\n'. */
static void axrgen__newline(axrgen_emit_t *e)
{
	while (e->out.len > e->line_start &&
	       (e->out.data[e->out.len - 1] == ' ' || e->out.data[e->out.len - 1] == '\t'))
		e->out.len--;
	axr_buf_putc(&e->out, '\n');
	e->line_start = e->out.len;
	e->bol = true;
}

static void axrgen__put(axrgen_emit_t *e, const char *s, size_t len)
{
	size_t unit = strlen(e->unit);
	while (len > 0 && e->out.oom == 0) {
		const char *nl = memchr(s, '\n', len);
		size_t n = nl ? (size_t)(nl - s) : len;
		if (n > 0) {
			if (e->bol)
				for (unsigned d = 0; d < e->depth; d++)
					axr_buf_append(&e->out, e->unit, unit);
			axr_buf_append(&e->out, s, n);
			e->bol = false;
		}
		if (nl == NULL)
			break;
		axrgen__newline(e);
		s += n + 1;
		len -= n + 1;
	}
}

void axrgen_emit_v(axrgen_emit_t *e, const char *fmt, va_list ap)
{
	char small[512];
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(small, sizeof(small), fmt, copy);
	va_end(copy);
	if (n < 0) {
		e->out.oom = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		axrgen__put(e, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (big == NULL) {
		e->out.oom = 1;
		return;
	}
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	axrgen__put(e, big, (size_t)n);
	free(big);
}

void axrgen_emit(axrgen_emit_t *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	axrgen_emit_v(e, fmt, ap);
	va_end(ap);
}

void axrgen_emit_str(axrgen_emit_t *e, const char *s)
{
	axrgen__put(e, s, strlen(s));
}

void axrgen_emit_indent(axrgen_emit_t *e)
{
	e->depth++;
}

void axrgen_emit_outdent(axrgen_emit_t *e)
{
	if (e->depth > 0)
		e->depth--;
}

/* Appends one line of comment text: control characters as spaces, and
 * "*" followed by "/" split when `c_block`. */
static void axrgen__comment_text(axrgen_emit_t *e, const char *s, size_t len, bool c_block)
{
	char prev = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if ((unsigned char)ch < 0x20 || ch == 0x7f)
			ch = ' ';
		if (c_block && prev == '*' && ch == '/')
			axr_buf_putc(&e->out, ' ');
		axr_buf_putc(&e->out, ch);
		prev = ch;
	}
}

void axrgen_emit_comment_lines(axrgen_emit_t *e, const char *lead, const char *text)
{
	if (text == NULL)
		return;
	bool c_block = strchr(lead, '*') != NULL;
	size_t len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' ' || text[len - 1] == '\t' ||
			   text[len - 1] == '\r'))
		len--;
	size_t start = 0;
	while (start < len && (text[start] == '\n' || text[start] == '\r'))
		start++;
	if (start >= len)
		return;
	const char *p = text + start;
	const char *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		axrgen__put(e, lead, strlen(lead));
		axrgen__comment_text(e, p, n, c_block);
		e->bol = false;
		axrgen__newline(e);
		p = nl ? nl + 1 : end;
	}
}

void axrgen_emit_comment_text(axrgen_emit_t *e, const char *text)
{
	size_t len = text ? strlen(text) : 0;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	if (len == 0)
		return;
	if (e->bol) { /* indent like any other text */
		for (unsigned d = 0; d < e->depth; d++)
			axr_buf_puts(&e->out, e->unit);
		e->bol = false;
	}
	axrgen__comment_text(e, text, len, true);
}

void axrgen_emit_c_comment(axrgen_emit_t *e, const char *text)
{
	axrgen__put(e, "/* ", 3);
	axrgen_emit_comment_text(e, text);
	axrgen__put(e, " */\n", 4);
}

const char *axrgen_emit_text(const axrgen_emit_t *e, size_t *len)
{
	if (len)
		*len = e->out.len;
	return e->out.data ? e->out.data : "";
}

int axrgen_emit_ok(const axrgen_emit_t *e)
{
	return axr_buf_ok(&e->out);
}

int axrgen_mkdirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return AXR_EIO;
	}
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char saved = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return AXR_EIO;
		buf[i] = saved;
	}
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return AXR_EIO;
	}
	return 0;
}

/* Does the file at `path` hold exactly `data`? */
static bool axrgen__same_content(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	bool same = true;
	char buf[8192];
	size_t off = 0, n;
	while (same && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (off + n > len || memcmp(buf, data + off, n) != 0)
			same = false;
		off += n;
	}
	if (ferror(f) || off != len)
		same = false;
	fclose(f);
	return same;
}

int axrgen_write_file(const char *path, const char *data, size_t len, bool *written)
{
	char tmp[4096];
	FILE *f = NULL;
	if (written)
		*written = false;
	if (axrgen__same_content(path, data, len))
		return 0;
	const char *slash = strrchr(path, '/');
	if (slash != NULL && slash != path) {
		char dir[4096];
		size_t dl = (size_t)(slash - path);
		if (dl >= sizeof(dir)) {
			errno = ENAMETOOLONG;
			return AXR_EIO;
		}
		memcpy(dir, path, dl);
		dir[dl] = '\0';
		if (axrgen_mkdirs(dir) != 0)
			return AXR_EIO;
	}
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return AXR_EIO;
	}
	f = fopen(tmp, "wb");
	if (f == NULL)
		return AXR_EIO;
	if ((len > 0 && fwrite(data, 1, len, f) != len) || fflush(f) != 0)
		goto fail;
	if (fclose(f) != 0) {
		f = NULL;
		goto fail;
	}
	f = NULL;
	if (rename(tmp, path) != 0)
		goto fail;
	if (written)
		*written = true;
	return 0;
fail:;
	int saved = errno;
	if (f)
		fclose(f);
	unlink(tmp);
	errno = saved;
	return AXR_EIO;
}
