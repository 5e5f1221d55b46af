#!/usr/bin/env python3
"""Regenerates schemas/gwapi-*.json from the Kubernetes Gateway API CRDs.

The build never runs this script: the JSON files it writes are committed,
and the build embeds them (schemas/schemagen.c). Run it again when the
Gateway API CRDs change:

    python3 schemas/extract_gwapi.py ../shared/corpus/gateway-api/crds

The schemas are those of the experimental channel, which has every field
of the standard channel and more: a config written for either channel is
checked against the fields it may use. Where a kind's versions differ
(TCPRoute v1alpha2 allows 16 rules, v1 one), each version that differs
from the preferred one gets its own file, named "group/version/Kind".

Beyond extract.py's format (schemas/README.md) these CRDs use "pattern"
(a Go regular expression a string must contain a match of), "minLength",
"default" (the value the API server fills in before the CEL rules run),
"listSet" (x-kubernetes-list-type: set, items unique), integer enums,
and CEL rules as expressions ({"expr", "message"}) that
compiler/cel.c evaluates; every rule of the CRDs is kept, none is mapped
to hand-written C. The one oneOf (a Gateway address of type IPAddress
must be an IP) becomes a CEL expression with the same meaning.
"""
import json
import os
import sys

import yaml

GROUP = "gateway.networking.k8s.io"
KINDS = ("GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "ReferenceGrant",
         "BackendTLSPolicy", "TCPRoute", "TLSRoute", "ListenerSet")
FORMATS = ("int32", "int64", "date-time")

# The CRD's oneOf on Gateway addresses, as a rule: type IPAddress (the
# default) needs an IPv4 or IPv6 value; other types any value.
ADDRESS_ONEOF = [
    {"properties": {"type": {"enum": ["IPAddress"]},
                    "value": {"anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]}}},
    {"properties": {"type": {"not": {"enum": ["IPAddress"]}}}},
]
ADDRESS_RULE = {
    "expr": "self.type == 'IPAddress' && has(self.value) ? isIP(self.value) : true",
    "message": "value must be an IPv4 or IPv6 address when type is IPAddress",
    "source": "the CRD's oneOf",
}

PASSED_THROUGH = ("type", "enum", "format", "minimum", "maximum", "minItems",
                  "maxItems", "maxLength", "minLength", "maxProperties",
                  "required", "pattern", "default")


def fail(msg):
    sys.stderr.write("extract_gwapi.py: %s\n" % msg)
    sys.exit(1)


def convert(s, path):
    out = {}
    if "type" not in s:
        fail("%s: no type" % path)
    for k in PASSED_THROUGH:
        if k in s:
            out[k] = s[k]
    if "format" in s and s["format"] not in FORMATS:
        fail("%s: format %s" % (path, s["format"]))
    lt = s.get("x-kubernetes-list-type")
    if lt == "map":
        out["listMapKeys"] = s["x-kubernetes-list-map-keys"]
    elif lt == "set":
        out["listSet"] = True
    elif lt not in (None, "atomic"):
        fail("%s: list type %s" % (path, lt))
    cel = [{"expr": v["rule"], "message": v["message"]}
           for v in s.get("x-kubernetes-validations", [])]
    for v in s.get("x-kubernetes-validations", []):
        if set(v) - {"rule", "message"}:
            fail("%s: rule keys %s" % (path, sorted(v)))
    if "oneOf" in s:
        if s["oneOf"] != ADDRESS_ONEOF:
            fail("%s: unsupported oneOf %r" % (path, s["oneOf"]))
        cel.append(ADDRESS_RULE)
    if cel:
        out["cel"] = cel
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
        "description", "properties", "items", "additionalProperties", "oneOf",
        "x-kubernetes-validations", "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys", "x-kubernetes-map-type"}
    extra = set(s) - known
    if extra:
        fail("%s: unsupported keywords %s" % (path, sorted(extra)))
    return out


def root_schema(kind, schema):
    root = convert(schema, kind)
    props = root["properties"]
    props["metadata"] = {"$ref": "ObjectMeta"}
    # Status is the controller's to write; meshc does not check it.
    if "status" in props:
        props["status"] = {"type": "any"}
    if "spec" in props:
        props["spec"]["quietType"] = True
    root["properties"] = dict(sorted(props.items()))
    return root


def main():
    if len(sys.argv) not in (2, 3):
        fail("usage: extract_gwapi.py CRD-DIR [OUT-DIR] (CRD-DIR has experimental/)")
    outdir = sys.argv[2] if len(sys.argv) == 3 else os.path.dirname(os.path.abspath(__file__))
    crddir = os.path.join(sys.argv[1], "experimental")
    done = set()
    for name in sorted(os.listdir(crddir)):
        if not name.startswith(GROUP + "_"):
            continue
        with open(os.path.join(crddir, name)) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        for d in docs:
            if d.get("kind") != "CustomResourceDefinition":
                continue
            spec = d["spec"]
            kind = spec["names"]["kind"]
            if spec["group"] != GROUP or kind not in KINDS:
                continue
            versions = [v for v in spec["versions"] if v.get("served")]
            pref = versions[0]
            base = root_schema(kind, pref["schema"]["openAPIV3Schema"])
            files = [(GROUP + "/" + kind, [v["name"] for v in versions], base,
                      "gwapi-" + kind.lower() + ".json")]
            for v in versions[1:]:
                s = root_schema(kind, v["schema"]["openAPIV3Schema"])
                if s != base:
                    files.append((GROUP + "/" + v["name"] + "/" + kind, [v["name"]], s,
                                  "gwapi-" + kind.lower() + "-" + v["name"] + ".json"))
                    files[0][1].remove(v["name"])
            for key, vers, schema, fname in files:
                out = {
                    "kind": key,
                    "group": GROUP,
                    "versions": vers,
                    "source": "kubernetes-sigs/gateway-api config/crd/experimental/%s, "
                              "openAPIV3Schema of version %s" % (name, vers[0]),
                    "schema": schema,
                }
                with open(os.path.join(outdir, fname), "w") as f:
                    json.dump(out, f, indent=1, sort_keys=False)
                    f.write("\n")
            done.add(kind)
    missing = set(KINDS) - done
    if missing:
        fail("kinds not found: %s" % sorted(missing))


if __name__ == "__main__":
    main()
