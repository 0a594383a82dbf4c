# rules.awk: the manifest rules of tests/k8s/manifests.test.sh over one rendered overlay.
#
# Input: yamlflat lines (DOC TAB PATH TAB STYLE TAB VALUE) of everything the overlay renders.
# Variables: overlay (dev|prod; some rules hold for prod only).
# Output: one line per rule and object: RULE TAB pass|fail|waived TAB OBJECT TAB DETAIL.
# Rule names are kube-linter's where it has the check, else kube-score's, else our own
# (docs/kubernetes.md lists them). An object waives a rule the kube-linter way, with the
# annotation ignore-check.kube-linter.io/RULE: "reason" (shown as waived, never silently).
BEGIN { FS = "\t" }
{
	d = $1
	if (!(d in seen)) { seen[d] = 1; nd++; docs[nd] = d }
	np[d]++
	P[d, np[d]] = $2
	V[d, $2] = $4
	S[d, $2] = $3
	has[d, $2] = 1
}

function kind(d) { return V[d, "/kind"] }
function oname(d) { return kind(d) "/" V[d, "/metadata/name"] }
function val(d, p) { return V[d, p] }
function present(d, p) { return (d, p) in has }
function is_workload(d) { return kind(d) == "Deployment" || kind(d) == "StatefulSet" || kind(d) == "DaemonSet" }
function esc(k) { gsub(/~/, "~0", k); gsub(/\//, "~1", k); return k }

# Distinct child segments directly below PREFIX of doc d into out[1..n]; returns n.
function children(d, prefix, out,    i, n, s, got) {
	n = 0
	split("", got)
	for (i = 1; i <= np[d]; i++) {
		if (index(P[d, i], prefix "/") != 1) continue
		s = substr(P[d, i], length(prefix) + 2)
		sub(/\/.*/, "", s)
		if (!(s in got)) { got[s] = 1; out[++n] = s }
	}
	return n
}
function any_below(d, prefix,    i) {
	for (i = 1; i <= np[d]; i++) if (index(P[d, i], prefix "/") == 1) return 1
	return 0
}

# True when the matchLabels at SEL of doc ds are all present with the same value in the labels
# at LAB of doc dl; an empty or absent selector is false unless allow_empty.
function selects(ds, sel, dl, lab, allow_empty,    n, i, k, keys) {
	n = children(ds, sel, keys)
	if (n == 0) return allow_empty && (S[ds, sel] == "{" || !present(ds, sel))
	for (i = 1; i <= n; i++) {
		k = keys[i]
		if (!present(dl, lab "/" k) || V[dl, lab "/" k] != V[ds, sel "/" k]) return 0
	}
	return 1
}
function pod_labels_of(d) { return "/spec/template/metadata/labels" }

function waived(d, rule) { return present(d, "/metadata/annotations/ignore-check.kube-linter.io~1" rule) }
function emit(rule, d, ok, object, detail) {
	if (!ok && waived(d, rule)) print rule "\twaived\t" object "\t" val(d, "/metadata/annotations/ignore-check.kube-linter.io~1" rule)
	else if (ok && waived(d, rule)) print rule "\tpass\t" object "\t(waiver not needed)"
	else print rule "\t" (ok ? "pass" : "fail") "\t" object "\t" detail
}

# The effective securityContext field F of container prefix C in pod spec PS of doc d.
function sc(d, ps, c, f) {
	if (present(d, c "/securityContext/" f)) return val(d, c "/securityContext/" f)
	return val(d, ps "/securityContext/" f)
}
function has_port(d, c, port,    n, i, items) {
	n = children(d, c "/ports", items)
	for (i = 1; i <= n; i++)
		if (val(d, c "/ports/" items[i] "/name") == port || val(d, c "/ports/" items[i] "/containerPort") == port) return 1
	return 0
}
function probe_port(d, pr) {
	if (present(d, pr "/httpGet/port")) return val(d, pr "/httpGet/port")
	if (present(d, pr "/tcpSocket/port")) return val(d, pr "/tcpSocket/port")
	if (present(d, pr "/grpc/port")) return val(d, pr "/grpc/port")
	return ""
}
function has_probe(d, pr) {
	return present(d, pr "/httpGet/port") || present(d, pr "/tcpSocket/port") || present(d, pr "/grpc/port") || any_below(d, pr "/exec/command")
}
# Seconds of a duration: 10s, 500ms, 2m, 1h; a bare number is milliseconds (runtime/config.c).
function seconds(s,    n) {
	if (s ~ /^[0-9]+ms$/) return substr(s, 1, length(s) - 2) / 1000
	if (s ~ /^[0-9]+s$/) return substr(s, 1, length(s) - 1) + 0
	if (s ~ /^[0-9]+m$/) return substr(s, 1, length(s) - 1) * 60
	if (s ~ /^[0-9]+h$/) return substr(s, 1, length(s) - 1) * 3600
	if (s ~ /^[0-9]+$/) return s / 1000
	return -1
}
function env_value(d, c, name,    n, i, items) {
	n = children(d, c "/env", items)
	for (i = 1; i <= n; i++) if (val(d, c "/env/" items[i] "/name") == name) return val(d, c "/env/" items[i] "/value")
	return ""
}
# The seconds a container's preStop pauses (exec sleep N, or the sleep action), -1 if none.
function prestop_sleep(d, c) {
	if (present(d, c "/lifecycle/preStop/sleep/seconds")) return val(d, c "/lifecycle/preStop/sleep/seconds") + 0
	if (val(d, c "/lifecycle/preStop/exec/command/#0") ~ /(^|\/)sleep$/ && val(d, c "/lifecycle/preStop/exec/command/#1") ~ /^[0-9]+$/)
		return val(d, c "/lifecycle/preStop/exec/command/#1") + 0
	if (any_below(d, c "/lifecycle/preStop")) return 0
	return -1
}
# How long the process may drain after SIGTERM: AXR_DRAIN_TIMEOUT (default 10s) for axr
# services, nginx's worker_shutdown_timeout from the command line, else 0.
function drain_seconds(d, c,    v, n, i, items, part) {
	v = env_value(d, c, "AXR_DRAIN_TIMEOUT")
	if (v != "") return seconds(v)
	if (val(d, "/spec/template/metadata/labels/app.kubernetes.io~1component") == "service") return 10
	for (part = 0; part < 2; part++) {
		n = children(d, c (part ? "/args" : "/command"), items)
		for (i = 1; i <= n; i++) {
			v = val(d, c (part ? "/args/" : "/command/") items[i])
			if (match(v, /worker_shutdown_timeout +[0-9]+[a-z]*/)) {
				v = substr(v, RSTART, RLENGTH)
				sub(/worker_shutdown_timeout +/, "", v)
				return seconds(v)
			}
		}
	}
	return 0
}
function image_pinned(img,    tag) {
	if (img ~ /@sha256:[0-9a-f]+$/) return 1
	tag = img
	if (!match(tag, /:[^:\/]+$/)) return 0
	tag = substr(tag, RSTART + 1)
	return tag != "latest"
}
# Minimum replicas of workload w: its HPA's minReplicas, else spec.replicas, else 1.
function min_replicas(w,    k, h) {
	for (k = 1; k <= nd; k++) {
		h = docs[k]
		if (kind(h) == "HorizontalPodAutoscaler" && val(h, "/spec/scaleTargetRef/kind") == kind(w) &&
		    val(h, "/spec/scaleTargetRef/name") == val(w, "/metadata/name"))
			return present(h, "/spec/minReplicas") ? val(h, "/spec/minReplicas") + 0 : 1
	}
	return present(w, "/spec/replicas") ? val(w, "/spec/replicas") + 0 : 1
}
function object_exists(k, name,    i) {
	for (i = 1; i <= nd; i++) if (kind(docs[i]) == k && val(docs[i], "/metadata/name") == name) return 1
	return 0
}

function check_container(d, ps, c, cname, main,    o, u, g, img, n, i, items, caps, ok, pr, which, port, pth, nm, sleep, grace, drain) {
	o = oname(d) " container " cname
	emit("run-as-non-root", d, sc(d, ps, c, "runAsNonRoot") == "true" && sc(d, ps, c, "runAsUser") != "0", o, "runAsNonRoot is not true")
	u = sc(d, ps, c, "runAsUser"); g = sc(d, ps, c, "runAsGroup")
	emit("container-security-context-user-group-id", d, u ~ /^[0-9]+$/ && u >= 10000 && g ~ /^[0-9]+$/ && g >= 10000, o,
		"runAsUser '" u "' / runAsGroup '" g "' not numeric >= 10000")
	emit("no-read-only-root-fs", d, val(d, c "/securityContext/readOnlyRootFilesystem") == "true", o, "readOnlyRootFilesystem is not true")
	emit("privilege-escalation-container", d, val(d, c "/securityContext/allowPrivilegeEscalation") == "false", o, "allowPrivilegeEscalation is not false")
	emit("privileged-container", d, val(d, c "/securityContext/privileged") != "true", o, "privileged")
	n = children(d, c "/securityContext/capabilities/drop", items)
	caps = 0
	for (i = 1; i <= n; i++) if (val(d, c "/securityContext/capabilities/drop/" items[i]) == "ALL") caps = 1
	if (any_below(d, c "/securityContext/capabilities/add")) caps = 0
	emit("drop-all-capabilities", d, caps, o, "capabilities do not drop ALL (or add some)")
	ok = sc(d, ps, c, "seccompProfile/type")
	emit("container-seccomp-profile", d, ok == "RuntimeDefault" || ok == "Localhost", o, "seccompProfile.type is '" ok "'")
	emit("unset-cpu-requirements", d, val(d, c "/resources/requests/cpu") != "" && val(d, c "/resources/limits/cpu") != "", o, "CPU request or limit missing")
	emit("unset-memory-requirements", d, val(d, c "/resources/requests/memory") != "" && val(d, c "/resources/limits/memory") != "", o, "memory request or limit missing")
	img = val(d, c "/image")
	emit("latest-tag", d, image_pinned(img), o, "image '" img "' has no version tag or digest")
	n = children(d, c "/env", items)
	ok = 1
	for (i = 1; i <= n; i++) {
		nm = val(d, c "/env/" items[i] "/name")
		if (toupper(nm) ~ /SECRET|PASSWORD|PASSWD|TOKEN/ && present(d, c "/env/" items[i] "/value")) { ok = 0; break }
	}
	emit("env-var-secret", d, ok, o, "env " nm " holds a literal value; use valueFrom.secretKeyRef")
	if (!main) return
	split("liveness readiness startup", which, " ")
	for (i = 1; i <= 3; i++) {
		pr = c "/" which[i] "Probe"
		emit("no-" which[i] "-probe", d, has_probe(d, pr), o, "no " which[i] "Probe")
		port = probe_port(d, pr)
		if (has_probe(d, pr))
			emit(which[i] "-port", d, port == "" || has_port(d, c, port), o, which[i] "Probe port '" port "' is not a port of the container")
	}
	if (val(d, "/spec/template/metadata/labels/app.kubernetes.io~1component") == "service") {
		pth = val(d, c "/readinessProbe/httpGet/path") " " val(d, c "/livenessProbe/httpGet/path") " " val(d, c "/startupProbe/httpGet/path")
		emit("axr-service-probe-paths", d, pth == "/readyz /healthz /healthz", o, "readiness/liveness/startup paths are '" pth "', want '/readyz /healthz /healthz'")
	}
	if (kind(d) != "Deployment") return
	sleep = prestop_sleep(d, c)
	emit("prestop-hook", d, sleep > 0, o, "no preStop pause before SIGTERM")
	grace = present(d, ps "/terminationGracePeriodSeconds") ? val(d, ps "/terminationGracePeriodSeconds") + 0 : 30
	drain = drain_seconds(d, c)
	emit("termination-grace-covers-drain", d, drain >= 0 && grace > (sleep > 0 ? sleep : 0) + drain, o,
		"terminationGracePeriodSeconds " grace " <= preStop " sleep " s + drain " drain " s")
}

function check_workload(d,    ps, o, n, i, items, k, h, found, req, pref, t, pdb, hpa, sa, pl) {
	ps = "/spec/template/spec"
	o = oname(d)
	pl = pod_labels_of(d)
	n = children(d, ps "/containers", items)
	for (i = 1; i <= n; i++) check_container(d, ps, ps "/containers/" items[i], val(d, ps "/containers/" items[i] "/name"), 1)
	n = children(d, ps "/initContainers", items)
	for (i = 1; i <= n; i++) check_container(d, ps, ps "/initContainers/" items[i], val(d, ps "/initContainers/" items[i] "/name"), 0)

	emit("automount-service-account-token", d, val(d, ps "/automountServiceAccountToken") == "false", o, "automountServiceAccountToken is not false")
	sa = val(d, ps "/serviceAccountName")
	emit("default-service-account", d, sa != "" && sa != "default", o, "runs as the default ServiceAccount")
	if (sa != "" && sa != "default") emit("non-existent-service-account", d, object_exists("ServiceAccount", sa), o, "ServiceAccount " sa " is not rendered")
	emit("service-links-disabled", d, val(d, ps "/enableServiceLinks") == "false", o, "enableServiceLinks is not false (Service env vars such as AXR_<NAME>_PORT)")
	emit("mismatching-selector", d, selects(d, "/spec/selector/matchLabels", d, pl, 0), o, "selector does not match the pod template labels")

	# Pods isolated: some NetworkPolicy selects them for ingress and some for egress.
	req = pref = 0
	for (k = 1; k <= nd; k++) {
		h = docs[k]
		if (kind(h) != "NetworkPolicy" || !selects(h, "/spec/podSelector/matchLabels", d, pl, 1)) continue
		n = children(h, "/spec/policyTypes", items)
		for (i = 1; i <= n; i++) {
			if (val(h, "/spec/policyTypes/" items[i]) == "Ingress") req = 1
			if (val(h, "/spec/policyTypes/" items[i]) == "Egress") pref = 1
		}
	}
	emit("non-isolated-pod", d, req && pref, o, "no NetworkPolicy restricts " (req ? "egress" : "ingress"))

	if (val(d, pl "/app.kubernetes.io~1component") == "service") {
		t = "/spec/template/metadata/annotations/prometheus.io~1"
		emit("prometheus-scrape-annotations", d, val(d, t "scrape") == "true" && S[d, t "scrape"] == "\"" &&
			val(d, t "path") != "" && has_port(d, ps "/containers/" items_first(d, ps "/containers"), val(d, t "port")), o,
			"want prometheus.io/scrape: \"true\" (a string), prometheus.io/port of a container port and prometheus.io/path")
	}
	# A plain true or 8080 is a YAML boolean or number: the API server refuses it as an annotation.
	n = children(d, "/spec/template/metadata/annotations", items)
	found = ""
	for (i = 1; i <= n; i++)
		if (S[d, "/spec/template/metadata/annotations/" items[i]] == "=" && val(d, "/spec/template/metadata/annotations/" items[i]) ~ /^(true|false|yes|no|on|off|[0-9.]+)$/)
			found = found " " items[i]
	emit("annotation-values-are-strings", d, found == "", o, "annotation(s)" found " not strings (quote them)")

	if (kind(d) != "Deployment") return
	# Anti-affinity on the node, against its own pods.
	found = 0
	for (t = 0; t < 2; t++) {
		n = children(d, ps "/affinity/podAntiAffinity/" (t ? "preferredDuringSchedulingIgnoredDuringExecution" : "requiredDuringSchedulingIgnoredDuringExecution"), items)
		for (i = 1; i <= n; i++) {
			k = ps "/affinity/podAntiAffinity/" (t ? "preferredDuringSchedulingIgnoredDuringExecution/" items[i] "/podAffinityTerm" : "requiredDuringSchedulingIgnoredDuringExecution/" items[i])
			if (val(d, k "/topologyKey") == "kubernetes.io/hostname" && selects(d, k "/labelSelector/matchLabels", d, pl, 0)) found = 1
		}
	}
	emit("no-anti-affinity", d, found, o, "no podAntiAffinity on kubernetes.io/hostname against its own pods")
	pdb = hpa = 0
	for (k = 1; k <= nd; k++) {
		h = docs[k]
		if (kind(h) == "PodDisruptionBudget" && selects(h, "/spec/selector/matchLabels", d, pl, 0)) pdb = 1
		if (kind(h) == "HorizontalPodAutoscaler" && val(h, "/spec/scaleTargetRef/kind") == "Deployment" &&
		    val(h, "/spec/scaleTargetRef/name") == val(d, "/metadata/name")) hpa = 1
	}
	emit("deployment-has-poddisruptionbudget", d, pdb, o, "no PodDisruptionBudget selects its pods")
	emit("deployment-has-horizontalpodautoscaler", d, hpa, o, "no HorizontalPodAutoscaler targets it")
	if (hpa) emit("deployment-targeted-by-hpa-does-not-have-replicas-configured", d, !present(d, "/spec/replicas"), o, "spec.replicas set although an HPA owns the count")
}
function items_first(d, prefix,    items) { return children(d, prefix, items) ? items[1] : "" }

function check_service(d,    k, w, o, tp, matched, portok, n, i, items, np2, j, pitems, npol) {
	o = oname(d)
	matched = 0; portok = 0
	n = children(d, "/spec/ports", items)
	for (k = 1; k <= nd; k++) {
		w = docs[k]
		if (!is_workload(w) || !selects(d, "/spec/selector", w, pod_labels_of(w), 0)) continue
		matched++
		portok = 1
		for (i = 1; i <= n; i++) {
			tp = present(d, "/spec/ports/" items[i] "/targetPort") ? val(d, "/spec/ports/" items[i] "/targetPort") : val(d, "/spec/ports/" items[i] "/port")
			if (!has_port(w, "/spec/template/spec/containers/" items_first(w, "/spec/template/spec/containers"), tp)) portok = 0
		}
		# A NetworkPolicy selecting those pods lets something in on each target port.
		npol = 0
		for (j = 1; j <= nd; j++) {
			if (kind(docs[j]) != "NetworkPolicy" || !selects(docs[j], "/spec/podSelector/matchLabels", w, pod_labels_of(w), 0)) continue
			np2 = children(docs[j], "/spec/ingress", pitems)
			if (np2 > 0) npol = 1
		}
	}
	emit("dangling-service", d, matched > 0, o, "its selector matches no workload's pods")
	if (matched) emit("service-targets-pod", d, portok, o, "a targetPort is not a port of the selected pods")
	emit("service-has-networkpolicy", d, matched > 0 && npol, o, "no NetworkPolicy with ingress rules selects its pods")
}

function check_networkpolicy(d,    k, n, items, matched) {
	n = children(d, "/spec/podSelector/matchLabels", items)
	if (n == 0) return
	matched = 0
	for (k = 1; k <= nd; k++)
		if (is_workload(docs[k]) && selects(d, "/spec/podSelector/matchLabels", docs[k], pod_labels_of(docs[k]), 0)) matched = 1
	emit("networkpolicy-targets-pod", d, matched, oname(d), "its podSelector matches no workload's pods")
}

function check_hpa(d,    o, t) {
	o = oname(d)
	t = object_exists(val(d, "/spec/scaleTargetRef/kind"), val(d, "/spec/scaleTargetRef/name"))
	emit("dangling-horizontalpodautoscaler", d, t, o, "its target " val(d, "/spec/scaleTargetRef/kind") "/" val(d, "/spec/scaleTargetRef/name") " is not rendered")
	if (overlay == "prod")
		emit("hpa-minimum-two-replicas", d, val(d, "/spec/minReplicas") + 0 >= 2, o, "minReplicas " val(d, "/spec/minReplicas") " < 2")
}

function check_pdb(d,    o, k, w, mn, mu, ok, detail) {
	o = oname(d)
	mn = present(d, "/spec/minAvailable"); mu = present(d, "/spec/maxUnavailable")
	emit("poddisruptionbudget-has-policy", d, mn + mu == 1, o, "want exactly one of minAvailable and maxUnavailable")
	ok = 1; detail = ""
	for (k = 1; k <= nd; k++) {
		w = docs[k]
		if (!is_workload(w) || !selects(d, "/spec/selector/matchLabels", w, pod_labels_of(w), 0)) continue
		if (mn && (val(d, "/spec/minAvailable") == "100%" || (val(d, "/spec/minAvailable") ~ /^[0-9]+$/ && val(d, "/spec/minAvailable") + 0 >= min_replicas(w)))) {
			ok = 0; detail = "minAvailable " val(d, "/spec/minAvailable") " blocks every eviction of " oname(w) " (min " min_replicas(w) " replicas)"
		}
		if (mu && (val(d, "/spec/maxUnavailable") == "0" || val(d, "/spec/maxUnavailable") == "0%")) { ok = 0; detail = "maxUnavailable 0 blocks every eviction" }
	}
	emit("pdb-min-available", d, ok, o, detail)
	if (overlay == "prod") emit("pdb-min-available-one", d, val(d, "/spec/minAvailable") == "1" && !mu, o, "prod wants minAvailable: 1")
}

function check_serviceaccount(d) {
	emit("automount-service-account-token", d, val(d, "/automountServiceAccountToken") == "false", oname(d), "automountServiceAccountToken is not false")
}

# References from pods to ConfigMaps and Secrets resolve to rendered objects (Secrets: dev only;
# prod's are made outside, see external-secrets-documented in the test).
function check_references(d,    i, p, k, name, o) {
	o = oname(d)
	for (i = 1; i <= np[d]; i++) {
		p = P[d, i]
		if (p ~ /\/configMapRef\/name$|\/configMapKeyRef\/name$|\/volumes\/[^\/]+\/configMap\/name$/) k = "ConfigMap"
		else if (p ~ /\/secretRef\/name$|\/secretKeyRef\/name$|\/volumes\/[^\/]+\/secret\/secretName$/) k = "Secret"
		else continue
		name = V[d, p]
		if (k == "Secret") { secrets_referenced[name] = 1; if (overlay == "prod") continue }
		emit(k == "ConfigMap" ? "configmap-reference-exists" : "secret-reference-exists", d, object_exists(k, name), o " -> " k "/" name, "not rendered")
	}
}

END {
	deny = 0
	for (k = 1; k <= nd; k++) {
		d = docs[k]
		if (kind(d) == "") continue
		if (is_workload(d)) { check_workload(d); check_references(d) }
		else if (kind(d) == "Service") check_service(d)
		else if (kind(d) == "NetworkPolicy") {
			check_networkpolicy(d)
			if (S[d, "/spec/podSelector"] == "{" && !any_below(d, "/spec/ingress") && !any_below(d, "/spec/egress") &&
			    val(d, "/spec/policyTypes/#0") "," val(d, "/spec/policyTypes/#1") ~ /^(Ingress,Egress|Egress,Ingress)$/) deny = 1
		} else if (kind(d) == "HorizontalPodAutoscaler") check_hpa(d)
		else if (kind(d) == "PodDisruptionBudget") check_pdb(d)
		else if (kind(d) == "ServiceAccount") check_serviceaccount(d)
		if (kind(d) == "Namespace") {
			namespaces[val(d, "/metadata/name")] = 1
			emit("namespace-pod-security-restricted", d, val(d, "/metadata/labels/pod-security.kubernetes.io~1enforce") == "restricted", oname(d),
				"label pod-security.kubernetes.io/enforce is not restricted")
		}
		if (kind(d) == "Secret" && overlay == "prod") {
			emit("no-secrets-in-prod", d, 0, oname(d), "prod renders a Secret; create it outside the manifests")
			prod_secrets++
		}
		if (kind(d) == "ConfigMap") {
			bad = ""
			for (i = 1; i <= np[d]; i++)
				if (index(P[d, i], "/data/") == 1 && V[d, P[d, i]] ~ /[a-z]+:\/\/[^\/@ ]+:[^\/@ ]+@/) bad = bad " " P[d, i]
			emit("no-credentials-in-configmap", d, bad == "", oname(d), "URL with a password in" bad)
		}
	}
	if (overlay == "prod" && !prod_secrets) print "no-secrets-in-prod\tpass\t(no Secret rendered)\t"
	print "default-deny-networkpolicy\t" (deny ? "pass" : "fail") "\tNetworkPolicy (podSelector {}, Ingress+Egress, no rules)\tnone rendered"
	for (k = 1; k <= nd; k++) {
		d = docs[k]
		if (kind(d) == "" || kind(d) == "Namespace" || kind(d) ~ /^Cluster/) continue
		ns = val(d, "/metadata/namespace")
		emit("use-namespace", d, ns != "" && (ns in namespaces), oname(d), ns == "" ? "no metadata.namespace" : "namespace " ns " is not rendered")
	}
	for (name in secrets_referenced) print "secret-referenced\tinfo\tSecret/" name "\t"
}
