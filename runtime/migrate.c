/* migrate.c: start-up migrations: hand-written files, then the generated schema step, in one locked transaction. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "migrate_internal.h"

#define AXR__MIG_DEFAULT_WAIT_MS 120000L
#define AXR__MIG_DDL_TIME_MS 600000L /* client-side bound on one DDL statement (axr_migrate_url) */

typedef struct axr__mig_run {
	const axr_migrate_options_t *opt;
	axr_migrate_report_t *report;
	const char *dir;
	const axr_entity_t **sorted;
	axr__mig_file_t *files;
	size_t nfiles;
	char lock_key[24];
	char lock_sql[64];
	char schema_id[32];
} axr__mig_run_t;

static int axr__mig_fail(axr__mig_run_t *r, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int axr__mig_fail(axr__mig_run_t *r, int rc, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(r->report->message, sizeof r->report->message, "migrate %s: ", r->opt->service);
	va_start(ap, fmt);
	vsnprintf(r->report->message + n, sizeof r->report->message - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

/* A failed statement: the database's code for connection trouble, else
 * AXR_ECONFIG (start-up must stop) with the server's message. */
static int axr__mig_db_fail(axr__mig_run_t *r, axr_db_t *db, int rc, const char *what)
{
	const axr_db_error_t *de = axr_db_last_error(db);
	if (rc == AXR_ETIMEOUT && strcmp(de->sqlstate, "55P03") == 0)
		return axr__mig_fail(r, rc, "another replica held the migration lock for more than %ld ms",
		                     r->opt->lock_wait_ms > 0 ? r->opt->lock_wait_ms : AXR__MIG_DEFAULT_WAIT_MS);
	if (rc == AXR_EUNAVAILABLE || rc == AXR_ETIMEOUT || rc == AXR_ENOMEM || rc == AXR_EAGAIN)
		return axr__mig_fail(r, rc, "%s: %s (%s)", what, axr_strerror(rc), de->message);
	return axr__mig_fail(r, AXR_ECONFIG, "%s failed: [%s] %s", what, de->sqlstate, de->message);
}

static int axr__mig_exec(axr_db_t *db, const char *sql, int n, const char *const *values, axr_db_result_t **out)
{
	return axr_db_exec(db, NULL, sql, n, values, NULL, NULL, out);
}

/* ---- hand-written files ----------------------------------------------------------- */

typedef struct axr__mig_stmt_ctx {
	axr__mig_run_t *run;
	axr_db_t *db;
	const axr__mig_file_t *file;
	int index;
	int rc;
} axr__mig_stmt_ctx_t;

static int axr__mig_file_stmt(const char *stmt, size_t len, void *ctx)
{
	axr__mig_stmt_ctx_t *c = ctx;
	char *sql = strndup(stmt, len);
	c->index++;
	if (sql == NULL)
		return c->rc = AXR_ENOMEM;
	int rc = axr__mig_exec(c->db, sql, 0, NULL, NULL);
	free(sql);
	if (rc != 0) {
		char what[320];
		snprintf(what, sizeof what, "%s/%s: statement %d", c->run->dir, c->file->name, c->index);
		c->rc = axr__mig_db_fail(c->run, c->db, rc, what);
	}
	return c->rc;
}

/* The recorded checksum of `id`, or NULL. */
static const char *axr__mig_recorded(axr_db_result_t *rec, const char *id)
{
	for (int i = 0; i < axr_db_result_rows(rec); i++)
		if (strcmp(axr_db_result_text(rec, i, 0, NULL), id) == 0)
			return axr_db_result_text(rec, i, 1, NULL);
	return NULL;
}

static int axr__mig_apply_files(axr__mig_run_t *r, axr_db_t *db)
{
	axr_db_result_t *rec = NULL;
	int rc = axr__mig_exec(db, "SELECT id, checksum, applied_at FROM axr_migrations WHERE id NOT LIKE 'schema:%'",
	                       0, NULL, &rec);
	if (rc != 0)
		return axr__mig_db_fail(r, db, rc, "reading axr_migrations");
	for (size_t i = 0; i < r->nfiles && rc == 0; i++) {
		const axr__mig_file_t *f = &r->files[i];
		const char *sum = axr__mig_recorded(rec, f->name);
		if (sum != NULL) {
			if (strcmp(sum, f->checksum) != 0)
				rc = axr__mig_fail(r, AXR_ECONFIG,
				                   "%s/%s changed after it was applied: never edit an applied migration, "
				                   "add a new file instead (or restore this one)", r->dir, f->name);
			continue;
		}
		axr__mig_stmt_ctx_t ctx = {.run = r, .db = db, .file = f};
		rc = axr_migrate_split_sql(f->sql, f->len, axr__mig_file_stmt, &ctx);
		if (rc == AXR_EPARSE) {
			rc = axr__mig_fail(r, AXR_ECONFIG, "%s/%s: a quote or comment is not closed", r->dir, f->name);
			break;
		}
		if (rc != 0)
			break;
		const char *v[] = {f->name, f->checksum};
		rc = axr__mig_exec(db, "INSERT INTO axr_migrations (id, checksum) VALUES ($1, $2)", 2, v, NULL);
		if (rc != 0)
			rc = axr__mig_db_fail(r, db, rc, "recording a migration");
		else
			r->report->files_applied++;
	}
	for (int i = 0; rc == 0 && i < axr_db_result_rows(rec); i++) {
		const char *id = axr_db_result_text(rec, i, 0, NULL);
		bool found = false;
		for (size_t k = 0; k < r->nfiles && !found; k++)
			found = strcmp(r->files[k].name, id) == 0;
		if (!found)
			axr_log_warn("migrate %s: %s (applied %s) is no longer in %s", r->opt->service, id,
			             axr_db_result_text(rec, i, 2, NULL), r->dir);
	}
	axr_db_result_free(rec);
	return rc;
}

/* ---- the generated step -------------------------------------------------------------- */

/* The number the next hand-written file should take. */
static long axr__mig_next_number(const axr__mig_run_t *r)
{
	return r->nfiles ? r->files[r->nfiles - 1].number + 1 : 1;
}

/* The message for destructive differences: each one, then the file to write. */
static int axr__mig_refuse(axr__mig_run_t *r, const axr__mig_plan_t *plan)
{
	long next = axr__mig_next_number(r);
	return axr__mig_fail(r, AXR_ECONFIG,
	                     "the database cannot be brought to the spec without losing or rejecting data:\n%s"
	                     "Write the change by hand in %s/%03ld_<what_it_does>.sql and start again (hand-written "
	                     "files run once, in order, in the same transaction, before the generated step).%s%s%s",
	                     plan->problems.data, r->dir, next, plan->example ? "\nFor example:\n  " : "",
	                     plan->example ? plan->example : "", plan->example ? ";" : "");
}

static int axr__mig_generated(axr__mig_run_t *r, axr_db_t *db, axr_arena_t *arena)
{
	axr__mig_plan_t plan = {.arena = arena, .problems = AXR_BUF_INIT};
	axr_buf_t done = AXR_BUF_INIT;
	axr_db_result_t *res = NULL;
	int rc;

	rc = axr__mig_exec(db, "SELECT checksum FROM axr_migrations WHERE id LIKE 'schema:%'"
	                       " ORDER BY applied_at DESC, id DESC LIMIT 1", 0, NULL, &res);
	if (rc != 0)
		return axr__mig_db_fail(r, db, rc, "reading axr_migrations");
	const char *last = axr_db_result_rows(res) ? axr_db_result_text(res, 0, 0, NULL) : NULL;
	bool same = last != NULL && strcmp(last, r->report->checksum) == 0;
	axr_db_result_free(res);
	if (same && r->report->files_applied == 0) {
		r->report->noop = true;
		return 0;
	}
	rc = axr__mig_diff(db, r->sorted, r->opt->n_entities, &plan);
	if (rc != 0) {
		rc = axr__mig_db_fail(r, db, rc, "reading the live schema");
		goto done;
	}
	if (plan.n_problems > 0) {
		rc = axr__mig_refuse(r, &plan);
		goto done;
	}
	for (size_t i = 0; i < plan.n_stmts && rc == 0; i++) {
		rc = axr__mig_exec(db, plan.stmts[i], 0, NULL, NULL);
		if (rc != 0) {
			char what[512];
			snprintf(what, sizeof what, "%.400s", plan.stmts[i]);
			rc = axr__mig_db_fail(r, db, rc, what);
			if (rc == AXR_ECONFIG) {
				size_t used = strlen(r->report->message);
				snprintf(r->report->message + used, sizeof r->report->message - used,
				         "\nFix the rows in %s/%03ld_<what_it_does>.sql and start again.", r->dir,
				         axr__mig_next_number(r));
			}
			goto done;
		}
		axr_buf_printf(&done, "%s;\n", plan.stmts[i]);
		r->report->statements++;
	}
	const char *v[] = {r->schema_id, r->report->checksum, axr_buf_ok(&done) && done.data ? done.data : ""};
	rc = axr__mig_exec(db,
	                   "INSERT INTO axr_migrations (id, checksum, statements) VALUES ($1, $2, $3)"
	                   " ON CONFLICT (id) DO UPDATE SET checksum = EXCLUDED.checksum,"
	                   " statements = EXCLUDED.statements, applied_at = now()",
	                   3, v, NULL);
	if (rc != 0)
		rc = axr__mig_db_fail(r, db, rc, "recording the schema");
done:
	axr_buf_free(&plan.problems);
	axr_buf_free(&done);
	return rc;
}

/* The transaction body; axr_db_tx_run may call it again after a serialization failure. */
static int axr__mig_tx(axr_db_t *db, void *ctx)
{
	axr__mig_run_t *r = ctx;
	axr_arena_t *arena = axr_arena_new(0);
	const char *key[] = {r->lock_key};
	int rc;

	r->report->noop = false;
	r->report->files_applied = 0;
	r->report->statements = 0;
	r->report->message[0] = '\0';
	if (arena == NULL)
		return axr__mig_fail(r, AXR_ENOMEM, "out of memory");
	if ((rc = axr__mig_exec(db, r->lock_sql, 0, NULL, NULL)) != 0 ||
	    (rc = axr__mig_exec(db, "SET LOCAL statement_timeout = 0", 0, NULL, NULL)) != 0) {
		rc = axr__mig_db_fail(r, db, rc, "setting timeouts");
		goto done;
	}
	if ((rc = axr__mig_exec(db, "SELECT pg_advisory_xact_lock($1::bigint)", 1, key, NULL)) != 0) {
		rc = axr__mig_db_fail(r, db, rc, "taking the migration lock");
		goto done;
	}
	rc = axr__mig_exec(db, "CREATE TABLE IF NOT EXISTS axr_migrations (id text PRIMARY KEY, checksum text NOT NULL,"
	                       " applied_at timestamptz NOT NULL DEFAULT now(), statements text)", 0, NULL, NULL);
	if (rc != 0) {
		rc = axr__mig_db_fail(r, db, rc, "creating axr_migrations");
		goto done;
	}
	if ((rc = axr__mig_apply_files(r, db)) == 0)
		rc = axr__mig_generated(r, db, arena);
done:
	axr_arena_free(arena);
	return rc;
}

/* ---- entry points ---------------------------------------------------------------- */

static bool axr__mig_service_ok(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* FNV-1a of "axr:migrate:<service>": the advisory lock key. */
static int64_t axr__mig_lock_key(const char *service)
{
	uint64_t h = UINT64_C(14695981039346656037);
	for (const char *p = "axr:migrate:"; *p; p++)
		h = (h ^ (unsigned char)*p) * UINT64_C(1099511628211);
	for (const char *p = service; *p; p++)
		h = (h ^ (unsigned char)*p) * UINT64_C(1099511628211);
	return (int64_t)(h & INT64_MAX);
}

int axr_migrate_run(axr_db_t *db, const axr_migrate_options_t *opt, axr_migrate_report_t *report)
{
	axr__mig_run_t r = {.opt = opt, .report = report};
	axr_arena_t *arena = NULL;
	axr_buf_t schema = AXR_BUF_INIT;
	char why[512] = "";
	int rc;

	if (report == NULL)
		return AXR_EINVAL;
	memset(report, 0, sizeof *report);
	if (db == NULL || opt == NULL || !axr__mig_service_ok(opt->service) || (opt->n_entities && !opt->entities)) {
		snprintf(report->message, sizeof report->message,
		         "migrate: a database, a service name ([a-z0-9_-]+) and the entities are required");
		return AXR_ECONFIG;
	}
	arena = axr_arena_new(0);
	r.dir = opt->dir ? opt->dir : arena ? axr_arena_printf(arena, "migrations/%s", opt->service) : NULL;
	if (r.dir == NULL) {
		rc = axr__mig_fail(&r, AXR_ENOMEM, "out of memory");
		goto done;
	}
	rc = axr__mig_sorted(opt->entities, opt->n_entities, arena, &r.sorted, why, sizeof why);
	if (rc != 0) {
		rc = axr__mig_fail(&r, rc, "%s", rc == AXR_ENOMEM ? "out of memory" : why);
		goto done;
	}
	axr__mig_schema_sql(r.sorted, opt->n_entities, &schema);
	if (!axr_buf_ok(&schema)) {
		rc = axr__mig_fail(&r, AXR_ENOMEM, "out of memory");
		goto done;
	}
	axr__mig_sha256_hex(schema.data ? schema.data : "", schema.len, report->checksum);
	snprintf(r.schema_id, sizeof r.schema_id, "schema:%.16s", report->checksum);
	rc = axr__mig_files(r.dir, arena, &r.files, &r.nfiles, why, sizeof why);
	if (rc != 0) {
		rc = axr__mig_fail(&r, rc, "%s", rc == AXR_ENOMEM ? "out of memory" : why);
		goto done;
	}
	snprintf(r.lock_key, sizeof r.lock_key, "%" PRId64, axr__mig_lock_key(opt->service));
	snprintf(r.lock_sql, sizeof r.lock_sql, "SET LOCAL lock_timeout = %ld",
	         opt->lock_wait_ms > 0 ? opt->lock_wait_ms : AXR__MIG_DEFAULT_WAIT_MS);
	rc = axr_db_tx_run(db, AXR_DB_READ_COMMITTED, axr__mig_tx, &r, 2);
	if (rc != 0 && report->message[0] == '\0')
		axr__mig_db_fail(&r, db, rc, "committing");
	if (rc == 0 && !report->noop)
		axr_log_info("migrate %s: %d hand-written file(s) and %d generated statement(s) applied; schema %.16s",
		             opt->service, report->files_applied, report->statements, report->checksum);
done:
	axr_buf_free(&schema);
	axr_arena_free(arena);
	if (rc == 0)
		report->message[0] = '\0';
	return rc;
}

int axr_migrate_url(const char *url, const axr_migrate_options_t *opt, axr_migrate_report_t *report)
{
	axr_db_options_t o;
	axr_db_t *db = NULL;
	long wait = opt && opt->lock_wait_ms > 0 ? opt->lock_wait_ms : AXR__MIG_DEFAULT_WAIT_MS;
	int rc;

	if (report == NULL)
		return AXR_EINVAL;
	memset(report, 0, sizeof *report);
	axr_db_options_init(&o);
	o.statement_timeout_ms = 0;
	o.lock_timeout_ms = wait;
	o.io_timeout_ms = wait + AXR__MIG_DDL_TIME_MS;
	o.application_name = "axr-migrate";
	rc = url ? axr_db_new(url, &o, &db) : AXR_ECONFIG;
	if (rc != 0) {
		snprintf(report->message, sizeof report->message, "migrate: bad database URL (%s)", axr_strerror(rc));
		return rc;
	}
	rc = axr_migrate_run(db, opt, report);
	axr_db_free(db);
	return rc;
}
