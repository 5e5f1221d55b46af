/*
 * Which hosts' routes can differ between two configs, from their resource
 * diff: so that `meshc diff` builds and compares only the route classes
 * of those hosts on each side (route_build_only, diff_routes), not both
 * whole tables. issue 10: "only the route classes of hosts whose inputs
 * changed are recomputed on each side".
 *
 * What a virtual host's routes depend on (route_build.c and its parts):
 *  - the VirtualServices naming it, or covering it with a wildcard: a
 *    changed VirtualService's hosts are in scope, on both sides;
 *  - the registry entries (Service, ServiceEntry) of its host and of its
 *    destinations: their ports pick listeners and destination ports,
 *    their protocols the route kinds; a changed one's hosts are in scope,
 *    and so is every VirtualService routing to them;
 *  - the DestinationRules of its destinations' hosts (a cluster's merged
 *    policy is part of an outcome): a changed one's host is in scope
 *    (the default routes of its services), and so is every
 *    VirtualService routing to it;
 *  - the hosts of the VirtualServices in scope: each is in scope, since a
 *    VirtualService's routes are bound on the ports of all its services.
 * Nodes and Secrets do not reach the table (cmd_diff.c skips compiling
 * for them alone).
 *
 * Where the dependency is not tracked, every class is compared (false):
 * a changed Gateway (listeners, servers, TLS, redirects) or Pod (gateway
 * workloads), a changed delegate VirtualService or one that routes to a
 * changed host (its roots are not looked up), any other kind (the
 * Gateway API's among them), an input holding Gateway API objects (their
 * conversion adds resources while compiling), and Services or
 * ServiceEntries on one side only (a mesh without them has one any-port
 * listener instead of one per port).
 * tests/t_diff_scope.sh checks that the scoped and the full comparison
 * give the same diff (cmd_diff.c MESHC_DIFF_SCOPE).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "host_set.h"
#include "model.h"
#include "xref_index.h"

struct scope {
	struct host_set *hosts;      /* the result */
	struct host_set changed;     /* hosts of changed VirtualServices and
	                                registry entries */
	struct host_set dests;       /* hosts whose clusters may have changed */
	struct xref_map keys;        /* "kind\x1fns\x1fname" of changed resources */
	struct arena arena;
	const char *full;            /* why every host is compared, or NULL */
};

static const char *res_key(struct arena *a, const char *kind, const char *ns,
			   const char *name)
{
	return arena_printf(a, "%s\x1f%s\x1f%s", kind, ns, name);
}

static bool has_registry(const struct project *p)
{
	for (size_t i = 0; i < p->nres; i++)
		if ((p->res[i]->kind == KIND_SERVICE || p->res[i]->kind == KIND_SERVICE_ENTRY) &&
		    p->res[i]->has_spec)
			return true;
	return false;
}

/* A changed resource r of project p: its hosts into the scope. */
static void add_changed(struct scope *s, struct project *p, const struct resource *r)
{
	struct xref *x = project_index(p);
	switch (r->kind) {
	case KIND_VIRTUAL_SERVICE: {
		const struct m_vs *vs = model_vs(r);
		if (!r->has_spec || !vs || vs->hosts.n == 0) {
			if (r->has_spec)
				s->full = "a delegate VirtualService changed";
			return;
		}
		for (size_t k = 0; k < vs->hosts.n; k++)
			if (vs->hosts.v[k].s)
				host_set_add(&s->changed, xref_fqdn(x, vs->hosts.v[k].s, r->namespace));
		return;
	}
	case KIND_DESTINATION_RULE: {
		const struct m_dr *dr = model_dr(r);
		if (dr && dr->host)
			host_set_add(&s->dests, xref_fqdn(x, dr->host, r->namespace));
		return;
	}
	case KIND_SERVICE: {
		const char *h = xref_fqdn(x, r->name, r->namespace);
		host_set_add(&s->changed, h);
		host_set_add(&s->dests, h);
		return;
	}
	case KIND_SERVICE_ENTRY: {
		const struct m_se *se = model_se(r);
		for (size_t k = 0; se && k < se->hosts.n; k++) {
			host_set_add(&s->changed, se->hosts.v[k].s);
			host_set_add(&s->dests, se->hosts.v[k].s);
		}
		return;
	}
	case KIND_NODE:
	case KIND_SECRET:
		return;
	default:
		s->full = arena_printf(&s->arena, "a %s changed", r->kind_name);
		return;
	}
}

static bool dest_hit(const struct scope *s, struct xref *x, const struct m_dest *d,
		     const char *ns)
{
	return d->host && host_set_overlaps(&s->dests, xref_fqdn(x, d->host, ns));
}

/* Whether VirtualService r routes or mirrors to a host in s->dests. */
static bool routes_to_dests(const struct scope *s, struct xref *x, const struct resource *r)
{
	const struct m_vs *vs = model_vs(r);
	for (unsigned i = 0; i < vs->nhttp; i++) {
		const struct m_http *h = &vs->http[i];
		for (unsigned k = 0; k < h->nroute; k++)
			if (dest_hit(s, x, &h->route[k].dest, r->namespace))
				return true;
		if (h->rare->mir->mirror_present && dest_hit(s, x, h->rare->mir->mirror, r->namespace))
			return true;
		for (unsigned k = 0; k < h->rare->mir->nmirrors; k++)
			if (dest_hit(s, x, &h->rare->mir->mirrors[k], r->namespace))
				return true;
	}
	for (int t = 0; t < 2; t++) {
		const struct m_l4 *l = t ? vs->tls : vs->tcp;
		unsigned n = t ? vs->ntls : vs->ntcp;
		for (unsigned i = 0; i < n; i++)
			for (unsigned k = 0; k < l[i].nroute; k++)
				if (dest_hit(s, x, &l[i].route[k].dest, r->namespace))
					return true;
	}
	return false;
}

/* The VirtualServices of p that overlap the changed hosts or route to a
 * changed destination: their hosts into the result. */
static void add_dependents(struct scope *s, struct project *p)
{
	struct xref *x = project_index(p);
	for (size_t i = 0; i < p->nres && !s->full; i++) {
		const struct resource *r = p->res[i];
		const struct m_vs *vs = model_vs(r);
		if (!vs || !r->has_spec)
			continue;
		bool hit = false;
		for (size_t k = 0; k < vs->hosts.n && !hit; k++)
			hit = vs->hosts.v[k].s &&
			      host_set_overlaps(&s->changed, xref_fqdn(x, vs->hosts.v[k].s,
								      r->namespace));
		if (!hit && s->dests.n)
			hit = routes_to_dests(s, x, r);
		if (!hit)
			continue;
		if (vs->hosts.n == 0) {
			s->full = "a delegate VirtualService routes to a changed host";
			return;
		}
		for (size_t k = 0; k < vs->hosts.n; k++)
			if (vs->hosts.v[k].s)
				host_set_add(s->hosts, xref_fqdn(x, vs->hosts.v[k].s, r->namespace));
	}
}

static void scan_side(struct scope *s, struct project *p)
{
	char buf[512];
	for (size_t i = 0; i < p->nres && !s->full; i++) {
		const struct resource *r = p->res[i];
		if (!r->name || !r->namespace)
			continue;
		const char *key = buf;
		int n = snprintf(buf, sizeof(buf), "%s\x1f%s\x1f%s", r->kind_name, r->namespace,
				 r->name);
		if (n < 0 || (size_t)n >= sizeof(buf))
			key = res_key(&s->arena, r->kind_name, r->namespace, r->name);
		if (xref_map_get(&s->keys, key))
			add_changed(s, p, r);
	}
}

/* The result: the set first, so that diff_scope_free finds the rest. */
struct scoped {
	struct host_set hosts;
	struct arena arena;
};

size_t diff_scope_size(const struct host_set *hosts)
{
	return hosts->n;
}

void diff_scope_free(struct host_set *hosts)
{
	if (!hosts)
		return;
	struct scoped *sc = (struct scoped *)(void *)hosts;
	host_set_release(&sc->hosts);
	arena_release(&sc->arena);
	free(sc);
}

struct host_set *diff_scope(const struct diff_result *d, struct project *oldp,
			    struct project *newp, char *why, size_t whylen)
{
	if (!oldp->trees_released || !newp->trees_released ||
	    oldp->gateway_api || newp->gateway_api) {
		snprintf(why, whylen, "Gateway API objects");
		return NULL;
	}
	if (has_registry(oldp) != has_registry(newp)) {
		snprintf(why, whylen, "Services or ServiceEntries on one side only");
		return NULL;
	}
	struct scoped *sc = xcalloc(1, sizeof(*sc));
	arena_init(&sc->arena);
	host_set_init(&sc->hosts, &sc->arena);
	struct host_set *hosts = &sc->hosts;
	struct scope s = { .hosts = hosts };
	arena_init(&s.arena);
	host_set_init(&s.changed, &s.arena);
	host_set_init(&s.dests, &s.arena);
	xref_map_init(&s.keys, &s.arena);
	for (size_t i = 0; i < d->nres; i++)
		*xref_map_put(&s.keys, res_key(&s.arena, d->res[i].kind, d->res[i].namespace,
					       d->res[i].name)) = (void *)1;
	scan_side(&s, oldp);
	scan_side(&s, newp);
	if (!s.full) {
		for (size_t i = 0; i < s.changed.n; i++)
			host_set_add(hosts, s.changed.all[i]);
		for (size_t i = 0; i < s.dests.n; i++)
			host_set_add(hosts, s.dests.all[i]);
		add_dependents(&s, oldp);
		add_dependents(&s, newp);
	}
	if (s.full) {
		snprintf(why, whylen, "%s", s.full);
		diff_scope_free(hosts);
		hosts = NULL;
	}
	host_set_release(&s.changed);
	host_set_release(&s.dests);
	xref_map_release(&s.keys);
	arena_release(&s.arena);
	return hosts;
}
