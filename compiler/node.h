/*
 * The located YAML node tree. The front end (yaml.c) builds one tree per
 * document in the unit's arena; every later phase reads it and never
 * changes it. Aliases are resolved by reference, so a node may be reachable
 * from several places; its parent field names the collection it was written
 * in (node_key()/node_index() find the place there, for diagnostics).
 *
 * A node is 48 bytes (it was 80): a collection's children and a scalar's
 * number share one word, and the key, the position in the parent and the
 * alias weight (needed only while parsing, kept by yaml.c's anchors) are
 * not stored. `check` holds one document's tree per worker, so the size
 * counts where trees are kept (Gateway API inputs, `meshc_table_load`):
 * m10000's 2.81 million nodes take 135 MB, 225 MB at 80 bytes.
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
#include <stdlib.h>
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
	unsigned len;              /* scalars: bytes of text (capped far below 4 GiB) */
	unsigned n;                /* collections: pairs or items; 0 for scalars */
	const char *text;          /* scalars: text after unescaping, NUL-terminated; NULL for collections */
	/* What the type has: collections no number, scalars no children
	 * (their n is 0). Read numbers with node_ival()/node_dval(). */
	union {
		struct node_pair *pairs;   /* NODE_MAP */
		struct node **items;       /* NODE_SEQ */
		long long ival;            /* NODE_INT */
		double dval;               /* NODE_FLOAT */
	};
	struct node *parent;       /* the map or sequence holding it; NULL at a root */
};

/* The value of a NODE_INT; 0 for other types. */
static inline long long node_ival(const struct node *n)
{
	return n->type == NODE_INT ? n->ival : 0;
}

/*
 * The value of a number as a double: a NODE_FLOAT's, a NODE_INT's converted
 * (an integer outside int64 from its text, as strconv would); 0 otherwise.
 */
static inline double node_dval(const struct node *n)
{
	if (n->type == NODE_FLOAT)
		return n->dval;
	if (n->type == NODE_INT)
		return n->int_overflow ? strtod(n->text, NULL) : (double)n->ival;
	return 0;
}

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
/*
 * Where n was written, found by a scan of its parent (nodes keep no key or
 * index of their own; only diagnostics ask): the key when the parent is a
 * map, else NULL; and the position in the parent. An aliased node answers
 * for the first place it is held in its parent, the place it was written.
 */
const struct node *node_key(const struct node *n);
unsigned node_index(const struct node *n);
/* A short name for the type as messages use it ("string", "map", ...). */
const char *node_type_name(enum node_type t);

#endif
