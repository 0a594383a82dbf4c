/* messages.h: stored tickets and matches as the API's generated messages, and their change events on the bus. */
#ifndef AXR_MATCHMAKING_MESSAGES_H
#define AXR_MATCHMAKING_MESSAGES_H

#include "arena.h"
#include "redis.h"
#include "store.h"

#include "matchmaking.pb-c.h"

/*
 * The HTTP adapters (tickets_api.c, matches_api.c) and the matcher's event
 * publisher (events.c) show a ticket or a match the same way: the row the
 * store read, copied into the generated message (spec/matchmaking.yaml), so
 * an event's data is exactly what GET /tickets/{id} or GET /matches/{id}
 * answers.
 */

/* Copies ticket `row` into a new Matchmaking__Ticket in `arena` (teamSize as
 * its JSON text, status as the spec's enum). Returns 0 and *out, AXR_ENOMEM. */
int matchmaking_ticket_message(axr_arena_t *arena, const matchmaking_ticket_row_t *row, Matchmaking__Ticket **out);

/* Copies match `row` into a new Matchmaking__Match in `arena`. Returns 0 and
 * *out, AXR_ENOMEM. */
int matchmaking_match_message(axr_arena_t *arena, const matchmaking_match_row_t *row, Matchmaking__Match **out);

/*
 * Publishes a change of ticket `t` (action "create" or "update") with
 * publisher `r`: type "Ticket", the ticket's uid and version, data the
 * message and data_json its REST JSON, audience its users (x-axr-channels).
 * Best effort, as axr_bus_publish_with() (bus.h): returns its code
 * (AXR_EUNAVAILABLE with no publisher, the failure is logged and counted).
 * Scratch memory comes from `arena`.
 */
int matchmaking_publish_ticket(axr_redis_t *r, axr_arena_t *arena, const Matchmaking__Ticket *t, const char *action);

/* The same for a new match `m`: type "Match", action "create", audience its
 * players. */
int matchmaking_publish_match(axr_redis_t *r, axr_arena_t *arena, const Matchmaking__Match *m);

#endif
