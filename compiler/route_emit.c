/*
 * The emitter: route model -> sections -> checksum -> bytes (meshrt(5)).
 *
 * Layout: the header, then the string table (so every string's file
 * offset is known the moment it is interned: 176 + its place in the
 * table), then the record sections in enum order, each 8-aligned.
 * Strings are interned (each distinct byte string written once), regex
 * patterns too, clusters are written sorted by name, and a route list
 * shared by several virtual hosts is written once; identical runs of
 * conditions, matches, destinations, extras and header operations are
 * written once too. Listeners are sorted by gateway and port, and the
 * gateway index and each listener's host index are hash tables filled
 * in that order; everything else keeps the model's order, which
 * route_build.c makes independent of input order. Same model, same
 * bytes. (route_write.c puts them on disk.)
 *
 * The table is written once: the string table's buffer starts with room
 * for the header and becomes the table itself (it is most of it), the
 * other sections are appended to it and freed one by one, so no second
 * copy of the strings is ever made.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrt_format.h"
#include "hash.h"
#include "route_model.h"

#define HDR_SIZE ((uint32_t)sizeof(struct mrt_fmt_header))

struct buf {
	uint8_t *p;
	size_t len, cap;
};

/* Appends n zeroed bytes; returns their offset. */
static size_t buf_grow(struct buf *b, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	size_t at = b->len;
	memset(b->p + at, 0, n);
	b->len += n;
	return at;
}

struct emitter {
	struct buf sec[MRT_SEC_COUNT];
	uint32_t *strmap;            /* open addressing: (string ref, hash) pairs, ref 0 empty */
	size_t strmap_n, strmap_cap;
	uint32_t *rxmap;             /* regex index + 1 by pattern string ref */
	size_t rxmap_cap;
	unsigned *cluster_pos;       /* model cluster id -> CLST index */
	const char *last_gateway;    /* intern_gateway's last name and its ref */
	uint32_t last_gateway_ref;
	bool too_big;
	const char *fail;            /* why the table cannot be written, or NULL */
	struct dedup {               /* per section: record ranges by content */
		uint32_t *first, *count; /* open addressing; count 0: empty */
		size_t n, cap;
	} dd[MRT_SEC_COUNT];
};

#define NREC(e, s) ((uint32_t)((e)->sec[s].len / mrt_fmt_record_size[s]))
#define ADD(e, s, type) ((type *)add_record((e), (s), sizeof(type)))

/* A new zeroed record at the end of section s (the buffer may move). */
static void *add_record(struct emitter *e, int s, size_t size)
{
	size_t at = buf_grow(&e->sec[s], size);
	return e->sec[s].p + at;
}

static uint32_t str_hash(const char *s, size_t n);

static bool range_equal(const struct emitter *e, int s, uint32_t a, uint32_t b,
			uint32_t count)
{
	size_t rs = mrt_fmt_record_size[s];
	return memcmp(e->sec[s].p + a * rs, e->sec[s].p + b * rs, count * rs) == 0;
}

static void dedup_insert(struct dedup *d, uint32_t h, uint32_t first, uint32_t count)
{
	size_t j = h & (d->cap - 1);
	while (d->count[j])
		j = (j + 1) & (d->cap - 1);
	d->first[j] = first;
	d->count[j] = count;
	d->n++;
}

/*
 * Records [first, end of section s) were just appended: if an identical
 * range was written before, drop the new copy and return the old first
 * index (conditions, matches, destinations, extras and header operations
 * repeat across routes, and sharing them keeps tables small).
 */
static uint32_t dedup_range(struct emitter *e, int s, uint32_t first)
{
	size_t rs = mrt_fmt_record_size[s];
	uint32_t count = (uint32_t)(e->sec[s].len / rs) - first;
	if (count == 0)
		return 0;      /* empty ranges all read (0, 0): no varying bytes */
	struct dedup *d = &e->dd[s];
	uint32_t h = str_hash((const char *)e->sec[s].p + first * rs, count * rs);
	if (d->cap) {
		for (size_t j = h & (d->cap - 1); d->count[j]; j = (j + 1) & (d->cap - 1)) {
			if (d->count[j] == count && range_equal(e, s, d->first[j], first, count)) {
				e->sec[s].len = first * rs;
				return d->first[j];
			}
		}
	}
	if ((d->n + 1) * 2 > d->cap) {
		struct dedup old = *d;
		d->cap = d->cap ? d->cap * 2 : 1024;
		d->first = xcalloc(d->cap, sizeof(*d->first));
		d->count = xcalloc(d->cap, sizeof(*d->count));
		d->n = 0;
		for (size_t j = 0; j < old.cap; j++) {
			if (!old.count[j])
				continue;
			uint32_t oh = str_hash((const char *)e->sec[s].p + old.first[j] * rs,
					       old.count[j] * rs);
			dedup_insert(d, oh, old.first[j], old.count[j]);
		}
		free(old.first);
		free(old.count);
	}
	dedup_insert(d, h, first, count);
	return first;
}

/* A hash of s[0..n) for the emitter's own lookup maps (never stored). */
static uint32_t str_hash(const char *s, size_t n)
{
	return (uint32_t)hash_bytes(s, n);
}

static const char *ref_text(const struct emitter *e, uint32_t ref, uint32_t *len)
{
	/* The string buffer starts with the header's room: refs are offsets. */
	const uint8_t *p = e->sec[MRT_SEC_STRS].p + ref;
	memcpy(len, p - 4, 4);
	return (const char *)p;
}

static void strmap_grow(struct emitter *e)
{
	size_t cap = e->strmap_cap ? e->strmap_cap * 2 : 1024;
	uint32_t *m = xcalloc(cap * 2, sizeof(*m));
	for (size_t i = 0; i < e->strmap_cap; i++) {
		uint32_t ref = e->strmap[2 * i], h = e->strmap[2 * i + 1];
		if (!ref)
			continue;
		size_t j = h & (cap - 1);
		while (m[2 * j])
			j = (j + 1) & (cap - 1);
		m[2 * j] = ref;
		m[2 * j + 1] = h;
	}
	free(e->strmap);
	e->strmap = m;
	e->strmap_cap = cap;
}

/*
 * The file offset of s[0..n) in the string table, adding it once. The
 * map keeps each string's hash, so probes rarely touch the table.
 */
static uint32_t intern_n(struct emitter *e, const char *s, size_t n)
{
	if ((e->strmap_n + 1) * 2 > e->strmap_cap)
		strmap_grow(e);
	uint32_t h = str_hash(s, n);
	size_t j = h & (e->strmap_cap - 1);
	uint32_t ref, len;
	while ((ref = e->strmap[2 * j]) != 0) {
		if (e->strmap[2 * j + 1] == h) {
			const char *t = ref_text(e, ref, &len);
			if (len == n && memcmp(t, s, n) == 0)
				return ref;
		}
		j = (j + 1) & (e->strmap_cap - 1);
	}
	struct buf *b = &e->sec[MRT_SEC_STRS];
	size_t at = buf_grow(b, (4 + n + 1 + 3) & ~(size_t)3);
	uint32_t n32 = (uint32_t)n;
	memcpy(b->p + at, &n32, 4);
	memcpy(b->p + at + 4, s, n);
	if (at + 4 > MRT_MAX_SIZE / 2) {
		e->too_big = true;
		return 0;
	}
	ref = (uint32_t)(at + 4);
	e->strmap[2 * j] = ref;
	e->strmap[2 * j + 1] = h;
	e->strmap_n++;
	return ref;
}

static uint32_t intern(struct emitter *e, const char *s)
{
	return s ? intern_n(e, s, strlen(s)) : 0;
}

/* intern for a listener's gateway name: consecutive listeners (sorted)
 * and Gateway records share the model's one copy of a workload's name,
 * which joins the names of all its Gateways, so the last one is
 * remembered by address rather than hashed again each time. */
static uint32_t intern_gateway(struct emitter *e, const char *gw)
{
	if (!gw || gw != e->last_gateway)
		e->last_gateway_ref = intern(e, gw);
	e->last_gateway = gw;
	return e->last_gateway_ref;
}

/* The REGX index of pattern s, adding it once. */
static uint32_t regex_index(struct emitter *e, const char *s)
{
	uint32_t ref = intern(e, s);
	if (NREC(e, MRT_SEC_REGX) * 2 + 2 > e->rxmap_cap) {
		size_t cap = e->rxmap_cap ? e->rxmap_cap * 2 : 64;
		uint32_t *m = xcalloc(cap * 2, sizeof(*m));
		for (size_t i = 0; i < e->rxmap_cap; i++) {
			if (!e->rxmap[2 * i])
				continue;
			size_t j = (e->rxmap[2 * i] / 4) & (cap - 1);
			while (m[2 * j])
				j = (j + 1) & (cap - 1);
			m[2 * j] = e->rxmap[2 * i];
			m[2 * j + 1] = e->rxmap[2 * i + 1];
		}
		free(e->rxmap);
		e->rxmap = m;
		e->rxmap_cap = cap;
	}
	size_t j = (ref / 4) & (e->rxmap_cap - 1);
	while (e->rxmap[2 * j] && e->rxmap[2 * j] != ref)
		j = (j + 1) & (e->rxmap_cap - 1);
	if (e->rxmap[2 * j])
		return e->rxmap[2 * j + 1];
	uint32_t idx = NREC(e, MRT_SEC_REGX);
	ADD(e, MRT_SEC_REGX, struct mrt_fmt_regex)->pattern = ref;
	e->rxmap[2 * j] = ref;
	e->rxmap[2 * j + 1] = idx;
	return idx;
}

static uint32_t none_if_unset(unsigned v)
{
	return v == MRT_UNSET ? MRT_NONE : v;
}

static uint32_t emit_conds(struct emitter *e, const struct rm_cond *c, size_t n)
{
	/* Intern everything first, so the range is contiguous; the second
	 * loop reuses the references (three per condition). */
	uint32_t small[3 * 16], *ref = n <= 16 ? small : xcalloc(3 * n, sizeof(*ref));
	for (size_t i = 0; i < n; i++) {
		ref[3 * i] = intern(e, c[i].key);
		ref[3 * i + 1] = c[i].field == MRT_FIELD_PORT ? c[i].number : intern(e, c[i].value);
		ref[3 * i + 2] = c[i].op == MRT_OP_REGEX ? regex_index(e, c[i].value) : MRT_NONE;
	}
	uint32_t first = NREC(e, MRT_SEC_COND);
	for (size_t i = 0; i < n; i++) {
		struct mrt_fmt_cond *f = ADD(e, MRT_SEC_COND, struct mrt_fmt_cond);
		f->field = (uint8_t)c[i].field;
		f->op = (uint8_t)c[i].op;
		f->flags = (uint8_t)c[i].flags;
		f->key = ref[3 * i];
		f->value = ref[3 * i + 1];
		f->regex = ref[3 * i + 2];
	}
	if (ref != small)
		free(ref);
	return dedup_range(e, MRT_SEC_COND, first);
}

static uint32_t emit_hops(struct emitter *e, const struct rm_hop *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		intern(e, h[i].name);
		intern(e, h[i].value);
	}
	uint32_t first = NREC(e, MRT_SEC_HOPS);
	for (size_t i = 0; i < n; i++) {
		uint32_t name = intern(e, h[i].name), value = intern(e, h[i].value);
		struct mrt_fmt_hop *f = ADD(e, MRT_SEC_HOPS, struct mrt_fmt_hop);
		f->target = (uint8_t)h[i].target;
		f->op = (uint8_t)h[i].op;
		f->name = name;
		f->value = value;
	}
	return dedup_range(e, MRT_SEC_HOPS, first);
}

/* Destinations (or mirrors): their header operations first, then the
 * contiguous DEST records. Returns the first DEST index. */
static uint32_t emit_dests(struct emitter *e, const struct rm_dest *d, size_t n)
{
	uint32_t hop_first[64], *hf = n <= 64 ? hop_first : xcalloc(n, sizeof(*hf));
	for (size_t i = 0; i < n; i++)
		hf[i] = emit_hops(e, d[i].hops, d[i].n_hops);
	uint32_t first = NREC(e, MRT_SEC_DEST);
	for (size_t i = 0; i < n; i++) {
		struct mrt_fmt_dest *f = ADD(e, MRT_SEC_DEST, struct mrt_fmt_dest);
		f->cluster = e->cluster_pos[d[i].cluster->id];
		f->weight = d[i].weight;
		f->hop_first = hf[i];
		f->hop_count = (uint32_t)d[i].n_hops;
	}
	if (hf != hop_first)
		free(hf);
	return dedup_range(e, MRT_SEC_DEST, first);
}

/*
 * A route's extra record: its redirect, direct response, rewrite,
 * retries, fault, mirrors, CORS and header operations (x, or none of
 * them when NULL) and its timeout.
 */
static uint32_t emit_extra(struct emitter *e, const struct rm_extra *x, unsigned timeout_ms)
{
	struct rm_extra none;
	if (!x) {
		memset(&none, 0, sizeof(none));
		none.rd_port = none.rd_code = MRT_UNSET;
		none.rt_attempts = none.rt_per_try_ms = none.rt_backoff_ms = MRT_UNSET;
		none.fd_delay_ms = none.fd_delay_ppm = none.fa_status = none.fa_ppm = MRT_UNSET;
		none.cors_max_age_ms = none.cors_credentials = MRT_UNSET;
		x = &none;
	}
	struct mrt_fmt_extra f;
	memset(&f, 0, sizeof(f));
	f.timeout_ms = none_if_unset(timeout_ms);
	f.rd_uri = intern(e, x->rd_uri);
	f.rd_authority = intern(e, x->rd_authority);
	f.rd_scheme = intern(e, x->rd_scheme);
	f.rd_prefix = intern(e, x->rd_prefix);
	f.rd_port = none_if_unset(x->rd_port);
	f.rd_derive = x->rd_derive;
	f.rd_code = none_if_unset(x->rd_code);
	f.dr_status = x->dr_status;
	f.dr_body = x->dr_body ? intern_n(e, x->dr_body, x->dr_body_len) : 0;
	f.rw_uri = intern(e, x->rw_uri);
	f.rw_authority = intern(e, x->rw_authority);
	f.rw_regex = x->rw_regex ? regex_index(e, x->rw_regex) : MRT_NONE;
	f.rw_sub = intern(e, x->rw_sub);
	f.rt_attempts = none_if_unset(x->rt_attempts);
	f.rt_per_try_ms = none_if_unset(x->rt_per_try_ms);
	f.rt_retry_on = intern(e, x->rt_retry_on);
	f.rt_backoff_ms = none_if_unset(x->rt_backoff_ms);
	f.rt_flags = x->rt_flags;
	f.rt_status_codes = intern(e, x->rt_status_codes);
	f.fd_delay_ms = none_if_unset(x->fd_delay_ms);
	f.fd_delay_ppm = none_if_unset(x->fd_delay_ppm);
	f.fa_status = none_if_unset(x->fa_status);
	f.fa_ppm = none_if_unset(x->fa_ppm);
	f.fa_grpc = intern(e, x->fa_grpc);
	f.fa_http2 = intern(e, x->fa_http2);
	f.mirror_first = emit_dests(e, x->mirrors, x->n_mirrors);
	f.mirror_count = (uint32_t)x->n_mirrors;
	f.cors_set = x->cors_set;
	f.cors_origin_first = emit_conds(e, x->cors_origins, x->n_cors_origins);
	f.cors_origin_count = (uint32_t)x->n_cors_origins;
	f.cors_methods = intern(e, x->cors_methods);
	f.cors_allow_headers = intern(e, x->cors_allow_headers);
	f.cors_expose_headers = intern(e, x->cors_expose_headers);
	f.cors_max_age_ms = none_if_unset(x->cors_max_age_ms);
	f.cors_credentials = none_if_unset(x->cors_credentials);
	f.cors_preflight = intern(e, x->cors_preflight);
	f.hop_first = emit_hops(e, x->hops, x->n_hops);
	f.hop_count = (uint32_t)x->n_hops;
	uint32_t idx = NREC(e, MRT_SEC_EXTR);
	*ADD(e, MRT_SEC_EXTR, struct mrt_fmt_extra) = f;
	return dedup_range(e, MRT_SEC_EXTR, idx);
}

/* The parts of a route that several lists may share, written once. */
static void emit_route_body(struct emitter *e, struct rm_route *r, unsigned gen)
{
	if (r->emit_gen == gen)
		return;
	r->emit_gen = gen;
	/* cfirst[2m]: match m's first COND, cfirst[2m + 1]: its name. */
	uint32_t cf[2 * 64], *cfirst = r->n_matches <= 64 ? cf : xcalloc(2 * r->n_matches, sizeof(*cfirst));
	for (size_t m = 0; m < r->n_matches; m++) {
		cfirst[2 * m + 1] = intern(e, r->matches[m].name);
		cfirst[2 * m] = emit_conds(e, r->matches[m].conds, r->matches[m].n);
	}
	uint32_t first = NREC(e, MRT_SEC_MTCH);
	for (size_t m = 0; m < r->n_matches; m++) {
		struct mrt_fmt_match *f = ADD(e, MRT_SEC_MTCH, struct mrt_fmt_match);
		f->name = cfirst[2 * m + 1];
		f->cond_first = cfirst[2 * m];
		f->cond_count = (uint32_t)r->matches[m].n;
	}
	if (cfirst != cf)
		free(cfirst);
	r->emit_match_first = dedup_range(e, MRT_SEC_MTCH, first);
	r->emit_dest_first = emit_dests(e, r->dests, r->n_dests);
	/* The timeout lives in the extra record: most routes have neither. */
	if (!r->extra && r->timeout_ms == MRT_UNSET) {
		r->emit_extra = MRT_NONE;
	} else if (r->extra && r->extra->emit_gen == gen && r->extra->emit_timeout == r->timeout_ms) {
		/* A record shared by many routes: written once for this timeout,
		 * found again without re-interning its fields. */
		r->emit_extra = r->extra->emit_idx;   /* what emit_extra would find */
	} else {
		r->emit_extra = emit_extra(e, r->extra, r->timeout_ms);
		if (r->extra) {
			r->extra->emit_gen = gen;
			r->extra->emit_timeout = r->timeout_ms;
			r->extra->emit_idx = r->emit_extra;
		}
	}
}

/* Writes a route list once; returns its first ROUT index. */
static uint32_t emit_list(struct emitter *e, struct rm_route_list *l, unsigned gen)
{
	if (l->emit_gen == gen)
		return l->emit_first;
	for (size_t i = 0; i < l->n; i++)
		emit_route_body(e, l->routes[i], gen);
	l->emit_gen = gen;
	l->emit_first = NREC(e, MRT_SEC_ROUT);
	for (size_t i = 0; i < l->n; i++) {
		struct rm_route *r = l->routes[i];
		uint32_t name = intern(e, r->name), vs = intern(e, r->vs);
		struct mrt_fmt_route *f = ADD(e, MRT_SEC_ROUT, struct mrt_fmt_route);
		/* A list longer than the index field cannot fit in 4 GiB anyway. */
		if (r->index > MRT_RT_INDEX_MAX)
			e->too_big = true;
		f->match_first = r->emit_match_first;
		f->match_count = (uint32_t)r->n_matches;
		f->info = (uint32_t)r->kind | (uint32_t)r->action << 2 |
			(r->index & MRT_RT_INDEX_MAX) << 4;
		struct mrt_fmt_route_data *d = ADD(e, MRT_SEC_RDAT, struct mrt_fmt_route_data);
		d->extra = r->emit_extra;
		d->dest_first = r->emit_dest_first;
		d->dest_count = (uint32_t)r->n_dests;
		d->name = name;
		d->vs = vs;
	}
	return l->emit_first;
}

static int listener_cmp(const void *a, const void *b)
{
	const struct rm_listener *x = *(const struct rm_listener *const *)a;
	const struct rm_listener *y = *(const struct rm_listener *const *)b;
	/* A gateway's listeners share the model's one copy of its name
	 * (route_model_gateway_name), which may join thousands of names. */
	int c = x->gateway == y->gateway ? 0 : strcmp(x->gateway, y->gateway);
	if (c)
		return c;
	if (x->port != y->port)
		return (x->port > y->port) - (x->port < y->port);
	if (!x->sni || !y->sni)
		return (x->sni != NULL) - (y->sni != NULL);
	return strcmp(x->sni, y->sni);
}

static int cluster_cmp(const void *a, const void *b)
{
	const struct rm_cluster *x = *(const struct rm_cluster *const *)a;
	const struct rm_cluster *y = *(const struct rm_cluster *const *)b;
	return strcmp(x->name, y->name);
}

static bool is_wild(const char *h)
{
	return h[0] == '*' && h[1] == '.';
}

static const struct rm_vhost *const *wild_sort_base;

static int wild_cmp(const void *a, const void *b)
{
	const char *x = wild_sort_base[*(const uint32_t *)a]->host;
	const char *y = wild_sort_base[*(const uint32_t *)b]->host;
	size_t xl = strlen(x), yl = strlen(y);
	if (xl != yl)
		return xl > yl ? -1 : 1;
	return strcmp(x, y);
}

/*
 * The longest run of used slots (cyclically) in an index of n slots, at
 * least one of them empty: slot i's key is the uint32_t at first + i *
 * stride bytes, `empty` in an empty slot (as mrt_open() measures it).
 */
static uint32_t longest_run(const uint32_t *first, size_t stride, uint32_t empty,
			    uint32_t n)
{
	const uint8_t *base = (const uint8_t *)first;
	uint32_t start = 0, run = 0, longest = 0, key;
	for (uint32_t i = 0; i < n; i++) {
		memcpy(&key, base + (size_t)i * stride, 4);
		if (key == empty) {
			start = i;
			break;
		}
	}
	for (uint32_t k = 1; k <= n; k++) {
		memcpy(&key, base + (size_t)((start + k) % n) * stride, 4);
		run = key == empty ? 0 : run + 1;
		if (run > longest)
			longest = run;
	}
	return longest;
}

/* One listener: its vhosts, host index and wildcard list. */
static int vhost_name_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct rm_vhost *const *)a)->host,
		      (*(const struct rm_vhost *const *)b)->host);
}

static void emit_listener(struct emitter *e, struct rm_listener *l, unsigned gen)
{
	/* Readers require a listener's virtual hosts sorted by name (each
	 * host once); the route builder sorts them already. */
	if (l->n_vhosts > 1)
		qsort(l->vhosts, l->n_vhosts, sizeof(*l->vhosts), vhost_name_cmp);
	uint32_t vfirst = NREC(e, MRT_SEC_VHST), star = MRT_NONE;
	uint32_t *route_first = xcalloc(2 * l->n_vhosts + 1, sizeof(*route_first));
	for (size_t v = 0; v < l->n_vhosts; v++) {
		route_first[v] = emit_list(e, l->vhosts[v]->routes, gen);
		route_first[l->n_vhosts + v] = MRT_NONE;
		if (l->vhosts[v]->fallback) {
			/* The fallback is a list of its own (one route). */
			struct rm_route_list fl = { &l->vhosts[v]->fallback, 1, 1, 0, 0 };
			route_first[l->n_vhosts + v] = emit_list(e, &fl, gen);
		}
	}
	uint32_t l4_first = emit_list(e, l->l4, gen);
	size_t n_exact = 0, n_wild = 0;
	for (size_t v = 0; v < l->n_vhosts; v++) {
		const struct rm_vhost *vh = l->vhosts[v];
		if (strlen(vh->host) > MRT_NAME_MAX)
			e->fail = "a host name is longer than the format allows (1024 bytes)";
		uint32_t name = intern(e, vh->host);
		struct mrt_fmt_vhost *f = ADD(e, MRT_SEC_VHST, struct mrt_fmt_vhost);
		f->name = name;
		f->flags = vh->flags;
		f->route_first = route_first[v];
		f->route_count = (uint32_t)vh->routes->n;
		f->fallback = route_first[l->n_vhosts + v];
		if (strcmp(vh->host, "*") == 0)
			star = vfirst + (uint32_t)v;
		else if (is_wild(vh->host))
			n_wild++;
		else
			n_exact++;
	}
	free(route_first);

	/* Exact hosts: hash slots at most two thirds full, each holding the
	 * host's hash beside its index; linear probing in vhost order. The
	 * index doubles until no run of used slots is longer than
	 * MRT_PROBE_MAX, which readers require (a bounded lookup). */
	uint32_t hsize = 0, hfirst = NREC(e, MRT_SEC_HASH);
	if (n_exact) {
		hsize = 2;
		while (hsize * 2 < n_exact * 3)
			hsize *= 2;
		for (;;) {
			e->sec[MRT_SEC_HASH].len = (size_t)hfirst * sizeof(struct mrt_fmt_slot);
			buf_grow(&e->sec[MRT_SEC_HASH], hsize * sizeof(struct mrt_fmt_slot));
			struct mrt_fmt_slot *slots = (struct mrt_fmt_slot *)(void *)e->sec[MRT_SEC_HASH].p + hfirst;
			memset(slots, 0xff, hsize * sizeof(*slots));
			for (size_t v = 0; v < l->n_vhosts; v++) {
				const char *h = l->vhosts[v]->host;
				if (strcmp(h, "*") == 0 || is_wild(h))
					continue;
				uint32_t hash = mrt_fmt_hash(h, strlen(h)), j = hash & (hsize - 1);
				while (slots[j].vhost != MRT_NONE)
					j = (j + 1) & (hsize - 1);
				slots[j].hash = hash;
				slots[j].vhost = vfirst + (uint32_t)v;
			}
			if (longest_run(&slots[0].vhost, sizeof(*slots), MRT_NONE, hsize) <= MRT_PROBE_MAX)
				break;
			if (hsize >= 64 * n_exact) {
				e->fail = "too many hosts of one listener share an index hash";
				break;
			}
			hsize *= 2;
		}
	}
	uint32_t wfirst = NREC(e, MRT_SEC_WILD);
	if (n_wild) {
		uint32_t *w = xcalloc(n_wild, sizeof(*w));
		size_t k = 0;
		for (size_t v = 0; v < l->n_vhosts; v++)
			if (is_wild(l->vhosts[v]->host))
				w[k++] = (uint32_t)v;
		wild_sort_base = (const struct rm_vhost *const *)l->vhosts;
		qsort(w, n_wild, sizeof(*w), wild_cmp);
		for (size_t i = 0; i < n_wild; i++)
			*ADD(e, MRT_SEC_WILD, uint32_t) = vfirst + w[i];
		free(w);
	}
	uint32_t gw = intern_gateway(e, l->gateway), proto = intern(e, l->protocol);
	uint32_t tls = intern(e, l->tls_mode), name = intern(e, l->name);
	if (l->sni && strlen(l->sni) > MRT_LIST_MAX)
		e->fail = "a listener's server names are longer than the format allows (64 KiB)";
	uint32_t sni = intern(e, l->sni);
	struct mrt_fmt_listener *f = ADD(e, MRT_SEC_LSTN, struct mrt_fmt_listener);
	f->gateway = gw;
	f->port = l->port;
	f->flags = l->flags;
	f->sni = sni;
	f->protocol = proto;
	f->tls_mode = tls;
	f->name = name;
	f->vhost_first = vfirst;
	f->vhost_count = (uint32_t)l->n_vhosts;
	f->hash_first = hfirst;
	f->hash_size = hsize;
	f->wild_first = wfirst;
	f->wild_count = (uint32_t)n_wild;
	f->star = star;
	f->l4_first = l4_first;
	f->l4_count = (uint32_t)l->l4->n;
}

/*
 * The gateway index over the sorted listeners ls[0..n): one entry per
 * gateway naming its run of listeners, in hash slots at most half full,
 * inserted in gateway order.
 */
static void gateway_slots(struct emitter *e, struct rm_listener **ls, size_t n,
			  uint32_t size);

static bool same_gateway(const struct rm_listener *a, const struct rm_listener *b)
{
	return a->gateway == b->gateway || strcmp(a->gateway, b->gateway) == 0;
}

static void emit_gateways(struct emitter *e, struct rm_listener **ls, size_t n)
{
	size_t groups = 0;
	for (size_t i = 0; i < n; i++)
		groups += i == 0 || !same_gateway(ls[i - 1], ls[i]);
	if (groups == 0)
		return;
	uint32_t size = 2;
	while (size < groups * 2)
		size *= 2;
	for (;;) {
		e->sec[MRT_SEC_GWAY].len = 0;
		buf_grow(&e->sec[MRT_SEC_GWAY], size * sizeof(struct mrt_fmt_gateway));
		gateway_slots(e, ls, n, size);
		const struct mrt_fmt_gateway *g = (const void *)e->sec[MRT_SEC_GWAY].p;
		if (longest_run(&g[0].name, sizeof(*g), 0, size) <= MRT_PROBE_MAX)
			break;
		if (size >= 64 * groups) {
			e->fail = "too many gateways share an index hash";
			break;
		}
		size *= 2;
	}
}

/* Fills the gateway index of `size` slots (zeroed) from listeners ls. */
static void gateway_slots(struct emitter *e, struct rm_listener **ls, size_t n,
			  uint32_t size)
{
	for (size_t i = 0, end; i < n; i = end) {
		for (end = i + 1; end < n && same_gateway(ls[end], ls[i]); end++)
			;
		const char *gw = ls[i]->gateway;
		uint32_t name = intern_gateway(e, gw), hash = mrt_fmt_hash(gw, strlen(gw));
		struct mrt_fmt_gateway *slots = (struct mrt_fmt_gateway *)(void *)e->sec[MRT_SEC_GWAY].p;
		uint32_t j = hash & (size - 1);
		while (slots[j].name)
			j = (j + 1) & (size - 1);
		slots[j].name = name;
		slots[j].hash = hash;
		slots[j].lstn_first = (uint32_t)i;
		slots[j].lstn_count = (uint32_t)(end - i);
	}
}

/* Frees the lookup tables, which only writing records needs. */
static void emitter_drop_indexes(struct emitter *e)
{
	free(e->strmap);
	free(e->rxmap);
	free(e->cluster_pos);
	e->strmap = NULL;
	e->rxmap = NULL;
	e->cluster_pos = NULL;
	for (int s = 0; s < MRT_SEC_COUNT; s++) {
		free(e->dd[s].first);
		free(e->dd[s].count);
		e->dd[s].first = e->dd[s].count = NULL;
	}
}

static void emitter_release(struct emitter *e)
{
	for (int s = 0; s < MRT_SEC_COUNT; s++)
		free(e->sec[s].p);
	free(e->strmap);
	free(e->rxmap);
	free(e->cluster_pos);
	for (int s = 0; s < MRT_SEC_COUNT; s++) {
		free(e->dd[s].first);
		free(e->dd[s].count);
	}
}

static void *emit(struct route_model *m, bool release, size_t *len, char *err,
		  size_t errlen);

void *route_emit(struct route_model *m, size_t *len, char *err, size_t errlen)
{
	return emit(m, false, len, err, errlen);
}

void *route_emit_release(struct route_model *m, size_t *len, char *err, size_t errlen)
{
	return emit(m, true, len, err, errlen);
}

static void *emit(struct route_model *m, bool release, size_t *len, char *err,
		  size_t errlen)
{
	struct emitter e;
	memset(&e, 0, sizeof(e));
	unsigned gen = ++m->emit_gen;
	buf_grow(&e.sec[MRT_SEC_STRS], HDR_SIZE);   /* the header's room */

	/* Clusters sorted by name. */
	struct rm_cluster **cl = xcalloc(m->n_clusters + 1, sizeof(*cl));
	if (m->n_clusters)
		memcpy(cl, m->clusters, m->n_clusters * sizeof(*cl));
	qsort(cl, m->n_clusters, sizeof(*cl), cluster_cmp);
	e.cluster_pos = xcalloc(m->n_clusters + 1, sizeof(*e.cluster_pos));
	for (size_t i = 0; i < m->n_clusters; i++) {
		e.cluster_pos[cl[i]->id] = (unsigned)i;
		uint32_t name = intern(&e, cl[i]->name), host = intern(&e, cl[i]->host);
		uint32_t subset = intern(&e, cl[i]->subset), lb = intern(&e, cl[i]->lb_policy);
		uint32_t tls = intern(&e, cl[i]->tls_mode), pol = intern(&e, cl[i]->policy_json);
		uint32_t dr = intern(&e, cl[i]->destination_rule);
		struct mrt_fmt_cluster *f = ADD(&e, MRT_SEC_CLST, struct mrt_fmt_cluster);
		f->name = name;
		f->host = host;
		f->subset = subset;
		f->port = cl[i]->port;
		f->lb_policy = lb;
		f->tls_mode = tls;
		f->policy = pol;
		f->destination_rule = dr;
	}
	free(cl);

	struct rm_listener **ls = xcalloc(m->n_listeners + 1, sizeof(*ls));
	if (m->n_listeners)
		memcpy(ls, m->listeners, m->n_listeners * sizeof(*ls));
	qsort(ls, m->n_listeners, sizeof(*ls), listener_cmp);
	for (size_t i = 0; i < m->n_listeners; i++)
		emit_listener(&e, ls[i], gen);
	emit_gateways(&e, ls, m->n_listeners);
	free(ls);
	for (size_t i = 0; i < m->n_gateways; i++) {
		uint32_t name = intern(&e, m->gateways[i].name);
		uint32_t sel = intern(&e, m->gateways[i].selector);
		uint32_t wl = intern_gateway(&e, m->gateways[i].workload ? m->gateways[i].workload :
					     m->gateways[i].name);
		struct mrt_fmt_gwsel *g = ADD(&e, MRT_SEC_GSEL, struct mrt_fmt_gwsel);
		g->name = name;
		g->selector = sel;
		g->workload = wl;
	}
	uint32_t domain = intern(&e, m->domain);
	/* Every record is written: the model and the lookup tables are done
	 * with before the table's memory grows to its full size. */
	emitter_drop_indexes(&e);
	if (release)
		route_model_release(m);

	/* Lay out: header, then each section 8-aligned. */
	uint64_t off = 0;
	uint64_t offs[MRT_SEC_COUNT], lens[MRT_SEC_COUNT];
	for (int s = 0; s < MRT_SEC_COUNT; s++) {
		off = (off + 7) & ~(uint64_t)7;
		offs[s] = s == MRT_SEC_STRS ? HDR_SIZE : off;
		lens[s] = e.sec[s].len - (s == MRT_SEC_STRS ? HDR_SIZE : 0);
		off = offs[s] + lens[s];
	}
	off = (off + 7) & ~(uint64_t)7;
	if (e.too_big || off > MRT_MAX_SIZE) {
		snprintf(err, errlen, "route table too large (%llu bytes; the format holds 4 GiB)",
			 (unsigned long long)off);
		emitter_release(&e);
		return NULL;
	}
	if (e.fail) {
		snprintf(err, errlen, "cannot write the route table: %s", e.fail);
		emitter_release(&e);
		return NULL;
	}
	/* The string buffer grows into the table; every other section is
	 * copied behind it and freed at once (padding zeroed). */
	uint8_t *out = xrealloc(e.sec[MRT_SEC_STRS].p, (size_t)off);
	e.sec[MRT_SEC_STRS].p = NULL;
	size_t end = e.sec[MRT_SEC_STRS].len;
	for (int s = 0; s < MRT_SEC_COUNT; s++) {
		if (s == MRT_SEC_STRS || !lens[s])
			continue;
		memset(out + end, 0, (size_t)offs[s] - end);
		memcpy(out + offs[s], e.sec[s].p, (size_t)lens[s]);
		end = (size_t)(offs[s] + lens[s]);
		free(e.sec[s].p);
		e.sec[s].p = NULL;
	}
	memset(out + end, 0, (size_t)off - end);
	struct mrt_fmt_header h;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, MRT_MAGIC, MRT_MAGIC_LEN);
	h.version = MRT_FORMAT_VERSION;
	h.byte_order = MRT_BYTE_ORDER;
	h.header_size = HDR_SIZE;
	h.total_size = off;
	h.nsections = MRT_SEC_COUNT;
	h.domain = domain;
	for (int s = 0; s < MRT_SEC_COUNT; s++) {
		h.sections[s].offset = lens[s] ? (uint32_t)offs[s] : 0;
		h.sections[s].length = (uint32_t)lens[s];
	}
	memcpy(out, &h, sizeof(h));
	h.checksum = mrt_fmt_table_checksum(out, (size_t)off);
	memcpy(out + offsetof(struct mrt_fmt_header, checksum), &h.checksum, 8);
	emitter_release(&e);
	*len = (size_t)off;
	return out;
}
