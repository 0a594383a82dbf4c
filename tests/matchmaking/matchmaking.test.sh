#!/bin/sh
# matchmaking.test.sh: the matchmaking service end to end: two replicas of build/bin/axr-matchmaking
# (two ports, one database, both running the matcher) on tests/run's PostgreSQL and redis.
#
#   - 300 tickets (solo and parties of 2-3, two criteria sets) through HTTP, polled until each is
#     MATCH_FOUND or EXPIRED, every match read back and checked (build/tools/mm_load mass), then the
#     same invariants in SQL; cancels racing both matchers (mm_load race);
#   - events: a match's players get the Match create and their Ticket update (MATCH_FOUND) on their
#     channel, an expired ticket's player the EXPIRED update; /metrics;
#   - what a typed client cannot send: an undeclared member (the API's answers through the
#     generated client are tests/integration/matchmaking.c, client.test.sh);
#   - a drain: SIGTERM stops the matcher between rounds and the process exits 0.
#
# Matcher settings (lib.sh): a round every 50 ms, tickets expiring after 5 s.
. "$(dirname "$0")/lib.sh"
LOAD=$BUILD/tools/mm_load
[ -x "$LOAD" ] || setup_fail "$LOAD is missing (run make)"
command -v redis-cli >/dev/null 2>&1 || setup_fail "redis-cli is not installed (run make deps)"
mm_db http

# sql QUERY: one value (or rows, |-separated) from the service's database.
sql() { psql -X -A -t -q -v ON_ERROR_STOP=1 "$DBURL" -c "$1" 2>&1; }

# --- two replicas, one database ---------------------------------------------------------
start a
PORT_A=$PORT PID_A=$PID PID=
start b
PORT_B=$PORT PID_B=$PID PID=
A=http://127.0.0.1:$PORT_A
B=http://127.0.0.1:$PORT_B
begin "two replicas start on one database, both migrate it and run the matcher"
ready "$PORT_A" "$PID_A" || fail "replica a is not ready: $(tail -3 "$T/a.log" | tr '\n' ' ')"
ready "$PORT_B" "$PID_B" || fail "replica b is not ready: $(tail -3 "$T/b.log" | tr '\n' ' ')"
for _r in a b; do
	grep -q '"level":"error"' "$T/$_r.log" && fail "replica $_r logged an error: $(grep -m1 error "$T/$_r.log")"
	grep -q 'matcher on' "$T/$_r.log" || fail "replica $_r runs no matcher"
done
end_case
[ "$FAILED" -eq 0 ] || exit 1

# load COMMAND N OPTIONS...: runs mm_load against both replicas; its lines are this suite's cases.
load() {
	_cmd=$1 _n=$2
	shift 2
	"$LOAD" -k "$KEY" -u "$A,$B" -c 16 "$@" "$_cmd" "$_n" >"$T/$_cmd.out" 2>"$T/$_cmd.err"
	_rc=$?
	cat "$T/$_cmd.out"
	begin "mm_load $_cmd ran to the end"
	[ "$_rc" -le 1 ] || fail "exit status $_rc: $(tail -3 "$T/$_cmd.err")"
	end_case
	grep -q '^not ok' "$T/$_cmd.out" && FAILED=1
}

# --- many tickets through both replicas --------------------------------------------------
load mass 300 -w 20 -o "$T/mass.txt"

begin "SQL agrees with what HTTP showed: tickets, matches, MATCH_FOUND"
read -r _ n _ matched _ expired _ matches <"$T/mass.txt" 2>/dev/null || fail "no mm_load summary"
want "tickets" "$(sql "SELECT count(*) FROM ticket")" "${n:-}"
want "MATCH_FOUND" "$(sql "SELECT count(*) FROM ticket WHERE status = 'MATCH_FOUND'")" "${matched:-}"
want "EXPIRED" "$(sql "SELECT count(*) FROM ticket WHERE status = 'EXPIRED'")" "${expired:-}"
want "matches" "$(sql "SELECT count(*) FROM match")" "${matches:-}"
end_case

# sql_invariants NAME: the rules of every match, as SQL over the whole database.
sql_invariants() {
	begin "$1: in SQL, no player or ticket in two matches, exact team sizes, no mixed criteria"
	want "players in two matches" "$(sql "SELECT count(*) FROM (SELECT p FROM match,
		jsonb_array_elements_text(players) p GROUP BY p HAVING count(*) > 1) d")" 0
	want "tickets in two matches" "$(sql "SELECT count(*) FROM (SELECT x FROM match,
		jsonb_array_elements_text(tickets) x GROUP BY x HAVING count(*) > 1) d")" 0
	want "matches of the wrong size" "$(sql "SELECT count(*) FROM match WHERE jsonb_array_length(teams) <> num_teams
		OR jsonb_array_length(players) <> num_teams * team_size")" 0
	want "teams of the wrong size" "$(sql "SELECT count(*) FROM match m, jsonb_array_elements(m.teams) t
		WHERE jsonb_array_length(t->'members') <> m.team_size")" 0
	want "parties whose size is not what the team holds" "$(sql "SELECT count(*) FROM match m,
		jsonb_array_elements(m.teams) t WHERE jsonb_array_length(t->'members') <> (SELECT sum(k.num_users)
		FROM jsonb_array_elements_text(t->'tickets') x JOIN ticket k ON k.uid = x::uuid)")" 0
	want "tickets of a match with other criteria, another matchUid or not MATCH_FOUND" "$(sql "SELECT count(*)
		FROM match m, jsonb_array_elements_text(m.tickets) x JOIN ticket t ON t.uid = x::uuid
		WHERE t.criteria <> m.criteria OR t.num_teams <> m.num_teams OR t.match_uid IS DISTINCT FROM m.uid
		OR t.status <> 'MATCH_FOUND'")" 0
	want "MATCH_FOUND tickets missing from their match" "$(sql "SELECT count(*) FROM ticket t
		WHERE t.status = 'MATCH_FOUND' AND NOT EXISTS (SELECT 1 FROM match m WHERE m.uid = t.match_uid
		AND m.tickets ? t.uid::text)")" 0
	want "members still marked queued" "$(sql "SELECT count(*) FROM ticket_member x JOIN ticket t
		ON t.uid = x.ticket_uid WHERE x.queued <> (t.status = 'QUEUED')")" 0
	end_case
}
sql_invariants "mass"

# --- cancels racing the matchers -----------------------------------------------------------
load race 200 -d 100
sql_invariants "race"
begin "race: in SQL, no CANCELLED ticket is in a match"
want "cancelled tickets in matches" "$(sql "SELECT count(*) FROM match m, jsonb_array_elements_text(m.tickets) x
	JOIN ticket t ON t.uid = x::uuid WHERE t.status = 'CANCELLED'")" 0
want "cancelled tickets with a matchUid" "$(sql "SELECT count(*) FROM ticket WHERE status = 'CANCELLED'
	AND match_uid IS NOT NULL")" 0
end_case

# --- single requests ----------------------------------------------------------------------
# call METHOD URL TOKEN [BODY]: sets ST (status) and BODY; headers in $T/h.
call() {
	_auth=
	[ -n "$3" ] && _auth="Authorization: Bearer $3"
	ST=$(curl -s -o "$T/b" -D "$T/h" -w '%{http_code}' -X "$1" -H "${_auth:-X-No-Auth: 1}" \
		-H 'Content-Type: application/json' ${4:+--data-binary "$4"} "$2")
	BODY=$(cat "$T/b")
}
field() { printf '%s' "$BODY" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
uuid() { cat /proc/sys/kernel/random/uuid; }
token() { "$MINT" -k "$KEY" -s "$@"; }

U1=$(uuid) U3=$(uuid) U4=$(uuid) U5=$(uuid)
TOK1=$(token "$U1") TOK3=$(token "$U3") TOK4=$(token "$U4") TOK5=$(token "$U5")

# Subscriptions to the players' channels, before anything happens to them.
for _u in "$U3" "$U4" "$U5"; do
	redis-cli -u "$REDIS_URL" SUBSCRIBE "axr:user:$_u" >"$T/sub.$_u" 2>&1 &
	SUB_PIDS="$SUB_PIDS $!"
done
subscribed() { [ "$(redis-cli -u "$REDIS_URL" PUBSUB NUMSUB "axr:user:$1" | tail -1)" = 1 ]; }
# ticket_is URL TOKEN STATUS: GET the ticket (the answer stays in BODY); its status is STATUS.
ticket_is() {
	call GET "$1" "$2"
	[ "$(field status)" = "$3" ]
}
# heard UID PATTERN: the events received on UID's channel match PATTERN (grep -E, binary-safe).
heard() { grep -aEq -- "$2" "$T/sub.$1"; }
for _u in "$U3" "$U4" "$U5"; do
	wait_until 50 subscribed "$_u" || setup_fail "no redis subscription for $_u"
done

begin "a ticket no one can join expires after AXR_MATCH_MAX_WAIT (queued now, checked at the end)"
call POST "$A/tickets" "$TOK5" '{"criteria":[{"name":"mode","value":"lonely"}],"statistics":{"skillrating":5},"teamSize":5}'
want "status" "$ST" 201
LONELY=$(field uid)
end_case

begin "two players of a 1v1 get their match; each is told on their channel (Match create, Ticket MATCH_FOUND)"
call POST "$A/tickets" "$TOK3" '{"criteria":[{"name":"mode","value":"duel"}],"statistics":{"skillrating":1200,"latency":40},"teamSize":1}'
want "POST U3" "$ST" 201
T3=$(field uid)
call POST "$B/tickets" "$TOK4" '{"criteria":[{"name":"mode","value":"duel"}],"statistics":{"skillrating":1250},"teamSize":1}'
want "POST U4" "$ST" 201
T4=$(field uid)
wait_until 40 ticket_is "$B/tickets/$T3" "$TOK3" MATCH_FOUND
want "U3's ticket" "$(field status)" MATCH_FOUND
MATCH=$(field matchUid)
call GET "$A/matches/$MATCH" "$TOK4"
want "U4 reads the match" "$ST" 200
want_match "the match" "$BODY" "\"players\":\[\"($U3\",\"$U4|$U4\",\"$U3)\"\]"
wait_until 30 heard "$U3" MATCH_FOUND && wait_until 30 heard "$U4" MATCH_FOUND
for _u in "$U3" "$U4"; do
	heard "$_u" 'Match..create' && heard "$_u" "\"teams\":.*\"uid\":\"$MATCH\"" || fail "no Match create for $_u"
	heard "$_u" "\"matchUid\":\"$MATCH\".*\"status\":\"MATCH_FOUND\"" ||
		fail "no Ticket update MATCH_FOUND with the matchUid for $_u"
done
end_case

begin "an undeclared member of a ticket request is 400 at its path"
call POST "$A/tickets" "$TOK1" '{"statistics":{"skillrating":1},"teamSize":1,"colour":"red"}'
want "status" "$ST" 400
want_match "path" "$BODY" '"path":"/colour"'
end_case

begin "/metrics: queue gauges by criteria, matches, outcomes, wait-time histogram with buckets up to a day"
call POST "$A/tickets" "$TOK1" '{"criteria":[{"name":"mode","value":"solo-wait"}],"statistics":{"skillrating":1},"teamSize":5}'
want "a ticket to count" "$ST" 201
# gauges_show_solo_wait: replica a's /metrics (kept in $T/metrics.a) counts the ticket (the gauges
# follow the matcher's rounds).
gauges_show_solo_wait() {
	curl -s "$A/metrics" >"$T/metrics.a"
	grep -q '^axr_matchmaking_tickets_queued{criteria="mode=solo-wait",teams="2"} ' "$T/metrics.a"
}
wait_until 50 gauges_show_solo_wait
curl -s "$B/metrics" >"$T/metrics.b"
grep -q '^axr_matchmaking_tickets_queued{criteria="mode=solo-wait",teams="2"} ' "$T/metrics.a" ||
	fail "no tickets_queued gauge for mode=solo-wait"
grep -q '^axr_matchmaking_players_queued{criteria=' "$T/metrics.a" || fail "no players_queued gauge"
grep -q '^axr_matchmaking_wait_seconds_bucket{le="86400"}' "$T/metrics.a" || fail "no wait bucket le=86400"
grep -q '^axr_matchmaking_tickets_total{status="MATCH_FOUND"} [1-9]' "$T/metrics.b" || fail "no MATCH_FOUND counted"
_ma=$(sed -n 's/^axr_matchmaking_matches_total \([0-9]*\)$/\1/p' "$T/metrics.a")
_mb=$(sed -n 's/^axr_matchmaking_matches_total \([0-9]*\)$/\1/p' "$T/metrics.b")
echo "# matches formed by replica a: ${_ma:-?}, by replica b: ${_mb:-?}"
want "matches counted by the two replicas" "$((${_ma:-0} + ${_mb:-0}))" "$(sql "SELECT count(*) FROM match")"
end_case

begin "the lonely ticket is EXPIRED at its dateExpires and its player is told"
wait_until 80 ticket_is "$B/tickets/$LONELY" "$TOK5" EXPIRED
want "status" "$(field status)" EXPIRED
wait_until 20 heard "$U5" '"status":"EXPIRED"'
heard "$U5" "\"status\":\"EXPIRED\".*\"uid\":\"$LONELY\"" || fail "no Ticket update EXPIRED on $U5's channel"
end_case

begin "SIGTERM drains: the matcher stops between rounds, the process exits 0, the other replica goes on"
kill -TERM "$PID_A"
wait "$PID_A"
_rc=$?
PID_A=
want "exit status" "$_rc" 0
grep -q 'matcher stopped after' "$T/a.log" || fail "no 'matcher stopped' line"
grep -q '"level":"error"' "$T/a.log" && fail "an error was logged: $(grep -m1 '"level":"error"' "$T/a.log")"
call GET "$B/tickets/$T3" "$TOK3"
want "replica b" "$ST" 200
end_case

[ "$FAILED" -eq 0 ]
