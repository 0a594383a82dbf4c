/* transactions_api.c: the hand-written routes of spec/economy.yaml (transactions and purchase) as adapters over transaction.h. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "err.h"
#include "pool.h"

/* The worker's database, or the 503 when the service has none. */
static axr_db_t *economy__db(axr_request_t *req)
{
	return req->worker != NULL ? req->worker->db : NULL;
}

static void economy__approval(const Economy__Approval *a, economy_approval_t *out)
{
	memset(out, 0, sizeof *out);
	if (a == NULL)
		return;
	out->has_from = a->has_from;
	out->from = a->has_from && a->from;
	out->has_to = a->has_to;
	out->to = a->has_to && a->to;
}

/* POST /transactions */
int economy_create_transaction(axr_request_t *req, const Economy__CreateTransactionInput *in,
                               Economy__Transaction **out)
{
	economy_caller_t caller = economy_api_caller(req);
	economy_create_t c = {.idempotency_key = in->idempotency_key};
	economy_answer_t answer;
	economy_line_t *lines = NULL;
	const Economy__Transaction *body = in->body;
	int rc;

	*out = NULL;
	if (economy__db(req) == NULL)
		return economy_api_error(req, AXR_EUNAVAILABLE, NULL);
	if (body == NULL) /* the router requires it; defensive */
		return economy_api_error(req, AXR_EINVAL, NULL);
	rc = economy_api_lines(req, body->resources, body->n_resources, &lines);
	if (rc != 0)
		return economy_api_error(req, rc, NULL);
	c.from = body->from;
	c.to = body->to;
	c.lines = lines;
	c.n_lines = body->n_resources;
	economy__approval(body->approval, &c.approval);
	rc = economy_tx_create(economy__db(req), req->arena, &caller, &c, &answer);
	return economy_api_finish(req, rc, &answer, "create", out);
}

/*
 * The version an update names: If-Match: "<n>" first (as the CRUD engine
 * reads it), else ?version=. 400 on /version when neither is given.
 */
static int economy__update_version(axr_request_t *req, const Economy__UpdateTransactionInput *in, int64_t *version)
{
	const char *h = axr_request_header(req, "If-Match");
	economy_answer_t why;

	memset(&why, 0, sizeof why);
	if (h != NULL) {
		size_t n = strlen(h);
		char *end = NULL;
		while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
			n--;
		while (n > 0 && (*h == ' ' || *h == '\t'))
			h++, n--;
		if (n >= 3 && n <= 21 && h[0] == '"' && h[n - 1] == '"' && h[1] >= '0' && h[1] <= '9') {
			errno = 0;
			long long v = strtoll(h + 1, &end, 10);
			if (errno == 0 && end == h + n - 1) {
				*version = v;
				return 0;
			}
		}
		strcpy(why.problem.path, "/header/If-Match");
		strcpy(why.problem.message, "must be a quoted version, e.g. \"3\"");
		return economy_api_error(req, AXR_EINVAL, &why);
	}
	if (in->has_version) {
		*version = in->version;
		return 0;
	}
	strcpy(why.problem.path, "/version");
	strcpy(why.problem.message, "is required: send the version read in If-Match: \"<version>\" or ?version=");
	return economy_api_error(req, AXR_EINVAL, &why);
}

/* PUT /transactions/{id} */
int economy_update_transaction(axr_request_t *req, const Economy__UpdateTransactionInput *in,
                               Economy__Transaction **out)
{
	economy_caller_t caller = economy_api_caller(req);
	economy_update_t u = {.uid = in->id};
	economy_answer_t answer;
	economy_line_t *lines = NULL;
	const Economy__TransactionUpdate *body = in->body;
	int rc;

	*out = NULL;
	if (economy__db(req) == NULL)
		return economy_api_error(req, AXR_EUNAVAILABLE, NULL);
	if (body == NULL)
		return economy_api_error(req, AXR_EINVAL, NULL);
	if ((rc = economy__update_version(req, in, &u.version)) != 0)
		return rc;
	rc = economy_api_lines(req, body->resources, body->n_resources, &lines);
	if (rc != 0)
		return economy_api_error(req, rc, NULL);
	u.lines = lines;
	u.n_lines = body->n_resources;
	economy__approval(body->approval, &u.approval);
	u.cancel = body->status != NULL && strcmp(body->status, "CANCELLED") == 0;
	rc = economy_tx_update(economy__db(req), req->arena, &caller, &u, &answer);
	return economy_api_finish(req, rc, &answer, "update", out);
}

/* POST /resources/{id}/purchase */
int economy_purchase_resource(axr_request_t *req, const Economy__PurchaseResourceInput *in,
                              Economy__Transaction **out)
{
	economy_caller_t caller = economy_api_caller(req);
	economy_purchase_t p = {.resource_id = in->id, .idempotency_key = in->idempotency_key};
	economy_answer_t answer;
	int rc;

	*out = NULL;
	if (economy__db(req) == NULL)
		return economy_api_error(req, AXR_EUNAVAILABLE, NULL);
	if (in->body == NULL || !in->body->has_quantity)
		return economy_api_error(req, AXR_EINVAL, NULL);
	p.quantity = in->body->quantity;
	rc = economy_purchase(economy__db(req), req->arena, &caller, &p, &answer);
	return economy_api_finish(req, rc, &answer, "create", out);
}

/* GET /transactions/{id}: parties and admins; 404 for everyone else. */
int economy_get_transaction(axr_request_t *req, const Economy__GetTransactionInput *in, Economy__Transaction **out)
{
	economy_caller_t caller = economy_api_caller(req);
	economy_tx_t tx;
	int rc;

	*out = NULL;
	if (economy__db(req) == NULL)
		return economy_api_error(req, AXR_EUNAVAILABLE, NULL);
	rc = economy_tx_get(economy__db(req), req->arena, &caller, in->id, &tx);
	if (rc == AXR_ENOTFOUND) {
		economy_answer_t why;
		memset(&why, 0, sizeof why);
		strcpy(why.problem.message, "no such transaction");
		return economy_api_error(req, rc, &why);
	}
	if (rc != 0)
		return economy_api_error(req, rc, NULL);
	*out = economy_api_tx_message(req, &tx);
	if (*out == NULL)
		return economy_api_error(req, AXR_ENOMEM, NULL);
	economy_api_etag(req, tx.version);
	return 0;
}

/* GET /transactions?party=&status=&limit=&page=: newest first. */
int economy_find_transactions(axr_request_t *req, const Economy__FindTransactionsInput *in,
                              Economy__TransactionList **out)
{
	economy_caller_t caller = economy_api_caller(req);
	economy_list_t l = {.party = in->party, .limit = in->has_limit ? in->limit : 100};
	Economy__TransactionList *list =
		(Economy__TransactionList *)axr_op_message_new(req, &economy__transaction_list__descriptor);
	economy_tx_t *txs = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	if (list == NULL)
		return economy_api_error(req, AXR_ENOMEM, NULL);
	if (economy__db(req) == NULL)
		return economy_api_error(req, AXR_EUNAVAILABLE, NULL);
	if (in->status != NULL && economy_status_parse(in->status, &l.status) != 0)
		return economy_api_error(req, AXR_EINTERNAL, NULL); /* the schema admits only the four */
	l.has_status = in->status != NULL;
	if (l.limit == 0 || (in->has_page && in->page > INT_MAX / l.limit)) {
		*out = list; /* nothing on such a page */
		return 0;
	}
	l.page = in->has_page ? (int)in->page : 0;
	rc = economy_tx_list(economy__db(req), req->arena, &caller, &l, &txs, &n);
	if (rc == AXR_EFORBIDDEN) {
		economy_answer_t why;
		memset(&why, 0, sizeof why);
		strcpy(why.problem.path, "/query/party");
		strcpy(why.problem.message, "only admins may list another owner's transactions");
		return economy_api_error(req, rc, &why);
	}
	if (rc != 0)
		return economy_api_error(req, rc, NULL);
	list->items = axr_arena_calloc(req->arena, n + 1, sizeof *list->items);
	if (list->items == NULL)
		return economy_api_error(req, AXR_ENOMEM, NULL);
	for (size_t i = 0; i < n; i++) {
		list->items[i] = economy_api_tx_message(req, &txs[i]);
		if (list->items[i] == NULL)
			return economy_api_error(req, AXR_ENOMEM, NULL);
	}
	list->n_items = n;
	*out = list;
	return 0;
}
