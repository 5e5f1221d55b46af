/*
 * Analyzers over Gateways (istio.md §3.2):
 *   IST0101 selector, IST0162   gateway.IngressGatewayPortAnalyzer (Pods)
 *   IST0101 credentialName      gateway.SecretAnalyzer (Secrets)
 *   IST0145                     gateway.ConflictingGatewayAnalyzer
 *   IST0138                     gateway.CertificateAnalyzer
 */
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
		const struct node *sel = node_get(l->r->spec, "selector");
		if (!sel || sel->type != NODE_MAP || sel->n == 0 ||
		    !xref_labels_match(sel, pod->labels))
			continue;
		const struct node *ports = node_get(l->r->spec, "ports");
		if (!ports || ports->type != NODE_SEQ)
			continue;
		for (size_t i = 0; i < ports->n; i++) {
			const char *proto = xref_text(node_get(ports->items[i], "protocol"));
			if (proto && strcmp(proto, "TCP") != 0)
				continue;
			const struct node *num = node_get(ports->items[i], "port");
			if (num && num->type == NODE_INT)
				port_add(&w->ports, num->ival);
			const struct node *tp = node_get(ports->items[i], "targetPort");
			if (tp && tp->type == NODE_INT)
				port_add(&w->ports, tp->ival);
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
					       const struct node *selector,
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

static const struct node *selector_of(const struct resource *g)
{
	const struct node *s = node_get(g->spec, "selector");
	return s && s->type == NODE_MAP ? s : NULL;
}

/* The servers list of r when it is a Gateway with a spec; else NULL. */
static const struct node *gateway_servers(const struct resource *r)
{
	if (r->kind != KIND_GATEWAY || !r->spec)
		return NULL;
	return xref_list(r->spec, "servers");
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
		if (g->kind != KIND_GATEWAY || !g->spec)
			continue;
		const struct node *sel = selector_of(g);
		const char *selstr = xref_selector_string(x, sel);
		const struct workload *wl = gateway_workload(x, &cache, &svc_by_ns,
							     sel, selstr);
		if (wl->matched == 0) {
			const struct node *at = node_get_pair(g->spec, "selector") ?
				node_get_pair(g->spec, "selector")->key : NULL;
			if (sel && sel->n)
				at = sel->pairs[0].value;
			diag_report(x->diags, IST0101, g, at, "selector",
				    xref_quote(x, selstr));
			continue;
		}
		const struct node *servers = gateway_servers(g);
		for (size_t s = 0; servers && s < servers->n; s++) {
			const struct node *num = node_get(node_get(servers->items[s], "port"),
							  "number");
			if (!num || num->type != NODE_INT || port_has(&wl->ports, num->ival))
				continue;
			diag_report(x->diags, IST0162, g, num, num->ival, selstr);
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
	const struct node *servers = gateway_servers(g);
	if (!servers)
		return;
	const char *wns = NULL;
	if (x->have_pods) {
		xref_pods_matching(x, selector_of(g), NULL, first_pod, &wns);
		if (!wns)
			return;      /* reported as IST0101 selector */
	}
	for (size_t s = 0; s < servers->n; s++) {
		const struct node *cn = node_get(node_get(servers->items[s], "tls"),
						 "credentialName");
		const char *cred = node_str(cn);
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
			diag_report(x->diags, IST0101, g, cn, "credentialName",
				    xref_quote(x, cred));
	}
}

/* ---- IST0145, IST0138 ---- */

/* A Gateway listed under a key (a server address, a certificate). */
struct server_ref {
	const struct resource *g;
	const char *selstr;
	const struct node *selector;
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
static bool server_address(const struct node *srv, const struct node **num,
			   const struct node **hosts, const char **bind)
{
	*num = node_get(node_get(srv, "port"), "number");
	*hosts = xref_list(srv, "hosts");
	*bind = node_str(node_get(srv, "bind"));
	if (!*bind)
		*bind = "";
	return *num && (*num)->type == NODE_INT && *hosts;
}

/* Whether some pod is selected by both selectors. */
struct both_scan {
	const struct node *other;
	bool found;
};

static bool pod_in_both(const struct xref_pod *pod, void *ctx)
{
	struct both_scan *b = ctx;
	if (xref_labels_match(b->other, pod->labels)) {
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
		const struct node *servers = gateway_servers(g);
		if (!servers)
			continue;
		const char *selstr = xref_selector_string(x, selector_of(g));
		for (size_t s = 0; s < servers->n; s++) {
			const struct node *num, *hosts;
			const char *bind;
			if (!server_address(servers->items[s], &num, &hosts, &bind))
				continue;
			for (size_t h = 0; h < hosts->n; h++) {
				const char *host = node_str(hosts->items[h]);
				if (!host)
					continue;
				const char *key = x->have_pods ?
					server_key(x, num->ival, bind, server_host(host)) :
					server_sel_key(x, num->ival, bind, server_host(host), selstr);
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
		const struct node *servers = gateway_servers(g);
		if (!servers)
			continue;
		struct server_ref self = {
			.g = g, .selector = selector_of(g),
			.selstr = xref_selector_string(x, selector_of(g)),
		};
		for (size_t s = 0; s < servers->n; s++) {
			const struct node *num, *hosts;
			const char *bind;
			if (!server_address(servers->items[s], &num, &hosts, &bind))
				continue;
			const struct resource *seen[CONFLICT_GATEWAYS];
			size_t nseen = 0;
			const struct node *at = NULL;
			for (size_t h = 0; h < hosts->n && nseen < CONFLICT_GATEWAYS; h++) {
				const char *host = node_str(hosts->items[h]);
				if (!host)
					continue;
				const char *key = x->have_pods ?
					server_key(x, num->ival, bind, server_host(host)) :
					server_sel_key(x, num->ival, bind, server_host(host),
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
					if (!at)
						at = hosts->items[h];
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
				len += (node_str(hosts->items[h]) ?
					strlen(node_str(hosts->items[h])) : 0) + 1;
			char *hl = arena_alloc(x->arena, len);
			for (size_t h = 0; h < hosts->n; h++) {
				if (!node_str(hosts->items[h]))
					continue;
				if (*hl)
					strcat(hl, ",");
				strcat(hl, node_str(hosts->items[h]));
			}
			diag_report(x->diags, IST0145, g, at, names, self.selstr,
				    arena_printf(x->arena, "%lld", num->ival), hl);
		}
	}
	xref_map_release(&idx);
}

/* ---- IST0138 ---- */

/* The certificate identity of a server's TLS settings, or NULL. */
static const char *cert_key(struct xref *x, const struct node *tls,
			    const struct node **at)
{
	const struct node *cn = node_get(tls, "credentialName");
	const char *cred = node_str(cn);
	if (cred && *cred) {
		*at = cn;
		return xref_key2(x, "cred", cred);
	}
	const struct node *cert = node_get(tls, "serverCertificate");
	const char *c = node_str(cert), *k = node_str(node_get(tls, "privateKey"));
	if (c && *c && k && *k) {
		*at = cert;
		return arena_printf(x->arena, "file\x1f%s\x1f%s", c, k);
	}
	return NULL;
}

/* Every pair of `sub` is in `super` (an empty `sub` is in everything). */
static bool selector_subset(const struct node *sub, const struct node *super)
{
	return xref_labels_match(sub, super);
}

static void gateway_certificates(struct xref *x)
{
	struct xref_map idx;
	xref_map_init(&idx, x->arena);
	struct project *p = x->p;
	for (size_t i = p->nres; i-- > 0;) {
		const struct resource *g = p->res[i];
		const struct node *servers = gateway_servers(g);
		for (size_t s = 0; servers && s < servers->n; s++) {
			const struct node *at;
			const char *key = cert_key(x, node_get(servers->items[s], "tls"), &at);
			if (key)
				list_gateway(x, &idx, key, g);
		}
	}
	for (size_t i = 0; i < p->nres; i++) {
		const struct resource *g = p->res[i];
		const struct node *servers = gateway_servers(g);
		const struct resource *seen[32];
		size_t nseen = 0;
		/* Up to 32 others per Gateway; past them nothing is reported. */
		for (size_t s = 0; servers && s < servers->n && nseen < 32; s++) {
			const struct node *at;
			const char *key = cert_key(x, node_get(servers->items[s], "tls"), &at);
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
				diag_report(x->diags, IST0138, g, at,
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
