/*
 * YAML front end: libyaml events -> located node trees, one per document.
 *
 * The input is first split into chunks at `---` lines so that a syntax
 * error stops only its own document (libyaml stops at the first error and
 * reads ahead). Each chunk is parsed with libyaml's event API; nodes go to
 * the unit's arena. Hostile input is reported, never obeyed: nesting depth,
 * alias expansion, scalar and document sizes are capped while events are
 * read. Scalars are typed as go-yaml v2 types plain scalars (YAML 1.1), the
 * way kubectl reads YAML. libyaml marks are 0-based: mark_line/mark_col
 * below are the one place they become 1-based.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "compiler.h"
#include "hash.h"

/*
 * One anchor per name; later definitions of a name replace earlier ones.
 * The weight (nodes in the subtree, aliases counted) is what an alias to
 * it spends of the document's alias budget; nodes do not keep it.
 */
struct anchor {
	const char *name;
	struct node *node;
	size_t weight;         /* set when the node is finished */
	size_t slot;           /* its place in builder.anchor_slots */
};

/* An open collection while events are read. */
struct frame {
	struct node *node;
	size_t start;          /* first scratch slot of this collection */
	size_t weight;         /* nodes so far in its subtree, itself included */
	size_t anchor;         /* 1 + its entry in builder.anchors; 0 if none */
};

struct builder {
	struct source_unit *u;
	const struct meshc_limits *lim;
	struct arena *tree;    /* nodes, pairs, items, anchor names */
	char *bump, *bump_end; /* the rest of the tree block being filled (tree_alloc) */
	unsigned line_base;    /* lines before the chunk */
	const char *chunk;
	size_t chunk_len;
	/* Column shifts from quoting rewrites (see requote_colon_scalar). */
	struct col_shift { unsigned line, from_col, delta; } shifts[16];
	size_t nshifts;
	bool chunk_owned;      /* chunk is a rewritten heap copy */

	struct frame *frames;
	size_t nframes, cap_frames;
	struct node **scratch; /* children of open collections, in order */
	size_t nscratch, cap_scratch;
	struct anchor *anchors;
	size_t nanchors, cap_anchors;
	/* Open-addressing index into anchors (slot = index + 1, 0 = free),
	 * so a document of n anchors and aliases costs O(n), not O(n^2). */
	size_t *anchor_slots;
	size_t anchor_mask;     /* slots - 1; 0 while there is no index */
	size_t alias_budget_used;
	size_t nodes, node_budget;   /* nodes made for the unit, and the cap */
	size_t docno;          /* documents begun: the diagnostic scope */
	bool irregular;        /* the current document uses aliases or merge keys */
	bool failed;           /* the current document was abandoned */
};

static unsigned mark_line(const struct builder *b, yaml_mark_t m)
{
	return b->line_base + (unsigned)m.line + 1;
}

/* 1-based column in the original text, undoing quoting rewrites. */
static unsigned mark_col_at(const struct builder *b, yaml_mark_t m)
{
	unsigned col = (unsigned)m.column;
	for (size_t i = b->nshifts; i-- > 0;)
		if (b->shifts[i].line == m.line && col >= b->shifts[i].from_col)
			col -= b->shifts[i].delta;
	return col + 1;
}

/* Line and column (in characters) of a byte offset inside the chunk. */
static void offset_position(const struct builder *b, size_t off,
			    unsigned *line, unsigned *col)
{
	unsigned l = 1, c = 1;
	if (off > b->chunk_len)
		off = b->chunk_len;
	for (size_t i = 0; i < off; i++) {
		unsigned char ch = (unsigned char)b->chunk[i];
		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xC0) != 0x80) {
			c++;
		}
	}
	*line = b->line_base + l;
	*col = c;
}

/* Byte offset in the chunk of libyaml's character index. */
static size_t char_offset(const struct builder *b, size_t index)
{
	size_t off = 0;
	for (size_t chars = 0; off < b->chunk_len; off++) {
		if (((unsigned char)b->chunk[off] & 0xC0) == 0x80)
			continue;
		if (chars++ == index)
			break;
	}
	return off;
}

static void report(struct builder *b, enum diag_code code, unsigned line,
		   unsigned col, const char *msg)
{
	diag_report_pos(&b->u->diags, code, b->u->file, line, col, NULL, NULL,
			msg);
}

/*
 * Names a byte order mark the parser stumbled on: a UTF-8 one anywhere
 * but at the start of the input (libyaml skips it at a line start, which
 * then shifts the indentation), or a UTF-16 one (meshc reads UTF-8 only).
 */
static void report_bom(struct builder *b)
{
	const char *c = b->chunk;
	unsigned line, col;
	if (b->chunk_len >= 2 && (((unsigned char)c[0] == 0xFF && (unsigned char)c[1] == 0xFE) ||
				  ((unsigned char)c[0] == 0xFE && (unsigned char)c[1] == 0xFF))) {
		offset_position(b, 0, &line, &col);
		report(b, MSH0003, line, col,
		       "UTF-16 byte order mark: the input is UTF-16, and meshc reads UTF-8 only (as kubectl does); save it as UTF-8");
		return;
	}
	const char *bom = memmem(c, b->chunk_len, "\xEF\xBB\xBF", 3);
	if (!bom)
		return;
	offset_position(b, (size_t)(bom - c), &line, &col);
	report(b, MSH0003, line, col,
	       "byte order mark (U+FEFF) inside the input: YAML allows one only at the very start");
}

static void report_parser_error(struct builder *b, yaml_parser_t *p)
{
	unsigned line, col;
	char msg[512];
	report_bom(b);
	if (p->error == YAML_READER_ERROR) {
		offset_position(b, p->problem_offset, &line, &col);
		if (p->problem_value != -1 && p->problem_value < 0x20)
			snprintf(msg, sizeof(msg), "%s (byte 0x%02X)",
				 p->problem ? p->problem : "invalid input",
				 (unsigned)p->problem_value);
		else
			snprintf(msg, sizeof(msg), "%s",
				 p->problem ? p->problem : "invalid input");
		report(b, MSH0003, line, col, msg);
		return;
	}
	line = mark_line(b, p->problem_mark);
	col = mark_col_at(b, p->problem_mark);
	size_t idx = char_offset(b, p->problem_mark.index);
	if (idx < b->chunk_len && b->chunk[idx] == '\t') {
		report(b, MSH0001, line, col,
		       "tab character in indentation (YAML allows only spaces)");
		return;
	}
	if (p->context)
		snprintf(msg, sizeof(msg), "%s %s", p->problem ? p->problem : "error",
			 p->context);
	else
		snprintf(msg, sizeof(msg), "%s", p->problem ? p->problem : "invalid YAML");
	report(b, MSH0001, line, col, msg);
}

/* ---- scalar typing (go-yaml v2 resolve) ---- */

/*
 * The YAML 1.1 words go-yaml v2 resolves specially: null, booleans
 * (v: truth), infinities (v: sign) and NaN (v: 0).
 */
static const struct special {
	const char *text;
	unsigned char len, type;
	signed char v;
} specials[] = {
	/* Sorted by length: special_first[len] is where each length starts. */
	{ "~", 1, NODE_NULL, 0 },
	{ "y", 1, NODE_BOOL, 1 }, { "Y", 1, NODE_BOOL, 1 },
	{ "n", 1, NODE_BOOL, 0 }, { "N", 1, NODE_BOOL, 0 },
	{ "on", 2, NODE_BOOL, 1 }, { "On", 2, NODE_BOOL, 1 },
	{ "ON", 2, NODE_BOOL, 1 }, { "no", 2, NODE_BOOL, 0 },
	{ "No", 2, NODE_BOOL, 0 }, { "NO", 2, NODE_BOOL, 0 },
	{ "yes", 3, NODE_BOOL, 1 }, { "Yes", 3, NODE_BOOL, 1 },
	{ "YES", 3, NODE_BOOL, 1 }, { "off", 3, NODE_BOOL, 0 },
	{ "Off", 3, NODE_BOOL, 0 }, { "OFF", 3, NODE_BOOL, 0 },
	{ "null", 4, NODE_NULL, 0 }, { "Null", 4, NODE_NULL, 0 },
	{ "NULL", 4, NODE_NULL, 0 }, { "true", 4, NODE_BOOL, 1 },
	{ "True", 4, NODE_BOOL, 1 }, { "TRUE", 4, NODE_BOOL, 1 },
	{ ".inf", 4, NODE_FLOAT, 1 }, { ".Inf", 4, NODE_FLOAT, 1 },
	{ ".INF", 4, NODE_FLOAT, 1 }, { ".nan", 4, NODE_FLOAT, 0 },
	{ ".NaN", 4, NODE_FLOAT, 0 }, { ".NAN", 4, NODE_FLOAT, 0 },
	{ "false", 5, NODE_BOOL, 0 }, { "False", 5, NODE_BOOL, 0 },
	{ "FALSE", 5, NODE_BOOL, 0 }, { "+.inf", 5, NODE_FLOAT, 1 },
	{ "+.Inf", 5, NODE_FLOAT, 1 }, { "+.INF", 5, NODE_FLOAT, 1 },
	{ "-.inf", 5, NODE_FLOAT, -1 }, { "-.Inf", 5, NODE_FLOAT, -1 },
	{ "-.INF", 5, NODE_FLOAT, -1 },
};
static const unsigned char special_first[7] = { 0, 0, 5, 11, 17, 29, 38 };
_Static_assert(sizeof(specials) / sizeof(specials[0]) == 38, "special_first");

/* strconv.ParseInt/ParseUint(s, 0, 64) after removing '_'. */
static bool parse_go_int(const char *in, long long *out, bool *overflow)
{
	char buf[96];
	size_t n = 0;
	for (const char *p = in; *p; p++) {
		if (*p == '_')
			continue;
		if (n + 1 >= sizeof(buf))
			return false;
		buf[n++] = *p;
	}
	buf[n] = '\0';
	const char *s = buf;
	bool neg = false;
	if (*s == '+' || *s == '-') {
		neg = *s == '-';
		s++;
	}
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
		base = 8;
		s += 2;
	} else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		base = 2;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		base = 8;
		s += 1;
	}
	if (!*s)
		return false;
	unsigned long long v = 0;
	bool big = false;
	for (; *s; s++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return false;
		if (d >= base)
			return false;
		if (v > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
			return false;   /* beyond uint64: not an integer */
		v = v * (unsigned)base + (unsigned)d;
	}
	if (neg) {
		if (v > (unsigned long long)LLONG_MAX + 1)
			return false;
		*out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
	} else if (v > (unsigned long long)LLONG_MAX) {
		big = true;
		*out = LLONG_MAX;
	} else {
		*out = (long long)v;
	}
	*overflow = big;
	return true;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_style_float(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (*s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	} else {
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
		if (*s == '.') {
			s++;
			while (*s >= '0' && *s <= '9')
				s++;
		}
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/*
 * The special word `s` (len bytes, NUL-terminated) is, or -1 when none:
 * the node type, with *truth for booleans and *d for floats. Screened by
 * length and first character so ordinary strings cost one switch. A word
 * matches as strcmp would: `s` may hold a NUL right after it.
 */
static int special_word(const char *s, size_t len, bool *truth, double *d)
{
	if (len == 0)
		return NODE_NULL;
	if (len > 6)
		return -1;
	switch (s[0]) {
	case '~': case 'n': case 'N': case 'y': case 'Y': case 'o': case 'O':
	case 't': case 'T': case 'f': case 'F': case '.': case '+': case '-':
		break;
	default:
		return -1;
	}
	/* A word of length <= len matches when s holds a NUL right after it;
	 * scan the lengths from len down to 1 (no NUL inside: only len). */
	size_t first = len < 6 ? special_first[len] : special_first[6];
	size_t end = len < 6 ? special_first[len + 1] : special_first[6];
	if (strlen(s) != len) {
		first = 0;
		end = special_first[6];
	}
	for (size_t i = first; i < end; i++) {
		const struct special *w = &specials[i];
		if (w->len > len || w->text[0] != s[0] ||
		    memcmp(w->text, s, (size_t)w->len + 1) != 0)
			continue;
		if (w->type == NODE_BOOL)
			*truth = w->v != 0;
		else if (w->type == NODE_FLOAT)
			*d = w->v ? w->v * INFINITY : NAN;
		return w->type;
	}
	return -1;
}

static void resolve_number(struct node *n) __attribute__((noinline));

static inline void resolve_plain(struct node *n)
{
	const char *s = n->text;
	bool truth = false;
	double d = 0;
	int special = special_word(s, n->len, &truth, &d);
	if (special >= 0) {
		n->type = (unsigned char)special;
		n->bval = truth;
		if (special == NODE_FLOAT)
			n->dval = d;
		return;
	}
	char c = s[0] == '+' || s[0] == '-' ? s[1] : s[0];
	if (!((c >= '0' && c <= '9') || c == '.'))
		return;
	resolve_number(n);
}

/*
 * An int or a float, for a plain scalar that starts like a number; apart
 * from resolve_plain so that its buffers cost only such scalars.
 */
static void resolve_number(struct node *n)
{
	const char *s = n->text;
	long long iv;
	bool overflow = false;
	if (parse_go_int(s, &iv, &overflow)) {
		n->type = NODE_INT;
		n->ival = iv;
		n->int_overflow = overflow;
		return;
	}
	char buf[96];
	size_t k = 0;
	for (const char *p = s; *p && k + 1 < sizeof(buf); p++)
		if (*p != '_')
			buf[k++] = *p;
	buf[k] = '\0';
	if (strlen(s) < sizeof(buf) && yaml_style_float(buf)) {
		n->type = NODE_FLOAT;
		n->dval = strtod(buf, NULL);
	}
}

static void resolve_tagged(struct node *n, const char *tag)
{
	if (strcmp(tag, YAML_STR_TAG) == 0)
		return;
	if (strcmp(tag, YAML_NULL_TAG) == 0 || strcmp(tag, YAML_BOOL_TAG) == 0 ||
	    strcmp(tag, YAML_INT_TAG) == 0 || strcmp(tag, YAML_FLOAT_TAG) == 0) {
		resolve_plain(n);
		return;
	}
	/* Other tags (custom `!foo`) leave the scalar a string, as go-yaml does. */
}

/* ---- tree building ---- */

/*
 * Memory per input byte is bounded by a node budget per unit: one node per
 * NODE_BYTES bytes of input, plus NODE_FLOOR for small files. A node costs
 * about 100 bytes with its slot in the parent, so a 64 MiB input stays
 * near 1 GiB however it is written; real configs spend 8 or more bytes per
 * node (keys count), so they never reach it, while `[1,1,1,...]` (two bytes
 * per node) would otherwise cost 50 bytes per input byte.
 */
#define NODE_BYTES 6
#define NODE_FLOOR 65536

/*
 * Tree blocks: nodes, pairs and items are carved from blocks of the tree
 * arena, so that each costs a pointer bump (a parse makes millions).
 * Large requests go to the arena itself, so a block wastes at most a
 * quarter of itself. The block is forgotten when the arena is reset.
 */
#define TREE_BLOCK 8192

static void *tree_alloc_slow(struct builder *b, size_t size)
{
	if (size > TREE_BLOCK / 4)
		return arena_alloc_packed(b->tree, size);
	b->bump = arena_alloc_packed(b->tree, TREE_BLOCK);
	b->bump_end = b->bump + TREE_BLOCK;
	void *p = b->bump;
	b->bump += size;
	return p;
}

static inline void *tree_alloc(struct builder *b, size_t size)
{
	size = (size + 7) & ~(size_t)7;
	if ((size_t)(b->bump_end - b->bump) < size)
		return tree_alloc_slow(b, size);
	void *p = b->bump;
	b->bump += size;
	return p;
}

/* Apart from new_node, so that its message buffer does not cost every call. */
__attribute__((noinline))
static void node_budget_spent(struct builder *b, yaml_mark_t m)
{
	char msg[200];
	snprintf(msg, sizeof(msg),
		 "more than %zu YAML nodes in this input (at most one per %d bytes of it, plus %d); the rest of the document is not read",
		 b->node_budget, NODE_BYTES, NODE_FLOOR);
	report(b, MSH0002, mark_line(b, m), mark_col_at(b, m), msg);
	b->failed = true;
}

/*
 * A node with `extra` bytes after it (a scalar's text), in one allocation;
 * NULL (reported, document abandoned) past the unit's node budget.
 */
static inline struct node *new_node(struct builder *b, enum node_type t,
			     yaml_mark_t m, size_t extra)
{
	if (++b->nodes > b->node_budget) {
		node_budget_spent(b, m);
		return NULL;
	}
	struct node *n = tree_alloc(b, sizeof(*n) + extra);
	*n = (struct node){
		.type = (unsigned char)t,
		.line = mark_line(b, m),
		.col = mark_col_at(b, m),
	};
	return n;
}

static inline void scratch_push(struct builder *b, struct node *n)
{
	GROW(b->scratch, b->nscratch, b->cap_scratch);
	b->scratch[b->nscratch++] = n;
}

/* The slot holding `name`, or the free slot where it would go. */
static size_t *anchor_slot(struct builder *b, const char *name, size_t len)
{
	size_t i = (size_t)hash_bytes(name, len) & b->anchor_mask;
	while (b->anchor_slots[i] &&
	       strcmp(b->anchors[b->anchor_slots[i] - 1].name, name) != 0)
		i = (i + 1) & b->anchor_mask;
	return &b->anchor_slots[i];
}

/* Doubles the index (and rehashes) once it is half full. */
static void anchor_index_grow(struct builder *b)
{
	size_t slots = b->anchor_mask ? (b->anchor_mask + 1) * 2 : 64;
	free(b->anchor_slots);
	b->anchor_slots = xcalloc(slots, sizeof(*b->anchor_slots));
	b->anchor_mask = slots - 1;
	for (size_t k = 0; k < b->nanchors; k++) {
		const char *name = b->anchors[k].name;
		size_t *slot = anchor_slot(b, name, strlen(name));
		*slot = k + 1;
		b->anchors[k].slot = (size_t)(slot - b->anchor_slots);
	}
}

/* Forgets every anchor (a new document), clearing only the slots used. */
static void anchors_reset(struct builder *b)
{
	for (size_t k = 0; k < b->nanchors; k++)
		b->anchor_slots[b->anchors[k].slot] = 0;
	b->nanchors = 0;
}

/* Names n; returns 1 + its entry in b->anchors, 0 for no name. */
static size_t anchor_set(struct builder *b, const unsigned char *uname,
			 struct node *n, size_t weight)
{
	if (!uname)
		return 0;
	const char *name = (const char *)uname;
	size_t len = strlen(name);
	if ((b->nanchors + 1) * 2 > b->anchor_mask + 1)
		anchor_index_grow(b);
	size_t *slot = anchor_slot(b, name, len);
	if (*slot) {
		b->anchors[*slot - 1].node = n;
		b->anchors[*slot - 1].weight = weight;
		return *slot;
	}
	GROW(b->anchors, b->nanchors, b->cap_anchors);
	b->anchors[b->nanchors].name = arena_strndup(b->tree, name, len);
	b->anchors[b->nanchors].node = n;
	b->anchors[b->nanchors].weight = weight;
	b->anchors[b->nanchors].slot = (size_t)(slot - b->anchor_slots);
	*slot = ++b->nanchors;
	return *slot;
}

static const struct anchor *anchor_get(struct builder *b, const unsigned char *uname)
{
	if (!b->nanchors)
		return NULL;
	const char *name = (const char *)uname;
	size_t slot = *anchor_slot(b, name, strlen(name));
	return slot ? &b->anchors[slot - 1] : NULL;
}

static bool is_merge_key(const struct node *k)
{
	return k->type == NODE_STR && !k->quoted && k->len == 2 &&
	       k->text[0] == '<' && k->text[1] == '<';
}

/* Hash set of key texts for duplicate detection in large maps. */
static uint64_t hash_text(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/*
 * Appends pair (k, v) to out[*n] unless the key is already present.
 * `table` (size tcap, power of two) is an optional index into out.
 * Returns the index of an existing pair with that key, or -1 when added.
 */
static long add_pair(struct node_pair *out, size_t *n, size_t *table,
		     size_t tcap, struct node *k, struct node *v)
{
	unsigned long long kb = node_key_bits(k->text, k->len);
	if (table) {
		size_t mask = tcap - 1;
		size_t i = (size_t)hash_text(k->text, k->len) & mask;
		while (table[i]) {
			const struct node *o = out[table[i] - 1].key;
			if (o->len == k->len && memcmp(o->text, k->text, k->len) == 0)
				return (long)(table[i] - 1);
			i = (i + 1) & mask;
		}
		table[i] = *n + 1;
	} else {
		for (size_t i = 0; i < *n; i++) {
			const struct node *o = out[i].key;
			if (out[i].kbits == kb && o->len == k->len &&
			    memcmp(o->text, k->text, k->len) == 0)
				return (long)i;
		}
	}
	out[*n].key = k;
	out[*n].value = v;
	out[*n].kbits = kb;
	(*n)++;
	return -1;
}

/* Sets each child's parent link (only where not set: aliases keep theirs). */
static void adopt(struct node *parent, struct node *child)
{
	if (!child->parent)
		child->parent = parent;
}

static void finish_map(struct builder *b, struct node *map, struct node **kv,
		       size_t nkv)
{
	size_t npairs_max = nkv / 2;
	size_t merged_extra = 0;
	bool merges = false;
	for (size_t i = 0; i + 1 < nkv; i += 2) {
		if (!is_merge_key(kv[i]))
			continue;
		merges = true;
		b->irregular = true;
		struct node *v = kv[i + 1];
		if (v->type == NODE_MAP)
			merged_extra += v->n;
		else if (v->type == NODE_SEQ)
			for (size_t j = 0; j < v->n; j++)
				if (v->items[j]->type == NODE_MAP)
					merged_extra += v->items[j]->n;
	}
	size_t cap = npairs_max + merged_extra;
	struct node_pair *pairs = tree_alloc(b, (cap ? cap : 1) * sizeof(*pairs));
	size_t n = 0;
	size_t *table = NULL, tcap = 0;
	if (cap > 16) {
		tcap = 32;
		while (tcap < cap * 2)
			tcap *= 2;
		table = xcalloc(tcap, sizeof(*table));
	}
	/* Explicit keys first: they win over merged ones. */
	for (size_t i = 0; i + 1 < nkv; i += 2) {
		struct node *k = kv[i], *v = kv[i + 1];
		if (merges && is_merge_key(k))
			continue;
		if (k->type == NODE_MAP || k->type == NODE_SEQ) {
			report(b, MSH0001, k->line, k->col,
			       "complex (non-scalar) mapping keys are not supported");
			continue;
		}
		long dup = add_pair(pairs, &n, table, tcap, k, v);
		if (dup >= 0) {
			char msg[300];
			const struct node *first = pairs[dup].key;
			snprintf(msg, sizeof(msg), "%.200s", k->text);
			diag_report_pos(&b->u->diags, MSH0004, b->u->file, k->line,
					k->col, NULL, NULL, msg, first->line);
		}
	}
	for (size_t i = 0; merges && i + 1 < nkv; i += 2) {
		if (!is_merge_key(kv[i]))
			continue;
		struct node *v = kv[i + 1];
		size_t nsrc = v->type == NODE_SEQ ? v->n : 1;
		for (size_t j = 0; j < nsrc; j++) {
			struct node *src = v->type == NODE_SEQ ? v->items[j] : v;
			if (src->type != NODE_MAP) {
				report(b, MSH0001, src->line, src->col,
				       "merge key << needs a mapping or a list of mappings");
				continue;
			}
			for (size_t m = 0; m < src->n; m++)
				add_pair(pairs, &n, table, tcap, src->pairs[m].key,
					 src->pairs[m].value);
		}
	}
	free(table);
	map->pairs = pairs;
	map->n = (unsigned)n;
	for (size_t i = 0; i < n; i++)
		adopt(map, pairs[i].value);
}

static void finish_seq(struct builder *b, struct node *seq, struct node **items,
		       size_t n)
{
	seq->items = tree_alloc(b, (n ? n : 1) * sizeof(*items));
	if (n)
		memcpy(seq->items, items, n * sizeof(*items));
	seq->n = (unsigned)n;
	for (size_t i = 0; i < n; i++)
		adopt(seq, items[i]);
}

/*
 * Adds a finished node of `weight` nodes (see struct anchor) to the open
 * collection, or makes it the root.
 */
static inline void attach(struct builder *b, struct node *n, size_t weight,
		   struct node **root)
{
	if (b->nframes == 0) {
		*root = n;
		return;
	}
	b->frames[b->nframes - 1].weight += weight;
	scratch_push(b, n);
}

/*
 * Byte offset in the chunk of the escape that put a NUL into the
 * double-quoted scalar starting at `start`: \0, \x00, \u0000 or
 * \U00000000. The scalar's own offset when none is found.
 */
static size_t nul_escape_offset(const struct builder *b, size_t start)
{
	static const char *const forms[] = { "0", "x00", "u0000", "U00000000" };
	const char *s = b->chunk;
	for (size_t i = start + 1; i + 1 < b->chunk_len && s[i] != '"'; i++) {
		if (s[i] != '\\')
			continue;
		for (size_t f = 0; f < 4; f++) {
			size_t fl = strlen(forms[f]);
			if (i + 1 + fl <= b->chunk_len &&
			    memcmp(s + i + 1, forms[f], fl) == 0)
				return i;
		}
		i++;   /* skip the escaped character */
	}
	return start;
}

/*
 * A NUL inside a scalar (only an escape can put one there: libyaml refuses
 * raw ones) is an error at the escape: C strings would silently cut the
 * value at it (`exact: "jason\0admin"` matching "jason").
 */
static bool scalar_has_nul(struct builder *b, const yaml_event_t *ev)
{
	/* libyaml's reader refuses a raw NUL ("control characters are not
	 * allowed"), and only double quotes have escapes. */
	if (ev->data.scalar.style != YAML_DOUBLE_QUOTED_SCALAR_STYLE ||
	    !memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
		return false;
	size_t start = char_offset(b, ev->start_mark.index);
	size_t at = nul_escape_offset(b, start);
	unsigned line, col;
	offset_position(b, at, &line, &col);
	report(b, MSH0003, line, col,
	       "NUL character (\\0) in a string: YAML text cannot carry it, and it would cut the value short");
	b->failed = true;
	return true;
}

static struct node *scalar_node(struct builder *b, const yaml_event_t *ev)
{
	size_t len = ev->data.scalar.length;
	struct node *n = new_node(b, NODE_STR, ev->start_mark, len + 1);
	if (!n)
		return NULL;
	char *text = (char *)(n + 1);
	memcpy(text, ev->data.scalar.value, len);
	text[len] = '\0';
	n->text = text;
	n->len = len;
	switch (ev->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE:
		n->quoted = NODE_SINGLE_QUOTED;
		break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
		n->quoted = NODE_DOUBLE_QUOTED;
		break;
	case YAML_LITERAL_SCALAR_STYLE:
	case YAML_FOLDED_SCALAR_STYLE:
		n->quoted = NODE_BLOCK;
		break;
	default:
		n->quoted = NODE_PLAIN;
		break;
	}
	const char *tag = (const char *)ev->data.scalar.tag;
	if (tag && strcmp(tag, "!") != 0)
		resolve_tagged(n, tag);
	else if (!n->quoted && !tag)
		resolve_plain(n);
	return n;
}

/*
 * Parses one chunk. Documents go to the unit's docs array; a document that
 * fails is dropped after its error is reported.
 */
/*
 * libyaml 0.2.5 rejects a plain scalar in a flow collection that ends in
 * ':' right before a flow indicator (`[2001:db8::]`), which go-yaml v2 and
 * so kubectl read as the string "2001:db8::". On that error the scalar is
 * rewritten single-quoted in a copy of the chunk and the chunk parsed again;
 * the columns after it on its line are shifted back when nodes are made.
 * Returns false when the error is another one (or the rewrite does not
 * apply), true when the chunk was rewritten.
 */
static bool requote_colon_scalar(struct builder *b, const yaml_parser_t *p)
{
	if (p->error != YAML_SCANNER_ERROR || !p->problem || !p->context ||
	    strcmp(p->problem, "found unexpected ':'") != 0 ||
	    strcmp(p->context, "while scanning a plain scalar") != 0 ||
	    b->nshifts == sizeof(b->shifts) / sizeof(b->shifts[0]) ||
	    p->context_mark.line != p->problem_mark.line)
		return false;
	size_t start = char_offset(b, p->context_mark.index);
	size_t colon = char_offset(b, p->problem_mark.index);
	if (colon >= b->chunk_len || b->chunk[colon] != ':' || start > colon)
		return false;
	size_t end = colon + 1, nquotes = 0;
	for (size_t i = start; i < end; i++)
		nquotes += b->chunk[i] == '\'';
	size_t len = b->chunk_len + 2 + nquotes;
	char *text = xmalloc(len + 1);
	size_t w = 0;
	memcpy(text, b->chunk, start);
	w = start;
	text[w++] = '\'';
	for (size_t i = start; i < end; i++) {
		if (b->chunk[i] == '\'')
			text[w++] = '\'';
		text[w++] = b->chunk[i];
	}
	text[w++] = '\'';
	memcpy(text + w, b->chunk + end, b->chunk_len - end);
	text[len] = '\0';
	unsigned scalar_chars = (unsigned)(p->problem_mark.index - p->context_mark.index + 1);
	b->shifts[b->nshifts++] = (struct col_shift){
		.line = (unsigned)p->problem_mark.line,
		.from_col = (unsigned)p->context_mark.column + scalar_chars + 2 + (unsigned)nquotes,
		.delta = 2 + (unsigned)nquotes,
	};
	if (b->chunk_owned)
		free((char *)b->chunk);
	b->chunk = text;
	b->chunk_len = len;
	b->chunk_owned = true;
	return true;
}

static bool parse_chunk_once(struct builder *b, bool *retry)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct node *root = NULL;
	bool in_doc = false;

	if (!yaml_parser_initialize(&parser))
		die_oom();
	yaml_parser_set_input_string(&parser, (const unsigned char *)b->chunk,
				     b->chunk_len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

	for (;;) {
		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.error == YAML_MEMORY_ERROR)
				die_oom();
			if (requote_colon_scalar(b, &parser)) {
				*retry = true;
				break;
			}
			report_parser_error(b, &parser);
			break;
		}
		yaml_event_type_t type = ev.type;
		switch (type) {
		case YAML_DOCUMENT_START_EVENT:
			in_doc = true;
			root = NULL;
			b->nframes = b->nscratch = 0;
			anchors_reset(b);
			b->alias_budget_used = 0;
			b->irregular = false;
			b->u->diags.scope = ++b->docno;
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (root && root->type != NODE_NULL) {
				size_t cap = b->u->docs_cap;
				GROW(b->u->docs, b->u->ndocs, b->u->docs_cap);
				if (cap != b->u->docs_cap)
					b->u->doc_irregular = xrealloc(b->u->doc_irregular,
						b->u->docs_cap * sizeof(*b->u->doc_irregular));
				b->u->doc_irregular[b->u->ndocs] = b->irregular;
				b->u->docs[b->u->ndocs++] = root;
			}
			in_doc = false;
			break;
		case YAML_SCALAR_EVENT: {
			if (ev.data.scalar.length > b->lim->max_scalar_bytes) {
				char msg[128];
				snprintf(msg, sizeof(msg),
					 "scalar of %zu bytes exceeds the limit of %zu bytes",
					 ev.data.scalar.length, b->lim->max_scalar_bytes);
				report(b, MSH0002, mark_line(b, ev.start_mark),
				       mark_col_at(b, ev.start_mark), msg);
				b->failed = true;
				break;
			}
			if (scalar_has_nul(b, &ev))
				break;
			struct node *n = scalar_node(b, &ev);
			if (!n)
				break;
			if (ev.data.scalar.anchor)
				anchor_set(b, ev.data.scalar.anchor, n, 1);
			attach(b, n, 1, &root);
			break;
		}
		case YAML_ALIAS_EVENT: {
			const struct anchor *an = anchor_get(b, ev.data.alias.anchor);
			struct node *target = an ? an->node : NULL;
			if (!target) {
				char msg[300];
				snprintf(msg, sizeof(msg), "unknown anchor \"%.200s\"",
					 (const char *)ev.data.alias.anchor);
				report(b, MSH0001, mark_line(b, ev.start_mark),
				       mark_col_at(b, ev.start_mark), msg);
				b->failed = true;
				break;
			}
			bool open = false;
			for (size_t i = 0; i < b->nframes; i++)
				open |= b->frames[i].node == target;
			if (open) {
				report(b, MSH0001, mark_line(b, ev.start_mark),
				       mark_col_at(b, ev.start_mark),
				       "recursive alias (an alias inside its own anchor)");
				b->failed = true;
				break;
			}
			size_t weight = an->weight;
			b->alias_budget_used += weight;
			if (b->alias_budget_used > b->lim->max_alias_nodes) {
				char msg[160];
				snprintf(msg, sizeof(msg),
					 "alias expansion exceeds the limit of %zu nodes per document",
					 b->lim->max_alias_nodes);
				report(b, MSH0002, mark_line(b, ev.start_mark),
				       mark_col_at(b, ev.start_mark), msg);
				b->failed = true;
				break;
			}
			b->irregular = true;
			attach(b, target, weight, &root);
			break;
		}
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			if (b->nframes >= b->lim->max_depth) {
				char msg[128];
				snprintf(msg, sizeof(msg),
					 "nesting depth exceeds the limit of %u",
					 b->lim->max_depth);
				report(b, MSH0002, mark_line(b, ev.start_mark),
				       mark_col_at(b, ev.start_mark), msg);
				b->failed = true;
				break;
			}
			bool is_map = type == YAML_MAPPING_START_EVENT;
			struct node *n = new_node(b, is_map ? NODE_MAP : NODE_SEQ,
						  ev.start_mark, 0);
			if (!n)
				break;
			const unsigned char *anchor = is_map ?
				ev.data.mapping_start.anchor : ev.data.sequence_start.anchor;
			GROW(b->frames, b->nframes, b->cap_frames);
			struct frame *f = &b->frames[b->nframes++];
			f->node = n;
			f->start = b->nscratch;
			f->weight = 1;
			/* Registered at once: a self-reference finds an open
			 * collection, and resolves to it by reference. Its
			 * weight is set when it is finished. */
			f->anchor = anchor ? anchor_set(b, anchor, n, 0) : 0;
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: {
			struct frame f = b->frames[--b->nframes];
			struct node **kids = b->scratch ? b->scratch + f.start : NULL;
			size_t nkids = b->nscratch - f.start;
			if (f.node->type == NODE_MAP)
				finish_map(b, f.node, kids, nkids);
			else
				finish_seq(b, f.node, kids, nkids);
			b->nscratch = f.start;
			/* Unless a nested definition took the name meanwhile. */
			if (f.anchor && b->anchors[f.anchor - 1].node == f.node)
				b->anchors[f.anchor - 1].weight = f.weight;
			attach(b, f.node, f.weight, &root);
			break;
		}
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (b->failed || type == YAML_STREAM_END_EVENT)
			break;
	}
	(void)in_doc;
	yaml_parser_delete(&parser);
	return !*retry;
}

/*
 * Parses one chunk. A chunk that needed a quoting rewrite is parsed again
 * from its start, dropping the documents the first attempt produced.
 */
static void parse_chunk(struct builder *b)
{
	size_t docs_before = b->u->ndocs;
	const char *orig = b->chunk;
	size_t orig_len = b->chunk_len;
	b->nshifts = 0;
	for (;;) {
		bool retry = false;
		b->failed = false;
		if (parse_chunk_once(b, &retry))
			break;
		b->u->ndocs = docs_before;
	}
	if (b->chunk_owned)
		free((char *)b->chunk);
	b->chunk_owned = false;
	b->chunk = orig;
	b->chunk_len = orig_len;
	b->nshifts = 0;
}

/* True when the line starting at p is a document marker `---`. */
static bool is_doc_start(const char *p, const char *end)
{
	if (end - p < 3 || p[0] != '-' || p[1] != '-' || p[2] != '-')
		return false;
	return end - p == 3 || p[3] == ' ' || p[3] == '\t' || p[3] == '\n' ||
	       p[3] == '\r';
}

/* True when a chunk holds only directives, comments and blank lines. */
static bool only_preamble(const char *p, const char *end)
{
	while (p < end) {
		const char *s = p;
		while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
			s++;
		if (s < end && *s != '\n' && *s != '#' && !(s == p && *s == '%'))
			return false;
		while (p < end && *p != '\n')
			p++;
		if (p < end)
			p++;
	}
	return true;
}

/* Skips a UTF-8 byte order mark at the start of the input. */
static const char *skip_bom(const char *data, size_t len)
{
	return len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? data + 3 : data;
}

size_t yaml_split_point(const char *bytes, size_t len, size_t from)
{
	const char *data = skip_bom(bytes, len), *end = bytes + len;
	if (from >= len)
		return 0;
	const char *p = bytes + from;
	/* The next line start at or after `from`. */
	if (p > data && p[-1] != '\n') {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return 0;
		p = nl + 1;
	}
	while (p < end) {
		/* The chunker splits at a `---` line unless everything before
		 * it in the input is preamble (yaml_parse_unit_each). */
		if (p > data && is_doc_start(p, end) && !only_preamble(data, p))
			return (size_t)(p - bytes);
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

void yaml_parse_unit(struct source_unit *u, const struct meshc_limits *lim)
{
	yaml_parse_unit_each(u, lim, &u->arena, NULL, NULL);
}

void yaml_parse_unit_each(struct source_unit *u, const struct meshc_limits *lim,
			  struct arena *tree, yaml_chunk_fn *fn, void *ctx)
{
	struct yaml_part whole = { .line0 = 0, .budget_bytes = u->len };
	yaml_parse_part(u, lim, tree, fn, ctx, &whole);
}

void yaml_parse_part(struct source_unit *u, const struct meshc_limits *lim,
		     struct arena *tree, yaml_chunk_fn *fn, void *ctx,
		     struct yaml_part *part)
{
	struct builder b;
	memset(&b, 0, sizeof(b));
	b.u = u;
	b.lim = lim;
	b.tree = tree;
	b.node_budget = NODE_FLOOR + part->budget_bytes / NODE_BYTES;

	const char *data = u->bytes, *end = u->bytes + u->len;
	/*
	 * A UTF-8 byte order mark may open a YAML stream (YAML 1.2, 5.2).
	 * libyaml skips it only when it detects the encoding itself, and we
	 * fix the encoding to UTF-8, so it would read as a character in
	 * column 1 and shift the first mapping. Dropped here; columns on the
	 * first line count from after it, as editors show them.
	 */
	data = skip_bom(data, u->len);
	const char *chunk = data;
	unsigned chunk_line = part->line0, line = part->line0;
	const char *p = data;
	while (p <= end) {
		bool at_end = p == end;
		if (at_end || (p != chunk && is_doc_start(p, end) &&
			       !only_preamble(chunk, p))) {
			size_t len = (size_t)(p - chunk);
			if (len > lim->max_document_bytes) {
				char msg[128];
				snprintf(msg, sizeof(msg),
					 "document of %zu bytes exceeds the limit of %zu bytes",
					 len, lim->max_document_bytes);
				report(&b, MSH0002, chunk_line + 1, 1, msg);
			} else if (len > 0) {
				b.line_base = chunk_line;
				b.chunk = chunk;
				b.chunk_len = len;
				size_t first = u->ndocs;
				parse_chunk(&b);
				if (fn) {
					size_t scope = u->diags.scope;
					u->diags.scope = 0;
					if (fn(u, first, ctx)) {
						arena_reset(tree);
						b.bump = b.bump_end = NULL;
					}
					u->diags.scope = scope;
				}
			}
			chunk = p;
			chunk_line = line;
			if (at_end)
				break;
		}
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			p = end;
		else {
			p = nl + 1;
			line++;
		}
	}
	free(b.frames);
	free(b.scratch);
	free(b.anchors);
	free(b.anchor_slots);
	u->diags.scope = 0;
	part->nodes = b.nodes;
	part->budget = b.node_budget;
}

/*
 * The chunk yaml_parse_unit parses on its own (see the loop there) that
 * holds 1-based line `line`: a chunk has no anchors or directives reaching
 * past it, so meshc diff can parse a changed resource's chunk again
 * without the rest of its file.
 */
bool yaml_chunk_at(const char *bytes, size_t len, unsigned line,
		   size_t *off, size_t *clen)
{
	const char *data = bytes, *end = bytes + len;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		data += 3;
	const char *chunk = data, *p = data;
	unsigned chunk_line = 0, n = 0;
	while (p <= end) {
		bool at_end = p == end;
		if (at_end || (p != chunk && is_doc_start(p, end) &&
			       !only_preamble(chunk, p))) {
			if (line > chunk_line && line <= n + (at_end ? 1 : 0)) {
				*off = (size_t)(chunk - bytes);
				*clen = (size_t)(p - chunk);
				return true;
			}
			chunk = p;
			chunk_line = n;
			if (at_end)
				break;
		}
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			p = end;
		else {
			p = nl + 1;
			n++;
		}
	}
	return false;
}
