#!/bin/sh
# mutate.test.sh: 10,000 randomly mutated copies of valid requests (account sign-up and log-ins,
# economy transfers, purchases and resources, achievement progress and definitions, guestbook
# entries) against the whole platform (tests/lib/platform.sh), most straight to the services,
# a share through the gateway. build/tools/mutate draws every mutation from a seeded generator
# and prints the seed: AXR_MUTATE_SEED=<seed> reruns the same requests, and
# `build/tools/mutate -S <seed> -r <i> SEEDS` prints request i.
#
# Checks: no answer is a 5xx other than 503 (each one is printed, escaped, with its index); every
# service stays up and ready, with no crash or sanitizer report in its log; and nothing was
# written that a valid request could not have written: every row of the tables the requests
# reach keeps the spec's constraints and the services' invariants (SQL below).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/platform.sh"
trap 'platform_down; hostile_cleanup' EXIT

N=${AXR_MUTATE_N:-10000}
MUTATE=$BUILD/tools/mutate
MINT=$BUILD/tools/mint_token
SEED=${AXR_MUTATE_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}

for _bin in "$MUTATE" "$MINT"; do
	[ -x "$_bin" ] || { echo "not ok - setup: $_bin is missing (run make)"; exit 1; }
done

begin platform_starts
# Cheap password hashing (behaviour, not cost) and short head/body deadlines, so that mutated
# lengths are answered with a 408 quickly instead of holding a connection.
platform_up AXR_PWHASH_OPSLIMIT=1 AXR_PWHASH_MEMLIMIT=65536 AXR_HEADER_TIMEOUT=500ms \
	AXR_BODY_TIMEOUT=500ms AXR_LOG_LEVEL=warn AXR_ACCESS_LOG=false ||
	fail "platform_up failed: $(tail -5 "$PLAT_DIR/up.out")"
end_case
[ -z "$WHY" ] || finish

ACC=$(plat_port account)
ECO=$(plat_port economy)
ACH=$(plat_port achievement)
GB=$(plat_port guestbook)
KEY=$PLAT_KEYS/jwt-private.pem
A=11111111-1111-4111-8111-111111111111
B=22222222-2222-4222-8222-222222222222
ADMIN_UID=33333333-3333-4333-8333-333333333333
TA=$("$MINT" -k "$KEY" -s "$A" -t 3600)
TB=$("$MINT" -k "$KEY" -s "$B" -t 3600)
TADMIN=$("$MINT" -k "$KEY" -s "$ADMIN_UID" -r admin -t 3600)

# api TOKEN METHOD PORT PATH [BODY]: one JSON request; prints the body, status in $T/code.
api() {
	curl -s -o "$T/api" -w '%{http_code}' --max-time 10 ${1:+-H "Authorization: Bearer $1"} \
		-H 'Content-Type: application/json' -X "$2" "http://127.0.0.1:$3$4" ${5:+--data-binary "$5"} >"$T/code"
	cat "$T/api"
}
uid_of() { sed -n 's/.*"uid":"\([0-9a-f-]*\)".*/\1/p'; }

begin fixtures_are_created_by_valid_requests
COIN=$(api "$TADMIN" POST "$ECO" /resources '{"name":"coin"}' | uid_of)
want "coin" "$(cat "$T/code")" 201
GEM=$(api "$TADMIN" POST "$ECO" /resources "{\"name\":\"gem\",\"cost\":[{\"resourceUid\":\"$COIN\",\"quantity\":2}]}" | uid_of)
want "gem" "$(cat "$T/code")" 201
api "$TADMIN" POST "$ECO" /transactions "{\"from\":null,\"to\":\"$A\",\"resources\":[{\"resourceUid\":\"$COIN\",\"quantity\":1000}],\"approval\":{\"from\":true,\"to\":true}}" >/dev/null
want "1000 coins for A" "$(cat "$T/code")" 201
api "$TADMIN" POST "$ACH" /achievements '{"name":"first.steps","target":5,"points":10}' >/dev/null
want "achievement" "$(cat "$T/code")" 201
api "" POST "$ACC" /users '{"name":"alice","email":"alice@example.com","password":"alice-password-1"}' >/dev/null
want "alice signs up" "$(cat "$T/code")" 201
api "" POST "$ACC" /auth/password '{"login":"alice","password":"alice-password-1"}' >"$T/login"
REFRESH=$(sed -n 's/.*"refresh":"\([^"]*\)".*/\1/p' "$T/login")
TALICE=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' "$T/login")
want "alice logs in" "$(cat "$T/code")" 200
ENTRY=$(api "$TA" POST "$GB" /entries '{"message":"first"}' | uid_of)
want "entry" "$(cat "$T/code")" 201
end_case

# The valid requests: PORT METHOD TARGET HEADERS BODY, tab-separated (see tests/tools/mutate.c).
tab=$(printf '\t')
seeds() {
	_h() { printf 'Authorization: Bearer %s' "$1"; }
	cat <<EOF
$ACC${tab}POST${tab}/users${tab}-${tab}{"name":"mut.user1","email":"mut1@example.com","password":"mut-password-1"}
$ACC${tab}POST${tab}/auth/password${tab}-${tab}{"login":"alice","password":"alice-password-1"}
$ACC${tab}POST${tab}/auth/device${tab}-${tab}{"deviceId":"device-0001-abcdef"}
$ACC${tab}POST${tab}/auth/refresh${tab}-${tab}{"refresh":"$REFRESH"}
$ACC${tab}GET${tab}/users/me${tab}$(_h "$TALICE")${tab}-
$ACC${tab}GET${tab}/users?limit=5${tab}$(_h "$TADMIN")${tab}-
$ECO${tab}POST${tab}/transactions${tab}$(_h "$TA")\\nIdempotency-Key: pay-1${tab}{"from":"$A","to":"$B","resources":[{"resourceUid":"$COIN","quantity":1}],"approval":{"from":true}}
$ECO${tab}POST${tab}/resources/gem/purchase${tab}$(_h "$TA")\\nIdempotency-Key: buy-1${tab}{"quantity":1}
$ECO${tab}GET${tab}/inventory${tab}$(_h "$TA")${tab}-
$ECO${tab}POST${tab}/resources${tab}$(_h "$TADMIN")${tab}{"name":"mut-res","title":"T","kind":"ITEM","maxQuantity":10,"stackable":true}
$ECO${tab}POST${tab}/transactions${tab}$(_h "$TADMIN")${tab}{"from":null,"to":"$B","resources":[{"resourceUid":"$COIN","quantity":5}],"approval":{"from":true,"to":true}}
$ACH${tab}POST${tab}/achievements/first.steps/progress${tab}$(_h "$TA")${tab}{"increment":1}
$ACH${tab}POST${tab}/achievements/first.steps/progress${tab}$(_h "$TB")\\nIdempotency-Key: step-1${tab}{"increment":2}
$ACH${tab}GET${tab}/achievements${tab}$(_h "$TA")${tab}-
$ACH${tab}POST${tab}/achievements${tab}$(_h "$TADMIN")${tab}{"name":"mut.ach","title":"M","target":3,"points":10}
$GB${tab}POST${tab}/entries${tab}$(_h "$TA")${tab}{"message":"hello from the mutator"}
$GB${tab}GET${tab}/entries?limit=10${tab}$(_h "$TB")${tab}-
$GB${tab}PUT${tab}/entries/$ENTRY${tab}$(_h "$TA")\\nIf-Match: "0"${tab}{"message":"edited"}
EOF
}
seeds >"$T/seeds"
# A share of the same requests through the gateway (its /v1 paths), from 250 client addresses.
sed -e "s|^$ACC$tab\\([A-Z]*\\)$tab/|$PLAT_GW_PORT$tab\\1$tab/v1/|" \
	-e "s|^\\($ECO\\|$ACH\\|$GB\\)$tab\\([A-Z]*\\)$tab/|$PLAT_GW_PORT$tab\\2$tab/v1/|" "$T/seeds" >"$T/seeds.gw"

begin seeds_are_valid_requests
# Each seed once, unmutated and in order (the refresh token is spent here): 2xx, or 409 for a
# repeat of a fixture (alice exists, her device too).
nseeds=$(wc -l <"$T/seeds" | tr -d ' ')
"$MUTATE" -u -v -n "$nseeds" -c 1 -t 5000 "$T/seeds" >"$T/valid.out" 2>"$T/valid.err"
other=$(sed -n 's/^i=\([0-9]*\) status=\([0-9]*\)$/\1 \2/p' "$T/valid.err" |
	awk '!($2 ~ /^2/ || $2 == 409) { printf "seed line %d: %s; ", $1 + 1, $2 }')
want "answers other than 2xx or 409 to the $nseeds seeds" "$other" ""
end_case

echo "# seed=$SEED (rerun: AXR_MUTATE_SEED=$SEED sh $0)"
GW_N=$((N / 5))
begin "mutated_requests_${N}_get_no_5xx_but_501_503_505_seed_$SEED"
start=$(date +%s)
"$MUTATE" -n $((N - GW_N)) -S "$SEED" -c 32 -t 3000 -o "$T/bad" "$T/seeds" >"$T/direct.out" 2>"$T/direct.err" ||
	fail "mutate failed: $(cat "$T/direct.err")"
"$MUTATE" -n "$GW_N" -S "$((SEED + 1))" -c 32 -t 3000 -s 127.3.0.1 -o "$T/bad.gw" "$T/seeds.gw" \
	>"$T/gw.out" 2>"$T/gw.err" || fail "mutate (gateway) failed: $(cat "$T/gw.err")"
took=$(($(date +%s) - start))
sed 's/^/# direct: /' "$T/direct.out"
sed 's/^/# gateway: /' "$T/gw.out"
echo "# $N requests in ${took}s"
# 501 (an unknown method or transfer coding) and 505 (HTTP/2.0 in a request line) are HTTP's
# own answers to what the mutations make (RFC 9110 9.1, 15.6.6), not failures of the server.
fivexx() {
	awk -v kind="$1" '$1 == kind && $2 >= 500 && $2 != 501 && $2 != 503 && $2 != 505 { n += $3 } END { print n + 0 }' "$2"
}
want "5xx answers other than 501, 503 and 505 (direct)" "$(fivexx status "$T/direct.out")" 0
want "5xx answers other than 501, 503 and 505 (gateway)" "$(fivexx status "$T/gw.out")" 0
# The gateway's own error pages are JSON too (gateway/errors.conf), whatever nginx could parse.
want "5xx answers of the gateway without a JSON body" "$(fivexx nonjson "$T/gw.out")" 0
# Every error answer of a service is the JSON error body.
want "error answers of the services without a JSON body" \
	"$(awk '$1 == "nonjson" { printf "%s x %s; ", $3, $2 }' "$T/direct.out")" ""
for f in bad bad.gw; do
	[ -s "$T/$f" ] || continue
	# The first three of each unexpected status, cut short.
	awk '/^i=/ { split($3, s, "="); st = s[2]; keep = (st != 501 && st != 505 && seen[st]++ < 3) }
		keep { print substr($0, 1, 300) }' "$T/$f" | sed "s/^/# $f: /"
done
total=$(awk '$1 == "status" { n += $3 } $1 == "closed" || $1 == "timeout" || $1 == "connect_failed" { n += $2 }
	END { print n + 0 }' "$T/direct.out" "$T/gw.out")
want "requests accounted for" "$total" "$N"
want "connections refused" "$(awk '$1 == "connect_failed" { n += $2 } END { print n + 0 }' "$T/direct.out" "$T/gw.out")" 0
end_case

begin services_stay_up_ready_and_without_crash_reports
for svc in account economy achievement guestbook; do
	pid=$(plat_pid "$svc")
	kill -0 "$pid" 2>/dev/null || fail "$svc (pid $pid) is gone"
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$(plat_port "$svc")/readyz")
	want "$svc /readyz" "$code" 200
	if grep -En 'AddressSanitizer|LeakSanitizer|runtime error:|Segmentation fault|SIGSEGV|SIGABRT|Assertion .* failed|stack-buffer|heap-buffer' \
		"$PLAT_RUN/logs/$svc.log" >"$T/crash" 2>/dev/null; then
		fail "$svc log: $(head -c 300 "$T/crash")"
	fi
done
end_case

# sql DB QUERY: one value from a service's database.
sql() { psql -h 127.0.0.1 -p "$PLAT_PG_PORT" -U postgres -d "$1" -XAtqc "$2" 2>&1; }
# invariant NAME DB QUERY: QUERY counts violating rows; it must count 0.
invariant() { want "$1" "$(sql "$2" "$3")" 0; }
TOKEN_UIDS="'$A','$B','$ADMIN_UID'"

begin account_rows_are_ones_a_valid_request_could_write
invariant "users with a name off the pattern" axr_account \
	"select count(*) from \"user\" where name !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}\$'"
invariant "users with a bad email" axr_account \
	"select count(*) from \"user\" where email is not null and (length(email) > 254 or email !~ '^[^@[:space:]]+@[^@[:space:]]+\$')"
invariant "users with over-long names or a bad locale" axr_account \
	"select count(*) from \"user\" where length(given_name) > 100 or length(family_name) > 100 or
	 (locale is not null and locale !~ '^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*\$')"
invariant "users whose roles are not a list of at most 32 names" axr_account \
	"select count(*) from \"user\" where roles is not null and (jsonb_typeof(roles) <> 'array' or jsonb_array_length(roles) > 32
	 or exists (select 1 from jsonb_array_elements(roles) r where jsonb_typeof(r) <> 'string'))"
invariant "non-admin users holding a role (only admins grant roles)" axr_account \
	"select count(*) from \"user\" where name <> '$PLAT_ADMIN_NAME' and roles is not null and jsonb_array_length(roles) > 0"
invariant "users with neither a password nor a device" axr_account \
	"select count(*) from \"user\" u where not exists (select 1 from account_password p where p.user_uid = u.uid)
	 and not exists (select 1 from account_device d where d.user_uid = u.uid)"
invariant "password hashes that are not argon2id" axr_account \
	"select count(*) from account_password where hash not like '\$argon2id\$%'"
end_case

begin economy_rows_are_ones_a_valid_request_could_write
invariant "inventory that disagrees with the ledger" axr_economy \
	"select count(*) from inventory_item i where i.quantity <> coalesce((select sum(delta) from ledger_entry l
	 where l.owner_uid = i.owner_uid and l.resource_uid = i.resource_uid), 0)"
invariant "negative balances in the ledger" axr_economy "select count(*) from ledger_entry where balance_after < 0"
invariant "inventory over a resource's cap" axr_economy \
	"select count(*) from inventory_item i join resource r on r.uid = i.resource_uid
	 where i.quantity < 0 or (r.max_quantity is not null and i.quantity > r.max_quantity) or (not r.stackable and i.quantity > 1)"
invariant "transfers that create or destroy resources" axr_economy \
	"select count(*) from (select l.transaction_uid, l.resource_uid from ledger_entry l join \"transaction\" t
	 on t.uid = l.transaction_uid where t.kind = 'TRANSFER' group by 1, 2 having sum(l.delta) <> 0) x"
invariant "gem purchases not paid 2 coins a gem" axr_economy \
	"select count(*) from \"transaction\" t where t.kind = 'PURCHASE' and t.status = 'COMPLETE' and
	 (select coalesce(sum(delta), 0) from ledger_entry where transaction_uid = t.uid and resource_uid = '$COIN') <>
	 -2 * (select coalesce(sum(delta), 0) from ledger_entry where transaction_uid = t.uid and resource_uid = '$GEM')"
invariant "mints or burns not made by the admin" axr_economy \
	"select count(*) from \"transaction\" where kind in ('MINT', 'BURN') and created_by <> '$ADMIN_UID'"
invariant "transactions by unknown callers" axr_economy \
	"select count(*) from \"transaction\" where created_by not in ($TOKEN_UIDS)"
invariant "transactions off the schema" axr_economy \
	"select count(*) from \"transaction\" where status not in ('PENDING','COMPLETE','CANCELLED','FAILED')
	 or kind not in ('TRANSFER','MINT','BURN','PURCHASE') or jsonb_typeof(resources) <> 'array'
	 or jsonb_array_length(resources) not between 1 and 100
	 or exists (select 1 from jsonb_array_elements(resources) x where jsonb_typeof(x->'quantity') <> 'number'
	            or (x->>'quantity')::numeric < 1 or (x->>'quantity')::numeric <> floor((x->>'quantity')::numeric)
	            or x->>'resourceUid' !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\$')"
invariant "resources off the schema" axr_economy \
	"select count(*) from resource where name !~ '^[a-z0-9][a-z0-9_.-]{0,63}\$' or length(title) > 200
	 or kind not in ('CURRENCY','ITEM') or max_quantity < 1
	 or (cost is not null and (jsonb_typeof(cost) <> 'array' or jsonb_array_length(cost) > 20))"
end_case

begin achievement_rows_are_ones_a_valid_request_could_write
invariant "progress outside 0..target or unlocked off its progress" axr_achievement \
	"select count(*) from user_achievement u join achievement_definition d on d.uid = u.achievement_uid
	 where u.progress < 0 or u.progress > d.target or u.unlocked <> (u.progress >= d.target)
	 or (u.unlocked <> (u.date_unlocked is not null))"
invariant "progress of users no valid token named" axr_achievement \
	"select count(*) from user_achievement where user_uid not in ($TOKEN_UIDS)"
invariant "definitions off the schema" axr_achievement \
	"select count(*) from achievement_definition where name !~ '^[a-z][a-z0-9_.]{0,63}\$' or target < 1
	 or points < 0 or length(title) > 200"
end_case

begin guestbook_rows_are_ones_a_valid_request_could_write
invariant "entries off the schema" axr_guestbook \
	"select count(*) from entry where char_length(message) not between 1 and 500 or version < 0"
invariant "entries by authors no valid token named" axr_guestbook \
	"select count(*) from entry where author_uid not in ($TOKEN_UIDS)"
invariant "pinned entries (only POST /entries/{id}/pin pins; no request used it)" axr_guestbook \
	"select count(*) from entry where pinned"
echo "# rows: $(sql axr_account 'select count(*) from "user"') users, $(sql axr_economy 'select count(*) from "transaction"') transactions, $(sql axr_economy 'select count(*) from resource') resources, $(sql axr_achievement 'select count(*) from achievement_definition') achievements, $(sql axr_guestbook 'select count(*) from entry') entries"
end_case

finish
