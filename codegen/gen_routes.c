/* gen_routes.c: <svc>_handlers.h (the handler contract), <svc>_routes.{h,c} (typed
 * wrappers and the route table over <svc>_ops.c), <svc>_stubs.c and handler scaffolds. */
#include "gen.h"

#include <string.h>

const char *axrgen_handler_prototype(axrgen_gen_t *g, const axrgen_op_t *o)
{
	const char *in = axrgen_printf_g(g, "const %s *in", o->input->c_type);
	const char *out = o->has_out ? axrgen_printf_g(g, "%s **out", o->response.msg->c_type) : NULL;
	const char *line = axrgen_printf_g(g, "int %s(axr_request_t *req, %s%s%s)", o->handler, in, out ? ", " : "",
					   out ? out : "");
	if (strlen(line) <= 120)
		return line;
	/* Too long for one line: one parameter per line. */
	return axrgen_printf_g(g, "int %s(axr_request_t *req,\n\t%s%s%s)", o->handler, in, out ? ",\n\t" : "",
			       out ? out : "");
}

static const char *axrgen__in_name(axrgen_param_in_t in)
{
	return axrgen_param_in_name(in);
}

/* The comment above a handler: route, name, summary, description, types. */
static void axrgen__handler_doc(axrgen_gen_t *g, axrgen_emit_t *e, const axrgen_op_t *o)
{
	const axrgen_operation_t *op = o->op;
	axrgen_emit(e, "/*\n * %s %s (%s)%s\n", o->method, o->route_path, op->handler,
		    op->deprecated ? ", deprecated" : "");
	axrgen_emit_comment_lines(e, " * ", op->summary);
	axrgen_emit_comment_lines(e, " * ", op->description);
	axrgen_emit(e, " * in: %s {", o->input->c_type);
	for (size_t i = 0; i < o->input->n_fields; i++) {
		const axrgen_field_t *f = &o->input->fields[i];
		const char *where = i < o->n_params ? axrgen__in_name(o->params[i].p->in) : "body";
		axrgen_emit(e, "%s%s (%s)", i ? ", " : "", f->name, where);
	}
	axrgen_emit(e, "}\n");
	if (o->has_out)
		axrgen_emit(e, " * out: %s%s, status %d\n", o->response.msg->c_type,
			    o->response.is_array ? " (the JSON array, as `items`)"
			    : o->response.free_form ? " (JSON text)" : "", o->status);
	else
		axrgen_emit(e, " * out: none, status %d\n", o->status);
	if (o->crud != 0)
		axrgen_emit(e, " * Generated CRUD: %s of %s, a weak definition in %s_crud.c;\n"
			       " * a definition of this function elsewhere replaces it.\n",
			    o->crud_name, o->entity ? o->entity->schema->name : "?", g->name);
	axrgen_emit(e, " */\n");
}

void axrgen_gen_handlers_h(axrgen_gen_t *g, axrgen_emit_t *e)
{
	axrgen_banner(g, e, "c");
	axrgen_emit(e, "/* %s_handlers.h: the handlers of the %s service, one per operation. Each gets the\n"
		       " * request's typed, validated input and answers 0 with *out set (a message from\n"
		       " * axr_op_message_new, in the request arena) or a negative AXR_E* code. A missing\n"
		       " * handler fails the link, a wrong signature the compile (docs/axrgen.md). */\n",
		    g->name, g->name);
	axrgen_emit(e, "#ifndef AXR_GEN_%s_HANDLERS_H\n#define AXR_GEN_%s_HANDLERS_H\n\n", g->P, g->P);
	axrgen_emit(e, "#include \"err.h\"\n#include \"op.h\"\n#include \"request.h\"\n\n#include \"%s.pb-c.h\"\n",
		    g->name);
	for (size_t i = 0; i < g->n_ops; i++) {
		const axrgen_op_t *o = &g->ops[i];
		if (!o->served)
			continue;
		axrgen_emit(e, "\n");
		axrgen__handler_doc(g, e, o);
		axrgen_emit(e, "%s;\n", axrgen_handler_prototype(g, o));
	}
	axrgen_emit(e, "\n#endif\n");
}

size_t axrgen_route_count(const axrgen_gen_t *g)
{
	size_t n = 0;
	for (size_t i = 0; i < g->n_ops; i++)
		n += g->ops[i].served;
	return n;
}

void axrgen_gen_routes_h(axrgen_gen_t *g, axrgen_emit_t *e)
{
	axrgen_banner(g, e, "c");
	axrgen_emit(e, "/* %s_routes.h: the route table of the %s service (runtime/router.h). */\n", g->name, g->name);
	axrgen_emit(e, "#ifndef AXR_GEN_%s_ROUTES_H\n#define AXR_GEN_%s_ROUTES_H\n\n#include \"router.h\"\n\n", g->P,
		    g->P);
	axrgen_emit(e, "#define %s_ROUTE_COUNT %zu\n\n", g->P, axrgen_route_count(g));
	axrgen_emit(e, "/* One route per operation, sorted by path and method; each names its operation\n"
		       " * (axr_op_t, op.h) and a wrapper that calls the typed handler. */\n");
	axrgen_emit(e, "extern const axr_route_t %s_routes[];\n\n#endif\n", g->p);
}

static void axrgen__wrapper(axrgen_emit_t *e, const axrgen_op_t *o)
{
	axrgen_emit(e, "/* %s %s */\n", o->method, o->route_path);
	axrgen_emit(e, "static int %s(axr_request_t *req)\n{\n", o->wrapper);
	axrgen_emit_indent(e);
	if (o->has_out) {
		axrgen_emit(e, "%s *out = NULL;\n", o->response.msg->c_type);
		axrgen_emit(e, "int rc = %s(req, req->input, &out);\n", o->handler);
		axrgen_emit(e, "return axr_op_respond(req, rc, (const ProtobufCMessage *)out);\n");
	} else {
		axrgen_emit(e, "int rc = %s(req, req->input);\n", o->handler);
		axrgen_emit(e, "return axr_op_respond(req, rc, NULL);\n");
	}
	axrgen_emit_outdent(e);
	axrgen_emit(e, "}\n\n");
}

void axrgen_gen_routes_c(axrgen_gen_t *g, axrgen_emit_t *e)
{
	axrgen_banner(g, e, "c");
	axrgen_emit(e, "/* %s_routes.c: the route table of the %s service: each route names its operation\n"
		       " * (%s_ops.c) and a wrapper that only calls the typed handler (%s_handlers.h). */\n",
		    g->name, g->name, g->name, g->name);
	axrgen_emit(e, "#include \"%s_routes.h\"\n\n#include <stddef.h>\n\n", g->name);
	axrgen_emit(e, "#include \"http.h\"\n#include \"op.h\"\n\n");
	axrgen_emit(e, "#include \"%s_handlers.h\"\n#include \"%s_ops.h\"\n\n", g->name, g->name);
	for (size_t i = 0; i < g->n_ops; i++)
		if (g->ops[i].served)
			axrgen__wrapper(e, &g->ops[i]);
	axrgen_emit(e, "const axr_route_t %s_routes[] = {\n", g->p);
	axrgen_emit_indent(e);
	size_t n = 0;
	for (size_t i = 0; i < g->n_ops; i++) {
		const axrgen_op_t *o = &g->ops[i];
		if (!o->served)
			continue;
		n++;
		axrgen_emit(e, "/* %s %s */\n", o->method, o->route_path);
		axrgen_emit(e, "{.method = %s, .path = %s, .handler = %s, .op = &%s, .name = %s},\n", o->http_enum,
			    axrgen_cstr(g, o->route_path), o->wrapper, o->op_ident, axrgen_cstr(g, o->op->handler));
	}
	if (n == 0)
		axrgen_emit(e, "{.path = NULL}, /* no routes: C has no empty arrays */\n");
	axrgen_emit_outdent(e);
	axrgen_emit(e, "};\n");
}

/* A handler body answering 501 (stubs and scaffolds). */
static void axrgen__stub(axrgen_gen_t *g, axrgen_emit_t *e, const axrgen_op_t *o, bool todo)
{
	axrgen_emit(e, "%s\n{\n", axrgen_handler_prototype(g, o));
	axrgen_emit_indent(e);
	if (todo) {
		axrgen_emit(e, "/* TODO: implement %s %s.", o->method, o->route_path);
		if (o->has_out)
			axrgen_emit(e, " Answer with\n *   %s *res = (%s *)axr_op_message_new(req, &%s);\n"
				       " *   ... fill res ...; *out = res; return 0; */\n",
				    o->response.msg->c_type, o->response.msg->c_type, o->response.msg->descriptor);
		else
			axrgen_emit(e, " Return 0 when done. */\n");
	}
	axrgen_emit(e, "(void)req;\n(void)in;\n");
	if (o->has_out)
		axrgen_emit(e, "(void)out;\n");
	axrgen_emit(e, "return AXR_ENOTIMPL;\n");
	axrgen_emit_outdent(e);
	axrgen_emit(e, "}\n");
}

void axrgen_gen_stubs_c(axrgen_gen_t *g, axrgen_emit_t *e)
{
	axrgen_banner(g, e, "c");
	axrgen_emit(e, "/* %s_stubs.c: every handler of the %s service answering 501 (axrgen generate\n"
		       " * --stubs, for compiling a spec without its handlers). */\n",
		    g->name, g->name);
	axrgen_emit(e, "#include \"%s_handlers.h\"\n", g->name);
	for (size_t i = 0; i < g->n_ops; i++) {
		if (!axrgen_op_needs_handler(&g->ops[i]))
			continue;
		axrgen_emit(e, "\n/* %s %s */\n", g->ops[i].method, g->ops[i].route_path);
		axrgen__stub(g, e, &g->ops[i], false);
	}
}

bool axrgen_gen_scaffold(axrgen_gen_t *g, const char *resource, const axrgen_names_t *defined, axrgen_emit_t *e)
{
	bool any = false;
	for (size_t i = 0; i < g->n_ops; i++) {
		const axrgen_op_t *o = &g->ops[i];
		if (!axrgen_op_needs_handler(o) || strcmp(o->resource, resource) != 0 ||
		    axrgen_names_has(defined, o->handler))
			continue;
		if (!any) {
			axrgen_emit(e, "/* %s.c: the %s handlers of the %s service. */\n", resource, resource, g->name);
			axrgen_emit(e, "/* Scaffolded once by axrgen from %s:\n"
				       " * this file is yours; axrgen never touches it again. Contracts: %s_handlers.h. */\n",
				    g->spec, g->name);
			axrgen_emit(e, "#include \"%s_handlers.h\"\n", g->name);
		}
		any = true;
		axrgen_emit(e, "\n");
		axrgen__handler_doc(g, e, o);
		axrgen__stub(g, e, o, true);
	}
	return any;
}
