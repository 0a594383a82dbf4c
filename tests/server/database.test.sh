#!/bin/sh
# database.test.sh: a service whose PostgreSQL goes away answers 503 with
# Retry-After (never hangs, never exits), /readyz says not ready, and it
# serves again within 5 s of the restart. Uses a private PostgreSQL, so the
# shared one of tests/run is not disturbed.
. "$(dirname "$0")/lib.sh"

STACK=$T/stack
mkdir -p "$STACK"
chmod 755 "$T" "$STACK"
PGPORT=$(sh "$ROOT/scripts/stack.sh" free-port)
pg_cleanup() { sh "$ROOT/scripts/stack.sh" pg-stop "$STACK" immediate >/dev/null 2>&1; lib_cleanup; }
trap pg_cleanup EXIT

if ! sh "$ROOT/scripts/stack.sh" pg-start "$STACK" "$PGPORT"; then
	echo "not ok - setup: private PostgreSQL did not start"
	exit 1
fi
URL=$(sh "$ROOT/scripts/stack.sh" pg-url "$PGPORT" postgres)
server_start database AXR_DATABASE_URL="$URL" AXR_WORKERS=2 || finish
base="http://127.0.0.1:$PORT"

# ms_now: wall clock in milliseconds.
ms_now() { date +%s%3N; }

begin "query_succeeds_while_the_database_is_up"
want "GET /time" "$(curl -s -o /dev/null -w '%{http_code}' "$base/time")" 200
want "GET /readyz" "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" 200
end_case

sh "$ROOT/scripts/stack.sh" pg-stop "$STACK" immediate

begin "database_down_answers_503_json_with_retry_after_quickly"
t0=$(ms_now)
curl -s -D "$T/h" -o "$T/b" --max-time 10 "$base/time"
t1=$(ms_now)
want "status" "$(sed -n '1s/^HTTP\/1.1 \([0-9]*\).*/\1/p' "$T/h")" 503
want_match "Retry-After" "$(tr -d '\r' <"$T/h" | grep -i '^Retry-After:')" '^Retry-After: [0-9]+$'
want_match "body" "$(cat "$T/b")" '^\{"status":503,"code":"[A-Z_]+","message":"[^"]+"\}$'
want_between "answered within (ms)" "$((t1 - t0))" 0 3000
end_case

begin "every_request_while_down_is_503_never_500_or_a_hang"
bad=""
for i in 1 2 3 4 5 6 7 8 9 10; do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/time")
	[ "$code" = 503 ] || bad="$bad $code"
done
want "non-503 answers" "$bad" ""
end_case

begin "readyz_is_503_while_the_database_is_down"
sleep 1.2 # the monitor pings once a second
want "GET /readyz" "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" 503
want "GET /healthz (liveness unaffected)" "$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")" 200
end_case

begin "process_stays_up_while_the_database_is_down"
kill -0 "$PID" 2>/dev/null || fail "the service exited"
end_case

sh "$ROOT/scripts/stack.sh" pg-start "$STACK" "$PGPORT"
t0=$(ms_now)

begin "requests_succeed_again_within_5s_of_the_restart"
ok=0
while [ $(($(ms_now) - t0)) -lt 5000 ]; do
	if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base/time")" = 200 ]; then
		ok=1
		break
	fi
	sleep 0.1
done
want "GET /time answered 200 within 5 s" "$ok" 1
echo "# recovered after $(($(ms_now) - t0)) ms"
end_case

begin "readyz_is_200_again_after_the_restart"
ok=0
while [ $(($(ms_now) - t0)) -lt 5000 ]; do
	if [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/readyz")" = 200 ]; then
		ok=1
		break
	fi
	sleep 0.1
done
want "GET /readyz answered 200 within 5 s" "$ok" 1
end_case

begin "metrics_show_the_database_state"
want_match "axr_db_ready" "$(curl -s "$base/metrics" | grep '^axr_db_ready')" '^axr_db_ready 1'
end_case

finish
