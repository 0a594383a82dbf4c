/* tx_at_once.c: POST /transactions' common case (both approvals, rows there, checks pass) in one statement. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "tx_internal.h"

/*
 * Why this one statement is as safe as economy__create_body's five
 * (docs/economy.md, "Guarantees"):
 *
 * - Atomicity: it runs in the same SQL transaction (BEGIN ... COMMIT of
 *   axr_db_tx_run) as the general path would; its data-modifying CTEs
 *   (balances, ledger rows, transaction row, key with its answer) commit
 *   together or not at all, and an error anywhere (e.g. the key's primary
 *   key taken) rolls all of them back. It is not sent alone in autocommit:
 *   with the extended protocol the server commits such a statement at Sync,
 *   after its rows and CommandComplete were sent, and runtime/db.c keeps the
 *   first result and drops an error that follows (a backend killed before
 *   the commit): the answer would claim what never committed. An explicit
 *   COMMIT answers only once committed.
 * - Locks and balances: `l` locks the existing rows in (owner, resource)
 *   order, as the ledger's lock statement does (a MATERIALIZED CTE, sorted
 *   below FOR UPDATE), so the two paths never wait on each other in a cycle
 *   over inventory rows. In READ COMMITTED, FOR UPDATE returns the newest
 *   committed version of a row it had to wait for; `v` judges those locked
 *   quantities, and `u` (which runs only after `v`, its one-time filter, so
 *   after `l`) writes the locked quantity plus the delta. Not "quantity +
 *   delta": the UPDATE scans with the statement's snapshot, which may be
 *   older than the lock, and PostgreSQL checks CHECK constraints on the row
 *   computed from that old version before it finds the newer one and
 *   recomputes (EvalPlanQual), so a debit that the locked balance covers
 *   could fail inventory_item_quantity_check on a stale one. Nobody else can
 *   change a locked row, so the locked quantity is the row's; `u` returns
 *   the balance after and the caller checks it equals the locked one plus
 *   the delta.
 * - All or nothing: `v` is the judge of ledger.c over the locked rows: every
 *   row exists (no row is created here), every resource is known, no giver
 *   goes below 0, no receiver above its cap (maxQuantity, 1 when not
 *   stackable, 2^63-1 at most: computed in numeric, so nothing overflows).
 *   Unless all of it holds, nothing is written (`u`, `t`, `k` are gated on
 *   it) and the general path decides: it creates rows, or writes the FAILED
 *   transaction with the first reason, exactly as before.
 * - Idempotency: the key is inserted with its answer (the snapshot of `t`)
 *   in the same statement; a key already committed makes the INSERT fail
 *   (23505) and the whole statement with it, so nothing moves twice; the
 *   general path (a new SQL transaction) claims the key, finds it and
 *   replays the stored answer. A duplicate in flight makes the INSERT wait
 *   for it, then fail (it committed: replay) or succeed (it rolled back:
 *   this one does the work). The one new wait: this statement holds row
 *   locks while it waits for a duplicate that took the general path and
 *   wants the same rows; the deadlock detector breaks that cycle (40P01,
 *   AXR_EAGAIN) and the retry replays. It needs two requests with the same
 *   key at the same time.
 */
static const char economy__sql_at_once[] =
	"WITH d AS (SELECT k.o, k.r, k.delta FROM unnest($8::uuid[], $9::uuid[], $10::bigint[]) AS k(o, r, delta)),"
	" l AS MATERIALIZED (SELECT i.owner_uid, i.resource_uid, i.quantity FROM inventory_item i"
	" JOIN d ON i.owner_uid = d.o AND i.resource_uid = d.r ORDER BY i.owner_uid, i.resource_uid FOR UPDATE OF i),"
	" v AS (SELECT count(l.owner_uid) = cardinality($8::uuid[]) AND COALESCE(bool_and(COALESCE(c.cap IS NOT NULL"
	" AND l.quantity::numeric + d.delta >= 0 AND (d.delta < 0 OR l.quantity::numeric + d.delta <= c.cap), false)),"
	" false) AS ok FROM d LEFT JOIN l ON l.owner_uid = d.o AND l.resource_uid = d.r"
	" LEFT JOIN LATERAL (SELECT CASE WHEN r.stackable IS FALSE"
	" THEN LEAST(COALESCE(r.max_quantity, 9223372036854775807), 1)"
	" ELSE COALESCE(r.max_quantity, 9223372036854775807) END AS cap FROM resource r WHERE r.uid = d.r) c ON true),"
	" u AS (UPDATE inventory_item i SET quantity = l.quantity + d.delta, version = i.version + 1,"
	" date_modified = now() FROM d JOIN l ON l.owner_uid = d.o AND l.resource_uid = d.r"
	" WHERE i.owner_uid = d.o AND i.resource_uid = d.r AND (SELECT ok FROM v)"
	" RETURNING i.uid, i.owner_uid, i.resource_uid, i.quantity, i.version, d.delta),"
	" e AS (INSERT INTO ledger_entry (transaction_uid, owner_uid, resource_uid, delta, balance_after)"
	" SELECT $1::uuid, owner_uid, resource_uid, delta, quantity FROM u ORDER BY owner_uid, resource_uid RETURNING 1),"
	" t AS (INSERT INTO transaction (" ECONOMY_SQL_TX_COLUMNS ")"
	" SELECT $1::uuid, now(), now(), 0, $2, $3::uuid, $4::uuid, $5::jsonb, 'COMPLETE', $6::jsonb, NULL, NULL,"
	" $7::uuid WHERE (SELECT ok FROM v) RETURNING " ECONOMY_SQL_TX_SNAPSHOT " AS s),"
	" k AS (INSERT INTO idempotency_key (caller_uid, idem_key, request_hash, response_status, response_body)"
	" SELECT $11::uuid, $12::text, $13, 201, s FROM t WHERE $12::text IS NOT NULL RETURNING 1)"
	" SELECT u.owner_uid::text, u.resource_uid::text, u.uid::text, u.version, u.quantity, u.delta, l.quantity,"
	" (SELECT s FROM t), (SELECT count(*) FROM e), (SELECT count(*) FROM k)"
	" FROM u JOIN l ON l.owner_uid = u.owner_uid AND l.resource_uid = u.resource_uid"
	" ORDER BY u.owner_uid, u.resource_uid";

/* Row i of the answer as the balance of delta d; false when it is not the
 * row or the number the locked balance and the delta make. */
static bool economy__at_once_row(axr_db_result_t *r, int i, axr_arena_t *arena, const economy_delta_t *d,
                                 economy_balance_t *b)
{
	int64_t before = 0;
	b->owner_uid = d->owner_uid;
	b->resource_uid = d->resource_uid;
	b->delta = d->delta;
	b->item_uid = axr_arena_strdup(arena, axr_db_result_text(r, i, 2, NULL));
	return b->item_uid != NULL && strcmp(axr_db_result_text(r, i, 0, NULL), d->owner_uid) == 0 &&
	       strcmp(axr_db_result_text(r, i, 1, NULL), d->resource_uid) == 0 &&
	       axr_db_result_int64(r, i, 3, &b->item_version) == 0 &&
	       axr_db_result_int64(r, i, 4, &b->balance_after) == 0 && axr_db_result_int64(r, i, 6, &before) == 0 &&
	       !__builtin_add_overflow(before, d->delta, &before) && before == b->balance_after;
}

int economy__create_at_once(axr_db_t *db, axr_arena_t *arena, const economy_tx_t *tx, const economy__idem_ctx_t *idem,
                            economy_answer_t *answer, bool *done)
{
	economy_delta_t *d = NULL;
	axr_db_result_t *r = NULL;
	const char *arrays[3];
	char approval[ECONOMY_APPROVAL_JSON_SIZE];
	size_t n = 0;
	bool keyed = idem != NULL && idem->key != NULL;
	int64_t ledger_rows = -1, keys = -1;
	int rows, rc;

	*done = false;
	economy__answer_reset(answer);
	rc = economy_ledger_net(arena, tx->from, tx->to, tx->lines, tx->n_lines, &d, &n);
	if (rc == 0)
		rc = economy_delta_arrays(arena, d, n, arrays);
	if (rc != 0)
		return rc;
	economy__approval_json(tx, approval);
	const char *params[13] = {
		tx->uid,
		economy_kind_name(tx->kind),
		tx->from,
		tx->to,
		economy_lines_json(arena, tx->lines, tx->n_lines),
		approval,
		tx->created_by,
		arrays[0],
		arrays[1],
		arrays[2],
		keyed ? idem->caller : NULL,
		keyed ? idem->key : NULL,
		keyed ? idem->hash : NULL,
	};
	if (params[4] == NULL)
		return AXR_ENOMEM;
	rc = axr_db_exec(db, "economy:tx:at_once", economy__sql_at_once, 13, params, NULL, NULL, &r);
	if (rc != 0)
		return rc;
	rows = axr_db_result_rows(r);
	if (rows == 0)
		goto out; /* not at once: nothing was written */
	answer->execution.balances = axr_arena_calloc(arena, n, sizeof *answer->execution.balances);
	if (answer->execution.balances == NULL) {
		rc = AXR_ENOMEM;
		goto out;
	}
	/* Committed already: what follows only checks that it is what was meant. */
	if (rows != (int)n || axr_db_result_is_null(r, 0, 7) || axr_db_result_int64(r, 0, 8, &ledger_rows) != 0 ||
	    ledger_rows != (int64_t)n || axr_db_result_int64(r, 0, 9, &keys) != 0 || keys != (keyed ? 1 : 0)) {
		rc = AXR_EINTERNAL;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!economy__at_once_row(r, (int)i, arena, &d[i], &answer->execution.balances[i])) {
			rc = AXR_EINTERNAL;
			goto out;
		}
	answer->execution.n_balances = n;
	answer->json = axr_arena_strdup(arena, axr_db_result_text(r, 0, 7, NULL));
	if (answer->json == NULL) {
		rc = AXR_ENOMEM;
		goto out;
	}
	answer->status = 201;
	rc = economy__answer_finish(arena, answer);
	*done = rc == 0;
out:
	axr_db_result_free(r);
	return rc;
}
