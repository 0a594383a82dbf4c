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

static const axr_route_t example_routes[] = {
	{.method = AXR_HTTP_GET, .path = "/time", .handler = example_time, .name = "time"},
	{.method = AXR_HTTP_POST, .path = "/echo", .handler = example_echo, .name = "echo", .max_body = 65536},
	{.method = AXR_HTTP_GET, .path = "/sleep", .handler = example_sleep, .name = "sleep"},
};

int main(int argc, char **argv)
{
	static const axr_service_def_t def = {
		.name = "example",
		.version = "0.1.0",
		.routes = example_routes,
		.nroutes = sizeof(example_routes) / sizeof(example_routes[0]),
	};
	return axr_service_main(&def, argc, argv);
}
