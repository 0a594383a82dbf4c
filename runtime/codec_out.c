/* codec_out.c: protobuf-c messages to JSON text (responses, jsonb columns). */
#include "codec.h"

#include <string.h>

#include "codec_internal.h"
#include "err.h"
#include "json.h"
#include "validate.h"

typedef struct axr__out {
	axr_buf_t *b;
	unsigned flags; /* enum axr_codec_flags */
	unsigned depth;
} axr__out_t;

/* ---- writeOnly inside free-form values ------------------------------------ */

#define AXR__HIDE_SEEN 32

typedef struct axr__hide_walk {
	const axr_schema_t *seen[AXR__HIDE_SEEN];
	size_t n;
} axr__hide_walk_t;

static bool axr__hides_any(axr__hide_walk_t *w, const axr_schema_t *const *list, size_t n);

/* Can a value of `s` hold a writeOnly member somewhere inside? A schema
 * graph too large to walk here counts as yes: stripping is then only slower. */
static bool axr__hides(axr__hide_walk_t *w, const axr_schema_t *s)
{
	if (s == NULL)
		return false;
	for (size_t i = 0; i < w->n; i++)
		if (w->seen[i] == s)
			return false;
	if (w->n == AXR__HIDE_SEEN || (s->flags & AXR_SCHEMA_WRITE_ONLY))
		return true;
	w->seen[w->n++] = s;
	if (axr__hides(w, s->ref) || axr__hides(w, s->items) || axr__hides(w, s->additional_items) ||
	    axr__hides(w, s->additional_properties) || axr__hides_any(w, s->tuple_items, s->n_tuple_items) ||
	    axr__hides_any(w, s->all_of, s->n_all_of) || axr__hides_any(w, s->any_of, s->n_any_of) ||
	    axr__hides_any(w, s->one_of, s->n_one_of))
		return true;
	for (size_t i = 0; i < s->n_properties; i++)
		if (axr__hides(w, s->properties[i].schema))
			return true;
	for (size_t i = 0; i < s->n_pattern_properties; i++)
		if (axr__hides(w, s->pattern_properties[i].schema))
			return true;
	for (size_t i = 0; i < s->n_dependencies; i++)
		if (axr__hides(w, s->dependencies[i].schema))
			return true;
	return false;
}

static bool axr__hides_any(axr__hide_walk_t *w, const axr_schema_t *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (axr__hides(w, list[i]))
			return true;
	return false;
}

/* ---- values --------------------------------------------------------------- */

/* A free-form field's JSON text: checked and compacted; in a response,
 * first stripped of writeOnly members its schema may declare. */
static int axr__out_text(axr__out_t *o, const axr_schema_t *s, const char *text)
{
	size_t len = strlen(text);
	axr__hide_walk_t w = {.n = 0};
	if (!(o->flags & AXR_CODEC_RESPONSE) || !axr__hides(&w, s))
		return axr__codec_put_text(o->b, text, len);
	axr_json_opts_t opts = {.max_depth = AXR_JSON_MAX_DEPTH_LIMIT, .max_size = SIZE_MAX, .flags = AXR_JSON_BIGNUM};
	json_object *tree = NULL;
	int rc = axr_json_parse(text, len, &opts, &tree, NULL);
	if (rc != 0)
		return rc == AXR_ENOMEM ? rc : AXR_EINVAL;
	axr_strip_write_only(s, tree);
	rc = axr__codec_put_tree(o->b, tree);
	json_object_put(tree);
	return rc;
}

static int axr__out_message(axr__out_t *o, const axr_schema_t *t, const ProtobufCMessage *msg);

/* One value (a field's, or one element of a repeated field) from `slot`;
 * `s` is its schema and `t` the end of s's $ref chain. */
static int axr__out_value(axr__out_t *o, const axr_schema_t *s, const axr_schema_t *t,
                          const ProtobufCFieldDescriptor *f, const void *slot, bool json_text)
{
	axr_buf_t *b = o->b;
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		axr__codec_put_int64(b, *(const int32_t *)slot);
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		axr__codec_put_uint64(b, *(const uint32_t *)slot);
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		axr__codec_put_int64(b, *(const int64_t *)slot);
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		axr__codec_put_uint64(b, *(const uint64_t *)slot);
		return 0;
	case PROTOBUF_C_TYPE_FLOAT:
		axr__codec_put_double(b, *(const float *)slot);
		return 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		axr__codec_put_double(b, *(const double *)slot);
		return 0;
	case PROTOBUF_C_TYPE_BOOL:
		if (*(const protobuf_c_boolean *)slot)
			axr__codec_append(b, "true", 4);
		else
			axr__codec_append(b, "false", 5);
		return 0;
	case PROTOBUF_C_TYPE_STRING: {
		const char *str = *(const char *const *)slot;
		if (str == NULL) {
			axr__codec_append(b, "null", 4);
			return 0;
		}
		return json_text ? axr__out_text(o, s, str) : axr__codec_put_string(b, str, strlen(str));
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)slot;
		if (sub == NULL) {
			axr__codec_append(b, "null", 4);
			return 0;
		}
		if (!axr__codec_describes(t, sub->descriptor))
			return AXR_ECONFIG;
		return axr__out_message(o, t, sub);
	}
	default: /* bytes and enums: axrgen never emits them */
		return AXR_EINVAL;
	}
}

/* A field's value: an array for a repeated field (`[]` when empty), `null`
 * when absent. `t` is the end of s's $ref chain. */
static int axr__out_field(axr__out_t *o, const axr_schema_t *s, const axr_schema_t *t, const ProtobufCMessage *msg,
                          const ProtobufCFieldDescriptor *f, bool json_text)
{
	const void *slot = axr__codec_cslot(msg, f);
	if (f->label != PROTOBUF_C_LABEL_REPEATED) {
		if (!axr__codec_present(msg, f)) {
			axr__codec_append(o->b, "null", 4);
			return 0;
		}
		json_text = json_text || (f->type == PROTOBUF_C_TYPE_STRING && axr__codec_json_text(t));
		return axr__out_value(o, s, t, f, slot, json_text);
	}
	const axr_schema_t *items = t != NULL ? t->items : NULL;
	const axr_schema_t *it = axr__codec_target(items, NULL);
	const char *elems = *(const char *const *)slot;
	size_t n = elems != NULL ? *(const size_t *)((const char *)msg + f->quantifier_offset) : 0;
	size_t size = axr__codec_elem_size(f->type);
	json_text = f->type == PROTOBUF_C_TYPE_STRING && axr__codec_json_text(it);
	int rc = 0;
	axr__codec_putc(o->b, '[');
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i > 0)
			axr__codec_putc(o->b, ',');
		rc = axr__out_value(o, items, it, f, elems + i * size, json_text);
	}
	axr__codec_putc(o->b, ']');
	return rc;
}

/* Appends `"name":` (after a comma unless first). */
static int axr__out_key(axr_buf_t *b, const char *name, bool first)
{
	size_t n = 0;
	unsigned char plain = 1;
	for (unsigned char c; (c = (unsigned char)name[n]) != 0; n++)
		plain &= axr__codec_plain[c];
	if (!plain) {
		if (!first)
			axr__codec_putc(b, ',');
		int rc = axr__codec_put_string(b, name, n);
		axr__codec_putc(b, ':');
		return rc;
	}
	if (n + 4 > b->cap - b->len && axr_buf_reserve(b, n + 4) != 0)
		return AXR_ENOMEM;
	char *p = b->data + b->len;
	if (!first)
		*p++ = ',';
	*p++ = '"';
	memcpy(p, name, n);
	p += n;
	*p++ = '"';
	*p++ = ':';
	b->len = (size_t)(p - b->data);
	return 0;
}

static int axr__out_message(axr__out_t *o, const axr_schema_t *t, const ProtobufCMessage *msg)
{
	if (o->depth >= AXR__CODEC_MAX_DEPTH)
		return AXR_EINVAL;
	o->depth++;
	int rc = 0;
	bool first = true;
	axr__codec_putc(o->b, '{');
	for (size_t i = 0; t != NULL && i < t->n_properties && rc == 0; i++) {
		const axr_property_t *p = &t->properties[i];
		if (p->field == 0)
			continue;
		const ProtobufCFieldDescriptor *f = axr__codec_field(msg->descriptor, p->field);
		if (f == NULL) {
			rc = AXR_ECONFIG; /* the table names a field the message does not have */
			break;
		}
		bool present = axr__codec_present(msg, f);
		/* Absent is omitted, except where the schema requires the member:
		 * an empty array is [], a nullable value null. */
		if (!present && (t->n_required == 0 || !axr__codec_required(t, p->name)))
			continue;
		uint32_t flags;
		const axr_schema_t *pt = axr__codec_target(p->schema, &flags);
		if ((o->flags & AXR_CODEC_RESPONSE) && (flags & AXR_SCHEMA_WRITE_ONLY))
			continue;
		if (!present) {
			bool array = f->label == PROTOBUF_C_LABEL_REPEATED;
			if (!array && !(flags & AXR_SCHEMA_NULLABLE) && !(pt != NULL && (pt->types & AXR_TYPE_NULL)))
				continue;
			rc = axr__out_key(o->b, p->name, first);
			axr__codec_append(o->b, array ? "[]" : "null", array ? 2 : 4);
			first = false;
			continue;
		}
		rc = axr__out_key(o->b, p->name, first);
		first = false;
		if (rc == 0)
			rc = axr__out_field(o, p->schema, pt, msg, f, false);
	}
	axr__codec_putc(o->b, '}');
	o->depth--;
	return rc;
}

/* Runs `rc` to its end: on error `out` is put back as it was. */
static int axr__out_finish(axr_buf_t *out, size_t start, int rc)
{
	if (rc == 0 && !axr_buf_ok(out))
		rc = AXR_ENOMEM;
	if (rc != 0)
		out->len = start;
	if (out->data != NULL)
		out->data[out->len] = '\0';
	return rc;
}

int axr_codec_to_json(const axr_schema_t *schema, const ProtobufCMessage *msg, unsigned flags,
                      axr_buf_t *out)
{
	axr__out_t o = {.b = out, .flags = flags};
	const ProtobufCFieldDescriptor *wrapped;
	const axr_schema_t *t = axr__codec_target(schema, NULL);
	size_t start = out->len;
	int rc;

	switch (axr__codec_shape(t, msg->descriptor, &wrapped)) {
	case AXR__CODEC_OBJECT:
		rc = axr__out_message(&o, t, msg);
		break;
	case AXR__CODEC_TEXT:
	case AXR__CODEC_FIELD:
		rc = axr__out_field(&o, schema, t, msg, wrapped, wrapped->type == PROTOBUF_C_TYPE_STRING);
		break;
	default:
		rc = AXR_ECONFIG;
		break;
	}
	return axr__out_finish(out, start, rc);
}

int axr_codec_field_to_json(const axr_schema_t *field_schema, const ProtobufCMessage *msg,
                            const ProtobufCFieldDescriptor *field, unsigned flags, axr_buf_t *out)
{
	axr__out_t o = {.b = out, .flags = flags};
	size_t start = out->len;
	const axr_schema_t *t = axr__codec_target(field_schema, NULL);
	return axr__out_finish(out, start, axr__out_field(&o, field_schema, t, msg, field, false));
}
