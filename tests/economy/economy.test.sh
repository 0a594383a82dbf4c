#!/bin/sh
# economy.test.sh: the economy service through raw HTTP, for what its generated C client cannot
# send: build/bin/axr-economy on a fresh database and the test redis; amounts a typed client cannot
# encode (fractions, strings, huge numbers, duplicate keys), change events on redis and the
# idempotency-key purge. The
# behaviour through the client (resources, wallets, approvals, overdrafts, purchases, replays,
# permissions, BOLA, concurrency) is client.test.sh; the run under fire with a crash is
# conservation.test.sh.
. "$(dirname "$0")/lib.sh"

command -v redis-cli >/dev/null 2>&1 || setup_fail "redis-cli not found"
[ -n "$REDIS_URL" ] || setup_fail "AXR_TEST_REDIS_URL is not set (run through tests/run)"
REDIS_HOST=$(printf '%s' "$REDIS_URL" | sed 's|^redis://\([^:/]*\).*|\1|')
REDIS_PORT=$(printf '%s' "$REDIS_URL" | sed -n 's|^redis://[^:/]*:\([0-9]*\).*|\1|p')

econ_db api
svc_start AXR_ECONOMY_IDEM_PURGE_EVERY=1s || finish

ADMIN_UID=adadadad-0000-4000-8000-00000000000a
A=aaaaaaaa-0000-4000-8000-00000000000a
B=bbbbbbbb-0000-4000-8000-00000000000b
C=cccccccc-0000-4000-8000-00000000000c
ADMIN=$(token $ADMIN_UID admin)
TA=$(token $A)

# The state a refused request must leave alone: transactions, stored keys, balances.
state() { sql "SELECT (SELECT count(*) FROM transaction) || '/' || (SELECT count(*) FROM idempotency_key)
	|| '/' || (SELECT coalesce(sum(quantity), 0) FROM inventory_item) || '/' || (SELECT count(*) FROM ledger_entry)"; }
balance() { sql "SELECT coalesce((SELECT quantity FROM inventory_item WHERE owner_uid = '$1' AND resource_uid = '$2'), 0)"; }
line() { printf '[{"resourceUid":"%s","quantity":%s}]' "$1" "$2"; }

# ---- start-up, and what the other cases need ----------------------------------------------

begin starts-after-migrations-and-the-ledger-schema-check
grep -q '"level":"error"' "$T/svc.log" && fail "errors at start-up: $(grep -m1 '"level":"error"' "$T/svc.log")"
want "ledger tables" "$(sql "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('ledger_entry','idempotency_key','inventory_item','transaction','resource')")" 5
end_case

begin setup-a-coin-minted-to-a-and-b
call POST /resources "$ADMIN" '{"name":"coin","title":"Coin"}'
want "admin create" "$CODE" 201
COIN=$(jstr uid)
call POST /transactions "$ADMIN" "$(tx_json null "$(q $A)" "$(line $COIN 100)" '{"from":true,"to":true}')"
want "mint to A" "$CODE" 201
call POST /transactions "$ADMIN" "$(tx_json null "$(q $B)" "$(line $COIN 100)" '{"from":true,"to":true}')"
want "mint to B" "$CODE" 201
end_case

# ---- what a typed client cannot send (tests/integration/economy.c has the rest) -------------

begin amounts-a-client-cannot-encode-are-400-with-the-field-and-change-nothing
before=$(state)
n=0
for amount in 10.5 '"5"' 1e400 99999999999999999999 NaN -9223372036854775809 '1.0' 'null' '[5]' '{"n":5}'; do
	n=$((n + 1))
	call POST /transactions "$TA" "$(tx_json "$(q $A)" "$(q $B)" "[{\"resourceUid\":\"$COIN\",\"quantity\":$amount}]")" \
		-H "Idempotency-Key: hostile-$n"
	[ "$CODE" = 400 ] || fail "quantity $amount: $CODE $(body)"
	case $(body) in *'"path":"/resources/0/quantity"'*) ;; *) fail "quantity $amount: no field error: $(body)" ;; esac
done
call POST /transactions "$TA" "{\"from\":\"$A\",\"to\":\"$B\",\"resources\":[{\"resourceUid\":\"$COIN\",\"quantity\":1,\"quantity\":2}]}" \
	-H 'Idempotency-Key: hostile-dup'
want "duplicate key in a line" "$CODE" 400
call POST /transactions "$TA" "{\"from\":\"$A\",\"to\":\"$B\",\"to\":\"$C\",\"resources\":$(line $COIN 1)}" -H 'Idempotency-Key: hostile-dup2'
want "duplicate party" "$CODE" 400
want "state" "$(state)" "$before"
end_case

# ---- events ----------------------------------------------------------------------------------

begin events-after-commit-transaction-to-both-parties-inventory-per-balance-none-on-replay
redis-cli --csv -h "$REDIS_HOST" -p "$REDIS_PORT" SUBSCRIBE "axr:user:$A" "axr:user:$B" >"$T/sub.csv" 2>&1 &
SUB=$!
EXTRA_CLEANUP="kill $SUB 2>/dev/null"
n=0
until grep -q "axr:user:$B" "$T/sub.csv" 2>/dev/null || [ $n -ge 30 ]; do sleep 0.1; n=$((n + 1)); done
call POST /transactions "$ADMIN" "$(tx_json "$(q $A)" "$(q $B)" "$(line $COIN 4)" '{"from":true,"to":true}')" -H 'Idempotency-Key: ev-1'
want "transfer" "$CODE" 201
EV=$(jstr uid)
call POST /transactions "$ADMIN" "$(tx_json "$(q $A)" "$(q $B)" "$(line $COIN 4)" '{"from":true,"to":true}')" -H 'Idempotency-Key: ev-1'
want "replay" "$CODE" 201
sleep 0.5
kill $SUB 2>/dev/null
wait $SUB 2>/dev/null
EXTRA_CLEANUP=""
# One message per line (redis-cli --csv escapes the envelope's bytes), JSON quotes unescaped.
sed 's/\\"/"/g' "$T/sub.csv" | grep '^"message",' >"$T/events"
qa=$(balance $A $COIN)
qb=$(balance $B $COIN)
on() { grep -c "^\"message\",\"axr:user:$1\",.*$2" "$T/events"; }
want "Transaction on A's channel" "$(on $A "Transaction.*create.*$EV")" 1
want "Transaction on B's channel" "$(on $B "Transaction.*create.*$EV")" 1
want "A's InventoryItem with its balance" "$(on $A "InventoryItem.*\"ownerUid\":\"$A\",\"quantity\":$qa,")" 1
want "B's InventoryItem with its balance" "$(on $B "InventoryItem.*\"ownerUid\":\"$B\",\"quantity\":$qb,")" 1
want "A's InventoryItem on B's channel" "$(on $B "InventoryItem.*\"ownerUid\":\"$A\"")" 0
want "events in all (the replay published none)" "$(wc -l <"$T/events" | tr -d ' ')" 4
end_case

# ---- the key purge ---------------------------------------------------------------------------

begin expired-idempotency-keys-are-purged-by-a-worker-after-a-write
sql "INSERT INTO idempotency_key (caller_uid, idem_key, request_hash, response_status, response_body, date_created)
	VALUES ('$A', 'ancient', 'x', 201, '{}', now() - interval '8 days')" >/dev/null
sleep 1.2
call POST /transactions "$TA" "$(tx_json "$(q $A)" "$(q $B)" "$(line $COIN 1)")" -H 'Idempotency-Key: after-purge'
want "write" "$CODE" 201
want "ancient key" "$(sql "SELECT count(*) FROM idempotency_key WHERE idem_key = 'ancient'")" 0
want "fresh keys kept" "$(sql "SELECT count(*) FROM idempotency_key WHERE idem_key IN ('ev-1', 'after-purge')")" 2
end_case

# ---- the books ---------------------------------------------------------------------------------

begin afterwards-every-balance-equals-its-ledger-and-transfers-conserve
want "balances vs ledger" "$(sql "SELECT count(*) FROM inventory_item i FULL JOIN (SELECT owner_uid, resource_uid, sum(delta) s
	FROM ledger_entry GROUP BY 1, 2) l USING (owner_uid, resource_uid) WHERE coalesce(i.quantity, 0) <> coalesce(l.s, 0)")" 0
want "unbalanced transfers" "$(sql "SELECT count(*) FROM (SELECT e.transaction_uid FROM ledger_entry e JOIN transaction t
	ON t.uid = e.transaction_uid WHERE t.kind = 'TRANSFER' GROUP BY 1 HAVING sum(delta) <> 0) x")" 0
want "entries of transactions not COMPLETE" "$(sql "SELECT count(*) FROM ledger_entry e JOIN transaction t ON t.uid = e.transaction_uid
	WHERE t.status <> 'COMPLETE'")" 0
want "coins in circulation (minted 200)" "$(sql "SELECT sum(quantity) FROM inventory_item WHERE resource_uid = '$COIN'")" 200
end_case

svc_stop
log_case
finish
