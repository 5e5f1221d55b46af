/*
 * The mesh (sidecars), as Istio's route.go BuildSidecarVirtualHostWrapper
 * and tls.go build a sidecar's outbound config:
 *
 *  - A VirtualService without gateways (or naming `mesh`) splits its
 *    hosts into registry services (Services and ServiceEntries; a
 *    wildcard host stands for those it covers, each bound to the most
 *    specific wildcard and not when a VirtualService names it exactly:
 *    separateVSHostsAndServices) and other hosts. It is built per HTTP
 *    port of its services (serviceByPort); its other hosts go on each of
 *    those ports, or on port 80 alone when it has none (a dotted host
 *    that is not a service, "test.default", is its own virtual host
 *    there). With no Service or ServiceEntry in the input at all, meshc
 *    cannot know ports and uses a listener that matches any port.
 *  - On each port its routes are built for that port (a match for
 *    another port is left out); a VirtualService left without routes is
 *    not bound there and the default route stays. The first
 *    VirtualService for a host wins (Istio drops later duplicates).
 *  - Routes guarded by the caller's labels or namespace stay conditions;
 *    the virtual host is marked source-scoped and, for a service, keeps
 *    its default route as the fallback for callers none of its routes
 *    applies to (buildSidecarVirtualHostsForVirtualService returns no
 *    virtual host then, and the service's default one is used).
 *  - tcp routes bind to the services' TCP ports, tls routes to their TLS
 *    ports.
 *  - Default routes: an HTTP (or sniffed) port gets `default` to
 *    outbound|PORT||HOST with the mesh's default retry policy; a TLS or
 *    HTTPS port gets a TLS route chosen by SNI = the host
 *    (buildSidecarOutboundTLSFilterChainOpts); a TCP port a TCP route.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_build.h"

static bool port_http(enum prim_protocol p)
{
	return prim_protocol_is_http(p) || p == PROTO_UNSUPPORTED;   /* IsHTTPOrSniffed */
}

/* The mesh listener of port, remembered: binds and default routes come
 * in runs on one port, and each lookup hashed two keys. */
static struct rm_listener *mesh_listener(struct builder *b, unsigned port)
{
	if (!b->mesh_l || b->mesh_port != port) {
		b->mesh_l = route_model_listener(b->m, "mesh", port, NULL);
		b->mesh_port = port;
	}
	return b->mesh_l;
}

/*
 * Binds route list `list` (of VirtualService routes) to `host` on the
 * mesh listener of `port`, unless an earlier VirtualService has it.
 */
static void mesh_bind(struct builder *b, const char *host, unsigned port,
		      struct rm_route_list *list)
{
	struct rm_listener *l = mesh_listener(b, port);
	struct rm_vhost *v = route_model_vhost(b->m, l, host);
	if (v->routes->n)
		return;   /* first VirtualService for a mesh host wins */
	v->routes = list;
	for (size_t i = 0; i < list->n; i++)
		if (list->routes[i]->kind == MRT_ROUTE_HTTP && route_source_scoped(list->routes[i]))
			v->flags |= MRT_VHOST_SOURCE_SCOPED;
}

/* A growing list of registry services. */
struct svc_list {
	const struct mesh_svc **s;
	size_t n, cap;
};

static void svc_add(struct svc_list *l, const struct mesh_svc *s)
{
	GROW(l->s, l->n, l->cap);
	l->s[l->n++] = s;
}

/* The registry services a wildcard host of vs stands for (appended to
 * svcs); false when it covers none. */
static bool wildcard_services(struct builder *b, const char *wild, struct svc_list *svcs)
{
	bool covered = false;
	for (size_t i = 0; i < b->nsvc; i++) {
		const struct mesh_svc *s = &b->svc[i];
		if (strcmp(s->host, wild) != 0 && !prim_host_subset_of(s->host, wild))
			continue;
		covered = true;
		if (xref_map_get(&b->mesh_exact, s->host))
			continue;
		bool better = false;
		for (size_t k = 0; k < b->nmesh_wild && !better; k++)
			better = strlen(b->mesh_wild[k]) > strlen(wild) &&
				 (strcmp(s->host, b->mesh_wild[k]) == 0 ||
				  prim_host_subset_of(s->host, b->mesh_wild[k]));
		if (!better)
			svc_add(svcs, s);
	}
	return covered;
}

static bool has_port(const unsigned *ports, size_t n, unsigned p)
{
	for (size_t i = 0; i < n; i++)
		if (ports[i] == p)
			return true;
	return false;
}

/* Steps of the mesh build (route_plan_run): bind a route list to a host
 * on a port; append routes to a port's TLS/TCP list (the listener is
 * made even when there are none). */
static void step_bind(struct builder *b, const struct route_step *s)
{
	mesh_bind(b, s->host, s->port, s->list);
}

static void step_l4(struct builder *b, const struct route_step *s)
{
	struct rm_listener *l = mesh_listener(b, s->port);
	for (size_t k = 0; k < s->list->n; k++)
		route_list_add(b->m, l->l4, s->list->routes[k]);
}

static void plan_add(struct route_plan *pl, bool bind, unsigned port, const char *host,
		     struct rm_route_list *list)
{
	struct route_step s = { .apply = bind ? step_bind : step_l4, .port = port,
				.host = host, .list = list };
	route_plan_add(pl, &s);
}

/* The steps of mesh VirtualService vs, appended to pl. */
static void plan_mesh_vs(struct builder *b, const struct resource *vs, struct route_plan *pl)
{
	const struct mstrs *vh = &model_vs(vs)->hosts;
	size_t nh = vh->n;
	struct svc_list sl = { 0 };
	const char **others = xcalloc(nh + 1, sizeof(*others));
	size_t no = 0;
	for (size_t i = 0; i < nh; i++) {
		const char *h = vh->v[i].s;
		if (!h)
			continue;
		if (h[0] == '*') {
			const char *wild = lower(&b->m->arena, h);
			if (!wildcard_services(b, wild, &sl))
				others[no++] = wild;
			continue;
		}
		const char *host = route_fqdn(b, h, vs->namespace);
		const struct mesh_svc *s = route_svc(b, host);
		if (s)
			svc_add(&sl, s);
		else
			others[no++] = host;
	}
	bool registry = b->nsvc > 0;
	const struct mesh_svc **svcs = sl.s;
	size_t ns = sl.n;

	/* HTTP: per HTTP port of its services (serviceByPort), else 80. */
	unsigned *ports = xcalloc(64 + 1, sizeof(*ports));
	size_t np = 0, capp = 64;
	for (size_t i = 0; i < ns; i++)
		for (size_t k = 0; k < svcs[i]->nports; k++)
			if (port_http(svcs[i]->protos[k]) && !has_port(ports, np, svcs[i]->ports[k])) {
				GROW(ports, np, capp);
				ports[np++] = svcs[i]->ports[k];
			}
	if (np == 0)
		ports[np++] = registry ? 80 : 0;
	for (size_t pi = 0; pi < np; pi++) {
		unsigned port = ports[pi];
		struct rctx cx = { "mesh", port, port, NULL, NULL };
		struct rm_route_list *list = route_list_new(b->m);
		route_http_routes(b, list, vs, &cx);
		if (port == 0)   /* unknown ports: tcp routes beside the http ones */
			route_l4_routes(b, list, vs, MRT_ROUTE_TCP, &cx);
		if (list->n == 0)
			continue;
		for (size_t i = 0; i < ns; i++)
			for (size_t k = 0; k < svcs[i]->nports; k++)
				if (svcs[i]->ports[k] == port && port_http(svcs[i]->protos[k]))
					plan_add(pl, true, port, svcs[i]->host, list);
		for (size_t i = 0; i < no; i++)
			plan_add(pl, true, port, others[i], list);
		if (port == 0) {
			struct rm_route_list *l4 = route_list_new(b->m);
			route_l4_routes(b, l4, vs, MRT_ROUTE_TLS, &cx);
			plan_add(pl, false, 0, NULL, l4);
		}
	}

	/* TCP and TLS: per port of its services of that kind. */
	np = 0;
	for (size_t i = 0; i < ns; i++) {
		for (size_t k = 0; k < svcs[i]->nports; k++) {
			enum prim_protocol p = svcs[i]->protos[k];
			unsigned port = svcs[i]->ports[k];
			if (port_http(p))
				continue;
			struct rctx cx = { "mesh", port, port, NULL, NULL };
			if (prim_protocol_is_tls(p)) {
				if (has_port(ports, np, port))
					continue;   /* the VirtualService's tls routes, once per port */
				GROW(ports, np, capp);
				ports[np++] = port;
				struct rm_route_list *l4 = route_list_new(b->m);
				route_l4_routes(b, l4, vs, MRT_ROUTE_TLS, &cx);
				plan_add(pl, false, port, NULL, l4);
				continue;
			}
			struct rm_route_list *list = route_list_new(b->m);
			route_l4_routes(b, list, vs, MRT_ROUTE_TCP, &cx);
			if (list->n)
				plan_add(pl, true, port, svcs[i]->host, list);
		}
	}
	free(ports);
	free(svcs);
	free(others);
}

static void plan_mesh_item(struct builder *w, size_t i, void *ctx, struct route_plan *pl)
{
	(void)ctx;
	if (xref_vs_mesh_bound(w->vs[i]) && route_vs_wanted(w, i))
		plan_mesh_vs(w, w->vs[i], pl);
}

/* VirtualServices per worker run: enough runs that two workers finish
 * together, few enough that each run's arena is well used. */
#define MESH_CHUNK 128

void route_build_mesh(struct builder *b)
{
	route_plan_run(b, b->nvs, MESH_CHUNK, plan_mesh_item, NULL);
}

/* The default route of host's port (a route of kind `kind`). */
static struct rm_route *default_route(struct builder *b, const char *host, unsigned port,
				      enum mrt_route_kind kind)
{
	struct rm_route *rt = arena_alloc(&b->m->arena, sizeof(*rt));
	rt->name = "default";
	rt->kind = kind;
	rt->action = MRT_ACTION_ROUTE;
	rt->timeout_ms = MRT_UNSET;
	rt->dests = arena_alloc(&b->m->arena, sizeof(*rt->dests));
	rt->dests[0].cluster = route_default_cluster(b, host, port);
	rt->dests[0].weight = 100;
	rt->n_dests = 1;
	if (kind == MRT_ROUTE_HTTP)
		route_set_retries(b, rt, NULL);
	if (kind == MRT_ROUTE_TLS) {
		rt->matches = arena_alloc(&b->m->arena, sizeof(*rt->matches));
		rt->matches[0].conds = arena_alloc(&b->m->arena, sizeof(struct rm_cond));
		rt->matches[0].conds[0].field = MRT_FIELD_SNI;
		rt->matches[0].conds[0].op = MRT_OP_HOST_ANY_OF;
		rt->matches[0].conds[0].value = host;
		rt->matches[0].n = 1;
		rt->n_matches = 1;
	}
	return rt;
}

/* Whether list ends in a TCP route that takes every request. */
static bool has_tcp_catchall(const struct rm_route_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->routes[i]->kind == MRT_ROUTE_TCP && l->routes[i]->n_matches == 0)
			return true;
	return false;
}

/* A TLS default route waiting for its place on its port's listener. */
struct tls_default {
	unsigned port;
	const char *host;
};

/*
 * Envoy picks the filter chain whose server name is the most specific
 * (exact before wildcard, longer wildcard suffix first: listener
 * filter_chain_match server_names); the table's TLS routes are tried in
 * order, so they are sorted that way, by port first. Host names break
 * ties, so the order never depends on the input's.
 */
static int tls_default_cmp(const void *a, const void *b)
{
	const struct tls_default *x = a, *y = b;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	bool wx = x->host[0] == '*', wy = y->host[0] == '*';
	if (wx != wy)
		return wx ? 1 : -1;
	size_t lx = strlen(x->host), ly = strlen(y->host);
	if (wx && lx != ly)
		return lx > ly ? -1 : 1;
	return strcmp(x->host, y->host);
}

void route_build_defaults(struct builder *b)
{
	struct tls_default *tls = NULL;
	size_t ntls = 0, cap_tls = 0;
	for (size_t i = 0; i < b->nsvc; i++) {
		const struct mesh_svc *s = &b->svc[i];
		for (size_t k = 0; k < s->nports; k++) {
			unsigned port = s->ports[k];
			enum prim_protocol p = s->protos[k];
			struct rm_listener *l = mesh_listener(b, port);
			if (!route_host_wanted(b, s->host))
				continue;   /* the listener stays, as in the full build */
			if (prim_protocol_is_tls(p)) {
				GROW(tls, ntls, cap_tls);
				tls[ntls].port = port;
				tls[ntls++].host = s->host;
				continue;
			}
			struct rm_vhost *v = route_model_vhost(b->m, l, s->host);
			if (port_http(p)) {
				if (v->routes->n == 0)
					route_list_add(b->m, v->routes, default_route(b, s->host, port,
										      MRT_ROUTE_HTTP));
				else if (v->flags & MRT_VHOST_SOURCE_SCOPED)
					v->fallback = default_route(b, s->host, port, MRT_ROUTE_HTTP);
				continue;
			}
			if (has_tcp_catchall(v->routes))
				continue;
			/* The list may be shared with other hosts: extend a copy. */
			struct rm_route_list *nl = route_list_new(b->m);
			for (size_t r = 0; r < v->routes->n; r++)
				route_list_add(b->m, nl, v->routes->routes[r]);
			route_list_add(b->m, nl, default_route(b, s->host, port, MRT_ROUTE_TCP));
			v->routes = nl;
		}
	}
	if (ntls > 1)
		qsort(tls, ntls, sizeof(*tls), tls_default_cmp);
	for (size_t i = 0; i < ntls; i++) {
		struct rm_listener *l = mesh_listener(b, tls[i].port);
		route_list_add(b->m, l->l4, default_route(b, tls[i].host, tls[i].port, MRT_ROUTE_TLS));
	}
	free(tls);
}
