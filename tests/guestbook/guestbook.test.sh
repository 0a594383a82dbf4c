#!/bin/sh
# guestbook.test.sh: the reference example service (docs/writing-a-service.md)
# end to end through HTTP on a real PostgreSQL: generated CRUD with
# ownership, validation and optimistic locking, and its one hand-written
# handler.
set -u
ROOT=${AXR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 2
BUILD=${AXR_BUILD:-build}
BIN=$BUILD/bin/axr-guestbook
MINT=$BUILD/tools/mint_token
KEY=tests/fixtures/keys/test-only-rs256-private.pem
PUB=tests/fixtures/keys/test-only-rs256-public.pem
T=$(mktemp -d "${AXR_TEST_TMP:-/tmp}/axr-guestbook.XXXXXX") || exit 2
chmod 755 "$T"
FAILED=0
PID=""
OWN_PG=0
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ "$OWN_PG" = 1 ] && sh scripts/stack.sh pg-stop "$T/stack" immediate >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { echo "ok - $1"; }
nok() { echo "not ok - $1: $2"; FAILED=1; }
# check NAME GOT WANT-ERE
check() { if printf '%s' "$2" | grep -Eq -- "$3"; then ok "$1"; else nok "$1" "got '$2', want /$3/"; fi; }

for b in "$BIN" "$MINT"; do
	[ -x "$b" ] || { echo "not ok - setup: $b is missing (run make)"; exit 1; }
done

# A fresh database on the shared server of tests/run, or a private server.
if [ -n "${AXR_TEST_DATABASE_URL:-}" ]; then
	ADMIN_URL=$AXR_TEST_DATABASE_URL
else
	mkdir -p "$T/stack" && chmod 755 "$T/stack"
	pgport=$(sh scripts/stack.sh free-port)
	sh scripts/stack.sh pg-start "$T/stack" "$pgport" || { echo "not ok - setup: PostgreSQL"; exit 1; }
	OWN_PG=1
	ADMIN_URL=$(sh scripts/stack.sh pg-url "$pgport" postgres)
fi
DB=axr_t_guestbook_$$
psql -q "$ADMIN_URL" -c "CREATE DATABASE $DB" >/dev/null 2>&1 || { echo "not ok - setup: createdb"; exit 1; }
URL=$(printf '%s' "$ADMIN_URL" | sed "s|/[^/?]*\(?.*\)\{0,1\}$|/$DB\1|")

PORT=$(sh scripts/stack.sh free-port)
AXR_PORT=$PORT AXR_DATABASE_URL=$URL AXR_JWT_PUBLIC_KEY=$PUB AXR_ACCESS_LOG=false AXR_WORKERS=4 \
	"$BIN" >"$T/svc.log" 2>&1 &
PID=$!
base=http://127.0.0.1:$PORT
i=0
until curl -sf -o /dev/null "$base/readyz"; do
	i=$((i + 1))
	[ $i -gt 100 ] && { echo "not ok - setup: service not ready: $(tail -3 "$T/svc.log")"; exit 1; }
	sleep 0.1
done

A=$("$MINT" -k "$KEY" -s alice -u 11111111-1111-4111-8111-111111111111)
B=$("$MINT" -k "$KEY" -s bob -u 22222222-2222-4222-8222-222222222222)
ADMIN=$("$MINT" -k "$KEY" -s root -u 33333333-3333-4333-8333-333333333333 -r admin)
J='Content-Type: application/json'
# req TOKEN METHOD PATH [BODY] [EXTRA-HEADER]: prints "STATUS BODY"
req() {
	_tok=$1 _m=$2 _p=$3 _b=${4:-} _h=${5:-X-None: 1}
	if [ -n "$_b" ]; then
		curl -s -o "$T/body" -w '%{http_code}' -X "$_m" -H "Authorization: Bearer $_tok" -H "$J" -H "$_h" \
			-d "$_b" "$base$_p"
	else
		curl -s -o "$T/body" -w '%{http_code}' -X "$_m" -H "Authorization: Bearer $_tok" -H "$_h" "$base$_p"
	fi
	printf ' %s' "$(cat "$T/body")"
}

r=$(req "$A" POST /entries '{"message":"hello from alice"}')
check create_answers_201_with_server_fields "$r" '^201 \{.*"authorUid":"11111111-1111-4111-8111-111111111111".*"uid":"[0-9a-f-]{36}","version":0\}$'
ID=$(printf '%s' "$r" | sed -n 's/.*"uid":"\([^"]*\)".*/\1/p')

check read_own_entry "$(req "$A" GET "/entries/$ID")" '^200 .*"message":"hello from alice"'
check another_players_entry_is_404 "$(req "$B" GET "/entries/$ID")" '^404 \{"status":404,"code":"NOTFOUND"'
check another_player_lists_nothing "$(req "$B" GET /entries)" '^200 \[\]$'
check admin_reads_any_entry "$(req "$ADMIN" GET "/entries/$ID")" '^200 '
check read_only_property_in_a_body_is_400 "$(req "$A" POST /entries '{"message":"x","pinned":true}')" \
	'^400 .*"path":"/pinned"'
check missing_required_property_is_400 "$(req "$A" POST /entries '{}')" '^400 .*"path":"/message"'
check too_long_message_is_400 "$(req "$A" POST /entries "{\"message\":\"$(head -c 501 /dev/zero | tr '\0' a)\"}")" \
	'^400 .*"path":"/message"'
check creating_for_someone_else_is_403 \
	"$(req "$A" POST /entries '{"message":"x","authorUid":"22222222-2222-4222-8222-222222222222"}')" '^403 '
check no_token_is_401 "$(curl -s -o /dev/null -w '%{http_code}' "$base/entries")" '^401$'
check unknown_filter_is_400 "$(req "$A" GET '/entries?bogus=1')" '^400 .*"path":"/query/bogus"'
check sort_injection_is_400 "$(req "$A" GET '/entries?sort=uid;DROP%20TABLE%20entry')" '^400 '
check filter_like_finds_the_entry "$(req "$A" GET '/entries?message=like(hello%25)')" '^200 \[\{.*"hello from alice"'
check head_counts_in_x_total_count \
	"$(curl -sI -H "Authorization: Bearer $A" "$base/entries" | tr -d '\r' | grep -i '^X-Total-Count:')" 'X-Total-Count: 1$'
check update_with_current_version "$(req "$A" PUT "/entries/$ID" '{"message":"changed"}' 'If-Match: "0"')" \
	'^200 .*"message":"changed".*"version":1'
check update_with_stale_version_is_409 "$(req "$A" PUT "/entries/$ID" '{"message":"again"}' 'If-Match: "0"')" '^409 '
check another_player_cannot_update "$(req "$B" PUT "/entries/$ID" '{"message":"mine"}' 'If-Match: "1"')" '^404 '
check another_player_cannot_pin "$(req "$B" POST "/entries/$ID/pin")" '^404 '
check author_pins "$(req "$A" POST "/entries/$ID/pin")" '^200 .*"pinned":true.*"version":2'
check another_player_cannot_delete "$(req "$B" DELETE "/entries/$ID")" '^404 '
check author_deletes "$(req "$A" DELETE "/entries/$ID")" '^204 '
check deleted_entry_is_gone "$(req "$A" GET "/entries/$ID")" '^404 '

kill "$PID" 2>/dev/null
wait "$PID" 2>/dev/null
check drains_and_exits_0_on_sigterm "$?" '^0$'
PID=""
psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
exit $FAILED
