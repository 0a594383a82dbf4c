/* economy.c: the economy service driven through its generated C client (run by tests/economy/client.test.sh). */
/*
 * Settings: AXR_IT_ECONOMY_URL (http://127.0.0.1:PORT of axr-economy on a fresh database)
 * and AXR_IT_ECONOMY_DB (that database's URL, for the SQL side of the checks).
 * Players A, B, C and an admin get tokens from the test key. Every behaviour goes
 * through economy_client_*(): resources, wallets (inventory), admin mints,
 * transfers that wait for the recipient's approval, counter-offers, purchases,
 * idempotent replays (the Idempotency-Key is a stub parameter), 409s with their
 * exact codes, permissions and BOLA 404s, field errors from the client and the
 * server, and concurrent transfers (async stubs on one loop) that conserve the
 * total, checked through the API and in SQL.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "economy_client.h"
#include "it_calls.h"

#define UID_A "aaaaaaaa-0000-4000-8000-00000000000a"
#define UID_B "bbbbbbbb-0000-4000-8000-00000000000b"
#define UID_C "cccccccc-0000-4000-8000-00000000000c"
#define UID_ADMIN "adadadad-0000-4000-8000-00000000000a"
#define FIRE_OWNERS 8
#define FIRE_GRANT 1000
#define FIRE_OPS 240
#define FIRE_INFLIGHT 24

static const char *db;
static axr_arena_t *arena;

static const axr_route_t *route(int row)
{
	return &economy_client_routes[row];
}

/* ---- building requests ---- */

/* A transaction of up to two lines; approvals: -1 unset, 0/1 set. */
typedef struct tx {
	Economy__Transaction t;
	Economy__TransactionLine line[2];
	Economy__TransactionLine *lines[2];
	Economy__Approval ap;
} tx_t;

static void tx_init(tx_t *x, const char *from, const char *to, const char *res, int64_t q, int af, int at)
{
	memset(x, 0, sizeof *x);
	x->t = (Economy__Transaction)ECONOMY__TRANSACTION__INIT;
	x->line[0] = (Economy__TransactionLine)ECONOMY__TRANSACTION_LINE__INIT;
	x->line[0].resource_uid = IT_STR(res);
	x->line[0].has_quantity = 1;
	x->line[0].quantity = q;
	x->lines[0] = &x->line[0];
	x->t.from = IT_STR(from);
	x->t.to = IT_STR(to);
	x->t.resources = x->lines;
	x->t.n_resources = 1;
	if (af >= 0 || at >= 0) {
		x->ap = (Economy__Approval)ECONOMY__APPROVAL__INIT;
		x->ap.has_from = af >= 0;
		x->ap.from = af > 0;
		x->ap.has_to = at >= 0;
		x->ap.to = at > 0;
		x->t.approval = &x->ap;
	}
}

/* A second line (the counterpart of a trade when giver is "TO"). */
static void tx_add(tx_t *x, const char *res, int64_t q, const char *giver)
{
	x->line[1] = (Economy__TransactionLine)ECONOMY__TRANSACTION_LINE__INIT;
	x->line[1].resource_uid = IT_STR(res);
	x->line[1].has_quantity = 1;
	x->line[1].quantity = q;
	x->line[1].giver = IT_STR(giver);
	x->lines[1] = &x->line[1];
	x->t.n_resources = 2;
}

static int create(axr_client_t *c, tx_t *x, const char *key, Economy__Transaction **out, axr_client_error_t *err)
{
	Economy__CreateTransactionInput o = ECONOMY__CREATE_TRANSACTION_INPUT__INIT;
	o.idempotency_key = IT_STR(key);
	return economy_client_create_transaction(c, &x->t, &o, out, arena, err);
}

/* PUT /transactions/{id} with version `v` (-1 = none) and an approval (-1 unset) or a status. */
static int update(axr_client_t *c, const char *id, int64_t v, int af, int at, const char *status,
                  Economy__Transaction **out, axr_client_error_t *err)
{
	Economy__TransactionUpdate u = ECONOMY__TRANSACTION_UPDATE__INIT;
	Economy__Approval ap = ECONOMY__APPROVAL__INIT;
	Economy__UpdateTransactionInput o = ECONOMY__UPDATE_TRANSACTION_INPUT__INIT;
	if (af >= 0 || at >= 0) {
		ap.has_from = af >= 0;
		ap.from = af > 0;
		ap.has_to = at >= 0;
		ap.to = at > 0;
		u.approval = &ap;
	}
	u.status = IT_STR(status);
	o.has_version = v >= 0;
	o.version = v;
	return economy_client_update_transaction(c, id, &u, &o, out, arena, err);
}

/* PUT /transactions/{id} with version `v` changing the terms to one line of `q` of `res` (a counter-offer). */
static int change_line(axr_client_t *c, const char *id, int64_t v, const char *res, int64_t q, Economy__Transaction **out,
                       axr_client_error_t *err)
{
	Economy__TransactionUpdate u = ECONOMY__TRANSACTION_UPDATE__INIT;
	Economy__TransactionLine l = ECONOMY__TRANSACTION_LINE__INIT, *ls[1] = {&l};
	Economy__UpdateTransactionInput o = ECONOMY__UPDATE_TRANSACTION_INPUT__INIT;
	l.resource_uid = IT_STR(res);
	l.has_quantity = 1;
	l.quantity = q;
	u.resources = ls;
	u.n_resources = 1;
	o.has_version = 1;
	o.version = v;
	return economy_client_update_transaction(c, id, &u, &o, out, arena, err);
}

/* An admin defines ITEM `name` priced `q` of `cost_res`, stackable or not. */
static int define_item(axr_client_t *admin, const char *name, const char *cost_res, int64_t q, int stackable,
                       Economy__Resource **out, axr_client_error_t *err)
{
	Economy__Resource r = ECONOMY__RESOURCE__INIT;
	Economy__Cost cost = ECONOMY__COST__INIT, *costs[1] = {&cost};
	cost.resource_uid = IT_STR(cost_res);
	cost.has_quantity = 1;
	cost.quantity = q;
	r.name = IT_STR(name);
	r.kind = IT_STR("ITEM");
	r.has_stackable = 1;
	r.stackable = stackable;
	r.cost = costs;
	r.n_cost = 1;
	return economy_client_create_resource(admin, &r, NULL, out, arena, err);
}

static int purchase(axr_client_t *c, const char *res, int64_t q, const char *key, Economy__Transaction **out,
                    axr_client_error_t *err)
{
	Economy__PurchaseRequest p = ECONOMY__PURCHASE_REQUEST__INIT;
	Economy__PurchaseResourceInput o = ECONOMY__PURCHASE_RESOURCE_INPUT__INIT;
	p.has_quantity = 1;
	p.quantity = q;
	o.idempotency_key = IT_STR(key);
	return economy_client_purchase_resource(c, res, &p, &o, out, arena, err);
}

/* ---- reading balances ---- */

/* The balance of owner/res through the API: `c`'s inventory list (an owner's own, or all for an admin). */
static long long api_balance(axr_client_t *c, const char *owner, const char *res)
{
	Economy__FindInventoryInput q = ECONOMY__FIND_INVENTORY_INPUT__INIT;
	Economy__InventoryItemList *list = NULL;
	axr_client_error_t err = {0};
	long long sum = 0;
	q.has_limit = 1;
	q.limit = 1000;
	if (economy_client_find_inventory(c, &q, &list, arena, &err) != 0)
		return -1;
	for (size_t i = 0; i < list->n_items; i++)
		if ((!owner || strcmp(list->items[i]->owner_uid, owner) == 0) && strcmp(list->items[i]->resource_uid, res) == 0)
			sum += list->items[i]->quantity;
	return sum;
}

static long long sql_balance(const char *owner, const char *res)
{
	char q[512];
	snprintf(q, sizeof q,
	         "SELECT coalesce((SELECT quantity FROM inventory_item WHERE owner_uid = '%s' AND resource_uid = '%s'), 0)",
	         owner, res);
	return it_sql_num(db, q);
}

/* Ledger rows, transactions, stored keys, total held: what a refused request must leave alone. */
static const char *state(void)
{
	static char s[256];
	snprintf(s, sizeof s, "%s",
	         it_sql(db, "SELECT (SELECT count(*) FROM transaction) || '/' || (SELECT count(*) FROM idempotency_key) || '/' "
	                    "|| (SELECT coalesce(sum(quantity), 0) FROM inventory_item) || '/' || (SELECT count(*) FROM ledger_entry)"));
	return s;
}

/* The field errors of one Transaction body from the client (nothing sent) and from the server
 * (the same body sent with AXR_CLIENT_NO_VALIDATE), both at `path`. */
static void tx_validation_case(axr_client_t *c, tx_t *x, const char *key, const char *name, const char *path)
{
	Economy__CreateTransactionInput o = ECONOMY__CREATE_TRANSACTION_INPUT__INIT;
	axr_client_error_t local = {0}, remote = {0};
	char lp[256];
	int lrc, rrc;
	o.idempotency_key = IT_STR(key);
	o.body = &x->t;
	lrc = economy_client_create_transaction(c, &x->t, &o, NULL, arena, &local);
	snprintf(lp, sizeof lp, "%s", it_paths(&local));
	rrc = it_call(c, route(ECONOMY_CLIENT_CREATE_TRANSACTION), &o.base, AXR_CLIENT_NO_VALIDATE, NULL, NULL, NULL, arena,
	              &remote);
	it_check(it_local_invalid(lrc, &local, path) && it_http(rrc, &remote, 400, NULL) && it_has_path(&remote, path), name,
	         "want %s: client %s [%s]; server %s [%s]", path, it_e(lrc, &local), lp, it_e(rrc, &remote),
	         it_paths(&remote));
}

/* ---- async: many calls in flight on one loop ---- */

typedef struct fire {
	struct event_base *base;
	axr_client_t *c;
	const char *chip;
	char owners[FIRE_OWNERS][40];
	int next, inflight, answered;
	int created, conflicts, invalid, other;
	char other_what[600];
	unsigned seed;
	tx_t txs[FIRE_OPS];
	char keys[FIRE_OPS][32];
} fire_t;

static void fire_start(fire_t *f);

static void on_fired(int rc, ProtobufCMessage *out, axr_client_error_t *err, void *ud)
{
	fire_t *f = ud;
	(void)out;
	f->inflight--;
	f->answered++;
	if (rc == 0)
		f->created++;
	else if (err->status == 409 && err->code && strcmp(err->code, "INSUFFICIENT_FUNDS") == 0)
		f->conflicts++;
	else if (err->status == 400)
		f->invalid++;
	else if (f->other++ == 0)
		snprintf(f->other_what, sizeof f->other_what, "%s", it_e(rc, err));
	fire_start(f);
}

static unsigned fire_rand(fire_t *f, unsigned n)
{
	f->seed = f->seed * 1103515245u + 12345u;
	return (f->seed >> 8) % n;
}

/* Keeps FIRE_INFLIGHT transfers in flight until FIRE_OPS were started: random pairs and amounts,
 * both directions of two hot pairs, overdrafts (409) and trades. */
static void fire_start(fire_t *f)
{
	axr_client_error_t err;
	while (f->inflight < FIRE_INFLIGHT && f->next < FIRE_OPS) {
		int i = f->next++;
		unsigned r = fire_rand(f, 100), from = fire_rand(f, FIRE_OWNERS), to = fire_rand(f, FIRE_OWNERS - 1);
		int64_t q = 1 + fire_rand(f, 50);
		Economy__CreateTransactionInput o = ECONOMY__CREATE_TRANSACTION_INPUT__INIT;
		if (to >= from)
			to++;
		if (r < 25) { /* hot pairs 0<->1 and 2<->3 */
			from = 2 * fire_rand(f, 2);
			to = from + 1;
			if (fire_rand(f, 2)) {
				unsigned t = from;
				from = to;
				to = t;
			}
		} else if (r < 35)
			q = 5000; /* an overdraft */
		tx_init(&f->txs[i], f->owners[from], f->owners[to], f->chip, q, 1, 1);
		if (r >= 35 && r < 50)
			tx_add(&f->txs[i], f->chip, 1 + fire_rand(f, 50), "TO");
		snprintf(f->keys[i], sizeof f->keys[i], "fire-%d", i);
		o.idempotency_key = f->keys[i];
		memset(&err, 0, sizeof err);
		if (economy_client_create_transaction_async(f->c, f->base, &f->txs[i].t, &o, arena, &err, on_fired, f) != 0) {
			f->answered++;
			if (f->other++ == 0)
				snprintf(f->other_what, sizeof f->other_what, "not started: %s", it_e(err.rc, &err));
			continue;
		}
		f->inflight++;
	}
}

/* Twenty creates with one key at once. */
typedef struct same {
	int calls, ok;
	char uids[20][40];
	char why[600];
} same_t;

static void on_same(int rc, ProtobufCMessage *out, axr_client_error_t *err, void *ud)
{
	same_t *s = ud;
	int i = s->calls++;
	if (rc == 0 && out) {
		s->ok++;
		snprintf(s->uids[i], sizeof s->uids[i], "%s", ((Economy__Transaction *)out)->uid);
	} else if (!s->why[0])
		snprintf(s->why, sizeof s->why, "%s", it_e(rc, err));
}

/* A cancel by the sender racing the recipient's approval, both with the version they read. */
typedef struct race {
	int rc[2], status[2], calls;
	char code[2][40];
} race_t;

typedef struct race_slot {
	race_t *r;
	int side; /* 0 approve, 1 cancel */
} race_slot_t;

static void on_race(int rc, ProtobufCMessage *out, axr_client_error_t *err, void *ud)
{
	race_slot_t *s = ud;
	(void)out;
	s->r->calls++;
	s->r->rc[s->side] = rc;
	s->r->status[s->side] = rc == 0 ? 200 : err->status;
	snprintf(s->r->code[s->side], sizeof s->r->code[0], "%s", rc == 0 ? "-" : err->code ? err->code : "?");
}

static int race_start(axr_client_t *c, struct event_base *base, const char *id, int approve, race_slot_t *slot)
{
	Economy__TransactionUpdate u = ECONOMY__TRANSACTION_UPDATE__INIT;
	Economy__Approval ap = ECONOMY__APPROVAL__INIT;
	Economy__UpdateTransactionInput o = ECONOMY__UPDATE_TRANSACTION_INPUT__INIT;
	axr_client_error_t err = {0};
	if (approve) {
		ap.has_to = ap.to = 1;
		u.approval = &ap;
	} else
		u.status = IT_STR("CANCELLED");
	o.has_version = 1;
	o.version = 0;
	return economy_client_update_transaction_async(c, base, id, &u, &o, arena, &err, on_race, slot);
}

/* Purchases racing for the same coins. */
typedef struct buys {
	int calls, ok, poor, other;
	char why[600];
} buys_t;

static void on_buy(int rc, ProtobufCMessage *out, axr_client_error_t *err, void *ud)
{
	buys_t *b = ud;
	(void)out;
	b->calls++;
	if (rc == 0)
		b->ok++;
	else if (it_http(rc, err, 409, "INSUFFICIENT_FUNDS"))
		b->poor++;
	else if (b->other++ == 0)
		snprintf(b->why, sizeof b->why, "%s", it_e(rc, err));
}

int main(void)
{
	const char *url = it_env("AXR_IT_ECONOMY_URL");
	db = it_env("AXR_IT_ECONOMY_DB");
	arena = axr_arena_new(0);
	axr_client_t *a = it_client(url, it_mint(UID_A, NULL));
	axr_client_t *b = it_client(url, it_mint(UID_B, NULL));
	axr_client_t *cc = it_client(url, it_mint(UID_C, NULL));
	axr_client_t *admin = it_client(url, it_mint(UID_ADMIN, "admin"));
	axr_client_t *anon = it_client(url, NULL);
	axr_client_error_t err = {0};
	Economy__Resource *res = NULL;
	Economy__Transaction *tx = NULL, *tx2 = NULL;
	tx_t x;
	char coin[40] = "", big[40] = "", sword[40] = "", gem[40] = "", before[256];
	int rc;

	/* ---- resources: admins define, everyone signed in reads ---- */
	Economy__Resource r = ECONOMY__RESOURCE__INIT;
	r.name = IT_STR("coin");
	r.title = IT_STR("Coin");
	rc = economy_client_create_resource(a, &r, NULL, &res, arena, &err);
	it_check(it_http(rc, &err, 403, NULL) && rc == AXR_EFORBIDDEN, "a-player-cannot-define-a-resource-403", "%s",
	         it_e(rc, &err));
	Economy__CreateResourceInput ri = ECONOMY__CREATE_RESOURCE_INPUT__INIT;
	axr_client_response_t ans;
	ri.body = &r;
	rc = it_call_answer(anon, route(ECONOMY_CLIENT_CREATE_RESOURCE), &ri.base, NULL, 0, (ProtobufCMessage **)&res, &ans,
	                    arena, &err);
	const char *www = axr_client_response_header(&ans, "WWW-Authenticate");
	it_check(it_http(rc, &err, 401, NULL) && rc == AXR_EUNAUTHORIZED && ans.status == 401 && www &&
	             strncmp(www, "Bearer", 6) == 0,
	         "anonymous-cannot-define-a-resource-401-with-www-authenticate-bearer", "%s, WWW-Authenticate %s",
	         it_e(rc, &err), www ? www : "(none)");
	rc = economy_client_create_resource(admin, &r, NULL, &res, arena, &err);
	it_check(rc == 0 && strcmp(res->name, "coin") == 0 && strcmp(res->kind, "CURRENCY") == 0 && res->has_stackable &&
	             res->stackable && res->version == 0,
	         "an-admin-defines-a-currency-with-its-defaults", "%s", it_e(rc, &err));
	if (rc == 0)
		snprintf(coin, sizeof coin, "%s", res->uid);
	Economy__Resource rb = ECONOMY__RESOURCE__INIT;
	rb.name = IT_STR("big");
	if (economy_client_create_resource(admin, &rb, NULL, &res, arena, &err) == 0)
		snprintf(big, sizeof big, "%s", res->uid);
	Economy__Resource rg = ECONOMY__RESOURCE__INIT;
	rg.name = IT_STR("gem");
	rg.has_max_quantity = 1;
	rg.max_quantity = 5;
	if (economy_client_create_resource(admin, &rg, NULL, &res, arena, &err) == 0)
		snprintf(gem, sizeof gem, "%s", res->uid);
	rc = define_item(admin, "sword", coin, 30, 0, &res, &err);
	if (rc == 0)
		snprintf(sword, sizeof sword, "%s", res->uid);
	rc = economy_client_get_resource(b, "sword", NULL, &res, arena, &err);
	it_check(rc == 0 && strcmp(res->uid, sword) == 0 && res->n_cost == 1 && res->cost[0]->quantity == 30 &&
	             strcmp(res->cost[0]->resource_uid, coin) == 0 && !res->stackable && strcmp(res->kind, "ITEM") == 0,
	         "a-player-reads-an-item-by-name-with-its-cost", "%s", it_e(rc, &err));
	Economy__ResourceList *rl = NULL;
	Economy__FindResourcesInput rq = ECONOMY__FIND_RESOURCES_INPUT__INIT;
	rq.sort = IT_STR("name");
	rc = economy_client_find_resources(cc, &rq, &rl, arena, &err);
	long total = it_count(cc, route(ECONOMY_CLIENT_COUNT_RESOURCES), NULL, 0, arena);
	it_check(rc == 0 && rl->n_items == 4 && strcmp(rl->items[0]->name, "big") == 0 &&
	             strcmp(rl->items[3]->name, "sword") == 0 && total == 4,
	         "the-catalogue-sorted-by-name-and-x-total-count-4", "%s, %zu items, count %ld", it_e(rc, &err),
	         rc ? 0 : rl->n_items, total);

	Economy__Resource bad = ECONOMY__RESOURCE__INIT;
	bad.name = IT_STR("Not A Name");
	Economy__CreateResourceInput bo = ECONOMY__CREATE_RESOURCE_INPUT__INIT;
	bo.body = &bad;
	axr_client_error_t local = {0};
	int lrc = economy_client_create_resource(admin, &bad, NULL, NULL, arena, &local);
	char lp[128];
	snprintf(lp, sizeof lp, "%s", it_paths(&local));
	rc = it_call(admin, route(ECONOMY_CLIENT_CREATE_RESOURCE), &bo.base, AXR_CLIENT_NO_VALIDATE, NULL, NULL, NULL, arena,
	             &err);
	it_check(it_local_invalid(lrc, &local, "/name") && it_http(rc, &err, 400, "VALIDATION") && it_has_path(&err, "/name"),
	         "a-resource-name-off-its-pattern-is-400-at-/name-client-and-server", "client %s [%s]; server %s",
	         it_e(lrc, &local), lp, it_e(rc, &err));

	Economy__Resource temp = ECONOMY__RESOURCE__INIT, *tres = NULL;
	temp.name = IT_STR("temp");
	rc = economy_client_create_resource(admin, &temp, NULL, &tres, arena, &err);
	Economy__UpdateResourceInput uo = ECONOMY__UPDATE_RESOURCE_INPUT__INIT;
	uo.has_version = 1;
	uo.version = 0;
	temp.title = IT_STR("Temporary");
	int prc = economy_client_update_resource(a, "temp", &temp, &uo, &res, arena, &err);
	int p403 = it_http(prc, &err, 403, NULL);
	if (rc == 0)
		rc = economy_client_update_resource(admin, "temp", &temp, &uo, &res, arena, &err);
	it_check(rc == 0 && p403 && strcmp(res->title, "Temporary") == 0 && res->version == 1,
	         "an-admin-changes-a-resource-with-its-version-a-player-is-403", "%s, player %s", it_e(rc, &err),
	         p403 ? "403" : "not 403");
	rc = economy_client_update_resource(admin, "temp", &temp, &uo, &res, arena, &err);
	it_check(it_http(rc, &err, 409, NULL), "a-stale-resource-version-is-409", "%s", it_e(rc, &err));
	Economy__DeleteResourceInput dq = ECONOMY__DELETE_RESOURCE_INPUT__INIT;
	prc = economy_client_delete_resource(b, "temp", &dq, arena, &err);
	p403 = it_http(prc, &err, 403, NULL);
	rc = economy_client_delete_resource(admin, tres ? tres->uid : "temp", &dq, arena, &err);
	int grc = economy_client_get_resource(b, "temp", NULL, &res, arena, &err);
	it_check(rc == 0 && p403 && it_http(grc, &err, 404, NULL), "an-admin-deletes-a-resource-a-player-is-403",
	         "delete rc %d, player %s, read after %s", rc, p403 ? "403" : "not 403", it_e(grc, &err));

	/* ---- mints: admins only ---- */
	snprintf(before, sizeof before, "%s", state());
	tx_init(&x, NULL, UID_A, coin, 100, -1, -1);
	rc = create(a, &x, "mint-1", &tx, &err);
	int m403 = it_http(rc, &err, 403, NULL) && it_has_path(&err, "/from");
	tx_init(&x, UID_A, NULL, coin, 1, -1, -1);
	rc = create(a, &x, "burn-1", &tx, &err);
	int b403 = it_http(rc, &err, 403, NULL) && it_has_path(&err, "/to");
	tx_init(&x, UID_B, UID_C, coin, 1, -1, -1);
	rc = create(a, &x, "others-1", &tx, &err);
	int o403 = it_http(rc, &err, 403, NULL);
	it_check(m403 && b403 && o403 && strcmp(state(), before) == 0,
	         "a-player-cannot-mint-burn-or-move-others-value-403-and-nothing-changes",
	         "mint %d burn %d others %d (last %s), state %s -> %s", m403, b403, o403, it_e(rc, &err), before, state());

	tx_init(&x, NULL, UID_A, coin, 100, 1, 1);
	Economy__CreateTransactionInput mi = ECONOMY__CREATE_TRANSACTION_INPUT__INIT;
	mi.body = &x.t;
	rc = it_call_answer(admin, route(ECONOMY_CLIENT_CREATE_TRANSACTION), &mi.base, NULL, 0, (ProtobufCMessage **)&tx,
	                    &ans, arena, &err);
	const char *etag = axr_client_response_header(&ans, "ETag");
	it_check(rc == 0 && ans.status == 201 && etag && strcmp(etag, "\"0\"") == 0, "a-mint-answers-201-with-etag-0", "%s, ETag %s",
	         it_e(rc, &err), etag ? etag : "(none)");
	it_check(rc == 0 && strcmp(tx->status, "COMPLETE") == 0 && strcmp(tx->kind, "MINT") == 0 && tx->from == NULL &&
	             strcmp(tx->to, UID_A) == 0 && tx->version == 0 && strcmp(tx->created_by, UID_ADMIN) == 0,
	         "an-admin-mints-at-once-complete-mint-without-a-key", "%s", it_e(rc, &err));
	tx_init(&x, NULL, UID_B, coin, 100, 1, 1);
	rc = economy_client_create_transaction(admin, &x.t, NULL, &tx, arena, &err);
	it_check(rc == 0 && api_balance(a, UID_A, coin) == 100 && api_balance(b, UID_B, coin) == 100 &&
	             sql_balance(UID_A, coin) == 100 && it_sql_num(db, "SELECT sum(delta) FROM ledger_entry") == 200,
	         "wallets-after-two-mints-api-and-sql-agree-100-each", "%s, A %lld/%lld", it_e(rc, &err),
	         api_balance(a, UID_A, coin), sql_balance(UID_A, coin));

	/* ---- wallets: owners and admins only ---- */
	Economy__InventoryItemList *inv = NULL;
	rc = economy_client_find_inventory(a, NULL, &inv, arena, &err);
	char item_a[40] = "";
	if (rc == 0 && inv->n_items == 1)
		snprintf(item_a, sizeof item_a, "%s", inv->items[0]->uid);
	it_check(rc == 0 && inv->n_items == 1 && strcmp(inv->items[0]->owner_uid, UID_A) == 0 && inv->items[0]->quantity == 100,
	         "a-player-lists-only-their-own-wallet", "%s, %zu items", it_e(rc, &err), rc ? 0 : inv->n_items);
	Economy__InventoryItem *item = NULL;
	rc = economy_client_get_inventory_item(a, item_a, NULL, &item, arena, &err);
	grc = economy_client_get_inventory_item(b, item_a, NULL, &item, arena, &err);
	it_check(rc == 0 && it_http(grc, &err, 404, "NOTFOUND"), "bola-another-players-wallet-item-is-404",
	         "owner rc %d, other %s", rc, it_e(grc, &err));
	rc = economy_client_get_inventory_item(admin, item_a, NULL, &item, arena, &err);
	long cnt_a = it_count(a, route(ECONOMY_CLIENT_COUNT_INVENTORY), NULL, 0, arena),
	     cnt_admin = it_count(admin, route(ECONOMY_CLIENT_COUNT_INVENTORY), NULL, 0, arena);
	it_check(rc == 0 && item->quantity == 100 && cnt_a == 1 && cnt_admin == 2,
	         "an-admin-reads-any-wallet-counts-1-for-a-2-for-the-admin", "%s, counts %ld/%ld", it_e(rc, &err), cnt_a,
	         cnt_admin);

	const char *of_a[2] = {"ownerUid", UID_A};
	rc = it_call_answer(b, route(ECONOMY_CLIENT_FIND_INVENTORY), NULL, of_a, 1, (ProtobufCMessage **)&inv, &ans, arena,
	                    &err);
	int b_sees = rc == 0 ? (int)inv->n_items : -1;
	rc = it_call_answer(a, route(ECONOMY_CLIENT_FIND_INVENTORY), NULL, of_a, 1, (ProtobufCMessage **)&inv, &ans, arena,
	                    &err);
	it_check(b_sees == 0 && rc == 0 && inv->n_items == 1 && strcmp(inv->items[0]->owner_uid, UID_A) == 0 &&
	             it_count(b, route(ECONOMY_CLIENT_COUNT_INVENTORY), of_a, 1, arena) == 0,
	         "bola-a-query-filter-on-another-owner-lists-and-counts-nothing", "B sees %d, A %s", b_sees, it_e(rc, &err));

	/* ---- validation: field paths from the client and the server ---- */
	snprintf(before, sizeof before, "%s", state());
	tx_init(&x, UID_A, UID_B, coin, 0, -1, -1);
	tx_validation_case(a, &x, "v-1", "quantity-0-is-400-at-/resources/0/quantity", "/resources/0/quantity");
	tx_init(&x, UID_A, UID_B, coin, -1, -1, -1);
	tx_validation_case(a, &x, "v-2", "quantity-minus-1-is-400-at-/resources/0/quantity", "/resources/0/quantity");
	tx_init(&x, UID_A, UID_B, coin, 1, -1, -1);
	x.t.n_resources = 0;
	tx_validation_case(a, &x, "v-3", "no-lines-is-400-at-/resources", "/resources");
	tx_init(&x, UID_A, UID_B, coin, 1, -1, -1);
	x.t.status = IT_STR("COMPLETE");
	tx_validation_case(a, &x, "v-4", "a-read-only-status-is-400-at-/status", "/status");
	tx_init(&x, UID_A, UID_B, "not-a-uuid", 1, -1, -1);
	tx_validation_case(a, &x, "v-5", "a-resource-that-is-no-uuid-is-400-at-/resources/0/resourceUid",
	                   "/resources/0/resourceUid");
	tx_init(&x, UID_A, UID_B, coin, 1, -1, -1);
	x.line[0].giver = IT_STR("BOTH");
	tx_validation_case(a, &x, "v-6", "an-unknown-giver-is-400-at-/resources/0/giver", "/resources/0/giver");

	tx_init(&x, UID_A, UID_B, coin, INT64_MAX, 1, 1);
	tx_add(&x, coin, 1, "FROM");
	rc = economy_client_create_transaction(admin, &x.t, NULL, &tx, arena, &err);
	it_check(it_http(rc, &err, 400, NULL) && it_has_path(&err, "/resources/1/quantity"),
	         "lines-adding-up-beyond-int64-are-400-at-/resources/1/quantity", "%s [%s]", it_e(rc, &err), it_paths(&err));
	tx_init(&x, UID_A, UID_A, coin, 1, -1, -1);
	rc = create(a, &x, "self-1", &tx, &err);
	it_check(it_http(rc, &err, 400, NULL) && it_has_path(&err, "/to"), "a-self-transfer-is-400-at-/to", "%s [%s]",
	         it_e(rc, &err), it_paths(&err));
	tx_init(&x, UID_A, UID_B, "00000000-0000-4000-8000-000000000000", 1, -1, -1);
	rc = create(a, &x, "unknown-1", &tx, &err);
	it_check(it_http(rc, &err, 400, "UNKNOWN_RESOURCE"), "an-unknown-resource-is-400-unknown-resource", "%s",
	         it_e(rc, &err));
	rc = purchase(a, "sword", INT64_MAX, "buy-overflow", &tx, &err);
	it_check(it_http(rc, &err, 400, "PRICE_OVERFLOW") && it_has_path(&err, "/quantity"),
	         "a-price-beyond-int64-is-400-price-overflow-at-/quantity", "%s", it_e(rc, &err));
	Economy__PurchaseRequest p0 = ECONOMY__PURCHASE_REQUEST__INIT;
	Economy__PurchaseResourceInput po = ECONOMY__PURCHASE_RESOURCE_INPUT__INIT;
	p0.has_quantity = 1;
	p0.quantity = 0;
	po.idempotency_key = IT_STR("buy-0");
	po.id = IT_STR("sword");
	po.body = &p0;
	lrc = economy_client_purchase_resource(a, "sword", &p0, &po, NULL, arena, &local);
	snprintf(lp, sizeof lp, "%s", it_paths(&local));
	rc = it_call(a, route(ECONOMY_CLIENT_PURCHASE_RESOURCE), &po.base, AXR_CLIENT_NO_VALIDATE, NULL, NULL, NULL, arena, &err);
	it_check(it_local_invalid(lrc, &local, "/quantity") && it_http(rc, &err, 400, NULL) && it_has_path(&err, "/quantity"),
	         "a-purchase-of-0-is-400-at-/quantity-client-and-server", "client %s [%s]; server %s [%s]",
	         it_e(lrc, &local), lp, it_e(rc, &err), it_paths(&err));
	it_check(strcmp(state(), before) == 0, "refused-requests-left-ledger-keys-and-balances-alone", "%s -> %s", before,
	         state());

	/* ---- the Idempotency-Key ---- */
	tx_init(&x, UID_A, UID_B, coin, 1, -1, -1);
	rc = create(a, &x, NULL, &tx, &err);
	it_check(it_http(rc, &err, 400, "IDEMPOTENCY_KEY_REQUIRED"), "a-player-needs-an-idempotency-key-400", "%s",
	         it_e(rc, &err));
	po.idempotency_key = NULL;
	p0.quantity = 1;
	lrc = economy_client_purchase_resource(admin, "sword", &p0, &po, NULL, arena, &local);
	snprintf(lp, sizeof lp, "%s", it_paths(&local));
	rc = it_call(admin, route(ECONOMY_CLIENT_PURCHASE_RESOURCE), &po.base, AXR_CLIENT_NO_VALIDATE, NULL, NULL, NULL, arena,
	             &err);
	it_check(it_local_invalid(lrc, &local, "/Idempotency-Key") && it_http(rc, &err, 400, "VALIDATION") &&
	             it_has_path(&err, "/Idempotency-Key"),
	         "a-purchase-without-a-key-is-400-at-/Idempotency-Key-client-and-server-even-for-an-admin",
	         "client %s [%s]; server %s", it_e(lrc, &local), lp, it_e(rc, &err));

	/* ---- a gift waits for the recipient ---- */
	tx_init(&x, UID_A, UID_B, coin, 10, -1, -1);
	rc = create(a, &x, "gift-1", &tx, &err);
	char gift[40] = "";
	if (rc == 0)
		snprintf(gift, sizeof gift, "%s", tx->uid);
	it_check(rc == 0 && strcmp(tx->status, "PENDING") == 0 && strcmp(tx->kind, "TRANSFER") == 0 && tx->approval &&
	             tx->approval->from && !tx->approval->to && api_balance(a, UID_A, coin) == 100,
	         "a-gift-is-pending-with-the-senders-approval-implied", "%s", it_e(rc, &err));
	Economy__CreateTransactionInput ko = ECONOMY__CREATE_TRANSACTION_INPUT__INIT;
	const char *kh[2] = {"Idempotency-Key", "gift-1"};
	axr_client_call_opts_t hopts = {.headers = kh, .n_headers = 1};
	ko.body = &x.t;
	rc = axr_client_call_opts(a, route(ECONOMY_CLIENT_CREATE_TRANSACTION), &ko.base, &hopts, (ProtobufCMessage **)&tx2,
	                          arena, &err);
	it_check(rc == 0 && strcmp(tx2->uid, gift) == 0 && strcmp(tx2->status, "PENDING") == 0,
	         "the-key-as-a-call-opts-header-replays-the-same-transaction", "%s", it_e(rc, &err));
	rc = update(a, gift, 0, -1, 1, NULL, &tx, &err);
	it_check(it_http(rc, &err, 403, NULL) && it_has_path(&err, "/approval/to"),
	         "the-sender-cannot-approve-for-the-recipient-403-at-/approval/to", "%s", it_e(rc, &err));
	rc = update(b, gift, -1, -1, 1, NULL, &tx, &err);
	it_check(it_http(rc, &err, 400, NULL) && it_has_path(&err, "/version"), "an-approval-without-a-version-is-400-at-/version",
	         "%s", it_e(rc, &err));
	rc = update(b, gift, 7, -1, 1, NULL, &tx, &err);
	it_check(it_http(rc, &err, 409, "STALE_VERSION"), "an-approval-with-a-stale-version-is-409-stale-version", "%s",
	         it_e(rc, &err));
	rc = update(b, gift, 0, -1, 1, NULL, &tx, &err);
	it_check(rc == 0 && strcmp(tx->status, "COMPLETE") == 0 && tx->version == 1 && api_balance(a, UID_A, coin) == 90 &&
	             api_balance(b, UID_B, coin) == 110 && sql_balance(UID_B, coin) == 110,
	         "the-recipient-approves-and-it-executes-90-110", "%s", it_e(rc, &err));
	rc = update(b, gift, 1, -1, -1, "CANCELLED", &tx, &err);
	it_check(it_http(rc, &err, 409, "IMMUTABLE"), "a-complete-transaction-is-immutable-409", "%s", it_e(rc, &err));

	/* ---- insufficient funds ---- */
	snprintf(before, sizeof before, "%s", it_sql(db, "SELECT (SELECT count(*) FROM ledger_entry) || '/' || "
	                                                 "(SELECT sum(quantity) FROM inventory_item)"));
	tx_init(&x, UID_A, UID_B, coin, 1000, 1, -1);
	rc = create(a, &x, "over-1", &tx, &err);
	char over[40] = "";
	if (rc == 0)
		snprintf(over, sizeof over, "%s", tx->uid);
	rc = update(b, over, 0, -1, 1, NULL, &tx, &err);
	char want_msg[256];
	snprintf(want_msg, sizeof want_msg, "owner %s has 90 of resource %s and needs 1000", UID_A, coin);
	it_check(it_http(rc, &err, 409, "INSUFFICIENT_FUNDS") && rc == AXR_ECONFLICT && strcmp(err.message, want_msg) == 0 &&
	             err.n_errors == 0 && err.request_id && tx == NULL,
	         "an-overdraft-is-409-insufficient-funds-with-the-balance-and-the-need-in-its-message", "%s; want message '%s'",
	         it_e(rc, &err), want_msg);
	rc = economy_client_get_transaction(b, over, NULL, &tx, arena, &err);
	it_check(rc == 0 && strcmp(tx->status, "FAILED") == 0 && tx->failure_code &&
	             strcmp(tx->failure_code, "INSUFFICIENT_FUNDS") == 0 && tx->failure_reason,
	         "the-failed-transaction-reads-back-failed-with-its-code", "%s %s", it_e(rc, &err),
	         rc ? "" : tx->status);
	it_check(strcmp(before, it_sql(db, "SELECT (SELECT count(*) FROM ledger_entry) || '/' || "
	                                   "(SELECT sum(quantity) FROM inventory_item)")) == 0 &&
	             api_balance(a, UID_A, coin) == 90,
	         "the-overdraft-moved-nothing-api-and-sql", "ledger/total %s", before);
	tx_init(&x, UID_B, UID_A, coin, 5000, 1, 1);
	rc = economy_client_create_transaction(admin, &x.t, NULL, &tx, arena, &err);
	it_check(it_http(rc, &err, 409, "INSUFFICIENT_FUNDS") &&
	             it_sql_num(db, "SELECT count(*) FROM transaction WHERE status = 'FAILED'") == 2,
	         "an-admin-overdraft-is-409-and-stored-failed", "%s", it_e(rc, &err));
	Economy__FindTransactionsInput fq = ECONOMY__FIND_TRANSACTIONS_INPUT__INIT;
	Economy__TransactionList *tl = NULL;
	fq.status = IT_STR("FAILED");
	rc = economy_client_find_transactions(a, &fq, &tl, arena, &err);
	int has_over = 0;
	for (size_t i = 0; rc == 0 && i < tl->n_items; i++)
		has_over += strcmp(tl->items[i]->uid, over) == 0 && strcmp(tl->items[i]->status, "FAILED") == 0;
	it_check(rc == 0 && tl->n_items == 2 && has_over == 1, /* the overdraft and the admin's B -> A */
	         "a-player-lists-their-failed-transactions-by-status", "%s, %zu", it_e(rc, &err), rc ? 0 : tl->n_items);

	/* ---- credit past int64 ---- */
	tx_init(&x, NULL, UID_C, big, INT64_MAX, 1, 1);
	rc = economy_client_create_transaction(admin, &x.t, NULL, &tx, arena, &err);
	tx_init(&x, NULL, UID_C, big, 1, 1, 1);
	int orc = economy_client_create_transaction(admin, &x.t, NULL, &tx, arena, &err);
	it_check(rc == 0 && it_http(orc, &err, 409, "QUANTITY_OVERFLOW") && api_balance(cc, UID_C, big) == INT64_MAX,
	         "a-credit-past-int64-is-409-quantity-overflow-balance-kept", "mint %d, %s", rc, it_e(orc, &err));

	/* ---- idempotency ---- */
	tx_init(&x, UID_A, UID_B, coin, 11, -1, -1);
	rc = create(a, &x, "gift-1", &tx, &err);
	it_check(it_http(rc, &err, 422, "IDEMPOTENCY_KEY_REUSED"), "the-same-key-with-another-request-is-422", "%s",
	         it_e(rc, &err));
	tx_init(&x, UID_B, UID_A, coin, 11, -1, -1);
	rc = create(b, &x, "gift-1", &tx, &err);
	it_check(rc == 0 && strcmp(tx->uid, gift) != 0, "another-callers-same-key-is-their-own", "%s", it_e(rc, &err));

	/* ---- BOLA and the ledger view ---- */
	tx_init(&x, UID_A, UID_C, coin, 2, -1, -1);
	tx_add(&x, gem, 1, "TO");
	rc = create(a, &x, "trade-ac", &tx, &err);
	char trade[40] = "";
	if (rc == 0)
		snprintf(trade, sizeof trade, "%s", tx->uid);
	it_check(rc == 0 && strcmp(tx->status, "PENDING") == 0 && tx->n_resources == 2 &&
	             strcmp(tx->resources[1]->giver, "TO") == 0,
	         "a-proposes-a-trade-to-c", "%s", it_e(rc, &err));
	int g = economy_client_get_transaction(b, trade, NULL, &tx, arena, &err);
	int gok = it_http(g, &err, 404, "NOTFOUND");
	int ap = update(b, trade, 0, -1, 1, NULL, &tx, &err);
	int apok = it_http(ap, &err, 404, NULL);
	int cn = update(b, trade, 0, -1, -1, "CANCELLED", &tx, &err);
	int cnok = it_http(cn, &err, 404, NULL);
	it_check(gok && apok && cnok &&
	             strcmp(it_sql(db, "SELECT status || version FROM transaction WHERE uid = (SELECT uid FROM transaction "
	                               "WHERE status = 'PENDING' AND \"to\" = 'cccccccc-0000-4000-8000-00000000000c')"),
	                    "PENDING0") == 0,
	         "bola-b-cannot-read-approve-or-cancel-as-trade-404-untouched", "get %d approve %d cancel %d", gok, apok, cnok);
	fq.status = NULL;
	fq.party = IT_STR(UID_A);
	rc = economy_client_find_transactions(b, &fq, &tl, arena, &err);
	it_check(it_http(rc, &err, 403, NULL), "a-player-listing-anothers-transactions-is-403", "%s", it_e(rc, &err));
	fq.party = IT_STR("me");
	rc = economy_client_find_transactions(b, &fq, &tl, arena, &err);
	int seen_b = 0;
	for (size_t i = 0; rc == 0 && i < tl->n_items; i++)
		seen_b += strcmp(tl->items[i]->uid, trade) == 0;
	grc = economy_client_find_transactions(cc, &fq, &tl, arena, &err);
	int seen_c = 0;
	for (size_t i = 0; grc == 0 && i < tl->n_items; i++)
		seen_c += strcmp(tl->items[i]->uid, trade) == 0;
	it_check(rc == 0 && grc == 0 && seen_b == 0 && seen_c == 1, "the-ledger-view-shows-the-trade-to-its-parties-only",
	         "b sees %d, c sees %d", seen_b, seen_c);
	fq.party = IT_STR(UID_A);
	rc = economy_client_find_transactions(admin, &fq, &tl, arena, &err);
	it_check(rc == 0 && tl->n_items >= 5, "an-admin-lists-any-owners-transactions", "%s, %zu", it_e(rc, &err),
	         rc ? 0 : tl->n_items);

	/* ---- counter-offer and cancel ---- */
	rc = change_line(cc, trade, 0, coin, 3, &tx, &err);
	it_check(rc == 0 && tx->approval && !tx->approval->from && tx->approval->to && tx->n_resources == 1 &&
	             tx->resources[0]->quantity == 3 && strcmp(tx->status, "PENDING") == 0,
	         "a-counter-offer-resets-the-other-approval", "%s", it_e(rc, &err));
	rc = update(a, trade, 1, -1, -1, "CANCELLED", &tx, &err);
	it_check(rc == 0 && strcmp(tx->status, "CANCELLED") == 0 && api_balance(a, UID_A, coin) == 90,
	         "a-party-cancels-nothing-moves", "%s", it_e(rc, &err));

	/* ---- a FAILED transaction may be changed and approved again ---- */
	rc = economy_client_get_transaction(a, over, NULL, &tx, arena, &err);
	int64_t ov = rc == 0 ? tx->version : -1;
	rc = change_line(a, over, ov, coin, 5, &tx, &err);
	it_check(rc == 0 && strcmp(tx->status, "PENDING") == 0 && tx->approval && tx->approval->from && !tx->approval->to &&
	             tx->resources[0]->quantity == 5 && tx->version == ov + 1 && tx->failure_code == NULL,
	         "the-sender-changes-a-failed-transaction-back-to-pending-with-its-own-approval", "%s, status %s",
	         it_e(rc, &err), rc == 0 ? tx->status : "-");
	rc = update(b, over, ov + 1, -1, 1, NULL, &tx, &err);
	it_check(rc == 0 && strcmp(tx->status, "COMPLETE") == 0 && api_balance(a, UID_A, coin) == 85 &&
	             api_balance(b, UID_B, coin) == 115,
	         "the-recipient-approves-the-changed-one-and-it-executes-85-115", "%s", it_e(rc, &err));
	tx_init(&x, UID_B, UID_A, coin, 5, 1, 1);
	rc = economy_client_create_transaction(admin, &x.t, NULL, &tx, arena, &err);
	it_check(rc == 0 && strcmp(tx->status, "COMPLETE") == 0 && strcmp(tx->kind, "TRANSFER") == 0 &&
	             api_balance(a, UID_A, coin) == 90 && api_balance(b, UID_B, coin) == 110,
	         "an-admin-moves-value-between-players-at-once", "%s", it_e(rc, &err));

	/* ---- caps, trades, burns ---- */
	tx_init(&x, NULL, UID_C, gem, 6, 1, 1);
	rc = economy_client_create_transaction(admin, &x.t, NULL, &tx, arena, &err);
	it_check(it_http(rc, &err, 409, "MAX_QUANTITY_EXCEEDED") && api_balance(cc, UID_C, gem) == 0,
	         "minting-past-max-quantity-is-409-max-quantity-exceeded", "%s", it_e(rc, &err));
	tx_init(&x, NULL, UID_C, gem, 5, 1, 1);
	rc = economy_client_create_transaction(admin, &x.t, NULL, &tx, arena, &err);
	tx_init(&x, NULL, UID_C, coin, 3, 1, 1);
	rc = rc ? rc : economy_client_create_transaction(admin, &x.t, NULL, &tx, arena, &err);
	tx_init(&x, UID_C, UID_A, gem, 2, -1, -1);
	tx_add(&x, coin, 6, "TO");
	rc = rc ? rc : create(cc, &x, "sell-gems", &tx, &err);
	char sale[40] = "";
	if (rc == 0)
		snprintf(sale, sizeof sale, "%s", tx->uid);
	rc = rc ? rc : update(a, sale, 0, -1, 1, NULL, &tx, &err);
	it_check(rc == 0 && strcmp(tx->status, "COMPLETE") == 0 && api_balance(cc, UID_C, gem) == 3 &&
	             api_balance(a, UID_A, gem) == 2 && api_balance(a, UID_A, coin) == 84 && api_balance(cc, UID_C, coin) == 9,
	         "a-trade-moves-both-lines-gems-for-coins", "%s; C gem %lld coin %lld, A gem %lld coin %lld", it_e(rc, &err),
	         api_balance(cc, UID_C, gem), api_balance(cc, UID_C, coin), api_balance(a, UID_A, gem),
	         api_balance(a, UID_A, coin));
	tx_init(&x, UID_C, NULL, gem, 1, 1, 1);
	rc = economy_client_create_transaction(admin, &x.t, NULL, &tx, arena, &err);
	it_check(rc == 0 && strcmp(tx->kind, "BURN") == 0 && tx->to == NULL && api_balance(cc, UID_C, gem) == 2 &&
	             sql_balance(UID_C, gem) == 2,
	         "an-admin-burns-one-gem", "%s", it_e(rc, &err));
	tx_init(&x, UID_C, NULL, gem, 3, 1, 1);
	rc = economy_client_create_transaction(admin, &x.t, NULL, &tx, arena, &err);
	it_check(it_http(rc, &err, 409, "INSUFFICIENT_FUNDS") && sql_balance(UID_C, gem) == 2,
	         "burning-more-than-held-is-409-insufficient-funds", "%s", it_e(rc, &err));

	/* ---- purchases ---- */
	rc = purchase(b, "sword", 1, "buy-1", &tx, &err);
	char bought[40] = "";
	if (rc == 0)
		snprintf(bought, sizeof bought, "%s", tx->uid);
	it_check(rc == 0 && strcmp(tx->kind, "PURCHASE") == 0 && strcmp(tx->status, "COMPLETE") == 0 &&
	             api_balance(b, UID_B, coin) == 80 && api_balance(b, UID_B, sword) == 1,
	         "a-purchase-pays-the-cost-and-grants-the-item", "%s, coin %lld sword %lld", it_e(rc, &err),
	         api_balance(b, UID_B, coin), api_balance(b, UID_B, sword));
	rc = purchase(b, "sword", 1, "buy-1", &tx, &err);
	it_check(rc == 0 && strcmp(tx->uid, bought) == 0 && api_balance(b, UID_B, coin) == 80 &&
	             sql_balance(UID_B, sword) == 1,
	         "a-replayed-purchase-answers-the-same-transaction-paid-once", "%s", it_e(rc, &err));
	rc = purchase(b, sword, 1, "buy-2", &tx, &err);
	it_check(it_http(rc, &err, 409, "MAX_QUANTITY_EXCEEDED"), "a-second-unstackable-item-is-409-max-quantity-exceeded",
	         "%s", it_e(rc, &err));
	rc = purchase(b, "coin", 1, "buy-3", &tx, &err);
	it_check(it_http(rc, &err, 409, "NOT_FOR_SALE"), "a-resource-without-a-cost-is-409-not-for-sale", "%s",
	         it_e(rc, &err));
	rc = purchase(b, "nothing", 1, "buy-4", &tx, &err);
	it_check(it_http(rc, &err, 404, NULL), "an-unknown-resource-to-buy-is-404", "%s", it_e(rc, &err));
	rc = purchase(cc, "sword", 1, "buy-5", &tx, &err);
	it_check(it_http(rc, &err, 409, "INSUFFICIENT_FUNDS") && sql_balance(UID_C, sword) == 0,
	         "a-buyer-who-cannot-pay-is-409-insufficient-funds", "%s", it_e(rc, &err));

	/* ---- protobuf on the wire ---- */
	axr_client_options_t pbo = {.base_url = url, .timeout_ms = 15000, .flags = AXR_CLIENT_PROTOBUF};
	axr_client_t *pb = NULL;
	rc = axr_client_new(&pbo, &pb);
	if (rc == 0)
		rc = axr_client_set_token(pb, it_mint(UID_B, NULL));
	tx_init(&x, UID_B, UID_A, coin, 2, -1, -1);
	if (rc == 0)
		rc = create(pb, &x, "pb-1", &tx, &err);
	char pbt[40] = "";
	if (rc == 0)
		snprintf(pbt, sizeof pbt, "%s", tx->uid);
	it_check(rc == 0 && strcmp(tx->status, "PENDING") == 0 && strcmp(tx->from, UID_B) == 0 && tx->n_resources == 1 &&
	             tx->resources[0]->quantity == 2 && tx->approval && tx->approval->from,
	         "a-protobuf-client-proposes-a-gift", "%s", it_e(rc, &err));
	rc = update(a, pbt, 0, -1, 1, NULL, &tx, &err);
	it_check(rc == 0 && strcmp(tx->status, "COMPLETE") == 0 && api_balance(pb, UID_B, coin) == 78,
	         "a-json-client-approves-it-and-it-executes", "%s, B has %lld", it_e(rc, &err), api_balance(pb, UID_B, coin));
	rc = purchase(pb, "gem", 1, "pb-2", &tx, &err);
	it_check(it_http(rc, &err, 409, "NOT_FOR_SALE"), "a-protobuf-purchase-answers-the-json-error", "%s", it_e(rc, &err));
	rc = economy_client_get_transaction(pb, pbt, NULL, &tx, arena, &err);
	it_check(rc == 0 && strcmp(tx->kind, "TRANSFER") == 0 && tx->version == 1, "a-protobuf-client-reads-a-transaction",
	         "%s", it_e(rc, &err));
	axr_client_free(pb);
	long long failed_before = it_sql_num(db, "SELECT count(*) FROM transaction WHERE status = 'FAILED'");
	tx_init(&x, UID_A, UID_B, coin, 100000, 1, 1);
	rc = create(admin, &x, "replay-409", &tx, &err);
	char first409[600];
	snprintf(first409, sizeof first409, "%s", it_e(rc, &err));
	rc = create(admin, &x, "replay-409", &tx, &err);
	it_check(it_http(rc, &err, 409, "INSUFFICIENT_FUNDS") && strcmp(first409, it_e(rc, &err)) == 0 &&
	             it_sql_num(db, "SELECT count(*) FROM transaction WHERE status = 'FAILED'") == failed_before + 1,
	         "a-replayed-409-answers-the-same-error-and-stores-one-failed-transaction", "first %s; replay %s", first409,
	         it_e(rc, &err));

	/* ---- races: cancel against approval, purchases against one wallet ---- */
	struct event_base *base = event_base_new();
	enum { RACES = 16, BUYS = 10 };
	char race_ids[RACES][40];
	race_t races[RACES];
	race_slot_t slots[RACES][2];
	long long b_before = api_balance(b, UID_B, coin);
	int proposed = 0, started_r = 0;
	memset(races, 0, sizeof races);
	for (int i = 0; i < RACES; i++) {
		char key[32];
		snprintf(key, sizeof key, "race-%d", i);
		tx_init(&x, UID_A, UID_B, coin, 1, -1, -1);
		race_ids[i][0] = '\0';
		if (create(a, &x, key, &tx, &err) == 0) {
			snprintf(race_ids[i], sizeof race_ids[i], "%s", tx->uid);
			proposed++;
		}
	}
	for (int i = 0; i < RACES; i++) {
		slots[i][0] = (race_slot_t){&races[i], 0};
		slots[i][1] = (race_slot_t){&races[i], 1};
		int first = i % 2;
		started_r += race_start(first ? a : b, base, race_ids[i], !first, &slots[i][first]) == 0;
		started_r += race_start(first ? b : a, base, race_ids[i], first, &slots[i][!first]) == 0;
	}
	event_base_dispatch(base);
	int one_winner = 0, approved = 0, agree = 0;
	char rwhy[256] = "";
	for (int i = 0; i < RACES; i++) {
		race_t *rr = &races[i];
		int wins = (rr->rc[0] == 0) + (rr->rc[1] == 0);
		int loser_ok = wins == 1 && rr->status[rr->rc[0] == 0 ? 1 : 0] == 409;
		one_winner += rr->calls == 2 && loser_ok;
		if (!(rr->calls == 2 && loser_ok) && !rwhy[0])
			snprintf(rwhy, sizeof rwhy, "race %d: approve %d %s, cancel %d %s", i, rr->status[0], rr->code[0], rr->status[1],
			         rr->code[1]);
		approved += rr->rc[0] == 0;
		if (economy_client_get_transaction(a, race_ids[i], NULL, &tx, arena, &err) == 0 &&
		    strcmp(tx->status, rr->rc[0] == 0 ? "COMPLETE" : "CANCELLED") == 0)
			agree++;
	}
	printf("# %d cancel/approve races: %d approved first, %d cancelled first\n", RACES, approved, RACES - approved);
	it_check(proposed == RACES && started_r == 2 * RACES && one_winner == RACES && agree == RACES,
	         "a-cancel-racing-the-approval-exactly-one-wins-the-other-is-409-and-get-agrees",
	         "%d proposed, %d started, %d with one winner, %d agree; %s", proposed, started_r, one_winner, agree, rwhy);
	it_check(api_balance(b, UID_B, coin) == b_before + approved &&
	             it_sql_num(db, "SELECT count(*) FROM ledger_entry e JOIN transaction t ON t.uid = e.transaction_uid "
	                            "WHERE t.status = 'CANCELLED'") == 0,
	         "only-the-approved-ones-moved-value", "B %lld, before %lld, %d approved", api_balance(b, UID_B, coin), b_before,
	         approved);

	rc = define_item(admin, "potion", coin, 10, 1, &res, &err);
	const char *uid_d = "dddddddd-0000-4000-8000-00000000000d";
	axr_client_t *d = it_client(url, it_mint(uid_d, NULL));
	tx_init(&x, NULL, uid_d, coin, 50, 1, 1);
	rc = rc ? rc : economy_client_create_transaction(admin, &x.t, NULL, &tx, arena, &err);
	buys_t buys = {0};
	int started_b = 0;
	char bkeys[BUYS][24];
	for (int i = 0; rc == 0 && i < BUYS; i++) {
		Economy__PurchaseRequest pr = ECONOMY__PURCHASE_REQUEST__INIT;
		Economy__PurchaseResourceInput pro = ECONOMY__PURCHASE_RESOURCE_INPUT__INIT;
		pr.has_quantity = 1;
		pr.quantity = 1;
		snprintf(bkeys[i], sizeof bkeys[i], "potion-%d", i);
		pro.idempotency_key = bkeys[i];
		started_b += economy_client_purchase_resource_async(d, base, "potion", &pr, &pro, arena, &err, on_buy, &buys) == 0;
	}
	event_base_dispatch(base);
	it_check(rc == 0 && started_b == BUYS && buys.calls == BUYS && buys.ok == 5 && buys.poor == 5 &&
	             api_balance(d, uid_d, coin) == 0 && api_balance(d, uid_d, res->uid) == 5,
	         "ten-purchases-racing-for-50-coins-five-win-five-are-409-nothing-negative",
	         "%s; %d started, %d answered: %d ok, %d poor, %d other (%s); coin %lld", it_e(rc, &err), started_b, buys.calls,
	         buys.ok, buys.poor, buys.other, buys.why, api_balance(d, uid_d, coin));
	axr_client_free(d);

	/* ---- the same key twenty times at once ---- */
	same_t same = {0};
	int started = 0;
	tx_init(&x, UID_A, UID_B, coin, 3, -1, -1);
	Economy__CreateTransactionInput so = ECONOMY__CREATE_TRANSACTION_INPUT__INIT;
	so.idempotency_key = IT_STR("same-20");
	for (int i = 0; i < 20; i++)
		started += economy_client_create_transaction_async(a, base, &x.t, &so, arena, &err, on_same, &same) == 0;
	event_base_dispatch(base);
	int identical = same.ok == 20;
	for (int i = 1; identical && i < 20; i++)
		identical = strcmp(same.uids[i], same.uids[0]) == 0;
	it_check(started == 20 && same.calls == 20 && identical &&
	             it_sql_num(db, "SELECT count(*) FROM transaction t JOIN idempotency_key k ON (k.response_body::jsonb->>'uid')::uuid "
	                            "= t.uid WHERE k.idem_key = 'same-20'") == 1,
	         "the-same-key-20-times-in-flight-one-transaction-every-answer-its-uid", "%d started, %d answered, %d ok; %s",
	         started, same.calls, same.ok, same.why);

	/* ---- concurrent transfers conserve the total ---- */
	fire_t *f = calloc(1, sizeof *f);
	Economy__Resource chip = ECONOMY__RESOURCE__INIT;
	chip.name = IT_STR("chip");
	rc = economy_client_create_resource(admin, &chip, NULL, &res, arena, &err);
	f->chip = rc == 0 ? res->uid : "";
	f->base = base;
	f->c = admin;
	f->seed = 42;
	int minted = 0;
	for (int i = 0; i < FIRE_OWNERS; i++) {
		snprintf(f->owners[i], sizeof f->owners[i], "f%07d-0000-4000-8000-%012d", i, i);
		tx_init(&x, NULL, f->owners[i], f->chip, FIRE_GRANT, 1, 1);
		minted += economy_client_create_transaction(admin, &x.t, NULL, NULL, arena, &err) == 0;
	}
	long long t0 = it_now_ms();
	fire_start(f);
	event_base_dispatch(base);
	long long ms = it_now_ms() - t0;
	printf("# %d transfers in %lld ms with %d in flight: %d complete, %d insufficient funds, %d invalid\n", FIRE_OPS, ms,
	       FIRE_INFLIGHT, f->created, f->conflicts, f->invalid);
	it_check(minted == FIRE_OWNERS && f->answered == FIRE_OPS && f->other == 0 && f->created > FIRE_OPS / 2 &&
	             f->conflicts > 0,
	         "concurrent-transfers-from-async-stubs-each-answered-201-409-or-400", "%d minted, %d answered, %d other (%s)",
	         minted, f->answered, f->other, f->other_what);
	long long api_total = api_balance(admin, NULL, f->chip);
	char q[512];
	snprintf(q, sizeof q, "SELECT sum(quantity) FROM inventory_item WHERE resource_uid = '%s'", f->chip);
	long long sql_total = it_sql_num(db, q);
	it_check(api_total == (long long)FIRE_OWNERS * FIRE_GRANT && sql_total == api_total,
	         "the-total-is-conserved-exactly-through-the-api-and-in-sql", "api %lld, sql %lld, want %d", api_total,
	         sql_total, FIRE_OWNERS * FIRE_GRANT);
	snprintf(q, sizeof q,
	         "SELECT count(*) FROM transaction WHERE kind = 'TRANSFER' AND status = 'COMPLETE' AND resources::text LIKE '%%%s%%'",
	         f->chip);
	long long complete = it_sql_num(db, q);
	it_check(complete == f->created, "complete-transfers-in-sql-equal-the-201-answers", "sql %lld, answers %d", complete,
	         f->created);
	event_base_free(base);
	free(f);

	/* ---- the books ---- */
	it_check(it_sql_num(db, "SELECT count(*) FROM inventory_item WHERE quantity < 0") == 0 &&
	             it_sql_num(db, "SELECT count(*) FROM inventory_item i FULL JOIN (SELECT owner_uid, resource_uid, sum(delta) s "
	                            "FROM ledger_entry GROUP BY 1, 2) l USING (owner_uid, resource_uid) "
	                            "WHERE coalesce(i.quantity, 0) <> coalesce(l.s, 0)") == 0 &&
	             it_sql_num(db, "SELECT count(*) FROM (SELECT e.transaction_uid FROM ledger_entry e JOIN transaction t ON "
	                            "t.uid = e.transaction_uid WHERE t.kind = 'TRANSFER' GROUP BY 1 HAVING sum(delta) <> 0) x") == 0 &&
	             it_sql_num(db, "SELECT count(*) FROM ledger_entry e JOIN transaction t ON t.uid = e.transaction_uid "
	                            "WHERE t.status <> 'COMPLETE'") == 0,
	         "afterwards-no-negative-balance-every-balance-equals-its-ledger-transfers-net-zero", "see SQL");
	snprintf(q, sizeof q, "SELECT sum(quantity) FROM inventory_item WHERE resource_uid = '%s'", coin);
	it_check(it_sql_num(db, q) == 173 && api_balance(admin, NULL, coin) == 173,
	         "coins-in-circulation-203-minted-minus-30-paid-for-the-sword", "sql %lld api %lld", it_sql_num(db, q),
	         api_balance(admin, NULL, coin));

	axr_client_t *all[] = {a, b, cc, admin, anon};
	return it_done(arena, all, 5);
}
