/* progress.c: progress and unlocks as one atomic upsert per call, with optional Idempotency-Key. */
#include "progress.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "achievement_internal.h"
#include "err.h"
#include "idempotency.h"

static const char achievement__sql_progress[] = ACHIEVEMENT__UPSERT("uid = $1::uuid OR name = $2");

/* The record as it is, when the upsert changed nothing (already unlocked). */
static const char achievement__sql_current[] =
	"SELECT false, " ACHIEVEMENT__RECORD_COLUMNS("ua.")
	" FROM user_achievement ua JOIN achievement_definition d ON d.uid = ua.achievement_uid"
	" WHERE ua.user_uid = $3::uuid AND (d.uid = $1::uuid OR d.name = $2)";

int achievement__upsert_read(const axr_db_result_t *r, axr_arena_t *arena, achievement_progress_out_t **outs,
                             size_t *n)
{
	int rows = axr_db_result_rows(r);
	achievement_progress_out_t *o = NULL;
	int rc = 0;

	*outs = NULL;
	*n = 0;
	if (rows > 0 && (o = axr_arena_calloc(arena, (size_t)rows, sizeof *o)) == NULL)
		return AXR_ENOMEM;
	for (int i = 0; i < rows && rc == 0; i++) {
		if (axr_db_result_bool(r, i, 0, &o[i].created) != 0)
			return AXR_EINTERNAL;
		rc = achievement__record_read(r, i, 1, arena, &o[i].record);
		/* Only records created or changed from "not unlocked" come back. */
		o[i].changed = true;
		o[i].unlocked_now = o[i].record.unlocked;
	}
	if (rc == 0) {
		*outs = o;
		*n = (size_t)rows;
	}
	return rc;
}

typedef struct achievement__progress {
	axr_arena_t *arena;
	const char *caller_uid;
	const char *idempotency_key;
	const char *params[4];  /* $1 uid, $2 name (one of them NULL), $3 user, $4 increment (NULL: to target) */
	const char *request;    /* what the Idempotency-Key's hash covers */
	achievement_progress_out_t *out;
} achievement__progress_t;

/* The upsert, and the unchanged record when it changed nothing. */
static int achievement__progress_apply(axr_db_t *db, achievement__progress_t *p)
{
	axr_db_result_t *r = NULL;
	achievement_progress_out_t *rows = NULL;
	size_t n = 0;
	int rc;

	rc = axr_db_exec(db, "achievement:progress", achievement__sql_progress, 4, p->params, NULL, NULL, &r);
	if (rc == 0 && axr_db_result_rows(r) > 0) {
		rc = achievement__upsert_read(r, p->arena, &rows, &n);
		if (rc == 0 && n != 1)
			rc = AXR_EINTERNAL;
		if (rc == 0)
			*p->out = rows[0];
	} else if (rc == 0) { /* unchanged: changed, created, unlocked_now stay false */
		axr_db_result_free(r);
		r = NULL;
		rc = axr_db_exec(db, "achievement:current", achievement__sql_current, 3, p->params, NULL, NULL, &r);
		if (rc == 0 && axr_db_result_rows(r) == 0)
			rc = AXR_ENOTFOUND; /* no such definition (or it vanished meanwhile) */
		if (rc == 0)
			rc = achievement__record_read(r, 0, 1, p->arena, &p->out->record);
	}
	axr_db_result_free(r);
	return rc;
}

/* One transaction: claim the key, apply, store the result. Retried whole. */
static int achievement__progress_tx(axr_db_t *db, void *ctx)
{
	achievement__progress_t *p = ctx;
	achievement_idem_t idem;
	int rc;

	memset(p->out, 0, sizeof *p->out);
	rc = achievement_idem_claim(db, p->arena, p->caller_uid, p->idempotency_key, p->request, &idem);
	if (rc != 0)
		return rc;
	if (idem.replay) {
		p->out->record = idem.record;
		p->out->replay = true;
		return 0;
	}
	rc = achievement__progress_apply(db, p);
	if (rc == 0)
		rc = achievement_idem_store(db, p->caller_uid, p->idempotency_key, p->out->record.uid);
	return rc;
}

/* A copy of `s` in `arena`, lowercased when it is a UUID (one spelling per uid). */
static const char *achievement__canonical(axr_arena_t *arena, const char *s)
{
	char *c = axr_arena_strdup(arena, s);
	if (c != NULL && achievement_is_uuid(c))
		for (char *q = c; *q; q++)
			*q = (char)tolower((unsigned char)*q);
	return c;
}

int achievement_progress_add(axr_db_t *db, axr_arena_t *arena, const achievement_caller_t *caller,
                             const achievement_progress_in_t *in, achievement_progress_out_t *out)
{
	achievement__progress_t p = {.arena = arena, .out = out};
	const char *id, *user;

	if (out != NULL)
		memset(out, 0, sizeof *out);
	if (db == NULL || arena == NULL || caller == NULL || in == NULL || out == NULL)
		return AXR_EINVAL;
	if (caller->uid == NULL)
		return AXR_EUNAUTHORIZED;
	if (in->achievement_id == NULL || in->achievement_id[0] == '\0' || (!in->unlock && in->increment < 1))
		return AXR_EINVAL;
	if (in->user_uid != NULL && !achievement_is_uuid(in->user_uid))
		return AXR_EINVAL;
	if (in->user_uid != NULL && !caller->trusted && !achievement_same_uuid(in->user_uid, caller->uid))
		return AXR_EFORBIDDEN;
	if (in->idempotency_key != NULL && !achievement_idem_key_valid(in->idempotency_key))
		return AXR_EINVAL;

	id = achievement__canonical(arena, in->achievement_id);
	user = achievement__canonical(arena, in->user_uid ? in->user_uid : caller->uid);
	if (id == NULL || user == NULL)
		return AXR_ENOMEM;
	if (!achievement_is_uuid(user))
		return AXR_EINVAL; /* a caller uid that is not a UUID owns no records */
	p.params[achievement_is_uuid(id) ? 0 : 1] = id;
	p.params[2] = user;
	if (!in->unlock && (p.params[3] = axr_arena_printf(arena, "%" PRId64, in->increment)) == NULL)
		return AXR_ENOMEM;
	if (in->idempotency_key == NULL)
		return achievement__progress_apply(db, &p);

	p.caller_uid = caller->uid;
	p.idempotency_key = in->idempotency_key;
	p.request = axr_arena_printf(arena, "progress\n%zu:%s\n%s\n%s", strlen(id), id, user,
	                             in->unlock ? "unlock" : p.params[3]);
	if (p.request == NULL)
		return AXR_ENOMEM;
	int rc = axr_db_tx_run(db, AXR_DB_READ_COMMITTED, achievement__progress_tx, &p, ACHIEVEMENT_TX_RETRIES);
	if (rc != 0)
		memset(out, 0, sizeof *out);
	return rc;
}

int achievement_progress_unlock(axr_db_t *db, axr_arena_t *arena, const achievement_caller_t *caller,
                                const char *achievement_id, const char *user_uid, achievement_progress_out_t *out)
{
	achievement_progress_in_t in = {.achievement_id = achievement_id, .user_uid = user_uid, .unlock = true};
	return achievement_progress_add(db, arena, caller, &in, out);
}

const char *achievement_progress_action(const achievement_progress_out_t *out)
{
	if (out == NULL || !out->changed)
		return NULL;
	if (out->unlocked_now)
		return "unlock";
	return out->created ? "create" : "update";
}
