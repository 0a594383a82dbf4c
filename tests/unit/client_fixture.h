/* client_fixture.h: hand-written schema tables and operation descriptors over tests/unit/proto/clienttest.proto,
 * what axrgen would emit for a small "items" service; shared by the client tests. */
#ifndef AXR_TEST_CLIENT_FIXTURE_H
#define AXR_TEST_CLIENT_FIXTURE_H

#include "clienttest.pb-c.h"
#include "op.h"
#include "schema.h"
#include "validate.h"

#define CT_UNUSED __attribute__((unused))

/* ---- models ------------------------------------------------------------------ */

static const axr_schema_t ct_any = {.name = "any"};
static const axr_schema_t ct_string = {.types = AXR_TYPE_STRING};
static const axr_schema_t ct_id = {.types = AXR_TYPE_STRING, .min_length = 1};
static const axr_schema_t ct_uid = {.types = AXR_TYPE_STRING, .flags = AXR_SCHEMA_READ_ONLY};
static const axr_schema_t ct_name = {
	.types = AXR_TYPE_STRING, .min_length = 1, .max_length = 20, .flags = AXR_SCHEMA_MAX_LENGTH};
static const axr_schema_t ct_quantity = {
	.types = AXR_TYPE_INTEGER, .format = AXR_FORMAT_INT64, .minimum = &(const axr_number_t)AXR_NUMBER_INT(0)};
static const axr_schema_t ct_int64 = {.types = AXR_TYPE_INTEGER, .format = AXR_FORMAT_INT64};
static const axr_schema_t ct_level = {.types = AXR_TYPE_INTEGER, .format = AXR_FORMAT_INT32};
static const axr_schema_t ct_number = {.types = AXR_TYPE_NUMBER};
static const axr_schema_t ct_boolean = {.types = AXR_TYPE_BOOLEAN};
static const axr_schema_t ct_strings = {.types = AXR_TYPE_ARRAY, .items = &ct_string};
static const axr_schema_t ct_int64s = {.types = AXR_TYPE_ARRAY, .items = &ct_int64};
static const axr_schema_t ct_secret = {.types = AXR_TYPE_STRING, .flags = AXR_SCHEMA_WRITE_ONLY};
static const axr_schema_t ct_limit = {.types = AXR_TYPE_INTEGER,
                                      .format = AXR_FORMAT_INT32,
                                      .minimum = &(const axr_number_t)AXR_NUMBER_INT(1),
                                      .maximum = &(const axr_number_t)AXR_NUMBER_INT(100)};

static const axr_schema_t ct_Item = {
	.name = "Item",
	.types = AXR_TYPE_OBJECT,
	.properties = (const axr_property_t[]){
		{.name = "active", .schema = &ct_boolean, .field = 5},
		{.name = "level", .schema = &ct_level, .field = 8},
		{.name = "name", .schema = &ct_name, .field = 2},
		{.name = "price", .schema = &ct_number, .field = 4},
		{.name = "quantity", .schema = &ct_quantity, .field = 3},
		{.name = "secret", .schema = &ct_secret, .field = 7},
		{.name = "tags", .schema = &ct_strings, .field = 6},
		{.name = "uid", .schema = &ct_uid, .field = 1},
	},
	.n_properties = 8,
	.required = (const char *const[]){"name"},
	.n_required = 1,
	.additional_properties = &axr_schema_false,
};
static const axr_schema_t ct_Items = {.types = AXR_TYPE_ARRAY, .items = &ct_Item};

/* ---- GET /items/{id} ----------------------------------------------------------- */

static const axr_param_spec_t ct_get_item_params[] = {
	{.name = "id", .in = AXR_PARAM_PATH, .required = true, .style = AXR_PARAM_SIMPLE, .schema = &ct_id},
	{.name = "verbose", .in = AXR_PARAM_QUERY, .style = AXR_PARAM_FORM_EXPLODE, .schema = &ct_boolean},
	{.name = "tag", .in = AXR_PARAM_QUERY, .style = AXR_PARAM_FORM_EXPLODE, .schema = &ct_strings},
	{.name = "ids", .in = AXR_PARAM_QUERY, .style = AXR_PARAM_FORM, .schema = &ct_int64s},
	{.name = "pipe", .in = AXR_PARAM_QUERY, .style = AXR_PARAM_PIPE_DELIMITED, .schema = &ct_strings},
	{.name = "limit", .in = AXR_PARAM_QUERY, .style = AXR_PARAM_FORM_EXPLODE, .schema = &ct_limit},
	{.name = "ratio", .in = AXR_PARAM_QUERY, .style = AXR_PARAM_FORM_EXPLODE, .schema = &ct_number},
	{.name = "X-Trace", .in = AXR_PARAM_HEADER, .style = AXR_PARAM_SIMPLE, .schema = &ct_string},
	{.name = "session", .in = AXR_PARAM_COOKIE, .style = AXR_PARAM_FORM, .schema = &ct_string},
};
static const axr_schema_t ct_get_item_input = {
	.types = AXR_TYPE_OBJECT,
	.properties = (const axr_property_t[]){
		{.name = "X-Trace", .schema = &ct_string, .field = 8},
		{.name = "id", .schema = &ct_id, .field = 1},
		{.name = "ids", .schema = &ct_int64s, .field = 4},
		{.name = "limit", .schema = &ct_limit, .field = 6},
		{.name = "pipe", .schema = &ct_strings, .field = 5},
		{.name = "ratio", .schema = &ct_number, .field = 7},
		{.name = "session", .schema = &ct_string, .field = 9},
		{.name = "tag", .schema = &ct_strings, .field = 3},
		{.name = "verbose", .schema = &ct_boolean, .field = 2},
	},
	.n_properties = 9,
};
static const axr_op_t ct_get_item_op CT_UNUSED = {
	.name = "getItem",
	.params = ct_get_item_params,
	.n_params = 9,
	.input = &clienttest__get_item_input__descriptor,
	.input_schema = &ct_get_item_input,
	.status = 200,
	.response = {.schema = &ct_Item, .message = &clienttest__item__descriptor},
};

/* ---- POST /items ------------------------------------------------------------------ */

static const axr_param_spec_t ct_create_item_params[] = {
	{.name = "Idempotency-Key", .in = AXR_PARAM_HEADER, .style = AXR_PARAM_SIMPLE, .schema = &ct_string},
};
static const axr_schema_t ct_create_item_input = {
	.types = AXR_TYPE_OBJECT,
	.properties = (const axr_property_t[]){
		{.name = "Idempotency-Key", .schema = &ct_string, .field = 2},
		{.name = "body", .schema = &ct_Item, .field = 1},
	},
	.n_properties = 2,
};
static const axr_op_t ct_create_item_op CT_UNUSED = {
	.name = "createItem",
	.flags = AXR_OP_BODY_REQUIRED,
	.params = ct_create_item_params,
	.n_params = 1,
	.input = &clienttest__create_item_input__descriptor,
	.input_schema = &ct_create_item_input,
	.body = {.schema = &ct_Item, .message = &clienttest__item__descriptor},
	.status = 201,
	.response = {.schema = &ct_Item, .message = &clienttest__item__descriptor},
};

/* ---- PUT /items (arrays both ways) -------------------------------------------------- */

static const axr_schema_t ct_put_items_input = {
	.types = AXR_TYPE_OBJECT,
	.properties = (const axr_property_t[]){{.name = "body", .schema = &ct_Items, .field = 1}},
	.n_properties = 1,
};
static const axr_op_t ct_put_items_op CT_UNUSED = {
	.name = "putItems",
	.flags = AXR_OP_BODY_REQUIRED,
	.input = &clienttest__put_items_input__descriptor,
	.input_schema = &ct_put_items_input,
	.body = {.schema = &ct_Items, .message = &clienttest__item_list__descriptor, .is_array = true},
	.status = 200,
	.response = {.schema = &ct_Items, .message = &clienttest__item_list__descriptor, .is_array = true},
};

/* ---- POST /notes (free-form both ways) ------------------------------------------------ */

static const axr_schema_t ct_post_note_input = {
	.types = AXR_TYPE_OBJECT,
	.properties = (const axr_property_t[]){{.name = "body", .schema = &ct_any, .field = 1}},
	.n_properties = 1,
};
static const axr_op_t ct_post_note_op CT_UNUSED = {
	.name = "postNote",
	.input = &clienttest__post_note_input__descriptor,
	.input_schema = &ct_post_note_input,
	.body = {.schema = &ct_any, .free_form = true},
	.status = 200,
	.response = {.schema = &ct_any, .message = &clienttest__json_value__descriptor, .free_form = true},
};

/* ---- DELETE /items/{id} (204) ----------------------------------------------------------- */

static const axr_param_spec_t ct_delete_item_params[] = {
	{.name = "id", .in = AXR_PARAM_PATH, .required = true, .style = AXR_PARAM_SIMPLE, .schema = &ct_id},
};
static const axr_schema_t ct_delete_item_input = {
	.types = AXR_TYPE_OBJECT,
	.properties = (const axr_property_t[]){{.name = "id", .schema = &ct_id, .field = 1}},
	.n_properties = 1,
};
static const axr_op_t ct_delete_item_op CT_UNUSED = {
	.name = "deleteItem",
	.params = ct_delete_item_params,
	.n_params = 1,
	.input = &clienttest__delete_item_input__descriptor,
	.input_schema = &ct_delete_item_input,
	.status = 204,
};

#endif
