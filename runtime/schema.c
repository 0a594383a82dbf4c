/* schema.c: the `false` schema and the startup check of schema tables. */
#include "schema.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

const axr_schema_t axr_schema_false = {
	.name = "false",
	.flags = AXR_SCHEMA_FALSE,
};

/* A set of visited schemas (open addressing on the pointer). */
typedef struct axr__walk {
	const axr_schema_t **slots;
	size_t cap, len;
	char *errbuf;
	size_t size;
} axr__walk_t;

static size_t axr__slot(const axr_schema_t *s, size_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)s * 0x9E3779B97F4A7C15ULL;
	return (size_t)(h >> 17) & (cap - 1);
}

/* 1 when `s` was seen before, 0 when it is new (now recorded), or AXR_ENOMEM. */
static int axr__visit(axr__walk_t *w, const axr_schema_t *s)
{
	if ((w->len + 1) * 2 > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		const axr_schema_t **slots = calloc(cap, sizeof(*slots));
		if (slots == NULL)
			return AXR_ENOMEM;
		for (size_t i = 0; i < w->cap; i++) {
			if (w->slots[i] == NULL)
				continue;
			size_t k = axr__slot(w->slots[i], cap);
			while (slots[k] != NULL)
				k = (k + 1) & (cap - 1);
			slots[k] = w->slots[i];
		}
		free(w->slots);
		w->slots = slots;
		w->cap = cap;
	}
	size_t k = axr__slot(s, w->cap);
	while (w->slots[k] != NULL) {
		if (w->slots[k] == s)
			return 1;
		k = (k + 1) & (w->cap - 1);
	}
	w->slots[k] = s;
	w->len++;
	return 0;
}

__attribute__((format(printf, 3, 4))) static int axr__bad(axr__walk_t *w, const axr_schema_t *s,
							  const char *fmt, ...)
{
	va_list ap;
	if (w->errbuf != NULL && w->size > 0) {
		int n = snprintf(w->errbuf, w->size, "schema %s: ", s->name ? s->name : "(unnamed)");
		if (n >= 0 && (size_t)n < w->size) {
			va_start(ap, fmt);
			vsnprintf(w->errbuf + n, w->size - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return AXR_ECONFIG;
}

static int axr__prepare(axr__walk_t *w, const axr_schema_t *s);

static int axr__prepare_list(axr__walk_t *w, const axr_schema_t *s, const axr_schema_t *const *list,
			     size_t n, const char *what)
{
	int rc;
	if (n > 0 && list == NULL)
		return axr__bad(w, s, "%s has a count but no array", what);
	for (size_t i = 0; i < n; i++)
		if ((rc = axr__prepare(w, list[i])) != 0)
			return rc;
	return 0;
}

static int axr__prepare_regex(axr__walk_t *w, const axr_schema_t *s, axr_regex_t *re)
{
	char why[128];
	int rc = axr_regex_prepare(re, why, sizeof(why));
	if (rc == AXR_EINVAL)
		return axr__bad(w, s, "pattern /%s/ does not compile: %s", re->source, why);
	return rc;
}

static int axr__prepare_number(axr__walk_t *w, const axr_schema_t *s, const axr_number_t *n,
			       const char *what)
{
	if (n != NULL && !n->is_int && !isfinite(n->d))
		return axr__bad(w, s, "%s is not a finite number", what);
	return 0;
}

static int axr__prepare_objects(axr__walk_t *w, const axr_schema_t *s)
{
	int rc;

	if (s->n_properties > 0 && s->properties == NULL)
		return axr__bad(w, s, "n_properties without properties");
	for (size_t i = 0; i < s->n_properties; i++) {
		const char *name = s->properties[i].name;
		if (name == NULL)
			return axr__bad(w, s, "property %zu has no name", i);
		if (i > 0 && strcmp(s->properties[i - 1].name, name) >= 0)
			return axr__bad(w, s, "properties must be sorted and unique: \"%s\" then \"%s\"",
					s->properties[i - 1].name, name);
		if ((rc = axr__prepare(w, s->properties[i].schema)) != 0)
			return rc;
	}
	if (s->n_required > 0 && s->required == NULL)
		return axr__bad(w, s, "n_required without required");
	for (size_t i = 0; i < s->n_required; i++)
		if (s->required[i] == NULL)
			return axr__bad(w, s, "required[%zu] is NULL", i);
	if (s->n_pattern_properties > 0 && s->pattern_properties == NULL)
		return axr__bad(w, s, "n_pattern_properties without pattern_properties");
	for (size_t i = 0; i < s->n_pattern_properties; i++) {
		if (s->pattern_properties[i].regex == NULL)
			return axr__bad(w, s, "pattern property %zu has no regex", i);
		if ((rc = axr__prepare_regex(w, s, s->pattern_properties[i].regex)) != 0 ||
		    (rc = axr__prepare(w, s->pattern_properties[i].schema)) != 0)
			return rc;
	}
	if (s->n_dependencies > 0 && s->dependencies == NULL)
		return axr__bad(w, s, "n_dependencies without dependencies");
	for (size_t i = 0; i < s->n_dependencies; i++) {
		const axr_dependency_t *d = &s->dependencies[i];
		if (d->name == NULL || (d->n_required > 0 && d->required == NULL))
			return axr__bad(w, s, "dependency %zu is incomplete", i);
		if ((rc = axr__prepare(w, d->schema)) != 0)
			return rc;
	}
	return axr__prepare(w, s->additional_properties);
}

static int axr__prepare(axr__walk_t *w, const axr_schema_t *s)
{
	int rc;

	if (s == NULL)
		return 0;
	if ((rc = axr__visit(w, s)) != 0)
		return rc < 0 ? rc : 0;
	if (s->n_enum > 0 && s->enum_values == NULL)
		return axr__bad(w, s, "n_enum without enum_values");
	if ((rc = axr__prepare_number(w, s, s->minimum, "minimum")) != 0 ||
	    (rc = axr__prepare_number(w, s, s->maximum, "maximum")) != 0 ||
	    (rc = axr__prepare_number(w, s, s->exclusive_minimum, "exclusiveMinimum")) != 0 ||
	    (rc = axr__prepare_number(w, s, s->exclusive_maximum, "exclusiveMaximum")) != 0)
		return rc;
	if (s->multiple_of != NULL &&
	    (s->multiple_of->is_int ? s->multiple_of->i <= 0
				    : !(isfinite(s->multiple_of->d) && s->multiple_of->d > 0)))
		return axr__bad(w, s, "multipleOf must be greater than 0");
	if (s->pattern != NULL && (rc = axr__prepare_regex(w, s, s->pattern)) != 0)
		return rc;
	if ((rc = axr__prepare(w, s->ref)) != 0 || (rc = axr__prepare(w, s->items)) != 0 ||
	    (rc = axr__prepare(w, s->additional_items)) != 0 ||
	    (rc = axr__prepare(w, s->not_schema)) != 0)
		return rc;
	if ((rc = axr__prepare_list(w, s, s->tuple_items, s->n_tuple_items, "tuple_items")) != 0 ||
	    (rc = axr__prepare_list(w, s, s->all_of, s->n_all_of, "all_of")) != 0 ||
	    (rc = axr__prepare_list(w, s, s->any_of, s->n_any_of, "any_of")) != 0 ||
	    (rc = axr__prepare_list(w, s, s->one_of, s->n_one_of, "one_of")) != 0)
		return rc;
	if ((rc = axr__prepare_objects(w, s)) != 0)
		return rc;
	if (s->discriminator != NULL) {
		const axr_discriminator_t *d = s->discriminator;
		if (d->property == NULL || (d->n_mapping > 0 && d->mapping == NULL))
			return axr__bad(w, s, "discriminator is incomplete");
		for (size_t i = 0; i < d->n_mapping; i++) {
			if (d->mapping[i].value == NULL || d->mapping[i].schema == NULL)
				return axr__bad(w, s, "discriminator mapping %zu is incomplete", i);
			if ((rc = axr__prepare(w, d->mapping[i].schema)) != 0)
				return rc;
		}
	}
	return 0;
}

int axr_schema_prepare(const axr_schema_t *root, char *errbuf, size_t size)
{
	axr__walk_t w = {.errbuf = errbuf, .size = size};
	int rc = axr__prepare(&w, root);
	free(w.slots);
	return rc;
}
