/* query.c: the AXR query language (?limit, ?page, ?sort, filters) to parameterized SQL. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "err.h"
#include "json.h"
#include "query.h"
#include "row.h"
#include "server_internal.h"
#include "utf8.h"

enum axr__query_op { OP_EQ, OP_NE, OP_GT, OP_GTE, OP_LT, OP_LTE, OP_IN, OP_NIN, OP_LIKE, OP_RANGE };

static const struct {
	const char *name;
	enum axr__query_op op;
	const char *sql; /* comparison for the one-value operators */
} axr__query_ops[] = {
	{"eq", OP_EQ, " = "},       {"ne", OP_NE, " IS DISTINCT FROM "},
	{"gt", OP_GT, " > "},       {"gte", OP_GTE, " >= "},
	{"lt", OP_LT, " < "},       {"lte", OP_LTE, " <= "},
	{"in", OP_IN, NULL},        {"nin", OP_NIN, NULL},
	{"like", OP_LIKE, " LIKE "}, {"range", OP_RANGE, NULL},
};

/* Filter values are checked by type and format only: a filter may name a
 * value outside the property's own constraints (quantity=gt(-1)). */
static const axr_schema_t axr__query_uuid = {.types = AXR_TYPE_STRING, .format = AXR_FORMAT_UUID};
static const axr_schema_t axr__query_text = {.types = AXR_TYPE_STRING};
static const axr_schema_t axr__query_int = {.types = AXR_TYPE_INTEGER, .format = AXR_FORMAT_INT64};
static const axr_schema_t axr__query_number = {.types = AXR_TYPE_NUMBER};
static const axr_schema_t axr__query_bool = {.types = AXR_TYPE_BOOLEAN};
static const axr_schema_t axr__query_datetime = {.types = AXR_TYPE_STRING, .format = AXR_FORMAT_DATE_TIME};
static const axr_schema_t axr__query_date = {.types = AXR_TYPE_STRING, .format = AXR_FORMAT_DATE};

static const axr_schema_t *axr__query_value_schema(axr_column_type_t t)
{
	switch (t) {
	case AXR_COL_UUID: return &axr__query_uuid;
	case AXR_COL_BIGINT: return &axr__query_int;
	case AXR_COL_DOUBLE: return &axr__query_number;
	case AXR_COL_BOOLEAN: return &axr__query_bool;
	case AXR_COL_TIMESTAMPTZ: return &axr__query_datetime;
	case AXR_COL_DATE: return &axr__query_date;
	default: return &axr__query_text;
	}
}

typedef struct axr__query_pair {
	const char *key;
	const char *value;
	int col;   /* filter column, -1 when not a filter */
	bool done; /* emitted with an earlier parameter of the same name */
} axr__query_pair_t;

typedef struct axr__query_ctx {
	axr_arena_t *arena;
	const axr_entity_t *e;
	const char *user_uid;
	axr_verrors_t *errs;
	const char **values;
	int nvalues;
	int rc;        /* first hard error (AXR_ENOMEM), else 0 */
	bool invalid;  /* a validation error was recorded */
	bool anon_me;  /* an anonymous caller used `me` */
} axr__query_ctx_t;

/* "/query/<name>" with '~' and '/' escaped (RFC 6901). */
static const char *axr__query_path(axr_arena_t *arena, const char *name)
{
	size_t n = strlen(name), extra = 0;
	for (size_t i = 0; i < n; i++)
		extra += name[i] == '~' || name[i] == '/';
	char *p = axr_arena_alloc(arena, sizeof "/query/" + n + extra);
	if (p == NULL)
		return NULL;
	size_t j = 0;
	memcpy(p, "/query/", 7);
	j = 7;
	for (size_t i = 0; i < n; i++) {
		if (name[i] == '~' || name[i] == '/') {
			p[j++] = '~';
			p[j++] = name[i] == '~' ? '0' : '1';
		} else {
			p[j++] = name[i];
		}
	}
	p[j] = '\0';
	return p;
}

static void axr__query_error(axr__query_ctx_t *q, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void axr__query_error(axr__query_ctx_t *q, const char *name, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	q->invalid = true;
	const char *path = name ? axr__query_path(q->arena, name) : "/query";
	if (path == NULL || axr_verrors_add(q->errs, path, "%s", msg) == AXR_ENOMEM)
		q->rc = AXR_ENOMEM;
}

/* Strict decimal integer: 0 and *out; -1 not an integer; -2 beyond int64. */
static int axr__query_int64(const char *s, int64_t *out)
{
	bool neg = *s == '-';
	uint64_t v = 0;
	const char *p = s + neg;
	if (*p == '\0')
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (UINT64_MAX - 9) / 10)
			return -2;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > (uint64_t)INT64_MAX)
		return -2;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

/* Records `text` as the next bound value and appends its placeholder. */
static void axr__query_bind(axr__query_ctx_t *q, axr_buf_t *sql, const char *text, axr_column_type_t t)
{
	if (q->nvalues >= AXR_QUERY_MAX_VALUES)
		return; /* reported by the caller */
	q->values[q->nvalues++] = text;
	axr_buf_printf(sql, "$%d::%s", q->nvalues, axr_row_sql_type(t));
}

/*
 * Checks one filter value of column `c` and returns the text to bind (the
 * caller's uid for `me`), or NULL after recording the error.
 */
static const char *axr__query_value(axr__query_ctx_t *q, const axr_column_t *c, const char *name,
                                    const char *raw, bool allow_me)
{
	if (allow_me && strcmp(raw, "me") == 0 && (c->type == AXR_COL_UUID || c->type == AXR_COL_TEXT)) {
		if (q->user_uid == NULL) {
			q->anon_me = true;
			axr__query_error(q, name, "\"me\" needs an authenticated caller");
			return NULL;
		}
		raw = q->user_uid;
	}
	const char *path = axr__query_path(q->arena, name);
	json_object *v = NULL;
	if (path == NULL) {
		q->rc = AXR_ENOMEM;
		return NULL;
	}
	int rc = axr_param_decode(axr__query_value_schema(c->type), AXR_PARAM_FORM_EXPLODE, &raw, NULL, 1,
	                          path, q->errs, &v);
	json_object_put(v);
	if (rc == AXR_EVALIDATION) {
		q->invalid = true;
		return NULL;
	}
	if (rc != 0) {
		q->rc = rc == AXR_ENOMEM ? rc : AXR_EINTERNAL;
		return NULL;
	}
	return raw;
}

/* Splits the argument text of in()/nin()/range() on commas into the arena. */
static size_t axr__query_split(axr__query_ctx_t *q, const char *args, const char ***out)
{
	size_t n = 1;
	for (const char *p = args; *p; p++)
		n += *p == ',';
	const char **parts = axr_arena_calloc(q->arena, n, sizeof *parts);
	if (parts == NULL) {
		q->rc = AXR_ENOMEM;
		return 0;
	}
	const char *start = args;
	for (size_t i = 0; i < n; i++) {
		const char *comma = strchr(start, ',');
		size_t len = comma ? (size_t)(comma - start) : strlen(start);
		parts[i] = axr_arena_strndup(q->arena, start, len);
		if (parts[i] == NULL) {
			q->rc = AXR_ENOMEM;
			return 0;
		}
		start = comma ? comma + 1 : start + len;
	}
	*out = parts;
	return n;
}

/* Recognises "op(args)": 1 and *op / *args; 0 for a plain value; -1 after
 * recording an unknown operator. */
static int axr__query_operator(axr__query_ctx_t *q, const char *name, const char *value, int *op,
                               const char **args)
{
	size_t vlen = strlen(value), i = 0;
	while ((value[i] >= 'a' && value[i] <= 'z') || (value[i] >= 'A' && value[i] <= 'Z') || value[i] == '_')
		i++;
	if (i == 0 || value[i] != '(' || vlen < i + 2 || value[vlen - 1] != ')')
		return 0;
	for (size_t k = 0; k < sizeof axr__query_ops / sizeof axr__query_ops[0]; k++) {
		if (strlen(axr__query_ops[k].name) == i && memcmp(axr__query_ops[k].name, value, i) == 0) {
			*op = (int)k;
			*args = axr_arena_strndup(q->arena, value + i + 1, vlen - i - 2);
			if (*args == NULL)
				q->rc = AXR_ENOMEM;
			return *args ? 1 : -1;
		}
	}
	axr__query_error(q, name, "unknown operator \"%.*s\" (use eq, ne, gt, gte, lt, lte, in, nin, like or range)",
	                 (int)i, value);
	return -1;
}

/* Appends the condition for one occurrence `value` of filter `name` on column `c`. */
static void axr__query_condition(axr__query_ctx_t *q, const axr_column_t *c, const char *name,
                                 const char *value, axr_buf_t *sql)
{
	int k = 0; /* eq */
	const char *args = value;
	int is_op = axr__query_operator(q, name, value, &k, &args);
	if (is_op < 0)
		return;
	enum axr__query_op op = axr__query_ops[k].op;

	if (c->type == AXR_COL_BOOLEAN && op != OP_EQ && op != OP_NE && op != OP_IN && op != OP_NIN) {
		axr__query_error(q, name, "operator %s does not apply to a boolean", axr__query_ops[k].name);
		return;
	}
	if (op == OP_LIKE && c->type != AXR_COL_TEXT) {
		axr__query_error(q, name, "operator like applies to text properties only");
		return;
	}
	const char **parts = &args;
	size_t n = 1;
	if (op == OP_IN || op == OP_NIN || op == OP_RANGE) {
		n = axr__query_split(q, args, &parts);
		if (n == 0)
			return;
		if (op == OP_RANGE && n != 2) {
			axr__query_error(q, name, "range takes two values: range(low,high)");
			return;
		}
	}
	if ((size_t)q->nvalues + n > AXR_QUERY_MAX_VALUES) {
		axr__query_error(q, name, "too many filter values (at most %d in one query)", AXR_QUERY_MAX_VALUES);
		q->nvalues = AXR_QUERY_MAX_VALUES;
		return;
	}
	const char **texts = axr_arena_calloc(q->arena, n, sizeof *texts);
	if (texts == NULL) {
		q->rc = AXR_ENOMEM;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		texts[i] = axr__query_value(q, c, name, parts[i], op != OP_LIKE);
		if (texts[i] == NULL)
			return;
	}
	axr_column_type_t t = op == OP_LIKE ? AXR_COL_TEXT : c->type;
	switch (op) {
	case OP_IN:
	case OP_NIN:
		if (op == OP_NIN) {
			axr_buf_puts(sql, "(");
			axr_row_ident(sql, c->name);
			axr_buf_puts(sql, " IS NULL OR ");
		}
		axr_row_ident(sql, c->name);
		axr_buf_puts(sql, op == OP_NIN ? " NOT IN (" : " IN (");
		for (size_t i = 0; i < n; i++) {
			if (i > 0)
				axr_buf_puts(sql, ", ");
			axr__query_bind(q, sql, texts[i], t);
		}
		axr_buf_puts(sql, op == OP_NIN ? "))" : ")");
		break;
	case OP_RANGE:
		axr_row_ident(sql, c->name);
		axr_buf_puts(sql, " BETWEEN ");
		axr__query_bind(q, sql, texts[0], t);
		axr_buf_puts(sql, " AND ");
		axr__query_bind(q, sql, texts[1], t);
		break;
	default:
		axr_row_ident(sql, c->name);
		axr_buf_puts(sql, axr__query_ops[k].sql);
		axr__query_bind(q, sql, texts[0], t);
		break;
	}
}

/* Appends "(cond OR cond ...)" for every occurrence of pairs[first]'s column. */
static void axr__query_filter(axr__query_ctx_t *q, axr__query_pair_t *pairs, size_t npairs, size_t first,
                              axr_buf_t *sql)
{
	const axr_column_t *c = &q->e->columns[pairs[first].col];
	size_t count = 0;
	for (size_t j = first; j < npairs; j++)
		count += pairs[j].col == pairs[first].col;
	if (sql->len > 0)
		axr_buf_puts(sql, " AND ");
	if (count > 1)
		axr_buf_putc(sql, '(');
	size_t emitted = 0;
	for (size_t j = first; j < npairs; j++) {
		if (pairs[j].col != pairs[first].col)
			continue;
		pairs[j].done = true;
		if (emitted++ > 0)
			axr_buf_puts(sql, " OR ");
		axr__query_condition(q, c, pairs[j].key, pairs[j].value, sql);
	}
	if (count > 1)
		axr_buf_putc(sql, ')');
}

/* A sortable column named `name`, or -1 after recording why not. */
static int axr__query_sort_column(axr__query_ctx_t *q, const char *name)
{
	if (axr_utf8_validate(name, strlen(name)) != 0) {
		axr__query_error(q, "sort", "names a property that is not valid UTF-8");
		return -1;
	}
	int col = axr_row_column_json(q->e, name);
	if (col < 0) {
		axr__query_error(q, "sort", "unknown property \"%s\"", name);
		return -1;
	}
	if (q->e->columns[col].type == AXR_COL_JSONB) {
		axr__query_error(q, "sort", "property \"%s\" is not sortable", name);
		return -1;
	}
	return col;
}

/* `sort` -> "\"a\" DESC, \"b\" ASC, \"uid\" ASC" into `sql`. */
static void axr__query_sort(axr__query_ctx_t *q, const char *value, axr_buf_t *sql)
{
	bool uid_seen = false;
	int uid = axr_row_column(q->e, AXR_ROW_UID);

	if (value == NULL) {
		int created = axr_row_column(q->e, AXR_ROW_DATE_CREATED);
		if (created >= 0)
			axr_buf_printf(sql, "\"%s\" ASC", q->e->columns[created].name);
	} else if (value[0] == '{') {
		axr_json_opts_t jo = {.max_depth = 2, .max_size = 4096};
		axr_json_error_t jerr;
		json_object *obj = NULL;
		int rc = axr_json_parse(value, strlen(value), &jo, &obj, &jerr);
		if (rc == AXR_ENOMEM) {
			q->rc = rc;
			return;
		}
		if (rc != 0 || !json_object_is_type(obj, json_type_object)) {
			char where[160];
			axr__query_error(q, "sort", "must be a property name or a JSON object like {\"name\":\"DESC\"}%s%s",
			                 rc ? ": invalid JSON at " : "", rc ? axr_json_error_format(&jerr, where, sizeof where) : "");
			json_object_put(obj);
			return;
		}
		json_object_object_foreach(obj, key, dir)
		{
			int col = axr__query_sort_column(q, key);
			if (col < 0)
				continue;
			const char *d = NULL;
			if (json_object_is_type(dir, json_type_string)) {
				const char *s = json_object_get_string(dir);
				d = strcasecmp(s, "asc") == 0 ? "ASC" : strcasecmp(s, "desc") == 0 ? "DESC" : NULL;
			} else if (json_object_is_type(dir, json_type_int)) {
				int64_t i = json_object_get_int64(dir);
				d = i == 1 ? "ASC" : i == -1 ? "DESC" : NULL;
			}
			if (d == NULL) {
				axr__query_error(q, "sort", "direction of \"%s\" must be \"ASC\", \"DESC\", 1 or -1", key);
				continue;
			}
			if (sql->len > 0)
				axr_buf_puts(sql, ", ");
			axr_buf_printf(sql, "\"%s\" %s", q->e->columns[col].name, d);
			uid_seen |= col == uid;
		}
		json_object_put(obj);
	} else {
		int col = value[0] ? axr__query_sort_column(q, value) : -1;
		if (value[0] == '\0')
			axr__query_error(q, "sort", "must name a property");
		if (col >= 0) {
			axr_buf_printf(sql, "\"%s\" ASC", q->e->columns[col].name);
			uid_seen = col == uid;
		}
	}
	if (!uid_seen && uid >= 0) {
		if (sql->len > 0)
			axr_buf_puts(sql, ", ");
		axr_buf_printf(sql, "\"%s\" ASC", q->e->columns[uid].name);
	}
}

/* limit=N or page=N into *out; records the error otherwise. */
static void axr__query_paging(axr__query_ctx_t *q, const char *name, const char *value, int64_t max,
                              int64_t *out)
{
	int64_t v = 0;
	int rc = axr__query_int64(value, &v);
	if (rc == -1)
		axr__query_error(q, name, "must be a non-negative integer");
	else if (rc == -2 || v > max)
		axr__query_error(q, name, "must be at most %lld", (long long)max);
	else if (v < 0)
		axr__query_error(q, name, "must not be negative");
	else
		*out = v;
}

static bool axr__query_ignored(const axr_query_options_t *opt, const char *key)
{
	if (strcmp(key, "jwt_token") == 0)
		return true;
	for (size_t i = 0; opt && i < opt->n_ignore; i++)
		if (strcmp(opt->ignore[i], key) == 0)
			return true;
	return false;
}

/* Splits and decodes the query string into pairs (arena). */
static size_t axr__query_pairs(axr__query_ctx_t *q, const char *query, axr__query_pair_t **out)
{
	size_t n = 1;
	for (const char *p = query; *p; p++)
		n += *p == '&';
	axr__query_pair_t *pairs = axr_arena_calloc(q->arena, n, sizeof *pairs);
	if (pairs == NULL) {
		q->rc = AXR_ENOMEM;
		return 0;
	}
	size_t count = 0;
	for (const char *p = query; p != NULL && *p;) {
		const char *amp = strchr(p, '&');
		size_t plen = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', plen);
		size_t klen = eq ? (size_t)(eq - p) : plen;
		char *key = NULL, *value = NULL;
		if (plen > 0) {
			int rc = axr__percent_decode(q->arena, p, klen, 1, &key);
			if (rc == 0)
				rc = axr__percent_decode(q->arena, eq ? eq + 1 : "", eq ? plen - klen - 1 : 0, 1, &value);
			if (rc == AXR_ENOMEM) {
				q->rc = rc;
				return 0;
			}
			if (rc != 0 || axr_utf8_validate(key, strlen(key)) != 0)
				axr__query_error(q, NULL, "malformed query parameter (percent-encoding or UTF-8)");
			else if (key[0] == '\0')
				axr__query_error(q, NULL, "query parameter without a name");
			else
				pairs[count++] = (axr__query_pair_t){.key = key, .value = value, .col = -1};
		}
		p = amp ? amp + 1 : NULL;
	}
	*out = pairs;
	return count;
}

int axr_query_parse_string(const char *query, const char *user_uid, axr_arena_t *arena,
                           const axr_entity_t *e, const axr_query_options_t *opt, axr_query_t *out,
                           axr_verrors_t *errs)
{
	axr__query_ctx_t q = {.arena = arena, .e = e, .user_uid = user_uid, .errs = errs};
	axr_buf_t where = AXR_BUF_INIT, order = AXR_BUF_INIT;
	axr__query_pair_t *pairs = NULL;
	const char *limit = NULL, *page = NULL, *sort = NULL;
	size_t npairs = 0;
	int64_t page_no = 0;
	int rc;

	memset(out, 0, sizeof *out);
	out->limit = AXR_QUERY_DEFAULT_LIMIT;
	q.values = axr_arena_calloc(arena, AXR_QUERY_MAX_VALUES, sizeof *q.values);
	if (q.values == NULL)
		return AXR_ENOMEM;
	if (query != NULL)
		npairs = axr__query_pairs(&q, query, &pairs);
	for (size_t i = 0; i < npairs && q.rc == 0; i++) {
		const char *key = pairs[i].key;
		const char **slot = strcmp(key, "limit") == 0 ? &limit
		                    : strcmp(key, "page") == 0 ? &page
		                    : strcmp(key, "sort") == 0 ? &sort : NULL;
		if (slot != NULL) {
			if (*slot != NULL)
				axr__query_error(&q, key, "is given more than once");
			*slot = pairs[i].value;
			continue;
		}
		if (axr__query_ignored(opt, key))
			continue;
		int col = axr_row_column_json(e, key);
		if (col < 0)
			axr__query_error(&q, key, "unknown filter \"%s\": %s has no such property", key, e->name);
		else if (e->columns[col].type == AXR_COL_JSONB)
			axr__query_error(&q, key, "property \"%s\" is not filterable", key);
		else
			pairs[i].col = col;
	}
	if (limit != NULL)
		axr__query_paging(&q, "limit", limit, AXR_QUERY_MAX_LIMIT, &out->limit);
	if (page != NULL)
		axr__query_paging(&q, "page", page, INT64_MAX, &page_no);
	if (out->limit > 0 && page_no > INT64_MAX / out->limit)
		axr__query_error(&q, "page", "is too large for limit %lld", (long long)out->limit);
	else
		out->offset = page_no * out->limit;
	if (q.rc == 0)
		axr__query_sort(&q, sort, &order);
	for (size_t i = 0; i < npairs && q.rc == 0; i++)
		if (pairs[i].col >= 0 && !pairs[i].done)
			axr__query_filter(&q, pairs, npairs, i, &where);

	if (q.rc == 0 && (!axr_buf_ok(&where) || !axr_buf_ok(&order)))
		q.rc = AXR_ENOMEM;
	if (q.rc != 0) {
		rc = q.rc;
		goto fail;
	}
	if (q.anon_me) {
		rc = AXR_EUNAUTHORIZED;
		goto fail;
	}
	if (q.invalid) {
		rc = AXR_EVALIDATION;
		goto fail;
	}
	out->where = axr_arena_strndup(arena, where.data ? where.data : "", where.len);
	out->order_by = axr_arena_strndup(arena, order.data ? order.data : "", order.len);
	if (out->where == NULL || out->order_by == NULL) {
		rc = AXR_ENOMEM;
		goto fail;
	}
	out->values = q.values;
	out->nvalues = q.nvalues;
	axr_buf_free(&where);
	axr_buf_free(&order);
	return 0;
fail:
	axr_buf_free(&where);
	axr_buf_free(&order);
	memset(out, 0, sizeof *out);
	return rc;
}

int axr_query_parse(axr_request_t *req, const axr_entity_t *e, const axr_query_options_t *opt,
                    axr_query_t *out, axr_verrors_t *errs)
{
	return axr_query_parse_string(req->query, req->user_uid, req->arena, e, opt, out, errs);
}
