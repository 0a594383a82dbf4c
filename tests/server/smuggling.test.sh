#!/bin/sh
# smuggling.test.sh: request smuggling probes over the wire. Each ambiguous
# request must be refused with a JSON error, nothing after it may be answered,
# the connection must close, and the server must go on serving new connections.
. "$(dirname "$0")/lib.sh"


# probe NAME STATUS CODE POISONS DATA: sends DATA on a fresh server with one
# I/O thread (so the follow-up requests meet the same parser state). POISONS=1
# when DATA carries a Transfer-Encoding: chunked field that the parser reads
# before refusing the request (the follow-up then hits bug B1).
probe() {
	_name=$1
	_status=$2
	_code=$3
	shift 4
	server_start "$_name" AXR_THREADS=1 AXR_BODY_TIMEOUT=1s || return 0

	begin "${_name}_is_refused_with_${_status}_and_the_connection_closed"
	raw -t 3000 "$@"
	want_json_error "$_status" "$_code"
	want "responses" "$(statuses)" "$_status"
	want_closed
	end_case

	begin "${_name}_then_the_next_connection_is_served"
	raw -t 2500 'GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
	want "GET /healthz" "$(status)" 200
	want_between "GET /healthz answered after (ms)" "$(meta first_byte_ms)" 0 500
	raw -t 2500 'POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}'
	want "POST /echo" "$(status) $(body)" "200 {}"
	end_case

	server_stop >/dev/null
}

SMUGGLED='GET /status HTTP/1.1\r\nHost: a\r\n\r\n'

# ---- Content-Length and Transfer-Encoding together ----
probe content_length_with_transfer_encoding 400 BAD_REQUEST 1 \
	"POST /echo HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 6\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n$SMUGGLED"
probe transfer_encoding_with_content_length 400 BAD_REQUEST 1 \
	"POST /echo HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: chunked\\r\\nContent-Length: 6\\r\\n\\r\\n0\\r\\n\\r\\n$SMUGGLED"

# ---- Content-Length variants ----
probe two_content_lengths 400 BAD_REQUEST 0 \
	"POST /echo HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 2\\r\\nContent-Length: 40\\r\\n\\r\\n{}$SMUGGLED"
probe content_length_list 400 BAD_REQUEST 0 \
	"POST /echo HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 2, 2\\r\\n\\r\\n{}$SMUGGLED"
probe content_length_with_a_sign 400 BAD_REQUEST 0 \
	"POST /echo HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: +2\\r\\n\\r\\n{}$SMUGGLED"
probe content_length_in_hex 400 BAD_REQUEST 0 \
	"POST /echo HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 0x2\\r\\n\\r\\n{}$SMUGGLED"
probe content_length_with_inner_space 400 BAD_REQUEST 0 \
	"POST /echo HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 2 0\\r\\n\\r\\n{}$SMUGGLED"

# ---- Transfer-Encoding variants ----
probe transfer_encoding_not_chunked 501 NOT_IMPLEMENTED 0 \
	"POST /echo HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: gzip, chunked\\r\\n\\r\\n0\\r\\n\\r\\n$SMUGGLED"
probe transfer_encoding_chunked_then_gzip 400 BAD_REQUEST 0 \
	"POST /echo HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: chunked, gzip\\r\\n\\r\\n0\\r\\n\\r\\n$SMUGGLED"
probe transfer_encoding_chunked_twice 400 BAD_REQUEST 0 \
	"POST /echo HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: chunked, chunked\\r\\n\\r\\n0\\r\\n\\r\\n$SMUGGLED"
probe transfer_encoding_with_space_before_colon 400 BAD_REQUEST 0 \
	"POST /echo HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding : chunked\\r\\nContent-Length: 5\\r\\n\\r\\n0\\r\\n\\r\\n$SMUGGLED"
probe transfer_encoding_in_a_folded_line 400 BAD_REQUEST 0 \
	"POST /echo HTTP/1.1\\r\\nHost: a\\r\\nX-A: b\\r\\n Transfer-Encoding: chunked\\r\\nContent-Length: 5\\r\\n\\r\\n0\\r\\n\\r\\n$SMUGGLED"
probe transfer_encoding_in_http10 400 BAD_REQUEST 1 \
	"POST /echo HTTP/1.0\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n$SMUGGLED"

# ---- line ends and control characters ----
probe bare_lf_line_ends 400 BAD_REQUEST 0 \
	"GET /healthz HTTP/1.1\\nHost: a\\n\\n$SMUGGLED"
probe bare_lf_hiding_a_transfer_encoding 400 BAD_REQUEST 0 \
	"POST /echo HTTP/1.1\\r\\nHost: a\\r\\nX-A: b\\nTransfer-Encoding: chunked\\r\\nContent-Length: 5\\r\\n\\r\\n0\\r\\n\\r\\n$SMUGGLED"
probe bare_cr_in_a_header 400 BAD_REQUEST 0 \
	"GET /healthz HTTP/1.1\\r\\nHost: a\\rX-A: b\\r\\n\\r\\n$SMUGGLED"
probe nul_in_a_header_value 400 BAD_REQUEST 0 \
	"GET /healthz HTTP/1.1\\r\\nHost: a\\r\\nX-A: b\\0c\\r\\n\\r\\n$SMUGGLED"
probe nul_after_a_content_length 400 BAD_REQUEST 0 \
	"POST /echo HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 2\\0\\r\\n\\r\\n{}$SMUGGLED"
probe two_host_headers 400 BAD_REQUEST 0 \
	"GET /healthz HTTP/1.1\\r\\nHost: a\\r\\nHost: b\\r\\n\\r\\n$SMUGGLED"

# ---- chunked framing ----
probe chunk_size_not_hex 400 BAD_REQUEST 1 \
	"POST /echo HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\nzz\\r\\n{}\\r\\n0\\r\\n\\r\\n$SMUGGLED"
probe chunk_size_ended_by_bare_lf 400 BAD_REQUEST 1 \
	"POST /echo HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n2\\n{}\\r\\n0\\r\\n\\r\\n$SMUGGLED"
probe chunk_longer_than_its_size 400 BAD_REQUEST 1 \
	"POST /echo HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n2\\r\\n{}}\\r\\n0\\r\\n\\r\\n$SMUGGLED"

finish
