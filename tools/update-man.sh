#!/bin/sh
# Regenerates the DIAGNOSTICS section of man/meshc.1 from the diagnostics
# table (`meshc explain --man`), replacing everything from ".Sh DIAGNOSTICS"
# up to the next ".Sh". Run after adding or changing a code; tests/t_man.sh
# fails while the page is out of date.
#   sh tools/update-man.sh [MESHC]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
meshc=${1:-$root/meshc}
page=$root/man/meshc.1
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.sec"' EXIT
"$meshc" explain --man >"$tmp.sec"
awk -v sec="$tmp.sec" '
	/^\.Sh DIAGNOSTICS/ { while ((getline l < sec) > 0) print l; skip = 1; next }
	/^\.Sh / { skip = 0 }
	!skip { print }
' "$page" >"$tmp"
cat "$tmp" >"$page"
echo "man/meshc.1: DIAGNOSTICS regenerated ($(grep -c '^\.It Sy ' "$tmp.sec") codes)"
