/*
 * What makes picking up a new table easy: which table is this (its
 * checksum, and a generation number per process), and has the file at
 * the path been replaced since it was opened. See meshrt.h.
 */
#include <errno.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "mrt_internal.h"

static _Atomic uint64_t last_generation;

uint64_t mrt_next_generation(void)
{
	return atomic_fetch_add(&last_generation, 1) + 1;
}

uint64_t mrt_table_generation(const mrt_table *t)
{
	return t->generation;
}

uint64_t mrt_table_checksum(const mrt_table *t)
{
	return t->hdr->checksum;
}

int mrt_table_changed(const mrt_table *t, const char *path)
{
	if (!t->mapped) {
		errno = EINVAL;
		return -1;
	}
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	return (uint64_t)st.st_dev != t->file_dev || (uint64_t)st.st_ino != t->file_ino ||
	       (uint64_t)st.st_size != t->file_size ||
	       (int64_t)st.st_mtim.tv_sec != t->file_mtime_sec ||
	       (int64_t)st.st_mtim.tv_nsec != t->file_mtime_nsec;
}
