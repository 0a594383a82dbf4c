/* tickets_api.c: POST /tickets, GET and DELETE /tickets/{id}: the generated handlers over the store. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "err.h"
#include "messages.h"
#include "pool.h"
#include "store.h"
#include "ticket_request.h"

#include "matchmaking_entities.h"
#include "matchmaking_handlers.h"

/* The answer every ticket route gives: the row as the API's Ticket, with its
 * ETag. */
static int ticket_answer(axr_request_t *req, const matchmaking_ticket_row_t *row, Matchmaking__Ticket **out)
{
	int rc = matchmaking_ticket_message(req->arena, row, out);
	if (rc == 0)
		rc = matchmaking_api_etag(req, row->version);
	return rc;
}

/* Publishes the change of `t` after its commit (best effort: the ticket can
 * always be polled). */
static void ticket_changed(axr_request_t *req, const Matchmaking__Ticket *t, const char *action)
{
	if (req->worker && req->worker->redis)
		matchmaking_publish_ticket(req->worker->redis, req->arena, t, action);
}

/* Checks what the store would refuse with a bare AXR_EINVAL, so the answer
 * can say which field is wrong. Returns 0 or the code of the error set. */
static int ticket_check(axr_request_t *req, const matchmaking_ticket_new_t *t)
{
	const matchmaking_config_t *cfg = matchmaking_api_config();
	for (size_t i = 0; i < t->n_criteria; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(t->criteria[i].name, t->criteria[j].name) == 0) {
				char *path = axr_arena_printf(req->arena, "/criteria/%zu/name", i);
				char *msg = axr_arena_printf(req->arena, "criterion '%s' is listed twice", t->criteria[i].name);
				return matchmaking_api_reject(req, AXR_EVALIDATION, path ? path : "/criteria",
				                              msg ? msg : "a criterion is listed twice");
			}
	for (size_t i = 0; i < t->n_users; i++) /* uuids compare without case: the store lower-cases them */
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(t->users[i], t->users[j]) == 0) {
				char *path = axr_arena_printf(req->arena, "/users/%zu", i);
				char *msg = axr_arena_printf(req->arena, "user '%s' is listed twice", t->users[i]);
				return matchmaking_api_reject(req, AXR_EVALIDATION, path ? path : "/users",
				                              msg ? msg : "a user is listed twice");
			}
	if ((int)t->n_users > t->team_max) {
		char *msg = axr_arena_printf(req->arena, "a party of %zu players does not fit a team of at most %d",
		                             t->n_users, t->team_max);
		return matchmaking_api_reject(req, AXR_EVALIDATION, "/teamSize", msg ? msg : "the party is too large");
	}
	long smallest = t->team_min > (int)t->n_users ? t->team_min : (long)t->n_users;
	if ((long)t->num_teams * smallest > cfg->max_players) {
		char *msg = axr_arena_printf(req->arena, "%d teams of %ld players exceed the largest match (%ld players)",
		                             t->num_teams, smallest, cfg->max_players);
		return matchmaking_api_reject(req, AXR_EVALIDATION, "/numTeams", msg ? msg : "the match is too large");
	}
	return 0;
}

int matchmaking_create_ticket(axr_request_t *req, const Matchmaking__CreateTicketInput *in, Matchmaking__Ticket **out)
{
	const Matchmaking__TicketRequest *body = in->body;
	axr_db_t *db = matchmaking_api_db(req);
	if (!db)
		return AXR_EUNAVAILABLE;
	if (!body || !body->statistics || !body->team_size) /* the schema requires them: never here */
		return matchmaking_api_reject(req, AXR_EVALIDATION, "", "statistics and teamSize are required");
	bool trusted = matchmaking_api_caller(req, &matchmaking_entity_Ticket) == NULL;
	const char *const *users = (const char *const *)body->users;
	size_t n_users = body->n_users;
	int rc = matchmaking_ticket_party_allowed(req->user_uid, trusted, users, n_users);
	if (rc == AXR_EFORBIDDEN)
		return matchmaking_api_reject(req, rc, "/users",
		                              "only trusted roles (admin, gameserver) may queue other users than the caller");
	if (rc != 0)
		return rc;
	if (n_users == 0) { /* just the caller */
		if (!req->user_uid)
			return matchmaking_api_reject(req, AXR_EVALIDATION, "/users", "users is required here");
		users = &req->user_uid;
		n_users = 1;
	}
	matchmaking_ticket_new_t t = {
	    .users = users,
	    .n_users = n_users,
	    .host_uid = req->user_uid,
	    .skill = body->statistics->skillrating,
	    .has_latency = body->statistics->has_latency,
	    .latency = body->statistics->latency,
	    .num_teams = body->has_num_teams ? body->num_teams : 2,
	    .max_wait_ms = matchmaking_api_config()->max_wait_ms,
	    .max_players = (int)matchmaking_api_config()->max_players,
	};
	if (matchmaking_team_size_parse(body->team_size, &t.team_min, &t.team_max, &t.team_exact) != 0)
		return matchmaking_api_reject(req, AXR_EVALIDATION, "/teamSize",
		                              "teamSize is an integer 1..64 or {gte|gt, lte|lt} with a non-empty range in 1..64");
	matchmaking_criterion_t *criteria = axr_arena_calloc(req->arena, body->n_criteria + 1, sizeof *criteria);
	if (!criteria)
		return AXR_ENOMEM;
	for (size_t i = 0; i < body->n_criteria; i++)
		criteria[i] = (matchmaking_criterion_t){.name = body->criteria[i]->name, .value = body->criteria[i]->value};
	t.criteria = criteria;
	t.n_criteria = body->n_criteria;
	if ((rc = ticket_check(req, &t)) != 0)
		return rc;
	matchmaking_ticket_row_t *row = NULL;
	rc = matchmaking_store_ticket_create(db, req->arena, &t, &row);
	if (rc == AXR_EEXISTS)
		return matchmaking_api_reject(req, rc, "/users", "a user of this ticket already has a QUEUED ticket");
	if (rc == AXR_EINVAL) /* what the checks above and the schema leave: a caller uid that is not a uuid */
		return matchmaking_api_reject(req, AXR_EVALIDATION, "/users", "the users and the caller must be uuids");
	if (rc == 0 && (rc = ticket_answer(req, row, out)) == 0)
		ticket_changed(req, *out, "create");
	return rc;
}

int matchmaking_get_ticket(axr_request_t *req, const Matchmaking__GetTicketInput *in, Matchmaking__Ticket **out)
{
	axr_db_t *db = matchmaking_api_db(req);
	if (!db)
		return AXR_EUNAVAILABLE;
	matchmaking_ticket_row_t *row = NULL;
	int rc = matchmaking_store_ticket_get(db, req->arena, in->id, matchmaking_api_caller(req, &matchmaking_entity_Ticket),
	                                      &row);
	if (rc == AXR_ENOTFOUND)
		return matchmaking_api_reject(req, rc, NULL, "no such ticket");
	return rc == 0 ? ticket_answer(req, row, out) : rc;
}

int matchmaking_cancel_ticket(axr_request_t *req, const Matchmaking__CancelTicketInput *in, Matchmaking__Ticket **out)
{
	axr_db_t *db = matchmaking_api_db(req);
	if (!db)
		return AXR_EUNAVAILABLE;
	matchmaking_ticket_row_t *row = NULL;
	int rc = matchmaking_store_ticket_cancel(db, req->arena, in->id,
	                                         matchmaking_api_caller(req, &matchmaking_entity_Ticket), &row);
	if (rc == AXR_ENOTFOUND)
		return matchmaking_api_reject(req, rc, NULL, "no such ticket");
	if (rc == AXR_ECONFLICT) {
		char *msg = row->match_uid
		                ? axr_arena_printf(req->arena, "the ticket is already %s (match %s)",
		                                   matchmaking_status_name(row->status), row->match_uid)
		                : axr_arena_printf(req->arena, "the ticket is already %s", matchmaking_status_name(row->status));
		return matchmaking_api_reject(req, rc, NULL, msg ? msg : "the ticket is no longer queued");
	}
	if (rc == 0 && (rc = ticket_answer(req, row, out)) == 0 && row->cancelled_now)
		ticket_changed(req, *out, "update");
	return rc;
}
