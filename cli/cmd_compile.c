/*
 * meshc compile [options] -o OUT PATH...: runs every check of `meshc
 * check` (the same pipeline, meshc_compile), prints the diagnostics as
 * text on standard error, and refuses (exit 1, OUT untouched) when an
 * error remains after suppression. Otherwise builds the route model,
 * emits the table and writes OUT atomically (route_write_atomic: a
 * temporary file in OUT's directory, fsync, rename, fsync of the
 * directory). The same input gives the byte-identical table whatever
 * the order of files and documents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "output.h"
#include "suppress.h"

int cmd_compile(int argc, char **argv)
{
	struct meshc_options mopt;
	struct suppress_list sl;
	const char *out = NULL, *color = NULL;
	int c, rc = 2;

	meshc_options_init(&mopt);
	suppress_init(&sl);
	while ((c = cli_getopt("compile", argc, argv)) != -1) {
		switch (c) {
		case CLI_HELP:
			rc = 0;
			goto done;
		case CLI_ERROR:
			goto done;
		case 'o':
			out = optarg;
			break;
		case 'S':
			if (suppress_add(&sl, optarg, "--suppress") != 0)
				goto done;
			break;
		case OPT_REQUIRE_HOSTS:
			mopt.require_hosts = true;
			break;
		case OPT_COLOR:
			color = optarg;
			break;
		default:
			if (cli_input_option(c, optarg, &mopt) < 0)
				goto done;
			break;
		}
	}
	if (!out || optind >= argc) {
		rc = cli_usage_error("compile", "compile needs -o OUT and at least one PATH");
		goto done;
	}

	struct project p;
	/* The route builder reads records only; the Gateway API conversion
	 * needs trees, and project.c keeps them for inputs that hold it. */
	mopt.release_trees = true;
	mopt.release_inputs = true;   /* its diagnostics show no source lines */
	project_init(&p, &mopt);
	struct cli_run run;
	cli_run_init(&run, cli_progress_wanted(false), &sl);
	size_t len = 0;
	void *blob = NULL;
	char err[512] = "";
	/* The compile warnings (MSH04xx) join the check's diagnostics. */
	int built = meshc_compile(&p, argv + optind, (size_t)(argc - optind),
				  &run.hooks, &blob, &len, err, sizeof(err));
	cli_run_release(&run);
	bool failed = built == 1;
	struct output_ctx ctx = { .p = &p, .failure = LEVEL_ERROR,
				  .color = cli_use_color(color, STDERR_FILENO) };
	if (output_text(stderr, p.diags.items, p.diags.n, &ctx) != 0)
		failed = true;

	if (p.usage_error) {
		rc = 2;
	} else if (failed) {
		fprintf(stderr, "meshc: %s not written: the config has errors\n", out);
		rc = 1;
	} else if (!blob) {
		fprintf(stderr, "meshc: %s\n", err);
		rc = 2;
	} else if (route_write_atomic(out, blob, len, err, sizeof(err)) != 0) {
		fprintf(stderr, "meshc: %s\n", err);
		rc = 2;
	} else {
		rc = 0;
	}
	free(blob);
	project_release(&p);
done:
	suppress_release(&sl);
	return rc;
}
