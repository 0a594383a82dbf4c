#!/bin/sh
# journey.test.sh: a player's whole journey through nginx with the generated C clients
# (build/itests/journey, tests/integration/journey.c) against the whole platform of
# tests/lib/platform.sh: register, log in, the notification websocket, an achievement
# unlocked (its event on the websocket), an admin mint, a purchase, a gift the friend
# approves, a 1v1 match (its event on the websocket), refresh and logout; once with JSON
# bodies, once with protobuf. Prints the program's lines; exits non-zero when a step failed.
set -u
ROOT=${AXR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${AXR_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
cd "$ROOT" || exit 2
JOURNEY=$BUILD/itests/journey

. "$ROOT/tests/lib/platform.sh"
trap platform_down EXIT
trap 'exit 130' INT TERM

for f in "$JOURNEY" "$BUILD/tools/bus_publish" "$BUILD/bin/axr-account" "$BUILD/bin/axr-achievement" \
	"$BUILD/bin/axr-economy" "$BUILD/bin/axr-matchmaking" "$BUILD/bin/axr-notification"; do
	if [ ! -x "$f" ]; then
		echo "not ok - journey_setup: $f is not built (run make)"
		exit 1
	fi
done

t0=$(date +%s)
if ! platform_up; then
	echo "not ok - journey_platform_up: $(tail -n 15 "$PLAT_DIR/up.out" | tr '\n' ' ')"
	exit 1
fi
echo "# platform up in $(($(date +%s) - t0)) s (gateway $PLAT_GATEWAY)"

export AXR_IT_GATEWAY="$PLAT_GATEWAY" AXR_IT_ADMIN_NAME="$PLAT_ADMIN_NAME" AXR_IT_ADMIN_PASSWORD="$PLAT_ADMIN_PASSWORD" \
	AXR_IT_PLATFORM_KEY="$PLAT_KEYS/jwt-private.pem" AXR_BUILD="$BUILD"
# The journey with JSON bodies, then again (new players) with protobuf bodies. The pause lets
# the gateway's /v1/auth/ rate limit (5 r/s, burst 10) drain the first run's log-ins.
AXR_IT_PROTOBUF=0 timeout 60 "$JOURNEY"
rc=$?
sleep 2
AXR_IT_PROTOBUF=1 timeout 60 "$JOURNEY"
rc2=$?
[ "$rc" -eq 0 ] && rc=$rc2

# Nothing the journey did made a service log an error (warnings may come from start-up races).
errors=$(grep -H '"level":"error"' "$PLAT_RUN"/logs/account.log "$PLAT_RUN"/logs/achievement.log \
	"$PLAT_RUN"/logs/economy.log "$PLAT_RUN"/logs/matchmaking.log "$PLAT_RUN"/logs/notification.log 2>/dev/null)
if [ -z "$errors" ]; then
	echo "ok - journey_service_logs_have_no_errors"
else
	echo "not ok - journey_service_logs_have_no_errors: $(printf '%s' "$errors" | head -n 3 | cut -c1-300 | tr '\n' ' ')"
	[ "$rc" -eq 0 ] && rc=1
fi
if [ "$rc" -ne 0 ]; then
	echo "# journey failed (status $rc); the last lines of the service logs follow"
	for log in "$PLAT_RUN"/logs/*.log; do
		[ -f "$log" ] || continue
		echo "# --- $(basename "$log")"
		tail -n 5 "$log" | sed 's/^/#   /'
	done
	[ "$rc" -eq 124 ] && echo "not ok - journey_finished: build/itests/journey ran past 60 s"
fi
exit "$rc"
