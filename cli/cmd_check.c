/*
 * meshc check [options] PATH...: parse, validate and cross-reference, then
 * print the diagnostics in the chosen format. Settings come from the
 * command line, then `.meshc.yaml` (cli/config.c), then the defaults. The
 * diagnostics go through one sink, in this order: suppression
 * (cli/suppress.c), the failure threshold (decides the exit status), the
 * output threshold (decides what is printed), the printer. Exit 0 when
 * nothing reaches the failure threshold, 1 when something does, 2 on a
 * usage error, a bad config file or an unreadable path (2 wins); the same
 * in every output format, since no printer decides it.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "output.h"
#include "suppress.h"

enum {
	OPT_FAILURE = 256, OPT_OUTPUT_THRESHOLD, OPT_DOMAIN, OPT_REQUIRE_HOSTS,
	OPT_LIST_CODES, OPT_MAX_DEPTH, OPT_MAX_ALIASES, OPT_MAX_SCALAR,
	OPT_MAX_DOCUMENT, OPT_CONFIG, OPT_NO_CONFIG,
};

static const struct option check_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "namespace", required_argument, NULL, 'n' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "failure-threshold", required_argument, NULL, OPT_FAILURE },
	{ "output-threshold", required_argument, NULL, OPT_OUTPUT_THRESHOLD },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "require-hosts", no_argument, NULL, OPT_REQUIRE_HOSTS },
	{ "list-codes", no_argument, NULL, OPT_LIST_CODES },
	{ "suppress", required_argument, NULL, 'S' },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "no-config", no_argument, NULL, OPT_NO_CONFIG },
	{ "max-depth", required_argument, NULL, OPT_MAX_DEPTH },
	{ "max-aliases", required_argument, NULL, OPT_MAX_ALIASES },
	{ "max-scalar-bytes", required_argument, NULL, OPT_MAX_SCALAR },
	{ "max-document-bytes", required_argument, NULL, OPT_MAX_DOCUMENT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void check_usage(FILE *f)
{
	fprintf(f,
		"usage: meshc check [options] PATH...\n"
		"  -o, --output FORMAT         %s (default text)\n"
		"  -n, --namespace NS          namespace for resources without one (default)\n"
		"      --failure-threshold L   error|warning|info: exit 1 at or above L (error)\n"
		"      --output-threshold L    error|warning|info: print at or above L (info)\n"
		"      --domain D              cluster domain (cluster.local)\n"
		"      --require-hosts         check destination hosts without Services\n"
		"  -S, --suppress C=RES        drop code C (or *) on resources matching\n"
		"                              RES, \"Kind namespace/name\" with * wildcards\n"
		"      --config FILE           read FILE instead of searching .meshc.yaml\n"
		"      --no-config             ignore .meshc.yaml\n"
		"      --list-codes            list every diagnostic code\n"
		"  -j, --jobs N                worker threads (default: cores)\n"
		"      --max-depth N, --max-aliases N, --max-scalar-bytes N,\n"
		"      --max-document-bytes N  input limits\n"
		"PATH is a file, a directory (*.yaml, *.yml, recursively) or - for stdin.\n",
		output_names());
}

static int list_codes(void)
{
	for (int i = 0; i < DIAG_CODE_COUNT; i++) {
		const struct diag_info *d = diag_info((enum diag_code)i);
		printf("%s  %-7s  %s\n", d->id, diag_level_name(d->level), d->name);
	}
	return ferror(stdout) ? 2 : 0;
}

/* Sets *limit from an option value within [min, max]; false if invalid. */
static bool set_limit(const char *opt, const char *val, long long min,
		      long long max, long long *out)
{
	long long v = cli_parse_uint(val, min, max);
	if (v < 0) {
		fprintf(stderr, "meshc: --%s must be an integer in %lld..%lld\n",
			opt, min, max);
		return false;
	}
	*out = v;
	return true;
}

/* Settings given on the command line; NULL / -1 / false when not given. */
struct check_args {
	const char *format;
	int failure, shown;
	const char *namespace, *domain;
	bool require_hosts;
	const char *config;
	bool no_config;
	const char **suppress;       /* heap array of argv strings */
	size_t nsuppress, cap;
};

/*
 * Loads the config file (unless --no-config) and merges it under the
 * command line into mopt, *format, *failure, *shown and sl. Returns 0, or
 * 2 after printing a message (a bad config file or a bad value).
 */
static int apply_settings(const struct check_args *a, struct config *cfg,
			  struct meshc_options *mopt, const char **format,
			  int *failure, int *shown, struct suppress_list *sl)
{
	char where[PATH_MAX + 64];
	memset(cfg, 0, sizeof(*cfg));
	if (!a->no_config) {
		char *found = a->config ? NULL : config_find();
		const char *path = a->config ? a->config : found;
		int rc = path ? config_load(cfg, path) : 0;
		free(found);
		if (rc != 0)
			return 2;
	}
	const struct config_data *c = cfg->data;

	*format = a->format;
	if (!*format && c && c->output) {
		*format = c->output;
		if (!output_find(*format)) {
			fprintf(stderr, "meshc: %s: unknown output format \"%s\" (%s)\n",
				config_where(cfg, "output", -1, where, sizeof(where)),
				*format, output_names());
			return 2;
		}
	}
	if (!*format) {
		const char *gha = getenv("GITHUB_ACTIONS");
		*format = gha && strcmp(gha, "true") == 0 && output_find("github") ?
			  "github" : "text";
	}
	*failure = a->failure >= 0 ? a->failure :
		   c && c->failure_threshold ? c->failure_threshold - 1 : LEVEL_ERROR;
	*shown = a->shown >= 0 ? a->shown :
		 c && c->output_threshold ? c->output_threshold - 1 : LEVEL_INFO;
	if (a->namespace)
		mopt->namespace = a->namespace;
	else if (c && c->namespace)
		mopt->namespace = c->namespace;
	if (a->domain)
		mopt->domain = a->domain;
	else if (c && c->domain)
		mopt->domain = c->domain;
	mopt->require_hosts = a->require_hosts ||
			      (c && c->require_hosts == CONFIG_TRUE);
	if (c) {
		mopt->ignore = (const char *const *)c->ignore;
		mopt->nignore = c->ignore_count;
		for (unsigned i = 0; i < c->suppress_count; i++)
			if (suppress_add(sl, c->suppress[i],
					 config_where(cfg, "suppress", (long)i, where,
						      sizeof(where))) != 0)
				return 2;
	}
	for (size_t i = 0; i < a->nsuppress; i++)
		if (suppress_add(sl, a->suppress[i], "--suppress") != 0)
			return 2;
	return 0;
}

int cmd_check(int argc, char **argv)
{
	struct meshc_options mopt;
	meshc_options_init(&mopt);
	struct check_args a = { .failure = -1, .shown = -1 };
	long long v;
	int c, rc = 2;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:n:j:S:h", check_options, NULL)) != -1) {
		switch (c) {
		case 'o':
			a.format = optarg;
			break;
		case 'n':
			a.namespace = optarg;
			break;
		case 'j':
			if (!set_limit("jobs", optarg, 1, 64, &v))
				goto out;
			mopt.jobs = (unsigned)v;
			break;
		case 'S':
			GROW(a.suppress, a.nsuppress, a.cap);
			a.suppress[a.nsuppress++] = optarg;
			break;
		case OPT_FAILURE:
		case OPT_OUTPUT_THRESHOLD: {
			int l = cli_parse_level(optarg);
			if (l < 0) {
				fprintf(stderr, "meshc: unknown level \"%s\" (error, warning, info)\n",
					optarg);
				goto out;
			}
			*(c == OPT_FAILURE ? &a.failure : &a.shown) = l;
			break;
		}
		case OPT_DOMAIN:
			a.domain = optarg;
			break;
		case OPT_REQUIRE_HOSTS:
			a.require_hosts = true;
			break;
		case OPT_CONFIG:
			a.config = optarg;
			break;
		case OPT_NO_CONFIG:
			a.no_config = true;
			break;
		case OPT_LIST_CODES:
			free(a.suppress);
			return list_codes();
		case OPT_MAX_DEPTH:
			if (!set_limit("max-depth", optarg, 1, 10000, &v))
				goto out;
			mopt.limits.max_depth = (unsigned)v;
			break;
		case OPT_MAX_ALIASES:
			if (!set_limit("max-aliases", optarg, 0, 10000000, &v))
				goto out;
			mopt.limits.max_alias_nodes = (size_t)v;
			break;
		case OPT_MAX_SCALAR:
			if (!set_limit("max-scalar-bytes", optarg, 1, 256LL << 20, &v))
				goto out;
			mopt.limits.max_scalar_bytes = (size_t)v;
			break;
		case OPT_MAX_DOCUMENT:
			if (!set_limit("max-document-bytes", optarg, 1, 1LL << 30, &v))
				goto out;
			mopt.limits.max_document_bytes = (size_t)v;
			break;
		case 'h':
			check_usage(stdout);
			rc = 0;
			goto out;
		default:
			check_usage(stderr);
			goto out;
		}
	}
	if (a.config && a.no_config) {
		fprintf(stderr, "meshc: --config and --no-config exclude each other\n");
		goto out;
	}
	if (a.format && !output_find(a.format)) {
		fprintf(stderr, "meshc: unknown output format \"%s\" (%s)\n", a.format,
			output_names());
		goto out;
	}
	if (optind >= argc) {
		fprintf(stderr, "meshc: check needs at least one PATH (- for stdin)\n");
		check_usage(stderr);
		goto out;
	}

	struct config cfg;
	struct suppress_list sl;
	suppress_init(&sl);
	const char *format;
	int failure, shown;
	if (apply_settings(&a, &cfg, &mopt, &format, &failure, &shown, &sl) != 0) {
		suppress_release(&sl);
		config_release(&cfg);
		goto out;
	}
	const struct printer *printer = output_find(format);

	struct project p;
	project_init(&p, &mopt);
	cli_run_checks(&p, argv + optind, (size_t)(argc - optind));

	/*
	 * Suppression first; then the failure threshold over everything left
	 * (so the exit status does not depend on what is printed), then the
	 * output threshold.
	 */
	p.diags.n = suppress_filter(&sl, p.diags.items, p.diags.n);
	bool failed = false;
	size_t kept = 0;
	for (size_t i = 0; i < p.diags.n; i++) {
		const struct diag *d = &p.diags.items[i];
		if ((int)d->level >= failure)
			failed = true;
		if ((int)d->level >= shown)
			p.diags.items[kept++] = *d;
	}
	p.diags.n = kept;

	const char *no_color = getenv("NO_COLOR");
	bool tty = isatty(STDOUT_FILENO);
	struct output_ctx ctx = {
		.p = &p,
		.excerpt = tty,
		.color = tty && !(no_color && *no_color),
		.failure = (enum diag_level)failure,
	};
	int werr = printer->print(stdout, p.diags.items, p.diags.n, &ctx);
	if (fflush(stdout) != 0 || werr) {
		fprintf(stderr, "meshc: cannot write the output\n");
		rc = 2;
	} else {
		rc = p.usage_error ? 2 : failed ? 1 : 0;
	}
	project_release(&p);
	suppress_release(&sl);
	config_release(&cfg);
out:
	free(a.suppress);
	return rc;
}
