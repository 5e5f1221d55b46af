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
 */
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "gwapi.h"
#include "model.h"
#include "onode.h"

size_t gwapi_add_resources(struct gwapi *g, struct project *p)
{
	struct arena *a = &g->arena;
	size_t n = 0;
	for (size_t i = 0; i < g->nouts; i++)
		n += g->outs[i].doc != NULL;
	if (!n)
		return 0;
	p->res = xrealloc(p->res, (p->nres + n + 1) * sizeof(*p->res));
	for (size_t i = 0; i < g->nouts; i++) {
		struct gw_out *o = &g->outs[i];
		bool gw = strcmp(o->kind, "Gateway") == 0;
		struct node *meta = (struct node *)node_get(o->doc, "metadata");
		struct node *spec = (struct node *)node_get(o->doc, "spec");
		if (gw && o->from && o->from->kind == GWK_GATEWAY) {
			onode_set(a, onode_child_map(a, spec, "selector"),
				  "gateway.networking.k8s.io/gateway-name", onode_str(a, o->from->name));
			onode_set(a, onode_child_map(a, meta, "annotations"), "internal.istio.io/k8s-gateway",
				  onode_str(a, arena_printf(a, "%s/%s", o->from->ns, o->from->name)));
		}
		struct resource *r = arena_alloc(a, sizeof(*r));
		bool dr = strcmp(o->kind, "DestinationRule") == 0;
		r->kind = gw ? KIND_GATEWAY : dr ? KIND_DESTINATION_RULE : KIND_VIRTUAL_SERVICE;
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
	}
	return n;
}
