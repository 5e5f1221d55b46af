/*
 * Accessors for the located node tree (node.h). Maps are small in
 * Kubernetes objects, so lookups are linear scans.
 */
#include <string.h>

#include "node.h"

const struct node_pair *node_get_pair(const struct node *map, const char *key)
{
	if (!map || map->type != NODE_MAP)
		return NULL;
	size_t klen = strlen(key);
	for (size_t i = 0; i < map->n; i++) {
		const struct node *k = map->pairs[i].key;
		if (k->len == klen && memcmp(k->text, key, klen) == 0)
			return &map->pairs[i];
	}
	return NULL;
}

const struct node *node_get(const struct node *map, const char *key)
{
	const struct node_pair *p = node_get_pair(map, key);
	return p ? p->value : NULL;
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
