/* plan_types.c: schema nodes to table names, field types and proto2 messages. */
#include "gen.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

const axrgen_schema_t *axrgen_target(const axrgen_schema_t *s)
{
	return s ? axrgen_schema_target(s) : NULL;
}

/* ---- tables ----------------------------------------------------------- */

static void axrgen__order_push(axrgen_gen_t *g, const axrgen_schema_t *s)
{
	if (g->n_order == g->cap_order) {
		size_t cap = g->cap_order ? g->cap_order * 2 : 64;
		const axrgen_schema_t **o = axrgen_alloc_g(g, cap * sizeof(*o));
		if (g->n_order)
			memcpy(o, g->order, g->n_order * sizeof(*o));
		g->order = o;
		g->cap_order = cap;
	}
	g->order[g->n_order++] = s;
}

/* The table name and macro prefix of a named schema. */
static void axrgen__named_names(axrgen_gen_t *g, const axrgen_schema_t *s, const char **ident,
				const char **macro)
{
	const char *part = axrgen_ident_part(g, s->name);
	*ident = axrgen_printf_g(g, "%s_schema_%s", g->p, *part ? part : "anonymous");
	const char *up = axrgen_upper(g, s->name);
	*macro = axrgen_printf_g(g, "%s_%s", g->P, *up ? up : "SCHEMA");
}

/* Gives `s` its table name (named schemas their own) unless it has one. */
static void axrgen__name(axrgen_gen_t *g, const axrgen_schema_t *s, const char *ident, const char *macro,
			 bool exported)
{
	axrgen_node_t *node = &g->nodes[s->id];
	if (node->ident != NULL) {
		node->exported |= exported;
		return;
	}
	if (s->name != NULL) {
		axrgen__named_names(g, s, &ident, &macro);
		exported = true;
	}
	node->s = s;
	node->ident = axrgen_names_unique(g, &g->idents, ident);
	node->macro = macro;
	node->exported = exported;
	axrgen__order_push(g, s);
	if (s->n_patterns > 0) {
		node->slots = axrgen_alloc_g(g, s->n_patterns * sizeof(*node->slots));
		for (size_t i = 0; i < s->n_patterns; i++)
			node->slots[i] = axrgen_names_unique(g, &g->idents, axrgen_printf_g(g, "%s_re", node->ident));
	}
}

/* A schema a node points at, with the suffix its table name gets. */
typedef struct axrgen__kid {
	const axrgen_schema_t *s;
	const char *suffix;
	const char *macro_suffix; /* NULL: the parent's enum macros */
} axrgen__kid_t;

static size_t axrgen__kids(axrgen_gen_t *g, const axrgen_schema_t *s, axrgen__kid_t **out)
{
	size_t n_map = s->discriminator ? s->discriminator->n_mapping : 0;
	axrgen__kid_t *k = axrgen_alloc_g(g, (4 + s->n_properties + s->n_one_of + s->n_any_of + n_map) * sizeof(*k));
	size_t n = 0;
	if (s->ref)
		k[n++] = (axrgen__kid_t){s->ref, "ref", NULL};
	for (size_t i = 0; i < s->n_properties; i++)
		if (s->properties[i].schema)
			k[n++] = (axrgen__kid_t){s->properties[i].schema, s->properties[i].name, s->properties[i].name};
	if (s->items)
		k[n++] = (axrgen__kid_t){s->items, "items", NULL};
	if (s->additional == AXRGEN_ADDITIONAL_SCHEMA && s->additional_schema)
		k[n++] = (axrgen__kid_t){s->additional_schema, "additional", NULL};
	for (size_t i = 0; i < s->n_one_of; i++)
		k[n++] = (axrgen__kid_t){s->one_of[i], axrgen_printf_g(g, "one_of_%zu", i), NULL};
	for (size_t i = 0; i < s->n_any_of; i++)
		k[n++] = (axrgen__kid_t){s->any_of[i], axrgen_printf_g(g, "any_of_%zu", i), NULL};
	for (size_t i = 0; i < n_map; i++)
		if (s->discriminator->mapping[i].schema)
			k[n++] = (axrgen__kid_t){s->discriminator->mapping[i].schema, "mapping", NULL};
	*out = k;
	return n;
}

/* Is `s` written inside named schema `root` (same file, pointer below it)? */
static bool axrgen__inside(const axrgen_schema_t *s, const axrgen_schema_t *root)
{
	size_t n = strlen(root->pointer);
	return s->name == NULL && s->pointer && strncmp(s->pointer, root->pointer, n) == 0 && s->pointer[n] == '/' &&
	       s->pos.file && root->pos.file && strcmp(s->pos.file, root->pos.file) == 0;
}

/*
 * Names the children of `s` after it, then walks them: siblings are named
 * before anything deeper, so a node is named after the parent that holds
 * it rather than after a deeper path that reaches it too. With `root`, only
 * nodes written inside that named schema are named (and walked).
 */
static void axrgen__walk(axrgen_gen_t *g, const axrgen_schema_t *s, const axrgen_schema_t *root)
{
	axrgen_node_t *node = &g->nodes[s->id];
	uint8_t bit = root ? 2 : 1;
	if (node->walked & bit)
		return;
	node->walked |= bit;
	axrgen__kid_t *kids;
	size_t n = axrgen__kids(g, s, &kids);
	for (size_t i = 0; i < n; i++) {
		if (root && !axrgen__inside(kids[i].s, root))
			continue;
		const char *part = axrgen_ident_part(g, kids[i].suffix);
		const char *macro = node->macro;
		if (kids[i].macro_suffix) {
			const char *up = axrgen_upper(g, kids[i].macro_suffix);
			macro = *up ? axrgen_printf_g(g, "%s_%s", node->macro, up) : node->macro;
		}
		axrgen__name(g, kids[i].s, axrgen_printf_g(g, "%s_%s", node->ident, *part ? part : "x"), macro, false);
	}
	for (size_t i = 0; i < n; i++)
		if (!root || axrgen__inside(kids[i].s, root))
			axrgen__walk(g, kids[i].s, root);
}

void axrgen_plan_node(axrgen_gen_t *g, const axrgen_schema_t *s, const char *ident,
		      const char *macro, bool exported)
{
	if (s == NULL)
		return;
	axrgen__name(g, s, ident, macro, exported);
	axrgen__walk(g, s, NULL);
}

void axrgen_plan_schemas(axrgen_gen_t *g)
{
	const axrgen_service_t *svc = g->svc;
	for (size_t i = 0; i < svc->n_schemas; i++)
		axrgen__name(g, svc->schemas[i], NULL, NULL, true);
	/* What each named schema holds is named after it first... */
	for (size_t i = 0; i < svc->n_schemas; i++)
		if (svc->schemas[i]->pointer)
			axrgen__walk(g, svc->schemas[i], svc->schemas[i]);
	/* ...then whatever else they reach. */
	for (size_t i = 0; i < svc->n_schemas; i++)
		axrgen__walk(g, svc->schemas[i], NULL);
}

/* ---- messages --------------------------------------------------------- */

axrgen_msg_t *axrgen_new_message(axrgen_gen_t *g, axrgen_msg_kind_t kind, const char *name)
{
	if (name == NULL || *name == '\0')
		name = "Message";
	/* Unique both as a name and as protoc-c's lower-case form ("ABc" and
	 * "Abc" would both declare abc__descriptor). */
	const char *n = name;
	const char *lower = axrgen_protoc_lower(g, n);
	for (unsigned i = 2; axrgen_names_has(&g->msg_names, n) ||
			     axrgen_names_has(&g->msg_names, axrgen_printf_g(g, "lower:%s", lower));
	     i++) {
		n = axrgen_printf_g(g, "%s%u", name, i);
		lower = axrgen_protoc_lower(g, n);
	}
	n = axrgen_strdup_g(g, n);
	axrgen_names_add(g, &g->msg_names, n);
	axrgen_names_add(g, &g->msg_names, axrgen_printf_g(g, "lower:%s", lower));

	axrgen_msg_t *msg = axrgen_alloc_g(g, sizeof(*msg));
	msg->kind = kind;
	msg->name = n;
	msg->c_type = axrgen_printf_g(g, "%s__%s", g->pkg_camel, n);
	msg->descriptor = axrgen_printf_g(g, "%s__%s__descriptor", g->p, lower);
	if (g->n_msgs == g->cap_msgs) {
		size_t cap = g->cap_msgs ? g->cap_msgs * 2 : 32;
		axrgen_msg_t **v = axrgen_alloc_g(g, cap * sizeof(*v));
		if (g->n_msgs)
			memcpy(v, g->msgs, g->n_msgs * sizeof(*v));
		g->msgs = v;
		g->cap_msgs = cap;
	}
	g->msgs[g->n_msgs++] = msg;
	return msg;
}

/* Does the (target) schema map to a message? */
static bool axrgen__is_message_shape(const axrgen_schema_t *t)
{
	unsigned types = t->types & ~(unsigned)AXRGEN_TYPE_NULL;
	return !t->never && !t->is_extern && t->n_properties > 0 && t->n_one_of == 0 && t->n_any_of == 0 &&
	       (types == 0 || types == AXRGEN_TYPE_OBJECT);
}

/* An allOf node whose properties are exactly those of one named part (the
 * same nodes, in the same order): the 3.0 way to write a nullable or
 * described $ref. Returns that part, else NULL. */
static const axrgen_schema_t *axrgen__same_as_part(const axrgen_schema_t *t)
{
	if (!t->merged || t->name != NULL)
		return NULL;
	for (size_t i = 0; i < t->n_all_of; i++) {
		const axrgen_schema_t *part = axrgen_target(t->all_of[i]);
		if (part->name == NULL || part->n_properties != t->n_properties ||
		    !axrgen__is_message_shape(part))
			continue;
		bool same = true;
		for (size_t k = 0; k < t->n_properties && same; k++)
			same = t->properties[k].schema == part->properties[k].schema &&
			       strcmp(t->properties[k].name, part->properties[k].name) == 0;
		if (same)
			return part;
	}
	return NULL;
}

axrgen_msg_t *axrgen_schema_message(axrgen_gen_t *g, const axrgen_schema_t *s, const char *name)
{
	const axrgen_schema_t *t = axrgen_target(s);
	if (t == NULL || !axrgen__is_message_shape(t))
		return NULL;
	axrgen_node_t *node = &g->nodes[t->id];
	if (node->msg != NULL)
		return node->msg;
	const axrgen_schema_t *same = axrgen__same_as_part(t);
	if (same != NULL) /* allOf: [$ref: X] (+ nullable, a description...) is X */
		return node->msg = axrgen_schema_message(g, same, NULL);
	const char *mname = name;
	if (t->name != NULL) {
		mname = axrgen_pascal(g, t->name);
		if (*mname == '\0')
			mname = "Schema";
	}
	axrgen_msg_t *msg = axrgen_new_message(g, AXRGEN_MSG_SCHEMA, mname);
	msg->schema = t;
	msg->comment = t->description ? t->description : t->title;
	msg->origin = t->name ? axrgen_printf_g(g, "schema %s", t->name) : t->pointer;
	node->msg = msg;
	return msg;
}

/* Is the untyped schema a string all the same (enum or const of strings)? */
static bool axrgen__string_values(const axrgen_schema_t *t)
{
	if (t->const_value != NULL)
		return t->const_value->kind == AXRGEN_VALUE_STRING;
	if (t->n_enum == 0)
		return false;
	for (size_t i = 0; i < t->n_enum; i++)
		if (t->enum_values[i].value->kind != AXRGEN_VALUE_STRING)
			return false;
	return true;
}

axrgen_ftype_t axrgen_field_type(axrgen_gen_t *g, const axrgen_schema_t *s, const char *name)
{
	axrgen_ftype_t json = {.type = AXRGEN_P_STRING, .json = true};
	const axrgen_schema_t *t = axrgen_target(s);
	if (t == NULL || t->never || t->is_extern)
		return json;
	axrgen_msg_t *msg = axrgen_schema_message(g, t, name);
	if (msg != NULL)
		return (axrgen_ftype_t){.type = AXRGEN_P_MESSAGE, .msg = msg};
	if (t->n_one_of > 0 || t->n_any_of > 0)
		return json;
	unsigned types = t->types & ~(unsigned)AXRGEN_TYPE_NULL;
	switch (types) {
	case AXRGEN_TYPE_ANY:
		return axrgen__string_values(t) ? (axrgen_ftype_t){.type = AXRGEN_P_STRING} : json;
	case AXRGEN_TYPE_ARRAY: {
		axrgen_node_t *node = &g->nodes[t->id];
		if (t->items == NULL)
			return (axrgen_ftype_t){.type = AXRGEN_P_STRING, .json = true, .repeated = true};
		if (node->walked & 4) /* an array of itself (Tree: [Tree]) */
			return json;
		node->walked |= 4;
		axrgen_ftype_t it = axrgen_field_type(g, t->items, axrgen_printf_g(g, "%sItem", name));
		node->walked &= (uint8_t)~4u;
		if (it.repeated)
			return json; /* arrays of arrays travel as JSON text */
		it.repeated = true;
		return it;
	}
	case AXRGEN_TYPE_INTEGER:
		return (axrgen_ftype_t){.type = t->format && strcmp(t->format, "int32") == 0 ? AXRGEN_P_INT32
											     : AXRGEN_P_INT64};
	case AXRGEN_TYPE_NUMBER:
	case AXRGEN_TYPE_NUMBER | AXRGEN_TYPE_INTEGER:
		return (axrgen_ftype_t){.type = AXRGEN_P_DOUBLE};
	case AXRGEN_TYPE_BOOLEAN:
		return (axrgen_ftype_t){.type = AXRGEN_P_BOOL};
	case AXRGEN_TYPE_STRING:
		return (axrgen_ftype_t){.type = AXRGEN_P_STRING};
	default:
		return json; /* objects without properties, several types */
	}
}

axrgen_msg_t *axrgen_list_message(axrgen_gen_t *g, axrgen_ftype_t item, const char *name)
{
	/* <Schema>List, once per named schema; other lists (of scalars or of
	 * inline objects) are named after their operation. */
	if (item.type == AXRGEN_P_MESSAGE && item.msg->schema != NULL && item.msg->schema->name != NULL) {
		const char *want = axrgen_printf_g(g, "%sList", item.msg->name);
		for (size_t i = 0; i < g->n_msgs; i++) {
			axrgen_msg_t *m = g->msgs[i];
			if (m->kind == AXRGEN_MSG_LIST && m->n_fields == 1 && m->fields[0].t.msg == item.msg)
				return m;
		}
		name = want;
	}
	axrgen_msg_t *msg = axrgen_new_message(g, AXRGEN_MSG_LIST, name);
	msg->fields = axrgen_alloc_g(g, sizeof(*msg->fields));
	msg->n_fields = 1;
	item.repeated = true;
	msg->fields[0] = (axrgen_field_t){.name = "items", .json_name = "items", .number = 1, .t = item};
	msg->fields_done = true;
	msg->origin = "a JSON array";
	return msg;
}

axrgen_msg_t *axrgen_json_message(axrgen_gen_t *g)
{
	if (g->json_msg != NULL)
		return g->json_msg;
	axrgen_msg_t *msg = axrgen_new_message(g, AXRGEN_MSG_JSON, "JsonValue");
	msg->fields = axrgen_alloc_g(g, sizeof(*msg->fields));
	msg->n_fields = 1;
	msg->fields[0] = (axrgen_field_t){
		.name = "json", .json_name = "json", .number = 1, .t = {.type = AXRGEN_P_STRING, .json = true}};
	msg->fields_done = true;
	msg->origin = "any JSON value";
	msg->comment = "Any JSON value (a free-form or scalar payload), as JSON text.";
	g->json_msg = msg;
	return msg;
}

/* ---- fields ----------------------------------------------------------- */

/* Names a C struct member cannot take: C keywords, macros our headers
 * define in lower case, and protobuf-c's own `base` member. */
static const char *const axrgen__reserved_members[] = {
	"_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn",
	"_Static_assert", "_Thread_local", "alignas", "alignof", "auto", "base", "bool", "break", "case",
	"char", "const", "continue", "default", "do", "double", "else", "enum", "errno", "extern", "false",
	"float", "for", "goto", "i386", "if", "inline", "int", "linux", "long", "noreturn", "register",
	"restrict", "return", "short", "signed", "sizeof", "static", "static_assert", "stderr", "stdin",
	"stdout", "struct", "switch", "thread_local", "true", "typedef", "union", "unix", "unsigned", "void",
	"volatile", "while",
};

static int axrgen__strcmp_p(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool axrgen__field_taken(const axrgen_field_t *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return true;
	return false;
}

const char *axrgen_field_name(axrgen_gen_t *g, const axrgen_field_t *fields, size_t n, const char *json_name,
			      const char *fallback)
{
	const char *name = axrgen_snake(g, json_name);
	if (*name == '\0')
		name = fallback;
	if (name[0] >= '0' && name[0] <= '9')
		name = axrgen_printf_g(g, "f_%s", name);
	const char *key = name;
	if (bsearch(&key, axrgen__reserved_members,
		    sizeof(axrgen__reserved_members) / sizeof(axrgen__reserved_members[0]),
		    sizeof(axrgen__reserved_members[0]), axrgen__strcmp_p) != NULL)
		name = axrgen_printf_g(g, "%s_", name);
	const char *base = name;
	for (unsigned i = 2; axrgen__field_taken(fields, n, name); i++)
		name = axrgen_printf_g(g, "%s_%u", base, i);
	return name;
}

/* protobuf-c adds has_<f> and n_<f> members: a field named like one of
 * those for another field is renamed with a trailing '_'. */
void axrgen_fix_member_clashes(axrgen_gen_t *g, axrgen_field_t *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < n; k++) {
			if (k == i)
				continue;
			const char *other = fields[k].name;
			bool clash = (strncmp(other, "has_", 4) == 0 && strcmp(other + 4, fields[i].name) == 0) ||
				     (strncmp(other, "n_", 2) == 0 && strcmp(other + 2, fields[i].name) == 0);
			if (!clash)
				continue;
			const char *name = other;
			do
				name = axrgen_printf_g(g, "%s_", name);
			while (axrgen__field_taken(fields, n, name));
			fields[k].name = name;
		}
	}
}

static uint32_t axrgen__override(axrgen_gen_t *g, const axrgen_property_t *prop)
{
	const axrgen_schema_t *s = prop->schema;
	if (s == NULL || s->name != NULL)
		return 0;
	const axrgen_value_t *v = axrgen_ext_get(&s->extensions, "x-protobuf-index");
	if (v == NULL)
		return 0;
	char *end = NULL;
	unsigned long long n = v->kind == AXRGEN_VALUE_INT ? strtoull(v->text, &end, 10) : 0;
	if (v->kind != AXRGEN_VALUE_INT || v->text[0] == '-' || *end != '\0' || n == 0 ||
	    n > AXRGEN_LOCK_MAX_FIELD) {
		axrgen_gen_diag(g, AXRGEN_ERROR, v->pos,
				"x-protobuf-index must be an integer from 1 to 536870911");
		return 0;
	}
	return (uint32_t)n;
}

static void axrgen__lock_error(void *ctx, axrgen_pos_t pos, const char *message)
{
	axrgen_gen_diag(ctx, AXRGEN_ERROR, pos, "%s", message);
}

static int axrgen__field_number_cmp(const void *a, const void *b)
{
	const axrgen_field_t *x = a, *y = b;
	return x->number < y->number ? -1 : x->number > y->number;
}

static void axrgen__fill_schema_message(axrgen_gen_t *g, axrgen_msg_t *msg)
{
	const axrgen_schema_t *t = msg->schema;
	msg->fields = axrgen_alloc_g(g, t->n_properties * sizeof(*msg->fields));
	for (size_t i = 0; i < t->n_properties; i++) {
		const axrgen_property_t *prop = &t->properties[i];
		axrgen_field_t *f = &msg->fields[msg->n_fields];
		f->name = axrgen_field_name(g, msg->fields, msg->n_fields, prop->name, "field");
		f->json_name = prop->name;
		f->schema = prop->schema;
		f->pos = prop->pos;
		f->override = axrgen__override(g, prop);
		if (prop->schema != NULL)
			f->description = prop->schema->description ? prop->schema->description
								   : prop->schema->title;
		const char *pname = axrgen_pascal(g, prop->name);
		f->t = axrgen_field_type(g, prop->schema,
					 axrgen_printf_g(g, "%s%s", msg->name, *pname ? pname : "Field"));
		msg->n_fields++;
	}
	axrgen_fix_member_clashes(g, msg->fields, msg->n_fields);

	axrgen_lock_field_t *lf = axrgen_alloc_g(g, (msg->n_fields + 1) * sizeof(*lf));
	for (size_t i = 0; i < msg->n_fields; i++)
		lf[i] = (axrgen_lock_field_t){
			.name = msg->fields[i].name, .override = msg->fields[i].override, .pos = msg->fields[i].pos};
	if (axrgen_lock_assign(g->lock, msg->name, lf, msg->n_fields, &msg->reserved, &msg->n_reserved,
			       axrgen__lock_error, g) != 0)
		longjmp(*g->oom, 1);
	for (size_t i = 0; i < msg->n_fields; i++)
		msg->fields[i].number = lf[i].number;
	qsort(msg->fields, msg->n_fields, sizeof(*msg->fields), axrgen__field_number_cmp);
	msg->fields_done = true;
}

static int axrgen__msg_cmp(const void *a, const void *b)
{
	const axrgen_msg_t *x = *(axrgen_msg_t *const *)a, *y = *(axrgen_msg_t *const *)b;
	return strcmp(x->name, y->name);
}

void axrgen_plan_messages(axrgen_gen_t *g)
{
	/* Filling a message can create more (inline objects): walk until done. */
	for (size_t i = 0; i < g->n_msgs; i++)
		if (!g->msgs[i]->fields_done && g->msgs[i]->kind == AXRGEN_MSG_SCHEMA)
			axrgen__fill_schema_message(g, g->msgs[i]);
	qsort(g->msgs, g->n_msgs, sizeof(*g->msgs), axrgen__msg_cmp);
	const char **live = axrgen_alloc_g(g, (g->n_msgs + 1) * sizeof(*live));
	size_t n_live = 0;
	for (size_t i = 0; i < g->n_msgs; i++)
		if (g->msgs[i]->kind == AXRGEN_MSG_SCHEMA)
			live[n_live++] = g->msgs[i]->name;
	axrgen_lock_retire_others(g->lock, live, n_live);
}

const axrgen_field_t *axrgen_msg_field(const axrgen_msg_t *msg, const char *json_name)
{
	if (msg == NULL)
		return NULL;
	for (size_t i = 0; i < msg->n_fields; i++)
		if (msg->fields[i].json_name && strcmp(msg->fields[i].json_name, json_name) == 0)
			return &msg->fields[i];
	return NULL;
}
