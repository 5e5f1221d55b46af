/*
 * meshc: the program. Dispatches to a subcommand from a sorted table.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

#define MESHC_VERSION "0.1.0"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* Sorted by name. */
static const struct command commands[] = {
	{ "check", cmd_check, "validate and cross-reference Istio config" },
	{ "compile", cmd_compile, "compile config to a binary route table" },
	{ "diff", cmd_diff, "compare two configs or route tables" },
	{ "dump", cmd_dump, "decode a route table" },
	{ "explain", cmd_explain, "explain a diagnostic code" },
	{ "query", cmd_query, "route one request through a table" },
	{ "test", cmd_test, "run router_check_tool tests against a table" },
};

static void usage(FILE *f)
{
	fputs("usage: meshc <command> [options] [args]\n\ncommands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fputs("\nmeshc <command> --help for a command's options; man meshc for more.\n", f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
	    strcmp(name, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
		printf("meshc %s\n", MESHC_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "meshc: unknown command \"%s\"\n", name);
	usage(stderr);
	return 2;
}
