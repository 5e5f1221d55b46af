/*
 * Canonical JSON of a YAML node tree (node_json.c): object keys sorted,
 * numbers as written by the YAML reader's typing, strings escaped, no
 * spaces. The route builder stores DestinationRule policies this way, so
 * equal policies are equal strings and tables stay deterministic.
 */
#ifndef MESHC_NODE_JSON_H
#define MESHC_NODE_JSON_H

#include <stddef.h>

#include "node.h"

/* A growing string buffer on the heap (p is NUL-terminated once used). */
struct sb {
	char *p;
	size_t n, cap;
};

void sb_put(struct sb *b, const char *s, size_t n);
/* s as a JSON string literal. */
void sb_json_str(struct sb *b, const char *s);
/* Node n (NULL: null) as canonical JSON. */
void sb_json_node(struct sb *b, const struct node *n);

#endif
