/*
 * XBackend (gateway.networking.x-k8s.io/v1alpha1): an external hostname
 * a route's backendRef may name, as Istio resolves it (the corpus's
 * xbackend case, from pilot/pkg/config/kube/gateway at the commit in
 * ../shared/corpus/istio-gateway-conversion/README.md):
 *   - the destination is spec.externalHostname.hostname on spec.port.port;
 *     a backendRef port that differs is BackendNotFound ("does not expose
 *     port"), an XBackend that does not exist is BackendNotFound;
 *   - another namespace's XBackend needs a ReferenceGrant to kind XBackend
 *     of group gateway.networking.x-k8s.io;
 *   - its status has one entry of istio.io/mesh-controller for the
 *     XBackend itself and one of istio.io/gateway-controller per Gateway
 *     a route attaches to while naming it (extractAncestorBackends); TLS
 *     mode ClientAndServer is not accepted (no client certificates).
 * The DestinationRules Istio derives from an XBackend's tls are not
 * produced (meshc convert derives Gateways and VirtualServices).
 */
#include <stdlib.h>
#include <string.h>

#include "gwapi.h"
#include "onode.h"

#define XGROUP "gateway.networking.x-k8s.io"

bool gwapi_is_xbackend(const char *group, const char *kind)
{
	return group && kind && strcmp(group, XGROUP) == 0 && strcmp(kind, "XBackend") == 0;
}

/* ReferenceGrant in to_ns letting from_kind objects of from_ns name XBackend `name`. */
bool gwapi_xbackend_granted(struct gwapi *g, const char *from_kind, const char *from_ns,
			    const char *to_ns, const char *name)
{
	for (size_t i = 0; i < g->nof_kind[GWK_REFERENCE_GRANT]; i++) {
		struct gw_obj *o = g->of_kind[GWK_REFERENCE_GRANT][i];
		if (strcmp(o->ns, to_ns) != 0)
			continue;
		const struct node *from = node_get(o->spec, "from"), *to = node_get(o->spec, "to");
		bool fok = false;
		for (size_t f = 0; from && from->type == NODE_SEQ && f < from->n; f++) {
			const char *fk = gwapi_str(from->items[f], "kind");
			const char *fn = gwapi_str(from->items[f], "namespace");
			fok |= fk && strcmp(fk, from_kind) == 0 && fn && strcmp(fn, from_ns) == 0;
		}
		for (size_t t = 0; fok && to && to->type == NODE_SEQ && t < to->n; t++) {
			const char *tn = gwapi_str(to->items[t], "name");
			if (gwapi_is_xbackend(gwapi_str(to->items[t], "group"), gwapi_str(to->items[t], "kind")) &&
			    (!tn || strcmp(tn, name) == 0))
				return true;
		}
	}
	return false;
}

static long long xbackend_port(const struct gw_obj *xb)
{
	const struct node *p = node_get(node_get(xb->spec, "port"), "port");
	return p && p->type == NODE_INT ? node_ival(p) : 0;
}

const char *gwapi_xbackend_host(struct gwapi *g, const char *ns, const char *name,
				const struct node *ref_port, long long *port,
				const char **reason, const char **msg)
{
	struct gw_obj *xb = gwapi_find(g, GWK_XBACKEND, ns, name);
	*reason = *msg = NULL;
	if (!xb) {
		*reason = "BackendNotFound";
		*msg = arena_printf(&g->arena, "backend(%s) not found", name);
		return NULL;
	}
	long long want = xbackend_port(xb);
	if (ref_port && ref_port->type == NODE_INT && node_ival(ref_port) != want) {
		*reason = "BackendNotFound";
		*msg = arena_printf(&g->arena, "backend(%s) does not expose port %lld, expected %lld",
				    name, node_ival(ref_port), want);
		return NULL;
	}
	const char *h = gwapi_str(node_get(xb->spec, "externalHostname"), "hostname");
	if (!h) {
		*reason = "BackendNotFound";
		*msg = arena_printf(&g->arena, "backend(%s) has no external hostname", name);
		return NULL;
	}
	*port = want;
	return h;
}

/* Whether a route names XBackend xb in one of its rules' backendRefs. */
static bool route_names(const struct gw_obj *route, const struct gw_obj *xb)
{
	const struct node *rules = node_get(route->spec, "rules");
	for (size_t i = 0; rules && rules->type == NODE_SEQ && i < rules->n; i++) {
		const struct node *refs = node_get(rules->items[i], "backendRefs");
		for (size_t k = 0; refs && refs->type == NODE_SEQ && k < refs->n; k++) {
			const struct node *r = refs->items[k];
			const char *ns = gwapi_str(r, "namespace"), *name = gwapi_str(r, "name");
			if (gwapi_is_xbackend(gwapi_str(r, "group"), gwapi_str(r, "kind")) && name &&
			    strcmp(name, xb->name) == 0 && strcmp(ns ? ns : route->ns, xb->ns) == 0)
				return true;
		}
	}
	return false;
}

static int obj_cmp(const void *x, const void *y)
{
	const struct gw_obj *a = *(const struct gw_obj *const *)x, *b = *(const struct gw_obj *const *)y;
	int r = strcmp(a->ns, b->ns);
	return r ? r : strcmp(a->name, b->name);
}

static void entry(struct gwapi *g, struct node *parents, const char *ctrl, const char *group,
		  const char *kind, const char *name, const char *ns, const char *invalid)
{
	struct arena *a = &g->arena;
	struct node *e = onode_push(a, parents, onode_map(a));
	struct node *conds = onode_child_seq(a, e, "conditions");
	if (invalid)
		gwapi_condition(g, conds, "Accepted", false, "Invalid", invalid);
	else
		gwapi_condition(g, conds, "Accepted", true, "Accepted", "Configuration is valid");
	gwapi_condition(g, conds, "ResolvedRefs", true, "ResolvedRefs", "Configuration is valid");
	onode_set(a, e, "controllerName", onode_str(a, ctrl));
	struct node *pr = onode_child_map(a, e, "parentRef");
	onode_set(a, pr, "group", onode_str(a, group));
	onode_set(a, pr, "kind", onode_str(a, kind));
	onode_set(a, pr, "name", onode_str(a, name));
	if (ns)
		onode_set(a, pr, "namespace", onode_str(a, ns));
}

static void xbackend_status(struct gwapi *g, struct gw_obj *xb)
{
	struct arena *a = &g->arena;
	const char *mode = gwapi_str(node_get(xb->spec, "tls"), "mode");
	const char *invalid = mode && strcmp(mode, "ClientAndServer") == 0 ?
		"unsupported ClientAndServer TLS mode: Istio does not support client certificates on backend" :
		NULL;
	if (invalid)
		gwapi_issue(g, xb, node_get(xb->spec, "tls"), "Accepted", "Invalid", invalid, NULL);
	xb->status = onode_map(a);
	struct node *parents = onode_child_seq(a, xb->status, "parents");
	entry(g, parents, "istio.io/mesh-controller", XGROUP, "XBackend", xb->name, NULL, invalid);
	/* The Gateways of the routes that name it, each once, by namespace/name. */
	struct gw_obj **gws = xmalloc((g->nobjs + 1) * sizeof(*gws));
	size_t n = 0;
	for (size_t i = 0; i < g->nobjs; i++) {
		struct gw_obj *r = g->objs[i];
		if ((r->kind != GWK_HTTP_ROUTE && r->kind != GWK_GRPC_ROUTE && r->kind != GWK_TCP_ROUTE &&
		     r->kind != GWK_TLS_ROUTE) || !route_names(r, xb))
			continue;
		const struct node *prefs = node_get(r->spec, "parentRefs");
		for (size_t p = 0; prefs && prefs->type == NODE_SEQ && p < prefs->n; p++) {
			const char *pg = gwapi_str(prefs->items[p], "group");
			const char *pk = gwapi_str(prefs->items[p], "kind");
			const char *pns = gwapi_str(prefs->items[p], "namespace");
			if ((pg && strcmp(pg, "gateway.networking.k8s.io") != 0) || (pk && strcmp(pk, "Gateway") != 0))
				continue;
			struct gw_obj *gw = gwapi_find(g, GWK_GATEWAY, pns ? pns : r->ns,
						       gwapi_str(prefs->items[p], "name"));
			bool seen = !gw;
			for (size_t k = 0; k < n && !seen; k++)
				seen = gws[k] == gw;
			if (!seen)
				gws[n++] = gw;
		}
	}
	qsort(gws, n, sizeof(*gws), obj_cmp);
	for (size_t i = 0; i < n; i++)
		entry(g, parents, "istio.io/gateway-controller", "gateway.networking.k8s.io", "Gateway",
		      gws[i]->name, gws[i]->ns, invalid);
	free(gws);
}

void gwapi_xbackend_statuses(struct gwapi *g)
{
	for (size_t i = 0; i < g->nobjs; i++)
		if (g->objs[i]->kind == GWK_XBACKEND)
			xbackend_status(g, g->objs[i]);
}
