/* trigger_bus.h: the bus subscriber behind triggers: one subscription per service a trigger names, events fed to achievement_on_event. */
#ifndef AXR_ACHIEVEMENT_TRIGGER_BUS_H
#define AXR_ACHIEVEMENT_TRIGGER_BUS_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"

struct event_base;

/*
 * The service runs one of these on an event loop of its own (a dedicated
 * thread, NOT an HTTP I/O thread: the handler blocks on the database).
 * It subscribes (axr_bus_subscribe) to the events of every service named
 * by some definition's trigger, reads the triggers again every refresh_ms
 * (definitions change through the generated CRUD, on any replica), and for
 * each event calls achievement_on_event for every user of its audience,
 * then publishes the change of each record it moved (the unlock event
 * among them) after the commit.
 *
 * Every function here must be called on the thread that runs `base`.
 */

typedef struct achievement_bus achievement_bus_t;

/* Publishes the change event of one record (e.g. with the protobuf `data`
 * packed by an adapter). 0 or a negative code (logged, nothing else). */
typedef int (*achievement_publish_fn)(const achievement_progress_out_t *out, void *ctx);

typedef struct achievement_bus_options {
	struct event_base *base;        /* required */
	const char *redis_url;          /* required: the bus (copied) */
	axr_db_t *db;                   /* required: a handle used only by this subscriber */
	axr_redis_t *publisher;         /* for the change events; NULL: none (unless `publish`) */
	achievement_publish_fn publish; /* NULL: achievement_publish_with(publisher, out) */
	void *publish_ctx;
	long refresh_ms;                /* re-read the triggers this often; 0: only on achievement_bus_refresh */
} achievement_bus_options_t;

typedef struct achievement_bus_stats {
	uint64_t events;   /* events received */
	uint64_t applied;  /* records created or changed by them */
	uint64_t unlocks;  /* of which unlocked */
	uint64_t failures; /* (event, user) pairs whose progress failed (logged at warn) */
	size_t services;   /* services subscribed to now */
} achievement_bus_stats_t;

/*
 * Starts the subscriber: reads the triggers and subscribes (a database
 * failure is logged and retried at the next refresh). Returns 0 and *out
 * (stop it with achievement_bus_stop), AXR_EINVAL (a required option
 * missing), AXR_ENOMEM.
 */
int achievement_bus_start(const achievement_bus_options_t *opt, achievement_bus_t **out);

/*
 * Reads the services named by triggers now and subscribes to the new ones,
 * unsubscribes from those no trigger names any more. Returns 0; the
 * axr_db_exec codes (subscriptions unchanged); AXR_ENOMEM. A service name
 * the bus refuses is logged and skipped.
 */
int achievement_bus_refresh(achievement_bus_t *b);

/* Counters so far (for tests and /metrics). */
void achievement_bus_stats(const achievement_bus_t *b, achievement_bus_stats_t *out);

/* Unsubscribes everything and frees the subscriber (not the db, publisher
 * or base). NULL is a no-op. */
void achievement_bus_stop(achievement_bus_t *b);

#endif
