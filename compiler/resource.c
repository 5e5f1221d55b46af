/*
 * Resources: identifies the Kubernetes objects in a unit's documents by
 * apiVersion and kind, expands `kind: List`, defaults the namespace, and
 * reports documents that are not Kubernetes objects. Kinds meshc does not
 * read are dropped silently.
 */
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
};

const char *resource_kind_name(enum resource_kind kind)
{
	return kind_names[kind];
}

bool resource_kind_is_istio(enum resource_kind kind)
{
	return kind <= KIND_SERVICE_ENTRY;
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

/* The kind for (apiVersion, kind), or -1 for objects meshc skips. */
static int identify(const char *api_version, const char *kind)
{
	static const char group[] = "networking.istio.io/";
	size_t glen = sizeof(group) - 1;
	if (strncmp(api_version, group, glen) == 0) {
		const char *v = api_version + glen;
		if (strcmp(v, "v1alpha3") && strcmp(v, "v1beta1") && strcmp(v, "v1"))
			return -1;
		for (int k = KIND_VIRTUAL_SERVICE; k <= KIND_SERVICE_ENTRY; k++)
			if (strcmp(kind, kind_names[k]) == 0)
				return k;
		return -1;
	}
	if (strcmp(api_version, "v1") == 0)
		for (int k = KIND_SERVICE; k < KIND_COUNT; k++)
			if (strcmp(kind, kind_names[k]) == 0)
				return k;
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
	int kind = identify(av->text, kd->text);
	if (kind < 0)
		return;

	struct resource *r = arena_alloc(&u->arena, sizeof(*r));
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
	if (!r->namespace || !*r->namespace) {
		r->namespace = opt->namespace;
		r->namespace_defaulted = true;
	}
	r->origin = arena_printf(&u->arena, "%s %s/%s", r->kind_name,
				 r->namespace, r->name ? r->name : "");
	if (!r->name || !*r->name)
		r->origin = NULL;   /* a nameless object has no origin to show */
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

void resources_from_unit(struct source_unit *u, const struct meshc_options *opt)
{
	for (size_t i = 0; i < u->ndocs; i++)
		object(u, opt, u->docs[i], 0, u->doc_irregular[i]);
}
