/* lockfile.c: parse, assign and format spec/<svc>.lock (stable field numbers). */
#include "lockfile.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

void axrgen_lock_init(axrgen_lock_t *lock, axr_arena_t *a)
{
	*lock = (axrgen_lock_t){.arena = a};
}

static int axrgen__lock_push(axrgen_lock_t *lock, const char *message, const char *field,
			     uint32_t number, bool retired)
{
	if (lock->n == lock->cap) {
		size_t cap = lock->cap ? lock->cap * 2 : 64;
		axrgen_lock_entry_t *e = axr_arena_calloc(lock->arena, cap, sizeof(*e));
		if (e == NULL)
			return AXR_ENOMEM;
		if (lock->n)
			memcpy(e, lock->entries, lock->n * sizeof(*e));
		lock->entries = e;
		lock->cap = cap;
	}
	lock->entries[lock->n++] =
		(axrgen_lock_entry_t){.message = message, .field = field, .number = number, .retired = retired};
	return 0;
}

static bool axrgen__word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Reads a word ([A-Za-z0-9_]+) at *p. */
static const char *axrgen__word(axr_arena_t *a, const char **p, const char *end)
{
	const char *s = *p;
	while (*p < end && axrgen__word_char(**p))
		(*p)++;
	if (*p == s)
		return NULL;
	return axr_arena_strndup(a, s, (size_t)(*p - s));
}

static void axrgen__skip_blanks(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t' || **p == '\r'))
		(*p)++;
}

/* Parses one non-comment line. Returns 0, AXR_EPARSE (*msg set), AXR_ENOMEM. */
static int axrgen__lock_line(axrgen_lock_t *lock, const char *p, const char *end, const char **msg)
{
	bool retired = false;
	if ((size_t)(end - p) > 8 && memcmp(p, "retired", 7) == 0 && (p[7] == ' ' || p[7] == '\t')) {
		retired = true;
		p += 7;
		axrgen__skip_blanks(&p, end);
	}
	const char *message = axrgen__word(lock->arena, &p, end);
	if (message == NULL || p >= end || *p != '.') {
		*msg = "expected 'Message.field = N'";
		return AXR_EPARSE;
	}
	p++;
	const char *field = axrgen__word(lock->arena, &p, end);
	axrgen__skip_blanks(&p, end);
	if (field == NULL || p >= end || *p != '=') {
		*msg = "expected 'Message.field = N'";
		return AXR_EPARSE;
	}
	p++;
	axrgen__skip_blanks(&p, end);
	uint64_t n = 0;
	const char *digits = p;
	while (p < end && isdigit((unsigned char)*p) && n <= AXRGEN_LOCK_MAX_FIELD)
		n = n * 10 + (uint64_t)(*p++ - '0');
	axrgen__skip_blanks(&p, end);
	if (p == digits || p != end || n == 0 || n > AXRGEN_LOCK_MAX_FIELD) {
		*msg = "the field number must be an integer from 1 to 536870911";
		return AXR_EPARSE;
	}
	for (size_t i = 0; i < lock->n; i++) {
		const axrgen_lock_entry_t *e = &lock->entries[i];
		if (strcmp(e->message, message) != 0)
			continue;
		if (e->number == n) {
			*msg = axr_arena_printf(lock->arena, "number %u of %s is listed twice", (unsigned)n, message);
			return *msg ? AXR_EPARSE : AXR_ENOMEM;
		}
		if (!retired && !e->retired && strcmp(e->field, field) == 0) {
			*msg = axr_arena_printf(lock->arena, "field %s.%s is listed twice", message, field);
			return *msg ? AXR_EPARSE : AXR_ENOMEM;
		}
	}
	if (message == NULL || field == NULL)
		return AXR_ENOMEM;
	return axrgen__lock_push(lock, message, field, (uint32_t)n, retired);
}

int axrgen_lock_parse(axrgen_lock_t *lock, const char *text, size_t len, uint32_t *err_line,
		      const char **err_msg)
{
	const char *p = text, *end = text + len;
	uint32_t line = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		line++;
		const char *s = p;
		axrgen__skip_blanks(&s, eol);
		const char *e = eol;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (s < e && *s != '#') {
			const char *msg = NULL;
			int rc = axrgen__lock_line(lock, s, e, &msg);
			if (rc != 0) {
				if (err_line)
					*err_line = line;
				if (err_msg)
					*err_msg = msg ? msg : "out of memory";
				return rc;
			}
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

static bool axrgen__number_reserved(uint32_t n)
{
	return n >= 19000 && n <= 19999;
}

static int axrgen__cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Reports through `err` with a formatted message. */
static void axrgen__lock_error(axrgen_lock_t *lock, axrgen_lock_error_fn err, void *ctx, axrgen_pos_t pos,
			       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void axrgen__lock_error(axrgen_lock_t *lock, axrgen_lock_error_fn err, void *ctx, axrgen_pos_t pos,
			       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = axr_arena_vprintf(lock->arena, fmt, ap);
	va_end(ap);
	if (err)
		err(ctx, pos, msg ? msg : "out of memory");
}

int axrgen_lock_assign(axrgen_lock_t *lock, const char *message, axrgen_lock_field_t *fields,
		       size_t n, uint32_t **retired, size_t *n_retired, axrgen_lock_error_fn err,
		       void *ctx)
{
	*retired = NULL;
	*n_retired = 0;
	uint32_t max_used = 0;
	/* The message's old entries, moved out of the lock. */
	axrgen_lock_entry_t *old = NULL;
	size_t n_old = 0, keep = 0;
	for (size_t i = 0; i < lock->n; i++)
		if (strcmp(lock->entries[i].message, message) == 0)
			n_old++;
	if (n_old > 0 && (old = axr_arena_calloc(lock->arena, n_old, sizeof(*old))) == NULL)
		return AXR_ENOMEM;
	n_old = 0;
	for (size_t i = 0; i < lock->n; i++) {
		if (strcmp(lock->entries[i].message, message) == 0) {
			old[n_old++] = lock->entries[i];
			if (lock->entries[i].number > max_used)
				max_used = lock->entries[i].number;
		} else {
			lock->entries[keep++] = lock->entries[i];
		}
	}
	lock->n = keep;

	for (size_t i = 0; i < n; i++)
		fields[i].number = 0;
	/* 1. x-protobuf-index overrides. */
	for (size_t i = 0; i < n; i++) {
		axrgen_lock_field_t *f = &fields[i];
		if (f->override == 0)
			continue;
		if (f->override > AXRGEN_LOCK_MAX_FIELD || axrgen__number_reserved(f->override)) {
			axrgen__lock_error(lock, err, ctx, f->pos,
					   "x-protobuf-index %u of %s.%s is not a usable field number (1-536870911, "
					   "not 19000-19999)", (unsigned)f->override, message, f->name);
			continue;
		}
		bool ok = true;
		for (size_t k = 0; k < i && ok; k++)
			if (fields[k].number == f->override) {
				axrgen__lock_error(lock, err, ctx, f->pos,
						   "x-protobuf-index %u of %s.%s is also the number of %s.%s",
						   (unsigned)f->override, message, f->name, message, fields[k].name);
				ok = false;
			}
		for (size_t k = 0; k < n_old && ok; k++) {
			if (old[k].number != f->override || strcmp(old[k].field, f->name) == 0)
				continue;
			axrgen__lock_error(lock, err, ctx, f->pos,
					   "x-protobuf-index %u of %s.%s %s %s.%s in the lock file; numbers are never "
					   "reused", (unsigned)f->override, message, f->name,
					   old[k].retired ? "was used by the retired field" : "belongs to", message,
					   old[k].field);
			ok = false;
		}
		if (ok)
			f->number = f->override;
	}
	/* 2. Fields the lock knows keep their number. */
	for (size_t i = 0; i < n; i++) {
		axrgen_lock_field_t *f = &fields[i];
		if (f->override != 0)
			continue;
		for (size_t k = 0; k < n_old; k++) {
			if (old[k].retired || strcmp(old[k].field, f->name) != 0)
				continue;
			bool taken = false;
			for (size_t j = 0; j < n; j++)
				if (fields[j].override != 0 && fields[j].number == old[k].number)
					taken = true;
			if (!taken)
				f->number = old[k].number;
			else
				axrgen__lock_error(lock, err, ctx, f->pos,
						   "%s.%s holds number %u in the lock file, which an x-protobuf-index "
						   "now claims", message, f->name, (unsigned)old[k].number);
			break;
		}
	}
	/* 3. New fields are appended after every number the lock ever gave
	 * this message, skipping the ones x-protobuf-index took just now. */
	for (size_t i = 0; i < n; i++) {
		axrgen_lock_field_t *f = &fields[i];
		if (f->number != 0 || f->override != 0)
			continue;
		uint32_t next = max_used;
		bool taken;
		do {
			next++;
			if (axrgen__number_reserved(next))
				next = 20000;
			taken = false;
			for (size_t k = 0; k < n && !taken; k++)
				taken = fields[k].number == next;
		} while (taken);
		f->number = max_used = next;
	}
	/* 4. Record: the live fields, the old retired entries, newly retired. */
	size_t n_ret = 0;
	uint32_t *ret = axr_arena_calloc(lock->arena, n_old ? n_old : 1, sizeof(*ret));
	if (ret == NULL)
		return AXR_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (fields[i].number == 0)
			continue;
		bool same = false;
		for (size_t k = 0; k < n_old; k++)
			if (!old[k].retired && old[k].number == fields[i].number &&
			    strcmp(old[k].field, fields[i].name) == 0)
				same = true;
		if (!same)
			lock->changed = true;
		if (axrgen__lock_push(lock, message, fields[i].name, fields[i].number, false) != 0)
			return AXR_ENOMEM;
	}
	for (size_t k = 0; k < n_old; k++) {
		bool live = false;
		for (size_t i = 0; i < n && !live; i++)
			live = fields[i].number == old[k].number;
		if (live)
			continue;
		if (!old[k].retired)
			lock->changed = true;
		if (axrgen__lock_push(lock, message, old[k].field, old[k].number, true) != 0)
			return AXR_ENOMEM;
		ret[n_ret++] = old[k].number;
	}
	qsort(ret, n_ret, sizeof(*ret), axrgen__cmp_u32);
	*retired = n_ret ? ret : NULL;
	*n_retired = n_ret;
	return 0;
}

static int axrgen__str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int axrgen_lock_retire_others(axrgen_lock_t *lock, const char *const *live, size_t n)
{
	for (size_t i = 0; i < lock->n; i++) {
		axrgen_lock_entry_t *e = &lock->entries[i];
		if (e->retired)
			continue;
		const char *key = e->message;
		if (n > 0 && bsearch(&key, live, n, sizeof(*live), axrgen__str_cmp) != NULL)
			continue;
		e->retired = true;
		lock->changed = true;
	}
	return 0;
}

static int axrgen__entry_cmp(const void *a, const void *b)
{
	const axrgen_lock_entry_t *x = a, *y = b;
	int c = strcmp(x->message, y->message);
	if (c != 0)
		return c;
	return x->number < y->number ? -1 : x->number > y->number;
}

char *axrgen_lock_format(const axrgen_lock_t *lock, const char *title, axr_arena_t *a)
{
	axrgen_lock_entry_t *sorted = NULL;
	axr_buf_t b = AXR_BUF_INIT;
	char *out = NULL;
	if (lock->n > 0) {
		sorted = malloc(lock->n * sizeof(*sorted));
		if (sorted == NULL)
			goto fail;
		memcpy(sorted, lock->entries, lock->n * sizeof(*sorted));
		qsort(sorted, lock->n, sizeof(*sorted), axrgen__entry_cmp);
	}
	axr_buf_printf(&b,
		       "# %s: protobuf field numbers, kept by axrgen generate; commit it beside the spec.\n"
		       "# \"Message.field = N\" is in use. \"retired Message.field = N\" was removed: N is\n"
		       "# never given out again. New fields get the next number; x-protobuf-index on a\n"
		       "# property overrides (docs/model-mapping.md).\n",
		       title);
	for (size_t i = 0; i < lock->n; i++)
		axr_buf_printf(&b, "%s%s.%s = %u\n", sorted[i].retired ? "retired " : "", sorted[i].message,
			       sorted[i].field, (unsigned)sorted[i].number);
	if (axr_buf_ok(&b))
		out = axr_arena_strndup(a, b.data, b.len);
fail:
	free(sorted);
	axr_buf_free(&b);
	return out;
}
