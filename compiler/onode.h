/*
 * Building node trees (node.h) in code, and printing any node tree as
 * YAML. `meshc convert` builds the Istio Gateways, VirtualServices and
 * statuses it derives from Gateway API input as node trees: the same
 * trees are printed (onode_yaml) and handed to the route builder, which
 * reads VirtualServices and Gateways as node trees (route_build.h).
 *
 * Built nodes have no position (line 0) and live in the caller's arena.
 * Maps keep insertion order; onode_set replaces the value of a key that
 * is already there. The printer sorts map keys, as Go's YAML marshaller
 * (and so Istio's golden files) does.
 */
#ifndef MESHC_ONODE_H
#define MESHC_ONODE_H

#include <stdbool.h>
#include <stdio.h>

#include "arena.h"
#include "node.h"

struct node *onode_map(struct arena *a);
struct node *onode_seq(struct arena *a);
struct node *onode_str(struct arena *a, const char *s);
struct node *onode_int(struct arena *a, long long v);
struct node *onode_num(struct arena *a, double v);
struct node *onode_bool(struct arena *a, bool v);
struct node *onode_null(struct arena *a);
/* A deep copy of an input node (positions kept). */
struct node *onode_copy(struct arena *a, const struct node *n);

/* Sets key in map to v (replacing), returns v. */
struct node *onode_set(struct arena *a, struct node *map, const char *key,
		       struct node *v);
/* Appends v to seq, returns v. */
struct node *onode_push(struct arena *a, struct node *seq, struct node *v);
/* The map under key, created when absent. */
struct node *onode_child_map(struct arena *a, struct node *map, const char *key);
/* The sequence under key, created when absent. */
struct node *onode_child_seq(struct arena *a, struct node *map, const char *key);
/* Removes key from map; true when it was there. */
bool onode_unset(struct node *map, const char *key);

/* Prints n as block YAML at the given indent (0 for a document). */
void onode_yaml(FILE *f, const struct node *n);

#endif
