/* gen_util.c: the back end's memory, diagnostics, name conversions and name sets. */
#include "gen.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void *axrgen_alloc_g(axrgen_gen_t *g, size_t size)
{
	void *p = axr_arena_calloc(g->arena, 1, size ? size : 1);
	if (p == NULL)
		longjmp(*g->oom, 1);
	return p;
}

char *axrgen_strdup_g(axrgen_gen_t *g, const char *s)
{
	if (s == NULL)
		return NULL;
	char *p = axr_arena_strdup(g->arena, s);
	if (p == NULL)
		longjmp(*g->oom, 1);
	return p;
}

char *axrgen_printf_g(axrgen_gen_t *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = axr_arena_vprintf(g->arena, fmt, ap);
	va_end(ap);
	if (p == NULL)
		longjmp(*g->oom, 1);
	return p;
}

void axrgen_gen_diag(axrgen_gen_t *g, axrgen_severity_t sev, axrgen_pos_t pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = axr_arena_vprintf(g->arena, fmt, ap);
	va_end(ap);
	if (msg == NULL)
		longjmp(*g->oom, 1);
	if (g->n_diags == g->cap_diags) {
		size_t cap = g->cap_diags ? g->cap_diags * 2 : 16;
		axrgen_gdiag_t *d = axrgen_alloc_g(g, cap * sizeof(*d));
		if (g->n_diags)
			memcpy(d, g->diags, g->n_diags * sizeof(*d));
		g->diags = d;
		g->cap_diags = cap;
	}
	g->diags[g->n_diags++] = (axrgen_gdiag_t){.severity = sev, .pos = pos, .message = msg};
	if (sev == AXRGEN_ERROR)
		g->n_errors++;
}

/* ---- words ------------------------------------------------------------ */

/* Calls `fn` for each word of `s`: runs of ASCII letters and digits, split
 * before an upper-case letter that follows a lower-case letter or a digit,
 * or that starts a lower-case run after capitals ("HTTPServer": HTTP,
 * Server). */
static void axrgen__words(const char *s, void (*fn)(void *ctx, const char *w, size_t n), void *ctx)
{
	size_t i = 0, len = strlen(s);
	while (i < len) {
		while (i < len && !isalnum((unsigned char)s[i]))
			i++;
		if (i >= len)
			break;
		size_t start = i++;
		while (i < len && isalnum((unsigned char)s[i])) {
			unsigned char c = (unsigned char)s[i], prev = (unsigned char)s[i - 1];
			if (isupper(c) && (islower(prev) || isdigit(prev)))
				break;
			if (isupper(c) && isupper(prev) && i + 1 < len && islower((unsigned char)s[i + 1]))
				break;
			i++;
		}
		fn(ctx, s + start, i - start);
	}
}

typedef struct axrgen__wbuf {
	axr_buf_t b;
	int style; /* 0 snake, 1 pascal, 2 upper */
} axrgen__wbuf_t;

static void axrgen__word_add(void *ctx, const char *w, size_t n)
{
	axrgen__wbuf_t *wb = ctx;
	if (wb->style != 1 && wb->b.len > 0)
		axr_buf_putc(&wb->b, '_');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)w[i];
		if (wb->style == 0)
			c = (unsigned char)tolower(c);
		else if (wb->style == 2)
			c = (unsigned char)toupper(c);
		else if (i == 0)
			c = (unsigned char)toupper(c);
		if (wb->style == 1 && i == 0 && wb->b.len == 0 && isdigit(c))
			axr_buf_putc(&wb->b, 'M');
		axr_buf_putc(&wb->b, (char)c);
	}
}

static char *axrgen__convert(axrgen_gen_t *g, const char *s, int style)
{
	axrgen__wbuf_t wb = {.b = AXR_BUF_INIT, .style = style};
	axrgen__words(s ? s : "", axrgen__word_add, &wb);
	char *out = axr_arena_strndup(g->arena, wb.b.data ? wb.b.data : "", wb.b.len);
	bool ok = axr_buf_ok(&wb.b);
	axr_buf_free(&wb.b);
	if (out == NULL || !ok)
		longjmp(*g->oom, 1);
	return out;
}

char *axrgen_snake(axrgen_gen_t *g, const char *s)
{
	return axrgen__convert(g, s, 0);
}

char *axrgen_pascal(axrgen_gen_t *g, const char *s)
{
	return axrgen__convert(g, s, 1);
}

char *axrgen_upper(axrgen_gen_t *g, const char *s)
{
	return axrgen__convert(g, s, 2);
}

char *axrgen_ident_part(axrgen_gen_t *g, const char *s)
{
	size_t len = strlen(s);
	char *out = axrgen_alloc_g(g, len + 1);
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		char c = isalnum((unsigned char)s[i]) ? s[i] : '_';
		if (c == '_' && (n == 0 || out[n - 1] == '_'))
			continue;
		out[n++] = c;
	}
	while (n > 0 && out[n - 1] == '_')
		n--;
	out[n] = '\0';
	return out;
}

char *axrgen_protoc_lower(axrgen_gen_t *g, const char *camel)
{
	size_t len = strlen(camel);
	char *out = axrgen_alloc_g(g, 2 * len + 1);
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)camel[i];
		if (isupper(c) && i > 0 && !isupper((unsigned char)camel[i - 1]))
			out[n++] = '_';
		out[n++] = (char)tolower(c);
	}
	out[n] = '\0';
	return out;
}

char *axrgen_protoc_camel(axrgen_gen_t *g, const char *snake)
{
	size_t len = strlen(snake);
	char *out = axrgen_alloc_g(g, len + 1);
	size_t n = 0;
	bool up = true;
	for (size_t i = 0; i < len; i++) {
		if (snake[i] == '_') {
			up = true;
			continue;
		}
		out[n++] = up ? (char)toupper((unsigned char)snake[i]) : snake[i];
		up = false;
	}
	out[n] = '\0';
	return out;
}

char *axrgen_c_string(axrgen_gen_t *g, const char *s, size_t len)
{
	char *out = axrgen_alloc_g(g, 4 * len + 3);
	size_t n = 0;
	out[n++] = '"';
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\' || c == '?') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			n += (size_t)sprintf(out + n, "\\%03o", c);
		} else {
			out[n++] = (char)c;
		}
	}
	out[n++] = '"';
	out[n] = '\0';
	return out;
}

/* ---- name sets -------------------------------------------------------- */

static uint64_t axrgen__hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

bool axrgen_names_has(const axrgen_names_t *set, const char *s)
{
	if (set->cap == 0)
		return false;
	for (size_t i = axrgen__hash(s) & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
		if (set->slots[i] == NULL)
			return false;
		if (strcmp(set->slots[i], s) == 0)
			return true;
	}
}

void axrgen_names_add(axrgen_gen_t *g, axrgen_names_t *set, const char *s)
{
	if (axrgen_names_has(set, s))
		return;
	if (2 * (set->n + 1) > set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;
		const char **slots = axrgen_alloc_g(g, cap * sizeof(*slots));
		for (size_t i = 0; i < set->cap; i++) {
			if (set->slots[i] == NULL)
				continue;
			size_t k = axrgen__hash(set->slots[i]) & (cap - 1);
			while (slots[k] != NULL)
				k = (k + 1) & (cap - 1);
			slots[k] = set->slots[i];
		}
		set->slots = slots;
		set->cap = cap;
	}
	size_t k = axrgen__hash(s) & (set->cap - 1);
	while (set->slots[k] != NULL)
		k = (k + 1) & (set->cap - 1);
	set->slots[k] = s;
	set->n++;
}

const char *axrgen_names_unique(axrgen_gen_t *g, axrgen_names_t *set, const char *base)
{
	const char *name = base;
	size_t len = strlen(base);
	bool digit = len > 0 && isdigit((unsigned char)base[len - 1]);
	for (unsigned i = 2; axrgen_names_has(set, name); i++)
		name = axrgen_printf_g(g, "%s%s%u", base, digit ? "_" : "", i);
	name = axrgen_strdup_g(g, name);
	axrgen_names_add(g, set, name);
	return name;
}

void axrgen_banner(axrgen_gen_t *g, axrgen_emit_t *e, const char *style)
{
	const char *text = axrgen_printf_g(g, "Generated by axrgen from %s. DO NOT EDIT. Regenerate: make generate",
					   g->spec);
	if (strcmp(style, "c") == 0)
		axrgen_emit(e, "/* %s */\n", text);
	else
		axrgen_emit(e, "%s %s\n", style, text);
}
