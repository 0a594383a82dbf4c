#!/bin/sh
# matchmaking.sh: make bench's matchmaking scenario: tickets matched per second with 10,000 5v5
# tickets queued, and time-to-match (p50/p99) under a steady arrival of tickets.
#
#   sh tests/bench/matchmaking.sh [--results FILE]
#
# Everything goes through the real service (build/bin/axr-matchmaking) and HTTP; tickets are solo
# 5v5 (numTeams 2, teamSize 5), one criteria set, skill uniform in 0..3000, queued by a game server
# token with build/tools/mm_load. The matcher runs with its defaults (a round every 250 ms, window
# 100 + 10/s, AXR_MATCH_BATCH 5000 per group and round) unless MM_SERVICE_ENV says otherwise.
#
#   1. drain: a replica with its matcher off takes MM_TICKETS (10000) tickets; then MM_MATCHERS (1)
#      replica(s) with the matcher start. A PL/pgSQL loop samples the QUEUED count every 20 ms
#      (database clock) from just before they start. Reported: tickets matched per second (99% of
#      the tickets over the time until 99% had left the queue, the matcher process's start-up
#      included), and time-to-match p50/p99 counted from the matchers' start (when 50% / 99% of
#      the tickets had left the queue).
#   2. steady: the matchers keep running; MM_RATE (1000) tickets/s arrive for MM_SECONDS (10) s;
#      time-to-match of each ticket = dateClosed - dateCreated (database clock; dateClosed is the
#      start of the round's transaction that matched it, a few ms before its commit): p50/p99.
#
# Settings: MM_TICKETS, MM_MATCHERS, MM_RATE, MM_SECONDS, MM_CONNECTIONS (32, client threads),
# MM_SERVICE_ENV (extra VAR=VALUE settings for every replica, e.g. "AXR_MATCH_BATCH=10000"),
# BENCH_DATABASE_URL (create the bench database on this server, an admin URL, instead of starting
# a private PostgreSQL), BENCH_REDIS_URL (likewise for redis).
# Prints a summary; with --results FILE also appends two rows in tests/bench/run.sh's format (id,
# name, rate, p50 ms, p99 ms, reference "-", errors = tickets not queued). Exit status 0 when every
# ticket was queued. When the queue stops moving (no arrivals) a few tickets far from everyone in
# skill still wait for their windows to widen: they are reported ("left"), not errors; the
# percentiles are over the matched tickets.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd -P)
cd "$ROOT"
BUILD=${AXR_BUILD:-build}
STACK=$ROOT/scripts/stack.sh
N=${MM_TICKETS:-10000}
MATCHERS=${MM_MATCHERS:-1}
RATE=${MM_RATE:-1000}
SECS=${MM_SECONDS:-10}
CONNS=${MM_CONNECTIONS:-32}
KEY=$ROOT/tests/fixtures/keys/test-only-rs256-private.pem
RESULTS=
[ "${1:-}" = --results ] && RESULTS=${2:?--results needs a file}

die() { printf 'matchmaking bench: error: %s\n' "$*" >&2; exit 1; }
note() { printf 'matchmaking bench: %s\n' "$*" >&2; }

case $N$MATCHERS$RATE$SECS$CONNS in
*[!0-9]*) die "MM_TICKETS, MM_MATCHERS, MM_RATE, MM_SECONDS, MM_CONNECTIONS are whole numbers" ;;
esac
[ "$N" -ge 10 ] && [ "$MATCHERS" -ge 1 ] && [ "$RATE" -ge 1 ] && [ "$SECS" -ge 1 ] && [ "$CONNS" -ge 1 ] ||
	die "need MM_TICKETS >= 10 and the others >= 1"
for b in "$BUILD/bin/axr-matchmaking" "$BUILD/tools/mm_load"; do
	[ -x "$b" ] || die "$b not built (run make)"
done

T=$(mktemp -d "${TMPDIR:-/tmp}/axr-mm-bench.XXXXXX")
chmod 755 "$T"
PIDS=
ADMIN_URL=
DB=axr_mm_bench_$$
cleanup() {
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	if [ -n "${BENCH_DATABASE_URL:-}" ]; then
		psql -X -q "$BENCH_DATABASE_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
	else
		sh "$STACK" pg-stop "$T/stack" immediate >/dev/null 2>&1 || true
	fi
	[ -n "${BENCH_REDIS_URL:-}" ] || sh "$STACK" redis-stop "$T/stack" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${BENCH_DATABASE_URL:-}" ]; then
	ADMIN_URL=$BENCH_DATABASE_URL
else
	pgport=$(sh "$STACK" free-port)
	sh "$STACK" pg-start "$T/stack" "$pgport"
	ADMIN_URL=$(sh "$STACK" pg-url "$pgport" postgres)
fi
psql -X -q "$ADMIN_URL" -c "CREATE DATABASE $DB" >/dev/null || die "cannot create database $DB"
DBURL=$(printf '%s' "$ADMIN_URL" | sed "s|^\(postgres[a-z]*://[^/]*\)/[^?]*|\1/$DB|")
if [ -n "${BENCH_REDIS_URL:-}" ]; then
	REDIS_URL=$BENCH_REDIS_URL
else
	rport=$(sh "$STACK" free-port)
	sh "$STACK" redis-start "$T/stack" "$rport"
	REDIS_URL=$(sh "$STACK" redis-url "$rport")
fi
sql() { psql -X -A -t -q -v ON_ERROR_STOP=1 "$DBURL" -c "$1"; }

# replica NAME MATCHER(true|false): starts one on a free port; prints its base URL.
replica() {
	_port=$(sh "$STACK" free-port)
	# shellcheck disable=SC2086 # MM_SERVICE_ENV: extra VAR=VALUE words
	env AXR_PORT="$_port" AXR_ACCESS_LOG=false AXR_LOG_LEVEL=warn AXR_DATABASE_URL="$DBURL" \
		AXR_REDIS_URL="$REDIS_URL" AXR_JWT_PUBLIC_KEY="$ROOT/tests/fixtures/keys/test-only-rs256-public.pem" \
		AXR_MATCH_ENABLED="$2" AXR_MATCH_MAX_WAIT=600s ${MM_SERVICE_ENV:-} \
		"$BUILD/bin/axr-matchmaking" </dev/null >"$T/$1.log" 2>&1 &
	echo "$!" >"$T/$1.pid"
	_n=100
	until curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$_port/readyz"; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] && kill -0 "$(cat "$T/$1.pid")" 2>/dev/null || { tail -n 20 "$T/$1.log" >&2; die "$1 did not start"; }
		sleep 0.05
	done
	echo "http://127.0.0.1:$_port"
}

# --- 1. drain: N tickets queued, then the matchers start --------------------------------------
Q=$(replica queue false)
PIDS="$PIDS $(cat "$T/queue.pid")"
note "queueing $N solo 5v5 tickets through $Q (matcher off), $CONNS connections"
"$BUILD/tools/mm_load" -k "$KEY" -u "$Q" -c "$CONNS" -s 11 queue "$N" | tee "$T/queue.out" >&2 ||
	die "queueing failed"
queued=$(sql "SELECT count(*) FROM ticket WHERE status = 'QUEUED'")
[ "$queued" -eq "$N" ] || die "$queued tickets queued, not $N"

# Sample the queue from the database until it is empty or has not moved for 5 s (at most 120 s).
psql -X -q "$DBURL" >"$T/samples.out" 2>&1 <<-EOF &
	DO \$\$
	DECLARE q bigint; last bigint := -1; moved timestamptz := clock_timestamp(); t0 timestamptz := clock_timestamp();
	BEGIN
		LOOP
			SELECT count(*) INTO q FROM ticket WHERE status = 'QUEUED';
			RAISE NOTICE 'sample % %', extract(epoch FROM clock_timestamp()), q;
			IF q <> last THEN last := q; moved := clock_timestamp(); END IF;
			EXIT WHEN q = 0 OR clock_timestamp() - moved > interval '5 s' OR clock_timestamp() - t0 > interval '120 s';
			PERFORM pg_sleep(0.02);
		END LOOP;
	END \$\$;
EOF
sampler=$!
sleep 0.2
t0=$(sql "SELECT extract(epoch FROM clock_timestamp())")
i=1
while [ "$i" -le "$MATCHERS" ]; do
	replica "matcher$i" true >/dev/null
	PIDS="$PIDS $(cat "$T/matcher$i.pid")"
	i=$((i + 1))
done
note "$MATCHERS matcher replica(s) started; draining"
wait "$sampler" || die "the sampler failed: $(tail -3 "$T/samples.out")"
# t_at FRACTION: seconds from t0 until that fraction of the tickets had left the queue.
t_at() {
	awk -v t0="$t0" -v n="$N" -v f="$1" '$2 == "sample" && n - $4 >= f * n { printf "%.3f", $3 - t0; found = 1; exit }
		END { if (!found) print "nan" }' "$T/samples.out"
}
t_end=$(awk -v t0="$t0" '$2 == "sample" && ($4 != q || NR == 1) { q = $4; t = $3 } END { printf "%.3f", t - t0 }' "$T/samples.out")
matched=$(sql "SELECT count(*) FROM ticket WHERE status = 'MATCH_FOUND'")
left=$(sql "SELECT count(*) FROM ticket WHERE status = 'QUEUED'")
t50=$(t_at 0.5)
t99=$(t_at 0.99)
# The rate: 99% of the queue over the time it took (a last few tickets far from everyone in skill
# wait for their windows to widen, which says nothing about throughput).
# (When 99% were never reached, small queues: what was matched over the time of the last change.)
if [ "$t99" = nan ]; then
	drain_rate=$(awk -v m="$matched" -v t="$t_end" 'BEGIN { printf "%.0f", (t > 0 ? m / t : 0) }')
else
	drain_rate=$(awk -v n="$N" -v t="$t99" 'BEGIN { printf "%.0f", (t > 0 ? 0.99 * n / t : 0) }')
fi
rounds=$(sql "SELECT count(DISTINCT date_closed) FROM ticket WHERE status = 'MATCH_FOUND'")
spread=$(sql "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY skill_spread)::numeric, 1) || ' / ' ||
	round(percentile_cont(0.99) WITHIN GROUP (ORDER BY skill_spread)::numeric, 1) FROM match")
printf 'matchmaking drain: %s 5v5 tickets queued; %s matcher(s) started: 99%% matched in %s s (%s tickets/s), %s matched (%s left) when the queue stopped moving at %s s; ' \
	"$N" "$MATCHERS" "$t99" "$drain_rate" "$matched" "$left" "$t_end"
printf 'time-to-match from the start p50 %s s, p99 %s s; %s matching transactions; skill spread p50 / p99 %s\n' \
	"$t50" "$t99" "$rounds" "$spread"

# --- 2. steady: RATE tickets/s for SECS s while the matchers run ------------------------------
steady_n=$((RATE * SECS))
note "steady: $RATE tickets/s for $SECS s ($steady_n tickets) through $Q"
before=$(sql "SELECT coalesce(max(date_created), '-infinity') FROM ticket")
"$BUILD/tools/mm_load" -k "$KEY" -u "$Q" -c "$CONNS" -r "$RATE" -s 12 queue "$steady_n" | tee "$T/steady.out" >&2 ||
	note "some tickets were not queued"
# Let the last arrivals be matched: until none is queued or the count has not moved for 3 s.
last=-1
still=0
while :; do
	q=$(sql "SELECT count(*) FROM ticket WHERE status = 'QUEUED' AND date_created > '$before'")
	[ "$q" -eq 0 ] && break
	if [ "$q" = "$last" ]; then still=$((still + 1)); else still=0; last=$q; fi
	[ "$still" -ge 30 ] && break
	sleep 0.1
done
steady=$(sql "WITH t AS (SELECT status, date_created, extract(epoch FROM date_closed - date_created) AS wait
		FROM ticket WHERE date_created > '$before'),
	m AS (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY wait) AS p50,
		percentile_cont(0.99) WITHIN GROUP (ORDER BY wait) AS p99 FROM t WHERE status = 'MATCH_FOUND')
	SELECT (SELECT count(*) FROM t WHERE status = 'MATCH_FOUND') || ' ' || (SELECT count(*) FROM t) || ' ' ||
		coalesce(round((1000 * p50)::numeric, 1), 0) || ' ' || coalesce(round((1000 * p99)::numeric, 1), 0) || ' ' ||
		(SELECT round(extract(epoch FROM max(date_created) - min(date_created))::numeric, 3) FROM t) FROM m")
set -- $steady
s_matched=$1 s_total=$2 s_p50=$3 s_p99=$4 s_span=$5
s_rate=$(awk -v n="$s_total" -v s="$s_span" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
printf 'matchmaking steady: %s tickets arrived at %s/s; %s matched (%s left waiting when arrivals stopped); ' \
	"$s_total" "$s_rate" "$s_matched" "$((s_total - s_matched))"
printf 'time-to-match p50 %s ms, p99 %s ms\n' "$s_p50" "$s_p99"

if [ -n "$RESULTS" ]; then
	p50_ms=$(awk -v t="$t50" 'BEGIN { printf "%.1f", t * 1000 }')
	p99_ms=$(awk -v t="$t99" 'BEGIN { printf "%.1f", t * 1000 }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' mm-drain "matchmaking: $N queued 5v5 (tickets matched/s)" \
		"$drain_rate" "$p50_ms" "$p99_ms" - 0 >>"$RESULTS"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' mm-steady "matchmaking: $RATE tickets/s 5v5 (time-to-match)" \
		"$s_rate" "$s_p50" "$s_p99" - "$((steady_n - s_total))" >>"$RESULTS"
fi
rc=0
[ "$s_total" -eq "$steady_n" ] || rc=1
for f in "$T"/*.log; do
	if grep -q '"level":"error"' "$f"; then
		grep '"level":"error"' "$f" | head -n 5 >&2
		rc=1
	fi
done
exit "$rc"
