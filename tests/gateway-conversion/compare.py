#!/usr/bin/env python3
"""Compares meshc convert output with Istio's golden files for one case.

usage: compare.py GOLDEN.yaml.golden MINE.yaml GOLDEN.status.yaml.golden MINE.status.yaml [-v]

Config: every Gateway and VirtualService of the golden file must be in
meshc's output with the same kind, namespace, name and spec (Istio's
internal.istio.io/* annotations aside), and meshc must print no other.
DestinationRules derived only from BackendTLSPolicies are compared the
same way; those Istio also derives from XBackendTrafficPolicy and
XBackend, which meshc does not read, are not (nor those kinds' status).
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

def status_view(st, kind):
    st = st or {}
    v = {"conditions": conds(st.get("conditions"))}
    if "listeners" in st:
        v["listeners"] = sorted((l.get("name"), l.get("attachedRoutes", 0), tuple(conds(l.get("conditions"))))
                                for l in st.get("listeners") or [])
    if "ancestors" in st and kind == "BackendTLSPolicy":
        v["ancestors"] = sorted((yaml.safe_dump(a.get("ancestorRef"), sort_keys=True), a.get("controllerName"),
                                 tuple(conds(a.get("conditions")))) for a in st.get("ancestors") or [])
    if "parents" in st:
        v["parents"] = sorted((yaml.safe_dump(p.get("parentRef"), sort_keys=True), tuple(conds(p.get("conditions"))))
                              for p in st.get("parents") or [])
    return v

def main():
    gold, mine, gold_st, mine_st = sys.argv[1:5]
    verbose = "-v" in sys.argv
    problems = []
    def derived(d):
        if d.get("kind") in ("Gateway", "VirtualService"):
            return True
        parents = ((d.get("metadata") or {}).get("annotations") or {}).get("internal.istio.io/parents", "")
        return d.get("kind") == "DestinationRule" and parents and all(
            x.startswith("BackendTLSPolicy/") for x in parents.split(","))
    want = {key(d): d for d in load(gold) if derived(d)}
    have = {key(d): d for d in load(mine)}
    for k, d in want.items():
        if k not in have:
            problems.append("missing %s %s/%s" % k)
        elif (d.get("spec") or {}) != (have[k].get("spec") or {}):
            problems.append("spec differs: %s %s/%s" % k)
            if verbose:
                problems.append("  want: " + yaml.safe_dump(d.get("spec"), sort_keys=True).replace("\n", "\n        "))
                problems.append("  have: " + yaml.safe_dump(have[k].get("spec"), sort_keys=True).replace("\n", "\n        "))
    golden_keys = {key(d) for d in load(gold)}
    for k in have:
        if k not in want and k not in golden_keys:
            problems.append("unexpected %s %s/%s" % k)
    wst = {key(d): d for d in load(gold_st)}
    hst = {key(d): d for d in load(mine_st)}
    for k, d in wst.items():
        st = d.get("status") or {}
        if not (st.get("conditions") or st.get("parents") or st.get("listeners") or
                (st.get("ancestors") and k[0] == "BackendTLSPolicy")):
            continue
        got = status_view((hst.get(k) or {}).get("status"), k[0])
        exp = status_view(st, k[0])
        if got != exp:
            problems.append("status differs: %s %s/%s" % k)
            if verbose:
                problems.append("  want: %r" % (exp,))
                problems.append("  have: %r" % (got,))
    for p in problems:
        print("  " + p)
    return 1 if problems else 0

sys.exit(main())
