/* ticket_request.h: what a POST /tickets body means, in plain C: teamSize, and who may queue whom. */
#ifndef AXR_MATCHMAKING_TICKET_REQUEST_H
#define AXR_MATCHMAKING_TICKET_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The generated input carries teamSize as the JSON text of its value (a
 * oneOf is free-form in the model mapping) and users as uid strings. These
 * helpers turn them into what matchmaking_ticket_new_t (store.h) takes, so
 * the handler adapter only copies fields.
 */

/*
 * Reads teamSize: an integer n (1..64) gives [n, n] and *exact = true; an
 * object with gte/gt and lte/lt (AcceleratXR's comparison operators, at
 * least one, integers) gives [gte or gt+1 (default 1), lte or lt-1
 * (default 64)]. Returns 0, or AXR_EINVAL (not one of those, an unknown or
 * repeated key, a bound out of 1..64, an empty range, gte together with gt,
 * lte together with lt); the outputs are untouched then.
 */
int matchmaking_team_size_parse(const char *json, int *min, int *max, bool *exact);

/*
 * Writes teamSize as the API shows it ("5" or {"gte":3,"lte":5}) into `out`
 * (at least 32 bytes). Returns 0, or AXR_ETOOBIG when `cap` is too small.
 */
int matchmaking_team_size_json(int min, int max, bool exact, char *out, size_t cap);

/*
 * Who a ticket may be for: a caller with a trusted role may queue any users;
 * anyone else only themselves (every listed user must be the caller, in any
 * case of the uuid). `n` 0 means "just the caller". Returns 0, or
 * AXR_FORBIDDEN (403) when a listed user is someone else, AXR_UNAUTHORIZED
 * when there is no caller.
 */
int matchmaking_ticket_party_allowed(const char *caller, bool trusted, const char *const *users, size_t n);

#endif
