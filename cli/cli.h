/*
 * Pieces shared by the subcommands: the pipeline's hooks (check,
 * compile), opening a TABLE argument (dump, query, test), option values.
 */
#ifndef MESHC_CLI_H
#define MESHC_CLI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "compiler.h"
#include "meshrt.h"

/*
 * What a command's pipeline (compiler.h meshc_check, meshc_compile) calls
 * back: the progress line, MESHC_TIMING's phase times, and suppression
 * by `sl` (NULL: none; with it the `# meshc:ignore` comments are linted).
 * cli_run_init fills `hooks`; pass &run.hooks, then cli_run_release.
 */
struct suppress_list;
struct cli_run {
	struct meshc_hooks hooks;
	bool progress;               /* draw the progress line (slow runs only) */
	bool shown;                  /* it is on the screen */
	const struct suppress_list *sl;
	size_t suppressed;           /* diagnostics the filter dropped */
	double start, last, loaded, analyzed;   /* ms, CLOCK_MONOTONIC */
	pthread_mutex_t lock;        /* the progress line's, among workers */
};
void cli_run_init(struct cli_run *run, bool progress, const struct suppress_list *sl);
void cli_run_release(struct cli_run *run);

/*
 * Whether to show a progress line: not with -q, only on a terminal
 * (stderr), never with TERM=dumb or in CI (CI set), so pipes and CI logs
 * never carry one. cli_run then shows it only for slow runs.
 */
bool cli_progress_wanted(bool quiet);

/*
 * The summary line `check` prints on stderr: "2 errors, 1 warning in 41
 * resources, 9 files", or "no problems in ...". by_level counts the
 * diagnostics after suppression (before the output threshold) by
 * LEVEL_*; suppressed says how many suppression removed. After an input
 * that could not be read (exit 2) the line says the counts are partial.
 */
void cli_summary(FILE *f, const struct project *p, const size_t by_level[3],
		 size_t suppressed);

/*
 * Opens the TABLE argument `path` as meshc_table_load() does: a compiled
 * table, or config compiled in memory for namespace `ns` (NULL: default).
 * Returns true with *t open and *buf the bytes behind it (mrt_close(*t),
 * then free(*buf)). Otherwise prints "meshc: <why>" on stderr and returns
 * false; the caller exits 2.
 */
bool cli_open_table(const char *path, const char *ns,
		    const struct meshc_limits *lim, mrt_table **t, void **buf);

/*
 * Whether to colour output written to fd: `when` is --color's value
 * ("always", "never", "auto"; NULL is auto). Auto colours only a terminal,
 * and never with NO_COLOR set non-empty or TERM=dumb.
 */
bool cli_use_color(const char *when, int fd);

/*
 * The mesh's outbound traffic policy for query and test: the option
 * value `opt` (ALLOW_ANY or REGISTRY_ONLY, any case), else the
 * `outbound-traffic-policy` key of the config file (`config`, or the
 * .meshc.yaml found from the current directory up; none with no_config),
 * else ALLOW_ANY. 0, or 2 after printing a message.
 */
int cli_outbound_policy(const char *opt, const char *config, bool no_config,
			bool *registry_only, struct meshc_options *o);

struct config;
/*
 * Applies the config file's limit keys (max-depth, ...) to o, except those
 * the command line set. 0, or 2 after printing "meshc: FILE:LINE:COL: ..."
 * for a value out of range.
 */
int cli_config_limits(const struct config *cfg, struct meshc_options *o);

/* Parses "error", "warning", "info" (any case); -1 when unknown. */
int cli_parse_level(const char *s);

/* Parses a non-negative integer option value within [min, max]; -1 if bad. */
long long cli_parse_uint(const char *s, long long min, long long max);

#endif
