/*
 * Unit tests of the DestinationRule, Gateway and ServiceEntry admission
 * rules (compiler/rules_{dr,gw,se}.c), run on their own without the schema
 * layer: how values are read (proto field names, enums by number, quoted
 * integers), Envoy's maglev primality, locality overlaps, and where each
 * diagnostic points. The golden cases under testdata/{dr,gw,se} cover one
 * trigger and one near miss per rule; these tests pin the finer points.
 */
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "unit.h"
#include "unit_yaml.h"

/* Parses `text` (one resource) and runs its kind's admission rules only. */
static struct unit_yaml *run_rules(const char *text)
{
	struct unit_yaml *p = unit_yaml_parse(text);
	resources_from_unit(&p->u, &p->opt);
	for (size_t i = 0; i < p->u.nres; i++) {
		const struct resource *r = p->u.res[i];
		if (r->kind == KIND_DESTINATION_RULE)
			rules_destination_rule(&p->d, r, &p->opt);
		else if (r->kind == KIND_GATEWAY)
			rules_gateway(&p->d, r, &p->opt);
		else if (r->kind == KIND_SERVICE_ENTRY)
			rules_service_entry(&p->d, r, &p->opt);
	}
	diag_sort(&p->d);
	return p;
}

/* The index of the first diagnostic whose message contains `needle`, or -1. */
static int find(const struct unit_yaml *p, const char *needle)
{
	for (size_t i = 0; i < p->d.n; i++)
		if (strstr(p->d.items[i].message, needle))
			return (int)i;
	return -1;
}

#define DR_HEAD "apiVersion: networking.istio.io/v1\nkind: DestinationRule\n" \
		"metadata: {name: r, namespace: ns}\nspec:\n  host: reviews\n"
#define GW_HEAD "apiVersion: networking.istio.io/v1\nkind: Gateway\n" \
		"metadata: {name: g}\nspec:\n  servers:\n"
#define SE_HEAD "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\n" \
		"metadata: {name: s}\nspec:\n  hosts: [a.example.com]\n"

/* Both spellings of a field, and an enum given by number, read the same. */
static void test_proto_names_and_enum_numbers(void)
{
	struct unit_yaml *p = run_rules(DR_HEAD
		"  traffic_policy:\n"
		"    connection_pool:\n"
		"      http: {h2_upgrade_policy: 2, use_client_protocol: true, max_retries: \"-1\"}\n");
	CHECK(find(p, "use client protocol must not be true") >= 0);
	CHECK(find(p, "max retries must be non-negative") >= 0);
	CHECK(p->d.n == 2);
	unit_yaml_free(p);

	p = run_rules(DR_HEAD
		"  trafficPolicy:\n"
		"    outlierDetection: {consecutive_5xx_errors: 1}\n"
		"    loadBalancer:\n"
		"      localityLbSetting: {failover: [{from: a, to: b}]}\n");
	CHECK(p->d.n == 0);   /* outlier detection is present under its proto name */
	unit_yaml_free(p);
}

/*
 * With both spellings written, the JSON name is read (as rules_vs.c always
 * did); a run of `_` folds like one (Go's JSONCamelCase), as
 * rules_unreachable.c folds match keys.
 */
static void test_json_name_first_and_fold(void)
{
	struct unit_yaml *p = run_rules(DR_HEAD
		"  trafficPolicy:\n"
		"    connectionPool:\n"
		"      http: {use_client_protocol: true, useClientProtocol: false, h2UpgradePolicy: 2}\n");
	CHECK(find(p, "use client protocol must not be true") < 0);
	unit_yaml_free(p);

	p = run_rules(DR_HEAD
		"  trafficPolicy:\n"
		"    connectionPool:\n"
		"      http: {h2__upgrade_policy: 2, use_client_protocol: true}\n");
	CHECK(find(p, "use client protocol must not be true") >= 0);
	unit_yaml_free(p);
}

/* Envoy's isPrime: 1, 2, 3 prime; even numbers not; large sizes decided exactly. */
static void test_maglev_primality(void)
{
	static const struct { const char *size; int prime_errors; } cases[] = {
		{ "1", 0 }, { "2", 0 }, { "3", 0 }, { "4", 1 }, { "65537", 0 },
		{ "65535", 1 }, { "5000011", 0 }, { "4999999", 0 }, { "4999995", 1 },
		{ "18446744073709551557", 0 },   /* the largest 64-bit prime */
		{ "18446744073709551555", 1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[512];
		snprintf(buf, sizeof(buf), DR_HEAD
			 "  trafficPolicy:\n"
			 "    loadBalancer: {consistentHash: {useSourceIp: true, maglev: {tableSize: %s}}}\n",
			 cases[i].size);
		struct unit_yaml *p = run_rules(buf);
		CHECK((find(p, "must be a prime number") >= 0) == cases[i].prime_errors);
		unit_yaml_free(p);
	}
}

/* validateLocalities: order matters, as in Istio. */
static void test_locality_overlap(void)
{
	struct unit_yaml *p = run_rules(DR_HEAD
		"  trafficPolicy:\n"
		"    loadBalancer:\n"
		"      localityLbSetting:\n"
		"        distribute:\n"
		"        - {from: a/b/c, to: {x: 100}}\n"
		"        - {from: a/b, to: {x: 100}}\n");
	int i = find(p, "locality a/b overlap");
	CHECK(i >= 0);
	if (i >= 0)
		CHECK(p->d.items[i].line == 11);
	unit_yaml_free(p);

	p = run_rules(DR_HEAD
		"  trafficPolicy:\n"
		"    loadBalancer:\n"
		"      localityLbSetting:\n"
		"        distribute:\n"
		"        - {from: a/b/c, to: {x: 100}}\n"
		"        - {from: a/b/d, to: {x: 100}}\n"
		"        - {from: a/e, to: {x: 100}}\n");
	CHECK(p->d.n == 0);
	unit_yaml_free(p);
}

/* A duplicate port name is reported at the second name, with Istio's words. */
static void test_gateway_port_names(void)
{
	struct unit_yaml *p = run_rules(GW_HEAD
		"  - {port: {number: 80, name: web, protocol: HTTP}, hosts: [a.example.com]}\n"
		"  - {port: {number: 80, name: web, protocol: HTTP}, hosts: [b.example.com]}\n");
	CHECK(p->d.n == 1);
	if (p->d.n == 1) {
		CHECK_STR(p->d.items[0].message,
			  "Schema validation error: port names in servers must be unique: duplicate name web");
		CHECK(p->d.items[0].line == 7 && p->d.items[0].col == 31);
		CHECK_STR(p->d.items[0].path, "spec.servers[1].port.name");
	}
	unit_yaml_free(p);
}

/* The cipher warning lists the bad names sorted and once, as Go prints a set. */
static void test_gateway_cipher_list(void)
{
	struct unit_yaml *p = run_rules(GW_HEAD
		"  - port: {number: 443, name: https, protocol: HTTPS}\n"
		"    hosts: [a.example.com]\n"
		"    tls: {mode: SIMPLE, credentialName: c, cipherSuites: [zz, aa, zz, \"!x\"]}\n");
	CHECK(p->d.n == 1);
	CHECK(find(p, "ignoring invalid cipher suites: [aa zz]") >= 0);
	unit_yaml_free(p);
}

/* Mode given by number (1 = SIMPLE) still needs certificates. */
static void test_gateway_tls_mode_number(void)
{
	struct unit_yaml *p = run_rules(GW_HEAD
		"  - port: {number: 443, name: https, protocol: HTTPS}\n"
		"    hosts: [a.example.com]\n"
		"    tls: {mode: 1, serverCertificate: /c.pem}\n");
	CHECK(find(p, "SIMPLE TLS requires a private key") >= 0);
	CHECK(find(p, "server certificate") < 0);
	unit_yaml_free(p);
}

/* Auto-allocation: the TCP warning only when it is off. */
static void test_se_autoallocation(void)
{
	struct unit_yaml *p = run_rules(SE_HEAD
		"  resolution: DNS\n"
		"  ports: [{name: tcp, number: 9000, protocol: TCP}]\n");
	CHECK(p->d.n == 0);
	unit_yaml_free(p);

	p = run_rules("apiVersion: networking.istio.io/v1\nkind: ServiceEntry\n"
		      "metadata:\n  name: s\n  labels: {networking.istio.io/enable-autoallocate-ip: \"false\"}\n"
		      "spec:\n  hosts: [a.example.com]\n  resolution: DNS\n"
		      "  ports: [{name: tcp, number: 9000, protocol: TCP}]\n");
	CHECK(p->d.n == 1 && p->d.items[0].level == LEVEL_WARNING);
	unit_yaml_free(p);
}

/* Endpoint ports must be declared by the service entry (STATIC and DNS). */
static void test_se_endpoint_ports(void)
{
	struct unit_yaml *p = run_rules(SE_HEAD
		"  resolution: STATIC\n"
		"  ports: [{name: http, number: 80, protocol: HTTP}]\n"
		"  endpoints: [{address: 10.0.0.1, ports: {http: 8080, grpc: 9090}}]\n");
	CHECK(p->d.n == 1);
	CHECK(find(p, "endpoint port 9090 is not defined by the service entry") >= 0);
	if (p->d.n == 1)
		CHECK_STR(p->d.items[0].path, "spec.endpoints[0].ports.grpc");
	unit_yaml_free(p);
}

int main(void)
{
	RUN(test_proto_names_and_enum_numbers);
	RUN(test_json_name_first_and_fold);
	RUN(test_maglev_primality);
	RUN(test_locality_overlap);
	RUN(test_gateway_port_names);
	RUN(test_gateway_cipher_list);
	RUN(test_gateway_tls_mode_number);
	RUN(test_se_autoallocation);
	RUN(test_se_endpoint_ports);
	return unit_end();
}
