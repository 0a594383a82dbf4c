# lib.sh: what the matchmaking suites share (sourced by tests/matchmaking/*.test.sh, not run): a
# fresh database on AXR_TEST_DATABASE_URL's server, replicas of build/bin/axr-matchmaking with a
# fast matcher on free ports, and clean-up of all of it on exit.
#
#   mm_db TAG            creates database axr_mm_<tag>_<pid>; sets DB and DBURL
#   start NAME           a replica on a free port (log $T/NAME.log); sets PORT and PID
#   ready PORT PID       /readyz answers 200 within 10 s while PID lives
#   wait_until TENTHS CMD...   runs CMD every 0.1 s until it succeeds
#   setup_fail WHY       a "not ok - setup" line and exit 1 (tests/lib/case.sh, with the case lines)
#
# Matcher settings for speed: a round every 50 ms, windows widening 300 skill points per second,
# tickets expiring after 5 s. On exit the suite's SUB_PIDS are killed, its replicas (PID_A, PID_B,
# PID) get SIGTERM, the database is dropped and $T removed.
set -u

ROOT=${AXR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 2
BUILD=${AXR_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SVC=$BUILD/bin/axr-matchmaking
MINT=$BUILD/tools/mint_token
KEY=$ROOT/tests/fixtures/keys/test-only-rs256-private.pem
PUB=$ROOT/tests/fixtures/keys/test-only-rs256-public.pem
ADMIN_URL=${AXR_TEST_DATABASE_URL:-}
REDIS_URL=${AXR_TEST_REDIS_URL:-}
T=$(mktemp -d "${AXR_TEST_TMP:-${TMPDIR:-/tmp}}/axr-matchmaking.XXXXXX") || exit 2
. "$ROOT/tests/lib/case.sh"
DB=
PID=
PID_A=
PID_B=
SUB_PIDS=

mm_cleanup() {
	for _p in $SUB_PIDS; do kill "$_p" 2>/dev/null; done
	for _p in $PID_A $PID_B $PID; do kill -TERM "$_p" 2>/dev/null; done
	for _p in $PID_A $PID_B $PID $SUB_PIDS; do wait "$_p" 2>/dev/null; done
	[ -n "$DB" ] && psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
	rm -rf "$T"
}
trap mm_cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

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

for _bin in "$SVC" "$MINT"; do
	[ -x "$_bin" ] || setup_fail "$_bin is missing (run make)"
done
[ -n "$ADMIN_URL" ] && [ -n "$REDIS_URL" ] ||
	setup_fail "AXR_TEST_DATABASE_URL and AXR_TEST_REDIS_URL must be set (run through tests/run)"

mm_db() {
	DB=axr_mm_$1_$$
	psql -X -q "$ADMIN_URL" -c "CREATE DATABASE $DB" >/dev/null 2>"$T/createdb.err" ||
		setup_fail "CREATE DATABASE $DB: $(cat "$T/createdb.err")"
	DBURL=$(printf '%s' "$ADMIN_URL" | sed "s|^\(postgres[a-z]*://[^/]*\)/[^?]*|\1/$DB|")
}

start() {
	PORT=$(sh scripts/stack.sh free-port) || setup_fail "no free port"
	AXR_PORT=$PORT AXR_THREADS=2 AXR_WORKERS=4 AXR_ACCESS_LOG=false AXR_DRAIN_TIMEOUT=5s \
		AXR_DATABASE_URL=$DBURL AXR_REDIS_URL=$REDIS_URL AXR_JWT_PUBLIC_KEY=$PUB \
		AXR_MATCH_INTERVAL=50ms AXR_MATCH_WINDOW_RATE=300 AXR_MATCH_MAX_WAIT=5s \
		"$SVC" >"$T/$1.log" 2>&1 &
	PID=$!
}

answers_ready() {
	kill -0 "$2" 2>/dev/null || return 2
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$1/readyz")" = 200 ]
}
ready() { wait_until 100 answers_ready "$@"; }
