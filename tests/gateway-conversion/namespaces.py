#!/usr/bin/env python3
"""Prints a Namespace for each namespace the objects of a YAML file are in,
labelled as Istio's conversion test labels them (conversion_test.go
readConfig): istio.io/test-name-part is the name up to its first '-'."""
import sys
import yaml

names = set()
with open(sys.argv[1]) as f:
    for d in yaml.safe_load_all(f):
        ns = ((d or {}).get("metadata") or {}).get("namespace")
        if ns:
            names.add(ns)
for i, ns in enumerate(sorted(names)):
    if i:
        print("---")
    print("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels:\n"
          "    istio.io/test-name-part: %s" % (ns, ns.split("-")[0]))
