#!/bin/sh
# up.test.sh: scripts/up.sh starts the local platform idempotently and scripts/down.sh stops all of it.
#
# Runs a whole stack in a temp folder (AXR_RUN_DIR) on free ports (AXR_UP_* and a service port
# offset), so it never touches .run/ or the ports of a running `make up`.
set -u

ROOT=${AXR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${AXR_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
STACK=$ROOT/scripts/stack.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/axr-up-test.XXXXXX")
chmod 755 "$T"
# The stack of this test runs the example service alone: a build folder of its
# own holds just that binary, so every other service of services.list is
# "not built", as on a partial build, whatever this checkout has built.
mkdir -p "$T/build/bin"
[ -x "$BUILD/bin/axr-example" ] && ln -s "$BUILD/bin/axr-example" "$T/build/bin/axr-example"
BUILD=$T/build

unset AXR_DATABASE_URL AXR_REDIS_URL AXR_ADMIN_NAME AXR_ADMIN_PASSWORD AXR_LOG_LEVEL
export AXR_RUN_DIR="$T/run" AXR_BUILD="$BUILD" AXR_UP_READY_TIMEOUT=20 AXR_DOWN_TIMEOUT=10
export AXR_UP_PG_PORT="$(sh "$STACK" free-port)"
export AXR_UP_REDIS_PORT="$(sh "$STACK" free-port)"
GW_PORT=$(sh "$STACK" free-port)
export AXR_UP_GATEWAY="127.0.0.1:$GW_PORT"
EX_PORT=$(sh "$STACK" free-port)
example_line=$(sh "$ROOT/scripts/gateway.sh" services | awk '$1 == "example"')
export AXR_UP_PORT_OFFSET=$((EX_PORT - $(echo "$example_line" | awk '{ print $2 }')))

cleanup() {
	sh "$ROOT/scripts/down.sh" >/dev/null 2>&1
	rm -rf "$T"
}
. "$ROOT/tests/gateway/tap.sh"

if [ -z "$example_line" ] || [ ! -x "$BUILD/bin/axr-example" ]; then
	not_ok example_service_available "no example line in services.list or no $BUILD/bin/axr-example"
	exit 1
fi

# up NAME [VAR=VALUE...]: runs up.sh (with the settings) into $T/up.out; the run must succeed.
up() {
	_name=$1
	shift
	if env "$@" sh "$ROOT/scripts/up.sh" >"$T/up.out" 2>&1; then
		ok "$_name"
	else
		not_ok "$_name" "exit $?: $(tail -n 20 "$T/up.out")"
	fi
}

# state_of PART: the STATE column of PART in the last table.
state_of() { awk -v p="$1" '$1 == p { s = $0; sub(/^ *[^ ]+ +[^ ]+( \(db [^)]*\))? +/, "", s); sub(/  +.*$/, "", s); print s }' "$T/up.out"; }
example_pid() { cat "$T/run/svc-example.pid" 2>/dev/null; }
status_through_gateway() { curl -s --max-time 5 "http://127.0.0.1:$GW_PORT/v1/example/status"; }

# --- first start ---
up first_up_succeeds
case $(state_of example) in
"started, pid "*) ok first_up_starts_example ;;
*) not_ok first_up_starts_example "state '$(state_of example)': $(cat "$T/up.out")" ;;
esac
[ "$(state_of postgresql)" = started ] && [ "$(state_of redis)" = started ] && [ "$(state_of gateway)" = started ] &&
	ok first_up_starts_postgresql_redis_gateway ||
	not_ok first_up_starts_postgresql_redis_gateway "$(cat "$T/up.out")"
grep -q "^  account  *-  *not built" "$T/up.out" && ok absent_service_listed_as_not_built ||
	not_ok absent_service_listed_as_not_built "$(grep account "$T/up.out")"
case $(status_through_gateway) in
*'"name":"example"'*) ok chain_client_gateway_service_works ;;
*) not_ok chain_client_gateway_service_works "got: $(status_through_gateway)" ;;
esac
v=$(psql -X -q -t -A -h 127.0.0.1 -p "$AXR_UP_PG_PORT" -U postgres -d axr_example -c 'SELECT current_database()' 2>&1)
[ "$v" = axr_example ] && ok service_database_created || not_ok service_database_created "got $v"
pw=$(sed -n 's/^AXR_ADMIN_PASSWORD=//p' "$T/run/admin.env" 2>/dev/null)
mode=$(stat -c %a "$T/run/admin.env" 2>/dev/null)
[ ${#pw} -ge 20 ] && [ "$mode" = 600 ] && grep -q "admin login   admin / $pw" "$T/up.out" &&
	ok admin_login_generated_private_and_printed || not_ok admin_login_generated_private_and_printed \
	"password '$pw', mode $mode"
tr '\0' '\n' <"/proc/$(example_pid)/environ" >"$T/env" 2>/dev/null
grep -qx "AXR_DATABASE_URL=postgresql://postgres@127.0.0.1:$AXR_UP_PG_PORT/axr_example" "$T/env" &&
	grep -qx "AXR_ADMIN_PASSWORD=$pw" "$T/env" && grep -qx "AXR_REDIS_URL=redis://127.0.0.1:$AXR_UP_REDIS_PORT" "$T/env" &&
	ok service_gets_its_db_redis_and_admin_login ||
	not_ok service_gets_its_db_redis_and_admin_login "$(grep '^AXR_' "$T/env")"
[ -s "$T/run/logs/example.log" ] && [ -L "$T/run/logs/gateway.access.log" ] && ok logs_in_one_folder ||
	not_ok logs_in_one_folder "$(ls -l "$T/run/logs")"

# --- again: nothing changes ---
pid1=$(example_pid)
up second_up_succeeds
[ "$(state_of example)" = "running, pid $pid1" ] && [ "$(state_of postgresql)" = running ] &&
	[ "$(state_of gateway)" = reloaded ] && ok second_up_leaves_everything_running ||
	not_ok second_up_leaves_everything_running "$(cat "$T/up.out")"

# --- a changed setting restarts the service ---
up third_up_with_new_setting_succeeds AXR_LOG_LEVEL=debug
pid2=$(example_pid)
if [ "$(state_of example)" = "restarted, pid $pid2" ] && [ "$pid2" != "$pid1" ] && ! kill -0 "$pid1" 2>/dev/null; then
	ok changed_setting_restarts_service
else
	not_ok changed_setting_restarts_service "pid $pid1 -> $pid2: $(grep example "$T/up.out")"
fi
grep -q '"msg":"signal 15: shutting down"' "$T/run/logs/example.log" && ok restart_drains_with_sigterm ||
	not_ok restart_drains_with_sigterm "no SIGTERM shutdown in the example log"

# --- down ---
nginx_pid=$(cat "$T/run/nginx/nginx.pid" 2>/dev/null)
redis_pid=$(cat "$T/run/redis/redis.pid" 2>/dev/null)
if out=$(sh "$ROOT/scripts/down.sh" 2>&1); then ok down_succeeds; else not_ok down_succeeds "$out"; fi
alive=
for p in "$pid2" "$nginx_pid" "$redis_pid"; do
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null && alive="$alive $p"
done
sh "$STACK" pg-status "$T/run" >/dev/null 2>&1 && alive="$alive postgresql"
[ -z "$alive" ] && ok down_stops_everything || not_ok down_stops_everything "still alive:$alive"
if out=$(sh "$ROOT/scripts/down.sh" 2>&1); then ok second_down_is_harmless; else
	not_ok second_down_is_harmless "$out"; fi

# --- up after down: same data, same login ---
up up_after_down_succeeds
pw2=$(sed -n 's/^AXR_ADMIN_PASSWORD=//p' "$T/run/admin.env" 2>/dev/null)
[ "$pw2" = "$pw" ] && ok admin_login_kept_across_down_up || not_ok admin_login_kept_across_down_up "changed"
case $(status_through_gateway) in
*'"name":"example"'*) ok chain_works_after_down_up ;;
*) not_ok chain_works_after_down_up "got: $(status_through_gateway)" ;;
esac

exit "$failed"
