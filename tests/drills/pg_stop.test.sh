#!/bin/sh
# pg_stop.test.sh: fault drill (issue #13, drill 1): the economy's PostgreSQL is stopped hard
# (pg_ctl stop -m immediate) under load and started again after DRILL_PG_OUTAGE seconds (10).
# While it is down every answer is 503 with Retry-After (no 500, no connection error, nothing
# slower than the DB timeouts, the process stays up, /readyz says not ready); within 5 s of the
# restart every request answers 2xx again; afterwards value is conserved, the ledger matches and
# every transfer acknowledged with 201 is stored.
. "$(dirname "$0")/lib.sh"

OUTAGE=${DRILL_PG_OUTAGE:-10}

drill_pg_start
econ_up
econ_load_start load
sleep 3

t_stop=$(now_ms)
sh "$STACK" pg-stop "$T/stack" immediate || setup_fail "pg-stop immediate failed"
t_stopped=$(now_ms)
sleep 2
ready_down=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$ECON_URL/readyz")
sleep $((OUTAGE - 2))
pg_alive=0
t_starting=$(now_ms) # "down" ends here: PostgreSQL may accept connections before pg-start returns
sh "$STACK" pg-start "$T/stack" "$PG_PORT" || setup_fail "PostgreSQL did not start again"
t_up=$(now_ms)
sleep 7
load_stop load
echo "# load: $(lg_line load)"
echo "# PostgreSQL stopped $((t_stopped - t_stop)) ms after the stop began, started again after $(((t_up - t_stopped) / 1000)) s"
echo "# sent before the stop: $(ev_between load 0 "$t_stop")"
echo "# sent while down:      $(ev_between load "$t_stopped" "$t_starting")"
echo "# sent and answered while down: $(ev_within load "$t_stopped" "$t_starting")"
echo "# sent after restart:   $(ev_between load "$t_up" 99999999999999)"

begin "load-ran-before-the-stop"
want_ge "2xx answers before the stop" "$(ev_ok_between load 0 "$t_stop")" 100
end_case

begin "while-postgresql-is-down-every-answer-is-503-with-retry-after"
down=$(ev_within load "$t_stopped" "$t_starting")
other=$(printf '%s\n' "$down" | tr ' ' '\n' | grep -v '^503:' | grep -v '^$' | tr '\n' ' ')
want "answers other than 503 while down" "$other" ""
want_ge "503 answers while down" "$(printf '%s\n' "$down" | tr ' ' '\n' | sed -n 's/^503://p')" 100
want "503/429/502 answers without Retry-After" "$(lg load no_retry_after)" 0
end_case

begin "no-500-no-connection-error-no-timeout-during-the-whole-drill"
want "500 answers" "$(lg load status_500)" 0
want "connection errors" "$(lg load conn_errors)" 0
want "timeouts" "$(lg load timeouts)" 0
# The slowest a request may be: the connect timeout (2 s) or a statement's io bound (5 s + 2 s).
want_le "slowest answer (ms)" "$(lg load latency_max_ms)" 7500
end_case

begin "readyz-503-while-down-and-the-process-stays-up"
want "GET /readyz while down" "$ready_down" 503
kill -0 "$(svc_pid econ)" 2>/dev/null || fail "the service exited"
end_case

begin "everything-answers-2xx-within-5s-of-the-restart"
first_ok=$(ev_first_ok load "$t_up")
last_bad=$(ev_last_bad load "$t_up")
want_ge "2xx answers after the restart" "$(ev_ok_between load "$t_up" 99999999999999)" 100
want "non-2xx answers to requests sent 5 s or more after the restart" "$(ev_bad_after load $((t_up + 5000)))" 0
[ "$first_ok" -gt 0 ] && echo "# first 2xx $((first_ok - t_up)) ms after the restart"
[ "$last_bad" -gt 0 ] && echo "# last non-2xx $((last_bad - t_up)) ms after the restart" || echo "# no non-2xx after the restart"
end_case

begin "readyz-200-after-the-restart"
want "GET /readyz" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$ECON_URL/readyz")" 200
end_case

econ_invariants_case load

begin "service-logged-no-error-and-no-sanitizer-report"
bad=$(grep -E '"level":"(error|fatal)"|AddressSanitizer|LeakSanitizer|runtime error:' "$T/econ.log" | head -n 3)
[ -z "$bad" ] || fail "$(printf '%s' "$bad" | tr '\n' ' ' | cut -c1-600)"
end_case
finish
