#!/bin/sh
# Routing fidelity against ../shared/corpus/route-real/: every scenario
# (istio.io traffic-management tasks, Istio's own route tests) must
# compile, and every request whose outcome the scenario's source states
# (tests/route-real/NAME.cases.yaml, router_check format with meshc's
# additions; each file cites its source) must route as Istio would.
# Prints "route-real: N of M requests route as Istio would" and the usual
# "N passed, N failed" (one check per compile and per request). Skips
# cleanly (0 passed, 0 failed) where ../shared is absent.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
MESHC=${MESHC:-$root/meshc}
corpus=$root/../shared/corpus/route-real
pass=0; fail=0; reqs=0; good=0
if [ ! -d "$corpus" ]; then
	echo "skipped: $corpus not found"
	echo "0 passed, 0 failed"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$corpus"/*.yaml; do
	name=$(basename "$f" .yaml)
	cases=$root/tests/route-real/$name.cases.yaml
	if ! "$MESHC" compile -o "$tmp/$name.mrt" "$f" >"$tmp/out" 2>&1; then
		fail=$((fail+1)); echo "FAIL: $name does not compile:"; head -5 "$tmp/out"
		continue
	fi
	pass=$((pass+1))
	if [ ! -f "$cases" ]; then
		fail=$((fail+1)); echo "FAIL: $name has no tests/route-real/$name.cases.yaml"
		continue
	fi
	"$MESHC" test -q --no-config "$tmp/$name.mrt" "$cases" >"$tmp/out" 2>&1
	rc=$?
	n=$(sed -n 's/^\([0-9]*\) tests, \([0-9]*\) failed$/\1/p' "$tmp/out")
	bad=$(grep -c '^FAIL ' "$tmp/out")
	if [ $rc -gt 1 ] || [ -z "$n" ]; then
		fail=$((fail+1)); echo "FAIL: meshc test $name exited $rc:"; head -5 "$tmp/out"
		continue
	fi
	# A request can fail on several fields: count requests, not lines.
	badreq=$(sed -n 's/^FAIL \(.*\): [a-z_ ]*[a-z]: got .*/\1/p' "$tmp/out" | sort -u | wc -l)
	[ "$bad" -gt 0 ] && sed 's/^/    /' "$tmp/out" | grep 'FAIL ' | head -20
	reqs=$((reqs+n)); good=$((good+n-badreq))
	pass=$((pass+n-badreq)); fail=$((fail+badreq))
done
echo "route-real: $good of $reqs requests route as Istio would"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
