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
	void *ctx;
};

static void *pool_worker(void *arg)
{
	struct pool_job *job = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&job->next, 1);
		if (i >= job->p->nunits)
			break;
		job->fn(job->p, &job->p->units[i], job->ctx);
		if (job->p->opt.progress)
			job->p->opt.progress(job->p->opt.progress_ctx, i + 1, job->p->nunits);
	}
	return NULL;
}

void project_each_unit(struct project *p,
		       void (*fn)(struct project *p, struct source_unit *u, void *ctx),
		       void *ctx)
{
	struct pool_job job = { .p = p, .fn = fn, .ctx = ctx };
	atomic_init(&job.next, 0);
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
		pool_worker(&job);
		return;
	}
	pthread_t tids[64];
	unsigned started = 0;
	for (unsigned i = 1; i < jobs; i++)
		if (pthread_create(&tids[started], NULL, pool_worker, &job) == 0)
			started++;
	pool_worker(&job);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
}

static void validate_unit(struct project *p, struct source_unit *u, void *ctx);

/* ctx non-NULL: validate each resource right away, while its tree is in cache. */
static void load_unit(struct project *p, struct source_unit *u, void *ctx)
{
	yaml_parse_unit(u, &p->opt.limits);
	resources_from_unit(u, &p->opt);
	if (ctx)
		validate_unit(p, u, NULL);
	for (size_t i = 0; i < u->nres; i++) {
		struct resource *r = u->res[i];
		if (p->opt.canonical_hashes && r->root) {
			r->chash = resource_canonical_hash(r, p->opt.domain);
			r->has_chash = true;
		}
		distil_resource(&u->arena, r, r->irregular);
	}
}

static void load(struct project *p, char *const *paths, size_t npaths,
		 bool validate)
{
	source_read_paths(p, paths, npaths);
	project_each_unit(p, load_unit, validate ? p : NULL);
	p->validated = validate;

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
