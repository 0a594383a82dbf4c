#!/bin/sh
# kill9.test.sh: fault drill (issue #13, drill 4): the guestbook is killed with SIGKILL under
# load and started again on the same port. Two loads run at once, one straight to the service
# and one through the nginx gateway (one upstream server), so both views are pinned:
#   direct:   only connection errors (refused, reset) while it is dead, never an HTTP error;
#   gateway:  only 502 (the gateway's JSON, with Retry-After) while it is dead, never a
#             connection error, never a 500 or 504;
# both answer 2xx again once it is ready, and every entry acknowledged with 201 (by either
# load) is in the database afterwards.
. "$(dirname "$0")/lib.sh"

USER_UID=0d0d0d0d-0000-4000-8000-000000000004
drill_pg_start
GB_DB=$(drill_createdb axr_drill_guestbook)
svc_start gb guestbook AXR_DATABASE_URL="$GB_DB"
GB=http://127.0.0.1:$(svc_port gb)
drill_gateway guestbook=127.0.0.1:$(svc_port gb)
TOK=$(token "$USER_UID")

# The gateway allows 100 requests/s per client address (burst 200): stay below it.
set -- -c 8 -t 10000 -H "Authorization: Bearer $TOK"
load_start direct "$GB" "$@" -R "${DRILL_RATE:-300}" -r "GET /entries?limit=5" -r 'POST /entries {"message":"direct {seq}"}' -r "GET /entries?limit=5"
load_start gw "$GW_URL" "$@" -R 80 -r "GET /v1/entries?limit=5" -r 'POST /v1/entries {"message":"gateway {seq}"}'
sleep 3

t_kill=$(now_ms)
svc_kill9 gb
t_killed=$(now_ms)
sleep 1
t_start=$(now_ms)
svc_start gb guestbook AXR_DATABASE_URL="$GB_DB"
t_ready=$(now_ms)
sleep 4
load_stop direct
load_stop gw
echo "# direct:  $(lg_line direct)"
echo "# gateway: $(lg_line gw)"
echo "# dead for $((t_ready - t_killed)) ms (1 s down, then $((t_ready - t_start)) ms until ready)"
for l in direct gw; do
	echo "# $l: before the kill: $(ev_between $l 0 "$t_kill"); kill..ready: $(ev_between $l "$t_kill" "$t_ready"); after ready: $(ev_between $l "$t_ready" 99999999999999)"
done

begin "loads-ran-before-the-kill"
want_ge "direct 2xx before the kill" "$(ev_ok_between direct 0 "$t_kill")" 100
want_ge "gateway 2xx before the kill" "$(ev_ok_between gw 0 "$t_kill")" 100
end_case

begin "direct-clients-see-only-connection-errors-while-it-is-dead"
want "direct answers other than 2xx" "$(awk '$2 ~ /^[0-9]+$/ && $2 !~ /^2/' "$T/direct.ev" | wc -l | tr -d ' ')" 0
want_ge "direct connection errors" "$(lg direct conn_errors)" 1
want "direct timeouts" "$(lg direct timeouts)" 0
want "direct connection errors outside kill..ready" \
	"$(awk -v a="$t_kill" -v b="$t_ready" '$2 == "conn" && ($1 + $3 < a || $1 >= b)' "$T/direct.ev" | wc -l | tr -d ' ')" 0
end_case

begin "gateway-clients-see-only-502-with-retry-after-while-it-is-dead"
want "gateway answers other than 2xx and 502" "$(awk '$2 !~ /^2/ && $2 != 502' "$T/gw.ev" | wc -l | tr -d ' ')" 0
want_ge "gateway 502 answers" "$(lg gw status_502)" 1
want "502/503 without Retry-After" "$(lg gw no_retry_after)" 0
want "gateway 502 outside kill..ready" \
	"$(awk -v a="$t_kill" -v b="$t_ready" '$2 == 502 && ($1 + $3 < a || $1 >= b)' "$T/gw.ev" | wc -l | tr -d ' ')" 0
end_case

begin "everything-answers-2xx-once-it-is-ready-again"
want_ge "direct 2xx after ready" "$(ev_ok_between direct "$t_ready" 99999999999999)" 100
want_ge "gateway 2xx after ready" "$(ev_ok_between gw "$t_ready" 99999999999999)" 100
want "direct non-2xx sent after ready" "$(ev_bad_after direct "$t_ready")" 0
want "gateway non-2xx sent after ready" "$(ev_bad_after gw "$t_ready")" 0
end_case

acked_case 200 "$GB_DB" "SELECT uid FROM entry" direct gw
finish
