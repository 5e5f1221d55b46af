/*
 * meshc dump TABLE [-o json|text]: decodes a whole route table (every
 * listener, virtual host, route, match, action and cluster policy) and
 * compiles every regex. JSON by default (route_json_dump); text is the
 * same content for people. TABLE may also be config, compiled in memory
 * first (so a compile/dump round trip is one command). Exit 0; 2 with a
 * message for a table that fails verification or a regex that does not
 * compile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cli.h"
#include "commands.h"
#include "route_json.h"

static void print_condition(const mrt_condition *c)
{
	json_t *j = route_json_condition(c);
	char *s = json_dumps(j, JSON_PRESERVE_ORDER | JSON_COMPACT);
	printf("%s", s ? s : "?");
	free(s);
	json_decref(j);
}

/* One route in text: identity, matches, then its action as JSON. */
static void print_route(const mrt_table *t, const mrt_route *r)
{
	static const char *const kinds[] = { "http", "tls", "tcp" };
	const char *vs = mrt_route_virtual_service(t, r), *name = mrt_route_name(t, r);
	printf("route %zu: %s %s[%u]", mrt_route_id(t, r), vs ? vs : "(meshc)",
	       kinds[mrt_route_kind(t, r)], mrt_route_index(t, r));
	if (name)
		printf(" \"%s\"", name);
	putchar('\n');
	size_t nm = mrt_route_match_count(t, r);
	if (nm == 0)
		printf("  match: any\n");
	for (size_t m = 0; m < nm; m++) {
		printf("  match[%zu]:", m);
		for (size_t c = 0; c < mrt_route_condition_count(t, r, m); c++) {
			mrt_condition cd;
			if (mrt_route_condition(t, r, m, c, &cd) == 0) {
				putchar(' ');
				print_condition(&cd);
			}
		}
		putchar('\n');
	}
	json_t *a = route_json_action(t, r, false);
	const char *key;
	json_t *v;
	json_object_foreach(a, key, v) {
		if (json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0))
			continue;
		char *s = json_dumps(v, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_ENCODE_ANY);
		printf("  %s: %s\n", key, s ? s : "?");
		free(s);
	}
	json_decref(a);
}

static void print_text(const mrt_table *t)
{
	printf("domain: %s\n", mrt_table_domain(t));
	for (size_t i = 0; i < mrt_gateway_count(t); i++) {
		mrt_gateway g;
		if (mrt_gateway_get(t, i, &g) == 0)
			printf("gateway %s selector %s routes on %s\n", g.name,
			       g.selector ? g.selector : "(none)", g.workload);
	}
	for (size_t i = 0; i < mrt_listener_count(t); i++) {
		mrt_listener l;
		if (mrt_listener_get(t, i, &l))
			continue;
		printf("listener %s:%u", l.gateway, l.port);
		if (l.protocol)
			printf(" %s", l.protocol);
		if (l.tls_mode)
			printf(" tls %s", l.tls_mode);
		if (l.sni)
			printf(" server names %s", l.sni);
		if (l.terminates_tls)
			printf(" (terminates TLS)");
		putchar('\n');
		for (size_t v = 0; v < l.n_vhosts; v++) {
			mrt_vhost vh;
			if (mrt_vhost_get(t, i, v, &vh))
				continue;
			printf("  host %s%s: routes", vh.host,
			       vh.flags & MRT_VHOST_HTTPS_REDIRECT ? " (https redirect)" : "");
			for (size_t k = 0; k < vh.n_routes; k++)
				printf(" %zu", vh.first_route + k);
			if (vh.flags & MRT_VHOST_SOURCE_SCOPED) {
				if (vh.fallback)
					printf("; callers no route applies to: route %zu",
					       mrt_route_id(t, vh.fallback));
				else
					printf("; callers no route applies to: no virtual host");
			}
			putchar('\n');
		}
		if (l.n_l4_routes) {
			printf("  tcp/tls routes:");
			for (size_t k = 0; k < l.n_l4_routes; k++)
				printf(" %zu", mrt_route_id(t, mrt_listener_l4_route(t, i, k)));
			putchar('\n');
		}
	}
	for (size_t i = 0; i < mrt_route_count(t); i++)
		print_route(t, mrt_route_at(t, i));
	for (size_t i = 0; i < mrt_cluster_count(t); i++) {
		mrt_cluster c;
		if (mrt_cluster_get(t, i, &c))
			continue;
		printf("cluster %s", c.name);
		if (c.lb_policy)
			printf(" lb %s", c.lb_policy);
		if (c.tls_mode)
			printf(" tls %s", c.tls_mode);
		putchar('\n');
		if (c.policy_json)
			printf("  policy (DestinationRule %s): %s\n",
			       c.destination_rule ? c.destination_rule : "?", c.policy_json);
	}
	for (size_t i = 0; i < mrt_regex_count(t); i++)
		printf("regex %zu: %s\n", i, mrt_regex_source(t, i));
}

int cmd_dump(int argc, char **argv)
{
	const char *format = "json", *ns = NULL;
	int c;
	struct meshc_options mopt;   /* the input limits, when TABLE is config */
	meshc_options_init(&mopt);

	while ((c = cli_getopt("dump", argc, argv)) != -1) {
		switch (c) {
		case CLI_HELP:
			return 0;
		case CLI_ERROR:
			return 2;
		case 'o':
			format = optarg;
			break;
		case 'n':
			ns = optarg;
			break;
		default:
			if (cli_input_option(c, optarg, &mopt) < 0)
				return 2;
			break;
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("dump", "dump needs exactly one TABLE");
	mrt_table *t;
	void *buf;
	if (!cli_open_table(argv[optind], ns, &mopt.limits, &t, &buf))
		return 2;
	char err[512];
	int rc = 0;
	for (size_t i = 0; i < mrt_regex_count(t); i++) {
		if (mrt_regex_check(t, i, err, sizeof(err)) != 0) {
			fprintf(stderr, "meshc: %s: regex %zu \"%s\" does not compile: %s\n",
				argv[optind], i, mrt_regex_source(t, i), err);
			rc = 2;
		}
	}
	if (strcasecmp(format, "json") == 0) {
		json_t *j = route_json_dump(t);
		json_dumpf(j, stdout, JSON_PRESERVE_ORDER | JSON_INDENT(2));
		putchar('\n');
		json_decref(j);
	} else {
		print_text(t);
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "meshc: cannot write the output\n");
		rc = 2;
	}
	mrt_close(t);
	free(buf);
	return rc;
}
