/* progress_api.c: POST .../progress and .../unlock over progress.h, and a user's records (GET/HEAD /users/{userUid}/achievements). */
#include "api.h"
#include "err.h"
#include "log.h"
#include "pool.h"
#include "visibility.h"

#include "achievement_entities.h"
#include "achievement_handlers.h"

/* The answer to a core error where the platform's error names a field;
 * everything else is left to axr_op_respond (status from the code). */
static int achievement__progress_error(axr_request_t *req, int rc)
{
	axr_field_error_t fe = {0};
	const char *message = NULL;

	switch (rc) {
	case AXR_EFORBIDDEN:
		fe = (axr_field_error_t){.path = "/userUid", .message = "only admins may act for another user"};
		message = "only admins may act for another user";
		break;
	case AXR_EUNPROCESSABLE:
		fe = (axr_field_error_t){.path = "/Idempotency-Key", .message = "already used for another request"};
		message = "this Idempotency-Key was used for another request";
		break;
	case AXR_ENOTFOUND:
		message = "no such achievement";
		break;
	default:
		return rc;
	}
	axr_response_error(req, axr_err_http_status(rc), axr_errname(rc), message, fe.path ? &fe : NULL, fe.path ? 1 : 0);
	return rc;
}

/* The answer of a progress or unlock call: the record, its ETag, and its
 * change event once committed (the core has committed when it returns). */
static int achievement__progress_answer(axr_request_t *req, int rc, const achievement_progress_out_t *res,
                                        Achievement__UserAchievement **out)
{
	Achievement__UserAchievement *m;

	if (rc != 0)
		return achievement__progress_error(req, rc);
	if ((m = achievement_api_record_message(req->arena, &res->record)) == NULL)
		return AXR_ENOMEM;
	if ((rc = achievement_api_etag(req, res->record.version)) != 0)
		return rc;
	/* A failed publish never fails the request: the runtime counted and logged it. */
	(void)achievement_api_publish(req->worker ? req->worker->redis : NULL, res, m);
	*out = m;
	return 0;
}

int achievement_add_progress(axr_request_t *req, const Achievement__AddProgressInput *in,
                             Achievement__UserAchievement **out)
{
	achievement_caller_t caller = achievement_api_caller(req);
	axr_db_t *db = achievement_api_db(req);
	const Achievement__ProgressRequest *b = in->body;
	achievement_progress_in_t p = {
		.achievement_id = in->id,
		.increment = b != NULL && b->has_increment ? b->increment : 1,
		.user_uid = b != NULL ? b->user_uid : NULL,
		.idempotency_key = in->idempotency_key,
	};
	achievement_progress_out_t res;

	if (db == NULL)
		return AXR_EUNAVAILABLE;
	int rc = achievement_progress_add(db, req->arena, &caller, &p, &res);
	return achievement__progress_answer(req, rc, &res, out);
}

int achievement_unlock_achievement(axr_request_t *req, const Achievement__UnlockAchievementInput *in,
                                   Achievement__UserAchievement **out)
{
	achievement_caller_t caller = achievement_api_caller(req);
	axr_db_t *db = achievement_api_db(req);
	achievement_progress_out_t res;

	if (db == NULL)
		return AXR_EUNAVAILABLE;
	int rc = achievement_progress_unlock(db, req->arena, &caller, in->id, in->body ? in->body->user_uid : NULL,
	                                     &res);
	return achievement__progress_answer(req, rc, &res, out);
}

int achievement_find_user_achievements(axr_request_t *req, const Achievement__FindUserAchievementsInput *in,
                                       Achievement__UserAchievementList **out)
{
	achievement_caller_t caller = achievement_api_caller(req);
	axr_db_t *db = achievement_api_db(req);
	Achievement__UserAchievementList *list;
	achievement_record_t *rows = NULL;
	size_t n = 0;
	axr_query_t q;
	int rc;

	if (db == NULL)
		return AXR_EUNAVAILABLE;
	/* `unlocked` is a column of the records: the query parser makes it a filter. */
	if ((rc = achievement_api_query(req, &achievement_entity_UserAchievement, &q)) != 0)
		return rc;
	if ((rc = achievement_user_list(db, req->arena, &caller, in->user_uid, &q, &rows, &n)) != 0)
		return rc;
	list = (Achievement__UserAchievementList *)axr_op_message_new(req, &achievement__user_achievement_list__descriptor);
	if (list == NULL || (n > 0 && (list->items = axr_arena_calloc(req->arena, n, sizeof *list->items)) == NULL))
		return AXR_ENOMEM;
	for (size_t i = 0; i < n; i++)
		if ((list->items[list->n_items++] = achievement_api_record_message(req->arena, &rows[i])) == NULL)
			return AXR_ENOMEM;
	*out = list;
	return 0;
}

int achievement_count_user_achievements(axr_request_t *req, const Achievement__CountUserAchievementsInput *in)
{
	achievement_caller_t caller = achievement_api_caller(req);
	axr_db_t *db = achievement_api_db(req);
	int64_t count = 0;
	axr_query_t q;
	int rc;

	if (db == NULL)
		return AXR_EUNAVAILABLE;
	if ((rc = achievement_api_query(req, &achievement_entity_UserAchievement, &q)) != 0)
		return rc;
	if ((rc = achievement_user_count(db, req->arena, &caller, in->user_uid, &q, &count)) != 0)
		return rc;
	return achievement_api_total(req, count);
}
