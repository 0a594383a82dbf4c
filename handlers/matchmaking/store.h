/* store.h: matchmaking tickets and matches in PostgreSQL, and the matching round that claims, matches and commits. */
#ifndef AXR_MATCHMAKING_STORE_H
#define AXR_MATCHMAKING_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "db.h"
#include "matcher.h"

/*
 * Tables (matchmaking_store_migrate creates them; docs/matchmaking.md):
 *
 *   ticket         the Ticket entity of spec/matchmaking.yaml, columns as the
 *                  DB mapping makes them (users, criteria, statistics and
 *                  team_size are jsonb; criteria is kept sorted by name so
 *                  equal criteria are equal jsonb)
 *   ticket_member  (ticket_uid, user_uid, queued): one row per user of a
 *                  ticket; a partial unique index on user_uid WHERE queued is
 *                  what makes "one QUEUED ticket per user" hold under any
 *                  concurrency. `queued` changes in the same statement as
 *                  the ticket's status, always.
 *   match          the Match entity
 *
 * Status changes of a ticket (QUEUED -> MATCH_FOUND | CANCELLED | EXPIRED)
 * are all `UPDATE ... WHERE status = 'QUEUED'`: whichever statement gets
 * the row first wins and the others change nothing, so a cancel racing the
 * matcher ends in exactly one of the two. Every change increments `version`
 * and sets date_modified and date_closed.
 *
 * Strings returned in rows live in the caller's arena. Server messages never
 * leave through these functions (axr_db_last_error(db) has them for logs).
 */

typedef enum matchmaking_status {
	MATCHMAKING_QUEUED,
	MATCHMAKING_MATCH_FOUND,
	MATCHMAKING_CANCELLED,
	MATCHMAKING_EXPIRED,
} matchmaking_status_t;

/* "QUEUED", "MATCH_FOUND", "CANCELLED", "EXPIRED" (the spec's enum), or "" */
const char *matchmaking_status_name(matchmaking_status_t s);

typedef struct matchmaking_criterion {
	const char *name;  /* [A-Za-z0-9_.:-]{1,64} */
	const char *value; /* any UTF-8 text, at most 256 bytes */
} matchmaking_criterion_t;

/* A ticket to queue (what a validated POST /tickets becomes). */
typedef struct matchmaking_ticket_new {
	const char *const *users;  /* the party: 1..MATCHMAKING_MAX_PARTY distinct uuids */
	size_t n_users;
	const char *host_uid;      /* the caller (uuid) */
	const matchmaking_criterion_t *criteria; /* any order; names distinct; at most 16 */
	size_t n_criteria;
	double skill;              /* statistics.skillrating, finite, >= 0 */
	bool has_latency;
	double latency;            /* statistics.latency (ms), finite, >= 0 */
	int num_teams;             /* 1..MATCHMAKING_MAX_TEAMS */
	int team_min, team_max;    /* teamSize as a range, 1 <= min <= max <= MATCHMAKING_MAX_TEAM_SIZE */
	bool team_exact;           /* teamSize was an integer (then min == max) */
	long max_wait_ms;          /* dateExpires = now + this (> 0) */
	int max_players;           /* num_teams x max(team_min, n_users) must not exceed it (0: 256) */
} matchmaking_ticket_new_t;

/* A ticket as stored. */
typedef struct matchmaking_ticket_row {
	const char *uid;
	const char *date_created;  /* RFC 3339 UTC with milliseconds */
	const char *date_modified;
	int64_t version;
	const char **users;        /* lower-case uuids */
	size_t n_users;
	const char *host_uid;
	matchmaking_criterion_t *criteria; /* sorted by name */
	size_t n_criteria;
	double skill;
	bool has_latency;
	double latency;
	int num_teams;
	int team_min, team_max;
	bool team_exact;
	int num_users;
	matchmaking_status_t status;
	const char *match_uid;     /* NULL unless MATCH_FOUND */
	const char *date_expires;
	const char *date_closed;   /* NULL while QUEUED */
	bool cancelled_now;        /* set by matchmaking_store_ticket_cancel: this very call cancelled it */
} matchmaking_ticket_row_t;

typedef struct matchmaking_team_row {
	const char **members;      /* user uids */
	size_t n_members;
	const char **tickets;      /* ticket uids */
	size_t n_tickets;
	double skill;              /* the team's average skill rating */
} matchmaking_team_row_t;

/* A match as stored. */
typedef struct matchmaking_match_row {
	const char *uid;
	const char *date_created;
	const char *date_modified;
	int64_t version;
	matchmaking_criterion_t *criteria;
	size_t n_criteria;
	int num_teams;
	int team_size;
	matchmaking_team_row_t *teams;
	size_t n_teams;
	const char **tickets;
	size_t n_tickets;
	const char **players;      /* every player (lower-case uuids) */
	size_t n_players;
	double skill_spread;
	double team_skill_diff;
	bool has_max_latency;
	double max_latency;
} matchmaking_match_row_t;

/*
 * Creates the tables and indexes when missing (CREATE ... IF NOT EXISTS; the
 * columns of ticket and match are those the generated migrations make from
 * spec/matchmaking.yaml, so either may run first). Safe to run from several
 * replicas at once (an advisory lock serialises them). Returns 0 or an
 * axr_db_exec error.
 */
int matchmaking_store_migrate(axr_db_t *db);

/*
 * Queues a ticket. Checks `in` first (AXR_EINVAL: a user or host that is
 * not a uuid, duplicate users or criteria names, a bad criterion, sizes out
 * of range, a party larger than its largest team, a match larger than
 * max_players, a skill or latency that is not a finite non-negative number).
 * The criteria are stored sorted by name; users in lower case.
 * Returns 0 and *out (in `arena`), AXR_EEXISTS when one of the users already
 * has a QUEUED ticket (nothing is written), or an axr_db_exec error.
 */
int matchmaking_store_ticket_create(axr_db_t *db, axr_arena_t *arena, const matchmaking_ticket_new_t *in,
                                    matchmaking_ticket_row_t **out);

/*
 * The ticket `uid` as `caller` sees it: caller NULL means a trusted caller
 * (any ticket); otherwise only tickets the caller is a member of.
 * Returns 0 and *out, AXR_ENOTFOUND (no such ticket, not the caller's, or
 * `uid` is not a uuid), or an axr_db_exec error.
 */
int matchmaking_store_ticket_get(axr_db_t *db, axr_arena_t *arena, const char *uid, const char *caller,
                                 matchmaking_ticket_row_t **out);

/*
 * Cancels ticket `uid` if it is still QUEUED (membership as for get).
 * Returns 0 and *out (CANCELLED; also when it was cancelled before),
 * AXR_ECONFLICT and *out (its current state) when it is MATCH_FOUND or
 * EXPIRED, AXR_ENOTFOUND, or an axr_db_exec error. A cancel that meets the
 * matcher's lock waits for its commit and then sees MATCH_FOUND.
 * (*out)->cancelled_now tells a first cancel (publish a change) from a
 * repeat (nothing changed).
 */
int matchmaking_store_ticket_cancel(axr_db_t *db, axr_arena_t *arena, const char *uid, const char *caller,
                                    matchmaking_ticket_row_t **out);

/*
 * The match `uid` as `caller` sees it: caller NULL means trusted; otherwise
 * only matches the caller plays in. Returns 0 and *out, AXR_ENOTFOUND, or an
 * axr_db_exec error.
 */
int matchmaking_store_match_get(axr_db_t *db, axr_arena_t *arena, const char *uid, const char *caller,
                                matchmaking_match_row_t **out);

/*
 * The tickets (or matches) among `uids` (n of them, at most
 * MATCHMAKING_STORE_READ_MAX, every one a uuid) as stored, for a trusted
 * reader such as the event publisher: *out gets an arena array of the rows
 * found (any order; missing uids are simply absent) and *n_out their
 * number. Returns 0, AXR_EINVAL (too many, or one is not a uuid), or an
 * axr_db_exec error.
 */
#define MATCHMAKING_STORE_READ_MAX 1000
int matchmaking_store_tickets_read(axr_db_t *db, axr_arena_t *arena, const char *const *uids, size_t n,
                                   matchmaking_ticket_row_t ***out, size_t *n_out);
int matchmaking_store_matches_read(axr_db_t *db, axr_arena_t *arena, const char *const *uids, size_t n,
                                   matchmaking_match_row_t ***out, size_t *n_out);

/* ---- the matching round ------------------------------------------------------ */

/* A ticket the round moved out of the queue. */
typedef struct matchmaking_ticket_event {
	const char *ticket_uid;
	matchmaking_status_t status; /* MATCHMAKING_MATCH_FOUND or MATCHMAKING_EXPIRED */
	const char *match_uid;       /* NULL when expired */
	int64_t version;             /* the ticket's version after the change */
	const char **users;          /* its players: the audience of the event */
	size_t n_users;
	double wait_s;               /* time it spent queued */
} matchmaking_ticket_event_t;

/* A match the round formed. */
typedef struct matchmaking_match_event {
	const char *match_uid;
	const char *criteria;        /* canonical criteria JSON */
	const char **players;
	size_t n_players;
	int num_teams;
	int team_size;
	double skill_spread;
	double team_skill_diff;
} matchmaking_match_event_t;

/* The queue of one (criteria, numTeams) as the round found it. */
typedef struct matchmaking_queue_stat {
	const char *criteria;        /* canonical criteria JSON */
	int num_teams;
	long tickets;                /* QUEUED tickets */
	long players;                /* their players */
} matchmaking_queue_stat_t;

typedef struct matchmaking_round_options {
	matchmaking_matcher_config_t matcher;
	long batch;                  /* tickets claimed per group (oldest first); 0: 5000 */
} matchmaking_round_options_t;

/* What one round did; arrays live in the round's arena. Events are only
 * reported for committed work. */
typedef struct matchmaking_round {
	matchmaking_ticket_event_t *tickets;
	size_t n_tickets;
	matchmaking_match_event_t *matches;
	size_t n_matches;
	matchmaking_queue_stat_t *queues;
	size_t n_queues;
	size_t claimed;              /* tickets this round locked and looked at */
	size_t skipped;              /* groups whose transaction failed (retried next round) */
	double seconds;              /* the round's duration */
} matchmaking_round_t;

/*
 * One matching round: lists the groups of QUEUED tickets (equal criteria and
 * numTeams), and for each, in its own READ COMMITTED transaction, claims up
 * to `batch` of them oldest first with FOR UPDATE SKIP LOCKED (tickets
 * another replica holds are skipped, not waited for), runs the matcher,
 * inserts the matches, sets MATCH_FOUND + match_uid on their tickets, sets
 * EXPIRED on claimed tickets left unmatched whose dateExpires has passed,
 * and commits. Wait times come from the database clock, so replicas agree.
 *
 * Returns 0 and fills *out (in `arena`) even when some groups failed
 * (out->skipped counts them: their tickets stay QUEUED for the next round;
 * once the database is unavailable the remaining groups are skipped);
 * the axr_db_exec error (AXR_EUNAVAILABLE when the database is down) when
 * the groups could not be listed, nothing done then; AXR_ENOMEM (groups
 * committed before it are not reported).
 */
int matchmaking_store_round(axr_db_t *db, axr_arena_t *arena, const matchmaking_round_options_t *opt,
                            matchmaking_round_t *out);

#endif
