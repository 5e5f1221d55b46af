/*
 * meshc check [options] PATH...: parse, validate and cross-reference, then
 * print the diagnostics in the chosen format. Exit 0 when nothing reaches
 * the failure threshold, 1 when something does, 2 on a usage error or an
 * unreadable path (2 wins).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "output.h"

enum {
	OPT_FAILURE = 256, OPT_OUTPUT_THRESHOLD, OPT_DOMAIN, OPT_REQUIRE_HOSTS,
	OPT_LIST_CODES, OPT_MAX_DEPTH, OPT_MAX_ALIASES, OPT_MAX_SCALAR,
	OPT_MAX_DOCUMENT,
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

int cmd_check(int argc, char **argv)
{
	struct meshc_options mopt;
	meshc_options_init(&mopt);
	const char *format = NULL;
	int failure = LEVEL_ERROR, shown = LEVEL_INFO;
	long long v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:n:j:h", check_options, NULL)) != -1) {
		switch (c) {
		case 'o':
			format = optarg;
			break;
		case 'n':
			mopt.namespace = optarg;
			break;
		case 'j':
			if (!set_limit("jobs", optarg, 1, 64, &v))
				return 2;
			mopt.jobs = (unsigned)v;
			break;
		case OPT_FAILURE:
		case OPT_OUTPUT_THRESHOLD: {
			int l = cli_parse_level(optarg);
			if (l < 0) {
				fprintf(stderr, "meshc: unknown level \"%s\" (error, warning, info)\n",
					optarg);
				return 2;
			}
			*(c == OPT_FAILURE ? &failure : &shown) = l;
			break;
		}
		case OPT_DOMAIN:
			mopt.domain = optarg;
			break;
		case OPT_REQUIRE_HOSTS:
			mopt.require_hosts = true;
			break;
		case OPT_LIST_CODES:
			return list_codes();
		case OPT_MAX_DEPTH:
			if (!set_limit("max-depth", optarg, 1, 10000, &v))
				return 2;
			mopt.limits.max_depth = (unsigned)v;
			break;
		case OPT_MAX_ALIASES:
			if (!set_limit("max-aliases", optarg, 0, 10000000, &v))
				return 2;
			mopt.limits.max_alias_nodes = (size_t)v;
			break;
		case OPT_MAX_SCALAR:
			if (!set_limit("max-scalar-bytes", optarg, 1, 256LL << 20, &v))
				return 2;
			mopt.limits.max_scalar_bytes = (size_t)v;
			break;
		case OPT_MAX_DOCUMENT:
			if (!set_limit("max-document-bytes", optarg, 1, 1LL << 30, &v))
				return 2;
			mopt.limits.max_document_bytes = (size_t)v;
			break;
		case 'h':
			check_usage(stdout);
			return 0;
		default:
			check_usage(stderr);
			return 2;
		}
	}
	if (!format) {
		const char *gha = getenv("GITHUB_ACTIONS");
		format = gha && strcmp(gha, "true") == 0 && output_find("github") ?
			 "github" : "text";
	}
	const struct printer *printer = output_find(format);
	if (!printer) {
		fprintf(stderr, "meshc: unknown output format \"%s\" (%s)\n", format,
			output_names());
		return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "meshc: check needs at least one PATH (- for stdin)\n");
		check_usage(stderr);
		return 2;
	}

	struct project p;
	project_init(&p, &mopt);
	cli_run_checks(&p, argv + optind, (size_t)(argc - optind));

	/* Filter by the output threshold; the exit code uses the full list. */
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
	};
	int werr = printer->print(stdout, p.diags.items, p.diags.n, &ctx);
	if (fflush(stdout) != 0 || werr) {
		fprintf(stderr, "meshc: cannot write the output\n");
		project_release(&p);
		return 2;
	}
	int rc = p.usage_error ? 2 : failed ? 1 : 0;
	project_release(&p);
	return rc;
}
