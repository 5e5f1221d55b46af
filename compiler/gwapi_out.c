/*
 * Printing the conversion: the Istio resources (`meshc convert`) and the
 * statuses (`meshc convert --status`) as YAML documents, in a stable
 * order: Gateways then VirtualServices by namespace and name; statuses
 * by kind (Istio's order), then namespace and name.
 */
#include <stdlib.h>
#include <string.h>

#include "gwapi.h"
#include "onode.h"

static int out_cmp(const void *x, const void *y)
{
	const struct gw_out *a = *(const struct gw_out *const *)x, *b = *(const struct gw_out *const *)y;
	int r = strcmp(a->kind, b->kind);
	if (r)
		return r;
	if ((r = strcmp(a->ns, b->ns)))
		return r;
	return strcmp(a->name, b->name);
}

void gwapi_print_config(FILE *f, const struct gwapi *g)
{
	const struct gw_out **v = xmalloc((g->nouts + 1) * sizeof(*v));
	for (size_t i = 0; i < g->nouts; i++)
		v[i] = &g->outs[i];
	qsort(v, g->nouts, sizeof(*v), out_cmp);
	for (size_t i = 0; i < g->nouts; i++) {
		if (i)
			fputs("---\n", f);
		onode_yaml(f, v[i]->doc);
	}
	free(v);
}

static int kind_rank(enum gwk k)
{
	static const enum gwk order[] = {
		GWK_GATEWAY_CLASS, GWK_GATEWAY, GWK_HTTP_ROUTE, GWK_GRPC_ROUTE,
		GWK_TLS_ROUTE, GWK_TCP_ROUTE, GWK_LISTENER_SET,
	};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (order[i] == k)
			return (int)i;
	return 100 + (int)k;
}

static int obj_cmp(const void *x, const void *y)
{
	const struct gw_obj *a = *(const struct gw_obj *const *)x, *b = *(const struct gw_obj *const *)y;
	int r = kind_rank(a->kind) - kind_rank(b->kind);
	if (r)
		return r;
	if ((r = strcmp(a->ns, b->ns)))
		return r;
	return strcmp(a->name, b->name);
}

void gwapi_print_status(FILE *f, const struct gwapi *g)
{
	struct gwapi *mg = (struct gwapi *)g;
	struct arena *a = &mg->arena;
	struct gw_obj **v = xmalloc((g->nobjs + 1) * sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < g->nobjs; i++)
		if (g->objs[i]->status)
			v[n++] = g->objs[i];
	qsort(v, n, sizeof(*v), obj_cmp);
	for (size_t i = 0; i < n; i++) {
		struct node *doc = onode_map(a);
		onode_set(a, doc, "apiVersion", onode_str(a, v[i]->api_version));
		onode_set(a, doc, "kind", onode_str(a, v[i]->kind_name));
		struct node *meta = onode_child_map(a, doc, "metadata");
		onode_set(a, meta, "name", onode_str(a, v[i]->name));
		if (*v[i]->ns)
			onode_set(a, meta, "namespace", onode_str(a, v[i]->ns));
		onode_set(a, doc, "status", v[i]->status);
		if (i)
			fputs("---\n", f);
		onode_yaml(f, doc);
	}
	free(v);
}

void gwapi_convert_print(const struct project *p, const char *domain, bool status,
			 FILE *f)
{
	struct gwapi g;
	gwapi_build(&g, p, domain);
	if (status)
		gwapi_print_status(f, &g);
	else
		gwapi_print_config(f, &g);
	gwapi_release(&g);
}
