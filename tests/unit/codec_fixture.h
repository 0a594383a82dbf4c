/* codec_fixture.h: hand-written schema tables mirroring tests/unit/proto/codectest.proto,
 * shared by tests/unit/test_codec.c and fuzz/fuzz_codec.c. */
#ifndef AXR_TEST_CODEC_FIXTURE_H
#define AXR_TEST_CODEC_FIXTURE_H

#include "schema.h"

/*
 * What axrgen would emit for a spec whose schemas map to the messages of
 * codectest.proto (docs/model-mapping.md). Properties are sorted by name and
 * carry the field numbers of the proto, which deliberately do not follow the
 * names' order. Every table is static; the roots are marked unused so a
 * program may include the header and use only some of them.
 */
#define FX_ROOT static const __attribute__((unused)) axr_schema_t

/* Scalars. */
static const axr_schema_t fx_any = {.name = "any"};
static const axr_schema_t fx_string = {.types = AXR_TYPE_STRING};
static const axr_schema_t fx_int32 = {.types = AXR_TYPE_INTEGER, .format = AXR_FORMAT_INT32};
static const axr_schema_t fx_int64 = {.types = AXR_TYPE_INTEGER, .format = AXR_FORMAT_INT64};
static const axr_schema_t fx_number = {.types = AXR_TYPE_NUMBER};
static const axr_schema_t fx_boolean = {.types = AXR_TYPE_BOOLEAN};
static const axr_schema_t fx_date_time_read_only = {
	.types = AXR_TYPE_STRING, .format = AXR_FORMAT_DATE_TIME, .flags = AXR_SCHEMA_READ_ONLY};
static const axr_schema_t fx_password = {.types = AXR_TYPE_STRING, .flags = AXR_SCHEMA_WRITE_ONLY};
/* writeOnly found along a $ref chain. */
static const axr_schema_t fx_pin_target = {.name = "Pin", .types = AXR_TYPE_STRING, .flags = AXR_SCHEMA_WRITE_ONLY};
static const axr_schema_t fx_pin = {.ref = &fx_pin_target};
static const axr_schema_t fx_kind = {
	.types = AXR_TYPE_STRING,
	.enum_values = (const axr_value_t[]){AXR_VALUE_STR("alpha"), AXR_VALUE_STR("beta")},
	.n_enum = 2,
};
/* An untyped enum of strings is still a plain string. */
static const axr_schema_t fx_color = {
	.enum_values = (const axr_value_t[]){AXR_VALUE_STR("red"), AXR_VALUE_STR("green")},
	.n_enum = 2,
};
static const axr_schema_t fx_nullable_string = {.types = AXR_TYPE_STRING, .flags = AXR_SCHEMA_NULLABLE};
static const axr_schema_t fx_string_or_null = {.types = AXR_TYPE_STRING | AXR_TYPE_NULL};
static const axr_schema_t fx_qty = {.types = AXR_TYPE_INTEGER, .minimum = &(const axr_number_t)AXR_NUMBER_INT(0)};

/* Child: a nested message (closed), reached through $ref chains. */
static const axr_property_t fx_child_properties[] = {
	{.name = "id", .schema = &fx_string, .field = 2},
	{.name = "pin", .schema = &fx_pin, .field = 3},
	{.name = "qty", .schema = &fx_qty, .field = 1},
};
static const axr_schema_t fx_Child = {
	.name = "Child",
	.types = AXR_TYPE_OBJECT,
	.properties = fx_child_properties,
	.n_properties = 3,
	.additional_properties = &axr_schema_false,
};
static const axr_schema_t fx_child_ref = {.ref = &fx_Child};
static const axr_schema_t fx_child_ref_ref = {.ref = &fx_child_ref};
/* allOf: [$ref Child] + nullable, merged the way axrgen merges it. */
static const axr_schema_t fx_maybe_child = {
	.types = AXR_TYPE_OBJECT,
	.flags = AXR_SCHEMA_NULLABLE,
	.properties = fx_child_properties,
	.n_properties = 3,
	.additional_properties = &axr_schema_false,
};

/* Node: a recursive message. */
static const axr_schema_t fx_Node;
static const axr_schema_t fx_nodes = {.types = AXR_TYPE_ARRAY, .items = &fx_Node};
static const axr_schema_t fx_Node = {
	.name = "Node",
	.types = AXR_TYPE_OBJECT,
	.properties = (const axr_property_t[]){
		{.name = "kids", .schema = &fx_nodes, .field = 2},
		{.name = "label", .schema = &fx_string, .field = 1},
		{.name = "next", .schema = &fx_Node, .field = 3},
	},
	.n_properties = 3,
};

/* Arrays. */
static const axr_schema_t fx_int32_array = {.types = AXR_TYPE_ARRAY, .items = &fx_int32};
static const axr_schema_t fx_int64_array = {.types = AXR_TYPE_ARRAY, .items = &fx_int64};
static const axr_schema_t fx_number_array = {.types = AXR_TYPE_ARRAY, .items = &fx_number};
static const axr_schema_t fx_boolean_array = {.types = AXR_TYPE_ARRAY, .items = &fx_boolean};
static const axr_schema_t fx_string_array = {.types = AXR_TYPE_ARRAY, .items = &fx_string};
static const axr_schema_t fx_child_array = {.types = AXR_TYPE_ARRAY, .items = &fx_child_ref_ref};
static const axr_schema_t fx_any_array = {.types = AXR_TYPE_ARRAY, .items = &fx_any};

/* Free-form values: JSON text in a string field. */
static const axr_schema_t fx_object = {.types = AXR_TYPE_OBJECT};
static const axr_schema_t fx_choice = {
	.one_of = (const axr_schema_t *const[]){&fx_string, &fx_int64},
	.n_one_of = 2,
};
static const axr_schema_t fx_matrix = {
	.types = AXR_TYPE_ARRAY,
	.items = &(const axr_schema_t){.types = AXR_TYPE_ARRAY, .items = &fx_number},
};
static const axr_schema_t fx_labels = {.types = AXR_TYPE_OBJECT, .additional_properties = &fx_int64};
/* A free-form value whose object branch declares a writeOnly member. */
static const axr_schema_t fx_secret_object = {
	.types = AXR_TYPE_OBJECT,
	.properties = (const axr_property_t[]){
		{.name = "token", .schema = &fx_password},
		{.name = "visible", .schema = &fx_string},
	},
	.n_properties = 2,
};
static const axr_schema_t fx_secret_box = {
	.one_of = (const axr_schema_t *const[]){&fx_secret_object, &fx_string},
	.n_one_of = 2,
};

/* Everything: one property per mapping row. */
FX_ROOT fx_Everything = {
	.name = "Everything",
	.types = AXR_TYPE_OBJECT,
	.properties = (const axr_property_t[]){
		{.name = "active", .schema = &fx_boolean, .field = 4},
		{.name = "anything", .schema = NULL, .field = 16},
		{.name = "blobs", .schema = &fx_any_array, .field = 20},
		{.name = "child", .schema = &fx_child_ref, .field = 14},
		{.name = "children", .schema = &fx_child_array, .field = 13},
		{.name = "choice", .schema = &fx_choice, .field = 17},
		{.name = "color", .schema = &fx_color, .field = 25},
		{.name = "count", .schema = &fx_int32, .field = 3},
		{.name = "createdAt", .schema = &fx_date_time_read_only, .field = 7},
		{.name = "extra", .schema = &fx_object, .field = 15},
		{.name = "kind", .schema = &fx_kind, .field = 6},
		{.name = "labels", .schema = &fx_labels, .field = 19},
		{.name = "legacy", .schema = &fx_string}, /* no field: ignored */
		{.name = "levels", .schema = &fx_int32_array, .field = 8},
		{.name = "matrix", .schema = &fx_matrix, .field = 18},
		{.name = "maybe", .schema = &fx_maybe_child, .field = 23},
		{.name = "name", .schema = &fx_string, .field = 5},
		{.name = "note", .schema = &fx_nullable_string, .field = 22},
		{.name = "password", .schema = &fx_password, .field = 21},
		{.name = "ratio", .schema = &fx_number, .field = 2},
		{.name = "requiredList", .schema = &fx_string_array, .field = 28},
		{.name = "requiredNote", .schema = &fx_string_or_null, .field = 29},
		{.name = "scores", .schema = &fx_int64_array, .field = 9},
		{.name = "secretBox", .schema = &fx_secret_box, .field = 27},
		{.name = "switches", .schema = &fx_boolean_array, .field = 11},
		{.name = "tags", .schema = &fx_string_array, .field = 12},
		{.name = "total", .schema = &fx_int64, .field = 1},
		{.name = "tree", .schema = &fx_Node, .field = 24},
		{.name = "weights", .schema = &fx_number_array, .field = 10},
		{.name = "x/y~z", .schema = &fx_int64, .field = 30},
	},
	.n_properties = 30,
};

/* The same message seen through a schema that requires an array and a
 * nullable string. */
FX_ROOT fx_EverythingStrict = {
	.name = "EverythingStrict",
	.types = AXR_TYPE_OBJECT,
	.properties = (const axr_property_t[]){
		{.name = "name", .schema = &fx_string, .field = 5},
		{.name = "requiredList", .schema = &fx_string_array, .field = 28},
		{.name = "requiredNote", .schema = &fx_string_or_null, .field = 29},
	},
	.n_properties = 3,
	.required = (const char *const[]){"requiredList", "requiredNote"},
	.n_required = 2,
};

/* Payloads carried by the generator's wrapper messages. */
FX_ROOT fx_EverythingArray = {.types = AXR_TYPE_ARRAY, .items = &fx_Everything}; /* EverythingList */
FX_ROOT fx_StringArray = {.types = AXR_TYPE_ARRAY, .items = &fx_string};         /* StringList */
FX_ROOT fx_StringPayload = {.types = AXR_TYPE_STRING};                           /* JsonValue */
FX_ROOT fx_AnyPayload = {.name = "any"};                                         /* JsonValue */

/* An operation input: parameters by name and the body. */
FX_ROOT fx_GetThingInput = {
	.types = AXR_TYPE_OBJECT,
	.properties = (const axr_property_t[]){
		{.name = "body", .schema = &fx_Everything, .field = 4},
		{.name = "fields", .schema = &fx_string_array, .field = 3},
		{.name = "id", .schema = &(const axr_schema_t){.types = AXR_TYPE_STRING, .format = AXR_FORMAT_UUID},
		 .field = 1},
		{.name = "limit", .schema = &fx_int32, .field = 2},
	},
	.n_properties = 4,
};

/* Wide: protobuf types axrgen never emits. */
FX_ROOT fx_Wide = {
	.types = AXR_TYPE_OBJECT,
	.properties = (const axr_property_t[]){
		{.name = "f32", .schema = &fx_int64, .field = 5},
		{.name = "f64", .schema = &fx_int64, .field = 6},
		{.name = "pickNumber", .schema = &fx_int64, .field = 12},
		{.name = "pickText", .schema = &fx_string, .field = 11},
		{.name = "raw", .schema = &fx_string, .field = 10},
		{.name = "real", .schema = &fx_number, .field = 9},
		{.name = "s32", .schema = &fx_int64, .field = 3},
		{.name = "s64", .schema = &fx_int64, .field = 4},
		{.name = "sf32", .schema = &fx_int64, .field = 7},
		{.name = "sf64", .schema = &fx_int64, .field = 8},
		{.name = "u32", .schema = &fx_int64, .field = 1},
		{.name = "u64", .schema = &fx_int64, .field = 2},
	},
	.n_properties = 12,
};

#endif
