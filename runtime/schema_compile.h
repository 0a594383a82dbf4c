/* schema_compile.h: JSON Schema documents compiled to validation tables in memory. */
#ifndef AXR_SCHEMA_COMPILE_H
#define AXR_SCHEMA_COMPILE_H

#include <stddef.h>

#include <json-c/json_object.h>

#include "schema.h"

/*
 * Builds the same axr_schema_t tables axrgen emits as C, from a parsed
 * document, for conformance tests and tools (the generator can use it too,
 * then print the tables). Keywords: everything of JSON Schema draft 4 that
 * validates (type, enum, multipleOf, maximum/minimum with boolean exclusives,
 * maxLength/minLength, pattern, items/additionalItems, maxItems/minItems,
 * uniqueItems, maxProperties/minProperties, required, properties,
 * patternProperties, additionalProperties, dependencies, allOf/anyOf/oneOf,
 * not, format, $ref, id, definitions), plus const, numeric
 * exclusiveMinimum/exclusiveMaximum (OpenAPI 3.1) and OpenAPI 3.0's
 * nullable, readOnly, writeOnly and discriminator. Other keywords (title,
 * description, example, x-*, ...) are ignored.
 *
 * $ref: JSON Pointer fragments with ~0/~1 and %-escapes ("#",
 * "#/definitions/a~1b"), draft 4 `id` base-URI changes and plain-name
 * fragments ("#foo"), and other documents the caller supplies as remotes.
 * Nothing is ever fetched. Siblings of $ref are ignored, as draft 4 and
 * OpenAPI 3.0 say.
 */
typedef struct axr_schema_doc axr_schema_doc_t;

/* Another document $ref may point into, known by an absolute URI. */
typedef struct axr_schema_remote {
	const char *uri;       /* e.g. "http://json-schema.org/draft-04/schema" */
	json_object *document; /* the doc takes its own reference */
} axr_schema_remote_t;

typedef struct axr_schema_compile_opts {
	const char *base_uri; /* the document's own URI; NULL = "" (relative refs only) */
	const axr_schema_remote_t *remotes;
	size_t n_remotes;
} axr_schema_compile_opts_t;

/*
 * Indexes `document` (and the remotes) for $ref resolution; schemas are
 * compiled on demand by axr_schema_doc_get(). Takes a reference on every
 * document. `opts` may be NULL. Returns 0 and *out, or AXR_EINVAL (errbuf,
 * if given, explains) or AXR_ENOMEM; on error *out is NULL.
 */
int axr_schema_doc_new(json_object *document, const axr_schema_compile_opts_t *opts,
		       axr_schema_doc_t **out, char *errbuf, size_t size);

/*
 * Compiles the schema `ref` designates, resolved against the document's base
 * URI ("#" for a document that is one schema, "#/components/schemas/User"
 * for an OpenAPI file), with everything it reaches. Compiling twice returns
 * the same tables. Patterns are compiled here, so a bad one is reported
 * now. Returns 0 and *out (valid until axr_schema_doc_free()), or
 * AXR_EINVAL ("#/properties/a/minLength: must be a non-negative integer",
 * "unresolvable $ref ...", "$ref cycle ...") or AXR_ENOMEM; after an
 * error every later call fails too (the tables may be half built).
 */
int axr_schema_doc_get(axr_schema_doc_t *doc, const char *ref, const axr_schema_t **out,
		       char *errbuf, size_t size);

/* Frees the doc, its tables and compiled patterns, and drops its document
 * references. NULL is a no-op. */
void axr_schema_doc_free(axr_schema_doc_t *doc);

#endif
