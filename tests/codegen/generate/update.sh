#!/bin/sh
# update.sh: rewrites the golden files of tests/codegen/generate.test.sh from the
# current axrgen: expected/ (everything `axrgen generate` makes of specs/) and
# broken/*.expect. Run it after an intended change, then review `git diff` of
# tests/codegen/generate/ before committing it. Run from the repo root.
set -eu
BUILD=${AXR_BUILD:-build}
AXRGEN=${AXRGEN:-$BUILD/bin/axrgen}
DIR=tests/codegen/generate
rm -rf "$DIR/expected"
mkdir -p "$DIR/expected"
"$AXRGEN" generate --out "$DIR/expected/generated" --gateway "$DIR/expected/gateway" \
	--handlers "$DIR/expected/handlers" --lock-dir "$DIR/expected/locks" \
	"$DIR/specs/shop.yaml" "$DIR/specs/chat.yaml" >/dev/null 2>"$DIR/expected/stderr.txt"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for spec in "$DIR"/broken/*.yaml; do
	"$AXRGEN" generate --out "$tmp/out" --no-scaffold --lock-dir "$tmp/locks" "$spec" \
		>/dev/null 2>"${spec%.yaml}.expect" || true
done
"$AXRGEN" generate --out "$tmp/out" --gateway "$tmp/gw" --no-scaffold --lock-dir "$tmp/locks" \
	"$DIR"/broken/gateway/*.yaml >/dev/null 2>"$DIR/broken/gateway.expect" || true
echo "updated $DIR/expected and $DIR/broken/*.expect; review the diff"
