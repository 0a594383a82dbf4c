#!/bin/sh
# routes.test.sh: every service's generated routing block sends its paths to
# that service. Each built service of scripts/services.list runs (without a
# database: routing only), nginx runs in front of them, and then
#   - /v1/<svc>/status answers that service's own name;
#   - every literal path of gateway/routes-<svc>.conf reaches a service that
#     knows it (an answer other than 404 and 502: 401, 405, 200...);
#   - every templated path, with a made-up id, reaches it too.
set -u
ROOT=${AXR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 2
BUILD=${AXR_BUILD:-build}
STACK=scripts/stack.sh
GATEWAY=scripts/gateway.sh
T=$(mktemp -d "${AXR_TEST_TMP:-/tmp}/axr-routes.XXXXXX") || exit 2
chmod 755 "$T"
PIDS=""
cleanup() {
	sh "$STACK" nginx-stop "$T" >/dev/null 2>&1
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
. tests/gateway/tap.sh

GW_PORT=$(sh "$STACK" free-port)
DEAD_PORT=$(sh "$STACK" free-port)
upstreams=""
running=""
for svc in $(sh "$GATEWAY" services | awk '{ print $1 }'); do
	bin=$BUILD/bin/axr-$svc
	if [ ! -x "$bin" ]; then
		upstreams="$upstreams $svc=127.0.0.1:$DEAD_PORT"
		continue
	fi
	port=$(sh "$STACK" free-port)
	AXR_PORT=$port AXR_THREADS=1 AXR_WORKERS=1 AXR_ACCESS_LOG=false AXR_LOG_LEVEL=error \
		AXR_JWT_PRIVATE_KEY=tests/fixtures/keys/test-only-rs256-private.pem \
		AXR_JWT_PUBLIC_KEY=tests/fixtures/keys/test-only-rs256-public.pem "$bin" >"$T/$svc.log" 2>&1 &
	PIDS="$PIDS $!"
	upstreams="$upstreams $svc=127.0.0.1:$port"
	running="$running $svc:$port"
done
for sp in $running; do
	port=${sp#*:}
	n=0
	until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz"; do
		n=$((n + 1))
		[ $n -gt 100 ] && { not_ok "${sp%%:*}_starts" "$(tail -3 "$T/${sp%%:*}.log")"; break; }
		sleep 0.1
	done
done
# shellcheck disable=SC2086 # one NAME=ADDRESS word per service
AXR_GATEWAY_LISTEN=127.0.0.1:$GW_PORT sh "$GATEWAY" render "$T/bundle" $upstreams >/dev/null
if ! out=$(sh "$STACK" nginx-start "$T" "$T/bundle/nginx.conf" 2>&1); then
	not_ok gateway_starts "$out"
	exit 1
fi
GW=http://127.0.0.1:$GW_PORT

for sp in $running; do
	svc=${sp%%:*}
	case $(curl -s --max-time 5 "$GW/v1/$svc/status") in
	*"\"name\":\"$svc\""*) ok "${svc}_status_through_the_gateway" ;;
	*) not_ok "${svc}_status_through_the_gateway" "$(curl -s "$GW/v1/$svc/status")" ;;
	esac
	conf=gateway/routes-$svc.conf
	[ -f "$conf" ] || continue
	# Literal paths: `location = /v1/...`; templated: `location ~ ^/v1/...$`.
	paths=$(sed -n 's/^location = \(\/v1\/[^ ]*\) {$/\1/p' "$conf" | grep -v "^/v1/$svc/status$"
		sed -n 's/^location ~ \^\(\/v1\/.*\)\$ {$/\1/p' "$conf" | sed 's/\[^\/\]+/x0/g')
	bad=""
	count=0
	for p in $paths; do
		count=$((count + 1))
		for m in GET POST; do
			code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X "$m" -H 'Content-Type: application/json' \
				-d '{}' "$GW$p")
			case $code in 404 | 502 | 000) bad="$bad $m $p=$code" ;; esac
			# One method the service knows is enough: 405 also proves the path is its own.
			[ "$code" != 405 ] && break
		done
	done
	if [ -z "$bad" ]; then
		ok "${svc}_every_route_reaches_the_service ($count paths)"
	else
		not_ok "${svc}_every_route_reaches_the_service" "$bad"
	fi
done
[ -n "$running" ] || not_ok services_built "no service binary in $BUILD/bin (run make)"
exit "$failed"
