/*
 * Gateway API: reading the objects of a loaded project, and the helpers
 * the conversion files share (see gwapi.h for the order of work).
 */
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "gwapi.h"
#include "hash.h"
#include "model.h"
#include "xref_index.h"
#include "onode.h"

static const struct {
	const char *group;           /* apiVersion up to the '/', "" for core */
	const char *kind;
	enum gwk k;
	bool cluster;                /* cluster-scoped: no namespace */
} kinds[] = {
	{ "gateway.networking.k8s.io", "GatewayClass", GWK_GATEWAY_CLASS, true },
	{ "gateway.networking.k8s.io", "Gateway", GWK_GATEWAY, false },
	{ "gateway.networking.k8s.io", "ListenerSet", GWK_LISTENER_SET, false },
	{ "gateway.networking.x-k8s.io", "XListenerSet", GWK_LISTENER_SET, false },
	{ "gateway.networking.k8s.io", "HTTPRoute", GWK_HTTP_ROUTE, false },
	{ "gateway.networking.k8s.io", "GRPCRoute", GWK_GRPC_ROUTE, false },
	{ "gateway.networking.k8s.io", "TCPRoute", GWK_TCP_ROUTE, false },
	{ "gateway.networking.k8s.io", "TLSRoute", GWK_TLS_ROUTE, false },
	{ "gateway.networking.k8s.io", "ReferenceGrant", GWK_REFERENCE_GRANT, false },
	{ "gateway.networking.k8s.io", "BackendTLSPolicy", GWK_BACKEND_TLS_POLICY, false },
	{ "", "Namespace", GWK_NAMESPACE, true },
	{ "", "Service", GWK_SERVICE, false },
	{ "", "Secret", GWK_SECRET, false },
	{ "", "ConfigMap", GWK_CONFIG_MAP, false },
	{ "networking.istio.io", "ServiceEntry", GWK_SERVICE_ENTRY, false },
	{ "inference.networking.k8s.io", "InferencePool", GWK_INFERENCE_POOL, false },
	{ "gateway.networking.x-k8s.io", "XBackend", GWK_XBACKEND, false },
};

const char *gwapi_str(const struct node *map, const char *key)
{
	const struct node *n = node_get(map, key);
	if (!n || n->type == NODE_MAP || n->type == NODE_SEQ || n->type == NODE_NULL)
		return NULL;
	return n->text;
}

/*
 * The objects read so far by (kind, namespace, name), so that a later
 * definition finds the one it replaces without a scan (a mesh holds
 * thousands of Services). Slots hold an index into g->objs plus one.
 */
struct objtab {
	size_t *slots;
	size_t cap, n;
};

static uint64_t obj_hash(const struct gw_obj *o)
{
	uint64_t h = hash_bytes(o->name, strlen(o->name));
	h = h * 31 + hash_bytes(o->ns, strlen(o->ns));
	return h * 31 + hash_bytes(o->kind_name, strlen(o->kind_name)) + (uint64_t)o->kind;
}

static bool obj_same(const struct gw_obj *a, const struct gw_obj *b)
{
	return a->kind == b->kind && strcmp(a->name, b->name) == 0 &&
	       strcmp(a->ns, b->ns) == 0 && strcmp(a->kind_name, b->kind_name) == 0;
}

/* The slot of o's identity: the one holding it, or the empty one for it. */
static size_t *objtab_slot(const struct gwapi *g, struct objtab *t, const struct gw_obj *o)
{
	size_t mask = t->cap - 1;
	for (size_t i = obj_hash(o) & mask;; i = (i + 1) & mask)
		if (!t->slots[i] || obj_same(g->objs[t->slots[i] - 1], o))
			return &t->slots[i];
}

static void objtab_grow(const struct gwapi *g, struct objtab *t)
{
	size_t *old = t->slots, ocap = t->cap;
	t->cap = t->cap ? t->cap * 2 : 256;
	t->slots = xcalloc(t->cap, sizeof(*t->slots));
	for (size_t i = 0; i < ocap; i++)
		if (old[i])
			*objtab_slot(g, t, g->objs[old[i] - 1]) = old[i];
	free(old);
}

bool gwapi_kind_of(const char *av, const char *kind, enum gwk *k)
{
	const char *slash = strchr(av, '/');
	size_t glen = slash ? (size_t)(slash - av) : 0;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].kind, kind) == 0 && strlen(kinds[i].group) == glen &&
		    strncmp(kinds[i].group, av, glen) == 0) {
			*k = kinds[i].k;
			return true;
		}
	return false;
}

/* Adds o, or puts it in place of the object it redefines (MSH0007: a
 * later definition replaces an earlier one). */
static void insert_obj(struct gwapi *g, struct objtab *t, struct gw_obj *o)
{
	o->seq = g->nobjs;
	if ((t->n + 1) * 2 > t->cap)
		objtab_grow(g, t);
	size_t *slot = objtab_slot(g, t, o);
	if (*slot) {
		size_t k = *slot - 1;
		o->seq = g->objs[k]->seq;
		g->objs[k] = o;
		return;
	}
	if (g->nobjs == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		g->objs = xrealloc(g->objs, g->cap * sizeof(*g->objs));
	}
	g->objs[g->nobjs++] = o;
	*slot = g->nobjs;
	t->n++;
}

/* An object from its kept tree (gwapi_keep); res: its resource, or NULL. */
static void add_obj(struct gwapi *g, struct objtab *t, const struct node *obj,
		    const char *file, const char *dflt_ns, const struct resource *res)
{
	const char *av = gwapi_str(obj, "apiVersion"), *kind = gwapi_str(obj, "kind");
	if (!av || !kind)
		return;
	const char *slash = strchr(av, '/');
	size_t glen = slash ? (size_t)(slash - av) : 0;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(kinds[i].kind, kind) != 0 || strlen(kinds[i].group) != glen ||
		    strncmp(kinds[i].group, av, glen) != 0)
			continue;
		const struct node *meta = node_get(obj, "metadata");
		const char *name = gwapi_str(meta, "name");
		if (!name)
			return;
		struct gw_obj *o = arena_alloc(&g->arena, sizeof(*o));
		memset(o, 0, sizeof(*o));
		o->kind = kinds[i].k;
		o->kind_name = kinds[i].kind;
		o->api_version = av;
		o->name = name;
		const char *ns = gwapi_str(meta, "namespace");
		o->ns = kinds[i].cluster ? "" : ns ? ns : dflt_ns;
		o->created = gwapi_str(meta, "creationTimestamp");
		if (!o->created)
			o->created = "";
		o->file = file;
		o->line = obj->line;
		o->col = obj->col;
		o->root = obj;
		o->meta = meta;
		o->spec = node_get(obj, "spec");
		o->labels = node_get(meta, "labels");
		o->annotations = node_get(meta, "annotations");
		o->res = res;
		if (glen && strncmp(av, "gateway.networking", 18) == 0)
			g->any = true;
		insert_obj(g, t, o);
		return;
	}
}

/* ---- Services, ServiceEntries and Namespaces, from their records ---- */

/* labels as the node map the conversion reads (the first of a repeated
 * key; a value that is not a scalar as null), NULL when not a map. */
static const struct node *labels_node(struct arena *a, const struct mlabels *l)
{
	if (!l || !l->map)
		return NULL;
	struct node *m = onode_map(a);
	for (unsigned i = 0; i < l->n; i++)
		if (!node_get(m, l->v[i].key))
			onode_set(a, m, l->v[i].key, l->v[i].text ? onode_str(a, l->v[i].text) :
				  onode_null(a));
	return m;
}

/* ports as a node list: each item's name and its `port` (a Service's)
 * or `number` (a ServiceEntry's) when an integer. */
static struct node *ports_node(struct arena *a, const struct m_ports *ps, bool se)
{
	struct node *seq = onode_seq(a);
	for (unsigned i = 0; i < ps->n; i++) {
		const struct m_port *mp = &ps->v[i];
		if (!mp->map) {
			onode_push(a, seq, onode_null(a));
			continue;
		}
		struct node *m = onode_push(a, seq, onode_map(a));
		if (mp->name)
			onode_set(a, m, "name", onode_str(a, mp->name));
		const struct mint *num = se ? &mp->number : &mp->port;
		if (mint_set(num))
			onode_set(a, m, se ? "number" : "port", onode_int(a, num->v));
	}
	return seq;
}

void gwapi_materialize(struct gwapi *g, struct gw_obj *o)
{
	if (!o || !o->lazy)
		return;
	o->lazy = false;
	const struct resource *r = o->res;
	struct arena *a = &g->arena;
	o->labels = labels_node(a, r->meta_labels);
	const struct m_svc *svc = model_svc(r);
	const struct m_se *se = model_se(r);
	if (r->has_spec && (svc || se)) {
		struct node *spec = onode_map(a);
		const struct m_ports *ps = svc ? &svc->ports : &se->ports;
		if (ps->list)
			onode_set(a, spec, "ports", ports_node(a, ps, se != NULL));
		if (se && se->hosts.list) {
			struct node *hs = onode_set(a, spec, "hosts", onode_seq(a));
			for (unsigned i = 0; i < se->hosts.n; i++)
				onode_push(a, hs, se->hosts.v[i].s ? onode_str(a, se->hosts.v[i].s) :
					   onode_null(a));
		}
		o->spec = spec;
	}
}

/* An object read from its record (its spec and labels built when a
 * lookup first returns it: a mesh has thousands of Services). */
static void add_record(struct gwapi *g, struct objtab *t, const struct resource *r)
{
	enum gwk k;
	if ((r->kind != KIND_SERVICE && r->kind != KIND_SERVICE_ENTRY && r->kind != KIND_NAMESPACE) ||
	    !r->name || !gwapi_kind_of(r->api_version, r->kind_name, &k) ||
	    !gwapi_kind_from_record(k))
		return;
	struct arena *a = &g->arena;
	struct gw_obj *o = arena_alloc(a, sizeof(*o));
	memset(o, 0, sizeof(*o));
	o->kind = k;
	o->kind_name = r->kind_name;
	o->api_version = r->api_version;
	o->name = r->name;
	o->ns = k == GWK_NAMESPACE ? "" : r->namespace;
	o->created = "";
	o->file = r->file;
	o->line = r->pos.line;
	o->col = r->pos.col;
	o->res = r;
	o->lazy = true;
	insert_obj(g, t, o);
}

/* ---- lookups ---- */

static uint64_t find_hash(enum gwk kind, const char *ns, const char *name)
{
	uint64_t h = hash_bytes(name, strlen(name));
	h = h * 31 + hash_bytes(ns, strlen(ns));
	return h * 31 + (uint64_t)kind;
}

/* Adds host h of o to the host index unless an earlier object has it. */
static void host_put(struct gwapi *g, const char *h, struct gw_obj *o)
{
	size_t mask = g->hosts_cap - 1;
	for (size_t i = (size_t)hash_bytes(h, strlen(h)) & mask;; i = (i + 1) & mask) {
		if (!g->hosts[i].host) {
			g->hosts[i].host = h;
			g->hosts[i].o = o;
			return;
		}
		if (strcmp(g->hosts[i].host, h) == 0)
			return;
	}
}

struct gw_obj *gwapi_host_obj(struct gwapi *g, const char *h)
{
	if (!g->hosts_cap || !h)
		return NULL;
	size_t mask = g->hosts_cap - 1;
	for (size_t i = (size_t)hash_bytes(h, strlen(h)) & mask; g->hosts[i].host; i = (i + 1) & mask)
		if (strcmp(g->hosts[i].host, h) == 0) {
			gwapi_materialize(g, g->hosts[i].o);
			return g->hosts[i].o;
		}
	return NULL;
}

/* The hosts of the Services and ServiceEntries (from their records). */
static void host_index(struct gwapi *g)
{
	size_t n = 0;
	for (size_t k = 0; k < g->nobjs; k++) {
		const struct m_se *se = g->objs[k]->res ? model_se(g->objs[k]->res) : NULL;
		n += g->objs[k]->kind == GWK_SERVICE ? 1 :
		     g->objs[k]->kind == GWK_SERVICE_ENTRY && se ? se->hosts.n : 0;
	}
	g->hosts_cap = 16;
	while (g->hosts_cap < n * 2 + 2)
		g->hosts_cap *= 2;
	g->hosts = xcalloc(g->hosts_cap, sizeof(*g->hosts));
	for (size_t k = 0; k < g->nobjs; k++) {
		struct gw_obj *o = g->objs[k];
		if (o->kind == GWK_SERVICE) {
			host_put(g, arena_printf(&g->arena, "%s.%s.svc.%s", o->name, o->ns, g->domain), o);
		} else if (o->kind == GWK_SERVICE_ENTRY && o->res && model_se(o->res)) {
			const struct mstrs *hs = &model_se(o->res)->hosts;
			for (unsigned i = 0; i < hs->n; i++)
				if (hs->v[i].s)
					host_put(g, hs->v[i].s, o);
		}
	}
}

/* The objects by (kind, namespace, name), the first in g->objs winning
 * (a ListenerSet and an XListenerSet share a kind); by kind; by host. */
static void find_index(struct gwapi *g)
{
	for (size_t k = 0; k < g->nobjs; k++)
		g->nof_kind[g->objs[k]->kind]++;
	for (int k = 0; k < GWK_COUNT; k++) {
		g->of_kind[k] = xmalloc((g->nof_kind[k] + 1) * sizeof(*g->of_kind[k]));
		g->nof_kind[k] = 0;
	}
	for (size_t k = 0; k < g->nobjs; k++) {
		enum gwk kind = g->objs[k]->kind;
		g->of_kind[kind][g->nof_kind[kind]++] = g->objs[k];
	}
	host_index(g);
	g->find_cap = 16;
	while (g->find_cap < g->nobjs * 2 + 2)
		g->find_cap *= 2;
	g->find = xcalloc(g->find_cap, sizeof(*g->find));
	size_t mask = g->find_cap - 1;
	for (size_t k = 0; k < g->nobjs; k++) {
		const struct gw_obj *o = g->objs[k];
		g->has[o->kind] = true;
		size_t i = (size_t)find_hash(o->kind, o->ns, o->name) & mask;
		for (;; i = (i + 1) & mask) {
			if (!g->find[i]) {
				g->find[i] = k + 1;
				break;
			}
			const struct gw_obj *x = g->objs[g->find[i] - 1];
			if (x->kind == o->kind && strcmp(x->name, o->name) == 0 &&
			    strcmp(x->ns, o->ns) == 0)
				break;
		}
	}
}

static struct gw_obj *find(const struct gwapi *g, enum gwk kind,
			   const char *ns, const char *name)
{
	if (!name)
		return NULL;
	if (!ns) {
		/* Any namespace: the cluster-scoped kinds' is "" (the
		 * callers'); a namespaced kind is scanned. */
		bool cluster = false;
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (kinds[i].k == kind)
				cluster = kinds[i].cluster;
		if (cluster)
			ns = "";
		for (size_t i = 0; !cluster && i < g->nobjs; i++) {
			struct gw_obj *o = g->objs[i];
			if (o->kind == kind && strcmp(o->name, name) == 0)
				return o;
		}
		if (!cluster)
			return NULL;
	}
	if (!g->find_cap)
		return NULL;
	size_t mask = g->find_cap - 1;
	for (size_t i = (size_t)find_hash(kind, ns, name) & mask; g->find[i]; i = (i + 1) & mask) {
		struct gw_obj *o = g->objs[g->find[i] - 1];
		if (o->kind == kind && strcmp(o->name, name) == 0 && strcmp(o->ns, ns) == 0)
			return o;
	}
	return NULL;
}

struct gw_obj *gwapi_find(struct gwapi *g, enum gwk kind,
			  const char *ns, const char *name)
{
	struct gw_obj *o = find(g, kind, ns, name);
	gwapi_materialize(g, o);
	return o;
}

void gwapi_add_parent(struct gwapi *g, struct gw_parent *p)
{
	if (g->nparents == g->pcap) {
		g->pcap = g->pcap ? g->pcap * 2 : 16;
		g->parents = xrealloc(g->parents, g->pcap * sizeof(*g->parents));
	}
	g->parents[g->nparents++] = p;
}

struct gw_out *gwapi_add_out(struct gwapi *g)
{
	if (g->nouts == g->ocap) {
		g->ocap = g->ocap ? g->ocap * 2 : 16;
		g->outs = xrealloc(g->outs, g->ocap * sizeof(*g->outs));
	}
	struct gw_out *o = &g->outs[g->nouts++];
	memset(o, 0, sizeof(*o));
	return o;
}

void gwapi_note_missing(struct gwapi *g, const char *host)
{
	if (g->nmissing == g->mcap) {
		g->mcap = g->mcap ? g->mcap * 2 : 16;
		g->missing = xrealloc(g->missing, g->mcap * sizeof(*g->missing));
	}
	g->missing[g->nmissing++] = host;
}

void gwapi_issue(struct gwapi *g, struct gw_obj *o, const struct node *at,
		 const char *type, const char *reason, const char *message,
		 const char *parent)
{
	if (g->nissues == g->icap) {
		g->icap = g->icap ? g->icap * 2 : 16;
		g->issues = xrealloc(g->issues, g->icap * sizeof(*g->issues));
	}
	struct gw_issue *i = &g->issues[g->nissues++];
	i->obj = o;
	i->at = at;
	i->type = type;
	i->reason = reason;
	i->message = message;
	i->parent = parent;
	i->warning = false;
}

void gwapi_condition(struct gwapi *g, struct node *conds, const char *type,
		     bool status, const char *reason, const char *message)
{
	struct arena *a = &g->arena;
	struct node *c = NULL;
	for (size_t i = 0; i < conds->n && !c; i++) {
		const char *t = gwapi_str(conds->items[i], "type");
		if (t && strcmp(t, type) == 0)
			c = conds->items[i] = onode_map(a);
	}
	if (!c)
		c = onode_push(a, conds, onode_map(a));
	onode_set(a, c, "type", onode_str(a, type));
	onode_set(a, c, "status", onode_str(a, status ? "True" : "False"));
	onode_set(a, c, "reason", onode_str(a, reason));
	onode_set(a, c, "message", onode_str(a, message));
}

/* The value of label key, with the implicit kubernetes.io/metadata.name. */
static const char *label_value(const struct node *labels, const char *key,
			       const char *ns_name)
{
	const char *v = gwapi_str(labels, key);
	if (!v && ns_name && strcmp(key, "kubernetes.io/metadata.name") == 0)
		return ns_name;
	return v;
}

static bool in_values(const struct node *values, const char *v)
{
	if (!values || values->type != NODE_SEQ || !v)
		return false;
	for (size_t i = 0; i < values->n; i++)
		if (values->items[i]->text && strcmp(values->items[i]->text, v) == 0)
			return true;
	return false;
}

bool gwapi_selector_matches(const struct node *sel, const struct node *labels,
			    const char *ns_name)
{
	const struct node *ml = node_get(sel, "matchLabels");
	if (ml && ml->type == NODE_MAP)
		for (size_t i = 0; i < ml->n; i++) {
			const char *want = ml->pairs[i].value->text;
			const char *have = label_value(labels, ml->pairs[i].key->text, ns_name);
			if (!want || !have || strcmp(want, have) != 0)
				return false;
		}
	const struct node *me = node_get(sel, "matchExpressions");
	if (me && me->type == NODE_SEQ)
		for (size_t i = 0; i < me->n; i++) {
			const char *key = gwapi_str(me->items[i], "key");
			const char *op = gwapi_str(me->items[i], "operator");
			const struct node *vals = node_get(me->items[i], "values");
			if (!key || !op)
				return false;
			const char *have = label_value(labels, key, ns_name);
			if (strcmp(op, "In") == 0 ? !in_values(vals, have) :
			    strcmp(op, "NotIn") == 0 ? have && in_values(vals, have) :
			    strcmp(op, "Exists") == 0 ? !have :
			    strcmp(op, "DoesNotExist") == 0 ? have != NULL : true)
				return false;
		}
	return true;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

bool gwapi_host_matches(const char *a, const char *b)
{
	bool aw = a[0] == '*', bw = b[0] == '*';
	if (aw && bw)
		return strlen(a) < strlen(b) ? has_suffix(b + 1, a + 1) : has_suffix(a + 1, b + 1);
	if (aw)
		return has_suffix(b, a + 1);
	if (bw)
		return has_suffix(a, b + 1);
	return strcmp(a, b) == 0;
}

bool gwapi_host_subset(const char *a, const char *b)
{
	bool aw = a[0] == '*', bw = b[0] == '*';
	if (aw)
		return bw && has_suffix(a + 1, b + 1);
	if (bw)
		return has_suffix(a, b + 1);
	return strcmp(a, b) == 0;
}

/* Whether position (l1, c1) comes before (l2, c2). */
static bool before(unsigned l1, unsigned c1, unsigned l2, unsigned c2)
{
	return l1 < l2 || (l1 == l2 && c1 < c2);
}

void gwapi_build(struct gwapi *g, const struct project *p, const char *domain)
{
	memset(g, 0, sizeof(*g));
	arena_init(&g->arena);
	g->domain = domain ? domain : "cluster.local";
	const char *dflt_ns = p->opt.namespace ? p->opt.namespace : "default";
	/* Services, ServiceEntries, Namespaces, Secrets and ConfigMaps
	 * matter only to the other kinds: without one, there is nothing to
	 * convert. */
	bool kept = false;
	for (size_t u = 0; u < p->nunits && !kept; u++)
		for (size_t i = 0; i < p->units[u].ngw_trees && !kept; i++) {
			const char *k = gwapi_str(p->units[u].gw_trees[i], "kind");
			kept = !k || (strcmp(k, "Secret") != 0 && strcmp(k, "ConfigMap") != 0);
		}
	struct objtab t = { 0 };
	/* In document order: the kept trees and the records, merged by
	 * position; a tree at its resource's position is that resource's
	 * (suppression annotations). */
	for (size_t u = 0; kept && u < p->nunits; u++) {
		const struct source_unit *su = &p->units[u];
		size_t i = 0, j = 0;
		while (i < su->nres || j < su->ngw_trees) {
			const struct resource *r = i < su->nres ? su->res[i] : NULL;
			const struct node *tree = j < su->ngw_trees ? su->gw_trees[j] : NULL;
			if (tree && (!r || !before(r->pos.line, r->pos.col, tree->line, tree->col))) {
				const struct resource *tr = r && r->pos.line == tree->line &&
					r->pos.col == tree->col ? r : NULL;
				i += tr != NULL;
				j++;
				add_obj(g, &t, tree, su->file, dflt_ns, tr);
			} else {
				i++;
				add_record(g, &t, r);
			}
		}
	}
	free(t.slots);
	find_index(g);
	gwapi_convert_gateways(g);
	gwapi_convert_routes(g);
	gwapi_convert_policies(g);
	gwapi_xbackend_statuses(g);
}

void gwapi_release(struct gwapi *g)
{
	free(g->objs);
	free(g->find);
	for (size_t i = 0; i < g->nowner_lists; i++)
		free(g->owner_lists[i]->v);
	free(g->owner_lists);
	if (g->parents_by_owner)
		xref_map_release(g->parents_by_owner);
	free(g->parents_by_owner);
	free(g->hosts);
	for (int k = 0; k < GWK_COUNT; k++)
		free(g->of_kind[k]);
	free(g->parents);
	free(g->outs);
	free(g->issues);
	free(g->missing);
	free(g->ties);
	arena_release(&g->arena);
	memset(g, 0, sizeof(*g));
}
