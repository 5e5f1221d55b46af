/*
 * Istio's admission rules for a ServiceEntry (istio.md §2.8,
 * ValidateServiceEntry in pkg/config/validation). Reports IST0106 for
 * errors and IST0133 for warnings, each at the most specific node.
 *
 * The CRD's CEL rules (one of workloadSelector/endpoints, CIDR addresses
 * only with NONE/STATIC, no endpoints with NONE, at most one with
 * DNS_ROUND_ROBIN, unique port numbers in 1..65535, `unix://` endpoint
 * rules, endpoint port names and numbers, null list items) are checked by
 * the schema layer (schema.c). Where Go's rule catches the same mistake
 * it is left to that layer, with the API server's message: the API server
 * rejects the object before Istio's webhook sees it; only what Go checks
 * beyond the CEL rule is reported here. Values are read as Istio's
 * protojson decoder reads them (proto and JSON field names, enums by name
 * or number, quoted integers, null as unset); wrong types are left to
 * the schema layer.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks.h"
#include "fields.h"
#include "prim.h"

#define PREFIX_UNIX "unix://"
#define LABEL_AUTOALLOCATE "networking.istio.io/enable-autoallocate-ip"
#define LABEL_WAYPOINT "istio.io/use-waypoint"

enum resolution { RES_NONE, RES_STATIC, RES_DNS, RES_DNS_RR, RES_DYNAMIC_DNS, RES_COUNT };
static const char *const resolution_names[RES_COUNT] = {
	"NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS",
};
static const char *const location_names[] = { "MESH_EXTERNAL", "MESH_INTERNAL" };

/* protocol.Instance.IsTCP: the protocols proxied as opaque TCP. */
static bool protocol_is_tcp(enum prim_protocol p)
{
	return p == PROTO_TCP || p == PROTO_HTTPS || p == PROTO_TLS ||
	       p == PROTO_MONGO || p == PROTO_REDIS || p == PROTO_MYSQL;
}

/* The declared service ports: names for endpoint checks. */
struct se_ports {
	const char **names;
	size_t n;
};

static bool se_ports_has(const struct se_ports *sp, const char *name)
{
	for (size_t i = 0; i < sp->n; i++)
		if (strcmp(sp->names[i], name) == 0)
			return true;
	return false;
}

/*
 * `ports`: Go's per-port rules, the CEL number range and uniqueness.
 * Fills `sp` with the declared names.
 */
static void check_ports(struct rule_ctx *c, const struct node *ports,
			bool tcp_needs_address, struct se_ports *sp)
{
	sp->names = arena_alloc(c->a, (ports->n + 1) * sizeof(*sp->names));
	sp->n = 0;
	for (size_t i = 0; i < ports->n; i++) {
		const struct node *p = ports->items[i];
		if (!p || p->type != NODE_MAP)
			continue;   /* null items: the schema layer */
		const struct node *name_n = field_value(p, "name");
		const char *name = node_str(name_n);
		if (name) {
			/* A repeated name is the schema layer's (list-map key). */
			if (!se_ports_has(sp, name))
				sp->names[sp->n++] = name;
			if (!prim_is_dns1123_label(name))
				RULE_ERR(c, name_n, "invalid port name: %s", name);
		}
		/* Number and targetPort ranges, unique numbers: CEL (schema layer). */
		const struct node *proto_n = field_value(p, "protocol");
		const char *proto = node_str(proto_n);
		if (proto && proto[0] && prim_protocol_parse(proto) == PROTO_UNSUPPORTED)
			RULE_ERR(c, proto_n, "unsupported protocol: %s", proto);
		if (tcp_needs_address && (!proto || !proto[0] || strcmp(proto, "TCP") == 0))
			RULE_WARN(c, proto_n ? proto_n : p, "addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled");
	}
}

/*
 * One endpoint (a WorkloadEntry): the CEL rules for every resolution, and
 * Go's validateWorkloadEntry for STATIC and DNS. `sp` holds the declared
 * port names.
 */
static void check_endpoint(struct rule_ctx *c, const struct node *ep,
			   enum resolution res, const struct se_ports *sp)
{
	const struct node *addr_n = field_value(ep, "address");
	const char *addr = node_str(addr_n) ? addr_n->text : "";
	const char *network = node_str(field_value(ep, "network"));
	const struct node *ports = field_value(ep, "ports");
	bool unix_ep = prim_has_prefix(addr, PREFIX_UNIX);

	/*
	 * Neither address nor network, and the `unix://` path and ports
	 * rules, are CEL rules (schema layer). Go also rejects an address
	 * written as "" without a network.
	 */
	const struct node *network_n = field_value(ep, "network");
	if (res == RES_STATIC && (addr_n || network_n) && addr[0] == '\0' &&
	    (!network || !network[0]))
		RULE_ERR(c, addr_n, "address is required");
	else if (res == RES_STATIC && addr[0] == '\0' && network && network[0])
		RULE_WARN(c, ep, "address is unset with network \"%s\"", network);

	if (res == RES_STATIC) {
		if (unix_ep && sp->n != 1)
			RULE_ERR(c, addr_n, "exactly 1 service port required for unix endpoints");
		else if (!unix_ep && addr[0] && !prim_is_ip(addr))
			RULE_ERR(c, addr_n, "endpoint address \"%s\" is not a valid IP address", addr);
	} else if (res == RES_DNS || res == RES_DNS_RR) {
		if ((addr_n || (network && network[0])) && !prim_is_ip(addr) &&
		    prim_check_fqdn(c->a, addr))
			RULE_ERR(c, addr_n ? addr_n : ep, "endpoint address \"%s\" is not a valid FQDN or an IP address", addr);
	}

	bool declared_ports = res == RES_STATIC || res == RES_DNS || res == RES_DNS_RR;
	/* Port names and numbers themselves: CEL (schema layer). */
	if (declared_ports && ports && ports->type == NODE_MAP) {
		for (size_t k = 0; k < ports->n; k++) {
			const char *name = ports->pairs[k].key->text ? ports->pairs[k].key->text : "";
			const struct node *val = ports->pairs[k].value;
			long long num = 0;
			field_as_int(val, &num);
			if (!se_ports_has(sp, name))
				RULE_ERR(c, val, "endpoint port %lld is not defined by the service entry", num);
		}
	}
	if (declared_ports)
		field_check_labels(c, field_value(ep, "labels"));
}

/*
 * workloadSelector.labels: Go's checks beyond the CRD's CEL rule (which
 * rejects `*` in values and is the schema layer's): empty keys and `*` in
 * keys.
 */
static void check_workload_selector(struct rule_ctx *c, const struct node *ws)
{
	const struct node *labels = field_value(ws, "labels");
	if (labels && labels->type != NODE_MAP)
		labels = NULL;
	for (size_t k = 0; labels && k < labels->n; k++) {
		const char *key = labels->pairs[k].key->text ? labels->pairs[k].key->text : "";
		const struct node *val = labels->pairs[k].value;
		const char *v = node_str(val) ? val->text : "";
		const struct node *at = labels->pairs[k].key;   /* both are problems of the key */
		if (key[0] == '\0')
			RULE_ERR(c, at, "empty key is not supported in selector: \"%s=%s\"", key, v);
		if (strchr(key, '*'))
			RULE_ERR(c, at, "wildcard is not supported in selector: \"%s=%s\"", key, v);
	}
	if (!labels || labels->n == 0)
		RULE_WARN(c, ws, "service entry: workload selector specified without labels, will be applied to all services in namespace");
}

/* DYNAMIC_DNS: wildcard hosts resolved on demand, HTTP or TLS only. */
static void check_dynamic_dns(struct rule_ctx *c, const struct node *spec,
			      const struct node *hosts)
{
	for (size_t i = 0; hosts && i < hosts->n; i++) {
		const char *h = node_str(hosts->items[i]);
		if (h && strcmp(h, "*") != 0 && h[0] != '*')
			RULE_ERR(c, hosts->items[i], "hosts must be wildcards for resolution mode DYNAMIC_DNS");
	}
	const struct node *addrs = field_nonempty_list(spec, "addresses");
	if (addrs)
		RULE_ERR(c, addrs, "addresses are not allowed for resolution mode DYNAMIC_DNS");
	const struct node *eps = field_value(spec, "endpoints");
	if (eps)
		RULE_ERR(c, eps, "endpoints are not allowed for resolution mode DYNAMIC_DNS");
	const struct node *ports = field_nonempty_list(spec, "ports");
	for (size_t i = 0; ports && i < ports->n; i++) {
		const struct node *p = ports->items[i];
		if (!p || p->type != NODE_MAP)
			continue;
		const struct node *proto_n = field_value(p, "protocol");
		const char *proto = node_str(proto_n);
		enum prim_protocol pr = prim_protocol_parse(proto ? proto : "");
		if (pr != PROTO_HTTP && pr != PROTO_HTTP2 && pr != PROTO_GRPC && pr != PROTO_TLS)
			RULE_ERR(c, proto_n ? proto_n : p, "only HTTP, HTTP2, GRPC and TLS ports are supported for resolution mode DYNAMIC_DNS");
	}
	int loc = field_enum(spec, "location", location_names, 2, 0);
	const struct node *wp = node_get(c->r->labels, LABEL_WAYPOINT);
	if (loc == 1 && node_str(wp) && wp->len > 0 && strcmp(wp->text, "none") != 0)
		RULE_ERR(c, field_value(spec, "location"), "location MESH_INTERNAL is not supported with a waypoint for resolution mode DYNAMIC_DNS");
}

void rules_service_entry(struct diag_list *d, const struct resource *r,
			 const struct meshc_options *opt)
{
	(void)opt;
	struct rule_ctx rc = RULE_CTX(d, r), *c = &rc;
	field_check_metadata(c);
	const struct node *spec = c->r->spec;
	if (!spec)
		return;
	const struct node *ws = field_map(spec, "workloadSelector");
	const struct node *eps = field_value(spec, "endpoints");
	int res = field_enum(spec, "resolution", resolution_names, RES_COUNT, RES_NONE);

	if (ws)
		check_workload_selector(c, ws);

	const struct node *hosts = field_value(spec, "hosts");
	if (hosts && hosts->type != NODE_SEQ)
		hosts = NULL;
	for (size_t i = 0; hosts && i < hosts->n; i++) {
		const struct node *hn = hosts->items[i];
		const char *h = node_str(hn);
		if (!h)
			continue;
		if (strcmp(h, "*") == 0)
			continue;   /* CEL "hostname cannot be wildcard" (schema layer) */
		const char *e = prim_check_wildcard_domain(c->a, h);
		rule_check(c, hn, e);
		if (res != RES_DYNAMIC_DNS && (e = prim_check_partial_wildcard(c->a, h)) != NULL)
			RULE_WARN(c, hn, "%s", e);
	}

	const struct node *addrs = field_nonempty_list(spec, "addresses");
	/* A CIDR with a resolution other than NONE/STATIC: CEL (schema layer). */
	for (size_t i = 0; addrs && i < addrs->n; i++) {
		const char *a = node_str(addrs->items[i]);
		const char *e = a ? prim_check_ip_or_cidr(c->a, a) : NULL;
		rule_check(c, addrs->items[i], e);
	}

	/* IP auto-allocation (on by default) makes addresses optional. */
	const char *aa = node_str(node_get(c->r->labels, LABEL_AUTOALLOCATE));
	bool autoalloc = res != RES_NONE && !(aa && strcasecmp(aa, "false") == 0) && !addrs;
	struct se_ports sp = { NULL, 0 };
	const struct node *ports = field_value(spec, "ports");
	if (ports && ports->type == NODE_SEQ)
		check_ports(c, ports, !addrs && !autoalloc, &sp);

	const struct node *eplist = eps && eps->type == NODE_SEQ ? eps : NULL;
	switch (res) {
	case RES_NONE:
		/* Endpoints with NONE: CEL (schema layer). */
		if (ws)
			RULE_WARN(c, ws, "workloadSelector should not be set when resolution mode is NONE");
		break;
	case RES_DNS:
	case RES_DNS_RR:
		if (!eplist || eplist->n == 0) {
			for (size_t i = 0; hosts && i < hosts->n; i++) {
				const char *h = node_str(hosts->items[i]);
				if (h && strcmp(h, "*") != 0 && prim_check_fqdn(c->a, h))
					RULE_ERR(c, hosts->items[i], "hosts must be FQDN if no endpoints are provided for resolution mode %s",
					            resolution_names[res]);
			}
		}
		/* More than one DNS_ROUND_ROBIN endpoint: CEL (schema layer). */
		if (addrs && hosts && hosts->n > 1 && ports && ports->type == NODE_SEQ) {
			for (size_t i = 0; i < ports->n; i++) {
				const char *proto = node_str(field_value(ports->items[i], "protocol"));
				if (protocol_is_tcp(prim_protocol_parse(proto ? proto : ""))) {
					RULE_WARN(c, hosts, "service entry can not have more than one host specified simultaneously with address and tcp port");
					break;
				}
			}
		}
		break;
	case RES_DYNAMIC_DNS:
		check_dynamic_dns(c, spec, hosts);
		break;
	default:
		break;
	}
	if (res >= 0 && res != RES_DYNAMIC_DNS && eplist) {
		for (size_t i = 0; i < eplist->n; i++) {
			const struct node *ep = eplist->items[i];
			if (ep && ep->type == NODE_MAP)
				check_endpoint(c, ep, (enum resolution)res, &sp);
		}
	}

	/* Plain TCP cannot tell several hosts apart (NONE ignores hosts). */
	if (res != RES_NONE && hosts && hosts->n > 1 && ports && ports->type == NODE_SEQ) {
		for (size_t i = 0; i < ports->n; i++) {
			const struct node *p = ports->items[i];
			if (!p || p->type != NODE_MAP)
				continue;
			const struct node *proto_n = field_value(p, "protocol");
			const char *proto = node_str(proto_n);
			enum prim_protocol pr = prim_protocol_parse(proto ? proto : "");
			if (!prim_protocol_is_http(pr) && !prim_protocol_is_tls(pr)) {
				RULE_ERR(c, proto_n ? proto_n : p, "multiple hosts provided with non-HTTP, non-TLS ports");
				break;
			}
		}
	}

	field_check_export_to(c, field_value(spec, "exportTo"), PRIM_EXPORT_SERVICE_ENTRY);
}
