/*
 * Destinations -> clusters, each with the DestinationRule traffic policy
 * Istio applies to it, merged as pilot/pkg/networking/util
 * MergeSubsetTrafficPolicy does for the cluster's port:
 *
 *   1. the top-level policy, or, when one of its portLevelSettings names
 *      the port, that entry alone (its loadBalancer, connectionPool,
 *      outlierDetection and tls; fields it omits take Envoy's defaults,
 *      and tunnel, proxyProtocol and retryBudget are not carried over:
 *      GetPortLevelTrafficPolicy);
 *   2. then the subset's policy over it, field by field, or the subset's
 *      matching port-level entry, whose four fields replace those of
 *      step 1 whether set or not (mergeTrafficPolicy with hasPortLevel).
 *
 * The merged policy is stored as canonical JSON in the API's field names
 * (loadBalancer with its localityLbSetting, connectionPool,
 * outlierDetection, tls, ...), with the DestinationRule's name beside it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_build.h"

enum { POL_LB, POL_CP, POL_OD, POL_TLS, POL_TUNNEL, POL_PROXY, POL_BUDGET, POL_N };
static const char *const pol_keys[POL_N] = {
	"loadBalancer", "connectionPool", "outlierDetection", "tls", "tunnel",
	"proxyProtocol", "retryBudget",
};
/* The same keys, in JSON key order (sorted), as object keys. */
static const int pol_order[POL_N] = {
	POL_CP, POL_LB, POL_OD, POL_PROXY, POL_BUDGET, POL_TLS, POL_TUNNEL,
};

/* The portLevelSettings entry of policy for port, or NULL. */
static const struct node *port_level(const struct node *policy, unsigned port)
{
	const struct node *pls = get(policy, "portLevelSettings");
	if (!pls || pls->type != NODE_SEQ || port == 0)
		return NULL;
	for (size_t i = 0; i < pls->n; i++)
		if (uget(get(pls->items[i], "port"), "number", 0) == port)
			return pls->items[i];
	return NULL;
}

/* A port-level entry stands for the whole policy: its four fields, absent or not. */
static void take_port_level(const struct node *f[POL_N], const struct node *pl)
{
	for (int i = 0; i < POL_N; i++)
		f[i] = i <= POL_TLS ? get(pl, pol_keys[i]) : NULL;
}

/* The slot of node n in b->pol: its entry, or the free slot for it. */
static size_t pol_slot(const struct builder *b, const struct node *n)
{
	unsigned long long h = (unsigned long long)(uintptr_t)n * 0x9e3779b97f4a7c15ULL;
	size_t j = (size_t)(h >> 32) & (b->cap_pol - 1);
	while (b->pol[j].n && b->pol[j].n != n)
		j = (j + 1) & (b->cap_pol - 1);
	return j;
}

/* Appends the JSON of n (not NULL), made once per node: the clusters of
 * one host (its ports and subsets) mostly merge the same field nodes. */
static void sb_node_memo(struct builder *b, struct sb *s, const struct node *n)
{
	if ((b->npol + 1) * 2 > b->cap_pol) {
		struct pol_memo *old = b->pol;
		size_t oldcap = b->cap_pol;
		b->cap_pol = oldcap ? oldcap * 2 : 64;
		b->pol = xcalloc(b->cap_pol, sizeof(*b->pol));
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].n)
				b->pol[pol_slot(b, old[i].n)] = old[i];
		free(old);
	}
	struct pol_memo *e = &b->pol[pol_slot(b, n)];
	if (!e->n) {
		struct sb *t = &b->sb_field;
		t->n = 0;
		sb_json_node(t, n);
		e->n = n;
		e->json = arena_strndup(&b->m->arena, t->p, t->n);
		e->len = t->n;
		b->npol++;
	}
	sb_put(s, e->json, e->len);
}

/* The stored JSON of the policy made of fields f, or NULL when none is set. */
static const char *policy_json(struct builder *b, const struct node *const f[POL_N])
{
	struct sb *s = &b->sb_pol;
	s->n = 0;
	sb_put(s, "{", 1);
	for (int k = 0; k < POL_N; k++) {
		int i = pol_order[k];
		if (!f[i])
			continue;
		if (s->n > 1)
			sb_put(s, ",", 1);
		sb_json_str(s, pol_keys[i]);
		sb_put(s, ":", 1);
		sb_node_memo(b, s, f[i]);
	}
	if (s->n == 1)
		return NULL;
	sb_put(s, "}", 1);
	return arena_strndup(&b->m->arena, s->p, s->n);
}

static int dr_cmp(const void *x, const void *y)
{
	const struct xref_dr *a = *(const struct xref_dr *const *)x;
	const struct xref_dr *b = *(const struct xref_dr *const *)y;
	int r = strcmp(a->r->namespace, b->r->namespace);
	return r ? r : strcmp(a->r->name, b->r->name);
}

/* The namespace of a Kubernetes Service host NAME.NS.svc.DOMAIN, in buf,
 * or NULL. */
static const char *host_namespace(const char *host, const char *domain,
				  char *buf, size_t len)
{
	const char *dot = strchr(host, '.');
	if (!dot)
		return NULL;
	const char *ns = dot + 1, *end = strchr(ns, '.');
	if (!end || strncmp(end, ".svc.", 5) != 0 || strcmp(end + 5, domain) != 0 ||
	    (size_t)(end - ns) >= len)
		return NULL;
	memcpy(buf, ns, (size_t)(end - ns));
	buf[end - ns] = '\0';
	return buf;
}

/*
 * The DestinationRules of c's host that apply, as Istio consolidates
 * them (pilot/pkg/model/push_context.go mergeDestinationRule): the rules
 * of one namespace for one host merge, the first (by creation time;
 * meshc, without one, by name) keeping its top-level trafficPolicy unless
 * it has none, each later one adding the subsets not yet defined. A rule
 * with a workloadSelector applies only to the workloads it selects and
 * is used only when no rule without one exists. Of several namespaces,
 * the Service's own (a caller there reads its local rules first; callers
 * elsewhere read the exported ones of the Service's namespace) is taken,
 * else the first. Writes the rule giving the top-level policy and the
 * one defining the subset (either may be NULL); returns the first rule
 * that applies, or NULL.
 */
static const struct xref_dr *cluster_rules(struct builder *b, const struct rm_cluster *c,
					    const struct xref_dr **top_dr,
					    const struct xref_dr **sub_dr,
					    const struct node **sub_node)
{
	size_t n = 0;
	for (struct xref_dr *d = xref_dr_lookup(&b->x, c->host); d; d = d->next)
		n++;
	if (n == 0)
		return NULL;
	const struct xref_dr **v = xcalloc(n, sizeof(*v));
	n = 0;
	for (struct xref_dr *d = xref_dr_lookup(&b->x, c->host); d; d = d->next)
		if (d->r->spec)
			v[n++] = d;
	qsort(v, n, sizeof(*v), dr_cmp);
	bool plain = false;
	for (size_t i = 0; i < n; i++)
		plain |= get(v[i]->r->spec, "workloadSelector") == NULL;
	char buf[256];
	const char *ns = host_namespace(c->host, b->m->domain, buf, sizeof(buf));
	bool ns_has = false;
	for (size_t i = 0; ns && i < n; i++)
		ns_has |= strcmp(v[i]->r->namespace, ns) == 0;
	const char *pick_ns = NULL;
	*top_dr = *sub_dr = NULL;
	*sub_node = NULL;
	const struct xref_dr *any = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct xref_dr *d = v[i];
		bool selects = get(d->r->spec, "workloadSelector") != NULL;
		if (plain == selects)
			continue;
		if (!pick_ns)
			pick_ns = ns_has ? ns : d->r->namespace;
		if (strcmp(d->r->namespace, pick_ns) != 0)
			continue;
		if (!plain && any)
			break;   /* selector rules: the first only */
		if (!any)
			any = d;
		if (!*top_dr && get(d->r->spec, "trafficPolicy"))
			*top_dr = d;
		const struct node *subsets = get(d->r->spec, "subsets");
		for (size_t k = 0; c->subset && !*sub_dr && subsets &&
				   subsets->type == NODE_SEQ && k < subsets->n; k++) {
			const char *name = nstr(get(subsets->items[k], "name"));
			if (name && strcmp(name, c->subset) == 0) {
				*sub_dr = d;
				*sub_node = get(subsets->items[k], "trafficPolicy");
			}
		}
	}
	free(v);
	return any;
}

static void cluster_policy(struct builder *b, struct rm_cluster *c)
{
	const struct xref_dr *top_dr, *sub_dr;
	const struct node *sub;
	const struct xref_dr *first = cluster_rules(b, c, &top_dr, &sub_dr, &sub);
	if (!first)
		return;
	const struct node *top = top_dr ? get(top_dr->r->spec, "trafficPolicy") : NULL;
	const struct node *f[POL_N];
	const struct node *tpl = port_level(top, c->port);
	if (tpl)
		take_port_level(f, tpl);
	else
		for (int i = 0; i < POL_N; i++)
			f[i] = get(top, pol_keys[i]);
	const struct node *spl = port_level(sub, c->port);
	if (spl) {
		for (int i = 0; i <= POL_TLS; i++)
			f[i] = get(spl, pol_keys[i]);
	} else if (sub) {
		for (int i = 0; i < POL_N; i++)
			if (get(sub, pol_keys[i]))
				f[i] = get(sub, pol_keys[i]);
	}
	struct arena *a = &b->m->arena;
	c->policy_json = policy_json(b, f);
	/* The rule(s) the policy came from: "ns/name", or two joined by ','
	 * when the subset is another rule's. */
	if (top_dr || sub_dr)
		first = top_dr ? top_dr : sub_dr;
	c->destination_rule = sub_dr && top_dr && sub_dr != top_dr ?
		arena_printf(a, "%s/%s,%s/%s", top_dr->r->namespace, top_dr->r->name,
			     sub_dr->r->namespace, sub_dr->r->name) :
		arena_printf(a, "%s/%s", first->r->namespace, first->r->name);
	if (f[POL_LB]) {
		const char *simple = nstr(get(f[POL_LB], "simple"));
		c->lb_policy = simple ? arena_strdup(a, simple) :
			       get(f[POL_LB], "consistentHash") ? "consistentHash" : NULL;
	}
	const char *mode = nstr(get(f[POL_TLS], "mode"));
	if (mode)
		c->tls_mode = arena_strdup(a, mode);
}

struct rm_cluster *route_default_cluster(struct builder *b, const char *host,
					 unsigned port)
{
	size_t before = b->m->n_clusters;
	struct rm_cluster *c = route_model_cluster(b->m, host, NULL, port);
	if (b->m->n_clusters != before)
		cluster_policy(b, c);
	return c;
}

struct rm_cluster *route_dest_cluster(struct builder *b, const struct resource *r,
				      const struct node *dst, const struct rctx *cx)
{
	const char *h = nstr(get(dst, "host"));
	if (!h)
		return NULL;
	const char *host = route_fqdn(b, h, r->namespace);
	const char *subset = nstr(get(dst, "subset"));
	unsigned port = uget(get(dst, "port"), "number", 0);
	if (port == 0) {
		/* Istio's GetDestinationCluster: the Service's only port, else
		 * the listener's port. */
		const struct mesh_svc *s = route_svc(b, host);
		if (s && s->nports == 1)
			port = s->ports[0];
		else if (cx->dest_port)
			port = cx->dest_port;
		else
			diag_report(b->d, MSH0401, r, get(dst, "host"), host);
	}
	size_t before = b->m->n_clusters;
	struct rm_cluster *c = route_model_cluster(b->m, host, subset, port);
	if (b->m->n_clusters != before)
		cluster_policy(b, c);
	return c;
}
