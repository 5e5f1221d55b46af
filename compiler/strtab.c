/*
 * The string table: open addressing, linear probing, kept at most half
 * full. See strtab.h.
 */
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "strtab.h"

void strtab_init(struct strtab *t)
{
	memset(t, 0, sizeof(*t));
	arena_init(&t->strings);
}

/* Doubles the index (16 slots at first) and rehashes the strings. */
static void grow(struct strtab *t)
{
	size_t nslots = t->slots ? (t->mask + 1) * 2 : 16;
	struct strtab_slot *slots = xcalloc(nslots, sizeof(*slots));
	for (size_t i = 0; t->slots && i <= t->mask; i++) {
		const struct strtab_slot *s = &t->slots[i];
		if (!s->s)
			continue;
		size_t j = s->hash & (nslots - 1);
		while (slots[j].s)
			j = (j + 1) & (nslots - 1);
		slots[j] = *s;
	}
	free(t->slots);
	t->slots = slots;
	t->mask = nslots - 1;
}

const char *strtab_intern(struct strtab *t, const char *s, size_t len)
{
	if (len > UINT32_MAX) {
		/* Not indexed (scalars are capped far below this). */
		char *p = arena_alloc_bytes(&t->strings, len + 1);
		memcpy(p, s, len);
		p[len] = '\0';
		return p;
	}
	if ((t->n + 1) * 2 > (t->slots ? t->mask + 1 : 0))
		grow(t);
	uint32_t h = (uint32_t)hash_bytes(s, len);
	size_t i = h & t->mask;
	for (; t->slots[i].s; i = (i + 1) & t->mask) {
		const struct strtab_slot *e = &t->slots[i];
		if (e->hash == h && e->len == len && memcmp(e->s, s, len) == 0)
			return e->s;
	}
	char *p = arena_alloc_bytes(&t->strings, len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	t->slots[i] = (struct strtab_slot){ .s = p, .len = (uint32_t)len, .hash = h };
	t->n++;
	return p;
}

void strtab_finish(struct strtab *t, struct arena *owner)
{
	free(t->slots);
	t->slots = NULL;
	t->n = t->mask = 0;
	arena_adopt(owner, &t->strings);
}
