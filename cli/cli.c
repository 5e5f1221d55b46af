/*
 * Helpers shared by subcommands: the check pipeline in one call, opening
 * a TABLE argument, and option value parsing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "config.h"
#include "route_model.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* MESHC_TIMING=1 prints each phase's wall time on stderr (for profiling). */
void cli_run_checks(struct project *p, char *const *paths, size_t npaths)
{
	bool timing = getenv("MESHC_TIMING") != NULL;
	double t0 = now_ms();
	project_load_validated(p, paths, npaths);
	double t1 = now_ms();
	project_analyze(p);
	double t2 = now_ms();
	project_finish_diags(p);
	double t3 = now_ms();
	if (timing)
		fprintf(stderr, "meshc: load and validate %.1f ms, analyze %.1f ms, "
			"diagnostics %.1f ms\n", t1 - t0, t2 - t1, t3 - t2);
}

bool cli_open_table(const char *path, const char *ns, mrt_table **t, void **buf)
{
	char err[512];
	if (route_table_load(path, ns, t, buf, err, sizeof(err)) != 0) {
		fprintf(stderr, "meshc: %s\n", err);
		return false;
	}
	return true;
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

int cli_outbound_policy(const char *opt, bool no_config, bool *registry_only)
{
	const char *v = opt;
	struct config cfg;
	memset(&cfg, 0, sizeof(cfg));
	if (!v && !no_config) {
		char *found = config_find();
		int rc = found ? config_load(&cfg, found) : 0;
		free(found);
		if (rc != 0) {
			config_release(&cfg);
			return 2;
		}
		if (cfg.data && cfg.data->outbound_traffic_policy)
			v = cfg.data->outbound_traffic_policy == CONFIG_REGISTRY_ONLY ?
			    "REGISTRY_ONLY" : "ALLOW_ANY";
	}
	int rc = 0;
	if (!v || strcasecmp(v, "ALLOW_ANY") == 0) {
		*registry_only = false;
	} else if (strcasecmp(v, "REGISTRY_ONLY") == 0) {
		*registry_only = true;
	} else {
		fprintf(stderr, "meshc: --outbound-traffic-policy wants ALLOW_ANY or "
			"REGISTRY_ONLY, not \"%s\"\n", v);
		rc = 2;
	}
	config_release(&cfg);
	return rc;
}
