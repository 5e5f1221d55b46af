#!/bin/sh
# meshc diff beyond the golden cases: compiled tables on either side (the
# route-level diff must not depend on where the routes came from), large
# lists and maps (the O(n log n) paths), git as the caller of --git, and
# valgrind over one diff.
set -u
cd "$(dirname "$0")/.." || exit 2
MESHC=${MESHC:-$(pwd)/meshc}
D=testdata/diff
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL diff: $1"; }
# check NAME WANT-RC CMD...: runs meshc CMD, output in $tmp/out
check() {
	name=$1; want=$2; shift 2
	"$MESHC" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = "$want" ]; then ok; else bad "$name: exit $rc, want $want"; sed 's/^/    /' "$tmp/err" | head -5; fi
}
routes() { grep '"listener"' "$1"; }

"$MESHC" compile -o "$tmp/old.mrt" $D/changed/old.yaml 2>/dev/null &&
"$MESHC" compile -o "$tmp/new.mrt" $D/changed/new.yaml 2>/dev/null
if [ -s "$tmp/old.mrt" ] && [ -s "$tmp/new.mrt" ]; then
	check config-config 1 diff -o json $D/changed/old.yaml $D/changed/new.yaml
	routes "$tmp/out" >"$tmp/want"
	[ -s "$tmp/want" ] && ok || bad "config-config: no route entries"

	check table-table 1 diff -o json "$tmp/old.mrt" "$tmp/new.mrt"
	grep -q '"resources": \[\],' "$tmp/out" && ok || bad "table-table: resources not []"
	routes "$tmp/out" | cmp -s - "$tmp/want" && ok || bad "table-table: routes differ from config-config"

	check table-config 1 diff -o json "$tmp/old.mrt" $D/changed/new.yaml
	routes "$tmp/out" | cmp -s - "$tmp/want" && ok || bad "table-config: routes differ from config-config"
	check config-table 1 diff -o json $D/changed/old.yaml "$tmp/new.mrt"
	routes "$tmp/out" | cmp -s - "$tmp/want" && ok || bad "config-table: routes differ from config-config"

	"$MESHC" compile -o "$tmp/same.mrt" $D/identical/old.yaml 2>/dev/null
	check table-same-config 0 diff -o json "$tmp/same.mrt" $D/identical/new.yaml
	[ "$(cat "$tmp/out")" = '{"resources":[],"routes":[]}' ] && ok || bad "table-same-config: output not empty"
	check table-itself 0 diff -q "$tmp/new.mrt" "$tmp/new.mrt"
	[ -s "$tmp/out" ] && bad "table-itself: -q printed something" || ok

	head -c 200 "$tmp/new.mrt" >"$tmp/cut.mrt"
	check damaged-table 2 diff "$tmp/old.mrt" "$tmp/cut.mrt"
	[ -s "$tmp/err" ] && ok || bad "damaged-table: no message"
else
	bad "meshc compile failed on $D/changed (tables not tested)"
fi

# A list of 2000 routes and a map of 200 labels: the last route moved to
# the front, the labels reversed. One moved entry, nothing else.
awk 'BEGIN {
	for (side = 0; side < 2; side++) {
		f = side ? "'"$tmp"'/bignew.yaml" : "'"$tmp"'/bigold.yaml"
		print "apiVersion: networking.istio.io/v1\nkind: VirtualService" > f
		print "metadata:\n  name: big\n  namespace: shop\n  labels:" > f
		for (i = 0; i < 200; i++) {
			k = side ? 199 - i : i
			printf "    l%03d: v%d\n", k, k > f
		}
		print "spec:\n  hosts:\n  - big\n  http:" > f
		for (i = 0; i < 2000; i++) {
			k = side ? (i == 0 ? 1999 : i - 1) : i
			printf "  - match:\n    - uri:\n        prefix: /p%d\n", k > f
			printf "    route:\n    - destination:\n        host: big\n" > f
		}
	}
}'
check big-lists 1 diff -o json "$tmp/bigold.yaml" "$tmp/bignew.yaml"
n=$(grep -c '"path"' "$tmp/out")
grep -q '{"path":"spec.http\[0\]","movedFrom":"spec.http\[1999\]"}' "$tmp/out" && [ "$n" = 1 ] && ok ||
	bad "big-lists: want one move of spec.http[1999] to [0], got $n entries"
check big-same 0 diff "$tmp/bigold.yaml" "$tmp/bigold.yaml"

# git calling meshc as its external diff driver.
if command -v git >/dev/null 2>&1; then
	g="$tmp/repo"
	mkdir -p "$g" && cp $D/changed/old.yaml "$g/mesh.yaml"
	(cd "$g" && git init -q . && git add mesh.yaml &&
	 git -c user.name=t -c user.email=t@t commit -qm old) >/dev/null 2>&1
	cp $D/changed/new.yaml "$g/mesh.yaml"
	cp $D/identical/old.yaml "$g/added.yaml"
	(cd "$g" && git add -N added.yaml &&
	 GIT_EXTERNAL_DIFF="$MESHC diff --git" git --no-pager diff --ext-diff) >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc = 0 ] && grep -q '^meshc diff a/mesh.yaml b/mesh.yaml$' "$tmp/out" &&
	   grep -q '^changed VirtualService shop/shop-edge$' "$tmp/out" &&
	   grep -q '^meshc diff a/added.yaml b/added.yaml$' "$tmp/out" &&
	   grep -q '^added Gateway shop/shop-gw$' "$tmp/out"; then
		ok
	else
		bad "git external diff (exit $rc)"; sed 's/^/    /' "$tmp/out" "$tmp/err" | head -10
	fi
else
	echo "diff: git not installed, git driver test skipped"
fi

# No invalid access and no leak on a diff with every kind of entry.
case "$MESHC" in *build-san*) vg=0 ;; *) command -v valgrind >/dev/null 2>&1 && vg=1 || vg=0 ;; esac
if [ $vg = 1 ]; then
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=3 "$MESHC" diff -j 1 -o markdown $D/moved/old.yaml $D/moved/new.yaml \
		>/dev/null 2>"$tmp/vg"
	[ $? = 3 ] && { bad "valgrind"; head -20 "$tmp/vg"; } || ok
fi
echo "$pass passed, $fail failed"
[ $fail = 0 ]
