/* api.c: helpers of the achievement adapters: caller, query errors, record messages, ETag, change events. */
#include "api.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

#include "auth.h"
#include "bus.h"
#include "codec.h"
#include "err.h"
#include "pool.h"
#include "events.h"
#include "validate.h"

/* A record string (arena memory, never written through the message). */
#define ACHIEVEMENT__STR(s) ((char *)(uintptr_t)(s))

achievement_caller_t achievement_api_caller(const axr_request_t *req)
{
	return (achievement_caller_t){.uid = req->user_uid, .trusted = axr_request_trusted(req)};
}

axr_db_t *achievement_api_db(const axr_request_t *req)
{
	return req->worker != NULL ? req->worker->db : NULL;
}

int achievement_api_query(axr_request_t *req, const axr_entity_t *e, axr_query_t *q)
{
	axr_verrors_t errs;
	axr_field_error_t *fe;

	axr_verrors_init(&errs, req->arena, AXR_VERRORS_DEFAULT_MAX);
	int rc = axr_query_parse(req, e, NULL, q, &errs);
	if (rc == 0 || rc == AXR_ENOMEM)
		return rc;
	if ((fe = axr_arena_calloc(req->arena, errs.count ? errs.count : 1, sizeof *fe)) == NULL)
		return AXR_ENOMEM;
	for (size_t i = 0; i < errs.count; i++)
		fe[i] = (axr_field_error_t){.path = errs.items[i].path, .message = errs.items[i].message};
	axr_response_error(req, axr_err_http_status(rc), axr_errname(rc),
	                   rc == AXR_EUNAUTHORIZED ? "\"me\" needs an authenticated caller" : "invalid query", fe,
	                   errs.count);
	return rc;
}

Achievement__UserAchievement *achievement_api_record_message(axr_arena_t *arena, const achievement_record_t *rec)
{
	Achievement__UserAchievement *m =
		(Achievement__UserAchievement *)axr_codec_message_new(&achievement__user_achievement__descriptor, arena);
	if (m == NULL)
		return NULL;
	/* The strings are the record's (arena memory); the message only points at them. */
	m->uid = ACHIEVEMENT__STR(rec->uid);
	m->date_created = ACHIEVEMENT__STR(rec->date_created);
	m->date_modified = ACHIEVEMENT__STR(rec->date_modified);
	m->has_version = true;
	m->version = rec->version;
	m->achievement_uid = ACHIEVEMENT__STR(rec->achievement_uid);
	m->user_uid = ACHIEVEMENT__STR(rec->user_uid);
	m->has_progress = true;
	m->progress = rec->progress;
	m->has_unlocked = true;
	m->unlocked = rec->unlocked;
	m->date_unlocked = ACHIEVEMENT__STR(rec->date_unlocked);
	return m;
}

int achievement_api_etag(axr_request_t *req, int64_t version)
{
	char etag[32];
	snprintf(etag, sizeof etag, "\"%" PRId64 "\"", version);
	return axr_response_header(req, "ETag", etag);
}

int achievement_api_total(axr_request_t *req, int64_t count)
{
	char text[24];
	snprintf(text, sizeof text, "%" PRId64, count);
	return axr_response_header(req, "X-Total-Count", text);
}

int achievement_api_publish(axr_redis_t *r, const achievement_progress_out_t *out,
                            const Achievement__UserAchievement *msg)
{
	axr_buf_t json = AXR_BUF_INIT;
	const char *audience[1];
	axr_bus_event_t ev;
	int rc = 0;

	if (achievement_change_event(out, &json, audience, &ev)) {
		ev.data = &msg->base;
		rc = axr_bus_publish_with(r, &ev);
	} else if (!axr_buf_ok(&json)) {
		rc = AXR_ENOMEM;
	}
	axr_buf_free(&json);
	return rc;
}
