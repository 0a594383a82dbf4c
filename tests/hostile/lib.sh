# lib.sh: helpers for the hostile-client suites (sourced by tests/hostile/*.test.sh, not run).
#
# On top of tests/server/lib.sh (cases, axr-example servers, rawhttp):
#   gateway_start NAME=ADDRESS...   the repository's nginx.conf rendered as a gateway bundle
#                                   in $T/gw, every service not named pointing at a closed port;
#                                   sets GW_PORT; stopped on exit
#   rss_kb PID                      VmRSS of PID in KiB
#   nginx_rss_kb                    VmRSS of the gateway's master and workers, summed, in KiB
#   open_conns PORT                 axr_connections_open of the service on PORT
#   latency URL N                   N sequential GETs of URL, 50 ms apart; prints
#                                   "p50_ms max_ms statuses" (statuses: the distinct codes)
. "$(dirname "$0")/../server/lib.sh"

SLOWLORIS=$BUILD/tools/slowloris
GW_PORT=""

hostile_cleanup() {
	[ -n "$GW_PORT" ] && sh "$ROOT/scripts/stack.sh" nginx-stop "$T/gw" >/dev/null 2>&1
	lib_cleanup
}
trap hostile_cleanup EXIT

gateway_start() {
	_dead=$(sh "$ROOT/scripts/stack.sh" free-port) || return 1
	GW_PORT=$(sh "$ROOT/scripts/stack.sh" free-port) || return 1
	_ups=$(sh "$ROOT/scripts/gateway.sh" services | awk -v dead="127.0.0.1:$_dead" '{ print $1 "=" dead }')
	# shellcheck disable=SC2086 # NAME=ADDRESS words; later ones (the arguments) win
	AXR_GATEWAY_LISTEN=127.0.0.1:$GW_PORT sh "$ROOT/scripts/gateway.sh" render "$T/gw/bundle" "$@" $_ups \
		>"$T/gw.out" 2>&1 || { GW_PORT=""; return 1; }
	sh "$ROOT/scripts/stack.sh" nginx-start "$T/gw" "$T/gw/bundle/nginx.conf" >>"$T/gw.out" 2>&1 ||
		{ GW_PORT=""; return 1; }
	_tries=0
	until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$GW_PORT/healthz"; do
		_tries=$((_tries + 1))
		[ "$_tries" -lt 50 ] || return 1
		sleep 0.1
	done
}

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null; }

nginx_rss_kb() {
	_master=$(cat "$T/gw/nginx/nginx.pid" 2>/dev/null) || return 0
	_sum=$(rss_kb "$_master")
	for _w in $(pgrep -P "$_master"); do
		_sum=$((_sum + $(rss_kb "$_w")))
	done
	echo "$_sum"
}

open_conns() {
	curl -s --max-time 2 "http://127.0.0.1:$1/metrics" | sed -n 's/^axr_connections_open \([0-9]*\).*/\1/p'
}

latency() {
	_i=0
	: >"$T/lat"
	while [ "$_i" -lt "$2" ]; do
		curl -s -o /dev/null --max-time 5 -w '%{http_code} %{time_total}\n' "$1" >>"$T/lat"
		_i=$((_i + 1))
		sleep 0.05
	done
	_codes=$(cut -d ' ' -f 1 "$T/lat" | sort -u | tr '\n' ',' | sed 's/,$//')
	cut -d ' ' -f 2 "$T/lat" | sort -n | awk -v codes="$_codes" '
		{ t[NR] = $1 * 1000 }
		END { printf "%.1f %.1f %s\n", t[int((NR + 1) / 2)], t[NR], codes }'
}

# slowloris_wait_held FILE: waits (up to 20 s) until the tool printed "held N"; prints N.
slowloris_wait_held() {
	_tries=0
	while [ "$_tries" -lt 200 ]; do
		_held=$(sed -n 's/^held \([0-9]*\)$/\1/p' "$1")
		[ -n "$_held" ] && { echo "$_held"; return 0; }
		sleep 0.1
		_tries=$((_tries + 1))
	done
	echo 0
}

# slow_field FILE KIND KEY: a field of the tool's report line for KIND.
slow_field() { sed -n "s/^$2 .* $3=\\([^ ]*\\).*/\\1/p; s/^$2 $3=\\([^ ]*\\).*/\\1/p" "$1" | head -n 1; }
