/*
 * The route builder's internal interface, shared by its parts:
 *
 *   route_build.c     the driver: resources sorted, indexes, the order
 *                     of the other steps, small value helpers
 *   route_policy.c    destinations -> clusters with the merged
 *                     DestinationRule policy
 *   route_http.c      one VirtualService's http/tls/tcp routes for one
 *                     context (matches, actions), and route-list shaping
 *   route_delegate.c  delegate VirtualServices inlined into root routes
 *   route_gateway.c   Gateways: workloads, listeners, servers, binding
 *   route_mesh.c      the mesh: binding per service port, default routes
 *
 * Every part reads the typed model (model.h: model_vs(r), model_dr(r),
 * model_gw(r), model_se(r), model_svc(r)), never a node tree.
 *
 * Not part of the compiler's public interface (route_model.h is).
 */
#ifndef MESHC_ROUTE_BUILD_H
#define MESHC_ROUTE_BUILD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"
#include "host_set.h"
#include "model.h"
#include "mrt_format.h"
#include "node_json.h"
#include "prim.h"
#include "route_model.h"
#include "xref_index.h"

/*
 * Where routes are being built for. Istio builds the routes of a
 * VirtualService per proxy and listener port: a match whose `gateways`,
 * `port` (or, on a gateway, `sourceLabels` and `sourceNamespace`) rule
 * it out is left out (route.go translateRoute, sourceMatchHTTP). The
 * builder does the same for what it knows; what depends on the caller
 * (a sidecar's labels and namespace) stays in the table as conditions.
 */
struct rctx {
	const char *gateway;         /* "mesh" or the Gateway "ns/name" */
	unsigned port;               /* listener port; 0: any (port matches
					stay in the table as conditions) */
	unsigned dest_port;          /* the port of a destination written
					without one whose host has no single
					port: the mesh listener's, 0 behind a
					gateway (runtime.md) */
	const struct mlabels *labels;   /* gateway workload labels; NULL on the mesh */
	const char *ns;              /* gateway workload namespace; NULL on the mesh */
};

/* A Service or ServiceEntry host and its ports with their protocols. */
struct mesh_svc {
	const char *host;            /* lower case */
	const unsigned *ports;
	const enum prim_protocol *protos;
	size_t nports;
};

/* Slots of a builder's retryOn memo. */
#define RETRY_MEMO 16

struct builder {
	struct route_model *m;
	struct project *p;
	struct xref *x;              /* the run's index (project_index) */
	struct diag_list *d;
	const struct resource **vs;  /* VirtualServices with hosts, by name then namespace */
	size_t nvs;
	const struct resource **gws; /* Gateways, by namespace then name */
	size_t ngw;
	struct xref_map delegates;   /* "ns\x1fname" -> hostless VirtualService */
	struct xref_map bound;       /* gateway "ns/name" -> struct vs_set */
	struct rm_route_list *redirect_list;   /* the https redirect, shared */
	struct mesh_svc *svc;        /* Service and ServiceEntry hosts; heap */
	size_t nsvc, cap_svc;
	struct xref_map svc_by_host; /* host -> struct mesh_svc index + 1 */
	const char **mesh_wild;      /* wildcard hosts of mesh VirtualServices; heap */
	size_t nmesh_wild, cap_mesh_wild;
	struct xref_map mesh_exact;  /* exact hosts of mesh VirtualServices */
	const struct resource *vs_of; /* the resource vs_name names */
	const char *vs_name;         /* its "ns/name", shared by its routes */
	struct sb sb_pol;            /* route_policy.c's scratch buffer */
	/* The extra record of a route with the mesh's default retries and
	 * nothing else, shared by all such routes (most of them): the
	 * setters copy it before changing a route's own (route_http.c). */
	struct rm_extra *retry_default;
	/* The mesh listener of mesh_port, the last one bound to (the
	 * model's; route_mesh.c, serial steps only). */
	struct rm_listener *mesh_l;
	unsigned mesh_port;
	/* retryOn strings parsed and their results (route_http.c), per
	 * builder (each worker its own). */
	struct retry_memo {
		const char *in, *on, *codes;
	} retry_memo[RETRY_MEMO];
	/* The extra records routes share (route_http.c share_extra): a
	 * route's finished record is replaced by an equal one made before,
	 * and its own kept as `spare` for the next route. Heap table of
	 * cap slots (a power of two), per builder (each worker its own). */
	struct rm_extra **extras;
	size_t n_extras, cap_extras;
	struct rm_extra *spare_extra;
	/* The model clusters are found or made in: m, but for a worker of
	 * the parallel mesh build, whose m is a private view (route_mesh.c);
	 * `lock` (NULL when alone) then guards it and the run's index. */
	struct route_model *clusters;
	pthread_mutex_t *lock;
	struct xref_map *policies;   /* policy JSON -> itself; with clusters */
	/* route_build_only: the hosts to build (NULL: all), and per entry
	 * of vs whether one of its hosts overlaps them (heap; NULL: all). */
	const struct host_set *only;
	bool *vs_hot;
};

/* Positions in builder.vs of the VirtualServices naming one gateway. */
struct vs_set {
	size_t *idx;                 /* arena array, ascending */
	size_t n, cap;
};

/* ---- route_build.c: parallel planning ---- */

/*
 * One change to the listeners and virtual hosts that building an item (a
 * mesh VirtualService, a gateway server) makes: recorded by a worker,
 * applied later, in item order, by apply(b, step) with the run's builder.
 */
struct route_step {
	void (*apply)(struct builder *b, const struct route_step *s);
	struct rm_listener *l;
	unsigned port;
	const char *host;
	const char **hosts;          /* arena array of nhosts */
	size_t nhosts;
	struct rm_route_list *list;
	const void *arg;
};

struct route_plan {
	struct route_step *steps;    /* heap */
	size_t n, cap;
};

void route_plan_add(struct route_plan *pl, const struct route_step *s);
/*
 * plan(w, i, ctx, pl) for every i in [0, n), on the worker pool in runs of
 * `chunk` items. Each run has its own copy w of b: its model is a view
 * with the run's own arena (clusters are b's, under a lock), its
 * diagnostics an uncapped list of the run's. Then, in item order, the
 * steps are applied and the diagnostics replayed into b->d: the model
 * and the reports are those of planning and applying one item after
 * another, whatever the scheduling. plan must touch nothing shared but
 * through route_lock.
 */
void route_plan_run(struct builder *b, size_t n, size_t chunk,
		    void (*plan)(struct builder *w, size_t i, void *ctx,
				 struct route_plan *pl),
		    void *ctx);

/* ---- route_build.c: value helpers ---- */

/* A Duration (a string, else NULL) in milliseconds, or MRT_UNSET. */
unsigned dur_ms(const char *s);
/* A Percent {value: double} as millionths (truncated, as Istio's
 * translatePercentToFractionalPercent), or MRT_UNSET when absent. */
unsigned percent_ppm(const struct m_pct *pct);
char *lower(struct arena *a, const char *s);
/* `host` written in namespace ns, fully qualified and lower case. */
const char *route_fqdn(struct builder *b, const char *host, const char *ns);
/* route_fqdn written into buf (cap bytes) when it fits, else into the
 * model's arena: for a name only looked up (a destination's cluster),
 * not kept. */
const char *route_fqdn_in(struct builder *b, const char *host, const char *ns,
			  char *buf, size_t cap);
/* The Service or ServiceEntry host `host`, or NULL. */
const struct mesh_svc *route_svc(struct builder *b, const char *host);
/* Takes and drops b->lock, when there is one. */
void route_lock(struct builder *b);
void route_unlock(struct builder *b);
/* Whether b->vs[i] is built (route_build_only). */
bool route_vs_wanted(const struct builder *b, size_t i);
/* Whether the default routes of registry host `host` are built. */
bool route_host_wanted(const struct builder *b, const char *host);

/* ---- route_policy.c ---- */

/*
 * Where a destination is written, for the path of its diagnostics:
 * spec.<sect>[rule].route[item].destination, spec.http[rule].mirror, or
 * spec.http[rule].mirrors[item].destination.
 */
enum dest_kind { DEST_ROUTE, DEST_MIRROR, DEST_MIRRORS };
struct dest_at {
	const char *sect;            /* "http", "tcp", "tls" */
	unsigned rule, item;
	enum dest_kind kind;
};

/* The cluster of destination dst written in resource r (at `at`), its
 * port as written, else the host's only port, else cx->dest_port, else 0
 * (MSH0401). NULL when dst names no host. */
struct rm_cluster *route_dest_cluster(struct builder *b, const struct resource *r,
				      const struct m_dest *dst, const struct dest_at *at,
				      const struct rctx *cx);
/* The cluster (host, no subset, port) of a default route. */
struct rm_cluster *route_default_cluster(struct builder *b, const char *host,
					 unsigned port);

/* ---- route_http.c ---- */

/* A growable condition list. */
struct conds {
	struct rm_cond *c;
	size_t n, cap;
};

/*
 * One match of a route before it is placed in a context: its request
 * conditions, and the parts Istio resolves per proxy and port.
 */
struct mspec {
	const char *name;
	const struct m_match *match; /* as written (NULL: none) */
	struct conds req;            /* uri, scheme, method, authority, headers,
					withoutHeaders, query, sni, subnets */
	const char *gateways;        /* resolved, comma-separated; NULL: none */
	unsigned port;               /* 0: none */
	const struct m_kv **labels;  /* sourceLabels entries (arena), sorted */
	size_t nlabels;
	const char *source_ns;
};

struct rm_route *route_new(struct builder *b, const struct resource *r,
			   const char *name, unsigned index, enum mrt_route_kind kind);
/* The match specs of an HTTP route h (*n of them): a heap array the
 * caller frees with route_specs_free once the route's matches are set
 * (they are scratch: a route keeps none of their memory). */
struct mspec *route_http_specs(struct builder *b, const struct resource *r,
			       const struct m_http *h, size_t *n);
void route_specs_free(struct mspec *specs, size_t n);
/* Root spec narrowed by a delegate spec (Istio's mergeHTTPMatchRequest). */
void route_spec_merge(struct builder *b, struct mspec *out, const struct mspec *root,
		      const struct mspec *del);
/*
 * Places specs[0..n) in context cx as the matches of rt: a spec the
 * context rules out is left out. False when every spec was (the route
 * does not exist there); a route without specs always does.
 */
bool route_set_matches(struct builder *b, struct rm_route *rt, const struct mspec *specs,
		       size_t n, bool http, const struct rctx *cx);
/*
 * The actions of HTTP route h written in r (destinations, redirect, ...
 * headers). A delegate route h takes the fields it leaves out from its
 * root route `root` (owned by root_r; NULL otherwise), as Istio's
 * mergeHTTPRoute does; those fields, the mirrors' hosts included, are
 * resolved in the root's namespace.
 */
void route_http_actions(struct builder *b, struct rm_route *rt, const struct resource *r,
			const struct m_http *h, const struct resource *root_r,
			const struct m_http *root, const struct rctx *cx);
/* The gateway list `gws` resolved from resource r ("ns/name" or "mesh"). */
const char *route_gateway_list(struct builder *b, const struct resource *r,
			       const struct mstrs *gws);
/* Whether comma-separated list `list` holds `item`. */
bool route_list_has(const char *list, const char *item);

/* The retry policy of a route (retry.ConvertPolicy): the mesh default
 * when n is NULL; none (attempts 0) when attempts is not positive; else
 * the default overridden by n. */
void route_set_retries(struct builder *b, struct rm_route *rt, const struct m_retries *n);
/* The http routes of VirtualService r in context cx (delegates inlined). */
void route_http_routes(struct builder *b, struct rm_route_list *list,
		       const struct resource *r, const struct rctx *cx);
/* Its tls (kind TLS) or tcp (kind TCP) routes. */
void route_l4_routes(struct builder *b, struct rm_route_list *list,
		     const struct resource *r, enum mrt_route_kind kind,
		     const struct rctx *cx);
/* Whether a route's matches leave runtime source conditions (sourceLabels,
 * sourceNamespace) in the table. */
bool route_source_scoped(const struct rm_route *r);
/* Istio's shaping of one VirtualService's gateway routes (stop at the
 * first catch-all, split mixed routes, SortVHostRoutes). */
void route_gateway_shape(struct builder *b, struct rm_route_list *l);
/* Appends src's routes to vhost v (catch-all routes kept last). */
void route_vhost_append(struct builder *b, struct rm_vhost *v, struct rm_route_list *src);

/* ---- route_delegate.c ---- */

/* The routes of the delegate named by root route h, merged with it. */
void route_inline_delegate(struct builder *b, struct rm_route_list *list,
			   const struct resource *root, const struct m_http *h,
			   const struct rctx *cx);

/* ---- route_gateway.c, route_mesh.c ---- */

void route_build_gateways(struct builder *b);
void route_build_mesh(struct builder *b);
void route_build_defaults(struct builder *b);

#endif
