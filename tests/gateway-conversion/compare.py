#!/usr/bin/env python3
"""Compares meshc convert output with Istio's golden files for one case.

usage: compare.py GOLDEN.yaml.golden MINE.yaml GOLDEN.status.yaml.golden MINE.status.yaml [-v]

Config: every Gateway and VirtualService of the golden file must be in
meshc's output with the same kind, namespace, name and spec (Istio's
internal.istio.io/* annotations aside), and meshc must print no other.
DestinationRules (from BackendTLSPolicy and BackendLBPolicy) are not
compared: meshc convert does not derive them.
Status: for every resource the golden status file gives conditions,
meshc's status must have the same condition (type, status, reason) set,
per listener (with attachedRoutes) and per route parent;
lastTransitionTime and messages aside. Exit 0 when both match.
"""
import sys
import yaml

def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]

def key(d):
    m = d.get("metadata") or {}
    return (d.get("kind"), m.get("namespace", ""), m.get("name"))

def conds(cs):
    return sorted((c.get("type"), str(c.get("status")), c.get("reason")) for c in cs or [])

def status_view(st):
    st = st or {}
    v = {"conditions": conds(st.get("conditions"))}
    if "listeners" in st:
        v["listeners"] = sorted((l.get("name"), l.get("attachedRoutes", 0), tuple(conds(l.get("conditions"))))
                                for l in st.get("listeners") or [])
    if "parents" in st:
        v["parents"] = sorted((yaml.safe_dump(p.get("parentRef"), sort_keys=True), tuple(conds(p.get("conditions"))))
                              for p in st.get("parents") or [])
    return v

def main():
    gold, mine, gold_st, mine_st = sys.argv[1:5]
    verbose = "-v" in sys.argv
    problems = []
    want = {key(d): d for d in load(gold) if d.get("kind") in ("Gateway", "VirtualService")}
    have = {key(d): d for d in load(mine)}
    for k, d in want.items():
        if k not in have:
            problems.append("missing %s %s/%s" % k)
        elif (d.get("spec") or {}) != (have[k].get("spec") or {}):
            problems.append("spec differs: %s %s/%s" % k)
            if verbose:
                problems.append("  want: " + yaml.safe_dump(d.get("spec"), sort_keys=True).replace("\n", "\n        "))
                problems.append("  have: " + yaml.safe_dump(have[k].get("spec"), sort_keys=True).replace("\n", "\n        "))
    for k in have:
        if k not in want:
            problems.append("unexpected %s %s/%s" % k)
    wst = {key(d): d for d in load(gold_st)}
    hst = {key(d): d for d in load(mine_st)}
    for k, d in wst.items():
        st = d.get("status") or {}
        if not (st.get("conditions") or st.get("parents") or st.get("listeners")):
            continue
        got = status_view((hst.get(k) or {}).get("status"))
        exp = status_view(st)
        if got != exp:
            problems.append("status differs: %s %s/%s" % k)
            if verbose:
                problems.append("  want: %r" % (exp,))
                problems.append("  have: %r" % (got,))
    for p in problems:
        print("  " + p)
    return 1 if problems else 0

sys.exit(main())
