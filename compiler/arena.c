/*
 * Arena allocator: large blocks carved linearly. Blocks grow geometrically
 * so a run of many small allocations costs few malloc calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include "arena.h"

#define ARENA_ALIGN 16
#define ARENA_MIN_BLOCK (64 * 1024)

struct arena_block {
	struct arena_block *next;
	size_t size;
	size_t used;
	_Alignas(16) unsigned char data[];
};

void die_oom(void)
{
	fputs("meshc: out of memory\n", stderr);
	exit(2);
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (!p)
		die_oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		die_oom();
	return p;
}

void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);
	if (!q)
		die_oom();
	return q;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);
	memcpy(p, s, n);
	return p;
}

void arena_init(struct arena *a)
{
	a->head = NULL;
	a->spare = NULL;
	a->used_bytes = 0;
}

static void free_blocks(struct arena_block *b)
{
	while (b) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
}

void arena_release(struct arena *a)
{
	free_blocks(a->head);
	free_blocks(a->spare);
	a->head = NULL;
	a->spare = NULL;
	a->used_bytes = 0;
}

void arena_reset(struct arena *a)
{
	/* Spare blocks stay in the order they were first allocated
	 * (smallest first), so reuse follows the same growth. */
	struct arena_block *b = a->head;
	while (b) {
		struct arena_block *next = b->next;
		b->used = 0;
		b->next = a->spare;
		a->spare = b;
		b = next;
	}
	a->head = NULL;
	a->used_bytes = 0;
}

void arena_adopt(struct arena *dst, struct arena *src)
{
	if (src->head) {
		/* Behind dst's current block, which stays the one carved. */
		struct arena_block *tail = src->head;
		while (tail->next)
			tail = tail->next;
		if (dst->head) {
			tail->next = dst->head->next;
			dst->head->next = src->head;
		} else {
			dst->head = src->head;
		}
	}
	free_blocks(src->spare);
	dst->used_bytes += src->used_bytes;
	src->head = src->spare = NULL;
	src->used_bytes = 0;
}

/* A spare block of at least size bytes, unlinked; NULL when none. */
static struct arena_block *take_spare(struct arena *a, size_t size)
{
	for (struct arena_block **pp = &a->spare; *pp; pp = &(*pp)->next)
		if ((*pp)->size >= size) {
			struct arena_block *b = *pp;
			*pp = b->next;
			return b;
		}
	return NULL;
}

/* size bytes at the next multiple of align (a power of two) in a block. */
static void *carve(struct arena *a, size_t size, size_t align)
{
	struct arena_block *b = a->head;
	size_t start = b ? (b->used + align - 1) & ~(align - 1) : 0;

	if (!b || start > b->size || b->size - start < size) {
		struct arena_block *reuse = a->spare ? take_spare(a, size) : NULL;
		if (reuse) {
			reuse->next = a->head;
			a->head = reuse;
			reuse->used = size;
			a->used_bytes += size;
			return reuse->data;
		}
		size_t bsize = b ? b->size * 2 : ARENA_MIN_BLOCK;
		if (bsize > 16 * 1024 * 1024)
			bsize = 16 * 1024 * 1024;
		if (bsize < size)
			bsize = size;
		if (bsize > SIZE_MAX - sizeof(*b))
			die_oom();
		b = malloc(sizeof(*b) + bsize);
		if (!b)
			die_oom();
		b->size = bsize;
		b->next = a->head;
		a->head = b;
		start = 0;
	}
	b->used = start + size;
	a->used_bytes += size;
	return b->data + start;
}

void *arena_alloc_raw(struct arena *a, size_t size)
{
	return carve(a, size, ARENA_ALIGN);
}

void *arena_alloc_packed(struct arena *a, size_t size)
{
	return carve(a, size, 8);
}

void *arena_alloc_bytes(struct arena *a, size_t size)
{
	return carve(a, size, 1);
}

void *arena_alloc(struct arena *a, size_t size)
{
	void *p = arena_alloc_raw(a, size);
	memset(p, 0, size);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t len)
{
	char *p = arena_alloc_raw(a, len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	char small[256];
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n < 0) {
		va_end(ap2);
		return arena_strdup(a, "");
	}
	char *p = arena_alloc_raw(a, (size_t)n + 1);
	if ((size_t)n < sizeof(small))
		memcpy(p, small, (size_t)n + 1);
	else
		vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}
