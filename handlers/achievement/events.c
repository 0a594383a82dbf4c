/* events.c: triggers turned into progress, event ids for dedup across replicas, change events of user records. */
#include "events.h"

#include <inttypes.h>
#include <string.h>

#include "achievement_internal.h"
#include "err.h"

static const char achievement__sql_seen[] =
	"INSERT INTO achievement_event_seen (event_id, user_uid) VALUES ($1, $2::uuid)"
	" ON CONFLICT (event_id, user_uid) DO NOTHING RETURNING 1";

/* $1 service, $2 type, $3 user, $4 increment, $5 action. */
static const char achievement__sql_triggered[] = ACHIEVEMENT__UPSERT(
	"trigger->>'service' = $1 AND trigger->>'type' = $2"
	" AND (trigger->>'action' IS NULL OR trigger->>'action' = $5)");

typedef struct achievement__on_event {
	const achievement_event_t *ev;
	axr_arena_t *arena;
	achievement_progress_out_t **outs;
	size_t *n;
} achievement__on_event_t;

static int achievement__on_event_tx(axr_db_t *db, void *ctx)
{
	achievement__on_event_t *e = ctx;
	const achievement_event_t *ev = e->ev;
	const char *seen[2] = {ev->event_id, ev->owner_uid};
	const char *params[5] = {ev->service, ev->type, ev->owner_uid, "1", ev->action};
	axr_db_result_t *r = NULL;
	int rc = 0;

	*e->outs = NULL;
	*e->n = 0;
	if (ev->event_id != NULL) {
		rc = axr_db_exec(db, "achievement:event:seen", achievement__sql_seen, 2, seen, NULL, NULL, &r);
		if (rc != 0 || axr_db_result_rows(r) == 0)
			goto fail; /* an error, or another replica (or a repeat) applied it */
		axr_db_result_free(r);
		r = NULL;
	}
	rc = axr_db_exec(db, "achievement:event:progress", achievement__sql_triggered, 5, params, NULL, NULL, &r);
	if (rc == 0)
		rc = achievement__upsert_read(r, e->arena, e->outs, e->n);
fail:
	axr_db_result_free(r);
	return rc;
}

int achievement_on_event(axr_db_t *db, axr_arena_t *arena, const achievement_event_t *ev,
                         achievement_progress_out_t **outs, size_t *n)
{
	achievement__on_event_t e = {.ev = ev, .arena = arena, .outs = outs, .n = n};
	int rc;

	if (outs == NULL || n == NULL)
		return AXR_EINVAL;
	*outs = NULL;
	*n = 0;
	if (db == NULL || arena == NULL || ev == NULL || ev->service == NULL || ev->type == NULL ||
	    ev->action == NULL || !achievement_is_uuid(ev->owner_uid))
		return AXR_EINVAL;
	rc = axr_db_tx_run(db, AXR_DB_READ_COMMITTED, achievement__on_event_tx, &e, ACHIEVEMENT_TX_RETRIES);
	if (rc != 0) {
		*outs = NULL;
		*n = 0;
	}
	return rc;
}

const char *achievement_event_id(const axr_bus_message_t *m, axr_arena_t *arena)
{
	if (m->has_version)
		return axr_arena_printf(arena, "%s/%s/%s/%s/v%" PRId64, m->service, m->type, m->action, m->uid,
		                        m->version);
	if (m->time != NULL && m->time[0] != '\0')
		return axr_arena_printf(arena, "%s/%s/%s/%s/t%s", m->service, m->type, m->action, m->uid, m->time);
	return NULL;
}

bool achievement_change_event(const achievement_progress_out_t *out, axr_buf_t *json, const char *audience[1],
                              axr_bus_event_t *ev)
{
	const char *action = achievement_progress_action(out);

	memset(ev, 0, sizeof *ev);
	if (action == NULL)
		return false;
	achievement_record_json(&out->record, json);
	axr_buf_putc(json, '\0');
	if (!axr_buf_ok(json))
		return false;
	audience[0] = out->record.user_uid;
	ev->type = "UserAchievement";
	ev->action = action;
	ev->uid = out->record.uid;
	ev->has_version = true;
	ev->version = out->record.version;
	ev->data_json = json->data;
	ev->audience = audience;
	ev->naudience = 1;
	return true;
}

int achievement_publish_with(axr_redis_t *r, const achievement_progress_out_t *out)
{
	axr_buf_t json = AXR_BUF_INIT;
	const char *audience[1];
	axr_bus_event_t ev;
	int rc = 0;

	if (achievement_change_event(out, &json, audience, &ev))
		rc = axr_bus_publish_with(r, &ev);
	else if (!axr_buf_ok(&json))
		rc = AXR_ENOMEM;
	axr_buf_free(&json);
	return rc;
}
