/*
 * A set of host names and wildcards ("a.shop.svc.cluster.local",
 * "*.example.com", "*"), asked whether a host overlaps any of them: is
 * equal to one, is covered by a wildcard of the set, or (for a wildcard)
 * covers one. Used to scope a route diff to the hosts whose inputs
 * changed (diff_scope.c, route_build.c, diff_routes.c). Names are kept
 * lower case, as the route model keeps its hosts.
 */
#ifndef MESHC_HOST_SET_H
#define MESHC_HOST_SET_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "xref_index.h"

struct host_set {
	struct xref_map exact;       /* lower-case host -> (void *)1 */
	struct xref_map wild;        /* lower-case "*.suffix" or "*" -> (void *)1 */
	const char **all;            /* every entry (heap), for wildcard queries */
	size_t n, cap;
	bool odd;                    /* a wildcard not "*" nor "*.suffix" */
	struct arena *a;
};

void host_set_init(struct host_set *s, struct arena *a);
void host_set_release(struct host_set *s);
/* Adds host (copied, lower case); NULL is ignored. */
void host_set_add(struct host_set *s, const char *host);
/* Whether host overlaps an entry of s (see the top comment). */
bool host_set_overlaps(const struct host_set *s, const char *host);

#endif
