/* db_health.c: process-wide database health (atomic counters, readiness) and the ping monitor thread. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "db_internal.h"
#include "err.h"
#include "readiness.h"

#define AXR__DB_PING_TIMEOUT_MS 2000

static struct {
	_Atomic uint64_t counters[AXR__DB_FAST_FAILURES + 1];
	_Atomic int64_t gauges[AXR__DB_DOWN + 1];
} axr__db_h;

static axr_readiness_t axr__db_ready = AXR_READINESS_INIT("database");

void axr__db_count(enum axr__db_counter c)
{
	atomic_fetch_add_explicit(&axr__db_h.counters[c], 1, memory_order_relaxed);
}

void axr__db_gauge_add(enum axr__db_gauge g, int delta)
{
	atomic_fetch_add_explicit(&axr__db_h.gauges[g], delta, memory_order_relaxed);
}

uint64_t axr__db_record_outcome(bool ok, const char *why)
{
	return axr_readiness_record(&axr__db_ready, ok, why);
}

uint64_t axr__db_last_ok_seq(void)
{
	return axr_readiness_last_ok(&axr__db_ready);
}

bool axr_db_global_ready(void)
{
	return axr_readiness_ok(&axr__db_ready);
}

void axr_db_health(axr_db_health_t *out)
{
	int64_t g[AXR__DB_DOWN + 1];
	for (int i = 0; i <= AXR__DB_DOWN; i++) {
		g[i] = atomic_load_explicit(&axr__db_h.gauges[i], memory_order_relaxed);
		if (g[i] < 0)
			g[i] = 0;
	}
	*out = (axr_db_health_t){
		.handles = (uint64_t)g[AXR__DB_HANDLES],
		.up = (uint64_t)g[AXR__DB_UP],
		.down = (uint64_t)g[AXR__DB_DOWN],
		.connects = atomic_load_explicit(&axr__db_h.counters[AXR__DB_CONNECTS], memory_order_relaxed),
		.connect_failures =
		    atomic_load_explicit(&axr__db_h.counters[AXR__DB_CONNECT_FAILURES], memory_order_relaxed),
		.reconnect_attempts = atomic_load_explicit(&axr__db_h.counters[AXR__DB_RECONNECT_ATTEMPTS],
		                                           memory_order_relaxed),
		.disconnects =
		    atomic_load_explicit(&axr__db_h.counters[AXR__DB_DISCONNECTS], memory_order_relaxed),
		.fast_failures =
		    atomic_load_explicit(&axr__db_h.counters[AXR__DB_FAST_FAILURES], memory_order_relaxed),
		.last_ok_unix_ms = axr_readiness_last_ok_unix_ms(&axr__db_ready),
		.last_error_unix_ms = axr_readiness_last_fail_unix_ms(&axr__db_ready),
	};
}

/* ---- monitor -------------------------------------------------------------- */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool running;
	bool stop;
	char *url;
	long interval_ms;
} axr__db_mon = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void *axr__db_monitor_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&axr__db_mon.lock);
	while (!axr__db_mon.stop) {
		pthread_mutex_unlock(&axr__db_mon.lock);
		char msg[256];
		PGconn *conn = NULL;
		int rc = axr__db_open(axr__db_mon.url, NULL, AXR__DB_PING_TIMEOUT_MS, &conn, msg, sizeof msg);
		if (rc == 0)
			PQfinish(conn);
		axr__db_record_outcome(rc == 0, msg);
		pthread_mutex_lock(&axr__db_mon.lock);

		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += axr__db_mon.interval_ms / 1000;
		until.tv_nsec += (axr__db_mon.interval_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!axr__db_mon.stop &&
		       pthread_cond_timedwait(&axr__db_mon.wake, &axr__db_mon.lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&axr__db_mon.lock);
	return NULL;
}

int axr_db_monitor_start(const char *url, long interval_ms)
{
	pthread_condattr_t attr;
	int rc = AXR_EINVAL;

	if (!url || interval_ms <= 0)
		return AXR_EINVAL;
	pthread_mutex_lock(&axr__db_mon.lock);
	if (axr__db_mon.running)
		goto out;
	rc = AXR_ENOMEM;
	axr__db_mon.url = strdup(url);
	if (!axr__db_mon.url)
		goto out;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&axr__db_mon.wake, &attr);
	pthread_condattr_destroy(&attr);
	axr__db_mon.interval_ms = interval_ms;
	axr__db_mon.stop = false;
	if (pthread_create(&axr__db_mon.thread, NULL, axr__db_monitor_main, NULL) != 0) {
		pthread_cond_destroy(&axr__db_mon.wake);
		free(axr__db_mon.url);
		axr__db_mon.url = NULL;
		goto out;
	}
	axr__db_mon.running = true;
	rc = 0;
out:
	pthread_mutex_unlock(&axr__db_mon.lock);
	return rc;
}

void axr_db_monitor_stop(void)
{
	pthread_mutex_lock(&axr__db_mon.lock);
	if (!axr__db_mon.running) {
		pthread_mutex_unlock(&axr__db_mon.lock);
		return;
	}
	axr__db_mon.stop = true;
	pthread_cond_signal(&axr__db_mon.wake);
	pthread_mutex_unlock(&axr__db_mon.lock);
	pthread_join(axr__db_mon.thread, NULL);
	pthread_mutex_lock(&axr__db_mon.lock);
	pthread_cond_destroy(&axr__db_mon.wake);
	free(axr__db_mon.url);
	axr__db_mon.url = NULL;
	axr__db_mon.running = false;
	pthread_mutex_unlock(&axr__db_mon.lock);
}
