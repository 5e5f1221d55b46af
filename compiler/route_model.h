/*
 * The route model: what `meshc compile` builds from the resources
 * (route_build.c) and writes as a binary table (route_emit.c). Plain C
 * structs allocated in the model's arena:
 *
 *   listeners -> virtual hosts -> ordered route lists -> routes
 *                                   (matches -> conditions, destinations)
 *   clusters (with the merged DestinationRule policy), referenced by
 *   destinations and mirrors.
 *
 * A route list may be shared by several virtual hosts (one
 * VirtualService listing many hosts): the emitter writes it once.
 * Strings are NUL-terminated; NULL means absent. Numbers that may be
 * absent use MRT_UNSET. Enumerations are the runtime's (meshrt.h).
 */
#ifndef MESHC_ROUTE_MODEL_H
#define MESHC_ROUTE_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "meshrt.h"

/* Fields ordered by size, here and in rm_route: one per condition and
 * per route, so padding adds up (8 bytes of each, 1.3 MB at 10k). */
struct rm_cond {
	enum mrt_field field;
	enum mrt_op op;
	unsigned flags;               /* MRT_COND_* */
	unsigned number;              /* MRT_FIELD_PORT */
	const char *key;              /* header names lower case */
	const char *value;
};

struct rm_match {
	const char *name;
	struct rm_cond *conds;
	size_t n;
};

struct rm_hop {
	enum mrt_header_target target;
	enum mrt_header_op op;
	const char *name, *value;
};

struct rm_cluster {
	const char *name;             /* outbound|PORT|SUBSET|FQDN */
	const char *host, *subset;
	unsigned port;
	const char *lb_policy, *tls_mode;
	const char *policy_json;      /* merged TrafficPolicy, canonical JSON */
	const char *destination_rule; /* "ns/name" of its DestinationRule */
	unsigned id;                  /* index, set by route_model_cluster() */
};

struct rm_dest {
	struct rm_cluster *cluster;
	unsigned weight;              /* mirrors: millionths */
	struct rm_hop *hops;
	size_t n_hops;
};

/* A route's less common parts. A new field also goes into route_http.c's
 * EXTRA_STRINGS or EXTRA_NUMBERS (records equal in them are shared). */
struct rm_extra {
	const char *rd_uri, *rd_authority, *rd_scheme, *rd_prefix;
	unsigned rd_port, rd_derive, rd_code;
	unsigned dr_status;
	const char *dr_body;
	size_t dr_body_len;
	const char *rw_uri, *rw_authority, *rw_regex, *rw_sub;
	unsigned rt_attempts, rt_per_try_ms, rt_backoff_ms, rt_flags;
	const char *rt_retry_on, *rt_status_codes;
	unsigned fd_delay_ms, fd_delay_ppm, fa_status, fa_ppm;
	const char *fa_grpc, *fa_http2;
	struct rm_dest *mirrors;
	size_t n_mirrors;
	bool cors_set;
	struct rm_cond *cors_origins;
	size_t n_cors_origins;
	const char *cors_methods, *cors_allow_headers, *cors_expose_headers;
	unsigned cors_max_age_ms, cors_credentials;   /* credentials MRT_UNSET, 0, 1 */
	const char *cors_preflight;
	struct rm_hop *hops;
	size_t n_hops;
	/* Shared by several routes: never changed in place (the route
	 * builder changes a copy). */
	bool shared;
	/* Emitter bookkeeping: a shared record is written once per timeout
	 * (the extra record carries its route's timeout). */
	unsigned emit_gen, emit_timeout, emit_idx;
};

struct rm_map;

struct rm_route {
	const char *name;
	const char *vs;               /* "ns/name" or NULL */
	struct rm_match *matches;
	size_t n_matches;
	struct rm_dest *dests;
	size_t n_dests;
	struct rm_extra *extra;       /* NULL when none */
	unsigned index;
	enum mrt_route_kind kind;
	enum mrt_action action;
	unsigned timeout_ms;          /* MRT_UNSET when not set */
	/* Emitter bookkeeping: a route shared by several lists has its
	 * matches, destinations and extra written once. */
	unsigned emit_gen, emit_match_first, emit_dest_first, emit_extra;
};

struct rm_route_list {
	struct rm_route **routes;     /* arena array */
	size_t n, cap;
	unsigned emit_gen, emit_first; /* emitter bookkeeping */
};

struct rm_vhost {
	const char *host;             /* lower case: FQDN, "*.suffix" or "*" */
	unsigned flags;               /* MRT_VHOST_* */
	struct rm_route_list *routes;
	struct rm_route *fallback;    /* MRT_VHOST_SOURCE_SCOPED: the host's
					 default route, or NULL */
};

struct rm_listener {
	const char *gateway;          /* "mesh", "ns/name", or merged names */
	unsigned port;                /* 0: any */
	const char *sni;              /* server names it is chosen by, or NULL */
	unsigned flags;               /* MRT_LS_* (mrt_format.h) */
	const char *protocol, *tls_mode, *name;
	struct rm_vhost **vhosts;     /* heap array */
	size_t n_vhosts, cap_vhosts;
	struct rm_route_list *l4;     /* TLS/TCP routes for host-less requests */
};

/* A Gateway resource: its selector and the gateway its workload's
 * listeners carry (see mrt_gateway in meshrt.h). */
struct rm_gateway {
	const char *name, *selector, *workload;
};

struct route_model {
	struct arena arena;
	const char *domain;
	struct rm_listener **listeners;  /* heap array */
	size_t n_listeners, cap_listeners;
	struct rm_cluster **clusters;    /* heap array */
	size_t n_clusters, cap_clusters;
	struct rm_gateway *gateways;     /* heap array, sorted by name */
	size_t n_gateways, cap_gateways;
	struct rm_map *index;            /* listener, vhost and cluster lookup */
	unsigned emit_gen;               /* bumped by each route_emit() */
};

void route_model_init(struct route_model *m, const char *domain);
void route_model_release(struct route_model *m);

/* The listener (gateway, port, sni), created on first use; sni NULL for
 * the port's only (or plain-HTTP) listener. */
struct rm_listener *route_model_listener(struct route_model *m,
					 const char *gateway, unsigned port,
					 const char *sni);
/* The model's one copy of gateway name `gateway` (every listener of the
 * gateway points at it, so equal names are equal pointers). */
const char *route_model_gateway_name(struct route_model *m, const char *gateway);
/* route_model_listener for g, a route_model_gateway_name() copy: a
 * workload's many listeners look their long merged name up once. */
struct rm_listener *route_model_listener_of(struct route_model *m, const char *g,
					    unsigned port, const char *sni);
/* The virtual host `host` of l, created (with an empty route list) on
 * first use. */
struct rm_vhost *route_model_vhost(struct route_model *m, struct rm_listener *l,
				   const char *host);
/* The cluster for (host, subset, port), created on first use with the
 * given policy fields (which may be NULL). */
struct rm_cluster *route_model_cluster(struct route_model *m, const char *host,
				       const char *subset, unsigned port);
/* The cluster Istio names UnknownService (MRT_CLUSTER_UNKNOWN), created
 * on first use: the destination of an invalid Gateway API backend. */
struct rm_cluster *route_model_unknown_cluster(struct route_model *m);
struct rm_route_list *route_list_new(struct route_model *m);
void route_list_add(struct route_model *m, struct rm_route_list *l,
		    struct rm_route *r);

/*
 * route_emit.c: serialises the model to a table in memory (heap buffer,
 * 8-aligned, *len bytes; caller frees). Deterministic: listeners sorted
 * by gateway and port, everything else in model order. NULL with a
 * message in err when the table would exceed the format's limits.
 */
void *route_emit(struct route_model *m, size_t *len, char *err, size_t errlen);
/* route_emit, releasing m (route_model_release) as soon as every record
 * is written, before the table's memory is laid out: the two are never
 * held at full size together. m is released on failure too. */
void *route_emit_release(struct route_model *m, size_t *len, char *err, size_t errlen);
struct project;
struct diag_list;
/*
 * route_build.c (with route_policy.c, route_http.c, route_delegate.c,
 * route_gateway.c and route_mesh.c): the route model of a checked
 * project, with Istio's semantics (runtime.md). Reports MSH04xx
 * diagnostics into p's run-wide list `d`.
 */
void route_build(struct route_model *m, struct project *p,
		 struct diag_list *d);
/*
 * route_build for the virtual hosts that overlap `only` (host_set.h),
 * for meshc diff: they get the routes route_build gives them; other
 * virtual hosts may be missing or partial. only NULL: route_build.
 */
struct host_set;
void route_build_only(struct route_model *m, struct project *p,
		      struct diag_list *d, const struct host_set *only);

/* route_compile and route_write_atomic, the compiler's public entry
 * points, are declared in compiler.h (the pipelines, pipeline.c, call
 * route_compile). */

#endif
