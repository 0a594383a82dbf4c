/* store.c: matchmaking tickets and matches in PostgreSQL: schema, queue, read, cancel. */
#include "store.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <json-c/json.h>

#include "err.h"
#include "json.h"
#include "store_internal.h"
#include "ticket_request.h"

/* ---- shared helpers (store_internal.h) ------------------------------------ */

bool matchmaking__uuid_valid(const char *s)
{
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

char *matchmaking__uuid_lower(axr_arena_t *arena, const char *s)
{
	char *out = axr_arena_strdup(arena, s);
	for (char *p = out; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return out;
}

int matchmaking__uuid_v4(char out[37])
{
	unsigned char b[16];
	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
		return AXR_EIO;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
	         b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/* The strings of JSON array `v` into the arena. */
static int strings_from(axr_arena_t *arena, json_object *v, const char ***out, size_t *n)
{
	if (!json_object_is_type(v, json_type_array))
		return AXR_EPARSE;
	size_t len = json_object_array_length(v);
	const char **items = axr_arena_calloc(arena, len ? len : 1, sizeof *items);
	if (!items)
		return AXR_ENOMEM;
	for (size_t i = 0; i < len; i++) {
		json_object *s = json_object_array_get_idx(v, i);
		if (!json_object_is_type(s, json_type_string))
			return AXR_EPARSE;
		if (!(items[i] = axr_arena_strdup(arena, json_object_get_string(s))))
			return AXR_ENOMEM;
	}
	*out = items;
	*n = len;
	return 0;
}

int matchmaking__json_strings(axr_arena_t *arena, const char *json, const char ***out, size_t *n)
{
	json_object *root = NULL;
	*out = NULL;
	*n = 0;
	if (!json || axr_json_parse(json, strlen(json), NULL, &root, NULL) != 0)
		return AXR_EPARSE;
	int rc = strings_from(arena, root, out, n);
	json_object_put(root);
	return rc;
}

int matchmaking__json_criteria(axr_arena_t *arena, const char *json, matchmaking_criterion_t **out, size_t *n)
{
	json_object *root = NULL;
	*out = NULL;
	*n = 0;
	if (!json || axr_json_parse(json, strlen(json), NULL, &root, NULL) != 0 ||
	    !json_object_is_type(root, json_type_array)) {
		json_object_put(root);
		return AXR_EPARSE;
	}
	int rc = 0;
	size_t len = json_object_array_length(root);
	matchmaking_criterion_t *items = axr_arena_calloc(arena, len ? len : 1, sizeof *items);
	if (!items)
		rc = AXR_ENOMEM;
	for (size_t i = 0; rc == 0 && i < len; i++) {
		json_object *v = json_object_array_get_idx(root, i), *name = NULL, *value = NULL;
		if (!json_object_object_get_ex(v, "name", &name) || !json_object_object_get_ex(v, "value", &value) ||
		    !json_object_is_type(name, json_type_string) || !json_object_is_type(value, json_type_string))
			rc = AXR_EPARSE;
		else if (!(items[i].name = axr_arena_strdup(arena, json_object_get_string(name))) ||
		         !(items[i].value = axr_arena_strdup(arena, json_object_get_string(value))))
			rc = AXR_ENOMEM;
	}
	json_object_put(root);
	if (rc == 0) {
		*out = items;
		*n = len;
	}
	return rc;
}

void matchmaking__buf_strings(axr_buf_t *b, const char *const *s, size_t n)
{
	axr_buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			axr_buf_putc(b, ',');
		axr_buf_json_string(b, s[i], strlen(s[i]));
	}
	axr_buf_putc(b, ']');
}

const char *matchmaking__text(axr_arena_t *arena, const axr_db_result_t *r, int row, int col, bool *oom)
{
	size_t len = 0;
	const char *s = axr_db_result_text(r, row, col, &len);
	if (!s)
		return NULL;
	char *copy = axr_arena_strndup(arena, s, len);
	if (!copy)
		*oom = true;
	return copy;
}

const char *matchmaking_status_name(matchmaking_status_t s)
{
	switch (s) {
	case MATCHMAKING_QUEUED: return "QUEUED";
	case MATCHMAKING_MATCH_FOUND: return "MATCH_FOUND";
	case MATCHMAKING_CANCELLED: return "CANCELLED";
	case MATCHMAKING_EXPIRED: return "EXPIRED";
	}
	return "";
}

static int status_parse(const char *s, matchmaking_status_t *out)
{
	for (int i = MATCHMAKING_QUEUED; i <= MATCHMAKING_EXPIRED; i++)
		if (s && strcmp(s, matchmaking_status_name((matchmaking_status_t)i)) == 0) {
			*out = (matchmaking_status_t)i;
			return 0;
		}
	return AXR_EPARSE;
}

/* ---- schema --------------------------------------------------------------- */

static const char *const schema_sql[] = {
    "SELECT pg_advisory_xact_lock(hashtext('axr:matchmaking:schema'))",
    /* The Ticket entity (spec/matchmaking.yaml), as the DB mapping makes it. */
    "CREATE TABLE IF NOT EXISTS ticket ("
    " uid uuid PRIMARY KEY,"
    " date_created timestamptz NOT NULL,"
    " date_modified timestamptz NOT NULL,"
    " version bigint NOT NULL,"
    " users jsonb NOT NULL,"
    " host_uid uuid NOT NULL,"
    " criteria jsonb NOT NULL,"
    " statistics jsonb NOT NULL,"
    " num_teams bigint NOT NULL,"
    " team_size jsonb NOT NULL,"
    " num_users bigint NOT NULL,"
    " status text NOT NULL,"
    " match_uid uuid,"
    " date_expires timestamptz NOT NULL,"
    " date_closed timestamptz)",
    /* The queue: QUEUED tickets by group, oldest first (md5: criteria may be
     * longer than a btree entry allows). */
    "CREATE INDEX IF NOT EXISTS ticket_queue_idx ON ticket (md5(criteria::text), num_teams, date_created)"
    " WHERE status = 'QUEUED'",
    "CREATE TABLE IF NOT EXISTS ticket_member ("
    " ticket_uid uuid NOT NULL REFERENCES ticket (uid) ON DELETE CASCADE,"
    " user_uid uuid NOT NULL,"
    " queued boolean NOT NULL,"
    " PRIMARY KEY (ticket_uid, user_uid))",
    /* One QUEUED ticket per user, whatever the concurrency. */
    "CREATE UNIQUE INDEX IF NOT EXISTS ticket_member_one_queued ON ticket_member (user_uid) WHERE queued",
    /* The Match entity. */
    "CREATE TABLE IF NOT EXISTS match ("
    " uid uuid PRIMARY KEY,"
    " date_created timestamptz NOT NULL,"
    " date_modified timestamptz NOT NULL,"
    " version bigint NOT NULL,"
    " criteria jsonb NOT NULL,"
    " num_teams bigint NOT NULL,"
    " team_size bigint NOT NULL,"
    " teams jsonb NOT NULL,"
    " tickets jsonb NOT NULL,"
    " players jsonb NOT NULL,"
    " skill_spread double precision NOT NULL,"
    " team_skill_difference double precision NOT NULL,"
    " max_latency double precision)",
};

static int schema_tx(axr_db_t *db, void *ctx)
{
	(void)ctx;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof schema_sql / sizeof schema_sql[0]; i++)
		rc = axr_db_exec(db, NULL, schema_sql[i], 0, NULL, NULL, NULL, NULL);
	return rc;
}

int matchmaking_store_migrate(axr_db_t *db)
{
	if (!db)
		return AXR_EINVAL;
	return axr_db_tx_run(db, AXR_DB_READ_COMMITTED, schema_tx, NULL, 3);
}

/* ---- ticket rows ------------------------------------------------------------ */

/* The select list every ticket statement returns, in enum ticket_col order. */
#define TICKET_COLS                                                                                    \
	"uid, " MM_SQL_TIME("date_created") ", " MM_SQL_TIME("date_modified") ", version, users::text, "   \
	"host_uid, criteria::text, (statistics->>'skillrating')::float8, (statistics->>'latency')::float8, " \
	"num_teams, " MM_SQL_TEAM_MIN ", " MM_SQL_TEAM_MAX ", jsonb_typeof(team_size) = 'number', "         \
	"num_users, status, match_uid, " MM_SQL_TIME("date_expires") ", " MM_SQL_TIME("date_closed")

enum ticket_col {
	TC_UID, TC_CREATED, TC_MODIFIED, TC_VERSION, TC_USERS, TC_HOST, TC_CRITERIA, TC_SKILL, TC_LATENCY,
	TC_NUM_TEAMS, TC_TEAM_MIN, TC_TEAM_MAX, TC_TEAM_EXACT, TC_NUM_USERS, TC_STATUS, TC_MATCH, TC_EXPIRES,
	TC_CLOSED,
};

static int get_int(const axr_db_result_t *r, int row, int col, int *out)
{
	int64_t v = 0;
	int rc = axr_db_result_int64(r, row, col, &v);
	if (rc == 0 && (v < INT32_MIN || v > INT32_MAX))
		rc = AXR_ERANGE;
	*out = (int)v;
	return rc;
}

static int ticket_from_row(axr_arena_t *arena, const axr_db_result_t *r, int row, matchmaking_ticket_row_t **out)
{
	bool oom = false;
	matchmaking_ticket_row_t *t = axr_arena_calloc(arena, 1, sizeof *t);
	if (!t)
		return AXR_ENOMEM;
	t->uid = matchmaking__text(arena, r, row, TC_UID, &oom);
	t->date_created = matchmaking__text(arena, r, row, TC_CREATED, &oom);
	t->date_modified = matchmaking__text(arena, r, row, TC_MODIFIED, &oom);
	t->host_uid = matchmaking__text(arena, r, row, TC_HOST, &oom);
	t->match_uid = matchmaking__text(arena, r, row, TC_MATCH, &oom);
	t->date_expires = matchmaking__text(arena, r, row, TC_EXPIRES, &oom);
	t->date_closed = matchmaking__text(arena, r, row, TC_CLOSED, &oom);
	if (oom)
		return AXR_ENOMEM;
	int rc = axr_db_result_int64(r, row, TC_VERSION, &t->version);
	if (rc == 0)
		rc = matchmaking__json_strings(arena, axr_db_result_text(r, row, TC_USERS, NULL), &t->users, &t->n_users);
	if (rc == 0)
		rc = matchmaking__json_criteria(arena, axr_db_result_text(r, row, TC_CRITERIA, NULL), &t->criteria,
		                                &t->n_criteria);
	if (rc == 0)
		rc = axr_db_result_double(r, row, TC_SKILL, &t->skill);
	if (rc == 0) {
		rc = axr_db_result_double(r, row, TC_LATENCY, &t->latency);
		t->has_latency = rc == 0;
		if (rc == AXR_ENOTFOUND)
			rc = 0;
	}
	if (rc == 0)
		rc = get_int(r, row, TC_NUM_TEAMS, &t->num_teams);
	if (rc == 0)
		rc = get_int(r, row, TC_TEAM_MIN, &t->team_min);
	if (rc == 0)
		rc = get_int(r, row, TC_TEAM_MAX, &t->team_max);
	if (rc == 0)
		rc = axr_db_result_bool(r, row, TC_TEAM_EXACT, &t->team_exact);
	if (rc == 0)
		rc = get_int(r, row, TC_NUM_USERS, &t->num_users);
	if (rc == 0)
		rc = status_parse(axr_db_result_text(r, row, TC_STATUS, NULL), &t->status);
	if (rc != 0)
		return rc == AXR_ENOMEM ? rc : AXR_EINTERNAL; /* a row the store did not write */
	*out = t;
	return 0;
}

/* Runs a statement answering at most one ticket row: 0 and *out, or
 * AXR_ENOTFOUND when it answered none. */
static int ticket_query(axr_db_t *db, axr_arena_t *arena, const char *name, const char *sql, int nparams,
                        const char *const *values, matchmaking_ticket_row_t **out)
{
	axr_db_result_t *r = NULL;
	int rc = axr_db_exec(db, name, sql, nparams, values, NULL, NULL, &r);
	if (rc == 0)
		rc = axr_db_result_rows(r) == 0 ? AXR_ENOTFOUND : ticket_from_row(arena, r, 0, out);
	axr_db_result_free(r);
	return rc;
}

/* ---- queueing --------------------------------------------------------------- */

static bool criterion_name_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.:-", s[i]))
			return false;
	return true;
}

static int cmp_criterion(const void *pa, const void *pb)
{
	const matchmaking_criterion_t *a = pa, *b = pb;
	return strcmp(a->name, b->name);
}

/* Checks `in` and writes its JSON columns (users lower-cased, criteria
 * sorted) into the buffers. */
static int ticket_new_json(axr_arena_t *arena, const matchmaking_ticket_new_t *in, axr_buf_t *users,
                           axr_buf_t *criteria, axr_buf_t *stats, axr_buf_t *team_size)
{
	int max_players = in->max_players > 0 ? in->max_players : 256;
	int smallest = in->team_min > (int)in->n_users ? in->team_min : (int)in->n_users;
	if (!in->users || in->n_users < 1 || in->n_users > MATCHMAKING_MAX_PARTY || !matchmaking__uuid_valid(in->host_uid) ||
	    in->n_criteria > 16 || (in->n_criteria && !in->criteria) || in->num_teams < 1 ||
	    in->num_teams > MATCHMAKING_MAX_TEAMS || in->team_min < 1 || in->team_min > in->team_max ||
	    in->team_max > MATCHMAKING_MAX_TEAM_SIZE || (in->team_exact && in->team_min != in->team_max) ||
	    (int)in->n_users > in->team_max || (long)in->num_teams * smallest > max_players ||
	    !isfinite(in->skill) || in->skill < 0 || (in->has_latency && (!isfinite(in->latency) || in->latency < 0)) ||
	    in->max_wait_ms <= 0)
		return AXR_EINVAL;
	const char **lower = axr_arena_calloc(arena, in->n_users, sizeof *lower);
	matchmaking_criterion_t *sorted = axr_arena_calloc(arena, in->n_criteria + 1, sizeof *sorted);
	if (!lower || !sorted)
		return AXR_ENOMEM;
	for (size_t i = 0; i < in->n_users; i++) {
		if (!matchmaking__uuid_valid(in->users[i]))
			return AXR_EINVAL;
		if (!(lower[i] = matchmaking__uuid_lower(arena, in->users[i])))
			return AXR_ENOMEM;
		for (size_t j = 0; j < i; j++)
			if (strcmp(lower[i], lower[j]) == 0)
				return AXR_EINVAL;
	}
	for (size_t i = 0; i < in->n_criteria; i++) {
		const matchmaking_criterion_t *c = &in->criteria[i];
		if (!criterion_name_valid(c->name) || !c->value || strlen(c->value) > 256)
			return AXR_EINVAL;
		sorted[i] = *c;
	}
	qsort(sorted, in->n_criteria, sizeof *sorted, cmp_criterion);
	axr_buf_putc(criteria, '[');
	for (size_t i = 0; i < in->n_criteria; i++) {
		if (i > 0 && strcmp(sorted[i].name, sorted[i - 1].name) == 0)
			return AXR_EINVAL;
		axr_buf_puts(criteria, i ? ",{\"name\":" : "{\"name\":");
		axr_buf_json_string(criteria, sorted[i].name, strlen(sorted[i].name));
		axr_buf_puts(criteria, ",\"value\":");
		axr_buf_json_string(criteria, sorted[i].value, strlen(sorted[i].value));
		axr_buf_putc(criteria, '}');
	}
	axr_buf_putc(criteria, ']');
	matchmaking__buf_strings(users, lower, in->n_users);
	axr_buf_printf(stats, "{\"skillrating\":%.17g", in->skill);
	if (in->has_latency)
		axr_buf_printf(stats, ",\"latency\":%.17g", in->latency);
	axr_buf_putc(stats, '}');
	char size_json[32];
	if (matchmaking_team_size_json(in->team_min, in->team_max, in->team_exact, size_json, sizeof size_json) != 0)
		return AXR_EINVAL;
	axr_buf_puts(team_size, size_json);
	return axr_buf_ok(users) && axr_buf_ok(criteria) && axr_buf_ok(stats) && axr_buf_ok(team_size) ? 0
	                                                                                                 : AXR_ENOMEM;
}

static const char ticket_create_sql[] =
    "WITH t AS (INSERT INTO ticket (uid, date_created, date_modified, version, users, host_uid, criteria,"
    " statistics, num_teams, team_size, num_users, status, date_expires)"
    " VALUES (gen_random_uuid(), now(), now(), 0, $1::jsonb, $2::uuid, $3::jsonb, $4::jsonb, $5::bigint,"
    " $6::jsonb, $7::bigint, 'QUEUED', now() + $8::bigint * interval '1 millisecond') RETURNING *),"
    " m AS (INSERT INTO ticket_member (ticket_uid, user_uid, queued)"
    " SELECT t.uid, u.value::uuid, true FROM t, jsonb_array_elements_text(t.users) u)"
    " SELECT " TICKET_COLS " FROM t";

int matchmaking_store_ticket_create(axr_db_t *db, axr_arena_t *arena, const matchmaking_ticket_new_t *in,
                                    matchmaking_ticket_row_t **out)
{
	if (!db || !arena || !in || !out)
		return AXR_EINVAL;
	*out = NULL;
	axr_buf_t users = AXR_BUF_INIT, criteria = AXR_BUF_INIT, stats = AXR_BUF_INIT, team_size = AXR_BUF_INIT;
	int rc = ticket_new_json(arena, in, &users, &criteria, &stats, &team_size);
	if (rc != 0)
		goto fail;
	char num_teams[16], num_users[16], wait[24];
	snprintf(num_teams, sizeof num_teams, "%d", in->num_teams);
	snprintf(num_users, sizeof num_users, "%zu", in->n_users);
	snprintf(wait, sizeof wait, "%ld", in->max_wait_ms);
	const char *host = matchmaking__uuid_lower(arena, in->host_uid);
	if (!host) {
		rc = AXR_ENOMEM;
		goto fail;
	}
	const char *values[] = {users.data, host, criteria.data, stats.data, num_teams, team_size.data, num_users, wait};
	rc = ticket_query(db, arena, "mm:ticket_create", ticket_create_sql, 8, values, out);
	if (rc == AXR_EEXISTS && strcmp(axr_db_last_error(db)->constraint, "ticket_member_one_queued") != 0)
		rc = AXR_EINTERNAL; /* any other unique violation is not the caller's doing */
fail:
	axr_buf_free(&team_size);
	axr_buf_free(&stats);
	axr_buf_free(&criteria);
	axr_buf_free(&users);
	return rc;
}

/* ---- reading and cancelling ------------------------------------------------------ */

/* The caller's uid in lower case for membership tests (NULL: trusted).
 * AXR_ENOTFOUND when the ticket or caller uid is not a uuid. */
static int ids(axr_arena_t *arena, const char *uid, const char *caller, const char **uid_out,
               const char **caller_out)
{
	if (!matchmaking__uuid_valid(uid) || (caller && !matchmaking__uuid_valid(caller)))
		return AXR_ENOTFOUND;
	*uid_out = matchmaking__uuid_lower(arena, uid);
	*caller_out = caller ? matchmaking__uuid_lower(arena, caller) : NULL;
	return !*uid_out || (caller && !*caller_out) ? AXR_ENOMEM : 0;
}

#define TICKET_MEMBER_OK(uid_param, caller_param)                                                   \
	"(" caller_param "::uuid IS NULL OR EXISTS (SELECT 1 FROM ticket_member m WHERE m.ticket_uid = " \
	uid_param "::uuid AND m.user_uid = " caller_param "::uuid))"

static const char ticket_get_sql[] =
    "SELECT " TICKET_COLS " FROM ticket WHERE uid = $1::uuid AND " TICKET_MEMBER_OK("$1", "$2");

int matchmaking_store_ticket_get(axr_db_t *db, axr_arena_t *arena, const char *uid, const char *caller,
                                 matchmaking_ticket_row_t **out)
{
	if (!db || !arena || !out)
		return AXR_EINVAL;
	*out = NULL;
	const char *values[2];
	int rc = ids(arena, uid, caller, &values[0], &values[1]);
	if (rc == 0)
		rc = ticket_query(db, arena, "mm:ticket_get", ticket_get_sql, 2, values, out);
	return rc;
}

static const char ticket_cancel_sql[] =
    "WITH t AS (UPDATE ticket SET status = 'CANCELLED', version = version + 1, date_modified = now(),"
    " date_closed = now() WHERE uid = $1::uuid AND status = 'QUEUED' AND " TICKET_MEMBER_OK("$1", "$2")
    " RETURNING *),"
    " u AS (UPDATE ticket_member SET queued = false WHERE ticket_uid IN (SELECT uid FROM t))"
    " SELECT " TICKET_COLS " FROM t";

int matchmaking_store_ticket_cancel(axr_db_t *db, axr_arena_t *arena, const char *uid, const char *caller,
                                    matchmaking_ticket_row_t **out)
{
	if (!db || !arena || !out)
		return AXR_EINVAL;
	*out = NULL;
	const char *values[2];
	int rc = ids(arena, uid, caller, &values[0], &values[1]);
	if (rc != 0)
		return rc; /* not a uuid: AXR_ENOTFOUND */
	rc = ticket_query(db, arena, "mm:ticket_cancel", ticket_cancel_sql, 2, values, out);
	if (rc == 0)
		(*out)->cancelled_now = true;
	if (rc != AXR_ENOTFOUND)
		return rc;
	/* Not cancelled now: missing, not the caller's, or no longer QUEUED. */
	rc = ticket_query(db, arena, "mm:ticket_get", ticket_get_sql, 2, values, out);
	if (rc == 0 && (*out)->status != MATCHMAKING_CANCELLED)
		rc = AXR_ECONFLICT;
	return rc;
}

/* ---- matches ---------------------------------------------------------------- */

#define MATCH_COLS                                                                                     \
	"uid, " MM_SQL_TIME("date_created") ", " MM_SQL_TIME("date_modified") ", version, criteria::text, " \
	"num_teams, team_size, teams::text, tickets::text, players::text, skill_spread, team_skill_difference, " \
	"max_latency"

enum match_col {
	MC_UID, MC_CREATED, MC_MODIFIED, MC_VERSION, MC_CRITERIA, MC_NUM_TEAMS, MC_TEAM_SIZE, MC_TEAMS, MC_TICKETS,
	MC_PLAYERS, MC_SPREAD, MC_DIFF, MC_LATENCY,
};

static int strings_member(axr_arena_t *arena, json_object *obj, const char *key, const char ***out, size_t *n)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(obj, key, &v))
		return AXR_EPARSE;
	return strings_from(arena, v, out, n);
}

static int teams_parse(axr_arena_t *arena, const char *json, matchmaking_match_row_t *m)
{
	json_object *root = NULL;
	if (!json || axr_json_parse(json, strlen(json), NULL, &root, NULL) != 0 ||
	    !json_object_is_type(root, json_type_array)) {
		json_object_put(root);
		return AXR_EPARSE;
	}
	int rc = 0;
	m->n_teams = json_object_array_length(root);
	m->teams = axr_arena_calloc(arena, m->n_teams ? m->n_teams : 1, sizeof *m->teams);
	if (!m->teams)
		rc = AXR_ENOMEM;
	for (size_t i = 0; rc == 0 && i < m->n_teams; i++) {
		json_object *team = json_object_array_get_idx(root, i), *skill = NULL;
		matchmaking_team_row_t *t = &m->teams[i];
		rc = strings_member(arena, team, "members", &t->members, &t->n_members);
		if (rc == 0)
			rc = strings_member(arena, team, "tickets", &t->tickets, &t->n_tickets);
		if (rc == 0 && !json_object_object_get_ex(team, "skillrating", &skill))
			rc = AXR_EPARSE;
		if (rc == 0)
			t->skill = json_object_get_double(skill);
	}
	json_object_put(root);
	return rc;
}

static int match_from_row(axr_arena_t *arena, const axr_db_result_t *r, int row, matchmaking_match_row_t **out)
{
	bool oom = false;
	matchmaking_match_row_t *m = axr_arena_calloc(arena, 1, sizeof *m);
	if (!m)
		return AXR_ENOMEM;
	m->uid = matchmaking__text(arena, r, row, MC_UID, &oom);
	m->date_created = matchmaking__text(arena, r, row, MC_CREATED, &oom);
	m->date_modified = matchmaking__text(arena, r, row, MC_MODIFIED, &oom);
	if (oom)
		return AXR_ENOMEM;
	int rc = axr_db_result_int64(r, row, MC_VERSION, &m->version);
	if (rc == 0)
		rc = matchmaking__json_criteria(arena, axr_db_result_text(r, row, MC_CRITERIA, NULL), &m->criteria,
		                                &m->n_criteria);
	if (rc == 0)
		rc = get_int(r, row, MC_NUM_TEAMS, &m->num_teams);
	if (rc == 0)
		rc = get_int(r, row, MC_TEAM_SIZE, &m->team_size);
	if (rc == 0)
		rc = teams_parse(arena, axr_db_result_text(r, row, MC_TEAMS, NULL), m);
	if (rc == 0)
		rc = matchmaking__json_strings(arena, axr_db_result_text(r, row, MC_TICKETS, NULL), &m->tickets,
		                               &m->n_tickets);
	if (rc == 0)
		rc = matchmaking__json_strings(arena, axr_db_result_text(r, row, MC_PLAYERS, NULL), &m->players,
		                               &m->n_players);
	if (rc == 0)
		rc = axr_db_result_double(r, row, MC_SPREAD, &m->skill_spread);
	if (rc == 0)
		rc = axr_db_result_double(r, row, MC_DIFF, &m->team_skill_diff);
	if (rc == 0) {
		rc = axr_db_result_double(r, row, MC_LATENCY, &m->max_latency);
		m->has_max_latency = rc == 0;
		if (rc == AXR_ENOTFOUND)
			rc = 0;
	}
	if (rc != 0)
		return rc == AXR_ENOMEM ? rc : AXR_EINTERNAL;
	*out = m;
	return 0;
}

static const char match_get_sql[] =
    "SELECT " MATCH_COLS " FROM match WHERE uid = $1::uuid AND ($2::text IS NULL OR players ? $2::text)";

int matchmaking_store_match_get(axr_db_t *db, axr_arena_t *arena, const char *uid, const char *caller,
                                matchmaking_match_row_t **out)
{
	if (!db || !arena || !out)
		return AXR_EINVAL;
	*out = NULL;
	const char *values[2];
	axr_db_result_t *r = NULL;
	int rc = ids(arena, uid, caller, &values[0], &values[1]);
	if (rc == 0)
		rc = axr_db_exec(db, "mm:match_get", match_get_sql, 2, values, NULL, NULL, &r);
	if (rc == 0)
		rc = axr_db_result_rows(r) == 0 ? AXR_ENOTFOUND : match_from_row(arena, r, 0, out);
	axr_db_result_free(r);
	return rc;
}

/* ---- batch reads (the event publisher) ------------------------------------------ */

/* `uids` as a PostgreSQL uuid[] literal, {a,b,...}. */
static int uuid_array(const char *const *uids, size_t n, axr_buf_t *out)
{
	if (n > MATCHMAKING_STORE_READ_MAX || (n && !uids))
		return AXR_EINVAL;
	axr_buf_putc(out, '{');
	for (size_t i = 0; i < n; i++) {
		if (!matchmaking__uuid_valid(uids[i]))
			return AXR_EINVAL;
		if (i)
			axr_buf_putc(out, ',');
		axr_buf_puts(out, uids[i]);
	}
	axr_buf_putc(out, '}');
	return axr_buf_ok(out) ? 0 : AXR_ENOMEM;
}

/* Runs `sql` with $1 = the uids as uuid[]: 0 and *r (NULL when n is 0). */
static int rows_query(axr_db_t *db, const char *name, const char *sql, const char *const *uids, size_t n,
                      axr_db_result_t **r)
{
	*r = NULL;
	axr_buf_t array = AXR_BUF_INIT;
	int rc = uuid_array(uids, n, &array);
	if (rc == 0 && n > 0) {
		const char *values[] = {array.data};
		rc = axr_db_exec(db, name, sql, 1, values, NULL, NULL, r);
	}
	axr_buf_free(&array);
	return rc;
}

static const char tickets_read_sql[] = "SELECT " TICKET_COLS " FROM ticket WHERE uid = ANY($1::uuid[])";
static const char matches_read_sql[] = "SELECT " MATCH_COLS " FROM match WHERE uid = ANY($1::uuid[])";

int matchmaking_store_tickets_read(axr_db_t *db, axr_arena_t *arena, const char *const *uids, size_t n,
                                   matchmaking_ticket_row_t ***out, size_t *n_out)
{
	if (!db || !arena || !out || !n_out)
		return AXR_EINVAL;
	*out = NULL;
	*n_out = 0;
	axr_db_result_t *r = NULL;
	int rc = rows_query(db, "mm:tickets_read", tickets_read_sql, uids, n, &r);
	size_t found = r ? (size_t)axr_db_result_rows(r) : 0;
	matchmaking_ticket_row_t **rows = rc == 0 ? axr_arena_calloc(arena, found ? found : 1, sizeof *rows) : NULL;
	if (rc == 0 && !rows)
		rc = AXR_ENOMEM;
	for (size_t i = 0; rc == 0 && i < found; i++)
		rc = ticket_from_row(arena, r, (int)i, &rows[i]);
	if (rc == 0) {
		*out = rows;
		*n_out = found;
	}
	axr_db_result_free(r);
	return rc;
}

int matchmaking_store_matches_read(axr_db_t *db, axr_arena_t *arena, const char *const *uids, size_t n,
                                   matchmaking_match_row_t ***out, size_t *n_out)
{
	if (!db || !arena || !out || !n_out)
		return AXR_EINVAL;
	*out = NULL;
	*n_out = 0;
	axr_db_result_t *r = NULL;
	int rc = rows_query(db, "mm:matches_read", matches_read_sql, uids, n, &r);
	size_t found = r ? (size_t)axr_db_result_rows(r) : 0;
	matchmaking_match_row_t **rows = rc == 0 ? axr_arena_calloc(arena, found ? found : 1, sizeof *rows) : NULL;
	if (rc == 0 && !rows)
		rc = AXR_ENOMEM;
	for (size_t i = 0; rc == 0 && i < found; i++)
		rc = match_from_row(arena, r, (int)i, &rows[i]);
	if (rc == 0) {
		*out = rows;
		*n_out = found;
	}
	axr_db_result_free(r);
	return rc;
}
