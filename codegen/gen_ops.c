/* gen_ops.c: <svc>_ops.{h,c}: the operations of a service as data (axr_op_t), shared
 * by the server's route table and the client, and the client's route table (no
 * handlers), so a client links the descriptors without the server. */
#include "gen.h"

#include <string.h>

static void axrgen__payload(axrgen_gen_t *g, axrgen_emit_t *e, const char *field, const axrgen_payload_t *pl)
{
	if (pl->media == NULL)
		return;
	axrgen_emit(e, ".%s = {.schema = &%s", field,
		    pl->schema ? g->nodes[pl->schema->id].ident : axrgen_printf_g(g, "%s_schema_any", g->p));
	if (pl->msg)
		axrgen_emit(e, ", .message = &%s", pl->msg->descriptor);
	if (pl->is_array)
		axrgen_emit(e, ", .is_array = true");
	if (pl->free_form)
		axrgen_emit(e, ", .free_form = true");
	axrgen_emit(e, "},\n");
}

static const char *axrgen__param_in(axrgen_param_in_t in)
{
	switch (in) {
	case AXRGEN_IN_PATH: return "AXR_PARAM_PATH";
	case AXRGEN_IN_QUERY: return "AXR_PARAM_QUERY";
	case AXRGEN_IN_HEADER: return "AXR_PARAM_HEADER";
	default: return "AXR_PARAM_COOKIE";
	}
}

static void axrgen__op_table(axrgen_gen_t *g, axrgen_emit_t *e, const axrgen_op_t *o)
{
	const axrgen_operation_t *op = o->op;
	axrgen_emit(e, "/* %s %s", o->method, o->route_path);
	if (op->summary && strchr(op->summary, '\n') == NULL && strlen(op->summary) + strlen(o->route_path) < 80) {
		axrgen_emit(e, ": ");
		axrgen_emit_comment_text(e, op->summary);
		axrgen_emit(e, " */\n");
	} else if (op->summary) {
		axrgen_emit(e, ":\n");
		axrgen_emit_comment_lines(e, " * ", op->summary);
		axrgen_emit(e, " */\n");
	} else {
		axrgen_emit(e, " */\n");
	}
	axrgen_emit(e, "const axr_op_t %s = {\n", o->op_ident);
	axrgen_emit_indent(e);
	axrgen_emit(e, ".name = %s,\n", axrgen_cstr(g, op->handler));
	if (op->summary)
		axrgen_emit(e, ".summary = %s,\n", axrgen_cstr(g, op->summary));
	const char *flags = "";
	if (o->auth)
		flags = "AXR_OP_AUTH";
	if (o->auth_optional)
		flags = "AXR_OP_AUTH_OPTIONAL";
	if (o->body_required)
		flags = axrgen_printf_g(g, "%s%sAXR_OP_BODY_REQUIRED", flags, *flags ? " | " : "");
	if (o->idempotent)
		flags = axrgen_printf_g(g, "%s%sAXR_OP_IDEMPOTENT", flags, *flags ? " | " : "");
	if (*flags)
		axrgen_emit(e, ".flags = %s,\n", flags);
	if (o->n_roles > 0) {
		axrgen_emit(e, ".roles = (const char *const[]){");
		for (size_t i = 0; i < o->n_roles; i++)
			axrgen_emit(e, "%s%s", i ? ", " : "", axrgen_cstr(g, o->roles[i]));
		axrgen_emit(e, "},\n.n_roles = %zu,\n", o->n_roles);
	}
	if (o->n_params > 0) {
		axrgen_emit(e, ".params = (const axr_param_spec_t[]){\n");
		axrgen_emit_indent(e);
		for (size_t i = 0; i < o->n_params; i++) {
			const axrgen_pparam_t *pp = &o->params[i];
			axrgen_emit(e, "{.name = %s, .in = %s, ", axrgen_cstr(g, pp->p->name), axrgen__param_in(pp->p->in));
			if (pp->p->required)
				axrgen_emit(e, ".required = true, ");
			axrgen_emit(e, ".style = %s, .schema = &%s", pp->style,
				    pp->p->schema ? g->nodes[pp->p->schema->id].ident
						  : axrgen_printf_g(g, "%s_schema_any", g->p));
			if (pp->input_name)
				axrgen_emit(e, ", .input_name = %s", axrgen_cstr(g, pp->input_name));
			axrgen_emit(e, "},\n");
		}
		axrgen_emit_outdent(e);
		axrgen_emit(e, "},\n.n_params = %zu,\n", o->n_params);
	}
	axrgen_emit(e, ".input = &%s,\n.input_schema = &%s,\n", o->input->descriptor, o->input_table);
	axrgen__payload(g, e, "body", &o->body);
	if (o->list_filters)
		axrgen_emit(e, ".list_filters = true,\n");
	axrgen_emit(e, ".status = %d,\n", o->status);
	if (o->has_out)
		axrgen__payload(g, e, "response", &o->response);
	if (o->crud != 0 && o->entity != NULL)
		axrgen_emit(e, ".entity = &%s,\n.crud = %s,\n", o->entity->ident, o->crud_name);
	axrgen_emit_outdent(e);
	axrgen_emit(e, "};\n\n");
}

void axrgen_gen_ops_h(axrgen_gen_t *g, axrgen_emit_t *e)
{
	axrgen_banner(g, e, "c");
	axrgen_emit(e, "/* %s_ops.h: the operations of the %s service as data (runtime/op.h), named by\n"
		       " * the server's route table (%s_routes.c) and the client (%s_client.c), and the\n"
		       " * client's route table: method, path and operation, no handler. */\n",
		    g->name, g->name, g->name, g->name);
	axrgen_emit(e, "#ifndef AXR_GEN_%s_OPS_H\n#define AXR_GEN_%s_OPS_H\n\n#include \"op.h\"\n#include \"router.h\"\n\n",
		    g->P, g->P);
	for (size_t i = 0; i < g->n_ops; i++) {
		const axrgen_op_t *o = &g->ops[i];
		if (o->served)
			axrgen_emit(e, "extern const axr_op_t %s; /* %s %s */\n", o->op_ident, o->method, o->route_path);
	}
	size_t n_routes = axrgen_route_count(g);
	axrgen_emit(e, "%s#define %s_CLIENT_ROUTE_COUNT %zu\n\n", n_routes ? "\n" : "", g->P, n_routes);
	axrgen_emit(e, "/* The rows of %s_client_routes (the order of %s_routes). */\nenum {\n", g->p, g->p);
	axrgen_emit_indent(e);
	size_t n = 0;
	for (size_t i = 0; i < g->n_ops; i++)
		if (g->ops[i].served)
			axrgen_emit(e, "%s = %zu,\n", g->ops[i].client_index, n++);
	if (n == 0)
		axrgen_emit(e, "%s_CLIENT_NONE = 0, /* no operations */\n", g->P);
	axrgen_emit_outdent(e);
	axrgen_emit(e, "};\n\n");
	axrgen_emit(e, "/* One route per operation for axr_client_call() (runtime/client.h): .method, .path,\n"
		       " * .op and .name; .handler is NULL. */\n");
	axrgen_emit(e, "extern const axr_route_t %s_client_routes[];\n\n#endif\n", g->p);
}

void axrgen_gen_ops_c(axrgen_gen_t *g, axrgen_emit_t *e)
{
	axrgen_banner(g, e, "c");
	axrgen_emit(e, "/* %s_ops.c: the operations of the %s service as data (runtime/op.h) and the\n"
		       " * client's route table; no handler is named here. */\n",
		    g->name, g->name);
	axrgen_emit(e, "#include \"%s_ops.h\"\n\n#include <stdbool.h>\n#include <stddef.h>\n\n", g->name);
	axrgen_emit(e, "#include \"entity.h\"\n#include \"http.h\"\n#include \"op.h\"\n#include \"validate.h\"\n\n");
	axrgen_emit(e, "#include \"%s.pb-c.h\"\n#include \"%s_entities.h\"\n#include \"%s_schema.h\"\n\n", g->name,
		    g->name, g->name);
	for (size_t i = 0; i < g->n_ops; i++)
		if (g->ops[i].served)
			axrgen__op_table(g, e, &g->ops[i]);
	axrgen_emit(e, "const axr_route_t %s_client_routes[] = {\n", g->p);
	axrgen_emit_indent(e);
	size_t n = 0;
	for (size_t i = 0; i < g->n_ops; i++) {
		const axrgen_op_t *o = &g->ops[i];
		if (!o->served)
			continue;
		n++;
		axrgen_emit(e, "[%s] = {.method = %s, .path = %s, .op = &%s, .name = %s},\n", o->client_index,
			    o->http_enum, axrgen_cstr(g, o->route_path), o->op_ident, axrgen_cstr(g, o->op->handler));
	}
	if (n == 0)
		axrgen_emit(e, "{.path = NULL}, /* no routes: C has no empty arrays */\n");
	axrgen_emit_outdent(e);
	axrgen_emit(e, "};\n");
}
