/*
 * Resources: identifies the Kubernetes objects in a unit's documents by
 * apiVersion and kind, expands `kind: List`, defaults the namespace, and
 * reports documents that are not Kubernetes objects, and unknown kinds
 * and unserved versions of the API groups meshc checks. Other kinds
 * meshc does not read are dropped silently.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "compiler.h"
#include "schema.h"

static const char *const kind_names[KIND_COUNT] = {
	[KIND_VIRTUAL_SERVICE] = "VirtualService",
	[KIND_DESTINATION_RULE] = "DestinationRule",
	[KIND_GATEWAY] = "Gateway",
	[KIND_SERVICE_ENTRY] = "ServiceEntry",
	[KIND_SERVICE] = "Service",
	[KIND_POD] = "Pod",
	[KIND_NODE] = "Node",
	[KIND_SECRET] = "Secret",
	[KIND_NAMESPACE] = "Namespace",
	[KIND_GATEWAY_CLASS] = "GatewayClass",
	[KIND_K8S_GATEWAY] = "Gateway",
	[KIND_HTTP_ROUTE] = "HTTPRoute",
	[KIND_GRPC_ROUTE] = "GRPCRoute",
	[KIND_REFERENCE_GRANT] = "ReferenceGrant",
	[KIND_BACKEND_TLS_POLICY] = "BackendTLSPolicy",
	[KIND_TCP_ROUTE] = "TCPRoute",
	[KIND_TLS_ROUTE] = "TLSRoute",
	[KIND_LISTENER_SET] = "ListenerSet",
};

static const char *const schema_names[KIND_COUNT] = {
	[KIND_GATEWAY_CLASS] = "gateway.networking.k8s.io/GatewayClass",
	[KIND_K8S_GATEWAY] = "gateway.networking.k8s.io/Gateway",
	[KIND_HTTP_ROUTE] = "gateway.networking.k8s.io/HTTPRoute",
	[KIND_GRPC_ROUTE] = "gateway.networking.k8s.io/GRPCRoute",
	[KIND_REFERENCE_GRANT] = "gateway.networking.k8s.io/ReferenceGrant",
	[KIND_BACKEND_TLS_POLICY] = "gateway.networking.k8s.io/BackendTLSPolicy",
	[KIND_TCP_ROUTE] = "gateway.networking.k8s.io/TCPRoute",
	[KIND_TLS_ROUTE] = "gateway.networking.k8s.io/TLSRoute",
	[KIND_LISTENER_SET] = "gateway.networking.k8s.io/ListenerSet",
};

const char *resource_kind_name(enum resource_kind kind)
{
	return kind_names[kind];
}

bool resource_kind_is_istio(enum resource_kind kind)
{
	return kind <= KIND_SERVICE_ENTRY;
}

bool resource_kind_is_gateway_api(enum resource_kind kind)
{
	return kind >= KIND_GATEWAY_CLASS && kind <= KIND_LISTENER_SET;
}

bool resource_kind_is_cluster_scoped(enum resource_kind kind)
{
	return kind == KIND_NAMESPACE || kind == KIND_GATEWAY_CLASS;
}

const char *resource_schema_name(enum resource_kind kind)
{
	return schema_names[kind] ? schema_names[kind] : kind_names[kind];
}

const char *resource_annotation(const struct resource *r, const char *key)
{
	if (r->annotations)
		return node_str(node_get(r->annotations, key));
	if (strcmp(key, RESOURCE_ANN_SUPPRESS) == 0)
		return r->suppress;
	if (strcmp(key, RESOURCE_ANN_EXPORT_TO) == 0)
		return r->export_to;
	return NULL;
}

/*
 * The kinds of the API groups meshc checks, with every version a CRD of
 * the group serves: Istio's crd-all.gen.yaml, and the Gateway API's
 * standard and experimental channels (an experimental-only version is
 * still served where that channel is installed). `kind` -1: a kind of
 * the group meshc does not read, accepted and skipped. The first version
 * listed is the one a "did you mean" proposes when no other is close.
 */
struct served {
	const char *kind;
	int id;
	const char *versions[4];
};

static const struct served istio_kinds[] = {
	{ "VirtualService", KIND_VIRTUAL_SERVICE, { "v1", "v1beta1", "v1alpha3" } },
	{ "DestinationRule", KIND_DESTINATION_RULE, { "v1", "v1beta1", "v1alpha3" } },
	{ "Gateway", KIND_GATEWAY, { "v1", "v1beta1", "v1alpha3" } },
	{ "ServiceEntry", KIND_SERVICE_ENTRY, { "v1", "v1beta1", "v1alpha3" } },
	{ "Sidecar", -1, { "v1", "v1beta1", "v1alpha3" } },
	{ "WorkloadEntry", -1, { "v1", "v1beta1", "v1alpha3" } },
	{ "WorkloadGroup", -1, { "v1", "v1beta1", "v1alpha3" } },
	{ "EnvoyFilter", -1, { "v1alpha3" } },
	{ "ProxyConfig", -1, { "v1beta1" } },
	{ NULL, 0, { NULL } },
};

static const struct served gateway_api_kinds[] = {
	{ "GatewayClass", KIND_GATEWAY_CLASS, { "v1", "v1beta1" } },
	{ "Gateway", KIND_K8S_GATEWAY, { "v1", "v1beta1" } },
	{ "HTTPRoute", KIND_HTTP_ROUTE, { "v1", "v1beta1" } },
	{ "GRPCRoute", KIND_GRPC_ROUTE, { "v1" } },
	{ "ReferenceGrant", KIND_REFERENCE_GRANT, { "v1", "v1beta1" } },
	{ "BackendTLSPolicy", KIND_BACKEND_TLS_POLICY, { "v1", "v1alpha3" } },
	{ "TCPRoute", KIND_TCP_ROUTE, { "v1", "v1alpha2" } },
	{ "TLSRoute", KIND_TLS_ROUTE, { "v1", "v1alpha3", "v1alpha2" } },
	{ "ListenerSet", KIND_LISTENER_SET, { "v1" } },
	{ "UDPRoute", -1, { "v1", "v1alpha2" } },  /* Istio does not implement it */
	{ NULL, 0, { NULL } },
};

static const struct {
	const char *group;
	const struct served *kinds;
} checked_groups[] = {
	{ "networking.istio.io", istio_kinds },
	{ "gateway.networking.k8s.io", gateway_api_kinds },
};
#define NGROUPS (sizeof(checked_groups) / sizeof(checked_groups[0]))

/* Core v1 kinds meshc reads. */
static const int core_kinds[] = {
	KIND_SERVICE, KIND_POD, KIND_NODE, KIND_SECRET, KIND_NAMESPACE,
};

static const struct served *find_served(const struct served *kinds,
					const char *kind)
{
	for (const struct served *s = kinds; s->kind; s++)
		if (strcmp(s->kind, kind) == 0)
			return s;
	return NULL;
}

/* Case-insensitive edit distance, more than limit once it exceeds it. */
static unsigned distance(const char *a, const char *b, unsigned limit)
{
	char la[64], lb[64];
	size_t n = 0, m = 0;
	for (; a[n] && n < sizeof(la) - 1; n++)
		la[n] = (char)tolower((unsigned char)a[n]);
	for (; b[m] && m < sizeof(lb) - 1; m++)
		lb[m] = (char)tolower((unsigned char)b[m]);
	if (a[n] || b[m])
		return limit + 1;
	lb[m] = '\0';
	return schema_edit_distance(la, n, lb, limit);
}

/*
 * An unknown kind in a checked group: the nearest kind of the group (a
 * plural, a wrong case, a typo), or the group that has the kind.
 */
static void unknown_kind(struct source_unit *u, const struct node *kd,
			 size_t g, const char *version)
{
	const char *kind = kd->text;
	const char *best = NULL;
	unsigned bestd = ~0u;
	size_t klen = strlen(kind);
	unsigned limit = klen < 6 ? 1 : klen < 12 ? 2 : 3;
	for (const struct served *s = checked_groups[g].kinds; s->kind; s++) {
		unsigned d = distance(kind, s->kind, limit);
		if (d <= limit && d < bestd) {
			best = s->kind;
			bestd = d;
		}
	}
	char msg[400];
	if (best) {
		snprintf(msg, sizeof(msg),
			 "unknown kind \"%s\" in %s/%s, did you mean \"%s\"?",
			 kind, checked_groups[g].group, version, best);
	} else {
		size_t other = NGROUPS;
		for (size_t o = 0; o < NGROUPS; o++)
			if (o != g && find_served(checked_groups[o].kinds, kind))
				other = o;
		if (other < NGROUPS)
			snprintf(msg, sizeof(msg),
				 "unknown kind \"%s\" in %s/%s; %s is in %s, did you mean "
				 "\"apiVersion: %s/%s\"?", kind, checked_groups[g].group,
				 version, kind, checked_groups[other].group,
				 checked_groups[other].group,
				 find_served(checked_groups[other].kinds, kind)->versions[0]);
		else
			snprintf(msg, sizeof(msg), "unknown kind \"%s\" in %s/%s", kind,
				 checked_groups[g].group, version);
	}
	diag_report_pos(&u->diags, MSH0500, u->file, kd->line, kd->col, NULL,
			NULL, msg);
}

/* A known kind in a version its CRD does not serve. */
static void unserved_version(struct source_unit *u, const struct node *av,
			     size_t g, const struct served *s, const char *version)
{
	const char *best = s->versions[0];
	unsigned bestd = 3;
	char list[64] = "";
	size_t o = 0;
	for (int i = 0; i < 4 && s->versions[i]; i++) {
		unsigned d = distance(version, s->versions[i], 2);
		if (d < bestd) {
			best = s->versions[i];
			bestd = d;
		}
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
				      s->versions[i]);
	}
	char msg[400];
	if (!*version)
		snprintf(msg, sizeof(msg),
			 "apiVersion \"%s\" has no version, did you mean \"%s/%s\"? "
			 "(%s serves %s)", checked_groups[g].group,
			 checked_groups[g].group, best, s->kind, list);
	else
		snprintf(msg, sizeof(msg),
			 "%s %s is not served in version \"%s\", did you mean "
			 "\"%s/%s\"? (served: %s)", checked_groups[g].group, s->kind,
			 version, checked_groups[g].group, best, list);
	diag_report_pos(&u->diags, MSH0501, u->file, av->line, av->col, NULL,
			NULL, msg);
}

/*
 * The kind for (apiVersion, kind), or -1 for objects meshc skips: kinds
 * of other groups, and kinds of a checked group meshc does not read. An
 * unknown kind or unserved version of a checked group is reported here
 * (the API server would reject the document) and skipped as well.
 */
static int identify(struct source_unit *u, const struct node *av,
		    const struct node *kd)
{
	const char *api_version = av->text, *kind = kd->text;
	if (strcmp(api_version, "v1") == 0) {
		for (size_t i = 0; i < sizeof(core_kinds) / sizeof(core_kinds[0]); i++)
			if (strcmp(kind, kind_names[core_kinds[i]]) == 0)
				return core_kinds[i];
		return -1;
	}
	const char *slash = strchr(api_version, '/');
	size_t glen = slash ? (size_t)(slash - api_version) : strlen(api_version);
	const char *version = slash ? slash + 1 : "";
	for (size_t g = 0; g < NGROUPS; g++) {
		const char *group = checked_groups[g].group;
		if (strlen(group) != glen || strncmp(api_version, group, glen) != 0)
			continue;
		const struct served *s = find_served(checked_groups[g].kinds, kind);
		if (!s) {
			unknown_kind(u, kd, g, version);
			return -1;
		}
		for (int i = 0; i < 4 && s->versions[i]; i++)
			if (strcmp(version, s->versions[i]) == 0)
				return s->id;
		unserved_version(u, av, g, s, version);
		return -1;
	}
	return -1;
}

static void add_resource(struct source_unit *u, struct resource *r)
{
	if (u->nres == u->res_cap) {
		u->res_cap = u->res_cap ? u->res_cap * 2 : 16;
		u->res = xrealloc(u->res, u->res_cap * sizeof(*u->res));
	}
	u->res[u->nres++] = r;
}

static void not_object(struct source_unit *u, const struct node *at,
		       const char *msg)
{
	diag_report_pos(&u->diags, MSH0005, u->file, at->line, at->col, NULL,
			NULL, msg);
}

/* "Kind ns/name", or "Kind name" without a namespace; unaligned. */
const char *resource_origin(const struct resource *r, struct arena *a)
{
	if (r->origin)
		return r->origin;
	if (!r->name || !*r->name)
		return NULL;   /* a nameless object has no origin to show */
	const char *kind = r->kind_name, *ns = r->namespace ? r->namespace : "",
		   *name = r->name;
	size_t kl = strlen(kind), nl = strlen(ns), ml = strlen(name);
	char *s = arena_alloc_bytes(a, kl + nl + ml + 3), *w = s;
	memcpy(w, kind, kl);
	w += kl;
	*w++ = ' ';
	if (nl) {
		memcpy(w, ns, nl);
		w += nl;
		*w++ = '/';
	}
	memcpy(w, name, ml + 1);
	return s;
}

static void object(struct source_unit *u, const struct meshc_options *opt,
		   const struct node *obj, int list_depth, bool irregular);

static void expand_list(struct source_unit *u, const struct meshc_options *opt,
			const struct node *obj, int list_depth, bool irregular)
{
	const struct node *items = node_get(obj, "items");
	if (!items || items->type == NODE_NULL)
		return;
	if (items->type != NODE_SEQ) {
		not_object(u, items, "\"items\" of a List must be a list");
		return;
	}
	for (size_t i = 0; i < items->n; i++)
		object(u, opt, items->items[i], list_depth + 1, irregular);
}

static void object(struct source_unit *u, const struct meshc_options *opt,
		   const struct node *obj, int list_depth, bool irregular)
{
	if (obj->type != NODE_MAP) {
		char msg[96];
		const char *t = node_type_name(obj->type);
		snprintf(msg, sizeof(msg),
			 "document is not a Kubernetes object (found %s %s, not a map)",
			 strchr("aeiou", t[0]) ? "an" : "a", t);
		not_object(u, obj, msg);
		return;
	}
	const struct node *av = node_get(obj, "apiVersion");
	const struct node *kd = node_get(obj, "kind");
	if (!av || !kd) {
		not_object(u, obj, !av && !kd ?
			   "document is not a Kubernetes object (no \"apiVersion\" and \"kind\")" :
			   !av ? "object has no \"apiVersion\"" : "object has no \"kind\"");
		return;
	}
	if (av->type != NODE_STR || kd->type != NODE_STR) {
		not_object(u, av->type != NODE_STR ? av : kd,
			   av->type != NODE_STR ? "\"apiVersion\" must be a string" :
			   "\"kind\" must be a string");
		return;
	}
	if (strcmp(kd->text, "List") == 0 && strcmp(av->text, "v1") == 0) {
		if (list_depth < 4)
			expand_list(u, opt, obj, list_depth, irregular);
		else
			not_object(u, obj, "List nested too deeply");
		return;
	}
	int kind = identify(u, av, kd);
	if (kind < 0)
		return;

	/* 8-byte aligned, packed: one per resource of the run. */
	struct resource *r = arena_alloc_packed(&u->arena, sizeof(*r));
	memset(r, 0, sizeof(*r));
	r->kind = (enum resource_kind)kind;
	r->kind_name = kind_names[kind];
	r->api_version = av->text;
	r->file = u->file;
	r->root = obj;
	r->irregular = irregular;
	r->metadata = node_get(obj, "metadata");
	const struct node *name = node_get(r->metadata, "name");
	const struct node *ns = node_get(r->metadata, "namespace");
	r->name = node_str(name);
	r->namespace = node_str(ns);
	/* `namespace: n` (a YAML 1.1 boolean): reported below, but the
	 * resource keeps the namespace its author meant. */
	if (!r->namespace && ns && node_is_scalar(ns) && ns->type != NODE_NULL)
		r->namespace = ns->text;
	if (resource_kind_is_cluster_scoped(r->kind)) {
		/* The API server ignores metadata.namespace on these. */
		r->namespace = "";
	} else if (!r->namespace || !*r->namespace) {
		r->namespace = opt->namespace;
		r->namespace_defaulted = true;
	}
	if (!r->metadata || r->metadata->type != NODE_MAP) {
		diag_reportf(&u->diags, MSH0006, r, r->metadata ? r->metadata : obj,
			     r->metadata ? "\"metadata\" must be a map" :
			     "object has no \"metadata\"");
		return;
	}
	char msg[700];
	if (!r->name || !*r->name) {
		if (name && node_is_scalar(name) && name->type != NODE_NULL)
			diag_reportf(&u->diags, MSH0006, r, name, "\"metadata.name\": %s",
				     schema_expected_string(msg, sizeof(msg), name));
		else
			diag_reportf(&u->diags, MSH0006, r, name ? name : r->metadata,
				     name ? "\"metadata.name\" must be a non-empty string" :
				     "object has no \"metadata.name\"");
		return;
	}
	if (ns && ns->type != NODE_STR && ns->type != NODE_NULL)
		diag_reportf(&u->diags, IST0106, r, ns, "%s",
			     schema_expected_string(msg, sizeof(msg), ns));
	r->annotations = node_get(r->metadata, "annotations");
	r->labels = node_get(r->metadata, "labels");
	const struct node *spec = node_get(obj, "spec");
	if (spec && spec->type == NODE_MAP)
		r->spec = spec;
	else if (spec && spec->type != NODE_NULL &&
		 (kind != KIND_SECRET && kind != KIND_NODE))
		diag_reportf(&u->diags, IST0106, r, spec,
			     "spec: expected map, got %s", node_type_name(spec->type));
	add_resource(u, r);
}

void resources_from_docs(struct source_unit *u, const struct meshc_options *opt,
			 size_t first)
{
	for (size_t i = first; i < u->ndocs; i++)
		object(u, opt, u->docs[i], 0, u->doc_irregular[i]);
}

void resources_from_unit(struct source_unit *u, const struct meshc_options *opt)
{
	resources_from_docs(u, opt, 0);
}
