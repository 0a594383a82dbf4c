#!/bin/sh
# deps.sh: install the Debian packages axr needs that are missing.
# Idempotent and silent when everything is present. Exits non-zero with a
# clear message when packages are missing and cannot be installed.
set -eu

PACKAGES="build-essential pkg-config clang libclang-rt-14-dev curl ca-certificates \
libevent-dev libjson-c-dev libjwt-dev libhiredis-dev libpq-dev \
libprotobuf-c-dev protobuf-c-compiler libfyaml-dev libcmocka-dev \
libsodium-dev libpcre2-dev libssl-dev openssl prometheus \
postgresql postgresql-contrib redis-server nginx wrk yamllint procps iproute2"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	SUDO="sudo -n"
else
	echo "deps: error: missing packages:$missing" >&2
	echo "deps: error: not root and no password-less sudo; install them with:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Keep apt from starting the system-wide daemons; axr runs its own copies.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
	$SUDO chmod +x "$policy"
	created_policy=1
fi
stamp=/var/lib/apt/periodic/axr-update-stamp
if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ]; then
	$SUDO apt-get update -qq >/dev/null || { echo "deps: error: apt-get update failed" >&2; exit 1; }
	$SUDO mkdir -p "$(dirname "$stamp")" && $SUDO touch "$stamp"
fi
rc=0
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/tmp/axr-deps.log 2>&1 || rc=$?
[ "$created_policy" -eq 1 ] && $SUDO rm -f "$policy"
if [ "$rc" -ne 0 ]; then
	echo "deps: error: apt-get install failed (exit $rc); see /tmp/axr-deps.log" >&2
	tail -20 /tmp/axr-deps.log >&2
	exit 1
fi
echo "deps: done"
