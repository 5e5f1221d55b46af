/*
 * Unreachable rules and ineffective matches of a VirtualService (istio.md
 * §2.5): IST0130 VirtualServiceUnreachableRule and IST0131
 * VirtualServiceIneffectiveMatch, as Istio's validation computes them in
 * analyzeUnreachable{HTTP,TCP,TLS}Rules and istioctl analyze re-renders
 * them. The http, tcp and tls route lists are analysed separately:
 *
 *   - a route without matches is a catch-all; a second one is unreachable,
 *     and so is every route with matches after one;
 *   - a match equal to a match of an earlier route (or an earlier match of
 *     the same route) is ineffective; a route whose matches are all such
 *     duplicates is unreachable. Istio compares matches by their JSON
 *     serialisation with an HTTP match's `name` cleared; here each match is
 *     reduced to a canonical string (keys as protojson reads them, fields Go
 *     omits when empty left out, map keys sorted, numbers by value), which
 *     is equal exactly when the decoded matches would serialise equally.
 *     Matches are first compared by a hash of that form, computed without
 *     building it; the strings are built only for matches whose hashes are
 *     equal;
 *   - an HTTP match with a `uri.prefix` is ineffective when an earlier
 *     match (same route or earlier) has a prefix of that prefix and Istio's
 *     coveredValidation() accepts the other conditions (port, method with a
 *     missing method read as GET, authority, headers, queryParams,
 *     withoutHeaders). Istio's comparison of those conditions is loose and
 *     partly backwards; it is reproduced as it is, so the diagnostics match
 *     what Istio reports.
 *
 * Names in messages are Istio's: an HTTP route or match with a `name` is
 * shown Go-quoted, anything else as #<index>. They are rendered only when
 * a diagnostic needs them.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "checks.h"
#include "fields.h"

/* Deeper than any document the front end lets through; guards recursion. */
#define CANON_MAX_DEPTH 512

#define FNV_OFFSET 1469598103934665603ull
#define FNV_PRIME 1099511628211ull

enum route_family {
	FAMILY_HTTP,
	FAMILY_TCP,
	FAMILY_TLS,
};

/* A growable byte buffer on the heap. */
struct sbuf {
	char *s;
	size_t len, cap;
};

/* A byte string that may hold NULs (Go string semantics). */
struct str {
	const char *s;
	size_t len;
};

/* A match seen before (Istio's matchesEncountered). */
struct seen_match {
	const struct node *match;  /* the match item (NULL for a null item) */
	uint64_t hash;             /* canon_hash() of it */
	struct str canon;          /* its canonical string, once built ({NULL, 0} before) */
	const struct node *route;  /* the route that had it first, */
	size_t route_index;        /* and that route's index (for its name) */
};

/*
 * A StringMatch as assignExactOrPrefix renders it: "exact:v", "prefix:v"
 * or "" (SM_NONE). One rendering starts with another exactly when the
 * other is "", or both have the same kind and the first value starts with
 * the second.
 */
enum sm_kind {
	SM_NONE,
	SM_EXACT,
	SM_PREFIX,
};

struct sm {
	enum sm_kind kind;
	struct str v;
};

/* One key of a headers/queryParams/withoutHeaders map and its rendered value. */
struct kv {
	struct str key;
	struct sm value;
};

/* An HTTP match with a uri prefix (OverlappingMatchValidationForHTTPRoute). */
struct prefix_match {
	const struct node *at;     /* the match item, where IST0131 points */
	const struct node *route;  /* its route and the indexes naming both */
	size_t route_index, match_index;
	struct str prefix;
	long long port;
	struct sm method;
	struct sm authority;
	struct kv *headers, *query, *without;
	size_t nheaders, nquery, nwithout;
	bool scoped;               /* sourceLabels, sourceNamespace, gateways or
				      scheme: not every request can match it */
	bool ignore_case;          /* ignoreUriCase */
};

static void sbuf_grow(struct sbuf *b, size_t more)
{
	if (more > SIZE_MAX / 2 - b->len)
		die_oom();
	if (b->len + more <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + more)
		cap *= 2;
	b->s = xrealloc(b->s, cap);
	b->cap = cap;
}

static void sbuf_add(struct sbuf *b, const char *s, size_t len)
{
	sbuf_grow(b, len + 1);
	if (len)
		memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
}

/* Copies the buffer into `a` (NUL-terminated) and empties it. */
static struct str sbuf_take(struct sbuf *b, struct arena *a)
{
	struct str r = { arena_strndup(a, b->s ? b->s : "", b->len), b->len };
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
	return r;
}

static bool str_has_prefix(struct str s, struct str p)
{
	return s.len >= p.len && memcmp(s.s, p.s, p.len) == 0;
}

static bool str_eq(struct str a, struct str b)
{
	return a.len == b.len && memcmp(a.s, b.s, a.len) == 0;
}

/* The text of a string scalar as a struct str; {NULL, 0} otherwise. */
static struct str node_string(const struct node *n)
{
	struct str r = { NULL, 0 };
	if (n && n->type == NODE_STR && n->text) {
		r.s = n->text;
		r.len = n->len;
	}
	return r;
}

/* A map key folded as a field name reads (field_fold_next) into `out`
 * (never longer than the key); its length. */
static size_t fold_field_name(const struct node *key, char *out)
{
	size_t n = 0;
	for (size_t i = 0; key->text && i < key->len;)
		out[n++] = field_fold_next(key->text, key->len, &i);
	return n;
}

/* Fields of a match that hold maps (Go omits them when empty). */
static bool is_map_field(struct str name)
{
	static const char *const maps[] = {
		"headers", "queryParams", "withoutHeaders", "sourceLabels",
	};
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (name.len == strlen(maps[i]) && memcmp(name.s, maps[i], name.len) == 0)
			return true;
	return false;
}

static bool str_is(struct str s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.s, lit, s.len) == 0;
}

/* Parses a decimal integer (optional sign) spanning the whole string. */
static bool parse_int(const char *s, size_t len, long long *out)
{
	size_t i = 0;
	bool neg = false;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i == len)
		return false;
	unsigned long long v = 0;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (ULLONG_MAX - 9) / 10)
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > (unsigned long long)LLONG_MAX)
		return false;
	*out = neg ? -(long long)v : (long long)v;
	return true;
}

/*
 * The integer an integer field holds: YAML integers, integral floats, and
 * strings holding an integer (Istio's decoder accepts quoted integers).
 * Returns false for anything else.
 */
static bool node_integer(const struct node *n, long long *out)
{
	if (!n)
		return false;
	switch (n->type) {
	case NODE_INT:
		if (n->int_overflow)
			return false;
		*out = node_ival(n);
		return true;
	case NODE_FLOAT:
		if (isfinite(node_dval(n)) && node_dval(n) == floor(node_dval(n)) &&
		    fabs(node_dval(n)) < 9.2e18) {
			*out = (long long)node_dval(n);
			return true;
		}
		return false;
	case NODE_STR:
		return n->text && parse_int(n->text, n->len, out);
	default:
		return false;
	}
}

/*
 * Where a canonical form goes. String mode (b set) appends it to b; hash
 * mode (b NULL) folds it into h without building it, reading each map's
 * entries as a multiset (their hashes summed), so that two matches whose
 * canonical strings are equal always have equal hashes.
 */
struct canon_out {
	struct sbuf *b;
	uint64_t h;
};

static void out_add(struct canon_out *o, const char *s, size_t len)
{
	if (o->b) {
		sbuf_add(o->b, s, len);
		return;
	}
	uint64_t h = o->h;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= FNV_PRIME;
	}
	o->h = h;
}

static void out_addc(struct canon_out *o, char c)
{
	out_add(o, &c, 1);
}

/* An unsigned number in decimal, as printf's %llu writes it. */
static void out_uint(struct canon_out *o, unsigned long long v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out_add(o, tmp + i, sizeof(tmp) - i);
}

/* "#v;": an integer value, as printf's "#%lld;" writes it. */
static void out_integer(struct canon_out *o, long long v)
{
	out_addc(o, '#');
	if (v < 0) {
		out_addc(o, '-');
		out_uint(o, 0ull - (unsigned long long)v);
	} else {
		out_uint(o, (unsigned long long)v);
	}
	out_addc(o, ';');
}

static void canon_number(struct canon_out *o, const struct node *n)
{
	long long v;
	if (node_integer(n, &v) && n->type != NODE_STR) {
		out_integer(o, v);
	} else if (n->type == NODE_FLOAT && !isnan(node_dval(n))) {
		char tmp[64];
		int len = snprintf(tmp, sizeof(tmp), "#%.17g;", node_dval(n));
		out_add(o, tmp, len > 0 && (size_t)len < sizeof(tmp) ? (size_t)len : 0);
	} else {
		/* Overflowing integers and NaN: compare by their text. */
		out_add(o, "#~", 2);
		out_add(o, n->text ? n->text : "", n->text ? n->len : 0);
		out_addc(o, ';');
	}
}

/* "s<len>:<bytes>" */
static void canon_string(struct canon_out *o, struct str s)
{
	out_addc(o, 's');
	out_uint(o, s.len);
	out_addc(o, ':');
	out_add(o, s.s ? s.s : "", s.len);
}

enum canon_ctx {
	CTX_STRUCT,        /* a proto message: field names folded, empty fields omitted */
	CTX_HTTP_MATCH,    /* an HTTPMatchRequest: as CTX_STRUCT, `name` ignored */
	CTX_ONEOF,         /* StringMatch: its one field is kept even when empty */
	CTX_MAP,           /* a proto map: keys verbatim, every entry kept */
};

static void canon_node(struct canon_out *o, const struct node *n, enum canon_ctx ctx,
		       struct str field, unsigned depth);

/* Would Go's json.Marshal omit this field (omitempty on the proto struct)? */
static bool field_omitted(const struct node *v, struct str field, enum canon_ctx ctx)
{
	if (!v || v->type == NODE_NULL)
		return true;
	if (ctx == CTX_ONEOF)
		return false;
	switch (v->type) {
	case NODE_BOOL:
		return !v->bval;
	case NODE_INT:
		return !v->int_overflow && node_ival(v) == 0;
	case NODE_FLOAT:
		return node_dval(v) == 0;
	case NODE_STR: {
		long long p;
		if (str_is(field, "port") && node_integer(v, &p))
			return p == 0;
		return v->len == 0;
	}
	case NODE_SEQ:
		return v->n == 0;
	case NODE_MAP:
		/* A message field set to {} is a non-nil pointer: kept. */
		return v->n == 0 && is_map_field(field);
	default:
		return false;
	}
}

static int cmp_str(const void *pa, const void *pb)
{
	const struct str *a = pa, *b = pb;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->s, b->s, n);
	if (c)
		return c;
	return (a->len > b->len) - (a->len < b->len);
}

/* splitmix64's finaliser: spreads an entry's hash before it is summed. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/*
 * Appends the canonical form of a mapping: every kept entry encoded as
 * key then value, the entries sorted, so key order does not matter. In
 * hash mode the entries' hashes are summed instead of sorted.
 */
static void canon_map(struct canon_out *o, const struct node *n, enum canon_ctx ctx,
		      unsigned depth)
{
	struct str *entries = o->b ? xcalloc(n->n ? n->n : 1, sizeof(*entries)) : NULL;
	size_t ne = 0;
	uint64_t sum = 0;
	char small[64];
	char *kbuf = small;
	const struct str none = { "", 0 };
	for (size_t i = 0; i < n->n; i++) {
		const struct node *k = n->pairs[i].key;
		const struct node *v = n->pairs[i].value;
		struct str kname = none;
		if (ctx == CTX_MAP) {
			if (k && k->text)
				kname = (struct str){ k->text, k->len };
		} else if (k) {
			/* The folded name is at most as long as the key. */
			size_t klen = k->text ? k->len : 0;
			if (klen > sizeof(small)) {
				if (kbuf != small)
					free(kbuf);
				kbuf = xmalloc(klen);
			}
			kname = (struct str){ kbuf, fold_field_name(k, kbuf) };
		}
		if (ctx == CTX_HTTP_MATCH && str_is(kname, "name"))
			continue;
		if (ctx != CTX_MAP && field_omitted(v, kname, ctx))
			continue;
		struct sbuf entry = { 0 };
		struct canon_out e = { o->b ? &entry : NULL, FNV_OFFSET };
		canon_string(&e, kname);
		/*
		 * Message-typed fields of a match (uri, method, ...) and the
		 * values of its maps are StringMatch, a oneof; the maps are
		 * headers, queryParams, withoutHeaders and sourceLabels.
		 */
		enum canon_ctx child = ctx != CTX_MAP && is_map_field(kname) ?
				       CTX_MAP : CTX_ONEOF;
		/* Integer fields by name apply to messages, not to map keys. */
		struct str fname = ctx == CTX_MAP ? none : kname;
		canon_node(&e, v, child, fname, depth + 1);
		if (o->b) {
			entries[ne].s = entry.s ? entry.s : xstrdup("");
			entries[ne].len = entry.len;
		} else {
			sum += mix64(e.h);
		}
		ne++;
	}
	if (kbuf != small)
		free(kbuf);
	out_addc(o, '{');
	if (!o->b) {
		out_uint(o, ne);
		out_addc(o, ':');
		for (int i = 0; i < 8; i++)
			out_addc(o, (char)(sum >> (8 * i)));
		out_addc(o, '}');
		return;
	}
	qsort(entries, ne, sizeof(*entries), cmp_str);
	for (size_t i = 0; i < ne; i++) {
		out_uint(o, entries[i].len);
		out_addc(o, ':');
		out_add(o, entries[i].s, entries[i].len);
		free((char *)entries[i].s);
	}
	out_addc(o, '}');
	free(entries);
}

/*
 * Appends the canonical form of `n`. `ctx` says how a mapping is read;
 * `field` is the name of the field holding `n` (for integer fields
 * written as quoted strings). A missing node encodes as null.
 */
static void canon_node(struct canon_out *o, const struct node *n, enum canon_ctx ctx,
		       struct str field, unsigned depth)
{
	if (depth > CANON_MAX_DEPTH) {
		out_addc(o, '!');
		return;
	}
	if (!n) {
		out_addc(o, 'n');
		return;
	}
	switch (n->type) {
	case NODE_NULL:
		out_addc(o, 'n');
		break;
	case NODE_BOOL:
		out_addc(o, n->bval ? 't' : 'f');
		break;
	case NODE_INT:
	case NODE_FLOAT:
		canon_number(o, n);
		break;
	case NODE_STR: {
		long long v;
		if (str_is(field, "port") && node_integer(n, &v))
			out_integer(o, v);
		else
			canon_string(o, node_string(n));
		break;
	}
	case NODE_SEQ:
		out_addc(o, '[');
		for (size_t i = 0; i < n->n; i++) {
			/* List items are scalars or messages, never oneofs. */
			canon_node(o, n->items[i], CTX_STRUCT, field, depth + 1);
			out_addc(o, ',');
		}
		out_addc(o, ']');
		break;
	case NODE_MAP:
		canon_map(o, n, ctx, depth);
		break;
	}
}

/* The canonical form of a whole match item into `o`. */
static void canon_match_to(struct canon_out *o, const struct node *match,
			   enum route_family fam)
{
	struct str none = { "", 0 };
	if (match && match->type == NODE_MAP)
		canon_map(o, match, fam == FAMILY_HTTP ? CTX_HTTP_MATCH : CTX_STRUCT, 0);
	else
		canon_node(o, match, CTX_STRUCT, none, 0);
}

/* The canonical string of a match item, in `a`. */
static struct str canon_match(struct arena *a, const struct node *match,
			      enum route_family fam)
{
	struct sbuf b = { 0 };
	struct canon_out o = { &b, 0 };
	canon_match_to(&o, match, fam);
	struct str r = sbuf_take(&b, a);
	free(b.s);
	return r;
}

/* The hash of a match item's canonical form (equal forms, equal hashes). */
static uint64_t canon_hash(const struct node *match, enum route_family fam)
{
	struct canon_out o = { NULL, FNV_OFFSET };
	canon_match_to(&o, match, fam);
	return o.h;
}

/*
 * Whether match `m` has the canonical form of seen match `s`: builds
 * both strings (once for `s`) in `a`. Called only when the hashes agree.
 */
static bool same_match(struct arena *a, struct seen_match *s, const struct node *m,
		       enum route_family fam)
{
	if (!s->canon.s)
		s->canon = canon_match(a, s->match, fam);
	return str_eq(s->canon, canon_match(a, m, fam));
}

/* routeName / requestName: a non-empty string `name` quoted, else #index. */
static const char *item_name(struct arena *a, const struct node *item,
			     size_t index, enum route_family fam)
{
	if (fam == FAMILY_HTTP && item && item->type == NODE_MAP) {
		struct str name = node_string(node_get(item, "name"));
		if (name.len)
			return prim_go_quote_n(a, name.s, name.len);
	}
	return arena_printf(a, "#%zu", index);
}

/* assignExactOrPrefix on a StringMatch node. */
static struct sm read_exact_or_prefix(const struct node *sm)
{
	struct sm r = { SM_NONE, { "", 0 } };
	struct str exact = node_string(field_raw(sm, "exact"));
	if (exact.len) {
		r.kind = SM_EXACT;
		r.v = exact;
		return r;
	}
	struct str prefix = node_string(field_raw(sm, "prefix"));
	if (prefix.len) {
		r.kind = SM_PREFIX;
		r.v = prefix;
	}
	return r;
}

/* The entries of a headers-like map with their rendered values, in `a`. */
static struct kv *read_map(struct arena *a, const struct node *map, size_t *n)
{
	*n = 0;
	if (!map || map->type != NODE_MAP || map->n == 0)
		return NULL;
	struct kv *kv = arena_alloc(a, map->n * sizeof(*kv));
	for (size_t i = 0; i < map->n; i++) {
		const struct node *k = map->pairs[i].key;
		kv[i].key.s = k && k->text ? k->text : "";
		kv[i].key.len = k && k->text ? k->len : 0;
		kv[i].value = read_exact_or_prefix(map->pairs[i].value);
	}
	*n = map->n;
	return kv;
}

/*
 * genMatchHTTPRoutes: the overlap record of an HTTP match, or false when
 * the match has no non-empty uri prefix.
 */
static bool prefix_match_make(struct arena *a, struct prefix_match *pm,
			      const struct node *match, const struct node *route,
			      size_t route_index, size_t match_index)
{
	if (!match || match->type != NODE_MAP)
		return false;
	struct str prefix = node_string(field_raw(field_raw(match, "uri"), "prefix"));
	if (prefix.len == 0)
		return false;
	memset(pm, 0, sizeof(*pm));
	pm->at = match;
	pm->route = route;
	pm->route_index = route_index;
	pm->match_index = match_index;
	pm->prefix = prefix;
	if (!node_integer(field_raw(match, "port"), &pm->port))
		pm->port = 0;
	pm->method = read_exact_or_prefix(field_raw(match, "method"));
	if (pm->method.kind == SM_NONE) {
		/* No method (or a regex one) counts as GET. */
		pm->method.kind = SM_EXACT;
		pm->method.v.s = "GET";
		pm->method.v.len = 3;
	}
	pm->authority = read_exact_or_prefix(field_raw(match, "authority"));
	pm->headers = read_map(a, field_raw(match, "headers"), &pm->nheaders);
	pm->query = read_map(a, field_raw(match, "queryParams"), &pm->nquery);
	pm->without = read_map(a, field_raw(match, "withoutHeaders"), &pm->nwithout);
	static const char *const scopes[] = { "sourceLabels", "sourceNamespace", "gateways", "scheme" };
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		const struct node *v = field_raw(match, scopes[i]);
		pm->scoped |= v && v->type != NODE_NULL &&
			      !((v->type == NODE_MAP || v->type == NODE_SEQ) && v->n == 0) &&
			      !(v->type == NODE_STR && !*v->text);
	}
	const struct node *ic = field_raw(match, "ignoreUriCase");
	pm->ignore_case = ic && ic->type == NODE_BOOL && ic->bval;
	return true;
}

/*
 * Istio's condition test on the rendered values: equal, or a's value
 * starts with b's (see struct sm for why this reads the kinds so).
 */
static bool value_covered(struct sm a, struct sm b)
{
	if (b.kind == SM_NONE)
		return true;
	return a.kind == b.kind && str_has_prefix(a.v, b.v);
}

static bool maps_covered(const struct kv *a, size_t na, const struct kv *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		const struct kv *found = NULL;
		for (size_t j = 0; j < nb && !found; j++)
			if (str_eq(a[i].key, b[j].key))
				found = &b[j];
		if (!found || !value_covered(a[i].value, found->value))
			return false;
	}
	return true;
}

/*
 * coveredValidation(vA, vB): does earlier match a cover later match b?
 * Unlike Istio, a match that only some requests can reach (sourceLabels,
 * sourceNamespace, gateways or scheme: another caller, gateway or scheme
 * still reaches b), or that compares the path's case where b does not,
 * covers nothing: Istio's warning would be a false positive there.
 */
static bool prefix_covered(const struct prefix_match *a, const struct prefix_match *b)
{
	if (a->scoped || (b->ignore_case && !a->ignore_case))
		return false;
	if (!str_has_prefix(b->prefix, a->prefix))
		return false;
	if (a->port != b->port)
		return false;
	if (!value_covered(a->method, b->method))
		return false;
	if (!value_covered(a->authority, b->authority))
		return false;
	return maps_covered(a->headers, a->nheaders, b->headers, b->nheaders) &&
	       maps_covered(a->query, a->nquery, b->query, b->nquery) &&
	       maps_covered(a->without, a->nwithout, b->without, b->nwithout);
}

static void report_unreachable(struct rule_ctx *c, const struct node *route,
			       size_t route_index, enum route_family fam,
			       const char *reason)
{
	diag_report(c->d, IST0130, c->r, route, item_name(c->a, route, route_index, fam), reason);
}

/* The prefix-overlap pass over every recorded HTTP prefix match. */
static void check_prefix_overlaps(struct rule_ctx *c,
				  const struct prefix_match *pm, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			if (str_eq(pm[i].prefix, pm[j].prefix))
				continue;   /* left to the duplicate test */
			if (!prefix_covered(&pm[i], &pm[j]))
				continue;
			const char *mine = arena_printf(c->a, "%s of prefix %s",
							item_name(c->a, pm[j].at, pm[j].match_index,
								  FAMILY_HTTP),
							pm[j].prefix.s);
			const char *theirs = arena_printf(c->a, "%s of prefix %s on %s",
							  item_name(c->a, pm[i].at, pm[i].match_index,
								    FAMILY_HTTP),
							  pm[i].prefix.s,
							  item_name(c->a, pm[i].route, pm[i].route_index,
								    FAMILY_HTTP));
			diag_report(c->d, IST0131, c->r, pm[j].at,
				    item_name(c->a, pm[j].route, pm[j].route_index, FAMILY_HTTP),
				    mine, theirs);
		}
	}
}

/*
 * analyzeUnreachable{HTTP,TCP,TLS}Rules over one route list. Temporary
 * data lives in c->a; reports go to c->d.
 */
static void analyze_routes(struct rule_ctx *c, const struct node *routes,
			   enum route_family fam)
{
	if (!routes || routes->type != NODE_SEQ)
		return;
	struct seen_match *seen = NULL;
	size_t nseen = 0, capseen = 0;
	struct prefix_match *pm = NULL;
	size_t npm = 0, cappm = 0;
	bool catch_all_seen = false;

	for (size_t ri = 0; ri < routes->n; ri++) {
		const struct node *route = routes->items[ri];
		if (!route || route->type != NODE_MAP)
			continue;   /* null routes are skipped, as Istio does */
		const struct node *matches = field_raw(route, "match");
		if (matches && matches->type != NODE_SEQ && matches->type != NODE_NULL)
			continue;   /* not a list: the schema check reports it */
		if (!matches || matches->type == NODE_NULL || matches->n == 0) {
			if (catch_all_seen)
				report_unreachable(c, route, ri, fam,
						   "only the last rule can have no matches");
			catch_all_seen = true;
			continue;
		}
		if (catch_all_seen) {
			/* Istio reports this once per match; the copies collapse. */
			report_unreachable(c, route, ri, fam,
					   "route without matches defined before");
			continue;
		}
		size_t dups = 0;
		for (size_t mi = 0; mi < matches->n; mi++) {
			const struct node *match = matches->items[mi];
			uint64_t h = canon_hash(match, fam);
			struct seen_match *prior = NULL;
			for (size_t k = 0; k < nseen && !prior; k++)
				if (seen[k].hash == h && same_match(c->a, &seen[k], match, fam))
					prior = &seen[k];
			if (prior) {
				diag_report(c->d, IST0131, c->r, match ? match : route,
					    item_name(c->a, route, ri, fam),
					    item_name(c->a, match, mi, fam),
					    item_name(c->a, prior->route, prior->route_index, fam));
				dups++;
				continue;
			}
			GROW(seen, nseen, capseen);
			seen[nseen] = (struct seen_match){
				.match = match, .hash = h, .route = route, .route_index = ri,
			};
			nseen++;
			if (fam == FAMILY_HTTP) {
				GROW(pm, npm, cappm);
				if (prefix_match_make(c->a, &pm[npm], match, route, ri, mi))
					npm++;
			}
		}
		if (dups == matches->n)
			report_unreachable(c, route, ri, fam,
					   "all matches used by prior rules");
	}
	if (npm > 1)
		check_prefix_overlaps(c, pm, npm);
	free(seen);
	free(pm);
}

void rules_vs_unreachable(struct diag_list *d, const struct resource *r)
{
	if (!r || r->kind != KIND_VIRTUAL_SERVICE || !r->spec || r->spec->type != NODE_MAP)
		return;
	/* Allocates only when there is something to report or headers to compare. */
	struct arena tmp;
	arena_init(&tmp);
	struct rule_ctx c = { d, r, &tmp };   /* names and canonical forms in tmp */
	analyze_routes(&c, field_raw(r->spec, "http"), FAMILY_HTTP);
	analyze_routes(&c, field_raw(r->spec, "tcp"), FAMILY_TCP);
	analyze_routes(&c, field_raw(r->spec, "tls"), FAMILY_TLS);
	arena_release(&tmp);
}
