#!/bin/sh
# ws.sh: make bench's push scenario: hold N authenticated websockets on one notification service,
# publish events to random users at a fixed rate through the bus, report memory per connection and
# delivery latency (p50/p99).
#
#   sh tests/bench/ws.sh [--results FILE]
#
# Settings: WS_CONNECTIONS (10000), WS_RATE events/s (1000), WS_SECONDS (10), WS_THREADS (I/O
# threads of the service, 0 = one per core), BENCH_REDIS_URL (use this redis instead of starting a
# private one), WS_SERVICE_ENV (extra VAR=VALUE settings for the service, e.g. AXR_JWT_CACHE=0). The service runs with the ES256 test key (cheaper to sign 10k tokens than RS256),
# the access log off and one worker. The load comes from build/tools/ws_load (C, one epoll thread):
# node would need more memory than the service it measures.
#
# Prints ws_load's lines and a summary; with --results FILE it also appends one row in
# tests/bench/run.sh's format (id, name, events/s delivered, p50 ms, p99 ms, reference "-",
# errors = events missing or duplicated + connections that failed). Exit status 0 when every
# connection opened and every event arrived exactly once.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd -P)
cd "$ROOT"
BUILD=${AXR_BUILD:-build}
STACK=$ROOT/scripts/stack.sh
N=${WS_CONNECTIONS:-10000}
RATE=${WS_RATE:-1000}
SECS=${WS_SECONDS:-10}
IO_THREADS=${WS_THREADS:-0}
RESULTS=
[ "${1:-}" = --results ] && RESULTS=${2:?--results needs a file}

die() { printf 'ws bench: error: %s\n' "$*" >&2; exit 1; }
note() { printf 'ws bench: %s\n' "$*" >&2; }

case $N$RATE$SECS$IO_THREADS in *[!0-9]*) die "WS_CONNECTIONS, WS_RATE, WS_SECONDS, WS_THREADS are whole numbers" ;; esac
for b in "$BUILD/bin/axr-notification" "$BUILD/tools/ws_load"; do
	[ -x "$b" ] || die "$b not built (run make)"
done

# Each side holds one descriptor per connection, plus a margin.
want=$((N + 512))
ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -H -n)" 2>/dev/null || true
have=$(ulimit -n)
if [ "$have" != unlimited ] && [ "$have" -lt "$want" ]; then
	N=$((have - 512))
	note "open files limited to $have (hard limit): holding $N connections instead"
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/axr-ws-bench.XXXXXX")
svc_pid=
cleanup() {
	if [ -n "$svc_pid" ]; then
		kill -TERM "$svc_pid" 2>/dev/null || true
		wait "$svc_pid" 2>/dev/null || true
	fi
	[ -n "${BENCH_REDIS_URL:-}" ] || sh "$STACK" redis-stop "$T/stack" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${BENCH_REDIS_URL:-}" ]; then
	REDIS_URL=$BENCH_REDIS_URL
else
	rport=$(sh "$STACK" free-port)
	sh "$STACK" redis-start "$T/stack" "$rport"
	REDIS_URL=$(sh "$STACK" redis-url "$rport")
fi

port=$(sh "$STACK" free-port)
# shellcheck disable=SC2086 # WS_SERVICE_ENV: extra VAR=VALUE words for the service
env AXR_PORT="$port" AXR_THREADS="$IO_THREADS" AXR_WORKERS=1 AXR_ACCESS_LOG=false AXR_LOG_LEVEL=warn \
	AXR_MAX_CONNECTIONS=$((N + 256)) AXR_REDIS_URL="$REDIS_URL" AXR_JWT_ALG=ES256 \
	AXR_JWT_PUBLIC_KEY="$ROOT/tests/fixtures/keys/test-only-es256-public.pem" ${WS_SERVICE_ENV:-} \
	"$BUILD/bin/axr-notification" </dev/null >"$T/service.log" 2>&1 &
svc_pid=$!
n=100
until curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$port/readyz"; do
	n=$((n - 1))
	[ "$n" -gt 0 ] && kill -0 "$svc_pid" 2>/dev/null || { tail -n 20 "$T/service.log" >&2; die "service did not start"; }
	sleep 0.1
done

note "$N websockets, then $RATE events/s for $SECS s to random users ($(nproc) cores)"
rc=0
"$BUILD/tools/ws_load" -P "$port" -r "$REDIS_URL" -k "$ROOT/tests/fixtures/keys/test-only-es256-private.pem" \
	-n "$N" -e "$RATE" -d "$SECS" -p "$svc_pid" >"$T/load.out" || rc=$?
cat "$T/load.out"

# value KEY: a key=value of ws_load's output.
value() { tr ' ' '\n' <"$T/load.out" | sed -n "s/^$1=//p" | tail -n 1; }
opened=$(value opened)
per_conn=$(value bytes_per_connection)
p50=$(value p50_ms)
p99=$(value p99_ms)
delivered=$(value delivered)
missing=$(value missing)
dups=$(value duplicates)
failed=$(value failed)
[ -n "$opened" ] && [ -n "$p50" ] || { tail -n 20 "$T/service.log" >&2; die "ws_load gave no figures"; }
printf 'push: %s websockets held, %s bytes of service memory per connection; %s events/s for %s s: ' \
	"$opened" "$per_conn" "$RATE" "$SECS"
printf '%s delivered, %s missing, %s duplicated, latency p50 %s ms, p99 %s ms\n' "$delivered" "$missing" "$dups" "$p50" "$p99"
if [ -n "$RESULTS" ]; then
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' ws-push "push: $opened websockets, $per_conn B/conn (events/s)" \
		"$(awk -v d="$delivered" -v s="$SECS" 'BEGIN { printf "%.0f", d / s }')" "$p50" "$p99" - \
		"$((missing + dups + failed))" >>"$RESULTS"
fi
if grep -q '"level":"error"' "$T/service.log"; then
	grep '"level":"error"' "$T/service.log" | head -n 5 >&2
	rc=1
fi
exit "$rc"
