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

static void cluster_policy(struct builder *b, struct rm_cluster *c)
{
	struct xref_dr *dr = xref_dr_lookup(&b->x, c->host);
	if (!dr || !dr->r->spec)
		return;
	const struct node *top = get(dr->r->spec, "trafficPolicy"), *sub = NULL;
	if (c->subset) {
		const struct node *subsets = get(dr->r->spec, "subsets");
		for (size_t i = 0; subsets && subsets->type == NODE_SEQ && i < subsets->n; i++) {
			const char *name = nstr(get(subsets->items[i], "name"));
			if (name && strcmp(name, c->subset) == 0) {
				sub = get(subsets->items[i], "trafficPolicy");
				break;
			}
		}
	}
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
	c->destination_rule = arena_printf(a, "%s/%s", dr->r->namespace, dr->r->name);
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
