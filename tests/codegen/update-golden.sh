#!/bin/sh
# update-golden.sh: rewrites the expected outputs of golden.test.sh from the
# current axrgen. Review `git diff tests/codegen` before committing!
set -eu
BUILD=${AXR_BUILD:-build}
AXRGEN=${AXRGEN:-$BUILD/bin/axrgen}
DIR=tests/codegen
for spec in "$DIR"/fixtures/*.yaml "$DIR"/fixtures/*.json; do
	name=${spec##*/}
	name=${name%.*}
	"$AXRGEN" dump "$spec" >"$DIR/expected/$name.dump" 2>"$DIR/expected/$name.diag" || true
done
for spec in "$DIR"/broken/*.yaml "$DIR"/broken/*.json; do
	name=${spec##*/}
	name=${name%.*}
	"$AXRGEN" check "$spec" 2>"$DIR/broken/$name.expect" >/dev/null || true
done
