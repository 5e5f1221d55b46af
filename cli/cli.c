/*
 * Helpers shared by subcommands: the hooks a pipeline calls back (progress
 * line, timings, suppression), opening a TABLE argument, and option value
 * parsing.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "suppress.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * The progress line: shown on a terminal (stderr) only, and only once a
 * run has taken PROGRESS_AFTER_MS, so small inputs never show it; redrawn
 * at most every PROGRESS_EVERY_MS; erased when the checks end. Workers
 * call progress_units from several threads: whoever holds the lock draws.
 */
enum { PROGRESS_AFTER_MS = 400, PROGRESS_EVERY_MS = 100 };

static void progress_draw(struct cli_run *run, const char *fmt, size_t a, size_t b)
{
	fputs("\r\033[K", stderr);
	fprintf(stderr, fmt, a, b);
	fflush(stderr);
	run->shown = true;
}

static void progress_units(void *ctx, size_t done, size_t total)
{
	struct cli_run *run = ctx;
	if (pthread_mutex_trylock(&run->lock) != 0)
		return;
	double t = now_ms();
	if (t - run->start >= PROGRESS_AFTER_MS && t - run->last >= PROGRESS_EVERY_MS) {
		progress_draw(run, "meshc: reading and validating %zu/%zu files", done, total);
		run->last = t;
	}
	pthread_mutex_unlock(&run->lock);
}

bool cli_progress_wanted(bool quiet)
{
	const char *term = getenv("TERM"), *ci = getenv("CI");
	return !quiet && isatty(STDERR_FILENO) && !(term && strcmp(term, "dumb") == 0) &&
	       !(ci && *ci);
}

/* MESHC_TIMING=1 prints the check phases' wall times on stderr (for profiling). */
static void phase_done(void *ctx, enum meshc_phase phase, const struct project *p)
{
	struct cli_run *run = ctx;
	double t = now_ms();
	switch (phase) {
	case MESHC_LOADED:
		run->loaded = t;
		if (run->progress && t - run->start >= PROGRESS_AFTER_MS)
			progress_draw(run, "meshc: cross-referencing %zu resources in %zu files",
				      p->nres, p->nunits);
		break;
	case MESHC_ANALYZED:
		run->analyzed = t;
		break;
	case MESHC_SORTED:
		if (run->shown) {
			fputs("\r\033[K", stderr);
			fflush(stderr);
		}
		if (getenv("MESHC_TIMING"))
			fprintf(stderr, "meshc: load and validate %.1f ms, analyze %.1f ms, "
				"diagnostics %.1f ms\n", run->loaded - run->start,
				run->analyzed - run->loaded, t - run->analyzed);
		break;
	case MESHC_BUILT:
		break;
	}
}

/* Suppression; the `# meshc:ignore` comments are linted once, with the
 * checks' diagnostics. */
static size_t filter(void *ctx, const struct project *p, enum meshc_phase phase,
		     struct diag *items, size_t n)
{
	struct cli_run *run = ctx;
	if (phase == MESHC_SORTED)
		suppress_lint_comments(p);
	size_t kept = suppress_filter(run->sl, p, items, n);
	run->suppressed += n - kept;
	return kept;
}

void cli_run_init(struct cli_run *run, bool progress, const struct suppress_list *sl)
{
	memset(run, 0, sizeof(*run));
	run->start = now_ms();
	run->progress = progress;
	run->sl = sl;
	pthread_mutex_init(&run->lock, NULL);
	run->hooks = (struct meshc_hooks){
		.progress = progress ? progress_units : NULL,
		.phase_done = phase_done,
		.filter = sl ? filter : NULL,
		.ctx = run,
	};
}

void cli_run_release(struct cli_run *run)
{
	pthread_mutex_destroy(&run->lock);
}

/* "1 error", "2 errors" */
static void count(FILE *f, size_t n, const char *word, const char *plural)
{
	fprintf(f, "%zu %s", n, n == 1 ? word : plural);
}

void cli_summary(FILE *f, const struct project *p, const size_t by_level[3],
		 size_t suppressed)
{
	size_t n = by_level[LEVEL_ERROR] + by_level[LEVEL_WARNING] + by_level[LEVEL_INFO];
	if (n == 0) {
		fputs("no problems in ", f);
	} else {
		count(f, by_level[LEVEL_ERROR], "error", "errors");
		fputs(", ", f);
		count(f, by_level[LEVEL_WARNING], "warning", "warnings");
		if (by_level[LEVEL_INFO]) {
			fputs(", ", f);
			count(f, by_level[LEVEL_INFO], "info", "info");
		}
		fputs(" in ", f);
	}
	count(f, p->nres, "resource", "resources");
	fputs(", ", f);
	count(f, p->nunits, "file", "files");
	if (suppressed)
		fprintf(f, " (%zu suppressed)", suppressed);
	/* exit 2: the counts do not cover what could not be read */
	if (p->usage_error)
		fputs("; not every input was read", f);
	fputc('\n', f);
}

int cli_config_limits(const struct config *cfg, struct meshc_options *o)
{
	_Static_assert(CLI_NLIMITS == sizeof(cfg->data->limit) / sizeof(cfg->data->limit[0]),
		       "config_data.limit follows cli_limits");
	if (!cfg->data)
		return 0;
	for (size_t i = 0; i < CLI_NLIMITS; i++) {
		const struct cli_limit *l = &cli_limits[i];
		const long long *v = cfg->data->limit[i];
		if (!v || (o->limits_given & (1u << i)))
			continue;
		if (*v < l->min || *v > l->max) {
			char where[PATH_MAX + 64];
			fprintf(stderr, "meshc: %s: %s must be an integer in %lld..%lld\n",
				config_where(cfg, l->name, -1, where, sizeof(where)),
				l->name, l->min, l->max);
			return 2;
		}
		cli_limit_store(i, *v, o);
	}
	return 0;
}

bool cli_open_table(const char *path, const char *ns,
		    const struct meshc_limits *lim, mrt_table **t, void **buf)
{
	char err[512];
	if (meshc_table_load(path, ns, lim, t, buf, err, sizeof(err)) != 0) {
		fprintf(stderr, "meshc: %s\n", err);
		return false;
	}
	return true;
}

bool cli_use_color(const char *when, int fd)
{
	if (when && strcasecmp(when, "always") == 0)
		return true;
	if (when && strcasecmp(when, "never") == 0)
		return false;
	const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");
	if ((no_color && *no_color) || (term && strcmp(term, "dumb") == 0))
		return false;
	return isatty(fd);
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

int cli_outbound_policy(const char *opt, const char *config, bool no_config,
			bool *registry_only, struct meshc_options *o)
{
	const char *v = opt;
	struct config cfg;
	memset(&cfg, 0, sizeof(cfg));
	if (!no_config) {
		char *found = config ? NULL : config_find();
		const char *path = config ? config : found;
		int rc = path ? config_load(&cfg, path) : 0;
		free(found);
		if (rc == 0 && o)
			rc = cli_config_limits(&cfg, o);
		if (rc != 0) {
			config_release(&cfg);
			return 2;
		}
		if (!v && cfg.data && cfg.data->outbound_traffic_policy)
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
