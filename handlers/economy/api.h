/* api.h: what the economy's HTTP adapters share: callers, transactions as messages, answers, change events, settings. */
#ifndef AXR_ECONOMY_API_H
#define AXR_ECONOMY_API_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "service.h"
#include "transaction.h"

#include "economy_handlers.h"

/*
 * The adapters (transactions_api.c) turn the generated handlers' typed input
 * into the plain-C core's structs (transaction.h), call it with the worker's
 * database and the request arena, and turn its answer into the HTTP answer.
 * They include generated headers, so they live apart from the core files,
 * whose unit tests link without them. docs/economy.md, "Wiring".
 */

/* The service's own settings (AXR_ECONOMY_*), loaded by the runtime from the
 * hooks' table before start-up. */
typedef struct economy_settings {
	long idem_max_age_ms;     /* Idempotency-Keys older than this are forgotten */
	long idem_purge_every_ms; /* how often a worker purges them (0: never) */
} economy_settings_t;

extern economy_settings_t economy_settings;

/* The hand-written additions to the generated main(): settings, the schema
 * check after the migrations, the first purge (hooks.c). */
extern const axr_service_hooks_t economy_hooks;

/*
 * Purges expired Idempotency-Keys on `db` when the last purge of this process
 * is older than economy_settings.idem_purge_every_ms: one caller wins the
 * turn (the others return at once), so at most one purge runs at a time and
 * it runs at most once per interval; it is one indexed DELETE bounded by the
 * connection's statement_timeout. Failures are logged and retried at the next
 * turn. Called by workers after a write (hooks.c).
 */
void economy_purge_when_due(axr_db_t *db);

/* The caller as the core sees it: its uid and whether it holds one of the
 * Transaction entity's trusted roles (admin). */
economy_caller_t economy_api_caller(const axr_request_t *req);

/*
 * Copies validated request lines into core lines in the request arena (giver
 * absent = FROM). Returns 0 and *out (NULL when n is 0), AXR_ENOMEM, or
 * AXR_EINTERNAL for a giver the schema should have refused.
 */
int economy_api_lines(axr_request_t *req, Economy__TransactionLine *const *lines, size_t n, economy_line_t **out);

/* Adds ETag: "<version>" to the answer. */
void economy_api_etag(axr_request_t *req, int64_t version);

/* A core transaction as the generated message, in the request arena (strings
 * copied); NULL when out of memory. */
Economy__Transaction *economy_api_tx_message(axr_request_t *req, const economy_tx_t *tx);

/*
 * Sets the error answer for a core call that returned `rc` < 0: the status of
 * the code (AXR_EINVAL 400 VALIDATION, 403, 404, 409, 422, 503 with
 * Retry-After...), answer->code as the body's code when the core set one, and
 * answer->problem as the message and the one field error (when it has a
 * path). `answer` may be NULL. Returns rc.
 */
int economy_api_error(axr_request_t *req, int rc, const economy_answer_t *answer);

/*
 * Finishes a writing operation (create, update, purchase) whose core call
 * returned `rc` with `answer`:
 *   - rc < 0: the error answer (economy_api_error);
 *   - answer->status 409 (FAILED, nothing moved): a TransactionError body
 *     with the failure code, reason and the transaction; returns AXR_ECONFLICT;
 *   - otherwise *out is the transaction; ETag "<version>" either way.
 * When the call committed a change (not a replay), the change events go out
 * after the commit: `action` ("create" or "update") of the Transaction to its
 * parties, and one InventoryItem event per changed balance to its owner
 * ("create" for a row this execution created). Then the purge turn
 * (economy_purge_when_due). Returns 0 or the code the handler returns.
 */
int economy_api_finish(axr_request_t *req, int rc, economy_answer_t *answer, const char *action,
                       Economy__Transaction **out);

#endif
