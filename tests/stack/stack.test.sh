#!/bin/sh
# stack.test.sh: scripts/stack.sh starts, stops and restarts PostgreSQL, redis and nginx idempotently.
set -u

ROOT=${AXR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
STACK=$ROOT/scripts/stack.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/axr-stack-test.XXXXXX")
failed=0

cleanup() {
	"$STACK" nginx-stop "$T" >/dev/null 2>&1
	"$STACK" redis-stop "$T" >/dev/null 2>&1
	"$STACK" redis-stop "$T/other" >/dev/null 2>&1
	"$STACK" pg-stop "$T" immediate >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { echo "ok - $1"; }
not_ok() {
	echo "not ok - $1: $2"
	failed=1
}

# check NAME CMD...: the command succeeds and prints nothing on stdout or stderr.
check_silent() {
	_name=$1
	shift
	if _out=$("$@" 2>&1); then
		if [ -z "$_out" ]; then ok "$_name"; else not_ok "$_name" "printed: $_out"; fi
	else
		not_ok "$_name" "exit $?: $_out"
	fi
}

PSQL=$(pg_config --bindir)/psql
psql_value() { "$PSQL" -X -q -t -A -d "$1" -c "$2" 2>&1; }

PG_PORT=$("$STACK" free-port)
REDIS_PORT=$("$STACK" free-port)
NGINX_PORT=$("$STACK" free-port)
case $PG_PORT in
'' | *[!0-9]*) not_ok free_port_prints_a_number "got '$PG_PORT'" ;;
*) if [ "$PG_PORT" -ge 1024 ] && [ "$PG_PORT" -le 65535 ]; then ok free_port_prints_a_number; else
	not_ok free_port_prints_a_number "got $PG_PORT"; fi ;;
esac
URL=$("$STACK" pg-url "$PG_PORT" axr_stack)
[ "$URL" = "postgresql://postgres@127.0.0.1:$PG_PORT/axr_stack" ] && ok pg_url_names_port_and_db ||
	not_ok pg_url_names_port_and_db "got $URL"

# --- PostgreSQL, twice ---
for round in 1 2; do
	check_silent "pg_start_round_${round}_is_silent" "$STACK" pg-start "$T" "$PG_PORT"
	check_silent "pg_start_again_while_running_round_$round" "$STACK" pg-start "$T" "$PG_PORT"
	"$STACK" pg-status "$T" && ok "pg_status_running_round_$round" ||
		not_ok "pg_status_running_round_$round" "exit $?"
	check_silent "pg_createdb_round_$round" "$STACK" pg-createdb "$T" "$PG_PORT" axr_stack
	check_silent "pg_createdb_existing_round_$round" "$STACK" pg-createdb "$T" "$PG_PORT" axr_stack
	v=$(psql_value "$URL" "SELECT current_database() || ':' || current_setting('max_connections')")
	[ "$v" = "axr_stack:200" ] && ok "pg_serves_created_db_round_$round" ||
		not_ok "pg_serves_created_db_round_$round" "want axr_stack:200, got $v"
	if [ "$round" = 1 ]; then
		psql_value "$URL" "CREATE TABLE keep (x int); INSERT INTO keep VALUES (42)" >/dev/null
	else
		v=$(psql_value "$URL" "SELECT x FROM keep")
		[ "$v" = 42 ] && ok pg_data_survives_restart || not_ok pg_data_survives_restart "got $v"
	fi
	v=$(psql_value "postgresql://postgres@localhost:$PG_PORT/postgres?host=::1" "SELECT 1")
	[ "$v" != 1 ] && ok "pg_listens_on_127_0_0_1_only_round_$round" ||
		not_ok "pg_listens_on_127_0_0_1_only_round_$round" "::1 answered"
	if "$STACK" pg-start "$T" "$REDIS_PORT" 2>/dev/null; then
		not_ok "pg_start_on_other_port_while_running_fails_round_$round" "exit 0"
	else
		ok "pg_start_on_other_port_while_running_fails_round_$round"
	fi
	[ "$round" = 1 ] && mode=fast || mode=immediate
	check_silent "pg_stop_${mode}_round_$round" "$STACK" pg-stop "$T" "$mode"
	check_silent "pg_stop_again_round_$round" "$STACK" pg-stop "$T" "$mode"
	"$STACK" pg-status "$T"
	rc=$?
	[ "$rc" = 3 ] && ok "pg_status_stopped_round_$round" ||
		not_ok "pg_status_stopped_round_$round" "want exit 3, got $rc"
	v=$(psql_value "$URL" "SELECT 1")
	[ "$v" != 1 ] && ok "pg_really_stopped_round_$round" ||
		not_ok "pg_really_stopped_round_$round" "still answers"
done
check_silent pg_stop_without_cluster_is_harmless "$STACK" pg-stop "$T/none"

# --- redis, twice ---
RURL=$("$STACK" redis-url "$REDIS_PORT")
[ "$RURL" = "redis://127.0.0.1:$REDIS_PORT" ] && ok redis_url_names_port || not_ok redis_url_names_port "got $RURL"
for round in 1 2; do
	check_silent "redis_start_round_$round" "$STACK" redis-start "$T" "$REDIS_PORT"
	pid1=$(cat "$T/redis/redis.pid" 2>/dev/null)
	check_silent "redis_start_again_while_running_round_$round" "$STACK" redis-start "$T" "$REDIS_PORT"
	pid2=$(cat "$T/redis/redis.pid" 2>/dev/null)
	[ -n "$pid1" ] && [ "$pid1" = "$pid2" ] && ok "redis_start_again_keeps_same_server_round_$round" ||
		not_ok "redis_start_again_keeps_same_server_round_$round" "pid $pid1 then $pid2"
	v=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>&1)
	[ "$v" = PONG ] && ok "redis_answers_round_$round" || not_ok "redis_answers_round_$round" "got $v"
	v=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" config get save 2>&1 | sed -n 2p)
	[ -z "$v" ] && ok "redis_has_no_persistence_round_$round" ||
		not_ok "redis_has_no_persistence_round_$round" "save is '$v'"
	check_silent "redis_stop_round_$round" "$STACK" redis-stop "$T"
	check_silent "redis_stop_again_round_$round" "$STACK" redis-stop "$T"
	v=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>&1)
	[ "$v" != PONG ] && ok "redis_really_stopped_round_$round" ||
		not_ok "redis_really_stopped_round_$round" "still answers"
done
"$STACK" redis-start "$T" "$REDIS_PORT" >/dev/null 2>&1
if "$STACK" redis-start "$T/other" "$REDIS_PORT" >/dev/null 2>&1; then
	not_ok redis_start_on_busy_port_fails "exit 0 although port $REDIS_PORT is taken"
else
	ok redis_start_on_busy_port_fails
fi
"$STACK" redis-stop "$T"

# --- nginx ---
cat >"$T/nginx.conf" <<EOF
worker_processes 1;
events { worker_connections 64; }
http {
	access_log logs/access.log;
	client_body_temp_path tmp/body;
	proxy_temp_path tmp/proxy;
	fastcgi_temp_path tmp/fastcgi;
	uwsgi_temp_path tmp/uwsgi;
	scgi_temp_path tmp/scgi;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		location / { default_type application/json; return 200 '{"ok":true}'; }
	}
}
EOF
echo 'no_such_directive on;' >"$T/bad.conf"
check_silent nginx_test_accepts_valid_conf "$STACK" nginx-test "$T/nginx.conf"
if "$STACK" nginx-test "$T/bad.conf" >/dev/null 2>&1; then
	not_ok nginx_test_rejects_bad_conf "exit 0"
else
	ok nginx_test_rejects_bad_conf
fi
for round in 1 2; do
	check_silent "nginx_start_round_$round" "$STACK" nginx-start "$T" "$T/nginx.conf"
	check_silent "nginx_start_again_reloads_round_$round" "$STACK" nginx-start "$T" "$T/nginx.conf"
	v=$(curl -s "http://127.0.0.1:$NGINX_PORT/")
	[ "$v" = '{"ok":true}' ] && ok "nginx_serves_round_$round" || not_ok "nginx_serves_round_$round" "got $v"
	check_silent "nginx_stop_round_$round" "$STACK" nginx-stop "$T"
	check_silent "nginx_stop_again_round_$round" "$STACK" nginx-stop "$T"
	if curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/"; then
		not_ok "nginx_really_stopped_round_$round" "still answers"
	else
		ok "nginx_really_stopped_round_$round"
	fi
done

exit "$failed"
