#!/bin/sh
# man/meshc.1: its DIAGNOSTICS section is what `meshc explain --man`
# generates from the diagnostics table (so it lists every code; fix with
# sh tools/update-man.sh), it documents every subcommand of cli.md;
# man/meshrt.3 documents every function of runtime/meshrt.h (below); all
# pages pass `mandoc -T lint` where mandoc is installed, and groff as
# lintian runs it where man-db is.
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
# Each entry reads its layer once: the table's category, or the
# explanation's own more precise "Layer:" sentence in its place.
dup=$(awk '/^\.It Sy / { code = $3; n[code] = 0 } /^Layer:/ && code { if (++n[code] == 2) print code }
	/^\.El/ { code = "" }' "$tmp/have" | tr '\n' ' ')
none=$(awk '/^\.It Sy / { if (code && !seen) print code; code = $3; seen = 0 } /^Layer:/ { seen = 1 }
	END { if (code && !seen) print code }' "$tmp/have" | tr '\n' ' ')
if [ -z "$dup$none" ]; then pass=$((pass+1)); else
	fail=$((fail+1)); echo "FAIL: DIAGNOSTICS entries with more than one Layer line: ${dup:-none}; with none: ${none:-none}"; fi
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
# meshrt(3) against meshrt.h and the library: every function the header
# names (each "mrt_xxx(" in it, comments included) is defined in the
# library, the page's NAME section lists exactly those, and each has a
# prototype (.Fn with its arguments) in SYNOPSIS and is described
# (.Fn in DESCRIPTION); make install links each NAME to the page.
page3=$root/man/meshrt.3
lib=$(dirname "$MESHC")/libmeshrt.a
grep -o 'mrt_[a-z0-9_]*(' "$root/runtime/meshrt.h" | tr -d '(' | sort -u >"$tmp/hdr"
if [ -f "$lib" ]; then
	nm -g --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sort -u >"$tmp/lib"
	missing=$(comm -23 "$tmp/hdr" "$tmp/lib" | tr '\n' ' ')
	if [ -z "$missing" ]; then pass=$((pass+1)); else
		fail=$((fail+1)); echo "FAIL: meshrt.h names functions libmeshrt does not define: $missing"; fi
else
	fail=$((fail+1)); echo "FAIL: no $lib to check meshrt.h against"
fi
sed -n 's/^\.Nm \(mrt_[a-z0-9_]*\).*/\1/p' "$page3" | sort >"$tmp/names"
if diff "$tmp/hdr" "$tmp/names" >"$tmp/diff"; then pass=$((pass+1)); else
	fail=$((fail+1)); echo "FAIL: meshrt(3) NAME and meshrt.h differ (< only in the header, > only in the page):"
	grep '^[<>]' "$tmp/diff"; fi
undocumented=""
for f in $(cat "$tmp/hdr"); do
	awk -v f="$f" '
		/^\.Sh SYNOPSIS/ { sec = "s" } /^\.Sh DESCRIPTION/ { sec = "d" } /^\.Sh RETURN/ { sec = "" }
		sec == "s" && $1 == ".Fn" && $2 == f && NF > 2 { proto = 1 }
		sec == "d" && $1 == ".Fn" && $2 == f { described = 1 }
		END { exit !(proto && described) }
	' "$page3" || undocumented="$undocumented $f"
done
if [ -z "$undocumented" ]; then pass=$((pass+1)); else
	fail=$((fail+1)); echo "FAIL: meshrt(3) lacks a SYNOPSIS prototype or a description of:$undocumented"; fi
# meshrt(3) Structures shows every structure of meshrt.h as declared
# there (each "typedef struct {" block, blank lines aside).
structs() { awk '/^typedef struct \{.*\} mrt_[a-z_]*;$/ { print; next }
	/^typedef struct \{$/ { on = 1 } on && NF { sub(/^\\&/, ""); print } /^\} mrt_[a-z_]*;$/ { on = 0 }' "$1"; }
structs "$root/runtime/meshrt.h" >"$tmp/hs"
sed -n '/^\.Ss Structures/,/^\.Ed/p' "$page3" | structs /dev/stdin >"$tmp/ms"
if [ -s "$tmp/hs" ] && diff -u "$tmp/hs" "$tmp/ms" >"$tmp/diff"; then pass=$((pass+1)); else
	fail=$((fail+1)); echo "FAIL: meshrt(3) Structures differs from meshrt.h:"; head -20 "$tmp/diff"; fi
if command -v mandoc >/dev/null 2>&1; then
	for p in "$page" "$page3" "$root/man/meshrt.5"; do
		if mandoc -T lint -W warning "$p" >"$tmp/lint" 2>&1; then pass=$((pass+1)); else
			fail=$((fail+1)); echo "FAIL: mandoc -T lint $(basename "$p"):"; head -20 "$tmp/lint"; fi
	done
else
	echo "skipped: mandoc not installed"
fi
# groff, as lintian runs it on the packaged pages (its groff-message
# check): no warning, e.g. a "\z" that groff reads as an escape.
if command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1; then
	for p in "$page" "$page3" "$root/man/meshrt.5"; do
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$p" \
			2>"$tmp/groff" >/dev/null
		if [ ! -s "$tmp/groff" ]; then pass=$((pass+1)); else
			fail=$((fail+1)); echo "FAIL: groff warnings in $(basename "$p"):"; head -5 "$tmp/groff"; fi
	done
else
	echo "skipped: man or groff not installed"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
