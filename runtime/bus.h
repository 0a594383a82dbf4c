/* bus.h: change events on the redis bus: publish after a commit, decode, subscribe by service/type/action. */
#ifndef AXR_BUS_H
#define AXR_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "arena.h"
#include "buf.h"
#include "entity.h"
#include "pool.h"
#include "redis.h"
#include "request.h"

struct event_base;

/*
 * Every create/update/delete of an entity is published once, after its
 * commit, as a protobuf `axr.Event` envelope (runtime/proto/axr_event.proto)
 * on these redis pub/sub channels (docs/push.md):
 *
 *   axr:obj:<uid>      the object's own channel (WATCH, per-object listeners)
 *   axr:user:<uid>     once per audience uid (the users allowed to see it)
 *   axr:public         when the event is public
 *   axr:events:<svc>   the publishing service's channel (service subscribers)
 *
 * Every name starts with "axr:" and a kind word that is a fixed prefix of
 * the rest, so no id can make one kind's channel equal another's.
 *
 * Ids (object and user uids) are 1..AXR_BUS_ID_MAX printable ASCII bytes
 * (0x21..0x7e: no space, no control character); service names are
 * [a-z0-9_-], types [A-Za-z0-9_.], actions [a-z_], each 1..64 bytes.
 */

#define AXR_BUS_ID_MAX 128
#define AXR_BUS_NAME_MAX 64
#define AXR_BUS_CHANNEL_MAX (12 + AXR_BUS_ID_MAX) /* longest channel name, without NUL */

typedef enum axr_bus_channel_kind {
	AXR_BUS_CHANNEL_OBJECT,  /* axr:obj:<uid> */
	AXR_BUS_CHANNEL_USER,    /* axr:user:<uid> */
	AXR_BUS_CHANNEL_PUBLIC,  /* axr:public (id unused) */
	AXR_BUS_CHANNEL_SERVICE, /* axr:events:<service> */
} axr_bus_channel_kind_t;

/* true when the `len` bytes of `id` are a valid object or user uid. */
bool axr_bus_id_valid(const char *id, size_t len);

/* Writes the NUL-terminated name of channel `kind` for `id` (ignored for
 * AXR_BUS_CHANNEL_PUBLIC) into `out` and its length into *len (may be NULL).
 * Returns 0, or AXR_EINVAL for an invalid id or service name (out is then
 * ""). */
int axr_bus_channel(axr_bus_channel_kind_t kind, const char *id, char out[AXR_BUS_CHANNEL_MAX + 1],
                    size_t *len);

/* Reads a channel name: sets *kind and points *id / *id_len into `channel`
 * (empty for the public channel). Returns 0, or AXR_EINVAL when `channel` is
 * not a bus channel with a valid id. */
int axr_bus_channel_parse(const char *channel, size_t len, axr_bus_channel_kind_t *kind, const char **id,
                          size_t *id_len);

/* ---- publishing ------------------------------------------------------------ */

/* One change, as a handler or generated CRUD describes it. Nothing is kept
 * after the call. */
typedef struct axr_bus_event {
	const char *type;     /* required: model name, e.g. "UserAchievement" */
	const char *action;   /* required: "create", "update", "delete" (or another [a-z_] verb) */
	const char *uid;      /* required: the object's uid */
	bool has_version;
	int64_t version;      /* the object's version after the change */
	const ProtobufCMessage *data; /* the model, packed into Event.data; NULL: none (delete) */
	const char *data_json;        /* the model in the REST JSON mapping; NULL: none */
	const char *const *audience;  /* user uids allowed to see it (x-axr-owner, x-axr-channels) */
	size_t naudience;
	bool is_public;       /* anyone signed in may see it */
	const char *service;  /* NULL: the process's name (axr_bus_set_service) */
} axr_bus_event_t;

/* Sets the service name stamped on published events and used as their
 * service channel ([a-z0-9_-], 1..64 bytes; the string must outlive every
 * publish). Without it the name is the program's, minus an "axr-" prefix
 * ("axr-economy" publishes as "economy"). Call at start-up, before threads
 * publish. Returns 0 or AXR_EINVAL. */
int axr_bus_set_service(const char *name);

/* The name events are published under (see axr_bus_set_service). */
const char *axr_bus_service(void);

/*
 * Publishes `ev` with the worker's redis publisher (w->redis): encodes the
 * envelope (service, RFC 3339 UTC `time` with milliseconds, `data` packed
 * from ev->data) and PUBLISHes it on the object's channel, on the user
 * channel of each distinct audience uid, on axr:public when public, and on
 * the service channel. Call it after the commit, from a worker; it blocks at
 * most as long as the publisher's bounds (redis.h), and not at all while
 * the publisher waits out a reconnect backoff.
 *
 * It never fails a request: the caller may ignore the result. Each event
 * counts once in /metrics: axr_bus_published_total when every PUBLISH was
 * accepted, else axr_bus_publish_failures_total, and a failure is logged
 * (warn; error for an invalid event). Returns 0; AXR_EUNAVAILABLE when no
 * redis is configured (w or w->redis NULL) or a PUBLISH failed (the other
 * channels are still tried); AXR_EINVAL for a malformed event (missing or
 * invalid type, action, uid, audience uid or service, data_json not UTF-8),
 * nothing published then; AXR_ENOMEM.
 */
int axr_bus_publish(axr_worker_t *w, const axr_bus_event_t *ev);

/* The same with an explicit publisher, for threads that are not workers
 * (one publisher per thread: axr_redis_t is not thread-safe). */
int axr_bus_publish_with(axr_redis_t *r, const axr_bus_event_t *ev);

/* Encodes the envelope of `ev` stamped with `time` into `out` (appended),
 * without publishing. For tools and tests. Errors as axr_bus_publish(). */
int axr_bus_event_encode(const axr_bus_event_t *ev, const char *time, axr_buf_t *out);

/* ---- entity changes (bus_entity.c) ------------------------------------------ */

/*
 * Publishes the change of one entity row with axr_bus_publish(): type
 * e->name; uid and version read from the row's base columns; data the row
 * and data_json its REST JSON (e->schema, writeOnly dropped), except for
 * action "delete", which carries neither (clients get {"uid","version"});
 * audience the values of e->channel_columns (x-axr-owner first, then
 * x-axr-channels; absent values skipped). Scratch memory comes from `arena`.
 * Returns as axr_bus_publish(); AXR_EINVAL when the row has no valid uid.
 * Handlers call it after their own commit.
 */
int axr_bus_publish_entity(axr_worker_t *w, axr_arena_t *arena, const axr_entity_t *e, const char *action,
                           const ProtobufCMessage *row);

/*
 * An axr_crud_change_fn (crud.h) that publishes generated CRUD's creates,
 * updates and deletes with axr_bus_publish_entity() (a truncate publishes
 * nothing: its rows are not known). A service installs it once at start-up,
 * before workers run: axr_crud_on_change = axr_bus_crud_changed. CRUD calls
 * a handler makes inside axr_db_tx_run() would publish before the commit
 * (and again on a retry): such handlers set the hook aside and publish
 * after their commit themselves.
 */
void axr_bus_crud_changed(axr_request_t *req, const axr_entity_t *e, int action, const ProtobufCMessage *row);

/* ---- receiving -------------------------------------------------------------- */

/* A decoded envelope. Strings are NUL-terminated and valid UTF-8; they and
 * the arrays belong to the message and live until axr_bus_message_clear(). */
typedef struct axr_bus_message {
	const char *type;     /* valid type, never NULL */
	const char *action;   /* valid action, never NULL */
	const char *uid;      /* valid id, never NULL */
	const char *service;  /* "" when absent */
	const char *time;     /* "" when absent */
	bool has_version;
	int64_t version;
	const uint8_t *data;  /* the packed model; NULL when absent */
	size_t data_len;
	const char *data_json; /* NULL when absent */
	const char *const *audience; /* valid ids */
	size_t naudience;
	bool is_public;
	void *internal_;      /* the unpacked protobuf message */
} axr_bus_message_t;

/*
 * Decodes `len` bytes of an Event envelope into *out. Returns 0 (release
 * with axr_bus_message_clear()), AXR_EPARSE when the bytes are not an
 * envelope or break the rules above (missing or invalid type, action or uid,
 * an invalid audience uid, a string that is not UTF-8), or AXR_ENOMEM; *out
 * then needs no clearing.
 */
int axr_bus_message_decode(const void *data, size_t len, axr_bus_message_t *out);

/* Frees what axr_bus_message_decode() allocated; a zeroed message is fine. */
void axr_bus_message_clear(axr_bus_message_t *m);

/* true when `uid` is in the message's audience. */
bool axr_bus_message_audience_has(const axr_bus_message_t *m, const char *uid, size_t len);

/*
 * Appends the JSON a client sees for the event to `out`:
 *   {"type":"<type>","action":"<action>","data":<data_json>}
 * where data is data_json when present (checked to be one strict JSON value),
 * else {"uid":"<uid>"} plus "version" when it has one. Returns 0,
 * AXR_EPARSE when data_json is not JSON (nothing appended), or AXR_ENOMEM.
 */
int axr_bus_message_to_json(const axr_bus_message_t *m, axr_buf_t *out);

/* ---- service subscriptions (bus_sub.c) -------------------------------------- */

typedef struct axr_bus_subscription axr_bus_subscription_t;

/* Called on the subscription's event loop thread for each matching event;
 * `msg` is valid only during the call. The handler may unsubscribe any
 * subscription, its own included. */
typedef void (*axr_bus_handler_fn)(const axr_bus_message_t *msg, void *ctx);

/*
 * Calls `fn(msg, ctx)` for every event service `service` publishes whose
 * type is `type` and action is `action` (NULL or "*" for any). Subscriptions
 * on the same `base` and `url` share one redis subscriber (runtime/redis.h),
 * which reconnects and subscribes again by itself after redis comes back;
 * events published meanwhile are lost (pub/sub is fire-and-forget).
 * Envelopes that do not decode are dropped (logged at debug).
 *
 * Call it, axr_bus_unsubscribe() and axr_bus_subscription_connected() on the
 * thread that runs `base`. Returns 0 and *out, AXR_EINVAL (NULL arguments,
 * invalid service, type or action, bad URL) or AXR_ENOMEM; on error the
 * handler is never called.
 */
int axr_bus_subscribe(struct event_base *base, const char *url, const char *service, const char *type,
                      const char *action, axr_bus_handler_fn fn, void *ctx, axr_bus_subscription_t **out);

/* Stops the subscription: its handler is not called again (also when called
 * from inside a handler). The shared subscriber goes with the last
 * subscription of its base. NULL is a no-op. */
void axr_bus_unsubscribe(axr_bus_subscription_t *s);

/* true when the subscription's redis subscriber is connected with its
 * channels in place (events published from now on are delivered). */
bool axr_bus_subscription_connected(const axr_bus_subscription_t *s);

/* ---- internal, shared by bus.c and bus_sub.c (not for use outside the runtime) ---- */

enum { AXR__BUS_NAME_SERVICE, AXR__BUS_NAME_TYPE, AXR__BUS_NAME_ACTION };

/* true when `s` is 1..AXR_BUS_NAME_MAX characters of the class `what` allows. */
bool axr__bus_name_valid(const char *s, int what);

#endif
