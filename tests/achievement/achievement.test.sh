#!/bin/sh
# achievement.test.sh: the achievement service end to end over HTTP (issue 9's proof list): build/bin/axr-achievement
# on a fresh database of AXR_TEST_DATABASE_URL's server and AXR_TEST_REDIS_URL's redis, driven with curl; events
# checked on redis with build/tools/bus_listen, triggers fed with build/tools/bus_publish.
#
# Cases: admin-only definitions (401/403, 400 with field errors, 409 duplicate and stale version), hidden
# definitions in lists, counts and gets until unlocked, progress to unlock, overshoot clamped, double unlock,
# 100 concurrent progress calls (exact total, one unlock event among 100 change events), Idempotency-Key replay
# and 422, BOLA 404 on another user's list, filters, the unlock event on the user's redis channel (JSON and
# protobuf data), triggers from bus events (once per event), deleted definitions. Runs in about 15 s.
set -u

ROOT=${AXR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 2
BUILD=${AXR_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SVC=$BUILD/bin/axr-achievement
MINT=$BUILD/tools/mint_token
LISTEN=$BUILD/tools/bus_listen
PUBLISH=$BUILD/tools/bus_publish
KEY=$ROOT/tests/fixtures/keys/test-only-rs256-private.pem
PUB=$ROOT/tests/fixtures/keys/test-only-rs256-public.pem
ADMIN_URL=${AXR_TEST_DATABASE_URL:-}
REDIS_URL=${AXR_TEST_REDIS_URL:-}
T=$(mktemp -d "${AXR_TEST_TMP:-${TMPDIR:-/tmp}}/axr-achievement.XXXXXX") || exit 2
FAILED=0
CASE=""
WHY=""
PID=""
LISTENERS=""
DB=axr_achievement_$$

cleanup() {
	for _p in $LISTENERS $PID; do kill -9 "$_p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "$ADMIN_URL" ] && psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

begin() {
	CASE=$1
	WHY=""
}
fail() { WHY="${WHY:+$WHY; }$*"; }
want() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }
want_match() { printf '%s' "$2" | grep -Eq -- "$3" || fail "$1: '$2' does not match /$3/"; }
end_case() {
	if [ -z "$WHY" ]; then
		echo "ok - $CASE"
	else
		echo "not ok - $CASE: $WHY"
		FAILED=1
	fi
}
setup_fail() {
	echo "not ok - setup: $*"
	exit 1
}

for _bin in "$SVC" "$MINT" "$LISTEN" "$PUBLISH"; do
	[ -x "$_bin" ] || setup_fail "$_bin is missing (run make)"
done
[ -n "$ADMIN_URL" ] && [ -n "$REDIS_URL" ] ||
	setup_fail "AXR_TEST_DATABASE_URL and AXR_TEST_REDIS_URL must be set (run through tests/run)"
psql -X -q "$ADMIN_URL" -c "CREATE DATABASE $DB" >/dev/null 2>"$T/createdb.err" ||
	setup_fail "CREATE DATABASE $DB: $(cat "$T/createdb.err")"
DBURL=$(printf '%s' "$ADMIN_URL" | sed "s|^\(postgres[a-z]*://[^/]*\)/[^?]*|\1/$DB|")

PORT=$(sh scripts/stack.sh free-port) || setup_fail "no free port"
U=http://127.0.0.1:$PORT
AXR_PORT=$PORT AXR_THREADS=2 AXR_WORKERS=8 AXR_ACCESS_LOG=false AXR_DRAIN_TIMEOUT=3s AXR_DATABASE_URL=$DBURL \
	AXR_REDIS_URL=$REDIS_URL AXR_JWT_PUBLIC_KEY=$PUB AXR_ACHIEVEMENT_TRIGGER_REFRESH=200ms "$SVC" >"$T/svc.log" 2>&1 &
PID=$!
_n=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$U/readyz")" = 200 ]; do
	_n=$((_n + 1))
	if [ "$_n" -gt 100 ] || ! kill -0 "$PID" 2>/dev/null; then
		setup_fail "axr-achievement is not ready: $(tail -3 "$T/svc.log" | tr '\n' ' ')"
	fi
	sleep 0.1
done

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
	LISTENERS="$LISTENERS $!"
	_n=0
	until grep -q '^ready' "$T/$1.events" 2>/dev/null; do
		_n=$((_n + 1))
		[ "$_n" -gt 50 ] && { fail "bus_listen did not subscribe to $2"; return 1; }
		sleep 0.1
	done
}
# events NAME ACTION: how many events with that action arrived so far.
events() { grep -c "\"action\":\"$2\"" "$T/$1.events"; }

# ---- definitions: admins only ------------------------------------------------------------------------------

begin definitions-are-written-by-admins-only
call POST /achievements "" '{"name":"anon"}'
want "anonymous create" "$CODE" 401
want_match "WWW-Authenticate" "$(header WWW-Authenticate)" '^Bearer'
call POST /achievements "$ALICE" '{"name":"mine"}'
want "player create" "$CODE" 403
FIRST=$(define first ',"title":"First steps","target":3,"points":10')
call PUT "/achievements/$FIRST" "$ALICE" '{"name":"first","target":1}' -H 'If-Match: "0"'
want "player update" "$CODE" 403
call DELETE /achievements/first "$ALICE"
want "player delete" "$CODE" 403
call GET /achievements/first "$ALICE"
want "player read" "$CODE" 200
want "title unchanged" "$(field title)" "First steps"
want "ETag" "$(header ETag)" '"0"'
end_case

begin definitions-validate-and-conflict
call POST /achievements "$ADMIN" '{"name":"first"}'
want "duplicate name" "$CODE" 409
want_match "409 names the field" "$(body)" '"path":"/name"'
call POST /achievements "$ADMIN" '{"name":"bad","target":0,"badge":"not a uri"}'
want "target 0" "$CODE" 400
want_match "field error on target" "$(body)" '"path":"/target"'
call POST /achievements "$ADMIN" '{"name":"Bad-Name"}'
want "name pattern" "$CODE" 400
call PUT /achievements/first "$ADMIN" '{"name":"first","title":"First steps","target":3,"points":20}' -H 'If-Match: "0"'
want "admin update" "$CODE" 200
want "new version" "$(field version)" 1
call PUT /achievements/first "$ADMIN" '{"name":"first","target":3,"points":30}' -H 'If-Match: "0"'
want "stale version" "$CODE" 409
end_case

# ---- hidden definitions ---------------------------------------------------------------------------------------

begin hidden-definitions-are-invisible-to-players-until-unlocked
listen alice "axr:user:$ALICE_UID"
SECRET=$(define secret ',"hidden":true,"points":50')
call GET /achievements "$ALICE"
want "player list" "$CODE" 200
want_match "player list has first" "$(body)" '"name":"first"'
grep -q '"name":"secret"' "$T/body" && fail "the player's list shows the hidden definition"
call HEAD /achievements "$ALICE"
want "player count" "$(header X-Total-Count)" 1
call GET /achievements/secret "$ALICE"
want "player get by name" "$CODE" 404
call GET "/achievements/$SECRET" "$ALICE"
want "player get by uid" "$CODE" 404
call HEAD /achievements "$ADMIN"
want "admin count" "$(header X-Total-Count)" 2
call GET /achievements/secret "$ADMIN"
want "admin get" "$CODE" 200
# The game knows its hidden achievements: unlocking by name works, and then Alice sees it (Bob still does not).
call POST /achievements/secret/unlock "$ALICE"
want "unlock hidden" "$CODE" 200
want "unlocked" "$(field unlocked)" true
call GET /achievements/secret "$ALICE"
want "get after unlock" "$CODE" 200
call GET "/achievements?sort=name" "$ALICE"
want_match "list after unlock" "$(body)" '"name":"first".*"name":"secret"'
call HEAD /achievements "$ALICE"
want "count after unlock" "$(header X-Total-Count)" 2
call GET /achievements/secret "$BOB"
want "another player" "$CODE" 404
end_case

# ---- progress ---------------------------------------------------------------------------------------------------

begin progress-accumulates-and-unlocks-at-the-target
call POST /achievements/first/progress "$ALICE"
want "first call" "$CODE" 200
want "progress" "$(field progress)" 1
want "not unlocked" "$(field unlocked)" false
want "user" "$(field userUid)" "$ALICE_UID"
want "achievement" "$(field achievementUid)" "$FIRST"
grep -q dateUnlocked "$T/body" && fail "dateUnlocked before the unlock"
call POST "/achievements/$FIRST/progress" "$ALICE" '{"increment":2}'
want "second call" "$CODE" 200
want "progress at target" "$(field progress)" 3
want "unlocked" "$(field unlocked)" true
want_match "dateUnlocked" "$(field dateUnlocked)" '^20[0-9-]+T[0-9:.]+Z$'
want "ETag of the record" "$(header ETag)" "\"$(field version)\""
end_case

begin unlock-event-reaches-the-users-redis-channel-once
sleep 0.3
want "create events" "$(events alice create)" 1
want "unlock events" "$(events alice unlock)" 2 # secret (unlock at once) and first
want_match "unlock data (JSON)" "$(grep "\"achievementUid\":\"$FIRST\"" "$T/alice.events" | grep '"action":"unlock"')" \
	"\"progress\":3,\"unlocked\":true"
want_match "protobuf data and service" "$(grep '"action":"unlock"' "$T/alice.events" | head -n 1)" \
	'^axr:user:[^ ]+ achievement data=[1-9][0-9]* \{"type":"UserAchievement"'
end_case

begin double-unlock-and-progress-on-unlocked-change-nothing
call POST /achievements/first/progress "$ALICE"
want "progress after unlock" "$CODE" 200
V1=$(field version)
D1=$(field dateUnlocked)
want "progress stays" "$(field progress)" 3
call POST /achievements/first/unlock "$ALICE"
want "unlock again" "$CODE" 200
want "same version" "$(field version)" "$V1"
want "same dateUnlocked" "$(field dateUnlocked)" "$D1"
call POST /achievements/secret/unlock "$ALICE"
want "unlock secret again" "$(field version)" 0
sleep 0.3
want "no new unlock event" "$(events alice unlock)" 2
want "no update event" "$(events alice update)" 0 # first: create, then unlock; secret: unlock at once
end_case

begin overshoot-is-clamped-at-the-target
define five ',"target":5' >/dev/null
call POST /achievements/five/progress "$BOB" '{"increment":4}'
want "below" "$(field progress)" 4
call POST /achievements/five/progress "$BOB" '{"increment":9223372036854775807}'
want "overshoot" "$CODE" 200
want "clamped" "$(field progress)" 5
want "unlocked" "$(field unlocked)" true
end_case

begin progress-rejects-bad-requests
call POST /achievements/five/progress "$CAROL" '{"increment":0}'
want "increment 0" "$CODE" 400
want_match "field error" "$(body)" '"path":"/increment"'
call POST /achievements/five/progress "$CAROL" '{"increment":1,"points":3}'
want "unknown property" "$CODE" 400
call POST /achievements/five/progress "$CAROL" '{"userUid":"not-a-uuid"}'
want "bad userUid" "$CODE" 400
call POST /achievements/five/progress "$CAROL" '{}' -H 'Idempotency-Key: has space'
want "bad Idempotency-Key" "$CODE" 400
call POST /achievements/five/progress "$CAROL" "{\"userUid\":\"$BOB_UID\"}"
want "another user" "$CODE" 403
want_match "403 names userUid" "$(body)" '"path":"/userUid"'
call POST /achievements/five/progress "$CAROL" "{\"userUid\":\"$CAROL_UID\"}"
want "naming oneself" "$CODE" 200
call POST /achievements/nope/progress "$CAROL"
want "no such achievement" "$CODE" 404
call POST /achievements/five/progress ""
want "anonymous" "$CODE" 401
end_case

begin admins-act-for-a-player
call POST /achievements/first/progress "$ADMIN" "{\"userUid\":\"$CAROL_UID\",\"increment\":2}"
want "admin for carol" "$CODE" 200
want "carol's record" "$(field userUid)" "$CAROL_UID"
want "progress" "$(field progress)" 2
call POST /achievements/first/unlock "$ADMIN" "{\"userUid\":\"$CAROL_UID\"}"
want "admin unlocks for carol" "$(field unlocked)" true
want "progress = target" "$(field progress)" 3
end_case

# ---- 100 concurrent calls -----------------------------------------------------------------------------------------

# burst NAME TOKEN BODY N: N progress calls on NAME at once (curl in the background); their codes in $T/burst.
burst() {
	: >"$T/burst"
	_i=0
	while [ "$_i" -lt "$4" ]; do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 -X POST -H "Authorization: Bearer $2" \
			-H 'Content-Type: application/json' --data-binary "$3" "$U/achievements/$1/progress" >>"$T/burst" &
		_i=$((_i + 1))
	done
	# Waits for those curls only (not for the service or the listeners, also children of this shell).
	_n=0
	while [ "$(wc -l <"$T/burst")" -lt "$4" ] && [ "$_n" -lt 300 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
}

begin hundred-concurrent-progress-calls-add-up-exactly
GRIND=$(define grind ',"target":1000')
burst grind "$BOB" '{"increment":3}' 100
want "all answered 200" "$(sort -u "$T/burst" | tr '\n' ' ')" "200 "
call GET "/users/me/achievements?achievementUid=$GRIND" "$BOB"
want "one record" "$(count_objects)" 1
want "exact total" "$(field progress)" 300
want "not unlocked" "$(field unlocked)" false
end_case

begin hundred-concurrent-calls-reaching-the-target-unlock-once
CENTURY=$(define century ',"target":100')
listen carol "axr:user:$CAROL_UID"
burst century "$CAROL" '{}' 100
want "all answered 200" "$(sort -u "$T/burst" | tr '\n' ' ')" "200 "
call GET "/users/me/achievements?achievementUid=$CENTURY" "$CAROL"
want "progress" "$(field progress)" 100
want "unlocked" "$(field unlocked)" true
_n=0
while [ "$(grep -c "\"achievementUid\":\"$CENTURY\"" "$T/carol.events")" -lt 100 ] && [ "$_n" -lt 50 ]; do
	sleep 0.1
	_n=$((_n + 1))
done
want "change events (1 create, 98 updates, 1 unlock)" "$(grep -c "\"achievementUid\":\"$CENTURY\"" "$T/carol.events")" 100
want "unlock events" "$(grep "\"achievementUid\":\"$CENTURY\"" "$T/carol.events" | grep -c '"action":"unlock"')" 1
end_case

# ---- Idempotency-Key ------------------------------------------------------------------------------------------------

begin idempotency-key-replays-the-original-result
DAILY=$(define daily ',"target":10')
call POST /achievements/daily/progress "$BOB" '{"increment":2}' -H 'Idempotency-Key: day-1'
want "first" "$CODE" 200
FIRST_ANSWER=$(body)
want "progress" "$(field progress)" 2
call POST /achievements/daily/progress "$BOB" '{"increment":2}' -H 'Idempotency-Key: day-1'
want "replay" "$CODE" 200
want "replay answers the original" "$(body)" "$FIRST_ANSWER"
call POST /achievements/daily/progress "$BOB" '{"increment":1}'
want "without a key it adds" "$(field progress)" 3
call POST /achievements/daily/progress "$BOB" '{"increment":2}' -H 'Idempotency-Key: day-1'
want "a later replay still answers the original" "$(field progress)" 2
call POST /achievements/daily/progress "$BOB" '{"increment":5}' -H 'Idempotency-Key: day-1'
want "same key, another request" "$CODE" 422
want_match "422 names the key" "$(body)" '"path":"/Idempotency-Key"'
call POST /achievements/daily/progress "$CAROL" '{"increment":2}' -H 'Idempotency-Key: day-1'
want "keys are per caller" "$(field progress)" 2
want "carol's own record" "$(field userUid)" "$CAROL_UID"
call GET "/users/$BOB_UID/achievements?achievementUid=$DAILY" "$ADMIN"
want "bob's total" "$(field progress)" 3
end_case

# ---- a user's list -----------------------------------------------------------------------------------------------

begin another-users-list-is-404
call GET "/users/$BOB_UID/achievements" "$ALICE"
want "alice reads bob's list" "$CODE" 404
call HEAD "/users/$BOB_UID/achievements" "$ALICE"
want "alice counts bob's list" "$CODE" 404
call GET "/users/$ALICE_UID/achievements" "$ALICE"
want "her own by uid" "$CODE" 200
call GET "/users/$BOB_UID/achievements" "$ADMIN"
want "admin reads bob's list" "$CODE" 200
want "bob's records" "$(count_objects)" 3 # five, grind, daily
call GET "/users/nobody/achievements" "$ALICE"
want "not a uid" "$CODE" 400
call GET "/users/me/achievements" ""
want "anonymous" "$CODE" 401
end_case

begin user-lists-filter-sort-and-count
call GET "/users/me/achievements?unlocked=true&sort=dateCreated" "$ALICE"
want "alice's unlocked" "$(count_objects)" 2
call GET "/users/me/achievements?unlocked=false" "$ALICE"
want "alice's locked" "$(count_objects)" 0
call GET "/users/me/achievements?progress=gte(5)" "$BOB"
want "bob's progress >= 5" "$(count_objects)" 2 # five (5), grind (300)
call HEAD "/users/me/achievements?unlocked=true" "$BOB"
want "bob's unlocked count" "$(header X-Total-Count)" 1
call GET "/users/me/achievements?nope=1" "$BOB"
want "unknown filter" "$CODE" 400
want_match "400 names it" "$(body)" '"path":"/query/nope"'
call GET "/users/me/achievements?limit=1&page=1&sort=%7B%22progress%22:%22DESC%22%7D" "$BOB"
want "second page by progress" "$(field progress)" 5
call GET "/achievements?points=gte(20)" "$ALICE"
want "definitions with points >= 20" "$(count_objects)" 2 # first (20), secret (50, unlocked by alice)
call GET "/achievements?points=gte(20)" "$BOB"
want "bob does not see secret" "$(count_objects)" 1
call HEAD "/achievements?hidden=true" "$BOB"
want "hidden count for bob" "$(header X-Total-Count)" 0
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

# ---- deleted definitions -----------------------------------------------------------------------------------------

begin deleted-definitions-take-no-progress-and-leave-the-lists
call DELETE /achievements/daily "$ADMIN"
want "admin delete" "$CODE" 204
call POST /achievements/daily/progress "$BOB"
want "progress on a deleted definition" "$CODE" 404
call GET "/users/me/achievements" "$BOB"
grep -q "\"progress\":3,[^}]*\"unlocked\":false" "$T/body" && fail "bob's list still shows daily"
call GET /achievements/daily "$ADMIN"
want "gone" "$CODE" 404
end_case

exit "$FAILED"
