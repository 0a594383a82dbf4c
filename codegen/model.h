/* model.h: the checked model axrgen reads from OpenAPI 3.0/3.1 specs. */
#ifndef AXR_AXRGEN_MODEL_H
#define AXR_AXRGEN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"

/*
 * axrgen reads each spec file given to it (a "service"), follows every $ref
 * (into other files too), checks the whole thing and builds the model below.
 * Back ends walk this model; nothing downstream re-reads YAML.
 *
 * Ownership: everything reachable from an axrgen_model_t (strings, values,
 * schemas, operations, diagnostics) lives in the model's arena and is freed
 * by one axrgen_model_free() call. The model is read-only once loaded.
 *
 * Ordering: every array below is either "as written" (document order, which
 * the input fixes) or sorted by a total order stated next to it, so walking
 * the model gives byte-stable output.
 */

/* A position in a spec file: the file as given on the command line (or, for
 * a file reached through $ref, joined from the referring file's directory)
 * and the 1-based line and column of a node. line == 0 means "no position". */
typedef struct axrgen_pos {
	const char *file;
	uint32_t line;
	uint32_t col;
} axrgen_pos_t;

/* ------------------------------------------------------------------------
 * Raw values: a JSON-shaped tree of what was written. Used for extension
 * values (x-*), default/const/enum values and discriminator flows.
 * Scalars are typed with the YAML 1.2 core schema (plain `42` is an INT,
 * quoted "42" is a STRING).
 * ---------------------------------------------------------------------- */
typedef enum axrgen_value_kind {
	AXRGEN_VALUE_NULL,
	AXRGEN_VALUE_BOOL,
	AXRGEN_VALUE_INT,
	AXRGEN_VALUE_NUMBER,
	AXRGEN_VALUE_STRING,
	AXRGEN_VALUE_ARRAY,
	AXRGEN_VALUE_OBJECT,
} axrgen_value_kind_t;

typedef struct axrgen_value axrgen_value_t;

typedef struct axrgen_member {
	const char *key;
	axrgen_pos_t key_pos;
	const axrgen_value_t *value;
} axrgen_member_t;

struct axrgen_value {
	axrgen_value_kind_t kind;
	axrgen_pos_t pos;
	/* Scalars: STRING holds the decoded string; INT and NUMBER the number
	 * as JSON text ("42", "-1.5e3"; YAML 0x/0o forms converted to decimal;
	 * .inf/.nan keep their YAML text and have no JSON form); BOOL
	 * "true"/"false"; NULL "null". Containers: NULL. Always NUL-terminated. */
	const char *text;
	size_t len;   /* bytes in text (a STRING may contain NUL bytes) */
	size_t count; /* ARRAY items or OBJECT members */
	const axrgen_value_t *const *items; /* ARRAY, in order */
	const axrgen_member_t *members;     /* OBJECT, in document order */
};

/* Returns the member `key` of OBJECT `obj`, or NULL (also when obj is NULL
 * or not an OBJECT). */
const axrgen_value_t *axrgen_value_get(const axrgen_value_t *obj, const char *key);

/* Returns the compact JSON text of `v` (object members in document order)
 * allocated in `a`, or NULL when out of memory or when `v` holds a number
 * JSON cannot represent (.inf, .nan). */
char *axrgen_value_json(axr_arena_t *a, const axrgen_value_t *v);

/* "null", "boolean", "integer", "number", "string", "array", "object". */
const char *axrgen_value_kind_name(axrgen_value_kind_t kind);

/* The x-* members of an object, sorted by name (bytewise). */
typedef struct axrgen_extensions {
	size_t count;
	const axrgen_member_t *items;
} axrgen_extensions_t;

/* Returns the value of extension `name` (e.g. "x-axr-roles") or NULL. */
const axrgen_value_t *axrgen_ext_get(const axrgen_extensions_t *ext, const char *name);

/* ------------------------------------------------------------------------
 * Schemas
 * ---------------------------------------------------------------------- */

/* Type set. 0 (AXRGEN_TYPE_ANY) means no `type` keyword: any JSON value. */
enum {
	AXRGEN_TYPE_NULL = 1u << 0,
	AXRGEN_TYPE_BOOLEAN = 1u << 1,
	AXRGEN_TYPE_INTEGER = 1u << 2,
	AXRGEN_TYPE_NUMBER = 1u << 3,
	AXRGEN_TYPE_STRING = 1u << 4,
	AXRGEN_TYPE_ARRAY = 1u << 5,
	AXRGEN_TYPE_OBJECT = 1u << 6,
};
#define AXRGEN_TYPE_ANY 0u

/* A numeric bound (minimum/maximum). 3.0 `exclusiveMinimum: true` and 3.1
 * `exclusiveMinimum: 5` both become exclusive = true; when 3.1 gives both
 * minimum and exclusiveMinimum the stricter one is kept. */
typedef struct axrgen_bound {
	bool present;
	bool exclusive;
	double value;
	const char *text; /* JSON number text as written */
} axrgen_bound_t;

/* A non-negative count (minLength, maxItems, ...). */
typedef struct axrgen_limit {
	bool present;
	uint64_t value;
} axrgen_limit_t;

typedef enum axrgen_additional {
	AXRGEN_ADDITIONAL_UNSET,  /* keyword absent: extra properties allowed */
	AXRGEN_ADDITIONAL_TRUE,   /* additionalProperties: true */
	AXRGEN_ADDITIONAL_FALSE,  /* additionalProperties: false */
	AXRGEN_ADDITIONAL_SCHEMA, /* extra properties must match additional_schema */
} axrgen_additional_t;

typedef struct axrgen_schema axrgen_schema_t;

typedef struct axrgen_property {
	const char *name; /* the JSON name, as written */
	axrgen_pos_t pos; /* the property's key */
	axrgen_schema_t *schema;
	bool required;
	uint32_t index; /* position in `properties` (written order) */
} axrgen_property_t;

typedef struct axrgen_enum_value {
	const char *string; /* STRING values: the string; others: their JSON */
	const char *json;   /* the value as JSON text */
	const axrgen_value_t *value;
} axrgen_enum_value_t;

typedef struct axrgen_mapping {
	const char *value; /* discriminator value */
	axrgen_schema_t *schema;
	axrgen_pos_t pos;
	bool implicit; /* not written in `mapping`: the schema's own name */
} axrgen_mapping_t;

typedef struct axrgen_discriminator {
	const char *property;
	axrgen_pos_t pos;
	size_t n_mapping;
	axrgen_mapping_t *mapping; /* sorted by value */
} axrgen_discriminator_t;

/*
 * One schema node. Nodes form a graph (recursive schemas point back at
 * themselves); walk it with a visited set or stop at named schemas.
 *
 * $ref: a plain `{$ref: X}` is not a node of its own; the slot that held it
 * points at X's node directly (so a property whose schema is
 * `$ref: '#/components/schemas/User'` has schema->name == "User").
 * A node with `ref` set is X further constrained by the node's own keywords:
 * a 3.1 $ref with siblings, or a named alias (`components/schemas/A:
 * {$ref: B}`). axrgen_schema_target() follows `ref` links.
 *
 * allOf: the node's fields hold the merged result (properties of the parts
 * first, in allOf order, then its own; required is the union; bounds the
 * stricter; types the intersection; title and description only from the
 * node itself or its inline parts) and `merged` is true. `all_of` still
 * lists the parts as written, for information only: consumers need not walk
 * it. oneOf/anyOf are kept as alternatives.
 */
struct axrgen_schema {
	uint32_t id;         /* creation order, unique in the model */
	axrgen_pos_t pos;    /* the schema object */
	const char *name;    /* components/schemas key, NULL when inline */
	const char *pointer; /* JSON pointer where first found, e.g.
	                        "#/components/schemas/Pet/properties/tag" */

	axrgen_schema_t *ref;
	const char *ref_text; /* the $ref string as written */
	axrgen_pos_t ref_pos;

	unsigned types;  /* AXRGEN_TYPE_* bits; nullable adds AXRGEN_TYPE_NULL */
	bool nullable;   /* null allowed (3.0 nullable, 3.1 "null" in type) */
	bool never;      /* 3.1 boolean schema `false`: nothing matches */
	bool is_extern;  /* named but not defined: declared extern by the
	                    user (axrgen_options_t); reads as any value */
	const char *format;
	const char *title;
	const char *description;
	bool read_only;
	bool write_only;
	bool deprecated;

	const axrgen_value_t *default_value;
	const char *default_json;
	const axrgen_value_t *const_value;
	const char *const_json;
	size_t n_enum;
	axrgen_enum_value_t *enum_values; /* as written */

	/* numbers */
	axrgen_bound_t minimum;
	axrgen_bound_t maximum;
	axrgen_bound_t multiple_of; /* exclusive unused */
	/* strings (lengths count code points) */
	axrgen_limit_t min_length;
	axrgen_limit_t max_length;
	size_t n_patterns; /* more than one only after an allOf merge */
	const char **patterns;
	/* arrays */
	axrgen_schema_t *items;
	axrgen_limit_t min_items;
	axrgen_limit_t max_items;
	bool unique_items;
	/* objects */
	size_t n_properties;
	axrgen_property_t *properties;         /* written order */
	axrgen_property_t **properties_sorted; /* by name, bytewise */
	size_t n_required;
	const char **required; /* as written (after merge: union, first seen) */
	axrgen_additional_t additional;
	axrgen_schema_t *additional_schema;
	axrgen_limit_t min_properties;
	axrgen_limit_t max_properties;

	/* composition */
	bool merged;
	size_t n_all_of;
	axrgen_schema_t **all_of;
	size_t n_one_of;
	axrgen_schema_t **one_of;
	size_t n_any_of;
	axrgen_schema_t **any_of;
	axrgen_discriminator_t *discriminator;

	axrgen_extensions_t extensions;
};

/* Follows `ref` links from `s` to the first node without one (the node
 * whose type the schema takes). Never loops: cycles are errors at load. */
const axrgen_schema_t *axrgen_schema_target(const axrgen_schema_t *s);

/* Returns the property `name` of `s` (bsearch on properties_sorted) or NULL. */
const axrgen_property_t *axrgen_schema_property(const axrgen_schema_t *s, const char *name);

/* "null", "boolean", ... for one AXRGEN_TYPE_* bit; NULL for other values. */
const char *axrgen_type_name(unsigned type_bit);

/* ------------------------------------------------------------------------
 * Operations
 * ---------------------------------------------------------------------- */
typedef enum axrgen_method {
	AXRGEN_GET,
	AXRGEN_PUT,
	AXRGEN_POST,
	AXRGEN_DELETE,
	AXRGEN_OPTIONS,
	AXRGEN_HEAD,
	AXRGEN_PATCH,
	AXRGEN_TRACE,
	AXRGEN_METHOD_COUNT,
} axrgen_method_t;

/* "GET", "PUT", ...; NULL when out of range. */
const char *axrgen_method_name(axrgen_method_t m);

typedef enum axrgen_param_in {
	AXRGEN_IN_PATH,
	AXRGEN_IN_QUERY,
	AXRGEN_IN_HEADER,
	AXRGEN_IN_COOKIE,
} axrgen_param_in_t;

/* "path", "query", "header", "cookie". */
const char *axrgen_param_in_name(axrgen_param_in_t in);

typedef enum axrgen_style {
	AXRGEN_STYLE_MATRIX,
	AXRGEN_STYLE_LABEL,
	AXRGEN_STYLE_SIMPLE,
	AXRGEN_STYLE_FORM,
	AXRGEN_STYLE_SPACE_DELIMITED,
	AXRGEN_STYLE_PIPE_DELIMITED,
	AXRGEN_STYLE_DEEP_OBJECT,
} axrgen_style_t;

/* "matrix", "label", "simple", "form", "spaceDelimited", ... */
const char *axrgen_style_name(axrgen_style_t style);

/* A media type entry of a `content` map. */
typedef struct axrgen_media {
	const char *type; /* "application/json", as written */
	axrgen_pos_t pos;
	axrgen_schema_t *schema; /* NULL when the entry has no schema */
	axrgen_extensions_t extensions;
} axrgen_media_t;

/* A parameter, or a response header (in == AXRGEN_IN_HEADER, name = the
 * headers map key). style/explode hold the effective values (OpenAPI
 * defaults applied); style_set/explode_set say whether they were written. */
typedef struct axrgen_param {
	const char *name;
	axrgen_param_in_t in;
	axrgen_pos_t pos;
	const char *description;
	bool required;
	bool deprecated;
	bool allow_empty_value;
	bool allow_reserved;
	axrgen_style_t style;
	bool explode;
	bool style_set;
	bool explode_set;
	axrgen_schema_t *schema;  /* from `schema` or the single `content` entry */
	const char *content_type; /* set when given through `content` */
	axrgen_extensions_t extensions;
} axrgen_param_t;

typedef struct axrgen_body {
	axrgen_pos_t pos;
	const char *description;
	bool required;
	size_t n_content;
	axrgen_media_t *content; /* sorted by media type */
	axrgen_extensions_t extensions;
} axrgen_body_t;

typedef struct axrgen_response {
	const char *status; /* "200", "4XX" or "default" */
	axrgen_pos_t pos;
	const char *description;
	size_t n_headers;
	axrgen_param_t **headers; /* sorted by name */
	size_t n_content;
	axrgen_media_t *content; /* sorted by media type */
	axrgen_extensions_t extensions;
} axrgen_response_t;

typedef struct axrgen_security_scheme {
	const char *name; /* components/securitySchemes key */
	axrgen_pos_t pos;
	const char *type; /* apiKey, http, oauth2, openIdConnect, mutualTLS */
	const char *description;
	const char *scheme;        /* http: "bearer", "basic", ... */
	const char *bearer_format; /* http bearer */
	const char *in;            /* apiKey: query, header, cookie */
	const char *param_name;    /* apiKey: the parameter name */
	const char *openid_url;    /* openIdConnect */
	const axrgen_value_t *flows; /* oauth2, raw */
	axrgen_extensions_t extensions;
} axrgen_security_scheme_t;

/* One entry of a security requirement: a scheme and its scopes. */
typedef struct axrgen_security_item {
	const char *scheme;
	axrgen_security_scheme_t *resolved;
	axrgen_pos_t pos;
	size_t n_scopes;
	const char **scopes; /* as written */
} axrgen_security_item_t;

/* One alternative: every item must hold. An empty one allows anonymous
 * callers. */
typedef struct axrgen_security_req {
	axrgen_pos_t pos;
	size_t n_items;
	axrgen_security_item_t *items; /* sorted by scheme */
} axrgen_security_req_t;

/* A `security` list. present == false: not written (an operation then
 * inherits the service's); present with no alternatives: no auth at all. */
typedef struct axrgen_security {
	bool present;
	axrgen_pos_t pos;
	size_t n_alternatives;
	axrgen_security_req_t *alternatives; /* as written */
} axrgen_security_t;

/* A path template segment. `{id}` is a parameter; so are AcceleratXR's
 * `:id` and, when a path parameter `id` is declared, `_id` (both warned). */
typedef struct axrgen_segment {
	const char *text;       /* as written, e.g. "{id}" or "users" */
	bool param;
	const char *param_name; /* "id" when param */
} axrgen_segment_t;

typedef struct axrgen_operation axrgen_operation_t;

typedef struct axrgen_path {
	const char *template; /* "/users/{id}" as written */
	axrgen_pos_t pos;     /* the paths key */
	size_t n_segments;
	axrgen_segment_t *segments;
	const char *summary;
	const char *description;
	const char *x_name;   /* path-level x-name: the route class */
	const char *x_schema; /* x-schema as written */
	axrgen_schema_t *model; /* x-schema resolved to a named schema */
	size_t n_params;
	axrgen_param_t **params; /* path-level parameters as written */
	size_t n_operations;
	axrgen_operation_t **operations; /* by method (enum order) */
	axrgen_extensions_t extensions;
} axrgen_path_t;

typedef enum axrgen_handler_source {
	AXRGEN_HANDLER_X_NAME,       /* the operation's x-name */
	AXRGEN_HANDLER_OPERATION_ID, /* operationId */
	AXRGEN_HANDLER_DERIVED,      /* neither: lower-case method + path words */
} axrgen_handler_source_t;

struct axrgen_operation {
	axrgen_method_t method;
	axrgen_path_t *path;
	axrgen_pos_t pos; /* the method key */
	const char *operation_id;
	const char *x_name;
	/* The handler name: the operation's x-name, else operationId, else a
	 * derived name; prefixed "Class." when the path has an x-name. Unique
	 * in a service except that one route-class method may serve several
	 * routes (AcceleratXR's route classes): then handler_shared is true. */
	const char *handler;
	axrgen_handler_source_t handler_source;
	bool handler_shared;
	const char *summary;
	const char *description;
	bool deprecated;
	size_t n_tags;
	const char **tags; /* as written */
	/* Path-level and operation-level parameters merged: path-level first,
	 * an operation-level one with the same (name, in) replaces it in place. */
	size_t n_params;
	axrgen_param_t **params;        /* written order */
	axrgen_param_t **params_sorted; /* by (in, name) */
	axrgen_body_t *request_body;    /* NULL when none */
	size_t n_responses;
	axrgen_response_t **responses; /* by status: codes, then nXX, then default */
	axrgen_security_t security;    /* as written on the operation */
	const axrgen_security_t *effective_security; /* own, else the service's */
	axrgen_schema_t *model; /* the path's x-schema, resolved (or NULL) */
	axrgen_extensions_t extensions;
};

typedef struct axrgen_tag {
	const char *name;
	const char *description;
	axrgen_pos_t pos;
} axrgen_tag_t;

typedef struct axrgen_service {
	const char *name; /* file name without directory and extension */
	const char *file; /* as given */
	const char *openapi; /* the `openapi` field, NULL for a fragment file */
	unsigned version;    /* 30, 31, or 0 for a fragment (no `openapi`) */
	const char *title;
	const char *api_version; /* info.version */
	const char *description;
	size_t n_servers;
	const char **servers; /* urls, as written */
	size_t n_tags;
	axrgen_tag_t *tags; /* top-level tags, as written */
	axrgen_security_t security;
	size_t n_security_schemes;
	axrgen_security_scheme_t **security_schemes; /* sorted by name */
	size_t n_schemas;
	axrgen_schema_t **schemas; /* named schemas the service owns or reaches
	                              in other files, sorted by name */
	size_t n_paths;
	axrgen_path_t **paths; /* sorted by template */
	size_t n_operations;
	axrgen_operation_t **operations; /* sorted by (template, method) */
	axrgen_extensions_t extensions;
} axrgen_service_t;

/* Returns the named schema `name` of `svc` (bsearch) or NULL. */
axrgen_schema_t *axrgen_service_schema(const axrgen_service_t *svc, const char *name);

/* ------------------------------------------------------------------------
 * Diagnostics
 * ---------------------------------------------------------------------- */
typedef enum axrgen_severity {
	AXRGEN_WARNING,
	AXRGEN_ERROR,
} axrgen_severity_t;

typedef struct axrgen_diagnostic {
	axrgen_severity_t severity;
	axrgen_pos_t pos;
	const char *kind;    /* stable short name, e.g. "unknown-ref" */
	const char *message; /* without position or severity */
} axrgen_diagnostic_t;

/* ------------------------------------------------------------------------
 * The model
 * ---------------------------------------------------------------------- */
typedef struct axrgen_model {
	size_t n_services;
	axrgen_service_t **services; /* sorted by file */
	size_t n_diagnostics;
	axrgen_diagnostic_t *diagnostics; /* sorted by file order, line, col,
	                                     severity, message; duplicates dropped */
	size_t n_errors;
	size_t n_warnings;
	size_t n_schema_nodes; /* every axrgen_schema_t has id < this (for
	                          visited tables) */
	axr_arena_t *arena; /* owns everything above */
} axrgen_model_t;

/* Options of a load; a NULL pointer means all defaults. */
typedef struct axrgen_options {
	/* Schema names a spec may $ref as components/schemas/NAME without
	 * defining them: types that live outside the spec (AcceleratXR's
	 * exports refer to TypeScript types such as "Buffer"). Each use is a
	 * warning instead of an error, and the schema reads as any value. */
	const char *const *extern_schemas;
	size_t n_extern_schemas;
} axrgen_options_t;

/*
 * Reads and checks the spec files `paths[0..n)`, following $refs into other
 * files (relative to the referring file). `opt` may be NULL.
 *
 * Returns 0 when the specs have no errors, AXR_EVALIDATION when they have
 * at least one (the model is still returned, for its diagnostics; do not
 * generate code from it), AXR_EINVAL for bad arguments, AXR_ENOMEM when out
 * of memory (then *out is NULL). On 0 and AXR_EVALIDATION the caller owns
 * *out and frees it with axrgen_model_free().
 */
int axrgen_model_load_files(const char *const *paths, size_t n, const axrgen_options_t *opt,
			    axrgen_model_t **out);

/*
 * Like axrgen_model_load_files() for one spec held in memory (`len` bytes,
 * need not be NUL-terminated) and reported as `name`. JSON when `name` ends
 * in ".json", else YAML. $refs to other files are refused with an error.
 */
int axrgen_model_load_memory(const char *name, const void *data, size_t len,
			     axrgen_model_t **out);

/* Frees the model and everything in it. NULL is a no-op. */
void axrgen_model_free(axrgen_model_t *m);

/* Writes `file:line:col: error: message` lines for every diagnostic.
 * Returns 0 or AXR_EIO. */
int axrgen_model_print_diagnostics(const axrgen_model_t *m, FILE *out);

/* Writes the stable text dump of the model (the golden-test format,
 * described in docs/axrgen.md). Returns 0 or AXR_EIO. */
int axrgen_model_dump(const axrgen_model_t *m, FILE *out);

#endif
