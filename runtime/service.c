/* service.c: main() of every axr service: config, logging, dependencies,
 * server, drain. */
#include "service.h"

#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "bus.h"
#include "crud.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "redis.h"

/* What the runtime adds around the service's own hooks. */
typedef struct axr__service {
	const axr_service_def_t *def;
	const axr_config_t *cfg;
	axr_db_options_t db_opts;
} axr__service_t;

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

/* Each worker owns one database connection and one redis publisher. */
static void axr__worker_init(axr_worker_t *w, void *ctx)
{
	axr__service_t *s = ctx;
	if (*s->cfg->database_url) {
		axr_db_t *db = NULL;
		if (axr_db_new(s->cfg->database_url, &s->db_opts, &db) == 0) {
			w->db = db;
			axr_db_connect(db); /* failure is fine: requests retry with backoff */
		}
	}
	if (*s->cfg->redis_url) {
		axr_redis_t *r = NULL;
		if (axr_redis_new(s->cfg->redis_url, NULL, &r) == 0)
			w->redis = r;
	}
	if (s->def->worker_init)
		s->def->worker_init(w, s->def->ctx);
}

static void axr__worker_fini(axr_worker_t *w, void *ctx)
{
	axr__service_t *s = ctx;
	if (s->def->worker_fini)
		s->def->worker_fini(w, s->def->ctx);
	axr_db_free(w->db);
	axr_redis_free(w->redis);
	w->db = w->redis = NULL;
}

/*
 * Ready when not draining (the server checks that), the database answers
 * and the service's own check agrees. redis is deliberately not required:
 * events are fire-and-forget (DESIGN.md, Push), a service without redis
 * still answers every request, and failing readiness on it would take every
 * replica out of a load balancer at once. Its state is in /metrics.
 */
static int axr__ready(void *ctx, const char **why)
{
	axr__service_t *s = ctx;
	if (*s->cfg->database_url && !axr_db_global_ready()) {
		*why = "database unreachable";
		return 0;
	}
	if (s->def->ready)
		return s->def->ready(s->def->ctx, why);
	return 1;
}

static int axr__before(axr_request_t *req, void *ctx)
{
	axr__service_t *s = ctx;
	return s->def->before ? s->def->before(req, s->def->ctx) : 0;
}

static void axr__io_init(struct event_base *base, int index, void *ctx)
{
	axr__service_t *s = ctx;
	s->def->io_init(base, index, s->def->ctx);
}

static void axr__io_fini(struct event_base *base, int index, void *ctx)
{
	axr__service_t *s = ctx;
	s->def->io_fini(base, index, s->def->ctx);
}

void axr_service_db_options(const axr_config_t *cfg, const char *application_name, axr_db_options_t *o)
{
	axr_db_options_init(o);
	o->connect_timeout_ms = cfg->db_connect_timeout_ms;
	o->statement_timeout_ms = cfg->db_statement_timeout_ms;
	o->lock_timeout_ms = cfg->db_lock_timeout_ms;
	o->idle_tx_timeout_ms = cfg->db_idle_tx_timeout_ms;
	o->application_name = application_name;
}

static int axr__dependencies_start(axr__service_t *s)
{
	const axr_config_t *cfg = s->cfg;
	axr_service_db_options(cfg, s->def->name, &s->db_opts);
	if (*cfg->database_url) {
		if (axr_db_monitor_start(cfg->database_url, 1000) != 0 || axr_db_metrics_register() != 0)
			return AXR_ENOMEM;
	}
	if (*cfg->redis_url && axr_redis_metrics_register() != 0)
		return AXR_ENOMEM;
	/* Events: every change made through the generated CRUD is published after
	 * its commit (hand-written handlers call axr_bus_publish_entity). */
	if (axr_bus_set_service(s->def->name) != 0)
		return AXR_ENOMEM;
	if (*cfg->redis_url)
		axr_crud_on_change = axr_bus_crud_changed;
	return 0;
}

/* A generated def plus its hand-written hooks, as one definition. */
static const axr_service_def_t *axr__merge_hooks(const axr_service_def_t *def)
{
	static axr_service_def_t merged;
	const axr_service_hooks_t *h = def->hooks;
	if (h == NULL)
		return def;
	merged = *def;
	if (merged.nconfig_vars == 0) {
		merged.config_vars = h->config_vars;
		merged.nconfig_vars = h->nconfig_vars;
		merged.config = h->config;
	}
	if (merged.ctx == NULL)
		merged.ctx = h->ctx;
	if (merged.init == NULL)
		merged.init = h->init;
	if (merged.fini == NULL)
		merged.fini = h->fini;
	if (merged.worker_init == NULL)
		merged.worker_init = h->worker_init;
	if (merged.worker_fini == NULL)
		merged.worker_fini = h->worker_fini;
	if (merged.io_init == NULL)
		merged.io_init = h->io_init;
	if (merged.io_fini == NULL)
		merged.io_fini = h->io_fini;
	if (merged.ready == NULL)
		merged.ready = h->ready;
	return &merged;
}

int axr_service_main(const axr_service_def_t *def_in, int argc, char **argv)
{
	const axr_service_def_t *def = axr__merge_hooks(def_in);
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
	static axr__service_t svc;
	svc.def = def;
	svc.cfg = &cfg;
	if (axr__dependencies_start(&svc) != 0) {
		axr_log_error("start-up failed: out of memory");
		return 1;
	}
	if (axr_auth_init(&cfg) != 0) {
		axr_db_monitor_stop();
		return 1;
	}
	const axr_service_hooks_t *hooks = def_in->hooks;
	int init_rc = def->init ? def->init(&cfg, def->ctx) : 0;
	if (init_rc == 0 && hooks && hooks->init && hooks->init != def->init)
		init_rc = hooks->init(&cfg, hooks->ctx);
	if (init_rc != 0) {
		axr_log_error("start-up failed");
		axr_db_monitor_stop();
		return 1;
	}
	axr_server_options_t opts = {
		.config = &cfg,
		.service_name = def->name,
		.service_version = def->version,
		.ready = axr__ready,
		.before = axr__before,
		.worker = {.init = axr__worker_init, .fini = axr__worker_fini, .ctx = &svc},
		.io_init = def->io_init ? axr__io_init : NULL,
		.io_fini = def->io_fini ? axr__io_fini : NULL,
		.ctx = &svc,
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
	status = axr_server_run(srv) == 0 ? 0 : 1;
out:
	axr_server_free(srv);
	axr_db_monitor_stop();
	axr_auth_shutdown();
	if (def->fini)
		def->fini(def->ctx);
	return status;
}
