#!/bin/sh
# client.test.sh: the account service through its generated C client: build/itests/account
# (tests/integration/account.c) against a real build/bin/axr-account (tests/account/lib.sh: a fresh
# database of the tests' PostgreSQL, the tests' redis, cheap KDF, lockout after 3/6 failures in 2 s).
# Every endpoint of spec/account.yaml through account_client_*: sign-up, password and device log-in,
# refresh rotation and reuse, logout, keys, users (ownership 404, versions, admin-only properties,
# lists), roles, lockout 429 with Retry-After, the client's automatic refresh of an expired token.
# Raw-protocol attacks (forged and malformed tokens, extra JSON members) stay in account.test.sh:
# a client cannot send them.
. "$(dirname "$0")/../server/lib.sh"
. "$(dirname "$0")/lib.sh"

PROGRAM=$BUILD/itests/account
for _bin in "$PROGRAM" "$BUILD/tools/mint_token"; do
	[ -x "$_bin" ] || { echo "not ok - setup: $_bin is missing (run make and make itests)"; exit 1; }
done
account_start account_client

AXR_IT_ACCOUNT_URL=$BASE AXR_IT_ADMIN_NAME=$ADMIN_NAME AXR_IT_ADMIN_PASSWORD=$ADMIN_PASSWORD \
	AXR_IT_KEY=$PRIV AXR_BUILD=$BUILD "$PROGRAM" || FAILED=1

begin "the_service_stayed_up"
want "process" "$(kill -0 "$PID" 2>/dev/null && echo up)" up
end_case

finish
