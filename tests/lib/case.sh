# case.sh: the case lines of the script suites (sourced, not run), as tests/run counts them.
#
#   begin NAME                   start a case (WHY is cleared)
#   fail WHY                     the case fails; reasons collect in WHY
#   want WHAT GOT WANT           fails unless GOT = WANT
#   want_match WHAT GOT ERE      fails unless GOT matches the extended regex
#   want_between WHAT N LOW HIGH fails unless LOW <= N <= HIGH (decimals allowed)
#   want_le / want_ge WHAT N M   fails unless N <= M / N >= M (integers)
#   end_case                     prints "ok - NAME" or "not ok - NAME: WHY"
#   setup_fail WHY               prints "not ok - setup: WHY" and exits 1
#   finish                       exits non-zero when a case failed
FAILED=0
CASE=""
WHY=""

begin() {
	CASE=$1
	WHY=""
}
fail() { WHY="${WHY:+$WHY; }$*"; }
want() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }
want_match() { printf '%s' "$2" | grep -Eq -- "$3" || fail "$1: '$2' does not match /$3/"; }
want_between() {
	awk -v n="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(n != "" && n + 0 >= lo + 0 && n + 0 <= hi + 0) }' ||
		fail "$1: $2 is not within [$3, $4]"
}
want_le() { [ "$2" -le "$3" ] 2>/dev/null || fail "$1: got '$2', want at most $3"; }
want_ge() { [ "$2" -ge "$3" ] 2>/dev/null || fail "$1: got '$2', want at least $3"; }
end_case() {
	if [ -z "$WHY" ]; then
		echo "ok - $CASE"
	else
		echo "not ok - $CASE: $WHY"
		FAILED=1
	fi
}
setup_fail() {
	echo "not ok - setup: $*"
	exit 1
}
finish() { exit "$FAILED"; }
