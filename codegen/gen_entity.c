/* gen_entity.c: <svc>_entities.{h,c}: the database tables of a service (runtime/entity.h). */
#include "gen.h"

#include <string.h>

#include "entity.h"

void axrgen_gen_entities_h(axrgen_gen_t *g, axrgen_emit_t *e)
{
	axrgen_banner(g, e, "c");
	axrgen_emit(e, "/* %s_entities.h: the database tables of the %s service (runtime/entity.h): one\n"
		       " * per schema with x-baseClass. */\n",
		    g->name, g->name);
	axrgen_emit(e, "#ifndef AXR_GEN_%s_ENTITIES_H\n#define AXR_GEN_%s_ENTITIES_H\n\n#include \"entity.h\"\n\n",
		    g->P, g->P);
	axrgen_emit(e, "#define %s_ENTITY_COUNT %zu\n\n", g->P, g->n_entities);
	for (size_t i = 0; i < g->n_entities; i++)
		axrgen_emit(e, "extern const axr_entity_t %s; /* table %s */\n", g->entities[i].ident,
			    g->entities[i].table);
	axrgen_emit(e, "%s/* Every entity, in schema name order (migrations walk it). */\n", g->n_entities ? "\n" : "");
	axrgen_emit(e, "extern const axr_entity_t *const %s_entities[];\n\n#endif\n", g->p);
}

static const char *axrgen__column_flags(axrgen_gen_t *g, unsigned flags)
{
	static const char *const names[] = {"AXR_COLUMN_NOT_NULL",   "AXR_COLUMN_UNIQUE", "AXR_COLUMN_INDEXED",
					    "AXR_COLUMN_IDENTIFIER", "AXR_COLUMN_OWNER",  "AXR_COLUMN_READ_ONLY",
					    "AXR_COLUMN_NON_NEGATIVE"};
	const char *out = "";
	for (unsigned i = 0; i < 7; i++)
		if (flags & (1u << i))
			out = axrgen_printf_g(g, "%s%s%s", out, *out ? " | " : "", names[i]);
	return out;
}

static void axrgen__entity(axrgen_gen_t *g, axrgen_emit_t *e, const axrgen_entity_t *en)
{
	const axrgen_schema_t *s = en->schema;
	axrgen_emit(e, "/* %s -> table %s", s->name, en->table);
	if (s->description) {
		axrgen_emit(e, ":\n");
		axrgen_emit_comment_lines(e, " * ", s->description);
		axrgen_emit(e, " */\n");
	} else {
		axrgen_emit(e, " */\n");
	}
	axrgen_emit(e, "const axr_entity_t %s = {\n", en->ident);
	axrgen_emit_indent(e);
	axrgen_emit(e, ".name = %s,\n.table = %s,\n", axrgen_cstr(g, s->name), axrgen_cstr(g, en->table));
	axrgen_emit(e, ".columns = (const axr_column_t[]){\n");
	axrgen_emit_indent(e);
	for (size_t i = 0; i < en->n_columns; i++) {
		const axrgen_column_t *c = &en->columns[i];
		axrgen_emit(e, "{.name = %s, .json_name = %s, .type = %s, ", axrgen_cstr(g, c->name),
			    axrgen_cstr(g, c->json_name), c->type);
		const char *flags = axrgen__column_flags(g, c->flags);
		if (*flags)
			axrgen_emit(e, ".flags = %s, ", flags);
		axrgen_emit(e, ".field = %u, .schema = &%s", (unsigned)c->field,
			    c->schema ? g->nodes[c->schema->id].ident : axrgen_printf_g(g, "%s_schema_any", g->p));
		if (c->default_sql)
			axrgen_emit(e, ", .default_sql = %s", axrgen_cstr(g, c->default_sql));
		axrgen_emit(e, "},\n");
	}
	axrgen_emit_outdent(e);
	axrgen_emit(e, "},\n.n_columns = %zu,\n", en->n_columns);
	if (en->n_indexes > 0) {
		axrgen_emit(e, ".indexes = (const axr_index_t[]){\n");
		axrgen_emit_indent(e);
		for (size_t i = 0; i < en->n_indexes; i++) {
			const axrgen_index_t *ix = &en->indexes[i];
			axrgen_emit(e, "{.name = %s, .columns = (const char *const[]){", axrgen_cstr(g, ix->name));
			for (size_t k = 0; k < ix->n_columns; k++)
				axrgen_emit(e, "%s%s", k ? ", " : "", axrgen_cstr(g, ix->columns[k]));
			axrgen_emit(e, "}, .n_columns = %zu%s},\n", ix->n_columns, ix->unique ? ", .unique = true" : "");
		}
		axrgen_emit_outdent(e);
		axrgen_emit(e, "},\n.n_indexes = %zu,\n", en->n_indexes);
	}
	axrgen_emit(e, ".message = &%s,\n.schema = &%s,\n", en->msg->descriptor, g->nodes[s->id].ident);
	axrgen_emit(e, ".owner_column = %d,\n.identifier_column = %d,\n", en->owner_column, en->identifier_column);
	if (en->n_channels > 0) {
		axrgen_emit(e, ".channel_columns = (const int[]){");
		for (size_t i = 0; i < en->n_channels; i++)
			axrgen_emit(e, "%s%d", i ? ", " : "", en->channels[i]);
		axrgen_emit(e, "},\n.n_channel_columns = %zu,\n", en->n_channels);
	}
	if (en->n_trusted_roles > 0) {
		axrgen_emit(e, ".trusted_roles = (const char *const[]){");
		for (size_t i = 0; i < en->n_trusted_roles; i++)
			axrgen_emit(e, "%s%s", i ? ", " : "", axrgen_cstr(g, en->trusted_roles[i]));
		axrgen_emit(e, "},\n.n_trusted_roles = %zu,\n", en->n_trusted_roles);
	}
	axrgen_emit_outdent(e);
	axrgen_emit(e, "};\n\n");
}

void axrgen_gen_entities_c(axrgen_gen_t *g, axrgen_emit_t *e)
{
	axrgen_banner(g, e, "c");
	axrgen_emit(e, "/* %s_entities.c: the database tables of the %s service as data; the runtime's\n"
		       " * CRUD, query and migration engines walk them (runtime/entity.h). */\n",
		    g->name, g->name);
	axrgen_emit(e, "#include \"%s_entities.h\"\n\n#include <stdbool.h>\n#include <stddef.h>\n\n", g->name);
	axrgen_emit(e, "#include \"%s.pb-c.h\"\n#include \"%s_schema.h\"\n\n", g->name, g->name);
	for (size_t i = 0; i < g->n_entities; i++)
		axrgen__entity(g, e, &g->entities[i]);
	axrgen_emit(e, "const axr_entity_t *const %s_entities[] = {\n", g->p);
	axrgen_emit_indent(e);
	for (size_t i = 0; i < g->n_entities; i++)
		axrgen_emit(e, "&%s,\n", g->entities[i].ident);
	if (g->n_entities == 0)
		axrgen_emit(e, "NULL, /* no entities: C has no empty arrays */\n");
	axrgen_emit_outdent(e);
	axrgen_emit(e, "};\n");
}
