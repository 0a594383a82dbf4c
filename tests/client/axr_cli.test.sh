#!/bin/sh
# axr_cli.test.sh: the axr command-line tool end to end against a real account
# service and a real guestbook (fresh databases): login stores the token, the
# guestbook's operations are called by their spec names with --param and
# --data, --help lists operations from the tables, a stored login refreshes
# itself on a 401; usage errors exit 2, HTTP errors 3, network errors 4.
set -u
ROOT=${AXR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 2
BUILD=${AXR_BUILD:-build}
AXR=$BUILD/bin/axr
GB=$BUILD/bin/axr-guestbook
ACCT=$BUILD/bin/axr-account
PRIV=tests/fixtures/keys/test-only-rs256-private.pem
PUB=tests/fixtures/keys/test-only-rs256-public.pem
T=$(mktemp -d "${AXR_TEST_TMP:-/tmp}/axr-cli.XXXXXX") || exit 2
chmod 755 "$T"
FAILED=0
PIDS=""
OWN_PG=0
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	[ "$OWN_PG" = 1 ] && sh scripts/stack.sh pg-stop "$T/stack" immediate >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1: $2"; FAILED=1; }
# check NAME "STATUS OUTPUT" WANT-ERE (output lines joined with '|')
check() {
	_got=$(printf '%s' "$2" | tr '\n' '|')
	if printf '%s' "$_got" | grep -Eq -- "$3"; then ok "$1"; else nok "$1" "got '$_got', want /$3/"; fi
}
for b in "$AXR" "$GB" "$ACCT"; do
	[ -x "$b" ] || { echo "not ok - setup: $b is missing (run make)"; exit 1; }
done

if [ -n "${AXR_TEST_DATABASE_URL:-}" ]; then
	ADMIN_URL=$AXR_TEST_DATABASE_URL
else
	mkdir -p "$T/stack" && chmod 755 "$T/stack"
	pgport=$(sh scripts/stack.sh free-port)
	sh scripts/stack.sh pg-start "$T/stack" "$pgport" || { echo "not ok - setup: PostgreSQL"; exit 1; }
	OWN_PG=1
	ADMIN_URL=$(sh scripts/stack.sh pg-url "$pgport" postgres)
fi
newdb() { # NAME: creates it, prints its URL
	psql -q "$ADMIN_URL" -c "CREATE DATABASE $1" >/dev/null 2>&1 || return 1
	printf '%s' "$ADMIN_URL" | sed "s|/[^/?]*\(?.*\)\{0,1\}$|/$1\1|"
}
wait_ready() { # URL LOG
	_i=0
	until curl -sf -o /dev/null "$1/readyz"; do
		_i=$((_i + 1))
		[ $_i -gt 150 ] && { echo "not ok - setup: not ready: $(tail -3 "$2")"; exit 1; }
		sleep 0.1
	done
}
GB_DB=$(newdb "axr_t_cli_gb_$$") && ACCT_DB=$(newdb "axr_t_cli_acct_$$") || { echo "not ok - setup: createdb"; exit 1; }
GB_PORT=$(sh scripts/stack.sh free-port)
AXR_PORT=$GB_PORT AXR_DATABASE_URL=$GB_DB AXR_JWT_PUBLIC_KEY=$PUB AXR_ACCESS_LOG=false AXR_WORKERS=2 \
	"$GB" >"$T/gb.log" 2>&1 &
PIDS="$PIDS $!"
ACCT_PORT=$(sh scripts/stack.sh free-port)
env AXR_PORT="$ACCT_PORT" AXR_WORKERS=2 AXR_ACCESS_LOG=false AXR_DATABASE_URL="$ACCT_DB" \
	${AXR_TEST_REDIS_URL:+AXR_REDIS_URL=$AXR_TEST_REDIS_URL} \
	AXR_JWT_PRIVATE_KEY="$PRIV" AXR_JWT_PUBLIC_KEY="$PUB" AXR_JWT_ALG=RS256 \
	AXR_ADMIN_NAME=root AXR_ADMIN_PASSWORD=root-password-1 AXR_PWHASH_OPSLIMIT=1 AXR_PWHASH_MEMLIMIT=64k \
	"$ACCT" >"$T/acct.log" 2>&1 &
PIDS="$PIDS $!"
gb=http://127.0.0.1:$GB_PORT
acct=http://127.0.0.1:$ACCT_PORT
wait_ready "$gb" "$T/gb.log"
wait_ready "$acct" "$T/acct.log"
export AXR_TOKEN_FILE=$T/token
unset AXR_TOKEN AXR_URL

# ---- usage and help --------------------------------------------------------------
out=$("$AXR" --help 2>&1)
check help-lists-the-linked-services "$? $out" "^0 usage: axr .*Services: .*account.* guestbook"
out=$("$AXR" 2>&1)
check no-command-is-a-usage-error "$? $out" "^2 usage: "
out=$("$AXR" nosuch 2>&1)
check unknown-service-is-a-usage-error "$? $out" "^2 axr: unknown command or service 'nosuch'"
out=$("$AXR" guestbook --help 2>&1)
check service-help-lists-operations-with-parameters "$? $out" \
	"^0 guestbook: 7 operations.*createEntry +POST /entries\|      --data JSON\|@FILE\|      Write an entry.*findEntry +GET /entries/\{id\}\|      --id V \(path\)"
out=$("$AXR" --url "$gb" guestbook nosuch 2>&1)
check unknown-operation-is-a-usage-error "$? $out" "^2 axr: guestbook has no operation 'nosuch'"

# ---- login ---------------------------------------------------------------------------
out=$("$AXR" --url "$acct" login --login root --password wrong-password 2>&1)
check login-with-a-wrong-password-is-an-http-error "$? $out" "^3 axr: HTTP 401 "
out=$("$AXR" --url "$acct" login --login root 2>&1)
check login-without-password-is-a-usage-error "$? $out" "^2 usage: axr login"
out=$("$AXR" --url "$acct" login --login root --password root-password-1 2>&1)
check login-stores-the-token "$? $out" "^0 logged in as root$"
[ -s "$T/token" ] && [ "$(stat -c %a "$T/token")" = 600 ] && ok token-file-is-private ||
	nok token-file-is-private "$(ls -l "$T/token" 2>&1)"

# A stored login refreshes itself: an access token the server refuses, a valid
# refresh token on the second line; the call succeeds and the file is rewritten.
good=$(sed -n 2p "$T/token")
printf 'not-a-valid-token\n%s\n' "$good" >"$T/token"
out=$("$AXR" --url "$acct" account findMe 2>&1)
check stored-login-refreshes-on-401-and-retries "$? $out" '^0 \{.*"name":"root"'
if [ "$(sed -n 1p "$T/token")" != not-a-valid-token ] && [ "$(sed -n 2p "$T/token")" != "$good" ]; then
	ok refreshed-pair-is-stored
else
	nok refreshed-pair-is-stored "token file unchanged"
fi

# ---- calls with the stored token -----------------------------------------------------------
U='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
out=$("$AXR" --url "$gb" guestbook createEntry --data '{"message":"from the cli"}' 2>&1)
check create-with-inline-data-prints-the-json-answer "$? $out" "^0 \{.*\"message\":\"from the cli\".*\"uid\":\"$U\""
ID=$(printf '%s' "$out" | sed -n 's/.*"uid":"\([^"]*\)".*/\1/p')
printf '{"message":"from a file"}' >"$T/entry.json"
out=$("$AXR" --url "$gb" guestbook createEntry --data "@$T/entry.json" 2>&1)
check create-with-data-from-a-file "$? $out" "^0 \{.*\"message\":\"from a file\""
out=$(AXR_URL=$gb "$AXR" guestbook findEntries --limit 10 --sort message 2>&1)
check list-with-query-parameters-prints-the-array "$? $out" "^0 \[\{.*\"message\":\"from a file\".*\},\{.*\"message\":\"from the cli\".*\}\]$"
out=$("$AXR" --url "$gb" guestbook findEntry --id "$ID" 2>&1)
check find-by-path-parameter "$? $out" "^0 \{.*\"uid\":\"$ID\""
out=$("$AXR" --url "$gb" guestbook countEntries 2>&1)
check head-operation-prints-the-total-count "$? $out" "^0 2$"

# ---- errors ------------------------------------------------------------------------------
out=$("$AXR" --url "$gb" guestbook findEntry 2>&1)
check missing-path-parameter-is-a-usage-error "$? $out" "^2 axr: guestbook findEntry needs --id"
out=$("$AXR" --url "$gb" guestbook findEntry --id "$ID" --colour red 2>&1)
check unknown-parameter-is-a-usage-error "$? $out" "^2 axr: guestbook findEntry has no parameter 'colour'"
out=$("$AXR" --url "$gb" guestbook createEntry 2>&1)
check missing-required-body-is-a-usage-error "$? $out" "^2 axr: guestbook createEntry needs --data"
out=$("$AXR" --url "$gb" guestbook findEntry --id 00000000-0000-4000-8000-000000000000 2>&1)
check not-found-is-an-http-error-with-the-code "$? $out" "^3 axr: HTTP 404 NOTFOUND"
out=$("$AXR" --url "$gb" guestbook createEntry --data '{"message":""}' 2>&1)
check validation-error-lists-the-field "$? $out" "^3 axr: HTTP 400 VALIDATION: .*\|  /message: "
out=$("$AXR" --url "$gb" --token not-a-token guestbook findEntries 2>&1)
check bad-token-is-an-http-error "$? $out" "^3 axr: HTTP 401 "
dead=$(sh scripts/stack.sh free-port)
out=$("$AXR" --url "http://127.0.0.1:$dead" guestbook findEntries 2>&1)
check closed-port-is-a-network-error "$? $out" "^4 axr: IO: "
out=$("$AXR" --url "$gb" guestbook createEntry --data "@$T/missing.json" 2>&1)
check unreadable-data-file-is-a-local-failure "$? $out" "^1 axr: cannot read "

exit $FAILED
