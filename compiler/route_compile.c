/*
 * The compile pipeline's last steps in one call (route_compile): the
 * shared index, the Gateway API conversion joined, route_build and
 * route_emit. pipeline.c calls it for compile, the table tools and diff.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler.h"
#include "mrt_format.h"
#include "gwapi.h"
#include "route_model.h"
#include "xref_index.h"

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
	struct xref *x = project_index(p);   /* the input's, built once per run */
	gwapi_build(&g, p, domain);
	size_t added = gwapi_add_resources(&g, p);
	xref_add_gateways(x, p->res + nres, added);
	xref_add_destination_rules(x, p->res + nres, added);
	route_model_init(&m, domain);
	route_build_only(&m, p, d, only);
	void *buf = route_emit(&m, len, err, errlen);
	route_model_release(&m);
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
