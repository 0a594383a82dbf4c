#!/bin/sh
# axr_up.test.sh: the axr tool against the whole local platform (scripts/up.sh in a
# temp folder on free ports, as tests/gateway/up.test.sh runs it): log in as the
# admin through the gateway's /v1, create and list guestbook entries, and the
# exit codes of an HTTP error (3) and of a stopped gateway (4).
set -u
ROOT=${AXR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${AXR_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
STACK=$ROOT/scripts/stack.sh
AXR=$BUILD/bin/axr
T=$(mktemp -d "${TMPDIR:-/tmp}/axr-cli-up.XXXXXX")
chmod 755 "$T"

unset AXR_DATABASE_URL AXR_REDIS_URL AXR_ADMIN_NAME AXR_ADMIN_PASSWORD AXR_LOG_LEVEL AXR_TOKEN AXR_URL
export AXR_RUN_DIR="$T/run" AXR_BUILD="$BUILD" AXR_UP_READY_TIMEOUT=30 AXR_DOWN_TIMEOUT=10
export AXR_UP_PG_PORT="$(sh "$STACK" free-port)"
export AXR_UP_REDIS_PORT="$(sh "$STACK" free-port)"
GW_PORT=$(sh "$STACK" free-port)
export AXR_UP_GATEWAY="127.0.0.1:$GW_PORT"
EX_PORT=$(sh "$STACK" free-port)
example_line=$(sh "$ROOT/scripts/gateway.sh" services | awk '$1 == "example"')
export AXR_UP_PORT_OFFSET=$((EX_PORT - $(echo "$example_line" | awk '{ print $2 }')))
export AXR_TOKEN_FILE=$T/token
URL=http://127.0.0.1:$GW_PORT/v1

cleanup() {
	sh "$ROOT/scripts/down.sh" >/dev/null 2>&1
	rm -rf "$T"
}
. "$ROOT/tests/gateway/tap.sh"
# check NAME "STATUS OUTPUT" WANT-ERE (output lines joined with '|')
check() {
	_got=$(printf '%s' "$2" | tr '\n' '|')
	if printf '%s' "$_got" | grep -Eq -- "$3"; then ok "$1"; else not_ok "$1" "got '$_got', want /$3/"; fi
}

if [ ! -x "$AXR" ] || [ ! -x "$BUILD/bin/axr-account" ] || [ ! -x "$BUILD/bin/axr-guestbook" ]; then
	not_ok setup "need $AXR, axr-account and axr-guestbook (run make)"
	exit 1
fi
if ! sh "$ROOT/scripts/up.sh" >"$T/up.out" 2>&1; then
	not_ok up "$(tail -n 10 "$T/up.out" | tr '\n' ' ')"
	exit 1
fi
ok up-starts-the-platform
. "$T/run/admin.env"

out=$("$AXR" --url "$URL" login --login "$AXR_ADMIN_NAME" --password "$AXR_ADMIN_PASSWORD" 2>&1)
check login-through-the-gateway "$? $out" "^0 logged in as $AXR_ADMIN_NAME$"
out=$("$AXR" --url "$URL" guestbook createEntry --data '{"message":"through the gateway"}' 2>&1)
check create-through-the-gateway "$? $out" '^0 \{.*"message":"through the gateway"'
ID=$(printf '%s' "$out" | sed -n 's/.*"uid":"\([^"]*\)".*/\1/p')
out=$(AXR_URL=$URL "$AXR" guestbook findEntries --limit 5 2>&1)
check list-through-the-gateway "$? $out" "^0 \[.*\"uid\":\"$ID\""
out=$("$AXR" --url "$URL" account findMe 2>&1)
check account-operation-with-the-stored-token "$? $out" "^0 \{.*\"name\":\"$AXR_ADMIN_NAME\""
out=$("$AXR" --url "$URL" guestbook findEntry --id 00000000-0000-4000-8000-000000000000 2>&1)
check http-error-exits-3 "$? $out" "^3 axr: HTTP 404 "
out=$("$AXR" --url "$URL" guestbook findEntry 2>&1)
check usage-error-exits-2 "$? $out" "^2 axr: "
sh "$ROOT/scripts/down.sh" >/dev/null 2>&1
out=$("$AXR" --url "$URL" guestbook findEntries 2>&1)
check stopped-gateway-exits-4 "$? $out" "^4 axr: "
exit "$failed"
