/* bus_entity.c: entity changes (generated CRUD and handlers) as bus events, read from the entity's table. */
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "codec.h"
#include "crud.h"
#include "err.h"
#include "row.h"

/* The text of column `name` of `row`, or NULL when absent or unreadable. */
static const char *axr__bus_column(const axr_entity_t *e, const char *name, const ProtobufCMessage *row,
                                   axr_arena_t *arena)
{
	int col = axr_row_column(e, name);
	const char *text = NULL;
	if (col < 0 || axr_row_param(e, (size_t)col, row, arena, &text) != 0)
		return NULL;
	return text;
}

int axr_bus_publish_entity(axr_worker_t *w, axr_arena_t *arena, const axr_entity_t *e, const char *action,
                           const ProtobufCMessage *row)
{
	axr_buf_t json = AXR_BUF_INIT;
	if (e == NULL || row == NULL || arena == NULL || action == NULL)
		return AXR_EINVAL;
	bool deleted = strcmp(action, "delete") == 0;
	const char *uid = axr__bus_column(e, AXR_ROW_UID, row, arena);
	const char *version = axr__bus_column(e, AXR_ROW_VERSION, row, arena);
	const char **audience = axr_arena_calloc(arena, e->n_channel_columns + 1, sizeof *audience);
	size_t naudience = 0;
	if (audience == NULL)
		return AXR_ENOMEM;
	for (size_t i = 0; i < e->n_channel_columns; i++) {
		const char *v = NULL;
		int col = e->channel_columns[i];
		if (col >= 0 && (size_t)col < e->n_columns && axr_row_param(e, (size_t)col, row, arena, &v) == 0 && v &&
		    axr_bus_id_valid(v, strlen(v)))
			audience[naudience++] = v;
	}
	if (!deleted && e->schema != NULL && axr_codec_to_json(e->schema, row, AXR_CODEC_RESPONSE, &json) != 0)
		axr_buf_free(&json); /* no JSON: clients get {"uid","version"} */
	axr_bus_event_t ev = {
		.type = e->name,
		.action = action,
		.uid = uid,
		.has_version = version != NULL,
		.version = version ? strtoll(version, NULL, 10) : 0,
		.data = deleted ? NULL : row,
		.data_json = json.len ? json.data : NULL,
		.audience = audience,
		.naudience = naudience,
	};
	int rc = axr_bus_publish(w, &ev);
	axr_buf_free(&json);
	return rc;
}

void axr_bus_crud_changed(axr_request_t *req, const axr_entity_t *e, int action, const ProtobufCMessage *row)
{
	static const char *const actions[] = {
		[AXR_CRUD_ACTION_CREATE] = "create",
		[AXR_CRUD_ACTION_UPDATE] = "update",
		[AXR_CRUD_ACTION_DELETE] = "delete",
	};
	if (row == NULL || action < AXR_CRUD_ACTION_CREATE || action > AXR_CRUD_ACTION_DELETE)
		return;
	axr_bus_publish_entity(req->worker, req->arena, e, actions[action], row);
}
