/*
 * Accessors for the located node tree (node.h). Maps are small in
 * Kubernetes objects, so lookups are linear scans over the pair array,
 * screened by each pair's kbits.
 */
#include <string.h>

#include "node.h"

const struct node_pair *node_get_pairn(const struct node *map, const char *key,
				       size_t klen)
{
	if (!map || map->type != NODE_MAP)
		return NULL;
	/* kbits screens out the other keys without touching their nodes. */
	unsigned long long kb = node_key_bits(key, klen);
	for (size_t i = 0; i < map->n; i++) {
		if (map->pairs[i].kbits != kb)
			continue;
		const struct node *k = map->pairs[i].key;
		if (klen <= 7 || (k->len == klen &&
				  memcmp(k->text + 7, key + 7, klen - 7) == 0))
			return &map->pairs[i];
	}
	return NULL;
}

const char *node_str(const struct node *n)
{
	return n && n->type == NODE_STR ? n->text : NULL;
}

bool node_is_scalar(const struct node *n)
{
	return n && n->type != NODE_MAP && n->type != NODE_SEQ;
}

const char *node_type_name(enum node_type t)
{
	switch (t) {
	case NODE_NULL: return "null";
	case NODE_BOOL: return "boolean";
	case NODE_INT: return "integer";
	case NODE_FLOAT: return "number";
	case NODE_STR: return "string";
	case NODE_MAP: return "map";
	case NODE_SEQ: return "list";
	}
	return "value";
}
