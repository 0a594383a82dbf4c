#!/bin/sh
# kustomize-lite.sh: render a kustomization the way `kustomize build` would, for the subset of
# kustomize that k8s/ uses, as yamlflat lines (DOC TAB PATH TAB STYLE TAB VALUE). Used by
# tests/k8s/manifests.test.sh where no kustomize >= 4 is installed (Debian 12's
# kubernetes-client is 1.20, with kustomize 2.0.3); where one is, the test checks that both
# give the same objects.
#
# Usage: kustomize-lite.sh YAMLFLAT DIR
#
# Supported, in kustomize's order per kustomization: resources (files and folders with their
# own kustomization.yaml, recursively), configMapGenerator and secretGenerator (files KEY=PATH
# or PATH, envs, literals; behavior create or merge), patches (strategic merge patch files,
# with or without target kind/name/labelSelector), images (newName, newTag, digest),
# namespace. Not done, on purpose: the hash suffix of generated names (the test ignores it),
# JSON 6902 patches, $patch directives, components, replacements, name prefixes. Any other
# field is an error, so a kustomization that grows past this subset fails loudly.
#
# Strategic merge, as far as k8s/ needs it: maps merge key by key; a list whose items are
# mappings with a `name` merges item by item on that name (containers, env, volumes, ports);
# any other list is replaced whole; a null value deletes the key.
set -eu

FLAT=$1
TOP=$2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/axr-kustomize-lite.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

die() { printf 'kustomize-lite: %s\n' "$*" >&2; exit 1; }

# value FLATFILE PATH: the value of the leaf PATH (empty when absent).
value() { awk -F '\t' -v p="$2" '$2 == p { print $4; exit }' "$1"; }

# items FLATFILE PREFIX: the distinct item segments (#0, [name], ...) directly below PREFIX.
items() {
	awk -F '\t' -v p="$2/" 'index($2, p) == 1 {
		s = substr($2, length(p) + 1); sub(/\/.*/, "", s)
		if (!(s in seen)) { seen[s] = 1; print s }
	}' "$1"
}

# escape FILE: the file's bytes as a yamlflat value (\\, \n, \t), with its final newline kept.
escape() {
	sed -e 's/\\/\\\\/g' -e 's/	/\\t/g' "$1" | awk 'BEGIN { ORS = "" } NR > 1 { print "\\n" } { print }'
	if [ -s "$1" ] && [ -z "$(tail -c 1 "$1")" ]; then printf '\\n'; fi
}

# generate KIND NAME DIR GENFLAT PREFIX OUT: one ConfigMap or Secret doc (id "gen") from a generator entry.
generate() {
	_kind=$1 _name=$2 _dir=$3 _gf=$4 _p=$5 _out=$6
	{
		printf 'gen\t/apiVersion\t=\tv1\ngen\t/kind\t=\t%s\ngen\t/metadata/name\t=\t%s\n' "$_kind" "$_name"
		[ "$_kind" = Secret ] && printf 'gen\t/type\t=\tOpaque\n'
		_data=data
		for _i in $(items "$_gf" "$_p/files"); do
			_spec=$(value "$_gf" "$_p/files/$_i")
			case $_spec in
			*=*) _key=${_spec%%=*} _file=${_spec#*=} ;;
			*) _key=${_spec##*/} _file=$_spec ;;
			esac
			[ -f "$_dir/$_file" ] || die "$_dir: $_kind $_name: no file $_file"
			if [ "$_kind" = Secret ]; then
				printf 'gen\t/%s/%s\t=\t%s\n' "$_data" "$_key" "$(base64 -w0 "$_dir/$_file")"
			else
				printf 'gen\t/%s/%s\t"\t%s\n' "$_data" "$_key" "$(escape "$_dir/$_file")"
			fi
		done
		for _i in $(items "$_gf" "$_p/envs"); do
			_file=$(value "$_gf" "$_p/envs/$_i")
			[ -f "$_dir/$_file" ] || die "$_dir: $_kind $_name: no env file $_file"
			sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' "$_dir/$_file"
		done | while IFS= read -r _line; do
			case $_line in *=*) ;; *) die "$_dir: $_kind $_name: env line without '=': $_line" ;; esac
			_v=${_line#*=}
			[ "$_kind" = Secret ] && _v=$(printf '%s' "$_v" | base64 -w0)
			printf 'gen\t/%s/%s\t"\t%s\n' "$_data" "${_line%%=*}" "$_v"
		done
		for _i in $(items "$_gf" "$_p/literals"); do
			_line=$(value "$_gf" "$_p/literals/$_i")
			_v=${_line#*=}
			[ "$_kind" = Secret ] && _v=$(printf '%s' "$_v" | base64 -w0)
			printf 'gen\t/%s/%s\t"\t%s\n' "$_data" "${_line%%=*}" "$_v"
		done
	} >"$_out"
}

# The transformations, one awk program each over a whole stream (lines grouped by DOC).
# mode=patch: apply the strategic merge patch PATCHFILE to the docs it targets.
# mode=merge: merge generated doc GENFILE into the doc of the same kind and name (behavior merge).
# mode=images: image NAME -> NEWNAME:NEWTAG or NEWNAME@DIGEST.  mode=namespace: set NS.
AWK_TRANSFORM='
BEGIN { FS = OFS = "\t" }
function kind_of(d) { return attr[d, "/kind"] }
function name_of(d) { return attr[d, "/metadata/name"] }
# A label selector "k=v,k2=v2" (equality only) against the doc labels.
function selects(d, sel,    n, i, kv, parts) {
	if (sel == "") return 1
	n = split(sel, parts, ",")
	for (i = 1; i <= n; i++) {
		split(parts[i], kv, "=")
		gsub(/~/, "~0", kv[1]); gsub(/\//, "~1", kv[1])
		if (attr[d, "/metadata/labels/" kv[1]] != kv[2]) return 0
	}
	return 1
}
function drop(d, p,    i) {
	for (i = 1; i <= n; i++)
		if (!del[i] && doc[i] == d && (path[i] == p || index(path[i], p "/") == 1)) del[i] = 1
}
# Drops leaves of d that are proper ancestors of p (a {} or [] marker, or a scalar that a map replaces).
function drop_ancestors(d, p,    i) {
	for (i = 1; i <= n; i++)
		if (!del[i] && doc[i] == d && index(p, path[i] "/") == 1) del[i] = 1
}
function has_below(d, p,    i) {
	for (i = 1; i <= n; i++)
		if (!del[i] && doc[i] == d && index(path[i], p "/") == 1) return 1
	return 0
}
function add(d, p, s, v) { n++; doc[n] = d; path[n] = p; style[n] = s; val[n] = v; del[n] = 0 }
function set(d, p, s, v) { drop(d, p); drop_ancestors(d, p); add(d, p, s, v) }
# The list a patch path replaces whole: the prefix before its first #INDEX segment.
function replaced_list(p,    k) {
	k = match(p, /\/#[0-9]+(\/|$)/)
	return k ? substr(p, 1, k - 1) : ""
}
function apply_patch(d,    j, p, root) {
	delete cleared
	for (j = 1; j <= pn; j++) {
		p = ppath[j]
		if (p == "/apiVersion" || p == "/kind" || p == "/metadata/name") continue
		if (index(p, "$patch") || index(p, "$setElementOrder") || index(p, "$retainKeys")) {
			print "kustomize-lite: " source ": directive in " p " not supported" > "/dev/stderr"; exit 2
		}
		root = replaced_list(p)
		if (root != "" && !((d, root) in cleared)) { drop(d, root); cleared[d, root] = 1 }
		if (pstyle[j] == "=" && (pval[j] == "null" || pval[j] == "~" || pval[j] == "")) { drop(d, p); continue }
		if (pstyle[j] == "{" && has_below(d, p)) continue
		set(d, p, pstyle[j], pval[j])
	}
}
FILENAME == patchfile { pn++; ppath[pn] = $2; pstyle[pn] = $3; pval[pn] = $4; pattr[$2] = $4; next }
FILENAME == genfile { gn++; gpath[gn] = $2; gstyle[gn] = $3; gval[gn] = $4; gattr[$2] = $4; next }
{
	n++; doc[n] = $1; path[n] = $2; style[n] = $3; val[n] = $4; del[n] = 0
	attr[$1, $2] = $4
	if (!($1 in seen)) { seen[$1] = 1; nd++; docs[nd] = $1 }
}
END {
	hit = 0
	for (k = 1; k <= nd; k++) {
		d = docs[k]
		if (mode == "patch") {
			if (tkind != "" || tname != "" || tsel != "") {
				if (tkind != "" && kind_of(d) != tkind) continue
				if (tname != "" && name_of(d) != tname) continue
				if (!selects(d, tsel)) continue
			} else if (kind_of(d) != pattr["/kind"] || name_of(d) != pattr["/metadata/name"]) continue
			apply_patch(d); hit++
		} else if (mode == "merge") {
			if (kind_of(d) != gattr["/kind"] || name_of(d) != gattr["/metadata/name"]) continue
			for (j = 1; j <= gn; j++)
				if (index(gpath[j], "/data/") == 1) set(d, gpath[j], gstyle[j], gval[j])
			hit++
		} else if (mode == "namespace") {
			if (kind_of(d) == "Namespace") { set(d, "/metadata/name", "=", ns); continue }
			if (kind_of(d) ~ /^(ClusterRole|ClusterRoleBinding|PersistentVolume|StorageClass|CustomResourceDefinition|PriorityClass|IngressClass)$/) continue
			set(d, "/metadata/namespace", "=", ns)
			if (kind_of(d) ~ /RoleBinding$/) {
				for (i = 1; i <= n; i++)
					if (!del[i] && doc[i] == d && path[i] ~ /^\/subjects\/[^\/]+\/kind$/ && val[i] == "ServiceAccount") {
						s = substr(path[i], 1, length(path[i]) - 5)
						if (attr[d, s "/namespace"] == "") add(d, s "/namespace", "=", ns)
					}
			}
		}
	}
	if (mode == "images") {
		for (i = 1; i <= n; i++) {
			if (del[i] || path[i] !~ /\/(containers|initContainers)\/[^\/]+\/image$/) continue
			v = val[i]; base = v; sub(/@.*/, "", base)
			if (match(base, /:[^:\/]+$/)) base = substr(base, 1, RSTART - 1)
			if (base != iname) continue
			if (newname != "") base = newname
			tag = v; sub(/@.*/, "", tag)
			tag = match(tag, /:[^:\/]+$/) ? substr(tag, RSTART) : ""
			digestpart = index(v, "@") ? substr(v, index(v, "@")) : ""
			if (newtag != "") { tag = ":" newtag; digestpart = "" }
			if (digest != "") { tag = ""; digestpart = "@" digest }
			val[i] = base tag digestpart
		}
	}
	if ((mode == "patch" || mode == "merge") && hit == 0) {
		print "kustomize-lite: " source ": no object to " mode > "/dev/stderr"; exit 2
	}
	for (i = 1; i <= n; i++) if (!del[i]) print doc[i], path[i], style[i], val[i]
}'

# transform STREAM MODE EXTRA [-v NAME=VALUE...]: STREAM rewritten in place; EXTRA (a patch or a
# generated doc, named again by patchfile= or genfile=) is read first, or nothing when empty.
transform() {
	_s=$1 _mode=$2 _extra=$3
	shift 3
	awk -v mode="$_mode" "$@" "$AWK_TRANSFORM" ${_extra:+"$_extra"} "$_s" >"$_s.new" || die "transform $_mode failed"
	mv "$_s.new" "$_s"
}

# build DIR ID OUT: the kustomization in DIR as a stream in OUT, doc ids prefixed with ID.
build() {
	_d=$(cd "$1" && pwd -P)
	_id=$2
	_kf=$TMP/k.$_id
	_st=$3
	[ -f "$_d/kustomization.yaml" ] || die "$_d: no kustomization.yaml"
	"$FLAT" "$_d/kustomization.yaml" >"$_kf" || die "$_d/kustomization.yaml does not parse"
	_bad=$(awk -F '\t' '{ s = $2; sub(/^\//, "", s); sub(/\/.*/, "", s); print s }' "$_kf" | sort -u |
		grep -v -x -E 'apiVersion|kind|namespace|resources|patches|configMapGenerator|secretGenerator|images' || true)
	[ -z "$_bad" ] || die "$_d/kustomization.yaml: field(s) not supported: $_bad"
	: >"$_st"
	_r=0
	for _i in $(items "$_kf" /resources); do
		_res=$(value "$_kf" "/resources/$_i")
		_r=$((_r + 1))
		if [ -d "$_d/$_res" ]; then
			(build "$_d/$_res" "$_id.$_r" "$TMP/s.$_id.$_r") || exit 1
			cat "$TMP/s.$_id.$_r" >>"$_st"
		elif [ -f "$_d/$_res" ]; then
			"$FLAT" "$_d/$_res" | awk -F '\t' -v OFS='\t' -v p="$_id.$_r." '{ $1 = p $1; print }' >>"$_st" ||
				die "$_d/$_res does not parse"
		else
			die "$_d: resource $_res not found"
		fi
	done
	_g=0
	for _gen in configMapGenerator:ConfigMap secretGenerator:Secret; do
		for _i in $(items "$_kf" "/${_gen%%:*}"); do
			_p="/${_gen%%:*}/$_i"
			_name=$(value "$_kf" "$_p/name")
			_g=$((_g + 1))
			generate "${_gen#*:}" "$_name" "$_d" "$_kf" "$_p" "$TMP/g.$_id.$_g"
			case $(value "$_kf" "$_p/behavior") in
			'' | create) awk -F '\t' -v OFS='\t' -v p="$_id.g$_g" '{ $1 = p; print }' "$TMP/g.$_id.$_g" >>"$_st" ;;
			merge) transform "$_st" merge "$TMP/g.$_id.$_g" -v genfile="$TMP/g.$_id.$_g" -v source="$_d: $_name" ;;
			*) die "$_d: $_name: behavior $(value "$_kf" "$_p/behavior") not supported" ;;
			esac
		done
	done
	for _i in $(items "$_kf" /patches); do
		_p=/patches/$_i
		_file=$(value "$_kf" "$_p/path")
		[ -n "$_file" ] || die "$_d: only patches with path: are supported"
		"$FLAT" "$_d/$_file" >"$TMP/p.$_id" || die "$_d/$_file does not parse"
		transform "$_st" patch "$TMP/p.$_id" -v patchfile="$TMP/p.$_id" -v source="$_d/$_file" -v tkind="$(value "$_kf" "$_p/target/kind")" \
			-v tname="$(value "$_kf" "$_p/target/name")" -v tsel="$(value "$_kf" "$_p/target/labelSelector")"
	done
	for _i in $(items "$_kf" /images); do
		_p=/images/$_i
		transform "$_st" images "" -v iname="$(value "$_kf" "$_p/name")" -v newname="$(value "$_kf" "$_p/newName")" \
			-v newtag="$(value "$_kf" "$_p/newTag")" -v digest="$(value "$_kf" "$_p/digest")"
	done
	_ns=$(value "$_kf" /namespace)
	[ -z "$_ns" ] || transform "$_st" namespace "" -v ns="$_ns"
}

build "$TOP" r "$TMP/out"
cat "$TMP/out"
