#!/bin/sh
# Conformance of IST0130/IST0131 with Istio's own analyzer test: runs meshc
# over the two files of the "dupmatches" row of istio-expectations.md and
# compares the multiset of (code, origin) with the row's expected messages.
# Istio's harness leaves namespace-less resources without a namespace
# (origin "Kind name"); meshc defaults them to "default", so "default/" is
# dropped before comparing. Skips when ../shared is absent.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$root/../shared}
MESHC=${MESHC:-$root/meshc}
spec=$shared/spec/istio-expectations.md
corpus=$shared/corpus/istio-testdata
if [ ! -f "$spec" ] || [ ! -f "$corpus/virtualservice_dupmatches.yaml" ] ||
   [ ! -f "$corpus/virtualservice_overlappingmatches.yaml" ]; then
	echo "skipped: $shared absent"
	echo "0 passed, 0 failed"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Expected: the fourth cell of the dupmatches row, one "CODE|origin" a line.
grep '^| dupmatches |' "$spec" | head -1 | awk -F'|' '{ print $5 }' |
	tr ';' '\n' |
	sed -E -n 's/^ *(IST013[01]) [A-Za-z]+ → (VirtualService [^ ]+) *$/\1|\2/p' |
	sort >"$tmp/want"

# Got: IST0130/IST0131 lines of meshc's text output, same shape.
"$MESHC" check -o text "$corpus/virtualservice_dupmatches.yaml" \
	"$corpus/virtualservice_overlappingmatches.yaml" >"$tmp/out" 2>"$tmp/err"
rc=$?
sed -E -n 's/^.*:[0-9]+:[0-9]+: [a-z]+\[(IST013[01])\] (VirtualService [^:]+): .*$/\1|\2/p' \
	"$tmp/out" | sed 's#|VirtualService default/#|VirtualService #' | sort >"$tmp/got"

pass=0; fail=0
nwant=$(wc -l <"$tmp/want")
if [ "$nwant" -lt 10 ]; then
	echo "FAIL cannot read the dupmatches row of $spec ($nwant entries)"
	fail=$((fail + 1))
fi
if [ $rc -gt 1 ]; then
	echo "FAIL meshc exited $rc"; sed 's/^/    /' "$tmp/err" | head -10
	fail=$((fail + 1))
fi
# Multiset comparison: comm on sorted lists keeps repeated lines apart.
comm -12 "$tmp/want" "$tmp/got" >"$tmp/both"
comm -23 "$tmp/want" "$tmp/got" >"$tmp/missing"
comm -13 "$tmp/want" "$tmp/got" >"$tmp/extra"
pass=$((pass + $(wc -l <"$tmp/both")))
while IFS= read -r l; do
	echo "FAIL missing: $l"; fail=$((fail + 1))
done <"$tmp/missing"
while IFS= read -r l; do
	echo "FAIL unexpected: $l"; fail=$((fail + 1))
done <"$tmp/extra"
echo "unreachable conformance: $pass passed, $fail failed"
[ $fail = 0 ]
