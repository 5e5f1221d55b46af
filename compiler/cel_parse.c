/*
 * CEL parser (cel.h): a recursive-descent parser over CEL's grammar
 * (cel-spec doc/langdef.md), producing a tree the evaluator walks. Libc
 * only, so that schemagen can link it and reject at build time a rule
 * meshc could not evaluate: an unknown function, a macro used wrongly, a
 * syntax error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cel.h"

/* Tree nodes and strings come from a pool of blocks freed together. */
struct cel_pool {
	struct cel_pool *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

struct parser {
	const char *src, *p;
	struct cel_pool **pool;
	char *err;
	size_t errcap;
	bool failed;
	bool old_self;
	int depth;
};

#define MAX_DEPTH 200

static void *pool_alloc(struct parser *ps, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	struct cel_pool *b = *ps->pool;
	if (!b || b->cap - b->used < size) {
		size_t cap = size > 8192 ? size : 8192;
		b = malloc(sizeof(*b) + cap);
		if (!b) {
			fputs("meshc: out of memory\n", stderr);
			exit(2);
		}
		b->next = *ps->pool;
		b->used = 0;
		b->cap = cap;
		*ps->pool = b;
	}
	void *r = b->data + b->used;
	b->used += size;
	memset(r, 0, size);
	return r;
}

static void fail(struct parser *ps, const char *msg)
{
	if (ps->failed)
		return;
	ps->failed = true;
	snprintf(ps->err, ps->errcap, "at offset %zu: %s", (size_t)(ps->p - ps->src), msg);
}

static struct cel_expr *mk(struct parser *ps, enum cel_op op)
{
	struct cel_expr *e = pool_alloc(ps, sizeof(*e));
	e->op = op;
	return e;
}

/* ---- lexing ---- */

static void skip_space(struct parser *ps)
{
	for (;;) {
		while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
			ps->p++;
		if (ps->p[0] == '/' && ps->p[1] == '/') {
			while (*ps->p && *ps->p != '\n')
				ps->p++;
			continue;
		}
		return;
	}
}

/* Consumes token t (an operator or punctuation) if it is next. */
static bool accept(struct parser *ps, const char *t)
{
	skip_space(ps);
	size_t n = strlen(t);
	if (strncmp(ps->p, t, n) != 0)
		return false;
	/* "=" alone, "&" alone and "|" alone are not CEL tokens. */
	if ((n == 1 && (t[0] == '<' || t[0] == '>' || t[0] == '!')) && ps->p[1] == '=')
		return false;
	ps->p += n;
	return true;
}

static void expect(struct parser *ps, const char *t)
{
	if (!accept(ps, t)) {
		char msg[64];
		snprintf(msg, sizeof(msg), "expected \"%s\"", t);
		fail(ps, msg);
	}
}

static bool ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

/* An identifier at p (after spaces), or NULL; *len its length. */
static const char *peek_ident(struct parser *ps, size_t *len)
{
	skip_space(ps);
	if (!ident_start(*ps->p))
		return NULL;
	size_t n = 1;
	while (ident_char(ps->p[n]))
		n++;
	*len = n;
	return ps->p;
}

static bool is_word(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(s, w, n) == 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Appends code point cp as UTF-8. */
static size_t put_utf8(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string literal at p (its quote, or the r prefix, next). */
static struct cel_expr *string_lit(struct parser *ps, bool raw)
{
	char q = *ps->p;
	bool triple = ps->p[1] == q && ps->p[2] == q;
	ps->p += triple ? 3 : 1;
	const char *start = ps->p;
	/* Decoded text is never longer than the source. */
	size_t cap = strlen(start) + 1;
	char *out = pool_alloc(ps, cap);
	size_t o = 0;
	for (;;) {
		char c = *ps->p;
		if (!c || (!triple && (c == '\n' || c == '\r'))) {
			fail(ps, "unterminated string");
			return NULL;
		}
		if (c == q && (!triple || (ps->p[1] == q && ps->p[2] == q))) {
			ps->p += triple ? 3 : 1;
			break;
		}
		if (c != '\\' || raw) {
			out[o++] = c;
			ps->p++;
			continue;
		}
		char e = ps->p[1];
		ps->p += 2;
		switch (e) {
		case 'a': out[o++] = '\a'; break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'v': out[o++] = '\v'; break;
		case '\\': case '\'': case '"': case '`': case '?':
			out[o++] = e;
			break;
		case 'x': case 'X': case 'u': case 'U': {
			int nd = (e == 'x' || e == 'X') ? 2 : e == 'u' ? 4 : 8;
			unsigned long cp = 0;
			for (int i = 0; i < nd; i++) {
				int h = hexval(ps->p[i]);
				if (h < 0) {
					fail(ps, "bad escape in string");
					return NULL;
				}
				cp = cp * 16 + (unsigned long)h;
			}
			ps->p += nd;
			if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
				fail(ps, "bad code point in string");
				return NULL;
			}
			o += put_utf8(out + o, cp);
			break;
		}
		default:
			if (e >= '0' && e <= '3' && ps->p[0] >= '0' && ps->p[0] <= '7' &&
			    ps->p[1] >= '0' && ps->p[1] <= '7') {
				out[o++] = (char)((e - '0') * 64 + (ps->p[0] - '0') * 8 +
						  (ps->p[1] - '0'));
				ps->p += 2;
				break;
			}
			fail(ps, "bad escape in string");
			return NULL;
		}
	}
	out[o] = '\0';
	struct cel_expr *x = mk(ps, CE_STRING);
	x->str = out;
	x->len = o;
	return x;
}

static struct cel_expr *number_lit(struct parser *ps)
{
	const char *s = ps->p;
	char *end;
	bool is_double = false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		end = (char *)s + 2;
		while (hexval(*end) >= 0)
			end++;
	} else {
		end = (char *)s;
		while (*end >= '0' && *end <= '9')
			end++;
		if (*end == '.' && end[1] >= '0' && end[1] <= '9') {
			is_double = true;
			end++;
			while (*end >= '0' && *end <= '9')
				end++;
		}
		if (*end == 'e' || *end == 'E') {
			is_double = true;
			end++;
			if (*end == '+' || *end == '-')
				end++;
			while (*end >= '0' && *end <= '9')
				end++;
		}
	}
	struct cel_expr *x;
	errno = 0;
	if (is_double) {
		x = mk(ps, CE_DOUBLE);
		x->dval = strtod(s, NULL);
	} else if (*end == 'u' || *end == 'U') {
		x = mk(ps, CE_UINT);
		unsigned long long v = strtoull(s, NULL, 0);
		x->ival = (long long)v;
		end++;
	} else {
		x = mk(ps, CE_INT);
		unsigned long long v = strtoull(s, NULL, 0);
		/* -9223372036854775808 arrives here as its magnitude. */
		if (v > 9223372036854775808ull)
			errno = ERANGE;
		x->ival = (long long)v;
		x->dval = (double)v;
	}
	if (errno == ERANGE)
		fail(ps, "number out of range");
	ps->p = end;
	if (ident_char(*ps->p) || *ps->p == '.')
		fail(ps, "bad number");
	return x;
}

/* ---- functions ---- */

static const struct {
	const char *name;
	int fn;
	int min_args, max_args;      /* besides the target */
	int target;                  /* 0: global only, 1: member only, 2: either */
} functions[] = {
	{ "size", CEL_SIZE, 0, 1, 2 },
	{ "matches", CEL_MATCHES, 1, 1, 1 },
	{ "contains", CEL_CONTAINS, 1, 1, 1 },
	{ "startsWith", CEL_STARTS_WITH, 1, 1, 1 },
	{ "endsWith", CEL_ENDS_WITH, 1, 1, 1 },
	{ "split", CEL_SPLIT, 1, 2, 1 },
	{ "substring", CEL_SUBSTRING, 1, 2, 1 },
	{ "lowerAscii", CEL_LOWER, 0, 0, 1 },
	{ "upperAscii", CEL_UPPER, 0, 0, 1 },
	{ "trim", CEL_TRIM, 0, 0, 1 },
	{ "isIP", CEL_IS_IP, 1, 1, 0 },
	{ "duration", CEL_DURATION, 1, 1, 0 },
	{ "int", CEL_TO_INT, 1, 1, 0 },
	{ "uint", CEL_TO_UINT, 1, 1, 0 },
	{ "double", CEL_TO_DOUBLE, 1, 1, 0 },
	{ "string", CEL_TO_STRING, 1, 1, 0 },
};

static const struct {
	const char *name;
	int fn;
} macros[] = {
	{ "all", CEL_ALL }, { "exists", CEL_EXISTS }, { "exists_one", CEL_EXISTS_ONE },
	{ "filter", CEL_FILTER }, { "map", CEL_MAP_MACRO },
};

static struct cel_expr *expr(struct parser *ps);

/* Arguments after "(" up to ")", into e->args. */
static void call_args(struct parser *ps, struct cel_expr *e, const char *close)
{
	const struct cel_expr *buf[64];
	size_t n = 0;
	if (!accept(ps, close)) {
		do {
			if (accept(ps, close))   /* a trailing comma */
				goto done;
			if (n == 64) {
				fail(ps, "too many arguments");
				return;
			}
			buf[n++] = expr(ps);
			if (ps->failed)
				return;
		} while (accept(ps, ","));
		expect(ps, close);
	}
done:
	e->nargs = n;
	if (n) {
		e->args = pool_alloc(ps, n * sizeof(*e->args));
		memcpy(e->args, buf, n * sizeof(*e->args));
	}
}

/* name(args) on target (NULL: a global call); the "(" is consumed. */
static struct cel_expr *call(struct parser *ps, const char *name, size_t nlen,
			     struct cel_expr *target)
{
	if (target) {
		for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++) {
			if (!is_word(name, nlen, macros[i].name))
				continue;
			struct cel_expr *m = mk(ps, CE_MACRO);
			m->fn = macros[i].fn;
			m->a = target;
			size_t vl;
			const char *v = peek_ident(ps, &vl);
			if (!v) {
				fail(ps, "a macro's first argument must be a variable name");
				return m;
			}
			ps->p += vl;
			m->str = v;
			m->len = vl;
			expect(ps, ",");
			m->b = expr(ps);
			if (m->fn == CEL_MAP_MACRO && accept(ps, ",")) {
				/* map(x, filter, transform) */
				m->c = m->b;
				m->b = expr(ps);
			}
			expect(ps, ")");
			return m;
		}
	} else if (is_word(name, nlen, "has")) {
		struct cel_expr *h = mk(ps, CE_HAS);
		struct cel_expr *sel = expr(ps);
		expect(ps, ")");
		if (!ps->failed && sel->op != CE_SELECT)
			fail(ps, "has() needs a field selection");
		h->a = sel;
		return h;
	}
	struct cel_expr *e = mk(ps, CE_CALL);
	e->a = target;
	call_args(ps, e, ")");
	if (ps->failed)
		return e;
	for (size_t i = 0; i < sizeof(functions) / sizeof(functions[0]); i++) {
		if (!is_word(name, nlen, functions[i].name))
			continue;
		if ((target && functions[i].target == 0) ||
		    (!target && functions[i].target == 1))
			continue;
		int n = (int)e->nargs;
		if (n < functions[i].min_args || n > functions[i].max_args ||
		    (!target && n == 0)) {
			fail(ps, "wrong number of arguments");
			return e;
		}
		e->fn = functions[i].fn;
		e->str = name;
		e->len = nlen;
		return e;
	}
	char msg[96];
	snprintf(msg, sizeof(msg), "unknown function \"%.*s\"%s", (int)(nlen < 40 ? nlen : 40),
		 name, target ? " (as a method)" : "");
	fail(ps, msg);
	return e;
}

/* ---- grammar ---- */

static struct cel_expr *primary(struct parser *ps)
{
	skip_space(ps);
	char c = *ps->p;
	if (c == '(') {
		ps->p++;
		struct cel_expr *e = expr(ps);
		expect(ps, ")");
		return e;
	}
	if (c == '[') {
		ps->p++;
		struct cel_expr *e = mk(ps, CE_LIST);
		call_args(ps, e, "]");
		return e;
	}
	if (c == '{') {
		ps->p++;
		struct cel_expr *e = mk(ps, CE_MAP);
		const struct cel_expr *buf[128];
		size_t n = 0;
		if (!accept(ps, "}")) {
			do {
				if (accept(ps, "}"))
					goto done;
				if (n + 2 > 128) {
					fail(ps, "map literal too large");
					return e;
				}
				buf[n++] = expr(ps);
				expect(ps, ":");
				buf[n++] = expr(ps);
				if (ps->failed)
					return e;
			} while (accept(ps, ","));
			expect(ps, "}");
		}
done:
		e->nargs = n;
		if (n) {
			e->args = pool_alloc(ps, n * sizeof(*e->args));
			memcpy(e->args, buf, n * sizeof(*e->args));
		}
		return e;
	}
	if (c == '"' || c == '\'')
		return string_lit(ps, false);
	if ((c == 'r' || c == 'R') && (ps->p[1] == '"' || ps->p[1] == '\'')) {
		ps->p++;
		return string_lit(ps, true);
	}
	if ((c == 'b' || c == 'B') && (ps->p[1] == '"' || ps->p[1] == '\'')) {
		fail(ps, "bytes literals are not supported");
		return mk(ps, CE_NULL);
	}
	if (c >= '0' && c <= '9')
		return number_lit(ps);
	if (c == '.' && ident_start(ps->p[1]))
		ps->p++;   /* a leading dot: the root namespace */
	size_t n;
	const char *id = peek_ident(ps, &n);
	if (!id) {
		fail(ps, c ? "unexpected character" : "unexpected end of expression");
		return mk(ps, CE_NULL);
	}
	ps->p += n;
	if (is_word(id, n, "true") || is_word(id, n, "false")) {
		struct cel_expr *e = mk(ps, CE_BOOL);
		e->ival = id[0] == 't';
		return e;
	}
	if (is_word(id, n, "null"))
		return mk(ps, CE_NULL);
	if (accept(ps, "("))
		return call(ps, id, n, NULL);
	struct cel_expr *e = mk(ps, CE_IDENT);
	e->str = id;
	e->len = n;
	if (is_word(id, n, "oldSelf"))
		ps->old_self = true;
	return e;
}

static struct cel_expr *member(struct parser *ps)
{
	struct cel_expr *e = primary(ps);
	while (!ps->failed) {
		if (accept(ps, ".")) {
			size_t n;
			const char *id = peek_ident(ps, &n);
			if (!id) {
				fail(ps, "expected a field name after \".\"");
				break;
			}
			ps->p += n;
			if (accept(ps, "(")) {
				e = call(ps, id, n, e);
				continue;
			}
			struct cel_expr *s = mk(ps, CE_SELECT);
			s->a = e;
			s->str = id;
			s->len = n;
			e = s;
		} else if (accept(ps, "[")) {
			struct cel_expr *ix = mk(ps, CE_INDEX);
			ix->a = e;
			ix->b = expr(ps);
			expect(ps, "]");
			e = ix;
		} else {
			break;
		}
	}
	return e;
}

static struct cel_expr *unary(struct parser *ps)
{
	if (accept(ps, "!")) {
		struct cel_expr *e = mk(ps, CE_NOT);
		e->a = unary(ps);
		return e;
	}
	skip_space(ps);
	if (*ps->p == '-' ) {
		ps->p++;
		skip_space(ps);
		if (*ps->p >= '0' && *ps->p <= '9') {
			struct cel_expr *e = number_lit(ps);
			if (e->op == CE_UINT)
				fail(ps, "a negative unsigned number");
			e->ival = -e->ival;
			e->dval = -e->dval;
			return e;
		}
		struct cel_expr *e = mk(ps, CE_NEG);
		e->a = unary(ps);
		return e;
	}
	return member(ps);
}

static struct cel_expr *binary(struct parser *ps, struct cel_expr *l, int fn,
			       struct cel_expr *r)
{
	struct cel_expr *e = mk(ps, CE_BINARY);
	e->fn = fn;
	e->a = l;
	e->b = r;
	return e;
}

static struct cel_expr *multiplication(struct parser *ps)
{
	struct cel_expr *e = unary(ps);
	while (!ps->failed) {
		if (accept(ps, "*"))
			e = binary(ps, e, CEL_MUL, unary(ps));
		else if (accept(ps, "/"))
			e = binary(ps, e, CEL_DIV, unary(ps));
		else if (accept(ps, "%"))
			e = binary(ps, e, CEL_MOD, unary(ps));
		else
			break;
	}
	return e;
}

static struct cel_expr *addition(struct parser *ps)
{
	struct cel_expr *e = multiplication(ps);
	while (!ps->failed) {
		if (accept(ps, "+"))
			e = binary(ps, e, CEL_ADD, multiplication(ps));
		else if (accept(ps, "-"))
			e = binary(ps, e, CEL_SUB, multiplication(ps));
		else
			break;
	}
	return e;
}

static struct cel_expr *relation(struct parser *ps)
{
	struct cel_expr *e = addition(ps);
	while (!ps->failed) {
		size_t n;
		const char *id;
		if (accept(ps, "=="))
			e = binary(ps, e, CEL_EQ, addition(ps));
		else if (accept(ps, "!="))
			e = binary(ps, e, CEL_NE, addition(ps));
		else if (accept(ps, "<="))
			e = binary(ps, e, CEL_LE, addition(ps));
		else if (accept(ps, ">="))
			e = binary(ps, e, CEL_GE, addition(ps));
		else if (accept(ps, "<"))
			e = binary(ps, e, CEL_LT, addition(ps));
		else if (accept(ps, ">"))
			e = binary(ps, e, CEL_GT, addition(ps));
		else if ((id = peek_ident(ps, &n)) && is_word(id, n, "in")) {
			ps->p += n;
			e = binary(ps, e, CEL_IN, addition(ps));
		} else
			break;
	}
	return e;
}

static struct cel_expr *conditional_and(struct parser *ps)
{
	struct cel_expr *e = relation(ps);
	while (!ps->failed && accept(ps, "&&")) {
		struct cel_expr *a = mk(ps, CE_AND);
		a->a = e;
		a->b = relation(ps);
		e = a;
	}
	return e;
}

static struct cel_expr *conditional_or(struct parser *ps)
{
	struct cel_expr *e = conditional_and(ps);
	while (!ps->failed && accept(ps, "||")) {
		struct cel_expr *o = mk(ps, CE_OR);
		o->a = e;
		o->b = conditional_and(ps);
		e = o;
	}
	return e;
}

static struct cel_expr *expr(struct parser *ps)
{
	if (++ps->depth > MAX_DEPTH) {
		fail(ps, "expression nested too deeply");
		ps->depth--;
		return mk(ps, CE_NULL);
	}
	struct cel_expr *e = conditional_or(ps);
	if (!ps->failed && accept(ps, "?")) {
		struct cel_expr *c = mk(ps, CE_COND);
		c->a = e;
		c->b = conditional_or(ps);
		expect(ps, ":");
		c->c = expr(ps);
		e = c;
	}
	ps->depth--;
	return e;
}

bool cel_parse(const char *src, struct cel_program *prog, char *err, size_t errcap)
{
	memset(prog, 0, sizeof(*prog));
	struct parser ps = { src, src, &prog->pool, err, errcap, false, false, 0 };
	const struct cel_expr *root = expr(&ps);
	skip_space(&ps);
	if (!ps.failed && *ps.p)
		fail(&ps, "unexpected text after the expression");
	if (ps.failed) {
		cel_program_free(prog);
		return false;
	}
	prog->root = root;
	prog->uses_old_self = ps.old_self;
	return true;
}

void cel_program_free(struct cel_program *prog)
{
	struct cel_pool *b = prog->pool;
	while (b) {
		struct cel_pool *n = b->next;
		free(b);
		b = n;
	}
	prog->pool = NULL;
	prog->root = NULL;
}

const char *cel_check_syntax(const char *src)
{
	static char err[160];
	struct cel_program prog;
	if (!cel_parse(src, &prog, err, sizeof(err)))
		return err;
	cel_program_free(&prog);
	return NULL;
}
