/*
 * Istio's admission rules for a DestinationRule (istio.md §2.6,
 * ValidateDestinationRule in pkg/config/validation and the agent package's
 * client TLS and locality checks). Reports IST0106 for errors and IST0133
 * for warnings, each at the most specific node: the offending value, or
 * the mapping that lacks a required setting. What the CRD schema and its
 * CEL rules already reject (required fields, ranges, durations under 1ms,
 * `*` and empty keys in workloadSelector.matchLabels, null list items) is
 * the schema layer's (schema.c) and not repeated here.
 *
 * Traffic policies appear at the top level, in every subset and (reduced)
 * per port; one set of functions walks all of them. Values are read as
 * Istio's protojson decoder reads them: proto and JSON field names alike,
 * enums by name or number, integers quoted or not, an explicit null as
 * unset. Wrong types are the schema layer's business and skipped here.
 *
 * Where Istio's messages are known they are kept verbatim; the rules newer
 * than the Go sources read (zone-aware load balancing, http2KeepAlive,
 * cookie attributes) use messages in the same style.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "fields.h"
#include "prim.h"

/*
 * ValidateDuration on a duration field when it is set and parses; an
 * unparseable value is the schema layer's to report.
 */
/* ValidatePercent on an int32 field. */
static void check_percent(struct rule_ctx *c, const struct node *map,
			  const char *json)
{
	const struct node *v = field_value(map, json);
	long long n;
	if (field_as_int(v, &n) && (n < 0 || n > 100))
		RULE_ERR(c, v, "percentage %lld is not in range 0..100", n);
}

static void check_outlier(struct rule_ctx *c, const struct node *od)
{
	field_check_duration(c, field_value(od, "baseEjectionTime"));
	const struct node *ce = field_value(od, "consecutiveErrors");
	if (field_int(od, "consecutiveErrors") != 0)
		RULE_WARN(c, ce, "outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead");
	const struct node *lof = field_value(od, "consecutiveLocalOriginFailures");
	if (!field_true(od, "splitExternalLocalOriginErrors") &&
	    field_int(od, "consecutiveLocalOriginFailures") > 0)
		RULE_ERR(c, lof, "outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false");
	field_check_duration(c, field_value(od, "interval"));
	check_percent(c, od, "maxEjectionPercent");
	check_percent(c, od, "minHealthPercent");
}

/* A field of an int32 setting that must not be negative. */
static void check_non_negative(struct rule_ctx *c, const struct node *map,
			       const char *json, const char *what)
{
	if (field_int(map, json) < 0)
		RULE_ERR(c, field_value(map, json), "%s must be non-negative", what);
}

static const char *const h2_upgrade_names[] = { "DEFAULT", "DO_NOT_UPGRADE", "UPGRADE" };

static void check_connection_pool(struct rule_ctx *c, const struct node *cp)
{
	const struct node *http = field_value(cp, "http");
	const struct node *tcp = field_value(cp, "tcp");
	if (!http && !tcp) {
		RULE_ERR(c, cp, "connection pool must have at least one field");
		return;
	}
	if (http && http->type == NODE_MAP) {
		check_non_negative(c, http, "http1MaxPendingRequests", "http1 max pending requests");
		check_non_negative(c, http, "http2MaxRequests", "http2 max requests");
		check_non_negative(c, http, "maxRequestsPerConnection", "max requests per connection");
		check_non_negative(c, http, "maxRetries", "max retries");
		field_check_duration(c, field_value(http, "idleTimeout"));
		if (field_enum(http, "h2UpgradePolicy", h2_upgrade_names, 3, 0) == 2 &&
		    field_true(http, "useClientProtocol"))
			RULE_ERR(c, field_value(http, "useClientProtocol"), "use client protocol must not be true when H2UpgradePolicy is UPGRADE");
		check_non_negative(c, http, "maxConcurrentStreams", "max concurrent streams");
		const struct node *ka = field_map(http, "http2KeepAlive");
		if (ka) {
			if (!field_value(ka, "interval"))
				RULE_ERR(c, ka, "http2KeepAlive requires interval to be set");
			if (!field_value(ka, "timeout"))
				RULE_ERR(c, ka, "http2KeepAlive requires timeout to be set");
			field_check_duration(c, field_value(ka, "interval"));
			field_check_duration(c, field_value(ka, "timeout"));
		}
	}
	if (tcp && tcp->type == NODE_MAP) {
		check_non_negative(c, tcp, "maxConnections", "max connections");
		field_check_duration(c, field_value(tcp, "connectTimeout"));
		field_check_duration(c, field_value(tcp, "maxConnectionDuration"));
		/* 0s disables the idle timeout, so it alone is exempt. */
		const struct node *idle = field_value(tcp, "idleTimeout");
		long long ns;
		if (node_str(idle) && prim_parse_duration(idle->text, &ns) &&
		    ns / 1000000 != 0)
			field_check_duration(c, field_value(tcp, "idleTimeout"));
		const struct node *ka = field_map(tcp, "tcpKeepalive");
		if (ka) {
			field_check_duration(c, field_value(ka, "time"));
			field_check_duration(c, field_value(ka, "interval"));
		}
	}
}

/*
 * Envoy's primality test for maglev table sizes (source/common/common/
 * utility.cc): 1, 2 and 3 count as prime, other even numbers do not, odd
 * numbers are trial-divided up to floor(sqrt(x)) computed in double. For
 * sizes beyond 2^42 trial division is too slow, so a deterministic
 * Miller-Rabin test stands in (it agrees with Envoy except on squares of
 * primes above 2^26, where Envoy's rounded limit can miss the root, and
 * those sizes are rejected as too large anyway).
 */
static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
	uint64_t res = 0;
	a %= m;
	while (b) {
		if (b & 1)
			res = (res >= m - a) ? res - (m - a) : res + a;
		a = (a >= m - a) ? a - (m - a) : a + a;
		b >>= 1;
	}
	return res;
}

static uint64_t powmod(uint64_t b, uint64_t e, uint64_t m)
{
	uint64_t res = 1 % m;
	b %= m;
	while (e) {
		if (e & 1)
			res = mulmod(res, b, m);
		b = mulmod(b, b, m);
		e >>= 1;
	}
	return res;
}

static bool envoy_is_prime(uint64_t x)
{
	if (x != 0 && x < 4)
		return true;
	if ((x & 1) == 0)
		return false;
	if (x < (UINT64_C(1) << 42)) {
		uint64_t limit = (uint64_t)sqrt((double)x);
		for (uint64_t f = 3; f <= limit; f += 2)
			if (x % f == 0)
				return false;
		return true;
	}
	static const uint64_t bases[] = { 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37 };
	uint64_t dd = x - 1;
	int s = 0;
	while ((dd & 1) == 0) {
		dd >>= 1;
		s++;
	}
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		uint64_t y = powmod(bases[i], dd, x);
		if (y == 1 || y == x - 1)
			continue;
		bool composite = true;
		for (int k = 1; k < s && composite; k++) {
			y = mulmod(y, y, x);
			if (y == x - 1)
				composite = false;
		}
		if (composite)
			return false;
	}
	return true;
}

/* An unsigned 64-bit integer field (tableSize); false when unreadable. */
static bool node_u64(const struct node *n, uint64_t *out)
{
	if (!n || (n->type != NODE_INT && n->type != NODE_STR) || !n->text || n->len == 0)
		return false;
	if (n->type == NODE_INT && !n->int_overflow) {
		if (node_ival(n) < 0)
			return false;
		*out = (uint64_t)node_ival(n);
		return true;
	}
	if (n->text[0] < '0' || n->text[0] > '9')
		return false;
	char *end;
	unsigned long long v = strtoull(n->text, &end, 10);
	if (*end != '\0')
		return false;
	*out = v;
	return true;
}

static void check_consistent_hash(struct rule_ctx *c, const struct node *ch)
{
	const struct node *cookie = field_map(ch, "httpCookie");
	if (cookie) {
		/* A missing name is the schema layer's (required); Go also rejects "". */
		const struct node *name = field_value(cookie, "name");
		if (name && !field_nonempty_str(cookie, "name"))
			RULE_ERR(c, name, "name required for HttpCookie");
		const struct node *attrs = field_value(cookie, "attributes");
		if (attrs && attrs->type == NODE_SEQ) {
			for (size_t i = 0; i < attrs->n; i++) {
				const struct node *a = attrs->items[i];
				if (!a || a->type != NODE_MAP)
					continue;
				const struct node *an = field_value(a, "name");
				const char *s = node_str(an);
				if (!s)
					continue;   /* missing: required by the schema */
				if (!s[0]) {
					RULE_ERR(c, an, "cookie attribute name cannot be empty");
					continue;
				}
				for (size_t j = 0; j < i; j++) {
					const char *prev = node_str(field_value(attrs->items[j], "name"));
					if (prev && strcmp(prev, s) == 0) {
						RULE_ERR(c, an, "duplicate cookie attribute name: %s", s);
						break;
					}
				}
			}
		}
	}
	const struct node *mrs = field_value(ch, "minimumRingSize");
	uint64_t v;
	if (node_u64(mrs, &v) && v != 0) {
		RULE_WARN(c, mrs, "consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead");
		if (field_value(ch, "ringHash") || field_value(ch, "maglev"))
			RULE_ERR(c, mrs, "only one of MinimumRingSize or Maglev/Ringhash can be specified");
	}
	const struct node *maglev = field_map(ch, "maglev");
	if (maglev) {
		const struct node *ts = field_value(maglev, "tableSize");
		uint64_t size = 0;
		if (ts && !node_u64(ts, &size))
			return;   /* wrong type: the schema layer reports it */
		const struct node *at = ts ? ts : maglev;
		if (size == 0)
			RULE_ERR(c, at, "tableSize must be set for maglev");
		if (size >= 5000011)
			RULE_ERR(c, at, "tableSize must be less than 5000011 for maglev");
		if (!envoy_is_prime(size))
			RULE_ERR(c, at, "tableSize must be a prime number for maglev");
	}
}

/* A locality `region[/zone[/subzone]]` split into three parts ("*" fills). */
struct locality {
	const char *region, *zone, *sub;
	size_t rlen, zlen, slen;
	int level;              /* 0 region, 1 zone, 2 subzone */
};

static bool part_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* SplitN(s, "/", 3); false when any part is empty. */
static bool locality_parse(const char *s, struct locality *l)
{
	const char *p[3] = { "*", "*", "*" };
	size_t len[3] = { 1, 1, 1 };
	int n = 0;
	const char *start = s;
	for (;;) {
		const char *slash = n < 2 ? strchr(start, '/') : NULL;
		size_t plen = slash ? (size_t)(slash - start) : strlen(start);
		if (plen == 0)
			return false;
		p[n] = start;
		len[n] = plen;
		n++;
		if (!slash)
			break;
		start = slash + 1;
	}
	l->region = p[0]; l->rlen = len[0];
	l->zone = p[1];   l->zlen = len[1];
	l->sub = p[2];    l->slen = len[2];
	l->level = n - 1;
	return true;
}

/*
 * validateLocalities over `n` locality strings: wildcards only as the last
 * character and at most one, no empty parts, no entry covering or
 * repeating an earlier one. Reports the first problem (Istio stops there)
 * at at[i]. Returns false when it reported.
 */
static bool check_localities(struct rule_ctx *c, const char *const *texts,
			     const struct node *const *at, size_t n)
{
	struct locality *seen = arena_alloc(c->a, (n ? n : 1) * sizeof(*seen));
	size_t nseen = 0;
	for (size_t i = 0; i < n; i++) {
		const char *loc = texts[i];
		size_t stars = 0, len = strlen(loc);
		for (size_t k = 0; k < len; k++)
			stars += loc[k] == '*';
		if (stars > 0 && (stars > 1 || loc[len - 1] != '*')) {
			RULE_ERR(c, at[i], "locality %s wildcard '*' number can not exceed 1 and must be in the end", loc);
			return false;
		}
		bool overlap = false;
		for (size_t k = 0; k < nseen && !overlap; k++)
			overlap = seen[k].level == 0 && part_eq(seen[k].region, seen[k].rlen, "*", 1);
		if (overlap) {
			RULE_ERR(c, at[i], "locality %s overlap with previous specified ones", loc);
			return false;
		}
		struct locality l;
		if (!locality_parse(loc, &l)) {
			RULE_ERR(c, at[i], "locality %s must not contain empty region/zone/subzone info", loc);
			return false;
		}
		bool region_seen = false, zone_any = false, zone_seen = false,
		     sub_any = false, sub_seen = false;
		for (size_t k = 0; k < nseen; k++) {
			const struct locality *s = &seen[k];
			if (!part_eq(s->region, s->rlen, l.region, l.rlen))
				continue;
			region_seen = true;
			if (part_eq(s->zone, s->zlen, "*", 1))
				zone_any = true;
			if (!part_eq(s->zone, s->zlen, l.zone, l.zlen))
				continue;
			zone_seen = true;
			if (part_eq(s->sub, s->slen, "*", 1))
				sub_any = true;
			if (part_eq(s->sub, s->slen, l.sub, l.slen))
				sub_seen = true;
		}
		switch (l.level) {
		case 0:
			overlap = region_seen;
			break;
		case 1:
			overlap = region_seen && (zone_any || zone_seen);
			break;
		default:
			overlap = region_seen && (zone_any || (zone_seen && (sub_any || sub_seen)));
			break;
		}
		if (overlap) {
			RULE_ERR(c, at[i], "locality %s overlap with previous specified ones", loc);
			return false;
		}
		seen[nseen++] = l;
	}
	return true;
}

static bool is_topology_label(const char *s)
{
	return strcmp(s, "topology.kubernetes.io/region") == 0 ||
	       strcmp(s, "topology.kubernetes.io/zone") == 0 ||
	       strcmp(s, "topology.istio.io/subzone") == 0;
}

/* The `failover` entries of locality or zone-aware settings. */
static void check_failover_entries(struct rule_ctx *c,
				   const struct node *failover)
{
	for (size_t i = 0; i < failover->n; i++) {
		const struct node *f = failover->items[i];
		if (!f || f->type != NODE_MAP)
			continue;
		const char *from = node_str(field_value(f, "from"));
		const char *to = node_str(field_value(f, "to"));
		from = from ? from : "";
		to = to ? to : "";
		if (strcmp(from, to) == 0)
			RULE_ERR(c, f, "locality lb failover settings must specify different regions");
		if (strchr(from, '/') || strchr(to, '/'))
			RULE_ERR(c, f, "locality lb failover only specify region");
		if (strchr(from, '*') || strchr(to, '*'))
			RULE_ERR(c, f, "locality lb failover region should not contain '*' wildcard");
	}
}

/* `distribute`: weights 1..100 summing to 100 per entry, sound localities. */
static bool check_distribute(struct rule_ctx *c, const struct node *dist)
{
	const char **from_text = arena_alloc(c->a, dist->n * sizeof(*from_text));
	const struct node **from_at = arena_alloc(c->a, dist->n * sizeof(*from_at));
	size_t nfrom = 0;
	for (size_t i = 0; i < dist->n; i++) {
		const struct node *e = dist->items[i];
		if (!e || e->type != NODE_MAP)
			continue;
		const struct node *from = field_value(e, "from");
		from_text[nfrom] = node_str(from) ? from->text : "";
		from_at[nfrom++] = from ? from : e;

		const struct node *to = field_map(e, "to");
		size_t nto = to ? to->n : 0;
		const char **to_text = arena_alloc(c->a, (nto + 1) * sizeof(*to_text));
		const struct node **to_at = arena_alloc(c->a, (nto + 1) * sizeof(*to_at));
		unsigned long long total = 0;
		for (size_t k = 0; k < nto; k++) {
			long long w = 0;
			const struct node *wn = to->pairs[k].value;
			if (!field_as_int(wn, &w) || w <= 0 || w > 100) {
				RULE_ERR(c, wn, "locality weight must be in range [1, 100]");
				return false;
			}
			total += (unsigned long long)w;
			to_text[k] = to->pairs[k].key->text ? to->pairs[k].key->text : "";
			to_at[k] = wn;
		}
		if (total != 100) {
			RULE_ERR(c, to ? to : e, "total locality weight %llu != 100", total);
			return false;
		}
		if (!check_localities(c, to_text, to_at, nto))
			return false;
	}
	return check_localities(c, from_text, from_at, nfrom);
}

/* ValidateLocalityLbSetting; `outlier` tells whether outlier detection is set. */
static void check_locality_lb(struct rule_ctx *c, const struct node *lb,
			      bool outlier)
{
	const struct node *dist = field_nonempty_list(lb, "distribute");
	const struct node *failover = field_nonempty_list(lb, "failover");
	const struct node *prio = field_nonempty_list(lb, "failoverPriority");

	if (dist && failover) {
		RULE_ERR(c, failover, "can not simultaneously specify 'distribute' and 'failover'");
		return;
	}
	if (failover && prio) {
		for (size_t i = 0; i < prio->n; i++) {
			const char *label = node_str(prio->items[i]);
			if (label && is_topology_label(label)) {
				RULE_ERR(c, prio->items[i], "can not simultaneously set 'failover' and topology label '%s' in 'failover_priority'", label);
				return;
			}
		}
	}
	if (dist && !check_distribute(c, dist))
		return;
	if ((failover || prio) && !outlier)
		RULE_WARN(c, failover ? failover : prio, "outlier detection policy must be provided for failover");
	if (failover)
		check_failover_entries(c, failover);
}

/*
 * zoneAwareLbSetting: Envoy derives the zone levels itself, so topology
 * labels may not be listed in failoverPriority; failover entries follow
 * the locality rules.
 */
static void check_zone_aware_lb(struct rule_ctx *c, const struct node *za,
				bool outlier)
{
	const struct node *failover = field_nonempty_list(za, "failover");
	const struct node *prio = field_nonempty_list(za, "failoverPriority");
	for (size_t i = 0; prio && i < prio->n; i++) {
		const char *label = node_str(prio->items[i]);
		if (label && is_topology_label(label))
			RULE_ERR(c, prio->items[i], "zoneAwareLbSetting failoverPriority must not contain topology label '%s'", label);
	}
	if ((failover || prio) && !outlier)
		RULE_WARN(c, failover ? failover : prio, "outlier detection policy must be provided for failover");
	if (failover)
		check_failover_entries(c, failover);
}

static void check_load_balancer(struct rule_ctx *c, const struct node *lb,
				bool outlier)
{
	const struct node *ch = field_map(lb, "consistentHash");
	if (ch)
		check_consistent_hash(c, ch);

	const struct node *loc = field_map(lb, "localityLbSetting");
	const struct node *za = field_map(lb, "zoneAwareLbSetting");
	if (loc && za)
		RULE_ERR(c, za, "only one of localityLbSetting or zoneAwareLbSetting can be set");
	if (loc)
		check_locality_lb(c, loc, outlier);
	if (za)
		check_zone_aware_lb(c, za, outlier);

	const struct node *warm = field_map(lb, "warmup");
	if (warm) {
		/*
		 * A missing duration, minimumPercent above 100 and a negative
		 * aggression break the CRD schema too (required, maximum 100,
		 * minimum 0): the schema layer reports those. Go alone rejects
		 * an aggression of exactly 0.
		 */
		field_check_duration(c, field_value(warm, "duration"));
		const struct node *ag = field_value(warm, "aggression");
		double v;
		if (field_as_num(ag, &v) && v == 0)
			RULE_ERR(c, ag, "aggression should be greater than 0");
	}
}

/* ValidateTLS (agent package) on a client TLS mapping. */
static const char *const client_tls_names[] = { "DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL" };

static void check_client_tls(struct rule_ctx *c, const struct node *tls)
{
	const char *ns = c->r->namespace ? c->r->namespace : "";
	const struct node *cred = field_nonempty_str(tls, "credentialName");
	static const char cm[] = "configmap://";
	if (cred && strncmp(cred->text, cm, sizeof(cm) - 1) == 0) {
		/* configmap://name or configmap://namespace/name */
		const char *rest = cred->text + sizeof(cm) - 1;
		const char *slash = strchr(rest, '/');
		if (rest[0] == '\0' || (slash && (slash == rest || slash[1] == '\0' || strchr(slash + 1, '/'))))
			RULE_ERR(c, cred, "invalid configmap:// credentialName: invalid resource name \"%s\". Expected name or namespace/name", rest);
		else if ((slash && (strlen(ns) != (size_t)(slash - rest) ||
				    strncmp(rest, ns, (size_t)(slash - rest)) != 0)) || ns[0] == '\0')
			RULE_ERR(c, cred, "invalid configmap:// credentialName: namespace must match the configuration namespace \"%s\"", ns);
	}

	int mode = field_enum(tls, "mode", client_tls_names, 4, 0);
	const struct node *ca = field_nonempty_str(tls, "caCertificates");
	/* protojson leaves an empty list nil, which Go does not count. */
	const struct node *san = field_value(tls, "subjectAltNames");
	if (san && (san->type != NODE_SEQ || san->n == 0))
		san = NULL;
	if (field_true(tls, "insecureSkipVerify")) {
		const struct node *skip = field_value(tls, "insecureSkipVerify");
		if (mode == 1 && (ca || cred || san))
			RULE_ERR(c, skip, "cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true");
		if (mode == 2 && (ca || san))
			RULE_ERR(c, skip, "cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true");
	}
	if ((mode == 1 || mode == 2) && cred) {
		const struct node *extra[] = {
			field_nonempty_str(tls, "clientCertificate"), ca,
			field_nonempty_str(tls, "privateKey"), field_nonempty_str(tls, "caCrl"),
		};
		for (size_t i = 0; i < 4; i++) {
			if (extra[i]) {
				RULE_ERR(c, extra[i], "cannot specify client certificates or CA certificate or CA CRL If credentialName is set");
				break;
			}
		}
		return;
	}
	if (mode == 2) {
		if (!field_nonempty_str(tls, "clientCertificate"))
			RULE_ERR(c, tls, "client certificate required for mutual tls");
		if (!field_nonempty_str(tls, "privateKey"))
			RULE_ERR(c, tls, "private key required for mutual tls");
	}
}

/* proxyProtocol and tunnel settings of a top-level or subset policy. */
static void check_tunnel(struct rule_ctx *c, const struct node *tunnel)
{
	const struct node *proto = field_value(tunnel, "protocol");
	const char *p = node_str(proto);
	if (p && p[0] && strcmp(p, "CONNECT") != 0 && strcmp(p, "POST") != 0)
		RULE_ERR(c, proto, "tunnel protocol must be \"CONNECT\" or \"POST\"");
	const struct node *host = field_value(tunnel, "targetHost");
	const char *h = node_str(host);
	if (host && h) {
		const char *fe = prim_check_fqdn(c->a, h);
		if (fe && !prim_is_ip(h))
			RULE_ERR(c, host, "tunnel target host must be valid FQDN or IP address: %s; %s is not a valid IP", fe, h);
	}
	const struct node *port = field_value(tunnel, "targetPort");
	long long n;
	if (port && field_as_int(port, &n)) {
		const char *e = prim_check_port(c->a, n);
		if (e)
			RULE_ERR(c, port, "tunnel target port is invalid: %s", e);
	}
}

static void check_policy_parts(struct rule_ctx *c, const struct node *tp)
{
	const struct node *od = field_map(tp, "outlierDetection");
	if (od)
		check_outlier(c, od);
	const struct node *cp = field_map(tp, "connectionPool");
	if (cp)
		check_connection_pool(c, cp);
	const struct node *lb = field_map(tp, "loadBalancer");
	if (lb)
		check_load_balancer(c, lb, field_value(tp, "outlierDetection") != NULL);
	const struct node *tls = field_map(tp, "tls");
	if (tls)
		check_client_tls(c, tls);
}

static void check_port_level(struct rule_ctx *c, const struct node *pls)
{
	for (size_t i = 0; i < pls->n; i++) {
		const struct node *p = pls->items[i];
		if (!p || p->type != NODE_MAP)
			continue;   /* null items: the schema layer */
		if (!field_value(p, "port"))
			RULE_ERR(c, p, "portTrafficPolicy must have valid port");
		if (!field_value(p, "outlierDetection") && !field_value(p, "connectionPool") &&
		    !field_value(p, "loadBalancer") && !field_value(p, "tls"))
			RULE_ERR(c, p, "port traffic policy must have at least one field");
		else
			check_policy_parts(c, p);
	}
}

/* validateTrafficPolicy on a top-level or subset `trafficPolicy` mapping. */
static void check_traffic_policy(struct rule_ctx *c, const struct node *tp)
{
	static const char *const fields[] = {
		"outlierDetection", "connectionPool", "loadBalancer", "tls",
		"portLevelSettings", "tunnel", "proxyProtocol", "retryBudget",
	};
	bool any = false;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]) && !any; i++)
		any = field_value(tp, fields[i]) != NULL;
	if (!any) {
		RULE_ERR(c, tp, "traffic policy must have at least one field");
		return;
	}
	const struct node *tunnel = field_value(tp, "tunnel");
	const struct node *pp = field_value(tp, "proxyProtocol");
	if (tunnel && pp) {
		RULE_ERR(c, pp, "tunnel and proxyProtocol must not be set together");
		return;
	}
	check_policy_parts(c, tp);
	const struct node *pls = field_value(tp, "portLevelSettings");
	if (pls && pls->type == NODE_SEQ)
		check_port_level(c, pls);
	if (tunnel && tunnel->type == NODE_MAP)
		check_tunnel(c, tunnel);
	if (pp && pp->type == NODE_MAP) {
		static const char *const versions[] = { "V1", "V2" };
		const struct node *v = field_value(pp, "version");
		if (v && field_enum(pp, "version", versions, 2, 0) < 0 && v->type == NODE_INT)
			RULE_ERR(c, v, "proxy protocol version is invalid: %lld", node_ival(v));
	}
}

/* A trafficPolicy field: validated when it is a mapping. */
static void check_traffic_policy_field(struct rule_ctx *c,
				       const struct node *owner)
{
	const struct node *tp = field_value(owner, "trafficPolicy");
	if (tp && tp->type == NODE_MAP)
		check_traffic_policy(c, tp);
}

static void check_subsets(struct rule_ctx *c, const struct node *subsets)
{
	for (size_t i = 0; i < subsets->n; i++) {
		const struct node *s = subsets->items[i];
		if (!s || s->type != NODE_MAP)
			continue;   /* null items: the schema layer */
		const struct node *name_n = field_value(s, "name");
		const char *name = node_str(name_n);
		if (name) {
			for (size_t j = 0; j < i; j++) {
				const char *prev = node_str(field_value(subsets->items[j], "name"));
				if (prev && strcmp(prev, name) == 0) {
					RULE_ERR(c, name_n, "duplicate subset names: %s", name);
					break;
				}
			}
			if (name[0] == '\0')
				RULE_ERR(c, name_n, "subset name cannot be empty");
			else if (!prim_is_dns1123_label(name))
				RULE_ERR(c, name_n, "subset name is invalid: %s", name);
		}
		field_check_labels(c, field_value(s, "labels"));
		check_traffic_policy_field(c, s);
	}
}

/*
 * workloadSelector: Go's errors (empty keys, `*` in keys or values) are
 * exactly the CRD's CEL rules on matchLabels, reported by the schema
 * layer; the warning for a selector without labels is Go's alone.
 */
static void check_workload_selector(struct rule_ctx *c, const struct node *ws)
{
	const struct node *labels = field_map(ws, "matchLabels");
	if (!labels || labels->n == 0)
		RULE_WARN(c, ws, "workload selector specified without labels");
}

void rules_destination_rule(struct diag_list *d, const struct resource *r,
			    const struct meshc_options *opt)
{
	(void)opt;
	struct rule_ctx rc = RULE_CTX(d, r), *c = &rc;
	field_check_metadata(c);
	const struct node *spec = c->r->spec;
	if (!spec)
		return;
	const struct node *host = field_value(spec, "host");
	if (node_str(host)) {
		const char *e = prim_check_wildcard_domain(c->a, host->text);
		rule_check(c, host, e);
	}
	check_traffic_policy_field(c, spec);
	const struct node *subsets = field_value(spec, "subsets");
	if (subsets && subsets->type == NODE_SEQ)
		check_subsets(c, subsets);
	const struct node *ws = field_map(spec, "workloadSelector");
	field_check_export_to(c, field_value(spec, "exportTo"),
			ws ? PRIM_EXPORT_DR_WITH_SELECTOR : PRIM_EXPORT_DEFAULT);
	if (ws)
		check_workload_selector(c, ws);
}
