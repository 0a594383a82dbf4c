/* checks.c: service-wide checks: named schemas, path parameters, handler names, routes. */
#include "load.h"

#include <stdlib.h>
#include <string.h>

/* ---- the named schemas a service owns or reaches ---------------------- */

typedef struct axrgen_walk {
	uint8_t *seen;
	size_t n_seen;
	axrgen_vec_t queue;
} axrgen_walk_t;

static void axrgen_visit(axrgen_ctx_t *c, axrgen_walk_t *w, axrgen_schema_t *s)
{
	if (s == NULL || s->id >= w->n_seen || w->seen[s->id])
		return;
	w->seen[s->id] = 1;
	axrgen_vec_push(c, &w->queue, s);
}

static void axrgen_visit_content(axrgen_ctx_t *c, axrgen_walk_t *w, const axrgen_media_t *m,
				 size_t n)
{
	for (size_t i = 0; i < n; i++)
		axrgen_visit(c, w, m[i].schema);
}

static int axrgen_named_cmp(const void *pa, const void *pb)
{
	const axrgen_schema_t *a = *(const axrgen_schema_t *const *)pa;
	const axrgen_schema_t *b = *(const axrgen_schema_t *const *)pb;
	int r = strcmp(a->name, b->name);
	if (r)
		return r;
	uint32_t oa = axrgen_snode((axrgen_schema_t *)(uintptr_t)a)->doc->order;
	uint32_t ob = axrgen_snode((axrgen_schema_t *)(uintptr_t)b)->doc->order;
	if (oa != ob)
		return oa < ob ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

static void axrgen_collect_schemas(axrgen_ctx_t *c, axrgen_service_t *svc, axrgen_doc_t *doc)
{
	axrgen_walk_t w = { 0 };
	w.n_seen = c->schemas.n;
	w.seen = axrgen_alloc(c, w.n_seen ? w.n_seen : 1);
	const axrgen_value_t *schemas =
		axrgen_value_get(axrgen_value_get(doc->root, "components"), "schemas");
	for (size_t i = 0; schemas && schemas->kind == AXRGEN_VALUE_OBJECT && i < schemas->count; i++)
		axrgen_visit(c, &w, axrgen_schema_named(c, doc, schemas->members[i].key));
	for (size_t i = 0; i < svc->n_operations; i++) {
		axrgen_operation_t *op = svc->operations[i];
		for (size_t k = 0; k < op->n_params; k++)
			axrgen_visit(c, &w, op->params[k]->schema);
		if (op->request_body)
			axrgen_visit_content(c, &w, op->request_body->content, op->request_body->n_content);
		for (size_t k = 0; k < op->n_responses; k++) {
			axrgen_response_t *r = op->responses[k];
			axrgen_visit_content(c, &w, r->content, r->n_content);
			for (size_t h = 0; h < r->n_headers; h++)
				axrgen_visit(c, &w, r->headers[h]->schema);
		}
	}
	for (size_t i = 0; i < svc->n_paths; i++) {
		axrgen_visit(c, &w, svc->paths[i]->model);
		for (size_t k = 0; k < svc->paths[i]->n_params; k++)
			axrgen_visit(c, &w, svc->paths[i]->params[k]->schema);
	}
	axrgen_vec_t named = { 0 };
	for (size_t q = 0; q < w.queue.n; q++) {
		axrgen_schema_t *s = w.queue.items[q];
		if (s->name != NULL)
			axrgen_vec_push(c, &named, s);
		axrgen_visit(c, &w, s->ref);
		axrgen_visit(c, &w, s->items);
		axrgen_visit(c, &w, s->additional_schema);
		for (size_t i = 0; i < s->n_properties; i++)
			axrgen_visit(c, &w, s->properties[i].schema);
		for (size_t i = 0; i < s->n_all_of; i++)
			axrgen_visit(c, &w, s->all_of[i]);
		for (size_t i = 0; i < s->n_one_of; i++)
			axrgen_visit(c, &w, s->one_of[i]);
		for (size_t i = 0; i < s->n_any_of; i++)
			axrgen_visit(c, &w, s->any_of[i]);
		for (size_t i = 0; s->discriminator && i < s->discriminator->n_mapping; i++)
			axrgen_visit(c, &w, s->discriminator->mapping[i].schema);
	}
	axrgen_sort(named.items, named.n, sizeof(*named.items), axrgen_named_cmp);
	svc->schemas = axrgen_alloc_array(c, named.n ? named.n : 1, sizeof(*svc->schemas));
	for (size_t i = 0; i < named.n; i++) {
		axrgen_schema_t *s = named.items[i];
		if (svc->n_schemas > 0 && strcmp(svc->schemas[svc->n_schemas - 1]->name, s->name) == 0) {
			axrgen_schema_t *first = svc->schemas[svc->n_schemas - 1];
			axrgen_error(c, s->pos, "duplicate-schema",
				     "schema name '%s' is also defined at %s:%u:%u; a service needs "
				     "distinct names",
				     s->name, first->pos.file, (unsigned)first->pos.line,
				     (unsigned)first->pos.col);
			continue;
		}
		svc->schemas[svc->n_schemas++] = s;
	}
}

static int axrgen_name_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, (*(const axrgen_schema_t *const *)elem)->name);
}

axrgen_schema_t *axrgen_service_schema(const axrgen_service_t *svc, const char *name)
{
	if (svc->n_schemas == 0)
		return NULL;
	axrgen_schema_t *const *hit = bsearch(name, svc->schemas, svc->n_schemas,
					      sizeof(*svc->schemas), axrgen_name_key_cmp);
	return hit ? *hit : NULL;
}

/* ---- path parameters ------------------------------------------------- */

static bool axrgen_declares(const axrgen_operation_t *op, const char *name)
{
	for (size_t i = 0; i < op->n_params; i++)
		if (op->params[i]->in == AXRGEN_IN_PATH && strcmp(op->params[i]->name, name) == 0)
			return true;
	return false;
}

static bool axrgen_path_declares(const axrgen_path_t *path, const char *name)
{
	for (size_t i = 0; i < path->n_operations; i++)
		if (axrgen_declares(path->operations[i], name))
			return true;
	for (size_t i = 0; i < path->n_params; i++)
		if (path->params[i]->in == AXRGEN_IN_PATH && strcmp(path->params[i]->name, name) == 0)
			return true;
	return false;
}

/* AcceleratXR exports write some parameters as `_name`: read such a
 * segment as a parameter when a path parameter `name` is declared. */
static void axrgen_underscore_params(axrgen_ctx_t *c, axrgen_path_t *path)
{
	for (size_t i = 0; i < path->n_segments; i++) {
		axrgen_segment_t *seg = &path->segments[i];
		if (seg->param || seg->text[0] != '_' || seg->text[1] == '\0' ||
		    !axrgen_path_declares(path, seg->text + 1))
			continue;
		seg->param = true;
		seg->param_name = seg->text + 1;
		axrgen_warning(c, path->pos, "path-style",
			       "'%s' in '%s' is read as path parameter '%s' (OpenAPI writes '{%s}')",
			       seg->text, path->template, seg->param_name, seg->param_name);
	}
}

static bool axrgen_in_template(const axrgen_path_t *path, const char *name)
{
	for (size_t i = 0; i < path->n_segments; i++)
		if (path->segments[i].param && strcmp(path->segments[i].param_name, name) == 0)
			return true;
	return false;
}

static void axrgen_check_path_params(axrgen_ctx_t *c, axrgen_path_t *path)
{
	const char **names = axrgen_alloc_array(c, path->n_segments + 1, sizeof(*names));
	size_t n_names = 0;
	for (size_t i = 0; i < path->n_segments; i++) {
		const axrgen_segment_t *seg = &path->segments[i];
		if (!seg->param)
			continue;
		names[n_names++] = seg->param_name;
		size_t missing = 0;
		for (size_t k = 0; k < path->n_operations; k++)
			missing += !axrgen_declares(path->operations[k], seg->param_name);
		if (missing == 0)
			continue;
		if (missing == path->n_operations) {
			axrgen_error(c, path->pos, "undeclared-path-parameter",
				     "path parameter '%s' in '%s' is not declared", seg->param_name,
				     path->template);
			continue;
		}
		for (size_t k = 0; k < path->n_operations; k++)
			if (!axrgen_declares(path->operations[k], seg->param_name))
				axrgen_error(c, path->operations[k]->pos, "undeclared-path-parameter",
					     "%s %s does not declare path parameter '%s'",
					     axrgen_method_name(path->operations[k]->method), path->template,
					     seg->param_name);
	}
	for (size_t k = 0; k < path->n_operations; k++) {
		const axrgen_operation_t *op = path->operations[k];
		for (size_t i = 0; i < op->n_params; i++) {
			const axrgen_param_t *p = op->params[i];
			if (p->in != AXRGEN_IN_PATH || axrgen_in_template(path, p->name))
				continue;
			axrgen_error(c, p->pos, "unused-path-parameter",
				     "path parameter '%s' is not in the template '%s'%s", p->name,
				     path->template, axrgen_did_you_mean(c, p->name, names, n_names));
		}
	}
	if (path->n_operations == 0)
		for (size_t i = 0; i < path->n_params; i++) {
			const axrgen_param_t *p = path->params[i];
			if (p->in == AXRGEN_IN_PATH && !axrgen_in_template(path, p->name))
				axrgen_error(c, p->pos, "unused-path-parameter",
					     "path parameter '%s' is not in the template '%s'%s", p->name,
					     path->template, axrgen_did_you_mean(c, p->name, names, n_names));
		}
}

/* ---- handler names --------------------------------------------------- */

static const char *axrgen_derived_handler(axrgen_ctx_t *c, const axrgen_operation_t *op)
{
	axrgen_buf_t b = { 0 };
	const char *m = axrgen_method_name(op->method);
	for (const char *p = m; *p; p++) {
		char ch = (char)(*p - 'A' + 'a');
		axrgen_buf_add(c, &b, &ch, 1);
	}
	if (op->path->n_segments == 0)
		axrgen_buf_str(c, &b, "_root");
	for (size_t i = 0; i < op->path->n_segments; i++) {
		const axrgen_segment_t *seg = &op->path->segments[i];
		const char *word = seg->param ? seg->param_name : seg->text;
		if (*word == '\0')
			continue;
		axrgen_buf_add(c, &b, "_", 1);
		for (const char *p = word; *p; p++) {
			char ch = *p;
			bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
				  (ch >= '0' && ch <= '9');
			axrgen_buf_add(c, &b, ok ? &ch : "_", 1);
		}
	}
	return b.text;
}

static void axrgen_name_handlers(axrgen_ctx_t *c, axrgen_service_t *svc)
{
	for (size_t i = 0; i < svc->n_operations; i++) {
		axrgen_operation_t *op = svc->operations[i];
		const char *base;
		if (op->x_name != NULL) {
			base = op->x_name;
			op->handler_source = AXRGEN_HANDLER_X_NAME;
		} else if (op->operation_id != NULL) {
			base = op->operation_id;
			op->handler_source = AXRGEN_HANDLER_OPERATION_ID;
		} else {
			base = axrgen_derived_handler(c, op);
			op->handler_source = AXRGEN_HANDLER_DERIVED;
		}
		op->handler = op->path->x_name ? axrgen_printf(c, "%s.%s", op->path->x_name, base) : base;
	}
}

typedef const char *(*axrgen_op_key_fn)(const axrgen_operation_t *op);

static const char *axrgen_key_handler(const axrgen_operation_t *op)
{
	return op->handler;
}

static const char *axrgen_key_operation_id(const axrgen_operation_t *op)
{
	return op->operation_id;
}

/* Operations sorted by key, then by position (the order they were written). */
static int axrgen_op_key_cmp(const void *pa, const void *pb, void *arg)
{
	const axrgen_operation_t *a = *(const axrgen_operation_t *const *)pa;
	const axrgen_operation_t *b = *(const axrgen_operation_t *const *)pb;
	axrgen_op_key_fn key = *(axrgen_op_key_fn *)arg;
	int r = strcmp(key(a), key(b));
	if (r)
		return r;
	if (a->pos.line != b->pos.line)
		return a->pos.line < b->pos.line ? -1 : 1;
	return (a->pos.col > b->pos.col) - (a->pos.col < b->pos.col);
}

static axrgen_operation_t **axrgen_ops_by(axrgen_ctx_t *c, axrgen_service_t *svc,
					  axrgen_op_key_fn key, size_t *n)
{
	axrgen_operation_t **ops = axrgen_alloc_array(c, svc->n_operations + 1, sizeof(*ops));
	*n = 0;
	for (size_t i = 0; i < svc->n_operations; i++)
		if (key(svc->operations[i]) != NULL)
			ops[(*n)++] = svc->operations[i];
	if (*n > 1)
		qsort_r(ops, *n, sizeof(*ops), axrgen_op_key_cmp, &key);
	return ops;
}

static void axrgen_check_handlers(axrgen_ctx_t *c, axrgen_service_t *svc)
{
	size_t n;
	axrgen_operation_t **ops = axrgen_ops_by(c, svc, axrgen_key_operation_id, &n);
	for (size_t i = 1; i < n; i++) {
		size_t f = i - 1;
		while (f > 0 && strcmp(ops[f - 1]->operation_id, ops[i]->operation_id) == 0)
			f--;
		if (strcmp(ops[f]->operation_id, ops[i]->operation_id) != 0)
			continue;
		axrgen_error(c, ops[i]->pos, "duplicate-operation-id",
			     "duplicate operationId '%s' (first used by %s %s at %u:%u)",
			     ops[i]->operation_id, axrgen_method_name(ops[f]->method),
			     ops[f]->path->template, (unsigned)ops[f]->pos.line, (unsigned)ops[f]->pos.col);
	}
	ops = axrgen_ops_by(c, svc, axrgen_key_handler, &n);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && strcmp(ops[j]->handler, ops[i]->handler) == 0)
			j++;
		/* one route-class method may serve several routes */
		bool shared = true;
		for (size_t k = i; k < j; k++)
			shared = shared && ops[k]->path->x_name != NULL;
		for (size_t k = i + 1; k < j; k++) {
			if (shared) {
				ops[i]->handler_shared = ops[k]->handler_shared = true;
				continue;
			}
			if (ops[k]->handler_source == AXRGEN_HANDLER_OPERATION_ID &&
			    ops[i]->handler_source == AXRGEN_HANDLER_OPERATION_ID)
				continue; /* reported as a duplicate operationId */
			axrgen_error(c, ops[k]->pos, "duplicate-handler",
				     "duplicate handler name '%s' (also %s %s at %u:%u)", ops[k]->handler,
				     axrgen_method_name(ops[i]->method), ops[i]->path->template,
				     (unsigned)ops[i]->pos.line, (unsigned)ops[i]->pos.col);
		}
		i = j;
	}
}

/* ---- routes ---------------------------------------------------------- */

typedef struct axrgen_route {
	const char *shape; /* "GET /a/{}/b" */
	axrgen_operation_t *op;
} axrgen_route_t;

static int axrgen_route_cmp(const void *pa, const void *pb)
{
	const axrgen_route_t *a = pa, *b = pb;
	int r = strcmp(a->shape, b->shape);
	if (r)
		return r;
	if (a->op->pos.line != b->op->pos.line)
		return a->op->pos.line < b->op->pos.line ? -1 : 1;
	return (a->op->pos.col > b->op->pos.col) - (a->op->pos.col < b->op->pos.col);
}

static void axrgen_check_routes(axrgen_ctx_t *c, axrgen_service_t *svc)
{
	size_t n = svc->n_operations;
	axrgen_route_t *routes = axrgen_alloc_array(c, n ? n : 1, sizeof(*routes));
	for (size_t i = 0; i < n; i++) {
		axrgen_operation_t *op = svc->operations[i];
		axrgen_buf_t b = { 0 };
		axrgen_buf_str(c, &b, axrgen_method_name(op->method));
		axrgen_buf_add(c, &b, " ", 1);
		if (op->path->n_segments == 0)
			axrgen_buf_add(c, &b, "/", 1);
		for (size_t k = 0; k < op->path->n_segments; k++) {
			axrgen_buf_add(c, &b, "/", 1);
			axrgen_buf_str(c, &b, op->path->segments[k].param ? "{}" : op->path->segments[k].text);
		}
		routes[i].shape = b.text;
		routes[i].op = op;
	}
	axrgen_sort(routes, n, sizeof(*routes), axrgen_route_cmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(routes[i].shape, routes[i - 1].shape) != 0)
			continue;
		size_t f = i - 1;
		while (f > 0 && strcmp(routes[f - 1].shape, routes[i].shape) == 0)
			f--;
		axrgen_operation_t *a = routes[f].op, *b = routes[i].op;
		axrgen_error(c, b->pos, "route-conflict",
			     "%s %s cannot be told apart from %s %s (at %u:%u)",
			     axrgen_method_name(b->method), b->path->template,
			     axrgen_method_name(a->method), a->path->template, (unsigned)a->pos.line,
			     (unsigned)a->pos.col);
	}
}

void axrgen_service_check(axrgen_ctx_t *c, axrgen_service_t *svc)
{
	axrgen_doc_t *doc = axrgen_map_get_str(&c->docs, svc->file);
	for (size_t i = 0; i < svc->n_paths; i++) {
		axrgen_path_t *path = svc->paths[i];
		axrgen_underscore_params(c, path);
		axrgen_check_path_params(c, path);
		for (size_t k = 0; k < path->n_operations; k++)
			path->operations[k]->model = path->model;
	}
	axrgen_collect_schemas(c, svc, doc);
	axrgen_name_handlers(c, svc);
	axrgen_check_handlers(c, svc);
	axrgen_check_routes(c, svc);
}
