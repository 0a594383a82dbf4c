#!/bin/sh
# smuggling.test.sh: request smuggling probes, each carrying a second request
# (GET /sleep?ms=1, a route no probe uses) hidden where a lenient parser would find it, sent
# to axr-example directly and through the gateway (the repository's nginx.conf).
#
# Directly: every probe is refused with its status and the JSON error body, it is the only
# answer, the connection closes, and the service logs exactly one request for it (the refused
# one): the leftovers are never parsed as a request.
# Through the gateway: nginx and the service together never let a request reach the service
# that nginx did not see: every request id in the service's access log is one nginx logged as
# proxied, their counts agree, and /sleep reaches the service only when nginx itself parsed it
# as a request of its own (then with nginx's request id). nginx's refusals are JSON.
# (tests/server/smuggling.test.sh also checks that a fresh connection is served after each.)
. "$(dirname "$0")/lib.sh"

server_start direct AXR_THREADS=1 AXR_ACCESS_LOG=true AXR_BODY_TIMEOUT=1s || finish
SVC_PORT=$PORT
SMUGGLED='GET /sleep?ms=1 HTTP/1.1\r\nHost: a\r\n\r\n'

# The probes: NAME STATUS DATA, DATA with @E@ for the echo path and @S@ for the status path
# (/echo and /status directly; /v1/echo and /v1/example/status through the gateway).
cat >"$T/probes" <<'EOF'
cl_then_te 400 POST @E@ HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n
te_then_cl 400 POST @E@ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\n
cl_then_te_identity 400 POST @E@ HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n
two_content_lengths 400 POST @E@ HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}
two_equal_content_lengths 400 POST @E@ HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}
content_length_list 400 POST @E@ HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 40\r\n\r\n{}
content_length_negative 400 POST @E@ HTTP/1.1\r\nHost: a\r\nContent-Length: -2\r\n\r\n{}
content_length_19_digits 400 POST @E@ HTTP/1.1\r\nHost: a\r\nContent-Length: 0000000000000000002\r\n\r\n{}
content_length_with_vertical_tab 400 POST @E@ HTTP/1.1\r\nHost: a\r\nContent-Length:\x0b2\r\n\r\n{}
bare_lf_line_ends 400 GET @S@ HTTP/1.1\nHost: a\n\n
bare_lf_hiding_te 400 POST @E@ HTTP/1.1\r\nHost: a\r\nX-A: b\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n
bare_cr_hiding_te 400 POST @E@ HTTP/1.1\r\nHost: a\r\nX-A: b\rTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n
nul_in_header_value 400 GET @S@ HTTP/1.1\r\nHost: a\r\nX-A: b\0c\r\n\r\n
nul_in_header_name 400 GET @S@ HTTP/1.1\r\nHost: a\r\nX\0A: b\r\n\r\n
obs_fold_te 400 POST @E@ HTTP/1.1\r\nHost: a\r\nX-A: b\r\n Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n
obs_fold_tab 400 POST @E@ HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\tTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n
space_before_colon_te 400 POST @E@ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n
space_before_colon_cl 400 POST @E@ HTTP/1.1\r\nHost: a\r\nContent-Length : 40\r\n\r\n{}
te_chunked_then_gzip 400 POST @E@ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n
te_chunked_twice 400 POST @E@ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n
te_gzip_then_chunked 501 POST @E@ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n
te_xchunked_with_cl 400 POST @E@ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n
te_xchunked 501 POST @E@ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n
te_in_http10 400 POST @E@ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n
chunk_size_not_hex 400 POST @E@ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n
chunk_size_negative 400 POST @E@ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-2\r\n{}\r\n0\r\n\r\n
chunk_size_0x 400 POST @E@ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\n{}\r\n0\r\n\r\n
chunk_size_leading_space 400 POST @E@ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n 2\r\n{}\r\n0\r\n\r\n
chunk_size_empty 400 POST @E@ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\n{}\r\n0\r\n\r\n
chunk_size_bare_lf 400 POST @E@ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\n{}\r\n0\r\n\r\n
chunk_data_longer_than_size 400 POST @E@ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}}\r\n0\r\n\r\n
chunk_data_bare_lf 400 POST @E@ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\n0\r\n\r\n
chunk_trailer_bare_lf 400 POST @E@ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX: y\n\r\n
chunk_size_overflowing_64_bits 413 POST @E@ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000002\r\n{}\r\n0\r\n\r\n
two_hosts 400 GET @S@ HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n
request_line_bare_cr 400 GET @S@\rHTTP/1.1\r\nHost: a\r\n\r\n
absolute_form_target 400 GET http://a@S@ HTTP/1.1\r\nHost: a\r\n\r\n
EOF

# probe_data FILE LINE ECHO STATUS: the bytes of probe LINE with its paths, then the smuggled request.
probe_data() {
	printf '%s' "$1" | cut -d ' ' -f 3- | sed -e "s|@E@|$2|g" -e "s|@S@|$3|g"
	printf '%s' "$SMUGGLED"
}

# log_requests FILE: request lines in an access log.
log_requests() { grep -c '"msg":"request"' "$1" 2>/dev/null || echo 0; }

# ---- directly ------------------------------------------------------------------------------
while read -r line; do
	name=$(printf "%s" "$line" | cut -d ' ' -f 1)
	want_status=$(printf "%s" "$line" | cut -d ' ' -f 2)
	begin "direct_${name}_is_${want_status}_json_closed_and_the_only_request_parsed"
	before=$(log_requests "$LOG")
	raw -t 2000 "$(probe_data "$line" /echo /status)"
	want_json_error "$want_status" "$(case $want_status in 400) echo BAD_REQUEST ;; 413) echo PAYLOAD_TOO_LARGE ;; 501) echo NOT_IMPLEMENTED ;; esac)"
	want "responses" "$(statuses)" "$want_status"
	want_closed
	sleep 0.05
	want "requests the service logged" $(($(log_requests "$LOG") - before)) 1
	end_case
done <"$T/probes"

begin direct_smuggled_request_never_reached_a_handler
n=$(grep -c '"route":"/sleep"' "$LOG")
want "/sleep requests in the service log" "$n" 0
kill -0 "$PID" 2>/dev/null || fail "axr-example is gone: $(tail -3 "$LOG")"
end_case

# ---- through the gateway -------------------------------------------------------------------
begin gateway_starts_in_front_of_the_service
gateway_start example=127.0.0.1:$SVC_PORT || fail "nginx did not start: $(tail -5 "$T/gw.out")"
end_case
[ -n "$GW_PORT" ] || finish
mark=$(wc -l <"$LOG")

SVC_PORT_SAVED=$PORT
PORT=$GW_PORT
while read -r line; do
	name=$(printf "%s" "$line" | cut -d ' ' -f 1)
	begin "gateway_${name}_refusal_or_answers_are_json_and_nothing_is_smuggled"
	raw -t 1500 -i 400 "$(probe_data "$line" /v1/echo /v1/example/status)"
	s=$(status)
	case $s in
	400) want_json_error 400 BAD_REQUEST ;;
	413) want_json_error 413 PAYLOAD_TOO_LARGE ;;
	501 | 500) # Gateway defects, reported, not the service's: nginx answers an unknown
	     # transfer coding with its HTML 501 page (errors.conf has no error_page 501), and a
	     # request line it cannot parse with an HTML 500 ("empty URI in redirect to named
	     # location @axr_400"). The service never sees either request (checked below).
	     [ "$(header Content-Type)" = application/json ] ||
		echo "# gateway answers $name with an HTML $s (nginx.conf/errors.conf defect)"
	     want "responses" "$(statuses)" "$s"
	     want_closed ;;
	200) # nginx parsed the probe leniently (bare LF, chunk-size BWS...) and re-framed it; the
	     # hidden bytes were then a request of the client's own, parsed by nginx (404: no route).
	     want "responses" "$(statuses)" "200 404" ;;
	*) fail "status $s: $(head -c 200 "$RESP" | tr '\r\n' '  ')" ;;
	esac
	end_case
done <"$T/probes"
PORT=$SVC_PORT_SAVED

sleep 1.5 # nginx flushes its access log every second
begin gateway_every_request_the_service_saw_is_one_nginx_proxied
sed -n "$((mark + 1)),\$p" "$LOG" | grep '"msg":"request"' |
	sed -n 's/.*"requestId":"\([^"]*\)".*/\1/p' >"$T/svc_ids"
grep '"upstream":"127.0.0.1:' "$T/gw/nginx/logs/access.log" | sed -n 's/.*"requestId":"\([^"]*\)".*/\1/p' \
	>"$T/gw_ids"
want "requests the service logged = requests nginx proxied" "$(wc -l <"$T/svc_ids" | tr -d ' ')" \
	"$(wc -l <"$T/gw_ids" | tr -d ' ')"
unknown=$(sort "$T/svc_ids" | comm -23 - "$(sort "$T/gw_ids" >"$T/gw_sorted" && echo "$T/gw_sorted")")
want "request ids the service saw that nginx did not proxy" "$unknown" ""
n=$(sed -n "$((mark + 1)),\$p" "$LOG" | grep -c '"route":"/sleep"')
want "/sleep requests that reached the service" "$n" 0
kill -0 "$PID" 2>/dev/null || fail "axr-example is gone: $(tail -3 "$LOG")"
end_case

server_stop >/dev/null
finish
