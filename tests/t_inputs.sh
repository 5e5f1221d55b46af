#!/bin/sh
# Hostile inputs on the file-system side (compiler/source.c): symbolic
# link loops, dangling links, unreadable directories, FIFOs and devices
# given where a file is expected, endless standard input. Every command
# must end (each run is under `timeout`), and what cannot be read is
# exit 2 naming the path, never a silent pass.
set -u
cd "$(dirname "$0")/.." || exit 2
MESHC=${MESHC:-$(pwd)/meshc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL inputs: $1"; }
# run NAME WANT-RC CMD...: meshc CMD under a 20 s timeout; output in $tmp/out, $tmp/err
run() {
	name=$1; want=$2; shift 2
	timeout 20 "$MESHC" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	if [ "$rc" = 124 ]; then bad "$name: still running after 20 s"; return; fi
	if [ "$rc" = "$want" ]; then ok; else bad "$name: exit $rc, want $want"; sed 's/^/    /' "$tmp/err" | head -5; fi
}
# err_has NAME TEXT: stderr of the last run contains TEXT
err_has() { grep -qF -- "$2" "$tmp/err" && ok || { bad "$1: stderr lacks \"$2\""; sed 's/^/    /' "$tmp/err" | head -5; }; }

vs() {   # vs NAME: a clean VirtualService
	printf 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: %s\n  namespace: shop\nspec:\n  hosts: [%s.shop.svc.cluster.local]\n  http:\n  - route:\n    - destination:\n        host: %s.shop.svc.cluster.local\n' "$1" "$1" "$1"
}

# Two links to "." and one to the parent: without loop detection the walk
# is exponential; with it each file is read once (a second read would be
# MSH0007, a duplicate resource) and each loop reported once.
mkdir -p "$tmp/loop/sub"
vs a >"$tmp/loop/a.yaml"; vs b >"$tmp/loop/sub/b.yaml"
ln -s . "$tmp/loop/self1"; ln -s . "$tmp/loop/self2"; ln -s .. "$tmp/loop/sub/up"
ln -s a.yaml "$tmp/loop/same.yaml"          # the same file under a second name
run symlink-loops 0 check "$tmp/loop"
grep -q MSH0007 "$tmp/out" && bad "symlink-loops: a file was read twice" || ok
[ "$(grep -c 'self1.*symbolic link loop' "$tmp/err")" = 1 ] && ok || bad "symlink-loops: self1 not reported exactly once"
[ "$(grep -c 'symbolic link loop' "$tmp/err")" = 3 ] && ok || bad "symlink-loops: want 3 loop reports"
run symlink-loops-json 0 check -o json "$tmp/loop"
[ "$(cat "$tmp/out")" = "[]" ] && ok || bad "symlink-loops-json: not []"
# The same file named twice on the command line is read once too.
run same-file-twice 0 check "$tmp/loop/a.yaml" "$tmp/loop/same.yaml"

# A dangling *.yaml link met during a walk: exit 2 naming it.
mkdir -p "$tmp/dangling"
vs a >"$tmp/dangling/a.yaml"; ln -s missing.yaml "$tmp/dangling/gone.yaml"
ln -s missing-readme "$tmp/dangling/README"      # not YAML: not an input
run dangling-yaml 2 check "$tmp/dangling"
err_has dangling-yaml "$tmp/dangling/gone.yaml"
grep -q README "$tmp/err" && bad "dangling-yaml: a dangling non-YAML link was reported" || ok
run dangling-yaml-compile 2 compile -o "$tmp/d.mrt" "$tmp/dangling"
[ -e "$tmp/d.mrt" ] && bad "dangling-yaml-compile: wrote a table" || ok

# An unreadable subdirectory: exit 2 naming it. Root reads everything, so
# as root the check runs as nobody (setpriv) when it can.
mkdir -p "$tmp/perm/locked"
vs a >"$tmp/perm/a.yaml"; vs b >"$tmp/perm/locked/b.yaml"
chmod 755 "$tmp" "$tmp/perm"; chmod 644 "$tmp/perm/a.yaml"; chmod 000 "$tmp/perm/locked"
as_user=
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null 2>&1 &&
	   setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null &&
	   setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$MESHC"; then
		as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
	else
		echo "inputs: unreadable-directory skipped (root without setpriv)"
		as_user=skip
	fi
fi
if [ "$as_user" != skip ]; then
	timeout 20 $as_user "$MESHC" check "$tmp/perm" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	[ "$rc" = 2 ] && ok || bad "unreadable-directory: exit $rc, want 2"
	err_has unreadable-directory "$tmp/perm/locked"
fi
chmod 755 "$tmp/perm/locked"

# FIFOs and devices: refused before any open that could block.
mkfifo "$tmp/fifo.yaml" "$tmp/fifo.mrt"
run fifo-check 2 check "$tmp/fifo.yaml"
err_has fifo-check "not a regular file"
mkdir -p "$tmp/withfifo"; vs a >"$tmp/withfifo/a.yaml"; mkfifo "$tmp/withfifo/pipe.yaml"
run fifo-in-walk 2 check "$tmp/withfifo"
err_has fifo-in-walk "$tmp/withfifo/pipe.yaml"
run fifo-query 2 query "$tmp/fifo.mrt" --host a
run fifo-dump 2 dump "$tmp/fifo.mrt"
run fifo-diff 2 diff "$tmp/fifo.mrt" "$tmp/loop/a.yaml"
run fifo-diff-yaml 2 diff "$tmp/loop/a.yaml" "$tmp/fifo.yaml"
run dev-zero 2 check /dev/zero
err_has dev-zero "/dev/zero"
run dev-null-compile 2 compile -o "$tmp/n.mrt" /dev/null
if "$MESHC" compile -o "$tmp/t.mrt" "$tmp/loop/a.yaml" 2>/dev/null; then
	run fifo-test-cases 2 test "$tmp/t.mrt" "$tmp/fifo.yaml"
else
	bad "compile of a clean file failed"
fi
mkdir -p "$tmp/cfg"; vs a >"$tmp/cfg/a.yaml"; mkfifo "$tmp/cfg/.meshc.yaml"
(cd "$tmp/cfg" && timeout 20 "$MESHC" check a.yaml >"$tmp/out" 2>"$tmp/err" </dev/null)
rc=$?
[ "$rc" = 2 ] && ok || bad "fifo-config: exit $rc, want 2"
run fifo-config-option 2 check --config "$tmp/fifo.yaml" "$tmp/loop/a.yaml"

# Endless standard input stops at the file limit (64 MiB), reported as an
# error of <stdin>; the other inputs are still checked.
yes 'x: y' | timeout 60 "$MESHC" check -o json - "$tmp/loop/a.yaml" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 1 ] && ok || bad "endless-stdin: exit $rc, want 1"
tr -d ' \n' <"$tmp/out" | grep -q '"file":"<stdin>","line":1,"column":1' &&
	grep -q 'exceeds the limit of 67108864 bytes' "$tmp/out" &&
	ok || { bad "endless-stdin: no limit error on <stdin>"; head -c 400 "$tmp/out"; }

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
