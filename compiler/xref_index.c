/*
 * The cross-reference index (xref_index.h): a small string-keyed hash
 * table, exportTo visibility, Istio's host and gateway name resolution,
 * and the tables of hosts, DestinationRules, Gateways, Secrets, Pods and
 * Nodes that the analyzers consult. Built once per run in input order.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xref_index.h"
#include "prim.h"

/* ---- hash table ---- */

static size_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

void xref_map_init(struct xref_map *m, struct arena *a)
{
	m->slots = NULL;
	m->cap = m->n = 0;
	m->arena = a;
}

void xref_map_release(struct xref_map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}

void *xref_map_get(const struct xref_map *m, const char *key)
{
	if (m->n == 0)
		return NULL;
	size_t h = hash_str(key), mask = m->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		const struct xref_slot *s = &m->slots[i];
		if (!s->key)
			return NULL;
		if (s->hash == h && strcmp(s->key, key) == 0)
			return s->val;
	}
}

static void map_grow(struct xref_map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	struct xref_slot *ns = xcalloc(ncap, sizeof(*ns));
	for (size_t i = 0; i < m->cap; i++) {
		struct xref_slot *s = &m->slots[i];
		if (!s->key)
			continue;
		size_t j = s->hash & (ncap - 1);
		while (ns[j].key)
			j = (j + 1) & (ncap - 1);
		ns[j] = *s;
	}
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
}

static void **map_put(struct xref_map *m, const char *key, bool copy)
{
	if ((m->n + 1) * 4 > m->cap * 3)
		map_grow(m);
	size_t h = hash_str(key), mask = m->cap - 1;
	size_t i = h & mask;
	for (;; i = (i + 1) & mask) {
		struct xref_slot *s = &m->slots[i];
		if (!s->key)
			break;
		if (s->hash == h && strcmp(s->key, key) == 0)
			return &s->val;
	}
	m->slots[i].key = copy ? arena_strdup(m->arena, key) : key;
	m->slots[i].hash = h;
	m->slots[i].val = NULL;
	m->n++;
	return &m->slots[i].val;
}

void **xref_map_put(struct xref_map *m, const char *key)
{
	return map_put(m, key, true);
}

void **xref_map_put_ref(struct xref_map *m, const char *key)
{
	return map_put(m, key, false);
}

/* ---- small helpers ---- */

const struct node *xref_list(const struct node *map, const char *key)
{
	const struct node *n = node_get(map, key);
	return n && n->type == NODE_SEQ ? n : NULL;
}

const char *xref_text(const struct node *n)
{
	if (!n || n->type == NODE_MAP || n->type == NODE_SEQ ||
	    n->type == NODE_NULL)
		return NULL;
	return n->text;
}

const char *xref_quote(struct xref *x, const char *s)
{
	return prim_go_quote(x->arena, s);
}

const char *xref_key2(struct xref *x, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la + lb + 2 > x->keycap) {
		x->keycap = (la + lb + 2) * 2;
		x->key = xrealloc(x->key, x->keycap);
	}
	memcpy(x->key, a, la);
	x->key[la] = '\x1f';
	memcpy(x->key + la + 1, b, lb + 1);
	return x->key;
}

/* ---- visibility ---- */

static void vis_add(struct arena *a, struct xref_vis *v, const char *ns,
		    size_t *cap)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->ns[i], ns) == 0)
			return;
	if (v->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		const char **nn = arena_alloc(a, ncap * sizeof(*nn));
		if (v->n)
			memcpy(nn, v->ns, v->n * sizeof(*nn));
		v->ns = nn;
		*cap = ncap;
	}
	v->ns[v->n++] = ns;
}

/* Adds one exportTo entry; returns false once the visibility is "all". */
static void vis_entry(struct arena *a, struct xref_vis *v, const char *e,
		      const char *own, size_t *cap)
{
	if (strcmp(e, "*") == 0)
		v->all = true;
	else if (strcmp(e, ".") == 0)
		vis_add(a, v, own, cap);
	else if (strcmp(e, "~") != 0 && *e)
		vis_add(a, v, arena_strdup(a, e), cap);
}

void xref_vis_from_list(struct arena *a, struct xref_vis *v,
			const struct node *list, const char *own)
{
	memset(v, 0, sizeof(*v));
	if (!list || list->type != NODE_SEQ || list->n == 0) {
		v->all = true;
		return;
	}
	size_t cap = 0;
	for (size_t i = 0; i < list->n; i++) {
		const char *e = node_str(list->items[i]);
		if (e)
			vis_entry(a, v, e, own, &cap);
	}
}

void xref_vis_from_mstrs(struct arena *a, struct xref_vis *v,
			 const struct mstrs *list, const char *own)
{
	memset(v, 0, sizeof(*v));
	if (!list->list || list->n == 0) {
		v->all = true;
		return;
	}
	size_t cap = 0;
	for (unsigned i = 0; i < list->n; i++)
		if (list->v[i].s)
			vis_entry(a, v, list->v[i].s, own, &cap);
}

void xref_vis_from_annotation(struct arena *a, struct xref_vis *v,
			      const char *value, const char *own)
{
	memset(v, 0, sizeof(*v));
	if (!value || !*value) {
		v->all = true;
		return;
	}
	size_t cap = 0;
	const char *s = value;
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		/* Istio splits on commas without trimming; spaces are trimmed
		 * here because `a, b` is plainly meant as two namespaces. */
		while (len && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		char *e = arena_strndup(a, s, len);
		vis_entry(a, v, e, own, &cap);
		if (!comma)
			break;
		s = comma + 1;
	}
}

bool xref_vis_has(const struct xref_vis *v, const char *ns)
{
	if (v->all)
		return true;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->ns[i], ns) == 0)
			return true;
	return false;
}

bool xref_vis_meet(const struct xref_vis *a, const struct xref_vis *b)
{
	if (a->all)
		return b->all || b->n > 0;
	if (b->all)
		return a->n > 0;
	for (size_t i = 0; i < a->n; i++)
		if (xref_vis_has(b, a->ns[i]))
			return true;
	return false;
}

/* ---- names ---- */

const char *xref_fqdn(struct xref *x, const char *host, const char *ns)
{
	if (host[0] == '*' || strchr(host, '.'))
		return host;
	size_t hl = strlen(host), nl = strlen(ns), dl = strlen(x->domain);
	/* A string: no alignment (one per host reference). */
	char *out = arena_alloc_bytes(x->arena, hl + nl + dl + 7), *w = out;
	memcpy(w, host, hl);
	w += hl;
	*w++ = '.';
	memcpy(w, ns, nl);
	w += nl;
	memcpy(w, ".svc.", 5);
	w += 5;
	memcpy(w, x->domain, dl + 1);
	return out;
}

const char *xref_service_namespace(struct xref *x, const char *fqdn)
{
	/* name.ns.svc.<domain> */
	size_t dl = strlen(x->domain), fl = strlen(fqdn);
	if (fl < dl + 6 || strcmp(fqdn + fl - dl, x->domain) != 0 ||
	    strncmp(fqdn + fl - dl - 5, ".svc.", 5) != 0)
		return NULL;
	size_t end = fl - dl - 5;             /* end of "name.ns" */
	const char *dot = memchr(fqdn, '.', end);
	if (!dot || dot == fqdn || (size_t)(dot - fqdn) + 1 >= end)
		return NULL;
	const char *ns = dot + 1;
	if (memchr(ns, '.', end - (size_t)(ns - fqdn)))
		return NULL;
	return arena_strndup(x->arena, ns, end - (size_t)(ns - fqdn));
}

/* ---- building ---- */

/* The port numbers of a Service (`port`) or ServiceEntry (`number`). */
static void collect_ports(struct xref *x, struct xref_hostdef *h,
			  const struct m_ports *ports, bool entry)
{
	if (ports->n == 0)
		return;
	h->ports = arena_alloc(x->arena, ports->n * sizeof(*h->ports));
	for (size_t i = 0; i < ports->n; i++) {
		const struct mint *num = entry ? &ports->v[i].number : &ports->v[i].port;
		if (mint_set(num))
			h->ports[h->nports++] = num->v;
	}
}

static void add_host(struct xref *x, struct xref_hostdef *h)
{
	void **slot;
	if (h->host[0] == '*') {
		slot = xref_map_put_ref(&x->wild_hosts, h->host + 1);
		x->any_wild_host = true;
	} else {
		slot = xref_map_put_ref(&x->hosts, h->host);
	}
	h->next = *slot;
	*slot = h;
}

/* The definition a Service makes: name.namespace.svc.<domain>. */
static struct xref_hostdef *build_service(struct xref *x, const struct resource *r)
{
	struct xref_hostdef *h = arena_alloc(x->arena, sizeof(*h));
	h->r = r;
	size_t nl = strlen(r->name), sl = strlen(r->namespace), dl = strlen(x->domain);
	char *host = arena_alloc_raw(x->arena, nl + sl + dl + 7), *w = host;
	memcpy(w, r->name, nl);
	w += nl;
	*w++ = '.';
	memcpy(w, r->namespace, sl);
	w += sl;
	memcpy(w, ".svc.", 5);
	w += 5;
	memcpy(w, x->domain, dl + 1);
	h->host = host;
	collect_ports(x, h, &model_svc(r)->ports, false);
	xref_vis_from_annotation(x->arena, &h->vis, r->export_to, r->namespace);
	return h;
}

/* The definitions a ServiceEntry makes, one per non-empty host, into *defs. */
static size_t build_service_entry(struct xref *x, const struct resource *r,
				  struct xref_hostdef **defs)
{
	const struct m_se *se = model_se(r);
	const struct mstrs *hosts = &se->hosts;
	if (hosts->n == 0)
		return 0;
	struct xref_vis vis;
	xref_vis_from_mstrs(x->arena, &vis, &se->export_to, r->namespace);
	struct xref_hostdef *hs = arena_alloc(x->arena, hosts->n * sizeof(*hs));
	size_t n = 0;
	for (size_t i = 0; i < hosts->n; i++) {
		const char *host = hosts->v[i].s;
		if (!host || !*host)
			continue;
		struct xref_hostdef *h = &hs[n++];
		h->r = r;
		h->host = xref_fqdn(x, host, r->namespace);
		collect_ports(x, h, &se->ports, true);
		h->selector = se->selector.map ? &se->selector : NULL;
		h->vis = vis;
	}
	*defs = hs;
	return n;
}

/* The index entry of a DestinationRule; NULL when it names no host. */
static struct xref_dr *build_destination_rule(struct xref *x, const struct resource *r)
{
	const struct m_dr *m = model_dr(r);
	const char *host = m->host;
	if (!host || !*host)
		return NULL;
	struct xref_dr *d = arena_alloc(x->arena, sizeof(*d));
	d->r = r;
	d->host = xref_fqdn(x, host, r->namespace);
	d->host_pos = &m->host_pos;
	xref_vis_from_mstrs(x->arena, &d->vis, &m->export_to, r->namespace);
	if (m->nsubsets) {
		d->nsubsets = m->nsubsets;
		d->subsets = m->subsets;
		d->subset_names = arena_alloc(x->arena, m->nsubsets * sizeof(char *));
		d->subset_used = arena_alloc(x->arena, m->nsubsets * sizeof(*d->subset_used));
		for (size_t i = 0; i < m->nsubsets; i++)
			d->subset_names[i] = m->subsets[i].name;
	}
	return d;
}

static void index_destination_rule(struct xref *x, struct xref_dr *d)
{
	void **slot;
	if (d->host[0] == '*') {
		slot = xref_map_put_ref(&x->wild_drs, d->host + 1);
		x->any_wild_dr = true;
	} else {
		slot = xref_map_put_ref(&x->drs, d->host);
	}
	d->next = *slot;
	if (d->next)
		d->shared = d->next->shared = true;
	*slot = d;
	x->dr_list[x->ndr++] = d;
}

/* The key of a fact: tag, host, then ns and subset when not NULL. */
static const char *fact_key(struct xref *x, const char *tag, const char *host,
			    const char *ns, const char *subset)
{
	return arena_printf(x->arena, "%s\x1f%s\x1f%s\x1f%s", tag, host,
			    ns ? ns : "", subset ? subset : "");
}

void *xref_dr_fact(struct xref *x, const char *tag, const char *host,
		   const char *ns, const char *subset)
{
	if (x->dr_facts.n == 0)
		return NULL;
	return xref_map_get(&x->dr_facts, fact_key(x, tag, host, ns, subset));
}

/* Sets fact (tag, host, ns, subset) to val unless it is set: the first wins. */
static void fact_first(struct xref *x, const char *tag, const char *host,
		       const char *ns, const char *subset, void *val)
{
	void **slot = xref_map_put(&x->dr_facts, fact_key(x, tag, host, ns, subset));
	if (!*slot)
		*slot = val;
}

/* The facts of the rules of shared hosts (xref_index.h), in input order. */
static void index_dr_facts(struct xref *x)
{
	for (size_t i = 0; i < x->ndr; i++) {
		struct xref_dr *d = x->dr_list[i];
		if (!d->shared)
			continue;
		const char *ns = d->r->namespace;
		fact_first(x, "L", d->host, ns, NULL, d);
		d->subset_info = arena_alloc(x->arena, (d->nsubsets ? d->nsubsets : 1) *
					     sizeof(*d->subset_info));
		for (size_t k = 0; k < d->nsubsets; k++) {
			const char *sub = d->subset_names[k];
			if (!sub)
				continue;
			void **slot = xref_map_put(&x->dr_facts, fact_key(x, "S", d->host, NULL, sub));
			struct xref_subset *si = *slot;
			if (!si) {
				*slot = si = arena_alloc(x->arena, sizeof(*si));
				si->definer = d;
			}
			d->subset_info[k] = si;
			fact_first(x, "LS", d->host, ns, sub, d);
			if (d->vis.all)
				fact_first(x, "ES", d->host, NULL, sub, d);
			for (size_t v = 0; !d->vis.all && v < d->vis.n; v++)
				fact_first(x, "XS", d->host, d->vis.ns[v], sub, d);
		}
	}
}

void xref_host_suffixes(struct xref *x)
{
	if (x->host_suffixes.n)
		return;
	/* Appended in table order: a list's first entry is the first slot. */
	struct xref_map tails;
	xref_map_init(&tails, x->arena);
	for (size_t i = 0; i < x->hosts.cap; i++) {
		const struct xref_slot *s = &x->hosts.slots[i];
		if (!s->key)
			continue;
		for (const char *dot = strchr(s->key, '.'); dot; dot = strchr(dot + 1, '.')) {
			struct xref_suffix *l = arena_alloc(x->arena, sizeof(*l));
			l->defs = s->val;
			void **head = xref_map_put_ref(&x->host_suffixes, dot);
			void **tail = xref_map_put_ref(&tails, dot);
			if (*tail)
				((struct xref_suffix *)*tail)->next = l;
			else
				*head = l;
			*tail = l;
		}
	}
	xref_map_release(&tails);
}

/* What the parallel part of xref_init builds for one resource. */
struct built {
	struct xref_hostdef *defs;   /* a Service's one, a ServiceEntry's per host */
	size_t ndefs;
	struct xref_dr *dr;          /* a DestinationRule's */
};

struct build_job {
	const struct xref *x;
	struct built *built;         /* by resource position (seq) */
};

/*
 * Worker: the index entries of unit u's Services, ServiceEntries and
 * DestinationRules, allocated in the unit's arena. They only read their
 * own resource; xref_init links them into the tables afterwards.
 */
static void build_unit(struct project *p, struct source_unit *u, void *ctx)
{
	(void)p;
	struct build_job *job = ctx;
	struct xref view;
	xref_for_unit(&view, job->x, u);
	for (size_t i = 0; i < u->nres; i++) {
		const struct resource *r = u->res[i];
		struct built *b = &job->built[r->seq];
		switch (r->kind) {
		case KIND_SERVICE:
			b->defs = build_service(&view, r);
			b->ndefs = 1;
			break;
		case KIND_SERVICE_ENTRY:
			b->ndefs = build_service_entry(&view, r, &b->defs);
			break;
		case KIND_DESTINATION_RULE:
			b->dr = build_destination_rule(&view, r);
			break;
		default:
			break;
		}
	}
	xref_view_release(&view);
}

static void index_pod(struct xref *x, const struct resource *r)
{
	struct xref_pod *pod = &x->pods[x->npods++];
	pod->r = r;
	pod->labels = r->meta_labels && r->meta_labels->map ? r->meta_labels : NULL;
}

/* Pods are indexed by each label pair, so a selector scans only the pods
 * carrying its first pair rather than every pod. */
static void index_pod_labels(struct xref *x)
{
	/* Walk in reverse so each list ends up in input order. */
	for (size_t i = x->npods; i-- > 0;) {
		struct xref_pod *pod = &x->pods[i];
		if (!pod->labels)
			continue;
		for (size_t j = 0; j < pod->labels->n; j++) {
			const char *v = pod->labels->v[j].text;
			if (!v)
				continue;
			/* A pod is in several lists; each list needs its own link. */
			struct xref_pod *link = arena_alloc(x->arena, sizeof(*link));
			*link = *pod;
			void **slot = xref_map_put(&x->pods_by_label,
						   xref_key2(x, pod->labels->v[j].key, v));
			struct xref_pods *l = *slot;
			if (!l)
				*slot = l = arena_alloc(x->arena, sizeof(*l));
			link->next = l->head;
			l->head = link;
			l->n++;
		}
	}
}

void xref_init(struct xref *x, struct project *p)
{
	memset(x, 0, sizeof(*x));
	x->p = p;
	x->arena = &p->arena;
	x->diags = &p->diags;
	x->domain = p->opt.domain && *p->opt.domain ? p->opt.domain : "cluster.local";
	x->check_hosts = p->has_kind[KIND_SERVICE] ||
			 p->has_kind[KIND_SERVICE_ENTRY] || p->opt.require_hosts;
	x->have_pods = p->has_kind[KIND_POD];
	x->have_secrets = p->has_kind[KIND_SECRET];
	x->have_vs = p->has_kind[KIND_VIRTUAL_SERVICE];
	xref_map_init(&x->hosts, x->arena);
	xref_map_init(&x->wild_hosts, x->arena);
	xref_map_init(&x->drs, x->arena);
	xref_map_init(&x->wild_drs, x->arena);
	xref_map_init(&x->gateways, x->arena);
	xref_map_init(&x->k8s_gateways, x->arena);
	xref_map_init(&x->secrets, x->arena);
	xref_map_init(&x->pods_by_label, x->arena);
	xref_map_init(&x->nodes, x->arena);
	xref_map_init(&x->dr_facts, x->arena);
	xref_map_init(&x->host_suffixes, x->arena);

	size_t ndr = 0, npod = 0;
	for (size_t i = 0; i < p->nres; i++) {
		if (p->res[i]->kind == KIND_DESTINATION_RULE)
			ndr++;
		else if (p->res[i]->kind == KIND_POD)
			npod++;
	}
	x->dr_list = xmalloc((ndr ? ndr : 1) * sizeof(*x->dr_list));
	x->pods = xcalloc(npod ? npod : 1, sizeof(*x->pods));

	/* The entries themselves are built per unit on the worker pool. */
	struct build_job job = { x, xcalloc(p->nseq ? p->nseq : 1, sizeof(*job.built)) };
	if (p->has_kind[KIND_SERVICE] || p->has_kind[KIND_SERVICE_ENTRY] ||
	    p->has_kind[KIND_DESTINATION_RULE])
		project_each_unit(p, build_unit, &job);

	/* Definitions are pushed on the front of their lists, so walk the
	 * input backwards to keep each list in input order. DRs and pods
	 * are also kept in arrays, filled forwards afterwards. */
	for (size_t i = p->nres; i-- > 0;) {
		const struct resource *r = p->res[i];
		const struct built *b = &job.built[r->seq];
		switch (r->kind) {
		case KIND_SERVICE:
		case KIND_SERVICE_ENTRY:
			for (size_t k = 0; k < b->ndefs; k++)
				add_host(x, &b->defs[k]);
			break;
		case KIND_GATEWAY:
			*xref_map_put(&x->gateways, xref_key2(x, r->namespace, r->name)) = (void *)r;
			break;
		case KIND_K8S_GATEWAY:
			*xref_map_put(&x->k8s_gateways, xref_key2(x, r->namespace, r->name)) = (void *)r;
			break;
		case KIND_SECRET:
			*xref_map_put(&x->secrets, xref_key2(x, r->namespace, r->name)) = (void *)r;
			*xref_map_put(&x->secrets, r->name) = (void *)r;
			break;
		case KIND_NODE:
			*xref_map_put(&x->nodes, r->name) = (void *)r;
			break;
		default:
			break;
		}
	}
	for (size_t i = p->nres; i-- > 0;)
		if (p->res[i]->kind == KIND_DESTINATION_RULE && job.built[p->res[i]->seq].dr)
			index_destination_rule(x, job.built[p->res[i]->seq].dr);
	free(job.built);
	/* dr_list was filled backwards: reverse it into input order. */
	for (size_t i = 0, j = x->ndr; i + 1 < j; i++, j--) {
		struct xref_dr *t = x->dr_list[i];
		x->dr_list[i] = x->dr_list[j - 1];
		x->dr_list[j - 1] = t;
	}
	index_dr_facts(x);
	for (size_t i = 0; i < p->nres; i++)
		if (p->res[i]->kind == KIND_POD)
			index_pod(x, p->res[i]);
	index_pod_labels(x);
}

struct xref *project_index(struct project *p)
{
	if (!p->index) {
		p->index = xmalloc(sizeof(*p->index));
		xref_init(p->index, p);
	}
	return p->index;
}

void project_index_release(struct project *p)
{
	if (!p->index)
		return;
	xref_release(p->index);
	free(p->index);
	p->index = NULL;
}

void xref_add_gateways(struct xref *x, struct resource *const *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct resource *r = res[i];
		if (r->kind != KIND_GATEWAY)
			continue;
		void **slot = xref_map_put(&x->gateways, xref_key2(x, r->namespace, r->name));
		if (!*slot)
			*slot = (void *)r;
	}
}

void xref_drop_gateways(struct xref *x, struct resource *const *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct resource *r = res[i];
		if (r->kind != KIND_GATEWAY)
			continue;
		void **slot = xref_map_put(&x->gateways, xref_key2(x, r->namespace, r->name));
		if (*slot == r)
			*slot = NULL;   /* the table cannot delete: a NULL value reads as absent */
	}
}

/*
 * The DestinationRules derived from BackendTLSPolicies join the host
 * tables the route builder reads (xref_dr_lookup), in front of the
 * input's; dr_list and the shared-host facts, which only the analyzers
 * read, keep the input's alone.
 */
void xref_add_destination_rules(struct xref *x, struct resource *const *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (res[i]->kind != KIND_DESTINATION_RULE)
			continue;
		struct xref_dr *d = build_destination_rule(x, res[i]);
		if (!d)
			continue;
		bool wild = d->host[0] == '*';
		void **slot = wild ? xref_map_put_ref(&x->wild_drs, d->host + 1) :
				     xref_map_put_ref(&x->drs, d->host);
		x->any_wild_dr |= wild;
		d->next = *slot;
		*slot = d;
	}
}

void xref_drop_destination_rules(struct xref *x, struct resource *const *res, size_t n)
{
	bool dropped = false;
	for (size_t i = 0; i < n; i++) {
		const struct resource *r = res[i];
		if (r->kind != KIND_DESTINATION_RULE)
			continue;
		const char *host = model_dr(r)->host;
		if (!host || !*host)
			continue;
		const char *fqdn = xref_fqdn(x, host, r->namespace);
		struct xref_dr *head = fqdn[0] == '*' ? xref_map_get(&x->wild_drs, fqdn + 1) :
					 xref_map_get(&x->drs, fqdn);
		void **slot = head ? (fqdn[0] == '*' ? xref_map_put(&x->wild_drs, fqdn + 1) :
					  xref_map_put(&x->drs, fqdn)) : NULL;
		for (struct xref_dr **pp = (struct xref_dr **)slot; pp && *pp; pp = &(*pp)->next)
			if ((*pp)->r == r) {
				*pp = (*pp)->next;   /* a list left empty reads as absent */
				dropped = true;
				break;
			}
	}
	if (!dropped || !x->any_wild_dr)
		return;
	/* Whether a wildcard rule of the input remains. */
	x->any_wild_dr = false;
	for (size_t i = 0; i < x->wild_drs.cap && !x->any_wild_dr; i++)
		x->any_wild_dr = x->wild_drs.slots[i].key && x->wild_drs.slots[i].val;
}

void xref_release(struct xref *x)
{
	xref_map_release(&x->hosts);
	xref_map_release(&x->wild_hosts);
	xref_map_release(&x->drs);
	xref_map_release(&x->wild_drs);
	xref_map_release(&x->gateways);
	xref_map_release(&x->k8s_gateways);
	xref_map_release(&x->secrets);
	xref_map_release(&x->pods_by_label);
	xref_map_release(&x->nodes);
	xref_map_release(&x->dr_facts);
	xref_map_release(&x->host_suffixes);
	free(x->dr_list);
	free(x->pods);
	free(x->key);
	memset(x, 0, sizeof(*x));
}

void xref_for_unit(struct xref *view, const struct xref *x, struct source_unit *u)
{
	*view = *x;
	view->arena = &u->arena;
	view->diags = &u->diags;
	view->key = NULL;
	view->keycap = 0;
}

void xref_view_release(struct xref *view)
{
	free(view->key);
	memset(view, 0, sizeof(*view));
}

/* ---- lookups ---- */

const struct xref_hostdef *xref_host_lookup(struct xref *x, const char *fqdn,
					    bool *wild)
{
	*wild = false;
	const struct xref_hostdef *h = xref_map_get(&x->hosts, fqdn);
	if (h || !x->any_wild_host)
		return h;
	/* Istio: a wildcard ServiceEntry host `*suffix` covers any host (with
	 * its own leading `*` removed) that ends with suffix. Longest first. */
	const char *s = fqdn[0] == '*' ? fqdn + 1 : fqdn;
	for (size_t i = 0; s[i]; i++) {
		h = xref_map_get(&x->wild_hosts, s + i);
		if (h) {
			*wild = true;
			return h;
		}
	}
	return NULL;
}

struct xref_dr *xref_dr_lookup(struct xref *x, const char *fqdn)
{
	struct xref_dr *d = xref_map_get(&x->drs, fqdn);
	if (d || !x->any_wild_dr)
		return d;
	const char *s = fqdn[0] == '*' ? fqdn + 1 : fqdn;
	size_t len = strlen(s);
	for (size_t i = 0; i <= len; i++) {
		d = xref_map_get(&x->wild_drs, s + i);
		if (d)
			return d;
	}
	return NULL;
}

static const struct resource *gateway_in(struct xref *x, struct xref_map *m,
					 const char *ref, const char *ns,
					 const char **fullname)
{
	const char *slash = strchr(ref, '/');
	const struct resource *g;
	if (slash) {
		char *gns = arena_strndup(x->arena, ref, (size_t)(slash - ref));
		*fullname = ref;
		return xref_map_get(m, xref_key2(x, gns, slash + 1));
	}
	*fullname = arena_printf(x->arena, "%s/%s", ns, ref);
	g = xref_map_get(m, xref_key2(x, ns, ref));
	if (g)
		return g;
	/* The legacy `name.namespace` form, which Pilot still resolves. */
	const char *dot = strchr(ref, '.');
	if (dot && dot != ref && dot[1] && !strchr(dot + 1, '.')) {
		char *name = arena_strndup(x->arena, ref, (size_t)(dot - ref));
		return xref_map_get(m, xref_key2(x, dot + 1, name));
	}
	return NULL;
}

const struct resource *xref_gateway_lookup(struct xref *x, const char *ref,
					   const char *ns, const char **fullname)
{
	return gateway_in(x, &x->gateways, ref, ns, fullname);
}

const struct resource *xref_k8s_gateway_lookup(struct xref *x, const char *ref,
					       const char *ns, const char **fullname)
{
	return gateway_in(x, &x->k8s_gateways, ref, ns, fullname);
}

/* ---- labels and selectors ---- */

bool xref_labels_match(const struct node *selector, const struct node *labels)
{
	if (!selector || selector->type != NODE_MAP)
		return true;
	for (size_t i = 0; i < selector->n; i++) {
		const char *want = xref_text(selector->pairs[i].value);
		const struct node *k = selector->pairs[i].key;
		const char *got = xref_text(node_get(labels, k->text));
		if (!want || !got || strcmp(want, got) != 0)
			return false;
	}
	return true;
}

bool xref_mlabels_match(const struct mlabels *selector, const struct mlabels *labels)
{
	if (!selector || !selector->map)
		return true;
	for (size_t i = 0; i < selector->n; i++) {
		const char *want = selector->v[i].text;
		const char *got = mlabels_text(labels, selector->v[i].key);
		if (!want || !got || strcmp(want, got) != 0)
			return false;
	}
	return true;
}

void xref_pods_matching(struct xref *x, const struct mlabels *selector,
			const char *ns,
			bool (*fn)(const struct xref_pod *pod, void *ctx),
			void *ctx)
{
	bool empty = !selector || !selector->map || selector->n == 0;
	if (empty) {
		for (size_t i = 0; i < x->npods; i++) {
			if (ns && strcmp(x->pods[i].r->namespace, ns) != 0)
				continue;
			if (!fn(&x->pods[i], ctx))
				return;
		}
		return;
	}
	/* The pods carrying the selector's rarest pair: every match is there. */
	const struct xref_pods *shortest = NULL;
	for (size_t i = 0; i < selector->n; i++) {
		const char *v = selector->v[i].text;
		const struct xref_pods *l = v ? xref_map_get(&x->pods_by_label,
			xref_key2(x, selector->v[i].key, v)) : NULL;
		if (!l)
			return;      /* no pod has this pair */
		if (!shortest || l->n < shortest->n)
			shortest = l;
	}
	for (const struct xref_pod *pod = shortest->head; pod; pod = pod->next) {
		if (ns && strcmp(pod->r->namespace, ns) != 0)
			continue;
		if (!xref_mlabels_match(selector, pod->labels))
			continue;
		if (!fn(pod, ctx))
			return;
	}
}

static int cmp_label_key(const void *a, const void *b)
{
	const struct mlabel *la = *(const struct mlabel *const *)a;
	const struct mlabel *lb = *(const struct mlabel *const *)b;
	return strcmp(la->key, lb->key);
}

const char *xref_mselector_string(struct xref *x, const struct mlabels *selector)
{
	if (!selector || !selector->map || selector->n == 0)
		return "";
	const struct mlabel **pairs = xmalloc(selector->n * sizeof(*pairs));
	size_t len = 1;
	for (size_t i = 0; i < selector->n; i++) {
		pairs[i] = &selector->v[i];
		const char *v = pairs[i]->text;
		len += strlen(pairs[i]->key) + (v ? strlen(v) : 0) + 2;
	}
	qsort(pairs, selector->n, sizeof(*pairs), cmp_label_key);
	char *out = arena_alloc_raw(x->arena, len), *w = out;
	for (size_t i = 0; i < selector->n; i++) {
		const char *v = pairs[i]->text;
		w += sprintf(w, "%s%s=%s", i ? "," : "", pairs[i]->key, v ? v : "");
	}
	*w = '\0';
	free(pairs);
	return out;
}

static int cmp_pair_key(const void *a, const void *b)
{
	const struct node_pair *pa = *(const struct node_pair *const *)a;
	const struct node_pair *pb = *(const struct node_pair *const *)b;
	return strcmp(pa->key->text, pb->key->text);
}

const char *xref_selector_string(struct xref *x, const struct node *selector)
{
	if (!selector || selector->type != NODE_MAP || selector->n == 0)
		return "";
	const struct node_pair **pairs = xmalloc(selector->n * sizeof(*pairs));
	size_t len = 1;
	for (size_t i = 0; i < selector->n; i++) {
		pairs[i] = &selector->pairs[i];
		const char *v = xref_text(pairs[i]->value);
		len += pairs[i]->key->len + (v ? strlen(v) : 0) + 2;
	}
	qsort(pairs, selector->n, sizeof(*pairs), cmp_pair_key);
	char *out = arena_alloc_raw(x->arena, len), *w = out;
	for (size_t i = 0; i < selector->n; i++) {
		const char *v = xref_text(pairs[i]->value);
		w += sprintf(w, "%s%s=%s", i ? "," : "", pairs[i]->key->text,
			     v ? v : "");
	}
	*w = '\0';
	free(pairs);
	return out;
}
