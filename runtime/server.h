/* server.h: the HTTP/1.1 server: I/O threads, routing, worker dispatch. */
#ifndef AXR_SERVER_H
#define AXR_SERVER_H

#include <stddef.h>

struct event_base;

#include "config.h"
#include "pool.h"
#include "request.h"
#include "router.h"

/*
 * One event loop per I/O thread, each with its own SO_REUSEPORT listener.
 * I/O threads parse, route and answer inline routes; other routes run on the
 * worker pool and their responses return to the connection's I/O thread.
 * The server never blocks an I/O thread and answers every error itself in the
 * platform's JSON error format.
 */
typedef struct axr_server axr_server_t;

typedef struct axr_server_options {
	const axr_config_t *config;
	const char *service_name;
	const char *service_version;
	/* Extra readiness check for /readyz (database, redis...): 1 when ready.
	 * May be NULL. Called on an I/O thread: must not block. */
	int (*ready)(void *ctx, const char **why);
	/* Called once per request before its handler (auth, decoding...). A
	 * non-zero return answers with that error instead of running the
	 * handler. May be NULL. Runs on the I/O thread: must not block. */
	int (*before)(axr_request_t *req, void *ctx);
	axr_pool_hooks_t worker; /* init/fini per worker thread; run is ignored */
	/* Called on each I/O thread with its event loop, before it serves and
	 * after it stopped (per-thread subscribers, timers). May be NULL. */
	void (*io_init)(struct event_base *base, int index, void *ctx);
	void (*io_fini)(struct event_base *base, int index, void *ctx);
	void *ctx;
} axr_server_options_t;

/* Creates a server (nothing bound yet). NULL on bad options or no memory.
 * The options and config must outlive the server. */
axr_server_t *axr_server_new(const axr_server_options_t *opts);

/* Adds a route (kept by pointer). Call before axr_server_start(). Errors as
 * axr_router_add(). The server adds /status, /healthz, /readyz, /metrics
 * itself. */
int axr_server_add_route(axr_server_t *s, const axr_route_t *route);

/* Binds the port and starts I/O threads and workers. 0, AXR_EIO (bind
 * failed, errno kept), AXR_ENOMEM. */
int axr_server_start(axr_server_t *s);

/* The bound port (useful with AXR_PORT=0 in tests). */
int axr_server_port(const axr_server_t *s);

/* Blocks until SIGTERM/SIGINT or axr_server_stop(), then drains: readiness
 * fails, listeners close, in-flight requests finish (bounded by the drain
 * timeout), connections close. Returns 0 after a clean drain, AXR_ETIMEOUT
 * when requests were still running at the deadline. */
int axr_server_run(axr_server_t *s);

/* Asks a running server to drain and stop. Thread- and signal-safe. */
void axr_server_stop(axr_server_t *s);

/* 1 once draining started. */
int axr_server_draining(const axr_server_t *s);

/* Stops what still runs and frees everything. */
void axr_server_free(axr_server_t *s);

/* ---- connection upgrade (websockets) ----------------------------------- */

/*
 * A route with AXR_ROUTE_UPGRADE|AXR_ROUTE_INLINE may take its connection
 * over: its handler sets the 101 response (status and headers) and calls
 * axr_request_upgrade(). Once the 101 is written the connection belongs to
 * `ops` on this I/O thread: bytes from the peer go to on_data, and the
 * handler's code writes with axr_upconn_write(). Everything here runs on the
 * connection's I/O thread and must not block.
 */
typedef struct axr__conn axr_upconn_t;

typedef struct axr_upgrade_ops {
	/* Called once the 101 has been written; `c` is the connection. */
	void (*on_open)(axr_upconn_t *c, void *ctx);
	/* Bytes from the peer (also those that arrived with the request). */
	void (*on_data)(axr_upconn_t *c, void *ctx, const uint8_t *data, size_t len);
	/* The connection is gone (peer closed, error, or after axr_upconn_close
	 * once flushed), or the upgrade never happened (the answer was not a 101,
	 * the server was draining, the write failed: on_open was not called).
	 * Called exactly once per axr_request_upgrade(); `ctx` is never used by
	 * the runtime afterwards. */
	void (*on_close)(axr_upconn_t *c, void *ctx);
	/* The server started draining (SIGTERM): say goodbye (a websocket close
	 * 1001) and call axr_upconn_close() soon; the drain timeout bounds it.
	 * NULL: the runtime calls axr_upconn_close() at once. */
	void (*on_drain)(axr_upconn_t *c, void *ctx);
} axr_upgrade_ops_t;

/* Marks the request's connection for upgrade after its 101 response. Returns
 * 0, or AXR_EINVAL when the route is not an inline upgrade route. */
int axr_request_upgrade(axr_request_t *req, const axr_upgrade_ops_t *ops, void *ctx);

/* Queues bytes for the peer (copied) and writes what the socket takes now.
 * Returns 0, AXR_ECLOSED when the connection is closing. */
int axr_upconn_write(axr_upconn_t *c, const void *data, size_t len);

/* Bytes queued and not yet written (bounded send queues use it). */
size_t axr_upconn_pending(const axr_upconn_t *c);

/* Closes after the queued bytes are written (bounded by the write timeout);
 * on_close follows. */
void axr_upconn_close(axr_upconn_t *c);

/* The connection's event loop, for the caller's own timers. */
struct event_base *axr_upconn_base(const axr_upconn_t *c);

#endif
