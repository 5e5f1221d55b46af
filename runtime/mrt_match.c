/*
 * The matcher: request -> listener -> virtual host -> first matching
 * route, as Envoy routes with the configuration Istio generates.
 *
 * Listener: the gateway index (a hash table in the file) gives the run
 * of the request gateway's listeners, sorted by port. A listener with
 * port 0 matches any port: mesh hosts without a Service live there, and
 * it is tried after the port's own listener finds no virtual host.
 * A port with several listeners (one per TLS server) takes the one whose
 * server names fit best: scored one by one, or for runs of many through
 * the server-name index mrt_open builds (mrt_sni.c).
 * Virtual host: exact host by hash (case-insensitive, ":port" and a
 * trailing dot ignored; short names expanded as Istio's domains do),
 * then wildcard suffixes longest first, then "*". The host is hashed
 * once per call, eight bytes at a time while lower-casing it, and
 * compared the same way against the table's lower-case names.
 * Routes: in order, first match wins; the matches of a route are ORed,
 * the conditions of a match ANDed. The path's lengths are computed at
 * most once per call, when a condition first needs them.
 *
 * The table was verified by mrt_open(), so nothing here bounds-checks
 * table data; only request data is checked. Regexes are matched by
 * mrt_regex.c (no heap allocation per call); one it cannot decide makes
 * the whole request an error (mrt_match_checked), never a "no match"
 * that would let a later route take it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mrt_internal.h"

#define HOST_MAX 512

/* ---- Conditions --------------------------------------------------------- */

/*
 * One request as the matcher sees it: the defaults filled in, and the
 * path's lengths computed on first use and kept for the other
 * conditions of the same call.
 */
struct rq {
	const mrt_request *req;
	const char *gateway;         /* "mesh" when the request names none */
	size_t gateway_len;
	unsigned port;               /* the request's, or its host's ":port" */
	const char *path;            /* "/" when the request has none */
	size_t path_len;             /* SIZE_MAX until first needed */
	size_t path_noq;             /* length without "?query"; SIZE_MAX until needed */
	bool error;                  /* a regex could not be decided */
};

static void rq_init(struct rq *q, const mrt_request *req, unsigned port)
{
	q->req = req;
	q->gateway = req->gateway ? req->gateway : "mesh";
	q->gateway_len = strlen(q->gateway);
	q->port = port;
	q->path = req->path ? req->path : "/";
	q->path_len = q->path_noq = SIZE_MAX;
	q->error = false;
}

static size_t rq_path_len(struct rq *q)
{
	if (q->path_len == SIZE_MAX)
		q->path_len = strlen(q->path);
	return q->path_len;
}

static size_t rq_path_noq(struct rq *q)
{
	if (q->path_noq == SIZE_MAX) {
		size_t n = rq_path_len(q);
		const char *mark = memchr(q->path, '?', n);
		q->path_noq = mark ? (size_t)(mark - q->path) : n;
	}
	return q->path_noq;
}

/* A string condition on s[0..n); s NULL means the attribute is absent. */
static bool cond_string(const struct mrt_table *t, const struct mrt_fmt_cond *c,
			const char *s, size_t n, struct rq *st)
{
	bool r;
	if (!s) {
		/* Envoy: an absent attribute fails every positive match. Istio
		 * sets treat_missing_header_as_empty on withoutHeaders (inverted)
		 * value matches, so those see "" instead; an inverted presence
		 * match holds for an absent header. */
		if (!(c->flags & MRT_COND_INVERT))
			return false;
		if (c->op == MRT_OP_PRESENT)
			return true;
		s = "";
		n = 0;
	}
	const char *v = mrt_str(t, c->value);
	uint32_t vl = c->value ? mrt_strlen(t, c->value) : 0;
	bool icase = c->flags & MRT_COND_IGNORE_CASE;
	switch (c->op) {
	case MRT_OP_EXACT:
		r = n == vl && (icase ? strncasecmp(s, v, n) == 0 : memcmp(s, v, n) == 0);
		break;
	case MRT_OP_PREFIX:
		r = n >= vl && (icase ? strncasecmp(s, v, vl) == 0 : memcmp(s, v, vl) == 0);
		break;
	case MRT_OP_REGEX:
		/* A pattern that does not compile (only in a hand-made table:
		 * meshc compile refuses one) never matches, inverted or not. */
		if (!mrt_regex_get(t, c->regex))
			return false;
		switch (mrt_regex_match(t, c->regex, s, n)) {
		case 1: r = true; break;
		case 0: r = false; break;
		default:
			st->error = true;   /* the request's outcome is unknown */
			return false;
		}
		break;
	case MRT_OP_PRESENT:
		r = true;
		break;
	case MRT_OP_ANY_OF: {
		r = false;
		const char *p = v, *end = v + vl;
		while (p <= end && !r) {
			const char *q = memchr(p, ',', (size_t)(end - p));
			if (!q)
				q = end;
			r = (size_t)(q - p) == n && memcmp(p, s, n) == 0;
			p = q + 1;
		}
		break;
	}
	case MRT_OP_HOST_ANY_OF: {
		r = false;
		const char *p = v, *end = v + vl;
		while (p <= end && !r) {
			const char *q = memchr(p, ',', (size_t)(end - p));
			if (!q)
				q = end;
			size_t pl = (size_t)(q - p);
			if (pl == 1 && p[0] == '*')
				r = true;
			else if (pl >= 2 && p[0] == '*')
				r = n > pl - 1 && strncasecmp(s + n - (pl - 1), p + 1, pl - 1) == 0;
			else
				r = pl == n && strncasecmp(p, s, n) == 0;
			p = q + 1;
		}
		break;
	}
	default:
		r = false;
	}
	return (c->flags & MRT_COND_INVERT) ? !r : r;
}

/* The value of header `name` (name_len bytes) in the request, or NULL. */
static const char *header_value(const mrt_request *req, const char *name,
				size_t name_len)
{
	if (name[0] == ':') {
		if (strcmp(name, ":authority") == 0)
			return req->host;
		if (strcmp(name, ":path") == 0)
			return req->path;
		if (strcmp(name, ":method") == 0)
			return req->method;
		if (strcmp(name, ":scheme") == 0)
			return req->scheme;
	}
	for (size_t i = 0; i < req->n_headers; i++)
		if (req->headers[i].name && strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value ? req->headers[i].value : "";
	if (name_len == 4 && strcasecmp(name, "host") == 0)
		return req->host;
	return NULL;
}

/* The value of query parameter `key` in path's query string, or NULL. */
static const char *query_value(const char *path, const char *key, size_t *len)
{
	const char *q = path ? strchr(path, '?') : NULL;
	size_t kl = strlen(key);
	while (q) {
		q++;
		const char *amp = strchr(q, '&');
		const char *end = amp ? amp : q + strlen(q);
		const char *eq = memchr(q, '=', (size_t)(end - q));
		const char *kend = eq ? eq : end;
		if ((size_t)(kend - q) == kl && memcmp(q, key, kl) == 0) {
			const char *v = eq ? eq + 1 : end;
			*len = (size_t)(end - v);
			return v;
		}
		q = amp;
	}
	return NULL;
}

static const char *label_value(const mrt_header *l, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (l[i].name && strcmp(l[i].name, key) == 0)
			return l[i].value ? l[i].value : "";
	return NULL;
}

static bool cond_eval(const struct mrt_table *t, const struct mrt_fmt_cond *c,
		      struct rq *q)
{
	const mrt_request *req = q->req;
	const char *s;
	size_t n = SIZE_MAX;         /* SIZE_MAX: s is a C string */
	switch (c->field) {
	case MRT_FIELD_URI:
		/* exact and regex see the path without the query string;
		 * prefix sees the whole path, as Envoy does */
		s = q->path;
		n = c->op == MRT_OP_PREFIX ? rq_path_len(q) : rq_path_noq(q);
		break;
	case MRT_FIELD_SCHEME:
		s = req->scheme;
		break;
	case MRT_FIELD_METHOD:
		s = req->method;
		break;
	case MRT_FIELD_AUTHORITY:
		s = req->host;
		break;
	case MRT_FIELD_HEADER:
		s = header_value(req, mrt_str(t, c->key), mrt_strlen(t, c->key));
		break;
	case MRT_FIELD_QUERY:
		s = query_value(req->path, mrt_str(t, c->key), &n);
		break;
	case MRT_FIELD_PORT:
		return q->port == c->value;
	case MRT_FIELD_SOURCE_LABEL:
		s = label_value(req->source_labels, req->n_source_labels, mrt_str(t, c->key));
		break;
	case MRT_FIELD_SOURCE_NAMESPACE:
		s = req->source_namespace;
		break;
	case MRT_FIELD_GATEWAY:
		s = q->gateway;
		n = q->gateway_len;
		break;
	case MRT_FIELD_SNI:
		s = req->sni;
		break;
	default:
		/* Subnets and CORS origins are not request attributes here. */
		return false;
	}
	if (!s)
		n = 0;
	else if (n == SIZE_MAX)
		n = strlen(s);
	return cond_string(t, c, s, n, q);
}

/* The index of the first match of route r whose conditions all hold,
 * or MRT_NONE. */
static uint32_t route_first_match(const struct mrt_table *t,
				  const struct mrt_fmt_route *r, struct rq *q)
{
	const struct mrt_fmt_match *mt = &t->mtch[r->match_first];
	/* A cold table: start fetching the other matches' conditions while
	 * the first match's are evaluated. */
	for (uint32_t m = 1; m < r->match_count && m < 4; m++)
		__builtin_prefetch(&t->cond[mt[m].cond_first]);
	for (uint32_t m = 0; m < r->match_count; m++, mt++) {
		const struct mrt_fmt_cond *c = &t->cond[mt->cond_first];
		const struct mrt_fmt_cond *end = c + mt->cond_count;
		while (c < end && cond_eval(t, c, q))
			c++;
		if (c == end)
			return m;
	}
	return MRT_NONE;
}

/* ---- Routes, virtual hosts, listeners ------------------------------------ */

/* First route of kind `kind` in [first, first+count) that matches. */
static const struct mrt_fmt_route *routes_eval(const struct mrt_table *t,
		uint32_t first, uint32_t count, unsigned kind, struct rq *q,
		mrt_result *res)
{
	const struct mrt_fmt_route *r = &t->rout[first], *end = r + count;
	/* A cold table: start fetching the next routes' matches while the
	 * first route's are evaluated. */
	for (uint32_t k = 1; k < count && k < 8; k++)
		__builtin_prefetch(&t->mtch[r[k].match_first]);
	for (; r < end; r++) {
		if (MRT_RT_KIND(r->info) != kind)
			continue;
		if (r->match_count == 0) {
			res->match_index = MRT_UNSET;
			return r;
		}
		uint32_t m = route_first_match(t, r, q);
		if (q->error)
			return NULL;
		if (m != MRT_NONE) {
			res->match_index = m;
			return r;
		}
	}
	return NULL;
}

/*
 * Whether a[0..n), ASCII lower-cased, equals lc[0..n) (a table string,
 * lower case already: mrt_open() checked). Eight bytes per step.
 */
static bool eq_lower(const char *a, const char *lc, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, lc + i, 8);
		if (mrt_fmt_lower8(x) != y)
			return false;
	}
	if (i == n)
		return true;
	if (n >= 8)   /* the last eight bytes, overlapping those compared */
		return mrt_fmt_lower8(mrt_fmt_last(a, n, 8)) == mrt_fmt_last(lc, n, 8);
	return mrt_fmt_lower8(mrt_fmt_tail(a, n)) == mrt_fmt_tail(lc, n);
}

/*
 * mrt_fmt_hash(s, n), also writing s lower-cased to out (which has room
 * for n rounded up to a multiple of 8), so the host is folded once per
 * call and then compared with memcmp().
 */
static uint32_t hash_lower(const char *s, size_t n, char *out)
{
	uint64_t h = n, w;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		w = mrt_fmt_lower8(w);
		memcpy(out + i, &w, 8);
		h = mrt_fmt_hash_step(h, w);
	}
	if (i < n) {
		w = mrt_fmt_lower8(n >= 8 ? mrt_fmt_last(s, n, n - i) : mrt_fmt_tail(s, n));
		memcpy(out + i, &w, 8);
		h = mrt_fmt_hash_step(h, w);
	}
	return (uint32_t)h;
}

/*
 * A host as the lookups see it: its bytes, lower-cased into buf when
 * they fit (then compared with memcmp), else as the request wrote them
 * (then compared folding case), and its index hash.
 */
struct host_key {
	const char *s;
	size_t n;
	uint32_t hash;
	bool folded;
};

static void host_key_init(struct host_key *k, const char *s, size_t n, char *buf)
{
	k->n = n;
	k->folded = n <= HOST_MAX;
	if (k->folded) {
		k->hash = hash_lower(s, n, buf);
		k->s = buf;
	} else {
		k->hash = mrt_fmt_hash(s, n);
		k->s = s;
	}
}

/* Whether key bytes k->s[off..off+n) equal lower-case table bytes lc. */
static inline bool key_eq(const struct host_key *k, size_t off, const char *lc, size_t n)
{
	return k->folded ? memcmp(k->s + off, lc, n) == 0 : eq_lower(k->s + off, lc, n);
}

/* The exact virtual host for host key k, or MRT_NONE. */
static uint32_t lookup_exact(const struct mrt_table *t,
			     const struct mrt_fmt_listener *l, const struct host_key *k)
{
	if (l->hash_size == 0)
		return MRT_NONE;
	const struct mrt_fmt_slot *slots = &t->hash[l->hash_first];
	uint32_t mask = l->hash_size - 1;
	for (uint32_t probe = 0, i = k->hash & mask; probe < l->hash_size;
	     probe++, i = (i + 1) & mask) {
		const struct mrt_fmt_slot *s = &slots[i];
		if (s->vhost == MRT_NONE)
			break;
		if (s->hash != k->hash)
			continue;
		const struct mrt_fmt_vhost *vh = &t->vhst[s->vhost];
		if (mrt_strlen(t, vh->name) == k->n && key_eq(k, 0, mrt_str(t, vh->name), k->n))
			return s->vhost;
	}
	return MRT_NONE;
}

/* Appends parts to buf; false when they do not fit. */
static bool join(char *buf, size_t cap, const char *a, size_t an,
		 const char *b, const char *c, const char *d)
{
	size_t bl = strlen(b), cl = c ? strlen(c) : 0, dl = d ? strlen(d) : 0;
	if (an + bl + cl + dl + 1 > cap)
		return false;
	memcpy(buf, a, an);
	memcpy(buf + an, b, bl);
	if (c)
		memcpy(buf + an + bl, c, cl);
	if (d)
		memcpy(buf + an + bl + cl, d, dl);
	buf[an + bl + cl + dl] = 0;
	return true;
}

/*
 * The virtual host for host key k: exact (with Istio's short forms:
 * "name" in the source namespace, "name.ns", "name.ns.svc"), then
 * wildcard suffixes longest first, then "*".
 */
static uint32_t lookup_vhost(const struct mrt_table *t,
			     const struct mrt_fmt_listener *l,
			     const struct host_key *k, const char *src_ns)
{
	uint32_t e = lookup_exact(t, l, k);
	if (e != MRT_NONE)
		return e;
	const char *host = k->s;
	size_t n = k->n, dots = 0;
	for (size_t i = 0; i < n; i++)
		dots += host[i] == '.';
	char buf[HOST_MAX], lbuf[HOST_MAX + 8];
	bool ok = false;
	if (dots == 0 && src_ns)
		ok = join(buf, sizeof(buf), host, n, ".", src_ns, ".svc.");
	else if (dots == 1)
		ok = join(buf, sizeof(buf), host, n, ".svc.", NULL, NULL);
	else if (dots == 2 && n > 4 && strncasecmp(host + n - 4, ".svc", 4) == 0)
		ok = join(buf, sizeof(buf), host, n, ".", NULL, NULL);
	if (ok) {
		size_t bl = strlen(buf), dl = t->domain_len;
		if (bl + dl + 1 <= sizeof(buf)) {
			struct host_key full;
			memcpy(buf + bl, mrt_str(t, t->hdr->domain), dl + 1);
			host_key_init(&full, buf, bl + dl, lbuf);
			e = lookup_exact(t, l, &full);
			if (e != MRT_NONE)
				return e;
		}
	}
	for (uint32_t i = 0; i < l->wild_count; i++) {
		const struct mrt_fmt_vhost *vh = &t->vhst[t->wild[l->wild_first + i]];
		size_t sl = mrt_strlen(t, vh->name) - 1;   /* ".suffix" */
		if (n > sl && key_eq(k, n - sl, mrt_str(t, vh->name) + 1, sl))
			return t->wild[l->wild_first + i];
	}
	return l->star;
}

/*
 * Whether some route of [first, first+count) applies to the caller by
 * its source (labels, namespace): a route without matches, or with a
 * match whose source conditions all hold. Istio builds a sidecar's
 * routes per caller; a VirtualService none of whose routes applies is
 * not there at all.
 */
static bool source_applies(const struct mrt_table *t, uint32_t first, uint32_t count,
			   struct rq *q)
{
	for (const struct mrt_fmt_route *r = &t->rout[first], *end = r + count; r < end; r++) {
		if (MRT_RT_KIND(r->info) != MRT_ROUTE_HTTP)
			continue;
		if (r->match_count == 0)
			return true;
		for (uint32_t m = 0; m < r->match_count; m++) {
			const struct mrt_fmt_match *mt = &t->mtch[r->match_first + m];
			bool ok = true;
			for (uint32_t c = 0; c < mt->cond_count && ok; c++) {
				const struct mrt_fmt_cond *cd = &t->cond[mt->cond_first + c];
				if (cd->field == MRT_FIELD_SOURCE_LABEL ||
				    cd->field == MRT_FIELD_SOURCE_NAMESPACE)
					ok = cond_eval(t, cd, q);
			}
			if (ok)
				return true;
		}
	}
	return false;
}

/*
 * Routes the request on listener li. *found is set when a virtual host
 * (or the listener's TCP/TLS routes) took the request, even if no route
 * matched: Envoy does not fall through to another listener then. `host`
 * is the authority (or, without one, the server name); `sni` the server
 * name (or, without one, the authority).
 */
static const struct mrt_fmt_route *listener_eval(const struct mrt_table *t,
		uint32_t li, struct rq *q, const struct host_key *host,
		const struct host_key *sni, mrt_result *res, bool *found)
{
	const mrt_request *req = q->req;
	const struct mrt_fmt_listener *l = &t->lstn[li];
	const struct mrt_fmt_route *r;
	/* A TLS-terminating server routes HTTP by the Host header. */
	bool tls = req->sni && !(l->flags & MRT_LS_TERMINATES_TLS);
	const struct host_key *key = tls ? sni : host;
	*found = false;
	if (tls || !key) {
		r = routes_eval(t, l->l4_first, l->l4_count,
				tls ? MRT_ROUTE_TLS : MRT_ROUTE_TCP, q, res);
		if (r || l->l4_count) {
			*found = r != NULL;
			res->listener = li;
			return r;
		}
		if (!key)
			return NULL;
	}
	uint32_t vi = lookup_vhost(t, l, key, req->source_namespace);
	if (vi == MRT_NONE)
		return NULL;
	const struct mrt_fmt_vhost *vh = &t->vhst[vi];
	unsigned kind = tls ? MRT_ROUTE_TLS : MRT_ROUTE_HTTP;
	if ((vh->flags & MRT_VH_SOURCE_SCOPED) && !tls &&
	    !source_applies(t, vh->route_first, vh->route_count, q)) {
		/* The VirtualService does not exist for this caller: the
		 * host's default route, or no virtual host at all. */
		if (vh->fallback == MRT_NONE)
			return NULL;
		*found = true;
		res->listener = li;
		res->vhost = vi - l->vhost_first;
		res->match_index = MRT_UNSET;
		return &t->rout[vh->fallback];
	}
	*found = true;
	res->listener = li;
	res->vhost = vi - l->vhost_first;
	r = routes_eval(t, vh->route_first, vh->route_count, kind, q, res);
	if (!r && !tls)
		r = routes_eval(t, vh->route_first, vh->route_count, MRT_ROUTE_TCP, q, res);
	return r;
}

uint32_t mrt_gateway_find(const struct mrt_table *t, const char *gw, size_t n)
{
	uint32_t size = t->n[MRT_SEC_GWAY], h = mrt_fmt_hash(gw, n);
	for (uint32_t probe = 0, i = h & (size - 1); probe < size;
	     probe++, i = (i + 1) & (size - 1)) {
		const struct mrt_fmt_gateway *g = &t->gway[i];
		if (g->name == 0)
			return MRT_NONE;
		if (g->hash == h && mrt_strlen(t, g->name) == n &&
		    memcmp(mrt_str(t, g->name), gw, n) == 0)
			return i;
	}
	return MRT_NONE;
}

int mrt_gsel_resolve(struct mrt_table *t)
{
	uint32_t n = t->n[MRT_SEC_GSEL];
	if (!n)
		return 0;
	t->gsel_gway = malloc(n * sizeof(*t->gsel_gway));
	/* Workload names are stored once and shared by reference: each
	 * distinct reference is looked up once (refs[] maps it to its slot
	 * in an open-addressing table of 2n). A table that stores equal
	 * names apart costs one lookup each, linear in the table's size. */
	uint32_t cap = 2;
	while (cap < 2 * n)
		cap *= 2;
	uint32_t *refs = calloc(cap, sizeof(*refs)), *gway = malloc(cap * sizeof(*gway));
	if (!t->gsel_gway || !refs || !gway) {
		free(refs);
		free(gway);
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t ref = t->gsel[i].workload, j = (ref * 2654435761u) & (cap - 1);
		while (refs[j] && refs[j] != ref)
			j = (j + 1) & (cap - 1);
		if (!refs[j]) {
			refs[j] = ref;
			gway[j] = ref ? mrt_gateway_find(t, mrt_str(t, ref), mrt_strlen(t, ref)) :
					MRT_NONE;
		}
		t->gsel_gway[i] = gway[j];
	}
	free(refs);
	free(gway);
	return 0;
}

/*
 * The listeners of gateway gw[0..n): [*first, *end), empty when none. A
 * Gateway merged with others on its workload is found through the
 * gateway records (sorted by name), which name its workload.
 */
static void gateway_listeners(const struct mrt_table *t, const char *gw, size_t n,
			      uint32_t *first, uint32_t *end)
{
	*first = *end = 0;
	uint32_t g = mrt_gateway_find(t, gw, n);
	if (g == MRT_NONE) {
		uint32_t lo = 0, hi = t->n[MRT_SEC_GSEL];
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			const struct mrt_fmt_gwsel *s = &t->gsel[mid];
			uint32_t sl = mrt_strlen(t, s->name);
			int c = memcmp(mrt_str(t, s->name), gw, sl < n ? sl : n);
			if (c == 0)
				c = sl < n ? -1 : sl > n ? 1 : 0;
			if (c == 0) {
				g = t->gsel_gway[mid];
				break;
			}
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (g == MRT_NONE)
			return;
	}
	*first = t->gway[g].lstn_first;
	*end = t->gway[g].lstn_first + t->gway[g].lstn_count;
}

/*
 * How well a listener's server names take server name k: 0 not at all,
 * 1 any ("*" or none), 2 + suffix length for a wildcard, UINT32_MAX
 * exactly (Envoy's filter chain match: exact, then longest suffix, then
 * the chain without server names).
 */
static uint32_t sni_score(const struct mrt_table *t, const struct mrt_fmt_listener *l,
			  const struct host_key *k)
{
	if (!l->sni)
		return 1;
	const char *v = mrt_str(t, l->sni), *end = v + mrt_strlen(t, l->sni);
	uint32_t best = 0;
	const char *p;
	size_t pl;
	while (mrt_next_name(&v, end, &p, &pl)) {
		if (pl == 1 && p[0] == '*') {
			if (best < 1)
				best = 1;
		} else if (pl >= 2 && p[0] == '*') {
			if (k && k->n > pl - 1 && key_eq(k, k->n - (pl - 1), p + 1, pl - 1) &&
			    best < 2 + pl)
				best = (uint32_t)(2 + pl);
		} else if (k && pl == k->n && key_eq(k, 0, p, pl)) {
			return UINT32_MAX;
		}
	}
	return best;
}

/* The bytes of a host or server name: a ":port" suffix (its number
 * kept in *port when that is 0) and a trailing dot left out. */
static size_t host_len(const char *host, unsigned *port)
{
	size_t hn = strlen(host);
	if (host[0] == '[') {
		const char *rb = memchr(host, ']', hn);
		if (rb && rb[1] == ':')
			hn = (size_t)(rb + 1 - host);
	} else {
		const char *colon = memchr(host, ':', hn);
		if (colon) {
			unsigned p = 0;
			const char *d = colon + 1;
			while (*d >= '0' && *d <= '9' && p < 100000)
				p = p * 10 + (unsigned)(*d++ - '0');
			if (port && *port == 0 && *d == 0 && d > colon + 1 && p < 65536)
				*port = p;
			hn = (size_t)(colon - host);
		}
	}
	if (hn > 0 && host[hn - 1] == '.')
		hn--;
	return hn;
}

/* The match; *error set when a regex could not be decided (then NULL). */
static const mrt_route *match(const mrt_table *t, const mrt_request *req,
			      mrt_result *res, bool *error)
{
	res->route = NULL;
	res->listener = res->vhost = res->match_index = MRT_UNSET;
	unsigned port = req->port;
	struct host_key hkey, skey;
	char hbuf[HOST_MAX + 8], sbuf[HOST_MAX + 8];
	const struct host_key *host = NULL, *sni = NULL;
	if (req->host) {
		host_key_init(&hkey, req->host, host_len(req->host, &port), hbuf);
		host = &hkey;
	}
	if (req->sni) {
		host_key_init(&skey, req->sni, host_len(req->sni, NULL), sbuf);
		sni = &skey;
	}
	struct rq q;
	rq_init(&q, req, port);

	uint32_t lo, hi;
	gateway_listeners(t, q.gateway, q.gateway_len, &lo, &hi);
	bool found = false;
	const struct mrt_fmt_route *r = NULL;
	/* The port's own listener first (a port with several, one per TLS
	 * server, takes the one whose server names fit the request's best),
	 * then the any-port listener; with no port known, every listener of
	 * the gateway in port order. */
	for (int pass = 0; pass < 2 && !found && !q.error; pass++) {
		for (uint32_t i = lo; i < hi && !found && !q.error; i++) {
			unsigned lp = t->lstn[i].port;
			if (port != 0 && (pass == 0 ? lp != port : lp != 0))
				continue;
			if (port == 0 && pass == 1)
				break;
			uint32_t pick = i, end = i + 1;
			while (end < hi && t->lstn[end].port == lp)
				end++;
			const struct host_key *name = sni ? sni : host;
			uint32_t fast;
			if ((!name || name->folded) &&
			    mrt_sni_pick(t, i, end, name ? name->s : NULL, name ? name->n : 0,
					 &fast)) {
				i = end - 1;
				if (fast == MRT_NONE)
					continue;   /* no filter chain takes the connection */
				pick = fast;
			} else if (end - i > 1 || t->lstn[i].sni) {
				uint32_t best = 0;
				for (uint32_t k = i; k < end; k++) {
					uint32_t sc = sni_score(t, &t->lstn[k], name);
					if (sc > best) {
						best = sc;
						pick = k;
					}
				}
				i = end - 1;
				if (best == 0)
					continue;   /* no filter chain takes the connection */
			}
			r = listener_eval(t, pick, &q, host ? host : sni, sni ? sni : host,
					  res, &found);
		}
	}
	*error = q.error;
	if (q.error) {
		r = NULL;
		res->listener = res->vhost = res->match_index = MRT_UNSET;
	}
	res->route = (const mrt_route *)r;
	return res->route;
}

const mrt_route *mrt_match_result(const mrt_table *t, const mrt_request *req,
				  mrt_result *res)
{
	bool error;
	return match(t, req, res, &error);
}

enum mrt_match_status mrt_match_checked(const mrt_table *t, const mrt_request *req,
					mrt_result *res)
{
	bool error;
	if (match(t, req, res, &error))
		return MRT_MATCH_FOUND;
	return error ? MRT_MATCH_ERROR : MRT_MATCH_NONE;
}

const mrt_route *mrt_match(const mrt_table *t, const mrt_request *req)
{
	mrt_result res;
	return mrt_match_result(t, req, &res);
}

/* ---- Path rewrites -------------------------------------------------------- */

size_t mrt_matched_uri_len(const struct mrt_table *t, const struct mrt_fmt_route *r,
			   const mrt_request *req, bool *exact)
{
	struct rq q;
	rq_init(&q, req, req->port);
	*exact = false;
	uint32_t m = route_first_match(t, r, &q);
	if (m == MRT_NONE)
		return 1;
	const struct mrt_fmt_match *mt = &t->mtch[r->match_first + m];
	for (uint32_t c = 0; c < mt->cond_count; c++) {
		const struct mrt_fmt_cond *cd = &t->cond[mt->cond_first + c];
		if (cd->field != MRT_FIELD_URI)
			continue;
		if (cd->op == MRT_OP_PREFIX)
			return mrt_strlen(t, cd->value);
		*exact = true;
		return rq_path_noq(&q);
	}
	return 1;
}

int mrt_rewrite_path(const mrt_table *t, const mrt_route *rt,
		     const mrt_request *req, char *buf, size_t buflen)
{
	const struct mrt_fmt_route *r = (const struct mrt_fmt_route *)(const void *)rt;
	uint32_t x = t->rdat[r - t->rout].extra;
	if (x == MRT_NONE)
		return -1;
	const struct mrt_fmt_extra *e = &t->extr[x];
	const char *path = req->path ? req->path : "/";
	size_t need;
	if (e->rw_uri) {
		bool exact;
		size_t cut = mrt_matched_uri_len(t, r, req, &exact);
		size_t pl = strlen(path);
		if (cut > pl)
			cut = pl;
		const char *rest = path + cut;
		if (exact)
			rest = path + strcspn(path, "?");
		need = mrt_strlen(t, e->rw_uri) + strlen(rest);
		if (buflen)
			snprintf(buf, buflen, "%s%s", mrt_str(t, e->rw_uri), rest);
		return (int)need;
	}
	if (e->rw_regex == MRT_NONE)
		return -1;
	/* RE2 writes groups as \1; PCRE2's substitute wants $1. */
	const char *sub = e->rw_sub ? mrt_str(t, e->rw_sub) : "";
	size_t sl = strlen(sub);
	char *psub = malloc(2 * sl + 1);
	if (!psub)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < sl; i++) {
		if (sub[i] == '\\' && i + 1 < sl && sub[i + 1] >= '0' && sub[i + 1] <= '9')
			psub[k++] = '$';
		else if (sub[i] == '$')
			psub[k++] = '$', psub[k++] = '$';
		else
			psub[k++] = sub[i];
	}
	psub[k] = 0;
	uint32_t ref = t->regx[e->rw_regex].pattern;
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)mrt_str(t, ref), mrt_strlen(t, ref),
				       PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
	int rc = -1;
	if (re) {
		size_t pn = strcspn(path, "?");
		PCRE2_UCHAR tmp[4096];
		PCRE2_SIZE outlen = sizeof(tmp);
		int n = pcre2_substitute(re, (PCRE2_SPTR)path, pn, 0,
					 PCRE2_SUBSTITUTE_GLOBAL, NULL, t->mctx,
					 (PCRE2_SPTR)psub, k, tmp, &outlen);
		if (n >= 0) {
			need = outlen + strlen(path + pn);
			if (buflen)
				snprintf(buf, buflen, "%.*s%s", (int)outlen, (char *)tmp, path + pn);
			rc = (int)need;
		}
		pcre2_code_free(re);
	}
	free(psub);
	return rc;
}
