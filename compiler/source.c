/*
 * Reading the inputs: turns the paths given on the command line (files,
 * directories walked recursively in sorted order, "-" for standard input)
 * into source units holding each file's bytes. Parsing starts after this;
 * nothing here looks inside a file.
 *
 * Hostile trees and files are met here, so the rules are strict:
 * - Only regular files are opened, and only after stat() said so: a FIFO
 *   or a device is refused before any open that could block. The check
 *   is repeated on the open descriptor (opened O_NONBLOCK), so a file
 *   swapped for a FIFO in between is refused too.
 * - Every real file is read once and every real directory walked once
 *   (device + inode), so symlinks into a loop end; a link that leads back
 *   to a directory being walked is reported once, on stderr.
 * - What cannot be read is never skipped silently: an unreadable
 *   directory, a dangling or unreadable `*.yaml`, a `*.yaml` that is not a
 *   regular file sets usage_error (exit 2) with a message naming the path.
 * - Reading stops one byte past limits.max_file_bytes (standard input
 *   included): such an input is reported (MSH0002) and not parsed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler.h"
#include "hash.h"

/* Directories nest at most this deep below a path given (PATH_MAX
 * allows about 2,000 levels; a deeper tree is reported, not skipped). */
#define WALK_MAX_DEPTH 1024

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

/* ---- file identities (device + inode) ---- */

struct file_id {
	dev_t dev;
	ino_t ino;
};

/* A set of file identities: open addressing, linear probing. */
struct id_set {
	struct file_id *slots;
	bool *used;
	size_t n, cap;               /* cap: 0 or a power of two */
};

static size_t id_hash(const struct file_id *id)
{
	uint64_t h = ((uint64_t)id->dev * 0x9E3779B97F4A7C15ULL) ^ (uint64_t)id->ino;
	h *= 0xC2B2AE3D27D4EB4FULL;
	return (size_t)(h ^ (h >> 29));
}

/* Adds id; false when it was there already. */
static bool id_set_add(struct id_set *s, struct file_id id)
{
	if (2 * (s->n + 1) > s->cap) {
		struct id_set bigger = { 0 };
		bigger.cap = s->cap ? 2 * s->cap : 64;
		bigger.slots = xcalloc(bigger.cap, sizeof(*bigger.slots));
		bigger.used = xcalloc(bigger.cap, sizeof(*bigger.used));
		for (size_t i = 0; i < s->cap; i++)
			if (s->used[i])
				id_set_add(&bigger, s->slots[i]);
		free(s->slots);
		free(s->used);
		*s = bigger;
	}
	size_t mask = s->cap - 1;
	for (size_t i = id_hash(&id) & mask;; i = (i + 1) & mask) {
		if (!s->used[i]) {
			s->used[i] = true;
			s->slots[i] = id;
			s->n++;
			return true;
		}
		if (s->slots[i].dev == id.dev && s->slots[i].ino == id.ino)
			return false;
	}
}

static void id_set_release(struct id_set *s)
{
	free(s->slots);
	free(s->used);
	memset(s, 0, sizeof(*s));
}

/* ---- reading one file ---- */

/* Reads fd until end of file or until more than max bytes arrived
 * (*over set, the extra byte dropped). Heap buffer, NUL-terminated. */
static int read_capped(int fd, size_t max, char **out, size_t *len, bool *over)
{
	size_t cap = 64 * 1024, n = 0;
	struct stat st;
	*over = false;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		cap = (size_t)st.st_size < max ? (size_t)st.st_size + 2 : max + 2;
	char *buf = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			cap = cap > max / 2 + 1 ? max + 2 : cap * 2;
			buf = xrealloc(buf, cap);
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			*over = true;
			n = 0;
			break;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int source_open(const char *path, char *err, size_t errlen)
{
	struct stat st, fst;
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, S_ISDIR(st.st_mode) ? "is a directory" :
			 "not a regular file");
		return -1;
	}
	/* O_NONBLOCK: should the path have become a FIFO since stat(),
	 * open() returns at once and fstat() below tells. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &fst) != 0 || !S_ISREG(fst.st_mode)) {
		snprintf(err, errlen, "not a regular file");
		close(fd);
		return -1;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

int source_read_file(const char *path, size_t max, char **bytes, size_t *len,
		     char *err, size_t errlen)
{
	int fd = strcmp(path, "-") == 0 ? 0 : source_open(path, err, errlen);
	bool over;
	if (fd < 0)
		return -1;
	int rc = read_capped(fd, max, bytes, len, &over);
	int e = errno;
	if (fd != 0)
		close(fd);
	if (rc != 0) {
		snprintf(err, errlen, "%s", strerror(e));
		return -1;
	}
	if (over) {
		free(*bytes);
		*bytes = NULL;
		snprintf(err, errlen, "larger than the limit of %zu bytes", max);
		return 1;
	}
	return 0;
}

/* ---- the reader: units, and what was seen ---- */

struct reader {
	struct project *p;
	size_t units_cap;
	struct id_set files;         /* every file read */
	struct id_set dirs;          /* every directory walked */
	struct file_id *stack;       /* the directories being walked, outermost first */
	size_t depth, stack_cap;
	bool *over;                  /* per unit: past max_file_bytes */
	size_t over_cap;
	unsigned errors;             /* paths reported unreadable */
	void (*each)(void *ctx, struct source_unit *u);   /* see source_read_paths_each */
	void *each_ctx;
};

static void unreadable(struct reader *r, const char *path, const char *why)
{
	fprintf(stderr, "meshc: cannot read \"%s\": %s\n", path, why);
	r->p->usage_error = true;
	r->errors++;
}

static void add_unit(struct reader *r, const char *file, char *bytes,
		     size_t len, bool over)
{
	struct project *p = r->p;
	GROW(p->units, p->nunits, r->units_cap);
	GROW(r->over, p->nunits, r->over_cap);
	struct source_unit *u = &p->units[p->nunits];
	r->over[p->nunits++] = over;
	memset(u, 0, sizeof(*u));
	arena_init(&u->arena);
	u->file = arena_strdup(&p->arena, file);
	u->bytes = bytes ? bytes : xstrdup("");
	u->len = bytes ? len : 0;
}

/* Reads an open descriptor into a new unit named `name`. */
static void read_unit(struct reader *r, int fd, const char *name)
{
	size_t n = r->p->nunits;
	char *bytes;
	size_t len;
	bool over;
	if (read_capped(fd, r->p->opt.limits.max_file_bytes, &bytes, &len, &over) != 0) {
		unreadable(r, name, strerror(errno));
		return;
	}
	if (over) {
		free(bytes);
		bytes = NULL;
	}
	add_unit(r, name, bytes, len, over);
	if (fd == 0 && r->p->nunits > n)
		r->p->units[n].from_stdin = true;
	if (r->each && r->p->nunits > n)
		r->each(r->each_ctx, &r->p->units[n]);
}

/* Reads the regular file at path (st: its stat()) unless read already. */
static void read_file(struct reader *r, const char *path, const struct stat *st)
{
	if (!id_set_add(&r->files, (struct file_id){ st->st_dev, st->st_ino }))
		return;
	char err[256];
	int fd = source_open(path, err, sizeof(err));
	if (fd < 0) {
		unreadable(r, path, err);
		return;
	}
	read_unit(r, fd, path);
	close(fd);
}

/*
 * free() keeps a buffer below malloc's mmap threshold (most inputs) in
 * the heap, resident, where the records the other workers allocate
 * cannot reuse it: its whole pages go back to the kernel first. Nothing
 * reads them after free(); malloc only writes its bookkeeping there,
 * which faults in a zeroed page.
 */
static void pages_back(char *p, size_t len)
{
#ifdef MADV_DONTNEED
	long ps = sysconf(_SC_PAGESIZE);
	if (ps <= 0)
		return;
	uintptr_t a = ((uintptr_t)p + (uintptr_t)ps - 1) & ~((uintptr_t)ps - 1);
	uintptr_t b = ((uintptr_t)p + len) & ~((uintptr_t)ps - 1);
	if (b > a)
		(void)madvise((void *)a, b - a, MADV_DONTNEED);
#else
	(void)p;
	(void)len;
#endif
}

bool source_release_bytes(struct source_unit *u)
{
	if (!u->bytes || !u->len || u->from_stdin ||
	    memmem(u->bytes, u->len, MESHC_IGNORE_MARK, sizeof(MESHC_IGNORE_MARK) - 1))
		return false;
	u->digest = hash_bytes(u->bytes, u->len);
	pages_back(u->bytes, u->len);
	free(u->bytes);
	u->bytes = NULL;
	return true;
}

char *source_read_again(const struct source_unit *u, size_t max, size_t *len)
{
	char err[256], *bytes = NULL;
	*len = 0;
	if (u->from_stdin || source_read_file(u->file, max, &bytes, len, err, sizeof(err)) != 0 ||
	    *len != u->len || hash_bytes(bytes, *len) != u->digest) {
		free(bytes);
		*len = 0;
		return NULL;
	}
	return bytes;
}

bool source_reread(struct project *p, struct source_unit *u)
{
	char err[256], *bytes = NULL;
	size_t len = 0;
	int rc = source_read_file(u->file, p->opt.limits.max_file_bytes, &bytes,
				  &len, err, sizeof(err));
	if (rc == 0 && (len != u->len || hash_bytes(bytes, len) != u->digest)) {
		snprintf(err, sizeof(err), "changed while meshc was reading it");
		rc = -1;
	}
	if (rc != 0) {
		free(bytes);
		fprintf(stderr, "meshc: cannot read \"%s\": %s\n", u->file, err);
		p->usage_error = true;
		u->bytes = xstrdup("");
		u->len = 0;
		return false;
	}
	u->bytes = bytes;
	return true;
}

/* ---- the directory walk ---- */

struct entry {
	char *path;
	unsigned char type;          /* readdir's d_type */
};

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

static void walk_dir(struct reader *r, const char *dir, const struct stat *st,
		     size_t root_len, bool *found);

/*
 * One entry of a directory being walked: a directory is walked, a
 * `*.yaml` or `*.yml` regular file read; anything else is left alone,
 * except a `*.yaml` that cannot be read (dangling link, no permission,
 * not a regular file) or an entry that cannot even be looked at, which
 * are reported.
 */
static void walk_entry(struct reader *r, const struct entry *e, size_t root_len,
		       bool *found)
{
	struct stat st;
	bool yaml = has_yaml_suffix(e->path);
	if (stat(e->path, &st) != 0) {
		int err = errno;
		struct stat lst;
		bool link = lstat(e->path, &lst) == 0 && S_ISLNK(lst.st_mode);
		/* A dangling link named like anything but YAML is not an input. */
		if (link && !yaml && e->type != DT_DIR)
			return;
		char why[300];
		snprintf(why, sizeof(why), "%s%s", strerror(err),
			 link && err == ENOENT ? " (dangling symbolic link)" : "");
		unreadable(r, e->path, why);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		walk_dir(r, e->path, &st, root_len, found);
	} else if (yaml) {
		*found = true;
		if (S_ISREG(st.st_mode))
			read_file(r, e->path, &st);
		else
			unreadable(r, e->path, "not a regular file");
	}
}

/*
 * Reads the YAML files below dir (st: its stat()) in sorted order, hidden
 * and ignored entries skipped. *found is set when a YAML file is met (or
 * the directory was walked already).
 */
static void walk_dir(struct reader *r, const char *dir, const struct stat *st,
		     size_t root_len, bool *found)
{
	struct file_id id = { st->st_dev, st->st_ino };
	for (size_t i = 0; i < r->depth; i++)
		if (r->stack[i].dev == id.dev && r->stack[i].ino == id.ino) {
			fprintf(stderr, "meshc: warning: \"%s\" leads back into a directory "
				"being read (a symbolic link loop): not followed\n", dir);
			return;
		}
	if (!id_set_add(&r->dirs, id)) {
		*found = true;   /* walked already, through another path */
		return;
	}
	if (r->depth >= WALK_MAX_DEPTH) {
		unreadable(r, dir, "directories nest too deeply");
		return;
	}
	DIR *d = opendir(dir);
	if (!d) {
		unreadable(r, dir, strerror(errno));
		return;
	}
	struct entry *ents = NULL;
	size_t n = 0, cap = 0;
	size_t dl = strlen(dir);
	bool slash = dl > 0 && dir[dl - 1] == '/';
	struct dirent *de;
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (de->d_name[0] == '.')
			continue;
		size_t len = dl + strlen(de->d_name) + 2;
		char *path = xmalloc(len);
		snprintf(path, len, "%s%s%s", dir, slash ? "" : "/", de->d_name);
		if (path_ignored(&r->p->opt, path, root_len)) {
			free(path);
			continue;
		}
		GROW(ents, n, cap);
		ents[n++] = (struct entry){ path, de->d_type };
	}
	if (errno != 0)
		unreadable(r, dir, strerror(errno));
	closedir(d);
	if (n > 1)
		qsort(ents, n, sizeof(*ents), cmp_entry);
	GROW(r->stack, r->depth, r->stack_cap);
	r->stack[r->depth++] = id;
	for (size_t i = 0; i < n; i++) {
		walk_entry(r, &ents[i], root_len, found);
		free(ents[i].path);
	}
	r->depth--;
	free(ents);
}

/* ---- all paths ---- */

/* Reports the inputs past max_file_bytes, now that every unit's list is
 * in place. */
static void report_over(struct reader *r)
{
	struct project *p = r->p;
	for (size_t i = 0; i < p->nunits; i++) {
		struct source_unit *u = &p->units[i];
		diag_list_init(&u->diags, &u->arena);
		if (r->over[i]) {
			char msg[160];
			snprintf(msg, sizeof(msg), "input exceeds the limit of %zu bytes "
				 "(--max-file-bytes); not read", p->opt.limits.max_file_bytes);
			diag_report_pos(&u->diags, MSH0002, u->file, 1, 1, NULL, NULL, msg);
		}
	}
}

void source_read_paths(struct project *p, char *const *paths, size_t npaths)
{
	source_read_paths_each(p, paths, npaths, NULL, NULL);
}

void source_read_paths_each(struct project *p, char *const *paths, size_t npaths,
			    void (*each)(void *ctx, struct source_unit *u), void *ctx)
{
	struct reader r = { .p = p, .each = each, .each_ctx = ctx };
	bool stdin_used = false;
	for (size_t i = 0; i < npaths; i++) {
		const char *path = paths[i];
		if (strcmp(path, "-") == 0) {
			if (!stdin_used)
				read_unit(&r, 0, p->opt.stdin_name ? p->opt.stdin_name : "<stdin>");
			stdin_used = true;
			continue;
		}
		struct stat st;
		if (stat(path, &st) != 0) {
			unreadable(&r, path, strerror(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			bool found = false;
			unsigned errors = r.errors;
			walk_dir(&r, path, &st, strlen(path), &found);
			if (!found && r.errors == errors) {
				fprintf(stderr, "meshc: no YAML files (*.yaml, *.yml) in \"%s\"\n",
					path);
				p->usage_error = true;
			}
		} else if (path_ignored(&p->opt, path, 0)) {
			continue;
		} else if (S_ISREG(st.st_mode)) {
			read_file(&r, path, &st);
		} else {
			unreadable(&r, path, "not a regular file or directory");
		}
	}
	report_over(&r);
	id_set_release(&r.files);
	id_set_release(&r.dirs);
	free(r.stack);
	free(r.over);
}
