/*
 * The typed model: what a resource holds once its node tree is gone.
 *
 * Each document is parsed into a node tree, checked (schema and admission
 * rules read the tree: they need every position), then distilled
 * (distil.c) into one compact record per resource, with the positions the
 * later diagnostics point at; then the tree is released. Everything after
 * that (the cross-reference index, the analyzers, the route builder, diff)
 * reads these records and never a node.
 *
 * Records are plain structs in the model arena, read through the accessor
 * of their kind (model_vs(r), model_dr(r), ...), which returns NULL for a
 * resource of another kind. They keep values as the node-reading code saw
 * them, so nothing about validity is assumed: a field of the wrong type
 * reads as absent (a string field holds NULL, a `struct mint` is not
 * set), and lists count every item, good or not, so that indices match
 * the input's.
 *
 * Adding a kind: a record type below (or in a header of its own), a
 * distil function registered in distil.c's table, and an accessor
 * model_<kind>(r). Nothing else changes: the pipeline distils every
 * resource through the table.
 */
#ifndef MESHC_MODEL_H
#define MESHC_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "resource.h"

/* ---- shared pieces ---------------------------------------------------- */

/* A string field or list item: its text (NULL when not a string). */
struct mstr {
	const char *s;
	struct mpos pos;
};

/*
 * A list of strings: every item counted (n), those that are not strings
 * kept with s NULL. `list` is false when the field is absent or not a
 * list (then n is 0).
 */
struct mstrs {
	struct mstr *v;
	unsigned n;
	bool list;
};

/* An integer field: set when the value is a YAML integer (clamped to
 * the int64 range as the node reader does). */
struct mint {
	long long v;
	bool set;
	struct mpos pos;
};

/*
 * A map of labels (metadata.labels, selectors): each key with its value
 * as written when a scalar (numbers and booleans as their text), NULL
 * for null, lists and maps. `map` is false when the field is absent or
 * not a map; `present` when the key is there at all (any value), with
 * key_pos the position of the key itself (a diagnostic there has no
 * field path, as for any key).
 */
struct mlabel {
	const char *key, *text;
	struct mpos pos;             /* the value */
};

struct mlabels {
	struct mlabel *v;
	unsigned n;
	bool map, present;
	struct mpos key_pos;
};

/* The value of label `key`: its text, NULL when absent or not a scalar. */
const char *mlabels_text(const struct mlabels *l, const char *key);
/* Whether label `key` is there (any value, null included). */
bool mlabels_has(const struct mlabels *l, const char *key);

/* ---- VirtualService ----------------------------------------------------- */

/* A Destination {host, subset, port}; `map` false: absent or not a map. */
struct m_dest {
	const char *host;            /* a string, else NULL */
	const char *subset;          /* a string (possibly empty), else NULL */
	struct mint port;            /* port.number */
	struct mpos host_pos, subset_pos;
	bool map;
};

/* An item of a route[] list: its destination and weight. */
struct m_route_dest {
	struct m_dest dest;
	struct mint weight;
};

/* An item of spec.http[] (fields the analyzers read). */
struct m_http {
	struct m_route_dest *route;  /* route[], every item */
	unsigned nroute;
	bool route_list;
	struct m_dest mirror;        /* mirror */
	struct m_dest *mirrors;      /* mirrors[j].destination, every item */
	unsigned nmirrors;
	/* fault.delay.percent when a number above 0 (deprecated: IST0002);
	 * line 0 otherwise. */
	struct mpos delay_percent;
};

/* An item of spec.tcp[] or spec.tls[]. */
struct m_l4 {
	struct m_route_dest *route;
	unsigned nroute;
	bool route_list;
};

struct m_vs {
	struct mstrs hosts, gateways, export_to;
	struct m_http *http;         /* every item of spec.http */
	struct m_l4 *tcp, *tls;
	unsigned nhttp, ntcp, ntls;
};

/* ---- DestinationRule ---------------------------------------------------- */

/* ClientTLSSettings: the strings the analyzers read. */
struct m_tls {
	const char *mode, *ca_certificates, *credential_name;
	struct mpos mode_pos;
};

/* An item of trafficPolicy.portLevelSettings. */
struct m_port_policy {
	struct mint port;            /* port.number */
	struct m_tls tls;
};

struct m_subset {
	const char *name;            /* a string, else NULL */
	struct mpos name_pos;
	struct mlabels labels;
};

struct m_dr {
	const char *host;            /* a string, else NULL */
	struct mpos host_pos;
	struct mstrs export_to;
	bool workload_selector;      /* spec.workloadSelector is there (any value) */
	struct m_tls tls;            /* trafficPolicy.tls */
	struct m_port_policy *port_policies;
	unsigned nport_policies;
	bool port_policies_list;
	struct m_subset *subsets;
	unsigned nsubsets;
	bool subsets_list;
};

/* ---- Gateway ------------------------------------------------------------ */

struct m_server {
	struct mint port;            /* port.number */
	const char *protocol;        /* port.protocol */
	const char *bind;
	struct mstrs hosts;
	const char *tls_mode;
	struct mstr credential_name, server_certificate;
	const char *private_key;
};

struct m_gw {
	struct mlabels selector;
	struct m_server *servers;    /* every item of spec.servers */
	unsigned nservers;
	bool servers_list;
};

/* ---- ServiceEntry and Service ---------------------------------------- */

/* An item of spec.ports of a Service or ServiceEntry. */
struct m_port {
	struct mint port, number, target_port;
	/* Scalars as written (numbers too); NULL when absent or not a scalar. */
	const char *name, *protocol, *app_protocol, *target_text;
	struct mpos pos;             /* the item */
	bool map;
};

struct m_ports {
	struct m_port *v;
	unsigned n;
	bool list;
};

struct m_se {
	struct mstrs hosts, export_to;
	struct m_ports ports;
	bool addresses;              /* spec.addresses is a non-empty list */
	bool status_addresses;       /* status.addresses is a non-empty list */
	struct mlabels selector;     /* workloadSelector.labels */
};

struct m_svc {
	struct m_ports ports;
	struct mlabels selector;
	const char *type;            /* spec.type as written */
};

/* ---- workloads ---------------------------------------------------------- */

struct m_pod {
	const char *node_name;       /* spec.nodeName */
};

/* ---- accessors: the kind's record, or NULL for another kind ---------- */

static inline const struct m_vs *model_vs(const struct resource *r)
{
	return r->kind == KIND_VIRTUAL_SERVICE ? r->model : NULL;
}

static inline const struct m_dr *model_dr(const struct resource *r)
{
	return r->kind == KIND_DESTINATION_RULE ? r->model : NULL;
}

static inline const struct m_gw *model_gw(const struct resource *r)
{
	return r->kind == KIND_GATEWAY ? r->model : NULL;
}

static inline const struct m_se *model_se(const struct resource *r)
{
	return r->kind == KIND_SERVICE_ENTRY ? r->model : NULL;
}

static inline const struct m_svc *model_svc(const struct resource *r)
{
	return r->kind == KIND_SERVICE ? r->model : NULL;
}

static inline const struct m_pod *model_pod(const struct resource *r)
{
	return r->kind == KIND_POD ? r->model : NULL;
}

/* ---- distilling (distil.c) -------------------------------------------- */

struct arena;

/*
 * Fills r's record, labels and annotations from its node tree (r->root,
 * valid until the tree is released), allocating in `a`. `irregular`: the
 * document uses aliases or merge keys, so positions keep their written
 * field paths (resource.xpaths).
 */
void distil_resource(struct arena *a, struct resource *r, bool irregular);

#endif
