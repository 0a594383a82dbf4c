#!/bin/sh
# run.sh: make soak: the whole platform under SOAK_SECONDS of mixed traffic; RSS and open fds of every service flat.
#
#   sh tests/soak/run.sh            normal build (build/bin)
#   SOAK_SAN=1 sh tests/soak/run.sh the services built with ASan+UBSan (make BUILD=build/asan SAN=1,
#                                   done here), stopped with SIGTERM so LeakSanitizer reports at exit
#
# Starts the platform of scripts/up.sh in a temp folder (tests/lib/platform.sh), runs
# build/itests/soak (tests/integration/soak.c: sign-ups and log-ins, achievement progress, economy
# mints and transfers, guestbook CRUD, matchmaking tickets, websockets held open, all through the
# gateway with the generated clients) for SOAK_SECONDS, and samples every service's VmRSS
# (/proc/PID/status) and open fds (/proc/PID/fd) every SOAK_INTERVAL seconds.
#
# Cases (ok / not ok lines, as tests/run counts them):
#   the traffic program's own: no 5xx, no unexpected 4xx or transport error, websockets held
#   per service: it stayed up; open fds at the end <= after warm-up + SOAK_FD_SLACK;
#                RSS at the end <= SOAK_RSS_PCT % of RSS after warm-up (normal build only: ASan's
#                quarantine and shadow memory grow by design); both are the least of a few samples
#                (after warm-up: those of its first two intervals; at the end: the last one and the one
#                after the traffic), so a transient (an argon2id hash holds 19 MiB while it runs) is not
#                taken for growth, while a leak, which stays, is
#   SOAK_SAN=1: no AddressSanitizer, LeakSanitizer or UBSan report in any service's log
# "After warm-up" is the first sample at or after SOAK_WARMUP seconds of traffic; "end" the last
# sample taken while the traffic still ran; "after" one taken 5 s after it stopped.
#
# Settings: SOAK_SECONDS (600), SOAK_WARMUP (SOAK_SECONDS / 5, at most 60, at least 10),
# SOAK_INTERVAL (10), SOAK_FD_SLACK (10), SOAK_RSS_PCT (125), SOAK_THREADS (4 traffic workers),
# SOAK_SOCKETS (40 websockets), SOAK_RATE (80 requests/s) and SOAK_AUTH_RATE (4 /v1/auth/ requests/s),
# under the gateway's limits for one client address (nginx.conf), SOAK_SAN (0).
# Writes the figures to build/soak/latest.txt (latest-asan.txt), every sample to
# build/soak/samples.txt (samples-asan.txt), and sanitizer reports to build/soak/asan-<svc>.log.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd -P)
cd "$ROOT" || exit 2
BASE=${AXR_BUILD:-build}
case $BASE in /*) ;; *) BASE=$ROOT/$BASE ;; esac
SECONDS_TOTAL=${SOAK_SECONDS:-600}
INTERVAL=${SOAK_INTERVAL:-10}
FD_SLACK=${SOAK_FD_SLACK:-10}
RSS_PCT=${SOAK_RSS_PCT:-125}
SAN=${SOAK_SAN:-0}
WARMUP=${SOAK_WARMUP:-$((SECONDS_TOTAL / 5))}
[ "$WARMUP" -le 60 ] || WARMUP=60
[ "$WARMUP" -ge 10 ] || WARMUP=10
case $SECONDS_TOTAL$INTERVAL$FD_SLACK$RSS_PCT$WARMUP$SAN in
*[!0-9]*) echo "not ok - setup: SOAK_SECONDS, SOAK_INTERVAL, SOAK_FD_SLACK, SOAK_RSS_PCT, SOAK_WARMUP, SOAK_SAN are whole numbers"; exit 2 ;;
esac
if [ $((WARMUP + 2 * INTERVAL)) -gt "$SECONDS_TOTAL" ]; then
	echo "not ok - setup: SOAK_SECONDS ($SECONDS_TOTAL) leaves no two samples after the warm-up ($WARMUP s, every $INTERVAL s)"
	exit 2
fi

SOAK=$BASE/itests/soak
OUT=$BASE/soak
SUFFIX=
if [ "$SAN" = 1 ]; then
	BUILD=$BASE/asan
	SUFFIX=-asan
else
	BUILD=$BASE
fi

failed=0
T=
# Case lines, also kept (in $T/checks) for build/soak/latest.txt.
line() {
	echo "$1"
	[ -z "$T" ] || echo "$1" >>"$T/checks"
}
ok() { line "ok - $1"; }
not_ok() {
	line "not ok - $1: $2"
	failed=1
}

SERVICES=$(sh "$ROOT/scripts/gateway.sh" services | awk '{ print $1 }')
if [ "$SAN" = 1 ]; then
	# The sanitizer build of every service, in its own tree (incremental).
	bins=
	for s in $SERVICES; do bins="$bins $BUILD/bin/axr-$s"; done
	# shellcheck disable=SC2086 # one word per binary
	make -s BUILD="${BUILD#"$ROOT"/}" SAN=1 $bins >"$BASE/soak-asan-make.log" 2>&1 ||
		{ tail -n 30 "$BASE/soak-asan-make.log"; echo "not ok - setup: the ASan build of the services failed"; exit 1; }
fi
[ -x "$SOAK" ] || { echo "not ok - setup: $SOAK not built (make itests)"; exit 1; }
for s in $SERVICES; do
	[ -x "$BUILD/bin/axr-$s" ] || { echo "not ok - setup: $BUILD/bin/axr-$s not built"; exit 1; }
done

T=$(mktemp -d "${AXR_TEST_TMP:-${TMPDIR:-/tmp}}/axr-soak.XXXXXX") || exit 2
soak_pid=
cleanup() {
	[ -z "$soak_pid" ] || kill -TERM "$soak_pid" 2>/dev/null
	platform_down
	rm -rf "$T"
}
. "$ROOT/tests/lib/platform.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM

# Under ASan: leaks reported at exit, the first error stops the process (and is in its log);
# atexit=1 prints allocator statistics at exit, the proof that exit() ran and with it the leak check.
set -- AXR_UP_READY_TIMEOUT=120
if [ "$SAN" = 1 ]; then
	set -- "$@" ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:atexit=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	[ ! -r "$ROOT/tests/soak/lsan.supp" ] ||
		set -- "$@" LSAN_OPTIONS=suppressions=$ROOT/tests/soak/lsan.supp:print_suppressions=1
fi
if ! platform_up "$@"; then
	tail -n 40 "$PLAT_DIR/up.out"
	echo "not ok - setup: the platform did not start (build $BUILD)"
	exit 1
fi

# sample LABEL: one line per service: LABEL NAME PID RSS_KB FDS THREADS (pid 0 when it is gone).
sample() {
	for _s in $SERVICES; do
		_p=$(plat_pid "$_s")
		if [ -n "$_p" ] && [ -r "/proc/$_p/status" ]; then
			_fds=$(ls "/proc/$_p/fd" 2>/dev/null | wc -l)
			awk -v l="$1" -v s="$_s" -v p="$_p" -v f="$_fds" \
				'/^VmRSS:/ { r = $2 } /^Threads:/ { t = $2 } END { print l, s, p, r + 0, f, t + 0 }' "/proc/$_p/status"
		else
			echo "$1 $_s 0 0 0 0"
		fi
	done >>"$T/samples"
}

: >"$T/samples"
: >"$T/checks"
# A few requests to every service through the gateway before the idle figures.
for s in $SERVICES; do curl -s -o /dev/null --max-time 5 "$PLAT_GATEWAY/v1/$s/status"; done
sleep 2
sample idle

start=$(date +%s)
AXR_SOAK_URL=$PLAT_GATEWAY/v1 AXR_SOAK_SECONDS=$SECONDS_TOTAL AXR_SOAK_THREADS=${SOAK_THREADS:-4} \
	AXR_SOAK_SOCKETS=${SOAK_SOCKETS:-40} AXR_SOAK_RATE=${SOAK_RATE:-80} AXR_SOAK_AUTH_RATE=${SOAK_AUTH_RATE:-4} \
	AXR_SOAK_ADMIN_NAME=$PLAT_ADMIN_NAME \
	AXR_SOAK_ADMIN_PASSWORD=$PLAT_ADMIN_PASSWORD AXR_BUILD=$BASE \
	"$SOAK" >"$T/soak.out" 2>"$T/soak.err" &
soak_pid=$!
echo "# soak: $SECONDS_TOTAL s of traffic against $BUILD/bin, samples every $INTERVAL s (progress: $T/soak.err)"

warm=
last=
next=$INTERVAL
while kill -0 "$soak_pid" 2>/dev/null; do
	now=$(($(date +%s) - start))
	if [ "$now" -ge "$next" ]; then
		sample "$now"
		[ -n "$warm" ] || [ "$now" -lt "$WARMUP" ] || warm=$now
		last=$now
		next=$((next + INTERVAL))
		progress=$(tail -n 1 "$T/soak.err" 2>/dev/null)
		[ "$progress" = "${shown:-}" ] || echo "# $progress"
		shown=$progress
	fi
	sleep 1
done
wait "$soak_pid"
soak_rc=$?
soak_pid=
sleep 5
sample after

cat "$T/soak.out"
grep -v '^soak: [0-9]*s:' "$T/soak.err" | head -n 30 | sed 's/^/# /'
[ "$soak_rc" -le 1 ] || not_ok "soak traffic" "the traffic program exited with status $soak_rc"
grep -q '^not ok ' "$T/soak.out" && failed=1
if [ -z "$warm" ] || [ "$last" = "$warm" ]; then
	not_ok "soak samples" "no two samples after the warm-up (warm-up $WARMUP s, last sample at ${last:-none} s)"
	warm=${warm:-idle}
	last=${last:-idle}
fi

# fig LABEL NAME FIELD: a sampled figure (field 4 RSS kB, 5 fds, 3 pid).
fig() { awk -v l="$1" -v s="$2" -v f="$3" '$1 == l && $2 == s { v = $f } END { print v + 0 }' "$T/samples"; }
# rss_min FROM TO NAME: the smallest RSS of NAME sampled at FROM..TO seconds of traffic (TO "after":
# from FROM on, and the sample taken after the traffic). Transients (an argon2id hash holds 19 MiB while it runs) do not count; a leak does.
rss_min() {
	awk -v a="$1" -v b="$2" -v s="$3" '$2 == s && ($1 == "after" ? b == "after" : $1 ~ /^[0-9]+$/ && $1 + 0 >= a + 0 && (b == "after" || $1 + 0 <= b + 0)) {
		if (m == "" || $4 + 0 < m + 0) m = $4 } END { print m + 0 }' "$T/samples"
}

mkdir -p "$OUT"
{
	printf '# soak %s: %s s of traffic, %s build (%s), warm-up %s s, a sample every %s s; load average %s\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$SECONDS_TOTAL" "$([ "$SAN" = 1 ] && echo ASan+UBSan || echo normal)" \
		"$BUILD/bin" "$WARMUP" "$INTERVAL" "$(cut -d ' ' -f 1-3 /proc/loadavg)"
	printf '# %-13s %8s | %8s %8s %8s %8s | %5s %5s %5s %5s\n' service pid "idle RSS" "${warm}s RSS" \
		"${last}s RSS" "after" "idle" "${warm}s" "${last}s" "after"
	printf '# %-13s %8s | %8s %8s %8s %8s | %5s %5s %5s %5s\n' "" "" kB kB kB kB fds fds fds fds
	for s in $SERVICES; do
		printf '# %-13s %8s | %8s %8s %8s %8s | %5s %5s %5s %5s\n' "$s" "$(fig idle "$s" 3)" \
			"$(fig idle "$s" 4)" "$(fig "$warm" "$s" 4)" "$(fig "$last" "$s" 4)" "$(fig after "$s" 4)" \
			"$(fig idle "$s" 5)" "$(fig "$warm" "$s" 5)" "$(fig "$last" "$s" 5)" "$(fig after "$s" 5)"
	done
} >"$T/table"
cat "$T/table"

for s in $SERVICES; do
	pid=$(fig idle "$s" 3)
	if [ "$pid" != 0 ] && kill -0 "$pid" 2>/dev/null && [ "$(fig "$last" "$s" 3)" = "$pid" ]; then
		ok "soak $s: stayed up (pid $pid)"
	else
		not_ok "soak $s: stayed up" "pid $pid is gone (log: $PLAT_RUN/logs/$s.log)"
		tail -n 20 "$PLAT_RUN/logs/$s.log" | sed 's/^/# /'
		continue
	fi
	fw=$(fig "$warm" "$s" 5)
	fe=$(fig "$last" "$s" 5)
	if [ "$fe" -le $((fw + FD_SLACK)) ]; then
		ok "soak $s: open fds flat ($fw after warm-up, $fe at the end, tolerance +$FD_SLACK)"
	else
		not_ok "soak $s: open fds flat" "$fw after warm-up, $fe at the end (more than +$FD_SLACK)"
	fi
	[ "$SAN" = 1 ] && continue
	# After warm-up: the least of the samples of its first 2 intervals (before the last); at the end:
	# the least of the last sample and the one after the traffic.
	b=$((warm + 2 * INTERVAL))
	[ "$b" -lt "$last" ] || b=$((last - 1))
	rw=$(rss_min "$warm" "$b" "$s")
	re=$(rss_min "$last" after "$s")
	if [ $((re * 100)) -le $((rw * RSS_PCT)) ]; then
		ok "soak $s: RSS flat ($rw kB after warm-up, $re kB at the end, tolerance $RSS_PCT %)"
	else
		not_ok "soak $s: RSS flat" "$rw kB after warm-up, $re kB at the end (more than $RSS_PCT %)"
	fi
done

if [ "$SAN" = 1 ]; then
	# SIGTERM to every service and wait for it to exit: LeakSanitizer reports at exit, into its log.
	for s in $SERVICES; do
		p=$(plat_pid "$s")
		[ -z "$p" ] || kill -TERM "$p" 2>/dev/null
	done
	for s in $SERVICES; do
		p=$(plat_pid "$s")
		n=600
		while [ -n "$p" ] && kill -0 "$p" 2>/dev/null && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
		[ -z "$p" ] || ! kill -0 "$p" 2>/dev/null || not_ok "soak $s: exits on SIGTERM" "pid $p still runs after 60 s"
	done
	rm -f "$OUT"/asan-*.log
	for s in $SERVICES; do
		log=$PLAT_RUN/logs/$s.log
		if grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Leak|Undefined)' "$log"; then
			cp "$log" "$OUT/asan-$s.log"
			not_ok "soak $s: no sanitizer report" "$(grep -Em 1 'SUMMARY:|ERROR:|runtime error:' "$log") (whole log: $OUT/asan-$s.log)"
		elif ! grep -q "AddressSanitizer exit stats" "$log"; then
			cp "$log" "$OUT/asan-$s.log"
			not_ok "soak $s: no sanitizer report" "no exit statistics in its log: it did not leave through exit(), so no leak check ran (whole log: $OUT/asan-$s.log)"
		else
			ok "soak $s: no sanitizer report, and the leak check ran at its exit"
		fi
	done
fi

{
	cat "$T/table"
	grep '^#' "$T/soak.out"
	grep -E "^(not )?ok " "$T/soak.out"
	cat "$T/checks"
} >"$OUT/latest$SUFFIX.txt"
cp "$T/samples" "$OUT/samples$SUFFIX.txt"
exit "$failed"
