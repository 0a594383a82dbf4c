/* sql.c: helpers the account core shares: statements, user rows, timestamps, input rules. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "err.h"
#include "utf8.h"

#include "account_internal.h"

int account__exec(axr_db_t *db, const char *name, const char *sql, int n, const char *const *values,
                  axr_db_result_t **out)
{
	return axr_db_exec(db, name, sql, n, values, NULL, NULL, out);
}

int account__fail(account_problem_t *problem, int rc, const char *field, const char *message)
{
	if (problem) {
		problem->field = field;
		problem->message = message;
	}
	return rc;
}

/* Copies column `col` of `row` into the arena; NULL stays NULL. */
static int account__text(axr_db_result_t *r, int row, int col, axr_arena_t *arena, const char **out)
{
	size_t len = 0;
	const char *s = axr_db_result_text(r, row, col, &len);
	*out = NULL;
	if (!s)
		return 0;
	*out = axr_arena_strndup(arena, s, len);
	return *out ? 0 : AXR_ENOMEM;
}

/* Parses a JSON array of strings (the roles column) into u->roles. */
static int account__roles_parse(const char *json, axr_arena_t *arena, account_user_t *u)
{
	struct json_object *arr = json_tokener_parse(json ? json : "[]");
	int rc = 0;

	u->roles = NULL;
	u->nroles = 0;
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		rc = AXR_EINTERNAL;
		goto done;
	}
	size_t n = json_object_array_length(arr);
	if (n == 0)
		goto done;
	u->roles = axr_arena_calloc(arena, n, sizeof *u->roles);
	if (!u->roles) {
		rc = AXR_ENOMEM;
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *it = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(it, json_type_string))
			continue; /* only an admin writes roles, always as strings */
		const char *s = axr_arena_strdup(arena, json_object_get_string(it));
		if (!s) {
			rc = AXR_ENOMEM;
			goto done;
		}
		u->roles[u->nroles++] = s;
	}
done:
	json_object_put(arr);
	return rc;
}

static bool account__bool(axr_db_result_t *r, int row, int col)
{
	bool b = false;
	return axr_db_result_bool(r, row, col, &b) == 0 && b;
}

int account__user_from_row(axr_db_result_t *r, int row, int col0, axr_arena_t *arena, account_user_t *u)
{
	int rc;

	memset(u, 0, sizeof *u);
	if (axr_db_result_cols(r) < col0 + ACCOUNT_USER_NCOLUMNS ||
	    axr_db_result_int64(r, row, col0 + 3, &u->version) != 0)
		return AXR_EINTERNAL;
	if ((rc = account__text(r, row, col0, arena, &u->uid)) != 0 ||
	    (rc = account__text(r, row, col0 + 1, arena, &u->date_created)) != 0 ||
	    (rc = account__text(r, row, col0 + 2, arena, &u->date_modified)) != 0 ||
	    (rc = account__text(r, row, col0 + 4, arena, &u->name)) != 0 ||
	    (rc = account__text(r, row, col0 + 5, arena, &u->email)) != 0 ||
	    (rc = account__text(r, row, col0 + 6, arena, &u->given_name)) != 0 ||
	    (rc = account__text(r, row, col0 + 7, arena, &u->family_name)) != 0 ||
	    (rc = account__text(r, row, col0 + 8, arena, &u->locale)) != 0 ||
	    (rc = account__roles_parse(axr_db_result_text(r, row, col0 + 9, NULL), arena, u)) != 0 ||
	    (rc = account__text(r, row, col0 + 13, arena, &u->last_login)) != 0)
		return rc;
	u->verified_email = account__bool(r, row, col0 + 10);
	u->verified_phone = account__bool(r, row, col0 + 11);
	u->guest = account__bool(r, row, col0 + 12);
	return 0;
}

int account__ts_buf(int64_t us, char out[ACCOUNT_TS_TEXT])
{
	time_t secs = (time_t)(us / 1000000);
	struct tm tm;

	if (us < 0 || !gmtime_r(&secs, &tm))
		return AXR_EINVAL;
	size_t n = strftime(out, ACCOUNT_TS_TEXT, "%Y-%m-%d %H:%M:%S", &tm);
	if (n == 0)
		return AXR_EINVAL;
	snprintf(out + n, ACCOUNT_TS_TEXT - n, ".%06d+00", (int)(us % 1000000));
	return 0;
}

char *account__ts(axr_arena_t *arena, int64_t us)
{
	char buf[ACCOUNT_TS_TEXT];
	return account__ts_buf(us, buf) == 0 ? axr_arena_strdup(arena, buf) : NULL;
}

char *account__roles_json(axr_arena_t *arena, const char *const *roles, size_t n)
{
	struct json_object *arr = json_object_new_array();
	char *out = NULL;

	if (!arr)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_new_string(roles[i]);
		if (!s || json_object_array_add(arr, s) != 0) {
			json_object_put(s);
			goto done;
		}
	}
	out = axr_arena_strdup(arena, json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
done:
	json_object_put(arr);
	return out;
}

const char *account__unique_field(const axr_db_t *db)
{
	const char *c = axr_db_last_error(db)->constraint;
	if (strcmp(c, "user_name_key") == 0 || strcmp(c, "user_name_lower_key") == 0)
		return "/name";
	if (strcmp(c, "user_email_key") == 0)
		return "/email";
	return NULL;
}

char *account__email_normalize(axr_arena_t *arena, const char *email)
{
	size_t len = email ? strlen(email) : 0, at = 0, ats = 0;

	if (len < 3 || len > ACCOUNT_LOGIN_MAX)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)email[i];
		if (ch <= 0x20 || ch == 0x7f)
			return NULL;
		if (ch == '@') {
			at = i;
			ats++;
		}
	}
	if (ats != 1 || at == 0 || at == len - 1 || axr_utf8_validate(email, len) != 0)
		return NULL;
	char *out = axr_arena_strndup(arena, email, len);
	for (size_t i = 0; out && i < len; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	return out;
}

void account__hash_text(const void *data, size_t len, char out[ACCOUNT_HASH_TEXT])
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, data, len);
	out[0] = '\\';
	out[1] = 'x';
	sodium_bin2hex(out + 2, ACCOUNT_HASH_TEXT - 2, digest, sizeof digest);
}

static bool account__name_char(char c, bool first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '_' || c == '.' || c == '-');
}

bool account_name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;
	if (len < 3 || len > 32)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!account__name_char(name[i], i == 0))
			return false;
	return true;
}

bool account_role_name_valid(const char *role)
{
	size_t len = role ? strlen(role) : 0;
	if (len < 1 || len > 32 || role[0] < 'a' || role[0] > 'z')
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = role[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

bool account_uuid_valid(const char *s)
{
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return true;
}
