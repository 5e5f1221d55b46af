/*
 * Resources: the Kubernetes objects meshc reads, identified from a
 * document's apiVersion and kind. Kinds meshc does not read are dropped;
 * in the groups meshc checks (networking.istio.io and
 * gateway.networking.k8s.io) an unknown kind or unserved version is an
 * error (MSH0500, MSH0501).
 */
#ifndef MESHC_RESOURCE_H
#define MESHC_RESOURCE_H

#include <stdbool.h>
#include <stddef.h>

struct node;
struct mlabels;

enum resource_kind {
	KIND_VIRTUAL_SERVICE,
	KIND_DESTINATION_RULE,
	KIND_GATEWAY,
	KIND_SERVICE_ENTRY,
	KIND_SERVICE,        /* core v1 */
	KIND_POD,            /* core v1, workloads for selector checks */
	KIND_NODE,           /* core v1, topology labels */
	KIND_SECRET,         /* core v1, names only */
	KIND_NAMESPACE,      /* core v1, labels for allowedRoutes selectors */
	/* Kubernetes Gateway API, gateway.networking.k8s.io */
	KIND_GATEWAY_CLASS,
	KIND_K8S_GATEWAY,    /* kind "Gateway", not Istio's KIND_GATEWAY */
	KIND_HTTP_ROUTE,
	KIND_GRPC_ROUTE,
	KIND_REFERENCE_GRANT,
	KIND_BACKEND_TLS_POLICY,
	KIND_TCP_ROUTE,
	KIND_TLS_ROUTE,
	KIND_LISTENER_SET,
	KIND_COUNT
};

/*
 * Where a value was written, for the diagnostics that point at it: the
 * 1-based line and column of its node. line 0: there is no such node
 * (the diagnostic then points at the resource). The field path is not
 * stored: a reporter knows where the value sits in the model and builds
 * the path (diag_report_at in diag.h), except in the rare documents that
 * use aliases or merge keys, where the resource keeps the paths as
 * written (resource.xpaths).
 */
struct mpos {
	unsigned line, col;
};

/* A field path as written for one position of a resource. */
struct resource_xpath {
	const struct mpos *at;
	const char *path;            /* NULL: no path (a key) */
};

/* Fields are grouped by size (one record per resource, no padding). */
struct resource {
	const char *kind_name;       /* "VirtualService" */
	const char *api_version;     /* as written */
	const char *name;
	const char *namespace;       /* as written, or the --namespace default */
	/* What diagnostics name it by when not "Kind ns/name" (a resource
	 * derived from another kind's); NULL: see resource_origin. */
	const char *origin;
	const char *file;            /* display name of the input */
	size_t seq;                  /* position in input order over the run */
	enum resource_kind kind;
	bool namespace_defaulted;
	bool shadowed;               /* replaced by a later definition (MSH0007) */
	bool has_spec;               /* spec is a map (distil_resource) */
	bool irregular;              /* its document uses aliases or merge keys */
	bool has_chash;              /* chash is set (below) */

	/* The typed model (model.h), filled by distil_resource(). */
	struct mpos pos;             /* the object itself */
	struct mpos name_pos;        /* metadata.name */
	const char *suppress;        /* galley.istio.io/analyze-suppress */
	const char *export_to;       /* networking.istio.io/exportTo */
	const void *model;           /* the kind's record: model_vs(r), ... */
	struct mlabels *meta_labels; /* metadata.labels (Pods, Nodes, Services) */
	struct resource_xpath *xpaths;   /* paths as written (aliases, merge keys) */
	size_t nxpaths;
	/*
	 * The hash of the resource's canonical form (diff.c): what meshc diff
	 * compares, independent of key order, formatting, comments and
	 * cluster-written metadata. Computed from the tree before it is
	 * released, when the run asks for it (meshc_options.canonical_hashes).
	 */
	unsigned long long chash;

	/*
	 * The node tree, while the document is checked and distilled; the
	 * tree is released afterwards and these are NULL.
	 */
	const struct node *root;     /* the object mapping */
	const struct node *metadata; /* NULL when absent */
	const struct node *spec;     /* NULL when absent or not a map */
	const struct node *annotations;   /* metadata.annotations map or NULL */
	const struct node *labels;        /* metadata.labels map or NULL */
};

const char *resource_kind_name(enum resource_kind kind);
/*
 * What diagnostics name r by, "VirtualService ns/name" (r->origin when
 * set), written into a when built; NULL for a nameless object. Built on
 * demand: one string per resource kept would cost more than the few
 * reports that name it (1.5 MB at 10k services).
 */
const char *resource_origin(const struct resource *r, struct arena *a);
/* Istio networking kinds have a networking.istio.io apiVersion. */
bool resource_kind_is_istio(enum resource_kind kind);
/* Gateway API kinds have a gateway.networking.k8s.io apiVersion. */
bool resource_kind_is_gateway_api(enum resource_kind kind);
/* Cluster-scoped kinds have no namespace (r->namespace is ""). */
bool resource_kind_is_cluster_scoped(enum resource_kind kind);
/*
 * The name of the kind's schema in the embedded tables (schema.h):
 * the kind for Istio and core kinds, "group/Kind" for Gateway API kinds,
 * whose Gateway would otherwise be taken for Istio's.
 */
const char *resource_schema_name(enum resource_kind kind);
/*
 * The value of annotation `key`, or NULL. The model keeps the two
 * annotations meshc reads after checking (RESOURCE_ANN_SUPPRESS,
 * RESOURCE_ANN_EXPORT_TO); while the tree is there, any key.
 */
const char *resource_annotation(const struct resource *r, const char *key);
/*
 * The canonical hash of r's tree (r->root must be there): equal for two
 * resources meshc diff finds no difference in (`domain` is the cluster
 * domain short host names expand with; NULL or "" for cluster.local).
 */
unsigned long long resource_canonical_hash(const struct resource *r,
					   const char *domain);
#define RESOURCE_ANN_SUPPRESS "galley.istio.io/analyze-suppress"
#define RESOURCE_ANN_EXPORT_TO "networking.istio.io/exportTo"

#endif
