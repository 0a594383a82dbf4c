/* main.c: the example service: the chain client -> nginx -> service. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "err.h"
#include "http.h"
#include "request.h"
#include "service.h"
#include "validate.h"

/* POST /echo: answers the JSON body it was sent. */
static int example_echo(axr_request_t *req)
{
	return axr_response_send(req, 200, NULL, req->body ? req->body : "null", req->body ? req->body_len : 4);
}

/* GET /sleep?ms=N: holds a worker for N ms (at most 10 s), for drain and
 * load-shedding drills. */
static int example_sleep(axr_request_t *req)
{
	const char *ms = axr_request_query(req, "ms", 0);
	char *end = NULL;
	long n = ms ? strtol(ms, &end, 10) : 0;
	if (ms && (end == ms || *end || n < 0 || n > 10000)) {
		axr_field_error_t e = {.path = "/ms", .message = "must be an integer in 0..10000"};
		return axr_response_error(req, 400, "VALIDATION", "invalid query parameter", &e, 1);
	}
	usleep((useconds_t)n * 1000);
	char body[64];
	int len = snprintf(body, sizeof(body), "{\"slept\":%ld}", n);
	return axr_response_send(req, 200, NULL, body, (size_t)len);
}

/* GET /time: the database clock (SELECT now()), for dependency drills:
 * 503 + Retry-After while PostgreSQL is away. */
static int example_time(axr_request_t *req)
{
	if (req->worker->db == NULL)
		return axr_response_error(req, 501, NULL, "no database configured (AXR_DATABASE_URL)", NULL, 0);
	axr_db_result_t *res = NULL;
	int rc = axr_db_exec(req->worker->db, "example_time", "SELECT now()::text", 0, NULL, NULL, NULL, &res);
	if (rc != 0)
		return rc;
	char *body = axr_arena_printf(req->arena, "{\"now\":\"%s\"}", axr_db_result_text(res, 0, 0, NULL));
	axr_db_result_free(res);
	return body ? axr_response_send(req, 200, NULL, body, strlen(body)) : AXR_ENOMEM;
}

/* The body of POST /validate: 20 properties, as a generated table would be
 * (properties sorted by name). */
static const axr_schema_t ex_uuid = {.types = AXR_TYPE_STRING, .format = AXR_FORMAT_UUID};
static const axr_schema_t ex_name = {.types = AXR_TYPE_STRING, .min_length = 1, .max_length = 32, .flags = AXR_SCHEMA_MAX_LENGTH};
static const axr_schema_t ex_email = {.types = AXR_TYPE_STRING, .format = AXR_FORMAT_EMAIL};
static const axr_schema_t ex_count = {.types = AXR_TYPE_INTEGER, .format = AXR_FORMAT_INT64,
                                      .minimum = &(const axr_number_t)AXR_NUMBER_INT(0)};
static const axr_schema_t ex_ratio = {.types = AXR_TYPE_NUMBER, .minimum = &(const axr_number_t)AXR_NUMBER_INT(0),
                                      .maximum = &(const axr_number_t)AXR_NUMBER_INT(1)};
static const axr_schema_t ex_bool = {.types = AXR_TYPE_BOOLEAN};
static const axr_value_t ex_regions[] = {AXR_VALUE_STR("eu"), AXR_VALUE_STR("na"), AXR_VALUE_STR("asia")};
static const axr_schema_t ex_region = {.types = AXR_TYPE_STRING, .enum_values = ex_regions, .n_enum = 3};
static const axr_schema_t ex_text = {.types = AXR_TYPE_STRING, .max_length = 200, .flags = AXR_SCHEMA_MAX_LENGTH};
static const axr_schema_t ex_time = {.types = AXR_TYPE_STRING, .format = AXR_FORMAT_DATE_TIME};
static const axr_schema_t ex_tags = {.types = AXR_TYPE_ARRAY, .items = &ex_text, .max_items = 16,
                                     .flags = AXR_SCHEMA_MAX_ITEMS | AXR_SCHEMA_UNIQUE_ITEMS};
static const axr_schema_t ex_body = {
	.name = "Player",
	.types = AXR_TYPE_OBJECT,
	.properties = (const axr_property_t[]){
		{.name = "active", .schema = &ex_bool},   {.name = "bio", .schema = &ex_text},
		{.name = "email", .schema = &ex_email},   {.name = "friends", .schema = &ex_count},
		{.name = "gems", .schema = &ex_count},    {.name = "gold", .schema = &ex_count},
		{.name = "guild", .schema = &ex_name},    {.name = "joined", .schema = &ex_time},
		{.name = "language", .schema = &ex_name}, {.name = "level", .schema = &ex_count},
		{.name = "mode", .schema = &ex_name},     {.name = "name", .schema = &ex_name},
		{.name = "platform", .schema = &ex_name}, {.name = "rank", .schema = &ex_name},
		{.name = "ratio", .schema = &ex_ratio},   {.name = "region", .schema = &ex_region},
		{.name = "score", .schema = &ex_count},   {.name = "tags", .schema = &ex_tags},
		{.name = "uid", .schema = &ex_uuid},      {.name = "xp", .schema = &ex_count},
	},
	.n_properties = 20,
	.required = (const char *const[]){"email", "name", "uid"},
	.n_required = 3,
	.additional_properties = &axr_schema_false,
};

/* POST /validate: strict decode and validation of a 20-property body (the
 * bench scenario of the validator); 204 when valid, 400 with every error. */
static int example_validate(axr_request_t *req)
{
	axr_verrors_t errs;
	json_object *doc = NULL;
	axr_verrors_init(&errs, req->arena, AXR_VERRORS_DEFAULT_MAX);
	int rc = axr_validate_body(req->body, req->body_len, NULL, &ex_body, AXR_VALIDATE_REQUEST, &errs, &doc);
	json_object_put(doc);
	if (rc == 0) {
		req->status = 204;
		return 0;
	}
	if (rc != AXR_EVALIDATION && rc != AXR_EPARSE && rc != AXR_ERANGE)
		return rc;
	axr_field_error_t *fe = axr_arena_calloc(req->arena, errs.count ? errs.count : 1, sizeof(*fe));
	for (size_t i = 0; fe && i < errs.count; i++)
		fe[i] = (axr_field_error_t){.path = errs.items[i].path, .message = errs.items[i].message};
	return axr_response_error(req, 400, "VALIDATION", "the body is not valid", fe, fe ? errs.count : 0);
}

static const axr_route_t example_routes[] = {
	{.method = AXR_HTTP_POST, .path = "/validate", .handler = example_validate, .name = "validate"},
	{.method = AXR_HTTP_GET, .path = "/time", .handler = example_time, .name = "time"},
	{.method = AXR_HTTP_POST, .path = "/echo", .handler = example_echo, .name = "echo", .max_body = 65536},
	{.method = AXR_HTTP_GET, .path = "/sleep", .handler = example_sleep, .name = "sleep"},
};

int main(int argc, char **argv)
{
	char err[256];
	if (axr_schema_prepare(&ex_body, err, sizeof(err)) != 0) {
		fprintf(stderr, "axr-example: %s\n", err);
		return 1;
	}
	static const axr_service_def_t def = {
		.name = "example",
		.version = "0.1.0",
		.routes = example_routes,
		.nroutes = sizeof(example_routes) / sizeof(example_routes[0]),
	};
	return axr_service_main(&def, argc, argv);
}
