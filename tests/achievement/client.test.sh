#!/bin/sh
# client.test.sh: the achievement service through its generated C client: build/itests/achievement
# (tests/integration/achievement.c) against a real build/bin/axr-achievement on a fresh database of
# AXR_TEST_DATABASE_URL's server and AXR_TEST_REDIS_URL's redis, with build/bin/axr-notification on the
# same redis for the websocket (/notifications). Cases: admin-only definitions, hidden definitions,
# progress to unlock, overshoot, double unlock, 100 concurrent async progress calls, Idempotency-Key
# replay, BOLA on another user's list, deleted definitions, the unlock event on the player's websocket
# within 2 s (its latency is printed as a comment line).
. "$(dirname "$0")/lib.sh"

PROGRAM=$BUILD/itests/achievement
need "$BUILD/bin/axr-achievement" "$BUILD/bin/axr-notification" "$PROGRAM" "$BUILD/tools/mint_token"
fresh_db axr_achievement_client
start_service axr-achievement "$BUILD/bin/axr-achievement"
SVC_PORT=$PORT SVC_PID=$PID
DBURL="" start_service axr-notification "$BUILD/bin/axr-notification" AXR_WORKERS=2
NOTIF_PID=$PID

AXR_IT_ACHIEVEMENT_URL=http://127.0.0.1:$SVC_PORT AXR_IT_NOTIFICATION_PORT=$PORT AXR_BUILD=$BUILD "$PROGRAM" || FAILED=1

if kill -0 "$SVC_PID" 2>/dev/null && kill -0 "$NOTIF_PID" 2>/dev/null; then
	echo "ok - both_services_stayed_up"
else
	echo "not ok - both_services_stayed_up: $(tail -3 "$T/axr-achievement.log" "$T/axr-notification.log" | tr '\n' ' ')"
	FAILED=1
fi
exit "$FAILED"
