#!/bin/sh
# protocol.test.sh: routing errors, keep-alive, pipelining, HTTP/1.0, Expect:
# 100-continue, HEAD, request ids and the built-in endpoints of axr-example.
. "$(dirname "$0")/lib.sh"

server_start protocol AXR_THREADS=1 || finish
URL=http://127.0.0.1:$PORT

# ---- routing errors ----

begin unknown_path_is_404_json
curl -s -D "$T/h" -o "$T/b" "$URL/no/such/path"
want_curl_json_error "$T/h" "$T/b" 404 NOT_FOUND
end_case

begin unknown_path_with_a_body_is_404_and_the_connection_closes
raw 'POST /nope HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello'
want_json_error 404 NOT_FOUND
want_closed
end_case

begin wrong_method_is_405_json_with_allow
curl -s -D "$T/h" -o "$T/b" -X DELETE "$URL/echo"
want_curl_json_error "$T/h" "$T/b" 405 METHOD_NOT_ALLOWED
want "Allow" "$(header Allow "$T/h")" "POST"
curl -s -D "$T/h" -o "$T/b" -X POST "$URL/healthz"
want_curl_json_error "$T/h" "$T/b" 405 METHOD_NOT_ALLOWED
want "Allow of /healthz" "$(header Allow "$T/h")" "GET, HEAD"
end_case

begin get_on_a_post_route_is_405_and_keeps_the_connection
raw 'GET /echo HTTP/1.1\r\nHost: a\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
want "responses" "$(statuses)" "405 200"
want "Allow" "$(header Allow)" "POST"
end_case

# RFC 9110 15.5.6: a 405 MUST carry Allow; an unknown method is better a 501.
begin unknown_method_is_501_or_405_with_allow
raw 'BREW /healthz HTTP/1.1\r\nHost: a\r\n\r\n'
s=$(status)
want_match "status" "$s" '^(405|501)$'
[ "$s" = 405 ] && [ -z "$(header Allow)" ] && fail "405 without Allow: $(body)"
end_case

begin bad_query_value_is_400_json_with_field_errors
curl -s -D "$T/h" -o "$T/b" "$URL/sleep?ms=abc"
want "status" "$(status "$T/h")" 400
want "body" "$(cat "$T/b")" \
	'{"status":400,"code":"VALIDATION","message":"invalid query parameter","errors":[{"path":"/ms","message":"must be an integer in 0..10000"}]}'
end_case

# ---- keep-alive and pipelining ----

begin keep_alive_serves_two_requests_on_one_connection
raw -g 200 'GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n' 'GET /status HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
want "responses" "$(statuses)" "200 200"
want_between "bytes received before the second request" "$(meta before_last)" 100 400
want_closed
grep -aq '"name":"example"' "$RESP" || fail "no /status body in the second response"
end_case

begin pipelined_requests_in_one_write_get_responses_in_order
raw 'GET /sleep?ms=300 HTTP/1.1\r\nHost: a\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
want "responses" "$(statuses)" "200 200"
first=$(grep -ao '{"slept":300}\|{"status":"ok"}' "$RESP" | tr '\n' ' ')
want "bodies in order" "$first" '{"slept":300} {"status":"ok"} '
want_closed
end_case

begin pipelined_post_bodies_are_not_mixed_up
raw 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\n\r\n{"n":1}POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nConnection: close\r\n\r\n{"n":2}'
want "responses" "$(statuses)" "200 200"
want "bodies" "$(grep -ao '{"n":[0-9]}' "$RESP" | tr '\n' ' ')" '{"n":1} {"n":2} '
end_case

begin http10_without_keep_alive_is_answered_and_closed
raw 'GET /healthz HTTP/1.0\r\n\r\n'
want "status line" "$(head -n 1 "$RESP" | tr -d '\r')" "HTTP/1.1 200 OK"
want "Connection" "$(header Connection)" "close"
want_closed
want_between "closed after (ms)" "$(meta end_ms)" 0 500
end_case

begin http10_with_keep_alive_stays_open
raw -t 600 'GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n'
want "status" "$(status)" 200
want "Connection" "$(header Connection)" "keep-alive"
want "connection end" "$(meta end)" "timeout"
end_case

begin http11_connection_close_is_honoured
raw 'GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\n\r\n'
want "responses" "$(statuses)" "200"
want "Connection" "$(header Connection)" "close"
want_closed
end_case

# ---- Expect: 100-continue ----

begin expect_100_continue_gets_100_before_the_body_is_sent
raw -g 300 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n' '{"a":1}'
want "first line" "$(head -n 1 "$RESP" | tr -d '\r')" "HTTP/1.1 100 Continue"
want "bytes before the body was sent" "$(meta before_last)" 25
want "responses" "$(statuses)" "100 200"
want "echo" "$(tail -c 7 "$RESP")" '{"a":1}'
end_case

begin expect_100_continue_with_a_body_too_large_gets_413_and_no_100
raw 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 70000\r\nExpect: 100-continue\r\n\r\n'
want "responses" "$(statuses)" "413"
want_json_error 413 PAYLOAD_TOO_LARGE
want_closed
end_case

begin curl_post_with_expect_100_continue_is_echoed
printf '{"k":"v"}' >"$T/body"
out=$(curl -s -H 'Expect: 100-continue' -H 'Content-Type: application/json' --data-binary @"$T/body" "$URL/echo")
want "echo" "$out" '{"k":"v"}'
end_case

begin other_expectations_are_417_json
raw 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 200-ok\r\n\r\n{}'
want_json_error 417 EXPECTATION_FAILED
want_closed
end_case

# ---- HEAD ----

begin head_is_answered_by_the_get_route_without_a_body
raw 'HEAD /healthz HTTP/1.1\r\nHost: a\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
want "responses" "$(statuses)" "200 200"
want "Content-Length" "$(header Content-Length)" 15
want "bytes between the two status lines" "$(grep -ac '^{"status":"ok"}' "$RESP")" 1
end_case

# ---- request ids ----

begin valid_x_request_id_is_echoed
curl -s -D "$T/h" -o /dev/null -H 'X-Request-Id: trace-42_A.b' "$URL/healthz"
want "X-Request-Id" "$(header X-Request-Id "$T/h")" "trace-42_A.b"
id64=$(pad 64)
curl -s -D "$T/h" -o /dev/null -H "X-Request-Id: $id64" "$URL/healthz"
want "64-character id" "$(header X-Request-Id "$T/h")" "$id64"
end_case

begin invalid_or_missing_x_request_id_is_replaced_by_a_generated_one
for given in 'has space' 'semi;colon' '<script>' "$(pad 65)" ''; do
	if [ -n "$given" ]; then
		curl -s -D "$T/h" -o /dev/null -H "X-Request-Id: $given" "$URL/healthz"
	else
		curl -s -D "$T/h" -o /dev/null "$URL/healthz"
	fi
	id=$(header X-Request-Id "$T/h")
	want_match "id generated for '$given'" "$id" '^[0-9a-f]{16}$'
done
curl -s -D "$T/h1" -o /dev/null "$URL/healthz"
curl -s -D "$T/h2" -o /dev/null "$URL/healthz"
[ "$(header X-Request-Id "$T/h1")" != "$(header X-Request-Id "$T/h2")" ] || fail "two requests got the same id"
end_case

begin error_answers_carry_a_request_id_too
raw 'GET /healthz HTTP/1.1\r\nHost: a\r\nX-Request-Id: err-1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx'
want "status" "$(status)" 400
want_match "X-Request-Id" "$(header X-Request-Id)" '^[0-9a-f]{16}$|^err-1$'
end_case

# ---- built-in endpoints ----

begin status_names_the_service_version_and_time
out=$(curl -s "$URL/status")
want_match "/status" "$out" '^\{"name":"example","version":"0\.1\.0","time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"\}$'
end_case

begin healthz_and_readyz_answer_200_json
curl -s -D "$T/h" -o "$T/b" "$URL/healthz"
want "healthz" "$(status "$T/h") $(cat "$T/b")" '200 {"status":"ok"}'
curl -s -D "$T/h" -o "$T/b" "$URL/readyz"
want "readyz" "$(status "$T/h") $(cat "$T/b")" '200 {"status":"ready"}'
want "Content-Type" "$(header Content-Type "$T/h")" "application/json"
end_case

server_stop >/dev/null

# ---- what one request sets must not leak into the next ----
# conn.c parses every head of an I/O thread into one struct (io->head), and
# http.c clears it only up to `headers`: `chunked` and `expect_continue`
# stay set. Fresh servers with one I/O thread make this deterministic.

server_start chunked_then_more AXR_THREADS=1 AXR_BODY_TIMEOUT=1s || finish

begin chunked_request_is_echoed
raw 'POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\n{"c\r\n4\r\n":1}\r\n0\r\n\r\n'
want "responses" "$(statuses)" 200
want "echo" "$(body)" '{"c":1}'
end_case

begin requests_after_a_chunked_one_are_read_normally
raw -t 2500 'GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
want "GET /healthz" "$(status)" 200
want_between "GET /healthz answered after (ms)" "$(meta first_byte_ms)" 0 500
raw -t 2500 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}'
want "POST with Content-Length" "$(status) $(body)" "200 {}"
raw -t 2500 'GET /healthz HTTP/1.0\r\n\r\n'
want "HTTP/1.0 GET" "$(status) $(body)" '200 {"status":"ok"}'
end_case

server_stop >/dev/null
server_start expect_then_more AXR_THREADS=1 || finish

begin no_100_continue_for_a_request_that_did_not_ask
raw -g 100 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n' '{}'
want "responses to the request with Expect" "$(statuses)" "100 200"
raw -g 100 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nConnection: close\r\n\r\n' '{}'
want "responses to the next request, without Expect" "$(statuses)" "200"
end_case

server_stop >/dev/null
finish
