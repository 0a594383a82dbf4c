/* store_round.c: one matching round: list the groups, claim each with SKIP LOCKED, match, write, commit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "store.h"
#include "store_internal.h"

static const char groups_sql[] =
    "SELECT criteria::text, num_teams, count(*), sum(num_users) FROM ticket WHERE status = 'QUEUED'"
    " GROUP BY criteria, num_teams ORDER BY 1, 2";

/* Oldest first; rows another replica holds are skipped, never waited for. */
static const char claim_sql[] =
    "SELECT uid, version, users::text, num_users, (statistics->>'skillrating')::float8,"
    " coalesce((statistics->>'latency')::float8, -1), " MM_SQL_TEAM_MIN ", " MM_SQL_TEAM_MAX ","
    " extract(epoch FROM clock_timestamp() - date_created)::float8, date_expires <= clock_timestamp()"
    " FROM ticket WHERE status = 'QUEUED' AND md5(criteria::text) = md5($1::jsonb::text)"
    " AND criteria = $1::jsonb AND num_teams = $2::bigint"
    " ORDER BY date_created, uid LIMIT $3::bigint FOR UPDATE SKIP LOCKED";

enum claim_col { CL_UID, CL_VERSION, CL_USERS, CL_NUM_USERS, CL_SKILL, CL_LATENCY, CL_MIN, CL_MAX, CL_WAIT, CL_DUE };

/* $1 the matches, $2 their criteria, $3 [[ticket, match], ...]. The
 * tickets are locked by this transaction, so every one must change. */
static const char write_sql[] =
    "WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(uid uuid, num_teams bigint, team_size bigint,"
    " teams jsonb, tickets jsonb, players jsonb, skill_spread float8, team_skill_difference float8,"
    " max_latency float8)),"
    " m AS (INSERT INTO match (uid, date_created, date_modified, version, criteria, num_teams, team_size, teams,"
    " tickets, players, skill_spread, team_skill_difference, max_latency) SELECT uid, now(), now(), 0, $2::jsonb,"
    " num_teams, team_size, teams, tickets, players, skill_spread, team_skill_difference, max_latency FROM x"
    " RETURNING 1),"
    " a AS (SELECT (e->>0)::uuid AS ticket, (e->>1)::uuid AS match FROM jsonb_array_elements($3::jsonb) e),"
    " t AS (UPDATE ticket SET status = 'MATCH_FOUND', match_uid = a.match, version = ticket.version + 1,"
    " date_modified = now(), date_closed = now() FROM a WHERE ticket.uid = a.ticket AND ticket.status = 'QUEUED'"
    " RETURNING ticket.uid),"
    " u AS (UPDATE ticket_member SET queued = false WHERE ticket_uid IN (SELECT uid FROM t))"
    " SELECT (SELECT count(*) FROM m), (SELECT count(*) FROM t)";

static const char expire_sql[] =
    "WITH t AS (UPDATE ticket SET status = 'EXPIRED', version = version + 1, date_modified = now(),"
    " date_closed = now() WHERE uid = ANY($1::uuid[]) AND status = 'QUEUED' RETURNING uid),"
    " u AS (UPDATE ticket_member SET queued = false WHERE ticket_uid IN (SELECT uid FROM t))"
    " SELECT count(*) FROM t";

/* A claimed ticket beside the matcher's view of it. */
typedef struct claimed {
	const char *uid;
	int64_t version;
	const char **users;
	size_t n_users;
	bool due;         /* dateExpires has passed */
	int match;        /* index of its match, -1 */
} claimed_t;

/* One group's transaction: inputs, and what its last attempt produced. */
typedef struct group {
	axr_db_t *db;
	axr_arena_t *arena;
	const matchmaking_round_options_t *opt;
	const char *criteria;   /* canonical JSON */
	const char *num_teams;  /* as text */
	matchmaking_ticket_event_t *tickets;
	size_t n_tickets;
	matchmaking_match_event_t *matches;
	size_t n_matches;
	size_t claimed;
} group_t;

static int claim_rows(group_t *g, const axr_db_result_t *r, matchmaking_ticket_t *t, claimed_t *c, size_t n)
{
	bool oom = false;
	for (size_t i = 0; i < n; i++) {
		int row = (int)i;
		int64_t num_users = 0, team_min = 0, team_max = 0;
		c[i].match = -1;
		c[i].uid = matchmaking__text(g->arena, r, row, CL_UID, &oom);
		int rc = oom ? AXR_ENOMEM : axr_db_result_int64(r, row, CL_VERSION, &c[i].version);
		if (rc == 0)
			rc = matchmaking__json_strings(g->arena, axr_db_result_text(r, row, CL_USERS, NULL), &c[i].users,
			                               &c[i].n_users);
		if (rc == 0)
			rc = axr_db_result_int64(r, row, CL_NUM_USERS, &num_users);
		if (rc == 0)
			rc = axr_db_result_double(r, row, CL_SKILL, &t[i].skill);
		if (rc == 0)
			rc = axr_db_result_double(r, row, CL_LATENCY, &t[i].latency);
		if (rc == 0)
			rc = axr_db_result_int64(r, row, CL_MIN, &team_min);
		if (rc == 0)
			rc = axr_db_result_int64(r, row, CL_MAX, &team_max);
		if (rc == 0)
			rc = axr_db_result_double(r, row, CL_WAIT, &t[i].wait_s);
		if (rc == 0)
			rc = axr_db_result_bool(r, row, CL_DUE, &c[i].due);
		if (rc != 0)
			return rc == AXR_ENOMEM ? rc : AXR_EINTERNAL;
		t[i].criteria = g->criteria;
		t[i].num_teams = atoi(g->num_teams);
		/* out-of-range values make the ticket invalid to the matcher (it then expires) */
		t[i].party = num_users > 0 && num_users <= MATCHMAKING_MAX_PARTY ? (int)num_users : 0;
		t[i].team_min = team_min > 0 && team_min <= MATCHMAKING_MAX_TEAM_SIZE ? (int)team_min : 0;
		t[i].team_max = team_max > 0 && team_max <= MATCHMAKING_MAX_TEAM_SIZE ? (int)team_max : 0;
	}
	return 0;
}

/* Writes the matches of `res` as JSON for write_sql, with a fresh uid each. */
static int matches_json(group_t *g, const matchmaking_result_t *res, claimed_t *c, const char **match_uids,
                        axr_buf_t *matches, axr_buf_t *assign)
{
	axr_buf_putc(matches, '[');
	axr_buf_putc(assign, '[');
	for (size_t mi = 0; mi < res->n_matches; mi++) {
		const matchmaking_match_t *m = &res->matches[mi];
		char uid[37];
		if (matchmaking__uuid_v4(uid) != 0)
			return AXR_EIO;
		if (!(match_uids[mi] = axr_arena_strdup(g->arena, uid)))
			return AXR_ENOMEM;
		axr_buf_printf(matches, "%s{\"uid\":\"%s\",\"num_teams\":%d,\"team_size\":%d,\"teams\":[", mi ? "," : "",
		               uid, m->num_teams, m->team_size);
		for (int team = 0; team < m->num_teams; team++) {
			axr_buf_puts(matches, team ? ",{\"members\":[" : "{\"members\":[");
			bool first = true;
			for (size_t k = 0; k < m->n_members; k++) {
				const matchmaking_member_t *mem = &res->members[m->first_member + k];
				for (size_t u = 0; mem->team == team && u < c[mem->ticket].n_users; u++, first = false)
					axr_buf_printf(matches, "%s\"%s\"", first ? "" : ",", c[mem->ticket].users[u]);
			}
			axr_buf_puts(matches, "],\"tickets\":[");
			first = true;
			for (size_t k = 0; k < m->n_members; k++) {
				const matchmaking_member_t *mem = &res->members[m->first_member + k];
				if (mem->team == team) {
					axr_buf_printf(matches, "%s\"%s\"", first ? "" : ",", c[mem->ticket].uid);
					first = false;
				}
			}
			axr_buf_printf(matches, "],\"skillrating\":%.17g}", res->team_skill[m->first_team + (size_t)team]);
		}
		axr_buf_puts(matches, "],\"tickets\":[");
		for (size_t k = 0; k < m->n_members; k++) {
			size_t ti = res->members[m->first_member + k].ticket;
			c[ti].match = (int)mi;
			axr_buf_printf(matches, "%s\"%s\"", k ? "," : "", c[ti].uid);
			axr_buf_printf(assign, "%s[\"%s\",\"%s\"]", assign->len > 1 ? "," : "", c[ti].uid, uid);
		}
		axr_buf_puts(matches, "],\"players\":[");
		for (size_t k = 0, first = 1; k < m->n_members; k++) {
			const claimed_t *ct = &c[res->members[m->first_member + k].ticket];
			for (size_t u = 0; u < ct->n_users; u++, first = 0)
				axr_buf_printf(matches, "%s\"%s\"", first ? "" : ",", ct->users[u]);
		}
		axr_buf_printf(matches, "],\"skill_spread\":%.17g,\"team_skill_difference\":%.17g", m->skill_spread,
		               m->team_skill_diff);
		if (m->max_latency >= 0)
			axr_buf_printf(matches, ",\"max_latency\":%.17g", m->max_latency);
		axr_buf_putc(matches, '}');
	}
	axr_buf_putc(matches, ']');
	axr_buf_putc(assign, ']');
	return axr_buf_ok(matches) && axr_buf_ok(assign) ? 0 : AXR_ENOMEM;
}

/* Checks that a write answered `want` in column `col` of its one row. */
static int expect_count(const axr_db_result_t *r, int col, size_t want)
{
	int64_t got = -1;
	if (axr_db_result_rows(r) != 1 || axr_db_result_int64(r, 0, col, &got) != 0)
		return AXR_EINTERNAL;
	return got == (int64_t)want ? 0 : AXR_ECONFLICT; /* a locked ticket changed under us: roll back */
}

/* The events of the committed attempt. */
static int group_events(group_t *g, const matchmaking_ticket_t *t, const claimed_t *c, size_t n,
                        const matchmaking_result_t *res, const char **match_uids)
{
	g->tickets = axr_arena_calloc(g->arena, n ? n : 1, sizeof *g->tickets);
	g->matches = axr_arena_calloc(g->arena, res->n_matches ? res->n_matches : 1, sizeof *g->matches);
	if (!g->tickets || !g->matches)
		return AXR_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (c[i].match < 0 && !c[i].due)
			continue;
		g->tickets[g->n_tickets++] = (matchmaking_ticket_event_t){
		    .ticket_uid = c[i].uid,
		    .status = c[i].match >= 0 ? MATCHMAKING_MATCH_FOUND : MATCHMAKING_EXPIRED,
		    .match_uid = c[i].match >= 0 ? match_uids[c[i].match] : NULL,
		    .version = c[i].version + 1,
		    .users = c[i].users,
		    .n_users = c[i].n_users,
		    .wait_s = t[i].wait_s,
		};
	}
	for (size_t mi = 0; mi < res->n_matches; mi++) {
		const matchmaking_match_t *m = &res->matches[mi];
		matchmaking_match_event_t *e = &g->matches[g->n_matches++];
		*e = (matchmaking_match_event_t){.match_uid = match_uids[mi], .criteria = g->criteria,
		                                 .num_teams = m->num_teams, .team_size = m->team_size,
		                                 .skill_spread = m->skill_spread, .team_skill_diff = m->team_skill_diff};
		size_t players = (size_t)m->num_teams * (size_t)m->team_size;
		if (!(e->players = axr_arena_calloc(g->arena, players, sizeof *e->players)))
			return AXR_ENOMEM;
		for (size_t k = 0; k < m->n_members; k++) {
			const claimed_t *ct = &c[res->members[m->first_member + k].ticket];
			for (size_t u = 0; u < ct->n_users && e->n_players < players; u++)
				e->players[e->n_players++] = ct->users[u];
		}
	}
	return 0;
}

/* The transaction of one group (may run again after a serialization failure). */
static int group_tx(axr_db_t *db, void *ctx)
{
	group_t *g = ctx;
	g->n_tickets = g->n_matches = g->claimed = 0;
	char batch[24];
	snprintf(batch, sizeof batch, "%ld", g->opt->batch > 0 ? g->opt->batch : 5000);
	const char *claim_values[] = {g->criteria, g->num_teams, batch};
	axr_db_result_t *r = NULL, *w = NULL;
	matchmaking_ticket_t *t = NULL;
	claimed_t *c = NULL;
	matchmaking_result_t res = {0};
	axr_buf_t matches = AXR_BUF_INIT, assign = AXR_BUF_INIT, expired = AXR_BUF_INIT;
	const char **match_uids = NULL;
	int rc = axr_db_exec(db, "mm:claim", claim_sql, 3, claim_values, NULL, NULL, &r);
	if (rc != 0)
		goto fail;
	size_t n = (size_t)axr_db_result_rows(r);
	g->claimed = n;
	if (n == 0)
		goto fail; /* rc == 0: nothing to do */
	t = calloc(n, sizeof *t);
	c = axr_arena_calloc(g->arena, n, sizeof *c);
	if (!t || !c) {
		rc = AXR_ENOMEM;
		goto fail;
	}
	if ((rc = claim_rows(g, r, t, c, n)) != 0 || (rc = matchmaking_match_tickets(&g->opt->matcher, t, n, &res)) != 0)
		goto fail;
	if (res.n_matches > 0) {
		if (!(match_uids = axr_arena_calloc(g->arena, res.n_matches, sizeof *match_uids))) {
			rc = AXR_ENOMEM;
			goto fail;
		}
		if ((rc = matches_json(g, &res, c, match_uids, &matches, &assign)) != 0)
			goto fail;
		const char *values[] = {matches.data, g->criteria, assign.data};
		if ((rc = axr_db_exec(db, "mm:write", write_sql, 3, values, NULL, NULL, &w)) != 0 ||
		    (rc = expect_count(w, 0, res.n_matches)) != 0 || (rc = expect_count(w, 1, res.n_members)) != 0)
			goto fail;
		axr_db_result_free(w);
		w = NULL;
	}
	size_t n_expired = 0;
	axr_buf_putc(&expired, '{');
	for (size_t i = 0; i < n; i++)
		if (c[i].match < 0 && c[i].due)
			axr_buf_printf(&expired, "%s%s", n_expired++ ? "," : "", c[i].uid);
	axr_buf_putc(&expired, '}');
	if (!axr_buf_ok(&expired)) {
		rc = AXR_ENOMEM;
		goto fail;
	}
	if (n_expired > 0) {
		const char *values[] = {expired.data};
		if ((rc = axr_db_exec(db, "mm:expire", expire_sql, 1, values, NULL, NULL, &w)) != 0 ||
		    (rc = expect_count(w, 0, n_expired)) != 0)
			goto fail;
	}
	rc = group_events(g, t, c, n, &res, match_uids);
fail:
	axr_buf_free(&expired);
	axr_buf_free(&assign);
	axr_buf_free(&matches);
	matchmaking_result_free(&res);
	free(t);
	axr_db_result_free(w);
	axr_db_result_free(r);
	return rc;
}

/* Appends `n` items of `size` bytes to an arena array of capacity *cap. */
static int append(axr_arena_t *arena, void **arr, size_t *len, size_t *cap, const void *items, size_t n, size_t size)
{
	if (n == 0)
		return 0;
	if (*len + n > *cap) {
		size_t want = (*len + n) * 2;
		void *grown = axr_arena_calloc(arena, want, size);
		if (!grown)
			return AXR_ENOMEM;
		if (*len)
			memcpy(grown, *arr, *len * size);
		*arr = grown;
		*cap = want;
	}
	memcpy((char *)*arr + *len * size, items, n * size);
	*len += n;
	return 0;
}

static double monotonic_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int matchmaking_store_round(axr_db_t *db, axr_arena_t *arena, const matchmaking_round_options_t *opt,
                            matchmaking_round_t *out)
{
	if (!db || !arena || !opt || !out)
		return AXR_EINVAL;
	memset(out, 0, sizeof *out);
	double start = monotonic_s();
	axr_db_result_t *r = NULL;
	int rc = axr_db_exec(db, "mm:groups", groups_sql, 0, NULL, NULL, NULL, &r);
	if (rc != 0)
		return rc;
	size_t n_groups = (size_t)axr_db_result_rows(r), cap_tickets = 0, cap_matches = 0;
	out->queues = axr_arena_calloc(arena, n_groups ? n_groups : 1, sizeof *out->queues);
	if (!out->queues) {
		rc = AXR_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n_groups; i++) {
		bool oom = false;
		matchmaking_queue_stat_t *q = &out->queues[out->n_queues++];
		int64_t teams = 0, tickets = 0, players = 0;
		q->criteria = matchmaking__text(arena, r, (int)i, 0, &oom);
		if (oom || axr_db_result_int64(r, (int)i, 1, &teams) != 0 ||
		    axr_db_result_int64(r, (int)i, 2, &tickets) != 0 || axr_db_result_int64(r, (int)i, 3, &players) != 0) {
			rc = oom ? AXR_ENOMEM : AXR_EINTERNAL;
			goto fail;
		}
		q->num_teams = (int)teams;
		q->tickets = (long)tickets;
		q->players = (long)players;
	}
	for (size_t i = 0; i < n_groups; i++) {
		group_t g = {.db = db, .arena = arena, .opt = opt, .criteria = out->queues[i].criteria,
		             .num_teams = axr_db_result_text(r, (int)i, 1, NULL)};
		int grc = axr_db_tx_run(db, AXR_DB_READ_COMMITTED, group_tx, &g, 2);
		if (grc != 0) {
			const axr_db_error_t *e = axr_db_last_error(db);
			axr_log_warn("matchmaking: round skipped criteria %s (%d teams): %s [%s] %s", g.criteria,
			             out->queues[i].num_teams, axr_errname(grc), e->sqlstate, e->message);
			out->skipped++;
			if (grc == AXR_EUNAVAILABLE || grc == AXR_ENOMEM) {
				out->skipped += n_groups - i - 1; /* the rest waits for the next round */
				break;
			}
			continue;
		}
		out->claimed += g.claimed;
		if ((rc = append(arena, (void **)&out->tickets, &out->n_tickets, &cap_tickets, g.tickets, g.n_tickets,
		                 sizeof *g.tickets)) != 0 ||
		    (rc = append(arena, (void **)&out->matches, &out->n_matches, &cap_matches, g.matches, g.n_matches,
		                 sizeof *g.matches)) != 0)
			goto fail;
	}
fail:
	axr_db_result_free(r);
	out->seconds = monotonic_s() - start;
	return rc;
}
