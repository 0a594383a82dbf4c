/* db.h: PostgreSQL client layer (libpq): one connection per worker, timeouts, reconnect with backoff. */
#ifndef AXR_DB_H
#define AXR_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Model
 * -----
 * Each worker thread owns one axr_db_t: one PostgreSQL connection, opened
 * lazily on first use. An axr_db_t is not thread-safe; the process-wide
 * health view (axr_db_health, axr_db_global_ready) is.
 *
 * When the connection breaks (the server closed it, a round trip failed or
 * took longer than the client-side bound) the handle is marked down. The
 * next call reconnects at once; if that fails, further attempts wait an
 * exponential backoff with jitter (backoff_min_ms doubling up to
 * backoff_max_ms), and every call made while waiting fails IMMEDIATELY with
 * AXR_EUNAVAILABLE, so a worker is never held by a dead database (the
 * runtime answers 503 + Retry-After). A successful connection anywhere in the
 * process (another worker, the monitor) ends every handle's wait early.
 * Nothing here ever exits the process.
 *
 * Before each statement an idle connection is checked without blocking
 * (poll on its socket): a connection the server has closed meanwhile (e.g. a
 * restart) is replaced before anything is sent, so the caller does not see
 * the stale connection at all.
 *
 * Errors
 * ------
 * Calls return 0 or a negative AXR_E* code. Server errors are mapped from
 * their SQLSTATE (axr_db_sqlstate_err below). Details (SQLSTATE, constraint,
 * the server's message) are kept in axr_db_last_error() for logs and for
 * callers that name the offending field; none of it may reach a client.
 */

typedef struct axr_db axr_db_t;
typedef struct axr_db_result axr_db_result_t;

typedef struct axr_db_options {
	long connect_timeout_ms;   /* whole connection set-up, client side (default 2000) */
	long statement_timeout_ms; /* server statement_timeout (default 5000; 0 = none) */
	long lock_timeout_ms;      /* server lock_timeout (default 2000; 0 = none) */
	long idle_tx_timeout_ms;   /* server idle_in_transaction_session_timeout (default 10000) */
	long io_timeout_ms;        /* client-side bound on one round trip; past it the connection
	                            * is dropped (default 0: statement_timeout_ms + 2000, or
	                            * 30000 when statement_timeout_ms is 0) */
	long backoff_min_ms;       /* first reconnect wait (default 100) */
	long backoff_max_ms;       /* longest reconnect wait (default 2000, see db.c) */
	const char *application_name; /* shown in pg_stat_activity (default "axr"; copied) */
} axr_db_options_t;

/* Fills `o` with the defaults above. */
void axr_db_options_init(axr_db_options_t *o);

/*
 * Creates a handle for `url` (postgresql://user@host:port/db?... or a libpq
 * key=value string) without connecting. `opt` may be NULL for the defaults;
 * it is copied. Returns 0 and sets *out; on error *out is NULL and the code
 * is AXR_ECONFIG when `url` cannot be parsed, AXR_EINVAL for NULL arguments
 * or negative timeouts, AXR_ENOMEM.
 * Free with axr_db_free().
 */
int axr_db_new(const char *url, const axr_db_options_t *opt, axr_db_t **out);

/* Closes the connection and frees the handle and its statement registry.
 * NULL is a no-op. */
void axr_db_free(axr_db_t *db);

/*
 * Connects now if the handle has no live connection (workers call it at
 * start so the first request does not pay for it). Honors the backoff.
 * Returns 0 when connected, AXR_EUNAVAILABLE otherwise (also while waiting
 * out the backoff). Failure is not fatal: later calls retry.
 */
int axr_db_connect(axr_db_t *db);

/* true when the handle has a live connection (as far as it knows). */
bool axr_db_is_up(const axr_db_t *db);

/* Milliseconds until the handle will try to reconnect again; 0 when it is up
 * or would try at once. For Retry-After. */
long axr_db_retry_after_ms(const axr_db_t *db);

/*
 * Registers the statement `name` (any string up to 200 bytes) with `sql`
 * ($1..$n placeholders) and `nparams` parameters. Nothing is sent now: the
 * statement is prepared on the connection the first time it is executed,
 * and again after every reconnect. `name` and `sql` are copied. Registering
 * the same name with the same SQL again is a no-op returning 0; with a
 * different SQL it is AXR_EEXISTS. AXR_EINVAL for bad arguments, AXR_ENOMEM.
 */
int axr_db_prepare(axr_db_t *db, const char *name, const char *sql, int nparams);

/*
 * Runs one parameterized statement and waits for its result.
 *
 * - name != NULL: the registered statement `name` (registered now from `sql`
 *   if it is not yet, as by axr_db_prepare; `sql` may be NULL once it is).
 * - name == NULL: `sql` is sent as an unnamed statement (extended protocol,
 *   a single statement only, parameters never interpolated).
 *
 * `values[i]` is parameter $i+1 (NULL means SQL NULL); `lengths[i]` its length
 * for binary parameters (ignored for text); `formats[i]` 0 = text, 1 = binary.
 * `lengths` and `formats` may be NULL (all text). Results come back as text.
 *
 * On success returns 0 and, if `out` is not NULL, sets *out to a result the
 * caller frees with axr_db_result_free(). On error *out is NULL and the code
 * is one of: the SQLSTATE mapping below; AXR_EUNAVAILABLE (no connection, or
 * it broke: the statement may or may not have run if it broke mid-way);
 * AXR_ETIMEOUT (statement/lock timeout, or the client-side io_timeout, after
 * which the connection is dropped); AXR_EINVAL (bad arguments); AXR_ENOMEM.
 */
int axr_db_exec(axr_db_t *db, const char *name, const char *sql, int nparams,
                const char *const *values, const int *lengths, const int *formats,
                axr_db_result_t **out);

/* Transaction isolation levels for axr_db_tx_run. */
typedef enum axr_db_isolation {
	AXR_DB_READ_COMMITTED,
	AXR_DB_REPEATABLE_READ,
	AXR_DB_SERIALIZABLE,
} axr_db_isolation_t;

/* The body of a transaction: runs statements on `db`, returns 0 to commit
 * or a negative code to roll back. It may be called several times (after a
 * serialization failure or deadlock), so it must have no effects outside
 * the database that a retry would duplicate. */
typedef int (*axr_db_tx_fn)(axr_db_t *db, void *ctx);

/*
 * BEGINs a transaction at `isolation`, calls fn(db, ctx) and COMMITs when it
 * returns 0; on any error it ROLLs BACK. When fn or the COMMIT fails with
 * AXR_EAGAIN (serialization failure 40001, deadlock 40P01), the whole
 * transaction is retried up to `max_retries` more times after a short
 * jittered wait (at most ~200 ms each). If the connection breaks inside the
 * transaction, the rest of it fails with AXR_EUNAVAILABLE (nothing is sent
 * on a fresh connection outside the transaction).
 *
 * Returns 0 when committed; fn's error; AXR_EAGAIN when retries ran out;
 * any axr_db_exec error of BEGIN/COMMIT; AXR_EINVAL when called inside a
 * transaction already. If fn returns 0 although one of its statements failed
 * (the transaction is aborted), the code of that failure is returned.
 */
int axr_db_tx_run(axr_db_t *db, axr_db_isolation_t isolation, axr_db_tx_fn fn, void *ctx,
                  int max_retries);

/* Details of the last failure of a handle, for logs and field mapping. */
typedef struct axr_db_error {
	int code;            /* the axr code returned (0: no error yet) */
	char sqlstate[6];    /* "" when the failure did not come from the server */
	char constraint[64]; /* violated constraint (class 23), else "" */
	char table[64];      /* table of the error when the server names it, else "" */
	char column[64];     /* column of the error when the server names it, else "" */
	char message[256];   /* server or libpq message: logs only, never for clients */
} axr_db_error_t;

/* The handle's last error; valid until the next call on the handle. Never NULL. */
const axr_db_error_t *axr_db_last_error(const axr_db_t *db);

/*
 * SQLSTATE -> axr code (NULL or malformed -> AXR_EINTERNAL):
 *   23505 unique_violation                      -> AXR_EEXISTS  (constraint name in last error)
 *   23502 not_null_violation                    -> AXR_EINVAL   (a required value is missing)
 *   23503 foreign_key, 23514 check, 23P01 exclusion, other 23xxx
 *                                               -> AXR_ECONFLICT (the row's state or the rows
 *                                                  it refers to forbid it: 409, e.g. overdraft)
 *   22xxx data exceptions (bad format, range, too long) -> AXR_EINVAL
 *   40001 serialization, 40P01 deadlock          -> AXR_EAGAIN   (retryable; tx_run retries)
 *   57014 query_canceled (statement_timeout), 55P03 lock_not_available, 25P03 idle-tx timeout
 *                                               -> AXR_ETIMEOUT
 *   08xxx connection, 57P01..57P03 shutdown/cannot connect now, 40003 completion unknown
 *                                               -> AXR_EUNAVAILABLE
 *   53xxx insufficient resources                 -> AXR_EBUSY
 *   54xxx program limit exceeded                 -> AXR_ETOOBIG
 *   anything else (42xxx syntax/undefined, XX000 ...) -> AXR_EINTERNAL
 */
int axr_db_sqlstate_err(const char *sqlstate);

/* ---- results ---------------------------------------------------------- */

/* Frees a result (and every bytea it decoded). NULL is a no-op. */
void axr_db_result_free(axr_db_result_t *r);

/* Number of rows and columns (0 for commands that return none). */
int axr_db_result_rows(const axr_db_result_t *r);
int axr_db_result_cols(const axr_db_result_t *r);

/* Rows affected by INSERT/UPDATE/DELETE/MERGE/SELECT/MOVE/FETCH/COPY; 0 otherwise. */
long axr_db_result_affected(const axr_db_result_t *r);

/* Index of the column named `name`, or -1. */
int axr_db_result_column(const axr_db_result_t *r, const char *name);

/* true when (row, col) is SQL NULL or out of range. */
bool axr_db_result_is_null(const axr_db_result_t *r, int row, int col);

/* The text of (row, col): NULL when SQL NULL or out of range. Owned by the
 * result. `len` (may be NULL) receives its length in bytes. */
const char *axr_db_result_text(const axr_db_result_t *r, int row, int col, size_t *len);

/* Typed getters: 0 and *out set; AXR_ENOTFOUND when the value is SQL NULL;
 * AXR_EINVAL when (row, col) is out of range; AXR_EPARSE when the text is not
 * of that type; AXR_ERANGE when it does not fit. */
int axr_db_result_int64(const axr_db_result_t *r, int row, int col, int64_t *out);
int axr_db_result_double(const axr_db_result_t *r, int row, int col, double *out);
int axr_db_result_bool(const axr_db_result_t *r, int row, int col, bool *out);

/* Decodes a bytea value (text hex format) into *data / *len. The bytes are
 * owned by the result and live until axr_db_result_free. Errors as the typed
 * getters, plus AXR_ENOMEM. */
int axr_db_result_bytea(axr_db_result_t *r, int row, int col, const uint8_t **data, size_t *len);

/* ---- process-wide health ---------------------------------------------- */

/* Snapshot of the process-wide counters (for /metrics). */
typedef struct axr_db_health {
	uint64_t handles;            /* gauge: axr_db_t handles that exist */
	uint64_t up;                 /* gauge: handles with a live connection */
	uint64_t down;               /* gauge: handles whose connection failed or broke and is not back */
	uint64_t connects;           /* counter: successful connections */
	uint64_t connect_failures;   /* counter: failed connection attempts */
	uint64_t reconnect_attempts; /* counter: attempts after a failure or a broken connection */
	uint64_t disconnects;        /* counter: live connections found broken */
	uint64_t fast_failures;      /* counter: calls refused at once while waiting out a backoff */
	int64_t last_ok_unix_ms;     /* wall clock of the last successful connection/ping, 0 = never */
	int64_t last_error_unix_ms;  /* wall clock of the last connection failure, 0 = never */
} axr_db_health_t;

void axr_db_health(axr_db_health_t *out);

/*
 * Readiness: true when the most recent connection outcome in the process
 * (a handle connecting, failing to, or finding its connection broken, or a
 * monitor ping) was a success. false before any success. Lock-free; cheap
 * enough for every /readyz. Statement errors do not count.
 */
bool axr_db_global_ready(void);

/*
 * Opens and closes one connection to `url` within `timeout_ms`. Returns 0
 * when the server accepted it, AXR_ETIMEOUT when the time ran out,
 * AXR_EUNAVAILABLE when it refused or failed, AXR_ECONFIG for a bad URL.
 * Does not touch the health view (see the monitor).
 */
int axr_db_ping(const char *url, long timeout_ms);

/*
 * Starts one background thread that pings `url` every `interval_ms` and
 * records the outcome in the health view, so readiness follows the database
 * even with no traffic, and a recovery ends every worker's backoff. Returns
 * 0, AXR_EINVAL (bad arguments or already running), AXR_ENOMEM. `url` is copied.
 */
int axr_db_monitor_start(const char *url, long interval_ms);

/* Stops the monitor thread and waits for it (at most one ping). No-op when
 * not running. */
void axr_db_monitor_stop(void);

/*
 * Registers Prometheus series computed from the health view when scraped
 * (metrics.h): axr_db_ready, axr_db_connections{state=configured|up|down},
 * axr_db_connects, axr_db_connect_failures, axr_db_reconnect_attempts,
 * axr_db_disconnects, axr_db_fast_failures (monotonic), and
 * axr_db_last_error_timestamp_seconds. Call once at start-up. Returns 0 or
 * AXR_ENOMEM. (Defined in dep_metrics.c.)
 */
int axr_db_metrics_register(void);

#endif
