/* dump.c: the stable text dump of an axrgen model (golden-test format). */
#include "model.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/*
 * One fact per line, indented by nesting; every list in a fixed order (see
 * model.h), so the same specs always give the same bytes. Named schemas are
 * written once under `schema NAME` and referred to as `-> NAME`; an inline
 * schema reached a second time is written as `-> POINTER`, so the dump is
 * finite on recursive graphs and linear in the model.
 */

typedef struct axrgen_dump {
	FILE *out;
	const axrgen_service_t *svc;
	uint8_t *seen; /* inline schemas already written, by id */
	size_t n_seen;
	axr_arena_t *arena; /* scratch for JSON text */
} axrgen_dump_t;

static void axrgen_line(axrgen_dump_t *d, int indent, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void axrgen_line(axrgen_dump_t *d, int indent, const char *fmt, ...)
{
	va_list ap;
	fprintf(d->out, "%*s", indent, "");
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fputc('\n', d->out);
}

/* A double-quoted string with C escapes, in the scratch arena. */
static const char *axrgen_q(axrgen_dump_t *d, const char *s)
{
	size_t n = strlen(s);
	char *out = axr_arena_alloc(d->arena, n * 4 + 3);
	if (out == NULL)
		return "\"?\"";
	char *w = out;
	*w++ = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			*w++ = '\\';
			*w++ = (char)*p;
		} else if (*p == '\n') {
			*w++ = '\\';
			*w++ = 'n';
		} else if (*p == '\t') {
			*w++ = '\\';
			*w++ = 't';
		} else if (*p < 0x20 || *p == 0x7f) {
			w += sprintf(w, "\\x%02x", *p);
		} else {
			*w++ = (char)*p;
		}
	}
	*w++ = '"';
	*w = '\0';
	return out;
}

static const char *axrgen_json_text(axrgen_dump_t *d, const axrgen_value_t *v)
{
	const char *s = axrgen_value_json(d->arena, v);
	return s ? s : "?";
}

/* "@12:5", or "@other.yaml:12:5" outside the service's file. */
static const char *axrgen_at(axrgen_dump_t *d, axrgen_pos_t pos)
{
	if (pos.line == 0)
		return "@?";
	if (pos.file != NULL && strcmp(pos.file, d->svc->file) != 0)
		return axr_arena_printf(d->arena, "@%s:%u:%u", pos.file, (unsigned)pos.line,
					(unsigned)pos.col);
	return axr_arena_printf(d->arena, "@%u:%u", (unsigned)pos.line, (unsigned)pos.col);
}

static void axrgen_extensions_dump(axrgen_dump_t *d, int ind, const axrgen_extensions_t *ext)
{
	for (size_t i = 0; i < ext->count; i++)
		axrgen_line(d, ind, "extension %s %s", ext->items[i].key,
			    axrgen_json_text(d, ext->items[i].value));
}

static void axrgen_schema_dump(axrgen_dump_t *d, int ind, const axrgen_schema_t *s);

/* Where an already written inline schema lives. */
static const char *axrgen_pointer_text(axrgen_dump_t *d, const axrgen_schema_t *s)
{
	const char *p = s->pointer ? s->pointer : "#";
	if (s->pos.file != NULL && strcmp(s->pos.file, d->svc->file) != 0)
		return axr_arena_printf(d->arena, "%s%s", s->pos.file, p);
	return p;
}

/* A schema in a slot: a name, a pointer, or written out in full. */
static void axrgen_slot(axrgen_dump_t *d, int ind, const char *label, const axrgen_schema_t *s)
{
	if (s == NULL)
		return;
	if (s->name != NULL) {
		axrgen_line(d, ind, "%s-> %s", label, s->name);
		return;
	}
	if (s->id < d->n_seen && d->seen[s->id]) {
		axrgen_line(d, ind, "%s-> %s", label, axrgen_pointer_text(d, s));
		return;
	}
	if (*label != '\0') {
		size_t n = strlen(label);
		axrgen_line(d, ind, "%.*s", (int)(n - 1), label); /* drop the trailing space */
		axrgen_schema_dump(d, ind + 2, s);
	} else {
		axrgen_schema_dump(d, ind, s);
	}
}

static void axrgen_bound_dump(axrgen_dump_t *d, int ind, const char *name, const axrgen_bound_t *b)
{
	if (b->present)
		axrgen_line(d, ind, "%s %s%s", name, b->text, b->exclusive ? " exclusive" : "");
}

static void axrgen_limit_dump(axrgen_dump_t *d, int ind, const char *name, const axrgen_limit_t *l)
{
	if (l->present)
		axrgen_line(d, ind, "%s %llu", name, (unsigned long long)l->value);
}

static void axrgen_list_dump(axrgen_dump_t *d, int ind, const char *name, axrgen_schema_t **list,
			     size_t n)
{
	for (size_t i = 0; i < n; i++)
		axrgen_slot(d, ind, axr_arena_printf(d->arena, "%s %zu ", name, i), list[i]);
}

static void axrgen_types_dump(axrgen_dump_t *d, int ind, const axrgen_schema_t *s)
{
	if (s->types == AXRGEN_TYPE_ANY)
		return;
	char buf[128] = "";
	for (unsigned bit = 1; bit <= AXRGEN_TYPE_OBJECT; bit <<= 1) {
		if (!(s->types & bit))
			continue;
		if (buf[0])
			strcat(buf, ",");
		strcat(buf, axrgen_type_name(bit));
	}
	axrgen_line(d, ind, "type %s", buf);
}

static void axrgen_object_dump(axrgen_dump_t *d, int ind, const axrgen_schema_t *s)
{
	if (s->n_required) {
		fprintf(d->out, "%*srequired", ind, "");
		for (size_t i = 0; i < s->n_required; i++)
			fprintf(d->out, " %s", s->required[i]);
		fputc('\n', d->out);
	}
	for (size_t i = 0; i < s->n_properties; i++) {
		const axrgen_property_t *p = &s->properties[i];
		axrgen_line(d, ind, "property %s%s %s", p->name, p->required ? " required" : "",
			    axrgen_at(d, p->pos));
		axrgen_slot(d, ind + 2, "", p->schema);
	}
	switch (s->additional) {
	case AXRGEN_ADDITIONAL_TRUE:
		axrgen_line(d, ind, "additional-properties true");
		break;
	case AXRGEN_ADDITIONAL_FALSE:
		axrgen_line(d, ind, "additional-properties false");
		break;
	case AXRGEN_ADDITIONAL_SCHEMA:
		axrgen_slot(d, ind, "additional-properties ", s->additional_schema);
		break;
	case AXRGEN_ADDITIONAL_UNSET:
		break;
	}
	axrgen_limit_dump(d, ind, "min-properties", &s->min_properties);
	axrgen_limit_dump(d, ind, "max-properties", &s->max_properties);
}

static void axrgen_schema_dump(axrgen_dump_t *d, int ind, const axrgen_schema_t *s)
{
	if (s->id < d->n_seen)
		d->seen[s->id] = 1;
	bool any = s->ref == NULL && s->types == AXRGEN_TYPE_ANY && !s->never &&
		   s->n_properties == 0 && s->items == NULL && s->n_all_of == 0 &&
		   s->n_one_of == 0 && s->n_any_of == 0 && s->n_enum == 0 && s->const_value == NULL &&
		   s->additional == AXRGEN_ADDITIONAL_UNSET;
	if (any)
		axrgen_line(d, ind, "%s", s->is_extern ? "any (extern)" : "any");
	if (s->ref != NULL)
		axrgen_slot(d, ind, "ref ", s->ref);
	axrgen_types_dump(d, ind, s);
	if (s->never)
		axrgen_line(d, ind, "never");
	if (s->format)
		axrgen_line(d, ind, "format %s", s->format);
	if (s->title)
		axrgen_line(d, ind, "title %s", axrgen_q(d, s->title));
	if (s->description)
		axrgen_line(d, ind, "description %s", axrgen_q(d, s->description));
	if (s->read_only)
		axrgen_line(d, ind, "read-only");
	if (s->write_only)
		axrgen_line(d, ind, "write-only");
	if (s->deprecated)
		axrgen_line(d, ind, "deprecated");
	if (s->default_json)
		axrgen_line(d, ind, "default %s", s->default_json);
	if (s->const_json)
		axrgen_line(d, ind, "const %s", s->const_json);
	if (s->n_enum) {
		fprintf(d->out, "%*senum", ind, "");
		for (size_t i = 0; i < s->n_enum; i++)
			fprintf(d->out, " %s", s->enum_values[i].json);
		fputc('\n', d->out);
	}
	axrgen_bound_dump(d, ind, "minimum", &s->minimum);
	axrgen_bound_dump(d, ind, "maximum", &s->maximum);
	axrgen_bound_dump(d, ind, "multiple-of", &s->multiple_of);
	axrgen_limit_dump(d, ind, "min-length", &s->min_length);
	axrgen_limit_dump(d, ind, "max-length", &s->max_length);
	for (size_t i = 0; i < s->n_patterns; i++)
		axrgen_line(d, ind, "pattern %s", axrgen_q(d, s->patterns[i]));
	axrgen_slot(d, ind, "items ", s->items);
	axrgen_limit_dump(d, ind, "min-items", &s->min_items);
	axrgen_limit_dump(d, ind, "max-items", &s->max_items);
	if (s->unique_items)
		axrgen_line(d, ind, "unique-items");
	axrgen_object_dump(d, ind, s);
	if (s->n_all_of)
		axrgen_line(d, ind, "merged-all-of %zu", s->n_all_of);
	axrgen_list_dump(d, ind + 2, "part", s->all_of, s->n_all_of);
	axrgen_list_dump(d, ind, "one-of", s->one_of, s->n_one_of);
	axrgen_list_dump(d, ind, "any-of", s->any_of, s->n_any_of);
	if (s->discriminator) {
		const axrgen_discriminator_t *disc = s->discriminator;
		axrgen_line(d, ind, "discriminator %s", disc->property);
		for (size_t i = 0; i < disc->n_mapping; i++) {
			const axrgen_mapping_t *m = &disc->mapping[i];
			axrgen_line(d, ind + 2, "mapping %s -> %s%s", m->value,
				    m->schema->name ? m->schema->name : axrgen_pointer_text(d, m->schema),
				    m->implicit ? " (implicit)" : "");
		}
	}
	axrgen_extensions_dump(d, ind, &s->extensions);
}

static const char *axrgen_security_text(axrgen_dump_t *d, const axrgen_security_t *sec)
{
	if (!sec->present)
		return "(not set)";
	if (sec->n_alternatives == 0)
		return "(none)";
	char *out = "";
	for (size_t i = 0; i < sec->n_alternatives; i++) {
		const axrgen_security_req_t *r = &sec->alternatives[i];
		char *alt = r->n_items ? "" : "(anonymous)";
		for (size_t k = 0; k < r->n_items; k++) {
			char *scopes = "";
			for (size_t j = 0; j < r->items[k].n_scopes; j++)
				scopes = axr_arena_printf(d->arena, "%s%s%s", scopes, j ? "," : "",
							  r->items[k].scopes[j]);
			alt = axr_arena_printf(d->arena, "%s%s%s[%s]", alt, k ? " + " : "",
					       r->items[k].scheme, scopes);
		}
		out = axr_arena_printf(d->arena, "%s%s%s", out, i ? " | " : "", alt);
	}
	return out;
}

/* "parameter query limit ..." or, for a response header, "header X-Rate ..." */
static void axrgen_param_dump(axrgen_dump_t *d, int ind, const char *kind, const axrgen_param_t *p)
{
	bool header = strcmp(kind, "header") == 0;
	const char *where = header ? "" : axr_arena_printf(d->arena, "%s ", axrgen_param_in_name(p->in));
	axrgen_line(d, ind, "%s %s%s%s%s style=%s explode=%s%s%s%s %s", kind, where ? where : "",
		    p->name, p->required ? " required" : "", p->deprecated ? " deprecated" : "",
		    axrgen_style_name(p->style), p->explode ? "true" : "false",
		    p->allow_empty_value ? " allow-empty" : "", p->allow_reserved ? " allow-reserved" : "",
		    p->content_type ? axr_arena_printf(d->arena, " content=%s", p->content_type) : "",
		    axrgen_at(d, p->pos));
	if (p->description)
		axrgen_line(d, ind + 2, "description %s", axrgen_q(d, p->description));
	axrgen_slot(d, ind + 2, "", p->schema);
	axrgen_extensions_dump(d, ind + 2, &p->extensions);
}

static void axrgen_content_dump(axrgen_dump_t *d, int ind, const axrgen_media_t *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		axrgen_line(d, ind, "content %s %s", m[i].type, axrgen_at(d, m[i].pos));
		axrgen_slot(d, ind + 2, "", m[i].schema);
		axrgen_extensions_dump(d, ind + 2, &m[i].extensions);
	}
}

static void axrgen_operation_dump(axrgen_dump_t *d, int ind, const axrgen_operation_t *op)
{
	static const char *const sources[] = { "x-name", "operationId", "derived" };
	axrgen_line(d, ind, "operation %s %s", axrgen_method_name(op->method), axrgen_at(d, op->pos));
	ind += 2;
	axrgen_line(d, ind, "handler %s (%s)%s", op->handler, sources[op->handler_source],
		    op->handler_shared ? " shared" : "");
	if (op->operation_id)
		axrgen_line(d, ind, "operation-id %s", op->operation_id);
	if (op->summary)
		axrgen_line(d, ind, "summary %s", axrgen_q(d, op->summary));
	if (op->description)
		axrgen_line(d, ind, "description %s", axrgen_q(d, op->description));
	if (op->deprecated)
		axrgen_line(d, ind, "deprecated");
	if (op->n_tags) {
		fprintf(d->out, "%*stags", ind, "");
		for (size_t i = 0; i < op->n_tags; i++)
			fprintf(d->out, " %s", axrgen_q(d, op->tags[i]));
		fputc('\n', d->out);
	}
	axrgen_line(d, ind, "security %s", axrgen_security_text(d, op->effective_security));
	if (op->model)
		axrgen_line(d, ind, "model %s", op->model->name);
	for (size_t i = 0; i < op->n_params; i++)
		axrgen_param_dump(d, ind, "parameter", op->params[i]);
	if (op->request_body) {
		const axrgen_body_t *b = op->request_body;
		axrgen_line(d, ind, "request-body%s %s", b->required ? " required" : "",
			    axrgen_at(d, b->pos));
		if (b->description)
			axrgen_line(d, ind + 2, "description %s", axrgen_q(d, b->description));
		axrgen_content_dump(d, ind + 2, b->content, b->n_content);
		axrgen_extensions_dump(d, ind + 2, &b->extensions);
	}
	for (size_t i = 0; i < op->n_responses; i++) {
		const axrgen_response_t *r = op->responses[i];
		axrgen_line(d, ind, "response %s %s", r->status, axrgen_at(d, r->pos));
		if (r->description)
			axrgen_line(d, ind + 2, "description %s", axrgen_q(d, r->description));
		for (size_t k = 0; k < r->n_headers; k++)
			axrgen_param_dump(d, ind + 2, "header", r->headers[k]);
		axrgen_content_dump(d, ind + 2, r->content, r->n_content);
		axrgen_extensions_dump(d, ind + 2, &r->extensions);
	}
	axrgen_extensions_dump(d, ind, &op->extensions);
}

static void axrgen_path_dump(axrgen_dump_t *d, int ind, const axrgen_path_t *p)
{
	axrgen_line(d, ind, "path %s %s", p->template, axrgen_at(d, p->pos));
	ind += 2;
	fprintf(d->out, "%*ssegments", ind, "");
	for (size_t i = 0; i < p->n_segments; i++) {
		if (p->segments[i].param)
			fprintf(d->out, " {%s}", p->segments[i].param_name);
		else
			fprintf(d->out, " %s", axrgen_q(d, p->segments[i].text));
	}
	fputc('\n', d->out);
	if (p->summary)
		axrgen_line(d, ind, "summary %s", axrgen_q(d, p->summary));
	if (p->description)
		axrgen_line(d, ind, "description %s", axrgen_q(d, p->description));
	if (p->x_name)
		axrgen_line(d, ind, "x-name %s", p->x_name);
	if (p->x_schema)
		axrgen_line(d, ind, "x-schema %s", p->x_schema);
	axrgen_extensions_dump(d, ind, &p->extensions);
	for (size_t i = 0; i < p->n_operations; i++)
		axrgen_operation_dump(d, ind, p->operations[i]);
}

static void axrgen_service_dump(axrgen_dump_t *d, const axrgen_service_t *svc)
{
	d->svc = svc;
	memset(d->seen, 0, d->n_seen);
	axrgen_line(d, 0, "service %s", svc->name);
	axrgen_line(d, 2, "file %s", svc->file);
	axrgen_line(d, 2, "openapi %s", svc->openapi ? svc->openapi : "(fragment)");
	if (svc->title)
		axrgen_line(d, 2, "title %s", axrgen_q(d, svc->title));
	if (svc->api_version)
		axrgen_line(d, 2, "api-version %s", axrgen_q(d, svc->api_version));
	if (svc->description)
		axrgen_line(d, 2, "description %s", axrgen_q(d, svc->description));
	for (size_t i = 0; i < svc->n_servers; i++)
		axrgen_line(d, 2, "server %s", axrgen_q(d, svc->servers[i]));
	for (size_t i = 0; i < svc->n_tags; i++)
		axrgen_line(d, 2, "tag %s%s%s", axrgen_q(d, svc->tags[i].name),
			    svc->tags[i].description ? " " : "",
			    svc->tags[i].description ? axrgen_q(d, svc->tags[i].description) : "");
	axrgen_line(d, 2, "security %s", axrgen_security_text(d, &svc->security));
	axrgen_extensions_dump(d, 2, &svc->extensions);
	for (size_t i = 0; i < svc->n_security_schemes; i++) {
		const axrgen_security_scheme_t *s = svc->security_schemes[i];
		axrgen_line(d, 2, "security-scheme %s %s %s", s->name, s->type ? s->type : "?",
			    axrgen_at(d, s->pos));
		if (s->scheme)
			axrgen_line(d, 4, "scheme %s", s->scheme);
		if (s->bearer_format)
			axrgen_line(d, 4, "bearer-format %s", s->bearer_format);
		if (s->in)
			axrgen_line(d, 4, "in %s name %s", s->in, s->param_name ? s->param_name : "?");
		if (s->openid_url)
			axrgen_line(d, 4, "openid-url %s", s->openid_url);
		if (s->flows)
			axrgen_line(d, 4, "flows %s", axrgen_json_text(d, s->flows));
		axrgen_extensions_dump(d, 4, &s->extensions);
	}
	for (size_t i = 0; i < svc->n_schemas; i++) {
		const axrgen_schema_t *s = svc->schemas[i];
		axrgen_line(d, 2, "schema %s %s", s->name, axrgen_at(d, s->pos));
		axrgen_schema_dump(d, 4, s);
	}
	for (size_t i = 0; i < svc->n_paths; i++)
		axrgen_path_dump(d, 2, svc->paths[i]);
	for (size_t i = 0; i < svc->n_operations; i++) {
		const axrgen_operation_t *op = svc->operations[i];
		if (!op->handler_shared)
			continue;
		axrgen_line(d, 2, "shared-handler %s %s %s", op->handler, axrgen_method_name(op->method),
			    op->path->template);
	}
}

int axrgen_model_dump(const axrgen_model_t *m, FILE *out)
{
	axrgen_dump_t d = { .out = out, .n_seen = m->n_schema_nodes };
	int rc = AXR_ENOMEM;
	d.arena = axr_arena_new(0);
	d.seen = calloc(d.n_seen ? d.n_seen : 1, 1);
	if (d.arena == NULL || d.seen == NULL)
		goto done;
	for (size_t i = 0; i < m->n_services; i++) {
		axrgen_service_dump(&d, m->services[i]);
		axr_arena_reset(d.arena);
	}
	rc = ferror(out) ? AXR_EIO : 0;
done:
	free(d.seen);
	axr_arena_free(d.arena);
	return rc;
}
