/* codec.h: JSON <-> protobuf-c messages, walking descriptors and schema tables. */
#ifndef AXR_CODEC_H
#define AXR_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json_object.h>
#include <protobuf-c/protobuf-c.h>

#include "arena.h"
#include "buf.h"
#include "schema.h"
#include "validate.h"

/*
 * The model types of a service are protobuf-c messages generated from its
 * spec (docs/model-mapping.md gives the mapping). The JSON users see is the
 * spec's: camelCase names, int64 as exact JSON numbers, enums and date-times
 * as strings, free-form objects as JSON. This codec converts between the two
 * generically: a schema table's property `field` names the protobuf field
 * number that carries it.
 *
 * Mapping (both directions):
 *   integer int32 <-> int32, other integers <-> int64 (never through double),
 *   number <-> double, boolean <-> bool, string (any format, enums) <-> string,
 *   array <-> repeated, object with properties <-> message,
 *   free-form value (no properties, oneOf/anyOf, maps) <-> string holding JSON text,
 *   JSON null or absent <-> field not present (has_x = 0, NULL pointer).
 *
 * Messages made by the codec live in an arena: strings, sub-messages and
 * repeated arrays are arena memory, so nothing is freed one by one, and
 * protobuf_c_message_free_unpacked() must never be called on them.
 */

/*
 * Builds a message of type `desc` from `json` (already validated against
 * `schema` by the caller) in `arena`. Properties without a field are
 * ignored. Returns 0 and *out; AXR_EINVAL when a value does not fit its
 * field (errs, when not NULL, gets a JSON-Pointer error); AXR_ENOMEM.
 * AXR_ECONFIG when the table names a field the message does not have.
 */
int axr_codec_from_json(const axr_schema_t *schema, const ProtobufCMessageDescriptor *desc,
                        json_object *json, axr_arena_t *arena, ProtobufCMessage **out,
                        axr_verrors_t *errs);

enum axr_codec_flags {
	AXR_CODEC_RESPONSE = 1u << 0, /* drop writeOnly properties */
};

/*
 * Appends the JSON of `msg` (described by `schema`) to `out`: properties in
 * the schema's order (the table's, sorted by name; docs/model-mapping.md, "Codec"), absent fields omitted, int64 exact. Returns 0 or
 * AXR_ENOMEM (or AXR_EINVAL when a free-form field holds text that is not
 * JSON).
 */
int axr_codec_to_json(const axr_schema_t *schema, const ProtobufCMessage *msg, unsigned flags,
                      axr_buf_t *out);

/* The same for one field of `msg` (e.g. a jsonb column): appends its JSON,
 * or "null" when absent. A repeated field is always an array ("[]" when empty). */
int axr_codec_field_to_json(const axr_schema_t *field_schema, const ProtobufCMessage *msg,
                            const ProtobufCFieldDescriptor *field, unsigned flags, axr_buf_t *out);

/* Sets one field of `msg` from JSON text (e.g. a jsonb column read back).
 * `json` NULL (SQL NULL) or "null" clears the field.
 * Errors as axr_codec_from_json. */
int axr_codec_field_from_json(const axr_schema_t *field_schema, ProtobufCMessage *msg,
                              const ProtobufCFieldDescriptor *field, const char *json, size_t len,
                              axr_arena_t *arena);

/* Allocates and initialises an empty message of type `desc` in `arena`. */
ProtobufCMessage *axr_codec_message_new(const ProtobufCMessageDescriptor *desc, axr_arena_t *arena);

/* Protobuf-c allocator that takes memory from `arena` and never frees,
 * for protobuf_c_message_unpack() of messages that die with a request. */
void axr_codec_arena_allocator(axr_arena_t *arena, ProtobufCAllocator *out);

#endif
