#!/bin/sh
# meshc diff builds and compares only the routes of the hosts whose inputs
# changed (compiler/diff_scope.c), and NEW takes OLD's resources where
# their inputs share chunks byte for byte (compiler/project.c
# share_plan). This checks that it gives exactly the plain diff's result
# (MESHC_DIFF_SCOPE=full: NEW parsed on its own, every host compared), on
# the diff test cases, on every route test input against randomly edited
# copies of itself, and on generated meshes with random edits; and that
# the scoped path is taken where it should be.
set -u
cd "$(dirname "$0")/.." || exit 2
MESHC=${MESHC:-$(pwd)/meshc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0; scoped=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL diff scope: $1"; }

# same NAME OLD NEW: the scoped and the full diff agree (output and exit).
same() {
	MESHC_DIFF_SCOPE=full "$MESHC" diff -o json "$2" "$3" >"$tmp/full" 2>"$tmp/full.err"
	frc=$?
	MESHC_DIFF_SCOPE=show "$MESHC" diff -o json "$2" "$3" >"$tmp/part" 2>"$tmp/part.err"
	prc=$?
	grep -q '^meshc: diff scope: [0-9]* hosts$' "$tmp/part.err" && scoped=$((scoped+1))
	if [ "$frc" = "$prc" ] && cmp -s "$tmp/full" "$tmp/part"; then
		ok
	else
		bad "$1: exit $prc, full $frc"
		diff "$tmp/full" "$tmp/part" | head -10 | sed 's/^/    /'
	fi
}

# edit SEED P < IN > OUT: a copy with random edits, about one line in 1/P
# edited: numbers changed, names and hosts given a suffix, service
# numbers swapped (gen_mesh names: router-000012), a resource renamed
# (removed and added). The YAML stays well-formed.
edit() {
	awk -v seed="$1" -v p="$2" 'BEGIN { srand(seed) }
	/^ *(apiVersion|kind):/ || /^---/ || rand() >= p { print; next }
	{
		r = rand()
		if (match($0, /-[0-9][0-9][0-9][0-9][0-9][0-9]$/) && r < 0.5) {
			printf "%s-%06d\n", substr($0, 1, RSTART - 1), int(rand() * 40)
		} else if (match($0, /: [0-9]+(s|ms)?$/)) {
			v = substr($0, RSTART + 2)
			u = v; sub(/^[0-9]+/, "", u)
			printf "%s: %d%s\n", substr($0, 1, RSTART - 1), int(rand() * 3) == 0 ? 80 : int(rand() * 100) + 1, u
		} else if (match($0, /(: |- )"?[A-Za-z0-9*][A-Za-z0-9_.\/*-]*"?$/)) {
			v = substr($0, RSTART + 2)
			q = v ~ /^"/ ? "\"" : ""
			gsub(/"/, "", v)
			printf "%s%s%s%s\n", substr($0, 1, RSTART + 1), q, (r < 0.8 ? v "x" : toupper(v)), q
		} else print
	}'
}

# The diff test cases with two config sides.
for d in testdata/diff/*/; do
	[ -e "${d}old.yaml" ] && [ -e "${d}new.yaml" ] && same "$d" "${d}old.yaml" "${d}new.yaml"
	[ -d "${d}old" ] && [ -d "${d}new" ] && same "$d" "${d}old" "${d}new"
done
n0=$scoped
[ "$n0" -gt 0 ] && ok || bad "no diff test case took the scoped path"

# Each route test config (and example) against three edited copies, and
# back from the first.
i=0
for f in $(find testdata/route testdata/routefid testdata/routeqa examples \
		-name '*.yaml' -size +200c | sort); do
	for k in 1 2 3; do
		for try in 1 2 3 4 5; do   # until something changed
			i=$((i+1))
			edit "$i" 0.1 <"$f" >"$tmp/e.yaml"
			cmp -s "$f" "$tmp/e.yaml" || break
		done
		same "$f (edit $i)" "$f" "$tmp/e.yaml"
		[ $k = 1 ] && same "$f (edit $i, back)" "$tmp/e.yaml" "$f"
	done
done
n1=$scoped
[ $((n1 - n0)) -ge 20 ] && ok || bad "route configs: scoped path taken $((n1 - n0)) times"

# Generated meshes (bench/gen_mesh: Services, DestinationRules,
# VirtualServices with gateways, a Gateway per namespace), edited.
if command -v python3 >/dev/null 2>&1; then
	python3 bench/gen_mesh -n 40 --per-ns 20 -o "$tmp/gen" 2>/dev/null
	for seed in 1 2 3 4 5 6 7 8 9 10 11 12; do
		rm -rf "$tmp/ged"
		mkdir -p "$tmp/ged"
		for f in "$tmp/gen"/*.yaml; do
			edit "$seed$(basename "$f" .yaml | wc -c)" 0.004 <"$f" >"$tmp/ged/$(basename "$f")"
		done
		same "generated mesh, edit $seed" "$tmp/gen" "$tmp/ged"
	done
	python3 bench/gen_mesh -n 40 --per-ns 20 --drift 3 -o "$tmp/drift" 2>/dev/null
	same "generated mesh, drift" "$tmp/gen" "$tmp/drift"
	# One input edited, the others equal to OLD's: NEW takes those
	# whole (project.c share_same) and reads the edited one's chunks.
	rm -rf "$tmp/one" && cp -r "$tmp/gen" "$tmp/one"
	f=$(ls "$tmp/one"/*.yaml | head -1)
	edit 7 0.02 <"$tmp/gen/$(basename "$f")" >"$f"
	same "generated mesh, one input edited" "$tmp/gen" "$tmp/one"
	[ $((scoped - n1)) -ge 6 ] && ok || bad "generated meshes: scoped path taken $((scoped - n1)) times of 13"
else
	echo "diff scope: python3 not installed, generated meshes skipped"
fi
echo "diff scope: $scoped comparisons scoped"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
