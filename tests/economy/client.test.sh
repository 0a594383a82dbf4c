#!/bin/sh
# client.test.sh: the economy service through its generated C client: build/itests/economy
# (tests/integration/economy.c) against build/bin/axr-economy on a fresh database and the test
# redis (lib.sh): resources, wallets, mints, approvals, overdrafts, purchases, idempotent replays,
# permissions and BOLA, field errors, 240 concurrent transfers from async stubs that conserve the
# total (API and SQL). The raw-protocol cases (numbers a client cannot encode), events, the key
# purge and the crash are economy.test.sh and conservation.test.sh.
. "$(dirname "$0")/lib.sh"

PROG=$BUILD/itests/economy
[ -x "$PROG" ] || setup_fail "$PROG is missing (run make)"
econ_db client
svc_start || finish

AXR_IT_ECONOMY_URL=http://127.0.0.1:$PORT AXR_IT_ECONOMY_DB=$DBURL AXR_BUILD=$BUILD "$PROG" || FAILED=1

svc_stop
log_case
finish
