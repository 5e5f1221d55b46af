/*
 * Accessors for the located node tree (node.h); the map lookup
 * node_get_pairn is inline in node.h.
 */
#include <string.h>

#include "node.h"

const char *node_str(const struct node *n)
{
	return n && n->type == NODE_STR ? n->text : NULL;
}

bool node_is_scalar(const struct node *n)
{
	return n && n->type != NODE_MAP && n->type != NODE_SEQ;
}

unsigned node_index(const struct node *n)
{
	const struct node *p = n ? n->parent : NULL;
	if (p && p->type == NODE_MAP) {
		for (unsigned i = 0; i < p->n; i++)
			if (p->pairs[i].value == n)
				return i;
	} else if (p && p->type == NODE_SEQ) {
		for (unsigned i = 0; i < p->n; i++)
			if (p->items[i] == n)
				return i;
	}
	return 0;
}

const struct node *node_key(const struct node *n)
{
	const struct node *p = n ? n->parent : NULL;
	if (!p || p->type != NODE_MAP)
		return NULL;
	for (unsigned i = 0; i < p->n; i++)
		if (p->pairs[i].value == n)
			return p->pairs[i].key;
	return NULL;
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
