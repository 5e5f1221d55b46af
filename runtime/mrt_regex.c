/*
 * Regexes: compiled lazily, matched as RE2 would, and never turned into
 * a silent "no match".
 *
 * Each pattern is compiled with PCRE2 on first use (JIT where available;
 * one atomic compare-and-swap per pattern) and matched against the whole
 * value. PCRE2 backtracks, so some patterns RE2 runs in linear time
 * (nested quantifiers such as `(a|aa)*c`, or `(a|b)*c` on a long value)
 * exhaust its match limit or JIT stack. Then the same pattern runs on a
 * second engine of our own: a Thompson NFA simulated breadth-first (a
 * Pike VM without captures), linear in the value's length times the
 * program's size, as RE2's NFA. Its character atoms (literals, `.`,
 * classes, `\d`, `\p{Greek}`, case folding) are single-character PCRE2
 * patterns, so both engines agree on what one character matches; the
 * structure around them (concatenation, alternation, repetition,
 * anchors, word boundaries) is the NFA's. The program of a pattern is
 * built on its first fallback and kept.
 *
 * A match neither engine can finish (a pattern the NFA cannot run: a
 * construct RE2 lacks or a program over NFA_MAX_INST instructions, both
 * only possible in a hand-made table) is an error result, which
 * mrt_match_checked() returns to its caller: never "no match".
 *
 * No heap allocation per match: the match data, JIT stack and NFA
 * workspace are per thread, made on a thread's first use (the workspace
 * grows to the largest program that thread has run).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrt_internal.h"

/* PCRE2's limits: past them the NFA takes over, so they bound the time
 * spent backtracking before that, not what can be matched. */
#define MATCH_LIMIT 200000
#define DEPTH_LIMIT 10000
#define HEAP_LIMIT_KIB 8192
#define JIT_STACK_MAX (1024 * 1024)

/* The NFA's size limit, and how deeply a pattern may nest. */
#define NFA_MAX_INST 65536
#define NFA_MAX_DEPTH 1000

/* ---- Per-thread state ----------------------------------------------------- */

struct nfa_work {
	uint32_t cap;                /* instructions the arrays hold */
	uint32_t *dense[2], *sparse[2], n[2];   /* two sparse sets of pcs */
	uint32_t *stack;             /* closure stack: 2 * cap + 1 */
};

struct thread_state {
	pcre2_match_data *md;        /* one ovector pair: whole-value matches */
	pcre2_jit_stack *jit;
	struct nfa_work work;
};

static pthread_once_t ts_once = PTHREAD_ONCE_INIT;
static pthread_key_t ts_key;
static bool ts_key_ok;

static void work_free(struct nfa_work *w)
{
	for (int i = 0; i < 2; i++) {
		free(w->dense[i]);
		free(w->sparse[i]);
	}
	free(w->stack);
	memset(w, 0, sizeof(*w));
}

static void ts_free(void *p)
{
	struct thread_state *s = p;
	pcre2_match_data_free(s->md);
	pcre2_jit_stack_free(s->jit);
	work_free(&s->work);
	free(s);
}

static void ts_init(void)
{
	ts_key_ok = pthread_key_create(&ts_key, ts_free) == 0;
}

/* This thread's state, made on first use; NULL when out of memory. */
static struct thread_state *thread_state(void)
{
	pthread_once(&ts_once, ts_init);
	if (!ts_key_ok)
		return NULL;
	struct thread_state *s = pthread_getspecific(ts_key);
	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->md = pcre2_match_data_create(1, NULL);
	s->jit = pcre2_jit_stack_create(32 * 1024, JIT_STACK_MAX, NULL);
	if (!s->md || pthread_setspecific(ts_key, s) != 0) {
		ts_free(s);
		return NULL;
	}
	return s;
}

/* PCRE2 asks for the JIT stack through the match context: this thread's. */
static pcre2_jit_stack *jit_stack_cb(void *data)
{
	(void)data;
	struct thread_state *s = thread_state();
	return s ? s->jit : NULL;
}

int mrt_regex_init(struct mrt_table *t)
{
	if (t->n[MRT_SEC_REGX]) {
		t->rx = calloc(t->n[MRT_SEC_REGX], sizeof(*t->rx));
		t->nfa = calloc(t->n[MRT_SEC_REGX], sizeof(*t->nfa));
		if (!t->rx || !t->nfa)
			return -1;
	}
	t->mctx = pcre2_match_context_create(NULL);
	if (!t->mctx)
		return -1;
	pcre2_set_match_limit(t->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(t->mctx, DEPTH_LIMIT);
	pcre2_set_heap_limit(t->mctx, HEAP_LIMIT_KIB);
	pcre2_jit_stack_assign(t->mctx, jit_stack_cb, NULL);
	return 0;
}

/* ---- PCRE2 ---------------------------------------------------------------- */

/* RE2's dialect as PCRE2 options: UTF-8, invalid sequences matched by
 * nothing, `$` only at the very end, no \C. */
#define RX_OPTIONS (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY | \
		    PCRE2_NEVER_BACKSLASH_C)

/* Compiles pattern i anchored at both ends; NULL with a message on error. */
static pcre2_code *regex_compile(const struct mrt_table *t, uint32_t i,
				 char *err, size_t errlen)
{
	uint32_t ref = t->regx[i].pattern;
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)mrt_str(t, ref), mrt_strlen(t, ref),
		PCRE2_ANCHORED | PCRE2_ENDANCHORED | RX_OPTIONS, &code, &off, NULL);
	if (!re) {
		if (err && errlen) {
			PCRE2_UCHAR msg[256];
			pcre2_get_error_message(code, msg, sizeof(msg));
			snprintf(err, errlen, "%s at offset %zu", (char *)msg, (size_t)off);
		}
		return NULL;
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);   /* optional speed-up */
	return re;
}

pcre2_code *mrt_regex_get(const struct mrt_table *t, uint32_t i)
{
	uintptr_t cur = atomic_load_explicit(&t->rx[i], memory_order_acquire);
	if (cur > 1)
		return (pcre2_code *)cur;
	if (cur == 1)
		return NULL;
	pcre2_code *re = regex_compile(t, i, NULL, 0);
	uintptr_t want = re ? (uintptr_t)re : 1, expected = 0;
	if (!atomic_compare_exchange_strong_explicit(&t->rx[i], &expected, want,
			memory_order_acq_rel, memory_order_acquire)) {
		/* Another thread won; use its result. */
		pcre2_code_free(re);
		return expected > 1 ? (pcre2_code *)expected : NULL;
	}
	return re;
}

int mrt_regex_check(const mrt_table *t, size_t i, char *err, size_t errlen)
{
	if (i >= t->n[MRT_SEC_REGX]) {
		snprintf(err, errlen, "no regex %zu", i);
		return -1;
	}
	pcre2_code *re = regex_compile(t, (uint32_t)i, err, errlen);
	if (!re)
		return -1;
	pcre2_code_free(re);
	return 0;
}

/* ---- The NFA: program ------------------------------------------------------ */

enum nfa_op { OP_CHAR, OP_SPLIT, OP_JMP, OP_ASSERT, OP_MATCH };
enum nfa_assert { AS_BOT, AS_EOT, AS_BOL, AS_EOL, AS_WORD, AS_NOT_WORD };

struct nfa_inst {
	uint8_t op;                  /* enum nfa_op */
	uint8_t as;                  /* enum nfa_assert for OP_ASSERT */
	uint32_t x, y;               /* CHAR: atom; SPLIT: both targets; JMP: x */
};

/* One character: ASCII by bitmap; anything else by PCRE2 (NULL: none). */
struct nfa_atom {
	uint8_t ascii[16];
	pcre2_code *re;
};

struct nfa {
	struct nfa_inst *inst;
	uint32_t n;
	struct nfa_atom *atoms;
	uint32_t natoms;
};

static void nfa_free(struct nfa *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i < p->natoms; i++)
		pcre2_code_free(p->atoms[i].re);
	free(p->atoms);
	free(p->inst);
	free(p);
}

/* ---- The NFA: parsing RE2 syntax into a tree ------------------------------- */

enum node_kind { N_EMPTY, N_ATOM, N_ASSERT, N_CAT, N_ALT, N_REP };

struct node {
	uint8_t kind;
	uint8_t as;                  /* N_ASSERT */
	bool quoted;                 /* N_CAT of \Q...\E: a quantifier takes its last */
	uint32_t atom;               /* N_ATOM */
	int min, max;                /* N_REP; max -1: unbounded */
	int kid, next;               /* first child, next sibling (-1: none) */
};

struct parser {
	const char *s;
	size_t n, i;
	unsigned flags;              /* F_* in effect */
	int depth;
	bool bad;                    /* a construct the NFA cannot run */
	struct node *nodes;
	int nnodes, capnodes;
	struct nfa *prog;            /* atoms are added here */
	uint32_t capatoms;
};

#define F_I 1u   /* case-insensitive */
#define F_M 2u   /* multi-line ^ $ */
#define F_S 4u   /* . matches \n */

static int node_new(struct parser *p, enum node_kind k)
{
	if (p->nnodes == p->capnodes) {
		int cap = p->capnodes ? 2 * p->capnodes : 64;
		struct node *nn = realloc(p->nodes, (size_t)cap * sizeof(*nn));
		if (!nn) {
			p->bad = true;
			return -1;
		}
		p->nodes = nn;
		p->capnodes = cap;
	}
	struct node *x = &p->nodes[p->nnodes];
	memset(x, 0, sizeof(*x));
	x->kind = (uint8_t)k;
	x->kid = x->next = -1;
	return p->nnodes++;
}

/*
 * A character atom from PCRE2 text (one character's worth: a literal, an
 * escape, `.` or a class), under the flags in effect. Returns the node,
 * or -1 (p->bad) when PCRE2 refuses it.
 */
static int atom_new(struct parser *p, const char *text, size_t len)
{
	struct nfa *prog = p->prog;
	if (prog->natoms == p->capatoms) {
		uint32_t cap = p->capatoms ? 2 * p->capatoms : 32;
		struct nfa_atom *na = realloc(prog->atoms, cap * sizeof(*na));
		if (!na) {
			p->bad = true;
			return -1;
		}
		prog->atoms = na;
		p->capatoms = cap;
	}
	char pat[64 + 8];
	if (len > 64) {
		p->bad = true;
		return -1;
	}
	int pl = snprintf(pat, sizeof(pat), "(?%s%s-%s%s)", p->flags & F_I ? "i" : "",
			  p->flags & F_S ? "s" : "", p->flags & F_I ? "" : "i",
			  p->flags & F_S ? "" : "s");
	memcpy(pat + pl, text, len);
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, (size_t)pl + len,
				       PCRE2_ANCHORED | RX_OPTIONS, &code, &off, NULL);
	pcre2_match_data *md = re ? pcre2_match_data_create(1, NULL) : NULL;
	if (!md) {
		pcre2_code_free(re);
		p->bad = true;
		return -1;
	}
	struct nfa_atom *a = &prog->atoms[prog->natoms];
	memset(a, 0, sizeof(*a));
	for (int c = 0; c < 128; c++) {
		unsigned char ch = (unsigned char)c;
		int rc = pcre2_match(re, &ch, 1, 0, 0, md, NULL);
		if (rc > 0 && pcre2_get_ovector_pointer(md)[1] == 1)
			a->ascii[c >> 3] |= (uint8_t)(1u << (c & 7));
	}
	pcre2_match_data_free(md);
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	a->re = re;
	int x = node_new(p, N_ATOM);
	if (x >= 0)
		p->nodes[x].atom = prog->natoms++;
	else
		pcre2_code_free(re);
	return x;
}

static int assert_new(struct parser *p, enum nfa_assert as)
{
	int x = node_new(p, N_ASSERT);
	if (x >= 0)
		p->nodes[x].as = (uint8_t)as;
	return x;
}

/* Length of the UTF-8 sequence at s[i] (1 for an invalid lead byte). */
static size_t utf8_len(const char *s, size_t i, size_t n)
{
	unsigned char c = (unsigned char)s[i];
	size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	return i + len <= n ? len : 1;
}

/* The end of the class starting at s[i] == '[' (one past its ']'), or 0. */
static size_t class_end(const char *s, size_t n, size_t i)
{
	size_t j = i + 1;
	if (j < n && s[j] == '^')
		j++;
	if (j < n && s[j] == ']')
		j++;                  /* a leading ']' is literal */
	while (j < n && s[j] != ']') {
		if (s[j] == '\\') {
			j += 2;
		} else if (s[j] == '[' && j + 1 < n && s[j + 1] == ':') {
			const char *end = memchr(s + j + 2, ']', n - j - 2);
			j = end && end[-1] == ':' ? (size_t)(end - s) + 1 : j + 1;
		} else {
			j++;
		}
	}
	return j < n ? j + 1 : 0;
}

/* A repetition count at s[i] == '{': "{n}", "{n,}" or "{n,m}"; else 0
 * (then '{' is a literal, as RE2 reads it). */
static size_t repeat_count(const char *s, size_t n, size_t i, int *min, int *max)
{
	size_t j = i + 1;
	long a = -1, b;
	for (; j < n && s[j] >= '0' && s[j] <= '9'; j++)
		a = (a < 0 ? 0 : a) * 10 + (s[j] - '0') > 100000 ? 100000 :
		    (a < 0 ? 0 : a) * 10 + (s[j] - '0');
	if (a < 0 || j >= n)
		return 0;
	b = a;
	if (s[j] == ',') {
		j++;
		b = -1;
		for (; j < n && s[j] >= '0' && s[j] <= '9'; j++)
			b = (b < 0 ? 0 : b) * 10 + (s[j] - '0') > 100000 ? 100000 :
			    (b < 0 ? 0 : b) * 10 + (s[j] - '0');
	}
	if (j >= n || s[j] != '}')
		return 0;
	*min = (int)a;
	*max = (int)b;
	return j + 1 - i;
}

static int parse_alt(struct parser *p);

/* Flags letters at s[i..]: applies them to *flags; returns the index
 * after them, or 0 on a letter RE2 lacks. */
static size_t parse_flags(struct parser *p, size_t i, unsigned *flags)
{
	bool neg = false;
	for (; i < p->n; i++) {
		unsigned f;
		switch (p->s[i]) {
		case 'i': f = F_I; break;
		case 'm': f = F_M; break;
		case 's': f = F_S; break;
		case 'U': f = 0; break;             /* laziness: no effect on a yes/no match */
		case '-':
			if (neg)
				return 0;
			neg = true;
			continue;
		default:
			return i;
		}
		*flags = neg ? *flags & ~f : *flags | f;
	}
	return 0;
}

/* A group, at s[i] == '(': a node, or -1 when p->bad. A flags-only group
 * "(?i)" changes p->flags for the rest of the enclosing group and is an
 * empty node. */
static int parse_group(struct parser *p)
{
	const char *s = p->s;
	size_t i = p->i + 1, n = p->n;
	unsigned outer = p->flags, inner = p->flags;
	if (i < n && s[i] == '?') {
		i++;
		if (i + 1 < n && s[i] == 'P' && s[i + 1] == '<')
			i += 2;
		else if (i < n && s[i] == '<' && i + 1 < n && s[i + 1] != '=' && s[i + 1] != '!')
			i += 1;
		else
			goto flags;
		/* a named group: skip the name */
		while (i < n && s[i] != '>')
			i++;
		if (i >= n) {
			p->bad = true;
			return -1;
		}
		i++;
		goto body;
flags:;
		size_t j = parse_flags(p, i, &inner);
		if (j == 0 || j >= n || (s[j] != ')' && s[j] != ':')) {
			p->bad = true;           /* lookaround, atomic group, ... */
			return -1;
		}
		if (s[j] == ')') {
			p->flags = inner;        /* to the end of the enclosing group */
			p->i = j + 1;
			return node_new(p, N_EMPTY);
		}
		i = j + 1;
	}
body:
	if (++p->depth > NFA_MAX_DEPTH) {
		p->bad = true;
		return -1;
	}
	p->i = i;
	p->flags = inner;
	int x = parse_alt(p);
	p->flags = outer;
	p->depth--;
	if (x < 0 || p->i >= n || s[p->i] != ')') {
		p->bad = true;
		return -1;
	}
	p->i++;
	return x;
}

/* One atom at p->i: a node, or -1 when p->bad. */
static int parse_atom(struct parser *p)
{
	const char *s = p->s;
	size_t i = p->i, n = p->n;
	char buf[16];
	switch (s[i]) {
	case '(':
		return parse_group(p);
	case '[': {
		size_t e = class_end(s, n, i);
		if (!e) {
			p->bad = true;
			return -1;
		}
		p->i = e;
		return atom_new(p, s + i, e - i);
	}
	case '.':
		p->i++;
		return atom_new(p, ".", 1);
	case '^':
		p->i++;
		return assert_new(p, p->flags & F_M ? AS_BOL : AS_BOT);
	case '$':
		p->i++;
		return assert_new(p, p->flags & F_M ? AS_EOL : AS_EOT);
	case '*': case '+': case '?':
		p->bad = true;                 /* nothing to repeat */
		return -1;
	case '{': {
		int a, b;
		if (repeat_count(s, n, i, &a, &b)) {
			p->bad = true;
			return -1;
		}
		p->i++;
		return atom_new(p, "\\{", 2);
	}
	case '\\':
		break;
	default: {
		size_t len = utf8_len(s, i, n);
		p->i += len;
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80 && !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
				  (c >= 'a' && c <= 'z') || c == ' ')) {
			buf[0] = '\\';      /* punctuation: escaped, always literal */
			buf[1] = (char)c;
			return atom_new(p, buf, 2);
		}
		return atom_new(p, s + i, len);
	}
	}
	/* An escape. */
	if (i + 1 >= n) {
		p->bad = true;
		return -1;
	}
	char c = s[i + 1];
	p->i = i + 2;
	switch (c) {
	case 'A': return assert_new(p, AS_BOT);
	case 'z': return assert_new(p, AS_EOT);
	case 'b': return assert_new(p, AS_WORD);
	case 'B': return assert_new(p, AS_NOT_WORD);
	case 'd': case 'D': case 's': case 'S': case 'w': case 'W':
	case 'a': case 'f': case 't': case 'n': case 'r': case 'v':
		return atom_new(p, s + i, 2);
	case 'p': case 'P': {
		size_t e = i + 2;
		if (e < n && s[e] == '{') {
			const char *close = memchr(s + e, '}', n - e);
			if (!close) {
				p->bad = true;
				return -1;
			}
			e = (size_t)(close - s) + 1;
		} else {
			e++;
		}
		if (e > n) {
			p->bad = true;
			return -1;
		}
		p->i = e;
		return atom_new(p, s + i, e - i);
	}
	case 'x': {
		size_t e = i + 2;
		if (e < n && s[e] == '{') {
			const char *close = memchr(s + e, '}', n - e);
			if (!close) {
				p->bad = true;
				return -1;
			}
			e = (size_t)(close - s) + 1;
		} else {
			e = e + 2 <= n ? e + 2 : n;
		}
		p->i = e;
		return atom_new(p, s + i, e - i);
	}
	case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
		if (c != '0') {
			p->bad = true;             /* a backreference */
			return -1;
		}
		size_t e = i + 2;
		while (e < n && e < i + 4 && s[e] >= '0' && s[e] <= '7')
			e++;
		p->i = e;
		return atom_new(p, s + i, e - i);
	}
	case 'Q': {
		/* Literal text to \E (or the end): one atom per character. */
		int cat = node_new(p, N_CAT), last = -1;
		size_t j = i + 2;
		while (j < n && !(s[j] == '\\' && j + 1 < n && s[j + 1] == 'E')) {
			size_t len = utf8_len(s, j, n);
			int x;
			if (len == 1 && (unsigned char)s[j] < 0x80) {
				snprintf(buf, sizeof(buf), "\\x{%x}", (unsigned char)s[j]);
				x = atom_new(p, buf, strlen(buf));
			} else {
				x = atom_new(p, s + j, len);
			}
			if (x < 0 || cat < 0)
				return -1;
			if (last < 0)
				p->nodes[cat].kid = x;
			else
				p->nodes[last].next = x;
			last = x;
			j += len;
		}
		p->i = j < n ? j + 2 : n;
		p->nodes[cat].quoted = true;
		return cat;
	}
	default:
		if ((unsigned char)c < 0x80 && !((c >= '0' && c <= '9') ||
		    (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
			return atom_new(p, s + i, 2);      /* an escaped punctuation mark */
		p->bad = true;                         /* \C, \K, \G, \R, \X, \Z, \g, ... */
		return -1;
	}
}

/* An atom and its quantifier (RE2 allows one: `a**` is an error). */
static int parse_repeat(struct parser *p)
{
	int x = parse_atom(p);
	bool repeated = false;
	while (x >= 0 && p->i < p->n) {
		int min, max;
		size_t len = 1;
		switch (p->s[p->i]) {
		case '*': min = 0; max = -1; break;
		case '+': min = 1; max = -1; break;
		case '?': min = 0; max = 1; break;
		case '{':
			len = repeat_count(p->s, p->n, p->i, &min, &max);
			if (len == 0)
				return x;
			if (min > 1000 || max > 1000 || (max >= 0 && max < min)) {
				p->bad = true;
				return -1;
			}
			break;
		default:
			return x;
		}
		if (repeated) {
			p->bad = true;
			return -1;
		}
		repeated = true;
		p->i += len;
		if (p->i < p->n && p->s[p->i] == '?')
			p->i++;                      /* lazy: the same yes or no */
		else if (p->i < p->n && p->s[p->i] == '+') {
			p->bad = true;               /* possessive */
			return -1;
		}
		/* \Q...\E is a run of literals: the quantifier takes the last */
		int target = x, prev = -1;
		if (p->nodes[x].kind == N_CAT && p->nodes[x].quoted) {
			target = p->nodes[x].kid;
			if (target < 0) {
				p->bad = true;
				return -1;
			}
			while (p->nodes[target].next >= 0) {
				prev = target;
				target = p->nodes[target].next;
			}
		}
		int r = node_new(p, N_REP);
		if (r < 0)
			return -1;
		p->nodes[r].min = min;
		p->nodes[r].max = max;
		p->nodes[r].kid = target;
		if (target == x) {
			x = r;
		} else if (prev < 0) {
			p->nodes[x].kid = r;
		} else {
			p->nodes[prev].next = r;
		}
	}
	return x;
}

static int parse_concat(struct parser *p)
{
	int cat = node_new(p, N_CAT), last = -1;
	while (cat >= 0 && p->i < p->n && p->s[p->i] != '|' && p->s[p->i] != ')') {
		int x = parse_repeat(p);
		if (x < 0)
			return -1;
		if (last < 0)
			p->nodes[cat].kid = x;
		else
			p->nodes[last].next = x;
		last = x;
	}
	return cat;
}

static int parse_alt(struct parser *p)
{
	int first = parse_concat(p);
	if (first < 0 || p->i >= p->n || p->s[p->i] != '|')
		return first;
	int alt = node_new(p, N_ALT), last = first;
	if (alt < 0)
		return -1;
	p->nodes[alt].kid = first;
	while (p->i < p->n && p->s[p->i] == '|') {
		p->i++;
		int x = parse_concat(p);
		if (x < 0)
			return -1;
		p->nodes[last].next = x;
		last = x;
	}
	return alt;
}

/* ---- The NFA: tree to program ------------------------------------------------ */

struct emitter {
	struct parser *p;
	struct nfa_inst *inst;
	uint32_t n, cap;
	bool full;
};

static uint32_t emit(struct emitter *e, enum nfa_op op, uint32_t x, uint32_t y)
{
	if (e->n >= NFA_MAX_INST) {
		e->full = true;
		return 0;
	}
	if (e->n == e->cap) {
		uint32_t cap = e->cap ? 2 * e->cap : 64;
		struct nfa_inst *ni = realloc(e->inst, cap * sizeof(*ni));
		if (!ni) {
			e->full = true;
			return 0;
		}
		e->inst = ni;
		e->cap = cap;
	}
	e->inst[e->n] = (struct nfa_inst){ .op = (uint8_t)op, .x = x, .y = y };
	return e->n++;
}

static void emit_node(struct emitter *e, int x, int depth)
{
	if (e->full)
		return;
	if (depth > 2 * NFA_MAX_DEPTH + 16) {
		e->full = true;
		return;
	}
	const struct node *nd = &e->p->nodes[x];
	switch (nd->kind) {
	case N_EMPTY:
		break;
	case N_ATOM:
		emit(e, OP_CHAR, nd->atom, 0);
		break;
	case N_ASSERT: {
		uint32_t at = emit(e, OP_ASSERT, 0, 0);
		if (!e->full)
			e->inst[at].as = nd->as;
		break;
	}
	case N_CAT:
		for (int k = nd->kid; k >= 0 && !e->full; k = e->p->nodes[k].next)
			emit_node(e, k, depth + 1);
		break;
	case N_ALT: {
		/* SPLIT to each branch in turn; every branch jumps to the end. */
		uint32_t jumps[1024], nj = 0;
		for (int k = nd->kid; k >= 0 && !e->full; k = e->p->nodes[k].next) {
			bool last = e->p->nodes[k].next < 0;
			uint32_t split = last ? 0 : emit(e, OP_SPLIT, 0, 0);
			if (!last && !e->full)
				e->inst[split].x = e->n;
			emit_node(e, k, depth + 1);
			if (!last) {
				if (nj == sizeof(jumps) / sizeof(jumps[0])) {
					e->full = true;
					return;
				}
				jumps[nj++] = emit(e, OP_JMP, 0, 0);
				if (!e->full)
					e->inst[split].y = e->n;
			}
		}
		for (uint32_t j = 0; j < nj && !e->full; j++)
			e->inst[jumps[j]].x = e->n;
		break;
	}
	case N_REP: {
		for (int k = 0; k < nd->min && !e->full; k++)
			emit_node(e, nd->kid, depth + 1);
		if (nd->max < 0) {
			/* L: SPLIT body, out; body; JMP L */
			uint32_t l = emit(e, OP_SPLIT, 0, 0);
			if (!e->full)
				e->inst[l].x = e->n;
			emit_node(e, nd->kid, depth + 1);
			emit(e, OP_JMP, l, 0);
			if (!e->full)
				e->inst[l].y = e->n;
		} else {
			/* (body (body ...)?)? as a chain of SPLITs to the end */
			uint32_t splits[1001], ns = 0;
			for (int k = nd->min; k < nd->max && !e->full; k++) {
				uint32_t sp = emit(e, OP_SPLIT, 0, 0);
				if (!e->full) {
					e->inst[sp].x = e->n;
					splits[ns++] = sp;
				}
				emit_node(e, nd->kid, depth + 1);
			}
			for (uint32_t k = 0; k < ns && !e->full; k++)
				e->inst[splits[k]].y = e->n;
		}
		break;
	}
	}
}

/* The NFA of pattern s[0..n), or NULL when it cannot run it. */
static struct nfa *nfa_build(const char *s, size_t n)
{
	struct nfa *prog = calloc(1, sizeof(*prog));
	if (!prog)
		return NULL;
	struct parser p = { .s = s, .n = n, .prog = prog };
	int root = parse_alt(&p);
	struct emitter e = { .p = &p };
	if (root >= 0 && !p.bad && p.i == n) {
		emit_node(&e, root, 0);
		emit(&e, OP_MATCH, 0, 0);
	}
	free(p.nodes);
	if (root < 0 || p.bad || p.i != n || e.full) {
		free(e.inst);
		nfa_free(prog);
		return NULL;
	}
	prog->inst = e.inst;
	prog->n = e.n;
	return prog;
}

/* The NFA of regex i, built on first use; NULL when it cannot be. */
static struct nfa *nfa_get(const struct mrt_table *t, uint32_t i)
{
	uintptr_t cur = atomic_load_explicit(&t->nfa[i], memory_order_acquire);
	if (cur > 1)
		return (struct nfa *)cur;
	if (cur == 1)
		return NULL;
	uint32_t ref = t->regx[i].pattern;
	struct nfa *prog = nfa_build(mrt_str(t, ref), mrt_strlen(t, ref));
	uintptr_t want = prog ? (uintptr_t)prog : 1, expected = 0;
	if (!atomic_compare_exchange_strong_explicit(&t->nfa[i], &expected, want,
			memory_order_acq_rel, memory_order_acquire)) {
		nfa_free(prog);
		return expected > 1 ? (struct nfa *)expected : NULL;
	}
	return prog;
}

/* ---- The NFA: running it ----------------------------------------------------- */

static bool work_reserve(struct nfa_work *w, uint32_t n)
{
	if (w->cap >= n)
		return true;
	work_free(w);
	for (int i = 0; i < 2; i++) {
		w->dense[i] = malloc(n * sizeof(uint32_t));
		w->sparse[i] = malloc(n * sizeof(uint32_t));
	}
	w->stack = malloc((2 * (size_t)n + 1) * sizeof(uint32_t));
	if (!w->dense[0] || !w->dense[1] || !w->sparse[0] || !w->sparse[1] || !w->stack) {
		work_free(w);
		return false;
	}
	w->cap = n;
	return true;
}

static inline bool set_has(const struct nfa_work *w, int k, uint32_t pc)
{
	uint32_t d = w->sparse[k][pc];
	return d < w->n[k] && w->dense[k][d] == pc;
}

static inline bool is_word(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z') || c == '_';
}

static bool assert_holds(enum nfa_assert as, const unsigned char *s, size_t n, size_t pos)
{
	switch (as) {
	case AS_BOT: return pos == 0;
	case AS_EOT: return pos == n;
	/* PCRE2's multi-line ^: not after a newline that ends the value */
	case AS_BOL: return pos == 0 || (s[pos - 1] == '\n' && pos < n);
	case AS_EOL: return pos == n || s[pos] == '\n';
	case AS_WORD:
	case AS_NOT_WORD: {
		bool b = (pos > 0 && is_word(s[pos - 1])) != (pos < n && is_word(s[pos]));
		return as == AS_WORD ? b : !b;
	}
	}
	return false;
}

/* Adds pc and everything reachable from it without a character, at pos,
 * to set k (a depth-first walk on the work stack). */
static void closure(const struct nfa *prog, struct nfa_work *w, int k, uint32_t pc,
		    const unsigned char *s, size_t n, size_t pos)
{
	uint32_t top = 0;
	w->stack[top++] = pc;
	while (top) {
		pc = w->stack[--top];
		if (set_has(w, k, pc))
			continue;
		w->sparse[k][pc] = w->n[k];
		w->dense[k][w->n[k]++] = pc;
		const struct nfa_inst *in = &prog->inst[pc];
		switch (in->op) {
		case OP_JMP:
			w->stack[top++] = in->x;
			break;
		case OP_SPLIT:
			w->stack[top++] = in->y;
			w->stack[top++] = in->x;
			break;
		case OP_ASSERT:
			if (assert_holds((enum nfa_assert)in->as, s, n, pos))
				w->stack[top++] = pc + 1;
			break;
		default:
			break;
		}
	}
}

/* Whether atom a matches the character of len bytes at s[pos]. */
static bool atom_matches(const struct nfa_atom *a, const unsigned char *s, size_t n,
			 size_t pos, size_t len, pcre2_match_data *md,
			 pcre2_match_context *mctx)
{
	unsigned char c = s[pos];
	if (c < 0x80)
		return a->ascii[c >> 3] & (1u << (c & 7));
	int rc = pcre2_match(a->re, s, n, pos, 0, md, mctx);
	return rc > 0 && pcre2_get_ovector_pointer(md)[1] == pos + len;
}

/* The length of the valid UTF-8 character at s[pos], or 0. */
static size_t utf8_char(const unsigned char *s, size_t n, size_t pos)
{
	unsigned char c = s[pos];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (pos + len > n)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[pos + k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[pos + k] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* Whole-value match of s[0..n) by the NFA: 1, 0, or -1 (no workspace). */
static int nfa_match(const struct nfa *prog, const unsigned char *s, size_t n,
		     struct thread_state *ts, pcre2_match_context *mctx)
{
	struct nfa_work *w = &ts->work;
	if (!work_reserve(w, prog->n))
		return -1;
	int cur = 0;
	w->n[0] = w->n[1] = 0;
	closure(prog, w, cur, 0, s, n, 0);
	size_t pos = 0;
	while (pos < n && w->n[cur]) {
		/* An invalid sequence is matched by nothing (PCRE2's
		 * MATCH_INVALID_UTF): every thread dies there. */
		size_t len = utf8_char(s, n, pos);
		if (len == 0)
			return 0;
		int nxt = !cur;
		w->n[nxt] = 0;
		for (uint32_t k = 0; k < w->n[cur]; k++) {
			const struct nfa_inst *in = &prog->inst[w->dense[cur][k]];
			if (in->op == OP_CHAR &&
			    atom_matches(&prog->atoms[in->x], s, n, pos, len, ts->md, mctx))
				closure(prog, w, nxt, w->dense[cur][k] + 1, s, n, pos + len);
		}
		cur = nxt;
		pos += len;
	}
	if (pos < n)
		return 0;
	for (uint32_t k = 0; k < w->n[cur]; k++)
		if (prog->inst[w->dense[cur][k]].op == OP_MATCH)
			return 1;
	return 0;
}

/* ---- Matching ------------------------------------------------------------------ */

int mrt_regex_match(const struct mrt_table *t, uint32_t i, const char *s, size_t n)
{
	pcre2_code *re = mrt_regex_get(t, i);
	if (!re)
		return 0;              /* a pattern that does not compile never matches */
	struct thread_state *ts = thread_state();
	if (!ts)
		return -1;
	int rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, ts->md, t->mctx);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_PARTIAL)
		return 0;
	if (rc != PCRE2_ERROR_MATCHLIMIT && rc != PCRE2_ERROR_DEPTHLIMIT &&
	    rc != PCRE2_ERROR_HEAPLIMIT && rc != PCRE2_ERROR_JIT_STACKLIMIT &&
	    rc != PCRE2_ERROR_NOMEMORY)
		return -1;
	/* Backtracking gave up: the linear-time engine decides. */
	const struct nfa *prog = nfa_get(t, i);
	if (!prog)
		return -1;
	return nfa_match(prog, (const unsigned char *)s, n, ts, t->mctx);
}

void mrt_regex_release(struct mrt_table *t)
{
	for (uint32_t i = 0; t->rx && i < t->n[MRT_SEC_REGX]; i++) {
		uintptr_t c = atomic_load(&t->rx[i]);
		if (c > 1)
			pcre2_code_free((pcre2_code *)c);
	}
	for (uint32_t i = 0; t->nfa && i < t->n[MRT_SEC_REGX]; i++) {
		uintptr_t c = atomic_load(&t->nfa[i]);
		if (c > 1)
			nfa_free((struct nfa *)c);
	}
	free(t->rx);
	free(t->nfa);
	pcre2_match_context_free(t->mctx);
	t->rx = t->nfa = NULL;
	t->mctx = NULL;
}

int mrt_regex_match_nfa(const mrt_table *t, size_t i, const char *s, size_t n)
{
	if (i >= t->n[MRT_SEC_REGX])
		return -1;
	const struct nfa *prog = nfa_get(t, (uint32_t)i);
	struct thread_state *ts = thread_state();
	if (!prog || !ts)
		return -1;
	return nfa_match(prog, (const unsigned char *)s, n, ts, t->mctx);
}
