/*
 * Resources -> route model, with the semantics of Istio's proxies
 * (runtime.md "Routing semantics that are easy to get wrong"). This file
 * is the driver; route_build.h lists the parts and what each does.
 *
 * Order of work: the VirtualServices with hosts (sorted by name, then
 * namespace: Istio's order for equal creation times) and the Gateways
 * (by namespace, then name) are collected, the Service and ServiceEntry
 * hosts indexed with their ports and protocols; then the gateway
 * workloads are built, then the mesh, then the default routes of every
 * service port no VirtualService took. Input order never changes the
 * model: resources are sorted, virtual hosts are sorted by name at the
 * end, clusters by name in the emitter.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "route_build.h"

/* ---- value helpers ------------------------------------------------------ */

unsigned dur_ms(const char *s)
{
	long long ns;
	if (!s || !prim_parse_duration(s, &ns) || ns < 0)
		return MRT_UNSET;
	long long ms = ns / 1000000;
	return ms >= 0xffffffffLL ? MRT_UNSET - 1 : (unsigned)ms;
}

unsigned percent_ppm(const struct m_pct *pct)
{
	if (!pct || !pct->present)
		return MRT_UNSET;
	if (!pct->num)
		return 0;
	double d = pct->v * 10000.0;
	if (d < 0)
		d = 0;
	if (d > 1000000.0)
		d = 1000000.0;
	return (unsigned)d;
}

char *lower(struct arena *a, const char *s)
{
	char *r = arena_strdup(a, s);
	for (char *c = r; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	return r;
}

/* The length of route_fqdn's name (xref_fqdn's rule). */
static size_t fqdn_len(const struct builder *b, const char *host, const char *ns)
{
	size_t hl = strlen(host);
	return host[0] == '*' || strchr(host, '.') ? hl :
	       hl + 1 + strlen(ns) + 5 + strlen(b->x->domain);
}

/* Writes route_fqdn's name, fqdn_len bytes and a NUL, to out. */
static char *fqdn_write(const struct builder *b, char *out, const char *host,
			const char *ns)
{
	char *w = out;
	if (host[0] == '*' || strchr(host, '.')) {
		memcpy(out, host, strlen(host) + 1);
	} else {
		const char *domain = b->x->domain;
		size_t hl = strlen(host), nl = strlen(ns), dl = strlen(domain);
		memcpy(w, host, hl);
		w += hl;
		*w++ = '.';
		memcpy(w, ns, nl);
		w += nl;
		memcpy(w, ".svc.", 5);
		memcpy(w + 5, domain, dl + 1);
	}
	for (char *c = out; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	return out;
}

const char *route_fqdn(struct builder *b, const char *host, const char *ns)
{
	/* xref_fqdn's rule, written once into the model's arena (not the
	 * run's index arena, which the route builder leaves alone). */
	return fqdn_write(b, arena_alloc_bytes(&b->m->arena, fqdn_len(b, host, ns) + 1),
			  host, ns);
}

const char *route_fqdn_in(struct builder *b, const char *host, const char *ns,
			  char *buf, size_t cap)
{
	return fqdn_len(b, host, ns) < cap ? fqdn_write(b, buf, host, ns) :
	       route_fqdn(b, host, ns);
}

const struct mesh_svc *route_svc(struct builder *b, const char *host)
{
	uintptr_t i = (uintptr_t)xref_map_get(&b->svc_by_host, host);
	return i ? &b->svc[i - 1] : NULL;
}

void route_lock(struct builder *b)
{
	if (b->lock)
		pthread_mutex_lock(b->lock);
}

void route_unlock(struct builder *b)
{
	if (b->lock)
		pthread_mutex_unlock(b->lock);
}

bool route_vs_wanted(const struct builder *b, size_t i)
{
	return !b->vs_hot || b->vs_hot[i];
}

bool route_host_wanted(const struct builder *b, const char *host)
{
	return !b->only || host_set_overlaps(b->only, host);
}

/* ---- parallel planning -------------------------------------------------- */

void route_plan_add(struct route_plan *pl, const struct route_step *s)
{
	GROW(pl->steps, pl->n, pl->cap);
	pl->steps[pl->n++] = *s;
}

/* A run of items, planned by one worker. */
struct plan_chunk {
	size_t first, end;
	struct route_model view;      /* its arena holds the run's model records */
	struct diag_list diags;
	struct route_plan plan;
};

struct plan_job {
	struct builder *b;
	struct plan_chunk *chunks;
	pthread_mutex_t lock;
	void (*plan)(struct builder *w, size_t i, void *ctx, struct route_plan *pl);
	void *ctx;
};

static void plan_chunk_run(void *ctx, size_t i, struct arena *scratch)
{
	(void)scratch;
	struct plan_job *job = ctx;
	struct plan_chunk *c = &job->chunks[i];
	struct builder w = *job->b;   /* the tables it reads, its own scratch */
	w.m = &c->view;
	w.d = &c->diags;
	w.lock = &job->lock;
	w.vs_of = NULL;
	w.vs_name = NULL;
	memset(&w.sb_pol, 0, sizeof(w.sb_pol));
	w.retry_default = NULL;
	w.mesh_l = NULL;
	memset(w.retry_memo, 0, sizeof(w.retry_memo));
	w.redirect_list = NULL;
	w.extras = NULL;
	w.n_extras = w.cap_extras = 0;
	w.spare_extra = NULL;
	for (size_t k = c->first; k < c->end; k++)
		job->plan(&w, k, job->ctx, &c->plan);
	free(w.sb_pol.p);
	free(w.extras);
}

void route_plan_run(struct builder *b, size_t n, size_t chunk,
		    void (*plan)(struct builder *w, size_t i, void *ctx,
				 struct route_plan *pl),
		    void *ctx)
{
	size_t nchunks = (n + chunk - 1) / chunk;
	struct plan_job job = { .b = b, .plan = plan, .ctx = ctx };
	job.chunks = xcalloc(nchunks + 1, sizeof(*job.chunks));
	/* Adaptive: the lock guards short lookups (most destinations find
	 * their cluster made already), so a worker that finds it taken
	 * spins briefly instead of sleeping in the kernel and being woken. */
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&job.lock, &attr);
	pthread_mutexattr_destroy(&attr);
	for (size_t i = 0; i < nchunks; i++) {
		struct plan_chunk *c = &job.chunks[i];
		c->first = i * chunk;
		c->end = c->first + chunk < n ? c->first + chunk : n;
		arena_init(&c->view.arena);
		c->view.domain = b->m->domain;
		diag_list_init(&c->diags, &c->view.arena);
		c->diags.uncapped = true;
	}
	project_each_item(b->p, nchunks, plan_chunk_run, &job);
	pthread_mutex_destroy(&job.lock);
	/* Nothing a plan records says which item it came from, so a run's
	 * steps and reports go as a whole: items never span runs. */
	for (size_t i = 0; i < nchunks; i++) {
		struct plan_chunk *c = &job.chunks[i];
		for (size_t k = 0; k < c->plan.n; k++)
			c->plan.steps[k].apply(b, &c->plan.steps[k]);
		diag_list_replay(b->d, &c->diags);
		free(c->plan.steps);
		diag_list_release(&c->diags);
		arena_adopt(&b->m->arena, &c->view.arena);
	}
	free(job.chunks);
}

/* ---- indexes ------------------------------------------------------------- */

static int res_name_cmp(const void *a, const void *b)
{
	const struct resource *x = *(const struct resource *const *)a;
	const struct resource *y = *(const struct resource *const *)b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->namespace, y->namespace);
}

/* Resources in the order of their "namespace/name" strings (the order
 * the table lists Gateways in). */
static int res_nsname_cmp(const void *a, const void *b)
{
	const struct resource *x = *(const struct resource *const *)a;
	const struct resource *y = *(const struct resource *const *)b;
	const char *p = x->namespace, *q = y->namespace;
	int part_p = 0, part_q = 0;
	for (;;) {
		unsigned char cp = *p ? (unsigned char)*p : part_p ? 0 : '/';
		unsigned char cq = *q ? (unsigned char)*q : part_q ? 0 : '/';
		if (cp != cq)
			return cp < cq ? -1 : 1;
		if (!cp)
			return 0;
		if (*p)
			p++;
		else
			p = x->name, part_p = 1;
		if (*q)
			q++;
		else
			q = y->name, part_q = 1;
	}
}

/* Registry resources: Services before ServiceEntries (Istio's
 * aggregate registry lists the Kubernetes registry first), then by
 * namespace and name. */
static int res_registry_cmp(const void *a, const void *b)
{
	const struct resource *x = *(const struct resource *const *)a;
	const struct resource *y = *(const struct resource *const *)b;
	if (x->kind != y->kind)
		return x->kind == KIND_SERVICE ? -1 : 1;
	return res_nsname_cmp(a, b);
}

/*
 * The protocol of a Service or ServiceEntry port as Istio reads it: a
 * ServiceEntry's `protocol`; for a Service, UDP, else `appProtocol`
 * (with Kubernetes' h2c/ws/wss names), else the port name up to its
 * first '-' (kube.ConvertProtocol). Unknown: sniffed, which Istio
 * routes as HTTP.
 */
static enum prim_protocol port_protocol(const struct resource *r, const struct m_port *pn)
{
	const char *kp = mport_str(pn, pn->protocol, M_PORT_PROTOCOL_STR);
	if (r->kind == KIND_SERVICE_ENTRY)
		return prim_protocol_parse(kp);
	if (kp && strcasecmp(kp, "UDP") == 0)
		return PROTO_UDP;
	const char *name = mport_str(pn, pn->app_protocol, M_PORT_APP_PROTOCOL_STR);
	if (name) {
		if (strcmp(name, "kubernetes.io/h2c") == 0)
			return PROTO_HTTP2;
		if (strcmp(name, "kubernetes.io/ws") == 0)
			return PROTO_HTTP;
		if (strcmp(name, "kubernetes.io/wss") == 0)
			return PROTO_HTTPS;
	} else {
		name = mport_str(pn, pn->name, M_PORT_NAME_STR);
	}
	if (!name)
		return PROTO_UNSUPPORTED;
	if (strncasecmp(name, "grpc-web", 8) == 0)
		return PROTO_GRPC_WEB;
	char buf[64];
	size_t n = strcspn(name, "-");
	if (n >= sizeof(buf))
		return PROTO_UNSUPPORTED;
	memcpy(buf, name, n);
	buf[n] = 0;
	return prim_protocol_parse(buf);
}

/*
 * The hosts of every Service and ServiceEntry with their ports (b->svc,
 * b->svc_by_host; a host defined twice keeps its first definition in
 * res_registry_cmp order), and
 * the exact and wildcard hosts of the mesh VirtualServices
 * (b->mesh_exact, b->mesh_wild), for wildcard binding.
 */
/* s in lower case: in buf (cap bytes) when it fits, else in a. */
static const char *lower_in(struct arena *a, const char *s, char *buf, size_t cap)
{
	size_t n = strlen(s);
	if (n >= cap)
		return lower(a, s);
	for (size_t i = 0; i <= n; i++)
		buf[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
	return buf;
}

static void index_hosts(struct builder *b)
{
	struct arena *a = &b->m->arena;
	/* In a fixed order, not the input's: which definition of a host
	 * wins and the order of the default routes must not depend on
	 * file or document order. */
	const struct resource **regs = xcalloc(b->p->nres + 1, sizeof(*regs));
	size_t nregs = 0;
	for (size_t i = 0; i < b->p->nres; i++) {
		const struct resource *r = b->p->res[i];
		if ((r->kind == KIND_SERVICE || r->kind == KIND_SERVICE_ENTRY) && r->has_spec)
			regs[nregs++] = r;
	}
	qsort(regs, nregs, sizeof(*regs), res_registry_cmp);
	for (size_t i = 0; i < nregs; i++) {
		const struct resource *r = regs[i];
		const struct m_se *se = model_se(r);
		const struct m_ports *ports = se ? &se->ports : &model_svc(r)->ports;
		size_t np = ports->n;
		unsigned *pv = arena_alloc(a, (np + 1) * sizeof(*pv));
		enum prim_protocol *pp = arena_alloc(a, (np + 1) * sizeof(*pp));
		size_t n = 0;
		for (size_t k = 0; k < np; k++) {
			const struct m_port *pn = &ports->v[k];
			unsigned port = mint_u(se ? &pn->number : &pn->port, 0);
			enum prim_protocol proto = port_protocol(r, pn);
			if (!port || proto == PROTO_UDP)
				continue;
			pv[n] = port;
			pp[n++] = proto;
		}
		size_t nh = se ? se->hosts.n : 1;
		for (size_t k = 0; k < nh; k++) {
			/* Written and looked up in stack buffers, stored once
			 * (the map refers to the table's copy). */
			char name[256], buf[256];
			const char *h = se ? se->hosts.v[k].s : NULL;
			if (!se) {
				int len = snprintf(name, sizeof(name), "%s.%s.svc.%s", r->name,
						   r->namespace, b->m->domain);
				h = len >= 0 && (size_t)len < sizeof(name) ? name :
				    arena_printf(a, "%s.%s.svc.%s", r->name, r->namespace,
						 b->m->domain);
			}
			if (!h)
				continue;
			const char *host = lower_in(a, h, buf, sizeof(buf));
			if (xref_map_get(&b->svc_by_host, host))
				continue;
			if (host == buf)
				host = arena_strdup(a, buf);
			GROW(b->svc, b->nsvc, b->cap_svc);
			b->svc[b->nsvc].host = host;
			b->svc[b->nsvc].ports = pv;
			b->svc[b->nsvc].protos = pp;
			b->svc[b->nsvc++].nports = n;
			*xref_map_put_ref(&b->svc_by_host, host) = (void *)(uintptr_t)b->nsvc;
		}
	}
	free(regs);
	for (size_t i = 0; i < b->nvs; i++) {
		const struct resource *vs = b->vs[i];
		const struct mstrs *vh = &model_vs(vs)->hosts;
		if (!xref_vs_mesh_bound(vs))
			continue;
		for (size_t k = 0; k < vh->n; k++) {
			const char *h = vh->v[k].s;
			if (!h)
				continue;
			if (h[0] == '*') {
				GROW(b->mesh_wild, b->nmesh_wild, b->cap_mesh_wild);
				b->mesh_wild[b->nmesh_wild++] = lower(a, h);
			} else {
				char buf[256];   /* the map keeps its own copy */
				void **slot = xref_map_put(&b->mesh_exact,
							   route_fqdn_in(b, h, vs->namespace, buf, sizeof(buf)));
				if (!*slot)
					*slot = (void *)vs;
			}
		}
	}
}

/*
 * Which VirtualServices name which gateway (b->bound: gateway "ns/name"
 * -> positions in b->vs, ascending, each once), so a gateway server
 * visits only the VirtualServices bound to it.
 */
static void index_bindings(struct builder *b)
{
	for (size_t i = 0; i < b->nvs; i++) {
		const struct resource *vs = b->vs[i];
		const struct mstrs *gws = &model_vs(vs)->gateways;
		for (size_t k = 0; k < gws->n; k++) {
			const char *g = gws->v[k].s, *full = NULL;
			if (!g || strcmp(g, "mesh") == 0 ||
			    !xref_gateway_lookup(b->x, g, vs->namespace, &full) || !full)
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

static int vhost_cmp(const void *a, const void *b)
{
	const struct rm_vhost *x = *(const struct rm_vhost *const *)a;
	const struct rm_vhost *y = *(const struct rm_vhost *const *)b;
	return strcmp(x->host, y->host);
}

/*
 * Which VirtualServices route_build_only builds: those with a host (as
 * the route model names it) that overlaps the hosts asked for. Every
 * virtual host overlapping them gets exactly the routes the full build
 * gives it: the VirtualServices naming such a host, or covering it with a
 * wildcard, overlap them too, and the indexes that decide between
 * VirtualServices (first one wins, the most specific wildcard) are
 * built over all of them.
 */
static void mark_hot(struct builder *b)
{
	b->vs_hot = xcalloc(b->nvs + 1, sizeof(*b->vs_hot));
	for (size_t i = 0; i < b->nvs; i++) {
		const struct resource *vs = b->vs[i];
		const struct mstrs *vh = &model_vs(vs)->hosts;
		for (size_t k = 0; k < vh->n && !b->vs_hot[i]; k++) {
			const char *h = vh->v[k].s;
			if (h)
				b->vs_hot[i] = host_set_overlaps(b->only, h[0] == '*' ? h :
								 xref_fqdn(b->x, h, vs->namespace));
		}
	}
}

void route_build(struct route_model *m, struct project *p, struct diag_list *d)
{
	route_build_only(m, p, d, NULL);
}

void route_build_only(struct route_model *m, struct project *p, struct diag_list *d,
		      const struct host_set *only)
{
	struct builder b;
	memset(&b, 0, sizeof(b));
	b.m = m;
	b.p = p;
	b.d = d;
	b.x = project_index(p);
	b.only = only;
	b.clusters = m;
	struct xref_map policies;
	xref_map_init(&policies, &m->arena);
	b.policies = &policies;
	xref_map_init(&b.delegates, &m->arena);
	xref_map_init(&b.bound, &m->arena);
	xref_map_init(&b.mesh_exact, &m->arena);
	xref_map_init(&b.svc_by_host, &m->arena);

	b.gws = xcalloc(p->nres + 1, sizeof(*b.gws));
	b.vs = xcalloc(p->nres + 1, sizeof(*b.vs));
	for (size_t i = 0; i < p->nres; i++) {
		const struct resource *r = p->res[i];
		if (!r->has_spec)
			continue;
		if (r->kind == KIND_GATEWAY)
			b.gws[b.ngw++] = r;
		if (r->kind != KIND_VIRTUAL_SERVICE)
			continue;
		if (model_vs(r)->hosts.n)
			b.vs[b.nvs++] = r;
		else
			*xref_map_put(&b.delegates, arena_printf(&m->arena, "%s\x1f%s",
					r->namespace, r->name)) = (void *)r;
	}
	qsort(b.vs, b.nvs, sizeof(*b.vs), res_name_cmp);
	qsort(b.gws, b.ngw, sizeof(*b.gws), res_nsname_cmp);
	index_bindings(&b);
	index_hosts(&b);
	if (only)
		mark_hot(&b);

	route_build_gateways(&b);
	route_build_mesh(&b);
	route_build_defaults(&b);

	for (size_t i = 0; i < m->n_listeners; i++)
		if (m->listeners[i]->n_vhosts > 1)
			qsort(m->listeners[i]->vhosts, m->listeners[i]->n_vhosts,
			      sizeof(*m->listeners[i]->vhosts), vhost_cmp);
	free(b.gws);
	free(b.vs);
	free(b.vs_hot);
	xref_map_release(&b.delegates);
	xref_map_release(&b.bound);
	xref_map_release(&b.mesh_exact);
	xref_map_release(&b.svc_by_host);
	xref_map_release(&policies);
	free(b.svc);
	free(b.mesh_wild);
	free(b.sb_pol.p);
	free(b.extras);
}
