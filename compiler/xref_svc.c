/*
 * Analyzers over ServiceEntries and Kubernetes Services (istio.md §3.2):
 *   IST0134  serviceentry.ProtocolAddressesAnalyzer
 *   IST0177  serviceentry.ConflictingServiceEntryProtocolAnalyzer
 *   IST0118, IST0150  service.PortNameAnalyzer
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "prim.h"
#include "xref_index.h"

/* ---- IST0134 ---- */

/* The field path of spec.ports[i] (x's arena). */
static const char *port_path(struct xref *x, size_t i)
{
	return arena_printf(x->arena, "spec.ports[%zu]", i);
}

/*
 * A ServiceEntry without addresses (and none allocated in its status)
 * whose port has no protocol or TCP: the sidecar listens on 0.0.0.0:port
 * and captures all traffic to that port. One warning per such port, at the
 * port. Mesh-config auto-allocation is not known offline, as in istioctl.
 */
static void se_addresses(struct xref *x, const struct resource *r)
{
	const struct m_se *se = model_se(r);
	if (se->addresses || se->status_addresses)
		return;
	for (size_t i = 0; i < se->ports.n; i++) {
		const struct m_port *port = &se->ports.v[i];
		if (!port->map)
			continue;
		const char *ps = port->protocol;
		if (ps && *ps && strcasecmp(ps, "TCP") != 0)
			continue;
		diag_report_at(x->diags, IST0134, r, &port->pos, port_path(x, i));
	}
}

/* ---- IST0177 ---- */

struct proto_entry {
	const struct resource *r;
	const struct mpos *at;       /* the ports[i] item */
	size_t port_index;           /* i */
	const char *protocol;        /* upper-cased; "" when unset */
	struct proto_entry *next;
};

struct proto_key {
	const char *key;             /* scope \x1f host \x1f port */
	const char *scope, *host;
	long long port;
	struct proto_entry *entries, *last;
	/* Its first 64 distinct protocols and resources, in entry order:
	 * what a namespace key adds of the `*` key (collect_key). */
	const char **protos;
	const struct resource **res;
	size_t np, nr;
	bool collected;
};

static char *upper(struct arena *a, const char *s)
{
	char *u = arena_strdup(a, s);
	for (char *c = u; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	return u;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Adds e's protocol and resource name to the sets (small arrays). */
static void collect(const struct proto_entry *e, const char **protos,
		    size_t *np, const struct resource **res, size_t *nr,
		    size_t cap)
{
	for (; e; e = e->next) {
		bool seen = false;
		for (size_t i = 0; i < *np; i++)
			if (strcmp(protos[i], e->protocol) == 0)
				seen = true;
		if (!seen && *np < cap)
			protos[(*np)++] = e->protocol;
		seen = false;
		for (size_t i = 0; i < *nr; i++)
			if (res[i] == e->r)
				seen = true;
		if (!seen && *nr < cap)
			res[(*nr)++] = e->r;
	}
}

/* Adds the distinct protocols and resources of `*` key sk (each read once). */
static void collect_key(struct xref *x, struct proto_key *sk, const char **protos,
			size_t *np, const struct resource **res, size_t *nr,
			size_t cap)
{
	if (!sk->collected) {
		sk->protos = arena_alloc(x->arena, cap * sizeof(*sk->protos));
		sk->res = arena_alloc(x->arena, cap * sizeof(*sk->res));
		collect(sk->entries, sk->protos, &sk->np, sk->res, &sk->nr, cap);
		sk->collected = true;
	}
	/* The first `cap` distinct of the list are the only ones that can
	 * be added: at most as many as are there already are skipped. */
	for (size_t k = 0; k < sk->np && *np < cap; k++) {
		bool seen = false;
		for (size_t i = 0; i < *np && !seen; i++)
			seen = strcmp(protos[i], sk->protos[k]) == 0;
		if (!seen)
			protos[(*np)++] = sk->protos[k];
	}
	for (size_t k = 0; k < sk->nr && *nr < cap; k++) {
		bool seen = false;
		for (size_t i = 0; i < *nr && !seen; i++)
			seen = res[i] == sk->res[k];
		if (!seen)
			res[(*nr)++] = sk->res[k];
	}
}

/*
 * Index (scope, host, port) -> protocols over every ServiceEntry, where
 * the scope is `*` or each namespace the entry is exported to; a
 * namespace scope also sees the `*` entries. Two distinct protocols for
 * one key conflict: IST0177 once on each ServiceEntry involved. Hosts are
 * compared fully qualified (Istio compares them as written).
 */
static void se_protocol_conflicts(struct xref *x)
{
	struct xref_map idx;
	xref_map_init(&idx, x->arena);
	struct proto_key **keys = NULL;
	size_t nkeys = 0, capkeys = 0;
	struct project *p = x->p;

	for (size_t i = 0; i < p->nres; i++) {
		const struct resource *r = p->res[i];
		const struct m_se *se = model_se(r);
		if (!se || !se->hosts.list || !se->ports.list)
			continue;
		const struct mstrs *hosts = &se->hosts;
		const struct m_ports *ports = &se->ports;
		struct xref_vis vis;
		xref_vis_from_mstrs(x->arena, &vis, &se->export_to, r->namespace);
		size_t nscopes = vis.all ? 1 : vis.n;
		for (size_t s = 0; s < nscopes; s++) {
			const char *scope = vis.all ? "*" : vis.ns[s];
			for (size_t h = 0; h < hosts->n; h++) {
				const char *host = hosts->v[h].s;
				if (!host)
					continue;
				host = xref_fqdn(x, host, r->namespace);
				for (size_t k = 0; k < ports->n; k++) {
					const struct mint *num = &ports->v[k].number;
					if (!mint_set(num))
						continue;
					const char *proto = ports->v[k].protocol;
					char *key = arena_printf(x->arena, "%s\x1f%s\x1f%lld",
								 scope, host, num->v);
					void **slot = xref_map_put(&idx, key);
					struct proto_key *pk = *slot;
					if (!pk) {
						pk = arena_alloc(x->arena, sizeof(*pk));
						pk->key = key;
						pk->scope = scope;
						pk->host = host;
						pk->port = num->v;
						*slot = pk;
						GROW(keys, nkeys, capkeys);
						keys[nkeys++] = pk;
					}
					struct proto_entry *e = arena_alloc(x->arena, sizeof(*e));
					e->r = r;
					e->at = &ports->v[k].pos;
					e->port_index = k;
					e->protocol = upper(x->arena, proto ? proto : "");
					/* Append to keep input order. */
					if (pk->last)
						pk->last->next = e;
					else
						pk->entries = e;
					pk->last = e;
				}
			}
		}
	}

	struct xref_map reported;
	xref_map_init(&reported, x->arena);
	enum { CAP = 64 };
	for (size_t i = 0; i < nkeys; i++) {
		struct proto_key *pk = keys[i];
		const char *protos[CAP];
		const struct resource *res[CAP];
		size_t np = 0, nr = 0;
		collect(pk->entries, protos, &np, res, &nr, CAP);
		if (strcmp(pk->scope, "*") != 0) {
			char *star = arena_printf(x->arena, "*\x1f%s\x1f%lld", pk->host,
						  pk->port);
			struct proto_key *sk = xref_map_get(&idx, star);
			if (sk)
				collect_key(x, sk, protos, &np, res, &nr, CAP);
		}
		if (np < 2)
			continue;
		const char *names[CAP];
		for (size_t k = 0; k < nr; k++)
			names[k] = arena_printf(x->arena, "%s/%s", res[k]->namespace,
						res[k]->name);
		qsort(names, nr, sizeof(*names), cmp_str);
		qsort(protos, np, sizeof(*protos), cmp_str);
		size_t len = 1;
		for (size_t k = 0; k < nr; k++)
			len += strlen(names[k]) + 2;
		char *nl = arena_alloc(x->arena, len);
		for (size_t k = 0; k < nr; k++) {
			if (k)
				strcat(nl, ", ");
			strcat(nl, names[k]);
		}
		len = 1;
		for (size_t k = 0; k < np; k++)
			len += strlen(protos[k]) + 2;
		char *pl = arena_alloc(x->arena, len);
		for (size_t k = 0; k < np; k++) {
			if (k)
				strcat(pl, ", ");
			strcat(pl, protos[k]);
		}
		for (size_t k = 0; k < nr; k++) {
			void **done = xref_map_put(&reported,
				xref_key2(x, res[k]->namespace, res[k]->name));
			if (*done)
				continue;
			*done = (void *)res[k];
			/* Point at the resource's own port entry for this key. */
			const struct proto_entry *at = NULL;
			const struct proto_key *owner = pk;
			for (int pass = 0; pass < 2 && !at; pass++) {
				for (const struct proto_entry *e = owner ? owner->entries : NULL;
				     e; e = e->next)
					if (e->r == res[k]) {
						at = e;
						break;
					}
				owner = xref_map_get(&idx, arena_printf(x->arena,
					"*\x1f%s\x1f%lld", pk->host, pk->port));
			}
			diag_report_at(x->diags, IST0177, res[k], at ? at->at : NULL,
				       at ? port_path(x, at->port_index) : NULL, nl,
				       xref_quote(x, pk->host), pk->port, pl);
		}
	}
	free(keys);
	xref_map_release(&idx);
	xref_map_release(&reported);
}

void xref_service_entries(struct xref *x)
{
	for (size_t i = 0; i < x->p->nres; i++) {
		const struct resource *r = x->p->res[i];
		if (r->kind == KIND_SERVICE_ENTRY && r->has_spec)
			se_addresses(x, r);
	}
	se_protocol_conflicts(x);
}

/* ---- IST0118 / IST0150 ---- */

static bool system_namespace(const char *ns)
{
	static const char *const sys[] = {
		"kube-system", "kube-public", "kube-node-lease", "local-path-storage",
	};
	for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		if (strcmp(ns, sys[i]) == 0)
			return true;
	return false;
}

/* Istio's own control-plane and gateway-controller Services are skipped. */
static bool istio_managed(const struct resource *r)
{
	if (mlabels_has(r->meta_labels, "istio"))
		return true;
	const char *rel = mlabels_text(r->meta_labels, "release");
	if (rel && strcmp(rel, "istio") == 0)
		return true;
	return mlabels_has(r->meta_labels, "gateway.istio.io/managed");
}

/* pkg/config/kube ConvertProtocol: the protocol Istio infers for a port. */
static enum prim_protocol service_port_protocol(const struct m_port *port)
{
	const char *l4 = port->protocol;
	if (l4 && strcmp(l4, "UDP") == 0)
		return PROTO_UDP;
	const char *name = port->name;
	const char *app = port->app_protocol;
	if (app) {
		if (strcmp(app, "kubernetes.io/h2c") == 0)
			return PROTO_HTTP2;
		if (strcmp(app, "kubernetes.io/ws") == 0)
			return PROTO_HTTP;
		if (strcmp(app, "kubernetes.io/wss") == 0)
			return PROTO_HTTPS;
		name = app;
	}
	if (!name)
		name = "";
	if (strncasecmp(name, "grpc-web", 8) == 0)
		return PROTO_GRPC_WEB;
	const char *dash = strchr(name, '-');
	char prefix[64];
	size_t len = dash ? (size_t)(dash - name) : strlen(name);
	enum prim_protocol p = PROTO_UNSUPPORTED;
	if (len < sizeof(prefix)) {
		memcpy(prefix, name, len);
		prefix[len] = '\0';
		p = prim_protocol_parse(prefix);
	}
	if (p == PROTO_UNSUPPORTED) {
		const struct mint *num = &port->port;
		if (mint_set(num) && (num->v == 25 || num->v == 53 || num->v == 3306 ||
				 num->v == 27017))
			return PROTO_TCP;
	}
	return p;
}

static void service_port_names(struct xref *x, const struct resource *r)
{
	if (system_namespace(r->namespace) || istio_managed(r))
		return;
	const struct m_svc *svc = model_svc(r);
	const char *type = svc->type;
	bool external = type && strcmp(type, "ExternalName") == 0;
	for (size_t i = 0; i < svc->ports.n; i++) {
		const struct m_port *port = &svc->ports.v[i];
		if (!port->map)
			continue;
		const char *name = port->name;
		bool bad = service_port_protocol(port) == PROTO_UNSUPPORTED;
		if (!bad && !(external && name && strcmp(name, "tcp") == 0))
			continue;
		if (external) {
			diag_report_at(x->diags, IST0150, r, &port->pos, port_path(x, i));
			continue;
		}
		const char *target = port->target_text;
		diag_report_at(x->diags, IST0118, r, &port->pos, port_path(x, i),
			       name ? name : "", mint_set(&port->port) ? port->port.v : 0LL,
			       target ? target : "0");
	}
}

/* Worker: the Service checks of unit u, through a view of the index. */
static void services_unit(struct project *p, struct source_unit *u, void *ctx)
{
	(void)p;
	struct xref view;
	xref_for_unit(&view, ctx, u);
	for (size_t i = 0; i < u->nres; i++) {
		const struct resource *r = u->res[i];
		if (r->kind == KIND_SERVICE && r->has_spec)
			service_port_names(&view, r);
	}
	xref_view_release(&view);
}

/* Each Service's checks read only the Service: they run per unit on the pool. */
void xref_services(struct xref *x)
{
	if (x->p->has_kind[KIND_SERVICE])
		project_each_unit(x->p, services_unit, x);
}
