/*
 * Cross-resource analysis, run once all resources are loaded: for now the
 * detection of one resource (kind, namespace, name) defined twice.
 */
#include <stdlib.h>
#include <string.h>

#include "compiler.h"

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

/* MSH0007 on every later definition, naming where the first one is. */
static void find_duplicates(struct project *p)
{
	if (p->nres < 2)
		return;
	struct resource **sorted = xmalloc(p->nres * sizeof(*sorted));
	memcpy(sorted, p->res, p->nres * sizeof(*sorted));
	qsort(sorted, p->nres, sizeof(*sorted), cmp_identity);
	size_t run = 0;
	for (size_t i = 1; i < p->nres; i++) {
		const struct resource *first = sorted[run], *r = sorted[i];
		if (!same_identity(first, r)) {
			run = i;
			continue;
		}
		const struct node *fat = node_get(first->metadata, "name");
		diag_report(&p->diags, MSH0007, r, node_get(r->metadata, "name"),
			    first->file,
			    fat->line, fat->col);
	}
	free(sorted);
}

void project_analyze(struct project *p)
{
	find_duplicates(p);
}
