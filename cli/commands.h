/*
 * The command table: every subcommand with its synopsis and its options,
 * in one place (cli/commands.c). `--help`, `meshc help CMD`, the
 * did-you-mean of unknown commands and options, option parsing and the
 * bash/zsh/fish completions (`meshc completion SHELL`) are all generated
 * from it, and tests/t_cli.sh compares each command's --help with
 * man/meshc.1, so an option added here is documented or the suite fails.
 *
 * Adding an option: a row in the command's table below (or in a shared
 * group such as input_options), an OPT_* key here when it has no short
 * letter, a case in the command's option loop, and an .It entry in the
 * command's subsection of man/meshc.1.
 *
 * Each subcommand lives in cli/cmd_<name>.c; its run function takes argv
 * after the program name (argv[0] is the command name) and returns the
 * process exit status (0, 1, or 2).
 */
#ifndef MESHC_COMMANDS_H
#define MESHC_COMMANDS_H

#include <getopt.h>   /* optarg, optind after cli_getopt */
#include <stdbool.h>
#include <stdio.h>

#include "compiler.h"

/* Option keys: a short option's letter, or one of these for long-only ones. */
enum cli_key {
	OPT_FAILURE_THRESHOLD = 256,
	OPT_OUTPUT_THRESHOLD,
	OPT_DOMAIN,
	OPT_REQUIRE_HOSTS,
	OPT_LIST_CODES,
	OPT_CONFIG,
	OPT_NO_CONFIG,
	OPT_MAX_DEPTH,
	OPT_MAX_ALIASES,
	OPT_MAX_SCALAR_BYTES,
	OPT_MAX_DOCUMENT_BYTES,
	OPT_STDIN_FILENAME,
	OPT_COLOR,
	OPT_GIT,
	OPT_GATEWAY,
	OPT_HOST,
	OPT_PORT,
	OPT_METHOD,
	OPT_PATH,
	OPT_HEADER,
	OPT_SCHEME,
	OPT_SOURCE_LABEL,
	OPT_SOURCE_NAMESPACE,
	OPT_SNI,
	OPT_FAIL_UNDER,
	OPT_WORKLOAD,
	OPT_OUTBOUND_TRAFFIC_POLICY,
	OPT_STATUS,
};

/* What a shell offers when completing an option's value or an operand. */
enum cli_complete {
	COMPLETE_NONE,       /* free text: nothing */
	COMPLETE_FILE,       /* file and directory names */
	COMPLETE_WORDS,      /* the option's `values` */
	COMPLETE_COMMAND,    /* meshc's command names */
	COMPLETE_CODE,       /* diagnostic codes (meshc check --list-codes) */
	COMPLETE_SHELL,      /* bash, zsh, fish */
};

/*
 * One option. A row with `include` set pulls in a shared table instead;
 * a row with name NULL ends a table.
 */
struct cli_option {
	const char *name;            /* long name without "--" */
	int key;                     /* short letter, or an OPT_* key */
	const char *arg;             /* the value's name in --help; NULL: a flag */
	const char *help;            /* one line for --help */
	const char *values;          /* accepted values, space-separated (any
	                              * case); NULL: any value */
	enum cli_complete complete;  /* how shells complete the value */
	bool repeat;                 /* may be given more than once */
	const struct cli_option *include;
};

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;         /* one line, for `meshc help` */
	const char *synopsis;        /* after "meshc NAME ", e.g. "[options] PATH..." */
	const struct cli_option *options;
	const char *notes;           /* printed after the options, or NULL */
	enum cli_complete operands;  /* how shells complete operands */
};

/* Every command, sorted by name; cli_ncommands of them. */
extern const struct cli_command cli_commands[];
extern const size_t cli_ncommands;

/* The command called name, or NULL. */
const struct cli_command *cli_command_find(const char *name);

/*
 * The command's options with shared tables expanded, in table order,
 * ending with -h/--help; *n of them. Built once per command (static).
 */
const struct cli_option *const *cli_command_options(const struct cli_command *c,
						    size_t *n);

/* Writes the command's help (what --help prints) to f. */
void cli_command_usage(const struct cli_command *c, FILE *f);

/* Top-level help: the commands and their summaries. */
void cli_usage(FILE *f);

/*
 * getopt_long over the table of command `name`. Returns the next option's
 * key (its value in optarg, checked against the option's `values`), -1
 * after the last option (operands start at optind), or:
 *   CLI_HELP   --help was given and the help is printed on stdout: exit 0;
 *   CLI_ERROR  a usage error is printed on stderr ("meshc: ..." lines,
 *              with a did-you-mean for a mistyped option): exit 2.
 * Resets getopt's state on the first call for argv.
 */
enum { CLI_HELP = -2, CLI_ERROR = -3 };
int cli_getopt(const char *name, int argc, char **argv);

/*
 * Prints "meshc: MESSAGE" and a pointer to the command's usage on stderr,
 * for operand errors found after cli_getopt. Returns 2 (the exit status).
 */
int cli_usage_error(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Applies an option of the shared input_options table that is not
 * command-specific (--jobs, --stdin-filename, --max-*; -n and --domain
 * for commands that keep them in o as given) to o. Returns 1
 * when key was one of them, 0 when not, -1 after printing an error for a
 * bad value (exit 2).
 */
int cli_input_option(int key, const char *arg, struct meshc_options *o);

/* The input limits: option and config key name, OPT_* key, range. */
struct cli_limit {
	const char *name;
	int key;
	long long min, max;
};
#define CLI_NLIMITS 4
extern const struct cli_limit cli_limits[CLI_NLIMITS];
/* Stores value v of limit i (within its range) into o->limits. */
void cli_limit_store(size_t i, long long v, struct meshc_options *o);

int cmd_check(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_completion(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_test(int argc, char **argv);

#endif
