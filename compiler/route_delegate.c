/*
 * Delegation: a root route `delegate: {name, namespace}` is replaced by
 * the delegate VirtualService's routes, as Istio's
 * pilot/pkg/model/virtualservice.go mergeHTTPRoutes does:
 *
 *  - each delegate route keeps its matches, each narrowed by every root
 *    match it does not conflict with (mergeHTTPMatchRequests, hasConflict,
 *    stringMatchConflict); a delegate route one of whose matches fits no
 *    root match is dropped; with no matches on either side the other
 *    side's matches are taken as they are;
 *  - route and match names become "root-delegate" (or whichever is set);
 *  - the delegate inherits from the root route every field it leaves
 *    unset (mergeHTTPRoute): rewrite, directResponse, timeout, retries,
 *    fault, mirror, mirrorPercent, mirrorPercentage, corsPolicy, mirrors,
 *    headers. A delegate of a delegate is ignored (validation rejects it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_build.h"

/* A StringMatch's exact, prefix or regex text; "" when it is another kind. */
static const char *sm_get(const struct node *sm, const char *kind)
{
	const char *v = nstr(get(sm, kind));
	return v ? v : "";
}

/* Istio's stringMatchConflict: whether leaf cannot narrow root. */
static bool sm_conflict(const struct node *root, const struct node *leaf)
{
	if (!root || !leaf)
		return false;
	const char *rre = sm_get(root, "regex"), *lre = sm_get(leaf, "regex");
	const char *rex = sm_get(root, "exact"), *lex = sm_get(leaf, "exact");
	const char *rpre = sm_get(root, "prefix"), *lpre = sm_get(leaf, "prefix");
	if (*rre && (*lre || *lpre || *lex))
		return true;
	if (*lre && (*rre || *rpre || *rex))
		return true;
	if (*rex)
		return *lpre || strcmp(lex, rex) != 0;
	if (*rpre) {
		if (*lpre)
			return strncmp(lpre, rpre, strlen(rpre)) != 0;
		if (*lex)
			return strncmp(lex, rpre, strlen(rpre)) != 0;
	}
	return true;
}

/* Whether any entry of map `leaf` conflicts with root's entry of that name. */
static bool sm_map_conflict(const struct node *root, const struct node *leaf)
{
	for (size_t i = 0; leaf && leaf->type == NODE_MAP && i < leaf->n; i++)
		if (sm_conflict(get(root, leaf->pairs[i].key->text), leaf->pairs[i].value))
			return true;
	return false;
}

/* Whether gateway list `leaf` (resolved, comma-separated) is within root's. */
static bool gateways_within(const char *root, const char *leaf)
{
	size_t nr = 1, nl = 1;
	for (const char *p = root; *p; p++)
		nr += *p == ',';
	for (const char *p = leaf; *p; p++)
		nl += *p == ',';
	if (nr < nl)
		return false;
	for (const char *p = leaf; *p;) {
		size_t len = strcspn(p, ",");
		char one[512];
		if (len >= sizeof(one))
			return false;
		memcpy(one, p, len);
		one[len] = 0;
		if (!route_list_has(root, one))
			return false;
		p += len + (p[len] == ',');
	}
	return true;
}

/* Istio's hasConflict between a root match and a delegate match. */
static bool match_conflict(const struct mspec *rs, const struct mspec *ls)
{
	const struct node *root = rs->node, *leaf = ls->node;
	static const char *const fields[4] = { "uri", "scheme", "method", "authority" };
	for (int i = 0; i < 4; i++)
		if (sm_conflict(get(root, fields[i]), get(leaf, fields[i])))
			return true;
	if (sm_map_conflict(get(root, "headers"), get(leaf, "headers")) ||
	    sm_map_conflict(get(root, "withoutHeaders"), get(leaf, "withoutHeaders")) ||
	    sm_map_conflict(get(root, "queryParams"), get(leaf, "queryParams")))
		return true;
	if (nbool(get(root, "ignoreUriCase")) != nbool(get(leaf, "ignoreUriCase")))
		return true;
	if (rs->port && ls->port && rs->port != ls->port)
		return true;
	if (rs->source_ns && (!ls->source_ns || strcmp(rs->source_ns, ls->source_ns) != 0))
		return true;
	for (size_t i = 0; i < ls->nlabels; i++)
		for (size_t k = 0; k < rs->nlabels; k++)
			if (strcmp(rs->labels[k]->key->text, ls->labels[i]->key->text) == 0) {
				const char *rv = nstr(rs->labels[k]->value), *lv = nstr(ls->labels[i]->value);
				if (strcmp(rv ? rv : "", lv ? lv : "") != 0)
					return true;
			}
	return rs->gateways && ls->gateways && !gateways_within(rs->gateways, ls->gateways);
}

/* The fields mergeHTTPRoute copies from the root when the delegate leaves
 * them unset (the mirror ones are resolved by their owner, see below). */
static const char *const inherited[] = {
	"rewrite", "directResponse", "timeout", "retries", "fault", "mirror",
	"mirrorPercent", "mirrorPercentage", "corsPolicy", "mirrors", "headers",
};

/* Delegate route dh with the root route h's fields it leaves unset: a map
 * node holding dh's pairs plus the inherited ones (nodes shared, not copied). */
static const struct node *inherit_root_fields(struct builder *b, const struct node *h,
					      const struct node *dh)
{
	size_t nk = sizeof(inherited) / sizeof(inherited[0]), extra = 0;
	for (size_t k = 0; k < nk; k++)
		extra += get(h, inherited[k]) && !get(dh, inherited[k]);
	if (!extra || !dh || dh->type != NODE_MAP)
		return dh;
	struct node *n = arena_alloc(&b->m->arena, sizeof(*n));
	*n = *dh;
	n->pairs = arena_alloc(&b->m->arena, (dh->n + extra) * sizeof(*n->pairs));
	if (dh->n)
		memcpy(n->pairs, dh->pairs, dh->n * sizeof(*n->pairs));
	for (size_t k = 0; k < nk; k++) {
		const struct node_pair *p = node_get_pair(h, inherited[k]);
		if (p && !get(dh, inherited[k]))
			n->pairs[n->n++] = *p;
	}
	return n;
}

static void free_specs(struct mspec *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i].req.c);
}

void route_inline_delegate(struct builder *b, struct rm_route_list *list,
			   const struct resource *root, const struct node *h,
			   const struct rctx *cx)
{
	const struct node *dn = get(h, "delegate");
	const char *name = nstr(get(dn, "name"));
	const char *ns = nstr(get(dn, "namespace"));
	if (!ns)
		ns = root->namespace;
	const struct resource *del = name ? xref_map_get(&b->delegates,
		arena_printf(&b->m->arena, "%s\x1f%s", ns, name)) : NULL;
	if (!del) {
		diag_report(b->d, MSH0402, root, get(dn, "name") ? get(dn, "name") : dn,
			    arena_printf(&b->m->arena, "%s/%s", ns, name ? name : ""));
		return;
	}
	size_t nr;
	struct mspec *rs = route_http_specs(b, root, h, &nr);
	const char *rname = nstr(get(h, "name"));
	const struct node *http = get(del->spec, "http");
	for (size_t i = 0; http && http->type == NODE_SEQ && i < http->n; i++) {
		const struct node *dh = http->items[i];
		if (get(dh, "delegate"))
			continue;
		size_t nd, k = 0;
		struct mspec *ds = route_http_specs(b, del, dh, &nd);
		struct mspec *merged = arena_alloc(&b->m->arena,
						   ((nr && nd ? nr * nd : nr + nd) + 1) * sizeof(*merged));
		bool conflict = false;
		if (!nr || !nd) {
			/* One side has no matches: the other's are taken as they are. */
			const struct mspec *src = nr ? rs : ds;
			struct mspec none = { 0 };
			for (size_t x = 0; x < (nr ? nr : nd); x++, k++)
				route_spec_merge(b, &merged[k], nr ? &src[x] : &none,
						 nr ? &none : &src[x]);
		} else {
			for (size_t y = 0; y < nd && !conflict; y++) {
				bool found = false;
				for (size_t x = 0; x < nr; x++) {
					if (match_conflict(&rs[x], &ds[y]))
						continue;
					route_spec_merge(b, &merged[k++], &rs[x], &ds[y]);
					found = true;
				}
				conflict = !found;
			}
		}
		if (!conflict) {
			struct rm_route *rt = route_new(b, del, dh, (unsigned)i, MRT_ROUTE_HTTP);
			const char *own = rt->name;
			rt->name = own && *own ? (rname && *rname ?
				   arena_printf(&b->m->arena, "%s-%s", rname, own) : own) : rname;
			if (route_set_matches(b, rt, merged, k, true, cx)) {
				route_http_actions(b, rt, del, inherit_root_fields(b, h, dh), cx,
						   get(dh, "mirror") ? del : root,
						   get(dh, "mirrors") ? del : root);
				route_list_add(b->m, list, rt);
			}
		}
		free_specs(merged, k);
		free_specs(ds, nd);
	}
	free_specs(rs, nr);
}
