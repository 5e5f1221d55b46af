/*
 * A run over a set of inputs: reads paths (files, directories walked
 * recursively and sorted, "-" for stdin), then runs the per-unit phases on
 * a small pool of threads (one arena and diagnostics list per unit, so
 * workers share nothing), and gathers the results in input order.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler.h"
#include "model.h"

void meshc_options_init(struct meshc_options *o)
{
	memset(o, 0, sizeof(*o));
	o->namespace = "default";
	o->domain = "cluster.local";
	o->limits.max_depth = 256;
	o->limits.max_alias_nodes = 10000;
	o->limits.max_scalar_bytes = 1024 * 1024;
	o->limits.max_document_bytes = 64 * 1024 * 1024;
}

void project_init(struct project *p, const struct meshc_options *opt)
{
	memset(p, 0, sizeof(*p));
	p->opt = *opt;
	arena_init(&p->arena);
	diag_list_init(&p->diags, &p->arena);
}

void project_release(struct project *p)
{
	for (size_t i = 0; i < p->nunits; i++) {
		struct source_unit *u = &p->units[i];
		diag_list_release(&u->diags);
		arena_release(&u->arena);
		free(u->bytes);
		free(u->docs);
		free(u->doc_irregular);
		free(u->res);
	}
	free(p->units);
	free(p->res);
	diag_list_release(&p->diags);
	arena_release(&p->arena);
	memset(p, 0, sizeof(*p));
}

/* ---- reading inputs ---- */

struct path_list {
	char **items;
	size_t n, cap;
};

static void path_add(struct path_list *l, char *path)
{
	GROW(l->items, l->n, l->cap);
	l->items[l->n++] = path;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool has_yaml_suffix(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

/*
 * True when `path` matches one of the `ignore` globs of the options: a
 * pattern without '/' against each component of the path from byte
 * `from` on (below the directory being walked; 0 for a named file), one
 * with '/' against the path (leading "./" dropped) or a leading part of
 * it, so "charts/web" also skips "charts/web/templates/x.yaml" named
 * explicitly.
 */
static bool path_ignored(const struct meshc_options *o, const char *path,
			 size_t from)
{
	const char *comp = path + (from < strlen(path) ? from : strlen(path));
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	for (size_t i = 0; i < o->nignore; i++) {
		const char *pat = o->ignore[i];
		if (strchr(pat, '/')) {
			if (fnmatch(pat, path, FNM_PATHNAME | FNM_LEADING_DIR) == 0)
				return true;
			continue;
		}
		for (const char *s = comp; *s;) {
			size_t len = strcspn(s, "/");
			char name[256];
			if (len > 0 && len < sizeof(name)) {
				memcpy(name, s, len);
				name[len] = '\0';
				if (fnmatch(pat, name, 0) == 0)
					return true;
			}
			s += len;
			while (*s == '/')
				s++;
		}
	}
	return false;
}

/* Collects YAML files below dir (hidden and ignored entries skipped), sorted by path. */
static int walk_dir(const struct meshc_options *o, const char *dir,
		    size_t root_len, struct path_list *out, int depth)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct path_list here = { 0 };
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		size_t n = strlen(dir) + strlen(e->d_name) + 2;
		char *path = xmalloc(n);
		snprintf(path, n, "%s%s%s", dir,
			 dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
		if (path_ignored(o, path, root_len)) {
			free(path);
			continue;
		}
		path_add(&here, path);
	}
	closedir(d);
	if (here.n > 1)
		qsort(here.items, here.n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < here.n; i++) {
		struct stat st;
		char *path = here.items[i];
		if (stat(path, &st) != 0) {
			free(path);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth < 64)
				walk_dir(o, path, root_len, out, depth + 1);
			free(path);
		} else if (S_ISREG(st.st_mode) && has_yaml_suffix(path)) {
			path_add(out, path);
		} else {
			free(path);
		}
	}
	free(here.items);
	return 0;
}

/* Reads all of fd into a heap buffer (NUL-terminated for convenience). */
static int read_all(int fd, char **out, size_t *len)
{
	size_t cap = 64 * 1024, n = 0;
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		cap = (size_t)st.st_size + 1;
	char *buf = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static void add_unit(struct project *p, size_t *cap, const char *file,
		     char *bytes, size_t len)
{
	GROW(p->units, p->nunits, *cap);
	struct source_unit *u = &p->units[p->nunits++];
	memset(u, 0, sizeof(*u));
	arena_init(&u->arena);
	u->file = arena_strdup(&p->arena, file);
	u->bytes = bytes;
	u->len = len;
}

static void load_file(struct project *p, size_t *cap, const char *path)
{
	int fd = open(path, O_RDONLY);
	char *bytes;
	size_t len;
	if (fd < 0 || read_all(fd, &bytes, &len) != 0) {
		fprintf(stderr, "meshc: cannot read \"%s\": %s\n", path,
			strerror(errno));
		p->usage_error = true;
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	add_unit(p, cap, path, bytes, len);
}

/* ---- the worker pool ---- */

struct pool_job {
	struct project *p;
	atomic_size_t next;
	void (*fn)(struct project *p, struct source_unit *u, void *ctx);
	void *ctx;
};

static void *pool_worker(void *arg)
{
	struct pool_job *job = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&job->next, 1);
		if (i >= job->p->nunits)
			break;
		job->fn(job->p, &job->p->units[i], job->ctx);
	}
	return NULL;
}

void project_each_unit(struct project *p,
		       void (*fn)(struct project *p, struct source_unit *u, void *ctx),
		       void *ctx)
{
	struct pool_job job = { .p = p, .fn = fn, .ctx = ctx };
	atomic_init(&job.next, 0);
	unsigned jobs = p->opt.jobs;
	if (jobs == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = n > 0 ? (unsigned)n : 1;
	}
	if (jobs > 64)
		jobs = 64;
	if (jobs > p->nunits)
		jobs = (unsigned)p->nunits;
	if (jobs <= 1) {
		pool_worker(&job);
		return;
	}
	pthread_t tids[64];
	unsigned started = 0;
	for (unsigned i = 1; i < jobs; i++)
		if (pthread_create(&tids[started], NULL, pool_worker, &job) == 0)
			started++;
	pool_worker(&job);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
}

static void validate_unit(struct project *p, struct source_unit *u, void *ctx);

/* ctx non-NULL: validate each resource right away, while its tree is in cache. */
static void load_unit(struct project *p, struct source_unit *u, void *ctx)
{
	yaml_parse_unit(u, &p->opt.limits);
	resources_from_unit(u, &p->opt);
	if (ctx)
		validate_unit(p, u, NULL);
	for (size_t i = 0; i < u->nres; i++)
		distil_resource(&u->arena, u->res[i], u->res[i]->irregular);
}

static void load(struct project *p, char *const *paths, size_t npaths,
		 bool validate)
{
	size_t cap = 0;
	bool stdin_used = false;
	for (size_t i = 0; i < npaths; i++) {
		const char *path = paths[i];
		if (strcmp(path, "-") == 0) {
			if (stdin_used)
				continue;
			stdin_used = true;
			char *bytes;
			size_t len;
			if (read_all(0, &bytes, &len) != 0) {
				fprintf(stderr, "meshc: cannot read standard input: %s\n",
					strerror(errno));
				p->usage_error = true;
				continue;
			}
			add_unit(p, &cap, "<stdin>", bytes, len);
			continue;
		}
		struct stat st;
		if (stat(path, &st) != 0) {
			fprintf(stderr, "meshc: cannot read \"%s\": %s\n", path,
				strerror(errno));
			p->usage_error = true;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			struct path_list files = { 0 };
			if (walk_dir(&p->opt, path, strlen(path), &files, 0) != 0) {
				fprintf(stderr, "meshc: cannot read directory \"%s\": %s\n",
					path, strerror(errno));
				p->usage_error = true;
				continue;
			}
			if (files.n == 0) {
				fprintf(stderr, "meshc: no YAML files (*.yaml, *.yml) in \"%s\"\n",
					path);
				p->usage_error = true;
			}
			for (size_t j = 0; j < files.n; j++) {
				load_file(p, &cap, files.items[j]);
				free(files.items[j]);
			}
			free(files.items);
		} else {
			if (!path_ignored(&p->opt, path, 0))
				load_file(p, &cap, path);
		}
	}
	/* Units moved while the array grew: point each list at its arena now. */
	for (size_t i = 0; i < p->nunits; i++)
		diag_list_init(&p->units[i].diags, &p->units[i].arena);
	project_each_unit(p, load_unit, validate ? p : NULL);
	p->validated = validate;

	size_t total = 0;
	for (size_t i = 0; i < p->nunits; i++)
		total += p->units[i].nres;
	p->res = xmalloc((total ? total : 1) * sizeof(*p->res));
	for (size_t i = 0; i < p->nunits; i++)
		for (size_t j = 0; j < p->units[i].nres; j++) {
			struct resource *r = p->units[i].res[j];
			r->seq = p->nres;
			p->res[p->nres++] = r;
			p->nseq = p->nres;
			p->has_kind[r->kind] = true;
		}
}

static void validate_unit(struct project *p, struct source_unit *u, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < u->nres; i++)
		validate_resource(&u->diags, u->res[i], &p->opt);
}

void project_load(struct project *p, char *const *paths, size_t npaths)
{
	load(p, paths, npaths, false);
}

void project_load_validated(struct project *p, char *const *paths,
			    size_t npaths)
{
	load(p, paths, npaths, true);
}

void project_validate(struct project *p)
{
	if (!p->validated)
		project_each_unit(p, validate_unit, NULL);
	p->validated = true;
}

void project_finish_diags(struct project *p)
{
	for (size_t i = 0; i < p->nunits; i++)
		diag_list_append(&p->diags, &p->units[i].diags);
	diag_sort(&p->diags);
}
