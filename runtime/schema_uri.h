/* schema_uri.h: URI references and JSON Pointers for $ref resolution. */
#ifndef AXR_SCHEMA_URI_H
#define AXR_SCHEMA_URI_H

#include <json-c/json_object.h>

#include "arena.h"

/* Resolves the URI reference `ref` against `base` (RFC 3986 section 5.2,
 * with dot-segment removal); either may be relative or empty. Returns an
 * arena string, NULL on out of memory. */
char *axr_uri_resolve(axr_arena_t *arena, const char *base, const char *ref);

/* Decodes %XX escapes (an incomplete one is kept as written). Arena
 * string, NULL on out of memory. */
char *axr_uri_percent_decode(axr_arena_t *arena, const char *s);

/* Escapes a JSON Pointer token ('~' -> "~0", '/' -> "~1"). Arena string,
 * NULL on out of memory. */
char *axr_uri_pointer_escape(axr_arena_t *arena, const char *token);

/* Follows the JSON Pointer `pointer` ("" or "/a/0/b~1c") from `root`.
 * Returns 0 and *out (NULL for a JSON null), AXR_ENOTFOUND when a step does
 * not exist, AXR_ENOMEM. */
int axr_uri_pointer_get(axr_arena_t *arena, json_object *root, const char *pointer,
			json_object **out);

#endif
