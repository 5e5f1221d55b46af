/*
 * Cross-resource analysis, run once all resources are loaded: one resource
 * (kind, namespace, name) defined twice (MSH0007), then the analyzers of
 * istioctl analyze and meshc's own cross-reference checks, which consult
 * the index built by xref_index.c. Which checks run depends on what the
 * input holds (cli.md "Which checks run when"):
 *   always           gateway and subset references, IST0109, IST0145
 *                    among equal selectors, IST0128/0129, IST0138,
 *                    IST0134, IST0177, IST0118/0150, IST0002, MSH0301-3
 *   hosts            (Services or ServiceEntries, or --require-hosts)
 *                    IST0101 host/mirror host/host:port, IST0112, IST0140,
 *                    IST0174
 *   Pods             IST0173, IST0101 selector, IST0162, IST0145 by pods
 *   Secrets          IST0101 credentialName
 */
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "xref_index.h"

static int cmp_identity(const void *pa, const void *pb)
{
	const struct resource *a = *(const struct resource *const *)pa;
	const struct resource *b = *(const struct resource *const *)pb;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	int c = strcmp(a->namespace, b->namespace);
	if (c)
		return c;
	c = strcmp(a->name, b->name);
	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static bool same_identity(const struct resource *a, const struct resource *b)
{
	return a->kind == b->kind && strcmp(a->namespace, b->namespace) == 0 &&
	       strcmp(a->name, b->name) == 0;
}

/* Drops shadowed resources from the project's and units' lists, in place. */
static void drop_shadowed(struct resource **res, size_t *n)
{
	size_t w = 0;
	for (size_t i = 0; i < *n; i++)
		if (!res[i]->shadowed)
			res[w++] = res[i];
	*n = w;
}

/*
 * MSH0007 on every later definition, naming where the first one is. As
 * when the files are applied to a cluster, the last definition replaces
 * the earlier ones: those are left out of the cross-reference analysis, so
 * a duplicate is not also reported as conflicting with itself.
 */
static void find_duplicates(struct project *p)
{
	if (p->nres < 2)
		return;
	struct resource **sorted = xmalloc(p->nres * sizeof(*sorted));
	memcpy(sorted, p->res, p->nres * sizeof(*sorted));
	qsort(sorted, p->nres, sizeof(*sorted), cmp_identity);
	size_t run = 0;
	bool any = false;
	for (size_t i = 1; i < p->nres; i++) {
		const struct resource *first = sorted[run], *r = sorted[i];
		if (!same_identity(first, r)) {
			run = i;
			continue;
		}
		sorted[i - 1]->shadowed = true;
		any = true;
		const struct node *fat = node_get(first->metadata, "name");
		diag_report(&p->diags, MSH0007, r, node_get(r->metadata, "name"),
			    first->file,
			    fat ? fat->line : 0, fat ? fat->col : 0);
	}
	free(sorted);
	if (!any)
		return;
	drop_shadowed(p->res, &p->nres);
	for (size_t i = 0; i < p->nunits; i++)
		drop_shadowed(p->units[i].res, &p->units[i].nres);
}

void project_analyze(struct project *p)
{
	find_duplicates(p);

	struct xref x;
	xref_init(&x, p);
	xref_service_entries(&x);
	xref_services(&x);
	xref_gateways(&x);
	xref_virtual_services(&x);    /* marks the subsets routes use */
	xref_destination_rules(&x);
	xref_release(&x);
}
