/*
 * The server-name index of a gateway port's filter chains.
 *
 * A port of a gateway workload carries one listener per TLS server: 2,000
 * of them when 2,000 Gateways share a workload and a port. A connection
 * takes the listener whose server names fit its SNI best (mrt_match.c
 * sni_score, as Envoy's filter chain match: an exact name, then the
 * longest "*" suffix, then "*" or no names at all; the first listener of
 * the best). Scoring every listener per request is linear in the
 * servers, so mrt_open() indexes each run of at least SNI_INDEX_MIN
 * listeners on one port once, and the matcher asks here instead, for the
 * same answer: the name's exact entry, else its suffixes longest first
 * (each a "*X" entry), else the run's first catch-all.
 *
 * Keys are hashed from their last byte backwards, so the hashes of all
 * suffixes of a request's name come from one pass over it.
 */
#include <stdlib.h>
#include <string.h>

#include "mrt_internal.h"

/* Shorter runs are scored directly: as fast as a lookup. */
#define SNI_INDEX_MIN 8

struct sni_run {
	uint32_t first, end;         /* its listeners [first, end) */
	uint32_t any;                /* first listener taking any name, or MRT_NONE */
};

struct sni_slot {
	const char *s;               /* table bytes; NULL: empty slot */
	uint32_t len, run, listener, hash;
	bool wild;                   /* "*" + s, else exactly s */
};

struct mrt_sni {
	uint32_t *run_of;            /* per listener: its run, or MRT_NONE */
	struct sni_run *runs;
	struct sni_slot *slots;
	uint32_t cap;                /* slots, a power of two (0: none) */
};

#define HASH_SEED 2166136261u
#define HASH_MUL 16777619u

static inline uint32_t back_step(uint32_t h, unsigned char c)
{
	return (h ^ c) * HASH_MUL;
}

/* The hash of key s[0..n) of run r, from its last byte backwards. */
static uint32_t key_hash(uint32_t suffix_hash, uint32_t run, bool wild)
{
	uint32_t h = suffix_hash ^ (run * 0x9e3779b1u) ^ (wild ? 0x5bd1e995u : 0);
	return h ^ (h >> 15);
}

static uint32_t back_hash(const char *s, uint32_t n)
{
	uint32_t h = HASH_SEED;
	while (n)
		h = back_step(h, (unsigned char)s[--n]);
	return h;
}

static struct sni_slot *find(const struct mrt_sni *x, const char *s, uint32_t n,
			     uint32_t run, bool wild, uint32_t h)
{
	uint32_t mask = x->cap - 1;
	for (uint32_t i = h & mask;; i = (i + 1) & mask) {
		struct sni_slot *e = &x->slots[i];
		if (!e->s || (e->hash == h && e->run == run && e->wild == wild &&
			      e->len == n && memcmp(e->s, s, n) == 0))
			return e;
	}
}

/* How many names listener k lists (an upper bound). */
static uint32_t count_entries(const struct mrt_table *t, uint32_t k)
{
	uint32_t ref = t->lstn[k].sni, n = 1;
	if (!ref)
		return 0;
	const char *v = mrt_str(t, ref);
	for (uint32_t i = 0, len = mrt_strlen(t, ref); i < len; i++)
		n += v[i] == ',';
	return n;
}

static void add_listener(struct mrt_sni *x, const struct mrt_table *t, uint32_t run,
			 uint32_t k)
{
	uint32_t ref = t->lstn[k].sni;
	if (!ref) {
		if (x->runs[run].any == MRT_NONE)
			x->runs[run].any = k;
		return;
	}
	const char *v = mrt_str(t, ref), *end = v + mrt_strlen(t, ref);
	const char *p;
	size_t pl;
	while (mrt_next_name(&v, end, &p, &pl)) {
		if (pl == 1 && p[0] == '*') {
			if (x->runs[run].any == MRT_NONE)
				x->runs[run].any = k;
		} else {
			bool wild = pl >= 2 && p[0] == '*';
			const char *s = wild ? p + 1 : p;
			uint32_t n = (uint32_t)(wild ? pl - 1 : pl);
			uint32_t h = key_hash(back_hash(s, n), run, wild);
			struct sni_slot *e = find(x, s, n, run, wild, h);
			if (!e->s)      /* the first listener naming it keeps it */
				*e = (struct sni_slot){ s, n, run, k, h, wild };
		}
	}
}

/* Where run_next() is in the table: a gateway record and a listener. */
struct run_walk {
	uint32_t g, i;
};

/*
 * The next run of SNI_INDEX_MIN or more listeners on one port within one
 * gateway's listeners, as [*first, *end); false after the last. Start
 * with a zeroed walk.
 */
static bool run_next(const struct mrt_table *t, struct run_walk *w, uint32_t *first,
		     uint32_t *end)
{
	for (; w->g < t->n[MRT_SEC_GWAY]; w->g++, w->i = 0) {
		const struct mrt_fmt_gateway *gw = &t->gway[w->g];
		uint32_t hi = gw->lstn_first + gw->lstn_count;
		if (!gw->name)
			continue;
		if (w->i < gw->lstn_first)
			w->i = gw->lstn_first;
		while (w->i < hi) {
			uint32_t s = w->i, e = s + 1;
			while (e < hi && t->lstn[e].port == t->lstn[s].port)
				e++;
			w->i = e;
			if (e - s >= SNI_INDEX_MIN) {
				*first = s;
				*end = e;
				return true;
			}
		}
	}
	return false;
}

int mrt_sni_build(struct mrt_table *t)
{
	uint32_t nl = t->n[MRT_SEC_LSTN], nruns = 0, entries = 0, i, end;
	struct run_walk w = { 0 };
	while (run_next(t, &w, &i, &end)) {
		nruns++;
		for (uint32_t k = i; k < end; k++)
			entries += count_entries(t, k);
	}
	if (!nruns)
		return 0;
	struct mrt_sni *x = calloc(1, sizeof(*x));
	if (!x)
		return -1;
	t->sni = x;
	x->cap = 2;
	while (x->cap < 2 * entries + 2)
		x->cap *= 2;
	x->run_of = malloc(nl * sizeof(*x->run_of));
	x->runs = malloc(nruns * sizeof(*x->runs));
	x->slots = calloc(x->cap, sizeof(*x->slots));
	if (!x->run_of || !x->runs || !x->slots)
		return -1;
	for (uint32_t k = 0; k < nl; k++)
		x->run_of[k] = MRT_NONE;
	uint32_t r = 0;
	w = (struct run_walk){ 0 };
	while (run_next(t, &w, &i, &end)) {
		if (x->run_of[i] != MRT_NONE)
			continue;   /* gateway records sharing listeners: indexed once */
		x->runs[r] = (struct sni_run){ i, end, MRT_NONE };
		for (uint32_t k = i; k < end; k++) {
			x->run_of[k] = r;
			add_listener(x, t, r, k);
		}
		r++;
	}
	return 0;
}

void mrt_sni_release(struct mrt_table *t)
{
	if (!t->sni)
		return;
	free(t->sni->run_of);
	free(t->sni->runs);
	free(t->sni->slots);
	free(t->sni);
	t->sni = NULL;
}

bool mrt_sni_pick(const struct mrt_table *t, uint32_t first, uint32_t end,
		  const char *name, size_t n, uint32_t *pick)
{
	const struct mrt_sni *x = t->sni;
	if (!x || x->run_of[first] == MRT_NONE)
		return false;
	uint32_t r = x->run_of[first];
	if (x->runs[r].first != first || x->runs[r].end != end || n > UINT32_MAX)
		return false;
	*pick = x->runs[r].any;
	if (!name)
		return true;
	/* Suffixes from the shortest: a longer "*X" found later wins. */
	uint32_t h = HASH_SEED, wild = MRT_NONE;
	for (size_t m = 1; m <= n; m++) {
		h = back_step(h, (unsigned char)name[n - m]);
		const char *s = name + (n - m);
		bool whole = m == n;
		const struct sni_slot *e = find(x, s, (uint32_t)m, r, !whole,
						key_hash(h, r, !whole));
		if (e->s && whole) {
			*pick = e->listener;
			return true;
		}
		if (e->s)
			wild = e->listener;
	}
	if (n == 0) {           /* an empty name: only an empty entry is exact */
		const struct sni_slot *e = find(x, name, 0, r, false,
						key_hash(HASH_SEED, r, false));
		if (e->s) {
			*pick = e->listener;
			return true;
		}
	}
	if (wild != MRT_NONE)
		*pick = wild;
	return true;
}
