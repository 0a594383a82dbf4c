/* op.h: the generated description of an API operation, and the generic
 * request pipeline that runs before and after its handler. */
#ifndef AXR_OP_H
#define AXR_OP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "request.h"
#include "schema.h"

/*
 * axrgen emits one `static const axr_op_t` per operation and points the
 * route's `op` at it. Everything here is data; the runtime walks it:
 *
 *   I/O thread:  token -> roles -> content negotiation -> parameters and
 *                body decoded and validated into the input message
 *   worker:      the typed handler (hand-written, or generated CRUD)
 *   worker:      output message -> JSON (or protobuf), writeOnly stripped
 *
 * The input message of an operation is a generated proto2 message with one
 * field per parameter plus, when the operation has a body, a field holding
 * the body message. Handlers receive it typed and already validated.
 */

enum axr_param_in { AXR_PARAM_PATH, AXR_PARAM_QUERY, AXR_PARAM_HEADER, AXR_PARAM_COOKIE };

typedef struct axr_param_spec {
	const char *name;            /* as in the spec ("limit", "X-Request-Id") */
	int in;                      /* enum axr_param_in */
	bool required;
	int style;                   /* axr_param_style_t (validate.h): how arrays are written */
	const axr_schema_t *schema;  /* validates the typed value */
	const char *input_name;      /* its property in the input schema (NULL: `name`) */
} axr_param_spec_t;

/* The body or a response in one representation. */
typedef struct axr_op_payload {
	const axr_schema_t *schema;               /* JSON side */
	const ProtobufCMessageDescriptor *message; /* C side; NULL: no typed form */
	bool is_array;   /* JSON array <-> message with one repeated field `items` (1) */
	bool free_form;  /* any JSON: carried as text in a string field */
} axr_op_payload_t;

enum axr_op_flags {
	AXR_OP_AUTH = 1u << 0,         /* a valid bearer token is required */
	AXR_OP_AUTH_OPTIONAL = 1u << 1,/* a token is verified when present */
	AXR_OP_BODY_REQUIRED = 1u << 2,
	AXR_OP_IDEMPOTENT = 1u << 3,   /* honours Idempotency-Key */
};

typedef struct axr_op {
	const char *name;             /* handler name (x-name or operationId) */
	const char *summary;
	unsigned flags;               /* enum axr_op_flags */
	const char *const *roles;     /* any of these roles is required; NULL = none */
	size_t n_roles;
	const axr_param_spec_t *params;
	size_t n_params;
	/* The input message: one property per parameter (by input_name) and
	 * "body" for the request body; the schema maps them to fields. */
	const ProtobufCMessageDescriptor *input;
	const axr_schema_t *input_schema;
	axr_op_payload_t body;        /* body.schema NULL: the operation takes no body */
	bool list_filters;            /* query names that are entity columns are filters (CRUD list/count) */

	int status;                   /* success status: 200, 201, 204 */
	axr_op_payload_t response;    /* success response; message NULL when none */
	const void *entity;           /* x-schema entity (DB mapping), NULL if none */
	int crud;                     /* enum axr_crud_kind (db mapping), 0 = none */
} axr_op_t;

/*
 * Runs the I/O-thread half for `req` (whose route->op is an axr_op_t):
 * authentication and roles (401 with WWW-Authenticate, 403), content
 * negotiation (415, 406), parameter and body decoding and validation into
 * req->input (400 with every error). Returns 0 to go on to the handler, or
 * a negative code after setting the error response. Services install it as
 * the server's `before` hook.
 */
int axr_op_before(axr_request_t *req, void *ctx);

/* Allocates and initialises a message of type `desc` in the request's
 * arena (freed with the request). NULL when out of memory. */
ProtobufCMessage *axr_op_message_new(axr_request_t *req, const ProtobufCMessageDescriptor *desc);

/*
 * Finishes a typed handler call: `rc` is what the handler returned, `out`
 * its output message (may be NULL for bodiless answers). On rc == 0 encodes
 * `out` with the operation's success status in the negotiated format; a
 * handler that set req->status to another 2xx (an operation answering 200 or
 * 201) gets `out` encoded with that status, and one that sent its own body
 * (or a non-2xx status) keeps its answer. On an error code answers the JSON
 * error (unless the handler already set one).
 * Returns 0 or AXR_ENOMEM. Generated wrappers end with it.
 */
int axr_op_respond(axr_request_t *req, int rc, const ProtobufCMessage *out);

#endif
