#!/bin/sh
# account.test.sh: the account service (build/bin/axr-account) over raw HTTP with curl, on a fresh
# database of the tests' PostgreSQL and the tests' redis (tests/account/lib.sh): what a client
# program cannot do or see. The behaviour of every endpoint (sign-up, log-ins, refresh and reuse,
# logout, keys, users and BOLA, versions, roles, lockout) is tested through the generated C client
# by client.test.sh (tests/integration/account.c); this suite keeps the wire: start-up migration,
# events on the bus, bodies a typed client cannot send (not JSON, extra members = mass assignment,
# null vs absent, a malformed If-Match), headers (WWW-Authenticate, ETag, Cache-Control), what the
# database keeps (device hashes, deleted users' passwords), forged or malformed tokens (each a 401;
# the process stays up and a valid token still works), no secret in any answer, SIGTERM.
#
# AXR_MAX_HEADER=128k: a 64 KiB token reaches the token check; 8 MiB is refused by the HTTP layer first.
. "$(dirname "$0")/../server/lib.sh"
. "$(dirname "$0")/lib.sh"

MINT=$BUILD/tools/mint_token
[ -x "$MINT" ] || { echo "not ok - setup: $MINT is missing (run make)"; exit 1; }
account_start account_http AXR_MAX_HEADER=128k

# ---- helpers -------------------------------------------------------------------

H=$T/h         # headers of the last answer
B=$T/b         # its body
BODIES=$T/all  # every body, for the no-secret check

# call METHOD PATH TOKEN BODY [curl args...]: prints the status; headers in $H, body in $B.
call() {
	_m=$1 _p=$2 _tok=$3 _body=$4
	shift 4
	[ -n "$_tok" ] && set -- -H "Authorization: Bearer $_tok" "$@"
	[ -n "$_body" ] && set -- -H 'Content-Type: application/json' --data-binary "$_body" "$@"
	if [ "$_m" = HEAD ]; then set -- -I "$@"; else set -- -X "$_m" "$@"; fi
	: >"$B"
	curl -s --max-time 10 -D "$H" -o "$B" -w '%{http_code}' "$@" "$BASE$_p"
	cat "$B" >>"$BODIES"
	echo >>"$BODIES"
}

# json KEY [FILE]: the first string (or number/boolean) value of "KEY" in the body.
json() {
	grep -o "\"$1\":\"\\{0,1\\}[^\",}]*" "${2:-$B}" | head -n 1 | sed 's/^"[^"]*"://; s/^"//'
}
hdr() { header "$1" "$H"; }
# hdr_count NAME: how many times header NAME is in the last answer.
hdr_count() { tr -d '\r' <"$H" | grep -ci "^$1:"; }
body_text() { cat "$B"; }

# want_error STATUS CODE [PATH]: the platform's JSON error, naming PATH when given.
want_error() {
	want "Content-Type" "$(hdr Content-Type)" "application/json"
	want_match "error body" "$(body_text)" "^\\{\"status\":$1,\"code\":\"$2\",\"message\":\"([^\"\\\\]|\\\\.)+\"(,\"errors\":\\[.*\\])?\\}\$"
	[ -z "${3:-}" ] || want_match "field error" "$(body_text)" "\"errors\":\\[\\{\"path\":\"$3\""
}

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
b64url_decode() {
	_s=$(tr '_-' '/+')
	case $((${#_s} % 4)) in 2) _s="$_s==" ;; 3) _s="$_s=" ;; esac
	printf '%s' "$_s" | base64 -d 2>/dev/null
}
# jwt_sign HEADER_JSON PAYLOAD_JSON [KEY]: an RS256 token signed with KEY (default: the service's).
jwt_sign() {
	_h=$(printf '%s' "$1" | b64url)
	_p=$(printf '%s' "$2" | b64url)
	_s=$(printf '%s.%s' "$_h" "$_p" | openssl dgst -sha256 -sign "${3:-$PRIV}" -binary | b64url)
	printf '%s.%s.%s' "$_h" "$_p" "$_s"
}

# register NAME EMAIL PASSWORD: prints the status; the NewUser is in $B.
register() { call POST /users "" "{\"name\":\"$1\",\"email\":\"$2\",\"password\":\"$3\"}"; }
login() { # login LOGIN PASSWORD [curl args...]
	_login=$1 _password=$2
	shift 2
	call POST /auth/password "" "{\"login\":\"$_login\",\"password\":\"$_password\"}" "$@"
}

NOW=$(date +%s)

# ---- start-up --------------------------------------------------------------------

begin "start_up_migrates_the_tables_and_creates_the_admin"
want_match "log" "$(cat "$LOG")" "created the admin account '$ADMIN_NAME'"
want "tables" "$(psql_db "SELECT count(*) FROM pg_tables WHERE tablename IN ('user','role','account_password','account_device','account_refresh_family','account_refresh_token','account_login_attempt')")" 7
want "login" "$(login "$ADMIN_NAME" "$ADMIN_PASSWORD")" 200
ADMIN_TOKEN=$(json token)
ADMIN_UID=$(json uid)
want_match "admin roles" "$(body_text)" '"roles":\["admin"\]'
end_case

# Events: everything the service publishes, from here on.
SUB=$T/events
redis-cli -u "$AXR_TEST_REDIS_URL" --no-raw SUBSCRIBE axr:events:account >"$SUB" 2>&1 &
SUB_PID=$!
PIDS="$PIDS $SUB_PID"
_tries=0
until grep -q 'integer) 1' "$SUB" 2>/dev/null || [ "$_tries" -gt 30 ]; do sleep 0.1; _tries=$((_tries + 1)); done

# ---- sign-up -------------------------------------------------------------------

begin "register_publishes_a_user_create_event_on_the_bus"
want "status" "$(register alice Alice@Example.COM alice-password-1)" 201
A_TOKEN=$(json token)
A_UID=$(json uid)
_tries=0
until grep -q "$A_UID" "$SUB" 2>/dev/null || [ "$_tries" -gt 30 ]; do sleep 0.1; _tries=$((_tries + 1)); done
want_match "event" "$(tr -c '[:print:]\n' ' ' <"$SUB")" "User.*create.*$A_UID|$A_UID.*User.*create"
end_case

begin "register_bodies_a_client_would_not_send_are_400"
want "missing email" "$(call POST /users "" '{"name":"bob","password":"bob-password-1"}')" 400
want_error 400 VALIDATION
want "not JSON" "$(call POST /users "" '{"name":')" 400
want_error 400 VALIDATION
end_case

begin "register_mass_assignment_is_400_and_creates_nothing"
for _extra in '"roles":["admin"]' '"uid":"00000000-0000-4000-8000-000000000001"' '"version":7' \
	'"verified":{"email":true}' '"guest":true' '"lastLogin":"2024-01-01T00:00:00Z"'; do
	_code=$(call POST /users "" "{\"name\":\"mallory\",\"email\":\"mallory@example.com\",\"password\":\"mallory-password\",$_extra}")
	want "register with $_extra" "$_code" 400
	want_error 400 VALIDATION
done
want "no such user was created" "$(psql_db "SELECT count(*) FROM \"user\" WHERE name = 'mallory'")" 0
want "the name is still free" "$(register mallory mallory@example.com mallory-password)" 201
want "and holds no role" "$(psql_db "SELECT roles::text FROM \"user\" WHERE name = 'mallory'")" "[]"
M_TOKEN=$(json token)
end_case

begin "failed_logins_and_anonymous_calls_carry_www_authenticate"
want "wrong password" "$(login mallory wrong-password-1)" 401
want_error 401 UNAUTHORIZED
want_match "WWW-Authenticate" "$(hdr WWW-Authenticate)" '^Bearer'
want "anonymous" "$(call GET /users/me "" "")" 401
want_match "WWW-Authenticate" "$(hdr WWW-Authenticate)" '^Bearer'
end_case

begin "device_ids_are_stored_as_a_hash_only"
DEV=dev-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
want "first use" "$(call POST /auth/device "" "{\"deviceId\":\"$DEV\"}")" 201
want "stored as a hash only" "$(psql_db "SELECT count(*) FROM account_device WHERE device_hash = sha256(convert_to('$DEV', 'UTF8'))")" 1
want "not in clear" "$(psql_db "SELECT count(*) FROM account_device WHERE position('$DEV' in encode(device_hash, 'escape')) > 0")" 0
end_case

begin "refresh_reuse_marks_the_family_revoked_for_reuse"
login alice alice-password-1 >/dev/null
R0=$(json refresh)
want "refresh" "$(call POST /auth/refresh "" "{\"refresh\":\"$R0\"}")" 200
want "reuse" "$(call POST /auth/refresh "" "{\"refresh\":\"$R0\"}")" 401
want_error 401 UNAUTHORIZED
want "family marked" "$(psql_db "SELECT count(*) FROM account_refresh_family WHERE revoked_reason = 'reuse'")" 1
want "logout without a body" "$(call POST /auth/logout "" '')" 400
end_case

# ---- keys ---------------------------------------------------------------------------

begin "keys_hold_no_private_member_and_may_be_cached"
want "GET /auth/keys" "$(call GET /auth/keys "" "")" 200
KID=$(json kid)
want "no private member" "$(grep -c '"[dpq]":\|"d[pq]":\|"qi":' "$B")" 0
want_match "Cache-Control" "$(hdr Cache-Control)" 'max-age=[0-9]+'
end_case

# ---- users ---------------------------------------------------------------------------

begin "update_takes_if_match_and_json_null_clears_absent_keeps"
want "If-Match" "$(call PUT "/users/$A_UID" "$A_TOKEN" '{"givenName":"Alice","locale":"en-GB"}' -H 'If-Match: "0"')" 200
want "ETag" "$(hdr ETag)" '"1"'
want "bad If-Match" "$(call PUT /users/alice "$A_TOKEN" '{"givenName":"Al"}' -H 'If-Match: 1')" 400
want_error 400 VALIDATION /header/If-Match
want "null clears, absent keeps" "$(call PUT "/users/alice?version=1" "$A_TOKEN" '{"locale":null}')" 200
want "locale cleared" "$(grep -c '"locale"' "$B")" 0
want "givenName kept" "$(json givenName)" "Alice"
want "ETag of a read" "$(call GET /users/me "$A_TOKEN" "" >/dev/null; hdr ETag)" '"2"'
end_case

begin "update_mass_assignment_is_400_and_changes_nothing"
for _b in '{"roles":["admin"]}' '{"verified":{"email":true}}' '{"uid":"00000000-0000-4000-8000-000000000001"}' \
	'{"version":9}' '{"guest":true}' '{"dateCreated":"2020-01-01T00:00:00Z"}'; do
	want "PUT $_b" "$(call PUT "/users/alice?version=2" "$A_TOKEN" "$_b")" 400
	want_error 400 VALIDATION
done
want "unchanged" "$(psql_db "SELECT version || ' ' || roles::text || ' ' || verified::text || ' ' || guest FROM \"user\" WHERE uid = '$A_UID'")" \
	'2 [] {"email": false, "phone": false} false'
want "sending the current value back is fine" "$(call PUT "/users/alice?version=2" "$A_TOKEN" '{"roles":[],"verified":{"email":false,"phone":false},"familyName":"Liddell"}')" 200
end_case

begin "update_publishes_a_user_update_event"
_tries=0
until tr -c '[:print:]\n' ' ' <"$SUB" | grep -q "update" || [ "$_tries" -gt 30 ]; do sleep 0.1; _tries=$((_tries + 1)); done
want_match "event" "$(tr -c '[:print:]\n' ' ' <"$SUB")" "User.*update.*$A_UID|$A_UID.*User.*update"
end_case

begin "deleting_a_user_removes_its_password_and_refresh_tokens"
want "register bob" "$(register bob bob@example.com bob-password-1)" 201
B_UID=$(json uid)
want "delete" "$(call DELETE /users/bob "$ADMIN_TOKEN" "")" 204
want "password" "$(psql_db "SELECT count(*) FROM account_password WHERE user_uid = '$B_UID'")" 0
want "refresh families" "$(psql_db "SELECT count(*) FROM account_refresh_family WHERE user_uid = '$B_UID' AND revoked_reason IS NULL")" 0
end_case

# ---- forged and malformed tokens ----------------------------------------------------

NOW=$(date +%s)
HDR_OK="{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"$KID\"}"
claims() { # claims [EXTRA_JSON_MEMBERS] [EXP] [ISS] [AUD]: a payload for alice
	printf '{"iss":"%s","aud":"%s","sub":"%s","iat":%s,"exp":%s,"jti":"j-%s","profile":{"uid":"%s","name":"alice","roles":[]}%s}' \
		"${3:-axr}" "${4:-axr}" "$A_UID" "$NOW" "${2:-$((NOW + 600))}" "$$" "$A_UID" "${1:+,$1}"
}
# refused WHAT TOKEN: GET /users/me with it is a 401 with WWW-Authenticate.
refused() {
	want "$1" "$(call GET /users/me "$2" "")" 401
	want_match "$1: WWW-Authenticate" "$(hdr WWW-Authenticate)" '^Bearer error="invalid_token"'
}
alive_and_valid() {
	kill -0 "$PID" 2>/dev/null || fail "the service exited"
	want "a valid token right after" "$(call GET /users/me "$VALID" "")" 200
}

begin "hand_signed_valid_token_is_accepted_so_the_refusals_below_mean_something"
VALID=$(jwt_sign "$HDR_OK" "$(claims)")
want "valid" "$(call GET /users/me "$VALID" "")" 200
want "uid" "$(json uid)" "$A_UID"
end_case

begin "alg_none_in_any_spelling_is_401"
for _alg in none None nOnE NONE; do
	_h=$(printf '{"alg":"%s","typ":"JWT","kid":"%s"}' "$_alg" "$KID" | b64url)
	_p=$(claims | b64url)
	refused "alg $_alg, empty signature" "$_h.$_p."
	refused "alg $_alg, a signature" "$_h.$_p.$(printf x | b64url)"
done
alive_and_valid
end_case

begin "hs256_signed_with_the_public_key_and_es256_are_401"
_h=$(printf '{"alg":"HS256","typ":"JWT","kid":"%s"}' "$KID" | b64url)
_p=$(claims | b64url)
_s=$(printf '%s.%s' "$_h" "$_p" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(od -An -tx1 -v "$PUB" | tr -d ' \n')" -binary | b64url)
refused "HS256 with the public PEM as secret" "$_h.$_p.$_s"
_h=$(printf '{"alg":"ES256","typ":"JWT","kid":"%s"}' "$KID" | b64url)
_s=$(printf '%s.%s' "$_h" "$_p" | openssl dgst -sha256 -sign "$KEYS/test-only-es256-private.pem" -binary | b64url)
refused "ES256 instead of RS256" "$_h.$_p.$_s"
refused "RS256 signed by another key" "$(jwt_sign "$HDR_OK" "$(claims)" "$KEYS/test-only-rs256-other-private.pem")"
refused "signature of another token" "$(jwt_sign "$HDR_OK" "$(claims '"x":1')" | cut -d. -f1-2).$(printf '%s' "$VALID" | cut -d. -f3)"
alive_and_valid
end_case

begin "time_claims_are_checked_401"
refused "expired 61 s ago" "$(jwt_sign "$HDR_OK" "$(claims "" $((NOW - 61)))")"
_nbf=$(claims "\"nbf\":$((NOW + 300))")
refused "nbf in the future" "$(jwt_sign "$HDR_OK" "$_nbf")"
refused "exp missing" "$(jwt_sign "$HDR_OK" "{\"iss\":\"axr\",\"aud\":\"axr\",\"sub\":\"$A_UID\",\"iat\":$NOW,\"profile\":{\"uid\":\"$A_UID\",\"roles\":[]}}")"
refused "exp a string" "$(jwt_sign "$HDR_OK" "$(claims "" "\"$((NOW + 600))\"")")"
refused "exp a float" "$(jwt_sign "$HDR_OK" "$(claims "" "$((NOW + 600)).5")")"
alive_and_valid
end_case

begin "issuer_and_audience_are_checked_401"
refused "wrong iss" "$(jwt_sign "$HDR_OK" "$(claims "" "" evil)")"
refused "foreign aud" "$(jwt_sign "$HDR_OK" "$(claims "" "" axr other-service)")"
refused "aud missing" "$(jwt_sign "$HDR_OK" "{\"iss\":\"axr\",\"sub\":\"$A_UID\",\"iat\":$NOW,\"exp\":$((NOW + 600)),\"profile\":{\"uid\":\"$A_UID\",\"roles\":[]}}")"
refused "duplicate sub" "$(jwt_sign "$HDR_OK" "$(claims "\"sub\":\"$ADMIN_UID\"")")"
alive_and_valid
end_case

begin "bad_kids_are_401_and_never_used_as_paths_or_keys"
refused "kid ../../etc/passwd" "$(jwt_sign '{"alg":"RS256","typ":"JWT","kid":"../../etc/passwd"}' "$(claims)")"
refused "kid SQL" "$(jwt_sign "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"x' OR '1'='1\"}" "$(claims)")"
refused "kid 10 KB" "$(jwt_sign "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"$(pad 10240)\"}" "$(claims)")"
alive_and_valid
end_case

begin "oversized_and_malformed_tokens_are_refused"
# sized N: a well-formed token of N bytes (header, padded payload, a signature).
_h=$(printf '%s' "$HDR_OK" | b64url)
_s=$(printf '%s' "$VALID" | cut -d. -f3)
sized() { printf '%s.%s.%s' "$_h" "$(pad $(($1 - ${#_h} - ${#_s} - 2)))" "$_s"; }
want "the 4 KiB + 1 token" "$(sized 4097 | wc -c)" 4097
refused "4 KiB + 1" "$(sized 4097)"
printf 'Authorization: Bearer %s\n' "$(sized 65536)" >"$T/h64k"
want "64 KiB (reaches the token check)" "$(call GET /users/me "" "" -H "@$T/h64k")" 401
{ printf 'GET /users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s.' "$_h"; pad 8388608; printf '.%s\r\n\r\n' "$_s"; } >"$T/r8m"
raw -f "$T/r8m"
want "8 MiB (refused by the HTTP layer as an invalid token, issue #6)" "$(status)" 401
want "8 MiB: WWW-Authenticate" "$(header WWW-Authenticate)" 'Bearer error="invalid_token"'
want_closed
refused "no dots" "$(printf '%s' "$VALID" | tr -d .)"
refused "one dot" "$(printf '%s' "$VALID" | cut -d. -f1-2)"
refused "five dots" "$VALID..."
refused "bad base64url" "$(printf '%s' "$VALID" | cut -d. -f1).%%%%.$(printf '%s' "$VALID" | cut -d. -f3)"
refused "header not JSON" "$(printf 'not json' | b64url).$(printf '%s' "$VALID" | cut -d. -f2-3)"
alive_and_valid
end_case

# ---- secrets -------------------------------------------------------------------------

begin "no_password_or_hash_in_any_answer"
for _secret in alice-password-1 mallory-password bob-password-1 "$ADMIN_PASSWORD" '\$argon2' '"password"' "$DEV"; do
	want "answers holding $_secret" "$(grep -c -- "$_secret" "$BODIES")" 0
done
want "the process is still up" "$(kill -0 "$PID" 2>/dev/null && echo up)" up
end_case

begin "sigterm_drains_and_exits_0"
server_stop "$PID"
want "exit status" "$?" 0
end_case

finish
