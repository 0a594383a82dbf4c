#!/bin/sh
# limits.test.sh: head and body size limits, the head/body/idle deadlines, and
# health under 1000 idle and slow connections, against axr-example.
. "$(dirname "$0")/lib.sh"

server_start limits AXR_HEADER_TIMEOUT=2s AXR_BODY_TIMEOUT=1s AXR_IDLE_TIMEOUT=500ms || finish

# ---- head size ----

# A head of exactly N bytes: GET /healthz with one padding header.
head_of_size() {
	_pre='GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-Pad: '
	printf '%b' "$_pre" >"$T/pre"
	_fixed=$(($(wc -c <"$T/pre") + 4))
	{
		cat "$T/pre"
		pad $(($1 - _fixed))
		printf '\r\n\r\n'
	} >"$T/head"
}

begin head_of_exactly_16k_is_served
head_of_size 16384
want "head size" "$(wc -c <"$T/head" | tr -d ' ')" 16384
raw -f "$T/head"
want status "$(status)" 200
end_case

begin head_of_16k_plus_one_is_431_json_and_closed
head_of_size 16385
raw -f "$T/head"
want_json_error 431 HEADERS_TOO_LARGE
want_closed
end_case

begin header_over_16k_from_curl_is_431_json
curl -s -D "$T/h" -o "$T/b" -H "X-Big: $(pad 17000)" "http://127.0.0.1:$PORT/healthz"
want_curl_json_error "$T/h" "$T/b" 431 HEADERS_TOO_LARGE
end_case

begin unfinished_head_over_16k_is_431_without_waiting_for_its_end
{
	printf 'GET /healthz HTTP/1.1\r\nHost: a\r\nX-Pad: '
	pad 20000
} >"$T/head"
raw -t 1500 -f "$T/head"
want_json_error 431 HEADERS_TOO_LARGE
want_closed
want_between "answered after (ms)" "$(meta end_ms)" 0 1000
end_case

# Issue #6: an access token too large for the head is an invalid token (RFC 6750 3.1): 401 with
# WWW-Authenticate and the JSON body as soon as the limit is crossed, then the connection closes.
begin authorization_of_8_mib_is_401_invalid_token_json_and_closed_at_once
{
	printf 'GET /healthz HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer '
	pad 8388608
	printf '\r\n\r\n'
} >"$T/head"
raw -t 3000 -f "$T/head"
want_json_error 401 UNAUTHORIZED
want "WWW-Authenticate" "$(header WWW-Authenticate)" 'Bearer error="invalid_token"'
want "responses" "$(statuses)" 401
want_closed
want_between "answered after (ms)" "$(meta first_byte_ms)" 0 1000
end_case

begin authorization_of_20k_unfinished_is_401_without_waiting_for_its_end
{
	printf 'GET /healthz HTTP/1.1\r\nHost: a\r\nX-A: b\r\nauthorization: Bearer '
	pad 20000
} >"$T/head"
raw -t 1500 -f "$T/head"
want_json_error 401 UNAUTHORIZED
want_closed
want_between "answered after (ms)" "$(meta end_ms)" 0 1000
end_case

begin other_field_over_the_limit_after_a_small_authorization_stays_431
{
	printf 'GET /healthz HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a.b.c\r\nX-Big: '
	pad 20000
	printf '\r\n\r\n'
} >"$T/head"
raw -f "$T/head"
want_json_error 431 HEADERS_TOO_LARGE
want_closed
end_case

begin 101_header_fields_are_431_json
i=1
{
	printf 'GET /healthz HTTP/1.1\r\nHost: a\r\n'
	while [ "$i" -le 100 ]; do
		printf 'X-%d: v\r\n' "$i"
		i=$((i + 1))
	done
	printf '\r\n'
} >"$T/head"
raw -f "$T/head"
want_json_error 431 HEADERS_TOO_LARGE
want_closed
end_case

begin request_line_over_8k_is_414_json
{
	printf 'GET /'
	pad 9000
	printf ' HTTP/1.1\r\nHost: a\r\n\r\n'
} >"$T/head"
raw -f "$T/head"
want_json_error 414 URI_TOO_LONG
want_closed
end_case

# ---- body size (POST /echo has max_body 64 KiB) ----

begin body_of_exactly_the_route_limit_is_echoed
pad 65536 >"$T/body"
code=$(curl -s -o "$T/b" -w '%{http_code}' -H 'Expect:' --data-binary @"$T/body" "http://127.0.0.1:$PORT/echo")
want status "$code" 200
want "echoed bytes" "$(wc -c <"$T/b" | tr -d ' ')" 65536
end_case

begin content_length_over_the_route_limit_is_413_json
pad 65537 >"$T/body"
curl -s -D "$T/h" -o "$T/b" -H 'Expect:' --data-binary @"$T/body" "http://127.0.0.1:$PORT/echo"
want_curl_json_error "$T/h" "$T/b" 413 PAYLOAD_TOO_LARGE
want "Connection" "$(header Connection "$T/h")" "close"
end_case

begin content_length_over_the_limit_is_413_before_any_body_byte
raw -t 1500 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n'
want_json_error 413 PAYLOAD_TOO_LARGE
want_closed
want_between "answered after (ms)" "$(meta end_ms)" 0 500
end_case

# ---- deadlines ----

begin slow_head_one_byte_a_second_is_cut_at_the_2s_deadline_with_408
raw -d 1000 -t 6000 'GET /healthz HTTP/1.1\r\nHost: a\r\nX-Slow: 0123456789\r\n\r\n'
want_json_error 408 REQUEST_TIMEOUT
want_closed
# 2 s after the first byte; libevent timers may fire a few ms early.
want_between "cut after (ms)" "$(meta end_ms)" 1950 4000
want_between "bytes sent before the cut" "$(meta sent)" 1 5
end_case

begin slow_body_is_cut_at_the_1s_body_deadline_with_408
raw -t 4000 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n12'
want_json_error 408 REQUEST_TIMEOUT
want_closed
want_between "cut after (ms)" "$(meta end_ms)" 900 2500
end_case

begin idle_keep_alive_connection_is_closed_after_the_idle_timeout
raw -t 4000 'GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n'
want status "$(status)" 200
want "responses" "$(statuses)" "200"
want_closed
want_between "closed after (ms)" "$(meta end_ms)" 400 2000
end_case

begin connection_that_never_sends_is_closed_at_the_head_deadline
raw -t 5000
want "bytes received" "$(meta received)" 0
want_closed
want_between "closed after (ms)" "$(meta end_ms)" 1500 4000
end_case

server_stop >/dev/null

# ---- chunked bodies and Expect: their own server, as they change how the
# I/O thread reads later requests (bug B1, see protocol.test.sh) ----
server_start chunked AXR_THREADS=1 || finish

begin body_over_the_limit_from_curl_with_expect_100_is_413
pad 200000 >"$T/body"
curl -s -D "$T/h" -o "$T/b" -H 'Expect: 100-continue' --data-binary @"$T/body" "http://127.0.0.1:$PORT/echo"
want_curl_json_error "$T/h" "$T/b" 413 PAYLOAD_TOO_LARGE
grep -q '100 Continue' "$T/h" && fail "sent 100 Continue for a body it refuses"
end_case

begin chunked_body_over_the_route_limit_is_413_json
{
	printf 'POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'
	printf '8000\r\n'
	pad 32768
	printf '\r\n8000\r\n'
	pad 32768
	printf '\r\n1\r\na\r\n0\r\n\r\n'
} >"$T/req"
raw -f "$T/req"
want_json_error 413 PAYLOAD_TOO_LARGE
want_closed
end_case

begin chunked_413_is_sent_as_soon_as_the_chunk_size_line_arrives
raw -t 1500 'POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10001\r\n'
want_json_error 413 PAYLOAD_TOO_LARGE
want_closed
want_between "answered after (ms)" "$(meta end_ms)" 0 500
end_case

begin chunked_body_from_curl_over_the_limit_is_413_json
pad 70000 >"$T/body"
curl -s -D "$T/h" -o "$T/b" -H 'Transfer-Encoding: chunked' -H 'Expect:' --data-binary @"$T/body" \
	"http://127.0.0.1:$PORT/echo"
want_curl_json_error "$T/h" "$T/b" 413 PAYLOAD_TOO_LARGE
end_case

server_stop >/dev/null

# ---- the global limit: AXR_MAX_BODY is the operator's cap ----
server_start small_body AXR_MAX_BODY=1k || finish

# config.c documents AXR_MAX_BODY as "413 beyond; routes may lower it".
begin route_limit_does_not_raise_axr_max_body
pad 2000 >"$T/body"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Expect:' --data-binary @"$T/body" "http://127.0.0.1:$PORT/echo")
want "status of a 2000-byte body with AXR_MAX_BODY=1k" "$code" 413
end_case

begin body_is_never_answered_with_431
pad 40000 >"$T/body"
curl -s -D "$T/h" -o "$T/b" -H 'Expect:' --data-binary @"$T/body" "http://127.0.0.1:$PORT/echo"
s=$(status "$T/h")
[ "$s" = 431 ] && fail "a 40000-byte body after a 100-byte head got 431 $(cat "$T/b")"
end_case

server_stop >/dev/null

# ---- 1000 idle and slow connections ----
server_start crowd AXR_HEADER_TIMEOUT=10s || finish

begin healthz_answers_within_50ms_with_1000_idle_connections_open
"$RAW" -n 500 -H 4000 "$PORT" >"$T/idle.out" 2>"$T/idle.err" &
idle=$!
"$RAW" -n 500 -H 4000 "$PORT" 'GET /healthz HTTP/1.1\r\nHost: a\r\nX-Slow: ' >"$T/slow.out" 2>"$T/slow.err" &
slow=$!
PIDS="$PIDS $idle $slow"
tries=0
while [ "$tries" -lt 100 ]; do
	grep -q held "$T/idle.out" && grep -q held "$T/slow.out" && break
	sleep 0.05
	tries=$((tries + 1))
done
want "idle connections" "$(cat "$T/idle.out" "$T/idle.err" | head -n 1)" "held 500"
want "slow connections" "$(cat "$T/slow.out" "$T/slow.err" | head -n 1)" "held 500"
open=$(curl -s "http://127.0.0.1:$PORT/metrics" | sed -n 's/^axr_connections_open \([0-9]*\).*/\1/p')
want_between "axr_connections_open" "$open" 1001 1010
worst=0
times=""
for i in 1 2 3 4 5 6 7 8 9 10; do
	raw 'GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
	want "healthz status" "$(status)" 200
	ms=$(meta total_ms)
	times="$times $ms"
	worst=$(awk -v a="$worst" -v b="$ms" 'BEGIN { print (b + 0 > a + 0) ? b : a }')
done
want_between "slowest of 10 /healthz (ms):$times; slowest" "$worst" 0 50
wait "$idle" "$slow"
end_case

server_stop >/dev/null

# ---- AXR_MAX_BUFFERED ----

# With a 100 KiB budget, one connection holding 90 KB of an unfinished body leaves no room
# for another's 200 KB: the second is shed with 503 + Retry-After; small requests still pass.
server_start buffered AXR_MAX_BUFFERED=100k AXR_BODY_TIMEOUT=5s || finish
begin max_buffered_sheds_a_large_body_once_the_budget_is_used
body_file() {
	printf 'POST /validate HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 300000\r\n\r\n'
	head -c "$1" /dev/zero | tr '\0' ' '
}
body_file 90000 >"$T/body90k"
body_file 200000 >"$T/body200k"
"$RAW" -t 2000 -f "$T/body90k" "$PORT" >/dev/null 2>&1 &
holder=$!
PIDS="$PIDS $holder"
sleep 0.5
raw -t 3000 -f "$T/body200k"
want_json_error 503 SERVICE_UNAVAILABLE
want "Retry-After" "$(header Retry-After)" 1
want "GET /status" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/status")" 200
wait "$holder"
end_case

server_stop >/dev/null
finish
