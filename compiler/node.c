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
