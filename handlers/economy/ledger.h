/* ledger.h: the economy's value-moving core: transaction lines, netting, and atomic execution over inventories. */
#ifndef AXR_ECONOMY_LEDGER_H
#define AXR_ECONOMY_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "db.h"

/*
 * Model (docs/economy.md)
 * -----------------------
 * A transaction moves resources between two parties, `from` and `to`, each
 * an owner uid or NULL for "the system" (a NULL party mints what it gives
 * and burns what it receives). Each line names a resource, a positive
 * quantity and the party that gives it (FROM by default; TO for the
 * counterpart of a trade). Executing it is ONE SQL transaction:
 *
 *   1. the lines are netted into one signed delta per (owner, resource);
 *   2. the owners' existing inventory rows are locked in (owner, resource)
 *      order (SELECT ... ORDER BY ... FOR UPDATE), so two transactions never
 *      wait on each other in a cycle;
 *   3. every balance, every cap (maxQuantity; 1 for a resource that is not
 *      stackable) and every credit against int64 overflow is checked; the
 *      first problem makes the transaction FAILED and nothing is written;
 *   4. all deltas are applied in one statement (missing rows are created by
 *      INSERT ... ON CONFLICT DO UPDATE) which also appends one ledger_entry
 *      row per (owner, resource): delta and balance after. A row that did
 *      not exist at step 2 but exists at step 4 (created concurrently) makes
 *      the attempt AXR_EAGAIN, so axr_db_tx_run retries it from scratch.
 *
 * Value is conserved by construction: for every line the giver's delta is
 * the receiver's negated one, unless a party is the system.
 *
 * All strings are NUL-terminated; uids are canonical lowercase UUID text.
 * Nothing here allocates outside the arena it is given.
 */

#define ECONOMY_UID_SIZE 37    /* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" + NUL */
#define ECONOMY_MAX_LINES 100  /* the spec's maxItems for Transaction.resources */

typedef enum economy_giver {
	ECONOMY_GIVER_FROM = 0, /* the sender gives the line (a gift, a mint when from is NULL) */
	ECONOMY_GIVER_TO = 1,   /* the recipient gives it (the other half of a trade) */
} economy_giver_t;

typedef struct economy_line {
	const char *resource_uid;
	int64_t quantity;       /* >= 1 */
	economy_giver_t giver;
} economy_line_t;

typedef enum economy_tx_status {
	ECONOMY_TX_PENDING = 0,
	ECONOMY_TX_COMPLETE,
	ECONOMY_TX_CANCELLED,
	ECONOMY_TX_FAILED,
} economy_tx_status_t;

typedef enum economy_tx_kind {
	ECONOMY_KIND_TRANSFER = 0, /* between two owners: gift or trade */
	ECONOMY_KIND_MINT,         /* from the system */
	ECONOMY_KIND_BURN,         /* to the system */
	ECONOMY_KIND_PURCHASE,     /* an owner pays a resource's cost to the store for it */
} economy_tx_kind_t;

typedef enum economy_failure {
	ECONOMY_FAIL_NONE = 0,
	ECONOMY_FAIL_INSUFFICIENT_FUNDS,
	ECONOMY_FAIL_MAX_QUANTITY,       /* "MAX_QUANTITY_EXCEEDED" */
	ECONOMY_FAIL_OVERFLOW,           /* "QUANTITY_OVERFLOW": a credit beyond int64 */
	ECONOMY_FAIL_UNKNOWN_RESOURCE,   /* a line names a resource that no longer exists */
} economy_failure_t;

/* A transaction as stored (the Transaction entity). */
typedef struct economy_tx {
	const char *uid;
	const char *date_created;   /* RFC 3339, UTC */
	const char *date_modified;
	int64_t version;
	economy_tx_kind_t kind;
	const char *from;           /* NULL: the system */
	const char *to;             /* NULL: the system */
	economy_line_t *lines;
	size_t n_lines;
	economy_tx_status_t status;
	bool approval_from;
	bool approval_to;
	economy_failure_t failure;  /* ECONOMY_FAIL_NONE unless FAILED */
	const char *failure_reason; /* NULL unless FAILED */
	const char *created_by;     /* the caller that created it */
} economy_tx_t;

/* One inventory row changed by an execution (for events and tests). */
typedef struct economy_balance {
	const char *owner_uid;
	const char *resource_uid;
	const char *item_uid;       /* the InventoryItem's uid */
	int64_t item_version;       /* its version after the change */
	int64_t delta;              /* never 0 */
	int64_t balance_after;      /* >= 0 */
} economy_balance_t;

/* What an execution did: either applied (failure NONE, balances set) or
 * refused with a reason (nothing written). */
typedef struct economy_execution {
	economy_failure_t failure;
	const char *reason;         /* for people, in the arena; NULL when applied */
	const char *owner_uid;      /* the owner and resource the failure is about (owner NULL for */
	const char *resource_uid;   /* UNKNOWN_RESOURCE); NULL when applied */
	economy_balance_t *balances;
	size_t n_balances;
} economy_execution_t;

/* Names as the spec writes them: "PENDING", "MINT", "FROM",
 * "INSUFFICIENT_FUNDS" ... (static strings; NULL for out-of-range values;
 * economy_failure_name(ECONOMY_FAIL_NONE) is NULL). */
const char *economy_status_name(economy_tx_status_t s);
const char *economy_kind_name(economy_tx_kind_t k);
const char *economy_giver_name(economy_giver_t g);
const char *economy_failure_name(economy_failure_t f);

/* The reverse lookups: 0 and *out set, or AXR_EINVAL for an unknown name. */
int economy_status_parse(const char *s, economy_tx_status_t *out);
int economy_kind_parse(const char *s, economy_tx_kind_t *out);
int economy_giver_parse(const char *s, economy_giver_t *out);
int economy_failure_parse(const char *s, economy_failure_t *out);

/*
 * Copies `uid` into `out` in canonical form (lowercase 8-4-4-4-12 hex).
 * Returns 0, or AXR_EINVAL when it is not a UUID (uppercase hex is
 * accepted). `out` is left unspecified on error.
 */
int economy_uid_canonical(const char *uid, char out[ECONOMY_UID_SIZE]);

/* A fresh random (version 4) UUID from getrandom(2). 0 or AXR_EIO. */
int economy_uid_random(char out[ECONOMY_UID_SIZE]);

/* Why a set of lines is invalid, for the client: `path` is a JSON Pointer
 * relative to the request body ("/resources/2/quantity"). */
typedef struct economy_problem {
	char path[48];
	char message[160];
} economy_problem_t;

/*
 * Checks client-supplied lines and returns canonical copies in the arena:
 * 1 <= n <= ECONOMY_MAX_LINES, every resource uid a UUID, every quantity
 * >= 1, every giver FROM or TO, and the quantities of each (resource,
 * giver) adding up within int64. `path_prefix` (e.g. "/resources") starts
 * the problem's path. Returns 0 and sets *out; AXR_EINVAL (the problem says
 * which line and why); AXR_ENOMEM.
 */
int economy_lines_check(axr_arena_t *arena, const economy_line_t *lines, size_t n, const char *path_prefix,
                        economy_line_t **out, economy_problem_t *problem);

/*
 * The lines' JSON as stored in transaction.resources:
 * [{"resourceUid":"..","quantity":5,"giver":"FROM"},...], in the arena.
 * NULL when out of memory.
 */
char *economy_lines_json(axr_arena_t *arena, const economy_line_t *lines, size_t n);

/* One signed movement of one resource for one owner, after netting. */
typedef struct economy_delta {
	const char *owner_uid;
	const char *resource_uid;
	int64_t delta;              /* never 0 */
} economy_delta_t;

/*
 * Nets checked lines between `from` and `to` (either may be NULL, not both;
 * they must differ) into one delta per (owner, resource), sorted by owner
 * then resource (the lock order), zero deltas dropped. Returns 0 and sets
 * *out / *n (in the arena); AXR_EINVAL when the parties are equal or both
 * NULL, or when nothing would move (every delta nets to 0); AXR_ERANGE when
 * a delta leaves int64; AXR_ENOMEM.
 */
int economy_ledger_net(axr_arena_t *arena, const char *from, const char *to, const economy_line_t *lines,
                       size_t n, economy_delta_t **out, size_t *n_out);

/*
 * The deltas as the three SQL array literals ("{a,b}") the ledger's
 * statements take: out[0] the owners, out[1] the resources, out[2] the
 * amounts, in the arena. Returns 0 or AXR_ENOMEM.
 */
int economy_delta_arrays(axr_arena_t *arena, const economy_delta_t *d, size_t n, const char *out[3]);

/*
 * Executes the lines of `tx` (its from, to, lines and uid are used) inside
 * the SQL transaction open on `db` (call it from an axr_db_tx_run body), as
 * described above. `tx->lines` must have passed economy_lines_check.
 *
 * Returns 0 with out->failure == ECONOMY_FAIL_NONE when every delta was
 * applied and the ledger rows written (out->balances sorted by owner, then
 * resource); 0 with out->failure set and out->reason when the transaction
 * must FAIL (nothing was written by this call); AXR_EAGAIN when a row
 * appeared concurrently (retry the SQL transaction); AXR_EINVAL when the
 * parties are equal, both NULL, or the lines net to nothing; AXR_ERANGE when
 * the lines do not net within int64; the axr_db_exec codes; AXR_ENOMEM.
 * After an error the SQL transaction must be rolled back.
 */
int economy_ledger_execute(axr_db_t *db, axr_arena_t *arena, const economy_tx_t *tx, economy_execution_t *out);

/* One row of the ledger (ledger_entry), oldest first. */
typedef struct economy_ledger_entry {
	int64_t id;                 /* the order in which entries were written */
	const char *transaction_uid;
	const char *owner_uid;
	const char *resource_uid;
	int64_t delta;
	int64_t balance_after;
	const char *date_created;
} economy_ledger_entry_t;

/*
 * Reads up to `limit` (1..1000) ledger entries of `owner_uid` (and of
 * `resource_uid` unless NULL) with id > `after_id`, oldest first: a
 * statement of account that pages by id. Returns 0 and sets *out / *n (in
 * the arena); AXR_EINVAL for bad arguments; the axr_db_exec codes; AXR_ENOMEM.
 */
int economy_ledger_entries(axr_db_t *db, axr_arena_t *arena, const char *owner_uid, const char *resource_uid,
                           int64_t after_id, int limit, economy_ledger_entry_t **out, size_t *n);

#endif
