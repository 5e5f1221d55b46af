/*
 * Unit tests of distilling (compiler/distil.c): each kind's record holds
 * the values the node-reading code saw (wrong types read as absent, every
 * list item counted), the positions diagnostics point at, and, for
 * documents with aliases or merge keys, the field paths as written.
 */
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "strtab.h"
#include "unit.h"
#include "unit_yaml.h"

/* Parses text and distils every resource into the unit's arena, the
 * strings interned as a load does. */
static struct unit_yaml *distil_text(const char *text)
{
	struct unit_yaml *p = unit_yaml_parse(text);
	resources_from_unit(&p->u, &p->opt);
	struct strtab strings;
	strtab_init(&strings);
	for (size_t i = 0; i < p->u.nres; i++)
		distil_resource(&p->u.arena, &strings, p->u.res[i],
				p->u.res[i]->irregular);
	strtab_finish(&strings, &p->u.arena);
	return p;
}

static void test_virtual_service(void)
{
	struct unit_yaml *p = distil_text(
		"apiVersion: networking.istio.io/v1\n"
		"kind: VirtualService\n"
		"metadata: {name: r, namespace: books}\n"
		"spec:\n"
		"  hosts: [reviews, 7]\n"
		"  gateways: [mesh]\n"
		"  http:\n"
		"  - route:\n"
		"    - destination: {host: reviews, subset: v1, port: {number: 9080}}\n"
		"      weight: 75\n"
		"    - destination: {host: ratings}\n"
		"      weight: \"25\"\n"
		"    mirror: {host: shadow}\n"
		"    fault: {delay: {percent: 5, fixedDelay: 1s}}\n"
		"  - 3\n"
		"  tcp:\n"
		"  - route: [{destination: {host: db}}]\n");
	CHECK(p->u.nres == 1);
	const struct resource *r = p->u.res[0];
	const struct m_vs *vs = model_vs(r);
	CHECK(vs != NULL);
	CHECK(model_dr(r) == NULL);
	CHECK_STR(r->name, "r");
	CHECK_STR(r->namespace, "books");
	CHECK(r->has_spec);
	CHECK(r->name_pos.line == 3 && r->name_pos.col == 18);
	CHECK(vs->hosts.list && vs->hosts.n == 2);
	CHECK_STR(vs->hosts.v[0].s, "reviews");
	CHECK(vs->hosts.v[1].s == NULL);          /* not a string: counted, no text */
	CHECK(vs->hosts.v[1].pos.line == 5 && vs->hosts.v[1].pos.col == 20);
	CHECK(vs->gateways.n == 1 && !vs->export_to.list);
	CHECK(vs->nhttp == 2 && vs->ntcp == 1 && vs->ntls == 0);
	const struct m_http *h = &vs->http[0];
	CHECK(h->nroute == 2);
	CHECK_STR(h->route[0].dest.host, "reviews");
	CHECK(h->route[0].dest.host == vs->hosts.v[0].s);   /* interned once */
	CHECK_STR(h->route[0].dest.subset, "v1");
	CHECK(mint_set(&h->route[0].dest.port) && h->route[0].dest.port.v == 9080);
	CHECK(mint_set(&h->route[0].weight) && h->route[0].weight.v == 75);
	CHECK(!mint_set(&h->route[1].weight));           /* a quoted number is a string */
	CHECK(h->route[1].dest.subset == NULL && !mint_set(&h->route[1].dest.port));
	CHECK(h->rare->mir->mirror->map);
	CHECK_STR(h->rare->mir->mirror->host, "shadow");
	CHECK(h->rare->delay_percent.line == 14);
	CHECK(vs->http[1].nroute == 0 && !vs->http[1].rare->mir->mirror->map);
	CHECK_STR(vs->tcp[0].route[0].dest.host, "db");
	CHECK(r->nxpaths == 0);
	unit_yaml_free(p);
}

static void test_destination_rule(void)
{
	struct unit_yaml *p = distil_text(
		"apiVersion: networking.istio.io/v1\n"
		"kind: DestinationRule\n"
		"metadata: {name: d}\n"
		"spec:\n"
		"  host: reviews\n"
		"  workloadSelector: null\n"
		"  trafficPolicy:\n"
		"    tls: {mode: SIMPLE}\n"
		"    portLevelSettings:\n"
		"    - port: {number: 443}\n"
		"      tls: {mode: MUTUAL, credentialName: c}\n"
		"  subsets:\n"
		"  - name: v1\n"
		"    labels: {version: v1, n: 3}\n"
		"  - labels: {}\n");
	const struct resource *r = p->u.res[0];
	const struct m_dr *dr = model_dr(r);
	CHECK(dr != NULL);
	CHECK_STR(r->namespace, "default");
	CHECK(r->namespace_defaulted);
	CHECK_STR(dr->host, "reviews");
	CHECK(dr->host_pos.line == 5 && dr->host_pos.col == 9);
	CHECK(dr->workload_selector);             /* there, although null */
	CHECK_STR(dr->tls.mode, "SIMPLE");
	CHECK(dr->tls.ca_certificates == NULL);
	CHECK(dr->nport_policies == 1 && dr->port_policies[0].port.v == 443);
	CHECK_STR(dr->port_policies[0].tls.credential_name, "c");
	CHECK(dr->nsubsets == 2);
	CHECK_STR(dr->subsets[0].name, "v1");
	CHECK_STR(mlabels_text(&dr->subsets[0].labels, "n"), "3");
	CHECK(dr->subsets[1].name == NULL && dr->subsets[1].labels.map);
	unit_yaml_free(p);
}

static void test_gateway_and_hosts(void)
{
	struct unit_yaml *p = distil_text(
		"apiVersion: networking.istio.io/v1\n"
		"kind: Gateway\n"
		"metadata: {name: g, namespace: edge}\n"
		"spec:\n"
		"  selector: {istio: ingressgateway}\n"
		"  servers:\n"
		"  - port: {number: 443, protocol: HTTPS}\n"
		"    hosts: [\"*/a.example.com\"]\n"
		"    tls: {mode: SIMPLE, credentialName: cert}\n"
		"---\n"
		"apiVersion: networking.istio.io/v1\n"
		"kind: ServiceEntry\n"
		"metadata: {name: se}\n"
		"spec:\n"
		"  hosts: [a.example.com]\n"
		"  ports: [{number: 80, protocol: http}, 5]\n"
		"  workloadSelector: {labels: {app: a}}\n"
		"status: {addresses: [10.0.0.1]}\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Service\n"
		"metadata: {name: s, labels: {istio: null}, annotations: {networking.istio.io/exportTo: \".\"}}\n"
		"spec:\n"
		"  type: ClusterIP\n"
		"  selector: {app: s}\n"
		"  ports: [{name: http, port: 80, targetPort: 8080}]\n"
		"---\n"
		"apiVersion: v1\n"
		"kind: Pod\n"
		"metadata: {name: p, labels: {app: s}}\n"
		"spec: {nodeName: n1}\n");
	CHECK(p->u.nres == 4);
	const struct m_gw *gw = model_gw(p->u.res[0]);
	CHECK(gw && gw->selector.map && gw->selector.n == 1);
	CHECK(gw->selector.key_pos.line == 5 && gw->selector.key_pos.col == 3);
	CHECK(gw->nservers == 1 && gw->servers[0].port.v == 443);
	CHECK_STR(gw->servers[0].protocol, "HTTPS");
	CHECK_STR(gw->servers[0].hosts.v[0].s, "*/a.example.com");
	CHECK_STR(gw->servers[0].credential_name.s, "cert");
	const struct m_se *se = model_se(p->u.res[1]);
	CHECK(se && se->ports.n == 2 && se->ports.v[0].map && !se->ports.v[1].map);
	CHECK(se->ports.v[0].number.v == 80 && !mint_set(&se->ports.v[0].port));
	CHECK_STR(se->ports.v[0].protocol, "http");
	CHECK(!se->addresses && se->status_addresses);
	CHECK_STR(mlabels_text(&se->selector, "app"), "a");
	const struct resource *svcr = p->u.res[2];
	const struct m_svc *svc = model_svc(svcr);
	CHECK(svc && svc->ports.n == 1);
	CHECK_STR(svc->ports.v[0].target_text, "8080");
	CHECK(svc->ports.v[0].target_port.v == 8080);
	CHECK_STR(svc->type, "ClusterIP");
	CHECK(mlabels_has(svcr->meta_labels, "istio"));
	CHECK(mlabels_text(svcr->meta_labels, "istio") == NULL);
	CHECK_STR(svcr->export_to, ".");
	const struct m_pod *pod = model_pod(p->u.res[3]);
	CHECK(pod && pod->node_name && strcmp(pod->node_name, "n1") == 0);
	CHECK_STR(mlabels_text(p->u.res[3]->meta_labels, "app"), "s");
	unit_yaml_free(p);
}

/* Reports at pos with the structural path `path`; returns the path used. */
static const char *report_path(struct unit_yaml *p, const struct resource *r,
			       const struct mpos *pos, const char *path)
{
	diag_report_at(&p->d, IST0101, r, pos, path, "host", "\"x\"");
	return p->d.items[p->d.n - 1].path;
}

/*
 * An alias shares a node written elsewhere: the diagnostic's path names
 * where it was written (as for every node-based report), not where the
 * model reached it; without aliases the reporter's path stands.
 */
static void test_paths_as_written(void)
{
	struct unit_yaml *p = distil_text(
		"apiVersion: networking.istio.io/v1\n"
		"kind: VirtualService\n"
		"metadata: {name: a}\n"
		"spec:\n"
		"  hosts: [a]\n"
		"  http:\n"
		"  - route: &r\n"
		"    - destination: {host: x}\n"
		"  - route: *r\n"
		"---\n"
		"apiVersion: networking.istio.io/v1\n"
		"kind: VirtualService\n"
		"metadata: {name: b}\n"
		"spec:\n"
		"  hosts: [b]\n"
		"  http:\n"
		"  - route:\n"
		"    - destination: {host: y}\n");
	const struct resource *a = p->u.res[0], *b = p->u.res[1];
	CHECK(a->irregular && a->nxpaths > 0);
	CHECK(!b->irregular && b->nxpaths == 0);
	const struct m_vs *va = model_vs(a), *vb = model_vs(b);
	CHECK_STR(report_path(p, a, &va->http[1].route[0].dest.host_pos,
			      "spec.http[1].route[0].destination.host"),
		  "spec.http[0].route[0].destination.host");
	CHECK_STR(report_path(p, b, &vb->http[0].route[0].dest.host_pos,
			      "spec.http[0].route[0].destination.host"),
		  "spec.http[0].route[0].destination.host");
	/* No position: the resource itself, without a path. */
	diag_report_at(&p->d, IST0101, b, NULL, "ignored", "host", "\"x\"");
	CHECK(p->d.items[p->d.n - 1].line == 11 && p->d.items[p->d.n - 1].path == NULL);
	CHECK_STR(diag_path_key(&p->u.arena, "spec.selector", "app.kubernetes.io/name"),
		  "spec.selector[\"app.kubernetes.io/name\"]");
	CHECK_STR(diag_path_key(&p->u.arena, "spec.selector", "app"), "spec.selector.app");
	unit_yaml_free(p);
}

int main(void)
{
	RUN(test_virtual_service);
	RUN(test_destination_rule);
	RUN(test_gateway_and_hosts);
	RUN(test_paths_as_written);
	return unit_end();
}
