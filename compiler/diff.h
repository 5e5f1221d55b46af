/*
 * meshc diff: what changed between two configurations (or compiled route
 * tables), at two levels.
 *
 *   diff_resources  resources added, removed and changed, matched by
 *                   (kind, namespace, name), with the changed fields'
 *                   paths and old/new values (diff.c);
 *   diff_routes     the request classes (listener, host, match) whose
 *                   outcome differs between two route tables
 *                   (diff_routes.c); config is compiled in memory first, so
 *                   config-vs-table and table-vs-table diffs share one
 *                   comparison.
 * The result is printed by cli/diff_out.c (text, JSON, Markdown).
 *
 * Everything the result points to lives in the result's arena, in the two
 * projects or in the two tables: keep those until diff_result_release().
 */
#ifndef MESHC_DIFF_H
#define MESHC_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "compiler.h"
#include "meshrt.h"

enum diff_change {
	DIFF_ADDED,
	DIFF_REMOVED,
	DIFF_CHANGED,
};

/*
 * One changed field of a changed resource. `path` names the field where
 * it is in NEW (spec.http[1].route[0].weight), or where it was in OLD for
 * a removal. A list item that moved has moved_from set (its path in OLD);
 * it carries old/new only when its content changed as well. oldv/newv are
 * the values as written (NULL: absent on that side).
 */
struct diff_field {
	const char *path;
	const char *moved_from;
	const struct node *oldv, *newv;
	bool redact;                 /* Secret data: values are never printed */
};

struct diff_resource {
	enum diff_change change;
	const char *kind, *namespace, *name;
	struct diff_field *fields;   /* arena array, DIFF_CHANGED only */
	size_t nfields;
};

/* One side's outcome for a request class: route r of table t, or none. */
struct diff_outcome {
	const mrt_table *t;
	const mrt_route *r;          /* NULL: nothing routes the class there */
};

/*
 * A setting of the route a request class reaches that differs between
 * the sides (both reach a route): `name` is query JSON's key (timeout,
 * retries, fault, mirrors, rewrite, corsPolicy, headers) and the values
 * are query JSON's, compact with sorted keys ("null": not set; retries
 * then carry the mesh default marked "default":true).
 */
struct diff_setting {
	const char *name;
	const char *oldj, *newj;
};

struct diff_route {
	const char *listener;        /* "shop/shop-gw:443", "mesh:9080", "mesh:*" */
	const char *host;            /* virtual host; NULL for TCP/TLS routes
	                                of a listener without host names */
	const char *match;           /* "uri prefix /api, method GET", "any" */
	struct diff_outcome oldo, newo;
	struct diff_setting *settings;   /* arena array */
	size_t nsettings;
};

/*
 * The JSON `meshc query` shows for route r's action (cli/route_json.c
 * route_json_action, with_policy false): diff_routes compares a route's
 * settings as query shows them (cli.md), reading them from this view.
 * The view is the CLI's printer, so the caller passes it in.
 */
typedef struct json_t *diff_route_view(const mrt_table *t, const mrt_route *r,
				       bool with_policy);

struct diff_result {
	struct arena arena;
	diff_route_view *route_view; /* set by the caller before diff_routes */
	struct diff_resource *res;   /* heap array, sorted by kind, namespace, name */
	size_t nres, cap_res;
	struct diff_route *routes;   /* heap array, sorted by listener, host, match */
	size_t nroutes, cap_routes;
	/* Inputs parsed again for the trees of changed resources (diff.c). */
	struct source_unit **units;
	size_t nunits, cap_units;
};

void diff_result_init(struct diff_result *d);
void diff_result_release(struct diff_result *d);

/*
 * Compares the resources of two loaded projects (project_load only; no
 * validation needed) and appends the differences to d, sorted. Resources
 * are matched by (kind, namespace, name); `domain` is the cluster domain
 * short host names expand with. Projects loaded with
 * meshc_options.canonical_hashes (the same domain) carry each resource's
 * canonical hash: pairs with equal hashes are skipped at once, and only
 * the others are parsed again from their input's bytes for the field
 * paths, so the trees need not be kept. Returns 0, or -1 with a message
 * in err when a side defines one resource twice (the side is ambiguous).
 */
int diff_resources(struct diff_result *d, const struct project *oldp,
		   const struct project *newp, const char *domain,
		   char *err, size_t errlen);

/*
 * Appends to d every request class of either table whose outcome differs
 * between the two (sorted). A class is a listener, a virtual host and one
 * match of a route; its outcome on each side is where a request of the
 * class is routed there. With `only` (host_set.h; NULL: every class),
 * only the classes of virtual hosts that overlap it are compared, and
 * the host-less TCP/TLS routes of every listener.
 */
struct host_set;
void diff_routes(struct diff_result *d, const mrt_table *oldt,
		 const mrt_table *newt, const struct host_set *only);

/*
 * diff_scope.c: the hosts whose route classes can differ between two
 * config sides whose resource diff is d (after diff_resources): compiling
 * both sides with route_compile_only(hosts) and comparing with
 * diff_routes(only = hosts) gives the full comparison's result. NULL,
 * with the reason in why, when the scope is not known (every class is
 * compared then); the file's top comment says when. Free the set with
 * diff_scope_free; diff_scope_size counts its hosts.
 */
struct host_set *diff_scope(const struct diff_result *d, struct project *oldp,
			    struct project *newp, char *why, size_t whylen);
size_t diff_scope_size(const struct host_set *hosts);
void diff_scope_free(struct host_set *hosts);

/* Whether d holds any difference. */
bool diff_result_empty(const struct diff_result *d);

#endif
