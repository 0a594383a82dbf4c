#!/bin/sh
# gateway.sh: render and check the nginx gateway bundle (nginx.conf + gateway/ + per-environment files).
#
# Usage: scripts/gateway.sh COMMAND ARGS...
#
#   services                    print scripts/services.list without comments: NAME PORT DATABASE
#   render DIR [NAME=ADDRESS[,ADDRESS...]]...
#                               write the gateway bundle into DIR: DIR/nginx.conf and DIR/gateway/*.conf
#                               copied from the repository, DIR/gateway/listen.conf and
#                               DIR/gateway/upstreams.conf rendered for this environment:
#                                 listen address   $AXR_GATEWAY_LISTEN (default 127.0.0.1:8080)
#                                 upstream of NAME ADDRESS when given, else $AXR_GATEWAY_UPSTREAM
#                                                  with {name} and {port} replaced from
#                                                  services.list (default 127.0.0.1:{port});
#                                                  several comma-separated addresses are the
#                                                  replicas of NAME: one `server` line each
#                                                  (nginx balances them and retries a request
#                                                  that reached none on the next one)
#                               Run it with: nginx -p PREFIX/ -c DIR/nginx.conf (or stack.sh nginx-start).
#   check                       render with the defaults into a temp folder and run nginx -t on it
#
# Kubernetes: AXR_GATEWAY_LISTEN=8080 AXR_GATEWAY_UPSTREAM='axr-{name}:8080' scripts/gateway.sh
# render k8s/gateway/ renders the files that go into the gateway's ConfigMap.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
LIST=$ROOT/scripts/services.list

die() { printf 'gateway: error: %s\n' "$*" >&2; exit 1; }

# Prints the service table: NAME PORT DATABASE, one per line, comments and blanks dropped.
cmd_services() {
	[ -r "$LIST" ] || die "cannot read $LIST"
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$LIST" | awk -v f="$LIST" '
		NF != 3 || $1 !~ /^[a-z][a-z0-9_]*$/ || $2 !~ /^[0-9]+$/ || $3 !~ /^[A-Za-z_][A-Za-z0-9_]*$/ {
			printf "gateway: error: %s: bad line \"%s\" (want NAME PORT DATABASE)\n", f, $0 > "/dev/stderr"
			bad = 1; exit 1
		}
		seen[$1]++ { printf "gateway: error: %s: service %s listed twice\n", f, $1 > "/dev/stderr"; bad = 1; exit 1 }
		{ print $1, $2, $3 }
		END { exit bad }'
}

# Fails unless $1 is safe to paste into nginx.conf as an address (host:port, [v6]:port, port,
# unix:/path): no spaces, quotes, semicolons or braces.
check_address() {
	case $1 in
	'' | *[!A-Za-z0-9._:/\[\]-]*) die "bad address '$1'" ;;
	esac
}

# Fails unless $1 is one address or several, comma-separated (no empty one).
check_addresses() {
	case $1 in
	,* | *, | *,,*) die "bad address list '$1'" ;;
	esac
	_old_ifs=$IFS
	IFS=,
	for _one in $1; do
		check_address "$_one"
	done
	IFS=$_old_ifs
}

# Prints the upstream address of service $1 (port $2): an override NAME=ADDRESS from the
# remaining arguments, else the pattern.
upstream_address() {
	_name=$1
	_port=$2
	shift 2
	for _a in "$@"; do
		case $_a in
		"$_name"=*) echo "${_a#*=}"; return 0 ;;
		esac
	done
	_pattern=${AXR_GATEWAY_UPSTREAM:-}
	[ -n "$_pattern" ] || _pattern='127.0.0.1:{port}'
	printf '%s\n' "$_pattern" |
		sed -e "s/{name}/$_name/g" -e "s/{port}/$_port/g"
}

cmd_render() {
	[ $# -ge 1 ] || die "usage: render DIR [NAME=ADDRESS]..."
	_out=$1
	shift
	_services=$(cmd_services) || exit 1
	for _a in "$@"; do
		case $_a in
		*=*) ;;
		*) die "bad argument '$_a' (want NAME=ADDRESS)" ;;
		esac
		printf '%s\n' "$_services" | awk -v n="${_a%%=*}" '$1 == n { f = 1 } END { exit !f }' ||
			die "unknown service '${_a%%=*}' (not in scripts/services.list)"
		check_addresses "${_a#*=}"
	done
	_listen=${AXR_GATEWAY_LISTEN:-127.0.0.1:8080}
	check_address "$_listen"
	for _f in "$ROOT"/gateway/routes-*.conf; do
		[ -e "$_f" ] || continue
		_n=${_f##*/routes-}
		_n=${_n%.conf}
		printf '%s\n' "$_services" | awk -v n="$_n" '$1 == n { f = 1 } END { exit !f }' ||
			die "gateway/routes-$_n.conf: service $_n is not in scripts/services.list"
	done

	mkdir -p "$_out"
	_new=$_out/.render.$$
	rm -rf "$_new"
	mkdir -p "$_new/gateway"
	cp "$ROOT/nginx.conf" "$_new/nginx.conf"
	cp "$ROOT"/gateway/*.conf "$_new/gateway/"
	{
		echo "# gateway/listen.conf: rendered by scripts/gateway.sh from gateway/listen.conf.in. Do not edit."
		sed -e '/^##/d' -e "s/@LISTEN@/$_listen/g" "$ROOT/gateway/listen.conf.in"
	} >"$_new/gateway/listen.conf"
	{
		echo "# gateway/upstreams.conf: rendered by scripts/gateway.sh from gateway/upstream.conf.in"
		echo "# and scripts/services.list. Do not edit."
		printf '%s\n' "$_services" | while read -r _name _port _db; do
			_addr=$(upstream_address "$_name" "$_port" "$@")
			check_addresses "$_addr"
			# A line holding @ADDRESS@ is written once per address (replicas).
			sed -e '/^##/d' -e "s/@SERVICE@/$_name/g" "$ROOT/gateway/upstream.conf.in" |
				awk -v list="$_addr" '/@ADDRESS@/ {
					n = split(list, a, ",")
					for (i = 1; i <= n; i++) { l = $0; gsub(/@ADDRESS@/, a[i], l); print l }
					next
				}
				{ print }'
		done
	} >"$_new/gateway/upstreams.conf"
	# The old bundle goes only once the new one is complete.
	rm -rf "$_out/gateway" "$_out/nginx.conf"
	mv "$_new/gateway" "$_out/gateway"
	mv "$_new/nginx.conf" "$_out/nginx.conf"
	rmdir "$_new"
}

cmd_check() {
	[ $# -eq 0 ] || die "usage: check"
	_tmp=$(mktemp -d "${TMPDIR:-/tmp}/axr-gateway-check.XXXXXX")
	_rc=0
	{ cmd_render "$_tmp/bundle" && sh "$ROOT/scripts/stack.sh" nginx-test "$_tmp/bundle/nginx.conf"; } || _rc=$?
	rm -rf "$_tmp"
	[ "$_rc" -eq 0 ] || exit "$_rc"
	echo "gateway: configuration ok"
}

[ $# -ge 1 ] || die "usage: gateway.sh services | render DIR [NAME=ADDRESS]... | check"
cmd=$1
shift
case $cmd in
services) cmd_services "$@" ;;
render) cmd_render "$@" ;;
check) cmd_check "$@" ;;
-h | --help) sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' ;;
*) die "unknown command '$cmd' (see --help)" ;;
esac
