#!/bin/sh
# Every analyzer family stays near-linear in the number of resources
# (issue 11: "N VirtualServices on one host"). For each family a shape
# that piles many resources onto one name (one host, one port, one
# selector, one certificate), where a pairwise loop would be quadratic,
# is checked at N and at 4N resources. The CPU time meshc spends (user +
# system of the child, the best of three runs, so another process on the
# machine does not count) must grow by at most 8x: 4x for linear work,
# 16x for quadratic. A small absolute slack absorbs start-up and timer
# granularity. Each family also checks that the diagnostics it expects
# are there, so the shape really reaches the analyzer.
set -u
cd "$(dirname "$0")/.." || exit 2
MESHC=${MESHC:-$(pwd)/meshc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL scaling: $1"; }

N=${SCALING_N:-1500}

# gen FAMILY N: a config of that shape on standard output.
gen() {
	awk -v fam="$1" -v n="$2" '
	function svc(name, ns) {
		printf "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  selector:\n    app: %s\n  ports:\n  - name: http\n    port: 80\n", name, ns, name
	}
	BEGIN {
		if (fam == "vs") {
			# N mesh VirtualServices on one host (IST0109), each
			# routing to it with a subset (IST0101 lookups, subset marks).
			svc("shared", "shop")
			printf "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: shared\n  namespace: shop\nspec:\n  host: shared\n  subsets:\n  - name: v1\n    labels:\n      version: v1\n"
			for (i = 0; i < n; i++)
				printf "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: vs-%d\n  namespace: shop\nspec:\n  hosts:\n  - shared\n  http:\n  - route:\n    - destination:\n        host: shared\n        subset: v1\n", i
		} else if (fam == "vs-gw") {
			# N VirtualServices bound to one Gateway route to a host
			# whose sidecar rule splits it by subsets (IST0140).
			printf "---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: shop\n  namespace: shop\nspec:\n  hosts:\n  - shop.example.com\n  location: MESH_INTERNAL\n  resolution: DNS\n  ports:\n  - number: 80\n    name: http\n    protocol: HTTP\n"
			printf "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: shop\n  namespace: shop\nspec:\n  host: shop.example.com\n  subsets:\n  - name: v1\n    labels:\n      version: v1\n"
			printf "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: mesh\n  namespace: shop\nspec:\n  hosts:\n  - shop.example.com\n  http:\n  - route:\n    - destination:\n        host: shop.example.com\n        subset: v1\n"
			printf "---\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: gw\n  namespace: shop\nspec:\n  selector:\n    istio: ingressgateway\n  servers:\n  - port:\n      number: 80\n      name: http\n      protocol: HTTP\n    hosts:\n    - \"*\"\n"
			for (i = 0; i < n; i++)
				printf "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: edge-%d\n  namespace: shop\nspec:\n  hosts:\n  - shop.example.com\n  gateways:\n  - gw\n  http:\n  - route:\n    - destination:\n        host: shop.example.com\n", i
		} else if (fam == "dr") {
			# N DestinationRules on one host, N wildcard ones, and
			# routes naming their subsets.
			svc("shared", "shop")
			for (i = 0; i < n; i++) {
				printf "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: dr-%d\n  namespace: ns-%d\nspec:\n  host: shared.shop.svc.cluster.local\n  exportTo: [\".\"]\n  subsets:\n  - name: s%d\n    labels:\n      version: v%d\n", i, i, i, i
				printf "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: wild-%d\n  namespace: shop\nspec:\n  host: \"*.w%d.example.com\"\n", i, i
				svc("svc-" i, "shop")
			}
			printf "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: router\n  namespace: shop\nspec:\n  hosts:\n  - router\n  http:\n"
			for (i = 0; i < n; i++)
				printf "  - route:\n    - destination:\n        host: shared\n        subset: s%d\n", i
		} else if (fam == "gw") {
			# N Gateways on one port and host with one selector
			# (IST0145), all sharing one certificate (IST0138).
			for (i = 0; i < n; i++)
				printf "---\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: gw-%d\n  namespace: edge\nspec:\n  selector:\n    istio: ingressgateway\n  servers:\n  - port:\n      number: 443\n      name: https\n      protocol: HTTPS\n    hosts:\n    - shop.example.com\n    tls:\n      mode: SIMPLE\n      credentialName: shop-cert\n", i
		} else if (fam == "gw-sel") {
			# N Gateways on one port and host, each with its own selector.
			for (i = 0; i < n; i++)
				printf "---\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: gw-%d\n  namespace: edge\nspec:\n  selector:\n    istio: gw-%d\n  servers:\n  - port:\n      number: 443\n      name: https\n      protocol: HTTPS\n    hosts:\n    - shop.example.com\n    tls:\n      mode: SIMPLE\n      credentialName: cert-%d\n", i, i, i
		} else if (fam == "se") {
			# N ServiceEntries on one host and port with two protocols
			# (IST0177), each exported to its own namespace.
			for (i = 0; i < n; i++)
				printf "---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: se-%d\n  namespace: ext\nspec:\n  hosts:\n  - api.example.com\n  exportTo: [\"*\", \"ns-%d\"]\n  location: MESH_EXTERNAL\n  resolution: DNS\n  ports:\n  - number: 443\n    name: p\n    protocol: %s\n", i, i, (i % 2) ? "TLS" : "HTTPS"
		} else if (fam == "pods") {
			# N Pods of one workload, N Services selecting it, N rules
			# whose subset no pod carries (IST0173), N Gateways selecting it.
			for (i = 0; i < n; i++) {
				printf "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-%d\n  namespace: shop\n  labels:\n    app: web\n    version: v1\nspec:\n  containers:\n  - name: c\n    image: web\n", i
				printf "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web-%d\n  namespace: shop\nspec:\n  selector:\n    app: web\n  ports:\n  - name: http\n    port: 80\n", i
				printf "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: web-%d\n  namespace: shop\nspec:\n  host: web-%d\n  subsets:\n  - name: v2\n    labels:\n      version: v2\n", i, i
				printf "---\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: gw-%d\n  namespace: shop\nspec:\n  selector:\n    app: web\n  servers:\n  - port:\n      number: 80\n      name: http\n      protocol: HTTP\n    hosts:\n    - \"h%d.example.com\"\n", i, i
			}
		} else if (fam == "gwapi-gws") {
			# N Gateway API Gateways, each with a route attached to it
			# and to the next one, whose listener hostname it misses
			# (MSH0612): parents found per reference.
			for (i = 0; i < n; i++) {
				printf "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: gw-%d\n  namespace: edge\nspec:\n  gatewayClassName: istio\n  listeners:\n  - name: web\n    port: 80\n    protocol: HTTP\n    hostname: \"*.d%d.example.com\"\n    allowedRoutes:\n      namespaces:\n        from: All\n", i, i
				svc("svc-" i, "shop")
				printf "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: r-%d\n  namespace: shop\nspec:\n  parentRefs:\n  - name: gw-%d\n    namespace: edge\n  - name: gw-%d\n    namespace: edge\n  hostnames: [\"h.d%d.example.com\"]\n  rules:\n  - backendRefs:\n    - name: svc-%d\n      port: 80\n", i, i, (i + 1) % n, i, i
			}
		} else if (fam == "gwapi") {
			# The Gateway API conversion: N HTTPRoutes on one Gateway,
			# each to its own Service (lookups, the merge of routes per
			# host), a VirtualService on that Gateway sharing the
			# host of one route (MSH0621), a route to no Service (MSH0614).
			printf "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: gw\n  namespace: edge\nspec:\n  gatewayClassName: istio\n  listeners:\n  - name: web\n    port: 80\n    protocol: HTTP\n    allowedRoutes:\n      namespaces:\n        from: All\n"
			printf "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: mixed\n  namespace: edge\nspec:\n  hosts:\n  - h0.example.com\n  gateways:\n  - gw\n  http:\n  - route:\n    - destination:\n        host: svc-0.shop.svc.cluster.local\n"
			printf "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: lost\n  namespace: shop\nspec:\n  parentRefs:\n  - name: gw\n    namespace: edge\n  hostnames: [\"lost.example.com\"]\n  rules:\n  - backendRefs:\n    - name: missing\n      port: 80\n"
			for (i = 0; i < n; i++) {
				svc("svc-" i, "shop")
				printf "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: r-%d\n  namespace: shop\nspec:\n  parentRefs:\n  - name: gw\n    namespace: edge\n  hostnames: [\"h%d.example.com\"]\n  rules:\n  - backendRefs:\n    - name: svc-%d\n      port: 80\n", i, i, i
			}
		}
	}'
}

# --gen DIR N: only write each family's config at N into DIR (bench/compare.sh).
if [ "${1:-}" = --gen ]; then
	for f in vs vs-gw dr gw gw-sel se pods gwapi gwapi-gws; do
		gen "$f" "$3" >"$2/$f.yaml"
	done
	exit 0
fi

# cpu FILE: the least CPU seconds (user + system) of three `meshc check`
# runs on FILE, as "S.SSS".
cpu() {
	best=
	for _ in 1 2 3; do
		t=$( ( "$MESHC" check -j 2 "$1" >"$tmp/out" 2>&1; times ) | tail -1)
		s=$(echo "$t" | awk '{
			s = 0
			for (i = 1; i <= 2; i++) {
				split($i, a, "m"); sub(/s$/, "", a[2]); s += a[1] * 60 + a[2]
			}
			printf "%.3f", s }')
		if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$s
		fi
	done
	echo "$best"
}

# family NAME CODE...: fn (N unless set) and 4fn, the time ratio, and the
# codes expected. Families whose check takes a few hundredths of a second
# at N run at a larger fn, where the timer and the other load on the
# machine no longer decide the ratio.
family() {
	f=$1
	shift
	n=${fn:-$N}
	gen "$f" "$n" >"$tmp/$f-1.yaml"
	gen "$f" $((n * 4)) >"$tmp/$f-4.yaml"
	t1=$(cpu "$tmp/$f-1.yaml")
	t4=$(cpu "$tmp/$f-4.yaml")
	for code in "$@"; do
		grep -q "$code" "$tmp/out" && ok || bad "$f: no $code at 4N (the shape misses the analyzer)"
	done
	if awk -v a="$t1" -v b="$t4" 'BEGIN { exit !(b <= 8 * a + 0.15) }'; then
		ok
		echo "scaling $f: N=$n ${t1}s, 4N ${t4}s"
	else
		bad "$f: N=$n ${t1}s, 4N ${t4}s: more than 8x for 4x the resources"
	fi
}

family vs IST0109
family vs-gw IST0140
family dr IST0174
family gw IST0145 IST0138
family gw-sel
family se IST0177
family pods IST0173
fn=$((N * 4))
family gwapi MSH0621 MSH0614
fn=
family gwapi-gws MSH0612
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
