#!/bin/sh
# lifecycle.test.sh: start-up configuration, /metrics after known traffic,
# load shedding when the worker queue is full, and SIGTERM drain of axr-example.
. "$(dirname "$0")/lib.sh"

# ---- configuration at start-up ----

begin help_lists_every_setting_and_exits_0
"$EXAMPLE" --help >"$T/help" 2>&1
want "exit status" "$?" 0
for v in AXR_PORT AXR_THREADS AXR_WORKERS AXR_QUEUE_MAX AXR_MAX_BODY AXR_MAX_HEADER AXR_HEADER_TIMEOUT \
	AXR_BODY_TIMEOUT AXR_IDLE_TIMEOUT AXR_DRAIN_TIMEOUT AXR_ACCESS_LOG; do
	grep -q "^  $v " "$T/help" || fail "--help does not list $v"
done
end_case

begin bad_setting_stops_start_up_naming_the_variable
for setting in AXR_PORT=http AXR_MAX_HEADER=1kb AXR_HEADER_TIMEOUT=2h AXR_ACCESS_LOG=maybe AXR_WORKERS=0; do
	rc=0
	env "$setting" "$EXAMPLE" >"$T/out" 2>&1 || rc=$?
	want "exit status with $setting" "$rc" 2
	want_match "message for $setting" "$(cat "$T/out")" "configuration error: ${setting%%=*}: "
done
end_case

# ---- /metrics counts what was just done ----

server_start metrics || finish
URL=http://127.0.0.1:$PORT

begin metrics_count_the_requests_just_made
for _ in 1 2 3; do curl -s -o /dev/null "$URL/status"; done
for _ in 1 2; do curl -s -o /dev/null "$URL/no/such/path"; done
curl -s -o /dev/null -X DELETE "$URL/echo"
curl -s -o /dev/null --data-binary '{"a":1}' "$URL/echo"
curl -s -o /dev/null -H 'Expect:' --data-binary @- "$URL/echo" <<EOF
$(pad 70000)
EOF
curl -s -o /dev/null "$URL/sleep?ms=abc"
curl -s -o /dev/null "$URL/sleep?ms=20"
curl -s -o /dev/null -H "X-Big: $(pad 17000)" "$URL/healthz"
curl -s -D "$T/h" -o "$T/metrics" "$URL/metrics"
want "Content-Type" "$(header Content-Type "$T/h")" "text/plain; version=0.0.4"
count() { sed -n "s|^axr_http_requests_total{$1} \\([0-9]*\\)\$|\\1|p" "$T/metrics"; }
want "GET /status 200" "$(count 'route="/status",method="GET",status="200"')" 3
want "unmatched 404" "$(count 'route="unmatched",method="",status="404"')" 2
want "DELETE /echo 405" "$(count 'route="unmatched",method="",status="405"')" 1
want "POST /echo 200" "$(count 'route="/echo",method="POST",status="200"')" 1
want "POST /echo 413" "$(count 'route="/echo",method="POST",status="413"')" 1
want "GET /sleep 400" "$(count 'route="/sleep",method="GET",status="400"')" 1
want "GET /sleep 200" "$(count 'route="/sleep",method="GET",status="200"')" 1
want "unmatched 431" "$(count 'route="unmatched",method="",status="431"')" 1
want "/metrics itself not yet counted" "$(count 'route="/metrics",method="GET",status="200"')" ""
hist=$(sed -n 's|^axr_http_request_duration_seconds_count{route="/status",method="GET"} \([0-9]*\)$|\1|p' "$T/metrics")
want "latency histogram count of /status" "$hist" 3
slept=$(sed -n 's/^axr_http_request_duration_seconds_bucket{route="\/sleep",method="GET",le="0.01"} \([0-9]*\)$/\1/p' "$T/metrics")
want "/sleep requests under 10 ms (only the 400)" "$slept" 1
gauge() { sed -n "s/^$1 \([0-9.e+-]*\)\$/\1/p" "$T/metrics"; }
want "axr_requests_in_flight" "$(gauge axr_requests_in_flight)" 0
want "axr_worker_queue_depth" "$(gauge axr_worker_queue_depth)" 0
want "axr_ready" "$(gauge axr_ready)" 1
want_between "axr_connections_open (this scrape, maybe one closing)" "$(gauge axr_connections_open)" 1 2
grep -q '^# TYPE axr_http_requests_total counter$' "$T/metrics" || fail "no TYPE line for axr_http_requests_total"
grep -q '^# TYPE axr_http_request_duration_seconds histogram$' "$T/metrics" || fail "no TYPE line for the histogram"
end_case

begin metrics_show_requests_in_flight_and_open_connections
curl -s -o /dev/null "$URL/sleep?ms=800" &
c1=$!
curl -s -o /dev/null "$URL/sleep?ms=800" &
c2=$!
PIDS="$PIDS $c1 $c2"
sleep 0.3
curl -s -o "$T/metrics" "$URL/metrics"
want "axr_requests_in_flight" "$(gauge axr_requests_in_flight)" 2
want_between "axr_connections_open" "$(gauge axr_connections_open)" 3 4
wait "$c1" "$c2"
end_case

server_stop >/dev/null

# ---- load shedding ----

server_start shedding AXR_WORKERS=1 AXR_QUEUE_MAX=1 || finish
URL=http://127.0.0.1:$PORT

begin full_worker_queue_answers_503_json_with_retry_after
n=1
pids=""
while [ "$n" -le 5 ]; do
	curl -s -D "$T/h$n" -o "$T/b$n" "$URL/sleep?ms=700" &
	pids="$pids $!"
	n=$((n + 1))
done
PIDS="$PIDS $pids"
sleep 0.2
hz=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$URL/healthz")
# shellcheck disable=SC2086 # a list of pids
wait $pids
ok200=0
ok503=0
n=1
while [ "$n" -le 5 ]; do
	case $(status "$T/h$n") in
	200)
		ok200=$((ok200 + 1))
		want "body of a served /sleep" "$(cat "$T/b$n")" '{"slept":700}'
		;;
	503)
		ok503=$((ok503 + 1))
		want_curl_json_error "$T/h$n" "$T/b$n" 503 OVERLOADED
		want "Retry-After" "$(header Retry-After "$T/h$n")" 1
		;;
	*) fail "request $n: status '$(status "$T/h$n")'" ;;
	esac
	n=$((n + 1))
done
want_between "served (one worker + one queued)" "$ok200" 1 2
want_between "shed with 503" "$ok503" 3 4
want_match "/healthz while the queue is full (status seconds)" "$hz" '^200 0\.0[0-4]'
end_case

begin server_serves_again_once_the_queue_drains
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/sleep?ms=1")
want "status" "$code" 200
end_case

server_stop >/dev/null

# ---- SIGTERM ----

server_start idle_stop || finish
begin sigterm_on_an_idle_server_exits_0_at_once
t0=$(date +%s%N)
rc=0
server_stop || rc=$?
t1=$(date +%s%N)
want "exit status" "$rc" 0
want_between "stopped after (ms)" "$(((t1 - t0) / 1000000))" 0 1000
end_case

server_start drain AXR_DRAIN_TIMEOUT=4s || finish
URL=http://127.0.0.1:$PORT

begin sigterm_lets_the_in_flight_request_finish_then_exits_0
curl -s -o "$T/slow.body" -w '%{http_code}' --max-time 8 "$URL/sleep?ms=1500" >"$T/slow.code" 2>/dev/null &
slow=$!
PIDS="$PIDS $slow"
sleep 0.3
t0=$(date +%s%N)
kill -TERM "$PID"
sleep 0.2
# While draining, a new connection is refused or told "not ready".
ready=$(curl -s -o "$T/ready.body" -w '%{http_code}' --max-time 2 "$URL/readyz" 2>/dev/null)
case $ready in
000) ;;
503) want_match "/readyz body while draining" "$(cat "$T/ready.body")" '"code":"NOT_READY"' ;;
*) fail "/readyz while draining answered '$ready' (want 503 or a refused connection)" ;;
esac
wait "$slow"
want "in-flight /sleep" "$(cat "$T/slow.code") $(cat "$T/slow.body" 2>/dev/null)" '200 {"slept":1500}'
rc=0
wait "$PID" || rc=$?
t1=$(date +%s%N)
PIDS=$(echo " $PIDS " | sed "s/ $PID / /")
want "exit status" "$rc" 0
want_between "exited after SIGTERM (ms)" "$(((t1 - t0) / 1000000))" 1000 3000
end_case

# A proxy may send a request on a pooled keep-alive connection at the moment the
# drain starts: that request is answered (with Connection: close), not reset.
server_start drain_keepalive AXR_DRAIN_TIMEOUT=4s || finish
begin sigterm_answers_a_request_already_sent_on_an_idle_keep_alive_connection
"$RAW" -g 700 -t 3000 "$PORT" 'GET /status HTTP/1.1\r\nHost: a\r\n\r\n' \
	'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}' \
	>"$T/ka.out" 2>"$T/ka.meta" &
raw=$!
PIDS="$PIDS $raw"
_w=0
until grep -q '^HTTP/1.1 200' "$T/ka.out" 2>/dev/null || [ "$_w" -ge 40 ]; do
	sleep 0.05
	_w=$((_w + 1))
done
kill -TERM "$PID"
wait "$raw"
want "answers on the connection" "$(grep -o 'HTTP/1.1 [0-9]*' "$T/ka.out" | tr '\n' ' ')" "HTTP/1.1 200 HTTP/1.1 200 "
want "the last answer closes" "$(grep -ci '^connection: close' "$T/ka.out")" 1
rc=0
wait "$PID" || rc=$?
PIDS=$(echo " $PIDS " | sed "s/ $PID / /")
want "exit status" "$rc" 0
end_case

finish
