/*
 * Fault injection for the scripted tests, loaded with LD_PRELOAD (as jq's
 * inject_errors.c): makes system calls fail on purpose so that error
 * paths nobody can provoke from outside get tested. INJECT_FAIL holds a
 * comma-separated list of:
 *   fsync-dir    fsync() of a directory fails with EIO
 *   fsync-file   fsync() of a regular file fails with EIO
 *   write-file   write() to a regular file (not stdout/stderr) fails with ENOSPC
 * Built without sanitisers as tests/inject_errors.so in the build directory.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int wanted(const char *what)
{
	const char *s = getenv("INJECT_FAIL");
	size_t n = strlen(what);
	while (s && *s) {
		size_t len = strcspn(s, ",");
		if (len == n && strncmp(s, what, n) == 0)
			return 1;
		s += len + (s[len] == ',');
	}
	return 0;
}

static int is(int fd, mode_t type)
{
	struct stat st;
	return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

int fsync(int fd)
{
	static int (*real)(int);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "fsync");
	if ((wanted("fsync-dir") && is(fd, S_IFDIR)) ||
	    (wanted("fsync-file") && is(fd, S_IFREG))) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "write");
	if (fd > 2 && wanted("write-file") && is(fd, S_IFREG)) {
		errno = ENOSPC;
		return -1;
	}
	return real(fd, buf, n);
}
