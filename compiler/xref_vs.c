/*
 * Analyzers over VirtualServices (istio.md §3.2):
 *   IST0101 gateway, IST0132, IST0165   virtualservice.GatewayAnalyzer
 *   IST0101 host / mirror host / host:port, IST0112, IST0140
 *                                       virtualservice.DestinationHostAnalyzer
 *   IST0101 host+subset / mirror+subset virtualservice.DestinationRuleAnalyzer
 *   IST0109                             virtualservice.ConflictingMeshGatewayHostsAnalyzer
 *   IST0002                             deprecation.FieldAnalyzer
 * and meshc's own MSH0302 (a Gateway that cannot carry any of the
 * VirtualService's routes) and MSH0303 (a subset that exists, but not in
 * the DestinationRule the route's namespace uses). The destination pass
 * also marks the DestinationRule subsets that routes use (MSH0301 is
 * reported by xref_dr.c).
 *
 * The per-VirtualService work runs per unit on the worker pool, each unit
 * reporting into its own diagnostics: compact records (vs_rec) and every
 * check that needs only the index, in one walk of each tree. Only the
 * cross-VirtualService indexes (IST0140, IST0109) are built serially, from
 * the records; IST0140 then takes a second, short pass over the
 * VirtualServices bound to gateways.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prim.h"
#include "xref_index.h"

bool xref_vs_mesh_bound(const struct resource *vs)
{
	const struct mstrs *gws = &model_vs(vs)->gateways;
	if (gws->n == 0)
		return true;
	for (size_t i = 0; i < gws->n; i++) {
		const char *g = gws->v[i].s;
		if (g && strcmp(g, "mesh") == 0)
			return true;
	}
	return false;
}

/*
 * Where a destination is written: spec.<tcp|tls|http>[rule].route[item]
 * .destination, spec.http[rule].mirror, or spec.http[rule].mirrors[item]
 * .destination (dest_path builds the field path when one is reported).
 */
enum dest_where { AT_ROUTE, AT_MIRROR, AT_MIRRORS };

struct dest_loc {
	enum dest_where where;
	const char *kind;            /* "tcp", "tls", "http" */
	unsigned rule, item;
};

/* An HTTP route destination without a subset: its host and FQDN. */
struct plain_dest {
	const struct mpos *host;
	struct dest_loc loc;
	const char *fqdn;
};

/*
 * What the checks need of one VirtualService, gathered once per unit on
 * the worker pool so that the serial passes read compact records rather
 * than walk every tree again.
 */
struct vs_rec {
	struct xref_vis vis;         /* the namespaces it applies to */
	bool mesh;                   /* applies to sidecars */
	bool gateways;               /* lists gateways (IST0140's second pass) */
	const struct mstrs *hosts;   /* spec.hosts when a list, else NULL */
	const char **fqdns;          /* hosts->v[i] fully qualified; NULL: not a string */
	const char **routed;         /* IST0140: hosts it routes to with a subset and lists */
	size_t nrouted, caprouted;
	struct plain_dest *plain;    /* IST0140: with gateways, HTTP route destinations */
	size_t nplain, capplain;     /* without a subset */
};

/* The state of the VirtualService passes. */
struct vs_pass {
	struct xref *x;
	/* One record per VirtualService with a spec, in input order (not
	 * one per resource: most resources are not VirtualServices). */
	struct vs_rec *recs;
	uint32_t *slot;              /* by resource position (seq): its record's
	                              * index in recs, or UINT32_MAX */
	struct xref_map routers;     /* fqdn -> struct subset_router list (IST0140) */
	/* What vs_unit does with each VirtualService. */
	void (*fn)(struct xref *x, struct vs_pass *pass, const struct resource *vs);
};

static bool is_vs(const struct resource *r)
{
	return r->kind == KIND_VIRTUAL_SERVICE && r->has_spec;
}

/* The record of resource r; NULL when r is not a VirtualService with a spec. */
static struct vs_rec *rec_of(const struct vs_pass *pass, const struct resource *r)
{
	uint32_t k = pass->slot[r->seq];
	return k == UINT32_MAX ? NULL : &pass->recs[k];
}

/* Whether a VirtualService record applies to sidecars: no gateways, or `mesh`. */
static bool mesh_bound(const struct m_vs *m)
{
	if (m->gateways.n == 0)
		return true;
	for (size_t i = 0; i < m->gateways.n; i++) {
		const char *g = m->gateways.v[i].s;
		if (g && strcmp(g, "mesh") == 0)
			return true;
	}
	return false;
}

/* The field path of spec.gateways[i] (x's arena). */
static const char *gateway_path(struct xref *x, size_t i)
{
	return arena_printf(x->arena, "spec.gateways[%zu]", i);
}

/* "[a b c]": a list of strings as Go's %v prints a []string. */
static const char *go_list(struct xref *x, const struct mstrs *list)
{
	size_t len = 3;
	for (size_t i = 0; list && i < list->n; i++) {
		const char *s = list->v[i].s;
		len += (s ? strlen(s) : 0) + 1;
	}
	char *out = arena_alloc(x->arena, len);
	strcat(out, "[");
	for (size_t i = 0, k = 0; list && i < list->n; i++) {
		const char *s = list->v[i].s;
		if (!s)
			continue;
		if (k++)
			strcat(out, " ");
		strcat(out, s);
	}
	strcat(out, "]");
	return out;
}

/* ---- gateways: IST0101 gateway, IST0132, IST0165, MSH0302 ---- */

/*
 * The route kinds a Gateway server carries: HTTP-family servers and
 * terminated HTTPS carry http routes; TLS passthrough carries tls and tcp
 * routes; terminated TLS and plain TCP-family servers carry tcp routes.
 */
enum { CARRY_HTTP = 1, CARRY_TCP = 2, CARRY_TLS = 4 };

static unsigned server_carries(const struct m_server *srv, const char **what)
{
	const char *proto = srv->protocol;
	const char *mode = srv->tls_mode;
	bool passthrough = !mode || strcmp(mode, "PASSTHROUGH") == 0 ||
			   strcmp(mode, "AUTO_PASSTHROUGH") == 0;
	enum prim_protocol p = prim_protocol_parse(proto ? proto : "");
	if (p == PROTO_HTTPS) {
		*what = passthrough ? "HTTPS passthrough" : "HTTPS";
		return passthrough ? CARRY_TLS | CARRY_TCP : CARRY_HTTP;
	}
	if (p == PROTO_TLS) {
		*what = passthrough ? "TLS passthrough" : "TLS (terminated)";
		return passthrough ? CARRY_TLS | CARRY_TCP : CARRY_TCP;
	}
	if (prim_protocol_is_http(p)) {
		*what = "HTTP";
		return CARRY_HTTP;
	}
	if (p == PROTO_UNSUPPORTED) {
		*what = "unknown protocol";
		return CARRY_HTTP | CARRY_TCP | CARRY_TLS;
	}
	*what = prim_protocol_name(p);
	return CARRY_TCP;
}

/* Gateway host `h` as seen from namespace vsns, or NULL if hidden. */
static const char *gateway_host_for(const char *h, const char *gwns,
				    const char *vsns)
{
	const char *sl = strchr(h, '/');
	if (!sl)
		return h;
	size_t nl = (size_t)(sl - h);
	if (nl == 1 && (h[0] == '*' || h[0] == '.')) {
		if (h[0] == '*' || strcmp(gwns, vsns) == 0)
			return sl + 1;
		return NULL;
	}
	if (strlen(vsns) == nl && strncmp(h, vsns, nl) == 0)
		return sl + 1;
	return NULL;
}

static bool host_match_any(const char *gh, const struct vs_rec *rec)
{
	for (size_t i = 0; rec->hosts && i < rec->hosts->n; i++) {
		const char *vh = rec->hosts->v[i].s;
		if (!vh)
			continue;
		if (prim_host_matches(gh, vh) || prim_host_matches(gh, rec->fqdns[i]))
			return true;
	}
	return false;
}

/*
 * IST0132 for a Gateway API Gateway, as vsHostInKubernetesGateway
 * (pkg/config/analysis/analyzers/virtualservice/gateways.go): a listener
 * without a hostname takes every host, else a listener hostname must
 * match one of the VirtualService's hosts.
 */
static void k8s_gateway_hosts(struct xref *x, const struct resource *vs,
			      const struct vs_rec *rec, size_t gi,
			      const struct resource *g)
{
	const struct m_k8s_gw *m = model_k8s_gw(g);
	for (size_t i = 0; m && i < m->hostnames.n; i++) {
		const char *h = m->hostnames.v[i].s;
		if (!h || !*h || host_match_any(h, rec))
			return;
	}
	diag_report_at(x->diags, IST0132, vs, &model_vs(vs)->gateways.v[gi].pos,
		       gateway_path(x, gi), go_list(x, rec->hosts),
		       arena_printf(x->arena, "%s/%s", vs->namespace, vs->name),
		       arena_printf(x->arena, "%s/%s", g->namespace, g->name));
}

static void vs_gateways(struct xref *x, const struct resource *vs,
			const struct vs_rec *rec)
{
	const struct m_vs *m = model_vs(vs);
	const struct mstrs *gws = &m->gateways;
	if (!gws->list)
		return;
	const struct mstrs *hosts = rec->hosts;
	unsigned wants = 0;
	if (m->nhttp)
		wants |= CARRY_HTTP;
	if (m->ntcp)
		wants |= CARRY_TCP;
	if (m->ntls)
		wants |= CARRY_TLS;
	for (size_t i = 0; i < gws->n; i++) {
		const struct mpos *gn = &gws->v[i].pos;
		const char *ref = gws->v[i].s;
		if (!ref || strcmp(ref, "mesh") == 0)
			continue;
		if (strstr(ref, "~istio-autogenerated-k8s-gateway~")) {
			diag_report_at(x->diags, IST0165, vs, gn, gateway_path(x, i),
				       arena_printf(x->arena, "%s/%s", vs->namespace, vs->name),
				       ref);
			continue;
		}
		const char *full;
		const struct resource *g = xref_gateway_lookup(x, ref, vs->namespace, &full);
		if (!g) {
			/* A Gateway API Gateway (virtualservice.GatewayAnalyzer
			 * looks for one when no Istio Gateway has the name). */
			const struct resource *k = xref_k8s_gateway_lookup(x, ref, vs->namespace,
									   &full);
			if (k)
				k8s_gateway_hosts(x, vs, rec, i, k);
			else
				diag_report_at(x->diags, IST0101, vs, gn, gateway_path(x, i),
					       "gateway", xref_quote(x, ref));
			continue;
		}
		/* Which servers carry one of the VirtualService's hosts. */
		const struct m_gw *gw = model_gw(g);
		bool any = false;
		unsigned carries = 0;
		const char *what = NULL;
		long long what_port = 0;
		for (size_t s = 0; s < gw->nservers; s++) {
			const struct mstrs *shosts = &gw->servers[s].hosts;
			bool match = false;
			for (size_t h = 0; h < shosts->n && !match; h++) {
				const char *gh = shosts->v[h].s;
				if (!gh)
					continue;
				if (strcmp(gh, "*/*") == 0)
					gh = "*";
				gh = gateway_host_for(gh, g->namespace, vs->namespace);
				if (gh && host_match_any(gh, rec))
					match = true;
			}
			if (!match)
				continue;
			any = true;
			const char *w;
			carries |= server_carries(&gw->servers[s], &w);
			if (!what) {
				what = w;
				what_port = mint_set(&gw->servers[s].port) ? gw->servers[s].port.v : 0;
			}
		}
		if (!any) {
			diag_report_at(x->diags, IST0132, vs, gn, gateway_path(x, i),
				       go_list(x, hosts),
				       arena_printf(x->arena, "%s/%s", vs->namespace, vs->name),
				       arena_printf(x->arena, "%s/%s", g->namespace, g->name));
			continue;
		}
		if (wants && !(wants & carries)) {
			const char *kinds = wants == CARRY_HTTP ? "http" :
					    wants == CARRY_TCP ? "tcp" :
					    wants == CARRY_TLS ? "tls" : "its";
			diag_reportf_at(x->diags, MSH0302, vs, gn, gateway_path(x, i),
				     "Gateway %s/%s carries none of the routes of VirtualService %s/%s: "
				     "its servers for these hosts (port %lld, %s) cannot serve %s routes",
				     g->namespace, g->name, vs->namespace, vs->name,
				     what_port, what, kinds);
		}
	}
}

/* ---- destinations ---- */

struct dest {
	const struct m_dest *m;      /* the Destination (host a string) */
	const char *subset;          /* its subset when a non-empty string, else NULL */
	const struct mint *port;     /* port.number when an integer, else NULL */
	const struct m_route_dest *route;   /* the route list it is in (NULL for mirrors) */
	unsigned nroute;
	const struct mint *weight;   /* its weight (NULL for mirrors) */
	const char *fqdn;            /* its host fully qualified */
	struct dest_loc loc;
	bool mirror;
	bool http;
};

/* The field path of the destination's `field` (x's arena). */
static const char *loc_path(struct xref *x, const struct dest_loc *l,
			    const char *field)
{
	switch (l->where) {
	case AT_ROUTE:
		return arena_printf(x->arena, "spec.%s[%u].route[%u].destination.%s",
				    l->kind, l->rule, l->item, field);
	case AT_MIRROR:
		return arena_printf(x->arena, "spec.http[%u].mirror.%s", l->rule, field);
	default:
		return arena_printf(x->arena, "spec.http[%u].mirrors[%u].destination.%s",
				    l->rule, l->item, field);
	}
}

static const char *dest_path(struct xref *x, const struct dest *d, const char *field)
{
	return loc_path(x, &d->loc, field);
}

typedef void dest_fn(struct xref *x, const struct resource *vs,
		     const struct vs_rec *rec, const struct dest *d);

static void note_subset_route(struct xref *x, struct vs_rec *rec, const char *fqdn);
static void note_plain_dest(struct xref *x, struct vs_rec *rec,
			    const struct dest *d);

/*
 * Calls fn on destination d (its m, route, weight, loc, mirror and http
 * set by the caller) when it has a host. An HTTP route destination is
 * first noted for IST0140 (note_subset_route, note_plain_dest), even with
 * an empty host.
 */
/*
 * The fully qualified name of a destination's host: a destination naming
 * one of the VirtualService's own hosts (the usual case) shares that
 * host's name (rec->fqdns, made the same way) instead of a copy per
 * destination.
 */
static const char *dest_fqdn(struct xref *x, const struct resource *vs,
			     const struct vs_rec *rec, const char *host)
{
	for (size_t k = 0; rec->hosts && k < rec->hosts->n; k++) {
		const char *own = rec->hosts->v[k].s;
		if (own && rec->fqdns[k] && strcmp(own, host) == 0)
			return rec->fqdns[k];
	}
	return xref_fqdn(x, host, vs->namespace);
}

static void visit_dest(struct xref *x, const struct resource *vs,
		       struct vs_rec *rec, struct dest *d, dest_fn *fn)
{
	if (!d->m->map)
		return;
	const char *host = d->m->host;
	if (!host)
		return;              /* the schema layer reports a missing host */
	d->subset = d->m->subset && *d->m->subset ? d->m->subset : NULL;
	d->fqdn = dest_fqdn(x, vs, rec, host);
	if (d->http && d->route && d->subset && x->check_hosts && rec->mesh)
		note_subset_route(x, rec, d->fqdn);
	if (d->http && d->route && !d->subset && x->check_hosts && rec->gateways)
		note_plain_dest(x, rec, d);
	if (!*host)
		return;
	d->port = mint_set(&d->m->port) ? &d->m->port : NULL;
	fn(x, vs, rec, d);
}

/* Every route destination (tcp, tls, http) then every http mirror. */
static void each_dest(struct xref *x, const struct resource *vs,
		      struct vs_rec *rec, dest_fn *fn)
{
	const struct m_vs *m = model_vs(vs);
	static const char *const kinds[] = { "tcp", "tls", "http" };
	for (unsigned k = 0; k < 3; k++) {
		unsigned nrules = k == 0 ? m->ntcp : k == 1 ? m->ntls : m->nhttp;
		for (unsigned i = 0; i < nrules; i++) {
			const struct m_route_dest *route;
			unsigned nroute;
			bool is_list;
			if (k == 2) {
				route = m->http[i].route;
				nroute = m->http[i].nroute;
				is_list = m->http[i].route_list;
			} else {
				const struct m_l4 *l4 = k == 0 ? &m->tcp[i] : &m->tls[i];
				route = l4->route;
				nroute = l4->nroute;
				is_list = l4->route_list;
			}
			for (unsigned j = 0; is_list && j < nroute; j++) {
				struct dest d = {
					.m = &route[j].dest, .route = route, .nroute = nroute,
					.weight = &route[j].weight, .http = k == 2,
					.loc = { AT_ROUTE, kinds[k], i, j },
				};
				visit_dest(x, vs, rec, &d, fn);
			}
		}
	}
	for (unsigned i = 0; i < m->nhttp; i++) {
		struct dest d = {
			.m = m->http[i].rare->mir->mirror, .mirror = true, .http = true,
			.loc = { AT_MIRROR, "http", i, 0 },
		};
		visit_dest(x, vs, rec, &d, fn);
		for (unsigned j = 0; j < m->http[i].rare->mir->nmirrors; j++) {
			struct dest dm = {
				.m = &m->http[i].rare->mir->mirrors[j], .mirror = true, .http = true,
				.loc = { AT_MIRRORS, "http", i, j },
			};
			visit_dest(x, vs, rec, &dm, fn);
		}
	}
}

/*
 * Whether a host definition serves a VirtualService that applies to the
 * namespaces `vis`. Exported to listed namespaces, the VirtualService
 * needs the host visible in one of them (as Istio checks). Exported
 * everywhere, it needs the host visible in its own namespace, or defined
 * there: a VirtualService next to its own Service serves the namespaces
 * that Service is exported to, although the Service may be hidden from
 * its own namespace (Istio reports those, #39629, #36048).
 */
static bool host_serves(const struct xref_hostdef *h, const struct resource *vs,
			const struct xref_vis *vis)
{
	if (!vis->all)
		return xref_vis_meet(&h->vis, vis);
	return xref_vis_has(&h->vis, vs->namespace) ||
	       strcmp(h->r->namespace, vs->namespace) == 0;
}

/* IST0101 host / mirror host / host:port and IST0112. */
static void check_host(struct xref *x, const struct resource *vs,
		       const struct vs_rec *rec, const struct dest *d)
{
	const struct xref_vis *vis = &rec->vis;
	const char *host = d->m->host;
	const char *fqdn = d->fqdn;
	bool wild;
	const struct xref_hostdef *defs = xref_host_lookup(x, fqdn, &wild);
	const struct xref_hostdef *first = NULL;
	bool port_found = false, any_ports = false;
	for (const struct xref_hostdef *h = defs; h; h = h->next) {
		if (!host_serves(h, vs, vis))
			continue;
		if (!first)
			first = h;
		if (h->nports)
			any_ports = true;
		for (size_t i = 0; d->port && i < h->nports; i++)
			if (h->ports[i] == d->port->v)
				port_found = true;
	}
	if (!first) {
		diag_report_at(x->diags, IST0101, vs, &d->m->host_pos,
			       dest_path(x, d, "host"),
			       d->mirror ? "mirror host" : "host", xref_quote(x, host));
		return;
	}
	if (d->port) {
		if (any_ports && !port_found)
			diag_report_at(x->diags, IST0101, vs, &d->port->pos,
				       dest_path(x, d, "port.number"), "host:port",
				       xref_quote(x, arena_printf(x->arena, "%s:%lld", host,
								  d->port->v)));
		return;
	}
	if (first->nports > 1) {
		size_t len = 3;
		for (size_t i = 0; i < first->nports; i++)
			len += 21;
		char *ports = arena_alloc(x->arena, len), *w = ports;
		*w++ = '[';
		for (size_t i = 0; i < first->nports; i++)
			w += sprintf(w, "%s%lld", i ? " " : "", first->ports[i]);
		*w++ = ']';
		*w = '\0';
		diag_report_at(x->diags, IST0112, vs, &d->m->host_pos,
			       dest_path(x, d, "host"), xref_quote(x, host), ports);
	}
}

static bool dr_has_subset(const struct xref_dr *dr, const char *subset)
{
	for (size_t i = 0; i < dr->nsubsets; i++)
		if (dr->subset_names[i] && strcmp(dr->subset_names[i], subset) == 0)
			return true;
	return false;
}

/* The share of traffic a destination in a weight split gets, or -1. */
static long long split_share(const struct dest *d)
{
	if (!d->route || d->nroute < 2)
		return -1;
	long long total = 0;
	for (size_t i = 0; i < d->nroute; i++) {
		const struct mint *w = &d->route[i].weight;
		if (mint_set(w) && w->v > 0)
			total += w->v;
	}
	if (!d->weight || !mint_set(d->weight) || total <= 0)
		return -1;
	return d->weight->v * 100 / total;
}

/* At most this many subset names are listed after an unknown subset. */
#define SUBSETS_LISTED 10

/*
 * What exists instead of an unknown subset, the hint of its IST0101
 * (whose message stays Istio's, exactly): `subsets of "reviews.default.
 * svc.cluster.local": "v1", "v2"`, each name once across the host's
 * DestinationRules, the first SUBSETS_LISTED of them; or that there is
 * no rule or no named subset. In x's arena.
 */
static const char *subsets_known(struct xref *x, const struct xref_dr *drs,
				 const char *fqdn)
{
	if (!drs)
		return arena_printf(x->arena, "no DestinationRule for host %s",
				    xref_quote(x, fqdn));
	const char *names[SUBSETS_LISTED];
	size_t listed = 0;
	bool more = false;
	for (const struct xref_dr *dr = drs; dr && !more; dr = dr->next)
		for (size_t i = 0; i < dr->nsubsets && !more; i++) {
			const char *name = dr->subset_names[i];
			bool dup = !name;
			for (size_t j = 0; !dup && j < listed; j++)
				dup = strcmp(names[j], name) == 0;
			if (dup)
				continue;
			if (listed == SUBSETS_LISTED)
				more = true;
			else
				names[listed++] = name;
		}
	if (!listed)
		return arena_printf(x->arena, "no DestinationRule for host %s "
				    "defines subsets", xref_quote(x, fqdn));
	const char *list = "";
	for (size_t j = 0; j < listed; j++)
		list = arena_printf(x->arena, "%s%s%s", list, j ? ", " : "",
				    xref_quote(x, names[j]));
	return arena_printf(x->arena, "subsets of %s: %s%s", xref_quote(x, fqdn),
			    list, more ? ", ..." : "");
}

static void report_subset_elsewhere(struct xref *x, const struct resource *vs,
				    const struct dest *d,
				    const struct xref_dr *definer,
				    const struct xref_dr *local);

/* IST0101 host+subset in destinationrule (or mirror+subset). */
static void report_no_subset(struct xref *x, const struct resource *vs,
			     const struct dest *d, const struct xref_dr *drs)
{
	diag_next_hint(x->diags, subsets_known(x, drs, d->fqdn));
	diag_report_at(x->diags, IST0101, vs, &d->m->subset_pos,
		       dest_path(x, d, "subset"),
		       d->mirror ? "mirror+subset in destinationrule" :
				   "host+subset in destinationrule",
		       xref_quote(x, arena_printf(x->arena, "%s+%s",
						  d->m->host, d->subset)));
}

/*
 * check_subset for a host several DestinationRules share (drs): the same
 * answers from the index's facts (xref_index.h, struct xref_subset)
 * instead of a walk of every rule, which N rules on one host would make
 * quadratic. With no rule of the VirtualService's namespace, the rules
 * it sees are those exported everywhere or to it by name.
 */
static void check_shared_subset(struct xref *x, const struct resource *vs,
				const struct vs_rec *rec, const struct dest *d,
				const struct xref_dr *drs)
{
	const char *subset = d->subset;
	struct xref_subset *si = xref_dr_fact(x, "S", drs->host, NULL, subset);
	if (!si) {
		report_no_subset(x, vs, d, drs);
		return;
	}
	atomic_store_explicit(&si->used, true, memory_order_relaxed);
	if (!rec->mesh)
		return;
	const char *ns = vs->namespace;
	const struct xref_dr *local = xref_dr_fact(x, "L", drs->host, ns, NULL);
	bool has = local ? xref_dr_fact(x, "LS", drs->host, ns, subset) != NULL :
		   xref_dr_fact(x, "ES", drs->host, NULL, subset) ||
		   xref_dr_fact(x, "XS", drs->host, ns, subset);
	if (!has)
		report_subset_elsewhere(x, vs, d, si->definer, local);
}

/*
 * IST0101 host+subset / mirror+subset when no DestinationRule for the
 * destination's host defines the subset; MSH0303 when one does, but not
 * the one sidecars in the VirtualService's namespace use: a rule in that
 * namespace takes precedence over rules elsewhere, and rules elsewhere
 * only count when exported there. Hosts are compared fully qualified and
 * wildcard rule hosts count (Istio matches `name.ns.svc.cluster.local` or
 * the literal host in the VirtualService's namespace only).
 */
static void check_subset(struct xref *x, const struct resource *vs,
			 const struct vs_rec *rec, const struct dest *d)
{
	const char *fqdn = d->fqdn;
	struct xref_dr *drs = xref_dr_lookup(x, fqdn);
	if (!d->subset)
		return;
	const char *subset = d->subset;
	if (drs && drs->shared) {
		check_shared_subset(x, vs, rec, d, drs);
		return;
	}
	const struct xref_dr *definer = NULL;
	for (struct xref_dr *dr = drs; dr; dr = dr->next)
		for (size_t i = 0; i < dr->nsubsets; i++)
			if (dr->subset_names[i] && strcmp(dr->subset_names[i], subset) == 0) {
				atomic_store_explicit(&dr->subset_used[i], true,
						      memory_order_relaxed);
				if (!definer)
					definer = dr;
			}
	if (!definer) {
		report_no_subset(x, vs, d, drs);
		return;
	}
	if (!rec->mesh)
		return;
	/* The rules a sidecar in the VirtualService's namespace uses. */
	const struct xref_dr *local = NULL, *visible = NULL;
	bool local_has = false, visible_has = false;
	for (const struct xref_dr *dr = drs; dr; dr = dr->next) {
		if (strcmp(dr->r->namespace, vs->namespace) == 0) {
			if (!local)
				local = dr;
			local_has |= dr_has_subset(dr, subset);
		} else if (xref_vis_has(&dr->vis, vs->namespace)) {
			if (!visible)
				visible = dr;
			visible_has |= dr_has_subset(dr, subset);
		}
	}
	if (local ? local_has : visible_has)
		return;
	report_subset_elsewhere(x, vs, d, definer, local);
}

/* MSH0303: subset d->subset is defined by `definer`, not by the rule the
 * VirtualService's namespace uses (`local`, or none visible there). */
static void report_subset_elsewhere(struct xref *x, const struct resource *vs,
				    const struct dest *d,
				    const struct xref_dr *definer,
				    const struct xref_dr *local)
{
	const char *subset = d->subset;
	const char *fqdn = d->fqdn;
	long long share = split_share(d);
	const char *lead = share >= 0 ?
		arena_printf(x->arena, "the weight split sends %lld%% of traffic to subset %s,",
			     share, xref_quote(x, subset)) :
		arena_printf(x->arena, "subset %s is", xref_quote(x, subset));
	if (local)
		diag_reportf_at(x->diags, MSH0303, vs, &d->m->subset_pos,
			     dest_path(x, d, "subset"),
			     "%s defined only by DestinationRule %s/%s; in namespace \"%s\" "
			     "DestinationRule %s/%s applies to host \"%s\" instead and lacks it",
			     lead, definer->r->namespace, definer->r->name, vs->namespace,
			     local->r->namespace, local->r->name, fqdn);
	else
		diag_reportf_at(x->diags, MSH0303, vs, &d->m->subset_pos,
			     dest_path(x, d, "subset"),
			     "%s defined only by DestinationRule %s/%s, which is not exported "
			     "to namespace \"%s\"",
			     lead, definer->r->namespace, definer->r->name, vs->namespace);
}

/* ---- IST0140 ---- */

/*
 * Hosts that mesh-bound VirtualServices route with subsets, keyed by
 * fully qualified host, for those VirtualServices that also list the host
 * in their `hosts` (so they are the routing rules of that service).
 */
struct subset_router {
	const struct resource *vs;
	struct subset_router *next;
};

/* Appends fqdn to rec->routed (arena-grown). */
static void add_routed(struct xref *x, struct vs_rec *rec, const char *fqdn)
{
	if (rec->nrouted == rec->caprouted) {
		size_t cap = rec->caprouted ? rec->caprouted * 2 : 4;
		const char **a = arena_alloc_raw(x->arena, cap * sizeof(*a));
		if (rec->nrouted)
			memcpy(a, rec->routed, rec->nrouted * sizeof(*a));
		rec->routed = a;
		rec->caprouted = cap;
	}
	rec->routed[rec->nrouted++] = fqdn;
}

/*
 * An HTTP route of a mesh-bound VirtualService sends traffic to `fqdn`
 * with a subset: when the VirtualService also lists that host in its
 * `hosts` (it is the routing rule of that service), the host goes to
 * rec->routed, in route order.
 */
static void note_subset_route(struct xref *x, struct vs_rec *rec, const char *fqdn)
{
	bool listed = false;
	for (size_t k = 0; rec->hosts && k < rec->hosts->n && !listed; k++)
		listed = rec->fqdns[k] && strcmp(rec->fqdns[k], fqdn) == 0;
	if (listed)
		add_routed(x, rec, fqdn);
}

/*
 * An HTTP route of a VirtualService bound to gateways sends traffic to
 * host node `host` (`fqdn`) without a subset: kept in rec->plain, in
 * route order, for vs_ingress_subsets.
 */
static void note_plain_dest(struct xref *x, struct vs_rec *rec,
			    const struct dest *d)
{
	if (rec->nplain == rec->capplain) {
		size_t cap = rec->capplain ? rec->capplain * 2 : 8;
		struct plain_dest *a = arena_alloc_raw(x->arena, cap * sizeof(*a));
		if (rec->nplain)
			memcpy(a, rec->plain, rec->nplain * sizeof(*a));
		rec->plain = a;
		rec->capplain = cap;
	}
	rec->plain[rec->nplain].host = &d->m->host_pos;
	rec->plain[rec->nplain].loc = d->loc;
	rec->plain[rec->nplain].fqdn = d->fqdn;
	rec->nplain++;
}

/* Indexes the subset routers by host, each list in input order. */
static void index_subset_routers(struct xref *x, const struct vs_pass *pass,
				 struct xref_map *idx)
{
	for (size_t i = x->p->nres; i-- > 0;) {
		const struct resource *vs = x->p->res[i];
		const struct vs_rec *rec = rec_of(pass, vs);
		if (!rec || !rec->mesh)
			continue;
		for (size_t k = 0; k < rec->nrouted; k++) {
			void **slot = xref_map_put_ref(idx, rec->routed[k]);
			struct subset_router *sr = *slot;
			if (sr && sr->vs == vs)
				continue;
			sr = arena_alloc(x->arena, sizeof(*sr));
			sr->vs = vs;
			sr->next = *slot;
			*slot = sr;
		}
	}
}

/*
 * IST0140: a VirtualService bound to gateways routes without a subset to
 * a host whose sidecar routing rule (another VirtualService, in `idx`)
 * splits it by subsets, which the gateway does not apply.
 */
static void vs_ingress_subsets(struct xref *x, const struct resource *vs,
			       const struct vs_rec *rec, const struct xref_map *idx)
{
	for (size_t i = 0; i < rec->nplain; i++) {
		const struct subset_router *sr = xref_map_get(idx, rec->plain[i].fqdn);
		for (; sr; sr = sr->next) {
			if (sr->vs == vs)
				continue;
			diag_report_at(x->diags, IST0140, vs, rec->plain[i].host,
				       loc_path(x, &rec->plain[i].loc, "host"),
				       arena_printf(x->arena, "%s/%s", sr->vs->namespace,
						    sr->vs->name),
				       arena_printf(x->arena, "%s/%s", vs->namespace, vs->name));
		}
	}
}

/* ---- IST0109 ---- */

/*
 * IST0109 reads, for each VirtualService and host, the VirtualServices of
 * that host visible to it. Walking the whole list of a host for each of
 * them is quadratic (N VirtualServices on one host), so each host keeps
 * its VirtualServices in lists by visibility, each in input order, and a
 * VirtualService merges only the lists it can see, stopping at the cap of
 * names a message lists: near-linear however many share a host.
 */
enum { CONFLICT_NAMES = 64 };

/* One VirtualService defining a host. */
struct mesh_host {
	const struct resource *vs;
	size_t index;                /* its position in the project's list */
	const struct xref_vis *vis;
};

struct mesh_link {
	const struct mesh_host *h;
	struct mesh_link *next;
};

/* The VirtualServices defining one fully qualified host. */
struct mesh_hosts {
	struct mesh_link *seen_by_all;   /* visible to one exported everywhere:
	                                  * exported everywhere or somewhere */
	struct mesh_link *everywhere;    /* exported everywhere */
	const struct resource *last;     /* the latest added (one entry each) */
	size_t nvs;
	/* Those exported to namespace ns are under "fqdn\x1fns" in by_ns. */
};

static void mesh_push(struct xref *x, struct mesh_link **head,
		      const struct mesh_host *h)
{
	struct mesh_link *l = arena_alloc(x->arena, sizeof(*l));
	l->h = h;
	l->next = *head;
	*head = l;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first namespace in both, or "*" when both are everywhere. */
static const char *common_scope(const struct xref_vis *a, const struct xref_vis *b)
{
	if (a->all && b->all)
		return "*";
	const struct xref_vis *list = a->all ? b : a, *other = a->all ? a : b;
	for (size_t i = 0; i < list->n; i++)
		if (xref_vis_has(other, list->ns[i]))
			return list->ns[i];
	return "*";
}

/*
 * The first CONFLICT_NAMES distinct VirtualServices of host `mh` that vs
 * (visibility vis) sees, in input order, into taken[]; their number.
 * Seen are those whose exportTo meets vis (xref_vis_meet): exported
 * everywhere, or to one of vis's namespaces; everything but `~` when vis
 * is everywhere. vs itself is among them unless vis is `~`.
 */
static size_t mesh_visible(struct xref *x, const struct xref_map *by_ns,
			   const char *fqdn, const struct mesh_hosts *mh,
			   const struct xref_vis *vis,
			   const struct mesh_host **taken)
{
	if (vis->all) {
		size_t n = 0;
		for (const struct mesh_link *l = mh->seen_by_all;
		     l && n < CONFLICT_NAMES; l = l->next)
			taken[n++] = l->h;
		return n;
	}
	/* Merge the lists by input position: everywhere, then one per namespace. */
	size_t k = vis->n + 1, n = 0;
	const struct mesh_link **cur = xmalloc(k * sizeof(*cur));
	cur[0] = mh->everywhere;
	for (size_t i = 0; i < vis->n; i++)
		cur[i + 1] = xref_map_get(by_ns, xref_key2(x, fqdn, vis->ns[i]));
	while (n < CONFLICT_NAMES) {
		const struct mesh_host *min = NULL;
		for (size_t i = 0; i < k; i++)
			if (cur[i] && (!min || cur[i]->h->index < min->index))
				min = cur[i]->h;
		if (!min)
			break;
		taken[n++] = min;
		for (size_t i = 0; i < k; i++)
			if (cur[i] && cur[i]->h == min)
				cur[i] = cur[i]->next;
	}
	free(cur);
	return n;
}

/*
 * Mesh-bound VirtualServices visible in a common namespace that define the
 * same fully qualified host: IST0109 once on each, at its first
 * conflicting host, naming (sorted) the first 64 of them in input order.
 * One VirtualService listing a host twice (`svc` and its FQDN) does not
 * conflict with itself (Istio #42561), and a wildcard host does not
 * conflict with a more specific one: sidecars route the request by the
 * most specific host.
 */
static void mesh_host_conflicts(struct xref *x, const struct vs_pass *pass)
{
	struct project *p = x->p;
	/*
	 * First which hosts more than one VirtualService defines (most hosts
	 * have one): fqdn -> the one VirtualService, or `many`. Only those
	 * hosts get the lists below (about 100 bytes per VirtualService, kept
	 * in the arena, were the largest part of this pass at 10k services).
	 */
	static char many;
	struct xref_map count;
	xref_map_init(&count, x->arena);
	for (size_t i = 0; i < p->nres; i++) {
		const struct resource *vs = p->res[i];
		const struct vs_rec *rec = rec_of(pass, vs);
		if (!rec || !rec->mesh)
			continue;
		for (size_t h = 0; rec->hosts && h < rec->hosts->n; h++) {
			if (!rec->fqdns[h])
				continue;
			void **slot = xref_map_put_ref(&count, rec->fqdns[h]);
			if (!*slot)
				*slot = (void *)vs;
			else if (*slot != vs)
				*slot = &many;
		}
	}

	struct xref_map idx, by_ns;
	xref_map_init(&idx, x->arena);
	xref_map_init(&by_ns, x->arena);
	/* Backwards, pushing on the front: every list ends up in input order. */
	for (size_t i = p->nres; i-- > 0;) {
		const struct resource *vs = p->res[i];
		const struct vs_rec *rec = rec_of(pass, vs);
		if (!rec || !rec->mesh)
			continue;
		struct mesh_host *me = NULL;
		for (size_t h = rec->hosts ? rec->hosts->n : 0; h-- > 0;) {
			const char *fqdn = rec->fqdns[h];
			if (!fqdn || xref_map_get(&count, fqdn) != &many)
				continue;
			void **slot = xref_map_put_ref(&idx, fqdn);
			struct mesh_hosts *mh = *slot;
			if (!mh)
				*slot = mh = arena_alloc(x->arena, sizeof(*mh));
			if (mh->last == vs)
				continue;    /* a host listed twice */
			mh->last = vs;
			mh->nvs++;
			if (!me) {
				me = arena_alloc(x->arena, sizeof(*me));
				me->vs = vs;
				me->index = i;
				me->vis = &rec->vis;
			}
			if (rec->vis.all || rec->vis.n)
				mesh_push(x, &mh->seen_by_all, me);
			if (rec->vis.all)
				mesh_push(x, &mh->everywhere, me);
			for (size_t k = 0; !rec->vis.all && k < rec->vis.n; k++)
				mesh_push(x, (struct mesh_link **)xref_map_put(&by_ns,
					xref_key2(x, fqdn, rec->vis.ns[k])), me);
		}
	}
	xref_map_release(&count);
	for (size_t i = 0; i < p->nres; i++) {
		const struct resource *vs = p->res[i];
		const struct vs_rec *rec = rec_of(pass, vs);
		if (!rec || !rec->mesh)
			continue;
		if (!rec->vis.all && !rec->vis.n)
			continue;       /* `~`: it sees no other */
		const struct mstrs *hosts = rec->hosts;
		for (size_t h = 0; hosts && h < hosts->n; h++) {
			const char *fqdn = rec->fqdns[h];
			if (!fqdn)
				continue;
			const struct mesh_hosts *mh = xref_map_get(&idx, fqdn);
			if (!mh || mh->nvs < 2)
				continue;    /* only this VirtualService defines it */
			const struct mesh_host *taken[CONFLICT_NAMES];
			size_t nn = mesh_visible(x, &by_ns, fqdn, mh, &rec->vis, taken);
			if (nn < 2)
				continue;
			const char *names[CONFLICT_NAMES];
			const char *scope = NULL;
			size_t len = 1;
			for (size_t k = 0; k < nn; k++) {
				const struct resource *o = taken[k]->vs;
				names[k] = arena_printf(x->arena, "%s/%s", o->namespace, o->name);
				len += strlen(names[k]) + 1;
				if (o != vs && !scope)
					scope = common_scope(taken[k]->vis, &rec->vis);
			}
			qsort(names, nn, sizeof(*names), cmp_str);
			char *list_text = arena_alloc(x->arena, len);
			for (size_t k = 0; k < nn; k++) {
				if (k)
					strcat(list_text, ",");
				strcat(list_text, names[k]);
			}
			diag_report_at(x->diags, IST0109, vs, &hosts->v[h].pos,
				       arena_printf(x->arena, "spec.hosts[%zu]", h), list_text,
				       arena_printf(x->arena, "%s/%s", scope, fqdn));
			break;
		}
	}
	xref_map_release(&idx);
	xref_map_release(&by_ns);
}

/* ---- IST0002 ---- */

static void vs_deprecations(struct xref *x, const struct resource *vs)
{
	const struct m_vs *m = model_vs(vs);
	for (size_t i = 0; i < m->nhttp; i++) {
		const struct mpos *pct = &m->http[i].rare->delay_percent;
		if (pct->line)
			diag_report_at(x->diags, IST0002, vs, pct,
				       arena_printf(x->arena, "spec.http[%zu].fault.delay.percent", i),
				       "HTTPRoute.fault.delay.percent is deprecated; "
				       "use HTTPRoute.fault.delay.percentage");
	}
}

/* Every destination: subsets (and their use), then hosts when checked. */
static void check_dest(struct xref *x, const struct resource *vs,
		       const struct vs_rec *rec, const struct dest *d)
{
	check_subset(x, vs, rec, d);
	if (x->check_hosts)
		check_host(x, vs, rec, d);
}

/*
 * The record of one VirtualService, then the checks that need only the
 * index (IST0140 waits for every record: vs_ingress).
 */
static void vs_prepare_check(struct xref *x, struct vs_pass *pass,
			     const struct resource *vs)
{
	struct vs_rec *rec = rec_of(pass, vs);
	const struct m_vs *m = model_vs(vs);
	xref_vis_from_mstrs(x->arena, &rec->vis, &m->export_to, vs->namespace);
	rec->mesh = mesh_bound(m);
	rec->gateways = m->gateways.n > 0;
	rec->hosts = m->hosts.list ? &m->hosts : NULL;
	size_t nh = rec->hosts ? rec->hosts->n : 0;
	rec->fqdns = arena_alloc(x->arena, (nh ? nh : 1) * sizeof(*rec->fqdns));
	for (size_t h = 0; h < nh; h++) {
		const char *host = rec->hosts->v[h].s;
		rec->fqdns[h] = host ? xref_fqdn(x, host, vs->namespace) : NULL;
	}

	vs_gateways(x, vs, rec);
	each_dest(x, vs, rec, check_dest);
	vs_deprecations(x, vs);
}

/* IST0140 of one VirtualService bound to gateways. */
static void vs_ingress(struct xref *x, struct vs_pass *pass,
		       const struct resource *vs)
{
	const struct vs_rec *rec = rec_of(pass, vs);
	if (rec->nplain)
		vs_ingress_subsets(x, vs, rec, &pass->routers);
}

/* Worker: pass->fn on each VirtualService of unit u, through a view of the index. */
static void vs_unit(struct project *p, struct source_unit *u, void *ctx)
{
	(void)p;
	struct vs_pass *pass = ctx;
	struct xref view;
	xref_for_unit(&view, pass->x, u);
	for (size_t i = 0; i < u->nres; i++)
		if (is_vs(u->res[i]))
			pass->fn(&view, pass, u->res[i]);
	xref_view_release(&view);
}

/*
 * Records and checks per VirtualService (parallel, reported into each
 * unit), the IST0140 index (serial) and IST0140 on VirtualServices bound
 * to gateways (parallel), then IST0109 across VirtualServices (serial).
 */
void xref_virtual_services(struct xref *x)
{
	struct project *p = x->p;
	struct vs_pass pass = { .x = x };
	pass.slot = xmalloc((p->nseq ? p->nseq : 1) * sizeof(*pass.slot));
	for (size_t i = 0; i < p->nseq; i++)
		pass.slot[i] = UINT32_MAX;
	uint32_t nvs = 0;
	for (size_t i = 0; i < p->nres; i++)
		if (is_vs(p->res[i]))
			pass.slot[p->res[i]->seq] = nvs++;
	pass.recs = xcalloc(nvs ? nvs : 1, sizeof(*pass.recs));
	xref_map_init(&pass.routers, x->arena);
	pass.fn = vs_prepare_check;
	project_each_unit(p, vs_unit, &pass);
	if (x->check_hosts) {
		index_subset_routers(x, &pass, &pass.routers);
		if (pass.routers.n > 0) {
			pass.fn = vs_ingress;
			project_each_unit(p, vs_unit, &pass);
		}
	}
	mesh_host_conflicts(x, &pass);
	xref_map_release(&pass.routers);
	free(pass.recs);
	free(pass.slot);
}
