/*
 * Distilling: a resource's node tree -> its typed record (model.h), with
 * the positions later diagnostics point at. Runs per document on the
 * worker that parsed it, right after the checks and before the tree is
 * released; the record, its strings and the resource's identity are
 * copied into the model arena, so nothing points into the tree after.
 *
 * Values are read as the node-reading code read them: a string field is
 * a NODE_STR, an integer a NODE_INT, a "text" any scalar as written;
 * anything else reads as absent. Lists keep every item, so that indices
 * (and the paths built from them) match the input.
 *
 * One function per kind, registered in `distil_kind`; a kind without one
 * keeps only its identity, labels and annotations.
 */
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "model.h"

struct distil {
	struct arena *a;
	struct resource *r;
	bool irregular;              /* keep written paths (resource.xpaths) */
	struct resource_xpath *xp;   /* heap while filling */
	size_t nxp, capxp;
};

/* ---- values ------------------------------------------------------------ */

static const char *copy(struct distil *dc, const char *s, size_t len)
{
	return arena_strndup(dc->a, s, len);
}

/* A string value, copied; NULL when n is not a string. */
static const char *str(struct distil *dc, const struct node *n)
{
	return n && n->type == NODE_STR ? copy(dc, n->text, n->len) : NULL;
}

/* A scalar as written (numbers and booleans too); NULL for null,
 * maps and lists. */
static const char *text(struct distil *dc, const struct node *n)
{
	if (!n || n->type == NODE_MAP || n->type == NODE_SEQ || n->type == NODE_NULL)
		return NULL;
	return copy(dc, n->text, n->len);
}

/*
 * Records where n was written into *p (line 0 when n is NULL). In an
 * irregular document the field path as written goes with it.
 */
static void pos(struct distil *dc, struct mpos *p, const struct node *n)
{
	if (!n) {
		p->line = p->col = 0;
		return;
	}
	p->line = n->line;
	p->col = n->col;
	if (!dc->irregular)
		return;
	char *path = diag_node_path(dc->a, dc->r->root, n);
	GROW(dc->xp, dc->nxp, dc->capxp);
	dc->xp[dc->nxp].at = p;
	dc->xp[dc->nxp++].path = path && *path ? path : NULL;
}

static void mint(struct distil *dc, struct mint *m, const struct node *n)
{
	if (!n || n->type != NODE_INT)
		return;
	m->v = n->ival;
	m->set = true;
	pos(dc, &m->pos, n);
}

static void mstr(struct distil *dc, struct mstr *m, const struct node *n)
{
	m->s = str(dc, n);
	pos(dc, &m->pos, n);
}

/* Every item of list n (a string, or s NULL). */
static void mstrs(struct distil *dc, struct mstrs *l, const struct node *n)
{
	if (!n || n->type != NODE_SEQ)
		return;
	l->list = true;
	l->n = (unsigned)n->n;
	l->v = arena_alloc(dc->a, (n->n ? n->n : 1) * sizeof(*l->v));
	for (size_t i = 0; i < n->n; i++)
		mstr(dc, &l->v[i], n->items[i]);
}

/* The map stored under `key` of `map` as labels (model.h, mlabels). */
static void mlabels(struct distil *dc, struct mlabels *l, const struct node *map,
		    const char *key)
{
	const struct node_pair *p = node_get_pair(map, key);
	if (!p)
		return;
	l->present = true;
	pos(dc, &l->key_pos, p->key);
	const struct node *m = p->value;
	if (m->type != NODE_MAP)
		return;
	l->map = true;
	l->n = (unsigned)m->n;
	l->v = arena_alloc(dc->a, (m->n ? m->n : 1) * sizeof(*l->v));
	for (size_t i = 0; i < m->n; i++) {
		const struct node *k = m->pairs[i].key;
		l->v[i].key = copy(dc, k->text, k->len);
		l->v[i].text = text(dc, m->pairs[i].value);
		pos(dc, &l->v[i].pos, m->pairs[i].value);
	}
}

/* Whether map[key] is a list with at least one item. */
static bool nonempty_list(const struct node *map, const char *key)
{
	const struct node *n = node_get(map, key);
	return n && n->type == NODE_SEQ && n->n > 0;
}

/* The list stored under key, or NULL. */
static const struct node *list(const struct node *map, const char *key)
{
	const struct node *n = node_get(map, key);
	return n && n->type == NODE_SEQ ? n : NULL;
}

/* ---- VirtualService ------------------------------------------------------ */

static void dest(struct distil *dc, struct m_dest *d, const struct node *n)
{
	if (!n || n->type != NODE_MAP)
		return;
	d->map = true;
	const struct node *host = node_get(n, "host"), *subset = node_get(n, "subset");
	d->host = str(dc, host);
	pos(dc, &d->host_pos, host);
	d->subset = str(dc, subset);
	pos(dc, &d->subset_pos, subset);
	mint(dc, &d->port, node_get(node_get(n, "port"), "number"));
}

/* A route[] list: each item's destination and weight. */
static struct m_route_dest *route_dests(struct distil *dc, const struct node *l,
					unsigned *n, bool *is_list)
{
	if (!l)
		return NULL;
	*is_list = true;
	*n = (unsigned)l->n;
	struct m_route_dest *v = arena_alloc(dc->a, (l->n ? l->n : 1) * sizeof(*v));
	for (size_t i = 0; i < l->n; i++) {
		dest(dc, &v[i].dest, node_get(l->items[i], "destination"));
		mint(dc, &v[i].weight, node_get(l->items[i], "weight"));
	}
	return v;
}

static void http_route(struct distil *dc, struct m_http *h, const struct node *n)
{
	h->route = route_dests(dc, list(n, "route"), &h->nroute, &h->route_list);
	dest(dc, &h->mirror, node_get(n, "mirror"));
	const struct node *mirrors = list(n, "mirrors");
	if (mirrors) {
		h->nmirrors = (unsigned)mirrors->n;
		h->mirrors = arena_alloc(dc->a, (mirrors->n ? mirrors->n : 1) *
					 sizeof(*h->mirrors));
		for (size_t j = 0; j < mirrors->n; j++)
			dest(dc, &h->mirrors[j], node_get(mirrors->items[j], "destination"));
	}
	const struct node *pct = node_get(node_get(node_get(n, "fault"), "delay"),
					  "percent");
	if (pct && (pct->type == NODE_INT || pct->type == NODE_FLOAT) && pct->dval > 0)
		pos(dc, &h->delay_percent, pct);
}

static struct m_l4 *l4_routes(struct distil *dc, const struct node *l, unsigned *n)
{
	if (!l)
		return NULL;
	*n = (unsigned)l->n;
	struct m_l4 *v = arena_alloc(dc->a, (l->n ? l->n : 1) * sizeof(*v));
	for (size_t i = 0; i < l->n; i++)
		v[i].route = route_dests(dc, list(l->items[i], "route"), &v[i].nroute,
					 &v[i].route_list);
	return v;
}

static const void *distil_vs(struct distil *dc, const struct node *spec)
{
	struct m_vs *vs = arena_alloc(dc->a, sizeof(*vs));
	mstrs(dc, &vs->hosts, node_get(spec, "hosts"));
	mstrs(dc, &vs->gateways, node_get(spec, "gateways"));
	mstrs(dc, &vs->export_to, node_get(spec, "exportTo"));
	const struct node *http = list(spec, "http");
	if (http) {
		vs->nhttp = (unsigned)http->n;
		vs->http = arena_alloc(dc->a, (http->n ? http->n : 1) * sizeof(*vs->http));
		for (size_t i = 0; i < http->n; i++)
			http_route(dc, &vs->http[i], http->items[i]);
	}
	vs->tcp = l4_routes(dc, list(spec, "tcp"), &vs->ntcp);
	vs->tls = l4_routes(dc, list(spec, "tls"), &vs->ntls);
	return vs;
}

/* ---- DestinationRule ----------------------------------------------------- */

static void client_tls(struct distil *dc, struct m_tls *t, const struct node *n)
{
	const struct node *mode = node_get(n, "mode");
	t->mode = str(dc, mode);
	pos(dc, &t->mode_pos, mode);
	t->ca_certificates = str(dc, node_get(n, "caCertificates"));
	t->credential_name = str(dc, node_get(n, "credentialName"));
}

static const void *distil_dr(struct distil *dc, const struct node *spec)
{
	struct m_dr *dr = arena_alloc(dc->a, sizeof(*dr));
	const struct node *host = node_get(spec, "host");
	dr->host = str(dc, host);
	pos(dc, &dr->host_pos, host);
	mstrs(dc, &dr->export_to, node_get(spec, "exportTo"));
	dr->workload_selector = node_get(spec, "workloadSelector") != NULL;
	const struct node *tp = node_get(spec, "trafficPolicy");
	client_tls(dc, &dr->tls, node_get(tp, "tls"));
	const struct node *pls = list(tp, "portLevelSettings");
	if (pls) {
		dr->port_policies_list = true;
		dr->nport_policies = (unsigned)pls->n;
		dr->port_policies = arena_alloc(dc->a, (pls->n ? pls->n : 1) *
						sizeof(*dr->port_policies));
		for (size_t i = 0; i < pls->n; i++) {
			struct m_port_policy *pp = &dr->port_policies[i];
			mint(dc, &pp->port, node_get(node_get(pls->items[i], "port"), "number"));
			client_tls(dc, &pp->tls, node_get(pls->items[i], "tls"));
		}
	}
	const struct node *subsets = list(spec, "subsets");
	if (subsets) {
		dr->subsets_list = true;
		dr->nsubsets = (unsigned)subsets->n;
		dr->subsets = arena_alloc(dc->a, (subsets->n ? subsets->n : 1) *
					  sizeof(*dr->subsets));
		for (size_t i = 0; i < subsets->n; i++) {
			struct m_subset *s = &dr->subsets[i];
			const struct node *name = node_get(subsets->items[i], "name");
			s->name = str(dc, name);
			pos(dc, &s->name_pos, name);
			mlabels(dc, &s->labels, subsets->items[i], "labels");
		}
	}
	return dr;
}

/* ---- Gateway ------------------------------------------------------------- */

static const void *distil_gw(struct distil *dc, const struct node *spec)
{
	struct m_gw *gw = arena_alloc(dc->a, sizeof(*gw));
	mlabels(dc, &gw->selector, spec, "selector");
	const struct node *servers = list(spec, "servers");
	if (!servers)
		return gw;
	gw->servers_list = true;
	gw->nservers = (unsigned)servers->n;
	gw->servers = arena_alloc(dc->a, (servers->n ? servers->n : 1) *
				  sizeof(*gw->servers));
	for (size_t i = 0; i < servers->n; i++) {
		const struct node *srv = servers->items[i];
		struct m_server *s = &gw->servers[i];
		const struct node *port = node_get(srv, "port"), *tls = node_get(srv, "tls");
		mint(dc, &s->port, node_get(port, "number"));
		s->protocol = str(dc, node_get(port, "protocol"));
		s->bind = str(dc, node_get(srv, "bind"));
		mstrs(dc, &s->hosts, node_get(srv, "hosts"));
		s->tls_mode = str(dc, node_get(tls, "mode"));
		mstr(dc, &s->credential_name, node_get(tls, "credentialName"));
		mstr(dc, &s->server_certificate, node_get(tls, "serverCertificate"));
		s->private_key = str(dc, node_get(tls, "privateKey"));
	}
	return gw;
}

/* ---- ServiceEntry, Service ------------------------------------------------ */

static void ports(struct distil *dc, struct m_ports *p, const struct node *l)
{
	if (!l || l->type != NODE_SEQ)
		return;
	p->list = true;
	p->n = (unsigned)l->n;
	p->v = arena_alloc(dc->a, (l->n ? l->n : 1) * sizeof(*p->v));
	for (size_t i = 0; i < l->n; i++) {
		const struct node *item = l->items[i];
		struct m_port *mp = &p->v[i];
		mp->map = item->type == NODE_MAP;
		pos(dc, &mp->pos, item);
		mint(dc, &mp->port, node_get(item, "port"));
		mint(dc, &mp->number, node_get(item, "number"));
		mint(dc, &mp->target_port, node_get(item, "targetPort"));
		mp->name = text(dc, node_get(item, "name"));
		mp->protocol = text(dc, node_get(item, "protocol"));
		mp->app_protocol = text(dc, node_get(item, "appProtocol"));
		mp->target_text = text(dc, node_get(item, "targetPort"));
	}
}

static const void *distil_se(struct distil *dc, const struct node *spec)
{
	struct m_se *se = arena_alloc(dc->a, sizeof(*se));
	mstrs(dc, &se->hosts, node_get(spec, "hosts"));
	mstrs(dc, &se->export_to, node_get(spec, "exportTo"));
	ports(dc, &se->ports, node_get(spec, "ports"));
	se->addresses = nonempty_list(spec, "addresses");
	se->status_addresses = nonempty_list(node_get(dc->r->root, "status"), "addresses");
	mlabels(dc, &se->selector, node_get(spec, "workloadSelector"), "labels");
	return se;
}

static const void *distil_svc(struct distil *dc, const struct node *spec)
{
	struct m_svc *svc = arena_alloc(dc->a, sizeof(*svc));
	ports(dc, &svc->ports, node_get(spec, "ports"));
	mlabels(dc, &svc->selector, spec, "selector");
	svc->type = text(dc, node_get(spec, "type"));
	return svc;
}

static const void *distil_pod(struct distil *dc, const struct node *spec)
{
	struct m_pod *pod = arena_alloc(dc->a, sizeof(*pod));
	pod->node_name = str(dc, node_get(spec, "nodeName"));
	return pod;
}

/*
 * One distil function per kind: the kind's record from its spec (which
 * may be NULL: absent or not a map). A kind without one has no record.
 */
typedef const void *distil_fn(struct distil *dc, const struct node *spec);

static distil_fn *const distil_kind[KIND_COUNT] = {
	[KIND_VIRTUAL_SERVICE] = distil_vs,
	[KIND_DESTINATION_RULE] = distil_dr,
	[KIND_GATEWAY] = distil_gw,
	[KIND_SERVICE_ENTRY] = distil_se,
	[KIND_SERVICE] = distil_svc,
	[KIND_POD] = distil_pod,
};

/* Kinds whose metadata.labels later phases read (workloads, topology,
 * Istio's own Services, Namespaces for allowedRoutes selectors). */
static bool keeps_labels(enum resource_kind k)
{
	return k == KIND_POD || k == KIND_NODE || k == KIND_SERVICE ||
	       k == KIND_NAMESPACE;
}

void distil_resource(struct arena *a, struct resource *r, bool irregular)
{
	struct distil dc = { .a = a, .r = r, .irregular = irregular };
	/* The identity outlives the tree. */
	r->api_version = arena_strdup(a, r->api_version);
	r->name = arena_strdup(a, r->name);
	if (!r->namespace_defaulted)
		r->namespace = arena_strdup(a, r->namespace);
	const char *ann = resource_annotation(r, RESOURCE_ANN_SUPPRESS);
	r->suppress = ann ? arena_strdup(a, ann) : NULL;
	ann = resource_annotation(r, RESOURCE_ANN_EXPORT_TO);
	r->export_to = ann ? arena_strdup(a, ann) : NULL;
	pos(&dc, &r->pos, r->root);
	pos(&dc, &r->name_pos, node_get(r->metadata, "name"));
	r->has_spec = r->spec != NULL;
	if (keeps_labels(r->kind)) {
		struct mlabels *l = arena_alloc(a, sizeof(*l));
		mlabels(&dc, l, r->metadata, "labels");
		r->meta_labels = l;
	}
	if (distil_kind[r->kind])
		r->model = distil_kind[r->kind](&dc, r->spec);
	if (dc.nxp) {
		r->xpaths = arena_alloc(a, dc.nxp * sizeof(*r->xpaths));
		memcpy(r->xpaths, dc.xp, dc.nxp * sizeof(*r->xpaths));
		r->nxpaths = dc.nxp;
	}
	free(dc.xp);
}

/* ---- label lookups ----------------------------------------------------- */

const char *mlabels_text(const struct mlabels *l, const char *key)
{
	for (unsigned i = 0; l && i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return l->v[i].text;
	return NULL;
}

bool mlabels_has(const struct mlabels *l, const char *key)
{
	if (!l || !l->map)
		return false;
	for (unsigned i = 0; i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return true;
	return false;
}
