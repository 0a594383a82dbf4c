/* service.c: one root spec file to an axrgen service: info, components, security, paths. */
#include "load.h"

#include <stdlib.h>
#include <string.h>

static const char *axrgen_service_name(axrgen_ctx_t *c, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	return dot && dot != base ? axrgen_strndup(c, base, (size_t)(dot - base)) : axrgen_strdup(c, base);
}

static int axrgen_scheme_cmp(const void *pa, const void *pb)
{
	const axrgen_security_scheme_t *a = *(const axrgen_security_scheme_t *const *)pa;
	const axrgen_security_scheme_t *b = *(const axrgen_security_scheme_t *const *)pb;
	return strcmp(a->name, b->name);
}

static const axrgen_value_t *axrgen_require(axrgen_ctx_t *c, const axrgen_value_t *obj,
					    const char *key, const char *what)
{
	const char *s = axrgen_get_string(c, obj, key);
	if (s == NULL && axrgen_value_get(obj, key) == NULL)
		axrgen_error(c, obj->pos, "missing-field", "%s needs '%s'", what, key);
	return s ? axrgen_value_get(obj, key) : NULL;
}

static axrgen_security_scheme_t *axrgen_scheme_at(axrgen_ctx_t *c, axrgen_doc_t *doc,
						  const axrgen_member_t *m)
{
	static const char *const known[] = {
		"type", "description", "name", "in", "scheme", "bearerFormat", "flows",
		"openIdConnectUrl", NULL,
	};
	static const char *const types[] = { "apiKey", "http", "oauth2", "openIdConnect", "mutualTLS" };
	const char *pointer = axrgen_pointer_add(c, "#/components/securitySchemes", m->key);
	const axrgen_value_t *raw = axrgen_deref(c, &doc, m->value, &pointer, "security scheme");
	if (raw == NULL)
		return NULL;
	axrgen_security_scheme_t *s = axrgen_alloc(c, sizeof(*s));
	s->name = m->key;
	s->pos = m->key_pos;
	axrgen_check_keys(c, raw, known, "security scheme");
	s->description = axrgen_get_string(c, raw, "description");
	const axrgen_value_t *type = axrgen_require(c, raw, "type", "security scheme");
	if (type == NULL)
		return s;
	s->type = type->text;
	if (strcmp(s->type, "http") == 0) {
		const axrgen_value_t *v = axrgen_require(c, raw, "scheme", "http security scheme");
		s->scheme = v ? v->text : NULL;
		s->bearer_format = axrgen_get_string(c, raw, "bearerFormat");
	} else if (strcmp(s->type, "apiKey") == 0) {
		const axrgen_value_t *v = axrgen_require(c, raw, "name", "apiKey security scheme");
		s->param_name = v ? v->text : NULL;
		v = axrgen_require(c, raw, "in", "apiKey security scheme");
		s->in = v ? v->text : NULL;
		if (s->in && strcmp(s->in, "query") && strcmp(s->in, "header") && strcmp(s->in, "cookie"))
			axrgen_error(c, v->pos, "invalid-value",
				     "apiKey 'in' must be query, header or cookie, not '%s'", s->in);
	} else if (strcmp(s->type, "oauth2") == 0) {
		s->flows = axrgen_get_kind(c, raw, "flows", AXRGEN_VALUE_OBJECT);
		if (axrgen_value_get(raw, "flows") == NULL)
			axrgen_error(c, raw->pos, "missing-field", "oauth2 security scheme needs 'flows'");
	} else if (strcmp(s->type, "openIdConnect") == 0) {
		const axrgen_value_t *v =
			axrgen_require(c, raw, "openIdConnectUrl", "openIdConnect security scheme");
		s->openid_url = v ? v->text : NULL;
	} else if (strcmp(s->type, "mutualTLS") != 0) {
		axrgen_error(c, type->pos, "invalid-value", "unknown security scheme type '%s'%s",
			     s->type, axrgen_did_you_mean(c, s->type, types, 5));
	}
	s->extensions = axrgen_extensions(c, raw);
	return s;
}

static int axrgen_item_cmp(const void *pa, const void *pb)
{
	const axrgen_security_item_t *a = pa, *b = pb;
	return strcmp(a->scheme, b->scheme);
}

void axrgen_security_read(axrgen_ctx_t *c, const axrgen_value_t *v, axrgen_service_t *svc,
			  axrgen_security_t *out)
{
	memset(out, 0, sizeof(*out));
	if (v == NULL)
		return;
	out->present = true;
	out->pos = v->pos;
	if (!axrgen_expect_kind(c, "security", v, AXRGEN_VALUE_ARRAY))
		return;
	const char **names = axrgen_alloc_array(c, svc->n_security_schemes + 1, sizeof(*names));
	for (size_t i = 0; i < svc->n_security_schemes; i++)
		names[i] = svc->security_schemes[i]->name;
	out->alternatives = axrgen_alloc_array(c, v->count ? v->count : 1, sizeof(*out->alternatives));
	for (size_t i = 0; i < v->count; i++) {
		const axrgen_value_t *req = v->items[i];
		if (req->kind != AXRGEN_VALUE_OBJECT) {
			axrgen_error(c, req->pos, "invalid-value",
				     "a security requirement must be an object, not %s",
				     axrgen_value_kind_name(req->kind));
			continue;
		}
		axrgen_security_req_t *r = &out->alternatives[out->n_alternatives++];
		r->pos = req->pos;
		r->items = axrgen_alloc_array(c, req->count ? req->count : 1, sizeof(*r->items));
		for (size_t k = 0; k < req->count; k++) {
			const axrgen_member_t *m = &req->members[k];
			axrgen_security_item_t *it = &r->items[r->n_items++];
			it->scheme = m->key;
			it->pos = m->key_pos;
			for (size_t s = 0; s < svc->n_security_schemes && !it->resolved; s++)
				if (strcmp(svc->security_schemes[s]->name, m->key) == 0)
					it->resolved = svc->security_schemes[s];
			/* a warning, as in Spectral: the back end decides what an
			 * unresolved scheme means (resolved stays NULL) */
			if (it->resolved == NULL)
				axrgen_warning(c, m->key_pos, "unknown-security-scheme",
					       "security scheme '%s' is not defined in "
					       "components/securitySchemes%s",
					       m->key,
					       axrgen_did_you_mean(c, m->key, names, svc->n_security_schemes));
			if (m->value->kind != AXRGEN_VALUE_ARRAY) {
				axrgen_error(c, m->value->pos, "invalid-value",
					     "scopes of '%s' must be an array, not %s", m->key,
					     axrgen_value_kind_name(m->value->kind));
				continue;
			}
			it->scopes = axrgen_alloc_array(c, m->value->count ? m->value->count : 1,
							sizeof(*it->scopes));
			for (size_t j = 0; j < m->value->count; j++)
				if (m->value->items[j]->kind == AXRGEN_VALUE_STRING)
					it->scopes[it->n_scopes++] = m->value->items[j]->text;
				else
					axrgen_error(c, m->value->items[j]->pos, "invalid-value",
						     "scopes must be strings");
		}
		axrgen_sort(r->items, r->n_items, sizeof(*r->items), axrgen_item_cmp);
	}
}

static void axrgen_components(axrgen_ctx_t *c, axrgen_doc_t *doc, axrgen_service_t *svc,
			      const axrgen_value_t *comp)
{
	static const char *const known[] = {
		"schemas", "responses", "parameters", "examples", "requestBodies", "headers",
		"securitySchemes", "links", "callbacks", "pathItems", NULL,
	};
	if (comp == NULL || !axrgen_expect_kind(c, "components", comp, AXRGEN_VALUE_OBJECT))
		return;
	axrgen_check_keys(c, comp, known, "components");
	const axrgen_value_t *schemes = axrgen_get_kind(c, comp, "securitySchemes", AXRGEN_VALUE_OBJECT);
	if (schemes != NULL) {
		svc->security_schemes = axrgen_alloc_array(c, schemes->count ? schemes->count : 1,
							   sizeof(*svc->security_schemes));
		for (size_t i = 0; i < schemes->count; i++) {
			axrgen_security_scheme_t *s = axrgen_scheme_at(c, doc, &schemes->members[i]);
			if (s != NULL)
				svc->security_schemes[svc->n_security_schemes++] = s;
		}
		axrgen_sort(svc->security_schemes, svc->n_security_schemes, sizeof(*svc->security_schemes),
		      axrgen_scheme_cmp);
	}
	/* read everything, used or not, so every mistake is reported */
	const axrgen_value_t *schemas = axrgen_get_kind(c, comp, "schemas", AXRGEN_VALUE_OBJECT);
	for (size_t i = 0; schemas != NULL && i < schemas->count; i++)
		axrgen_schema_named(c, doc, schemas->members[i].key);
	axrgen_components_check(c, doc, comp);
}

static void axrgen_info(axrgen_ctx_t *c, axrgen_service_t *svc, const axrgen_value_t *root)
{
	static const char *const known[] = {
		"title", "summary", "description", "termsOfService", "contact", "license", "version",
		NULL,
	};
	const axrgen_value_t *info = axrgen_get_kind(c, root, "info", AXRGEN_VALUE_OBJECT);
	if (info == NULL) {
		if (svc->version != 0 && axrgen_value_get(root, "info") == NULL)
			axrgen_error(c, root->pos, "missing-field", "a spec needs 'info'");
		return;
	}
	axrgen_check_keys(c, info, known, "info");
	svc->title = axrgen_get_string(c, info, "title");
	if (axrgen_value_get(info, "title") == NULL)
		axrgen_warning(c, info->pos, "missing-field", "'info' needs a 'title'");
	svc->description = axrgen_get_string(c, info, "description");
	const axrgen_value_t *version = axrgen_value_get(info, "version");
	if (version == NULL)
		axrgen_warning(c, info->pos, "missing-field", "'info' needs a 'version'");
	else if (version->kind == AXRGEN_VALUE_ARRAY || version->kind == AXRGEN_VALUE_OBJECT)
		axrgen_error(c, version->pos, "invalid-value", "'version' must be a string");
	else
		svc->api_version = version->text; /* a plain 1.0 is fine too */
}

static void axrgen_servers_tags(axrgen_ctx_t *c, axrgen_service_t *svc, const axrgen_value_t *root)
{
	const axrgen_value_t *servers = axrgen_get_kind(c, root, "servers", AXRGEN_VALUE_ARRAY);
	if (servers != NULL) {
		svc->servers = axrgen_alloc_array(c, servers->count ? servers->count : 1,
						  sizeof(*svc->servers));
		for (size_t i = 0; i < servers->count; i++) {
			const char *url = axrgen_get_string(c, servers->items[i], "url");
			if (url != NULL)
				svc->servers[svc->n_servers++] = url;
			else if (axrgen_value_get(servers->items[i], "url") == NULL)
				axrgen_error(c, servers->items[i]->pos, "missing-field", "a server needs a 'url'");
		}
	}
	const axrgen_value_t *tags = axrgen_get_kind(c, root, "tags", AXRGEN_VALUE_ARRAY);
	if (tags != NULL) {
		svc->tags = axrgen_alloc_array(c, tags->count ? tags->count : 1, sizeof(*svc->tags));
		for (size_t i = 0; i < tags->count; i++) {
			const axrgen_value_t *t = tags->items[i];
			const char *name = axrgen_get_string(c, t, "name");
			if (name == NULL) {
				axrgen_error(c, t->pos, "missing-field", "a tag needs a 'name'");
				continue;
			}
			axrgen_tag_t *tag = &svc->tags[svc->n_tags++];
			tag->name = name;
			tag->description = axrgen_get_string(c, t, "description");
			tag->pos = t->pos;
		}
	}
}

static int axrgen_path_cmp(const void *pa, const void *pb)
{
	const axrgen_path_t *a = *(const axrgen_path_t *const *)pa;
	const axrgen_path_t *b = *(const axrgen_path_t *const *)pb;
	return strcmp(a->template, b->template);
}

static int axrgen_op_cmp(const void *pa, const void *pb)
{
	const axrgen_operation_t *a = *(const axrgen_operation_t *const *)pa;
	const axrgen_operation_t *b = *(const axrgen_operation_t *const *)pb;
	int r = strcmp(a->path->template, b->path->template);
	if (r)
		return r;
	return (a->method > b->method) - (a->method < b->method);
}

static void axrgen_paths(axrgen_ctx_t *c, axrgen_doc_t *doc, axrgen_service_t *svc,
			 const axrgen_value_t *paths)
{
	if (paths == NULL) {
		if (svc->version == 30)
			axrgen_error(c, doc->root->pos, "missing-field", "an OpenAPI 3.0 spec needs 'paths'");
		return;
	}
	if (!axrgen_expect_kind(c, "paths", paths, AXRGEN_VALUE_OBJECT))
		return;
	axrgen_vec_t ops = { 0 };
	svc->paths = axrgen_alloc_array(c, paths->count ? paths->count : 1, sizeof(*svc->paths));
	for (size_t i = 0; i < paths->count; i++) {
		const axrgen_member_t *m = &paths->members[i];
		if (strncmp(m->key, "x-", 2) == 0)
			continue;
		svc->paths[svc->n_paths++] = axrgen_path_at(c, doc, svc, m, &ops);
	}
	axrgen_sort(svc->paths, svc->n_paths, sizeof(*svc->paths), axrgen_path_cmp);
	svc->operations = (axrgen_operation_t **)ops.items;
	svc->n_operations = ops.n;
	axrgen_sort(svc->operations, svc->n_operations, sizeof(*svc->operations), axrgen_op_cmp);
}

axrgen_service_t *axrgen_service_build(axrgen_ctx_t *c, axrgen_doc_t *doc)
{
	static const char *const known[] = {
		"openapi", "info", "jsonSchemaDialect", "servers", "paths", "webhooks", "components",
		"security", "tags", "externalDocs", "swagger", NULL,
	};
	const axrgen_value_t *root = doc->root;
	axrgen_service_t *svc = axrgen_alloc(c, sizeof(*svc));
	svc->file = doc->path;
	svc->name = axrgen_service_name(c, doc->path);
	const axrgen_value_t *swagger = axrgen_value_get(root, "swagger");
	if (swagger != NULL)
		axrgen_error(c, swagger->pos, "invalid-version",
			     "Swagger 2.0 specs are not supported (convert to OpenAPI 3)");
	const axrgen_value_t *openapi = axrgen_value_get(root, "openapi");
	if (openapi == NULL && swagger == NULL && axrgen_value_get(root, "paths") != NULL)
		axrgen_error(c, root->pos, "invalid-version",
			     "missing 'openapi' (e.g. openapi: 3.1.0)");
	svc->openapi = axrgen_value_is_string(openapi) ? openapi->text : NULL;
	svc->version = doc->version;
	axrgen_check_keys(c, root, known, "the spec");
	const axrgen_value_t *webhooks = axrgen_value_get(root, "webhooks");
	if (webhooks != NULL)
		axrgen_warning(c, webhooks->pos, "unsupported-keyword", "webhooks are not supported (ignored)");
	axrgen_info(c, svc, root);
	axrgen_servers_tags(c, svc, root);
	axrgen_components(c, doc, svc, axrgen_value_get(root, "components"));
	axrgen_security_read(c, axrgen_value_get(root, "security"), svc, &svc->security);
	axrgen_paths(c, doc, svc, axrgen_value_get(root, "paths"));
	svc->extensions = axrgen_extensions(c, root);
	return svc;
}
