/*
 * meshc test TABLE CASES.yaml [--fail-under PCT]: routes a suite of
 * requests through a table and compares the outcomes with expectations,
 * in Envoy's router_check_tool format so existing suites run unchanged:
 *
 *   tests:
 *   - test_name: jason goes to v2
 *     input: {authority: reviews, path: /, method: GET, random_value: 0,
 *             ssl: false, additional_headers: [{key: end-user, value: jason}]}
 *     validate: {cluster_name: "outbound|9080|v2|reviews.books.svc.cluster.local",
 *                path_redirect: "", path_rewrite: /, host_rewrite: reviews,
 *                header_fields: [{key: x, value: y}]}
 *
 * (additional_request_headers and request_header_fields are accepted as
 * the newer spellings; virtual_host_name and code_redirect are Envoy's
 * too.) meshc's additions to `input`: gateway (default mesh), workload
 * (a map of gateway workload labels, instead of gateway), port, sni,
 * source_namespace, source_labels (a map), outbound_traffic_policy
 * (ALLOW_ANY or REGISTRY_ONLY, over --outbound-traffic-policy). To
 * `validate`: outcome
 * (route, redirect, directResponse, passthrough, blackhole, notFound,
 * invalidBackend: the picked destination is the cluster of an invalid
 * Gateway API backend, UnknownService, which Istio's proxy answers with
 * 500),
 * route_name, match_name, virtual_service, direct_response_status,
 * timeout, retry_attempts, retry_on, fault_abort_status,
 * fault_abort_percent, fault_delay, fault_delay_percent, mirror_clusters
 * (a list), and of the cluster of the picked destination
 * destination_rule, tls_mode, load_balancer and policy (a map in the
 * DestinationRule's TrafficPolicy shape: the fields it names must hold in
 * the merged policy), retry_default (true: the mesh's default retries
 * apply). The weighted pick is random_value % total
 * weight. An empty expected string means "none". Prints each failure,
 * then the coverage (routes exercised / routes in the table). Exit 0 all
 * pass, 1 a failure or coverage under --fail-under, 2 error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cli.h"
#include "commands.h"
#include "route_json.h"

static const char *nstr(const struct node *n)
{
	return n && node_is_scalar(n) && n->type != NODE_NULL ? n->text : NULL;
}

static const struct node *get(const struct node *map, const char *key)
{
	return map && map->type == NODE_MAP ? node_get(map, key) : NULL;
}

static const struct node *get2(const struct node *map, const char *a, const char *b)
{
	const struct node *n = get(map, a);
	return n ? n : get(map, b);
}

/* A [{key, value}] list as headers (heap array, *n items). */
static mrt_header *header_list(const struct node *seq, size_t *n)
{
	size_t cnt = seq && seq->type == NODE_SEQ ? seq->n : 0;
	mrt_header *h = xcalloc(cnt + 1, sizeof(*h));
	*n = 0;
	for (size_t i = 0; i < cnt; i++) {
		const char *k = nstr(get(seq->items[i], "key"));
		if (!k)
			continue;
		h[*n].name = k;
		h[(*n)++].value = nstr(get(seq->items[i], "value")) ? nstr(get(seq->items[i], "value")) : "";
	}
	return h;
}

struct suite {
	const mrt_table *t;
	unsigned char *hit;          /* per route: exercised */
	unsigned failed;
	unsigned errors;             /* requests that could not be routed */
	bool quiet;
	bool registry_only;          /* the outbound traffic policy */
};

static void failure(struct suite *s, const char *test, const char *what,
		    const char *got, const char *want)
{
	s->failed++;
	printf("FAIL %s: %s: got \"%s\", want \"%s\"\n", test, what,
	       got ? got : "", want ? want : "");
}

/* The value of request header `key` after the route's header operations. */
static const char *header_after(const mrt_table *t, const mrt_route *r, unsigned dest,
				const mrt_request *q, const char *key)
{
	const char *v = NULL;
	for (size_t i = 0; i < q->n_headers; i++)
		if (strcasecmp(q->headers[i].name, key) == 0)
			v = q->headers[i].value;
	unsigned scopes[2] = { MRT_UNSET, dest };
	for (int s = 0; s < (dest == MRT_UNSET ? 1 : 2); s++) {
		for (size_t i = 0; r && i < mrt_route_header_op_count(t, r, scopes[s]); i++) {
			mrt_header_op_info h;
			if (mrt_route_header_op(t, r, scopes[s], i, &h) ||
			    h.target != MRT_HEADERS_REQUEST || strcasecmp(h.name, key) != 0)
				continue;
			if (h.op == MRT_HEADER_REMOVE)
				v = NULL;
			else if (h.op == MRT_HEADER_SET || !v)
				v = h.value;
		}
	}
	return v;
}

static void want_str(struct suite *s, const char *test, const struct node *val,
		     const char *key, const char *got)
{
	const char *want = nstr(get(val, key));
	if (want && strcmp(got ? got : "", want) != 0)
		failure(s, test, key, got, want);
}

/* An expected number against a got one (MRT_UNSET: none, shown as ""). */
static void want_num(struct suite *s, const char *test, const struct node *val,
		     const char *key, double got, bool have)
{
	const struct node *n = get(val, key);
	if (!n || (n->type != NODE_INT && n->type != NODE_FLOAT))
		return;
	if ((have && node_dval(n) == got) || (!have && node_dval(n) == 0))
		return;   /* 0 expects none */
	char g[32], w[32];
	snprintf(g, sizeof(g), "%g", got);
	snprintf(w, sizeof(w), "%g", node_dval(n));
	failure(s, test, key, have ? g : "", w);
}

/*
 * Whether every field `want` names (a YAML map, nested as a
 * TrafficPolicy) holds the same value in the merged policy `got`
 * (canonical JSON): fields left out are not compared. A scalar compares
 * by its text, so 100 and "100" agree, as do true and "true".
 */
static bool policy_holds(const struct node *want, json_t *got)
{
	if (!want || want->type == NODE_NULL)
		return !got || json_is_null(got);
	if (!got)
		return false;
	if (want->type == NODE_MAP) {
		if (!json_is_object(got))
			return false;
		for (size_t i = 0; i < want->n; i++)
			if (!policy_holds(want->pairs[i].value,
					  json_object_get(got, want->pairs[i].key->text)))
				return false;
		return true;
	}
	if (want->type == NODE_SEQ) {
		if (!json_is_array(got) || json_array_size(got) != want->n)
			return false;
		for (size_t i = 0; i < want->n; i++)
			if (!policy_holds(want->items[i], json_array_get(got, i)))
				return false;
		return true;
	}
	char num[64];
	const char *g = NULL;
	if (json_is_string(got))
		g = json_string_value(got);
	else if (json_is_integer(got))
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(got)), g = num;
	else if (json_is_real(got))
		snprintf(num, sizeof(num), "%g", json_real_value(got)), g = num;
	else if (json_is_boolean(got))
		g = json_is_true(got) ? "true" : "false";
	if (!g || !want->text)
		return false;
	if (want->type == NODE_FLOAT && json_is_number(got))
		return node_dval(want) == json_number_value(got);
	return strcmp(want->text, g) == 0;
}

/* validate.policy: the fields given hold in the chosen cluster's policy. */
static void want_policy(struct suite *s, const char *test, const struct node *want,
			const char *policy_json)
{
	json_t *got = policy_json ? json_loads(policy_json, 0, NULL) : NULL;
	if (!policy_holds(want, got)) {
		struct sb w = { 0 };
		sb_json_node(&w, want);
		failure(s, test, "policy", policy_json ? policy_json : "", w.p);
		free(w.p);
	}
	json_decref(got);
}

/* meshc's additions to `validate` (see the top of this file). */
static void check_meshc_fields(struct suite *s, const char *test, const mrt_route *r,
			       const mrt_result *res, const mrt_request *q,
			       const struct node *val, bool registry_only, unsigned dest)
{
	const mrt_table *t = s->t;
	char buf[64];
	mrt_destination picked;
	bool invalid = r && dest != MRT_UNSET && mrt_route_destination(t, r, dest, &picked) == 0 &&
		       route_json_invalid_backend(&picked);
	const char *outcome = !r ? route_json_outcome(t, res, q->gateway, registry_only) :
		mrt_route_action(t, r) == MRT_ACTION_REDIRECT ? "redirect" :
		mrt_route_action(t, r) == MRT_ACTION_DIRECT_RESPONSE ? "directResponse" :
		invalid ? "invalidBackend" : "route";
	want_str(s, test, val, "outcome", outcome);
	want_str(s, test, val, "route_name", r ? mrt_route_name(t, r) : NULL);
	want_str(s, test, val, "match_name", r && res->match_index != MRT_UNSET ?
		 mrt_route_match_name(t, r, res->match_index) : NULL);
	want_str(s, test, val, "virtual_service", r ? mrt_route_virtual_service(t, r) : NULL);
	mrt_vhost vh;
	want_str(s, test, val, "virtual_host_name", res->vhost != MRT_UNSET &&
		 mrt_vhost_get(t, res->listener, res->vhost, &vh) == 0 ? vh.host : NULL);
	mrt_redirect rd;
	bool is_rd = r && mrt_route_redirect(t, r, &rd) == 0;
	want_num(s, test, val, "code_redirect", is_rd ? rd.code : 0, is_rd);
	mrt_direct_response dr;
	bool is_dr = r && mrt_route_direct_response(t, r, &dr) == 0;
	want_num(s, test, val, "direct_response_status", is_dr ? dr.status : 0, is_dr);
	want_str(s, test, val, "timeout", r ? route_json_duration(mrt_route_timeout_ms(t, r),
							       buf, sizeof(buf)) : NULL);
	mrt_retries rt;
	bool has_rt = r && mrt_route_retries(t, r, &rt) == 0;
	want_num(s, test, val, "retry_attempts", has_rt ? rt.attempts : 0,
		 has_rt && rt.attempts != MRT_UNSET);
	want_str(s, test, val, "retry_on", has_rt ? rt.retry_on : NULL);
	mrt_fault f;
	bool has_f = r && mrt_route_fault(t, r, &f) == 0;
	want_num(s, test, val, "fault_abort_status", has_f ? f.abort_status : 0,
		 has_f && f.abort_status != MRT_UNSET);
	want_num(s, test, val, "fault_abort_percent", has_f ? f.abort_ppm / 10000.0 : 0,
		 has_f && f.abort_ppm != MRT_UNSET);
	want_str(s, test, val, "fault_delay", has_f ? route_json_duration(f.delay_ms, buf,
									sizeof(buf)) : NULL);
	want_num(s, test, val, "fault_delay_percent", has_f ? f.delay_ppm / 10000.0 : 0,
		 has_f && f.delay_ppm != MRT_UNSET);
	const struct node *mc = get(val, "mirror_clusters");
	if (mc && mc->type == NODE_SEQ) {
		size_t n = r ? mrt_route_mirror_count(t, r) : 0;
		bool same = n == mc->n;
		for (size_t i = 0; same && i < n; i++) {
			mrt_destination d;
			same = mrt_route_mirror(t, r, i, &d) == 0 && nstr(mc->items[i]) &&
			       strcmp(d.cluster, nstr(mc->items[i])) == 0;
		}
		if (!same) {
			char got[512] = "";
			for (size_t i = 0; i < n; i++) {
				mrt_destination d;
				if (mrt_route_mirror(t, r, i, &d) == 0)
					snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
						 i ? "," : "", d.cluster);
			}
			failure(s, test, "mirror_clusters", got, "(the listed clusters)");
		}
	}
	if (get(val, "destination_rule") || get(val, "tls_mode") || get(val, "load_balancer") ||
	    get(val, "policy")) {
		mrt_destination d;
		mrt_cluster c;
		bool have = r && dest != MRT_UNSET && mrt_route_destination(t, r, dest, &d) == 0 &&
			    mrt_cluster_get(t, d.cluster_index, &c) == 0;
		want_str(s, test, val, "destination_rule", have ? c.destination_rule : NULL);
		want_str(s, test, val, "tls_mode", have ? c.tls_mode : NULL);
		want_str(s, test, val, "load_balancer", have ? c.lb_policy : NULL);
		const struct node *pol = get(val, "policy");
		if (pol)
			want_policy(s, test, pol, have ? c.policy_json : NULL);
	}
	const struct node *rd_n = get(val, "retry_default");
	if (rd_n && rd_n->type == NODE_BOOL && (has_rt && rt.is_default) != rd_n->bval)
		failure(s, test, "retry_default", has_rt && rt.is_default ? "true" : "false",
			rd_n->bval ? "true" : "false");
}

static void run_case(struct suite *s, const struct node *tc, size_t index)
{
	const mrt_table *t = s->t;
	char label[64], buf[4096];
	const char *name = nstr(get(tc, "test_name"));
	if (!name) {
		snprintf(label, sizeof(label), "tests[%zu]", index);
		name = label;
	}
	const struct node *in = get(tc, "input"), *val = get(tc, "validate");
	mrt_request q = { 0 };
	q.gateway = nstr(get(in, "gateway")) ? nstr(get(in, "gateway")) : "mesh";
	q.host = nstr(get(in, "authority"));
	q.path = nstr(get(in, "path")) ? nstr(get(in, "path")) : "/";
	q.method = nstr(get(in, "method")) ? nstr(get(in, "method")) : "GET";
	const struct node *ssl = get(in, "ssl");
	q.scheme = ssl && ssl->type == NODE_BOOL && ssl->bval ? "https" : "http";
	const struct node *port = get(in, "port");
	q.port = port && port->type == NODE_INT && node_ival(port) > 0 && node_ival(port) < 65536 ?
		 (unsigned)node_ival(port) : 0;
	q.sni = nstr(get(in, "sni"));
	q.source_namespace = nstr(get(in, "source_namespace"));
	mrt_header *hdrs = header_list(get2(in, "additional_request_headers",
					    "additional_headers"), &q.n_headers);
	q.headers = hdrs;
	const struct node *sl = get(in, "source_labels");
	mrt_header *labels = xcalloc((sl && sl->type == NODE_MAP ? sl->n : 0) + 1, sizeof(*labels));
	for (size_t i = 0; sl && sl->type == NODE_MAP && i < sl->n; i++) {
		labels[q.n_source_labels].name = sl->pairs[i].key->text;
		labels[q.n_source_labels++].value = nstr(sl->pairs[i].value) ? nstr(sl->pairs[i].value) : "";
	}
	q.source_labels = labels;
	const struct node *rv = get(in, "random_value");
	unsigned long long random = rv && rv->type == NODE_INT && node_ival(rv) >= 0 ?
				    (unsigned long long)node_ival(rv) : 0;

	const struct node *wl = get(in, "workload");
	if (wl && wl->type == NODE_MAP) {
		mrt_header *w = xcalloc(wl->n + 1, sizeof(*w));
		for (size_t i = 0; i < wl->n; i++) {
			w[i].name = wl->pairs[i].key->text;
			w[i].value = nstr(wl->pairs[i].value) ? nstr(wl->pairs[i].value) : "";
		}
		q.gateway = mrt_workload_gateway(t, w, wl->n);
		free(w);
		if (!q.gateway) {
			failure(s, name, "workload", "no gateway workload in the table", "one");
			free(hdrs);
			free(labels);
			return;
		}
	}
	mrt_result res;
	if (mrt_match_checked(t, &q, &res) == MRT_MATCH_ERROR) {
		/* Neither a pass nor an ordinary failure: no answer at all. */
		s->errors++;
		printf("ERROR %s: the request cannot be routed: a regex it must be matched "
		       "against could not be decided\n", name);
		free(hdrs);
		free(labels);
		return;
	}
	const mrt_route *r = res.route;
	if (r)
		s->hit[mrt_route_id(t, r)] = 1;
	unsigned dest = r ? mrt_route_pick(t, r, random) : MRT_UNSET;
	const char *want;

	if ((want = nstr(get(val, "cluster_name"))) != NULL) {
		mrt_destination d;
		const char *got = "";
		if (r && mrt_route_action(t, r) == MRT_ACTION_ROUTE && dest != MRT_UNSET &&
		    mrt_route_destination(t, r, dest, &d) == 0)
			got = d.cluster;
		if (strcmp(got, want) != 0)
			failure(s, name, "cluster_name", got, want);
	}
	if ((want = nstr(get(val, "path_redirect"))) != NULL) {
		const char *got = "";
		if (r && mrt_redirect_location(t, r, &q, buf, sizeof(buf)) >= 0)
			got = buf;
		if (strcmp(got, want) != 0)
			failure(s, name, "path_redirect", got, want);
	}
	if ((want = nstr(get(val, "path_rewrite"))) != NULL) {
		const char *got = r ? q.path : "";
		if (r && mrt_rewrite_path(t, r, &q, buf, sizeof(buf)) >= 0)
			got = buf;
		if (strcmp(got, want) != 0)
			failure(s, name, "path_rewrite", got, want);
	}
	if ((want = nstr(get(val, "host_rewrite"))) != NULL) {
		mrt_rewrite rw;
		const char *got = r ? (q.host ? q.host : "") : "";
		if (r && mrt_route_rewrite(t, r, &rw) == 0 && rw.authority)
			got = rw.authority;
		if (strcmp(got, want) != 0)
			failure(s, name, "host_rewrite", got, want);
	}
	const char *otp = nstr(get(in, "outbound_traffic_policy"));
	check_meshc_fields(s, name, r, &res, &q, val,
			   otp ? strcasecmp(otp, "REGISTRY_ONLY") == 0 : s->registry_only, dest);
	size_t nf;
	mrt_header *fields = header_list(get2(val, "request_header_fields", "header_fields"), &nf);
	for (size_t i = 0; i < nf; i++) {
		const char *got = header_after(t, r, dest, &q, fields[i].name);
		if (!got || strcmp(got, fields[i].value) != 0) {
			snprintf(buf, sizeof(buf), "header %s", fields[i].name);
			failure(s, name, buf, got, fields[i].value);
		}
	}
	free(fields);
	free(hdrs);
	free(labels);
}

static void unit_free(struct source_unit *u)
{
	diag_list_release(&u->diags);
	arena_release(&u->arena);
	free(u->bytes);
	free(u->docs);
	free(u->doc_irregular);
}

/*
 * Reads and parses the cases file; 0, or -1 with a message printed (and
 * nothing left to free: a leak the fuzzer found).
 */
static int load_cases(const char *path, const struct meshc_options *o,
		      struct source_unit *u)
{
	struct meshc_options opt = *o;
	char *bytes, err[256];
	size_t len;
	if (source_read_file(path, opt.limits.max_file_bytes, &bytes, &len, err,
			     sizeof(err)) != 0) {
		fprintf(stderr, "meshc: cannot read \"%s\": %s\n", path, err);
		return -1;
	}
	memset(u, 0, sizeof(*u));
	arena_init(&u->arena);
	diag_list_init(&u->diags, &u->arena);
	u->file = path;
	u->bytes = bytes;
	u->len = len;
	yaml_parse_unit(u, &opt.limits);
	for (size_t i = 0; i < u->diags.n; i++) {
		const struct diag *d = &u->diags.items[i];
		if (d->level == LEVEL_ERROR) {
			fprintf(stderr, "meshc: %s:%u:%u: %s\n", path, d->line, d->col, d->message);
			unit_free(u);
			return -1;
		}
	}
	return 0;
}

int cmd_test(int argc, char **argv)
{
	double fail_under = -1;
	const char *ns = NULL, *outbound = NULL, *config = NULL;
	bool quiet = false, no_config = false, registry_only = false;
	int c;
	struct meshc_options mopt;   /* input limits: the cases file, config TABLE */
	meshc_options_init(&mopt);

	while ((c = cli_getopt("test", argc, argv)) != -1) {
		switch (c) {
		case CLI_HELP:
			return 0;
		case CLI_ERROR:
			return 2;
		case OPT_FAIL_UNDER: {
			char *end;
			fail_under = strtod(optarg, &end);
			if (*end || end == optarg || fail_under < 0 || fail_under > 100) {
				fprintf(stderr, "meshc: --fail-under wants a percentage 0..100\n");
				return 2;
			}
			break;
		}
		case 'n':
			ns = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case OPT_OUTBOUND_TRAFFIC_POLICY:
			outbound = optarg;
			break;
		case OPT_NO_CONFIG:
			no_config = true;
			break;
		case OPT_CONFIG:
			config = optarg;
			break;
		default:
			if (cli_input_option(c, optarg, &mopt) < 0)
				return 2;
			break;
		}
	}
	if (optind + 2 != argc)
		return cli_usage_error("test", "test needs TABLE and CASES.yaml");
	if (config && no_config)
		return cli_usage_error("test", "--config and --no-config exclude each other");
	if (cli_outbound_policy(outbound, config, no_config, &registry_only, &mopt) != 0)
		return 2;
	mrt_table *t;
	void *buf;
	if (!cli_open_table(argv[optind], ns, &mopt.limits, &t, &buf))
		return 2;
	struct source_unit u;
	int rc = 2;
	if (load_cases(argv[optind + 1], &mopt, &u) != 0)
		goto out_table;
	const struct node *tests = u.ndocs ? get(u.docs[0], "tests") : NULL;
	if (!tests || tests->type != NODE_SEQ) {
		fprintf(stderr, "meshc: %s: no \"tests\" list (router_check_tool format)\n",
			argv[optind + 1]);
		goto out_unit;
	}
	struct suite s = { .t = t, .quiet = quiet, .registry_only = registry_only };
	size_t nroutes = mrt_route_count(t);
	s.hit = xcalloc(nroutes + 1, 1);
	for (size_t i = 0; i < tests->n; i++)
		run_case(&s, tests->items[i], i);
	size_t hit = 0;
	for (size_t i = 0; i < nroutes; i++)
		hit += s.hit[i];
	double pct = nroutes ? 100.0 * (double)hit / (double)nroutes : 100.0;
	printf("%u tests, %u failed\n", tests->n, s.failed);
	if (s.errors)
		printf("%u could not be routed (a regex could not be decided)\n", s.errors);
	printf("coverage: %zu/%zu routes (%.1f%%)\n", hit, nroutes, pct);
	if (!quiet && hit < nroutes) {
		for (size_t i = 0; i < nroutes; i++) {
			if (s.hit[i])
				continue;
			const mrt_route *r = mrt_route_at(t, i);
			const char *vs = mrt_route_virtual_service(t, r), *nm = mrt_route_name(t, r);
			printf("  not exercised: route %zu %s[%u]%s%s%s\n", i, vs ? vs : "(meshc)",
			       mrt_route_index(t, r), nm ? " \"" : "", nm ? nm : "", nm ? "\"" : "");
		}
	}
	rc = s.errors ? 2 : s.failed ? 1 : 0;
	if (fail_under >= 0 && pct + 1e-9 < fail_under) {
		printf("coverage %.1f%% is under --fail-under %g%%\n", pct, fail_under);
		rc = 1;
	}
	if (fflush(stdout) != 0)
		rc = 2;
	free(s.hit);
out_unit:
	unit_free(&u);
out_table:
	mrt_close(t);
	free(buf);
	return rc;
}
