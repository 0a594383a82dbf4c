/* diag.c: axrgen diagnostics: collect, suggest names, sort, print. */
#include "load.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

void axrgen_diag(axrgen_ctx_t *c, axrgen_severity_t sev, axrgen_pos_t pos,
		 const char *kind, const char *fmt, ...)
{
	axrgen_diagnostic_t *d = axrgen_alloc(c, sizeof(*d));
	va_list ap;
	va_start(ap, fmt);
	char *msg = axrgen_vprintf(c, fmt, ap);
	va_end(ap);
	d->severity = sev;
	d->pos = pos;
	d->kind = kind;
	d->message = msg;
	axrgen_vec_push(c, &c->diags, d);
}

#define AXRGEN_SUGGEST_MAX 64

/* Optimal string alignment distance (Damerau-Levenshtein without
 * repeated edits of a substring), for strings up to AXRGEN_SUGGEST_MAX. */
static size_t axrgen_distance(const char *a, size_t la, const char *b, size_t lb)
{
	size_t d[AXRGEN_SUGGEST_MAX + 1][AXRGEN_SUGGEST_MAX + 1];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *axrgen_suggest(const char *word, const char *const *candidates, size_t n)
{
	size_t lw = strlen(word);
	if (lw == 0 || lw > AXRGEN_SUGGEST_MAX)
		return NULL;
	size_t limit = (lw + 2) / 3;
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		const char *cand = candidates[i];
		size_t lc = strlen(cand);
		if (lc == 0 || lc > AXRGEN_SUGGEST_MAX || strcmp(cand, word) == 0)
			continue;
		size_t d;
		if (strcasecmp(cand, word) == 0)
			d = 0;
		else
			d = axrgen_distance(word, lw, cand, lc);
		size_t longest = lw > lc ? lw : lc;
		if (d > limit || d >= longest)
			continue;
		if (d < best_d || (d == best_d && strcmp(cand, best) < 0)) {
			best = cand;
			best_d = d;
		}
	}
	return best;
}

const char *axrgen_did_you_mean(axrgen_ctx_t *c, const char *word,
				const char *const *candidates, size_t n)
{
	const char *s = axrgen_suggest(word, candidates, n);
	return s ? axrgen_printf(c, " (did you mean '%s'?)", s) : "";
}

static uint32_t axrgen_file_order(axrgen_ctx_t *c, const char *file)
{
	if (file == NULL)
		return 0;
	axrgen_doc_t *doc = axrgen_map_get_str(&c->docs, file);
	return doc ? doc->order + 1 : UINT32_MAX;
}

typedef struct axrgen_sortable {
	uint32_t order;
	const axrgen_diagnostic_t *d;
} axrgen_sortable_t;

static int axrgen_diag_cmp(const void *pa, const void *pb)
{
	const axrgen_sortable_t *a = pa, *b = pb;
	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	int r = strcmp(a->d->pos.file ? a->d->pos.file : "", b->d->pos.file ? b->d->pos.file : "");
	if (r)
		return r;
	if (a->d->pos.line != b->d->pos.line)
		return a->d->pos.line < b->d->pos.line ? -1 : 1;
	if (a->d->pos.col != b->d->pos.col)
		return a->d->pos.col < b->d->pos.col ? -1 : 1;
	if (a->d->severity != b->d->severity)
		return a->d->severity > b->d->severity ? -1 : 1; /* errors first */
	r = strcmp(a->d->message, b->d->message);
	if (r)
		return r;
	return strcmp(a->d->kind, b->d->kind);
}

void axrgen_diag_finish(axrgen_ctx_t *c)
{
	size_t n = c->diags.n;
	axrgen_sortable_t *s = axrgen_alloc_array(c, n ? n : 1, sizeof(*s));
	for (size_t i = 0; i < n; i++) {
		s[i].d = c->diags.items[i];
		s[i].order = axrgen_file_order(c, s[i].d->pos.file);
	}
	axrgen_sort(s, n, sizeof(*s), axrgen_diag_cmp);
	axrgen_model_t *m = c->model;
	m->diagnostics = axrgen_alloc_array(c, n ? n : 1, sizeof(*m->diagnostics));
	m->n_diagnostics = 0;
	m->n_errors = m->n_warnings = 0;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && axrgen_diag_cmp(&s[i - 1], &s[i]) == 0)
			continue;
		m->diagnostics[m->n_diagnostics++] = *s[i].d;
		if (s[i].d->severity == AXRGEN_ERROR)
			m->n_errors++;
		else
			m->n_warnings++;
	}
}

/* Writes `s`, escaping control bytes so one diagnostic stays one line. */
static int axrgen_put_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int r = ch < 0x20 || ch == 0x7f ? fprintf(out, "\\x%02x", ch) : fputc(ch, out);
		if (r < 0)
			return AXR_EIO;
	}
	return 0;
}

int axrgen_model_print_diagnostics(const axrgen_model_t *m, FILE *out)
{
	for (size_t i = 0; i < m->n_diagnostics; i++) {
		const axrgen_diagnostic_t *d = &m->diagnostics[i];
		const char *sev = d->severity == AXRGEN_ERROR ? "error" : "warning";
		int r;
		if (d->pos.file == NULL)
			r = fprintf(out, "axrgen: %s: ", sev);
		else if (d->pos.line == 0)
			r = fprintf(out, "%s: %s: ", d->pos.file, sev);
		else
			r = fprintf(out, "%s:%u:%u: %s: ", d->pos.file, (unsigned)d->pos.line,
				    (unsigned)d->pos.col, sev);
		if (r < 0 || axrgen_put_escaped(out, d->message) != 0 || fputc('\n', out) == EOF)
			return AXR_EIO;
	}
	return 0;
}
