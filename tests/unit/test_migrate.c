/* test_migrate.c: start-up migrations (runtime/migrate*.c) against a real PostgreSQL, in a database of its own. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "crud.h"
#include "crud_fixture.h"
#include "migrate.h"

static axr_test_db_t fdb;
static axr_db_t *db;
static char dir[256]; /* hand-written migrations of the test service */

/* ---- fixture spec versions ----------------------------------------------------------- */

#define GADGET_BASE                                                                                  \
	FIX_BASE_COLUMNS(), {.name = "label", .json_name = "label", .type = AXR_COL_TEXT, .field = 5},   \
	    {.name = "weight", .json_name = "weight", .type = AXR_COL_BIGINT, .flags = AXR_COLUMN_INDEXED, \
	     .field = 6}

#define GADGET(var, cols)                                                                          \
	static const axr_entity_t var = {                                                              \
		.name = "Gadget", .table = "gadget", .columns = cols, .n_columns = sizeof cols / sizeof cols[0], \
		.message = &crudtest__gadget__descriptor, .owner_column = -1, .identifier_column = -1,     \
	}

static const axr_column_t color_col = {.name = "color", .json_name = "color", .type = AXR_COL_TEXT, .field = 7};
static const axr_column_t tags_col = {.name = "tags", .json_name = "tags", .type = AXR_COL_JSONB, .field = 8};

/* v2: adds size (optional) and shape (required, default 'round'). */
static const axr_column_t v2_cols[] = {
	GADGET_BASE, color_col, tags_col,
	{.name = "size", .json_name = "size", .type = AXR_COL_BIGINT, .field = 9},
	{.name = "shape", .json_name = "shape", .type = AXR_COL_TEXT, .flags = AXR_COLUMN_NOT_NULL, .field = 10,
	 .default_sql = "'round'"},
};
GADGET(gadget_v2, v2_cols);
/* v3: color removed. */
static const axr_column_t v3_cols[] = {GADGET_BASE, tags_col};
GADGET(gadget_v3, v3_cols);
/* v4: color becomes a uuid. */
static const axr_column_t v4_cols[] = {
	GADGET_BASE, {.name = "color", .json_name = "color", .type = AXR_COL_UUID, .field = 7}, tags_col};
GADGET(gadget_v4, v4_cols);
/* v5: adds code, required, no default. */
static const axr_column_t v5_cols[] = {
	GADGET_BASE, color_col, tags_col,
	{.name = "code", .json_name = "code", .type = AXR_COL_TEXT, .flags = AXR_COLUMN_NOT_NULL, .field = 11}};
GADGET(gadget_v5, v5_cols);
/* v6: label becomes unique and required, weight non-negative. */
static const axr_column_t v6_cols[] = {
	FIX_BASE_COLUMNS(),
	{.name = "label", .json_name = "label", .type = AXR_COL_TEXT, .flags = AXR_COLUMN_UNIQUE | AXR_COLUMN_NOT_NULL,
	 .field = 5},
	{.name = "weight", .json_name = "weight", .type = AXR_COL_BIGINT,
	 .flags = AXR_COLUMN_INDEXED | AXR_COLUMN_NON_NEGATIVE, .field = 6},
	color_col, tags_col};
GADGET(gadget_v6, v6_cols);

static const axr_entity_t *const v1[] = {&fix_item, &fix_gadget};

/* ---- helpers ----------------------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "%s/axr-migrate.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return -1;
	if (axr_test_db_create(&fdb, "axr_t", "migrate", "LC_COLLATE 'C' LC_CTYPE 'C'") != 0)
		return -1;
	return axr_db_new(fdb.url, NULL, &db) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	axr_db_free(db);
	axr_crud_cache_free();
	axr_test_db_destroy(&fdb);
	return 0;
}

/* An empty database and an empty migrations folder before each test. */
static int reset(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -f '%s'/*", dir);
	if (system(cmd) != 0)
		return -1;
	return axr_db_exec(db, NULL, "DROP TABLE IF EXISTS item, gadget, axr_migrations, scratch CASCADE", 0, NULL,
	                   NULL, NULL, NULL) == 0 ? 0 : -1;
}

static void write_file(const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Migrates `entities` as the service "crudtest" with the test folder. */
static int migrate(const axr_entity_t *const *entities, size_t n, axr_migrate_report_t *rep)
{
	axr_migrate_options_t o = {.service = "crudtest", .dir = dir, .entities = entities, .n_entities = n};
	return axr_migrate_url(fdb.url, &o, rep);
}

#define assert_migrates(entities, n, rep)                                                       \
	do {                                                                                        \
		int rc_ = migrate((entities), (n), (rep));                                              \
		if (rc_ != 0)                                                                           \
			print_error("migrate -> %s: %s\n", axr_errname(rc_), (rep)->message);               \
		assert_int_equal(rc_, 0);                                                               \
	} while (0)

/* Asserts a refusal whose message holds every string given (NULL-terminated). */
static void assert_refused(const axr_entity_t *const *entities, size_t n, int code, ...)
{
	axr_migrate_report_t rep;
	int rc = migrate(entities, n, &rep);
	if (rc != code)
		print_error("migrate -> %s (want %s): %s\n", axr_errname(rc), axr_errname(code), rep.message);
	assert_int_equal(rc, code);
	if (getenv("AXR_TEST_VERBOSE"))
		fprintf(stderr, "refused as expected:\n%s\n", rep.message);
	va_list ap;
	va_start(ap, code);
	for (const char *w = va_arg(ap, const char *); w; w = va_arg(ap, const char *)) {
		if (strstr(rep.message, w) == NULL)
			print_error("message lacks \"%s\":\n%s\n", w, rep.message);
		assert_non_null(strstr(rep.message, w));
	}
	va_end(ap);
}

static int64_t count_of(const char *sql)
{
	return axr_test_db_scalar(db, sql);
}

static int64_t column_exists(const char *table, const char *column)
{
	char sql[256];
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM information_schema.columns WHERE table_name = '%s' AND column_name = '%s'", table,
	         column);
	return count_of(sql);
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_migrate_creates_tables_indexes_and_checks_then_is_a_noop(void **state)
{
	(void)state;
	axr_migrate_report_t rep;
	assert_migrates(v1, 2, &rep);
	assert_false(rep.noop);
	assert_int_equal(rep.files_applied, 0);
	/* item, its 4 indexes (name, sku, owner), gadget and its weight index */
	assert_int_equal(rep.statements, 6);
	assert_int_equal(strlen(rep.checksum), 64);
	assert_int_equal(count_of("SELECT count(*) FROM pg_indexes WHERE indexname IN ('item_name_key', 'item_sku_key',"
	                          " 'item_owner_uid_idx', 'gadget_weight_idx', 'item_pkey', 'gadget_pkey')"), 6);
	assert_int_equal(count_of("SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
	                          " WHERE c.relname IN ('item_name_key', 'item_sku_key') AND i.indisunique"), 2);
	assert_int_equal(count_of("SELECT count(*) FROM pg_constraint WHERE conname = 'item_quantity_check'"), 1);
	assert_int_equal(count_of("SELECT count(*) FROM information_schema.columns WHERE table_name = 'item'"), 15);
	assert_int_equal(count_of("SELECT count(*) FROM information_schema.columns WHERE table_name = 'item'"
	                          " AND column_name = 'expires_at' AND data_type = 'timestamp with time zone'"), 1);
	assert_int_equal(count_of("SELECT count(*) FROM axr_migrations"), 1);

	/* The engine runs on what the migration made. */
	fix_caller_t c;
	fix_caller_init(&c, FIX_USER_A, NULL);
	Crudtest__Item it = CRUDTEST__ITEM__INIT;
	char name[] = "made";
	it.name = name;
	axr_crud_result_t res;
	assert_int_equal(axr_crud_create(fix_call(&c, NULL), db, &fix_item, &it.base, &res), 0);
	assert_int_equal(((Crudtest__Item *)res.row)->quantity, 0);
	it.has_quantity = 1, it.quantity = -1;
	char other[] = "neg";
	it.name = other;
	assert_int_equal(axr_crud_create(fix_call(&c, NULL), db, &fix_item, &it.base, &res), AXR_ECONFLICT);
	fix_caller_free(&c);

	/* Second start: nothing to do, nothing recorded. */
	char sum[65];
	memcpy(sum, rep.checksum, sizeof sum);
	assert_migrates(v1, 2, &rep);
	assert_true(rep.noop);
	assert_int_equal(rep.statements, 0);
	assert_string_equal(rep.checksum, sum);
	assert_int_equal(count_of("SELECT count(*) FROM axr_migrations"), 1);
	/* Entity order does not change the checksum. */
	const axr_entity_t *const swapped[] = {&fix_gadget, &fix_item};
	assert_migrates(swapped, 2, &rep);
	assert_true(rep.noop);
}

static void test_migrate_schema_sql_is_stable_and_complete(void **state)
{
	(void)state;
	axr_buf_t a = AXR_BUF_INIT, b = AXR_BUF_INIT;
	const axr_entity_t *const swapped[] = {&fix_gadget, &fix_item};
	assert_int_equal(axr_migrate_schema_sql(v1, 2, &a, NULL, 0), 0);
	assert_int_equal(axr_migrate_schema_sql(swapped, 2, &b, NULL, 0), 0);
	axr_buf_putc(&a, '\0');
	axr_buf_putc(&b, '\0');
	assert_string_equal(a.data, b.data);
	static const char *const want[] = {
		"CREATE TABLE IF NOT EXISTS \"gadget\" (\n  \"uid\" uuid PRIMARY KEY DEFAULT gen_random_uuid(),\n",
		"  \"version\" bigint NOT NULL DEFAULT 0,\n",
		"  \"quantity\" bigint NOT NULL DEFAULT 0 CONSTRAINT \"item_quantity_check\" CHECK (\"quantity\" >= 0),\n",
		"  \"note\" text DEFAULT 'none'\n);\n",
		"CREATE UNIQUE INDEX IF NOT EXISTS \"item_name_key\" ON \"item\" (\"name\");\n",
		"CREATE INDEX IF NOT EXISTS \"item_owner_uid_idx\" ON \"item\" (\"owner_uid\");\n",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		if (strstr(a.data, want[i]) == NULL)
			print_error("schema lacks:\n%s\nin:\n%s\n", want[i], a.data);
		assert_non_null(strstr(a.data, want[i]));
	}
	assert_true(strstr(a.data, "\"gadget\"") < strstr(a.data, "\"item\""));
	axr_buf_free(&a);
	axr_buf_free(&b);

	/* Two entities on one table, or a broken one, are refused. */
	char why[256];
	const axr_entity_t *const twice[] = {&fix_gadget, &gadget_v2};
	assert_int_equal(axr_migrate_schema_sql(twice, 2, &a, why, sizeof why), AXR_ECONFIG);
	assert_non_null(strstr(why, "share the table gadget"));
	axr_buf_free(&a);
	assert_refused(twice, 2, AXR_ECONFIG, "share the table gadget", NULL);
}

static void test_migrate_adds_a_property_and_keeps_the_data(void **state)
{
	(void)state;
	axr_migrate_report_t rep;
	assert_migrates(v1, 2, &rep);
	axr_test_sql(db, "INSERT INTO gadget (label, weight, color) VALUES ('old', 3, 'red')");
	const axr_entity_t *const next[] = {&fix_item, &gadget_v2};
	assert_migrates(next, 2, &rep);
	assert_false(rep.noop);
	assert_int_equal(rep.statements, 2);
	assert_int_equal(column_exists("gadget", "size"), 1);
	assert_int_equal(column_exists("gadget", "shape"), 1);
	assert_int_equal(count_of("SELECT count(*) FROM gadget WHERE label = 'old' AND weight = 3 AND color = 'red'"
	                          " AND size IS NULL AND shape = 'round'"), 1);
	assert_int_equal(count_of("SELECT count(*) FROM axr_migrations WHERE id LIKE 'schema:%'"), 2);
	assert_migrates(next, 2, &rep);
	assert_true(rep.noop);
	/* Going back to v1 is a removal now: refused. */
	assert_refused(v1, 2, AXR_ECONFIG, "column \"size\" is in the database but not in the spec", NULL);
}

static void test_migrate_refuses_to_drop_a_removed_property(void **state)
{
	(void)state;
	axr_migrate_report_t rep;
	assert_migrates(v1, 2, &rep);
	axr_test_sql(db, "INSERT INTO gadget (label, color) VALUES ('keep', 'blue')");
	const axr_entity_t *const next[] = {&fix_item, &gadget_v3};
	char path[300];
	snprintf(path, sizeof path, "%s/001_<what_it_does>.sql", dir);
	assert_refused(next, 2, AXR_ECONFIG, "migrate crudtest: the database cannot be brought to the spec",
	               "table \"gadget\": column \"color\" is in the database but not in the spec", path,
	               "ALTER TABLE gadget DROP COLUMN color;", NULL);
	assert_int_equal(column_exists("gadget", "color"), 1);
	assert_int_equal(count_of("SELECT count(*) FROM gadget WHERE color = 'blue'"), 1);
	assert_int_equal(count_of("SELECT count(*) FROM axr_migrations"), 1);
	/* Every problem is listed, and nothing of the rest is applied. */
	static const axr_column_t both_cols[] = {
		GADGET_BASE, tags_col, {.name = "size", .json_name = "size", .type = AXR_COL_BIGINT, .field = 9},
		{.name = "code", .json_name = "code", .type = AXR_COL_TEXT, .flags = AXR_COLUMN_NOT_NULL, .field = 11}};
	GADGET(both, both_cols);
	const axr_entity_t *const worse[] = {&fix_item, &both};
	assert_refused(worse, 2, AXR_ECONFIG, "column \"color\" is in the database",
	               "new column \"code\" is required (NOT NULL) without a default and the table has rows", NULL);
	assert_int_equal(column_exists("gadget", "size"), 0);
}

static void test_migrate_refuses_a_type_change(void **state)
{
	(void)state;
	axr_migrate_report_t rep;
	assert_migrates(v1, 2, &rep);
	const axr_entity_t *const next[] = {&fix_item, &gadget_v4};
	assert_refused(next, 2, AXR_ECONFIG,
	               "table \"gadget\": column \"color\" is text in the database but uuid in the spec (a type change)",
	               "ALTER TABLE gadget ALTER COLUMN color TYPE uuid USING color::uuid", NULL);
	assert_int_equal(count_of("SELECT count(*) FROM information_schema.columns WHERE table_name = 'gadget'"
	                          " AND column_name = 'color' AND data_type = 'text'"), 1);
}

static void test_migrate_new_required_column_needs_a_default_or_an_empty_table(void **state)
{
	(void)state;
	axr_migrate_report_t rep;
	const axr_entity_t *const next[] = {&fix_item, &gadget_v5};
	assert_migrates(v1, 2, &rep);
	assert_migrates(next, 2, &rep); /* empty table: fine */
	assert_int_equal(count_of("SELECT count(*) FROM information_schema.columns WHERE table_name = 'gadget'"
	                          " AND column_name = 'code' AND is_nullable = 'NO'"), 1);
	/* Made optional again: NOT NULL is dropped, nothing lost. */
	axr_test_sql(db, "INSERT INTO gadget (label, code) VALUES ('g', 'c')");
	static const axr_column_t opt_cols[] = {
		GADGET_BASE, color_col, tags_col, {.name = "code", .json_name = "code", .type = AXR_COL_TEXT, .field = 11}};
	GADGET(optional, opt_cols);
	const axr_entity_t *const relaxed[] = {&fix_item, &optional};
	assert_migrates(relaxed, 2, &rep);
	assert_int_equal(rep.statements, 1);
	assert_int_equal(count_of("SELECT count(*) FROM information_schema.columns WHERE table_name = 'gadget'"
	                          " AND column_name = 'code' AND is_nullable = 'YES'"), 1);
	/* Required again: fine while no row is NULL, refused once one is. */
	assert_migrates(next, 2, &rep);
	axr_test_sql(db, "ALTER TABLE gadget ALTER COLUMN code DROP NOT NULL");
	axr_test_sql(db, "INSERT INTO gadget (label) VALUES ('nocode')");
	axr_test_sql(db, "DELETE FROM axr_migrations");
	assert_refused(next, 2, AXR_ECONFIG, "column \"code\" became required but holds NULLs", NULL);
}

static void test_migrate_failing_ddl_stops_with_the_server_message(void **state)
{
	(void)state;
	axr_migrate_report_t rep;
	assert_migrates(v1, 2, &rep);
	axr_test_sql(db, "INSERT INTO gadget (label, weight) VALUES ('dup', 1), ('dup', -2)");
	const axr_entity_t *const next[] = {&fix_item, &gadget_v6};
	assert_refused(next, 2, AXR_ECONFIG, "gadget_weight_check", "failed: [23514]", NULL);
	axr_test_sql(db, "UPDATE gadget SET weight = 2 WHERE weight < 0");
	assert_refused(next, 2, AXR_ECONFIG, "CREATE UNIQUE INDEX IF NOT EXISTS \"gadget_label_key\"", "[23505]", NULL);
	/* Nothing of the failed runs stayed. */
	assert_int_equal(count_of("SELECT count(*) FROM pg_constraint WHERE conname = 'gadget_weight_check'"), 0);
	axr_test_sql(db, "UPDATE gadget SET label = 'dup2' WHERE weight = 2");
	assert_migrates(next, 2, &rep);
	assert_int_equal(rep.statements, 3); /* SET NOT NULL, the check, the unique index */
}

static void test_migrate_applies_hand_written_files_once_in_order(void **state)
{
	(void)state;
	axr_migrate_report_t rep;
	assert_migrates(v1, 2, &rep);
	axr_test_sql(db, "INSERT INTO gadget (label, color) VALUES ('a', 'red')");
	write_file("README.md", "not a migration");
	write_file("002_drop_color.sql",
	           "-- keep the colour in the label; then drop it; a ';' in a comment\n"
	           "UPDATE gadget SET label = label || ' (' || color || ')';\n"
	           "ALTER TABLE gadget DROP COLUMN color;\n");
	write_file("001_scratch.sql",
	           "CREATE TABLE scratch (id int, note text);\n"
	           "INSERT INTO scratch VALUES (1, 'semi;colon'), (2, E'it\\'s; quoted'), (3, $x$dollar;$x$);\n"
	           "/* block; /* nested; */ comment */\n"
	           "CREATE FUNCTION scratch_count() RETURNS bigint LANGUAGE plpgsql AS $$\n"
	           "BEGIN RETURN (SELECT count(*) FROM scratch); END; $$;\n"
	           ";;\n");
	const axr_entity_t *const next[] = {&fix_item, &gadget_v3};
	assert_migrates(next, 2, &rep);
	assert_int_equal(rep.files_applied, 2);
	assert_int_equal(column_exists("gadget", "color"), 0);
	assert_int_equal(count_of("SELECT count(*) FROM gadget WHERE label = 'a (red)'"), 1);
	assert_int_equal(count_of("SELECT scratch_count()"), 3);
	assert_int_equal(count_of("SELECT count(*) FROM scratch WHERE note IN ('semi;colon', 'it''s; quoted', 'dollar;')"), 3);
	assert_int_equal(count_of("SELECT count(*) FROM axr_migrations WHERE id IN ('001_scratch.sql', '002_drop_color.sql')"), 2);
	/* Once only. */
	assert_migrates(next, 2, &rep);
	assert_true(rep.noop);
	assert_int_equal(rep.files_applied, 0);
	assert_int_equal(count_of("SELECT count(*) FROM gadget WHERE label = 'a (red)'"), 1);
	/* A later file runs alone and makes the generated step run again. */
	write_file("003_more.sql", "INSERT INTO scratch VALUES (4, 'four')");
	assert_migrates(next, 2, &rep);
	assert_int_equal(rep.files_applied, 1);
	assert_int_equal(rep.statements, 0);
	assert_int_equal(count_of("SELECT scratch_count()"), 4);
	/* Editing an applied file stops start-up. */
	write_file("003_more.sql", "INSERT INTO scratch VALUES (5, 'five')");
	assert_refused(next, 2, AXR_ECONFIG, "003_more.sql changed after it was applied", NULL);
}

static void test_migrate_bad_files_stop_start_up_and_roll_back(void **state)
{
	(void)state;
	axr_migrate_report_t rep;
	write_file("001_ok.sql", "CREATE TABLE scratch (id int)");
	write_file("002_broken.sql", "INSERT INTO scratch VALUES (1); INSERT INTO nowhere VALUES (2);");
	assert_refused(v1, 2, AXR_ECONFIG, "002_broken.sql: statement 2 failed: [42P01]", NULL);
	/* Nothing stayed: not the tables, not 001, not the record table. */
	assert_int_equal(count_of("SELECT count(*) FROM pg_class WHERE relname IN ('scratch', 'item', 'axr_migrations')"), 0);
	write_file("002_broken.sql", "SELECT 'unterminated");
	assert_refused(v1, 2, AXR_ECONFIG, "002_broken.sql: a quote or comment is not closed", NULL);
	write_file("002_broken.sql", "SELECT 1");
	write_file("2_same_number.sql", "SELECT 2");
	assert_refused(v1, 2, AXR_ECONFIG, "share the number 2", NULL);
	char path[300];
	snprintf(path, sizeof path, "%s/2_same_number.sql", dir);
	remove(path);
	write_file("drop-everything.sql", "SELECT 3");
	assert_refused(v1, 2, AXR_ECONFIG, "drop-everything.sql: hand-written migrations are named NNN_name.sql", NULL);
	snprintf(path, sizeof path, "%s/drop-everything.sql", dir);
	remove(path);
	/* A destructive difference rolls back the hand-written files of the same start. */
	assert_migrates(v1, 2, &rep);
	assert_int_equal(rep.files_applied, 2);
	write_file("003_scratch2.sql", "CREATE TABLE scratch2 (id int)");
	const axr_entity_t *const next[] = {&fix_item, &gadget_v3};
	assert_refused(next, 2, AXR_ECONFIG, "column \"color\"", "004_<what_it_does>.sql", NULL);
	assert_int_equal(count_of("SELECT count(*) FROM pg_class WHERE relname = 'scratch2'"), 0);
	assert_int_equal(count_of("SELECT count(*) FROM axr_migrations WHERE id = '003_scratch2.sql'"), 0);
	/* Bad options. */
	axr_migrate_options_t o = {.service = "Bad Name", .entities = v1, .n_entities = 2};
	assert_int_equal(axr_migrate_url(fdb.url, &o, &rep), AXR_ECONFIG);
	assert_non_null(strstr(rep.message, "service name"));
}

typedef struct migrator {
	pthread_barrier_t *start;
	int rc;
	axr_migrate_report_t rep;
} migrator_t;

static void *run_migrator(void *arg)
{
	migrator_t *m = arg;
	pthread_barrier_wait(m->start);
	m->rc = migrate(v1, 2, &m->rep);
	return NULL;
}

static void test_migrate_concurrent_starts_apply_once(void **state)
{
	(void)state;
	/* The hand-written file holds the lock long enough for the other to wait. */
	write_file("001_slow.sql", "SELECT pg_sleep(0.3); CREATE TABLE scratch (id int)");
	for (int round = 0; round < 3; round++) {
		if (round > 0) {
			assert_int_equal(reset(NULL), 0);
			write_file("001_slow.sql", "SELECT pg_sleep(0.2); CREATE TABLE scratch (id int)");
		}
		pthread_barrier_t start;
		pthread_barrier_init(&start, NULL, 2);
		migrator_t m[2] = {{.start = &start}, {.start = &start}};
		pthread_t t[2];
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_create(&t[i], NULL, run_migrator, &m[i]), 0);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		pthread_barrier_destroy(&start);
		for (int i = 0; i < 2; i++) {
			if (m[i].rc != 0)
				print_error("round %d migrator %d: %s: %s\n", round, i, axr_errname(m[i].rc), m[i].rep.message);
			assert_int_equal(m[i].rc, 0);
		}
		assert_true(m[0].rep.noop != m[1].rep.noop);
		migrator_t *did = m[0].rep.noop ? &m[1] : &m[0];
		assert_int_equal(did->rep.files_applied, 1);
		assert_int_equal(did->rep.statements, 6);
		assert_int_equal(count_of("SELECT count(*) FROM axr_migrations"), 2);
	}
}

/* axr_migrate_split_sql collects statements here. */
static char split_out[1024];

static int collect(const char *stmt, size_t len, void *ctx)
{
	(void)ctx;
	size_t used = strlen(split_out);
	snprintf(split_out + used, sizeof split_out - used, "[%.*s]", (int)len, stmt);
	return 0;
}

static const char *split(const char *sql, int want_rc)
{
	split_out[0] = '\0';
	int rc = axr_migrate_split_sql(sql, strlen(sql), collect, NULL);
	if (rc != want_rc)
		print_error("split(%s) -> %s\n", sql, axr_errname(rc));
	assert_int_equal(rc, want_rc);
	return split_out;
}

static void test_migrate_split_sql_understands_quotes_and_comments(void **state)
{
	(void)state;
	assert_string_equal(split("a;b", 0), "[a][b]");
	assert_string_equal(split(" ; ;\n", 0), "");
	assert_string_equal(split("-- only a comment;\n/* and; another */", 0), "");
	assert_string_equal(split("select ';'; x", 0), "[select ';'][ x]");
	assert_string_equal(split("select 'it''s;'", 0), "[select 'it''s;']");
	assert_string_equal(split("select E'a\\';b';c", 0), "[select E'a\\';b'][c]");
	assert_string_equal(split("select 'a\\';b'", AXR_EPARSE), "[select 'a\\']"); /* no escapes without E */
	assert_string_equal(split("select \"a;b\"", 0), "[select \"a;b\"]");
	assert_string_equal(split("do $$ a; b $$; do $t$ $$; $t$", 0), "[do $$ a; b $$][ do $t$ $$; $t$]");
	assert_string_equal(split("select $1; select a$b;", 0), "[select $1][ select a$b]");
	assert_string_equal(split("a /* x /* ; */ ; */ b; c -- ;\n d", 0), "[a /* x /* ; */ ; */ b][ c -- ;\n d]");
	split("select 'open", AXR_EPARSE);
	split("select $q$ open", AXR_EPARSE);
	split("/* open /* nested */", AXR_EPARSE);
	split("select \"open", AXR_EPARSE);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup(name, reset)
	const struct CMUnitTest tests[] = {
		T(test_migrate_creates_tables_indexes_and_checks_then_is_a_noop),
		T(test_migrate_schema_sql_is_stable_and_complete),
		T(test_migrate_adds_a_property_and_keeps_the_data),
		T(test_migrate_refuses_to_drop_a_removed_property),
		T(test_migrate_refuses_a_type_change),
		T(test_migrate_new_required_column_needs_a_default_or_an_empty_table),
		T(test_migrate_failing_ddl_stops_with_the_server_message),
		T(test_migrate_applies_hand_written_files_once_in_order),
		T(test_migrate_bad_files_stop_start_up_and_roll_back),
		T(test_migrate_concurrent_starts_apply_once),
		cmocka_unit_test(test_migrate_split_sql_understands_quotes_and_comments),
	};
#undef T
	return cmocka_run_group_tests_name("migrate", tests, group_setup, group_teardown);
}
