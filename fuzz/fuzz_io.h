/*
 * Shared by the fuzz targets that drive meshc through files, as a user
 * would: each input is written to a file of this process (in TMPDIR, or
 * /tmp), the same path every run, and the command reads it from there.
 */
#ifndef MESHC_FUZZ_IO_H
#define MESHC_FUZZ_IO_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A path of this process for file `name` (static storage, per name slot). */
static inline const char *fuzz_path(int slot, const char *name)
{
	static char paths[4][256];
	if (!paths[slot][0]) {
		const char *dir = getenv("TMPDIR");
		snprintf(paths[slot], sizeof(paths[slot]), "%s/meshc-fuzz-%ld-%s",
			 dir && *dir ? dir : "/tmp", (long)getpid(), name);
	}
	return paths[slot];
}

/* Writes size bytes to path (replacing it); aborts if it cannot. */
static inline void fuzz_write(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

/*
 * The commands print their results on stdout: dropped. Their messages on
 * stderr stay, since the fuzzer and the sanitizers report there too.
 */
static inline void fuzz_quiet(void)
{
	if (!freopen("/dev/null", "w", stdout))
		abort();
}

#endif
