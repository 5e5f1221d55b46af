/*
 * Analyzers over Gateways (istio.md §3.2):
 *   IST0101 selector, IST0162   gateway.IngressGatewayPortAnalyzer (Pods)
 *   IST0101 credentialName      gateway.SecretAnalyzer (Secrets)
 *   IST0145                     gateway.ConflictingGatewayAnalyzer
 *   IST0138                     gateway.CertificateAnalyzer
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xref_index.h"

/* ---- the gateway's workload: IST0101 selector, IST0162 ---- */

struct port_set {
	long long *v;
	size_t n, cap;
};

static void port_add(struct port_set *s, long long p)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == p)
			return;
	GROW(s->v, s->n, s->cap);
	s->v[s->n++] = p;
}

static bool port_has(const struct port_set *s, long long p)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == p)
			return true;
	return false;
}

struct workload_scan {
	struct xref *x;
	struct xref_map *svc_by_ns;  /* namespace -> struct svc_link list */
	struct port_set ports;
	size_t matched;
	const char *first_ns;        /* namespace of the first matching pod */
};

struct svc_link {
	const struct resource *r;
	struct svc_link *next;
};

/*
 * For a pod the gateway selects: the TCP ports of the Services in the
 * pod's namespace that select it, both `port` and a numeric `targetPort`
 * (a Service without a selector selects no pods).
 */
static bool scan_pod(const struct xref_pod *pod, void *ctx)
{
	struct workload_scan *w = ctx;
	if (w->matched++ == 0)
		w->first_ns = pod->r->namespace;
	if (w->matched > 64)
		return false;        /* replicas of one workload: enough seen */
	for (const struct svc_link *l = xref_map_get(w->svc_by_ns, pod->r->namespace);
	     l; l = l->next) {
		const struct m_svc *svc = model_svc(l->r);
		const struct mlabels *sel = &svc->selector;
		if (!sel->map || sel->n == 0 || !xref_mlabels_match(sel, pod->labels))
			continue;
		for (size_t i = 0; i < svc->ports.n; i++) {
			const struct m_port *port = &svc->ports.v[i];
			const char *proto = port->protocol;
			if (proto && strcmp(proto, "TCP") != 0)
				continue;
			if (mint_set(&port->port))
				port_add(&w->ports, port->port.v);
			if (mint_set(&port->target_port))
				port_add(&w->ports, port->target_port.v);
		}
	}
	return true;
}

struct workload {
	struct port_set ports;
	size_t matched;
	const char *ns;
};

/* Workloads are cached by selector string: many Gateways share one. */
static const struct workload *gateway_workload(struct xref *x,
					       struct xref_map *cache,
					       struct xref_map *svc_by_ns,
					       const struct mlabels *selector,
					       const char *selstr)
{
	void **slot = xref_map_put(cache, selstr);
	if (*slot)
		return *slot;
	struct workload_scan w = { .x = x, .svc_by_ns = svc_by_ns };
	xref_pods_matching(x, selector, NULL, scan_pod, &w);
	struct workload *wl = arena_alloc(x->arena, sizeof(*wl));
	wl->ports = w.ports;
	wl->matched = w.matched;
	wl->ns = w.first_ns;
	*slot = wl;
	return wl;
}

static const struct mlabels *selector_of(const struct resource *g)
{
	const struct mlabels *s = &model_gw(g)->selector;
	return s->map ? s : NULL;
}

/* The Gateway record of r when it is a Gateway with a servers list; else NULL. */
static const struct m_gw *gateway_servers(const struct resource *r)
{
	const struct m_gw *gw = model_gw(r);
	if (!gw || !r->has_spec || !gw->servers_list)
		return NULL;
	return gw;
}

/* The field path of a server's field: spec.servers[s].<field> (x's arena). */
static const char *server_path(struct xref *x, size_t s, const char *field)
{
	return arena_printf(x->arena, "spec.servers[%zu].%s", s, field);
}

static void gateway_workloads(struct xref *x)
{
	struct xref_map svc_by_ns, cache;
	xref_map_init(&svc_by_ns, x->arena);
	xref_map_init(&cache, x->arena);
	for (size_t i = x->p->nres; i-- > 0;) {
		const struct resource *r = x->p->res[i];
		if (r->kind != KIND_SERVICE)
			continue;
		struct svc_link *l = arena_alloc(x->arena, sizeof(*l));
		void **slot = xref_map_put(&svc_by_ns, r->namespace);
		l->r = r;
		l->next = *slot;
		*slot = l;
	}
	for (size_t i = 0; i < x->p->nres; i++) {
		const struct resource *g = x->p->res[i];
		if (g->kind != KIND_GATEWAY || !g->has_spec)
			continue;
		const struct mlabels *sel = selector_of(g);
		const char *selstr = xref_mselector_string(x, sel);
		const struct workload *wl = gateway_workload(x, &cache, &svc_by_ns,
							     sel, selstr);
		if (wl->matched == 0) {
			/* At the selector's first value, else at the key (no path). */
			const struct mlabels *ms = &model_gw(g)->selector;
			if (sel && sel->n)
				diag_report_at(x->diags, IST0101, g, &sel->v[0].pos,
					       diag_path_key(x->arena, "spec.selector",
							     sel->v[0].key),
					       "selector", xref_quote(x, selstr));
			else
				diag_report_at(x->diags, IST0101, g,
					       ms->present ? &ms->key_pos : NULL, NULL,
					       "selector", xref_quote(x, selstr));
			continue;
		}
		const struct m_gw *gw = gateway_servers(g);
		for (size_t s = 0; gw && s < gw->nservers; s++) {
			const struct mint *num = &gw->servers[s].port;
			if (!mint_set(num) || port_has(&wl->ports, num->v))
				continue;
			diag_report_at(x->diags, IST0162, g, &num->pos,
				       server_path(x, s, "port.number"), num->v, selstr);
		}
	}
	/* Free the port arrays of the cached workloads. */
	for (size_t i = 0; i < cache.cap; i++)
		if (cache.slots[i].key) {
			struct workload *wl = cache.slots[i].val;
			free(wl->ports.v);
		}
	xref_map_release(&cache);
	xref_map_release(&svc_by_ns);
}

/* ---- credentialName: IST0101 ---- */

/* The namespace of the first pod the gateway selects, or NULL. */
static bool first_pod(const struct xref_pod *pod, void *ctx)
{
	*(const char **)ctx = pod->r->namespace;
	return false;
}

static void gateway_credentials(struct xref *x, const struct resource *g)
{
	const struct m_gw *gw = gateway_servers(g);
	if (!gw)
		return;
	const char *wns = NULL;
	if (x->have_pods) {
		xref_pods_matching(x, selector_of(g), NULL, first_pod, &wns);
		if (!wns)
			return;      /* reported as IST0101 selector */
	}
	for (size_t s = 0; s < gw->nservers; s++) {
		const struct mstr *cn = &gw->servers[s].credential_name;
		const char *cred = cn->s;
		if (!cred || !*cred || strstr(cred, "://"))
			continue;
		bool found;
		if (strchr(cred, '/')) {
			const char *sl = strchr(cred, '/');
			char *ns = arena_strndup(x->arena, cred, (size_t)(sl - cred));
			found = xref_map_get(&x->secrets, xref_key2(x, ns, sl + 1)) != NULL;
		} else if (wns) {
			found = xref_map_get(&x->secrets, xref_key2(x, wns, cred)) != NULL;
		} else {
			/* Without Pods the gateway's namespace is unknown: any
			 * Secret of that name will do. */
			found = xref_map_get(&x->secrets, cred) != NULL;
		}
		if (!found)
			diag_report_at(x->diags, IST0101, g, &cn->pos,
				       server_path(x, s, "tls.credentialName"),
				       "credentialName", xref_quote(x, cred));
	}
}

/* ---- IST0145, IST0138 ---- */

/* A Gateway listed under a key (a server address, a certificate). */
struct server_ref {
	const struct resource *g;
	const char *selstr;
	const struct mlabels *selector;
	struct server_ref *next;
};

/*
 * Lists g under key (in front: callers walk the input backwards to keep
 * input order), once per key; returns the new entry, or NULL when g is
 * listed there already.
 */
static struct server_ref *list_gateway(struct xref *x, struct xref_map *idx,
				       const char *key, const struct resource *g)
{
	void **slot = xref_map_put(idx, key);
	struct server_ref *ref = *slot;
	if (ref && ref->g == g)
		return NULL;
	ref = arena_alloc(x->arena, sizeof(*ref));
	ref->g = g;
	ref->next = *slot;
	*slot = ref;
	return ref;
}

/* A server's port number and hosts list; false when either is missing. */
static bool server_address(const struct m_server *srv, const char **bind)
{
	*bind = srv->bind ? srv->bind : "";
	return mint_set(&srv->port) && srv->hosts.list;
}

/* Whether some pod is selected by both selectors. */
struct both_scan {
	const struct mlabels *other;
	bool found;
};

static bool pod_in_both(const struct xref_pod *pod, void *ctx)
{
	struct both_scan *b = ctx;
	if (xref_mlabels_match(b->other, pod->labels)) {
		b->found = true;
		return false;
	}
	return true;
}

static bool same_workload(struct xref *x, const struct server_ref *a,
			  const struct server_ref *b)
{
	if (strcmp(a->selstr, b->selstr) == 0)
		return true;
	if (!x->have_pods)
		return false;
	struct both_scan s = { .other = b->selector };
	xref_pods_matching(x, a->selector, NULL, pod_in_both, &s);
	return s.found;
}

/* "host" of a server host `ns/host`. */
static const char *server_host(const char *h)
{
	const char *sl = strchr(h, '/');
	return sl ? sl + 1 : h;
}

static const char *server_key(struct xref *x, long long port, const char *bind,
			      const char *host)
{
	return arena_printf(x->arena, "%lld\x1f%s\x1f%s", port, bind, host);
}

/* The same key for the Gateways with selector string selstr only. */
static const char *server_sel_key(struct xref *x, long long port,
				  const char *bind, const char *host,
				  const char *selstr)
{
	return arena_printf(x->arena, "%lld\x1f%s\x1f%s\x1f%s", port, bind, host,
			    selstr);
}

enum { CONFLICT_GATEWAYS = 32 };

/*
 * IST0145: Gateways of one workload with a server on the same port, bind
 * address and host. Each Gateway names the first 32 others in input
 * order. Without Pods, one workload is one selector: the index has a
 * list per selector too, so a Gateway reads only its own selector's
 * (N Gateways with N selectors on one host stay linear). With Pods,
 * selectors that share a pod are one workload, and the whole list of
 * the address is read, up to the 32 names.
 */
static void gateway_conflicts(struct xref *x)
{
	struct xref_map idx;
	xref_map_init(&idx, x->arena);
	struct project *p = x->p;
	/* Index every (port, bind, host) -> gateways, in input order, and
	 * without Pods (port, bind, host, selector) -> gateways. */
	for (size_t i = p->nres; i-- > 0;) {
		const struct resource *g = p->res[i];
		const struct m_gw *gw = gateway_servers(g);
		if (!gw)
			continue;
		const char *selstr = xref_mselector_string(x, selector_of(g));
		for (size_t s = 0; s < gw->nservers; s++) {
			const struct m_server *srv = &gw->servers[s];
			const char *bind;
			if (!server_address(srv, &bind))
				continue;
			long long num = srv->port.v;
			for (size_t h = 0; h < srv->hosts.n; h++) {
				const char *host = srv->hosts.v[h].s;
				if (!host)
					continue;
				const char *key = x->have_pods ?
					server_key(x, num, bind, server_host(host)) :
					server_sel_key(x, num, bind, server_host(host), selstr);
				struct server_ref *ref = list_gateway(x, &idx, key, g);
				if (ref) {
					ref->selstr = selstr;
					ref->selector = selector_of(g);
				}
			}
		}
	}
	for (size_t i = 0; i < p->nres; i++) {
		const struct resource *g = p->res[i];
		const struct m_gw *gw = gateway_servers(g);
		if (!gw)
			continue;
		struct server_ref self = {
			.g = g, .selector = selector_of(g),
			.selstr = xref_mselector_string(x, selector_of(g)),
		};
		for (size_t s = 0; s < gw->nservers; s++) {
			const struct m_server *srv = &gw->servers[s];
			const struct mstrs *hosts = &srv->hosts;
			const char *bind;
			if (!server_address(srv, &bind))
				continue;
			long long num = srv->port.v;
			const struct resource *seen[CONFLICT_GATEWAYS];
			size_t nseen = 0;
			size_t at = SIZE_MAX;        /* hosts[at] */
			for (size_t h = 0; h < hosts->n && nseen < CONFLICT_GATEWAYS; h++) {
				const char *host = hosts->v[h].s;
				if (!host)
					continue;
				const char *key = x->have_pods ?
					server_key(x, num, bind, server_host(host)) :
					server_sel_key(x, num, bind, server_host(host),
						       self.selstr);
				const struct server_ref *ref = xref_map_get(&idx, key);
				for (; ref && nseen < CONFLICT_GATEWAYS; ref = ref->next) {
					if (ref->g == g || !same_workload(x, &self, ref))
						continue;
					bool dup = false;
					for (size_t k = 0; k < nseen; k++)
						if (seen[k] == ref->g)
							dup = true;
					if (dup)
						continue;
					seen[nseen++] = ref->g;
					if (at == SIZE_MAX)
						at = h;
				}
			}
			if (!nseen)
				continue;
			size_t len = 1;
			for (size_t k = 0; k < nseen; k++)
				len += strlen(seen[k]->namespace) + strlen(seen[k]->name) + 2;
			char *names = arena_alloc(x->arena, len);
			for (size_t k = 0; k < nseen; k++) {
				if (k)
					strcat(names, ",");
				strcat(names, seen[k]->namespace);
				strcat(names, "/");
				strcat(names, seen[k]->name);
			}
			len = 1;
			for (size_t h = 0; h < hosts->n; h++)
				len += (hosts->v[h].s ? strlen(hosts->v[h].s) : 0) + 1;
			char *hl = arena_alloc(x->arena, len);
			for (size_t h = 0; h < hosts->n; h++) {
				if (!hosts->v[h].s)
					continue;
				if (*hl)
					strcat(hl, ",");
				strcat(hl, hosts->v[h].s);
			}
			diag_report_at(x->diags, IST0145, g, &hosts->v[at].pos,
				       arena_printf(x->arena, "spec.servers[%zu].hosts[%zu]", s, at),
				       names, self.selstr,
				       arena_printf(x->arena, "%lld", num), hl);
		}
	}
	xref_map_release(&idx);
}

/* ---- IST0138 ---- */

/* The certificate identity of a server's TLS settings, or NULL. */
static const char *cert_key(struct xref *x, const struct m_server *srv,
			    const struct mpos **at, const char **field)
{
	const char *cred = srv->credential_name.s;
	if (cred && *cred) {
		*at = &srv->credential_name.pos;
		*field = "tls.credentialName";
		return xref_key2(x, "cred", cred);
	}
	const char *c = srv->server_certificate.s, *k = srv->private_key;
	if (c && *c && k && *k) {
		*at = &srv->server_certificate.pos;
		*field = "tls.serverCertificate";
		return arena_printf(x->arena, "file\x1f%s\x1f%s", c, k);
	}
	return NULL;
}

/* Every pair of `sub` is in `super` (an empty `sub` is in everything). */
static bool selector_subset(const struct mlabels *sub, const struct mlabels *super)
{
	return xref_mlabels_match(sub, super);
}

static void gateway_certificates(struct xref *x)
{
	struct xref_map idx;
	xref_map_init(&idx, x->arena);
	struct project *p = x->p;
	for (size_t i = p->nres; i-- > 0;) {
		const struct resource *g = p->res[i];
		const struct m_gw *gw = gateway_servers(g);
		for (size_t s = 0; gw && s < gw->nservers; s++) {
			const struct mpos *at;
			const char *field;
			const char *key = cert_key(x, &gw->servers[s], &at, &field);
			if (key)
				list_gateway(x, &idx, key, g);
		}
	}
	for (size_t i = 0; i < p->nres; i++) {
		const struct resource *g = p->res[i];
		const struct m_gw *gw = gateway_servers(g);
		const struct resource *seen[32];
		size_t nseen = 0;
		/* Up to 32 others per Gateway; past them nothing is reported. */
		for (size_t s = 0; gw && s < gw->nservers && nseen < 32; s++) {
			const struct mpos *at;
			const char *field;
			const char *key = cert_key(x, &gw->servers[s], &at, &field);
			if (!key)
				continue;
			for (const struct server_ref *ref = xref_map_get(&idx, key);
			     ref && nseen < 32; ref = ref->next) {
				if (ref->g == g ||
				    !selector_subset(selector_of(g), selector_of(ref->g)))
					continue;
				bool dup = false;
				for (size_t k = 0; k < nseen; k++)
					if (seen[k] == ref->g)
						dup = true;
				if (dup)
					continue;
				seen[nseen++] = ref->g;
				diag_report_at(x->diags, IST0138, g, at,
					       server_path(x, s, field),
					       arena_printf(x->arena, "[%s/%s %s/%s]",
							    g->namespace, g->name,
							    ref->g->namespace, ref->g->name));
			}
		}
	}
	xref_map_release(&idx);
}

void xref_gateways(struct xref *x)
{
	if (x->have_pods)
		gateway_workloads(x);
	if (x->have_secrets)
		for (size_t i = 0; i < x->p->nres; i++)
			gateway_credentials(x, x->p->res[i]);
	gateway_conflicts(x);
	gateway_certificates(x);
}
