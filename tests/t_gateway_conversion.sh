#!/bin/sh
# Conformance with Istio's own Gateway API conversion tests
# (../shared/corpus/istio-gateway-conversion: NAME.yaml, NAME.yaml.golden,
# NAME.status.yaml.golden, from pilot/pkg/config/kube/gateway/testdata):
# every case is converted with `meshc convert --domain domain.suffix` and
# `meshc convert --status`, together with the cluster Istio's test runs
# against (tests/gateway-conversion/fixture.yaml), and compared by
# tests/gateway-conversion/compare.py (kinds, names, specs; condition
# type, status and reason).
# Cases listed in tests/gateway-conversion/passing must match: one that
# does not is a failure; the others are reported as known differences.
# Prints "gateway conversion: N of M cases match Istio" and the usual
# "N passed, N failed". Skips cleanly where ../shared is absent.
# GWCONV_VERBOSE=1 shows the differing specs and statuses.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
MESHC=${MESHC:-$root/meshc}
corpus=${GWCONV_CORPUS:-$root/../shared/corpus/istio-gateway-conversion}
data=$root/tests/gateway-conversion
if [ ! -d "$corpus" ]; then
	echo "skipped: $corpus not found"
	echo "0 passed, 0 failed"
	exit 0
fi
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import yaml' 2>/dev/null; then
	echo "skipped: python3 with yaml (python3-yaml) not found"
	echo "0 passed, 0 failed"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0; match=0; total=0
v=""; [ "${GWCONV_VERBOSE:-}" = 1 ] && v=-v
for f in "$corpus"/*.yaml; do
	name=$(basename "$f" .yaml)
	[ -f "$corpus/$name.yaml.golden" ] || continue
	total=$((total+1))
	ok=1
	# As Istio's test (readConfig), a Namespace for each namespace of the
	# input, labelled istio.io/test-name-part: the name up to its first '-'.
	python3 "$data/namespaces.py" "$f" >"$tmp/ns.yaml" || ok=0
	"$MESHC" convert --domain domain.suffix "$data/fixture.yaml" "$tmp/ns.yaml" "$f" >"$tmp/out.yaml" 2>"$tmp/err" || ok=0
	"$MESHC" convert --status --domain domain.suffix "$data/fixture.yaml" "$tmp/ns.yaml" "$f" >"$tmp/st.yaml" 2>>"$tmp/err" || ok=0
	if [ $ok = 1 ] && python3 "$data/compare.py" "$corpus/$name.yaml.golden" "$tmp/out.yaml" \
		"$corpus/$name.status.yaml.golden" "$tmp/st.yaml" $v >"$tmp/diff" 2>&1; then
		match=$((match+1))
		if grep -qx "$name" "$data/passing"; then pass=$((pass+1)); else echo "note: $name now matches; add it to tests/gateway-conversion/passing"; fi
		continue
	fi
	if grep -qx "$name" "$data/passing"; then
		fail=$((fail+1)); echo "FAIL: $name no longer matches Istio:"
	else
		echo "known: $name differs:"
	fi
	cat "$tmp/err" "$tmp/diff" | head -${GWCONV_LINES:-8}
done
echo "gateway conversion: $match of $total cases match Istio"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
