/* tx_internal.h: what transaction.c and purchase.c share: the stored snapshot, writing a transaction row, settling it. */
#ifndef AXR_ECONOMY_TX_INTERNAL_H
#define AXR_ECONOMY_TX_INTERNAL_H

#include <stdarg.h>

#include "idempotency.h"
#include "transaction.h"

/* A timestamptz as the CRUD engine writes it: RFC 3339 UTC, fraction trimmed. */
#define ECONOMY_SQL_TIME(col)                                                             \
	"regexp_replace(to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"   \
	" '\\.?0+Z$', 'Z')"

/* The transaction row as the REST JSON (absent values omitted): the body a
 * client sees, and what idempotency_key stores. Valid after SELECT ... FROM
 * transaction and in INSERT/UPDATE ... RETURNING. */
#define ECONOMY_SQL_TX_SNAPSHOT                                                                   \
	"jsonb_strip_nulls(jsonb_build_object('uid', uid,"                                            \
	" 'dateCreated', " ECONOMY_SQL_TIME("date_created") ","                                       \
	" 'dateModified', " ECONOMY_SQL_TIME("date_modified") ","                                     \
	" 'version', version, 'kind', kind, 'from', \"from\", 'to', \"to\", 'resources', resources,"  \
	" 'status', status, 'approval', approval, 'failureCode', failure_code,"                       \
	" 'failureReason', failure_reason, 'createdBy', created_by))::text"

/* The columns a new transaction row is written with, in the order both
 * INSERTs (tx_common.c, tx_at_once.c) give them. */
#define ECONOMY_SQL_TX_COLUMNS                                                                              \
	"uid, date_created, date_modified, version, kind, \"from\", \"to\", resources, status, approval,"         \
	" failure_code, failure_reason, created_by"

/* The idempotency side of a request: hash computed, key claimed or not. */
typedef struct economy__idem_ctx {
	const char *caller;     /* canonical caller uid */
	const char *key;        /* NULL: the request has none */
	char hash[ECONOMY_IDEM_HASH_SIZE];
} economy__idem_ctx_t;

/* Sets answer->code and answer->problem; returns `err`. */
int economy__fail(economy_answer_t *answer, int err, const char *code, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Resets what an attempt of a SQL transaction body fills (it may run again). */
void economy__answer_reset(economy_answer_t *answer);

/* The start of every writing operation: resets the answer, checks that no
 * argument is NULL (AXR_EINVAL) and that there is a caller (AXR_EUNAUTHORIZED)
 * with a UUID; *me receives its canonical uid (in the arena). */
int economy__begin(const axr_db_t *db, axr_arena_t *arena, const economy_caller_t *caller, const void *in,
                   economy_answer_t *answer, const char **me);

/* Claims the key (when there is one); on a replay fills the answer from the
 * stored one and sets *replayed. */
int economy__idem_begin(axr_db_t *db, axr_arena_t *arena, const economy__idem_ctx_t *idem,
                        economy_answer_t *answer, bool *replayed);

/* Parses the snapshot answer->json into answer->tx. */
int economy__answer_finish(axr_arena_t *arena, economy_answer_t *answer);

/* 400 naming the first line (of Transaction.resources) whose resource does
 * not exist; 0 when they all do. */
int economy__lines_known(axr_db_t *db, axr_arena_t *arena, const economy_line_t *lines, size_t n,
                         economy_answer_t *answer);

/* The 400 (AXR_EINVAL, UNKNOWN_RESOURCE) for the first line of `resource_uid`. */
int economy__unknown_line(const economy_line_t *lines, size_t n, const char *resource_uid, economy_answer_t *answer);

/* When both sides have approved, executes `tx` and sets its status (COMPLETE
 * or FAILED with the failure) and answer->execution; else leaves it PENDING
 * with the failure cleared. `*failed` tells whether this call FAILED it. */
int economy__settle(axr_db_t *db, axr_arena_t *arena, economy_tx_t *tx, economy_answer_t *answer, bool *failed);

/* The approval column's JSON, {"from":true,"to":false}. */
#define ECONOMY_APPROVAL_JSON_SIZE 40
void economy__approval_json(const economy_tx_t *tx, char out[ECONOMY_APPROVAL_JSON_SIZE]);

/* INSERTs a new transaction row; *json receives its snapshot. With a key
 * in `idem` (may be NULL), the snapshot and `status` are stored as the key's
 * answer in the same statement. */
int economy__tx_insert(axr_db_t *db, axr_arena_t *arena, const economy_tx_t *tx, const economy__idem_ctx_t *idem,
                       int status, const char **json);

/*
 * Creates and executes `tx` (both approvals given; uid, kind, parties, lines
 * and created_by set) in ONE statement of the SQL transaction open on `db`
 * (the first of an axr_db_tx_run body), so one round trip does what the
 * five statements of economy__create_body do for the common case: the
 * rows locked in the ledger's order, the checks, the balances, the ledger,
 * the COMPLETE transaction row and, with a key in `idem`, the key with its
 * stored answer (tx_at_once.c says why this is as safe as the general path).
 * It only writes when the transaction COMPLETEs and every inventory row
 * exists; otherwise nothing is written (the existing rows stay locked) and
 * the general path decides, in the same SQL transaction.
 *
 * Returns 0 with *done true and `answer` filled (201, COMPLETE, the
 * balances); 0 with *done false when nothing was written (a row to create, a
 * check that fails, an unknown resource); AXR_EEXISTS when the key is
 * already taken (a replay, or a duplicate that committed meanwhile: the SQL
 * transaction is aborted); the other axr_db_exec codes; AXR_EINTERNAL when
 * the database answered something impossible. After an error the SQL
 * transaction must be rolled back.
 */
int economy__create_at_once(axr_db_t *db, axr_arena_t *arena, const economy_tx_t *tx, const economy__idem_ctx_t *idem,
                            economy_answer_t *answer, bool *done);

#endif
