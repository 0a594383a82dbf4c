/* crud_handle.h: generated CRUD operations, answered from their axr_op_t. */
#ifndef AXR_CRUD_HANDLE_H
#define AXR_CRUD_HANDLE_H

#include <protobuf-c/protobuf-c.h>

#include "request.h"

/*
 * The body of every generated CRUD handler (axrgen emits them as weak
 * symbols that a hand-written handler of the same name overrides). Reads
 * the operation's entity and kind from req->route->op, the `{id}` path
 * parameter, the "body" field of the typed input, and the worker's
 * database; lists become the operation's `<Schema>List` message.
 *
 * Returns 0 with *out set (NULL for COUNT, TRUNCATE and DELETE, whose
 * answers carry no body: COUNT sets X-Total-Count), or a negative code after
 * the engine set the error response. AXR_EUNAVAILABLE without a database.
 */
int axr_crud_handle(axr_request_t *req, ProtobufCMessage **out);

/*
 * axr_crud_handle() for the generated handlers only (generated/<svc>/<svc>_crud.c,
 * the weak definitions): it also tells the runtime that the route's handler
 * is the generated one, so later GET /x/{id} requests of the route may be
 * answered on the I/O thread without a worker (crud_direct.h). A
 * hand-written handler (one that replaces the weak definition) calls
 * axr_crud_handle() and always runs on a worker.
 */
int axr_crud_handle_generated(axr_request_t *req, ProtobufCMessage **out);

#endif
