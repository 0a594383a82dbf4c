/* gen_main.c: <svc>_crud.c (weak generated CRUD handlers) and <svc>_main.c (main()). */
#include "gen.h"

#include <string.h>

void axrgen_gen_crud_c(axrgen_gen_t *g, axrgen_emit_t *e)
{
	axrgen_banner(g, e, "c");
	axrgen_emit(e, "/* %s_crud.c: the generated CRUD handlers of the %s service: weak definitions that\n"
		       " * run the runtime's CRUD engine on the operation's entity and kind (op->entity,\n"
		       " * op->crud; runtime/crud_handle.h); a hand-written function of the same name\n"
		       " * replaces one at link time. */\n",
		    g->name, g->name);
	axrgen_emit(e, "#include <stddef.h>\n\n#include \"crud_handle.h\"\n\n#include \"%s_handlers.h\"\n", g->name);
	for (size_t i = 0; i < g->n_ops; i++) {
		const axrgen_op_t *o = &g->ops[i];
		if (!o->served || o->crud == 0)
			continue;
		axrgen_emit(e, "\n/* %s %s: %s of %s. */\n", o->method, o->route_path, o->crud_name, o->entity->schema->name);
		axrgen_emit(e, "__attribute__((weak)) %s\n{\n", axrgen_handler_prototype(g, o));
		axrgen_emit_indent(e);
		axrgen_emit(e, "ProtobufCMessage *msg = NULL;\n(void)in;\n");
		if (o->has_out)
			axrgen_emit(e, "int rc = axr_crud_handle_generated(req, &msg);\n*out = (%s *)msg;\nreturn rc;\n",
				    o->response.msg->c_type);
		else
			axrgen_emit(e, "return axr_crud_handle_generated(req, &msg);\n");
		axrgen_emit_outdent(e);
		axrgen_emit(e, "}\n");
	}
}

void axrgen_gen_main_c(axrgen_gen_t *g, axrgen_emit_t *e)
{
	const char *version = g->svc->api_version ? g->svc->api_version : "0";
	axrgen_banner(g, e, "c");
	axrgen_emit(e, "/* %s_main.c: main() of the %s service (runtime/service.h). */\n", g->name, g->name);
	axrgen_emit(e, "#include \"crud.h\"\n#include \"err.h\"\n#include \"log.h\"\n#include \"migrate.h\"\n"
		       "#include \"op.h\"\n#include \"service.h\"\n\n#include \"%s_entities.h\"\n"
		       "#include \"%s_routes.h\"\n#include \"%s_schema.h\"\n\n",
		    g->name, g->name, g->name);
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
	axrgen_emit(e, "/* The service's hand-written additions (settings, start-up after the migrations,\n"
		       " * background work), when handlers/%s/ defines them: a weak reference, so a\n"
		       " * service without any needs no definition. */\n"
		       "extern const axr_service_hooks_t %s_hooks __attribute__((weak));\n\n",
		    g->name, g->p);
	axrgen_emit(e, "int main(int argc, char **argv)\n{\n");
	axrgen_emit_indent(e);
	axrgen_emit(e, "static const axr_service_def_t def = {\n");
	axrgen_emit_indent(e);
	axrgen_emit(e, ".name = %s,\n.version = %s,\n.routes = %s_routes,\n.nroutes = %s_ROUTE_COUNT,\n",
		    axrgen_cstr(g, g->name), axrgen_cstr(g, version), g->p, g->P);
	axrgen_emit(e, ".init = %s_service_init,\n.before = axr_op_before,\n.hooks = &%s_hooks,\n", g->p, g->p);
	axrgen_emit_outdent(e);
	axrgen_emit(e, "};\nreturn axr_service_main(&def, argc, argv);\n");
	axrgen_emit_outdent(e);
	axrgen_emit(e, "}\n");
}
