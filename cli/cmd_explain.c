/*
 * meshc explain CODE: what a diagnostic code means, which layer it comes
 * from, why it matters and how to fix it, from the diagnostics table.
 */
#include <stdio.h>

#include "cli.h"
#include "commands.h"

int cmd_explain(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: meshc explain CODE\n");
		return 2;
	}
	int code = diag_code_lookup(argv[1]);
	if (code < 0) {
		fprintf(stderr, "meshc: unknown code \"%s\" (meshc check --list-codes lists them)\n",
			argv[1]);
		return 2;
	}
	const struct diag_info *d = diag_info((enum diag_code)code);
	printf("%s %s (%s)\nlayer: %s\n\n%s\n", d->id, d->name,
	       diag_level_name(d->level), diag_layer_name(d->layer), d->explain);
	return ferror(stdout) ? 2 : 0;
}
