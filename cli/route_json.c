/*
 * JSON views of an opened route table, shared by `meshc query` (one
 * route's outcome) and `meshc dump` (the whole table). Built with
 * jansson objects in a fixed key order (JSON_PRESERVE_ORDER when
 * printing), through the public runtime API only: what a proxy linking
 * libmeshrt would see.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "route_json.h"

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *jstrn(const char *s, size_t n)
{
	if (!s)
		return json_null();
	json_t *j = json_stringn(s, n);
	if (j)
		return j;
	/* not UTF-8: replace the offending bytes */
	char *copy = malloc(n + 1);
	if (!copy)
		return json_null();
	for (size_t i = 0; i < n; i++)
		copy[i] = (s[i] & 0x80) || s[i] == 0 ? '?' : s[i];
	copy[n] = 0;
	j = json_string(copy);
	free(copy);
	return j ? j : json_null();
}

static json_t *jnum_opt(unsigned v)
{
	return v == MRT_UNSET ? json_null() : json_integer(v);
}

static json_t *jtri(int v)
{
	return v < 0 ? json_null() : json_boolean(v);
}

const char *route_json_duration(unsigned ms, char *buf, size_t len)
{
	if (ms == MRT_UNSET)
		return NULL;
	if (ms % 1000 == 0)
		snprintf(buf, len, "%us", ms / 1000);
	else if (ms % 100 == 0)
		snprintf(buf, len, "%u.%us", ms / 1000, (ms % 1000) / 100);
	else if (ms % 10 == 0)
		snprintf(buf, len, "%u.%02us", ms / 1000, (ms % 1000) / 10);
	else
		snprintf(buf, len, "%u.%03us", ms / 1000, ms % 1000);
	return buf;
}

static json_t *jdur(unsigned ms)
{
	char b[32];
	return jstr(route_json_duration(ms, b, sizeof(b)));
}

/* Percentages stored in millionths, shown as percent. */
static json_t *jpct(unsigned ppm)
{
	return ppm == MRT_UNSET ? json_null() : json_real(ppm / 10000.0);
}

static const char *const field_names[MRT_FIELD_COUNT] = {
	"uri", "scheme", "method", "authority", "header", "queryParam", "port",
	"sourceLabel", "sourceNamespace", "gateway", "sni", "destinationSubnet",
	"sourceSubnet", "corsOrigin",
};
static const char *const op_names[MRT_OP_COUNT] = {
	"exact", "prefix", "regex", "present", "anyOf", "hostAnyOf",
};

json_t *route_json_condition(const mrt_condition *c)
{
	json_t *o = json_object();
	json_object_set_new(o, "field", json_string(field_names[c->field]));
	if (c->key)
		json_object_set_new(o, "name", json_string(c->key));
	if (c->field == MRT_FIELD_PORT) {
		json_object_set_new(o, "port", json_integer(c->number));
		return o;
	}
	json_object_set_new(o, op_names[c->op], c->op == MRT_OP_PRESENT ?
			    json_true() : jstr(c->value));
	if (c->flags & MRT_COND_INVERT)
		json_object_set_new(o, "invert", json_true());
	if (c->flags & MRT_COND_IGNORE_CASE)
		json_object_set_new(o, "ignoreCase", json_true());
	return o;
}

static json_t *header_ops_json(const mrt_table *t, const mrt_route *r, unsigned dest)
{
	size_t n = mrt_route_header_op_count(t, r, dest);
	if (!n)
		return json_null();
	json_t *o = json_object(), *req = json_object(), *resp = json_object();
	for (size_t i = 0; i < n; i++) {
		mrt_header_op_info h;
		if (mrt_route_header_op(t, r, dest, i, &h))
			continue;
		json_t *side = h.target == MRT_HEADERS_REQUEST ? req : resp;
		const char *op = h.op == MRT_HEADER_SET ? "set" : h.op == MRT_HEADER_ADD ? "add" : "remove";
		json_t *bucket = json_object_get(side, op);
		if (!bucket) {
			bucket = h.op == MRT_HEADER_REMOVE ? json_array() : json_object();
			json_object_set_new(side, op, bucket);
		}
		if (h.op == MRT_HEADER_REMOVE)
			json_array_append_new(bucket, json_string(h.name));
		else
			json_object_set_new(bucket, h.name, jstr(h.value));
	}
	if (json_object_size(req))
		json_object_set(o, "request", req);
	if (json_object_size(resp))
		json_object_set(o, "response", resp);
	json_decref(req);
	json_decref(resp);
	return o;
}

bool route_json_invalid_backend(const mrt_destination *d)
{
	return d->cluster && strcmp(d->cluster, MRT_CLUSTER_UNKNOWN) == 0 &&
	       (!d->host || !*d->host);
}

static json_t *dest_json(const mrt_destination *d, bool mirror)
{
	json_t *o = json_object();
	json_object_set_new(o, "host", json_string(d->host));
	json_object_set_new(o, "subset", jstr(d->subset));
	json_object_set_new(o, "port", json_integer(d->port));
	if (mirror)
		json_object_set_new(o, "percentage", jpct(d->weight));
	else
		json_object_set_new(o, "weight", json_integer(d->weight));
	json_object_set_new(o, "cluster", json_string(d->cluster));
	return o;
}

json_t *route_json_action(const mrt_table *t, const mrt_route *r, bool with_policy)
{
	json_t *o = json_object(), *arr = json_array();
	for (size_t i = 0; i < mrt_route_destination_count(t, r); i++) {
		mrt_destination d;
		if (mrt_route_destination(t, r, i, &d))
			continue;
		json_t *dj = dest_json(&d, false);
		if (route_json_invalid_backend(&d)) {
			/* What Istio's proxy answers: no cluster by that name. */
			json_object_set_new(dj, "invalidBackend", json_true());
			if (mrt_route_kind(t, r) == MRT_ROUTE_HTTP)
				json_object_set_new(dj, "status",
						    json_integer(MRT_CLUSTER_UNKNOWN_STATUS));
		}
		json_t *h = header_ops_json(t, r, (unsigned)i);
		if (!json_is_null(h))
			json_object_set(dj, "headers", h);
		json_decref(h);
		if (with_policy) {
			mrt_cluster c;
			json_t *p = NULL;
			const char *dr = NULL;
			if (mrt_cluster_get(t, d.cluster_index, &c) == 0) {
				p = c.policy_json ? json_loads(c.policy_json, 0, NULL) : NULL;
				dr = c.destination_rule;
			}
			json_object_set_new(dj, "policy", p ? p : json_null());
			json_object_set_new(dj, "destinationRule", jstr(dr));
		}
		json_array_append_new(arr, dj);
	}
	json_object_set_new(o, "destinations", arr);

	mrt_redirect rd;
	if (mrt_route_redirect(t, r, &rd) == 0) {
		json_t *j = json_object();
		json_object_set_new(j, "uri", jstr(rd.uri));
		json_object_set_new(j, "authority", jstr(rd.authority));
		json_object_set_new(j, "scheme", jstr(rd.scheme));
		json_object_set_new(j, "code", json_integer(rd.code));
		if (rd.port != MRT_UNSET)
			json_object_set_new(j, "port", json_integer(rd.port));
		if (rd.derive_port != MRT_DERIVE_NONE)
			json_object_set_new(j, "derivePort", json_string(
				rd.derive_port == MRT_DERIVE_FROM_REQUEST_PORT ?
				"FROM_REQUEST_PORT" : "FROM_PROTOCOL_DEFAULT"));
		if (rd.prefix_rewrite)
			json_object_set_new(j, "prefixRewrite", json_string(rd.prefix_rewrite));
		json_object_set_new(o, "redirect", j);
	} else {
		json_object_set_new(o, "redirect", json_null());
	}

	mrt_direct_response dr;
	if (mrt_route_direct_response(t, r, &dr) == 0) {
		json_t *j = json_object();
		json_object_set_new(j, "status", json_integer(dr.status));
		json_object_set_new(j, "body", jstrn(dr.body, dr.body_len));
		json_object_set_new(o, "directResponse", j);
	} else {
		json_object_set_new(o, "directResponse", json_null());
	}

	mrt_rewrite rw;
	if (mrt_route_rewrite(t, r, &rw) == 0) {
		json_t *j = json_object();
		json_object_set_new(j, "uri", jstr(rw.uri));
		json_object_set_new(j, "authority", jstr(rw.authority));
		if (rw.regex) {
			json_t *u = json_object();
			json_object_set_new(u, "match", json_string(rw.regex));
			json_object_set_new(u, "rewrite", jstr(rw.regex_substitution));
			json_object_set_new(j, "uriRegexRewrite", u);
		}
		json_object_set_new(o, "rewrite", j);
	} else {
		json_object_set_new(o, "rewrite", json_null());
	}
	json_object_set_new(o, "timeout", jdur(mrt_route_timeout_ms(t, r)));

	mrt_retries rt;
	if (mrt_route_retries(t, r, &rt) == 0) {
		json_t *j = json_object();
		json_object_set_new(j, "attempts", jnum_opt(rt.attempts));
		json_object_set_new(j, "perTryTimeout", jdur(rt.per_try_timeout_ms));
		json_object_set_new(j, "retryOn", jstr(rt.retry_on));
		if (rt.retriable_status_codes) {
			json_t *codes = json_array();
			for (const char *p = rt.retriable_status_codes; *p;) {
				json_array_append_new(codes, json_integer(strtol(p, NULL, 10)));
				p += strcspn(p, ",");
				p += *p == ',';
			}
			json_object_set_new(j, "retriableStatusCodes", codes);
		}
		if (rt.backoff_ms != MRT_UNSET)
			json_object_set_new(j, "backoff", jdur(rt.backoff_ms));
		if (rt.retry_remote_localities >= 0)
			json_object_set_new(j, "retryRemoteLocalities", jtri(rt.retry_remote_localities));
		if (rt.retry_ignore_previous_hosts >= 0)
			json_object_set_new(j, "retryIgnorePreviousHosts",
					    jtri(rt.retry_ignore_previous_hosts));
		if (rt.is_default)
			json_object_set_new(j, "default", json_true());
		json_object_set_new(o, "retries", j);
	} else {
		json_object_set_new(o, "retries", json_null());
	}

	mrt_fault f;
	if (mrt_route_fault(t, r, &f) == 0) {
		json_t *j = json_object();
		if (f.delay_ms != MRT_UNSET) {
			json_t *d = json_object();
			json_object_set_new(d, "fixedDelay", jdur(f.delay_ms));
			json_object_set_new(d, "percentage", jpct(f.delay_ppm));
			json_object_set_new(j, "delay", d);
		}
		if (f.abort_status != MRT_UNSET || f.abort_grpc || f.abort_http2) {
			json_t *a = json_object();
			if (f.abort_status != MRT_UNSET)
				json_object_set_new(a, "httpStatus", json_integer(f.abort_status));
			if (f.abort_grpc)
				json_object_set_new(a, "grpcStatus", json_string(f.abort_grpc));
			if (f.abort_http2)
				json_object_set_new(a, "http2Error", json_string(f.abort_http2));
			json_object_set_new(a, "percentage", jpct(f.abort_ppm));
			json_object_set_new(j, "abort", a);
		}
		json_object_set_new(o, "fault", j);
	} else {
		json_object_set_new(o, "fault", json_null());
	}

	json_t *mir = json_array();
	for (size_t i = 0; i < mrt_route_mirror_count(t, r); i++) {
		mrt_destination d;
		if (mrt_route_mirror(t, r, i, &d) == 0)
			json_array_append_new(mir, dest_json(&d, true));
	}
	json_object_set_new(o, "mirrors", mir);

	mrt_cors c;
	if (mrt_route_cors(t, r, &c) == 0) {
		json_t *j = json_object(), *origins = json_array();
		for (size_t i = 0; i < c.n_origins; i++) {
			mrt_condition oc;
			if (mrt_route_cors_origin(t, r, i, &oc) == 0) {
				json_t *m = json_object();
				json_object_set_new(m, op_names[oc.op], oc.op == MRT_OP_PRESENT ?
						    json_true() : jstr(oc.value));
				json_array_append_new(origins, m);
			}
		}
		json_object_set_new(j, "allowOrigins", origins);
		json_object_set_new(j, "allowMethods", jstr(c.allow_methods));
		json_object_set_new(j, "allowHeaders", jstr(c.allow_headers));
		json_object_set_new(j, "exposeHeaders", jstr(c.expose_headers));
		json_object_set_new(j, "maxAge", jdur(c.max_age_ms));
		json_object_set_new(j, "allowCredentials", jtri(c.allow_credentials));
		if (c.unmatched_preflights)
			json_object_set_new(j, "unmatchedPreflights", json_string(c.unmatched_preflights));
		json_object_set_new(o, "corsPolicy", j);
	} else {
		json_object_set_new(o, "corsPolicy", json_null());
	}
	json_object_set_new(o, "headers", header_ops_json(t, r, MRT_UNSET));
	return o;
}

const char *route_json_outcome(const mrt_table *t, const mrt_result *res,
			       const char *gateway, bool registry_only)
{
	(void)t;
	if (gateway && strcmp(gateway, "mesh") != 0)
		return "notFound";
	/* A host the sidecar has a virtual host for answers 404 when no
	 * route matches; any other request leaves by the catch-all: Istio's
	 * PassthroughCluster (ALLOW_ANY) or BlackHoleCluster (REGISTRY_ONLY). */
	if (res->vhost != MRT_UNSET)
		return "notFound";
	return registry_only ? "blackhole" : "passthrough";
}

json_t *route_json_route(const mrt_table *t, const mrt_route *r)
{
	static const char *const kinds[] = { "http", "tls", "tcp" };
	json_t *o = json_object(), *ms = json_array();
	json_object_set_new(o, "id", json_integer((json_int_t)mrt_route_id(t, r)));
	json_object_set_new(o, "kind", json_string(kinds[mrt_route_kind(t, r)]));
	json_object_set_new(o, "virtualService", jstr(mrt_route_virtual_service(t, r)));
	json_object_set_new(o, "route", jstr(mrt_route_name(t, r)));
	json_object_set_new(o, "routeIndex", json_integer(mrt_route_index(t, r)));
	for (size_t m = 0; m < mrt_route_match_count(t, r); m++) {
		json_t *mj = json_object(), *cs = json_array();
		const char *name = mrt_route_match_name(t, r, m);
		if (name)
			json_object_set_new(mj, "name", json_string(name));
		for (size_t c = 0; c < mrt_route_condition_count(t, r, m); c++) {
			mrt_condition cd;
			if (mrt_route_condition(t, r, m, c, &cd) == 0)
				json_array_append_new(cs, route_json_condition(&cd));
		}
		json_object_set_new(mj, "conditions", cs);
		json_array_append_new(ms, mj);
	}
	json_object_set_new(o, "match", ms);
	json_t *a = route_json_action(t, r, false);
	json_object_update(o, a);
	json_decref(a);
	return o;
}

json_t *route_json_dump(const mrt_table *t)
{
	json_t *root = json_object(), *ls = json_array(), *rs = json_array();
	json_t *cs = json_array(), *rx = json_array();
	json_object_set_new(root, "domain", json_string(mrt_table_domain(t)));
	json_t *gws = json_array();
	for (size_t i = 0; i < mrt_gateway_count(t); i++) {
		mrt_gateway g;
		if (mrt_gateway_get(t, i, &g))
			continue;
		json_t *gj = json_object();
		json_object_set_new(gj, "name", json_string(g.name));
		json_object_set_new(gj, "selector", jstr(g.selector));
		json_object_set_new(gj, "workload", json_string(g.workload));
		json_array_append_new(gws, gj);
	}
	json_object_set_new(root, "gateways", gws);
	for (size_t i = 0; i < mrt_listener_count(t); i++) {
		mrt_listener l;
		if (mrt_listener_get(t, i, &l))
			continue;
		json_t *lj = json_object(), *vs = json_array(), *l4 = json_array();
		json_object_set_new(lj, "gateway", json_string(l.gateway));
		json_object_set_new(lj, "port", json_integer(l.port));
		json_object_set_new(lj, "protocol", jstr(l.protocol));
		json_object_set_new(lj, "tlsMode", jstr(l.tls_mode));
		json_object_set_new(lj, "name", jstr(l.name));
		if (l.sni)
			json_object_set_new(lj, "serverNames", json_string(l.sni));
		if (l.terminates_tls)
			json_object_set_new(lj, "terminatesTls", json_true());
		for (size_t v = 0; v < l.n_vhosts; v++) {
			mrt_vhost vh;
			if (mrt_vhost_get(t, i, v, &vh))
				continue;
			json_t *vj = json_object(), *ids = json_array();
			json_object_set_new(vj, "host", json_string(vh.host));
			if (vh.flags & MRT_VHOST_HTTPS_REDIRECT)
				json_object_set_new(vj, "httpsRedirect", json_true());
			for (size_t k = 0; k < vh.n_routes; k++)
				json_array_append_new(ids, json_integer((json_int_t)(vh.first_route + k)));
			json_object_set_new(vj, "routes", ids);
			if (vh.flags & MRT_VHOST_SOURCE_SCOPED) {
				json_object_set_new(vj, "sourceScoped", json_true());
				json_object_set_new(vj, "fallback", vh.fallback ?
					json_integer((json_int_t)mrt_route_id(t, vh.fallback)) : json_null());
			}
			json_array_append_new(vs, vj);
		}
		json_object_set_new(lj, "virtualHosts", vs);
		for (size_t k = 0; k < l.n_l4_routes; k++) {
			const mrt_route *r = mrt_listener_l4_route(t, i, k);
			if (r)
				json_array_append_new(l4, json_integer((json_int_t)mrt_route_id(t, r)));
		}
		json_object_set_new(lj, "tcpTlsRoutes", l4);
		json_array_append_new(ls, lj);
	}
	json_object_set_new(root, "listeners", ls);
	for (size_t i = 0; i < mrt_route_count(t); i++)
		json_array_append_new(rs, route_json_route(t, mrt_route_at(t, i)));
	json_object_set_new(root, "routes", rs);
	for (size_t i = 0; i < mrt_cluster_count(t); i++) {
		mrt_cluster c;
		if (mrt_cluster_get(t, i, &c))
			continue;
		json_t *cj = json_object();
		json_object_set_new(cj, "name", json_string(c.name));
		json_object_set_new(cj, "host", json_string(c.host));
		json_object_set_new(cj, "subset", jstr(c.subset));
		json_object_set_new(cj, "port", json_integer(c.port));
		json_object_set_new(cj, "loadBalancer", jstr(c.lb_policy));
		json_object_set_new(cj, "tlsMode", jstr(c.tls_mode));
		json_t *p = c.policy_json ? json_loads(c.policy_json, 0, NULL) : NULL;
		json_object_set_new(cj, "policy", p ? p : json_null());
		json_object_set_new(cj, "destinationRule", jstr(c.destination_rule));
		json_array_append_new(cs, cj);
	}
	json_object_set_new(root, "clusters", cs);
	for (size_t i = 0; i < mrt_regex_count(t); i++)
		json_array_append_new(rx, json_string(mrt_regex_source(t, i)));
	json_object_set_new(root, "regexes", rx);
	return root;
}
