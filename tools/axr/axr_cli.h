/* axr_cli.h: what the axr command-line tool knows of the services it was built with. */
#ifndef AXR_CLI_H
#define AXR_CLI_H

#include <stddef.h>

#include "router.h"

/* One service: its name and the client route table of its generated stubs
 * (<svc>_client_routes: method, path template, axr_op_t, operation name). */
typedef struct axr_cli_service {
	const char *name;
	const axr_route_t *routes;
	size_t n_routes;
} axr_cli_service_t;

/* Every service the tool was linked with, ended by a row with name NULL.
 * Made by the Makefile ($(BUILD)/gen/axr_cli_services.c) from the generated
 * services that have a client. */
extern const axr_cli_service_t axr_cli_services[];

#endif
