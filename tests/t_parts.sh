#!/bin/sh
# A large input is loaded in parts split at document boundaries, in
# parallel (compiler/project.c plan_parts); the results must be those of
# the input read in one piece. MESHC_PART_BYTES sets the part size (1:
# one part per document; 0: no split).
#  - every golden case, split at every document;
#  - a generated mesh with broken references in one file: check and
#    compile, default parts against no split;
#  - the two limits that count over the whole input, where the parts are
#    loaded again in one piece: the node budget, and the per-document cap
#    of reports that belong to no resource.
set -u
cd "$(dirname "$0")/.." || exit 2
MESHC=${MESHC:-$(pwd)/meshc}
export MESHC
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL parts: $1"; }

# same NAME PARTBYTES ARGS...: output and exit status with parts of
# PARTBYTES equal those without parts.
same() {
	name=$1; pb=$2; shift 2
	MESHC_PART_BYTES=0 "$MESHC" "$@" >"$tmp/one.out" 2>"$tmp/one.err"; echo $? >>"$tmp/one.out"
	MESHC_PART_BYTES=$pb "$MESHC" "$@" >"$tmp/parts.out" 2>"$tmp/parts.err"; echo $? >>"$tmp/parts.out"
	if cmp -s "$tmp/one.out" "$tmp/parts.out" && cmp -s "$tmp/one.err" "$tmp/parts.err"; then
		ok
	else
		bad "$name: parts of $pb bytes differ from one piece"
		diff "$tmp/one.out" "$tmp/parts.out" | head -5
	fi
}

MESHC_PART_BYTES=1 sh tests/golden.sh >"$tmp/golden" 2>&1
if grep -q 'golden: [0-9]* passed, 0 failed' "$tmp/golden"; then ok; else
	bad "golden cases with one part per document"; grep -v '^golden:' "$tmp/golden" | head -10
fi

# About 1.5 MB in one file: three parts by default.
python3 bench/gen_mesh -n 600 --per-ns 50 --single "$tmp/mesh.yaml" 2>/dev/null
awk '/subset: v2/ && ++a % 5 == 0 { sub(/v2/, "v7") }
     /number: 80$/ && ++b % 7 == 0 { sub(/80/, "81") }
     /host: / && ++c % 11 == 0 { sub(/host: /, "host: x") }
     /^  name: / && ++e % 13 == 0 { sub(/name: .*/, "name: dup") }
     { print }' "$tmp/mesh.yaml" >"$tmp/broken.yaml"
[ "$(wc -c <"$tmp/broken.yaml")" -gt 1100000 ] && ok || bad "generated mesh smaller than two parts"
grep -q MSH "$(MESHC_PART_BYTES=0 "$MESHC" check "$tmp/broken.yaml" >"$tmp/b.out" 2>&1; echo "$tmp/b.out")" && ok ||
	bad "the broken mesh reports nothing"
same broken-check "" check "$tmp/broken.yaml"
same broken-check-small 20000 check -o json "$tmp/broken.yaml"
MESHC_PART_BYTES=0 "$MESHC" compile -o "$tmp/one.table" "$tmp/mesh.yaml" >/dev/null 2>&1
"$MESHC" compile -o "$tmp/parts.table" "$tmp/mesh.yaml" >/dev/null 2>&1
[ -s "$tmp/one.table" ] && cmp -s "$tmp/one.table" "$tmp/parts.table" && ok ||
	bad "compile of the mesh in parts gives another table"

# Node budget: documents of two-byte nodes, past the budget only when
# counted over the whole input.
i=0
while [ $i -lt 40 ]; do
	echo '---'
	printf 'a: ['
	j=0
	while [ $j -lt 20 ]; do printf '1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,'; j=$((j+1)); done
	echo '1]'
	i=$((i+1))
done >"$tmp/budget1.yaml"
# 400 documents of ~1000 nodes (two bytes each): 4 KB parts hold two;
# only all of them together reach the budget (one node per 6 bytes).
for k in 1 2 3 4 5 6 7 8 9 10; do
	cat "$tmp/budget1.yaml"
done >"$tmp/budget.yaml"
MESHC_PART_BYTES=0 "$MESHC" check "$tmp/budget.yaml" 2>/dev/null | grep -q 'MSH0002.*YAML nodes' && ok ||
	bad "the budget input does not reach the node budget"
same node-budget 4096 check "$tmp/budget.yaml"

# More than 100 documents that are not objects: the cap counts them in
# one scope over the input.
i=0
while [ $i -lt 150 ]; do echo '--- 1'; i=$((i+1)); done >"$tmp/loose.yaml"
MESHC_PART_BYTES=0 "$MESHC" check "$tmp/loose.yaml" 2>/dev/null | grep -q 'more MSH0005' && ok ||
	bad "the loose input does not reach the cap"
same loose-cap 1 check "$tmp/loose.yaml"

echo "t_parts: $pass passed, $fail failed"
[ "$fail" = 0 ]
