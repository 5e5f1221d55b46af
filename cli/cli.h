/*
 * Pieces shared by the subcommands that read config (check, compile, diff).
 */
#ifndef MESHC_CLI_H
#define MESHC_CLI_H

#include <stdbool.h>

#include "compiler.h"

/*
 * Runs the whole check pipeline over paths: load, validate, analyze, then
 * gathers and sorts the diagnostics into p->diags. p must be initialised.
 */
void cli_run_checks(struct project *p, char *const *paths, size_t npaths);

/* Parses "error", "warning", "info" (any case); -1 when unknown. */
int cli_parse_level(const char *s);

/* Parses a non-negative integer option value within [min, max]; -1 if bad. */
long long cli_parse_uint(const char *s, long long min, long long max);

#endif
