#!/bin/sh
# pg_freeze.test.sh: fault drill (issue #13, drill 2): the economy's PostgreSQL is frozen under
# load (SIGSTOP to the postmaster and every backend for DRILL_PG_FREEZE seconds, 15), then
# thawed. Nothing refuses a connection while frozen, so only the service's own bounds end the
# waits: AXR_DB_CONNECT_TIMEOUT (2 s) and the statement bound (AXR_DB_STATEMENT_TIMEOUT 2 s + 2 s
# io margin). While frozen every answer is 503 with Retry-After, none slower than those bounds
# allow, the process stays up; within 5 s of the thaw every request answers 2xx again; the
# economy's invariants hold and every transfer acknowledged with 201 is stored.
. "$(dirname "$0")/lib.sh"

FREEZE=${DRILL_PG_FREEZE:-15}

drill_pg_start
econ_up AXR_DB_CONNECT_TIMEOUT=2s AXR_DB_STATEMENT_TIMEOUT=2s
econ_load_start load
sleep 3

pids=$(drill_pg_pids)
[ -n "$pids" ] || setup_fail "no PostgreSQL processes found"
# shellcheck disable=SC2086 # a list of pids
kill -STOP $pids
t_freeze=$(now_ms) # after the signals landed: a request may still finish between date and kill
sleep 6
ready_frozen=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$ECON_URL/readyz")
sleep $((FREEZE - 6))
t_thaw=$(now_ms)
# shellcheck disable=SC2086
kill -CONT $pids
sleep 7
load_stop load
echo "# load: $(lg_line load)"
echo "# frozen for $(((t_thaw - t_freeze) / 1000)) s ($(echo "$pids" | wc -w) processes)"
echo "# sent before the freeze: $(ev_between load 0 "$t_freeze")"
echo "# sent while frozen:      $(ev_between load "$t_freeze" "$t_thaw")"
echo "# sent and answered while frozen: $(ev_within load "$t_freeze" "$t_thaw")"
echo "# sent after the thaw:    $(ev_between load "$t_thaw" 99999999999999)"
echo "# slowest answers (ms): $(awk '{ print $3 }' "$T/load.ev" | sort -n | tail -n 5 | tr '\n' ' ')"

begin "load-ran-before-the-freeze"
want_ge "2xx answers before the freeze" "$(ev_ok_between load 0 "$t_freeze")" 100
end_case

begin "while-postgresql-is-frozen-every-answer-is-503-with-retry-after"
# Requests sent just before the freeze may still end in it, ones sent in it may end after the thaw.
frozen=$(ev_within load "$t_freeze" "$t_thaw")
other=$(printf '%s\n' "$frozen" | tr ' ' '\n' | grep -v '^503:' | grep -v '^$' | tr '\n' ' ')
want "answers other than 503 while frozen" "$other" ""
want_ge "503 answers while frozen" "$(printf '%s\n' "$frozen" | tr ' ' '\n' | sed -n 's/^503://p')" 100
want "503/429/502 answers without Retry-After" "$(lg load no_retry_after)" 0
end_case

begin "the-timeouts-bound-every-wait-no-500-no-connection-error"
want "500 answers" "$(lg load status_500)" 0
want "connection errors" "$(lg load conn_errors)" 0
want "timeouts (15 s client bound)" "$(lg load timeouts)" 0
# statement 2 s + io margin 2 s, and a connect of 2 s after it, plus queueing.
want_le "slowest answer (ms)" "$(lg load latency_max_ms)" 8000
end_case

begin "readyz-503-while-frozen-and-the-process-stays-up"
want "GET /readyz while frozen" "$ready_frozen" 503
kill -0 "$(svc_pid econ)" 2>/dev/null || fail "the service exited"
end_case

begin "everything-answers-2xx-within-5s-of-the-thaw"
first_ok=$(ev_first_ok load "$t_thaw")
last_bad=$(ev_last_bad load "$t_thaw")
want_ge "2xx answers after the thaw" "$(ev_ok_between load "$t_thaw" 99999999999999)" 100
want "non-2xx answers to requests sent 5 s or more after the thaw" "$(ev_bad_after load $((t_thaw + 5000)))" 0
[ "$first_ok" -gt 0 ] && echo "# first 2xx $((first_ok - t_thaw)) ms after the thaw"
if [ "$last_bad" -gt 0 ]; then
	echo "# last non-2xx $((last_bad - t_thaw)) ms after the thaw"
else
	echo "# no non-2xx after the thaw"
fi
end_case

begin "readyz-200-after-the-thaw"
want "GET /readyz" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$ECON_URL/readyz")" 200
end_case

econ_invariants_case load

begin "service-logged-no-error-and-no-sanitizer-report"
bad=$(grep -E '"level":"(error|fatal)"|AddressSanitizer|LeakSanitizer|runtime error:' "$T/econ.log" | head -n 3)
[ -z "$bad" ] || fail "$(printf '%s' "$bad" | tr '\n' ' ' | cut -c1-600)"
end_case
finish
