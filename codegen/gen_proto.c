/* gen_proto.c: <svc>.proto, the service's model types as proto2 messages. */
#include "gen.h"

#include <string.h>

static const char *axrgen__ptype(const axrgen_ftype_t *t)
{
	switch (t->type) {
	case AXRGEN_P_INT32: return "int32";
	case AXRGEN_P_INT64: return "int64";
	case AXRGEN_P_DOUBLE: return "double";
	case AXRGEN_P_BOOL: return "bool";
	case AXRGEN_P_MESSAGE: return t->msg->name;
	default: return "string";
	}
}

static void axrgen__message(axrgen_gen_t *g, axrgen_emit_t *e, const axrgen_msg_t *msg)
{
	axrgen_emit(e, "// %s: %s.\n", msg->name, msg->origin ? msg->origin : "");
	axrgen_emit_comment_lines(e, "// ", msg->comment);
	axrgen_emit(e, "message %s {\n", msg->name);
	axrgen_emit_indent(e);
	for (size_t i = 0; i < msg->n_fields; i++) {
		const axrgen_field_t *f = &msg->fields[i];
		axrgen_emit_comment_lines(e, "// ", f->description);
		axrgen_emit(e, "%s %s %s = %u;", f->t.repeated ? "repeated" : "optional", axrgen__ptype(&f->t), f->name,
			    (unsigned)f->number);
		if (f->t.json)
			axrgen_emit(e, " // JSON text");
		if (f->json_name && strcmp(f->json_name, f->name) != 0 && msg->kind != AXRGEN_MSG_LIST)
			axrgen_emit(e, "%s\"%s\"", f->t.json ? " of " : " // ", f->json_name);
		axrgen_emit(e, "\n");
	}
	if (msg->n_reserved > 0) {
		axrgen_emit(e, "reserved ");
		for (size_t i = 0; i < msg->n_reserved; i++)
			axrgen_emit(e, "%s%u", i ? ", " : "", (unsigned)msg->reserved[i]);
		axrgen_emit(e, "; // retired (spec/%s.lock)\n", g->name);
	}
	axrgen_emit_outdent(e);
	axrgen_emit(e, "}\n");
}

void axrgen_gen_proto(axrgen_gen_t *g, axrgen_emit_t *e)
{
	axrgen_banner(g, e, "//");
	axrgen_emit(e, "// The model types of the %s service (docs/model-mapping.md): protoc-c turns each\n"
		       "// message into a C struct (%s__Name). Field numbers are kept in %s.lock.\n",
		    g->name, g->pkg_camel, g->name);
	axrgen_emit(e, "syntax = \"proto2\";\n\npackage %s;\n", g->p);
	for (size_t i = 0; i < g->n_msgs; i++) {
		axrgen_emit(e, "\n");
		axrgen__message(g, e, g->msgs[i]);
	}
}
