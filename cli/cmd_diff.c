/*
 * meshc diff OLD NEW [options]: what changed between two configurations,
 * at the resource level (added, removed and changed resources with field
 * paths) and at the route level (request classes that now go somewhere
 * else). Each side is a config path (file, directory, or `-`) or a
 * compiled route table (recognised by its magic bytes); with a table on
 * either side only routes are compared. Config sides are only loaded, not
 * validated: a side with YAML errors (syntax, limits, encoding, duplicate
 * keys, documents that are not objects, nameless objects) is an error,
 * its diagnostics printed on stderr; other problems are `meshc check`'s
 * business. Routes of a config side are compiled in memory as `meshc
 * compile` would.
 *
 * Exit 0 no difference, 1 differences, 2 error. With --git meshc acts as
 * git's external diff driver (GIT_EXTERNAL_DIFF or diff.<driver>.command):
 * seven arguments (path old-file old-hex old-mode new-file new-hex
 * new-mode; nine for a rename), /dev/null for an added or removed file;
 * it prints the text diff and exits 0 even for data errors, as git before
 * 2.46 stops at any other exit status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "output.h"
#include "route_json.h"

/*
 * MESHC_DIFF_SCOPE, for tests/t_diff_scope.sh only: "full" diffs the
 * plain way (NEW parsed on its own, every host compared), "show" says on
 * stderr how many hosts were compared.
 */
static bool scope_is(const char *how)
{
	const char *v = getenv("MESHC_DIFF_SCOPE");
	return v && strcmp(v, how) == 0;
}

static void show_scope(void *ctx, const struct host_set *only, const char *why)
{
	(void)ctx;
	if (only)
		fprintf(stderr, "meshc: diff scope: %zu hosts\n", diff_scope_size(only));
	else
		fprintf(stderr, "meshc: diff scope: all hosts (%s)\n",
			why ? why : "MESHC_DIFF_SCOPE=full");
}

/* Runs the comparison into d; 0, or 2 after printing why it failed. */
static int run_diff(struct meshc_diff_side *so, struct meshc_diff_side *sn,
		    const struct meshc_options *opt, struct diff_result *d)
{
	struct meshc_hooks h = { .scoped = scope_is("show") ? show_scope : NULL };
	char err[1024];
	int rc = meshc_diff(d, so, sn, opt, scope_is("full"), &h, err, sizeof(err));
	/* A side with YAML errors: they are why it cannot be compared. */
	struct meshc_diff_side *bad = so->rejected ? so : sn->rejected ? sn : NULL;
	if (bad) {
		struct output_ctx ctx = { .p = &bad->p, .failure = LEVEL_ERROR };
		output_text(stderr, bad->p.diags.items, bad->p.diags.n, &ctx);
	}
	if (rc && err[0])
		fprintf(stderr, "meshc: %s\n", err);
	return rc;
}

int cmd_diff(int argc, char **argv)
{
	struct meshc_options mopt;
	meshc_options_init(&mopt);
	mopt.canonical_hashes = true;   /* diff_resources skips equal resources */
	mopt.release_trees = true;      /* nothing reads a tree after loading */
	/* Inputs are read again where needed: the chunks of changed
	 * resources (diff.c), OLD's bytes while NEW plans what it shares
	 * (project.c share_plan). */
	mopt.release_inputs = true;
	const char *format = "text";
	bool quiet = false, git = false;
	int c;

	while ((c = cli_getopt("diff", argc, argv)) != -1) {
		switch (c) {
		case CLI_HELP:
			return 0;
		case CLI_ERROR:
			return 2;
		case 'o':
			format = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case OPT_GIT:
			git = true;
			break;
		default:
			if (cli_input_option(c, optarg, &mopt) < 0)
				return 2;
			break;
		}
	}
	int fmt = diff_format_lookup(format);
	if (fmt < 0) {
		fprintf(stderr, "meshc: unknown output format \"%s\" (text, json, markdown)\n",
			format);
		return 2;
	}
	int npos = argc - optind;
	char **pos = argv + optind;
	struct meshc_diff_side so = { 0 }, sn = { 0 };
	const char *gpath = NULL, *gnew = NULL;
	if (git) {
		if (npos != 7 && npos != 9) {
			fprintf(stderr, "meshc: diff --git takes the seven arguments git passes "
				"(path old-file old-hex old-mode new-file new-hex new-mode), got %d\n",
				npos);
			return 2;
		}
		gpath = pos[0];
		gnew = npos == 9 ? pos[7] : pos[0];
		so.path = pos[1];
		sn.path = pos[4];
		so.empty = strcmp(so.path, "/dev/null") == 0;
		sn.empty = strcmp(sn.path, "/dev/null") == 0;
		fmt = DIFF_TEXT;
	} else {
		if (npos != 2)
			return cli_usage_error("diff", "diff needs OLD and NEW");
		so.path = pos[0];
		sn.path = pos[1];
		if (strcmp(so.path, "-") == 0 && strcmp(sn.path, "-") == 0) {
			fprintf(stderr, "meshc: only one side can be - (standard input)\n");
			return 2;
		}
	}

	struct diff_result d;
	diff_result_init(&d);
	d.route_view = route_json_action;
	int rc = run_diff(&so, &sn, &mopt, &d);
	if (git) {
		printf("meshc diff a/%s b/%s\n", gpath, gnew);
		if (rc)
			printf("cannot compare semantically (see the messages above)\n");
		else if (diff_result_empty(&d))
			printf("no semantic difference (formatting, comments or order only)\n");
		else if (diff_print(stdout, &d, DIFF_TEXT) != 0)
			rc = -1;
		rc = rc < 0 || fflush(stdout) != 0 ? 2 : 0;
	} else if (rc == 0) {
		bool differ = !diff_result_empty(&d);
		if (!quiet && (diff_print(stdout, &d, (enum diff_format)fmt) != 0 ||
			       fflush(stdout) != 0)) {
			fprintf(stderr, "meshc: cannot write the output\n");
			rc = 2;
		} else {
			rc = differ ? 1 : 0;
		}
	}
	diff_result_release(&d);
	meshc_diff_side_release(&so);
	meshc_diff_side_release(&sn);
	return rc;
}
