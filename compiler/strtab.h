/*
 * Interned strings: each distinct byte string is stored once per table,
 * NUL-terminated, packed one after another without alignment. Records
 * repeat the same few strings many times (a Service's name as host,
 * label value and destination; the namespace of every resource of a
 * file; a DestinationRule's policies as JSON), and a copy per use, each
 * rounded up to 16 bytes, was most of a record's size.
 *
 * The table's index is on the heap and lives while one input (or part of
 * one) is loaded; the strings live in the table's own arena, which the
 * owner adopts into the unit's arena at the end (strtab_finish), so they
 * last as long as the records pointing at them. Interned strings are
 * shared: nothing may write to them.
 */
#ifndef MESHC_STRTAB_H
#define MESHC_STRTAB_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

struct strtab_slot {
	const char *s;               /* NULL: free slot */
	uint32_t len;
	uint32_t hash;               /* low bits of the hash, to skip compares */
};

struct strtab {
	struct arena strings;        /* the strings themselves */
	struct strtab_slot *slots;   /* heap, mask + 1 of them (NULL when empty) */
	size_t n, mask;
};

void strtab_init(struct strtab *t);
/*
 * The interned copy of s[0, len) (which may hold NUL bytes): the same
 * pointer for the same bytes; NUL-terminated.
 */
const char *strtab_intern(struct strtab *t, const char *s, size_t len);
/* Frees the index and moves the strings into `owner` (t is left empty). */
void strtab_finish(struct strtab *t, struct arena *owner);

#endif
