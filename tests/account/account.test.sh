#!/bin/sh
# account.test.sh: the account service (build/bin/axr-account) end to end over HTTP, on a fresh
# database of the tests' PostgreSQL and the tests' redis: sign-up, password and device log-in,
# refresh rotation and reuse, logout, the key set, users (ownership, versions, admin-only
# properties), roles, brute-force lockout and its expiry, events on the bus, and forged or
# malformed tokens (each a 401; the process stays up and a valid token still works).
#
# The service runs with test settings: a cheap KDF (argon2id t=1, 64 KiB: behaviour, not cost;
# test_register measures the default), lockout after 3 failures per account / 6 per address
# within 2 s (so the expiry is seen over HTTP), AXR_MAX_HEADER=128k (a 64 KiB token reaches the
# token check; 8 MiB is refused by the HTTP layer first).
. "$(dirname "$0")/../server/lib.sh"

SERVICE=$BUILD/bin/axr-account
MINT=$BUILD/tools/mint_token
KEYS=$ROOT/tests/fixtures/keys
PRIV=$KEYS/test-only-rs256-private.pem
PUB=$KEYS/test-only-rs256-public.pem
for _bin in "$SERVICE" "$MINT"; do
	[ -x "$_bin" ] || { echo "not ok - setup: $_bin is missing (run make)"; exit 1; }
done
if [ -z "${AXR_TEST_DATABASE_URL:-}" ] || [ -z "${AXR_TEST_REDIS_URL:-}" ]; then
	echo "not ok - setup: AXR_TEST_DATABASE_URL and AXR_TEST_REDIS_URL are not set (run it through tests/run)"
	exit 1
fi

# ---- a fresh database ------------------------------------------------------

DBNAME=axr_t_account_http_$$
DB_URL=$(printf '%s\n' "$AXR_TEST_DATABASE_URL" | sed -e 's#^\([a-z]*://[^/?]*\)[^?]*#\1/'"$DBNAME"'#')
psql_admin() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$AXR_TEST_DATABASE_URL" -c "$1" >/dev/null 2>"$T/psql.err"; }
psql_db() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$DB_URL" -c "$1" 2>"$T/psql.err"; }
account_cleanup() {
	[ -n "${SUB_PID:-}" ] && kill "$SUB_PID" 2>/dev/null
	for _p in $PIDS; do kill -9 "$_p" 2>/dev/null; done
	wait 2>/dev/null
	psql_admin "DROP DATABASE IF EXISTS $DBNAME WITH (FORCE)"
	lib_cleanup
}
trap account_cleanup EXIT
if ! psql_admin "CREATE DATABASE $DBNAME"; then
	echo "not ok - setup: CREATE DATABASE: $(cat "$T/psql.err")"
	exit 1
fi

# ---- the service -------------------------------------------------------------

ADMIN_NAME=root-admin
ADMIN_PASSWORD=root-admin-password
PORT=$(sh "$ROOT/scripts/stack.sh" free-port) || exit 1
BASE=http://127.0.0.1:$PORT
LOG=$T/account.log
env AXR_PORT="$PORT" AXR_THREADS=2 AXR_WORKERS=4 AXR_ACCESS_LOG=false AXR_DRAIN_TIMEOUT=3s \
	AXR_DATABASE_URL="$DB_URL" AXR_REDIS_URL="$AXR_TEST_REDIS_URL" \
	AXR_JWT_PRIVATE_KEY="$PRIV" AXR_JWT_PUBLIC_KEY="$PUB" AXR_JWT_ALG=RS256 \
	AXR_ADMIN_NAME="$ADMIN_NAME" AXR_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
	AXR_PWHASH_OPSLIMIT=1 AXR_PWHASH_MEMLIMIT=64k \
	AXR_LOGIN_MAX_FAILURES_ACCOUNT=3 AXR_LOGIN_MAX_FAILURES_ADDRESS=6 AXR_LOGIN_WINDOW=2s \
	AXR_MAX_HEADER=128k "$SERVICE" >"$LOG" 2>&1 &
PID=$!
PIDS="$PIDS $PID"
_tries=0
until curl -s -o /dev/null --max-time 1 "$BASE/readyz"; do
	_tries=$((_tries + 1))
	if [ "$_tries" -gt 100 ] || ! kill -0 "$PID" 2>/dev/null; then
		echo "not ok - setup: axr-account did not start: $(tail -5 "$LOG" | tr '\n' ' ')"
		exit 1
	fi
	sleep 0.1
done

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

begin "register_answers_201_and_a_session_the_service_accepts"
want "status" "$(register alice Alice@Example.COM alice-password-1)" 201
A_TOKEN=$(json token)
A_REFRESH=$(json refresh)
A_UID=$(json uid)
A_BODY=$(body_text)
want "expiresIn" "$(json expiresIn)" 900
want_match "refresh" "$A_REFRESH" '^[A-Za-z0-9_-]{43}$'
want "email stored in lower case" "$(json email)" "alice@example.com"
want "guest" "$(json guest)" "false"
want "GET /users/me with the new token" "$(call GET /users/me "$A_TOKEN" "")" 200
want "same user" "$(json uid)" "$A_UID"
want "ETag" "$(hdr ETag)" '"0"'
end_case

begin "register_publishes_a_user_create_event_on_the_bus"
_tries=0
until grep -q "$A_UID" "$SUB" 2>/dev/null || [ "$_tries" -gt 30 ]; do sleep 0.1; _tries=$((_tries + 1)); done
want_match "event" "$(tr -c '[:print:]\n' ' ' <"$SUB")" "User.*create.*$A_UID|$A_UID.*User.*create"
end_case

begin "register_validation_is_400_with_field_errors"
want "short password" "$(register bob bob@example.com short)" 400
want_error 400 VALIDATION /password
want "bad name" "$(register 'b o' bob@example.com bob-password-1)" 400
want_error 400 VALIDATION /name
want "missing email" "$(call POST /users "" '{"name":"bob","password":"bob-password-1"}')" 400
want_error 400 VALIDATION
want "not JSON" "$(call POST /users "" '{"name":')" 400
end_case

begin "register_duplicate_name_or_email_is_409_naming_it"
want "same name" "$(register alice other@example.com alice-password-2)" 409
want_error 409 EXISTS /name
want "same e-mail, other case" "$(register alicia ALICE@example.com alice-password-2)" 409
want_error 409 EXISTS /email
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

# ---- password log-in ----------------------------------------------------------

begin "password_login_by_name_or_email_answers_200"
want "by name" "$(login alice alice-password-1)" 200
want "uid" "$(json uid)" "$A_UID"
want "by e-mail in any case" "$(login ALICE@example.com alice-password-1)" 200
want "uid" "$(json uid)" "$A_UID"
want_match "lastLogin" "$(json lastLogin)" '^20[0-9-]{8}T'
end_case

begin "password_login_failures_are_one_401_with_www_authenticate"
want "wrong password" "$(login mallory wrong-password-1)" 401
want_error 401 UNAUTHORIZED
_wrong=$(body_text)
want_match "WWW-Authenticate" "$(hdr WWW-Authenticate)" '^Bearer'
want "unknown login" "$(login nobody-at-all wrong-password-1)" 401
want "same answer" "$(body_text)" "$_wrong"
want "unknown e-mail" "$(login nobody@example.com wrong-password-1)" 401
want "same answer" "$(body_text)" "$_wrong"
# A guest has no password: the same 401 too.
call POST /auth/device "" '{"deviceId":"guest-probe-0123456789"}' >/dev/null
want "guest by name" "$(login "$(json name)" any-password-1)" 401
want "same answer" "$(body_text)" "$_wrong"
end_case

# ---- device log-in ---------------------------------------------------------------

begin "device_login_first_use_creates_a_guest_201_then_logs_in_200"
DEV=dev-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
want "first use" "$(call POST /auth/device "" "{\"deviceId\":\"$DEV\"}")" 201
G_UID=$(json uid)
want "guest" "$(json guest)" "true"
want_match "name" "$(json name)" '^guest-[0-9a-f]{16}$'
want_match "no e-mail" "$(body_text)" '^[^@]*$'
want_match "a token" "$(json token)" '^ey'
want "second use" "$(call POST /auth/device "" "{\"deviceId\":\"$DEV\"}")" 200
want "same account" "$(json uid)" "$G_UID"
want "stored as a hash only" "$(psql_db "SELECT count(*) FROM account_device WHERE device_hash = sha256(convert_to('$DEV', 'UTF8'))")" 1
want "malformed id" "$(call POST /auth/device "" '{"deviceId":"short"}')" 400
want_error 400 VALIDATION /deviceId
end_case

# ---- refresh, reuse, logout ---------------------------------------------------------

begin "refresh_rotates_the_pair_and_the_old_token_stops_working"
login alice alice-password-1 >/dev/null
R0=$(json refresh)
want "refresh" "$(call POST /auth/refresh "" "{\"refresh\":\"$R0\"}")" 200
R1=$(json refresh)
T1=$(json token)
want "new refresh token" "$([ "$R1" != "$R0" ] && [ -n "$R1" ] && echo yes)" yes
want "new access token works" "$(call GET /users/me "$T1" "")" 200
want "malformed token" "$(call POST /auth/refresh "" '{"refresh":"not-a-token"}')" 400
want "unknown token" "$(call POST /auth/refresh "" '{"refresh":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}')" 401
want_error 401 UNAUTHORIZED
end_case

begin "refresh_reuse_revokes_the_whole_family"
want "refresh R1" "$(call POST /auth/refresh "" "{\"refresh\":\"$R1\"}")" 200
R2=$(json refresh)
want "reuse of R0" "$(call POST /auth/refresh "" "{\"refresh\":\"$R0\"}")" 401
want_error 401 UNAUTHORIZED
want "the current token R2 died with its family" "$(call POST /auth/refresh "" "{\"refresh\":\"$R2\"}")" 401
want "family marked" "$(psql_db "SELECT count(*) FROM account_refresh_family WHERE revoked_reason = 'reuse'")" 1
want "another log-in is untouched" "$(call POST /auth/refresh "" "{\"refresh\":\"$A_REFRESH\"}")" 200
A_REFRESH=$(json refresh)
end_case

begin "logout_answers_204_and_revokes_the_family"
want "logout" "$(call POST /auth/logout "" "{\"refresh\":\"$A_REFRESH\"}")" 204
want "refresh after logout" "$(call POST /auth/refresh "" "{\"refresh\":\"$A_REFRESH\"}")" 401
want "logout again" "$(call POST /auth/logout "" "{\"refresh\":\"$A_REFRESH\"}")" 204
want "unknown token" "$(call POST /auth/logout "" '{"refresh":"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"}')" 204
want "no body" "$(call POST /auth/logout "" '')" 400
end_case

# ---- keys ---------------------------------------------------------------------------

begin "keys_are_the_public_half_of_the_signing_key"
want "GET /auth/keys" "$(call GET /auth/keys "" "")" 200
KID=$(json kid)
want "kty" "$(json kty)" "RSA"
want "alg" "$(json alg)" "RS256"
_tok_kid=$(printf '%s' "$A_TOKEN" | cut -d. -f1 | b64url_decode | sed -n 's/.*"kid":"\([^"]*\)".*/\1/p')
want "tokens carry its kid" "$_tok_kid" "$KID"
want "no private member" "$(grep -c '"[dpq]":\|"d[pq]":\|"qi":' "$B")" 0
want_match "Cache-Control" "$(hdr Cache-Control)" 'max-age=[0-9]+' 
end_case

# ---- users ---------------------------------------------------------------------------

login alice alice-password-1 >/dev/null
A_TOKEN=$(json token)

begin "users_own_record_by_me_uid_or_name_with_etag"
want "me" "$(call GET /users/me "$A_TOKEN" "")" 200
want "by uid" "$(call GET "/users/$A_UID" "$A_TOKEN" "")" 200
want "ETag" "$(hdr ETag)" '"0"'
want "by name" "$(call GET /users/alice "$A_TOKEN" "")" 200
want "uid" "$(json uid)" "$A_UID"
want "anonymous" "$(call GET /users/me "" "")" 401
want_match "WWW-Authenticate" "$(hdr WWW-Authenticate)" '^Bearer'
end_case

begin "bola_another_users_record_is_404_like_a_missing_one"
register bob bob@example.com bob-password-1 >/dev/null
B_UID=$(json uid)
B_TOKEN=$(json token)
want "unknown uid" "$(call GET /users/00000000-0000-4000-8000-000000000000 "$A_TOKEN" "")" 404
_missing=$(body_text)
want "bob by uid" "$(call GET "/users/$B_UID" "$A_TOKEN" "")" 404
want "same answer" "$(body_text)" "$_missing"
want "bob by name" "$(call GET /users/bob "$A_TOKEN" "")" 404
want "same answer" "$(body_text)" "$_missing"
want "the admin" "$(call GET "/users/$ADMIN_UID" "$A_TOKEN" "")" 404
want "bob sees himself" "$(call GET "/users/$B_UID" "$B_TOKEN" "")" 200
end_case

begin "bola_another_user_cannot_change_or_delete_a_record"
want "update bob by uid" "$(call PUT "/users/$B_UID" "$A_TOKEN" '{"givenName":"Hacked"}' -H 'If-Match: "0"')" 404
want_error 404 NOTFOUND
want "update bob by name" "$(call PUT "/users/bob?version=0" "$A_TOKEN" '{"email":"alice+bob@example.com"}')" 404
want "delete bob (admins only)" "$(call DELETE "/users/$B_UID" "$A_TOKEN" "")" 403
want "delete himself (admins only)" "$(call DELETE "/users/$A_UID" "$A_TOKEN" "")" 403
want "bob unchanged" "$(psql_db "SELECT version || ' ' || coalesce(given_name, '-') || ' ' || email FROM \"user\" WHERE uid = '$B_UID'")" "0 - bob@example.com"
want "list (admins only)" "$(call GET /users "$A_TOKEN" "")" 403
want "count (admins only)" "$(call HEAD /users "$A_TOKEN" "")" 403
end_case

begin "update_changes_present_fields_checks_the_version_and_clears_nulls"
want "update" "$(call PUT "/users/$A_UID" "$A_TOKEN" '{"givenName":"Alice","locale":"en-GB"}' -H 'If-Match: "0"')" 200
want "givenName" "$(json givenName)" "Alice"
want "locale" "$(json locale)" "en-GB"
want "version" "$(json version)" 1
want "ETag" "$(hdr ETag)" '"1"'
want "stale" "$(call PUT /users/alice "$A_TOKEN" '{"givenName":"Al"}' -H 'If-Match: "0"')" 409
want_error 409 CONFLICT /version
want "no version" "$(call PUT /users/alice "$A_TOKEN" '{"givenName":"Al"}')" 400
want_error 400 VALIDATION /version
want "bad If-Match" "$(call PUT /users/alice "$A_TOKEN" '{"givenName":"Al"}' -H 'If-Match: 1')" 400
want_error 400 VALIDATION /header/If-Match
want "null clears, absent keeps" "$(call PUT "/users/alice?version=1" "$A_TOKEN" '{"locale":null}')" 200
want "locale cleared" "$(grep -c '"locale"' "$B")" 0
want "givenName kept" "$(json givenName)" "Alice"
want "taken name" "$(call PUT "/users/alice?version=2" "$A_TOKEN" '{"name":"bob"}')" 409
want_error 409 EXISTS /name
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

begin "admin_changes_roles_lists_counts_and_deletes_users"
want "grant a role" "$(call PUT /users/bob "$ADMIN_TOKEN" '{"roles":["moderator"],"verified":{"email":true}}' -H 'If-Match: "0"')" 200
want_match "roles" "$(body_text)" '"roles":\["moderator"\]'
want_match "verified" "$(body_text)" '"verified":\{"email":true'
want "bob's next token carries it" "$(login bob bob-password-1)" 200
_claims=$(json token | cut -d. -f2 | b64url_decode)
want_match "profile.roles" "$_claims" '"roles":\["moderator"\]'
B_REFRESH=$(json refresh)
want "list" "$(call GET "/users?sort=name&limit=100" "$ADMIN_TOKEN" "")" 200
want_match "every user" "$(body_text)" '^\[\{.*"name":"alice".*"name":"bob".*\]$'
want "count" "$(call HEAD /users "$ADMIN_TOKEN" "")" 200
want "X-Total-Count" "$(hdr X-Total-Count)" "$(psql_db "SELECT count(*) FROM \"user\"")"
want "delete" "$(call DELETE /users/bob "$ADMIN_TOKEN" "")" 204
want "gone" "$(call GET "/users/$B_UID" "$ADMIN_TOKEN" "")" 404
want "its refresh token died" "$(call POST /auth/refresh "" "{\"refresh\":\"$B_REFRESH\"}")" 401
want "its password too" "$(psql_db "SELECT count(*) FROM account_password WHERE user_uid = '$B_UID'")" 0
want "delete again" "$(call DELETE /users/bob "$ADMIN_TOKEN" "")" 404
end_case

begin "roles_are_generated_crud_for_admins_only"
want "create" "$(call POST /roles "$ADMIN_TOKEN" '{"name":"moderator","title":"Moderator"}')" 201
R_UID=$(json uid)
want "get by name" "$(call GET /roles/moderator "$ADMIN_TOKEN" "")" 200
want "ETag" "$(hdr ETag)" '"0"'
want "update" "$(call PUT /roles/moderator "$ADMIN_TOKEN" '{"name":"moderator","title":"Mods"}' -H 'If-Match: "0"')" 200
want "title" "$(json title)" "Mods"
want "duplicate" "$(call POST /roles "$ADMIN_TOKEN" '{"name":"moderator"}')" 409
want "list" "$(call GET /roles "$ADMIN_TOKEN" "")" 200
want_match "both roles" "$(body_text)" '"name":"admin".*"name":"moderator"|"name":"moderator".*"name":"admin"'
want "non-admin create" "$(call POST /roles "$A_TOKEN" '{"name":"hacker"}')" 403
want "non-admin read" "$(call GET "/roles/$R_UID" "$A_TOKEN" "")" 403
want "delete" "$(call DELETE "/roles/$R_UID" "$ADMIN_TOKEN" "")" 204
end_case

# ---- lockout -------------------------------------------------------------------------

begin "lockout_after_3_failures_answers_429_with_retry_after_even_for_the_right_password"
want "register carol" "$(register carol carol@example.com carol-password)" 201
for _i in 1 2 3; do want "failure $_i" "$(login carol "wrong-password-$_i" -H 'X-Real-IP: 198.51.100.1')" 401; done
want "4th attempt, right password" "$(login carol carol-password -H 'X-Real-IP: 198.51.100.2')" 429
want_error 429 TOOMANY
RA=$(hdr Retry-After)
want_match "Retry-After" "$RA" '^[12]$'
want "one Retry-After" "$(hdr_count Retry-After)" 1
want "by e-mail too (same account)" "$(login carol@example.com carol-password -H 'X-Real-IP: 198.51.100.3')" 429
end_case

begin "lockout_expires_after_the_window"
sleep "${RA:-2}"
sleep 0.2
want "right password after Retry-After" "$(login carol carol-password -H 'X-Real-IP: 198.51.100.4')" 200
want "a failure counts from zero again" "$(login carol wrong-password-9 -H 'X-Real-IP: 198.51.100.4')" 401
end_case

begin "lockout_per_client_address_from_the_gateways_x_real_ip"
for _i in 1 2 3 4 5 6; do
	want "failure $_i" "$(login "nobody-$_i" wrong-password-1 -H 'X-Real-IP: 203.0.113.7')" 401
done
want "7th from that address" "$(login alice alice-password-1 -H 'X-Real-IP: 203.0.113.7')" 429
want_match "Retry-After" "$(hdr Retry-After)" '^[12]$'
want "another address" "$(login alice alice-password-1 -H 'X-Real-IP: 203.0.113.8')" 200
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

begin "minted_tokens_for_unknown_users_find_nothing"
_ghost=$("$MINT" -k "$PRIV" -s 00000000-0000-4000-8000-0000000000ff)
want "me of a user that does not exist" "$(call GET /users/me "$_ghost" "")" 404
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
