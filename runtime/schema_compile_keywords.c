/* schema_compile_keywords.c: one JSON Schema object's keywords into an axr_schema_t. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "schema_compile_internal.h"

/* Keyword value, or NULL when absent (a JSON null counts as absent). */
static json_object *axr__kw(json_object *node, const char *kw)
{
	json_object *v = NULL;
	json_object_object_get_ex(node, kw, &v);
	return v;
}

static int axr__c_number(axr_schema_doc_t *d, json_object *j, const char *where, const char *kw,
			 const axr_number_t **out)
{
	axr_number_t *n = axr_arena_calloc(d->arena, 1, sizeof(*n));
	if (n == NULL)
		return AXR_ENOMEM;
	if (json_object_get_type(j) == json_type_int) {
		n->i = json_object_get_int64(j);
		n->is_int = true;
		n->d = (double)n->i;
	} else if (json_object_get_type(j) == json_type_double && isfinite(json_object_get_double(j))) {
		n->d = json_object_get_double(j);
		const char *text = axr_json_double_text(j);
		if (text != NULL && (n->text = axr_arena_strdup(d->arena, text)) == NULL)
			return AXR_ENOMEM;
	} else {
		return axr__sc_error(d, "%s/%s: must be a number", where, kw);
	}
	*out = n;
	return 0;
}

/* A non-negative integer keyword (2.0 is accepted too); sets `flag`. */
static int axr__c_count(axr_schema_doc_t *d, json_object *node, const char *where, const char *kw,
			size_t *out, uint32_t *flags, uint32_t flag)
{
	json_object *j = axr__kw(node, kw);
	double v = -1;

	if (j == NULL)
		return 0;
	if (json_object_get_type(j) == json_type_int)
		v = (double)json_object_get_int64(j);
	else if (json_object_get_type(j) == json_type_double)
		v = json_object_get_double(j);
	if (!(v >= 0 && v == floor(v) && v < 9007199254740992.0))
		return axr__sc_error(d, "%s/%s: must be a non-negative integer", where, kw);
	*out = (size_t)v;
	*flags |= flag;
	return 0;
}

static int axr__c_bool(axr_schema_doc_t *d, json_object *node, const char *where, const char *kw,
		       uint32_t *flags, uint32_t flag)
{
	json_object *j = axr__kw(node, kw);
	if (j == NULL)
		return 0;
	if (json_object_get_type(j) != json_type_boolean)
		return axr__sc_error(d, "%s/%s: must be a boolean", where, kw);
	if (json_object_get_boolean(j))
		*flags |= flag;
	return 0;
}

static int axr__c_value(axr_schema_doc_t *d, json_object *j, axr_value_t *v)
{
	size_t n, i = 0;
	int rc;

	switch (json_object_get_type(j)) {
	case json_type_null:
		v->kind = AXR_VALUE_NULL;
		return 0;
	case json_type_boolean:
		v->kind = AXR_VALUE_BOOLEAN;
		v->u.boolean = json_object_get_boolean(j) != 0;
		return 0;
	case json_type_int:
		v->kind = AXR_VALUE_INTEGER;
		v->u.integer = json_object_get_int64(j);
		return 0;
	case json_type_double:
		v->kind = AXR_VALUE_REAL;
		v->u.real = json_object_get_double(j);
		return 0;
	case json_type_string:
		v->kind = AXR_VALUE_STRING;
		v->u.string.len = (size_t)json_object_get_string_len(j);
		v->u.string.ptr = axr_arena_strndup(d->arena, json_object_get_string(j), v->u.string.len);
		return v->u.string.ptr ? 0 : AXR_ENOMEM;
	case json_type_array: {
		n = json_object_array_length(j);
		axr_value_t *items = axr_arena_calloc(d->arena, n ? n : 1, sizeof(*items));
		if (items == NULL)
			return AXR_ENOMEM;
		for (i = 0; i < n; i++)
			if ((rc = axr__c_value(d, json_object_array_get_idx(j, i), &items[i])) != 0)
				return rc;
		v->kind = AXR_VALUE_ARRAY;
		v->u.array.items = items;
		v->u.array.count = n;
		return 0;
	}
	case json_type_object: {
		n = (size_t)json_object_object_length(j);
		axr_member_t *m = axr_arena_calloc(d->arena, n ? n : 1, sizeof(*m));
		if (m == NULL)
			return AXR_ENOMEM;
		json_object_object_foreach(j, key, val) {
			if ((m[i].name = axr_arena_strdup(d->arena, key)) == NULL)
				return AXR_ENOMEM;
			if ((rc = axr__c_value(d, val, &m[i].value)) != 0)
				return rc;
			i++;
		}
		v->kind = AXR_VALUE_OBJECT;
		v->u.object.members = m;
		v->u.object.count = n;
		return 0;
	}
	}
	return AXR_EINVAL;
}

static int axr__c_regex(axr_schema_doc_t *d, const char *source, const char *where,
			axr_regex_t **out)
{
	char why[128];
	axr_regex_t *re;
	int rc;

	if ((re = axr_arena_calloc(d->arena, 1, sizeof(*re))) == NULL ||
	    (re->source = axr_arena_strdup(d->arena, source)) == NULL ||
	    axr__sc_grow((void **)&d->regexes, &d->regexes_cap, d->n_regexes + 1, sizeof(*d->regexes)))
		return AXR_ENOMEM;
	d->regexes[d->n_regexes++] = re;
	rc = axr_regex_prepare(re, why, sizeof(why));
	if (rc == AXR_EINVAL)
		return axr__sc_error(d, "%s: pattern /%s/ does not compile: %s", where, re->source, why);
	*out = re;
	return rc;
}

/* A schema, or a boolean (true = no constraint, false = &axr_schema_false). */
static int axr__c_schema(axr_schema_doc_t *d, json_object *j, const char *base, const char *where,
			 const axr_schema_t **out)
{
	if (json_object_get_type(j) == json_type_boolean) {
		*out = json_object_get_boolean(j) ? NULL : &axr_schema_false;
		return 0;
	}
	return axr__sc_compile(d, j, base, where, out);
}

static int axr__c_schema_kw(axr_schema_doc_t *d, json_object *node, const char *base,
			    const char *where, const char *kw, const axr_schema_t **out)
{
	json_object *j = axr__kw(node, kw);
	if (j == NULL)
		return 0;
	const char *w = axr_arena_printf(d->arena, "%s/%s", where, kw);
	return w ? axr__c_schema(d, j, base, w, out) : AXR_ENOMEM;
}

static int axr__c_list(axr_schema_doc_t *d, json_object *j, const char *base, const char *where,
		       const axr_schema_t *const **out, size_t *n_out)
{
	const axr_schema_t **list;
	int rc;

	size_t n = json_object_get_type(j) == json_type_array ? json_object_array_length(j) : 0;
	if (n == 0)
		return axr__sc_error(d, "%s: must be a non-empty array of schemas", where);
	if ((list = axr_arena_calloc(d->arena, n, sizeof(*list))) == NULL)
		return AXR_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *w = axr_arena_printf(d->arena, "%s/%zu", where, i);
		if (w == NULL)
			return AXR_ENOMEM;
		if ((rc = axr__c_schema(d, json_object_array_get_idx(j, i), base, w, &list[i])) != 0)
			return rc;
	}
	*out = list;
	*n_out = n;
	return 0;
}

static int axr__c_list_kw(axr_schema_doc_t *d, json_object *node, const char *base,
			  const char *where, const char *kw, const axr_schema_t *const **out,
			  size_t *n_out)
{
	json_object *j = axr__kw(node, kw);
	if (j == NULL)
		return 0;
	const char *w = axr_arena_printf(d->arena, "%s/%s", where, kw);
	return w ? axr__c_list(d, j, base, w, out, n_out) : AXR_ENOMEM;
}

static int axr__c_strings(axr_schema_doc_t *d, json_object *j, const char *where,
			  const char *const **out, size_t *n_out)
{
	const char **list;

	if (json_object_get_type(j) != json_type_array)
		return axr__sc_error(d, "%s: must be an array of strings", where);
	size_t n = json_object_array_length(j);
	if ((list = axr_arena_calloc(d->arena, n ? n : 1, sizeof(*list))) == NULL)
		return AXR_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(j, i);
		if (json_object_get_type(e) != json_type_string)
			return axr__sc_error(d, "%s/%zu: must be a string", where, i);
		if ((list[i] = axr_arena_strdup(d->arena, json_object_get_string(e))) == NULL)
			return AXR_ENOMEM;
	}
	*out = list;
	*n_out = n;
	return 0;
}

static int axr__c_types(axr_schema_doc_t *d, json_object *j, const char *where, uint32_t *out)
{
	static const char *const names[] = {"null", "boolean", "integer", "number",
					    "string", "array", "object"};
	bool list = json_object_get_type(j) == json_type_array;
	size_t n = list ? json_object_array_length(j) : 1;

	for (size_t i = 0; i < n; i++) {
		json_object *e = list ? json_object_array_get_idx(j, i) : j;
		size_t k = 0;
		if (json_object_get_type(e) == json_type_string)
			while (k < 7 && strcmp(names[k], json_object_get_string(e)) != 0)
				k++;
		if (json_object_get_type(e) != json_type_string || k == 7)
			return axr__sc_error(d, "%s/type: unknown type", where);
		*out |= 1u << k;
	}
	if (*out == 0)
		return axr__sc_error(d, "%s/type: must name at least one type", where);
	return 0;
}

/* minimum/maximum and both forms of exclusiveMinimum/exclusiveMaximum. */
static int axr__c_bounds(axr_schema_doc_t *d, json_object *node, const char *where, axr_schema_t *s)
{
	static const char *const kws[] = {"minimum", "maximum"};
	static const char *const excl[] = {"exclusiveMinimum", "exclusiveMaximum"};
	const axr_number_t **bound[] = {&s->minimum, &s->maximum};
	const axr_number_t **strict[] = {&s->exclusive_minimum, &s->exclusive_maximum};
	json_object *j;
	int rc;

	for (int i = 0; i < 2; i++) {
		if ((j = axr__kw(node, kws[i])) != NULL &&
		    (rc = axr__c_number(d, j, where, kws[i], bound[i])) != 0)
			return rc;
		if ((j = axr__kw(node, excl[i])) == NULL)
			continue;
		if (json_object_get_type(j) == json_type_boolean) {
			/* draft 4: the bound itself becomes exclusive */
			if (json_object_get_boolean(j) && *bound[i] != NULL) {
				*strict[i] = *bound[i];
				*bound[i] = NULL;
			}
		} else if ((rc = axr__c_number(d, j, where, excl[i], strict[i])) != 0) {
			return rc;
		}
	}
	if ((j = axr__kw(node, "multipleOf")) != NULL) {
		if ((rc = axr__c_number(d, j, where, "multipleOf", &s->multiple_of)) != 0)
			return rc;
		if (!(s->multiple_of->is_int ? s->multiple_of->i > 0 : s->multiple_of->d > 0))
			return axr__sc_error(d, "%s/multipleOf: must be greater than 0", where);
	}
	return 0;
}

static int axr__property_cmp(const void *a, const void *b)
{
	return strcmp(((const axr_property_t *)a)->name, ((const axr_property_t *)b)->name);
}

static int axr__c_properties(axr_schema_doc_t *d, json_object *node, const char *base,
			     const char *where, axr_schema_t *s)
{
	json_object *j = axr__kw(node, "properties");
	axr_property_t *props;
	size_t n, i = 0;
	int rc;

	if (j == NULL)
		return 0;
	if (json_object_get_type(j) != json_type_object)
		return axr__sc_error(d, "%s/properties: must be an object", where);
	n = (size_t)json_object_object_length(j);
	if ((props = axr_arena_calloc(d->arena, n ? n : 1, sizeof(*props))) == NULL)
		return AXR_ENOMEM;
	json_object_object_foreach(j, key, val) {
		const char *w = axr_arena_printf(d->arena, "%s/properties/%s", where, key);
		if (w == NULL || (props[i].name = axr_arena_strdup(d->arena, key)) == NULL)
			return AXR_ENOMEM;
		if ((rc = axr__c_schema(d, val, base, w, &props[i].schema)) != 0)
			return rc;
		i++;
	}
	qsort(props, n, sizeof(*props), axr__property_cmp);
	s->properties = props;
	s->n_properties = n;
	return 0;
}

static int axr__c_pattern_properties(axr_schema_doc_t *d, json_object *node, const char *base,
				     const char *where, axr_schema_t *s)
{
	json_object *j = axr__kw(node, "patternProperties");
	axr_pattern_property_t *pp;
	size_t i = 0;
	int rc;

	if (j == NULL)
		return 0;
	if (json_object_get_type(j) != json_type_object)
		return axr__sc_error(d, "%s/patternProperties: must be an object", where);
	size_t n = (size_t)json_object_object_length(j);
	if ((pp = axr_arena_calloc(d->arena, n ? n : 1, sizeof(*pp))) == NULL)
		return AXR_ENOMEM;
	json_object_object_foreach(j, key, val) {
		const char *w = axr_arena_printf(d->arena, "%s/patternProperties/%s", where, key);
		if (w == NULL)
			return AXR_ENOMEM;
		if ((rc = axr__c_regex(d, key, w, &pp[i].regex)) != 0 || (rc = axr__c_schema(d, val, base, w, &pp[i].schema)) != 0)
			return rc;
		i++;
	}
	s->pattern_properties = pp;
	s->n_pattern_properties = n;
	return 0;
}

static int axr__c_dependencies(axr_schema_doc_t *d, json_object *node, const char *base,
			       const char *where, axr_schema_t *s)
{
	json_object *j = axr__kw(node, "dependencies");
	axr_dependency_t *deps;
	size_t i = 0;
	int rc;

	if (j == NULL)
		return 0;
	if (json_object_get_type(j) != json_type_object)
		return axr__sc_error(d, "%s/dependencies: must be an object", where);
	size_t n = (size_t)json_object_object_length(j);
	if ((deps = axr_arena_calloc(d->arena, n ? n : 1, sizeof(*deps))) == NULL)
		return AXR_ENOMEM;
	json_object_object_foreach(j, key, val) {
		const char *w = axr_arena_printf(d->arena, "%s/dependencies/%s", where, key);
		if (w == NULL || (deps[i].name = axr_arena_strdup(d->arena, key)) == NULL)
			return AXR_ENOMEM;
		if (json_object_get_type(val) == json_type_array)
			rc = axr__c_strings(d, val, w, &deps[i].required, &deps[i].n_required);
		else
			rc = axr__c_schema(d, val, base, w, &deps[i].schema);
		if (rc != 0)
			return rc;
		i++;
	}
	s->dependencies = deps;
	s->n_dependencies = n;
	return 0;
}

static int axr__c_items(axr_schema_doc_t *d, json_object *node, const char *base, const char *where,
			axr_schema_t *s)
{
	json_object *j = axr__kw(node, "items");
	int rc;

	if (j != NULL && json_object_get_type(j) == json_type_array) {
		s->flags |= AXR_SCHEMA_TUPLE_ITEMS;
		if (json_object_array_length(j) > 0) {
			const char *w = axr_arena_printf(d->arena, "%s/items", where);
			if (w == NULL)
				return AXR_ENOMEM;
			if ((rc = axr__c_list(d, j, base, w, &s->tuple_items, &s->n_tuple_items)) != 0)
				return rc;
		}
		return axr__c_schema_kw(d, node, base, where, "additionalItems", &s->additional_items);
	}
	/* additionalItems means nothing unless items is an array */
	return axr__c_schema_kw(d, node, base, where, "items", &s->items);
}

/* OpenAPI discriminator: explicit mapping first, then one implicit entry per
 * oneOf/anyOf branch that is a $ref (value = the ref's last segment). */
static int axr__c_discriminator(axr_schema_doc_t *d, json_object *node, const char *base,
				const char *where, axr_schema_t *s)
{
	json_object *j = axr__kw(node, "discriminator"), *name, *mapping, *branches, *target;
	axr_discriminator_t *disc;
	axr_discriminator_entry_t *e;
	const char *tbase, *twhere;
	size_t n = 0, cap;
	int rc;

	if (j == NULL)
		return 0;
	if (json_object_get_type(j) != json_type_object ||
	    (name = axr__kw(j, "propertyName")) == NULL ||
	    json_object_get_type(name) != json_type_string)
		return axr__sc_error(d, "%s/discriminator: needs a string propertyName", where);
	mapping = axr__kw(j, "mapping");
	if ((branches = axr__kw(node, "oneOf")) == NULL)
		branches = axr__kw(node, "anyOf");
	cap = (mapping ? (size_t)json_object_object_length(mapping) : 0) +
	      (json_object_get_type(branches) == json_type_array ? json_object_array_length(branches) : 0);
	if ((disc = axr_arena_calloc(d->arena, 1, sizeof(*disc))) == NULL ||
	    (e = axr_arena_calloc(d->arena, cap ? cap : 1, sizeof(*e))) == NULL ||
	    (disc->property = axr_arena_strdup(d->arena, json_object_get_string(name))) == NULL)
		return AXR_ENOMEM;
	if (json_object_get_type(mapping) == json_type_object) {
		json_object_object_foreach(mapping, value, ref) {
			const char *r = json_object_get_string(ref);
			if (json_object_get_type(ref) != json_type_string)
				return axr__sc_error(d, "%s/discriminator/mapping: refs must be strings", where);
			if (strchr(r, '/') == NULL && strchr(r, '#') == NULL)
				r = axr_arena_printf(d->arena, "#/components/schemas/%s", r);
			if (r == NULL || (e[n].value = axr_arena_strdup(d->arena, value)) == NULL)
				return AXR_ENOMEM;
			if ((rc = axr__sc_resolve(d, base, r, &target, &tbase, &twhere)) != 0 ||
			    (rc = axr__sc_compile(d, target, tbase, twhere, &e[n].schema)) != 0)
				return rc;
			n++;
		}
	}
	for (size_t i = 0; json_object_get_type(branches) == json_type_array &&
			   i < json_object_array_length(branches); i++) {
		json_object *b = json_object_array_get_idx(branches, i), *ref;
		if (!json_object_object_get_ex(b, "$ref", &ref) ||
		    json_object_get_type(ref) != json_type_string)
			continue;
		const char *slash = strrchr(json_object_get_string(ref), '/');
		const char *value = slash ? slash + 1 : json_object_get_string(ref);
		const axr_schema_t *branch;
		if ((rc = axr__sc_compile(d, b, base, where, &branch)) != 0)
			return rc;
		/* an explicit mapping replaces the implicit name of its schema */
		bool known = false;
		for (size_t k = 0; k < n && !known; k++)
			known = strcmp(e[k].value, value) == 0 || e[k].schema == branch ||
				(branch != NULL && e[k].schema == branch->ref);
		if (known)
			continue;
		if ((e[n].value = axr_arena_strdup(d->arena, value)) == NULL)
			return AXR_ENOMEM;
		e[n++].schema = branch;
	}
	disc->mapping = e;
	disc->n_mapping = n;
	s->discriminator = disc;
	return 0;
}

static int axr__c_values(axr_schema_doc_t *d, json_object *node, const char *where, axr_schema_t *s)
{
	json_object *j;
	axr_value_t *v;
	int rc;

	if ((j = axr__kw(node, "enum")) != NULL) {
		size_t n = json_object_get_type(j) == json_type_array ? json_object_array_length(j) : 0;
		if (n == 0)
			return axr__sc_error(d, "%s/enum: must be a non-empty array", where);
		if ((v = axr_arena_calloc(d->arena, n, sizeof(*v))) == NULL)
			return AXR_ENOMEM;
		for (size_t i = 0; i < n; i++)
			if ((rc = axr__c_value(d, json_object_array_get_idx(j, i), &v[i])) != 0)
				return rc;
		s->enum_values = v;
		s->n_enum = n;
	}
	/* a JSON null is a real const/default here */
	if (json_object_object_get_ex(node, "const", &j)) {
		if ((v = axr_arena_calloc(d->arena, 1, sizeof(*v))) == NULL ||
		    (rc = axr__c_value(d, j, v)) != 0)
			return AXR_ENOMEM;
		s->const_value = v;
	}
	if (json_object_object_get_ex(node, "default", &j)) {
		if ((v = axr_arena_calloc(d->arena, 1, sizeof(*v))) == NULL ||
		    (rc = axr__c_value(d, j, v)) != 0)
			return AXR_ENOMEM;
		s->default_value = v;
	}
	return 0;
}

int axr__sc_keywords(axr_schema_doc_t *d, json_object *node, const char *base, const char *where,
		     axr_schema_t *s)
{
	uint32_t unused = 0;
	json_object *j;
	int rc;

	if ((j = axr__kw(node, "type")) != NULL && (rc = axr__c_types(d, j, where, &s->types)) != 0)
		return rc;
	if ((j = axr__kw(node, "format")) != NULL && json_object_get_type(j) == json_type_string)
		s->format = axr_format_from_name(json_object_get_string(j));
	if ((j = axr__kw(node, "pattern")) != NULL) {
		const char *w = axr_arena_printf(d->arena, "%s/pattern", where);
		if (w == NULL)
			return AXR_ENOMEM;
		if (json_object_get_type(j) != json_type_string)
			return axr__sc_error(d, "%s: must be a string", w);
		if ((rc = axr__c_regex(d, json_object_get_string(j), w, &s->pattern)) != 0)
			return rc;
	}
	if ((j = axr__kw(node, "required")) != NULL) {
		const char *w = axr_arena_printf(d->arena, "%s/required", where);
		if (w == NULL)
			return AXR_ENOMEM;
		if ((rc = axr__c_strings(d, j, w, &s->required, &s->n_required)) != 0)
			return rc;
	}
	if ((rc = axr__c_values(d, node, where, s)) != 0 ||
	    (rc = axr__c_bounds(d, node, where, s)) != 0 ||
	    (rc = axr__c_count(d, node, where, "minLength", &s->min_length, &unused, 0)) != 0 ||
	    (rc = axr__c_count(d, node, where, "maxLength", &s->max_length, &s->flags,
			       AXR_SCHEMA_MAX_LENGTH)) != 0 ||
	    (rc = axr__c_count(d, node, where, "minItems", &s->min_items, &unused, 0)) != 0 ||
	    (rc = axr__c_count(d, node, where, "maxItems", &s->max_items, &s->flags,
			       AXR_SCHEMA_MAX_ITEMS)) != 0 ||
	    (rc = axr__c_count(d, node, where, "minProperties", &s->min_properties, &unused, 0)) != 0 ||
	    (rc = axr__c_count(d, node, where, "maxProperties", &s->max_properties, &s->flags,
			       AXR_SCHEMA_MAX_PROPERTIES)) != 0 ||
	    (rc = axr__c_bool(d, node, where, "uniqueItems", &s->flags, AXR_SCHEMA_UNIQUE_ITEMS)) != 0 ||
	    (rc = axr__c_bool(d, node, where, "nullable", &s->flags, AXR_SCHEMA_NULLABLE)) != 0 ||
	    (rc = axr__c_bool(d, node, where, "readOnly", &s->flags, AXR_SCHEMA_READ_ONLY)) != 0 ||
	    (rc = axr__c_bool(d, node, where, "writeOnly", &s->flags, AXR_SCHEMA_WRITE_ONLY)) != 0)
		return rc;
	if ((rc = axr__c_items(d, node, base, where, s)) != 0 ||
	    (rc = axr__c_properties(d, node, base, where, s)) != 0 ||
	    (rc = axr__c_pattern_properties(d, node, base, where, s)) != 0 ||
	    (rc = axr__c_schema_kw(d, node, base, where, "additionalProperties",
				   &s->additional_properties)) != 0 ||
	    (rc = axr__c_dependencies(d, node, base, where, s)) != 0 ||
	    (rc = axr__c_list_kw(d, node, base, where, "allOf", &s->all_of, &s->n_all_of)) != 0 ||
	    (rc = axr__c_list_kw(d, node, base, where, "anyOf", &s->any_of, &s->n_any_of)) != 0 ||
	    (rc = axr__c_list_kw(d, node, base, where, "oneOf", &s->one_of, &s->n_one_of)) != 0 ||
	    (rc = axr__c_schema_kw(d, node, base, where, "not", &s->not_schema)) != 0 ||
	    (rc = axr__c_discriminator(d, node, base, where, s)) != 0)
		return rc;
	return 0;
}
