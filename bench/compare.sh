#!/bin/sh
# bench/compare.sh: are meshc's results byte-identical before and after a
# change? Records what one meshc binary prints for a fixed set of inputs
# (check in text and JSON, compile's table bytes, diff), so that a second
# binary's record can be compared with `diff -r`.
#
#   sh bench/compare.sh record DIR [MESHC]   write DIR (MESHC: ./meshc)
#   sh bench/compare.sh verify DIR [MESHC]   record into DIR.new, diff -r
#
# Inputs: every YAML file of testdata/ and examples/ one at a time, the
# examples as directories, the corpus under ../shared (MESHC_SHARED;
# skipped when absent) one file at a time, and three generated meshes
# (bench/gen_mesh, 600 services): the base, a drifted variant (for diff)
# and a broken one whose references, subsets, ports, gateways and hosts
# are mangled in every few services, so the analyzers have something to
# say at scale. Not part of `make check` (a minute or two on 2 cores): run
# it around a change of anything after parsing.
set -eu

mode=${1:-}
dir=${2:-}
MESHC=${3:-./meshc}
[ -n "$mode" ] && [ -n "$dir" ] || { echo "usage: compare.sh record|verify DIR [MESHC]" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED=${MESHC_SHARED:-$ROOT/../shared}
case $MESHC in /*) ;; *) MESHC=$(pwd)/$MESHC ;; esac

out=$dir
[ "$mode" = verify ] && out=$dir.new
rm -rf "$out"
mkdir -p "$out"
gen=$out.gen
rm -rf "$gen"
mkdir -p "$gen"

# The generated meshes: deterministic for the seed.
python3 "$HERE/gen_mesh" -n 600 --per-ns 50 -o "$gen/base" 2>/dev/null
python3 "$HERE/gen_mesh" -n 600 --per-ns 50 --drift 7 -o "$gen/drift" 2>/dev/null
mkdir -p "$gen/broken"
for f in "$gen/base"/*.yaml; do
	# Every 5th/7th/11th/13th matching line changes: unknown subsets,
	# ports, hosts and gateways, duplicated names.
	awk '/subset: v2/ && ++a % 5 == 0 { sub(/v2/, "v7") }
	     /number: 80$/ && ++b % 7 == 0 { sub(/80/, "81") }
	     /host: / && ++c % 11 == 0 { sub(/host: /, "host: x") }
	     /- .*-gateway$/ && ++d % 3 == 0 { sub(/-gateway/, "-gw") }
	     /^  name: / && ++e % 13 == 0 { sub(/name: .*/, "name: dup") }
	     { print }' "$f" > "$gen/broken/$(basename "$f")"
done

# The scaling shapes (many resources on one host, port, selector,
# certificate), where the analyzers' caps and lookups matter.
mkdir -p "$gen/scaling"
sh "$ROOT/tests/t_scaling.sh" --gen "$gen/scaling" 300

n=0
# run NAME CMD...: stdout, stderr and exit status of one meshc run.
run() {
	name=$1
	shift
	n=$((n + 1))
	rc=0
	"$MESHC" "$@" > "$out/$name.out" 2> "$out/$name.err" || rc=$?
	echo "$rc" > "$out/$name.rc"
}

# each FILE TAG: check (text, json) and compile of one input.
each() {
	f=$1
	tag=$(printf '%s' "$2" | tr '/' '_')
	run "$tag.check" check "$f"
	run "$tag.json" check -o json "$f"
	run "$tag.compile" compile -o "$out/$tag.table" "$f"
	# The table's path differs between record and verify.
	sed "s|$out/|OUT/|g" "$out/$tag.compile.err" > "$out/$tag.compile.e"
	mv "$out/$tag.compile.e" "$out/$tag.compile.err"
	if [ -f "$out/$tag.table" ]; then
		cksum < "$out/$tag.table" > "$out/$tag.table.sum"
		rm -f "$out/$tag.table"
	fi
}

cd "$ROOT"
for f in $(find testdata examples -name '*.yaml' | LC_ALL=C sort); do
	each "$f" "$f"
done
for d in examples/bookinfo examples/shop; do
	[ -d "$d" ] && each "$d" "dir-$d"
done
if [ -d "$SHARED/corpus" ]; then
	for f in $(cd "$SHARED/corpus" && find realworld istio-testdata route-real \
			istio-gateway-conversion -name '*.yaml' | LC_ALL=C sort); do
		each "$SHARED/corpus/$f" "corpus/$f"
	done
fi
cd "$gen"
for f in scaling/*.yaml; do
	each "$f" "gen-$f"
done
for m in base drift broken; do
	each "$m" "gen-$m"
done
run gen-diff diff base drift
run gen-diff-broken diff base broken
run gen-diff-json diff -o json base broken
cd "$ROOT"
rm -rf "$gen"

echo "compare: $n runs recorded in $out"
if [ "$mode" = verify ]; then
	if diff -r "$dir" "$out" > "$out.diff"; then
		echo "compare: identical to $dir"
		rm -f "$out.diff"
	else
		echo "compare: DIFFERENT from $dir (see $out.diff)" >&2
		head -40 "$out.diff" >&2
		exit 1
	fi
fi
