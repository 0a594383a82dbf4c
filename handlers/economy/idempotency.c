/* idempotency.c: claims, stored answers and purging of Idempotency-Keys. */
#include "idempotency.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "err.h"

void economy_idem_hash(const void *data, size_t len, char out[ECONOMY_IDEM_HASH_SIZE])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, data, len);
	for (size_t i = 0; i < sizeof digest; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

bool economy_idem_key_valid(const char *key)
{
	size_t n = 0;
	if (key == NULL)
		return false;
	for (; key[n] != '\0'; n++)
		if ((unsigned char)key[n] < 0x21 || (unsigned char)key[n] > 0x7e || n >= ECONOMY_IDEM_KEY_MAX)
			return false;
	return n > 0;
}

static const char economy__sql_claim[] =
	"INSERT INTO idempotency_key (caller_uid, idem_key, request_hash) VALUES ($1::uuid, $2, $3)"
	" ON CONFLICT (caller_uid, idem_key) DO NOTHING RETURNING 1";

static const char economy__sql_read[] =
	"SELECT request_hash, response_status, response_body FROM idempotency_key"
	" WHERE caller_uid = $1::uuid AND idem_key = $2";

int economy_idem_claim(axr_db_t *db, axr_arena_t *arena, const char *caller_uid, const char *key, const char *hash,
                       economy_idem_t *out)
{
	axr_db_result_t *r = NULL;
	const char *params[3] = {caller_uid, key, hash};
	int64_t status = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (db == NULL || arena == NULL || caller_uid == NULL || hash == NULL || !economy_idem_key_valid(key))
		return AXR_EINVAL;
	rc = axr_db_exec(db, "economy:idem:claim", economy__sql_claim, 3, params, NULL, NULL, &r);
	if (rc != 0 || axr_db_result_rows(r) == 1)
		goto fail; /* an error, or the key is ours */
	axr_db_result_free(r);
	r = NULL;
	/* Somebody committed the key first (we may have waited for them). */
	rc = axr_db_exec(db, "economy:idem:read", economy__sql_read, 2, params, NULL, NULL, &r);
	if (rc != 0)
		goto fail;
	if (axr_db_result_rows(r) != 1) {
		rc = AXR_EAGAIN;
		goto fail;
	}
	if (strcmp(axr_db_result_text(r, 0, 0, NULL), hash) != 0) {
		rc = AXR_EUNPROCESSABLE;
		goto fail;
	}
	if (axr_db_result_int64(r, 0, 1, &status) != 0 || axr_db_result_is_null(r, 0, 2)) {
		rc = AXR_EINTERNAL; /* a committed key always has its answer */
		goto fail;
	}
	out->body = axr_arena_strdup(arena, axr_db_result_text(r, 0, 2, NULL));
	if (out->body == NULL) {
		rc = AXR_ENOMEM;
		goto fail;
	}
	out->status = (int)status;
	out->replay = true;
fail:
	axr_db_result_free(r);
	return rc;
}

static const char economy__sql_store[] =
	"UPDATE idempotency_key SET response_status = $3::int, response_body = $4"
	" WHERE caller_uid = $1::uuid AND idem_key = $2";

int economy_idem_store(axr_db_t *db, const char *caller_uid, const char *key, int status, const char *body)
{
	axr_db_result_t *r = NULL;
	char st[16];
	const char *params[4] = {caller_uid, key, st, body};
	int rc;

	snprintf(st, sizeof st, "%d", status);
	rc = axr_db_exec(db, "economy:idem:store", economy__sql_store, 4, params, NULL, NULL, &r);
	if (rc == 0 && axr_db_result_affected(r) != 1)
		rc = AXR_EINTERNAL;
	axr_db_result_free(r);
	return rc;
}

int economy_idem_purge(axr_db_t *db, long max_age_s, int64_t *deleted)
{
	axr_db_result_t *r = NULL;
	char age[24];
	const char *params[1] = {age};
	int rc;

	snprintf(age, sizeof age, "%ld", max_age_s);
	rc = axr_db_exec(db, "economy:idem:purge",
	                 "DELETE FROM idempotency_key WHERE date_created < now() - make_interval(secs => $1::bigint)", 1,
	                 params, NULL, NULL, &r);
	if (rc == 0 && deleted != NULL)
		*deleted = axr_db_result_affected(r);
	axr_db_result_free(r);
	return rc;
}
