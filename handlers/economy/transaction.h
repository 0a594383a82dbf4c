/* transaction.h: the economy's operations in plain C: create, approve/cancel, read and list transactions, purchase. */
#ifndef AXR_ECONOMY_TRANSACTION_H
#define AXR_ECONOMY_TRANSACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "db.h"
#include "ledger.h"

/*
 * These functions are the business logic behind the hand-written routes of
 * spec/economy.yaml; the generated handlers translate their typed protobuf-c
 * input into these structs and the answer back (see docs/economy.md). Each
 * call that writes runs ONE SQL transaction on `db` (axr_db_tx_run, READ
 * COMMITTED, row locks in a stable order), retried on serialization failure
 * or deadlock up to ECONOMY_TX_RETRIES times with jitter; when retries run
 * out the code is AXR_EAGAIN (503 + Retry-After).
 *
 * Everything returned lives in `arena`. All uids in and out are UUID text;
 * the ones returned are canonical (lowercase).
 *
 * Return codes, and the HTTP status the adapter answers:
 *   0                   `answer` is filled: answer->status is 201 (created),
 *                       200 (updated) or 409 (the transaction FAILED: nothing
 *                       moved; answer->tx says why)
 *   AXR_EINVAL          400: answer->problem names the field
 *   AXR_EFORBIDDEN      403: e.g. a player minting, approving the other side
 *   AXR_ENOTFOUND       404: no such transaction/resource, or not a party
 *   AXR_ECONFLICT       409: immutable (COMPLETE, CANCELLED), stale version,
 *                       not for sale (answer->code says which)
 *   AXR_EUNPROCESSABLE  422: Idempotency-Key reused with another request
 *   AXR_EAGAIN, AXR_ETIMEOUT, AXR_EUNAVAILABLE: 503
 *   AXR_ENOMEM, AXR_EINTERNAL: 503 / 500
 * On an error nothing was changed.
 */

#define ECONOMY_TX_RETRIES 8

typedef struct economy_caller {
	const char *uid;    /* the authenticated caller; required */
	bool trusted;       /* a trusted role (admin): any party, both approvals, mint and burn */
} economy_caller_t;

/* Approval flags as a request gives them: each may be absent. */
typedef struct economy_approval {
	bool has_from, from;
	bool has_to, to;
} economy_approval_t;

/* POST /transactions */
typedef struct economy_create {
	const char *from;                 /* NULL: mint (trusted only) */
	const char *to;                   /* NULL: burn (trusted only) */
	const economy_line_t *lines;
	size_t n_lines;
	economy_approval_t approval;
	const char *idempotency_key;      /* required unless trusted */
} economy_create_t;

/* PUT /transactions/{id} */
typedef struct economy_update {
	const char *uid;
	int64_t version;                  /* must be the current one */
	economy_approval_t approval;
	const economy_line_t *lines;      /* new terms; NULL/0: unchanged */
	size_t n_lines;
	bool cancel;                      /* status: CANCELLED */
} economy_update_t;

/* POST /resources/{id}/purchase */
typedef struct economy_purchase {
	const char *resource_id;          /* uid or name */
	int64_t quantity;                 /* >= 1 */
	const char *idempotency_key;      /* required */
} economy_purchase_t;

typedef struct economy_answer {
	int status;                       /* HTTP status when the call returned 0 */
	bool replayed;                    /* the stored answer of an earlier request with the same key */
	economy_tx_t tx;                  /* the transaction after the call */
	const char *json;                 /* its stored snapshot (JSON, REST names) */
	economy_execution_t execution;    /* what this call moved (empty when it did not execute or replayed) */
	const char *code;                 /* error code for the body ("INSUFFICIENT_FUNDS", "STALE_VERSION"...) */
	economy_problem_t problem;        /* on an error: path and message for the client */
} economy_answer_t;

/*
 * POST /transactions. The caller must be `from` or `to` unless trusted; its
 * own side's approval is implied; setting the other side's is 403 unless
 * trusted. Mint and burn (a NULL party) are trusted-only. Lines must name
 * existing resources (400). When both sides approve, the transaction
 * executes in the same SQL transaction: COMPLETE (201) or FAILED (409).
 * With an idempotency key, the answer is stored; a replay returns it.
 */
int economy_tx_create(axr_db_t *db, axr_arena_t *arena, const economy_caller_t *caller, const economy_create_t *in,
                      economy_answer_t *answer);

/*
 * PUT /transactions/{id}: approve, change the lines, or cancel a PENDING or
 * FAILED transaction. Only its parties or a trusted caller (others: 404).
 * New lines re-approve the changing party and reset the other's approval; a
 * party may change only its own approval (403); a transaction with a NULL
 * party may be changed only by a trusted caller. When both sides have
 * approved afterwards it executes: 200 COMPLETE, or 409 FAILED. COMPLETE
 * and CANCELLED are immutable, a stale version conflicts (409, nothing
 * changed).
 */
int economy_tx_update(axr_db_t *db, axr_arena_t *arena, const economy_caller_t *caller, const economy_update_t *in,
                      economy_answer_t *answer);

/*
 * POST /resources/{id}/purchase: a PURCHASE transaction from the caller to
 * the store (to = NULL) paying quantity x cost (burnt) and granting
 * quantity of the resource (minted), executed at once: 201 COMPLETE or 409
 * FAILED. A resource without cost is not for sale (AXR_ECONFLICT,
 * code NOT_FOR_SALE); unknown resource AXR_ENOTFOUND; a price beyond int64
 * AXR_EINVAL. The idempotency key is required.
 */
int economy_purchase(axr_db_t *db, axr_arena_t *arena, const economy_caller_t *caller, const economy_purchase_t *in,
                     economy_answer_t *answer);

/* GET /transactions/{id}: its parties and trusted callers; AXR_ENOTFOUND
 * for anyone else (as for a uid that does not exist). */
int economy_tx_get(axr_db_t *db, axr_arena_t *arena, const economy_caller_t *caller, const char *uid,
                   economy_tx_t *out);

/* GET /transactions */
typedef struct economy_list {
	const char *party;                /* "me" or NULL (the caller; all when trusted and NULL), or a uid (trusted) */
	bool has_status;
	economy_tx_status_t status;
	int limit;                        /* 1..1000 */
	int page;                         /* >= 0 */
} economy_list_t;

/* The transactions `party` sends or receives, newest first. AXR_EFORBIDDEN
 * when an untrusted caller names someone else; AXR_EINVAL for bad paging. */
int economy_tx_list(axr_db_t *db, axr_arena_t *arena, const economy_caller_t *caller, const economy_list_t *in,
                    economy_tx_t **out, size_t *n);

/* Parses a stored snapshot (economy_answer_t.json, idempotency bodies) into
 * `out` (strings in the arena). 0, AXR_EPARSE, AXR_ENOMEM. */
int economy_tx_parse(axr_arena_t *arena, const char *json, economy_tx_t *out);

#endif
