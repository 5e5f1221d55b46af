/*
 * One VirtualService's routes for one context (route_build.h: struct
 * rctx), as Istio's route.go translates them:
 *
 *  - each match becomes conditions (TranslateRouteMatch): uri, scheme,
 *    method, authority, headers, withoutHeaders (inverted), query
 *    parameters; a StringMatch that is empty or the regex "*" is a
 *    presence match (canBeConvertedToPresentMatch), so `withoutHeaders:
 *    {x: {regex: "*"}}` means "x is absent";
 *  - `gateways`, `port` and, on a gateway, `sourceLabels` and
 *    `sourceNamespace` are resolved for the context (translateRoute,
 *    sourceMatchHTTP): a match they rule out is left out; on the mesh
 *    the caller's labels and namespace stay as conditions;
 *  - actions as Envoy gets them: weighted destinations (0-weight ones of
 *    a split left out), redirect, direct response, rewrite, timeout,
 *    retries (retry.ConvertPolicy: the mesh default when none is set),
 *    fault (TranslateFault: an unset percentage is 0), mirrors
 *    (MirrorPercent: 100% by default, none at an explicit 0), CORS and
 *    header operations.
 *
 * It also shapes a gateway's route lists the way BuildHTTPRoutesFor-
 * VirtualService and SortVHostRoutes do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hash.h"
#include "route_build.h"

/* ---- conditions ------------------------------------------------------------ */

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

/* A StringMatch (exact|prefix|regex). Empty, or the regex "*" (which is
 * not RE2: Istio's canBeConvertedToPresentMatch), is a presence match. */
static void cond_string(struct conds *cs, enum mrt_field f, const char *key,
			const struct m_smatch *sm, unsigned flags)
{
	struct rm_cond *c;
	if (sm->exact)
		c = cond_add(cs, f, MRT_OP_EXACT, key, sm->exact);
	else if (sm->prefix)
		c = cond_add(cs, f, MRT_OP_PREFIX, key, sm->prefix);
	else if (sm->regex && strcmp(sm->regex, "*") != 0)
		c = cond_add(cs, f, MRT_OP_REGEX, key, sm->regex);
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
		     const struct m_smatches *map, unsigned flags, bool lower_keys)
{
	if (!map->n)
		return;
	size_t first = cs->n;
	for (size_t i = 0; i < map->n; i++) {
		const char *k = map->v[i].key;
		cond_string(cs, f, lower_keys ? lower(&b->m->arena, k) : k,
			    &map->v[i].m, flags);
	}
	qsort(cs->c + first, cs->n - first, sizeof(*cs->c), cond_key_cmp);
}

bool route_list_has(const char *list, const char *item)
{
	size_t n = strlen(item);
	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, item, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

/* xref_gateway_lookup, which uses the index's scratch key and arena. */
static bool locked_gateway_lookup(struct builder *b, const char *g, const char *ns,
				  const char **full)
{
	route_lock(b);
	bool found = xref_gateway_lookup(b->x, g, ns, full) != NULL;
	route_unlock(b);
	return found;
}

const char *route_gateway_list(struct builder *b, const struct resource *r,
			       const struct mstrs *gws)
{
	struct sb s = { 0 };
	for (size_t i = 0; i < gws->n; i++) {
		const char *g = gws->v[i].s, *full = NULL;
		if (!g)
			continue;
		if (strcmp(g, "mesh") == 0)
			full = "mesh";
		else if (!locked_gateway_lookup(b, g, r->namespace, &full) || !full)
			full = strchr(g, '/') ? g : arena_printf(&b->m->arena, "%s/%s", r->namespace, g);
		if (s.n)
			sb_put(&s, ",", 1);
		sb_put(&s, full, strlen(full));
	}
	char *out = s.p ? arena_strdup(&b->m->arena, s.p) : NULL;
	free(s.p);
	return out;
}

static int label_ptr_cmp(const void *a, const void *b)
{
	const struct m_kv *x = *(const struct m_kv *const *)a;
	const struct m_kv *y = *(const struct m_kv *const *)b;
	return strcmp(x->key, y->key);
}

/* The parts of a match (HTTP, TLS or TCP) Istio resolves per proxy. */
static void spec_source(struct builder *b, struct mspec *s, const struct resource *r,
			const struct m_match *m)
{
	s->match = m;
	s->name = m->name;
	const struct m_match_more *x = m->more;
	s->gateways = route_gateway_list(b, r, &x->gateways);
	s->port = m->port;
	s->source_ns = x->source_ns;
	if (s->source_ns && !*s->source_ns)
		s->source_ns = NULL;
	if (x->nsource_labels) {
		s->labels = arena_alloc(&b->m->arena, x->nsource_labels * sizeof(*s->labels));
		for (size_t i = 0; i < x->nsource_labels; i++)
			s->labels[i] = &x->source_labels[i];
		s->nlabels = x->nsource_labels;
		qsort(s->labels, s->nlabels, sizeof(*s->labels), label_ptr_cmp);
	}
}

/* One HTTPMatchRequest. */
static void http_spec(struct builder *b, struct mspec *s, const struct resource *r,
		      const struct m_match *m)
{
	unsigned uflags = m->ignore_uri_case ? MRT_COND_IGNORE_CASE : 0;
	struct conds *cs = &s->req;
	if (m->uri.present)
		cond_string(cs, MRT_FIELD_URI, NULL, &m->uri, uflags);
	if (m->more->scheme.present)
		cond_string(cs, MRT_FIELD_SCHEME, NULL, &m->more->scheme, 0);
	if (m->method->present)
		cond_string(cs, MRT_FIELD_METHOD, NULL, m->method, 0);
	if (m->more->authority.present)
		cond_string(cs, MRT_FIELD_AUTHORITY, NULL, &m->more->authority, 0);
	cond_map(b, cs, MRT_FIELD_HEADER, &m->headers, 0, true);
	cond_map(b, cs, MRT_FIELD_HEADER, &m->more->without_headers, MRT_COND_INVERT, true);
	cond_map(b, cs, MRT_FIELD_QUERY, &m->more->query_params, 0, false);
	spec_source(b, s, r, m);
}

struct mspec *route_http_specs(struct builder *b, const struct resource *r,
			       const struct m_http *h, size_t *n)
{
	*n = h->nmatch;
	struct mspec *out = xcalloc(*n + 1, sizeof(*out));
	for (size_t i = 0; i < *n; i++)
		http_spec(b, &out[i], r, &h->match[i]);
	return out;
}

void route_specs_free(struct mspec *specs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(specs[i].req.c);
	free(specs);
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

void route_spec_merge(struct builder *b, struct mspec *out, const struct mspec *root,
		      const struct mspec *del)
{
	memset(out, 0, sizeof(*out));
	out->name = merged_name(b, root->name, del->name);
	out->match = del->match;
	/* Each field of the delegate wins over the root's (per name for
	 * headers, withoutHeaders and query parameters). */
	for (size_t i = 0; i < root->req.n; i++) {
		const struct rm_cond *c = &root->req.c[i];
		bool overridden = false;
		for (size_t j = 0; j < del->req.n && !overridden; j++)
			overridden = c->field == del->req.c[j].field &&
				     (c->flags & MRT_COND_INVERT) == (del->req.c[j].flags & MRT_COND_INVERT) &&
				     strcmp(c->key ? c->key : "", del->req.c[j].key ? del->req.c[j].key : "") == 0;
		if (!overridden)
			*cond_add(&out->req, c->field, c->op, NULL, NULL) = *c;
	}
	for (size_t j = 0; j < del->req.n; j++)
		*cond_add(&out->req, del->req.c[j].field, del->req.c[j].op, NULL, NULL) = del->req.c[j];
	out->gateways = del->gateways ? del->gateways : root->gateways;
	out->port = del->port ? del->port : root->port;
	out->source_ns = del->source_ns ? del->source_ns : root->source_ns;
	size_t nl = root->nlabels + del->nlabels;
	if (nl) {
		out->labels = arena_alloc(&b->m->arena, nl * sizeof(*out->labels));
		for (size_t i = 0; i < root->nlabels; i++) {
			bool over = false;
			for (size_t j = 0; j < del->nlabels && !over; j++)
				over = strcmp(root->labels[i]->key, del->labels[j]->key) == 0;
			if (!over)
				out->labels[out->nlabels++] = root->labels[i];
		}
		for (size_t j = 0; j < del->nlabels; j++)
			out->labels[out->nlabels++] = del->labels[j];
		qsort(out->labels, out->nlabels, sizeof(*out->labels), label_ptr_cmp);
	}
}

/* Whether every label of s is in the workload labels map. */
static bool labels_within(const struct mspec *s, const struct mlabels *labels)
{
	for (size_t i = 0; i < s->nlabels; i++) {
		const char *want = s->labels[i]->value;
		const char *have = mlabels_str(labels, s->labels[i]->key);
		if (!have || strcmp(have, want ? want : "") != 0)
			return false;
	}
	return true;
}

/*
 * Spec s in context cx: false when the context rules it out; otherwise
 * its conditions (request ones, then what stays for the caller) in cs.
 */
static bool spec_place(const struct mspec *s, bool http, const struct rctx *cx,
		       struct conds *cs)
{
	bool on_gateway = strcmp(cx->gateway, "mesh") != 0;
	if (s->port && cx->port && s->port != cx->port)
		return false;
	bool by_gateway = http && s->gateways;   /* sourceMatchHTTP: gateways first */
	if (s->gateways && !route_list_has(s->gateways, cx->gateway))
		return false;
	if (!by_gateway && on_gateway) {
		if (!labels_within(s, cx->labels) ||
		    (s->source_ns && (!cx->ns || strcmp(s->source_ns, cx->ns) != 0)))
			return false;
	}
	for (size_t i = 0; i < s->req.n; i++)
		*cond_add(cs, s->req.c[i].field, s->req.c[i].op, NULL, NULL) = s->req.c[i];
	if (!by_gateway && !on_gateway) {
		for (size_t i = 0; i < s->nlabels; i++) {
			const char *v = s->labels[i]->value;
			cond_add(cs, MRT_FIELD_SOURCE_LABEL, MRT_OP_EXACT,
				 s->labels[i]->key, v ? v : "");
		}
		if (s->source_ns)
			cond_add(cs, MRT_FIELD_SOURCE_NAMESPACE, MRT_OP_EXACT, NULL, s->source_ns);
	}
	if (s->port && !cx->port)
		cond_add(cs, MRT_FIELD_PORT, MRT_OP_EXACT, NULL, NULL)->number = s->port;
	return true;
}

bool route_set_matches(struct builder *b, struct rm_route *rt, const struct mspec *specs,
		       size_t n, bool http, const struct rctx *cx)
{
	rt->matches = n ? arena_alloc(&b->m->arena, n * sizeof(*rt->matches)) : NULL;
	rt->n_matches = 0;
	for (size_t i = 0; i < n; i++) {
		struct conds cs = { 0 };
		if (!spec_place(&specs[i], http, cx, &cs)) {
			free(cs.c);
			continue;
		}
		struct rm_match *m = &rt->matches[rt->n_matches++];
		m->name = specs[i].name;
		m->n = cs.n;
		m->conds = cs.n ? arena_alloc_raw(&b->m->arena, cs.n * sizeof(*m->conds)) : NULL;
		if (cs.n)
			memcpy(m->conds, cs.c, cs.n * sizeof(*cs.c));
		free(cs.c);
	}
	return n == 0 || rt->n_matches > 0;
}

bool route_source_scoped(const struct rm_route *r)
{
	for (size_t i = 0; i < r->n_matches; i++)
		for (size_t k = 0; k < r->matches[i].n; k++)
			if (r->matches[i].conds[k].field == MRT_FIELD_SOURCE_LABEL ||
			    r->matches[i].conds[k].field == MRT_FIELD_SOURCE_NAMESPACE)
				return true;
	return false;
}

/* ---- actions -------------------------------------------------------------- */

static struct rm_extra *extra_new(struct builder *b)
{
	struct rm_extra *x = b->spare_extra;
	b->spare_extra = NULL;
	if (!x)
		x = arena_alloc_raw(&b->m->arena, sizeof(*x));
	memset(x, 0, sizeof(*x));
	x->rd_port = x->rd_code = MRT_UNSET;
	x->rt_attempts = x->rt_per_try_ms = x->rt_backoff_ms = MRT_UNSET;
	x->fd_delay_ms = x->fd_delay_ppm = x->fa_status = x->fa_ppm = MRT_UNSET;
	x->cors_max_age_ms = x->cors_credentials = MRT_UNSET;
	return x;
}

/* rt's own extra record, made (or copied from the shared default
 * retries) on first change. */
static struct rm_extra *extra_of(struct builder *b, struct rm_route *rt)
{
	if (!rt->extra) {
		rt->extra = extra_new(b);
	} else if (rt->extra->shared) {
		struct rm_extra *x = extra_new(b);
		*x = *rt->extra;
		x->shared = false;
		rt->extra = x;
	}
	return rt->extra;
}

/*
 * The fields of an extra record that share_extra compares: strings by
 * content, numbers by value. Arrays (mirrors, CORS origins, header
 * operations) are each route's own: a record with one is not shared.
 */
#define EXTRA_STRINGS(X) X(rd_uri) X(rd_authority) X(rd_scheme) X(rd_prefix) \
	X(rw_uri) X(rw_authority) X(rw_regex) X(rw_sub) X(rt_retry_on) \
	X(rt_status_codes) X(fa_grpc) X(fa_http2) X(cors_methods) \
	X(cors_allow_headers) X(cors_expose_headers) X(cors_preflight)
#define EXTRA_NUMBERS(X) X(rd_port) X(rd_derive) X(rd_code) X(dr_status) \
	X(dr_body_len) X(rt_attempts) X(rt_per_try_ms) X(rt_backoff_ms) \
	X(rt_flags) X(fd_delay_ms) X(fd_delay_ppm) X(fa_status) X(fa_ppm) \
	X(cors_set) X(cors_max_age_ms) X(cors_credentials)

static uint64_t extra_hash(const struct rm_extra *x)
{
	uint64_t h = 0;
#define MIX(v) (h = (h ^ (uint64_t)(v)) * 0x100000001b3ULL)
#define HASH_STR(f) MIX(x->f ? hash_bytes(x->f, strlen(x->f)) : 1);
#define HASH_NUM(f) MIX(x->f);
	EXTRA_STRINGS(HASH_STR)
	EXTRA_NUMBERS(HASH_NUM)
	MIX(x->dr_body ? hash_bytes(x->dr_body, x->dr_body_len) : 1);
#undef HASH_STR
#undef HASH_NUM
#undef MIX
	return h;
}

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool extra_equal(const struct rm_extra *x, const struct rm_extra *y)
{
#define SAME_STR(f) if (!str_same(x->f, y->f)) return false;
#define SAME_NUM(f) if (x->f != y->f) return false;
	EXTRA_STRINGS(SAME_STR)
	EXTRA_NUMBERS(SAME_NUM)
#undef SAME_STR
#undef SAME_NUM
	return x->dr_body == y->dr_body ||
	       (x->dr_body && y->dr_body && memcmp(x->dr_body, y->dr_body, x->dr_body_len) == 0);
}

/*
 * Shares rt's finished extra record with the routes that have an equal
 * one (most routes repeat a few retry policies): the table then holds
 * one record where it held one per route, and the emitter writes it
 * once.
 */
static void share_extra(struct builder *b, struct rm_route *rt)
{
	struct rm_extra *x = rt->extra;
	if (!x || x->shared || x->mirrors || x->cors_origins || x->hops)
		return;
	if ((b->n_extras + 1) * 2 > b->cap_extras) {
		size_t cap = b->cap_extras ? b->cap_extras * 2 : 64;
		struct rm_extra **t = xcalloc(cap, sizeof(*t));
		for (size_t i = 0; i < b->cap_extras; i++) {
			if (!b->extras[i])
				continue;
			size_t j = extra_hash(b->extras[i]) & (cap - 1);
			while (t[j])
				j = (j + 1) & (cap - 1);
			t[j] = b->extras[i];
		}
		free(b->extras);
		b->extras = t;
		b->cap_extras = cap;
	}
	size_t j = extra_hash(x) & (b->cap_extras - 1);
	for (; b->extras[j]; j = (j + 1) & (b->cap_extras - 1)) {
		if (extra_equal(b->extras[j], x)) {
			rt->extra = b->extras[j];
			b->spare_extra = x;   /* referenced by nobody now */
			return;
		}
	}
	x->shared = true;
	b->extras[j] = x;
	b->n_extras++;
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

/* Headers {request, response: {set, add, remove}} as header operations
 * (internal headers left out, as Istio leaves them out). */
static struct rm_hop *header_ops(struct builder *b, const struct m_headers *h, size_t *n)
{
	static const enum mrt_header_op ops[3] = {
		MRT_HEADER_SET, MRT_HEADER_ADD, MRT_HEADER_REMOVE,
	};
	size_t cnt = 0;
	for (unsigned i = 0; i < h->nops; i++)
		cnt += !header_internal(h->ops[i].name);
	*n = cnt;
	if (!cnt)
		return NULL;
	struct rm_hop *out = arena_alloc(&b->m->arena, cnt * sizeof(*out));
	cnt = 0;
	for (unsigned i = 0; i < h->nops; i++) {
		const struct m_hop *o = &h->ops[i];
		if (header_internal(o->name))
			continue;
		out[cnt].target = (enum mrt_header_target)o->target;
		out[cnt].op = ops[o->op];
		out[cnt].name = o->name;
		out[cnt++].value = o->value;
	}
	/* set/add maps are unordered: sort for a stable table */
	qsort(out, cnt, sizeof(*out), hop_cmp);
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

/* Destinations route[0..n) of rule `rule` in section `sect`; in a
 * split, Istio leaves out those of weight 0. */
static void route_destinations(struct builder *b, struct rm_route *rt,
			       const struct resource *r, const struct m_route_dest *list,
			       size_t n, const char *sect, unsigned rule,
			       const struct rctx *cx)
{
	rt->dests = n ? arena_alloc(&b->m->arena, n * sizeof(*rt->dests)) : NULL;
	for (size_t i = 0; i < n; i++) {
		const struct m_route_dest *item = &list[i];
		unsigned weight = n == 1 ? 100 : mint_u(&item->weight, 0);
		if (weight == 0)
			continue;
		struct dest_at at = { sect, rule, (unsigned)i, DEST_ROUTE };
		struct rm_cluster *c = route_dest_cluster(b, r, &item->dest, &at, cx);
		if (!c)
			continue;
		struct rm_dest *d = &rt->dests[rt->n_dests++];
		d->cluster = c;
		d->weight = weight;
		d->hops = header_ops(b, item->headers, &d->n_hops);
	}
}

static void add_mirror(struct builder *b, struct rm_extra *x, const struct resource *r,
		       const struct m_dest *dst, const struct dest_at *at,
		       unsigned ppm, const struct rctx *cx)
{
	struct rm_cluster *c = route_dest_cluster(b, r, dst, at, cx);
	if (!c)
		return;
	x->mirrors[x->n_mirrors].cluster = c;
	x->mirrors[x->n_mirrors++].weight = ppm;
}

/*
 * Which of h and its root (NULL unless h is a delegate route) gives a
 * field mergeHTTPRoute inherits: h when it has the field, else the root
 * when it has it (and h is a map that can take it), else NULL.
 */
#define FIELD_OF(h, root, has) \
	((h)->has ? (h) : (root) && (h)->map && (root)->has ? (root) : NULL)

/* The resource holding route `src`: r for h itself, else the root's. */
static const struct resource *owner_of(const struct m_http *src, const struct m_http *h,
				       const struct resource *r, const struct resource *root_r)
{
	return src == h ? r : root_r;
}

/* Istio's MirrorPercent and MirrorPercentByPolicy: 100% when unset, no
 * mirror at an explicit 0. */
static void route_mirrors(struct builder *b, struct rm_route *rt,
			  const struct resource *r, const struct m_http *h,
			  const struct resource *root_r, const struct m_http *root,
			  const struct rctx *cx)
{
	const struct m_http *single = FIELD_OF(h, root, rare->mir->mirror_present);
	const struct m_http *many = FIELD_OF(h, root, rare->mir->mirrors_present);
	size_t n = (single ? 1 : 0) + (many ? many->rare->mir->nmirrors : 0);
	if (!n)
		return;
	struct rm_extra *x = extra_of(b, rt);
	x->mirrors = arena_alloc(&b->m->arena, n * sizeof(*x->mirrors));
	if (single) {
		const struct m_http *pct = FIELD_OF(h, root, rare->mir->mirror_percentage->present);
		const struct m_http *old = FIELD_OF(h, root, rare->mir->mirror_percent_present);
		unsigned ppm = percent_ppm(pct ? pct->rare->mir->mirror_percentage : NULL);
		if (ppm == MRT_UNSET)
			ppm = old ? old->rare->mir->mirror_percent * 10000 : 1000000;
		struct dest_at at = { "http", single->index, 0, DEST_MIRROR };
		if (ppm)
			add_mirror(b, x, owner_of(single, h, r, root_r), single->rare->mir->mirror, &at,
				   ppm > 1000000 ? 1000000 : ppm, cx);
	}
	for (size_t i = 0; many && i < many->rare->mir->nmirrors; i++) {
		unsigned ppm = percent_ppm(&many->rare->mir->mirrors_pct[i]);
		if (ppm == MRT_UNSET)
			ppm = 1000000;
		struct dest_at at = { "http", many->index, (unsigned)i, DEST_MIRRORS };
		if (ppm)
			add_mirror(b, x, owner_of(many, h, r, root_r), &many->rare->mir->mirrors[i], &at,
				   ppm, cx);
	}
}

/* The retry policy Istio's ConvertPolicy gives Envoy by default. */
#define DEFAULT_RETRY_ON "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"

/* Whether Go's http.StatusText knows code (Istio moves only those from
 * retryOn to the retriable status codes). */
static bool known_status(long v)
{
	static const short codes[] = {
		100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
		300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404, 405,
		406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421,
		422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504,
		505, 506, 507, 508, 510, 511,
	};
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i] == v)
			return true;
	return false;
}

/* retry.parseRetryOn: trimmed parts; HTTP status codes apart. */
static void parse_retry_on(struct builder *b, const char *in, const char **on,
			   const char **codes)
{
	struct sb s = { 0 }, c = { 0 };
	for (const char *p = in; *p;) {
		size_t len = strcspn(p, ",");
		const char *q = p, *e = p + len;
		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		while (e > q && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > q) {
			char num[16];
			size_t nl = (size_t)(e - q);
			long v = -1;
			if (nl < sizeof(num)) {
				memcpy(num, q, nl);
				num[nl] = 0;
				char *end;
				v = strtol(num, &end, 10);
				if (*end || end == num)
					v = -1;
			}
			struct sb *to = known_status(v) ? &c : &s;
			if (to->n)
				sb_put(to, ",", 1);
			if (to == &c) {
				char d[16];
				snprintf(d, sizeof(d), "%ld", v);
				sb_put(to, d, strlen(d));
			} else {
				sb_put(to, q, nl);
			}
		}
		p += len + (p[len] == ',');
	}
	if (c.n && (!s.p || !strstr(s.p, "retriable-status-codes"))) {
		if (s.n)
			sb_put(&s, ",", 1);
		sb_put(&s, "retriable-status-codes", 22);
	}
	*on = s.p ? arena_strdup(&b->m->arena, s.p) : NULL;
	*codes = c.p ? arena_strdup(&b->m->arena, c.p) : NULL;
	free(s.p);
	free(c.p);
}

/* The mesh's default retry policy. */
static void default_retries(struct rm_extra *x)
{
	x->rt_attempts = 2;
	x->rt_retry_on = DEFAULT_RETRY_ON;
	x->rt_status_codes = "503";
	x->rt_flags = MRT_RT_DEFAULT_POLICY;
}

void route_set_retries(struct builder *b, struct rm_route *rt, const struct m_retries *n)
{
	if (!n && (!rt->extra || rt->extra == b->retry_default)) {
		/* The common case, nothing else set yet: one shared record. */
		if (!b->retry_default) {
			b->retry_default = extra_new(b);
			default_retries(b->retry_default);
			b->retry_default->shared = true;
		}
		rt->extra = b->retry_default;
		return;
	}
	struct rm_extra *x = extra_of(b, rt);
	if (!n) {
		default_retries(x);
		return;
	}
	const struct mint *an = &n->attempts;
	x->rt_attempts = mint_set(an) && an->v > 0 ?
			 (unsigned)(an->v > 0x7fffffff ? 0x7fffffff : an->v) : 0;
	if (x->rt_attempts == 0)
		return;
	const char *on = n->retry_on;
	if (on && *on) {
		/* Routes repeat a few retryOn strings: each is parsed, and
		 * its results stored, once per builder (in a few slots, by
		 * the string's hash). */
		struct retry_memo *rm = &b->retry_memo[hash_bytes(on, strlen(on)) % RETRY_MEMO];
		if (!rm->in || strcmp(rm->in, on) != 0) {
			parse_retry_on(b, on, &rm->on, &rm->codes);
			rm->in = on;
		}
		x->rt_retry_on = rm->on;
		x->rt_status_codes = rm->codes;
	} else {
		x->rt_retry_on = DEFAULT_RETRY_ON;
		x->rt_status_codes = "503";
	}
	x->rt_per_try_ms = dur_ms(n->per_try_timeout);
	x->rt_backoff_ms = dur_ms(n->backoff);
	mtri rl = n->remote_localities, ip = n->ignore_previous_hosts;
	x->rt_flags = (rl >= 0 ? (rl ? 2u : 1u) : 0u) |
		      (ip >= 0 ? (ip ? 2u : 1u) << 2 : 0u);
}

/* Istio's TranslateFault: a percentage left out is 0 (no request is
 * affected); exponential delays and HTTP/2 error aborts are dropped. */
/* The fault of route rule `rule`, owned by `owner` (a delegate's root
 * when inherited); reported as r's. */
static void route_fault(struct builder *b, struct rm_route *rt, const struct resource *r,
			const struct resource *owner, const struct m_fault *n,
			unsigned rule)
{
	struct rm_extra *x = extra_of(b, rt);
	struct arena *a = &b->m->arena;
	if (n->delay) {
		unsigned ms = dur_ms(n->fixed_delay);
		if (ms == MRT_UNSET) {
			diag_report_at(b->d, MSH0403, r, &n->delay_pos,
				       diag_model_path(owner, &n->delay_pos,
				       arena_printf(a, "spec.http[%u].fault.delay", rule)),
				       "an exponentialDelay");
		} else {
			x->fd_delay_ms = ms;
			x->fd_delay_ppm = percent_ppm(&n->delay_pct);
			if (x->fd_delay_ppm == MRT_UNSET)
				x->fd_delay_ppm = n->delay_percent > 100 ? 1000000 :
						  n->delay_percent * 10000;
		}
	}
	if (n->abort) {
		x->fa_status = n->http_status;
		x->fa_grpc = n->grpc_status;
		if (x->fa_status == MRT_UNSET && !x->fa_grpc) {
			diag_report_at(b->d, MSH0403, r, &n->abort_pos,
				       diag_model_path(owner, &n->abort_pos,
				       arena_printf(a, "spec.http[%u].fault.abort", rule)),
				       "an abort without httpStatus or grpcStatus");
		} else {
			x->fa_ppm = percent_ppm(&n->abort_pct);
			if (x->fa_ppm == MRT_UNSET)
				x->fa_ppm = 0;
		}
	}
}

static void route_cors(struct builder *b, struct rm_route *rt, const struct m_cors *n)
{
	struct rm_extra *x = extra_of(b, rt);
	struct conds cs = { 0 };
	x->cors_set = true;
	for (size_t i = 0; i < n->norigins; i++)
		cond_string(&cs, MRT_FIELD_CORS_ORIGIN, NULL, &n->origins[i], 0);
	if (!n->origins_present)
		for (size_t i = 0; i < n->allow_origin.n; i++)
			if (n->allow_origin.v[i].s)
				cond_add(&cs, MRT_FIELD_CORS_ORIGIN, MRT_OP_EXACT, NULL,
					 n->allow_origin.v[i].s);
	if (cs.n) {
		x->cors_origins = arena_alloc(&b->m->arena, cs.n * sizeof(*cs.c));
		memcpy(x->cors_origins, cs.c, cs.n * sizeof(*cs.c));
		x->n_cors_origins = cs.n;
	}
	free(cs.c);
	x->cors_methods = n->methods;
	x->cors_allow_headers = n->allow_headers;
	x->cors_expose_headers = n->expose_headers;
	x->cors_max_age_ms = dur_ms(n->max_age);
	x->cors_credentials = n->credentials >= 0 ? (unsigned)n->credentials : MRT_UNSET;
	x->cors_preflight = n->unmatched_preflights;
}

void route_http_actions(struct builder *b, struct rm_route *rt, const struct resource *r,
			const struct m_http *h, const struct resource *root_r,
			const struct m_http *root, const struct rctx *cx)
{
	const struct m_http *src;
	if (h->rare->redirect->present) {
		const struct m_redirect *n = h->rare->redirect;
		struct rm_extra *x = extra_of(b, rt);
		rt->action = MRT_ACTION_REDIRECT;
		x->rd_uri = n->uri;
		x->rd_authority = n->authority;
		x->rd_scheme = n->scheme;
		x->rd_prefix = n->prefix_rewrite;
		x->rd_port = n->port;
		const char *dp = n->derive_port;
		x->rd_derive = !dp ? MRT_DERIVE_NONE :
			       strcmp(dp, "FROM_REQUEST_PORT") == 0 ? MRT_DERIVE_FROM_REQUEST_PORT :
			       MRT_DERIVE_FROM_PROTOCOL_DEFAULT;
		x->rd_code = n->code;
	} else if ((src = FIELD_OF(h, root, rare->direct_response->present)) != NULL) {
		const struct m_direct *n = src->rare->direct_response;
		struct rm_extra *x = extra_of(b, rt);
		rt->action = MRT_ACTION_DIRECT_RESPONSE;
		x->dr_status = n->status;
		if (n->body_string) {
			x->dr_body = n->body_string;
			x->dr_body_len = strlen(n->body_string);
		} else if (n->body_bytes) {
			char *dec = arena_alloc(&b->m->arena, strlen(n->body_bytes) + 1);
			x->dr_body_len = b64_decode(n->body_bytes, dec);
			x->dr_body = dec;
		}
	} else {
		route_destinations(b, rt, r, h->route, h->nroute, "http", h->index, cx);
		src = FIELD_OF(h, root, retries->present);
		route_set_retries(b, rt, src ? src->retries : NULL);
	}
	if ((src = FIELD_OF(h, root, rare->rewrite->present)) != NULL) {
		const struct m_rewrite *n = src->rare->rewrite;
		struct rm_extra *x = extra_of(b, rt);
		x->rw_uri = n->uri;
		x->rw_authority = n->authority;
		x->rw_regex = n->regex;
		x->rw_sub = n->regex_sub;
	}
	src = FIELD_OF(h, root, timeout_present);
	rt->timeout_ms = dur_ms(src ? src->timeout : NULL);
	if ((src = FIELD_OF(h, root, rare->fault->present)) != NULL)
		route_fault(b, rt, r, owner_of(src, h, r, root_r), src->rare->fault, src->index);
	route_mirrors(b, rt, r, h, root_r, root, cx);
	if ((src = FIELD_OF(h, root, rare->cors->present)) != NULL)
		route_cors(b, rt, src->rare->cors);
	const struct m_http *hs = FIELD_OF(h, root, headers->present);
	if (hs) {
		size_t cnt;
		struct rm_hop *ops = header_ops(b, hs->headers, &cnt);
		if (cnt) {
			struct rm_extra *x = extra_of(b, rt);
			x->hops = ops;
			x->n_hops = cnt;
		}
	}
	/* Istio's host rewrite: rewrite.authority, else an :authority/Host
	 * header of the route, else of its only destination. */
	const char *auth = hs ? hs->headers->authority : NULL;
	if (!auth && h->nroute == 1)
		auth = h->route[0].headers->authority;
	if (rt->action == MRT_ACTION_ROUTE && auth && !(rt->extra && rt->extra->rw_authority))
		extra_of(b, rt)->rw_authority = auth;
	share_extra(b, rt);
}

/* ---- routes -------------------------------------------------------------- */

struct rm_route *route_new(struct builder *b, const struct resource *r,
			   const char *name, unsigned index, enum mrt_route_kind kind)
{
	struct rm_route *rt = arena_alloc(&b->m->arena, sizeof(*rt));
	rt->name = name;
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

void route_http_routes(struct builder *b, struct rm_route_list *list,
		       const struct resource *r, const struct rctx *cx)
{
	const struct m_vs *vs = model_vs(r);
	for (size_t i = 0; i < vs->nhttp; i++) {
		const struct m_http *h = &vs->http[i];
		if (h->delegate) {
			route_inline_delegate(b, list, r, h, cx);
			continue;
		}
		struct rm_route *rt = route_new(b, r, h->name, (unsigned)i, MRT_ROUTE_HTTP);
		size_t n;
		struct mspec *specs = route_http_specs(b, r, h, &n);
		bool alive = route_set_matches(b, rt, specs, n, true, cx);
		route_specs_free(specs, n);
		if (!alive)
			continue;
		route_http_actions(b, rt, r, h, NULL, NULL, cx);
		route_list_add(b->m, list, rt);
	}
}

/* The SNI hosts of a TLS match as one condition. */
static void sni_cond(struct builder *b, struct conds *cs, const struct resource *r,
		     const struct mstrs *sni)
{
	struct sb s = { 0 };
	for (size_t k = 0; k < sni->n; k++) {
		const char *v = sni->v[k].s;
		if (!v)
			continue;
		const char *f = v[0] == '*' ? lower(&b->m->arena, v) : route_fqdn(b, v, r->namespace);
		if (s.n)
			sb_put(&s, ",", 1);
		sb_put(&s, f, strlen(f));
	}
	if (s.p)
		cond_add(cs, MRT_FIELD_SNI, MRT_OP_HOST_ANY_OF, NULL, arena_strdup(&b->m->arena, s.p));
	free(s.p);
}

void route_l4_routes(struct builder *b, struct rm_route_list *list,
		     const struct resource *r, enum mrt_route_kind kind,
		     const struct rctx *cx)
{
	const struct m_vs *vs = model_vs(r);
	bool tls = kind == MRT_ROUTE_TLS;
	const struct m_l4 *rs = tls ? vs->tls : vs->tcp;
	size_t nrs = tls ? vs->ntls : vs->ntcp;
	for (size_t i = 0; i < nrs; i++) {
		const struct m_l4 *h = &rs[i];
		size_t n = h->nmatch;
		struct mspec *specs = xcalloc(n + 1, sizeof(*specs));
		for (size_t j = 0; j < n; j++) {
			const struct m_match *m = &h->match[j];
			if (tls)
				sni_cond(b, &specs[j].req, r, &m->more->sni_hosts);
			if (m->more->destination_subnets)
				cond_add(&specs[j].req, MRT_FIELD_DESTINATION_SUBNET, MRT_OP_ANY_OF,
					 NULL, m->more->destination_subnets);
			if (m->more->source_subnet)
				cond_add(&specs[j].req, MRT_FIELD_SOURCE_SUBNET, MRT_OP_ANY_OF, NULL,
					 m->more->source_subnet);
			spec_source(b, &specs[j], r, m);
			specs[j].name = NULL;
		}
		struct rm_route *rt = route_new(b, r, h->name, (unsigned)i, kind);
		bool alive = route_set_matches(b, rt, specs, n, false, cx);
		route_specs_free(specs, n);
		if (!alive)
			continue;
		route_destinations(b, rt, r, h->route, h->nroute, tls ? "tls" : "tcp",
				   (unsigned)i, cx);
		route_list_add(b->m, list, rt);
	}
}

/* ---- gateway route lists ------------------------------------------------ */

/*
 * Whether match m becomes what Istio's IsCatchAllRoute calls a catch-all
 * Envoy route: no URI match or a "/" prefix (or ".*" regex), and no
 * header, method, authority, scheme or query parameter condition.
 */
static bool match_catchall(const struct rm_match *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct rm_cond *c = &m->conds[i];
		if (c->field != MRT_FIELD_URI ||
		    (!(c->op == MRT_OP_PREFIX && strcmp(c->value, "/") == 0) &&
		     !(c->op == MRT_OP_REGEX && strcmp(c->value, ".*") == 0)))
			return false;
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
 * Shapes the routes of one VirtualService (list l, not shared yet) as
 * Istio emits them on a gateway: nothing after the first catch-all match
 * (where BuildHTTPRoutesForVirtualService stops; the gateway, port and
 * source matches are resolved already), a route with both kinds of match
 * split in two, then SortVHostRoutes.
 */
void route_gateway_shape(struct builder *b, struct rm_route_list *l)
{
	struct rm_route_list *out = route_list_new(b->m);
	bool stop = false;
	for (size_t i = 0; i < l->n && !stop; i++) {
		struct rm_route *r = l->routes[i];
		size_t end = r->n_matches;
		stop = r->kind == MRT_ROUTE_HTTP && end == 0;
		for (size_t m = 0; m < r->n_matches && !stop; m++)
			if (match_catchall(&r->matches[m])) {
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

void route_vhost_append(struct builder *b, struct rm_vhost *v, struct rm_route_list *src)
{
	if (v->routes->n == 0) {
		v->routes = src;   /* the hosts of one VirtualService share its list */
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
