#!/bin/sh
# achievement.sh: make bench's achievement scenarios: POST /achievements/{id}/progress direct to
# build/bin/axr-achievement (no gateway), requests/s and latency with wrk.
#
#   sh tests/bench/achievement.sh [--results FILE]
#
# Scenarios (wrk -t BENCH_THREADS -c BENCH_CONNECTIONS, BENCH_WARMUP s of warm-up, then BENCH_SECONDS s):
#   progress         each request as the next of ACH_USERS users (one record each), increment 1 on a
#                    definition whose target is never reached: the upsert, its row lock, the change event
#   progress-hot     every request on ONE user's record: all of them queue on that row's lock
#   progress-idem    as `progress`, each request with its own Idempotency-Key (claim + upsert + stored
#                    result in one transaction)
# Each ends with a check that the records' progress grew by the 2xx answers wrk counted (plus at most
# the requests left in flight when wrk stopped, one per connection).
#
# Settings: BENCH_SECONDS (10), BENCH_CONNECTIONS (64), BENCH_THREADS (2), BENCH_WARMUP (2), ACH_USERS
# (1000), ACH_WORKERS (service handler threads, 8), BENCH_DATABASE_URL (a PostgreSQL server to create
# the scenario's database on; default: a private one started here), BENCH_REDIS_URL (default: a
# private one). Prints a table (scenario, requests/s, p50, p99, errors); with --results FILE it also
# appends one row per scenario in tests/bench/run.sh's format (reference pgbench). Exit status 0 when
# every request answered 2xx and the totals add up.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd -P)
cd "$ROOT"
BUILD=${AXR_BUILD:-build}
STACK=$ROOT/scripts/stack.sh
SECONDS_EACH=${BENCH_SECONDS:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
WARMUP=${BENCH_WARMUP:-2}
USERS=${ACH_USERS:-1000}
WORKERS=${ACH_WORKERS:-8}
RESULTS=
[ "${1:-}" = --results ] && RESULTS=${2:?--results needs a file}

die() { printf 'achievement bench: error: %s\n' "$*" >&2; exit 1; }
note() { printf 'achievement bench: %s\n' "$*" >&2; }

case $SECONDS_EACH$CONNECTIONS$THREADS$WARMUP$USERS$WORKERS in
*[!0-9]*) die "BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_THREADS, BENCH_WARMUP, ACH_USERS, ACH_WORKERS are whole numbers" ;;
esac
[ "$CONNECTIONS" -ge "$THREADS" ] && [ "$THREADS" -ge 1 ] && [ "$USERS" -ge 1 ] || die "need CONNECTIONS >= THREADS >= 1, USERS >= 1"
command -v wrk >/dev/null 2>&1 || die "wrk not found (run make deps)"
for b in "$BUILD/bin/axr-achievement" "$BUILD/tools/mint_token"; do
	[ -x "$b" ] || die "$b not built (run make)"
done

T=$(mktemp -d "${TMPDIR:-/tmp}/axr-achievement-bench.XXXXXX")
chmod 755 "$T"
svc_pid=
DB=axr_bench_achievement_$$
ADMIN_URL=
cleanup() {
	if [ -n "$svc_pid" ]; then
		kill -TERM "$svc_pid" 2>/dev/null || true
		wait "$svc_pid" 2>/dev/null || true
	fi
	[ -z "$ADMIN_URL" ] || psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
	[ -n "${BENCH_REDIS_URL:-}" ] || sh "$STACK" redis-stop "$T/stack" >/dev/null 2>&1 || true
	[ -n "${BENCH_DATABASE_URL:-}" ] || sh "$STACK" pg-stop "$T/stack" immediate >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${BENCH_DATABASE_URL:-}" ]; then
	ADMIN_URL=$BENCH_DATABASE_URL
else
	pport=$(sh "$STACK" free-port)
	sh "$STACK" pg-start "$T/stack" "$pport"
	ADMIN_URL=$(sh "$STACK" pg-url "$pport" postgres)
fi
if [ -n "${BENCH_REDIS_URL:-}" ]; then
	REDIS_URL=$BENCH_REDIS_URL
else
	rport=$(sh "$STACK" free-port)
	sh "$STACK" redis-start "$T/stack" "$rport"
	REDIS_URL=$(sh "$STACK" redis-url "$rport")
fi
psql -X -q "$ADMIN_URL" -c "CREATE DATABASE $DB" >/dev/null || die "cannot create database $DB"
DBURL=$(printf '%s' "$ADMIN_URL" | sed "s|^\(postgres[a-z]*://[^/]*\)/[^?]*|\1/$DB|")

port=$(sh "$STACK" free-port)
AXR_PORT=$port AXR_WORKERS=$WORKERS AXR_ACCESS_LOG=false AXR_LOG_LEVEL=warn AXR_DATABASE_URL=$DBURL \
	AXR_REDIS_URL=$REDIS_URL AXR_JWT_PUBLIC_KEY=$ROOT/tests/fixtures/keys/test-only-rs256-public.pem \
	AXR_JWT_CACHE=$((USERS + 64)) "$BUILD/bin/axr-achievement" </dev/null >"$T/service.log" 2>&1 &
svc_pid=$!
U=http://127.0.0.1:$port
n=100
until curl -sf -o /dev/null --max-time 1 "$U/readyz"; do
	n=$((n - 1))
	[ "$n" -gt 0 ] && kill -0 "$svc_pid" 2>/dev/null || { tail -n 20 "$T/service.log" >&2; die "service did not start"; }
	sleep 0.1
done

KEY=$ROOT/tests/fixtures/keys/test-only-rs256-private.pem
ADMIN=$("$BUILD/tools/mint_token" -k "$KEY" -s adadadad-0000-4000-8000-0000000000aa -r admin -t 3600)
# One token per user; the uids must be UUIDs (mint_token -n numbers its subjects "SUB-<i>", which are not).
i=0
: >"$T/tokens"
while [ "$i" -lt "$USERS" ]; do
	uid=$(printf 'be0c0000-0000-4000-8000-%012d' "$i")
	"$BUILD/tools/mint_token" -k "$KEY" -s "$uid" -t 3600 >>"$T/tokens"
	i=$((i + 1))
done
head -n 1 "$T/tokens" >"$T/token-one"
for name in bench_progress bench_hot bench_idem; do
	curl -sf -o /dev/null -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
		--data-binary "{\"name\":\"$name\",\"target\":1000000000000}" "$U/achievements" || die "cannot define $name"
done

# Prints wrk's latency $1 (612.00us, 1.20ms, 1.01s) in milliseconds.
to_ms() {
	echo "$1" | awk '{ v = $1 + 0; u = $1; sub(/^[0-9.]+/, "", u)
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
		printf "%.3f", v }'
}

: >"$T/rows"
status=0
# scenario ID NAME DEFINITION TOKENS IDEMPOTENCY: warm-up, measured run, row, total check.
scenario() {
	_id=$1 _name=$2 _def=$3
	export ACH_TOKENS=$4 ACH_IDEMPOTENCY=$5 ACH_PATH=/achievements/$_def/progress
	set -- -t "$THREADS" -c "$CONNECTIONS" --timeout 5s -s "$ROOT/tests/bench/achievement.lua"
	ACH_RUN=w$$ wrk "$@" -d "${WARMUP}s" "$U" >"$T/warmup.out" 2>&1 || true
	sleep 1 # requests wrk left in flight land
	_before=$(sum_progress "$_def")
	note "measuring $_name: wrk $* -d ${SECONDS_EACH}s --latency $U$ACH_PATH"
	ACH_RUN=m$$ wrk "$@" -d "${SECONDS_EACH}s" --latency "$U" >"$T/wrk.out" 2>&1 ||
		{ cat "$T/wrk.out" >&2; die "wrk failed"; }
	_rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$T/wrk.out")
	_p50=$(awk '$1 == "50%" { print $2 }' "$T/wrk.out")
	_p99=$(awk '$1 == "99%" { print $2 }' "$T/wrk.out")
	_reqs=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$T/wrk.out")
	[ -n "$_rps" ] && [ -n "$_p99" ] && [ -n "$_reqs" ] || { cat "$T/wrk.out" >&2; die "cannot read wrk's output"; }
	_err=$(awk '/^ *Non-2xx or 3xx responses:/ { e += $NF }
		/^ *Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) e += $i }
		END { print e + 0 }' "$T/wrk.out")
	# Each 2xx added exactly 1 (no target is reached). wrk counts the answers it read; the requests
	# in flight when it stopped (at most one per connection) were applied but not counted.
	sleep 1
	_added=$(($(sum_progress "$_def") - _before))
	_ok=$((_reqs - _err))
	if [ "$_added" -lt "$_ok" ] || [ "$_added" -gt $((_ok + CONNECTIONS)) ]; then
		note "$_name: progress grew by $_added for $_ok answers (2xx) and at most $CONNECTIONS in flight"
		status=1
	fi
	[ "$_err" -eq 0 ] || status=1
	printf '%s\t%s\t%s\t%s\t%s\tpgbench\t%s\n' "$_id" "$_name" "$_rps" "$(to_ms "$_p50")" "$(to_ms "$_p99")" \
		"$_err" >>"$T/rows"
}
sum_progress() {
	psql -X -q -t -A "$DBURL" -c "SELECT COALESCE(sum(progress), 0) FROM user_achievement ua
		JOIN achievement_definition d ON d.uid = ua.achievement_uid WHERE d.name = '$1'"
}

scenario achievement-progress "POST progress ($USERS users, direct)" bench_progress "$T/tokens" 0
scenario achievement-progress-hot "POST progress (one user: hot row)" bench_hot "$T/token-one" 0
scenario achievement-progress-idem "POST progress + Idempotency-Key" bench_idem "$T/tokens" 1

printf 'achievement bench: %s cores, wrk %s threads x %s connections, %s s per run (after %s s warm-up), %s workers\n' \
	"$(nproc)" "$THREADS" "$CONNECTIONS" "$SECONDS_EACH" "$WARMUP" "$WORKERS"
awk -F '\t' 'BEGIN { printf "%-40s %12s %9s %9s %7s\n", "scenario", "requests/s", "p50 ms", "p99 ms", "errors" }
	{ printf "%-40s %12.0f %9.3f %9.3f %7d\n", $2, $3, $4, $5, $7 }' "$T/rows"
[ -z "$RESULTS" ] || cat "$T/rows" >>"$RESULTS"
if grep -q '"level":"error"' "$T/service.log"; then
	grep '"level":"error"' "$T/service.log" | head -n 5 >&2
	status=1
fi
exit "$status"
