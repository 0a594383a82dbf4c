/* gen_client.c: <svc>_client.{h,c}: per operation a typed blocking function, an async
 * twin and their `_ex` forms taking per-call settings, thin wrappers over
 * axr_client_call_opts() and axr_client_call_async() (runtime/client.h) driven by
 * <svc>_client_routes (docs/clients.md). */
#include "gen.h"

#include <string.h>

/* What a stub takes as its own arguments: the required scalar path
 * parameters and the body (a message or JSON text); everything else goes
 * through `opts`, the operation's input message. */
typedef struct axrgen__arg {
	const axrgen_field_t *f;
	const char *name;  /* the C argument */
	const char *decl;  /* "const char *id" */
	bool string;       /* a char * member (set when the argument is not NULL) */
	bool message;      /* a message pointer member (set when not NULL) */
} axrgen__arg_t;

/* Names the generated functions use themselves. */
static const char *axrgen__arg_name(axrgen_gen_t *g, const char *field)
{
	static const char *const taken[] = {"c",  "base", "opts", "out", "arena", "err", "cb",   "ud",
	                                    "in", "m",    "rc",   "zero", "call", "total", "set"};
	for (size_t i = 0; i < sizeof(taken) / sizeof(taken[0]); i++)
		if (strcmp(field, taken[i]) == 0)
			return axrgen_printf_g(g, "%s_arg", field);
	return field;
}

static const char *axrgen__scalar_c_type(axrgen_ptype_t t)
{
	switch (t) {
	case AXRGEN_P_STRING: return "const char *";
	case AXRGEN_P_INT32: return "int32_t ";
	case AXRGEN_P_INT64: return "int64_t ";
	case AXRGEN_P_DOUBLE: return "double ";
	case AXRGEN_P_BOOL: return "protobuf_c_boolean ";
	default: return NULL;
	}
}

/* The stub's own arguments of `o` into args (room for n_params + 1). */
static size_t axrgen__args(axrgen_gen_t *g, const axrgen_op_t *o, axrgen__arg_t *args)
{
	size_t n = 0;
	for (size_t i = 0; i < o->n_params; i++) {
		const axrgen_pparam_t *pp = &o->params[i];
		const axrgen_field_t *f = pp->field;
		const char *ct = f ? axrgen__scalar_c_type(f->t.type) : NULL;
		if (pp->p->in != AXRGEN_IN_PATH || !pp->p->required || ct == NULL || f->t.repeated)
			continue;
		axrgen__arg_t *a = &args[n++];
		a->f = f;
		a->name = axrgen__arg_name(g, f->name);
		a->decl = axrgen_printf_g(g, "%s%s", ct, a->name);
		a->string = f->t.type == AXRGEN_P_STRING;
	}
	if (o->body.media != NULL && o->input->n_fields > o->n_params) {
		const axrgen_field_t *f = &o->input->fields[o->n_params];
		axrgen__arg_t *a = &args[n];
		a->f = f;
		a->name = axrgen__arg_name(g, f->name);
		if (!f->t.repeated && f->t.type == AXRGEN_P_MESSAGE && f->t.msg != NULL) {
			a->decl = axrgen_printf_g(g, "const %s *%s", f->t.msg->c_type, a->name);
			a->message = true;
			n++;
		} else if (!f->t.repeated && f->t.type == AXRGEN_P_STRING) {
			a->decl = axrgen_printf_g(g, "const char *%s", a->name);
			a->string = true;
			n++;
		}
	}
	return n;
}

/* "int name(a, b, ...)" wrapped at about 110 columns, continuation lines
 * indented by one tab. */
static const char *axrgen__proto(axrgen_gen_t *g, const char *name, const char *const *params, size_t n)
{
	const char *s = axrgen_printf_g(g, "int %s(", name);
	size_t col = strlen(s);
	for (size_t i = 0; i < n; i++) {
		size_t w = strlen(params[i]) + (i + 1 < n ? 1 : 2);
		if (i > 0 && col + 1 + w > 110) {
			s = axrgen_printf_g(g, "%s\n\t%s", s, params[i]);
			col = 8 + strlen(params[i]);
		} else {
			s = axrgen_printf_g(g, "%s%s%s", s, i ? " " : "", params[i]);
			col += (i ? 1 : 0) + strlen(params[i]);
		}
		s = axrgen_printf_g(g, "%s%s", s, i + 1 < n ? "," : ")");
		col++;
	}
	return s;
}

/* The prototype of one of an operation's four stubs: blocking or `async`, plain or
 * `ex` (with `const axr_client_call_opts_t *call` after opts). */
static const char *axrgen__client_proto(axrgen_gen_t *g, const axrgen_op_t *o, bool async, bool ex)
{
	const char **params = axrgen_alloc_g(g, (o->n_params + 12) * sizeof(*params));
	axrgen__arg_t *a = axrgen_alloc_g(g, (o->n_params + 1) * sizeof(*a));
	size_t na = axrgen__args(g, o, a), n = 0;
	params[n++] = "axr_client_t *c";
	if (async)
		params[n++] = "struct event_base *base";
	for (size_t i = 0; i < na; i++)
		params[n++] = a[i].decl;
	params[n++] = axrgen_printf_g(g, "const %s *opts", o->input->c_type);
	if (ex)
		params[n++] = "const axr_client_call_opts_t *call";
	if (!async && o->has_out)
		params[n++] = axrgen_printf_g(g, "%s **out", o->response.msg->c_type);
	if (o->counts)
		params[n++] = "int64_t *total";
	params[n++] = "axr_arena_t *arena";
	params[n++] = "axr_client_error_t *err";
	if (async) {
		params[n++] = "axr_client_cb cb";
		params[n++] = "void *ud";
	}
	const char *name = async ? (ex ? o->client_async_ex : o->client_async) : (ex ? o->client_ex : o->client_fn);
	return axrgen__proto(g, name, params, n);
}

void axrgen_gen_client_h(axrgen_gen_t *g, axrgen_emit_t *e)
{
	axrgen_banner(g, e, "c");
	axrgen_emit(e, "/* %s_client.h: the %s service's operations as typed C calls over the generic\n"
		       " * client (runtime/client.h, docs/clients.md).\n"
		       " *\n"
		       " * Every operation has a blocking function and an async twin (`_async`) that starts\n"
		       " * the call on the caller's event_base. Arguments: the client, the required path\n"
		       " * parameters, the body (when the operation takes one as a message or JSON text),\n"
		       " * then `opts`, the operation's input message, for everything else (optional\n"
		       " * parameters; NULL: none). A non-NULL argument replaces the member of `opts`.\n"
		       " * Parameters and body are validated before sending, as the server will.\n"
		       " * Each has an `_ex` form (`_async_ex`) taking per-call settings after `opts`:\n"
		       " * `const axr_client_call_opts_t *call` (timeout, request id, extra headers and\n"
		       " * query parameters, the answer's status and headers; NULL: none).\n"
		       " * Count operations (`total` below) take `int64_t *total`: the answer's\n"
		       " * X-Total-Count (-1 until a success; async: filled before `cb` runs, so it must\n"
		       " * outlive the call; NULL: not read). Without it the call fails (AXR_EPARSE).\n"
		       " *\n"
		       " * Returns 0, or a negative AXR_E* code with `err` (may be NULL) filled: LOCAL,\n"
		       " * NETWORK or HTTP (status, the error body's code, message and field errors).\n"
		       " * Memory: *out and every string of `err` live in `arena`; with a NULL arena *out\n"
		       " * owns its memory (axr_client_result_free()) and so does a failed call's error\n"
		       " * (axr_client_error_free()). `out` may be NULL: the answer is dropped.\n"
		       " * Async: on 0 `cb` runs exactly once from the loop with the output message\n"
		       " * (the type named below); on an error it never runs. */\n",
		    g->name, g->name);
	axrgen_emit(e, "#ifndef AXR_GEN_%s_CLIENT_H\n#define AXR_GEN_%s_CLIENT_H\n\n", g->P, g->P);
	axrgen_emit(e, "#include <stdint.h>\n\n#include \"arena.h\"\n#include \"client.h\"\n\n");
	axrgen_emit(e, "#include \"%s.pb-c.h\"\n#include \"%s_ops.h\"\n", g->name, g->name);
	for (size_t i = 0; i < g->n_ops; i++) {
		const axrgen_op_t *o = &g->ops[i];
		if (!o->served)
			continue;
		const axrgen_operation_t *op = o->op;
		axrgen_emit(e, "\n/*\n * %s %s (%s)%s\n", o->method, o->route_path, op->handler,
			    op->deprecated ? ", deprecated" : "");
		axrgen_emit_comment_lines(e, " * ", op->summary);
		axrgen_emit(e, " * opts: %s {", o->input->c_type);
		for (size_t k = 0; k < o->input->n_fields; k++)
			axrgen_emit(e, "%s%s", k ? ", " : "", o->input->fields[k].name);
		axrgen_emit(e, "}\n");
		if (o->has_out)
			axrgen_emit(e, " * out: %s%s, status %d\n */\n", o->response.msg->c_type,
				    o->response.is_array ? " (the JSON array, as `items`)"
				    : o->response.free_form ? " (JSON text)" : "", o->status);
		else if (o->counts)
			axrgen_emit(e, " * out: none, status %d; total: X-Total-Count (async: set before cb runs)\n */\n",
				    o->status);
		else
			axrgen_emit(e, " * out: none, status %d\n */\n", o->status);
		for (int k = 0; k < 4; k++)
			axrgen_emit(e, "%s;\n", axrgen__client_proto(g, o, k & 2, k & 1));
	}
	axrgen_emit(e, "\n#endif\n");
}

/* The static helper filling the input message from the arguments. */
static void axrgen__fill(axrgen_gen_t *g, axrgen_emit_t *e, const axrgen_op_t *o)
{
	axrgen__arg_t *a = axrgen_alloc_g(g, (o->n_params + 1) * sizeof(*a));
	size_t na = axrgen__args(g, o, a);
	const char **params = axrgen_alloc_g(g, (na + 2) * sizeof(*params));
	size_t n = 0;
	params[n++] = axrgen_printf_g(g, "%s *in", o->input->c_type);
	for (size_t i = 0; i < na; i++)
		params[n++] = a[i].decl;
	params[n++] = axrgen_printf_g(g, "const %s *opts", o->input->c_type);
	const char *proto = axrgen__proto(g, o->client_fill, params, n);
	/* "int name(" -> "static void name(" */
	axrgen_emit(e, "static void %s\n{\n", proto + 4);
	axrgen_emit_indent(e);
	/* protoc-c's initializer: "shop__get_item_input__descriptor" -> "SHOP__GET_ITEM_INPUT__INIT". */
	char *init = axrgen_printf_g(g, "%.*s", (int)(strlen(o->input->descriptor) - strlen("__descriptor")),
				     o->input->descriptor);
	for (char *p = init; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	axrgen_emit(e, "%s zero = %s__INIT;\n*in = opts != NULL ? *opts : zero;\n", o->input->c_type, init);
	for (size_t i = 0; i < na; i++) {
		const char *m = a[i].f->name;
		if (a[i].message)
			axrgen_emit(e, "if (%s != NULL)\n\tin->%s = (%s *)(uintptr_t)%s;\n", a[i].name, m,
				    a[i].f->t.msg->c_type, a[i].name);
		else if (a[i].string)
			axrgen_emit(e, "if (%s != NULL)\n\tin->%s = (char *)(uintptr_t)%s;\n", a[i].name, m, a[i].name);
		else
			axrgen_emit(e, "in->has_%s = 1;\nin->%s = %s;\n", m, m, a[i].name);
	}
	axrgen_emit_outdent(e);
	axrgen_emit(e, "}\n\n");
}

static void axrgen__fill_call(axrgen_gen_t *g, axrgen_emit_t *e, const axrgen_op_t *o)
{
	axrgen__arg_t *a = axrgen_alloc_g(g, (o->n_params + 1) * sizeof(*a));
	size_t na = axrgen__args(g, o, a);
	axrgen_emit(e, "%s in;\n%s(&in, ", o->input->c_type, o->client_fill);
	for (size_t i = 0; i < na; i++)
		axrgen_emit(e, "%s, ", a[i].name);
	axrgen_emit(e, "opts);\n");
}

/* The body of a plain stub: its `_ex` form with no per-call settings. */
static void axrgen__forward(axrgen_gen_t *g, axrgen_emit_t *e, const axrgen_op_t *o, bool async)
{
	axrgen__arg_t *a = axrgen_alloc_g(g, (o->n_params + 1) * sizeof(*a));
	size_t na = axrgen__args(g, o, a);
	axrgen_emit(e, "%s\n{\n\treturn %s(c, %s", axrgen__client_proto(g, o, async, false),
		    async ? o->client_async_ex : o->client_ex, async ? "base, " : "");
	for (size_t i = 0; i < na; i++)
		axrgen_emit(e, "%s, ", a[i].name);
	axrgen_emit(e, "opts, NULL, %s%sarena, err%s);\n}\n", !async && o->has_out ? "out, " : "",
		    o->counts ? "total, " : "", async ? ", cb, ud" : "");
}

/* A count stub's settings: the caller's with `total` set. */
static void axrgen__count_opts(axrgen_emit_t *e)
{
	axrgen_emit(e, "axr_client_call_opts_t set = {.total = total};\nif (call != NULL) {\n\tset = *call;\n"
		       "\tif (total != NULL)\n\t\tset.total = total;\n}\n");
}

void axrgen_gen_client_c(axrgen_gen_t *g, axrgen_emit_t *e)
{
	axrgen_banner(g, e, "c");
	axrgen_emit(e, "/* %s_client.c: the typed calls of %s_client.h: each fills the operation's input\n"
		       " * message and calls the generic client with its row of %s_client_routes. */\n",
		    g->name, g->name, g->p);
	axrgen_emit(e, "#include \"%s_client.h\"\n\n#include <stddef.h>\n#include <stdint.h>\n", g->name);
	for (size_t i = 0; i < g->n_ops; i++) {
		const axrgen_op_t *o = &g->ops[i];
		if (!o->served)
			continue;
		const char *route = axrgen_printf_g(g, "&%s_client_routes[%s]", g->p, o->client_index);
		const char *call = o->counts ? "&set" : "call";
		axrgen_emit(e, "\n/* %s %s */\n", o->method, o->route_path);
		axrgen__fill(g, e, o);
		axrgen_emit(e, "%s\n{\n", axrgen__client_proto(g, o, false, true));
		axrgen_emit_indent(e);
		axrgen__fill_call(g, e, o);
		if (o->counts)
			axrgen__count_opts(e);
		if (o->has_out) {
			axrgen_emit(e, "ProtobufCMessage *m = NULL;\n"
				       "int rc = axr_client_call_opts(c, %s, &in.base, %s,\n\t\t\t      &m, arena, err);\n",
				    route, call);
			axrgen_emit(e, "if (out != NULL)\n\t*out = (%s *)m;\nelse if (arena == NULL)\n"
				       "\taxr_client_result_free(m);\nreturn rc;\n", o->response.msg->c_type);
		} else {
			axrgen_emit(e, "return axr_client_call_opts(c, %s, &in.base, %s, NULL,\n\t\t\t    arena, err);\n",
				    route, call);
		}
		axrgen_emit_outdent(e);
		axrgen_emit(e, "}\n\n");
		axrgen__forward(g, e, o, false);
		axrgen_emit(e, "\n%s\n{\n", axrgen__client_proto(g, o, true, true));
		axrgen_emit_indent(e);
		axrgen__fill_call(g, e, o);
		if (o->counts)
			axrgen__count_opts(e);
		axrgen_emit(e, "return axr_client_call_async(c, base, %s, &in.base, %s, arena, err,\n\t\t\t\t     cb, ud);\n",
			    route, call);
		axrgen_emit_outdent(e);
		axrgen_emit(e, "}\n\n");
		axrgen__forward(g, e, o, true);
	}
}
