/*
 * Resources -> route model, with the semantics of Istio's proxies
 * (issue 5, runtime.md "Routing semantics that are easy to get wrong").
 *
 *  - Gateways (sorted by namespace/name): one listener per (gateway,
 *    server port); servers sharing a port share the listener. A
 *    VirtualService naming the gateway binds to each server, restricted
 *    to the hosts the server admits ("ns/host" visibility) and using the
 *    more specific of the two host names, as Istio's
 *    pickMatchingGatewayHosts does. Several VirtualServices for one host
 *    are merged in order of name, then namespace (Istio's order for
 *    equal creation times), catch-all routes last (SortVHostRoutes);
 *    each VirtualService's routes end at its first catch-all, and a
 *    route mixing catch-all and other matches is split in two. An
 *    httpsRedirect server answers all its hosts with a 301 to https.
 *  - The mesh: one listener per service port; a VirtualService without
 *    gateways (or naming `mesh`) binds to every port of the Service or
 *    ServiceEntry of each host, or to the any-port listener (port 0)
 *    when the host has none. On the mesh the first VirtualService for a
 *    host wins (Istio drops later duplicates of a domain). Every
 *    Service/ServiceEntry port without a VirtualService gets Istio's
 *    default route.
 *  - Delegates: a root route's `delegate` is replaced by the delegate's
 *    routes, each match the root match ANDed with the delegate match
 *    (the delegate's condition wins where both constrain one field).
 *  - Destinations: FQDN hosts; port as written, else the Service's only
 *    port, else the mesh listener's port, else 0 (MSH0401). Clusters are
 *    outbound|PORT|SUBSET|FQDN with the DestinationRule policy merged as
 *    Istio's MergeTrafficPolicy does: top-level port settings over the
 *    top level, the subset's fields over that, the subset's port
 *    settings over both.
 * Input order never changes the model: resources are sorted, virtual
 * hosts are sorted by name at the end, clusters by name in the emitter.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compiler.h"
#include "prim.h"
#include "route_model.h"
#include "xref_index.h"

/* A growing string buffer (heap). */
struct sb {
	char *p;
	size_t n, cap;
};

struct builder {
	struct route_model *m;
	struct project *p;
	struct xref x;
	struct diag_list *d;
	const struct resource **vs;  /* VirtualServices with hosts, sorted */
	size_t nvs;
	struct xref_map delegates;   /* "ns\x1fname" -> hostless VirtualService */
	struct xref_map bound;       /* gateway "ns/name" -> struct vs_set */
	struct rm_route_list *redirect_list;   /* the https redirect, shared */
	struct mesh_svc *svc;        /* Service and ServiceEntry hosts; heap */
	size_t nsvc, cap_svc;
	const char **mesh_wild;      /* wildcard hosts of mesh VirtualServices; heap */
	size_t nmesh_wild, cap_mesh_wild;
	struct xref_map mesh_exact;  /* exact hosts of mesh VirtualServices */
	const struct resource *vs_of; /* the resource vs_name names */
	const char *vs_name;         /* its "ns/name", shared by its routes */
	struct pol_memo *pol;        /* policy JSON by its fields; heap, open addressing */
	size_t npol, cap_pol;        /* cap_pol: 0 or a power of two */
	struct sb sb_pol, sb_field;  /* policy_json's scratch buffers, reused */
};

/*
 * The canonical JSON of one policy field node, made once: the clusters
 * of one host (its ports and subsets) mostly merge the same field nodes
 * of its DestinationRule.
 */
struct pol_memo {
	const struct node *n;        /* NULL: free slot */
	const char *json;            /* arena */
	size_t len;
};

/* A Service or ServiceEntry host and its ports. */
struct mesh_svc {
	const char *host;
	const unsigned *ports;
	size_t nports;
};

/* Positions in builder.vs of the VirtualServices naming one gateway. */
struct vs_set {
	size_t *idx;                 /* arena array, ascending */
	size_t n, cap;
};

/* ---- small helpers ---------------------------------------------------- */

static const char *nstr(const struct node *n)
{
	return n && n->type == NODE_STR ? n->text : NULL;
}

static bool nint(const struct node *n, long long *v)
{
	if (!n || n->type != NODE_INT)
		return false;
	*v = n->ival;
	return true;
}

/*
 * Inline, like node_get itself, so that the length and key bits of a
 * literal key fold to constants: these lookups are the builder's inner
 * loop.
 */
static inline const struct node *get(const struct node *map, const char *key)
{
	return node_get(map, key);
}

static inline unsigned uget(const struct node *map, const char *key, unsigned dflt)
{
	long long v;
	return nint(get(map, key), &v) && v >= 0 && v < 0xffffffffLL ? (unsigned)v : dflt;
}

/* A Duration field in milliseconds, or MRT_UNSET. */
static unsigned dur_ms(const struct node *n)
{
	long long ns;
	const char *s = nstr(n);
	if (!s || !prim_parse_duration(s, &ns) || ns < 0)
		return MRT_UNSET;
	long long ms = ns / 1000000;
	return ms >= 0xffffffffLL ? MRT_UNSET - 1 : (unsigned)ms;
}

/* A Percent {value: double} as millionths, or MRT_UNSET. */
static unsigned percent_ppm(const struct node *pct)
{
	const struct node *v = get(pct, "value");
	if (!v || (v->type != NODE_INT && v->type != NODE_FLOAT))
		return MRT_UNSET;
	double d = v->dval * 10000.0;
	if (d < 0)
		d = 0;
	if (d > 1000000.0)
		d = 1000000.0;
	return (unsigned)(d + 0.5);
}

static char *lower(struct arena *a, const char *s)
{
	char *r = arena_strdup(a, s);
	for (char *c = r; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	return r;
}

/* ---- canonical JSON of a node (the stored cluster policy) ------------- */

static void sb_put(struct sb *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2 + 64;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

static void sb_str(struct sb *b, const char *s)
{
	sb_put(b, "\"", 1);
	while (*s) {
		/* Copy the run of bytes that need no escape in one go. */
		size_t run = 0;
		while (s[run] && s[run] != '"' && s[run] != '\\' &&
		       (unsigned char)s[run] >= 0x20)
			run++;
		if (run) {
			sb_put(b, s, run);
			s += run;
			continue;
		}
		unsigned char c = (unsigned char)*s++;
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			sb_put(b, esc, 2);
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			sb_put(b, esc, 6);
		}
	}
	sb_put(b, "\"", 1);
}

static int pair_cmp(const void *a, const void *b)
{
	const struct node_pair *x = *(const struct node_pair *const *)a;
	const struct node_pair *y = *(const struct node_pair *const *)b;
	return strcmp(x->key->text, y->key->text);
}

static void sb_node(struct sb *b, const struct node *n)
{
	if (!n) {
		sb_put(b, "null", 4);
		return;
	}
	switch (n->type) {
	case NODE_NULL:
		sb_put(b, "null", 4);
		break;
	case NODE_BOOL:
		sb_put(b, n->bval ? "true" : "false", n->bval ? 4 : 5);
		break;
	case NODE_INT: {
		/* Decimal by hand: same text as "%lld", without printf. */
		char num[32];
		size_t k = sizeof(num);
		unsigned long long v = n->ival < 0 ? 0ULL - (unsigned long long)n->ival :
				       (unsigned long long)n->ival;
		do {
			num[--k] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		if (n->ival < 0)
			num[--k] = '-';
		sb_put(b, num + k, sizeof(num) - k);
		break;
	}
	case NODE_FLOAT: {
		char num[40];
		snprintf(num, sizeof(num), "%.17g", n->dval);
		sb_put(b, num, strlen(num));
		break;
	}
	case NODE_STR:
		sb_str(b, n->text);
		break;
	case NODE_SEQ:
		sb_put(b, "[", 1);
		for (size_t i = 0; i < n->n; i++) {
			if (i)
				sb_put(b, ",", 1);
			sb_node(b, n->items[i]);
		}
		sb_put(b, "]", 1);
		break;
	case NODE_MAP: {
		/* Small maps (nearly all) sort on the stack. */
		const struct node_pair *small[16];
		const struct node_pair **ps = n->n <= 16 ? small :
					      xcalloc(n->n + 1, sizeof(*ps));
		for (size_t i = 0; i < n->n; i++)
			ps[i] = &n->pairs[i];
		if (ps == small) {
			/* Insertion sort: stable like glibc's qsort here. */
			for (size_t i = 1; i < n->n; i++) {
				const struct node_pair *t = ps[i];
				size_t j = i;
				for (; j > 0 && pair_cmp(&ps[j - 1], &t) > 0; j--)
					ps[j] = ps[j - 1];
				ps[j] = t;
			}
		} else {
			qsort(ps, n->n, sizeof(*ps), pair_cmp);
		}
		sb_put(b, "{", 1);
		for (size_t i = 0; i < n->n; i++) {
			if (i)
				sb_put(b, ",", 1);
			sb_str(b, ps[i]->key->text ? ps[i]->key->text : "");
			sb_put(b, ":", 1);
			sb_node(b, ps[i]->value);
		}
		sb_put(b, "}", 1);
		if (ps != small)
			free(ps);
		break;
	}
	}
}

/* ---- DestinationRule policy merge ------------------------------------- */

enum { POL_LB, POL_CP, POL_OD, POL_TLS, POL_TUNNEL, POL_PROXY, POL_BUDGET, POL_N };
static const char *const pol_keys[POL_N] = {
	"loadBalancer", "connectionPool", "outlierDetection", "tls", "tunnel",
	"proxyProtocol", "retryBudget",
};
/* The same keys as JSON object keys (none needs escaping). */
static const char *const pol_keys_json[POL_N] = {
	"\"loadBalancer\":", "\"connectionPool\":", "\"outlierDetection\":",
	"\"tls\":", "\"tunnel\":", "\"proxyProtocol\":", "\"retryBudget\":",
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

/* Port-level settings replace the four fields they carry, absent or not. */
static void apply_port_level(const struct node *f[POL_N], const struct node *pl)
{
	if (!pl)
		return;
	f[POL_LB] = get(pl, "loadBalancer");
	f[POL_CP] = get(pl, "connectionPool");
	f[POL_OD] = get(pl, "outlierDetection");
	f[POL_TLS] = get(pl, "tls");
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

/* Appends sb_node's JSON of n (not NULL), made once per node. */
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
		sb_node(t, n);
		e->n = n;
		e->json = arena_strndup(&b->m->arena, t->p, t->n);
		e->len = t->n;
		b->npol++;
	}
	sb_put(s, e->json, e->len);
}

/*
 * The stored JSON of the policy made of fields f from DestinationRule dr,
 * or NULL when no field is set.
 */
static const char *policy_json(struct builder *b, const struct xref_dr *dr,
			       const struct node *const f[POL_N])
{
	bool any = false;
	for (int i = 0; i < POL_N; i++)
		any |= f[i] != NULL;
	if (!any)
		return NULL;

	/* The policy also records where it came from. */
	struct sb *s = &b->sb_pol;
	s->n = 0;
	sb_put(s, "{\"destinationRule\":\"", 20);
	const char *ns = dr->r->namespace ? dr->r->namespace : "(null)";
	const char *name = dr->r->name ? dr->r->name : "(null)";   /* as printf */
	sb_put(s, ns, strlen(ns));
	sb_put(s, "/", 1);
	sb_put(s, name, strlen(name));
	sb_put(s, "\",\"trafficPolicy\":{", 19);
	bool first = true;
	for (int i = 0; i < POL_N; i++) {
		if (!f[i])
			continue;
		if (!first)
			sb_put(s, ",", 1);
		first = false;
		sb_put(s, pol_keys_json[i], strlen(pol_keys_json[i]));
		sb_node_memo(b, s, f[i]);
	}
	sb_put(s, "}}", 2);
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
			if (name && strcmp(name, c->subset) == 0)
				sub = get(subsets->items[i], "trafficPolicy");
		}
	}
	const struct node *f[POL_N];
	for (int i = 0; i < POL_N; i++)
		f[i] = get(top, pol_keys[i]);
	/* Istio's GetPortLevelTrafficPolicy: a matching port-level entry
	 * stands for the whole policy (its four fields; tunnel and
	 * proxyProtocol are not carried over); MergeSubsetTrafficPolicy then
	 * lays the subset's (port-level) policy over that. */
	const struct node *tpl = port_level(top, c->port);
	if (tpl) {
		apply_port_level(f, tpl);
		f[POL_TUNNEL] = f[POL_PROXY] = NULL;
	}
	if (sub) {
		const struct node *spl = port_level(sub, c->port);
		for (int i = 0; i < POL_N; i++)
			if (get(sub, pol_keys[i]) && !(spl && (i == POL_TUNNEL || i == POL_PROXY)))
				f[i] = get(sub, pol_keys[i]);
		apply_port_level(f, spl);
	}
	struct arena *a = &b->m->arena;
	c->policy_json = policy_json(b, dr, f);
	if (f[POL_LB]) {
		const char *simple = nstr(get(f[POL_LB], "simple"));
		c->lb_policy = simple ? arena_strdup(a, simple) :
			       get(f[POL_LB], "consistentHash") ? "consistentHash" : NULL;
	}
	const char *mode = nstr(get(f[POL_TLS], "mode"));
	if (mode)
		c->tls_mode = arena_strdup(a, mode);
}

/* ---- hosts and ports --------------------------------------------------- */

static const char *fqdn(struct builder *b, const char *host, const char *ns)
{
	return lower(&b->m->arena, xref_fqdn(&b->x, host, ns));
}

/* The ports of the Service or ServiceEntry defining host (exact). */
static const struct xref_hostdef *host_def(struct builder *b, const char *host)
{
	bool wild = false;
	const struct xref_hostdef *h = xref_host_lookup(&b->x, host, &wild);
	return h && !wild ? h : NULL;
}

/*
 * The cluster of destination node `dst` written in resource r; `lport`
 * is the listener port on the mesh (0 behind a gateway or on the any-port
 * listener). `at` is where MSH0401 points.
 */
static struct rm_cluster *dest_cluster(struct builder *b, const struct resource *r,
				       const struct node *dst, unsigned lport)
{
	const char *h = nstr(get(dst, "host"));
	if (!h)
		return NULL;
	const char *host = fqdn(b, h, r->namespace);
	const char *subset = nstr(get(dst, "subset"));
	unsigned port = uget(get(dst, "port"), "number", 0);
	if (port == 0) {
		const struct xref_hostdef *def = host_def(b, host);
		if (def && def->nports == 1)
			port = (unsigned)def->ports[0];
		else if (lport)
			port = lport;
		else
			diag_report(b->d, MSH0401, r, get(dst, "host"), host);
	}
	size_t before = b->m->n_clusters;
	struct rm_cluster *c = route_model_cluster(b->m, host, subset, port);
	if (b->m->n_clusters != before)
		cluster_policy(b, c);
	return c;
}

/* ---- matches ----------------------------------------------------------- */

struct conds {
	struct rm_cond *c;
	size_t n, cap;
};

static struct rm_cond *cond_add(struct conds *cs, enum mrt_field f, enum mrt_op op,
				const char *key, const char *value)
{
	GROW(cs->c, cs->n, cs->cap);
	struct rm_cond *c = &cs->c[cs->n++];
	memset(c, 0, sizeof(*c));
	c->field = f;
	c->op = op;
	c->key = key;
	c->value = value;
	return c;
}

/* A StringMatch (exact|prefix|regex; empty: presence). */
static void cond_string(struct conds *cs, enum mrt_field f, const char *key,
			const struct node *sm, unsigned flags)
{
	const char *v;
	struct rm_cond *c;
	if ((v = nstr(get(sm, "exact"))) != NULL)
		c = cond_add(cs, f, MRT_OP_EXACT, key, v);
	else if ((v = nstr(get(sm, "prefix"))) != NULL)
		c = cond_add(cs, f, MRT_OP_PREFIX, key, v);
	else if ((v = nstr(get(sm, "regex"))) != NULL)
		c = cond_add(cs, f, MRT_OP_REGEX, key, v);
	else
		c = cond_add(cs, f, MRT_OP_PRESENT, key, NULL);
	c->flags = flags;
}

static int cond_key_cmp(const void *a, const void *b)
{
	const struct rm_cond *x = a, *y = b;
	if (x->field != y->field)
		return (int)x->field - (int)y->field;
	return strcmp(x->key ? x->key : "", y->key ? y->key : "");
}

/* A map of name -> StringMatch, in key order (maps are unordered). */
static void cond_map(struct builder *b, struct conds *cs, enum mrt_field f,
		     const struct node *map, unsigned flags, bool lower_keys)
{
	if (!map || map->type != NODE_MAP)
		return;
	size_t first = cs->n;
	for (size_t i = 0; i < map->n; i++) {
		const char *k = map->pairs[i].key->text;
		cond_string(cs, f, lower_keys ? lower(&b->m->arena, k) : k,
			    map->pairs[i].value, flags);
	}
	qsort(cs->c + first, cs->n - first, sizeof(*cs->c), cond_key_cmp);
}

/* The `gateways` list of a match, resolved to "ns/name" (or "mesh"). */
static const char *gateway_list(struct builder *b, const struct resource *r,
				const struct node *gws)
{
	struct sb s = { 0 };
	for (size_t i = 0; gws && gws->type == NODE_SEQ && i < gws->n; i++) {
		const char *g = nstr(gws->items[i]), *full = NULL;
		if (!g)
			continue;
		if (strcmp(g, "mesh") == 0)
			full = "mesh";
		else if (!xref_gateway_lookup(&b->x, g, r->namespace, &full) || !full)
			full = strchr(g, '/') ? g : arena_printf(&b->m->arena, "%s/%s", r->namespace, g);
		if (s.n)
			sb_put(&s, ",", 1);
		sb_put(&s, full, strlen(full));
	}
	char *out = s.p ? arena_strdup(&b->m->arena, s.p) : NULL;
	free(s.p);
	return out;
}

/*
 * The source and gateway conditions of match m. On an HTTP match Istio
 * checks `gateways` instead of sourceLabels and sourceNamespace when it
 * names any (sourceMatchHTTP); TCP and TLS matches AND all of them.
 */
static void source_conds(struct builder *b, struct conds *cs, const struct resource *r,
			 const struct node *m, bool http)
{
	const char *gws = gateway_list(b, r, get(m, "gateways"));
	const struct node *sl = http && gws ? NULL : get(m, "sourceLabels");
	if (sl && sl->type == NODE_MAP) {
		size_t first = cs->n;
		for (size_t i = 0; i < sl->n; i++)
			cond_add(cs, MRT_FIELD_SOURCE_LABEL, MRT_OP_EXACT, sl->pairs[i].key->text,
				 nstr(sl->pairs[i].value) ? nstr(sl->pairs[i].value) : "");
		qsort(cs->c + first, cs->n - first, sizeof(*cs->c), cond_key_cmp);
	}
	const char *sns = http && gws ? NULL : nstr(get(m, "sourceNamespace"));
	if (sns)
		cond_add(cs, MRT_FIELD_SOURCE_NAMESPACE, MRT_OP_EXACT, NULL, sns);
	if (gws)
		cond_add(cs, MRT_FIELD_GATEWAY, MRT_OP_ANY_OF, NULL, gws);
	unsigned port = uget(m, "port", 0);
	if (port)
		cond_add(cs, MRT_FIELD_PORT, MRT_OP_EXACT, NULL, NULL)->number = port;
}

/* The conditions of one HTTPMatchRequest. */
static void http_match_conds(struct builder *b, struct conds *cs,
			     const struct resource *r, const struct node *m)
{
	const struct node *ic = get(m, "ignoreUriCase");
	unsigned uflags = ic && ic->type == NODE_BOOL && ic->bval ? MRT_COND_IGNORE_CASE : 0;
	if (get(m, "uri"))
		cond_string(cs, MRT_FIELD_URI, NULL, get(m, "uri"), uflags);
	if (get(m, "scheme"))
		cond_string(cs, MRT_FIELD_SCHEME, NULL, get(m, "scheme"), 0);
	if (get(m, "method"))
		cond_string(cs, MRT_FIELD_METHOD, NULL, get(m, "method"), 0);
	if (get(m, "authority"))
		cond_string(cs, MRT_FIELD_AUTHORITY, NULL, get(m, "authority"), 0);
	cond_map(b, cs, MRT_FIELD_HEADER, get(m, "headers"), 0, true);
	cond_map(b, cs, MRT_FIELD_HEADER, get(m, "withoutHeaders"), MRT_COND_INVERT, true);
	cond_map(b, cs, MRT_FIELD_QUERY, get(m, "queryParams"), 0, false);
	source_conds(b, cs, r, m, true);
}

static struct rm_match *matches_from(struct builder *b, struct conds *each,
				     const char **names, size_t n)
{
	struct rm_match *ms = arena_alloc(&b->m->arena, (n ? n : 1) * sizeof(*ms));
	for (size_t i = 0; i < n; i++) {
		ms[i].name = names[i];
		ms[i].n = each[i].n;
		ms[i].conds = arena_alloc(&b->m->arena, (each[i].n ? each[i].n : 1) * sizeof(struct rm_cond));
		if (each[i].n)
			memcpy(ms[i].conds, each[i].c, each[i].n * sizeof(struct rm_cond));
		free(each[i].c);
	}
	return ms;
}

/* ---- actions ------------------------------------------------------------ */

static struct rm_extra *extra_new(struct builder *b)
{
	struct rm_extra *x = arena_alloc(&b->m->arena, sizeof(*x));
	x->rd_port = x->rd_code = MRT_UNSET;
	x->rt_attempts = x->rt_per_try_ms = x->rt_backoff_ms = MRT_UNSET;
	x->fd_delay_ms = x->fd_delay_ppm = x->fa_status = x->fa_ppm = MRT_UNSET;
	x->cors_max_age_ms = x->cors_credentials = MRT_UNSET;
	return x;
}

static struct rm_extra *extra_of(struct builder *b, struct rm_route *rt)
{
	if (!rt->extra)
		rt->extra = extra_new(b);
	return rt->extra;
}

static int hop_cmp(const void *a, const void *b)
{
	const struct rm_hop *x = a, *y = b;
	if (x->target != y->target)
		return (int)x->target - (int)y->target;
	if (x->op != y->op)
		return (int)x->op - (int)y->op;
	return strcmp(x->name, y->name);
}

/* Istio's isInternalHeader: pseudo-headers and Host, which Envoy's header
 * operations cannot touch (an :authority or Host value rewrites the
 * authority instead, see header_authority). */
static bool header_internal(const char *name)
{
	return name[0] == ':' || strcasecmp(name, "host") == 0;
}

/* The authority rewrite a Headers block asks for (request set over add),
 * as Istio's TranslateHeadersOperations takes it; NULL when none. */
static const char *header_authority(const struct node *h)
{
	static const char *const opnames[2] = { "set", "add" };
	for (int o = 0; o < 2; o++) {
		const struct node *map = get(get(h, "request"), opnames[o]);
		const char *v = NULL;
		for (size_t i = 0; map && map->type == NODE_MAP && i < map->n; i++) {
			const char *k = map->pairs[i].key->text;
			if (strcasecmp(k, ":authority") == 0 || strcasecmp(k, "host") == 0)
				v = nstr(map->pairs[i].value);
		}
		if (v && *v)
			return v;
	}
	return NULL;
}

/* Headers {request, response: {set, add, remove}} as header operations
 * (internal headers left out, as Istio leaves them out). */
static struct rm_hop *header_ops(struct builder *b, const struct node *h, size_t *n)
{
	struct rm_hop *ops = NULL;
	size_t cnt = 0, cap = 0;
	static const char *const targets[2] = { "request", "response" };
	static const char *const opnames[2] = { "set", "add" };
	for (int t = 0; t < 2; t++) {
		const struct node *tn = get(h, targets[t]);
		for (int o = 0; o < 2; o++) {
			const struct node *map = get(tn, opnames[o]);
			for (size_t i = 0; map && map->type == NODE_MAP && i < map->n; i++) {
				if (header_internal(map->pairs[i].key->text))
					continue;
				GROW(ops, cnt, cap);
				ops[cnt].target = (enum mrt_header_target)t;
				ops[cnt].op = o ? MRT_HEADER_ADD : MRT_HEADER_SET;
				ops[cnt].name = map->pairs[i].key->text;
				ops[cnt].value = map->pairs[i].value && map->pairs[i].value->text ?
						 map->pairs[i].value->text : "";
				cnt++;
			}
		}
		const struct node *rm = get(tn, "remove");
		for (size_t i = 0; rm && rm->type == NODE_SEQ && i < rm->n; i++) {
			if (!nstr(rm->items[i]) || header_internal(nstr(rm->items[i])))
				continue;
			GROW(ops, cnt, cap);
			ops[cnt].target = (enum mrt_header_target)t;
			ops[cnt].op = MRT_HEADER_REMOVE;
			ops[cnt].name = nstr(rm->items[i]);
			ops[cnt].value = NULL;
			cnt++;
		}
	}
	/* set/add maps are unordered: sort for a stable table */
	if (cnt)
		qsort(ops, cnt, sizeof(*ops), hop_cmp);
	struct rm_hop *out = NULL;
	if (cnt) {
		out = arena_alloc(&b->m->arena, cnt * sizeof(*out));
		memcpy(out, ops, cnt * sizeof(*out));
	}
	free(ops);
	*n = cnt;
	return out;
}

static const char *join_list(struct builder *b, const struct node *seq)
{
	struct sb s = { 0 };
	for (size_t i = 0; seq && seq->type == NODE_SEQ && i < seq->n; i++) {
		const char *v = nstr(seq->items[i]);
		if (!v)
			continue;
		if (s.n)
			sb_put(&s, ",", 1);
		sb_put(&s, v, strlen(v));
	}
	char *out = s.p ? arena_strdup(&b->m->arena, s.p) : NULL;
	free(s.p);
	return out;
}

static size_t b64_decode(const char *in, char *out)
{
	unsigned acc = 0, bits = 0;
	size_t n = 0;
	for (; *in; in++) {
		int v;
		char c = *in;
		if (c >= 'A' && c <= 'Z') v = c - 'A';
		else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
		else if (c >= '0' && c <= '9') v = c - '0' + 52;
		else if (c == '+' || c == '-') v = 62;
		else if (c == '/' || c == '_') v = 63;
		else continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[n] = 0;
	return n;
}

static void route_destinations(struct builder *b, struct rm_route *rt,
			       const struct resource *r, const struct node *list,
			       unsigned lport)
{
	size_t n = list && list->type == NODE_SEQ ? list->n : 0;
	rt->dests = arena_alloc(&b->m->arena, (n ? n : 1) * sizeof(*rt->dests));
	for (size_t i = 0; i < n; i++) {
		const struct node *item = list->items[i];
		struct rm_cluster *c = dest_cluster(b, r, get(item, "destination"), lport);
		if (!c)
			continue;
		struct rm_dest *d = &rt->dests[rt->n_dests++];
		d->cluster = c;
		d->weight = uget(item, "weight", n == 1 ? 100 : 0);
		if (n == 1 && d->weight == 0)
			d->weight = 100;
		d->hops = header_ops(b, get(item, "headers"), &d->n_hops);
	}
}

static void route_mirrors(struct builder *b, struct rm_route *rt,
			  const struct resource *r, const struct node *h, unsigned lport)
{
	const struct node *single = get(h, "mirror"), *many = get(h, "mirrors");
	size_t n = (single ? 1 : 0) + (many && many->type == NODE_SEQ ? many->n : 0);
	if (!n)
		return;
	struct rm_extra *x = extra_of(b, rt);
	x->mirrors = arena_alloc(&b->m->arena, n * sizeof(*x->mirrors));
	if (single) {
		unsigned ppm = percent_ppm(get(h, "mirrorPercentage"));
		unsigned old = uget(h, "mirrorPercent", uget(h, "mirror_percent", MRT_UNSET));
		if (ppm == MRT_UNSET)
			ppm = old != MRT_UNSET ? old * 10000 : 1000000;
		struct rm_cluster *c = dest_cluster(b, r, single, lport);
		if (c) {
			x->mirrors[x->n_mirrors].cluster = c;
			x->mirrors[x->n_mirrors++].weight = ppm;
		}
	}
	for (size_t i = 0; many && many->type == NODE_SEQ && i < many->n; i++) {
		const struct node *mp = many->items[i];
		unsigned ppm = percent_ppm(get(mp, "percentage"));
		struct rm_cluster *c = dest_cluster(b, r, get(mp, "destination"), lport);
		if (!c)
			continue;
		x->mirrors[x->n_mirrors].cluster = c;
		x->mirrors[x->n_mirrors++].weight = ppm == MRT_UNSET ? 1000000 : ppm;
	}
}

static void route_http_actions(struct builder *b, struct rm_route *rt,
			       const struct resource *r, const struct node *h,
			       unsigned lport)
{
	const struct node *n;
	struct arena *a = &b->m->arena;
	route_destinations(b, rt, r, get(h, "route"), lport);
	if ((n = get(h, "redirect")) != NULL) {
		struct rm_extra *x = extra_of(b, rt);
		rt->action = MRT_ACTION_REDIRECT;
		x->rd_uri = nstr(get(n, "uri"));
		x->rd_authority = nstr(get(n, "authority"));
		x->rd_scheme = nstr(get(n, "scheme"));
		x->rd_prefix = nstr(get(n, "prefixRewrite"));
		x->rd_port = uget(n, "port", MRT_UNSET);
		const char *dp = nstr(get(n, "derivePort"));
		x->rd_derive = !dp ? MRT_DERIVE_NONE :
			       strcmp(dp, "FROM_REQUEST_PORT") == 0 ? MRT_DERIVE_FROM_REQUEST_PORT :
			       MRT_DERIVE_FROM_PROTOCOL_DEFAULT;
		x->rd_code = uget(n, "redirectCode", MRT_UNSET);
	}
	if ((n = get(h, "directResponse")) != NULL) {
		struct rm_extra *x = extra_of(b, rt);
		rt->action = MRT_ACTION_DIRECT_RESPONSE;
		x->dr_status = uget(n, "status", 0);
		const struct node *body = get(n, "body");
		const char *s;
		if ((s = nstr(get(body, "string"))) != NULL) {
			x->dr_body = s;
			x->dr_body_len = strlen(s);
		} else if ((s = nstr(get(body, "bytes"))) != NULL) {
			char *dec = arena_alloc(a, strlen(s) + 1);
			x->dr_body_len = b64_decode(s, dec);
			x->dr_body = dec;
		}
	}
	if ((n = get(h, "rewrite")) != NULL) {
		struct rm_extra *x = extra_of(b, rt);
		x->rw_uri = nstr(get(n, "uri"));
		x->rw_authority = nstr(get(n, "authority"));
		x->rw_regex = nstr(get(get(n, "uriRegexRewrite"), "match"));
		x->rw_sub = nstr(get(get(n, "uriRegexRewrite"), "rewrite"));
	}
	rt->timeout_ms = dur_ms(get(h, "timeout"));
	if ((n = get(h, "retries")) != NULL) {
		struct rm_extra *x = extra_of(b, rt);
		long long v;
		x->rt_attempts = nint(get(n, "attempts"), &v) && v >= 0 ? (unsigned)v : MRT_UNSET;
		x->rt_per_try_ms = dur_ms(get(n, "perTryTimeout"));
		x->rt_retry_on = nstr(get(n, "retryOn"));
		x->rt_backoff_ms = dur_ms(get(n, "backoff"));
		const struct node *rl = get(n, "retryRemoteLocalities");
		const struct node *ip = get(n, "retryIgnorePreviousHosts");
		x->rt_flags = (rl && rl->type == NODE_BOOL ? (rl->bval ? 2u : 1u) : 0u) |
			      (ip && ip->type == NODE_BOOL ? (ip->bval ? 2u : 1u) << 2 : 0u);
	}
	if ((n = get(h, "fault")) != NULL) {
		struct rm_extra *x = extra_of(b, rt);
		const struct node *dl = get(n, "delay"), *ab = get(n, "abort");
		if (dl) {
			x->fd_delay_ms = dur_ms(get(dl, "fixedDelay"));
			if (x->fd_delay_ms == MRT_UNSET)
				x->fd_delay_ms = dur_ms(get(dl, "exponentialDelay"));
			x->fd_delay_ppm = percent_ppm(get(dl, "percentage"));
			if (x->fd_delay_ppm == MRT_UNSET && uget(dl, "percent", MRT_UNSET) != MRT_UNSET)
				x->fd_delay_ppm = uget(dl, "percent", 0) * 10000;
		}
		if (ab) {
			x->fa_status = uget(ab, "httpStatus", MRT_UNSET);
			x->fa_grpc = nstr(get(ab, "grpcStatus"));
			x->fa_http2 = nstr(get(ab, "http2Error"));
			x->fa_ppm = percent_ppm(get(ab, "percentage"));
		}
	}
	route_mirrors(b, rt, r, h, lport);
	if ((n = get(h, "corsPolicy")) != NULL) {
		struct rm_extra *x = extra_of(b, rt);
		struct conds cs = { 0 };
		x->cors_set = true;
		const struct node *ao = get(n, "allowOrigins"), *old = get(n, "allowOrigin");
		for (size_t i = 0; ao && ao->type == NODE_SEQ && i < ao->n; i++)
			cond_string(&cs, MRT_FIELD_CORS_ORIGIN, NULL, ao->items[i], 0);
		for (size_t i = 0; old && old->type == NODE_SEQ && i < old->n; i++)
			if (nstr(old->items[i]))
				cond_add(&cs, MRT_FIELD_CORS_ORIGIN, MRT_OP_EXACT, NULL, nstr(old->items[i]));
		if (cs.n) {
			x->cors_origins = arena_alloc(a, cs.n * sizeof(*cs.c));
			memcpy(x->cors_origins, cs.c, cs.n * sizeof(*cs.c));
			x->n_cors_origins = cs.n;
		}
		free(cs.c);
		x->cors_methods = join_list(b, get(n, "allowMethods"));
		x->cors_allow_headers = join_list(b, get(n, "allowHeaders"));
		x->cors_expose_headers = join_list(b, get(n, "exposeHeaders"));
		x->cors_max_age_ms = dur_ms(get(n, "maxAge"));
		const struct node *cr = get(n, "allowCredentials");
		x->cors_credentials = cr && cr->type == NODE_BOOL ? (unsigned)cr->bval : MRT_UNSET;
		x->cors_preflight = nstr(get(n, "unmatchedPreflights"));
	}
	if ((n = get(h, "headers")) != NULL) {
		size_t cnt;
		struct rm_hop *ops = header_ops(b, n, &cnt);
		if (cnt) {
			struct rm_extra *x = extra_of(b, rt);
			x->hops = ops;
			x->n_hops = cnt;
		}
	}
	/* Istio's host rewrite: rewrite.authority, else an :authority/Host
	 * header of the route, else of its only destination. */
	const struct node *dl = get(h, "route");
	const char *auth = header_authority(get(h, "headers"));
	if (!auth && dl && dl->type == NODE_SEQ && dl->n == 1)
		auth = header_authority(get(dl->items[0], "headers"));
	if (rt->action == MRT_ACTION_ROUTE && auth && !(rt->extra && rt->extra->rw_authority))
		extra_of(b, rt)->rw_authority = auth;
}

/* ---- HTTP routes, with delegates -------------------------------------- */

static struct rm_route *route_new(struct builder *b, const struct resource *r,
				  const struct node *h, unsigned index,
				  enum mrt_route_kind kind)
{
	struct rm_route *rt = arena_alloc(&b->m->arena, sizeof(*rt));
	rt->name = nstr(get(h, "name"));
	if (b->vs_of != r) {
		b->vs_of = r;
		b->vs_name = arena_printf(&b->m->arena, "%s/%s", r->namespace, r->name);
	}
	rt->vs = b->vs_name;
	rt->index = index;
	rt->kind = kind;
	rt->action = MRT_ACTION_ROUTE;
	rt->timeout_ms = MRT_UNSET;
	return rt;
}

/* The conditions of each match[] item of h (an HTTP route). */
static size_t http_matches(struct builder *b, const struct resource *r,
			   const struct node *h, struct conds **out, const char ***names)
{
	const struct node *ms = get(h, "match");
	size_t n = ms && ms->type == NODE_SEQ ? ms->n : 0;
	*out = xcalloc(n + 1, sizeof(**out));
	*names = arena_alloc(&b->m->arena, (n + 1) * sizeof(**names));
	for (size_t i = 0; i < n; i++) {
		http_match_conds(b, &(*out)[i], r, ms->items[i]);
		(*names)[i] = nstr(get(ms->items[i], "name"));
	}
	return n;
}

/*
 * Root conditions ANDed with delegate ones, as Istio's
 * mergeHTTPMatchRequest: the delegate's condition wins per field (per
 * name for headers, withoutHeaders, query parameters and source labels).
 * When the merged match names gateways, sourceLabels and sourceNamespace
 * no longer apply (sourceMatchHTTP).
 */
static void merge_conds(struct conds *dst, const struct conds *root,
			const struct conds *del)
{
	bool gw = false;
	for (size_t i = 0; i < root->n + del->n; i++)
		gw |= (i < root->n ? root->c[i] : del->c[i - root->n]).field == MRT_FIELD_GATEWAY;
	for (size_t i = 0; i < root->n + del->n; i++) {
		const struct rm_cond *c = i < root->n ? &root->c[i] : &del->c[i - root->n];
		if (gw && (c->field == MRT_FIELD_SOURCE_LABEL ||
			   c->field == MRT_FIELD_SOURCE_NAMESPACE))
			continue;
		bool overridden = false;
		for (size_t j = 0; i < root->n && j < del->n && !overridden; j++)
			overridden = c->field == del->c[j].field &&
				     (c->flags & MRT_COND_INVERT) == (del->c[j].flags & MRT_COND_INVERT) &&
				     strcmp(c->key ? c->key : "", del->c[j].key ? del->c[j].key : "") == 0;
		if (!overridden)
			*cond_add(dst, c->field, c->op, NULL, NULL) = *c;
	}
}

/* A StringMatch's exact, prefix or regex text; "" when it is another kind. */
static const char *sm_get(const struct node *sm, const char *kind)
{
	const char *v = nstr(get(sm, kind));
	return v ? v : "";
}

/* Istio's stringMatchConflict: whether leaf cannot narrow root. */
static bool sm_conflict(const struct node *root, const struct node *leaf)
{
	if (!root || !leaf)
		return false;
	const char *rre = sm_get(root, "regex"), *lre = sm_get(leaf, "regex");
	const char *rex = sm_get(root, "exact"), *lex = sm_get(leaf, "exact");
	const char *rpre = sm_get(root, "prefix"), *lpre = sm_get(leaf, "prefix");
	if (*rre && (*lre || *lpre || *lex))
		return true;
	if (*lre && (*rre || *rpre || *rex))
		return true;
	if (*rex)
		return *lpre || strcmp(lex, rex) != 0;
	if (*rpre) {
		if (*lpre)
			return strncmp(lpre, rpre, strlen(rpre)) != 0;
		if (*lex)
			return strncmp(lex, rpre, strlen(rpre)) != 0;
	}
	return true;
}

/* Whether any entry of map `leaf` conflicts with root's entry of that name. */
static bool sm_map_conflict(const struct node *root, const struct node *leaf)
{
	for (size_t i = 0; leaf && leaf->type == NODE_MAP && i < leaf->n; i++)
		if (sm_conflict(get(root, leaf->pairs[i].key->text), leaf->pairs[i].value))
			return true;
	return false;
}

/* Whether gateway list `leaf` (resolved, comma-separated) is within root's. */
static bool gateways_within(const char *root, const char *leaf)
{
	size_t nr = 1, nl = 1;
	for (const char *p = root; *p; p++)
		nr += *p == ',';
	for (const char *p = leaf; *p; p++)
		nl += *p == ',';
	if (nr < nl)
		return false;
	for (const char *p = leaf; *p;) {
		size_t len = strcspn(p, ",");
		bool found = false;
		for (const char *q = root; *q && !found;) {
			size_t ql = strcspn(q, ",");
			found = ql == len && strncmp(p, q, len) == 0;
			q += ql + (q[ql] == ',');
		}
		if (!found)
			return false;
		p += len + (p[len] == ',');
	}
	return true;
}

/*
 * Istio's hasConflict between a root match and a delegate match (either
 * may be NULL: no match). rg/lg are their resolved gateway lists.
 */
static bool match_conflict(const struct node *root, const struct node *leaf,
			   const char *rg, const char *lg)
{
	static const char *const fields[4] = { "uri", "scheme", "method", "authority" };
	for (int i = 0; i < 4; i++)
		if (sm_conflict(get(root, fields[i]), get(leaf, fields[i])))
			return true;
	if (sm_map_conflict(get(root, "headers"), get(leaf, "headers")) ||
	    sm_map_conflict(get(root, "withoutHeaders"), get(leaf, "withoutHeaders")) ||
	    sm_map_conflict(get(root, "queryParams"), get(leaf, "queryParams")))
		return true;
	const struct node *ri = get(root, "ignoreUriCase"), *li = get(leaf, "ignoreUriCase");
	if ((ri && ri->type == NODE_BOOL && ri->bval) != (li && li->type == NODE_BOOL && li->bval))
		return true;
	unsigned rp = uget(root, "port", 0), lp = uget(leaf, "port", 0);
	if (rp && lp && rp != lp)
		return true;
	const char *rns = nstr(get(root, "sourceNamespace")), *lns = nstr(get(leaf, "sourceNamespace"));
	if (rns && *rns && (!lns || strcmp(rns, lns) != 0))
		return true;
	const struct node *rl = get(root, "sourceLabels"), *ll = get(leaf, "sourceLabels");
	for (size_t i = 0; ll && ll->type == NODE_MAP && i < ll->n; i++) {
		const char *rv = nstr(get(rl, ll->pairs[i].key->text));
		const char *lv = nstr(ll->pairs[i].value);
		if (rv && (!lv || strcmp(rv, lv) != 0))
			return true;
	}
	return rg && lg && !gateways_within(rg, lg);
}

/* "root-leaf", or whichever of the two names is set (Istio's merged names). */
static const char *merged_name(struct builder *b, const char *root, const char *leaf)
{
	if (!leaf || !*leaf)
		return root;
	if (!root || !*root)
		return leaf;
	return arena_printf(&b->m->arena, "%s-%s", root, leaf);
}

/*
 * Delegate route dh with the fields Istio's mergeHTTPRoute takes from the
 * root route h when the delegate leaves them unset: a map node holding
 * dh's pairs plus the inherited ones (nodes shared, not copied).
 */
static const struct node *inherit_root_fields(struct builder *b, const struct node *h,
					      const struct node *dh)
{
	static const char *const keys[] = {
		"rewrite", "timeout", "retries", "fault", "mirror", "mirrorPercent",
		"mirrorPercentage", "corsPolicy", "headers",
	};
	size_t nk = sizeof(keys) / sizeof(keys[0]), extra = 0;
	for (size_t k = 0; k < nk; k++)
		extra += get(h, keys[k]) && !get(dh, keys[k]);
	if (!extra || !dh || dh->type != NODE_MAP)
		return dh;
	struct node *n = arena_alloc(&b->m->arena, sizeof(*n));
	*n = *dh;
	n->pairs = arena_alloc(&b->m->arena, (dh->n + extra) * sizeof(*n->pairs));
	if (dh->n)
		memcpy(n->pairs, dh->pairs, dh->n * sizeof(*n->pairs));
	for (size_t k = 0; k < nk; k++) {
		const struct node_pair *p = node_get_pair(h, keys[k]);
		if (p && !get(dh, keys[k]))
			n->pairs[n->n++] = *p;
	}
	return n;
}

static void add_http_routes(struct builder *b, struct rm_route_list *list,
			    const struct resource *r, unsigned lport, int depth);

/*
 * The routes of the delegate named by root route h, inlined as Istio's
 * mergeHTTPRoutes does: each delegate route keeps its own matches, each
 * narrowed by every root match it does not conflict with (delegate
 * matches outer, root matches inner); a delegate route none of whose
 * matches fits a root match is dropped. Route and match names become
 * "root-delegate"; rewrite, timeout, retries, fault, mirror, CORS and
 * headers are inherited from the root route when the delegate has none.
 */
static void inline_delegate(struct builder *b, struct rm_route_list *list,
			    const struct resource *root, const struct node *h,
			    unsigned lport)
{
	const struct node *dn = get(h, "delegate");
	const char *name = nstr(get(dn, "name"));
	const char *ns = nstr(get(dn, "namespace"));
	if (!ns)
		ns = root->namespace;
	const struct resource *del = name ? xref_map_get(&b->delegates,
		arena_printf(&b->m->arena, "%s\x1f%s", ns, name)) : NULL;
	if (!del) {
		diag_report(b->d, MSH0402, root, get(dn, "name") ? get(dn, "name") : dn,
			    arena_printf(&b->m->arena, "%s/%s", ns, name ? name : ""));
		return;
	}
	struct conds *rc;
	const char **rnames;
	size_t nr = http_matches(b, root, h, &rc, &rnames);
	const struct node *rms = get(h, "match");
	const char **rgw = arena_alloc(&b->m->arena, (nr + 1) * sizeof(*rgw));
	for (size_t x = 0; x < nr; x++)
		rgw[x] = gateway_list(b, root, get(rms->items[x], "gateways"));
	const char *rname = nstr(get(h, "name"));
	const struct node *http = get(del->spec, "http");
	for (size_t i = 0; http && http->type == NODE_SEQ && i < http->n; i++) {
		const struct node *dh = http->items[i];
		if (get(dh, "delegate"))
			continue;   /* rejected by validation; Istio ignores it */
		struct conds *dc;
		const char **dnames;
		size_t nd = http_matches(b, del, dh, &dc, &dnames);
		const struct node *dms = get(dh, "match");
		size_t total = nr && nd ? nr * nd : nr + nd, k = 0;
		struct conds *each = xcalloc(total + 1, sizeof(*each));
		const char **names = arena_alloc(&b->m->arena, (total + 1) * sizeof(*names));
		struct conds empty = { 0 };
		bool conflict = false;
		if (!nr || !nd) {
			for (size_t x = 0; x < nr; x++, k++) {
				merge_conds(&each[k], &rc[x], &empty);
				names[k] = rnames[x];
			}
			for (size_t y = 0; y < nd; y++, k++) {
				merge_conds(&each[k], &empty, &dc[y]);
				names[k] = dnames[y];
			}
		} else {
			for (size_t y = 0; y < nd && !conflict; y++) {
				const char *lg = gateway_list(b, del, get(dms->items[y], "gateways"));
				bool found = false;
				for (size_t x = 0; x < nr; x++) {
					if (match_conflict(rms->items[x], dms->items[y], rgw[x], lg))
						continue;
					merge_conds(&each[k], &rc[x], &dc[y]);
					names[k++] = merged_name(b, rnames[x], dnames[y]);
					found = true;
				}
				conflict = !found;
			}
		}
		if (!conflict) {
			struct rm_route *rt = route_new(b, del, dh, (unsigned)i, MRT_ROUTE_HTTP);
			rt->name = merged_name(b, rname, rt->name);
			rt->matches = matches_from(b, each, names, k);
			rt->n_matches = k;
			route_http_actions(b, rt, del, inherit_root_fields(b, h, dh), lport);
			route_list_add(b->m, list, rt);
		} else {
			for (size_t x = 0; x < k; x++)
				free(each[x].c);
		}
		free(each);
		for (size_t y = 0; y < nd; y++)
			free(dc[y].c);
		free(dc);
	}
	for (size_t x = 0; x < nr; x++)
		free(rc[x].c);
	free(rc);
}

/* The http routes of r (delegates inlined) appended to list. */
static void add_http_routes(struct builder *b, struct rm_route_list *list,
			    const struct resource *r, unsigned lport, int depth)
{
	const struct node *http = get(r->spec, "http");
	for (size_t i = 0; http && http->type == NODE_SEQ && i < http->n; i++) {
		const struct node *h = http->items[i];
		if (get(h, "delegate")) {
			if (depth == 0)
				inline_delegate(b, list, r, h, lport);
			continue;
		}
		struct rm_route *rt = route_new(b, r, h, (unsigned)i, MRT_ROUTE_HTTP);
		struct conds *each;
		const char **names;
		size_t n = http_matches(b, r, h, &each, &names);
		rt->matches = matches_from(b, each, names, n);
		rt->n_matches = n;
		free(each);
		route_http_actions(b, rt, r, h, lport);
		route_list_add(b->m, list, rt);
	}
}

/* tls[] or tcp[] routes of r (kind TLS or TCP) appended to list. */
static void add_l4_routes(struct builder *b, struct rm_route_list *list,
			  const struct resource *r, enum mrt_route_kind kind,
			  unsigned lport)
{
	const struct node *rs = get(r->spec, kind == MRT_ROUTE_TLS ? "tls" : "tcp");
	for (size_t i = 0; rs && rs->type == NODE_SEQ && i < rs->n; i++) {
		const struct node *h = rs->items[i];
		struct rm_route *rt = route_new(b, r, h, (unsigned)i, kind);
		const struct node *ms = get(h, "match");
		size_t n = ms && ms->type == NODE_SEQ ? ms->n : 0;
		struct conds *each = xcalloc(n + 1, sizeof(*each));
		const char **names = arena_alloc(&b->m->arena, (n + 1) * sizeof(*names));
		for (size_t j = 0; j < n; j++) {
			const struct node *m = ms->items[j];
			if (kind == MRT_ROUTE_TLS) {
				const struct node *sni = get(m, "sniHosts");
				struct sb s = { 0 };
				for (size_t k = 0; sni && sni->type == NODE_SEQ && k < sni->n; k++) {
					const char *v = nstr(sni->items[k]);
					if (!v)
						continue;
					const char *f = v[0] == '*' ? lower(&b->m->arena, v) : fqdn(b, v, r->namespace);
					if (s.n)
						sb_put(&s, ",", 1);
					sb_put(&s, f, strlen(f));
				}
				if (s.p)
					cond_add(&each[j], MRT_FIELD_SNI, MRT_OP_HOST_ANY_OF, NULL,
						 arena_strdup(&b->m->arena, s.p));
				free(s.p);
			}
			const char *subnets = join_list(b, get(m, "destinationSubnets"));
			if (subnets)
				cond_add(&each[j], MRT_FIELD_DESTINATION_SUBNET, MRT_OP_ANY_OF, NULL, subnets);
			const char *src = nstr(get(m, "sourceSubnet"));
			if (src)
				cond_add(&each[j], MRT_FIELD_SOURCE_SUBNET, MRT_OP_ANY_OF, NULL, src);
			source_conds(b, &each[j], r, m, false);
		}
		rt->matches = matches_from(b, each, names, n);
		rt->n_matches = n;
		free(each);
		route_destinations(b, rt, r, get(h, "route"), lport);
		route_list_add(b->m, list, rt);
	}
}

/*
 * Whether match m becomes what Istio's IsCatchAllRoute calls a catch-all
 * Envoy route: no URI match or a "/" prefix (or ".*" regex), and no
 * header, method, authority, scheme or query parameter condition. Port,
 * gateway and source conditions do not count: Istio resolves them before
 * Envoy sees the route.
 */
static bool match_catchall(const struct rm_match *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct rm_cond *c = &m->conds[i];
		switch (c->field) {
		case MRT_FIELD_URI:
			if (!(c->op == MRT_OP_PREFIX && strcmp(c->value, "/") == 0) &&
			    !(c->op == MRT_OP_REGEX && strcmp(c->value, ".*") == 0))
				return false;
			break;
		case MRT_FIELD_PORT:
		case MRT_FIELD_GATEWAY:
		case MRT_FIELD_SOURCE_LABEL:
		case MRT_FIELD_SOURCE_NAMESPACE:
			break;
		default:
			return false;
		}
	}
	return true;
}

/* Whether every match of HTTP route r is a catch-all (none: it is one). */
static bool route_catchall(const struct rm_route *r)
{
	for (size_t i = 0; i < r->n_matches; i++)
		if (!match_catchall(&r->matches[i]))
			return false;
	return r->kind == MRT_ROUTE_HTTP;
}

/* Whether catch-all match m certainly applies on gateway gw's port. */
static bool match_applies(const struct rm_match *m, const char *gw, unsigned port)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct rm_cond *c = &m->conds[i];
		if ((c->field == MRT_FIELD_PORT && c->number != port) ||
		    (c->field == MRT_FIELD_GATEWAY && !gateways_within(c->value, gw)) ||
		    c->field == MRT_FIELD_SOURCE_LABEL || c->field == MRT_FIELD_SOURCE_NAMESPACE)
			return false;
	}
	return true;
}

/* A copy of route r holding those of its first n matches whose
 * catch-all-ness is `catchall` (at least one). */
static struct rm_route *route_part(struct builder *b, const struct rm_route *r,
				   size_t n, bool catchall)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += match_catchall(&r->matches[i]) == catchall;
	struct rm_route *c = arena_alloc(&b->m->arena, sizeof(*c));
	*c = *r;
	c->emit_gen = 0;
	c->matches = arena_alloc(&b->m->arena, k * sizeof(*c->matches));
	c->n_matches = 0;
	for (size_t i = 0; i < n; i++)
		if (match_catchall(&r->matches[i]) == catchall)
			c->matches[c->n_matches++] = r->matches[i];
	return c;
}

/* Istio's SortVHostRoutes: catch-all routes moved to the end, stable. */
static void sort_vhost_routes(struct rm_route_list *l)
{
	if (l->n < 2)
		return;
	size_t k = 0;
	struct rm_route **tmp = xcalloc(l->n + 1, sizeof(*tmp));
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < l->n; i++)
			if (route_catchall(l->routes[i]) == (pass == 1))
				tmp[k++] = l->routes[i];
	memcpy(l->routes, tmp, l->n * sizeof(*tmp));
	free(tmp);
}

/*
 * Shapes the routes of one VirtualService (list l, not shared yet) for
 * gateway gw's listener on `port` as Istio emits them: nothing after the
 * first catch-all match that certainly applies (where
 * BuildHTTPRoutesForVirtualService stops), a route with both kinds of
 * match split in two, then SortVHostRoutes.
 */
static void gateway_shape(struct builder *b, struct rm_route_list *l,
			  const char *gw, unsigned port)
{
	struct rm_route_list *out = route_list_new(b->m);
	bool stop = false;
	for (size_t i = 0; i < l->n && !stop; i++) {
		struct rm_route *r = l->routes[i];
		size_t end = r->n_matches;
		stop = r->kind == MRT_ROUTE_HTTP && end == 0;
		for (size_t m = 0; m < r->n_matches && !stop; m++)
			if (match_catchall(&r->matches[m]) && match_applies(&r->matches[m], gw, port)) {
				end = m + 1;
				stop = true;
			}
		size_t nall = 0;
		for (size_t m = 0; m < end; m++)
			nall += match_catchall(&r->matches[m]);
		if (end == r->n_matches && (nall == 0 || nall == end)) {
			route_list_add(b->m, out, r);   /* unchanged */
			continue;
		}
		if (nall < end)
			route_list_add(b->m, out, route_part(b, r, end, false));
		if (nall)
			route_list_add(b->m, out, route_part(b, r, end, true));
	}
	*l = *out;
	sort_vhost_routes(l);
}

/*
 * Appends src's routes to vhost v. A fresh vhost takes src itself (so
 * the hosts of one VirtualService share one list); a vhost that already
 * has routes gets a new list (the old one may be shared), its catch-all
 * routes moved to the end as Istio's SortVHostRoutes does.
 */
static void vhost_append(struct builder *b, struct rm_vhost *v, struct rm_route_list *src)
{
	if (v->routes->n == 0) {
		v->routes = src;
		return;
	}
	struct rm_route_list *l = route_list_new(b->m);
	for (size_t i = 0; i < v->routes->n; i++)
		route_list_add(b->m, l, v->routes->routes[i]);
	for (size_t i = 0; i < src->n; i++)
		route_list_add(b->m, l, src->routes[i]);
	sort_vhost_routes(l);
	v->routes = l;
}

/* ---- gateways ----------------------------------------------------------- */

static int res_name_cmp(const void *a, const void *b)
{
	const struct resource *x = *(const struct resource *const *)a;
	const struct resource *y = *(const struct resource *const *)b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->namespace, y->namespace);
}

static int res_nsname_cmp(const void *a, const void *b)
{
	const struct resource *x = *(const struct resource *const *)a;
	const struct resource *y = *(const struct resource *const *)b;
	int c = strcmp(x->namespace, y->namespace);
	return c ? c : strcmp(x->name, y->name);
}

static bool server_is_http(const char *proto, const char *mode)
{
	enum prim_protocol p = prim_protocol_parse(proto ? proto : "");
	if (p == PROTO_HTTPS)
		return !mode || (strcmp(mode, "PASSTHROUGH") != 0 &&
				 strcmp(mode, "AUTO_PASSTHROUGH") != 0);
	return prim_protocol_is_http(p);
}

/*
 * Indexes which VirtualServices name which gateway (b->bound: gateway
 * "ns/name" -> positions in b->vs, ascending, each once), so a gateway
 * server visits only the VirtualServices bound to it.
 */
static void index_bindings(struct builder *b)
{
	for (size_t i = 0; i < b->nvs; i++) {
		const struct resource *vs = b->vs[i];
		const struct node *gws = get(vs->spec, "gateways");
		for (size_t k = 0; gws && gws->type == NODE_SEQ && k < gws->n; k++) {
			const char *g = nstr(gws->items[k]), *full = NULL;
			if (!g || strcmp(g, "mesh") == 0 ||
			    !xref_gateway_lookup(&b->x, g, vs->namespace, &full) || !full)
				continue;
			void **slot = xref_map_put(&b->bound, full);
			struct vs_set *set = *slot;
			if (!set)
				*slot = set = arena_alloc(&b->m->arena, sizeof(*set));
			if (set->n && set->idx[set->n - 1] == i)
				continue;
			if (set->n == set->cap) {
				size_t cap = set->cap ? set->cap * 2 : 8;
				size_t *a = arena_alloc_raw(&b->m->arena, cap * sizeof(*a));
				if (set->n)
					memcpy(a, set->idx, set->n * sizeof(*a));
				set->idx = a;
				set->cap = cap;
			}
			set->idx[set->n++] = i;
		}
	}
}

/*
 * The vhost names of VirtualService vs on server `srv` of Gateway gw:
 * for each VS host and admitted server host, the more specific one.
 */
static size_t gateway_hosts(struct builder *b, const struct resource *gw,
			    const struct node *srv, const struct resource *vs,
			    const char **out, size_t cap)
{
	const struct node *sh = get(srv, "hosts"), *vh = get(vs->spec, "hosts");
	size_t n = 0;
	for (size_t i = 0; vh && vh->type == NODE_SEQ && i < vh->n; i++) {
		const char *h = nstr(vh->items[i]);
		if (!h)
			continue;
		const char *host = strcmp(h, "*") == 0 || h[0] == '*' ? lower(&b->m->arena, h) :
				   fqdn(b, h, vs->namespace);
		for (size_t j = 0; sh && sh->type == NODE_SEQ && j < sh->n; j++) {
			const char *s = nstr(sh->items[j]);
			if (!s)
				continue;
			const char *slash = strchr(s, '/');
			const char *shost = slash ? slash + 1 : s;
			if (slash) {
				size_t nl = (size_t)(slash - s);
				bool ok = (nl == 1 && s[0] == '*') ||
					  (nl == 1 && s[0] == '.' && strcmp(vs->namespace, gw->namespace) == 0) ||
					  (strlen(vs->namespace) == nl && strncmp(s, vs->namespace, nl) == 0);
				if (!ok)
					continue;
			}
			const char *pick = NULL;
			if (prim_host_subset_of(host, shost))
				pick = host;
			else if (prim_host_subset_of(shost, host))
				pick = lower(&b->m->arena, shost);
			if (!pick)
				continue;
			bool dup = false;
			for (size_t k = 0; k < n && !dup; k++)
				dup = strcmp(out[k], pick) == 0;
			if (!dup && n < cap)
				out[n++] = pick;
		}
	}
	return n;
}

static struct rm_route_list *redirect_list(struct builder *b)
{
	if (b->redirect_list)
		return b->redirect_list;
	struct rm_route *rt = arena_alloc(&b->m->arena, sizeof(*rt));
	rt->name = "https-redirect";
	rt->kind = MRT_ROUTE_HTTP;
	rt->action = MRT_ACTION_REDIRECT;
	rt->timeout_ms = MRT_UNSET;
	rt->extra = extra_new(b);
	rt->extra->rd_scheme = "https";
	rt->extra->rd_code = 301;
	b->redirect_list = route_list_new(b->m);
	route_list_add(b->m, b->redirect_list, rt);
	return b->redirect_list;
}

static void build_gateway(struct builder *b, const struct resource *gw)
{
	const struct node *servers = get(gw->spec, "servers");
	const char *gwfull = arena_printf(&b->m->arena, "%s/%s", gw->namespace, gw->name);
	for (size_t s = 0; servers && servers->type == NODE_SEQ && s < servers->n; s++) {
		const struct node *srv = servers->items[s];
		const struct node *port = get(srv, "port"), *tls = get(srv, "tls");
		unsigned num = uget(port, "number", 0);
		if (!num)
			continue;
		const char *proto = nstr(get(port, "protocol"));
		const char *mode = nstr(get(tls, "mode"));
		const struct node *hr = get(tls, "httpsRedirect");
		bool redirect = hr && hr->type == NODE_BOOL && hr->bval;
		struct rm_listener *l = route_model_listener(b->m, gwfull, num);
		if (!l->protocol) {
			l->protocol = proto ? arena_strdup(&b->m->arena, proto) : NULL;
			enum prim_protocol lp = prim_protocol_parse(proto ? proto : "");
			l->tls_mode = mode ? mode : (lp == PROTO_HTTPS || lp == PROTO_TLS) ?
				      "PASSTHROUGH" : NULL;
			l->name = nstr(get(port, "name"));
		}
		bool http = server_is_http(proto, mode);
		enum prim_protocol pp = prim_protocol_parse(proto ? proto : "");
		const struct vs_set *bound = xref_map_get(&b->bound, gwfull);
		for (size_t i = 0; bound && i < bound->n; i++) {
			const struct resource *vs = b->vs[bound->idx[i]];
			const char *hosts[256];
			size_t nh = gateway_hosts(b, gw, srv, vs, hosts, 256);
			if (!nh)
				continue;
			if (http) {
				struct rm_route_list *list = route_list_new(b->m);
				if (!redirect) {
					add_http_routes(b, list, vs, 0, 0);
					gateway_shape(b, list, gwfull, num);
				}
				for (size_t k = 0; k < nh; k++) {
					struct rm_vhost *v = route_model_vhost(b->m, l, hosts[k]);
					if (redirect) {
						v->flags |= MRT_VHOST_HTTPS_REDIRECT;
						v->routes = redirect_list(b);
					} else if (!(v->flags & MRT_VHOST_HTTPS_REDIRECT)) {
						vhost_append(b, v, list);
					}
				}
			} else {
				add_l4_routes(b, l->l4, vs, pp == PROTO_TCP || pp == PROTO_MONGO ||
					      pp == PROTO_REDIS || pp == PROTO_MYSQL ?
					      MRT_ROUTE_TCP : MRT_ROUTE_TLS, 0);
			}
		}
		if (redirect && http) {
			/* Every admitted host redirects, bound or not. */
			const struct node *sh = get(srv, "hosts");
			for (size_t j = 0; sh && sh->type == NODE_SEQ && j < sh->n; j++) {
				const char *h = nstr(sh->items[j]);
				if (!h)
					continue;
				const char *slash = strchr(h, '/');
				struct rm_vhost *v = route_model_vhost(b->m, l, slash ? slash + 1 : h);
				v->flags |= MRT_VHOST_HTTPS_REDIRECT;
				v->routes = redirect_list(b);
			}
		}
	}
}

/* ---- the mesh ----------------------------------------------------------- */

/* One list per listener port, shared by a VirtualService's hosts on it. */
struct mesh_lists {
	struct { unsigned port; struct rm_route_list *list; } l[64];
	size_t n;
};

/*
 * Binds VirtualService vs to virtual host `host` of the mesh listener on
 * `port`, unless an earlier VirtualService has it (Istio keeps the first
 * of duplicate domains).
 */
static void mesh_bind(struct builder *b, const struct resource *vs, const char *host,
		      unsigned port, struct mesh_lists *ml)
{
	struct rm_listener *l = route_model_listener(b->m, "mesh", port);
	struct rm_vhost *v = route_model_vhost(b->m, l, host);
	if (v->routes->n)
		return;   /* first VirtualService for a mesh host wins */
	struct rm_route_list *list = NULL;
	for (size_t k = 0; k < ml->n; k++)
		if (ml->l[k].port == port)
			list = ml->l[k].list;
	if (!list) {
		list = route_list_new(b->m);
		add_http_routes(b, list, vs, port, 0);
		add_l4_routes(b, list, vs, MRT_ROUTE_TCP, port);
		add_l4_routes(b, l->l4, vs, MRT_ROUTE_TLS, port);
		if (ml->n < 64) {
			ml->l[ml->n].port = port;
			ml->l[ml->n++].list = list;
		}
	}
	if (list->n)   /* TLS routes only: the host keeps its default route */
		v->routes = list;
}

/*
 * A wildcard host of a mesh VirtualService, as Istio's
 * separateVSHostsAndServices treats it: it stands for the Services and
 * ServiceEntry hosts it covers (each bound on its own ports, to the most
 * specific wildcard that covers it, and not when a VirtualService names
 * it exactly). Returns how many it covers (0: the caller binds the
 * wildcard itself).
 */
static size_t mesh_bind_wildcard(struct builder *b, const struct resource *vs,
				 const char *wild, struct mesh_lists *ml)
{
	size_t covered = 0;
	for (size_t i = 0; i < b->nsvc; i++) {
		const struct mesh_svc *s = &b->svc[i];
		if (strcmp(s->host, wild) != 0 && !prim_host_subset_of(s->host, wild))
			continue;
		covered++;
		if (xref_map_get(&b->mesh_exact, s->host))
			continue;
		bool better = false;
		for (size_t k = 0; k < b->nmesh_wild && !better; k++)
			better = strlen(b->mesh_wild[k]) > strlen(wild) &&
				 (strcmp(s->host, b->mesh_wild[k]) == 0 ||
				  prim_host_subset_of(s->host, b->mesh_wild[k]));
		for (size_t p = 0; !better && p < s->nports; p++)
			mesh_bind(b, vs, s->host, s->ports[p], ml);
	}
	return covered;
}

static void build_mesh_vs(struct builder *b, const struct resource *vs)
{
	const struct node *vh = get(vs->spec, "hosts");
	struct mesh_lists ml;
	ml.n = 0;
	for (size_t i = 0; vh && vh->type == NODE_SEQ && i < vh->n; i++) {
		const char *h = nstr(vh->items[i]);
		if (!h)
			continue;
		const char *host = h[0] == '*' ? lower(&b->m->arena, h) : fqdn(b, h, vs->namespace);
		if (h[0] == '*' && mesh_bind_wildcard(b, vs, host, &ml))
			continue;
		const struct xref_hostdef *def = host_def(b, host);
		size_t np = def ? def->nports : 0;
		for (size_t pi = 0; pi < (np ? np : 1); pi++)
			mesh_bind(b, vs, host, np ? (unsigned)def->ports[pi] : 0, &ml);
	}
}

/*
 * The hosts of every Service and ServiceEntry with their ports
 * (b->svc), and the exact and wildcard hosts of the mesh
 * VirtualServices (b->mesh_exact, b->mesh_wild), for wildcard binding.
 */
static void index_mesh_hosts(struct builder *b)
{
	struct arena *a = &b->m->arena;
	for (size_t i = 0; i < b->p->nres; i++) {
		const struct resource *r = b->p->res[i];
		if ((r->kind != KIND_SERVICE && r->kind != KIND_SERVICE_ENTRY) || !r->spec)
			continue;
		const struct node *ports = get(r->spec, "ports");
		size_t np = ports && ports->type == NODE_SEQ ? ports->n : 0;
		unsigned *pv = arena_alloc(a, (np + 1) * sizeof(*pv));
		size_t n = 0;
		for (size_t k = 0; k < np; k++) {
			unsigned port = uget(ports->items[k], "port", uget(ports->items[k], "number", 0));
			if (port)
				pv[n++] = port;
		}
		const struct node *hs = r->kind == KIND_SERVICE_ENTRY ? get(r->spec, "hosts") : NULL;
		size_t nh = r->kind == KIND_SERVICE ? 1 : hs && hs->type == NODE_SEQ ? hs->n : 0;
		for (size_t k = 0; k < nh; k++) {
			const char *host = r->kind == KIND_SERVICE ?
				arena_printf(a, "%s.%s.svc.%s", r->name, r->namespace, b->m->domain) :
				nstr(hs->items[k]) ? lower(a, nstr(hs->items[k])) : NULL;
			if (!host)
				continue;
			GROW(b->svc, b->nsvc, b->cap_svc);
			b->svc[b->nsvc].host = host;
			b->svc[b->nsvc].ports = pv;
			b->svc[b->nsvc++].nports = n;
		}
	}
	for (size_t i = 0; i < b->nvs; i++) {
		const struct resource *vs = b->vs[i];
		const struct node *vh = get(vs->spec, "hosts");
		if (!xref_vs_mesh_bound(vs))
			continue;
		for (size_t k = 0; vh && vh->type == NODE_SEQ && k < vh->n; k++) {
			const char *h = nstr(vh->items[k]);
			if (!h)
				continue;
			if (h[0] == '*') {
				GROW(b->mesh_wild, b->nmesh_wild, b->cap_mesh_wild);
				b->mesh_wild[b->nmesh_wild++] = lower(a, h);
			} else {
				*xref_map_put(&b->mesh_exact, fqdn(b, h, vs->namespace)) = (void *)vs;
			}
		}
	}
}

/* Istio's default route for every service port without a VirtualService. */
static void build_default_routes(struct builder *b)
{
	for (size_t i = 0; i < b->p->nres; i++) {
		const struct resource *r = b->p->res[i];
		if (r->kind != KIND_SERVICE && r->kind != KIND_SERVICE_ENTRY)
			continue;
		const char *hosts[256];
		size_t nh = 0;
		if (r->kind == KIND_SERVICE) {
			hosts[nh++] = arena_printf(&b->m->arena, "%s.%s.svc.%s", r->name,
						   r->namespace, b->m->domain);
		} else {
			const struct node *hs = get(r->spec, "hosts");
			for (size_t k = 0; hs && hs->type == NODE_SEQ && k < hs->n && nh < 256; k++)
				if (nstr(hs->items[k]))
					hosts[nh++] = lower(&b->m->arena, nstr(hs->items[k]));
		}
		const struct node *ports = get(r->spec, "ports");
		for (size_t k = 0; k < nh; k++) {
			for (size_t pi = 0; ports && ports->type == NODE_SEQ && pi < ports->n; pi++) {
				const struct node *pn = ports->items[pi];
				unsigned port = uget(pn, "port", uget(pn, "number", 0));
				if (!port)
					continue;
				struct rm_listener *l = route_model_listener(b->m, "mesh", port);
				struct rm_vhost *v = route_model_vhost(b->m, l, hosts[k]);
				if (v->routes->n)
					continue;
				struct rm_route *rt = arena_alloc(&b->m->arena, sizeof(*rt));
				rt->name = "default";
				rt->kind = MRT_ROUTE_HTTP;
				rt->action = MRT_ACTION_ROUTE;
				rt->timeout_ms = MRT_UNSET;
				rt->dests = arena_alloc(&b->m->arena, sizeof(*rt->dests));
				size_t before = b->m->n_clusters;
				rt->dests[0].cluster = route_model_cluster(b->m, hosts[k], NULL, port);
				if (b->m->n_clusters != before)
					cluster_policy(b, rt->dests[0].cluster);
				rt->dests[0].weight = 100;
				rt->n_dests = 1;
				route_list_add(b->m, v->routes, rt);
			}
		}
	}
}

static int vhost_cmp(const void *a, const void *b)
{
	const struct rm_vhost *x = *(const struct rm_vhost *const *)a;
	const struct rm_vhost *y = *(const struct rm_vhost *const *)b;
	return strcmp(x->host, y->host);
}

void route_build(struct route_model *m, struct project *p, struct diag_list *d)
{
	struct builder b;
	memset(&b, 0, sizeof(b));
	b.m = m;
	b.p = p;
	b.d = d;
	xref_init(&b.x, p);
	xref_map_init(&b.delegates, &m->arena);
	xref_map_init(&b.bound, &m->arena);
	xref_map_init(&b.mesh_exact, &m->arena);

	size_t ngw = 0;
	const struct resource **gws = xcalloc(p->nres + 1, sizeof(*gws));
	b.vs = xcalloc(p->nres + 1, sizeof(*b.vs));
	for (size_t i = 0; i < p->nres; i++) {
		const struct resource *r = p->res[i];
		if (!r->spec)
			continue;
		if (r->kind == KIND_GATEWAY)
			gws[ngw++] = r;
		if (r->kind != KIND_VIRTUAL_SERVICE)
			continue;
		const struct node *hosts = get(r->spec, "hosts");
		if (hosts && hosts->type == NODE_SEQ && hosts->n)
			b.vs[b.nvs++] = r;
		else
			*xref_map_put(&b.delegates, arena_printf(&m->arena, "%s\x1f%s",
					r->namespace, r->name)) = (void *)r;
	}
	qsort(b.vs, b.nvs, sizeof(*b.vs), res_name_cmp);
	qsort(gws, ngw, sizeof(*gws), res_nsname_cmp);
	index_bindings(&b);
	index_mesh_hosts(&b);

	for (size_t i = 0; i < ngw; i++)
		build_gateway(&b, gws[i]);
	for (size_t i = 0; i < b.nvs; i++)
		if (xref_vs_mesh_bound(b.vs[i]))
			build_mesh_vs(&b, b.vs[i]);
	build_default_routes(&b);

	for (size_t i = 0; i < m->n_listeners; i++)
		if (m->listeners[i]->n_vhosts > 1)   /* TCP/TLS-only: no array */
			qsort(m->listeners[i]->vhosts, m->listeners[i]->n_vhosts,
			      sizeof(*m->listeners[i]->vhosts), vhost_cmp);
	free(gws);
	free(b.vs);
	xref_map_release(&b.delegates);
	xref_map_release(&b.bound);
	xref_map_release(&b.mesh_exact);
	free(b.svc);
	free(b.mesh_wild);
	free(b.pol);
	free(b.sb_pol.p);
	free(b.sb_field.p);
	xref_release(&b.x);
}
