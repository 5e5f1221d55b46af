#!/bin/sh
# The CI output formats against their formats' rules, exit codes against
# the thresholds in every format, and the config file search:
#   - sarif: the required fields of the SARIF 2.1.0 JSON schema (sarifLog,
#     run, tool, toolComponent, reportingDescriptor, result, message,
#     physicalLocation, region), enums (level, columnKind), ruleId/ruleIndex
#     consistency and URI references, checked with python3's json module;
#   - junit: well-formed XML (python3 xml.etree), one testsuite whose
#     tests/failures counts match its testcases, required attributes;
#   - github: every line a workflow command of the runner's syntax, with
#     '%', CR, LF, ',' and ':' escaped where the runner requires it;
#   - exit status: identical in every format for each threshold;
#   - GITHUB_ACTIONS=true picks github without -o; .meshc.yaml found from a
#     subdirectory, ignored with --no-config.
# Prints "N passed, N failed". Needs python3 for the sarif/junit checks
# (skipped, not failed, without it).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
MESHC=${MESHC:-$root/meshc}
data=$root/testdata/output
pass=0; fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
have_python=0
command -v python3 >/dev/null 2>&1 && have_python=1

# Inputs: the golden suite's, plus files whose names need escaping.
mkdir -p "$tmp/in"
cp "$data/mixed.yaml" "$tmp/in/a,b:c%d e&f.yaml"
cp "$data/only-warnings.yaml" "$tmp/in/warn.yaml"
cp "$data/only-info.yaml" "$tmp/in/info.yaml"
printf 'kind: [\n' >"$tmp/in/broken.yaml"
# Where mixed.yaml's IST0101 is: the gateway name's line, column 5.
gwline=$(grep -n '^  - books-gateway$' "$data/mixed.yaml" | cut -d: -f1)
inputs="$data/mixed.yaml $data/only-warnings.yaml $data/only-info.yaml $tmp/in"

run() {   # run OUTFILE ARGS...: meshc with a clean environment; prints rc
	out=$1; shift
	NO_COLOR=1 GITHUB_ACTIONS= "$MESHC" "$@" >"$out" 2>"$out.err" </dev/null
	echo $?
}

# ---- SARIF ----
cat >"$tmp/sarif.py" <<'EOF'
import json, re, sys
URI = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$")
LEVELS = {"none", "note", "warning", "error"}
def fail(msg):
    print("sarif: " + msg); sys.exit(1)
def text(obj, what):
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        fail(what + " needs a text string")
log = json.load(open(sys.argv[1]))
if log.get("version") != "2.1.0": fail("version must be 2.1.0")
if not isinstance(log.get("runs"), list) or len(log["runs"]) != 1: fail("one run")
run = log["runs"][0]
driver = run.get("tool", {}).get("driver")
if not isinstance(driver, dict) or not isinstance(driver.get("name"), str): fail("tool.driver.name")
if run.get("columnKind") not in (None, "utf16CodeUnits", "unicodeCodePoints"): fail("columnKind")
rules = driver.get("rules", [])
ids = [r.get("id") for r in rules]
if any(not isinstance(i, str) or not i for i in ids): fail("rule without id")
if len(set(ids)) != len(ids): fail("duplicate rule id")
for r in rules:
    for k in ("shortDescription", "fullDescription", "help"):
        text(r.get(k), "rule %s %s" % (r["id"], k))
    if r.get("defaultConfiguration", {}).get("level") not in LEVELS: fail("rule level")
used = set()
for res in run.get("results", []):
    text(res.get("message"), "result message")
    if res.get("level") not in LEVELS: fail("result level")
    rid, idx = res.get("ruleId"), res.get("ruleIndex")
    if not isinstance(idx, int) or not 0 <= idx < len(rules) or rules[idx]["id"] != rid:
        fail("ruleIndex does not name ruleId %s" % rid)
    used.add(rid)
    locs = res.get("locations", [])
    if not isinstance(locs, list): fail("locations is not a list")
    for loc in locs:
        phys = loc.get("physicalLocation")
        if phys is None:
            if not loc.get("logicalLocations"): fail("location with nothing in it")
            continue
        uri = phys.get("artifactLocation", {}).get("uri")
        if not isinstance(uri, str) or not URI.match(uri): fail("bad uri %r" % uri)
        reg = phys.get("region")
        if reg is not None:
            if not isinstance(reg.get("startLine"), int) or reg["startLine"] < 1: fail("startLine")
            if "startColumn" in reg and (not isinstance(reg["startColumn"], int) or reg["startColumn"] < 1):
                fail("startColumn")
        for lg in loc.get("logicalLocations", []):
            if not isinstance(lg.get("fullyQualifiedName"), str): fail("logicalLocation name")
if used != set(ids): fail("rules listed that no result uses, or the reverse")
print(len(run.get("results", [])))
EOF
if [ $have_python = 1 ]; then
	for in in $inputs; do
		run "$tmp/s.json" check -o sarif "$in" >/dev/null
		if n=$(python3 "$tmp/sarif.py" "$tmp/s.json"); then ok; else bad "sarif of $in: $n"; fi
	done
	# Standard input: results without a file still validate.
	printf 'kind: [\n---\n- 1\n' | NO_COLOR=1 "$MESHC" check -o sarif - >"$tmp/s4.json" 2>/dev/null
	if n=$(python3 "$tmp/sarif.py" "$tmp/s4.json") && [ "$n" -gt 0 ]; then ok; else bad "sarif of stdin: $n"; fi
	# The escaped file name: a relative, percent-encoded URI reference.
	(cd "$tmp/in" && NO_COLOR=1 "$MESHC" check -o sarif "a,b:c%d e&f.yaml" >"$tmp/s2.json" 2>/dev/null)
	if grep -q '"uri": "a%2Cb%3Ac%25d%20e%26f.yaml"' "$tmp/s2.json"; then ok; else bad "sarif uri not percent-encoded"; fi
	# Real positions: the IST0101 of mixed.yaml at its line and column.
	run "$tmp/s3.json" check -o sarif "$data/mixed.yaml" >/dev/null
	if python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["runs"][0]["results"]
hit = [x for x in r if x["ruleId"] == "IST0101"][0]
reg = hit["locations"][0]["physicalLocation"]["region"]
sys.exit(0 if (reg["startLine"], reg["startColumn"]) == (int(sys.argv[2]), 5) else 1)' "$tmp/s3.json" "$gwline"; then ok; else bad "sarif region of IST0101"; fi
else
	echo "skipped: sarif checks need python3"
fi

# ---- JUnit ----
cat >"$tmp/junit.py" <<'EOF'
import sys
import xml.etree.ElementTree as ET
def fail(msg):
    print("junit: " + msg); sys.exit(1)
root = ET.parse(sys.argv[1]).getroot()
if root.tag != "testsuites": fail("root is not testsuites")
suites = root.findall("testsuite")
if len(suites) != 1: fail("one testsuite expected")
s = suites[0]
cases = s.findall("testcase")
failed = [c for c in cases if c.find("failure") is not None]
for el in (root, s):
    if int(el.get("tests")) != len(cases): fail("tests count")
    if int(el.get("failures")) != len(failed): fail("failures count")
for c in cases:
    if not c.get("classname") or not c.get("name"): fail("testcase without classname/name")
    fs = c.findall("failure")
    if len(fs) > 1: fail("more than one failure in a testcase")
    for f in fs:
        if not f.get("type") or f.get("message") is None or not (f.text or "").strip():
            fail("failure without type, message or body")
print(len(failed))
EOF
if [ $have_python = 1 ]; then
	for in in $inputs; do
		for ft in error warning info; do
			rc=$(run "$tmp/j.xml" check -o junit --failure-threshold $ft "$in")
			if nf=$(python3 "$tmp/junit.py" "$tmp/j.xml"); then ok; else bad "junit of $in: $nf"; continue; fi
			# The report agrees with the exit status.
			if { [ "$nf" -gt 0 ] && [ "$rc" = 1 ]; } || { [ "$nf" = 0 ] && [ "$rc" = 0 ]; }; then ok
			else bad "junit of $in at $ft: $nf failures but exit $rc"; fi
		done
	done
else
	echo "skipped: junit checks need python3"
fi

# ---- GitHub workflow commands ----
for in in $inputs; do
	run "$tmp/g.txt" check -o github "$in" >/dev/null
	lines=$(wc -l <"$tmp/g.txt")
	good=$(grep -c -E '^::(error|warning|notice) (file=[^,:]+(,line=[1-9][0-9]*(,col=[1-9][0-9]*)?)?,)?title=[A-Z]{3}[0-9]{4}::.+$' "$tmp/g.txt")
	if [ "$lines" -gt 0 ] && [ "$lines" = "$good" ]; then ok; else bad "github lines of $in: $good of $lines well formed"; fi
	if grep -q "$(printf '\r')" "$tmp/g.txt"; then bad "raw CR in github output"; else ok; fi
done
(cd "$tmp/in" && GITHUB_ACTIONS= "$MESHC" check -o github "a,b:c%d e&f.yaml" >"$tmp/g2.txt" 2>/dev/null)
if grep -q '^::error file=a%2Cb%3Ac%25d e&f.yaml,line='"$gwline"',col=5,title=IST0101::a,b:c%25d e&f.yaml:'"$gwline"':5: VirtualService books/reviews: Referenced gateway not found: "books-gateway"$' "$tmp/g2.txt"
then ok; else bad "github property escaping"; cat "$tmp/g2.txt"; fi
# Paths relative to GITHUB_WORKSPACE (else the working directory), with
# file:line:col repeated in the message for the raw log.
mkdir -p "$tmp/ws/deploy"
cp "$data/mixed.yaml" "$tmp/ws/deploy/m.yaml"
(cd "$tmp/ws/deploy" && GITHUB_ACTIONS=true GITHUB_WORKSPACE="$tmp/ws" "$MESHC" check m.yaml >"$tmp/g3.txt" 2>/dev/null)
(cd "$tmp" && GITHUB_ACTIONS=true GITHUB_WORKSPACE= "$MESHC" check "$tmp/ws/deploy/m.yaml" >"$tmp/g4.txt" 2>/dev/null)
want='^::error file=ws/deploy/m.yaml,line='"$gwline"',col=5,title=IST0101::ws/deploy/m.yaml:'"$gwline"':5: VirtualService books/reviews: '
if grep -q "^::error file=deploy/m.yaml,line=$gwline,col=5,title=IST0101::deploy/m.yaml:$gwline:5: " "$tmp/g3.txt" &&
   grep -q "$want" "$tmp/g4.txt"; then ok; else
	bad "github paths relative to GITHUB_WORKSPACE / the working directory:"; head -1 "$tmp/g3.txt" "$tmp/g4.txt"; fi
if grep -q '^::notice .*title=IST0131::' "$tmp/g2.txt"; then ok; else bad "info is not ::notice"; fi
# '%' in a message is escaped as %25 (the unknown field name holds one).
if grep -q 'unknown field "odd&<key>,.1.:%25' "$tmp/g2.txt"; then ok; else bad "github message escaping"; fi

# ---- exit status: the same in every format, per threshold ----
for in in $inputs; do
	for ft in error warning info; do
		for ot in error warning info; do
			want=""
			for f in text json sarif github junit; do
				rc=$(run "$tmp/o" check -o $f --failure-threshold $ft --output-threshold $ot "$in")
				[ -z "$want" ] && want=$rc
				if [ "$rc" = "$want" ]; then ok; else bad "exit $rc with -o $f, $want with text ($in, $ft, $ot)"; fi
			done
		done
	done
done
# Expected values on the fixed inputs.
check_rc() {   # check_rc WANT ARGS...
	want=$1; shift
	rc=$(run "$tmp/o" "$@")
	if [ "$rc" = "$want" ]; then ok; else bad "exit $rc, want $want: $*"; fi
}
check_rc 1 check "$data/mixed.yaml"
check_rc 0 check "$data/only-warnings.yaml"
check_rc 1 check --failure-threshold warning "$data/only-warnings.yaml"
check_rc 0 check --failure-threshold warning "$data/only-info.yaml"
check_rc 1 check --failure-threshold info "$data/only-info.yaml"
check_rc 1 check -o json --output-threshold error --failure-threshold info "$data/only-info.yaml"
check_rc 2 check -o json "$data/mixed.yaml" "$tmp/no-such-file.yaml"
check_rc 2 check -o xml "$data/mixed.yaml"

# ---- GITHUB_ACTIONS picks the github format when no -o is given ----
GITHUB_ACTIONS=true "$MESHC" check --no-config "$data/mixed.yaml" >"$tmp/ga" 2>/dev/null
if head -1 "$tmp/ga" | grep -q '^::error file='; then ok; else bad "GITHUB_ACTIONS=true did not select github"; fi
GITHUB_ACTIONS=true "$MESHC" check --no-config -o text "$data/mixed.yaml" >"$tmp/ga" 2>/dev/null
if head -1 "$tmp/ga" | grep -q '^::'; then bad "-o text ignored under GITHUB_ACTIONS"; else ok; fi
GITHUB_ACTIONS=false "$MESHC" check --no-config "$data/mixed.yaml" >"$tmp/ga" 2>/dev/null
if head -1 "$tmp/ga" | grep -q '^::'; then bad "GITHUB_ACTIONS=false selected github"; else ok; fi

# ---- .meshc.yaml is searched from the current directory upward ----
mkdir -p "$tmp/repo/deploy/team" "$tmp/repo/sub"
printf 'output: json\nfailure-threshold: warning\n' >"$tmp/repo/.meshc.yaml"
cp "$data/only-warnings.yaml" "$tmp/repo/deploy/team/vs.yaml"
rc=$(cd "$tmp/repo/sub" && NO_COLOR=1 GITHUB_ACTIONS= "$MESHC" check ../deploy >"$tmp/c.out" 2>&1; echo $?)
if [ "$rc" = 1 ] && head -1 "$tmp/c.out" | grep -q '^\['; then ok; else bad "config in a parent directory not used (exit $rc)"; fi
rc=$(cd "$tmp/repo/sub" && NO_COLOR=1 GITHUB_ACTIONS= "$MESHC" check --no-config ../deploy >"$tmp/c.out" 2>&1; echo $?)
if [ "$rc" = 0 ] && ! grep -q '^\[' "$tmp/c.out"; then ok; else bad "--no-config did not ignore the config (exit $rc)"; fi
# The config's output wins over GITHUB_ACTIONS; -o wins over both.
rc=$(cd "$tmp/repo/deploy/team" && GITHUB_ACTIONS=true "$MESHC" check vs.yaml >"$tmp/c.out" 2>&1; echo $?)
if head -1 "$tmp/c.out" | grep -q '^\['; then ok; else bad "config output did not win over GITHUB_ACTIONS"; fi
rc=$(cd "$tmp/repo/deploy/team" && GITHUB_ACTIONS= "$MESHC" check -o text --failure-threshold error vs.yaml >"$tmp/c.out" 2>&1; echo $?)
if [ "$rc" = 0 ] && ! grep -q '^\[' "$tmp/c.out"; then ok; else bad "flags did not override the config"; fi
# A malformed config found by the search: exit 2 with its relative path and line.
printf 'output: json\nfailure-threshold: sometimes\n' >"$tmp/repo/.meshc.yaml"
rc=$(cd "$tmp/repo/deploy" && "$MESHC" check team >/dev/null 2>"$tmp/c.err"; echo $?)
if [ "$rc" = 2 ] && grep -q '^meshc: \.\./\.meshc\.yaml:2:20: ' "$tmp/c.err"; then ok
else bad "malformed parent config: exit $rc, $(cat "$tmp/c.err")"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
