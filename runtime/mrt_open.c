/*
 * Opening a route table: map the file, then verify all of it once, in
 * one linear pass over the sections (the FlatBuffers verifier is the
 * model). The header comes first (magic, byte order, version, sizes),
 * then the checksum of the whole file (header included; mrt_checksum.c),
 * then every record of every section: each string reference, index and
 * range is checked against the section it names, and each listener's
 * index entries against the virtual hosts it owns. After mrt_open()
 * succeeds, the matcher and the accessors read the mapping without any
 * further check and can never read outside it.
 *
 * Linear whatever the table's shape: every check costs a bounded amount
 * per record (names are at most MRT_NAME_MAX bytes, probe runs at most
 * MRT_PROBE_MAX slots). Nothing proportional to the table is allocated:
 * the table handle, a PCRE2 match context, and one pointer-sized slot per
 * regex (calloc'd, filled on first use of each regex).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mrt_internal.h"

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* ---- Verification ------------------------------------------------------- */

struct verifier {
	struct mrt_table *t;
	uint32_t strs_lo, strs_hi;   /* string section [lo, hi) */
	char *err;
	size_t errlen;
};

static const char *const section_names[MRT_SEC_COUNT] = {
	"strings", "listeners", "gateway index", "virtual hosts", "host index",
	"wildcard index", "routes", "route data", "matches", "conditions",
	"destinations", "route extras", "header operations", "clusters", "regexes",
	"gateways",
};

static int fail(struct verifier *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct verifier *v, const char *fmt, ...)
{
	if (v->err && v->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(v->err, v->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * A string reference: 0 (allowed when `optional`), or a 4-aligned offset
 * inside the string section with its length before it and a NUL after.
 */
static bool str_ok(const struct verifier *v, uint32_t ref, bool optional)
{
	if (ref == 0)
		return optional;
	if ((ref & 3) || ref < v->strs_lo + 4 || ref >= v->strs_hi)
		return false;
	uint32_t len = rd32(v->t->base + ref - 4);
	if ((uint64_t)ref + len >= v->strs_hi)
		return false;
	return v->t->base[ref + len] == 0;
}

static bool range_ok(uint32_t first, uint32_t count, uint32_t n)
{
	return first <= n && count <= n - first;
}

static bool index_ok(uint32_t i, uint32_t n, bool none_ok)
{
	return i < n || (none_ok && i == MRT_NONE);
}

#define STR(ref, opt, what) do { if (!str_ok(v, (ref), (opt))) \
	return fail(v, "%s %u: bad string reference in %s", sec, i, what); } while (0)
#define RANGE(f, c, s, what) do { if (!range_ok((f), (c), t->n[s])) \
	return fail(v, "%s %u: %s range outside its section", sec, i, what); } while (0)
#define INDEX(x, s, none, what) do { if (!index_ok((x), t->n[s], (none))) \
	return fail(v, "%s %u: %s index out of range", sec, i, what); } while (0)

/* A virtual host name: a string of at most MRT_NAME_MAX bytes. */
static bool name_ok(const struct verifier *v, uint32_t ref)
{
	return str_ok(v, ref, false) && mrt_strlen(v->t, ref) <= MRT_NAME_MAX;
}

/*
 * The order of two verified strings, for the sorted lists of the format:
 * 0 for the same reference; else strcmp(), where equal text under two
 * references counts as out of order (1), since the writer stores each
 * string once. So a sorted list names each string in one run and each
 * comparison reads bytes no other comparison of that list reads: the
 * checks stay linear however long the strings are.
 */
static int str_order(const struct mrt_table *t, uint32_t a, uint32_t b)
{
	if (a == b)
		return 0;
	int c = strcmp(mrt_str(t, a), mrt_str(t, b));
	return c ? c : 1;
}

static uint32_t name_hash(const struct mrt_table *t, uint32_t ref)
{
	return mrt_fmt_hash(mrt_str(t, ref), mrt_strlen(t, ref));
}

/*
 * The longest run of used slots (cyclically) in an open-addressing
 * index of n slots, at least one empty: slot i's key is the uint32_t at
 * first + i * stride bytes, `empty` in an empty slot. A lookup probes at
 * most that many slots, so bounding it bounds every lookup.
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

enum vhost_kind { VH_EXACT, VH_WILD, VH_STAR };

/* How the matcher finds virtual host vi: "*", "*.suffix", or exactly. */
static enum vhost_kind vhost_kind(const struct mrt_table *t, uint32_t vi)
{
	const char *name = mrt_str(t, t->vhst[vi].name);
	if (name[0] != '*')
		return VH_EXACT;
	return name[1] == 0 ? VH_STAR : name[1] == '.' ? VH_WILD : VH_EXACT;
}

/*
 * Virtual host records on their own: names (bounded, lower case), flags,
 * route ranges; host index slots and wildcard entries in range. Which
 * listener owns which is verify_listener_index()'s business.
 */
static int verify_vhosts(struct verifier *v)
{
	struct mrt_table *t = v->t;
	const char *sec = "virtual host";
	for (uint32_t i = 0; i < t->n[MRT_SEC_VHST]; i++) {
		const struct mrt_fmt_vhost *h = &t->vhst[i];
		if (!name_ok(v, h->name))
			return fail(v, "virtual host %u: bad name (a string of at most %u bytes)",
				    i, MRT_NAME_MAX);
		RANGE(h->route_first, h->route_count, MRT_SEC_ROUT, "route");
		if (h->flags & ~(MRT_VH_HTTPS_REDIRECT | MRT_VH_SOURCE_SCOPED))
			return fail(v, "virtual host %u: unknown flags %#x", i, h->flags);
		INDEX(h->fallback, MRT_SEC_ROUT, true, "fallback route");
		/* The matcher lower-cases only the request's host. */
		const char *name = mrt_str(t, h->name);
		for (uint32_t k = 0, n = mrt_strlen(t, h->name); k < n; k++)
			if (name[k] >= 'A' && name[k] <= 'Z')
				return fail(v, "virtual host %u: name is not lower case", i);
	}
	sec = "host index slot";
	for (uint32_t i = 0; i < t->n[MRT_SEC_HASH]; i++) {
		INDEX(t->hash[i].vhost, MRT_SEC_VHST, true, "virtual host");
		if (t->hash[i].vhost == MRT_NONE && t->hash[i].hash != MRT_NONE)
			return fail(v, "host index slot %u: empty slot with a hash", i);
	}
	sec = "wildcard index entry";
	for (uint32_t i = 0; i < t->n[MRT_SEC_WILD]; i++)
		INDEX(t->wild[i], MRT_SEC_VHST, false, "virtual host");
	return 0;
}

/*
 * What listener i owns and how the matcher reaches it: its virtual hosts
 * (names strictly increasing, so each host once); each exact host found
 * through the host index as the matcher probes (from its hash, no empty
 * slot before it, at most MRT_PROBE_MAX steps), in a slot holding its
 * hash, and no slot used otherwise; the wildcard entries exactly its
 * wildcard hosts, longest first; the catch-all exactly its "*" host. So
 * every index entry points into the listener's own virtual hosts, and
 * every virtual host a dump shows is the one a request for it reaches.
 * Work: a bounded amount per virtual host, slot and entry.
 */
static int verify_listener_index(struct verifier *v, uint32_t i)
{
	struct mrt_table *t = v->t;
	const struct mrt_fmt_listener *l = &t->lstn[i];
	uint32_t vf = l->vhost_first, ve = vf + l->vhost_count;
	uint32_t n_exact = 0, n_wild = 0, star = MRT_NONE;
	for (uint32_t vi = vf; vi < ve; vi++) {
		if (vi > vf && str_order(t, t->vhst[vi - 1].name, t->vhst[vi].name) >= 0)
			return fail(v, "listener %u: virtual hosts not sorted by name, or one "
				    "listed twice", i);
		switch (vhost_kind(t, vi)) {
		case VH_EXACT: n_exact++; break;
		case VH_WILD: n_wild++; break;
		case VH_STAR: star = vi; break;
		}
	}
	if (l->star != star)
		return fail(v, "listener %u: catch-all entry is not its \"*\" virtual host", i);

	uint32_t used = 0, mask = l->hash_size - 1;
	for (uint32_t k = 0; k < l->hash_size; k++)
		used += t->hash[l->hash_first + k].vhost != MRT_NONE;
	if (used != n_exact || (used && used == l->hash_size))
		return fail(v, "listener %u: host index has %u of %u slots used for %u exact "
			    "hosts", i, used, l->hash_size, n_exact);
	if (longest_run(&t->hash[l->hash_first].vhost, sizeof(struct mrt_fmt_slot),
			MRT_NONE, l->hash_size) > MRT_PROBE_MAX)
		return fail(v, "listener %u: host index has a run of more than %u used slots",
			    i, MRT_PROBE_MAX);
	for (uint32_t vi = vf; vi < ve; vi++) {
		if (vhost_kind(t, vi) != VH_EXACT)
			continue;
		uint32_t h = name_hash(t, t->vhst[vi].name);
		const struct mrt_fmt_slot *s = NULL;
		for (uint32_t k = 0; k <= MRT_PROBE_MAX; k++) {
			s = &t->hash[l->hash_first + ((h + k) & mask)];
			if (s->vhost == vi || s->vhost == MRT_NONE)
				break;
		}
		if (s->vhost != vi)
			return fail(v, "listener %u: virtual host \"%s\" cannot be found through "
				    "the host index", i, mrt_str(t, t->vhst[vi].name));
		if (s->hash != h)
			return fail(v, "listener %u: host index slot of \"%s\" has a wrong hash",
				    i, mrt_str(t, t->vhst[vi].name));
	}

	if (l->wild_count != n_wild)
		return fail(v, "listener %u: %u wildcard entries for %u wildcard hosts",
			    i, l->wild_count, n_wild);
	for (uint32_t k = 0; k < l->wild_count; k++) {
		uint32_t vi = t->wild[l->wild_first + k];
		if (vi < vf || vi >= ve || vhost_kind(t, vi) != VH_WILD)
			return fail(v, "listener %u: wildcard entry %u is not one of its "
				    "wildcard hosts", i, k);
		if (k > 0) {
			/* longest first (Envoy's pick), then by name: each host once */
			uint32_t p = t->vhst[t->wild[l->wild_first + k - 1]].name, q = t->vhst[vi].name;
			uint32_t pl = mrt_strlen(t, p), ql = mrt_strlen(t, q);
			if (pl < ql || (pl == ql && str_order(t, p, q) >= 0))
				return fail(v, "listener %u: wildcard entries not longest first, or "
					    "one listed twice", i);
		}
	}
	return 0;
}

/*
 * The gateway index, as the matcher uses it: probing from a gateway
 * name's hash finds, within MRT_PROBE_MAX slots, the first slot with that
 * hash and those bytes, and that slot's range must be exactly the run of
 * listeners of that gateway; every gateway of the listeners is checked
 * so. Each used slot's range holds only listeners with that very name
 * (so whatever a request finds is a gateway's own listeners), and the
 * ranges together hold no more listeners than there are, which bounds
 * the work. Names are read once per gateway (each is one run of the
 * sorted listeners).
 */
static int verify_gateway_index(struct verifier *v)
{
	struct mrt_table *t = v->t;
	const char *sec = "gateway index slot";
	uint32_t ng = t->n[MRT_SEC_GWAY], nl = t->n[MRT_SEC_LSTN], covered = 0, used = 0;
	if (ng & (ng - 1))
		return fail(v, "gateway index size %u is not a power of two", ng);
	for (uint32_t i = 0; i < ng; i++) {
		const struct mrt_fmt_gateway *g = &t->gway[i];
		if (g->name == 0) {
			if (g->hash || g->lstn_first || g->lstn_count)
				return fail(v, "gateway index slot %u: empty slot is not zero", i);
			continue;
		}
		used++;
		STR(g->name, false, "gateway");
		RANGE(g->lstn_first, g->lstn_count, MRT_SEC_LSTN, "listener");
		if (g->lstn_count == 0 || g->lstn_count > nl - covered)
			return fail(v, "gateway index slot %u: listener ranges overlap or are empty", i);
		covered += g->lstn_count;
		for (uint32_t k = g->lstn_first; k < g->lstn_first + g->lstn_count; k++)
			if (t->lstn[k].gateway != g->name)
				return fail(v, "gateway index slot %u: listener %u has another gateway",
					    i, k);
	}
	if ((ng == 0 && nl) || (ng && used == ng))
		return fail(v, "gateway index: no empty slot");
	if (ng && longest_run(&t->gway[0].name, sizeof(struct mrt_fmt_gateway), 0, ng) >
	    MRT_PROBE_MAX)
		return fail(v, "gateway index: a run of more than %u used slots", MRT_PROBE_MAX);
	for (uint32_t first = 0, end; first < nl; first = end) {
		uint32_t name = t->lstn[first].gateway;
		for (end = first + 1; end < nl && t->lstn[end].gateway == name; end++)
			;
		const char *s = mrt_str(t, name);
		uint32_t len = mrt_strlen(t, name), h = mrt_fmt_hash(s, len);
		const struct mrt_fmt_gateway *g = NULL;
		for (uint32_t k = 0, j = h & (ng - 1); k <= MRT_PROBE_MAX; k++, j = (j + 1) & (ng - 1)) {
			const struct mrt_fmt_gateway *c = &t->gway[j];
			if (c->name == 0)
				break;
			if (c->hash == h && mrt_strlen(t, c->name) == len &&
			    memcmp(mrt_str(t, c->name), s, len) == 0) {
				g = c;
				break;
			}
		}
		if (!g || g->lstn_first != first || g->lstn_count != end - first)
			return fail(v, "gateway index: gateway \"%s\" does not lead to its %u "
				    "listeners", s, end - first);
	}
	return 0;
}

/*
 * Listeners: fields, order (by gateway, then port), and their ranges:
 * each inside its section, and the virtual host, host index and
 * wildcard ranges of successive listeners laid out in listener order,
 * so that no two listeners share an entry. Then the gateway index.
 */
static int verify_listeners(struct verifier *v)
{
	struct mrt_table *t = v->t;
	const char *sec = "listener";
	uint32_t vh_end = 0, hash_end = 0, wild_end = 0;
	for (uint32_t i = 0; i < t->n[MRT_SEC_LSTN]; i++) {
		const struct mrt_fmt_listener *l = &t->lstn[i];
		STR(l->gateway, false, "gateway");
		STR(l->sni, true, "server names");
		if (l->flags & ~MRT_LS_TERMINATES_TLS)
			return fail(v, "listener %u: unknown flags %#x", i, l->flags);
		if (l->sni && mrt_strlen(t, l->sni) > MRT_LIST_MAX)
			return fail(v, "listener %u: server names longer than %u bytes", i,
				    MRT_LIST_MAX);
		STR(l->protocol, true, "protocol");
		STR(l->tls_mode, true, "tls mode");
		STR(l->name, true, "name");
		RANGE(l->vhost_first, l->vhost_count, MRT_SEC_VHST, "virtual host");
		RANGE(l->hash_first, l->hash_size, MRT_SEC_HASH, "host index");
		if (l->hash_size & (l->hash_size - 1))
			return fail(v, "listener %u: host index size %u is not a power of two",
				    i, l->hash_size);
		RANGE(l->wild_first, l->wild_count, MRT_SEC_WILD, "wildcard");
		RANGE(l->l4_first, l->l4_count, MRT_SEC_ROUT, "tcp/tls route");
		if ((l->vhost_count && l->vhost_first < vh_end) ||
		    (l->hash_size && l->hash_first < hash_end) ||
		    (l->wild_count && l->wild_first < wild_end))
			return fail(v, "listener %u: its virtual host, host index or wildcard "
				    "range overlaps another listener's", i);
		if (l->vhost_count)
			vh_end = l->vhost_first + l->vhost_count;
		if (l->hash_size)
			hash_end = l->hash_first + l->hash_size;
		if (l->wild_count)
			wild_end = l->wild_first + l->wild_count;
		if (verify_listener_index(v, i))
			return -1;
		if (i > 0) {
			/* by gateway, port, then server names (none first) */
			const struct mrt_fmt_listener *p = &t->lstn[i - 1];
			int c = str_order(t, p->gateway, l->gateway);
			if (c == 0 && p->port == l->port)
				c = !p->sni || !l->sni ? (p->sni != 0) - (l->sni != 0) :
				    p->sni == l->sni ? 0 : strcmp(mrt_str(t, p->sni), mrt_str(t, l->sni));
			else if (c == 0)
				c = p->port > l->port ? 1 : -1;
			if (c >= 0)
				return fail(v, "listener %u: listeners not sorted by gateway, port "
					    "and server names", i);
		}
	}

	return verify_gateway_index(v);
}

static int verify_routes(struct verifier *v)
{
	struct mrt_table *t = v->t;
	const char *sec = "route";
	if (t->n[MRT_SEC_RDAT] != t->n[MRT_SEC_ROUT])
		return fail(v, "%u routes but %u route data records", t->n[MRT_SEC_ROUT],
			    t->n[MRT_SEC_RDAT]);
	for (uint32_t i = 0; i < t->n[MRT_SEC_ROUT]; i++) {
		const struct mrt_fmt_route *r = &t->rout[i];
		const struct mrt_fmt_route_data *d = &t->rdat[i];
		STR(d->name, true, "name");
		STR(d->vs, true, "virtual service");
		if (MRT_RT_KIND(r->info) > MRT_ROUTE_TCP ||
		    MRT_RT_ACTION(r->info) > MRT_ACTION_DIRECT_RESPONSE)
			return fail(v, "route %u: bad kind or action", i);
		RANGE(r->match_first, r->match_count, MRT_SEC_MTCH, "match");
		RANGE(d->dest_first, d->dest_count, MRT_SEC_DEST, "destination");
		INDEX(d->extra, MRT_SEC_EXTR, true, "extra");
		if (MRT_RT_ACTION(r->info) != MRT_ACTION_ROUTE && d->extra == MRT_NONE)
			return fail(v, "route %u: redirect or direct response without its data", i);
	}
	sec = "match";
	for (uint32_t i = 0; i < t->n[MRT_SEC_MTCH]; i++) {
		const struct mrt_fmt_match *m = &t->mtch[i];
		STR(m->name, true, "name");
		RANGE(m->cond_first, m->cond_count, MRT_SEC_COND, "condition");
	}
	sec = "condition";
	for (uint32_t i = 0; i < t->n[MRT_SEC_COND]; i++) {
		const struct mrt_fmt_cond *c = &t->cond[i];
		if (c->field >= MRT_FIELD_COUNT || c->op >= MRT_OP_COUNT ||
		    (c->flags & ~(MRT_COND_INVERT | MRT_COND_IGNORE_CASE)) || c->pad)
			return fail(v, "condition %u: bad field, operator or flags", i);
		STR(c->key, c->field != MRT_FIELD_HEADER && c->field != MRT_FIELD_QUERY &&
		    c->field != MRT_FIELD_SOURCE_LABEL, "key");
		if (c->field != MRT_FIELD_PORT)
			STR(c->value, c->op == MRT_OP_PRESENT, "value");
		if (c->op == MRT_OP_REGEX)
			INDEX(c->regex, MRT_SEC_REGX, false, "regex");
	}
	return 0;
}

static int verify_actions(struct verifier *v)
{
	struct mrt_table *t = v->t;
	const char *sec = "destination";
	for (uint32_t i = 0; i < t->n[MRT_SEC_DEST]; i++) {
		const struct mrt_fmt_dest *d = &t->dest[i];
		INDEX(d->cluster, MRT_SEC_CLST, false, "cluster");
		RANGE(d->hop_first, d->hop_count, MRT_SEC_HOPS, "header operation");
	}
	sec = "route extra";
	for (uint32_t i = 0; i < t->n[MRT_SEC_EXTR]; i++) {
		const struct mrt_fmt_extra *e = &t->extr[i];
		STR(e->rd_uri, true, "redirect uri");
		STR(e->rd_authority, true, "redirect authority");
		STR(e->rd_scheme, true, "redirect scheme");
		STR(e->rd_prefix, true, "redirect prefix");
		if (e->rd_derive > MRT_DERIVE_FROM_REQUEST_PORT)
			return fail(v, "route extra %u: bad derivePort", i);
		STR(e->dr_body, true, "direct response body");
		STR(e->rw_uri, true, "rewrite uri");
		STR(e->rw_authority, true, "rewrite authority");
		INDEX(e->rw_regex, MRT_SEC_REGX, true, "rewrite regex");
		STR(e->rw_sub, true, "rewrite substitution");
		STR(e->rt_retry_on, true, "retryOn");
		STR(e->rt_status_codes, true, "retriable status codes");
		STR(e->fa_grpc, true, "grpc status");
		STR(e->fa_http2, true, "http2 error");
		RANGE(e->mirror_first, e->mirror_count, MRT_SEC_DEST, "mirror");
		RANGE(e->cors_origin_first, e->cors_origin_count, MRT_SEC_COND, "cors origin");
		STR(e->cors_methods, true, "cors methods");
		STR(e->cors_allow_headers, true, "cors headers");
		STR(e->cors_expose_headers, true, "cors expose headers");
		STR(e->cors_preflight, true, "cors unmatched preflights");
		RANGE(e->hop_first, e->hop_count, MRT_SEC_HOPS, "header operation");
	}
	sec = "header operation";
	for (uint32_t i = 0; i < t->n[MRT_SEC_HOPS]; i++) {
		const struct mrt_fmt_hop *h = &t->hops[i];
		if (h->target > MRT_HEADERS_RESPONSE || h->op > MRT_HEADER_REMOVE || h->pad)
			return fail(v, "header operation %u: bad target or operation", i);
		STR(h->name, false, "name");
		STR(h->value, h->op == MRT_HEADER_REMOVE, "value");
	}
	sec = "cluster";
	for (uint32_t i = 0; i < t->n[MRT_SEC_CLST]; i++) {
		const struct mrt_fmt_cluster *c = &t->clst[i];
		STR(c->name, false, "name");
		STR(c->host, false, "host");
		STR(c->subset, true, "subset");
		STR(c->lb_policy, true, "load balancer");
		STR(c->tls_mode, true, "tls mode");
		STR(c->policy, true, "policy");
		STR(c->destination_rule, true, "destination rule");
	}
	sec = "gateway";
	for (uint32_t i = 0; i < t->n[MRT_SEC_GSEL]; i++) {
		const struct mrt_fmt_gwsel *g = &t->gsel[i];
		STR(g->name, false, "name");
		STR(g->selector, true, "selector");
		STR(g->workload, false, "workload");
		if (i > 0 && str_order(t, t->gsel[i - 1].name, g->name) >= 0)
			return fail(v, "gateway %u: gateways not sorted by name", i);
	}
	sec = "regex";
	for (uint32_t i = 0; i < t->n[MRT_SEC_REGX]; i++)
		STR(t->regx[i].pattern, false, "pattern");
	return 0;
}

/* The header and section table; fills t's section pointers. */
static int verify_header(struct verifier *v)
{
	struct mrt_table *t = v->t;
	const struct mrt_fmt_header *h = t->hdr;
	size_t hs = sizeof(struct mrt_fmt_header);

	if (t->size < MRT_MAGIC_LEN || memcmp(h->magic, MRT_MAGIC, MRT_MAGIC_LEN) != 0) {
		if (t->size >= 4 && memcmp(t->base + 1, "MRT", 3) == 0)
			return fail(v, "bad magic: the file was altered in transfer "
				    "(text mode or line-ending conversion?)");
		return fail(v, "not a meshc route table (bad magic)");
	}
	if (t->size < hs)
		return fail(v, "truncated: %zu bytes, the header alone is %zu", t->size, hs);
	if (h->byte_order != MRT_BYTE_ORDER)
		return fail(v, "byte order mismatch (table written on a big-endian host?)");
	if (h->version < MRT_FORMAT_VERSION)
		return fail(v, "table format version %u is older than this library's %u: "
			    "recompile the config with `meshc compile`", h->version,
			    MRT_FORMAT_VERSION);
	if (h->version != MRT_FORMAT_VERSION)
		return fail(v, "unsupported format version %u (this library reads %u)",
			    h->version, MRT_FORMAT_VERSION);
	if (h->header_size != hs)
		return fail(v, "bad header size %u", h->header_size);
	if (h->total_size != t->size)
		return fail(v, "size mismatch: header says %llu bytes, file has %zu",
			    (unsigned long long)h->total_size, t->size);
	if (h->flags != 0)
		return fail(v, "unknown flags %#x", h->flags);
	if (h->nsections != MRT_SEC_COUNT)
		return fail(v, "bad section count %u", h->nsections);
	uint64_t sum = mrt_fmt_table_checksum(t->base, t->size);
	if (sum != h->checksum)
		return fail(v, "checksum mismatch: the table is damaged");

	for (unsigned s = 0; s < MRT_MAX_SECTIONS; s++) {
		const struct mrt_fmt_section *sc = &h->sections[s];
		if (s >= MRT_SEC_COUNT) {
			if (sc->offset || sc->length)
				return fail(v, "unused section slot %u is not zero", s);
			continue;
		}
		if (sc->length == 0) {
			if (sc->offset)
				return fail(v, "empty %s section with offset %u",
					    section_names[s], sc->offset);
			t->n[s] = 0;
			continue;
		}
		if ((sc->offset & 7) || sc->offset < hs ||
		    (uint64_t)sc->offset + sc->length > t->size)
			return fail(v, "%s section (offset %u, length %u) outside the file",
				    section_names[s], sc->offset, sc->length);
		if (sc->length % mrt_fmt_record_size[s])
			return fail(v, "%s section length %u is not a whole number of records",
				    section_names[s], sc->length);
		t->n[s] = sc->length / mrt_fmt_record_size[s];
	}
	/* Sections never share bytes: a damaged offset or length that still
	 * lies inside the file shows up as an overlap. */
	for (unsigned a = 0; a < MRT_SEC_COUNT; a++) {
		const struct mrt_fmt_section *x = &h->sections[a];
		for (unsigned c = a + 1; c < MRT_SEC_COUNT && x->length; c++) {
			const struct mrt_fmt_section *y = &h->sections[c];
			if (y->length && x->offset < (uint64_t)y->offset + y->length &&
			    y->offset < (uint64_t)x->offset + x->length)
				return fail(v, "%s and %s sections overlap",
					    section_names[a], section_names[c]);
		}
	}
	const uint8_t *b = t->base;
	const struct mrt_fmt_section *sc = h->sections;
	t->lstn = (const void *)(b + sc[MRT_SEC_LSTN].offset);
	t->gway = (const void *)(b + sc[MRT_SEC_GWAY].offset);
	t->vhst = (const void *)(b + sc[MRT_SEC_VHST].offset);
	t->hash = (const void *)(b + sc[MRT_SEC_HASH].offset);
	t->wild = (const void *)(b + sc[MRT_SEC_WILD].offset);
	t->rout = (const void *)(b + sc[MRT_SEC_ROUT].offset);
	t->rdat = (const void *)(b + sc[MRT_SEC_RDAT].offset);
	t->mtch = (const void *)(b + sc[MRT_SEC_MTCH].offset);
	t->cond = (const void *)(b + sc[MRT_SEC_COND].offset);
	t->dest = (const void *)(b + sc[MRT_SEC_DEST].offset);
	t->extr = (const void *)(b + sc[MRT_SEC_EXTR].offset);
	t->hops = (const void *)(b + sc[MRT_SEC_HOPS].offset);
	t->clst = (const void *)(b + sc[MRT_SEC_CLST].offset);
	t->regx = (const void *)(b + sc[MRT_SEC_REGX].offset);
	t->gsel = (const void *)(b + sc[MRT_SEC_GSEL].offset);
	v->strs_lo = sc[MRT_SEC_STRS].offset;
	v->strs_hi = sc[MRT_SEC_STRS].offset + sc[MRT_SEC_STRS].length;
	/* The string section is a whole sequence of entries (length, bytes,
	 * NUL, zero padding to 4), so a damaged section length shows. */
	for (uint64_t pos = v->strs_lo; pos < v->strs_hi;) {
		if (v->strs_hi - pos < 8)
			return fail(v, "string section: truncated entry at offset %llu",
				    (unsigned long long)pos);
		uint64_t end = pos + 4 + rd32(b + pos);
		uint64_t next = (end + 1 + 3) & ~(uint64_t)3;
		if (next > v->strs_hi)
			return fail(v, "string section: entry at offset %llu runs past its end",
				    (unsigned long long)pos);
		for (uint64_t z = end; z < next; z++)
			if (b[z])
				return fail(v, "string section: entry at offset %llu not terminated",
					    (unsigned long long)pos);
		pos = next;
	}
	if (!str_ok(v, h->domain, false))
		return fail(v, "header: bad string reference for the domain");
	t->domain_len = mrt_strlen(t, h->domain);
	return 0;
}

static int verify(struct verifier *v)
{
	if (verify_header(v) || verify_vhosts(v) || verify_listeners(v) ||
	    verify_routes(v) || verify_actions(v))
		return -1;
	return 0;
}

/* Verifies t (base and size set), then allocates the regex slots. */
static int table_finish(struct mrt_table *t, char *err, size_t errlen)
{
	struct verifier v = { .t = t, .err = err, .errlen = errlen };
	t->hdr = (const struct mrt_fmt_header *)t->base;
	if (verify(&v))
		return -1;
	if (mrt_regex_init(t) != 0 || mrt_gsel_resolve(t) != 0 || mrt_sni_build(t) != 0)
		return fail(&v, "out of memory");
	t->generation = mrt_next_generation();
	return 0;
}

int mrt_open_buffer(const void *buf, size_t len, mrt_table **out,
		    char *err, size_t errlen)
{
	*out = NULL;
	if (((uintptr_t)buf & 7) != 0) {
		if (err && errlen)
			snprintf(err, errlen, "table buffer is not 8-byte aligned");
		return -1;
	}
	struct mrt_table *t = calloc(1, sizeof(*t));
	if (!t) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->base = buf;
	t->size = len;
	if (table_finish(t, err, errlen)) {
		mrt_close(t);
		return -1;
	}
	*out = t;
	return 0;
}

int mrt_open(const char *path, mrt_table **out, char *err, size_t errlen)
{
	struct verifier v = { .err = err, .errlen = errlen };
	struct mrt_table *t = NULL;
	struct stat st;
	int fd;

	*out = NULL;
	/* A proxy reloading its table must never block: refuse a FIFO or a
	 * device before opening it, and open without blocking in case the
	 * path changed since (fstat() then tells). */
	if (stat(path, &st) != 0)
		return fail(&v, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(&v, "%s: not a regular file", path);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return fail(&v, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		fail(&v, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		fail(&v, "%s: not a regular file", path);
		goto fail;
	}
	if ((uint64_t)st.st_size < sizeof(struct mrt_fmt_header)) {
		char magic[MRT_MAGIC_LEN];
		ssize_t got = read(fd, magic, sizeof(magic));
		if (got == (ssize_t)sizeof(magic) && memcmp(magic, MRT_MAGIC, MRT_MAGIC_LEN) == 0)
			fail(&v, "%s: truncated: %lld bytes, the header alone is %zu",
			     path, (long long)st.st_size, sizeof(struct mrt_fmt_header));
		else
			fail(&v, "%s: not a meshc route table (bad magic)", path);
		goto fail;
	}
	if ((uint64_t)st.st_size > MRT_MAX_SIZE) {
		fail(&v, "%s: too large for a route table", path);
		goto fail;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		fail(&v, "out of memory");
		goto fail;
	}
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		fail(&v, "%s: mmap: %s", path, strerror(errno));
		goto fail;
	}
	close(fd);
	fd = -1;
	t->base = map;
	t->size = (size_t)st.st_size;
	t->mapped = true;
	t->file_dev = (uint64_t)st.st_dev;
	t->file_ino = (uint64_t)st.st_ino;
	t->file_size = (uint64_t)st.st_size;
	t->file_mtime_sec = (int64_t)st.st_mtim.tv_sec;
	t->file_mtime_nsec = (int64_t)st.st_mtim.tv_nsec;
	if (table_finish(t, err, errlen)) {
		/* Prefix the file name to the verifier's message. */
		if (err && errlen) {
			char tmp[512];
			snprintf(tmp, sizeof(tmp), "%s", err);
			snprintf(err, errlen, "%s: %s", path, tmp);
		}
		goto fail;
	}
	*out = t;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	mrt_close(t);
	return -1;
}

void mrt_close(mrt_table *t)
{
	if (!t)
		return;
	mrt_regex_release(t);
	free(t->gsel_gway);
	mrt_sni_release(t);
	if (t->mapped)
		munmap((void *)t->base, t->size);
	free(t);
}

int mrt_is_table(const void *head, size_t len)
{
	return head && len >= MRT_MAGIC_LEN && memcmp(head, MRT_MAGIC, MRT_MAGIC_LEN) == 0;
}
