#!/bin/sh
# Runs meshc under valgrind on the hostile-input golden cases and the
# example mesh: no invalid access, no leak. Skipped without valgrind and
# for the sanitised build (ASan and valgrind do not mix; LSan covers it).
set -u
cd "$(dirname "$0")/.." || exit 2
MESHC=${MESHC:-$(pwd)/meshc}
case "$MESHC" in *build-san*)
	echo "valgrind: skipped for the sanitised build"; echo "0 passed, 0 failed"; exit 0 ;;
esac
if ! command -v valgrind >/dev/null 2>&1; then
	echo "valgrind: not installed, skipped"; echo "0 passed, 0 failed"; exit 0
fi
pass=0; fail=0
for input in testdata/yaml/alias-bomb.yaml testdata/yaml/deep-flow.yaml \
	testdata/yaml/deep-block.yaml testdata/yaml/bad-utf8.yaml \
	testdata/yaml/nul-byte.yaml testdata/yaml/syntax-error.yaml \
	testdata/yaml/merge-key.yaml testdata/yaml/duplicate-key.yaml \
	examples/bookinfo; do
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=3 "$MESHC" check -j 1 "$input" >/dev/null 2>"${TMPDIR:-/tmp}/vg.$$"
	if [ $? -eq 3 ]; then
		fail=$((fail+1)); echo "FAIL valgrind $input"; head -20 "${TMPDIR:-/tmp}/vg.$$"
	else
		pass=$((pass+1))
	fi
done
rm -f "${TMPDIR:-/tmp}/vg.$$"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
