/*
 * Resource-level diff: the resources of two loaded projects matched by
 * (kind, namespace, name) through a hash table. A matched pair whose
 * canonical hashes (resource.chash, computed from each tree while loading:
 * the hash of what the comparison below sees, so equal resources hash
 * equal) agree is unchanged and skipped at once; the others are parsed
 * again from their input's bytes (only the chunk of the input holding the
 * resource, yaml_chunk_at) and the trees of the pair compared in one
 * pass, recording changed fields with their paths (the syntax of
 * diagnostics' field paths, diag.c).
 *
 * What is no difference:
 *  - the order of documents, files and map keys; comments, quoting and
 *    formatting (values are compared as typed YAML 1.1 scalars: `yes` and
 *    `true` are equal, `"50"` and `50` are not; 50 and 50.0 are the same
 *    JSON number);
 *  - a key whose value is null and an absent key (the API server stores
 *    neither);
 *  - a host written short or fully qualified: in the host fields of
 *    VirtualServices (spec.hosts, every destination.host and mirror.host)
 *    and DestinationRules (spec.host), a dotless name (`reviews`, not `*`)
 *    equals name.NAMESPACE.svc.DOMAIN in the resource's namespace;
 *  - metadata the cluster writes: metadata.resourceVersion, uid,
 *    generation, creationTimestamp, managedFields, selfLink,
 *    deletionTimestamp, deletionGracePeriodSeconds, the
 *    kubectl.kubernetes.io/last-applied-configuration annotation, and the
 *    top-level status. metadata.name and metadata.namespace are the
 *    identity (a defaulted namespace equals the same one written out).
 *
 * Lists: items are matched in three stages, each on what the earlier ones
 * left:
 *  1. by identity, where the item has one: a map's `name` (HTTP routes,
 *     subsets, Service and ServiceEntry ports, matches), else its
 *     `port.name` (Gateway servers), else its `port.number`
 *     (DestinationRule portLevelSettings). A key used twice in one list is
 *     no identity for those items. An item with an identity that has no
 *     partner is added or removed, never paired by position;
 *  2. by content: equal items (hashed, so large lists stay O(n log n));
 *  3. by position: between two consecutive in-order matches, the k-th
 *     unmatched old item pairs with the k-th unmatched new one and the
 *     pair is compared field by field.
 * Matches that keep their relative order (the longest increasing
 * subsequence of old positions, in new order) are compared in place; the
 * others moved: one field entry with movedFrom (and the whole old and new
 * item when it also changed). So inserting an item at the front is one
 * addition, not a cascade of moves.
 *
 * Paths name a field where it is in NEW (list indices of NEW), a removed
 * field where it was in OLD.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"

/*
 * Where a node sits, as far as comparison cares: which keys are noise,
 * which strings are hosts, which values are secret.
 */
enum role {
	R_NONE,
	R_ROOT,
	R_META,
	R_ANNOT,
	R_VS_SPEC,
	R_VS_HOSTS,
	R_VS_IN,        /* inside a VirtualService's spec */
	R_DEST,         /* a destination or mirror map */
	R_DR_SPEC,
	R_HOST,         /* a host name: short == fully qualified */
	R_SECRET,       /* a Secret's data / stringData: never printed */
};

struct pathbuf {
	char *s;        /* heap, NUL-terminated */
	size_t len, cap;
};

struct cmp {
	struct diff_result *d;
	enum resource_kind kind;
	const char *ns, *domain;
	struct pathbuf po, pn;               /* OLD and NEW path of the current node */
	struct diff_field *fields;           /* heap, the resource being compared */
	size_t nfields, cap;
};

/* ---- paths ---- */

static void path_put(struct pathbuf *p, const char *s, size_t n)
{
	if (p->len + n + 1 > p->cap) {
		while (p->len + n + 1 > p->cap)
			p->cap = p->cap ? p->cap * 2 : 128;
		p->s = xrealloc(p->s, p->cap);
	}
	memcpy(p->s + p->len, s, n);
	p->len += n;
	p->s[p->len] = '\0';
}

/* A key can be written `.key` unless it has unusual characters (diag.c). */
static bool plain_key(const char *k, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)k[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
		      ch == '$' || ch == '@'))
			return false;
	}
	return true;
}

/* Appends `.key` or `["key"]`; returns the length to restore. */
static size_t path_key(struct pathbuf *p, const struct node *key)
{
	size_t mark = p->len;
	const char *k = key->text ? key->text : "";
	size_t n = key->text ? key->len : 0;
	if (plain_key(k, n)) {
		if (p->len)
			path_put(p, ".", 1);
		path_put(p, k, n);
		return mark;
	}
	path_put(p, "[\"", 2);
	for (size_t i = 0; i < n; i++) {
		if (k[i] == '"' || k[i] == '\\')
			path_put(p, "\\", 1);
		path_put(p, k + i, 1);
	}
	path_put(p, "\"]", 2);
	return mark;
}

static size_t path_index(struct pathbuf *p, size_t i)
{
	size_t mark = p->len;
	char b[32];
	int n = snprintf(b, sizeof(b), "[%zu]", i);
	path_put(p, b, (size_t)n);
	return mark;
}

static void path_pop(struct pathbuf *p, size_t mark)
{
	p->len = mark;
	if (p->s)
		p->s[mark] = '\0';
}

/* ---- roles ---- */

static bool key_is(const struct node *k, const char *s)
{
	return k->text && strcmp(k->text, s) == 0;
}

static enum role role_child(const struct cmp *c, enum role r, const struct node *k)
{
	switch (r) {
	case R_ROOT:
		if (key_is(k, "metadata"))
			return R_META;
		if (key_is(k, "spec"))
			return c->kind == KIND_VIRTUAL_SERVICE ? R_VS_SPEC :
			       c->kind == KIND_DESTINATION_RULE ? R_DR_SPEC : R_NONE;
		if (c->kind == KIND_SECRET &&
		    (key_is(k, "data") || key_is(k, "stringData")))
			return R_SECRET;
		return R_NONE;
	case R_META:
		return key_is(k, "annotations") ? R_ANNOT : R_NONE;
	case R_VS_SPEC:
		if (key_is(k, "hosts"))
			return R_VS_HOSTS;
		/* fall through */
	case R_VS_IN:
		return key_is(k, "destination") || key_is(k, "mirror") ? R_DEST : R_VS_IN;
	case R_DEST:
		return key_is(k, "host") ? R_HOST : R_VS_IN;
	case R_DR_SPEC:
		return key_is(k, "host") ? R_HOST : R_NONE;
	case R_SECRET:
		return R_SECRET;
	default:
		return R_NONE;
	}
}

static enum role role_item(enum role r)
{
	switch (r) {
	case R_VS_HOSTS:
		return R_HOST;
	case R_VS_SPEC:
	case R_VS_IN:
	case R_DEST:
		return R_VS_IN;
	case R_SECRET:
		return R_SECRET;
	default:
		return R_NONE;
	}
}

/* Keys that are no difference at this place (see the top comment). */
static bool skip_key(enum role r, const struct node *k)
{
	static const char *const meta[] = {
		"name", "namespace", "resourceVersion", "uid", "generation",
		"creationTimestamp", "managedFields", "selfLink",
		"deletionTimestamp", "deletionGracePeriodSeconds",
	};
	if (!k->text)
		return false;
	if (r == R_ROOT)
		return strcmp(k->text, "status") == 0;
	if (r == R_META) {
		for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++)
			if (strcmp(k->text, meta[i]) == 0)
				return true;
		return false;
	}
	if (r == R_ANNOT)
		return strcmp(k->text, "kubectl.kubernetes.io/last-applied-configuration") == 0;
	return false;
}

/*
 * A null value is no value: `key: null` equals an absent key. So is an
 * annotations map holding nothing but noise (the last-applied
 * configuration). r is the role of v.
 */
static enum role role_child(const struct cmp *c, enum role r, const struct node *k);

static const struct node *eff(const struct cmp *c, const struct node *v, enum role r)
{
	if (!v || v->type == NODE_NULL)
		return NULL;
	if (v->type == NODE_MAP && v->n && r == R_ANNOT) {
		for (size_t i = 0; i < v->n; i++) {
			const struct node *k = v->pairs[i].key;
			if (!skip_key(r, k) &&
			    eff(c, v->pairs[i].value, role_child(c, r, k)))
				return v;
		}
		return NULL;
	}
	return v;
}

/* ---- hosts ---- */

/* A dotless DNS label: the short form of a host in the namespace. */
static bool host_short(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

/* Whether full == short.NS.svc.DOMAIN. */
static bool host_expands(const struct cmp *c, const char *sh, size_t sn,
			 const char *full, size_t fn)
{
	size_t nl = strlen(c->ns), dl = strlen(c->domain);
	if (fn != sn + 1 + nl + 5 + dl)
		return false;
	const char *p = full;
	if (memcmp(p, sh, sn) != 0 || p[sn] != '.')
		return false;
	p += sn + 1;
	if (memcmp(p, c->ns, nl) != 0 || memcmp(p + nl, ".svc.", 5) != 0)
		return false;
	return memcmp(p + nl + 5, c->domain, dl) == 0;
}

static bool host_eq(const struct cmp *c, const struct node *a, const struct node *b)
{
	if (a->len == b->len && memcmp(a->text, b->text, a->len) == 0)
		return true;
	bool as = host_short(a->text, a->len), bs = host_short(b->text, b->len);
	if (as && !bs)
		return host_expands(c, a->text, a->len, b->text, b->len);
	if (bs && !as)
		return host_expands(c, b->text, b->len, a->text, a->len);
	return false;
}

/* ---- hashing and equality (the same notion of equal) ---- */

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= FNV_PRIME;
	}
	return h;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t hash_tag(uint64_t h, unsigned char tag)
{
	return fnv(h, &tag, 1);
}

static uint64_t hash_number(const struct node *n)
{
	uint64_t h = FNV_OFFSET;
	if (n->int_overflow)
		return fnv(hash_tag(h, 'O'), n->text, n->len);
	long long iv;
	if (n->type == NODE_INT) {
		iv = node_ival(n);
	} else {
		double x = node_dval(n);
		if (isnan(x))
			return hash_tag(h, 'N');
		if (!isfinite(x) || x != trunc(x) || fabs(x) >= 9.2e18) {
			if (x == 0)
				x = 0;   /* -0.0 == 0.0 */
			return fnv(hash_tag(h, 'F'), &x, sizeof(x));
		}
		iv = (long long)x;
	}
	return fnv(hash_tag(h, 'I'), &iv, sizeof(iv));
}

static uint64_t node_hash(const struct cmp *c, const struct node *n, enum role r,
			  unsigned depth)
{
	uint64_t h = FNV_OFFSET;
	if (depth > 512)
		return h;
	switch (n->type) {
	case NODE_NULL:
		return hash_tag(h, 'z');
	case NODE_BOOL:
		return hash_tag(h, n->bval ? 't' : 'f');
	case NODE_INT:
	case NODE_FLOAT:
		return hash_number(n);
	case NODE_STR:
		h = hash_tag(h, 's');
		h = fnv(h, n->text, n->len);
		if (r == R_HOST && host_short(n->text, n->len)) {
			h = fnv(h, ".", 1);
			h = fnv(h, c->ns, strlen(c->ns));
			h = fnv(h, ".svc.", 5);
			h = fnv(h, c->domain, strlen(c->domain));
		}
		return h;
	case NODE_MAP: {
		/* Order-independent: a sum over the pairs. */
		uint64_t sum = 0;
		for (size_t i = 0; i < n->n; i++) {
			const struct node *k = n->pairs[i].key;
			enum role cr = role_child(c, r, k);
			const struct node *v = eff(c, n->pairs[i].value, cr);
			if (!v || skip_key(r, k))
				continue;
			uint64_t kh = fnv(FNV_OFFSET, k->text, k->text ? k->len : 0);
			sum += mix64(kh ^ mix64(node_hash(c, v, cr, depth + 1)));
		}
		return mix64(hash_tag(h, 'm') ^ sum);
	}
	case NODE_SEQ: {
		h = hash_tag(h, 'q');
		enum role ir = role_item(r);
		for (size_t i = 0; i < n->n; i++)
			h = mix64(h ^ node_hash(c, n->items[i], ir, depth + 1));
		return h;
	}
	}
	return h;
}

static bool num_eq(const struct node *a, const struct node *b)
{
	if (a->int_overflow || b->int_overflow)
		return a->int_overflow && b->int_overflow && a->len == b->len &&
		       memcmp(a->text, b->text, a->len) == 0;
	if (a->type == NODE_INT && b->type == NODE_INT)
		return node_ival(a) == node_ival(b);
	double x = a->type == NODE_INT ? (double)node_ival(a) : node_dval(a);
	double y = b->type == NODE_INT ? (double)node_ival(b) : node_dval(b);
	if (isnan(x) || isnan(y))
		return isnan(x) && isnan(y);
	return x == y;
}

static bool is_num(const struct node *n)
{
	return n->type == NODE_INT || n->type == NODE_FLOAT;
}

static bool key_eq(const struct node *a, const struct node *b)
{
	size_t al = a->text ? a->len : 0, bl = b->text ? b->len : 0;
	return al == bl && (al == 0 || memcmp(a->text, b->text, al) == 0);
}

static int key_cmp(const struct node *a, const struct node *b)
{
	size_t al = a->text ? a->len : 0, bl = b->text ? b->len : 0;
	int r = memcmp(a->text ? a->text : "", b->text ? b->text : "", al < bl ? al : bl);
	return r ? r : (al > bl) - (al < bl);
}

/* Pair index lists for the keys of two maps (sorted merge for big maps). */
struct keypair {
	size_t ia, ib;               /* SIZE_MAX: absent on that side */
};

/* qsort_r order of pair indices of the map `ctx` by key. */
static int pair_idx_cmp(const void *x, const void *y, void *ctx)
{
	const struct node *map = ctx;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	return key_cmp(map->pairs[i].key, map->pairs[j].key);
}

/*
 * Fills *out (heap, caller frees) with the key pairing of maps a and b: b's
 * keys in b's order (ia SIZE_MAX when only in b), then a's keys missing
 * from b in a's order. Returns the number of entries.
 */
static size_t pair_keys(const struct node *a, const struct node *b,
			struct keypair **out)
{
	struct keypair *kp = xmalloc((a->n + b->n + 1) * sizeof(*kp));
	size_t n = 0;
	if (a->n <= 16 && b->n <= 16) {
		bool ua[16] = { false };
		for (size_t j = 0; j < b->n; j++) {
			size_t ia = SIZE_MAX;
			for (size_t i = 0; i < a->n; i++)
				if (!ua[i] && key_eq(a->pairs[i].key, b->pairs[j].key)) {
					ia = i;
					ua[i] = true;
					break;
				}
			kp[n++] = (struct keypair){ ia, j };
		}
		for (size_t i = 0; i < a->n; i++)
			if (!ua[i])
				kp[n++] = (struct keypair){ i, SIZE_MAX };
		*out = kp;
		return n;
	}
	size_t *sa = xmalloc((a->n + 1) * sizeof(*sa)), *sb = xmalloc((b->n + 1) * sizeof(*sb));
	size_t *b_to_a = xmalloc((b->n + 1) * sizeof(*b_to_a));
	bool *ua = xcalloc(a->n + 1, 1);
	for (size_t i = 0; i < a->n; i++)
		sa[i] = i;
	for (size_t j = 0; j < b->n; j++) {
		sb[j] = j;
		b_to_a[j] = SIZE_MAX;
	}
	qsort_r(sa, a->n, sizeof(*sa), pair_idx_cmp, (void *)a);
	qsort_r(sb, b->n, sizeof(*sb), pair_idx_cmp, (void *)b);
	for (size_t i = 0, j = 0; i < a->n && j < b->n;) {
		int r = key_cmp(a->pairs[sa[i]].key, b->pairs[sb[j]].key);
		if (r < 0) {
			i++;
		} else if (r > 0) {
			j++;
		} else {
			b_to_a[sb[j]] = sa[i];
			ua[sa[i]] = true;
			i++;
			j++;
		}
	}
	for (size_t j = 0; j < b->n; j++)
		kp[n++] = (struct keypair){ b_to_a[j], j };
	for (size_t i = 0; i < a->n; i++)
		if (!ua[i])
			kp[n++] = (struct keypair){ i, SIZE_MAX };
	free(sa);
	free(sb);
	free(b_to_a);
	free(ua);
	*out = kp;
	return n;
}

static bool node_eq(const struct cmp *c, const struct node *a, const struct node *b,
		    enum role r, unsigned depth);

static bool map_eq(const struct cmp *c, const struct node *a, const struct node *b,
		   enum role r, unsigned depth)
{
	/* Fast path: the same keys in the same order. */
	bool same = a->n == b->n;
	for (size_t i = 0; same && i < a->n; i++)
		same = key_eq(a->pairs[i].key, b->pairs[i].key);
	if (same) {
		for (size_t i = 0; i < a->n; i++) {
			const struct node *k = a->pairs[i].key;
			if (skip_key(r, k))
				continue;
			enum role cr = role_child(c, r, k);
			const struct node *av = eff(c, a->pairs[i].value, cr);
			const struct node *bv = eff(c, b->pairs[i].value, cr);
			if (!av || !bv) {
				if (av || bv)
					return false;
				continue;
			}
			if (!node_eq(c, av, bv, cr, depth + 1))
				return false;
		}
		return true;
	}
	struct keypair *kp;
	size_t n = pair_keys(a, b, &kp);
	bool eq = true;
	for (size_t i = 0; eq && i < n; i++) {
		const struct node *k = kp[i].ib != SIZE_MAX ? b->pairs[kp[i].ib].key :
				       a->pairs[kp[i].ia].key;
		if (skip_key(r, k))
			continue;
		enum role cr = role_child(c, r, k);
		const struct node *av = kp[i].ia != SIZE_MAX ? eff(c, a->pairs[kp[i].ia].value, cr) : NULL;
		const struct node *bv = kp[i].ib != SIZE_MAX ? eff(c, b->pairs[kp[i].ib].value, cr) : NULL;
		if (!av || !bv)
			eq = !av && !bv;
		else
			eq = node_eq(c, av, bv, cr, depth + 1);
	}
	free(kp);
	return eq;
}

/* Equality as the diff sees it (the top comment's rules). */
static bool node_eq(const struct cmp *c, const struct node *a, const struct node *b,
		    enum role r, unsigned depth)
{
	if (a == b)
		return true;
	if (depth > 512)
		return false;
	if (is_num(a) && is_num(b))
		return num_eq(a, b);
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case NODE_NULL:
		return true;
	case NODE_BOOL:
		return a->bval == b->bval;
	case NODE_STR:
		if (r == R_HOST)
			return host_eq(c, a, b);
		return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
	case NODE_MAP:
		return map_eq(c, a, b, r, depth);
	case NODE_SEQ: {
		if (a->n != b->n)
			return false;
		enum role ir = role_item(r);
		for (size_t i = 0; i < a->n; i++)
			if (!node_eq(c, a->items[i], b->items[i], ir, depth + 1))
				return false;
		return true;
	}
	default:
		return false;
	}
}

/* ---- recording fields ---- */

static void add_field(struct cmp *c, bool removal, bool moved,
		      const struct node *oldv, const struct node *newv, enum role r)
{
	GROW(c->fields, c->nfields, c->cap);
	struct diff_field *f = &c->fields[c->nfields++];
	struct arena *a = &c->d->arena;
	const struct pathbuf *p = removal ? &c->po : &c->pn;
	f->path = arena_strndup(a, p->s ? p->s : "", p->len);
	f->moved_from = moved ? arena_strndup(a, c->po.s ? c->po.s : "", c->po.len) : NULL;
	f->oldv = oldv;
	f->newv = newv;
	f->redact = r == R_SECRET;
}

/* ---- the comparison ---- */

static void cmp_node(struct cmp *c, const struct node *a, const struct node *b,
		     enum role r, unsigned depth);

static void cmp_map(struct cmp *c, const struct node *a, const struct node *b,
		    enum role r, unsigned depth)
{
	struct keypair *kp;
	size_t n = pair_keys(a, b, &kp);
	for (size_t i = 0; i < n; i++) {
		const struct node *k = kp[i].ib != SIZE_MAX ? b->pairs[kp[i].ib].key :
				       a->pairs[kp[i].ia].key;
		if (skip_key(r, k))
			continue;
		enum role cr = role_child(c, r, k);
		const struct node *av = kp[i].ia != SIZE_MAX ? eff(c, a->pairs[kp[i].ia].value, cr) : NULL;
		const struct node *bv = kp[i].ib != SIZE_MAX ? eff(c, b->pairs[kp[i].ib].value, cr) : NULL;
		if (!av && !bv)
			continue;
		size_t mo = path_key(&c->po, k), mn = path_key(&c->pn, k);
		if (av && bv)
			cmp_node(c, av, bv, cr, depth + 1);
		else
			add_field(c, !bv, false, av, bv, cr);
		path_pop(&c->po, mo);
		path_pop(&c->pn, mn);
	}
	free(kp);
}

/* The identity of a list item (see the top comment); false if none. */
static bool item_identity(const struct node *it, char *tag, const char **s, size_t *len)
{
	if (it->type != NODE_MAP)
		return false;
	const struct node *v = node_get(it, "name");
	if (v && v->type == NODE_STR) {
		*tag = 'n';
		*s = v->text;
		*len = v->len;
		return true;
	}
	const struct node *port = node_get(it, "port");
	if (port && port->type == NODE_MAP) {
		v = node_get(port, "name");
		if (v && v->type == NODE_STR) {
			*tag = 'p';
			*s = v->text;
			*len = v->len;
			return true;
		}
		v = node_get(port, "number");
		if (v && v->type == NODE_INT) {
			*tag = '#';
			*s = v->text;
			*len = v->len;
			return true;
		}
	}
	return false;
}

struct ident_ent {
	char tag;
	const char *s;
	size_t len;
	int side;                    /* 0 old, 1 new */
	size_t idx;
};

static int ident_cmp(const void *x, const void *y)
{
	const struct ident_ent *a = x, *b = y;
	if (a->tag != b->tag)
		return a->tag < b->tag ? -1 : 1;
	int r = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
	if (r)
		return r;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	if (a->side != b->side)
		return a->side - b->side;
	return (a->idx > b->idx) - (a->idx < b->idx);
}

struct hash_ent {
	uint64_t h;
	int side;
	size_t idx;
};

static int hash_ent_cmp(const void *x, const void *y)
{
	const struct hash_ent *a = x, *b = y;
	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	if (a->side != b->side)
		return a->side - b->side;
	return (a->idx > b->idx) - (a->idx < b->idx);
}

#define NONE SIZE_MAX

/*
 * Marks inplace[j] for the matches (mn[j] != NONE) that form a longest
 * increasing subsequence of old indices in new order. Among the longest,
 * one keeping the most items at their own index is chosen for lists of
 * up to LIS_DP items (so swapping two items moves those two, not a third
 * one between them); longer lists use patience sorting, O(k log k).
 */
#define LIS_DP 512

static void mark_in_order(const size_t *mn, size_t m, bool *inplace)
{
	size_t *prev = xmalloc((m + 1) * sizeof(*prev));
	size_t best_end = NONE;
	if (m <= LIS_DP) {
		/* score = length * (m + 1) + items at their own index */
		size_t *score = xmalloc((m + 1) * sizeof(*score));
		size_t best = 0;
		for (size_t j = 0; j < m; j++) {
			if (mn[j] == NONE)
				continue;
			size_t own = (mn[j] == j) ? 1 : 0;
			score[j] = (m + 1) + own;
			prev[j] = NONE;
			for (size_t q = 0; q < j; q++)
				if (mn[q] != NONE && mn[q] < mn[j] &&
				    score[q] + (m + 1) + own > score[j]) {
					score[j] = score[q] + (m + 1) + own;
					prev[j] = q;
				}
			if (score[j] > best) {
				best = score[j];
				best_end = j;
			}
		}
		free(score);
	} else {
		size_t *tails = xmalloc((m + 1) * sizeof(*tails));
		size_t len = 0;
		for (size_t j = 0; j < m; j++) {
			if (mn[j] == NONE)
				continue;
			size_t lo = 0, hi = len;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (mn[tails[mid]] < mn[j])
					lo = mid + 1;
				else
					hi = mid;
			}
			prev[j] = lo ? tails[lo - 1] : NONE;
			tails[lo] = j;
			if (lo == len)
				len++;
		}
		best_end = len ? tails[len - 1] : NONE;
		free(tails);
	}
	for (size_t j = best_end; j != NONE; j = prev[j])
		inplace[j] = true;
	free(prev);
}

/*
 * The list matching of the top comment. mo[i] is old item i's partner in
 * new (NONE), mn[j] new item j's; inplace[j] says the pair of new item j
 * is compared in place (else it moved).
 */
static void match_items(struct cmp *c, const struct node *a, const struct node *b,
			enum role ir, size_t *mo, size_t *mn, bool *inplace)
{
	size_t n = a->n, m = b->n;
	bool *ido = xcalloc(n + 1, 1), *idn = xcalloc(m + 1, 1);
	for (size_t i = 0; i < n; i++)
		mo[i] = NONE;
	for (size_t j = 0; j < m; j++) {
		mn[j] = NONE;
		inplace[j] = false;
	}

	/* 1. identity */
	struct ident_ent *ie = xmalloc((n + m + 1) * sizeof(*ie));
	size_t ni = 0;
	for (int side = 0; side < 2; side++) {
		const struct node *l = side ? b : a;
		for (size_t i = 0; i < l->n; i++) {
			struct ident_ent e = { .side = side, .idx = i };
			if (item_identity(l->items[i], &e.tag, &e.s, &e.len))
				ie[ni++] = e;
		}
	}
	qsort(ie, ni, sizeof(*ie), ident_cmp);
	for (size_t s = 0; s < ni;) {
		size_t e = s + 1;
		while (e < ni && ie[e].tag == ie[s].tag && ie[e].len == ie[s].len &&
		       memcmp(ie[e].s, ie[s].s, ie[s].len) == 0)
			e++;
		size_t olds = 0, news = 0;
		for (size_t k = s; k < e; k++)
			*(ie[k].side ? &news : &olds) += 1;
		if (olds <= 1 && news <= 1) {
			for (size_t k = s; k < e; k++)
				*(ie[k].side ? &idn[ie[k].idx] : &ido[ie[k].idx]) = true;
			if (olds == 1 && news == 1) {
				mo[ie[s].idx] = ie[s + 1].idx;
				mn[ie[s + 1].idx] = ie[s].idx;
			}
		}
		s = e;
	}
	free(ie);

	/* 2. content */
	struct hash_ent *he = xmalloc((n + m + 1) * sizeof(*he));
	size_t nh = 0;
	for (size_t i = 0; i < n; i++)
		if (mo[i] == NONE)
			he[nh++] = (struct hash_ent){ node_hash(c, a->items[i], ir, 0), 0, i };
	for (size_t j = 0; j < m; j++)
		if (mn[j] == NONE)
			he[nh++] = (struct hash_ent){ node_hash(c, b->items[j], ir, 0), 1, j };
	qsort(he, nh, sizeof(*he), hash_ent_cmp);
	for (size_t s = 0; s < nh;) {
		size_t e = s + 1;
		while (e < nh && he[e].h == he[s].h)
			e++;
		/* olds come first in the run (side 0), in index order */
		size_t q0 = s;   /* first old of the run not yet paired */
		for (size_t k = s; k < e; k++) {
			if (he[k].side != 1)
				continue;
			size_t j = he[k].idx;
			while (q0 < e && he[q0].side == 0 && mo[he[q0].idx] != NONE)
				q0++;
			for (size_t q = q0; q < e && he[q].side == 0; q++) {
				size_t i = he[q].idx;
				if (mo[i] == NONE && node_eq(c, a->items[i], b->items[j], ir, 0)) {
					mo[i] = j;
					mn[j] = i;
					break;
				}
			}
		}
		s = e;
	}
	free(he);

	/* Which matches keep their order: the longest increasing subsequence
	 * of old indices in new order. */
	mark_in_order(mn, m, inplace);

	/* 3. position, between consecutive in-place matches */
	size_t pi = 0, pj = 0;    /* the gap starts here (after the last anchor) */
	for (size_t j = 0; j <= m; j++) {
		if (j < m && !(mn[j] != NONE && inplace[j]))
			continue;
		size_t ei = j < m ? mn[j] : n;   /* the gap ends before (ei, j) */
		size_t i = pi;
		for (size_t q = pj; q < j; q++) {
			if (mn[q] != NONE || idn[q])
				continue;
			while (i < ei && (mo[i] != NONE || ido[i]))
				i++;
			if (i >= ei)
				break;
			mo[i] = q;
			mn[q] = i;
			inplace[q] = true;
			i++;
		}
		if (j < m) {
			pi = mn[j] + 1;
			pj = j + 1;
		}
	}
	free(ido);
	free(idn);
}

static void cmp_seq(struct cmp *c, const struct node *a, const struct node *b,
		    enum role r, unsigned depth)
{
	enum role ir = role_item(r);
	size_t n = a->n, m = b->n;
	size_t *mo = xmalloc((n + 1) * sizeof(*mo)), *mn = xmalloc((m + 1) * sizeof(*mn));
	bool *inplace = xmalloc(m + 1);
	match_items(c, a, b, ir, mo, mn, inplace);
	for (size_t j = 0; j < m; j++) {
		size_t kn = path_index(&c->pn, j);
		size_t i = mn[j];
		if (i == NONE) {
			add_field(c, false, false, NULL, b->items[j], ir);
		} else {
			size_t ko = path_index(&c->po, i);
			if (inplace[j])
				cmp_node(c, a->items[i], b->items[j], ir, depth + 1);
			else if (node_eq(c, a->items[i], b->items[j], ir, 0))
				add_field(c, false, true, NULL, NULL, ir);
			else
				add_field(c, false, true, a->items[i], b->items[j], ir);
			path_pop(&c->po, ko);
		}
		path_pop(&c->pn, kn);
	}
	for (size_t i = 0; i < n; i++) {
		if (mo[i] != NONE)
			continue;
		size_t ko = path_index(&c->po, i);
		add_field(c, true, false, a->items[i], NULL, ir);
		path_pop(&c->po, ko);
	}
	free(mo);
	free(mn);
	free(inplace);
}

/* Records every difference between a and b (both present) at the current
 * paths. */
static void cmp_node(struct cmp *c, const struct node *a, const struct node *b,
		     enum role r, unsigned depth)
{
	if (depth > 512)
		return;
	if (a->type == NODE_MAP && b->type == NODE_MAP)
		cmp_map(c, a, b, r, depth);
	else if (a->type == NODE_SEQ && b->type == NODE_SEQ)
		cmp_seq(c, a, b, r, depth);
	else if (!node_eq(c, a, b, r, depth))
		add_field(c, false, false, a, b, r);
}

/* ---- resources ---- */

struct res_table {
	const struct resource **slots;   /* heap, cap entries, NULL empty */
	size_t cap;
};

static uint64_t res_hash(const struct resource *r)
{
	uint64_t h = fnv(FNV_OFFSET, &r->kind, sizeof(r->kind));
	h = fnv(h, r->namespace, strlen(r->namespace) + 1);
	return mix64(fnv(h, r->name, strlen(r->name)));
}

static bool res_same(const struct resource *a, const struct resource *b)
{
	return a->kind == b->kind && strcmp(a->namespace, b->namespace) == 0 &&
	       strcmp(a->name, b->name) == 0;
}

/* Inserts r; returns the resource already there with its identity, or NULL. */
static const struct resource *res_put(struct res_table *t, const struct resource *r)
{
	size_t mask = t->cap - 1;
	for (size_t i = res_hash(r) & mask;; i = (i + 1) & mask) {
		if (!t->slots[i]) {
			t->slots[i] = r;
			return NULL;
		}
		if (res_same(t->slots[i], r))
			return t->slots[i];
	}
}

static const struct resource *res_get(const struct res_table *t,
				      const struct resource *r)
{
	size_t mask = t->cap - 1;
	for (size_t i = res_hash(r) & mask; t->slots[i]; i = (i + 1) & mask)
		if (res_same(t->slots[i], r))
			return t->slots[i];
	return NULL;
}

/* A table of p's resources; -1 with a message on a duplicate. */
static int res_table_build(struct res_table *t, const struct project *p,
			   const char *side, char *err, size_t errlen)
{
	t->cap = 16;
	while (t->cap < p->nres * 2 + 2)
		t->cap *= 2;
	t->slots = xcalloc(t->cap, sizeof(*t->slots));
	for (size_t i = 0; i < p->nres; i++) {
		const struct resource *r = p->res[i];
		if (!r->name || !r->namespace)
			continue;
		const struct resource *first = res_put(t, r);
		if (first) {
			snprintf(err, errlen, "%s %s/%s is defined more than once in %s "
				 "(%s:%u and %s:%u)", r->kind_name, r->namespace, r->name,
				 side, first->file, first->pos.line, r->file,
				 r->pos.line);
			return -1;
		}
	}
	return 0;
}

static struct diff_resource *add_res(struct diff_result *d, enum diff_change ch,
				     const struct resource *r)
{
	GROW(d->res, d->nres, d->cap_res);
	struct diff_resource *e = &d->res[d->nres++];
	memset(e, 0, sizeof(*e));
	e->change = ch;
	e->kind = r->kind_name;
	e->namespace = r->namespace;
	e->name = r->name;
	return e;
}

static int res_entry_cmp(const void *x, const void *y)
{
	const struct diff_resource *a = x, *b = y;
	int r = strcmp(a->kind, b->kind);
	if (!r)
		r = strcmp(a->namespace, b->namespace);
	if (!r)
		r = strcmp(a->name, b->name);
	return r;
}

/*
 * One side of diff_resources: its project and each resource's unit (by
 * seq), the chunk parsed last (the items of a List share one), and the
 * input last read again (bytes_of).
 */
struct dside {
	const struct project *p;
	const struct source_unit **unit_of;
	const struct source_unit *last_u;
	size_t last_off;
	struct source_unit *last;
	const struct source_unit *again_u;
	char *again;
};

/* u's bytes: read again, one input at a time per side, when the load
 * freed them (release_inputs); NULL when they cannot be. */
static const char *bytes_of(struct dside *s, const struct source_unit *u)
{
	if (u->bytes)
		return u->bytes;
	if (s->again_u != u) {
		size_t len;
		free(s->again);
		s->again = source_read_again(u, s->p->opt.limits.max_file_bytes, &len);
		s->again_u = u;
	}
	return s->again;
}

/*
 * Parses bytes [off, off + len) of u (bytes: its bytes) again into a unit
 * the result keeps (the changed fields point into its tree), and returns
 * the root of the
 * resource there that is r: the same identity and canonical hash. NULL
 * when there is none.
 */
static const struct node *reparse(struct diff_result *d, struct dside *s,
				  const char *domain, const struct source_unit *u,
				  const char *bytes, size_t off, size_t len,
				  const struct resource *r)
{
	struct source_unit *t = NULL;
	if (s->last && s->last_u == u && s->last_off == off && s->last->len == len) {
		t = s->last;
	} else {
		GROW(d->units, d->nunits, d->cap_units);
		t = xcalloc(1, sizeof(*t));
		d->units[d->nunits++] = t;
		arena_init(&t->arena);
		diag_list_init(&t->diags, &t->arena);
		t->file = u->file;
		t->bytes = xmalloc(len + 1);
		memcpy(t->bytes, bytes + off, len);
		t->bytes[len] = '\0';
		t->len = len;
		yaml_parse_unit(t, &s->p->opt.limits);
		resources_from_unit(t, &s->p->opt);
		s->last = t;
		s->last_u = u;
		s->last_off = off;
	}
	for (size_t i = 0; i < t->nres; i++) {
		const struct resource *x = t->res[i];
		if (x->root && x->name && x->namespace && res_same(x, r) &&
		    resource_canonical_hash(x, domain) == r->chash)
			return x->root;
	}
	return NULL;
}

/*
 * The tree of a resource whose canonical hash differs from its partner's.
 * Trees are released after distilling, so the resource's chunk of its
 * input (bytes_of) is parsed again; its whole input when that
 * does not give the same resource back (it always does in practice).
 */
static const struct node *tree_of(struct diff_result *d, struct dside *s,
				  const char *domain, const struct resource *r)
{
	if (!r->has_chash)
		return r->root;
	const struct source_unit *u = s->unit_of[r->seq];
	const char *bytes = u ? bytes_of(s, u) : NULL;
	const struct node *t = NULL;
	size_t off, len;
	if (bytes && yaml_chunk_at(bytes, u->len, r->pos.line, &off, &len))
		t = reparse(d, s, domain, u, bytes, off, len, r);
	if (!t && bytes)
		t = reparse(d, s, domain, u, bytes, 0, u->len, r);
	return t ? t : r->root;
}

/*
 * Compares a matched pair; records a changed entry when they differ.
 * Equal canonical hashes are equal resources: skipped at once. -1 when a
 * tree cannot be read back.
 */
static int cmp_resource(struct cmp *c, struct dside *so, struct dside *sn,
			const struct resource *a, const struct resource *b)
{
	if (a->has_chash && b->has_chash && a->chash == b->chash)
		return 0;
	c->kind = b->kind;
	c->ns = b->namespace;
	c->nfields = 0;
	path_pop(&c->po, 0);
	path_pop(&c->pn, 0);
	const struct node *ta = tree_of(c->d, so, c->domain, a);
	const struct node *tb = tree_of(c->d, sn, c->domain, b);
	if (!ta || !tb)
		return -1;
	if (node_eq(c, ta, tb, R_ROOT, 0))
		return 0;
	cmp_node(c, ta, tb, R_ROOT, 0);
	if (c->nfields == 0)
		return 0;
	struct diff_resource *e = add_res(c->d, DIFF_CHANGED, b);
	e->fields = arena_alloc_raw(&c->d->arena, c->nfields * sizeof(*e->fields));
	memcpy(e->fields, c->fields, c->nfields * sizeof(*e->fields));
	e->nfields = c->nfields;
	return 0;
}

/* Each resource's unit, by seq (heap array of p->nseq). */
static const struct source_unit **units_by_seq(const struct project *p)
{
	const struct source_unit **v = xcalloc(p->nseq + 1, sizeof(*v));
	for (size_t i = 0; i < p->nunits; i++)
		for (size_t j = 0; j < p->units[i].nres; j++)
			if (p->units[i].res[j]->seq < p->nseq)
				v[p->units[i].res[j]->seq] = &p->units[i];
	return v;
}

unsigned long long resource_canonical_hash(const struct resource *r,
					   const char *domain)
{
	struct cmp c = {
		.kind = r->kind, .ns = r->namespace ? r->namespace : "",
		.domain = domain && *domain ? domain : "cluster.local",
	};
	return node_hash(&c, r->root, R_ROOT, 0);
}

int diff_resources(struct diff_result *d, const struct project *oldp,
		   const struct project *newp, const char *domain,
		   char *err, size_t errlen)
{
	struct res_table to = { 0 }, tn = { 0 };
	struct dside so = { .p = oldp }, sn = { .p = newp };
	struct cmp c = { .d = d, .domain = domain && *domain ? domain : "cluster.local" };
	int rc = -1;
	if (res_table_build(&to, oldp, "OLD", err, errlen) != 0 ||
	    res_table_build(&tn, newp, "NEW", err, errlen) != 0)
		goto fail;
	so.unit_of = units_by_seq(oldp);
	sn.unit_of = units_by_seq(newp);

	size_t first = d->nres;
	for (size_t i = 0; i < newp->nres; i++) {
		const struct resource *b = newp->res[i];
		if (!b->name || !b->namespace)
			continue;
		const struct resource *a = res_get(&to, b);
		if (!a) {
			add_res(d, DIFF_ADDED, b);
		} else if (cmp_resource(&c, &so, &sn, a, b) != 0) {
			snprintf(err, errlen, "cannot read %s %s/%s again from %s",
				 b->kind_name, b->namespace, b->name, b->file);
			goto fail;
		}
	}
	for (size_t i = 0; i < oldp->nres; i++) {
		const struct resource *a = oldp->res[i];
		if (a->name && a->namespace && !res_get(&tn, a))
			add_res(d, DIFF_REMOVED, a);
	}
	if (d->nres > first)
		qsort(d->res + first, d->nres - first, sizeof(*d->res), res_entry_cmp);
	rc = 0;
fail:
	free(c.fields);
	free(c.po.s);
	free(c.pn.s);
	free(so.unit_of);
	free(sn.unit_of);
	free(so.again);
	free(sn.again);
	free(to.slots);
	free(tn.slots);
	return rc;
}

void diff_result_init(struct diff_result *d)
{
	memset(d, 0, sizeof(*d));
	arena_init(&d->arena);
}

void diff_result_release(struct diff_result *d)
{
	for (size_t i = 0; i < d->nunits; i++) {
		struct source_unit *u = d->units[i];
		diag_list_release(&u->diags);
		arena_release(&u->arena);
		free(u->bytes);
		free(u->docs);
		free(u->doc_irregular);
		free(u->res);
		free(u);
	}
	free(d->units);
	free(d->res);
	free(d->routes);
	arena_release(&d->arena);
	memset(d, 0, sizeof(*d));
}

bool diff_result_empty(const struct diff_result *d)
{
	return d->nres == 0 && d->nroutes == 0;
}
