/*
 * Unit tests of the schema layer (compiler/schema.c): the generated tables
 * are well formed, and each class of check reports the right message at
 * the right node, with no report on the near miss.
 */
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "compiler.h"
#include "schema.h"
#include "unit.h"
#include "unit_yaml.h"

/* Parses `text`, builds its resources and runs schema_check on each. */
static struct unit_yaml *check(const char *text)
{
	struct unit_yaml *p = unit_yaml_parse(text);
	resources_from_unit(&p->u, &p->opt);
	for (size_t i = 0; i < p->u.nres; i++)
		schema_check(&p->d, p->u.res[i]);
	return p;
}

/* The diagnostic whose path is `path` (NULL: without a path), or NULL. */
static const struct diag *at_path(const struct unit_yaml *p, const char *path)
{
	for (size_t i = 0; i < p->d.n; i++) {
		const char *dp = p->d.items[i].path;
		if ((!path && !dp) || (path && dp && strcmp(dp, path) == 0))
			return &p->d.items[i];
	}
	return NULL;
}

/* Every schema diagnostic message, for failure output. */
static void dump(const struct unit_yaml *p)
{
	for (size_t i = 0; i < p->d.n; i++)
		fprintf(stderr, "    %u:%u %s: %s\n", p->d.items[i].line,
			p->d.items[i].col, p->d.items[i].path ? p->d.items[i].path : "-",
			p->d.items[i].message);
}

/*
 * Checks that `text` gives exactly one schema diagnostic, at `path`,
 * line:col, with message "Schema validation error: " + msg.
 */
#define EXPECT_ONE(text, path, line_, col_, msg) do { \
	struct unit_yaml *r_ = check(text); \
	CHECK(r_->d.n == 1); \
	const struct diag *d_ = at_path(r_, path); \
	CHECK(d_ != NULL); \
	if (d_) { \
		CHECK(d_->line == (line_)); \
		CHECK(d_->col == (col_)); \
		CHECK_STR(d_->message + strlen("Schema validation error: "), msg); \
		CHECK(d_->code == IST0106); \
	} \
	if (r_->d.n != 1 || !d_) \
		dump(r_); \
	unit_yaml_free(r_); \
} while (0)

#define EXPECT_CLEAN(text) do { \
	struct unit_yaml *r_ = check(text); \
	CHECK(r_->d.n == 0); \
	if (r_->d.n) \
		dump(r_); \
	unit_yaml_free(r_); \
} while (0)

#define VS "apiVersion: networking.istio.io/v1\nkind: VirtualService\n" \
	"metadata:\n  name: r\nspec:\n  hosts: [r]\n"
#define DR "apiVersion: networking.istio.io/v1\nkind: DestinationRule\n" \
	"metadata:\n  name: r\nspec:\n  host: r\n"
#define SE "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\n" \
	"metadata:\n  name: e\nspec:\n  hosts: [example.com]\n"
#define GW "apiVersion: networking.istio.io/v1\nkind: Gateway\n" \
	"metadata:\n  name: g\nspec:\n"
#define SVC "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n"

static void test_tables(void)
{
	const char *kinds[] = { "VirtualService", "DestinationRule", "Gateway",
				"ServiceEntry", "Service", "ObjectMeta" };
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		CHECK(schema_root_for(kinds[i]) != NULL);
	CHECK(schema_root_for("Pod") == NULL);
	CHECK(schema_root_for(NULL) == NULL);
	bool sorted = true, linked = true;
	for (size_t i = 1; i < schema_nnodes; i++) {
		const struct schema_node *s = &schema_nodes[i];
		for (unsigned j = 0; j < s->nprops; j++) {
			const struct schema_prop *p = &schema_props[s->props + j];
			if (p->node == 0 || p->node >= schema_nnodes ||
			    strlen(p->name) != p->len)
				linked = false;
			if (j && strcmp(schema_props[s->props + j - 1].name, p->name) >= 0)
				sorted = false;
		}
		if ((s->type == ST_ARRAY && (s->child == 0 || s->child >= schema_nnodes)))
			linked = false;
	}
	CHECK(sorted);
	CHECK(linked);
	const struct schema_node *vs = schema_root_for("VirtualService");
	const struct schema_prop *spec = schema_find_prop(vs, "spec", 4);
	CHECK(spec != NULL);
	CHECK(schema_find_prop(vs, "spe", 3) == NULL);
	CHECK(schema_find_prop(vs, "specs", 5) == NULL);
	const struct schema_node *sp = &schema_nodes[spec->node];
	CHECK(schema_find_prop(sp, "http", 4) != NULL);
	CHECK(schema_find_prop(sp, "exportTo", 8) != NULL);
}

static void test_edit_distance(void)
{
	CHECK(schema_edit_distance("rout", 4, "route", 3) == 1);
	CHECK(schema_edit_distance("ab", 2, "ba", 3) == 1);
	CHECK(schema_edit_distance("route", 5, "route", 3) == 0);
	CHECK(schema_edit_distance("abcdefgh", 8, "xyz", 2) == 3);
	CHECK(schema_edit_distance("kitten", 6, "sitting", 5) == 3);
	const struct schema_node *vs = schema_root_for("VirtualService");
	CHECK_STR(schema_suggest(vs, "spce", 4), "spec");
	CHECK_STR(schema_suggest(vs, "Metadata", 8), "metadata");
	CHECK(schema_suggest(vs, "zzzzzz", 6) == NULL);
}

static void test_formats(void)
{
	CHECK(schema_is_base64("", 0));
	CHECK(schema_is_base64("YWJj", 4));
	CHECK(schema_is_base64("YWI=", 4));
	CHECK(schema_is_base64("YQ==", 4));
	CHECK(!schema_is_base64("YWJ", 3));
	CHECK(!schema_is_base64("Y=Jj", 4));
	CHECK(!schema_is_base64("YW-j", 4));
	CHECK(!schema_is_base64("Y===", 4));
	CHECK(schema_is_date_time("2024-01-02T03:04:05Z", 20));
	CHECK(schema_is_date_time("2024-01-02T03:04:05.123+02:00", 29));
	CHECK(!schema_is_date_time("2024-01-02 03:04:05Z", 20));
	CHECK(!schema_is_date_time("2024-13-02T03:04:05Z", 20));
	CHECK(!schema_is_date_time("2024-01-02T03:04:05", 19));
}

static void test_unknown_field(void)
{
	EXPECT_ONE(VS "  http:\n  - rout:\n    - destination:\n        host: r\n",
		   "spec.http[0].rout", 8, 5, "unknown field \"rout\", did you mean \"route\"?");
	EXPECT_ONE(VS "  http:\n  - route:\n    - destination:\n        host: r\n      wieght: 5\n",
		   "spec.http[0].route[0].wieght", 11, 7,
		   "unknown field \"wieght\", did you mean \"weight\"?");
	EXPECT_ONE(VS "  http:\n  - route:\n    - destination:\n        host: r\n      colour: 5\n",
		   "spec.http[0].route[0].colour", 11, 7, "unknown field \"colour\"");
	/* Top level: only apiVersion, kind, metadata, spec, status. */
	EXPECT_ONE(VS "_err: x\n", "_err", 7, 1, "unknown field \"_err\"");
	EXPECT_ONE("apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
		   "metadata:\n  name: r\nhosts: [r]\n",
		   "hosts", 5, 1, "unknown field \"hosts\" (does it belong under \"spec\"?)");
	/* Both proto and JSON names, as the CRD lists both. */
	EXPECT_CLEAN(VS "  http:\n  - mirror:\n      host: m\n    mirror_percent: 5\n"
		     "    route:\n    - destination:\n        host: r\n");
	EXPECT_CLEAN(VS "  http:\n  - mirror:\n      host: m\n    mirrorPercent: 5\n"
		     "    route:\n    - destination:\n        host: r\n");
	EXPECT_CLEAN(VS "status:\n  anything: [1, 2]\n  conditions: []\n");
}

static void test_types(void)
{
	EXPECT_ONE(VS "  http:\n  - route:\n    - destination:\n        host: r\n      weight: \"50\"\n",
		   "spec.http[0].route[0].weight", 11, 15,
		   "expected integer, got string \"50\" (remove the quotes)");
	EXPECT_CLEAN(VS "  http:\n  - route:\n    - destination:\n        host: r\n      weight: 50\n");
	EXPECT_ONE(VS "  http:\n  - route:\n    - destination:\n        host: r\n      weight: 50.0\n",
		   "spec.http[0].route[0].weight", 11, 15, "expected integer, got number 50.0");
	EXPECT_ONE(DR "  subsets:\n  - name: v1\n    labels:\n      canary: yes\n",
		   "spec.subsets[0].labels.canary", 10, 15,
		   "expected string, got boolean yes (YAML 1.1 reads unquoted yes as a boolean; quote it: \"yes\")");
	EXPECT_CLEAN(DR "  subsets:\n  - name: v1\n    labels:\n      canary: \"yes\"\n");
	EXPECT_ONE(DR "  subsets:\n  - name: v1\n    labels:\n      version: 2\n",
		   "spec.subsets[0].labels.version", 10, 16,
		   "expected string, got integer 2 (quote it: \"2\")");
	EXPECT_ONE(VS "  http: {}\n", "spec.http", 7, 9, "expected list, got map");
	EXPECT_ONE(VS "  gateways: [mesh, 5]\n", "spec.gateways[1]", 7, 20,
		   "expected string, got integer 5 (quote it: \"5\")");
	EXPECT_ONE(DR "  trafficPolicy:\n    connectionPool:\n      http:\n        useClientProtocol: \"true\"\n",
		   "spec.trafficPolicy.connectionPool.http.useClientProtocol", 10, 28,
		   "expected boolean, got string \"true\" (remove the quotes)");
	/* Null values count as absent. */
	EXPECT_CLEAN(VS "  http:\n  - timeout: ~\n    route:\n    - destination:\n        host: r\n");
	EXPECT_CLEAN(VS "  gateways:\n");
}

static void test_enum(void)
{
	EXPECT_ONE(DR "  trafficPolicy:\n    loadBalancer:\n      simple: 2\n",
		   "spec.trafficPolicy.loadBalancer.simple", 9, 15,
		   "expected string, got integer 2 (enum values are written by name: \"RANDOM\")");
	EXPECT_ONE(DR "  trafficPolicy:\n    loadBalancer:\n      simple: ROUND_ROBBIN\n",
		   "spec.trafficPolicy.loadBalancer.simple", 9, 15,
		   "unsupported value \"ROUND_ROBBIN\", did you mean \"ROUND_ROBIN\"? (one of "
		   "\"UNSPECIFIED\", \"LEAST_CONN\", \"RANDOM\", \"PASSTHROUGH\", \"ROUND_ROBIN\", \"LEAST_REQUEST\")");
	EXPECT_ONE(DR "  trafficPolicy:\n    tls:\n      mode: strict\n",
		   "spec.trafficPolicy.tls.mode", 9, 13,
		   "unsupported value \"strict\": expected one of \"DISABLE\", \"SIMPLE\", \"MUTUAL\", \"ISTIO_MUTUAL\"");
	EXPECT_CLEAN(DR "  trafficPolicy:\n    loadBalancer:\n      simple: ROUND_ROBIN\n");
}

static void test_required(void)
{
	EXPECT_ONE(VS "  http:\n  - route:\n    - weight: 100\n",
		   "spec.http[0].route[0]", 9, 7, "missing required field \"destination\"");
	EXPECT_ONE(DR "  trafficPolicy:\n    loadBalancer:\n      warmup:\n        minimumPercent: 5.0\n",
		   "spec.trafficPolicy.loadBalancer.warmup", 9, 7,
		   "missing required field \"duration\"");
	EXPECT_ONE("apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: e\n",
		   NULL, 1, 1, "missing required field \"spec\"");
	EXPECT_ONE("apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: e\nspec: {}\n",
		   "spec", 5, 1, "missing required field \"hosts\"");
	EXPECT_ONE(VS "  http:\n  - route:\n    - destination:\n",
		   "spec.http[0].route[0].destination", 9, 7,
		   "required field \"destination\" is null");
}

static void test_oneof(void)
{
	EXPECT_ONE(VS "  http:\n  - match:\n    - uri:\n        exact: /a\n        prefix: /b\n"
		   "    route:\n    - destination:\n        host: r\n",
		   "spec.http[0].match[0].uri.prefix", 11, 9,
		   "\"prefix\" cannot be set together with \"exact\" (at most one of \"exact\", \"prefix\", \"regex\")");
	EXPECT_CLEAN(VS "  http:\n  - match:\n    - uri:\n        prefix: /b\n"
		     "    route:\n    - destination:\n        host: r\n");
	/* consistentHash has two independent groups. */
	EXPECT_CLEAN(DR "  trafficPolicy:\n    loadBalancer:\n      consistentHash:\n"
		     "        httpHeaderName: x-user\n        ringHash:\n          minimumRingSize: 1024\n");
	EXPECT_ONE(DR "  trafficPolicy:\n    loadBalancer:\n      consistentHash:\n"
		   "        useSourceIp: true\n        httpHeaderName: x-user\n",
		   "spec.trafficPolicy.loadBalancer.consistentHash.httpHeaderName", 11, 9,
		   "\"httpHeaderName\" cannot be set together with \"useSourceIp\" (at most one of "
		   "\"httpCookie\", \"httpHeaderName\", \"httpQueryParameterName\", \"useSourceIp\")");
}

static void test_ranges(void)
{
	EXPECT_ONE(DR "  trafficPolicy:\n    loadBalancer:\n      warmup:\n        duration: 300s\n"
		   "        minimumPercent: 150.0\n",
		   "spec.trafficPolicy.loadBalancer.warmup.minimumPercent", 11, 25,
		   "value 150.0 is greater than the maximum 100");
	EXPECT_ONE(DR "  trafficPolicy:\n    loadBalancer:\n      warmup:\n        duration: 300s\n"
		   "        aggression: -0.1\n",
		   "spec.trafficPolicy.loadBalancer.warmup.aggression", 11, 21,
		   "value -0.1 is less than the minimum 0");
	EXPECT_ONE(VS "  http:\n  - route:\n    - destination:\n        host: r\n        port:\n"
		   "          number: -1\n",
		   "spec.http[0].route[0].destination.port.number", 12, 19,
		   "value -1 is less than the minimum 0");
	EXPECT_ONE(VS "  http:\n  - retries:\n      attempts: 3000000000\n    route:\n"
		   "    - destination:\n        host: r\n",
		   "spec.http[0].retries.attempts", 9, 17,
		   "value 3000000000 does not fit in a 32-bit integer");
	EXPECT_CLEAN(DR "  trafficPolicy:\n    loadBalancer:\n      consistentHash:\n"
		     "        httpHeaderName: x\n        minimumRingSize: 18446744073709551615\n");
	EXPECT_ONE(DR "  trafficPolicy:\n    retryBudget:\n      percent: .nan\n",
		   "spec.trafficPolicy.retryBudget.percent", 9, 16,
		   "value .nan is not a finite number");
}

static void test_sizes(void)
{
	EXPECT_ONE(GW "  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n"
		   "    hosts: [a.example.com]\n    tls:\n      mode: SIMPLE\n"
		   "      credentialNames: [a, b, c]\n",
		   "spec.servers[0].tls.credentialNames", 11, 24,
		   "too many items: 3, at most 2 allowed");
	EXPECT_ONE(GW "  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n"
		   "    hosts: [a.example.com]\n    tls:\n      mode: SIMPLE\n"
		   "      credentialNames: []\n",
		   "spec.servers[0].tls.credentialNames", 11, 24,
		   "too few items: 0, at least 1 required");
	EXPECT_ONE("apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: e\n"
		   "spec:\n  hosts: []\n",
		   "spec.hosts", 6, 10, "too few items: 0, at least 1 required");
	EXPECT_ONE(SE "  ports:\n  - number: 80\n    name: http\n    protocol: "
		   "HTTPXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
		   "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
		   "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
		   "XXXXXXXXXXXXXXX\n",
		   "spec.ports[0].protocol", 10, 15, "too long: 263 characters, at most 256 allowed");
	EXPECT_CLEAN(GW "  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n"
		     "    hosts: [a.example.com]\n    tls:\n      mode: SIMPLE\n"
		     "      credentialNames: [a, b]\n");
}

static void test_durations(void)
{
	EXPECT_ONE(VS "  http:\n  - timeout: 1d\n    route:\n    - destination:\n        host: r\n",
		   "spec.http[0].timeout", 8, 14,
		   "invalid duration \"1d\" (Go syntax such as \"300ms\", \"1.5s\", \"1h30m\")");
	EXPECT_ONE(VS "  http:\n  - timeout: 0s\n    route:\n    - destination:\n        host: r\n",
		   "spec.http[0].timeout", 8, 14, "duration must be greater than 1ms");
	EXPECT_CLEAN(VS "  http:\n  - timeout: 1.5s\n    route:\n    - destination:\n        host: r\n");
	/* idleTimeout has no CEL rule: 0s is fine, but it must parse. */
	EXPECT_CLEAN(DR "  trafficPolicy:\n    connectionPool:\n      tcp:\n        idleTimeout: 0s\n");
	EXPECT_ONE(DR "  trafficPolicy:\n    connectionPool:\n      tcp:\n        idleTimeout: 5 minutes\n",
		   "spec.trafficPolicy.connectionPool.tcp.idleTimeout", 10, 22,
		   "invalid duration \"5 minutes\" (Go syntax such as \"300ms\", \"1.5s\", \"1h30m\")");
}

static void test_byte_format(void)
{
	EXPECT_ONE(VS "  http:\n  - directResponse:\n      status: 200\n      body:\n        bytes: not base64!\n",
		   "spec.http[0].directResponse.body.bytes", 11, 16,
		   "not valid base64: \"not base64!\"");
	EXPECT_CLEAN(VS "  http:\n  - directResponse:\n      status: 200\n      body:\n        bytes: aGVsbG8=\n");
}

static void test_metadata(void)
{
	EXPECT_ONE("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: r\n"
		   "  labels:\n    app: [a]\nspec:\n  hosts: [r]\n",
		   "metadata.labels.app", 6, 10, "expected string, got list");
	EXPECT_ONE("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: r\n"
		   "  lables:\n    app: a\nspec:\n  hosts: [r]\n",
		   "metadata.lables", 5, 3, "unknown field \"lables\", did you mean \"labels\"?");
	EXPECT_ONE("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: r\n"
		   "  annotations: [a]\nspec:\n  hosts: [r]\n",
		   "metadata.annotations", 5, 16, "expected map, got list");
	EXPECT_CLEAN("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: r\n"
		     "  namespace: ns\n  creationTimestamp: null\n  generation: 3\n"
		     "  labels: {app: a}\n  annotations: {\"x.io/y\": \"1\"}\n"
		     "  finalizers: [a]\n  resourceVersion: \"12\"\n  uid: u\nspec:\n  hosts: [r]\n");
	/* A non-string namespace is resource.c's to report, not ours. */
	EXPECT_CLEAN("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: r\n"
		     "  namespace: 5\nspec:\n  hosts: [r]\n");
}

static void test_cel(void)
{
	EXPECT_ONE(SE "  ports:\n  - name: a\n    number: 99999\n",
		   "spec.ports[0].number", 9, 13, "port must be between 1-65535");
	EXPECT_ONE(SE "  ports:\n  - name: a\n    number: 1\n  - name: b\n    number: 1\n",
		   "spec.ports[1].number", 11, 13, "port number cannot be duplicated");
	EXPECT_ONE(SE "  ports:\n  - name: a\n    number: 1\n  - name: a\n    number: 2\n",
		   "spec.ports[1].name", 10, 11,
		   "duplicate value \"a\": \"name\" must be unique in the list (also in item 0)");
	EXPECT_ONE("apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: e\n"
		   "spec:\n  hosts: [\"*\"]\n",
		   "spec.hosts[0]", 6, 11, "hostname cannot be wildcard");
	EXPECT_ONE(SE "  resolution: STATIC\n  workloadSelector: {}\n  endpoints:\n  - address: 1.2.3.4\n",
		   "spec.endpoints", 9, 3, "only one of WorkloadSelector or Endpoints can be set");
	EXPECT_ONE(SE "  addresses: [1.2.3.4/16]\n  resolution: DNS\n",
		   "spec.addresses[0]", 7, 15,
		   "CIDR addresses are allowed only for NONE/STATIC resolution types");
	EXPECT_CLEAN(SE "  addresses: [1.2.3.4/16]\n  resolution: STATIC\n");
	EXPECT_CLEAN(SE "  addresses: [1.2.3.4/16]\n");
	EXPECT_ONE(SE "  endpoints:\n  - address: 1.2.3.4\n",
		   "spec.endpoints", 7, 3, "NONE mode cannot set endpoints");
	EXPECT_ONE(SE "  resolution: DNS_ROUND_ROBIN\n  endpoints:\n  - address: a.example.com\n"
		   "  - address: b.example.com\n",
		   "spec.endpoints[1]", 10, 5, "DNS_ROUND_ROBIN mode cannot have multiple endpoints");
	EXPECT_ONE(SE "  resolution: STATIC\n  endpoints:\n  - labels: {a: b}\n",
		   "spec.endpoints[0]", 9, 5, "Address is required");
	EXPECT_ONE(SE "  resolution: STATIC\n  endpoints:\n  - address: unix://rel/path\n",
		   "spec.endpoints[0].address", 9, 14, "UDS must be an absolute path or abstract socket");
	EXPECT_ONE(SE "  resolution: STATIC\n  endpoints:\n  - address: unix:///a/\n",
		   "spec.endpoints[0].address", 9, 14, "UDS may not be a dir");
	EXPECT_ONE(SE "  resolution: STATIC\n  endpoints:\n  - address: unix:///a.sock\n"
		   "    ports: {http: 80}\n",
		   "spec.endpoints[0].ports", 10, 5, "UDS may not include ports");
	EXPECT_ONE(SE "  resolution: STATIC\n  endpoints:\n  - address: 1.2.3.4\n"
		   "    ports: {http_1: 80}\n",
		   "spec.endpoints[0].ports.http_1", 10, 13, "port name must be valid");
	EXPECT_ONE(SE "  workloadSelector:\n    labels:\n      app: \"*\"\n",
		   "spec.workloadSelector.labels.app", 9, 12, "wildcard is not supported in selector");
	EXPECT_ONE(DR "  workloadSelector:\n    matchLabels:\n      \"a*\": b\n",
		   "spec.workloadSelector.matchLabels[\"a*\"]", 9, 7,
		   "wildcard not allowed in label key match");
	EXPECT_ONE(GW "  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n"
		   "    hosts: [a.example.com]\n    tls:\n      mode: SIMPLE\n"
		   "      credentialName: a\n      credentialNames: [b]\n",
		   "spec.servers[0].tls.credentialNames", 12, 7,
		   "only one of credentialName or credentialNames can be set");
	EXPECT_ONE(GW "  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n"
		   "    hosts: [a.example.com]\n    tls:\n      mode: SIMPLE\n"
		   "      tlsCertificates: [{serverCertificate: a, privateKey: b}]\n      credentialNames: [b]\n",
		   "spec.servers[0].tls.credentialNames", 12, 7,
		   "only one of credentialNames or tlsCertificates can be set");
}

static void test_service(void)
{
	EXPECT_CLEAN(SVC "  selector: {app: a}\n  ports:\n  - name: http\n    port: 80\n"
		     "    targetPort: http-web\n  - name: grpc\n    port: 81\n    targetPort: 8081\n"
		     "    protocol: TCP\n    appProtocol: grpc\n  type: ClusterIP\n"
		     "  someFutureField: {x: 1}\n");
	EXPECT_ONE(SVC "  ports:\n  - name: http\n    port: \"80\"\n",
		   "spec.ports[0].port", 8, 11, "expected integer, got string \"80\" (remove the quotes)");
	EXPECT_ONE(SVC "  ports:\n  - name: http\n    port: 80\n    protocol: HTTP\n",
		   "spec.ports[0].protocol", 9, 15,
		   "unsupported value \"HTTP\": expected one of \"TCP\", \"UDP\", \"SCTP\"");
	EXPECT_ONE(SVC "  ports:\n  - port: 80\n  - port: 81\n    name: b\n",
		   "spec.ports[0]", 7, 5, "a port name is required when a Service has more than one port");
	EXPECT_ONE(SVC "  ports:\n  - name: Http\n    port: 80\n",
		   "spec.ports[0].name", 7, 11,
		   "a port name must be a DNS label (lower case letters, digits and '-', at most 63 characters)");
	EXPECT_ONE(SVC "  ports:\n  - name: http\n    port: 80\n    targetPort: my_port\n",
		   "spec.ports[0].targetPort", 9, 17,
		   "a named targetPort must be an IANA service name (at most 15 lower case letters, digits and '-', with at least one letter)");
	EXPECT_ONE(SVC "  ports:\n  - name: http\n    port: 80\n    prot: TCP\n",
		   "spec.ports[0].prot", 9, 5, "unknown field \"prot\", did you mean \"port\"?");
	/* Kinds without a schema are not checked. */
	EXPECT_CLEAN("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  anything: 1\n");
}

/* A realistic, correct set of resources gives no schema diagnostic at all. */
static void test_clean_full(void)
{
	EXPECT_CLEAN(
		"apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\n"
		"metadata:\n  name: reviews\n  namespace: books\n  labels: {app: reviews}\n"
		"spec:\n  hosts: [reviews]\n  gateways: [mesh, books/gw]\n  exportTo: [\".\"]\n"
		"  http:\n  - name: jason\n    match:\n    - headers:\n        end-user:\n          exact: jason\n"
		"      uri:\n        prefix: /api\n      ignoreUriCase: true\n      port: 9080\n"
		"      queryParams:\n        v:\n          regex: \"^[0-9]+$\"\n      sourceLabels: {app: web}\n"
		"    route:\n    - destination:\n        host: reviews\n        subset: v2\n        port:\n          number: 9080\n"
		"      weight: 90\n      headers:\n        request:\n          set: {x-canary: \"false\"}\n"
		"    - destination: {host: reviews, subset: v3}\n      weight: 10\n"
		"    timeout: 10s\n    retries:\n      attempts: 3\n      perTryTimeout: 2s\n"
		"      retryOn: 5xx,reset\n      retryRemoteLocalities: true\n"
		"    fault:\n      delay:\n        fixedDelay: 5s\n        percentage: {value: 0.1}\n"
		"      abort:\n        httpStatus: 503\n        percentage: {value: 1}\n"
		"    mirror: {host: reviews-shadow}\n    mirrorPercentage: {value: 5.5}\n"
		"    corsPolicy:\n      allowOrigins:\n      - exact: https://example.com\n"
		"      allowMethods: [GET, POST]\n      maxAge: 24h\n      allowCredentials: false\n"
		"    headers:\n      response:\n        remove: [x-internal]\n"
		"  - name: redirect\n    match:\n    - uri: {exact: /old}\n"
		"    redirect:\n      uri: /new\n      redirectCode: 301\n      derivePort: FROM_REQUEST_PORT\n"
		"  - route:\n    - destination: {host: reviews, subset: v1}\n"
		"  tcp:\n  - match:\n    - port: 27017\n      destinationSubnets: [10.0.0.0/8]\n"
		"    route:\n    - destination: {host: mongo, port: {number: 27017}}\n"
		"  tls:\n  - match:\n    - sniHosts: [a.example.com]\n      port: 443\n"
		"    route:\n    - destination: {host: a}\n"
		"---\n"
		"apiVersion: networking.istio.io/v1\nkind: DestinationRule\n"
		"metadata:\n  name: reviews\nspec:\n  host: reviews\n"
		"  trafficPolicy:\n    connectionPool:\n      tcp:\n        maxConnections: 100\n"
		"        connectTimeout: 30ms\n        tcpKeepalive: {time: 7200s, interval: 75s, probes: 9}\n"
		"      http:\n        http1MaxPendingRequests: 1000\n        h2UpgradePolicy: UPGRADE\n"
		"        idleTimeout: 1h\n"
		"    outlierDetection:\n      consecutive5xxErrors: 7\n      interval: 5m\n"
		"      baseEjectionTime: 15m\n      maxEjectionPercent: 50\n"
		"    loadBalancer:\n      simple: LEAST_REQUEST\n      localityLbSetting:\n"
		"        enabled: true\n        failover:\n        - from: us-east\n          to: eu-west\n"
		"        distribute:\n        - from: us-west/zone1/*\n          to: {\"us-west/zone1/*\": 80, \"us-west/zone2/*\": 20}\n"
		"      warmup: {duration: 60s, minimumPercent: 10, aggression: 1.5}\n"
		"    tls:\n      mode: ISTIO_MUTUAL\n      sni: reviews.example.com\n"
		"    portLevelSettings:\n    - port: {number: 80}\n      loadBalancer:\n"
		"        consistentHash:\n          httpCookie: {name: user, ttl: 0s, path: /}\n"
		"  subsets:\n  - name: v1\n    labels: {version: v1}\n"
		"    trafficPolicy:\n      loadBalancer: {simple: ROUND_ROBIN}\n"
		"  exportTo: [\"*\"]\n  workloadSelector:\n    matchLabels: {app: reviews}\n"
		"---\n"
		"apiVersion: networking.istio.io/v1alpha3\nkind: Gateway\n"
		"metadata:\n  name: gw\nspec:\n  selector: {istio: ingressgateway}\n"
		"  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n"
		"    hosts: [\"books/*.example.com\"]\n    tls: {httpsRedirect: true}\n"
		"  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [\"*.example.com\"]\n"
		"    tls:\n      mode: SIMPLE\n      credentialName: books-cert\n"
		"      minProtocolVersion: TLSV1_2\n      cipherSuites: [ECDHE-RSA-AES256-GCM-SHA384]\n"
		"---\n"
		"apiVersion: networking.istio.io/v1\nkind: ServiceEntry\n"
		"metadata:\n  name: ext\nspec:\n  hosts: [api.example.com]\n"
		"  location: MESH_EXTERNAL\n  resolution: DNS\n"
		"  ports:\n  - number: 443\n    name: https\n    protocol: TLS\n"
		"  endpoints:\n  - address: api.example.com\n    ports: {https: 443}\n    weight: 1\n"
		"    locality: us-east1/zone1\n"
		"---\n"
		"apiVersion: v1\nkind: Service\nmetadata:\n  name: reviews\n  annotations:\n"
		"    networking.istio.io/exportTo: \".\"\n"
		"spec:\n  selector: {app: reviews}\n  ports:\n  - name: http\n    port: 9080\n"
		"    targetPort: 9080\n");
}

int main(void)
{
	RUN(test_tables);
	RUN(test_edit_distance);
	RUN(test_formats);
	RUN(test_unknown_field);
	RUN(test_types);
	RUN(test_enum);
	RUN(test_required);
	RUN(test_oneof);
	RUN(test_ranges);
	RUN(test_sizes);
	RUN(test_durations);
	RUN(test_byte_format);
	RUN(test_metadata);
	RUN(test_cel);
	RUN(test_service);
	RUN(test_clean_full);
	return unit_end();
}
