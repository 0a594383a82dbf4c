#!/bin/sh
# down.sh: stop what `make up` started: the gateway, every service, redis, PostgreSQL.
#
# The gateway goes first (graceful: in-flight requests finish), then every service gets
# SIGTERM at once and drains (SIGKILL after AXR_DOWN_TIMEOUT seconds, default 20), then redis
# and PostgreSQL. Data stays in .run/ (databases survive a down/up); `make down && rm -rf .run`
# starts from scratch. A PostgreSQL or redis given by URL to make up is not touched.
# Stopping what is not running succeeds.
set -eu

PROG=down
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$ROOT"
. "$ROOT/scripts/local.sh"

[ -d "$RUN" ] || { echo "nothing runs ($(rel "$RUN") does not exist)"; exit 0; }
run_locked "$@"

if [ -r "$RUN/nginx/nginx.pid" ]; then
	sh "$STACK" nginx-stop "$RUN" graceful
	echo "stopped gateway"
fi

names=
for f in "$RUN"/svc-*.pid; do
	[ -e "$f" ] || continue
	n=${f##*/svc-}
	names="$names ${n%.pid}"
done
# shellcheck disable=SC2086 # one word per service name
[ -z "$names" ] || stop_services $names

if sh "$STACK" redis-status "$RUN" >/dev/null 2>&1; then
	sh "$STACK" redis-stop "$RUN"
	echo "stopped redis"
fi
if sh "$STACK" pg-status "$RUN" >/dev/null 2>&1; then
	sh "$STACK" pg-stop "$RUN" fast
	echo "stopped postgresql"
fi
echo "axr is down (data kept in $(rel "$RUN")/)"
