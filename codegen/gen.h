/* gen.h: axrgen's back end: the plan of one service (names, messages, tables,
 * operations, entities) that every gen_*.c file walks. Internal to codegen/. */
#ifndef AXR_AXRGEN_GEN_H
#define AXR_AXRGEN_GEN_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "emit.h"
#include "lockfile.h"
#include "model.h"

/*
 * The back end reads the checked model once into a plan (plan_*.c) and
 * then writes files from the plan alone (gen_*.c), so every naming and
 * numbering decision is made in one place, in one deterministic order:
 * named schemas by name, then operations by (path, method), each walked
 * depth-first in written order. docs/model-mapping.md states the rules;
 * the comments here say where each one is applied.
 *
 * Memory: everything lives in the plan's arena; axrgen_alloc() never
 * returns NULL (it longjmps to axrgen_plan_service(), which returns
 * AXR_ENOMEM).
 */

typedef struct axrgen_msg axrgen_msg_t;
typedef struct axrgen_entity axrgen_entity_t;

/* A set of strings (names already taken). */
typedef struct axrgen_names {
	const char **slots;
	size_t cap;
	size_t n;
} axrgen_names_t;

typedef struct axrgen_gdiag {
	axrgen_severity_t severity;
	axrgen_pos_t pos;
	const char *message;
} axrgen_gdiag_t;

/* protobuf scalar kinds of a field. */
typedef enum axrgen_ptype {
	AXRGEN_P_STRING,
	AXRGEN_P_INT32,
	AXRGEN_P_INT64,
	AXRGEN_P_DOUBLE,
	AXRGEN_P_BOOL,
	AXRGEN_P_MESSAGE,
} axrgen_ptype_t;

/* How a schema travels in a protobuf field (docs/model-mapping.md). */
typedef struct axrgen_ftype {
	axrgen_ptype_t type;
	bool repeated;
	bool json;         /* a string holding JSON text (free-form value) */
	axrgen_msg_t *msg; /* AXRGEN_P_MESSAGE */
} axrgen_ftype_t;

typedef struct axrgen_field {
	const char *name;      /* proto field and C member name, snake_case */
	const char *json_name; /* the property ("body" for an input's body) */
	uint32_t number;
	uint32_t override;     /* x-protobuf-index, 0 = none */
	axrgen_ftype_t t;
	const axrgen_schema_t *schema;
	axrgen_pos_t pos;
	const char *description;
} axrgen_field_t;

typedef enum axrgen_msg_kind {
	AXRGEN_MSG_SCHEMA, /* an object schema (named or inline): numbers in the lock */
	AXRGEN_MSG_INPUT,  /* <Operation>Input: parameters, then body */
	AXRGEN_MSG_LIST,   /* repeated T items = 1 */
	AXRGEN_MSG_JSON,   /* JsonValue { optional string json = 1; } */
} axrgen_msg_kind_t;

struct axrgen_msg {
	axrgen_msg_kind_t kind;
	const char *name;       /* "Item" */
	const char *c_type;     /* "Shop__Item" */
	const char *descriptor; /* "shop__item__descriptor" */
	const axrgen_schema_t *schema; /* SCHEMA */
	const char *origin;     /* for comments: "schema Item", "GET /items" */
	const char *comment;
	axrgen_field_t *fields; /* sorted by number once numbered */
	size_t n_fields;
	uint32_t *reserved;     /* retired numbers (the lock) */
	size_t n_reserved;
	bool fields_done;
};

/* What the plan knows about one schema node (indexed by node id). */
typedef struct axrgen_node {
	const axrgen_schema_t *s;
	const char *ident;  /* C name of its axr_schema_t table */
	const char *macro;  /* prefix of its enum #defines, e.g. SHOP_ITEM_COLOR */
	bool exported;      /* declared in <svc>_schema.h */
	const char **slots; /* its axr_regex_t slots, one per pattern */
	axrgen_msg_t *msg;  /* set when the node maps to a message */
	uint8_t walked;     /* plan_types.c: walks done (bits 1, 2), array being typed (4) */
} axrgen_node_t;

typedef struct axrgen_pparam {
	const axrgen_param_t *p;
	const char *input_name; /* property in the input schema (NULL: p->name) */
	const char *style;      /* "AXR_PARAM_SIMPLE", ... */
	const axrgen_field_t *field;
} axrgen_pparam_t;

typedef struct axrgen_payload {
	const axrgen_schema_t *schema; /* NULL: none */
	const char *media;
	axrgen_msg_t *msg;             /* the typed form (handler side) */
	bool is_array;
	bool free_form;
} axrgen_payload_t;

typedef struct axrgen_op {
	const axrgen_operation_t *op;
	bool served;            /* false: not routed (TRACE, runtime built-in) */
	const char *method;     /* "GET" */
	const char *http_enum;  /* "AXR_HTTP_GET" */
	const char *route_path; /* "{id}" templates */
	const char *sym;        /* handler name in snake_case, unique */
	const char *pascal;     /* for message names: "GetItem" */
	const char *handler;    /* C symbol: "<svc>_<sym>" */
	const char *op_ident;   /* "<svc>_op_<sym>" (<svc>_ops.c, shared by server and client) */
	const char *client_fn;  /* "<svc>_client_<sym>" (its async twin: client_async) */
	const char *client_async;
	const char *client_ex;    /* "<svc>_client_<sym>_ex": with axr_client_call_opts_t (async: client_async_ex) */
	const char *client_async_ex;
	const char *client_index; /* "<SVC>_CLIENT_<SYM>": its row in <svc>_client_routes */
	const char *client_fill;  /* static helper filling the input message in <svc>_client.c */
	const char *wrapper;    /* "<svc>_<sym>_route" */
	const char *input_table;
	const char *resource;   /* scaffold file base name */
	axrgen_msg_t *input;
	axrgen_pparam_t *params;
	size_t n_params;
	axrgen_payload_t body;
	axrgen_payload_t response;
	bool has_out;           /* the handler has an `out` argument */
	bool counts;            /* answers its count in X-Total-Count: client stubs take int64_t *total */
	int status;
	bool auth, auth_optional, idempotent, body_required;
	const char **roles;
	size_t n_roles;
	int crud;               /* enum axr_crud_kind, 0 = none */
	const char *crud_name;  /* "AXR_CRUD_LIST" */
	axrgen_entity_t *entity;
	bool list_filters;      /* undeclared query names pass to the handler (x-axr-filters, CRUD list/count) */
} axrgen_op_t;

typedef struct axrgen_column {
	const char *name;       /* SQL name */
	const char *json_name;
	const char *type;       /* "AXR_COL_UUID" */
	unsigned flags;         /* enum axr_column_flags */
	uint32_t field;
	const axrgen_schema_t *schema;
	const char *default_sql;
	bool base;
} axrgen_column_t;

typedef struct axrgen_index {
	const char *name;
	const char **columns;
	size_t n_columns;
	bool unique;
	axrgen_pos_t pos;
} axrgen_index_t;

struct axrgen_entity {
	const axrgen_schema_t *schema;
	axrgen_msg_t *msg;
	const char *ident;      /* "<svc>_entity_Item" */
	const char *table;
	axrgen_column_t *columns;
	size_t n_columns;
	axrgen_index_t *indexes;
	size_t n_indexes;
	int owner_column;
	int identifier_column;
	int *channels;
	size_t n_channels;
	const char **trusted_roles;
	size_t n_trusted_roles;
};

/* One location of the gateway's routing block. */
typedef struct axrgen_gwroute {
	const char *path;           /* "/items/{id}" */
	const axrgen_path_t *spec;  /* the spec's path item */
	bool literal;               /* no parameter: an exact location */
	bool status;                /* /<svc>/status -> the service's /status */
} axrgen_gwroute_t;

typedef struct axrgen_gen {
	axr_arena_t *arena;
	jmp_buf *oom;
	const axrgen_model_t *m;
	const axrgen_service_t *svc;
	const char *spec;       /* the spec path as given (banners) */
	const char *name;       /* service name: file base name */
	const char *p;          /* C prefix and proto package: "shop" */
	const char *P;          /* macro prefix: "SHOP" */
	const char *pkg_camel;  /* protoc-c's type prefix: "Shop" */
	bool stubs;             /* --stubs: 501 stubs for every handler */

	axrgen_node_t *nodes;   /* m->n_schema_nodes */
	const axrgen_schema_t **order; /* nodes with a table, in emission order */
	size_t n_order, cap_order;

	axrgen_msg_t **msgs;
	size_t n_msgs, cap_msgs;
	axrgen_msg_t *json_msg; /* JsonValue, made on first use */

	axrgen_op_t *ops;       /* svc->operations order */
	size_t n_ops;
	axrgen_entity_t *entities;
	size_t n_entities;

	axrgen_names_t idents;  /* C identifiers at file scope */
	axrgen_names_t macros;
	axrgen_names_t msg_names;  /* message names and their protoc-c lower forms */

	axrgen_lock_t *lock;

	axrgen_gwroute_t *gw;   /* sorted by path */
	size_t n_gw;

	axrgen_gdiag_t *diags;
	size_t n_diags, cap_diags;
	size_t n_errors;
} axrgen_gen_t;

/* ---- memory, names, diagnostics (gen_util.c) ------------------------- */
void *axrgen_alloc_g(axrgen_gen_t *g, size_t size); /* zero-filled, never NULL */
char *axrgen_strdup_g(axrgen_gen_t *g, const char *s);
char *axrgen_printf_g(axrgen_gen_t *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void axrgen_gen_diag(axrgen_gen_t *g, axrgen_severity_t sev, axrgen_pos_t pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "userID.name-x" -> "user_id_name_x": words split at non-alphanumerics and
 * case changes, lower case, single underscores, none leading or trailing.
 * "" when `s` has no letter or digit. */
char *axrgen_snake(axrgen_gen_t *g, const char *s);
/* "models.questDef" -> "ModelsQuestDef": words capitalised and joined;
 * "M" is put before a leading digit; "" when nothing is left. */
char *axrgen_pascal(axrgen_gen_t *g, const char *s);
/* axrgen_snake() in upper case. */
char *axrgen_upper(axrgen_gen_t *g, const char *s);
/* A C identifier fragment keeping case: non-alphanumerics -> '_', runs of
 * '_' collapsed, none leading or trailing. */
char *axrgen_ident_part(axrgen_gen_t *g, const char *s);
/* protoc-c's names: "FooBar" -> "foo_bar" (descriptor), "my_svc" -> "MySvc". */
char *axrgen_protoc_lower(axrgen_gen_t *g, const char *camel);
char *axrgen_protoc_camel(axrgen_gen_t *g, const char *snake);
/* `s` (len bytes) as a C string literal with quotes; octal escapes for
 * control and non-ASCII-safe bytes, and no trigraph can form. */
char *axrgen_c_string(axrgen_gen_t *g, const char *s, size_t len);
#define axrgen_cstr(g, s) axrgen_c_string((g), (s), strlen(s))

bool axrgen_names_has(const axrgen_names_t *set, const char *s);
void axrgen_names_add(axrgen_gen_t *g, axrgen_names_t *set, const char *s);
/* `base`, or base2, base3, ... (base_2 when base ends in a digit) when
 * taken; the result is added to the set. */
const char *axrgen_names_unique(axrgen_gen_t *g, axrgen_names_t *set, const char *base);

/* ---- the plan (plan_types.c, plan_ops.c, plan_entity.c) --------------- */

/* The node that gives `s` its type (follows `ref`). */
const axrgen_schema_t *axrgen_target(const axrgen_schema_t *s);
/* Maps a node to its field type, creating messages for object schemas on
 * first use; `name` names an inline message ("<Parent><Property>"). */
axrgen_ftype_t axrgen_field_type(axrgen_gen_t *g, const axrgen_schema_t *s, const char *name);
/* The message of an object schema (created on first use), or NULL when
 * the schema does not map to a message. */
axrgen_msg_t *axrgen_schema_message(axrgen_gen_t *g, const axrgen_schema_t *s, const char *name);
/* A new message named `name` (made unique) of `kind`. */
axrgen_msg_t *axrgen_new_message(axrgen_gen_t *g, axrgen_msg_kind_t kind, const char *name);
/* <Item>List, made once per item type. */
axrgen_msg_t *axrgen_list_message(axrgen_gen_t *g, axrgen_ftype_t item, const char *name);
axrgen_msg_t *axrgen_json_message(axrgen_gen_t *g);
/* Gives every node reachable from `s` a table name; `ident` names `s` when
 * it has none yet; `macro` is its enum macro prefix. */
void axrgen_plan_node(axrgen_gen_t *g, const axrgen_schema_t *s, const char *ident,
		      const char *macro, bool exported);
/* Names the tables of every named schema and of what they reach. */
void axrgen_plan_schemas(axrgen_gen_t *g);
/* Fills the fields of every message and numbers them (lock for SCHEMA
 * messages), then sorts messages by name. */
void axrgen_plan_messages(axrgen_gen_t *g);
void axrgen_plan_ops(axrgen_gen_t *g);
void axrgen_plan_entities(axrgen_gen_t *g);
/* A field name for property `json_name` (`fallback` when it has no letter
 * or digit): snake_case, never a C keyword or protobuf-c's `base`, unique
 * among fields[0..n). */
const char *axrgen_field_name(axrgen_gen_t *g, const axrgen_field_t *fields, size_t n,
			      const char *json_name, const char *fallback);
/* Renames fields that clash with protobuf-c's has_<f> / n_<f> members. */
void axrgen_fix_member_clashes(axrgen_gen_t *g, axrgen_field_t *fields, size_t n);
/* The field of `msg` carrying property `json_name`, or NULL. */
const axrgen_field_t *axrgen_msg_field(const axrgen_msg_t *msg, const char *json_name);
/* The entity planned for named schema `s`, or NULL. */
axrgen_entity_t *axrgen_entity_of(axrgen_gen_t *g, const axrgen_schema_t *s);
/* Is `s` (a named schema) an entity: x-baseClass a non-empty string? */
bool axrgen_is_entity(const axrgen_schema_t *s);

/* The gateway's locations: one per routed path (gen_gateway.c). */
void axrgen_plan_gateway(axrgen_gen_t *g);
/* Reports paths two services both claim in the gateway (an error at the
 * later service's path). */
void axrgen_gateway_check(axrgen_gen_t *const *gens, size_t n);

/* ---- writers (gen_*.c): each appends one file to `e` ------------------ */
/* The banner line in the comment style of `lead` ("//", "#", or "c"). */
void axrgen_banner(axrgen_gen_t *g, axrgen_emit_t *e, const char *style);
void axrgen_gen_proto(axrgen_gen_t *g, axrgen_emit_t *e);
void axrgen_gen_schema_h(axrgen_gen_t *g, axrgen_emit_t *e);
void axrgen_gen_schema_c(axrgen_gen_t *g, axrgen_emit_t *e);
void axrgen_gen_handlers_h(axrgen_gen_t *g, axrgen_emit_t *e);
void axrgen_gen_routes_h(axrgen_gen_t *g, axrgen_emit_t *e);
void axrgen_gen_routes_c(axrgen_gen_t *g, axrgen_emit_t *e);
void axrgen_gen_ops_h(axrgen_gen_t *g, axrgen_emit_t *e);
void axrgen_gen_ops_c(axrgen_gen_t *g, axrgen_emit_t *e);
void axrgen_gen_client_h(axrgen_gen_t *g, axrgen_emit_t *e);
void axrgen_gen_client_c(axrgen_gen_t *g, axrgen_emit_t *e);
void axrgen_gen_crud_c(axrgen_gen_t *g, axrgen_emit_t *e);
void axrgen_gen_stubs_c(axrgen_gen_t *g, axrgen_emit_t *e);
void axrgen_gen_entities_h(axrgen_gen_t *g, axrgen_emit_t *e);
void axrgen_gen_entities_c(axrgen_gen_t *g, axrgen_emit_t *e);
void axrgen_gen_main_c(axrgen_gen_t *g, axrgen_emit_t *e);
void axrgen_gen_gateway(axrgen_gen_t *g, axrgen_emit_t *e);
/* The scaffold of handlers/<svc>/<resource>.c for the operations of
 * `resource` that need a hand-written handler not in `defined`; false when
 * there is none. */
bool axrgen_gen_scaffold(axrgen_gen_t *g, const char *resource, const axrgen_names_t *defined,
			 axrgen_emit_t *e);
/* The number of routed (served) operations. */
size_t axrgen_route_count(const axrgen_gen_t *g);
/* The prototype of an operation's handler, without ';'. */
const char *axrgen_handler_prototype(axrgen_gen_t *g, const axrgen_op_t *o);
/* Does the operation need a hand-written handler (not generated CRUD)? */
bool axrgen_op_needs_handler(const axrgen_op_t *o);

#endif
