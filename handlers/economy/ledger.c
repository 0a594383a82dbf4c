/* ledger.c: lines, netting and the atomic execution of a transaction over inventory rows and the ledger. */
#include "ledger.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "buf.h"
#include "err.h"

/* ---- names ------------------------------------------------------------------ */

static const char *const economy__status_names[] = {
	[ECONOMY_TX_PENDING] = "PENDING",
	[ECONOMY_TX_COMPLETE] = "COMPLETE",
	[ECONOMY_TX_CANCELLED] = "CANCELLED",
	[ECONOMY_TX_FAILED] = "FAILED",
};
static const char *const economy__kind_names[] = {
	[ECONOMY_KIND_TRANSFER] = "TRANSFER",
	[ECONOMY_KIND_MINT] = "MINT",
	[ECONOMY_KIND_BURN] = "BURN",
	[ECONOMY_KIND_PURCHASE] = "PURCHASE",
};
static const char *const economy__giver_names[] = {
	[ECONOMY_GIVER_FROM] = "FROM",
	[ECONOMY_GIVER_TO] = "TO",
};
static const char *const economy__failure_names[] = {
	[ECONOMY_FAIL_NONE] = NULL,
	[ECONOMY_FAIL_INSUFFICIENT_FUNDS] = "INSUFFICIENT_FUNDS",
	[ECONOMY_FAIL_MAX_QUANTITY] = "MAX_QUANTITY_EXCEEDED",
	[ECONOMY_FAIL_OVERFLOW] = "QUANTITY_OVERFLOW",
	[ECONOMY_FAIL_UNKNOWN_RESOURCE] = "UNKNOWN_RESOURCE",
};

#define ECONOMY__COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *economy__name(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? names[v] : NULL;
}

static int economy__parse(const char *const *names, size_t n, const char *s, int *out)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (names[i] != NULL && strcmp(names[i], s) == 0) {
			*out = (int)i;
			return 0;
		}
	return AXR_EINVAL;
}

const char *economy_status_name(economy_tx_status_t s)
{
	return economy__name(economy__status_names, ECONOMY__COUNT(economy__status_names), (int)s);
}

const char *economy_kind_name(economy_tx_kind_t k)
{
	return economy__name(economy__kind_names, ECONOMY__COUNT(economy__kind_names), (int)k);
}

const char *economy_giver_name(economy_giver_t g)
{
	return economy__name(economy__giver_names, ECONOMY__COUNT(economy__giver_names), (int)g);
}

const char *economy_failure_name(economy_failure_t f)
{
	return economy__name(economy__failure_names, ECONOMY__COUNT(economy__failure_names), (int)f);
}

#define ECONOMY__PARSER(fn, type, names)                                      \
	int fn(const char *s, type *out)                                          \
	{                                                                         \
		int v = 0;                                                            \
		int rc = economy__parse(names, ECONOMY__COUNT(names), s, &v);         \
		if (rc == 0)                                                          \
			*out = (type)v;                                                   \
		return rc;                                                            \
	}
ECONOMY__PARSER(economy_status_parse, economy_tx_status_t, economy__status_names)
ECONOMY__PARSER(economy_kind_parse, economy_tx_kind_t, economy__kind_names)
ECONOMY__PARSER(economy_giver_parse, economy_giver_t, economy__giver_names)
ECONOMY__PARSER(economy_failure_parse, economy_failure_t, economy__failure_names)

/* ---- uids -------------------------------------------------------------------- */

int economy_uid_canonical(const char *uid, char out[ECONOMY_UID_SIZE])
{
	if (uid == NULL || strlen(uid) != ECONOMY_UID_SIZE - 1)
		return AXR_EINVAL;
	for (size_t i = 0; i < ECONOMY_UID_SIZE - 1; i++) {
		char c = uid[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return AXR_EINVAL;
		} else if (c >= 'A' && c <= 'F') {
			c = (char)(c - 'A' + 'a');
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return AXR_EINVAL;
		}
		out[i] = c;
	}
	out[ECONOMY_UID_SIZE - 1] = '\0';
	return 0;
}

int economy_uid_random(char out[ECONOMY_UID_SIZE])
{
	unsigned char b[16];
	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
		return AXR_EIO;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, ECONOMY_UID_SIZE,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
	         b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/* ---- lines -------------------------------------------------------------------- */

int economy_lines_check(axr_arena_t *arena, const economy_line_t *lines, size_t n, const char *path_prefix,
                        economy_line_t **out, economy_problem_t *problem)
{
	economy_line_t *copy = NULL;
	char uid[ECONOMY_UID_SIZE];

	*out = NULL;
	memset(problem, 0, sizeof *problem);
	if (n == 0 || n > ECONOMY_MAX_LINES || lines == NULL) {
		snprintf(problem->path, sizeof problem->path, "%s", path_prefix);
		snprintf(problem->message, sizeof problem->message, "must list between 1 and %d lines",
		         ECONOMY_MAX_LINES);
		return AXR_EINVAL;
	}
	copy = axr_arena_calloc(arena, n, sizeof *copy);
	if (copy == NULL)
		return AXR_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *field = NULL, *why = NULL;
		if (economy_uid_canonical(lines[i].resource_uid, uid) != 0)
			field = "resourceUid", why = "must be a UUID";
		else if (lines[i].quantity < 1)
			field = "quantity", why = "must be at least 1";
		else if (economy_giver_name(lines[i].giver) == NULL)
			field = "giver", why = "must be FROM or TO";
		if (field != NULL) {
			snprintf(problem->path, sizeof problem->path, "%s/%zu/%s", path_prefix, i, field);
			snprintf(problem->message, sizeof problem->message, "%s", why);
			return AXR_EINVAL;
		}
		copy[i].resource_uid = axr_arena_strdup(arena, uid);
		if (copy[i].resource_uid == NULL)
			return AXR_ENOMEM;
		copy[i].quantity = lines[i].quantity;
		copy[i].giver = lines[i].giver;
	}
	/* The quantities one party gives of one resource must add up in int64. */
	for (size_t i = 0; i < n; i++) {
		int64_t sum = 0;
		for (size_t j = 0; j < n; j++) {
			if (copy[j].giver != copy[i].giver || strcmp(copy[j].resource_uid, copy[i].resource_uid) != 0)
				continue;
			if (__builtin_add_overflow(sum, copy[j].quantity, &sum)) {
				snprintf(problem->path, sizeof problem->path, "%s/%zu/quantity", path_prefix, j);
				snprintf(problem->message, sizeof problem->message,
				         "the quantities of resource %s add up beyond %" PRId64, copy[i].resource_uid,
				         INT64_MAX);
				return AXR_EINVAL;
			}
		}
	}
	*out = copy;
	return 0;
}

char *economy_lines_json(axr_arena_t *arena, const economy_line_t *lines, size_t n)
{
	axr_buf_t b = AXR_BUF_INIT;
	char *json = NULL;

	axr_buf_putc(&b, '[');
	for (size_t i = 0; i < n; i++)
		axr_buf_printf(&b, "%s{\"resourceUid\":\"%s\",\"quantity\":%" PRId64 ",\"giver\":\"%s\"}", i ? "," : "",
		               lines[i].resource_uid, lines[i].quantity, economy_giver_name(lines[i].giver));
	axr_buf_putc(&b, ']');
	if (axr_buf_ok(&b))
		json = axr_arena_strndup(arena, b.data, b.len);
	axr_buf_free(&b);
	return json;
}

/* ---- netting --------------------------------------------------------------------- */

static int economy__delta_cmp(const void *a, const void *b)
{
	const economy_delta_t *x = a, *y = b;
	int c = strcmp(x->owner_uid, y->owner_uid);
	return c != 0 ? c : strcmp(x->resource_uid, y->resource_uid);
}

/* Adds `delta` to the entry of (owner, resource), creating it. */
static int economy__net_add(economy_delta_t *d, size_t *n, const char *owner, const char *resource, int64_t delta)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(d[i].owner_uid, owner) == 0 && strcmp(d[i].resource_uid, resource) == 0)
			return __builtin_add_overflow(d[i].delta, delta, &d[i].delta) ? AXR_ERANGE : 0;
	d[*n] = (economy_delta_t){.owner_uid = owner, .resource_uid = resource, .delta = delta};
	(*n)++;
	return 0;
}

int economy_ledger_net(axr_arena_t *arena, const char *from, const char *to, const economy_line_t *lines,
                       size_t n, economy_delta_t **out, size_t *n_out)
{
	economy_delta_t *d = NULL;
	size_t nd = 0, kept = 0;
	int rc = 0;

	*out = NULL;
	*n_out = 0;
	if ((from == NULL && to == NULL) || (from != NULL && to != NULL && strcmp(from, to) == 0))
		return AXR_EINVAL;
	d = axr_arena_calloc(arena, 2 * n + 1, sizeof *d);
	if (d == NULL)
		return AXR_ENOMEM;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *giver = lines[i].giver == ECONOMY_GIVER_FROM ? from : to;
		const char *receiver = lines[i].giver == ECONOMY_GIVER_FROM ? to : from;
		if (lines[i].quantity < 1)
			return AXR_EINVAL;
		if (giver != NULL)
			rc = economy__net_add(d, &nd, giver, lines[i].resource_uid, -lines[i].quantity);
		if (rc == 0 && receiver != NULL)
			rc = economy__net_add(d, &nd, receiver, lines[i].resource_uid, lines[i].quantity);
	}
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < nd; i++)
		if (d[i].delta != 0)
			d[kept++] = d[i];
	if (kept == 0)
		return AXR_EINVAL;
	qsort(d, kept, sizeof *d, economy__delta_cmp);
	*out = d;
	*n_out = kept;
	return 0;
}

/* ---- execution ----------------------------------------------------------------------- */

/* SQL array literal "{a,b,c}" of the deltas' owners (0), resources (1) or amounts (2). */
static char *economy__array(axr_arena_t *arena, const economy_delta_t *d, size_t n, int what)
{
	axr_buf_t b = AXR_BUF_INIT;
	char *s = NULL;
	axr_buf_putc(&b, '{');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			axr_buf_putc(&b, ',');
		if (what == 0)
			axr_buf_puts(&b, d[i].owner_uid);
		else if (what == 1)
			axr_buf_puts(&b, d[i].resource_uid);
		else
			axr_buf_printf(&b, "%" PRId64, d[i].delta);
	}
	axr_buf_putc(&b, '}');
	if (axr_buf_ok(&b))
		s = axr_arena_strndup(arena, b.data, b.len);
	axr_buf_free(&b);
	return s;
}

/* What step 2 and the resource table say about one delta. */
typedef struct economy__slot {
	bool exists;        /* the inventory row existed (and is locked) */
	int64_t have;       /* its quantity (0 when missing) */
	bool known;         /* the resource exists */
	int64_t cap;        /* the most one owner may hold */
} economy__slot_t;

/* Step 2 and the resources in one round trip: the locked rows (tag true,
 * locked in (owner, resource) order inside the materialized CTE), then the
 * resources' caps (tag false). */
static const char economy__sql_lock[] =
	"WITH l AS MATERIALIZED (SELECT i.owner_uid, i.resource_uid, i.quantity FROM inventory_item i"
	" JOIN unnest($1::uuid[], $2::uuid[]) AS k(o, r) ON i.owner_uid = k.o AND i.resource_uid = k.r"
	" ORDER BY i.owner_uid, i.resource_uid FOR UPDATE OF i)"
	" SELECT true, owner_uid::text, resource_uid::text, quantity, NULL::boolean FROM l"
	" UNION ALL SELECT false, NULL, uid::text, max_quantity, COALESCE(stackable, true) FROM resource"
	" WHERE uid = ANY($2::uuid[])";

static const char economy__sql_create_rows[] =
	"INSERT INTO inventory_item (uid, date_created, date_modified, version, owner_uid, resource_uid, quantity)"
	" SELECT gen_random_uuid(), now(), now(), 0, k.o, k.r, 0 FROM unnest($1::uuid[], $2::uuid[]) AS k(o, r)"
	" ORDER BY k.o, k.r ON CONFLICT (owner_uid, resource_uid) DO NOTHING RETURNING 1";

static const char economy__sql_apply[] =
	"WITH d AS (SELECT k.o, k.r, k.delta FROM unnest($2::uuid[], $3::uuid[], $4::bigint[]) AS k(o, r, delta)),"
	" u AS (UPDATE inventory_item i SET quantity = i.quantity + d.delta, version = i.version + 1,"
	" date_modified = now() FROM d WHERE i.owner_uid = d.o AND i.resource_uid = d.r"
	" RETURNING i.uid, i.owner_uid, i.resource_uid, i.quantity, i.version, d.delta),"
	" l AS (INSERT INTO ledger_entry (transaction_uid, owner_uid, resource_uid, delta, balance_after)"
	" SELECT $1::uuid, owner_uid, resource_uid, delta, quantity FROM u ORDER BY owner_uid, resource_uid"
	" RETURNING 1)"
	" SELECT owner_uid::text, resource_uid::text, uid::text, version, quantity, delta, (SELECT count(*) FROM l)"
	" FROM u ORDER BY u.owner_uid, u.resource_uid";

/* Index of (owner, resource) in the sorted deltas, or -1. */
static long economy__find(const economy_delta_t *d, size_t n, const char *owner, const char *resource)
{
	economy_delta_t key = {.owner_uid = owner, .resource_uid = resource};
	const economy_delta_t *hit = bsearch(&key, d, n, sizeof *d, economy__delta_cmp);
	return hit ? (long)(hit - d) : -1;
}

/* Locks the existing rows (step 2) and reads the resources: fills every slot. */
static int economy__lock_rows(axr_db_t *db, const char *const owners_resources[2], const economy_delta_t *d,
                              size_t n, economy__slot_t *slots)
{
	axr_db_result_t *r = NULL;
	int rc = axr_db_exec(db, "economy:ledger:lock", economy__sql_lock, 2, owners_resources, NULL, NULL, &r);
	if (rc != 0)
		return rc;
	for (int row = 0; row < axr_db_result_rows(r) && rc == 0; row++) {
		bool is_row = false, stackable = true;
		const char *resource = axr_db_result_text(r, row, 2, NULL);
		axr_db_result_bool(r, row, 0, &is_row);
		if (is_row) {
			long i = economy__find(d, n, axr_db_result_text(r, row, 1, NULL), resource);
			if (i < 0 || axr_db_result_int64(r, row, 3, &slots[i].have) != 0)
				rc = AXR_EINTERNAL;
			else
				slots[i].exists = true;
			continue;
		}
		int64_t cap = INT64_MAX;
		if (axr_db_result_int64(r, row, 3, &cap) != 0)
			cap = INT64_MAX;
		axr_db_result_bool(r, row, 4, &stackable);
		if (!stackable && cap > 1)
			cap = 1;
		for (size_t i = 0; i < n; i++)
			if (resource != NULL && strcmp(d[i].resource_uid, resource) == 0) {
				slots[i].known = true;
				slots[i].cap = cap;
			}
	}
	axr_db_result_free(r);
	return rc;
}

/* Step 3: the first reason the deltas cannot apply, or FAIL_NONE. */
static economy_failure_t economy__judge(axr_arena_t *arena, const economy_delta_t *d, size_t n,
                                        const economy__slot_t *slots, economy_execution_t *out)
{
	const char **reason = &out->reason;
	for (size_t i = 0; i < n; i++)
		if (!slots[i].known) {
			out->resource_uid = d[i].resource_uid;
			*reason = axr_arena_printf(arena, "resource %s does not exist", d[i].resource_uid);
			return ECONOMY_FAIL_UNKNOWN_RESOURCE;
		}
	for (size_t i = 0; i < n; i++) {
		int64_t after;
		out->owner_uid = d[i].owner_uid;
		out->resource_uid = d[i].resource_uid;
		if (d[i].delta < 0 && slots[i].have < -d[i].delta) {
			*reason = axr_arena_printf(arena, "owner %s has %" PRId64 " of resource %s and needs %" PRId64,
			                           d[i].owner_uid, slots[i].have, d[i].resource_uid, -d[i].delta);
			return ECONOMY_FAIL_INSUFFICIENT_FUNDS;
		}
		if (d[i].delta < 0)
			continue;
		if (__builtin_add_overflow(slots[i].have, d[i].delta, &after)) {
			*reason = axr_arena_printf(arena,
			                           "owner %s holds %" PRId64 " of resource %s; %" PRId64
			                           " more would exceed the largest quantity (%" PRId64 ")",
			                           d[i].owner_uid, slots[i].have, d[i].resource_uid, d[i].delta, INT64_MAX);
			return ECONOMY_FAIL_OVERFLOW;
		}
		if (after > slots[i].cap) {
			*reason = axr_arena_printf(arena,
			                           "owner %s would hold %" PRId64 " of resource %s; at most %" PRId64
			                           " allowed",
			                           d[i].owner_uid, after, d[i].resource_uid, slots[i].cap);
			return ECONOMY_FAIL_MAX_QUANTITY;
		}
	}
	return ECONOMY_FAIL_NONE;
}

/* Step 4a: creates the rows credits need that step 2 did not find. */
static int economy__create_rows(axr_db_t *db, axr_arena_t *arena, const economy_delta_t *d, size_t n,
                                const economy__slot_t *slots)
{
	economy_delta_t *missing = axr_arena_calloc(arena, n, sizeof *missing);
	axr_db_result_t *r = NULL;
	const char *params[2];
	size_t nm = 0;
	int rc;

	if (missing == NULL)
		return AXR_ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!slots[i].exists)
			missing[nm++] = d[i];
	if (nm == 0)
		return 0;
	params[0] = economy__array(arena, missing, nm, 0);
	params[1] = economy__array(arena, missing, nm, 1);
	if (params[0] == NULL || params[1] == NULL)
		return AXR_ENOMEM;
	rc = axr_db_exec(db, "economy:ledger:create_rows", economy__sql_create_rows, 2, params, NULL, NULL, &r);
	/* Fewer rows than asked: another transaction created one since step 2,
	 * so its quantity was not checked. Start again. */
	if (rc == 0 && axr_db_result_rows(r) != (int)nm)
		rc = AXR_EAGAIN;
	axr_db_result_free(r);
	return rc;
}

/* Step 4b: applies every delta and appends the ledger rows. */
static int economy__apply(axr_db_t *db, axr_arena_t *arena, const char *tx_uid, const char *const arrays[3],
                          const economy_delta_t *d, size_t n, const economy__slot_t *slots,
                          economy_execution_t *out)
{
	axr_db_result_t *r = NULL;
	const char *params[4] = {tx_uid, arrays[0], arrays[1], arrays[2]};
	int64_t ledger_rows = -1;
	int rc = axr_db_exec(db, "economy:ledger:apply", economy__sql_apply, 4, params, NULL, NULL, &r);

	if (rc != 0)
		return rc;
	out->balances = axr_arena_calloc(arena, n, sizeof *out->balances);
	if (out->balances == NULL) {
		rc = AXR_ENOMEM;
		goto fail;
	}
	if (axr_db_result_rows(r) != (int)n || axr_db_result_int64(r, 0, 6, &ledger_rows) != 0 ||
	    ledger_rows != (int64_t)n) {
		rc = AXR_EINTERNAL;
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		economy_balance_t *b = &out->balances[i];
		b->owner_uid = d[i].owner_uid;
		b->resource_uid = d[i].resource_uid;
		b->delta = d[i].delta;
		b->item_uid = axr_arena_strdup(arena, axr_db_result_text(r, (int)i, 2, NULL));
		/* Rows come back in the deltas' order; each must be where step 3 said. */
		if (b->item_uid == NULL || strcmp(axr_db_result_text(r, (int)i, 0, NULL), d[i].owner_uid) != 0 ||
		    strcmp(axr_db_result_text(r, (int)i, 1, NULL), d[i].resource_uid) != 0 ||
		    axr_db_result_int64(r, (int)i, 3, &b->item_version) != 0 ||
		    axr_db_result_int64(r, (int)i, 4, &b->balance_after) != 0 ||
		    b->balance_after != slots[i].have + d[i].delta) {
			rc = b->item_uid == NULL ? AXR_ENOMEM : AXR_EINTERNAL;
			goto fail;
		}
	}
	out->n_balances = n;
fail:
	axr_db_result_free(r);
	return rc;
}

int economy_delta_arrays(axr_arena_t *arena, const economy_delta_t *d, size_t n, const char *out[3])
{
	for (int k = 0; k < 3; k++)
		if ((out[k] = economy__array(arena, d, n, k)) == NULL)
			return AXR_ENOMEM;
	return 0;
}

int economy_ledger_execute(axr_db_t *db, axr_arena_t *arena, const economy_tx_t *tx, economy_execution_t *out)
{
	economy_delta_t *d = NULL;
	economy__slot_t *slots = NULL;
	const char *arrays[3];
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof *out);
	rc = economy_ledger_net(arena, tx->from, tx->to, tx->lines, tx->n_lines, &d, &n);
	if (rc != 0)
		return rc;
	slots = axr_arena_calloc(arena, n, sizeof *slots);
	if (slots == NULL || economy_delta_arrays(arena, d, n, arrays) != 0)
		return AXR_ENOMEM;
	rc = economy__lock_rows(db, arrays, d, n, slots);
	if (rc != 0)
		return rc;
	out->failure = economy__judge(arena, d, n, slots, out);
	if (out->failure != ECONOMY_FAIL_NONE)
		return out->reason != NULL ? 0 : AXR_ENOMEM;
	out->owner_uid = out->resource_uid = NULL;
	rc = economy__create_rows(db, arena, d, n, slots);
	if (rc == 0)
		rc = economy__apply(db, arena, tx->uid, arrays, d, n, slots, out);
	return rc;
}

/* ---- reading the ledger ------------------------------------------------------------------- */

static const char economy__sql_entries[] =
	"SELECT id, transaction_uid::text, owner_uid::text, resource_uid::text, delta, balance_after,"
	" to_char(date_created AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
	" FROM ledger_entry WHERE owner_uid = $1::uuid AND ($2::uuid IS NULL OR resource_uid = $2::uuid)"
	" AND id > $3::bigint ORDER BY id LIMIT $4::int";

int economy_ledger_entries(axr_db_t *db, axr_arena_t *arena, const char *owner_uid, const char *resource_uid,
                           int64_t after_id, int limit, economy_ledger_entry_t **out, size_t *n)
{
	axr_db_result_t *r = NULL;
	char after[24], lim[16];
	const char *params[4] = {owner_uid, resource_uid, after, lim};
	economy_ledger_entry_t *e = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	if (owner_uid == NULL || limit < 1 || limit > 1000)
		return AXR_EINVAL;
	snprintf(after, sizeof after, "%" PRId64, after_id);
	snprintf(lim, sizeof lim, "%d", limit);
	rc = axr_db_exec(db, "economy:ledger:entries", economy__sql_entries, 4, params, NULL, NULL, &r);
	if (rc != 0)
		return rc;
	int rows = axr_db_result_rows(r);
	e = axr_arena_calloc(arena, (size_t)rows + 1, sizeof *e);
	if (e == NULL) {
		rc = AXR_ENOMEM;
		goto fail;
	}
	for (int i = 0; i < rows && rc == 0; i++) {
		e[i].transaction_uid = axr_arena_strdup(arena, axr_db_result_text(r, i, 1, NULL));
		e[i].owner_uid = axr_arena_strdup(arena, axr_db_result_text(r, i, 2, NULL));
		e[i].resource_uid = axr_arena_strdup(arena, axr_db_result_text(r, i, 3, NULL));
		e[i].date_created = axr_arena_strdup(arena, axr_db_result_text(r, i, 6, NULL));
		if (!e[i].transaction_uid || !e[i].owner_uid || !e[i].resource_uid || !e[i].date_created)
			rc = AXR_ENOMEM;
		else if (axr_db_result_int64(r, i, 0, &e[i].id) != 0 || axr_db_result_int64(r, i, 4, &e[i].delta) != 0 ||
		         axr_db_result_int64(r, i, 5, &e[i].balance_after) != 0)
			rc = AXR_EINTERNAL;
	}
	if (rc == 0) {
		*out = e;
		*n = (size_t)rows;
	}
fail:
	axr_db_result_free(r);
	return rc;
}
