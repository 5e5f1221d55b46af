/*
 * Istio's admission rules for a VirtualService (istio.md §2.1-§2.4), as
 * ValidateVirtualService and validateHTTPRoute (pkg/config/validation)
 * apply them: delegate rules, gateway names, hosts, the mesh wildcard,
 * duplicate hosts, HTTP route conflicts, matches, header operations,
 * CORS, fault injection, mirrors, redirect, direct response, retries,
 * rewrite, destinations and weights, TLS and TCP routes, JWT-claim
 * routing and exportTo. The unreachable-rule analysis (§2.5) lives in
 * rules_unreachable.c.
 *
 * Errors are IST0106 and warnings IST0133, with Istio's message text,
 * each at the most specific node: the wrong value; for something
 * missing, the mapping that lacks it; for two fields in conflict, the key
 * of the one written second. Where Istio has a quirk that lets a mistake
 * through (validateGatewayNames stopping after the first name without a
 * namespace, HTTP status 600, TCP sourceSubnet never checked), meshc
 * still reports the mistake, as MSH0201.
 *
 * Values are read through fields.h, the rules files' shared context,
 * field access and reporting: both the JSON name and the proto name of a
 * field (`directResponse`, `direct_response`); a null counts as unset.
 * A value of the wrong type, a quoted number included, is the schema
 * layer's to report, and is skipped here (field_typed_int).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "checks.h"
#include "diag.h"
#include "fields.h"
#include "node.h"
#include "prim.h"
#include "resource.h"

struct vs_ctx {
	struct rule_ctx rule;        /* resource, diagnostics, arena */
	bool delegate;      /* no hosts: a delegate VirtualService */
	bool gateway;       /* Istio's appliesToGateway: gateways set, `mesh` not among them */
	bool sni;           /* some TLS match has sniHosts */
	const struct node *hosts;
};

enum route_type {
	ROUTE_INDEPENDENT,
	ROUTE_ROOT,         /* has `delegate` */
	ROUTE_DELEGATE,     /* inside a delegate VirtualService */
};

/*
 * Go's %v of a float64 (strconv 'g' with the shortest precision): the
 * fewest significant digits that read back the same, in %e form when the
 * exponent is below -4 or at least 6 ("1e-05", "1e+06"), else in %f form
 * ("-10", "0.001").
 */
static const char *gofloat(struct vs_ctx *c, double v)
{
	char buf[48];
	if (isnan(v))
		return "NaN";
	if (isinf(v))
		return v > 0 ? "+Inf" : "-Inf";
	int prec = 1;
	for (; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (prec > 17)
		prec = 17;
	const char *e = strchr(buf, 'e');
	int exp = e ? atoi(e + 1) : 0;
	if (v != 0 && (exp < -4 || exp >= 6))
		return arena_strdup(c->rule.a, buf);
	int decimals = prec - 1 - exp;
	snprintf(buf, sizeof(buf), "%.*f", decimals > 0 ? decimals : 0, v);
	return arena_strdup(c->rule.a, buf);
}

/*
 * The column in the source of byte `off` of scalar v's value, for plain
 * scalars and single-line quoted ones (a quote written twice, or a
 * backslash escape, takes one more character than it yields). False when
 * the value cannot be mapped back (block scalars, line breaks, escapes
 * other than \\ and \").
 */
static bool source_column(const struct node *v, size_t off, unsigned *col)
{
	if (off == 0 || off > v->len || v->quoted == NODE_BLOCK ||
	    memchr(v->text, '\n', v->len))
		return false;
	unsigned c = v->col + (v->quoted ? 1 : 0);
	for (size_t i = 0; i < off; i++) {
		unsigned char ch = (unsigned char)v->text[i];
		if ((ch & 0xc0) == 0x80)
			continue;
		if (v->quoted == NODE_DOUBLE_QUOTED && (ch < 0x20 || ch >= 0x80))
			return false;   /* written as an escape of unknown length */
		if ((v->quoted == NODE_SINGLE_QUOTED && ch == '\'') ||
		    (v->quoted == NODE_DOUBLE_QUOTED && (ch == '\\' || ch == '"')))
			c++;
		c++;
	}
	*col = c;
	return true;
}


/* ---- shared checks ---- */

/*
 * A regex value: Istio's validateStringRegexp. The column points at the
 * offending character when the scalar is plain (its text is then the
 * source text); otherwise at the value.
 */
static void check_regex(struct vs_ctx *c, const struct node *v, const char *re,
			const char *where)
{
	size_t off = 0;
	const char *msg = prim_check_regex(c->rule.a, re, &off);
	if (!msg)
		return;
	if (strcmp(msg, "regex string match should not be empty") == 0 ||
	    strncmp(msg, "regex is too large", 18) == 0) {
		RULE_ERR(&c->rule, v, "%s: %s", prim_go_quote(c->rule.a, where), msg);
		return;
	}
	char *full = arena_printf(c->rule.a, "%s: %s; Istio uses RE2 style regex-based match "
				  "(https://github.com/google/re2/wiki/Syntax)", prim_go_quote(c->rule.a, where), msg);
	unsigned col;
	if (!source_column(v, off, &col)) {
		RULE_ERR(&c->rule, v, "%s", full);
		return;
	}
	char *path = diag_node_path(c->rule.a, c->rule.r->root, v);
	diag_report_pos(c->rule.d, IST0106, c->rule.r->file, v->line, col, resource_origin(c->rule.r, c->rule.d->arena), path, full);
	c->rule.d->items[c->rule.d->n - 1].res = c->rule.r;
}

/* validateStringMatch (uri_only: validateStringMatchRegexp, where an empty prefix is fine). */
static void check_string_match(struct vs_ctx *c, const struct node *sm, const char *where,
			       bool uri_only)
{
	if (!field_is_map(sm))
		return;
	const struct node *prefix = field_raw(sm, "prefix");
	const struct node *regex = field_raw(sm, "regex");
	if (!uri_only && prefix && node_str(prefix) && prefix->len == 0)
		RULE_ERR(&c->rule, prefix, "%s: prefix string match should not be empty", prim_go_quote(c->rule.a, where));
	if (regex && node_str(regex)) {
		if (regex->len == 0)
			RULE_ERR(&c->rule, regex, "%s: regex string match should not be empty", prim_go_quote(c->rule.a, where));
		else
			check_regex(c, regex, regex->text, where);
	}
}

/*
 * validateGatewayNames. Istio returns after the first name without a
 * `/`, so later names go unchecked; meshc checks them and reports their
 * mistakes as MSH0201.
 */
static void check_gateway_names(struct vs_ctx *c, const struct node *list)
{
	static const char stop_note[] = " (Istio's validateGatewayNames stops at the first "
		"name without a namespace and does not check this one)";
	bool stopped = false;

	for (size_t i = 0; i < field_len(list); i++) {
		const struct node *item = list->items[i];
		const char *name = node_str(item);
		if (!name)
			continue;
		const char *slash = strchr(name, '/');
		const char *problems[3] = { NULL, NULL, NULL };
		size_t np = 0;

		if (!slash) {
			if (strchr(name, '.') && !stopped) {
				const char *dot = strchr(name, '.');
				const char *rest = dot + 1, *dot2 = strchr(rest, '.');
				size_t rn = dot2 ? (size_t)(dot2 - rest) : strlen(rest);
				RULE_WARN(&c->rule, item, "using legacy gatewayName format %s; prefer the "
					  "<namespace>/<name> format: %s", prim_go_quote(c->rule.a, name),
					  prim_go_quote(c->rule.a, arena_printf(c->rule.a, "%.*s/%.*s", (int)rn, rest,
						       (int)(dot - name), name)));
			}
			problems[np++] = prim_check_fqdn(c->rule.a, name);
		} else {
			char *ns = arena_strndup(c->rule.a, name, (size_t)(slash - name));
			const char *gw = slash + 1;
			if (!*ns || !*gw)
				problems[np++] = "config namespace and gateway name cannot be empty";
			if (!prim_is_dns1123_label(ns))
				problems[np++] = arena_printf(c->rule.a, "invalid value for namespace: %s", prim_go_quote(c->rule.a, ns));
			if (!prim_is_dns1123_label(gw))
				problems[np++] = arena_printf(c->rule.a, "invalid value for gateway name: %s", prim_go_quote(c->rule.a, gw));
		}
		for (size_t k = 0; k < np; k++) {
			if (!problems[k])
				continue;
			if (stopped)
				rule_report(&c->rule, MSH0201, item, "%s%s", problems[k], stop_note);
			else
				RULE_ERR(&c->rule, item, "%s", problems[k]);
		}
		if (!slash)
			stopped = true;
	}
}

/* validateDestination on a Destination map. */
static void check_destination(struct vs_ctx *c, const struct node *dest)
{
	if (!field_is_map(dest))
		return;
	const struct node *hostn = field_raw(dest, "host");
	const char *host = node_str(hostn);
	if (!host) {
		/* absent or null: the schema's "missing required field" */
	} else if (strcmp(host, "*") == 0) {
		RULE_ERR(&c->rule, hostn, "invalid destination host %s", host);
	} else {
		rule_check(&c->rule, hostn, prim_check_wildcard_domain(c->rule.a, host));
	}
	const struct node *subset = field_raw(dest, "subset");
	const char *ss = node_str(subset);
	if (ss && *ss && !prim_is_dns1123_label(ss))
		RULE_ERR(&c->rule, subset, "subset name is invalid: %s", ss);
	const struct node *port = field_raw(dest, "port");
	if (field_is_map(port)) {
		long long num = 0;
		const struct node *numn = field_raw(port, "number");
		if (numn && numn->type != NODE_NULL && numn->type != NODE_INT)
			return;                   /* the schema reports the type */
		field_typed_int(port, "number", &num);
		rule_check(&c->rule, field_is_set(numn) ? numn : port, prim_check_port(c->rule.a, num));
	}
}

/* The header operations of a Headers map (route level or per destination). */
static void check_header_ops(struct vs_ctx *c, const struct node *headers)
{
	static const char *const sides[] = { "request", "response" };
	if (!field_is_map(headers))
		return;
	for (int s = 0; s < 2; s++) {
		const struct node *side = field_raw(headers, sides[s]);
		if (!field_is_map(side))
			continue;
		static const char *const ops[] = { "add", "set" };
		for (int o = 0; o < 2; o++) {
			const struct node *m = field_raw(side, ops[o]);
			if (!field_is_map(m))
				continue;
			for (size_t i = 0; i < m->n; i++) {
				const struct node_pair *p = &m->pairs[i];
				rule_check(&c->rule, p->key, prim_check_header_op_name(c->rule.a, p->key->text, s == 0));
				const char *v = node_str(p->value);
				if (v)
					rule_check(&c->rule, p->value, prim_check_header_value(c->rule.a, v));
			}
		}
		const struct node *rm = field_raw(side, "remove");
		for (size_t i = 0; i < field_len(rm); i++) {
			const char *name = node_str(rm->items[i]);
			if (name)
				rule_check(&c->rule, rm->items[i], prim_check_header_op_name(c->rule.a, name, false));
		}
	}
}

/*
 * validateHTTPRouteDestinations / validateRouteDestinations: `list` is
 * the route list under key `key`.
 */
static void check_destinations(struct vs_ctx *c, const struct node *list,
			       const struct node *key, bool http)
{
	int32_t total = 0;
	size_t n = field_len(list);

	for (size_t i = 0; i < n; i++) {
		const struct node *rd = list->items[i];
		if (!field_is_map(rd))
			continue;        /* null items: the schema's "expected map" */
		/* an absent or null destination is the schema's "missing required field" */
		const struct node *dest = field_raw(rd, "destination");
		if (http)
			check_header_ops(c, field_raw(rd, "headers"));
		check_destination(c, dest);
		long long w = 0;
		if (field_typed_int(rd, "weight", &w)) {
			if (w < 0)
				RULE_ERR(&c->rule, field_raw(rd, "weight"), "weight %lld < 0", w);
			total = (int32_t)((uint32_t)total + (uint32_t)w);  /* int32 as in Go */
		}
	}
	if (n > 1 && total == 0)
		RULE_ERR(&c->rule, key, "total destination weight = 0");
}

/* ---- HTTP routes ---- */

static void check_jwt_claims(struct vs_ctx *c, const struct node *headers,
			     const struct node *gateways)
{
	if (!field_is_map(headers))
		return;
	for (size_t i = 0; i < headers->n; i++) {
		const struct node *k = headers->pairs[i].key;
		if (!prim_is_jwt_claim_header(k->text))
			continue;
		/* Go's %v of the gateways list: [a b] */
		char *list = arena_strdup(c->rule.a, "[");
		for (size_t g = 0; g < field_len(gateways); g++) {
			const char *s = node_str(gateways->items[g]);
			list = arena_printf(c->rule.a, "%s%s%s", list, g ? " " : "", s ? s : "");
		}
		RULE_ERR(&c->rule, k, "JWT claim based routing (key: %s) is only supported for gateway, "
			 "found no gateways: %s]", k->text, list);
	}
}

static void check_http_match(struct vs_ctx *c, const struct node *m)
{
	const struct node *headers = field_raw(m, "headers");
	if (field_is_map(headers)) {
		for (size_t i = 0; i < headers->n; i++) {
			const struct node_pair *p = &headers->pairs[i];
			if (!field_is_set(p->value))
				RULE_ERR(&c->rule, p->key, "header match %s cannot be null", p->key->text);
			rule_check(&c->rule, p->key, prim_check_match_header_name(c->rule.a, p->key->text));
			check_string_match(c, p->value, "headers", false);
		}
	}
	const struct node *without = field_raw(m, "withoutHeaders");
	if (field_is_map(without)) {
		for (size_t i = 0; i < without->n; i++) {
			const struct node_pair *p = &without->pairs[i];
			rule_check(&c->rule, p->key, prim_check_match_header_name(c->rule.a, p->key->text));
			/* regex "*" is not RE2: it means "header present" */
			if (strcmp(field_str(p->value, "regex"), "*") != 0)
				check_string_match(c, p->value, "withoutHeaders", false);
		}
	}
	check_string_match(c, field_raw(m, "uri"), "uri", true);
	check_string_match(c, field_raw(m, "scheme"), "scheme", false);
	check_string_match(c, field_raw(m, "method"), "method", false);
	check_string_match(c, field_raw(m, "authority"), "authority", false);
	const struct node *qp = field_raw(m, "queryParams");
	if (field_is_map(qp))
		for (size_t i = 0; i < qp->n; i++)
			check_string_match(c, qp->pairs[i].value, "queryParams", false);

	long long port;
	if (field_typed_int(m, "port", &port) && port != 0)
		rule_check(&c->rule, field_raw(m, "port"), prim_check_port(c->rule.a, port));
	field_check_labels(&c->rule, field_raw(m, "sourceLabels"));
	check_gateway_names(c, field_raw(m, "gateways"));
	const char *sns = field_str(m, "sourceNamespace");
	if (*sns && !prim_is_dns1123_label(sns))
		RULE_ERR(&c->rule, field_raw(m, "sourceNamespace"), "sourceNamespace match %s is invalid", sns);
}

/* validateHTTPRouteConflict */
static void check_route_conflicts(struct vs_ctx *c, const struct node *h, enum route_type type)
{
	const struct node *redirect = field_raw(h, "redirect"), *route = field_raw(h, "route");
	const struct node *direct = field_raw(h, "directResponse");
	bool has_route = field_len(route) > 0;

	if (type == ROUTE_ROOT) {
		const char *name = field_str(h, "name");
		if (field_is_set(redirect))
			RULE_ERR(&c->rule, field_key(h, "redirect"), "root HTTP route %s must not specify redirect", name);
		if (field_is_set(route))
			RULE_ERR(&c->rule, field_key(h, "route"), "root HTTP route %s must not specify route", name);
		return;
	}
	if (type == ROUTE_DELEGATE && field_is_set(field_raw(h, "delegate")))
		RULE_ERR(&c->rule, field_key(h, "delegate"), "delegate HTTP route cannot contain delegate");

	if (field_is_set(redirect)) {
		if (has_route)
			RULE_ERR(&c->rule, field_later_key(h, "route", "redirect"),
				 "HTTP route cannot contain both route and redirect");
		if (field_is_set(field_raw(h, "fault")))
			RULE_ERR(&c->rule, field_later_key(h, "fault", "redirect"),
				 "HTTP route cannot contain both fault and redirect");
		if (field_is_set(field_raw(h, "rewrite")))
			RULE_ERR(&c->rule, field_later_key(h, "rewrite", "redirect"),
				 "HTTP route rule cannot contain both rewrite and redirect");
		if (field_is_set(direct))
			RULE_ERR(&c->rule, field_later_key(h, "directResponse", "redirect"),
				 "HTTP route rule cannot contain both direct_response and redirect");
	} else if (field_is_set(direct)) {
		if (has_route)
			RULE_ERR(&c->rule, field_later_key(h, "route", "directResponse"),
				 "HTTP route cannot contain both route and direct_response");
		if (field_is_set(field_raw(h, "fault")))
			RULE_ERR(&c->rule, field_later_key(h, "fault", "directResponse"),
				 "HTTP route cannot contain both fault and direct_response");
		if (field_is_set(field_raw(h, "rewrite")))
			RULE_ERR(&c->rule, field_later_key(h, "rewrite", "directResponse"),
				 "HTTP route rule cannot contain both rewrite and direct_response");
	} else if (field_list_empty(route)) {
		RULE_ERR(&c->rule, h, "HTTP route, redirect or direct_response is required");
	}
	if (field_is_set(field_raw(h, "mirror")) && field_len(field_raw(h, "mirrors")) > 0)
		RULE_ERR(&c->rule, field_later_key(h, "mirror", "mirrors"),
			 "HTTP route cannot contain both mirror and mirrors");
}

static void check_cors(struct vs_ctx *c, const struct node *cors)
{
	static const char *const methods[] = {
		"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT",
		"OPTIONS", "TRACE", "*",
	};
	if (!field_is_map(cors))
		return;
	const struct node *origins = field_raw(cors, "allowOrigins");
	for (size_t i = 0; i < field_len(origins); i++) {
		const struct node *o = origins->items[i];
		const char *match = "";
		if (field_is_map(o)) {
			if (field_is_set(field_raw(o, "exact")))
				match = field_str(o, "exact");
			else if (field_is_set(field_raw(o, "prefix")))
				match = field_str(o, "prefix");
			else if (field_is_set(field_raw(o, "regex")))
				match = field_str(o, "regex");
		}
		if (!*match) {
			RULE_ERR(&c->rule, o, "'' is not a valid match type for CORS allow origins");
			continue;
		}
		const struct node *re = field_raw(o, "regex");
		if (field_is_set(re) && node_str(re))
			check_regex(c, re, re->text, "corsPolicy.allowOrigins");
	}
	const struct node *am = field_raw(cors, "allowMethods");
	for (size_t i = 0; i < field_len(am); i++) {
		const char *m = node_str(am->items[i]);
		if (!m)
			continue;
		bool ok = false;
		for (size_t k = 0; k < sizeof(methods) / sizeof(methods[0]) && !ok; k++)
			ok = strcmp(m, methods[k]) == 0;
		if (!ok)
			RULE_ERR(&c->rule, am->items[i], "%s is not a supported HTTP method", prim_go_quote(c->rule.a, m));
	}
	static const char *const lists[] = { "allowHeaders", "exposeHeaders" };
	for (int l = 0; l < 2; l++) {
		const struct node *hl = field_raw(cors, lists[l]);
		for (size_t i = 0; i < field_len(hl); i++) {
			const char *name = node_str(hl->items[i]);
			if (name)
				rule_check(&c->rule, hl->items[i], prim_check_cors_header_name(c->rule.a, name));
		}
	}
	const struct node *max_age = field_raw(cors, "maxAge");
	if (field_is_set(max_age)) {
		long long ns = field_check_duration(&c->rule, max_age);
		if (ns > 0 && ns % 1000000000LL != 0)
			RULE_ERR(&c->rule, max_age, "max_age duration is accurate only to seconds precision");
	}
}

/* validatePercentage on a Percent map. */
static void check_percentage(struct vs_ctx *c, const struct node *pct)
{
	double v = 0;
	if (!field_is_map(pct) || !field_typed_num(pct, "value", &v))
		return;
	if (v < 0.0 || v > 100.0 || (v > 0.0 && v < 0.0001))
		RULE_ERR(&c->rule, field_raw(pct, "value"), "percentage %s is neither 0.0, nor in range [0.0001, 100.0]",
			 gofloat(c, v));
}

/* validateHTTPStatus: 200..600 (Istio's message says 200-599; 600 passes Istio). */
static void check_http_status(struct vs_ctx *c, const struct node *at, long long status)
{
	if (status < 200 || status > 600)
		RULE_ERR(&c->rule, at, "HTTP status %lld is not in range 200-599", status);
	else if (status == 600)
		rule_report(&c->rule, MSH0201, at, "HTTP status 600 is not in range 200-599 (Istio's validateHTTPStatus "
			    "accepts 600; Envoy rejects it)");
}

static void check_fault(struct vs_ctx *c, const struct node *fault)
{
	static const char *const grpc[] = {
		"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
		"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
		"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
		"INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
	};
	if (!field_is_map(fault))
		return;
	const struct node *abort = field_raw(fault, "abort"), *delay = field_raw(fault, "delay");
	if (!field_is_set(abort) && !field_is_set(delay))
		RULE_ERR(&c->rule, fault, "HTTP fault injection must have an abort and/or a delay");

	if (field_is_map(abort)) {
		check_percentage(c, field_raw(abort, "percentage"));
		const struct node *hs = field_raw(abort, "httpStatus");
		const struct node *gs = field_raw(abort, "grpcStatus");
		const struct node *h2 = field_raw(abort, "http2Error");
		if (field_is_set(gs)) {
			const char *s = node_str(gs);
			bool ok = false;
			for (size_t k = 0; s && k < sizeof(grpc) / sizeof(grpc[0]) && !ok; k++)
				ok = strcmp(s, grpc[k]) == 0;
			if (s && !ok)
				RULE_ERR(&c->rule, gs, "gRPC status %s is not supported. See "
					 "https://github.com/grpc/grpc/blob/master/doc/statuscodes.md "
					 "for a list of supported codes, for example 'NOT_FOUND'", prim_go_quote(c->rule.a, s));
		} else if (field_is_set(h2)) {
			RULE_ERR(&c->rule, h2, "HTTP/2 abort fault injection not supported yet");
		} else if (field_is_set(hs)) {
			long long st;
			if (field_typed_int(abort, "httpStatus", &st))
				check_http_status(c, hs, st);
		} else {
			RULE_WARN(&c->rule, abort, "abort configured, but error type not set");
		}
	}
	if (field_is_map(delay)) {
		check_percentage(c, field_raw(delay, "percentage"));
		const struct node *fixed = field_raw(delay, "fixedDelay");
		const struct node *expo = field_raw(delay, "exponentialDelay");
		if (field_is_set(fixed)) {
			field_check_duration(&c->rule, fixed);
		} else if (field_is_set(expo)) {
			field_check_duration(&c->rule, expo);
			RULE_ERR(&c->rule, expo, "exponentialDelay not supported yet");
		}
	}
}

static void check_mirrors(struct vs_ctx *c, const struct node *h)
{
	const struct node_pair *mp = field_pair(h, "mirrorPercent");
	if (mp && field_is_set(mp->value)) {
		long long v;
		if (field_typed_int(h, "mirrorPercent", &v) && v > 100)
			RULE_ERR(&c->rule, mp->value, "mirror_percent must have a max value of 100 (it has %lld)", v);
		RULE_WARN(&c->rule, mp->key, "using deprecated setting \"mirrorPercent\", use \"mirrorPercentage\" instead");
	}
	const struct node *mpct = field_raw(h, "mirrorPercentage");
	double v;
	if (field_is_map(mpct) && field_typed_num(mpct, "value", &v)) {
		if (v > 100)
			RULE_ERR(&c->rule, field_raw(mpct, "value"), "mirror_percentage must have a max value of 100 (it has %f)", v);
		if (v < 0)
			RULE_ERR(&c->rule, field_raw(mpct, "value"), "mirror_percentage must have a min value of 0 (it has %f)", v);
	}
	check_destination(c, field_raw(h, "mirror"));

	const struct node *mirrors = field_raw(h, "mirrors");
	for (size_t i = 0; i < field_len(mirrors); i++) {
		const struct node *m = mirrors->items[i];
		if (!field_is_map(m))
			continue;        /* null items: the schema's "expected map" */
		if (!field_is_set(field_raw(m, "destination")))
			continue;        /* absent or null: the schema's "missing required field" */
		check_destination(c, field_raw(m, "destination"));
		const struct node *pct = field_raw(m, "percentage");
		if (field_is_map(pct) && field_typed_num(pct, "value", &v)) {
			if (v > 100)
				RULE_ERR(&c->rule, field_raw(pct, "value"), "mirror percentage must have a max value of 100 (it has %f)", v);
			if (v < 0)
				RULE_ERR(&c->rule, field_raw(pct, "value"), "mirror percentage must have a min value of 0 (it has %f)", v);
		}
	}
}

static void check_redirect(struct vs_ctx *c, const struct node *h)
{
	const struct node *rd = field_raw(h, "redirect");
	if (!field_is_map(rd))
		return;
	const char *uri = field_str(rd, "uri"), *prefix = field_str(rd, "prefixRewrite");
	const char *scheme = field_str(rd, "scheme");
	bool has_port = field_is_set(field_raw(rd, "port")) || field_is_set(field_raw(rd, "derivePort"));

	if (*uri && *prefix)
		RULE_ERR(&c->rule, field_later_key(rd, "uri", "prefixRewrite"),
			 "redirect may only contain one of URI or prefix_rewrite");
	if (!*uri && !*prefix && !*field_str(rd, "authority") && !has_port && !*scheme)
		RULE_ERR(&c->rule, rd, "redirect must specify URI, authority, scheme, or port");
	long long code;
	if (field_typed_int(rd, "redirectCode", &code) && code != 0 && (code < 300 || code > 399))
		RULE_ERR(&c->rule, field_raw(rd, "redirectCode"), "%lld is not a valid redirect code, must be 3xx", code);
	if (*scheme && strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		RULE_ERR(&c->rule, field_raw(rd, "scheme"), "invalid redirect scheme, must be \"http\" or \"https\"");
	long long port;
	if (field_typed_int(rd, "port", &port) && port > 0)
		rule_check(&c->rule, field_raw(rd, "port"), prim_check_port(c->rule.a, port));

	/* prefixRewrite replaces the matched prefix: every uri match must be a prefix */
	if (*prefix) {
		const struct node *matches = field_raw(h, "match");
		for (size_t i = 0; i < field_len(matches); i++) {
			const struct node *uri_m = field_raw(matches->items[i], "uri");
			if (!field_is_map(uri_m))
				continue;
			if (field_is_set(field_raw(uri_m, "exact")) || field_is_set(field_raw(uri_m, "regex")))
				RULE_ERR(&c->rule, uri_m, "prefix_rewrite redirect requires every URI match to be a prefix match");
		}
	}
}

/* The decoded size of a base64 string (bytes fields). */
static size_t base64_size(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '=' || s[n - 1] == '\n'))
		n--;
	return n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
}

static void check_direct_response(struct vs_ctx *c, const struct node *dr)
{
	if (!field_is_map(dr))
		return;
	const struct node *body = field_raw(dr, "body");
	if (field_is_map(body)) {
		const struct node *sv = field_raw(body, "string"), *bv = field_raw(body, "bytes");
		const struct node *at = NULL;
		size_t size = 0;
		if (node_str(sv)) {
			at = sv;
			size = sv->len;
		} else if (node_str(bv)) {
			at = bv;
			size = base64_size(bv->text, bv->len);
		}
		if (at && size > 1024 * 1024)
			RULE_ERR(&c->rule, at, "large direct_responses may impact control plane performance, must be less than 1MB");
		else if (at && size > 100 * 1024)
			RULE_WARN(&c->rule, at, "large direct_responses may impact control plane performance");
	}
	const struct node *st = field_raw(dr, "status");
	long long status = 0;
	if (!field_is_set(st) || !field_typed_int(dr, "status", &status))
		return;                  /* absent or null: the schema's; a wrong type too */
	check_http_status(c, st, status);
}

static void check_retries(struct vs_ctx *c, const struct node *rt)
{
	static const char *const policies[] = {
		"5xx", "gateway-error", "reset", "reset-before-request", "connect-failure",
		"retriable-4xx", "refused-stream", "retriable-status-codes",
		"retriable-headers", "envoy-ratelimited", "http3-post-connect-failure",
		"cancelled", "deadline-exceeded", "internal", "resource-exhausted",
		"unavailable",
	};
	/* Go's http.StatusText codes */
	static const short statuses[] = {
		100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
		300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404, 405,
		406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421,
		422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504,
		505, 506, 507, 508, 510, 511,
	};
	if (!field_is_map(rt))
		return;
	long long attempts = 0;
	bool has_attempts = field_typed_int(rt, "attempts", &attempts);
	if (has_attempts && attempts < 0)
		RULE_ERR(&c->rule, field_raw(rt, "attempts"), "attempts cannot be negative");
	const struct node *ptt = field_raw(rt, "perTryTimeout");
	const char *retry_on = field_str(rt, "retryOn");
	bool attempts_bad_type = field_is_set(field_raw(rt, "attempts")) && !has_attempts;
	if (attempts == 0 && !attempts_bad_type && (field_is_set(ptt) || *retry_on || field_is_set(field_raw(rt, "retryRemoteLocalities"))))
		RULE_ERR(&c->rule, has_attempts ? field_raw(rt, "attempts") : rt,
			 "http retry policy configured when attempts are set to 0 (disabled)");
	if (field_is_set(ptt))
		field_check_duration(&c->rule, ptt);
	if (*retry_on) {
		const char *p = retry_on;
		for (;;) {
			const char *comma = strchr(p, ',');
			size_t n = comma ? (size_t)(comma - p) : strlen(p);
			char *tok = arena_strndup(c->rule.a, p, n);
			bool ok = false;
			/* strconv.Atoi then http.StatusText */
			const char *digits = tok + (tok[0] == '+' || tok[0] == '-');
			if (*digits && strspn(digits, "0123456789") == strlen(digits) && strlen(digits) < 6) {
				long code = strtol(tok, NULL, 10);
				for (size_t k = 0; k < sizeof(statuses) / sizeof(statuses[0]) && !ok; k++)
					ok = statuses[k] == code;
			}
			for (size_t k = 0; k < sizeof(policies) / sizeof(policies[0]) && !ok; k++)
				ok = strcmp(tok, policies[k]) == 0;
			if (!ok)
				RULE_ERR(&c->rule, field_raw(rt, "retryOn"), "%s is not a valid retryOn policy", prim_go_quote(c->rule.a, tok));
			if (!comma)
				break;
			p = comma + 1;
		}
	}
	const struct node *backoff = field_raw(rt, "backoff");
	if (field_is_set(backoff))
		field_check_duration(&c->rule, backoff);
}

static void check_rewrite(struct vs_ctx *c, const struct node *rw)
{
	if (!field_is_map(rw))
		return;
	const char *uri = field_str(rw, "uri");
	const struct node *rr = field_raw(rw, "uriRegexRewrite");
	if (*uri && field_is_set(rr)) {
		RULE_ERR(&c->rule, field_later_key(rw, "uri", "uriRegexRewrite"),
			 "rewrite may only contain one of URI or UriRegexRewrite");
		return;
	}
	if (!*uri && !field_is_set(rr) && !*field_str(rw, "authority")) {
		RULE_ERR(&c->rule, rw, "rewrite must specify at least one of URI, UriRegexRewrite, or authority. "
			 "Only one of URI or UriRegexRewrite may be specified");
		return;
	}
	if (!field_is_map(rr))
		return;
	const struct node *match = field_raw(rr, "match");
	if (!*field_str(rr, "match") || !*field_str(rr, "rewrite")) {
		RULE_ERR(&c->rule, rr, "UriRegexRewrite has errors: UriRegexRewrite requires both Rewrite "
			 "and Match fields to be specified");
		return;
	}
	check_regex(c, match, match->text, "HTTPRewrite.UriRegexRewrite.Match");
}

/* validateAuthorityRewrite: the authority may be rewritten in one place only. */
static void check_authority_rewrite(struct vs_ctx *c, const struct node *h)
{
	const char *current = field_str(field_raw(h, "rewrite"), "authority");
	const struct node *req = field_raw(field_raw(h, "headers"), "request");
	static const char *const ops[] = { "set", "add" };

	for (int o = 0; o < 2; o++) {
		const struct node *m = field_raw(req, ops[o]);
		if (!field_is_map(m))
			continue;
		for (size_t i = 0; i < m->n; i++) {
			const struct node_pair *p = &m->pairs[i];
			if (!prim_is_authority_header(p->key->text))
				continue;
			const char *v = node_str(p->value);
			if (!v)
				continue;
			if (*current) {
				RULE_ERR(&c->rule, p->key, "authority header cannot be set multiple times: "
					 "have %s, attempting to set %s", prim_go_quote(c->rule.a, current), prim_go_quote(c->rule.a, v));
				return;
			}
			current = v;
		}
	}
}

static void check_http_route(struct vs_ctx *c, const struct node *h)
{
	enum route_type type = c->delegate ? ROUTE_DELEGATE
		: field_is_set(field_raw(h, "delegate")) ? ROUTE_ROOT : ROUTE_INDEPENDENT;

	check_route_conflicts(c, h, type);
	const struct node *matches = field_raw(h, "match");
	for (size_t i = 0; i < field_len(matches); i++)
		if (field_is_map(matches->items[i]))
			check_http_match(c, matches->items[i]);
	check_header_ops(c, field_raw(h, "headers"));
	check_cors(c, field_raw(h, "corsPolicy"));
	check_fault(c, field_raw(h, "fault"));
	check_mirrors(c, h);
	check_redirect(c, h);
	check_direct_response(c, field_raw(h, "directResponse"));
	check_retries(c, field_raw(h, "retries"));
	check_rewrite(c, field_raw(h, "rewrite"));
	check_authority_rewrite(c, h);
	check_destinations(c, field_raw(h, "route"), field_key(h, "route"), true);
	const struct node *timeout = field_raw(h, "timeout");
	if (field_is_set(timeout))
		field_check_duration(&c->rule, timeout);
}

/* ---- TLS and TCP routes ---- */

/* ValidateWildcardDomainForVirtualServiceBoundToGateway */
static const char *gateway_bound_host(struct vs_ctx *c, bool sni, const char *domain)
{
	size_t n = strlen(domain);
	if (n == 0)
		return "empty domain name not allowed";
	if (n > 255)
		return arena_printf(c->rule.a, "domain name %s too long (max 255)", prim_go_quote(c->rule.a, domain));
	if (!sni || strncmp(domain, "outbound_", 9) != 0)
		return prim_check_wildcard_domain(c->rule.a, domain);

	/* outbound_.<port>_._.<hostname>: split on '_' */
	const char *parts[4];
	size_t lens[4], np = 0;
	for (const char *p = domain; np < 4;) {
		const char *u = strchr(p, '_');
		parts[np] = p;
		lens[np++] = u ? (size_t)(u - p) : strlen(p);
		if (!u)
			break;
		p = u + 1;
	}
	if (np < 4)
		return arena_printf(c->rule.a, "domain name %s invalid, should follow "
				    "'outbound_.<port>_._.<hostname>' format", domain);
	/*
	 * Go trims the dots around the port and hostname parts
	 * (strings.Trim(part, ".")), then requires a digit in the port and a
	 * letter in the hostname (unanchored regexes).
	 */
	const char *port = parts[1], *hostname = parts[3];
	size_t pn = lens[1], hn = lens[3];
	while (pn > 0 && *port == '.') {
		port++;
		pn--;
	}
	while (pn > 0 && port[pn - 1] == '.')
		pn--;
	while (hn > 0 && *hostname == '.') {
		hostname++;
		hn--;
	}
	while (hn > 0 && hostname[hn - 1] == '.')
		hn--;
	bool digit = false, letter = false;
	for (size_t i = 0; i < pn; i++)
		digit |= port[i] >= '0' && port[i] <= '9';
	for (size_t i = 0; i < hn; i++)
		letter |= (hostname[i] | 0x20) >= 'a' && (hostname[i] | 0x20) <= 'z';
	if (!digit)
		return arena_printf(c->rule.a, "domain name %s invalid (label %s invalid). should follow "
				    "outbound_.<port>_._.<hostname> format", prim_go_quote(c->rule.a, domain),
				    prim_go_quote(c->rule.a, arena_strndup(c->rule.a, port, pn)));
	if (!letter)
		return arena_printf(c->rule.a, "domain name %s invalid (label %s invalid). should follow "
				    "outbound_.<port>_._.<hostname> format", prim_go_quote(c->rule.a, domain),
				    prim_go_quote(c->rule.a, arena_strndup(c->rule.a, hostname, hn)));
	return NULL;
}

static void check_sni_host(struct vs_ctx *c, const struct node *item)
{
	const char *sni = node_str(item);
	if (!sni)
		return;
	const char *e = c->gateway ? gateway_bound_host(c, true, sni)
		: prim_check_wildcard_domain(c->rule.a, sni);
	if (e) {
		if (prim_is_ip(sni))
			RULE_WARN(&c->rule, item, "using an IP address (%s) goes against SNI spec and most "
				  "clients do not support this", prim_go_quote(c->rule.a, sni));
		else
			RULE_ERR(&c->rule, item, "%s", e);
		return;
	}
	char *hosts = arena_strdup(c->rule.a, "");
	for (size_t i = 0; i < field_len(c->hosts); i++) {
		const char *h = node_str(c->hosts->items[i]);
		if (!h)
			continue;
		if (prim_host_subset_of(sni, h))
			return;
		hosts = arena_printf(c->rule.a, "%s%s%s", hosts, i ? ", " : "", h);
	}
	RULE_ERR(&c->rule, item, "SNI host %s is not a compatible subset of any of the virtual service "
		 "hosts: [%s]", prim_go_quote(c->rule.a, sni), hosts);
}

/* The L4 match fields TLS and TCP matches share. */
static void check_l4_match(struct vs_ctx *c, const struct node *m)
{
	const struct node *subnets = field_raw(m, "destinationSubnets");
	for (size_t i = 0; i < field_len(subnets); i++) {
		const char *s = node_str(subnets->items[i]);
		if (s)
			rule_check(&c->rule, subnets->items[i], prim_check_ip_or_cidr(c->rule.a, s));
	}
	long long port;
	if (field_typed_int(m, "port", &port) && port != 0)
		rule_check(&c->rule, field_raw(m, "port"), prim_check_port(c->rule.a, port));
	field_check_labels(&c->rule, field_raw(m, "sourceLabels"));
	check_gateway_names(c, field_raw(m, "gateways"));
}

static void check_tls_route(struct vs_ctx *c, const struct node *t)
{
	/* absent match/sniHosts and null items are the schema's to report */
	const struct node *matches = field_raw(t, "match");
	if (matches && field_list_empty(matches))
		RULE_ERR(&c->rule, t, "TLS route must have at least one match condition");
	for (size_t i = 0; i < field_len(matches); i++) {
		const struct node *m = matches->items[i];
		if (!field_is_map(m))
			continue;
		const struct node *sni = field_raw(m, "sniHosts");
		if (sni && field_list_empty(sni))
			RULE_ERR(&c->rule, m, "TLS match must have at least one SNI host");
		for (size_t k = 0; k < field_len(sni); k++)
			check_sni_host(c, sni->items[k]);
		check_l4_match(c, m);
	}
	if (field_list_empty(field_raw(t, "route")))
		RULE_ERR(&c->rule, t, "TLS route is required");
	check_destinations(c, field_raw(t, "route"), field_key(t, "route"), false);
}

static void check_tcp_route(struct vs_ctx *c, const struct node *t)
{
	const struct node *matches = field_raw(t, "match");
	for (size_t i = 0; i < field_len(matches); i++) {
		const struct node *m = matches->items[i];
		if (!field_is_map(m))
			continue;        /* null items: the schema's "expected map" */
		check_l4_match(c, m);
		/* Istio never validates sourceSubnet; a bad one silently matches nothing */
		const struct node *ss = field_raw(m, "sourceSubnet");
		const char *s = node_str(ss);
		const char *e = s && *s ? prim_check_ip_or_cidr(c->rule.a, s) : NULL;
		if (e)
			rule_report(&c->rule, MSH0201, ss, "%s (Istio does not validate sourceSubnet)", e);
	}
	if (field_list_empty(field_raw(t, "route")))
		RULE_ERR(&c->rule, t, "TCP route is required");
	check_destinations(c, field_raw(t, "route"), field_key(t, "route"), false);
}

/* ---- the VirtualService ---- */

static void check_hosts(struct vs_ctx *c, bool mesh)
{
	const struct node *hosts = c->hosts;
	bool all_valid = true;

	for (size_t i = 0; i < field_len(hosts); i++) {
		const struct node *item = hosts->items[i];
		const char *h = node_str(item);
		if (!h) {
			all_valid = false;
			continue;
		}
		const char *e = c->gateway ? gateway_bound_host(c, c->sni, h)
			: prim_check_wildcard_domain(c->rule.a, h);
		if (e) {
			if (!prim_is_ip(h)) {
				RULE_ERR(&c->rule, item, "%s", e);
				all_valid = false;
			}
		} else if (mesh && strcmp(h, "*") == 0) {
			RULE_ERR(&c->rule, item, "wildcard host * is not allowed for virtual services bound to the mesh gateway");
			all_valid = false;
		}
	}
	if (!all_valid)
		return;
	for (size_t i = 0; i < field_len(hosts); i++)
		for (size_t j = i + 1; j < field_len(hosts); j++) {
			const char *a = node_str(hosts->items[i]), *b = node_str(hosts->items[j]);
			if (prim_host_matches(a, b))
				RULE_ERR(&c->rule, hosts->items[j], "duplicate hosts in virtual service: %s & %s", a, b);
		}
}

void rules_virtual_service(struct diag_list *d, const struct resource *r,
			   const struct meshc_options *opt)
{
	struct vs_ctx c = { .rule = RULE_CTX(d, r) };
	const struct node *spec = r->spec;
	(void)opt;

	field_check_metadata(&c.rule);
	if (!spec) {
		/* an absent spec decodes as an empty one; a non-map spec is the schema's */
		if (!node_get_pair(r->root, "spec"))
			RULE_ERR(&c.rule, r->root, "http, tcp or tls must be provided in virtual service");
		return;
	}
	c.hosts = field_raw(spec, "hosts");
	c.delegate = field_len(c.hosts) == 0;
	const struct node *gateways = field_raw(spec, "gateways");
	const struct node *http = field_raw(spec, "http"), *tls = field_raw(spec, "tls");
	const struct node *tcp = field_raw(spec, "tcp");

	if (c.delegate) {
		if (field_len(gateways))
			RULE_ERR(&c.rule, field_key(spec, "gateways"), "delegate virtual service must have no gateways specified");
		if (field_len(tls))
			RULE_ERR(&c.rule, field_key(spec, "tls"), "delegate virtual service must have no tls route specified");
		if (field_len(tcp))
			RULE_ERR(&c.rule, field_key(spec, "tcp"), "delegate virtual service must have no tcp route specified");
	}

	bool mesh = true;
	if (field_len(gateways)) {
		check_gateway_names(&c, gateways);
		c.gateway = true;
		for (size_t i = 0; i < gateways->n; i++) {
			const char *g = node_str(gateways->items[i]);
			if (g && strcmp(g, "mesh") == 0)
				c.gateway = false;
		}
		mesh = !c.gateway;
	}
	for (size_t i = 0; i < field_len(tls) && !c.sni; i++) {
		const struct node *ms = field_raw(tls->items[i], "match");
		for (size_t k = 0; k < field_len(ms) && !c.sni; k++)
			c.sni = field_len(field_raw(ms->items[k], "sniHosts")) > 0;
	}

	if (!c.gateway)
		for (size_t i = 0; i < field_len(http); i++) {
			const struct node *ms = field_raw(http->items[i], "match");
			for (size_t k = 0; k < field_len(ms); k++) {
				check_jwt_claims(&c, field_raw(ms->items[k], "headers"), gateways);
				check_jwt_claims(&c, field_raw(ms->items[k], "withoutHeaders"), gateways);
			}
		}

	check_hosts(&c, mesh);

	if (!field_len(http) && !field_len(tcp) && !field_len(tls))
		RULE_ERR(&c.rule, spec, "http, tcp or tls must be provided in virtual service");
	for (size_t i = 0; i < field_len(http); i++) {
		/* a null route is the schema's "expected map" */
		if (field_is_map(http->items[i]))
			check_http_route(&c, http->items[i]);
	}
	for (size_t i = 0; i < field_len(tls); i++)
		if (field_is_map(tls->items[i]))
			check_tls_route(&c, tls->items[i]);
	for (size_t i = 0; i < field_len(tcp); i++)
		if (field_is_map(tcp->items[i]))
			check_tcp_route(&c, tcp->items[i]);
	field_check_export_to(&c.rule, field_raw(spec, "exportTo"), PRIM_EXPORT_DEFAULT);
}
