#!/bin/sh
# `make install` into a staging directory (DESTDIR), used as a newcomer
# would use it:
#   - the staged tree holds exactly the documented files (binary, shared
#     library with its soname and dev links, archive, header, meshrt.pc,
#     man pages with a link per function meshrt(3) documents, bash, zsh
#     and fish completions), and the library's soname is libmeshrt.so.0;
#   - pkg-config alone (PKG_CONFIG_SYSROOT_DIR pointing at the stage)
#     builds examples/route-reload: `--libs` links the shared library,
#     `--static --libs` a fully static program;
#   - the example routes requests read from stdin and picks up a new table
#     when the installed meshc compiles one over the old (both builds);
#   - `man mrt_route_destination` finds the page (where man is installed);
#   - the installed completions load: bash through bash-completion's
#     loader, zsh through compinit (each skipped where not installed);
#   - `make uninstall` removes exactly what install put there.
# The optimised build is what make install installs, so under SANITIZE
# this prints "skipped" and 0 passed, 0 failed.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
MESHC=${MESHC:-$root/meshc}
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
if [ "$MESHC" != "$root/meshc" ]; then
	echo "skipped: the install test runs with the optimised build"
	echo "0 passed, 0 failed"
	exit 0
fi
for tool in pkg-config cc readelf; do
	command -v $tool >/dev/null 2>&1 || { bad "$tool is not installed"; echo "$pass passed, $fail failed"; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stage=$tmp/stage
prefix=/usr/local
# A make run from inside `make check` would inherit its command-line
# variables through MAKEFLAGS.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$root" "$@"; }

mkdir -p "$stage$prefix/share/man/man1"
echo keep >"$stage$prefix/share/man/man1/other.1"   # not ours: uninstall keeps it
if mk install DESTDIR="$stage" PREFIX=$prefix >"$tmp/install.log" 2>&1; then ok; else
	bad "make install:"; tail -5 "$tmp/install.log"; fi

# ---- the staged tree ----
names=$(sed -n 's/^\.Nm \(mrt_[a-z0-9_]*\).*/\1/p' "$root/man/meshrt.3")
{
	printf '%s\n' bin/meshc include/meshrt.h lib/libmeshrt.a lib/libmeshrt.so \
		lib/libmeshrt.so.0 lib/libmeshrt.so.0.1.0 lib/pkgconfig/meshrt.pc \
		share/man/man1/meshc.1 share/man/man1/other.1 share/man/man3/meshrt.3 \
		share/man/man5/meshrt.5 share/bash-completion/completions/meshc \
		share/zsh/site-functions/_meshc share/fish/vendor_completions.d/meshc.fish
	for n in $names; do echo "share/man/man3/$n.3"; done
} | sort >"$tmp/want"
(cd "$stage$prefix" && find . ! -type d | sed 's|^\./||' | sort) >"$tmp/have"
if diff "$tmp/want" "$tmp/have" >"$tmp/diff"; then ok; else
	bad "staged files (< missing, > unexpected):"; sed 's/^/    /' "$tmp/diff" | grep '^    [<>]'; fi
lib=$stage$prefix/lib
if [ "$(readlink "$lib/libmeshrt.so")" = libmeshrt.so.0 ] &&
   [ "$(readlink "$lib/libmeshrt.so.0")" = libmeshrt.so.0.1.0 ] &&
   readelf -d "$lib/libmeshrt.so.0.1.0" | grep -q 'SONAME.*\[libmeshrt.so.0\]'; then ok; else
	bad "libmeshrt.so links and soname"; fi
# The shared library needs libc and PCRE2 only.
needed=$(readelf -d "$lib/libmeshrt.so.0.1.0" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
case $needed in
"libc.so.6 libpcre2-8.so.0 ") ok ;;
*) bad "libmeshrt.so.0 needs: $needed" ;;
esac
[ "$(readlink "$stage$prefix/share/man/man3/mrt_route_destination.3")" = meshrt.3 ] && ok ||
	bad "man3/mrt_route_destination.3 is not a link to meshrt.3"
if [ "$("$stage$prefix/bin/meshc" --version)" = "meshc 0.1.0" ]; then ok; else bad "installed meshc --version"; fi

# ---- pkg-config alone ----
export PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage"
flags=$(pkg-config --cflags --libs meshrt)
case " $flags " in
*" -I$stage$prefix/include "*) ok ;;
*) bad "pkg-config --cflags meshrt: $flags" ;;
esac
case " $flags " in
*" -L$lib -lmeshrt "*) ok ;;
*) bad "pkg-config --libs meshrt: $flags" ;;
esac
sflags=$(pkg-config --static --libs meshrt)
case " $sflags " in
*" -lmeshrt "*"-lpcre2-8 "*) ok ;;
*) bad "pkg-config --static --libs meshrt lacks PCRE2: $sflags" ;;
esac
src=$root/examples/route-reload/route-reload.c
# shellcheck disable=SC2086
if cc -o "$tmp/rr" "$src" $(pkg-config --cflags --libs meshrt) 2>"$tmp/cc.log" &&
   readelf -d "$tmp/rr" | grep -q 'NEEDED.*\[libmeshrt.so.0\]'; then ok; else
	bad "building the example with pkg-config --libs (shared):"; head -5 "$tmp/cc.log"; fi
# shellcheck disable=SC2086
if cc -static -o "$tmp/rr-static" "$src" $(pkg-config --static --cflags --libs meshrt) \
	2>"$tmp/cc.log" && ! readelf -d "$tmp/rr-static" 2>/dev/null | grep -q NEEDED; then ok; else
	bad "building the example with pkg-config --static --libs (static):"; head -5 "$tmp/cc.log"; fi
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

# ---- the example: route, then pick up a new table ----
wait_lines() {   # wait_lines FILE N: until FILE has N lines (10 s at most)
	i=0
	while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
}
reload_test() {   # reload_test NAME PROGRAM
	dir=$tmp/$1
	mkdir -p "$dir"
	installed=$stage$prefix/bin/meshc
	"$installed" compile -o "$dir/t.mrt" "$root/examples/route-reload/mesh-v1.yaml" 2>"$dir/compile.err" ||
		{ bad "$1: compile v1"; return; }
	mkfifo "$dir/in"
	LD_LIBRARY_PATH=$lib "$2" "$dir/t.mrt" <"$dir/in" >"$dir/out" 2>"$dir/err" &
	pid=$!
	exec 3>"$dir/in"
	echo "GET reviews.books:9080 / end-user=jason" >&3
	wait_lines "$dir/out" 1
	"$installed" compile -o "$dir/t.mrt" "$root/examples/route-reload/mesh-v2.yaml" 2>>"$dir/compile.err"
	echo "GET reviews.books:9080 / end-user=jason" >&3
	echo "GET reviews.books:9080 /" >&3
	echo "bad line" >&3
	exec 3>&-
	wait $pid; rc=$?
	s1=$(sed -n 's/^table 1 \([0-9a-f]*\): .*/\1/p' "$dir/out")
	s2=$(sed -n '2s/^table 2 \([0-9a-f]*\): .*/\1/p' "$dir/out")
	if [ $rc = 1 ] && [ "$(wc -l <"$dir/out")" = 3 ] &&
	   sed -n 1p "$dir/out" | grep -q 'GET reviews.books:9080 /: books/reviews\[0\] "everyone" -> outbound|9080|v1|reviews.books.svc.cluster.local (weight 100)$' &&
	   sed -n 2p "$dir/out" | grep -q '^table 2 .*: books/reviews\[0\] "jason" -> outbound|9080|v2|reviews.books.svc.cluster.local' &&
	   sed -n 3p "$dir/out" | grep -q '^table 2 .*: books/reviews\[1\] "everyone" -> outbound|9080|v1|' &&
	   [ -n "$s1" ] && [ -n "$s2" ] && [ "$s1" != "$s2" ] &&
	   grep -q '^route-reload: loaded table 2 (checksum' "$dir/err" &&
	   grep -q 'want METHOD HOST' "$dir/err"; then ok; else
		bad "$1: route-reload (exit $rc):"; sed 's/^/    /' "$dir/out" "$dir/err" "$dir/compile.err" | head -12
	fi
}
[ -x "$tmp/rr" ] && reload_test shared "$tmp/rr"
[ -x "$tmp/rr-static" ] && reload_test static "$tmp/rr-static"

# ---- man ----
if command -v man >/dev/null 2>&1; then
	# man-db resolves the link to the page itself.
	got=$(MANPATH="$stage$prefix/share/man" man -w mrt_route_destination 2>&1)
	case $got in
	"$stage$prefix/share/man/man3/mrt_route_destination.3" | "$stage$prefix/share/man/man3/meshrt.3") ok ;;
	*) bad "man -w mrt_route_destination: $got" ;;
	esac
	got=$(MANPATH="$stage$prefix/share/man" man -w meshc 2>&1)
	[ "$got" = "$stage$prefix/share/man/man1/meshc.1" ] && ok || bad "man -w meshc: $got"
else
	echo "skipped: man is not installed"
fi

# ---- completions, loaded from where they are installed ----
# bash: bash-completion's loader finds share/bash-completion/completions/
# meshc through XDG_DATA_DIRS (as /usr/local/share by default, or
# ~/.local/share for PREFIX=$HOME/.local), then completes a command.
bc=/usr/share/bash-completion/bash_completion
if command -v bash >/dev/null 2>&1 && [ -f "$bc" ]; then
	got=$(XDG_DATA_DIRS="$stage$prefix/share" BASH_COMPLETION_USER_DIR="$tmp/none" \
		PATH="$stage$prefix/bin:$PATH" bash -c '
		source "$1" || exit 3
		__load_completion meshc || { echo "not loaded"; exit 1; }
		complete -p meshc
		COMP_WORDS=(meshc check --outp); COMP_CWORD=2; COMPREPLY=(); _meshc
		echo "${COMPREPLY[*]}"' bash "$bc" 2>&1)
	want='complete -F _meshc meshc
--output --output-threshold'
	[ "$got" = "$want" ] && ok || bad "bash-completion loading the installed meshc completion: $got"
else
	echo "skipped: bash-completion is not installed"
fi
# zsh: compinit finds _meshc on an fpath holding share/zsh/site-functions.
if command -v zsh >/dev/null 2>&1; then
	got=$(HOME=$tmp zsh -f -c 'fpath=("$1" $fpath); autoload -Uz compinit
		compinit -u -D; print -r -- "$_comps[meshc]"' zsh \
		"$stage$prefix/share/zsh/site-functions" 2>&1)
	[ "$got" = _meshc ] && ok || bad "zsh compinit with the installed _meshc: $got"
else
	echo "skipped: zsh is not installed"
fi

# ---- uninstall ----
if mk uninstall DESTDIR="$stage" PREFIX=$prefix >"$tmp/uninstall.log" 2>&1; then ok; else
	bad "make uninstall:"; tail -5 "$tmp/uninstall.log"; fi
left=$(cd "$stage$prefix" && find . ! -type d | sed 's|^\./||')
if [ "$left" = "share/man/man1/other.1" ]; then ok; else bad "left after uninstall: $left"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
