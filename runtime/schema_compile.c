/* schema_compile.c: JSON Schema documents compiled to validation tables in memory. */
#include "schema_compile.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "err.h"
#include "json.h"
#include "schema_compile_internal.h"
#include "schema_uri.h"

#define AXR__MAX_NESTING 512

int axr__sc_error(axr_schema_doc_t *d, const char *fmt, ...)
{
	va_list ap;
	if (d->err != NULL && d->errsize > 0) {
		va_start(ap, fmt);
		vsnprintf(d->err, d->errsize, fmt, ap);
		va_end(ap);
	}
	return AXR_EINVAL;
}

int axr__sc_grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	void *np = realloc(*p, ncap * elem);
	if (np == NULL)
		return AXR_ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

/* ---- the node table */

static size_t axr__node_slot(const json_object *j, size_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)j * 0x9E3779B97F4A7C15ULL;
	return (size_t)(h >> 20) & (cap - 1);
}

static axr__node_t *axr__node_find(axr_schema_doc_t *d, const json_object *j)
{
	if (d->nodes_cap == 0)
		return NULL;
	for (size_t k = axr__node_slot(j, d->nodes_cap); d->nodes[k].json != NULL;
	     k = (k + 1) & (d->nodes_cap - 1))
		if (d->nodes[k].json == j)
			return &d->nodes[k];
	return NULL;
}

static int axr__node_add(axr_schema_doc_t *d, json_object *j, const char *base, const char *where)
{
	if ((d->nodes_len + 1) * 2 > d->nodes_cap) {
		size_t cap = d->nodes_cap ? d->nodes_cap * 2 : 256;
		axr__node_t *nodes = calloc(cap, sizeof(*nodes));
		if (nodes == NULL)
			return AXR_ENOMEM;
		for (size_t i = 0; i < d->nodes_cap; i++) {
			if (d->nodes[i].json == NULL)
				continue;
			size_t k = axr__node_slot(d->nodes[i].json, cap);
			while (nodes[k].json != NULL)
				k = (k + 1) & (cap - 1);
			nodes[k] = d->nodes[i];
		}
		free(d->nodes);
		d->nodes = nodes;
		d->nodes_cap = cap;
	}
	size_t k = axr__node_slot(j, d->nodes_cap);
	while (d->nodes[k].json != NULL)
		k = (k + 1) & (d->nodes_cap - 1);
	d->nodes[k] = (axr__node_t){.json = j, .base = base, .where = where};
	d->nodes_len++;
	return 0;
}

static int axr__resource_add(axr_schema_doc_t *d, const char *uri, json_object *j)
{
	for (size_t i = 0; i < d->res_len; i++)
		if (strcmp(d->res[i].uri, uri) == 0)
			return 0; /* first one wins */
	if (axr__sc_grow((void **)&d->res, &d->res_cap, d->res_len + 1, sizeof(*d->res)) != 0)
		return AXR_ENOMEM;
	d->res[d->res_len++] = (axr__resource_t){.uri = uri, .json = j};
	return 0;
}

static json_object *axr__resource_find(axr_schema_doc_t *d, const char *uri)
{
	for (size_t i = 0; i < d->res_len; i++)
		if (strcmp(d->res[i].uri, uri) == 0)
			return d->res[i].json;
	return NULL;
}

/* "<where>/<a>[/<b>]" with b escaped as a JSON Pointer token. */
static const char *axr__where(axr_schema_doc_t *d, const char *where, const char *a, const char *b)
{
	if (b == NULL)
		return axr_arena_printf(d->arena, "%s/%s", where, a);
	return axr_arena_printf(d->arena, "%s/%s/%s", where, a, axr_uri_pointer_escape(d->arena, b));
}

/* ---- indexing: base URIs and ids of every schema position */

static int axr__index(axr_schema_doc_t *d, json_object *node, const char *base, const char *where,
		      unsigned depth);

static int axr__index_children(axr_schema_doc_t *d, json_object *node, const char *base,
			       const char *where, unsigned depth)
{
	static const char *const maps[] = {"properties", "patternProperties", "definitions",
					   "dependencies"};
	static const char *const singles[] = {"additionalProperties", "additionalItems", "not",
					      "items"};
	static const char *const lists[] = {"items", "allOf", "anyOf", "oneOf"};
	json_object *child;
	int rc;

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		if (!json_object_object_get_ex(node, maps[i], &child) ||
		    json_object_get_type(child) != json_type_object)
			continue;
		json_object_object_foreach(child, key, val) {
			const char *w = axr__where(d, where, maps[i], key);
			if (w == NULL)
				return AXR_ENOMEM;
			if ((rc = axr__index(d, val, base, w, depth + 1)) != 0)
				return rc;
		}
	}
	for (size_t i = 0; i < sizeof(singles) / sizeof(singles[0]); i++) {
		if (!json_object_object_get_ex(node, singles[i], &child))
			continue;
		const char *w = axr__where(d, where, singles[i], NULL);
		if (w == NULL)
			return AXR_ENOMEM;
		if ((rc = axr__index(d, child, base, w, depth + 1)) != 0)
			return rc;
	}
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if (!json_object_object_get_ex(node, lists[i], &child) ||
		    json_object_get_type(child) != json_type_array)
			continue;
		for (size_t k = 0; k < json_object_array_length(child); k++) {
			const char *w = axr_arena_printf(d->arena, "%s/%s/%zu", where, lists[i], k);
			if (w == NULL)
				return AXR_ENOMEM;
			if ((rc = axr__index(d, json_object_array_get_idx(child, k), base, w, depth + 1)) != 0)
				return rc;
		}
	}
	return 0;
}

static int axr__index(axr_schema_doc_t *d, json_object *node, const char *base, const char *where,
		      unsigned depth)
{
	json_object *id, *ref;
	int rc;

	if (json_object_get_type(node) != json_type_object || axr__node_find(d, node) != NULL)
		return 0;
	if (depth > AXR__MAX_NESTING)
		return axr__sc_error(d, "%s: schema nested too deeply", where);
	/* draft 4: an `id` next to $ref does not change the base URI */
	bool has_ref = json_object_object_get_ex(node, "$ref", &ref) &&
		       json_object_get_type(ref) == json_type_string;
	if (!has_ref && json_object_object_get_ex(node, "id", &id) &&
	    json_object_get_type(id) == json_type_string) {
		char *uri = axr_uri_resolve(d->arena, base, json_object_get_string(id));
		if (uri == NULL)
			return AXR_ENOMEM;
		char *hash = strchr(uri, '#');
		if (hash != NULL && hash[1] != '\0') {
			/* a plain-name fragment: a location-independent anchor */
			if ((rc = axr__resource_add(d, uri, node)) != 0)
				return rc;
			uri = axr_arena_strndup(d->arena, uri, (size_t)(hash - uri));
			if (uri == NULL)
				return AXR_ENOMEM;
		} else {
			if (hash != NULL)
				*hash = '\0';
			if ((rc = axr__resource_add(d, uri, node)) != 0)
				return rc;
		}
		base = uri;
	}
	if ((rc = axr__node_add(d, node, base, where)) != 0)
		return rc;
	return axr__index_children(d, node, base, where, depth);
}

/* ---- $ref resolution */

int axr__sc_resolve(axr_schema_doc_t *d, const char *base, const char *ref, json_object **target,
			const char **target_base, const char **where)
{
	char *abs = axr_uri_resolve(d->arena, base, ref), *frag;
	json_object *root;

	if (abs == NULL)
		return AXR_ENOMEM;
	frag = strchr(abs, '#');
	if (frag != NULL)
		*frag++ = '\0';
	else
		frag = "";
	if ((frag = axr_uri_percent_decode(d->arena, frag)) == NULL)
		return AXR_ENOMEM;
	if ((root = axr__resource_find(d, abs)) == NULL)
		return axr__sc_error(d, "unresolvable $ref \"%s\": no document \"%s\" (nothing is fetched)",
				 ref, abs);
	*target = root;
	if (*frag != '\0' && *frag != '/') {
		char *anchor = axr_arena_printf(d->arena, "%s#%s", abs, frag);
		if (anchor == NULL)
			return AXR_ENOMEM;
		if ((*target = axr__resource_find(d, anchor)) == NULL)
			return axr__sc_error(d, "unresolvable $ref \"%s\": no id \"#%s\"", ref, frag);
	} else if (axr_uri_pointer_get(d->arena, root, frag, target) != 0) {
		return axr__sc_error(d, "unresolvable $ref \"%s\": no such location", ref);
	}
	axr__node_t *n = axr__node_find(d, root);
	*target_base = n != NULL ? n->base : abs;
	*where = axr_arena_printf(d->arena, "%s#%s", abs, frag);
	return *where ? 0 : AXR_ENOMEM;
}

/* ---- compiling one schema */

int axr__sc_compile(axr_schema_doc_t *d, json_object *node, const char *base, const char *where,
			const axr_schema_t **out)
{
	axr__node_t *n;
	json_object *ref;
	int rc;

	if (json_object_get_type(node) == json_type_boolean) {
		*out = json_object_get_boolean(node) ? NULL : &axr_schema_false;
		return 0;
	}
	if (json_object_get_type(node) != json_type_object)
		return axr__sc_error(d, "%s: a schema must be an object", where);
	if ((n = axr__node_find(d, node)) == NULL) {
		if ((rc = axr__index(d, node, base, where, 0)) != 0)
			return rc;
		n = axr__node_find(d, node);
	}
	if (n->schema != NULL) {
		*out = n->schema;
		return 0;
	}
	axr_schema_t *s = axr_arena_calloc(d->arena, 1, sizeof(*s));
	if (s == NULL)
		return AXR_ENOMEM;
	n->schema = s; /* before the children: recursion ends here */
	base = n->base;
	where = n->where;
	s->name = where;
	*out = s;
	if (json_object_object_get_ex(node, "$ref", &ref) &&
	    json_object_get_type(ref) == json_type_string) {
		json_object *target;
		const char *tbase, *twhere;
		if ((rc = axr__sc_resolve(d, base, json_object_get_string(ref), &target, &tbase, &twhere)) != 0)
			return rc;
		if ((rc = axr__sc_compile(d, target, tbase, twhere, &s->ref)) != 0)
			return rc;
		/* a chain of $ref that comes back here never reaches a schema */
		size_t steps = 0;
		for (const axr_schema_t *r = s->ref; r != NULL && steps <= d->nodes_len; r = r->ref, steps++)
			if (r == s)
				return axr__sc_error(d, "%s: $ref cycle", where);
		return 0;
	}
	return axr__sc_keywords(d, node, base, where, s);
}

/* ---- the public API */

int axr_schema_doc_new(json_object *document, const axr_schema_compile_opts_t *opts,
		       axr_schema_doc_t **out, char *errbuf, size_t size)
{
	axr_schema_doc_t *d = calloc(1, sizeof(*d));
	size_t n_remotes = opts ? opts->n_remotes : 0;
	int rc = AXR_ENOMEM;

	*out = NULL;
	if (d == NULL)
		return AXR_ENOMEM;
	d->err = errbuf;
	d->errsize = size;
	if ((d->arena = axr_arena_new(64 * 1024)) == NULL ||
	    (d->docs = calloc(n_remotes + 1, sizeof(*d->docs))) == NULL)
		goto fail;
	d->base = axr_uri_resolve(d->arena, "", opts && opts->base_uri ? opts->base_uri : "");
	if (d->base == NULL)
		goto fail;
	char *hash = strchr(d->base, '#');
	if (hash != NULL)
		*hash = '\0';
	for (size_t i = 0; i <= n_remotes; i++) {
		json_object *doc = i == 0 ? document : opts->remotes[i - 1].document;
		const char *uri = d->base;
		if (i > 0) {
			char *r = axr_uri_resolve(d->arena, "", opts->remotes[i - 1].uri);
			if (r == NULL)
				goto fail;
			if ((hash = strchr(r, '#')) != NULL)
				*hash = '\0';
			uri = r;
		}
		d->docs[d->n_docs++] = json_object_get(doc);
		const char *where = axr_arena_printf(d->arena, "%s#", uri);
		if (where == NULL || (rc = axr__resource_add(d, uri, doc)) != 0 ||
		    (rc = axr__index(d, doc, uri, where, 0)) != 0)
			goto fail;
		rc = AXR_ENOMEM;
	}
	d->err = NULL;
	*out = d;
	return 0;
fail:
	axr_schema_doc_free(d);
	return rc;
}

int axr_schema_doc_get(axr_schema_doc_t *doc, const char *ref, const axr_schema_t **out,
		       char *errbuf, size_t size)
{
	json_object *target;
	const char *tbase, *twhere;
	int rc;

	*out = NULL;
	doc->err = errbuf;
	doc->errsize = size;
	if (doc->failed != 0) {
		rc = axr__sc_error(doc, "an earlier schema of this document failed to compile");
	} else {
		rc = axr__sc_resolve(doc, doc->base, ref, &target, &tbase, &twhere);
		if (rc == 0)
			rc = axr__sc_compile(doc, target, tbase, twhere, out);
		if (rc == AXR_ENOMEM)
			axr__sc_error(doc, "out of memory");
		if (rc != 0) {
			/* tables may be half built now: refuse to hand out more */
			*out = NULL;
			doc->failed = rc;
		}
	}
	doc->err = NULL;
	return rc;
}

void axr_schema_doc_free(axr_schema_doc_t *doc)
{
	if (doc == NULL)
		return;
	for (size_t i = 0; i < doc->n_regexes; i++)
		axr_regex_release(doc->regexes[i]);
	for (size_t i = 0; i < doc->n_docs; i++)
		json_object_put(doc->docs[i]);
	free(doc->regexes);
	free(doc->docs);
	free(doc->nodes);
	free(doc->res);
	axr_arena_free(doc->arena);
	free(doc);
}
