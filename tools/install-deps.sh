#!/bin/sh
# Installs what meshc needs to build on Debian/Ubuntu, skipping what is
# already there. Uses sudo only when not root.
#   sh tools/install-deps.sh          building meshc and libmeshrt
#   sh tools/install-deps.sh --test   also what the whole test suite uses, so
#                                     no test is skipped: python3 (output-format
#                                     checks), valgrind (leak test), mandoc (man
#                                     page lint), python3-jsonschema and
#                                     libxml2-utils (SARIF and JUnit schema
#                                     validation), zsh, fish and bash-completion
#                                     (completion tests), man-db, git and pre-commit (the
#                                     README's examples), clang (the fuzz smoke run
#                                     of make check-all: libFuzzer and its sanitizers)
#   sh tools/install-deps.sh --deb    also what `make deb` uses (debhelper,
#                                     lintian, ...)
# libcyaml-dev does not pull in libyaml-dev, so both are listed.
set -eu
PKGS="make gcc pkg-config libyaml-dev libcyaml-dev libjansson-dev libpcre2-dev"
case "${1:-}" in
--test) PKGS="$PKGS python3 valgrind mandoc python3-jsonschema libxml2-utils python3-yaml zsh fish bash-completion man-db git pre-commit clang" ;;
--deb) PKGS="$PKGS dpkg-dev debhelper fakeroot lintian" ;;
"") ;;
*) echo "usage: sh tools/install-deps.sh [--test | --deb]" >&2; exit 2 ;;
esac
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq $missing >/dev/null
