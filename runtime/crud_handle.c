/* crud_handle.c: generated CRUD operations, answered from their axr_op_t. */
#include "crud_handle.h"

#include "crud.h"
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
	int rc = axr_crud_run(req, req->worker->db, e, (axr_crud_kind_t)op->crud, axr__path_id(req),
	                      axr__input_body(req->input), &res);
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
