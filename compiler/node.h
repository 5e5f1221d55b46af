/*
 * The located YAML node tree. The front end (yaml.c) builds one tree per
 * document in the unit's arena; every later phase reads it and never
 * changes it. Aliases are resolved by reference, so a node may be reachable
 * from several places; its parent/key fields name the place it was written.
 *
 * Scalars are typed as go-yaml v2 types plain scalars (YAML 1.1): `true`,
 * `yes`, `on`, `y` are booleans, `0x1F` an integer, `~` null. Quoted
 * scalars and scalars tagged !!str are strings. The source text is kept
 * for every scalar (`text`, NUL-terminated, `len` bytes).
 */
#ifndef MESHC_NODE_H
#define MESHC_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

enum node_type {
	NODE_NULL,
	NODE_BOOL,
	NODE_INT,
	NODE_FLOAT,
	NODE_STR,
	NODE_MAP,
	NODE_SEQ,
};

struct node;

/* How a scalar was written; NODE_PLAIN is 0, so `quoted` reads as a flag. */
enum node_quoting {
	NODE_PLAIN,
	NODE_SINGLE_QUOTED,
	NODE_DOUBLE_QUOTED,
	NODE_BLOCK,           /* literal | or folded > */
};

struct node_pair {
	struct node *key;          /* always a scalar */
	struct node *value;
	unsigned long long kbits;  /* node_key_bits() of the key's text */
};

/*
 * The first 7 bytes of a key and its length (capped at 255) in one word:
 * map lookups compare it without touching the key node, which for keys
 * of up to 7 bytes decides the match outright.
 */
static inline unsigned long long node_key_bits(const char *s, size_t len)
{
	unsigned long long v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (len >= 7) {
		/* s[7] exists: it is the NUL or the 8th byte. */
		memcpy(&v, s, 8);
		v &= 0x00ffffffffffffffULL;
	} else {
		memcpy(&v, s, len);
	}
#else
	for (size_t i = 0; i < len && i < 7; i++)
		v |= (unsigned long long)(unsigned char)s[i] << (8 * i);
#endif
	return v | (unsigned long long)(len < 255 ? len : 255) << 56;
}

struct node {
	unsigned char type;        /* enum node_type */
	unsigned char quoted;      /* enum node_quoting: 0 (false) for plain scalars */
	bool int_overflow;         /* integer literal outside the int64 range */
	bool bval;                 /* NODE_BOOL */
	unsigned line, col;        /* 1-based, column in characters */
	unsigned index;            /* position in the parent sequence or map */
	unsigned weight;           /* nodes in this subtree, aliases counted (alias budget) */
	unsigned len;              /* bytes of text (scalars are capped far below 4 GiB) */
	struct node *parent;       /* the map or sequence holding it; NULL at a root */
	const struct node *key;    /* the key node when the parent is a map */

	/* Scalars. */
	const char *text;          /* source text after unescaping; NULL for collections */
	long long ival;            /* NODE_INT */
	double dval;               /* NODE_FLOAT, and NODE_INT converted */

	/* Collections: pairs for NODE_MAP, items for NODE_SEQ; n of either. */
	size_t n;
	union {
		struct node_pair *pairs;
		struct node **items;
	};
};

/*
 * The pair stored under the klen bytes of `key` (NUL-terminated); NULL if
 * absent or map is not a map. Maps are small in Kubernetes objects, so
 * this is a linear scan screened by each pair's kbits, which leaves the
 * other keys' nodes untouched. Inline, so that a literal key's kbits fold
 * to a constant.
 */
static inline const struct node_pair *node_get_pairn(const struct node *map,
						     const char *key, size_t klen)
{
	if (!map || map->type != NODE_MAP)
		return NULL;
	unsigned long long kb = node_key_bits(key, klen);
	for (size_t i = 0; i < map->n; i++) {
		if (map->pairs[i].kbits != kb)
			continue;
		const struct node *k = map->pairs[i].key;
		if (klen <= 7 || (k->len == klen &&
				  memcmp(k->text + 7, key + 7, klen - 7) == 0))
			return &map->pairs[i];
	}
	return NULL;
}

/*
 * The pair stored under `key`; NULL if absent or map is not a map.
 * Inline so that the length of a literal key is known at compile time:
 * these lookups are the checks' inner loop.
 */
static inline const struct node_pair *node_get_pair(const struct node *map,
						    const char *key)
{
	return node_get_pairn(map, key, strlen(key));
}

/* The value stored under `key` in a map; NULL if absent or n is not a map. */
static inline const struct node *node_get(const struct node *map, const char *key)
{
	const struct node_pair *p = node_get_pairn(map, key, strlen(key));
	return p ? p->value : NULL;
}
/* The text of a string scalar; NULL for other types or NULL n. */
const char *node_str(const struct node *n);
bool node_is_scalar(const struct node *n);
/* A short name for the type as messages use it ("string", "map", ...). */
const char *node_type_name(enum node_type t);

#endif
