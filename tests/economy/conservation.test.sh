#!/bin/sh
# conservation.test.sh: value is conserved through HTTP under fire and across a crash. 20 owners
# get 1,000 chips each (minted by an admin); 4 concurrent curl loops send random transfers
# (self-transfers, overdrafts, trades, A->B and B->A on hot pairs), each with its own
# Idempotency-Key; the service is killed with SIGKILL mid-run and restarted, and every request
# that got no answer is retried with its key until it does. Afterwards: every key replays its
# original answer byte for byte, one transaction per key, the total is unchanged, no balance is
# negative, every balance equals its ledger, transfers net to zero, COMPLETE = ledgered.
#
# Sizes: ECON_FIRE_OWNERS (20), ECON_FIRE_LOOPS (4), ECON_FIRE_OPS per loop (60; concurrency without
# a crash is also tests/integration/economy.c, through the client).
. "$(dirname "$0")/lib.sh"

OWNERS=${ECON_FIRE_OWNERS:-20}
LOOPS=${ECON_FIRE_LOOPS:-4}
OPS=${ECON_FIRE_OPS:-60}
GRANT=1000
command -v md5sum >/dev/null 2>&1 || setup_fail "md5sum not found"

econ_db fire
svc_start || finish
ADMIN=$(token adadadad-0000-4000-8000-0000000000f1 admin)
URL=http://127.0.0.1:$PORT

owner() { printf 'c%07d-0000-4000-8000-%012d' "$1" "$1"; }

begin chips-minted-to-every-owner
call POST /resources "$ADMIN" '{"name":"chip"}'
CHIP=$(jstr uid)
want "resource" "$CODE" 201
i=1
while [ $i -le "$OWNERS" ]; do
	call POST /transactions "$ADMIN" "{\"from\":null,\"to\":\"$(owner $i)\",\"resources\":[{\"resourceUid\":\"$CHIP\",\"quantity\":$GRANT}],\"approval\":{\"from\":true,\"to\":true}}" \
		-H "Idempotency-Key: mint-$i"
	[ "$CODE" = 201 ] || fail "mint $i: $CODE $(body)"
	i=$((i + 1))
done
TOTAL=$((OWNERS * GRANT))
want "total" "$(sql "SELECT sum(quantity) FROM inventory_item WHERE resource_uid = '$CHIP'")" "$TOTAL"
end_case

# The plan of loop L: one request per line, "KEY BODY" (the body has no spaces). 5 % self-transfers
# (400), 10 % overdrafts (409), 20 % on two hot pairs in both directions, 15 % trades (a FROM and a
# TO line of chips; equal amounts cancel out: 400), the rest random transfers of 1..50.
plan() {
	awk -v loop="$1" -v ops="$OPS" -v owners="$OWNERS" -v chip="$CHIP" 'BEGIN {
		srand(loop * 7919 + ops);
		for (i = 1; i <= ops; i++) {
			r = rand(); f = 1 + int(rand() * owners); t = 1 + int(rand() * owners); q = 1 + int(rand() * 50)
			if (t == f) t = t % owners + 1
			if (r < 0.05) t = f
			else if (r < 0.15) q = 5000
			else if (r < 0.35) { f = 1 + 2 * int(rand() * 2); t = f + 1; if (rand() < 0.5) { x = f; f = t; t = x } }
			lines = sprintf("{\"resourceUid\":\"%s\",\"quantity\":%d}", chip, q)
			if (r >= 0.35 && r < 0.50)
				lines = lines sprintf(",{\"resourceUid\":\"%s\",\"quantity\":%d,\"giver\":\"TO\"}", chip, 1 + int(rand() * 50))
			printf "fire-%d-%d {\"from\":\"c%07d-0000-4000-8000-%012d\",\"to\":\"c%07d-0000-4000-8000-%012d\",\"resources\":[%s],\"approval\":{\"from\":true,\"to\":true}}\n",
				loop, i, f, f, t, t, lines
		}
	}'
}

# fire L PLAN OUT: sends PLAN's requests in order; a request without an answer (the service is
# down: 000) or a 503 is retried with the same key and body. Writes "KEY STATUS MD5(BODY)" lines.
fire() {
	_b=$T/fire-$1.body
	while read -r _key _json; do
		_tries=0
		while :; do
			_code=$(curl -s -o "$_b" -w '%{http_code}' --max-time 10 -X POST -H "Authorization: Bearer $ADMIN" \
				-H 'Content-Type: application/json' -H "Idempotency-Key: $_key" --data-binary "$_json" "$URL/transactions")
			case $_code in
			000 | 502 | 503)
				echo "$_key $_code" >>"$T/retried-$1"
				_tries=$((_tries + 1))
				[ "$_tries" -lt 200 ] || break
				sleep 0.05
				;;
			*) break ;;
			esac
		done
		echo "$_key $_code $(md5sum <"$_b" | cut -c1-32)" >>"$3"
	done <"$2"
}

l=1
pids=""
while [ $l -le "$LOOPS" ]; do
	plan $l >"$T/plan-$l"
	: >"$T/answers-$l"
	fire $l "$T/plan-$l" "$T/answers-$l" &
	pids="$pids $!"
	l=$((l + 1))
done
start=$(date +%s)
# The crash: once a quarter of the requests were answered, SIGKILL, then a restart on the same port.
n=0
while [ "$(cat "$T"/answers-* | wc -l)" -lt $((LOOPS * OPS / 4)) ] && [ $n -lt 600 ]; do
	sleep 0.05
	n=$((n + 1))
done
answered_before=$(cat "$T"/answers-* | wc -l | tr -d ' ')
svc_kill9
crashed_at=$(sql "SELECT now()")
sleep 0.3
svc_start || { kill $pids 2>/dev/null; finish; }
# shellcheck disable=SC2086 # a list of pids
wait $pids
secs=$(($(date +%s) - start))

begin every-request-answered-across-the-crash
answered=$(cat "$T"/answers-* | wc -l | tr -d ' ')
want "answers" "$answered" $((LOOPS * OPS))
bad=$(cat "$T"/answers-* | awk '$2 != 201 && $2 != 400 && $2 != 409' | head -n 3 | tr '\n' ';')
[ -z "$bad" ] || fail "unexpected answers: $bad"
retried=$(cat "$T"/retried-* 2>/dev/null | awk '{ print $1 }' | sort -u | wc -l | tr -d ' ')
[ "$answered_before" -lt $((LOOPS * OPS)) ] || fail "the run was over before the crash"
[ "$retried" -gt 0 ] || fail "no request was interrupted by the crash"
completed=$(cat "$T"/answers-* | awk '$2 == 201' | wc -l | tr -d ' ')
keys=$(cat "$T"/retried-* 2>/dev/null | awk '{ printf "%s'\''%s'\''", sep, $1; sep = "," }')
committed=$(sql "SELECT count(*) FROM idempotency_key WHERE idem_key IN (${keys:-''}) AND date_created < '$crashed_at'")
echo "# $answered requests in ${secs}s ($completed completed transfers), killed after $answered_before;" \
	"$retried retried with their key, $committed of them had committed before the kill (answered by replay)"
end_case

begin every-key-replays-its-original-answer-byte-for-byte
l=1
pids=""
while [ $l -le "$LOOPS" ]; do
	: >"$T/replay-$l"
	fire $l "$T/plan-$l" "$T/replay-$l" &
	pids="$pids $!"
	l=$((l + 1))
done
# shellcheck disable=SC2086
wait $pids
cat "$T"/answers-* | sort >"$T/answers"
cat "$T"/replay-* | sort >"$T/replays"
differ=$(diff "$T/answers" "$T/replays" | grep -c '^<')
want "answers that changed on replay" "$differ" 0
[ "$differ" = 0 ] || fail "first: $(diff "$T/answers" "$T/replays" | head -n 2 | tr '\n' ' ')"
end_case

begin one-transaction-per-key
stored=$(sql "SELECT count(*) FROM idempotency_key WHERE idem_key LIKE 'fire-%'")
told=$(awk '$2 == 201 || $2 == 409' "$T/answers" | wc -l | tr -d ' ')
want "stored answers vs answers given (201 and 409; 400s store nothing)" "$stored" "$told"
want "transactions vs stored answers" "$(sql "SELECT count(*) FROM transaction WHERE kind = 'TRANSFER'")" "$stored"
want "distinct transactions answered" "$(sql "SELECT count(DISTINCT response_body::jsonb->>'uid') FROM idempotency_key WHERE idem_key LIKE 'fire-%'")" "$stored"
want "stored 201s are COMPLETE" "$(sql "SELECT count(*) FROM idempotency_key k JOIN transaction t ON t.uid = (k.response_body::jsonb->>'uid')::uuid
	WHERE k.idem_key LIKE 'fire-%' AND (k.response_status = 201) <> (t.status = 'COMPLETE')")" 0
end_case

begin value-is-conserved-and-the-ledger-matches-after-the-crash
want "total chips" "$(sql "SELECT sum(quantity) FROM inventory_item WHERE resource_uid = '$CHIP'")" "$TOTAL"
want "negative balances" "$(sql "SELECT count(*) FROM inventory_item WHERE quantity < 0")" 0
want "balances vs ledger" "$(sql "SELECT count(*) FROM inventory_item i FULL JOIN (SELECT owner_uid, resource_uid, sum(delta) s
	FROM ledger_entry GROUP BY 1, 2) l USING (owner_uid, resource_uid) WHERE coalesce(i.quantity, 0) <> coalesce(l.s, 0)")" 0
want "last balance_after vs balance" "$(sql "SELECT count(*) FROM inventory_item i JOIN LATERAL (SELECT balance_after FROM ledger_entry e
	WHERE e.owner_uid = i.owner_uid AND e.resource_uid = i.resource_uid ORDER BY id DESC LIMIT 1) l ON true WHERE l.balance_after <> i.quantity")" 0
want "transfers that do not net to zero" "$(sql "SELECT count(*) FROM (SELECT e.transaction_uid FROM ledger_entry e JOIN transaction t
	ON t.uid = e.transaction_uid WHERE t.kind = 'TRANSFER' GROUP BY 1 HAVING sum(delta) <> 0) x")" 0
want "COMPLETE transfers vs transfers in the ledger" "$(sql "SELECT count(*) FROM transaction WHERE kind = 'TRANSFER' AND status = 'COMPLETE'")" \
	"$(sql "SELECT count(DISTINCT e.transaction_uid) FROM ledger_entry e JOIN transaction t ON t.uid = e.transaction_uid WHERE t.kind = 'TRANSFER'")"
want "COMPLETE transfers vs 201 answers" "$(sql "SELECT count(*) FROM transaction WHERE kind = 'TRANSFER' AND status = 'COMPLETE'")" "$completed"
end_case

svc_stop
log_case
finish
