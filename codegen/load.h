/* load.h: internals shared by the files of the axrgen spec reader. */
#ifndef AXR_AXRGEN_LOAD_H
#define AXR_AXRGEN_LOAD_H

#include <setjmp.h>
#include <stdarg.h>

#include "model.h"

/*
 * Not part of the back-end API (that is model.h). Everything here allocates
 * from the context's arena through axrgen_alloc(), which never returns NULL:
 * when memory runs out it longjmps to the loader's entry point, which frees
 * the arena (the only owner of memory; the YAML parser is freed there too)
 * and returns AXR_ENOMEM.
 */

typedef struct axrgen_ctx axrgen_ctx_t;

/* ---- memory ---------------------------------------------------------- */
void *axrgen_alloc(axrgen_ctx_t *c, size_t size); /* zero-filled */
void *axrgen_alloc_array(axrgen_ctx_t *c, size_t n, size_t size);
char *axrgen_strndup(axrgen_ctx_t *c, const char *s, size_t len);
char *axrgen_strdup(axrgen_ctx_t *c, const char *s); /* NULL stays NULL */
char *axrgen_printf(axrgen_ctx_t *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *axrgen_vprintf(axrgen_ctx_t *c, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
_Noreturn void axrgen_oom(axrgen_ctx_t *c);

/* A growable array of pointers in the arena. */
typedef struct axrgen_vec {
	void **items;
	size_t n;
	size_t cap;
} axrgen_vec_t;
void axrgen_vec_push(axrgen_ctx_t *c, axrgen_vec_t *v, void *p);
/* Pushes the string `s` unless an equal string is already in `v`. */
void axrgen_vec_push_unique_str(axrgen_ctx_t *c, axrgen_vec_t *v, const char *s);

/* qsort that accepts an empty (possibly NULL) array. */
void axrgen_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* A growable byte buffer in the arena; text is always NUL-terminated. */
typedef struct axrgen_buf {
	char *text;
	size_t len;
	size_t cap;
} axrgen_buf_t;
void axrgen_buf_add(axrgen_ctx_t *c, axrgen_buf_t *b, const char *s, size_t len);
void axrgen_buf_str(axrgen_ctx_t *c, axrgen_buf_t *b, const char *s);
void axrgen_buf_printf(axrgen_ctx_t *c, axrgen_buf_t *b, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A hash map in the arena, keyed by pointer or by string. */
typedef struct axrgen_map_entry {
	const void *key;
	size_t key_len; /* string keys; 0 for pointer keys */
	uint64_t hash;
	void *value;
} axrgen_map_entry_t;
typedef struct axrgen_map {
	axrgen_map_entry_t *slots;
	size_t cap;
	size_t n;
} axrgen_map_t;
void *axrgen_map_get_ptr(const axrgen_map_t *m, const void *key);
void axrgen_map_put_ptr(axrgen_ctx_t *c, axrgen_map_t *m, const void *key, void *value);
void *axrgen_map_get_str(const axrgen_map_t *m, const char *key);
void axrgen_map_put_str(axrgen_ctx_t *c, axrgen_map_t *m, const char *key, void *value);

/* ---- diagnostics ----------------------------------------------------- */
void axrgen_diag(axrgen_ctx_t *c, axrgen_severity_t sev, axrgen_pos_t pos,
		 const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
#define axrgen_error(c, pos, kind, ...) axrgen_diag((c), AXRGEN_ERROR, (pos), (kind), __VA_ARGS__)
#define axrgen_warning(c, pos, kind, ...) axrgen_diag((c), AXRGEN_WARNING, (pos), (kind), __VA_ARGS__)

/* Returns the candidate closest to `word` (Damerau-Levenshtein, a case-only
 * difference counting as closest) when close enough to be a likely typo,
 * else NULL. Ties go to the bytewise smaller candidate. */
const char *axrgen_suggest(const char *word, const char *const *candidates, size_t n);

/* Returns " (did you mean 'X'?)" in the arena, or "" when no suggestion. */
const char *axrgen_did_you_mean(axrgen_ctx_t *c, const char *word,
				const char *const *candidates, size_t n);

/* Sorts and de-duplicates the diagnostics into the model. */
void axrgen_diag_finish(axrgen_ctx_t *c);

/* ---- documents ------------------------------------------------------- */
typedef struct axrgen_doc {
	const char *path; /* display path */
	const char *dir;  /* directory prefix of path, with '/', or "" */
	const axrgen_value_t *root; /* NULL when the file failed to load */
	unsigned version;           /* 30, 31, or 0: no `openapi` (fragment) */
	uint32_t order;             /* load order, sorts diagnostics */
	axrgen_map_t component_schemas; /* name -> axrgen_schema_t */
} axrgen_doc_t;

/* Parses YAML (or JSON when `json`) into a value tree. Reports syntax
 * errors against `path`. Returns the root or NULL after an error. */
const axrgen_value_t *axrgen_yaml_parse(axrgen_ctx_t *c, const char *path,
					const char *data, size_t len, bool json);

/* Returns the document for display path `path`, loading it on first use
 * (reading the file, or using the in-memory buffer for the root). Errors
 * are reported at `from` (the $ref, or no position for a root). Never NULL;
 * doc->root is NULL when it could not be read or parsed. */
axrgen_doc_t *axrgen_doc_get(axrgen_ctx_t *c, const char *path, axrgen_pos_t from);

/* Where a $ref points. */
typedef struct axrgen_target {
	axrgen_doc_t *doc;
	const axrgen_value_t *value;
	const char *pointer; /* canonical, "#/components/schemas/A" */
} axrgen_target_t;

/* Resolves the $ref string `ref` (a STRING value) written in `from`.
 * Reports unknown targets (with a suggestion) and unreadable files.
 * Returns 0, -1 after reporting, or AXRGEN_RESOLVE_EXTERN (nothing
 * reported, out->value NULL) for a missing components/schemas entry the
 * user declared extern. */
#define AXRGEN_RESOLVE_EXTERN 1
int axrgen_resolve(axrgen_ctx_t *c, axrgen_doc_t *from, const axrgen_value_t *ref,
		   axrgen_target_t *out);

/* Appends "/<escaped token>" to a JSON pointer. */
const char *axrgen_pointer_add(axrgen_ctx_t *c, const char *pointer, const char *token);

/* When `pointer` is "#/components/<section>/<name>", returns the unescaped
 * name, else NULL. */
const char *axrgen_pointer_component(axrgen_ctx_t *c, const char *pointer,
				     const char *section);

/* The keys of `doc`'s components/<section> (for suggestions). */
const char **axrgen_component_names(axrgen_ctx_t *c, axrgen_doc_t *doc, const char *section,
				    size_t *n);

/* ---- value helpers --------------------------------------------------- */
bool axrgen_value_is_string(const axrgen_value_t *v);
/* "-1" for numbers, else "a string", "an object", "null", ... (for messages) */
const char *axrgen_value_describe(axrgen_ctx_t *c, const axrgen_value_t *v);
/* Parses an INT/NUMBER value. Returns false for other kinds and .inf/.nan. */
bool axrgen_value_number(const axrgen_value_t *v, double *out);
/* Collects the x-* members of `obj` into a sorted extensions list. */
axrgen_extensions_t axrgen_extensions(axrgen_ctx_t *c, const axrgen_value_t *obj);
/* JSON text of `v`, or NULL (reported at `v` as kind `what`) for .inf/.nan. */
const char *axrgen_json(axrgen_ctx_t *c, const axrgen_value_t *v, const char *what);

/* Reports every key of `obj` that is neither in `known` (NULL-terminated)
 * nor an x- extension: "unknown keyword 'k' (did you mean ...)". `where`
 * names the object ("operation", "parameter"). */
void axrgen_check_keys(axrgen_ctx_t *c, const axrgen_value_t *obj,
		       const char *const *known, const char *where);

/* Typed field readers: report a wrong type at the value ("'name' must be
 * a string") and return NULL/false/dflt. */
const char *axrgen_get_string(axrgen_ctx_t *c, const axrgen_value_t *obj, const char *key);
bool axrgen_get_bool(axrgen_ctx_t *c, const axrgen_value_t *obj, const char *key, bool dflt);
/* Returns v when it is of `kind`, else reports "'key' must be an array,
 * not a string" and returns NULL. */
const axrgen_value_t *axrgen_expect_kind(axrgen_ctx_t *c, const char *key,
					 const axrgen_value_t *v, axrgen_value_kind_t kind);
const axrgen_value_t *axrgen_get_kind(axrgen_ctx_t *c, const axrgen_value_t *obj,
				      const char *key, axrgen_value_kind_t kind);

/* ---- schemas --------------------------------------------------------- */
enum {
	AXRGEN_SCTX_RESPONSE = 1u << 0, /* inline in a response: lenient types */
};

/* The reader's view of a schema node; the public part comes first so the
 * two pointers convert. */
typedef struct axrgen_snode {
	axrgen_schema_t s;
	axrgen_doc_t *doc;
	const axrgen_value_t *raw; /* NULL for nodes the reader made up */
	unsigned sctx;
	uint8_t merge_state; /* 0 not merged, 1 merging, 2 done */
	bool bad_cycle;      /* on an unrepresentable cycle: left unmerged */
	bool alias;          /* components/schemas/A: {$ref: B}, not yet resolved */
	bool part;           /* an allOf part (checked through its owner) */
} axrgen_snode_t;

static inline axrgen_snode_t *axrgen_snode(axrgen_schema_t *s)
{
	return (axrgen_snode_t *)s;
}

/* A node standing for "any value", e.g. after an error. */
axrgen_schema_t *axrgen_schema_any(axrgen_ctx_t *c, axrgen_doc_t *doc, axrgen_pos_t pos,
				   const char *pointer);

/* Rebuilds properties_sorted and the required flags of `s`. */
void axrgen_schema_index(axrgen_ctx_t *c, axrgen_schema_t *s);

/* Checks that bounds leave room for a value (min <= max, ...). `after`
 * prefixes messages, e.g. "after merging allOf, ". */
void axrgen_schema_check_ranges(axrgen_ctx_t *c, axrgen_schema_t *s, const char *after);

/* Returns the schema node for the schema object `raw` (found in `doc` at
 * `pointer`), creating it on first use and queueing it to be filled. A
 * plain {$ref} is followed to its target. Never NULL (an "any" node stands
 * in after errors). */
axrgen_schema_t *axrgen_schema_at(axrgen_ctx_t *c, axrgen_doc_t *doc,
				  const axrgen_value_t *raw, const char *pointer,
				  unsigned sctx);

/* Returns the named schema `name` of `doc`'s components/schemas. */
axrgen_schema_t *axrgen_schema_named(axrgen_ctx_t *c, axrgen_doc_t *doc, const char *name);

/* Fills every queued schema node (iterative; children queue themselves). */
void axrgen_schema_drain(axrgen_ctx_t *c);

/* Reports unrepresentable cycles (through $ref/allOf/oneOf/anyOf only),
 * merges allOf, then checks discriminators and required lists. */
void axrgen_schema_finish(axrgen_ctx_t *c);

/* ---- services -------------------------------------------------------- */
/* Builds the service for root document `doc` (components, paths,
 * operations, security), queueing its schemas. */
axrgen_service_t *axrgen_service_build(axrgen_ctx_t *c, axrgen_doc_t *doc);

/* Cross checks that need the whole service (after schema_finish): named
 * schema list, x-schema, handler names, route conflicts, path parameters. */
void axrgen_service_check(axrgen_ctx_t *c, axrgen_service_t *svc);

/* Reads a parameter (or response header when `header_name` != NULL) at
 * raw, following $refs. */
axrgen_param_t *axrgen_param_at(axrgen_ctx_t *c, axrgen_doc_t *doc,
				const axrgen_value_t *raw, const char *pointer,
				const char *header_name);

/* Follows $ref on a non-schema object (parameter, response, path item...)
 * to the object itself, updating *doc and *pointer. Returns NULL after
 * reporting an error. `what` names the object in messages. */
const axrgen_value_t *axrgen_deref(axrgen_ctx_t *c, axrgen_doc_t **doc,
				   const axrgen_value_t *raw, const char **pointer, const char *what);

/* Reads the root file's components/parameters, responses, requestBodies
 * and headers, so mistakes in unused ones are reported too. */
void axrgen_components_check(axrgen_ctx_t *c, axrgen_doc_t *doc, const axrgen_value_t *comp);

/* Reads a `security` list (NULL: not written) against the service's
 * security schemes. */
void axrgen_security_read(axrgen_ctx_t *c, const axrgen_value_t *v, axrgen_service_t *svc,
			  axrgen_security_t *out);

/* Reads the path item `m` (template -> path item) and its operations,
 * appending them to `ops`. */
axrgen_path_t *axrgen_path_at(axrgen_ctx_t *c, axrgen_doc_t *doc, axrgen_service_t *svc,
			      const axrgen_member_t *m, axrgen_vec_t *ops);

/* ---- the context ----------------------------------------------------- */
struct axrgen_ctx {
	axr_arena_t *arena;
	jmp_buf *oom;
	axrgen_model_t *model;

	axrgen_vec_t diags; /* axrgen_diagnostic_t * */

	axrgen_map_t docs; /* display path -> axrgen_doc_t */
	uint32_t n_docs;
	bool allow_external;
	const char *memory_name; /* the in-memory root, if any */
	const char *memory_data;
	size_t memory_len;
	struct fy_parser *parser; /* the live parser, freed on OOM */
	struct fy_diag *diag;     /* its diagnostics, freed on OOM */
	struct fy_event *event;   /* the event being handled, freed on OOM */
	struct fy_token_iter *iter; /* reads scalar text, freed on OOM */

	axrgen_map_t extern_schemas; /* name -> itself: --extern-schema */
	axrgen_map_t schema_by_raw; /* raw value -> schema node */
	axrgen_vec_t pending;       /* schema nodes to fill */
	axrgen_vec_t schemas;       /* every schema node, creation order */
	axrgen_map_t params_by_raw; /* raw value -> axrgen_param_t */
	axrgen_map_t responses_by_raw;
	axrgen_map_t bodies_by_raw;
};

#endif
