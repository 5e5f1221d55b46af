/*
 * Reading the inputs: turns the paths given on the command line (files,
 * directories walked recursively in sorted order, "-" for standard input)
 * into source units holding each file's bytes. Parsing starts after this;
 * nothing here looks inside a file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler.h"

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


/*
 * Reads every path into p->units, in order. An unreadable path prints a
 * message naming it on stderr and sets p->usage_error; the other paths are
 * still read. Standard input is read once however often "-" is given.
 */
void source_read_paths(struct project *p, char *const *paths, size_t npaths)
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
}
