#!/bin/sh
# corpus.test.sh: axrgen over AcceleratXR's own platform spec, input nobody
# here wrote (OpenAPI 3.1, 317 paths, 73 schemas). Prints the counts,
# warnings by kind and the read time as `# ...` lines.
#
# The spec has two real defects: $refs to schemas it never defines
# (`ACLRecordMongo`, `Buffer`: TypeScript types AcceleratXR did not export).
# Strict mode must report exactly those two; declared extern they are the
# only warnings of their kind and the spec reads with zero errors.
set -u
BUILD=${AXR_BUILD:-build}
AXRGEN=${AXRGEN:-$BUILD/bin/axrgen}
CORPORA=${AXR_CORPORA:-../shared/corpora}
SPEC=$CORPORA/axr-openapi-2024.08.0.yaml
EXTERN="--extern-schema ACLRecordMongo --extern-schema Buffer"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
failed=0
pass() { echo "ok - $1"; }
fail() { echo "not ok - $1: $2"; failed=1; }

if [ ! -x "$AXRGEN" ] || [ ! -f "$SPEC" ]; then
	fail corpus-setup "need $AXRGEN and $SPEC"
	exit 1
fi

"$AXRGEN" check "$SPEC" 2>"$tmp/strict"
rc=$?
grep ': error: ' "$tmp/strict" | sed "s|^$SPEC:||" >"$tmp/errors"
cat >"$tmp/want" <<'WANT'
17260:19: error: unknown $ref '#/components/schemas/ACLRecordMongo'
20653:17: error: unknown $ref '#/components/schemas/Buffer'
WANT
if [ $rc -eq 1 ] && cmp -s "$tmp/errors" "$tmp/want"; then
	pass corpus-strict-reports-exactly-the-two-dangling-refs
else
	fail corpus-strict-reports-exactly-the-two-dangling-refs \
		"exit $rc, errors: $(tr '\n' ';' <"$tmp/errors")"
fi

# shellcheck disable=SC2086
"$AXRGEN" stats $EXTERN "$SPEC" >"$tmp/stats" 2>/dev/null
rc=$?
sed 's/^/# /' "$tmp/stats"
get() { awk -v k="$1" '$1 == k { print $2 }' "$tmp/stats"; }
if [ $rc -eq 0 ] && [ "$(get errors)" = 0 ]; then
	pass corpus-zero-errors
else
	fail corpus-zero-errors "exit $rc, $(get errors) errors"
fi
if [ "$(get paths)" = 317 ] && [ "$(get schemas)" = 73 ] && [ "$(get operations)" = 585 ]; then
	pass corpus-counts
else
	fail corpus-counts "paths $(get paths), schemas $(get schemas), operations $(get operations)"
fi
secs=$(get read-seconds)
if awk -v s="$secs" 'BEGIN { exit !(s < 0.5) }'; then
	pass "corpus-read-under-half-a-second ($secs s)"
else
	fail corpus-read-under-half-a-second "$secs s"
fi

# shellcheck disable=SC2086
"$AXRGEN" dump $EXTERN "$SPEC" >"$tmp/a" 2>/dev/null
# shellcheck disable=SC2086
"$AXRGEN" dump $EXTERN "$SPEC" >"$tmp/b" 2>/dev/null
if [ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b"; then
	pass corpus-dump-stable
else
	fail corpus-dump-stable "two dumps differ (or are empty)"
fi
exit $failed
