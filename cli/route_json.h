/*
 * JSON views of an opened route table (route_json.c), for `meshc query`
 * and `meshc dump`. Every function returns a new jansson reference.
 */
#ifndef MESHC_ROUTE_JSON_H
#define MESHC_ROUTE_JSON_H

#include <stdbool.h>

#include <jansson.h>

#include "meshrt.h"

/* A duration in milliseconds as Istio writes one ("3s", "0.5s"), in buf;
 * NULL for MRT_UNSET. */
const char *route_json_duration(unsigned ms, char *buf, size_t len);
json_t *route_json_condition(const mrt_condition *c);
/* Whether d goes to the cluster of an invalid Gateway API backend
 * (MRT_CLUSTER_UNKNOWN: Envoy has none; an HTTP route answers 500). */
bool route_json_invalid_backend(const mrt_destination *d);
/* The outcome of route r: destinations (with each cluster's merged
 * policy when with_policy), redirect, directResponse, rewrite, timeout,
 * retries, fault, mirrors, corsPolicy, headers. */
json_t *route_json_action(const mrt_table *t, const mrt_route *r, bool with_policy);
/*
 * What a request no route took gets (cli.md): "notFound" (a 404: on a
 * gateway, or a virtual host with no matching route), else, on the mesh,
 * "passthrough" (outbound traffic policy ALLOW_ANY) or "blackhole"
 * (REGISTRY_ONLY).
 */
const char *route_json_outcome(const mrt_table *t, const mrt_result *res,
			       const char *gateway, bool registry_only);
/* A route with its identity and matches, then its action. */
json_t *route_json_route(const mrt_table *t, const mrt_route *r);
/* The whole table: domain, listeners (virtual hosts with route ids),
 * routes, clusters, regexes. */
json_t *route_json_dump(const mrt_table *t);

#endif
