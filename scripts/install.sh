#!/bin/sh
# install.sh PREFIX BUILD: install libaxr (static), its headers and a
# pkg-config file under PREFIX, so programs build against an installed copy
# with `pkg-config --cflags --libs axr`. Service client libraries add their
# own files here as they are built (libaxr-<svc>-client).
set -eu
PREFIX=${1:?usage: install.sh PREFIX BUILD}
BUILD=${2:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

inc=$PREFIX/include/axr
lib=$PREFIX/lib
pc=$lib/pkgconfig
mkdir -p "$inc" "$lib" "$pc"

install -m 644 runtime/*.h "$inc/"
for h in "$BUILD"/gen/runtime/*.pb-c.h; do
	[ -f "$h" ] && install -m 644 "$h" "$inc/"
done
install -m 644 "$BUILD/libaxr.a" "$lib/"

# The client runtime and the client libraries of generated services, when built
# (make clients): libaxr-client, libaxr-<svc>-client, their .pc files and the
# services' client headers (include/axr/<svc>/).
for a in "$BUILD"/lib/libaxr-client.a "$BUILD"/lib/libaxr-client.so "$BUILD"/lib/libaxr-*-client.a \
	"$BUILD"/lib/libaxr-*-client.so; do
	[ -f "$a" ] && install -m 644 "$a" "$lib/"
done
for p in "$BUILD"/lib/pkgconfig/*.pc; do
	[ -f "$p" ] && sed "s|@PREFIX@|$PREFIX|g" "$p" >"$pc/$(basename "$p")"
done
for d in "$BUILD"/include/*; do
	[ -d "$d" ] && mkdir -p "$inc/$(basename "$d")" && install -m 644 "$d"/*.h "$inc/$(basename "$d")/"
done

requires="libevent libevent_pthreads json-c libjwt hiredis libpq libprotobuf-c libsodium libpcre2-8 libcrypto"
cat >"$pc/axr.pc" <<PC
prefix=$PREFIX
includedir=\${prefix}/include/axr
libdir=\${prefix}/lib

Name: axr
Description: the axr runtime (server, JSON, validation, auth, db, bus, client)
Version: 0.1.0
Requires: $requires
Cflags: -I\${includedir}
Libs: -L\${libdir} -laxr -lm -pthread
PC
echo "installed axr into $PREFIX (pkg-config: PKG_CONFIG_PATH=$pc pkg-config --cflags --libs axr)"
