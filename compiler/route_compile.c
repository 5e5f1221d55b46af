/*
 * The compile pipeline's last steps in one call (route_compile): the
 * shared index, the Gateway API conversion joined, route_build and
 * route_emit. pipeline.c calls it for compile, the table tools and diff.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compiler.h"
#include "mrt_format.h"
#include "gwapi.h"
#include "route_model.h"
#include "xref_index.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The peak resident set so far, in MB. */
static long peak_mb(void)
{
	struct rusage ru;
	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss / 1024 : 0;
}

void *route_compile(struct project *p, struct diag_list *d, size_t *len,
		    char *err, size_t errlen)
{
	return route_compile_only(p, NULL, d, len, err, errlen);
}

void *route_compile_only(struct project *p, const struct host_set *only,
			 struct diag_list *d, size_t *len, char *err, size_t errlen)
{
	struct route_model m;
	const char *domain = p->opt.domain && *p->opt.domain ? p->opt.domain : "cluster.local";
	/* Gateway API routes compile as the Istio config Istio derives from them. */
	struct gwapi g;
	size_t nres = p->nres, nseq = p->nseq;
	bool had_gw = p->has_kind[KIND_GATEWAY], had_vs = p->has_kind[KIND_VIRTUAL_SERVICE];
	bool had_dr = p->has_kind[KIND_DESTINATION_RULE];
	/* MESHC_TIMING=1: this half's phases, as cli_run_checks prints the
	 * first half's. */
	bool timing = getenv("MESHC_TIMING") != NULL;
	double t0 = now_ms();
	long r0 = timing ? peak_mb() : 0;
	struct xref *x = project_index(p);   /* the input's, built once per run */
	double t1 = now_ms();
	gwapi_build(&g, p, domain);
	size_t added = gwapi_add_resources(&g, p);
	xref_add_gateways(x, p->res + nres, added);
	xref_add_destination_rules(x, p->res + nres, added);
	double t2 = now_ms();
	route_model_init(&m, domain);
	route_build_only(&m, p, d, only);
	double t3 = now_ms();
	long r3 = timing ? peak_mb() : 0;
	void *buf = route_emit_release(&m, len, err, errlen);
	double t4 = now_ms();
	long r4 = timing ? peak_mb() : 0;
	if (timing)
		fprintf(stderr, "meshc: index %.1f ms, gateway api %.1f ms, route build %.1f ms, "
			"emit (and model release) %.1f ms; peak RSS %ld MB before, %ld MB "
			"after the build, %ld MB after the emit\n", t1 - t0, t2 - t1, t3 - t2,
			t4 - t3, r0, r3, r4);
	xref_drop_destination_rules(x, p->res + nres, added);
	xref_drop_gateways(x, p->res + nres, added);
	p->nres = nres;
	p->nseq = nseq;
	p->has_kind[KIND_GATEWAY] = had_gw;
	p->has_kind[KIND_VIRTUAL_SERVICE] = had_vs;
	p->has_kind[KIND_DESTINATION_RULE] = had_dr;
	gwapi_release(&g);
	return buf;
}
