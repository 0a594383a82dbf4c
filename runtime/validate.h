/* validate.h: validates json-c trees and raw parameters against schema tables. */
#ifndef AXR_VALIDATE_H
#define AXR_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json_object.h>

#include "arena.h"
#include "json.h"
#include "schema.h"

/*
 * Which side of an API a document is on. OpenAPI's readOnly/writeOnly only
 * mean something relative to that:
 *   REQUEST   a readOnly member is an error ("is read-only": a client can
 *             never set uid, version, dateCreated or a role by posting it),
 *             and a required readOnly member is not required;
 *   RESPONSE  a writeOnly member is an error ("is write-only"), a required
 *             writeOnly member is not required (see axr_strip_write_only());
 *   PLAIN     JSON Schema only: both are annotations (conformance tests).
 */
typedef enum axr_validate_mode {
	AXR_VALIDATE_PLAIN = 0,
	AXR_VALIDATE_REQUEST,
	AXR_VALIDATE_RESPONSE,
} axr_validate_mode_t;

/* One problem: where (a JSON Pointer, RFC 6901, "~0" for '~' and "~1" for
 * '/'; "" is the whole document) and what, in words a client developer can
 * act on ("must be at least 1"). Both strings live in the arena. */
typedef struct axr_verror {
	const char *path;
	const char *message;
} axr_verror_t;

#define AXR_VERRORS_DEFAULT_MAX 64

/* The errors of one document, collected together. */
typedef struct axr_verrors {
	axr_arena_t *arena;  /* everything below is allocated here */
	axr_verror_t *items; /* `count` entries */
	size_t count;
	size_t max;     /* collect at most this many; 0 = just decide, stop at the first */
	bool truncated; /* more errors existed than `max` */
} axr_verrors_t;

/* Prepares an empty list whose errors will live in `arena` (required: the
 * validator's scratch comes from it too). Allocates nothing. */
void axr_verrors_init(axr_verrors_t *errs, axr_arena_t *arena, size_t max);

/* Appends an error of the caller's own (e.g. "unknown query parameter").
 * `path` is copied. Returns 0, AXR_ERANGE when the list is full (then
 * `truncated` is set) or AXR_ENOMEM. */
int axr_verrors_add(axr_verrors_t *errs, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Validates `value` (a json-c tree; NULL is JSON null; not modified) against
 * `schema`, walking the tables directly: no allocation except error text and
 * the uniqueItems scratch of large arrays, both in errs->arena.
 * Returns 0 when valid; AXR_EVALIDATION when not (errs holds every error, up
 * to errs->max: a value's own errors first, then its members' and items' in
 * document order); AXR_ECONFIG when the tables are broken
 * (a pattern that does not compile: axr_schema_prepare() catches that at
 * startup); AXR_ENOMEM. Thread-safe (tables are read-only, pattern slots are
 * atomic).
 */
int axr_validate(const axr_schema_t *schema, json_object *value, axr_validate_mode_t mode,
		 axr_verrors_t *errs);

/*
 * Strict decode + validate of a request or response body, the common path:
 * axr_json_parse() with `opts` (NULL = defaults: depth 16, 1 MiB), then
 * axr_validate(). On success returns 0 and *out owns the tree (free with
 * json_object_put(); NULL for a JSON null). On failure *out is NULL and errs
 * holds the errors: a syntax error is one entry whose path is where the
 * parser was and whose message is "invalid JSON at line L, column C (byte
 * B): ...". Returns the parser's code (AXR_EPARSE, AXR_ERANGE, AXR_ETOOBIG),
 * AXR_EVALIDATION, AXR_ECONFIG or AXR_ENOMEM.
 */
int axr_validate_body(const char *body, size_t len, const axr_json_opts_t *opts,
		      const axr_schema_t *schema, axr_validate_mode_t mode, axr_verrors_t *errs,
		      json_object **out);

/*
 * Removes, in place, every object member that `schema` marks writeOnly
 * (along $ref chains, through properties, additional/pattern properties,
 * items, allOf, and every anyOf/oneOf branch — when in doubt it strips, so a
 * password never leaves by accident). Returns how many members it removed.
 * Call it on a response tree before it is encoded.
 */
size_t axr_strip_write_only(const axr_schema_t *schema, json_object *value);

/* How a parameter's raw text carries an array (OpenAPI style + explode). */
typedef enum axr_param_style {
	AXR_PARAM_FORM_EXPLODE = 0, /* query default: ?id=1&id=2, one raw value each */
	AXR_PARAM_FORM,             /* query, explode=false: ?id=1,2 */
	AXR_PARAM_SIMPLE,           /* path and header default: 1,2 */
	AXR_PARAM_SPACE_DELIMITED,  /* ?id=1%202 (raw values already decoded) */
	AXR_PARAM_PIPE_DELIMITED,   /* ?id=1|2 */
} axr_param_style_t;

/*
 * Converts a query, path or header parameter to a typed JSON value according
 * to its schema and validates it (request mode), so handlers get the same
 * guarantees as for bodies. `raw[0..n_raw)` are the percent-decoded values
 * of every occurrence of the parameter (n_raw >= 1; `raw_len` may be NULL
 * for NUL-terminated values); `pointer` is the JSON Pointer errors are
 * reported under (e.g. "/limit").
 *
 * Conversion: integer and number use the JSON number grammar (exact int64,
 * "1e400", "0x10", "+1", " 1", "NaN" are errors); boolean is "true" or
 * "false"; null is "null" or, for a non-string nullable, an empty value;
 * strings must be UTF-8; an array takes one element per occurrence
 * (FORM_EXPLODE) or splits a single value on the style's delimiter; more
 * than one occurrence of a scalar parameter is an error. Objects are not
 * supported as parameters (AXR_EVALIDATION, "unsupported").
 *
 * Returns 0 and stores the value in *out (caller frees with
 * json_object_put()); AXR_EVALIDATION with errs filled and *out NULL;
 * AXR_EINVAL (n_raw == 0), AXR_ECONFIG or AXR_ENOMEM.
 */
int axr_param_decode(const axr_schema_t *schema, axr_param_style_t style,
		     const char *const *raw, const size_t *raw_len, size_t n_raw,
		     const char *pointer, axr_verrors_t *errs, json_object **out);

#endif
