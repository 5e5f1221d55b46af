#!/bin/sh
# The command line as a user meets it, checked against man/meshc.1 and the
# shells:
#   - every command of `meshc help` has `meshc help CMD` = `meshc CMD
#     --help`, and its options (from --help, so from the option tables in
#     cli/commands.c) are exactly the options its man page subsection
#     documents as .It entries (plus those of the subsections it names
#     with .Sx), with the same short letters: an option added to a table
#     and not documented, or documented and gone, fails here;
#   - unknown commands, options and values: exit 2, a "did you mean", and
#     every line on stderr starts with "meshc:";
#   - the bash, zsh and fish completions (`meshc completion SHELL`, from
#     the same tables) load and complete commands, options and values:
#     bash by calling the function, zsh in a pseudo-terminal (zpty), fish
#     with `complete -C`; each shell that is not installed is skipped.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
MESHC=${MESHC:-$root/meshc}
page=$root/man/meshc.1
pass=0; fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

"$MESHC" help >"$tmp/help" 2>&1 || bad "meshc help exits non-zero"
cmds=$(awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }' "$tmp/help")
[ -n "$cmds" ] && ok || bad "meshc help lists no commands"

# The .It option lines of man page subsection "$1", with the subsections it
# refers to by .Sx; prints "short long" per option ("- long" without one).
man_options() {
	awk -v want="$1" '
		function flush() { }
		/^\.S[hs] / {
			name = $0; sub(/^\.S[hs] /, "", name)
			cur = name
			next
		}
		cur != "" && /^\.Sx / { s = $0; sub(/^\.Sx /, "", s); sub(/ [.,;:]$/, "", s); refs[cur] = refs[cur] "|" s }
		cur != "" && /^\.It Fl/ { items[cur] = items[cur] "\n" $0 }
		END {
			n = split(want "|" substr(refs[want], 2), secs, "|")
			for (i = 1; i <= n; i++) if (secs[i] != "") printf "%s", items[secs[i]]
			print ""
		}
	' "$page" | while read -r line; do
		[ -n "$line" ] || continue
		long=$(echo "$line" | sed -n 's/.*Fl -\([a-z0-9][a-z0-9-]*\).*/\1/p')
		[ -n "$long" ] || continue
		short=$(echo "$line" | sed -n 's/^\.It Fl \([A-Za-z]\) .*/\1/p')
		echo "${short:--} $long"
	done | sort -u
}

# The options of `meshc CMD --help`: "short long" per line.
help_options() {
	sed -n 's/^  -\([A-Za-z]\), --\([a-z0-9][a-z0-9-]*\).*/\1 \2/p; s/^      --\([a-z0-9][a-z0-9-]*\).*/- \1/p' "$1" |
		grep -v ' help$' | sort -u
}

for cmd in $cmds; do
	"$MESHC" help "$cmd" >"$tmp/h1" 2>&1; rc1=$?
	"$MESHC" "$cmd" --help >"$tmp/h2" 2>&1; rc2=$?
	if [ $rc1 = 0 ] && [ $rc2 = 0 ] && cmp -s "$tmp/h1" "$tmp/h2" &&
	   head -1 "$tmp/h1" | grep -q "^usage: meshc $cmd"; then ok; else
		bad "meshc help $cmd ($rc1) and meshc $cmd --help ($rc2) differ or fail"; fi
	if grep -q "^\.Ss meshc $cmd\$" "$page"; then ok; else
		bad "man/meshc.1 has no subsection .Ss meshc $cmd"; continue; fi
	help_options "$tmp/h1" >"$tmp/want"
	man_options "meshc $cmd" >"$tmp/have"
	if diff "$tmp/want" "$tmp/have" >"$tmp/diff"; then ok; else
		bad "meshc $cmd: --help and man/meshc.1 disagree (< only in --help, > only in the page):"
		sed 's/^/    /' "$tmp/diff" | grep '^    [<>]'
	fi
done

# Error lines: exit 2, every stderr line "meshc: ...", with a suggestion.
expect_error() {   # expect_error PATTERN ARGS...
	pat=$1; shift
	"$MESHC" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null; rc=$?
	if [ $rc = 2 ] && grep -q -- "$pat" "$tmp/err" && ! grep -qv '^meshc: ' "$tmp/err" &&
	   [ ! -s "$tmp/out" ]; then ok; else
		bad "meshc $*: want exit 2, \"$pat\" and only meshc: lines on stderr; got $rc:"
		sed 's/^/    /' "$tmp/err" | head -5
	fi
}
expect_error 'unknown command "chek", did you mean "check"?' chek x.yaml
expect_error 'unknown command "nosuch"' help nosuch
expect_error 'did you mean "explain"' help explian
expect_error 'unknown option --outptu, did you mean --output?' check --outptu json x.yaml
expect_error 'unknown option --faliure-threshold, did you mean --failure-threshold?' check --faliure-threshold=warning x
expect_error 'unknown value "jsn" for --output, did you mean "json"?' check -o jsn x.yaml
expect_error 'unknown value "sometimes" for --color' check --color sometimes x.yaml
expect_error 'unknown value "jsno" for --output, did you mean "json"?' query t.mrt -o jsno
expect_error 'ambiguous option --max' check --max 3 x.yaml
expect_error 'option -o/--output needs a value' check x.yaml -o
expect_error 'option --quiet takes no value' check --quiet=1 x.yaml
expect_error 'unknown option -x' compile -x -o out x.yaml
expect_error 'check needs at least one PATH' check
expect_error 'explain needs one CODE' explain
expect_error 'unknown shell "tcsh"' completion tcsh
expect_error 'unknown option --gatway, did you mean --gateway?' query t.mrt --gatway mesh
expect_error 'option --host needs a value (HOST)$' query t.mrt --host
printf 'output: json\nsupress: ["*=*"]\n' >"$tmp/typo.meshc.yaml"
expect_error 'typo.meshc.yaml:2:1: invalid config: unknown key "supress", did you mean "suppress"?' \
	check --config "$tmp/typo.meshc.yaml" x.yaml
# An input that cannot be read: exit 2, and the summary says the counts
# are partial rather than "no problems".
"$MESHC" check "$tmp/nonexistent.yaml" >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ $rc = 2 ] && grep -q '^meshc: cannot read ".*nonexistent.yaml"' "$tmp/err" &&
   grep -q '^no problems in 0 resources, 0 files; not every input was read$' "$tmp/err"; then ok; else
	bad "check of a missing file: exit $rc"; sed 's/^/    /' "$tmp/err"; fi
# Values are case-insensitive, as the levels always were.
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{name: http, port: 80}]}\n' >"$tmp/svc.yaml"
if "$MESHC" check -o JSON --failure-threshold Warning "$tmp/svc.yaml" >"$tmp/out" 2>/dev/null &&
   [ "$(cat "$tmp/out")" = "[]" ]; then ok; else bad "-o JSON --failure-threshold Warning"; fi

# ---- completions ----
for sh in bash zsh fish; do
	if "$MESHC" completion $sh >"$tmp/completion.$sh" && [ -s "$tmp/completion.$sh" ]; then ok; else
		bad "meshc completion $sh"; fi
done
# The scripts list every option of every command (they come from one table).
for cmd in $cmds; do
	"$MESHC" help "$cmd" >"$tmp/h" 2>&1
	for long in $(help_options "$tmp/h" | awk '{ print $2 }'); do
		for sh in bash zsh fish; do
			case $sh in
			fish) pat="-l $long " ;;
			*) pat="--$long" ;;
			esac
			grep -q -- "$pat" "$tmp/completion.$sh" || bad "$sh completion lacks $cmd --$long"
		done
	done
done
ok

mkdir -p "$tmp/bin"
ln -s "$MESHC" "$tmp/bin/meshc"
if command -v bash >/dev/null 2>&1; then
	cat >"$tmp/bashtest" <<'EOF'
source "$1"
t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _meshc; echo "${COMPREPLY[*]}"; }
t meshc ch
t meshc check --outp
t meshc check -o s
t meshc check --color n
t meshc help ex
t meshc explain IST010 | tr ' ' '\n' | sort | tr '\n' ' '; echo
t meshc query x --source-n
t meshc completion z
EOF
	PATH="$tmp/bin:$PATH" bash "$tmp/bashtest" "$tmp/completion.bash" >"$tmp/bash.out" 2>&1
	printf '%s\n' check '--output --output-threshold' sarif never explain \
		'IST0101 IST0106 IST0109 ' --source-namespace zsh >"$tmp/bash.want"
	if diff "$tmp/bash.want" "$tmp/bash.out" >"$tmp/diff"; then ok; else
		bad "bash completion:"; sed 's/^/    /' "$tmp/diff"; fi
else
	echo "skipped: bash completion (bash not installed)"
fi

if command -v zsh >/dev/null 2>&1; then
	mkdir -p "$tmp/zfunc"
	cp "$tmp/completion.zsh" "$tmp/zfunc/_meshc"
	# An interactive zsh in a pseudo-terminal: type the words and TAB,
	# then Enter runs a meshc function that prints the completed line.
	cat >"$tmp/ztest" <<'EOF'
zmodload zsh/zpty || exit 3
zpty z 'zsh -f -i'
zpty -w z "PS1='> '; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D; meshc() { local p=RES; print -r -- \"\${p}ULT[meshc \$*]\" }"
zpty -w -n z "$2"$'\t\n'
out=
for i in {1..100}; do
	zpty -r -t z line && out+=$line || sleep 0.1
	[[ $out == *RESULT\[*\]* ]] && break
done
r=${out##*RESULT\[}
print -r -- "${r%%\]*}"
zpty -d z
EOF
	while IFS='|' read -r typed want; do
		got=$(timeout 20 zsh -f "$tmp/ztest" "$tmp/zfunc" "$typed" 2>&1)
		if [ "$got" = "$want" ]; then ok; else bad "zsh completion of \"$typed\": got \"$got\", want \"$want\""; fi
	done <<'EOF'
meshc ch|meshc check
meshc check --colo|meshc check --color
meshc check --color al|meshc check --color always
meshc check -o sa|meshc check -o sarif
meshc help expl|meshc help explain
meshc query t.mrt --source-n|meshc query t.mrt --source-namespace
EOF
else
	echo "skipped: zsh completion (zsh not installed)"
fi

if command -v fish >/dev/null 2>&1; then
	got=$(PATH="$tmp/bin:$PATH" fish -c "source $tmp/completion.fish
		complete -C 'meshc ch'; complete -C 'meshc check --colo'; complete -C 'meshc check --color al'
		complete -C 'meshc explain IST010' | sort" 2>&1 | cut -f1 | tr '\n' ' ')
	want='check --color always IST0101 IST0106 IST0109 '
	if [ "$got" = "$want" ]; then ok; else bad "fish completion: got \"$got\", want \"$want\""; fi
else
	echo "skipped: fish completion (fish not installed)"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
