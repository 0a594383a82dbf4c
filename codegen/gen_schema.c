/* gen_schema.c: <svc>_schema.{h,c}: axr_schema_t validation tables (runtime/schema.h). */
#include "gen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Formats the validator checks (format.h), by their OpenAPI names. */
static const struct {
	const char *name;
	const char *c_name;
} axrgen__formats[] = {
	{"byte", "AXR_FORMAT_BYTE"},   {"date", "AXR_FORMAT_DATE"},       {"date-time", "AXR_FORMAT_DATE_TIME"},
	{"double", "AXR_FORMAT_DOUBLE"}, {"email", "AXR_FORMAT_EMAIL"},   {"float", "AXR_FORMAT_FLOAT"},
	{"hostname", "AXR_FORMAT_HOSTNAME"}, {"int32", "AXR_FORMAT_INT32"}, {"int64", "AXR_FORMAT_INT64"},
	{"ipv4", "AXR_FORMAT_IPV4"},   {"ipv6", "AXR_FORMAT_IPV6"},       {"regex", "AXR_FORMAT_REGEX"},
	{"time", "AXR_FORMAT_TIME"},   {"uri", "AXR_FORMAT_URI"},         {"uuid", "AXR_FORMAT_UUID"},
};

static const char *axrgen__format(const char *name)
{
	for (size_t i = 0; name && i < sizeof(axrgen__formats) / sizeof(axrgen__formats[0]); i++)
		if (strcmp(name, axrgen__formats[i].name) == 0)
			return axrgen__formats[i].c_name;
	return NULL;
}

/* The table of a schema (or of "any value" when NULL), as &name. */
static const char *axrgen__ref(axrgen_gen_t *g, const axrgen_schema_t *s)
{
	if (s == NULL)
		return axrgen_printf_g(g, "&%s_schema_any", g->p);
	return axrgen_printf_g(g, "&%s", g->nodes[s->id].ident);
}

/* ---- JSON values -------------------------------------------------------- */

static bool axrgen__int64_text(const char *text)
{
	if (strpbrk(text, ".eE") != NULL)
		return false;
	errno = 0;
	(void)strtoll(text, NULL, 10);
	return errno == 0;
}

/* An int64 literal that C reads as that value (INT64_MIN has none). */
static const char *axrgen__int_literal(const char *text)
{
	if (strcmp(text, "-9223372036854775808") == 0)
		return "(-9223372036854775807 - 1)";
	return text;
}

/* A double literal for JSON number text (integers too big for int64 get ".0"). */
static const char *axrgen__real_literal(axrgen_gen_t *g, const char *text)
{
	return strpbrk(text, ".eE") ? text : axrgen_printf_g(g, "%s.0", text);
}

static void axrgen__value(axrgen_gen_t *g, axrgen_emit_t *e, const axrgen_value_t *v)
{
	switch (v->kind) {
	case AXRGEN_VALUE_NULL:
		axrgen_emit(e, "{.kind = AXR_VALUE_NULL}");
		break;
	case AXRGEN_VALUE_BOOL:
		axrgen_emit(e, "AXR_VALUE_BOOL(%s)", v->text);
		break;
	case AXRGEN_VALUE_INT:
	case AXRGEN_VALUE_NUMBER:
		if (v->kind == AXRGEN_VALUE_INT && axrgen__int64_text(v->text))
			axrgen_emit(e, "AXR_VALUE_INT(%s)", axrgen__int_literal(v->text));
		else /* a real, or an integer too big for int64 */
			axrgen_emit(e, "{.kind = AXR_VALUE_REAL, .u.real = %s}", axrgen__real_literal(g, v->text));
		break;
	case AXRGEN_VALUE_STRING:
		axrgen_emit(e, "AXR_VALUE_STR(%s)", axrgen_c_string(g, v->text, v->len));
		break;
	case AXRGEN_VALUE_ARRAY:
		if (v->count == 0) {
			axrgen_emit(e, "{.kind = AXR_VALUE_ARRAY}");
			break;
		}
		axrgen_emit(e, "{.kind = AXR_VALUE_ARRAY, .u.array = {.items = (const axr_value_t[]){");
		for (size_t i = 0; i < v->count; i++) {
			axrgen_emit(e, i ? ", " : "");
			axrgen__value(g, e, v->items[i]);
		}
		axrgen_emit(e, "}, .count = %zu}}", v->count);
		break;
	case AXRGEN_VALUE_OBJECT:
		if (v->count == 0) {
			axrgen_emit(e, "{.kind = AXR_VALUE_OBJECT}");
			break;
		}
		axrgen_emit(e, "{.kind = AXR_VALUE_OBJECT, .u.object = {.members = (const axr_member_t[]){");
		for (size_t i = 0; i < v->count; i++) {
			axrgen_emit(e, "%s{.name = %s, .value = ", i ? ", " : "", axrgen_cstr(g, v->members[i].key));
			axrgen__value(g, e, v->members[i].value);
			axrgen_emit(e, "}");
		}
		axrgen_emit(e, "}, .count = %zu}}", v->count);
		break;
	}
}

/* `&(const axr_number_t)...` for a bound. */
static const char *axrgen__number(axrgen_gen_t *g, const axrgen_bound_t *b)
{
	if (axrgen__int64_text(b->text))
		return axrgen_printf_g(g, "&(const axr_number_t)AXR_NUMBER_INT(%s)", axrgen__int_literal(b->text));
	return axrgen_printf_g(g, "&(const axr_number_t){.d = %s, .text = %s}", axrgen__real_literal(g, b->text),
			       axrgen_cstr(g, b->text));
}

static const char *axrgen__count(axrgen_gen_t *g, uint64_t n)
{
	return axrgen_printf_g(g, "%" PRIu64 "%s", n, n > INT32_MAX ? "u" : "");
}

/* ---- one table -------------------------------------------------------- */

static const char *axrgen__types(axrgen_gen_t *g, unsigned types)
{
	static const char *const names[] = {"AXR_TYPE_NULL",   "AXR_TYPE_BOOLEAN", "AXR_TYPE_INTEGER",
					    "AXR_TYPE_NUMBER", "AXR_TYPE_STRING",  "AXR_TYPE_ARRAY",
					    "AXR_TYPE_OBJECT"};
	const char *out = "";
	for (unsigned i = 0; i < 7; i++)
		if (types & (1u << i))
			out = axrgen_printf_g(g, "%s%s%s", out, *out ? " | " : "", names[i]);
	return out;
}

static const char *axrgen__flags(axrgen_gen_t *g, const axrgen_schema_t *s)
{
	const char *out = "";
#define AXRGEN__FLAG(cond, name) \
	if (cond)                \
		out = axrgen_printf_g(g, "%s%s%s", out, *out ? " | " : "", name)
	AXRGEN__FLAG(s->never, "AXR_SCHEMA_FALSE");
	AXRGEN__FLAG(s->nullable, "AXR_SCHEMA_NULLABLE");
	AXRGEN__FLAG(s->read_only, "AXR_SCHEMA_READ_ONLY");
	AXRGEN__FLAG(s->write_only, "AXR_SCHEMA_WRITE_ONLY");
	AXRGEN__FLAG(s->unique_items, "AXR_SCHEMA_UNIQUE_ITEMS");
	AXRGEN__FLAG(s->max_length.present, "AXR_SCHEMA_MAX_LENGTH");
	AXRGEN__FLAG(s->max_items.present, "AXR_SCHEMA_MAX_ITEMS");
	AXRGEN__FLAG(s->max_properties.present, "AXR_SCHEMA_MAX_PROPERTIES");
#undef AXRGEN__FLAG
	return out;
}

/* The regex slot of pattern `i` of node `s`. */
static const char *axrgen__slot(axrgen_gen_t *g, const axrgen_schema_t *s, size_t i)
{
	return g->nodes[s->id].slots[i];
}

static void axrgen__properties(axrgen_gen_t *g, axrgen_emit_t *e, const axrgen_schema_t *s)
{
	const axrgen_msg_t *msg = g->nodes[axrgen_target(s)->id].msg;
	if (axrgen_target(s) != s)
		msg = NULL; /* a $ref with siblings: the target's table carries the fields */
	axrgen_emit(e, ".properties = (const axr_property_t[]){\n");
	axrgen_emit_indent(e);
	for (size_t i = 0; i < s->n_properties; i++) {
		const axrgen_property_t *p = s->properties_sorted[i];
		const axrgen_field_t *f = axrgen_msg_field(msg, p->name);
		axrgen_emit(e, "{.name = %s, .schema = %s", axrgen_cstr(g, p->name), axrgen__ref(g, p->schema));
		if (f != NULL && f->number != 0)
			axrgen_emit(e, ", .field = %u", (unsigned)f->number);
		axrgen_emit(e, "},\n");
	}
	axrgen_emit_outdent(e);
	axrgen_emit(e, "},\n.n_properties = %zu,\n", s->n_properties);
}

static void axrgen__schema_list(axrgen_gen_t *g, axrgen_emit_t *e, const char *field,
				axrgen_schema_t *const *list, size_t n)
{
	axrgen_emit(e, ".%s = (const axr_schema_t *const[]){", field);
	for (size_t i = 0; i < n; i++)
		axrgen_emit(e, "%s%s", i ? ", " : "", axrgen__ref(g, list[i]));
	axrgen_emit(e, "},\n.n_%s = %zu,\n", field, n);
}

static void axrgen__table(axrgen_gen_t *g, axrgen_emit_t *e, const axrgen_schema_t *s)
{
	const axrgen_node_t *node = &g->nodes[s->id];
	if (s->name != NULL) {
		axrgen_emit(e, "/* %s", s->name);
		if (s->description || s->title) {
			axrgen_emit(e, ":\n");
			axrgen_emit_comment_lines(e, " * ", s->description ? s->description : s->title);
			axrgen_emit(e, " */\n");
		} else {
			axrgen_emit(e, " */\n");
		}
	}
	axrgen_emit(e, "%sconst axr_schema_t %s = {\n", node->exported ? "" : "static ", node->ident);
	axrgen_emit_indent(e);
	if (s->name)
		axrgen_emit(e, ".name = %s,\n", axrgen_cstr(g, s->name));
	if (s->ref)
		axrgen_emit(e, ".ref = %s,\n", axrgen__ref(g, s->ref));
	if (s->types)
		axrgen_emit(e, ".types = %s,\n", axrgen__types(g, s->types));
	const char *flags = axrgen__flags(g, s);
	if (*flags)
		axrgen_emit(e, ".flags = %s,\n", flags);
	const char *fmt = axrgen__format(s->format);
	if (fmt)
		axrgen_emit(e, ".format = %s,\n", fmt);
	if (s->n_enum > 0) {
		axrgen_emit(e, ".enum_values = (const axr_value_t[]){");
		for (size_t i = 0; i < s->n_enum; i++) {
			axrgen_emit(e, i ? ", " : "");
			axrgen__value(g, e, s->enum_values[i].value);
		}
		axrgen_emit(e, "},\n.n_enum = %zu,\n", s->n_enum);
	}
	if (s->const_value) {
		axrgen_emit(e, ".const_value = &(const axr_value_t)");
		axrgen__value(g, e, s->const_value);
		axrgen_emit(e, ",\n");
	}
	if (s->default_value) {
		axrgen_emit(e, ".default_value = &(const axr_value_t)");
		axrgen__value(g, e, s->default_value);
		axrgen_emit(e, ",\n");
	}
	if (s->minimum.present)
		axrgen_emit(e, ".%s = %s,\n", s->minimum.exclusive ? "exclusive_minimum" : "minimum",
			    axrgen__number(g, &s->minimum));
	if (s->maximum.present)
		axrgen_emit(e, ".%s = %s,\n", s->maximum.exclusive ? "exclusive_maximum" : "maximum",
			    axrgen__number(g, &s->maximum));
	if (s->multiple_of.present)
		axrgen_emit(e, ".multiple_of = %s,\n", axrgen__number(g, &s->multiple_of));
	if (s->min_length.present && s->min_length.value > 0)
		axrgen_emit(e, ".min_length = %s,\n", axrgen__count(g, s->min_length.value));
	if (s->max_length.present)
		axrgen_emit(e, ".max_length = %s,\n", axrgen__count(g, s->max_length.value));
	if (s->n_patterns > 0)
		axrgen_emit(e, ".pattern = &%s,\n", axrgen__slot(g, s, 0));
	if (s->items)
		axrgen_emit(e, ".items = %s,\n", axrgen__ref(g, s->items));
	if (s->min_items.present && s->min_items.value > 0)
		axrgen_emit(e, ".min_items = %s,\n", axrgen__count(g, s->min_items.value));
	if (s->max_items.present)
		axrgen_emit(e, ".max_items = %s,\n", axrgen__count(g, s->max_items.value));
	if (s->n_properties > 0)
		axrgen__properties(g, e, s);
	if (s->additional == AXRGEN_ADDITIONAL_FALSE)
		axrgen_emit(e, ".additional_properties = &axr_schema_false,\n");
	else if (s->additional == AXRGEN_ADDITIONAL_SCHEMA)
		axrgen_emit(e, ".additional_properties = %s,\n", axrgen__ref(g, s->additional_schema));
	if (s->n_required > 0) {
		axrgen_emit(e, ".required = (const char *const[]){");
		for (size_t i = 0; i < s->n_required; i++)
			axrgen_emit(e, "%s%s", i ? ", " : "", axrgen_cstr(g, s->required[i]));
		axrgen_emit(e, "},\n.n_required = %zu,\n", s->n_required);
	}
	if (s->min_properties.present && s->min_properties.value > 0)
		axrgen_emit(e, ".min_properties = %s,\n", axrgen__count(g, s->min_properties.value));
	if (s->max_properties.present)
		axrgen_emit(e, ".max_properties = %s,\n", axrgen__count(g, s->max_properties.value));
	if (s->n_patterns > 1) {
		/* allOf merged several patterns: the others are checked as parts. */
		axrgen_emit(e, ".all_of = (const axr_schema_t *const[]){");
		for (size_t i = 1; i < s->n_patterns; i++)
			axrgen_emit(e, "%s&(const axr_schema_t){.pattern = &%s}", i > 1 ? ", " : "",
				    axrgen__slot(g, s, i));
		axrgen_emit(e, "},\n.n_all_of = %zu,\n", s->n_patterns - 1);
	}
	if (s->n_any_of > 0)
		axrgen__schema_list(g, e, "any_of", s->any_of, s->n_any_of);
	if (s->n_one_of > 0)
		axrgen__schema_list(g, e, "one_of", s->one_of, s->n_one_of);
	if (s->discriminator != NULL && (s->n_one_of > 0 || s->n_any_of > 0)) {
		const axrgen_discriminator_t *d = s->discriminator;
		axrgen_emit(e, ".discriminator = &(const axr_discriminator_t){\n");
		axrgen_emit_indent(e);
		axrgen_emit(e, ".property = %s,\n", axrgen_cstr(g, d->property));
		if (d->n_mapping > 0) {
			axrgen_emit(e, ".mapping = (const axr_discriminator_entry_t[]){\n");
			axrgen_emit_indent(e);
			for (size_t i = 0; i < d->n_mapping; i++)
				axrgen_emit(e, "{.value = %s, .schema = %s},\n", axrgen_cstr(g, d->mapping[i].value),
					    axrgen__ref(g, d->mapping[i].schema));
			axrgen_emit_outdent(e);
			axrgen_emit(e, "},\n.n_mapping = %zu,\n", d->n_mapping);
		}
		axrgen_emit_outdent(e);
		axrgen_emit(e, "},\n");
	}
	axrgen_emit_outdent(e);
	axrgen_emit(e, "};\n\n");
}

/* ---- input tables ------------------------------------------------------- */

typedef struct axrgen__iprop {
	const char *name;
	const char *ref;
	uint32_t field;
} axrgen__iprop_t;

static int axrgen__iprop_cmp(const void *a, const void *b)
{
	return strcmp(((const axrgen__iprop_t *)a)->name, ((const axrgen__iprop_t *)b)->name);
}

static void axrgen__input_table(axrgen_gen_t *g, axrgen_emit_t *e, const axrgen_op_t *o)
{
	const axrgen_msg_t *in = o->input;
	axrgen__iprop_t *props = axrgen_alloc_g(g, (in->n_fields + 1) * sizeof(*props));
	size_t n = 0;
	for (size_t i = 0; i < o->n_params; i++)
		props[n++] = (axrgen__iprop_t){.name = o->params[i].field->json_name,
					       .ref = axrgen__ref(g, o->params[i].p->schema),
					       .field = o->params[i].field->number};
	if (o->body.media != NULL) {
		const axrgen_field_t *f = axrgen_msg_field(in, "body");
		props[n++] = (axrgen__iprop_t){.name = "body", .ref = axrgen__ref(g, o->body.schema), .field = f->number};
	}
	qsort(props, n, sizeof(*props), axrgen__iprop_cmp);
	axrgen_emit(e, "/* %s %s: the input of %s (parameters%s by name). */\n", o->method, o->route_path,
		    o->op->handler, o->body.media ? " and body" : "");
	axrgen_emit(e, "const axr_schema_t %s = {\n", o->input_table);
	axrgen_emit_indent(e);
	axrgen_emit(e, ".types = AXR_TYPE_OBJECT,\n");
	if (n > 0) {
		axrgen_emit(e, ".properties = (const axr_property_t[]){\n");
		axrgen_emit_indent(e);
		for (size_t i = 0; i < n; i++)
			axrgen_emit(e, "{.name = %s, .schema = %s, .field = %u},\n", axrgen_cstr(g, props[i].name),
				    props[i].ref, (unsigned)props[i].field);
		axrgen_emit_outdent(e);
		axrgen_emit(e, "},\n.n_properties = %zu,\n", n);
	}
	axrgen_emit_outdent(e);
	axrgen_emit(e, "};\n\n");
}

/* ---- files -------------------------------------------------------------- */

/* #define <MACRO>_<VALUE> "value" for string enums (docs/model-mapping.md). */
static void axrgen__enum_macros(axrgen_gen_t *g, axrgen_emit_t *e)
{
	bool any = false;
	for (size_t i = 0; i < g->n_order; i++) {
		const axrgen_schema_t *s = g->order[i];
		const axrgen_node_t *node = &g->nodes[s->id];
		for (size_t k = 0; k < s->n_enum; k++) {
			const axrgen_value_t *v = s->enum_values[k].value;
			if (v->kind != AXRGEN_VALUE_STRING || memchr(v->text, '\0', v->len) != NULL)
				continue;
			const char *up = axrgen_upper(g, v->text);
			if (*up == '\0')
				continue;
			const char *macro = axrgen_printf_g(g, "%s_%s", node->macro, up);
			if (axrgen_names_has(&g->macros, macro))
				continue;
			axrgen_names_add(g, &g->macros, macro);
			if (!any)
				axrgen_emit(e, "\n/* String enum values, one macro per value. */\n");
			any = true;
			axrgen_emit(e, "#define %s %s\n", macro, axrgen_c_string(g, v->text, v->len));
		}
	}
}

void axrgen_gen_schema_h(axrgen_gen_t *g, axrgen_emit_t *e)
{
	axrgen_banner(g, e, "c");
	axrgen_emit(e, "/* %s_schema.h: the validation tables of the %s service (runtime/schema.h): every\n"
		       " * named schema, and the parameters, bodies, responses and inputs of its operations. */\n",
		    g->name, g->name);
	axrgen_emit(e, "#ifndef AXR_GEN_%s_SCHEMA_H\n#define AXR_GEN_%s_SCHEMA_H\n\n#include \"schema.h\"\n\n", g->P,
		    g->P);
	axrgen_emit(e, "/* Any value (a body or response declared without a schema). */\n");
	axrgen_emit(e, "extern const axr_schema_t %s_schema_any;\n", g->p);
	for (size_t i = 0; i < g->n_order; i++) {
		const axrgen_node_t *node = &g->nodes[g->order[i]->id];
		if (node->exported)
			axrgen_emit(e, "extern const axr_schema_t %s;\n", node->ident);
	}
	for (size_t i = 0; i < g->n_ops; i++)
		if (g->ops[i].served)
			axrgen_emit(e, "extern const axr_schema_t %s;\n", g->ops[i].input_table);
	axrgen_emit(e, "\n/* Checks every table and compiles its patterns (axr_schema_prepare), once, at\n"
		       " * start-up. Returns 0, or the first error after logging which table failed. */\n"
		       "int %s_schemas_prepare(void);\n",
		    g->p);
	axrgen__enum_macros(g, e);
	axrgen_emit(e, "\n#endif\n");
}

void axrgen_gen_schema_c(axrgen_gen_t *g, axrgen_emit_t *e)
{
	axrgen_banner(g, e, "c");
	axrgen_emit(e, "/* %s_schema.c: the validation tables of the %s service; the runtime's validator\n"
		       " * and codec walk them (runtime/schema.h, runtime/codec.h). */\n",
		    g->name, g->name);
	axrgen_emit(e, "#include \"%s_schema.h\"\n\n#include <stddef.h>\n\n#include \"log.h\"\n\n", g->name);
	bool any_static = false;
	for (size_t i = 0; i < g->n_order; i++) {
		const axrgen_node_t *node = &g->nodes[g->order[i]->id];
		if (node->exported)
			continue;
		if (!any_static)
			axrgen_emit(e, "/* Declared first so that tables can point at each other in any order. */\n");
		any_static = true;
		axrgen_emit(e, "static const axr_schema_t %s;\n", node->ident);
	}
	bool any_slot = false;
	for (size_t i = 0; i < g->n_order; i++) {
		const axrgen_schema_t *s = g->order[i];
		for (size_t k = 0; k < s->n_patterns; k++) {
			if (!any_slot)
				axrgen_emit(e, "%s/* Pattern slots: compiled once, by %s_schemas_prepare(). */\n",
					    any_static ? "\n" : "", g->p);
			any_slot = true;
			axrgen_emit(e, "static axr_regex_t %s = AXR_REGEX_INIT(%s);\n", axrgen__slot(g, s, k),
				    axrgen_cstr(g, s->patterns[k]));
		}
	}
	if (any_static || any_slot)
		axrgen_emit(e, "\n");
	axrgen_emit(e, "const axr_schema_t %s_schema_any = {.name = \"any\"};\n\n", g->p);
	for (size_t i = 0; i < g->n_order; i++)
		axrgen__table(g, e, g->order[i]);
	for (size_t i = 0; i < g->n_ops; i++)
		if (g->ops[i].served)
			axrgen__input_table(g, e, &g->ops[i]);

	axrgen_emit(e, "/* Every table reachable from these is checked by axr_schema_prepare(). */\n");
	axrgen_emit(e, "static const axr_schema_t *const %s_schema_roots[] = {\n", g->p);
	axrgen_emit_indent(e);
	axrgen_emit(e, "&%s_schema_any,\n", g->p);
	for (size_t i = 0; i < g->n_order; i++) {
		const axrgen_node_t *node = &g->nodes[g->order[i]->id];
		if (node->exported)
			axrgen_emit(e, "&%s,\n", node->ident);
	}
	for (size_t i = 0; i < g->n_ops; i++)
		if (g->ops[i].served)
			axrgen_emit(e, "&%s,\n", g->ops[i].input_table);
	axrgen_emit_outdent(e);
	axrgen_emit(e, "};\n\n");
	axrgen_emit(e,
		    "int %s_schemas_prepare(void)\n"
		    "{\n"
		    "\tchar err[256];\n"
		    "\tfor (size_t i = 0; i < sizeof(%s_schema_roots) / sizeof(%s_schema_roots[0]); i++) {\n"
		    "\t\tint rc = axr_schema_prepare(%s_schema_roots[i], err, sizeof(err));\n"
		    "\t\tif (rc != 0) {\n"
		    "\t\t\taxr_log_error(\"schema table %%zu of %s: %%s\", i, err);\n"
		    "\t\t\treturn rc;\n"
		    "\t\t}\n"
		    "\t}\n"
		    "\treturn 0;\n"
		    "}\n",
		    g->p, g->p, g->p, g->p, g->name);
}
