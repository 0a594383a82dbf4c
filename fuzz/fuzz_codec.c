/* fuzz_codec.c: libFuzzer target for the JSON <-> protobuf-c codec (runtime/codec.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "arena.h"
#include "codec.h"
#include "err.h"
#include "fuzz_check.h"
#include "json.h"
#include "tests/unit/codec_fixture.h"
#include "validate.h"

/*
 * The fuzz build links only the runtime archives, not the unit tests'
 * protoc-c output, so this folder keeps a copy of protoc-c's output for
 * tests/unit/proto/codectest.proto (test_codec.c checks the copy is
 * current).
 */
#include "codectest.pb-c.c"

/*
 * The first byte picks the mode, the rest is the input:
 *
 *   even: a request body. It is decoded strictly and validated against the
 *         fixture schema (Everything, or an array of them); when valid it
 *         becomes a message (only a U+0000 inside a plain string may refuse)
 *         and JSON again, which must parse, mean the same as the input with
 *         the codec's documented drops (null and empty arrays omitted,
 *         undeclared members and properties without a field ignored, numbers
 *         compared by value), and be a fixed point: JSON -> message -> JSON
 *         gives it back byte for byte. In response mode the output must be
 *         the plain output with writeOnly members stripped.
 *   odd:  protobuf bytes unpacked with the arena allocator as one of the
 *         fixture messages, then written as JSON in both modes: no crash,
 *         and whenever it succeeds the text parses; decoding it and
 *         writing it again reaches a fixed point after one round.
 */

#define EVERYTHING (&codectest__everything__descriptor)
#define LIST (&codectest__everything_list__descriptor)

/* Parses what the codec wrote: deep (recursive messages) and with integers
 * beyond int64 (uint64 fields of Wide) kept as numbers. */
static const axr_json_opts_t deep = {.max_depth = AXR_JSON_MAX_DEPTH_LIMIT, .max_size = SIZE_MAX, .flags = AXR_JSON_BIGNUM};

/* Free-form properties of Everything: their values are JSON text. */
static bool free_form(const char *name)
{
	static const char *const names[] = {"anything", "choice", "extra", "labels", "matrix", "secretBox"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

static double number(json_object *v)
{
	return json_object_get_type(v) == json_type_int ? (double)json_object_get_int64(v) : json_object_get_double(v);
}

static bool same_message(const axr_schema_t *t, json_object *in, json_object *out);

/* Does `out` (written by the codec) carry the value `in` for a property of `s`? */
static bool same_value(const axr_schema_t *s, const char *name, json_object *in, json_object *out)
{
	if (name != NULL && free_form(name))
		return json_object_equal(in, out);
	while (s != NULL && s->ref != NULL)
		s = s->ref;
	if (s == NULL || s == &fx_any) /* blobs' items: JSON text each */
		return json_object_equal(in, out);
	switch (json_object_get_type(in)) {
	case json_type_array: {
		size_t n = json_object_array_length(in);
		if (json_object_get_type(out) != json_type_array || json_object_array_length(out) != n)
			return false;
		for (size_t i = 0; i < n; i++)
			if (!same_value(s->items, NULL, json_object_array_get_idx(in, i), json_object_array_get_idx(out, i)))
				return false;
		return true;
	}
	case json_type_object:
		return same_message(s, in, out);
	case json_type_int:
	case json_type_double:
		if (json_object_get_type(out) != json_type_int && json_object_get_type(out) != json_type_double)
			return false;
		/* integer properties exactly; number properties as doubles */
		if (!(s->types & AXR_TYPE_NUMBER) && json_object_get_type(in) == json_type_int &&
		    json_object_get_type(out) == json_type_int)
			return json_object_get_int64(in) == json_object_get_int64(out);
		return number(in) == number(out);
	default:
		return json_object_equal(in, out);
	}
}

/* Same message: every property with a field that `in` sets (not null, not
 * an empty array) is in `out` with the same value, and `out` has nothing else. */
static bool same_message(const axr_schema_t *t, json_object *in, json_object *out)
{
	if (json_object_get_type(out) != json_type_object)
		return false;
	size_t expected = 0;
	for (size_t i = 0; i < t->n_properties; i++) {
		const axr_property_t *p = &t->properties[i];
		json_object *a = NULL, *b = NULL;
		bool has_a = json_object_object_get_ex(in, p->name, &a);
		bool has_b = json_object_object_get_ex(out, p->name, &b);
		bool dropped = !has_a || a == NULL || p->field == 0 ||
		               (json_object_get_type(a) == json_type_array && json_object_array_length(a) == 0 &&
		                !free_form(p->name));
		if (dropped) {
			if (has_b)
				return false;
			continue;
		}
		if (!has_b || !same_value(p->schema, p->name, a, b))
			return false;
		expected++;
	}
	return (size_t)json_object_object_length(out) == expected;
}

/* Message -> JSON; checks the text parses and returns it (caller frees). */
static char *to_json(const axr_schema_t *s, const ProtobufCMessage *m, unsigned flags, int *rc)
{
	axr_buf_t b = AXR_BUF_INIT;
	*rc = axr_codec_to_json(s, m, flags, &b);
	CHECK(*rc == 0 || *rc == AXR_EINVAL);
	if (*rc != 0) {
		CHECK(b.len == 0);
		axr_buf_free(&b);
		return NULL;
	}
	json_object *v = NULL;
	axr_json_error_t err;
	int prc = axr_json_parse(b.data, b.len, &deep, &v, &err);
	if (prc != 0)
		fprintf(stderr, "codec wrote invalid JSON (%s): %s\n", err.message, b.data);
	CHECK(prc == 0);
	json_object_put(v);
	return b.data;
}

/* JSON text -> message -> JSON text must give the same text back. */
static void check_fixed_point(const axr_schema_t *s, const ProtobufCMessageDescriptor *d, const char *text,
                              axr_arena_t *arena)
{
	json_object *v = NULL;
	ProtobufCMessage *m = NULL;
	CHECK(axr_json_parse(text, strlen(text), &deep, &v, NULL) == 0);
	int rc = axr_codec_from_json(s, d, v, arena, &m, NULL);
	json_object_put(v);
	CHECK(rc == 0 || rc == AXR_EINVAL);
	if (rc != 0)
		return;
	char *again = to_json(s, m, 0, &rc);
	CHECK(rc == 0);
	if (strcmp(again, text) != 0)
		fprintf(stderr, "not a fixed point:\n  %s\n  %s\n", text, again);
	CHECK(strcmp(again, text) == 0);
	free(again);
}

static void fuzz_json(const uint8_t *data, size_t size, bool list, axr_arena_t *arena)
{
	const axr_schema_t *s = list ? &fx_EverythingArray : &fx_Everything;
	const ProtobufCMessageDescriptor *d = list ? LIST : EVERYTHING;
	json_object *in = NULL;
	axr_verrors_t errs;
	axr_verrors_init(&errs, arena, 0);
	if (axr_validate_body((const char *)data, size, NULL, s, AXR_VALIDATE_PLAIN, &errs, &in) != 0)
		return;

	ProtobufCMessage *m = NULL;
	axr_verrors_init(&errs, arena, 8);
	int rc = axr_codec_from_json(s, d, in, arena, &m, &errs);
	if (rc != 0) {
		CHECK(rc == AXR_EINVAL && errs.count > 0);
		for (size_t i = 0; i < errs.count; i++)
			CHECK(strstr(errs.items[i].message, "U+0000") != NULL);
		json_object_put(in);
		return;
	}
	char *plain = to_json(s, m, 0, &rc);
	CHECK(rc == 0);
	char *response = to_json(s, m, AXR_CODEC_RESPONSE, &rc);
	CHECK(rc == 0);

	json_object *out = NULL, *stripped = NULL, *resp = NULL;
	CHECK(axr_json_parse(plain, strlen(plain), &deep, &out, NULL) == 0);
	if (list) {
		size_t n = json_object_array_length(in);
		CHECK(json_object_array_length(out) == n);
		for (size_t i = 0; i < n; i++)
			CHECK(same_message(&fx_Everything, json_object_array_get_idx(in, i), json_object_array_get_idx(out, i)));
	} else {
		CHECK(in == NULL ? json_object_object_length(out) == 0 : same_message(&fx_Everything, in, out));
	}
	CHECK(axr_json_parse(plain, strlen(plain), &deep, &stripped, NULL) == 0);
	axr_strip_write_only(s, stripped);
	CHECK(axr_json_parse(response, strlen(response), &deep, &resp, NULL) == 0);
	CHECK(json_object_equal(stripped, resp));

	check_fixed_point(s, d, plain, arena);
	json_object_put(resp);
	json_object_put(stripped);
	json_object_put(out);
	json_object_put(in);
	free(response);
	free(plain);
}

static void fuzz_protobuf(const uint8_t *data, size_t size, unsigned which, axr_arena_t *arena)
{
	static const struct {
		const ProtobufCMessageDescriptor *desc;
		const axr_schema_t *schema;
	} kinds[] = {
		{&codectest__everything__descriptor, &fx_Everything},
		{&codectest__everything_list__descriptor, &fx_EverythingArray},
		{&codectest__wide__descriptor, &fx_Wide},
		{&codectest__get_thing_input__descriptor, &fx_GetThingInput},
	};
	const ProtobufCMessageDescriptor *d = kinds[which % 4].desc;
	const axr_schema_t *s = kinds[which % 4].schema;
	ProtobufCAllocator alloc;
	axr_codec_arena_allocator(arena, &alloc);
	ProtobufCMessage *m = protobuf_c_message_unpack(d, &alloc, size, data);
	if (m == NULL)
		return;
	int rc;
	char *response = to_json(s, m, AXR_CODEC_RESPONSE, &rc);
	free(response);
	char *plain = to_json(s, m, 0, &rc);
	if (plain == NULL)
		return;
	/* One round normalises (NaN became null, empty arrays went); the
	 * second must change nothing. */
	json_object *v = NULL;
	ProtobufCMessage *back = NULL;
	CHECK(axr_json_parse(plain, strlen(plain), &deep, &v, NULL) == 0);
	rc = axr_codec_from_json(s, d, v, arena, &back, NULL);
	json_object_put(v);
	CHECK(rc == 0 || rc == AXR_EINVAL);
	if (rc == 0) {
		char *again = to_json(s, back, 0, &rc);
		CHECK(rc == 0);
		check_fixed_point(s, d, again, arena);
		free(again);
	}
	free(plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool prepared;
	if (!prepared) {
		char err[256];
		CHECK(axr_schema_prepare(&fx_Everything, err, sizeof(err)) == 0);
		CHECK(axr_schema_prepare(&fx_EverythingArray, err, sizeof(err)) == 0);
		prepared = true;
	}
	if (size == 0)
		return 0;
	axr_arena_t *arena = axr_arena_new(0);
	CHECK(arena != NULL);
	unsigned mode = data[0];
	if (mode % 2 == 0)
		fuzz_json(data + 1, size - 1, mode % 4 == 2, arena);
	else
		fuzz_protobuf(data + 1, size - 1, mode / 2, arena);
	axr_arena_free(arena);
	return 0;
}
