/*
 * What the Gateway API conversion keeps of a document once its tree is
 * released (project.c load_chunk calls gwapi_keep before the worker's
 * scratch arena is reset).
 *
 * The Gateway API kinds, InferencePool and XBackend keep a copy of their
 * own tree (the conversion, gwapi_route.c above all, reads many of their
 * fields and reports positions and paths inside them); Secrets and
 * ConfigMaps keep a pruned copy: their identity, the keys of data and
 * stringData, and the values of the two keys the certificate check reads
 * (tls.crt, cert). Services, ServiceEntries and Namespaces keep nothing:
 * gwapi_build reads their records (model.h). The copies live in the
 * unit's arena, in document order (source_unit.gw_trees).
 */
#include <string.h>

#include "compiler.h"
#include "gwapi.h"
#include "onode.h"

/* A deep copy of src, its text included (the original's strings live in
 * the scratch arena too), positions kept; parent links as the parser
 * sets them (values and items, not keys). */
static struct node *copy_tree(struct arena *a, const struct node *src, struct node *parent)
{
	struct node *n = arena_alloc(a, sizeof(*n));
	*n = *src;
	n->parent = parent;
	if (src->text) {
		char *t = arena_alloc(a, (size_t)src->len + 1);
		memcpy(t, src->text, src->len);
		t[src->len] = '\0';
		n->text = t;
	}
	if (src->type == NODE_MAP) {
		n->pairs = src->n ? arena_alloc(a, src->n * sizeof(*n->pairs)) : NULL;
		for (size_t i = 0; i < src->n; i++) {
			n->pairs[i].kbits = src->pairs[i].kbits;
			n->pairs[i].key = copy_tree(a, src->pairs[i].key, NULL);
			n->pairs[i].value = copy_tree(a, src->pairs[i].value, n);
		}
	} else if (src->type == NODE_SEQ) {
		n->items = src->n ? arena_alloc(a, src->n * sizeof(*n->items)) : NULL;
		for (size_t i = 0; i < src->n; i++)
			n->items[i] = copy_tree(a, src->items[i], n);
	}
	return n;
}

/* Copies field `key` of src into dst when it is there. */
static void keep_field(struct arena *a, struct node *dst, const struct node *src,
		       const char *key)
{
	const struct node *v = node_get(src, key);
	if (v)
		onode_set(a, dst, key, copy_tree(a, v, NULL));
}

/*
 * A Secret's or ConfigMap's pruned copy: apiVersion, kind, the identity
 * in metadata, and data/stringData with their keys (the first of a
 * repeated key) whose values are null except a Secret's tls.crt and
 * cert; a data that is not a map stays as a null (it is there).
 */
static struct node *prune(struct arena *a, const struct node *obj, bool secret)
{
	struct node *root = onode_map(a);
	root->line = obj->line;
	root->col = obj->col;
	keep_field(a, root, obj, "apiVersion");
	keep_field(a, root, obj, "kind");
	const struct node *meta = node_get(obj, "metadata");
	if (meta) {
		struct node *m = onode_set(a, root, "metadata", onode_map(a));
		static const char *const ids[] = { "name", "namespace", "creationTimestamp", "uid" };
		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
			keep_field(a, m, meta, ids[i]);
	}
	static const char *const maps[] = { "data", "stringData" };
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		const struct node *d = node_get(obj, maps[i]);
		if (!d)
			continue;
		struct node *dm = onode_set(a, root, maps[i],
					    d->type == NODE_MAP ? onode_map(a) : onode_null(a));
		for (size_t k = 0; d->type == NODE_MAP && k < d->n; k++) {
			const char *key = d->pairs[k].key->text;
			if (!key || node_get(dm, key))
				continue;
			bool value = secret && (strcmp(key, "tls.crt") == 0 || strcmp(key, "cert") == 0);
			onode_set(a, dm, key, value ? copy_tree(a, d->pairs[k].value, NULL) :
				  onode_null(a));
		}
	}
	return root;
}

void gwapi_keep(struct source_unit *u, const struct node *obj, struct arena *a,
		bool copy)
{
	if (!obj || obj->type != NODE_MAP)
		return;
	const char *av = gwapi_str(obj, "apiVersion"), *kind = gwapi_str(obj, "kind");
	if (!av || !kind)
		return;
	if (strcmp(kind, "List") == 0) {
		const struct node *items = node_get(obj, "items");
		for (size_t i = 0; items && items->type == NODE_SEQ && i < items->n; i++)
			gwapi_keep(u, items->items[i], a, copy);
		return;
	}
	enum gwk k;
	if (!gwapi_kind_of(av, kind, &k) || gwapi_kind_from_record(k))
		return;
	const struct node *t = obj;
	if (copy)
		t = k == GWK_SECRET || k == GWK_CONFIG_MAP ? prune(a, obj, k == GWK_SECRET) :
		    copy_tree(a, obj, NULL);
	GROW(u->gw_trees, u->ngw_trees, u->gw_trees_cap);
	u->gw_trees[u->ngw_trees++] = t;
	if (strncmp(av, "gateway.networking", 18) == 0)
		u->gateway_api = true;
}
