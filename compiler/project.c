/*
 * A run over a set of inputs: reads the paths (source.c), then runs the
 * per-unit phases on a small pool of threads (one arena and diagnostics
 * list per unit, so workers share nothing), and gathers the results in
 * input order.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler.h"
#include "model.h"

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
	}
	free(p->units);
	free(p->res);
	diag_list_release(&p->diags);
	arena_release(&p->arena);
	memset(p, 0, sizeof(*p));
}

/* ---- the worker pool ---- */

struct pool_job {
	struct project *p;
	atomic_size_t next;
	void (*fn)(struct project *p, struct source_unit *u, void *ctx);
	/* Instead of fn: with the worker's scratch arena (load_unit). */
	void (*fn_scratch)(struct project *p, struct source_unit *u, void *ctx,
			   struct arena *scratch);
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
		if (i >= job->p->nunits)
			break;
		if (job->fn_scratch)
			job->fn_scratch(job->p, &job->p->units[i], job->ctx, &scratch);
		else
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
	if (jobs > p->nunits)
		jobs = (unsigned)p->nunits;
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
	struct pool_job job = { .p = p, .fn = fn, .ctx = ctx };
	pool_run(&job);
}

/* ---- loading ---- */

struct load {
	struct project *p;
	bool validate;
	bool release;          /* drop each chunk's trees after distilling */
};

/* Whether obj, or an item of a List it is, has a Gateway API apiVersion
 * (what gwapi_build looks for in the trees). */
static bool names_gateway_api(const struct node *obj, int depth)
{
	if (!obj || obj->type != NODE_MAP || depth > 8)
		return false;
	const char *av = node_str(node_get(obj, "apiVersion"));
	if (av && strncmp(av, "gateway.networking", 18) == 0)
		return true;
	const struct node *items = node_get(obj, "items");
	for (size_t i = 0; items && items->type == NODE_SEQ && i < items->n; i++)
		if (names_gateway_api(items->items[i], depth + 1))
			return true;
	return false;
}

/*
 * After each chunk: its resources, checked while the tree is in cache,
 * then distilled; in release mode the tree goes (yaml.c then resets
 * the worker's scratch arena, which holds it).
 */
static bool load_chunk(struct source_unit *u, size_t first, void *ctx)
{
	struct load *l = ctx;
	size_t r0 = u->nres;
	resources_from_docs(u, &l->p->opt, first);
	for (size_t i = r0; i < u->nres; i++) {
		if (l->validate)
			validate_resource(&u->diags, u->res[i], &l->p->opt);
		distil_resource(&u->arena, u->res[i], u->res[i]->irregular);
	}
	if (!l->release)
		return false;
	for (size_t i = first; i < u->ndocs; i++)
		u->trees_needed |= names_gateway_api(u->docs[i], 0);
	for (size_t i = r0; i < u->nres; i++) {
		struct resource *r = u->res[i];
		r->root = r->metadata = r->spec = r->annotations = r->labels = NULL;
	}
	u->ndocs = first;
	return true;
}

static void load_unit(struct project *p, struct source_unit *u, void *ctx,
		      struct arena *scratch)
{
	struct load *l = ctx;
	(void)p;
	if (!l->release) {
		yaml_parse_unit_each(u, &p->opt.limits, &u->arena, load_chunk, l);
		return;
	}
	yaml_parse_unit_each(u, &p->opt.limits, scratch, load_chunk, l);
}

/* Puts a unit back as source_read_paths left it, for a second load. */
static void unit_unload(struct source_unit *u)
{
	diag_list_release(&u->diags);
	arena_release(&u->arena);
	arena_init(&u->arena);
	diag_list_init(&u->diags, &u->arena);
	free(u->docs);
	free(u->doc_irregular);
	free(u->res);
	u->docs = NULL;
	u->doc_irregular = NULL;
	u->res = NULL;
	u->ndocs = u->docs_cap = u->nres = u->res_cap = 0;
	u->trees_needed = false;
}

static void load(struct project *p, char *const *paths, size_t npaths,
		 bool validate)
{
	source_read_paths(p, paths, npaths);
	struct load l = { .p = p, .validate = validate,
			  .release = validate && p->opt.release_trees };
	/*
	 * The Gateway API conversion (gwapi.c) reads the trees of its kinds
	 * and of the Services, Secrets, ... they name: an input that may hold
	 * one keeps every tree. The text is a cheap first screen; a document
	 * that turns out to name the API without it (escapes) loads again.
	 */
	for (size_t i = 0; l.release && i < p->nunits; i++)
		if (p->units[i].bytes && memmem(p->units[i].bytes, p->units[i].len,
						"gateway.networking", 18))
			l.release = false;
	struct pool_job job = { .p = p, .fn_scratch = load_unit, .ctx = &l };
	pool_run(&job);
	if (l.release) {
		bool again = false;
		for (size_t i = 0; i < p->nunits; i++)
			again |= p->units[i].trees_needed;
		if (again) {
			for (size_t i = 0; i < p->nunits; i++)
				if (p->units[i].bytes)
					unit_unload(&p->units[i]);
			l.release = false;
			pool_run(&job);
		}
	}
	p->validated = validate;
	p->trees_released = l.release;

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
