/* service.c: main() of every axr service: config, logging, server, drain. */
#include "service.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "log.h"

static void axr__usage(const axr_service_def_t *def, FILE *out)
{
	fprintf(out, "usage: axr-%s [--help]\n\n"
	             "Serves the %s API over HTTP/1.1. Every setting comes from the\n"
	             "environment:\n\n",
	        def->name, def->name);
	axr_config_print_help(out, axr_config_vars, axr_config_var_count);
	if (def->nconfig_vars) {
		fprintf(out, "\n%s settings:\n", def->name);
		axr_config_print_help(out, def->config_vars, def->nconfig_vars);
	}
}

int axr_service_main(const axr_service_def_t *def, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			axr__usage(def, stdout);
			return 0;
		}
		fprintf(stderr, "axr-%s: unknown argument '%s' (try --help)\n", def->name, argv[i]);
		return 2;
	}
	static axr_config_t cfg;
	char err[512];
	if (axr_config_load(axr_config_vars, axr_config_var_count, &cfg, err, sizeof(err)) != 0 ||
	    (def->nconfig_vars &&
	     axr_config_load(def->config_vars, def->nconfig_vars, def->config, err, sizeof(err)) != 0)) {
		fprintf(stderr, "axr-%s: configuration error: %s\n", def->name, err);
		return 2;
	}
	axr_log_init(def->name, cfg.log_level);
	if (def->init && def->init(&cfg, def->ctx) != 0) {
		axr_log_error("start-up failed");
		return 1;
	}
	axr_server_options_t opts = {
		.config = &cfg,
		.service_name = def->name,
		.service_version = def->version,
		.ready = def->ready,
		.before = def->before,
		.worker = {.init = def->worker_init, .fini = def->worker_fini, .ctx = def->ctx},
		.ctx = def->ctx,
	};
	int status = 1;
	axr_server_t *srv = axr_server_new(&opts);
	if (srv == NULL) {
		axr_log_error("out of memory");
		goto out;
	}
	for (size_t i = 0; i < def->nroutes; i++) {
		int rc = axr_server_add_route(srv, &def->routes[i]);
		if (rc != 0) {
			axr_log_error("route %s %s: %s", axr_http_method_name(def->routes[i].method),
			              def->routes[i].path, axr_strerror(rc));
			goto out;
		}
	}
	if (axr_server_start(srv) != 0)
		goto out;
	axr_log_info("listening on %s:%d (%ld I/O threads, %ld workers)", cfg.host, axr_server_port(srv),
	             cfg.threads, cfg.workers);
	status = axr_server_run(srv) == 0 ? 0 : 1;
out:
	axr_server_free(srv);
	if (def->fini)
		def->fini(def->ctx);
	return status;
}
