#!/bin/sh
# corpus_compile.test.sh: the whole AcceleratXR platform spec (input nobody here
# wrote: 317 paths, 585 operations, 73 schemas) generates a server whose every
# file compiles with -Werror (its C client included); with --stubs (a 501 for
# every hand-written handler) it links into one binary, its client links alone
# with libaxr-client.a, and nginx accepts its routes. Prints the counts and
# the times as `# ...` lines.
set -u
BUILD=${AXR_BUILD:-build}
AXRGEN=${AXRGEN:-$BUILD/bin/axrgen}
CORPORA=${AXR_CORPORA:-../shared/corpora}
SPEC=$CORPORA/axr-openapi-2024.08.0.yaml
CC=${CC:-cc}
JOBS=$(nproc 2>/dev/null || echo 2)
tmp=$(mktemp -d "${AXR_TEST_TMP:-/tmp}/axrgen-corpus.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP
failed=0
pass() { echo "ok - $1"; }
fail() { echo "not ok - $1: $2"; failed=1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

if [ ! -x "$AXRGEN" ] || [ ! -f "$SPEC" ] || [ ! -f "$BUILD/libaxr.a" ]; then
	fail corpus-compile-setup "need $AXRGEN, $BUILD/libaxr.a and $SPEC"
	exit 1
fi
PKGS="libevent libevent_pthreads json-c libjwt hiredis libpq libprotobuf-c libfyaml libsodium libpcre2-8 libcrypto"
PKG_CFLAGS=$(pkg-config --cflags $PKGS)
CFLAGS="-std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith
	-Wcast-qual -O2 -pthread -D_GNU_SOURCE -Iruntime -I$BUILD/gen/runtime $PKG_CFLAGS"
PBFLAGS="-std=c11 -Wall -Wextra -Werror -O2 -D_GNU_SOURCE $PKG_CFLAGS"

# The service is named after its file; "corpus" is a valid C prefix.
mkdir -p "$tmp/spec" "$tmp/pb" "$tmp/obj"
cp "$SPEC" "$tmp/spec/corpus.yaml"
t0=$(now)
if "$AXRGEN" generate --stats --quiet --stubs --out "$tmp/gen" --gateway "$tmp/gw" --lock-dir "$tmp/locks" \
	--extern-schema ACLRecordMongo --extern-schema Buffer "$tmp/spec/corpus.yaml" >"$tmp/stats" 2>"$tmp/err"; then
	pass "corpus-generates ($(since "$t0") s)"
else
	fail corpus-generates "$(grep -m2 'error:' "$tmp/err" | tr '\n' ' ')"
	exit 1
fi
sed 's/^/# /' "$tmp/stats"
echo "# warnings $(grep -c ': warning: ' "$tmp/err")"
get() { awk -v k="$1" '$1 == k { print $2 }' "$tmp/stats"; }
if [ "$(get operations)" -ge 580 ] && [ "$(get entities)" -gt 0 ]; then
	pass "corpus-routes-every-operation ($(get operations) routed; GET /status is the runtime's)"
else
	fail corpus-routes-every-operation "operations $(get operations), entities $(get entities)"
fi

t0=$(now)
if protoc-c --proto_path="$tmp/gen/corpus" --c_out="$tmp/pb" "$tmp/gen/corpus/corpus.proto" 2>"$tmp/err"; then
	pass "corpus-protoc-c ($(grep -c '^message ' "$tmp/gen/corpus/corpus.proto") messages, $(since "$t0") s)"
else
	fail corpus-protoc-c "$(head -3 "$tmp/err" | tr '\n' ' ')"
	exit 1
fi

# Every file with -Werror, in parallel.
t0=$(now)
# shellcheck disable=SC2086
$CC $PBFLAGS -I"$tmp/pb" -c "$tmp/pb/corpus.pb-c.c" -o "$tmp/obj/corpus.pb-c.o" 2>"$tmp/err.pb" &
for f in "$tmp/gen/corpus"/*.c; do echo "$f"; done |
	xargs -P "$JOBS" -I{} sh -c "$CC $(echo $CFLAGS) -I$tmp/pb -I$tmp/gen/corpus -c {} -o $tmp/obj/\$(basename {} .c).o 2>{}.err"
wait
errs=$(cat "$tmp/err.pb" "$tmp/gen/corpus"/*.err 2>/dev/null | grep -m3 -E 'error|warning')
n_c=$(ls "$tmp/gen/corpus"/*.c | wc -l)
lines=$(cat "$tmp/gen/corpus"/*.c "$tmp/gen/corpus"/*.h "$tmp/pb"/* | wc -l)
if [ -z "$errs" ] && [ "$(ls "$tmp/obj"/*.o | wc -l)" -eq $((n_c + 1)) ]; then
	pass "corpus-compiles-with-werror ($((n_c + 1)) files, $lines lines with protoc-c's, $(since "$t0") s on $JOBS jobs)"
else
	fail corpus-compiles-with-werror "$errs"
fi

# One binary: the stubs stand in for handlers; libaxr's codec, or a stub
# while runtime/codec.c does not exist.
stub=""
if ! nm "$BUILD/libaxr.a" 2>/dev/null | grep -q ' T axr_codec_from_json$'; then
	# shellcheck disable=SC2086
	$CC $CFLAGS -c tests/codegen/generate/codec_stub.c -o "$tmp/codec_stub.o" && stub=$tmp/codec_stub.o
	echo "# libaxr has no codec yet: linked with tests/codegen/generate/codec_stub.c"
fi
t0=$(now)
# shellcheck disable=SC2086
if $CC -pthread -o "$tmp/axr-corpus" "$tmp/obj"/*.o $stub "$BUILD/libaxr.a" $(pkg-config --libs $PKGS) -lm \
	2>"$tmp/err"; then
	pass "corpus-links-one-service ($(du -k "$tmp/axr-corpus" | cut -f1) KiB, $(since "$t0") s)"
else
	fail corpus-links-one-service "$(grep -m3 -E 'undefined|error' "$tmp/err" | tr '\n' ' ')"
fi

# The client alone: its stubs, operation descriptors, tables and protoc-c
# output link with libaxr-client.a (no server, no handlers).
CLIENT_LIB=$BUILD/lib/libaxr-client.a
if [ ! -f "$CLIENT_LIB" ]; then
	fail corpus-client-links-without-the-server "$CLIENT_LIB is missing (run make)"
else
	printf '#include "corpus_client.h"\nint main(void)\n{\n\treturn corpus_client_routes[0].op == NULL;\n}\n' \
		>"$tmp/client_main.c"
	n_fn=$(grep -c '^int corpus_client_[a-z0-9_]*(' "$tmp/gen/corpus/corpus_client.h")
	# shellcheck disable=SC2086
	if $CC $CFLAGS -I"$tmp/pb" -I"$tmp/gen/corpus" -o "$tmp/corpus-client" "$tmp/client_main.c" \
		"$tmp/obj/corpus_client.o" "$tmp/obj/corpus_ops.o" "$tmp/obj/corpus_schema.o" \
		"$tmp/obj/corpus_entities.o" "$tmp/obj/corpus.pb-c.o" "$CLIENT_LIB" \
		$(pkg-config --libs libevent json-c libprotobuf-c libpcre2-8) -lm 2>"$tmp/err" &&
		"$tmp/corpus-client"; then
		pass "corpus-client-links-without-the-server ($n_fn functions: blocking and async, each plain and _ex)"
	else
		fail corpus-client-links-without-the-server "$(grep -m3 -E 'undefined|error' "$tmp/err" | tr '\n' ' ')"
	fi
fi

if command -v nginx >/dev/null 2>&1; then
	mkdir -p "$tmp/nginx"
	printf 'pid %s/nginx.pid;\nerror_log %s/error.log;\nevents {}\nhttp {\n\tupstream axr_corpus { server 127.0.0.1:9; }\n\tserver {\n\t\tlisten 127.0.0.1:9;\n\t\tinclude %s;\n\t}\n}\n' \
		"$tmp/nginx" "$tmp/nginx" "$tmp/gw/routes-corpus.conf" >"$tmp/nginx/nginx.conf"
	if nginx -t -q -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" 2>"$tmp/err"; then
		pass "corpus-nginx-accepts-routes ($(grep -c '^location' "$tmp/gw/routes-corpus.conf") locations)"
	else
		fail corpus-nginx-accepts-routes "$(head -2 "$tmp/err" | tr '\n' ' ')"
	fi
fi
exit $failed
