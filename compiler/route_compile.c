/*
 * The compile pipeline's last two steps in one call (route_compile), and
 * the table loader shared by the table-reading commands
 * (route_table_load): a compiled table is mapped and verified; config is
 * checked and compiled in memory first, so `meshc dump CONFIG` shows
 * exactly what `meshc compile` would write.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compiler.h"
#include "mrt_format.h"
#include "gwapi.h"
#include "route_model.h"
#include "xref_index.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The peak resident set so far, in MB. */
static long peak_mb(void)
{
	struct rusage ru;
	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss / 1024 : 0;
}

void *route_compile(struct project *p, struct diag_list *d, size_t *len,
		    char *err, size_t errlen)
{
	return route_compile_only(p, NULL, d, len, err, errlen);
}

void *route_compile_only(struct project *p, const struct host_set *only,
			 struct diag_list *d, size_t *len, char *err, size_t errlen)
{
	struct route_model m;
	const char *domain = p->opt.domain && *p->opt.domain ? p->opt.domain : "cluster.local";
	/* Gateway API routes compile as the Istio config Istio derives from them. */
	struct gwapi g;
	size_t nres = p->nres, nseq = p->nseq;
	bool had_gw = p->has_kind[KIND_GATEWAY], had_vs = p->has_kind[KIND_VIRTUAL_SERVICE];
	bool had_dr = p->has_kind[KIND_DESTINATION_RULE];
	/* MESHC_TIMING=1: this half's phases, as cli_run_checks prints the
	 * first half's. */
	bool timing = getenv("MESHC_TIMING") != NULL;
	double t0 = now_ms();
	long r0 = timing ? peak_mb() : 0;
	struct xref *x = project_index(p);   /* the input's, built once per run */
	double t1 = now_ms();
	gwapi_build(&g, p, domain);
	size_t added = gwapi_add_resources(&g, p);
	xref_add_gateways(x, p->res + nres, added);
	xref_add_destination_rules(x, p->res + nres, added);
	double t2 = now_ms();
	route_model_init(&m, domain);
	route_build_only(&m, p, d, only);
	double t3 = now_ms();
	long r3 = timing ? peak_mb() : 0;
	void *buf = route_emit(&m, len, err, errlen);
	double t4 = now_ms();
	long r4 = timing ? peak_mb() : 0;
	route_model_release(&m);
	if (timing)
		fprintf(stderr, "meshc: index %.1f ms, gateway api %.1f ms, route build %.1f ms, "
			"emit %.1f ms, release %.1f ms; peak RSS %ld MB before, %ld MB "
			"after the build, %ld MB after the emit\n", t1 - t0, t2 - t1, t3 - t2,
			t4 - t3, now_ms() - t4, r0, r3, r4);
	xref_drop_destination_rules(x, p->res + nres, added);
	xref_drop_gateways(x, p->res + nres, added);
	p->nres = nres;
	p->nseq = nseq;
	p->has_kind[KIND_GATEWAY] = had_gw;
	p->has_kind[KIND_VIRTUAL_SERVICE] = had_vs;
	p->has_kind[KIND_DESTINATION_RULE] = had_dr;
	gwapi_release(&g);
	return buf;
}

/* Whether path starts with the table magic (a table, even a damaged one). */
static bool has_magic(const char *path)
{
	char magic[MRT_MAGIC_LEN], err[256];
	int fd = source_open(path, err, sizeof(err));   /* never a FIFO */
	if (fd < 0)
		return false;
	ssize_t n = read(fd, magic, sizeof(magic));
	close(fd);
	return n >= 4 && memcmp(magic + 1, "MRT", 3) == 0;
}

static bool is_config(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return false;
	if (S_ISDIR(st.st_mode))
		return true;
	size_t n = strlen(path);
	return (n > 5 && strcmp(path + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(path + n - 4, ".yml") == 0);
}

/*
 * Whether d is suppressed by its resource's
 * galley.istio.io/analyze-suppress annotation ("*" or a comma-separated
 * list of codes), as `meshc check` and `meshc compile` honour it.
 */
static bool annotation_suppresses(const struct diag *d)
{
	const char *list = d->res ? resource_annotation(d->res,
				"galley.istio.io/analyze-suppress") : NULL;
	if (!list)
		return false;
	const char *id = diag_info(d->code)->id;
	size_t idlen = strlen(id);
	for (const char *s = list;;) {
		size_t len = strcspn(s, ",");
		if ((len == 1 && s[0] == '*') || (len == idlen && strncmp(s, id, len) == 0))
			return true;
		if (!s[len])
			return false;
		s += len + 1;
	}
}

int route_table_load(const char *path, const char *ns,
		     const struct meshc_limits *lim, mrt_table **t,
		     void **buf, char *err, size_t errlen)
{
	*t = NULL;
	*buf = NULL;
	if (has_magic(path) || !is_config(path))
		return mrt_open(path, t, err, errlen);

	struct meshc_options opt;
	meshc_options_init(&opt);
	if (ns)
		opt.namespace = ns;
	if (lim)
		opt.limits = *lim;
	struct project p;
	project_init(&p, &opt);
	char *paths[1] = { (char *)path };
	project_load_validated(&p, paths, 1);
	project_analyze(&p);
	project_finish_diags(&p);
	size_t errors = 0, len = 0;
	for (size_t i = 0; i < p.diags.n; i++)
		errors += p.diags.items[i].level == LEVEL_ERROR &&
			  !annotation_suppresses(&p.diags.items[i]);
	int rc = -1;
	if (p.usage_error) {
		snprintf(err, errlen, "%s: cannot read the config", path);
	} else if (errors) {
		snprintf(err, errlen, "%s: the config has %zu error%s (meshc check shows them)",
			 path, errors, errors == 1 ? "" : "s");
	} else {
		struct diag_list warn;
		diag_list_init(&warn, &p.arena);
		void *bytes = route_compile(&p, &warn, &len, err, errlen);
		diag_list_release(&warn);
		if (bytes && mrt_open_buffer(bytes, len, t, err, errlen) == 0) {
			*buf = bytes;
			rc = 0;
		} else {
			free(bytes);
		}
	}
	project_release(&p);
	return rc;
}
