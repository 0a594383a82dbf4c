/* test_crud.c: the generic CRUD engine (runtime/crud.c) against a real PostgreSQL, in a database of its own. */
#include <ctype.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "crud.h"
#include "crud_fixture.h"
#include "format.h"
#include "row.h"

static axr_test_db_t fdb;
static axr_db_t *db;
static fix_caller_t alice, bob, admin, anon, oper;

static const char *const item_ddl =
	"CREATE TABLE item (uid uuid PRIMARY KEY, date_created timestamptz NOT NULL,"
	" date_modified timestamptz NOT NULL, version bigint NOT NULL,"
	" name text NOT NULL CONSTRAINT item_name_key UNIQUE, owner_uid uuid NOT NULL,"
	" quantity bigint NOT NULL DEFAULT 0 CONSTRAINT item_quantity_check CHECK (quantity >= 0),"
	" price double precision, active boolean, expires_at timestamptz, birthday date, data jsonb,"
	" level bigint, sku text CONSTRAINT item_sku_key UNIQUE, note text DEFAULT 'none')";
static const char *const gadget_ddl =
	"CREATE TABLE gadget (uid uuid PRIMARY KEY, date_created timestamptz NOT NULL,"
	" date_modified timestamptz NOT NULL, version bigint NOT NULL, label text, weight bigint,"
	" color text, tags jsonb)";

/* The change hook records what it saw. */
static int changes[5];
static char last_change_name[64];

static void record_change(axr_request_t *req, const axr_entity_t *e, int action, const ProtobufCMessage *row)
{
	(void)req;
	(void)e;
	changes[action]++;
	last_change_name[0] = '\0';
	if (row && row->descriptor == &crudtest__item__descriptor && ((const Crudtest__Item *)row)->name)
		snprintf(last_change_name, sizeof last_change_name, "%s", ((const Crudtest__Item *)row)->name);
}

static int group_setup(void **state)
{
	(void)state;
	if (axr_test_db_create(&fdb, "axr_t", "crud", "LC_COLLATE 'C' LC_CTYPE 'C'") != 0 || axr_db_new(fdb.url, NULL, &db) != 0)
		return -1;
	fix_caller_init(&alice, FIX_USER_A, NULL);
	fix_caller_init(&bob, FIX_USER_B, "player");
	fix_caller_init(&admin, FIX_ADMIN, "admin");
	fix_caller_init(&anon, NULL, NULL);
	fix_caller_init(&oper, "dddddddd-0000-4000-8000-000000000004", "operator");
	axr_crud_on_change = record_change;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	fix_caller_free(&alice);
	fix_caller_free(&bob);
	fix_caller_free(&admin);
	fix_caller_free(&anon);
	fix_caller_free(&oper);
	axr_db_free(db);
	axr_crud_cache_free();
	axr_test_db_destroy(&fdb);
	return 0;
}

/* Fresh tables before each test. */
static int reset_tables(void **state)
{
	(void)state;
	static const char *const sql[] = {"DROP TABLE IF EXISTS item, gadget", item_ddl, gadget_ddl};
	for (size_t i = 0; i < 3; i++)
		if (axr_db_exec(db, NULL, sql[i], 0, NULL, NULL, NULL, NULL) != 0) {
			fprintf(stderr, "%s: %s\n", sql[i], axr_db_last_error(db)->message);
			return -1;
		}
	memset(changes, 0, sizeof changes);
	return 0;
}

/* Asserts `rc` and the status of the answer, printing the body on a mismatch. */
#define assert_answer(c, rc, want)                                                                     \
	do {                                                                                               \
		int rc__ = (rc);                                                                               \
		if (rc__ != (want))                                                                            \
			print_error("%s -> %s (status %d, body %s, reason %s), want %s\n", #rc, axr_errname(rc__), \
			            (c)->req.status, fix_body(c), (c)->req.error_reason ? (c)->req.error_reason : "",   \
			            axr_errname(want));                                                        \
		assert_int_equal(rc__, (want));                                                                \
		if ((want) != 0)                                                                               \
			assert_int_equal((c)->req.status, axr_err_http_status(want));                             \
	} while (0)

/* Asserts the error body mentions `words`. */
static void assert_body_has(fix_caller_t *c, const char *words)
{
	const char *body = fix_body(c);
	if (strstr(body, words) == NULL)
		print_error("body %s lacks %s\n", body, words);
	assert_non_null(strstr(body, words));
}

/* protobuf-c string fields are `char *`; the engine never writes through them. */
static char *mut(const char *s)
{
	union {
		const char *c;
		char *m;
	} u = {.c = s};
	return u.m;
}

static Crudtest__Item item_named(const char *name, int64_t quantity)
{
	Crudtest__Item it = CRUDTEST__ITEM__INIT;
	it.name = mut(name);
	it.has_quantity = 1;
	it.quantity = quantity;
	return it;
}

/* Creates an item as `c`; returns a copy of its uid in `uid` (37 bytes). */
static void create_item(fix_caller_t *c, const char *name, int64_t quantity, char *uid)
{
	Crudtest__Item it = item_named(name, quantity);
	axr_crud_result_t res;
	assert_answer(c, axr_crud_create(fix_call(c, NULL), db, &fix_item, &it.base, &res), 0);
	if (uid)
		snprintf(uid, 37, "%s", ((Crudtest__Item *)res.row)->uid);
}

static const Crudtest__Item *row_of(const axr_crud_result_t *res)
{
	return (const Crudtest__Item *)res->row;
}

/* The names of a list result, comma-separated, into buf. */
static const char *names_of(const axr_crud_result_t *res, char *buf, size_t cap)
{
	buf[0] = '\0';
	for (size_t i = 0; i < res->n_rows; i++) {
		size_t len = strlen(buf);
		snprintf(buf + len, cap - len, "%s%s", i ? "," : "", ((Crudtest__Item *)res->rows[i])->name);
	}
	return buf;
}

/* Lists as `c` with `query` and asserts the names, in order. */
static void expect_list(fix_caller_t *c, const char *query, const char *names)
{
	axr_crud_result_t res;
	char got[1024];
	assert_answer(c, axr_crud_list(fix_call(c, query), db, &fix_item, NULL, &res), 0);
	names_of(&res, got, sizeof got);
	if (strcmp(got, names) != 0)
		print_error("?%s -> [%s], want [%s]\n", query ? query : "", got, names);
	assert_string_equal(got, names);
}

static void test_crud_create_assigns_uid_dates_version_owner_and_defaults(void **state)
{
	(void)state;
	Crudtest__Item it = item_named("sword", 3);
	it.uid = "11111111-1111-4111-8111-111111111111"; /* read-only: ignored */
	it.has_version = 1;
	it.version = 42;
	axr_crud_result_t res;
	assert_answer(&alice, axr_crud_create(fix_call(&alice, NULL), db, &fix_item, &it.base, &res), 0);
	const Crudtest__Item *row = row_of(&res);
	assert_non_null(row->uid);
	assert_true(axr_format_check(AXR_FORMAT_UUID, row->uid, strlen(row->uid)));
	assert_string_not_equal(row->uid, it.uid);
	assert_true(row->has_version);
	assert_int_equal(row->version, 0);
	assert_int_equal(res.version, 0);
	assert_non_null(row->date_created);
	assert_true(axr_format_check(AXR_FORMAT_DATE_TIME, row->date_created, strlen(row->date_created)));
	assert_int_equal(row->date_created[strlen(row->date_created) - 1], 'Z');
	assert_string_equal(row->date_created, row->date_modified);
	assert_string_equal(row->owner_uid, FIX_USER_A);
	assert_string_equal(row->note, "none");
	assert_false(row->has_price);
	assert_null(row->data);
	assert_string_equal(fix_response_header(&alice, "ETag"), "\"0\"");
	assert_int_equal(changes[AXR_CRUD_ACTION_CREATE], 1);
	assert_string_equal(last_change_name, "sword");
	assert_int_equal(axr_test_db_scalar(db, "SELECT count(*) FROM item WHERE name = 'sword' AND version = 0"), 1);
}

static void test_crud_create_round_trips_every_column_type(void **state)
{
	(void)state;
	Crudtest__Item it = item_named("typed", INT64_C(9007199254740993));
	it.has_price = 1, it.price = 0.1;
	it.has_active = 1, it.active = 1;
	it.expires_at = "2024-05-01T12:00:00.250+02:00";
	it.birthday = "2000-02-29";
	it.data = "{\"b\": [1, 2.5, \"x\"], \"a\": null}";
	it.has_level = 1, it.level = -7;
	it.sku = "SKU-1";
	it.note = "hello";
	axr_crud_result_t res;
	assert_answer(&alice, axr_crud_create(fix_call(&alice, NULL), db, &fix_item, &it.base, &res), 0);
	const Crudtest__Item *row = row_of(&res);
	assert_int_equal(row->quantity, INT64_C(9007199254740993));
	assert_true(row->has_price && row->price == 0.1);
	assert_true(row->has_active && row->active);
	assert_string_equal(row->expires_at, "2024-05-01T10:00:00.25Z");
	assert_string_equal(row->birthday, "2000-02-29");
	assert_string_equal(row->data, "{\"a\": null, \"b\": [1, 2.5, \"x\"]}");
	assert_true(row->has_level);
	assert_int_equal(row->level, -7);
	assert_string_equal(row->sku, "SKU-1");
	assert_string_equal(row->note, "hello");

	/* Whole seconds lose the fraction entirely. */
	it = item_named("typed2", 0);
	it.expires_at = "2030-01-02T03:04:05Z";
	assert_answer(&alice, axr_crud_create(fix_call(&alice, NULL), db, &fix_item, &it.base, &res), 0);
	assert_string_equal(row_of(&res)->expires_at, "2030-01-02T03:04:05Z");
	/* Bad jsonb text is a 400, not a 500. */
	it = item_named("typed3", 0);
	it.data = "{not json";
	assert_answer(&alice, axr_crud_create(fix_call(&alice, NULL), db, &fix_item, &it.base, &res), AXR_EVALIDATION);
}

static void test_crud_create_for_another_user_is_403_unless_trusted(void **state)
{
	(void)state;
	Crudtest__Item it = item_named("gift", 1);
	it.owner_uid = FIX_USER_B;
	axr_crud_result_t res;
	assert_answer(&alice, axr_crud_create(fix_call(&alice, NULL), db, &fix_item, &it.base, &res), AXR_EFORBIDDEN);
	assert_body_has(&alice, "\"path\":\"/ownerUid\"");
	assert_int_equal(axr_test_db_scalar(db, "SELECT count(*) FROM item"), 0);
	/* Naming yourself (any case) is fine. */
	it.owner_uid = "AAAAAAAA-0000-4000-8000-000000000001";
	assert_answer(&alice, axr_crud_create(fix_call(&alice, NULL), db, &fix_item, &it.base, &res), 0);
	/* An admin may create for anyone. */
	it = item_named("gift2", 1);
	it.owner_uid = FIX_USER_B;
	assert_answer(&admin, axr_crud_create(fix_call(&admin, NULL), db, &fix_item, &it.base, &res), 0);
	assert_string_equal(row_of(&res)->owner_uid, FIX_USER_B);
	/* Anonymous callers cannot own rows. */
	it = item_named("gift3", 1);
	assert_answer(&anon, axr_crud_create(fix_call(&anon, NULL), db, &fix_item, &it.base, &res), AXR_EUNAUTHORIZED);
	assert_int_equal(changes[AXR_CRUD_ACTION_CREATE], 2);
}

static void test_crud_create_maps_constraint_violations_to_fields(void **state)
{
	(void)state;
	axr_crud_result_t res;
	create_item(&alice, "unique", 1, NULL);
	Crudtest__Item it = item_named("unique", 1);
	assert_answer(&bob, axr_crud_create(fix_call(&bob, NULL), db, &fix_item, &it.base, &res), AXR_EEXISTS);
	assert_body_has(&bob, "{\"path\":\"/name\",\"message\":\"already exists\"}");
	assert_body_has(&bob, "a Item with this name already exists");

	it = item_named("sku1", 1);
	it.sku = "S";
	assert_answer(&alice, axr_crud_create(fix_call(&alice, NULL), db, &fix_item, &it.base, &res), 0);
	it.name = "sku2";
	assert_answer(&alice, axr_crud_create(fix_call(&alice, NULL), db, &fix_item, &it.base, &res), AXR_EEXISTS);
	assert_body_has(&alice, "\"path\":\"/sku\"");

	it = item_named("negative", -1);
	assert_answer(&alice, axr_crud_create(fix_call(&alice, NULL), db, &fix_item, &it.base, &res), AXR_ECONFLICT);
	assert_body_has(&alice, "{\"path\":\"/quantity\",\"message\":\"must not be negative\"}");

	it = item_named(NULL, 1);
	assert_answer(&alice, axr_crud_create(fix_call(&alice, NULL), db, &fix_item, &it.base, &res), AXR_EVALIDATION);
	assert_body_has(&alice, "{\"path\":\"/name\",\"message\":\"is required\"}");

	it = item_named("aaaaaaaa-0000-4000-8000-0000000000ff", 1);
	assert_answer(&alice, axr_crud_create(fix_call(&alice, NULL), db, &fix_item, &it.base, &res), AXR_EVALIDATION);
	assert_body_has(&alice, "must not look like a uuid");

	assert_answer(&alice, axr_crud_create(fix_call(&alice, NULL), db, &fix_item, NULL, &res), AXR_EVALIDATION);
	/* No SQL or server text leaks into an answer. */
	assert_null(strstr(fix_body(&alice), "INSERT"));
	assert_int_equal(axr_test_db_scalar(db, "SELECT count(*) FROM item"), 2);
}

static void test_crud_get_by_uid_or_identifier(void **state)
{
	(void)state;
	char uid[37];
	axr_crud_result_t res;
	create_item(&alice, "shield", 2, uid);
	assert_answer(&alice, axr_crud_get(fix_call(&alice, NULL), db, &fix_item, uid, &res), 0);
	assert_string_equal(row_of(&res)->name, "shield");
	assert_string_equal(fix_response_header(&alice, "ETag"), "\"0\"");
	assert_answer(&alice, axr_crud_get(fix_call(&alice, NULL), db, &fix_item, "shield", &res), 0);
	assert_string_equal(row_of(&res)->uid, uid);
	/* Upper-case uid is the same uid. */
	for (char *p = uid; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	assert_answer(&alice, axr_crud_get(fix_call(&alice, NULL), db, &fix_item, uid, &res), 0);
	assert_answer(&alice, axr_crud_get(fix_call(&alice, NULL), db, &fix_item, "aaaaaaaa-0000-4000-8000-0000000000ff",
	                                   &res), AXR_ENOTFOUND);
	assert_answer(&alice, axr_crud_get(fix_call(&alice, NULL), db, &fix_item, "nothing", &res), AXR_ENOTFOUND);
	assert_answer(&alice, axr_crud_get(fix_call(&alice, NULL), db, &fix_item, "", &res), AXR_ENOTFOUND);
	assert_answer(&alice, axr_crud_get(fix_call(&alice, NULL), db, &fix_item, "x' OR '1'='1", &res), AXR_ENOTFOUND);
	/* An entity without identifier: a non-uuid names nothing. */
	assert_answer(&alice, axr_crud_get(fix_call(&alice, NULL), db, &fix_gadget, "shield", &res), AXR_ENOTFOUND);
	assert_null(res.row);
}

static void test_crud_other_users_rows_are_404_and_invisible(void **state)
{
	(void)state;
	char uid[37];
	axr_crud_result_t res;
	create_item(&alice, "secret", 5, uid);
	create_item(&bob, "bobs", 1, NULL);

	assert_answer(&bob, axr_crud_get(fix_call(&bob, NULL), db, &fix_item, uid, &res), AXR_ENOTFOUND);
	assert_answer(&bob, axr_crud_get(fix_call(&bob, NULL), db, &fix_item, "secret", &res), AXR_ENOTFOUND);
	Crudtest__Item it = item_named("stolen", 0);
	it.has_version = 1;
	assert_answer(&bob, axr_crud_update(fix_call(&bob, NULL), db, &fix_item, uid, &it.base, &res), AXR_ENOTFOUND);
	assert_answer(&bob, axr_crud_delete(fix_call(&bob, NULL), db, &fix_item, uid, &res), AXR_ENOTFOUND);
	fix_call(&bob, NULL);
	fix_header(&bob, "If-Match", "\"0\"");
	assert_answer(&bob, axr_crud_delete(&bob.req, db, &fix_item, "secret", &res), AXR_ENOTFOUND);
	expect_list(&bob, NULL, "bobs");
	expect_list(&bob, "name=secret", "");
	expect_list(&bob, "ownerUid=aaaaaaaa-0000-4000-8000-000000000001", "");
	assert_answer(&bob, axr_crud_count(fix_call(&bob, "name=secret"), db, &fix_item, NULL, &res), 0);
	assert_int_equal(res.count, 0);
	assert_answer(&bob, axr_crud_count(fix_call(&bob, NULL), db, &fix_item, NULL, &res), 0);
	assert_int_equal(res.count, 1);
	assert_string_equal(fix_response_header(&bob, "X-Total-Count"), "1");
	/* The row is untouched and the owner and admin still see it. */
	assert_int_equal(axr_test_db_scalar(db, "SELECT count(*) FROM item WHERE name = 'secret' AND version = 0"), 1);
	assert_answer(&alice, axr_crud_get(fix_call(&alice, NULL), db, &fix_item, uid, &res), 0);
	assert_answer(&admin, axr_crud_get(fix_call(&admin, NULL), db, &fix_item, uid, &res), 0);
	expect_list(&admin, "sort=name", "bobs,secret");
	/* Anonymous callers get 401 on an owned entity. */
	assert_answer(&anon, axr_crud_list(fix_call(&anon, NULL), db, &fix_item, NULL, &res), AXR_EUNAUTHORIZED);
	assert_answer(&anon, axr_crud_get(fix_call(&anon, NULL), db, &fix_item, uid, &res), AXR_EUNAUTHORIZED);
	assert_int_equal(changes[AXR_CRUD_ACTION_UPDATE] + changes[AXR_CRUD_ACTION_DELETE], 0);
}

static void test_crud_update_replaces_and_bumps_version(void **state)
{
	(void)state;
	char uid[37];
	axr_crud_result_t res;
	Crudtest__Item it = item_named("bow", 4);
	it.has_price = 1, it.price = 9.5;
	it.note = "custom";
	assert_answer(&alice, axr_crud_create(fix_call(&alice, NULL), db, &fix_item, &it.base, &res), 0);
	snprintf(uid, sizeof uid, "%s", row_of(&res)->uid);
	char created[40];
	snprintf(created, sizeof created, "%s", row_of(&res)->date_created);

	/* Full replacement: absent properties become NULL or their default. */
	Crudtest__Item upd = item_named("longbow", 0);
	upd.has_quantity = 0;
	upd.has_version = 1, upd.version = 0;
	assert_answer(&alice, axr_crud_update(fix_call(&alice, NULL), db, &fix_item, uid, &upd.base, &res), 0);
	const Crudtest__Item *row = row_of(&res);
	assert_string_equal(row->name, "longbow");
	assert_int_equal(row->version, 1);
	assert_int_equal(row->quantity, 0);
	assert_false(row->has_price);
	assert_string_equal(row->note, "none");
	assert_string_equal(row->owner_uid, FIX_USER_A);
	assert_string_equal(row->date_created, created);
	assert_int_equal(axr_test_db_scalar(db, "SELECT count(*) FROM item WHERE date_modified > date_created"), 1);
	assert_string_equal(fix_response_header(&alice, "ETag"), "\"1\"");
	assert_int_equal(changes[AXR_CRUD_ACTION_UPDATE], 1);

	/* The same version again is stale. */
	assert_answer(&alice, axr_crud_update(fix_call(&alice, NULL), db, &fix_item, uid, &upd.base, &res), AXR_ECONFLICT);
	assert_body_has(&alice, "version 0 is stale: the current version is 1");
	/* If-Match wins over the body and works by identifier too. */
	fix_call(&alice, NULL);
	fix_header(&alice, "If-Match", " \"1\" ");
	assert_answer(&alice, axr_crud_update(&alice.req, db, &fix_item, "longbow", &upd.base, &res), 0);
	assert_int_equal(row_of(&res)->version, 2);
	fix_call(&alice, NULL);
	fix_header(&alice, "If-Match", "W/\"2\"");
	assert_answer(&alice, axr_crud_update(&alice.req, db, &fix_item, uid, &upd.base, &res), AXR_EVALIDATION);
	assert_body_has(&alice, "/header/If-Match");
	/* ?version= is the last resort; none at all is a 400. */
	upd.has_version = 0;
	assert_answer(&alice, axr_crud_update(fix_call(&alice, "version=2"), db, &fix_item, uid, &upd.base, &res), 0);
	assert_int_equal(row_of(&res)->version, 3);
	assert_answer(&alice, axr_crud_update(fix_call(&alice, NULL), db, &fix_item, uid, &upd.base, &res), AXR_EVALIDATION);
	assert_body_has(&alice, "{\"path\":\"/version\"");
	/* Handing the row to someone else is a 403; an admin may. */
	upd.has_version = 1, upd.version = 3;
	upd.owner_uid = FIX_USER_B;
	assert_answer(&alice, axr_crud_update(fix_call(&alice, NULL), db, &fix_item, uid, &upd.base, &res), AXR_EFORBIDDEN);
	assert_answer(&admin, axr_crud_update(fix_call(&admin, NULL), db, &fix_item, uid, &upd.base, &res), 0);
	assert_string_equal(row_of(&res)->owner_uid, FIX_USER_B);
	assert_answer(&alice, axr_crud_get(fix_call(&alice, NULL), db, &fix_item, uid, &res), AXR_ENOTFOUND);
	/* A unique clash on update names the field. */
	create_item(&bob, "arrow", 1, NULL);
	upd = item_named("arrow", 1);
	upd.has_version = 1, upd.version = 4;
	assert_answer(&bob, axr_crud_update(fix_call(&bob, NULL), db, &fix_item, uid, &upd.base, &res), AXR_EEXISTS);
	assert_body_has(&bob, "\"path\":\"/name\"");
	assert_int_equal(changes[AXR_CRUD_ACTION_UPDATE], 4);
}

typedef struct racer {
	const char *uid;
	const char *name;
	pthread_barrier_t *start;
	int rc;
	int status;
} racer_t;

static void *race_update(void *arg)
{
	racer_t *r = arg;
	fix_caller_t c;
	axr_db_t *mine = NULL;
	axr_crud_result_t res;
	fix_caller_init(&c, FIX_USER_A, NULL);
	if (axr_db_new(fdb.url, NULL, &mine) != 0 || axr_db_connect(mine) != 0) {
		r->rc = AXR_EUNAVAILABLE;
		pthread_barrier_wait(r->start);
		goto done;
	}
	/* Warm the prepared statement so both really race on the row. */
	axr_crud_db_prepare(mine, &fix_item);
	Crudtest__Item it = item_named(r->name, 1);
	it.has_version = 1, it.version = 0;
	pthread_barrier_wait(r->start);
	r->rc = axr_crud_update(fix_call(&c, NULL), mine, &fix_item, r->uid, &it.base, &res);
	r->status = c.req.status;
done:
	axr_db_free(mine);
	fix_caller_free(&c);
	return NULL;
}

static void test_crud_concurrent_updates_of_one_version_one_wins_one_conflicts(void **state)
{
	(void)state;
	char uid[37];
	create_item(&alice, "contested", 1, uid);
	for (int round = 0; round < 5; round++) {
		if (round > 0)
			axr_test_sql(db, "UPDATE item SET version = 0");
		pthread_barrier_t start;
		pthread_barrier_init(&start, NULL, 2);
		racer_t r[2] = {{.uid = uid, .name = "one", .start = &start}, {.uid = uid, .name = "two", .start = &start}};
		pthread_t t[2];
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_create(&t[i], NULL, race_update, &r[i]), 0);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&start);
		int ok = (r[0].rc == 0) + (r[1].rc == 0);
		int conflict = (r[0].rc == AXR_ECONFLICT) + (r[1].rc == AXR_ECONFLICT);
		if (ok != 1 || conflict != 1)
			print_error("round %d: %s / %s\n", round, axr_errname(r[0].rc), axr_errname(r[1].rc));
		assert_int_equal(ok, 1);
		assert_int_equal(conflict, 1);
		assert_int_equal(r[0].rc ? r[0].status : r[1].status, 409);
		assert_int_equal(axr_test_db_scalar(db, "SELECT version FROM item"), 1);
	}
}

static void test_crud_delete_checks_owner_and_version(void **state)
{
	(void)state;
	char uid[37];
	axr_crud_result_t res;
	create_item(&alice, "potion", 1, uid);
	fix_call(&alice, NULL);
	fix_header(&alice, "If-Match", "\"7\"");
	assert_answer(&alice, axr_crud_delete(&alice.req, db, &fix_item, uid, &res), AXR_ECONFLICT);
	assert_answer(&alice, axr_crud_delete(fix_call(&alice, "version=x"), db, &fix_item, uid, &res), AXR_EVALIDATION);
	assert_answer(&alice, axr_crud_delete(fix_call(&alice, "version=0"), db, &fix_item, "potion", &res), 0);
	assert_string_equal(row_of(&res)->name, "potion");
	assert_int_equal(changes[AXR_CRUD_ACTION_DELETE], 1);
	assert_string_equal(last_change_name, "potion");
	assert_answer(&alice, axr_crud_get(fix_call(&alice, NULL), db, &fix_item, uid, &res), AXR_ENOTFOUND);
	assert_answer(&alice, axr_crud_delete(fix_call(&alice, NULL), db, &fix_item, uid, &res), AXR_ENOTFOUND);
	/* A versioned delete of a missing row is a 404, not a conflict. */
	fix_call(&alice, NULL);
	fix_header(&alice, "If-Match", "\"0\"");
	assert_answer(&alice, axr_crud_delete(&alice.req, db, &fix_item, uid, &res), AXR_ENOTFOUND);
	/* The admin deletes anyone's row. */
	create_item(&bob, "elixir", 1, uid);
	assert_answer(&admin, axr_crud_delete(fix_call(&admin, NULL), db, &fix_item, uid, &res), 0);
	assert_int_equal(axr_test_db_scalar(db, "SELECT count(*) FROM item"), 0);
	assert_int_equal(changes[AXR_CRUD_ACTION_DELETE], 2);
}

static void test_crud_truncate_is_for_trusted_roles_only(void **state)
{
	(void)state;
	axr_crud_result_t res;
	create_item(&alice, "t1", 1, NULL);
	create_item(&alice, "t2", 2, NULL);
	create_item(&bob, "t3", 3, NULL);
	assert_answer(&alice, axr_crud_truncate(fix_call(&alice, NULL), db, &fix_item, NULL, &res), AXR_EFORBIDDEN);
	assert_answer(&anon, axr_crud_truncate(fix_call(&anon, NULL), db, &fix_item, NULL, &res), AXR_EUNAUTHORIZED);
	assert_int_equal(axr_test_db_scalar(db, "SELECT count(*) FROM item"), 3);
	assert_answer(&admin, axr_crud_truncate(fix_call(&admin, "limit=1"), db, &fix_item, NULL, &res), AXR_EVALIDATION);
	assert_answer(&admin, axr_crud_truncate(fix_call(&admin, "nope=1"), db, &fix_item, NULL, &res), AXR_EVALIDATION);
	assert_answer(&admin, axr_crud_truncate(fix_call(&admin, "quantity=gte(2)"), db, &fix_item, NULL, &res), 0);
	assert_int_equal(res.count, 2);
	assert_answer(&admin, axr_crud_run(fix_call(&admin, NULL), db, &fix_item, AXR_CRUD_TRUNCATE, NULL, NULL, &res), 0);
	assert_int_equal(res.count, 1);
	assert_int_equal(changes[AXR_CRUD_ACTION_TRUNCATE], 2);
	/* Gadget trusts "operator" only: admin is not enough there. */
	assert_answer(&admin, axr_crud_truncate(fix_call(&admin, NULL), db, &fix_gadget, NULL, &res), AXR_EFORBIDDEN);
	assert_answer(&oper, axr_crud_truncate(fix_call(&oper, NULL), db, &fix_gadget, NULL, &res), 0);
}

/* Nine items of Alice's with known values, one of Bob's. */
static void seed_items(void)
{
	static const struct {
		const char *name;
		int64_t quantity;
		const char *price; /* NULL: no price */
		int active;        /* -1: NULL */
		const char *expires;
	} rows[] = {
		{"apple", 1, "0.5", 1, "2024-01-01T00:00:00Z"},
		{"banana", 2, "0.25", 0, "2024-02-01T00:00:00Z"},
		{"cherry", 3, NULL, 1, "2024-03-01T00:00:00Z"},
		{"date", 4, "4", -1, NULL},
		{"elder", 5, "5.5", 0, "2025-01-01T00:00:00Z"},
		{"fig", 5, "6", 1, NULL},
		{"grape", 7, NULL, -1, "2023-12-31T23:59:59.999Z"},
		{"a_b", 8, "1", 1, NULL},
		{"a%b", 9, "1", 1, NULL},
	};
	axr_crud_result_t res;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		Crudtest__Item it = item_named(rows[i].name, rows[i].quantity);
		if (rows[i].price)
			it.has_price = 1, it.price = atof(rows[i].price);
		if (rows[i].active >= 0)
			it.has_active = 1, it.active = rows[i].active;
		it.expires_at = mut(rows[i].expires);
		assert_answer(&alice, axr_crud_create(fix_call(&alice, NULL), db, &fix_item, &it.base, &res), 0);
	}
	create_item(&bob, "bobfruit", 3, NULL);
}

static void test_crud_list_applies_every_operator(void **state)
{
	(void)state;
	seed_items();
	expect_list(&alice, "sort=name", "a%b,a_b,apple,banana,cherry,date,elder,fig,grape");
	expect_list(&alice, "name=cherry", "cherry");
	expect_list(&alice, "name=eq(cherry)", "cherry");
	expect_list(&alice, "quantity=ne(5)&sort=name", "a%b,a_b,apple,banana,cherry,date,grape");
	expect_list(&alice, "price=ne(1)&sort=name", "apple,banana,cherry,date,elder,fig,grape"); /* NULLs included */
	expect_list(&alice, "quantity=gt(5)&sort=name", "a%b,a_b,grape");
	expect_list(&alice, "quantity=gte(5)&quantity=lt(2)&sort=name", "a%b,a_b,apple,elder,fig,grape");
	expect_list(&alice, "quantity=lte(2)&sort=name", "apple,banana");
	expect_list(&alice, "name=in(fig,date,nothing)&sort=name", "date,fig");
	expect_list(&alice, "name=nin(fig,date,apple,banana,cherry)&sort=name", "a%b,a_b,elder,grape");
	expect_list(&alice, "name=like(a%25)&sort=name", "a%b,a_b,apple");
	expect_list(&alice, "name=like(a\\_b)", "a_b");
	expect_list(&alice, "name=like(a\\%25b)", "a%b");
	expect_list(&alice, "quantity=range(2,4)&sort=name", "banana,cherry,date");
	expect_list(&alice, "price=range(0.3,5)&sort=name", "a%b,a_b,apple,date");
	expect_list(&alice, "active=true&sort=name", "a%b,a_b,apple,cherry,fig");
	expect_list(&alice, "active=ne(true)&sort=name", "banana,date,elder,grape");
	expect_list(&alice, "expiresAt=2024-01-01T00:00:00Z", "apple");
	expect_list(&alice, "expiresAt=2024-01-01T01:00:00%2B01:00", "apple");
	expect_list(&alice, "expiresAt=lt(2024-01-01T01:00:00%2B01:00)", "grape");
	expect_list(&alice, "expiresAt=range(2024-01-15T00:00:00Z,2024-12-31T00:00:00Z)&sort=name", "banana,cherry");
	expect_list(&alice, "ownerUid=me&quantity=3", "cherry");
	expect_list(&admin, "quantity=3&sort=name", "bobfruit,cherry");
	expect_list(&admin, "quantity=3&ownerUid=me", "");
	/* Combinations: OR within a property, AND across. */
	expect_list(&alice, "name=apple&name=fig&quantity=gt(1)", "fig");
	expect_list(&alice, "name=like(a%25)&name=like(%25e)&active=true&sort=name", "a%b,a_b,apple");
	axr_crud_result_t res;
	assert_answer(&alice, axr_crud_count(fix_call(&alice, "quantity=gte(5)"), db, &fix_item, NULL, &res), 0);
	assert_int_equal(res.count, 5);
	assert_string_equal(fix_response_header(&alice, "X-Total-Count"), "5");
}

static void test_crud_list_sorts_and_pages(void **state)
{
	(void)state;
	seed_items();
	expect_list(&alice, "sort={\"quantity\":\"DESC\",\"name\":\"ASC\"}&limit=4", "a%b,a_b,grape,elder");
	expect_list(&alice, "sort={\"quantity\":\"DESC\",\"name\":\"ASC\"}&limit=4&page=1", "fig,date,cherry,banana");
	expect_list(&alice, "sort={\"quantity\":\"DESC\",\"name\":\"ASC\"}&limit=4&page=2", "apple");
	expect_list(&alice, "sort=name&limit=2&page=4", "grape");
	expect_list(&alice, "sort=name&limit=0", "");
	expect_list(&alice, "limit=1000&page=9223372036854775", "");
	expect_list(&alice, "sort=price&limit=2", "banana,apple");
	expect_list(&alice, "sort={\"price\":\"DESC\",\"name\":1}&limit=2", "cherry,grape"); /* NULLs first when descending */
	expect_list(&alice, "sort=expiresAt&name=in(apple,grape)", "grape,apple");
	/* Default order: creation order. */
	expect_list(&alice, "limit=3", "apple,banana,cherry");
	axr_crud_result_t res;
	assert_answer(&alice, axr_crud_list(fix_call(&alice, "limit=1001"), db, &fix_item, NULL, &res), AXR_EVALIDATION);
	assert_body_has(&alice, "{\"path\":\"/query/limit\"");
	assert_answer(&alice, axr_crud_list(fix_call(&alice, "page=-1"), db, &fix_item, NULL, &res), AXR_EVALIDATION);
	assert_answer(&alice, axr_crud_list(fix_call(&alice, "page=9223372036854775807"), db, &fix_item, NULL, &res),
	              AXR_EVALIDATION);
	assert_answer(&alice, axr_crud_list(fix_call(&alice, "nope=gt(1)"), db, &fix_item, NULL, &res), AXR_EVALIDATION);
	assert_body_has(&alice, "unknown filter \\\"nope\\\"");
	assert_answer(&anon, axr_crud_list(fix_call(&anon, "ownerUid=me"), db, &fix_gadget, NULL, &res),
	              AXR_EVALIDATION); /* Gadget has no ownerUid */
	/* The list message wraps the rows. */
	assert_answer(&alice, axr_crud_list(fix_call(&alice, "sort=name&limit=2"), db, &fix_item, NULL, &res), 0);
	ProtobufCMessage *list = NULL;
	assert_int_equal(axr_crud_list_message(&crudtest__item_list__descriptor, &res, alice.req.arena, &list), 0);
	const Crudtest__ItemList *l = (const Crudtest__ItemList *)list;
	assert_int_equal(l->n_items, 2);
	assert_string_equal(l->items[1]->name, "a_b");
	assert_int_equal(axr_crud_list_message(&crudtest__item__descriptor, &res, alice.req.arena, &list), AXR_EINVAL);
}

static void test_crud_injection_attempts_are_400_and_the_table_survives(void **state)
{
	(void)state;
	seed_items();
	static const char *const attacks[] = {
		"sort=uid;DROP TABLE item",
		"sort=uid%3BDROP%20TABLE%20item",
		"sort={\"x\":\"DESC; --\"}",
		"sort={\"name\":\"DESC; DROP TABLE item; --\"}",
		"sort=name%20DESC%3B%20DROP%20TABLE%20item",
		"name%27%3BDROP%20TABLE%20item%3B--=1",
		"na\"me=1",
		"quantity=gt(1);DROP TABLE item",
		"quantity=gt(1%29%3B%20DROP%20TABLE%20item%3B--)",
		"uid=in(x')",
		"limit=1;DROP TABLE item",
		"page=0%20OR%201=1",
	};
	axr_crud_result_t res;
	for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
		int rc = axr_crud_list(fix_call(&alice, attacks[i]), db, &fix_item, NULL, &res);
		if (rc != AXR_EVALIDATION)
			print_error("%s -> %s %s\n", attacks[i], axr_errname(rc), fix_body(&alice));
		assert_int_equal(rc, AXR_EVALIDATION);
		assert_int_equal(alice.req.status, 400);
	}
	/* SQL in a value is data: it matches nothing and harms nothing. */
	expect_list(&alice, "name=%27%3B%20DROP%20TABLE%20item%3B%20--", "");
	expect_list(&alice, "name=like(%25%27%20OR%20%271%27%3D%271)", "");
	assert_int_equal(axr_test_db_scalar(db, "SELECT count(*) FROM item"), 10);
}

static void test_crud_errors_are_safe_when_the_database_is_down(void **state)
{
	(void)state;
	axr_db_t *dead = NULL;
	axr_crud_result_t res;
	assert_int_equal(axr_db_new("postgresql://postgres@127.0.0.1:1/none", NULL, &dead), 0);
	assert_answer(&alice, axr_crud_get(fix_call(&alice, NULL), dead, &fix_item, "x", &res), AXR_EUNAVAILABLE);
	assert_answer(&alice, axr_crud_list(fix_call(&alice, NULL), dead, &fix_item, NULL, &res), AXR_EUNAVAILABLE);
	assert_body_has(&alice, "retry later");
	axr_db_free(dead);
}

static const axr_column_t broken_columns[] = {
	FIX_BASE_COLUMNS(),
	{.name = "Bad-Name", .json_name = "bad", .type = AXR_COL_TEXT, .field = 5},
};
static const axr_entity_t broken = {
	.name = "Broken", .table = "broken", .columns = broken_columns, .n_columns = 5,
	.message = &crudtest__gadget__descriptor, .owner_column = -1, .identifier_column = -1,
};
static const axr_column_t mistyped_columns[] = {
	FIX_BASE_COLUMNS(),
	{.name = "label", .json_name = "label", .type = AXR_COL_BIGINT, .field = 5},
};
static const axr_entity_t mistyped = {
	.name = "Mistyped", .table = "mistyped", .columns = mistyped_columns, .n_columns = 5,
	.message = &crudtest__gadget__descriptor, .owner_column = -1, .identifier_column = -1,
};

static void test_crud_refuses_broken_entity_tables(void **state)
{
	(void)state;
	char why[256] = "";
	assert_int_equal(axr_crud_prepare(&broken, why, sizeof why), AXR_ECONFIG);
	assert_non_null(strstr(why, "\"Bad-Name\" is not a lowercase SQL identifier"));
	assert_int_equal(axr_crud_prepare(&mistyped, why, sizeof why), AXR_ECONFIG);
	assert_non_null(strstr(why, "column label (bigint) cannot be carried by field label"));
	assert_int_equal(axr_crud_prepare(&fix_item, why, sizeof why), 0);
	axr_crud_result_t res;
	/* A broken table is a 500 whose body says nothing about it. */
	assert_int_equal(axr_crud_run(fix_call(&admin, NULL), db, &broken, AXR_CRUD_LIST, NULL, NULL, &res), AXR_ECONFIG);
	assert_int_equal(admin.req.status, 500);
	assert_body_has(&admin, "internal error");
	assert_null(strstr(fix_body(&admin), "Bad-Name"));
	assert_non_null(strstr(admin.req.error_reason, "Bad-Name"));
	assert_int_equal(axr_crud_run(fix_call(&admin, NULL), db, &fix_item, (axr_crud_kind_t)99, NULL, NULL, &res),
	                 AXR_EINVAL);
	assert_int_equal(admin.req.status, 500);
}

static void test_crud_run_dispatches_every_kind(void **state)
{
	(void)state;
	axr_crud_result_t res;
	Crudtest__Gadget g = CRUDTEST__GADGET__INIT;
	g.label = "widget";
	g.has_weight = 1, g.weight = 3;
	g.tags = "[\"a\", \"b\"]";
	assert_answer(&anon, axr_crud_run(fix_call(&anon, NULL), db, &fix_gadget, AXR_CRUD_CREATE, NULL, &g.base, &res), 0);
	const Crudtest__Gadget *row = (const Crudtest__Gadget *)res.row;
	char uid[37];
	snprintf(uid, sizeof uid, "%s", row->uid);
	assert_string_equal(row->tags, "[\"a\", \"b\"]");
	assert_answer(&anon, axr_crud_run(fix_call(&anon, NULL), db, &fix_gadget, AXR_CRUD_GET, uid, NULL, &res), 0);
	g.has_version = 1, g.version = 0, g.label = "gizmo";
	assert_answer(&anon, axr_crud_run(fix_call(&anon, NULL), db, &fix_gadget, AXR_CRUD_UPDATE, uid, &g.base, &res), 0);
	assert_string_equal(((const Crudtest__Gadget *)res.row)->label, "gizmo");
	assert_answer(&anon, axr_crud_run(fix_call(&anon, "label=gizmo"), db, &fix_gadget, AXR_CRUD_LIST, NULL, NULL, &res), 0);
	assert_int_equal(res.n_rows, 1);
	assert_answer(&anon, axr_crud_run(fix_call(&anon, "tags=x"), db, &fix_gadget, AXR_CRUD_COUNT, NULL, NULL, &res),
	              AXR_EVALIDATION);
	assert_answer(&anon, axr_crud_run(fix_call(&anon, NULL), db, &fix_gadget, AXR_CRUD_COUNT, NULL, NULL, &res), 0);
	assert_int_equal(res.count, 1);
	assert_answer(&anon, axr_crud_run(fix_call(&anon, NULL), db, &fix_gadget, AXR_CRUD_DELETE, uid, NULL, &res), 0);
	assert_int_equal(axr_test_db_scalar(db, "SELECT count(*) FROM gadget"), 0);
}

static void test_crud_fixed_statements_are_named_and_prepared_once_per_connection(void **state)
{
	(void)state;
	axr_db_t *fresh = NULL;
	axr_crud_result_t res;
	char uid[37];
	create_item(&alice, "prepared", 1, uid);
	assert_int_equal(axr_db_new(fdb.url, NULL, &fresh), 0);
	assert_int_equal(axr_crud_db_prepare(fresh, &fix_item), 0);
	static const char *const names[] = {"axr:item:insert", "axr:item:get", "axr:item:get:own", "axr:item:get:ident",
	                                    "axr:item:get:ident:own", "axr:item:update:own", "axr:item:delete:ident",
	                                    "axr:item:version:own"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (axr_db_prepare(fresh, names[i], "SELECT 1", 0) != AXR_EEXISTS)
			print_error("%s is not registered\n", names[i]);
		assert_int_equal(axr_db_prepare(fresh, names[i], "SELECT 1", 0), AXR_EEXISTS);
	}
	/* Gadget has no owner or identifier: no such variants. */
	assert_int_equal(axr_crud_db_prepare(fresh, &fix_gadget), 0);
	assert_int_equal(axr_db_prepare(fresh, "axr:gadget:get:own", "SELECT 1", 0), 0);
	for (int i = 0; i < 3; i++) {
		assert_answer(&alice, axr_crud_get(fix_call(&alice, NULL), fresh, &fix_item, uid, &res), 0);
		assert_int_equal(axr_test_db_scalar(fresh, "SELECT count(*) FROM pg_prepared_statements"), 1);
	}
	assert_answer(&alice, axr_crud_get(fix_call(&alice, NULL), fresh, &fix_item, "prepared", &res), 0);
	assert_int_equal(axr_test_db_scalar(fresh, "SELECT count(*) FROM pg_prepared_statements"), 2);
	axr_db_free(fresh);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup(name, reset_tables)
	const struct CMUnitTest tests[] = {
		T(test_crud_create_assigns_uid_dates_version_owner_and_defaults),
		T(test_crud_create_round_trips_every_column_type),
		T(test_crud_create_for_another_user_is_403_unless_trusted),
		T(test_crud_create_maps_constraint_violations_to_fields),
		T(test_crud_get_by_uid_or_identifier),
		T(test_crud_other_users_rows_are_404_and_invisible),
		T(test_crud_update_replaces_and_bumps_version),
		T(test_crud_concurrent_updates_of_one_version_one_wins_one_conflicts),
		T(test_crud_delete_checks_owner_and_version),
		T(test_crud_truncate_is_for_trusted_roles_only),
		T(test_crud_list_applies_every_operator),
		T(test_crud_list_sorts_and_pages),
		T(test_crud_injection_attempts_are_400_and_the_table_survives),
		T(test_crud_errors_are_safe_when_the_database_is_down),
		T(test_crud_refuses_broken_entity_tables),
		T(test_crud_run_dispatches_every_kind),
		T(test_crud_fixed_statements_are_named_and_prepared_once_per_connection),
	};
#undef T
	return cmocka_run_group_tests_name("crud", tests, group_setup, group_teardown);
}
