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
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <strings.h>

#include "compiler.h"
#include "model.h"
#include "node_json.h"
#include "strtab.h"

struct distil {
	struct arena *a;
	struct strtab *strings;      /* NULL: plain copies */
	struct resource *r;
	bool irregular;              /* keep written paths (resource.xpaths) */
	struct resource_xpath *xp;   /* heap while filling */
	size_t nxp, capxp;
};

/* ---- values ------------------------------------------------------------ */

/*
 * Zeroed room for a record's part, aligned for pointers and 8-byte
 * scalars only (every record type's need): the arena's 16-byte rounding
 * wasted 8 bytes on many of them.
 */
static void *zalloc(struct distil *dc, size_t size)
{
	void *p = arena_alloc_packed(dc->a, size);
	memset(p, 0, size);
	return p;
}

static const char *copy(struct distil *dc, const char *s, size_t len)
{
	if (dc->strings)
		return strtab_intern(dc->strings, s, len);
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
	m->v = node_ival(n);
	pos(dc, &m->pos, n);
	/* A node meshc made (the Gateway API conversion's output) has line
	 * 0, which would read as not set (mint_set): it takes a line past
	 * any input's. Nothing reports at a derived record's integers. */
	if (m->pos.line == 0)
		m->pos.line = UINT_MAX;
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
	l->v = zalloc(dc, (n->n ? n->n : 1) * sizeof(*l->v));
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
	l->v = zalloc(dc, (m->n ? m->n : 1) * sizeof(*l->v));
	for (size_t i = 0; i < m->n; i++) {
		const struct node *k = m->pairs[i].key;
		l->v[i].key = copy(dc, k->text, k->len);
		l->v[i].text = text(dc, m->pairs[i].value);
		l->v[i].str = m->pairs[i].value && m->pairs[i].value->type == NODE_STR;
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

/* An integer in [0, 2^32-1) (model.h mint_u), else dflt. */
static unsigned uval(const struct node *n, unsigned dflt)
{
	return n && n->type == NODE_INT && node_ival(n) >= 0 && node_ival(n) < 0xffffffffLL ?
	       (unsigned)node_ival(n) : dflt;
}

/* A boolean: 1 or 0; -1 when absent or not a boolean. */
static mtri tri(const struct node *n)
{
	return n && n->type == NODE_BOOL ? (mtri)(n->bval ? 1 : 0) : -1;
}

/* The string items of list n joined by ','; NULL when there are none. */
static const char *joined(struct distil *dc, const struct node *n)
{
	struct sb s = { 0 };
	for (size_t i = 0; n && n->type == NODE_SEQ && i < n->n; i++) {
		const struct node *it = n->items[i];
		if (!it || it->type != NODE_STR)
			continue;
		if (s.n)
			sb_put(&s, ",", 1);
		sb_put(&s, it->text, it->len);
	}
	const char *out = s.p ? copy(dc, s.p, s.n) : NULL;
	free(s.p);
	return out;
}

/* ---- VirtualService ------------------------------------------------------ */

static void smatch(struct distil *dc, struct m_smatch *m, const struct node *n)
{
	m->present = n != NULL;
	m->exact = str(dc, node_get(n, "exact"));
	m->prefix = str(dc, node_get(n, "prefix"));
	m->regex = str(dc, node_get(n, "regex"));
}

static void smatches(struct distil *dc, struct m_smatches *l, const struct node *n)
{
	if (!n || n->type != NODE_MAP)
		return;
	l->n = (unsigned)n->n;
	l->v = zalloc(dc, (n->n ? n->n : 1) * sizeof(*l->v));
	for (size_t i = 0; i < n->n; i++) {
		const struct node *k = n->pairs[i].key;
		l->v[i].key = copy(dc, k->text, k->len);
		smatch(dc, &l->v[i].m, n->pairs[i].value);
	}
}

static void pct(struct m_pct *p, const struct node *n)
{
	const struct node *v = node_get(n, "value");
	p->present = n != NULL;
	p->num = v && (v->type == NODE_INT || v->type == NODE_FLOAT);
	p->v = p->num ? node_dval(v) : 0;
}

/* Whether map n has one of the keys of struct m_match_more (each of its
 * fields reads as zero when its key is absent). */
static bool match_has_more(const struct node *n)
{
	static const char *const keys[] = {
		"scheme", "authority", "withoutHeaders", "queryParams", "gateways",
		"sourceNamespace", "sourceLabels", "sniHosts", "destinationSubnets",
		"sourceSubnet",
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (node_get(n, keys[i]))
			return true;
	return false;
}

/* A match of an http, tls or tcp route: every field any of them has. */
static void match(struct distil *dc, struct m_match *m, const struct node *n)
{
	static const struct m_match_more none;
	static const struct m_smatch no_method;
	m->name = str(dc, node_get(n, "name"));
	smatch(dc, &m->uri, node_get(n, "uri"));
	const struct node *method = node_get(n, "method");
	if (method) {
		struct m_smatch *x = zalloc(dc, sizeof(*x));
		smatch(dc, x, method);
		m->method = x;
	} else {
		m->method = &no_method;
	}
	smatches(dc, &m->headers, node_get(n, "headers"));
	m->ignore_uri_case = tri(node_get(n, "ignoreUriCase")) == 1;
	m->port = uval(node_get(n, "port"), 0);
	/* Filled in place: pos() may keep the address of a position. */
	struct m_match_more *x = match_has_more(n) ? zalloc(dc, sizeof(*x)) : NULL;
	m->more = x ? x : &none;
	if (!x)
		return;
	smatch(dc, &x->scheme, node_get(n, "scheme"));
	smatch(dc, &x->authority, node_get(n, "authority"));
	smatches(dc, &x->without_headers, node_get(n, "withoutHeaders"));
	smatches(dc, &x->query_params, node_get(n, "queryParams"));
	mstrs(dc, &x->gateways, node_get(n, "gateways"));
	x->source_ns = str(dc, node_get(n, "sourceNamespace"));
	const struct node *sl = node_get(n, "sourceLabels");
	if (sl && sl->type == NODE_MAP && sl->n) {
		x->nsource_labels = (unsigned)sl->n;
		x->source_labels = zalloc(dc, sl->n * sizeof(*x->source_labels));
		for (size_t i = 0; i < sl->n; i++) {
			const struct node *k = sl->pairs[i].key;
			x->source_labels[i].key = copy(dc, k->text, k->len);
			x->source_labels[i].value = str(dc, sl->pairs[i].value);
		}
	}
	mstrs(dc, &x->sni_hosts, node_get(n, "sniHosts"));
	x->destination_subnets = joined(dc, node_get(n, "destinationSubnets"));
	x->source_subnet = str(dc, node_get(n, "sourceSubnet"));
}

static struct m_match *matches(struct distil *dc, const struct node *l, unsigned *n)
{
	if (!l)
		return NULL;
	*n = (unsigned)l->n;
	struct m_match *v = zalloc(dc, (l->n ? l->n : 1) * sizeof(*v));
	for (size_t i = 0; i < l->n; i++)
		match(dc, &v[i], l->items[i]);
	return v;
}

/* Headers: every set/add entry and string remove item, in the order
 * request set, add, remove, then response; stored apart when written. */
static const struct m_headers *headers(struct distil *dc, const struct node *n)
{
	static const char *const targets[2] = { "request", "response" };
	static const char *const ops[2] = { "set", "add" };
	static const struct m_headers none;
	if (!n)
		return &none;
	struct m_headers *h = zalloc(dc, sizeof(*h));
	h->present = true;
	if (n->type != NODE_MAP)
		return h;
	size_t cnt = 0;
	for (int t = 0; t < 2; t++) {
		const struct node *tn = node_get(n, targets[t]);
		for (int o = 0; o < 2; o++) {
			const struct node *map = node_get(tn, ops[o]);
			cnt += map && map->type == NODE_MAP ? map->n : 0;
		}
		const struct node *rm = list(tn, "remove");
		cnt += rm ? rm->n : 0;
	}
	h->ops = cnt ? zalloc(dc, cnt * sizeof(*h->ops)) : NULL;
	for (int t = 0; t < 2; t++) {
		const struct node *tn = node_get(n, targets[t]);
		for (int o = 0; o < 2; o++) {
			const struct node *map = node_get(tn, ops[o]);
			for (size_t i = 0; map && map->type == NODE_MAP && i < map->n; i++) {
				const struct node *k = map->pairs[i].key, *v = map->pairs[i].value;
				struct m_hop *op = &h->ops[h->nops++];
				op->name = copy(dc, k->text, k->len);
				op->value = v && v->text ? copy(dc, v->text, v->len) : "";
				op->target = (unsigned char)t;
				op->op = (unsigned char)o;
			}
		}
		const struct node *rm = list(tn, "remove");
		for (size_t i = 0; rm && i < rm->n; i++) {
			if (!rm->items[i] || rm->items[i]->type != NODE_STR)
				continue;
			struct m_hop *op = &h->ops[h->nops++];
			op->name = str(dc, rm->items[i]);
			op->value = NULL;
			op->target = (unsigned char)t;
			op->op = 2;
		}
	}
	/* Istio's host rewrite from headers: request set over add, the last
	 * :authority or Host string of the map. */
	for (int o = 0; o < 2 && !h->authority; o++) {
		const struct node *map = node_get(node_get(n, "request"), ops[o]);
		const struct node *v = NULL;
		for (size_t i = 0; map && map->type == NODE_MAP && i < map->n; i++) {
			const char *k = map->pairs[i].key->text;
			if (strcasecmp(k, ":authority") == 0 || strcasecmp(k, "host") == 0)
				v = map->pairs[i].value;
		}
		if (v && v->type == NODE_STR && v->len)
			h->authority = str(dc, v);
	}
	return h;
}

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
	struct m_route_dest *v = zalloc(dc, (l->n ? l->n : 1) * sizeof(*v));
	for (size_t i = 0; i < l->n; i++) {
		dest(dc, &v[i].dest, node_get(l->items[i], "destination"));
		mint(dc, &v[i].weight, node_get(l->items[i], "weight"));
		v[i].headers = headers(dc, node_get(l->items[i], "headers"));
	}
	return v;
}

/* A part of a route stored apart (model.h m_http): zeroed room for it
 * in the record's arena when its field is written, else `none`. */
#define PART(dc, n, none) ((n) ? zalloc((dc), sizeof(none)) : NULL)

static const struct m_redirect *redirect(struct distil *dc, const struct node *n)
{
	static const struct m_redirect none;
	struct m_redirect *r = PART(dc, n, none);
	if (!r)
		return &none;
	r->present = true;
	r->uri = str(dc, node_get(n, "uri"));
	r->authority = str(dc, node_get(n, "authority"));
	r->scheme = str(dc, node_get(n, "scheme"));
	r->prefix_rewrite = str(dc, node_get(n, "prefixRewrite"));
	r->derive_port = str(dc, node_get(n, "derivePort"));
	r->port = uval(node_get(n, "port"), M_UNSET);
	r->code = uval(node_get(n, "redirectCode"), M_UNSET);
	return r;
}

static const struct m_retries *retries(struct distil *dc, const struct node *n)
{
	static const struct m_retries none;
	struct m_retries *r = PART(dc, n, none);
	if (!r)
		return &none;
	r->present = true;
	mint(dc, &r->attempts, node_get(n, "attempts"));
	r->retry_on = str(dc, node_get(n, "retryOn"));
	r->per_try_timeout = str(dc, node_get(n, "perTryTimeout"));
	r->backoff = str(dc, node_get(n, "backoff"));
	r->remote_localities = tri(node_get(n, "retryRemoteLocalities"));
	r->ignore_previous_hosts = tri(node_get(n, "retryIgnorePreviousHosts"));
	return r;
}

static const struct m_fault *fault(struct distil *dc, const struct node *n)
{
	static const struct m_fault none;
	struct m_fault *f = PART(dc, n, none);
	if (!f)
		return &none;
	f->present = true;
	const struct node *dl = node_get(n, "delay"), *ab = node_get(n, "abort");
	if ((f->delay = dl != NULL)) {
		pos(dc, &f->delay_pos, dl);
		f->fixed_delay = str(dc, node_get(dl, "fixedDelay"));
		pct(&f->delay_pct, node_get(dl, "percentage"));
		f->delay_percent = uval(node_get(dl, "percent"), 0);
	}
	if ((f->abort = ab != NULL)) {
		pos(dc, &f->abort_pos, ab);
		f->http_status = uval(node_get(ab, "httpStatus"), M_UNSET);
		f->grpc_status = str(dc, node_get(ab, "grpcStatus"));
		pct(&f->abort_pct, node_get(ab, "percentage"));
	}
	return f;
}

static const struct m_cors *cors(struct distil *dc, const struct node *n)
{
	static const struct m_cors none;
	struct m_cors *c = PART(dc, n, none);
	if (!c)
		return &none;
	c->present = true;
	const struct node *ao = node_get(n, "allowOrigins");
	c->origins_present = ao != NULL;
	if (ao && ao->type == NODE_SEQ) {
		c->norigins = (unsigned)ao->n;
		c->origins = zalloc(dc, (ao->n ? ao->n : 1) * sizeof(*c->origins));
		for (size_t i = 0; i < ao->n; i++)
			smatch(dc, &c->origins[i], ao->items[i]);
	}
	mstrs(dc, &c->allow_origin, node_get(n, "allowOrigin"));
	c->methods = joined(dc, node_get(n, "allowMethods"));
	c->allow_headers = joined(dc, node_get(n, "allowHeaders"));
	c->expose_headers = joined(dc, node_get(n, "exposeHeaders"));
	c->max_age = str(dc, node_get(n, "maxAge"));
	c->credentials = tri(node_get(n, "allowCredentials"));
	c->unmatched_preflights = str(dc, node_get(n, "unmatchedPreflights"));
	return c;
}

/* A route's mirror fields, stored apart when one is written. */
static const struct m_mirror_set *mirror_set(struct distil *dc, const struct node *n)
{
	static const struct m_dest no_mirror;
	static const struct m_pct no_pct;
	static const struct m_mirror_set none = {
		.mirror = &no_mirror, .mirror_percentage = &no_pct,
	};
	const struct node *f = node_get(n, "mirror");
	const struct node *fp = node_get(n, "mirrorPercentage");
	const struct node *fpc = node_get(n, "mirrorPercent");
	const struct node *fs = node_get(n, "mirrors");
	if (!f && !fp && !fpc && !fs)
		return &none;
	struct m_mirror_set *ms = zalloc(dc, sizeof(*ms));
	ms->mirror_present = f != NULL;
	struct m_dest *mi = PART(dc, f, no_mirror);
	ms->mirror = mi ? mi : &no_mirror;
	if (mi)
		dest(dc, mi, f);
	struct m_pct *mp = PART(dc, fp, no_pct);
	ms->mirror_percentage = mp ? mp : &no_pct;
	if (mp)
		pct(mp, fp);
	ms->mirror_percent_present = fpc != NULL;
	ms->mirror_percent = uval(fpc, 0);
	ms->mirrors_present = fs != NULL;
	const struct node *mirrors = list(n, "mirrors");
	if (mirrors) {
		ms->nmirrors = (unsigned)mirrors->n;
		ms->mirrors = zalloc(dc, (mirrors->n ? mirrors->n : 1) *
				     sizeof(*ms->mirrors));
		ms->mirrors_pct = zalloc(dc, (mirrors->n ? mirrors->n : 1) *
					 sizeof(*ms->mirrors_pct));
		for (size_t j = 0; j < mirrors->n; j++) {
			dest(dc, &ms->mirrors[j], node_get(mirrors->items[j], "destination"));
			pct(&ms->mirrors_pct[j], node_get(mirrors->items[j], "percentage"));
		}
	}
	return ms;
}

/* The rare parts of a route that writes none of them (model.h
 * m_http_rare): every pointer to a zeroed instance. */
static const struct m_redirect no_redirect;
static const struct m_direct no_direct;
static const struct m_rewrite no_rewrite;
static const struct m_fault no_fault;
static const struct m_delegate no_delegate;
static const struct m_dest no_mirror;
static const struct m_pct no_mirror_pct;
static const struct m_mirror_set no_mirror_set = {
	.mirror = &no_mirror, .mirror_percentage = &no_mirror_pct,
};
static const struct m_cors no_cors;
static const struct m_http_rare no_rare = {
	.redirect = &no_redirect, .direct_response = &no_direct,
	.rewrite = &no_rewrite, .fault = &no_fault, .delegate_to = &no_delegate,
	.mir = &no_mirror_set, .cors = &no_cors,
};

/* Whether route n writes one of the fields of struct m_http_rare. */
static bool http_has_rare(const struct node *n)
{
	static const char *const keys[] = {
		"redirect", "directResponse", "rewrite", "fault", "delegate",
		"mirror", "mirrorPercentage", "mirrorPercent", "mirrors",
		"corsPolicy",
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (node_get(n, keys[i]))
			return true;
	return false;
}

static void http_rare(struct distil *dc, struct m_http_rare *h, const struct node *n)
{
	const struct node *f;
	h->delegate_to = &no_delegate;
	if ((f = node_get(n, "delegate")) != NULL) {
		struct m_delegate *dg = zalloc(dc, sizeof(*dg));
		h->delegate_to = dg;
		pos(dc, &dg->pos, f);
		const struct node *name = node_get(f, "name");
		dg->name = str(dc, name);
		pos(dc, &dg->name_pos, name);
		dg->ns = str(dc, node_get(f, "namespace"));
	}
	h->redirect = redirect(dc, node_get(n, "redirect"));
	struct m_direct *dr = PART(dc, f = node_get(n, "directResponse"), no_direct);
	h->direct_response = dr ? dr : &no_direct;
	if (dr) {
		dr->present = true;
		dr->status = uval(node_get(f, "status"), 0);
		const struct node *body = node_get(f, "body");
		dr->body_string = str(dc, node_get(body, "string"));
		dr->body_bytes = str(dc, node_get(body, "bytes"));
	}
	struct m_rewrite *rw = PART(dc, f = node_get(n, "rewrite"), no_rewrite);
	h->rewrite = rw ? rw : &no_rewrite;
	if (rw) {
		const struct node *rr = node_get(f, "uriRegexRewrite");
		rw->present = true;
		rw->uri = str(dc, node_get(f, "uri"));
		rw->authority = str(dc, node_get(f, "authority"));
		rw->regex = str(dc, node_get(rr, "match"));
		rw->regex_sub = str(dc, node_get(rr, "rewrite"));
	}
	h->fault = fault(dc, node_get(n, "fault"));
	h->mir = mirror_set(dc, n);
	h->cors = cors(dc, node_get(n, "corsPolicy"));
	const struct node *pc = node_get(node_get(node_get(n, "fault"), "delay"),
					 "percent");
	if (pc && (pc->type == NODE_INT || pc->type == NODE_FLOAT) && node_dval(pc) > 0)
		pos(dc, &h->delay_percent, pc);
}

static void http_route(struct distil *dc, struct m_http *h, const struct node *n,
		       unsigned index)
{
	const struct node *f;
	h->index = index;
	h->map = n && n->type == NODE_MAP;
	h->name = str(dc, node_get(n, "name"));
	h->match = matches(dc, list(n, "match"), &h->nmatch);
	/* Filled in place: pos() may keep the address of a position. */
	struct m_http_rare *rare = http_has_rare(n) ? zalloc(dc, sizeof(*rare)) : NULL;
	h->rare = rare ? rare : &no_rare;
	if ((f = node_get(n, "delegate")) != NULL)
		h->delegate = true;
	h->route = route_dests(dc, list(n, "route"), &h->nroute, &h->route_list);
	f = node_get(n, "timeout");
	h->timeout_present = f != NULL;
	h->timeout = str(dc, f);
	h->retries = retries(dc, node_get(n, "retries"));
	h->headers = headers(dc, node_get(n, "headers"));
	if (rare)
		http_rare(dc, rare, n);
}

static struct m_l4 *l4_routes(struct distil *dc, const struct node *l, unsigned *n)
{
	if (!l)
		return NULL;
	*n = (unsigned)l->n;
	struct m_l4 *v = zalloc(dc, (l->n ? l->n : 1) * sizeof(*v));
	for (size_t i = 0; i < l->n; i++) {
		v[i].name = str(dc, node_get(l->items[i], "name"));
		v[i].match = matches(dc, list(l->items[i], "match"), &v[i].nmatch);
		v[i].route = route_dests(dc, list(l->items[i], "route"), &v[i].nroute,
					 &v[i].route_list);
	}
	return v;
}

static const void *distil_vs(struct distil *dc, const struct node *spec)
{
	struct m_vs *vs = zalloc(dc, sizeof(*vs));
	mstrs(dc, &vs->hosts, node_get(spec, "hosts"));
	mstrs(dc, &vs->gateways, node_get(spec, "gateways"));
	mstrs(dc, &vs->export_to, node_get(spec, "exportTo"));
	const struct node *http = list(spec, "http");
	if (http) {
		vs->nhttp = (unsigned)http->n;
		vs->http = zalloc(dc, (http->n ? http->n : 1) * sizeof(*vs->http));
		for (size_t i = 0; i < http->n; i++)
			http_route(dc, &vs->http[i], http->items[i], (unsigned)i);
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

static const char *const pol_keys[M_POL_N] = {
	[M_POL_LB] = "loadBalancer", [M_POL_CP] = "connectionPool",
	[M_POL_OD] = "outlierDetection", [M_POL_TLS] = "tls",
	[M_POL_TUNNEL] = "tunnel", [M_POL_PROXY] = "proxyProtocol",
	[M_POL_BUDGET] = "retryBudget",
};

/* Field i of policy map n, as canonical JSON (the form the table stores). */
static void polfield(struct distil *dc, struct m_polfield *f, const struct node *n,
		     int i)
{
	if (!n)
		return;
	struct sb s = { 0 };
	sb_json_node(&s, n);
	if (s.n > UINT_MAX)
		die_oom();   /* 4 GiB of JSON (aliases): past what a table holds */
	f->json = copy(dc, s.p, s.n);
	f->len = (unsigned)s.n;
	free(s.p);
	if (i == M_POL_LB) {
		f->aux = str(dc, node_get(n, "simple"));
		f->chash = node_get(n, "consistentHash") != NULL;
	} else if (i == M_POL_TLS) {
		f->aux = str(dc, node_get(n, "mode"));
	}
}

/* Field i of a policy when map n has it (n: its value), stored apart;
 * NULL when absent. */
static const struct m_polfield *polfield_at(struct distil *dc, const struct node *n,
					    int i)
{
	if (!n)
		return NULL;
	struct m_polfield *f = zalloc(dc, sizeof(*f));
	polfield(dc, f, n, i);
	return f;
}

static const struct m_policy *policy(struct distil *dc, const struct node *n)
{
	static const struct m_policy none;
	struct m_policy *p = PART(dc, n, none);
	if (!p)
		return &none;
	p->present = true;
	for (int i = 0; i < M_POL_N; i++)
		p->f[i] = polfield_at(dc, node_get(n, pol_keys[i]), i);
	const struct node *pls = list(n, "portLevelSettings");
	if (!pls)
		return p;
	p->nlevels = (unsigned)pls->n;
	p->levels = zalloc(dc, (pls->n ? pls->n : 1) * sizeof(*p->levels));
	for (size_t k = 0; k < pls->n; k++) {
		const struct node *item = pls->items[k];
		p->levels[k].port = uval(node_get(node_get(item, "port"), "number"), 0);
		for (int i = 0; i <= M_POL_TLS; i++)
			polfield(dc, &p->levels[k].f[i], node_get(item, pol_keys[i]), i);
	}
	return p;
}

static const void *distil_dr(struct distil *dc, const struct node *spec)
{
	struct m_dr *dr = zalloc(dc, sizeof(*dr));
	const struct node *host = node_get(spec, "host");
	dr->host = str(dc, host);
	pos(dc, &dr->host_pos, host);
	mstrs(dc, &dr->export_to, node_get(spec, "exportTo"));
	dr->workload_selector = node_get(spec, "workloadSelector") != NULL;
	const struct node *tp = node_get(spec, "trafficPolicy");
	dr->policy = policy(dc, tp);
	client_tls(dc, &dr->tls, node_get(tp, "tls"));
	const struct node *pls = list(tp, "portLevelSettings");
	if (pls) {
		dr->port_policies_list = true;
		dr->nport_policies = (unsigned)pls->n;
		dr->port_policies = zalloc(dc, (pls->n ? pls->n : 1) *
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
		dr->subsets = zalloc(dc, (subsets->n ? subsets->n : 1) *
					  sizeof(*dr->subsets));
		for (size_t i = 0; i < subsets->n; i++) {
			struct m_subset *s = &dr->subsets[i];
			const struct node *name = node_get(subsets->items[i], "name");
			s->name = str(dc, name);
			pos(dc, &s->name_pos, name);
			mlabels(dc, &s->labels, subsets->items[i], "labels");
			s->policy = policy(dc, node_get(subsets->items[i], "trafficPolicy"));
		}
	}
	return dr;
}

/* ---- Gateway ------------------------------------------------------------- */

static const void *distil_gw(struct distil *dc, const struct node *spec)
{
	struct m_gw *gw = zalloc(dc, sizeof(*gw));
	const char *k8s = resource_annotation(dc->r, "internal.istio.io/k8s-gateway");
	gw->k8s_gateway = k8s ? copy(dc, k8s, strlen(k8s)) : NULL;
	mlabels(dc, &gw->selector, spec, "selector");
	const struct node *servers = list(spec, "servers");
	if (!servers)
		return gw;
	gw->servers_list = true;
	gw->nservers = (unsigned)servers->n;
	gw->servers = zalloc(dc, (servers->n ? servers->n : 1) *
				  sizeof(*gw->servers));
	for (size_t i = 0; i < servers->n; i++) {
		const struct node *srv = servers->items[i];
		struct m_server *s = &gw->servers[i];
		const struct node *port = node_get(srv, "port"), *tls = node_get(srv, "tls");
		mint(dc, &s->port, node_get(port, "number"));
		s->protocol = str(dc, node_get(port, "protocol"));
		s->port_name = str(dc, node_get(port, "name"));
		s->https_redirect = tri(node_get(tls, "httpsRedirect")) == 1;
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
	p->v = zalloc(dc, (l->n ? l->n : 1) * sizeof(*p->v));
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
		mp->strs = (unsigned char)(
			(node_str(node_get(item, "name")) ? M_PORT_NAME_STR : 0) |
			(node_str(node_get(item, "protocol")) ? M_PORT_PROTOCOL_STR : 0) |
			(node_str(node_get(item, "appProtocol")) ? M_PORT_APP_PROTOCOL_STR : 0));
	}
}

static const void *distil_se(struct distil *dc, const struct node *spec)
{
	struct m_se *se = zalloc(dc, sizeof(*se));
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
	struct m_svc *svc = zalloc(dc, sizeof(*svc));
	ports(dc, &svc->ports, node_get(spec, "ports"));
	mlabels(dc, &svc->selector, spec, "selector");
	svc->type = text(dc, node_get(spec, "type"));
	return svc;
}

/* Each listener's hostname (s NULL when absent or not a string). */
static const void *distil_k8s_gw(struct distil *dc, const struct node *spec)
{
	struct m_k8s_gw *gw = zalloc(dc, sizeof(*gw));
	const struct node *ls = node_get(spec, "listeners");
	if (!ls || ls->type != NODE_SEQ)
		return gw;
	gw->hostnames.list = true;
	gw->hostnames.n = (unsigned)ls->n;
	gw->hostnames.v = zalloc(dc, (ls->n ? ls->n : 1) * sizeof(*gw->hostnames.v));
	for (size_t i = 0; i < ls->n; i++)
		gw->hostnames.v[i].s = str(dc, node_get(ls->items[i], "hostname"));
	return gw;
}

static const void *distil_pod(struct distil *dc, const struct node *spec)
{
	struct m_pod *pod = zalloc(dc, sizeof(*pod));
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
	[KIND_K8S_GATEWAY] = distil_k8s_gw,
};

/* Kinds whose metadata.labels later phases read (workloads, topology,
 * Istio's own Services, Namespaces for allowedRoutes selectors, the
 * waypoint labels of Services and ServiceEntries). */
static bool keeps_labels(enum resource_kind k)
{
	return k == KIND_POD || k == KIND_NODE || k == KIND_SERVICE ||
	       k == KIND_NAMESPACE || k == KIND_SERVICE_ENTRY;
}

void distil_resource(struct arena *a, struct strtab *strings,
		     struct resource *r, bool irregular)
{
	struct distil dc = { .a = a, .strings = strings, .r = r,
			     .irregular = irregular };
	/* The identity outlives the tree. */
	r->api_version = copy(&dc, r->api_version, strlen(r->api_version));
	r->name = copy(&dc, r->name, strlen(r->name));
	if (!r->namespace_defaulted)
		r->namespace = copy(&dc, r->namespace, strlen(r->namespace));
	const char *ann = resource_annotation(r, RESOURCE_ANN_SUPPRESS);
	r->suppress = ann ? copy(&dc, ann, strlen(ann)) : NULL;
	ann = resource_annotation(r, RESOURCE_ANN_EXPORT_TO);
	r->export_to = ann ? copy(&dc, ann, strlen(ann)) : NULL;
	pos(&dc, &r->pos, r->root);
	pos(&dc, &r->name_pos, node_get(r->metadata, "name"));
	r->has_spec = r->spec != NULL;
	if (keeps_labels(r->kind)) {
		struct mlabels *l = zalloc(&dc, sizeof(*l));
		mlabels(&dc, l, r->metadata, "labels");
		r->meta_labels = l;
	}
	if (distil_kind[r->kind])
		r->model = distil_kind[r->kind](&dc, r->spec);
	if (dc.nxp) {
		r->xpaths = zalloc(&dc, dc.nxp * sizeof(*r->xpaths));
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

const char *mlabels_str(const struct mlabels *l, const char *key)
{
	for (unsigned i = 0; l && i < l->n; i++)
		if (strcmp(l->v[i].key, key) == 0)
			return l->v[i].str ? l->v[i].text : NULL;
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
