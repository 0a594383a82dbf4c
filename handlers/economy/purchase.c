/* purchase.c: POST /resources/{id}/purchase: pay a resource's cost and receive it, in one ledger execution. */
#include "transaction.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "tx_internal.h"

typedef struct economy__purchase {
	axr_arena_t *arena;
	const char *me;
	const char *by_uid;         /* the resource id when it is a UUID */
	const char *by_name;        /* else its name */
	int64_t quantity;
	economy__idem_ctx_t idem;
	economy_answer_t *answer;
} economy__purchase_t;

/* One row per cost line, in order (one row of NULLs when there is none). */
static const char economy__sql_price[] =
	"SELECT r.uid::text, c.value->>'resourceUid', (c.value->>'quantity')::bigint FROM resource r"
	" LEFT JOIN LATERAL jsonb_array_elements(CASE jsonb_typeof(r.cost) WHEN 'array' THEN r.cost"
	" ELSE '[]'::jsonb END) WITH ORDINALITY AS c(value, n) ON true"
	" WHERE r.uid = $1::uuid OR r.name = $2 ORDER BY c.n";

/* The purchase's lines: every cost line x quantity given by the buyer (burnt),
 * then the resource itself given by the store (minted). */
static int economy__price(axr_db_t *db, economy__purchase_t *p, economy_tx_t *tx)
{
	axr_db_result_t *r = NULL;
	const char *params[2] = {p->by_uid, p->by_name};
	economy_line_t *raw = NULL;
	size_t n = 0;
	int rc = axr_db_exec(db, "economy:purchase:price", economy__sql_price, 2, params, NULL, NULL, &r);

	if (rc != 0)
		return rc;
	int rows = axr_db_result_rows(r);
	if (rows == 0) {
		rc = economy__fail(p->answer, AXR_ENOTFOUND, NULL, "", "no such resource");
		goto fail;
	}
	if (axr_db_result_is_null(r, 0, 1) || rows + 1 > ECONOMY_MAX_LINES) {
		rc = economy__fail(p->answer, AXR_ECONFLICT, "NOT_FOR_SALE", "", "this resource has no price");
		goto fail;
	}
	raw = axr_arena_calloc(p->arena, (size_t)rows + 1, sizeof *raw);
	if (raw == NULL) {
		rc = AXR_ENOMEM;
		goto fail;
	}
	for (int i = 0; i < rows; i++, n++) {
		int64_t unit = 0;
		raw[n].resource_uid = axr_arena_strdup(p->arena, axr_db_result_text(r, i, 1, NULL));
		if (raw[n].resource_uid == NULL || axr_db_result_int64(r, i, 2, &unit) != 0) {
			rc = economy__fail(p->answer, AXR_ECONFLICT, "NOT_FOR_SALE", "", "this resource's cost is malformed");
			goto fail;
		}
		if (__builtin_mul_overflow(unit, p->quantity, &raw[n].quantity)) {
			rc = economy__fail(p->answer, AXR_EINVAL, "PRICE_OVERFLOW", "/quantity",
			                   "the price of %" PRId64 " units exceeds %" PRId64, p->quantity, INT64_MAX);
			goto fail;
		}
		raw[n].giver = ECONOMY_GIVER_FROM;
	}
	raw[n].resource_uid = axr_arena_strdup(p->arena, axr_db_result_text(r, 0, 0, NULL));
	raw[n].quantity = p->quantity;
	raw[n].giver = ECONOMY_GIVER_TO;
	n++;
	if (raw[n - 1].resource_uid == NULL) {
		rc = AXR_ENOMEM;
		goto fail;
	}
	rc = economy_lines_check(p->arena, raw, n, "/cost", &tx->lines, &p->answer->problem);
	if (rc == AXR_EINVAL && strstr(p->answer->problem.path, "/quantity") != NULL)
		rc = economy__fail(p->answer, AXR_EINVAL, "PRICE_OVERFLOW", "/quantity", "%s", p->answer->problem.message);
	else if (rc == AXR_EINVAL)
		rc = economy__fail(p->answer, AXR_ECONFLICT, "NOT_FOR_SALE", "", "this resource's cost is malformed");
	tx->n_lines = n;
fail:
	axr_db_result_free(r);
	return rc;
}

static int economy__purchase_body(axr_db_t *db, void *ctx)
{
	economy__purchase_t *p = ctx;
	economy_tx_t tx = {
		.kind = ECONOMY_KIND_PURCHASE,
		.from = p->me,
		.to = NULL,
		.approval_from = true,
		.approval_to = true,
		.created_by = p->me,
	};
	char uid[ECONOMY_UID_SIZE];
	bool replayed = false, failed = false;
	int rc;

	economy__answer_reset(p->answer);
	rc = economy__idem_begin(db, p->arena, &p->idem, p->answer, &replayed);
	if (rc != 0 || replayed)
		return rc;
	if ((rc = economy_uid_random(uid)) != 0)
		return rc;
	tx.uid = axr_arena_strdup(p->arena, uid);
	if (tx.uid == NULL)
		return AXR_ENOMEM;
	rc = economy__price(db, p, &tx);
	if (rc == 0)
		rc = economy__settle(db, p->arena, &tx, p->answer, &failed);
	if (rc == 0)
		rc = economy__tx_insert(db, p->arena, &tx, &p->idem, failed ? 409 : 201, &p->answer->json);
	if (rc != 0)
		return rc;
	p->answer->status = failed ? 409 : 201;
	return economy__answer_finish(p->arena, p->answer);
}

int economy_purchase(axr_db_t *db, axr_arena_t *arena, const economy_caller_t *caller, const economy_purchase_t *in,
                     economy_answer_t *answer)
{
	economy__purchase_t p = {.arena = arena, .answer = answer};
	char rid[ECONOMY_UID_SIZE];
	char *text;
	int rc = economy__begin(db, arena, caller, in, answer, &p.me);

	if (rc != 0)
		return rc;
	if (in->idempotency_key == NULL)
		return economy__fail(answer, AXR_EINVAL, "IDEMPOTENCY_KEY_REQUIRED", "",
		                     "the Idempotency-Key header is required");
	if (!economy_idem_key_valid(in->idempotency_key))
		return economy__fail(answer, AXR_EINVAL, NULL, "", "Idempotency-Key must be 1 to 255 visible ASCII characters");
	if (in->quantity < 1)
		return economy__fail(answer, AXR_EINVAL, NULL, "/quantity", "must be at least 1");
	if (in->resource_id == NULL || in->resource_id[0] == '\0')
		return economy__fail(answer, AXR_ENOTFOUND, NULL, "", "no such resource");
	if (economy_uid_canonical(in->resource_id, rid) == 0)
		p.by_uid = axr_arena_strdup(arena, rid);
	else
		p.by_name = in->resource_id;
	p.quantity = in->quantity;
	p.idem.caller = p.me;
	p.idem.key = in->idempotency_key;
	text = axr_arena_printf(arena, "POST /resources/%s/purchase\n%" PRId64, in->resource_id, in->quantity);
	if (text == NULL || (p.by_uid == NULL && p.by_name == NULL))
		return AXR_ENOMEM;
	economy_idem_hash(text, strlen(text), p.idem.hash);
	return axr_db_tx_run(db, AXR_DB_READ_COMMITTED, economy__purchase_body, &p, ECONOMY_TX_RETRIES);
}
