/* gen_main.c: <svc>_crud.c (weak generated CRUD handlers) and <svc>_main.c (main()). */
#include "gen.h"

#include <string.h>

/* The op's declared query parameters the CRUD query language would not
 * know (not limit/page/sort, not a column): they are skipped, not filters. */
static size_t axrgen__ignored(const axrgen_op_t *o, const char **out)
{
	size_t n = 0;
	for (size_t i = 0; i < o->n_params; i++) {
		const axrgen_param_t *p = o->params[i].p;
		if (p->in != AXRGEN_IN_QUERY || strcmp(p->name, "limit") == 0 || strcmp(p->name, "page") == 0 ||
		    strcmp(p->name, "sort") == 0)
			continue;
		bool column = false;
		for (size_t k = 0; k < o->entity->n_columns && !column; k++)
			column = strcmp(o->entity->columns[k].json_name, p->name) == 0;
		if (!column)
			out[n++] = p->name;
	}
	return n;
}

/* The id of an item route: its last path parameter. */
static const char *axrgen__id_param(const axrgen_op_t *o)
{
	const axrgen_path_t *path = o->op->path;
	return path->segments[path->n_segments - 1].param_name;
}

static void axrgen__crud_body(axrgen_gen_t *g, axrgen_emit_t *e, const axrgen_op_t *o)
{
	const char *entity = o->entity->ident;
	const char *qopt = "NULL";
	if (o->crud == 1 || o->crud == 2 || o->crud == 4) { /* list, count, truncate */
		const char **ignored = axrgen_alloc_g(g, (o->n_params + 1) * sizeof(*ignored));
		size_t n = axrgen__ignored(o, ignored);
		if (n > 0) {
			axrgen_emit(e, "/* Declared query parameters that are not filters. */\n");
			axrgen_emit(e, "static const char *const ignore[] = {");
			for (size_t i = 0; i < n; i++)
				axrgen_emit(e, "%s%s", i ? ", " : "", axrgen_cstr(g, ignored[i]));
			axrgen_emit(e, "};\nstatic const axr_query_options_t qopt = {.ignore = ignore, .n_ignore = %zu};\n",
				    n);
			qopt = "&qopt";
		}
	}
	axrgen_emit(e, "axr_crud_result_t res;\n");
	const char *body = o->body.msg ? "(const ProtobufCMessage *)in->body" : "NULL";
	const char *id = o->crud >= 5 ? axrgen_printf_g(g, "axr_request_param(req, %s)", axrgen_cstr(g, axrgen__id_param(o)))
				      : NULL;
	switch (o->crud) {
	case 1:
		axrgen_emit(e, "ProtobufCMessage *list = NULL;\n(void)in;\n");
		axrgen_emit(e, "int rc = axr_crud_list(req, req->worker->db, &%s, %s, &res);\n", entity, qopt);
		axrgen_emit(e, "if (rc == 0)\n\trc = axr_crud_list_message(&%s, &res, req->arena, &list);\n",
			    o->response.msg->descriptor);
		axrgen_emit(e, "*out = (%s *)list;\nreturn rc;\n", o->response.msg->c_type);
		return;
	case 2:
		axrgen_emit(e, "(void)in;\nreturn axr_crud_count(req, req->worker->db, &%s, %s, &res);\n", entity, qopt);
		return;
	case 3:
		axrgen_emit(e, "int rc = axr_crud_create(req, req->worker->db, &%s, %s, &res);\n", entity, body);
		break;
	case 4:
		axrgen_emit(e, "(void)in;\nreturn axr_crud_truncate(req, req->worker->db, &%s, %s, &res);\n", entity, qopt);
		return;
	case 5:
		axrgen_emit(e, "(void)in;\nint rc = axr_crud_get(req, req->worker->db, &%s, %s, &res);\n", entity, id);
		break;
	case 6:
		axrgen_emit(e, "int rc = axr_crud_update(req, req->worker->db, &%s, %s, %s, &res);\n", entity, id, body);
		break;
	default:
		axrgen_emit(e, "(void)in;\nint rc = axr_crud_delete(req, req->worker->db, &%s, %s, &res);\n", entity, id);
		break;
	}
	if (o->has_out)
		axrgen_emit(e, "*out = (%s *)res.row;\n", o->response.msg->c_type);
	axrgen_emit(e, "return rc;\n");
}

void axrgen_gen_crud_c(axrgen_gen_t *g, axrgen_emit_t *e)
{
	axrgen_banner(g, e, "c");
	axrgen_emit(e, "/* %s_crud.c: the generated CRUD handlers of the %s service: weak definitions that\n"
		       " * run the runtime's CRUD engine (runtime/crud.h) on the operation's entity; a\n"
		       " * hand-written function of the same name replaces one at link time. */\n",
		    g->p, g->name);
	axrgen_emit(e, "#include <stddef.h>\n\n#include \"crud.h\"\n#include \"pool.h\"\n#include \"query.h\"\n\n"
		       "#include \"%s_entities.h\"\n#include \"%s_handlers.h\"\n",
		    g->p, g->p);
	for (size_t i = 0; i < g->n_ops; i++) {
		const axrgen_op_t *o = &g->ops[i];
		if (!o->served || o->crud == 0)
			continue;
		axrgen_emit(e, "\n/* %s %s: %s of %s. */\n", o->method, o->route_path, o->crud_name, o->entity->schema->name);
		axrgen_emit(e, "__attribute__((weak)) %s\n{\n", axrgen_handler_prototype(g, o));
		axrgen_emit_indent(e);
		axrgen__crud_body(g, e, o);
		axrgen_emit_outdent(e);
		axrgen_emit(e, "}\n");
	}
}

void axrgen_gen_main_c(axrgen_gen_t *g, axrgen_emit_t *e)
{
	const char *version = g->svc->api_version ? g->svc->api_version : "0";
	axrgen_banner(g, e, "c");
	axrgen_emit(e, "/* %s_main.c: main() of the %s service (runtime/service.h). */\n", g->p, g->name);
	axrgen_emit(e, "#include \"crud.h\"\n#include \"err.h\"\n#include \"log.h\"\n#include \"migrate.h\"\n"
		       "#include \"op.h\"\n#include \"service.h\"\n\n#include \"%s_entities.h\"\n"
		       "#include \"%s_routes.h\"\n#include \"%s_schema.h\"\n\n",
		    g->p, g->p, g->p);
	axrgen_emit(e, "/* Start-up, after the configuration is read: the validation tables are checked and\n"
		       " * their patterns compiled, the database is migrated to the entities (runtime/migrate.h;\n"
		       " * hand-written steps in migrations/%s/), and the CRUD statements are built. */\n",
		    g->name);
	axrgen_emit(e, "static int %s_service_init(const axr_config_t *cfg, void *ctx)\n{\n", g->p);
	axrgen_emit_indent(e);
	axrgen_emit(e, "(void)ctx;\nint rc = %s_schemas_prepare();\nif (rc != 0)\n\treturn rc;\n", g->p);
	axrgen_emit(e, "if (cfg->database_url != NULL && cfg->database_url[0] != '\\0') {\n");
	axrgen_emit_indent(e);
	axrgen_emit(e, "axr_migrate_options_t mo = {.service = %s, .entities = %s_entities, .n_entities = %s_ENTITY_COUNT};\n",
		    axrgen_cstr(g, g->name), g->p, g->P);
	axrgen_emit(e, "axr_migrate_report_t report = {.noop = false};\n");
	axrgen_emit(e, "if ((rc = axr_migrate_url(cfg->database_url, &mo, &report)) != 0) {\n");
	axrgen_emit(e, "\taxr_log_error(\"migrations: %%s\", report.message[0] ? report.message : axr_strerror(rc));\n"
		       "\treturn rc;\n}\n");
	axrgen_emit_outdent(e);
	axrgen_emit(e, "}\n");
	if (g->n_entities > 0) {
		axrgen_emit(e, "for (size_t i = 0; i < %s_ENTITY_COUNT; i++) {\n", g->P);
		axrgen_emit_indent(e);
		axrgen_emit(e, "char err[256];\nif ((rc = axr_crud_prepare(%s_entities[i], err, sizeof(err))) != 0) {\n", g->p);
		axrgen_emit(e, "\taxr_log_error(\"entity %%s: %%s\", %s_entities[i]->name, err);\n\treturn rc;\n}\n", g->p);
		axrgen_emit_outdent(e);
		axrgen_emit(e, "}\n");
	}
	axrgen_emit(e, "return 0;\n");
	axrgen_emit_outdent(e);
	axrgen_emit(e, "}\n\n");
	axrgen_emit(e, "int main(int argc, char **argv)\n{\n");
	axrgen_emit_indent(e);
	axrgen_emit(e, "static const axr_service_def_t def = {\n");
	axrgen_emit_indent(e);
	axrgen_emit(e, ".name = %s,\n.version = %s,\n.routes = %s_routes,\n.nroutes = %s_ROUTE_COUNT,\n",
		    axrgen_cstr(g, g->name), axrgen_cstr(g, version), g->p, g->P);
	axrgen_emit(e, ".init = %s_service_init,\n.before = axr_op_before,\n", g->p);
	axrgen_emit_outdent(e);
	axrgen_emit(e, "};\nreturn axr_service_main(&def, argc, argv);\n");
	axrgen_emit_outdent(e);
	axrgen_emit(e, "}\n");
}
