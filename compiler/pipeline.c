/*
 * The commands' pipelines, one function each, so that a reader sees a
 * command's whole flow in one place: meshc_check, meshc_compile,
 * meshc_table_load (query, dump, test) and meshc_diff. Each is a short
 * straight-line sequence of the phases compiler.h names; what belongs to
 * the terminal and the user's settings (progress line, timings,
 * suppression, printing) is the caller's, reached through meshc_hooks.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler.h"

static const struct meshc_hooks no_hooks;

static void phase_done(const struct meshc_hooks *h, enum meshc_phase phase,
		       const struct project *p)
{
	if (h->phase_done)
		h->phase_done(h->ctx, phase, p);
}

static void filter(const struct meshc_hooks *h, const struct project *p,
		   enum meshc_phase phase, struct diag_list *l)
{
	if (h->filter)
		l->n = h->filter(h->ctx, p, phase, l->items, l->n);
}

static size_t count_errors(const struct diag_list *l)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		n += l->items[i].level == LEVEL_ERROR;
	return n;
}

void meshc_check(struct project *p, char *const *paths, size_t npaths,
		 const struct meshc_hooks *h)
{
	if (!h)
		h = &no_hooks;
	/* The progress hook counts the load pass only: the later passes
	 * over the units are short and would restart the count. */
	p->opt.progress = h->progress;
	p->opt.progress_ctx = h->ctx;
	project_load_validated(p, paths, npaths);
	p->opt.progress = NULL;
	phase_done(h, MESHC_LOADED, p);
	project_analyze(p);
	phase_done(h, MESHC_ANALYZED, p);
	project_finish_diags(p);
	phase_done(h, MESHC_SORTED, p);
	filter(h, p, MESHC_SORTED, &p->diags);
}

int meshc_compile(struct project *p, char *const *paths, size_t npaths,
		  const struct meshc_hooks *h, void **table, size_t *len,
		  char *err, size_t errlen)
{
	if (!h)
		h = &no_hooks;
	*table = NULL;
	*len = 0;
	meshc_check(p, paths, npaths, h);
	if (p->usage_error || count_errors(&p->diags))
		return 1;
	struct diag_list warnings;
	diag_list_init(&warnings, &p->arena);
	*table = route_compile(p, &warnings, len, err, errlen);
	phase_done(h, MESHC_BUILT, p);
	filter(h, p, MESHC_BUILT, &warnings);
	diag_list_append(&p->diags, &warnings);
	diag_sort(&p->diags);
	diag_list_release(&warnings);
	return *table ? 0 : -1;
}

/* The first bytes of the regular file at path, up to 8 (its magic). */
static size_t read_head(const char *path, unsigned char head[8])
{
	char err[256];
	int fd = source_open(path, err, sizeof(err));   /* never a FIFO */
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, head, 8);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

/*
 * Whether path starts like a table: a damaged one too, so that the
 * table tools report the damage rather than read it as config.
 */
static bool has_magic(const char *path)
{
	unsigned char head[8];
	return read_head(path, head) >= 4 && memcmp(head + 1, "MRT", 3) == 0;
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

/* The table tools honour the analyze-suppress annotation, as check does. */
static size_t drop_annotated(void *ctx, const struct project *p,
			     enum meshc_phase phase, struct diag *items, size_t n)
{
	(void)ctx, (void)p, (void)phase;
	size_t kept = 0;
	for (size_t i = 0; i < n; i++)
		if (!diag_annotation_suppresses(&items[i]))
			items[kept++] = items[i];
	return kept;
}

int meshc_table_load(const char *path, const char *ns,
		     const struct meshc_limits *lim, struct mrt_table **t,
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
	struct meshc_hooks h = { .filter = drop_annotated };
	void *bytes;
	size_t len, errors;
	int rc = meshc_compile(&p, paths, 1, &h, &bytes, &len, err, errlen);
	if (rc == 1 && p.usage_error) {
		snprintf(err, errlen, "%s: cannot read the config", path);
	} else if (rc == 1) {
		errors = count_errors(&p.diags);
		snprintf(err, errlen, "%s: the config has %zu error%s (meshc check shows them)",
			 path, errors, errors == 1 ? "" : "s");
	} else if (rc == 0 && mrt_open_buffer(bytes, len, t, err, errlen) == 0) {
		*buf = bytes;
	} else {
		free(bytes);
		rc = -1;
	}
	project_release(&p);
	return rc == 0 ? 0 : -1;
}

/* ---- meshc diff ---- */

/* Diagnostics that make a side unreadable as config: YAML errors. */
static bool load_error(const struct diag *d)
{
	const struct diag_info *i = diag_info(d->code);
	return d->level == LEVEL_ERROR &&
	       (i->layer == LAYER_YAML || d->code == MSH0006);
}

/*
 * Opens or loads one side. 0, or 2 with the reason in err (empty after
 * an unreadable path, which the loader has reported). A side with YAML
 * errors is `rejected`, its p.diags cut to them. `share`: the other
 * side's project, whose resources this one takes where their inputs
 * are the same bytes (NULL: none).
 */
static int side_open(struct meshc_diff_side *s, const struct meshc_options *opt,
		     const struct project *share, char *err, size_t errlen)
{
	unsigned char head[8];
	if (!s->empty && strcmp(s->path, "-") != 0 &&
	    mrt_is_table(head, read_head(s->path, head))) {
		s->is_table = true;
		return mrt_open(s->path, &s->t, err, errlen) != 0 ? 2 : 0;
	}
	project_init(&s->p, opt);
	s->p.share_from = share;
	s->loaded = true;
	char *paths[1] = { (char *)s->path };
	project_load(&s->p, paths, s->empty ? 0 : 1);
	if (s->p.usage_error)
		return 2;
	project_finish_diags(&s->p);
	size_t kept = 0;
	for (size_t i = 0; i < s->p.diags.n; i++)
		if (load_error(&s->p.diags.items[i]))
			s->p.diags.items[kept++] = s->p.diags.items[i];
	if (kept) {
		s->p.diags.n = kept;
		s->rejected = true;
		snprintf(err, errlen, "%s: cannot compare: the YAML has errors",
			 strcmp(s->path, "-") != 0 ? s->path :
			 opt->stdin_name ? opt->stdin_name : "<stdin>");
		return 2;
	}
	return 0;
}

/* Compiles a config side's routes in memory (the virtual hosts
 * overlapping `only`, NULL: all) and opens the table. */
static int side_compile(struct meshc_diff_side *s, const struct host_set *only,
			char *err, size_t errlen)
{
	char why[512] = "";
	size_t len = 0;
	struct diag_list warnings;   /* check's business, not diff's */
	diag_list_init(&warnings, &s->p.arena);
	s->buf = route_compile_only(&s->p, only, &warnings, &len, why, sizeof(why));
	diag_list_release(&warnings);
	if (!s->buf || mrt_open_buffer(s->buf, len, &s->t, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: cannot build the route table: %s", s->path, why);
		return 2;
	}
	return 0;
}

void meshc_diff_side_release(struct meshc_diff_side *s)
{
	if (s->t)
		mrt_close(s->t);
	free(s->buf);
	if (s->loaded)
		project_release(&s->p);
}

/*
 * Whether the route tables of two configs can differ, given their resource
 * diff d. The route builder reads VirtualServices, DestinationRules,
 * Gateways, ServiceEntries and Services (route_build.c), and a table does
 * not depend on input order, comments, host forms or cluster metadata,
 * none of which the resource diff reports either. So when no resource of
 * those kinds differs, compiling both sides (the slow part of a diff) is
 * skipped: the tables are equal. The Gateway API conversion also reads
 * Secrets (a listener whose certificate does not resolve serves nothing)
 * and ConfigMaps (which the resource diff does not list): a side that
 * holds a Gateway API object is always compiled.
 */
static bool routes_may_differ(const struct diff_result *d, const struct project *oldp,
			      const struct project *newp)
{
	if (oldp->gateway_api || newp->gateway_api)
		return true;
	for (size_t i = 0; i < d->nres; i++) {
		const char *k = d->res[i].kind;
		if (strcmp(k, "Pod") != 0 && strcmp(k, "Node") != 0 && strcmp(k, "Secret") != 0)
			return true;
	}
	return false;
}

int meshc_diff(struct diff_result *d, struct meshc_diff_side *so,
	       struct meshc_diff_side *sn, const struct meshc_options *opt,
	       bool plain, const struct meshc_hooks *h, char *err, size_t errlen)
{
	if (!h)
		h = &no_hooks;
	err[0] = '\0';
	bool configs;
	if (side_open(so, opt, NULL, err, errlen) ||
	    side_open(sn, opt, so->loaded && !plain ? &so->p : NULL, err, errlen))
		return 2;
	configs = !so->is_table && !sn->is_table;
	if (configs && diff_resources(d, &so->p, &sn->p, opt->domain, err, errlen) != 0)
		return 2;
	if (configs && !routes_may_differ(d, &so->p, &sn->p))
		return 0;
	/* Between two configs, only the hosts whose inputs changed are
	 * built and compared, when diff_scope knows which they are. */
	struct host_set *only = NULL;
	char why[256] = "a table side";
	if (configs && !plain)
		only = diff_scope(d, &so->p, &sn->p, why, sizeof(why));
	if (h->scoped)
		h->scoped(h->ctx, only, plain ? NULL : why);
	int rc = (!so->is_table && side_compile(so, only, err, errlen)) ||
		 (!sn->is_table && side_compile(sn, only, err, errlen));
	if (!rc)
		diff_routes(d, so->t, sn->t, only);
	diff_scope_free(only);
	return rc ? 2 : 0;
}
