/* events.h: event-driven progress (a definition's trigger names a bus event) and the change events of user records. */
#ifndef AXR_ACHIEVEMENT_EVENTS_H
#define AXR_ACHIEVEMENT_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "achievement.h"
#include "bus.h"
#include "progress.h"

/*
 * A definition may carry `trigger: {service, type, action}` (jsonb column
 * `trigger`; action absent = any). Every bus event published by `service`
 * about model `type` with that action adds 1 progress, with the same upsert
 * and the same exactly-once unlock as POST .../progress (progress.h), for
 * each user in the event's audience (its owners).
 *
 * Every replica of the service receives every event (pub/sub), so an event
 * is applied once per user: achievement_event_seen (migrations/achievement)
 * holds (event id, user) marks, inserted in the same transaction as the
 * progress; the replica whose insert wins applies it, the others do
 * nothing. Pub/sub itself is at most once: events published while the
 * subscriber is reconnecting are lost (docs/achievement.md).
 */

typedef struct achievement_event {
	const char *service;   /* publishing service, e.g. "economy"; required */
	const char *type;      /* model name, e.g. "Transaction"; required */
	const char *action;    /* e.g. "create"; required */
	const char *owner_uid; /* the user whose progress moves; required, a UUID */
	const char *event_id;  /* unique id of the event (achievement_event_id); NULL: no dedup */
} achievement_event_t;

/*
 * Adds 1 progress for ev->owner_uid to every definition whose trigger
 * matches (service, type, action), in one transaction (retried on
 * deadlock). Returns 0 and the records this call created or changed in
 * *outs / *n (in `arena`; unlocked_now marks the unlocks: publish them);
 * *n is 0 when nothing matches, every match is already unlocked, or
 * ev->event_id was already applied for this user. AXR_EINVAL for a missing
 * field or an owner that is not a UUID; the axr_db_exec codes; AXR_ENOMEM.
 */
int achievement_on_event(axr_db_t *db, axr_arena_t *arena, const achievement_event_t *ev,
                         achievement_progress_out_t **outs, size_t *n);

/*
 * A stable id for a decoded bus event: "<service>/<type>/<action>/<uid>/v<version>"
 * (or "/t<time>" when it has no version). Returns the id in `arena`, or
 * NULL when the message has neither version nor time (it cannot be told
 * apart from a repeat: apply it without dedup) or on out of memory.
 */
const char *achievement_event_id(const axr_bus_message_t *m, axr_arena_t *arena);

/*
 * Describes the change in `out` as the bus event to publish after the
 * commit: type "UserAchievement", action achievement_progress_action(out),
 * the record's uid and version, data_json (achievement_record_json, written
 * into `json`, which the caller frees after publishing) and the user as
 * the audience (`audience` holds it; it must outlive the publish). data
 * (the protobuf form) is left NULL for the adapter to set. Returns true,
 * or false when nothing changed (publish nothing) or `json` ran out of
 * memory.
 */
bool achievement_change_event(const achievement_progress_out_t *out, axr_buf_t *json, const char *audience[1],
                              axr_bus_event_t *ev);

/* Publishes the change event of `out` (data_json only) with publisher `r`
 * (axr_bus_publish_with). Returns 0 when there was nothing to publish or
 * it went out, else the axr_bus_publish_with code (a failed publish never
 * fails a request: callers log it at most). */
int achievement_publish_with(axr_redis_t *r, const achievement_progress_out_t *out);

#endif
