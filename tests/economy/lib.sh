# lib.sh: what the economy suites share (sourced by tests/economy/*.test.sh, not run): a fresh
# database on AXR_TEST_DATABASE_URL's server, build/bin/axr-economy on a free port with the test
# key and AXR_TEST_REDIS_URL, tokens, HTTP and SQL helpers, and the case lines tests/run counts.
#
#   begin NAME / fail WHY / want WHAT GOT WANT / end_case   one "ok - NAME" or "not ok - NAME: WHY"
#   svc_start [VAR=VALUE...] / svc_kill9 / svc_stop          the service (same port across restarts)
#   log_case                                                 after svc_stop: no error, no sanitizer report
#   token UID [ROLE]                                         prints an access token
#   call METHOD PATH TOKEN [BODY] [HEADER...]                sets CODE; body in $BODY, headers in $HDR
#   sql "SELECT ..."                                         one psql query on the suite's database
#
# Everything started here is stopped and the database dropped on exit, whatever happens.
set -u

ROOT=${AXR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 2
BUILD=${AXR_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SVC=$BUILD/bin/axr-economy
MINT=$BUILD/tools/mint_token
KEY=$ROOT/tests/fixtures/keys/test-only-rs256-private.pem
PUB=$ROOT/tests/fixtures/keys/test-only-rs256-public.pem
T=$(mktemp -d "${AXR_TEST_TMP:-${TMPDIR:-/tmp}}/axr-economy.XXXXXX") || exit 2
BODY=$T/body
HDR=$T/hdr
. "$ROOT/tests/lib/case.sh"
PID=""
PORT=""
DB=""
DBURL=""
ADMIN_URL=${AXR_TEST_DATABASE_URL:-}
REDIS_URL=${AXR_TEST_REDIS_URL:-}
EXTRA_CLEANUP=""

econ_cleanup() {
	[ -n "$EXTRA_CLEANUP" ] && eval "$EXTRA_CLEANUP"
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null
	wait 2>/dev/null
	[ -n "$DB" ] && psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
	rm -rf "$T"
}
trap econ_cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

for _bin in "$SVC" "$MINT"; do
	[ -x "$_bin" ] || setup_fail "$_bin is missing (run make)"
done
command -v psql >/dev/null 2>&1 || setup_fail "psql not found"
[ -n "$ADMIN_URL" ] || setup_fail "AXR_TEST_DATABASE_URL is not set (run through tests/run)"

# econ_db TAG: a fresh database axr_econ_<tag>_<pid> on the test server; sets DB and DBURL.
econ_db() {
	DB=axr_econ_$1_$$
	psql -X -q "$ADMIN_URL" -c "CREATE DATABASE $DB" >/dev/null 2>"$T/createdb.err" ||
		setup_fail "CREATE DATABASE $DB: $(cat "$T/createdb.err")"
	DBURL=$(printf '%s' "$ADMIN_URL" | sed "s|^\(postgres[a-z]*://[^/]*\)/[^?]*|\1/$DB|")
}

sql() { psql -X -q -t -A "$DBURL" -c "$1" 2>&1; }

# svc_start [VAR=VALUE...]: the service on $PORT (picked once) with those settings on top of
# the suite's; returns non-zero (after a "not ok" line) when it is not ready within 10 s.
svc_start() {
	[ -n "$PORT" ] || PORT=$(sh "$ROOT/scripts/stack.sh" free-port) || setup_fail "no free port"
	env AXR_PORT="$PORT" AXR_THREADS=2 AXR_WORKERS=4 AXR_ACCESS_LOG=false AXR_DRAIN_TIMEOUT=3s \
		AXR_DATABASE_URL="$DBURL" AXR_REDIS_URL="$REDIS_URL" AXR_JWT_PUBLIC_KEY="$PUB" "$@" "$SVC" \
		>>"$T/svc.log" 2>&1 &
	PID=$!
	_n=0
	while [ "$_n" -lt 100 ]; do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$PORT/readyz")" = 200 ] && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
		_n=$((_n + 1))
	done
	echo "not ok - service start: $(tail -3 "$T/svc.log" | tr '\n' ' ')"
	FAILED=1
	return 1
}

svc_kill9() {
	kill -9 "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=""
}

svc_stop() {
	kill -TERM "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=""
}

# log_case: after svc_stop, one case: the service logged no error and no sanitizer report (an
# ASan build, AXR_BUILD=build/asan, reports leaks at exit).
log_case() {
	begin service-logged-no-error-and-no-sanitizer-report
	_bad=$(grep -E '"level":"error"|AddressSanitizer|LeakSanitizer|runtime error:' "$T/svc.log" | head -n 3)
	[ -z "$_bad" ] || fail "$(printf '%s' "$_bad" | tr '\n' ' ' | cut -c1-600)"
	end_case
}

token() {
	if [ $# -ge 2 ]; then
		"$MINT" -k "$KEY" -s "$1" -r "$2"
	else
		"$MINT" -k "$KEY" -s "$1"
	fi
}

# call METHOD PATH TOKEN [BODY] [HEADER...]: CODE is the status (000 when no answer came).
call() {
	_m=$1 _p=$2 _t=$3
	shift 3
	_b=""
	if [ $# -gt 0 ]; then
		_b=$1
		shift
	fi
	set -- -s -o "$BODY" -D "$HDR" -w '%{http_code}' --max-time 10 -X "$_m" "$@"
	[ -z "$_t" ] || set -- "$@" -H "Authorization: Bearer $_t"
	[ -z "$_b" ] || set -- "$@" -H 'Content-Type: application/json' --data-binary "$_b"
	CODE=$(curl "$@" "http://127.0.0.1:$PORT$_p")
}

body() { cat "$BODY"; }

# jstr NAME [FILE]: the first string value of "NAME" in the JSON body (no nesting awareness).
jstr() { grep -o "\"$1\":\"[^\"]*\"" "${2:-$BODY}" | head -n 1 | sed 's/.*:"\(.*\)"$/\1/'; }
# jnum NAME [FILE]: the first number value of "NAME".
jnum() { grep -o "\"$1\":-\\{0,1\\}[0-9][0-9]*" "${2:-$BODY}" | head -n 1 | sed 's/.*://'; }
# header NAME: a response header of the last call.
header() { tr -d '\r' <"$HDR" | grep -i "^$1:" | head -n 1 | sed 's/^[^:]*: *//'; }

# A JSON transaction between owners FROM and TO (null for the system) of one LINES array.
tx_json() { printf '{"from":%s,"to":%s,"resources":%s%s}' "$1" "$2" "$3" "${4:+,\"approval\":$4}"; }
q() { printf '"%s"' "$1"; }
