#!/bin/sh
# gateway.test.sh: nginx.conf routes /v1 to the owning service and answers its own errors as JSON.
#
# Renders the gateway bundle (scripts/gateway.sh) into a temp folder with the example service as
# the only live upstream (every other service points at a closed port), starts both on free
# ports (never make up's), and checks routing, limits, error bodies and request ids.
set -u

ROOT=${AXR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${AXR_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
STACK=$ROOT/scripts/stack.sh
GATEWAY=$ROOT/scripts/gateway.sh
EXAMPLE=$BUILD/bin/axr-example
T=$(mktemp -d "${TMPDIR:-/tmp}/axr-gateway-test.XXXXXX")
example_pid=

stop_example() {
	[ -n "$example_pid" ] || return 0
	kill -TERM "$example_pid" 2>/dev/null
	wait "$example_pid" 2>/dev/null
	example_pid=
}

cleanup() {
	stop_example
	sh "$STACK" nginx-stop "$T" >/dev/null 2>&1
	rm -rf "$T"
}
. "$ROOT/tests/gateway/tap.sh"

# get PATH [CURL ARGS...]: one request to the gateway; sets $status, body in $T/body,
# headers in $T/head.
get() {
	_path=$1
	shift
	status=$(curl -s -o "$T/body" -D "$T/head" -w '%{http_code}' --max-time 10 "$@" "$GW$_path")
}

# header NAME: the value of response header NAME of the last get.
header() { tr -d '\r' <"$T/head" | sed -n "s/^$1: *//Ip" | head -n 1; }

body() { cat "$T/body"; }

# expect_json_error NAME STATUS CODE: the last answer is STATUS with a JSON body in the
# platform format carrying CODE.
expect_json_error() {
	_want="{\"status\":$2,\"code\":\"$3\",\"message\":"
	_ct=$(header Content-Type)
	if [ "$status" != "$2" ]; then
		not_ok "$1" "want status $2, got $status: $(body)"
	elif [ "$_ct" != application/json ]; then
		not_ok "$1" "want Content-Type application/json, got '$_ct'"
	else
		case $(body) in
		"$_want"*\"}) ok "$1" ;;
		*) not_ok "$1" "want a body starting $_want, got $(body)" ;;
		esac
	fi
}

# wait_until TENTHS CMD...: runs CMD every 0.1 s until it succeeds; fails after TENTHS tries.
wait_until() {
	_left=$1
	shift
	while [ "$_left" -gt 0 ]; do
		"$@" && return 0
		_left=$((_left - 1))
		sleep 0.1
	done
	return 1
}

ready() { curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$EX_PORT/readyz"; }
in_file() { grep -q -- "$1" "$2" 2>/dev/null; }

# --- the configuration as the repository has it ---
if out=$(sh "$GATEWAY" render "$T/check" 2>&1 && sh "$STACK" nginx-test "$T/check/nginx.conf" 2>&1); then
	ok rendered_config_passes_nginx_t
else
	not_ok rendered_config_passes_nginx_t "$out"
fi
if grep -nE '^[[:space:]]*pid[[:space:]]' "$ROOT/nginx.conf" "$ROOT"/gateway/*.conf >"$T/pid" 2>&1; then
	not_ok config_sets_no_pid "$(cat "$T/pid")"
else
	ok config_sets_no_pid
fi

if [ ! -x "$EXAMPLE" ]; then
	not_ok example_service_built "$EXAMPLE missing (run make)"
	exit 1
fi

# --- a live gateway in front of the example service ---
EX_PORT=$(sh "$STACK" free-port)
GW_PORT=$(sh "$STACK" free-port)
DEAD_PORT=$(sh "$STACK" free-port)
GW=http://127.0.0.1:$GW_PORT
AXR_PORT=$EX_PORT AXR_THREADS=1 AXR_WORKERS=2 AXR_LOG_LEVEL=info "$EXAMPLE" 2>"$T/example.log" &
example_pid=$!
if ! wait_until 100 ready; then
	not_ok example_service_starts "no /readyz on port $EX_PORT: $(tail -5 "$T/example.log")"
	exit 1
fi

upstreams=$(sh "$GATEWAY" services | awk -v dead="127.0.0.1:$DEAD_PORT" -v ex="127.0.0.1:$EX_PORT" \
	'{ print $1 "=" ($1 == "example" ? ex : dead) }')
# shellcheck disable=SC2086 # one NAME=ADDRESS word per service
AXR_GATEWAY_LISTEN=127.0.0.1:$GW_PORT sh "$GATEWAY" render "$T/bundle" $upstreams
# A test-only route so that the stricter /v1/auth/ zone has something to limit.
cat >"$T/bundle/gateway/routes-zz-test.conf" <<'EOF'
location /v1/auth/ {
	proxy_pass http://axr_example/;
}
EOF
if ! out=$(sh "$STACK" nginx-start "$T" "$T/bundle/nginx.conf" 2>&1); then
	not_ok gateway_starts "$out"
	exit 1
fi
ok gateway_starts

get /healthz
[ "$status" = 200 ] && [ "$(body)" = '{"status":"ok"}' ] && ok gateway_healthz_answers_ok ||
	not_ok gateway_healthz_answers_ok "got $status $(body)"

get /v1/example/status
case $status:$(body) in
200:*'"name":"example"'*) ok service_status_routed_as_v1_service_status ;;
*) not_ok service_status_routed_as_v1_service_status "got $status $(body)" ;;
esac
wait_until 20 in_file '"route":"/status"' "$T/example.log" && ok v1_prefix_stripped_before_service ||
	not_ok v1_prefix_stripped_before_service "example log has no /status request: $(tail -3 "$T/example.log")"
[ "$(header Server)" = nginx ] && ok server_header_has_no_version ||
	not_ok server_header_has_no_version "Server: $(header Server)"

get /v1/echo -X POST -H 'Content-Type: application/json' --data-binary '{"gateway":[1,2,3]}'
[ "$status" = 200 ] && [ "$(body)" = '{"gateway":[1,2,3]}' ] && ok echo_post_routed_with_body ||
	not_ok echo_post_routed_with_body "got $status $(body)"

get '/v1/sleep?ms=2'
[ "$status" = 200 ] && [ "$(body)" = '{"slept":2}' ] && ok query_string_reaches_service ||
	not_ok query_string_reaches_service "got $status $(body)"

# The service's own errors pass through untouched (not replaced by the gateway's pages).
get '/v1/sleep?ms=soon'
case $status:$(body) in
400:*'"errors":[{"path":"/ms"'*) ok service_error_passes_through_unchanged ;;
*) not_ok service_error_passes_through_unchanged "got $status $(body)" ;;
esac

get /v1/zzz
expect_json_error unknown_v1_path_is_json_404 404 NOT_FOUND
get /
expect_json_error root_is_json_404 404 NOT_FOUND
get /metrics
expect_json_error metrics_not_exposed_at_root 404 NOT_FOUND
get /v1/example/metrics
expect_json_error metrics_not_exposed_under_v1 404 NOT_FOUND

head -c 1100000 /dev/zero | tr '\0' 'x' >"$T/big"
get /v1/echo -X POST -H 'Content-Type: application/json' --data-binary "@$T/big"
expect_json_error body_over_1m_is_json_413 413 PAYLOAD_TOO_LARGE

big_header=$(head -c 17000 /dev/zero | tr '\0' 'a')
get /v1/example/status -H "X-Big: $big_header"
expect_json_error header_field_over_16k_is_json_431 431 HEADERS_TOO_LARGE

# raw REQUEST: sends exact bytes to the gateway; status, headers and body as get sets them.
raw() {
	"$BUILD/tools/rawhttp" -t 3000 "$GW_PORT" "$1" >"$T/raw" 2>/dev/null
	status=$(sed -n '1s/^HTTP\/1\.[01] \([0-9]*\).*/\1/p' "$T/raw")
	sed -n '1,/^\r*$/p' "$T/raw" >"$T/head"
	sed '1,/^\r*$/d' "$T/raw" >"$T/body"
}
# A request line nginx cannot parse: JSON 400, not its HTML 500 (a named error location
# cannot take a request without a URI).
raw 'GET v1/example/status HTTP/1.1\r\nHost: a\r\n\r\n'
expect_json_error request_line_without_a_slash_is_json_400 400 BAD_REQUEST
raw 'GET /v1/example/status\rX HTTP/1.1\r\nHost: a\r\n\r\n'
expect_json_error bare_cr_in_the_request_line_is_json_400 400 BAD_REQUEST
raw 'TRACE /v1/example/status HTTP/1.1\r\nHost: a\r\n\r\n'
expect_json_error trace_is_json_405 405 METHOD_NOT_ALLOWED
[ -n "$(header Allow)" ] && ok trace_405_says_allow || not_ok trace_405_says_allow "no Allow header: $(cat "$T/head")"
raw 'POST /v1/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n'
expect_json_error unknown_transfer_encoding_is_json_501 501 NOT_IMPLEMENTED

get /v1/example/status -H 'X-Request-Id: gw-test.id_42'
n=$(grep -ci "^X-Request-Id:" "$T/head")
[ "$(header X-Request-Id)" = gw-test.id_42 ] && [ "$n" = 1 ] && ok request_id_echoed_back_once ||
	not_ok request_id_echoed_back_once "$n header(s), first: $(header X-Request-Id)"
wait_until 20 in_file '"requestId":"gw-test.id_42"' "$T/example.log" && ok request_id_reaches_service ||
	not_ok request_id_reaches_service "not in the example log"

get /v1/example/status
rid=$(header X-Request-Id)
case $rid in
'' | *[!0-9a-f]*) not_ok generated_request_id_reaches_service "X-Request-Id: '$rid'" ;;
*) wait_until 20 in_file "\"requestId\":\"$rid\"" "$T/example.log" &&
	ok generated_request_id_reaches_service ||
	not_ok generated_request_id_reaches_service "$rid not in the example log" ;;
esac
wait_until 30 in_file "\"requestId\":\"$rid\"" "$T/nginx/logs/access.log" &&
	ok access_log_carries_request_id || not_ok access_log_carries_request_id "$rid not in access.log"
if [ -s "$T/nginx/logs/access.log" ] && ! grep -v '^{"time":".*","service":"gateway",.*}$' \
	"$T/nginx/logs/access.log" >"$T/badlog"; then
	ok access_log_is_json_lines
else
	not_ok access_log_is_json_lines "$(head -c 300 "$T/badlog")"
fi

get /v1/example/status -H 'X-Request-Id: bad id;'
rid=$(header X-Request-Id)
case $rid in
'' | *[!0-9a-f]*) not_ok invalid_request_id_replaced "X-Request-Id: '$rid'" ;;
*) ok invalid_request_id_replaced ;;
esac

get /v1/notifications
expect_json_error service_down_is_json_502 502 BAD_GATEWAY

# --- rate limits: the auth zone first (small), then the general one ---
# burst DIR N PATH: N requests, 20 connections in parallel (fast even on a loaded machine);
# each answer (head and body) lands in DIR/r<i>.
burst() {
	mkdir -p "$1"
	curl -s --no-progress-meter -i --max-time 30 -Z --parallel-max 20 -o "$1/r#1" "$GW$3?n=[1-$2]" 2>/dev/null
}
count() { grep -l "^HTTP/1.1 $2 " "$1"/r* 2>/dev/null | wc -l; }

# The auth zone lets 1 + burst 10 through at once, then 5 r/s.
burst "$T/auth" 40 /v1/auth/status
n200=$(count "$T/auth" 200)
n429=$(count "$T/auth" 429)
[ "$n200" -ge 11 ] && [ "$n200" -le 20 ] && [ "$n429" -eq $((40 - n200)) ] &&
	ok auth_zone_allows_burst_of_10_then_429 ||
	not_ok auth_zone_allows_burst_of_10_then_429 "$n200 x 200, $n429 x 429 of 40"

sleep 2.5 # let the buckets refill
# The general zone: 1 + burst 200 at once, then 100 r/s.
burst "$T/general" 800 /v1/example/status
n200=$(count "$T/general" 200)
n429=$(count "$T/general" 429)
if [ "$n200" -ge 201 ] && [ "$n429" -ge 20 ] && [ $((n200 + n429)) -eq 800 ]; then
	ok general_zone_allows_burst_of_200_then_429
else
	not_ok general_zone_allows_burst_of_200_then_429 "$n200 x 200, $n429 x 429 of 800"
fi
f=$(grep -l '^HTTP/1.1 429 ' "$T/general"/r* 2>/dev/null | head -n 1)
if [ -z "$f" ]; then
	not_ok rate_limited_is_json_429_with_retry_after "no 429 in the burst"
else
	sed '/^\r$/q' "$f" >"$T/head"
	sed '1,/^\r$/d' "$f" >"$T/body"
	status=429
	[ "$(header Retry-After)" = 1 ] && expect_json_error rate_limited_is_json_429_with_retry_after 429 \
		TOO_MANY_REQUESTS || not_ok rate_limited_is_json_429_with_retry_after "Retry-After: '$(header Retry-After)'"
fi

# --- the service goes away: 502 JSON, not nginx's HTML ---
sleep 2.5
stop_example
get /v1/example/status
expect_json_error stopped_service_is_json_502 502 BAD_GATEWAY

exit "$failed"
