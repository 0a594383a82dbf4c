#!/bin/sh
# notification.test.sh: the notification service end to end, driven by a websocket client that is
# not ours (npm `ws`, from node): logins, delivery, isolation, WATCH, close codes, presence, directly
# and through the nginx gateway; READY (the user channel subscribed) before events, WATCH answered once
# its channel is; then two replicas on one redis, keepalive, a slow client, no READY while redis is down,
# a replica without redis, a redis restart and a drain.
#
# Everything runs in a temp folder on free ports: a private redis (the suite restarts it), two
# replicas of build/bin/axr-notification and nginx from scripts/gateway.sh render. Events come from
# build/tools/bus_publish (axr_bus_publish), tokens from build/tools/mint_token (the test keys).
# node_modules is installed with `npm ci` from the committed package-lock.json when missing.
set -u

ROOT=${AXR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${AXR_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
STACK=$ROOT/scripts/stack.sh
GATEWAY=$ROOT/scripts/gateway.sh
HERE=$ROOT/tests/notification
KEYS=$ROOT/tests/fixtures/keys
SVC=$BUILD/bin/axr-notification
T=$(mktemp -d "${AXR_TEST_TMP:-${TMPDIR:-/tmp}}/axr-notification.XXXXXX") || exit 2
failed=0
r1_pid=
r2_pid=
r3_pid=

ok() { echo "ok - $1"; }
not_ok() {
	echo "not ok - $1: $2"
	failed=1
}

cleanup() {
	for _p in $r1_pid $r2_pid $r3_pid; do kill -TERM "$_p" 2>/dev/null; done
	for _p in $r1_pid $r2_pid $r3_pid; do wait "$_p" 2>/dev/null; done
	sh "$STACK" nginx-stop "$T" >/dev/null 2>&1
	sh "$STACK" redis-stop "$T/stack" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

for _bin in "$SVC" "$BUILD/tools/mint_token" "$BUILD/tools/bus_publish"; do
	[ -x "$_bin" ] || { not_ok setup "$_bin is missing (run make)"; exit 1; }
done
command -v node >/dev/null 2>&1 || { not_ok setup "node is not installed (run make deps)"; exit 1; }
if [ ! -f "$HERE/node_modules/ws/package.json" ]; then
	command -v npm >/dev/null 2>&1 || { not_ok setup "npm is not installed"; exit 1; }
	if ! out=$(cd "$HERE" && npm ci --silent --no-audit --no-fund 2>&1); then
		not_ok npm_ci_installs_ws "$out"
		exit 1
	fi
fi

# wait_until TENTHS CMD...: runs CMD every 0.1 s until it succeeds; fails after TENTHS tries.
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
ready() { curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$1/readyz"; }

# --- redis and two replicas ---
REDIS_PORT=$(sh "$STACK" free-port)
if ! out=$(sh "$STACK" redis-start "$T/stack" "$REDIS_PORT" 2>&1); then
	not_ok redis_starts "$out"
	exit 1
fi
REDIS_URL=redis://127.0.0.1:$REDIS_PORT

# start_replica PORT LOG [VAR=VALUE...]: runs a replica in the background; its pid in $started.
start_replica() {
	_port=$1
	_log=$2
	shift 2
	env AXR_PORT="$_port" AXR_THREADS=2 AXR_WORKERS=2 AXR_REDIS_URL="$REDIS_URL" \
		AXR_JWT_PUBLIC_KEY="$KEYS/test-only-rs256-public.pem" AXR_DRAIN_TIMEOUT=5s AXR_ACCESS_LOG=false \
		AXR_WS_ORIGINS="https://play.example.com, https://*.example.org" "$@" "$SVC" 2>"$_log" &
	started=$!
}

R1_PORT=$(sh "$STACK" free-port)
R2_PORT=$(sh "$STACK" free-port)
R3_PORT=$(sh "$STACK" free-port)
start_replica "$R1_PORT" "$T/r1.log"
r1_pid=$started
start_replica "$R2_PORT" "$T/r2.log" AXR_WS_PING_INTERVAL=1s
r2_pid=$started
# Replica 3 has no redis at all (AXR_REDIS_URL empty): READY at once.
start_replica "$R3_PORT" "$T/r3.log" AXR_REDIS_URL=
r3_pid=$started
for _p in "$R1_PORT" "$R2_PORT" "$R3_PORT"; do
	if ! wait_until 100 ready "$_p"; then
		not_ok replicas_start "no /readyz on port $_p: $(tail -3 "$T/r1.log" "$T/r2.log")"
		exit 1
	fi
done
ok replicas_start

export NOTIF_TOOLS="$BUILD/tools" NOTIF_REDIS_URL="$REDIS_URL"
export NOTIF_KEY="$KEYS/test-only-rs256-private.pem" NOTIF_OTHER_KEY="$KEYS/test-only-rs256-other-private.pem"

# node_cases SCRIPT: runs a scenario file; its lines are this suite's cases.
node_cases() {
	node "$HERE/$1" || failed=1
}

# --- the protocol, straight to replica 1 ---
NOTIF_WS_URL=ws://127.0.0.1:$R1_PORT/notifications NOTIF_HTTP_URL=http://127.0.0.1:$R1_PORT NOTIF_PREFIX= \
	node_cases protocol.js

# --- the same through the gateway ---
GW_PORT=$(sh "$STACK" free-port)
DEAD_PORT=$(sh "$STACK" free-port)
upstreams=$(sh "$GATEWAY" services | awk -v dead="127.0.0.1:$DEAD_PORT" -v r1="127.0.0.1:$R1_PORT" \
	'{ print $1 "=" ($1 == "notification" ? r1 : dead) }')
# shellcheck disable=SC2086 # one NAME=ADDRESS word per service
if out=$(AXR_GATEWAY_LISTEN=127.0.0.1:$GW_PORT sh "$GATEWAY" render "$T/bundle" $upstreams 2>&1 &&
	sh "$STACK" nginx-start "$T" "$T/bundle/nginx.conf" 2>&1); then
	ok gateway_starts
	NOTIF_WS_URL=ws://127.0.0.1:$GW_PORT/v1/notifications NOTIF_HTTP_URL=http://127.0.0.1:$GW_PORT/v1 \
		NOTIF_PREFIX=gateway_ node_cases protocol.js
else
	not_ok gateway_starts "$out"
fi

# --- replicas, keepalive, slow clients, redis restart, drain ---
NOTIF_R1_URL=ws://127.0.0.1:$R1_PORT/notifications NOTIF_R2_URL=ws://127.0.0.1:$R2_PORT/notifications \
	NOTIF_R1_HTTP=http://127.0.0.1:$R1_PORT NOTIF_R1_PID=$r1_pid NOTIF_R2_PID=$r2_pid \
	NOTIF_REDIS_RESTART="sh '$STACK' redis-stop '$T/stack' && sh '$STACK' redis-start '$T/stack' $REDIS_PORT" \
	NOTIF_REDIS_STOP="sh '$STACK' redis-stop '$T/stack'" \
	NOTIF_REDIS_START="sh '$STACK' redis-start '$T/stack' $REDIS_PORT" \
	NOTIF_R3_URL=ws://127.0.0.1:$R3_PORT/notifications \
	node_cases cluster.js

# Replica 2 got SIGTERM in the drain case: it must exit 0 (a clean drain) on its own.
if wait_until 100 sh -c "! kill -0 $r2_pid 2>/dev/null"; then
	wait "$r2_pid"
	rc=$?
	r2_pid=
	[ "$rc" -eq 0 ] && ok replica_drains_and_exits_0 || not_ok replica_drains_and_exits_0 "exit status $rc"
else
	not_ok replica_drains_and_exits_0 "still running 10 s after SIGTERM"
fi
if kill -0 "$r1_pid" 2>/dev/null && ready "$R1_PORT"; then
	ok replica_survives_every_case
else
	not_ok replica_survives_every_case "replica 1 is gone: $(tail -5 "$T/r1.log")"
fi
if grep -q '"level":"error"' "$T/r1.log" "$T/r2.log"; then
	not_ok replicas_log_no_errors "$(grep -h '"level":"error"' "$T/r1.log" "$T/r2.log" | head -3)"
else
	ok replicas_log_no_errors
fi
exit "$failed"
