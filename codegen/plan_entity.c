/* plan_entity.c: entities (schemas with x-baseClass) to tables, columns and indexes. */
#include "gen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "entity.h"

bool axrgen_is_entity(const axrgen_schema_t *s)
{
	if (s == NULL || s->name == NULL)
		return false;
	const axrgen_value_t *v = axrgen_ext_get(&s->extensions, "x-baseClass");
	return v != NULL && v->kind == AXRGEN_VALUE_STRING && v->len > 0;
}

axrgen_entity_t *axrgen_entity_of(axrgen_gen_t *g, const axrgen_schema_t *s)
{
	for (size_t i = 0; i < g->n_entities; i++)
		if (g->entities[i].schema == s)
			return &g->entities[i];
	return NULL;
}

/* The AcceleratXR base properties, their columns and SQL types. */
static const struct {
	const char *json;
	const char *column;
	const char *type;
} axrgen__base[] = {
	{"uid", "uid", "AXR_COL_UUID"},
	{"dateCreated", "date_created", "AXR_COL_TIMESTAMPTZ"},
	{"dateModified", "date_modified", "AXR_COL_TIMESTAMPTZ"},
	{"version", "version", "AXR_COL_BIGINT"},
};
#define AXRGEN__N_BASE 4

static bool axrgen__is_base(const char *json)
{
	for (size_t i = 0; i < AXRGEN__N_BASE; i++)
		if (strcmp(json, axrgen__base[i].json) == 0)
			return true;
	return false;
}

/* The column type that matches the property's protobuf field. */
static const char *axrgen__column_type(const axrgen_field_t *f)
{
	if (f->t.repeated || f->t.json || f->t.type == AXRGEN_P_MESSAGE)
		return "AXR_COL_JSONB";
	switch (f->t.type) {
	case AXRGEN_P_INT32:
	case AXRGEN_P_INT64: return "AXR_COL_BIGINT";
	case AXRGEN_P_DOUBLE: return "AXR_COL_DOUBLE";
	case AXRGEN_P_BOOL: return "AXR_COL_BOOLEAN";
	default: break;
	}
	const axrgen_schema_t *t = axrgen_target(f->schema);
	const char *fmt = t ? t->format : NULL;
	if (fmt && strcmp(fmt, "uuid") == 0)
		return "AXR_COL_UUID";
	if (fmt && strcmp(fmt, "date-time") == 0)
		return "AXR_COL_TIMESTAMPTZ";
	if (fmt && strcmp(fmt, "date") == 0)
		return "AXR_COL_DATE";
	return "AXR_COL_TEXT";
}

/* 'text' with quotes doubled, or NULL when it holds a NUL byte. */
static const char *axrgen__sql_quote(axrgen_gen_t *g, const char *s, size_t len)
{
	if (memchr(s, '\0', len) != NULL)
		return NULL;
	char *out = axrgen_alloc_g(g, 2 * len + 3);
	size_t n = 0;
	out[n++] = '\'';
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\'')
			out[n++] = '\'';
		out[n++] = s[i];
	}
	out[n++] = '\'';
	return out;
}

/* DEFAULT expression from the spec's `default`, when its JSON type fits
 * the column; uuid and date columns get none (AXR writes defaults such as
 * "randomUUID()" there, which are code, not values). */
static const char *axrgen__default_sql(axrgen_gen_t *g, const char *type, const axrgen_schema_t *s)
{
	const axrgen_schema_t *t = axrgen_target(s);
	const axrgen_value_t *d = s && s->default_value ? s->default_value : t ? t->default_value : NULL;
	if (d == NULL || d->kind == AXRGEN_VALUE_NULL)
		return NULL;
	if (strcmp(type, "AXR_COL_TEXT") == 0)
		return d->kind == AXRGEN_VALUE_STRING ? axrgen__sql_quote(g, d->text, d->len) : NULL;
	if (strcmp(type, "AXR_COL_BIGINT") == 0) {
		if (d->kind != AXRGEN_VALUE_INT)
			return NULL;
		errno = 0;
		(void)strtoll(d->text, NULL, 10);
		return errno == 0 ? d->text : NULL;
	}
	if (strcmp(type, "AXR_COL_DOUBLE") == 0)
		return d->kind == AXRGEN_VALUE_INT || d->kind == AXRGEN_VALUE_NUMBER ? d->text : NULL;
	if (strcmp(type, "AXR_COL_BOOLEAN") == 0)
		return d->kind == AXRGEN_VALUE_BOOL ? d->text : NULL;
	if (strcmp(type, "AXR_COL_JSONB") == 0) {
		const char *json = axrgen_value_json(g->arena, d);
		const char *q = json ? axrgen__sql_quote(g, json, strlen(json)) : NULL;
		return q ? axrgen_printf_g(g, "%s::jsonb", q) : NULL;
	}
	return NULL;
}

static int axrgen__column_index(const axrgen_entity_t *e, const char *json)
{
	for (size_t i = 0; i < e->n_columns; i++)
		if (strcmp(e->columns[i].json_name, json) == 0)
			return (int)i;
	return -1;
}

/* A list of property names (x-unique/x-index lists, x-axr-channels), or
 * NULL after reporting what is wrong. */
static const axrgen_value_t *axrgen__name_list(axrgen_gen_t *g, const axrgen_value_t *v, const char *what)
{
	bool ok = v->kind == AXRGEN_VALUE_ARRAY && v->count > 0;
	for (size_t i = 0; ok && i < v->count; i++)
		ok = v->items[i]->kind == AXRGEN_VALUE_STRING;
	if (!ok)
		axrgen_gen_diag(g, AXRGEN_ERROR, v->pos, "%s must be a non-empty list of property names", what);
	return ok ? v : NULL;
}

/* Adds a composite index over `first` and the properties of `list`. */
static void axrgen__index(axrgen_gen_t *g, axrgen_entity_t *e, int first, const axrgen_value_t *list, bool unique)
{
	axrgen_index_t *ix = &e->indexes[e->n_indexes];
	ix->columns = axrgen_alloc_g(g, (list->count + 1) * sizeof(*ix->columns));
	ix->columns[ix->n_columns++] = e->columns[first].name;
	ix->unique = unique;
	ix->pos = list->pos;
	const char *name = axrgen_printf_g(g, "%s_%s", e->table, e->columns[first].name);
	for (size_t i = 0; i < list->count; i++) {
		int c = axrgen__column_index(e, list->items[i]->text);
		if (c < 0) {
			axrgen_gen_diag(g, AXRGEN_ERROR, list->items[i]->pos, "'%s' is not a property of '%s'",
					list->items[i]->text, e->schema->name);
			return;
		}
		ix->columns[ix->n_columns++] = e->columns[c].name;
		name = axrgen_printf_g(g, "%s_%s", name, e->columns[c].name);
	}
	ix->name = axrgen_printf_g(g, "%s_%s", name, unique ? "key" : "idx");
	if (strlen(ix->name) > 63) {
		axrgen_gen_diag(g, AXRGEN_ERROR, list->pos,
				"index name '%s' is longer than PostgreSQL's 63 bytes; use shorter names", ix->name);
		return;
	}
	e->n_indexes++;
}

/* x-unique / x-index on a property: true (a flag) or a list (composite). */
static void axrgen__constraint(axrgen_gen_t *g, axrgen_entity_t *e, int col, const axrgen_value_t *v,
			       const char *what, unsigned flag)
{
	if (v == NULL)
		return;
	if (v->kind == AXRGEN_VALUE_BOOL) {
		if (strcmp(v->text, "true") == 0)
			e->columns[col].flags |= flag;
		return;
	}
	if (axrgen__name_list(g, v, what) != NULL)
		axrgen__index(g, e, col, v, flag == AXR_COLUMN_UNIQUE);
}

/* x-unique / x-index on the schema: a list of property names (one
 * composite index) or a list of such lists. */
static void axrgen__schema_indexes(axrgen_gen_t *g, axrgen_entity_t *e, const char *what, bool unique)
{
	const axrgen_value_t *v = axrgen_ext_get(&e->schema->extensions, what);
	if (v == NULL)
		return;
	bool nested = v->kind == AXRGEN_VALUE_ARRAY && v->count > 0 && v->items[0]->kind == AXRGEN_VALUE_ARRAY;
	for (size_t i = 0; i < (nested ? v->count : 1); i++) {
		const axrgen_value_t *list = axrgen__name_list(g, nested ? v->items[i] : v, what);
		if (list == NULL)
			continue;
		int first = axrgen__column_index(e, list->items[0]->text);
		if (first < 0) {
			axrgen_gen_diag(g, AXRGEN_ERROR, list->items[0]->pos, "'%s' is not a property of '%s'",
					list->items[0]->text, e->schema->name);
			continue;
		}
		if (list->count == 1) { /* one property: the column's flag */
			e->columns[first].flags |= unique ? AXR_COLUMN_UNIQUE : AXR_COLUMN_INDEXED;
			continue;
		}
		axrgen_value_t rest = *list;
		rest.items++;
		rest.count--;
		axrgen__index(g, e, first, &rest, unique);
	}
}

static bool axrgen__flag(const axrgen_value_t *v)
{
	return v != NULL && v->kind == AXRGEN_VALUE_BOOL && strcmp(v->text, "true") == 0;
}

/* The columns; false when the schema lacks a base property (not a table). */
static bool axrgen__columns(axrgen_gen_t *g, axrgen_entity_t *e)
{
	const axrgen_schema_t *s = e->schema;
	bool money = axrgen__flag(axrgen_ext_get(&s->extensions, "x-axr-money"));
	e->columns = axrgen_alloc_g(g, (s->n_properties + AXRGEN__N_BASE) * sizeof(*e->columns));
	for (size_t i = 0; i < AXRGEN__N_BASE; i++) {
		const axrgen_field_t *f = axrgen_msg_field(e->msg, axrgen__base[i].json);
		const axrgen_property_t *prop = axrgen_schema_property(s, axrgen__base[i].json);
		if (f == NULL || prop == NULL) {
			axrgen_gen_diag(g, AXRGEN_WARNING, s->pos,
					"'%s' has x-baseClass but no property '%s', so it gets no table (and its "
					"x-schema routes no generated CRUD); entities carry uid, dateCreated, "
					"dateModified and version (allOf the BaseEntity of spec/common.yaml)",
					s->name, axrgen__base[i].json);
			return false;
		}
		e->columns[e->n_columns++] = (axrgen_column_t){
			.name = axrgen__base[i].column, .json_name = prop->name, .type = axrgen__base[i].type,
			.flags = AXR_COLUMN_NOT_NULL | AXR_COLUMN_READ_ONLY, .field = f->number,
			.schema = prop->schema, .base = true};
	}
	size_t first_own = e->n_columns;
	for (size_t i = 0; i < s->n_properties; i++) {
		const axrgen_property_t *prop = &s->properties[i];
		if (axrgen__is_base(prop->name))
			continue;
		const axrgen_field_t *f = axrgen_msg_field(e->msg, prop->name);
		const char *name = axrgen_snake(g, prop->name);
		bool dup = *name == '\0';
		for (size_t k = 0; k < e->n_columns && !dup; k++)
			dup = strcmp(e->columns[k].name, name) == 0;
		if (dup || f == NULL) {
			axrgen_gen_diag(g, AXRGEN_ERROR, prop->pos,
					"property '%s' of entity '%s' has no column name of its own ('%s')", prop->name,
					s->name, name);
			continue;
		}
		axrgen_column_t *c = &e->columns[e->n_columns++];
		const axrgen_schema_t *t = axrgen_target(prop->schema);
		c->name = name;
		c->json_name = prop->name;
		c->type = axrgen__column_type(f);
		c->field = f->number;
		c->schema = prop->schema;
		if (prop->required && !(t && t->nullable))
			c->flags |= AXR_COLUMN_NOT_NULL;
		if (prop->schema && (prop->schema->read_only || (t && t->read_only)))
			c->flags |= AXR_COLUMN_READ_ONLY;
		/* Money-like: x-axr-money on the property, or on the schema for
		 * every integer property with minimum >= 0. */
		bool prop_money = prop->schema && prop->schema->name == NULL &&
				  axrgen__flag(axrgen_ext_get(&prop->schema->extensions, "x-axr-money"));
		if (prop_money && strcmp(c->type, "AXR_COL_BIGINT") != 0)
			axrgen_gen_diag(g, AXRGEN_ERROR, prop->pos,
					"x-axr-money needs an integer property ('%s' is not one)", prop->name);
		if (strcmp(c->type, "AXR_COL_BIGINT") == 0 &&
		    (prop_money || (money && t && t->minimum.present && t->minimum.value >= 0)))
			c->flags |= AXR_COLUMN_NON_NEGATIVE;
		c->default_sql = axrgen__default_sql(g, c->type, prop->schema);
	}
	/* Constraints, once every column exists (lists name later ones). */
	size_t max_indexes = 2 * e->n_columns;
	for (size_t k = 0; k < 2; k++) {
		const axrgen_value_t *v = axrgen_ext_get(&s->extensions, k ? "x-index" : "x-unique");
		max_indexes += v && v->kind == AXRGEN_VALUE_ARRAY ? v->count : 0;
	}
	e->indexes = axrgen_alloc_g(g, (max_indexes + 1) * sizeof(*e->indexes));
	for (size_t i = first_own; i < e->n_columns; i++) {
		const axrgen_schema_t *ps = e->columns[i].schema;
		if (ps == NULL || ps->name != NULL)
			continue;
		const axrgen_extensions_t *x = &ps->extensions;
		axrgen__constraint(g, e, (int)i, axrgen_ext_get(x, "x-unique"), "x-unique", AXR_COLUMN_UNIQUE);
		axrgen__constraint(g, e, (int)i, axrgen_ext_get(x, "x-index"), "x-index", AXR_COLUMN_INDEXED);
		if (axrgen__flag(axrgen_ext_get(x, "x-identifier"))) {
			e->columns[i].flags |= AXR_COLUMN_IDENTIFIER;
			if (e->identifier_column < 0)
				e->identifier_column = (int)i;
		}
	}
	axrgen__schema_indexes(g, e, "x-unique", true);
	axrgen__schema_indexes(g, e, "x-index", false);
	return true;
}

static void axrgen__ownership(axrgen_gen_t *g, axrgen_entity_t *e)
{
	const axrgen_extensions_t *x = &e->schema->extensions;
	const axrgen_value_t *owner = axrgen_ext_get(x, "x-axr-owner");
	e->channels = axrgen_alloc_g(g, (e->n_columns + 1) * sizeof(*e->channels));
	if (owner != NULL) {
		int c = owner->kind == AXRGEN_VALUE_STRING ? axrgen__column_index(e, owner->text) : -1;
		if (c < 0 || e->columns[c].base) {
			axrgen_gen_diag(g, AXRGEN_ERROR, owner->pos,
					"x-axr-owner must name a property of '%s' other than the base ones (the "
					"owner's uid)", e->schema->name);
		} else {
			e->owner_column = c;
			e->columns[c].flags |= AXR_COLUMN_OWNER;
			e->channels[e->n_channels++] = c;
			if (strcmp(e->columns[c].type, "AXR_COL_UUID") != 0 &&
			    strcmp(e->columns[c].type, "AXR_COL_TEXT") != 0)
				axrgen_gen_diag(g, AXRGEN_ERROR, owner->pos,
						"x-axr-owner '%s' must be a string property (a user's uid)", owner->text);
		}
	}
	const axrgen_value_t *ch = axrgen_ext_get(x, "x-axr-channels");
	if (ch != NULL && axrgen__name_list(g, ch, "x-axr-channels") != NULL) {
		for (size_t i = 0; i < ch->count; i++) {
			int c = axrgen__column_index(e, ch->items[i]->text);
			if (c < 0) {
				axrgen_gen_diag(g, AXRGEN_ERROR, ch->items[i]->pos, "'%s' is not a property of '%s'",
						ch->items[i]->text, e->schema->name);
				continue;
			}
			bool seen = false;
			for (size_t k = 0; k < e->n_channels; k++)
				seen |= e->channels[k] == c;
			if (!seen)
				e->channels[e->n_channels++] = c;
		}
	}
	const axrgen_value_t *tr = axrgen_ext_get(x, "x-axr-trusted-roles");
	if (tr != NULL) {
		bool ok = tr->kind == AXRGEN_VALUE_ARRAY && tr->count > 0;
		for (size_t i = 0; ok && i < tr->count; i++)
			ok = tr->items[i]->kind == AXRGEN_VALUE_STRING && tr->items[i]->len > 0;
		if (!ok) {
			axrgen_gen_diag(g, AXRGEN_ERROR, tr->pos, "x-axr-trusted-roles must be a non-empty list of roles");
		} else {
			e->trusted_roles = axrgen_alloc_g(g, tr->count * sizeof(*e->trusted_roles));
			for (size_t i = 0; i < tr->count; i++)
				e->trusted_roles[e->n_trusted_roles++] = tr->items[i]->text;
		}
	}
}

void axrgen_plan_entities(axrgen_gen_t *g)
{
	const axrgen_service_t *svc = g->svc;
	g->entities = axrgen_alloc_g(g, (svc->n_schemas + 1) * sizeof(*g->entities));
	for (size_t i = 0; i < svc->n_schemas; i++) {
		const axrgen_schema_t *s = svc->schemas[i];
		if (!axrgen_is_entity(s))
			continue;
		axrgen_msg_t *msg = g->nodes[axrgen_target(s)->id].msg;
		if (msg == NULL) {
			axrgen_gen_diag(g, AXRGEN_ERROR, s->pos,
					"entity '%s' (x-baseClass) must be an object with properties", s->name);
			continue;
		}
		axrgen_entity_t *e = &g->entities[g->n_entities++];
		*e = (axrgen_entity_t){0};
		e->schema = s;
		e->msg = msg;
		e->owner_column = -1;
		e->identifier_column = -1;
		e->ident = axrgen_names_unique(g, &g->idents,
					       axrgen_printf_g(g, "%s_entity_%s", g->p, axrgen_ident_part(g, s->name)));
		e->table = axrgen_snake(g, s->name);
		for (size_t k = 0; k + 1 < g->n_entities; k++)
			if (strcmp(g->entities[k].table, e->table) == 0)
				axrgen_gen_diag(g, AXRGEN_ERROR, s->pos, "entities '%s' and '%s' both map to table '%s'",
						g->entities[k].schema->name, s->name, e->table);
		if (!axrgen__columns(g, e)) {
			g->n_entities--;
			continue;
		}
		axrgen__ownership(g, e);
	}
	for (size_t i = 0; i < g->n_ops; i++) {
		axrgen_op_t *o = &g->ops[i];
		if (o->crud == 0)
			continue;
		o->entity = axrgen_entity_of(g, o->op->model);
		if (o->entity == NULL) { /* not a table after all: needs a handler */
			o->crud = 0;
			o->crud_name = NULL;
		}
	}
}
