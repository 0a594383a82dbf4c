#!/bin/sh
# achievement.test.sh: the achievement service over raw HTTP with curl and on redis: build/bin/axr-achievement on
# a fresh database of AXR_TEST_DATABASE_URL's server and AXR_TEST_REDIS_URL's redis; events checked on redis with
# build/tools/bus_listen, triggers fed with build/tools/bus_publish.
#
# The behaviour a game sees (admin-only definitions, hidden definitions, progress, overshoot, double unlock, 100
# concurrent calls, Idempotency-Key replay and 422, BOLA 404, deleted definitions, the unlock event on a websocket)
# is tested through the generated C client by client.test.sh (tests/integration/achievement.c). This suite keeps
# what a typed client cannot send or see: the server's own checks of what the client validates first (unknown
# members, bad uids and keys), WWW-Authenticate, the query language's filters and sorts, the events' wire format
# on the user's redis channel (JSON and protobuf data, once per unlock), triggers from bus events. About 5 s.
. "$(dirname "$0")/lib.sh"

SVC=$BUILD/bin/axr-achievement
MINT=$BUILD/tools/mint_token
LISTEN=$BUILD/tools/bus_listen
PUBLISH=$BUILD/tools/bus_publish
need "$SVC" "$MINT" "$LISTEN" "$PUBLISH"
fresh_db axr_achievement
start_service axr-achievement "$SVC" AXR_ACHIEVEMENT_TRIGGER_REFRESH=200ms
U=http://127.0.0.1:$PORT

ADMIN_UID=adadadad-0000-4000-8000-000000000001
ALICE_UID=a11ce000-0000-4000-8000-000000000002
BOB_UID=b0b00000-0000-4000-8000-000000000003
CAROL_UID=ca201000-0000-4000-8000-000000000004
ADMIN=$("$MINT" -k "$KEY" -s "$ADMIN_UID" -r admin) || setup_fail "mint_token failed"
ALICE=$("$MINT" -k "$KEY" -s "$ALICE_UID")
BOB=$("$MINT" -k "$KEY" -s "$BOB_UID")
CAROL=$("$MINT" -k "$KEY" -s "$CAROL_UID")

# call METHOD PATH TOKEN [BODY] [HEADER...]: sets CODE; the body is in $T/body, the headers in $T/head.
call() {
	_m=$1 _p=$2 _t=$3
	shift 3
	_body=
	if [ $# -gt 0 ]; then
		_body=$1
		shift
	fi
	set -- -s -o "$T/body" -D "$T/head" -w '%{http_code}' -X "$_m" --max-time 10 "$@"
	[ -n "$_t" ] && set -- "$@" -H "Authorization: Bearer $_t"
	[ -n "$_body" ] && set -- "$@" -H 'Content-Type: application/json' --data-binary "$_body"
	if [ "$_m" = HEAD ]; then
		CODE=$(curl "$@" -I "$U$_p")
	else
		CODE=$(curl "$@" "$U$_p")
	fi
}
body() { cat "$T/body"; }
# field NAME: the value of "NAME" in the answer (a number, a boolean or a string without quotes).
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" "$T/body" | head -n 1; }
header() { tr -d '\r' <"$T/head" | sed -n "s/^$1: //Ip" | head -n 1; }
# count_objects: how many objects the answered JSON array holds (records and definitions carry one "uid" each).
count_objects() { grep -o '"uid":' "$T/body" | wc -l | tr -d ' '; }

# define NAME JSON-MEMBERS: an admin creates a definition; prints its uid.
define() {
	call POST /achievements "$ADMIN" "{\"name\":\"$1\"$2}"
	[ "$CODE" = 201 ] || { fail "creating $1: $CODE $(body)"; return 1; }
	field uid
}

# listen NAME CHANNEL: bus_listen on CHANNEL in the background, output in $T/NAME.events; waits until subscribed.
listen() {
	"$LISTEN" -r "$REDIS_URL" -c "$2" -w 30000 >"$T/$1.events" 2>&1 &
	PIDS="$PIDS $!"
	_n=0
	until grep -q '^ready' "$T/$1.events" 2>/dev/null; do
		_n=$((_n + 1))
		[ "$_n" -gt 50 ] && { fail "bus_listen did not subscribe to $2"; return 1; }
		sleep 0.1
	done
}
# events NAME ACTION: how many events with that action arrived so far.
events() { grep -c "\"action\":\"$2\"" "$T/$1.events"; }

# ---- data for the cases below --------------------------------------------------------------------------------

begin definitions-and-progress-for-the-cases-below
listen alice "axr:user:$ALICE_UID"
FIRST=$(define first ',"title":"First steps","target":3,"points":20')
SECRET=$(define secret ',"hidden":true,"points":50')
FIVE=$(define five ',"target":5')
call POST /achievements/secret/unlock "$ALICE"
want "alice unlocks secret" "$CODE" 200
call POST /achievements/first/progress "$ALICE"
want "alice starts first" "$(field progress)" 1
call POST "/achievements/$FIRST/progress" "$ALICE" '{"increment":2}'
want "alice unlocks first" "$(field unlocked)" true
call POST /achievements/five/progress "$BOB" '{"increment":5}'
want "bob unlocks five" "$(field unlocked)" true
call POST /achievements/first/progress "$BOB"
want "bob starts first" "$(field progress)" 1
end_case

# ---- events on redis ----------------------------------------------------------------------------------------------

begin unlock-event-reaches-the-users-redis-channel-once
sleep 0.3
want "create events" "$(events alice create)" 1
want "unlock events" "$(events alice unlock)" 2 # secret (unlock at once) and first
want_match "unlock data (JSON)" "$(grep "\"achievementUid\":\"$FIRST\"" "$T/alice.events" | grep '"action":"unlock"')" \
	"\"progress\":3,\"unlocked\":true"
want_match "protobuf data and service" "$(grep '"action":"unlock"' "$T/alice.events" | head -n 1)" \
	'^axr:user:[^ ]+ achievement data=[1-9][0-9]* \{"type":"UserAchievement"'
call POST /achievements/first/unlock "$ALICE"
want "unlock again" "$CODE" 200
sleep 0.3
want "no new unlock event" "$(events alice unlock)" 2
want "no update event" "$(events alice update)" 0
end_case

# ---- the server's own checks ----------------------------------------------------------------------------------------

begin the-server-refuses-what-a-client-checks-first
call POST /achievements "" '{"name":"anon"}'
want "anonymous create" "$CODE" 401
want_match "WWW-Authenticate" "$(header WWW-Authenticate)" '^Bearer'
call POST /achievements "$ADMIN" '{"name":"Bad-Name"}'
want "name pattern" "$CODE" 400
want_match "field error on name" "$(body)" '"path":"/name"'
call POST /achievements/five/progress "$CAROL" '{"increment":0}'
want "increment 0" "$CODE" 400
want_match "field error" "$(body)" '"path":"/increment"'
call POST /achievements/five/progress "$CAROL" '{"increment":1,"points":3}'
want "unknown property" "$CODE" 400
call POST /achievements/five/progress "$CAROL" '{"userUid":"not-a-uuid"}'
want "bad userUid" "$CODE" 400
call POST /achievements/five/progress "$CAROL" '{}' -H 'Idempotency-Key: has space'
want "bad Idempotency-Key" "$CODE" 400
call GET "/users/nobody/achievements" "$ALICE"
want "not a uid" "$CODE" 400
call HEAD "/users/me/achievements" "$CAROL"
want "nothing of carol's changed" "$(header X-Total-Count)" 0
end_case

# ---- the query language ---------------------------------------------------------------------------------------------

begin user-lists-filter-sort-and-count
call GET "/users/me/achievements?achievementUid=$FIRST" "$BOB"
want "by achievementUid" "$(field progress)" 1
call GET "/users/me/achievements?limit=1&page=1&sort=%7B%22progress%22:%22DESC%22%7D" "$BOB"
want "second page by progress" "$(field progress)" 1
call GET "/achievements?points=gte(20)" "$ALICE"
want "definitions with points >= 20" "$(count_objects)" 2 # first (20), secret (50, unlocked by alice)
call GET "/achievements?points=gte(20)" "$BOB"
want "bob does not see secret" "$(count_objects)" 1
call HEAD "/achievements?hidden=true" "$BOB"
want "hidden count for bob" "$(header X-Total-Count)" 0
call HEAD "/achievements?hidden=true" "$ADMIN"
want "hidden count for the admin" "$(header X-Total-Count)" 1
end_case

# ---- triggers ----------------------------------------------------------------------------------------------------

begin bus-events-named-by-a-trigger-add-progress-once
TRADER=$(define trader ',"target":5,"trigger":{"service":"economy","type":"Transaction","action":"create"}')
listen bob "axr:user:$BOB_UID"
# trade V [AUDIENCE...]: economy publishes a Transaction create, version V.
trade() {
	_v=$1
	shift
	_a=""
	for _u in "$@"; do _a="$_a -A $_u"; done
	# shellcheck disable=SC2086 # _a is several words
	"$PUBLISH" -r "$REDIS_URL" -s economy -t Transaction -a create -o 11111111-0000-4000-8000-000000000000 -v "$_v" $_a \
		2>/dev/null
}
# bob_progress: Bob's progress on trader (empty before the first event).
bob_progress() {
	call GET "/users/me/achievements?achievementUid=$TRADER" "$BOB"
	field progress
}
# The subscriber reads the triggers every 200 ms: publish until an event counts, then let late ones land.
_v=0
while [ "$_v" -lt 50 ] && [ -z "$(bob_progress)" ]; do
	_v=$((_v + 1))
	trade "$_v" "$BOB_UID"
	sleep 0.1
done
sleep 0.3
P=$(bob_progress)
want_match "first events counted" "$P" '^[12]$'
# The same event twice (as every replica receives it): one step, for each user of its audience.
trade 100 "$BOB_UID" "$ALICE_UID"
trade 100 "$BOB_UID" "$ALICE_UID"
"$PUBLISH" -r "$REDIS_URL" -s economy -t Transaction -a delete -o 11111111-0000-4000-8000-000000000000 -v 101 \
	-A "$BOB_UID" 2>/dev/null
sleep 0.4
want "a repeated event counts once, another action not at all" "$(bob_progress)" "$((P + 1))"
call GET "/users/me/achievements?achievementUid=$TRADER" "$ALICE"
want "every audience user progresses" "$(field progress)" 1
_v=200
while [ "$_v" -lt $((200 + 5 - P - 1)) ]; do
	trade "$_v" "$BOB_UID"
	_v=$((_v + 1))
done
sleep 0.4
call GET "/users/me/achievements?achievementUid=$TRADER" "$BOB"
want "the target unlocks" "$(field unlocked)" true
want "at the target" "$(field progress)" 5
want "one unlock event" "$(grep "\"achievementUid\":\"$TRADER\"" "$T/bob.events" | grep -c '"action":"unlock"')" 1
end_case

exit "$FAILED"
