#!/bin/sh
# `meshc compile -o OUT` never destroys what is at OUT (compiler/route_write.c):
# non-regular targets refused, symbolic links written through, modes kept,
# no temporary left behind after a kill, every failed sync reported.
set -u
cd "$(dirname "$0")/.." || exit 2
MESHC=${MESHC:-$(pwd)/meshc}
TEST_BIN_DIR=${TEST_BIN_DIR:-$(pwd)/build/tests}
tmp=$(mktemp -d)
pids=
trap 'for p in $pids; do kill $p 2>/dev/null; done; rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL output: $1"; }
Y=testdata/route/query_jason.yaml
# compile_to NAME WANT-RC OUT: compiles $Y to OUT under a timeout
compile_to() {
	name=$1; want=$2; shift 2
	timeout 30 "$MESHC" compile -o "$@" "$Y" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	if [ "$rc" = "$want" ]; then ok; else bad "$name: exit $rc, want $want"; sed 's/^/    /' "$tmp/err" | head -5; fi
}
temps() { ls -a "$1" | grep -c '\.tmp\.' ; }
mode() { stat -c %a "$1"; }

"$MESHC" compile -o "$tmp/ref.mrt" "$Y" 2>/dev/null || bad "reference compile failed"

# Non-regular targets are refused and left as they were.
mkfifo "$tmp/fifo.mrt"
compile_to fifo 2 "$tmp/fifo.mrt"
[ -p "$tmp/fifo.mrt" ] && ok || bad "fifo: no longer a FIFO"
grep -q "not a regular file" "$tmp/err" && ok || bad "fifo: message"
mkdir "$tmp/dir.mrt"
compile_to directory 2 "$tmp/dir.mrt"
[ -d "$tmp/dir.mrt" ] && ok || bad "directory: no longer a directory"
if mknod "$tmp/null" c 1 3 2>/dev/null; then      # a copy of /dev/null
	compile_to device 2 "$tmp/null"
	[ -c "$tmp/null" ] && ok || bad "device: no longer a character device"
else
	echo "output: device target skipped (mknod not permitted)"
fi
[ "$(temps "$tmp")" = 0 ] && ok || bad "refused targets left a temporary"

# A symbolic link is written through: the link stays, its target gets
# the table and keeps its mode.
mkdir "$tmp/rel"
printf 'old' >"$tmp/rel/42.mrt"; chmod 640 "$tmp/rel/42.mrt"
ln -s rel/42.mrt "$tmp/mesh.mrt"
compile_to symlink 0 "$tmp/mesh.mrt"
[ -L "$tmp/mesh.mrt" ] && ok || bad "symlink: the link was replaced"
cmp -s "$tmp/rel/42.mrt" "$tmp/ref.mrt" && ok || bad "symlink: target does not hold the table"
[ "$(mode "$tmp/rel/42.mrt")" = 640 ] && ok || bad "symlink: target mode $(mode "$tmp/rel/42.mrt"), want 640"
ln -s missing.mrt "$tmp/dangling.mrt"
compile_to dangling-symlink 2 "$tmp/dangling.mrt"
[ -e "$tmp/missing.mrt" ] && bad "dangling-symlink: created its target" || ok

# Modes: an existing file keeps its own, a new one follows the umask.
printf 'old' >"$tmp/kept.mrt"; chmod 600 "$tmp/kept.mrt"
compile_to mode-kept 0 "$tmp/kept.mrt"
[ "$(mode "$tmp/kept.mrt")" = 600 ] && ok || bad "mode-kept: $(mode "$tmp/kept.mrt"), want 600"
(umask 027; timeout 30 "$MESHC" compile -o "$tmp/new.mrt" "$Y" 2>/dev/null)
[ "$(mode "$tmp/new.mrt")" = 640 ] && ok || bad "umask: new file $(mode "$tmp/new.mrt"), want 640"

# Temporaries abandoned by a killed compile are removed by the next one;
# one a live writer holds (locked) is not.
printf 'x' >"$tmp/out.mrt.tmp.AbCd12"
printf 'x' >"$tmp/out.mrt.tmp.LiVe34"
printf 'x' >"$tmp/other.mrt.tmp.ZzZz99"      # another target's: not ours
if command -v flock >/dev/null 2>&1; then
	flock -x "$tmp/out.mrt.tmp.LiVe34" sleep 60 &
	pids="$pids $!"
	sleep 0.3
fi
compile_to stale 0 "$tmp/out.mrt"
[ -e "$tmp/out.mrt.tmp.AbCd12" ] && bad "stale: abandoned temporary kept" || ok
[ -e "$tmp/other.mrt.tmp.ZzZz99" ] && ok || bad "stale: another target's temporary removed"
if [ -n "$pids" ]; then
	[ -e "$tmp/out.mrt.tmp.LiVe34" ] && ok || bad "stale: a locked (live) temporary removed"
	for p in $pids; do kill $p 2>/dev/null; done; pids=
fi
rm -f "$tmp"/*.tmp.*

# Kill compiles at random moments; after one more compile no temporary
# of the target is left, and the target is always a whole table.
awk 'BEGIN { print "apiVersion: v1\nkind: Service\nmetadata: {name: big, namespace: k}\nspec:\n  ports: [{name: http, port: 80}]";
	for (i = 0; i < 3000; i++) {
		printf "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v%d, namespace: k}\n", i
		printf "spec:\n  hosts: [h%d.example.com]\n  http:\n  - route: [{destination: {host: big}}]\n", i } }' >"$tmp/big.yaml"
"$MESHC" compile -o "$tmp/kill.mrt" "$tmp/big.yaml" 2>/dev/null
i=0
while [ $i -lt 16 ]; do
	"$MESHC" compile -o "$tmp/kill.mrt" "$tmp/big.yaml" >/dev/null 2>&1 &
	p=$!
	sleep "0.$(printf %02d $(( (i * 7) % 31 )))"
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
	"$MESHC" query "$tmp/kill.mrt" --host h1.example.com >/dev/null 2>&1 || bad "kill $i: target not a whole table"
	i=$((i + 1))
done
"$MESHC" compile -o "$tmp/kill.mrt" "$tmp/big.yaml" 2>/dev/null
[ "$(temps "$tmp")" = 0 ] && ok || bad "kill: $(temps "$tmp") temporaries left after the next compile"

# Injected failures (tests/inject_errors.c): each is exit 2 with a
# message; a failed write leaves the old table in place.
so="$TEST_BIN_DIR/inject_errors.so"
if [ -f "$so" ]; then
	inject() {   # inject FAULTS NAME: compile kept.mrt with FAULTS
		cp "$tmp/ref.mrt" "$tmp/inj.mrt"
		printf 'old table' >"$tmp/inj.mrt"
		INJECT_FAIL=$1 LD_PRELOAD="$so" ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
			timeout 30 "$MESHC" compile -o "$tmp/inj.mrt" "$Y" >"$tmp/out" 2>"$tmp/err" </dev/null
		echo $?
	}
	[ "$(inject fsync-dir)" = 2 ] && ok || bad "fsync-dir: not exit 2"
	grep -q "could not be synced" "$tmp/err" && ok || { bad "fsync-dir: message"; head -3 "$tmp/err"; }
	[ "$(inject fsync-file)" = 2 ] && ok || bad "fsync-file: not exit 2"
	[ "$(cat "$tmp/inj.mrt")" = "old table" ] && ok || bad "fsync-file: old table replaced"
	[ "$(inject write-file)" = 2 ] && ok || bad "write-file: not exit 2"
	[ "$(cat "$tmp/inj.mrt")" = "old table" ] && ok || bad "write-file: old table replaced"
	grep -q "No space left" "$tmp/err" && ok || bad "write-file: message"
	[ "$(temps "$tmp")" = 0 ] && ok || bad "injected failures left a temporary"
else
	bad "no $so (make tests builds it)"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
