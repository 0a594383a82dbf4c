/* matches_api.c: GET /matches/{id}: the generated handler over the store (GET /matches is generated CRUD). */
#include "api.h"
#include "err.h"
#include "messages.h"
#include "store.h"

#include "matchmaking_entities.h"
#include "matchmaking_handlers.h"

int matchmaking_get_match(axr_request_t *req, const Matchmaking__GetMatchInput *in, Matchmaking__Match **out)
{
	axr_db_t *db = matchmaking_api_db(req);
	if (!db)
		return AXR_EUNAVAILABLE;
	matchmaking_match_row_t *row = NULL;
	int rc = matchmaking_store_match_get(db, req->arena, in->id, matchmaking_api_caller(req, &matchmaking_entity_Match),
	                                     &row);
	if (rc == AXR_ENOTFOUND)
		return matchmaking_api_reject(req, rc, NULL, "no such match");
	if (rc == 0 && (rc = matchmaking_match_message(req->arena, row, out)) == 0)
		rc = matchmaking_api_etag(req, row->version);
	return rc;
}
