#!/bin/sh
# rolling_restart.test.sh: fault drill (issue #13, drill 5): two guestbook replicas behind the
# nginx gateway (scripts/gateway.sh render guestbook=ADDR1,ADDR2), under load through the
# gateway; one replica gets SIGTERM while the other serves, is started again and takes traffic,
# then the other: ZERO failed requests (every answer 2xx, no connection error, no timeout), and
# every entry acknowledged with 201 is in the database.
. "$(dirname "$0")/lib.sh"

USER_UID=0d0d0d0d-0000-4000-8000-000000000005
drill_pg_start
GB_DB=$(drill_createdb axr_drill_guestbook)
svc_start gb1 guestbook AXR_DATABASE_URL="$GB_DB"
svc_start gb2 guestbook AXR_DATABASE_URL="$GB_DB"
drill_gateway guestbook=127.0.0.1:$(svc_port gb1),127.0.0.1:$(svc_port gb2)
TOK=$(token "$USER_UID")

begin "gateway-renders-one-server-line-per-replica"
want "servers of axr_guestbook" "$(sed -n '/^upstream axr_guestbook {/,/^}/p' "$T/gw/gateway/upstreams.conf" | grep -c '^	server ')" 2
want "servers of axr_economy" "$(sed -n '/^upstream axr_economy {/,/^}/p' "$T/gw/gateway/upstreams.conf" | grep -c '^	server ')" 1
end_case

# served TAG: requests replica TAG answered on /entries since it started.
served() {
	curl -s --max-time 5 "http://127.0.0.1:$(svc_port "$1")/metrics" |
		awk '/^axr_http_requests_total\{route="\/entries"/ { n += $2 } END { printf "%d\n", n }'
}

# takes_traffic TAG: waits (up to 15 s: nginx's fail_timeout is 10 s) until TAG answers
# gateway requests again.
takes_traffic() {
	_n=0
	while [ "$_n" -lt 150 ]; do
		[ "$(served "$1")" -ge 20 ] && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}

# 16 connections from 8 source addresses (the gateway allows 100 requests/s per address). -y: as
# libcurl does, a request whose kept-alive connection the gateway closed while it was on its way
# (nginx's old workers close idle client connections on a reload) is sent again on a new one.
load_start load "$GW_URL" -y -c 16 -S 8 -R "${DRILL_RATE:-300}" -t 10000 -H "Authorization: Bearer $TOK" \
	-r 'POST /v1/entries {"message":"rolling {seq}"}' -r 'GET /v1/entries?limit=5' \
	-r 'GET /v1/entries?limit=5'
sleep 2
A1=127.0.0.1:$(svc_port gb1)
A2=127.0.0.1:$(svc_port gb2)
# The rolling restart as an operator runs it: the replica leaves the gateway (render without it,
# graceful reload: nginx's old workers finish their requests and close their idle connections to
# it themselves), gets SIGTERM and drains, starts again, and comes back into the gateway.
for r in gb1 gb2; do
	if [ "$r" = gb1 ]; then others=$A2; else others=$A1; fi
	t0=$(now_ms)
	drill_gateway guestbook="$others"
	sleep 1
	t1=$(now_ms)
	svc_stop "$r"
	t2=$(now_ms)
	svc_start "$r" guestbook AXR_DATABASE_URL="$GB_DB"
	t3=$(now_ms)
	drill_gateway guestbook="$A1,$A2"
	takes_traffic "$r" || echo "# $r took no traffic within 15 s of its restart"
	t4=$(now_ms)
	echo "# $r: out of the gateway $((t1 - t0)) ms, drained and exited in $((t2 - t1)) ms, ready $((t3 - t2)) ms later, back in and taking traffic $((t4 - t3)) ms later"
	eval "window_$r='$t0 $t4'"
done
t_rolled=$(now_ms)
sleep 1
served_gb1=$(served gb1)
served_gb2=$(served gb2)

# The same without the gateway step: SIGTERM while nginx still sends to the replica. Requests
# that reach no server (refused connects) go to the other replica, whatever their method; one
# sent on a kept-alive connection that the draining replica closes at that moment is retried
# only when idempotent (proxy_next_upstream): GETs never fail, a POST may get a 502 until the
# server's drain stops closing idle keep-alive connections at once (see the report of issue 13).
t_bare=$(now_ms)
svc_stop gb1
t_bare_stopped=$(now_ms)
svc_start gb1 guestbook AXR_DATABASE_URL="$GB_DB"
sleep 1
load_stop load
echo "# load: $(lg_line load)"
for r in gb1 gb2; do
	eval "set -- \$window_$r"
	echo "# sent during the rolling restart of $r: $(ev_between load "$1" "$2")"
done
echo "# bare SIGTERM of gb1 (exited after $((t_bare_stopped - t_bare)) ms): sent from then on: $(ev_between load "$t_bare" 99999999999999)"

begin "the-load-ran-through-both-restarts"
want_ge "2xx answers" "$(awk '$2 ~ /^2/' "$T/load.ev" | wc -l | tr -d ' ')" 1000
end_case

begin "zero-failed-requests-during-the-rolling-restart"
want "answers other than 2xx" "$(awk -v b="$t_rolled" '$1 < b && $2 !~ /^2/ { print $2 }' "$T/load.ev" | sort | uniq -c | tr -s ' \n' ' ' | sed 's/^ //;s/ $//')" ""
want "connection errors" "$(lg load conn_errors)" 0
want "timeouts" "$(lg load timeouts)" 0
echo "# requests sent again after the gateway closed their kept-alive connection (-y): $(lg load retries)"
if [ -n "$WHY" ]; then
	echo "# failed requests (sent_ms status ms method seq):"
	awk '$2 !~ /^2/' "$T/load.ev" | head -n 5 | sed 's/^/#   /'
	echo "# gateway error log:"
	grep -v ' \[warn\] .*limiting' "$T/gw/nginx/error.log" | tail -n 5 | sed 's/^/#   /'
fi
end_case

begin "bare-sigterm-under-the-gateway-fails-no-request"
want "GET answers other than 2xx" "$(awk -v a="$t_bare" '$1 >= a && $4 == "GET" && $2 !~ /^2/' "$T/load.ev" | wc -l | tr -d ' ')" 0
bare_post=$(awk -v a="$t_bare" '$1 >= a && $4 == "POST" && $2 !~ /^2/ { print $2 }' "$T/load.ev" | sort | uniq -c | tr -s ' \n' ' ')
# A POST that nginx sent on a pooled connection as the drain began is answered, not reset
# (the drain leaves idle keep-alive connections open for a moment: runtime/conn.c).
want "POST answers other than 2xx after the bare SIGTERM" "${bare_post:-none}" none
end_case

begin "both-replicas-served-after-their-restart"
want_ge "gb1 requests since its restart" "$served_gb1" 100
want_ge "gb2 requests since its restart" "$served_gb2" 100
end_case

acked_case 300 "$GB_DB" "SELECT uid FROM entry" load

begin "replicas-drained-without-error"
bad=$(grep -E '"level":"(error|fatal)"|AddressSanitizer|LeakSanitizer|runtime error:' "$T/gb1.log" "$T/gb2.log" | head -n 3)
[ -z "$bad" ] || fail "$(printf '%s' "$bad" | tr '\n' ' ' | cut -c1-600)"
end_case
finish
