/* messages.c: stored tickets and matches as the API's generated messages, and their change events on the bus. */
#include "messages.h"

#include "bus.h"
#include "codec.h"
#include "err.h"
#include "ticket_request.h"

#include "matchmaking_schema.h"

/* An arena copy of `n` strings (a repeated string field); NULL only when out
 * of memory (an empty list is a valid, non-NULL array). */
static char **strings_copy(axr_arena_t *arena, const char *const *s, size_t n)
{
	char **out = axr_arena_calloc(arena, n ? n : 1, sizeof *out);
	for (size_t i = 0; out && i < n; i++)
		if (!(out[i] = axr_arena_strdup(arena, s[i])))
			return NULL;
	return out;
}

/* NULL stays NULL; *oom is set when a copy fails. */
static char *text_copy(axr_arena_t *arena, const char *s, bool *oom)
{
	char *out = s ? axr_arena_strdup(arena, s) : NULL;
	if (s && !out)
		*oom = true;
	return out;
}

static Matchmaking__Criterion **criteria_copy(axr_arena_t *arena, const matchmaking_criterion_t *c, size_t n)
{
	Matchmaking__Criterion **out = axr_arena_calloc(arena, n ? n : 1, sizeof *out);
	for (size_t i = 0; out && i < n; i++) {
		bool oom = false;
		out[i] = (Matchmaking__Criterion *)axr_codec_message_new(&matchmaking__criterion__descriptor, arena);
		if (!out[i])
			return NULL;
		out[i]->name = text_copy(arena, c[i].name, &oom);
		out[i]->value = text_copy(arena, c[i].value, &oom);
		if (oom)
			return NULL;
	}
	return out;
}

int matchmaking_ticket_message(axr_arena_t *arena, const matchmaking_ticket_row_t *row, Matchmaking__Ticket **out)
{
	bool oom = false;
	char team_size[32];
	Matchmaking__Ticket *t = (Matchmaking__Ticket *)axr_codec_message_new(&matchmaking__ticket__descriptor, arena);
	Matchmaking__Statistics *s =
	    (Matchmaking__Statistics *)axr_codec_message_new(&matchmaking__statistics__descriptor, arena);
	if (!t || !s)
		return AXR_ENOMEM;
	t->uid = text_copy(arena, row->uid, &oom);
	t->date_created = text_copy(arena, row->date_created, &oom);
	t->date_modified = text_copy(arena, row->date_modified, &oom);
	t->has_version = true;
	t->version = row->version;
	t->n_users = row->n_users;
	oom |= !(t->users = strings_copy(arena, row->users, row->n_users));
	t->host_uid = text_copy(arena, row->host_uid, &oom);
	t->n_criteria = row->n_criteria;
	oom |= !(t->criteria = criteria_copy(arena, row->criteria, row->n_criteria));
	s->has_skillrating = true;
	s->skillrating = row->skill;
	s->has_latency = row->has_latency;
	s->latency = row->latency;
	t->statistics = s;
	t->has_num_teams = true;
	t->num_teams = row->num_teams;
	if (matchmaking_team_size_json(row->team_min, row->team_max, row->team_exact, team_size, sizeof team_size) != 0)
		return AXR_EINTERNAL; /* the store only keeps sizes in 1..64 */
	t->team_size = text_copy(arena, team_size, &oom);
	t->has_num_users = true;
	t->num_users = row->num_users;
	t->status = text_copy(arena, matchmaking_status_name(row->status), &oom);
	t->match_uid = text_copy(arena, row->match_uid, &oom);
	t->date_expires = text_copy(arena, row->date_expires, &oom);
	t->date_closed = text_copy(arena, row->date_closed, &oom);
	if (oom)
		return AXR_ENOMEM;
	*out = t;
	return 0;
}

int matchmaking_match_message(axr_arena_t *arena, const matchmaking_match_row_t *row, Matchmaking__Match **out)
{
	bool oom = false;
	Matchmaking__Match *m = (Matchmaking__Match *)axr_codec_message_new(&matchmaking__match__descriptor, arena);
	if (!m)
		return AXR_ENOMEM;
	m->uid = text_copy(arena, row->uid, &oom);
	m->date_created = text_copy(arena, row->date_created, &oom);
	m->date_modified = text_copy(arena, row->date_modified, &oom);
	m->has_version = true;
	m->version = row->version;
	m->n_criteria = row->n_criteria;
	oom |= !(m->criteria = criteria_copy(arena, row->criteria, row->n_criteria));
	m->has_num_teams = true;
	m->num_teams = row->num_teams;
	m->has_team_size = true;
	m->team_size = row->team_size;
	m->n_teams = row->n_teams;
	oom |= !(m->teams = axr_arena_calloc(arena, row->n_teams ? row->n_teams : 1, sizeof *m->teams));
	for (size_t i = 0; !oom && i < row->n_teams; i++) {
		const matchmaking_team_row_t *tr = &row->teams[i];
		Matchmaking__Team *team = (Matchmaking__Team *)axr_codec_message_new(&matchmaking__team__descriptor, arena);
		if (!(m->teams[i] = team)) {
			oom = true;
			break;
		}
		team->n_members = tr->n_members;
		oom |= !(team->members = strings_copy(arena, tr->members, tr->n_members));
		team->n_tickets = tr->n_tickets;
		oom |= !(team->tickets = strings_copy(arena, tr->tickets, tr->n_tickets));
		team->has_skillrating = true;
		team->skillrating = tr->skill;
	}
	m->n_tickets = row->n_tickets;
	oom |= !(m->tickets = strings_copy(arena, row->tickets, row->n_tickets));
	m->n_players = row->n_players;
	oom |= !(m->players = strings_copy(arena, row->players, row->n_players));
	m->has_skill_spread = true;
	m->skill_spread = row->skill_spread;
	m->has_team_skill_difference = true;
	m->team_skill_difference = row->team_skill_diff;
	m->has_max_latency = row->has_max_latency;
	m->max_latency = row->max_latency;
	if (oom)
		return AXR_ENOMEM;
	*out = m;
	return 0;
}

/* One event: `msg` (described by `schema`) as data and data_json, to `audience`. */
static int publish(axr_redis_t *r, axr_arena_t *arena, const axr_schema_t *schema, const char *type,
                   const char *action, const char *uid, int64_t version, const ProtobufCMessage *msg,
                   char *const *audience, size_t naudience)
{
	axr_buf_t json = AXR_BUF_INIT;
	const char **who = axr_arena_calloc(arena, naudience ? naudience : 1, sizeof *who);
	if (!who)
		return AXR_ENOMEM;
	for (size_t i = 0; i < naudience; i++)
		who[i] = audience[i];
	int rc = axr_codec_to_json(schema, msg, AXR_CODEC_RESPONSE, &json);
	if (rc == 0) {
		axr_bus_event_t ev = {
		    .type = type,
		    .action = action,
		    .uid = uid,
		    .has_version = true,
		    .version = version,
		    .data = msg,
		    .data_json = json.data,
		    .audience = who,
		    .naudience = naudience,
		};
		rc = axr_bus_publish_with(r, &ev);
	}
	axr_buf_free(&json);
	return rc;
}

int matchmaking_publish_ticket(axr_redis_t *r, axr_arena_t *arena, const Matchmaking__Ticket *t, const char *action)
{
	return publish(r, arena, &matchmaking_schema_Ticket, "Ticket", action, t->uid, t->version, &t->base, t->users,
	               t->n_users);
}

int matchmaking_publish_match(axr_redis_t *r, axr_arena_t *arena, const Matchmaking__Match *m)
{
	return publish(r, arena, &matchmaking_schema_Match, "Match", "create", m->uid, m->version, &m->base, m->players,
	               m->n_players);
}
