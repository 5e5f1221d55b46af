/*
 * meshc query TABLE [options]: routes one synthetic request through a
 * compiled table with mrt_match(), as the proxy would, and prints the
 * outcome: text for people, JSON (cli.md's shape) for scripts. TABLE may
 * also be config (a directory or .yaml file), compiled in memory first.
 * Exit 0 a route matched, 1 none did, 2 usage error or bad table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cli.h"
#include "commands.h"
#include "route_json.h"

/* The request could not be routed (mrt_match_checked: MRT_MATCH_ERROR). */
#define QUERY_REGEX_ERROR "the request cannot be routed: a regex it must be matched " \
	"against could not be decided"

/* Splits "K=V" into a header; false when there is no '='. */
static bool split_kv(char *s, mrt_header *h)
{
	char *eq = strchr(s, '=');
	if (!eq || eq == s)
		return false;
	*eq = 0;
	h->name = s;
	h->value = eq + 1;
	return true;
}

/* The header operations of route r (dest MRT_UNSET) or of one of its
 * destinations, on one line after `lead`; nothing when there are none. */
static void print_header_ops(const mrt_table *t, const mrt_route *r, unsigned dest,
			     const char *lead)
{
	static const char *const ops[] = { "set", "add", "remove" };
	size_t n = mrt_route_header_op_count(t, r, dest), k = 0;
	for (size_t i = 0; i < n; i++) {
		mrt_header_op_info h;
		if (mrt_route_header_op(t, r, dest, i, &h) != 0)
			continue;
		printf("%s%s %s %s%s%s", k++ ? "; " : lead,
		       h.target == MRT_HEADERS_REQUEST ? "request" : "response", ops[h.op], h.name,
		       h.value ? ": " : "", h.value ? h.value : "");
	}
	if (k)
		putchar('\n');
}

/* The route's CORS policy on one line (Envoy's CORS filter answers
 * preflights and adds the allow headers). */
static void print_cors(const mrt_table *t, const mrt_route *r)
{
	mrt_cors c;
	if (mrt_route_cors(t, r, &c) != 0)
		return;
	static const char *const ops[] = { "exact", "prefix", "regex" };
	printf("cors:");
	for (size_t i = 0; i < c.n_origins; i++) {
		mrt_condition o;
		if (mrt_route_cors_origin(t, r, i, &o) == 0 && o.value)
			printf("%s%s %s", i ? "," : " origins ",
			       o.op <= MRT_OP_REGEX ? ops[o.op] : "", o.value);
	}
	if (c.allow_methods)
		printf(" methods %s", c.allow_methods);
	if (c.allow_headers)
		printf(" allowHeaders %s", c.allow_headers);
	if (c.expose_headers)
		printf(" exposeHeaders %s", c.expose_headers);
	char buf[32];
	if (route_json_duration(c.max_age_ms, buf, sizeof(buf)))
		printf(" maxAge %s", buf);
	if (c.allow_credentials >= 0)
		printf(" credentials %s", c.allow_credentials ? "true" : "false");
	if (c.unmatched_preflights)
		printf(" unmatchedPreflights %s", c.unmatched_preflights);
	putchar('\n');
}

/*
 * Whether the table routes requests on `gateway` (a listener's gateway,
 * or a Gateway resource's name, as mrt_match accepts); when not, says so
 * on stderr with the gateways it has: a misspelt name would otherwise
 * read as Envoy's 404.
 */
static void warn_unknown_gateway(const mrt_table *t, const char *table, const char *gateway)
{
	if (!gateway || strcmp(gateway, "mesh") == 0)
		return;
	mrt_gateway g;
	for (size_t i = 0; i < mrt_gateway_count(t); i++)
		if (mrt_gateway_get(t, i, &g) == 0 && strcmp(g.name, gateway) == 0)
			return;
	mrt_listener l;
	for (size_t i = 0; i < mrt_listener_count(t); i++)
		if (mrt_listener_get(t, i, &l) == 0 && strcmp(l.gateway, gateway) == 0)
			return;
	fprintf(stderr, "meshc: %s has no gateway \"%s\"; its gateways:", table, gateway);
	const char *last = NULL;
	size_t shown = 0, n = mrt_listener_count(t);
	for (size_t i = 0; i < n && shown < 10; i++) {
		/* Listeners are sorted by gateway: each name once. */
		if (mrt_listener_get(t, i, &l) != 0 || strcmp(l.gateway, "mesh") == 0 ||
		    (last && strcmp(last, l.gateway) == 0))
			continue;
		fprintf(stderr, " %s", l.gateway);
		last = l.gateway;
		shown++;
	}
	fprintf(stderr, "%s (NAMESPACE/NAME, or mesh)\n", shown == 10 ? " ..." : shown ? "" : " none");
}

static void print_text(const mrt_table *t, const mrt_result *res)
{
	const mrt_route *r = res->route;
	mrt_listener l;
	mrt_vhost vh;
	const char *vs = mrt_route_virtual_service(t, r), *name = mrt_route_name(t, r);
	static const char *const kinds[] = { "http", "tls", "tcp" };
	printf("route: %s%s%s%s", vs ? "VirtualService " : "(meshc) ", vs ? vs : "",
	       vs ? " " : "", kinds[mrt_route_kind(t, r)]);
	printf("[%u]", mrt_route_index(t, r));
	if (name)
		printf(" \"%s\"", name);
	if (res->match_index != MRT_UNSET) {
		const char *mn = mrt_route_match_name(t, r, res->match_index);
		printf(" match[%u]%s%s%s", res->match_index, mn ? " \"" : "", mn ? mn : "",
		       mn ? "\"" : "");
	}
	putchar('\n');
	if (res->listener != MRT_UNSET && mrt_listener_get(t, res->listener, &l) == 0)
		printf("listener: %s:%u%s%s\n", l.gateway, l.port, l.sni ? " server names " : "",
		       l.sni ? l.sni : "");
	if (res->vhost != MRT_UNSET && mrt_vhost_get(t, res->listener, res->vhost, &vh) == 0)
		printf("virtual host: %s\n", vh.host);
	for (size_t i = 0; i < mrt_route_destination_count(t, r); i++) {
		mrt_destination d;
		mrt_cluster c;
		if (mrt_route_destination(t, r, i, &d) != 0)
			continue;
		printf("destination: %s weight %u", d.cluster, d.weight);
		if (route_json_invalid_backend(&d) && mrt_route_kind(t, r) == MRT_ROUTE_HTTP)
			printf(" (invalid backend: no such cluster, answered %u)",
			       MRT_CLUSTER_UNKNOWN_STATUS);
		else if (route_json_invalid_backend(&d))
			printf(" (invalid backend: no such cluster, connection closed)");
		putchar('\n');
		print_header_ops(t, r, (unsigned)i, "  headers: ");
		if (mrt_cluster_get(t, d.cluster_index, &c) == 0 && c.policy_json)
			printf("  policy (DestinationRule %s): %s\n",
			       c.destination_rule ? c.destination_rule : "?", c.policy_json);
	}
	mrt_redirect rd;
	if (mrt_route_redirect(t, r, &rd) == 0)
		printf("redirect: %u%s%s%s%s%s%s\n", rd.code,
		       rd.scheme ? " scheme " : "", rd.scheme ? rd.scheme : "",
		       rd.authority ? " authority " : "", rd.authority ? rd.authority : "",
		       rd.uri ? " uri " : "", rd.uri ? rd.uri : "");
	mrt_direct_response dr;
	if (mrt_route_direct_response(t, r, &dr) == 0)
		printf("direct response: %u%s%.*s\n", dr.status, dr.body ? " " : "",
		       (int)dr.body_len, dr.body ? dr.body : "");
	mrt_rewrite rw;
	if (mrt_route_rewrite(t, r, &rw) == 0)
		printf("rewrite:%s%s%s%s%s%s\n", rw.uri ? " uri " : "", rw.uri ? rw.uri : "",
		       rw.authority ? " authority " : "", rw.authority ? rw.authority : "",
		       rw.regex ? " regex " : "", rw.regex ? rw.regex : "");
	char buf[32];
	if (route_json_duration(mrt_route_timeout_ms(t, r), buf, sizeof(buf)))
		printf("timeout: %s\n", buf);
	else if (mrt_route_action(t, r) == MRT_ACTION_ROUTE && mrt_route_kind(t, r) == MRT_ROUTE_HTTP)
		printf("timeout: none (default)\n");
	mrt_retries rt;
	if (mrt_route_retries(t, r, &rt) == 0) {
		printf("retries:");
		if (rt.attempts != MRT_UNSET)
			printf(" attempts %u", rt.attempts);
		if (route_json_duration(rt.per_try_timeout_ms, buf, sizeof(buf)))
			printf(" perTryTimeout %s", buf);
		if (rt.retry_on)
			printf(" retryOn %s", rt.retry_on);
		if (rt.retriable_status_codes)
			printf(" retriableStatusCodes %s", rt.retriable_status_codes);
		if (route_json_duration(rt.backoff_ms, buf, sizeof(buf)))
			printf(" backoff %s", buf);
		if (rt.is_default)
			printf(" (default)");
		putchar('\n');
	}
	mrt_fault f;
	if (mrt_route_fault(t, r, &f) == 0) {
		if (f.delay_ms != MRT_UNSET && route_json_duration(f.delay_ms, buf, sizeof(buf)))
			printf("fault: delay %s for %g%% of requests\n", buf, f.delay_ppm / 10000.0);
		if (f.abort_status != MRT_UNSET)
			printf("fault: abort %u for %g%% of requests\n", f.abort_status,
			       f.abort_ppm / 10000.0);
		else if (f.abort_grpc)
			printf("fault: abort gRPC %s for %g%% of requests\n", f.abort_grpc,
			       f.abort_ppm / 10000.0);
	}
	for (size_t i = 0; i < mrt_route_mirror_count(t, r); i++) {
		mrt_destination d;
		if (mrt_route_mirror(t, r, i, &d) == 0)
			printf("mirror: %s for %g%% of requests\n", d.cluster, d.weight / 10000.0);
	}
	print_cors(t, r);
	print_header_ops(t, r, MRT_UNSET, "headers: ");
}

int cmd_query(int argc, char **argv)
{
	mrt_request q = { .gateway = "mesh", .method = "GET", .path = "/" };
	mrt_header *headers = xcalloc((size_t)argc + 1, sizeof(*headers));
	mrt_header *labels = xcalloc((size_t)argc + 1, sizeof(*labels));
	const char *format = "text", *ns = NULL, *outbound = NULL, *config = NULL;
	bool no_config = false, registry_only = false, gateway_set = false;
	mrt_header *workload = xcalloc((size_t)argc + 1, sizeof(*workload));
	size_t n_workload = 0;
	int c, rc = 2;
	struct meshc_options mopt;   /* the input limits, when TABLE is config */
	meshc_options_init(&mopt);

	q.headers = headers;
	q.source_labels = labels;
	while ((c = cli_getopt("query", argc, argv)) != -1) {
		switch (c) {
		case CLI_HELP: rc = 0; goto done;
		case CLI_ERROR: goto done;
		case OPT_GATEWAY: q.gateway = optarg; gateway_set = true; break;
		case OPT_OUTBOUND_TRAFFIC_POLICY: outbound = optarg; break;
		case OPT_NO_CONFIG: no_config = true; break;
		case OPT_CONFIG: config = optarg; break;
		case OPT_HOST: q.host = optarg; break;
		case OPT_METHOD: q.method = optarg; break;
		case OPT_PATH: q.path = optarg; break;
		case OPT_SCHEME: q.scheme = optarg; break;
		case OPT_SOURCE_NAMESPACE: q.source_namespace = optarg; break;
		case OPT_SNI: q.sni = optarg; break;
		case 'o': format = optarg; break;
		case 'n': ns = optarg; break;
		default:
			if (cli_input_option(c, optarg, &mopt) < 0)
				goto done;
			break;
		case OPT_PORT: {
			long long v = cli_parse_uint(optarg, 0, 65535);
			if (v < 0) {
				fprintf(stderr, "meshc: --port must be an integer in 0..65535\n");
				goto done;
			}
			q.port = (unsigned)v;
			break;
		}
		case OPT_HEADER:
		case OPT_SOURCE_LABEL:
		case OPT_WORKLOAD: {
			mrt_header *h = c == OPT_HEADER ? &headers[q.n_headers++] :
				c == OPT_WORKLOAD ? &workload[n_workload++] :
				&labels[q.n_source_labels++];
			if (!split_kv(optarg, h)) {
				fprintf(stderr, "meshc: --%s wants K=V, not \"%s\"\n",
					c == OPT_HEADER ? "header" : c == OPT_WORKLOAD ? "workload" :
					"source-label", optarg);
				goto done;
			}
			break;
		}
		}
	}
	if (optind + 1 != argc) {
		rc = cli_usage_error("query", "query needs exactly one TABLE");
		goto done;
	}
	if (gateway_set && n_workload) {
		fprintf(stderr, "meshc: --gateway and --workload exclude each other\n");
		goto done;
	}
	if (config && no_config) {
		rc = cli_usage_error("query", "--config and --no-config exclude each other");
		goto done;
	}
	if (cli_outbound_policy(outbound, config, no_config, &registry_only, &mopt) != 0)
		goto done;

	mrt_table *t;
	void *buf;
	if (!cli_open_table(argv[optind], ns, &mopt.limits, &t, &buf))
		goto done;
	if (n_workload) {
		q.gateway = mrt_workload_gateway(t, workload, n_workload);
		if (!q.gateway) {
			fprintf(stderr, "meshc: %s: no gateway workload with these labels: no Gateway "
				"selects them, or the table has none for exactly the Gateways that "
				"do (it holds one per Gateway selector and per Pod of the input)\n",
				argv[optind]);
			mrt_close(t);
			free(buf);
			goto done;
		}
	}
	char err[512];
	mrt_result res;
	enum mrt_match_status st = mrt_match_checked(t, &q, &res);
	const mrt_route *r = res.route;
	if (st == MRT_MATCH_ERROR) {
		/* Not "no match": a later route may not take what this one might. */
		if (strcasecmp(format, "json") == 0)
			printf("{\"match\":null,\"outcome\":\"error\",\"error\":\"%s\"}\n",
			       QUERY_REGEX_ERROR);
		else
			printf("error: %s\n", QUERY_REGEX_ERROR);
		fprintf(stderr, "meshc: %s\n", QUERY_REGEX_ERROR);
		rc = 2;
		fflush(stdout);
		mrt_close(t);
		free(buf);
		goto done;
	}
	if (strcasecmp(format, "json") == 0) {
		json_t *o = json_object();
		if (!r) {
			json_object_set_new(o, "match", json_null());
			json_object_set_new(o, "outcome", json_string(
				route_json_outcome(t, &res, q.gateway, registry_only)));
		} else {
			json_t *m = json_object();
			const char *vs = mrt_route_virtual_service(t, r), *name = mrt_route_name(t, r);
			json_object_set_new(m, "virtualService", vs ? json_string(vs) : json_null());
			json_object_set_new(m, "route", name ? json_string(name) : json_null());
			json_object_set_new(m, "routeIndex", json_integer(mrt_route_index(t, r)));
			json_object_set_new(m, "matchIndex", res.match_index == MRT_UNSET ?
					    json_null() : json_integer(res.match_index));
			const char *mn = res.match_index == MRT_UNSET ? NULL :
					 mrt_route_match_name(t, r, res.match_index);
			json_object_set_new(m, "matchName", mn ? json_string(mn) : json_null());
			json_object_set_new(o, "match", m);
			json_t *a = route_json_action(t, r, true);
			json_object_update(o, a);
			json_decref(a);
			mrt_listener l;
			if (mrt_listener_get(t, res.listener, &l) == 0) {
				json_t *lj = json_object();
				json_object_set_new(lj, "gateway", json_string(l.gateway));
				json_object_set_new(lj, "port", json_integer(l.port));
				if (l.sni)
					json_object_set_new(lj, "serverNames", json_string(l.sni));
				json_object_set_new(o, "listener", lj);
			}
			mrt_vhost vh;
			if (res.vhost != MRT_UNSET &&
			    mrt_vhost_get(t, res.listener, res.vhost, &vh) == 0)
				json_object_set_new(o, "virtualHost", json_string(vh.host));
			if (mrt_redirect_location(t, r, &q, err, sizeof(err)) >= 0)
				json_object_set_new(o, "location", json_string(err));
		}
		json_dumpf(o, stdout, JSON_PRESERVE_ORDER | JSON_COMPACT);
		putchar('\n');
		json_decref(o);
	} else if (r) {
		print_text(t, &res);
		if (mrt_redirect_location(t, r, &q, err, sizeof(err)) >= 0)
			printf("location: %s\n", err);
	} else {
		printf("no route matches: %s\n", route_json_outcome(t, &res, q.gateway, registry_only));
	}
	if (!r)
		warn_unknown_gateway(t, argv[optind], q.gateway);
	rc = fflush(stdout) != 0 ? 2 : r ? 0 : 1;
	mrt_close(t);
	free(buf);
done:
	free(headers);
	free(labels);
	free(workload);
	return rc;
}
