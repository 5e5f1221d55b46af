/*
 * libmeshrt: route requests through a compiled meshc route table.
 *
 * A table is produced by `meshc compile`, mapped read-only with mmap(2)
 * and verified once by mrt_open(); after that every lookup reads the
 * mapping in place, allocates nothing per call and is safe from any
 * number of threads. The file format is described in meshrt(5), this API
 * in meshrt(3). Depends on libc and PCRE2 only.
 *
 * Strings returned by the accessors point into the mapping: they stay
 * valid until mrt_close() and must not be freed. Optional strings are
 * NULL when absent; optional numbers use MRT_UNSET.
 */
#ifndef MESHRT_H
#define MESHRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mrt_table mrt_table;      /* an opened, verified table */
typedef struct mrt_route mrt_route;      /* opaque; points into the table */

typedef struct { const char *name; const char *value; } mrt_header;

typedef struct {
	const char *gateway;        /* "mesh", or "namespace/name" of a Gateway */
	const char *host;           /* authority; a ":port" suffix is ignored */
	unsigned port;              /* listener / service port */
	const char *method;         /* "GET", ... */
	const char *path;           /* may carry "?query" */
	const mrt_header *headers;  /* names in any case */
	size_t n_headers;
	/* Optional (zero/NULL when unknown); new fields only ever go at the end. */
	const char *scheme;         /* "http" / "https" */
	const mrt_header *source_labels;
	size_t n_source_labels;
	const char *source_namespace;
	const char *sni;            /* for TLS routes */
} mrt_request;

/* Maps and verifies the file. 0 on success; -1 with a message in err. */
int mrt_open(const char *path, mrt_table **out, char *err, size_t errlen);
void mrt_close(mrt_table *t);

/* The first matching route in Istio order, or NULL. Safe to call from many
 * threads at once on one table; allocates nothing on the heap per call.
 * (NULL also when a regex could not be decided: mrt_match_checked() tells.) */
const mrt_route *mrt_match(const mrt_table *t, const mrt_request *req);

/* ---- Additions to the contract ---------------------------------------- */

#define MRT_UNSET 0xffffffffu    /* an optional number that is not set */

/*
 * Verifies a table already in memory (`buf`, `len` bytes, 8-byte
 * aligned). The buffer is not copied: it must stay unchanged until
 * mrt_close(), which does not free it. 0 on success; -1 with a message.
 */
int mrt_open_buffer(const void *buf, size_t len, mrt_table **out,
		    char *err, size_t errlen);
/*
 * Whether `head` (the first `len` bytes of a file) starts with the table
 * magic: 1 or 0. Eight bytes decide it; a damaged table is still one.
 */
int mrt_is_table(const void *head, size_t len);

/* Where a match landed: mrt_match() plus the indices query tools print. */
typedef struct {
	const mrt_route *route;     /* NULL when nothing matched */
	unsigned listener;          /* listener index, MRT_UNSET if none */
	unsigned vhost;             /* virtual host index within the listener
	                               (for mrt_vhost_get), MRT_UNSET if none */
	unsigned match_index;       /* which match[] of the route, MRT_UNSET
	                               for a route without matches */
} mrt_result;

/* As mrt_match(), filling *res (never NULL). Returns res->route. */
const mrt_route *mrt_match_result(const mrt_table *t, const mrt_request *req,
				  mrt_result *res);

/*
 * As mrt_match_result(), telling apart the two reasons for no route:
 *   MRT_MATCH_FOUND  res->route is the first matching route;
 *   MRT_MATCH_NONE   no route matches the request;
 *   MRT_MATCH_ERROR  the request could not be routed: a regex it had to
 *                    be matched against could not be decided, so which
 *                    route comes first is unknown (res->route is NULL).
 * Regexes are matched with PCRE2 and, where it gives up (its match
 * limit or JIT stack), with a linear-time engine, as RE2 matches them;
 * so every pattern meshc accepts is decided on values up to Envoy's
 * 60 KiB header limit and far beyond. MRT_MATCH_ERROR is left for a
 * pattern the linear-time engine cannot run (a construct RE2 lacks, or a
 * program over 65,536 instructions; only in a hand-made table) or for
 * memory running out. A proxy must not treat it as "no route", or a
 * later route would take a request an earlier one may match: fail the
 * request (a 503, say). mrt_match() and mrt_match_result() return NULL
 * in both cases.
 */
enum mrt_match_status { MRT_MATCH_FOUND, MRT_MATCH_NONE, MRT_MATCH_ERROR };
enum mrt_match_status mrt_match_checked(const mrt_table *t, const mrt_request *req,
					mrt_result *res);

/* ---- Routes -------------------------------------------------------------- */

enum mrt_route_kind { MRT_ROUTE_HTTP, MRT_ROUTE_TLS, MRT_ROUTE_TCP };
enum mrt_action { MRT_ACTION_ROUTE, MRT_ACTION_REDIRECT,
		  MRT_ACTION_DIRECT_RESPONSE };

/* Number of routes in the table and the route at index i (i < count). */
size_t mrt_route_count(const mrt_table *t);
const mrt_route *mrt_route_at(const mrt_table *t, size_t i);
/* The index of r in the table's route section. */
size_t mrt_route_id(const mrt_table *t, const mrt_route *r);

const char *mrt_route_name(const mrt_table *t, const mrt_route *r);   /* or NULL */
/* "namespace/name" of the VirtualService that wrote the route, or NULL
 * for a route meshc made (a Service's default route, an https redirect). */
const char *mrt_route_virtual_service(const mrt_table *t, const mrt_route *r);
/* Position of the route in its VirtualService's http/tls/tcp list. */
unsigned mrt_route_index(const mrt_table *t, const mrt_route *r);
enum mrt_route_kind mrt_route_kind(const mrt_table *t, const mrt_route *r);
enum mrt_action mrt_route_action(const mrt_table *t, const mrt_route *r);
/* Route timeout in milliseconds, or MRT_UNSET. */
unsigned mrt_route_timeout_ms(const mrt_table *t, const mrt_route *r);

/* ---- Matches ------------------------------------------------------------- */

enum mrt_field {
	MRT_FIELD_URI, MRT_FIELD_SCHEME, MRT_FIELD_METHOD, MRT_FIELD_AUTHORITY,
	MRT_FIELD_HEADER, MRT_FIELD_QUERY, MRT_FIELD_PORT,
	MRT_FIELD_SOURCE_LABEL, MRT_FIELD_SOURCE_NAMESPACE, MRT_FIELD_GATEWAY,
	MRT_FIELD_SNI, MRT_FIELD_DESTINATION_SUBNET, MRT_FIELD_SOURCE_SUBNET,
	MRT_FIELD_CORS_ORIGIN,
	MRT_FIELD_COUNT
};
enum mrt_op {
	MRT_OP_EXACT, MRT_OP_PREFIX, MRT_OP_REGEX, MRT_OP_PRESENT,
	MRT_OP_ANY_OF,          /* value is a comma-separated list */
	MRT_OP_HOST_ANY_OF,     /* comma-separated host patterns ("*.x.org") */
	MRT_OP_COUNT
};
#define MRT_COND_INVERT      1u  /* withoutHeaders: the result is negated;
                                    an absent header counts as "" (Istio's
                                    treat_missing_header_as_empty) */
#define MRT_COND_IGNORE_CASE 2u  /* ignoreUriCase */

typedef struct {
	enum mrt_field field;
	enum mrt_op op;
	unsigned flags;             /* MRT_COND_* */
	const char *key;            /* header / query / label name, or NULL */
	const char *value;          /* NULL for MRT_OP_PRESENT and ports */
	unsigned number;            /* MRT_FIELD_PORT: the port */
} mrt_condition;

/* The route's match[] entries (0: matches every request). */
size_t mrt_route_match_count(const mrt_table *t, const mrt_route *r);
const char *mrt_route_match_name(const mrt_table *t, const mrt_route *r,
				 size_t m);
size_t mrt_route_condition_count(const mrt_table *t, const mrt_route *r,
				 size_t m);
/* Condition c of match m; 0 on success, -1 when out of range. */
int mrt_route_condition(const mrt_table *t, const mrt_route *r, size_t m,
			size_t c, mrt_condition *out);

/* ---- Actions ------------------------------------------------------------- */

typedef struct {
	const char *host;           /* fully qualified */
	const char *subset;         /* NULL when none */
	unsigned port;              /* 0 when unknown */
	unsigned weight;            /* mirrors: percentage in millionths */
	const char *cluster;        /* "outbound|9080|v2|reviews.books.svc.cluster.local" */
	unsigned cluster_index;     /* for mrt_cluster_get() */
} mrt_destination;

size_t mrt_route_destination_count(const mrt_table *t, const mrt_route *r);
int mrt_route_destination(const mrt_table *t, const mrt_route *r, size_t i,
			  mrt_destination *out);
/* The destination a weighted pick selects: walks the cumulative weights
 * with random_value % total weight (Envoy's rule). MRT_UNSET when the
 * route has no destinations. */
unsigned mrt_route_pick(const mrt_table *t, const mrt_route *r,
			uint64_t random_value);

enum mrt_derive_port { MRT_DERIVE_NONE, MRT_DERIVE_FROM_PROTOCOL_DEFAULT,
		       MRT_DERIVE_FROM_REQUEST_PORT };
typedef struct {
	const char *uri, *authority, *scheme, *prefix_rewrite;   /* or NULL */
	unsigned port;              /* MRT_UNSET when not set */
	enum mrt_derive_port derive_port;
	unsigned code;              /* 301 when not written */
} mrt_redirect;
/* 0 and *out filled when the route redirects; -1 otherwise. */
int mrt_route_redirect(const mrt_table *t, const mrt_route *r, mrt_redirect *out);
/*
 * The Location a redirect answers `req` with, written to buf (always
 * NUL-terminated when buflen > 0). Returns the length it needed, or -1
 * when the route does not redirect.
 */
int mrt_redirect_location(const mrt_table *t, const mrt_route *r,
			  const mrt_request *req, char *buf, size_t buflen);

typedef struct {
	unsigned status;
	const char *body;           /* NULL when none; may hold NUL bytes */
	size_t body_len;
} mrt_direct_response;
int mrt_route_direct_response(const mrt_table *t, const mrt_route *r,
			      mrt_direct_response *out);

typedef struct {
	const char *uri, *authority;              /* or NULL */
	const char *regex, *regex_substitution;   /* uriRegexRewrite, or NULL */
} mrt_rewrite;
/* 0 when the route rewrites anything; -1 otherwise. */
int mrt_route_rewrite(const mrt_table *t, const mrt_route *r, mrt_rewrite *out);

/*
 * The path the upstream sees after the route's rewrite, as Envoy applies
 * Istio's config: `uri` replaces the prefix the route matched (the whole
 * path for an exact match; "/" for a route without a URI match);
 * uriRegexRewrite substitutes every match ("\\1" references groups).
 * Written to buf (NUL-terminated when buflen > 0); returns the length it
 * needed, or -1 when the route does not rewrite the path. Not for the hot
 * path: a regex rewrite compiles its pattern on each call.
 */
int mrt_rewrite_path(const mrt_table *t, const mrt_route *r,
		     const mrt_request *req, char *buf, size_t buflen);

/*
 * The retry policy Envoy gets (Istio's retry.ConvertPolicy): the
 * route's, or the mesh's default when it sets none (is_default; 2
 * attempts on connect-failure, refused-stream, unavailable, cancelled
 * and 503). Numbers in retryOn are moved to retriable_status_codes.
 * attempts 0: retries disabled.
 */
typedef struct {
	unsigned attempts;          /* MRT_UNSET when not written */
	unsigned per_try_timeout_ms;             /* or MRT_UNSET */
	const char *retry_on;                    /* Envoy's retry_on, or NULL */
	int retry_remote_localities;             /* -1 unset, 0, 1 */
	int retry_ignore_previous_hosts;         /* -1 unset, 0, 1 */
	unsigned backoff_ms;                     /* or MRT_UNSET */
	const char *retriable_status_codes;      /* "503,504", or NULL */
	int is_default;                          /* 1: the mesh's default policy */
} mrt_retries;
/* 0 and *out filled when the route has a retry policy; -1 otherwise
 * (redirects, direct responses, TCP and TLS routes). */
int mrt_route_retries(const mrt_table *t, const mrt_route *r, mrt_retries *out);

/* Percentages are what Envoy gets: 0 when the fault sets none (the
 * API: "if left unspecified, no request will be delayed/aborted"). */
typedef struct {
	unsigned delay_ms, delay_ppm;            /* MRT_UNSET when no delay */
	unsigned abort_status, abort_ppm;        /* MRT_UNSET when no abort */
	const char *abort_grpc, *abort_http2;    /* or NULL */
} mrt_fault;
int mrt_route_fault(const mrt_table *t, const mrt_route *r, mrt_fault *out);

/* Mirrors (mirror/mirrors): destinations whose weight is the percentage
 * of requests mirrored, in millionths (1000000 = 100%). */
size_t mrt_route_mirror_count(const mrt_table *t, const mrt_route *r);
int mrt_route_mirror(const mrt_table *t, const mrt_route *r, size_t i,
		     mrt_destination *out);

typedef struct {
	const char *allow_methods, *allow_headers, *expose_headers; /* comma lists or NULL */
	unsigned max_age_ms;                     /* or MRT_UNSET */
	int allow_credentials;                   /* -1 unset, 0, 1 */
	const char *unmatched_preflights;        /* or NULL */
	size_t n_origins;                        /* see mrt_route_cors_origin() */
} mrt_cors;
int mrt_route_cors(const mrt_table *t, const mrt_route *r, mrt_cors *out);
int mrt_route_cors_origin(const mrt_table *t, const mrt_route *r, size_t i,
			  mrt_condition *out);

enum mrt_header_target { MRT_HEADERS_REQUEST, MRT_HEADERS_RESPONSE };
enum mrt_header_op { MRT_HEADER_SET, MRT_HEADER_ADD, MRT_HEADER_REMOVE };
typedef struct {
	enum mrt_header_target target;
	enum mrt_header_op op;
	const char *name, *value;   /* value NULL for MRT_HEADER_REMOVE */
} mrt_header_op_info;
/* Header operations of the route (dest == MRT_UNSET) or of destination
 * `dest` of the route. */
size_t mrt_route_header_op_count(const mrt_table *t, const mrt_route *r,
				 unsigned dest);
int mrt_route_header_op(const mrt_table *t, const mrt_route *r, unsigned dest,
			size_t i, mrt_header_op_info *out);

/* ---- Clusters ------------------------------------------------------------ */

typedef struct {
	const char *name, *host, *subset;        /* subset NULL when none */
	unsigned port;
	const char *lb_policy;      /* "ROUND_ROBIN", "consistentHash", ... or NULL */
	const char *tls_mode;       /* "ISTIO_MUTUAL", ... or NULL */
	const char *policy_json;    /* the merged DestinationRule traffic
	                               policy (a TrafficPolicy without
	                               portLevelSettings) as canonical JSON,
	                               or NULL */
	const char *destination_rule;   /* "namespace/name" of the
	                               DestinationRule it comes from ("ns/a,ns/b"
	                               when the subset is another merged
	                               rule's), or NULL */
} mrt_cluster;
/*
 * The cluster Istio routes an invalid Gateway API backendRef to (one not
 * permitted, of an unsupported kind, or not found): its host is "" and
 * its port 0. Envoy has no such cluster; a Gateway API route answers a
 * request sent to it with MRT_CLUSTER_UNKNOWN_STATUS (Istio sets
 * cluster_not_found_response_code for gateway semantics), a TCP or TLS
 * route closes the connection.
 */
#define MRT_CLUSTER_UNKNOWN "UnknownService"
#define MRT_CLUSTER_UNKNOWN_STATUS 500u
size_t mrt_cluster_count(const mrt_table *t);
int mrt_cluster_get(const mrt_table *t, size_t i, mrt_cluster *out);

/* ---- Listeners and virtual hosts (for dumps and diffs) ------------------- */

typedef struct {
	const char *gateway;        /* "mesh" or "namespace/name" */
	unsigned port;              /* 0: any port */
	const char *protocol;       /* "HTTP", "HTTPS", "TCP", ... or NULL (mesh) */
	const char *tls_mode;       /* or NULL */
	const char *name;           /* server port name or NULL */
	size_t n_vhosts;
	size_t n_l4_routes;         /* TLS/TCP routes for requests without a host */
	const char *sni;            /* server names (comma-separated, "*.x"
	                               wildcards) a gateway port's filter chain
	                               is chosen by, or NULL: any */
	int terminates_tls;         /* 1: an HTTPS server that terminates TLS
	                               and routes by the Host header */
} mrt_listener;
size_t mrt_listener_count(const mrt_table *t);
int mrt_listener_get(const mrt_table *t, size_t i, mrt_listener *out);
const mrt_route *mrt_listener_l4_route(const mrt_table *t, size_t l, size_t i);

#define MRT_VHOST_HTTPS_REDIRECT 1u
/* The routes are one VirtualService's, some guarded by the caller's
 * labels or namespace; a caller none of them applies to gets `fallback`
 * (the host's default route) or, without one, no virtual host. */
#define MRT_VHOST_SOURCE_SCOPED  2u
typedef struct {
	const char *host;           /* "reviews.books.svc.cluster.local", "*.x.org", "*" */
	unsigned flags;             /* MRT_VHOST_* */
	size_t n_routes;
	size_t first_route;         /* routes are [first_route, first_route+n_routes) */
	const mrt_route *fallback;  /* MRT_VHOST_SOURCE_SCOPED: or NULL */
} mrt_vhost;
int mrt_vhost_get(const mrt_table *t, size_t l, size_t v, mrt_vhost *out);

/* ---- Gateways and workloads --------------------------------------------- */

/*
 * Each Gateway resource of the config: its selector and the gateway its
 * requests are routed on (mrt_request.gateway): a gateway workload gets
 * the servers of every Gateway whose selector it satisfies, merged as
 * Istio merges them, so `workload` is "namespace/name" for a Gateway
 * alone on its workload and the comma-joined names of the merged
 * Gateways otherwise. mrt_match() accepts either name.
 */
typedef struct {
	const char *name;           /* "namespace/name" */
	const char *selector;       /* "k1=v1,k2=v2" (sorted), or NULL */
	const char *workload;       /* the gateway its listeners carry */
} mrt_gateway;
size_t mrt_gateway_count(const mrt_table *t);
int mrt_gateway_get(const mrt_table *t, size_t i, mrt_gateway *out);
/*
 * The gateway (for mrt_request.gateway) of a gateway workload with these
 * labels: the merged servers of every Gateway whose selector the labels
 * satisfy (the Gateways Istio derives from one Kubernetes Gateway, which
 * all name its "namespace/name" as their workload, route on that). NULL
 * when no Gateway selects them, or when the table has no
 * listeners for exactly that set of Gateways (it was compiled for the
 * workloads each Gateway's selector, or a Pod of the input, describes).
 */
const char *mrt_workload_gateway(const mrt_table *t, const mrt_header *labels,
				 size_t n_labels);

/* ---- Regexes ------------------------------------------------------------- */

size_t mrt_regex_count(const mrt_table *t);
const char *mrt_regex_source(const mrt_table *t, size_t i);
/* Compiles pattern i now (as first use would); 0 when it compiles, -1
 * with PCRE2's message in err otherwise. */
int mrt_regex_check(const mrt_table *t, size_t i, char *err, size_t errlen);

/* The cluster domain the table was compiled for ("cluster.local"). */
const char *mrt_table_domain(const mrt_table *t);

/* ---- Picking up a new table ------------------------------------------ */
/*
 * `meshc compile` replaces a table by renaming a new file into place; a
 * proxy that keeps the old one mapped keeps serving it, complete, until
 * it opens the new one. examples/route-reload/ shows the whole loop.
 *
 * mrt_table_changed: 1 when `path` now names another file than the one
 * t was opened from (another inode or device, size or modification
 * time), 0 when it is the same file, -1 (errno set) when `path` cannot be
 * examined, or t came from mrt_open_buffer: keep serving t. One stat()
 * per call; safe from any thread.
 *
 * mrt_table_checksum: the checksum from the table's header (XXH64), its
 * identity: byte-identical tables, so tables compiled from the same
 * config, have the same one. For logs and stats ("routed by 3f9e...").
 *
 * mrt_table_generation: 1 for the first table this process opened
 * (mrt_open or mrt_open_buffer), one more for each later one, so a newer
 * table always has a larger number.
 */
int mrt_table_changed(const mrt_table *t, const char *path);
uint64_t mrt_table_checksum(const mrt_table *t);
uint64_t mrt_table_generation(const mrt_table *t);

#ifdef __cplusplus
}
#endif

#endif
