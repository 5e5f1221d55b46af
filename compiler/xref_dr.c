/*
 * Analyzers over DestinationRules (istio.md §3.2):
 *   IST0128, IST0129   destinationrule.CaCertificateAnalyzer
 *   IST0174, IST0173   destinationrule.SubsetSelectPodAnalyzer
 * and meshc's MSH0301 (a subset no route uses). Runs after the
 * VirtualService pass, which marks the subsets routes use.
 */
#include <string.h>

#include "xref_index.h"

/* ---- IST0128 / IST0129 ---- */

static bool verifies_nothing(const struct m_tls *tls)
{
	const char *mode = tls->mode;
	if (!mode || (strcmp(mode, "SIMPLE") != 0 && strcmp(mode, "MUTUAL") != 0))
		return false;
	const char *ca = tls->ca_certificates;
	return !ca || !*ca;
}

/*
 * SIMPLE or MUTUAL TLS without caCertificates: the sidecar does not verify
 * the server's certificate. A credentialName on a rule with a
 * workloadSelector (a gateway's rule) carries the CA in its Secret.
 */
static void dr_ca_certificates(struct xref *x, const struct resource *r)
{
	const struct m_dr *dr = model_dr(r);
	const char *host = dr->host;
	bool selector = dr->workload_selector;
	if (verifies_nothing(&dr->tls) && !(selector && dr->tls.credential_name))
		diag_report_at(x->diags, IST0128, r, &dr->tls.mode_pos,
			       "spec.trafficPolicy.tls.mode",
			       arena_printf(x->arena, "%s/%s", r->namespace, r->name),
			       r->namespace, dr->tls.mode, host ? host : "");
	for (size_t i = 0; i < dr->nport_policies; i++) {
		const struct m_port_policy *pp = &dr->port_policies[i];
		if (!verifies_nothing(&pp->tls) ||
		    (selector && pp->tls.credential_name))
			continue;
		/* The port as Go's prototext prints a PortSelector. */
		const char *port = mint_set(&pp->port) ?
			arena_printf(x->arena, "number:%lld", pp->port.v) : "";
		diag_report_at(x->diags, IST0129, r, &pp->tls.mode_pos,
			       arena_printf(x->arena,
					    "spec.trafficPolicy.portLevelSettings[%zu].tls.mode", i),
			       arena_printf(x->arena, "%s/%s", r->namespace, r->name),
			       r->namespace, pp->tls.mode, host ? host : "", port);
	}
}

/* ---- IST0174 / IST0173 ---- */

/* The field path of spec.subsets[i].name (x's arena). */
static const char *subset_name_path(struct xref *x, size_t i)
{
	return arena_printf(x->arena, "spec.subsets[%zu].name", i);
}

/* Whether some Service or ServiceEntry host covered by wildcard `dr_host`
 * is visible where the rule is. */
static const struct xref_hostdef *wildcard_covers(struct xref *x,
						  const struct xref_dr *dr)
{
	const char *suffix = dr->host + 1;
	size_t sl = strlen(suffix);
	const struct xref_hostdef *h = xref_map_get(&x->wild_hosts, suffix);
	for (; h; h = h->next)
		if (xref_vis_meet(&h->vis, &dr->vis))
			return h;
	if (suffix[0] == '.') {
		/* Hosts ending with it, in the table's order, by one lookup. */
		for (const struct xref_suffix *l = xref_map_get(&x->host_suffixes, suffix);
		     l; l = l->next)
			for (h = l->defs; h; h = h->next)
				if (xref_vis_meet(&h->vis, &dr->vis))
					return h;
		return NULL;
	}
	for (size_t i = 0; i < x->hosts.cap; i++) {
		const struct xref_slot *s = &x->hosts.slots[i];
		if (!s->key)
			continue;
		size_t kl = strlen(s->key);
		if (kl < sl || strcmp(s->key + kl - sl, suffix) != 0)
			continue;
		for (h = s->val; h; h = h->next)
			if (xref_vis_meet(&h->vis, &dr->vis))
				return h;
	}
	return NULL;
}

static const struct xref_hostdef *dr_host_def(struct xref *x,
					      const struct xref_dr *dr)
{
	if (strcmp(dr->host, "*") == 0)
		return NULL;
	if (dr->host[0] == '*')
		return wildcard_covers(x, dr);
	bool wild;
	for (const struct xref_hostdef *h = xref_host_lookup(x, dr->host, &wild);
	     h; h = h->next)
		if (xref_vis_meet(&h->vis, &dr->vis))
			return h;
	return NULL;
}

/* Pod labels as Istio's registry sees them: plus the node's topology. */
static const char *pod_label(struct xref *x, const struct xref_pod *pod,
			     const char *key)
{
	const char *v = mlabels_text(pod->labels, key);
	if (v)
		return v;
	const struct m_pod *mp = model_pod(pod->r);
	const char *node_name = mp ? mp->node_name : NULL;
	if (!node_name)
		return NULL;
	if (strcmp(key, "kubernetes.io/hostname") == 0)
		return node_name;
	if (strcmp(key, "topology.kubernetes.io/region") != 0 &&
	    strcmp(key, "topology.kubernetes.io/zone") != 0 &&
	    strcmp(key, "topology.istio.io/subzone") != 0)
		return NULL;
	const struct resource *n = xref_map_get(&x->nodes, node_name);
	v = n ? mlabels_text(n->meta_labels, key) : NULL;
	return v && *v ? v : NULL;
}

/* Labels pod_label can give a pod that does not carry them itself. */
static bool node_derived(const char *key)
{
	return strcmp(key, "kubernetes.io/hostname") == 0 ||
	       strcmp(key, "topology.kubernetes.io/region") == 0 ||
	       strcmp(key, "topology.kubernetes.io/zone") == 0 ||
	       strcmp(key, "topology.istio.io/subzone") == 0;
}

/*
 * Narrows *shortest to the pods carrying pair (key, value) when fewer do;
 * false when none does (then no pod can match).
 */
static bool narrow(struct xref *x, const struct xref_pods **shortest,
		   const char *key, const char *v)
{
	const struct xref_pods *l = v ? xref_map_get(&x->pods_by_label,
						     xref_key2(x, key, v)) : NULL;
	if (!l)
		return false;
	if (!*shortest || l->n < (*shortest)->n)
		*shortest = l;
	return true;
}

/*
 * Whether some pod of namespace ns is selected by `sel` (a non-empty
 * map) and carries the subset's labels. The scan reads the pods of the
 * rarest label pair of either (a subset's pair only when the pod must
 * carry it itself), so N rules over one workload do not read every pod
 * N times.
 */
static bool subset_has_pod(struct xref *x, const struct mlabels *sel,
			   const char *ns, const struct mlabels *labels)
{
	const struct xref_pods *shortest = NULL;
	for (size_t i = 0; i < sel->n; i++)
		if (!narrow(x, &shortest, sel->v[i].key, sel->v[i].text))
			return false;
	bool lmap = labels->map;
	for (size_t i = 0; lmap && i < labels->n; i++) {
		if (!labels->v[i].text)
			return false;
		if (!node_derived(labels->v[i].key) &&
		    !narrow(x, &shortest, labels->v[i].key, labels->v[i].text))
			return false;
	}
	for (const struct xref_pod *pod = shortest->head; pod; pod = pod->next) {
		if (strcmp(pod->r->namespace, ns) != 0 ||
		    !xref_mlabels_match(sel, pod->labels))
			continue;
		bool all = true;
		for (size_t i = 0; lmap && i < labels->n && all; i++) {
			const char *want = labels->v[i].text;
			const char *got = pod_label(x, pod, labels->v[i].key);
			all = got && strcmp(want, got) == 0;
		}
		if (all)
			return true;
	}
	return false;
}

/*
 * The workloads behind the rule's host: for a Service, the pods of its
 * namespace its selector picks; for a ServiceEntry with a workloadSelector,
 * the pods of its namespace that selector picks. Other ServiceEntries
 * (external endpoints) have no pods to check, and a Service without a
 * selector has manually managed endpoints. Istio matches subset labels
 * against pods in every namespace.
 */
static void dr_subset_pods(struct xref *x, const struct xref_dr *dr,
			   const struct xref_hostdef *def)
{
	const struct mlabels *sel;
	if (def->r->kind == KIND_SERVICE)
		sel = &model_svc(def->r)->selector;
	else
		sel = def->selector;
	if (!sel || !sel->map || sel->n == 0)
		return;
	for (size_t i = 0; i < dr->nsubsets; i++) {
		const struct m_subset *subset = &dr->subsets[i];
		if (!dr->subset_names[i])
			continue;
		if (!subset_has_pod(x, sel, def->r->namespace, &subset->labels))
			diag_report_at(x->diags, IST0173, dr->r, &subset->name_pos,
				       subset_name_path(x, i), dr->subset_names[i]);
	}
}

/* ---- MSH0301 ---- */

static void dr_unused_subsets(struct xref *x, const struct xref_dr *dr)
{
	for (size_t i = 0; i < dr->nsubsets; i++) {
		if (!dr->subset_names[i] || dr->subset_used[i] ||
		    (dr->subset_info && dr->subset_info[i]->used))
			continue;
		diag_report_at(x->diags, MSH0301, dr->r, &dr->subsets[i].name_pos,
			       subset_name_path(x, i),
			       xref_quote(x, dr->subset_names[i]), xref_quote(x, dr->host));
	}
}

/* The checks of one DestinationRule that need its index entry. */
static void dr_check(struct xref *x, const struct xref_dr *dr)
{
	if (x->check_hosts && strcmp(dr->host, "*") != 0) {
		const struct xref_hostdef *def = dr_host_def(x, dr);
		if (!def)
			diag_report_at(x->diags, IST0174, dr->r, dr->host_pos,
				       "spec.host", model_dr(dr->r)->host);
		else if (x->have_pods)
			dr_subset_pods(x, dr, def);
	}
	if (x->have_vs)
		dr_unused_subsets(x, dr);
}

/*
 * Worker: the checks of unit u's DestinationRules, through a view of the
 * index. The unit's resources are a run of input positions (seq), so its
 * rules are a run of dr_list, which is in input order.
 */
static void dr_unit(struct project *p, struct source_unit *u, void *ctx)
{
	(void)p;
	const struct xref *x = ctx;
	if (u->nres == 0)
		return;
	struct xref view;
	xref_for_unit(&view, x, u);
	for (size_t i = 0; i < u->nres; i++) {
		const struct resource *r = u->res[i];
		if (r->kind == KIND_DESTINATION_RULE && r->has_spec)
			dr_ca_certificates(&view, r);
	}
	size_t lo = 0, hi = x->ndr, first = u->res[0]->seq, last = u->res[u->nres - 1]->seq;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->dr_list[mid]->r->seq < first)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < x->ndr && x->dr_list[i]->r->seq <= last; i++)
		dr_check(&view, x->dr_list[i]);
	xref_view_release(&view);
}

/* Each rule's checks only read the index: they run per unit on the pool. */
void xref_destination_rules(struct xref *x)
{
	if (!x->p->has_kind[KIND_DESTINATION_RULE])
		return;
	if (x->any_wild_dr && x->check_hosts)
		xref_host_suffixes(x);
	project_each_unit(x->p, dr_unit, x);
}
