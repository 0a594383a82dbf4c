#!/bin/sh
# client.test.sh: the matchmaking service through its generated C client: build/itests/matchmaking
# (tests/integration/matchmaking.c) against one build/bin/axr-matchmaking on a fresh database and
# tests/run's redis, with a fast matcher (a round every 50 ms, windows widening 300 skill points a
# second, tickets expiring after 5 s): tickets created (blocking and async), polled until matched,
# cancelled; a 1v1, a 5v5 of ten players, parties of a game server, field errors from the client
# and the server, 401/403/409, BOLA 404s, the operators' match list, expiry. The load runs, events,
# metrics and the drain of two replicas are matchmaking.test.sh.
. "$(dirname "$0")/lib.sh"
PROG=$BUILD/itests/matchmaking
[ -x "$PROG" ] || setup_fail "$PROG is missing (run make)"
mm_db client
start svc
ready "$PORT" "$PID" || setup_fail "service not ready: $(tail -3 "$T/svc.log" | tr '\n' ' ')"

AXR_IT_MATCHMAKING_URL=http://127.0.0.1:$PORT AXR_IT_MATCHMAKING_DB=$DBURL AXR_IT_MATCH_MAX_WAIT_MS=5000 \
	AXR_BUILD=$BUILD "$PROG" || FAILED=1

kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
bad=$(grep -E '"level":"error"|AddressSanitizer|runtime error:' "$T/svc.log" | head -n 3 | tr '\n' ' ' | cut -c1-600)
if [ "$rc" = 0 ] && [ -z "$bad" ]; then
	echo "ok - the service exits 0 on SIGTERM and logged no error"
else
	echo "not ok - the service exits 0 on SIGTERM and logged no error: exit $rc; $bad"
	FAILED=1
fi
exit $FAILED
