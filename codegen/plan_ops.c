/* plan_ops.c: operations to handler symbols, input messages, payloads, flags and CRUD kinds. */
#include "gen.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Paths the runtime serves itself (server.c): a GET there in a spec is
 * documentation only and gets no route. */
static const char *const axrgen__builtin_paths[] = {"/healthz", "/metrics", "/readyz", "/status"};

static bool axrgen__builtin(const char *path)
{
	for (size_t i = 0; i < sizeof(axrgen__builtin_paths) / sizeof(axrgen__builtin_paths[0]); i++)
		if (strcmp(path, axrgen__builtin_paths[i]) == 0)
			return true;
	return false;
}

static const char *axrgen__http_enum(axrgen_method_t m)
{
	switch (m) {
	case AXRGEN_GET: return "AXR_HTTP_GET";
	case AXRGEN_PUT: return "AXR_HTTP_PUT";
	case AXRGEN_POST: return "AXR_HTTP_POST";
	case AXRGEN_DELETE: return "AXR_HTTP_DELETE";
	case AXRGEN_OPTIONS: return "AXR_HTTP_OPTIONS";
	case AXRGEN_HEAD: return "AXR_HTTP_HEAD";
	case AXRGEN_PATCH: return "AXR_HTTP_PATCH";
	default: return NULL;
	}
}

/* "/users/:id/items" -> "/users/{id}/items": templates as the router reads them. */
static const char *axrgen__route_path(axrgen_gen_t *g, const axrgen_path_t *path)
{
	if (path->n_segments == 0)
		return "/";
	size_t len = 1;
	for (size_t i = 0; i < path->n_segments; i++)
		len += strlen(path->segments[i].param ? path->segments[i].param_name : path->segments[i].text) + 3;
	char *out = axrgen_alloc_g(g, len + 1);
	for (size_t i = 0; i < path->n_segments; i++) {
		const axrgen_segment_t *s = &path->segments[i];
		strcat(out, "/");
		if (s->param) {
			strcat(out, "{");
			strcat(out, s->param_name);
			strcat(out, "}");
		} else {
			strcat(out, s->text);
		}
	}
	return out;
}

/* The media entry a payload is read from: application/json, else another
 * JSON type, else the first entry with a schema. */
static const axrgen_media_t *axrgen__media(const axrgen_media_t *content, size_t n)
{
	const axrgen_media_t *other_json = NULL, *first = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *t = content[i].type;
		size_t tl = strlen(t);
		if (strcmp(t, "application/json") == 0)
			return &content[i];
		if (other_json == NULL && tl >= 4 && strcmp(t + tl - 4, "json") == 0)
			other_json = &content[i];
		if (first == NULL && content[i].schema != NULL)
			first = &content[i];
	}
	return other_json ? other_json : first ? first : (n > 0 ? &content[0] : NULL);
}

/* Fills a body or response payload from `schema` (NULL: any value). */
static void axrgen__payload(axrgen_gen_t *g, axrgen_op_t *o, axrgen_payload_t *pl, const axrgen_media_t *media,
			    const char *what)
{
	pl->media = media->type;
	pl->schema = media->schema;
	const char *name = axrgen_printf_g(g, "%s%s", o->pascal, what);
	if (media->schema == NULL) {
		pl->free_form = true;
		return;
	}
	axrgen_plan_node(g, media->schema,
			 axrgen_printf_g(g, "%s_%s_%s", g->p, o->sym, strcmp(what, "Body") == 0 ? "body" : "response"),
			 axrgen_printf_g(g, "%s_%s", g->P, axrgen_upper(g, name)), true);
	axrgen_ftype_t t = axrgen_field_type(g, media->schema, name);
	if (t.type == AXRGEN_P_MESSAGE && !t.repeated) {
		pl->msg = t.msg;
	} else if (t.repeated) {
		pl->is_array = true;
		t.repeated = false;
		pl->msg = axrgen_list_message(g, t, name);
	} else {
		pl->free_form = true;
	}
}

static const char *axrgen__style(axrgen_gen_t *g, const axrgen_param_t *p)
{
	switch (p->style) {
	case AXRGEN_STYLE_FORM:
		return p->explode ? "AXR_PARAM_FORM_EXPLODE" : "AXR_PARAM_FORM";
	case AXRGEN_STYLE_SIMPLE:
		return "AXR_PARAM_SIMPLE";
	case AXRGEN_STYLE_SPACE_DELIMITED:
		return "AXR_PARAM_SPACE_DELIMITED";
	case AXRGEN_STYLE_PIPE_DELIMITED:
		return "AXR_PARAM_PIPE_DELIMITED";
	default:
		axrgen_gen_diag(g, AXRGEN_WARNING, p->pos,
				"parameter style '%s' is not supported by the runtime; read as %s",
				axrgen_style_name(p->style), p->in == AXRGEN_IN_QUERY ? "form" : "simple");
		return p->in == AXRGEN_IN_QUERY ? "AXR_PARAM_FORM_EXPLODE" : "AXR_PARAM_SIMPLE";
	}
}

/* Is a field name or input property taken (by an earlier field, or by
 * "body", which the body keeps)? */
static bool axrgen__input_taken(const axrgen_field_t *fields, size_t n, const char *fname, const char *iname)
{
	if (*fname == '\0' || strcmp(fname, "body") == 0 || strcmp(iname, "body") == 0)
		return true;
	for (size_t k = 0; k < n; k++)
		if (strcmp(fields[k].name, fname) == 0 || strcmp(fields[k].json_name, iname) == 0 ||
		    strcmp(fields[k].json_name, fname) == 0)
			return true;
	return false;
}

static void axrgen__params(axrgen_gen_t *g, axrgen_op_t *o, axrgen_field_t *fields, size_t *n_fields)
{
	const axrgen_operation_t *op = o->op;
	o->params = axrgen_alloc_g(g, (op->n_params + 1) * sizeof(*o->params));
	for (size_t i = 0; i < op->n_params; i++) {
		const axrgen_param_t *p = op->params[i];
		axrgen_pparam_t *pp = &o->params[o->n_params++];
		pp->p = p;
		pp->style = axrgen__style(g, p);
		/* One field per parameter; a name taken already (the same name in
		 * another place, or "body") gets the place appended. */
		const char *fname = axrgen_snake(g, p->name);
		const char *iname = p->name;
		while (axrgen__input_taken(fields, *n_fields, fname, iname)) {
			fname = axrgen_printf_g(g, "%s_%s", *fname ? fname : "param", axrgen_param_in_name(p->in));
			iname = pp->input_name = fname;
		}
		axrgen_field_t *f = &fields[*n_fields];
		f->name = axrgen_field_name(g, fields, *n_fields, fname, "param");
		f->json_name = pp->input_name ? pp->input_name : p->name;
		f->schema = p->schema;
		f->pos = p->pos;
		f->description = p->description;
		/* The parameter's table: shared component parameters are named
		 * after the component, others after the operation. */
		const char *ptr = p->schema ? p->schema->pointer : NULL;
		const char *comp = "#/components/parameters/";
		const char *ident, *macro;
		if (ptr != NULL && strncmp(ptr, comp, strlen(comp)) == 0) {
			char *cname = axrgen_strdup_g(g, ptr + strlen(comp));
			char *slash = strchr(cname, '/');
			if (slash)
				*slash = '\0';
			ident = axrgen_printf_g(g, "%s_param_%s", g->p, axrgen_ident_part(g, cname));
			macro = axrgen_printf_g(g, "%s_%s", g->P, axrgen_upper(g, cname));
		} else {
			ident = axrgen_printf_g(g, "%s_%s_%s_%s", g->p, o->sym, axrgen_param_in_name(p->in),
						axrgen_ident_part(g, p->name));
			macro = axrgen_printf_g(g, "%s_%s_%s", g->P, axrgen_upper(g, o->sym), axrgen_upper(g, p->name));
		}
		axrgen_plan_node(g, p->schema, ident, macro, true);
		const char *pname = axrgen_pascal(g, p->name);
		f->t = axrgen_field_type(g, p->schema, axrgen_printf_g(g, "%sInput%s", o->pascal, pname));
		(*n_fields)++;
	}
}

/* ---- CRUD ------------------------------------------------------------- */

static const struct {
	const char *name;
	const char *c_name;
} axrgen__crud_kinds[] = {
	{NULL, NULL},
	{"list", "AXR_CRUD_LIST"},
	{"count", "AXR_CRUD_COUNT"},
	{"create", "AXR_CRUD_CREATE"},
	{"truncate", "AXR_CRUD_TRUNCATE"},
	{"get", "AXR_CRUD_GET"},
	{"update", "AXR_CRUD_UPDATE"},
	{"delete", "AXR_CRUD_DELETE"},
};
enum { AXRGEN__LIST = 1, AXRGEN__COUNT, AXRGEN__CREATE, AXRGEN__TRUNCATE, AXRGEN__GET, AXRGEN__UPDATE, AXRGEN__DELETE };

/* Does `a` have the segments of `b` plus one trailing parameter? */
static bool axrgen__item_of(const axrgen_path_t *item, const axrgen_path_t *coll)
{
	if (item->n_segments != coll->n_segments + 1 || !item->segments[item->n_segments - 1].param)
		return false;
	for (size_t i = 0; i < coll->n_segments; i++) {
		const axrgen_segment_t *a = &item->segments[i], *b = &coll->segments[i];
		if (a->param != b->param || strcmp(a->param ? a->param_name : a->text, b->param ? b->param_name : b->text))
			return false;
	}
	return true;
}

/* The AXR pattern: /x (GET list, HEAD count, POST create, DELETE truncate)
 * and /x/{id} (GET, PUT update, DELETE), both with the same x-schema. */
static int axrgen__crud_inferred(axrgen_gen_t *g, const axrgen_operation_t *op)
{
	const axrgen_path_t *path = op->path;
	bool item = path->n_segments > 0 && path->segments[path->n_segments - 1].param;
	bool pair = false;
	for (size_t i = 0; i < g->svc->n_paths && !pair; i++) {
		const axrgen_path_t *other = g->svc->paths[i];
		if (other->model != op->model)
			continue;
		pair = item ? axrgen__item_of(path, other) : axrgen__item_of(other, path);
	}
	if (!pair)
		return 0;
	switch (op->method) {
	case AXRGEN_GET: return item ? AXRGEN__GET : AXRGEN__LIST;
	case AXRGEN_HEAD: return item ? 0 : AXRGEN__COUNT;
	case AXRGEN_POST: return item ? 0 : AXRGEN__CREATE;
	case AXRGEN_PUT: return item ? AXRGEN__UPDATE : 0;
	case AXRGEN_DELETE: return item ? AXRGEN__DELETE : AXRGEN__TRUNCATE;
	default: return 0;
	}
}

/* Do the operation's payloads have the shapes the CRUD engine produces? */
static const char *axrgen__crud_shape(const axrgen_op_t *o, int kind, const axrgen_msg_t *em)
{
	bool resp_none = !o->has_out, resp_row = o->has_out && !o->response.is_array && o->response.msg == em;
	bool body_row = o->body.msg == em && !o->body.is_array;
	switch (kind) {
	case AXRGEN__LIST:
		return o->response.is_array && o->response.msg && o->response.msg->fields[0].t.msg == em
			       ? NULL : "its success response must be an array of the model";
	case AXRGEN__CREATE:
	case AXRGEN__UPDATE:
		if (!body_row)
			return "its request body must be the model";
		return resp_none || resp_row ? NULL : "its success response must be the model or nothing";
	case AXRGEN__GET:
		return resp_row ? NULL : "its success response must be the model";
	case AXRGEN__DELETE:
		return resp_none ? NULL : "its success response must have no body";
	case AXRGEN__TRUNCATE:
		return resp_none ? NULL : "its success response must have no body";
	default:
		return NULL;
	}
}

static void axrgen__crud(axrgen_gen_t *g, axrgen_op_t *o)
{
	const axrgen_operation_t *op = o->op;
	const axrgen_value_t *x = axrgen_ext_get(&op->extensions, "x-axr-crud");
	int kind = 0;
	bool explicit = false;
	if (x != NULL) {
		if (x->kind == AXRGEN_VALUE_BOOL && strcmp(x->text, "false") == 0)
			return;
		for (int k = 1; k <= AXRGEN__DELETE && x->kind == AXRGEN_VALUE_STRING; k++)
			if (strcmp(x->text, axrgen__crud_kinds[k].name) == 0)
				kind = k;
		if (kind == 0) {
			axrgen_gen_diag(g, AXRGEN_ERROR, x->pos,
					"x-axr-crud must be false or one of list, count, create, truncate, get, "
					"update, delete");
			return;
		}
		explicit = true;
	}
	if (op->model == NULL || !axrgen_is_entity(op->model)) {
		if (explicit)
			axrgen_gen_diag(g, AXRGEN_ERROR, x->pos,
					"x-axr-crud needs the path's x-schema to name an entity (a schema with "
					"x-baseClass)");
		return;
	}
	if (!explicit)
		kind = axrgen__crud_inferred(g, op);
	if (kind == 0)
		return;
	if (explicit && (kind == AXRGEN__GET || kind == AXRGEN__UPDATE || kind == AXRGEN__DELETE) &&
	    (op->path->n_segments == 0 || !op->path->segments[op->path->n_segments - 1].param)) {
		axrgen_gen_diag(g, AXRGEN_ERROR, x->pos, "x-axr-crud '%s' needs a path ending in a parameter (the id)",
				axrgen__crud_kinds[kind].name);
		return;
	}
	axrgen_msg_t *em = axrgen_schema_message(g, op->model, NULL);
	const char *why = axrgen__crud_shape(o, kind, em);
	if (why != NULL) {
		if (explicit)
			axrgen_gen_diag(g, AXRGEN_ERROR, x->pos, "x-axr-crud '%s': %s", axrgen__crud_kinds[kind].name,
					why);
		return;
	}
	o->crud = kind;
	o->crud_name = axrgen__crud_kinds[kind].c_name;
}

/* ---- one operation ------------------------------------------------------ */

static void axrgen__security(axrgen_gen_t *g, axrgen_op_t *o)
{
	const axrgen_operation_t *op = o->op;
	const axrgen_security_t *sec = op->effective_security;
	if (sec != NULL && sec->present && sec->n_alternatives > 0) {
		o->auth = true;
		for (size_t i = 0; i < sec->n_alternatives; i++)
			if (sec->alternatives[i].n_items == 0)
				o->auth_optional = true;
		if (o->auth_optional)
			o->auth = false;
	}
	const axrgen_value_t *roles = axrgen_ext_get(&op->extensions, "x-axr-roles");
	if (roles != NULL) {
		bool ok = roles->kind == AXRGEN_VALUE_ARRAY && roles->count > 0;
		for (size_t i = 0; ok && i < roles->count; i++)
			ok = roles->items[i]->kind == AXRGEN_VALUE_STRING && roles->items[i]->len > 0;
		if (!ok) {
			axrgen_gen_diag(g, AXRGEN_ERROR, roles->pos, "x-axr-roles must be a non-empty list of role names");
		} else {
			o->roles = axrgen_alloc_g(g, roles->count * sizeof(*o->roles));
			for (size_t i = 0; i < roles->count; i++)
				o->roles[o->n_roles++] = roles->items[i]->text;
			if (!o->auth) {
				if (!o->auth_optional)
					axrgen_gen_diag(g, AXRGEN_WARNING, roles->pos,
							"x-axr-roles on an operation without security: a token is "
							"required anyway");
				o->auth = true;
				o->auth_optional = false;
			}
		}
	}
	const axrgen_value_t *idem = axrgen_ext_get(&op->extensions, "x-axr-idempotent");
	if (idem != NULL) {
		/* true/false, or an object describing the key ({header, required}),
		 * which handlers read from the spec; the flag is what the runtime
		 * needs. */
		if (idem->kind == AXRGEN_VALUE_BOOL)
			o->idempotent = strcmp(idem->text, "true") == 0;
		else if (idem->kind == AXRGEN_VALUE_OBJECT)
			o->idempotent = true;
		else
			axrgen_gen_diag(g, AXRGEN_ERROR, idem->pos,
					"x-axr-idempotent must be true, false or an object ({header: ..., required: ...})");
	}
}

/* Whether query names the operation does not declare reach its handler as
 * filters (op.list_filters): generated list, count and truncate always
 * take them; x-axr-filters: true opts a hand-written operation in (its
 * handler parses them with axr_query_parse), false opts any operation out. */
static void axrgen__filters(axrgen_gen_t *g, axrgen_op_t *o)
{
	const axrgen_value_t *x = axrgen_ext_get(&o->op->extensions, "x-axr-filters");
	o->list_filters = o->crud == AXRGEN__LIST || o->crud == AXRGEN__COUNT || o->crud == AXRGEN__TRUNCATE;
	if (x == NULL)
		return;
	if (x->kind != AXRGEN_VALUE_BOOL) {
		axrgen_gen_diag(g, AXRGEN_ERROR, x->pos, "x-axr-filters must be true or false");
		return;
	}
	o->list_filters = strcmp(x->text, "true") == 0;
}

/* The success response: the lowest 2xx code, else 2XX, else none. */
static const axrgen_response_t *axrgen__success(const axrgen_operation_t *op, int *status)
{
	*status = 200;
	for (size_t i = 0; i < op->n_responses; i++) {
		const char *s = op->responses[i]->status;
		if (s[0] == '2' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9' && s[3] == '\0') {
			*status = atoi(s);
			return op->responses[i];
		}
	}
	for (size_t i = 0; i < op->n_responses; i++)
		if (strcmp(op->responses[i]->status, "2XX") == 0)
			return op->responses[i];
	return NULL;
}

static const char *axrgen__resource(axrgen_gen_t *g, const axrgen_operation_t *op)
{
	const char *r = NULL;
	if (op->n_tags > 0)
		r = axrgen_snake(g, op->tags[0]);
	for (size_t i = 0; (r == NULL || *r == '\0') && i < op->path->n_segments; i++)
		if (!op->path->segments[i].param)
			r = axrgen_snake(g, op->path->segments[i].text);
	return r && *r ? r : "root";
}

/*
 * A count operation answers no body and its count in X-Total-Count (its
 * client stubs take `int64_t *total`): a CRUD count (x-axr-crud: count, or
 * inferred: HEAD on the collection of an entity), an operation whose success
 * response declares an X-Total-Count header, or a HEAD on a collection path
 * (the last segment is not a parameter: HEAD /users counts, HEAD /users/{id}
 * tells whether one exists and is no count).
 */
static bool axrgen__counts(const axrgen_op_t *o, const axrgen_response_t *ok)
{
	if (o->has_out)
		return false;
	if (o->crud == AXRGEN__COUNT)
		return true;
	for (size_t i = 0; ok != NULL && i < ok->n_headers; i++)
		if (strcasecmp(ok->headers[i]->name, "X-Total-Count") == 0)
			return true;
	const axrgen_path_t *p = o->op->path;
	return o->op->method == AXRGEN_HEAD && p->n_segments > 0 && !p->segments[p->n_segments - 1].param;
}

static void axrgen__plan_op(axrgen_gen_t *g, axrgen_op_t *o)
{
	const axrgen_operation_t *op = o->op;
	o->pascal = axrgen_pascal(g, o->sym);
	o->route_path = axrgen__route_path(g, op->path);
	o->resource = axrgen__resource(g, op);
	o->op_ident = axrgen_names_unique(g, &g->idents, axrgen_printf_g(g, "%s_op_%s", g->p, o->sym));
	o->client_fn = axrgen_names_unique(g, &g->idents, axrgen_printf_g(g, "%s_client_%s", g->p, o->sym));
	o->client_async = axrgen_names_unique(g, &g->idents, axrgen_printf_g(g, "%s_async", o->client_fn));
	o->client_ex = axrgen_names_unique(g, &g->idents, axrgen_printf_g(g, "%s_ex", o->client_fn));
	o->client_async_ex = axrgen_names_unique(g, &g->idents, axrgen_printf_g(g, "%s_ex", o->client_async));
	o->client_index = axrgen_names_unique(g, &g->macros,
						 axrgen_printf_g(g, "%s_CLIENT_%s", g->P, axrgen_upper(g, o->sym)));
	o->client_fill = axrgen_names_unique(g, &g->idents, axrgen_printf_g(g, "%s_input", o->client_fn));
	o->wrapper = axrgen_names_unique(g, &g->idents, axrgen_printf_g(g, "%s_%s_route", g->p, o->sym));
	o->input_table = axrgen_names_unique(g, &g->idents, axrgen_printf_g(g, "%s_%s_input", g->p, o->sym));

	axrgen_field_t *fields = axrgen_alloc_g(g, (op->n_params + 1) * sizeof(*fields));
	size_t n_fields = 0;
	axrgen__params(g, o, fields, &n_fields);
	if (op->request_body != NULL && op->request_body->n_content > 0) {
		const axrgen_media_t *media = axrgen__media(op->request_body->content, op->request_body->n_content);
		axrgen__payload(g, o, &o->body, media, "Body");
		o->body_required = op->request_body->required;
		axrgen_field_t *f = &fields[n_fields++];
		f->name = "body";
		f->json_name = "body";
		f->schema = media->schema;
		f->pos = op->request_body->pos;
		f->description = op->request_body->description;
		f->t = media->schema ? axrgen_field_type(g, media->schema, axrgen_printf_g(g, "%sBody", o->pascal))
				     : (axrgen_ftype_t){.type = AXRGEN_P_STRING, .json = true};
	}
	axrgen_fix_member_clashes(g, fields, n_fields);
	o->input = axrgen_new_message(g, AXRGEN_MSG_INPUT, axrgen_printf_g(g, "%sInput", o->pascal));
	o->input->fields = fields;
	o->input->n_fields = n_fields;
	for (size_t i = 0; i < n_fields; i++)
		fields[i].number = (uint32_t)i + 1;
	o->input->fields_done = true;
	o->input->origin = axrgen_printf_g(g, "the input of %s %s", o->method, o->route_path);
	o->input->comment = axrgen_printf_g(g, "The parameters%s of %s %s, as one message.",
					    o->body.media ? " and the body" : "", o->method, o->route_path);
	for (size_t i = 0; i < o->n_params; i++)
		o->params[i].field = &fields[i];

	const axrgen_response_t *ok = axrgen__success(op, &o->status);
	if (ok != NULL && ok->n_content > 0 && op->method != AXRGEN_HEAD && o->status != 204) {
		axrgen__payload(g, o, &o->response, axrgen__media(ok->content, ok->n_content), "Response");
		if (o->response.free_form)
			o->response.msg = axrgen_json_message(g);
		o->has_out = true;
	}
	axrgen__security(g, o);
	axrgen__crud(g, o);
	o->counts = axrgen__counts(o, ok);
	axrgen__filters(g, o);
}

void axrgen_plan_ops(axrgen_gen_t *g)
{
	const axrgen_service_t *svc = g->svc;
	g->ops = axrgen_alloc_g(g, (svc->n_operations + 1) * sizeof(*g->ops));
	axrgen_names_t syms = {0};
	for (size_t i = 0; i < svc->n_operations; i++) {
		const axrgen_operation_t *op = svc->operations[i];
		axrgen_op_t *o = &g->ops[g->n_ops++];
		o->op = op;
		o->method = axrgen_method_name(op->method);
		o->http_enum = axrgen__http_enum(op->method);
		if (o->http_enum == NULL) {
			axrgen_gen_diag(g, AXRGEN_WARNING, op->pos, "%s operations are not served (no route is generated)",
					o->method);
			continue;
		}
		if (op->method == AXRGEN_GET && axrgen__builtin(op->path->template)) {
			axrgen_gen_diag(g, AXRGEN_WARNING, op->pos,
					"GET %s is served by the runtime; the spec's operation gets no route",
					op->path->template);
			continue;
		}
		const char *sym = axrgen_snake(g, op->handler);
		if (op->handler_shared || *sym == '\0') {
			const char *route = axrgen_snake(g, axrgen_printf_g(g, "%s %s", o->method, op->path->template));
			sym = *sym ? axrgen_printf_g(g, "%s_%s", sym, route) : route;
		}
		o->sym = sym;
		o->handler = axrgen_printf_g(g, "%s_%s", g->p, sym);
		if (axrgen_names_has(&syms, sym)) {
			axrgen_gen_diag(g, AXRGEN_ERROR, op->pos,
					"handler '%s' becomes the C function %s, like another operation's; rename one "
					"(x-name or operationId)", op->handler, o->handler);
			continue;
		}
		if (axrgen_names_has(&g->idents, o->handler)) {
			axrgen_gen_diag(g, AXRGEN_ERROR, op->pos,
					"handler '%s' becomes the C function %s, a name the generated code uses; "
					"rename it (x-name or operationId)", op->handler, o->handler);
			continue;
		}
		axrgen_names_add(g, &syms, sym);
		axrgen_names_add(g, &g->idents, o->handler);
		o->served = true;
	}
	for (size_t i = 0; i < g->n_ops; i++)
		if (g->ops[i].served)
			axrgen__plan_op(g, &g->ops[i]);
}

bool axrgen_op_needs_handler(const axrgen_op_t *o)
{
	return o->served && o->crud == 0;
}
