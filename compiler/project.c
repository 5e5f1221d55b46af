/*
 * A run over a set of inputs: reads the paths (source.c), then runs the
 * per-unit phases on a small pool of threads (one arena and diagnostics
 * list per unit, so workers share nothing), and gathers the results in
 * input order.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler.h"
#include "gwapi.h"
#include "model.h"
#include "strtab.h"
#include "xref_index.h"

void meshc_options_init(struct meshc_options *o)
{
	memset(o, 0, sizeof(*o));
	o->namespace = "default";
	o->domain = "cluster.local";
	o->limits.max_depth = 256;
	o->limits.max_alias_nodes = 10000;
	o->limits.max_scalar_bytes = 1024 * 1024;
	o->limits.max_document_bytes = 64 * 1024 * 1024;
	o->limits.max_file_bytes = 64 * 1024 * 1024;
}

void project_init(struct project *p, const struct meshc_options *opt)
{
	memset(p, 0, sizeof(*p));
	p->opt = *opt;
	arena_init(&p->arena);
	diag_list_init(&p->diags, &p->arena);
}

void project_release(struct project *p)
{
	for (size_t i = 0; i < p->nunits; i++) {
		struct source_unit *u = &p->units[i];
		diag_list_release(&u->diags);
		arena_release(&u->arena);
		free(u->bytes);
		free(u->docs);
		free(u->doc_irregular);
		free(u->res);
		free(u->gw_trees);
	}
	project_index_release(p);
	free(p->units);
	free(p->res);
	diag_list_release(&p->diags);
	arena_release(&p->arena);
	memset(p, 0, sizeof(*p));
}

/* ---- the worker pool ---- */

/*
 * n items handed out one at a time: the units (fn), or the parts of a
 * load (item, which gets the worker's scratch arena).
 */
struct pool_job {
	struct project *p;
	size_t n;
	atomic_size_t next;
	void (*fn)(struct project *p, struct source_unit *u, void *ctx);
	void (*item)(void *ctx, size_t i, struct arena *scratch);
	void *ctx;
};

static void *pool_worker(void *arg)
{
	struct pool_job *job = arg;
	/* One scratch arena per worker for the whole pass, reset (not
	 * freed) between uses, so its pages are faulted in once. */
	struct arena scratch;
	arena_init(&scratch);
	for (;;) {
		size_t i = atomic_fetch_add(&job->next, 1);
		if (i >= job->n)
			break;
		if (job->item) {
			job->item(job->ctx, i, &scratch);
			continue;
		}
		job->fn(job->p, &job->p->units[i], job->ctx);
		if (job->p->opt.progress)
			job->p->opt.progress(job->p->opt.progress_ctx, i + 1, job->p->nunits);
	}
	arena_release(&scratch);
	return NULL;
}

static void pool_run(struct pool_job *job)
{
	struct project *p = job->p;
	atomic_init(&job->next, 0);
	unsigned jobs = p->opt.jobs;
	if (jobs == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = n > 0 ? (unsigned)n : 1;
	}
	if (jobs > 64)
		jobs = 64;
	if (jobs > job->n)
		jobs = (unsigned)job->n;
	if (jobs <= 1) {
		pool_worker(job);
		return;
	}
	pthread_t tids[64];
	unsigned started = 0;
	for (unsigned i = 1; i < jobs; i++)
		if (pthread_create(&tids[started], NULL, pool_worker, job) == 0)
			started++;
	pool_worker(job);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
}

void project_each_unit(struct project *p,
		       void (*fn)(struct project *p, struct source_unit *u, void *ctx),
		       void *ctx)
{
	struct pool_job job = { .p = p, .n = p->nunits, .fn = fn, .ctx = ctx };
	pool_run(&job);
}

void project_each_item(struct project *p, size_t n,
		       void (*item)(void *ctx, size_t i, struct arena *scratch),
		       void *ctx)
{
	struct pool_job job = { .p = p, .n = n, .item = item, .ctx = ctx };
	pool_run(&job);
}

/* ---- loading ---- */

/*
 * Inputs larger than twice this are split into parts of about this size
 * at document boundaries, so one large file (a `kubectl get -o yaml`
 * dump) loads on every core as many small files do.
 */
#define PART_BYTES (512 * 1024)

/* PART_BYTES, or MESHC_PART_BYTES from the environment (tests split
 * small inputs with it; 0 splits nothing). */
static size_t part_bytes(void)
{
	const char *e = getenv("MESHC_PART_BYTES");
	if (!e || !*e)
		return PART_BYTES;
	char *end;
	unsigned long long v = strtoull(e, &end, 10);
	return *end ? PART_BYTES : v ? (size_t)v : SIZE_MAX / 4;
}

/* A part of an input, or the whole of it. */
struct part {
	struct source_unit *u;       /* the input */
	struct source_unit sub;      /* the part's own results (not whole) */
	bool whole;                  /* u itself is loaded, not sub */
	struct yaml_part y;
	/* A part copied, not parsed (share_plan): the resources of `from`
	 * on lines (lo, hi]. */
	const struct source_unit *from;
	unsigned lo, hi;
};

struct load {
	struct project *p;
	struct xref_map *shared;     /* OLD's inputs by name below its root */
	const struct source_unit **same;   /* per input: OLD's equal one (share_same) */
	bool validate;
	bool release;          /* drop each chunk's trees after distilling */
	struct part *parts;
	size_t nparts;
	atomic_uint *parts_left;     /* per unit, for the progress line */
	atomic_size_t units_done;
};

/* What load_chunk works with while one part loads: the records of a
 * part share their strings (strtab.h). */
struct part_load {
	struct load *l;
	struct strtab strings;
};

/*
 * After each chunk: its resources, checked while the tree is in cache,
 * then distilled; in release mode the tree goes (yaml.c then resets
 * the worker's scratch arena, which holds it).
 */
static bool load_chunk(struct source_unit *u, size_t first, void *ctx)
{
	struct part_load *pl = ctx;
	struct load *l = pl->l;
	size_t r0 = u->nres;
	resources_from_docs(u, &l->p->opt, first);
	for (size_t i = r0; i < u->nres; i++) {
		struct resource *r = u->res[i];
		if (l->validate)
			validate_resource(&u->diags, r, &l->p->opt);
		if (l->p->opt.canonical_hashes && r->root) {
			r->chash = resource_canonical_hash(r, l->p->opt.domain);
			r->has_chash = true;
		}
		distil_resource(&u->arena, &pl->strings, r, r->irregular);
	}
	/* What the Gateway API conversion reads: copied when the trees go. */
	for (size_t i = first; i < u->ndocs; i++)
		gwapi_keep(u, u->docs[i], &u->arena, l->release);
	if (!l->release)
		return false;
	for (size_t i = r0; i < u->nres; i++) {
		struct resource *r = u->res[i];
		r->root = r->metadata = r->spec = r->annotations = r->labels = NULL;
	}
	u->ndocs = first;
	return true;
}

/* A copied part: OLD's resources on its lines, as this input's. */
static void copy_part(struct part *pt)
{
	struct source_unit *s = &pt->sub;
	for (size_t i = 0; i < pt->from->nres; i++) {
		const struct resource *r = pt->from->res[i];
		if (r->pos.line <= pt->lo || r->pos.line > pt->hi)
			continue;
		struct resource *c = arena_alloc(&s->arena, sizeof(*c));
		*c = *r;
		c->file = pt->u->file;
		c->shadowed = false;
		GROW(s->res, s->nres, s->res_cap);
		s->res[s->nres++] = c;
	}
	/* The Gateway API objects' kept trees on those lines (OLD's copies:
	 * OLD outlives this project). */
	for (size_t i = 0; i < pt->from->ngw_trees; i++) {
		const struct node *t = pt->from->gw_trees[i];
		if (t->line <= pt->lo || t->line > pt->hi)
			continue;
		GROW(s->gw_trees, s->ngw_trees, s->gw_trees_cap);
		s->gw_trees[s->ngw_trees++] = t;
		s->gateway_api |= pt->from->gateway_api;
	}
}

static void load_part(struct load *l, struct part *pt, struct arena *scratch)
{
	if (pt->from) {
		copy_part(pt);
		return;
	}
	struct source_unit *u = pt->whole ? pt->u : &pt->sub;
	struct part_load pl = { .l = l };
	strtab_init(&pl.strings);
	yaml_parse_part(u, &l->p->opt.limits, l->release ? scratch : &u->arena,
			load_chunk, &pl, &pt->y);
	strtab_finish(&pl.strings, &u->arena);
}

static void load_item(void *ctx, size_t i, struct arena *scratch)
{
	struct load *l = ctx;
	struct part *pt = &l->parts[i];
	load_part(l, pt, scratch);
	struct project *p = l->p;
	/* The input is loaded, in one part or its last: its bytes can go
	 * at once (merge_parts reads them again in the rare case it loads
	 * a split input again in one piece). */
	size_t ui = (size_t)(pt->u - p->units);
	bool last = atomic_fetch_sub(&l->parts_left[ui], 1) == 1;
	if (last && l->release && p->opt.release_inputs)
		source_release_bytes(pt->u);
	if (last && p->opt.progress)
		p->opt.progress(p->opt.progress_ctx,
				atomic_fetch_add(&l->units_done, 1) + 1, p->nunits);
}

/* Puts a unit back as source_read_paths left it (its diagnostics too:
 * only an unread input has one, and it is not loaded). */
static void unit_unload(struct source_unit *u)
{
	diag_list_release(&u->diags);
	arena_release(&u->arena);
	arena_init(&u->arena);
	diag_list_init(&u->diags, &u->arena);
	free(u->docs);
	free(u->doc_irregular);
	free(u->res);
	free(u->gw_trees);
	u->docs = NULL;
	u->doc_irregular = NULL;
	u->res = NULL;
	u->gw_trees = NULL;
	u->ndocs = u->docs_cap = u->nres = u->res_cap = 0;
	u->ngw_trees = u->gw_trees_cap = 0;
	u->gateway_api = false;
}

static void add_part(struct load *l, size_t *cap, struct source_unit *u,
		     size_t off, size_t len, unsigned line0)
{
	GROW(l->parts, l->nparts, *cap);
	struct part *pt = &l->parts[l->nparts++];
	memset(pt, 0, sizeof(*pt));
	pt->u = u;
	pt->whole = off == 0 && len == u->len;
	pt->y.line0 = line0;
	pt->y.budget_bytes = u->len;
	if (pt->whole)
		return;
	pt->sub.file = u->file;
	pt->sub.bytes = u->bytes + off;
	pt->sub.len = len;
	/* Its arena and diagnostics once the array stops moving (plan_parts). */
}

static unsigned count_lines(const char *s, size_t len)
{
	unsigned n = 0;
	for (const char *e = s + len; (s = memchr(s, '\n', (size_t)(e - s))) != NULL; s++)
		n++;
	return n;
}

/* name below root ("" for root itself). */
static const char *below(const char *name, const char *root)
{
	size_t n = root ? strlen(root) : 0;
	if (!n || strncmp(name, root, n) != 0)
		return name;
	name += n;
	while (*name == '/')
		name++;
	return name;
}

/* The last split point of bytes[0, len) whose `---` line ends before
 * byte `limit` (0: none). */
static size_t last_split_before(const char *bytes, size_t len, size_t limit)
{
	size_t best = 0;
	for (size_t s = yaml_split_point(bytes, len, 0); s; s = yaml_split_point(bytes, len, s + 1)) {
		const char *nl = memchr(bytes + s, '\n', len - s);
		if (!nl || (size_t)(nl - bytes) >= limit)
			break;
		best = s;
	}
	return best;
}

/* A part of u (bytes [off, off + len)) taking o's resources on lines
 * (lo, hi] instead of being parsed. */
static void add_copy(struct load *l, size_t *cap, struct source_unit *u,
		     const struct source_unit *o, size_t off, size_t len,
		     unsigned lo, unsigned hi)
{
	add_part(l, cap, u, off, len, lo);
	struct part *pt = &l->parts[l->nparts - 1];
	pt->whole = false;
	pt->sub.file = u->file;
	pt->sub.bytes = u->bytes ? u->bytes + off : NULL;   /* NULL: share_same */
	pt->sub.len = len;
	pt->from = o;
	pt->lo = lo;
	pt->hi = hi;
}

/* Whether NEW can take OLD's resources of input o (positions known, no
 * trees: o loaded with release_trees). */
static bool shareable(const struct source_unit *o)
{
	if (!o->nres)
		return false;
	for (size_t i = 0; i < o->nres; i++)
		if (o->res[i]->pos.line == 0 || o->res[i]->root)
			return false;
	return true;
}

/*
 * meshc diff's NEW side (project.share_from): input u against OLD's
 * input o of the same name (a: o's bytes). The chunks before the first differing byte
 * and after the last one are the same documents on both sides (the
 * front end splits both inputs at the same `---` lines there), so their
 * resources are OLD's: parts copying them, and a part parsing what lies
 * between. Trailing chunks are copied only when they sit on the same
 * lines on both sides (their positions stay right). OLD loaded without
 * YAML errors (meshc diff refuses a side with them), and the part parsed
 * here reports its own; the node budget, which counts over an input,
 * counts only that part's nodes. False: load u as usual (nothing to
 * share).
 */
static bool share_plan_bytes(struct load *l, size_t *cap, struct source_unit *u,
			     const struct source_unit *o, const char *a)
{
	const char *b = u->bytes;
	size_t m = o->len, n = u->len, pre = 0;
	while (pre < n && pre < m && a[pre] == b[pre])
		pre++;
	size_t cut = n, ocut = m;    /* where the copied tail starts */
	size_t head = pre == n && n == m ? n : last_split_before(b, n, pre);
	if (head < n) {
		size_t suf = 0;
		while (suf < n - head && suf < m - head && a[m - 1 - suf] == b[n - 1 - suf])
			suf++;
		size_t s = suf ? yaml_split_point(b, n, n - suf + 1) : 0;
		if (s && yaml_split_point(a, m, s - n + m) == s - n + m &&
		    count_lines(b + head, s - head) == count_lines(a + head, s - n + m - head)) {
			cut = s;
			ocut = s - n + m;
		}
	}
	if (head == 0 && cut == n)
		return false;
	unsigned lhead = count_lines(b, head), lcut = count_lines(b, cut);
	/* A whole copy takes every line: the last one may have no newline,
	 * so count_lines does not count it. */
	if (head)
		add_copy(l, cap, u, o, 0, head, 0, head == n ? UINT32_MAX : lhead);
	if (cut > head)
		add_part(l, cap, u, head, cut - head, lhead);
	if (ocut < m)
		add_copy(l, cap, u, o, cut, n - cut, lcut, UINT32_MAX);
	return true;
}

/* share_plan_bytes with OLD's bytes, read again when OLD's load freed
 * them (release_inputs): the two sides' inputs are then never all
 * resident at once. */
static bool share_plan(struct load *l, size_t *cap, struct source_unit *u,
		       const struct source_unit *o)
{
	if (!u->bytes || !shareable(o))
		return false;
	if (o->bytes)
		return share_plan_bytes(l, cap, u, o, o->bytes);
	size_t len;
	char *again = source_read_again(o, l->p->opt.limits.max_file_bytes, &len);
	bool planned = again && share_plan_bytes(l, cap, u, o, again);
	free(again);
	return planned;
}

/* The parts of every input, in input order. */
static void plan_parts(struct load *l)
{
	struct project *p = l->p;
	size_t cap = 0, part = part_bytes();
	l->parts = NULL;
	l->nparts = 0;
	for (size_t i = 0; i < p->nunits; i++) {
		struct source_unit *u = &p->units[i];
		size_t first = l->nparts;
		const struct source_unit *o = l->shared && u->bytes && u->len / 2 < part ?
			xref_map_get(l->shared, below(u->file, p->root)) : NULL;
		if (l->same && l->same[i]) {
			add_copy(l, &cap, u, l->same[i], 0, u->len, 0, UINT32_MAX);
		} else if (o && share_plan(l, &cap, u, o)) {
			/* planned */
		} else if (!u->bytes || u->len / 2 < part) {
			add_part(l, &cap, u, 0, u->len, 0);
		} else {
			size_t off = 0;
			unsigned line = 0;
			for (;;) {
				size_t cut = u->len - off > part + part / 2 ?
					yaml_split_point(u->bytes, u->len, off + part) : 0;
				size_t end = cut ? cut : u->len;
				add_part(l, &cap, u, off, end - off, line);
				if (!cut)
					break;
				line += count_lines(u->bytes + off, end - off);
				off = cut;
			}
		}
		atomic_init(&l->parts_left[i], (unsigned)(l->nparts - first));
	}
	for (size_t i = 0; i < l->nparts; i++)
		if (!l->parts[i].whole) {
			arena_init(&l->parts[i].sub.arena);
			diag_list_init(&l->parts[i].sub.diags, &l->parts[i].sub.arena);
		}
}

/* Appends part pt's results to its unit's. */
static void merge_part(struct part *pt)
{
	struct source_unit *u = pt->u, *s = &pt->sub;
	for (size_t i = 0; i < s->ndocs; i++) {
		size_t cap = u->docs_cap;
		GROW(u->docs, u->ndocs, u->docs_cap);
		if (cap != u->docs_cap)
			u->doc_irregular = xrealloc(u->doc_irregular,
						    u->docs_cap * sizeof(*u->doc_irregular));
		u->doc_irregular[u->ndocs] = s->doc_irregular[i];
		u->docs[u->ndocs++] = s->docs[i];
	}
	for (size_t i = 0; i < s->nres; i++) {
		GROW(u->res, u->nres, u->res_cap);
		u->res[u->nres++] = s->res[i];
	}
	for (size_t i = 0; i < s->ngw_trees; i++) {
		GROW(u->gw_trees, u->ngw_trees, u->gw_trees_cap);
		u->gw_trees[u->ngw_trees++] = s->gw_trees[i];
	}
	u->gateway_api |= s->gateway_api;
	diag_list_append(&u->diags, &s->diags);
	diag_list_release(&s->diags);
	arena_adopt(&u->arena, &s->arena);
	free(s->docs);
	free(s->doc_irregular);
	free(s->res);
	free(s->gw_trees);
}

/*
 * Joins the parts of each split input. Parsed apart, an input gives the
 * same results as in one piece, except for two limits that count over
 * the whole input: the node budget, and the per-document cap of the
 * reports that belong to no resource (all counted in one scope after
 * parsing). When the parts together come near either, the input is
 * loaded again in one piece (hostile inputs only).
 */
static void merge_parts(struct load *l, struct arena *scratch)
{
	for (size_t i = 0; i < l->nparts;) {
		struct part *pt = &l->parts[i];
		size_t j = i + 1;
		while (j < l->nparts && l->parts[j].u == pt->u)
			j++;
		if (pt->whole) {
			i = j;
			continue;
		}
		size_t nodes = 0, loose = 0, budget = 0;
		for (size_t k = i; k < j; k++) {
			nodes += l->parts[k].y.nodes;
			if (l->parts[k].y.budget > budget)   /* copied parts: 0 */
				budget = l->parts[k].y.budget;
			for (size_t d = 0; d < l->parts[k].sub.diags.n; d++)
				loose += l->parts[k].sub.diags.items[d].res == NULL;
		}
		if (nodes > budget || loose >= DIAG_CAP_PER_KIND) {
			for (size_t k = i; k < j; k++)
				unit_unload(&l->parts[k].sub);
			for (size_t k = i; k < j; k++)
				arena_release(&l->parts[k].sub.arena);
			struct part whole = { .u = pt->u, .whole = true,
					      .y = { .budget_bytes = pt->u->len } };
			if (!pt->u->bytes)
				source_reread(l->p, pt->u);
			load_part(l, &whole, scratch);
			if (l->release)
				arena_reset(scratch);
		} else {
			for (size_t k = i; k < j; k++)
				merge_part(&l->parts[k]);
		}
		i = j;
	}
}

static void load_pass(struct load *l)
{
	struct project *p = l->p;
	plan_parts(l);
	struct pool_job job = { .p = p, .n = l->nparts, .item = load_item, .ctx = l };
	pool_run(&job);
	struct arena scratch;
	arena_init(&scratch);
	merge_parts(l, &scratch);
	arena_release(&scratch);
	free(l->parts);
	l->parts = NULL;
}

/* What share_same works with while NEW's inputs are read. */
struct share_read {
	struct project *p;
	const struct xref_map *map;  /* OLD's inputs by name below its root */
	const struct source_unit **same;   /* heap, per input: OLD's equal one */
	size_t cap;
};

static void same_reserve(struct share_read *s, size_t n)
{
	if (n <= s->cap)
		return;
	size_t cap = s->cap ? s->cap : 64;
	while (cap < n)
		cap *= 2;
	s->same = xrealloc(s->same, cap * sizeof(*s->same));
	memset(s->same + s->cap, 0, (cap - s->cap) * sizeof(*s->same));
	s->cap = cap;
}

/*
 * meshc diff's NEW side, as each input is read: an input equal to OLD's
 * of the same name is copied whole (plan_parts), never parsed, so its
 * bytes go at once and the two sides' inputs are never all resident
 * together. OLD's bytes, which its load freed, are read again to compare
 * (byte for byte: a digest could be forged to hide a change).
 */
static void share_same(void *ctx, struct source_unit *u)
{
	struct share_read *s = ctx;
	size_t i = (size_t)(u - s->p->units);
	same_reserve(s, i + 1);
	const struct source_unit *o = u->len ?
		xref_map_get(s->map, below(u->file, s->p->root)) : NULL;
	if (!o || o->len != u->len || !shareable(o))
		return;
	size_t len;
	char *again = o->bytes ? NULL :
		source_read_again(o, s->p->opt.limits.max_file_bytes, &len);
	const char *a = o->bytes ? o->bytes : again;
	bool equal = a && memcmp(a, u->bytes, u->len) == 0;
	free(again);
	if (equal && source_release_bytes(u))
		s->same[i] = o;
}

static void load(struct project *p, char *const *paths, size_t npaths,
		 bool validate)
{
	/* OLD's inputs by name, for NEW to share their chunks (share_plan)
	 * or, when equal, the whole of them (share_same). */
	const struct project *o = p->share_from;
	bool sharing = o && o->trees_released && p->opt.release_trees && !validate;
	struct xref_map shared;
	struct share_read sr = { .p = p, .map = &shared };
	p->root = npaths == 1 ? paths[0] : NULL;
	if (sharing) {
		xref_map_init(&shared, &p->arena);
		for (size_t i = 0; i < o->nunits; i++)
			*xref_map_put(&shared, below(o->units[i].file, o->root)) = &o->units[i];
	}
	source_read_paths_each(p, paths, npaths,
			       sharing && p->opt.release_inputs ? share_same : NULL, &sr);
	same_reserve(&sr, p->nunits);
	struct load l = { .p = p, .validate = validate,
			  .release = p->opt.release_trees };
	l.parts_left = xmalloc((p->nunits ? p->nunits : 1) * sizeof(*l.parts_left));
	atomic_init(&l.units_done, 0);
	if (sharing && l.release) {
		l.shared = &shared;
		l.same = sr.same;
	}
	/* Keeping trees, NEW parses every input (released ones read again). */
	for (size_t i = 0; sharing && !l.release && i < p->nunits; i++)
		if (sr.same[i])
			source_reread(p, &p->units[i]);
	load_pass(&l);
	if (sharing)
		xref_map_release(&shared);
	free(sr.same);
	l.shared = NULL;
	l.same = NULL;
	for (size_t i = 0; l.release && p->opt.release_inputs && i < p->nunits; i++)
		source_release_bytes(&p->units[i]);
	free(l.parts_left);
	p->validated = validate;
	p->trees_released = l.release;
	for (size_t i = 0; i < p->nunits; i++)
		p->gateway_api |= p->units[i].gateway_api;

	size_t total = 0;
	for (size_t i = 0; i < p->nunits; i++)
		total += p->units[i].nres;
	p->res = xmalloc((total ? total : 1) * sizeof(*p->res));
	for (size_t i = 0; i < p->nunits; i++)
		for (size_t j = 0; j < p->units[i].nres; j++) {
			struct resource *r = p->units[i].res[j];
			r->seq = p->nres;
			p->res[p->nres++] = r;
			p->nseq = p->nres;
			p->has_kind[r->kind] = true;
		}
}

static void validate_unit(struct project *p, struct source_unit *u, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < u->nres; i++)
		validate_resource(&u->diags, u->res[i], &p->opt);
}

void project_load(struct project *p, char *const *paths, size_t npaths)
{
	load(p, paths, npaths, false);
}

void project_load_validated(struct project *p, char *const *paths,
			    size_t npaths)
{
	load(p, paths, npaths, true);
}

void project_validate(struct project *p)
{
	if (!p->validated)
		project_each_unit(p, validate_unit, NULL);
	p->validated = true;
}

void project_finish_diags(struct project *p)
{
	for (size_t i = 0; i < p->nunits; i++)
		diag_list_append(&p->diags, &p->units[i].diags);
	diag_sort(&p->diags);
}
