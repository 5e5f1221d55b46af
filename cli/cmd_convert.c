/*
 * meshc convert [options] PATH...: reads Kubernetes Gateway API config
 * and prints, as YAML, the Istio Gateways and VirtualServices Istio
 * derives from it, named as Istio names them; with --status, the status
 * Istio writes on each input resource instead (compiler/gwapi.h).
 * Exit 0 when printed, 1 when the input cannot be read as YAML, 2 on a
 * usage error or an unreadable path.
 */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "output.h"

int cmd_convert(int argc, char **argv)
{
	struct meshc_options mopt;
	bool status = false;
	int c, rc = 2;

	meshc_options_init(&mopt);
	while ((c = cli_getopt("convert", argc, argv)) != -1) {
		switch (c) {
		case CLI_HELP:
			return 0;
		case CLI_ERROR:
			return 2;
		case OPT_STATUS:
			status = true;
			break;
		default:
			if (cli_input_option(c, optarg, &mopt) < 0)
				return 2;
			break;
		}
	}
	if (optind >= argc)
		return cli_usage_error("convert", "convert needs at least one PATH");

	/* The conversion reads the copies gwapi_keep makes, not the trees. */
	mopt.release_trees = true;
	struct project p;
	project_init(&p, &mopt);
	project_load(&p, argv + optind, (size_t)(argc - optind));
	project_finish_diags(&p);
	bool failed = false;
	size_t nerr = 0;
	for (size_t i = 0; i < p.diags.n; i++)
		if (p.diags.items[i].level == LEVEL_ERROR)
			p.diags.items[nerr++] = p.diags.items[i];
	if (nerr) {
		struct output_ctx ctx = { .p = &p, .failure = LEVEL_ERROR,
					  .color = cli_use_color(NULL, STDERR_FILENO) };
		output_text(stderr, p.diags.items, nerr, &ctx);
		failed = true;
	}
	if (p.usage_error) {
		rc = 2;
	} else if (failed) {
		rc = 1;
	} else {
		gwapi_convert_print(&p, mopt.domain, status, stdout);
		rc = fflush(stdout) == 0 && !ferror(stdout) ? 0 : 2;
	}
	project_release(&p);
	return rc;
}
