/* model.c: axrgen_model_load_*(): read, check and assemble the model; free it. */
#include "load.h"

#include <libfyaml.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static int axrgen_service_cmp(const void *pa, const void *pb)
{
	const axrgen_service_t *a = *(const axrgen_service_t *const *)pa;
	const axrgen_service_t *b = *(const axrgen_service_t *const *)pb;
	return strcmp(a->file, b->file);
}

/* The passes, in order; allocation failures longjmp out of here. */
static void axrgen_run(axrgen_ctx_t *c, const char *const *paths, size_t n)
{
	axrgen_model_t *m = c->model;
	axrgen_vec_t services = { 0 };
	axrgen_map_t roots = { 0 };
	for (size_t i = 0; i < n; i++) {
		axrgen_pos_t none = { NULL, 0, 0 };
		axrgen_doc_t *doc = axrgen_doc_get(c, paths[i], none);
		if (doc->root == NULL || axrgen_map_get_ptr(&roots, doc) != NULL)
			continue;
		axrgen_map_put_ptr(c, &roots, doc, doc);
		axrgen_vec_push(c, &services, axrgen_service_build(c, doc));
	}
	axrgen_schema_drain(c);
	axrgen_schema_finish(c);
	for (size_t i = 0; i < services.n; i++)
		axrgen_service_check(c, services.items[i]);
	m->services = (axrgen_service_t **)services.items;
	m->n_services = services.n;
	axrgen_sort(m->services, m->n_services, sizeof(*m->services), axrgen_service_cmp);
	m->n_schema_nodes = c->schemas.n;
	axrgen_diag_finish(c);
}

static int axrgen_load(const char *const *paths, size_t n, const axrgen_options_t *opt,
		       const char *mem_name, const void *data, size_t len, axrgen_model_t **out)
{
	axr_arena_t *arena = NULL;
	axrgen_ctx_t *c = NULL;
	jmp_buf oom;

	if (out == NULL || (n > 0 && paths == NULL))
		return AXR_EINVAL;
	*out = NULL;
	arena = axr_arena_new(1u << 16);
	if (arena == NULL)
		return AXR_ENOMEM;
	c = axr_arena_calloc(arena, 1, sizeof(*c));
	axrgen_model_t *m = axr_arena_calloc(arena, 1, sizeof(*m));
	if (c == NULL || m == NULL)
		goto fail;
	c->arena = arena;
	c->oom = &oom;
	c->model = m;
	m->arena = arena;
	c->allow_external = mem_name == NULL;
	c->memory_name = mem_name;
	c->memory_data = data;
	c->memory_len = len;
	if (setjmp(oom) != 0)
		goto fail;
	for (size_t i = 0; opt != NULL && i < opt->n_extern_schemas; i++)
		axrgen_map_put_str(c, &c->extern_schemas, opt->extern_schemas[i], c);
	axrgen_run(c, paths, n);
	*out = m;
	return m->n_errors ? AXR_EVALIDATION : 0;
fail:
	/* out of memory: everything is in the arena but libfyaml's parser */
	if (c != NULL) {
		if (c->iter != NULL)
			fy_token_iter_destroy(c->iter);
		if (c->event != NULL)
			fy_parser_event_free(c->parser, c->event);
		if (c->parser != NULL)
			fy_parser_destroy(c->parser);
		if (c->diag != NULL)
			fy_diag_destroy(c->diag);
	}
	axr_arena_free(arena);
	return AXR_ENOMEM;
}

int axrgen_model_load_files(const char *const *paths, size_t n, const axrgen_options_t *opt,
			    axrgen_model_t **out)
{
	return axrgen_load(paths, n, opt, NULL, NULL, 0, out);
}

int axrgen_model_load_memory(const char *name, const void *data, size_t len,
			     axrgen_model_t **out)
{
	if (name == NULL || (data == NULL && len > 0))
		return AXR_EINVAL;
	const char *paths[1] = { name };
	return axrgen_load(paths, 1, NULL, name, data ? data : "", len, out);
}

void axrgen_model_free(axrgen_model_t *m)
{
	if (m != NULL)
		axr_arena_free(m->arena);
}
