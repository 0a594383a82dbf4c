/* fresh_db.h: a database of its own for a unit test file, on tests/run's PostgreSQL or a private one. */
#ifndef AXR_TEST_FRESH_DB_H
#define AXR_TEST_FRESH_DB_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "err.h"
#include "tests/unit/stack_helper.h"

/*
 * The server is tests/run's (AXR_TEST_DATABASE_URL) or, when that is not
 * set, a private one started through scripts/stack.sh. The database is named
 * PREFIX_TAG_PID, created from template0 (UTF-8) with `create_options` (e.g.
 * "LC_COLLATE 'C' LC_CTYPE 'C'", or NULL), without durable commits (a test
 * needs none: faster on a busy machine), and dropped by axr_test_db_destroy.
 */
typedef struct axr_test_db {
	axr_test_server_t own; /* the private server, when one was started */
	const char *admin_url; /* the server's URL (its maintenance database) */
	char name[64];
	char url[512];         /* the URL of the fresh database */
} axr_test_db_t;

/* Runs one statement on the database at `url` with a connection of its own;
 * 0, or the error code with the statement and the server's message on stderr. */
static inline int axr_test_db_exec_on(const char *url, const char *sql)
{
	axr_db_t *db = NULL;
	int rc = axr_db_new(url, NULL, &db);
	if (rc == 0)
		rc = axr_db_exec(db, NULL, sql, 0, NULL, NULL, NULL, NULL);
	if (rc != 0)
		fprintf(stderr, "%s: %s\n", sql, db ? axr_db_last_error(db)->message : axr_strerror(rc));
	axr_db_free(db);
	return rc;
}

/* `admin_url` with its database replaced by `db` (URL or key=value form). */
static inline void axr_test_db_url(const char *admin_url, const char *db, char *out, size_t cap)
{
	const char *scheme = strstr(admin_url, "://");
	if (scheme == NULL) { /* key=value form: a later dbname wins */
		snprintf(out, cap, "%s dbname=%s", admin_url, db);
		return;
	}
	const char *slash = strchr(scheme + 3, '/');
	const char *query = strchr(scheme + 3, '?');
	if (slash == NULL || (query && slash > query))
		slash = query ? query : admin_url + strlen(admin_url);
	snprintf(out, cap, "%.*s/%s%s", (int)(slash - admin_url), admin_url, db, query ? query : "");
}

/* Creates the database (dropping a leftover of the same name). 0 or -1. */
static inline int axr_test_db_create(axr_test_db_t *d, const char *prefix, const char *tag,
                                     const char *create_options)
{
	char sql[320];
	memset(d, 0, sizeof *d);
	d->admin_url = axr_test_shared_url("AXR_TEST_DATABASE_URL", &d->own, true);
	if (d->admin_url == NULL)
		return -1;
	snprintf(d->name, sizeof d->name, "%s_%s_%ld", prefix, tag, (long)getpid());
	axr_test_db_url(d->admin_url, d->name, d->url, sizeof d->url);
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", d->name);
	if (axr_test_db_exec_on(d->admin_url, sql) != 0)
		return -1;
	snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' %s", d->name,
	         create_options ? create_options : "");
	if (axr_test_db_exec_on(d->admin_url, sql) != 0)
		return -1;
	snprintf(sql, sizeof sql, "ALTER DATABASE %s SET synchronous_commit TO off", d->name);
	return axr_test_db_exec_on(d->admin_url, sql) == 0 ? 0 : -1;
}

/* Drops the database and stops a private server. Safe on a zeroed struct. */
static inline void axr_test_db_destroy(axr_test_db_t *d)
{
	char sql[160];
	if (d->admin_url && d->name[0]) {
		snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", d->name);
		axr_test_db_exec_on(d->admin_url, sql);
	}
	axr_test_server_destroy(&d->own);
	memset(d, 0, sizeof *d);
}

/* One int64 from a query (-1 and a message on stderr when it fails). */
static inline int64_t axr_test_db_scalar(axr_db_t *db, const char *sql)
{
	axr_db_result_t *r = NULL;
	int64_t v = -1;
	if (axr_db_exec(db, NULL, sql, 0, NULL, NULL, NULL, &r) == 0)
		axr_db_result_int64(r, 0, 0, &v);
	else
		fprintf(stderr, "%s: %s\n", sql, axr_db_last_error(db)->message);
	axr_db_result_free(r);
	return v;
}

/* Runs `sql` on `db`; fails the cmocka test with the server's message (include after <cmocka.h>). */
#define axr_test_sql(db, sql)                                                                       \
	do {                                                                                            \
		int rc_ = axr_db_exec((db), NULL, (sql), 0, NULL, NULL, NULL, NULL);                        \
		if (rc_ != 0)                                                                               \
			print_error("%s -> %s: %s\n", (sql), axr_errname(rc_), axr_db_last_error(db)->message); \
		assert_int_equal(rc_, 0);                                                                   \
	} while (0)

#endif
