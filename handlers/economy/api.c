/* api.c: the economy adapters' shared half: callers, messages, error and 409 answers, change events after commit. */
#include "api.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "bus.h"
#include "codec.h"
#include "crud.h"
#include "err.h"
#include "pool.h"

#include "economy_entities.h"
#include "economy_schema.h"

economy_caller_t economy_api_caller(const axr_request_t *req)
{
	economy_caller_t c = {
		.uid = req->user_uid,
		.trusted = axr_crud_caller_trusted(req, &economy_entity_Transaction),
	};
	return c;
}

int economy_api_lines(axr_request_t *req, Economy__TransactionLine *const *lines, size_t n, economy_line_t **out)
{
	economy_line_t *l = NULL;

	*out = NULL;
	if (n == 0)
		return 0;
	l = axr_arena_calloc(req->arena, n, sizeof *l);
	if (l == NULL)
		return AXR_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		l[i].resource_uid = lines[i]->resource_uid;
		l[i].quantity = lines[i]->has_quantity ? lines[i]->quantity : 0;
		l[i].giver = ECONOMY_GIVER_FROM;
		if (lines[i]->giver != NULL && economy_giver_parse(lines[i]->giver, &l[i].giver) != 0)
			return AXR_EINTERNAL;
	}
	*out = l;
	return 0;
}

/* `s` copied into the arena; *ok cleared when out of memory. NULL stays NULL. */
static char *economy__dup(axr_request_t *req, const char *s, bool *ok)
{
	char *d;
	if (s == NULL)
		return NULL;
	d = axr_arena_strdup(req->arena, s);
	if (d == NULL)
		*ok = false;
	return d;
}

Economy__Transaction *economy_api_tx_message(axr_request_t *req, const economy_tx_t *tx)
{
	Economy__Transaction *m = (Economy__Transaction *)axr_op_message_new(req, &economy__transaction__descriptor);
	Economy__Approval *a = (Economy__Approval *)axr_op_message_new(req, &economy__approval__descriptor);
	bool ok = m != NULL && a != NULL;

	if (!ok)
		return NULL;
	m->uid = economy__dup(req, tx->uid, &ok);
	m->date_created = economy__dup(req, tx->date_created, &ok);
	m->date_modified = economy__dup(req, tx->date_modified, &ok);
	m->has_version = 1;
	m->version = tx->version;
	m->kind = economy__dup(req, economy_kind_name(tx->kind), &ok);
	m->from = economy__dup(req, tx->from, &ok);
	m->to = economy__dup(req, tx->to, &ok);
	m->status = economy__dup(req, economy_status_name(tx->status), &ok);
	a->has_from = a->has_to = 1;
	a->from = tx->approval_from;
	a->to = tx->approval_to;
	m->approval = a;
	m->failure_code = economy__dup(req, economy_failure_name(tx->failure), &ok);
	m->failure_reason = economy__dup(req, tx->failure_reason, &ok);
	m->created_by = economy__dup(req, tx->created_by, &ok);
	m->resources = axr_arena_calloc(req->arena, tx->n_lines + 1, sizeof *m->resources);
	ok = ok && m->resources != NULL;
	for (size_t i = 0; ok && i < tx->n_lines; i++) {
		Economy__TransactionLine *l =
			(Economy__TransactionLine *)axr_op_message_new(req, &economy__transaction_line__descriptor);
		if (l == NULL)
			return NULL;
		l->resource_uid = economy__dup(req, tx->lines[i].resource_uid, &ok);
		l->has_quantity = 1;
		l->quantity = tx->lines[i].quantity;
		l->giver = economy__dup(req, economy_giver_name(tx->lines[i].giver), &ok);
		m->resources[m->n_resources++] = l;
	}
	return ok ? m : NULL;
}

/* ---- errors ------------------------------------------------------------------------------ */

int economy_api_error(axr_request_t *req, int rc, const economy_answer_t *answer)
{
	const char *code = answer != NULL && answer->code != NULL ? answer->code : NULL;
	const char *message = answer != NULL && answer->problem.message[0] ? answer->problem.message : axr_strerror(rc);
	axr_field_error_t fe = {.path = answer != NULL ? answer->problem.path : "", .message = message};
	int status = axr_err_http_status(rc);

	if (code == NULL)
		code = rc == AXR_EINVAL || rc == AXR_ERANGE ? "VALIDATION" : axr_errname(rc);
	if (rc == AXR_ENOMEM || rc == AXR_EAGAIN || rc == AXR_ETIMEOUT || rc == AXR_EUNAVAILABLE)
		status = 503; /* busy or the database is away: retry later (with the same key) */
	if (status >= 500 && req->worker != NULL && req->worker->db != NULL) {
		/* For the log only: what the database said last, if it said anything. */
		const axr_db_error_t *dbe = axr_db_last_error(req->worker->db);
		if (dbe != NULL && dbe->code != 0)
			req->error_reason = axr_arena_printf(req->arena, "economy: %s (database: %s %s)", axr_strerror(rc),
			                                     dbe->sqlstate, dbe->message);
	}
	if (fe.path[0] != '\0') {
		/* The problem names a field: the message says which, the field error says why. */
		const char *top = axr_arena_printf(req->arena, "%s: %s", fe.path, message);
		axr_response_error(req, status, code, top ? top : message, &fe, 1);
	} else {
		axr_response_error(req, status, code, message, NULL, 0);
	}
	return rc;
}

void economy_api_etag(axr_request_t *req, int64_t version)
{
	char etag[32];
	snprintf(etag, sizeof etag, "\"%" PRId64 "\"", version);
	axr_response_header(req, "ETag", etag);
}

/* 409 with the FAILED transaction: the platform's error body plus the transaction,
 * {"status":409,"code":<failure>,"message":<reason>,"transaction":{..}}. */
static int economy__respond_failed(axr_request_t *req, const economy_answer_t *answer, const Economy__Transaction *tx)
{
	const char *code = answer->code ? answer->code : "CONFLICT";
	const char *message = answer->problem.message[0] ? answer->problem.message : "the transaction failed: nothing moved";
	axr_buf_t body = AXR_BUF_INIT;
	int rc;

	axr_buf_puts(&body, "{\"status\":409,\"code\":");
	axr_buf_json_string(&body, code, strlen(code));
	axr_buf_puts(&body, ",\"message\":");
	axr_buf_json_string(&body, message, strlen(message));
	axr_buf_puts(&body, ",\"transaction\":");
	rc = axr_codec_to_json(&economy_schema_Transaction, &tx->base, AXR_CODEC_RESPONSE, &body);
	axr_buf_putc(&body, '}');
	if (rc == 0 && !axr_buf_ok(&body))
		rc = AXR_ENOMEM;
	if (rc == 0)
		rc = axr_response_send(req, 409, "application/json", body.data, body.len);
	axr_buf_free(&body);
	if (rc != 0)
		return economy_api_error(req, rc, NULL);
	return AXR_ECONFLICT;
}

/* ---- change events ---------------------------------------------------------------------- */

/*
 * After the commit: the Transaction to its parties (x-axr-channels: from, to)
 * and one InventoryItem per changed balance to its owner (x-axr-owner), with
 * axr_bus_publish_entity (type, uid, version, the row, its REST JSON). A
 * failed publish never fails the request (the bus counts and logs it).
 */
static void economy__publish_changes(axr_request_t *req, const economy_answer_t *answer, const char *action,
                                     const Economy__Transaction *msg)
{
	const economy_tx_t *tx = &answer->tx;

	if (req->worker == NULL || req->worker->redis == NULL)
		return; /* no bus configured */
	axr_bus_publish_entity(req->worker, req->arena, &economy_entity_Transaction, action, &msg->base);
	for (size_t i = 0; i < answer->execution.n_balances; i++) {
		const economy_balance_t *b = &answer->execution.balances[i];
		Economy__InventoryItem *item =
			(Economy__InventoryItem *)axr_op_message_new(req, &economy__inventory_item__descriptor);
		/* The rows changed in the transaction's SQL transaction: their
		 * dateModified is its now(), which is the transaction's. A row this
		 * execution created went from version 0 to 1. */
		bool created = b->item_version == 1, ok = item != NULL;
		if (!ok)
			return;
		item->uid = economy__dup(req, b->item_uid, &ok);
		item->owner_uid = economy__dup(req, b->owner_uid, &ok);
		item->resource_uid = economy__dup(req, b->resource_uid, &ok);
		item->date_modified = economy__dup(req, tx->date_modified, &ok);
		item->date_created = created ? item->date_modified : NULL;
		item->has_version = item->has_quantity = 1;
		item->version = b->item_version;
		item->quantity = b->balance_after;
		if (!ok)
			return;
		axr_bus_publish_entity(req->worker, req->arena, &economy_entity_InventoryItem, created ? "create" : "update",
		                       &item->base);
	}
}

/* ---- answers ----------------------------------------------------------------------------- */

int economy_api_finish(axr_request_t *req, int rc, economy_answer_t *answer, const char *action,
                       Economy__Transaction **out)
{
	Economy__Transaction *msg;

	*out = NULL;
	if (rc != 0)
		return economy_api_error(req, rc, answer);
	msg = economy_api_tx_message(req, &answer->tx);
	if (msg == NULL)
		return economy_api_error(req, AXR_ENOMEM, NULL);
	if (!answer->replayed)
		economy__publish_changes(req, answer, action, msg);
	if (req->worker != NULL && req->worker->db != NULL)
		economy_purge_when_due(req->worker->db);
	economy_api_etag(req, answer->tx.version);
	if (answer->status == 409)
		return economy__respond_failed(req, answer, msg);
	*out = msg;
	return 0;
}
