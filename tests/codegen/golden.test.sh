#!/bin/sh
# golden.test.sh: axrgen golden tests: fixture dumps, broken-spec diagnostics,
# byte-stable output. Run from the repo root; one line per case (TAP-like).
#
#   tests/codegen/fixtures/X.{yaml,json}  spec -> expected/X.dump (stdout of
#                                          `axrgen dump`) and expected/X.diag
#                                          (its stderr, usually empty)
#   tests/codegen/broken/X.{yaml,json}    spec -> X.expect: the exact stderr of
#                                          `axrgen check`; the exit status is 1
#                                          when it holds an error, else 0
# After an intended change: sh tests/codegen/update-golden.sh, then review
# the diff before committing it.
set -u
BUILD=${AXR_BUILD:-build}
AXRGEN=${AXRGEN:-$BUILD/bin/axrgen}
DIR=tests/codegen
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
failed=0

pass() { echo "ok - $1"; }
fail() { echo "not ok - $1: $2"; failed=1; }
first_diff() { diff "$1" "$2" | sed -n '2,3p' | tr '\n' ' '; }

if [ ! -x "$AXRGEN" ]; then
	fail axrgen-built "$AXRGEN is missing (run make)"
	exit 1
fi

# Fixtures: the dump and its diagnostics match byte for byte.
for spec in "$DIR"/fixtures/*.yaml "$DIR"/fixtures/*.json; do
	name=${spec##*/}
	name=${name%.*}
	exp="$DIR/expected/$name.dump"
	if [ ! -f "$exp" ] || [ ! -f "$DIR/expected/$name.diag" ]; then
		fail "dump-$name" "no $exp or .diag"
		continue
	fi
	"$AXRGEN" dump "$spec" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "dump-$name" "exit status $rc: $(head -1 "$tmp/err")"
	elif ! cmp -s "$tmp/out" "$exp"; then
		fail "dump-$name" "dump differs from $exp: $(first_diff "$exp" "$tmp/out")"
	elif ! cmp -s "$tmp/err" "$DIR/expected/$name.diag"; then
		fail "dump-$name" "diagnostics differ: $(first_diff "$DIR/expected/$name.diag" "$tmp/err")"
	else
		pass "dump-$name"
	fi
done

# Byte stability: the same specs twice, and in another order, give the same bytes.
set -- "$DIR"/fixtures/*.yaml "$DIR"/fixtures/*.json
"$AXRGEN" dump "$@" >"$tmp/a" 2>/dev/null
"$AXRGEN" dump "$@" >"$tmp/b" 2>/dev/null
rev=""
for f in "$@"; do rev="$f $rev"; done
# shellcheck disable=SC2086
"$AXRGEN" dump $rev >"$tmp/c" 2>/dev/null
if [ ! -s "$tmp/a" ]; then
	fail dump-stable "empty dump of all fixtures"
elif ! cmp -s "$tmp/a" "$tmp/b"; then
	fail dump-stable "two runs differ"
elif ! cmp -s "$tmp/a" "$tmp/c"; then
	fail dump-stable "argument order changes the dump"
else
	pass dump-stable
fi
if "$AXRGEN" check "$@" 2>"$tmp/err"; then
	pass check-fixtures-clean
else
	fail check-fixtures-clean "$(grep -m1 'error:' "$tmp/err")"
fi

# Broken specs: the exact diagnostics, and the exit status that goes with them.
n=0
for spec in "$DIR"/broken/*.yaml "$DIR"/broken/*.json; do
	name=${spec##*/}
	name=${name%.*}
	exp="$DIR/broken/$name.expect"
	if [ ! -f "$exp" ]; then
		fail "broken-$name" "no $exp"
		continue
	fi
	n=$((n + 1))
	"$AXRGEN" check "$spec" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	want=0
	grep -q ': error: ' "$exp" && want=1
	if [ $rc -ne $want ]; then
		fail "broken-$name" "exit status $rc, want $want"
	elif [ -s "$tmp/out" ]; then
		fail "broken-$name" "unexpected stdout: $(head -1 "$tmp/out")"
	elif ! cmp -s "$tmp/err" "$exp"; then
		fail "broken-$name" "want '$(head -1 "$exp")', got '$(head -1 "$tmp/err")'"
	else
		pass "broken-$name"
	fi
done
if [ $n -ge 30 ]; then
	pass "broken-count-at-least-30"
else
	fail "broken-count-at-least-30" "only $n broken specs"
fi
exit $failed
