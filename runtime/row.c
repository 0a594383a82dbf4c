/* row.c: an entity's table row <-> its protobuf-c message, column by column. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "err.h"
#include "row.h"

/* ---- entity checks ------------------------------------------------------ */

static int axr__row_config(char *errbuf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int axr__row_config(char *errbuf, size_t size, const char *fmt, ...)
{
	if (errbuf && size > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(errbuf, size, fmt, ap);
		va_end(ap);
	}
	return AXR_ECONFIG;
}

static bool axr__row_ident_ok(const char *s)
{
	if (s == NULL || !((*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	size_t n = 0;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return false;
	return n <= AXR_ROW_NAME_MAX;
}

static bool axr__row_field_fits(axr_column_type_t t, const ProtobufCFieldDescriptor *f)
{
	if (t == AXR_COL_JSONB)
		return f->label == PROTOBUF_C_LABEL_REPEATED || f->type == PROTOBUF_C_TYPE_STRING ||
		       f->type == PROTOBUF_C_TYPE_MESSAGE;
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return false;
	switch (t) {
	case AXR_COL_UUID:
	case AXR_COL_TEXT:
	case AXR_COL_TIMESTAMPTZ:
	case AXR_COL_DATE:
		return f->type == PROTOBUF_C_TYPE_STRING;
	case AXR_COL_BIGINT:
		switch (f->type) {
		case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
		case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_INT64:
		case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64: case PROTOBUF_C_TYPE_UINT64:
		case PROTOBUF_C_TYPE_FIXED64:
			return true;
		default:
			return false;
		}
	case AXR_COL_DOUBLE:
		return f->type == PROTOBUF_C_TYPE_DOUBLE || f->type == PROTOBUF_C_TYPE_FLOAT;
	case AXR_COL_BOOLEAN:
		return f->type == PROTOBUF_C_TYPE_BOOL;
	default:
		return false;
	}
}

static int axr__row_check_base(const axr_entity_t *e, const char *name, axr_column_type_t type,
                               char *errbuf, size_t size)
{
	int i = axr_row_column(e, name);
	if (i < 0)
		return axr__row_config(errbuf, size, "entity %s: base column %s is missing", e->name, name);
	if (e->columns[i].type != type)
		return axr__row_config(errbuf, size, "entity %s: base column %s has type %s, want %s",
		                       e->name, name, axr_row_sql_type(e->columns[i].type),
		                       axr_row_sql_type(type));
	return 0;
}

int axr_entity_check(const axr_entity_t *e, char *errbuf, size_t size)
{
	if (e == NULL || e->name == NULL || e->columns == NULL || e->n_columns == 0)
		return axr__row_config(errbuf, size, "entity without name or columns");
	if (!axr__row_ident_ok(e->table))
		return axr__row_config(errbuf, size, "entity %s: table name \"%s\" is not a lowercase SQL identifier",
		                       e->name, e->table ? e->table : "(null)");
	for (size_t i = 0; i < e->n_columns; i++) {
		const axr_column_t *c = &e->columns[i];
		if (!axr__row_ident_ok(c->name))
			return axr__row_config(errbuf, size, "entity %s: column name \"%s\" is not a lowercase SQL identifier",
			                       e->name, c->name ? c->name : "(null)");
		if (c->json_name == NULL || c->json_name[0] == '\0')
			return axr__row_config(errbuf, size, "entity %s: column %s has no json name", e->name, c->name);
		if ((unsigned)c->type > AXR_COL_JSONB)
			return axr__row_config(errbuf, size, "entity %s: column %s has an unknown type", e->name, c->name);
		for (size_t j = 0; j < i; j++) {
			if (strcmp(e->columns[j].name, c->name) == 0 || strcmp(e->columns[j].json_name, c->json_name) == 0)
				return axr__row_config(errbuf, size, "entity %s: column %s is declared twice", e->name, c->name);
		}
		if (e->message != NULL) {
			const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(e->message, c->field);
			if (f == NULL)
				return axr__row_config(errbuf, size, "entity %s: column %s: message %s has no field %u",
				                       e->name, c->name, e->message->name, (unsigned)c->field);
			if (!axr__row_field_fits(c->type, f))
				return axr__row_config(errbuf, size, "entity %s: column %s (%s) cannot be carried by field %s",
				                       e->name, c->name, axr_row_sql_type(c->type), f->name);
		}
	}
	if (e->message == NULL)
		return axr__row_config(errbuf, size, "entity %s has no message descriptor", e->name);
	int rc = axr__row_check_base(e, AXR_ROW_UID, AXR_COL_UUID, errbuf, size);
	if (rc == 0)
		rc = axr__row_check_base(e, AXR_ROW_DATE_CREATED, AXR_COL_TIMESTAMPTZ, errbuf, size);
	if (rc == 0)
		rc = axr__row_check_base(e, AXR_ROW_DATE_MODIFIED, AXR_COL_TIMESTAMPTZ, errbuf, size);
	if (rc == 0)
		rc = axr__row_check_base(e, AXR_ROW_VERSION, AXR_COL_BIGINT, errbuf, size);
	if (rc != 0)
		return rc;
	if (e->owner_column < -1 || e->owner_column >= (int)e->n_columns ||
	    e->identifier_column < -1 || e->identifier_column >= (int)e->n_columns)
		return axr__row_config(errbuf, size, "entity %s: owner or identifier column out of range", e->name);
	if (e->owner_column >= 0 && e->columns[e->owner_column].type != AXR_COL_UUID &&
	    e->columns[e->owner_column].type != AXR_COL_TEXT)
		return axr__row_config(errbuf, size, "entity %s: owner column %s must be uuid or text", e->name,
		                       e->columns[e->owner_column].name);
	if (e->identifier_column >= 0 && e->columns[e->identifier_column].type == AXR_COL_JSONB)
		return axr__row_config(errbuf, size, "entity %s: identifier column %s cannot be jsonb", e->name,
		                       e->columns[e->identifier_column].name);
	for (size_t i = 0; i < e->n_channel_columns; i++)
		if (e->channel_columns[i] < 0 || e->channel_columns[i] >= (int)e->n_columns)
			return axr__row_config(errbuf, size, "entity %s: channel column %zu out of range", e->name, i);
	for (size_t i = 0; i < e->n_indexes; i++) {
		const axr_index_t *x = &e->indexes[i];
		if (!axr__row_ident_ok(x->name) || x->n_columns == 0 || x->n_columns > AXR_ROW_INDEX_MAX_COLUMNS)
			return axr__row_config(errbuf, size, "entity %s: index %zu has a bad name, no columns or more than %d",
			                       e->name, i, AXR_ROW_INDEX_MAX_COLUMNS);
		for (size_t j = 0; j < x->n_columns; j++)
			if (axr_row_column(e, x->columns[j]) < 0)
				return axr__row_config(errbuf, size, "entity %s: index %s names unknown column %s", e->name,
				                       x->name, x->columns[j] ? x->columns[j] : "(null)");
	}
	return 0;
}

/* ---- names -------------------------------------------------------------- */

const char *axr_row_sql_type(axr_column_type_t type)
{
	switch (type) {
	case AXR_COL_UUID: return "uuid";
	case AXR_COL_TEXT: return "text";
	case AXR_COL_BIGINT: return "bigint";
	case AXR_COL_DOUBLE: return "double precision";
	case AXR_COL_BOOLEAN: return "boolean";
	case AXR_COL_TIMESTAMPTZ: return "timestamp with time zone";
	case AXR_COL_DATE: return "date";
	case AXR_COL_JSONB: return "jsonb";
	}
	return "?";
}

int axr_row_column(const axr_entity_t *e, const char *name)
{
	for (size_t i = 0; i < e->n_columns; i++)
		if (e->columns[i].name && strcmp(e->columns[i].name, name) == 0)
			return (int)i;
	return -1;
}

int axr_row_column_json(const axr_entity_t *e, const char *json_name)
{
	for (size_t i = 0; i < e->n_columns; i++)
		if (e->columns[i].json_name && strcmp(e->columns[i].json_name, json_name) == 0)
			return (int)i;
	return -1;
}

const ProtobufCFieldDescriptor *axr_row_field(const axr_entity_t *e, size_t col)
{
	return protobuf_c_message_descriptor_get_field(e->message, e->columns[col].field);
}

void axr_row_ident(axr_buf_t *out, const char *name)
{
	axr_buf_putc(out, '"');
	axr_buf_puts(out, name);
	axr_buf_putc(out, '"');
}

void axr_row_select_list(const axr_entity_t *e, axr_buf_t *out)
{
	for (size_t i = 0; i < e->n_columns; i++) {
		const char *n = e->columns[i].name;
		if (i > 0)
			axr_buf_puts(out, ", ");
		switch (e->columns[i].type) {
		case AXR_COL_TIMESTAMPTZ:
			axr_buf_printf(out, "to_char(\"%s\" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS \"%s\"",
			               n, n);
			break;
		case AXR_COL_DATE:
			axr_buf_printf(out, "to_char(\"%s\", 'YYYY-MM-DD') AS \"%s\"", n, n);
			break;
		default:
			axr_row_ident(out, n);
			break;
		}
	}
}

/* ---- message fields ----------------------------------------------------- */

ProtobufCMessage *axr_row_message_new(const ProtobufCMessageDescriptor *desc, axr_arena_t *arena)
{
	void *m = axr_arena_alloc(arena, desc->sizeof_message);
	if (m == NULL)
		return NULL;
	protobuf_c_message_init(desc, m);
	return m;
}

static bool axr__row_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const char *base = (const char *)m;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(const void *)(base + f->quantifier_offset) == f->id;
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)(const void *)(base + f->quantifier_offset) > 0;
	if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
		return *(void *const *)(const void *)(base + f->offset) != NULL;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset != 0)
		return *(const protobuf_c_boolean *)(const void *)(base + f->quantifier_offset) != 0;
	return true;
}

/* Marks a scalar field present (has_x, or the oneof case). */
static void axr__row_mark(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, bool present)
{
	char *base = (char *)m;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		*(uint32_t *)(void *)(base + f->quantifier_offset) = present ? f->id : 0;
	else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset != 0 &&
	         f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
		*(protobuf_c_boolean *)(void *)(base + f->quantifier_offset) = present;
}

static void *axr__row_slot(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	return (char *)m + f->offset;
}

static const void *axr__row_cslot(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	return (const char *)m + f->offset;
}

/* Text of an integer field. */
static int axr__row_int_text(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                             axr_arena_t *arena, const char **out)
{
	const void *p = axr__row_cslot(m, f);
	char *s;
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
		s = axr_arena_printf(arena, "%" PRId32, *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
		s = axr_arena_printf(arena, "%" PRIu32, *(const uint32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
		s = axr_arena_printf(arena, "%" PRIu64, *(const uint64_t *)p);
		break;
	default:
		s = axr_arena_printf(arena, "%" PRId64, *(const int64_t *)p);
		break;
	}
	*out = s;
	return s ? 0 : AXR_ENOMEM;
}

/* Shortest %g text that reads back as the same double. */
static char *axr__row_double_text(double d, axr_arena_t *arena)
{
	char buf[40];
	if (isnan(d))
		return axr_arena_strdup(arena, "NaN");
	if (isinf(d))
		return axr_arena_strdup(arena, d > 0 ? "Infinity" : "-Infinity");
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	return axr_arena_strdup(arena, buf);
}

int axr_row_param(const axr_entity_t *e, size_t col, const ProtobufCMessage *msg,
                  axr_arena_t *arena, const char **out)
{
	const axr_column_t *c = &e->columns[col];
	const ProtobufCFieldDescriptor *f = axr_row_field(e, col);
	const void *p;

	*out = NULL;
	if (f == NULL)
		return AXR_EINTERNAL;
	if (c->type == AXR_COL_JSONB)
		return axr_row_jsonb_to_text(c, msg, f, arena, out);
	if (!axr__row_present(msg, f))
		return 0;
	p = axr__row_cslot(msg, f);
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		*out = *(char *const *)p;
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		*out = *(const protobuf_c_boolean *)p ? "true" : "false";
		return 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		*out = axr__row_double_text(*(const double *)p, arena);
		return *out ? 0 : AXR_ENOMEM;
	case PROTOBUF_C_TYPE_FLOAT:
		*out = axr__row_double_text(*(const float *)p, arena);
		return *out ? 0 : AXR_ENOMEM;
	default:
		return axr__row_int_text(msg, f, arena, out);
	}
}

/* "2024-05-01T10:00:00.250000Z" -> "2024-05-01T10:00:00.25Z"; ".000000Z" -> "Z". */
static size_t axr__row_trim_fraction(char *s, size_t len)
{
	char *dot = memchr(s, '.', len);
	if (dot == NULL || len < 2 || s[len - 1] != 'Z')
		return len;
	size_t end = len - 1; /* index of 'Z' */
	while (end > (size_t)(dot - s) + 1 && s[end - 1] == '0')
		end--;
	if (end == (size_t)(dot - s) + 1)
		end = (size_t)(dot - s);
	s[end] = 'Z';
	s[end + 1] = '\0';
	return end + 1;
}

static int axr__row_parse_int(const ProtobufCFieldDescriptor *f, void *slot, const char *text)
{
	char *end;
	errno = 0;
	switch (f->type) {
	case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32: {
		if (text[0] == '-')
			return AXR_EINTERNAL;
		unsigned long long u = strtoull(text, &end, 10);
		if (errno || *end || end == text)
			return AXR_EINTERNAL;
		if (f->type == PROTOBUF_C_TYPE_UINT32 || f->type == PROTOBUF_C_TYPE_FIXED32) {
			if (u > UINT32_MAX)
				return AXR_EINTERNAL;
			*(uint32_t *)slot = (uint32_t)u;
		} else {
			*(uint64_t *)slot = u;
		}
		return 0;
	}
	default: {
		long long v = strtoll(text, &end, 10);
		if (errno || *end || end == text)
			return AXR_EINTERNAL;
		if (f->type == PROTOBUF_C_TYPE_INT32 || f->type == PROTOBUF_C_TYPE_SINT32 ||
		    f->type == PROTOBUF_C_TYPE_SFIXED32) {
			if (v < INT32_MIN || v > INT32_MAX)
				return AXR_EINTERNAL;
			*(int32_t *)slot = (int32_t)v;
		} else {
			*(int64_t *)slot = v;
		}
		return 0;
	}
	}
}

int axr_row_set(const axr_entity_t *e, size_t col, ProtobufCMessage *msg, const char *text,
                size_t len, axr_arena_t *arena)
{
	const axr_column_t *c = &e->columns[col];
	const ProtobufCFieldDescriptor *f = axr_row_field(e, col);
	void *slot;
	int rc = 0;

	if (f == NULL)
		return AXR_EINTERNAL;
	if (c->type == AXR_COL_JSONB)
		return axr_row_jsonb_from_text(c, msg, f, text, len, arena);
	slot = axr__row_slot(msg, f);
	if (text == NULL) {
		if (f->type == PROTOBUF_C_TYPE_STRING)
			*(char **)slot = NULL;
		axr__row_mark(msg, f, false);
		return 0;
	}
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		char *s = axr_arena_strndup(arena, text, len);
		if (s == NULL)
			return AXR_ENOMEM;
		if (c->type == AXR_COL_TIMESTAMPTZ)
			axr__row_trim_fraction(s, len);
		*(char **)slot = s;
		break;
	}
	case PROTOBUF_C_TYPE_BOOL:
		if (len != 1 || (text[0] != 't' && text[0] != 'f'))
			return AXR_EINTERNAL;
		*(protobuf_c_boolean *)slot = text[0] == 't';
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
	case PROTOBUF_C_TYPE_FLOAT: {
		char *end;
		double d = strtod(text, &end);
		if (end == text || *end)
			return AXR_EINTERNAL;
		if (f->type == PROTOBUF_C_TYPE_DOUBLE)
			*(double *)slot = d;
		else
			*(float *)slot = (float)d;
		break;
	}
	default:
		rc = axr__row_parse_int(f, slot, text);
		break;
	}
	if (rc == 0)
		axr__row_mark(msg, f, true);
	return rc;
}

int axr_row_read(const axr_entity_t *e, const axr_db_result_t *r, int row, axr_arena_t *arena,
                 ProtobufCMessage **out)
{
	ProtobufCMessage *m;

	*out = NULL;
	if (axr_db_result_cols(r) < (int)e->n_columns || row >= axr_db_result_rows(r))
		return AXR_EINTERNAL;
	m = axr_row_message_new(e->message, arena);
	if (m == NULL)
		return AXR_ENOMEM;
	for (size_t i = 0; i < e->n_columns; i++) {
		size_t len = 0;
		const char *text = axr_db_result_text(r, row, (int)i, &len);
		int rc = axr_row_set(e, i, m, text, len, arena);
		if (rc != 0)
			return rc;
	}
	*out = m;
	return 0;
}

/* ---- jsonb ----------------------------------------------------------------- */

/* A jsonb column carried by a string field holds the JSON text itself (the
 * free-form mapping); one carried by a message or repeated field goes
 * through the codec with the column's schema. */
static bool axr__row_jsonb_as_text(const ProtobufCFieldDescriptor *f)
{
	return f->label != PROTOBUF_C_LABEL_REPEATED && f->type == PROTOBUF_C_TYPE_STRING;
}

int axr_row_jsonb_to_text(const axr_column_t *c, const ProtobufCMessage *msg,
                          const ProtobufCFieldDescriptor *f, axr_arena_t *arena, const char **out)
{
	*out = NULL;
	if (f->label != PROTOBUF_C_LABEL_REPEATED && !axr__row_present(msg, f))
		return 0; /* SQL NULL */
	if (axr__row_jsonb_as_text(f)) {
		*out = *(char *const *)axr__row_cslot(msg, f);
		return 0;
	}
	axr_buf_t json = AXR_BUF_INIT;
	int rc = axr_codec_field_to_json(c->schema, msg, f, 0, &json);
	if (rc == 0 && (*out = axr_arena_strndup(arena, json.data ? json.data : "null", json.len)) == NULL)
		rc = AXR_ENOMEM;
	axr_buf_free(&json);
	return rc;
}

int axr_row_jsonb_from_text(const axr_column_t *c, ProtobufCMessage *msg,
                            const ProtobufCFieldDescriptor *f, const char *text, size_t len,
                            axr_arena_t *arena)
{
	if (text == NULL) {
		if (f->label == PROTOBUF_C_LABEL_REPEATED)
			*(size_t *)((char *)msg + f->quantifier_offset) = 0;
		else if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
			*(void **)axr__row_slot(msg, f) = NULL;
		else
			axr__row_mark(msg, f, false);
		return 0;
	}
	if (axr__row_jsonb_as_text(f)) {
		char *s = axr_arena_strndup(arena, text, len);
		if (s == NULL)
			return AXR_ENOMEM;
		*(char **)axr__row_slot(msg, f) = s;
		return 0;
	}
	return axr_codec_field_from_json(c->schema, msg, f, text, len, arena);
}

/* ---- indexes -------------------------------------------------------------- */

void axr_row_derived_name(char *buf, const char *table, const char *column, const char *suffix)
{
	snprintf(buf, AXR_ROW_NAME_MAX + 1, "%s_%s_%s", table, column, suffix);
}

/* True when an entry of out[0..n) has the same name, or the same columns and uniqueness. */
static bool axr__row_index_known(const axr_row_index_t *out, size_t n, const axr_row_index_t *x)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(out[i].name, x->name) == 0)
			return true;
		if (out[i].unique == x->unique && out[i].n_cols == x->n_cols &&
		    memcmp(out[i].cols, x->cols, x->n_cols * sizeof x->cols[0]) == 0)
			return true;
	}
	return false;
}

size_t axr_row_indexes(const axr_entity_t *e, axr_row_index_t *out)
{
	size_t n = 0;
	for (size_t i = 0; i < e->n_indexes; i++) {
		const axr_index_t *x = &e->indexes[i];
		axr_row_index_t ix = {.unique = x->unique};
		snprintf(ix.name, sizeof ix.name, "%s", x->name);
		for (size_t j = 0; j < x->n_columns && j < AXR_ROW_INDEX_MAX_COLUMNS; j++)
			ix.cols[ix.n_cols++] = axr_row_column(e, x->columns[j]);
		if (!axr__row_index_known(out, n, &ix))
			out[n++] = ix;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < e->n_columns; i++) {
			const axr_column_t *c = &e->columns[i];
			bool want = pass == 0 ? (c->flags & (AXR_COLUMN_UNIQUE | AXR_COLUMN_IDENTIFIER)) != 0
			                      : (c->flags & AXR_COLUMN_INDEXED) || (int)i == e->owner_column;
			if (!want || strcmp(c->name, AXR_ROW_UID) == 0)
				continue;
			axr_row_index_t ix = {.unique = pass == 0, .n_cols = 1, .cols = {(int)i}};
			axr_row_derived_name(ix.name, e->table, c->name, pass == 0 ? "key" : "idx");
			if (!axr__row_index_known(out, n, &ix))
				out[n++] = ix;
		}
	}
	return n;
}
