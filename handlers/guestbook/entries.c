/* entries.c: the hand-written handler of the guestbook service (the reference
 * example of docs/writing-a-service.md); every other operation is generated
 * CRUD. */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "buf.h"
#include "db.h"
#include "pool.h"
#include "row.h"

#include "guestbook_entities.h"
#include "guestbook_handlers.h"

/*
 * POST /entries/{id}/pin (pinEntry)
 * Pin an entry (its author or an admin)
 *
 * One parameterized UPDATE that also enforces ownership: a caller who is not
 * the author (and not an admin) matches no row, so someone else's entry is a
 * 404, exactly as the generated CRUD answers it.
 */
int guestbook_pin_entry(axr_request_t *req, const Guestbook__PinEntryInput *in, Guestbook__Entry **out)
{
	const axr_entity_t *e = &guestbook_entity_Entry;
	static const char *sql = NULL;
	static char sql_buf[1024];

	if (req->worker->db == NULL)
		return AXR_EUNAVAILABLE;
	if (sql == NULL) {
		/* Built once from the entity table: the columns in the order
		 * axr_row_read() expects. Identical on every worker, so a race
		 * writes the same bytes. */
		axr_buf_t cols = AXR_BUF_INIT;
		axr_row_select_list(e, &cols);
		snprintf(sql_buf, sizeof(sql_buf),
		         "UPDATE \"%s\" SET pinned = true, date_modified = now(), version = version + 1 "
		         "WHERE uid::text = $1 AND ($3 OR author_uid::text = $2) RETURNING %s",
		         e->table, axr_buf_ok(&cols) ? cols.data : "*");
		axr_buf_free(&cols);
		sql = sql_buf;
	}
	const char *params[3] = {in->id, req->user_uid ? req->user_uid : "", axr_request_trusted(req) ? "true" : "false"};
	axr_db_result_t *res = NULL;
	int rc = axr_db_exec(req->worker->db, "guestbook:pin", sql, 3, params, NULL, NULL, &res);
	if (rc != 0)
		return rc;
	ProtobufCMessage *row = NULL;
	if (axr_db_result_rows(res) == 1)
		rc = axr_row_read(e, res, 0, req->arena, &row);
	else
		rc = AXR_ENOTFOUND;
	axr_db_result_free(res);
	if (rc != 0)
		return rc;
	*out = (Guestbook__Entry *)row;
	return 0;
}
