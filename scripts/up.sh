#!/bin/sh
# up.sh: run the whole platform on this machine (make up): PostgreSQL, redis, every built
# service, and the nginx gateway on http://127.0.0.1:8080. `make down` stops it.
#
# Called by `make up` after `make all`. Idempotent: what runs is left alone; a service is
# restarted when its binary or its settings changed since it was started; nginx reloads
# the freshly rendered gateway configuration. Nothing needs Docker or systemd.
#
# Services: every line of scripts/services.list whose binary build/bin/axr-<name> exists
# (absent ones are skipped), on its port, with its own database and the shared redis, log
# in .run/logs/<name>.log. Each must answer /readyz within AXR_UP_READY_TIMEOUT seconds.
#
# Settings (environment):
#   AXR_RUN_DIR           stack folder (default .run in the repository)
#   AXR_DATABASE_URL      use this PostgreSQL server instead of starting one; each service
#                         gets its database (from services.list) on it, created if missing
#   AXR_UP_PG_PORT        port of the local PostgreSQL (default 55432)
#   AXR_REDIS_URL         use this redis instead of starting one
#   AXR_UP_REDIS_PORT     port of the local redis (default 56379)
#   AXR_UP_GATEWAY        where nginx listens (default 127.0.0.1:8080)
#   AXR_UP_PORT_OFFSET    added to every service port of services.list (default 0), for a
#                         second stack beside the first (with its own AXR_RUN_DIR)
#   AXR_UP_READY_TIMEOUT  seconds a service gets to become ready (default 30)
#   AXR_ADMIN_NAME, AXR_ADMIN_PASSWORD
#                         the admin login handed to every service; the first run stores them
#                         (default admin and a random password) in .run/admin.env, later runs
#                         read that file unless these are set
#   AXR_*                 any other service setting (AXR_LOG_LEVEL, AXR_WORKERS, ...) is passed
#                         on to every service
set -eu

PROG=up
ROOT=$(cd "$(dirname "$0")/.." && pwd -P)
cd "$ROOT"
. "$ROOT/scripts/local.sh"

PG_PORT=${AXR_UP_PG_PORT:-55432}
REDIS_PORT=${AXR_UP_REDIS_PORT:-56379}
LISTEN=${AXR_UP_GATEWAY:-127.0.0.1:8080}
READY_TIMEOUT=${AXR_UP_READY_TIMEOUT:-30}
PORT_OFFSET=${AXR_UP_PORT_OFFSET:-0}
case $PG_PORT$REDIS_PORT$READY_TIMEOUT$PORT_OFFSET in
*[!0-9]*) die "AXR_UP_PG_PORT, AXR_UP_REDIS_PORT, AXR_UP_READY_TIMEOUT and AXR_UP_PORT_OFFSET must be whole numbers" ;;
esac
case $LISTEN in *:*) GATEWAY_URL=http://$LISTEN ;; *) GATEWAY_URL=http://127.0.0.1:$LISTEN ;; esac

run_locked "$@"
mkdir -p "$RUN/logs"

# Table rows: PART ADDRESS STATE LOG, tab-separated, printed at the end.
ROWS=$RUN/.up-rows
: >"$ROWS"
row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$ROWS"; }

# Links $RUN/logs/$1 to $2 so that every log is in one folder.
log_link() { ln -sfn "$2" "$RUN/logs/$1"; }

# --- admin login ---------------------------------------------------------------

ADMIN_ENV=$RUN/admin.env
if [ ! -s "$ADMIN_ENV" ]; then
	_pw=${AXR_ADMIN_PASSWORD:-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')}
	(
		umask 077
		{
			printf '# admin.env: the local admin login, written once by scripts/up.sh; delete it for a new one.\n'
			printf 'AXR_ADMIN_NAME=%s\nAXR_ADMIN_PASSWORD=%s\n' "${AXR_ADMIN_NAME:-admin}" "$_pw"
		} >"$ADMIN_ENV.new"
	)
	mv "$ADMIN_ENV.new" "$ADMIN_ENV"
fi
chmod 600 "$ADMIN_ENV"
AXR_ADMIN_NAME=${AXR_ADMIN_NAME:-$(sed -n 's/^AXR_ADMIN_NAME=//p' "$ADMIN_ENV")}
AXR_ADMIN_PASSWORD=${AXR_ADMIN_PASSWORD:-$(sed -n 's/^AXR_ADMIN_PASSWORD=//p' "$ADMIN_ENV")}
export AXR_ADMIN_NAME AXR_ADMIN_PASSWORD

# The signing key pair of this stack: the account service signs access tokens
# with the private key, every service verifies them with the public key.
KEYS=$RUN/keys
if [ ! -s "$KEYS/jwt-private.pem" ] || [ ! -s "$KEYS/jwt-public.pem" ]; then
	mkdir -p "$KEYS"
	chmod 700 "$KEYS"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEYS/jwt-private.pem" 2>/dev/null ||
		die "cannot generate the JWT signing key (openssl)"
	openssl pkey -in "$KEYS/jwt-private.pem" -pubout -out "$KEYS/jwt-public.pem" 2>/dev/null ||
		die "cannot derive the JWT public key (openssl)"
	chmod 600 "$KEYS/jwt-private.pem"
fi
export AXR_JWT_PRIVATE_KEY="${AXR_JWT_PRIVATE_KEY:-$KEYS/jwt-private.pem}"
export AXR_JWT_PUBLIC_KEY="${AXR_JWT_PUBLIC_KEY:-$KEYS/jwt-public.pem}"
export AXR_JWT_ALG="${AXR_JWT_ALG:-RS256}"

# --- PostgreSQL ------------------------------------------------------------------

PSQL=$(pg_config --bindir 2>/dev/null || echo /usr/bin)/psql
[ -x "$PSQL" ] || PSQL=psql

# Prints URL $1 with its database replaced by $2 (query parameters kept).
url_with_db() {
	printf '%s\n' "$1" | sed -e 's#^\([a-z]*://[^/?]*\)[^?]*#\1/'"$2"'#'
}

# Creates database $2 on the server of URL $1 unless it exists.
external_createdb() {
	_exists=$(printf '%s\n' "SELECT 1 FROM pg_database WHERE datname = :'name';" |
		"$PSQL" -X -q -t -A -v ON_ERROR_STOP=1 -v name="$2" -d "$1" 2>&1) ||
		{ warn "cannot reach PostgreSQL at AXR_DATABASE_URL: $_exists"; return 1; }
	[ "$_exists" = 1 ] && return 0
	printf '%s\n' 'CREATE DATABASE :"name";' |
		"$PSQL" -X -q -v ON_ERROR_STOP=1 -v name="$2" -d "$1" >/dev/null 2>"$RUN/.createdb.err" ||
		{ warn "cannot create database $2 on the AXR_DATABASE_URL server: $(cat "$RUN/.createdb.err")"; return 1; }
}

# NAME PORT DATABASE per service, ports shifted by AXR_UP_PORT_OFFSET.
SERVICES=$(sh "$GATEWAY" services)
SERVICES=$(printf '%s\n' "$SERVICES" | awk -v o="$PORT_OFFSET" '{ print $1, $2 + o, $3 }')
if [ -n "${AXR_DATABASE_URL:-}" ]; then
	DB_BASE=$AXR_DATABASE_URL
	_host=$(printf '%s\n' "$DB_BASE" | sed -e 's#^[a-z]*://\([^@/]*@\)\{0,1\}\([^/?]*\).*#\2#')
	row postgresql "$_host (AXR_DATABASE_URL)" external -
	DB_URL_OF() { url_with_db "$DB_BASE" "$1"; }
	CREATEDB() { external_createdb "$DB_BASE" "$1"; }
else
	_state=started
	sh "$STACK" pg-status "$RUN" >/dev/null 2>&1 && _state=running
	sh "$STACK" pg-start "$RUN" "$PG_PORT"
	log_link postgresql.log ../pg.log
	row postgresql "postgresql://postgres@127.0.0.1:$PG_PORT" "$_state" "$(rel "$RUN/logs/postgresql.log")"
	DB_URL_OF() { sh "$STACK" pg-url "$PG_PORT" "$1"; }
	CREATEDB() { sh "$STACK" pg-createdb "$RUN" "$PG_PORT" "$1"; }
fi

# --- redis -----------------------------------------------------------------------

if [ -n "${AXR_REDIS_URL:-}" ]; then
	REDIS_URL=$AXR_REDIS_URL
	row redis "$REDIS_URL" external -
else
	_state=started
	sh "$STACK" redis-status "$RUN" >/dev/null 2>&1 && _state=running
	sh "$STACK" redis-start "$RUN" "$REDIS_PORT"
	REDIS_URL=$(sh "$STACK" redis-url "$REDIS_PORT")
	log_link redis.log ../redis/redis.log
	row redis "$REDIS_URL" "$_state" "$(rel "$RUN/logs/redis.log")"
fi

# --- services ----------------------------------------------------------------------

# alive PID: the process exists and is not a zombie (a child of ours that exited).
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null
}

# Prints what service $1 would be started with: a digest of the binary and of every AXR_
# variable it gets (up.sh's own settings excluded). A change means a restart.
service_stamp() {
	{
		cksum <"$BUILD/bin/axr-$1"
		env | grep '^AXR_' | grep -v -e '^AXR_UP_' -e '^AXR_RUN_DIR=' -e '^AXR_BUILD=' | LC_ALL=C sort
	} | cksum
}

# Starts service $1 on port $2 in its own session (a Ctrl-C of make up does not reach it).
start_service() {
	_bin=$BUILD/bin/axr-$1
	_log=$RUN/logs/$1.log
	if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$2/" 2>/dev/null; then
		warn "port $2 of $1 is taken by a program that is not ours"
		return 1
	fi
	setsid "$_bin" </dev/null >>"$_log" 2>&1 &
	echo "$!" >"$RUN/svc-$1.pid"
	service_stamp "$1" >"$RUN/svc-$1.stamp"
}

# Waits until service $1 (pid $2, port $3) answers /readyz with 200; on failure prints why
# and the tail of its log.
wait_ready() {
	_left=$((READY_TIMEOUT * 10))
	while [ "$_left" -gt 0 ]; do
		if ! alive "$2"; then
			warn "$1 exited during start-up; last lines of $(rel "$RUN/logs/$1.log"):"
			tail -n 20 "$RUN/logs/$1.log" >&2
			return 1
		fi
		curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$3/readyz" 2>/dev/null && return 0
		_left=$((_left - 1))
		sleep 0.1
	done
	warn "$1 not ready within $READY_TIMEOUT s (AXR_UP_READY_TIMEOUT); last lines of $(rel "$RUN/logs/$1.log"):"
	tail -n 20 "$RUN/logs/$1.log" >&2
	return 1
}

# First pass: databases, then start (or restart) what needs it; all start in parallel.
failed=0
STARTED=
TRY=
while read -r name port db; do
	[ -x "$BUILD/bin/axr-$name" ] || continue
	CREATEDB "$db" </dev/null || failed=1
	(
		export AXR_PORT="$port" AXR_DATABASE_URL="$(DB_URL_OF "$db")" AXR_REDIS_URL="$REDIS_URL"
		if pid=$(service_pid "$name"); then
			[ "$(service_stamp "$name")" = "$(cat "$RUN/svc-$name.stamp" 2>/dev/null)" ] && exit 3
			stop_services "$name" >/dev/null
			start_service "$name" "$port" && exit 4
		else
			start_service "$name" "$port"
		fi
	) && state=started || case $? in
		3) state=running ;;
		4) state=restarted ;;
		*) state=FAILED failed=1 ;;
	esac
	STARTED="$STARTED $name:$port:$db:$state"
done <<EOF
$SERVICES
EOF

# Second pass: readiness, and the table rows.
while read -r name port db; do
	bin=$BUILD/bin/axr-$name
	if [ ! -x "$bin" ]; then
		row "$name" "-" "not built" "($(rel "$bin") absent)"
		continue
	fi
	for e in $STARTED; do
		case $e in "$name":*) state=${e##*:} ;; esac
	done
	if [ "$state" != FAILED ]; then
		pid=$(cat "$RUN/svc-$name.pid" 2>/dev/null || echo 0)
		if wait_ready "$name" "$pid" "$port"; then
			state="$state, pid $pid"
			TRY=${TRY:-$name}
		else
			state=FAILED
			failed=1
		fi
	fi
	row "$name" "http://127.0.0.1:$port (db $db)" "$state" "$(rel "$RUN/logs/$name.log")"
done <<EOF
$SERVICES
EOF

# --- gateway -----------------------------------------------------------------------

_state=started
[ -r "$RUN/nginx/nginx.pid" ] && kill -0 "$(cat "$RUN/nginx/nginx.pid")" 2>/dev/null && _state=reloaded
# shellcheck disable=SC2046 # one NAME=ADDRESS word per service
AXR_GATEWAY_LISTEN=$LISTEN sh "$GATEWAY" render "$RUN/gateway" \
	$(printf '%s\n' "$SERVICES" | awk '{ print $1 "=127.0.0.1:" $2 }')
sh "$STACK" nginx-start "$RUN" "$RUN/gateway/nginx.conf"
log_link gateway.access.log ../nginx/logs/access.log
log_link gateway.error.log ../nginx/error.log
_left=50
until curl -sf -o /dev/null --max-time 1 "$GATEWAY_URL/healthz"; do
	_left=$((_left - 1))
	[ "$_left" -gt 0 ] || { warn "the gateway does not answer on $GATEWAY_URL"; _state=FAILED; failed=1; break; }
	sleep 0.1
done
row gateway "$GATEWAY_URL" "$_state" "$(rel "$RUN/logs/gateway.access.log")"

# --- what runs where -----------------------------------------------------------------

echo
if [ "$failed" -eq 0 ]; then
	echo "axr is up: $GATEWAY_URL (stack in $(rel "$RUN")/, logs in $(rel "$RUN/logs")/)"
else
	echo "axr is partly up: see the errors above (stack in $(rel "$RUN")/, logs in $(rel "$RUN/logs")/)"
fi
echo
{
	printf 'PART\tADDRESS\tSTATE\tLOG\n'
	grep '^gateway' "$ROWS" || true
	grep -v -e '^gateway' -e '	not built	' "$ROWS" || true
	grep '	not built	' "$ROWS" || true
} | awk -F '\t' '{ printf "  %-13s %-40s %-24s %s\n", $1, $2, $3, $4 }'
rm -f "$ROWS"
echo
echo "  admin login   $AXR_ADMIN_NAME / $AXR_ADMIN_PASSWORD   ($(rel "$ADMIN_ENV"))"
[ -z "${TRY:-}" ] || echo "  try           curl $GATEWAY_URL/v1/$TRY/status"
echo "  logs          tail -f $(rel "$RUN/logs")/*.log"
echo "  stop          make down"
exit "$failed"
