# lib.sh: helpers for the black-box server suites (sourced by tests/server/*.test.sh, not run).
#
# A suite starts axr-example servers with server_start, talks to them with curl
# and build/tools/rawhttp, and reports each case:
#
#   begin NAME            start a case (WHY is cleared)
#   want WHAT GOT WANT    the case fails unless GOT = WANT (messages collect in WHY)
#   want_match WHAT GOT ERE / want_between WHAT N LOW HIGH / fail WHY
#   end_case              prints "ok - NAME" or "not ok - NAME: WHY"
#
# The suite ends with `finish`, which
# exits non-zero when any case failed. Every process started here is killed
# on exit, whatever happens.
set -u

ROOT=${AXR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${AXR_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
EXAMPLE=$BUILD/bin/axr-example
RAW=$BUILD/tools/rawhttp
T=$(mktemp -d "${AXR_TEST_TMP:-${TMPDIR:-/tmp}}/axr-server.XXXXXX") || exit 2
RESP=$T/resp # the last rawhttp answer, byte for byte
META=$T/meta # its summary line
. "$ROOT/tests/lib/case.sh"
PIDS=""

lib_cleanup() {
	for _p in $PIDS; do kill -9 "$_p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap lib_cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

for _bin in "$EXAMPLE" "$RAW"; do
	if [ ! -x "$_bin" ]; then
		echo "not ok - setup: $_bin is missing (run make)"
		exit 1
	fi
done

# ---- servers ---------------------------------------------------------------

# server_start NAME [VAR=VALUE...]: runs axr-example on a free port with those
# settings (on top of AXR_THREADS=2, AXR_DRAIN_TIMEOUT=3s and no access log); sets PORT, PID and LOG.
# Returns non-zero (after a "not ok" line) when /healthz does not answer in 5 s.
server_start() {
	_name=$1
	shift
	PORT=$(sh "$ROOT/scripts/stack.sh" free-port) || return 1
	LOG=$T/$_name.log
	env AXR_PORT="$PORT" AXR_THREADS=2 AXR_ACCESS_LOG=false AXR_DRAIN_TIMEOUT=3s "$@" "$EXAMPLE" >"$LOG" 2>&1 &
	PID=$!
	PIDS="$PIDS $PID"
	_tries=0
	while [ "$_tries" -lt 50 ]; do
		if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/healthz"; then
			return 0
		fi
		if ! kill -0 "$PID" 2>/dev/null; then
			break
		fi
		sleep 0.1
		_tries=$((_tries + 1))
	done
	echo "not ok - $_name: server did not start: $(tail -3 "$LOG" | tr '\n' ' ')"
	FAILED=1
	return 1
}

# server_stop [PID]: SIGTERM, wait; returns the exit status (137 after a SIGKILL
# when it did not stop within 15 s).
server_stop() {
	_pid=${1:-$PID}
	kill -TERM "$_pid" 2>/dev/null
	_tries=0
	while kill -0 "$_pid" 2>/dev/null && [ "$_tries" -lt 150 ]; do
		sleep 0.1
		_tries=$((_tries + 1))
	done
	kill -9 "$_pid" 2>/dev/null
	_rc=0
	wait "$_pid" 2>/dev/null || _rc=$?
	PIDS=$(echo " $PIDS " | sed "s/ $_pid / /")
	return "$_rc"
}

# ---- the wire --------------------------------------------------------------

# raw [rawhttp options] DATA...: sends to $PORT; the answer lands in $RESP, the
# summary in $META.
raw() {
	_opts=""
	while [ $# -gt 0 ]; do
		case $1 in
		-f | -d | -g | -t | -i) _opts="$_opts $1 $2"; shift 2 ;;
		*) break ;;
		esac
	done
	# shellcheck disable=SC2086 # _opts holds options and their numeric values
	"$RAW" $_opts "$PORT" "$@" >"$RESP" 2>"$META"
}

# meta KEY: a field of the last summary (sent, received, end, end_ms, total_ms...).
meta() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$META"; }

# final [FILE]: the answer without the 1xx interim responses before the first final one.
final() {
	awk '!done && /^HTTP\/1\.[01] 1[0-9][0-9] / { skip = 1 }
		skip { if ($0 == "\r") skip = 0; next }
		{ done = 1; print }' "${1:-$RESP}"
}

# status [FILE]: the status code of the first final response.
status() { final "$@" | head -n 1 | cut -d ' ' -f 2; }

# statuses [FILE]: every status code, interim ones included, in order, space-separated.
statuses() { grep -ao 'HTTP/1\.1 [0-9][0-9][0-9] ' "${1:-$RESP}" | cut -d ' ' -f 2 | tr '\n' ' ' | sed 's/ $//'; }

# header NAME [FILE]: the value of header NAME in the first final response.
header() {
	final "${2:-$RESP}" | sed -n '1,/^\r*$/p' | tr -d '\r' | grep -i "^$1:" | head -n 1 | sed 's/^[^:]*: *//'
}

# body [FILE]: the body of the first final response (Content-Length bytes).
body() {
	_len=$(header Content-Length "${1:-$RESP}")
	final "${1:-$RESP}" | sed '1,/^\r*$/d' | head -c "${_len:-0}"
}

# want_json_error STATUS CODE: the last answer is STATUS with a JSON error body
# {"status":STATUS,"code":CODE,"message":"..."[,"errors":[...]]}.
want_json_error() {
	want "status" "$(status)" "$1"
	want "Content-Type" "$(header Content-Type)" "application/json"
	_body=$(body)
	want_match "error body" "$_body" \
		"^\\{\"status\":$1,\"code\":\"$2\",\"message\":\"[^\"]+\"(,\"errors\":\\[.*\\])?\\}\$"
}

# want_closed: the server closed the connection after answering (not a timeout).
want_closed() { want "connection end" "$(meta end)" "closed"; }

# curl_json_error FILE_HEADERS FILE_BODY STATUS CODE: the same for a curl answer.
want_curl_json_error() {
	want "status" "$(status "$1")" "$3"
	want "Content-Type" "$(header Content-Type "$1")" "application/json"
	want_match "error body" "$(cat "$2")" \
		"^\\{\"status\":$3,\"code\":\"$4\",\"message\":\"[^\"]+\"(,\"errors\":\\[.*\\])?\\}\$"
}

# pad N: N bytes of 'a'.
pad() { head -c "$1" /dev/zero | tr '\0' a; }
