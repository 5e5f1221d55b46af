/*
 * Pieces shared by the subcommands: the check pipeline (check, compile,
 * diff), opening a TABLE argument (dump, query, test), option values.
 */
#ifndef MESHC_CLI_H
#define MESHC_CLI_H

#include <stdbool.h>

#include "compiler.h"
#include "meshrt.h"

/*
 * Runs the whole check pipeline over paths: load, validate, analyze, then
 * gathers and sorts the diagnostics into p->diags. p must be initialised.
 */
void cli_run_checks(struct project *p, char *const *paths, size_t npaths);

/*
 * Opens the TABLE argument `path` as route_table_load() does: a compiled
 * table, or config compiled in memory for namespace `ns` (NULL: default).
 * Returns true with *t open and *buf the bytes behind it (mrt_close(*t),
 * then free(*buf)). Otherwise prints "meshc: <why>" on stderr and returns
 * false; the caller exits 2.
 */
bool cli_open_table(const char *path, const char *ns, mrt_table **t, void **buf);

/*
 * The mesh's outbound traffic policy for query and test: the option
 * value `opt` (ALLOW_ANY or REGISTRY_ONLY, any case), else the
 * `outbound-traffic-policy` key of .meshc.yaml (unless no_config), else
 * ALLOW_ANY. 0, or 2 after printing a message.
 */
int cli_outbound_policy(const char *opt, bool no_config, bool *registry_only);

/* Parses "error", "warning", "info" (any case); -1 when unknown. */
int cli_parse_level(const char *s);

/* Parses a non-negative integer option value within [min, max]; -1 if bad. */
long long cli_parse_uint(const char *s, long long min, long long max);

#endif
