/* password.c: password rules and argon2id hashing (libsodium crypto_pwhash_str). */
#include <string.h>

#include "err.h"
#include "utf8.h"

#include "account_internal.h"

int account__password_rules(const char *password, account_problem_t *problem)
{
	size_t len = password ? strlen(password) : 0, points = 0;

	if (len > ACCOUNT_PASSWORD_MAX)
		return account__fail(problem, AXR_EVALIDATION, "/password", "must be at most 1024 bytes");
	if (axr_utf8_validate(password, len) != 0)
		return account__fail(problem, AXR_EVALIDATION, "/password", "must be valid UTF-8");
	for (size_t i = 0; i < len; i++)
		points += ((unsigned char)password[i] & 0xC0) != 0x80;
	if (points < ACCOUNT_PASSWORD_MIN)
		return account__fail(problem, AXR_EVALIDATION, "/password", "must be at least 8 characters");
	return 0;
}

int account__password_hash(const account_t *acc, const char *password, char *out)
{
	/* crypto_pwhash_str fails only when the memory cannot be had (the
	 * limits were checked against libsodium's at start-up). */
	if (crypto_pwhash_str(out, password, strlen(password), (unsigned long long)acc->cfg.pwhash_opslimit,
	                      (size_t)acc->cfg.pwhash_memlimit) != 0)
		return AXR_ENOMEM;
	return 0;
}

bool account__password_verify(const account_t *acc, const char *hash, const char *password)
{
	/* libsodium compares the derived key in constant time; a NULL hash
	 * (unknown login, guest without password) costs the same KDF run. */
	bool real = hash != NULL;
	const char *h = real ? hash : acc->dummy_hash;
	int ok = crypto_pwhash_str_verify(h, password, strlen(password)) == 0;
	return real && ok;
}

bool account__password_needs_rehash(const account_t *acc, const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, (unsigned long long)acc->cfg.pwhash_opslimit,
	                                      (size_t)acc->cfg.pwhash_memlimit) != 0;
}

int account__password_store(account_t *acc, axr_db_t *db, axr_arena_t *arena, const char *uid, const char *hash)
{
	static const char sql[] = "INSERT INTO account_password (user_uid, hash, updated_at)"
	                          " VALUES ($1::uuid, $2, $3::timestamptz) ON CONFLICT (user_uid)"
	                          " DO UPDATE SET hash = EXCLUDED.hash, updated_at = EXCLUDED.updated_at";
	const char *values[3] = {uid, hash, account__ts(arena, account_now(acc))};
	if (!values[2])
		return AXR_ENOMEM;
	return account__exec(db, "account:password:store", sql, 3, values, NULL);
}
