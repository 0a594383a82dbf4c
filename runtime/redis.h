/* redis.h: redis client layer (hiredis 0.14): per-worker PUBLISH and an async, self-healing SUBSCRIBE. */
#ifndef AXR_REDIS_H
#define AXR_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

/*
 * URLs are redis://[[user]:password@]host[:port][/db] (port 6379 by
 * default; the db number is accepted and ignored: pub/sub spans databases).
 *
 * hiredis writes with write(2), so a peer that went away would raise
 * SIGPIPE: creating a publisher or subscriber sets SIGPIPE to SIG_IGN when it
 * is still at its default (every network server wants that anyway).
 *
 * Both sides reconnect by themselves with exponential backoff and jitter
 * (backoff_min_ms doubling up to backoff_max_ms) and never exit the process.
 */

typedef struct axr_redis_options {
	long connect_timeout_ms; /* default 500 */
	long command_timeout_ms; /* publisher: bound on one PUBLISH round trip (default 500) */
	long backoff_min_ms;     /* default 100 */
	long backoff_max_ms;     /* default 2000 */
	long keepalive_ms;       /* subscriber: PING-like probe period; the link is declared
	                          * dead when a probe is unanswered for this long (default 2000) */
} axr_redis_options_t;

/* Fills `o` with the defaults above. */
void axr_redis_options_init(axr_redis_options_t *o);

/* ---- publisher: one per worker thread, synchronous ------------------------ */

typedef struct axr_redis axr_redis_t;

/*
 * Creates a publisher for `url` without connecting (it connects on first
 * use). `opt` may be NULL for the defaults. Returns 0 and *out; on error
 * *out is NULL and the code is AXR_ECONFIG (bad URL), AXR_EINVAL (NULL
 * arguments, bad options) or AXR_ENOMEM. Not thread-safe: one per thread.
 * Free with axr_redis_free().
 */
int axr_redis_new(const char *url, const axr_redis_options_t *opt, axr_redis_t **out);

/* Closes the connection and frees the publisher. NULL is a no-op. */
void axr_redis_free(axr_redis_t *r);

/*
 * PUBLISHes `len` bytes of `data` (binary-safe) on the NUL-terminated
 * `channel`. Returns 0 when redis accepted it (whether anyone listened or
 * not: pub/sub is fire-and-forget), AXR_EUNAVAILABLE when it could not be
 * sent (no connection, connection broke, command_timeout_ms passed, or an
 * error reply), AXR_EINVAL for bad arguments. While the publisher waits out
 * its reconnect backoff it fails at once without touching the network; the
 * longest a call can block is connect_timeout_ms + command_timeout_ms. A
 * broken connection is reopened by the next call; after a PUBLISH that got
 * no reply within command_timeout_ms (redis stopped or frozen) the publisher
 * backs off (backoff_min_ms doubling up to backoff_max_ms, reset by the next
 * PUBLISH that succeeds), so a silent redis costs a worker at most one
 * command_timeout_ms per backoff period, not one per publish.
 * Every outcome is counted in the health view.
 */
int axr_redis_publish(axr_redis_t *r, const char *channel, const void *data, size_t len);

/*
 * axr_redis_publish() of the same message on n channels in one round trip
 * (the commands written together, then the n replies read). Returns 0 when
 * every PUBLISH succeeded; AXR_EUNAVAILABLE when any did not (the rest were
 * still sent; a lost connection fails every reply not yet read); AXR_EINVAL
 * for bad arguments (a NULL or empty channel). Outcomes are counted per
 * channel; backoff and blocking bounds as axr_redis_publish().
 */
int axr_redis_publish_many(axr_redis_t *r, const char *const *channels, size_t n, const void *data, size_t len);

/* true when the publisher has a live connection (as far as it knows). */
bool axr_redis_is_up(const axr_redis_t *r);

/* Milliseconds until the publisher tries to reconnect; 0 when up or ready to try. */
long axr_redis_retry_after_ms(const axr_redis_t *r);

/* The last failure, for logs (never for clients); "" when none. Valid until
 * the next call on `r`. */
const char *axr_redis_last_error(const axr_redis_t *r);

/*
 * Connects to `url`, sends PING and waits for PONG, all within `timeout_ms`.
 * Returns 0, AXR_EUNAVAILABLE, AXR_ECONFIG (bad URL) or AXR_EINVAL. Blocks:
 * not for an event loop thread. Does not touch the health view.
 */
int axr_redis_ping(const char *url, long timeout_ms);

/* ---- subscriber: on a caller's libevent event_base ------------------------- */

typedef struct axr_redis_sub axr_redis_sub_t;

/* One delivered message. Everything points into hiredis's reply and is
 * valid only during the callback. */
typedef struct axr_redis_message {
	const char *channel;
	size_t channel_len;
	const char *pattern; /* the matching PSUBSCRIBE pattern, or NULL */
	size_t pattern_len;
	const void *data;
	size_t len;
} axr_redis_message_t;

typedef void (*axr_redis_message_fn)(const axr_redis_message_t *msg, void *ctx);

/* Called when the subscriber gets connected (all subscriptions in place) or
 * loses its connection. */
typedef void (*axr_redis_state_fn)(bool connected, void *ctx);

/*
 * Creates a subscriber on `base` and starts connecting at once (in the
 * background: this call does not block). `on_message(msg, ctx)` is called on
 * `base`'s thread for every message of every channel and pattern subscribed.
 * `opt` may be NULL. Returns NULL when out of memory or on bad arguments
 * (bad URL included). Free with axr_redis_sub_free().
 *
 * All axr_redis_sub_* calls must be made on the thread running `base`.
 *
 * When redis goes away (closed connection, or a keepalive probe unanswered
 * for keepalive_ms), the subscriber reconnects with backoff on its own and
 * subscribes again to every channel and pattern it had; messages published
 * while it was disconnected are lost (pub/sub is fire-and-forget). A
 * connection attempt that does not complete within connect_timeout_ms is
 * abandoned and retried (hiredis 0.14 has no async connect timeout).
 */
axr_redis_sub_t *axr_redis_sub_new(struct event_base *base, const char *url,
                                   const axr_redis_options_t *opt, axr_redis_message_fn on_message,
                                   void *ctx);

/* Sets (or clears with NULL) the connection-state callback. */
void axr_redis_sub_on_state(axr_redis_sub_t *sub, axr_redis_state_fn fn);

/* Called with the subscriber's ctx when redis confirms a channel: the reply
 * to its SUBSCRIBE arrived, so every message published on it from now on
 * reaches on_message (until the connection is lost). */
typedef void (*axr_redis_subscribed_fn)(const char *channel, size_t len, void *ctx);

/*
 * Sets (or clears with NULL) the confirmation callback, called on `base`'s
 * thread for each channel of the set, once per connection: after
 * axr_redis_sub_subscribe() while connected, and for every channel again
 * after each (re)connect (before the state callback says connected). Not
 * for patterns, not for a channel unsubscribed meanwhile (a channel
 * subscribed again while its UNSUBSCRIBE is in flight is confirmed by the
 * later SUBSCRIBE only). `channel` is valid during the call; the callback
 * may subscribe, unsubscribe and free the subscriber.
 */
void axr_redis_sub_on_subscribed(axr_redis_sub_t *sub, axr_redis_subscribed_fn fn);

/*
 * Frees the subscriber: closes the connection, cancels its timers. Safe
 * from inside on_message (the teardown then happens right after the
 * callback returns, and no further message is delivered). NULL is a no-op.
 */
void axr_redis_sub_free(axr_redis_sub_t *sub);

/*
 * Adds the channel (`len` bytes, binary-safe) or pattern to the set the
 * subscriber keeps; sent at once when connected, else on (re)connect (a
 * channel whose UNSUBSCRIBE is still in flight: once that is answered).
 * Subscribing twice is a no-op (no reference counting). Returns 0,
 * AXR_EINVAL (empty name) or AXR_ENOMEM.
 */
int axr_redis_sub_subscribe(axr_redis_sub_t *sub, const char *channel, size_t len);
int axr_redis_sub_psubscribe(axr_redis_sub_t *sub, const char *pattern, size_t len);

/* Removes it from the set (UNSUBSCRIBE sent when connected). Returns 0 or
 * AXR_ENOTFOUND when it was not subscribed. */
int axr_redis_sub_unsubscribe(axr_redis_sub_t *sub, const char *channel, size_t len);
int axr_redis_sub_punsubscribe(axr_redis_sub_t *sub, const char *pattern, size_t len);

/* true when connected: the keepalive probe sent after the re-subscriptions
 * of this connection was answered, so those subscriptions are in place. */
bool axr_redis_sub_connected(const axr_redis_sub_t *sub);

/* ---- process-wide health -------------------------------------------------- */

typedef struct axr_redis_health {
	uint64_t published;              /* counter: PUBLISH accepted */
	uint64_t publish_failures;       /* counter: PUBLISH failed (any reason) */
	uint64_t publish_fast_failures;  /* counter: of those, refused at once during backoff */
	uint64_t publisher_connects;     /* counter */
	uint64_t publisher_connect_failures; /* counter */
	uint64_t publishers_up;          /* gauge: publishers with a live connection */
	uint64_t subscribers;            /* gauge: subscribers that exist */
	uint64_t subscribers_connected;  /* gauge: of those, connected */
	uint64_t subscriber_connects;    /* counter: subscriber connections established */
	uint64_t subscriber_disconnects; /* counter: established ones lost */
	uint64_t messages_received;      /* counter: messages delivered to on_message */
	int64_t last_error_unix_ms;      /* wall clock of the last failure of any kind, 0 = never */
} axr_redis_health_t;

void axr_redis_health(axr_redis_health_t *out);

/*
 * Readiness: true when the most recent connection outcome in the process
 * (a publisher connecting or failing to or failing a PUBLISH, a subscriber
 * connecting or losing its connection) was a success, and every subscriber
 * is connected. false before any success.
 */
bool axr_redis_global_ready(void);

/*
 * Registers Prometheus series computed from the health view when scraped:
 * axr_redis_ready, axr_redis_published, axr_redis_publish_failures,
 * axr_redis_publishers_up, axr_redis_subscribers{state=configured|connected},
 * axr_redis_subscriber_disconnects, axr_redis_messages_received and
 * axr_redis_last_error_timestamp_seconds. Call once at start-up. Returns 0
 * or AXR_ENOMEM. (Defined in dep_metrics.c.)
 */
int axr_redis_metrics_register(void);

#endif
