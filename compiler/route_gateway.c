/*
 * Gateways, as Istio builds a gateway workload's listeners
 * (pilot/pkg/model/gateway.go MergeGateways, pilot/pkg/networking/core/
 * gateway.go buildGatewayListeners and buildGatewayHTTPRouteConfig):
 *
 *  - A workload gets the servers of every Gateway whose selector its
 *    labels satisfy. Offline there are no workloads, so meshc builds one
 *    for each Gateway's selector (the workload carrying exactly those
 *    labels) and one for each Pod of the input that some Gateway
 *    selects; workloads selecting the same Gateways are one. The
 *    listeners carry the workload's name: the Gateway's "ns/name" when
 *    it is alone, else the comma-joined names of its Gateways.
 *  - Per port: all plain-HTTP servers share one route table; each HTTPS
 *    server that terminates TLS has its own, chosen by SNI among the
 *    server's hosts; TLS passthrough and TCP servers share the port's
 *    TCP/TLS routes. A port takes the kind of its first server (Istio
 *    cannot mix plain HTTP and TLS on one port).
 *  - A VirtualService binds to a server of a Gateway it names, for the
 *    intersection of its hosts with the server's (namespace-scoped
 *    "ns/host", "./host"), compared case-insensitively and lower-cased;
 *    the more specific of two overlapping names is the virtual host.
 *    Its routes are built for that Gateway and port, with the
 *    workload's labels and namespace as the source; a VirtualService
 *    left without routes there is left out. Virtual hosts merge the
 *    routes of every VirtualService for the host, catch-alls last.
 *  - httpsRedirect: every host of the server answers with a 301 to https.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_build.h"

/* A gateway workload: the Gateways its labels select. */
struct workload {
	const char *key;                   /* the listeners' gateway (the model's
					      copy once it has listeners) */
	const struct resource **members;   /* arena array, in b->gws order */
	size_t n;
	const struct mlabels *labels;      /* the selector, or the Pod's labels */
	const char *ns;                    /* the Gateway's or the Pod's namespace */
	bool visited;                      /* memo entry: its workload was listed */
};

/* A Gateway's selector (mlabels.map false: absent or not a map). */
static const struct mlabels *selector_of(const struct resource *gw)
{
	return &model_gw(gw)->selector;
}

/* The workload with these labels, or false when no Gateway selects them;
 * names[i] is the "ns/name" of b->gws[i]. */
static bool workload_for(struct builder *b, const char *const *names,
			 const struct mlabels *labels, const char *ns, struct workload *w)
{
	memset(w, 0, sizeof(*w));
	w->members = arena_alloc(&b->m->arena, (b->ngw + 1) * sizeof(*w->members));
	struct sb key = { 0 };
	for (size_t i = 0; i < b->ngw; i++) {
		if (!xref_mlabels_match(selector_of(b->gws[i]), labels))
			continue;
		w->members[w->n++] = b->gws[i];
		const char *name = names[i];
		if (key.n)
			sb_put(&key, ",", 1);
		sb_put(&key, name, strlen(name));
	}
	if (w->n)
		w->key = arena_strdup(&b->m->arena, key.p);
	/* The Gateways Istio derives from one Kubernetes Gateway (gwapi_compile.c)
	 * are its workload: the listeners carry its "namespace/name". */
	const char *k8s = w->n ? model_gw(w->members[0])->k8s_gateway : NULL;
	for (size_t i = 1; k8s && i < w->n; i++) {
		const char *o = model_gw(w->members[i])->k8s_gateway;
		if (!o || strcmp(o, k8s) != 0)
			k8s = NULL;
	}
	if (k8s)
		w->key = k8s;
	free(key.p);
	w->labels = labels;
	w->ns = ns;
	return w->n > 0;
}

/*
 * workload_for, remembered by the labels as written (in order, each part
 * length-prefixed, so equal keys are equal label lists): Gateways that
 * share one selector share one workload, found once, not once each (the
 * scan is over every Gateway, and the key joins their names). Returns
 * the remembered entry; *w is a copy with these labels and namespace.
 */
static struct workload *workload_memo(struct builder *b, struct xref_map *memo,
				      const char *const *names, const struct mlabels *labels,
				      const char *ns, struct workload *w)
{
	struct sb key = { 0 };
	char num[32];
	for (size_t i = 0; labels && labels->map && i < labels->n; i++) {
		const char *k = labels->v[i].key, *v = labels->v[i].text;
		int n = snprintf(num, sizeof(num), "%zu:", strlen(k));
		sb_put(&key, num, (size_t)n);
		sb_put(&key, k, strlen(k));
		n = v ? snprintf(num, sizeof(num), "%zu:", strlen(v)) : snprintf(num, sizeof(num), "-");
		sb_put(&key, num, (size_t)n);
		if (v)
			sb_put(&key, v, strlen(v));
	}
	void **slot = xref_map_put(memo, key.p ? key.p : "");
	free(key.p);
	if (!*slot) {
		struct workload *c = arena_alloc(&b->m->arena, sizeof(*c));
		workload_for(b, names, labels, ns, c);
		*slot = c;
	}
	struct workload *c = *slot;
	*w = *c;
	w->labels = labels;
	w->ns = ns;
	return c;
}

static bool server_terminates(const char *proto, const char *mode)
{
	return prim_protocol_parse(proto ? proto : "") == PROTO_HTTPS && mode &&
	       strcmp(mode, "PASSTHROUGH") != 0 && strcmp(mode, "AUTO_PASSTHROUGH") != 0;
}

/* The server's hosts without namespaces, lower case, comma-joined; "*"
 * when one is "*" (Istio's GetSNIHostsForServer: no SNI match). */
static const char *server_sni(struct builder *b, const struct m_server *srv)
{
	const struct mstrs *sh = &srv->hosts;
	struct sb s = { 0 };
	bool any = false;
	for (size_t j = 0; j < sh->n; j++) {
		const char *h = sh->v[j].s;
		if (!h)
			continue;
		const char *slash = strchr(h, '/');
		h = slash ? slash + 1 : h;
		any |= strcmp(h, "*") == 0;
		if (!route_list_has(s.p, h)) {
			if (s.n)
				sb_put(&s, ",", 1);
			sb_put(&s, h, strlen(h));
		}
	}
	const char *out = any || !s.p ? "*" : lower(&b->m->arena, s.p);
	free(s.p);
	return out;
}

/*
 * The virtual host names of VirtualService vs on server srv of Gateway
 * gw: for each VS host and admitted server host, the more specific one.
 */
static size_t gateway_hosts(struct builder *b, const struct resource *gw,
			    const struct m_server *srv, const struct resource *vs,
			    const char **out, size_t cap)
{
	const struct mstrs *sh = &srv->hosts, *vh = &model_vs(vs)->hosts;
	size_t n = 0;
	for (size_t i = 0; i < vh->n; i++) {
		const char *h = vh->v[i].s;
		if (!h)
			continue;
		const char *host = h[0] == '*' ? lower(&b->m->arena, h) :
				   route_fqdn(b, h, vs->namespace);
		for (size_t j = 0; j < sh->n; j++) {
			const char *s = sh->v[j].s;
			if (!s)
				continue;
			const char *slash = strchr(s, '/');
			if (slash) {
				size_t nl = (size_t)(slash - s);
				bool ok = (nl == 1 && s[0] == '*') ||
					  (nl == 1 && s[0] == '.' && strcmp(vs->namespace, gw->namespace) == 0) ||
					  (strlen(vs->namespace) == nl && strncmp(s, vs->namespace, nl) == 0);
				if (!ok)
					continue;
			}
			const char *shost = lower(&b->m->arena, slash ? slash + 1 : s);
			const char *pick = prim_host_subset_of(host, shost) ? host :
					   prim_host_subset_of(shost, host) ? shost : NULL;
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
	rt->extra = arena_alloc(&b->m->arena, sizeof(*rt->extra));
	struct rm_extra *x = rt->extra;
	x->rd_port = MRT_UNSET;
	x->rt_attempts = x->rt_per_try_ms = x->rt_backoff_ms = MRT_UNSET;
	x->fd_delay_ms = x->fd_delay_ppm = x->fa_status = x->fa_ppm = MRT_UNSET;
	x->cors_max_age_ms = x->cors_credentials = MRT_UNSET;
	x->rd_scheme = "https";
	x->rd_code = 301;
	b->redirect_list = route_list_new(b->m);
	route_list_add(b->m, b->redirect_list, rt);
	return b->redirect_list;
}

/* The server kinds a port's listeners take. */
enum skind { SK_HTTP, SK_HTTPS, SK_L4 };

static enum skind server_kind(const struct m_server *srv)
{
	const char *proto = srv->protocol;
	if (server_terminates(proto, srv->tls_mode))
		return SK_HTTPS;
	return prim_protocol_is_http(prim_protocol_parse(proto ? proto : "")) ? SK_HTTP : SK_L4;
}

/* A server of a workload, bound to its listener: the unit of the
 * parallel gateway build (route_plan_run). */
struct server_job {
	const struct resource *gw;
	const struct m_server *srv;
	struct rm_listener *l;
	unsigned port;
	const struct mlabels *labels;   /* the workload's */
	const char *ns;
};

/* Steps of the gateway build: a VirtualService's TLS/TCP routes appended
 * to the listener's; its HTTP route list bound to its virtual hosts; a
 * redirecting server's hosts (bind_redirect). */
static void step_l4(struct builder *b, const struct route_step *s)
{
	for (size_t k = 0; k < s->list->n; k++)
		route_list_add(b->m, s->l->l4, s->list->routes[k]);
}

static void step_http(struct builder *b, const struct route_step *s)
{
	for (size_t k = 0; k < s->nhosts; k++) {
		struct rm_vhost *v = route_model_vhost(b->m, s->l, s->hosts[k]);
		if (!(v->flags & MRT_VHOST_HTTPS_REDIRECT))
			route_vhost_append(b, v, s->list);
	}
}

/* httpsRedirect: the hosts of the VirtualServices bound to the server,
 * then every host of the server, answer with the redirect. */
static void bind_redirect(struct builder *b, const struct route_step *step)
{
	const struct server_job *sj = step->arg;
	const struct resource *gw = sj->gw;
	const struct m_server *srv = sj->srv;
	const char *gwname = arena_printf(&b->m->arena, "%s/%s", gw->namespace, gw->name);
	const struct vs_set *bound = xref_map_get(&b->bound, gwname);
	for (size_t i = 0; bound && i < bound->n; i++) {
		if (!route_vs_wanted(b, bound->idx[i]))
			continue;
		const char *hosts[256];
		size_t nh = gateway_hosts(b, gw, srv, b->vs[bound->idx[i]], hosts, 256);
		for (size_t k = 0; k < nh; k++) {
			struct rm_vhost *v = route_model_vhost(b->m, sj->l, hosts[k]);
			v->flags |= MRT_VHOST_HTTPS_REDIRECT;
			v->routes = redirect_list(b);
		}
	}
	const struct mstrs *sh = &srv->hosts;
	for (size_t j = 0; j < sh->n; j++) {
		const char *h = sh->v[j].s;
		if (!h)
			continue;
		const char *slash = strchr(h, '/');
		struct rm_vhost *v = route_model_vhost(b->m, sj->l, lower(&b->m->arena,
						       slash ? slash + 1 : h));
		v->flags |= MRT_VHOST_HTTPS_REDIRECT;
		v->routes = redirect_list(b);
	}
}

/*
 * The steps of server job i (of ctx's): the route lists of the
 * VirtualServices bound to it, built for its Gateway and port with the
 * workload's labels and namespace as the source.
 */
static void plan_server(struct builder *b, size_t item, void *ctx, struct route_plan *pl)
{
	const struct server_job *sj = (const struct server_job *)ctx + item;
	const struct resource *gw = sj->gw;
	const struct m_server *srv = sj->srv;
	enum skind kind = server_kind(srv);
	if (kind != SK_L4 && srv->https_redirect) {
		struct route_step s = { .apply = bind_redirect, .arg = sj };
		route_plan_add(pl, &s);
		return;
	}
	const char *gwname = arena_printf(&b->m->arena, "%s/%s", gw->namespace, gw->name);
	const char *proto = srv->protocol;
	const char *mode = srv->tls_mode;
	struct rctx cx = { gwname, sj->port, 0, sj->labels, sj->ns };
	const struct vs_set *bound = xref_map_get(&b->bound, gwname);
	for (size_t i = 0; bound && i < bound->n; i++) {
		if (!route_vs_wanted(b, bound->idx[i]))
			continue;
		const struct resource *vs = b->vs[bound->idx[i]];
		const char *hosts[256];
		size_t nh = gateway_hosts(b, gw, srv, vs, hosts, 256);
		if (!nh)
			continue;
		struct rm_route_list *list = route_list_new(b->m);
		struct route_step s = { .l = sj->l, .list = list };
		if (kind == SK_L4) {
			enum prim_protocol pp = prim_protocol_parse(proto ? proto : "");
			bool tls = (pp == PROTO_TLS || pp == PROTO_HTTPS) &&
				   !(pp == PROTO_TLS && server_terminates("HTTPS", mode));
			route_l4_routes(b, list, vs, tls ? MRT_ROUTE_TLS : MRT_ROUTE_TCP, &cx);
			s.apply = step_l4;
			route_plan_add(pl, &s);
			continue;
		}
		route_http_routes(b, list, vs, &cx);
		if (list->n == 0)
			continue;   /* no route for this gateway and port: left out */
		route_gateway_shape(b, list);
		s.apply = step_http;
		s.hosts = arena_alloc_raw(&b->m->arena, nh * sizeof(*s.hosts));
		memcpy(s.hosts, hosts, nh * sizeof(*s.hosts));
		s.nhosts = nh;
		route_plan_add(pl, &s);
	}
}

/* Server jobs, in the order the serial build binds servers. */
struct server_jobs {
	struct server_job *v;
	size_t n, cap;
};

/* The servers of a workload, with the Gateway of each. */
struct server_ref {
	const struct resource *gw;
	const struct m_server *srv;
	unsigned port;
};

/* The listeners of workload w; its servers added to jobs. */
static void build_workload(struct builder *b, const struct workload *w,
			   struct server_jobs *jobs)
{
	struct server_ref *sv = NULL;
	size_t ns = 0, cap = 0;
	for (size_t m = 0; m < w->n; m++) {
		const struct m_gw *gw = model_gw(w->members[m]);
		for (size_t s = 0; s < gw->nservers; s++) {
			unsigned num = mint_u(&gw->servers[s].port, 0);
			if (!num)
				continue;
			GROW(sv, ns, cap);
			sv[ns].gw = w->members[m];
			sv[ns].srv = &gw->servers[s];
			sv[ns++].port = num;
		}
	}
	for (size_t i = 0; i < ns; i++) {
		unsigned port = sv[i].port;
		bool first = true;
		for (size_t k = 0; k < i && first; k++)
			first = sv[k].port != port;
		if (!first)
			continue;   /* the port was built with its first server */
		bool plain = server_kind(sv[i].srv) == SK_HTTP;
		/* The TCP/TLS listener answers for the hosts of every such
		 * server (any name when one of them is plain TCP: no SNI). */
		struct sb l4sni = { 0 };
		bool l4any = false;
		for (size_t k = i; k < ns; k++) {
			if (sv[k].port != port || plain || server_kind(sv[k].srv) != SK_L4)
				continue;
			const char *s = server_sni(b, sv[k].srv);
			const char *proto = sv[k].srv->protocol;
			l4any |= strcmp(s, "*") == 0 ||
				 !prim_protocol_is_tls(prim_protocol_parse(proto ? proto : ""));
			if (l4sni.n)
				sb_put(&l4sni, ",", 1);
			sb_put(&l4sni, s, strlen(s));
		}
		const char *l4key = l4any ? NULL : l4sni.p ? arena_strdup(&b->m->arena, l4sni.p) : NULL;
		free(l4sni.p);
		for (size_t k = i; k < ns; k++) {
			if (sv[k].port != port)
				continue;
			enum skind kind = server_kind(sv[k].srv);
			if ((kind == SK_HTTP) != plain)
				continue;   /* Istio drops a server of the other kind */
			const char *sni = kind == SK_HTTPS ? server_sni(b, sv[k].srv) :
					  kind == SK_L4 ? l4key : NULL;
			struct rm_listener *l = route_model_listener_of(b->m, w->key, port, sni);
			if (!l->protocol) {
				const char *proto = sv[k].srv->protocol;
				const char *mode = sv[k].srv->tls_mode;
				enum prim_protocol lp = prim_protocol_parse(proto ? proto : "");
				l->protocol = proto ? arena_strdup(&b->m->arena, proto) : "";
				l->tls_mode = mode ? mode : (lp == PROTO_HTTPS || lp == PROTO_TLS) ?
					      "PASSTHROUGH" : NULL;
				l->name = sv[k].srv->port_name;
				if (kind == SK_HTTPS)
					l->flags |= MRT_LS_TERMINATES_TLS;
			}
			GROW(jobs->v, jobs->n, jobs->cap);
			jobs->v[jobs->n++] = (struct server_job){ sv[k].gw, sv[k].srv, l, port,
								  w->labels, w->ns };
		}
	}
	free(sv);
}

static int gateway_rec_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rm_gateway *)a)->name, ((const struct rm_gateway *)b)->name);
}

/* Servers per worker run (a server binds a few VirtualServices). */
#define GATEWAY_CHUNK 16

void route_build_gateways(struct builder *b)
{
	struct workload *ws = NULL;
	size_t nw = 0, cap = 0;
	struct server_jobs jobs = { 0 };
	/* Every workload lists its Gateways by name: made once, not per
	 * workload (many Gateways share one selector). */
	const char **names = xcalloc(b->ngw + 1, sizeof(*names));
	for (size_t i = 0; i < b->ngw; i++)
		names[i] = arena_printf(&b->m->arena, "%s/%s", b->gws[i]->namespace,
					b->gws[i]->name);
	struct xref_map memo, seen;    /* workloads by labels; keys built */
	xref_map_init(&memo, &b->m->arena);
	xref_map_init(&seen, &b->m->arena);
	/* Workloads: each Gateway's selector, then each Pod a Gateway selects. */
	for (size_t i = 0; i < b->ngw + b->x->npods; i++) {
		struct workload w;
		struct workload *c = i < b->ngw ?
			workload_memo(b, &memo, names, selector_of(b->gws[i]),
				      b->gws[i]->namespace, &w) :
			workload_memo(b, &memo, names, b->x->pods[i - b->ngw].labels,
				      b->x->pods[i - b->ngw].r->namespace, &w);
		/* A selector seen before names a workload already listed: its
		 * key (every member's name joined) is looked up once per
		 * distinct selector, not once per Gateway. */
		if (!c->n || c->visited)
			continue;
		c->visited = true;
		void **built = xref_map_put_ref(&seen, w.key);
		if (*built) {
			c->key = *built;   /* the listed workload's copy of the name */
			continue;
		}
		/* The listeners, the Gateway records and `seen` share the
		 * model's one copy of the name. */
		c->key = w.key = route_model_gateway_name(b->m, w.key);
		*built = (void *)c->key;
		GROW(ws, nw, cap);
		ws[nw++] = w;
		build_workload(b, &ws[nw - 1], &jobs);
	}
	route_plan_run(b, jobs.n, GATEWAY_CHUNK, plan_server, jobs.v);
	free(jobs.v);
	/* Each Gateway routes on the workload its own selector describes. */
	struct route_model *m = b->m;
	for (size_t i = 0; i < b->ngw; i++) {
		const struct mlabels *sel = selector_of(b->gws[i]);
		struct workload w;
		workload_memo(b, &memo, names, sel, b->gws[i]->namespace, &w);
		GROW(m->gateways, m->n_gateways, m->cap_gateways);
		struct rm_gateway *g = &m->gateways[m->n_gateways++];
		g->name = names[i];
		const char *s = xref_mselector_string(b->x, sel);
		g->selector = *s ? arena_strdup(&m->arena, s) : NULL;
		g->workload = w.key;
	}
	if (m->n_gateways > 1)
		qsort(m->gateways, m->n_gateways, sizeof(*m->gateways), gateway_rec_cmp);
	xref_map_release(&seen);
	xref_map_release(&memo);
	free(ws);
	free(names);
}
