#!/bin/sh
# redis_restart.test.sh: fault drill (issue #13, drill 3): redis is stopped under load for
# DRILL_REDIS_OUTAGE seconds (6) and started again. The guestbook (writes publish events) keeps
# answering every request with 2xx and counts the events it could not publish in /metrics
# (axr_bus_publish_failures_total); the notification service's subscription comes back by itself:
# a websocket opened before the outage (and kept open through it) receives the event of an entry
# written after the restart. Then redis is frozen (SIGSTOP) for DRILL_REDIS_FREEZE seconds (4):
# a redis that accepts connections but never answers must not stall the writes (each publisher
# backs off after a timed-out PUBLISH), and the websocket gets events again after the thaw.
. "$(dirname "$0")/lib.sh"

OUTAGE=${DRILL_REDIS_OUTAGE:-6}
FREEZE=${DRILL_REDIS_FREEZE:-4}
RATE=${DRILL_RATE:-300}
RAWHTTP=$BUILD/tools/rawhttp
[ -x "$RAWHTTP" ] || setup_fail "$RAWHTTP is missing (run make)"
USER_UID=0d0d0d0d-0000-4000-8000-000000000003

drill_pg_start
drill_redis_start
svc_start gb guestbook AXR_DATABASE_URL="$(drill_createdb axr_drill_guestbook)" AXR_REDIS_URL="$REDIS_URL"
svc_start notif notification AXR_REDIS_URL="$REDIS_URL" AXR_WS_PING_INTERVAL=10m
GB=http://127.0.0.1:$(svc_port gb)
TOK=$(token "$USER_UID")

# metric TAG NAME: the value of an unlabelled metric of service TAG.
metric() {
	curl -s --max-time 5 "http://127.0.0.1:$(svc_port "$1")/metrics" | awk -v n="$2" '$1 == n { printf "%d\n", $2; f = 1 } END { if (!f) print 0 }'
}
# entry MESSAGE: writes an entry as the user; prints the status.
entry() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -H "Authorization: Bearer $TOK" \
		-H 'Content-Type: application/json' --data-binary "{\"message\":\"$1\"}" "$GB/entries"
}
# delivered MESSAGE: the websocket got the event of the entry with that message.
delivered() { grep -a -q "\"message\":\"$1\"" "$T/ws.out"; }
# wait_delivered MESSAGE TENTHS
wait_delivered() {
	_n=0
	while [ "$_n" -lt "$2" ]; do
		delivered "$1" && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}

# first_delivery PREFIX: one entry PREFIX-N every 0.2 s until the websocket gets one (10 s at
# most); prints its N (nothing when none arrived).
first_delivery() {
	_i=0
	while [ $_i -lt 50 ]; do
		entry "$1-$_i" >/dev/null
		if wait_delivered "$1-$_i" 2; then
			echo "$_i"
			return 0
		fi
		_i=$((_i + 1))
	done
}

# The websocket: a raw RFC 6455 handshake, held open for the whole drill; the server's frames
# are unmasked, so the JSON of each event is readable in the bytes.
"$RAWHTTP" -t 120000 "$(svc_port notif)" "GET /notifications HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer $TOK\r\n\r\n" \
	>"$T/ws.out" 2>"$T/ws.err" &
WS_PID=$!
EXTRA_CLEANUP='kill $WS_PID 2>/dev/null; kill -CONT $(cat "$T/stack/redis/redis.pid") 2>/dev/null'

begin "websocket-receives-an-event-before-the-outage"
n=0
until grep -a -q '^HTTP/1.1 101' "$T/ws.out" || [ $n -ge 50 ]; do sleep 0.1; n=$((n + 1)); done
grep -a -q '^HTTP/1.1 101' "$T/ws.out" || fail "no 101 handshake: $(head -c 300 "$T/ws.out")"
want "POST /entries" "$(entry drill-before)" 201
wait_delivered drill-before 50 || fail "the event of drill-before did not arrive within 5 s"
end_case

failures_before=$(metric gb axr_bus_publish_failures_total)
load_start load "$GB" -c 8 -R "$RATE" -t 10000 -H "Authorization: Bearer $TOK" \
	-r 'POST /entries {"message":"drill load {seq}"}' -r 'GET /entries?limit=5' -r 'GET /entries?limit=5'
sleep 2

t_stop=$(now_ms)
sh "$STACK" redis-stop "$T/stack" || setup_fail "redis-stop failed"
t_stopped=$(now_ms)
sleep 1
during_code=$(entry drill-during)
ready_during=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$GB/readyz")
sleep $((OUTAGE - 1))
failures_during=$(metric gb axr_bus_publish_failures_total)
sh "$STACK" redis-start "$T/stack" "$REDIS_PORT" || setup_fail "redis did not start again"
t_up=$(now_ms)

got=$(first_delivery drill-after)
t_delivered=$(now_ms)
# Every worker's publisher is back once its reconnect backoff has run out (backoff_max_ms, 2 s,
# after its last attempt during the outage): count from 1 s after the first delivery, and not
# before 2.5 s after the restart (a worker still waiting out its backoff fails fast until then).
_wait_ms=$((t_up + 2500 - t_delivered))
[ "$_wait_ms" -lt 1000 ] && _wait_ms=1000
sleep "$(awk -v ms="$_wait_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
failures_1=$(metric gb axr_bus_publish_failures_total)
published_1=$(metric gb axr_bus_published_total)
sleep 2
failures_2=$(metric gb axr_bus_publish_failures_total)
published_2=$(metric gb axr_bus_published_total)

# The freeze: redis's process stops; connects still complete (the kernel answers), nothing else.
redis_pid=$(cat "$T/stack/redis/redis.pid")
kill -STOP "$redis_pid"
t_frozen=$(now_ms)
sleep "$FREEZE"
t_thaw=$(now_ms)
kill -CONT "$redis_pid"
got_thawed=$(first_delivery drill-thawed)
t_delivered_thawed=$(now_ms)
load_stop load
kill "$WS_PID" 2>/dev/null
echo "# load: $(lg_line load)"
echo "# redis down for $(((t_up - t_stopped) / 1000)) s; sent while down: $(ev_between load "$t_stopped" "$t_up")"
echo "# redis frozen for $(((t_thaw - t_frozen) / 1000)) s; sent and answered while frozen: $(ev_within load "$t_frozen" "$t_thaw")"

begin "every-request-answers-2xx-while-redis-is-down-and-after"
want "answers other than 2xx" "$(awk '$2 !~ /^2/' "$T/load.ev" | wc -l | tr -d ' ')" 0
want_ge "2xx answers sent while redis was down" "$(ev_ok_between load "$t_stopped" "$t_up")" 100
want "POST /entries while down (curl)" "$during_code" 201
want "GET /readyz while redis is down (redis is not required)" "$ready_during" 200
want "connection errors" "$(lg load conn_errors)" 0
want "timeouts" "$(lg load timeouts)" 0
want_le "slowest answer (ms)" "$(lg load latency_max_ms)" 2000
end_case

begin "events-not-published-while-down-are-counted-in-metrics"
writes_down=$(awk -v a="$t_stopped" -v b="$t_up" '$1 >= a && $1 + $3 < b && $4 == "POST" && $2 ~ /^2/' "$T/load.ev" | wc -l | tr -d ' ')
skipped=$((failures_during - failures_before))
want_ge "axr_bus_publish_failures_total increase while down" "$skipped" "$writes_down"
want_ge "writes answered while down" "$writes_down" 10
echo "# $writes_down writes answered while redis was down; publish failures counted: $skipped"
end_case

begin "publishing-resumes-after-the-restart"
want "publish failures over 2 s of load, once every publisher is past its backoff" "$((failures_2 - failures_1))" 0
want_ge "events published over those 2 s" "$((published_2 - published_1))" 100
end_case

begin "the-same-websocket-receives-events-again-after-the-restart"
[ -n "$got" ] || fail "no event written after the restart reached the websocket within 10 s"
[ -z "$got" ] || echo "# first delivery $((t_delivered - t_up)) ms after the restart (entry $got)"
delivered drill-during && fail "the event of drill-during was delivered although redis was down"
kill -0 "$(svc_pid notif)" 2>/dev/null || fail "the notification service exited"
end_case

begin "a-frozen-redis-does-not-stall-the-writes"
frozen_answered=$(awk -v a="$t_frozen" -v b="$t_thaw" '$1 >= a && $1 + $3 < b && $2 ~ /^2/' "$T/load.ev" | wc -l | tr -d ' ')
frozen_slowest=$(awk -v a="$t_frozen" -v b="$t_thaw" '$1 >= a && $1 < b && $3 > m { m = $3 } END { printf "%d\n", m }' "$T/load.ev")
# Without the publishers' backoff every write waited command_timeout_ms (500 ms) per channel (3):
# 1.5 s each, and the 4 workers managed a few requests per second.
want_le "slowest answer to a request sent while frozen (ms)" "$frozen_slowest" 1200
want_ge "2xx answers while frozen (a quarter of the offered load)" "$frozen_answered" $((RATE * FREEZE / 4))
end_case

begin "the-same-websocket-receives-events-again-after-the-thaw"
[ -n "$got_thawed" ] || fail "no event written after the thaw reached the websocket within 10 s"
[ -z "$got_thawed" ] || echo "# first delivery $((t_delivered_thawed - t_thaw)) ms after the thaw (entry $got_thawed)"
end_case

acked_case 100 "$(sh "$STACK" pg-url "$PG_PORT" axr_drill_guestbook)" "SELECT uid FROM entry" load

begin "services-logged-no-error-and-no-sanitizer-report"
bad=$(grep -E '"level":"(error|fatal)"|AddressSanitizer|LeakSanitizer|runtime error:' "$T/gb.log" "$T/notif.log" | head -n 3)
[ -z "$bad" ] || fail "$(printf '%s' "$bad" | tr '\n' ' ' | cut -c1-600)"
end_case
finish
