/* api.c: what the matchmaking HTTP adapters share. */
#include "api.h"

#include <inttypes.h>
#include <stdio.h>

#include "crud.h"
#include "err.h"
#include "pool.h"

axr_db_t *matchmaking_api_db(const axr_request_t *req)
{
	return req->worker ? req->worker->db : NULL;
}

const char *matchmaking_api_caller(const axr_request_t *req, const axr_entity_t *e)
{
	return axr_crud_caller_trusted(req, e) ? NULL : req->user_uid;
}

int matchmaking_api_reject(axr_request_t *req, int rc, const char *path, const char *message)
{
	axr_field_error_t error = {.path = path, .message = message};
	if (axr_response_error(req, axr_err_http_status(rc), axr_errname(rc), message, path ? &error : NULL, path ? 1 : 0) != 0)
		return AXR_ENOMEM;
	return rc;
}

int matchmaking_api_etag(axr_request_t *req, int64_t version)
{
	char etag[32];
	snprintf(etag, sizeof etag, "\"%" PRId64 "\"", version);
	return axr_response_header(req, "ETag", etag);
}
