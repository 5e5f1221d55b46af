#!/bin/sh
# The Gateway API schemas meshc embeds are the CRDs': schemas/gwapi-*.json
# regenerate identically from ../shared/corpus/gateway-api/crds (so every
# field, default and x-kubernetes-validations rule of the nine kinds is
# there: none dropped), the rule count is what the CRDs hold, and the
# standard channel's own rules are all among them. Skips cleanly without
# ../shared or python3-yaml.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
crds=${GWAPI_CRDS:-$root/../shared/corpus/gateway-api/crds}
pass=0; fail=0
if [ ! -d "$crds/experimental" ] || ! python3 -c 'import yaml' 2>/dev/null; then
	echo "t_gwapi_schemas: skipped (no $crds or no python3-yaml)"
	echo "t_gwapi_schemas: 0 passed, 0 failed"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if python3 "$root/schemas/extract_gwapi.py" "$crds" "$tmp" >"$tmp/log" 2>&1; then
	pass=$((pass+1))
	for f in "$tmp"/gwapi-*.json; do
		if cmp -s "$f" "$root/schemas/$(basename "$f")"; then pass=$((pass+1)); else
			fail=$((fail+1)); echo "FAIL: schemas/$(basename "$f") differs from the CRDs (rerun extract_gwapi.py)"; fi
	done
	n_have=$(ls "$root"/schemas/gwapi-*.json | wc -l)
	n_want=$(ls "$tmp"/gwapi-*.json | wc -l)
	if [ "$n_have" = "$n_want" ]; then pass=$((pass+1)); else
		fail=$((fail+1)); echo "FAIL: $n_have committed gwapi schema files, the CRDs give $n_want"; fi
else
	fail=$((fail+1)); echo "FAIL: extract_gwapi.py:"; cat "$tmp/log"
fi
# Every rule of the experimental channel (all served versions of the nine
# kinds) is embedded, except rules on status (the controller's to write,
# not checked); a rule only the standard channel has is the stricter
# twin of an experimental one (parentRefs: "sectionName" where
# experimental says "sectionName or port"), and is listed, not embedded.
python3 - "$crds" "$root/schemas" >"$tmp/rules" 2>&1 <<'PY'
import glob, json, os, sys, yaml
crds, schemas = sys.argv[1], sys.argv[2]
kinds = {"GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "ReferenceGrant",
         "BackendTLSPolicy", "TCPRoute", "TLSRoute", "ListenerSet"}
want = {}
status = set()
def walk(s, ch, path=""):
    for v in s.get("x-kubernetes-validations", []):
        want.setdefault(v["rule"], set()).add(ch)
        if path.startswith(".status"):
            status.add(v["rule"])
    for k, v in s.get("properties", {}).items():
        walk(v, ch, path + "." + k)
    if "items" in s:
        walk(s["items"], ch, path + "[]")
    if isinstance(s.get("additionalProperties"), dict):
        walk(s["additionalProperties"], ch, path + "{}")
for ch in ("standard", "experimental"):
    for f in glob.glob(os.path.join(crds, ch, "gateway.networking.k8s.io_*.yaml")):
        for d in yaml.safe_load_all(open(f)):
            if d and d.get("kind") == "CustomResourceDefinition" and d["spec"]["names"]["kind"] in kinds:
                for v in d["spec"]["versions"]:
                    walk(v["schema"]["openAPIV3Schema"], ch)
have = set()
def walk_json(s):
    for c in s.get("cel", []):
        if "expr" in c and "source" not in c:
            have.add(c["expr"])
    for k in ("properties",):
        for v in s.get(k, {}).values():
            walk_json(v)
    for k in ("items", "additionalProperties"):
        if isinstance(s.get(k), dict):
            walk_json(s[k])
for f in glob.glob(os.path.join(schemas, "gwapi-*.json")):
    walk_json(json.load(open(f))["schema"])
std_only = [r for r, chs in want.items() if chs == {"standard"}]
missing = [r for r in want if r not in have and r not in status and r not in std_only]
print("rules", len(want), "embedded", len(have), "missing", len(missing),
      "standard-only", len(std_only), "status-only", len(status - have))
for r in missing:
    print("missing:", r)
for r in std_only:
    if "parentRefs" not in r and "p1.group" not in r:
        print("unexpected standard-only rule:", r)
PY
cat "$tmp/rules" | head -20
if grep -q "^rules .* missing 0 " "$tmp/rules" && ! grep -q "^unexpected" "$tmp/rules"; then pass=$((pass+1)); else
	fail=$((fail+1)); echo "FAIL: CRD rules not embedded (above)"; fi
echo "t_gwapi_schemas: $pass passed, $fail failed"
[ $fail = 0 ]
