/*
 * Gateway API routes in the route table: the Istio Gateways and
 * VirtualServices Istio derives (gwapi.h) join the project as resources,
 * distilled into records (model.h) for the route builder, which reads
 * them as it reads those of the input
 * (as Istio does: its proxies only ever see the converted config). Each
 * derived Gateway selects the workload Istio deploys for the Kubernetes
 * Gateway (label gateway.networking.k8s.io/gateway-name) and names it in
 * annotation internal.istio.io/k8s-gateway, so the table's listeners
 * carry the Kubernetes Gateway's "namespace/name" (query --gateway).
 * DestinationRules derived from BackendTLSPolicies give the clusters
 * their TLS settings as any DestinationRule does.
 *
 * Invalid backends: Istio converts a backendRef it cannot use to
 * `destination: {}` and keeps a Service that is not found by its host;
 * either way its proxy has no cluster for it, and routes of gateway
 * semantics set cluster_not_found_response_code to 500 (istio/istio
 * pilot/pkg/networking/core/route/route.go, applyHTTPRouteDestination
 * and GetDestinationCluster, "UnknownService"). In the table both are
 * the cluster UnknownService (route_model_unknown_cluster): a backend
 * not found loses its host here, once meshc checks hosts (the input has
 * Services, as MSH0614 needs).
 */
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "gwapi.h"
#include "model.h"
#include "onode.h"
#include "xref_index.h"

static bool is_missing(const struct gwapi *g, const char *host)
{
	for (size_t i = 0; host && i < g->nmissing; i++)
		if (strcmp(g->missing[i], host) == 0)
			return true;
	return false;
}

/* Empties the route destinations of a derived VirtualService whose host
 * is a backend not found: in the table they are UnknownService too. */
static void drop_missing_hosts(const struct gwapi *g, struct node *spec)
{
	static const char *const sections[] = { "http", "tcp", "tls" };
	for (size_t s = 0; s < 3; s++) {
		const struct node *rules = node_get(spec, sections[s]);
		for (size_t i = 0; rules && rules->type == NODE_SEQ && i < rules->n; i++) {
			const struct node *dests = node_get(rules->items[i], "route");
			for (size_t j = 0; dests && dests->type == NODE_SEQ && j < dests->n; j++) {
				struct node *d = (struct node *)node_get(dests->items[j], "destination");
				if (d && d->type == NODE_MAP && is_missing(g, gwapi_str(d, "host"))) {
					onode_unset(d, "host");
					onode_unset(d, "port");
				}
			}
		}
	}
}

static const char *identity_key(struct arena *a, enum resource_kind kind, const char *ns,
				const char *name)
{
	return arena_printf(a, "%d/%s/%s", (int)kind, ns ? ns : "", name ? name : "");
}

/* The Istio kind of a derived resource. */
static enum resource_kind out_kind(const struct gw_out *o)
{
	return strcmp(o->kind, "Gateway") == 0 ? KIND_GATEWAY :
	       strcmp(o->kind, "DestinationRule") == 0 ? KIND_DESTINATION_RULE :
							 KIND_VIRTUAL_SERVICE;
}

size_t gwapi_add_resources(struct gwapi *g, struct project *p)
{
	struct arena *a = &g->arena;
	size_t n = 0;
	for (size_t i = 0; i < g->nouts; i++)
		n += g->outs[i].doc != NULL;
	if (!n)
		return 0;
	bool check_hosts = p->has_kind[KIND_SERVICE] || p->has_kind[KIND_SERVICE_ENTRY] ||
			   p->opt.require_hosts;
	p->res = xrealloc(p->res, (p->nres + n + 1) * sizeof(*p->res));
	/*
	 * One resource per kind, namespace and name, as Istio's config store
	 * holds: a derived resource that repeats an input's or an earlier
	 * derived one's (listeners named twice, which the CRD forbids and
	 * meshc check reports, but diff compiles unchecked input) is left out,
	 * so the table lists each gateway once.
	 */
	struct xref_map seen;
	xref_map_init(&seen, a);
	for (size_t i = 0; i < p->nres; i++)
		*xref_map_put(&seen, identity_key(a, p->res[i]->kind, p->res[i]->namespace,
						  p->res[i]->name)) = p->res[i];
	size_t added = 0;
	for (size_t i = 0; i < g->nouts; i++) {
		struct gw_out *o = &g->outs[i];
		if (!o->doc)
			continue;
		void **slot = xref_map_put(&seen, identity_key(a, out_kind(o), o->ns, o->name));
		if (*slot)
			continue;
		*slot = o;
		bool gw = out_kind(o) == KIND_GATEWAY;
		struct node *meta = (struct node *)node_get(o->doc, "metadata");
		struct node *spec = (struct node *)node_get(o->doc, "spec");
		if (gw && o->from && o->from->kind == GWK_GATEWAY) {
			onode_set(a, onode_child_map(a, spec, "selector"),
				  "gateway.networking.k8s.io/gateway-name", onode_str(a, o->from->name));
			onode_set(a, onode_child_map(a, meta, "annotations"), "internal.istio.io/k8s-gateway",
				  onode_str(a, arena_printf(a, "%s/%s", o->from->ns, o->from->name)));
		}
		if (check_hosts && g->nmissing && strcmp(o->kind, "VirtualService") == 0)
			drop_missing_hosts(g, spec);
		struct resource *r = arena_alloc(a, sizeof(*r));
		r->kind = out_kind(o);
		r->kind_name = o->kind;
		r->api_version = "networking.istio.io/v1";
		r->name = o->name;
		r->namespace = o->ns;
		r->origin = arena_printf(a, "%s %s/%s", o->kind, o->ns, o->name);
		r->file = o->from ? o->from->file : "";
		r->seq = p->nseq++;
		r->pos.line = o->from ? o->from->line : 0;
		r->pos.col = o->from ? o->from->col : 0;
		r->has_spec = true;
		r->root = o->doc;
		r->metadata = meta;
		r->spec = spec;
		r->annotations = node_get(meta, "annotations");
		/* Distilled like any input resource: the route builder reads
		 * records only. Its position stays its source's. */
		struct mpos at = r->pos;
		distil_resource(a, NULL, r, false);
		r->pos = at;
		r->name_pos = (struct mpos){ 0, 0 };
		p->res[p->nres++] = r;
		p->has_kind[r->kind] = true;
		added++;
	}
	xref_map_release(&seen);
	return added;
}
