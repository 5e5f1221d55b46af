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
			const struct node *sm, unsigned flags)
{
	const char *v;
	struct rm_cond *c;
	if ((v = nstr(get(sm, "exact"))) != NULL)
		c = cond_add(cs, f, MRT_OP_EXACT, key, v);
	else if ((v = nstr(get(sm, "prefix"))) != NULL)
		c = cond_add(cs, f, MRT_OP_PREFIX, key, v);
	else if ((v = nstr(get(sm, "regex"))) != NULL && strcmp(v, "*") != 0)
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

const char *route_gateway_list(struct builder *b, const struct resource *r,
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

static int pair_ptr_cmp(const void *a, const void *b)
{
	const struct node_pair *x = *(const struct node_pair *const *)a;
	const struct node_pair *y = *(const struct node_pair *const *)b;
	return strcmp(x->key->text, y->key->text);
}

/* The parts of a match (HTTP, TLS or TCP) Istio resolves per proxy. */
static void spec_source(struct builder *b, struct mspec *s, const struct resource *r,
			const struct node *m)
{
	s->node = m;
	s->name = nstr(get(m, "name"));
	s->gateways = route_gateway_list(b, r, get(m, "gateways"));
	s->port = uget(m, "port", 0);
	s->source_ns = nstr(get(m, "sourceNamespace"));
	if (s->source_ns && !*s->source_ns)
		s->source_ns = NULL;
	const struct node *sl = get(m, "sourceLabels");
	if (sl && sl->type == NODE_MAP && sl->n) {
		s->labels = arena_alloc(&b->m->arena, sl->n * sizeof(*s->labels));
		for (size_t i = 0; i < sl->n; i++)
			s->labels[i] = &sl->pairs[i];
		s->nlabels = sl->n;
		qsort(s->labels, s->nlabels, sizeof(*s->labels), pair_ptr_cmp);
	}
}

/* One HTTPMatchRequest. */
static void http_spec(struct builder *b, struct mspec *s, const struct resource *r,
		      const struct node *m)
{
	unsigned uflags = nbool(get(m, "ignoreUriCase")) ? MRT_COND_IGNORE_CASE : 0;
	struct conds *cs = &s->req;
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
	spec_source(b, s, r, m);
}

struct mspec *route_http_specs(struct builder *b, const struct resource *r,
			       const struct node *h, size_t *n)
{
	const struct node *ms = get(h, "match");
	*n = ms && ms->type == NODE_SEQ ? ms->n : 0;
	struct mspec *out = arena_alloc(&b->m->arena, (*n + 1) * sizeof(*out));
	for (size_t i = 0; i < *n; i++)
		http_spec(b, &out[i], r, ms->items[i]);
	return out;
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
	out->node = del->node;
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
				over = strcmp(root->labels[i]->key->text, del->labels[j]->key->text) == 0;
			if (!over)
				out->labels[out->nlabels++] = root->labels[i];
		}
		for (size_t j = 0; j < del->nlabels; j++)
			out->labels[out->nlabels++] = del->labels[j];
		qsort(out->labels, out->nlabels, sizeof(*out->labels), pair_ptr_cmp);
	}
}

/* Whether every label of s is in the workload labels map. */
static bool labels_within(const struct mspec *s, const struct node *labels)
{
	for (size_t i = 0; i < s->nlabels; i++) {
		const char *want = nstr(s->labels[i]->value);
		const char *have = nstr(get(labels, s->labels[i]->key->text));
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
			const char *v = nstr(s->labels[i]->value);
			cond_add(cs, MRT_FIELD_SOURCE_LABEL, MRT_OP_EXACT,
				 s->labels[i]->key->text, v ? v : "");
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
	rt->matches = arena_alloc(&b->m->arena, (n ? n : 1) * sizeof(*rt->matches));
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
		m->conds = arena_alloc(&b->m->arena, (cs.n ? cs.n : 1) * sizeof(*m->conds));
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

/* Destinations; in a split, Istio leaves out those of weight 0. */
static void route_destinations(struct builder *b, struct rm_route *rt,
			       const struct resource *r, const struct node *list,
			       const struct rctx *cx)
{
	size_t n = list && list->type == NODE_SEQ ? list->n : 0;
	rt->dests = arena_alloc(&b->m->arena, (n ? n : 1) * sizeof(*rt->dests));
	for (size_t i = 0; i < n; i++) {
		const struct node *item = list->items[i];
		unsigned weight = n == 1 ? 100 : uget(item, "weight", 0);
		if (weight == 0)
			continue;
		struct rm_cluster *c = route_dest_cluster(b, r, get(item, "destination"), cx);
		if (!c)
			continue;
		struct rm_dest *d = &rt->dests[rt->n_dests++];
		d->cluster = c;
		d->weight = weight;
		d->hops = header_ops(b, get(item, "headers"), &d->n_hops);
	}
}

static void add_mirror(struct builder *b, struct rm_extra *x, const struct resource *r,
		       const struct node *dst, unsigned ppm, const struct rctx *cx)
{
	struct rm_cluster *c = route_dest_cluster(b, r, dst, cx);
	if (!c)
		return;
	x->mirrors[x->n_mirrors].cluster = c;
	x->mirrors[x->n_mirrors++].weight = ppm;
}

/* Istio's MirrorPercent and MirrorPercentByPolicy: 100% when unset, no
 * mirror at an explicit 0. */
static void route_mirrors(struct builder *b, struct rm_route *rt,
			  const struct resource *mirror_owner,
			  const struct resource *mirrors_owner, const struct node *h,
			  const struct rctx *cx)
{
	const struct node *single = get(h, "mirror"), *many = get(h, "mirrors");
	size_t n = (single ? 1 : 0) + (many && many->type == NODE_SEQ ? many->n : 0);
	if (!n)
		return;
	struct rm_extra *x = extra_of(b, rt);
	x->mirrors = arena_alloc(&b->m->arena, n * sizeof(*x->mirrors));
	if (single) {
		unsigned ppm = percent_ppm(get(h, "mirrorPercentage"));
		const struct node *old = get(h, "mirrorPercent");
		if (ppm == MRT_UNSET)
			ppm = old ? uget(h, "mirrorPercent", 0) * 10000 : 1000000;
		if (ppm)
			add_mirror(b, x, mirror_owner, single, ppm > 1000000 ? 1000000 : ppm, cx);
	}
	for (size_t i = 0; many && many->type == NODE_SEQ && i < many->n; i++) {
		const struct node *mp = many->items[i];
		unsigned ppm = percent_ppm(get(mp, "percentage"));
		if (ppm == MRT_UNSET)
			ppm = 1000000;
		if (ppm)
			add_mirror(b, x, mirrors_owner, get(mp, "destination"), ppm, cx);
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

void route_set_retries(struct builder *b, struct rm_route *rt, const struct node *n)
{
	struct rm_extra *x = extra_of(b, rt);
	if (!n) {
		x->rt_attempts = 2;
		x->rt_retry_on = DEFAULT_RETRY_ON;
		x->rt_status_codes = "503";
		x->rt_flags = MRT_RT_DEFAULT_POLICY;
		return;
	}
	const struct node *an = get(n, "attempts");
	x->rt_attempts = an && an->type == NODE_INT && an->ival > 0 ?
			 (unsigned)(an->ival > 0x7fffffff ? 0x7fffffff : an->ival) : 0;
	if (x->rt_attempts == 0)
		return;
	const char *on = nstr(get(n, "retryOn"));
	if (on && *on) {
		parse_retry_on(b, on, &x->rt_retry_on, &x->rt_status_codes);
	} else {
		x->rt_retry_on = DEFAULT_RETRY_ON;
		x->rt_status_codes = "503";
	}
	x->rt_per_try_ms = dur_ms(get(n, "perTryTimeout"));
	x->rt_backoff_ms = dur_ms(get(n, "backoff"));
	const struct node *rl = get(n, "retryRemoteLocalities");
	const struct node *ip = get(n, "retryIgnorePreviousHosts");
	x->rt_flags = (rl && rl->type == NODE_BOOL ? (rl->bval ? 2u : 1u) : 0u) |
		      (ip && ip->type == NODE_BOOL ? (ip->bval ? 2u : 1u) << 2 : 0u);
}

/* Istio's TranslateFault: a percentage left out is 0 (no request is
 * affected); exponential delays and HTTP/2 error aborts are dropped. */
static void route_fault(struct builder *b, struct rm_route *rt, const struct resource *r,
			const struct node *n)
{
	const struct node *dl = get(n, "delay"), *ab = get(n, "abort");
	struct rm_extra *x = extra_of(b, rt);
	if (dl) {
		unsigned ms = dur_ms(get(dl, "fixedDelay"));
		if (ms == MRT_UNSET) {
			diag_report(b->d, MSH0403, r, dl, "an exponentialDelay");
		} else {
			x->fd_delay_ms = ms;
			x->fd_delay_ppm = percent_ppm(get(dl, "percentage"));
			if (x->fd_delay_ppm == MRT_UNSET)
				x->fd_delay_ppm = uget(dl, "percent", 0) > 100 ? 1000000 :
						  uget(dl, "percent", 0) * 10000;
		}
	}
	if (ab) {
		x->fa_status = uget(ab, "httpStatus", MRT_UNSET);
		x->fa_grpc = nstr(get(ab, "grpcStatus"));
		if (x->fa_status == MRT_UNSET && !x->fa_grpc) {
			diag_report(b->d, MSH0403, r, ab, "an abort without httpStatus or grpcStatus");
		} else {
			x->fa_ppm = percent_ppm(get(ab, "percentage"));
			if (x->fa_ppm == MRT_UNSET)
				x->fa_ppm = 0;
		}
	}
}

static void route_cors(struct builder *b, struct rm_route *rt, const struct node *n)
{
	struct rm_extra *x = extra_of(b, rt);
	struct conds cs = { 0 };
	x->cors_set = true;
	const struct node *ao = get(n, "allowOrigins"), *old = get(n, "allowOrigin");
	for (size_t i = 0; ao && ao->type == NODE_SEQ && i < ao->n; i++)
		cond_string(&cs, MRT_FIELD_CORS_ORIGIN, NULL, ao->items[i], 0);
	if (!ao)
		for (size_t i = 0; old && old->type == NODE_SEQ && i < old->n; i++)
			if (nstr(old->items[i]))
				cond_add(&cs, MRT_FIELD_CORS_ORIGIN, MRT_OP_EXACT, NULL, nstr(old->items[i]));
	if (cs.n) {
		x->cors_origins = arena_alloc(&b->m->arena, cs.n * sizeof(*cs.c));
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

void route_http_actions(struct builder *b, struct rm_route *rt, const struct resource *r,
			const struct node *h, const struct rctx *cx,
			const struct resource *mirror_owner,
			const struct resource *mirrors_owner)
{
	const struct node *n;
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
	} else if ((n = get(h, "directResponse")) != NULL) {
		struct rm_extra *x = extra_of(b, rt);
		rt->action = MRT_ACTION_DIRECT_RESPONSE;
		x->dr_status = uget(n, "status", 0);
		const struct node *body = get(n, "body");
		const char *s;
		if ((s = nstr(get(body, "string"))) != NULL) {
			x->dr_body = s;
			x->dr_body_len = strlen(s);
		} else if ((s = nstr(get(body, "bytes"))) != NULL) {
			char *dec = arena_alloc(&b->m->arena, strlen(s) + 1);
			x->dr_body_len = b64_decode(s, dec);
			x->dr_body = dec;
		}
	} else {
		route_destinations(b, rt, r, get(h, "route"), cx);
		route_set_retries(b, rt, get(h, "retries"));
	}
	if ((n = get(h, "rewrite")) != NULL) {
		struct rm_extra *x = extra_of(b, rt);
		x->rw_uri = nstr(get(n, "uri"));
		x->rw_authority = nstr(get(n, "authority"));
		x->rw_regex = nstr(get(get(n, "uriRegexRewrite"), "match"));
		x->rw_sub = nstr(get(get(n, "uriRegexRewrite"), "rewrite"));
	}
	rt->timeout_ms = dur_ms(get(h, "timeout"));
	if ((n = get(h, "fault")) != NULL)
		route_fault(b, rt, r, n);
	route_mirrors(b, rt, mirror_owner, mirrors_owner, h, cx);
	if ((n = get(h, "corsPolicy")) != NULL)
		route_cors(b, rt, n);
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

/* ---- routes -------------------------------------------------------------- */

struct rm_route *route_new(struct builder *b, const struct resource *r,
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

void route_http_routes(struct builder *b, struct rm_route_list *list,
		       const struct resource *r, const struct rctx *cx)
{
	const struct node *http = get(r->spec, "http");
	for (size_t i = 0; http && http->type == NODE_SEQ && i < http->n; i++) {
		const struct node *h = http->items[i];
		if (get(h, "delegate")) {
			route_inline_delegate(b, list, r, h, cx);
			continue;
		}
		struct rm_route *rt = route_new(b, r, h, (unsigned)i, MRT_ROUTE_HTTP);
		size_t n;
		struct mspec *specs = route_http_specs(b, r, h, &n);
		bool alive = route_set_matches(b, rt, specs, n, true, cx);
		for (size_t k = 0; k < n; k++)
			free(specs[k].req.c);
		if (!alive)
			continue;
		route_http_actions(b, rt, r, h, cx, r, r);
		route_list_add(b->m, list, rt);
	}
}

/* The SNI hosts of a TLS match as one condition. */
static void sni_cond(struct builder *b, struct conds *cs, const struct resource *r,
		     const struct node *sni)
{
	struct sb s = { 0 };
	for (size_t k = 0; sni && sni->type == NODE_SEQ && k < sni->n; k++) {
		const char *v = nstr(sni->items[k]);
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
	const struct node *rs = get(r->spec, kind == MRT_ROUTE_TLS ? "tls" : "tcp");
	for (size_t i = 0; rs && rs->type == NODE_SEQ && i < rs->n; i++) {
		const struct node *h = rs->items[i];
		const struct node *ms = get(h, "match");
		size_t n = ms && ms->type == NODE_SEQ ? ms->n : 0;
		struct mspec *specs = arena_alloc(&b->m->arena, (n + 1) * sizeof(*specs));
		for (size_t j = 0; j < n; j++) {
			const struct node *m = ms->items[j];
			if (kind == MRT_ROUTE_TLS)
				sni_cond(b, &specs[j].req, r, get(m, "sniHosts"));
			const char *subnets = join_list(b, get(m, "destinationSubnets"));
			if (subnets)
				cond_add(&specs[j].req, MRT_FIELD_DESTINATION_SUBNET, MRT_OP_ANY_OF, NULL, subnets);
			const char *src = nstr(get(m, "sourceSubnet"));
			if (src)
				cond_add(&specs[j].req, MRT_FIELD_SOURCE_SUBNET, MRT_OP_ANY_OF, NULL, src);
			spec_source(b, &specs[j], r, m);
			specs[j].name = NULL;
		}
		struct rm_route *rt = route_new(b, r, h, (unsigned)i, kind);
		bool alive = route_set_matches(b, rt, specs, n, false, cx);
		for (size_t k = 0; k < n; k++)
			free(specs[k].req.c);
		if (!alive)
			continue;
		route_destinations(b, rt, r, get(h, "route"), cx);
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
