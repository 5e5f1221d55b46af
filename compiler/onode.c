/*
 * Node trees built in code and printed as YAML (see onode.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "onode.h"

static struct node *mk(struct arena *a, enum node_type t)
{
	struct node *n = arena_alloc(a, sizeof(*n));
	n->type = (unsigned char)t;
	return n;
}

struct node *onode_map(struct arena *a) { return mk(a, NODE_MAP); }
struct node *onode_seq(struct arena *a) { return mk(a, NODE_SEQ); }
struct node *onode_null(struct arena *a) { return mk(a, NODE_NULL); }

struct node *onode_str(struct arena *a, const char *s)
{
	struct node *n = mk(a, NODE_STR);
	n->text = arena_strdup(a, s ? s : "");
	n->len = (unsigned)strlen(n->text);
	return n;
}

struct node *onode_int(struct arena *a, long long v)
{
	struct node *n = mk(a, NODE_INT);
	n->ival = v;
	n->text = arena_printf(a, "%lld", v);
	n->len = (unsigned)strlen(n->text);
	return n;
}

struct node *onode_num(struct arena *a, double v)
{
	if (v == (double)(long long)v)
		return onode_int(a, (long long)v);
	struct node *n = mk(a, NODE_FLOAT);
	n->dval = v;
	n->text = arena_printf(a, "%.15g", v);
	n->len = (unsigned)strlen(n->text);
	return n;
}

struct node *onode_bool(struct arena *a, bool v)
{
	struct node *n = mk(a, NODE_BOOL);
	n->bval = v;
	n->text = v ? "true" : "false";
	n->len = (unsigned)strlen(n->text);
	return n;
}

struct node *onode_copy(struct arena *a, const struct node *src)
{
	if (!src)
		return NULL;
	struct node *n = arena_alloc(a, sizeof(*n));
	*n = *src;
	n->parent = NULL;
	if (src->type == NODE_MAP) {
		n->pairs = src->n ? arena_alloc(a, src->n * sizeof(*n->pairs)) : NULL;
		for (size_t i = 0; i < src->n; i++) {
			n->pairs[i].key = onode_copy(a, src->pairs[i].key);
			n->pairs[i].kbits = src->pairs[i].kbits;
			n->pairs[i].value = onode_copy(a, src->pairs[i].value);
			n->pairs[i].value->parent = n;
		}
	} else if (src->type == NODE_SEQ) {
		n->items = src->n ? arena_alloc(a, src->n * sizeof(*n->items)) : NULL;
		for (size_t i = 0; i < src->n; i++) {
			n->items[i] = onode_copy(a, src->items[i]);
			n->items[i]->parent = n;
		}
	}
	return n;
}

/* Room for one more entry: capacities are powers of two, grown by copying. */
static void *grow(struct arena *a, void *old, size_t n, size_t elem)
{
	if (n && (n & (n - 1)))
		return old;
	size_t cap = n ? n * 2 : 4;
	if (n && n < 4)
		return old;
	void *p = arena_alloc(a, cap * elem);
	if (n)
		memcpy(p, old, n * elem);
	return p;
}

struct node *onode_set(struct arena *a, struct node *map, const char *key,
		       struct node *v)
{
	size_t klen = strlen(key);
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->pairs[i].key->text, key) == 0) {
			map->pairs[i].value = v;
			v->parent = map;
			return v;
		}
	map->pairs = grow(a, map->pairs, map->n, sizeof(*map->pairs));
	struct node_pair *p = &map->pairs[map->n];
	p->key = onode_str(a, key);
	p->kbits = node_key_bits(p->key->text, klen);
	p->value = v;
	v->parent = map;
	map->n++;
	return v;
}

bool onode_unset(struct node *map, const char *key)
{
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->pairs[i].key->text, key) == 0) {
			memmove(&map->pairs[i], &map->pairs[i + 1],
				(map->n - i - 1) * sizeof(*map->pairs));
			map->n--;
			return true;
		}
	return false;
}

struct node *onode_push(struct arena *a, struct node *seq, struct node *v)
{
	seq->items = grow(a, seq->items, seq->n, sizeof(*seq->items));
	seq->items[seq->n] = v;
	v->parent = seq;
	seq->n++;
	return v;
}

struct node *onode_child_map(struct arena *a, struct node *map, const char *key)
{
	struct node *v = (struct node *)node_get(map, key);
	if (v && v->type == NODE_MAP)
		return v;
	return onode_set(a, map, key, onode_map(a));
}

struct node *onode_child_seq(struct arena *a, struct node *map, const char *key)
{
	struct node *v = (struct node *)node_get(map, key);
	if (v && v->type == NODE_SEQ)
		return v;
	return onode_set(a, map, key, onode_seq(a));
}

/* ---- printing ---------------------------------------------------------- */

/* Whether a plain scalar with this text would read back as something else. */
static bool needs_quotes(const char *s)
{
	static const char *const words[] = {
		"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
		"True", "False", "Yes", "No", "On", "Off", "Y", "N", "Null", "NULL",
		"TRUE", "FALSE", "YES", "NO", "ON", "OFF",
	};
	if (!*s)
		return true;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(s, words[i]) == 0)
			return true;
	if (strchr("-?:,[]{}#&*!|>'\"%@`= ", s[0]))
		return true;
	size_t len = strlen(s);
	if (s[len - 1] == ' ' || s[len - 1] == ':')
		return true;
	if (strstr(s, ": ") || strstr(s, " #"))
		return true;
	/* Anything that could read as a number. */
	char *end;
	(void)strtod(s, &end);
	if (*end == 0)
		return true;
	if (s[0] == '.' || isdigit((unsigned char)s[0]))
		return true;
	return false;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			return true;
	return false;
}

static void put_str(FILE *f, const char *s)
{
	if (has_control(s)) {
		fputc('"', f);
		for (; *s; s++) {
			unsigned char c = (unsigned char)*s;
			if (c == '"' || c == '\\')
				fprintf(f, "\\%c", c);
			else if (c == '\n')
				fputs("\\n", f);
			else if (c == '\t')
				fputs("\\t", f);
			else if (c < 0x20)
				fprintf(f, "\\x%02x", c);
			else
				fputc(c, f);
		}
		fputc('"', f);
		return;
	}
	if (!needs_quotes(s)) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

static void put_scalar(FILE *f, const struct node *n)
{
	switch (n->type) {
	case NODE_NULL:
		fputs("null", f);
		break;
	case NODE_BOOL:
		fputs(n->bval ? "true" : "false", f);
		break;
	case NODE_INT:
		fprintf(f, "%lld", node_ival(n));
		break;
	case NODE_FLOAT:
		fprintf(f, "%.15g", node_dval(n));
		break;
	default:
		put_str(f, n->text ? n->text : "");
		break;
	}
}

static int pair_cmp(const void *a, const void *b)
{
	const struct node_pair *x = *(const struct node_pair *const *)a;
	const struct node_pair *y = *(const struct node_pair *const *)b;
	return strcmp(x->key->text, y->key->text);
}

static bool is_empty_collection(const struct node *n)
{
	return (n->type == NODE_MAP || n->type == NODE_SEQ) && n->n == 0;
}

static void put_node(FILE *f, const struct node *n, int indent, bool inline_first);

static void put_map(FILE *f, const struct node *n, int indent, bool inline_first)
{
	const struct node_pair **ps = xmalloc(n->n * sizeof(*ps));
	for (size_t i = 0; i < n->n; i++)
		ps[i] = &n->pairs[i];
	qsort(ps, n->n, sizeof(*ps), pair_cmp);
	for (size_t i = 0; i < n->n; i++) {
		const struct node *v = ps[i]->value;
		if (!(i == 0 && inline_first))
			fprintf(f, "%*s", indent, "");
		put_str(f, ps[i]->key->text);
		fputc(':', f);
		if (v->type == NODE_MAP && v->n) {
			fputc('\n', f);
			put_node(f, v, indent + 2, false);
		} else if (v->type == NODE_SEQ && v->n) {
			fputc('\n', f);
			put_node(f, v, indent, false);
		} else {
			fputc(' ', f);
			if (is_empty_collection(v))
				fputs(v->type == NODE_MAP ? "{}" : "[]", f);
			else
				put_scalar(f, v);
			fputc('\n', f);
		}
	}
	free(ps);
}

static void put_node(FILE *f, const struct node *n, int indent, bool inline_first)
{
	if (n->type == NODE_MAP && n->n) {
		put_map(f, n, indent, inline_first);
	} else if (n->type == NODE_SEQ && n->n) {
		for (size_t i = 0; i < n->n; i++) {
			const struct node *v = n->items[i];
			if (!(i == 0 && inline_first))
				fprintf(f, "%*s", indent, "");
			fputs("- ", f);
			if (v->type == NODE_MAP && v->n) {
				put_node(f, v, indent + 2, true);
			} else if (v->type == NODE_SEQ && v->n) {
				put_node(f, v, indent + 2, true);
			} else {
				if (is_empty_collection(v))
					fputs(v->type == NODE_MAP ? "{}" : "[]", f);
				else
					put_scalar(f, v);
				fputc('\n', f);
			}
		}
	} else {
		if (inline_first == false)
			fprintf(f, "%*s", indent, "");
		if (is_empty_collection(n))
			fputs(n->type == NODE_MAP ? "{}" : "[]", f);
		else
			put_scalar(f, n);
		fputc('\n', f);
	}
}

void onode_yaml(FILE *f, const struct node *n)
{
	put_node(f, n, 0, false);
}
