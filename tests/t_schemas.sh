#!/bin/sh
# The CI output formats against their published schemas, with validators
# from Debian (tools/install-deps.sh --test installs them):
#   - SARIF against the OASIS SARIF 2.1.0 JSON schema (draft-04; python3's
#     jsonschema), plus what GitHub code scanning requires beyond it: the
#     driver's version and informationUri, a helpUri on every rule, and a
#     physical location with a region on every result (standard input too);
#   - JUnit against junit-10.xsd, Jenkins xUnit's schema (xmllint); under
#     GITLAB_CI=true the report carries GitLab's testcase `file` attribute
#     (beyond the schema), and only then;
#   - JSON: IST codes carry istioctl's documentationUrl; -o yaml is the same
#     list as -o json (python3's yaml).
# Each over several inputs: errors of every level, a clean run, names that
# need escaping, YAML errors, standard input with and without a name.
# The schemas live in ../shared/corpus/formats: without it this prints
# "skipped" and 0 passed, 0 failed. A missing validator is a failure.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
MESHC=${MESHC:-$root/meshc}
formats=$root/../shared/corpus/formats
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
if [ ! -f "$formats/sarif-schema-2.1.0.json" ] || [ ! -f "$formats/junit-10.xsd" ]; then
	echo "skipped: no ../shared/corpus/formats"
	echo "0 passed, 0 failed"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data=$root/testdata/output

# A python3 that has jsonschema and yaml (Debian's, where another python3
# comes first on PATH).
py=""
for p in python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import jsonschema, yaml' 2>/dev/null; then
		py=$p; break
	fi
done
[ -n "$py" ] || bad "no python3 with jsonschema and yaml (sh tools/install-deps.sh --test)"
command -v xmllint >/dev/null 2>&1 || bad "xmllint is not installed (sh tools/install-deps.sh --test)"

mkdir -p "$tmp/in"
cp "$data/mixed.yaml" "$tmp/in/a,b:c%d e&f.yaml"
printf 'kind: [\n' >"$tmp/in/broken.yaml"
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: x}\nspec: {ports: [{name: http, port: 80}]}\n' >"$tmp/clean.yaml"
run() {   # run NAME ARGS...: output in $tmp/NAME
	name=$1; shift
	NO_COLOR=1 GITHUB_ACTIONS= GITLAB_CI= "$MESHC" "$@" >"$tmp/$name" 2>/dev/null </dev/null
}
cases="mixed warn info dir clean stdin stdin-named"
gen() {   # gen FORMAT: one output per case, $tmp/<case>.<format>
	f=$1
	run "mixed.$f" check -o "$f" "$data/mixed.yaml"
	run "warn.$f" check -o "$f" "$data/only-warnings.yaml"
	run "info.$f" check -o "$f" "$data/only-info.yaml"
	run "dir.$f" check -o "$f" "$tmp/in"
	run "clean.$f" check -o "$f" "$tmp/clean.yaml"
	NO_COLOR=1 "$MESHC" check -o "$f" - <"$data/mixed.yaml" >"$tmp/stdin.$f" 2>/dev/null
	NO_COLOR=1 "$MESHC" check -o "$f" --stdin-filename deploy/x.yaml - <"$data/mixed.yaml" \
		>"$tmp/stdin-named.$f" 2>/dev/null
}

# ---- SARIF: one python run checks every file (a line each: OK or why) ----
cat >"$tmp/sarif.py" <<'PY'
import json, sys
import jsonschema
validator = jsonschema.Draft4Validator(json.load(open(sys.argv[1])))
for path in sys.argv[2:]:
    problems = []
    try:
        log = json.load(open(path))
    except ValueError as e:
        print(path, "not JSON:", e)
        continue
    for e in sorted(validator.iter_errors(log), key=lambda e: list(e.path))[:5]:
        problems.append("schema: %s at %s" % (e.message[:200], "/".join(map(str, e.path))))
    driver = log["runs"][0]["tool"]["driver"]
    for key in ("name", "version", "informationUri"):
        if not isinstance(driver.get(key), str) or not driver[key]:
            problems.append("driver lacks " + key)
    for rule in driver.get("rules", []):
        uri = rule.get("helpUri", "")
        want = ("https://istio.io/latest/docs/reference/config/analysis/%s/" % rule["id"].lower()
                if rule["id"].startswith("IST") else "man:meshc(1)")
        if uri != want:
            problems.append("rule %s: helpUri %r, want %r" % (rule["id"], uri, want))
    for res in log["runs"][0]["results"]:
        locs = res.get("locations") or [{}]
        phys = locs[0].get("physicalLocation", {})
        if not phys.get("artifactLocation", {}).get("uri") or "startLine" not in phys.get("region", {}):
            problems.append("result %s has no physical location with a line" % res["ruleId"])
    print(path, "OK" if not problems else "; ".join(problems))
PY
gen sarif
files=""
for c in $cases; do files="$files $tmp/$c.sarif"; done
if [ -n "$py" ]; then
	# shellcheck disable=SC2086
	"$py" "$tmp/sarif.py" "$formats/sarif-schema-2.1.0.json" $files >"$tmp/sarif.out" 2>&1
fi
for c in $cases; do
	if grep -qx "$tmp/$c.sarif OK" "$tmp/sarif.out" 2>/dev/null; then ok; else
		bad "sarif of $c:"; grep -F "$tmp/$c.sarif" "$tmp/sarif.out" 2>/dev/null | head -3 | sed 's/^/    /'
	fi
done
if [ -n "$py" ] && "$py" -c '
import json, sys
loc = json.load(open(sys.argv[1]))["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
named = json.load(open(sys.argv[2]))["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
sys.exit(not (loc["uri"] == "stdin" and named["uri"] == "deploy/x.yaml"))
' "$tmp/stdin.sarif" "$tmp/stdin-named.sarif"; then ok; else bad "sarif locations of standard input"; fi

# ---- JUnit ----
gen junit
for c in $cases; do
	if xmllint --noout --schema "$formats/junit-10.xsd" "$tmp/$c.junit" >"$tmp/xl" 2>&1; then ok; else
		bad "junit of $c does not validate against junit-10.xsd:"; head -5 "$tmp/xl" | sed 's/^/    /'; fi
done
NO_COLOR=1 GITLAB_CI=true "$MESHC" check -o junit "$data/mixed.yaml" >"$tmp/gitlab.junit" 2>/dev/null
if grep -q '<testcase classname="VirtualService" name="books/reviews" file="' "$tmp/gitlab.junit" &&
   ! grep -q ' file="' "$tmp/mixed.junit"; then ok; else bad "junit file attribute only under GITLAB_CI=true"; fi

# ---- JSON and YAML ----
gen json
gen yaml
cat >"$tmp/jy.py" <<'PY'
import json, sys, yaml
for base in sys.argv[1:]:
    j = json.load(open(base + ".json"))
    y = yaml.safe_load(open(base + ".yaml"))
    good = j == (y or [])
    for d in j:
        url = d.get("documentationUrl")
        if d["code"].startswith("IST"):
            good &= url == "https://istio.io/latest/docs/reference/config/analysis/%s/" % d["code"].lower()
        else:
            good &= url is None
    print(base, "OK" if good else "differ")
PY
files=""
for c in $cases; do files="$files $tmp/$c"; done
# shellcheck disable=SC2086
[ -n "$py" ] && "$py" "$tmp/jy.py" $files >"$tmp/jy.out" 2>&1
for c in $cases; do
	if grep -qx "$tmp/$c OK" "$tmp/jy.out" 2>/dev/null; then ok; else
		bad "json/yaml of $c (the same list; documentationUrl on IST codes only)"; fi
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
