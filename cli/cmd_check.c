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

static int list_codes(void)
{
	for (int i = 0; i < DIAG_CODE_COUNT; i++) {
		const struct diag_info *d = diag_info((enum diag_code)i);
		printf("%s  %-7s  %s\n", d->id, diag_level_name(d->level), d->name);
	}
	return ferror(stdout) ? 2 : 0;
}

/* Settings given on the command line; NULL / -1 / false when not given. */
struct check_args {
	const char *format;
	int failure, shown;
	const char *namespace, *domain;
	bool require_hosts;
	const char *config;
	bool no_config;
	const char *color;           /* auto, always, never */
	bool quiet;
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
	if (cli_config_limits(cfg, mopt) != 0)
		return 2;

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
	int c, rc = 2;

	while ((c = cli_getopt("check", argc, argv)) != -1) {
		switch (c) {
		case CLI_HELP:
			rc = 0;
			goto out;
		case CLI_ERROR:
			goto out;
		case 'o':
			a.format = optarg;
			break;
		case 'n':
			a.namespace = optarg;
			break;
		case 'q':
			a.quiet = true;
			break;
		case 'S':
			GROW(a.suppress, a.nsuppress, a.cap);
			a.suppress[a.nsuppress++] = optarg;
			break;
		case OPT_FAILURE_THRESHOLD:
			a.failure = cli_parse_level(optarg);
			break;
		case OPT_OUTPUT_THRESHOLD:
			a.shown = cli_parse_level(optarg);
			break;
		case OPT_COLOR:
			a.color = optarg;
			break;
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
		default:
			if (cli_input_option(c, optarg, &mopt) < 0)
				goto out;
			break;
		}
	}
	if (a.config && a.no_config) {
		rc = cli_usage_error("check", "--config and --no-config exclude each other");
		goto out;
	}
	if (optind >= argc) {
		rc = cli_usage_error("check", "check needs at least one PATH (- for stdin)");
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
	bool excerpt = isatty(STDOUT_FILENO);   /* text shows source lines */
	mopt.release_trees = true;   /* nothing after the checks reads a tree */
	mopt.release_inputs = !excerpt;
	project_init(&p, &mopt);
	struct cli_run run;
	cli_run_init(&run, cli_progress_wanted(a.quiet), &sl);
	meshc_check(&p, argv + optind, (size_t)(argc - optind), &run.hooks);
	cli_run_release(&run);
	size_t suppressed = run.suppressed;

	/*
	 * Suppression first (meshc_check's filter); then the failure
	 * threshold over everything left (so the exit status does not depend
	 * on what is printed), then the output threshold.
	 */
	size_t by_level[3] = { 0 };
	bool failed = false;
	size_t kept = 0;
	for (size_t i = 0; i < p.diags.n; i++) {
		const struct diag *d = &p.diags.items[i];
		by_level[d->level]++;
		if ((int)d->level >= failure)
			failed = true;
		if ((int)d->level >= shown)
			p.diags.items[kept++] = *d;
	}
	p.diags.n = kept;

	const char *workspace = getenv("GITHUB_WORKSPACE"), *gitlab_ci = getenv("GITLAB_CI");
	const char *base_dir = workspace && *workspace ? workspace : ".";
	struct output_ctx ctx = {
		.p = &p,
		.excerpt = excerpt,
		.color = cli_use_color(a.color, STDOUT_FILENO),
		.failure = (enum diag_level)failure,
		.base_dir = base_dir,
		.gitlab = gitlab_ci && strcmp(gitlab_ci, "true") == 0,
	};
	int werr = printer->print(stdout, p.diags.items, p.diags.n, &ctx);
	if (fflush(stdout) != 0 || werr) {
		fprintf(stderr, "meshc: cannot write the output\n");
		rc = 2;
	} else {
		rc = p.usage_error ? 2 : failed ? 1 : 0;
		if (!a.quiet)
			cli_summary(stderr, &p, by_level, suppressed);
	}
	project_release(&p);
	suppress_release(&sl);
	config_release(&cfg);
out:
	free(a.suppress);
	return rc;
}
