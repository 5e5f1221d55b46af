/*
 * Arena allocation: one arena per unit of work (a file, or the whole run),
 * freed at once. Nothing allocated from an arena is freed on its own.
 * Out of memory never returns: the allocators print a message and exit 2.
 */
#ifndef MESHC_ARENA_H
#define MESHC_ARENA_H

#include <stddef.h>
#include <stdarg.h>

struct arena_block;

struct arena {
	struct arena_block *head;
	struct arena_block *spare;   /* blocks kept by arena_reset, for reuse */
	size_t used_bytes;       /* bytes handed out, for statistics */
};

void arena_init(struct arena *a);
void arena_release(struct arena *a);
/*
 * Forgets every allocation but keeps the blocks for the next ones: a
 * worker that builds and drops one tree after another reuses the same
 * (already faulted-in) memory instead of returning it to the kernel.
 */
void arena_reset(struct arena *a);
/* Moves every allocation of src into dst (src is left empty). */
void arena_adopt(struct arena *dst, struct arena *src);

/* Zeroed, aligned for any type. */
void *arena_alloc(struct arena *a, size_t size);
/* Uninitialised memory (callers fill it at once). */
void *arena_alloc_raw(struct arena *a, size_t size);
/*
 * Uninitialised memory aligned for pointers and 8-byte scalars only, for
 * the many small objects of one kind (YAML nodes) that 16-byte rounding
 * would waste space on.
 */
void *arena_alloc_packed(struct arena *a, size_t size);
/* Uninitialised bytes with no alignment (packed strings). */
void *arena_alloc_bytes(struct arena *a, size_t size);
char *arena_strndup(struct arena *a, const char *s, size_t len);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);

/* Heap helpers that exit on failure (for buffers that outgrow arenas). */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
void die_oom(void) __attribute__((noreturn));

/*
 * A growable array of fixed-size elements on the heap; the caller frees
 * items with free(). GROW ensures room for one more element.
 */
#define GROW(items, n, cap) do { \
	if ((n) == (cap)) { \
		(cap) = (cap) ? (cap) * 2 : 8; \
		(items) = xrealloc((items), (cap) * sizeof(*(items))); \
	} \
} while (0)

#endif
