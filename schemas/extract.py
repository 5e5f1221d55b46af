#!/usr/bin/env python3
"""Regenerates schemas/{virtualservice,destinationrule,gateway,serviceentry}.json
from Istio's CRD file (crd-all.gen.yaml).

The build never runs this script: the JSON files it writes are committed, and
the build embeds them (schemas/schemagen.c). Run it again when Istio's CRDs
change:

    python3 schemas/extract.py ../shared/corpus/istio-crds/crd-all.gen.yaml

The output format is described in schemas/README.md: a JSON Schema subset
(type, properties, required, items, additionalProperties, enum, format,
minimum/maximum, minItems/maxItems, maxLength, maxProperties, nullable)
with a few extensions for what the API server and Istio's decoder enforce:
"oneOf" as groups of keys of which at most one may be set, "duration",
"cel" (each CEL rule as a rule id the C code implements, its arguments and
the CRD's message), "listMapKeys", "preserveUnknownFields", "$ref" and
"quietType". Every CEL rule the CRD holds must be known here: an unknown
rule stops the script, so a new Istio rule cannot be dropped silently.
"""
import json
import os
import sys

import yaml

KINDS = ("VirtualService", "DestinationRule", "Gateway", "ServiceEntry")
GROUP = "networking.istio.io"

DURATION_RULE = "duration(self) >= duration('1ms')"

# Duration fields the CRD types as plain strings with no CEL rule. The API
# server accepts any string there, but Istio's decoder parses them with Go's
# time.ParseDuration, so they must still parse. Matched as path suffixes.
PLAIN_DURATIONS = (
    "connectionPool.tcp.idleTimeout",
    "consistentHash.httpCookie.ttl",
    "retryBudget.budgetInterval",
    "backendUtilization.weightExpirationPeriod",
    "backendUtilization.weightStabilizationPeriod",
    "backendUtilization.weightUpdatePeriod",
)

# CEL rule text -> (rule id, arguments). The C code (compiler/schema.c)
# implements each id; the rule text is kept in the JSON for reference.
CEL_RULES = {
    "0 < self && self <= 65535": ("port_range", []),
    "self.all(key, !key.contains(\"*\"))": ("keys_no_wildcard", []),
    "self.all(key, key.size() != 0)": ("keys_nonempty", []),
    "!self.contains(\"*\")": ("no_wildcard", []),
    "self != \"*\"": ("not_star", []),
    "self.all(l1, self.exists_one(l2, l1.number == l2.number))":
        ("unique_field", ["number"]),
    "self.all(key, size(key) < 63 && key.matches(\"^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$\"))":
        ("keys_port_name", []),
    "(has(self.workloadSelector) ? 1 : 0) + (has(self.endpoints) ? 1 : 0) <= 1":
        ("only_one_of", ["workloadSelector", "endpoints"]),
    "(has(self.tlsCertificates) ? 1 : 0) + (has(self.credentialNames) ? 1 : 0) <= 1":
        ("only_one_of", ["tlsCertificates", "credentialNames"]),
    "(has(self.credentialName) ? 1 : 0) + (has(self.credentialNames) ? 1 : 0) <= 1":
        ("only_one_of", ["credentialName", "credentialNames"]),
    "(has(self.credentialNames) ? 1 : 0) + (has(self.tlsCertificates) ? 1 : 0) <= 1":
        ("only_one_of", ["credentialNames", "tlsCertificates"]),
    "!((has(self.addresses) ? self.addresses : []).exists(k, k.contains(\"/\")) && !((has(self.resolution) ? self.resolution : \"NONE\") in [\"STATIC\", \"NONE\"]))":
        ("cidr_needs_resolution", ["addresses", "resolution", "NONE", "STATIC"]),
    "((has(self.resolution) ? self.resolution : \"NONE\") == \"NONE\") ? !has(self.endpoints) : true":
        ("none_forbids", ["resolution", "endpoints"]),
    "((has(self.resolution) ? self.resolution : \"\") == \"DNS_ROUND_ROBIN\") ? ((has(self.endpoints) ? self.endpoints : []).size() <= 1) : true":
        ("dns_rr_single", ["resolution", "endpoints"]),
    "self.startsWith(\"unix://\") ? (self.substring(7, 8) == \"/\" || self.substring(7, 8) == \"@\") : true":
        ("uds_absolute", []),
    "self.startsWith(\"unix://\") ? !self.endsWith(\"/\") : true":
        ("uds_not_dir", []),
    "has(self.address) || has(self.network)":
        ("any_of", ["address", "network"]),
    "(has(self.address) ? self.address : \"\").startsWith(\"unix://\") ? !has(self.ports) : true":
        ("uds_forbids", ["address", "ports"]),
}

PASSED_THROUGH = ("type", "enum", "format", "minimum", "maximum", "minItems",
                  "maxItems", "maxLength", "maxProperties", "nullable",
                  "required")


def fail(msg):
    sys.stderr.write("extract.py: %s\n" % msg)
    sys.exit(1)


def oneof_group(alts, path):
    """CRD oneOf [{not: {anyOf: [{required: [a]}, ...]}}, {required: [a]}, ...]
    means "at most one of a, b, ...": returns [a, b, ...]."""
    keys = []
    for alt in alts:
        if "not" in alt:
            continue
        req = alt.get("required")
        if set(alt) != {"required"} or not req or len(req) != 1:
            fail("%s: unsupported oneOf alternative %r" % (path, alt))
        keys.append(req[0])
    neg = [a for a in alts if "not" in a]
    if len(neg) != 1 or sorted(r["required"][0] for r in neg[0]["not"]["anyOf"]) != sorted(keys):
        fail("%s: oneOf is not an at-most-one group" % path)
    return keys


def convert(s, path):
    out = {}
    if s.get("x-kubernetes-int-or-string"):
        out["type"] = "int-or-string"
    elif "type" in s:
        out["type"] = s["type"]
    else:
        fail("%s: no type" % path)
    for k in PASSED_THROUGH:
        if k in s and k != "type":
            out[k] = s[k]
    t = out["type"]
    if t == "integer" and "format" not in s:
        # Istio's unsigned proto fields: the CRD writes their range only.
        if s.get("minimum") == 0 and s.get("maximum") == 4294967295:
            out["format"] = "uint32"
        elif s.get("maximum") == 4294967295:
            out["format"] = "uint32"
        elif s.get("minimum") == 0 and "maximum" not in s:
            out["format"] = "uint64"
    if s.get("x-kubernetes-preserve-unknown-fields"):
        out["preserveUnknownFields"] = True
    if "x-kubernetes-list-type" in s:
        if s["x-kubernetes-list-type"] != "map":
            fail("%s: list type %s" % (path, s["x-kubernetes-list-type"]))
        out["listMapKeys"] = s["x-kubernetes-list-map-keys"]
    groups = []
    if "oneOf" in s:
        groups.append(oneof_group(s["oneOf"], path))
    for a in s.get("allOf", []):
        if set(a) != {"oneOf"}:
            fail("%s: unsupported allOf %r" % (path, a))
        groups.append(oneof_group(a["oneOf"], path))
    if groups:
        out["oneOf"] = groups
    if "anyOf" in s and not s.get("x-kubernetes-int-or-string"):
        fail("%s: unsupported anyOf" % path)
    cel = []
    for v in s.get("x-kubernetes-validations", []):
        if v["rule"] == DURATION_RULE:
            out["duration"] = "min1ms"
            out["durationMessage"] = v["message"]
            continue
        if v["rule"] not in CEL_RULES:
            fail("%s: unknown CEL rule %r" % (path, v["rule"]))
        rid, args = CEL_RULES[v["rule"]]
        cel.append({"id": rid, "args": args, "message": v["message"],
                    "rule": v["rule"]})
    if cel:
        out["cel"] = cel
    if t == "string" and "duration" not in out and path.endswith(PLAIN_DURATIONS):
        out["duration"] = "parse"
    if "properties" in s:
        out["properties"] = {k: convert(v, path + "." + k)
                             for k, v in sorted(s["properties"].items())}
    if "items" in s:
        out["items"] = convert(s["items"], path + "[]")
    ap = s.get("additionalProperties")
    if isinstance(ap, dict):
        out["additionalProperties"] = convert(ap, path + "{}")
    elif ap is not None:
        fail("%s: additionalProperties %r" % (path, ap))
    known = set(PASSED_THROUGH) | {
        "description", "properties", "items", "additionalProperties",
        "oneOf", "allOf", "anyOf", "x-kubernetes-validations",
        "x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-list-type", "x-kubernetes-list-map-keys"}
    extra = set(s) - known
    if extra:
        fail("%s: unsupported keywords %s" % (path, sorted(extra)))
    return out


def main():
    if len(sys.argv) != 2:
        fail("usage: extract.py crd-all.gen.yaml")
    outdir = os.path.dirname(os.path.abspath(__file__))
    with open(sys.argv[1]) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    done = set()
    for d in docs:
        spec = d["spec"]
        kind = spec["names"]["kind"]
        if spec["group"] != GROUP or kind not in KINDS:
            continue
        schemas = {v["name"]: v["schema"]["openAPIV3Schema"] for v in spec["versions"]}
        canon = {json.dumps(s, sort_keys=True) for s in schemas.values()}
        if len(canon) != 1:
            fail("%s: versions differ; extend the format" % kind)
        root = convert(schemas["v1"], kind)
        root["properties"]["spec"]["quietType"] = True
        props = {"apiVersion": {"type": "string"},
                 "kind": {"type": "string"},
                 "metadata": {"$ref": "ObjectMeta"}}
        props.update(root["properties"])
        root["properties"] = dict(sorted(props.items()))
        out = {
            "kind": kind,
            "group": GROUP,
            "versions": sorted(schemas),
            "source": "istio/istio manifests/charts/base/files/crd-all.gen.yaml, "
                      "openAPIV3Schema of version v1 (all versions identical)",
            "schema": root,
        }
        name = os.path.join(outdir, kind.lower() + ".json")
        with open(name, "w") as f:
            json.dump(out, f, indent=1, sort_keys=False)
            f.write("\n")
        done.add(kind)
    missing = set(KINDS) - done
    if missing:
        fail("kinds not found: %s" % sorted(missing))


if __name__ == "__main__":
    main()
