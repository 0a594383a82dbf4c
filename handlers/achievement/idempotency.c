/* idempotency.c: claims, stored results and purging of progress Idempotency-Keys. */
#include "idempotency.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "achievement_internal.h"
#include "err.h"

#define ACHIEVEMENT__HASH(p) "encode(sha256(convert_to(" p ", 'UTF8')), 'hex')"

bool achievement_idem_key_valid(const char *key)
{
	size_t n = key != NULL ? strnlen(key, ACHIEVEMENT_IDEM_KEY_MAX + 1) : 0;
	if (n == 0 || n > ACHIEVEMENT_IDEM_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)key[i])) /* 0x21..0x7e in the C locale */
			return false;
	return true;
}

static const char achievement__sql_claim[] =
	"INSERT INTO achievement_idempotency (caller_uid, idem_key, request_hash)"
	" VALUES ($1::uuid, $2, " ACHIEVEMENT__HASH("$3") ")"
	" ON CONFLICT (caller_uid, idem_key) DO NOTHING RETURNING 1";

/* The stored result, read back through the row type of user_achievement. */
static const char achievement__sql_read[] =
	"SELECT i.request_hash = " ACHIEVEMENT__HASH("$3") ", " ACHIEVEMENT__RECORD_COLUMNS("ua.")
	" FROM achievement_idempotency i"
	" LEFT JOIN LATERAL jsonb_populate_record(NULL::user_achievement, i.result) ua ON true"
	" WHERE i.caller_uid = $1::uuid AND i.idem_key = $2";

int achievement_idem_claim(axr_db_t *db, axr_arena_t *arena, const char *caller_uid, const char *key,
                           const char *request, achievement_idem_t *out)
{
	axr_db_result_t *r = NULL;
	const char *params[3] = {caller_uid, key, request};
	bool same = false;
	int rc;

	memset(out, 0, sizeof *out);
	if (db == NULL || arena == NULL || caller_uid == NULL || request == NULL || !achievement_idem_key_valid(key))
		return AXR_EINVAL;
	rc = axr_db_exec(db, "achievement:idem:claim", achievement__sql_claim, 3, params, NULL, NULL, &r);
	if (rc != 0 || axr_db_result_rows(r) == 1)
		goto fail; /* an error, or the key is ours */
	axr_db_result_free(r);
	r = NULL;
	/* Somebody committed the key first (we may have waited for them). */
	rc = axr_db_exec(db, "achievement:idem:read", achievement__sql_read, 3, params, NULL, NULL, &r);
	if (rc != 0)
		goto fail;
	if (axr_db_result_rows(r) != 1) {
		rc = AXR_EAGAIN;
		goto fail;
	}
	if (axr_db_result_bool(r, 0, 0, &same) != 0) {
		rc = AXR_EINTERNAL;
		goto fail;
	}
	if (!same) {
		rc = AXR_EUNPROCESSABLE;
		goto fail;
	}
	rc = achievement__record_read(r, 0, 1, arena, &out->record); /* a committed key has its result */
	if (rc == 0)
		out->replay = true;
fail:
	axr_db_result_free(r);
	return rc;
}

static const char achievement__sql_store[] =
	"UPDATE achievement_idempotency"
	" SET result = (SELECT to_jsonb(ua) FROM user_achievement ua WHERE ua.uid = $3::uuid)"
	" WHERE caller_uid = $1::uuid AND idem_key = $2 AND EXISTS (SELECT 1 FROM user_achievement WHERE uid = $3::uuid)";

int achievement_idem_store(axr_db_t *db, const char *caller_uid, const char *key, const char *record_uid)
{
	axr_db_result_t *r = NULL;
	const char *params[3] = {caller_uid, key, record_uid};
	int rc = axr_db_exec(db, "achievement:idem:store", achievement__sql_store, 3, params, NULL, NULL, &r);
	if (rc == 0 && axr_db_result_affected(r) != 1)
		rc = AXR_EINTERNAL;
	axr_db_result_free(r);
	return rc;
}

static const char achievement__sql_purge[] =
	"WITH k AS (DELETE FROM achievement_idempotency"
	"           WHERE date_created < now() - make_interval(secs => $1::bigint) RETURNING 1),"
	" e AS (DELETE FROM achievement_event_seen"
	"       WHERE date_created < now() - make_interval(secs => $1::bigint) RETURNING 1)"
	" SELECT (SELECT count(*) FROM k) + (SELECT count(*) FROM e)";

int achievement_idem_purge(axr_db_t *db, long max_age_s, int64_t *deleted)
{
	axr_db_result_t *r = NULL;
	char age[24];
	const char *params[1] = {age};
	int64_t n = 0;
	int rc;

	if (db == NULL || max_age_s < 0)
		return AXR_EINVAL;
	snprintf(age, sizeof age, "%ld", max_age_s);
	rc = axr_db_exec(db, "achievement:idem:purge", achievement__sql_purge, 1, params, NULL, NULL, &r);
	if (rc == 0 && axr_db_result_int64(r, 0, 0, &n) != 0)
		rc = AXR_EINTERNAL;
	if (rc == 0 && deleted != NULL)
		*deleted = n;
	axr_db_result_free(r);
	return rc;
}
