/* transaction.c: create, approve/change/cancel, read and list transactions: the approval state machine over the ledger. */
#include "transaction.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "tx_internal.h"

/* ---- validation shared by create and update ------------------------------------------ */

/* `uid` canonical into the arena (*out NULL for NULL); AXR_EINVAL naming `path`. */
static int economy__party(axr_arena_t *arena, const char *uid, const char *path, const char **out,
                          economy_answer_t *answer)
{
	char canon[ECONOMY_UID_SIZE];
	*out = NULL;
	if (uid == NULL)
		return 0;
	if (economy_uid_canonical(uid, canon) != 0)
		return economy__fail(answer, AXR_EINVAL, NULL, path, "must be a UUID");
	*out = axr_arena_strdup(arena, canon);
	return *out ? 0 : AXR_ENOMEM;
}

/* Lines checked and netted between the parties: 400s with the reason. */
static int economy__terms(axr_arena_t *arena, const char *from, const char *to, const economy_line_t *lines,
                          size_t n, economy_line_t **out, economy_answer_t *answer)
{
	economy_delta_t *d = NULL;
	size_t nd = 0;
	int rc = economy_lines_check(arena, lines, n, "/resources", out, &answer->problem);
	if (rc != 0)
		return rc;
	rc = economy_ledger_net(arena, from, to, *out, n, &d, &nd);
	if (rc == AXR_EINVAL)
		return economy__fail(answer, rc, NULL, "/resources", "the lines cancel out: nothing would move");
	if (rc == AXR_ERANGE)
		return economy__fail(answer, AXR_EINVAL, NULL, "/resources", "the lines net beyond %" PRId64, INT64_MAX);
	return rc;
}

static const char *economy__flag(bool has, bool v)
{
	return !has ? "-" : v ? "1" : "0";
}

/* ---- create -------------------------------------------------------------------------------- */

typedef struct economy__create {
	axr_arena_t *arena;
	economy_tx_t tx;            /* the transaction to write (status decided by settling) */
	economy__idem_ctx_t idem;
	economy_answer_t *answer;
	bool at_once;               /* try economy__create_at_once first */
	bool key_taken;             /* it found the key taken: a replay, or a duplicate in flight */
} economy__create_t;

static int economy__create_body(axr_db_t *db, void *p)
{
	economy__create_t *c = p;
	economy_tx_t tx = c->tx;
	bool replayed = false, failed = false, done = false;
	int rc;

	if (c->at_once) {
		/* The common case in one statement. When it cannot complete at once
		 * it wrote nothing, and the steps below decide in the same SQL
		 * transaction (a row to create, a FAILED transaction). A key already
		 * taken aborted the SQL transaction: economy_tx_create starts again
		 * without it, and the claim below finds the stored answer. */
		rc = economy__create_at_once(db, c->arena, &c->tx, &c->idem, c->answer, &done);
		if (rc == AXR_EEXISTS && strcmp(axr_db_last_error(db)->constraint, "idempotency_key_pkey") == 0)
			c->key_taken = true;
		if (rc != 0 || done)
			return rc;
	}
	economy__answer_reset(c->answer);
	rc = economy__idem_begin(db, c->arena, &c->idem, c->answer, &replayed);
	if (rc != 0 || replayed)
		return rc;
	/* Unknown resources are a 400 at creation; executing at once finds them itself. */
	if (!tx.approval_from || !tx.approval_to)
		rc = economy__lines_known(db, c->arena, tx.lines, tx.n_lines, c->answer);
	if (rc == 0)
		rc = economy__settle(db, c->arena, &tx, c->answer, &failed);
	if (rc == 0 && tx.failure == ECONOMY_FAIL_UNKNOWN_RESOURCE)
		return economy__unknown_line(tx.lines, tx.n_lines, c->answer->execution.resource_uid, c->answer);
	if (rc == 0)
		rc = economy__tx_insert(db, c->arena, &tx, &c->idem, failed ? 409 : 201, &c->answer->json);
	if (rc != 0)
		return rc;
	c->answer->status = failed ? 409 : 201;
	return economy__answer_finish(c->arena, c->answer);
}

/* The request as hashed for its idempotency key. */
static int economy__create_hash(axr_arena_t *arena, const economy_create_t *in, const economy_tx_t *tx,
                                char out[ECONOMY_IDEM_HASH_SIZE])
{
	const char *lines = economy_lines_json(arena, tx->lines, tx->n_lines);
	char *text = lines ? axr_arena_printf(arena, "POST /transactions\n%s\n%s\n%s%s\n%s",
	                                      tx->from ? tx->from : "-", tx->to ? tx->to : "-",
	                                      economy__flag(in->approval.has_from, in->approval.from),
	                                      economy__flag(in->approval.has_to, in->approval.to), lines)
	                   : NULL;
	if (text == NULL)
		return AXR_ENOMEM;
	economy_idem_hash(text, strlen(text), out);
	return 0;
}

/* Who approves at creation: the caller's own side is implied; only a trusted
 * caller sets the other side (or a system side). */
static int economy__initial_approval(const economy_caller_t *caller, const char *me, const economy_create_t *in,
                                     economy_tx_t *tx, economy_answer_t *answer)
{
	bool is_from = tx->from && strcmp(tx->from, me) == 0, is_to = tx->to && strcmp(tx->to, me) == 0;
	const economy_approval_t *a = &in->approval;

	if (!caller->trusted && ((a->has_to && a->to && !is_to) || (a->has_from && a->from && !is_from)))
		return economy__fail(answer, AXR_EFORBIDDEN, NULL, a->has_to && a->to && !is_to ? "/approval/to" : "/approval/from",
		                     "only that party (or an admin) may approve that side");
	tx->approval_from = a->has_from ? a->from : is_from;
	tx->approval_to = a->has_to ? a->to : is_to;
	if (!caller->trusted) {
		tx->approval_from = tx->approval_from || is_from;
		tx->approval_to = tx->approval_to || is_to;
	}
	return 0;
}

int economy_tx_create(axr_db_t *db, axr_arena_t *arena, const economy_caller_t *caller, const economy_create_t *in,
                      economy_answer_t *answer)
{
	economy__create_t c = {.arena = arena, .answer = answer};
	char uid[ECONOMY_UID_SIZE];
	const char *me = NULL;
	int rc;

	if ((rc = economy__begin(db, arena, caller, in, answer, &me)) != 0 ||
	    (rc = economy__party(arena, in->from, "/from", &c.tx.from, answer)) != 0 ||
	    (rc = economy__party(arena, in->to, "/to", &c.tx.to, answer)) != 0)
		return rc;
	if (c.tx.from == NULL && c.tx.to == NULL)
		return economy__fail(answer, AXR_EINVAL, NULL, "/to", "a transaction needs at least one owner");
	if (c.tx.from != NULL && c.tx.to != NULL && strcmp(c.tx.from, c.tx.to) == 0)
		return economy__fail(answer, AXR_EINVAL, NULL, "/to", "must differ from `from`");
	if (!caller->trusted && (c.tx.from == NULL || c.tx.to == NULL))
		return economy__fail(answer, AXR_EFORBIDDEN, NULL, c.tx.from == NULL ? "/from" : "/to",
		                     "minting and burning need the admin role");
	if (!caller->trusted && strcmp(c.tx.from, me) != 0 && strcmp(c.tx.to, me) != 0)
		return economy__fail(answer, AXR_EFORBIDDEN, NULL, "", "the caller must be `from` or `to`");
	if (in->idempotency_key == NULL && !caller->trusted)
		return economy__fail(answer, AXR_EINVAL, "IDEMPOTENCY_KEY_REQUIRED", "",
		                     "the Idempotency-Key header is required");
	if (in->idempotency_key != NULL && !economy_idem_key_valid(in->idempotency_key))
		return economy__fail(answer, AXR_EINVAL, NULL, "", "Idempotency-Key must be 1 to 255 visible ASCII characters");
	rc = economy__terms(arena, c.tx.from, c.tx.to, in->lines, in->n_lines, &c.tx.lines, answer);
	if (rc == 0)
		rc = economy__initial_approval(caller, me, in, &c.tx, answer);
	if (rc != 0)
		return rc;
	c.tx.n_lines = in->n_lines;
	c.tx.kind = c.tx.from == NULL ? ECONOMY_KIND_MINT : c.tx.to == NULL ? ECONOMY_KIND_BURN : ECONOMY_KIND_TRANSFER;
	c.tx.created_by = me;
	if ((rc = economy_uid_random(uid)) != 0)
		return rc;
	c.tx.uid = axr_arena_strdup(arena, uid);
	if (c.tx.uid == NULL)
		return AXR_ENOMEM;
	c.idem.caller = me;
	c.idem.key = in->idempotency_key;
	if (c.idem.key != NULL && (rc = economy__create_hash(arena, in, &c.tx, c.idem.hash)) != 0)
		return rc;
	c.at_once = c.tx.approval_from && c.tx.approval_to;
	rc = axr_db_tx_run(db, AXR_DB_READ_COMMITTED, economy__create_body, &c, ECONOMY_TX_RETRIES);
	if (rc == AXR_EEXISTS && c.key_taken) {
		c.at_once = false;
		rc = axr_db_tx_run(db, AXR_DB_READ_COMMITTED, economy__create_body, &c, ECONOMY_TX_RETRIES);
	}
	return rc;
}

/* ---- update -------------------------------------------------------------------------------------- */

typedef struct economy__update {
	axr_arena_t *arena;
	const economy_caller_t *caller;
	const char *me;
	const char *uid;
	const economy_update_t *in;
	economy_line_t *lines;      /* checked new lines, or NULL */
	economy_answer_t *answer;
} economy__update_t;

static const char economy__sql_lock_tx[] =
	"SELECT " ECONOMY_SQL_TX_SNAPSHOT " FROM transaction WHERE uid = $1::uuid FOR UPDATE";

static const char economy__sql_update_tx[] =
	"UPDATE transaction SET resources = $2::jsonb, status = $3, approval = $4::jsonb, failure_code = $5,"
	" failure_reason = $6, version = version + 1, date_modified = now() WHERE uid = $1::uuid"
	" RETURNING " ECONOMY_SQL_TX_SNAPSHOT;

/* Reads and locks the transaction row; AXR_ENOTFOUND when the caller may not see it. */
static int economy__lock_tx(axr_db_t *db, economy__update_t *u, economy_tx_t *tx)
{
	axr_db_result_t *r = NULL;
	const char *params[1] = {u->uid};
	int rc = axr_db_exec(db, "economy:tx:lock", economy__sql_lock_tx, 1, params, NULL, NULL, &r);
	if (rc == 0 && axr_db_result_rows(r) != 1)
		rc = AXR_ENOTFOUND;
	if (rc == 0)
		rc = economy_tx_parse(u->arena, axr_db_result_text(r, 0, 0, NULL), tx);
	axr_db_result_free(r);
	if (rc == 0 && !u->caller->trusted && !(tx->from && strcmp(tx->from, u->me) == 0) &&
	    !(tx->to && strcmp(tx->to, u->me) == 0))
		rc = AXR_ENOTFOUND;
	if (rc == AXR_ENOTFOUND)
		economy__fail(u->answer, rc, NULL, "", "no such transaction");
	return rc;
}

/* Applies the requested changes to `tx` (approval state machine). */
static int economy__change(axr_db_t *db, economy__update_t *u, economy_tx_t *tx)
{
	const economy_update_t *in = u->in;
	bool is_from = tx->from && strcmp(tx->from, u->me) == 0, is_to = tx->to && strcmp(tx->to, u->me) == 0;
	int rc;

	if (in->cancel) {
		tx->status = ECONOMY_TX_CANCELLED;
		tx->failure = ECONOMY_FAIL_NONE;
		tx->failure_reason = NULL;
		return 0;
	}
	if (u->lines != NULL) {
		if (!u->caller->trusted && (tx->from == NULL || tx->to == NULL))
			return economy__fail(u->answer, AXR_EFORBIDDEN, NULL, "/resources",
			                     "only an admin may change a mint or a burn");
		rc = economy__terms(u->arena, tx->from, tx->to, u->lines, in->n_lines, &tx->lines, u->answer);
		if (rc == 0)
			rc = economy__lines_known(db, u->arena, tx->lines, in->n_lines, u->answer);
		if (rc != 0)
			return rc;
		tx->n_lines = in->n_lines;
		/* New terms: the changing party agrees to them, the other must agree again. */
		tx->approval_from = is_from;
		tx->approval_to = is_to;
	}
	if (in->approval.has_from && in->approval.from != tx->approval_from && !u->caller->trusted && !is_from)
		return economy__fail(u->answer, AXR_EFORBIDDEN, NULL, "/approval/from",
		                     "only the sender (or an admin) may change the sender's approval");
	if (in->approval.has_to && in->approval.to != tx->approval_to && !u->caller->trusted && !is_to)
		return economy__fail(u->answer, AXR_EFORBIDDEN, NULL, "/approval/to",
		                     "only the recipient (or an admin) may change the recipient's approval");
	if (in->approval.has_from)
		tx->approval_from = in->approval.from;
	if (in->approval.has_to)
		tx->approval_to = in->approval.to;
	return 0;
}

static int economy__update_body(axr_db_t *db, void *p)
{
	economy__update_t *u = p;
	economy_tx_t tx;
	axr_db_result_t *r = NULL;
	char approval[ECONOMY_APPROVAL_JSON_SIZE];
	bool failed = false;
	int rc;

	economy__answer_reset(u->answer);
	rc = economy__lock_tx(db, u, &tx);
	if (rc != 0)
		return rc;
	if (tx.status == ECONOMY_TX_COMPLETE || tx.status == ECONOMY_TX_CANCELLED)
		return economy__fail(u->answer, AXR_ECONFLICT, "IMMUTABLE", "", "the transaction is %s and can no longer change",
		                     economy_status_name(tx.status));
	if (tx.version != u->in->version)
		return economy__fail(u->answer, AXR_ECONFLICT, "STALE_VERSION", "/version",
		                     "version %" PRId64 " is not the current one (%" PRId64 ")", u->in->version, tx.version);
	rc = economy__change(db, u, &tx);
	if (rc == 0 && tx.status != ECONOMY_TX_CANCELLED)
		rc = economy__settle(db, u->arena, &tx, u->answer, &failed);
	if (rc != 0)
		return rc;
	economy__approval_json(&tx, approval);
	const char *params[6] = {
		tx.uid,
		economy_lines_json(u->arena, tx.lines, tx.n_lines),
		economy_status_name(tx.status),
		approval,
		economy_failure_name(tx.failure),
		tx.failure_reason,
	};
	if (params[1] == NULL)
		return AXR_ENOMEM;
	rc = axr_db_exec(db, "economy:tx:update", economy__sql_update_tx, 6, params, NULL, NULL, &r);
	if (rc == 0 && axr_db_result_rows(r) != 1)
		rc = AXR_EINTERNAL;
	if (rc == 0 && (u->answer->json = axr_arena_strdup(u->arena, axr_db_result_text(r, 0, 0, NULL))) == NULL)
		rc = AXR_ENOMEM;
	axr_db_result_free(r);
	if (rc != 0)
		return rc;
	u->answer->status = failed ? 409 : 200;
	return economy__answer_finish(u->arena, u->answer);
}

int economy_tx_update(axr_db_t *db, axr_arena_t *arena, const economy_caller_t *caller, const economy_update_t *in,
                      economy_answer_t *answer)
{
	economy__update_t u = {.arena = arena, .caller = caller, .in = in, .answer = answer};
	int rc;

	if ((rc = economy__begin(db, arena, caller, in, answer, &u.me)) != 0)
		return rc;
	if (economy__party(arena, in->uid, "", &u.uid, answer) != 0 || u.uid == NULL)
		return economy__fail(answer, AXR_ENOTFOUND, NULL, "", "no such transaction");
	if (in->version < 0)
		return economy__fail(answer, AXR_EINVAL, NULL, "/version", "must be at least 0");
	if (in->n_lines > 0 || in->lines != NULL) {
		rc = economy_lines_check(arena, in->lines, in->n_lines, "/resources", &u.lines, &answer->problem);
		if (rc != 0)
			return rc;
	}
	return axr_db_tx_run(db, AXR_DB_READ_COMMITTED, economy__update_body, &u, ECONOMY_TX_RETRIES);
}

/* ---- read ---------------------------------------------------------------------------------------- */

static const char economy__sql_get[] =
	"SELECT " ECONOMY_SQL_TX_SNAPSHOT " FROM transaction"
	" WHERE uid = $1::uuid AND ($2::boolean OR \"from\" = $3::uuid OR \"to\" = $3::uuid)";

int economy_tx_get(axr_db_t *db, axr_arena_t *arena, const economy_caller_t *caller, const char *uid,
                   economy_tx_t *out)
{
	axr_db_result_t *r = NULL;
	char tx_uid[ECONOMY_UID_SIZE], me[ECONOMY_UID_SIZE];
	const char *params[3] = {tx_uid, caller && caller->trusted ? "true" : "false", me};
	int rc;

	memset(out, 0, sizeof *out);
	if (db == NULL || arena == NULL || caller == NULL)
		return AXR_EINVAL;
	if (caller->uid == NULL)
		return AXR_EUNAUTHORIZED;
	if (economy_uid_canonical(caller->uid, me) != 0 || economy_uid_canonical(uid, tx_uid) != 0)
		return AXR_ENOTFOUND;
	rc = axr_db_exec(db, "economy:tx:get", economy__sql_get, 3, params, NULL, NULL, &r);
	if (rc == 0 && axr_db_result_rows(r) != 1)
		rc = AXR_ENOTFOUND;
	if (rc == 0)
		rc = economy_tx_parse(arena, axr_db_result_text(r, 0, 0, NULL), out);
	axr_db_result_free(r);
	return rc;
}

static const char economy__sql_list[] =
	"SELECT " ECONOMY_SQL_TX_SNAPSHOT " FROM transaction"
	" WHERE ($1::uuid IS NULL OR \"from\" = $1::uuid OR \"to\" = $1::uuid) AND ($2::text IS NULL OR status = $2)"
	" ORDER BY date_created DESC, uid DESC LIMIT $3::bigint OFFSET $4::bigint";

int economy_tx_list(axr_db_t *db, axr_arena_t *arena, const economy_caller_t *caller, const economy_list_t *in,
                    economy_tx_t **out, size_t *n)
{
	axr_db_result_t *r = NULL;
	char me[ECONOMY_UID_SIZE], party[ECONOMY_UID_SIZE], limit[24], offset[24];
	const char *params[4] = {party, NULL, limit, offset};
	economy_tx_t *txs = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	if (db == NULL || arena == NULL || caller == NULL || in == NULL || in->limit < 1 || in->limit > 1000 ||
	    in->page < 0)
		return AXR_EINVAL;
	if (caller->uid == NULL)
		return AXR_EUNAUTHORIZED;
	if (economy_uid_canonical(caller->uid, me) != 0)
		return AXR_EINVAL;
	if (in->party == NULL || strcmp(in->party, "me") == 0) {
		if (in->party == NULL && caller->trusted)
			params[0] = NULL; /* everything */
		else
			memcpy(party, me, sizeof party);
	} else if (economy_uid_canonical(in->party, party) != 0) {
		return AXR_EINVAL;
	} else if (!caller->trusted && strcmp(party, me) != 0) {
		return AXR_EFORBIDDEN;
	}
	if (in->has_status && (params[1] = economy_status_name(in->status)) == NULL)
		return AXR_EINVAL;
	snprintf(limit, sizeof limit, "%d", in->limit);
	snprintf(offset, sizeof offset, "%" PRId64, (int64_t)in->page * in->limit);
	rc = axr_db_exec(db, "economy:tx:list", economy__sql_list, 4, params, NULL, NULL, &r);
	if (rc != 0)
		return rc;
	int rows = axr_db_result_rows(r);
	txs = axr_arena_calloc(arena, (size_t)rows + 1, sizeof *txs);
	if (txs == NULL)
		rc = AXR_ENOMEM;
	for (int i = 0; i < rows && rc == 0; i++)
		rc = economy_tx_parse(arena, axr_db_result_text(r, i, 0, NULL), &txs[i]);
	axr_db_result_free(r);
	if (rc != 0)
		return rc;
	*out = txs;
	*n = (size_t)rows;
	return 0;
}
