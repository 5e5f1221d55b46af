#!/bin/sh
# Conformance with Istio's own CRD validation test files
# (../shared/corpus/istio-testdata/crd-validation/): every document of a
# *-valid.yaml file must check clean, and every document of a
# *-invalid.yaml file must fail. An invalid document carries a top-level
# `_err: 'spec.field.path: reason'` (not part of the resource; removed
# before checking). When it names a field path, an error must be reported
# at that field: its path equals the named path, or, for "Required value",
# the path of the mapping lacking the field with a message naming it. When
# `_err` is only a message, an error message must contain it.
# Skips (0 passed, 0 failed) when ../shared is absent.
set -u
here=$(cd "$(dirname "$0")" && pwd)
shared="$here/../../shared"
corpus="$shared/corpus/istio-testdata/crd-validation"
MESHC=${MESHC:-$here/../meshc}
if [ ! -d "$corpus" ]; then
	echo "t_crd_conformance: skipped: $corpus not found"
	echo "0 passed, 0 failed"
	exit 0
fi
pass=0; fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# split FILE: writes $tmp/doc.N.yaml for each document holding apiVersion.
split() {
	rm -f "$tmp"/doc.*.yaml
	awk -v dir="$tmp" '
		function flush() { if (has) { n++; printf "%s", buf > (dir "/doc." n ".yaml"); close(dir "/doc." n ".yaml") } buf = ""; has = 0 }
		/^---/ { flush(); next }
		{ buf = buf $0 "\n"; if ($0 ~ /^apiVersion:/) has = 1 }
		END { flush() }
	' "$1"
}

# The JSON diagnostics of meshc on one file, one object per line.
diags() {
	"$MESHC" check -o json "$1" 2>/dev/null | tr '\n' ' ' |
		sed -e 's/^ *\[ *//' -e 's/ *\] *$//' -e 's/" *: */":/g' \
		    -e 's/, *"/,"/g' -e 's/{ *"/{"/g' -e 's/} *, *{/}\
{/g'
}

for f in "$corpus"/*-valid.yaml; do
	[ -f "$f" ] || continue
	split "$f"
	for d in "$tmp"/doc.*.yaml; do
		[ -f "$d" ] || continue
		name=$(sed -n 's/^  name: *//p' "$d" | head -1)
		if "$MESHC" check -o text "$d" >"$tmp/out" 2>&1; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL $(basename "$f") $name: expected clean, got:"
			sed "s|$tmp/||" "$tmp/out" | head -5
		fi
	done
done

for f in "$corpus"/*-invalid.yaml; do
	[ -f "$f" ] || continue
	split "$f"
	for d in "$tmp"/doc.*.yaml; do
		[ -f "$d" ] || continue
		want=$(sed -n "s/^_err: *//p" "$d" | sed -e "s/^'\\(.*\\)'\$/\\1/" -e 's/^"\(.*\)"$/\1/')
		grep -v '^_err:' "$d" >"$tmp/doc.yaml"
		name=$(sed -n 's/^  name: *//p' "$d" | head -1)
		diags "$tmp/doc.yaml" | grep '"level":"Error"' >"$tmp/errs"
		ok=0
		case "$want" in
		spec*:*|metadata*:*)
			path=${want%%: *}
			reason=${want#*: }
			parent=${path%.*}
			[ "$parent" = "$path" ] && parent=""
			last=${path##*.}
			if grep -F "\"path\":\"$path\"" "$tmp/errs" >/dev/null; then
				ok=1
			elif [ "$reason" = "Required value" ]; then
				if [ -z "$parent" ]; then
					grep -v '"path":"' "$tmp/errs" | grep -F "\\\"$last\\\"" >/dev/null && ok=1
				else
					grep -F "\"path\":\"$parent\"" "$tmp/errs" | grep -F "\\\"$last\\\"" >/dev/null && ok=1
				fi
			fi
			;;
		*)
			grep -i -F "$want" "$tmp/errs" >/dev/null && ok=1
			;;
		esac
		if [ $ok = 1 ]; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "FAIL $(basename "$f") $name: want an error for '$want', got:"
			head -5 "$tmp/errs"
		fi
	done
done
echo "t_crd_conformance: $pass passed, $fail failed"
