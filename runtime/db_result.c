/* db_result.c: query results (typed accessors, bytea decoding) and the SQLSTATE -> axr code map. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_internal.h"
#include "err.h"

/* A bytea decoded on demand; freed with the result. */
typedef struct axr__db_blob {
	struct axr__db_blob *next;
	unsigned char *data; /* from PQunescapeBytea */
} axr__db_blob_t;

struct axr_db_result {
	PGresult *res;
	axr__db_blob_t *blobs;
};

axr_db_result_t *axr__db_result_wrap(PGresult *res)
{
	axr_db_result_t *r = calloc(1, sizeof *r);
	if (!r) {
		PQclear(res);
		return NULL;
	}
	r->res = res;
	return r;
}

void axr_db_result_free(axr_db_result_t *r)
{
	if (!r)
		return;
	while (r->blobs) {
		axr__db_blob_t *b = r->blobs;
		r->blobs = b->next;
		PQfreemem(b->data);
		free(b);
	}
	PQclear(r->res);
	free(r);
}

int axr_db_result_rows(const axr_db_result_t *r)
{
	return r ? PQntuples(r->res) : 0;
}

int axr_db_result_cols(const axr_db_result_t *r)
{
	return r ? PQnfields(r->res) : 0;
}

long axr_db_result_affected(const axr_db_result_t *r)
{
	if (!r)
		return 0;
	const char *s = PQcmdTuples(r->res);
	return s && *s ? strtol(s, NULL, 10) : 0;
}

int axr_db_result_column(const axr_db_result_t *r, const char *name)
{
	if (!r || !name)
		return -1;
	/* Exact names (PQfnumber would fold unquoted names to lower case). */
	int n = PQnfields(r->res);
	for (int i = 0; i < n; i++)
		if (strcmp(PQfname(r->res, i), name) == 0)
			return i;
	return -1;
}

static bool axr__db_in_range(const axr_db_result_t *r, int row, int col)
{
	return r && row >= 0 && col >= 0 && row < PQntuples(r->res) && col < PQnfields(r->res);
}

bool axr_db_result_is_null(const axr_db_result_t *r, int row, int col)
{
	return !axr__db_in_range(r, row, col) || PQgetisnull(r->res, row, col);
}

const char *axr_db_result_text(const axr_db_result_t *r, int row, int col, size_t *len)
{
	if (len)
		*len = 0;
	if (axr_db_result_is_null(r, row, col))
		return NULL;
	if (len)
		*len = (size_t)PQgetlength(r->res, row, col);
	return PQgetvalue(r->res, row, col);
}

/* The text of a non-NULL value, or the getters' error. */
static int axr__db_value(const axr_db_result_t *r, int row, int col, const char **out)
{
	if (!axr__db_in_range(r, row, col))
		return AXR_EINVAL;
	if (PQgetisnull(r->res, row, col))
		return AXR_ENOTFOUND;
	*out = PQgetvalue(r->res, row, col);
	return 0;
}

int axr_db_result_int64(const axr_db_result_t *r, int row, int col, int64_t *out)
{
	const char *s;
	char *end;
	int rc = axr__db_value(r, row, col, &s);
	if (rc != 0)
		return rc;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end != '\0')
		return AXR_EPARSE;
	if (errno == ERANGE)
		return AXR_ERANGE;
	*out = (int64_t)v;
	return 0;
}

int axr_db_result_double(const axr_db_result_t *r, int row, int col, double *out)
{
	const char *s;
	char *end;
	int rc = axr__db_value(r, row, col, &s);
	if (rc != 0)
		return rc;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end != '\0')
		return AXR_EPARSE;
	if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL))
		return AXR_ERANGE;
	*out = v;
	return 0;
}

int axr_db_result_bool(const axr_db_result_t *r, int row, int col, bool *out)
{
	const char *s;
	int rc = axr__db_value(r, row, col, &s);
	if (rc != 0)
		return rc;
	if (strcmp(s, "t") == 0)
		*out = true;
	else if (strcmp(s, "f") == 0)
		*out = false;
	else
		return AXR_EPARSE;
	return 0;
}

int axr_db_result_bytea(axr_db_result_t *r, int row, int col, const uint8_t **data, size_t *len)
{
	const char *s;
	int rc = axr__db_value(r, row, col, &s);
	if (rc != 0)
		return rc;
	if (strncmp(s, "\\x", 2) != 0)
		return AXR_EPARSE;
	axr__db_blob_t *b = calloc(1, sizeof *b);
	if (!b)
		return AXR_ENOMEM;
	size_t n = 0;
	b->data = PQunescapeBytea((const unsigned char *)s, &n);
	if (!b->data) {
		free(b);
		return AXR_ENOMEM;
	}
	b->next = r->blobs;
	r->blobs = b;
	*data = b->data;
	*len = n;
	return 0;
}

int axr_db_sqlstate_err(const char *s)
{
	if (!s || strlen(s) != 5)
		return AXR_EINTERNAL;
	if (strcmp(s, "23505") == 0)
		return AXR_EEXISTS;
	if (strcmp(s, "23502") == 0)
		return AXR_EINVAL;
	if (strncmp(s, "23", 2) == 0)
		return AXR_ECONFLICT;
	if (strncmp(s, "22", 2) == 0)
		return AXR_EINVAL;
	if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0)
		return AXR_EAGAIN;
	if (strcmp(s, "57014") == 0 || strcmp(s, "55P03") == 0 || strcmp(s, "25P03") == 0)
		return AXR_ETIMEOUT;
	if (strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0 || strcmp(s, "57P02") == 0 ||
	    strcmp(s, "57P03") == 0 || strcmp(s, "40003") == 0)
		return AXR_EUNAVAILABLE;
	if (strncmp(s, "53", 2) == 0)
		return AXR_EBUSY;
	if (strncmp(s, "54", 2) == 0)
		return AXR_ETOOBIG;
	return AXR_EINTERNAL;
}
