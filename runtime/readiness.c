/* readiness.c: latest-outcome readiness for dependencies (database, redis). */
#include "readiness.h"

#include <time.h>

#include "log.h"

static int64_t axr__readiness_unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Raises *slot to v unless it is already higher (concurrent reports). */
static void axr__readiness_raise(_Atomic uint64_t *slot, uint64_t v)
{
	uint64_t cur = atomic_load_explicit(slot, memory_order_relaxed);
	while (cur < v && !atomic_compare_exchange_weak_explicit(slot, &cur, v, memory_order_acq_rel,
	                                                         memory_order_relaxed))
		;
}

bool axr_readiness_ok(axr_readiness_t *r)
{
	uint64_t ok = atomic_load_explicit(&r->last_ok, memory_order_acquire);
	uint64_t fail = atomic_load_explicit(&r->last_fail, memory_order_acquire);
	return ok > fail;
}

uint64_t axr_readiness_record(axr_readiness_t *r, bool ok, const char *why)
{
	bool was = axr_readiness_ok(r);
	uint64_t s = atomic_fetch_add_explicit(&r->seq, 1, memory_order_acq_rel) + 1;
	if (ok) {
		atomic_store_explicit(&r->last_ok_unix_ms, axr__readiness_unix_ms(), memory_order_relaxed);
		axr__readiness_raise(&r->last_ok, s);
	} else {
		atomic_store_explicit(&r->last_fail_unix_ms, axr__readiness_unix_ms(), memory_order_relaxed);
		axr__readiness_raise(&r->last_fail, s);
	}
	bool now = axr_readiness_ok(r);
	if (was && !now)
		axr_log_warn("%s unavailable: %s", r->name, why && *why ? why : "connection failed");
	else if (!was && now && atomic_load_explicit(&r->last_fail, memory_order_relaxed))
		axr_log_info("%s available again", r->name);
	return s;
}

uint64_t axr_readiness_last_ok(axr_readiness_t *r)
{
	return atomic_load_explicit(&r->last_ok, memory_order_acquire);
}

int64_t axr_readiness_last_ok_unix_ms(axr_readiness_t *r)
{
	return atomic_load_explicit(&r->last_ok_unix_ms, memory_order_relaxed);
}

int64_t axr_readiness_last_fail_unix_ms(axr_readiness_t *r)
{
	return atomic_load_explicit(&r->last_fail_unix_ms, memory_order_relaxed);
}
