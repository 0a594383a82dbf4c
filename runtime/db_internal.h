/* db_internal.h: what db.c, db_result.c and db_health.c share; not part of the public API. */
#ifndef AXR_DB_INTERNAL_H
#define AXR_DB_INTERNAL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "db.h"

/* Wraps `res` (ownership moves to the result). Returns NULL when out of
 * memory, after clearing `res`. */
axr_db_result_t *axr__db_result_wrap(PGresult *res);

/* Process-wide counters of db_health.c. */
enum axr__db_counter {
	AXR__DB_CONNECTS,
	AXR__DB_CONNECT_FAILURES,
	AXR__DB_RECONNECT_ATTEMPTS,
	AXR__DB_DISCONNECTS,
	AXR__DB_FAST_FAILURES,
};
void axr__db_count(enum axr__db_counter c);

/* Gauges: handles that exist, handles up, handles down. */
enum axr__db_gauge { AXR__DB_HANDLES, AXR__DB_UP, AXR__DB_DOWN };
void axr__db_gauge_add(enum axr__db_gauge g, int delta);

/*
 * Records a connection outcome (success, or a failed/broken connection) and
 * returns its sequence number: outcomes are totally ordered, the readiness
 * view is the latest one. `why` (may be NULL) is logged when readiness flips.
 */
uint64_t axr__db_record_outcome(bool ok, const char *why);

/* Sequence number of the latest successful outcome (0: none yet). */
uint64_t axr__db_last_ok_seq(void);

/* Monotonic clock in milliseconds. */
int64_t axr__db_now_ms(void);

/*
 * Opens a connection to `url` within `timeout_ms` (non-blocking connect
 * polled against a deadline). With `opt`, the session gets its timeouts and
 * application name as startup options. Returns 0 and *out, or
 * AXR_ETIMEOUT / AXR_EUNAVAILABLE / AXR_ENOMEM with a message in `msg`.
 */
int axr__db_open(const char *url, const axr_db_options_t *opt, long timeout_ms, PGconn **out,
                 char *msg, size_t msglen);

#endif
