#!/bin/sh
# economy.test.sh: the economy service end to end through HTTP: build/bin/axr-economy on a fresh
# database and the test redis; resources (generated CRUD), transactions and purchases (the
# hand-written adapters over handlers/economy), permissions, BOLA, hostile amounts, conflicts,
# idempotency (also 20 concurrent requests with one key), change events and the key purge.
# The conservation run under fire with a crash is conservation.test.sh.
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
TB=$(token $B)
TC=$(token $C)

# The state a refused request must leave alone: transactions, stored keys, balances.
state() { sql "SELECT (SELECT count(*) FROM transaction) || '/' || (SELECT count(*) FROM idempotency_key)
	|| '/' || (SELECT coalesce(sum(quantity), 0) FROM inventory_item) || '/' || (SELECT count(*) FROM ledger_entry)"; }
balance() { sql "SELECT coalesce((SELECT quantity FROM inventory_item WHERE owner_uid = '$1' AND resource_uid = '$2'), 0)"; }
line() { printf '[{"resourceUid":"%s","quantity":%s}]' "$1" "$2"; }

# ---- start-up and resources (generated CRUD) -----------------------------------------------

begin starts-after-migrations-and-the-ledger-schema-check
grep -q '"level":"error"' "$T/svc.log" && fail "errors at start-up: $(grep -m1 '"level":"error"' "$T/svc.log")"
want "ledger tables" "$(sql "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('ledger_entry','idempotency_key','inventory_item','transaction','resource')")" 5
end_case

begin resources-admins-write-everyone-signed-in-reads-players-cannot-define
call POST /resources "$TA" '{"name":"coin"}'
want "player create" "$CODE" 403
call POST /resources "" '{"name":"coin"}'
want "anonymous create" "$CODE" 401
want "WWW-Authenticate" "$(header WWW-Authenticate | cut -c1-6)" Bearer
call POST /resources "$ADMIN" '{"name":"coin","title":"Coin"}'
want "admin create" "$CODE" 201
COIN=$(jstr uid)
call POST /resources "$ADMIN" '{"name":"big"}'
BIG=$(jstr uid)
call POST /resources "$ADMIN" "{\"name\":\"sword\",\"kind\":\"ITEM\",\"stackable\":false,\"cost\":[{\"resourceUid\":\"$COIN\",\"quantity\":30}]}"
want "admin create with a cost" "$CODE" 201
SWORD=$(jstr uid)
call POST /resources "$ADMIN" '{"name":"gem","maxQuantity":5}'
GEM=$(jstr uid)
call GET /resources/sword "$TB"
want "read by name" "$CODE" 200
case $(body) in *"\"cost\":[{"*"\"quantity\":30"*) ;; *) fail "cost not kept: $(body)" ;; esac
[ -n "$COIN" ] && [ -n "$BIG" ] && [ -n "$SWORD" ] && [ -n "$GEM" ] || fail "resource uids: '$COIN' '$BIG' '$SWORD' '$GEM'"
end_case

# ---- mints and permissions -------------------------------------------------------------------

begin a-player-cannot-mint-or-burn-403-and-nothing-changes
before=$(state)
call POST /transactions "$TA" "$(tx_json null "$(q $A)" "$(line $COIN 100)")" -H 'Idempotency-Key: mint-1'
want "player mint" "$CODE" 403
call POST /transactions "$TA" "$(tx_json "$(q $A)" null "$(line $COIN 1)")" -H 'Idempotency-Key: burn-1'
want "player burn" "$CODE" 403
call POST /transactions "$TA" "$(tx_json "$(q $B)" "$(q $C)" "$(line $COIN 1)")" -H 'Idempotency-Key: others-1'
want "player moving others' value" "$CODE" 403
want "state" "$(state)" "$before"
end_case

begin admins-mint-at-once-complete-with-etag
call POST /transactions "$ADMIN" "$(tx_json null "$(q $A)" "$(line $COIN 100)" '{"from":true,"to":true}')"
want "mint to A" "$CODE" 201
want "status" "$(jstr status)" COMPLETE
want "kind" "$(jstr kind)" MINT
want "ETag" "$(header ETag)" '"0"'
call POST /transactions "$ADMIN" "$(tx_json null "$(q $B)" "$(line $COIN 100)" '{"from":true,"to":true}')"
want "mint to B" "$CODE" 201
want "A's balance" "$(balance $A $COIN)" 100
want "ledger rows of the mints" "$(sql "SELECT count(*) || ':' || sum(delta) FROM ledger_entry WHERE resource_uid = '$COIN'")" 2:200
end_case

# ---- hostile amounts -------------------------------------------------------------------------

begin hostile-amounts-are-400-with-the-field-and-change-nothing
before=$(state)
n=0
for amount in 0 -1 10.5 '"5"' 1e400 99999999999999999999 NaN -9223372036854775809 '1.0' 'null' '[5]' '{"n":5}'; do
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
call POST /transactions "$ADMIN" "$(tx_json "$(q $A)" "$(q $B)" "[{\"resourceUid\":\"$COIN\",\"quantity\":9223372036854775807},{\"resourceUid\":\"$COIN\",\"quantity\":1}]" '{"from":true,"to":true}')"
want "lines adding up beyond int64" "$CODE" 400
want "its field" "$(jstr path)" /resources/1/quantity
call POST /transactions "$TA" "$(tx_json "$(q $A)" "$(q $A)" "$(line $COIN 1)")" -H 'Idempotency-Key: hostile-self'
want "self-transfer" "$CODE" 400
call POST /transactions "$TA" "$(tx_json "$(q $A)" "$(q $B)" '[]')" -H 'Idempotency-Key: hostile-empty'
want "no lines" "$CODE" 400
call POST /transactions "$TA" "{\"from\":\"$A\",\"to\":\"$B\",\"status\":\"COMPLETE\",\"resources\":$(line $COIN 1)}" -H 'Idempotency-Key: hostile-ro'
want "read-only status" "$CODE" 400
call POST /transactions "$TA" "$(tx_json "$(q $A)" "$(q $B)" "$(line 00000000-0000-4000-8000-000000000000 1)")" -H 'Idempotency-Key: hostile-unknown'
want "unknown resource" "$CODE" 400
want "unknown resource code" "$(jstr code)" UNKNOWN_RESOURCE
call POST /resources/sword/purchase "$TA" '{"quantity":0}' -H 'Idempotency-Key: hostile-buy'
want "purchase of 0" "$CODE" 400
call POST /resources/sword/purchase "$TA" '{"quantity":9223372036854775807}' -H 'Idempotency-Key: hostile-buy2'
want "price beyond int64" "$CODE" 400
want "price code" "$(jstr code)" PRICE_OVERFLOW
want "state" "$(state)" "$before"
end_case

begin a-credit-past-int64-fails-409-quantity-overflow-and-moves-nothing
call POST /transactions "$ADMIN" "$(tx_json null "$(q $C)" "$(line $BIG 9223372036854775807)" '{"from":true,"to":true}')"
want "mint INT64_MAX" "$CODE" 201
before=$(state)
call POST /transactions "$ADMIN" "$(tx_json null "$(q $C)" "$(line $BIG 1)" '{"from":true,"to":true}')"
want "one more" "$CODE" 409
want "code" "$(jstr code)" QUANTITY_OVERFLOW
want "failed transaction in the body" "$(jstr status)" FAILED
want "balance" "$(balance $C $BIG)" 9223372036854775807
want "ledger and balances" "$(state | cut -d/ -f3,4)" "$(echo "$before" | cut -d/ -f3,4)"
end_case

# ---- gifts, approvals, conflicts --------------------------------------------------------------

begin players-need-an-idempotency-key-400
call POST /transactions "$TA" "$(tx_json "$(q $A)" "$(q $B)" "$(line $COIN 1)")"
want "create without key" "$CODE" 400
want "code" "$(jstr code)" IDEMPOTENCY_KEY_REQUIRED
call POST /resources/sword/purchase "$TA" '{"quantity":1}'
want "purchase without key (even an admin)" "$CODE" 400
call POST /resources/sword/purchase "$ADMIN" '{"quantity":1}'
want "purchase without key (admin)" "$CODE" 400
end_case

begin a-gift-waits-for-the-recipient-then-executes-once
call POST /transactions "$TA" "$(tx_json "$(q $A)" "$(q $B)" "$(line $COIN 10)")" -H 'Idempotency-Key: gift-1'
want "propose" "$CODE" 201
want "pending" "$(jstr status)" PENDING
GIFT=$(jstr uid)
call PUT "/transactions/$GIFT" "$TA" '{"approval":{"to":true}}' -H 'If-Match: "0"'
want "sender approving for the recipient" "$CODE" 403
call PUT "/transactions/$GIFT" "$TB" '{"approval":{"to":true}}'
want "no version" "$CODE" 400
want "no version path" "$(jstr path)" /version
call PUT "/transactions/$GIFT" "$TB" '{"approval":{"to":true}}' -H 'If-Match: "7"'
want "stale version" "$CODE" 409
want "stale code" "$(jstr code)" STALE_VERSION
call PUT "/transactions/$GIFT" "$TB" '{"approval":{"to":true}}' -H 'If-Match: "0"'
want "recipient approves" "$CODE" 200
want "complete" "$(jstr status)" COMPLETE
want "ETag" "$(header ETag)" '"1"'
call PUT "/transactions/$GIFT?version=1" "$TB" '{"status":"CANCELLED"}'
want "complete is immutable" "$CODE" 409
want "immutable code" "$(jstr code)" IMMUTABLE
want "balances" "$(balance $A $COIN)/$(balance $B $COIN)" 90/110
end_case

begin an-overdraft-is-409-with-the-failed-transaction-and-nothing-moves
before=$(state | cut -d/ -f3,4)
call POST /transactions "$TA" "$(tx_json "$(q $A)" "$(q $B)" "$(line $COIN 1000)" '{"from":true}')" -H 'Idempotency-Key: over-1'
want "proposal" "$CODE" 201
OVER=$(jstr uid)
call PUT "/transactions/$OVER" "$TB" '{"approval":{"to":true}}' -H 'If-Match: "0"'
want "approval that cannot execute" "$CODE" 409
body >"$T/over.json"
want "code" "$(jstr code "$T/over.json")" INSUFFICIENT_FUNDS
want "transaction status" "$(jstr status "$T/over.json")" FAILED
want "transaction uid" "$(jstr uid "$T/over.json")" "$OVER"
case $(body) in '{"status":409,"code":"INSUFFICIENT_FUNDS","message":'*'"transaction":{'*) ;; *) fail "body: $(body)" ;; esac
want "balances and ledger" "$(state | cut -d/ -f3,4)" "$before"
call POST /transactions "$ADMIN" "$(tx_json "$(q $B)" "$(q $A)" "$(line $COIN 5000)" '{"from":true,"to":true}')"
want "admin overdraft" "$CODE" 409
want "stored FAILED" "$(sql "SELECT status FROM transaction WHERE uid = '$(jstr uid)'")" FAILED
end_case

begin the-same-key-with-another-request-is-422
call POST /transactions "$TA" "$(tx_json "$(q $A)" "$(q $B)" "$(line $COIN 11)")" -H 'Idempotency-Key: gift-1'
want "reuse" "$CODE" 422
want "code" "$(jstr code)" IDEMPOTENCY_KEY_REUSED
call POST /transactions "$TB" "$(tx_json "$(q $B)" "$(q $A)" "$(line $COIN 11)")" -H 'Idempotency-Key: gift-1'
want "another caller's same key is its own" "$CODE" 201
end_case

# ---- BOLA ------------------------------------------------------------------------------------

begin bola-b-cannot-read-a-inventory-or-transactions-or-approve-a-trades-404
call POST /transactions "$TA" "$(tx_json "$(q $A)" "$(q $C)" "[{\"resourceUid\":\"$COIN\",\"quantity\":2},{\"resourceUid\":\"$GEM\",\"quantity\":1,\"giver\":\"TO\"}]")" -H 'Idempotency-Key: trade-ac'
want "A proposes a trade to C" "$CODE" 201
TRADE=$(jstr uid)
ITEM_A=$(sql "SELECT uid FROM inventory_item WHERE owner_uid = '$A' AND resource_uid = '$COIN'")
call GET "/inventory/$ITEM_A" "$TB"
want "B reads A's item" "$CODE" 404
call GET "/inventory/$ITEM_A" "$TA"
want "A reads its item" "$CODE" 200
call GET "/inventory/$ITEM_A" "$ADMIN"
want "admin reads A's item" "$CODE" 200
call GET "/inventory?ownerUid=$A" "$TB"
want "B lists A's items" "$CODE:$(body)" '200:[]'
call GET "/inventory?ownerUid=me" "$TB"
case $(body) in *"$A"*) fail "B's list shows A: $(body)" ;; *"\"ownerUid\":\"$B\""*) ;; *) fail "B's own list: $(body)" ;; esac
call GET "/transactions/$TRADE" "$TB"
want "B reads A's trade" "$CODE" 404
call PUT "/transactions/$TRADE" "$TB" '{"approval":{"to":true}}' -H 'If-Match: "0"'
want "B approves A's trade" "$CODE" 404
call PUT "/transactions/$TRADE" "$TB" '{"status":"CANCELLED"}' -H 'If-Match: "0"'
want "B cancels A's trade" "$CODE" 404
call GET "/transactions?party=$A" "$TB"
want "B lists A's transactions" "$CODE" 403
call GET "/transactions?party=me" "$TB"
case $(body) in *"$TRADE"*) fail "B's ledger shows A's trade" ;; esac
call GET "/transactions?party=me" "$TC"
case $(body) in *"$TRADE"*) ;; *) fail "C's ledger misses the trade: $(body)" ;; esac
want "trade untouched" "$(sql "SELECT status || version FROM transaction WHERE uid = '$TRADE'")" PENDING0
end_case

begin a-counter-offer-resets-the-other-approval-and-a-party-may-cancel
call PUT "/transactions/$TRADE" "$TC" "{\"resources\":[{\"resourceUid\":\"$COIN\",\"quantity\":3}]}" -H 'If-Match: "0"'
want "C changes the terms" "$CODE" 200
want "approvals" "$(grep -o '"approval":{[^}]*}' "$BODY")" '"approval":{"from":false,"to":true}'
call PUT "/transactions/$TRADE?version=1" "$TA" '{"status":"CANCELLED"}'
want "A cancels" "$CODE:$(jstr status)" 200:CANCELLED
end_case

# ---- purchase --------------------------------------------------------------------------------

begin purchase-pays-the-cost-and-grants-the-item-atomically-replay-identical
call POST /resources/sword/purchase "$TB" '{"quantity":1}' -H 'Idempotency-Key: buy-1'
want "buy" "$CODE" 201
body >"$T/buy1.json"
want "kind" "$(jstr kind)" PURCHASE
want "balances" "$(balance $B $COIN)/$(balance $B $SWORD)" "80/1"
call POST /resources/sword/purchase "$TB" '{"quantity":1}' -H 'Idempotency-Key: buy-1'
want "replay" "$CODE" 201
cmp -s "$BODY" "$T/buy1.json" || fail "replay differs: $(body)"
want "paid once" "$(balance $B $COIN)/$(balance $B $SWORD)" "80/1"
call POST "/resources/$SWORD/purchase" "$TB" '{"quantity":1}' -H 'Idempotency-Key: buy-2'
want "a second sword (not stackable)" "$CODE:$(jstr code)" 409:MAX_QUANTITY_EXCEEDED
call POST /resources/coin/purchase "$TB" '{"quantity":1}' -H 'Idempotency-Key: buy-3'
want "not for sale" "$CODE:$(jstr code)" 409:NOT_FOR_SALE
call POST /resources/nothing/purchase "$TB" '{"quantity":1}' -H 'Idempotency-Key: buy-4'
want "unknown resource" "$CODE" 404
call POST /resources/sword/purchase "$TC" '{"quantity":1}' -H 'Idempotency-Key: buy-5'
want "C cannot pay" "$CODE:$(jstr code)" 409:INSUFFICIENT_FUNDS
want "nothing moved for C" "$(balance $C $SWORD)" 0
end_case

# ---- idempotency under concurrency ------------------------------------------------------------

begin the-same-key-20-times-concurrently-one-transaction-identical-answers
mkdir -p "$T/c20"
i=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	curl -s -o "$T/c20/$i.body" -w '%{http_code}\n' --max-time 10 -X POST -H "Authorization: Bearer $TA" \
		-H 'Content-Type: application/json' -H 'Idempotency-Key: same-20' \
		--data-binary "$(tx_json "$(q $A)" "$(q $B)" "$(line $COIN 3)")" "http://127.0.0.1:$PORT/transactions" \
		>"$T/c20/$i.code" &
	pids="${pids:-} $!"
done
# shellcheck disable=SC2086 # a list of pids
wait $pids
want "statuses" "$(cat "$T"/c20/*.code | sort | uniq -c | tr -s ' ')" " 20 201"
want "distinct bodies" "$(cat "$T"/c20/*.body | sort -u | wc -l | tr -d ' ')" 1
SAME=$(jstr uid "$T/c20/1.body")
want "transactions for the key" "$(sql "SELECT count(*) FROM transaction t JOIN idempotency_key k ON (k.response_body::jsonb->>'uid')::uuid = t.uid WHERE k.idem_key = 'same-20'")" 1
want "the answer is that transaction" "$(sql "SELECT count(*) FROM transaction WHERE uid = '$SAME'")" 1
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
want "fresh keys kept" "$(sql "SELECT count(*) FROM idempotency_key WHERE idem_key IN ('gift-1', 'after-purge')")" 3
end_case

# ---- the books ---------------------------------------------------------------------------------

begin afterwards-every-balance-equals-its-ledger-and-transfers-conserve
want "balances vs ledger" "$(sql "SELECT count(*) FROM inventory_item i FULL JOIN (SELECT owner_uid, resource_uid, sum(delta) s
	FROM ledger_entry GROUP BY 1, 2) l USING (owner_uid, resource_uid) WHERE coalesce(i.quantity, 0) <> coalesce(l.s, 0)")" 0
want "unbalanced transfers" "$(sql "SELECT count(*) FROM (SELECT e.transaction_uid FROM ledger_entry e JOIN transaction t
	ON t.uid = e.transaction_uid WHERE t.kind = 'TRANSFER' GROUP BY 1 HAVING sum(delta) <> 0) x")" 0
want "entries of transactions not COMPLETE" "$(sql "SELECT count(*) FROM ledger_entry e JOIN transaction t ON t.uid = e.transaction_uid
	WHERE t.status <> 'COMPLETE'")" 0
want "coins in circulation (minted 200, 30 paid for the sword)" "$(sql "SELECT sum(quantity) FROM inventory_item WHERE resource_uid = '$COIN'")" 170
end_case

svc_stop
log_case
finish
