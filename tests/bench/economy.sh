#!/bin/sh
# economy.sh: make bench's economy scenarios: completed transfers per second through
# build/bin/axr-economy (direct, no gateway) with wrk, next to pgbench -N measured in the same run on
# the same PostgreSQL server, as a ratio.
#
#   sh tests/bench/economy.sh [--results FILE]
#
# Reference (first): pgbench-N  pgbench -N -M prepared (the simple-update transaction: UPDATE
#   pgbench_accounts, SELECT, INSERT pgbench_history) on a scale-1 database, with as many clients as
#   the service has database connections (ECON_WORKERS), BENCH_THREADS threads.
# Scenarios (wrk -t BENCH_THREADS -c BENCH_CONNECTIONS, BENCH_WARMUP s of warm-up, then BENCH_SECONDS s;
# tests/bench/economy.lua): POST /transactions by an admin, both approvals set, each request with its
# own Idempotency-Key: one SQL transaction (BEGIN, one statement, COMMIT: handlers/economy/tx_at_once.c)
# that locks both inventory rows in order, checks, moves the coins, writes two ledger rows, the
# transaction row and the key with its stored answer; then the change events (Transaction + 2
# InventoryItem) on redis.
#   transfer       between two random different owners of ECON_OWNERS (100), 1..10 coins
#   transfer-hot   every request between the same two owners, both directions: one row-lock queue
# Every owner holds plenty, so every transfer completes: completed transfers/s is wrk's requests/s of
# 2xx answers. Each scenario ends with checks: COMPLETE transfers grew by the 2xx answers wrk counted
# (plus at most one in flight per connection when it stopped); at the end the total is unchanged and
# every balance equals its ledger.
#
# Settings: BENCH_SECONDS (10), BENCH_CONNECTIONS (64), BENCH_THREADS (2), BENCH_WARMUP (2),
# ECON_OWNERS (100), ECON_WORKERS (service handler threads = its database connections, 16),
# BENCH_DATABASE_URL (an admin URL of a PostgreSQL server to create the bench databases on; default:
# a private one started here), BENCH_REDIS_URL (default: a private one). Prints a table (scenario,
# completed/s, p50, p99, reference, ratio, errors, and the server CPU per operation: utime + stime
# from /proc of the service, the whole PostgreSQL server and redis over the measured run, divided by
# the completed operations; PostgreSQL alone for pgbench; "-" when the servers are not private ones
# started here. On a machine shared with other work it moves far less than the throughput, so it
# is the figure to compare builds by); with --results FILE it also appends the rows in
# tests/bench/run.sh's format (id, name, rate, p50 ms, p99 ms, reference id, errors): the pgbench-N
# row first, the scenarios referring to it, so run.sh's report prints their ratios too. Exit status 0
# when every request completed and the books add up.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd -P)
cd "$ROOT"
BUILD=${AXR_BUILD:-build}
STACK=$ROOT/scripts/stack.sh
SECONDS_EACH=${BENCH_SECONDS:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
WARMUP=${BENCH_WARMUP:-2}
OWNERS=${ECON_OWNERS:-100}
WORKERS=${ECON_WORKERS:-16}
GRANT=1000000000
RESULTS=
[ "${1:-}" = --results ] && RESULTS=${2:?--results needs a file}

die() { printf 'economy bench: error: %s\n' "$*" >&2; exit 1; }
note() { printf 'economy bench: %s\n' "$*" >&2; }

case $SECONDS_EACH$CONNECTIONS$THREADS$WARMUP$OWNERS$WORKERS in
*[!0-9]*) die "BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_THREADS, BENCH_WARMUP, ECON_OWNERS, ECON_WORKERS are whole numbers" ;;
esac
[ "$CONNECTIONS" -ge "$THREADS" ] && [ "$THREADS" -ge 1 ] && [ "$OWNERS" -ge 2 ] && [ "$WORKERS" -ge 1 ] &&
	[ "$SECONDS_EACH" -ge 1 ] || die "need CONNECTIONS >= THREADS >= 1, OWNERS >= 2, WORKERS >= 1, SECONDS >= 1"
command -v wrk >/dev/null 2>&1 || die "wrk not found (run make deps)"
PGBIN=$(pg_config --bindir 2>/dev/null || true)
[ -x "$PGBIN/pgbench" ] || PGBIN=$(dirname "$(command -v pgbench || echo /usr/bin/pgbench)")
[ -x "$PGBIN/pgbench" ] || die "pgbench not found (run make deps)"
for b in "$BUILD/bin/axr-economy" "$BUILD/tools/mint_token"; do
	[ -x "$b" ] || die "$b not built (run make)"
done

T=$(mktemp -d "${TMPDIR:-/tmp}/axr-economy-bench.XXXXXX")
chmod 755 "$T"
svc_pid=
DB=axr_bench_economy_$$
PGB_DB=axr_bench_economy_pgb_$$
ADMIN_URL=
cleanup() {
	if [ -n "$svc_pid" ]; then
		kill -TERM "$svc_pid" 2>/dev/null || true
		wait "$svc_pid" 2>/dev/null || true
	fi
	if [ -n "$ADMIN_URL" ]; then
		for d in "$DB" "$PGB_DB"; do
			psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true
		done
	fi
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
db_url() { printf '%s' "$ADMIN_URL" | sed "s|^\(postgres[a-z]*://[^/]*\)/[^?]*|\1/$1|"; }
for d in "$DB" "$PGB_DB"; do
	psql -X -q "$ADMIN_URL" -c "CREATE DATABASE $d" >/dev/null || die "cannot create database $d"
done
DBURL=$(db_url "$DB")
sql() { psql -X -q -t -A "$DBURL" -c "$1"; }

# Server CPU: clock ticks (utime + stime) of the private PostgreSQL (the postmaster with its reaped
# children, and the live ones), of the private redis, of pid $1; 0 for a server not started here.
PM_PID= RD_PID=
[ -n "${BENCH_DATABASE_URL:-}" ] || PM_PID=$(head -n 1 "$(find "$T/stack" -name postmaster.pid | head -n 1)")
[ -n "${BENCH_REDIS_URL:-}" ] || RD_PID=$(cat "$(find "$T/stack" -name redis.pid | head -n 1)")
pg_ticks() {
	[ -n "$PM_PID" ] || { echo 0; return 0; }
	{ awk '{ print $14 + $15 + $16 + $17 }' "/proc/$PM_PID/stat"
	  for c in $(pgrep -P "$PM_PID"); do awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null; done; } |
		awk '{ s += $1 } END { print s }'
}
pid_ticks() { [ -n "$1" ] && awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# cpu_row ID TICKS OPS: microseconds of server CPU per operation into $T/cpu ("-" without a private server).
cpu_row() {
	if [ -n "$PM_PID" ] && [ -n "$2" ] && [ "$3" -gt 0 ]; then
		awk -v id="$1" -v t="$2" -v n="$3" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%s\t%.0f\n", id, t * 1e6 / hz / n }' >>"$T/cpu"
	else
		printf '%s\t-\n' "$1" >>"$T/cpu"
	fi
}
: >"$T/cpu"

# Prints wrk's latency $1 (612.00us, 1.20ms, 1.01s) in milliseconds.
to_ms() {
	echo "$1" | awk '{ v = $1 + 0; u = $1; sub(/^[0-9.]+/, "", u)
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
		printf "%.3f", v }'
}
# Prints the p-th percentile (0..100) of the numbers on stdin, one per line.
percentile() {
	sort -n | awk -v p="$1" '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		i = int(NR * p / 100 + 0.5); if (i < 1) i = 1; if (i > NR) i = NR; print v[i] }'
}

: >"$T/rows"
status=0

# ---- the reference: pgbench -N, same server, as many clients as the service has connections ----

PGB_URL=$(db_url "$PGB_DB")
"$PGBIN/pgbench" -i -q -s 1 "$PGB_URL" >"$T/pgbench-init.log" 2>&1 || { cat "$T/pgbench-init.log" >&2; die "pgbench -i failed"; }
mkdir -p "$T/pgblog"
note "measuring pgbench: -N -M prepared -c $WORKERS -j $THREADS -T $SECONDS_EACH"
(cd "$T/pgblog" && "$PGBIN/pgbench" -N -M prepared -n -c "$WORKERS" -j "$THREADS" -T "$WARMUP" "$PGB_URL" >/dev/null 2>&1) || true
sleep 1 # the warm-up's backends are gone before the count starts
pg0=$(pg_ticks)
(cd "$T/pgblog" && "$PGBIN/pgbench" -N -M prepared -n -c "$WORKERS" -j "$THREADS" -T "$SECONDS_EACH" \
	-l --sampling-rate=0.1 --log-prefix="$T/pgblog/tx" "$PGB_URL") >"$T/pgbench.out" 2>&1 ||
	{ cat "$T/pgbench.out" >&2; die "pgbench failed"; }
sleep 1 # its backends exit and are reaped: their time moves to the postmaster's
pg_tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$T/pgbench.out")
cpu_row pgbench-N "$(($(pg_ticks) - pg0))" "${pg_tx:-0}"
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$T/pgbench.out" | head -n 1)
pg_failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$T/pgbench.out")
cat "$T"/pgblog/tx.* | awk '{ print $3 / 1000 }' >"$T/pglat"
printf '%s\t%s\t%s\t%s\t%s\t-\t%s\n' pgbench-N "pgbench -N -M prepared (reference)" "$tps" \
	"$(percentile 50 <"$T/pglat")" "$(percentile 99 <"$T/pglat")" "${pg_failed:-0}" >>"$T/rows"

# ---- the service, an admin, the owners and their coins ---------------------------------------------

port=$(sh "$STACK" free-port)
AXR_PORT=$port AXR_WORKERS=$WORKERS AXR_ACCESS_LOG=false AXR_LOG_LEVEL=warn AXR_DATABASE_URL=$DBURL \
	AXR_REDIS_URL=$REDIS_URL AXR_JWT_PUBLIC_KEY=$ROOT/tests/fixtures/keys/test-only-rs256-public.pem \
	"$BUILD/bin/axr-economy" </dev/null >"$T/service.log" 2>&1 &
svc_pid=$!
U=http://127.0.0.1:$port
n=100
until curl -sf -o /dev/null --max-time 1 "$U/readyz"; do
	n=$((n - 1))
	[ "$n" -gt 0 ] && kill -0 "$svc_pid" 2>/dev/null || { tail -n 20 "$T/service.log" >&2; die "service did not start"; }
	sleep 0.1
done
ECON_TOKEN=$("$BUILD/tools/mint_token" -k "$ROOT/tests/fixtures/keys/test-only-rs256-private.pem" \
	-s adadadad-0000-4000-8000-0000000000be -r admin -t 3600)
ECON_COIN=$(curl -sf -X POST -H "Authorization: Bearer $ECON_TOKEN" -H 'Content-Type: application/json' \
	--data-binary '{"name":"bench-coin"}' "$U/resources" | sed -n 's/.*"uid":"\([^"]*\)".*/\1/p')
[ -n "$ECON_COIN" ] || die "cannot define the coin"
i=0
: >"$T/owners"
while [ "$i" -lt "$OWNERS" ]; do
	uid=$(printf 'be0e0000-0000-4000-8000-%012d' "$i")
	echo "$uid" >>"$T/owners"
	curl -sf -o /dev/null -X POST -H "Authorization: Bearer $ECON_TOKEN" -H 'Content-Type: application/json' \
		--data-binary "{\"from\":null,\"to\":\"$uid\",\"resources\":[{\"resourceUid\":\"$ECON_COIN\",\"quantity\":$GRANT}],\"approval\":{\"from\":true,\"to\":true}}" \
		"$U/transactions" || die "cannot mint for owner $i"
	i=$((i + 1))
done
head -n 2 "$T/owners" >"$T/owners-hot"
TOTAL=$((OWNERS * GRANT))
export ECON_TOKEN ECON_COIN

completed() { sql "SELECT count(*) FROM transaction WHERE kind = 'TRANSFER' AND status = 'COMPLETE'"; }

# scenario ID NAME OWNERS_FILE: warm-up, measured run, row, checks.
scenario() {
	_id=$1 _name=$2
	export ECON_OWNERS_FILE=$3
	set -- -t "$THREADS" -c "$CONNECTIONS" --timeout 5s -s "$ROOT/tests/bench/economy.lua"
	[ "$WARMUP" -eq 0 ] || ECON_RUN=w$_id$$ wrk "$@" -d "${WARMUP}s" "$U" >"$T/warmup.out" 2>&1 || true
	sleep 1 # requests wrk left in flight land
	_before=$(completed)
	note "measuring $_name: wrk $* -d ${SECONDS_EACH}s --latency $U/transactions"
	_t0=$(($(pg_ticks) + $(pid_ticks "$RD_PID") + $(pid_ticks "$svc_pid")))
	ECON_RUN=m$_id$$ wrk "$@" -d "${SECONDS_EACH}s" --latency "$U" >"$T/wrk.out" 2>&1 ||
		{ cat "$T/wrk.out" >&2; die "wrk failed"; }
	_rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$T/wrk.out")
	_p50=$(awk '$1 == "50%" { print $2 }' "$T/wrk.out")
	_p99=$(awk '$1 == "99%" { print $2 }' "$T/wrk.out")
	_reqs=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$T/wrk.out")
	[ -n "$_rps" ] && [ -n "$_p99" ] && [ -n "$_reqs" ] && [ "$_reqs" -gt 0 ] ||
		{ cat "$T/wrk.out" >&2; die "cannot read wrk's output"; }
	_err=$(awk '/^ *Non-2xx or 3xx responses:/ { e += $NF }
		/^ *Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) e += $i }
		END { print e + 0 }' "$T/wrk.out")
	_ok=$((_reqs - _err))
	cpu_row "$_id" "$(($(pg_ticks) + $(pid_ticks "$RD_PID") + $(pid_ticks "$svc_pid") - _t0))" "$_ok"
	# Completed transfers per second: the 2xx share of wrk's rate (all of it when nothing failed).
	_done=$(awk -v r="$_rps" -v ok="$_ok" -v n="$_reqs" 'BEGIN { printf "%.2f", r * ok / n }')
	sleep 1
	_added=$(($(completed) - _before))
	if [ "$_added" -lt "$_ok" ] || [ "$_added" -gt $((_ok + CONNECTIONS)) ]; then
		note "$_name: $_added transfers completed for $_ok 2xx answers (and at most $CONNECTIONS in flight)"
		status=1
	fi
	[ "$_err" -eq 0 ] || { note "$_name: $_err requests did not complete"; status=1; }
	printf '%s\t%s\t%s\t%s\t%s\tpgbench-N\t%s\n' "$_id" "$_name" "$_done" "$(to_ms "$_p50")" "$(to_ms "$_p99")" \
		"$_err" >>"$T/rows"
}

scenario economy-transfer "POST /transactions ($OWNERS owners, direct)" "$T/owners"
scenario economy-transfer-hot "POST /transactions (2 owners: hot rows)" "$T/owners-hot"

# The books after the fire.
total=$(sql "SELECT sum(quantity) FROM inventory_item WHERE resource_uid = '$ECON_COIN'")
[ "$total" = "$TOTAL" ] || { note "total coins $total, not $TOTAL"; status=1; }
off=$(sql "SELECT count(*) FROM inventory_item i FULL JOIN (SELECT owner_uid, resource_uid, sum(delta) s
	FROM ledger_entry GROUP BY 1, 2) l USING (owner_uid, resource_uid) WHERE coalesce(i.quantity, 0) <> coalesce(l.s, 0)")
[ "$off" = 0 ] || { note "$off balances differ from their ledger"; status=1; }

printf 'economy bench: %s cores, wrk %s threads x %s connections, %s s per run (after %s s warm-up), %s workers; load %s\n' \
	"$(nproc)" "$THREADS" "$CONNECTIONS" "$SECONDS_EACH" "$WARMUP" "$WORKERS" "$(cut -d ' ' -f 1 /proc/loadavg)"
awk -F '\t' -v cpufile="$T/cpu" 'FILENAME == cpufile { cpu[$1] = $2; next }
	{ n++; id[n] = $1; name[n] = $2; rps[n] = $3; p50[n] = $4; p99[n] = $5; ref[n] = $6; err[n] = $7; byid[$1] = $3 }
	END {
		printf "%-44s %12s %9s %9s  %-10s %6s %7s %10s\n", "scenario", "completed/s", "p50 ms", "p99 ms", "reference", "ratio", "errors", "cpu us/op"
		for (i = 1; i <= n; i++) {
			r = "-"
			if (ref[i] != "-" && byid[ref[i]] > 0) r = sprintf("%.2f", rps[i] / byid[ref[i]])
			c = id[i] in cpu ? cpu[id[i]] : "-"
			printf "%-44s %12.0f %9.3f %9.3f  %-10s %6s %7d %10s\n", name[i], rps[i], p50[i], p99[i], ref[i], r, err[i], c
		}
	}' "$T/cpu" "$T/rows"
[ -z "$RESULTS" ] || cat "$T/rows" >>"$RESULTS"
if grep -q '"level":"error"' "$T/service.log"; then
	grep '"level":"error"' "$T/service.log" | head -n 5 >&2
	status=1
fi
exit "$status"
