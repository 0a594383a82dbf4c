/* check_tables.c: runs the golden output's schema tables (built by generate.test.sh):
 * they pass axr_schema_prepare, validate requests as the spec says, and their
 * .field numbers name the fields protoc-c made of the same properties. */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "err.h"
#include "validate.h"

#include "chat.pb-c.h"
#include "chat_schema.h"
#include "shop.pb-c.h"
#include "shop_entities.h"
#include "shop_schema.h"

static int failed;

#define CHECK(cond, ...)                                   \
	do {                                               \
		if (!(cond)) {                             \
			printf("not ok - " __VA_ARGS__);   \
			printf("\n");                      \
			failed = 1;                        \
		}                                          \
	} while (0)

/* Validates `json` against `s` in request mode; returns the first error as
 * "path: message", or "" when valid. */
static const char *check(const axr_schema_t *s, const char *json)
{
	static char out[256];
	axr_arena_t *a = axr_arena_new(0);
	axr_verrors_t errs;
	axr_verrors_init(&errs, a, 8);
	json_object *v = NULL;
	int rc = axr_validate_body(json, strlen(json), NULL, s, AXR_VALIDATE_REQUEST, &errs, &v);
	snprintf(out, sizeof(out), "%s", rc == 0 ? "" : errs.count ? "" : axr_strerror(rc));
	if (rc != 0 && errs.count > 0)
		snprintf(out, sizeof(out), "%s: %s", errs.items[0].path, errs.items[0].message);
	json_object_put(v);
	axr_arena_free(a);
	return out;
}

#define VALID(s, json) CHECK(strcmp(check(&(s), json), "") == 0, "%s is valid for %s: %s", json, #s, check(&(s), json))
#define INVALID(s, json, want)                                                                                 \
	CHECK(strcmp(check(&(s), json), want) == 0, "%s against %s: got '%s', want '%s'", json, #s, check(&(s), json), \
	      want)

/* Every property of table `s` with a field number names a field of `desc`
 * whose name is the property's in snake_case (compared loosely: without
 * underscores and case). */
static void check_fields(const char *what, const axr_schema_t *s, const ProtobufCMessageDescriptor *desc)
{
	size_t with_field = 0;
	for (size_t i = 0; i < s->n_properties; i++) {
		const axr_property_t *p = &s->properties[i];
		if (p->field == 0)
			continue;
		with_field++;
		const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(desc, p->field);
		char a[64] = {0}, b[64] = {0};
		for (size_t k = 0, n = 0; p->name[k] && n < 63; k++)
			if (p->name[k] != '_' && p->name[k] != '-')
				a[n++] = (char)(p->name[k] | 0x20);
		for (size_t k = 0, n = 0; f && f->name[k] && n < 63; k++)
			if (f->name[k] != '_')
				b[n++] = (char)(f->name[k] | 0x20);
		CHECK(f != NULL && strncmp(a, b, strlen(a)) == 0, "%s.%s: field %u is '%s' in %s", what, p->name,
		      (unsigned)p->field, f ? f->name : "(none)", desc->name);
	}
	CHECK(with_field == desc->n_fields || desc->n_fields == 0, "%s: %zu properties with fields, message %s has %u",
	      what, with_field, desc->name, desc->n_fields);
}

int main(void)
{
	CHECK(shop_schemas_prepare() == 0, "shop_schemas_prepare");
	CHECK(chat_schemas_prepare() == 0, "chat_schemas_prepare");

	/* Requests are checked as the spec says. */
	VALID(shop_schema_Item, "{\"name\":\"red-box\",\"sku\":\"ABC1\",\"quantity\":3,\"price\":9.99,"
				"\"color\":\"light blue\",\"tags\":[\"a\",\"b\"],\"attributes\":{\"k\":\"v\"}}");
	INVALID(shop_schema_Item, "{\"name\":\"Red\",\"sku\":\"ABC1\"}", "/name: must match the pattern ^[a-z][a-z0-9-]*$");
	INVALID(shop_schema_Item, "{\"name\":\"a\",\"sku\":\"ABC1\",\"uid\":\"8b1a9953-c461-4296-8f7e-8fa8a3b4f3c7\"}",
		"/uid: is read-only");
	INVALID(shop_schema_Item, "{\"name\":\"a\",\"sku\":\"AB\"}", "/sku: must be at least 3 characters long");
	INVALID(shop_schema_Item, "{\"name\":\"a\",\"sku\":\"ABC\",\"price\":1.005}", "/price: must be a multiple of 0.01");
	INVALID(shop_schema_Item, "{\"name\":\"a\",\"sku\":\"ABC\",\"color\":\"blue\"}",
		"/color: must be one of: \"red\", \"green\", \"light blue\"");
	INVALID(shop_schema_Item, "{\"name\":\"a\",\"sku\":\"ABC\",\"tags\":[\"x\",\"x\"]}", "/tags: must not contain duplicates (items 0 and 1 are equal)");
	INVALID(shop_schema_Item, "{\"name\":\"a\",\"sku\":\"ABC\",\"attributes\":{\"k\":1}}", "/attributes/k: expected string, got integer");
	INVALID(shop_schema_Item, "{\"name\":\"a\"}", "/sku: is required");
	VALID(shop_schema_Order, "{\"lines\":[{\"sku\":\"x\",\"quantity\":1}],\"shipping\":{\"address\":{\"city\":\"Oslo\"}},"
				 "\"status\":\"PAID\",\"note\":null,\"meta\":[1,{}],\"matrix\":[[1,2],[3]],\"default\":\"d\"}");
	INVALID(shop_schema_Order, "{\"lines\":[],\"shipping\":{}}", "/lines: must have at least 1 item");
	INVALID(shop_schema_Order, "{\"lines\":[{\"sku\":\"x\",\"quantity\":1}],\"shipping\":{\"address\":{}}}",
		"/shipping/address/city: is required");
	INVALID(shop_schema_Order, "{\"lines\":[{\"sku\":\"x\",\"quantity\":1}],\"shipping\":{},\"total\":-1}",
		"/total: must be >= 0");
	VALID(shop_schema_Category, "{\"name\":\"a\",\"children\":[{\"name\":\"b\",\"children\":[{\"name\":\"c\"}]}]}");
	INVALID(shop_schema_Category, "{\"name\":\"a\",\"children\":[{\"children\":[]}]}", "/children/0/name: is required");
	VALID(shop_schema_Pet, "{\"petType\":\"cat\",\"name\":\"Tom\",\"lives\":7}");
	INVALID(shop_schema_Pet, "{\"petType\":\"dog\",\"name\":\"Rex\",\"breed\":\"lab\"}",
		"/breed: must match the pattern ^[A-Z]");
	INVALID(shop_search_header_X_Request_Id, "\"no spaces allowed\"",
		": must match the pattern ^[A-Za-z0-9._-]{1,64}$");
	VALID(chat_schema_Message, "{\"kind\":\"text\",\"body\":{\"url\":\"https://example.com/a\"},\"score\":null}");
	INVALID(chat_schema_Message, "{\"kind\":\"image\",\"body\":\"hi\"}", "/kind: must be \"text\"");
	INVALID(chat_schema_Message, "{\"kind\":\"text\",\"body\":\"hi\",\"extra\":1}", "/extra: is not an allowed property");
	INVALID(chat_schema_Message, "{\"kind\":\"text\",\"body\":\"hi\",\"score\":7}", "/score: must be a multiple of 5");
	INVALID(chat_schema_Room, "{\"title\":\"t\",\"capacity\":0}", "/capacity: must be > 0");

	/* The tables' field numbers are protoc-c's. */
	check_fields("shop Item", &shop_schema_Item, &shop__item__descriptor);
	check_fields("shop Order", &shop_schema_Order, &shop__order__descriptor);
	check_fields("shop Category", &shop_schema_Category, &shop__category__descriptor);
	check_fields("shop Error", &shop_schema_Error, &shop__error__descriptor);
	check_fields("shop placeOrder input", &shop_place_order_input, &shop__place_order_input__descriptor);
	check_fields("shop getStock input", &shop_get_stock_input, &shop__get_stock_input__descriptor);
	check_fields("chat Room", &chat_schema_Room, &chat__room__descriptor);
	check_fields("chat Message", &chat_schema_Message, &chat__message__descriptor);
	/* ... and so are the entity's columns. */
	for (size_t i = 0; i < shop_entity_Item.n_columns; i++) {
		const axr_column_t *c = &shop_entity_Item.columns[i];
		const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(&shop__item__descriptor, c->field);
		CHECK(f != NULL && strcmp(f->name, c->name) == 0, "column %s: field %u is %s", c->name, (unsigned)c->field,
		      f ? f->name : "(none)");
	}
	if (!failed)
		printf("ok - generated tables prepare, validate and agree with protoc-c\n");
	return failed;
}
