/* account_api.h: what the account service's adapters share: the context, the caller, error answers, messages, events. */
#ifndef AXR_ACCOUNT_API_H
#define AXR_ACCOUNT_API_H

#include <stdint.h>

#include "account.h"
#include "account_handlers.h"

/*
 * The generated handlers of spec/account.yaml (auth_api.c, users_api.c) are
 * thin adapters over the core (account.h): they copy the typed input into the
 * core's structs, call it with the worker's database and the request's arena,
 * and copy the result into the generated messages. service.c builds the one
 * account_t at start-up (account_hooks) and frees it at shutdown.
 */

/* The context built at start-up; NULL before (and after shutdown). */
account_t *account_api_context(void);

/* What every adapter hands the core. */
typedef struct account_api_call {
	account_t *acc;          /* the service's context */
	axr_db_t *db;            /* the calling worker's database */
	account_caller_t caller; /* the token's uid, and whether it is trusted
	                          * (axr_request_trusted: the admin role) */
} account_api_call_t;

/* Fills *call for `req`. Returns 0, or AXR_EUNAVAILABLE after answering 503
 * (no context or no database). */
int account_api_begin(axr_request_t *req, account_api_call_t *call);

/*
 * Answers the core's error `rc` in the platform's JSON format: the status of
 * the code, problem->message (else the code's text) and, when the core named
 * a property, one field error at problem->field; a 429 carries Retry-After =
 * problem->retry_after (at least 1). Returns `rc`, for `return
 * account_api_fail(...)` (axr_op_respond keeps a response >= 400).
 */
int account_api_fail(axr_request_t *req, int rc, const account_problem_t *problem);

/* The User message of `u`, in the request arena (strings copied). NULL when
 * out of memory. Secrets are never part of account_user_t, so never here. */
Account__User *account_api_user(axr_request_t *req, const account_user_t *u);

/* Answers a log-in: the core's result `rc` with session `s` becomes the
 * NewUser *out (0 or AXR_ENOMEM), an error account_api_fail(). */
int account_api_session(axr_request_t *req, int rc, const account_session_t *s, const account_problem_t *problem,
                        Account__NewUser **out);

/* Adds `ETag: "<version>"`. 0 or AXR_ENOMEM. */
int account_api_etag(axr_request_t *req, int64_t version);

/*
 * Publishes a change of user `uid` on the bus after its commit: type "User",
 * `action` (create, update, delete), the user's own channel as audience, and
 * `u` (NULL for a delete) as protobuf data and as its REST JSON. Never fails
 * the request: a bus that is down or absent is logged by the runtime.
 */
void account_api_publish_user(axr_request_t *req, const char *action, const char *uid, const Account__User *u,
                              int64_t version);

#endif
