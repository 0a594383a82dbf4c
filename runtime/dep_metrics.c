/* dep_metrics.c: Prometheus series for the database and redis health views (read when scraped). */
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"
#include "metrics.h"
#include "redis.h"

/*
 * Every series is computed at scrape time from a health snapshot, so the
 * hot paths only touch their own atomics. metrics.h has no computed
 * counter kind yet, so the monotonic values are exported as gauges without
 * the _total suffix (rate() works on them all the same).
 */

typedef struct axr__dep_series {
	const char *name;
	const char *help;
	const char *labels;
	size_t offset; /* of a uint64_t (or int64_t unix ms when `unix_ms`) in the snapshot */
	int unix_ms;   /* exported as seconds */
} axr__dep_series_t;

static double axr__dep_value(const void *snapshot, const axr__dep_series_t *s)
{
	const unsigned char *p = (const unsigned char *)snapshot + s->offset;
	if (s->unix_ms)
		return (double)*(const int64_t *)(const void *)p / 1000.0;
	return (double)*(const uint64_t *)(const void *)p;
}

#define AXR__DB(field, name_, labels_, help_)                                                         \
	{.name = (name_), .help = (help_), .labels = (labels_), .offset = offsetof(axr_db_health_t, field), \
	 .unix_ms = 0}

static const axr__dep_series_t axr__db_series[] = {
    AXR__DB(handles, "axr_db_connections", "state=\"configured\"", "worker database connections by state"),
    AXR__DB(up, "axr_db_connections", "state=\"up\"", "worker database connections by state"),
    AXR__DB(down, "axr_db_connections", "state=\"down\"", "worker database connections by state"),
    AXR__DB(connects, "axr_db_connects", "", "database connections opened (monotonic)"),
    AXR__DB(connect_failures, "axr_db_connect_failures", "", "failed database connection attempts (monotonic)"),
    AXR__DB(reconnect_attempts, "axr_db_reconnect_attempts", "",
            "database connection attempts after a failure (monotonic)"),
    AXR__DB(disconnects, "axr_db_disconnects", "", "live database connections found broken (monotonic)"),
    AXR__DB(fast_failures, "axr_db_fast_failures", "",
            "calls refused at once while waiting to reconnect (monotonic)"),
    {.name = "axr_db_last_error_timestamp_seconds", .help = "unix time of the last database connection failure",
     .labels = "", .offset = offsetof(axr_db_health_t, last_error_unix_ms), .unix_ms = 1},
};

#define AXR__REDIS(field, name_, labels_, help_)                                                      \
	{.name = (name_), .help = (help_), .labels = (labels_),                                           \
	 .offset = offsetof(axr_redis_health_t, field), .unix_ms = 0}

static const axr__dep_series_t axr__redis_series[] = {
    AXR__REDIS(published, "axr_redis_published", "", "PUBLISH commands accepted (monotonic)"),
    AXR__REDIS(publish_failures, "axr_redis_publish_failures", "", "PUBLISH commands that failed (monotonic)"),
    AXR__REDIS(publishers_up, "axr_redis_publishers_up", "", "worker redis publishers with a live connection"),
    AXR__REDIS(subscribers, "axr_redis_subscribers", "state=\"configured\"", "redis subscribers by state"),
    AXR__REDIS(subscribers_connected, "axr_redis_subscribers", "state=\"connected\"", "redis subscribers by state"),
    AXR__REDIS(subscriber_disconnects, "axr_redis_subscriber_disconnects", "",
               "subscriber connections lost (monotonic)"),
    AXR__REDIS(messages_received, "axr_redis_messages_received", "", "pub/sub messages delivered (monotonic)"),
    {.name = "axr_redis_last_error_timestamp_seconds", .help = "unix time of the last redis failure",
     .labels = "", .offset = offsetof(axr_redis_health_t, last_error_unix_ms), .unix_ms = 1},
};

static double axr__db_metric(void *ctx)
{
	axr_db_health_t h;
	axr_db_health(&h);
	return axr__dep_value(&h, ctx);
}

static double axr__db_ready_metric(void *ctx)
{
	(void)ctx;
	return axr_db_global_ready() ? 1 : 0;
}

static double axr__redis_metric(void *ctx)
{
	axr_redis_health_t h;
	axr_redis_health(&h);
	return axr__dep_value(&h, ctx);
}

static double axr__redis_ready_metric(void *ctx)
{
	(void)ctx;
	return axr_redis_global_ready() ? 1 : 0;
}

static int axr__dep_register(const axr__dep_series_t *series, size_t n, double (*fn)(void *ctx),
                             const char *ready_name, const char *ready_help, double (*ready)(void *ctx))
{
	if (!axr_metrics_gauge_fn(ready_name, ready_help, "", ready, NULL))
		return AXR_ENOMEM;
	for (size_t i = 0; i < n; i++)
		/* The table is static const; the metric only reads through ctx. */
		if (!axr_metrics_gauge_fn(series[i].name, series[i].help, series[i].labels, fn,
		                          (void *)(uintptr_t)&series[i]))
			return AXR_ENOMEM;
	return 0;
}

int axr_db_metrics_register(void)
{
	return axr__dep_register(axr__db_series, sizeof axr__db_series / sizeof axr__db_series[0], axr__db_metric,
	                         "axr_db_ready", "1 when the latest database connection outcome was a success",
	                         axr__db_ready_metric);
}

int axr_redis_metrics_register(void)
{
	return axr__dep_register(axr__redis_series, sizeof axr__redis_series / sizeof axr__redis_series[0],
	                         axr__redis_metric, "axr_redis_ready",
	                         "1 when redis is reachable and every subscriber is connected",
	                         axr__redis_ready_metric);
}
