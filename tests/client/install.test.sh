#!/bin/sh
# install.test.sh: the C client ships. `make install PREFIX=<tmp>` installs the
# client runtime and the generated service clients (libraries, headers,
# pkg-config files); docs/examples/guestbook_client.c builds against that
# installed copy with `pkg-config --cflags --libs axr-guestbook-client` alone
# (the shared libraries; once more with the static archives) and runs against
# a real axr-guestbook (fresh database): it creates an entry and lists it
# back; a bad token is the server's 401, an empty message a client-side
# validation error (nothing sent), a closed port a network error; and
# tests/client/guestbook_stubs.c, built the same way, runs every kind of
# generated stub (async and blocking) against the service.
set -u
ROOT=${AXR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 2
BUILD=${AXR_BUILD:-build}
BIN=$BUILD/bin/axr-guestbook
MINT=$BUILD/tools/mint_token
KEY=tests/fixtures/keys/test-only-rs256-private.pem
PUB=tests/fixtures/keys/test-only-rs256-public.pem
CC=${CC:-cc}
T=$(mktemp -d "${AXR_TEST_TMP:-/tmp}/axr-client-install.XXXXXX") || exit 2
chmod 755 "$T"
FAILED=0
PID=""
OWN_PG=0
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ "$OWN_PG" = 1 ] && sh scripts/stack.sh pg-stop "$T/stack" immediate >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { echo "ok - $1"; }
nok() { echo "not ok - $1: $2"; FAILED=1; }
# check NAME GOT WANT-ERE (GOT may span lines; they are joined with '|')
check() {
	_got=$(printf '%s' "$2" | tr '\n' '|')
	if printf '%s' "$_got" | grep -Eq -- "$3"; then ok "$1"; else nok "$1" "got '$_got', want /$3/"; fi
}

# ---- install ------------------------------------------------------------------
P=$T/prefix
if make --no-print-directory BUILD="$BUILD" install PREFIX="$P" >"$T/install.log" 2>&1; then
	ok make-install-into-a-temporary-prefix
else
	nok make-install-into-a-temporary-prefix "$(tail -3 "$T/install.log" | tr '\n' ' ')"
	exit 1
fi
missing=""
for f in lib/libaxr-client.a lib/libaxr-guestbook-client.a lib/libaxr-client.so lib/libaxr-guestbook-client.so \
	lib/pkgconfig/axr-client.pc \
	lib/pkgconfig/axr-guestbook-client.pc include/axr/client.h include/axr/guestbook/guestbook_client.h \
	include/axr/guestbook/guestbook_ops.h include/axr/guestbook/guestbook.pb-c.h \
	include/axr/guestbook/guestbook_schema.h; do
	[ -f "$P/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ] && ! grep -q '@PREFIX@' "$P"/lib/pkgconfig/*.pc; then
	ok install-has-client-libraries-headers-and-pc-files
else
	nok install-has-client-libraries-headers-and-pc-files "missing:$missing; or @PREFIX@ left in a .pc"
fi

# ---- the example builds against the installed copy only ------------------------
export PKG_CONFIG_PATH=$P/lib/pkgconfig
flags=$(pkg-config --cflags --libs axr-guestbook-client 2>"$T/pc.err")
EX=$T/guestbook_client
# Built from a folder outside the repository, so no -I of the tree can help.
# shellcheck disable=SC2086
if [ -n "$flags" ] && (cd "$T" && $CC -std=c11 -Wall -Wextra -Werror -o "$EX" "$ROOT/docs/examples/guestbook_client.c" \
	$flags) 2>"$T/cc.err"; then
	ok "example-builds-with-pkg-config-alone ($flags)"
else
	nok example-builds-with-pkg-config-alone "$(cat "$T/pc.err") $(grep -m3 -E 'error|undefined' "$T/cc.err" | tr '\n' ' ')"
	exit 1
fi
# The same program linked with the static archives (no .so needed at run time).
EXS=$T/guestbook_client_static
libs_static=$(pkg-config --libs axr-guestbook-client | sed 's/-laxr-guestbook-client//; s/-laxr-client//')
# shellcheck disable=SC2086
if (cd "$T" && $CC -std=c11 -Wall -Wextra -Werror -o "$EXS" "$ROOT/docs/examples/guestbook_client.c" \
	$(pkg-config --cflags axr-guestbook-client) "$P/lib/libaxr-guestbook-client.a" "$P/lib/libaxr-client.a" \
	$libs_static) 2>"$T/cc.err" && ! ldd "$EXS" | grep -q libaxr; then
	ok example-links-the-static-archives
else
	nok example-links-the-static-archives "$(grep -m3 -E 'error|undefined' "$T/cc.err" | tr '\n' ' ')"
fi
# pkg-config's -l picks the shared libraries; they are found in the prefix.
export LD_LIBRARY_PATH=$P/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
if ldd "$EX" | grep -q "libaxr-guestbook-client.so => $P/lib/" && ldd "$EX" | grep -q "libaxr-client.so => $P/lib/"; then
	ok example-links-the-shared-libraries
else
	nok example-links-the-shared-libraries "$(ldd "$EX" | grep axr | tr '\n' ' ')"
fi
case $flags in
*"-I$ROOT"* | *"$ROOT/"*) nok example-uses-nothing-of-the-tree "$flags" ;;
*) ok example-uses-nothing-of-the-tree ;;
esac

# ---- against a real service ------------------------------------------------------
for b in "$BIN" "$MINT"; do
	[ -x "$b" ] || { nok setup "$b is missing (run make)"; exit 1; }
done
if [ -n "${AXR_TEST_DATABASE_URL:-}" ]; then
	ADMIN_URL=$AXR_TEST_DATABASE_URL
else
	mkdir -p "$T/stack" && chmod 755 "$T/stack"
	pgport=$(sh scripts/stack.sh free-port)
	sh scripts/stack.sh pg-start "$T/stack" "$pgport" || { nok setup PostgreSQL; exit 1; }
	OWN_PG=1
	ADMIN_URL=$(sh scripts/stack.sh pg-url "$pgport" postgres)
fi
DB=axr_t_client_install_$$
psql -q "$ADMIN_URL" -c "CREATE DATABASE $DB" >/dev/null 2>&1 || { nok setup createdb; exit 1; }
URL=$(printf '%s' "$ADMIN_URL" | sed "s|/[^/?]*\(?.*\)\{0,1\}$|/$DB\1|")
PORT=$(sh scripts/stack.sh free-port)
AXR_PORT=$PORT AXR_DATABASE_URL=$URL AXR_JWT_PUBLIC_KEY=$PUB AXR_ACCESS_LOG=false AXR_WORKERS=2 \
	"$BIN" >"$T/svc.log" 2>&1 &
PID=$!
base=http://127.0.0.1:$PORT
i=0
until curl -sf -o /dev/null "$base/readyz"; do
	i=$((i + 1))
	[ $i -gt 100 ] && { nok setup "service not ready: $(tail -3 "$T/svc.log")"; exit 1; }
	sleep 0.1
done
A=$("$MINT" -k "$KEY" -s alice -u 11111111-1111-4111-8111-111111111111)
B=$("$MINT" -k "$KEY" -s bob -u 22222222-2222-4222-8222-222222222222)

U='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
out=$("$EX" "$base" "$A" "hello from the installed client" 2>&1)
check example-creates-an-entry-and-lists-it "$out" \
	"^created ($U) hello from the installed client\|listed 1\|entry ($U) hello from the installed client$"
id1=$(printf '%s\n' "$out" | sed -n 's/^created \([^ ]*\) .*/\1/p')
id2=$(printf '%s\n' "$out" | sed -n 's/^entry \([^ ]*\) .*/\1/p')
[ -n "$id1" ] && [ "$id1" = "$id2" ] && ok listed-entry-is-the-created-one || nok listed-entry-is-the-created-one "'$id1' vs '$id2'"

out=$("$EXS" "$base" "$A" "second" 2>&1)
check static-build-second-call-lists-both-entries-of-the-owner "$out" "^created $U second\|listed 2\|entry $U .*\|entry $U .*$"
out=$("$EX" "$base" "$B" "bob's" 2>&1)
check another-user-lists-only-his-own-entry "$out" "^created $U bob's\|listed 1\|entry $U bob's$"

out=$("$EX" "$base" "not-a-token" "x" 2>/dev/null)
rc=$?
check bad-token-is-the-servers-401 "$rc $out" "^1 error: [A-Z_]+ 401 "
out=$("$EX" "$base" "$A" "" 2>/dev/null)
rc=$?
check empty-message-fails-client-side-validation-with-the-field "$rc $out" "^1 error: VALIDATION 0 .*\|  /message: "
n=$(psql -qtA "$URL" -c "SELECT count(*) FROM entry WHERE message = ''" 2>/dev/null || echo "?")
[ "$n" = 0 ] && ok invalid-entry-was-not-sent || nok invalid-entry-was-not-sent "$n rows with an empty message"
dead=$(sh scripts/stack.sh free-port)
out=$("$EX" "http://127.0.0.1:$dead" "$A" "x" 2>/dev/null)
rc=$?
check closed-port-is-a-network-error "$rc $out" "^1 error: IO 0 "

# Every kind of stub (async and blocking; path, body and opts arguments; no
# response body; errors) from a program built against the installed copy.
C=$("$MINT" -k "$KEY" -s carol -u 44444444-4444-4444-8444-444444444444)
# shellcheck disable=SC2086
if (cd "$T" && $CC -std=c11 -Wall -Wextra -Werror -o "$T/guestbook_stubs" "$ROOT/tests/client/guestbook_stubs.c" \
	$flags) 2>"$T/cc.err"; then
	"$T/guestbook_stubs" "$base" "$C" >"$T/stubs.out" 2>&1
	rc=$?
	cat "$T/stubs.out"
	[ $rc -eq 0 ] || FAILED=1
else
	nok stubs-program-builds-against-the-installed-copy "$(grep -m3 -E 'error|undefined' "$T/cc.err" | tr '\n' ' ')"
fi

kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
PID=""
psql -q "$ADMIN_URL" -c "DROP DATABASE $DB" >/dev/null 2>&1
exit $FAILED
