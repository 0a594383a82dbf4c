/* codec.c: JSON (json-c trees and text) into protobuf-c messages, and the table helpers the codec shares. */
#include "codec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/linkhash.h>

#include "codec_internal.h"
#include "err.h"
#include "json.h"

/* ---- schema tables -------------------------------------------------------- */

bool axr__codec_is_message(const axr_schema_t *t)
{
	if (t == NULL || t->n_properties == 0 || t->n_one_of > 0 || t->n_any_of > 0 || (t->flags & AXR_SCHEMA_FALSE))
		return false;
	uint32_t types = t->types & ~(uint32_t)AXR_TYPE_NULL;
	return types == 0 || types == AXR_TYPE_OBJECT;
}

bool axr__codec_json_text(const axr_schema_t *t)
{
	if (t == NULL || (t->flags & AXR_SCHEMA_FALSE) || t->n_one_of > 0 || t->n_any_of > 0)
		return true;
	uint32_t types = t->types & ~(uint32_t)AXR_TYPE_NULL;
	if (types != 0)
		return types != AXR_TYPE_STRING;
	if (t->const_value != NULL)
		return t->const_value->kind != AXR_VALUE_STRING;
	for (size_t i = 0; i < t->n_enum; i++)
		if (t->enum_values[i].kind != AXR_VALUE_STRING)
			return true;
	return t->n_enum == 0;
}

bool axr__codec_required(const axr_schema_t *t, const char *name)
{
	for (size_t i = 0; t != NULL && i < t->n_required; i++)
		if (strcmp(t->required[i], name) == 0)
			return true;
	return false;
}

const ProtobufCFieldDescriptor *axr__codec_wrapper_field(const ProtobufCMessageDescriptor *desc)
{
	return desc->n_fields == 1 && desc->fields[0].id == 1 ? &desc->fields[0] : NULL;
}

axr__codec_shape_t axr__codec_shape(const axr_schema_t *t, const ProtobufCMessageDescriptor *desc,
                                    const ProtobufCFieldDescriptor **wrapped)
{
	*wrapped = NULL;
	if (axr__codec_is_message(t))
		return AXR__CODEC_OBJECT;
	const ProtobufCFieldDescriptor *f = axr__codec_wrapper_field(desc);
	if (f == NULL)
		return (t != NULL && t->n_properties > 0) || desc->n_fields == 0 ? AXR__CODEC_OBJECT : AXR__CODEC_NONE;
	*wrapped = f;
	return f->label != PROTOBUF_C_LABEL_REPEATED && f->type == PROTOBUF_C_TYPE_STRING ? AXR__CODEC_TEXT
	                                                                                  : AXR__CODEC_FIELD;
}

bool axr__codec_describes(const axr_schema_t *t, const ProtobufCMessageDescriptor *desc)
{
	return (t != NULL && t->n_properties > 0) || desc->n_fields == 0;
}

/* ---- message memory ------------------------------------------------------- */

size_t axr__codec_elem_size(ProtobufCType type)
{
	switch (type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: return 8;
	case PROTOBUF_C_TYPE_DOUBLE: return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
	default: return 4; /* 32-bit integers, enums, float */
	}
}

/* Marks a field whose value was just stored as present. */
static void axr__mark(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	char *base = (char *)m;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		*(uint32_t *)(base + f->quantifier_offset) = f->id;
	else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_STRING &&
	         f->type != PROTOBUF_C_TYPE_MESSAGE)
		*(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
}

/* Makes a field absent (JSON null). */
static void axr__clear(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	char *base = (char *)m;
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		*(size_t *)(base + f->quantifier_offset) = 0;
		*(void **)(base + f->offset) = NULL;
	} else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		uint32_t *which = (uint32_t *)(base + f->quantifier_offset);
		if (*which == f->id) {
			*which = 0;
			memset(base + f->offset, 0, axr__codec_elem_size(f->type));
		}
	} else if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE) {
		*(void **)(base + f->offset) = NULL;
	} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
		*(protobuf_c_boolean *)(base + f->quantifier_offset) = 0;
	}
}

ProtobufCMessage *axr_codec_message_new(const ProtobufCMessageDescriptor *desc, axr_arena_t *arena)
{
	void *m = axr_arena_alloc(arena, desc->sizeof_message);
	if (m != NULL)
		protobuf_c_message_init(desc, m);
	return m;
}

static void *axr__pb_alloc(void *arena, size_t size)
{
	return axr_arena_alloc(arena, size);
}

static void axr__pb_free(void *arena, void *pointer)
{
	(void)arena;
	(void)pointer;
}

void axr_codec_arena_allocator(axr_arena_t *arena, ProtobufCAllocator *out)
{
	out->alloc = axr__pb_alloc;
	out->free = axr__pb_free;
	out->allocator_data = arena;
}

/* ---- JSON -> message ------------------------------------------------------ */

/* Where the decoder is: one frame per member or element, on the C stack. */
typedef struct axr__path {
	const struct axr__path *up;
	const char *key; /* NULL in an array: `index` */
	size_t index;
} axr__path_t;

typedef struct axr__in {
	axr_arena_t *arena;
	axr_verrors_t *errs; /* NULL: stop at the first error */
	axr_buf_t scratch;   /* free-form values are written here, then copied */
	unsigned depth;
	bool stop;
} axr__in_t;

static void axr__path_put(axr_buf_t *b, const axr__path_t *at)
{
	if (at == NULL)
		return;
	axr__path_put(b, at->up);
	axr_buf_putc(b, '/');
	if (at->key == NULL) {
		axr__codec_put_uint64(b, at->index);
		return;
	}
	for (const char *k = at->key; *k; k++) {
		if (*k == '~')
			axr_buf_append(b, "~0", 2);
		else if (*k == '/')
			axr_buf_append(b, "~1", 2);
		else
			axr_buf_putc(b, *k);
	}
}

/* Records why the value at `at` does not fit; returns AXR_EINVAL (or
 * AXR_ENOMEM). Decoding goes on to report more unless the list is full. */
static int axr__in_fail(axr__in_t *in, const axr__path_t *at, const char *message)
{
	if (in->errs == NULL || in->errs->max == 0) {
		if (in->errs != NULL)
			in->errs->truncated = true;
		in->stop = true;
		return AXR_EINVAL;
	}
	axr_buf_t path = AXR_BUF_INIT;
	axr__path_put(&path, at);
	if (path.data != NULL)
		path.data[path.len] = '\0'; /* the number writer leaves it out */
	int rc = axr_buf_ok(&path) ? axr_verrors_add(in->errs, path.data ? path.data : "", "%s", message)
	                           : AXR_ENOMEM;
	axr_buf_free(&path);
	if (rc == AXR_ENOMEM)
		return rc;
	if (rc != 0)
		in->stop = true;
	return AXR_EINVAL;
}

/* The integer in `v`: *i, or *u when above INT64_MAX (*big). */
static bool axr__integer(json_object *v, int64_t *i, uint64_t *u, bool *big)
{
	if (json_object_get_type(v) != json_type_int)
		return false;
	*i = json_object_get_int64(v);
	*u = (uint64_t)*i;
	*big = false;
	if (*i == INT64_MAX) {
		*u = json_object_get_uint64(v);
		*big = *u > (uint64_t)INT64_MAX;
	}
	return true;
}

static int axr__in_message(axr__in_t *in, const axr_schema_t *t, ProtobufCMessage *msg, json_object *v,
                           const axr__path_t *at);

static int axr__in_string(axr__in_t *in, char **slot, json_object *v, const axr__path_t *at, bool json_text)
{
	if (json_text) {
		axr_buf_clear(&in->scratch);
		int rc = axr__codec_put_tree(&in->scratch, v);
		if (rc != 0)
			return rc == AXR_ENOMEM ? rc : axr__in_fail(in, at, "is not valid JSON");
		*slot = axr_arena_strndup(in->arena, in->scratch.data, in->scratch.len);
		return *slot ? 0 : AXR_ENOMEM;
	}
	if (json_object_get_type(v) != json_type_string)
		return axr__in_fail(in, at, "expected a string");
	const char *s = json_object_get_string(v);
	size_t len = (size_t)json_object_get_string_len(v);
	if (memchr(s, '\0', len) != NULL)
		return axr__in_fail(in, at, "must not contain U+0000");
	*slot = axr_arena_strndup(in->arena, s, len);
	return *slot ? 0 : AXR_ENOMEM;
}

/* One value (a field's, or one element of a repeated field) into `slot`. */
static int axr__in_value(axr__in_t *in, const axr_schema_t *s, const ProtobufCFieldDescriptor *f, void *slot,
                         json_object *v, const axr__path_t *at, bool json_text)
{
	int64_t i = 0;
	uint64_t u = 0;
	bool big = false;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (!axr__integer(v, &i, &u, &big))
			return axr__in_fail(in, at, "expected an integer");
		if (big || i < INT32_MIN || i > INT32_MAX)
			return axr__in_fail(in, at, "must fit in 32 bits (int32)");
		*(int32_t *)slot = (int32_t)i;
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (!axr__integer(v, &i, &u, &big))
			return axr__in_fail(in, at, "expected an integer");
		if (big || i < 0 || i > (int64_t)UINT32_MAX)
			return axr__in_fail(in, at, "must fit in 32 bits, unsigned (uint32)");
		*(uint32_t *)slot = (uint32_t)i;
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (!axr__integer(v, &i, &u, &big))
			return axr__in_fail(in, at, "expected an integer");
		if (big)
			return axr__in_fail(in, at, "must fit in 64 bits (int64)");
		*(int64_t *)slot = i;
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (!axr__integer(v, &i, &u, &big))
			return axr__in_fail(in, at, "expected an integer");
		if (!big && i < 0)
			return axr__in_fail(in, at, "must not be negative (uint64)");
		*(uint64_t *)slot = u;
		return 0;
	case PROTOBUF_C_TYPE_DOUBLE:
	case PROTOBUF_C_TYPE_FLOAT: {
		double d;
		if (axr__integer(v, &i, &u, &big))
			d = big ? (double)u : (double)i;
		else if (json_object_get_type(v) == json_type_double)
			d = json_object_get_double(v);
		else
			return axr__in_fail(in, at, "expected a number");
		if (!isfinite(d))
			return axr__in_fail(in, at, "must be a finite number");
		if (f->type == PROTOBUF_C_TYPE_DOUBLE) {
			*(double *)slot = d;
			return 0;
		}
		if (fabs(d) > 3.4028234663852886e38)
			return axr__in_fail(in, at, "is too large for a float");
		*(float *)slot = (float)d;
		return 0;
	}
	case PROTOBUF_C_TYPE_BOOL:
		if (json_object_get_type(v) != json_type_boolean)
			return axr__in_fail(in, at, "expected true or false");
		*(protobuf_c_boolean *)slot = json_object_get_boolean(v) ? 1 : 0;
		return 0;
	case PROTOBUF_C_TYPE_STRING:
		return axr__in_string(in, (char **)slot, v, at, json_text);
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessageDescriptor *desc = f->descriptor;
		const axr_schema_t *t = axr__codec_target(s, NULL);
		if (!axr__codec_describes(t, desc))
			return AXR_ECONFIG;
		ProtobufCMessage *sub = axr_codec_message_new(desc, in->arena);
		if (sub == NULL)
			return AXR_ENOMEM;
		*(ProtobufCMessage **)slot = sub;
		return axr__in_message(in, t, sub, v, at);
	}
	default: /* bytes and enums: axrgen never emits them */
		return axr__in_fail(in, at, "has a field type the JSON codec does not support");
	}
}

static int axr__in_repeated(axr__in_t *in, const axr_schema_t *s, ProtobufCMessage *msg,
                            const ProtobufCFieldDescriptor *f, json_object *v, const axr__path_t *at)
{
	if (json_object_get_type(v) != json_type_array)
		return axr__in_fail(in, at, "expected an array");
	const axr_schema_t *t = axr__codec_target(s, NULL);
	const axr_schema_t *items = t != NULL ? t->items : NULL;
	bool json_text = f->type == PROTOBUF_C_TYPE_STRING && axr__codec_json_text(axr__codec_target(items, NULL));
	size_t n = json_object_array_length(v), size = axr__codec_elem_size(f->type);
	char *elems = NULL;
	int rc = 0;

	if (n > 0 && (elems = axr_arena_calloc(in->arena, n, size)) == NULL)
		return AXR_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(v, i);
		axr__path_t here = {.up = at, .index = i};
		int r = item == NULL && !json_text ? axr__in_fail(in, &here, "null cannot be stored in this array")
		                                   : axr__in_value(in, items, f, elems + i * size, item, &here, json_text);
		if (r != 0) {
			rc = r;
			if (r != AXR_EINVAL || in->stop)
				break;
		}
	}
	*(size_t *)((char *)msg + f->quantifier_offset) = n;
	*(void **)axr__codec_slot(msg, f) = elems;
	return rc;
}

/* A field from its JSON value (NULL = JSON null: the field is cleared). */
static int axr__in_field(axr__in_t *in, const axr_schema_t *s, ProtobufCMessage *msg,
                         const ProtobufCFieldDescriptor *f, json_object *v, const axr__path_t *at, bool json_text)
{
	if (v == NULL) {
		axr__clear(msg, f);
		return 0;
	}
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return axr__in_repeated(in, s, msg, f, v, at);
	json_text = json_text || (f->type == PROTOBUF_C_TYPE_STRING && axr__codec_json_text(axr__codec_target(s, NULL)));
	int rc = axr__in_value(in, s, f, axr__codec_slot(msg, f), v, at, json_text);
	if (rc == 0)
		axr__mark(msg, f);
	return rc;
}

/* The property named `name` of t (the table is sorted by strcmp). */
static const axr_property_t *axr__property(const axr_schema_t *t, const char *name)
{
	size_t lo = 0, hi = t != NULL ? t->n_properties : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, t->properties[mid].name);
		if (c == 0)
			return &t->properties[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int axr__in_message(axr__in_t *in, const axr_schema_t *t, ProtobufCMessage *msg, json_object *v,
                           const axr__path_t *at)
{
	if (json_object_get_type(v) != json_type_object)
		return axr__in_fail(in, at, "expected an object");
	if (in->depth >= AXR__CODEC_MAX_DEPTH)
		return axr__in_fail(in, at, "is nested too deeply");
	in->depth++;
	int rc = 0;
	for (struct lh_entry *e = json_object_get_object(v)->head; e != NULL; e = e->next) {
		const char *key = (const char *)lh_entry_k(e);
		const axr_property_t *p = axr__property(t, key);
		if (p == NULL || p->field == 0)
			continue; /* undeclared, or carried by no field */
		const ProtobufCFieldDescriptor *f = axr__codec_field(msg->descriptor, p->field);
		if (f == NULL) {
			rc = AXR_ECONFIG; /* the table names a field the message does not have */
			break;
		}
		axr__path_t here = {.up = at, .key = key};
		int r = axr__in_field(in, p->schema, msg, f, (json_object *)lh_entry_v(e), &here, false);
		if (r != 0) {
			rc = r;
			if (r != AXR_EINVAL || in->stop)
				break;
		}
	}
	in->depth--;
	return rc;
}

int axr_codec_from_json(const axr_schema_t *schema, const ProtobufCMessageDescriptor *desc,
                        json_object *json, axr_arena_t *arena, ProtobufCMessage **out,
                        axr_verrors_t *errs)
{
	axr__in_t in = {.arena = arena, .errs = errs, .scratch = AXR_BUF_INIT};
	const ProtobufCFieldDescriptor *wrapped;
	const axr_schema_t *t = axr__codec_target(schema, NULL);
	int rc = 0;

	*out = NULL;
	ProtobufCMessage *msg = axr_codec_message_new(desc, arena);
	if (msg == NULL)
		return AXR_ENOMEM;
	switch (axr__codec_shape(t, desc, &wrapped)) {
	case AXR__CODEC_OBJECT:
		if (json != NULL)
			rc = axr__in_message(&in, t, msg, json, NULL);
		break;
	case AXR__CODEC_TEXT:
	case AXR__CODEC_FIELD:
		rc = axr__in_field(&in, schema, msg, wrapped, json, NULL, wrapped->type == PROTOBUF_C_TYPE_STRING &&
		                                                     wrapped->label != PROTOBUF_C_LABEL_REPEATED);
		break;
	case AXR__CODEC_NONE:
		rc = AXR_ECONFIG;
		break;
	}
	axr_buf_free(&in.scratch);
	if (rc == 0)
		*out = msg;
	return rc;
}

int axr_codec_field_from_json(const axr_schema_t *field_schema, ProtobufCMessage *msg,
                              const ProtobufCFieldDescriptor *field, const char *json, size_t len,
                              axr_arena_t *arena)
{
	if (json == NULL) {
		axr__clear(msg, field);
		return 0;
	}
	if (field->label != PROTOBUF_C_LABEL_REPEATED && field->type == PROTOBUF_C_TYPE_STRING &&
	    axr__codec_json_text(axr__codec_target(field_schema, NULL))) {
		/* Free-form text (a jsonb column): checked and compacted, no tree. */
		size_t n;
		char *text = axr_arena_alloc(arena, len + 1);
		if (text == NULL)
			return AXR_ENOMEM;
		if (axr__codec_compact(json, len, text, &n) != 0)
			return AXR_EINVAL;
		text[n] = '\0';
		if (n == 4 && memcmp(text, "null", 4) == 0) {
			axr__clear(msg, field);
			return 0;
		}
		*(char **)axr__codec_slot(msg, field) = text;
		axr__mark(msg, field);
		return 0;
	}
	axr_json_opts_t opts = {.max_depth = AXR_JSON_MAX_DEPTH_LIMIT, .max_size = SIZE_MAX};
	json_object *tree = NULL;
	int rc = axr_json_parse(json, len, &opts, &tree, NULL);
	if (rc != 0)
		return rc == AXR_ENOMEM ? rc : AXR_EINVAL;
	axr__in_t in = {.arena = arena, .scratch = AXR_BUF_INIT};
	rc = axr__in_field(&in, field_schema, msg, field, tree, NULL, false);
	axr_buf_free(&in.scratch);
	json_object_put(tree);
	return rc;
}
