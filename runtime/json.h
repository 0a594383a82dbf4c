/* json.h: strict JSON decoding into json-c trees. */
#ifndef AXR_JSON_H
#define AXR_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json_object.h>

/*
 * axr_json_parse() is our own single-pass recursive-descent parser; it builds
 * the same json_object trees json-c's tokener builds (the rest of the runtime
 * consumes json_object *), but it is strict where json_tokener is lenient:
 *
 *   - RFC 8259 grammar only: no comments, no single quotes, no NaN/Infinity,
 *     no leading zeros, no trailing commas, no BOM, no trailing garbage;
 *   - UTF-8 is validated everywhere (overlongs, surrogates, code points above
 *     U+10FFFF and stray bytes are rejected), and so are \u escapes (a lone
 *     or reversed surrogate is an error);
 *   - duplicate object keys are an error (json-c would keep the last);
 *   - integers are exact int64 (json_type_int, never through a double); an
 *     integer outside int64 is AXR_ERANGE, not clamped; a number with a
 *     fraction or exponent is a double (json_type_double, with its literal
 *     text kept for exact re-serialisation) and one that overflows a double
 *     (1e400) is AXR_ERANGE;
 *   - nesting deeper than max_depth and bodies larger than max_size fail
 *     before any work is done for them;
 *   - object keys containing U+0000 are rejected (json-c keys are C strings).
 *
 * JSON null is represented as a NULL json_object pointer, as json-c does.
 */

#define AXR_JSON_DEFAULT_MAX_DEPTH 16
#define AXR_JSON_DEFAULT_MAX_SIZE ((size_t)1 << 20)
#define AXR_JSON_MAX_DEPTH_LIMIT 1024 /* larger max_depth values are clamped */

enum {
	/* Integers outside int64 become doubles that keep their literal text
	 * (e.g. for the JSON-Schema-Test-Suite's bignum cases), instead of
	 * AXR_ERANGE. For tooling and tests; never for request bodies. */
	AXR_JSON_BIGNUM = 1u << 0,
};

typedef struct axr_json_opts {
	unsigned max_depth; /* nesting limit (arrays + objects); 0 = 16 */
	size_t max_size;    /* byte limit; 0 = 1 MiB, SIZE_MAX = none */
	unsigned flags;     /* AXR_JSON_* */
} axr_json_opts_t;

typedef struct axr_json_error {
	int code;          /* the code axr_json_parse() returned */
	size_t offset;     /* byte offset of the offending input */
	unsigned line;     /* 1-based line of `offset` */
	unsigned column;   /* 1-based column of `offset`, in code points */
	char path[128];    /* JSON Pointer of the value being parsed, e.g.
	                      "/items/3/quantity" ("" = the top level) */
	char message[112]; /* e.g. "duplicate key \"id\"" (no position) */
} axr_json_error_t;

/*
 * Parses `len` bytes of `buf` (need not be NUL-terminated) as one JSON value.
 * `opts` may be NULL for the defaults.
 *
 * On success returns 0 and stores the tree in *out; the caller owns it and
 * releases it with json_object_put() (a JSON null gives *out == NULL).
 * On error returns AXR_EPARSE (syntax, bad UTF-8, duplicate key, nesting too
 * deep), AXR_ERANGE (number out of range), AXR_ETOOBIG (len > max_size) or
 * AXR_ENOMEM; *out is NULL, nothing is leaked, and `err` (if not NULL)
 * describes the problem and where it is.
 */
int axr_json_parse(const char *buf, size_t len, const axr_json_opts_t *opts,
		   json_object **out, axr_json_error_t *err);

/* Writes "line L, column C (byte B): message" into buf (always
 * NUL-terminated when size > 0). Returns buf. */
char *axr_json_error_format(const axr_json_error_t *err, char *buf, size_t size);

/* Literal text of a double json_object as it appeared in the input (kept by
 * axr_json_parse() and json_tokener), or NULL when the double was built by
 * code. */
const char *axr_json_double_text(json_object *v);

#endif
