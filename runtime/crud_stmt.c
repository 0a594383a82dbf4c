/* crud_stmt.c: the fixed SQL statements of each entity, built once per process. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crud_internal.h"
#include "err.h"

static _Atomic(axr__crud_entry_t *) axr__crud_head;
static pthread_mutex_t axr__crud_lock = PTHREAD_MUTEX_INITIALIZER;

static bool axr__crud_is_base(const char *name)
{
	return strcmp(name, AXR_ROW_UID) == 0 || strcmp(name, AXR_ROW_DATE_CREATED) == 0 ||
	       strcmp(name, AXR_ROW_DATE_MODIFIED) == 0 || strcmp(name, AXR_ROW_VERSION) == 0;
}

/* `"col" = $n::type` */
static void axr__crud_eq(axr_buf_t *b, const axr_column_t *c, int n)
{
	axr_row_ident(b, c->name);
	axr_buf_printf(b, " = $%d::%s", n, axr_row_sql_type(c->type));
}

/* The value of a writable column: $n, or its default when $n is NULL. */
static void axr__crud_value(axr_buf_t *b, const axr_column_t *c, int n)
{
	if (c->default_sql != NULL)
		axr_buf_printf(b, "COALESCE($%d::%s, (%s))", n, axr_row_sql_type(c->type), c->default_sql);
	else
		axr_buf_printf(b, "$%d::%s", n, axr_row_sql_type(c->type));
}

/* " WHERE key = $1[ AND version-part][ AND owner = $n]" */
static void axr__crud_where(axr_buf_t *b, const axr_entity_t *e, int key_col, const char *version_part,
                            int owner_param)
{
	axr_buf_puts(b, " WHERE ");
	axr__crud_eq(b, &e->columns[key_col], 1);
	if (version_part)
		axr_buf_puts(b, version_part);
	if (owner_param > 0) {
		axr_buf_puts(b, " AND ");
		axr__crud_eq(b, &e->columns[e->owner_column], owner_param);
	}
}

/* Builds statement `slot` into en->stmt[slot]. */
static int axr__crud_build(axr__crud_entry_t *en, int kind, int by_ident, int owned)
{
	const axr_entity_t *e = en->e;
	int key_col = by_ident ? e->identifier_column : axr_row_column(e, AXR_ROW_UID);
	axr__crud_stmt_t *s = &en->stmt[AXR__CRUD_SLOT(kind, by_ident, owned)];
	axr_buf_t b = AXR_BUF_INIT;
	static const char *const names[] = {"get", "update", "delete", "version"};
	int nparams = 0;

	switch (kind) {
	case AXR__CRUD_GET:
	case AXR__CRUD_VERSION:
		axr_buf_printf(&b, "SELECT %s FROM \"%s\"", kind == AXR__CRUD_GET ? en->select_list : "\"version\"",
		               e->table);
		nparams = 1 + owned;
		axr__crud_where(&b, e, key_col, NULL, owned ? 2 : 0);
		break;
	case AXR__CRUD_DELETE:
		axr_buf_printf(&b, "DELETE FROM \"%s\"", e->table);
		nparams = 2 + owned;
		axr__crud_where(&b, e, key_col, " AND ($2::bigint IS NULL OR \"version\" = $2::bigint)", owned ? 3 : 0);
		axr_buf_printf(&b, " RETURNING %s", en->select_list);
		break;
	case AXR__CRUD_UPDATE:
		axr_buf_printf(&b, "UPDATE \"%s\" SET ", e->table);
		for (size_t j = 0; j < en->n_write; j++) {
			const axr_column_t *c = &e->columns[en->write_cols[j]];
			int n = 3 + (int)j;
			axr_row_ident(&b, c->name);
			axr_buf_puts(&b, " = ");
			if ((int)j == en->owner_write)
				axr_buf_printf(&b, "COALESCE($%d::%s, \"%s\")", n, axr_row_sql_type(c->type), c->name);
			else
				axr__crud_value(&b, c, n);
			axr_buf_puts(&b, ", ");
		}
		axr_buf_puts(&b, "\"version\" = \"version\" + 1, \"date_modified\" = now()");
		nparams = 2 + (int)en->n_write + owned;
		axr__crud_where(&b, e, key_col, " AND \"version\" = $2::bigint", owned ? nparams : 0);
		axr_buf_printf(&b, " RETURNING %s", en->select_list);
		break;
	}
	s->nparams = nparams;
	s->name = NULL;
	if (asprintf(&s->name, "axr:%s:%s%s%s", e->table, names[kind], by_ident ? ":ident" : "",
	             owned ? ":own" : "") < 0)
		s->name = NULL;
	s->sql = axr_buf_ok(&b) && b.data ? strndup(b.data, b.len) : NULL;
	axr_buf_free(&b);
	return s->name && s->sql ? 0 : AXR_ENOMEM;
}

static int axr__crud_build_insert(axr__crud_entry_t *en)
{
	const axr_entity_t *e = en->e;
	axr__crud_stmt_t *s = &en->stmt[AXR__CRUD_INSERT];
	axr_buf_t b = AXR_BUF_INIT;
	size_t j = 0;

	axr_buf_printf(&b, "INSERT INTO \"%s\" (", e->table);
	for (size_t i = 0; i < e->n_columns; i++) {
		if (i > 0)
			axr_buf_puts(&b, ", ");
		axr_row_ident(&b, e->columns[i].name);
	}
	axr_buf_puts(&b, ") VALUES (");
	for (size_t i = 0; i < e->n_columns; i++) {
		const axr_column_t *c = &e->columns[i];
		if (i > 0)
			axr_buf_puts(&b, ", ");
		if (strcmp(c->name, AXR_ROW_UID) == 0)
			axr_buf_puts(&b, "gen_random_uuid()");
		else if (strcmp(c->name, AXR_ROW_DATE_CREATED) == 0 || strcmp(c->name, AXR_ROW_DATE_MODIFIED) == 0)
			axr_buf_puts(&b, "now()");
		else if (strcmp(c->name, AXR_ROW_VERSION) == 0)
			axr_buf_puts(&b, "0");
		else if (j < en->n_write && en->write_cols[j] == (int)i)
			axr__crud_value(&b, c, (int)++j);
		else if (c->default_sql)
			axr_buf_printf(&b, "(%s)", c->default_sql);
		else
			axr_buf_puts(&b, "NULL");
	}
	axr_buf_printf(&b, ") RETURNING %s", en->select_list);
	s->nparams = (int)en->n_write;
	if (asprintf(&s->name, "axr:%s:insert", e->table) < 0)
		s->name = NULL;
	s->sql = axr_buf_ok(&b) && b.data ? strndup(b.data, b.len) : NULL;
	axr_buf_free(&b);
	return s->name && s->sql ? 0 : AXR_ENOMEM;
}

static void axr__crud_entry_free(axr__crud_entry_t *en)
{
	if (en == NULL)
		return;
	for (size_t i = 0; i < AXR__CRUD_NSTMT; i++) {
		free(en->stmt[i].name);
		free(en->stmt[i].sql);
	}
	free(en->select_list);
	free(en->write_cols);
	free(en->indexes);
	free(en);
}

static int axr__crud_entry_new(const axr_entity_t *e, axr__crud_entry_t **out, char *errbuf, size_t size)
{
	axr__crud_entry_t *en = NULL;
	axr_buf_t sel = AXR_BUF_INIT;
	int rc = axr_entity_check(e, errbuf, size);

	*out = NULL;
	if (rc != 0)
		return rc;
	rc = AXR_ENOMEM;
	en = calloc(1, sizeof *en);
	if (en == NULL)
		goto fail;
	en->e = e;
	en->owner_write = -1;
	en->version_col = axr_row_column(e, AXR_ROW_VERSION);
	axr_row_select_list(e, &sel);
	en->select_list = axr_buf_ok(&sel) ? strndup(sel.data, sel.len) : NULL;
	en->write_cols = calloc(e->n_columns, sizeof *en->write_cols);
	en->indexes = calloc(e->n_indexes + e->n_columns, sizeof *en->indexes);
	if (en->select_list == NULL || en->write_cols == NULL || en->indexes == NULL)
		goto fail;
	en->n_indexes = axr_row_indexes(e, en->indexes);
	for (size_t i = 0; i < e->n_columns; i++) {
		const axr_column_t *c = &e->columns[i];
		if (axr__crud_is_base(c->name))
			continue;
		if ((int)i == e->owner_column)
			en->owner_write = (int)en->n_write;
		else if (c->flags & AXR_COLUMN_READ_ONLY)
			continue;
		en->write_cols[en->n_write++] = (int)i;
	}
	for (int kind = AXR__CRUD_GET; kind <= AXR__CRUD_VERSION; kind++) {
		for (int by_ident = 0; by_ident <= (e->identifier_column >= 0); by_ident++) {
			for (int owned = 0; owned <= (e->owner_column >= 0); owned++) {
				rc = axr__crud_build(en, kind, by_ident, owned);
				if (rc != 0)
					goto fail;
			}
		}
	}
	rc = axr__crud_build_insert(en);
	if (rc != 0)
		goto fail;
	axr_buf_free(&sel);
	*out = en;
	return 0;
fail:
	axr_buf_free(&sel);
	axr__crud_entry_free(en);
	if (errbuf && size)
		snprintf(errbuf, size, "out of memory");
	return rc;
}

int axr__crud_entry(const axr_entity_t *e, axr__crud_entry_t **out, char *errbuf, size_t size)
{
	axr__crud_entry_t *en;
	int rc = 0;

	for (en = atomic_load_explicit(&axr__crud_head, memory_order_acquire); en; en = en->next)
		if (en->e == e) {
			*out = en;
			return 0;
		}
	pthread_mutex_lock(&axr__crud_lock);
	for (en = atomic_load_explicit(&axr__crud_head, memory_order_acquire); en; en = en->next)
		if (en->e == e)
			break;
	if (en == NULL) {
		rc = axr__crud_entry_new(e, &en, errbuf, size);
		if (rc == 0) {
			en->next = atomic_load_explicit(&axr__crud_head, memory_order_relaxed);
			atomic_store_explicit(&axr__crud_head, en, memory_order_release);
		}
	}
	pthread_mutex_unlock(&axr__crud_lock);
	*out = rc == 0 ? en : NULL;
	return rc;
}

int axr_crud_prepare(const axr_entity_t *e, char *errbuf, size_t size)
{
	axr__crud_entry_t *en;
	if (e == NULL)
		return AXR_EINVAL;
	return axr__crud_entry(e, &en, errbuf, size);
}

int axr_crud_db_prepare(axr_db_t *db, const axr_entity_t *e)
{
	axr__crud_entry_t *en;
	int rc = db ? axr__crud_entry(e, &en, NULL, 0) : AXR_EINVAL;
	for (size_t i = 0; rc == 0 && i < AXR__CRUD_NSTMT; i++)
		if (en->stmt[i].name)
			rc = axr_db_prepare(db, en->stmt[i].name, en->stmt[i].sql, en->stmt[i].nparams);
	return rc;
}

void axr_crud_cache_free(void)
{
	pthread_mutex_lock(&axr__crud_lock);
	axr__crud_entry_t *en = atomic_exchange(&axr__crud_head, NULL);
	pthread_mutex_unlock(&axr__crud_lock);
	while (en) {
		axr__crud_entry_t *next = en->next;
		axr__crud_entry_free(en);
		en = next;
	}
}

size_t axr_crud_constraint_columns(const axr_entity_t *e, const char *constraint, int *cols, size_t max)
{
	axr__crud_entry_t *en;
	char pkey[AXR_ROW_NAME_MAX + 1];

	if (constraint == NULL || constraint[0] == '\0' || max == 0 || axr__crud_entry(e, &en, NULL, 0) != 0)
		return 0;
	snprintf(pkey, sizeof pkey, "%s_pkey", e->table);
	if (strcmp(constraint, pkey) == 0) {
		cols[0] = axr_row_column(e, AXR_ROW_UID);
		return 1;
	}
	for (size_t i = 0; i < en->n_indexes; i++) {
		if (strcmp(en->indexes[i].name, constraint) != 0)
			continue;
		size_t n = 0;
		for (; n < en->indexes[i].n_cols && n < max; n++)
			cols[n] = en->indexes[i].cols[n];
		return n;
	}
	return 0;
}
