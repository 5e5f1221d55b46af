#!/bin/sh
# Installs what meshc needs to build on Debian/Ubuntu, skipping what is
# already there; with --test also what the whole test suite uses (python3
# for the output-format checks, valgrind for the leak test, mandoc for the
# man-page lint), so no test is skipped. Uses sudo only when not root.
# libcyaml-dev does not pull in libyaml-dev, so both are listed.
set -eu
PKGS="make gcc pkg-config libyaml-dev libcyaml-dev libjansson-dev libpcre2-dev"
[ "${1:-}" = "--test" ] && PKGS="$PKGS python3 valgrind mandoc"
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
