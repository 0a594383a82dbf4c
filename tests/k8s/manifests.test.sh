#!/bin/sh
# manifests.test.sh: the Kubernetes manifests, the Prometheus configuration and the Dockerfile
# hold what docs/kubernetes.md promises.
#
# Renders both overlays (k8s/overlays/dev with throw-away secrets, k8s/overlays/prod) with
# kustomize >= 4 when one is installed (kubectl kustomize or kustomize build), else with
# tests/k8s/kustomize-lite.sh, and checks every rendered object with tests/k8s/rules.awk: one
# line per overlay and rule, named like kube-linter / kube-score (neither installs here).
# AXR_K8S_RENDERER=lite forces the fallback. Also: yamllint, the render drift check, the
# gateway ConfigMaps against nginx.conf, Prometheus (promtool when installed) and the Dockerfile.
set -u

ROOT=${AXR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${AXR_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
FLAT=$BUILD/tools/yamlflat
HERE=$ROOT/tests/k8s
T=$(mktemp -d "${TMPDIR:-/tmp}/axr-k8s-test.XXXXXX")
cleanup() { rm -rf "$T"; }
. "$ROOT/tests/gateway/tap.sh"
cd "$ROOT" || exit 1

if [ ! -x "$FLAT" ]; then
	not_ok yamlflat "$FLAT is not built (make builds tests/tools/yamlflat.c)"
	exit 1
fi

# ---- sources ------------------------------------------------------------------------------
if out=$(yamllint -c k8s/.yamllint --strict k8s tests/k8s 2>&1); then
	ok "yamllint (k8s/.yamllint, strict): k8s/ and tests/k8s/ clean"
else
	not_ok yamllint "$(printf '%s' "$out" | head -20 | tr '\n' ' ')"
fi

if out=$(sh k8s/render.sh --check 2>&1); then
	ok "render-drift: k8s/render.sh --check changes nothing"
else
	not_ok render-drift "$(printf '%s' "$out" | head -20 | tr '\n' ' ')"
fi

# No Secret values in the base or prod sources: no Secret objects, no secretGenerator, and in
# dev only secretGenerator files that git ignores.
bad=""
for f in $(find k8s -name '*.yaml' ! -path 'k8s/overlays/dev/secrets/*' | LC_ALL=C sort); do
	"$FLAT" "$f" >"$T/src.flat" 2>/dev/null || { bad="$bad $f(does not parse)"; continue; }
	awk -F '\t' '$2 == "/kind" && $4 == "Secret"' "$T/src.flat" | grep -q . && bad="$bad $f(kind: Secret)"
	case $f in
	*/kustomization.yaml)
		if grep -q -E '^[^	]*	/secretGenerator/[^/]+/(literals|envs)/' "$T/src.flat"; then
			bad="$bad $f(secretGenerator literals/envs)"
		fi
		case $f in
		k8s/overlays/dev/*) ;;
		*) grep -q -E '^[^	]*	/secretGenerator/' "$T/src.flat" && bad="$bad $f(secretGenerator outside dev)" ;;
		esac
		for s in $(awk -F '\t' '$2 ~ /^\/secretGenerator\/[^\/]+\/files\// { v = $4; sub(/^[^=]*=/, "", v); print v }' "$T/src.flat"); do
			p=$(dirname "$f")/$s
			if command -v git >/dev/null 2>&1 && git rev-parse --git-dir >/dev/null 2>&1; then
				git check-ignore -q "$p" || bad="$bad $p(not ignored by git)"
			fi
		done
		;;
	esac
done
if [ -z "$bad" ]; then
	ok "no-inline-secrets: no Secret objects or literals in k8s/, dev secret files are git-ignored"
else
	not_ok no-inline-secrets "$bad"
fi

# ---- render -------------------------------------------------------------------------------
# A copy of the tree with dev secrets made the way an operator makes them.
mkdir -p "$T/root/scripts"
cp -R k8s "$T/root/"
rm -rf "$T/root/k8s/overlays/dev/secrets"
mkdir -p "$T/root/k8s/overlays/dev/secrets"
cp scripts/gateway.sh scripts/services.list "$T/root/scripts/"
SECRETS=$T/root/k8s/overlays/dev/secrets
first=$(sh scripts/gateway.sh services | head -1)
if ! out=$(sh "$T/root/k8s/overlays/dev/make-secrets.sh" 2>&1); then
	not_ok make-secrets "$(printf '%s' "$out" | tail -5 | tr '\n' ' ')"
elif [ ! -s "$SECRETS/postgresql-password" ] || [ -z "$(tail -c 1 "$SECRETS/postgresql-password")" ]; then
	not_ok make-secrets "secrets/postgresql-password is empty or ends in a newline"
elif ! grep -q -x "postgresql://axr:$(cat "$SECRETS/postgresql-password")@axr-postgresql:5432/${first##* }" \
	"$SECRETS/${first%% *}-database-url"; then
	not_ok make-secrets "secrets/${first%% *}-database-url is not the URL of database ${first##* }"
elif ! openssl pkey -in "$SECRETS/jwt-private.pem" -noout 2>/dev/null; then
	not_ok make-secrets "secrets/jwt-private.pem is not a private key"
else
	ok "make-secrets: dev password (no trailing newline), one database URL per service, JWT signing key"
fi

# The kustomize to use: kubectl kustomize or kustomize build, version >= 4.
kustomize_cmd=""
if [ "${AXR_K8S_RENDERER:-}" != lite ]; then
	if command -v kustomize >/dev/null 2>&1 &&
		[ "$(kustomize version 2>/dev/null | sed -n 's/[^0-9]*\([0-9][0-9]*\)\..*/\1/p' | head -1)" -ge 4 ] 2>/dev/null; then
		kustomize_cmd="kustomize build"
	elif command -v kubectl >/dev/null 2>&1 &&
		[ "$(kubectl version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9][0-9]*\)\..*/\1/p')" -ge 4 ] 2>/dev/null; then
		kustomize_cmd="kubectl kustomize"
	fi
fi

# normalize FLAT: objects named KIND/NAMESPACE/NAME instead of document numbers, generated
# names without kustomize's hash suffix, scalar styles merged, Secret base64 unwrapped; sorted.
normalize() {
	awk -F '\t' -v OFS='\t' '
	NR == FNR {
		if ($2 == "/kind") kind[$1] = $4
		else if ($2 == "/metadata/name") name[$1] = $4
		else if ($2 == "/metadata/namespace") ns[$1] = $4
		next
	}
	FNR == 1 {
		for (d in name)
			if ((kind[d] == "ConfigMap" || kind[d] == "Secret") && name[d] ~ /-[2-9bcdfghkmt]+$/ &&
			    match(name[d], /-[2-9bcdfghkmt]+$/) && RLENGTH == 11)
				unhash[name[d]] = substr(name[d], 1, length(name[d]) - 11)
	}
	{
		v = $4; if (v in unhash) v = unhash[v]
		n = name[$1]; if (n in unhash) n = unhash[n]
		if (kind[$1] == "Secret" && index($2, "/data/") == 1) gsub(/\\n/, "", v)
		print kind[$1] "/" ns[$1] "/" n, $2, ($3 == "\"" ? "=" : $3), v
	}' "$1" "$1" | LC_ALL=C sort
}

for overlay in dev prod; do
	dir=$T/root/k8s/overlays/$overlay
	if sh "$HERE/kustomize-lite.sh" "$FLAT" "$dir" >"$T/$overlay.lite" 2>"$T/$overlay.lite.err"; then
		lite=1
	else
		lite=0
	fi
	if [ -n "$kustomize_cmd" ]; then
		if $kustomize_cmd "$dir" >"$T/$overlay.yaml" 2>"$T/$overlay.err" && "$FLAT" "$T/$overlay.yaml" >"$T/$overlay.flat"; then
			ok "kustomize-build $overlay: $kustomize_cmd renders $(grep -c '^kind:' "$T/$overlay.yaml") objects"
		else
			not_ok "kustomize-build $overlay" "$(head -5 "$T/$overlay.err" | tr '\n' ' ')"
			continue
		fi
		if [ "$lite" -eq 1 ] && normalize "$T/$overlay.lite" >"$T/$overlay.lite.n" && normalize "$T/$overlay.flat" >"$T/$overlay.flat.n" &&
			cmp -s "$T/$overlay.lite.n" "$T/$overlay.flat.n"; then
			ok "kustomize-lite $overlay: the fallback renderer gives what $kustomize_cmd gives ($(wc -l <"$T/$overlay.flat.n") leaves)"
		elif [ "$lite" -eq 1 ]; then
			not_ok "kustomize-lite $overlay" "differs from $kustomize_cmd: $(diff "$T/$overlay.flat.n" "$T/$overlay.lite.n" | head -6 | tr '\n' ' ')"
		else
			not_ok "kustomize-lite $overlay" "$(head -3 "$T/$overlay.lite.err" | tr '\n' ' ')"
		fi
	else
		if [ "$lite" -eq 1 ]; then
			cp "$T/$overlay.lite" "$T/$overlay.flat"
			ok "kustomize-build $overlay: rendered by tests/k8s/kustomize-lite.sh (no kustomize >= 4 installed)"
		else
			not_ok "kustomize-build $overlay" "kustomize-lite: $(head -3 "$T/$overlay.lite.err" | tr '\n' ' ')"
			continue
		fi
	fi

	# ---- rules over the rendered objects ------------------------------------------------
	awk -v overlay="$overlay" -f "$HERE/rules.awk" "$T/$overlay.flat" >"$T/$overlay.results"
	awk -F '\t' -v overlay="$overlay" '
	$2 == "info" { next }
	!($1 in seen) { seen[$1] = 1; order[++n] = $1 }
	{ count[$1]++ }
	$2 == "fail" { fails[$1] = fails[$1] "; " $3 ": " $4; nfail[$1]++ }
	$2 == "waived" { waivers[$1] = waivers[$1] ", " $3 " (" $4 ")"; nwaived[$1]++ }
	END {
		for (i = 1; i <= n; i++) {
			r = order[i]
			if (nfail[r]) print "not ok - " overlay ": " r ": " nfail[r] " of " count[r] ": " substr(fails[r], 3)
			else print "ok - " overlay ": " r " (" count[r] " checked" (nwaived[r] ? ", waived: " substr(waivers[r], 3) : "") ")"
		}
	}' "$T/$overlay.results" >"$T/$overlay.lines"
	cat "$T/$overlay.lines"
	grep -q '^not ok' "$T/$overlay.lines" && failed=1

	# Every upstream of the rendered gateway configuration is a Service of this overlay on that port.
	awk -F '\t' '$2 == "/kind" && $4 == "Service" { svc[$1] = 1 } $2 == "/metadata/name" { name[$1] = $4 }
		$2 ~ /^\/spec\/ports\/[^\/]+\/port$/ { port[$1] = port[$1] " " $4 }
		END { for (d in svc) { n = split(port[d], p, " "); for (i = 1; i <= n; i++) print name[d] ":" p[i] } }' \
		"$T/$overlay.flat" | LC_ALL=C sort >"$T/$overlay.services"
	missing=""
	for up in $(sed -n 's/^[[:space:]]*server[[:space:]]\{1,\}\([^[:space:];]*\).*/\1/p' k8s/base/gateway-bundle/gateway/upstreams.conf); do
		grep -q -x "$up" "$T/$overlay.services" || missing="$missing $up"
	done
	if [ -z "$missing" ]; then
		ok "$overlay: gateway-upstreams-have-services (every upstream of upstreams.conf is a rendered Service)"
	else
		not_ok "$overlay: gateway-upstreams-have-services" "no Service for:$missing (nginx would not start)"
	fi

	# The gateway's ConfigMaps carry nginx.conf and gateway/*.conf byte for byte.
	bad=""
	for f in nginx.conf gateway/*.conf; do
		[ -f "k8s/base/gateway-bundle/$f" ] || continue
		key=${f##*/}
		cm=axr-gateway-includes
		[ "$f" = nginx.conf ] && cm=axr-gateway-nginx
		want=$(sed -e 's/\\/\\\\/g' -e 's/	/\\t/g' "k8s/base/gateway-bundle/$f" | awk 'BEGIN { ORS = "" } NR > 1 { print "\\n" } { print } END { print "\\n" }')
		got=$(awk -F '\t' -v cm="$cm" -v key="$key" '
			$2 == "/kind" { kind[$1] = $4 } $2 == "/metadata/name" { name[$1] = $4 }
			$2 == "/data/" key { data[$1] = $4 }
			END { for (d in data) if (kind[d] == "ConfigMap" && index(name[d], cm) == 1) print data[d] }' "$T/$overlay.flat")
		[ "$got" = "$want" ] || bad="$bad $f"
	done
	if [ -z "$bad" ] && cmp -s nginx.conf k8s/base/gateway-bundle/nginx.conf; then
		ok "$overlay: gateway-configmap-matches-nginx-conf (nginx.conf and gateway/*.conf in the ConfigMaps as rendered)"
	else
		not_ok "$overlay: gateway-configmap-matches-nginx-conf" "differs:${bad:- nginx.conf}"
	fi

	# prod's Secrets are made outside the manifests: each one the pods use is in docs/kubernetes.md.
	if [ "$overlay" = prod ]; then
		missing=""
		for s in $(awk -F '\t' '$2 == "info" { sub(/^Secret\//, "", $3); print $3 }' "$T/prod.results" | LC_ALL=C sort); do
			case $s in
			axr-*-database) grep -q 'axr-<name>-database\|axr-NAME-database' docs/kubernetes.md || missing="$missing $s" ;;
			*) grep -q -F "$s" docs/kubernetes.md || missing="$missing $s" ;;
			esac
		done
		if [ -z "$missing" ]; then
			ok "prod: external-secrets-documented (every Secret the pods use is listed in docs/kubernetes.md)"
		else
			not_ok "prod: external-secrets-documented" "not in docs/kubernetes.md:$missing"
		fi
	fi
done

# ---- the rules can fail: a manifest that breaks each of them -----------------------------
"$FLAT" "$HERE/fixtures/violations.yaml" >"$T/bad.flat" 2>&1 &&
	{ awk -v overlay=prod -f "$HERE/rules.awk" "$T/bad.flat" && awk -v overlay=dev -f "$HERE/rules.awk" "$T/bad.flat"; } >"$T/bad.results"
missing=""
for rule in $(sed -n 's/^# expect-fail: //p' "$HERE/fixtures/violations.yaml"); do
	awk -F '\t' -v r="$rule" '$1 == r && $2 == "fail" { f = 1 } END { exit !f }' "$T/bad.results" || missing="$missing $rule"
done
passed_bad=$(awk -F '\t' '$2 == "pass"' "$T/bad.results" | cut -f1 | LC_ALL=C sort -u | tr '\n' ' ')
if [ -z "$missing" ] && [ -s "$T/bad.results" ]; then
	ok "rules-catch-violations: each rule fails on tests/k8s/fixtures/violations.yaml ($(grep -c '^# expect-fail: ' "$HERE/fixtures/violations.yaml") rules)"
else
	not_ok rules-catch-violations "did not fail:$missing (passed there: $passed_bad)"
fi

# ---- Prometheus -----------------------------------------------------------------------------
PROM=k8s/overlays/dev/prometheus
"$FLAT" "$PROM/prometheus.yml" >"$T/prom.flat" 2>&1 || not_ok prometheus-config-keys "$PROM/prometheus.yml does not parse"
if awk -F '\t' '
	$2 ~ /^\/scrape_configs\/[^\/]+\/kubernetes_sd_configs\/[^\/]+\/role$/ && $4 == "pod" { sd = 1 }
	$2 ~ /^\/scrape_configs\/[^\/]+\/relabel_configs\/[^\/]+\/source_labels\// && $4 == "__meta_kubernetes_pod_annotation_prometheus_io_scrape" { r = $2; sub(/\/source_labels\/.*/, "", r); scrape[r] = 1 }
	$2 ~ /^\/scrape_configs\/[^\/]+\/relabel_configs\/[^\/]+\/action$/ && $4 == "keep" { r = $2; sub(/\/action$/, "", r); keep[r] = 1 }
	$2 ~ /^\/scrape_configs\/[^\/]+\/relabel_configs\/[^\/]+\/target_label$/ { t[$4] = 1 }
	$2 ~ /^\/rule_files\// && $4 == "alerts.yml" { rules = 1 }
	$2 == "/global/scrape_interval" { iv = 1 }
	END { for (r in scrape) if (r in keep) k = 1; exit !(sd && k && rules && iv && ("__address__" in t) && ("__metrics_path__" in t) && ("service" in t)) }' "$T/prom.flat"; then
	ok "prometheus-config-keys: kubernetes_sd role pod, keep on prometheus.io/scrape, port/path/service relabels, rule_files alerts.yml"
else
	not_ok prometheus-config-keys "$PROM/prometheus.yml lacks kubernetes_sd_configs role pod, the keep relabel on the scrape annotation, address/path/service relabels, rule_files alerts.yml or global.scrape_interval"
fi
"$FLAT" "$PROM/alerts.yml" >"$T/alerts.flat" 2>&1 || not_ok prometheus-rules-keys "$PROM/alerts.yml does not parse"
out=$(awk -F '\t' '
	$2 ~ /^\/groups\/[^\/]+\/rules\/[^\/]+\// { r = $2; sub(/\/rules\/[^\/]+\/.*/, "&", r); match($2, /^\/groups\/[^\/]+\/rules\/[^\/]+/); r = substr($2, 1, RLENGTH)
		rule[r] = 1; k = substr($2, RLENGTH + 2); f[r, k] = $4 }
	END {
		for (r in rule) {
			if (f[r, "alert"] == "" || f[r, "expr"] == "" || f[r, "for"] == "" || f[r, "labels/severity"] !~ /^(page|warning)$/ || f[r, "annotations/summary"] == "")
				print "rule " (f[r, "alert"] == "" ? r : f[r, "alert"]) " lacks alert, expr, for, labels.severity (page|warning) or annotations.summary"
			if (f[r, "expr"] ~ /axr_http_requests_total\{status=~"5/) e = 1
			if (f[r, "expr"] ~ /histogram_quantile\(0\.99/) p = 1
			if (f[r, "expr"] ~ /axr_ready/) rd = 1
		}
		if (!e) print "no error-rate alert (axr_http_requests_total 5xx)"
		if (!p) print "no p99 latency alert (histogram_quantile(0.99, ...))"
		if (!rd) print "no readiness alert (axr_ready)"
	}' "$T/alerts.flat")
if [ -z "$out" ]; then
	ok "prometheus-rules-keys: every alert has expr, for, severity, summary; error rate, p99 and readiness covered"
else
	not_ok prometheus-rules-keys "$(printf '%s' "$out" | tr '\n' ';')"
fi
if command -v promtool >/dev/null 2>&1; then
	cp "$PROM/prometheus.yml" "$PROM/alerts.yml" "$T/"
	if out=$(promtool check config "$T/prometheus.yml" 2>&1); then
		ok "promtool-check-config: $PROM/prometheus.yml (and its rule file)"
	elif printf '%s' "$out" | grep -q 'field kubernetes_sd_configs not found'; then
		# Debian's promtool is built without Kubernetes discovery: check everything else, with
		# each kubernetes_sd_configs block swapped for an empty static_configs.
		awk '/^[[:space:]]*kubernetes_sd_configs:/ { match($0, /^ */); ind = RLENGTH; print substr($0, 1, ind) "static_configs: []"; skip = 1; next }
			skip { match($0, /^ */); if ($0 ~ /^[[:space:]]*$/ || RLENGTH > ind || (RLENGTH == ind && $0 ~ /^ *- /)) next; skip = 0 }
			{ print }' "$PROM/prometheus.yml" >"$T/prometheus.yml"
		if out=$(promtool check config "$T/prometheus.yml" 2>&1); then
			ok "promtool-check-config: $PROM/prometheus.yml (this promtool lacks kubernetes_sd: checked with static_configs in its place)"
		else
			not_ok promtool-check-config "$(printf '%s' "$out" | tail -5 | tr '\n' ' ')"
		fi
	else
		not_ok promtool-check-config "$(printf '%s' "$out" | tail -5 | tr '\n' ' ')"
	fi
	if out=$(promtool check rules "$PROM/alerts.yml" 2>&1); then
		ok "promtool-check-rules: $PROM/alerts.yml"
	else
		not_ok promtool-check-rules "$(printf '%s' "$out" | tail -5 | tr '\n' ' ')"
	fi
	if out=$(cd "$HERE" && promtool test rules alerts.test.yml 2>&1); then
		ok "promtool-test-rules: tests/k8s/alerts.test.yml (when each alert fires and when it does not)"
	else
		not_ok promtool-test-rules "$(printf '%s' "$out" | grep -v '^ *$' | head -12 | tr '\n' ' ')"
	fi
else
	ok "promtool-check-config (promtool not installed)"
	ok "promtool-check-rules (promtool not installed)"
	ok "promtool-test-rules (promtool not installed)"
fi

# ---- Dockerfile (hadolint rule ids where they exist) ------------------------------------
DF=Dockerfile
# Base images: ARG defaults used in FROM must carry a version tag, never latest.
bad=""
for img in $(awk '/^ARG [A-Z_]+=/ { sub(/^ARG /, ""); split($0, kv, "="); arg[kv[1]] = kv[2] }
	/^FROM / { i = $2; if (i ~ /^\$\{[A-Z_]+\}$/) { n = substr(i, 3, length(i) - 3); i = arg[n] } print i }' "$DF"); do
	case $img in
	build | service | gateway) ;;
	*@sha256:*) ;;
	*:latest | *:latest@*) bad="$bad $img(latest)" ;;
	*:*[0-9]*) ;;
	*) bad="$bad $img(no version tag)" ;;
	esac
done
if [ -z "$bad" ]; then ok "DL3006/DL3007: Dockerfile base images carry version tags"; else not_ok "DL3006/DL3007" "$bad"; fi
# Each final stage (service, gateway) ends as a numeric non-root user.
bad=$(awk '/^FROM / { stage = $NF } /^USER / { user[stage] = $2 }
	END { for (s in user) if (user[s] !~ /^[1-9][0-9][0-9][0-9][0-9]+(:[1-9][0-9][0-9][0-9][0-9]+)?$/) print s "=" user[s]
	      if (!("service" in user)) print "service(no USER)"; if (!("gateway" in user)) print "gateway(no USER)" }' "$DF" | tr '\n' ' ')
if [ -z "$bad" ]; then ok "DL3002: service and gateway stages run as numeric uid:gid >= 10000"; else not_ok DL3002 "$bad"; fi
# apt-get install with --no-install-recommends, and the package lists removed in the same RUN.
runs=$(awk '/^RUN / { r = $0; while (r ~ /\\$/ && (getline l) > 0) r = r "\n" l; print r; print "\036" }' "$DF")
if printf '%s' "$runs" | awk 'BEGIN { RS = "\036" } /apt-get install/ && !/--no-install-recommends/ { bad = 1 } END { exit bad }'; then
	ok "DL3015: apt-get install --no-install-recommends"
else
	not_ok DL3015 "an apt-get install without --no-install-recommends"
fi
if printf '%s' "$runs" | awk 'BEGIN { RS = "\036" } /apt-get install/ && !/rm -rf \/var\/lib\/apt\/lists/ { bad = 1 } END { exit bad }'; then
	ok "DL3009: apt package lists removed in the RUN that installs"
else
	not_ok DL3009 "an apt-get install that keeps /var/lib/apt/lists"
fi
# The service stage copies one file from the build stage: the service's binary.
copies=$(awk '/^FROM / { stage = $NF } stage == "service" && /^(COPY|ADD) / { print }' "$DF")
if [ "$copies" = 'COPY --from=build /out/axr-${SERVICE} /usr/local/bin/axr-${SERVICE}' ]; then
	ok "dockerfile-service-copies-only-the-binary: /usr/local/bin/axr-\$SERVICE"
else
	not_ok dockerfile-service-copies-only-the-binary "service stage copies: $copies"
fi
# The build stage installs every library -dev package of scripts/deps.sh (test-only ones aside).
# pkgs_of_stage STAGE: the packages its `apt-get install` names (options dropped), sorted.
pkgs_of_stage() {
	awk -v s="$1" '/^FROM / { stage = $NF; next }
		stage == s && /^RUN / { r = $0; while (r ~ /\\$/ && (getline l) > 0) { sub(/\\$/, "", r); r = r " " l }
			if (match(r, /apt-get install[^&]*/)) print substr(r, RSTART + 15, RLENGTH - 15) }' "$DF" |
		tr ' ' '\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' | LC_ALL=C sort -u
}
pkgs_of_stage build >"$T/build.pkgs"
missing=""
for p in $(sed -n '/^PACKAGES=/,/"$/p' scripts/deps.sh | tr ' "\\=' '\n\n\n\n' | grep -E -e '-dev$|^pkg-config$|^build-essential$|^protobuf-c-compiler$' |
	grep -v -x -E 'libcmocka-dev|libclang-rt-[0-9]+-dev'); do
	grep -q -x "$p" "$T/build.pkgs" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	ok "dockerfile-build-packages: the build stage installs every library -dev package of scripts/deps.sh"
else
	not_ok dockerfile-build-packages "missing from the build stage:$missing"
fi
# The service stage installs the Debian package of every library the built binaries need.
pkgs_of_stage service >"$T/service.pkgs"
if command -v dpkg >/dev/null 2>&1 && command -v objdump >/dev/null 2>&1 && ls "$BUILD"/bin/axr-* >/dev/null 2>&1; then
	missing=""
	checked=""
	for bin in "$BUILD"/bin/axr-*; do
		[ "${bin##*/}" = axr-axrgen ] && continue
		checked="$checked ${bin##*/}"
		for lib in $(objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }'); do
			path=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')
			[ -n "$path" ] || continue
			pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1)
			[ -n "$pkg" ] || pkg=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1)
			case $pkg in libc6 | '') continue ;; esac
			grep -q -x "$pkg" "$T/service.pkgs" || missing="$missing $lib($pkg)"
		done
	done
	if [ -z "$missing" ]; then
		ok "dockerfile-runtime-libraries: the service stage installs every library of$checked"
	else
		not_ok dockerfile-runtime-libraries "not installed by the service stage:$missing"
	fi
else
	ok "dockerfile-runtime-libraries (no built service, dpkg or objdump here: the image's ldd step checks it)"
fi
# Every package the Dockerfile installs exists in Debian 12 (as far as apt here knows).
if command -v apt-cache >/dev/null 2>&1 && apt-cache show libc6 >/dev/null 2>&1; then
	missing=""
	for p in $(cat "$T/build.pkgs" "$T/service.pkgs" && pkgs_of_stage gateway); do
		apt-cache show "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	if [ -z "$missing" ]; then ok "dockerfile-packages-exist: apt-cache knows every package the Dockerfile installs"; else not_ok dockerfile-packages-exist "unknown:$missing"; fi
else
	ok "dockerfile-packages-exist (apt-cache has no package lists here)"
fi
if grep -q -x 'build' .dockerignore && grep -q -x '.git' .dockerignore && grep -q 'k8s/overlays/dev/secrets' .dockerignore; then
	ok "dockerignore: build/, .git and dev secrets stay out of the build context"
else
	not_ok dockerignore ".dockerignore must list build, .git and k8s/overlays/dev/secrets"
fi

exit "$failed"
