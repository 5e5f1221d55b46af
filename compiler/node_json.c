/*
 * Canonical JSON of a node tree (see node_json.h). Hot in the route
 * builder (one call per distinct policy field), so the common cases avoid
 * printf and heap sorting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "node_json.h"

void sb_put(struct sb *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2 + 64;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

void sb_json_str(struct sb *b, const char *s)
{
	sb_put(b, "\"", 1);
	while (*s) {
		/* Copy the run of bytes that need no escape in one go. */
		size_t run = 0;
		while (s[run] && s[run] != '"' && s[run] != '\\' &&
		       (unsigned char)s[run] >= 0x20)
			run++;
		if (run) {
			sb_put(b, s, run);
			s += run;
			continue;
		}
		unsigned char c = (unsigned char)*s++;
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			sb_put(b, esc, 2);
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			sb_put(b, esc, 6);
		}
	}
	sb_put(b, "\"", 1);
}

static int pair_cmp(const void *a, const void *b)
{
	const struct node_pair *x = *(const struct node_pair *const *)a;
	const struct node_pair *y = *(const struct node_pair *const *)b;
	return strcmp(x->key->text, y->key->text);
}

void sb_json_node(struct sb *b, const struct node *n)
{
	if (!n) {
		sb_put(b, "null", 4);
		return;
	}
	switch (n->type) {
	case NODE_NULL:
		sb_put(b, "null", 4);
		break;
	case NODE_BOOL:
		sb_put(b, n->bval ? "true" : "false", n->bval ? 4 : 5);
		break;
	case NODE_INT: {
		/* Decimal by hand: same text as "%lld", without printf. */
		char num[32];
		size_t k = sizeof(num);
		unsigned long long v = node_ival(n) < 0 ? 0ULL - (unsigned long long)node_ival(n) :
				       (unsigned long long)node_ival(n);
		do {
			num[--k] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		if (node_ival(n) < 0)
			num[--k] = '-';
		sb_put(b, num + k, sizeof(num) - k);
		break;
	}
	case NODE_FLOAT: {
		char num[40];
		snprintf(num, sizeof(num), "%.17g", node_dval(n));
		sb_put(b, num, strlen(num));
		break;
	}
	case NODE_STR:
		sb_json_str(b, n->text);
		break;
	case NODE_SEQ:
		sb_put(b, "[", 1);
		for (size_t i = 0; i < n->n; i++) {
			if (i)
				sb_put(b, ",", 1);
			sb_json_node(b, n->items[i]);
		}
		sb_put(b, "]", 1);
		break;
	case NODE_MAP: {
		/* Small maps (nearly all) sort on the stack. */
		const struct node_pair *small[16];
		const struct node_pair **ps = n->n <= 16 ? small :
					      xcalloc(n->n + 1, sizeof(*ps));
		for (size_t i = 0; i < n->n; i++)
			ps[i] = &n->pairs[i];
		if (ps == small) {
			/* Insertion sort: stable like glibc's qsort here. */
			for (size_t i = 1; i < n->n; i++) {
				const struct node_pair *t = ps[i];
				size_t j = i;
				for (; j > 0 && pair_cmp(&ps[j - 1], &t) > 0; j--)
					ps[j] = ps[j - 1];
				ps[j] = t;
			}
		} else {
			qsort(ps, n->n, sizeof(*ps), pair_cmp);
		}
		sb_put(b, "{", 1);
		for (size_t i = 0; i < n->n; i++) {
			if (i)
				sb_put(b, ",", 1);
			sb_json_str(b, ps[i]->key->text ? ps[i]->key->text : "");
			sb_put(b, ":", 1);
			sb_json_node(b, ps[i]->value);
		}
		sb_put(b, "}", 1);
		if (ps != small)
			free(ps);
		break;
	}
	}
}
