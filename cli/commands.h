/*
 * The subcommands: one cli/cmd_<name>.c each, listed in main.c's table.
 * Each takes argv after the command name (argv[0] is the command name)
 * and returns the process exit status (0, 1, or 2).
 */
#ifndef MESHC_COMMANDS_H
#define MESHC_COMMANDS_H

int cmd_check(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_test(int argc, char **argv);

#endif
