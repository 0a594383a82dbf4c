/* schema_compile_internal.h: the schema compiler's state, shared by its two files. */
#ifndef AXR_SCHEMA_COMPILE_INTERNAL_H
#define AXR_SCHEMA_COMPILE_INTERNAL_H

#include <stddef.h>

#include <json-c/json_object.h>
#include <json-c/linkhash.h> /* json_object_object_foreach */

#include "arena.h"
#include "schema.h"
#include "schema_compile.h"

/* A schema position in some document: its base URI and compiled table. */
typedef struct axr__node {
	json_object *json; /* NULL = empty slot */
	const char *base;
	const char *where; /* "<uri>#<pointer>", for messages and table names */
	const axr_schema_t *schema;
} axr__node_t;

/* A URI (no fragment) or an anchor ("<uri>#name") and what it names. */
typedef struct axr__resource {
	const char *uri;
	json_object *json;
} axr__resource_t;

struct axr_schema_doc {
	axr_arena_t *arena; /* tables, strings, pattern slots */
	json_object **docs; /* references we hold */
	size_t n_docs;
	const char *base;
	axr__node_t *nodes; /* open addressing on json */
	size_t nodes_cap, nodes_len;
	axr__resource_t *res;
	size_t res_len, res_cap;
	axr_regex_t **regexes; /* compiled patterns to release */
	size_t n_regexes, regexes_cap;
	int failed; /* a compile failed: the tables may be half built */
	char *err;  /* the current call's error buffer */
	size_t errsize;
};

/* Writes the message into the caller's error buffer; returns AXR_EINVAL. */
int axr__sc_error(axr_schema_doc_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Grows a malloc'd array to hold `need` elements of `elem` bytes. */
int axr__sc_grow(void **p, size_t *cap, size_t need, size_t elem);

/* Compiles the schema at `node` (`base`/`where` are used when the node was
 * not indexed yet). */
int axr__sc_compile(axr_schema_doc_t *d, json_object *node, const char *base, const char *where,
		    const axr_schema_t **out);

/* Finds what the reference `ref` (relative to `base`) points at. */
int axr__sc_resolve(axr_schema_doc_t *d, const char *base, const char *ref, json_object **target,
		    const char **target_base, const char **where);

/* Fills `s` from the keywords of `node` (everything but $ref). */
int axr__sc_keywords(axr_schema_doc_t *d, json_object *node, const char *base, const char *where,
		     axr_schema_t *s);

#endif
