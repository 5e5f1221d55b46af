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
 * the int64 range as the node reader does). Whether it is set is its
 * position's line (nodes' lines are 1-based; 0: not set), not a flag of
 * its own: a flag padded the record from 16 to 24 bytes (mint_set;
 * distil.c gives an integer meshc made a line past any input's). */
struct mint {
	long long v;
	struct mpos pos;
};

/* Whether m holds a YAML integer. */
static inline bool mint_set(const struct mint *m)
{
	return m->pos.line != 0;
}

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
	bool str;                    /* the value is a string */
};

struct mlabels {
	struct mlabel *v;
	unsigned n;
	bool map, present;
	struct mpos key_pos;
};

/* The value of label `key`: its text, NULL when absent or not a scalar. */
const char *mlabels_text(const struct mlabels *l, const char *key);
/* The same when the value is a string, else NULL. */
const char *mlabels_str(const struct mlabels *l, const char *key);
/* Whether label `key` is there (any value, null included). */
bool mlabels_has(const struct mlabels *l, const char *key);

/* An unsigned field as the route builder reads it: a YAML integer in
 * [0, 2^32-1), else the default the distil call names (0 or M_UNSET). */
#define M_UNSET 0xffffffffu          /* MRT_UNSET: an optional number not set */

/* An optional boolean: -1 absent or not a boolean, else 0 or 1. */
typedef signed char mtri;

/* ---- VirtualService ----------------------------------------------------- */

/* A StringMatch {exact|prefix|regex}: each a string, else NULL.
 * `present`: the field is there (any value). */
struct m_smatch {
	const char *exact, *prefix, *regex;
	bool present;
};

/* A map of names to StringMatches (headers, queryParams), as written;
 * n is 0 unless the field is a map. */
struct m_smatch_entry {
	const char *key;
	struct m_smatch m;
};

struct m_smatches {
	struct m_smatch_entry *v;
	unsigned n;
};

/* A map entry: its key, and its value when a string (else NULL). */
struct m_kv {
	const char *key, *value;
};

/* The fields of a match most matches leave out (see m_match.more). */
struct m_match_more {
	struct m_smatch scheme, authority;
	struct m_smatches without_headers, query_params;
	struct mstrs gateways;
	const char *source_ns;
	struct m_kv *source_labels;  /* sourceLabels when a map, as written */
	unsigned nsource_labels;
	struct mstrs sni_hosts;
	const char *destination_subnets;   /* string items joined by ',', or NULL */
	const char *source_subnet;
};

/*
 * An HTTPMatchRequest, or a TLS/L4 match (sniHosts, destinationSubnets,
 * sourceSubnet): what the route builder turns into conditions. The
 * fields past uri, method, headers and port are stored apart, only when
 * one is written (a match was 272 bytes, mostly those, zeroed): `more`
 * is never NULL, a match without them reads a shared zeroed instance.
 * So is `method` (one match in twenty has one): 104 -> 80 bytes.
 */
struct m_match {
	const char *name;
	struct m_smatch uri;
	const struct m_smatch *method;   /* never NULL */
	struct m_smatches headers;
	unsigned port;               /* 0: none */
	bool ignore_uri_case;        /* true only when the boolean true */
	const struct m_match_more *more;
};

/* One header operation as written: set and add entries (value: the
 * scalar's text, "" for none), remove items (strings only). */
struct m_hop {
	const char *name, *value;
	unsigned char target;        /* 0 request, 1 response */
	unsigned char op;            /* 0 set, 1 add, 2 remove */
};

/* Headers {request, response: {set, add, remove}}. */
struct m_headers {
	struct m_hop *ops;           /* request set, add, remove; then response */
	/* The authority a request set (else add) entry for :authority or
	 * Host asks for (the last such string of the map), non-empty; NULL. */
	const char *authority;
	unsigned nops;
	bool present;                /* the field is there (any value) */
};

/* A Percent {value}: `num` when value is a number. */
struct m_pct {
	double v;
	bool present, num;
};

struct m_redirect {
	bool present;
	const char *uri, *authority, *scheme, *prefix_rewrite, *derive_port;
	unsigned port, code;         /* M_UNSET when not set */
};

struct m_direct {
	bool present;
	unsigned status;             /* 0 when not set */
	const char *body_string, *body_bytes;
};

struct m_rewrite {
	bool present;
	const char *uri, *authority, *regex, *regex_sub;
};

struct m_retries {
	struct mint attempts;
	const char *retry_on, *per_try_timeout, *backoff;
	bool present;
	mtri remote_localities, ignore_previous_hosts;
};

struct m_fault {
	bool present;
	bool delay, abort;           /* the fields are there (any value) */
	struct mpos delay_pos, abort_pos;
	const char *fixed_delay;
	struct m_pct delay_pct;      /* delay.percentage */
	unsigned delay_percent;      /* delay.percent, 0 when not set */
	unsigned http_status;        /* M_UNSET when not set */
	const char *grpc_status;
	struct m_pct abort_pct;
};

struct m_cors {
	bool present;
	bool origins_present;        /* allowOrigins is there (any value) */
	struct m_smatch *origins;    /* allowOrigins items when a list */
	unsigned norigins;
	struct mstrs allow_origin;   /* the deprecated allowOrigin */
	const char *methods, *allow_headers, *expose_headers;   /* joined, or NULL */
	const char *max_age;
	mtri credentials;
	const char *unmatched_preflights;
};

/* A Destination {host, subset, port}; `map` false: absent or not a map. */
struct m_dest {
	const char *host;            /* a string, else NULL */
	const char *subset;          /* a string (possibly empty), else NULL */
	struct mint port;            /* port.number */
	struct mpos host_pos, subset_pos;
	bool map;
};

/* An item of a route[] list: its destination, weight and headers
 * (stored apart as m_http's rarely written parts are: never NULL). */
struct m_route_dest {
	struct m_dest dest;
	struct mint weight;
	const struct m_headers *headers;
};

/* A route's delegate {name, namespace} (m_http.delegate_to). */
struct m_delegate {
	const char *name, *ns;
	struct mpos pos, name_pos;   /* name: line 0 if absent */
};

/* A route's mirror, mirrors and their percentages (m_http.mir). */
struct m_mirror_set {
	const struct m_dest *mirror;        /* mirror; never NULL */
	const struct m_pct *mirror_percentage;   /* never NULL */
	struct m_dest *mirrors;      /* mirrors[j].destination, every item */
	struct m_pct *mirrors_pct;   /* mirrors[j].percentage */
	unsigned mirror_percent;     /* 0 when not set */
	unsigned nmirrors;
	bool mirror_present;
	bool mirror_percent_present;
	bool mirrors_present;
};

/*
 * The parts of a route few routes write (m_http.rare): each pointer is
 * never NULL, an absent part reads as a shared zeroed instance
 * (`present` false).
 */
struct m_http_rare {
	const struct m_redirect *redirect;
	const struct m_direct *direct_response;
	const struct m_rewrite *rewrite;
	const struct m_fault *fault;
	const struct m_delegate *delegate_to;
	const struct m_mirror_set *mir;
	const struct m_cors *cors;
	/* fault.delay.percent when a number above 0 (deprecated: IST0002);
	 * line 0 otherwise. */
	struct mpos delay_percent;
};

/*
 * An item of spec.http[]. The `*_present` flags and each part's
 * `present` say whether the field is there at all (any value): a
 * delegate route inherits from its root the fields it leaves out.
 */
struct m_http {
	/* Pointers first, then 4-byte fields, then flags: no padding
	 * between them (one record per route). */
	const char *name;
	struct m_match *match;       /* match[] when a list, every item */
	struct m_route_dest *route;  /* route[], every item */
	/* The parts most routes leave out are stored apart, only when
	 * written (a route record was 616 bytes, 432 of them these parts,
	 * zeroed and first-touched for every route): each pointer is never
	 * NULL, an absent part reads as the shared zeroed instance
	 * (`present` false). Those rarer still (redirect, direct response,
	 * rewrite, fault, delegate, mirrors, CORS) are one pointer, `rare`,
	 * to a shared instance when a route writes none of them (m_http
	 * 128 -> 72 bytes). */
	const char *timeout;
	const struct m_retries *retries;
	const struct m_headers *headers;
	const struct m_http_rare *rare;  /* never NULL */
	unsigned index;              /* its position in spec.http */
	unsigned nmatch;
	unsigned nroute;
	bool map;                    /* the item is a map */
	bool delegate;               /* delegate is there */
	bool route_list;
	bool timeout_present;
};

/* An item of spec.tcp[] or spec.tls[]. */
struct m_l4 {
	const char *name;
	struct m_match *match;       /* match[] when a list */
	unsigned nmatch;
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

/* The TrafficPolicy fields the route builder merges, by index. */
enum m_pol_field {
	M_POL_LB, M_POL_CP, M_POL_OD, M_POL_TLS, M_POL_TUNNEL, M_POL_PROXY,
	M_POL_BUDGET, M_POL_N
};

/* One TrafficPolicy field as canonical JSON (node_json.h); json NULL
 * when absent. `aux`: loadBalancer.simple, tls.mode (strings). */
struct m_polfield {
	const char *json;
	const char *aux;
	unsigned len;                /* of json (a document is far below 4 GiB) */
	bool chash;                  /* loadBalancer.consistentHash is there */
};

/* A portLevelSettings item: its port.number and four fields. */
struct m_port_level {
	unsigned port;               /* 0 when not set */
	struct m_polfield f[M_POL_TLS + 1];
};

/* A TrafficPolicy; `present`: the field is there (any value). Its
 * fields are stored only when written (most policies set two or three
 * of the seven): f[i] NULL when absent. */
struct m_policy {
	const struct m_polfield *f[M_POL_N];
	struct m_port_level *levels; /* portLevelSettings when a list */
	unsigned nlevels;
	bool present;
};

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

/*
 * A policy is stored apart, only when written (a subset record was 288
 * bytes, 248 of them a policy most subsets leave out): the pointer is
 * never NULL, an absent policy reads as a shared zeroed one (`present`
 * false).
 */
struct m_subset {
	const char *name;            /* a string, else NULL */
	struct mpos name_pos;
	struct mlabels labels;
	const struct m_policy *policy;   /* its trafficPolicy */
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
	const struct m_policy *policy;   /* trafficPolicy (see m_subset) */
};

/* ---- Gateway ------------------------------------------------------------ */

struct m_server {
	struct mint port;            /* port.number */
	const char *protocol;        /* port.protocol */
	const char *port_name;       /* port.name */
	bool https_redirect;         /* tls.httpsRedirect is true */
	const char *bind;
	struct mstrs hosts;
	const char *tls_mode;
	struct mstr credential_name, server_certificate;
	const char *private_key;
};

struct m_gw {
	/* annotation internal.istio.io/k8s-gateway: the Kubernetes Gateway a
	 * derived Gateway stands for (gwapi_compile.c) */
	const char *k8s_gateway;
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
	unsigned char strs;          /* M_PORT_*_STR: which of them are strings */
	struct mpos pos;             /* the item */
	bool map;
};

#define M_PORT_NAME_STR 1u
#define M_PORT_PROTOCOL_STR 2u
#define M_PORT_APP_PROTOCOL_STR 4u

/* Field `s` of port p when it is a string (flag: M_PORT_*_STR), else NULL. */
static inline const char *mport_str(const struct m_port *p, const char *s,
				    unsigned flag)
{
	return p->strs & flag ? s : NULL;
}

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

/* A Gateway API Gateway (gateway.networking.k8s.io): what xref_vs.c reads
 * of the one a VirtualService names; the conversion (gwapi*.c) reads its
 * own copy of the object (gwapi_keep.c). */
struct m_k8s_gw {
	struct mstrs hostnames;      /* spec.listeners[].hostname; list false
	                              * when listeners is not a list */
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

static inline const struct m_k8s_gw *model_k8s_gw(const struct resource *r)
{
	return r->kind == KIND_K8S_GATEWAY ? r->model : NULL;
}

static inline const struct m_pod *model_pod(const struct resource *r)
{
	return r->kind == KIND_POD ? r->model : NULL;
}

/* An integer field as an unsigned in [0, 2^32-1), else dflt. */
static inline unsigned mint_u(const struct mint *m, unsigned dflt)
{
	return mint_set(m) && m->v >= 0 && m->v < 0xffffffffLL ? (unsigned)m->v : dflt;
}

/* ---- distilling (distil.c) -------------------------------------------- */

struct arena;
struct strtab;

/*
 * Fills r's record, labels and annotations from its node tree (r->root,
 * valid until the tree is released), allocating in `a`, strings in
 * `strings` (interned; NULL: copied into `a`). `irregular`: the
 * document uses aliases or merge keys, so positions keep their written
 * field paths (resource.xpaths).
 */
void distil_resource(struct arena *a, struct strtab *strings,
		     struct resource *r, bool irregular);

#endif
