/* api.h: what the matchmaking HTTP adapters share: settings, the worker's database, the caller, error answers, ETag. */
#ifndef AXR_MATCHMAKING_API_H
#define AXR_MATCHMAKING_API_H

#include <stdint.h>

#include "config.h"
#include "db.h"
#include "entity.h"
#include "request.h"

/* The service's settings as loaded at start-up (hooks.c; defaults before). */
const matchmaking_config_t *matchmaking_api_config(void);

/* The request worker's database connection, or NULL when the service runs
 * without one (the adapter then answers 503). */
axr_db_t *matchmaking_api_db(const axr_request_t *req);

/* Who the store checks membership for: NULL for a caller with one of the
 * entity's trusted roles (x-axr-trusted-roles: admin, gameserver), else the
 * token's uid. */
const char *matchmaking_api_caller(const axr_request_t *req, const axr_entity_t *e);

/*
 * Sets the platform's JSON error for `rc`: its HTTP status, its name as the
 * code (VALIDATION, FORBIDDEN, NOTFOUND, EXISTS, CONFLICT: what generated
 * CRUD answers and the client maps back), `message`, and one field error at
 * JSON Pointer `path` when `path` is not NULL. Returns `rc` for the handler
 * to return (axr_op_respond keeps the answer), or AXR_ENOMEM.
 */
int matchmaking_api_reject(axr_request_t *req, int rc, const char *path, const char *message);

/* Adds ETag: "<version>". 0 or AXR_ENOMEM. */
int matchmaking_api_etag(axr_request_t *req, int64_t version);

#endif
