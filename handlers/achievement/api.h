/* api.h: what the achievement adapters share: the caller of a request, records as messages, queries, change events. */
#ifndef AXR_ACHIEVEMENT_API_H
#define AXR_ACHIEVEMENT_API_H

#include <stdint.h>

#include "achievement.h"
#include "progress.h"
#include "query.h"
#include "redis.h"
#include "request.h"

#include "achievement.pb-c.h"

/*
 * The adapters (definitions_api.c, progress_api.c) turn the generated
 * handlers' typed input into the core's structs (achievement.h and the
 * headers beside it) and the core's results into the generated messages.
 * Unlike the core, they include generated headers.
 */

/* The caller of `req`: its uid (NULL when anonymous) and whether it holds
 * the trusted role (admin). */
achievement_caller_t achievement_api_caller(const axr_request_t *req);

/* The worker's database handle, or NULL when the service has none
 * (AXR_DATABASE_URL unset: the adapters answer 503, as generated CRUD). */
axr_db_t *achievement_api_db(const axr_request_t *req);

/*
 * Parses the query string of `req` for entity `e` (query.h). Returns 0 and
 * *q; on a bad query sets the 400 (or 401 for `me` without a caller)
 * answer with one field error per problem and returns its code; AXR_ENOMEM.
 */
int achievement_api_query(axr_request_t *req, const axr_entity_t *e, axr_query_t *q);

/* `rec` as a UserAchievement message in `arena` (strings shared with
 * `rec`), or NULL when out of memory. */
Achievement__UserAchievement *achievement_api_record_message(axr_arena_t *arena, const achievement_record_t *rec);

/* Sets `ETag: "<version>"`. 0 or AXR_ENOMEM. */
int achievement_api_etag(axr_request_t *req, int64_t version);

/* Sets `X-Total-Count: <count>` (the answer of a HEAD count). 0 or AXR_ENOMEM. */
int achievement_api_total(axr_request_t *req, int64_t count);

/*
 * Publishes the change event of `out` (achievement_change_event: type
 * UserAchievement, action create/update/unlock, audience the user) with
 * `msg` packed as its data, on publisher `r` (a worker's, or the trigger
 * thread's). Nothing when nothing changed. Returns 0 or the
 * axr_bus_publish_with code; never a reason to fail a request (callers log
 * it at most: the runtime already counted and logged it).
 */
int achievement_api_publish(axr_redis_t *r, const achievement_progress_out_t *out,
                            const Achievement__UserAchievement *msg);

#endif
