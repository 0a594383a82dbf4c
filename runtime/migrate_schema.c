/* migrate_schema.c: the DDL entities describe, and its difference with the live database. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "migrate_internal.h"
#include "row.h"

/* ---- what the spec wants ------------------------------------------------------ */

static bool axr__mig_is(const axr_column_t *c, const char *name)
{
	return strcmp(c->name, name) == 0;
}

/* NOT NULL: required properties and the base columns. */
static bool axr__mig_not_null(const axr_column_t *c)
{
	return (c->flags & AXR_COLUMN_NOT_NULL) || axr__mig_is(c, AXR_ROW_UID) ||
	       axr__mig_is(c, AXR_ROW_DATE_CREATED) || axr__mig_is(c, AXR_ROW_DATE_MODIFIED) ||
	       axr__mig_is(c, AXR_ROW_VERSION);
}

/* DEFAULT: the spec's, or the base columns' own. */
static const char *axr__mig_default(const axr_column_t *c)
{
	if (c->default_sql != NULL)
		return c->default_sql;
	if (axr__mig_is(c, AXR_ROW_UID))
		return "gen_random_uuid()";
	if (axr__mig_is(c, AXR_ROW_DATE_CREATED) || axr__mig_is(c, AXR_ROW_DATE_MODIFIED))
		return "now()";
	if (axr__mig_is(c, AXR_ROW_VERSION))
		return "0";
	return NULL;
}

static bool axr__mig_has_check(const axr_column_t *c)
{
	return (c->flags & AXR_COLUMN_NON_NEGATIVE) && (c->type == AXR_COL_BIGINT || c->type == AXR_COL_DOUBLE);
}

/* `CONSTRAINT "t_c_check" CHECK ("c" >= 0)` */
static void axr__mig_check(axr_buf_t *b, const axr_entity_t *e, const axr_column_t *c)
{
	char name[AXR_ROW_NAME_MAX + 1];
	axr_row_derived_name(name, e->table, c->name, "check");
	axr_buf_printf(b, "CONSTRAINT \"%s\" CHECK (\"%s\" >= 0)", name, c->name);
}

/* `"c" type [PRIMARY KEY] [NOT NULL] [DEFAULT x] [CHECK]` */
static void axr__mig_column_def(axr_buf_t *b, const axr_entity_t *e, const axr_column_t *c)
{
	const char *def = axr__mig_default(c);
	axr_buf_printf(b, "\"%s\" %s", c->name, axr_row_sql_type(c->type));
	if (axr__mig_is(c, AXR_ROW_UID))
		axr_buf_puts(b, " PRIMARY KEY");
	else if (axr__mig_not_null(c))
		axr_buf_puts(b, " NOT NULL");
	if (def)
		axr_buf_printf(b, " DEFAULT %s", def);
	if (axr__mig_has_check(c)) {
		axr_buf_putc(b, ' ');
		axr__mig_check(b, e, c);
	}
}

static void axr__mig_index_sql(axr_buf_t *b, const axr_entity_t *e, const axr_row_index_t *x)
{
	axr_buf_printf(b, "CREATE %sINDEX IF NOT EXISTS \"%s\" ON \"%s\" (", x->unique ? "UNIQUE " : "", x->name,
	               e->table);
	for (size_t k = 0; k < x->n_cols; k++)
		axr_buf_printf(b, "%s\"%s\"", k ? ", " : "", e->columns[x->cols[k]].name);
	axr_buf_putc(b, ')');
}

static int axr__mig_table_cmp(const void *a, const void *b)
{
	const axr_entity_t *x = *(const axr_entity_t *const *)a, *y = *(const axr_entity_t *const *)b;
	return strcmp(x->table, y->table);
}

int axr__mig_sorted(const axr_entity_t *const *entities, size_t n, axr_arena_t *arena,
                    const axr_entity_t ***out, char *errbuf, size_t size)
{
	const axr_entity_t **s = axr_arena_calloc(arena, n ? n : 1, sizeof *s);
	if (s == NULL)
		return AXR_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int rc = axr_entity_check(entities[i], errbuf, size);
		if (rc != 0)
			return rc;
		if (strcmp(entities[i]->table, "axr_migrations") == 0) {
			snprintf(errbuf, size, "entity %s: the table name axr_migrations is reserved", entities[i]->name);
			return AXR_ECONFIG;
		}
		s[i] = entities[i];
	}
	qsort(s, n, sizeof *s, axr__mig_table_cmp);
	for (size_t i = 1; i < n; i++)
		if (strcmp(s[i - 1]->table, s[i]->table) == 0) {
			snprintf(errbuf, size, "entities %s and %s share the table %s", s[i - 1]->name, s[i]->name,
			         s[i]->table);
			return AXR_ECONFIG;
		}
	*out = s;
	return 0;
}

/* The indexes of `e` into a malloc'd array; *n their count. NULL on OOM. */
static axr_row_index_t *axr__mig_indexes(const axr_entity_t *e, size_t *n)
{
	axr_row_index_t *x = calloc(e->n_indexes + e->n_columns, sizeof *x);
	*n = x ? axr_row_indexes(e, x) : 0;
	return x;
}

void axr__mig_schema_sql(const axr_entity_t *const *sorted, size_t n, axr_buf_t *out)
{
	for (size_t t = 0; t < n; t++) {
		const axr_entity_t *e = sorted[t];
		axr_buf_printf(out, "CREATE TABLE IF NOT EXISTS \"%s\" (\n", e->table);
		for (size_t i = 0; i < e->n_columns; i++) {
			axr_buf_puts(out, "  ");
			axr__mig_column_def(out, e, &e->columns[i]);
			axr_buf_puts(out, i + 1 < e->n_columns ? ",\n" : "\n");
		}
		axr_buf_puts(out, ");\n");
		size_t nx;
		axr_row_index_t *x = axr__mig_indexes(e, &nx);
		if (x == NULL)
			out->oom = 1;
		for (size_t k = 0; k < nx; k++) {
			axr__mig_index_sql(out, e, &x[k]);
			axr_buf_puts(out, ";\n");
		}
		free(x);
	}
}

int axr_migrate_schema_sql(const axr_entity_t *const *entities, size_t n, axr_buf_t *out, char *errbuf,
                           size_t size)
{
	axr_arena_t *arena = axr_arena_new(0);
	const axr_entity_t **sorted = NULL;
	char scratch[8];
	int rc = arena ? 0 : AXR_ENOMEM;

	if (errbuf == NULL)
		errbuf = scratch, size = sizeof scratch;
	if (rc == 0)
		rc = axr__mig_sorted(entities, n, arena, &sorted, errbuf, size);
	if (rc == 0) {
		axr__mig_schema_sql(sorted, n, out);
		rc = axr_buf_ok(out) ? 0 : AXR_ENOMEM;
	}
	axr_arena_free(arena);
	return rc;
}

/* ---- what the database has ---------------------------------------------------- */

typedef struct axr__mig_live_column {
	const char *name;
	const char *type;   /* format_type() */
	bool not_null;
	bool has_default;
	bool in_spec;
} axr__mig_live_column_t;

static int axr__mig_push(axr__mig_plan_t *plan, axr_buf_t *b)
{
	if (!axr_buf_ok(b))
		return AXR_ENOMEM;
	if (plan->n_stmts == plan->cap_stmts) {
		size_t cap = plan->cap_stmts ? plan->cap_stmts * 2 : 16;
		const char **grown = axr_arena_calloc(plan->arena, cap, sizeof *grown);
		if (grown == NULL)
			return AXR_ENOMEM;
		if (plan->n_stmts)
			memcpy(grown, plan->stmts, plan->n_stmts * sizeof *grown);
		plan->stmts = grown;
		plan->cap_stmts = cap;
	}
	const char *s = axr_arena_strndup(plan->arena, b->data, b->len);
	if (s == NULL)
		return AXR_ENOMEM;
	plan->stmts[plan->n_stmts++] = s;
	axr_buf_clear(b);
	return 0;
}

static void axr__mig_problem(axr__mig_plan_t *plan, const char *example, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void axr__mig_problem(axr__mig_plan_t *plan, const char *example, const char *fmt, ...)
{
	va_list ap;
	axr_buf_puts(&plan->problems, "  - ");
	va_start(ap, fmt);
	axr_buf_vprintf(&plan->problems, fmt, ap);
	va_end(ap);
	axr_buf_putc(&plan->problems, '\n');
	plan->n_problems++;
	if (plan->example == NULL && example != NULL)
		plan->example = axr_arena_strdup(plan->arena, example);
}

/* Runs a one-value catalog query: *yes when it returns a row whose first cell is not false. */
static int axr__mig_ask(axr_db_t *db, const char *sql, int n, const char *const *values, bool *yes)
{
	axr_db_result_t *r = NULL;
	int rc = axr_db_exec(db, NULL, sql, n, values, NULL, NULL, &r);
	*yes = false;
	if (rc == 0 && axr_db_result_rows(r) > 0) {
		const char *v = axr_db_result_text(r, 0, 0, NULL);
		*yes = v != NULL && strcmp(v, "f") != 0;
	}
	axr_db_result_free(r);
	return rc;
}

#define AXR__MIG_IN_SCHEMA "relnamespace = current_schema()::regnamespace"

static int axr__mig_relation_exists(axr_db_t *db, const char *name, bool *yes)
{
	const char *v[] = {name};
	return axr__mig_ask(db, "SELECT true FROM pg_class WHERE relname = $1 AND " AXR__MIG_IN_SCHEMA, 1, v, yes);
}

static int axr__mig_constraint_exists(axr_db_t *db, const char *table, const char *name, bool *yes)
{
	const char *v[] = {table, name};
	return axr__mig_ask(db,
	                    "SELECT true FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
	                    " WHERE c.relname = $1 AND c." AXR__MIG_IN_SCHEMA " AND k.conname = $2",
	                    2, v, yes);
}

/* The live columns of `table` (arena). */
static int axr__mig_live_columns(axr_db_t *db, axr__mig_plan_t *plan, const char *table,
                                 axr__mig_live_column_t **out, int *n)
{
	const char *v[] = {table};
	axr_db_result_t *r = NULL;
	int rc = axr_db_exec(db, NULL,
	                     "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.atthasdef"
	                     " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
	                     " WHERE c.relname = $1 AND c." AXR__MIG_IN_SCHEMA " AND c.relkind IN ('r', 'p')"
	                     " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
	                     1, v, NULL, NULL, &r);
	if (rc != 0)
		return rc;
	*n = axr_db_result_rows(r);
	*out = axr_arena_calloc(plan->arena, *n ? (size_t)*n : 1, sizeof **out);
	for (int i = 0; *out && i < *n; i++) {
		bool b;
		(*out)[i].name = axr_arena_strdup(plan->arena, axr_db_result_text(r, i, 0, NULL));
		(*out)[i].type = axr_arena_strdup(plan->arena, axr_db_result_text(r, i, 1, NULL));
		(*out)[i].not_null = axr_db_result_bool(r, i, 2, &b) == 0 && b;
		(*out)[i].has_default = axr_db_result_bool(r, i, 3, &b) == 0 && b;
		if (!(*out)[i].name || !(*out)[i].type)
			rc = AXR_ENOMEM;
	}
	axr_db_result_free(r);
	return *out ? rc : AXR_ENOMEM;
}

/* One spec column that the live table lacks. */
static int axr__mig_add_column(axr_db_t *db, axr__mig_plan_t *plan, const axr_entity_t *e, const axr_column_t *c,
                               bool *has_rows, bool *rows_known, axr_buf_t *b)
{
	int rc;
	if (axr__mig_not_null(c) && axr__mig_default(c) == NULL) {
		if (!*rows_known) {
			char sql[128];
			snprintf(sql, sizeof sql, "SELECT EXISTS (SELECT 1 FROM \"%s\")", e->table);
			if ((rc = axr__mig_ask(db, sql, 0, NULL, has_rows)) != 0)
				return rc;
			*rows_known = true;
		}
		if (*has_rows) {
			char ex[256];
			snprintf(ex, sizeof ex, "ALTER TABLE %s ADD COLUMN %s %s; UPDATE %s SET %s = ...; ALTER TABLE %s "
			         "ALTER COLUMN %s SET NOT NULL", e->table, c->name, axr_row_sql_type(c->type), e->table,
			         c->name, e->table, c->name);
			axr__mig_problem(plan, ex, "table \"%s\": new column \"%s\" is required (NOT NULL) without a default "
			                 "and the table has rows", e->table, c->name);
			return 0;
		}
	}
	axr_buf_printf(b, "ALTER TABLE \"%s\" ADD COLUMN ", e->table);
	axr__mig_column_def(b, e, c);
	return axr__mig_push(plan, b);
}

/* One spec column the live table has: type, nullability, default, check. */
static int axr__mig_alter_column(axr_db_t *db, axr__mig_plan_t *plan, const axr_entity_t *e, const axr_column_t *c,
                                 const axr__mig_live_column_t *live, axr_buf_t *b)
{
	const char *type = axr_row_sql_type(c->type);
	int rc = 0;
	if (strcmp(live->type, type) != 0) {
		char ex[256];
		snprintf(ex, sizeof ex, "ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::%s", e->table, c->name, type,
		         c->name, type);
		axr__mig_problem(plan, ex, "table \"%s\": column \"%s\" is %s in the database but %s in the spec "
		                 "(a type change)", e->table, c->name, live->type, type);
		return 0;
	}
	if (live->not_null && !axr__mig_not_null(c)) {
		axr_buf_printf(b, "ALTER TABLE \"%s\" ALTER COLUMN \"%s\" DROP NOT NULL", e->table, c->name);
		rc = axr__mig_push(plan, b);
	} else if (!live->not_null && axr__mig_not_null(c)) {
		char sql[256];
		bool nulls;
		snprintf(sql, sizeof sql, "SELECT EXISTS (SELECT 1 FROM \"%s\" WHERE \"%s\" IS NULL)", e->table, c->name);
		if ((rc = axr__mig_ask(db, sql, 0, NULL, &nulls)) != 0)
			return rc;
		if (nulls) {
			char ex[256];
			snprintf(ex, sizeof ex, "UPDATE %s SET %s = ... WHERE %s IS NULL", e->table, c->name, c->name);
			axr__mig_problem(plan, ex, "table \"%s\": column \"%s\" became required but holds NULLs", e->table,
			                 c->name);
			return 0;
		}
		axr_buf_printf(b, "ALTER TABLE \"%s\" ALTER COLUMN \"%s\" SET NOT NULL", e->table, c->name);
		rc = axr__mig_push(plan, b);
	}
	const char *def = axr__mig_default(c);
	if (rc == 0 && def != NULL && !live->has_default && !axr__mig_is(c, AXR_ROW_UID)) {
		axr_buf_printf(b, "ALTER TABLE \"%s\" ALTER COLUMN \"%s\" SET DEFAULT %s", e->table, c->name, def);
		rc = axr__mig_push(plan, b);
	}
	if (rc == 0 && axr__mig_has_check(c)) {
		char name[AXR_ROW_NAME_MAX + 1];
		bool yes;
		axr_row_derived_name(name, e->table, c->name, "check");
		if ((rc = axr__mig_constraint_exists(db, e->table, name, &yes)) != 0 || yes)
			return rc;
		axr_buf_printf(b, "ALTER TABLE \"%s\" ADD ", e->table);
		axr__mig_check(b, e, c);
		rc = axr__mig_push(plan, b);
	}
	return rc;
}

static int axr__mig_diff_table(axr_db_t *db, const axr_entity_t *e, axr__mig_plan_t *plan, axr_buf_t *b)
{
	axr__mig_live_column_t *live = NULL;
	int nlive = 0, rc;
	bool has_rows = false, rows_known = false;

	if ((rc = axr__mig_live_columns(db, plan, e->table, &live, &nlive)) != 0)
		return rc;
	if (nlive == 0) { /* no such table (a table without columns is not ours either) */
		axr_buf_printf(b, "CREATE TABLE IF NOT EXISTS \"%s\" (", e->table);
		for (size_t i = 0; i < e->n_columns; i++) {
			axr_buf_puts(b, i ? ", " : "");
			axr__mig_column_def(b, e, &e->columns[i]);
		}
		axr_buf_putc(b, ')');
		if ((rc = axr__mig_push(plan, b)) != 0)
			return rc;
	}
	for (size_t i = 0; nlive > 0 && i < e->n_columns && rc == 0; i++) {
		const axr_column_t *c = &e->columns[i];
		axr__mig_live_column_t *l = NULL;
		for (int k = 0; k < nlive && l == NULL; k++)
			if (strcmp(live[k].name, c->name) == 0)
				l = &live[k];
		if (l == NULL) {
			rc = axr__mig_add_column(db, plan, e, c, &has_rows, &rows_known, b);
		} else {
			l->in_spec = true;
			rc = axr__mig_alter_column(db, plan, e, c, l, b);
		}
	}
	for (int k = 0; k < nlive && rc == 0; k++) {
		if (live[k].in_spec)
			continue;
		char ex[192];
		snprintf(ex, sizeof ex, "ALTER TABLE %s DROP COLUMN %s", e->table, live[k].name);
		axr__mig_problem(plan, ex, "table \"%s\": column \"%s\" is in the database but not in the spec "
		                 "(dropping it loses its data)", e->table, live[k].name);
	}
	size_t nx = 0;
	axr_row_index_t *x = rc == 0 ? axr__mig_indexes(e, &nx) : NULL;
	if (rc == 0 && x == NULL)
		rc = AXR_ENOMEM;
	for (size_t k = 0; k < nx && rc == 0; k++) {
		bool yes = false;
		if (nlive > 0 && (rc = axr__mig_relation_exists(db, x[k].name, &yes)) != 0)
			break;
		if (!yes) {
			axr__mig_index_sql(b, e, &x[k]);
			rc = axr__mig_push(plan, b);
		}
	}
	free(x);
	return rc;
}

int axr__mig_diff(axr_db_t *db, const axr_entity_t *const *sorted, size_t n, axr__mig_plan_t *plan)
{
	axr_buf_t b = AXR_BUF_INIT;
	int rc = 0;
	for (size_t t = 0; t < n && rc == 0; t++)
		rc = axr__mig_diff_table(db, sorted[t], plan, &b);
	if (rc == 0 && !axr_buf_ok(&plan->problems))
		rc = AXR_ENOMEM;
	axr_buf_free(&b);
	return rc;
}
