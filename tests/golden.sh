#!/bin/sh
# Golden tests: every testdata/<suite>/<case>.yaml (or .yml) is run through
# meshc and its stdout and exit code compared with <case>.out and <case>.rc
# (and stderr with <case>.err when that file exists).
# <case>.args, when present, holds the meshc arguments on one line; `{}`
# stands for the case file (default: "check -o text {}").
# Runs from inside testdata/ so paths in the output are stable.
# --update rewrites .out/.rc (and existing .err) from the current meshc.
set -u
MESHC=${MESHC:-$(pwd)/meshc}
update=0
[ "${1:-}" = "--update" ] && update=1
cd "$(dirname "$0")/../testdata" || exit 2
pass=0; fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for input in $(find . -path ./'*' -name '*.yaml' -o -name '*.yml' | sed 's|^\./||' | sort); do
	case "$input" in
	*/*/*) continue ;;   # inputs of directory cases live below the suite
	esac
	base=${input%.*}
	[ -f "$base.rc" ] || [ -f "$base.args" ] || [ $update = 1 ] || continue
	if [ -f "$base.args" ]; then
		args=$(sed "s|{}|$input|g" "$base.args")
	else
		args="check -o text $input"
	fi
	if [ -f "$base.stdin" ]; then
		NO_COLOR=1 GITHUB_ACTIONS= sh -c "exec \"\$0\" $args" "$MESHC" <"$base.stdin" >"$tmp/out" 2>"$tmp/err"
	else
		NO_COLOR=1 GITHUB_ACTIONS= sh -c "exec \"\$0\" $args" "$MESHC" </dev/null >"$tmp/out" 2>"$tmp/err"
	fi
	rc=$?
	if [ $update = 1 ]; then
		cp "$tmp/out" "$base.out"; echo $rc >"$base.rc"
		[ -f "$base.err" ] && cp "$tmp/err" "$base.err"
		continue
	fi
	ok=1
	if ! diff -u "$base.out" "$tmp/out" >"$tmp/diff" 2>&1; then ok=0; fi
	if [ "$(cat "$base.rc")" != "$rc" ]; then ok=0; echo "exit $rc, want $(cat "$base.rc")" >>"$tmp/diff"; fi
	if [ -f "$base.err" ] && ! diff -u "$base.err" "$tmp/err" >>"$tmp/diff" 2>&1; then ok=0; fi
	if [ $rc -gt 2 ]; then ok=0; echo "crashed (exit $rc):" >>"$tmp/diff"; cat "$tmp/err" >>"$tmp/diff"; fi
	if [ $ok = 1 ]; then pass=$((pass+1)); else
		fail=$((fail+1)); echo "FAIL golden $input"; sed 's/^/    /' "$tmp/diff" | head -40
	fi
done
[ $update = 1 ] && { echo "golden expectations rewritten; review with git diff"; exit 0; }
echo "golden: $pass passed, $fail failed"
[ $fail = 0 ]
