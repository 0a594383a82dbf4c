/* validate_param.c: typed parameters from raw strings; stripping writeOnly members. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "utf8.h"
#include "validate.h"
#include "validate_internal.h"

#define AXR__STRIP_MAX_DEPTH 64

/* The types a parameter schema allows: the first non-zero `types` along its
 * $ref chain, else of its allOf members. */
static uint32_t axr__param_types(const axr_schema_t *s, unsigned depth)
{
	for (const axr_schema_t *r = s; r != NULL && depth < 16; r = r->ref, depth++) {
		if (r->types != 0)
			return r->types;
		for (size_t i = 0; i < r->n_all_of; i++) {
			uint32_t t = axr__param_types(r->all_of[i], depth + 1);
			if (t != 0)
				return t;
		}
	}
	return 0;
}

static bool axr__param_nullable(const axr_schema_t *s)
{
	for (; s != NULL; s = s->ref)
		if ((s->flags & AXR_SCHEMA_NULLABLE) || (s->types & AXR_TYPE_NULL))
			return true;
	return false;
}

static const axr_schema_t *axr__param_items(const axr_schema_t *s)
{
	for (; s != NULL; s = s->ref)
		if (s->items != NULL)
			return s->items;
	return NULL;
}

/* Converts one raw value. 0, AXR_EVALIDATION (error recorded) or AXR_ENOMEM. */
static int axr__param_scalar(const axr_schema_t *s, const char *raw, size_t len,
			     const char *pointer, axr_verrors_t *errs, json_object **out)
{
	uint32_t types = axr__param_types(s, 0);
	char expected[80];
	int rc;

	*out = NULL;
	if (types == 0)
		types = AXR_TYPE_STRING;
	if (types & AXR_TYPE_OBJECT && !(types & AXR_TYPE_STRING)) {
		axr_verrors_add(errs, pointer, "object parameters are unsupported");
		return AXR_EVALIDATION;
	}
	if ((len == 4 && memcmp(raw, "null", 4) == 0 && (types & AXR_TYPE_NULL)) ||
	    (len == 0 && !(types & AXR_TYPE_STRING) && axr__param_nullable(s)))
		return 0;
	if ((types & (AXR_TYPE_INTEGER | AXR_TYPE_NUMBER)) && len > 0 &&
	    (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')) && raw[len - 1] != ' ' &&
	    raw[len - 1] != '\t' && raw[len - 1] != '\n' && raw[len - 1] != '\r') {
		axr_json_opts_t opts = {.max_depth = 1, .max_size = len};
		json_object *v = NULL;
		rc = axr_json_parse(raw, len, &opts, &v, NULL);
		if (rc == 0) {
			*out = v;
			return 0;
		}
		if (rc == AXR_ENOMEM)
			return rc;
		if (rc == AXR_ERANGE) {
			axr_verrors_add(errs, pointer, "is out of range");
			return AXR_EVALIDATION;
		}
	}
	if (types & AXR_TYPE_BOOLEAN) {
		if (len == 4 && memcmp(raw, "true", 4) == 0)
			*out = json_object_new_boolean(1);
		else if (len == 5 && memcmp(raw, "false", 5) == 0)
			*out = json_object_new_boolean(0);
		if (*out != NULL)
			return 0;
	}
	if (types & AXR_TYPE_STRING) {
		if (axr_utf8_validate(raw, len) != 0) {
			axr_verrors_add(errs, pointer, "must be valid UTF-8");
			return AXR_EVALIDATION;
		}
		if (len > INT32_MAX)
			return AXR_ENOMEM;
		*out = json_object_new_string_len(raw, (int)len);
		return *out ? 0 : AXR_ENOMEM;
	}
	axr__types_text(types & ~(uint32_t)AXR_TYPE_ARRAY, expected, sizeof(expected));
	axr_verrors_add(errs, pointer, "expected %s", expected);
	return AXR_EVALIDATION;
}

static size_t axr__raw_len(const char *const *raw, const size_t *raw_len, size_t i)
{
	return raw_len ? raw_len[i] : strlen(raw[i]);
}

/* Builds the array value of an array parameter. */
static int axr__param_array(const axr_schema_t *s, axr_param_style_t style,
			    const char *const *raw, const size_t *raw_len, size_t n_raw,
			    const char *pointer, axr_verrors_t *errs, json_object **out)
{
	const axr_schema_t *items = axr__param_items(s);
	json_object *arr = NULL, *item;
	int rc = 0, status = 0;
	char sep = style == AXR_PARAM_SPACE_DELIMITED ? ' '
		   : style == AXR_PARAM_PIPE_DELIMITED ? '|' : ',';
	size_t index = 0;

	*out = NULL;
	if (style != AXR_PARAM_FORM_EXPLODE && n_raw > 1) {
		axr_verrors_add(errs, pointer, "must not be repeated");
		return AXR_EVALIDATION;
	}
	if ((arr = json_object_new_array()) == NULL)
		return AXR_ENOMEM;
	for (size_t r = 0; r < n_raw; r++) {
		const char *p = raw[r];
		size_t len = axr__raw_len(raw, raw_len, r);
		if (style != AXR_PARAM_FORM_EXPLODE && len == 0)
			break; /* "?ids=" is the empty array */
		for (;;) {
			const char *cut = style == AXR_PARAM_FORM_EXPLODE ? NULL : memchr(p, sep, len);
			size_t n = cut ? (size_t)(cut - p) : len;
			char *where = axr_arena_printf(errs->arena, "%s/%zu", pointer, index++);
			if (where == NULL) {
				rc = AXR_ENOMEM;
				goto fail;
			}
			rc = axr__param_scalar(items, p, n, where, errs, &item);
			if (rc == AXR_EVALIDATION)
				status = rc;
			else if (rc != 0)
				goto fail;
			else if (json_object_array_add(arr, item) != 0) {
				json_object_put(item);
				rc = AXR_ENOMEM;
				goto fail;
			}
			if (cut == NULL)
				break;
			p = cut + 1;
			len -= n + 1;
		}
	}
	if (status != 0) {
		rc = status;
		goto fail;
	}
	*out = arr;
	return 0;
fail:
	json_object_put(arr);
	return rc;
}

int axr_param_decode(const axr_schema_t *schema, axr_param_style_t style,
		     const char *const *raw, const size_t *raw_len, size_t n_raw,
		     const char *pointer, axr_verrors_t *errs, json_object **out)
{
	json_object *v = NULL;
	int rc;

	*out = NULL;
	if (n_raw == 0 || raw == NULL)
		return AXR_EINVAL;
	if (pointer == NULL)
		pointer = "";
	if (axr__param_types(schema, 0) & AXR_TYPE_ARRAY) {
		rc = axr__param_array(schema, style, raw, raw_len, n_raw, pointer, errs, &v);
	} else if (n_raw > 1) {
		axr_verrors_add(errs, pointer, "must not be repeated");
		rc = AXR_EVALIDATION;
	} else {
		rc = axr__param_scalar(schema, raw[0], axr__raw_len(raw, raw_len, 0), pointer, errs, &v);
	}
	if (rc == 0)
		rc = axr__validate_prefixed(schema, v, pointer, errs);
	if (rc != 0) {
		json_object_put(v);
		return rc;
	}
	*out = v;
	return 0;
}

/* ---- writeOnly stripping */

/* writeOnly on the schema, along its $ref chain or in an allOf member. */
static bool axr__strip_marked(const axr_schema_t *s, unsigned depth)
{
	for (; s != NULL && depth < AXR__STRIP_MAX_DEPTH; s = s->ref, depth++) {
		if (s->flags & AXR_SCHEMA_WRITE_ONLY)
			return true;
		for (size_t i = 0; i < s->n_all_of; i++)
			if (axr__strip_marked(s->all_of[i], depth + 1))
				return true;
	}
	return false;
}

static bool axr__strip_pattern(const axr_pattern_property_t *pp, const char *key)
{
	bool hit = false;
	return axr_regex_match(pp->regex, key, strlen(key), &hit) == 0 && hit;
}

/* Whether the member `key` of an object described by `s` must go. */
static bool axr__strip_member(const axr_schema_t *s, const char *key)
{
	const axr_property_t *p = axr__find_property(s, key);
	bool matched = p != NULL;

	if (p != NULL && axr__strip_marked(p->schema, 0))
		return true;
	for (size_t i = 0; i < s->n_pattern_properties; i++) {
		if (!axr__strip_pattern(&s->pattern_properties[i], key))
			continue;
		matched = true;
		if (axr__strip_marked(s->pattern_properties[i].schema, 0))
			return true;
	}
	return !matched && axr__strip_marked(s->additional_properties, 0);
}

static size_t axr__strip(const axr_schema_t *s, json_object *v, unsigned depth);

static size_t axr__strip_object(const axr_schema_t *s, json_object *v, unsigned depth)
{
	size_t removed = 0;

	for (;;) {
		const char *doomed[32];
		size_t n = 0;
		json_object_object_foreach(v, key, val) {
			(void)val;
			if (axr__strip_member(s, key)) {
				doomed[n++] = key;
				if (n == 32)
					break;
			}
		}
		for (size_t i = 0; i < n; i++)
			json_object_object_del(v, doomed[i]);
		removed += n;
		if (n < 32)
			break;
	}
	json_object_object_foreach(v, key, val) {
		const axr_property_t *p = axr__find_property(s, key);
		bool matched = p != NULL;
		if (p != NULL)
			removed += axr__strip(p->schema, val, depth + 1);
		for (size_t i = 0; i < s->n_pattern_properties; i++) {
			if (axr__strip_pattern(&s->pattern_properties[i], key)) {
				matched = true;
				removed += axr__strip(s->pattern_properties[i].schema, val, depth + 1);
			}
		}
		if (!matched)
			removed += axr__strip(s->additional_properties, val, depth + 1);
	}
	return removed;
}

static size_t axr__strip(const axr_schema_t *s, json_object *v, unsigned depth)
{
	size_t removed = 0;

	if (s == NULL || v == NULL || depth > AXR__STRIP_MAX_DEPTH)
		return 0;
	removed += axr__strip(s->ref, v, depth + 1);
	for (size_t i = 0; i < s->n_all_of; i++)
		removed += axr__strip(s->all_of[i], v, depth + 1);
	for (size_t i = 0; i < s->n_any_of; i++)
		removed += axr__strip(s->any_of[i], v, depth + 1);
	for (size_t i = 0; i < s->n_one_of; i++)
		removed += axr__strip(s->one_of[i], v, depth + 1);
	if (s->discriminator != NULL)
		for (size_t i = 0; i < s->discriminator->n_mapping; i++)
			removed += axr__strip(s->discriminator->mapping[i].schema, v, depth + 1);
	switch (json_object_get_type(v)) {
	case json_type_object:
		removed += axr__strip_object(s, v, depth);
		break;
	case json_type_array:
		for (size_t i = 0, n = json_object_array_length(v); i < n; i++) {
			const axr_schema_t *item = s->items;
			if (s->flags & AXR_SCHEMA_TUPLE_ITEMS)
				item = i < s->n_tuple_items ? s->tuple_items[i] : s->additional_items;
			removed += axr__strip(item, json_object_array_get_idx(v, i), depth + 1);
		}
		break;
	default:
		break;
	}
	return removed;
}

size_t axr_strip_write_only(const axr_schema_t *schema, json_object *value)
{
	return axr__strip(schema, value, 0);
}
