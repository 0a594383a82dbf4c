/* operations.c: OpenAPI paths, operations, parameters, bodies and responses. */
#include "load.h"

#include <stdlib.h>
#include <string.h>

#define AXRGEN_MAX_OBJECT_REFS 32

static const char *const axrgen_methods[] = {
	"get", "put", "post", "delete", "options", "head", "patch", "trace",
};

const char *axrgen_method_name(axrgen_method_t m)
{
	static const char *const upper[] = {
		"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE",
	};
	return (unsigned)m < AXRGEN_METHOD_COUNT ? upper[m] : NULL;
}

static const char *const axrgen_ins[] = { "path", "query", "header", "cookie" };

const char *axrgen_param_in_name(axrgen_param_in_t in)
{
	return (unsigned)in < 4 ? axrgen_ins[in] : NULL;
}

static const char *const axrgen_styles[] = {
	"matrix", "label", "simple", "form", "spaceDelimited", "pipeDelimited", "deepObject",
};

const char *axrgen_style_name(axrgen_style_t style)
{
	return (unsigned)style < 7 ? axrgen_styles[style] : NULL;
}

const axrgen_value_t *axrgen_deref(axrgen_ctx_t *c, axrgen_doc_t **doc,
				   const axrgen_value_t *raw, const char **pointer, const char *what)
{
	for (int hops = 0; raw != NULL && raw->kind == AXRGEN_VALUE_OBJECT; hops++) {
		const axrgen_value_t *ref = axrgen_value_get(raw, "$ref");
		if (ref == NULL)
			return raw;
		if (hops == AXRGEN_MAX_OBJECT_REFS) {
			axrgen_error(c, ref->pos, "ref-cycle", "$ref cycle through this %s", what);
			return NULL;
		}
		if (ref->kind != AXRGEN_VALUE_STRING) {
			axrgen_error(c, ref->pos, "invalid-value", "'$ref' must be a string, not %s",
				     axrgen_value_kind_name(ref->kind));
			return NULL;
		}
		axrgen_target_t t;
		int r = axrgen_resolve(c, *doc, ref, &t);
		if (r == AXRGEN_RESOLVE_EXTERN)
			axrgen_error(c, ref->pos, "unknown-ref",
				     "unknown $ref '%s' (an extern schema cannot be a %s)", ref->text, what);
		if (r != 0)
			return NULL;
		*doc = t.doc;
		*pointer = t.pointer;
		raw = t.value;
	}
	if (raw != NULL)
		axrgen_error(c, raw->pos, "invalid-value", "a %s must be an object, not %s", what,
			     axrgen_value_kind_name(raw->kind));
	return NULL;
}

static int axrgen_media_cmp(const void *pa, const void *pb)
{
	const axrgen_media_t *a = pa, *b = pb;
	return strcmp(a->type, b->type);
}

/* Reads a `content` map (media type -> media type object). */
static axrgen_media_t *axrgen_content(axrgen_ctx_t *c, axrgen_doc_t *doc,
				      const axrgen_value_t *v, const char *pointer,
				      unsigned sctx, size_t *count)
{
	static const char *const known[] = { "schema", "example", "examples", "encoding", NULL };
	*count = 0;
	if (v == NULL || !axrgen_expect_kind(c, "content", v, AXRGEN_VALUE_OBJECT))
		return NULL;
	axrgen_media_t *media = axrgen_alloc_array(c, v->count ? v->count : 1, sizeof(*media));
	const char *base = axrgen_pointer_add(c, pointer, "content");
	for (size_t i = 0; i < v->count; i++) {
		const axrgen_member_t *m = &v->members[i];
		axrgen_media_t *md = &media[*count];
		md->type = m->key;
		md->pos = m->key_pos;
		if (strchr(m->key, '/') == NULL)
			axrgen_error(c, m->key_pos, "invalid-value",
				     "'%s' is not a media type (type/subtype)", m->key);
		if (m->value->kind != AXRGEN_VALUE_OBJECT) {
			axrgen_error(c, m->value->pos, "invalid-value",
				     "a media type entry must be an object, not %s",
				     axrgen_value_kind_name(m->value->kind));
			continue;
		}
		axrgen_check_keys(c, m->value, known, "media type");
		const axrgen_value_t *schema = axrgen_value_get(m->value, "schema");
		if (schema != NULL)
			md->schema = axrgen_schema_at(c, doc, schema,
						      axrgen_pointer_add(c, axrgen_pointer_add(c, base, m->key),
									 "schema"),
						      sctx);
		md->extensions = axrgen_extensions(c, m->value);
		(*count)++;
	}
	axrgen_sort(media, *count, sizeof(*media), axrgen_media_cmp);
	return media;
}

static bool axrgen_style_allowed(axrgen_param_in_t in, axrgen_style_t st)
{
	switch (in) {
	case AXRGEN_IN_PATH:
		return st == AXRGEN_STYLE_MATRIX || st == AXRGEN_STYLE_LABEL || st == AXRGEN_STYLE_SIMPLE;
	case AXRGEN_IN_QUERY:
		return st == AXRGEN_STYLE_FORM || st == AXRGEN_STYLE_SPACE_DELIMITED ||
		       st == AXRGEN_STYLE_PIPE_DELIMITED || st == AXRGEN_STYLE_DEEP_OBJECT;
	case AXRGEN_IN_HEADER:
		return st == AXRGEN_STYLE_SIMPLE;
	case AXRGEN_IN_COOKIE:
		return st == AXRGEN_STYLE_FORM;
	}
	return false;
}

static void axrgen_param_style(axrgen_ctx_t *c, axrgen_param_t *p, const axrgen_value_t *raw)
{
	p->style = p->in == AXRGEN_IN_QUERY || p->in == AXRGEN_IN_COOKIE ? AXRGEN_STYLE_FORM
									 : AXRGEN_STYLE_SIMPLE;
	const char *style = axrgen_get_string(c, raw, "style");
	if (style != NULL) {
		int found = -1;
		for (int i = 0; i < 7 && found < 0; i++)
			if (strcmp(axrgen_styles[i], style) == 0)
				found = i;
		const axrgen_value_t *v = axrgen_value_get(raw, "style");
		if (found < 0)
			axrgen_error(c, v->pos, "invalid-value", "unknown parameter style '%s'%s", style,
				     axrgen_did_you_mean(c, style, axrgen_styles, 7));
		else if (!axrgen_style_allowed(p->in, (axrgen_style_t)found))
			axrgen_error(c, v->pos, "invalid-value",
				     "style '%s' is not allowed for %s parameters", style,
				     axrgen_param_in_name(p->in));
		else {
			p->style = (axrgen_style_t)found;
			p->style_set = true;
		}
	}
	p->explode = p->style == AXRGEN_STYLE_FORM;
	if (axrgen_value_get(raw, "explode") != NULL) {
		p->explode = axrgen_get_bool(c, raw, "explode", p->explode);
		p->explode_set = true;
	}
}

/* The schema of a parameter or header: `schema`, or a one-entry `content`. */
static void axrgen_param_schema(axrgen_ctx_t *c, axrgen_doc_t *doc, axrgen_param_t *p,
				const axrgen_value_t *raw, const char *pointer)
{
	const axrgen_value_t *schema = axrgen_value_get(raw, "schema");
	const axrgen_value_t *content = axrgen_value_get(raw, "content");
	const char *what = p->in == AXRGEN_IN_HEADER && p->name ? "header" : "parameter";
	if (schema != NULL && content != NULL) {
		axrgen_error(c, content->pos, "invalid-value",
			     "%s '%s' has both 'schema' and 'content'; use one", what, p->name);
		return;
	}
	if (schema != NULL) {
		p->schema = axrgen_schema_at(c, doc, schema, axrgen_pointer_add(c, pointer, "schema"), 0);
		return;
	}
	if (content == NULL) {
		axrgen_error(c, raw->pos, "invalid-value", "%s '%s' needs 'schema' or 'content'", what,
			     p->name);
		return;
	}
	size_t n = 0;
	axrgen_media_t *media = axrgen_content(c, doc, content, pointer, 0, &n);
	if (n != 1) {
		axrgen_error(c, content->pos, "invalid-value",
			     "'content' of %s '%s' must have exactly one media type", what, p->name);
		return;
	}
	p->content_type = media[0].type;
	p->schema = media[0].schema;
}

axrgen_param_t *axrgen_param_at(axrgen_ctx_t *c, axrgen_doc_t *doc, const axrgen_value_t *raw,
				const char *pointer, const char *header_name)
{
	static const char *const known[] = {
		"name", "in", "description", "required", "deprecated", "allowEmptyValue", "style",
		"explode", "allowReserved", "schema", "content", "example", "examples", NULL,
	};
	static const char *const header_known[] = {
		"description", "required", "deprecated", "style", "explode", "schema", "content",
		"example", "examples", NULL,
	};
	const char *what = header_name ? "header" : "parameter";
	raw = axrgen_deref(c, &doc, raw, &pointer, what);
	if (raw == NULL)
		return NULL;
	if (header_name == NULL) {
		axrgen_param_t *seen = axrgen_map_get_ptr(&c->params_by_raw, raw);
		if (seen != NULL)
			return seen;
	}
	axrgen_param_t *p = axrgen_alloc(c, sizeof(*p));
	p->pos = raw->pos;
	axrgen_check_keys(c, raw, header_name ? header_known : known, what);
	if (header_name != NULL) {
		p->name = header_name;
		p->in = AXRGEN_IN_HEADER;
	} else {
		axrgen_map_put_ptr(c, &c->params_by_raw, raw, p);
		p->name = axrgen_get_string(c, raw, "name");
		if (p->name == NULL && axrgen_value_get(raw, "name") == NULL)
			axrgen_error(c, raw->pos, "invalid-value", "parameter needs a 'name'");
		if (p->name == NULL)
			p->name = "";
		const char *in = axrgen_get_string(c, raw, "in");
		int found = -1;
		for (int i = 0; in != NULL && i < 4 && found < 0; i++)
			if (strcmp(axrgen_ins[i], in) == 0)
				found = i;
		if (in == NULL && axrgen_value_get(raw, "in") == NULL)
			axrgen_error(c, raw->pos, "invalid-value", "parameter '%s' needs 'in'", p->name);
		else if (in != NULL && found < 0)
			axrgen_error(c, axrgen_value_get(raw, "in")->pos, "invalid-value",
				     "parameter 'in' must be path, query, header or cookie, not '%s'%s", in,
				     strcmp(in, "body") == 0 || strcmp(in, "formData") == 0
					     ? " (Swagger 2.0; use requestBody)"
					     : "");
		p->in = found < 0 ? AXRGEN_IN_QUERY : (axrgen_param_in_t)found;
	}
	p->description = axrgen_get_string(c, raw, "description");
	p->required = axrgen_get_bool(c, raw, "required", false);
	p->deprecated = axrgen_get_bool(c, raw, "deprecated", false);
	p->allow_empty_value = axrgen_get_bool(c, raw, "allowEmptyValue", false);
	p->allow_reserved = axrgen_get_bool(c, raw, "allowReserved", false);
	if (header_name == NULL && p->in == AXRGEN_IN_PATH && !p->required)
		axrgen_error(c, raw->pos, "invalid-value",
			     "path parameter '%s' must have required: true", p->name);
	axrgen_param_style(c, p, raw);
	axrgen_param_schema(c, doc, p, raw, pointer);
	p->extensions = axrgen_extensions(c, raw);
	return p;
}

static axrgen_body_t *axrgen_body_at(axrgen_ctx_t *c, axrgen_doc_t *doc,
				     const axrgen_value_t *raw, const char *pointer)
{
	static const char *const known[] = { "description", "content", "required", NULL };
	raw = axrgen_deref(c, &doc, raw, &pointer, "request body");
	if (raw == NULL)
		return NULL;
	axrgen_body_t *b = axrgen_map_get_ptr(&c->bodies_by_raw, raw);
	if (b != NULL)
		return b;
	b = axrgen_alloc(c, sizeof(*b));
	axrgen_map_put_ptr(c, &c->bodies_by_raw, raw, b);
	b->pos = raw->pos;
	axrgen_check_keys(c, raw, known, "request body");
	b->description = axrgen_get_string(c, raw, "description");
	b->required = axrgen_get_bool(c, raw, "required", false);
	const axrgen_value_t *content = axrgen_value_get(raw, "content");
	if (content == NULL)
		axrgen_error(c, raw->pos, "invalid-value", "request body needs 'content'");
	b->content = axrgen_content(c, doc, content, pointer, 0, &b->n_content);
	b->extensions = axrgen_extensions(c, raw);
	return b;
}

static axrgen_response_t *axrgen_response_at(axrgen_ctx_t *c, axrgen_doc_t *doc,
					     const axrgen_value_t *raw, const char *pointer,
					     const char *status, axrgen_pos_t status_pos)
{
	static const char *const known[] = { "description", "headers", "content", "links", NULL };
	bool inline_response = axrgen_value_get(raw, "$ref") == NULL;
	raw = axrgen_deref(c, &doc, raw, &pointer, "response");
	if (raw == NULL)
		return NULL;
	axrgen_response_t *r = axrgen_alloc(c, sizeof(*r));
	r->status = status;
	r->pos = status_pos;
	axrgen_response_t *shared = axrgen_map_get_ptr(&c->responses_by_raw, raw);
	if (shared != NULL) {
		*r = *shared;
		r->status = status;
		r->pos = status_pos;
		return r;
	}
	axrgen_map_put_ptr(c, &c->responses_by_raw, raw, r);
	axrgen_check_keys(c, raw, known, "response");
	r->description = axrgen_get_string(c, raw, "description");
	if (axrgen_value_get(raw, "description") == NULL)
		axrgen_warning(c, raw->pos, "missing-field", "response needs a 'description'");
	const axrgen_value_t *headers = axrgen_get_kind(c, raw, "headers", AXRGEN_VALUE_OBJECT);
	if (headers != NULL) {
		r->headers = axrgen_alloc_array(c, headers->count ? headers->count : 1,
						sizeof(*r->headers));
		const char *base = axrgen_pointer_add(c, pointer, "headers");
		for (size_t i = 0; i < headers->count; i++) {
			const axrgen_member_t *m = &headers->members[i];
			axrgen_param_t *h = axrgen_param_at(c, doc, m->value,
							    axrgen_pointer_add(c, base, m->key), m->key);
			if (h != NULL)
				r->headers[r->n_headers++] = h;
		}
		/* the keys of one mapping are distinct: sorting by name is total */
		for (size_t i = 1; i < r->n_headers; i++)
			for (size_t j = i; j > 0 && strcmp(r->headers[j - 1]->name, r->headers[j]->name) > 0;
			     j--) {
				axrgen_param_t *t = r->headers[j];
				r->headers[j] = r->headers[j - 1];
				r->headers[j - 1] = t;
			}
	}
	r->content = axrgen_content(c, doc, axrgen_value_get(raw, "content"), pointer,
				    inline_response ? AXRGEN_SCTX_RESPONSE : 0, &r->n_content);
	r->extensions = axrgen_extensions(c, raw);
	return r;
}

/* Sort rank of a status: codes, then their nXX range, then default. */
static int axrgen_status_rank(const char *s)
{
	if (strcmp(s, "default") == 0)
		return 100000;
	if (s[0] >= '1' && s[0] <= '5' && s[1] == 'X' && s[2] == 'X' && s[3] == '\0')
		return ((s[0] - '0') * 100 + 99) * 10 + 5;
	if (s[0] >= '1' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
	    s[2] <= '9' && s[3] == '\0')
		return atoi(s) * 10;
	return -1;
}

static int axrgen_response_cmp(const void *pa, const void *pb)
{
	const axrgen_response_t *a = *(const axrgen_response_t *const *)pa;
	const axrgen_response_t *b = *(const axrgen_response_t *const *)pb;
	int ra = axrgen_status_rank(a->status), rb = axrgen_status_rank(b->status);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	return strcmp(a->status, b->status);
}

static void axrgen_responses(axrgen_ctx_t *c, axrgen_doc_t *doc, axrgen_operation_t *op,
			     const axrgen_value_t *v, const char *pointer)
{
	if (v == NULL) {
		if (doc->version == 30)
			axrgen_warning(c, op->pos, "missing-field",
				       "operation needs 'responses' in OpenAPI 3.0");
		return;
	}
	if (!axrgen_expect_kind(c, "responses", v, AXRGEN_VALUE_OBJECT))
		return;
	op->responses = axrgen_alloc_array(c, v->count ? v->count : 1, sizeof(*op->responses));
	const char *base = axrgen_pointer_add(c, pointer, "responses");
	for (size_t i = 0; i < v->count; i++) {
		const axrgen_member_t *m = &v->members[i];
		if (strncmp(m->key, "x-", 2) == 0)
			continue;
		if (axrgen_status_rank(m->key) < 0) {
			axrgen_error(c, m->key_pos, "invalid-value",
				     "invalid response status '%s' (use 100-599, 1XX-5XX or default)",
				     m->key);
			continue;
		}
		axrgen_response_t *r = axrgen_response_at(c, doc, m->value,
							  axrgen_pointer_add(c, base, m->key), m->key,
							  m->key_pos);
		if (r != NULL)
			op->responses[op->n_responses++] = r;
	}
	axrgen_sort(op->responses, op->n_responses, sizeof(*op->responses), axrgen_response_cmp);
}

/* Reads a parameters list; a (name, in) given twice is an error, or a
 * warning when the copies are identical (harmless, and common in exports). */
static void axrgen_param_list(axrgen_ctx_t *c, axrgen_doc_t *doc, const axrgen_value_t *v,
			      const char *pointer, axrgen_vec_t *out)
{
	if (v == NULL || !axrgen_expect_kind(c, "parameters", v, AXRGEN_VALUE_ARRAY))
		return;
	const char *base = axrgen_pointer_add(c, pointer, "parameters");
	const char **json = axrgen_alloc_array(c, v->count ? v->count : 1, sizeof(*json));
	for (size_t i = 0; i < v->count; i++) {
		axrgen_param_t *p = axrgen_param_at(c, doc, v->items[i],
						    axrgen_printf(c, "%s/%zu", base, i), NULL);
		if (p == NULL)
			continue;
		json[out->n] = axrgen_value_json(c->arena, v->items[i]);
		size_t dup = out->n;
		for (size_t j = 0; j < out->n && dup == out->n; j++) {
			axrgen_param_t *q = out->items[j];
			if (q->in == p->in && strcmp(q->name, p->name) == 0)
				dup = j;
		}
		if (dup == out->n) {
			axrgen_vec_push(c, out, p);
			continue;
		}
		if (json[dup] != NULL && json[out->n] != NULL && strcmp(json[dup], json[out->n]) == 0)
			axrgen_warning(c, v->items[i]->pos, "duplicate-parameter",
				       "%s parameter '%s' is listed again (identical copy ignored)",
				       axrgen_param_in_name(p->in), p->name);
		else
			axrgen_error(c, v->items[i]->pos, "duplicate-parameter",
				     "%s parameter '%s' is listed twice", axrgen_param_in_name(p->in),
				     p->name);
	}
}

static int axrgen_param_cmp(const void *pa, const void *pb)
{
	const axrgen_param_t *a = *(const axrgen_param_t *const *)pa;
	const axrgen_param_t *b = *(const axrgen_param_t *const *)pb;
	if (a->in != b->in)
		return a->in < b->in ? -1 : 1;
	return strcmp(a->name, b->name);
}

static axrgen_operation_t *axrgen_operation_at(axrgen_ctx_t *c, axrgen_doc_t *doc,
					       axrgen_service_t *svc, axrgen_path_t *path,
					       axrgen_method_t method, const axrgen_member_t *m,
					       const char *pointer)
{
	static const char *const known[] = {
		"tags", "summary", "description", "externalDocs", "operationId", "parameters",
		"requestBody", "responses", "callbacks", "deprecated", "security", "servers", NULL,
	};
	const axrgen_value_t *raw = m->value;
	if (raw->kind != AXRGEN_VALUE_OBJECT) {
		axrgen_error(c, raw->pos, "invalid-value", "an operation must be an object, not %s",
			     axrgen_value_kind_name(raw->kind));
		return NULL;
	}
	axrgen_operation_t *op = axrgen_alloc(c, sizeof(*op));
	op->method = method;
	op->path = path;
	op->pos = m->key_pos;
	axrgen_check_keys(c, raw, known, "operation");
	op->operation_id = axrgen_get_string(c, raw, "operationId");
	op->x_name = axrgen_get_string(c, raw, "x-name");
	op->summary = axrgen_get_string(c, raw, "summary");
	op->description = axrgen_get_string(c, raw, "description");
	op->deprecated = axrgen_get_bool(c, raw, "deprecated", false);
	const axrgen_value_t *tags = axrgen_get_kind(c, raw, "tags", AXRGEN_VALUE_ARRAY);
	if (tags != NULL) {
		op->tags = axrgen_alloc_array(c, tags->count ? tags->count : 1, sizeof(*op->tags));
		for (size_t i = 0; i < tags->count; i++) {
			if (tags->items[i]->kind == AXRGEN_VALUE_STRING)
				op->tags[op->n_tags++] = tags->items[i]->text;
			else
				axrgen_error(c, tags->items[i]->pos, "invalid-value",
					     "tags must be strings, not %s",
					     axrgen_value_kind_name(tags->items[i]->kind));
		}
	}
	/* path-level first; an operation-level (name, in) replaces in place */
	axrgen_vec_t own = { 0 }, merged = { 0 };
	axrgen_param_list(c, doc, axrgen_value_get(raw, "parameters"), pointer, &own);
	for (size_t i = 0; i < path->n_params; i++)
		axrgen_vec_push(c, &merged, path->params[i]);
	for (size_t i = 0; i < own.n; i++) {
		axrgen_param_t *p = own.items[i];
		bool replaced = false;
		for (size_t j = 0; j < merged.n && !replaced; j++) {
			axrgen_param_t *q = merged.items[j];
			if (q->in == p->in && strcmp(q->name, p->name) == 0) {
				merged.items[j] = p;
				replaced = true;
			}
		}
		if (!replaced)
			axrgen_vec_push(c, &merged, p);
	}
	op->params = (axrgen_param_t **)merged.items;
	op->n_params = merged.n;
	op->params_sorted = axrgen_alloc_array(c, merged.n ? merged.n : 1, sizeof(*op->params_sorted));
	if (merged.n)
		memcpy(op->params_sorted, merged.items, merged.n * sizeof(*op->params_sorted));
	axrgen_sort(op->params_sorted, merged.n, sizeof(*op->params_sorted), axrgen_param_cmp);

	const axrgen_value_t *body = axrgen_value_get(raw, "requestBody");
	if (body != NULL)
		op->request_body = axrgen_body_at(c, doc, body, axrgen_pointer_add(c, pointer, "requestBody"));
	axrgen_responses(c, doc, op, axrgen_value_get(raw, "responses"), pointer);
	axrgen_security_read(c, axrgen_value_get(raw, "security"), svc, &op->security);
	op->effective_security = op->security.present ? &op->security : &svc->security;
	op->extensions = axrgen_extensions(c, raw);
	return op;
}

/* Splits a template into segments; `{x}` and `:x` are parameters. */
static void axrgen_segments(axrgen_ctx_t *c, axrgen_path_t *path)
{
	const char *t = path->template;
	if (t[0] != '/') {
		axrgen_error(c, path->pos, "invalid-path", "path '%s' must start with '/'", t);
		return;
	}
	axrgen_vec_t segs = { 0 };
	const char *p = t + 1;
	while (t[1] != '\0') { /* "/" alone has no segment */
		const char *s = p;
		while (*p && *p != '/')
			p++;
		axrgen_segment_t *seg = axrgen_alloc(c, sizeof(*seg));
		seg->text = axrgen_strndup(c, s, (size_t)(p - s));
		size_t len = (size_t)(p - s);
		const char *open = memchr(s, '{', len), *close = memchr(s, '}', len);
		if (len >= 2 && s[0] == '{' && s[len - 1] == '}' && open == s && close == s + len - 1) {
			seg->param = true;
			seg->param_name = axrgen_strndup(c, s + 1, len - 2);
			if (len == 2)
				axrgen_error(c, path->pos, "invalid-path",
					     "empty parameter name '{}' in path '%s'", t);
		} else if (open != NULL || close != NULL) {
			if (open == NULL || close == NULL || close < open)
				axrgen_error(c, path->pos, "invalid-path",
					     "unbalanced braces in path segment '%s' of '%s'", seg->text, t);
			else
				axrgen_error(c, path->pos, "invalid-path",
					     "path segment '%s' of '%s' mixes text and a parameter; make "
					     "the parameter a whole segment",
					     seg->text, t);
		} else if (len >= 2 && s[0] == ':') {
			seg->param = true;
			seg->param_name = axrgen_strndup(c, s + 1, len - 1);
			axrgen_warning(c, path->pos, "path-style",
				       "'%s' in '%s' is read as path parameter '%s' (OpenAPI writes '{%s}')",
				       seg->text, t, seg->param_name, seg->param_name);
		}
		axrgen_vec_push(c, &segs, seg);
		if (*p == '\0')
			break;
		p++;
	}
	path->segments = axrgen_alloc_array(c, segs.n ? segs.n : 1, sizeof(*path->segments));
	for (size_t i = 0; i < segs.n; i++)
		path->segments[i] = *(axrgen_segment_t *)segs.items[i];
	path->n_segments = segs.n;
	for (size_t i = 0; i < path->n_segments; i++)
		for (size_t j = 0; j < i; j++)
			if (path->segments[i].param && path->segments[j].param &&
			    strcmp(path->segments[i].param_name, path->segments[j].param_name) == 0) {
				axrgen_error(c, path->pos, "invalid-path",
					     "path parameter '%s' appears twice in '%s'",
					     path->segments[i].param_name, t);
				break;
			}
}

axrgen_path_t *axrgen_path_at(axrgen_ctx_t *c, axrgen_doc_t *doc, axrgen_service_t *svc,
			      const axrgen_member_t *m, axrgen_vec_t *ops)
{
	static const char *const known[] = {
		"$ref", "summary", "description", "get", "put", "post", "delete", "options",
		"head", "patch", "trace", "servers", "parameters", NULL,
	};
	axrgen_path_t *path = axrgen_alloc(c, sizeof(*path));
	path->template = m->key;
	path->pos = m->key_pos;
	const char *pointer = axrgen_pointer_add(c, "#/paths", m->key);
	const axrgen_value_t *raw = axrgen_deref(c, &doc, m->value, &pointer, "path item");
	axrgen_segments(c, path);
	if (raw == NULL)
		return path;
	axrgen_check_keys(c, raw, known, "path item");
	path->summary = axrgen_get_string(c, raw, "summary");
	path->description = axrgen_get_string(c, raw, "description");
	path->x_name = axrgen_get_string(c, raw, "x-name");
	path->x_schema = axrgen_get_string(c, raw, "x-schema");
	if (path->x_schema != NULL) {
		path->model = axrgen_schema_named(c, doc, path->x_schema);
		if (path->model == NULL) {
			size_t n;
			const char **names = axrgen_component_names(c, doc, "schemas", &n);
			axrgen_error(c, axrgen_value_get(raw, "x-schema")->pos, "unknown-schema",
				     "x-schema names unknown schema '%s'%s", path->x_schema,
				     axrgen_did_you_mean(c, path->x_schema, names, n));
		}
	}
	axrgen_vec_t params = { 0 };
	axrgen_param_list(c, doc, axrgen_value_get(raw, "parameters"), pointer, &params);
	path->params = (axrgen_param_t **)params.items;
	path->n_params = params.n;
	/* by method: the keys of one mapping are distinct */
	path->operations = axrgen_alloc_array(c, AXRGEN_METHOD_COUNT, sizeof(*path->operations));
	for (int k = 0; k < AXRGEN_METHOD_COUNT; k++) {
		const axrgen_member_t *om = NULL;
		for (size_t i = 0; i < raw->count && om == NULL; i++)
			if (strcmp(raw->members[i].key, axrgen_methods[k]) == 0)
				om = &raw->members[i];
		if (om == NULL)
			continue;
		axrgen_operation_t *op = axrgen_operation_at(c, doc, svc, path, (axrgen_method_t)k, om,
							     axrgen_pointer_add(c, pointer, om->key));
		if (op == NULL)
			continue;
		path->operations[path->n_operations++] = op;
		axrgen_vec_push(c, ops, op);
	}
	path->extensions = axrgen_extensions(c, raw);
	return path;
}

void axrgen_components_check(axrgen_ctx_t *c, axrgen_doc_t *doc, const axrgen_value_t *comp)
{
	const axrgen_value_t *v = axrgen_get_kind(c, comp, "parameters", AXRGEN_VALUE_OBJECT);
	for (size_t i = 0; v != NULL && i < v->count; i++)
		axrgen_param_at(c, doc, v->members[i].value,
				axrgen_pointer_add(c, "#/components/parameters", v->members[i].key), NULL);
	v = axrgen_get_kind(c, comp, "responses", AXRGEN_VALUE_OBJECT);
	for (size_t i = 0; v != NULL && i < v->count; i++)
		axrgen_response_at(c, doc, v->members[i].value,
				   axrgen_pointer_add(c, "#/components/responses", v->members[i].key),
				   v->members[i].key, v->members[i].key_pos);
	v = axrgen_get_kind(c, comp, "requestBodies", AXRGEN_VALUE_OBJECT);
	for (size_t i = 0; v != NULL && i < v->count; i++)
		axrgen_body_at(c, doc, v->members[i].value,
			       axrgen_pointer_add(c, "#/components/requestBodies", v->members[i].key));
	v = axrgen_get_kind(c, comp, "headers", AXRGEN_VALUE_OBJECT);
	for (size_t i = 0; v != NULL && i < v->count; i++)
		axrgen_param_at(c, doc, v->members[i].value,
				axrgen_pointer_add(c, "#/components/headers", v->members[i].key),
				v->members[i].key);
}
