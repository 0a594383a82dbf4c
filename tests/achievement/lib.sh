# lib.sh: what the achievement suites share (sourced, not run): settings, a temp folder, a fresh database,
# starting a service and waiting until it is ready; the case helpers are tests/server/lib.sh's. Everything
# (processes, database, temp folder) is removed on exit.
#
#   need BIN...                      a "not ok - setup" line and exit 1 unless each is executable
#   fresh_db NAME                    creates database NAME_$$ on AXR_TEST_DATABASE_URL's server; sets DBURL
#   start_service NAME BIN [VAR=VALUE...]
#                                    runs BIN on a free port with the test settings (the test public key,
#                                    AXR_TEST_REDIS_URL, DBURL when set) and the extra ones; waits for
#                                    /readyz; sets PORT and PID (logs in $T/NAME.log)
#   setup_fail WHY                   a "not ok - setup" line and exit 1
. "$(dirname "$0")/../server/lib.sh" # ROOT, BUILD, T, PIDS, FAILED, begin/want/end_case, lib_cleanup
cd "$ROOT" || exit 2
KEY=$ROOT/tests/fixtures/keys/test-only-rs256-private.pem
PUB=$ROOT/tests/fixtures/keys/test-only-rs256-public.pem
ADMIN_URL=${AXR_TEST_DATABASE_URL:-}
REDIS_URL=${AXR_TEST_REDIS_URL:-}
DB=""
DBURL=""

achievement_cleanup() {
	[ -n "$ADMIN_URL" ] && [ -n "$DB" ] && psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
	lib_cleanup
}
trap achievement_cleanup EXIT
setup_fail() {
	echo "not ok - setup: $*"
	exit 1
}

need() {
	for _bin in "$@"; do
		[ -x "$_bin" ] || setup_fail "$_bin is missing (run make and make itests)"
	done
	[ -n "$ADMIN_URL" ] && [ -n "$REDIS_URL" ] ||
		setup_fail "AXR_TEST_DATABASE_URL and AXR_TEST_REDIS_URL must be set (run through tests/run)"
}

fresh_db() {
	DB=$1_$$
	psql -X -q "$ADMIN_URL" -c "CREATE DATABASE $DB" >/dev/null 2>"$T/createdb.err" ||
		setup_fail "CREATE DATABASE $DB: $(cat "$T/createdb.err")"
	DBURL=$(printf '%s' "$ADMIN_URL" | sed "s|^\(postgres[a-z]*://[^/]*\)/[^?]*|\1/$DB|")
}

start_service() {
	_name=$1 _bin=$2
	shift 2
	PORT=$(sh scripts/stack.sh free-port) || setup_fail "no free port"
	env AXR_PORT="$PORT" AXR_THREADS=2 AXR_WORKERS=8 AXR_ACCESS_LOG=false AXR_DRAIN_TIMEOUT=3s \
		${DBURL:+AXR_DATABASE_URL=$DBURL} AXR_REDIS_URL="$REDIS_URL" AXR_JWT_PUBLIC_KEY="$PUB" "$@" "$_bin" \
		>"$T/$_name.log" 2>&1 &
	PID=$!
	PIDS="$PIDS $PID"
	_n=0
	until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$PORT/readyz")" = 200 ]; do
		_n=$((_n + 1))
		if [ "$_n" -gt 100 ] || ! kill -0 "$PID" 2>/dev/null; then
			setup_fail "$_name is not ready: $(tail -3 "$T/$_name.log" | tr '\n' ' ')"
		fi
		sleep 0.1
	done
}
