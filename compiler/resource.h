/*
 * Resources: the Kubernetes objects meshc reads, identified from a
 * document's apiVersion and kind. Kinds meshc does not read are dropped.
 */
#ifndef MESHC_RESOURCE_H
#define MESHC_RESOURCE_H

#include <stdbool.h>
#include <stddef.h>

struct node;

enum resource_kind {
	KIND_VIRTUAL_SERVICE,
	KIND_DESTINATION_RULE,
	KIND_GATEWAY,
	KIND_SERVICE_ENTRY,
	KIND_SERVICE,        /* core v1 */
	KIND_POD,            /* core v1, workloads for selector checks */
	KIND_NODE,           /* core v1, topology labels */
	KIND_SECRET,         /* core v1, names only */
	KIND_COUNT
};

struct resource {
	enum resource_kind kind;
	const char *kind_name;       /* "VirtualService" */
	const char *api_version;     /* as written */
	const char *name;
	const char *namespace;       /* as written, or the --namespace default */
	bool namespace_defaulted;
	const char *origin;          /* "VirtualService ns/name" */
	const char *file;            /* display name of the input */
	const struct node *root;     /* the object mapping */
	const struct node *metadata; /* NULL when absent */
	const struct node *spec;     /* NULL when absent or not a map */
	const struct node *annotations;   /* metadata.annotations map or NULL */
	const struct node *labels;        /* metadata.labels map or NULL */
	size_t seq;                  /* position in input order over the run */
	bool shadowed;               /* replaced by a later definition (MSH0007) */
};

const char *resource_kind_name(enum resource_kind kind);
/* Istio networking kinds have a networking.istio.io apiVersion. */
bool resource_kind_is_istio(enum resource_kind kind);
/* The value of annotation `key`, or NULL. */
const char *resource_annotation(const struct resource *r, const char *key);

#endif
