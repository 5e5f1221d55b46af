/*
 * meshc: the program. Dispatches to a subcommand of the command table
 * (cli/commands.c); a mistyped command gets a "did you mean".
 */
#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "commands.h"

#ifndef MESHC_VERSION
#define MESHC_VERSION "0.1.0"
#endif

/* meshc help [COMMAND]: the top-level help, or that command's. */
int cmd_help(int argc, char **argv)
{
	int c;
	while ((c = cli_getopt("help", argc, argv)) != -1)
		return c == CLI_HELP ? 0 : 2;
	if (optind == argc) {
		cli_usage(stdout);
		return fflush(stdout) ? 2 : 0;
	}
	if (optind + 1 != argc)
		return cli_usage_error("help", "help takes one COMMAND");
	const struct cli_command *cmd = cli_command_find(argv[optind]);
	if (!cmd) {
		const char *near = schema_closest(&cli_commands[0].name, cli_ncommands,
						  sizeof(cli_commands[0]), argv[optind],
						  strlen(argv[optind]));
		fprintf(stderr, "meshc: unknown command \"%s\"", argv[optind]);
		if (near)
			fprintf(stderr, ", did you mean \"%s\"?", near);
		fputs("\nmeshc: meshc help lists the commands\n", stderr);
		return 2;
	}
	cli_command_usage(cmd, stdout);
	return fflush(stdout) ? 2 : 0;
}

int main(int argc, char **argv)
{
#ifdef M_MMAP_THRESHOLD
	/*
	 * Blocks of 64 KB and up (arena blocks, inputs, tables) from mmap,
	 * always: a block's untouched tail is never resident and a freed
	 * one goes back at once. glibc raises the threshold to 32 MB after
	 * the first such free, and then the freed inputs, re-read inputs
	 * and parser buffers stay in the heap between the records, which
	 * cannot reuse them all (10k services: diff 75 -> 68 MB, check
	 * 53 -> 51 MB, compile 110 -> 105 MB).
	 */
	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
#endif
	if (argc < 2) {
		/* No command: the help, as git does (on stdout), but a usage error. */
		cli_usage(stdout);
		return 2;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
		cli_usage(stdout);
		return fflush(stdout) ? 2 : 0;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
		printf("meshc %s\n", MESHC_VERSION);
		return fflush(stdout) ? 2 : 0;
	}
	const struct cli_command *cmd = cli_command_find(name);
	if (cmd)
		return cmd->run(argc - 1, argv + 1);
	const char *near = schema_closest(&cli_commands[0].name, cli_ncommands,
					  sizeof(cli_commands[0]), name, strlen(name));
	if (name[0] == '-')
		fprintf(stderr, "meshc: unknown option %s (options follow the command)",
			name);
	else
		fprintf(stderr, "meshc: unknown command \"%s\"", name);
	if (near)
		fprintf(stderr, ", did you mean \"%s\"?", near);
	fputs("\nmeshc: meshc help lists the commands\n", stderr);
	return 2;
}
