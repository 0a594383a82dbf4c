/* validate.c: validates json-c trees against schema tables, collecting errors. */
#include "validate.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "validate_internal.h"

/* Schema recursion without descending into the value ({"allOf":[{"$ref":
 * "#"}]}) or absurdly deep trees stop here instead of the stack. */
#define AXR__MAX_SCHEMA_DEPTH 256

/* Where we are in the value: a chain of frames on the C stack, rendered to a
 * JSON Pointer only when an error is recorded. NULL is the root. */
typedef struct axr__path {
	const struct axr__path *parent;
	const char *key; /* member name, or NULL for an array element */
	size_t index;
} axr__path_t;

typedef struct axr__vctx {
	axr_verrors_t *errs;
	axr_validate_mode_t mode;
	const char *prefix; /* pointer prepended to every path */
	unsigned depth;
	unsigned trial; /* > 0 inside anyOf/oneOf/not branches */
	bool stop;      /* unwind now: trial failed, list full, or fatal */
	int fatal;      /* AXR_ENOMEM, AXR_ECONFIG */
} axr__vctx_t;

void axr_verrors_init(axr_verrors_t *errs, axr_arena_t *arena, size_t max)
{
	errs->arena = arena;
	errs->items = NULL;
	errs->count = 0;
	errs->max = max;
	errs->truncated = false;
}

/* Appends an entry (path and message already in the arena). */
static int axr__verrors_push(axr_verrors_t *errs, const char *path, const char *message)
{
	if (errs->count >= errs->max) {
		errs->truncated = true;
		return AXR_ERANGE;
	}
	if (errs->items == NULL) {
		errs->items = axr_arena_alloc(errs->arena, errs->max * sizeof(*errs->items));
		if (errs->items == NULL)
			return AXR_ENOMEM;
	}
	errs->items[errs->count].path = path;
	errs->items[errs->count].message = message;
	errs->count++;
	return 0;
}

int axr_verrors_add(axr_verrors_t *errs, const char *path, const char *fmt, ...)
{
	va_list ap;
	char *p, *m;

	if (errs->count >= errs->max) {
		errs->truncated = true;
		return AXR_ERANGE;
	}
	va_start(ap, fmt);
	m = axr_arena_vprintf(errs->arena, fmt, ap);
	va_end(ap);
	p = axr_arena_strdup(errs->arena, path ? path : "");
	if (m == NULL || p == NULL)
		return AXR_ENOMEM;
	return axr__verrors_push(errs, p, m);
}

static char *axr__path_render(axr_arena_t *arena, const char *prefix, const axr__path_t *path)
{
	size_t len = strlen(prefix), pos;
	char digits[24];

	for (const axr__path_t *p = path; p != NULL; p = p->parent) {
		if (p->key == NULL) {
			len += 1 + (size_t)snprintf(digits, sizeof(digits), "%zu", p->index);
			continue;
		}
		len += 1 + strlen(p->key);
		for (const char *k = p->key; *k; k++)
			len += *k == '~' || *k == '/';
	}
	char *out = axr_arena_alloc(arena, len + 1);
	if (out == NULL)
		return NULL;
	pos = len;
	out[pos] = '\0';
	for (const axr__path_t *p = path; p != NULL; p = p->parent) {
		if (p->key == NULL) {
			size_t n = (size_t)snprintf(digits, sizeof(digits), "%zu", p->index);
			pos -= n;
			memcpy(out + pos, digits, n);
		} else {
			for (size_t k = strlen(p->key); k-- > 0;) {
				char c = p->key[k];
				if (c == '~' || c == '/') {
					out[--pos] = c == '~' ? '0' : '1';
					out[--pos] = '~';
				} else {
					out[--pos] = c;
				}
			}
		}
		out[--pos] = '/';
	}
	memcpy(out, prefix, pos);
	return out;
}

/* Records an error at `path` (or just ends the current trial branch). */
__attribute__((format(printf, 3, 4))) static void
axr__fail(axr__vctx_t *c, const axr__path_t *path, const char *fmt, ...)
{
	axr_verrors_t *errs = c->errs;
	va_list ap;

	if (c->trial > 0 || errs->max == 0) {
		c->stop = true;
		return;
	}
	if (errs->count >= errs->max) {
		errs->truncated = true;
		c->stop = true;
		return;
	}
	char *p = axr__path_render(errs->arena, c->prefix, path);
	va_start(ap, fmt);
	char *m = axr_arena_vprintf(errs->arena, fmt, ap);
	va_end(ap);
	if (p == NULL || m == NULL || axr__verrors_push(errs, p, m) == AXR_ENOMEM) {
		c->fatal = AXR_ENOMEM;
		c->stop = true;
	}
}

static void axr__fatal(axr__vctx_t *c, int code)
{
	c->fatal = code;
	c->stop = true;
}

/* On failure: the value is invalid; unwind if the walk must stop. */
#define AXR__CHECK(expr)                                                       \
	do {                                                                   \
		if (!(expr)) {                                                 \
			ok = false;                                            \
			if (c->stop)                                           \
				goto out;                                      \
		}                                                              \
	} while (0)

#define AXR__FAIL_AT(where, ...)                                               \
	do {                                                                   \
		ok = false;                                                    \
		axr__fail(c, (where), __VA_ARGS__);                            \
		if (c->stop)                                                   \
			goto out;                                              \
	} while (0)

#define AXR__FAIL(...) AXR__FAIL_AT(path, __VA_ARGS__)

static bool axr__v(axr__vctx_t *c, const axr_schema_t *s, json_object *v, const axr__path_t *path);

/* Validates a branch of anyOf/oneOf/not without recording its errors. */
static bool axr__try(axr__vctx_t *c, const axr_schema_t *s, json_object *v, const axr__path_t *path)
{
	c->trial++;
	bool ok = axr__v(c, s, v, path);
	c->trial--;
	c->stop = c->fatal != 0;
	return ok && c->fatal == 0;
}

static const char *axr__type_name(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "boolean";
	case json_type_int: return "integer";
	case json_type_double: return "number";
	case json_type_string: return "string";
	case json_type_array: return "array";
	case json_type_object: return "object";
	}
	return "unknown";
}

void axr__types_text(uint32_t types, char *buf, size_t size)
{
	static const char *const names[] = {"null", "boolean", "integer", "number",
					    "string", "array", "object"};
	size_t o = 0, n = 0, total = 0;

	for (uint32_t t = types; t; t &= t - 1)
		total++;
	buf[0] = '\0';
	for (unsigned i = 0; i < 7; i++) {
		if (!(types & (1u << i)))
			continue;
		n++;
		const char *sep = n == 1 ? "" : (n == total ? " or " : ", ");
		o += (size_t)snprintf(buf + o, size - o, "%s%s", sep, names[i]);
		if (o >= size)
			break;
	}
}

static bool axr__type_ok(uint32_t types, json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return types & AXR_TYPE_NULL;
	case json_type_boolean: return types & AXR_TYPE_BOOLEAN;
	case json_type_int: return types & (AXR_TYPE_INTEGER | AXR_TYPE_NUMBER);
	case json_type_double:
		if (types & AXR_TYPE_NUMBER)
			return true;
		return (types & AXR_TYPE_INTEGER) && axr__is_big_integer(v);
	case json_type_string: return types & AXR_TYPE_STRING;
	case json_type_array: return types & AXR_TYPE_ARRAY;
	case json_type_object: return types & AXR_TYPE_OBJECT;
	}
	return false;
}

static bool axr__read_only(const axr_schema_t *s)
{
	for (; s != NULL; s = s->ref)
		if (s->flags & AXR_SCHEMA_READ_ONLY)
			return true;
	return false;
}

static bool axr__write_only(const axr_schema_t *s)
{
	for (; s != NULL; s = s->ref)
		if (s->flags & AXR_SCHEMA_WRITE_ONLY)
			return true;
	return false;
}

const axr_property_t *axr__find_property(const axr_schema_t *s, const char *name)
{
	size_t lo = 0, hi = s->n_properties;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int d = strcmp(name, s->properties[mid].name);
		if (d == 0)
			return &s->properties[mid];
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Runs a pattern. False when it could not decide: too complex or not UTF-8
 * (reported at `path`), or a broken pattern or no memory (fatal). */
static bool axr__match(axr__vctx_t *c, const axr__path_t *path, axr_regex_t *re, const char *s,
		       size_t len, bool *hit)
{
	int rc;

	if (axr_regex_prepare(re, NULL, 0) != 0) {
		axr__fatal(c, AXR_ECONFIG);
		return false;
	}
	if ((rc = axr_regex_match(re, s, len, hit)) == 0)
		return true;
	if (rc == AXR_ERANGE)
		axr__fail(c, path, "is too complex to match against the pattern %s", re->source);
	else if (rc == AXR_EINVAL)
		axr__fail(c, path, "must be valid UTF-8");
	else
		axr__fatal(c, rc == AXR_ENOMEM ? AXR_ENOMEM : AXR_EINTERNAL);
	return false;
}

static bool axr__v_number(axr__vctx_t *c, const axr_schema_t *s, json_object *v,
			  const axr__path_t *path)
{
	axr_arena_t *a = c->errs->arena;
	bool ok = true, is_int = json_object_get_type(v) == json_type_int;

	if (!is_int && !isfinite(json_object_get_double(v)))
		AXR__FAIL("must be a finite number");
	if (s->minimum && axr__number_cmp(v, s->minimum) < 0)
		AXR__FAIL("must be >= %s", axr__number_text(a, s->minimum));
	if (s->exclusive_minimum && axr__number_cmp(v, s->exclusive_minimum) <= 0)
		AXR__FAIL("must be > %s", axr__number_text(a, s->exclusive_minimum));
	if (s->maximum && axr__number_cmp(v, s->maximum) > 0)
		AXR__FAIL("must be <= %s", axr__number_text(a, s->maximum));
	if (s->exclusive_maximum && axr__number_cmp(v, s->exclusive_maximum) >= 0)
		AXR__FAIL("must be < %s", axr__number_text(a, s->exclusive_maximum));
	if (s->multiple_of && !axr__multiple_of(v, s->multiple_of))
		AXR__FAIL("must be a multiple of %s", axr__number_text(a, s->multiple_of));
	switch (s->format) {
	case AXR_FORMAT_INT32:
		if (!is_int || json_object_get_int64(v) < INT32_MIN ||
		    json_object_get_int64(v) > INT32_MAX)
			AXR__FAIL("must be an integer from -2147483648 to 2147483647 (int32)");
		break;
	case AXR_FORMAT_INT64:
		if (!is_int)
			AXR__FAIL("must be an integer from -9223372036854775808 to "
				  "9223372036854775807 (int64)");
		break;
	case AXR_FORMAT_FLOAT:
		if (fabs(json_object_get_double(v)) > FLT_MAX)
			AXR__FAIL("is out of range for a float");
		break;
	default:
		break;
	}
out:
	return ok;
}

static bool axr__v_string(axr__vctx_t *c, const axr_schema_t *s, json_object *v,
			  const axr__path_t *path)
{
	const char *str = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	bool ok = true, matched;

	/* code points <= bytes: count only when bytes cannot decide */
	if (s->min_length > 0 || (s->flags & AXR_SCHEMA_MAX_LENGTH)) {
		size_t cps = len;
		bool need_min = s->min_length > 0 && s->min_length <= len;
		bool need_max = (s->flags & AXR_SCHEMA_MAX_LENGTH) && len > s->max_length;
		if (need_min || need_max) {
			cps = 0;
			for (size_t i = 0; i < len; i++)
				cps += ((unsigned char)str[i] & 0xC0) != 0x80;
		}
		if (cps < s->min_length)
			AXR__FAIL("must be at least %zu characters long", s->min_length);
		if ((s->flags & AXR_SCHEMA_MAX_LENGTH) && cps > s->max_length)
			AXR__FAIL("must be at most %zu characters long", s->max_length);
	}
	if (s->pattern != NULL) {
		if (!axr__match(c, path, s->pattern, str, len, &matched)) {
			ok = false;
			if (c->stop)
				goto out;
		} else if (!matched) {
			AXR__FAIL("must match the pattern %s", s->pattern->source);
		}
	}
	if (axr_format_is_string(s->format) && !axr_format_check(s->format, str, len))
		AXR__FAIL("must be a valid %s", axr_format_name(s->format));
out:
	return ok;
}

static bool axr__v_array(axr__vctx_t *c, const axr_schema_t *s, json_object *v,
			 const axr__path_t *path)
{
	size_t n = json_object_array_length(v), first, second;
	bool ok = true, dup;

	if (n < s->min_items)
		AXR__FAIL("must have at least %zu item%s", s->min_items, s->min_items == 1 ? "" : "s");
	if ((s->flags & AXR_SCHEMA_MAX_ITEMS) && n > s->max_items)
		AXR__FAIL("must have at most %zu item%s", s->max_items, s->max_items == 1 ? "" : "s");
	if ((s->flags & AXR_SCHEMA_TUPLE_ITEMS) || s->items != NULL) {
		for (size_t i = 0; i < n; i++) {
			axr__path_t child = {.parent = path, .index = i};
			const axr_schema_t *item = s->items;
			if (s->flags & AXR_SCHEMA_TUPLE_ITEMS)
				item = i < s->n_tuple_items ? s->tuple_items[i] : s->additional_items;
			if (item == NULL)
				continue;
			if ((item->flags & AXR_SCHEMA_FALSE) && i >= s->n_tuple_items) {
				AXR__FAIL_AT(&child, "is not allowed: at most %zu item%s", s->n_tuple_items,
					     s->n_tuple_items == 1 ? "" : "s");
				break;
			}
			AXR__CHECK(axr__v(c, item, json_object_array_get_idx(v, i), &child));
		}
	}
	if ((s->flags & AXR_SCHEMA_UNIQUE_ITEMS) && n > 1) {
		if (axr__find_duplicate(v, c->errs->arena, &dup, &first, &second) != 0) {
			axr__fatal(c, AXR_ENOMEM);
			return false;
		}
		if (dup)
			AXR__FAIL("must not contain duplicates (items %zu and %zu are equal)", first,
				  second);
	}
out:
	return ok;
}

/* In request mode a required readOnly property is not required, and in
 * response mode a required writeOnly one is not. */
static bool axr__required_here(axr__vctx_t *c, const axr_schema_t *s, const char *name)
{
	if (c->mode == AXR_VALIDATE_PLAIN)
		return true;
	const axr_property_t *p = axr__find_property(s, name);
	if (p == NULL)
		return true;
	if (c->mode == AXR_VALIDATE_REQUEST)
		return !axr__read_only(p->schema);
	return !axr__write_only(p->schema);
}

static bool axr__v_member(axr__vctx_t *c, const axr_schema_t *s, const char *key, json_object *val,
			  const axr__path_t *path)
{
	const axr_property_t *prop = axr__find_property(s, key);
	bool ok = true, matched = prop != NULL, hit;

	if (prop != NULL) {
		if (c->mode == AXR_VALIDATE_REQUEST && axr__read_only(prop->schema))
			AXR__FAIL("is read-only");
		else if (c->mode == AXR_VALIDATE_RESPONSE && axr__write_only(prop->schema))
			AXR__FAIL("is write-only");
		else
			AXR__CHECK(axr__v(c, prop->schema, val, path));
	}
	for (size_t i = 0; i < s->n_pattern_properties; i++) {
		const axr_pattern_property_t *pp = &s->pattern_properties[i];
		if (!axr__match(c, path, pp->regex, key, strlen(key), &hit)) {
			ok = false;
			if (c->stop)
				goto out;
			continue;
		}
		if (hit) {
			matched = true;
			AXR__CHECK(axr__v(c, pp->schema, val, path));
		}
	}
	if (!matched && s->additional_properties != NULL) {
		if (s->additional_properties->flags & AXR_SCHEMA_FALSE)
			AXR__FAIL("is not an allowed property");
		else
			AXR__CHECK(axr__v(c, s->additional_properties, val, path));
	}
out:
	return ok;
}

static bool axr__v_object(axr__vctx_t *c, const axr_schema_t *s, json_object *v,
			  const axr__path_t *path)
{
	size_t n = (size_t)json_object_object_length(v);
	bool ok = true;

	if (n < s->min_properties)
		AXR__FAIL("must have at least %zu propert%s", s->min_properties,
			  s->min_properties == 1 ? "y" : "ies");
	if ((s->flags & AXR_SCHEMA_MAX_PROPERTIES) && n > s->max_properties)
		AXR__FAIL("must have at most %zu propert%s", s->max_properties,
			  s->max_properties == 1 ? "y" : "ies");
	for (size_t i = 0; i < s->n_required; i++) {
		const char *name = s->required[i];
		if (json_object_object_get_ex(v, name, NULL) || !axr__required_here(c, s, name))
			continue;
		axr__path_t child = {.parent = path, .key = name};
		AXR__FAIL_AT(&child, "is required");
	}
	if (s->n_properties > 0 || s->n_pattern_properties > 0 || s->additional_properties != NULL) {
		json_object_object_foreach(v, key, val) {
			axr__path_t child = {.parent = path, .key = key};
			AXR__CHECK(axr__v_member(c, s, key, val, &child));
		}
	}
	for (size_t i = 0; i < s->n_dependencies; i++) {
		const axr_dependency_t *d = &s->dependencies[i];
		if (!json_object_object_get_ex(v, d->name, NULL))
			continue;
		for (size_t k = 0; k < d->n_required; k++) {
			if (json_object_object_get_ex(v, d->required[k], NULL))
				continue;
			axr__path_t child = {.parent = path, .key = d->required[k]};
			AXR__FAIL_AT(&child, "is required when \"%s\" is present", d->name);
		}
		if (d->schema != NULL)
			AXR__CHECK(axr__v(c, d->schema, v, path));
	}
out:
	return ok;
}

static void axr__mapping_text(const axr_discriminator_t *d, char *buf, size_t size)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < d->n_mapping && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s\"%s\"", i ? ", " : "", d->mapping[i].value);
}

/* oneOf/anyOf with a discriminator: the value names its branch, and only
 * that branch's errors are reported. */
static bool axr__v_discriminator(axr__vctx_t *c, const axr_schema_t *s, json_object *v,
				 const axr__path_t *path)
{
	const axr_discriminator_t *d = s->discriminator;
	axr__path_t child = {.parent = path, .key = d->property};
	json_object *tag;
	char list[256];

	if (json_object_get_type(v) != json_type_object) {
		axr__fail(c, path, "expected object, got %s", axr__type_name(v));
		return false;
	}
	if (!json_object_object_get_ex(v, d->property, &tag)) {
		axr__fail(c, &child, "is required (it selects the kind of object)");
		return false;
	}
	if (json_object_get_type(tag) != json_type_string) {
		axr__fail(c, &child, "expected string, got %s", axr__type_name(tag));
		return false;
	}
	const char *value = json_object_get_string(tag);
	size_t len = (size_t)json_object_get_string_len(tag);
	for (size_t i = 0; i < d->n_mapping; i++) {
		if (strlen(d->mapping[i].value) == len && memcmp(d->mapping[i].value, value, len) == 0)
			return axr__v(c, d->mapping[i].schema, v, path);
	}
	axr__mapping_text(d, list, sizeof(list));
	axr__fail(c, &child, "must be one of: %s", list);
	return false;
}

static bool axr__v_enum(axr__vctx_t *c, const axr_schema_t *s, json_object *v,
			const axr__path_t *path)
{
	bool ok = true;
	char list[320], one[72];
	size_t o = 0;

	for (size_t i = 0; i < s->n_enum; i++)
		if (axr__value_equal(v, &s->enum_values[i]))
			return true;
	list[0] = '\0';
	for (size_t i = 0; i < s->n_enum && o + 80 < sizeof(list); i++) {
		axr__value_describe(&s->enum_values[i], one, sizeof(one));
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "", one);
		if (i + 1 < s->n_enum && o + 80 >= sizeof(list))
			snprintf(list + o, sizeof(list) - o, ", ...");
	}
	AXR__FAIL("must be one of: %s", list);
out:
	return ok;
}

static bool axr__v_composition(axr__vctx_t *c, const axr_schema_t *s, json_object *v,
			       const axr__path_t *path)
{
	bool ok = true;

	for (size_t i = 0; i < s->n_all_of; i++)
		AXR__CHECK(axr__v(c, s->all_of[i], v, path));
	if (s->discriminator != NULL && (s->n_one_of > 0 || s->n_any_of > 0)) {
		AXR__CHECK(axr__v_discriminator(c, s, v, path));
	} else {
		if (s->n_any_of > 0) {
			bool any = false;
			for (size_t i = 0; i < s->n_any_of && !any; i++) {
				any = axr__try(c, s->any_of[i], v, path);
				if (c->stop)
					goto out;
			}
			if (!any)
				AXR__FAIL("must match at least one of the %zu schemas in anyOf", s->n_any_of);
		}
		if (s->n_one_of > 0) {
			size_t hits = 0, first = 0, second = 0;
			for (size_t i = 0; i < s->n_one_of && hits < 2; i++) {
				if (axr__try(c, s->one_of[i], v, path)) {
					if (hits++ == 0)
						first = i;
					else
						second = i;
				}
				if (c->stop)
					goto out;
			}
			if (hits == 0)
				AXR__FAIL("must match exactly one of the %zu schemas in oneOf, matches none",
					  s->n_one_of);
			if (hits > 1)
				AXR__FAIL("must match exactly one of the schemas in oneOf, matches #%zu "
					  "and #%zu", first, second);
		}
	}
	if (s->not_schema != NULL) {
		bool matched = axr__try(c, s->not_schema, v, path);
		if (c->stop)
			goto out;
		if (matched)
			AXR__FAIL("must not match the schema in \"not\"");
	}
out:
	return ok;
}

static bool axr__v(axr__vctx_t *c, const axr_schema_t *s, json_object *v, const axr__path_t *path)
{
	bool ok = true;
	char types[80];

	if (s == NULL)
		return true;
	if (++c->depth > AXR__MAX_SCHEMA_DEPTH) {
		axr__fail(c, path, "is nested too deeply to validate");
		ok = false;
		goto out;
	}
	if (s->ref != NULL)
		AXR__CHECK(axr__v(c, s->ref, v, path));
	if (s->flags & AXR_SCHEMA_FALSE) {
		axr__fail(c, path, "is not allowed");
		ok = false;
		goto out;
	}
	if (v == NULL && (s->flags & AXR_SCHEMA_NULLABLE))
		goto out;
	if (s->types != 0 && !axr__type_ok(s->types, v)) {
		axr__types_text(s->types, types, sizeof(types));
		AXR__FAIL("expected %s, got %s", types, axr__type_name(v));
		goto out; /* the rest would only repeat this */
	}
	if (s->n_enum > 0)
		AXR__CHECK(axr__v_enum(c, s, v, path));
	if (s->const_value != NULL && !axr__value_equal(v, s->const_value)) {
		axr__value_describe(s->const_value, types, sizeof(types));
		AXR__FAIL("must be %s", types);
	}
	switch (json_object_get_type(v)) {
	case json_type_int:
	case json_type_double:
		AXR__CHECK(axr__v_number(c, s, v, path));
		break;
	case json_type_string:
		AXR__CHECK(axr__v_string(c, s, v, path));
		break;
	case json_type_array:
		AXR__CHECK(axr__v_array(c, s, v, path));
		break;
	case json_type_object:
		AXR__CHECK(axr__v_object(c, s, v, path));
		break;
	default:
		break;
	}
	AXR__CHECK(axr__v_composition(c, s, v, path));
out:
	c->depth--;
	return ok;
}

static int axr__validate_at(const axr_schema_t *schema, json_object *value,
			    axr_validate_mode_t mode, const char *prefix, axr_verrors_t *errs)
{
	axr__vctx_t c = {.errs = errs, .mode = mode, .prefix = prefix ? prefix : ""};
	bool ok = axr__v(&c, schema, value, NULL);
	if (c.fatal != 0)
		return c.fatal;
	return ok ? 0 : AXR_EVALIDATION;
}

int axr_validate(const axr_schema_t *schema, json_object *value, axr_validate_mode_t mode,
		 axr_verrors_t *errs)
{
	return axr__validate_at(schema, value, mode, "", errs);
}

int axr_validate_body(const char *body, size_t len, const axr_json_opts_t *opts,
		      const axr_schema_t *schema, axr_validate_mode_t mode, axr_verrors_t *errs,
		      json_object **out)
{
	axr_json_error_t jerr;
	json_object *v = NULL;
	char where[160];
	int rc;

	*out = NULL;
	rc = axr_json_parse(body, len, opts, &v, &jerr);
	if (rc != 0) {
		if (rc != AXR_ENOMEM)
			axr_verrors_add(errs, jerr.path, "invalid JSON at %s",
					axr_json_error_format(&jerr, where, sizeof(where)));
		return rc;
	}
	rc = axr_validate(schema, v, mode, errs);
	if (rc != 0) {
		json_object_put(v);
		return rc;
	}
	*out = v;
	return 0;
}

int axr__validate_prefixed(const axr_schema_t *schema, json_object *value, const char *prefix,
			   axr_verrors_t *errs)
{
	return axr__validate_at(schema, value, AXR_VALIDATE_REQUEST, prefix, errs);
}
