/*
 * Helpers shared by subcommands: the check pipeline in one call, and
 * option value parsing.
 */
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#include "cli.h"

void cli_run_checks(struct project *p, char *const *paths, size_t npaths)
{
	project_load(p, paths, npaths);
	project_validate(p);
	project_analyze(p);
	project_finish_diags(p);
}

int cli_parse_level(const char *s)
{
	if (strcasecmp(s, "error") == 0)
		return LEVEL_ERROR;
	if (strcasecmp(s, "warning") == 0)
		return LEVEL_WARNING;
	if (strcasecmp(s, "info") == 0)
		return LEVEL_INFO;
	return -1;
}

long long cli_parse_uint(const char *s, long long min, long long max)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	return v;
}
