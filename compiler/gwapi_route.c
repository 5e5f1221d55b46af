/*
 * Gateway API routes, as Istio converts them (pilot/pkg/config/kube/
 * gateway: route_collections.go computeRoute and the per-kind
 * collections, conversion.go referenceAllowed, convertHTTPRoute,
 * convertGRPCRoute, convertTCPRoute, convertTLSRoute, buildDestination,
 * conditions.go createRouteStatus):
 *   1. each parentRef is resolved to the listeners (or the mesh) it names
 *      and checked (sectionName, port, hostnames, allowedRoutes);
 *   2. the rules become Istio HTTP/TCP/TLS routes, once with gateway
 *      semantics (ReferenceGrants enforced) and once for the mesh;
 *   3. per accepted parent and host, a VirtualService; HTTP ones with the
 *      same parent and host are merged and their routes sorted by the
 *      Gateway API's precedence;
 *   4. the route's status per parentRef.
 */
#include <stdlib.h>
#include <string.h>

#include "gwapi.h"
#include "xref_index.h"
#include "onode.h"
#include "prim.h"

#define GROUP "gateway.networking.k8s.io"

/* A parentRef resolved to one parent (Istio's routeParentReference). */
struct rparent {
	struct gw_parent *p;
	const struct node *ref;      /* the parentRef as written */
	char *refkey;                /* parentRefString, to group by reference */
	const char *deny_reason, *deny_msg;
	const char **banned;         /* hostnames of other listeners on the port */
	size_t nbanned;
	bool mesh;
	const char *ref_ns, *ref_name, *ref_kind;
	long long ref_port;          /* 0: none */
	const char *waypoint_msg;    /* ResolvedWaypoints message when not resolved */
};

/* A conversion result: routes (Istio HTTP/TCP/TLS route nodes) and an error. */
struct conv {
	struct node **routes;
	size_t n;
	const char *err_reason, *err_msg;
	bool hard;
};

static void conv_push(struct conv *c, struct node *r)
{
	if ((c->n & (c->n + 1)) == 0 || c->n == 0)
		c->routes = xrealloc(c->routes, (c->n + 1) * 2 * sizeof(*c->routes));
	c->routes[c->n++] = r;
}

/*
 * Records an error; a later one replaces an earlier one, as Istio keeps
 * the last invalid backend of a rule (buildHTTPDestination) and the last
 * failing rule of a route (computeRoute).
 */
static void conv_error(struct gwapi *g, struct conv *c, const char *reason, const char *msg)
{
	(void)g;
	c->err_reason = reason;
	c->err_msg = msg;
}

/* joinErrors: a rule's backend error, then its mirror error after "; ". */
static void conv_join(struct gwapi *g, struct conv *c, const struct conv *backend,
		      const struct conv *mirror)
{
	if (backend->err_reason && mirror->err_reason)
		conv_error(g, c, backend->err_reason,
			   arena_printf(&g->arena, "%s; %s", backend->err_msg, mirror->err_msg));
	else if (backend->err_reason)
		conv_error(g, c, backend->err_reason, backend->err_msg);
	else if (mirror->err_reason)
		conv_error(g, c, mirror->err_reason, mirror->err_msg);
}

/* ---- durations -------------------------------------------------------------- */

/* A Go duration as protobuf JSON writes it: "0.001s", "50s". NULL when bad or 0. */
static const char *pb_duration(struct arena *a, const char *s)
{
	long long ns;
	if (!s || !prim_parse_duration(s, &ns) || ns == 0)
		return NULL;
	long long sec = ns / 1000000000LL, frac = ns % 1000000000LL;
	if (frac == 0)
		return arena_printf(a, "%llds", sec);
	if (frac % 1000000 == 0)
		return arena_printf(a, "%lld.%03llds", sec, frac / 1000000);
	if (frac % 1000 == 0)
		return arena_printf(a, "%lld.%06llds", sec, frac / 1000);
	return arena_printf(a, "%lld.%09llds", sec, frac);
}

/* The key of a parent's owner in g->parents_by_owner. */
static const char *owner_key(struct arena *a, const char *kind, const char *ns, const char *name)
{
	return arena_printf(a, "%s\n%s\n%s", kind, ns, name);
}

/* ---- backends --------------------------------------------------------------- */

static bool service_exists(struct gwapi *g, const char *ns, const char *name)
{
	return gwapi_find(g, GWK_SERVICE, ns, name) != NULL;
}

/* Whether hostname is a host of the registry: a Service's name or a ServiceEntry host. */
static bool hostname_exists(struct gwapi *g, const char *h)
{
	return gwapi_host_obj(g, h) != NULL;
}

/*
 * The destination of a backendRef (buildDestination). Soft errors
 * (RefNotPermitted, BackendNotFound, InvalidKind) are recorded in c and
 * the destination kept; hard ones set c->hard and return NULL.
 */
static struct node *destination(struct gwapi *g, struct gw_obj *route, const struct node *ref,
				bool enforce, struct conv *c)
{
	struct arena *a = &g->arena;
	const char *name = gwapi_str(ref, "name");
	const char *rns = gwapi_str(ref, "namespace");
	const char *group = gwapi_str(ref, "group"), *kind = gwapi_str(ref, "kind");
	const struct node *port = node_get(ref, "port");
	const char *ns = rns ? rns : route->ns;
	if (!name)
		name = "";
	bool xb = gwapi_is_xbackend(group, kind);
	if (enforce && rns && strcmp(rns, route->ns) != 0 &&
	    !(xb ? gwapi_xbackend_granted(g, route->kind_name, route->ns, rns, name) :
	      gwapi_grant_allows(g, route->kind_name, route->ns, "Service", rns, name))) {
		conv_error(g, c, "RefNotPermitted",
			   arena_printf(a, "backendRef %s/%s not accessible to a %s in namespace \"%s\" (missing a ReferenceGrant?)",
					name, rns, route->kind_name, route->ns));
		return onode_map(a);
	}
	const char *g0 = group ? group : "", *k0 = kind ? kind : "Service";
	const char *host = NULL;
	if (*g0 == 0 && strcmp(k0, "Service") == 0) {
		if (strchr(name, '.')) {
			conv_error(g, c, "InvalidDestination",
				   "service name invalid; the name of the Service must be used, not the hostname.");
			c->hard = true;
			return NULL;
		}
		host = arena_printf(a, "%s.%s.svc.%s", name, ns, g->domain);
		if (!service_exists(g, ns, name))
			conv_error(g, c, "BackendNotFound", arena_printf(a, "backend(%s) not found", host));
	} else if (strcmp(g0, "networking.istio.io") == 0 && strcmp(k0, "Hostname") == 0) {
		if (rns) {
			conv_error(g, c, "InvalidDestination", "namespace may not be set with Hostname type");
			c->hard = true;
			return NULL;
		}
		host = name;
		if (!hostname_exists(g, host))
			conv_error(g, c, "BackendNotFound", arena_printf(a, "backend(%s) not found", host));
	} else if (strcmp(g0, "multicluster.x-k8s.io") == 0 && strcmp(k0, "ServiceImport") == 0) {
		host = arena_printf(a, "%s.%s.svc.%s", name, ns, g->domain);
		if (!service_exists(g, ns, name))
			conv_error(g, c, "BackendNotFound", arena_printf(a, "backend(%s) not found", host));
	} else if (xb) {
		long long xport = 0;
		const char *reason, *msg;
		host = gwapi_xbackend_host(g, ns, name, port, &xport, &reason, &msg);
		if (!host) {
			conv_error(g, c, reason, msg);
			return onode_map(a);
		}
		/* The XBackend declares the port; backendRef.port may be left out. */
		struct node *d = onode_map(a);
		onode_set(a, d, "host", onode_str(a, host));
		onode_set(a, onode_child_map(a, d, "port"), "number", onode_int(a, xport));
		return d;
	} else {
		conv_error(g, c, "InvalidKind",
			   arena_printf(a, "referencing unsupported backendRef: group \"%s\" kind \"%s\"",
					group ? group : "", kind ? kind : ""));
		return onode_map(a);
	}
	if (!port || port->type != NODE_INT) {
		conv_error(g, c, "InvalidDestination", "port is required in backendRef");
		c->hard = true;
		return NULL;
	}
	struct node *d = onode_map(a);
	onode_set(a, d, "host", onode_str(a, host));
	onode_set(a, onode_child_map(a, d, "port"), "number", onode_int(a, node_ival(port)));
	return d;
}

static long long weight_of(const struct node *ref)
{
	const struct node *w = node_get(ref, "weight");
	return w && w->type == NODE_INT ? node_ival(w) : 1;
}

static long long weight_sum(const struct node *refs)
{
	long long s = 0;
	for (size_t i = 0; refs && refs->type == NODE_SEQ && i < refs->n; i++)
		s += weight_of(refs->items[i]);
	return s;
}

/* header list -> map, lower-cased names, first wins (headerListToMap). */
static struct node *header_map(struct gwapi *g, const struct node *list)
{
	struct arena *a = &g->arena;
	if (!list || list->type != NODE_SEQ || list->n == 0)
		return NULL;
	struct node *m = onode_map(a);
	for (size_t i = 0; i < list->n; i++) {
		const char *n = gwapi_str(list->items[i], "name");
		const char *v = gwapi_str(list->items[i], "value");
		if (!n)
			continue;
		char *lo = arena_strdup(a, n);
		for (char *p = lo; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		if (!node_get(m, lo))
			onode_set(a, m, lo, onode_str(a, v ? v : ""));
	}
	return m;
}

static struct node *header_ops(struct gwapi *g, const struct node *f)
{
	struct arena *a = &g->arena;
	if (!f || f->type != NODE_MAP)
		return NULL;
	struct node *h = onode_map(a);
	struct node *add = header_map(g, node_get(f, "add"));
	struct node *set = header_map(g, node_get(f, "set"));
	const struct node *rm = node_get(f, "remove");
	if (add)
		onode_set(a, h, "add", add);
	if (rm && rm->type == NODE_SEQ && rm->n)
		onode_set(a, h, "remove", onode_copy(a, rm));
	if (set)
		onode_set(a, h, "set", set);
	return h;
}

/* Route destinations of backendRefs (buildHTTPDestination / buildTCPDestination). */
static struct node *route_dests(struct gwapi *g, struct gw_obj *route, const struct node *refs,
				bool enforce, bool http, struct conv *c)
{
	struct arena *a = &g->arena;
	struct node *out = onode_seq(a);
	size_t nonzero = 0;
	for (size_t i = 0; refs && refs->type == NODE_SEQ && i < refs->n; i++)
		nonzero += weight_of(refs->items[i]) != 0;
	for (size_t i = 0; refs && refs->type == NODE_SEQ && i < refs->n; i++) {
		const struct node *ref = refs->items[i];
		long long w = weight_of(ref);
		if (w == 0)
			continue;
		struct conv one = { 0 };
		struct node *d = destination(g, route, ref, enforce, &one);
		if (one.err_reason)
			conv_error(g, c, one.err_reason, one.err_msg);
		if (one.hard) {
			c->hard = true;
			return NULL;
		}
		/* Istio keeps the host of a backend not found (its proxy has no
		 * cluster for it); the route table needs to know which. */
		const char *host = gwapi_str(d, "host");
		if (one.err_reason && strcmp(one.err_reason, "BackendNotFound") == 0 && host)
			gwapi_note_missing(g, host);
		struct node *rd = onode_push(a, out, onode_map(a));
		onode_set(a, rd, "destination", d);
		if (nonzero > 1)
			onode_set(a, rd, "weight", onode_int(a, w));
		const struct node *fs = http ? node_get(ref, "filters") : NULL;
		for (size_t f = 0; fs && fs->type == NODE_SEQ && f < fs->n; f++) {
			const char *t = gwapi_str(fs->items[f], "type");
			if (t && strcmp(t, "RequestHeaderModifier") == 0) {
				struct node *h = header_ops(g, node_get(fs->items[f], "requestHeaderModifier"));
				if (h)
					onode_set(a, onode_child_map(a, rd, "headers"), "request", h);
			} else if (t && strcmp(t, "ResponseHeaderModifier") == 0) {
				struct node *h = header_ops(g, node_get(fs->items[f], "responseHeaderModifier"));
				if (h)
					onode_set(a, onode_child_map(a, rd, "headers"), "response", h);
			} else {
				conv_error(g, c, "InvalidFilter",
					   arena_printf(a, "unsupported filter type \"%s\"", t ? t : ""));
				c->hard = true;
				return NULL;
			}
		}
	}
	return out;
}

/* ---- HTTP and gRPC rules ---------------------------------------------------- */

static struct node *string_match(struct gwapi *g, const char *type, const char *v)
{
	struct arena *a = &g->arena;
	struct node *m = onode_map(a);
	onode_set(a, m, type, onode_str(a, v ? v : ""));
	return m;
}

/* One match of an HTTPRoute rule (createURIMatch and friends); NULL on a hard error. */
static struct node *http_match(struct gwapi *g, const struct node *m, struct conv *c)
{
	struct arena *a = &g->arena;
	struct node *out = onode_map(a);
	const struct node *path = node_get(m, "path");
	const char *pt = gwapi_str(path, "type"), *pv = gwapi_str(path, "value");
	if (!pt)
		pt = "PathPrefix";
	if (!pv)
		pv = "/";
	if (strcmp(pt, "PathPrefix") == 0) {
		char *v = arena_strdup(a, pv);
		size_t len = strlen(v);
		if (len > 1 && v[len - 1] == '/')
			v[len - 1] = 0;
		onode_set(a, out, "uri", string_match(g, "prefix", v));
	} else if (strcmp(pt, "Exact") == 0) {
		onode_set(a, out, "uri", string_match(g, "exact", pv));
	} else if (strcmp(pt, "RegularExpression") == 0) {
		onode_set(a, out, "uri", string_match(g, "regex", pv));
	} else {
		conv_error(g, c, "InvalidConfiguration",
			   arena_printf(a, "unknown type: \"%s\" is not supported Path match type", pt));
		c->hard = true;
		return NULL;
	}
	static const char *const lists[] = { "headers", "queryParams" };
	for (size_t l = 0; l < 2; l++) {
		const struct node *hs = node_get(m, lists[l]);
		if (!hs || hs->type != NODE_SEQ || hs->n == 0)
			continue;
		struct node *hm = onode_child_map(a, out, lists[l]);
		for (size_t i = 0; i < hs->n; i++) {
			const char *t = gwapi_str(hs->items[i], "type");
			const char *n = gwapi_str(hs->items[i], "name");
			const char *v = gwapi_str(hs->items[i], "value");
			if (!n)
				continue;
			if (!t || strcmp(t, "Exact") == 0)
				onode_set(a, hm, n, string_match(g, "exact", v));
			else if (strcmp(t, "RegularExpression") == 0)
				onode_set(a, hm, n, string_match(g, "regex", v));
			else {
				conv_error(g, c, "InvalidConfiguration",
					   arena_printf(a, "unknown type: \"%s\" is not supported %s type", t,
							l ? "QueryParams" : "HeaderMatch"));
				c->hard = true;
				return NULL;
			}
		}
	}
	const char *method = gwapi_str(m, "method");
	if (method)
		onode_set(a, out, "method", string_match(g, "exact", method));
	return out;
}

/* A gRPC match: method -> uri, headers. */
static struct node *grpc_match(struct gwapi *g, const struct node *m, struct conv *c)
{
	struct arena *a = &g->arena;
	struct node *out = onode_map(a);
	const struct node *mm = node_get(m, "method");
	if (mm) {
		const char *t = gwapi_str(mm, "type");
		const char *svc = gwapi_str(mm, "service"), *meth = gwapi_str(mm, "method");
		bool regex = t && strcmp(t, "RegularExpression") == 0;
		if (!svc && !meth) {
			conv_error(g, c, "InvalidConfiguration", "gRPC match must have method or service defined");
			c->hard = true;
			return NULL;
		}
		if (!meth)
			onode_set(a, out, "uri", regex ?
				  string_match(g, "regex", arena_printf(a, "/%s/.+", svc)) :
				  string_match(g, "prefix", arena_printf(a, "/%s/", svc)));
		else if (!svc)
			onode_set(a, out, "uri", string_match(g, "regex", arena_printf(a, "/[^/]+/%s", meth)));
		else
			onode_set(a, out, "uri", string_match(g, regex ? "regex" : "exact",
							      arena_printf(a, "/%s/%s", svc, meth)));
	}
	const struct node *hs = node_get(m, "headers");
	if (hs && hs->type == NODE_SEQ && hs->n) {
		struct node *hm = onode_child_map(a, out, "headers");
		for (size_t i = 0; i < hs->n; i++) {
			const char *t = gwapi_str(hs->items[i], "type");
			const char *n = gwapi_str(hs->items[i], "name");
			const char *v = gwapi_str(hs->items[i], "value");
			if (n)
				onode_set(a, hm, n, string_match(g, t && strcmp(t, "RegularExpression") == 0 ?
								 "regex" : "exact", v));
		}
	}
	return out;
}

/* allowOrigins: exact, or a regex for wildcards (createCorsFilter). */
static struct node *cors_origin(struct gwapi *g, const char *o)
{
	struct arena *a = &g->arena;
	if (!strchr(o, '*'))
		return string_match(g, "exact", o);
	if (strcmp(o, "*") == 0)
		return string_match(g, "regex", "^[a-zA-Z][a-zA-Z0-9+.-]*://[^/\\s?#]+$");
	char *r = arena_alloc(a, strlen(o) * 2 + 3);
	size_t n = 0;
	r[n++] = '^';
	for (const char *p = o; *p; p++) {
		if (*p == '*') {
			r[n++] = '.';
			r[n++] = '*';
		} else {
			if (strchr("\\.+?()|[]{}^$", *p))
				r[n++] = '\\';
			r[n++] = *p;
		}
	}
	r[n++] = '$';
	r[n] = 0;
	return string_match(g, "regex", r);
}

static struct node *cors(struct gwapi *g, const struct node *f)
{
	struct arena *a = &g->arena;
	struct node *out = onode_map(a);
	const struct node *o = node_get(f, "allowOrigins");
	for (size_t i = 0; o && o->type == NODE_SEQ && i < o->n; i++)
		if (o->items[i]->text && *o->items[i]->text)
			onode_push(a, onode_child_seq(a, out, "allowOrigins"),
				   cors_origin(g, o->items[i]->text));
	const struct node *cred = node_get(f, "allowCredentials");
	if (cred && cred->type == NODE_BOOL && cred->bval)
		onode_set(a, out, "allowCredentials", onode_bool(a, true));
	static const char *const lists[] = { "allowMethods", "allowHeaders", "exposeHeaders" };
	for (size_t l = 0; l < 3; l++) {
		const struct node *v = node_get(f, lists[l]);
		if (v && v->type == NODE_SEQ && v->n)
			onode_set(a, out, lists[l], onode_copy(a, v));
	}
	const struct node *age = node_get(f, "maxAge");
	if (age && age->type == NODE_INT && node_ival(age) > 0)
		onode_set(a, out, "maxAge", onode_str(a, arena_printf(a, "%llds", node_ival(age))));
	onode_set(a, out, "unmatchedPreflights", onode_str(a, "IGNORE"));
	return out;
}

static struct node *redirect(struct gwapi *g, const struct node *f)
{
	struct arena *a = &g->arena;
	struct node *out = onode_map(a);
	const struct node *code = node_get(f, "statusCode");
	if (code && code->type == NODE_INT)
		onode_set(a, out, "redirectCode", onode_int(a, node_ival(code)));
	const char *host = gwapi_str(f, "hostname"), *scheme = gwapi_str(f, "scheme");
	if (host)
		onode_set(a, out, "authority", onode_str(a, host));
	if (scheme)
		onode_set(a, out, "scheme", onode_str(a, scheme));
	const struct node *port = node_get(f, "port");
	if (port && port->type == NODE_INT)
		onode_set(a, out, "port", onode_int(a, node_ival(port)));
	else
		onode_set(a, out, "derivePort", onode_str(a, scheme ? "FROM_PROTOCOL_DEFAULT" :
							  "FROM_REQUEST_PORT"));
	const struct node *path = node_get(f, "path");
	const char *pt = gwapi_str(path, "type");
	if (pt && strcmp(pt, "ReplaceFullPath") == 0)
		onode_set(a, out, "uri", onode_str(a, gwapi_str(path, "replaceFullPath")));
	else if (pt && strcmp(pt, "ReplacePrefixMatch") == 0) {
		/* createRedirectFilter as of the corpus's Istio commit:
		 * HTTPRedirect.prefixRewrite, no longer a "%PREFIX()%" uri. */
		const char *v = gwapi_str(path, "replacePrefixMatch");
		onode_set(a, out, "prefixRewrite", onode_str(a, v ? v : ""));
	}
	return out;
}

static struct node *rewrite(struct gwapi *g, const struct node *f)
{
	struct arena *a = &g->arena;
	struct node *out = onode_map(a);
	const struct node *path = node_get(f, "path");
	const char *pt = gwapi_str(path, "type");
	if (pt && strcmp(pt, "ReplacePrefixMatch") == 0) {
		const char *v = gwapi_str(path, "replacePrefixMatch");
		char *u = arena_strdup(a, v ? v : "");
		size_t len = strlen(u);
		if (len && u[len - 1] == '/')
			u[len - 1] = 0;
		onode_set(a, out, "uri", onode_str(a, *u ? u : "/"));
	} else if (pt && strcmp(pt, "ReplaceFullPath") == 0) {
		struct node *rr = onode_child_map(a, out, "uriRegexRewrite");
		onode_set(a, rr, "match", onode_str(a, "/.*"));
		onode_set(a, rr, "rewrite", onode_str(a, gwapi_str(path, "replaceFullPath")));
	}
	const char *host = gwapi_str(f, "hostname");
	if (host)
		onode_set(a, out, "authority", onode_str(a, host));
	return out->n ? out : NULL;
}

static struct node *mirror(struct gwapi *g, struct gw_obj *route, const struct node *f,
			   bool enforce, struct conv *c, struct conv *mc)
{
	struct arena *a = &g->arena;
	struct conv one = { 0 };
	struct node *d = destination(g, route, node_get(f, "backendRef"), enforce, &one);
	if (one.hard) {
		c->hard = true;
		conv_error(g, c, one.err_reason, one.err_msg);
		return NULL;
	}
	if (one.err_reason) {
		/* createMirrorFilter failed: no mirror, the error is kept. */
		conv_error(g, mc, one.err_reason, one.err_msg);
		return NULL;
	}
	struct node *m = onode_map(a);
	onode_set(a, m, "destination", d);
	const struct node *frac = node_get(f, "fraction"), *pct = node_get(f, "percent");
	if (frac) {
		const struct node *num = node_get(frac, "numerator"), *den = node_get(frac, "denominator");
		double n = num && num->type == NODE_INT ? (double)node_ival(num) : 0;
		double dd = den && den->type == NODE_INT ? (double)node_ival(den) : 100;
		onode_set(a, onode_child_map(a, m, "percentage"), "value", onode_num(a, 100 * n / dd));
	} else if (pct && pct->type == NODE_INT) {
		onode_set(a, onode_child_map(a, m, "percentage"), "value", onode_num(a, (double)node_ival(pct)));
	}
	return m;
}

/* One HTTPRoute or GRPCRoute rule with at most one match: an Istio HTTP route. */
static struct node *http_rule(struct gwapi *g, struct gw_obj *route, const struct node *rule,
			      const struct node *match, size_t pos, bool enforce, bool grpc,
			      struct conv *c)
{
	struct arena *a = &g->arena;
	struct node *r = onode_map(a);
	const char *rname = gwapi_str(rule, "name");
	onode_set(a, r, "name", onode_str(a, rname ? rname :
					 arena_printf(a, "%s.%s.%zu", route->ns, route->name, pos)));
	if (match) {
		struct node *m = grpc ? grpc_match(g, match, c) : http_match(g, match, c);
		if (!m)
			return NULL;
		onode_push(a, onode_child_seq(a, r, "match"), m);
	}
	struct conv mc = { 0 };
	const struct node *fs = node_get(rule, "filters");
	bool has_redirect = false;
	for (size_t i = 0; fs && fs->type == NODE_SEQ && i < fs->n; i++) {
		const struct node *f = fs->items[i];
		const char *t = gwapi_str(f, "type");
		if (t && strcmp(t, "RequestHeaderModifier") == 0) {
			struct node *h = header_ops(g, node_get(f, "requestHeaderModifier"));
			if (h)
				onode_set(a, onode_child_map(a, r, "headers"), "request", h);
		} else if (t && strcmp(t, "ResponseHeaderModifier") == 0) {
			struct node *h = header_ops(g, node_get(f, "responseHeaderModifier"));
			if (h)
				onode_set(a, onode_child_map(a, r, "headers"), "response", h);
		} else if (t && !grpc && strcmp(t, "RequestRedirect") == 0) {
			onode_set(a, r, "redirect", redirect(g, node_get(f, "requestRedirect")));
			has_redirect = true;
		} else if (t && strcmp(t, "RequestMirror") == 0) {
			struct node *m = mirror(g, route, node_get(f, "requestMirror"), enforce, c, &mc);
			if (c->hard)
				return NULL;
			if (!m && grpc) {
				/* convertGRPCRoute: a mirror error is a hard one. */
				conv_error(g, c, mc.err_reason, mc.err_msg);
				c->hard = true;
				return NULL;
			}
			if (m)
				onode_push(a, onode_child_seq(a, r, "mirrors"), m);
		} else if (t && !grpc && strcmp(t, "URLRewrite") == 0) {
			struct node *rw = rewrite(g, node_get(f, "urlRewrite"));
			if (rw)
				onode_set(a, r, "rewrite", rw);
		} else if (t && !grpc && strcmp(t, "CORS") == 0) {
			onode_set(a, r, "corsPolicy", cors(g, node_get(f, "cors")));
		} else {
			conv_error(g, c, "InvalidFilter",
				   arena_printf(a, "unsupported filter type \"%s\"", t ? t : ""));
			c->hard = true;
			return NULL;
		}
	}
	const struct node *retry = grpc ? NULL : node_get(rule, "retry");
	struct node *retries = NULL;
	if (retry && retry->type == NODE_MAP) {
		retries = onode_set(a, r, "retries", onode_map(a));
		const struct node *att = node_get(retry, "attempts");
		long long n = att && att->type == NODE_INT ? node_ival(att) : 2;
		onode_set(a, retries, "attempts", onode_int(a, n));
		if (n) {
			char *on = "connect-failure,refused-stream,unavailable,cancelled";
			const struct node *codes = node_get(retry, "codes");
			for (size_t i = 0; codes && codes->type == NODE_SEQ && i < codes->n; i++)
				on = arena_printf(a, "%s,%s", on, codes->items[i]->text);
			onode_set(a, retries, "retryOn", onode_str(a, on));
		}
		const char *bo = pb_duration(a, gwapi_str(retry, "backoff"));
		if (bo)
			onode_set(a, retries, "backoff", onode_str(a, bo));
	}
	const struct node *to = grpc ? NULL : node_get(rule, "timeouts");
	if (to) {
		const char *req = pb_duration(a, gwapi_str(to, "request"));
		const char *be = pb_duration(a, gwapi_str(to, "backendRequest"));
		if (req)
			onode_set(a, r, "timeout", onode_str(a, req));
		if (be) {
			if (retries)
				onode_set(a, retries, "perTryTimeout", onode_str(a, be));
			else
				onode_set(a, r, "timeout", onode_str(a, be));
		}
	}
	const struct node *refs = node_get(rule, "backendRefs");
	struct conv bc = { 0 };
	if (weight_sum(refs) == 0 && !has_redirect) {
		onode_set(a, onode_child_map(a, r, "directResponse"), "status", onode_int(a, 500));
		conv_join(g, c, &bc, &mc);
		return r;
	}
	if (refs && refs->type == NODE_SEQ) {
		struct node *d = route_dests(g, route, refs, enforce, true, &bc);
		if (bc.hard) {
			conv_error(g, c, bc.err_reason, bc.err_msg);
			c->hard = true;
			free(bc.routes);
			return NULL;
		}
		if (d->n)
			onode_set(a, r, "route", d);
	}
	conv_join(g, c, &bc, &mc);
	return r;
}

/* Every rule of an HTTPRoute or GRPCRoute, split to one match each. */
static void convert_http(struct gwapi *g, struct gw_obj *route, bool enforce, bool grpc,
			 struct conv *c)
{
	const struct node *rules = node_get(route->spec, "rules");
	for (size_t i = 0; rules && rules->type == NODE_SEQ && i < rules->n; i++) {
		const struct node *rule = rules->items[i];
		const struct node *ms = node_get(rule, "matches");
		size_t nm = ms && ms->type == NODE_SEQ ? ms->n : 0;
		for (size_t m = 0; m < (nm ? nm : 1); m++) {
			struct node *r = http_rule(g, route, rule, nm ? ms->items[m] : NULL, i,
						   enforce, grpc, c);
			if (c->hard) {
				c->n = 0;
				return;
			}
			conv_push(c, r);
		}
	}
}

/* Every rule of a TCPRoute or TLSRoute. */
static void convert_l4(struct gwapi *g, struct gw_obj *route, bool enforce, bool tls,
		       struct conv *c)
{
	struct arena *a = &g->arena;
	const struct node *rules = node_get(route->spec, "rules");
	for (size_t i = 0; rules && rules->type == NODE_SEQ && i < rules->n; i++) {
		const struct node *refs = node_get(rules->items[i], "backendRefs");
		struct node *r = onode_map(a);
		if (weight_sum(refs) == 0) {
			struct node *rd = onode_push(a, onode_child_seq(a, r, "route"), onode_map(a));
			struct node *d = onode_child_map(a, rd, "destination");
			onode_set(a, d, "host", onode_str(a, "internal.cluster.local"));
			onode_set(a, d, "subset", onode_str(a, "zero-weight"));
			onode_set(a, onode_child_map(a, d, "port"), "number", onode_int(a, 65535));
			conv_push(c, r);
			continue;
		}
		struct node *d = route_dests(g, route, refs, enforce, false, c);
		if (c->hard) {
			c->n = 0;
			return;
		}
		if (tls) {
			struct node *m = onode_push(a, onode_child_seq(a, r, "match"), onode_map(a));
			struct node *sni = onode_child_seq(a, m, "sniHosts");
			const struct node *hs = node_get(route->spec, "hostnames");
			if (hs && hs->type == NODE_SEQ && hs->n)
				for (size_t h = 0; h < hs->n; h++)
					onode_push(a, sni, onode_str(a, hs->items[h]->text));
			else
				onode_push(a, sni, onode_str(a, "*"));
		}
		onode_set(a, r, "route", d);
		conv_push(c, r);
	}
}

/* ---- parents ---------------------------------------------------------------- */

static struct gw_parent mesh_parent = {
	.internal_name = "mesh", .mesh = true,
	.kinds = (const char *[]){ "HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute" },
	.nkinds = 4, .orig_hostname = "",
};

static bool waypoint_label(const struct node *labels)
{
	const char *v = gwapi_str(labels, "istio.io/use-waypoint");
	return v && *v && strcasecmp(v, "none") != 0;
}

/* referenceAllowed: why the route may not attach to parent p (NULL: it may). */
static void reference_allowed(struct gwapi *g, struct gw_obj *route, struct rparent *rp)
{
	struct arena *a = &g->arena;
	struct gw_parent *p = rp->p;
	if (rp->mesh) {
		bool se = strcmp(rp->ref_kind, "ServiceEntry") == 0;
		struct gw_obj *t = gwapi_find(g, se ? GWK_SERVICE_ENTRY : GWK_SERVICE,
					      rp->ref_ns, rp->ref_name);
		if (!t) {
			rp->deny_reason = "NoMatchingParent";
			rp->deny_msg = arena_printf(a, se ? "parent service entry: \"%s\" not found" :
						    "parent service: \"%s\" not found", rp->ref_name);
			rp->waypoint_msg = "parent not found";
			return;
		}
		if (!waypoint_label(t->labels)) {
			struct gw_obj *ns = gwapi_find(g, GWK_NAMESPACE, NULL, rp->ref_ns);
			if (ns && !waypoint_label(ns->labels))
				rp->waypoint_msg = "istio.io/use-waypoint label missing from parent and parent namespace; "
						   "in ambient mode, route will not be respected";
		}
	} else {
		const char *section = gwapi_str(rp->ref, "sectionName");
		if (rp->ref_port && rp->ref_port != p->port) {
			rp->deny_reason = "NoMatchingParent";
			rp->deny_msg = arena_printf(a, "port %lld not found", rp->ref_port);
			return;
		}
		if (section && *section && strcmp(section, p->section) != 0) {
			rp->deny_reason = "NoMatchingParent";
			rp->deny_msg = arena_printf(a, "sectionName \"%s\" not found", section);
			return;
		}
		const struct node *hs = node_get(route->spec, "hostnames");
		size_t nh = hs && hs->type == NODE_SEQ && hs->n ? hs->n : 0;
		if (p->nhostnames) {
			bool matched = false, host_matched = false;
			for (size_t i = 0; i < (nh ? nh : 1) && !matched; i++) {
				const char *rh = nh ? hs->items[i]->text : "*";
				if (!rh)
					continue;
				for (size_t j = 0; j < p->nhostnames; j++) {
					const char *ph = p->hostnames[j], *sl = strchr(ph, '/');
					const char *pns = "*";
					if (sl) {
						pns = arena_strndup(a, ph, (size_t)(sl - ph));
						ph = sl + 1;
					}
					bool hm = gwapi_host_matches(ph, rh);
					bool nm = strcmp(pns, "*") == 0 || strcmp(pns, route->ns) == 0;
					host_matched |= hm;
					if (hm && nm) {
						matched = true;
						break;
					}
				}
			}
			if (!matched) {
				rp->deny_reason = host_matched ? "NotAllowedByListeners" : "NoMatchingListenerHostname";
				rp->deny_msg = host_matched ?
					arena_printf(a, "hostnames matched parent hostname \"%s\", but namespace \"%s\" is not allowed by the parent",
						     p->orig_hostname, route->ns) :
					arena_printf(a, "no hostnames matched parent hostname \"%s\"", p->orig_hostname);
				return;
			}
		}
	}
	for (size_t i = 0; i < p->nkinds; i++)
		if (strcmp(p->kinds[i], route->kind_name) == 0)
			return;
	rp->deny_reason = "NotAllowedByListeners";
	rp->deny_msg = arena_printf(a, "kind %s/%s is not allowed", GROUP, route->kind_name);
}

/* Istio's parentRefString: group/kind/name/section/port.namespace. */
static char *ref_string(struct arena *a, const struct node *ref, const char *route_ns)
{
	const char *group = gwapi_str(ref, "group"), *kind = gwapi_str(ref, "kind");
	const char *section = gwapi_str(ref, "sectionName"), *ns = gwapi_str(ref, "namespace");
	const struct node *port = node_get(ref, "port");
	return arena_printf(a, "%s/%s/%s/%s/%lld.%s", group ? group : GROUP, kind ? kind : "Gateway",
			    gwapi_str(ref, "name") ? gwapi_str(ref, "name") : "",
			    section ? section : "", port && port->type == NODE_INT ? node_ival(port) : 0,
			    ns ? ns : route_ns);
}

static int rparent_cmp(const void *x, const void *y)
{
	const struct rparent *a = x, *b = y;
	return strcmp(a->refkey, b->refkey);
}

/* extractParentReferenceInfo: every (parentRef, listener) pair, sorted by reference. */
static size_t resolve_parents(struct gwapi *g, struct gw_obj *route, struct rparent **out)
{
	struct arena *a = &g->arena;
	const struct node *refs = node_get(route->spec, "parentRefs");
	size_t cap = 8, n = 0;
	struct rparent *v = xmalloc(cap * sizeof(*v));
	for (size_t i = 0; refs && refs->type == NODE_SEQ && i < refs->n; i++) {
		const struct node *ref = refs->items[i];
		const char *group = gwapi_str(ref, "group"), *kind = gwapi_str(ref, "kind");
		const char *ns = gwapi_str(ref, "namespace"), *name = gwapi_str(ref, "name");
		const struct node *port = node_get(ref, "port");
		const char *gk = group ? group : GROUP, *kk = kind ? kind : "Gateway";
		bool gw = strcmp(gk, GROUP) == 0 && strcmp(kk, "Gateway") == 0;
		bool ls = strcmp(gk, GROUP) == 0 && strcmp(kk, "ListenerSet") == 0;
		bool svc = *gk == 0 && strcmp(kk, "Service") == 0;
		bool se = strcmp(gk, "networking.istio.io") == 0 && strcmp(kk, "ServiceEntry") == 0;
		if (!gw && !ls && !svc && !se)
			continue;   /* another controller's parent: ignored */
		if (!ns)
			ns = route->ns;
		struct gw_parent *mesh_one[1] = { &mesh_parent };
		struct gw_parent *const *cands = mesh_one;
		size_t nc = 1;
		if ((svc || se) && gwapi_foreign_waypoint(g, se, ns, name))
			continue;   /* another controller's waypoint serves it */
		if (!svc && !se) {
			const struct gw_parents *l = name ? xref_map_get(g->parents_by_owner,
				owner_key(a, gw ? "Gateway" : "ListenerSet", ns, name)) : NULL;
			cands = l ? l->v : NULL;
			nc = l ? l->n : 0;
		}
		for (size_t c = 0; c < nc; c++) {
			if (n == cap) {
				cap *= 2;
				v = xrealloc(v, cap * sizeof(*v));
			}
			struct rparent *rp = &v[n++];
			memset(rp, 0, sizeof(*rp));
			rp->p = cands[c];
			rp->ref = ref;
			rp->mesh = svc || se;
			rp->ref_ns = ns;
			rp->ref_name = name ? name : "";
			rp->ref_kind = kk;
			rp->ref_port = port && port->type == NODE_INT ? node_ival(port) : 0;
			rp->refkey = ref_string(a, ref, route->ns);
			rp->banned = arena_alloc(a, (nc + 1) * sizeof(*rp->banned));
			for (size_t o = 0; o < nc && !rp->mesh; o++) {
				struct gw_parent *x = cands[o];
				if (x == cands[c] || x->port != cands[c]->port ||
				    strcmp(x->protocol, cands[c]->protocol) != 0 ||
				    strcmp(x->orig_hostname, cands[c]->orig_hostname) == 0)
					continue;
				rp->banned[rp->nbanned++] = x->orig_hostname;
			}
			reference_allowed(g, route, rp);
		}
	}
	qsort(v, n, sizeof(*v), rparent_cmp);
	*out = v;
	return n;
}

/* hostnameAllowedByIsolation: a more specific listener on the same port takes the host. */
static bool allowed_by_isolation(const struct rparent *rp, const char *host)
{
	const char *ours = rp->p->orig_hostname;
	if (*ours && ours[0] != '*')
		return true;
	if (*ours && !gwapi_host_matches(host, ours))
		return false;
	for (size_t i = 0; i < rp->nbanned; i++) {
		const char *chk = rp->banned[i];
		if (strlen(ours) > strlen(chk))
			continue;
		if (gwapi_host_subset(host, chk))
			return false;
	}
	return true;
}

/* ---- status ----------------------------------------------------------------- */

static int reason_rank(const char *r)
{
	if (!r)
		return 0;
	if (strcmp(r, "NotAllowedByListeners") == 0)
		return 1;
	if (strcmp(r, "NoMatchingListenerHostname") == 0)
		return 2;
	if (strcmp(r, "ParentRefConflict") == 0)
		return 3;
	return 4;
}

/* createRouteStatus: one entry per parentRef, the best reason over its listeners. */
static void route_status(struct gwapi *g, struct gw_obj *route, struct rparent *rps, size_t n,
			 const struct conv *gwc, const struct conv *meshc)
{
	struct arena *a = &g->arena;
	route->status = onode_map(a);
	struct node *parents = onode_child_seq(a, route->status, "parents");
	/* Other controllers' entries stay, first (createRouteStatus). */
	const struct node *old = node_get(node_get(route->root, "status"), "parents");
	for (size_t i = 0; old && old->type == NODE_SEQ && i < old->n; i++) {
		const char *ctl = gwapi_str(old->items[i], "controllerName");
		if (!ctl || strcmp(ctl, "istio.io/gateway-controller") != 0)
			onode_push(a, parents, onode_copy(a, old->items[i]));
	}
	/* Entries sorted by reference string, descending, as Istio sorts them. */
	for (size_t i = n; i-- > 0;) {
		if (i + 1 < n && strcmp(rps[i].refkey, rps[i + 1].refkey) == 0)
			continue;
		size_t first = i;
		while (first > 0 && strcmp(rps[first - 1].refkey, rps[i].refkey) == 0)
			first--;
		const struct rparent *pick = NULL;
		char *msg = NULL;
		unsigned ok = 0;
		int best = 5;
		for (size_t k = first; k <= i; k++)
			if (reason_rank(rps[k].deny_reason) < best)
				best = reason_rank(rps[k].deny_reason);
		for (size_t k = first; k <= i; k++) {
			ok += rps[k].deny_reason == NULL;
			if (reason_rank(rps[k].deny_reason) != best)
				continue;
			if (!pick) {
				pick = &rps[k];
				msg = (char *)rps[k].deny_msg;
			} else if (rps[k].deny_msg) {
				msg = arena_printf(a, "%s; %s", msg, rps[k].deny_msg);
			}
		}
		if (!pick)
			continue;
		struct node *e = onode_push(a, parents, onode_map(a));
		onode_set(a, e, "parentRef", onode_copy(a, pick->ref));
		onode_set(a, e, "controllerName", onode_str(a, "istio.io/gateway-controller"));
		struct node *conds = onode_child_seq(a, e, "conditions");
		/* Our earlier entry for this reference: its other conditions stay. */
		for (size_t k = 0; old && old->type == NODE_SEQ && k < old->n; k++) {
			const char *ctl = gwapi_str(old->items[k], "controllerName");
			const struct node *oc = node_get(old->items[k], "conditions");
			if (ctl && strcmp(ctl, "istio.io/gateway-controller") == 0 && oc &&
			    oc->type == NODE_SEQ &&
			    strcmp(ref_string(a, node_get(old->items[k], "parentRef"), route->ns),
				   pick->refkey) == 0)
				for (size_t c = 0; c < oc->n; c++)
					onode_push(a, conds, onode_copy(a, oc->items[c]));
		}
		char *pname = arena_printf(a, "%s %s/%s", pick->ref_kind, pick->ref_ns, pick->ref_name);
		if (pick->deny_reason) {
			gwapi_condition(g, conds, "Accepted", false, pick->deny_reason, msg);
			gwapi_issue(g, route, pick->ref, "Accepted", pick->deny_reason, msg, pname);
		} else {
			gwapi_condition(g, conds, "Accepted", true, "Accepted", ok > 1 ?
					arena_printf(a, "Route was valid, bound to %u parents", ok) :
					"Route was valid");
		}
		const struct conv *c = pick->mesh ? meshc : gwc;
		if (c && c->err_reason) {
			gwapi_condition(g, conds, "ResolvedRefs", false, c->err_reason, c->err_msg);
			gwapi_issue(g, route, NULL, "ResolvedRefs", c->err_reason, c->err_msg, pname);
		} else {
			gwapi_condition(g, conds, "ResolvedRefs", true, "ResolvedRefs", "All references resolved");
		}
	}
}

/* ---- VirtualServices -------------------------------------------------------- */

static struct gw_out *new_vs(struct gwapi *g, struct gw_obj *route, const char *name,
			     const char *host, const char *gateway, const char *section,
			     struct node *routes)
{
	struct arena *a = &g->arena;
	struct gw_out *out = gwapi_add_out(g);
	out->kind = "VirtualService";
	out->ns = route->ns;
	out->name = name;
	out->from = route;
	out->created = route->created;
	struct node *doc = onode_map(a);
	out->doc = doc;
	onode_set(a, doc, "apiVersion", onode_str(a, "networking.istio.io/v1"));
	onode_set(a, doc, "kind", onode_str(a, "VirtualService"));
	struct node *meta = onode_child_map(a, doc, "metadata");
	struct node *ann = onode_child_map(a, meta, "annotations");
	onode_set(a, ann, "internal.istio.io/parents",
		  onode_str(a, arena_printf(a, "%s/%s.%s", route->kind_name, route->name, route->ns)));
	onode_set(a, ann, "internal.istio.io/route-semantics", onode_str(a, "gateway"));
	onode_set(a, meta, "name", onode_str(a, name));
	onode_set(a, meta, "namespace", onode_str(a, route->ns));
	struct node *spec = onode_child_map(a, doc, "spec");
	onode_push(a, onode_child_seq(a, spec, "gateways"), onode_str(a, gateway));
	onode_push(a, onode_child_seq(a, spec, "hosts"), onode_str(a, host));
	onode_set(a, spec, section, routes);
	return out;
}

/* A copy of routes with the port added to every match (augmentPortMatch). */
static struct node *with_port(struct gwapi *g, struct node **routes, size_t n, long long port,
			      bool tls, const char **sni, size_t nsni)
{
	struct arena *a = &g->arena;
	struct node *seq = onode_seq(a);
	for (size_t i = 0; i < n; i++) {
		struct node *r = onode_push(a, seq, onode_copy(a, routes[i]));
		struct node *ms = (struct node *)node_get(r, "match");
		if (tls && ms && ms->n == 1) {
			const struct node *s = node_get(ms->items[0], "sniHosts");
			if (s && s->n == 1 && strcmp(s->items[0]->text, "*") == 0) {
				struct node *ns = onode_seq(a);
				for (size_t k = 0; k < nsni; k++)
					onode_push(a, ns, onode_str(a, sni[k]));
				onode_set(a, ms->items[0], "sniHosts", ns);
			}
		}
		if (!port)
			continue;
		if (!ms || ms->n == 0) {
			ms = onode_set(a, r, "match", onode_seq(a));
			onode_push(a, ms, onode_map(a));
		}
		for (size_t m = 0; m < ms->n; m++)
			onode_set(a, ms->items[m], "port", onode_int(a, port));
	}
	return seq;
}

static struct node *route_seq(struct gwapi *g, struct node **routes, size_t n)
{
	struct node *seq = onode_seq(&g->arena);
	for (size_t i = 0; i < n; i++)
		onode_push(&g->arena, seq, onode_copy(&g->arena, routes[i]));
	return seq;
}

static void route_vs(struct gwapi *g, struct gw_obj *route, struct rparent *rps, size_t n,
		     const struct conv *gwc, const struct conv *meshc)
{
	struct arena *a = &g->arena;
	bool http = route->kind == GWK_HTTP_ROUTE || route->kind == GWK_GRPC_ROUTE;
	bool tls = route->kind == GWK_TLS_ROUTE;
	/* filteredReferences: accepted ones, by internal name (stable). */
	struct rparent **acc = xmalloc((n + 1) * sizeof(*acc));
	size_t na = 0;
	for (size_t i = 0; i < n; i++)
		if (!rps[i].deny_reason)
			acc[na++] = &rps[i];
	for (size_t i = 1; i < na; i++)
		for (size_t j = i; j > 0 && strcmp(acc[j - 1]->p->internal_name,
						   acc[j]->p->internal_name) > 0; j--) {
			struct rparent *t = acc[j];
			acc[j] = acc[j - 1];
			acc[j - 1] = t;
		}
	const struct node *hs = node_get(route->spec, "hostnames");
	size_t count = 0;
	for (size_t i = 0; i < na; i++) {
		struct rparent *rp = acc[i];
		const struct conv *c = rp->mesh ? meshc : gwc;
		const char **hosts;
		size_t nh = 0;
		const char *key = rp->p->internal_name;
		long long port = rp->mesh ? rp->ref_port : 0;
		if (rp->mesh) {
			key = route->ns;
			if (port && http)
				key = arena_printf(a, "%s/%lld", key, port);
			if (strcmp(rp->ref_kind, "ServiceEntry") == 0) {
				struct gw_obj *se = gwapi_find(g, GWK_SERVICE_ENTRY, rp->ref_ns, rp->ref_name);
				const struct node *sh = se ? node_get(se->spec, "hosts") : NULL;
				size_t m = sh && sh->type == NODE_SEQ ? sh->n : 0;
				hosts = arena_alloc(a, (m + 1) * sizeof(*hosts));
				for (size_t k = 0; k < m; k++)
					if (sh->items[k]->text)
						hosts[nh++] = sh->items[k]->text;
			} else {
				hosts = arena_alloc(a, sizeof(*hosts));
				hosts[nh++] = arena_printf(a, "%s.%s.svc.%s", rp->ref_name, rp->ref_ns, g->domain);
			}
		} else if (route->kind == GWK_TCP_ROUTE) {
			hosts = arena_alloc(a, sizeof(*hosts));
			hosts[nh++] = "*";
		} else {
			size_t m = hs && hs->type == NODE_SEQ ? hs->n : 0;
			hosts = arena_alloc(a, (m + 1) * sizeof(*hosts));
			for (size_t k = 0; k < m; k++)
				if (hs->items[k]->text)
					hosts[nh++] = hs->items[k]->text;
			if (!m)
				hosts[nh++] = "*";
		}
		if (http && c->n == 0)
			continue;
		for (size_t h = 0; h < nh; h++) {
			if (http && !rp->mesh && !allowed_by_isolation(rp, hosts[h]))
				continue;
			struct node *routes = rp->mesh && (port || tls) ?
				with_port(g, c->routes, c->n, port, tls, hosts, nh) :
				route_seq(g, c->routes, c->n);
			const char *section = http ? "http" : tls ? "tls" : "tcp";
			const char *name;
			if (http) {
				name = arena_printf(a, "%s/%s", key, hosts[h]);
			} else {
				name = arena_printf(a, "%s~%s~%zu~istio-autogenerated-k8s-gateway",
						    route->name, tls ? "tls" : "tcp", count);
			}
			if (tls && rp->mesh) {
				/* compatibleRoutesForHost: keep the SNI hosts this host matches. */
				for (size_t r = 0; r < routes->n; r++) {
					struct node *ms = (struct node *)node_get(routes->items[r], "match");
					if (!ms || ms->n != 1)
						continue;
					struct node *sni = (struct node *)node_get(ms->items[0], "sniHosts");
					if (!sni || sni->n <= 1)
						continue;
					struct node *keep = onode_seq(a);
					for (size_t s = 0; s < sni->n; s++)
						if (gwapi_host_matches(hosts[h], sni->items[s]->text))
							onode_push(a, keep, onode_str(a, sni->items[s]->text));
					onode_set(a, ms->items[0], "sniHosts", keep);
				}
			}
			struct gw_out *o = new_vs(g, route, name, hosts[h],
						  rp->mesh ? "mesh" : rp->p->internal_name, section, routes);
			if (http)
				o->key = name;
			count++;
		}
	}
	free(acc);
}

/* ---- merging HTTP VirtualServices ------------------------------------------ */

static int uri_rank(const struct node *m, size_t *len)
{
	const struct node *u = node_get(m, "uri");
	*len = 0;
	if (!u)
		return -1;
	const char *v;
	if ((v = gwapi_str(u, "exact"))) {
		*len = strlen(v);
		return 3;
	}
	if ((v = gwapi_str(u, "prefix"))) {
		*len = strlen(v);
		return 2;
	}
	if ((v = gwapi_str(u, "regex"))) {
		*len = strlen(v);
		return 1;
	}
	return -1;
}

/* sortHTTPRoutes: whether route a goes before route b. */
static bool route_before(const struct node *a, const struct node *b)
{
	const struct node *ma = node_get(a, "match"), *mb = node_get(b, "match");
	if (!ma || ma->n == 0)
		return false;
	if (!mb || mb->n == 0)
		return true;
	const struct node *m1 = ma->items[0], *m2 = mb->items[0];
	size_t l1, l2;
	int r1 = uri_rank(m1, &l1), r2 = uri_rank(m2, &l2);
	if (r1 != r2)
		return r1 > r2;
	if (l1 != l2)
		return l1 > l2;
	bool me1 = node_get(m1, "method") != NULL, me2 = node_get(m2, "method") != NULL;
	if (me1 != me2)
		return me1;
	const struct node *h1 = node_get(m1, "headers"), *h2 = node_get(m2, "headers");
	size_t n1 = h1 ? h1->n : 0, n2 = h2 ? h2->n : 0;
	if (n1 != n2)
		return n1 > n2;
	const struct node *q1 = node_get(m1, "queryParams"), *q2 = node_get(m2, "queryParams");
	return (q1 ? q1->n : 0) > (q2 ? q2->n : 0);
}

/* Stable insertion sort of the routes, and of src (their routes' objects) alike. */
static void sort_routes(struct node *seq, struct gw_obj **src)
{
	for (size_t i = 1; i < seq->n; i++)
		for (size_t j = i; j > 0 && route_before(seq->items[j], seq->items[j - 1]); j--) {
			struct node *t = seq->items[j];
			seq->items[j] = seq->items[j - 1];
			seq->items[j - 1] = t;
			struct gw_obj *o = src[j];
			src[j] = src[j - 1];
			src[j - 1] = o;
		}
}

/*
 * Routes of two objects that rank equally after sorting: Istio orders
 * them by creation time (sortRoutesByCreationTime), which offline input
 * does not have (MSH0620).
 */
static void find_ties(struct gwapi *g, const struct node *seq, struct gw_obj **src,
		      const char *where)
{
	for (size_t i = 1; i < seq->n; i++) {
		const struct node *a = seq->items[i - 1], *b = seq->items[i];
		const struct node *ma = node_get(a, "match");
		if (src[i - 1] == src[i] || !ma || ma->n == 0 ||
		    route_before(a, b) || route_before(b, a))
			continue;
		bool seen = false;
		for (size_t k = 0; k < g->nties; k++)
			seen |= g->ties[k].a == src[i - 1] && g->ties[k].b == src[i] &&
				strcmp(g->ties[k].where, where) == 0;
		if (seen)
			continue;
		if (g->nties == g->tcap) {
			g->tcap = g->tcap ? g->tcap * 2 : 8;
			g->ties = xrealloc(g->ties, g->tcap * sizeof(*g->ties));
		}
		g->ties[g->nties].a = src[i - 1];
		g->ties[g->nties].b = src[i];
		g->ties[g->nties].where = where;
		g->nties++;
	}
}

static int out_by_creation(const void *x, const void *y)
{
	const struct gw_out *a = *(const struct gw_out *const *)x, *b = *(const struct gw_out *const *)y;
	int r = strcmp(a->created, b->created);
	if (r)
		return r;
	if ((r = strcmp(a->from->ns, b->from->ns)))
		return r;
	return strcmp(a->from->name, b->from->name);
}

/* An output with a merge key, and its index (keyed_cmp groups equal keys
 * in output order). */
struct keyed {
	const char *key;
	size_t i;
};

static int keyed_cmp(const void *x, const void *y)
{
	const struct keyed *a = x, *b = y;
	int r = strcmp(a->key, b->key);
	return r ? r : a->i < b->i ? -1 : a->i > b->i;
}

/* mergeHTTPRoutes: one VirtualService per key, routes concatenated then
 * sorted; the keys are merged in the order of their first output. */
static void merge_http(struct gwapi *g)
{
	struct arena *a = &g->arena;
	size_t n = g->nouts;
	bool *gone = xcalloc(n + 1, sizeof(*gone));
	struct keyed *ks = xmalloc((n + 1) * sizeof(*ks));
	size_t nk = 0;
	for (size_t i = 0; i < n; i++)
		if (g->outs[i].key)
			ks[nk++] = (struct keyed){ g->outs[i].key, i };
	qsort(ks, nk, sizeof(*ks), keyed_cmp);
	/* Per output that comes first with its key: where its group starts
	 * in ks, plus one (0: not first). */
	size_t *group = xcalloc(n + 1, sizeof(*group));
	for (size_t s = 0; s < nk; s++)
		if (s == 0 || strcmp(ks[s - 1].key, ks[s].key) != 0)
			group[ks[s].i] = s + 1;
	struct gw_out **same = xmalloc((n + 1) * sizeof(*same));
	for (size_t i = 0; i < n; i++) {
		if (!group[i])
			continue;
		size_t ns = 0;
		for (size_t s = group[i] - 1; s < nk && strcmp(ks[s].key, g->outs[i].key) == 0; s++)
			same[ns++] = &g->outs[ks[s].i];
		qsort(same, ns, sizeof(*same), out_by_creation);
		struct gw_out *base = same[0];
		struct node *spec = (struct node *)node_get(base->doc, "spec");
		struct node *http = (struct node *)node_get(spec, "http");
		struct node *ann = (struct node *)node_get(node_get(base->doc, "metadata"), "annotations");
		size_t total = 0;
		for (size_t k = 0; k < ns; k++) {
			const struct node *oh = node_get(node_get(same[k]->doc, "spec"), "http");
			total += oh ? oh->n : 0;
		}
		struct gw_obj **src = xmalloc((total + 1) * sizeof(*src));
		for (size_t r = 0; r < http->n; r++)
			src[r] = base->from;
		for (size_t k = 1; k < ns; k++) {
			const struct node *oh = node_get(node_get(same[k]->doc, "spec"), "http");
			for (size_t r = 0; oh && r < oh->n; r++) {
				src[http->n] = same[k]->from;
				onode_push(a, http, oh->items[r]);
			}
			const char *pp = gwapi_str(node_get(node_get(same[k]->doc, "metadata"), "annotations"),
						   "internal.istio.io/parents");
			onode_set(a, ann, "internal.istio.io/parents",
				  onode_str(a, arena_printf(a, "%s,%s", gwapi_str(ann, "internal.istio.io/parents"), pp)));
			gone[same[k] - g->outs] = true;
		}
		sort_routes(http, src);
		find_ties(g, http, src, base->key);
		free(src);
		char *name = arena_strdup(a, base->key);
		for (char *p = name; *p; p++)
			if (*p == '/')
				*p = '~';
		base->name = name;
		onode_set(a, (struct node *)node_get(base->doc, "metadata"), "name", onode_str(a, name));
		base->ns = base->from->ns;
	}
	free(same);
	free(group);
	free(ks);
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		if (!gone[i])
			g->outs[w++] = g->outs[i];
	g->nouts = w;
	free(gone);
}

/* ---- driver ----------------------------------------------------------------- */

static int route_order(const void *x, const void *y)
{
	const struct gw_obj *a = *(const struct gw_obj *const *)x, *b = *(const struct gw_obj *const *)y;
	int r = strcmp(a->created, b->created);
	if (r)
		return r;
	if ((r = strcmp(a->ns, b->ns)))
		return r;
	return strcmp(a->name, b->name);
}

static void convert_route(struct gwapi *g, struct gw_obj *route)
{
	struct rparent *rps;
	size_t n = resolve_parents(g, route, &rps);
	bool need_mesh = false, need_gw = false;
	for (size_t i = 0; i < n; i++) {
		need_mesh |= rps[i].mesh;
		need_gw |= !rps[i].mesh;
	}
	struct conv gwc = { 0 }, meshc = { 0 };
	bool http = route->kind == GWK_HTTP_ROUTE || route->kind == GWK_GRPC_ROUTE;
	bool grpc = route->kind == GWK_GRPC_ROUTE;
	for (int m = 0; m < 2; m++) {
		bool mesh = m == 1;
		if (mesh ? !need_mesh : !need_gw)
			continue;
		struct conv *c = mesh ? &meshc : &gwc;
		if (http)
			convert_http(g, route, !mesh, grpc, c);
		else
			convert_l4(g, route, !mesh, route->kind == GWK_TLS_ROUTE, c);
	}
	route_status(g, route, rps, n, &gwc, &meshc);
	route_vs(g, route, rps, n, &gwc, &meshc);
	/* attachedRoutes: each accepted listener of a Gateway counts the route once. */
	for (size_t i = 0; i < n; i++) {
		if (rps[i].deny_reason || rps[i].mesh)
			continue;
		bool seen = false;
		for (size_t k = 0; k < i; k++)
			seen |= rps[k].p == rps[i].p && !rps[k].deny_reason;
		if (!seen)
			rps[i].p->attached++;
	}
	free(gwc.routes);
	free(meshc.routes);
	free(rps);
}

/* The listeners of each Gateway and ListenerSet, in g->parents order
 * (a route's parentRef names its owner). */
static void index_parents(struct gwapi *g)
{
	g->parents_by_owner = xmalloc(sizeof(*g->parents_by_owner));
	xref_map_init(g->parents_by_owner, &g->arena);
	for (size_t p = 0; p < g->nparents; p++) {
		const struct gw_obj *o = g->parents[p]->owner;
		if (!o)
			continue;
		void **slot = xref_map_put(g->parents_by_owner,
					   owner_key(&g->arena, o->kind_name, o->ns, o->name));
		if (!*slot) {
			struct gw_parents *l = arena_alloc(&g->arena, sizeof(*l));
			memset(l, 0, sizeof(*l));
			GROW(g->owner_lists, g->nowner_lists, g->owner_lists_cap);
			g->owner_lists[g->nowner_lists++] = l;
			*slot = l;
		}
		struct gw_parents *l = *slot;
		GROW(l->v, l->n, l->cap);
		l->v[l->n++] = g->parents[p];
	}
}

void gwapi_convert_routes(struct gwapi *g)
{
	index_parents(g);
	struct gw_obj **routes = xmalloc((g->nobjs + 1) * sizeof(*routes));
	size_t n = 0;
	for (size_t i = 0; i < g->nobjs; i++) {
		enum gwk k = g->objs[i]->kind;
		if (k == GWK_HTTP_ROUTE || k == GWK_GRPC_ROUTE || k == GWK_TCP_ROUTE || k == GWK_TLS_ROUTE)
			routes[n++] = g->objs[i];
	}
	qsort(routes, n, sizeof(*routes), route_order);
	for (size_t i = 0; i < n; i++)
		convert_route(g, routes[i]);
	free(routes);
	merge_http(g);
	for (size_t p = 0; p < g->nparents; p++)
		if (g->parents[p]->lstatus)
			onode_set(&g->arena, g->parents[p]->lstatus, "attachedRoutes",
				  onode_int(&g->arena, g->parents[p]->attached));
}
