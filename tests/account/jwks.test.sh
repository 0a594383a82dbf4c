#!/bin/sh
# jwks.test.sh: a service configured with AXR_JWT_JWKS_URL (as in Kubernetes)
# loads the account service's keys by itself, also when it starts first, and
# then accepts the account service's tokens; the account service verifies
# with the public half of its own signing key.
set -u
ROOT=${AXR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 2
BUILD=${AXR_BUILD:-build}
T=$(mktemp -d "${AXR_TEST_TMP:-/tmp}/axr-jwks.XXXXXX") || exit 2
chmod 755 "$T"
PIDS=""
OWN_PG=0
FAILED=0
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ "$OWN_PG" = 1 ] && sh scripts/stack.sh pg-stop "$T/stack" immediate >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1: $2"; FAILED=1; }
for b in account guestbook; do
	[ -x "$BUILD/bin/axr-$b" ] || { echo "not ok - setup: $BUILD/bin/axr-$b missing (run make)"; exit 1; }
done
if [ -n "${AXR_TEST_DATABASE_URL:-}" ]; then
	ADMIN_URL=$AXR_TEST_DATABASE_URL
else
	mkdir -p "$T/stack" && chmod 755 "$T/stack"
	p=$(sh scripts/stack.sh free-port)
	sh scripts/stack.sh pg-start "$T/stack" "$p" || { echo "not ok - setup: PostgreSQL"; exit 1; }
	OWN_PG=1
	ADMIN_URL=$(sh scripts/stack.sh pg-url "$p" postgres)
fi
db_url() { printf '%s' "$ADMIN_URL" | sed "s|/[^/?]*\(?.*\)\{0,1\}$|/$1\1|"; }
for d in axr_t_jwks_acc_$$ axr_t_jwks_gb_$$; do
	psql -q "$ADMIN_URL" -c "CREATE DATABASE $d" >/dev/null 2>&1 || { echo "not ok - setup: createdb"; exit 1; }
done
AP=$(sh scripts/stack.sh free-port)
GP=$(sh scripts/stack.sh free-port)
# The guestbook starts first: the keys are not there yet.
AXR_PORT=$GP AXR_DATABASE_URL=$(db_url axr_t_jwks_gb_$$) AXR_JWT_JWKS_URL=http://127.0.0.1:$AP/auth/keys \
	AXR_ACCESS_LOG=false "$BUILD/bin/axr-guestbook" >"$T/gb.log" 2>&1 &
PIDS="$PIDS $!"
sleep 0.5
AXR_PORT=$AP AXR_DATABASE_URL=$(db_url axr_t_jwks_acc_$$) AXR_JWT_PRIVATE_KEY=tests/fixtures/keys/test-only-rs256-private.pem \
	AXR_ADMIN_NAME=admin AXR_ADMIN_PASSWORD=jwks-test-password AXR_ACCESS_LOG=false \
	"$BUILD/bin/axr-account" >"$T/acc.log" 2>&1 &
PIDS="$PIDS $!"
n=0
until curl -sf -o /dev/null "http://127.0.0.1:$AP/readyz"; do
	n=$((n + 1)); [ $n -gt 100 ] && { echo "not ok - setup: account not ready: $(tail -2 "$T/acc.log")"; exit 1; }
	sleep 0.1
done
TOK=$(curl -s -X POST -H 'Content-Type: application/json' -d '{"login":"admin","password":"jwks-test-password"}' \
	"http://127.0.0.1:$AP/auth/password" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[ -n "$TOK" ] && ok account_issues_a_token || nok account_issues_a_token "no token"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK" "http://127.0.0.1:$AP/users/me")
[ "$code" = 200 ] && ok account_verifies_with_its_own_signing_key || nok account_verifies_with_its_own_signing_key "got $code"
code=000
n=0
while [ "$code" != 200 ] && [ $n -lt 100 ]; do
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK" "http://127.0.0.1:$GP/entries")
	n=$((n + 1)); sleep 0.1
done
[ "$code" = 200 ] && ok service_started_first_loads_the_jwks_and_accepts_the_token ||
	nok service_started_first_loads_the_jwks_and_accepts_the_token "got $code; $(grep -i jwks "$T/gb.log" | tail -1)"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer x$TOK" "http://127.0.0.1:$GP/entries")
[ "$code" = 401 ] && ok a_forged_token_is_still_refused || nok a_forged_token_is_still_refused "got $code"
for p in $PIDS; do kill "$p" 2>/dev/null; done
wait 2>/dev/null
PIDS=""
for d in axr_t_jwks_acc_$$ axr_t_jwks_gb_$$; do
	psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1
done
exit $FAILED
