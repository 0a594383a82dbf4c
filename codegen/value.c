/* value.c: helpers over axrgen value trees: lookup, JSON text, typed fields. */
#include "load.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const axrgen_value_t *axrgen_value_get(const axrgen_value_t *obj, const char *key)
{
	if (obj == NULL || obj->kind != AXRGEN_VALUE_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->count; i++)
		if (strcmp(obj->members[i].key, key) == 0)
			return obj->members[i].value;
	return NULL;
}

const char *axrgen_value_kind_name(axrgen_value_kind_t kind)
{
	switch (kind) {
	case AXRGEN_VALUE_NULL:
		return "null";
	case AXRGEN_VALUE_BOOL:
		return "boolean";
	case AXRGEN_VALUE_INT:
		return "integer";
	case AXRGEN_VALUE_NUMBER:
		return "number";
	case AXRGEN_VALUE_STRING:
		return "string";
	case AXRGEN_VALUE_ARRAY:
		return "array";
	case AXRGEN_VALUE_OBJECT:
		return "object";
	}
	return "unknown";
}

const char *axrgen_value_describe(axrgen_ctx_t *c, const axrgen_value_t *v)
{
	switch (v->kind) {
	case AXRGEN_VALUE_INT:
	case AXRGEN_VALUE_NUMBER:
		return v->text;
	case AXRGEN_VALUE_NULL:
		return "null";
	case AXRGEN_VALUE_ARRAY:
	case AXRGEN_VALUE_OBJECT:
		return axrgen_printf(c, "an %s", axrgen_value_kind_name(v->kind));
	default:
		return axrgen_printf(c, "a %s", axrgen_value_kind_name(v->kind));
	}
}

bool axrgen_value_is_string(const axrgen_value_t *v)
{
	return v != NULL && v->kind == AXRGEN_VALUE_STRING;
}

bool axrgen_value_number(const axrgen_value_t *v, double *out)
{
	if (v == NULL || (v->kind != AXRGEN_VALUE_INT && v->kind != AXRGEN_VALUE_NUMBER))
		return false;
	char *end = NULL;
	errno = 0;
	double d = strtod(v->text, &end);
	if (end == v->text || *end != '\0' || isnan(d) || isinf(d))
		return false;
	*out = d;
	return true;
}

/* Appends `s` (len bytes) as a JSON string literal. Invalid UTF-8 is kept
 * byte for byte; control characters are escaped. */
static bool axrgen_json_string(axr_arena_t *a, char **buf, size_t *len, size_t *cap,
			       const char *s, size_t n);

static bool axrgen_json_add(axr_arena_t *a, char **buf, size_t *len, size_t *cap,
			    const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t nc = *cap ? *cap : 64;
		while (nc < *len + n + 1)
			nc *= 2;
		char *nb = axr_arena_alloc(a, nc);
		if (nb == NULL)
			return false;
		if (*len)
			memcpy(nb, *buf, *len);
		*buf = nb;
		*cap = nc;
	}
	if (n)
		memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return true;
}

static bool axrgen_json_string(axr_arena_t *a, char **buf, size_t *len, size_t *cap,
			       const char *s, size_t n)
{
	if (!axrgen_json_add(a, buf, len, cap, "\"", 1))
		return false;
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc[8];
		const char *e = NULL;
		if (ch == '"')
			e = "\\\"";
		else if (ch == '\\')
			e = "\\\\";
		else if (ch == '\n')
			e = "\\n";
		else if (ch == '\t')
			e = "\\t";
		else if (ch == '\r')
			e = "\\r";
		else if (ch < 0x20 || ch == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
			e = esc;
		}
		if (e == NULL)
			continue;
		if (!axrgen_json_add(a, buf, len, cap, s + run, i - run) ||
		    !axrgen_json_add(a, buf, len, cap, e, strlen(e)))
			return false;
		run = i + 1;
	}
	return axrgen_json_add(a, buf, len, cap, s + run, n - run) &&
	       axrgen_json_add(a, buf, len, cap, "\"", 1);
}

/* Recursion depth is bounded by the YAML nesting limit of libfyaml. */
static bool axrgen_json_value(axr_arena_t *a, char **buf, size_t *len, size_t *cap,
			      const axrgen_value_t *v)
{
	switch (v->kind) {
	case AXRGEN_VALUE_NULL:
	case AXRGEN_VALUE_BOOL:
	case AXRGEN_VALUE_INT:
		return axrgen_json_add(a, buf, len, cap, v->text, v->len);
	case AXRGEN_VALUE_NUMBER: {
		double d;
		if (!axrgen_value_number(v, &d))
			return false;
		return axrgen_json_add(a, buf, len, cap, v->text, v->len);
	}
	case AXRGEN_VALUE_STRING:
		return axrgen_json_string(a, buf, len, cap, v->text, v->len);
	case AXRGEN_VALUE_ARRAY:
		if (!axrgen_json_add(a, buf, len, cap, "[", 1))
			return false;
		for (size_t i = 0; i < v->count; i++) {
			if (i && !axrgen_json_add(a, buf, len, cap, ",", 1))
				return false;
			if (!axrgen_json_value(a, buf, len, cap, v->items[i]))
				return false;
		}
		return axrgen_json_add(a, buf, len, cap, "]", 1);
	case AXRGEN_VALUE_OBJECT:
		if (!axrgen_json_add(a, buf, len, cap, "{", 1))
			return false;
		for (size_t i = 0; i < v->count; i++) {
			const axrgen_member_t *m = &v->members[i];
			if (i && !axrgen_json_add(a, buf, len, cap, ",", 1))
				return false;
			if (!axrgen_json_string(a, buf, len, cap, m->key, strlen(m->key)) ||
			    !axrgen_json_add(a, buf, len, cap, ":", 1) ||
			    !axrgen_json_value(a, buf, len, cap, m->value))
				return false;
		}
		return axrgen_json_add(a, buf, len, cap, "}", 1);
	}
	return false;
}

char *axrgen_value_json(axr_arena_t *a, const axrgen_value_t *v)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	if (v == NULL || !axrgen_json_add(a, &buf, &len, &cap, "", 0))
		return NULL;
	if (!axrgen_json_value(a, &buf, &len, &cap, v))
		return NULL;
	return buf;
}

/* Returns true when the tree holds a number JSON cannot write. */
static bool axrgen_has_bad_number(const axrgen_value_t *v)
{
	double d;
	switch (v->kind) {
	case AXRGEN_VALUE_NUMBER:
		return !axrgen_value_number(v, &d);
	case AXRGEN_VALUE_ARRAY:
		for (size_t i = 0; i < v->count; i++)
			if (axrgen_has_bad_number(v->items[i]))
				return true;
		return false;
	case AXRGEN_VALUE_OBJECT:
		for (size_t i = 0; i < v->count; i++)
			if (axrgen_has_bad_number(v->members[i].value))
				return true;
		return false;
	default:
		return false;
	}
}

const char *axrgen_json(axrgen_ctx_t *c, const axrgen_value_t *v, const char *what)
{
	if (axrgen_has_bad_number(v)) {
		axrgen_error(c, v->pos, "invalid-value", "%s holds a number JSON cannot represent",
			     what);
		return NULL;
	}
	char *s = axrgen_value_json(c->arena, v);
	if (s == NULL)
		axrgen_oom(c);
	return s;
}

static int axrgen_ext_cmp(const void *pa, const void *pb)
{
	const axrgen_member_t *a = pa, *b = pb;
	return strcmp(a->key, b->key);
}

axrgen_extensions_t axrgen_extensions(axrgen_ctx_t *c, const axrgen_value_t *obj)
{
	axrgen_extensions_t ext = { 0, NULL };
	if (obj == NULL || obj->kind != AXRGEN_VALUE_OBJECT)
		return ext;
	size_t n = 0;
	for (size_t i = 0; i < obj->count; i++)
		if (strncmp(obj->members[i].key, "x-", 2) == 0)
			n++;
	if (n == 0)
		return ext;
	axrgen_member_t *items = axrgen_alloc_array(c, n, sizeof(*items));
	n = 0;
	for (size_t i = 0; i < obj->count; i++)
		if (strncmp(obj->members[i].key, "x-", 2) == 0)
			items[n++] = obj->members[i];
	axrgen_sort(items, n, sizeof(*items), axrgen_ext_cmp);
	ext.count = n;
	ext.items = items;
	return ext;
}

static int axrgen_ext_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const axrgen_member_t *)elem)->key);
}

const axrgen_value_t *axrgen_ext_get(const axrgen_extensions_t *ext, const char *name)
{
	if (ext->count == 0)
		return NULL;
	const axrgen_member_t *hit = bsearch(name, ext->items, ext->count, sizeof(*ext->items),
					     axrgen_ext_key_cmp);
	return hit ? hit->value : NULL;
}

void axrgen_check_keys(axrgen_ctx_t *c, const axrgen_value_t *obj,
		       const char *const *known, const char *where)
{
	if (obj == NULL || obj->kind != AXRGEN_VALUE_OBJECT)
		return;
	size_t n_known = 0;
	while (known[n_known])
		n_known++;
	for (size_t i = 0; i < obj->count; i++) {
		const char *key = obj->members[i].key;
		if (strncmp(key, "x-", 2) == 0)
			continue;
		bool ok = false;
		for (size_t k = 0; k < n_known && !ok; k++)
			ok = strcmp(known[k], key) == 0;
		if (ok)
			continue;
		axrgen_warning(c, obj->members[i].key_pos, "unknown-keyword",
			       "unknown keyword '%s' in %s%s", key, where,
			       axrgen_did_you_mean(c, key, known, n_known));
	}
}

const char *axrgen_get_string(axrgen_ctx_t *c, const axrgen_value_t *obj, const char *key)
{
	const axrgen_value_t *v = axrgen_value_get(obj, key);
	if (v == NULL)
		return NULL;
	if (v->kind != AXRGEN_VALUE_STRING) {
		axrgen_error(c, v->pos, "invalid-value", "'%s' must be a string, not %s", key,
			     axrgen_value_kind_name(v->kind));
		return NULL;
	}
	return v->text;
}

bool axrgen_get_bool(axrgen_ctx_t *c, const axrgen_value_t *obj, const char *key, bool dflt)
{
	const axrgen_value_t *v = axrgen_value_get(obj, key);
	if (v == NULL)
		return dflt;
	if (v->kind != AXRGEN_VALUE_BOOL) {
		axrgen_error(c, v->pos, "invalid-value", "'%s' must be a boolean, not %s", key,
			     axrgen_value_kind_name(v->kind));
		return dflt;
	}
	return v->text[0] == 't';
}

const axrgen_value_t *axrgen_expect_kind(axrgen_ctx_t *c, const char *key,
					 const axrgen_value_t *v, axrgen_value_kind_t kind)
{
	if (v->kind == kind)
		return v;
	axrgen_error(c, v->pos, "invalid-value", "'%s' must be %s %s, not %s", key,
		     kind == AXRGEN_VALUE_ARRAY || kind == AXRGEN_VALUE_OBJECT ||
				     kind == AXRGEN_VALUE_INT
			     ? "an"
			     : "a",
		     axrgen_value_kind_name(kind), axrgen_value_kind_name(v->kind));
	return NULL;
}

const axrgen_value_t *axrgen_get_kind(axrgen_ctx_t *c, const axrgen_value_t *obj,
				      const char *key, axrgen_value_kind_t kind)
{
	const axrgen_value_t *v = axrgen_value_get(obj, key);
	return v ? axrgen_expect_kind(c, key, v, kind) : NULL;
}
