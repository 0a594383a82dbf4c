#!/bin/sh
# short.test.sh: make test's soak: tests/soak/run.sh for 45 s (normal build): the whole platform under
# mixed traffic, every service up, RSS and open fds flat within tolerance, no 5xx.
ROOT=${AXR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
SOAK_SECONDS=${SOAK_SHORT_SECONDS:-45} SOAK_WARMUP=20 SOAK_SAN=0 exec sh "$ROOT/tests/soak/run.sh"
