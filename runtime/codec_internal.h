/* codec_internal.h: what codec.c, codec_out.c and codec_text.c share (not a public API). */
#ifndef AXR_CODEC_INTERNAL_H
#define AXR_CODEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json_object.h>
#include <protobuf-c/protobuf-c.h>

#include "buf.h"
#include "schema.h"

/* Messages nested deeper than this are refused (AXR_EINVAL) in both
 * directions: requests are 16 deep at most, and a handler that built a
 * cycle gets an error instead of a stack overflow. */
#define AXR__CODEC_MAX_DEPTH 128

/* ---- schema tables (codec.c) ---------------------------------------------- */

/* The end of s's $ref chain (NULL for NULL); *flags gets the AXR_SCHEMA_*
 * bits of every schema on the way, and of their allOf parts. */
const axr_schema_t *axr__codec_target(const axr_schema_t *s, uint32_t *flags);

/* Does the (target) schema map to a message (docs/model-mapping.md: an
 * object with properties and without oneOf/anyOf)? */
bool axr__codec_is_message(const axr_schema_t *t);

/* Does a string field of this (property) schema hold JSON text rather than
 * a plain string? Mirrors axrgen's mapping: only `type: string` (nullable
 * or not) and untyped string enums/consts are plain strings. */
bool axr__codec_string_is_json(const axr_schema_t *s);

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
bool axr__codec_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f);

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
