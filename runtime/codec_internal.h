/* codec_internal.h: what codec.c, codec_out.c and codec_text.c share (not a public API). */
#ifndef AXR_CODEC_INTERNAL_H
#define AXR_CODEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <json-c/json_object.h>
#include <protobuf-c/protobuf-c.h>

#include "buf.h"
#include "schema.h"

/* Messages nested deeper than this are refused (AXR_EINVAL) in both
 * directions: requests are 16 deep at most, and a handler that built a
 * cycle gets an error instead of a stack overflow. */
#define AXR__CODEC_MAX_DEPTH 128

/* ---- schema tables (codec.c) ---------------------------------------------- */

/* The end of s's $ref chain (NULL for NULL); *flags (when not NULL) gets
 * the AXR_SCHEMA_* bits of every schema on the way, and of their allOf
 * parts. */
static inline const axr_schema_t *axr__codec_target(const axr_schema_t *s, uint32_t *flags)
{
	uint32_t bits = 0;
	for (int hops = 0; s != NULL; hops++) {
		bits |= s->flags;
		for (size_t i = 0; i < s->n_all_of; i++)
			if (s->all_of[i] != NULL)
				bits |= s->all_of[i]->flags;
		if (s->ref == NULL || hops == 64) /* 64: a broken table with a $ref cycle */
			break;
		s = s->ref;
	}
	if (flags != NULL)
		*flags = bits;
	return s;
}

/* Does the (target) schema map to a message (docs/model-mapping.md: an
 * object with properties and without oneOf/anyOf)? */
bool axr__codec_is_message(const axr_schema_t *t);

/* Does a string field whose schema ends in `t` (axr__codec_target) hold
 * JSON text rather than a plain string? Mirrors axrgen's mapping: only
 * `type: string` (nullable or not) and untyped string enums/consts are
 * plain strings. */
bool axr__codec_json_text(const axr_schema_t *t);

/* Is `name` in t->required? */
bool axr__codec_required(const axr_schema_t *t, const char *name);

/* A generator wrapper message: exactly one field, numbered 1 (<X>List's
 * `repeated items = 1`, JsonValue's `optional string json = 1`). */
const ProtobufCFieldDescriptor *axr__codec_wrapper_field(const ProtobufCMessageDescriptor *desc);

/* How a whole message stands for the JSON value of a schema. */
typedef enum axr__codec_shape {
	AXR__CODEC_OBJECT, /* an object: one property per field */
	AXR__CODEC_TEXT,   /* JsonValue: field 1 holds the value as JSON text */
	AXR__CODEC_FIELD,  /* <X>List and other wrappers: the value of field 1 */
	AXR__CODEC_NONE,   /* the schema cannot describe the message */
} axr__codec_shape_t;

/* The shape of messages of type `desc` for (target) schema `t`; *wrapped is
 * field 1 for TEXT and FIELD. A message-shaped schema is an OBJECT; else a
 * one-field wrapper is TEXT or FIELD; else an OBJECT when `t` has
 * properties anyway or the message has no fields (an operation input
 * without parameters), NONE otherwise. */
axr__codec_shape_t axr__codec_shape(const axr_schema_t *t, const ProtobufCMessageDescriptor *desc,
                                    const ProtobufCFieldDescriptor **wrapped);

/* Can (target) schema `t` describe a sub-message of type `desc`? */
bool axr__codec_describes(const axr_schema_t *t, const ProtobufCMessageDescriptor *desc);

/* ---- message memory (codec.c) ---------------------------------------------- */

/* Bytes of one element of a repeated field of this type. */
size_t axr__codec_elem_size(ProtobufCType type);

static inline void *axr__codec_slot(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	return (char *)m + f->offset;
}

static inline const void *axr__codec_cslot(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	return (const char *)m + f->offset;
}

/* Is the field set (a repeated field: has at least one element)? */
static inline bool axr__codec_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const char *base = (const char *)m;
	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)(base + f->quantifier_offset) > 0;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
	if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
		return *(void *const *)(base + f->offset) != NULL;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
		return *(const protobuf_c_boolean *)(base + f->quantifier_offset) != 0;
	return true; /* required, or proto3 without presence */
}

/* Field `id` of `desc`, NULL when it has none. protoc-c sorts fields by
 * number and axrgen numbers them 1, 2, ... (gaps only where the lock
 * retired one), so the field is usually at index id - 1; else a binary
 * search. */
static inline const ProtobufCFieldDescriptor *axr__codec_field(const ProtobufCMessageDescriptor *desc, uint32_t id)
{
	if (id - 1 < desc->n_fields && desc->fields[id - 1].id == id)
		return &desc->fields[id - 1];
	return protobuf_c_message_descriptor_get_field(desc, (int)id);
}

/* ---- appending (the hot path) ------------------------------------------------ */

/* Like axr_buf_putc()/axr_buf_append() without a call when there is room.
 * They do not write the terminating NUL: whoever finishes the text does
 * (axr_buf_* calls in between write it too, harmlessly). */
static inline void axr__codec_putc(axr_buf_t *b, char c)
{
	if (b->len < b->cap)
		b->data[b->len++] = c;
	else
		axr_buf_putc(b, c);
}

static inline void axr__codec_append(axr_buf_t *b, const void *p, size_t n)
{
	if (n <= b->cap - b->len) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
	} else {
		axr_buf_append(b, p, n);
	}
}

/* ---- JSON text (codec_text.c) ---------------------------------------------- */

/* Length of the JSON number at p (RFC 8259 grammar), 0 when there is none. */
size_t axr__codec_number_len(const char *p, const char *end);

/*
 * Checks that in[0..len) is one JSON value (RFC 8259 grammar, UTF-8, no
 * lone surrogate escapes, nesting up to AXR_JSON_MAX_DEPTH_LIMIT) and copies
 * it to `out` without insignificant whitespace: `out` needs room for `len`
 * bytes (the copy is never longer). Returns 0 and *out_len, or AXR_EINVAL.
 */
int axr__codec_compact(const char *in, size_t len, char *out, size_t *out_len);

/* Appends the JSON text in[0..len) compacted (above). 0, AXR_EINVAL, AXR_ENOMEM. */
int axr__codec_put_text(axr_buf_t *b, const char *in, size_t len);

/* Bytes a JSON string carries as they are (1) or escapes/checks (0). */
extern const unsigned char axr__codec_plain[256];

/* Appends `s` as a JSON string. AXR_EINVAL when it is not UTF-8. */
int axr__codec_put_string(axr_buf_t *b, const char *s, size_t len);

void axr__codec_put_int64(axr_buf_t *b, int64_t v);
void axr__codec_put_uint64(axr_buf_t *b, uint64_t v);

/* Appends the shortest text that reads back as `d`; `null` for NaN and
 * infinities, which JSON cannot carry. */
void axr__codec_put_double(axr_buf_t *b, double d);

/* Appends a json-c tree as compact JSON (members in the tree's order; a
 * double keeps its literal text when it has a valid one). 0, AXR_EINVAL
 * (a string that is not UTF-8, nesting beyond AXR_JSON_MAX_DEPTH_LIMIT),
 * AXR_ENOMEM. */
int axr__codec_put_tree(axr_buf_t *b, json_object *v);

#endif
