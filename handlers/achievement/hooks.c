/* hooks.c: the achievement service's hooks: settings, and a background thread running the trigger subscriber and the key purge. */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "api.h"
#include "db.h"
#include "err.h"
#include "idempotency.h"
#include "log.h"
#include "redis.h"
#include "service.h"
#include "trigger_bus.h"

/*
 * The generated main() migrates the database and serves the routes; this
 * adds one thread with an event loop of its own (trigger_bus.h: the
 * subscriber's handler blocks on the database, so it must not run on an
 * HTTP I/O thread), its own database connection and redis publisher:
 *   - the trigger subscriber (achievement_bus_start), which turns bus events
 *     into progress and publishes the changes it makes, with the record as
 *     protobuf `data` like the HTTP handlers;
 *   - the purge of Idempotency-Keys and processed-event marks older than
 *     AXR_ACHIEVEMENT_KEY_MAX_AGE, once at start and every
 *     AXR_ACHIEVEMENT_PURGE_INTERVAL (each replica purges; it is one DELETE).
 * Without AXR_DATABASE_URL nothing starts; without AXR_REDIS_URL only the purge.
 */

typedef struct achievement_config {
	long trigger_refresh_ms; /* re-read the triggers this often */
	long purge_interval_ms;
	long key_max_age_ms;
} achievement_config_t;

static achievement_config_t achievement__config;

static const axr_config_var_t achievement__config_vars[] = {
	{.name = "AXR_ACHIEVEMENT_TRIGGER_REFRESH", .type = AXR_CFG_MS, .def = "5s", .min = 100, .max = 3600000,
	 .offset = offsetof(achievement_config_t, trigger_refresh_ms),
	 .help = "how often the services named by definitions' triggers are read again (subscriptions follow)"},
	{.name = "AXR_ACHIEVEMENT_PURGE_INTERVAL", .type = AXR_CFG_MS, .def = "60m", .min = 1000, .max = 604800000,
	 .offset = offsetof(achievement_config_t, purge_interval_ms),
	 .help = "how often old Idempotency-Keys and processed-event marks are deleted"},
	{.name = "AXR_ACHIEVEMENT_KEY_MAX_AGE", .type = AXR_CFG_MS, .def = "10080m", .min = 60000, .max = 31622400000,
	 .offset = offsetof(achievement_config_t, key_max_age_ms),
	 .help = "age after which an Idempotency-Key is forgotten (the spec promises 7 days)"},
};

typedef struct achievement__background {
	struct event_base *base;
	struct event *stop;  /* activated by achievement__fini from the main thread */
	struct event *purge;
	pthread_t thread;
	bool running;
	axr_db_t *db;           /* this thread's own */
	axr_redis_t *publisher; /* this thread's own; NULL without redis */
	axr_arena_t *arena;     /* messages of published changes, reset after each */
	char *redis_url;
	achievement_bus_t *bus;
} achievement__background_t;

static achievement__background_t achievement__bg;

/* Publishes a change the subscriber made, with the record as `data`. */
static int achievement__publish_change(const achievement_progress_out_t *out, void *ctx)
{
	achievement__background_t *bg = ctx;
	Achievement__UserAchievement *m = achievement_api_record_message(bg->arena, &out->record);
	int rc = m != NULL ? achievement_api_publish(bg->publisher, out, m) : AXR_ENOMEM;
	axr_arena_reset(bg->arena);
	return rc;
}

static void achievement__on_purge(evutil_socket_t fd, short what, void *ctx)
{
	achievement__background_t *bg = ctx;
	int64_t deleted = 0;
	(void)fd;
	(void)what;
	int rc = achievement_idem_purge(bg->db, achievement__config.key_max_age_ms / 1000, &deleted);
	if (rc != 0)
		axr_log_warn("achievement: purging old Idempotency-Keys failed (next try in %ld ms): %s",
		             achievement__config.purge_interval_ms, axr_strerror(rc));
	else if (deleted > 0)
		axr_log_info("achievement: purged %lld old Idempotency-Keys and event marks", (long long)deleted);
}

/* On the background thread: the subscriber goes, then the loop ends. */
static void achievement__on_stop(evutil_socket_t fd, short what, void *ctx)
{
	achievement__background_t *bg = ctx;
	(void)fd;
	(void)what;
	achievement_bus_stop(bg->bus);
	bg->bus = NULL;
	event_base_loopbreak(bg->base);
}

static void *achievement__run(void *ctx)
{
	achievement__background_t *bg = ctx;

	if (bg->redis_url != NULL) {
		achievement_bus_options_t opt = {
			.base = bg->base,
			.redis_url = bg->redis_url,
			.db = bg->db,
			.publisher = bg->publisher,
			.publish = achievement__publish_change,
			.publish_ctx = bg,
			.refresh_ms = achievement__config.trigger_refresh_ms,
		};
		int rc = achievement_bus_start(&opt, &bg->bus);
		if (rc != 0)
			axr_log_error("achievement: the trigger subscriber did not start: %s", axr_strerror(rc));
	}
	event_active(bg->purge, EV_TIMEOUT, 0); /* once now, then every interval */
	event_base_loop(bg->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

/* Frees what achievement__init made (the thread has ended or never ran). */
static void achievement__release(achievement__background_t *bg)
{
	if (bg->stop != NULL)
		event_free(bg->stop);
	if (bg->purge != NULL)
		event_free(bg->purge);
	if (bg->base != NULL)
		event_base_free(bg->base);
	axr_db_free(bg->db);
	axr_redis_free(bg->publisher);
	axr_arena_free(bg->arena);
	free(bg->redis_url);
	memset(bg, 0, sizeof *bg);
}

static int achievement__init(const axr_config_t *cfg, void *ctx)
{
	achievement__background_t *bg = &achievement__bg;
	long purge_ms = achievement__config.purge_interval_ms;
	struct timeval every = {.tv_sec = purge_ms / 1000, .tv_usec = (purge_ms % 1000) * 1000};
	axr_db_options_t dbo;
	int rc = AXR_ENOMEM;

	(void)ctx;
	if (cfg->database_url == NULL || cfg->database_url[0] == '\0') {
		axr_log_warn("achievement: no database: no trigger subscriber, no key purge");
		return 0;
	}
	axr_service_db_options(cfg, "achievement-background", &dbo);
	/* event_active() from the main thread at shutdown needs a locked base. */
	if (evthread_use_pthreads() != 0 || (bg->base = event_base_new()) == NULL ||
	    (bg->stop = event_new(bg->base, -1, 0, achievement__on_stop, bg)) == NULL ||
	    (bg->purge = event_new(bg->base, -1, EV_PERSIST, achievement__on_purge, bg)) == NULL ||
	    event_add(bg->purge, &every) != 0 || (bg->arena = axr_arena_new(0)) == NULL)
		goto fail;
	if ((rc = axr_db_new(cfg->database_url, &dbo, &bg->db)) != 0)
		goto fail;
	if (cfg->redis_url != NULL && cfg->redis_url[0] != '\0') {
		if ((bg->redis_url = strdup(cfg->redis_url)) == NULL) {
			rc = AXR_ENOMEM;
			goto fail;
		}
		if ((rc = axr_redis_new(cfg->redis_url, NULL, &bg->publisher)) != 0)
			goto fail;
	} else {
		axr_log_warn("achievement: no redis: triggers do nothing and no change is published");
	}
	if (pthread_create(&bg->thread, NULL, achievement__run, bg) != 0) {
		rc = AXR_EIO;
		goto fail;
	}
	bg->running = true;
	return 0;
fail:
	axr_log_error("achievement: the background thread did not start: %s", axr_strerror(rc));
	achievement__release(bg);
	return rc;
}

static void achievement__fini(void *ctx)
{
	achievement__background_t *bg = &achievement__bg;
	(void)ctx;
	if (bg->running) {
		event_active(bg->stop, EV_READ, 0);
		pthread_join(bg->thread, NULL);
	}
	achievement__release(bg);
}

const axr_service_hooks_t achievement_hooks = {
	.config_vars = achievement__config_vars,
	.nconfig_vars = sizeof achievement__config_vars / sizeof achievement__config_vars[0],
	.config = &achievement__config,
	.init = achievement__init,
	.fini = achievement__fini,
};
