/* hooks.c: the matchmaking service's settings, start-up (schema, metrics, matcher, events) and shutdown. */
#include <stdbool.h>

#include "api.h"
#include "config.h"
#include "err.h"
#include "events.h"
#include "log.h"
#include "service.h"
#include "store.h"
#include "worker.h"

/*
 * Start-up runs after the generated one (tables of the entities migrated):
 * the store's own tables and indexes (matchmaking_store_migrate: idempotent,
 * advisory-locked, so replicas may start together), the /metrics series,
 * then, when AXR_MATCH_ENABLED, the background matcher on its own thread and
 * connection, and its event publisher on another (events.h), so a round
 * never waits for redis. Shutdown (after the HTTP drain) stops the matcher
 * between rounds, then publishes what its last rounds left, for at most
 * AXR_DRAIN_TIMEOUT.
 */

static matchmaking_config_t mm_config;

static struct {
	matchmaking_worker_t *worker;
	matchmaking_events_t *events;
} mm_service;

const matchmaking_config_t *matchmaking_api_config(void)
{
	return &mm_config;
}

static int schema_migrate(const axr_config_t *cfg)
{
	axr_db_options_t dbo;
	axr_db_t *db = NULL;
	axr_service_db_options(cfg, "axr-matchmaking", &dbo);
	int rc = axr_db_new(cfg->database_url, &dbo, &db);
	if (rc == 0 && (rc = matchmaking_store_migrate(db)) != 0)
		axr_log_error("matchmaking: store tables: %s %s", axr_errname(rc), axr_db_last_error(db)->message);
	else if (rc != 0)
		axr_log_error("matchmaking: store tables: %s", axr_errname(rc));
	axr_db_free(db);
	return rc;
}

static int matchmaking_init(const axr_config_t *cfg, void *ctx)
{
	(void)ctx;
	int rc = matchmaking_metrics_register();
	if (rc != 0)
		return rc;
	if (!*cfg->database_url) {
		axr_log_warn("matchmaking: no AXR_DATABASE_URL: no matcher runs and every ticket route answers 503");
		return 0;
	}
	if ((rc = schema_migrate(cfg)) != 0)
		return rc;
	if (!mm_config.enabled) {
		axr_log_info("matchmaking: matcher off in this process (AXR_MATCH_ENABLED=false)");
		return 0;
	}
	axr_db_options_t worker_db, events_db;
	axr_service_db_options(cfg, "axr-matchmaker", &worker_db);
	axr_service_db_options(cfg, "axr-matchmaker-events", &events_db);
	if (*cfg->redis_url) {
		matchmaking_events_options_t eo = {.database_url = cfg->database_url, .db = &events_db,
		                                   .redis_url = cfg->redis_url, .drain_ms = cfg->drain_timeout_ms};
		if ((rc = matchmaking_events_start(&eo, &mm_service.events)) != 0) {
			axr_log_error("matchmaking: event publisher: %s", axr_strerror(rc));
			return rc;
		}
	} else {
		axr_log_warn("matchmaking: no AXR_REDIS_URL: matches and expiries are not pushed (clients poll)");
	}
	matchmaking_worker_options_t wo = {
	    .database_url = cfg->database_url,
	    .db = &worker_db,
	    .interval_ms = mm_config.interval_ms,
	    .round = {.batch = mm_config.batch},
	    .publish = mm_service.events ? matchmaking_events_round : NULL,
	    .publish_ctx = mm_service.events,
	};
	matchmaking_config_matcher(&mm_config, &wo.round.matcher);
	if ((rc = matchmaking_worker_start(&wo, &mm_service.worker)) != 0) {
		axr_log_error("matchmaking: matcher: %s", axr_strerror(rc));
		matchmaking_events_stop(mm_service.events, NULL);
		mm_service.events = NULL;
		return rc;
	}
	axr_log_info("matchmaking: matcher on, a round every %ld ms (window %ld + %ld/s, max wait %ld ms)",
	             mm_config.interval_ms, mm_config.window_base, mm_config.window_rate, mm_config.max_wait_ms);
	return 0;
}

static void matchmaking_fini(void *ctx)
{
	(void)ctx;
	if (mm_service.worker) {
		matchmaking_worker_stats_t ws;
		matchmaking_worker_stop(mm_service.worker, &ws);
		mm_service.worker = NULL;
		axr_log_info("matchmaking: matcher stopped after %llu rounds (%llu failed): %llu matches, %llu tickets "
		             "matched, %llu expired",
		             (unsigned long long)ws.rounds, (unsigned long long)ws.failed_rounds,
		             (unsigned long long)ws.matches, (unsigned long long)ws.matched_tickets,
		             (unsigned long long)ws.expired_tickets);
	}
	if (mm_service.events) {
		matchmaking_events_stats_t es;
		matchmaking_events_stop(mm_service.events, &es);
		mm_service.events = NULL;
		axr_log_info("matchmaking: events: %llu published, %llu failed, %llu dropped",
		             (unsigned long long)es.published, (unsigned long long)es.failed,
		             (unsigned long long)es.dropped);
	}
}

const axr_service_hooks_t matchmaking_hooks = {
    .config_vars = matchmaking_config_vars,
    .nconfig_vars = MATCHMAKING_CONFIG_VAR_COUNT,
    .config = &mm_config,
    .init = matchmaking_init,
    .fini = matchmaking_fini,
};
