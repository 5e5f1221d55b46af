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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "gwapi.h"
#include "xref_index.h"

/* FNV-1a over a resource's kind, namespace and name. */
static uint64_t identity_hash(const struct resource *r)
{
	uint64_t h = 1469598103934665603ULL;
	h = (h ^ (unsigned)r->kind) * 1099511628211ULL;
	for (const char *c = r->namespace; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	h = (h ^ 0x1f) * 1099511628211ULL;
	for (const char *c = r->name; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	return h;
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

/* One identity in find_duplicates' table. */
struct ident_slot {
	const struct resource *first;   /* its first definition; NULL: empty slot */
	struct resource *last;          /* its latest definition so far */
	uint64_t hash;
};

/* Worker: identity_hash of each resource of unit u, by seq into ctx. */
static void hash_unit(struct project *p, struct source_unit *u, void *ctx)
{
	(void)p;
	uint64_t *hashes = ctx;
	for (size_t i = 0; i < u->nres; i++)
		hashes[u->res[i]->seq] = identity_hash(u->res[i]);
}

/*
 * MSH0007 on every later definition, naming where the first one is. As
 * when the files are applied to a cluster, the last definition replaces
 * the earlier ones: those are left out of the cross-reference analysis, so
 * a duplicate is not also reported as conflicting with itself. The
 * identities are hashed per unit on the worker pool, then one pass in
 * input order over a hash table of them finds the duplicates.
 */
static void find_duplicates(struct project *p)
{
	if (p->nres < 2)
		return;
	uint64_t *hashes = xmalloc(p->nseq * sizeof(*hashes));
	project_each_unit(p, hash_unit, hashes);
	size_t cap = 16;
	while (cap < p->nres * 2)
		cap *= 2;
	struct ident_slot *slots = xcalloc(cap, sizeof(*slots));
	bool any = false;
	for (size_t i = 0; i < p->nres; i++) {
		struct resource *r = p->res[i];
		uint64_t h = hashes[r->seq];
		size_t j = (size_t)h & (cap - 1);
		while (slots[j].first && (slots[j].hash != h || !same_identity(slots[j].first, r)))
			j = (j + 1) & (cap - 1);
		struct ident_slot *s = &slots[j];
		if (!s->first) {
			s->first = s->last = r;
			s->hash = h;
			continue;
		}
		s->last->shadowed = true;
		s->last = r;
		any = true;
		diag_report_at(&p->diags, MSH0007, r, &r->name_pos, "metadata.name",
			       s->first->file, s->first->name_pos.line,
			       s->first->name_pos.col);
	}
	free(slots);
	free(hashes);
	if (!any)
		return;
	drop_shadowed(p->res, &p->nres);
	for (size_t i = 0; i < p->nunits; i++)
		drop_shadowed(p->units[i].res, &p->units[i].nres);
}

void project_analyze(struct project *p)
{
	find_duplicates(p);

	struct xref *x = project_index(p);
	xref_service_entries(x);
	xref_services(x);
	xref_gateways(x);
	xref_virtual_services(x);     /* marks the subsets routes use */
	xref_destination_rules(x);
	gwapi_analyze(p);             /* Gateway API status (MSH06xx) */
}
