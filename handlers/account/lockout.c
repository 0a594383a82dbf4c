/* lockout.c: failed log-in limits per account and per client address, counted in PostgreSQL so every replica agrees. */
#include <inttypes.h>
#include <string.h>

#include "err.h"

#include "account_internal.h"

/*
 * An attempt is a row written BEFORE the password is checked and counted
 * right after (two statements, each committed on its own): every attempt
 * that goes on has its row visible to every attempt counting after it, so
 * however many arrive at once, at most `limit` of them per window get to
 * check a password. Attempts refused with 429 withdraw their row (they
 * checked nothing); failures keep theirs; a success clears the account's.
 */

/* The window as text milliseconds for the statements. */
static const char *account__window(const account_t *acc, axr_arena_t *arena)
{
	return axr_arena_printf(arena, "%ld", acc->cfg.login_window_ms);
}

/* Seconds until attempts with these counts may go on again: when the
 * `limit`-th most recent other attempt leaves the window. */
static int account__retry_after(axr_db_t *db, const char *const *values, int *retry)
{
	static const char sql[] =
	    "WITH withdrawn AS (DELETE FROM account_login_attempt WHERE id = $5::bigint)"
	    " SELECT"
	    " (SELECT ceil(extract(epoch FROM at + $4::bigint * interval '1 millisecond' - $3::timestamptz))::bigint"
	    "  FROM account_login_attempt WHERE account_key = $1 AND id <> $5::bigint"
	    "  AND at > $3::timestamptz - $4::bigint * interval '1 millisecond'"
	    "  ORDER BY at DESC OFFSET $6::bigint - 1 LIMIT 1),"
	    " (SELECT ceil(extract(epoch FROM at + $4::bigint * interval '1 millisecond' - $3::timestamptz))::bigint"
	    "  FROM account_login_attempt WHERE $2::text IS NOT NULL AND client_addr = $2 AND id <> $5::bigint"
	    "  AND at > $3::timestamptz - $4::bigint * interval '1 millisecond'"
	    "  ORDER BY at DESC OFFSET $7::bigint - 1 LIMIT 1)";
	axr_db_result_t *r = NULL;
	int rc = account__exec(db, "account:attempt:withdraw", sql, 7, values, &r);

	*retry = 1;
	for (int col = 0; rc == 0 && col < 2; col++) {
		int64_t s = 0;
		if (axr_db_result_int64(r, 0, col, &s) == 0 && s > *retry)
			*retry = s > 86400 ? 86400 : (int)s;
	}
	axr_db_result_free(r);
	return rc;
}

int account__attempt_begin(account_t *acc, axr_db_t *db, const char *account_key, const char *addr,
                           axr_arena_t *arena, account__attempt_t *a, account_problem_t *problem)
{
	static const char insert[] = "INSERT INTO account_login_attempt (account_key, client_addr, at)"
	                             " VALUES ($1, $2, $3::timestamptz) RETURNING id";
	static const char count[] =
	    "SELECT"
	    " (SELECT count(*) FROM account_login_attempt WHERE account_key = $1"
	    "  AND at > $3::timestamptz - $4::bigint * interval '1 millisecond'),"
	    " (SELECT count(*) FROM account_login_attempt WHERE $2::text IS NOT NULL AND client_addr = $2"
	    "  AND at > $3::timestamptz - $4::bigint * interval '1 millisecond')";
	axr_db_result_t *r = NULL;
	int64_t n_account = 0, n_addr = 0;
	int rc;

	a->id[0] = '\0';
	if (addr && !*addr)
		addr = NULL;
	const char *values[7] = {account_key, addr, account__ts(arena, account_now(acc)), account__window(acc, arena),
	                         NULL, axr_arena_printf(arena, "%ld", acc->cfg.login_max_account),
	                         axr_arena_printf(arena, "%ld", acc->cfg.login_max_address)};
	if (!values[2] || !values[3] || !values[5] || !values[6])
		return AXR_ENOMEM;
	if ((rc = account__exec(db, "account:attempt:insert", insert, 3, values, &r)) != 0)
		goto done;
	snprintf(a->id, sizeof a->id, "%s", axr_db_result_text(r, 0, 0, NULL) ? axr_db_result_text(r, 0, 0, NULL) : "");
	axr_db_result_free(r);
	r = NULL;
	if ((rc = account__exec(db, "account:attempt:count", count, 4, values, &r)) != 0)
		goto done;
	if (axr_db_result_int64(r, 0, 0, &n_account) != 0 || axr_db_result_int64(r, 0, 1, &n_addr) != 0) {
		rc = AXR_EINTERNAL;
		goto done;
	}
	/* The counts include this attempt: more than `max` failures before it
	 * means it would be failure max + 1. */
	if (n_account > acc->cfg.login_max_account || n_addr > acc->cfg.login_max_address) {
		int retry = 1;
		values[4] = a->id;
		if ((rc = account__retry_after(db, values, &retry)) == 0) {
			a->id[0] = '\0';
			rc = account__fail(problem, AXR_ETOOMANY, NULL, "too many failed log-ins; try again later");
			if (problem)
				problem->retry_after = retry;
		}
	}
done:
	axr_db_result_free(r);
	return rc;
}

int account__attempt_succeeded(account_t *acc, axr_db_t *db, const char *account_key)
{
	(void)acc;
	static const char sql[] = "DELETE FROM account_login_attempt WHERE account_key = $1";
	return account__exec(db, "account:attempt:clear", sql, 1, &account_key, NULL);
}

int account__attempt_cleanup(account_t *acc, axr_db_t *db, long *removed)
{
	static const char sql[] =
	    "DELETE FROM account_login_attempt WHERE id IN (SELECT id FROM account_login_attempt"
	    " WHERE at < $1::timestamptz LIMIT 10000)";
	int64_t keep_us = acc->cfg.login_window_ms * INT64_C(1000);
	char cutoff[ACCOUNT_TS_TEXT];
	axr_db_result_t *r = NULL;

	if (keep_us < INT64_C(3600) * 1000000)
		keep_us = INT64_C(3600) * 1000000; /* an hour of history for the logs */
	if (account__ts_buf(account_now(acc) - keep_us, cutoff) != 0)
		return AXR_EINVAL;
	const char *values[1] = {cutoff};
	int rc = account__exec(db, "account:cleanup:attempts", sql, 1, values, &r);
	if (rc == 0)
		*removed += axr_db_result_affected(r);
	axr_db_result_free(r);
	return rc;
}

int account_cleanup(account_t *acc, axr_db_t *db, long *removed)
{
	long n = 0;
	int rc;

	if (!acc || !db)
		return AXR_EINVAL;
	axr_arena_t *arena = axr_arena_new(0);
	if (!arena)
		return AXR_ENOMEM;
	rc = account__attempt_cleanup(acc, db, &n);
	if (rc == 0)
		rc = account__refresh_cleanup(acc, db, arena, &n);
	axr_arena_free(arena);
	if (removed)
		*removed = n;
	return rc;
}
