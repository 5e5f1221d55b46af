/*
 * Publishing a route table: route_write_atomic() puts the bytes at a
 * path so that a reader sees either the old file or the new one, whole,
 * and so that nothing else at that path is destroyed.
 *
 * - The target is the path, or, when the path is a symbolic link, the
 *   file it leads to: meshc writes through links on purpose (a deploy
 *   layout such as `mesh.mrt -> releases/42.mrt` keeps its link) and
 *   replaces the file the link names. A dangling link is refused.
 * - Only a regular file is replaced: a directory, FIFO, device or socket
 *   at the target is refused and left alone (`-o /dev/null` as root must
 *   not replace the system's /dev/null).
 * - An existing file keeps its mode (and, for root, its owner); a new
 *   file gets 0666 less the umask, as files made by cp or cc do.
 * - The bytes go to an unnamed temporary file in the target's directory
 *   (O_TMPFILE) that only gets a name, `TARGET.tmp.XXXXXX`, once it is
 *   complete and synced, just before the rename over the target; where
 *   the file system has no O_TMPFILE the temporary is named from the
 *   start. Either way it is locked (flock) while it exists under our
 *   hands, and each write first removes the unlocked, hence abandoned,
 *   temporaries of the same target, so a kill at any moment leaves
 *   nothing behind once the next compile has run.
 * - fsync of the file, rename, fsync of the directory: each failure is
 *   reported (the directory's too: the rename may not survive a crash).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "route_model.h"
#include "arena.h"

#define TMP_TAG ".tmp."
#define TMP_RANDOM 6

/*
 * The file to replace for path: path itself, or where its symbolic
 * links lead. *exists tells whether it exists (then *st is its stat).
 * Heap string, or NULL with a message.
 */
static char *resolve_target(const char *path, bool *exists, struct stat *st,
			    char *err, size_t errlen)
{
	struct stat lst;
	*exists = false;
	if (lstat(path, &lst) != 0) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return NULL;
		}
		return xstrdup(path);
	}
	char *target;
	if (S_ISLNK(lst.st_mode)) {
		char *real = realpath(path, NULL);
		if (!real) {
			snprintf(err, errlen, "%s: %s%s; not written", path, strerror(errno),
				 errno == ENOENT ? " (a dangling symbolic link)" : "");
			return NULL;
		}
		target = xstrdup(real);
		free(real);
		if (stat(target, st) != 0) {
			snprintf(err, errlen, "%s: %s", target, strerror(errno));
			free(target);
			return NULL;
		}
	} else {
		target = xstrdup(path);
		*st = lst;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: %s; not replaced", target,
			 S_ISDIR(st->st_mode) ? "is a directory" : "not a regular file");
		free(target);
		return NULL;
	}
	*exists = true;
	return target;
}

/*
 * Removes the abandoned temporaries of base in dir: names base + ".tmp."
 * + 6 characters that are regular files nobody holds a lock on (a live
 * writer keeps its temporary locked until after its rename).
 */
static void remove_stale(const char *dir, const char *base)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	size_t bl = strlen(base), tl = strlen(TMP_TAG);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		const char *n = e->d_name;
		if (strlen(n) != bl + tl + TMP_RANDOM || strncmp(n, base, bl) != 0 ||
		    strncmp(n + bl, TMP_TAG, tl) != 0)
			continue;
		int fd = openat(dirfd(d), n, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0)
			(void)unlinkat(dirfd(d), n, 0);
		close(fd);
	}
	closedir(d);
}

/* A fresh random suffix for a temporary's name. */
static void random_suffix(char *out)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	static uint64_t x;
	x ^= (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ULL ^ (uint64_t)getpid() << 20 ^
	     (uint64_t)ts.tv_sec;
	for (int i = 0; i < TMP_RANDOM; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		out[i] = set[(x >> 33) % (sizeof(set) - 1)];
	}
	out[TMP_RANDOM] = 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * A complete, synced, locked temporary file holding buf in dir, named
 * tmp (a buffer of strlen(target) + 16 bytes holding target + ".tmp."),
 * its suffix filled in. The descriptor (keep it open until after the
 * rename: it holds the lock), or -1 with a message.
 */
static int write_temporary(const char *dir, char *tmp, size_t prefix, mode_t mode,
			   const struct stat *old, const void *buf, size_t len,
			   bool unnamed, char *err, size_t errlen)
{
	/* Unnamed when the file system can: a kill leaves nothing. */
	int fd = unnamed ? open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600) : -1;
	bool named = fd < 0;
	if (named) {
		for (int tries = 0; tries < 100 && fd < 0; tries++) {
			random_suffix(tmp + prefix);
			fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (fd < 0 && errno != EEXIST)
				break;
		}
		if (fd < 0) {
			snprintf(err, errlen, "%s: cannot create a temporary file: %s", tmp,
				 strerror(errno));
			return -1;
		}
	}
	const char *what = "lock";
	if (flock(fd, LOCK_EX) != 0)
		goto fail;
	what = "write error";
	if (write_all(fd, buf, len) != 0)
		goto fail;
	what = "cannot set its mode";
	if (fchmod(fd, mode) != 0)
		goto fail;
	if (old && geteuid() == 0 && fchown(fd, old->st_uid, old->st_gid) != 0) {
		what = "cannot set its owner";
		goto fail;
	}
	what = "fsync";
	if (fsync(fd) != 0)
		goto fail;
	if (!named) {
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		for (int tries = 0; tries < 100; tries++) {
			random_suffix(tmp + prefix);
			if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0)
				return fd;
			if (errno != EEXIST)
				break;
		}
		/* No /proc, or linking refused: write a named temporary instead. */
		close(fd);
		return write_temporary(dir, tmp, prefix, mode, old, buf, len, false, err, errlen);
	}
	return fd;
fail:
	snprintf(err, errlen, "%s: %s: %s", named ? tmp : dir, what, strerror(errno));
	if (named)
		unlink(tmp);
	close(fd);
	return -1;
}

int route_write_atomic(const char *path, const void *buf, size_t len,
		       char *err, size_t errlen)
{
	bool exists;
	struct stat st;
	char *target = resolve_target(path, &exists, &st, err, errlen);
	if (!target)
		return -1;
	const char *slash = strrchr(target, '/');
	char *dir = slash ? xstrdup(target) : xstrdup(".");
	if (slash)
		dir[slash == target ? 1 : (size_t)(slash - target)] = 0;
	const char *base = slash ? slash + 1 : target;
	remove_stale(dir, base);

	mode_t mode;
	if (exists) {
		mode = st.st_mode & 07777;
	} else {
		mode_t mask = umask(0);
		umask(mask);
		mode = 0666 & ~mask;
	}
	size_t prefix = strlen(target) + strlen(TMP_TAG);
	char *tmp = xmalloc(prefix + TMP_RANDOM + 1);
	snprintf(tmp, prefix + 1, "%s%s", target, TMP_TAG);
	int rc = -1;
	int fd = write_temporary(dir, tmp, prefix, mode, exists ? &st : NULL, buf, len,
				 true, err, errlen);
	if (fd < 0)
		goto out;
	if (rename(tmp, target) != 0) {
		snprintf(err, errlen, "%s: cannot rename into place: %s", path, strerror(errno));
		unlink(tmp);
		close(fd);
		goto out;
	}
	close(fd);           /* the lock goes with it, after the rename */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0) {
		snprintf(err, errlen, "%s: written, but its directory \"%s\" could not be "
			 "synced (the new table may not survive a crash): %s", path, dir,
			 strerror(errno));
		if (dfd >= 0)
			close(dfd);
		goto out;
	}
	close(dfd);
	rc = 0;
out:
	free(tmp);
	free(dir);
	free(target);
	return rc;
}
