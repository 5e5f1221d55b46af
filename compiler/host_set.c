/*
 * Host sets (host_set.h). An exact host is looked up directly and by
 * each of its wildcard suffixes ("*.b.c", "*.c", "*"), so the common
 * query costs a few hash probes; a wildcard query scans the entries
 * (wildcard hosts are few), as every query does once the set holds a
 * wildcard not of the form "*.suffix" ("*foo.com").
 */
#include <stdlib.h>
#include <string.h>

#include "host_set.h"
#include "prim.h"

void host_set_init(struct host_set *s, struct arena *a)
{
	memset(s, 0, sizeof(*s));
	s->a = a;
	xref_map_init(&s->exact, a);
	xref_map_init(&s->wild, a);
}

void host_set_release(struct host_set *s)
{
	xref_map_release(&s->exact);
	xref_map_release(&s->wild);
	free(s->all);
	memset(s, 0, sizeof(*s));
}

void host_set_add(struct host_set *s, const char *host)
{
	if (!host)
		return;
	char *h = arena_strdup(s->a, host);
	for (char *c = h; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	void **slot = xref_map_put(h[0] == '*' ? &s->wild : &s->exact, h);
	if (*slot)
		return;
	*slot = (void *)1;
	if (h[0] == '*' && h[1] && h[1] != '.')
		s->odd = true;
	GROW(s->all, s->n, s->cap);
	s->all[s->n++] = h;
}

static bool wild_has(const struct host_set *s, const char *suffix)
{
	/* "*" + suffix, looked up in the wildcard map */
	char buf[512];
	size_t n = strlen(suffix);
	if (n + 2 > sizeof(buf))
		return true;   /* too long to look up: say yes (a wider diff) */
	buf[0] = '*';
	memcpy(buf + 1, suffix, n + 1);
	return xref_map_get(&s->wild, buf) != NULL;
}

bool host_set_overlaps(const struct host_set *s, const char *host)
{
	if (!host)
		return false;
	char low[512];
	size_t n = strlen(host);
	if (n + 1 > sizeof(low))
		return true;
	for (size_t i = 0; i <= n; i++)
		low[i] = host[i] >= 'A' && host[i] <= 'Z' ? (char)(host[i] + 32) : host[i];
	if (low[0] == '*' || s->odd) {
		for (size_t i = 0; i < s->n; i++)
			if (strcmp(s->all[i], low) == 0 || prim_host_subset_of(s->all[i], low) ||
			    prim_host_subset_of(low, s->all[i]))
				return true;
		return false;
	}
	if (xref_map_get(&s->exact, low) || xref_map_get(&s->wild, "*"))
		return true;
	for (const char *d = strchr(low, '.'); d; d = strchr(d + 1, '.'))
		if (wild_has(s, d))
			return true;
	return false;
}
