/* service.h: main() of every axr service: config, logging, server, drain. */
#ifndef AXR_SERVICE_H
#define AXR_SERVICE_H

#include <stddef.h>

#include "config.h"
#include "db.h"
#include "server.h"

/*
 * What a service's hand-written code adds to a generated main(): its own
 * settings, start-up after the generated migrations, shutdown, per-worker
 * and per-event-loop state, an extra readiness check. A service defines
 * `const axr_service_hooks_t <svc>_hooks = {...};` in handlers/<svc>/;
 * the generated main() finds it at link time (a weak reference: no hooks,
 * no definition needed).
 */
typedef struct axr_service_hooks {
	const axr_config_var_t *config_vars;
	size_t nconfig_vars;
	void *config;
	int (*init)(const axr_config_t *cfg, void *ctx); /* after the generated start-up */
	void (*fini)(void *ctx);
	void (*worker_init)(axr_worker_t *w, void *ctx);
	void (*worker_fini)(axr_worker_t *w, void *ctx);
	void (*io_init)(struct event_base *base, int index, void *ctx);
	void (*io_fini)(struct event_base *base, int index, void *ctx);
	int (*ready)(void *ctx, const char **why);
	void *ctx;
} axr_service_hooks_t;

typedef struct axr_service_def {
	const char *name;             /* "achievement": logs, /status, metrics */
	const char *version;
	const axr_route_t *routes;    /* the service's routes (static const) */
	size_t nroutes;
	/* The service's own settings, loaded like the runtime's. May be NULL. */
	const axr_config_var_t *config_vars;
	size_t nconfig_vars;
	void *config;
	/* After configuration, before serving (migrations, keys). Non-zero
	 * stops start-up. `cfg` is the runtime configuration. */
	int (*init)(const axr_config_t *cfg, void *ctx);
	void (*fini)(void *ctx);
	void (*worker_init)(axr_worker_t *w, void *ctx);
	void (*worker_fini)(axr_worker_t *w, void *ctx);
	int (*before)(axr_request_t *req, void *ctx);
	int (*ready)(void *ctx, const char **why);
	void (*io_init)(struct event_base *base, int index, void *ctx);
	void (*io_fini)(struct event_base *base, int index, void *ctx);
	void *ctx;
	const axr_service_hooks_t *hooks; /* hand-written additions; NULL when none */
} axr_service_def_t;

/*
 * Runs a service: `--help` prints the configuration tables; a bad setting
 * stops with a message naming the variable (exit 2); otherwise it serves
 * until SIGTERM/SIGINT and drains. Returns the process exit status.
 */
/* Fills `o` with the database timeouts of the runtime settings (AXR_DB_*),
 * for connections a service opens itself (background threads). */
void axr_service_db_options(const axr_config_t *cfg, const char *application_name, axr_db_options_t *o);

int axr_service_main(const axr_service_def_t *def, int argc, char **argv);

#endif
