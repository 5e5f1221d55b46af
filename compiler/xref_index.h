/*
 * The cross-reference index: everything project_analyze() looks names up
 * in, built once over all resources, plus the name-resolution rules Istio
 * applies (istio.md §1.5, §3.2):
 *   - short hosts expand with the referring resource's namespace:
 *     `reviews` in `books` is reviews.books.svc.<domain>;
 *   - gateway references are `name`, `ns/name`, the legacy `name.ns`,
 *     or `mesh`;
 *   - exportTo visibility (`.`, `*`, `~`, namespaces) of VirtualServices,
 *     DestinationRules, ServiceEntries and the networking.istio.io/exportTo
 *     annotation on Services;
 *   - wildcard ServiceEntry and DestinationRule hosts.
 * Lookups go through string-keyed hash tables, so analysis stays linear
 * in the number of resources (10k-100k Services).
 *
 * The analyzers live in xref_vs.c (VirtualService), xref_dr.c
 * (DestinationRule), xref_gw.c (Gateway) and xref_svc.c (ServiceEntry,
 * Service); analyze.c runs them in order. The index is built once (its
 * entries per unit on the worker pool, linked into the tables by one
 * thread in input order) and then only read: a pass may run per unit on
 * the worker pool (project_each_unit) with its own view of the index
 * (xref_for_unit), which allocates and reports into the unit.
 */
#ifndef MESHC_XREF_INDEX_H
#define MESHC_XREF_INDEX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"
#include "model.h"

/* ---- a string-keyed hash table ---- */

struct xref_slot {
	const char *key;         /* NULL: empty slot */
	size_t hash;
	void *val;
};

/*
 * Open addressing with linear probing; keys are copied into the arena
 * (xref_map_put) or referenced (xref_map_put_ref).
 * Values are opaque pointers, usually the head of a linked list.
 */
struct xref_map {
	struct xref_slot *slots; /* heap array of cap slots */
	size_t cap, n;
	struct arena *arena;
};

void xref_map_init(struct xref_map *m, struct arena *a);
void xref_map_release(struct xref_map *m);
/* The value stored under key, or NULL. */
void *xref_map_get(const struct xref_map *m, const char *key);
/* The address of key's value, inserting the key (value NULL) if absent. */
void **xref_map_put(struct xref_map *m, const char *key);
/* The same, storing `key` itself rather than a copy: it must outlive the map. */
void **xref_map_put_ref(struct xref_map *m, const char *key);

/* ---- visibility (exportTo) ---- */

/* The namespaces a resource is visible in. */
struct xref_vis {
	bool all;                /* `*`, or no exportTo at all */
	size_t n;                /* otherwise these namespaces (none for `~`) */
	const char **ns;
};

/*
 * The visibility an exportTo list gives a resource in namespace `own`:
 * absent, null or empty is everywhere; `.` is `own`. Non-string items are
 * ignored (the schema layer reports them).
 */
void xref_vis_from_list(struct arena *a, struct xref_vis *v,
			const struct node *list, const char *own);
/* The same from the typed model's exportTo list. */
void xref_vis_from_mstrs(struct arena *a, struct xref_vis *v,
			 const struct mstrs *list, const char *own);
/* The same for the comma-separated networking.istio.io/exportTo annotation. */
void xref_vis_from_annotation(struct arena *a, struct xref_vis *v,
			      const char *value, const char *own);
bool xref_vis_has(const struct xref_vis *v, const char *ns);
/* Whether some namespace is in both. */
bool xref_vis_meet(const struct xref_vis *a, const struct xref_vis *b);

/* ---- the index ---- */

/* One host a Service or ServiceEntry defines. */
struct xref_hostdef {
	const struct resource *r;
	const char *host;            /* fully qualified, or `*suffix` */
	long long *ports;            /* port numbers (arena), nports of them */
	size_t nports;
	const struct mlabels *selector;  /* SE workloadSelector.labels; NULL for Services */
	struct xref_vis vis;
	struct xref_hostdef *next;   /* the next definition of the same host */
};

/* One DestinationRule, with its resolved host and subset names. */
struct xref_dr {
	const struct resource *r;
	const char *host;            /* fully qualified (or wildcard) */
	const struct mpos *host_pos;   /* spec.host */
	struct xref_vis vis;
	size_t nsubsets;
	const char **subset_names;   /* NULL entries for unnamed subsets */
	const struct m_subset *subsets;     /* the model's, nsubsets of them */
	atomic_bool *subset_used;    /* set by the VirtualService pass (in parallel) */
	struct xref_dr *next;        /* the next DR of the same host */
	bool shared;                 /* another DR has the same host: see xref_dr_facts */
	struct xref_subset **subset_info;   /* shared: by subset, NULL if unnamed */
};

/*
 * What the analyzers ask of the DestinationRules of a host that several
 * rules share, answered by lookups rather than by walking the rules (N
 * rules on one host, each named by routes, would be quadratic). In
 * xref.dr_facts under keys "<tag>\x1fhost\x1f...": S (host, subset) ->
 * struct xref_subset; L (host, ns) -> the first rule in namespace ns; LS
 * (host, ns, subset) -> a rule in ns defines the subset; ES (host,
 * subset), XS (host, ns, subset) -> a rule exported everywhere,
 * respectively to ns by name, defines the subset.
 */
struct xref_subset {
	const struct xref_dr *definer;   /* the first rule defining it */
	atomic_bool used;            /* a route names it */
};

struct xref_pod {
	const struct resource *r;
	const struct mlabels *labels;    /* metadata.labels when a map, else NULL */
	struct xref_pod *next;       /* next pod with the same label pair */
};

/* The pods carrying one label pair, in input order. */
struct xref_pods {
	struct xref_pod *head;
	size_t n;
};

struct xref {
	struct project *p;
	struct arena *arena;         /* p->arena */
	struct diag_list *diags;     /* p->diags */
	const char *domain;          /* "cluster.local" */
	bool check_hosts;            /* Services or ServiceEntries in the input, or --require-hosts */
	bool have_pods, have_secrets, have_vs;

	struct xref_map hosts;       /* fqdn -> struct xref_hostdef list */
	struct xref_map wild_hosts;  /* host minus its leading `*` -> list */
	bool any_wild_host;
	struct xref_map drs;         /* fqdn -> struct xref_dr list */
	struct xref_map wild_drs;    /* host minus `*` -> list */
	bool any_wild_dr;
	struct xref_map dr_facts;    /* shared hosts' rules (struct xref_subset) */
	struct xref_map host_suffixes;   /* ".suffix" of a host -> struct xref_suffix list
	                                  * (built by xref_host_suffixes) */
	struct xref_dr **dr_list;    /* every DR in input order (heap) */
	size_t ndr;
	struct xref_map gateways;    /* "ns/name" -> const struct resource * */
	struct xref_map k8s_gateways;    /* Gateway API Gateways, "ns/name" */
	struct xref_map secrets;     /* "ns/name" and "name" -> resource */
	struct xref_map pods_by_label;   /* "k\x1fv" -> struct xref_pods */
	struct xref_pod *pods;       /* every pod (array, npods) */
	size_t npods;
	struct xref_map nodes;       /* Node name -> resource */

	char *key;                   /* scratch buffer for composite keys */
	size_t keycap;
};

void xref_init(struct xref *x, struct project *p);
void xref_release(struct xref *x);
/*
 * Adds Gateways that join the project after the index was built (the
 * ones derived from Gateway API resources, gwapi_compile.c) to the
 * gateway table; a name already there keeps its first definition, as in
 * xref_init. xref_drop_gateways takes them out again (before the
 * resources are released).
 */
void xref_add_gateways(struct xref *x, struct resource *const *res, size_t n);
void xref_drop_gateways(struct xref *x, struct resource *const *res, size_t n);
/*
 * The same for the DestinationRules derived from BackendTLSPolicies: the
 * route builder finds them by host, before the input's rules of that
 * host; xref_drop_destination_rules unlinks them again.
 */
void xref_add_destination_rules(struct xref *x, struct resource *const *res, size_t n);
void xref_drop_destination_rules(struct xref *x, struct resource *const *res, size_t n);

/*
 * A view of index x for work on unit u from a worker thread: the same
 * tables, with allocations in u's arena, reports in u's diagnostics and
 * its own scratch key. Release it with xref_view_release (not
 * xref_release: the tables belong to x).
 */
void xref_for_unit(struct xref *view, const struct xref *x, struct source_unit *u);
void xref_view_release(struct xref *view);

/*
 * Runs fn(p, u, ctx) for every unit on the worker pool (project.c), as
 * the load and validate phases do: each unit is handed to one thread.
 */
void project_each_unit(struct project *p,
		       void (*fn)(struct project *p, struct source_unit *u, void *ctx),
		       void *ctx);
/*
 * Runs item(ctx, i, scratch) for i in [0, n) on the same pool, each item
 * on one thread (in no particular order); scratch is the worker's arena,
 * reset by nobody and released when the pool stops. p gives the job
 * count only.
 */
void project_each_item(struct project *p, size_t n,
		       void (*item)(void *ctx, size_t i, struct arena *scratch),
		       void *ctx);

/* Whether a VirtualService applies to sidecars: no gateways, or `mesh`. */
bool xref_vs_mesh_bound(const struct resource *vs);

/*
 * `host` as Istio resolves it from namespace `ns`: unchanged when it
 * contains a dot or starts with `*`, else host.ns.svc.<domain>. The result
 * lives in the arena.
 */
const char *xref_fqdn(struct xref *x, const char *host, const char *ns);
/* The namespace of a Kubernetes service FQDN name.ns.svc.<domain>, or NULL. */
const char *xref_service_namespace(struct xref *x, const char *fqdn);

/* A composite key "a\x1fb" in the scratch buffer (valid until the next call). */
const char *xref_key2(struct xref *x, const char *a, const char *b);

/*
 * The definitions of `fqdn` (exact first; then wildcard ServiceEntry hosts
 * whose suffix ends it), or NULL. *wild tells which kind was found.
 */
const struct xref_hostdef *xref_host_lookup(struct xref *x, const char *fqdn,
					    bool *wild);

/*
 * DestinationRules whose host covers `fqdn`: exact host first, else the
 * most specific wildcard host (the longest suffix). NULL if none.
 */
struct xref_dr *xref_dr_lookup(struct xref *x, const char *fqdn);

/* A fact about a shared host's rules (see struct xref_subset), or NULL. */
void *xref_dr_fact(struct xref *x, const char *tag, const char *host,
		   const char *ns, const char *subset);

/* The host definitions whose hosts end with a suffix, in hosts' table order. */
struct xref_suffix {
	const struct xref_hostdef *defs;
	struct xref_suffix *next;
};
/*
 * Indexes every host by each of its suffixes starting at a dot (for
 * wildcard DestinationRule hosts); before a parallel pass reads it.
 */
void xref_host_suffixes(struct xref *x);

/* `gateway` named from a VirtualService in `ns`: "ns/name", `name`, or legacy `name.ns`. */
const struct resource *xref_gateway_lookup(struct xref *x, const char *ref,
					   const char *ns, const char **fullname);
/* The same for a Gateway API Gateway (a VirtualService may name one). */
const struct resource *xref_k8s_gateway_lookup(struct xref *x, const char *ref,
					       const char *ns, const char **fullname);

/* Whether every pair of the selector map is in `labels` (an empty selector matches). */
bool xref_labels_match(const struct node *selector, const struct node *labels);
/* The same over the typed model's labels. */
bool xref_mlabels_match(const struct mlabels *selector, const struct mlabels *labels);
/*
 * Calls fn for every pod matching `selector` (all pods for an empty one),
 * optionally only in namespace `ns`, until fn returns false.
 */
void xref_pods_matching(struct xref *x, const struct mlabels *selector,
			const char *ns,
			bool (*fn)(const struct xref_pod *pod, void *ctx),
			void *ctx);
/* A selector map rendered as Kubernetes does: "k1=v1,k2=v2" sorted by key. */
const char *xref_selector_string(struct xref *x, const struct node *selector);
/* The same from the typed model's labels. */
const char *xref_mselector_string(struct xref *x, const struct mlabels *selector);

/* The list stored under key in map, or NULL (absent or not a list). */
const struct node *xref_list(const struct node *map, const char *key);
/* The text of a scalar node (strings, numbers, booleans as written), or NULL. */
const char *xref_text(const struct node *n);
/* A value quoted as Go's %q does for printable text. */
const char *xref_quote(struct xref *x, const char *s);

/* Analyzer families, in the order analyze.c runs them. */
void xref_service_entries(struct xref *x);
void xref_services(struct xref *x);
void xref_gateways(struct xref *x);
void xref_virtual_services(struct xref *x);
void xref_destination_rules(struct xref *x);

#endif
