#!/bin/sh
# Every example of README.md, run as a newcomer would: each indented code
# block is a shell script, run in order with `sh -e` in a sandbox (a git
# repository holding a copy of examples/, HOME a fresh directory, PATH
# starting with ~/.local/bin), so the install block really puts meshc,
# its man pages and libmeshrt where the later blocks find them. A comment
# line just before a block says otherwise:
#   <!-- readme-test: in the source tree -->   run it at the top of the tree
#   <!-- readme-test: file NAME -->            it is the content of NAME
#                                              (written before any block runs)
#   <!-- readme-test: status N -->             it exits N, not 0
#   <!-- readme-test: not run: WHY -->         skipped, saying why (sample
#                                              output, the test command itself)
# The sandbox's deploy/ is a copy of examples/bookinfo: "your mesh config"
# in the pre-commit example. Each block is one check. Uses the optimised build (what make install
# installs): under SANITIZE it prints "skipped" and 0 passed, 0 failed.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
MESHC=${MESHC:-$root/meshc}
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
if [ "$MESHC" != "$root/meshc" ]; then
	echo "skipped: the README examples run with the optimised build"
	echo "0 passed, 0 failed"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/blocks" "$tmp/home" "$tmp/work"

# Split README.md into blocks: blocks/N.sh and blocks/N.kind ("run",
# "source", "file NAME", "status N", "skip WHY"), N in document order.
awk -v dir="$tmp/blocks" '
	function flush() {
		if (n_lines) {
			nb++
			f = sprintf("%s/%03d.sh", dir, nb)
			for (i = 1; i <= n_lines; i++) print lines[i] > f
			close(f)
			print (kind == "" ? "run" : kind) > sprintf("%s/%03d.kind", dir, nb)
			close(sprintf("%s/%03d.kind", dir, nb))
			kind = ""
		}
		n_lines = 0
	}
	/^<!-- readme-test: / {
		m = $0; sub(/^<!-- readme-test: /, "", m); sub(/ -->$/, "", m)
		if (m == "in the source tree") kind = "source"
		else if (m ~ /^file /) kind = m
		else if (m ~ /^status /) kind = m
		else if (m ~ /^not run: /) { sub(/^not run: /, "", m); kind = "skip " m }
		else kind = "bad " m
		next
	}
	/^    / { if (!in_block) n_lines = 0; in_block = 1; lines[++n_lines] = substr($0, 5); next }
	{ if (in_block) flush(); in_block = 0 }
	END { if (in_block) flush() }
' "$root/README.md"
nblocks=$(ls "$tmp/blocks"/*.sh 2>/dev/null | wc -l)
[ "$nblocks" -gt 10 ] && ok || bad "README.md: only $nblocks code blocks found"

# The sandbox: what a user's repository with the examples would hold.
cp -r "$root/examples" "$tmp/work/"
cp -r "$root/examples/bookinfo" "$tmp/work/deploy"
rm -f "$tmp/work/examples/route-reload/route-reload"
(cd "$tmp/work" && git init -q && git config user.email t@example.org &&
	git config user.name test && git add -A && git commit -qm init) || bad "git init"
for k in "$tmp/blocks"/*.kind; do
	case $(cat "$k") in
	"file "*)
		name=$(sed 's/^file //' "$k")
		cp "${k%.kind}.sh" "$tmp/work/$name" ;;
	esac
done

run_env() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u GITHUB_ACTIONS -u PKG_CONFIG_PATH \
		-u MANPATH HOME="$tmp/home" PATH="$tmp/home/.local/bin:$PATH" \
		MANPAGER=cat PAGER=cat NO_COLOR=1 "$@"
}
for sh in "$tmp/blocks"/*.sh; do
	kind=$(cat "${sh%.sh}.kind")
	want=0 dir=$tmp/work
	case $kind in
	"skip "*) echo "not run: $(head -1 "$sh") (${kind#skip })"; continue ;;
	"file "*) ok; continue ;;
	"bad "*) bad "README.md: unknown readme-test marker: ${kind#bad }"; continue ;;
	source) dir=$root ;;
	"status "*) want=${kind#status } ;;
	esac
	(cd "$tmp/work" && git add -A >/dev/null 2>&1)
	(cd "$dir" && run_env sh -e "$sh") >"$tmp/out" 2>&1 </dev/null
	rc=$?
	if [ $rc = "$want" ] && ! grep -q ': not found$' "$tmp/out"; then ok; else
		bad "README block exits $rc, want $want:"
		sed 's/^/    $ /' "$sh" | head -5
		sed 's/^/    /' "$tmp/out" | tail -8
	fi
done
# The install block's files go again, so the tree is as it was.
(cd "$root" && run_env make -s uninstall PREFIX="$tmp/home/.local") >/dev/null 2>&1 ||
	bad "make uninstall PREFIX=~/.local"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
