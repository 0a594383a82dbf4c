# platform.sh: the whole platform for a test (sourced, not run): scripts/up.sh in a temp folder on free ports.
#
#   platform_up [VAR=VALUE...]   starts PostgreSQL, redis, every built service and nginx as `make up`
#                                does, in $PLAT_RUN, never on the ports of a running `make up`;
#                                returns non-zero (the up.sh output in $PLAT_RUN.up.out) on failure
#   platform_down                stops all of it (also run on exit by the caller's trap: call it there)
#   plat_port NAME               the port service NAME listens on
#   plat_pid NAME                its pid
#
# After platform_up:
#   PLAT_GATEWAY      http://127.0.0.1:PORT (nginx; the /v1 routes)
#   PLAT_GW_PORT      its port
#   PLAT_PG_PORT      the PostgreSQL port (user postgres, databases of scripts/services.list)
#   PLAT_REDIS_URL    redis://127.0.0.1:PORT
#   PLAT_ADMIN_NAME, PLAT_ADMIN_PASSWORD   the admin login every service got
#   PLAT_KEYS         the folder of the stack's signing key pair (jwt-private.pem, jwt-public.pem)
#
# Needs ROOT (repository root) and BUILD (absolute build folder) set by the caller.

PLAT_DIR=$(mktemp -d "${AXR_TEST_TMP:-${TMPDIR:-/tmp}}/axr-platform.XXXXXX") || exit 2
chmod 755 "$PLAT_DIR"
PLAT_RUN=$PLAT_DIR/run
PLAT_KEYS=$PLAT_RUN/keys

# A port offset under which every service port of services.list is free.
plat__offset() {
	_tries=0
	while [ "$_tries" -lt 50 ]; do
		_base=$(sh "$ROOT/scripts/stack.sh" free-port) || return 1
		_off=$((_base - 8100))
		_busy=0
		for _p in $(sh "$ROOT/scripts/gateway.sh" services | awk -v o="$_off" '{ print $2 + o }'); do
			if ss -Hltn "sport = :$_p" 2>/dev/null | grep -q .; then
				_busy=1
			fi
		done
		[ "$_busy" = 0 ] && { echo "$_off"; return 0; }
		_tries=$((_tries + 1))
	done
	return 1
}

platform_up() {
	PLAT_PG_PORT=$(sh "$ROOT/scripts/stack.sh" free-port) || return 1
	PLAT_REDIS_PORT=$(sh "$ROOT/scripts/stack.sh" free-port) || return 1
	PLAT_GW_PORT=$(sh "$ROOT/scripts/stack.sh" free-port) || return 1
	PLAT_PORT_OFFSET=$(plat__offset) || return 1
	PLAT_GATEWAY=http://127.0.0.1:$PLAT_GW_PORT
	PLAT_REDIS_URL=redis://127.0.0.1:$PLAT_REDIS_PORT
	PLAT_ADMIN_NAME=admin
	PLAT_ADMIN_PASSWORD=admin-password-$$
	env -u AXR_DATABASE_URL -u AXR_REDIS_URL AXR_RUN_DIR="$PLAT_RUN" AXR_BUILD="$BUILD" \
		AXR_UP_PG_PORT="$PLAT_PG_PORT" AXR_UP_REDIS_PORT="$PLAT_REDIS_PORT" \
		AXR_UP_GATEWAY="127.0.0.1:$PLAT_GW_PORT" AXR_UP_PORT_OFFSET="$PLAT_PORT_OFFSET" \
		AXR_UP_READY_TIMEOUT=40 AXR_DOWN_TIMEOUT=10 \
		AXR_ADMIN_NAME="$PLAT_ADMIN_NAME" AXR_ADMIN_PASSWORD="$PLAT_ADMIN_PASSWORD" \
		"$@" sh "$ROOT/scripts/up.sh" >"$PLAT_DIR/up.out" 2>&1
}

platform_down() {
	[ -d "$PLAT_RUN" ] && AXR_RUN_DIR="$PLAT_RUN" AXR_BUILD="$BUILD" AXR_DOWN_TIMEOUT=10 \
		sh "$ROOT/scripts/down.sh" >/dev/null 2>&1
	rm -rf "$PLAT_DIR"
}

plat_port() {
	sh "$ROOT/scripts/gateway.sh" services | awk -v n="$1" -v o="$PLAT_PORT_OFFSET" '$1 == n { print $2 + o }'
}

plat_pid() {
	cat "$PLAT_RUN/svc-$1.pid" 2>/dev/null
}
