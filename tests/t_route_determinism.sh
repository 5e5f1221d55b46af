#!/bin/sh
# meshc compile beyond the golden cases: the same input in any file or
# document order gives the byte-identical table; a config with errors is
# refused without touching an existing output file (and leaves no
# temporary file behind); a compiled table dumps exactly as its config
# does; damaged tables (truncated, a flipped byte anywhere, wrong magic,
# empty) are rejected by query, dump and test with exit 2.
set -u
cd "$(dirname "$0")/.." || exit 2
MESHC=${MESHC:-$(pwd)/meshc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL route-determinism: $1"; }

# Split a multi-document config into one file per document (d000.yaml ...).
split_docs() {   # split_docs CONFIG DIR
	mkdir -p "$2"
	awk -v dir="$2" 'BEGIN { n = 0; f = sprintf("%s/d%03d.yaml", dir, n) }
		/^---$/ { n++; f = sprintf("%s/d%03d.yaml", dir, n); next }
		{ print > f }' "$1"
}

# routefid/determinism: default TLS routes of several registry services on
# one port and a host defined twice, several DestinationRules of one host
# (their order once followed the input's).
for dir in routeqa/actions routeqa/delegate routeqa/merge routeqa/l4 routefid/determinism routefid/mesh routefid/drmerge; do
	topic=${dir##*/}
	cfg=testdata/$dir/config.yaml
	[ -f "$cfg" ] || { bad "$topic: $cfg missing"; continue; }
	"$MESHC" compile -o "$tmp/$topic.ref.mrt" "$cfg" 2>"$tmp/err" || { bad "$topic: compile failed"; cat "$tmp/err"; continue; }
	split_docs "$cfg" "$tmp/$topic.docs"
	files=$(ls "$tmp/$topic.docs"/*.yaml)
	# Files in reverse order, then rotated by two, on the command line.
	rev=$(printf '%s\n' $files | sort -r)
	rot=$(printf '%s\n' $files | awk 'NR > 2 { print } NR <= 2 { k[NR] = $0 } END { for (i = 1; i <= 2; i++) if (i in k) print k[i] }')
	"$MESHC" compile -o "$tmp/$topic.rev.mrt" $rev 2>/dev/null &&
		cmp -s "$tmp/$topic.ref.mrt" "$tmp/$topic.rev.mrt" && ok || bad "$topic: reversed file order changes the table"
	"$MESHC" compile -o "$tmp/$topic.rot.mrt" $rot 2>/dev/null &&
		cmp -s "$tmp/$topic.ref.mrt" "$tmp/$topic.rot.mrt" && ok || bad "$topic: rotated file order changes the table"
	# All documents in one file, in reverse order.
	for f in $rev; do cat "$f"; echo '---'; done >"$tmp/$topic.all.yaml"
	"$MESHC" compile -o "$tmp/$topic.docs.mrt" "$tmp/$topic.all.yaml" 2>/dev/null &&
		cmp -s "$tmp/$topic.ref.mrt" "$tmp/$topic.docs.mrt" && ok || bad "$topic: reversed document order changes the table"
	# A directory of the same files.
	"$MESHC" compile -o "$tmp/$topic.dir.mrt" "$tmp/$topic.docs" 2>/dev/null &&
		cmp -s "$tmp/$topic.ref.mrt" "$tmp/$topic.dir.mrt" && ok || bad "$topic: a directory input changes the table"
	# Compile twice: byte-identical.
	"$MESHC" compile -o "$tmp/$topic.again.mrt" "$cfg" 2>/dev/null &&
		cmp -s "$tmp/$topic.ref.mrt" "$tmp/$topic.again.mrt" && ok || bad "$topic: a second compile differs"
	# The compiled table dumps exactly as the config does.
	"$MESHC" dump "$cfg" >"$tmp/$topic.cfg.json" 2>/dev/null
	"$MESHC" dump "$tmp/$topic.ref.mrt" >"$tmp/$topic.mrt.json" 2>/dev/null
	[ -s "$tmp/$topic.cfg.json" ] && cmp -s "$tmp/$topic.cfg.json" "$tmp/$topic.mrt.json" && ok ||
		bad "$topic: dump of the table differs from dump of the config"
done

# The mesh is built on several threads (route_mesh.c): the table and the
# warnings must not depend on the number of jobs. 300 VirtualServices span
# several chunks; with Services their routes bind to ports (no warnings),
# without them every destination lacks a port (MSH0401) and some delegates
# are missing (MSH0402), which makes the build start over alone.
gen_mesh() {   # gen_mesh WITH_SERVICES
	i=1
	while [ $i -le 300 ]; do
		printf 'apiVersion: networking.istio.io/v1\nkind: VirtualService\n'
		printf 'metadata: {name: vs%d, namespace: ns%d,\n' $i $((i % 7))
		printf '  annotations: {galley.istio.io/analyze-suppress: IST0109}}\n'
		# With services, a second host another VirtualService also
		# claims: the first by name wins, whichever thread built it.
		k=$(( (i * 7) % 300 + 1 ))
		if [ "$1" = 0 ]; then
			printf 'spec:\n  hosts: [svc%d]\n  http:\n' $i
		else
			printf 'spec:\n  hosts: [svc%d, svc%d.ns%d.svc.cluster.local]\n  http:\n' $i $k $((k % 7))
		fi
		if [ "$1" = 0 ]; then
			printf '  - route:\n    - destination: {host: svc%d}\n' $((i + 1))
			[ $((i % 50)) = 0 ] && printf '  - delegate: {name: missing%d}\n' $i
			printf -- '---\n'
		else
			printf '  - match: [{uri: {prefix: /v%d}}]\n' $i
			printf '    route:\n    - destination: {host: svc%d, subset: v1}\n' $i
			printf '  - route:\n    - destination: {host: svc%d}\n' $i
			printf -- '---\n'
			printf 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\n'
			printf 'metadata: {name: dr%d, namespace: ns%d}\n' $i $((i % 7))
			printf 'spec:\n  host: svc%d\n' $i
			printf '  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}\n'
			printf '  subsets: [{name: v1, labels: {v: "1"}}]\n---\n'

			printf 'apiVersion: v1\nkind: Service\n'
			printf 'metadata: {name: svc%d, namespace: ns%d}\n' $i $((i % 7))
			printf 'spec:\n  ports: [{name: http, port: %d}]\n---\n' $((8000 + i % 3))
		fi
		i=$((i + 1))
	done
}
for svc in 0 1; do
	gen_mesh $svc >"$tmp/jobs$svc.yaml"
	"$MESHC" compile -j 1 -o "$tmp/jobs$svc.1.mrt" "$tmp/jobs$svc.yaml" 2>"$tmp/jobs$svc.1.err"
	"$MESHC" compile -j 2 -o "$tmp/jobs$svc.2.mrt" "$tmp/jobs$svc.yaml" 2>"$tmp/jobs$svc.2.err"
	"$MESHC" compile -j 5 -o "$tmp/jobs$svc.5.mrt" "$tmp/jobs$svc.yaml" 2>"$tmp/jobs$svc.5.err"
	[ -s "$tmp/jobs$svc.1.mrt" ] && cmp -s "$tmp/jobs$svc.1.mrt" "$tmp/jobs$svc.2.mrt" &&
		cmp -s "$tmp/jobs$svc.1.mrt" "$tmp/jobs$svc.5.mrt" && ok ||
		bad "mesh (services: $svc): the table depends on --jobs"
	cmp -s "$tmp/jobs$svc.1.err" "$tmp/jobs$svc.2.err" &&
		cmp -s "$tmp/jobs$svc.1.err" "$tmp/jobs$svc.5.err" && ok ||
		bad "mesh (services: $svc): the warnings depend on --jobs"
done
# Gateways: 40 servers over several worker runs, each VirtualService bound
# to two gateways, so a virtual host merges the routes of two
# VirtualServices (in the order the serial build appends them).
i=1
while [ $i -le 40 ]; do
	n=$((i % 40 + 1))
	printf 'apiVersion: networking.istio.io/v1\nkind: Gateway\n'
	printf 'metadata: {name: g%d, namespace: gw}\n' $i
	printf 'spec:\n  selector: {istio: ingress}\n  servers:\n'
	printf '  - port: {number: 443, name: https, protocol: HTTPS}\n'
	printf '    hosts: ["*.g%d.example.com"]\n    tls: {mode: SIMPLE, credentialName: c%d}\n' $i $i
	printf -- '---\n'
	printf 'apiVersion: networking.istio.io/v1\nkind: VirtualService\n'
	printf 'metadata: {name: v%d, namespace: gw,\n' $i
	printf '  annotations: {galley.istio.io/analyze-suppress: IST0109}}\n'
	printf 'spec:\n  hosts: [h.g%d.example.com, h.g%d.example.com]\n' $i $n
	printf '  gateways: [g%d, g%d]\n  http:\n' $i $n
	printf '  - match: [{uri: {prefix: /v%d}}]\n' $i
	printf '    route:\n    - destination: {host: b%d.example.com, port: {number: 80}}\n' $i
	printf -- '---\n'
	i=$((i + 1))
done >"$tmp/gw.yaml"
"$MESHC" compile -j 1 -o "$tmp/gw.1.mrt" "$tmp/gw.yaml" 2>"$tmp/gw.1.err"
"$MESHC" compile -j 2 -o "$tmp/gw.2.mrt" "$tmp/gw.yaml" 2>"$tmp/gw.2.err"
"$MESHC" compile -j 5 -o "$tmp/gw.5.mrt" "$tmp/gw.yaml" 2>"$tmp/gw.5.err"
[ -s "$tmp/gw.1.mrt" ] && cmp -s "$tmp/gw.1.mrt" "$tmp/gw.2.mrt" && cmp -s "$tmp/gw.1.mrt" "$tmp/gw.5.mrt" &&
	cmp -s "$tmp/gw.1.err" "$tmp/gw.2.err" && cmp -s "$tmp/gw.1.err" "$tmp/gw.5.err" && ok ||
	bad "gateways: the table or the warnings depend on --jobs"
grep -q MSH0401 "$tmp/jobs0.1.err" && grep -q MSH0402 "$tmp/jobs0.1.err" && ok ||
	bad "mesh without services: MSH0401 and MSH0402 expected"
grep -q MSH04 "$tmp/jobs1.1.err" && bad "mesh with services: unexpected warnings" || ok
# Whatever thread built it, each host goes to the first VirtualService
# by name that claims it (vsK, and vsI with I*7%300+1 = K).
for j in 1 2; do
	"$MESHC" dump -o text "$tmp/jobs1.$j.mrt" | awk '
	BEGIN { bad = 0; n = 0 }
	/^  host svc[0-9]+\./ {
		h = $2; sub(/^svc/, "", h); sub(/\..*/, "", h)
		first[h] = $4
	}
	/^route [0-9]+: / { r = $2; sub(/:$/, "", r); vs = $3; sub(/^.*\//, "", vs); owner[r] = vs }
	END {
		for (k in first) {
			want = "vs" k
			for (i = 1; i <= 300; i++)
				if ((i * 7) % 300 + 1 == k + 0 && "vs" i < want)
					want = "vs" i
			n++
			if (owner[first[k]] != want) { bad++; if (bad < 4) print "host svc" k ": " owner[first[k]] ", want " want }
		}
		if (n != 300) { print "hosts: " n ", want 300"; bad++ }
		exit bad > 0
	}
' && ok || bad "mesh (-j $j): a host does not go to its first VirtualService"
done

# Refusal: errors leave an existing output untouched and no temporary file.
mkdir -p "$tmp/out"
echo "previous table" >"$tmp/out/table.mrt"
cp "$tmp/out/table.mrt" "$tmp/keep"
cat >"$tmp/broken.yaml" <<'YAML'
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: broken, namespace: qa}
spec:
  hosts: [web.example.org]
  http:
  - route:
    - destination: {host: web.example.org}
      weight: "50"
YAML
"$MESHC" compile -o "$tmp/out/table.mrt" "$tmp/broken.yaml" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc = 1 ] && ok || bad "compile of a broken config: exit $rc, want 1"
cmp -s "$tmp/keep" "$tmp/out/table.mrt" && ok || bad "a refused compile touched the existing output"
[ "$(ls -A "$tmp/out")" = "table.mrt" ] && ok || bad "a refused compile left files: $(ls -A "$tmp/out" | tr '\n' ' ')"
grep -q "not written" "$tmp/err" && ok || bad "a refused compile does not say the output was not written"
# Success replaces it, again leaving nothing else behind.
"$MESHC" compile -o "$tmp/out/table.mrt" testdata/routeqa/actions/config.yaml 2>/dev/null &&
	cmp -s "$tmp/actions.ref.mrt" "$tmp/out/table.mrt" && ok || bad "a successful compile did not replace the output"
[ "$(ls -A "$tmp/out")" = "table.mrt" ] && ok || bad "a successful compile left files: $(ls -A "$tmp/out" | tr '\n' ' ')"
# An unwritable output directory is exit 2.
"$MESHC" compile -o "$tmp/missing/dir/t.mrt" testdata/routeqa/actions/config.yaml >/dev/null 2>&1
rc=$?
[ $rc = 2 ] && ok || bad "compile to a missing directory: exit $rc, want 2"

# Damaged tables: query, dump and test exit 2 with a message, never crash.
ref=$tmp/actions.ref.mrt
size=$(wc -c <"$ref")
printf 'tests: []\n' >"$tmp/empty.cases"
reject() {   # reject NAME FILE: every reader refuses FILE with exit 2
	for cmd in "query $2 --host www.example.org --gateway act/gw --port 80" "dump $2" "dump -o text $2" "test $2 $tmp/empty.cases"; do
		"$MESHC" $cmd >/dev/null 2>"$tmp/err"
		rc=$?
		if [ $rc = 2 ] && [ -s "$tmp/err" ]; then ok; else bad "$1: meshc ${cmd%% *}: exit $rc, want 2 with a message"; fi
	done
}
for cut in 0 8 100 176 $((size / 2)) $((size - 8)) $((size - 1)); do
	head -c "$cut" "$ref" >"$tmp/trunc.mrt"
	reject "truncated to $cut bytes" "$tmp/trunc.mrt"
done
head -c $((size + 0)) "$ref" >"$tmp/long.mrt"; printf 'x' >>"$tmp/long.mrt"
reject "one byte appended" "$tmp/long.mrt"
# Flip one byte at offsets spread over the whole file (header and body).
# Every header field (magic, version, byte order, flags, sizes, checksum,
# section count, domain, section table, unused entries), then offsets
# spread over the body.
step=$((size / 23))
[ $step -gt 0 ] || step=1
offsets="0 7 8 12 16 20 24 32 39 40 44 48 52 60 100 150 170 175"
off=176
while [ $off -lt $size ]; do
	offsets="$offsets $off"
	off=$((off + step))
done
for off in $offsets; do
	cp "$ref" "$tmp/flip.mrt"
	b=$(od -An -tu1 -j $off -N1 "$ref" | tr -d ' ')
	printf "$(printf '\\%03o' $(( (b + 1) % 256 )))" | dd of="$tmp/flip.mrt" bs=1 seek=$off conv=notrunc 2>/dev/null
	if cmp -s "$ref" "$tmp/flip.mrt"; then bad "could not flip byte $off"; else reject "byte $off flipped" "$tmp/flip.mrt"; fi
done

echo "route-determinism: $pass passed, $fail failed"
[ $fail = 0 ]
