# lib.sh: what the account suites share (sourced after tests/server/lib.sh, not run): a fresh database
# of the tests' PostgreSQL and build/bin/axr-account on it with the test settings.
#
#   account_start NAME [VAR=VALUE...]   creates database axr_t_NAME_$$, starts the service on a free port
#                                       (extra settings on top of the test ones); sets DB_URL, PORT, BASE,
#                                       PID, LOG, ADMIN_NAME, ADMIN_PASSWORD; exits after a "not ok - setup"
#                                       line when it cannot.
#   psql_db SQL                         runs SQL on that database (prints the rows)
#
# Test settings: a cheap KDF (argon2id t=1, 64 KiB: behaviour, not cost; test_register measures the
# default), lockout after 3 failures per account / 6 per address within 2 s (so the expiry is seen over
# HTTP), the test RS256 key pair. Everything is removed on exit (the database with FORCE).

ACCOUNT_SERVICE=$BUILD/bin/axr-account
KEYS=$ROOT/tests/fixtures/keys
PRIV=$KEYS/test-only-rs256-private.pem
PUB=$KEYS/test-only-rs256-public.pem
ADMIN_NAME=root-admin
ADMIN_PASSWORD=root-admin-password

psql_admin() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$AXR_TEST_DATABASE_URL" -c "$1" >/dev/null 2>"$T/psql.err"; }
psql_db() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$DB_URL" -c "$1" 2>"$T/psql.err"; }

account_cleanup() {
	for _p in $PIDS; do kill -9 "$_p" 2>/dev/null; done
	wait 2>/dev/null
	[ -n "${DBNAME:-}" ] && psql_admin "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)"
	lib_cleanup
}
trap account_cleanup EXIT

account_start() {
	_name=$1
	shift
	[ -x "$ACCOUNT_SERVICE" ] || { echo "not ok - setup: $ACCOUNT_SERVICE is missing (run make)"; exit 1; }
	if [ -z "${AXR_TEST_DATABASE_URL:-}" ] || [ -z "${AXR_TEST_REDIS_URL:-}" ]; then
		echo "not ok - setup: AXR_TEST_DATABASE_URL and AXR_TEST_REDIS_URL are not set (run it through tests/run)"
		exit 1
	fi
	DBNAME=axr_t_${_name}_$$
	DB_URL=$(printf '%s\n' "$AXR_TEST_DATABASE_URL" | sed -e 's#^\([a-z]*://[^/?]*\)[^?]*#\1/'"$DBNAME"'#')
	psql_admin "CREATE DATABASE $DBNAME" || { echo "not ok - setup: CREATE DATABASE: $(cat "$T/psql.err")"; exit 1; }
	PORT=$(sh "$ROOT/scripts/stack.sh" free-port) || exit 1
	BASE=http://127.0.0.1:$PORT
	LOG=$T/account.log
	env AXR_PORT="$PORT" AXR_THREADS=2 AXR_WORKERS=4 AXR_ACCESS_LOG=false AXR_DRAIN_TIMEOUT=3s \
		AXR_DATABASE_URL="$DB_URL" AXR_REDIS_URL="$AXR_TEST_REDIS_URL" \
		AXR_JWT_PRIVATE_KEY="$PRIV" AXR_JWT_PUBLIC_KEY="$PUB" AXR_JWT_ALG=RS256 \
		AXR_ADMIN_NAME="$ADMIN_NAME" AXR_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
		AXR_PWHASH_OPSLIMIT=1 AXR_PWHASH_MEMLIMIT=64k \
		AXR_LOGIN_MAX_FAILURES_ACCOUNT=3 AXR_LOGIN_MAX_FAILURES_ADDRESS=6 AXR_LOGIN_WINDOW=2s \
		"$@" "$ACCOUNT_SERVICE" >"$LOG" 2>&1 &
	PID=$!
	PIDS="$PIDS $PID"
	_tries=0
	until curl -s -o /dev/null --max-time 1 "$BASE/readyz"; do
		_tries=$((_tries + 1))
		if [ "$_tries" -gt 100 ] || ! kill -0 "$PID" 2>/dev/null; then
			echo "not ok - setup: axr-account did not start: $(tail -5 "$LOG" | tr '\n' ' ')"
			exit 1
		fi
		sleep 0.1
	done
}
