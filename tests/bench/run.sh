#!/bin/sh
# run.sh: make bench: wrk scenarios next to references measured in the same run, as ratios.
#
# References, measured first, on this machine, at the same concurrency as the scenarios:
#   nginx-static  nginx answering a static JSON body with `return 200` (same size as
#                 /status's), access_log off, one worker per core
#   pgbench       pgbench -S -M prepared (select-only, prepared) on a small database in a
#                 private PostgreSQL, BENCH_CONNECTIONS clients, BENCH_THREADS threads
# Then every scenario: one `scenario NAME REFERENCE URL [LUA]` line at the bottom of this file;
# `service_url NAME` starts build/bin/axr-NAME (access log off, own database, redis) and prints
# its base URL. A wrk Lua script for a scenario goes in tests/bench/<name>.lua.
#
# Settings: BENCH_SECONDS (10) per measurement, BENCH_CONNECTIONS (64), BENCH_THREADS (2),
# BENCH_WARMUP (2) seconds of wrk before each measurement.
# Prints a table (scenario, requests/s, p50, p99, reference, ratio, errors) and a memory table
# (every service of scripts/services.list: idle RSS, anon, file, PSS, threads, fds after start-up
# and a few requests, and the loaded peak RSS during its scenarios) and writes both to
# build/bench/latest.txt. Everything it starts lives in a temp folder and is stopped on exit.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd -P)
cd "$ROOT"
BUILD=${AXR_BUILD:-build}
SECONDS_EACH=${BENCH_SECONDS:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
WARMUP=${BENCH_WARMUP:-2}
STACK=$ROOT/scripts/stack.sh
CORES=$(nproc)

die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }
note() { printf 'bench: %s\n' "$*" >&2; }

case $SECONDS_EACH$CONNECTIONS$THREADS$WARMUP in
*[!0-9]*) die "BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_THREADS and BENCH_WARMUP must be whole numbers" ;;
esac
[ "$CONNECTIONS" -ge "$THREADS" ] && [ "$THREADS" -ge 1 ] && [ "$SECONDS_EACH" -ge 1 ] ||
	die "need BENCH_SECONDS >= 1 and BENCH_CONNECTIONS >= BENCH_THREADS >= 1"
command -v wrk >/dev/null 2>&1 || die "wrk not found (run make deps)"
PGBIN=$(pg_config --bindir 2>/dev/null || true)
[ -x "$PGBIN/pgbench" ] || PGBIN=$(dirname "$(command -v pgbench || echo /usr/bin/pgbench)")
[ -x "$PGBIN/pgbench" ] || die "pgbench not found (run make deps)"

T=$(mktemp -d "${TMPDIR:-/tmp}/axr-bench.XXXXXX")
chmod 755 "$T"
mkdir -p "$T/svc"
: >"$T/results"

cleanup() {
	[ -z "${SAMPLER:-}" ] || kill "$SAMPLER" 2>/dev/null || true
	for f in "$T"/svc/*.pid; do
		[ -e "$f" ] || continue
		kill -TERM "$(cat "$f")" 2>/dev/null || true
	done
	for f in "$T"/svc/*.pid; do
		[ -e "$f" ] || continue
		_p=$(cat "$f")
		_n=50
		while kill -0 "$_p" 2>/dev/null && [ "$_n" -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
		kill -KILL "$_p" 2>/dev/null || true
	done
	sh "$STACK" nginx-stop "$T/static" >/dev/null 2>&1 || true
	sh "$STACK" redis-stop "$T/stack" >/dev/null 2>&1 || true
	sh "$STACK" pg-stop "$T/stack" immediate >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# result ID NAME RPS P50_MS P99_MS REFERENCE ERRORS: one row of the table.
result() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$T/results"; }

# Prints wrk's latency $1 (e.g. 612.00us, 1.20ms, 1.01s, 2.00m) in milliseconds.
to_ms() {
	echo "$1" | awk '{
		v = $1 + 0; u = $1; sub(/^[0-9.]+/, "", u)
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
		printf "%.3f", v }'
}

# wrk_run ID NAME REFERENCE URL [LUA]: warm-up, then one measured wrk run; adds a result row.
wrk_run() {
	_id=$1 _name=$2 _ref=$3 _url=$4 _lua=${5:-}
	set -- -t "$THREADS" -c "$CONNECTIONS" --timeout 5s
	[ -z "$_lua" ] || set -- "$@" -s "$_lua"
	[ "$WARMUP" -eq 0 ] || wrk "$@" -d "${WARMUP}s" "$_url" >/dev/null 2>&1 || true
	note "measuring $_name: wrk $* -d ${SECONDS_EACH}s --latency $_url"
	wrk "$@" -d "${SECONDS_EACH}s" --latency "$_url" >"$T/wrk.out" 2>&1 ||
		{ cat "$T/wrk.out" >&2; die "wrk failed on $_url"; }
	_rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$T/wrk.out")
	_p50=$(awk '$1 == "50%" { print $2 }' "$T/wrk.out")
	_p99=$(awk '$1 == "99%" { print $2 }' "$T/wrk.out")
	[ -n "$_rps" ] && [ -n "$_p50" ] && [ -n "$_p99" ] ||
		{ cat "$T/wrk.out" >&2; die "cannot read wrk's output for $_name"; }
	_err=$(awk '/^ *Non-2xx or 3xx responses:/ { e += $NF }
		/^ *Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) e += $i }
		END { print e + 0 }' "$T/wrk.out")
	result "$_id" "$_name" "$_rps" "$(to_ms "$_p50")" "$(to_ms "$_p99")" "$_ref" "$_err"
}

# --- references ---------------------------------------------------------------------

# The body /status answers, so that both sides move the same bytes.
STATIC_BODY='{"name":"example","version":"0.1.0","time":"2026-01-01T00:00:00Z"}'

reference_nginx_static() {
	_port=$(sh "$STACK" free-port)
	cat >"$T/static.conf" <<-EOF
	# static.conf: the nginx reference of make bench (written by tests/bench/run.sh).
	worker_processes $CORES;
	events {
		worker_connections $((CONNECTIONS * 2 + 64));
	}
	http {
		access_log off;
		keepalive_requests 1000000;
		client_body_temp_path tmp/client_body;
		proxy_temp_path tmp/proxy;
		fastcgi_temp_path tmp/fastcgi;
		uwsgi_temp_path tmp/uwsgi;
		scgi_temp_path tmp/scgi;
		server {
			listen 127.0.0.1:$_port;
			location / {
				default_type application/json;
				return 200 '$STATIC_BODY';
			}
		}
	}
	EOF
	sh "$STACK" nginx-start "$T/static" "$T/static.conf"
	wrk_run nginx-static "nginx static (reference)" - "http://127.0.0.1:$_port/"
	sh "$STACK" nginx-stop "$T/static"
}

# Prints the p-th percentile (0..100) of the numbers on stdin, one per line.
percentile() {
	sort -n | awk -v p="$1" '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		i = int(NR * p / 100 + 0.5); if (i < 1) i = 1; if (i > NR) i = NR; print v[i] }'
}

reference_pgbench() {
	_clients=$CONNECTIONS
	if [ "$_clients" -gt 190 ]; then
		note "pgbench: $CONNECTIONS clients exceed the private server's max_connections; using 190"
		_clients=190
	fi
	_pg="-h 127.0.0.1 -p $PG_PORT -U postgres"
	# shellcheck disable=SC2086 # _pg is several words
	"$PGBIN/pgbench" $_pg -i -q -s 1 bench >"$T/pgbench-init.log" 2>&1 ||
		{ cat "$T/pgbench-init.log" >&2; die "pgbench -i failed"; }
	mkdir -p "$T/pgblog"
	note "measuring pgbench: -S -M prepared -c $_clients -j $THREADS -T $SECONDS_EACH"
	# shellcheck disable=SC2086
	(cd "$T/pgblog" && "$PGBIN/pgbench" $_pg -S -M prepared -n -c "$_clients" -j "$THREADS" \
		-T "$WARMUP" bench >/dev/null 2>&1) || true
	# shellcheck disable=SC2086
	(cd "$T/pgblog" && "$PGBIN/pgbench" $_pg -S -M prepared -n -c "$_clients" -j "$THREADS" \
		-T "$SECONDS_EACH" -l --sampling-rate=0.1 --log-prefix="$T/pgblog/tx" bench) \
		>"$T/pgbench.out" 2>&1 || { cat "$T/pgbench.out" >&2; die "pgbench failed"; }
	_tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$T/pgbench.out" | head -n 1)
	_failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$T/pgbench.out")
	# Per-transaction log (10 % sample): column 3 is the latency in microseconds.
	cat "$T"/pgblog/tx.* | awk '{ print $3 / 1000 }' >"$T/pglat"
	result pgbench "pgbench -S -M prepared (reference)" "$_tps" \
		"$(percentile 50 <"$T/pglat")" "$(percentile 99 <"$T/pglat")" - "${_failed:-0}"
}

# --- services -----------------------------------------------------------------------

# svc_start KEY NAME DATABASE: starts build/bin/axr-NAME as KEY unless this run started KEY already
# (access log off, DATABASE in the private PostgreSQL, the private redis) and prints its base URL;
# $T/svc/KEY.pid holds its pid.
svc_start() {
	_bin=$BUILD/bin/axr-$2
	if [ -r "$T/svc/$1.port" ]; then
		echo "http://127.0.0.1:$(cat "$T/svc/$1.port")"
		return 0
	fi
	[ -x "$_bin" ] || die "$_bin not built (run make)"
	_port=$(sh "$STACK" free-port)
	sh "$STACK" pg-createdb "$T/stack" "$PG_PORT" "$3"
	AXR_PORT=$_port AXR_ACCESS_LOG=false AXR_LOG_LEVEL=warn \
		AXR_DATABASE_URL=$(sh "$STACK" pg-url "$PG_PORT" "$3") AXR_REDIS_URL=$REDIS_URL \
		"$_bin" </dev/null >"$T/svc/$1.log" 2>&1 &
	echo "$!" >"$T/svc/$1.pid"
	_n=100
	until curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$_port/readyz"; do
		_n=$((_n - 1))
		if [ "$_n" -le 0 ] || ! kill -0 "$(cat "$T/svc/$1.pid")" 2>/dev/null; then
			tail -n 20 "$T/svc/$1.log" >&2
			die "axr-$2 did not become ready on port $_port"
		fi
		sleep 0.1
	done
	echo "$_port" >"$T/svc/$1.port"
	echo "http://127.0.0.1:$_port"
}

# service_url NAME: starts build/bin/axr-NAME unless this run started it already (access log
# off, its own database in the private PostgreSQL, the private redis) and prints its base URL.
service_url() { svc_start "$1" "$1" "axr_$1"; }

# scenario NAME REFERENCE URL [LUA]: measures URL with wrk and compares it with REFERENCE
# (nginx-static, pgbench, or the NAME of an earlier scenario).
scenario() {
	[ $# -ge 3 ] && [ $# -le 4 ] || die "usage: scenario NAME REFERENCE URL [LUA]"
	cut -f 1 "$T/results" | grep -qxF -- "$2" || die "scenario $1: unknown reference '$2' (a reference or an earlier scenario)"
	[ -z "${4:-}" ] || [ -r "$4" ] || die "scenario $1: no wrk script $4"
	wrk_run "$1" "$1" "$2" "$3" "${4:-}"
}

# --- memory ---------------------------------------------------------------------------

# Every service of scripts/services.list (name, port, database; comments skipped).
SERVICES=$(awk '!/^#/ && NF >= 3 { print $1 }' scripts/services.list)

# rss_line NAME PID: NAME, VmRSS, RssAnon, RssFile, Pss (kB), threads and open fds of PID.
rss_line() {
	_pss=$(awk '/^Pss:/ { print $2 }' "/proc/$2/smaps_rollup" 2>/dev/null)
	_fds=$(ls "/proc/$2/fd" 2>/dev/null | wc -l)
	awk -v n="$1" -v pss="${_pss:-0}" -v fds="$_fds" '
		/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 } /^Threads:/ { t = $2 }
		END { print n, r + 0, a + 0, f + 0, pss + 0, t + 0, fds }' "/proc/$2/status"
}

# Idle RSS: every service started as make up runs it (default settings, its own database, the
# stack's keys and admin), all at once so that PSS shares the libraries as on a real host, then
# a few requests each, a second of rest, and /proc/PID/status. They are stopped afterwards.
idle_rss() {
	: >"$T/rss-idle"
	for _s in $SERVICES; do
		[ -x "$BUILD/bin/axr-$_s" ] || { note "idle RSS: axr-$_s not built, skipped"; continue; }
		AXR_JWT_PUBLIC_KEY=$ROOT/tests/fixtures/keys/test-only-rs256-public.pem \
			AXR_JWT_PRIVATE_KEY=$ROOT/tests/fixtures/keys/test-only-rs256-private.pem AXR_JWT_ALG=RS256 \
			AXR_ADMIN_NAME=admin AXR_ADMIN_PASSWORD=bench-admin-password \
			svc_start "idle-$_s" "$_s" "axr_idle_$_s" >"$T/svc/idle-$_s.url"
	done
	for _s in $SERVICES; do
		[ -r "$T/svc/idle-$_s.url" ] || continue
		for _path in /status /status /status /healthz /readyz /metrics /no-such-route; do
			curl -s -o /dev/null --max-time 5 "$(cat "$T/svc/idle-$_s.url")$_path" || true
		done
	done
	sleep 1
	for _s in $SERVICES; do
		if [ -r "$T/svc/idle-$_s.pid" ]; then
			rss_line "$_s" "$(cat "$T/svc/idle-$_s.pid")" >>"$T/rss-idle"
		fi
	done
	for _s in $SERVICES; do
		[ -r "$T/svc/idle-$_s.pid" ] || continue
		_p=$(cat "$T/svc/idle-$_s.pid")
		kill -TERM "$_p" 2>/dev/null || true
		_n=50
		while kill -0 "$_p" 2>/dev/null && [ "$_n" -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
		kill -KILL "$_p" 2>/dev/null || true
		rm -f "$T/svc/idle-$_s.pid" "$T/svc/idle-$_s.port"
	done
}

# Loaded RSS: while the scenarios run, every 0.5 s the peak RSS (VmHWM) of every process of
# $BUILD/bin/axr-* that this run started (they inherit BENCH_RUN_ID; other runs of the same
# binaries on this machine do not count), one "NAME KB" line each into $T/peaks.
BIN_ABS=$(cd "$BUILD/bin" 2>/dev/null && pwd -P || echo "$ROOT/$BUILD/bin")
BENCH_RUN_ID=$T
export BENCH_RUN_ID
peak_sampler() {
	while :; do
		find /proc -maxdepth 2 -name exe -lname "$BIN_ABS/axr-*" -printf '%h %l\n' 2>/dev/null |
			while read -r _d _l; do
				{ tr '\0' '\n' <"$_d/environ"; } 2>/dev/null | grep -qxF "BENCH_RUN_ID=$BENCH_RUN_ID" || continue
				_n=${_l##*/axr-}
				sed -n "s/^VmHWM:[[:space:]]*\([0-9]*\).*/${_n%% *} \1/p" "$_d/status" 2>/dev/null
			done >>"$T/peaks" || true
		sleep 0.5
	done
}

# The memory table: idle figures and the loaded peak per service, against the goal (idle <= 10 MB).
rss_report() {
	printf '\nmemory per service (kB; idle: default settings, after start-up and a few requests; loaded: the\n'
	printf 'peak RSS (VmHWM) of its processes during its scenarios above; goal: idle RSS <= 10240 kB)\n\n'
	awk -v services="$SERVICES" '
		FILENAME ~ /rss-idle$/ { rss[$1] = $2; anon[$1] = $3; file[$1] = $4; pss[$1] = $5; thr[$1] = $6; fds[$1] = $7; next }
		{ if ($2 + 0 > peak[$1] + 0) peak[$1] = $2 }
		END {
			printf "%-13s %9s %9s %9s %9s %7s %5s  %11s  %s\n", "service", "idle RSS", "anon", "file",
				"PSS", "threads", "fds", "loaded peak", "idle goal"
			n = split(services, s, " ")
			for (i = 1; i <= n; i++) {
				k = s[i]
				if (!(k in rss)) { printf "%-13s %9s\n", k, "not built"; continue }
				printf "%-13s %9d %9d %9d %9d %7d %5d  %11s  %s\n", k, rss[k], anon[k], file[k], pss[k], thr[k],
					fds[k], (k in peak) ? peak[k] : "-", rss[k] <= 10240 ? "met" : "missed"
			}
		}' "$T/rss-idle" "$T/peaks"
}

# --- the table ----------------------------------------------------------------------

report() {
	printf 'axr bench %s: %s cores, wrk %s threads x %s connections, %s s per run (after %s s warm-up)\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$CORES" "$THREADS" "$CONNECTIONS" "$SECONDS_EACH" "$WARMUP"
	printf 'load average before / after: %s / %s' "$LOAD_BEFORE" "$(cut -d ' ' -f 1 /proc/loadavg)"
	if awk -v l="$LOAD_BEFORE" -v c="$CORES" 'BEGIN { exit !(l > c / 2) }'; then
		printf ' (other work was running: these numbers are noisy)'
	fi
	printf '\n\n'
	awk -F '\t' '
		{ id[NR] = $1; name[NR] = $2; rps[NR] = $3; p50[NR] = $4; p99[NR] = $5; ref[NR] = $6; err[NR] = $7
		  byid[$1] = $3 }
		END {
			printf "%-36s %12s %9s %9s  %-13s %6s %7s\n", "scenario", "requests/s", "p50 ms", "p99 ms", "reference", "ratio", "errors"
			for (i = 1; i <= NR; i++) {
				r = "-"
				if (ref[i] != "-" && byid[ref[i]] > 0) r = sprintf("%.2f", rps[i] / byid[ref[i]])
				printf "%-36s %12.0f %9.3f %9.3f  %-13s %6s %7d\n", name[i], rps[i], p50[i], p99[i], ref[i], r, err[i]
			}
		}' "$T/results"
}

# --- run ----------------------------------------------------------------------------

LOAD_BEFORE=$(cut -d ' ' -f 1 /proc/loadavg)
PG_PORT=$(sh "$STACK" free-port)
REDIS_PORT=$(sh "$STACK" free-port)
note "private PostgreSQL on $PG_PORT and redis on $REDIS_PORT in $T"
sh "$STACK" pg-start "$T/stack" "$PG_PORT"
sh "$STACK" pg-createdb "$T/stack" "$PG_PORT" bench
sh "$STACK" redis-start "$T/stack" "$REDIS_PORT"
REDIS_URL=$(sh "$STACK" redis-url "$REDIS_PORT")

note "idle RSS of every service"
idle_rss
peak_sampler &
SAMPLER=$!

reference_nginx_static
reference_pgbench

# Scenarios: one line each.
scenario "GET /status (example, direct)" nginx-static "$(service_url example)/status"
scenario "POST /validate (20 properties)" "GET /status (example, direct)" \
	"$(service_url example)/validate" tests/bench/validate.lua

# Generated CRUD: GET /entries/{id} of the guestbook on a table of 1,000,000
# rows, random ids, authenticated, against pgbench -S -M prepared.
export AXR_JWT_PUBLIC_KEY="$ROOT/tests/fixtures/keys/test-only-rs256-public.pem"
# As many database connections as pgbench gets (its clients = wrk's connections).
GB=$(AXR_WORKERS=$CONNECTIONS service_url guestbook)
BENCH_ROWS=${BENCH_ROWS:-1000000}
note "filling the guestbook with $BENCH_ROWS entries"
GB_DB=$(sh "$STACK" pg-url "$PG_PORT" axr_guestbook)
OWNER=11111111-1111-4111-8111-111111111111
psql -q "$GB_DB" -c "INSERT INTO entry (uid, date_created, date_modified, version, author_uid, message)
	SELECT gen_random_uuid(), now(), now(), 0, '$OWNER', 'entry ' || i FROM generate_series(1, $BENCH_ROWS) i" \
	-c "ANALYZE entry" >/dev/null
psql -At "$GB_DB" -c "SELECT uid FROM entry TABLESAMPLE SYSTEM (2) LIMIT 20000" >"$T/ids"
make -s "$BUILD/tools/mint_token" >/dev/null
BENCH_TOKEN=$("$BUILD/tools/mint_token" -k tests/fixtures/keys/test-only-rs256-private.pem -s bench -u "$OWNER" -t 3600)
BENCH_IDS=$T/ids
export BENCH_TOKEN BENCH_IDS
scenario "GET /entries/{id} (1M rows, auth)" pgbench "$GB/entries" tests/bench/get_entry.lua

# Account: device logins (each one creates a guest account and issues tokens)
# and password logins (one argon2id verification each, t=2 and 19 MiB:
# docs/account.md), both against pgbench -S. The password logins rotate over
# BENCH_USERS accounts so the per-account brute-force limit stays out of it.
ACC=$(AXR_JWT_PRIVATE_KEY=$ROOT/tests/fixtures/keys/test-only-rs256-private.pem \
	AXR_ADMIN_NAME=admin AXR_ADMIN_PASSWORD=bench-admin-password service_url account)
BENCH_USERS=${BENCH_USERS:-100}
BENCH_PASSWORD=bench-password-1234
export BENCH_USERS BENCH_PASSWORD
i=1
while [ "$i" -le "$BENCH_USERS" ]; do
	curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
		-d "{\"name\":\"bench$i\",\"email\":\"bench$i@example.com\",\"password\":\"$BENCH_PASSWORD\"}" "$ACC/users"
	i=$((i + 1))
done
scenario "POST /auth/device (creates)" pgbench "$ACC/auth/device" tests/bench/device_login.lua
scenario "POST /auth/password (argon2id)" pgbench "$ACC/auth/password" tests/bench/password_login.lua

# Services' own scenarios (their scripts add rows in this table's format).
BENCH_DATABASE_URL=$(sh "$STACK" pg-url "$PG_PORT" postgres) BENCH_REDIS_URL=$REDIS_URL \
	sh tests/bench/achievement.sh --results "$T/results" || note "achievement bench: a check failed"
BENCH_REDIS_URL="$REDIS_URL" sh tests/bench/ws.sh --results "$T/results" || note "websocket bench: a check failed"
BENCH_DATABASE_URL=$(sh "$STACK" pg-url "$PG_PORT" postgres) BENCH_REDIS_URL=$REDIS_URL \
	sh tests/bench/economy.sh --results "$T/results" || note "economy bench: a check failed"
BENCH_DATABASE_URL="$(sh "$STACK" pg-url "$PG_PORT" postgres)" BENCH_REDIS_URL="$REDIS_URL" \
	sh tests/bench/matchmaking.sh --results "$T/results" || note "matchmaking bench: a check failed"

kill "$SAMPLER" 2>/dev/null || true
SAMPLER=
mkdir -p "$BUILD/bench"
{ report; rss_report; } | tee "$BUILD/bench/latest.txt"
