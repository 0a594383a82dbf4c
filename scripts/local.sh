# local.sh: helpers shared by scripts/up.sh and scripts/down.sh (sourced, not run).
#
# The local stack lives in $RUN (default .run/ in the repository):
#   svc-<name>.pid / .stamp   pid of a running service and what it was started with
#   logs/<name>.log           each service's JSON log lines (stderr), plus links to the
#                             gateway, PostgreSQL and redis logs
#   admin.env                 the admin login (made once)
#   gateway/                  the rendered gateway bundle (scripts/gateway.sh render)
#   nginx/ pg/ redis/         managed by scripts/stack.sh
# Expects ROOT (the repository) to be set by the caller.

RUN=${AXR_RUN_DIR:-$ROOT/.run}
BUILD=${AXR_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
STACK=$ROOT/scripts/stack.sh
GATEWAY=$ROOT/scripts/gateway.sh

die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
warn() { printf '%s: %s\n' "$PROG" "$*" >&2; }

# Prints $1 relative to the current folder when it is inside it (shorter tables).
rel() {
	case $1 in
	"$PWD"/*) echo "${1#"$PWD"/}" ;;
	*) echo "$1" ;;
	esac
}

# run_locked "$@": runs the calling script again under flock(1) on $RUN/.lock so that make up
# and make down never overlap; -o keeps the lock out of the daemons the script starts (they
# would hold it for ever). Returns in the locked copy.
run_locked() {
	[ "${_AXR_RUN_LOCKED:-}" = "$RUN" ] && return 0
	mkdir -p "$RUN" || die "cannot create $RUN"
	_rc=0
	_AXR_RUN_LOCKED=$RUN flock -o -E 99 -w 120 "$RUN/.lock" sh "$ROOT/scripts/$PROG.sh" "$@" || _rc=$?
	[ "$_rc" -ne 99 ] || die "another make up or make down holds $RUN/.lock"
	exit "$_rc"
}

# Prints the pid of service $1 when the process in its pid file is alive and still is
# build/bin/axr-$1 (a reused pid is not ours); fails otherwise.
service_pid() {
	_f=$RUN/svc-$1.pid
	[ -r "$_f" ] || return 1
	_pid=$(head -n 1 "$_f" | tr -dc 0-9)
	[ -n "$_pid" ] && kill -0 "$_pid" 2>/dev/null || return 1
	tr '\0' '\n' <"/proc/$_pid/cmdline" 2>/dev/null | head -n 1 | grep -q "/axr-$1\$" || return 1
	echo "$_pid"
}

# Stops the services named in the arguments: SIGTERM to all at once (they drain), then waits
# up to AXR_DOWN_TIMEOUT seconds (default 20) for all of them, then SIGKILL for the rest.
# Prints one line per service stopped.
stop_services() {
	_pids=
	for _s in "$@"; do
		if _p=$(service_pid "$_s"); then
			kill -TERM "$_p" 2>/dev/null && _pids="$_pids $_s:$_p"
		else
			rm -f "$RUN/svc-$_s.pid" "$RUN/svc-$_s.stamp"
		fi
	done
	[ -n "$_pids" ] || return 0
	_left=$((${AXR_DOWN_TIMEOUT:-20} * 10))
	while [ "$_left" -gt 0 ]; do
		_alive=0
		for _sp in $_pids; do
			kill -0 "${_sp#*:}" 2>/dev/null && _alive=1
		done
		[ "$_alive" -eq 0 ] && break
		_left=$((_left - 1))
		sleep 0.1
	done
	for _sp in $_pids; do
		_s=${_sp%%:*}
		_p=${_sp#*:}
		if kill -0 "$_p" 2>/dev/null; then
			kill -KILL "$_p" 2>/dev/null
			warn "$_s (pid $_p) did not exit within ${AXR_DOWN_TIMEOUT:-20} s of SIGTERM: killed"
		else
			echo "stopped $_s (pid $_p)"
		fi
		rm -f "$RUN/svc-$_s.pid" "$RUN/svc-$_s.stamp"
	done
}
