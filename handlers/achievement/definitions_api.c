/* definitions_api.c: GET/HEAD /achievements and GET /achievements/{id}: definitions as the caller may see them (visibility.h). */
#include "api.h"
#include "buf.h"
#include "err.h"
#include "row.h"
#include "visibility.h"

#include "achievement_entities.h"
#include "achievement_handlers.h"

/* Create, update and delete of definitions are the generated CRUD
 * (achievement_crud.c, admins only through x-axr-roles). */

static const axr_entity_t *const achievement__definition = &achievement_entity_AchievementDefinition;

/* The entity's select list (what axr_row_read expects), in `arena`. */
static const char *achievement__columns(axr_arena_t *arena)
{
	axr_buf_t b = AXR_BUF_INIT;
	const char *s = NULL;

	axr_row_select_list(achievement__definition, &b);
	axr_buf_putc(&b, '\0');
	if (axr_buf_ok(&b))
		s = axr_arena_strdup(arena, b.data);
	axr_buf_free(&b);
	return s;
}

/* Row `row` of `r` as a definition message; an unreadable row is logged
 * with the request as an internal error. */
static int achievement__read(axr_request_t *req, const axr_db_result_t *r, int row,
                             Achievement__AchievementDefinition **out)
{
	ProtobufCMessage *m = NULL;
	int rc = axr_row_read(achievement__definition, r, row, req->arena, &m);
	if (rc != 0 && rc != AXR_ENOMEM)
		req->error_reason = axr_arena_printf(req->arena, "achievement_definition row %d: %s", row, axr_strerror(rc));
	*out = (Achievement__AchievementDefinition *)m;
	return rc;
}

int achievement_find_achievements(axr_request_t *req, const Achievement__FindAchievementsInput *in,
                                  Achievement__AchievementDefinitionList **out)
{
	achievement_caller_t caller = achievement_api_caller(req);
	axr_db_t *db = achievement_api_db(req);
	Achievement__AchievementDefinitionList *list = NULL;
	axr_db_result_t *r = NULL;
	const char *columns;
	axr_query_t q;
	int rc, n;

	(void)in; /* limit, page and sort are read by the query parser, with any filters */
	if (db == NULL)
		return AXR_EUNAVAILABLE;
	if ((rc = achievement_api_query(req, achievement__definition, &q)) != 0)
		return rc;
	if ((columns = achievement__columns(req->arena)) == NULL)
		return AXR_ENOMEM;
	if ((rc = achievement_definition_list(db, req->arena, &caller, &q, columns, &r)) != 0)
		goto fail;
	list = (Achievement__AchievementDefinitionList *)axr_op_message_new(
		req, &achievement__achievement_definition_list__descriptor);
	n = axr_db_result_rows(r);
	if (list == NULL ||
	    (n > 0 && (list->items = axr_arena_calloc(req->arena, (size_t)n, sizeof *list->items)) == NULL)) {
		rc = AXR_ENOMEM;
		goto fail;
	}
	for (int i = 0; i < n; i++) {
		if ((rc = achievement__read(req, r, i, &list->items[i])) != 0)
			goto fail;
		list->n_items++;
	}
	*out = list;
fail:
	axr_db_result_free(r);
	return rc;
}

int achievement_count_achievements(axr_request_t *req, const Achievement__CountAchievementsInput *in)
{
	achievement_caller_t caller = achievement_api_caller(req);
	axr_db_t *db = achievement_api_db(req);
	axr_query_t q;
	int64_t count = 0;
	int rc;

	(void)in;
	if (db == NULL)
		return AXR_EUNAVAILABLE;
	if ((rc = achievement_api_query(req, achievement__definition, &q)) != 0)
		return rc;
	if ((rc = achievement_definition_count(db, req->arena, &caller, &q, &count)) != 0)
		return rc;
	return achievement_api_total(req, count);
}

int achievement_get_achievement(axr_request_t *req, const Achievement__GetAchievementInput *in,
                                Achievement__AchievementDefinition **out)
{
	achievement_caller_t caller = achievement_api_caller(req);
	axr_db_t *db = achievement_api_db(req);
	Achievement__AchievementDefinition *def = NULL;
	axr_db_result_t *r = NULL;
	const char *columns;
	int rc;

	if (db == NULL)
		return AXR_EUNAVAILABLE;
	if ((columns = achievement__columns(req->arena)) == NULL)
		return AXR_ENOMEM;
	if ((rc = achievement_definition_get(db, req->arena, &caller, in->id, columns, &r)) != 0)
		goto fail;
	if ((rc = achievement__read(req, r, 0, &def)) != 0)
		goto fail;
	if ((rc = achievement_api_etag(req, def->version)) != 0)
		goto fail;
	*out = def;
fail:
	axr_db_result_free(r);
	return rc;
}
