/* ticket_request.c: what a POST /tickets body means, in plain C. */
#include "ticket_request.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "err.h"
#include "json.h"
#include "matcher.h"

/* An integer member within [lo, hi]: 1 when present and valid, 0 when
 * absent, -1 when present and not such an integer. */
static int bound(json_object *obj, const char *key, int lo, int hi, int *out)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return -1;
	int64_t n = json_object_get_int64(v);
	if (n < lo || n > hi)
		return -1;
	*out = (int)n;
	return 1;
}

int matchmaking_team_size_parse(const char *json, int *min, int *max, bool *exact)
{
	json_object *root = NULL;
	if (!json || axr_json_parse(json, strlen(json), NULL, &root, NULL) != 0)
		return AXR_EINVAL;
	int rc = AXR_EINVAL, lo = 1, hi = MATCHMAKING_MAX_TEAM_SIZE;
	bool is_exact = false;
	if (json_object_is_type(root, json_type_int)) {
		int64_t n = json_object_get_int64(root);
		if (n >= 1 && n <= MATCHMAKING_MAX_TEAM_SIZE) {
			lo = hi = (int)n;
			is_exact = true;
			rc = 0;
		}
	} else if (json_object_is_type(root, json_type_object) && json_object_object_length(root) > 0) {
		int gte = 0, gt = 0, lte = 0, lt = 0;
		int has_gte = bound(root, "gte", 1, MATCHMAKING_MAX_TEAM_SIZE, &gte);
		int has_gt = bound(root, "gt", 0, MATCHMAKING_MAX_TEAM_SIZE - 1, &gt);
		int has_lte = bound(root, "lte", 1, MATCHMAKING_MAX_TEAM_SIZE, &lte);
		int has_lt = bound(root, "lt", 2, MATCHMAKING_MAX_TEAM_SIZE + 1, &lt);
		bool ok = has_gte >= 0 && has_gt >= 0 && has_lte >= 0 && has_lt >= 0 && !(has_gte && has_gt) &&
		          !(has_lte && has_lt) && json_object_object_length(root) == has_gte + has_gt + has_lte + has_lt;
		if (ok) {
			lo = has_gte ? gte : has_gt ? gt + 1 : 1;
			hi = has_lte ? lte : has_lt ? lt - 1 : MATCHMAKING_MAX_TEAM_SIZE;
			rc = lo <= hi ? 0 : AXR_EINVAL;
		}
	}
	json_object_put(root);
	if (rc == 0) {
		*min = lo;
		*max = hi;
		*exact = is_exact;
	}
	return rc;
}

int matchmaking_team_size_json(int min, int max, bool exact, char *out, size_t cap)
{
	int n = exact ? snprintf(out, cap, "%d", min) : snprintf(out, cap, "{\"gte\":%d,\"lte\":%d}", min, max);
	return n >= 0 && (size_t)n < cap ? 0 : AXR_ETOOBIG;
}

int matchmaking_ticket_party_allowed(const char *caller, bool trusted, const char *const *users, size_t n)
{
	if (trusted)
		return 0;
	if (!caller || !*caller)
		return AXR_EUNAUTHORIZED;
	for (size_t i = 0; i < n; i++)
		if (!users[i] || strcasecmp(users[i], caller) != 0)
			return AXR_EFORBIDDEN;
	return 0;
}
