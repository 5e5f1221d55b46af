#!/bin/sh
# man/meshc.1: its DIAGNOSTICS section is what `meshc explain --man`
# generates from the diagnostics table (so it lists every code; fix with
# sh tools/update-man.sh), it documents every subcommand of cli.md, and it
# passes `mandoc -T lint` where mandoc is installed.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
MESHC=${MESHC:-$root/meshc}
page=$root/man/meshc.1
pass=0; fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

awk '/^\.Sh DIAGNOSTICS/ { on = 1 } /^\.Sh / && !/DIAGNOSTICS/ { on = 0 } on' "$page" >"$tmp/have"
"$MESHC" explain --man >"$tmp/want"
if diff -u "$tmp/want" "$tmp/have" >"$tmp/diff"; then pass=$((pass+1)); else
	fail=$((fail+1)); echo "FAIL: man/meshc.1 DIAGNOSTICS is out of date (run sh tools/update-man.sh)"
	head -20 "$tmp/diff"
fi
# Every code of --list-codes has its entry.
missing=0
for code in $("$MESHC" check --list-codes | awk '{ print $1 }'); do
	grep -q "^\.It Sy $code " "$tmp/have" || { missing=$((missing+1)); echo "FAIL: $code missing from the man page"; }
done
if [ $missing = 0 ]; then pass=$((pass+1)); else fail=$((fail+1)); fi
# Every subcommand of cli.md has its subsection (tests/t_cli.sh compares
# each one's options with --help).
for cmd in check explain compile query dump test diff help; do
	if grep -q "^\.Ss meshc $cmd\$" "$page"; then pass=$((pass+1)); else
		fail=$((fail+1)); echo "FAIL: no COMMANDS subsection for $cmd"; fi
done
if command -v mandoc >/dev/null 2>&1; then
	if mandoc -T lint -W warning "$page" >"$tmp/lint" 2>&1; then pass=$((pass+1)); else
		fail=$((fail+1)); echo "FAIL: mandoc -T lint:"; head -20 "$tmp/lint"; fi
else
	echo "skipped: mandoc not installed"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
