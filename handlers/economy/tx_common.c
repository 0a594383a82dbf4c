/* tx_common.c: helpers shared by the transaction and purchase operations: answers, idempotency, settling, snapshots. */
#include "tx_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "err.h"
#include "json.h"

int economy__fail(economy_answer_t *answer, int err, const char *code, const char *path, const char *fmt, ...)
{
	va_list ap;
	answer->code = code;
	snprintf(answer->problem.path, sizeof answer->problem.path, "%s", path ? path : "");
	va_start(ap, fmt);
	vsnprintf(answer->problem.message, sizeof answer->problem.message, fmt, ap);
	va_end(ap);
	return err;
}

void economy__answer_reset(economy_answer_t *answer)
{
	memset(answer, 0, sizeof *answer);
}

int economy__begin(const axr_db_t *db, axr_arena_t *arena, const economy_caller_t *caller, const void *in,
                   economy_answer_t *answer, const char **me)
{
	char canon[ECONOMY_UID_SIZE];
	*me = NULL;
	economy__answer_reset(answer);
	if (db == NULL || arena == NULL || caller == NULL || in == NULL)
		return AXR_EINVAL;
	if (caller->uid == NULL)
		return economy__fail(answer, AXR_EUNAUTHORIZED, NULL, "", "a signed-in caller is required");
	if (economy_uid_canonical(caller->uid, canon) != 0)
		return economy__fail(answer, AXR_EINVAL, NULL, "", "the caller's uid is not a UUID");
	*me = axr_arena_strdup(arena, canon);
	return *me ? 0 : AXR_ENOMEM;
}

int economy__idem_begin(axr_db_t *db, axr_arena_t *arena, const economy__idem_ctx_t *idem,
                        economy_answer_t *answer, bool *replayed)
{
	economy_idem_t stored;
	int rc;

	*replayed = false;
	if (idem->key == NULL)
		return 0;
	rc = economy_idem_claim(db, arena, idem->caller, idem->key, idem->hash, &stored);
	if (rc == AXR_EUNPROCESSABLE)
		return economy__fail(answer, rc, "IDEMPOTENCY_KEY_REUSED", "",
		                     "this Idempotency-Key was used for a different request");
	if (rc != 0 || !stored.replay)
		return rc;
	rc = economy_tx_parse(arena, stored.body, &answer->tx);
	if (rc != 0)
		return rc == AXR_ENOMEM ? rc : AXR_EINTERNAL;
	answer->status = stored.status;
	answer->json = stored.body;
	answer->replayed = true;
	if (answer->tx.status == ECONOMY_TX_FAILED) {
		answer->code = economy_failure_name(answer->tx.failure);
		snprintf(answer->problem.message, sizeof answer->problem.message, "%s",
		         answer->tx.failure_reason ? answer->tx.failure_reason : "");
	}
	*replayed = true;
	return 0;
}

int economy__answer_finish(axr_arena_t *arena, economy_answer_t *answer)
{
	int rc = economy_tx_parse(arena, answer->json, &answer->tx);
	return rc == 0 || rc == AXR_ENOMEM ? rc : AXR_EINTERNAL;
}

int economy__lines_known(axr_db_t *db, axr_arena_t *arena, const economy_line_t *lines, size_t n,
                         economy_answer_t *answer)
{
	axr_db_result_t *r = NULL;
	axr_buf_t arr = AXR_BUF_INIT;
	const char *params[1];
	int rc;

	axr_buf_putc(&arr, '{');
	for (size_t i = 0; i < n; i++)
		axr_buf_printf(&arr, "%s%s", i ? "," : "", lines[i].resource_uid);
	axr_buf_putc(&arr, '}');
	params[0] = axr_buf_ok(&arr) ? axr_arena_strndup(arena, arr.data, arr.len) : NULL;
	axr_buf_free(&arr);
	if (params[0] == NULL)
		return AXR_ENOMEM;
	rc = axr_db_exec(db, "economy:tx:known",
	                 "SELECT k.n FROM unnest($1::uuid[]) WITH ORDINALITY AS k(uid, n)"
	                 " WHERE NOT EXISTS (SELECT 1 FROM resource r WHERE r.uid = k.uid) ORDER BY k.n LIMIT 1",
	                 1, params, NULL, NULL, &r);
	if (rc == 0 && axr_db_result_rows(r) > 0) {
		int64_t first = 0;
		axr_db_result_int64(r, 0, 0, &first);
		rc = first >= 1 && (size_t)first <= n ? economy__unknown_line(lines, n, lines[first - 1].resource_uid, answer)
		                                      : AXR_EINTERNAL;
	}
	axr_db_result_free(r);
	return rc;
}

int economy__unknown_line(const economy_line_t *lines, size_t n, const char *resource_uid, economy_answer_t *answer)
{
	size_t i = 0;
	while (i + 1 < n && (resource_uid == NULL || strcmp(lines[i].resource_uid, resource_uid) != 0))
		i++;
	char path[48];
	snprintf(path, sizeof path, "/resources/%zu/resourceUid", i);
	return economy__fail(answer, AXR_EINVAL, "UNKNOWN_RESOURCE", path, "no resource has uid %s",
	                     resource_uid ? resource_uid : "?");
}

int economy__settle(axr_db_t *db, axr_arena_t *arena, economy_tx_t *tx, economy_answer_t *answer, bool *failed)
{
	int rc;

	*failed = false;
	tx->failure = ECONOMY_FAIL_NONE;
	tx->failure_reason = NULL;
	if (!tx->approval_from || !tx->approval_to) {
		tx->status = ECONOMY_TX_PENDING;
		return 0;
	}
	rc = economy_ledger_execute(db, arena, tx, &answer->execution);
	if (rc != 0)
		return rc;
	if (answer->execution.failure == ECONOMY_FAIL_NONE) {
		tx->status = ECONOMY_TX_COMPLETE;
		return 0;
	}
	tx->status = ECONOMY_TX_FAILED;
	tx->failure = answer->execution.failure;
	tx->failure_reason = answer->execution.reason;
	answer->code = economy_failure_name(tx->failure);
	snprintf(answer->problem.message, sizeof answer->problem.message, "%s", tx->failure_reason);
	*failed = true;
	return 0;
}

#define ECONOMY__SQL_INSERT                                                                               \
	"INSERT INTO transaction (" ECONOMY_SQL_TX_COLUMNS ")"                                                    \
	" VALUES ($1::uuid, now(), now(), 0, $2, $3::uuid, $4::uuid, $5::jsonb, $6, $7::jsonb, $8, $9, $10::uuid)" \
	" RETURNING " ECONOMY_SQL_TX_SNAPSHOT

static const char economy__sql_insert[] = ECONOMY__SQL_INSERT;

/* The same, storing the snapshot as the idempotency key's answer in the same
 * round trip (the key was claimed earlier in this SQL transaction). */
static const char economy__sql_insert_keyed[] =
	"WITH t AS (" ECONOMY__SQL_INSERT " AS s),"
	" k AS (UPDATE idempotency_key SET response_status = $11::int, response_body = (SELECT s FROM t)"
	" WHERE caller_uid = $12::uuid AND idem_key = $13 RETURNING 1)"
	" SELECT s, (SELECT count(*) FROM k) FROM t";

void economy__approval_json(const economy_tx_t *tx, char out[ECONOMY_APPROVAL_JSON_SIZE])
{
	snprintf(out, ECONOMY_APPROVAL_JSON_SIZE, "{\"from\":%s,\"to\":%s}", tx->approval_from ? "true" : "false",
	         tx->approval_to ? "true" : "false");
}

int economy__tx_insert(axr_db_t *db, axr_arena_t *arena, const economy_tx_t *tx, const economy__idem_ctx_t *idem,
                       int status, const char **json)
{
	axr_db_result_t *r = NULL;
	char approval[ECONOMY_APPROVAL_JSON_SIZE], st[16];
	const char *params[13] = {
		tx->uid,
		economy_kind_name(tx->kind),
		tx->from,
		tx->to,
		economy_lines_json(arena, tx->lines, tx->n_lines),
		economy_status_name(tx->status),
		approval,
		economy_failure_name(tx->failure),
		tx->failure_reason,
		tx->created_by,
		st,
		idem ? idem->caller : NULL,
		idem ? idem->key : NULL,
	};
	bool keyed = idem != NULL && idem->key != NULL;
	int64_t stored = 1;
	int rc;

	*json = NULL;
	if (params[4] == NULL)
		return AXR_ENOMEM;
	economy__approval_json(tx, approval);
	snprintf(st, sizeof st, "%d", status);
	if (keyed)
		rc = axr_db_exec(db, "economy:tx:insert_keyed", economy__sql_insert_keyed, 13, params, NULL, NULL, &r);
	else
		rc = axr_db_exec(db, "economy:tx:insert", economy__sql_insert, 10, params, NULL, NULL, &r);
	if (rc == 0 && (axr_db_result_rows(r) != 1 || (keyed && (axr_db_result_int64(r, 0, 1, &stored) != 0 || stored != 1))))
		rc = AXR_EINTERNAL; /* a claimed key always has its row */
	if (rc == 0 && (*json = axr_arena_strdup(arena, axr_db_result_text(r, 0, 0, NULL))) == NULL)
		rc = AXR_ENOMEM;
	axr_db_result_free(r);
	return rc;
}

/* ---- the snapshot ------------------------------------------------------------------ */

/* The string member `name` of `o` copied into the arena; NULL when absent.
 * Sets *rc on a wrong type or out of memory. */
static const char *economy__get_string(axr_arena_t *arena, json_object *o, const char *name, int *rc)
{
	json_object *v = NULL;
	const char *s;
	if (!json_object_object_get_ex(o, name, &v) || v == NULL)
		return NULL;
	if (!json_object_is_type(v, json_type_string)) {
		*rc = AXR_EPARSE;
		return NULL;
	}
	s = axr_arena_strdup(arena, json_object_get_string(v));
	if (s == NULL)
		*rc = AXR_ENOMEM;
	return s;
}

static int64_t economy__get_int(json_object *o, const char *name, int *rc)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_int)) {
		*rc = AXR_EPARSE;
		return 0;
	}
	return json_object_get_int64(v);
}

static bool economy__get_bool(json_object *o, const char *name)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, name, &v) && json_object_is_type(v, json_type_boolean) &&
	       json_object_get_boolean(v);
}

/* An enum member: absent is fine when `optional`. */
static void economy__get_enum(axr_arena_t *arena, json_object *o, const char *name, bool optional,
                              int (*parse)(const char *, void *), void *out, int *rc)
{
	const char *s = economy__get_string(arena, o, name, rc);
	if (*rc == 0 && ((s == NULL && !optional) || (s != NULL && parse(s, out) != 0)))
		*rc = AXR_EPARSE;
}

/* Adapters from the typed parsers to economy__get_enum's generic one. */
static int economy__parse_kind(const char *s, void *out) { return economy_kind_parse(s, out); }
static int economy__parse_status(const char *s, void *out) { return economy_status_parse(s, out); }
static int economy__parse_failure(const char *s, void *out) { return economy_failure_parse(s, out); }
static int economy__parse_giver(const char *s, void *out) { return economy_giver_parse(s, out); }

static int economy__parse_lines(axr_arena_t *arena, json_object *o, economy_tx_t *out)
{
	json_object *arr = NULL;
	int rc = 0;
	if (!json_object_object_get_ex(o, "resources", &arr) || !json_object_is_type(arr, json_type_array))
		return AXR_EPARSE;
	out->n_lines = json_object_array_length(arr);
	out->lines = axr_arena_calloc(arena, out->n_lines + 1, sizeof *out->lines);
	if (out->lines == NULL)
		return AXR_ENOMEM;
	for (size_t i = 0; i < out->n_lines && rc == 0; i++) {
		json_object *line = json_object_array_get_idx(arr, i);
		economy_line_t *l = &out->lines[i];
		if (!json_object_is_type(line, json_type_object))
			return AXR_EPARSE;
		l->resource_uid = economy__get_string(arena, line, "resourceUid", &rc);
		l->quantity = economy__get_int(line, "quantity", &rc);
		economy__get_enum(arena, line, "giver", false, economy__parse_giver, &l->giver, &rc);
		if (rc == 0 && l->resource_uid == NULL)
			rc = AXR_EPARSE;
	}
	return rc;
}

int economy_tx_parse(axr_arena_t *arena, const char *json, economy_tx_t *out)
{
	json_object *o = NULL, *approval = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	if (json == NULL)
		return AXR_EPARSE;
	rc = axr_json_parse(json, strlen(json), NULL, &o, NULL);
	if (rc != 0)
		return rc == AXR_ENOMEM ? rc : AXR_EPARSE;
	if (!json_object_is_type(o, json_type_object)) {
		rc = AXR_EPARSE;
		goto fail;
	}
	out->uid = economy__get_string(arena, o, "uid", &rc);
	out->date_created = economy__get_string(arena, o, "dateCreated", &rc);
	out->date_modified = economy__get_string(arena, o, "dateModified", &rc);
	out->version = economy__get_int(o, "version", &rc);
	economy__get_enum(arena, o, "kind", false, economy__parse_kind, &out->kind, &rc);
	out->from = economy__get_string(arena, o, "from", &rc);
	out->to = economy__get_string(arena, o, "to", &rc);
	economy__get_enum(arena, o, "status", false, economy__parse_status, &out->status, &rc);
	economy__get_enum(arena, o, "failureCode", true, economy__parse_failure, &out->failure, &rc);
	out->failure_reason = economy__get_string(arena, o, "failureReason", &rc);
	out->created_by = economy__get_string(arena, o, "createdBy", &rc);
	if (json_object_object_get_ex(o, "approval", &approval)) {
		out->approval_from = economy__get_bool(approval, "from");
		out->approval_to = economy__get_bool(approval, "to");
	}
	if (rc == 0)
		rc = economy__parse_lines(arena, o, out);
	if (rc == 0 && (out->uid == NULL || out->date_created == NULL || out->date_modified == NULL))
		rc = AXR_EPARSE;
fail:
	json_object_put(o);
	return rc;
}
