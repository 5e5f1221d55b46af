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

/* A StringMatch's text of one kind, or "". */
static const char *sm_get(const char *v)
{
	return v ? v : "";
}

/* Istio's stringMatchConflict: whether leaf cannot narrow root. */
static bool sm_conflict(const struct m_smatch *root, const struct m_smatch *leaf)
{
	if (!root || !leaf || !root->present || !leaf->present)
		return false;
	const char *rre = sm_get(root->regex), *lre = sm_get(leaf->regex);
	const char *rex = sm_get(root->exact), *lex = sm_get(leaf->exact);
	const char *rpre = sm_get(root->prefix), *lpre = sm_get(leaf->prefix);
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

/* The entry of map m named key (the first), or NULL. */
static const struct m_smatch *sm_entry(const struct m_smatches *m, const char *key)
{
	for (unsigned i = 0; i < m->n; i++)
		if (strcmp(m->v[i].key, key) == 0)
			return &m->v[i].m;
	return NULL;
}

/* Whether any entry of map `leaf` conflicts with root's entry of that name. */
static bool sm_map_conflict(const struct m_smatches *root, const struct m_smatches *leaf)
{
	for (unsigned i = 0; i < leaf->n; i++)
		if (sm_conflict(sm_entry(root, leaf->v[i].key), &leaf->v[i].m))
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
	const struct m_match *root = rs->match, *leaf = ls->match;
	if (sm_conflict(&root->uri, &leaf->uri) ||
	    sm_conflict(&root->more->scheme, &leaf->more->scheme) ||
	    sm_conflict(root->method, leaf->method) ||
	    sm_conflict(&root->more->authority, &leaf->more->authority))
		return true;
	if (sm_map_conflict(&root->headers, &leaf->headers) ||
	    sm_map_conflict(&root->more->without_headers, &leaf->more->without_headers) ||
	    sm_map_conflict(&root->more->query_params, &leaf->more->query_params))
		return true;
	if (root->ignore_uri_case != leaf->ignore_uri_case)
		return true;
	if (rs->port && ls->port && rs->port != ls->port)
		return true;
	if (rs->source_ns && (!ls->source_ns || strcmp(rs->source_ns, ls->source_ns) != 0))
		return true;
	for (size_t i = 0; i < ls->nlabels; i++)
		for (size_t k = 0; k < rs->nlabels; k++)
			if (strcmp(rs->labels[k]->key, ls->labels[i]->key) == 0) {
				const char *rv = rs->labels[k]->value, *lv = ls->labels[i]->value;
				if (strcmp(rv ? rv : "", lv ? lv : "") != 0)
					return true;
			}
	return rs->gateways && ls->gateways && !gateways_within(rs->gateways, ls->gateways);
}

static void free_specs(struct mspec *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i].req.c);
}

void route_inline_delegate(struct builder *b, struct rm_route_list *list,
			   const struct resource *root, const struct m_http *h,
			   const struct rctx *cx)
{
	struct arena *a = &b->m->arena;
	const char *name = h->rare->delegate_to->name;
	const char *ns = h->rare->delegate_to->ns;
	if (!ns)
		ns = root->namespace;
	const struct resource *del = name ? xref_map_get(&b->delegates,
		arena_printf(a, "%s\x1f%s", ns, name)) : NULL;
	if (!del) {
		bool at_name = h->rare->delegate_to->name_pos.line != 0;
		diag_report_at(b->d, MSH0402, root,
			       at_name ? &h->rare->delegate_to->name_pos : &h->rare->delegate_to->pos,
			       arena_printf(a, at_name ? "spec.http[%u].delegate.name" :
					    "spec.http[%u].delegate", h->index),
			       arena_printf(a, "%s/%s", ns, name ? name : ""));
		return;
	}
	size_t nr;
	struct mspec *rs = route_http_specs(b, root, h, &nr);
	const char *rname = h->name;
	const struct m_vs *dvs = model_vs(del);
	for (size_t i = 0; i < dvs->nhttp; i++) {
		const struct m_http *dh = &dvs->http[i];
		if (dh->delegate)
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
			struct rm_route *rt = route_new(b, del, dh->name, (unsigned)i, MRT_ROUTE_HTTP);
			const char *own = rt->name;
			rt->name = own && *own ? (rname && *rname ?
				   arena_printf(&b->m->arena, "%s-%s", rname, own) : own) : rname;
			if (route_set_matches(b, rt, merged, k, true, cx)) {
				route_http_actions(b, rt, del, dh, root, h, cx);
				route_list_add(b->m, list, rt);
			}
		}
		free_specs(merged, k);
		route_specs_free(ds, nd);
	}
	route_specs_free(rs, nr);
}
