/* schema.c: OpenAPI schema objects to axrgen schema nodes (keywords, $ref). */
#include "load.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Hops through chains of plain $refs before giving up. */
#define AXRGEN_MAX_REF_CHAIN 64

static const char *const axrgen_type_names[] = {
	"null", "boolean", "integer", "number", "string", "array", "object",
};

const char *axrgen_type_name(unsigned type_bit)
{
	for (unsigned i = 0; i < sizeof(axrgen_type_names) / sizeof(axrgen_type_names[0]); i++)
		if (type_bit == 1u << i)
			return axrgen_type_names[i];
	return NULL;
}

static const char *const axrgen_formats[] = {
	"binary", "byte", "date", "date-time", "double", "duration", "email", "float",
	"hostname", "idn-email", "idn-hostname", "int32", "int64", "ipv4", "ipv6", "iri",
	"iri-reference", "json-pointer", "password", "regex", "relative-json-pointer", "time",
	"uri", "uri-reference", "uri-template", "uuid", NULL,
};

/* Keywords we read, annotations we accept silently, and JSON Schema
 * keywords we know but do not support (warned and ignored). */
typedef enum axrgen_kw {
	KW_REF, KW_TYPE, KW_NULLABLE, KW_FORMAT, KW_TITLE, KW_DESCRIPTION, KW_READ_ONLY,
	KW_WRITE_ONLY, KW_DEPRECATED, KW_DEFAULT, KW_CONST, KW_ENUM, KW_MINIMUM, KW_MAXIMUM,
	KW_EXCL_MINIMUM, KW_EXCL_MAXIMUM, KW_MULTIPLE_OF, KW_MIN_LENGTH, KW_MAX_LENGTH,
	KW_PATTERN, KW_ITEMS, KW_MIN_ITEMS, KW_MAX_ITEMS, KW_UNIQUE_ITEMS, KW_PROPERTIES,
	KW_REQUIRED, KW_ADDITIONAL, KW_MIN_PROPERTIES, KW_MAX_PROPERTIES, KW_ALL_OF, KW_ONE_OF,
	KW_ANY_OF, KW_DISCRIMINATOR, KW_ANNOTATION, KW_UNSUPPORTED,
} axrgen_kw_t;

static const struct {
	const char *name;
	axrgen_kw_t kw;
} axrgen_keywords[] = {
	{ "$ref", KW_REF },
	{ "type", KW_TYPE },
	{ "nullable", KW_NULLABLE },
	{ "format", KW_FORMAT },
	{ "title", KW_TITLE },
	{ "description", KW_DESCRIPTION },
	{ "readOnly", KW_READ_ONLY },
	{ "writeOnly", KW_WRITE_ONLY },
	{ "deprecated", KW_DEPRECATED },
	{ "default", KW_DEFAULT },
	{ "const", KW_CONST },
	{ "enum", KW_ENUM },
	{ "minimum", KW_MINIMUM },
	{ "maximum", KW_MAXIMUM },
	{ "exclusiveMinimum", KW_EXCL_MINIMUM },
	{ "exclusiveMaximum", KW_EXCL_MAXIMUM },
	{ "multipleOf", KW_MULTIPLE_OF },
	{ "minLength", KW_MIN_LENGTH },
	{ "maxLength", KW_MAX_LENGTH },
	{ "pattern", KW_PATTERN },
	{ "items", KW_ITEMS },
	{ "minItems", KW_MIN_ITEMS },
	{ "maxItems", KW_MAX_ITEMS },
	{ "uniqueItems", KW_UNIQUE_ITEMS },
	{ "properties", KW_PROPERTIES },
	{ "required", KW_REQUIRED },
	{ "additionalProperties", KW_ADDITIONAL },
	{ "minProperties", KW_MIN_PROPERTIES },
	{ "maxProperties", KW_MAX_PROPERTIES },
	{ "allOf", KW_ALL_OF },
	{ "oneOf", KW_ONE_OF },
	{ "anyOf", KW_ANY_OF },
	{ "discriminator", KW_DISCRIMINATOR },
	{ "example", KW_ANNOTATION },
	{ "examples", KW_ANNOTATION },
	{ "externalDocs", KW_ANNOTATION },
	{ "xml", KW_ANNOTATION },
	{ "$comment", KW_ANNOTATION },
	{ "$schema", KW_ANNOTATION },
	{ "$defs", KW_ANNOTATION },
	{ "contentMediaType", KW_ANNOTATION },
	{ "contentEncoding", KW_ANNOTATION },
	{ "not", KW_UNSUPPORTED },
	{ "if", KW_UNSUPPORTED },
	{ "then", KW_UNSUPPORTED },
	{ "else", KW_UNSUPPORTED },
	{ "patternProperties", KW_UNSUPPORTED },
	{ "propertyNames", KW_UNSUPPORTED },
	{ "dependentRequired", KW_UNSUPPORTED },
	{ "dependentSchemas", KW_UNSUPPORTED },
	{ "dependencies", KW_UNSUPPORTED },
	{ "prefixItems", KW_UNSUPPORTED },
	{ "contains", KW_UNSUPPORTED },
	{ "minContains", KW_UNSUPPORTED },
	{ "maxContains", KW_UNSUPPORTED },
	{ "unevaluatedItems", KW_UNSUPPORTED },
	{ "unevaluatedProperties", KW_UNSUPPORTED },
	{ "additionalItems", KW_UNSUPPORTED },
	{ "$id", KW_UNSUPPORTED },
	{ "$anchor", KW_UNSUPPORTED },
	{ "$dynamicRef", KW_UNSUPPORTED },
	{ "$dynamicAnchor", KW_UNSUPPORTED },
	{ "$recursiveRef", KW_UNSUPPORTED },
	{ "$recursiveAnchor", KW_UNSUPPORTED },
	{ "$vocabulary", KW_UNSUPPORTED },
};
#define AXRGEN_N_KEYWORDS (sizeof(axrgen_keywords) / sizeof(axrgen_keywords[0]))

static int axrgen_keyword(const char *key)
{
	for (size_t i = 0; i < AXRGEN_N_KEYWORDS; i++)
		if (strcmp(axrgen_keywords[i].name, key) == 0)
			return (int)axrgen_keywords[i].kw;
	return -1;
}

static const char *axrgen_keyword_hint(axrgen_ctx_t *c, const char *key)
{
	const char *names[AXRGEN_N_KEYWORDS];
	size_t n = 0;
	for (size_t i = 0; i < AXRGEN_N_KEYWORDS; i++)
		if (axrgen_keywords[i].kw != KW_UNSUPPORTED)
			names[n++] = axrgen_keywords[i].name;
	return axrgen_did_you_mean(c, key, names, n);
}

static axrgen_snode_t *axrgen_snode_new(axrgen_ctx_t *c, axrgen_doc_t *doc,
					const axrgen_value_t *raw, axrgen_pos_t pos,
					const char *pointer, unsigned sctx)
{
	axrgen_snode_t *n = axrgen_alloc(c, sizeof(*n));
	n->s.id = (uint32_t)c->schemas.n;
	n->s.pos = pos;
	n->s.pointer = pointer;
	n->doc = doc;
	n->raw = raw;
	n->sctx = sctx;
	axrgen_vec_push(c, &c->schemas, n);
	return n;
}

axrgen_schema_t *axrgen_schema_any(axrgen_ctx_t *c, axrgen_doc_t *doc, axrgen_pos_t pos,
				   const char *pointer)
{
	return &axrgen_snode_new(c, doc, NULL, pos, pointer, 0)->s;
}

static bool axrgen_is_v30(const axrgen_doc_t *doc)
{
	return doc->version == 30;
}

/* A $ref object that stands for its target alone: in 3.0 every one
 * (siblings are ignored, and warned unless they only describe); in 3.1 one
 * without siblings. */
static bool axrgen_plain_ref(axrgen_ctx_t *c, axrgen_doc_t *doc, const axrgen_value_t *raw)
{
	if (raw->kind != AXRGEN_VALUE_OBJECT || axrgen_value_get(raw, "$ref") == NULL)
		return false;
	if (raw->count == 1)
		return true;
	if (!axrgen_is_v30(doc))
		return false;
	for (size_t i = 0; i < raw->count; i++) {
		const char *k = raw->members[i].key;
		if (strcmp(k, "$ref") == 0 || strcmp(k, "description") == 0 ||
		    strcmp(k, "summary") == 0)
			continue;
		axrgen_warning(c, raw->members[i].key_pos, "ignored-keyword",
			       "'%s' next to $ref is ignored in OpenAPI 3.0", k);
	}
	return true;
}

static axrgen_schema_t *axrgen_schema_ref(axrgen_ctx_t *c, axrgen_doc_t *doc,
					  const axrgen_value_t *ref, unsigned sctx);

axrgen_schema_t *axrgen_schema_named(axrgen_ctx_t *c, axrgen_doc_t *doc, const char *name)
{
	axrgen_schema_t *s = axrgen_map_get_str(&doc->component_schemas, name);
	if (s != NULL)
		return s;
	const axrgen_value_t *schemas =
		axrgen_value_get(axrgen_value_get(doc->root, "components"), "schemas");
	const axrgen_value_t *raw = axrgen_value_get(schemas, name);
	if (raw == NULL)
		return NULL;
	const char *pointer = axrgen_pointer_add(c, "#/components/schemas", name);
	axrgen_snode_t *n = axrgen_snode_new(c, doc, raw, raw->pos, pointer, 0);
	n->s.name = axrgen_strdup(c, name);
	axrgen_map_put_str(c, &doc->component_schemas, name, &n->s);

	axrgen_schema_t *shared = axrgen_map_get_ptr(&c->schema_by_raw, raw);
	if (axrgen_plain_ref(c, doc, raw)) {
		/* a named alias, A is B: resolved when filled, so that chains of
		 * aliases do not recurse */
		n->alias = true;
		axrgen_vec_push(c, &c->pending, n);
	} else if (shared != NULL) {
		/* the same YAML node under two names (a YAML alias): A is B */
		n->raw = NULL;
		n->s.ref = shared;
	} else {
		axrgen_map_put_ptr(c, &c->schema_by_raw, raw, &n->s);
		axrgen_vec_push(c, &c->pending, n);
	}
	return &n->s;
}

/* A schema the spec refers to but does not define, declared extern by the
 * user: a named "any value" node, one per file and name. */
static axrgen_schema_t *axrgen_schema_extern(axrgen_ctx_t *c, const axrgen_target_t *t,
					     const axrgen_value_t *ref)
{
	const char *name = axrgen_pointer_component(c, t->pointer, "schemas");
	axrgen_warning(c, ref->pos, "extern-schema",
		       "schema '%s' is not defined; declared extern, read as any value", name);
	axrgen_schema_t *s = axrgen_map_get_str(&t->doc->component_schemas, name);
	if (s != NULL)
		return s;
	s = axrgen_schema_any(c, t->doc, ref->pos, t->pointer);
	s->name = name;
	s->is_extern = true;
	axrgen_map_put_str(c, &t->doc->component_schemas, name, s);
	return s;
}

/* Follows a $ref value to its schema node. */
static axrgen_schema_t *axrgen_schema_ref(axrgen_ctx_t *c, axrgen_doc_t *doc,
					  const axrgen_value_t *ref, unsigned sctx)
{
	if (ref->kind != AXRGEN_VALUE_STRING) {
		axrgen_error(c, ref->pos, "invalid-value", "'$ref' must be a string, not %s",
			     axrgen_value_kind_name(ref->kind));
		return axrgen_schema_any(c, doc, ref->pos, "#");
	}
	axrgen_target_t t;
	int r = axrgen_resolve(c, doc, ref, &t);
	if (r == AXRGEN_RESOLVE_EXTERN)
		return axrgen_schema_extern(c, &t, ref);
	if (r != 0)
		return axrgen_schema_any(c, doc, ref->pos, "#");
	const char *name = axrgen_pointer_component(c, t.pointer, "schemas");
	if (name != NULL)
		return axrgen_schema_named(c, t.doc, name);
	(void)sctx; /* a referenced schema is not inline in a response */
	return axrgen_schema_at(c, t.doc, t.value, t.pointer, 0);
}

axrgen_schema_t *axrgen_schema_at(axrgen_ctx_t *c, axrgen_doc_t *doc,
				  const axrgen_value_t *raw, const char *pointer,
				  unsigned sctx)
{
	const axrgen_value_t *seen[AXRGEN_MAX_REF_CHAIN];
	size_t n_seen = 0;
	const axrgen_value_t *first_ref = NULL;

	while (axrgen_plain_ref(c, doc, raw)) {
		const axrgen_value_t *ref = axrgen_value_get(raw, "$ref");
		if (first_ref == NULL)
			first_ref = ref;
		if (ref->kind != AXRGEN_VALUE_STRING)
			return axrgen_schema_ref(c, doc, ref, sctx);
		axrgen_target_t t;
		int r = axrgen_resolve(c, doc, ref, &t);
		if (r == AXRGEN_RESOLVE_EXTERN)
			return axrgen_schema_extern(c, &t, ref);
		if (r != 0)
			return axrgen_schema_any(c, doc, ref->pos, pointer);
		const char *name = axrgen_pointer_component(c, t.pointer, "schemas");
		if (name != NULL)
			return axrgen_schema_named(c, t.doc, name);
		for (size_t i = 0; i < n_seen; i++) {
			if (seen[i] == t.value) {
				axrgen_error(c, first_ref->pos, "ref-cycle",
					     "unrepresentable $ref cycle: '%s' leads back to itself",
					     first_ref->text);
				return axrgen_schema_any(c, doc, ref->pos, pointer);
			}
		}
		if (n_seen == AXRGEN_MAX_REF_CHAIN) {
			axrgen_error(c, first_ref->pos, "ref-cycle",
				     "$ref chain longer than %d links", AXRGEN_MAX_REF_CHAIN);
			return axrgen_schema_any(c, doc, ref->pos, pointer);
		}
		seen[n_seen++] = raw;
		doc = t.doc;
		raw = t.value;
		pointer = t.pointer;
		sctx = 0;
	}
	axrgen_schema_t *s = axrgen_map_get_ptr(&c->schema_by_raw, raw);
	if (s != NULL)
		return s;
	axrgen_snode_t *n = axrgen_snode_new(c, doc, raw, raw->pos, pointer, sctx);
	axrgen_map_put_ptr(c, &c->schema_by_raw, raw, &n->s);
	axrgen_vec_push(c, &c->pending, n);
	return &n->s;
}

/* ---- keyword readers ------------------------------------------------- */

static bool axrgen_read_bool(axrgen_ctx_t *c, const char *key, const axrgen_value_t *v)
{
	return axrgen_expect_kind(c, key, v, AXRGEN_VALUE_BOOL) != NULL && v->text[0] == 't';
}

static const char *axrgen_read_string(axrgen_ctx_t *c, const char *key, const axrgen_value_t *v)
{
	return axrgen_expect_kind(c, key, v, AXRGEN_VALUE_STRING) ? v->text : NULL;
}

static void axrgen_read_limit(axrgen_ctx_t *c, const char *key, const axrgen_value_t *v,
			      axrgen_limit_t *out)
{
	double d;
	if (!axrgen_value_number(v, &d) || d < 0 || d != floor(d) || d > 9007199254740992.0) {
		axrgen_error(c, v->pos, "invalid-constraint",
			     "'%s' must be a non-negative integer, not %s", key,
			     axrgen_value_describe(c, v));
		return;
	}
	out->present = true;
	out->value = (uint64_t)d;
}

static bool axrgen_read_number(axrgen_ctx_t *c, const char *key, const axrgen_value_t *v,
			       axrgen_bound_t *out)
{
	double d;
	if (!axrgen_value_number(v, &d)) {
		axrgen_error(c, v->pos, "invalid-constraint", "'%s' must be a number, not %s", key,
			     axrgen_value_describe(c, v));
		return false;
	}
	out->present = true;
	out->value = d;
	out->text = v->text;
	return true;
}

/* 3.0: exclusiveMinimum is a boolean modifying minimum; 3.1: a number. */
static void axrgen_read_exclusive(axrgen_ctx_t *c, axrgen_snode_t *n, const char *key,
				  const axrgen_value_t *v, axrgen_bound_t *excl, bool *flag)
{
	if (v->kind == AXRGEN_VALUE_BOOL) {
		if (n->doc->version == 31)
			axrgen_error(c, v->pos, "invalid-constraint",
				     "in OpenAPI 3.1 '%s' is a number (the bound itself), not a boolean",
				     key);
		else
			*flag = v->text[0] == 't';
		return;
	}
	if (n->doc->version == 30 && (v->kind == AXRGEN_VALUE_INT || v->kind == AXRGEN_VALUE_NUMBER)) {
		axrgen_error(c, v->pos, "invalid-constraint",
			     "in OpenAPI 3.0 '%s' is a boolean (3.1 takes a number)", key);
		return;
	}
	axrgen_read_number(c, key, v, excl);
}

static unsigned axrgen_type_bit(const char *name)
{
	for (unsigned i = 0; i < sizeof(axrgen_type_names) / sizeof(axrgen_type_names[0]); i++)
		if (strcmp(axrgen_type_names[i], name) == 0)
			return 1u << i;
	return 0;
}

static void axrgen_read_type_name(axrgen_ctx_t *c, axrgen_snode_t *n, const axrgen_value_t *v)
{
	if (v->kind != AXRGEN_VALUE_STRING) {
		axrgen_error(c, v->pos, "invalid-type", "a type name must be a string, not %s",
			     axrgen_value_kind_name(v->kind));
		return;
	}
	unsigned bit = axrgen_type_bit(v->text);
	if (bit == 0) {
		const char *hint = axrgen_did_you_mean(c, v->text, axrgen_type_names,
						       sizeof(axrgen_type_names) / sizeof(axrgen_type_names[0]));
		if (n->sctx & AXRGEN_SCTX_RESPONSE)
			axrgen_warning(c, v->pos, "unknown-type",
				       "unknown type '%s'%s in a response schema; treated as any value",
				       v->text, hint);
		else
			axrgen_error(c, v->pos, "invalid-type", "unknown type '%s'%s", v->text, hint);
		return;
	}
	n->s.types |= bit;
}

static void axrgen_read_type(axrgen_ctx_t *c, axrgen_snode_t *n, const axrgen_value_t *v)
{
	if (v->kind == AXRGEN_VALUE_ARRAY) {
		if (axrgen_is_v30(n->doc)) {
			axrgen_error(c, v->pos, "invalid-type",
				     "type arrays need OpenAPI 3.1 (in 3.0 use one type and nullable)");
			return;
		}
		if (v->count == 0)
			axrgen_error(c, v->pos, "invalid-type", "'type' must not be an empty array");
		for (size_t i = 0; i < v->count; i++)
			axrgen_read_type_name(c, n, v->items[i]);
		return;
	}
	if (axrgen_value_is_string(v) && strcmp(v->text, "null") == 0 && axrgen_is_v30(n->doc)) {
		axrgen_error(c, v->pos, "invalid-type",
			     "type 'null' needs OpenAPI 3.1 (in 3.0 use nullable: true)");
		return;
	}
	axrgen_read_type_name(c, n, v);
}

static axrgen_schema_t **axrgen_read_schema_list(axrgen_ctx_t *c, axrgen_snode_t *n,
						 const char *key, const axrgen_value_t *v,
						 size_t *count)
{
	if (!axrgen_expect_kind(c, key, v, AXRGEN_VALUE_ARRAY))
		return NULL;
	if (v->count == 0) {
		axrgen_error(c, v->pos, "invalid-value", "'%s' must not be empty", key);
		return NULL;
	}
	axrgen_schema_t **list = axrgen_alloc_array(c, v->count, sizeof(*list));
	const char *base = axrgen_pointer_add(c, n->s.pointer, key);
	for (size_t i = 0; i < v->count; i++)
		list[i] = axrgen_schema_at(c, n->doc, v->items[i],
					   axrgen_printf(c, "%s/%zu", base, i), n->sctx);
	*count = v->count;
	return list;
}

static void axrgen_read_enum(axrgen_ctx_t *c, axrgen_snode_t *n, const axrgen_value_t *v)
{
	if (!axrgen_expect_kind(c, "enum", v, AXRGEN_VALUE_ARRAY))
		return;
	if (v->count == 0) {
		axrgen_error(c, v->pos, "invalid-value", "'enum' must list at least one value");
		return;
	}
	axrgen_enum_value_t *vals = axrgen_alloc_array(c, v->count, sizeof(*vals));
	size_t k = 0;
	for (size_t i = 0; i < v->count; i++) {
		const char *json = axrgen_json(c, v->items[i], "an enum value");
		if (json == NULL)
			continue;
		bool dup = false;
		for (size_t j = 0; j < k && !dup; j++)
			dup = strcmp(vals[j].json, json) == 0;
		if (dup) {
			axrgen_warning(c, v->items[i]->pos, "duplicate-enum",
				       "enum value %s is listed twice", json);
			continue;
		}
		vals[k].value = v->items[i];
		vals[k].json = json;
		vals[k].string = v->items[i]->kind == AXRGEN_VALUE_STRING ? v->items[i]->text : json;
		k++;
	}
	n->s.enum_values = vals;
	n->s.n_enum = k;
}

static void axrgen_read_required(axrgen_ctx_t *c, axrgen_snode_t *n, const axrgen_value_t *v)
{
	if (v->kind == AXRGEN_VALUE_BOOL) {
		axrgen_error(c, v->pos, "invalid-value",
			     "'required' must be an array of property names; list this property in "
			     "its parent's 'required' instead");
		return;
	}
	if (!axrgen_expect_kind(c, "required", v, AXRGEN_VALUE_ARRAY))
		return;
	const char **names = axrgen_alloc_array(c, v->count ? v->count : 1, sizeof(*names));
	size_t k = 0;
	for (size_t i = 0; i < v->count; i++) {
		const axrgen_value_t *it = v->items[i];
		if (it->kind != AXRGEN_VALUE_STRING) {
			axrgen_error(c, it->pos, "invalid-value",
				     "'required' entries must be strings, not %s",
				     axrgen_value_kind_name(it->kind));
			continue;
		}
		bool dup = false;
		for (size_t j = 0; j < k && !dup; j++)
			dup = strcmp(names[j], it->text) == 0;
		if (dup) {
			axrgen_warning(c, it->pos, "duplicate-required",
				       "'%s' is listed twice in 'required'", it->text);
			continue;
		}
		names[k++] = it->text;
	}
	n->s.required = names;
	n->s.n_required = k;
}

static void axrgen_read_properties(axrgen_ctx_t *c, axrgen_snode_t *n, const axrgen_value_t *v)
{
	if (!axrgen_expect_kind(c, "properties", v, AXRGEN_VALUE_OBJECT))
		return;
	axrgen_property_t *props = axrgen_alloc_array(c, v->count ? v->count : 1, sizeof(*props));
	const char *base = axrgen_pointer_add(c, n->s.pointer, "properties");
	for (size_t i = 0; i < v->count; i++) {
		const axrgen_member_t *m = &v->members[i];
		props[i].name = m->key;
		props[i].pos = m->key_pos;
		props[i].index = (uint32_t)i;
		props[i].schema =
			axrgen_schema_at(c, n->doc, m->value, axrgen_pointer_add(c, base, m->key), n->sctx);
	}
	n->s.properties = props;
	n->s.n_properties = v->count;
}

static void axrgen_read_additional(axrgen_ctx_t *c, axrgen_snode_t *n, const axrgen_value_t *v)
{
	if (v->kind == AXRGEN_VALUE_BOOL) {
		n->s.additional = v->text[0] == 't' ? AXRGEN_ADDITIONAL_TRUE : AXRGEN_ADDITIONAL_FALSE;
		return;
	}
	if (!axrgen_expect_kind(c, "additionalProperties", v, AXRGEN_VALUE_OBJECT))
		return;
	n->s.additional = AXRGEN_ADDITIONAL_SCHEMA;
	n->s.additional_schema =
		axrgen_schema_at(c, n->doc, v, axrgen_pointer_add(c, n->s.pointer, "additionalProperties"),
				 n->sctx);
}

/* Mapping values are schema names or $refs. */
static axrgen_schema_t *axrgen_mapping_target(axrgen_ctx_t *c, axrgen_snode_t *n,
					      const axrgen_value_t *v)
{
	if (v->kind != AXRGEN_VALUE_STRING) {
		axrgen_error(c, v->pos, "invalid-value",
			     "discriminator mapping values must be strings, not %s",
			     axrgen_value_kind_name(v->kind));
		return NULL;
	}
	if (strchr(v->text, '#') != NULL || strchr(v->text, '/') != NULL) {
		axrgen_target_t t;
		int r = axrgen_resolve(c, n->doc, v, &t);
		if (r == AXRGEN_RESOLVE_EXTERN)
			return axrgen_schema_extern(c, &t, v);
		if (r != 0)
			return NULL;
		const char *name = axrgen_pointer_component(c, t.pointer, "schemas");
		return name ? axrgen_schema_named(c, t.doc, name)
			    : axrgen_schema_at(c, t.doc, t.value, t.pointer, 0);
	}
	axrgen_schema_t *s = axrgen_schema_named(c, n->doc, v->text);
	if (s == NULL) {
		size_t count;
		const char **names = axrgen_component_names(c, n->doc, "schemas", &count);
		axrgen_error(c, v->pos, "unknown-ref", "unknown schema '%s' in discriminator mapping%s",
			     v->text, axrgen_did_you_mean(c, v->text, names, count));
	}
	return s;
}

static void axrgen_read_discriminator(axrgen_ctx_t *c, axrgen_snode_t *n, const axrgen_value_t *v)
{
	static const char *const known[] = { "propertyName", "mapping", NULL };
	if (!axrgen_expect_kind(c, "discriminator", v, AXRGEN_VALUE_OBJECT))
		return;
	axrgen_check_keys(c, v, known, "discriminator");
	const char *prop = axrgen_get_string(c, v, "propertyName");
	if (prop == NULL) {
		if (axrgen_value_get(v, "propertyName") == NULL)
			axrgen_error(c, v->pos, "invalid-value", "discriminator needs 'propertyName'");
		return;
	}
	axrgen_discriminator_t *d = axrgen_alloc(c, sizeof(*d));
	d->property = prop;
	d->pos = v->pos;
	const axrgen_value_t *map = axrgen_get_kind(c, v, "mapping", AXRGEN_VALUE_OBJECT);
	if (map != NULL) {
		d->mapping = axrgen_alloc_array(c, map->count ? map->count : 1, sizeof(*d->mapping));
		for (size_t i = 0; i < map->count; i++) {
			axrgen_schema_t *s = axrgen_mapping_target(c, n, map->members[i].value);
			if (s == NULL)
				continue;
			axrgen_mapping_t *m = &d->mapping[d->n_mapping++];
			m->value = map->members[i].key;
			m->schema = s;
			m->pos = map->members[i].key_pos;
		}
	}
	n->s.discriminator = d;
}

static void axrgen_read_format(axrgen_ctx_t *c, axrgen_snode_t *n, const axrgen_value_t *v)
{
	n->s.format = axrgen_read_string(c, "format", v);
	if (n->s.format == NULL)
		return;
	size_t count = sizeof(axrgen_formats) / sizeof(axrgen_formats[0]) - 1;
	for (size_t i = 0; i < count; i++)
		if (strcmp(axrgen_formats[i], n->s.format) == 0)
			return;
	axrgen_warning(c, v->pos, "unknown-format", "unknown format '%s'%s", n->s.format,
		       axrgen_did_you_mean(c, n->s.format, axrgen_formats, count));
}

static void axrgen_read_keyword(axrgen_ctx_t *c, axrgen_snode_t *n, const axrgen_member_t *m,
				axrgen_bound_t *excl_min, axrgen_bound_t *excl_max,
				bool *excl_min_flag, bool *excl_max_flag)
{
	axrgen_schema_t *s = &n->s;
	const axrgen_value_t *v = m->value;
	const char *key = m->key;
	int kw = axrgen_keyword(key);
	switch (kw) {
	case KW_REF:
		s->ref_text = axrgen_value_is_string(v) ? v->text : NULL;
		s->ref_pos = v->pos;
		s->ref = axrgen_schema_ref(c, n->doc, v, n->sctx);
		break;
	case KW_TYPE:
		axrgen_read_type(c, n, v);
		break;
	case KW_NULLABLE:
		s->nullable = axrgen_read_bool(c, key, v);
		if (n->doc->version == 31)
			axrgen_warning(c, m->key_pos, "unsupported-keyword",
				       "'nullable' is not part of OpenAPI 3.1 (write type: [..., \"null\"]); "
				       "honoured anyway");
		break;
	case KW_FORMAT:
		axrgen_read_format(c, n, v);
		break;
	case KW_TITLE:
		s->title = axrgen_read_string(c, key, v);
		break;
	case KW_DESCRIPTION:
		s->description = axrgen_read_string(c, key, v);
		break;
	case KW_READ_ONLY:
		s->read_only = axrgen_read_bool(c, key, v);
		break;
	case KW_WRITE_ONLY:
		s->write_only = axrgen_read_bool(c, key, v);
		break;
	case KW_DEPRECATED:
		s->deprecated = axrgen_read_bool(c, key, v);
		break;
	case KW_UNIQUE_ITEMS:
		s->unique_items = axrgen_read_bool(c, key, v);
		break;
	case KW_DEFAULT:
		s->default_json = axrgen_json(c, v, "'default'");
		s->default_value = s->default_json ? v : NULL;
		break;
	case KW_CONST:
		s->const_json = axrgen_json(c, v, "'const'");
		s->const_value = s->const_json ? v : NULL;
		break;
	case KW_ENUM:
		axrgen_read_enum(c, n, v);
		break;
	case KW_MINIMUM:
		axrgen_read_number(c, key, v, &s->minimum);
		break;
	case KW_MAXIMUM:
		axrgen_read_number(c, key, v, &s->maximum);
		break;
	case KW_EXCL_MINIMUM:
		axrgen_read_exclusive(c, n, key, v, excl_min, excl_min_flag);
		break;
	case KW_EXCL_MAXIMUM:
		axrgen_read_exclusive(c, n, key, v, excl_max, excl_max_flag);
		break;
	case KW_MULTIPLE_OF:
		if (axrgen_read_number(c, key, v, &s->multiple_of) && s->multiple_of.value <= 0) {
			axrgen_error(c, v->pos, "invalid-constraint",
				     "'multipleOf' must be greater than 0, not %s", v->text);
			s->multiple_of.present = false;
		}
		break;
	case KW_MIN_LENGTH:
		axrgen_read_limit(c, key, v, &s->min_length);
		break;
	case KW_MAX_LENGTH:
		axrgen_read_limit(c, key, v, &s->max_length);
		break;
	case KW_MIN_ITEMS:
		axrgen_read_limit(c, key, v, &s->min_items);
		break;
	case KW_MAX_ITEMS:
		axrgen_read_limit(c, key, v, &s->max_items);
		break;
	case KW_MIN_PROPERTIES:
		axrgen_read_limit(c, key, v, &s->min_properties);
		break;
	case KW_MAX_PROPERTIES:
		axrgen_read_limit(c, key, v, &s->max_properties);
		break;
	case KW_PATTERN: {
		const char *p = axrgen_read_string(c, key, v);
		if (p != NULL) {
			s->patterns = axrgen_alloc(c, sizeof(*s->patterns));
			s->patterns[0] = p;
			s->n_patterns = 1;
		}
		break;
	}
	case KW_ITEMS:
		if (v->kind == AXRGEN_VALUE_ARRAY) {
			axrgen_error(c, v->pos, "invalid-value",
				     "'items' must be a schema, not an array (tuples are not supported)");
			break;
		}
		s->items = axrgen_schema_at(c, n->doc, v, axrgen_pointer_add(c, s->pointer, "items"),
					    n->sctx);
		break;
	case KW_PROPERTIES:
		axrgen_read_properties(c, n, v);
		break;
	case KW_REQUIRED:
		axrgen_read_required(c, n, v);
		break;
	case KW_ADDITIONAL:
		axrgen_read_additional(c, n, v);
		break;
	case KW_ALL_OF:
		s->all_of = axrgen_read_schema_list(c, n, key, v, &s->n_all_of);
		break;
	case KW_ONE_OF:
		s->one_of = axrgen_read_schema_list(c, n, key, v, &s->n_one_of);
		break;
	case KW_ANY_OF:
		s->any_of = axrgen_read_schema_list(c, n, key, v, &s->n_any_of);
		break;
	case KW_DISCRIMINATOR:
		axrgen_read_discriminator(c, n, v);
		break;
	case KW_ANNOTATION:
		break;
	case KW_UNSUPPORTED:
		axrgen_warning(c, m->key_pos, "unsupported-keyword",
			       "unsupported keyword '%s' (ignored)", key);
		break;
	default:
		if (strncmp(key, "x-", 2) != 0)
			axrgen_warning(c, m->key_pos, "unknown-keyword",
				       "unknown keyword '%s' in schema%s", key,
				       axrgen_keyword_hint(c, key));
		break;
	}
}

/* Folds a bound and a 3.1 exclusive bound into the stricter one. */
static void axrgen_fold_bound(axrgen_bound_t *b, const axrgen_bound_t *excl, bool lower)
{
	if (!excl->present)
		return;
	if (!b->present || (lower ? excl->value >= b->value : excl->value <= b->value)) {
		*b = *excl;
		b->exclusive = true;
	}
}

/* Does a value of this kind fit the type set? */
static bool axrgen_kind_fits(const axrgen_value_t *v, unsigned types)
{
	double d;
	if (types == AXRGEN_TYPE_ANY)
		return true;
	switch (v->kind) {
	case AXRGEN_VALUE_NULL:
		return types & AXRGEN_TYPE_NULL;
	case AXRGEN_VALUE_BOOL:
		return types & AXRGEN_TYPE_BOOLEAN;
	case AXRGEN_VALUE_INT:
		return types & (AXRGEN_TYPE_INTEGER | AXRGEN_TYPE_NUMBER);
	case AXRGEN_VALUE_NUMBER:
		if (types & AXRGEN_TYPE_NUMBER)
			return true;
		return (types & AXRGEN_TYPE_INTEGER) && axrgen_value_number(v, &d) && d == floor(d);
	case AXRGEN_VALUE_STRING:
		return types & AXRGEN_TYPE_STRING;
	case AXRGEN_VALUE_ARRAY:
		return types & AXRGEN_TYPE_ARRAY;
	case AXRGEN_VALUE_OBJECT:
		return types & AXRGEN_TYPE_OBJECT;
	}
	return false;
}

static const char *axrgen_types_text(axrgen_ctx_t *c, unsigned types)
{
	axrgen_buf_t b = { 0 };
	axrgen_buf_add(c, &b, "", 0);
	for (unsigned bit = 1; bit <= AXRGEN_TYPE_OBJECT; bit <<= 1) {
		if (!(types & bit))
			continue;
		if (b.len)
			axrgen_buf_add(c, &b, " or ", 4);
		axrgen_buf_str(c, &b, axrgen_type_name(bit));
	}
	return b.text;
}

/* Values written in the schema must fit its type. */
static void axrgen_check_values(axrgen_ctx_t *c, axrgen_schema_t *s)
{
	if (s->types == AXRGEN_TYPE_ANY)
		return;
	for (size_t i = 0; i < s->n_enum; i++)
		if (!axrgen_kind_fits(s->enum_values[i].value, s->types))
			axrgen_error(c, s->enum_values[i].value->pos, "invalid-value",
				     "enum value %s is not of type %s", s->enum_values[i].json,
				     axrgen_types_text(c, s->types));
	if (s->const_value && !axrgen_kind_fits(s->const_value, s->types))
		axrgen_error(c, s->const_value->pos, "invalid-value", "const value %s is not of type %s",
			     s->const_json, axrgen_types_text(c, s->types));
	if (s->default_value && !axrgen_kind_fits(s->default_value, s->types))
		axrgen_warning(c, s->default_value->pos, "default-mismatch",
			       "default value %s is not of type %s", s->default_json,
			       axrgen_types_text(c, s->types));
}

static void axrgen_schema_fill(axrgen_ctx_t *c, axrgen_snode_t *n)
{
	axrgen_schema_t *s = &n->s;
	const axrgen_value_t *raw = n->raw;
	if (n->alias) {
		const axrgen_value_t *ref = axrgen_value_get(raw, "$ref");
		s->ref_text = axrgen_value_is_string(ref) ? ref->text : NULL;
		s->ref_pos = ref->pos;
		s->ref = axrgen_schema_ref(c, n->doc, ref, 0);
		return;
	}
	if (raw->kind == AXRGEN_VALUE_BOOL && n->doc->version != 30) {
		s->never = raw->text[0] == 'f';
		return;
	}
	if (raw->kind != AXRGEN_VALUE_OBJECT) {
		axrgen_error(c, raw->pos, "invalid-value", "a schema must be an object, not %s",
			     axrgen_value_kind_name(raw->kind));
		return;
	}
	axrgen_bound_t excl_min = { 0 }, excl_max = { 0 };
	bool excl_min_flag = false, excl_max_flag = false;
	for (size_t i = 0; i < raw->count; i++)
		axrgen_read_keyword(c, n, &raw->members[i], &excl_min, &excl_max, &excl_min_flag,
				    &excl_max_flag);
	s->extensions = axrgen_extensions(c, raw);
	if (excl_min_flag) {
		if (s->minimum.present)
			s->minimum.exclusive = true;
		else
			axrgen_warning(c, axrgen_value_get(raw, "exclusiveMinimum")->pos,
				       "invalid-constraint", "'exclusiveMinimum' without 'minimum' has no effect");
	}
	if (excl_max_flag) {
		if (s->maximum.present)
			s->maximum.exclusive = true;
		else
			axrgen_warning(c, axrgen_value_get(raw, "exclusiveMaximum")->pos,
				       "invalid-constraint", "'exclusiveMaximum' without 'maximum' has no effect");
	}
	axrgen_fold_bound(&s->minimum, &excl_min, true);
	axrgen_fold_bound(&s->maximum, &excl_max, false);
	if (s->nullable && s->types != AXRGEN_TYPE_ANY)
		s->types |= AXRGEN_TYPE_NULL;
	if (s->types & AXRGEN_TYPE_NULL)
		s->nullable = true;
	if (s->read_only && s->write_only)
		axrgen_error(c, axrgen_value_get(raw, "writeOnly")->pos, "invalid-constraint",
			     "a schema cannot be both readOnly and writeOnly");
	axrgen_check_values(c, s);
	axrgen_schema_check_ranges(c, s, "");
	axrgen_schema_index(c, s);
}

void axrgen_schema_drain(axrgen_ctx_t *c)
{
	/* filling may queue more nodes; take them in order */
	for (size_t i = 0; i < c->pending.n; i++)
		axrgen_schema_fill(c, c->pending.items[i]);
	c->pending.n = 0;
}

static int axrgen_prop_cmp(const void *pa, const void *pb)
{
	const axrgen_property_t *a = *(const axrgen_property_t *const *)pa;
	const axrgen_property_t *b = *(const axrgen_property_t *const *)pb;
	int r = strcmp(a->name, b->name);
	return r ? r : (a->index > b->index) - (a->index < b->index);
}

void axrgen_schema_index(axrgen_ctx_t *c, axrgen_schema_t *s)
{
	s->properties_sorted = axrgen_alloc_array(c, s->n_properties ? s->n_properties : 1,
						  sizeof(*s->properties_sorted));
	for (size_t i = 0; i < s->n_properties; i++) {
		axrgen_property_t *p = &s->properties[i];
		p->index = (uint32_t)i;
		p->required = false;
		for (size_t r = 0; r < s->n_required && !p->required; r++)
			p->required = strcmp(s->required[r], p->name) == 0;
		s->properties_sorted[i] = p;
	}
	axrgen_sort(s->properties_sorted, s->n_properties, sizeof(*s->properties_sorted), axrgen_prop_cmp);
}

static int axrgen_prop_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, (*(const axrgen_property_t *const *)elem)->name);
}

const axrgen_property_t *axrgen_schema_property(const axrgen_schema_t *s, const char *name)
{
	if (s->properties_sorted == NULL)
		return NULL;
	axrgen_property_t *const *hit = bsearch(name, s->properties_sorted, s->n_properties,
						sizeof(*s->properties_sorted), axrgen_prop_key_cmp);
	return hit ? *hit : NULL;
}

const axrgen_schema_t *axrgen_schema_target(const axrgen_schema_t *s)
{
	/* load refuses ref cycles, but stay finite even on a broken model */
	for (int i = 0; s != NULL && s->ref != NULL && i < 1000; i++)
		s = s->ref;
	return s;
}
