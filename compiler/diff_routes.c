/*
 * Route-level diff: which request classes go somewhere else. Both sides
 * are opened route tables (config is compiled in memory by the caller),
 * read through the public runtime API only, so config-vs-table and
 * table-vs-table diffs are one comparison.
 *
 * A request class is (listener, virtual host, one match of a route): a
 * listener's virtual host lists routes; each match of a route (or "any"
 * for a route without matches) is a class. Its description is canonical:
 * the match's conditions sorted by field then text, so the order keys
 * were written in does not matter. Within one virtual host a class that
 * repeats an earlier one is shadowed and not listed again. TCP and TLS
 * routes of a listener without host names have no host (NULL).
 *
 * The outcome of a class on a side is found by routing a sample request
 * of the class through that side's table with mrt_match(), exactly as a
 * proxy would: so a new route inserted before it, a removed virtual host
 * that now falls through to a wildcard, or a default route taking over
 * all show. The sample takes the listener's gateway and port, the virtual
 * host's name (a wildcard's `*` replaced by a label) and values that meet
 * each condition (an exact or prefix value, the first of a list, "x" for
 * presence). The sample is used only when it is faithful: routed on a side
 * that defines the class, it reaches the class's own route. Where no
 * faithful sample exists (regex and subnet conditions; a class shadowed on
 * every side defining it), the outcome on each side is the first route
 * defining the class there, or none.
 *
 * Outcomes are compared as the contract defines them: the destinations
 * (host, subset, port, weight, in any order, each with the merged
 * DestinationRule policy of its cluster, so a circuit-breaking or TLS
 * change shows), or the redirect, or the direct response; or none.
 * Where both sides forward to destinations, the route's settings that decide what happens
 * to the request on the way (timeout, retries with the mesh default
 * where none is set, fault, mirrors, rewrite, CORS, headers) are compared
 * as query shows them, and a class whose settings differ is listed too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diff.h"
#include "hash.h"
#include "host_set.h"

#define NONE SIZE_MAX

/*
 * A class is identified by (listener name, host, match). Listener names
 * are interned across both tables (struct lnames), so that they compare
 * by address: a gateway workload merged from thousands of Gateways has a
 * name that joins all of theirs, and copying or comparing it per class
 * made diff quadratic in the Gateways of one workload.
 */
struct rclass {
	uint64_t h;                  /* class_hash() */
	const char *listener, *host, *match;
	unsigned li;                 /* listener index */
	const char *gateway;
	unsigned port;
	const mrt_route *r;          /* the first route defining the class */
	size_t m;                    /* its match, NONE for a route without */
	size_t other;                /* the same class on the other side, or NONE */
};

/* The listener names of both tables, each stored once. */
struct lnames {
	const char **slots;          /* open addressing, NULL empty */
	uint64_t *hashes;
	size_t n, cap;
};

struct rside {
	const mrt_table *t;
	struct lnames *names;
	struct rclass *cls;          /* heap */
	size_t n, cap;
	size_t *slots;               /* hash table of class indices, NONE empty */
	size_t nslots;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

/* name, or the equal name stored before it (name lives in the diff arena). */
static const char *lnames_intern(struct lnames *ln, const char *name)
{
	uint64_t h = hash_bytes(name, strlen(name));
	if ((ln->n + 1) * 2 > ln->cap) {
		struct lnames old = *ln;
		ln->cap = old.cap ? old.cap * 2 : 64;
		ln->slots = xcalloc(ln->cap, sizeof(*ln->slots));
		ln->hashes = xmalloc(ln->cap * sizeof(*ln->hashes));
		for (size_t i = 0; i < old.cap; i++) {
			if (!old.slots[i])
				continue;
			size_t j = old.hashes[i] & (ln->cap - 1);
			while (ln->slots[j])
				j = (j + 1) & (ln->cap - 1);
			ln->slots[j] = old.slots[i];
			ln->hashes[j] = old.hashes[i];
		}
		free(old.slots);
		free(old.hashes);
	}
	size_t mask = ln->cap - 1, i = h & mask;
	for (; ln->slots[i]; i = (i + 1) & mask)
		if (ln->hashes[i] == h && strcmp(ln->slots[i], name) == 0)
			return ln->slots[i];
	ln->slots[i] = name;
	ln->hashes[i] = h;
	ln->n++;
	return ln->slots[i];
}

static void lnames_release(struct lnames *ln)
{
	free(ln->slots);
	free(ln->hashes);
}

/* listener is interned: its address stands for its name. */
static uint64_t class_hash(const char *listener, const char *host, const char *match)
{
	uint64_t h = hash_bytes((const char *)&listener, sizeof(listener));
	h = h * 31 + (host ? str_hash(host) : 1);
	return h * 31 + str_hash(match);
}

/* ---- describing a match ---- */

static const char *const field_words[MRT_FIELD_COUNT] = {
	"uri", "scheme", "method", "authority", "header", "query", "port",
	"source label", "source namespace", "gateway", "sni",
	"destination subnet", "source subnet", "cors origin",
};

/* Appends s to buf at *len (bounded; the text is cut at cap). */
static void put(char *buf, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);
	if (*len + n >= cap)
		n = cap - 1 - *len;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
}

/* A value as shown: quoted when empty or holding spaces, commas or quotes. */
static void put_value(char *buf, size_t cap, size_t *len, const char *v)
{
	if (!v)
		v = "";
	if (*v && !strpbrk(v, " ,\"")) {
		put(buf, cap, len, v);
		return;
	}
	put(buf, cap, len, "\"");
	for (const char *p = v; *p; p++) {
		char one[3] = { *p, 0, 0 };
		if (*p == '"' || *p == '\\') {
			one[0] = '\\';
			one[1] = *p;
		}
		put(buf, cap, len, one);
	}
	put(buf, cap, len, "\"");
}

/* "uri prefix /api", "method GET", "not header x-test present", ... */
static void describe_cond(const mrt_condition *c, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	if (c->flags & MRT_COND_INVERT)
		put(buf, cap, &len, "not ");
	put(buf, cap, &len, c->field < MRT_FIELD_COUNT ? field_words[c->field] : "?");
	if (c->key) {
		put(buf, cap, &len, " ");
		put_value(buf, cap, &len, c->key);
	}
	if (c->field == MRT_FIELD_PORT) {
		char num[16];
		snprintf(num, sizeof(num), " %u", c->number);
		put(buf, cap, &len, num);
		return;
	}
	bool bare = c->field == MRT_FIELD_METHOD || c->field == MRT_FIELD_SCHEME;
	switch (c->op) {
	case MRT_OP_EXACT:
		put(buf, cap, &len, bare ? " " : " exact ");
		break;
	case MRT_OP_PREFIX:
		put(buf, cap, &len, " prefix ");
		break;
	case MRT_OP_REGEX:
		put(buf, cap, &len, " regex ");
		break;
	case MRT_OP_PRESENT:
		put(buf, cap, &len, " present");
		break;
	case MRT_OP_ANY_OF:
	case MRT_OP_HOST_ANY_OF:
		put(buf, cap, &len, " in ");
		break;
	default:
		put(buf, cap, &len, " ? ");
	}
	if (c->op != MRT_OP_PRESENT)
		put_value(buf, cap, &len, c->value);
	if (c->flags & MRT_COND_IGNORE_CASE)
		put(buf, cap, &len, " (ignore case)");
}

struct cond_text {
	enum mrt_field field;
	char text[512];
};

static int cond_text_cmp(const void *x, const void *y)
{
	const struct cond_text *a = x, *b = y;
	if (a->field != b->field)
		return a->field < b->field ? -1 : 1;
	return strcmp(a->text, b->text);
}

/* The canonical description of match m of r (m NONE: no matches). */
static const char *describe_match(struct arena *ar, const mrt_table *t,
				  const mrt_route *r, size_t m)
{
	enum mrt_route_kind kind = mrt_route_kind(t, r);
	const char *prefix = kind == MRT_ROUTE_TLS ? "tls: " :
			     kind == MRT_ROUTE_TCP ? "tcp: " : "";
	size_t n = m == NONE ? 0 : mrt_route_condition_count(t, r, m);
	if (n == 0)
		return arena_printf(ar, "%sany", prefix);
	struct cond_text small[8];
	struct cond_text *ct = n <= 8 ? small : xmalloc(n * sizeof(*ct));
	size_t k = 0, total = strlen(prefix) + 1;
	for (size_t i = 0; i < n; i++) {
		mrt_condition c;
		if (mrt_route_condition(t, r, m, i, &c) != 0)
			continue;
		ct[k].field = c.field;
		describe_cond(&c, ct[k].text, sizeof(ct[k].text));
		total += strlen(ct[k].text) + 2;
		k++;
	}
	qsort(ct, k, sizeof(*ct), cond_text_cmp);
	char *out = arena_alloc_raw(ar, total);
	size_t len = 0;
	put(out, total, &len, prefix);
	for (size_t i = 0; i < k; i++) {
		if (i)
			put(out, total, &len, ", ");
		put(out, total, &len, ct[i].text);
	}
	if (ct != small)
		free(ct);
	return out;
}

/* ---- collecting the classes of a table ---- */

static bool opt_str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The class of side s equal to k (listener, host, match, hash), or NONE. */
static size_t side_find(const struct rside *s, const struct rclass *k)
{
	if (!s->nslots)
		return NONE;
	size_t mask = s->nslots - 1;
	for (size_t i = k->h & mask; s->slots[i] != NONE; i = (i + 1) & mask) {
		const struct rclass *c = &s->cls[s->slots[i]];
		if (c->h == k->h && c->listener == k->listener &&
		    opt_str_eq(c->host, k->host) && strcmp(c->match, k->match) == 0)
			return s->slots[i];
	}
	return NONE;
}

/* Re-hashes the side's classes into a table of at least twice their count. */
static void side_rehash(struct rside *s)
{
	size_t want = 64;
	while (want < s->n * 2 + 2)
		want *= 2;
	free(s->slots);
	s->nslots = want * 2;
	s->slots = xmalloc(s->nslots * sizeof(*s->slots));
	for (size_t i = 0; i < s->nslots; i++)
		s->slots[i] = NONE;
	size_t mask = s->nslots - 1;
	for (size_t k = 0; k < s->n; k++) {
		size_t i = s->cls[k].h & mask;
		while (s->slots[i] != NONE)
			i = (i + 1) & mask;
		s->slots[i] = k;
	}
}

/*
 * Adds the classes of route r on listener li / host (NULL for l4). A class
 * already listed is shadowed by the earlier one and skipped: keys include
 * the listener and host, so a repeat can only come from the same virtual
 * host (or the same listener's host-less routes).
 */
static void add_route_classes(struct rside *s, struct arena *ar, unsigned li,
			      const char *lname, const mrt_listener *l,
			      const char *host, const mrt_route *r)
{
	size_t nm = mrt_route_match_count(s->t, r);
	for (size_t m = 0; m < (nm ? nm : 1); m++) {
		const char *desc = describe_match(ar, s->t, r, nm ? m : NONE);
		struct rclass c = {
			.h = class_hash(lname, host, desc), .listener = lname,
			.host = host, .match = desc, .li = li, .gateway = l->gateway,
			.port = l->port, .r = r, .m = nm ? m : NONE, .other = NONE,
		};
		if (side_find(s, &c) != NONE)
			continue;
		GROW(s->cls, s->n, s->cap);
		s->cls[s->n++] = c;
		if (s->n * 2 > s->nslots)
			side_rehash(s);
		else {
			size_t mask = s->nslots - 1, i = c.h & mask;
			while (s->slots[i] != NONE)
				i = (i + 1) & mask;
			s->slots[i] = s->n - 1;
		}
	}
}

static void side_collect(struct rside *s, struct arena *ar, const struct host_set *only)
{
	side_rehash(s);
	size_t nl = mrt_listener_count(s->t);
	for (size_t li = 0; li < nl; li++) {
		mrt_listener l;
		if (mrt_listener_get(s->t, li, &l) != 0)
			continue;
		char port[16] = "*";
		if (l.port)
			snprintf(port, sizeof(port), "%u", l.port);
		const char *lname = lnames_intern(s->names,
						  arena_printf(ar, "%s:%s", l.gateway, port));
		for (size_t v = 0; v < l.n_vhosts; v++) {
			mrt_vhost vh;
			if (mrt_vhost_get(s->t, li, v, &vh) != 0 ||
			    (only && !host_set_overlaps(only, vh.host)))
				continue;
			for (size_t k = 0; k < vh.n_routes; k++) {
				const mrt_route *r = mrt_route_at(s->t, vh.first_route + k);
				if (r)
					add_route_classes(s, ar, (unsigned)li, lname, &l,
							  vh.host, r);
			}
		}
		for (size_t k = 0; k < l.n_l4_routes; k++) {
			const mrt_route *r = mrt_listener_l4_route(s->t, li, k);
			if (r)
				add_route_classes(s, ar, (unsigned)li, lname, &l, NULL, r);
		}
	}
}

/* ---- sample requests ---- */

#define SAMPLE_HEADERS 32
#define SAMPLE_BUF 4096

struct sample {
	mrt_request req;
	mrt_header headers[SAMPLE_HEADERS];
	mrt_header labels[SAMPLE_HEADERS];
	char buf[SAMPLE_BUF];
	size_t used;
	bool ok;
};

/* A copy of s[0..n) in the sample's buffer; NULL (and !ok) when full. */
static const char *sample_str(struct sample *sp, const char *s, size_t n)
{
	if (sp->used + n + 1 > SAMPLE_BUF) {
		sp->ok = false;
		return NULL;
	}
	char *p = sp->buf + sp->used;
	memcpy(p, s, n);
	p[n] = '\0';
	sp->used += n + 1;
	return p;
}

/* A concrete value meeting an exact/prefix/present/list condition. */
static const char *sample_value(struct sample *sp, const mrt_condition *c)
{
	const char *v = c->value ? c->value : "";
	switch (c->op) {
	case MRT_OP_EXACT:
	case MRT_OP_PREFIX:
		return v;
	case MRT_OP_PRESENT:
		return "x";
	case MRT_OP_ANY_OF:
		return sample_str(sp, v, strcspn(v, ","));
	case MRT_OP_HOST_ANY_OF: {
		size_t n = strcspn(v, ",");
		if (n >= 1 && v[0] == '*') {
			const char *rest = sample_str(sp, v + 1, n - 1);
			if (!rest)
				return NULL;
			char tmp[600];
			snprintf(tmp, sizeof(tmp), "x%s", rest);
			return sample_str(sp, tmp, strlen(tmp));
		}
		return sample_str(sp, v, n);
	}
	default:
		sp->ok = false;   /* regexes: no sample */
		return NULL;
	}
}

/* Sets header/label `key` in list (first setting wins, as lookups do). */
static void sample_pair(struct sample *sp, mrt_header *list, size_t *n,
			const char *key, const char *value)
{
	if (!value)
		return;
	if (*n == SAMPLE_HEADERS) {
		sp->ok = false;
		return;
	}
	list[*n].name = key;
	list[*n].value = value;
	(*n)++;
}

/* Builds a request of class c into sp; sp->ok false when none can be. */
static void sample_build(struct sample *sp, const struct rside *s,
			 const struct rclass *c)
{
	memset(&sp->req, 0, sizeof(sp->req));
	sp->used = 0;
	sp->ok = true;
	mrt_request *q = &sp->req;
	q->gateway = c->gateway;
	q->port = c->port;
	q->method = "GET";
	q->headers = sp->headers;
	q->source_labels = sp->labels;
	enum mrt_route_kind kind = mrt_route_kind(s->t, c->r);
	const char *host = c->host;
	if (host && host[0] == '*') {
		char tmp[600];
		snprintf(tmp, sizeof(tmp), "x%s", host[1] ? host + 1 : ".invalid");
		host = sample_str(sp, tmp, strlen(tmp));
	}
	if (kind == MRT_ROUTE_TLS)
		q->sni = host ? host : "x.invalid";
	else
		q->host = host;   /* NULL: a host-less TCP request */

	const char *uri = "/";
	char query[1024];
	size_t qlen = 0;
	query[0] = '\0';
	size_t nc = c->m == NONE ? 0 : mrt_route_condition_count(s->t, c->r, c->m);
	for (size_t i = 0; i < nc && sp->ok; i++) {
		mrt_condition k;
		if (mrt_route_condition(s->t, c->r, c->m, i, &k) != 0) {
			sp->ok = false;
			break;
		}
		if (k.flags & MRT_COND_INVERT) {
			/* withoutHeaders: absent satisfies a negated presence; a
			 * value that differs satisfies the rest (checked below) */
			if (k.field != MRT_FIELD_HEADER || k.op == MRT_OP_REGEX ||
			    (k.key && k.key[0] == ':'))
				sp->ok = false;
			else if (k.op != MRT_OP_PRESENT)
				sample_pair(sp, sp->headers, &q->n_headers, k.key,
					    "meshc-diff-other");
			continue;
		}
		if (k.field == MRT_FIELD_PORT) {
			q->port = k.number;
			continue;
		}
		if (k.field == MRT_FIELD_GATEWAY)
			continue;   /* the listener's gateway decides */
		const char *v = sample_value(sp, &k);
		if (!v)
			break;
		switch (k.field) {
		case MRT_FIELD_URI:
			uri = *v ? v : "/";
			break;
		case MRT_FIELD_SCHEME:
			q->scheme = v;
			break;
		case MRT_FIELD_METHOD:
			q->method = v;
			break;
		case MRT_FIELD_AUTHORITY:
			q->host = v;
			break;
		case MRT_FIELD_HEADER:
			if (k.key && k.key[0] == ':')
				sp->ok = false;
			else
				sample_pair(sp, sp->headers, &q->n_headers, k.key, v);
			break;
		case MRT_FIELD_QUERY: {
			int w = snprintf(query + qlen, sizeof(query) - qlen, "%c%s=%s",
					 qlen ? '&' : '?', k.key ? k.key : "", v);
			if (w < 0 || (size_t)w >= sizeof(query) - qlen)
				sp->ok = false;
			else
				qlen += (size_t)w;
			break;
		}
		case MRT_FIELD_SOURCE_LABEL:
			sample_pair(sp, sp->labels, &q->n_source_labels, k.key, v);
			break;
		case MRT_FIELD_SOURCE_NAMESPACE:
			q->source_namespace = v;
			break;
		case MRT_FIELD_SNI:
			q->sni = v;
			break;
		default:
			sp->ok = false;   /* subnets, CORS origins */
		}
	}
	if (!sp->ok)
		return;
	if (qlen) {
		char tmp[2048];
		snprintf(tmp, sizeof(tmp), "%s%s", uri, query);
		uri = sample_str(sp, tmp, strlen(tmp));
	}
	q->path = uri;
}

/* ---- outcomes ---- */

struct dest_key {
	const char *host, *subset;
	unsigned port, weight;
	const char *policy;          /* the cluster's merged policy JSON, or NULL */
};

static int sn_cmp(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int dest_key_cmp(const void *x, const void *y)
{
	const struct dest_key *a = x, *b = y;
	int r = sn_cmp(a->host, b->host);
	if (!r)
		r = sn_cmp(a->subset, b->subset);
	if (!r && a->port != b->port)
		r = a->port < b->port ? -1 : 1;
	if (!r && a->weight != b->weight)
		r = a->weight < b->weight ? -1 : 1;
	if (!r)
		r = sn_cmp(a->policy, b->policy);
	return r;
}

/* The destinations of r, sorted (heap array of n). */
static struct dest_key *dest_keys(const mrt_table *t, const mrt_route *r, size_t *n)
{
	size_t cnt = mrt_route_destination_count(t, r), k = 0;
	struct dest_key *d = xmalloc((cnt + 1) * sizeof(*d));
	for (size_t i = 0; i < cnt; i++) {
		mrt_destination md;
		if (mrt_route_destination(t, r, i, &md) != 0)
			continue;
		mrt_cluster c;
		const char *pol = mrt_cluster_get(t, md.cluster_index, &c) == 0 ? c.policy_json : NULL;
		d[k++] = (struct dest_key){ md.host, md.subset, md.port, md.weight, pol };
	}
	qsort(d, k, sizeof(*d), dest_key_cmp);
	*n = k;
	return d;
}

/* Whether two outcomes are the same (the top comment's notion). */
static bool outcome_eq(const struct diff_outcome *a, const struct diff_outcome *b)
{
	if (!a->r || !b->r)
		return !a->r && !b->r;
	enum mrt_action x = mrt_route_action(a->t, a->r), y = mrt_route_action(b->t, b->r);
	if (x != y)
		return false;
	if (x == MRT_ACTION_REDIRECT) {
		mrt_redirect p, q;
		int pr = mrt_route_redirect(a->t, a->r, &p), qr = mrt_route_redirect(b->t, b->r, &q);
		if (pr || qr)
			return pr == qr;
		return !sn_cmp(p.uri, q.uri) && !sn_cmp(p.authority, q.authority) &&
		       !sn_cmp(p.scheme, q.scheme) && !sn_cmp(p.prefix_rewrite, q.prefix_rewrite) &&
		       p.port == q.port && p.derive_port == q.derive_port && p.code == q.code;
	}
	if (x == MRT_ACTION_DIRECT_RESPONSE) {
		mrt_direct_response p, q;
		int pr = mrt_route_direct_response(a->t, a->r, &p);
		int qr = mrt_route_direct_response(b->t, b->r, &q);
		if (pr || qr)
			return pr == qr;
		return p.status == q.status && p.body_len == q.body_len &&
		       (!p.body_len || (p.body && q.body && memcmp(p.body, q.body, p.body_len) == 0)) &&
		       (p.body == NULL) == (q.body == NULL);
	}
	size_t na, nb;
	struct dest_key *da = dest_keys(a->t, a->r, &na), *db = dest_keys(b->t, b->r, &nb);
	bool eq = na == nb;
	for (size_t i = 0; eq && i < na; i++)
		eq = dest_key_cmp(&da[i], &db[i]) == 0;
	free(da);
	free(db);
	return eq;
}

/* Whether routing the sample on side s reaches class c's own route. */
static bool sample_faithful(const struct sample *sp, const struct rside *s,
			    const struct rclass *c)
{
	mrt_result res;
	return mrt_match_result(s->t, &sp->req, &res) == c->r && res.listener == c->li;
}

/* The route settings compared beside the outcome, as query JSON names them. */
static const char *const setting_keys[] = {
	"timeout", "retries", "fault", "mirrors", "rewrite", "corsPolicy", "headers",
};
#define NSETTING (sizeof(setting_keys) / sizeof(setting_keys[0]))

/* The settings of the two routes that differ (at most NSETTING, into out). */
static size_t settings_diff(struct arena *ar, diff_route_view *view,
			    const struct diff_outcome *o, const struct diff_outcome *n,
			    struct diff_setting *out)
{
	/* Only between two forwarding routes: a redirect or a direct
	 * response has no timeout or retries, and a change of action
	 * already shows as the outcome. */
	if (!o->r || !n->r || mrt_route_action(o->t, o->r) != MRT_ACTION_ROUTE ||
	    mrt_route_action(n->t, n->r) != MRT_ACTION_ROUTE)
		return 0;
	json_t *a = view(o->t, o->r, false);
	json_t *b = view(n->t, n->r, false);
	size_t k = 0;
	for (size_t i = 0; i < NSETTING; i++) {
		json_t *x = json_object_get(a, setting_keys[i]);
		json_t *y = json_object_get(b, setting_keys[i]);
		if (json_equal(x, y))
			continue;
		char *xs = json_dumps(x, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));
		char *ys = json_dumps(y, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));
		out[k++] = (struct diff_setting){
			setting_keys[i], arena_strdup(ar, xs ? xs : "null"),
			arena_strdup(ar, ys ? ys : "null"),
		};
		free(xs);
		free(ys);
	}
	json_decref(a);
	json_decref(b);
	return k;
}

static void add_entry(struct diff_result *d, const struct rclass *c,
		      const struct diff_outcome *o, const struct diff_outcome *n,
		      const struct diff_setting *set, size_t nset)
{
	struct diff_setting *copy = NULL;
	if (nset) {
		copy = arena_alloc(&d->arena, nset * sizeof(*copy));
		memcpy(copy, set, nset * sizeof(*copy));
	}
	GROW(d->routes, d->nroutes, d->cap_routes);
	d->routes[d->nroutes++] = (struct diff_route){
		.listener = c->listener, .host = c->host, .match = c->match,
		.oldo = *o, .newo = *n, .settings = copy, .nsettings = nset,
	};
}

/* Compares one class (ca on the old side and/or cb on the new one). */
static void compare_class(struct diff_result *d, struct sample *sp,
			  const struct rside *so, const struct rside *sn,
			  const struct rclass *ca, const struct rclass *cb)
{
	struct diff_outcome o = { so->t, NULL }, n = { sn->t, NULL };
	const struct rclass *def = ca ? ca : cb;
	const struct rside *ds = ca ? so : sn;
	sample_build(sp, ds, def);
	bool faithful = sp->ok && ((ca && sample_faithful(sp, so, ca)) ||
				   (cb && sample_faithful(sp, sn, cb)));
	if (faithful) {
		o.r = mrt_match(so->t, &sp->req);
		n.r = mrt_match(sn->t, &sp->req);
	} else {
		o.r = ca ? ca->r : NULL;
		n.r = cb ? cb->r : NULL;
	}
	struct diff_setting set[NSETTING];
	size_t nset = settings_diff(&d->arena, d->route_view, &o, &n, set);
	if (nset || !outcome_eq(&o, &n))
		add_entry(d, def, &o, &n, set, nset);
}

static int route_entry_cmp(const void *x, const void *y)
{
	const struct diff_route *a = x, *b = y;
	int r = a->listener == b->listener ? 0 : strcmp(a->listener, b->listener);
	if (!r)
		r = sn_cmp(a->host, b->host);
	if (!r)
		r = strcmp(a->match, b->match);
	return r;
}

void diff_routes(struct diff_result *d, const mrt_table *oldt,
		 const mrt_table *newt, const struct host_set *only)
{
	struct lnames names = { 0 };
	struct rside so = { .t = oldt, .names = &names }, sn = { .t = newt, .names = &names };
	side_collect(&so, &d->arena, only);
	side_collect(&sn, &d->arena, only);
	struct sample *sp = xmalloc(sizeof(*sp));
	size_t first = d->nroutes;
	for (size_t i = 0; i < so.n; i++) {
		struct rclass *ca = &so.cls[i];
		size_t j = side_find(&sn, ca);
		ca->other = j;
		if (j != NONE)
			sn.cls[j].other = i;
		compare_class(d, sp, &so, &sn, ca, j != NONE ? &sn.cls[j] : NULL);
	}
	for (size_t j = 0; j < sn.n; j++)
		if (sn.cls[j].other == NONE)
			compare_class(d, sp, &so, &sn, NULL, &sn.cls[j]);
	if (d->nroutes > first)
		qsort(d->routes + first, d->nroutes - first, sizeof(*d->routes),
		      route_entry_cmp);
	free(sp);
	free(so.cls);
	free(sn.cls);
	lnames_release(&names);
	free(so.slots);
	free(sn.slots);
}
