/* codec_stub.c: a stand-in for runtime/codec.c, linked into the generated test
 * service only while libaxr has no codec (generate.test.sh checks with nm), so
 * the rest of the chain links and runs: inputs decode to empty messages and
 * outputs encode as {}. Never part of a real build. */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "err.h"

ProtobufCMessage *axr_codec_message_new(const ProtobufCMessageDescriptor *desc, axr_arena_t *arena)
{
	ProtobufCMessage *m = axr_arena_calloc(arena, 1, desc->sizeof_message);
	if (m != NULL)
		protobuf_c_message_init(desc, m);
	return m;
}

int axr_codec_from_json(const axr_schema_t *schema, const ProtobufCMessageDescriptor *desc, json_object *json,
			axr_arena_t *arena, ProtobufCMessage **out, axr_verrors_t *errs)
{
	(void)schema;
	(void)json;
	(void)errs;
	*out = axr_codec_message_new(desc, arena);
	return *out ? 0 : AXR_ENOMEM;
}

int axr_codec_to_json(const axr_schema_t *schema, const ProtobufCMessage *msg, unsigned flags, axr_buf_t *out)
{
	(void)schema;
	(void)msg;
	(void)flags;
	axr_buf_puts(out, "{}");
	return axr_buf_ok(out) ? 0 : AXR_ENOMEM;
}

int axr_codec_field_to_json(const axr_schema_t *field_schema, const ProtobufCMessage *msg,
			    const ProtobufCFieldDescriptor *field, unsigned flags, axr_buf_t *out)
{
	(void)field_schema;
	(void)msg;
	(void)field;
	(void)flags;
	axr_buf_puts(out, "null");
	return axr_buf_ok(out) ? 0 : AXR_ENOMEM;
}

int axr_codec_field_from_json(const axr_schema_t *field_schema, ProtobufCMessage *msg,
			      const ProtobufCFieldDescriptor *field, const char *json, size_t len, axr_arena_t *arena)
{
	(void)field_schema;
	(void)msg;
	(void)field;
	(void)json;
	(void)len;
	(void)arena;
	return AXR_EINVAL;
}

static void *axr__stub_alloc(void *data, size_t size)
{
	return axr_arena_alloc(data, size ? size : 1);
}

static void axr__stub_free(void *data, void *p)
{
	(void)data;
	(void)p;
}

void axr_codec_arena_allocator(axr_arena_t *arena, ProtobufCAllocator *out)
{
	out->alloc = axr__stub_alloc;
	out->free = axr__stub_free;
	out->allocator_data = arena;
}
