/*
 * Gateway API diagnostics: each status condition Istio would write as
 * unhealthy becomes a diagnostic at the resource (a code per reason,
 * diag_gwapi.def); so do routes Istio orders by creation time (MSH0620)
 * and hosts routed by both a VirtualService and a Gateway API route on
 * one gateway (MSH0621). project_analyze calls gwapi_analyze.
 */
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "gwapi.h"
#include "model.h"
#include "xref_index.h"

static const struct {
	const char *type, *reason;
	enum diag_code code;
} codes[] = {
	{ "Accepted", "UnsupportedProtocol", MSH0601 },
	{ "ResolvedRefs", "InvalidCertificateRef", MSH0602 },
	{ "ResolvedRefs", "RefNotPermitted", MSH0613 },   /* a route's; a listener's below */
	{ "ResolvedRefs", "InvalidRouteKinds", MSH0604 },
	{ "Accepted", "UnsupportedAddress", MSH0605 },
	{ "Accepted", "InvalidParameters", MSH0606 },
	{ "Accepted", "ListenersNotValid", MSH0607 },
	{ "Programmed", "AddressNotUsable", MSH0608 },
	{ "Accepted", "NoMatchingParent", MSH0610 },
	{ "Accepted", "NotAllowedByListeners", MSH0611 },
	{ "Accepted", "NoMatchingListenerHostname", MSH0612 },
	{ "ResolvedRefs", "BackendNotFound", MSH0614 },
	{ "ResolvedRefs", "InvalidKind", MSH0615 },
	{ "ResolvedRefs", "InvalidDestination", MSH0616 },
	{ "ResolvedRefs", "InvalidFilter", MSH0617 },
	{ "ResolvedRefs", "InvalidConfiguration", MSH0618 },
	{ "Conflicted", "HostnameConflict", MSH0633 },
	{ "Conflicted", "ProtocolConflict", MSH0634 },
	{ "Accepted", "Invalid", MSH0670 },   /* an XBackend's only */
	{ "ResolvedRefs", "InvalidCACertificateRef", MSH0650 },
	{ "ResolvedRefs", "InvalidCACertificateKind", MSH0651 },
	{ "ResolvedRefs", "InvalidClientCertificateRef", MSH0652 },
	/* meshc's own: Istio drops the suite without a condition */
	{ "TLS", "InvalidCipherSuite", MSH0653 },
	/* meshc's own: ListenerSets Istio orders by creation time */
	{ "Precedence", "ListenerSetTie", MSH0659 },
};

/* A BackendTLSPolicy's conditions (diag_gwtls.def). */
static int policy_code(const struct gw_issue *is)
{
	static const struct {
		const char *type, *reason;
		enum diag_code code;
	} pc[] = {
		{ "Accepted", "TargetNotFound", MSH0654 },
		{ "ResolvedRefs", "InvalidCACertificateRef", MSH0655 },
		{ "ResolvedRefs", "InvalidKind", MSH0656 },
		{ "Accepted", "Conflicted", MSH0657 },
		{ "Accepted", "Invalid", MSH0658 },
	};
	for (size_t k = 0; k < sizeof(pc) / sizeof(pc[0]); k++)
		if (strcmp(pc[k].type, is->type) == 0 && strcmp(pc[k].reason, is->reason) == 0)
			return (int)pc[k].code;
	return -1;
}

/* A ListenerSet's own conditions (diag_listenerset.def); its listeners'
 * are those of a Gateway's. */
static int listenerset_code(const struct gw_issue *is)
{
	if (strcmp(is->type, "Accepted") == 0 && strcmp(is->reason, "NotAllowed") == 0)
		return MSH0630;
	if (strcmp(is->type, "Accepted") == 0 && strcmp(is->reason, "ParentNotAccepted") == 0)
		return MSH0631;
	if (strcmp(is->type, "Accepted") == 0 && strcmp(is->reason, "ListenersNotValid") == 0)
		return MSH0632;
	if (strcmp(is->type, "Programmed") == 0 && strcmp(is->reason, "AddressNotUsable") == 0)
		return MSH0635;
	return -1;
}

/*
 * Reports code at object o (at node `at` when given), with the template's
 * arguments a1..a4 (NULL past the last: a fixed list, not `...`, because
 * reading variadic arguments a caller did not pass is undefined; ASan
 * caught it in fuzz_compile).
 */
static void report(struct gwapi *g, struct diag_list *d, enum diag_code code,
		   const struct gw_obj *o, const struct node *at, const char *a1,
		   const char *a2, const char *a3, const char *a4)
{
	(void)g;
	/* Path and origin live in the diagnostics' arena: the list keeps
	 * them, and g is released before the list is printed. */
	char *path = at && at->line ? diag_node_path(d->arena, o->root, at) : NULL;
	unsigned line = at && at->line ? at->line : o->line;
	unsigned col = at && at->line ? at->col : o->col;
	char *origin = *o->ns ? arena_printf(d->arena, "%s %s/%s", o->kind_name, o->ns, o->name) :
			arena_printf(d->arena, "%s %s", o->kind_name, o->name);
	if (o->res) {
		struct mpos pos = { line, col };
		diag_report_at(d, code, o->res, &pos, path, a1, a2, a3, a4);
	} else {
		diag_report_pos(d, code, o->file, line, col, origin, path, a1, a2, a3, a4);
	}
}

/* A VirtualService host, fully qualified as Istio reads it in namespace ns. */
static const char *vs_fqdn(struct gwapi *g, const char *h, const char *ns)
{
	if (strchr(h, '.') || strchr(h, '*'))
		return h;
	return arena_printf(&g->arena, "%s.%s.svc.%s", h, ns, g->domain);
}

/* VirtualServices in input order. */
struct vs_list {
	const struct resource **v;
	size_t n, cap;
};

/* The VirtualServices on the mesh, and on each gateway by "ns/name"
 * (as a VirtualService names it, qualified with its namespace). */
struct vs_gateways {
	struct vs_list mesh;
	struct xref_map by_gateway;  /* "ns/name" -> struct vs_list */
	struct vs_list **lists;      /* every list of by_gateway, to free */
	size_t nlists, lcap;
};

static void vs_list_add(struct vs_list *l, const struct resource *vs)
{
	if (l->n && l->v[l->n - 1] == vs)
		return;   /* a gateway named twice */
	GROW(l->v, l->n, l->cap);
	l->v[l->n++] = vs;
}

static void vs_gateways_build(struct gwapi *g, const struct project *p, struct vs_gateways *x)
{
	memset(x, 0, sizeof(*x));
	xref_map_init(&x->by_gateway, &g->arena);
	for (size_t r = 0; r < p->nres; r++) {
		const struct resource *vs = p->res[r];
		const struct m_vs *m = model_vs(vs);
		if (!m || !vs->has_spec || vs->shadowed)
			continue;
		const struct mstrs *vg = &m->gateways;
		if (vg->n == 0)
			vs_list_add(&x->mesh, vs);
		for (size_t k = 0; k < vg->n; k++) {
			const char *t = vg->v[k].s;
			if (!t)
				continue;
			if (strcmp(t, "mesh") == 0)
				vs_list_add(&x->mesh, vs);
			const char *key = strchr(t, '/') ? t : arena_printf(&g->arena, "%s/%s",
									   vs->namespace, t);
			void **slot = xref_map_put(&x->by_gateway, key);
			if (!*slot) {
				struct vs_list *l = xcalloc(1, sizeof(*l));
				GROW(x->lists, x->nlists, x->lcap);
				x->lists[x->nlists++] = l;
				*slot = l;
			}
			vs_list_add(*slot, vs);
		}
	}
}

static void vs_gateways_release(struct vs_gateways *x)
{
	for (size_t i = 0; i < x->nlists; i++) {
		free(x->lists[i]->v);
		free(x->lists[i]);
	}
	free(x->lists);
	free(x->mesh.v);
	xref_map_release(&x->by_gateway);
}

/*
 * MSH0621: a host of a converted VirtualService that an Istio
 * VirtualService also routes on the same Kubernetes Gateway (named
 * "ns/name" in its gateways) or, for mesh routes, on the mesh.
 */
static void mixed_routes(struct gwapi *g, const struct project *p, struct diag_list *d)
{
	struct vs_gateways x;
	bool built = false;
	for (size_t i = 0; i < g->nouts; i++) {
		const struct gw_out *o = &g->outs[i];
		if (strcmp(o->kind, "VirtualService") != 0 || !o->from)
			continue;
		const struct node *spec = node_get(o->doc, "spec");
		const struct node *gws = node_get(spec, "gateways"), *hs = node_get(spec, "hosts");
		if (!gws || gws->n != 1 || !hs || hs->n != 1)
			continue;
		const char *gw = gws->items[0]->text, *host = hs->items[0]->text;
		bool mesh = strcmp(gw, "mesh") == 0;
		char *kgw = NULL;   /* "ns/name" of the Kubernetes Gateway */
		if (!mesh) {
			const char *tilde = strstr(gw, "~istio-autogenerated-k8s-gateway~");
			if (!tilde)
				continue;
			kgw = arena_strndup(&g->arena, gw, (size_t)(tilde - gw));
		}
		if (!built)
			vs_gateways_build(g, p, &x);
		built = true;
		const struct vs_list *on = mesh ? &x.mesh : xref_map_get(&x.by_gateway, kgw);
		for (size_t r = 0; on && r < on->n; r++) {
			const struct resource *vs = on->v[r];
			const struct mstrs *vh = &model_vs(vs)->hosts;
			for (size_t k = 0; k < vh->n; k++) {
				const char *h = vh->v[k].s;
				if (!h)
					continue;
				const char *f = vs_fqdn(g, h, vs->namespace);
				if (mesh ? strcmp(f, host) == 0 : gwapi_host_matches(f, host)) {
					report(g, d, MSH0621, o->from, NULL, host,
					       arena_printf(&g->arena, "%s %s/%s", o->from->kind_name,
							    o->from->ns, o->from->name),
					       resource_origin(vs, &g->arena), mesh ? "the mesh" :
					       arena_printf(&g->arena, "Gateway %s", kgw));
					break;
				}
			}
		}
	}
	if (built)
		vs_gateways_release(&x);
}

/*
 * A merge key as a reader names it: "ns/gw~istio-autogenerated-k8s-gateway~l/host"
 * is "Gateway ns/gw listener l, host host"; a mesh key "ns[/port]/host" is
 * "the mesh, host host".
 */
static const char *where_text(struct gwapi *g, const char *key)
{
	const char *t = strstr(key, "~istio-autogenerated-k8s-gateway~");
	const char *host = strrchr(key, '/');
	if (!host)
		return key;
	if (!t)
		return arena_printf(&g->arena, "the mesh, host %s", host + 1);
	const char *l = t + strlen("~istio-autogenerated-k8s-gateway~");
	return arena_printf(&g->arena, "Gateway %s listener %s, host %s",
			    arena_strndup(&g->arena, key, (size_t)(t - key)),
			    arena_strndup(&g->arena, l, (size_t)(host - l)), host + 1);
}

/*
 * Istio joins the messages of every listener a parentRef matches with
 * "; ": the diagnostic gives the first, and how many more listeners
 * refused the route.
 */
static const char *once(struct gwapi *g, const char *msg)
{
	const char *sep = strstr(msg, "; ");
	if (!sep)
		return msg;
	size_t n = (size_t)(sep - msg);
	unsigned more = 0;
	bool same = true;
	for (const char *p = sep; p; p = strstr(p + 2, "; ")) {
		more++;
		const char *next = strstr(p + 2, "; ");
		size_t len = next ? (size_t)(next - p - 2) : strlen(p + 2);
		same &= len == n && strncmp(p + 2, msg, n) == 0;
	}
	if (same)
		return arena_strndup(&g->arena, msg, n);
	return arena_printf(&g->arena, "%.*s (and %u more listener%s)", (int)n, msg, more,
			    more == 1 ? "" : "s");
}

void gwapi_report(struct gwapi *g, const struct project *p, struct diag_list *d)
{
	bool check_hosts = p->has_kind[KIND_SERVICE] || p->has_kind[KIND_SERVICE_ENTRY] ||
			   p->opt.require_hosts;
	for (size_t i = 0; i < g->nissues; i++) {
		const struct gw_issue *is = &g->issues[i];
		bool route = is->obj->kind == GWK_HTTP_ROUTE || is->obj->kind == GWK_GRPC_ROUTE ||
			     is->obj->kind == GWK_TCP_ROUTE || is->obj->kind == GWK_TLS_ROUTE;
		int code = -1;
		for (size_t k = 0; k < sizeof(codes) / sizeof(codes[0]); k++)
			if (strcmp(codes[k].type, is->type) == 0 && strcmp(codes[k].reason, is->reason) == 0)
				code = (int)codes[k].code;
		if (code == MSH0613 && !route)
			code = MSH0603;
		if (is->obj->kind == GWK_LISTENER_SET && (!is->at || listenerset_code(is) >= 0))
			code = listenerset_code(is);
		if (is->obj->kind == GWK_BACKEND_TLS_POLICY)
			code = policy_code(is);
		if (code < 0 || (code == MSH0670 && is->obj->kind != GWK_XBACKEND))
			continue;
		/* Backends and gateway Services are checked when the input has Services. */
		if ((code == MSH0614 || code == MSH0608 || code == MSH0635) && !check_hosts)
			continue;
		if (code == MSH0635 && is->obj->managed)
			continue;   /* Istio deploys that Service itself */
		if (code == MSH0608 && (is->obj->managed || strcmp(is->reason, "AddressNotUsable") != 0))
			continue;   /* Istio deploys that Service itself */
		if (code >= MSH0610 && code <= MSH0612)
			report(g, d, (enum diag_code)code, is->obj, is->at,
			       arena_printf(&g->arena, "%s (%s): %s", is->parent, is->reason,
					    once(g, is->message)), NULL, NULL, NULL);
		else
			report(g, d, (enum diag_code)code, is->obj, is->at, is->message, NULL, NULL,
			       NULL);
	}
	for (size_t i = 0; i < g->nties; i++) {
		const struct gw_tie *t = &g->ties[i];
		char *names = arena_printf(&g->arena, "%s %s/%s and %s %s/%s",
					   t->a->kind_name, t->a->ns, t->a->name,
					   t->b->kind_name, t->b->ns, t->b->name);
		report(g, d, MSH0620, t->b, NULL, names, where_text(g, t->where), NULL, NULL);
	}
	mixed_routes(g, p, d);
}

void gwapi_analyze(struct project *p)
{
	struct gwapi g;
	gwapi_build(&g, p, p->opt.domain);
	if (g.any)
		gwapi_report(&g, p, &p->diags);
	gwapi_release(&g);
}
