/* notification.h: what the notification service's files share (websocket sessions, per-thread hubs, presence). */
#ifndef AXR_NOTIFICATION_H
#define AXR_NOTIFICATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "config.h"
#include "metrics.h"
#include "request.h"
#include "server.h"
#include "ws_handshake.h"

struct event_base;

/* ---- settings (main.c) -------------------------------------------------------- */

typedef struct notif_config {
	const char *origins;    /* AXR_WS_ORIGINS: comma-separated allow-list, "" = any */
	long ping_interval_ms;  /* AXR_WS_PING_INTERVAL */
	long login_timeout_ms;  /* AXR_WS_LOGIN_TIMEOUT */
	long close_timeout_ms;  /* AXR_WS_CLOSE_TIMEOUT: wait for the peer's close */
	long send_queue_max;    /* AXR_WS_SEND_QUEUE: bytes queued per connection */
	long max_message;       /* AXR_WS_MAX_MESSAGE: largest client message */
	long max_watch;         /* AXR_WS_MAX_WATCH: WATCHed objects per connection */
	long presence_ttl_ms;   /* AXR_PRESENCE_TTL */
} notif_config_t;

/* Process-wide state, set up by main.c before serving. */
typedef struct notif_service {
	notif_config_t cfg;
	const axr_config_t *runtime;        /* AXR_REDIS_URL and the rest */
	axr_ws_handshake_config_t handshake; /* origins split from cfg.origins */
	struct notif_presence *presence;
	axr_metric_t *m_delivered, *m_dropped, *m_slow, *m_auth_failed, *m_logins;
} notif_service_t;

extern notif_service_t notif;

/* ---- string map (map.c) -------------------------------------------------------- */

/* A chained hash map from byte-string keys (copied) to pointers. Not
 * thread-safe. */
typedef struct notif_map_entry notif_map_entry_t;
typedef struct notif_map {
	notif_map_entry_t **buckets;
	size_t nbuckets; /* power of two, or 0 */
	size_t count;
} notif_map_t;

/* The value stored under `key`, or NULL. */
void *notif_map_get(const notif_map_t *m, const char *key, size_t len);
/* Stores `value` (not NULL) under `key`, replacing any. 0 or AXR_ENOMEM. */
int notif_map_put(notif_map_t *m, const char *key, size_t len, void *value);
/* Removes `key`; returns its value or NULL. */
void *notif_map_remove(notif_map_t *m, const char *key, size_t len);
/* Calls fn(key, len, value, ctx) for every entry; fn must not change the map. */
void notif_map_each(const notif_map_t *m, void (*fn)(const char *key, size_t len, void *value, void *ctx),
                    void *ctx);
/* Frees the map (not the values). */
void notif_map_clear(notif_map_t *m);

/* ---- per-I/O-thread hub (hub.c) ------------------------------------------------- */

typedef struct notif_hub notif_hub_t;
typedef struct notif_session notif_session_t;

/* One connection's interest in one channel (its user channel or a WATCH). */
typedef struct notif_member {
	notif_session_t *session;
	struct notif_topic *topic;
	struct notif_member *prev, *next; /* in the topic's list */
	struct notif_member *watch_next;  /* in the session's WATCH list */
	struct notif_ack *acks;           /* WATCH answers waiting for the channel (session.c) */
	bool waiting;                     /* joined before the channel was confirmed subscribed;
	                                   * notif_session_confirmed() follows */
} notif_member_t;

/* Creates the hub of the I/O thread running `base` (its redis subscriber
 * when AXR_REDIS_URL is set) and makes it this thread's. */
void notif_hub_thread_init(struct event_base *base, int index);
/* Frees this thread's hub (every session is closed by then). */
void notif_hub_thread_fini(void);
/* This thread's hub (NULL on a thread without one). */
notif_hub_t *notif_hub_current(void);

/* Adds `member` (of `session`) to channel kind/id, subscribing the thread's
 * subscriber on the first member. 0, AXR_EINVAL (bad id) or AXR_ENOMEM.
 * member->waiting is false when the channel is live already (redis
 * confirmed it on this thread, or the thread has no subscriber: nothing can
 * be missed), else true until the hub calls notif_session_confirmed(). */
int notif_hub_join(notif_hub_t *hub, notif_member_t *member, notif_session_t *session,
                   axr_bus_channel_kind_t kind, const char *id);
/* Removes it; unsubscribes with the last member. No-op if not joined. */
void notif_hub_leave(notif_hub_t *hub, notif_member_t *member);
/* The id of the channel a joined member is in (not NUL-terminated). */
const char *notif_member_id(const notif_member_t *member, size_t *len);

/* ---- websocket sessions (session.c) --------------------------------------------- */

/* GET /notifications: the upgrade handler (inline route). */
int notif_upgrade(axr_request_t *req);

/* Registers the axr_ws_sessions gauge (once, at start-up). */
void notif_sessions_gauge_register(void);

/* The authenticated user of a session (NULL before login). */
const char *notif_session_user(const notif_session_t *s);

/* Sends one event frame (header + JSON text, already built) if the session
 * is open; closes it with 1013 when its send queue would exceed the bound.
 * Returns true when queued. */
bool notif_session_deliver(notif_session_t *s, const uint8_t *frame, size_t len);

/* The hub: redis confirmed the channel of `member` (which was waiting), so
 * events on it reach the session from now on. */
void notif_session_confirmed(notif_session_t *s, notif_member_t *member);

/* ---- presence (presence.c) -------------------------------------------------------- */

typedef struct notif_presence notif_presence_t;

/* Starts the presence keeper (its own thread and redis connections) for
 * `redis_url`; "" or NULL gives a keeper that only counts. 0 or AXR_ENOMEM. */
int notif_presence_start(const char *redis_url, long ttl_ms, notif_presence_t **out);
/* Writes the pending leaves (bounded by the redis timeouts) and stops. */
void notif_presence_stop(notif_presence_t *p);
/* A connection of `uid` logged in / closed. Thread-safe, never blocks on redis. */
void notif_presence_join(notif_presence_t *p, const char *uid);
void notif_presence_leave(notif_presence_t *p, const char *uid);

/* GET /presence/{userUid} (worker route). */
int notif_presence_get(axr_request_t *req);
/* Worker teardown: closes the worker's presence read connection. */
void notif_presence_worker_fini(axr_worker_t *w, void *ctx);

#endif
