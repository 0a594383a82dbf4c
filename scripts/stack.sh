#!/bin/sh
# stack.sh: start and stop PostgreSQL, redis and nginx in a local folder (no systemd, no Docker).
#
# Usage: scripts/stack.sh [-v] COMMAND ARGS...
#
#   pg-start DIR PORT        initdb into DIR/pg if absent, then start it on 127.0.0.1:PORT
#                            (trust auth for 127.0.0.1 only, socket in DIR/pg, log DIR/pg.log)
#   pg-stop DIR [MODE]       stop it; MODE is fast (default), smart or immediate
#   pg-status DIR            exit 0 when running (prints "running PORT" with -v), 3 when not
#   pg-createdb DIR PORT DB  create database DB if it does not exist
#   pg-url PORT [DB]         print postgresql://postgres@127.0.0.1:PORT/DB (DB defaults to postgres)
#   redis-start DIR PORT     start redis on 127.0.0.1:PORT, files in DIR/redis, no persistence
#   redis-stop DIR           stop it
#   redis-status DIR         exit 0 when running, 3 when not
#   redis-url PORT           print redis://127.0.0.1:PORT
#   nginx-start DIR CONF     nginx -p DIR/nginx/ -c CONF; pid, error log, logs/ and tmp/ live in
#                            DIR/nginx (relative paths in CONF resolve there; CONF must not set
#                            `pid`). When already running, the configuration is tested and reloaded.
#   nginx-stop DIR [MODE]    stop it; MODE is fast (default, SIGTERM) or graceful (SIGQUIT)
#   nginx-test CONF          check CONF with nginx -t (prints nginx's complaint on failure)
#   free-port                print a TCP port that is free on 127.0.0.1
#
# Every command is idempotent: starting what runs or stopping what is stopped succeeds.
# Success prints nothing (except the *-url and free-port results) unless -v is given;
# a failure prints the reason and the tail of the relevant log to stderr and exits non-zero.
#
# PostgreSQL refuses to run as root. As root, initdb/pg_ctl/postgres run as the `postgres`
# system user (created if missing) and DIR/pg is owned by it. When that user cannot reach
# DIR (e.g. DIR is under /root), the cluster lives in /var/tmp/axr-pg-<hash>/ instead,
# DIR/pg and DIR/pg.log become symlinks to it, and a note says where.
set -eu

VERBOSE=${AXR_STACK_VERBOSE:-0}
PG_USER=postgres

say() { if [ "$VERBOSE" = 1 ]; then printf 'stack: %s\n' "$*"; fi; }
note() { printf 'stack: %s\n' "$*" >&2; }
die() { printf 'stack: error: %s\n' "$*" >&2; exit 1; }

# Prints the last lines of log file $1 to stderr, if it exists.
log_tail() {
	if [ -r "$1" ]; then
		printf 'stack: --- last lines of %s ---\n' "$1" >&2
		tail -n 25 "$1" >&2
	fi
}

check_port() {
	case $1 in
	'' | *[!0-9]*) die "bad port '$1'" ;;
	esac
	[ "$1" -ge 1 ] && [ "$1" -le 65535 ] || die "bad port '$1'"
}

# Prints an absolute path for directory $1, creating it first.
abs_dir() {
	mkdir -p "$1" || die "cannot create $1"
	(cd "$1" && pwd -P)
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Prints the PID in pidfile $1 when that process is alive; fails otherwise.
live_pid() {
	[ -r "$1" ] || return 1
	_pid=$(head -n 1 "$1" 2>/dev/null | tr -dc 0-9)
	[ -n "$_pid" ] && kill -0 "$_pid" 2>/dev/null || return 1
	echo "$_pid"
}

# poll TENTHS CMD...: runs CMD every 0.1 s until it succeeds (then succeeds) or TENTHS
# tries have failed or CMD exits 2 (then fails).
poll() {
	_left=$1
	shift
	while [ "$_left" -gt 0 ]; do
		_rc=0
		"$@" || _rc=$?
		[ "$_rc" -eq 0 ] && return 0
		[ "$_rc" -eq 2 ] && return 1
		_left=$((_left - 1))
		sleep 0.1
	done
	return 1
}

is_dead() { ! kill -0 "$1" 2>/dev/null; }

# Waits up to $2 tenths of a second for process $1 to exit; fails if it is still alive.
wait_gone() { poll "$2" is_dead "$1"; }

# Sends signal $2 to the process in pidfile $1 and waits for it to exit, escalating to
# SIGTERM after 15 s and SIGKILL after 5 more.
stop_pidfile() {
	_p=$(live_pid "$1") || { rm -f "$1"; return 0; }
	kill "-$2" "$_p" 2>/dev/null || true
	wait_gone "$_p" 150 && { rm -f "$1"; return 0; }
	kill -TERM "$_p" 2>/dev/null || true
	wait_gone "$_p" 50 && { rm -f "$1"; return 0; }
	kill -KILL "$_p" 2>/dev/null || true
	wait_gone "$_p" 50 || die "process $_p does not exit"
	rm -f "$1"
}

# --- PostgreSQL -------------------------------------------------------------

pg_bindir() {
	for _d in "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/*/bin; do
		if [ -n "$_d" ] && [ -x "$_d/pg_ctl" ] && [ -x "$_d/initdb" ]; then
			echo "$_d"
			return 0
		fi
	done
	die "PostgreSQL server binaries not found (need initdb and pg_ctl; run make deps)"
}

# Runs a command as the PostgreSQL owner: the postgres user when we are root, else ourselves.
as_pg() {
	if is_root; then
		runuser -u "$PG_USER" -- "$@"
	else
		"$@"
	fi
}

ensure_pg_user() {
	is_root || return 0
	id -u "$PG_USER" >/dev/null 2>&1 && return 0
	note "creating system user $PG_USER to run PostgreSQL (it refuses to run as root)"
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin "$PG_USER" || die "cannot create user $PG_USER"
}

# Prints the real data directory of the cluster belonging to DIR.
pg_datadir() {
	if [ -L "$1/pg" ]; then
		readlink -f "$1/pg"
	else
		echo "$1/pg"
	fi
}

# Decides where the cluster of DIR lives and creates that directory owned by the
# PostgreSQL user. Prints the data directory.
pg_prepare_datadir() {
	_dir=$1
	if [ -e "$_dir/pg" ]; then
		pg_datadir "$_dir"
		return 0
	fi
	if ! is_root; then
		mkdir -m 700 "$_dir/pg" || die "cannot create $_dir/pg"
		echo "$_dir/pg"
		return 0
	fi
	# The postgres user needs to traverse DIR. A mkdtemp folder is 0700, so let
	# others traverse (not list) DIR and those of its ancestors that are ours
	# and inside the temp folder; never touch anything else (e.g. /root).
	_tmp=$(cd "${TMPDIR:-/tmp}" 2>/dev/null && pwd -P || echo /tmp)
	_a=$_dir
	while [ "$_a" != / ] && ! runuser -u "$PG_USER" -- test -x "$_dir"; do
		case $_a in
		"$_dir" | "$_tmp"/*) [ -O "$_a" ] && chmod o+x "$_a" 2>/dev/null || true ;;
		esac
		_a=$(dirname "$_a")
	done
	if runuser -u "$PG_USER" -- test -x "$_dir"; then
		mkdir -m 700 "$_dir/pg" || die "cannot create $_dir/pg"
		chown "$PG_USER:" "$_dir/pg"
		echo "$_dir/pg"
		return 0
	fi
	_hash=$(printf '%s' "$_dir" | cksum | cut -d ' ' -f 1)
	_alt=/var/tmp/axr-pg-$_hash
	mkdir -p -m 711 "$_alt" || die "cannot create $_alt"
	chown "$PG_USER:" "$_alt"
	as_pg mkdir -p -m 700 "$_alt/pg"
	ln -s "$_alt/pg" "$_dir/pg"
	ln -sf "$_alt/pg.log" "$_dir/pg.log"
	note "user $PG_USER cannot reach $_dir; PostgreSQL data is in $_alt/pg, log in $_alt/pg.log"
	echo "$_alt/pg"
}

# Prints the port of the running cluster in data directory $1 (line 4 of postmaster.pid).
pg_running_port() {
	sed -n 4p "$1/postmaster.pid" 2>/dev/null
}

pg_is_running() {
	as_pg "$(pg_bindir)/pg_ctl" status -D "$1" >/dev/null 2>&1
}

cmd_pg_start() {
	[ $# -eq 2 ] || die "usage: pg-start DIR PORT"
	check_port "$2"
	_port=$2
	_bin=$(pg_bindir)
	ensure_pg_user
	_dir=$(abs_dir "$1")
	_data=$(pg_prepare_datadir "$_dir")
	_log=$(dirname "$_data")/pg.log
	[ -L "$_dir/pg" ] || _log=$_dir/pg.log

	if [ ! -s "$_data/PG_VERSION" ]; then
		say "initdb $_data"
		if ! as_pg "$_bin/initdb" -D "$_data" -U postgres -A trust -E UTF8 \
			--locale=C >"$_data.initdb.log" 2>&1; then
			log_tail "$_data.initdb.log"
			die "initdb failed in $_data"
		fi
		rm -f "$_data.initdb.log"
		# Trust only the unix socket (inside DIR) and 127.0.0.1.
		as_pg sh -c 'cat >"$1/pg_hba.conf"' sh "$_data" <<-'EOF'
		# pg_hba.conf: written by scripts/stack.sh; trust for local clients only.
		local all all trust
		host  all all 127.0.0.1/32 trust
		EOF
		as_pg sh -c 'echo "include_if_exists = '"'"'axr.conf'"'"'" >>"$1/postgresql.conf"' sh "$_data"
	fi

	if pg_is_running "$_data"; then
		_have=$(pg_running_port "$_data")
		[ "$_have" = "$_port" ] || die "PostgreSQL in $_data already runs on port $_have, not $_port"
		say "PostgreSQL already running on port $_port ($_data)"
		return 0
	fi

	# The socket path must fit in sun_path (107 bytes); without room, TCP only.
	_sock=$_data
	[ ${#_sock} -le 90 ] || _sock=
	as_pg sh -c 'cat >"$1/axr.conf"' sh "$_data" <<-EOF
	# axr.conf: rewritten by scripts/stack.sh pg-start on every start.
	listen_addresses = '127.0.0.1'
	port = $_port
	unix_socket_directories = '$_sock'
	max_connections = 200
	shared_buffers = 128MB
	dynamic_shared_memory_type = posix
	logging_collector = off
	log_min_messages = warning
	log_line_prefix = '%m [%p] '
	EOF
	if [ ! -e "$_log" ] || [ -L "$_dir/pg.log" ]; then
		as_pg touch "$_log" 2>/dev/null || { touch "$_log" && chown "$PG_USER:" "$_log"; }
	fi
	is_root && chown "$PG_USER:" "$_log" 2>/dev/null || true
	say "starting PostgreSQL on 127.0.0.1:$_port ($_data, log $_log)"
	if ! as_pg "$_bin/pg_ctl" start -w -t 60 -D "$_data" -l "$_log" >/dev/null 2>&1; then
		log_tail "$_log"
		die "PostgreSQL did not start on port $_port (data $_data)"
	fi
}

cmd_pg_stop() {
	[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: pg-stop DIR [fast|smart|immediate]"
	_mode=${2:-fast}
	case $_mode in fast | smart | immediate) ;; *) die "bad stop mode '$_mode'" ;; esac
	[ -e "$1/pg" ] || { say "no PostgreSQL in $1"; return 0; }
	_dir=$(abs_dir "$1")
	_data=$(pg_datadir "$_dir")
	pg_is_running "$_data" || { say "PostgreSQL in $_data is not running"; return 0; }
	say "stopping PostgreSQL ($_data, $_mode)"
	if ! as_pg "$(pg_bindir)/pg_ctl" stop -w -t 60 -m "$_mode" -D "$_data" >/dev/null 2>&1; then
		pg_is_running "$_data" || return 0
		log_tail "$_dir/pg.log"
		die "PostgreSQL in $_data did not stop"
	fi
}

cmd_pg_status() {
	[ $# -eq 1 ] || die "usage: pg-status DIR"
	[ -e "$1/pg" ] || { say "no PostgreSQL in $1"; exit 3; }
	_data=$(pg_datadir "$(abs_dir "$1")")
	if pg_is_running "$_data"; then
		say "running $(pg_running_port "$_data")"
		return 0
	fi
	say "stopped"
	exit 3
}

cmd_pg_createdb() {
	[ $# -eq 3 ] || die "usage: pg-createdb DIR PORT NAME"
	check_port "$2"
	[ -n "$3" ] || die "empty database name"
	_bin=$(pg_bindir)
	_exists() {
		printf '%s\n' "SELECT 1 FROM pg_database WHERE datname = :'name';" |
			"$_bin/psql" -X -q -t -A -h 127.0.0.1 -p "$2" -U postgres -d postgres \
				-v ON_ERROR_STOP=1 -v name="$3" 2>/dev/null | grep -qx 1
	}
	_exists "$@" && { say "database $3 exists"; return 0; }
	if ! _err=$("$_bin/createdb" -h 127.0.0.1 -p "$2" -U postgres -- "$3" 2>&1); then
		# Another caller may have created it meanwhile.
		_exists "$@" && return 0
		printf '%s\n' "$_err" >&2
		die "cannot create database $3 on port $2 (is PostgreSQL in $1 running?)"
	fi
	say "created database $3"
}

# Prints $1 percent-encoded for use in a URL path (RFC 3986 unreserved bytes kept).
url_encode() {
	printf '%s' "$1" | od -An -v -tx1 | awk '
		{ for (i = 1; i <= NF; i++) {
			n = (index("0123456789abcdef", substr($i, 1, 1)) - 1) * 16 + \
				index("0123456789abcdef", substr($i, 2, 1)) - 1
			if ((n >= 48 && n <= 57) || (n >= 65 && n <= 90) || (n >= 97 && n <= 122) ||
				n == 45 || n == 46 || n == 95 || n == 126)
				printf "%c", n
			else
				printf "%%%s", toupper($i)
		} }'
}

cmd_pg_url() {
	[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: pg-url PORT [DB]"
	check_port "$1"
	echo "postgresql://postgres@127.0.0.1:$1/$(url_encode "${2:-postgres}")"
}

# --- redis ------------------------------------------------------------------

# Succeeds when redis on port $2 is the server of pid file $1/redis.pid; exits 2 when
# that server reported it cannot listen.
redis_is_ours() {
	if _pid=$(live_pid "$1/redis.pid"); then
		_id=$(redis-cli -h 127.0.0.1 -p "$2" info server 2>/dev/null |
			sed -n 's/^process_id:\([0-9]*\).*/\1/p')
		[ "$_id" = "$_pid" ] && return 0
	fi
	grep -q "Could not create server TCP listening socket" "$1/redis.log" 2>/dev/null && return 2
	return 1
}

cmd_redis_start() {
	[ $# -eq 2 ] || die "usage: redis-start DIR PORT"
	check_port "$2"
	command -v redis-server >/dev/null 2>&1 || die "redis-server not found (run make deps)"
	_rd=$(abs_dir "$1/redis")
	if _pid=$(live_pid "$_rd/redis.pid"); then
		_have=$(cat "$_rd/port" 2>/dev/null || echo "?")
		[ "$_have" = "$2" ] || die "redis in $_rd already runs on port $_have, not $2"
		say "redis already running on port $2 (pid $_pid)"
		return 0
	fi
	rm -f "$_rd/redis.pid"
	[ ! -f "$_rd/redis.log" ] || mv -f "$_rd/redis.log" "$_rd/redis.log.old"
	echo "$2" >"$_rd/port"
	say "starting redis on 127.0.0.1:$2 ($_rd)"
	if ! redis-server --daemonize yes --port "$2" --bind 127.0.0.1 --protected-mode yes \
		--dir "$_rd" --pidfile "$_rd/redis.pid" --logfile "$_rd/redis.log" \
		--save '' --appendonly no --loglevel warning >/dev/null 2>&1; then
		log_tail "$_rd/redis.log"
		die "redis did not start on port $2"
	fi
	# Daemonized: wait (up to 10 s) until the server on the port is the one
	# whose pid file we asked for (another program may already hold the port).
	if ! poll 100 redis_is_ours "$_rd" "$2"; then
		log_tail "$_rd/redis.log"
		die "redis on port $2 does not answer"
	fi
}

cmd_redis_stop() {
	[ $# -eq 1 ] || die "usage: redis-stop DIR"
	[ -d "$1/redis" ] || { say "no redis in $1"; return 0; }
	say "stopping redis in $1/redis"
	stop_pidfile "$1/redis/redis.pid" TERM
}

cmd_redis_status() {
	[ $# -eq 1 ] || die "usage: redis-status DIR"
	if _pid=$(live_pid "$1/redis/redis.pid"); then
		say "running $(cat "$1/redis/port" 2>/dev/null) (pid $_pid)"
		return 0
	fi
	say "stopped"
	exit 3
}

cmd_redis_url() {
	[ $# -eq 1 ] || die "usage: redis-url PORT"
	check_port "$1"
	echo "redis://127.0.0.1:$1"
}

# --- nginx ------------------------------------------------------------------

nginx_bin() {
	for _n in "$(command -v nginx 2>/dev/null || true)" /usr/sbin/nginx; do
		[ -n "$_n" ] && [ -x "$_n" ] && { echo "$_n"; return 0; }
	done
	die "nginx not found (run make deps)"
}

# Prints the absolute path of file $1.
abs_file() {
	[ -f "$1" ] || die "no such file: $1"
	echo "$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")"
}

# Runs nginx with prefix $1 (ends in /), conf $2 and further arguments.
run_nginx() {
	_pre=$1
	_conf=$2
	shift 2
	"$(nginx_bin)" -p "$_pre" -c "$_conf" -e "${_pre}error.log" \
		-g "pid ${_pre}nginx.pid;" "$@"
}

cmd_nginx_start() {
	[ $# -eq 2 ] || die "usage: nginx-start DIR CONF"
	_conf=$(abs_file "$2")
	_nd=$(abs_dir "$1/nginx")
	mkdir -p "$_nd/logs" "$_nd/tmp"
	if ! _out=$(run_nginx "$_nd/" "$_conf" -t -q 2>&1); then
		printf '%s\n' "$_out" >&2
		die "nginx configuration $2 is invalid"
	fi
	if _pid=$(live_pid "$_nd/nginx.pid"); then
		say "nginx already running (pid $_pid); reloading $2"
		kill -HUP "$_pid"
		return 0
	fi
	say "starting nginx ($_conf, prefix $_nd)"
	if ! run_nginx "$_nd/" "$_conf" >/dev/null 2>&1; then
		log_tail "$_nd/error.log"
		die "nginx did not start"
	fi
	if ! poll 50 live_pid "$_nd/nginx.pid" >/dev/null; then
		log_tail "$_nd/error.log"
		die "nginx did not write its pid file"
	fi
}

cmd_nginx_stop() {
	[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: nginx-stop DIR [fast|graceful]"
	case ${2:-fast} in
	fast) _sig=TERM ;;
	graceful) _sig=QUIT ;;
	*) die "bad stop mode '$2'" ;;
	esac
	[ -d "$1/nginx" ] || { say "no nginx in $1"; return 0; }
	say "stopping nginx in $1/nginx"
	stop_pidfile "$1/nginx/nginx.pid" "$_sig"
}

cmd_nginx_test() {
	[ $# -eq 1 ] || die "usage: nginx-test CONF"
	_conf=$(abs_file "$1")
	_tmp=$(mktemp -d "${TMPDIR:-/tmp}/axr-nginx-test.XXXXXX")
	mkdir -p "$_tmp/logs" "$_tmp/tmp"
	_rc=0
	_out=$(run_nginx "$_tmp/" "$_conf" -t -q 2>&1) || _rc=$?
	rm -rf "$_tmp"
	if [ "$_rc" -ne 0 ]; then
		printf '%s\n' "$_out" >&2
		die "nginx configuration $1 is invalid"
	fi
	say "nginx configuration $1 is valid"
}

# --- ports ------------------------------------------------------------------

# Succeeds when no TCP socket (any state, IPv4 or IPv6) uses local port $1.
port_unused() {
	_hex=$(printf '%04X' "$1")
	! cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		awk -v p=":$_hex" 'NR > 1 && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }'
}

# Prints a port below the ephemeral range (so outgoing connections never take it),
# chosen at random so that parallel callers rarely collide.
cmd_free_port() {
	[ $# -eq 0 ] || die "usage: free-port"
	_try=0
	while [ "$_try" -lt 200 ]; do
		_r=$(od -An -N2 -tu2 /dev/urandom | tr -dc 0-9)
		_p=$((20000 + _r % 12000))
		if port_unused "$_p"; then
			echo "$_p"
			return 0
		fi
		_try=$((_try + 1))
	done
	die "no free port found"
}

# --- main -------------------------------------------------------------------

while [ $# -gt 0 ]; do
	case $1 in
	-v) VERBOSE=1; shift ;;
	-h | --help) sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || die "usage: stack.sh [-v] COMMAND ARGS... (see --help)"
cmd=$1
shift
case $cmd in
pg-start) cmd_pg_start "$@" ;;
pg-stop) cmd_pg_stop "$@" ;;
pg-status) cmd_pg_status "$@" ;;
pg-createdb) cmd_pg_createdb "$@" ;;
pg-url) cmd_pg_url "$@" ;;
redis-start) cmd_redis_start "$@" ;;
redis-stop) cmd_redis_stop "$@" ;;
redis-status) cmd_redis_status "$@" ;;
redis-url) cmd_redis_url "$@" ;;
nginx-start) cmd_nginx_start "$@" ;;
nginx-stop) cmd_nginx_stop "$@" ;;
nginx-test) cmd_nginx_test "$@" ;;
free-port) cmd_free_port "$@" ;;
*) die "unknown command '$cmd' (see --help)" ;;
esac
