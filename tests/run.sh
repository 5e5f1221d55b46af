#!/bin/sh
# The whole test suite: every unit-test program, the golden cases, and the
# scripted tests (tests/t_*.sh). Prints the grand total last.
set -u
cd "$(dirname "$0")/.." || exit 2
: "${MESHC:=$(pwd)/meshc}"
: "${TEST_BIN_DIR:=$(pwd)/build/tests}"
export MESHC TEST_BIN_DIR
total_pass=0; total_fail=0
count() {   # count "<label>" <output file>: add the "N passed, N failed" line
	line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$2" | tail -1)
	p=$(echo "$line" | sed -E 's/^(.*[^0-9])?([0-9]+) passed.*/\2/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	[ -n "$line" ] || { p=0; f=1; echo "$1: no result line"; }
	total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
	echo "$1: $p passed, $f failed"
}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for t in "$TEST_BIN_DIR"/test_*; do
	[ -x "$t" ] || continue
	"$t" >"$out" 2>&1; rc=$?
	grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | head -30
	count "$(basename "$t")" "$out"
	[ $rc -le 1 ] || { echo "$(basename "$t") crashed (exit $rc)"; total_fail=$((total_fail+1)); }
done
sh tests/golden.sh >"$out" 2>&1
grep -v '^golden: ' "$out"
count golden "$out"
for t in tests/t_*.sh; do
	[ -f "$t" ] || continue
	sh "$t" >"$out" 2>&1
	grep -v -E '[0-9]+ passed, [0-9]+ failed$' "$out" | head -30
	count "$(basename "$t" .sh)" "$out"
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
