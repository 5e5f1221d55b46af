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

/* The policy fields (model.h enum m_pol_field), by API name. */
static const char *const pol_keys[M_POL_N] = {
	[M_POL_LB] = "loadBalancer", [M_POL_CP] = "connectionPool",
	[M_POL_OD] = "outlierDetection", [M_POL_TLS] = "tls",
	[M_POL_TUNNEL] = "tunnel", [M_POL_PROXY] = "proxyProtocol",
	[M_POL_BUDGET] = "retryBudget",
};
/* The same keys, in JSON key order (sorted), as object keys. */
static const int pol_order[M_POL_N] = {
	M_POL_CP, M_POL_LB, M_POL_OD, M_POL_PROXY, M_POL_BUDGET, M_POL_TLS, M_POL_TUNNEL,
};

/* The portLevelSettings entry of policy for port, or NULL. */
static const struct m_port_level *port_level(const struct m_policy *policy, unsigned port)
{
	if (!policy || port == 0)
		return NULL;
	for (unsigned i = 0; i < policy->nlevels; i++)
		if (policy->levels[i].port == port)
			return &policy->levels[i];
	return NULL;
}

/* Field f when it is set, else NULL. */
static const struct m_polfield *set_or_null(const struct m_polfield *f)
{
	return f->json ? f : NULL;
}

/* A port-level entry stands for the whole policy: its four fields, absent or not. */
static void take_port_level(const struct m_polfield *f[M_POL_N],
			    const struct m_port_level *pl)
{
	for (int i = 0; i < M_POL_N; i++)
		f[i] = i <= M_POL_TLS ? set_or_null(&pl->f[i]) : NULL;
}

/* The stored JSON of the policy made of fields f, or NULL when none is set. */
static const char *policy_json(struct builder *b, const struct m_polfield *const f[M_POL_N])
{
	struct sb *s = &b->sb_pol;
	s->n = 0;
	sb_put(s, "{", 1);
	for (int k = 0; k < M_POL_N; k++) {
		int i = pol_order[k];
		if (!f[i])
			continue;
		if (s->n > 1)
			sb_put(s, ",", 1);
		sb_json_str(s, pol_keys[i]);
		sb_put(s, ":", 1);
		sb_put(s, f[i]->json, f[i]->len);
	}
	if (s->n == 1)
		return NULL;
	sb_put(s, "}", 1);
	/* Stored once per distinct policy (most clusters repeat a few), in
	 * a map the workers of the parallel build share: under the lock. */
	route_lock(b);
	const char *have = xref_map_get(b->policies, s->p);
	if (!have) {
		char *j = arena_strndup(&b->m->arena, s->p, s->n);
		*xref_map_put_ref(b->policies, j) = j;
		have = j;
	}
	route_unlock(b);
	return have;
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
					    const struct m_policy **sub_pol)
{
	size_t n = 0;
	for (struct xref_dr *d = xref_dr_lookup(b->x, c->host); d; d = d->next)
		n++;
	if (n == 0)
		return NULL;
	const struct xref_dr **v = xcalloc(n, sizeof(*v));
	n = 0;
	for (struct xref_dr *d = xref_dr_lookup(b->x, c->host); d; d = d->next)
		if (d->r->has_spec)
			v[n++] = d;
	qsort(v, n, sizeof(*v), dr_cmp);
	bool plain = false;
	for (size_t i = 0; i < n; i++)
		plain |= !model_dr(v[i]->r)->workload_selector;
	char buf[256];
	const char *ns = host_namespace(c->host, b->m->domain, buf, sizeof(buf));
	bool ns_has = false;
	for (size_t i = 0; ns && i < n; i++)
		ns_has |= strcmp(v[i]->r->namespace, ns) == 0;
	const char *pick_ns = NULL;
	*top_dr = *sub_dr = NULL;
	*sub_pol = NULL;
	const struct xref_dr *any = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct xref_dr *d = v[i];
		const struct m_dr *dr = model_dr(d->r);
		bool selects = dr->workload_selector;
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
		if (!*top_dr && dr->policy->present)
			*top_dr = d;
		for (size_t k = 0; c->subset && !*sub_dr && k < dr->nsubsets; k++) {
			const struct m_subset *s = &dr->subsets[k];
			if (s->name && strcmp(s->name, c->subset) == 0) {
				*sub_dr = d;
				*sub_pol = s->policy->present ? s->policy : NULL;
			}
		}
	}
	free(v);
	return any;
}

static void cluster_policy(struct builder *b, struct rm_cluster *c)
{
	const struct xref_dr *top_dr, *sub_dr;
	const struct m_policy *sub;
	const struct xref_dr *first = cluster_rules(b, c, &top_dr, &sub_dr, &sub);
	if (!first)
		return;
	const struct m_policy *top = top_dr ? model_dr(top_dr->r)->policy : NULL;
	const struct m_polfield *f[M_POL_N];
	const struct m_port_level *tpl = port_level(top, c->port);
	if (tpl)
		take_port_level(f, tpl);
	else
		for (int i = 0; i < M_POL_N; i++)
			f[i] = top ? top->f[i] : NULL;
	const struct m_port_level *spl = port_level(sub, c->port);
	if (spl) {
		for (int i = 0; i <= M_POL_TLS; i++)
			f[i] = set_or_null(&spl->f[i]);
	} else if (sub) {
		for (int i = 0; i < M_POL_N; i++)
			if (sub->f[i])
				f[i] = sub->f[i];
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
	if (f[M_POL_LB]) {
		const char *simple = f[M_POL_LB]->aux;
		c->lb_policy = simple ? simple : f[M_POL_LB]->chash ? "consistentHash" : NULL;
	}
	if (f[M_POL_TLS] && f[M_POL_TLS]->aux)
		c->tls_mode = f[M_POL_TLS]->aux;
}

/*
 * The cluster (host, subset, port), made with its policy on first use.
 * Found or made under the builder's lock: workers of the parallel mesh
 * build share the clusters. The worker that makes one fills its policy
 * after dropping the lock (it reads only the index, which nobody
 * changes, and the others only keep the pointer until the emitter reads
 * the fields); the policy depends on the cluster alone, so which worker
 * makes it does not matter.
 */
static struct rm_cluster *cluster_get(struct builder *b, const char *host,
				      const char *subset, unsigned port)
{
	route_lock(b);
	size_t before = b->clusters->n_clusters;
	struct rm_cluster *c = route_model_cluster(b->clusters, host, subset, port);
	bool made = b->clusters->n_clusters != before;
	route_unlock(b);
	if (made)
		cluster_policy(b, c);
	return c;
}

struct rm_cluster *route_default_cluster(struct builder *b, const char *host,
					 unsigned port)
{
	return cluster_get(b, host, NULL, port);
}

/* The path of a destination's host (route_build.h struct dest_at). */
static const char *dest_host_path(struct builder *b, const struct dest_at *at)
{
	struct arena *a = &b->m->arena;
	switch (at->kind) {
	case DEST_MIRROR:
		return arena_printf(a, "spec.http[%u].mirror.host", at->rule);
	case DEST_MIRRORS:
		return arena_printf(a, "spec.http[%u].mirrors[%u].destination.host",
				    at->rule, at->item);
	default:
		return arena_printf(a, "spec.%s[%u].route[%u].destination.host",
				    at->sect, at->rule, at->item);
	}
}

struct rm_cluster *route_dest_cluster(struct builder *b, const struct resource *r,
				      const struct m_dest *dst, const struct dest_at *at,
				      const struct rctx *cx)
{
	const char *h = dst->host;
	if (!h) {
		/* An invalid Gateway API backendRef, converted to `destination:
		 * {}`: Istio's GetDestinationCluster names it UnknownService. */
		const char *sem = resource_annotation(r, "internal.istio.io/route-semantics");
		if (!sem || strcmp(sem, "gateway") != 0)
			return NULL;
		route_lock(b);   /* the clusters are shared (cluster_get) */
		struct rm_cluster *c = route_model_unknown_cluster(b->clusters);
		route_unlock(b);
		return c;
	}
	/* Looked up only: route_model_cluster keeps its own copy. */
	char buf[256];
	const char *host = route_fqdn_in(b, h, r->namespace, buf, sizeof(buf));
	const char *subset = dst->subset;
	unsigned port = mint_u(&dst->port, 0);
	if (port == 0) {
		/* Istio's GetDestinationCluster: the Service's only port, else
		 * the listener's port. */
		const struct mesh_svc *s = route_svc(b, host);
		if (s && s->nports == 1)
			port = s->ports[0];
		else if (cx->dest_port)
			port = cx->dest_port;
		else
			diag_report_at(b->d, MSH0401, r, &dst->host_pos,
				       dest_host_path(b, at), host);
	}
	return cluster_get(b, host, subset, port);
}
