/* crud_handle.c: generated CRUD operations, answered from their axr_op_t. */
#include "crud_handle.h"

#include <string.h>

#include "crud.h"
#include "crud_direct.h"
#include "err.h"
#include "op.h"
#include "pool.h"

/* The `body` member of a typed input message, or NULL. */
static const ProtobufCMessage *axr__input_body(const ProtobufCMessage *input)
{
	if (input == NULL)
		return NULL;
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(input->descriptor, "body");
	if (f == NULL || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return NULL;
	return *(ProtobufCMessage *const *)((const char *)input + f->offset);
}

/* The value of the route's last path parameter: the `{id}` of /x/{id}. */
static const char *axr__path_id(const axr_request_t *req)
{
	return req->nparams > 0 ? req->params[req->nparams - 1].value : NULL;
}

/* Index of the column whose property is `json_name`, or -1. */
static int axr__entity_column(const axr_entity_t *e, const char *json_name)
{
	for (size_t i = 0; i < e->n_columns; i++) {
		if (strcmp(e->columns[i].json_name, json_name) == 0)
			return (int)i;
	}
	return -1;
}

int axr_crud_handle_generated(axr_request_t *req, ProtobufCMessage **out)
{
	axr__crud_direct_learn(req);
	return axr_crud_handle(req, out);
}

int axr_crud_handle(axr_request_t *req, ProtobufCMessage **out)
{
	const axr_op_t *op = req->route->op;
	const axr_entity_t *e = op->entity;
	*out = NULL;
	if (e == NULL || op->crud == AXR_CRUD_NONE)
		return AXR_ENOTIMPL;
	if (req->worker == NULL || req->worker->db == NULL)
		return AXR_EUNAVAILABLE;
	axr_crud_result_t res;
	int rc;
	if (op->crud == AXR_CRUD_LIST || op->crud == AXR_CRUD_COUNT || op->crud == AXR_CRUD_TRUNCATE) {
		/* Declared query parameters that are not filters (limit, page and
		 * sort are the engine's own) are skipped by the query language. */
		const char **ignore = axr_arena_calloc(req->arena, op->n_params + 1, sizeof(*ignore));
		if (ignore == NULL)
			return AXR_ENOMEM;
		size_t n = 0;
		for (size_t i = 0; i < op->n_params; i++) {
			const char *name = op->params[i].name;
			if (op->params[i].in == AXR_PARAM_QUERY && strcmp(name, "limit") != 0 && strcmp(name, "page") != 0 &&
			    strcmp(name, "sort") != 0 && axr__entity_column(e, name) < 0)
				ignore[n++] = name;
		}
		axr_query_options_t qopt = {.ignore = ignore, .n_ignore = n};
		rc = op->crud == AXR_CRUD_LIST    ? axr_crud_list(req, req->worker->db, e, &qopt, &res)
		   : op->crud == AXR_CRUD_COUNT ? axr_crud_count(req, req->worker->db, e, &qopt, &res)
		                                : axr_crud_truncate(req, req->worker->db, e, &qopt, &res);
	} else {
		rc = axr_crud_run(req, req->worker->db, e, (axr_crud_kind_t)op->crud, axr__path_id(req),
		                  axr__input_body(req->input), &res);
	}
	if (rc != 0)
		return rc;
	switch (op->crud) {
	case AXR_CRUD_LIST:
		if (op->response.message == NULL)
			return AXR_EINTERNAL;
		return axr_crud_list_message(op->response.message, &res, req->arena, out);
	case AXR_CRUD_GET:
	case AXR_CRUD_CREATE:
	case AXR_CRUD_UPDATE:
		*out = res.row;
		return 0;
	default:
		return 0;
	}
}
