# lib.sh: what the fault drills share (sourced by tests/drills/*.test.sh, not run): a private
# PostgreSQL and redis that a drill may stop, freeze or kill (never the shared ones of tests/run),
# services started from the build folder, tests/tools/loadgen in the background, and the case
# lines tests/run counts.
#
#   begin NAME / fail WHY / want WHAT GOT WANT / want_le WHAT GOT MAX / end_case / finish
#   drill_pg_start                 PostgreSQL in $T/stack on $PG_PORT; sets PG_URL (database postgres)
#   drill_pg_pids                  the postmaster's pid and its children's (backends, workers)
#   drill_createdb NAME            creates database NAME; prints its URL
#   drill_redis_start              redis in $T/stack on $REDIS_PORT; sets REDIS_URL
#   svc_start TAG NAME [VAR=VALUE...]
#                                  build/bin/axr-NAME on port $TAG_PORT (picked once per TAG, kept
#                                  across restarts), log $T/TAG.log; waits until /readyz is 200
#   svc_pid TAG / svc_stop TAG / svc_kill9 TAG
#   token UID [ROLE]               an access token signed with the test key
#   load_start TAG URL LOADGEN-ARGS...   loadgen in the background: summary $T/TAG.sum, events
#                                  $T/TAG.ev, acknowledged writes $T/TAG.acks
#   load_stop TAG                  asks it to stop and waits for its summary
#   lg TAG KEY                     a summary value (0 when absent)
#   ev_between TAG FROM_MS TO_MS   "STATUS:COUNT ..." of the requests sent in [FROM, TO)
#   ev_bad_after TAG FROM_MS       how many requests sent at or after FROM got no 2xx
#   ev_last_bad TAG FROM_MS        send time of the last such request (0 when none)
#   now_ms                         wall clock in milliseconds
#
# Everything started here is stopped on exit, whatever happens.
set -u

ROOT=${AXR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 2
BUILD=${AXR_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
STACK=$ROOT/scripts/stack.sh
LOADGEN=$BUILD/tools/loadgen
MINT=$BUILD/tools/mint_token
KEY=$ROOT/tests/fixtures/keys/test-only-rs256-private.pem
PUB=$ROOT/tests/fixtures/keys/test-only-rs256-public.pem
T=$(mktemp -d "${AXR_TEST_TMP:-${TMPDIR:-/tmp}}/axr-drill.XXXXXX") || exit 2
chmod 755 "$T"
. "$ROOT/tests/lib/case.sh"
TAGS=""
LOADS=""
PG_PORT=""
REDIS_PORT=""
PG_URL=""
REDIS_URL=""
EXTRA_CLEANUP=""

drill_cleanup() {
	[ -n "$EXTRA_CLEANUP" ] && (eval "$EXTRA_CLEANUP")
	for _l in $LOADS; do
		_p=$(cat "$T/$_l.lpid" 2>/dev/null) && kill -TERM "$_p" 2>/dev/null
	done
	# A frozen PostgreSQL must be thawed before it can be stopped.
	[ -n "$PG_PORT" ] && kill -CONT $(drill_pg_pids) 2>/dev/null
	for _t in $TAGS; do
		_p=$(svc_pid "$_t") && kill -9 "$_p" 2>/dev/null
	done
	wait 2>/dev/null
	[ -n "$PG_PORT" ] && sh "$STACK" pg-stop "$T/stack" immediate >/dev/null 2>&1
	[ -n "$REDIS_PORT" ] && sh "$STACK" redis-stop "$T/stack" >/dev/null 2>&1
	rm -rf "$T"
}
trap drill_cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

now_ms() { date +%s%3N; }

for _bin in "$LOADGEN" "$MINT"; do
	[ -x "$_bin" ] || setup_fail "$_bin is missing (run make)"
done
command -v psql >/dev/null 2>&1 || setup_fail "psql not found"

drill_pg_start() {
	[ -n "$PG_PORT" ] || PG_PORT=$(sh "$STACK" free-port) || setup_fail "no free port"
	mkdir -p "$T/stack" && chmod 755 "$T/stack"
	sh "$STACK" pg-start "$T/stack" "$PG_PORT" >"$T/pg-start.out" 2>&1 ||
		setup_fail "PostgreSQL did not start: $(tail -3 "$T/pg-start.out" | tr '\n' ' ')"
	PG_URL=$(sh "$STACK" pg-url "$PG_PORT" postgres)
}

drill_pg_pids() {
	_pm=$(sed -n 1p "$(readlink -f "$T/stack/pg")/postmaster.pid" 2>/dev/null)
	[ -n "$_pm" ] || return 0
	echo "$_pm" $(pgrep -P "$_pm")
}

drill_createdb() {
	psql -X -q "$PG_URL" -c "CREATE DATABASE $1" >/dev/null 2>"$T/createdb.err" ||
		setup_fail "CREATE DATABASE $1: $(cat "$T/createdb.err")"
	sh "$STACK" pg-url "$PG_PORT" "$1"
}

drill_redis_start() {
	[ -n "$REDIS_PORT" ] || REDIS_PORT=$(sh "$STACK" free-port) || setup_fail "no free port"
	mkdir -p "$T/stack"
	sh "$STACK" redis-start "$T/stack" "$REDIS_PORT" >"$T/redis-start.out" 2>&1 ||
		setup_fail "redis did not start: $(tail -3 "$T/redis-start.out" | tr '\n' ' ')"
	REDIS_URL=$(sh "$STACK" redis-url "$REDIS_PORT")
}

# svc_port TAG: the port of TAG, picked on first use.
svc_port() {
	[ -s "$T/$1.port" ] || sh "$STACK" free-port >"$T/$1.port" || setup_fail "no free port"
	cat "$T/$1.port"
}

svc_pid() { cat "$T/$1.pid" 2>/dev/null; }

svc_start() {
	_tag=$1 _name=$2
	shift 2
	_bin=$BUILD/bin/axr-$_name
	[ -x "$_bin" ] || setup_fail "$_bin is missing (run make)"
	_port=$(svc_port "$_tag")
	case " $TAGS " in *" $_tag "*) ;; *) TAGS="$TAGS $_tag" ;; esac
	env AXR_PORT="$_port" AXR_THREADS=2 AXR_WORKERS=4 AXR_ACCESS_LOG=false AXR_DRAIN_TIMEOUT=5s \
		AXR_JWT_PUBLIC_KEY="$PUB" "$@" "$_bin" >>"$T/$_tag.log" 2>&1 &
	echo $! >"$T/$_tag.pid"
	_n=0
	while [ "$_n" -lt 150 ]; do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$_port/readyz")" = 200 ] && return 0
		kill -0 "$(svc_pid "$_tag")" 2>/dev/null || break
		sleep 0.1
		_n=$((_n + 1))
	done
	setup_fail "$_tag ($_name) not ready: $(tail -3 "$T/$_tag.log" | tr '\n' ' ')"
}

svc_stop() {
	_p=$(svc_pid "$1") || return 0
	kill -TERM "$_p" 2>/dev/null
	wait "$_p" 2>/dev/null
	rm -f "$T/$1.pid"
}

svc_kill9() {
	_p=$(svc_pid "$1") || return 0
	kill -9 "$_p" 2>/dev/null
	wait "$_p" 2>/dev/null
	rm -f "$T/$1.pid"
}

token() {
	if [ $# -ge 2 ]; then
		"$MINT" -k "$KEY" -s "$1" -r "$2"
	else
		"$MINT" -k "$KEY" -s "$1"
	fi
}

load_start() {
	_tag=$1 _url=$2
	shift 2
	rm -f "$T/$_tag.stop" "$T/$_tag.sum"
	LOADS="$LOADS $_tag"
	"$LOADGEN" -u "$_url" -d 0 -s "$T/$_tag.stop" -o "$T/$_tag.sum" -e "$T/$_tag.ev" -a "$T/$_tag.acks" \
		"$@" 2>"$T/$_tag.err" &
	echo $! >"$T/$_tag.lpid"
}

load_stop() {
	touch "$T/$1.stop"
	wait "$(cat "$T/$1.lpid")" 2>/dev/null
	[ -s "$T/$1.sum" ] || fail "loadgen $1 wrote no summary: $(cat "$T/$1.err")"
}

lg() {
	_v=$(sed -n "s/^$2=//p" "$T/$1.sum" 2>/dev/null)
	echo "${_v:-0}"
}

# The summary as one line, for the log.
lg_line() { tr '\n' ' ' <"$T/$1.sum"; }

ev_between() {
	awk -v a="$2" -v b="$3" '$1 >= a && $1 < b { n[$2]++ }
		END { for (s in n) printf "%s:%d ", s, n[s] }' "$T/$1.ev" | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ *$//'
}

ev_bad_after() { awk -v a="$2" '$1 >= a && $2 !~ /^2/ { n++ } END { printf "%d\n", n }' "$T/$1.ev"; }

ev_last_bad() { awk -v a="$2" '$1 >= a && $2 !~ /^2/ && $1 > m { m = $1 } END { printf "%.0f\n", m }' "$T/$1.ev"; }

# ev_first_ok TAG FROM_MS: send time of the first 2xx request sent at or after FROM (0 when none).
ev_first_ok() { awk -v a="$2" '$1 >= a && $2 ~ /^2/ && (m == 0 || $1 < m) { m = $1 } END { printf "%.0f\n", m }' "$T/$1.ev"; }

# ---- the economy under load (the PostgreSQL drills) ----------------------------------------

ECON_OWNERS=4
ECON_GRANT=100000

econ_owner() { printf 'd%07d-0000-4000-8000-%012d' "$1" "$1"; }

# econ_up [VAR=VALUE...]: database axr_drill_economy, the economy service as tag econ, one
# resource (CHIP) and ECON_GRANT chips for each of ECON_OWNERS owners; sets ECON_URL, ADMIN.
econ_up() {
	ECON_DB_URL=$(drill_createdb axr_drill_economy)
	svc_start econ economy AXR_DATABASE_URL="$ECON_DB_URL" AXR_REDIS_URL= "$@"
	ECON_URL=http://127.0.0.1:$(svc_port econ)
	ADMIN=$(token adadadad-0000-4000-8000-0000000000d1 admin)
	CHIP=$(curl -s --max-time 10 -X POST -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
		--data-binary '{"name":"drill-chip"}' "$ECON_URL/resources" | grep -o '"uid":"[^"]*"' | head -n 1 | cut -d '"' -f 4)
	[ -n "$CHIP" ] || setup_fail "could not create the resource"
	_i=1
	while [ "$_i" -le "$ECON_OWNERS" ]; do
		_c=$(curl -s -o "$T/mint.out" -w '%{http_code}' --max-time 10 -X POST -H "Authorization: Bearer $ADMIN" \
			-H 'Content-Type: application/json' -H "Idempotency-Key: drill-mint-$_i" --data-binary \
			"{\"from\":null,\"to\":\"$(econ_owner $_i)\",\"resources\":[{\"resourceUid\":\"$CHIP\",\"quantity\":$ECON_GRANT}],\"approval\":{\"from\":true,\"to\":true}}" \
			"$ECON_URL/transactions")
		[ "$_c" = 201 ] || setup_fail "mint $_i: $_c $(cat "$T/mint.out")"
		_i=$((_i + 1))
	done
}

# econ_load_start TAG [LOADGEN-ARGS...]: transfers of one chip around the ring of owners in both
# directions (each with its own Idempotency-Key), and reads of the resource, on 8 connections.
econ_load_start() {
	_tag=$1
	shift
	set -- -c 8 -R "${DRILL_RATE:-400}" -t 15000 -H "Authorization: Bearer $ADMIN" -H "Idempotency-Key: drill-$_tag-{seq}" \
		-r "GET /resources/$CHIP" "$@"
	_i=1
	while [ "$_i" -le "$ECON_OWNERS" ]; do
		_j=$((_i % ECON_OWNERS + 1))
		for _d in "$_i $_j" "$_j $_i"; do
			set -- "$@" -r "POST /transactions {\"from\":\"$(econ_owner ${_d% *})\",\"to\":\"$(econ_owner ${_d#* })\",\"resources\":[{\"resourceUid\":\"$CHIP\",\"quantity\":1}],\"approval\":{\"from\":true,\"to\":true}}"
		done
		_i=$((_i + 1))
	done
	load_start "$_tag" "$ECON_URL" "$@"
}

esql() { psql -X -q -t -A "$ECON_DB_URL" -c "$1" 2>&1; }

# econ_invariants_case TAG: two cases: value conserved, balances equal the ledger, transfers net
# to zero; and every 201 the load got is a COMPLETE transaction in the database.
econ_invariants_case() {
	begin "economy-invariants-hold"
	want "total chips" "$(esql "SELECT sum(quantity) FROM inventory_item WHERE resource_uid = '$CHIP'")" \
		$((ECON_OWNERS * ECON_GRANT))
	want "negative balances" "$(esql "SELECT count(*) FROM inventory_item WHERE quantity < 0")" 0
	want "balances vs ledger" "$(esql "SELECT count(*) FROM inventory_item i FULL JOIN (SELECT owner_uid, resource_uid, sum(delta) s
		FROM ledger_entry GROUP BY 1, 2) l USING (owner_uid, resource_uid) WHERE coalesce(i.quantity, 0) <> coalesce(l.s, 0)")" 0
	want "transfers that do not net to zero" "$(esql "SELECT count(*) FROM (SELECT e.transaction_uid FROM ledger_entry e JOIN transaction t
		ON t.uid = e.transaction_uid WHERE t.kind = 'TRANSFER' GROUP BY 1 HAVING sum(delta) <> 0) x")" 0
	want "COMPLETE transfers vs transfers in the ledger" \
		"$(esql "SELECT count(*) FROM transaction WHERE kind = 'TRANSFER' AND status = 'COMPLETE'")" \
		"$(esql "SELECT count(DISTINCT e.transaction_uid) FROM ledger_entry e JOIN transaction t ON t.uid = e.transaction_uid WHERE t.kind = 'TRANSFER'")"
	end_case
	acked_case 100 "$ECON_DB_URL" "SELECT uid FROM transaction WHERE status = 'COMPLETE'" "$1"
}

# ev_ok_between TAG FROM_MS TO_MS: how many requests sent in [FROM, TO) got a 2xx.
ev_ok_between() { awk -v a="$2" -v b="$3" '$1 >= a && $1 < b && $2 ~ /^2/ { n++ } END { printf "%d\n", n }' "$T/$1.ev"; }

# ev_within TAG FROM_MS TO_MS: "STATUS:COUNT ..." of the requests both sent and answered in [FROM, TO).
ev_within() {
	awk -v a="$2" -v b="$3" '$1 >= a && $1 + $3 < b { n[$2]++ }
		END { for (s in n) printf "%s:%d ", s, n[s] }' "$T/$1.ev" | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ *$//'
}

# drill_gateway NAME=ADDRESS...: the gateway (scripts/gateway.sh render, scripts/stack.sh
# nginx-start) in $T/gw on a free port with those upstreams; sets GW_URL. Called again, it
# renders anew and reloads nginx (graceful: old workers finish their requests).
GW_PORT=""
drill_gateway() {
	[ -n "$GW_PORT" ] || GW_PORT=$(sh "$STACK" free-port) || setup_fail "no free port"
	AXR_GATEWAY_LISTEN=127.0.0.1:$GW_PORT sh "$ROOT/scripts/gateway.sh" render "$T/gw" "$@" >"$T/gw.out" 2>&1 ||
		setup_fail "gateway render: $(cat "$T/gw.out")"
	sh "$STACK" nginx-start "$T/gw" "$T/gw/nginx.conf" >"$T/gw.out" 2>&1 ||
		setup_fail "nginx did not start: $(tail -3 "$T/gw.out" | tr '\n' ' ')"
	case $EXTRA_CLEANUP in *nginx-stop*) ;; *) EXTRA_CLEANUP="${EXTRA_CLEANUP:+$EXTRA_CLEANUP; }sh \"\$STACK\" nginx-stop \"\$T/gw\" >/dev/null 2>&1" ;; esac
	GW_URL=http://127.0.0.1:$GW_PORT
	_n=0
	until curl -sf -o /dev/null --max-time 1 "$GW_URL/healthz"; do
		_n=$((_n + 1))
		[ "$_n" -lt 50 ] || setup_fail "the gateway does not answer on $GW_URL"
		sleep 0.1
	done
}

# acked_case MIN SQL-URL QUERY TAG...: one case: the loads TAG... got at least MIN 2xx answers to
# writes, and every uid they acknowledged is among the uids QUERY returns on SQL-URL.
acked_case() {
	_min=$1 _url=$2 _query=$3
	shift 3
	begin "every-acknowledged-write-is-stored"
	for _l in "$@"; do cat "$T/$_l.acks"; done | awk '$2 ~ /^2/ && $5 != "-" { print $5 }' | sort -u >"$T/acked"
	psql -X -q -t -A "$_url" -c "$_query" 2>&1 | sort -u >"$T/stored"
	_acked=$(wc -l <"$T/acked" | tr -d ' ')
	_lost=$(comm -23 "$T/acked" "$T/stored" | wc -l | tr -d ' ')
	want_ge "acknowledged writes" "$_acked" "$_min"
	want "acknowledged writes missing from the database" "$_lost" 0
	echo "# $_acked acknowledged writes, $_lost missing; $(($(wc -l <"$T/stored") - _acked)) rows more than acknowledged"
	end_case
}
