#!/bin/sh
# client.test.sh: the reference example service (docs/writing-a-service.md) through its generated C
# client: build/itests/guestbook (tests/integration/guestbook.c) against build/bin/axr-guestbook on a
# fresh database of tests/run's PostgreSQL: CRUD with ownership, validation from
# the client and the server, list sort/paging/filters, HEAD count, optimistic locking, protobuf on
# the wire. Then the process-level cases: SIGTERM drains and exits 0, nothing logged at error.
set -u
ROOT=${AXR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 2
BUILD=${AXR_BUILD:-build}
BIN=$BUILD/bin/axr-guestbook
PROG=$BUILD/itests/guestbook
PUB=tests/fixtures/keys/test-only-rs256-public.pem
T=$(mktemp -d "${AXR_TEST_TMP:-/tmp}/axr-guestbook.XXXXXX") || exit 2
chmod 755 "$T"
FAILED=0
PID=""
DB=axr_t_guestbook_$$
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ -n "${ADMIN_URL:-}" ] && psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for b in "$BIN" "$PROG" "$BUILD/tools/mint_token"; do
	[ -x "$b" ] || { echo "not ok - setup: $b is missing (run make)"; exit 1; }
done

# A fresh database on the server of tests/run.
ADMIN_URL=${AXR_TEST_DATABASE_URL:-}
[ -n "$ADMIN_URL" ] || { echo "not ok - setup: AXR_TEST_DATABASE_URL is not set (run through tests/run)"; exit 1; }
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

AXR_IT_GUESTBOOK_URL=$base AXR_BUILD=$BUILD "$PROG" || FAILED=1

kill "$PID" 2>/dev/null
wait "$PID" 2>/dev/null
rc=$?
PID=""
if [ "$rc" = 0 ]; then echo "ok - drains_and_exits_0_on_sigterm"; else echo "not ok - drains_and_exits_0_on_sigterm: exit $rc"; FAILED=1; fi
bad=$(grep -E '"level":"error"|AddressSanitizer|runtime error:' "$T/svc.log" | head -n 3 | tr '\n' ' ' | cut -c1-600)
if [ -z "$bad" ]; then echo "ok - service_logged_no_error"; else echo "not ok - service_logged_no_error: $bad"; FAILED=1; fi
exit $FAILED
