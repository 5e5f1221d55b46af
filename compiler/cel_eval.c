/*
 * CEL evaluator (cel.h): walks a rule's tree with `self` bound to a node
 * of the resource being checked, as the API server evaluates
 * x-kubernetes-validations: absent fields read as their schema default
 * (defaulting runs before validation), && and || absorb an error when the
 * other side decides, and a rule that errs rejects the object. Semantics
 * follow cel-spec (doc/langdef.md) and the Kubernetes CEL libraries
 * (k8s.io/apiserver/pkg/cel/library: isIP; strings: split, lowerAscii...).
 *
 * Values reference the YAML tree where they come from it; lists built by
 * the evaluator (literals, filter, split) live in a per-thread scratch
 * arena released after each rule. A budget bounds the work of one rule,
 * as the API server's cost limit does.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "arena.h"
#include "cel.h"
#include "node.h"
#include "prim.h"
#include "schema.h"

enum vtype {
	VT_ERROR, VT_NULL, VT_BOOL, VT_INT, VT_UINT, VT_DOUBLE, VT_STRING,
	VT_DURATION, VT_LIST, VT_MAP,
};

struct val {
	enum vtype t;
	long long i;                 /* bool, int, uint, duration (ns) */
	double d;
	const char *s;               /* string (NUL-terminated), error message */
	size_t n;                    /* string bytes */
	const struct node *node;     /* a list or map from the tree, or NULL */
	const struct schema_node *sch;   /* its schema, or NULL */
	const struct val *items;     /* literal list; literal map: key, value, ... */
	size_t count;                /* literal items (map: pairs) */
};

struct scope {
	const char *name;
	size_t len;
	struct val v;
	const struct scope *up;
};

struct ev {
	struct arena *a;
	long budget;
	const struct scope *vars;
};

#define BUDGET 2000000

/* ---- tables: parsed rules and defaults, once ---- */

static struct cel_program *programs;     /* by schema_cels index */
static struct cel_program *defaults;     /* by schema_nodes index */
static size_t nrules;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_tables(void)
{
	char err[200];
	programs = calloc(schema_ncels ? schema_ncels : 1, sizeof(*programs));
	defaults = calloc(schema_nnodes ? schema_nnodes : 1, sizeof(*defaults));
	if (!programs || !defaults) {
		fputs("meshc: out of memory\n", stderr);
		exit(2);
	}
	for (size_t i = 0; i < schema_ncels; i++) {
		if (schema_cels[i].id != CEL_EXPR)
			continue;
		if (!cel_parse(schema_cels[i].expr, &programs[i], err, sizeof(err))) {
			fprintf(stderr, "meshc: internal error: CEL rule does not parse (%s): %s\n",
				err, schema_cels[i].expr);
			exit(2);
		}
		nrules++;
	}
	for (size_t i = 0; i < schema_nnodes; i++) {
		const char *dj = schema_nodes[i].default_json;
		if (dj && !cel_parse(dj, &defaults[i], err, sizeof(err))) {
			fprintf(stderr, "meshc: internal error: schema default does not parse (%s): %s\n",
				err, dj);
			exit(2);
		}
	}
}

size_t cel_init(void)
{
	pthread_once(&init_once, init_tables);
	return nrules;
}

/* ---- regexes: compiled once per pattern text, shared by threads ---- */

struct re_entry {
	struct re_entry *next;
	char *text;
	pcre2_code *code;            /* NULL: the pattern does not compile */
};

static struct re_entry *re_cache;
static pthread_mutex_t re_lock = PTHREAD_MUTEX_INITIALIZER;

static const pcre2_code *regex(const char *text)
{
	pthread_mutex_lock(&re_lock);
	struct re_entry *e;
	for (e = re_cache; e; e = e->next)
		if (strcmp(e->text, text) == 0)
			break;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e || !(e->text = strdup(text))) {
			fputs("meshc: out of memory\n", stderr);
			exit(2);
		}
		int code;
		PCRE2_SIZE off;
		e->code = pcre2_compile((PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED,
					PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C, &code, &off, NULL);
		e->next = re_cache;
		re_cache = e;
	}
	pthread_mutex_unlock(&re_lock);
	return e->code;
}

/* 1: s contains a match of re (Go's MatchString), 0: not, -1: bad regex. */
int cel_regex_search(const char *re, const char *s, size_t n)
{
	const pcre2_code *code = regex(re);
	if (!code)
		return -1;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
	if (!md) {
		fputs("meshc: out of memory\n", stderr);
		exit(2);
	}
	int rc = pcre2_match(code, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

/* ---- values ---- */

static struct val err_val(struct ev *ev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static struct val err_val(struct ev *ev, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct val v = { .t = VT_ERROR };
	v.s = arena_vprintf(ev->a, fmt, ap);
	va_end(ap);
	return v;
}

static struct val bool_val(bool b)
{
	return (struct val){ .t = VT_BOOL, .i = b };
}

static struct val int_val(long long i)
{
	return (struct val){ .t = VT_INT, .i = i };
}

static struct val str_val(const char *s, size_t n)
{
	return (struct val){ .t = VT_STRING, .s = s, .n = n };
}

static const char *type_name(enum vtype t)
{
	static const char *const names[] = {
		"error", "null_type", "bool", "int", "uint", "double", "string",
		"google.protobuf.Duration", "list", "map",
	};
	return names[t];
}

static const struct schema_node *child_schema(const struct schema_node *s,
					      const char *name, size_t len)
{
	if (!s)
		return NULL;
	if (s->nprops) {
		const struct schema_prop *p = schema_find_prop(s, name, len);
		if (p)
			return &schema_nodes[p->node];
	}
	return s->child ? &schema_nodes[s->child] : NULL;
}

static struct val eval(struct ev *ev, const struct cel_expr *e);

static struct val from_node(struct ev *ev, const struct node *n,
			    const struct schema_node *s)
{
	switch (n->type) {
	case NODE_MAP:
		return (struct val){ .t = VT_MAP, .node = n, .sch = s };
	case NODE_SEQ:
		return (struct val){ .t = VT_LIST, .node = n, .sch = s };
	case NODE_STR:
		return str_val(n->text, n->len);
	case NODE_INT:
		if (n->int_overflow)
			return err_val(ev, "integer out of range");
		return int_val(node_ival(n));
	case NODE_FLOAT:
		return (struct val){ .t = VT_DOUBLE, .d = node_dval(n) };
	case NODE_BOOL:
		return bool_val(n->bval);
	default:
		return (struct val){ .t = VT_NULL };
	}
}

/* The default of schema s as a value, or an error value when it has none. */
static struct val default_of(struct ev *ev, const struct schema_node *s)
{
	if (!s || !s->default_json)
		return (struct val){ .t = VT_ERROR };
	const struct cel_program *p = &defaults[s - schema_nodes];
	const struct scope *saved = ev->vars;
	ev->vars = NULL;
	struct val v = eval(ev, p->root);
	ev->vars = saved;
	return v;
}

static size_t count_of(const struct val *v)
{
	return v->node ? v->node->n : v->count;
}

static struct val list_item(struct ev *ev, const struct val *l, size_t i)
{
	if (l->node)
		return from_node(ev, l->node->items[i],
				 l->sch && l->sch->child ? &schema_nodes[l->sch->child] : NULL);
	return l->items[i];
}

/* Map key i (maps iterate their keys). */
static struct val map_key(struct ev *ev, const struct val *m, size_t i)
{
	if (m->node)
		return from_node(ev, m->node->pairs[i].key, NULL);
	return m->items[2 * i];
}

static bool equal(struct ev *ev, const struct val *a, const struct val *b);

/*
 * Field `name` of map m: *found false when absent (after defaults).
 * A null the API server would prune reads as absent.
 */
static struct val field(struct ev *ev, const struct val *m, const char *name,
			size_t len, bool *found)
{
	*found = false;
	if (m->t != VT_MAP)
		return err_val(ev, "no such key: %.*s (on a %s)", (int)len, name, type_name(m->t));
	if (m->node) {
		const struct schema_node *cs = child_schema(m->sch, name, len);
		char key[256];
		const struct node_pair *p = NULL;
		if (len < sizeof(key)) {
			memcpy(key, name, len);
			key[len] = '\0';
			p = node_get_pairn(m->node, key, len);
		}
		if (p && (p->value->type != NODE_NULL || (cs && (cs->flags & SCHEMA_NULLABLE)))) {
			*found = true;
			return from_node(ev, p->value, cs);
		}
		struct val d = default_of(ev, cs);
		if (d.t != VT_ERROR || d.s) {
			*found = true;
			return d;
		}
		return err_val(ev, "no such key: %.*s", (int)len, name);
	}
	struct val k = str_val(name, len);
	for (size_t i = 0; i < m->count; i++)
		if (equal(ev, &m->items[2 * i], &k)) {
			*found = true;
			return m->items[2 * i + 1];
		}
	return err_val(ev, "no such key: %.*s", (int)len, name);
}

static bool is_num(enum vtype t)
{
	return t == VT_INT || t == VT_UINT || t == VT_DOUBLE;
}

static double num(const struct val *v)
{
	return v->t == VT_DOUBLE ? v->d : v->t == VT_UINT ?
	       (double)(unsigned long long)v->i : (double)v->i;
}

/* -1, 0, 1 for numbers of any kind (exact for int and uint). */
static int num_cmp(const struct val *a, const struct val *b)
{
	if (a->t == VT_DOUBLE || b->t == VT_DOUBLE) {
		double x = num(a), y = num(b);
		return x < y ? -1 : x > y;
	}
	if (a->t == b->t) {
		if (a->t == VT_UINT) {
			unsigned long long x = (unsigned long long)a->i, y = (unsigned long long)b->i;
			return x < y ? -1 : x > y;
		}
		return a->i < b->i ? -1 : a->i > b->i;
	}
	/* int against uint */
	const struct val *s = a->t == VT_INT ? a : b;
	int sign = a->t == VT_INT ? 1 : -1;
	if (s->i < 0)
		return -sign;
	unsigned long long x = (unsigned long long)a->i, y = (unsigned long long)b->i;
	return x < y ? -1 : x > y;
}

static bool equal(struct ev *ev, const struct val *a, const struct val *b)
{
	if (is_num(a->t) && is_num(b->t))
		return num_cmp(a, b) == 0;
	if (a->t != b->t)
		return false;
	switch (a->t) {
	case VT_NULL:
		return true;
	case VT_BOOL:
	case VT_DURATION:
		return a->i == b->i;
	case VT_STRING:
		return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
	case VT_LIST: {
		size_t n = count_of(a);
		if (n != count_of(b))
			return false;
		for (size_t i = 0; i < n; i++) {
			struct val x = list_item(ev, a, i), y = list_item(ev, b, i);
			if (!equal(ev, &x, &y))
				return false;
		}
		return true;
	}
	case VT_MAP: {
		size_t n = count_of(a);
		if (n != count_of(b))
			return false;
		for (size_t i = 0; i < n; i++) {
			struct val k = map_key(ev, a, i);
			if (k.t != VT_STRING)
				return false;
			bool fa, fb;
			struct val x = field(ev, a, k.s, k.n, &fa);
			struct val y = field(ev, b, k.s, k.n, &fb);
			if (!fa || !fb || !equal(ev, &x, &y))
				return false;
		}
		return true;
	}
	default:
		return false;
	}
}

/* Byte offset of code point index cp in s, or n + 1 when beyond the end. */
static size_t utf8_offset(const char *s, size_t n, long long cp)
{
	size_t i = 0;
	for (long long k = 0; k < cp; k++) {
		if (i >= n)
			return n + 1;
		i++;
		while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
	}
	return i;
}

/* isIP (k8s.io/apiserver/pkg/cel/library/ip.go): netip.ParseAddr, no zone. */
static bool is_ip(const char *s, size_t n)
{
	char buf[64];
	if (n == 0 || n >= sizeof(buf) || memchr(s, '%', n))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return prim_is_ip(buf);
}

/* ---- macros and calls ---- */

static struct val macro(struct ev *ev, const struct cel_expr *e)
{
	struct val target = eval(ev, e->a);
	if (target.t == VT_ERROR)
		return target;
	if (target.t != VT_LIST && target.t != VT_MAP)
		return err_val(ev, "no matching overload for %.*s on %s", (int)e->len,
			       e->str, type_name(target.t));
	size_t n = count_of(&target);
	struct scope sc = { e->str, e->len, { .t = VT_NULL }, ev->vars };
	const struct scope *saved = ev->vars;
	ev->vars = &sc;
	struct val result = { .t = VT_NULL }, first_err = { .t = VT_NULL };
	size_t hits = 0;
	struct val *out = NULL;
	size_t nout = 0;
	if (e->fn == CEL_FILTER || e->fn == CEL_MAP_MACRO)
		out = arena_alloc(ev->a, (n ? n : 1) * sizeof(*out));
	bool decided = false;
	for (size_t i = 0; i < n && !decided; i++) {
		sc.v = target.t == VT_LIST ? list_item(ev, &target, i) : map_key(ev, &target, i);
		if (e->fn == CEL_MAP_MACRO && e->c) {
			struct val keep = eval(ev, e->c);
			if (keep.t == VT_ERROR) {
				result = keep;
				decided = true;
				break;
			}
			if (keep.t != VT_BOOL || !keep.i)
				continue;
		}
		struct val b = eval(ev, e->b);
		if (e->fn == CEL_MAP_MACRO) {
			if (b.t == VT_ERROR) {
				result = b;
				decided = true;
				break;
			}
			out[nout++] = b;
			continue;
		}
		if (b.t == VT_ERROR || b.t != VT_BOOL) {
			struct val bad = b.t == VT_ERROR ? b :
				err_val(ev, "%.*s predicate is a %s, not a bool", (int)e->len,
					e->str, type_name(b.t));
			if (e->fn == CEL_FILTER || e->fn == CEL_EXISTS_ONE) {
				result = bad;
				decided = true;
			} else if (first_err.t != VT_ERROR) {
				first_err = bad;
			}
			continue;
		}
		switch (e->fn) {
		case CEL_ALL:
			if (!b.i) {
				result = bool_val(false);
				decided = true;
			}
			break;
		case CEL_EXISTS:
			if (b.i) {
				result = bool_val(true);
				decided = true;
			}
			break;
		case CEL_EXISTS_ONE:
			hits += b.i != 0;
			break;
		case CEL_FILTER:
			if (b.i)
				out[nout++] = sc.v;
			break;
		}
	}
	ev->vars = saved;
	if (decided)
		return result;
	switch (e->fn) {
	case CEL_ALL:
		return first_err.t == VT_ERROR ? first_err : bool_val(true);
	case CEL_EXISTS:
		return first_err.t == VT_ERROR ? first_err : bool_val(false);
	case CEL_EXISTS_ONE:
		return bool_val(hits == 1);
	default:
		return (struct val){ .t = VT_LIST, .items = out, .count = nout };
	}
}

static struct val call(struct ev *ev, const struct cel_expr *e)
{
	struct val args[3] = { { .t = VT_NULL }, { .t = VT_NULL }, { .t = VT_NULL } };
	size_t na = 0;
	if (e->a)
		args[na++] = eval(ev, e->a);
	for (size_t i = 0; i < e->nargs && na < 3; i++)
		args[na++] = eval(ev, e->args[i]);
	for (size_t i = 0; i < na; i++)
		if (args[i].t == VT_ERROR)
			return args[i];
	struct val *x = &args[0];
	bool str1 = x->t == VT_STRING, str2 = na > 1 && args[1].t == VT_STRING;
	switch (e->fn) {
	case CEL_SIZE:
		if (x->t == VT_STRING)
			return int_val((long long)prim_utf8_count(x->s, x->n));
		if (x->t == VT_LIST || x->t == VT_MAP)
			return int_val((long long)count_of(x));
		break;
	case CEL_MATCHES:
		if (str1 && str2) {
			int r = cel_regex_search(args[1].s, x->s, x->n);
			if (r < 0)
				return err_val(ev, "invalid regular expression: %s", args[1].s);
			return bool_val(r);
		}
		break;
	case CEL_CONTAINS:
		if (str1 && str2)
			return bool_val(args[1].n == 0 ||
					memmem(x->s, x->n, args[1].s, args[1].n) != NULL);
		break;
	case CEL_STARTS_WITH:
		if (str1 && str2)
			return bool_val(x->n >= args[1].n && memcmp(x->s, args[1].s, args[1].n) == 0);
		break;
	case CEL_ENDS_WITH:
		if (str1 && str2)
			return bool_val(x->n >= args[1].n &&
					memcmp(x->s + x->n - args[1].n, args[1].s, args[1].n) == 0);
		break;
	case CEL_SPLIT: {
		/* strings.SplitN: limit < 0 all, 0 none, n at most n parts. */
		if (!str1 || !str2 || (na == 3 && args[2].t != VT_INT))
			break;
		long long limit = na == 3 ? args[2].i : -1;
		const char *sep = args[1].s;
		size_t sl = args[1].n;
		struct val *out = arena_alloc(ev->a, (x->n + 2) * sizeof(*out));
		size_t no = 0, start = 0;
		while (limit != 0) {
			if (limit > 0 && (long long)no == limit - 1)
				break;
			size_t at;
			if (sl == 0) {
				if (start >= x->n)
					break;
				at = start + 1;
				while (at < x->n && ((unsigned char)x->s[at] & 0xc0) == 0x80)
					at++;
				if (at >= x->n)
					break;
				out[no++] = str_val(arena_strndup(ev->a, x->s + start, at - start),
						    at - start);
				start = at;
				continue;
			}
			const char *f = memmem(x->s + start, x->n - start, sep, sl);
			if (!f)
				break;
			at = (size_t)(f - x->s);
			out[no++] = str_val(arena_strndup(ev->a, x->s + start, at - start), at - start);
			start = at + sl;
		}
		if (limit != 0 && (sl || start < x->n))
			out[no++] = str_val(arena_strndup(ev->a, x->s + start, x->n - start),
					    x->n - start);
		return (struct val){ .t = VT_LIST, .items = out, .count = no };
	}
	case CEL_SUBSTRING: {
		if (!str1 || args[1].t != VT_INT || (na == 3 && args[2].t != VT_INT))
			break;
		long long from = args[1].i;
		long long to = na == 3 ? args[2].i : (long long)prim_utf8_count(x->s, x->n);
		if (from < 0 || to < from)
			return err_val(ev, "substring: index out of range: %lld", from < 0 ? from : to);
		size_t b = utf8_offset(x->s, x->n, from), end = utf8_offset(x->s, x->n, to);
		if (b > x->n || end > x->n)
			return err_val(ev, "substring: index out of range: %lld", b > x->n ? from : to);
		return str_val(arena_strndup(ev->a, x->s + b, end - b), end - b);
	}
	case CEL_LOWER:
	case CEL_UPPER:
		if (str1) {
			char *o = arena_strndup(ev->a, x->s, x->n);
			for (size_t i = 0; i < x->n; i++) {
				if (e->fn == CEL_LOWER && o[i] >= 'A' && o[i] <= 'Z')
					o[i] = (char)(o[i] - 'A' + 'a');
				if (e->fn == CEL_UPPER && o[i] >= 'a' && o[i] <= 'z')
					o[i] = (char)(o[i] - 'a' + 'A');
			}
			return str_val(o, x->n);
		}
		break;
	case CEL_TRIM:
		if (str1) {
			size_t b = 0, end = x->n;
			while (b < end && strchr(" \t\n\r\v\f", x->s[b]))
				b++;
			while (end > b && strchr(" \t\n\r\v\f", x->s[end - 1]))
				end--;
			return str_val(arena_strndup(ev->a, x->s + b, end - b), end - b);
		}
		break;
	case CEL_IS_IP:
		if (str1)
			return bool_val(is_ip(x->s, x->n));
		break;
	case CEL_DURATION:
		if (str1) {
			long long ns;
			if (!prim_parse_duration(x->s, &ns))
				return err_val(ev, "invalid duration: \"%s\"", x->s);
			return (struct val){ .t = VT_DURATION, .i = ns };
		}
		if (x->t == VT_DURATION)
			return *x;
		break;
	case CEL_TO_INT:
		if (x->t == VT_INT || x->t == VT_DURATION)
			return int_val(x->i);
		if (x->t == VT_UINT) {
			if (x->i < 0)
				return err_val(ev, "int: range error");
			return int_val(x->i);
		}
		if (x->t == VT_DOUBLE) {
			if (!(x->d > -9.2233720368547758e18 && x->d < 9.2233720368547758e18))
				return err_val(ev, "int: range error");
			return int_val((long long)x->d);
		}
		if (str1) {
			char *end;
			long long v = strtoll(x->s, &end, 10);
			if (!x->n || *end)
				return err_val(ev, "int: cannot parse \"%s\"", x->s);
			return int_val(v);
		}
		break;
	case CEL_TO_UINT:
		if ((x->t == VT_INT && x->i >= 0) || x->t == VT_UINT)
			return (struct val){ .t = VT_UINT, .i = x->i };
		if (str1 && x->n && x->s[0] != '-') {
			char *end;
			unsigned long long v = strtoull(x->s, &end, 10);
			if (!*end)
				return (struct val){ .t = VT_UINT, .i = (long long)v };
		}
		return err_val(ev, "uint: range error");
	case CEL_TO_DOUBLE:
		if (is_num(x->t))
			return (struct val){ .t = VT_DOUBLE, .d = num(x) };
		if (str1) {
			char *end;
			double v = strtod(x->s, &end);
			if (!x->n || *end)
				return err_val(ev, "double: cannot parse \"%s\"", x->s);
			return (struct val){ .t = VT_DOUBLE, .d = v };
		}
		break;
	case CEL_TO_STRING: {
		char *o;
		switch (x->t) {
		case VT_STRING:
			return *x;
		case VT_INT:
			o = arena_printf(ev->a, "%lld", x->i);
			break;
		case VT_UINT:
			o = arena_printf(ev->a, "%llu", (unsigned long long)x->i);
			break;
		case VT_DOUBLE:
			o = arena_printf(ev->a, "%g", x->d);
			break;
		case VT_BOOL:
			o = arena_strdup(ev->a, x->i ? "true" : "false");
			break;
		default:
			o = NULL;
			break;
		}
		if (o)
			return str_val(o, strlen(o));
		break;
	}
	default:
		break;
	}
	return err_val(ev, "no matching overload for %.*s(%s%s%s)", (int)e->len, e->str,
		       type_name(args[0].t), na > 1 ? ", " : "", na > 1 ? type_name(args[1].t) : "");
}

static struct val binary(struct ev *ev, const struct cel_expr *e)
{
	struct val a = eval(ev, e->a);
	if (a.t == VT_ERROR)
		return a;
	struct val b = eval(ev, e->b);
	if (b.t == VT_ERROR)
		return b;
	switch (e->fn) {
	case CEL_EQ:
		return bool_val(equal(ev, &a, &b));
	case CEL_NE:
		return bool_val(!equal(ev, &a, &b));
	case CEL_IN:
		if (b.t == VT_LIST) {
			for (size_t i = 0; i < count_of(&b); i++) {
				struct val x = list_item(ev, &b, i);
				if (equal(ev, &a, &x))
					return bool_val(true);
			}
			return bool_val(false);
		}
		if (b.t == VT_MAP) {
			for (size_t i = 0; i < count_of(&b); i++) {
				struct val k = map_key(ev, &b, i);
				if (equal(ev, &a, &k))
					return bool_val(true);
			}
			return bool_val(false);
		}
		break;
	case CEL_LT: case CEL_LE: case CEL_GT: case CEL_GE: {
		int c;
		if (is_num(a.t) && is_num(b.t))
			c = num_cmp(&a, &b);
		else if (a.t == VT_STRING && b.t == VT_STRING) {
			size_t m = a.n < b.n ? a.n : b.n;
			c = memcmp(a.s, b.s, m);
			c = c ? (c > 0) - (c < 0) : (a.n > b.n) - (a.n < b.n);
		} else if ((a.t == VT_DURATION && b.t == VT_DURATION) ||
			   (a.t == VT_BOOL && b.t == VT_BOOL))
			c = (a.i > b.i) - (a.i < b.i);
		else
			break;
		return bool_val(e->fn == CEL_LT ? c < 0 : e->fn == CEL_LE ? c <= 0 :
				e->fn == CEL_GT ? c > 0 : c >= 0);
	}
	case CEL_ADD:
		if (a.t == VT_STRING && b.t == VT_STRING) {
			char *o = arena_alloc(ev->a, a.n + b.n + 1);
			memcpy(o, a.s, a.n);
			memcpy(o + a.n, b.s, b.n);
			return str_val(o, a.n + b.n);
		}
		if (a.t == VT_LIST && b.t == VT_LIST) {
			size_t na = count_of(&a), nb = count_of(&b);
			struct val *o = arena_alloc(ev->a, (na + nb + 1) * sizeof(*o));
			for (size_t i = 0; i < na; i++)
				o[i] = list_item(ev, &a, i);
			for (size_t i = 0; i < nb; i++)
				o[na + i] = list_item(ev, &b, i);
			return (struct val){ .t = VT_LIST, .items = o, .count = na + nb };
		}
		/* fall through */
	case CEL_SUB: case CEL_MUL: case CEL_DIV: case CEL_MOD:
		if (a.t == VT_DOUBLE && b.t == VT_DOUBLE && e->fn != CEL_MOD) {
			double r = e->fn == CEL_ADD ? a.d + b.d : e->fn == CEL_SUB ? a.d - b.d :
				   e->fn == CEL_MUL ? a.d * b.d : a.d / b.d;
			return (struct val){ .t = VT_DOUBLE, .d = r };
		}
		if ((a.t == VT_INT && b.t == VT_INT) || (a.t == VT_UINT && b.t == VT_UINT) ||
		    (a.t == VT_DURATION && b.t == VT_DURATION &&
		     (e->fn == CEL_ADD || e->fn == CEL_SUB))) {
			long long r;
			bool over = false;
			if (a.t == VT_UINT) {
				unsigned long long x = (unsigned long long)a.i, y = (unsigned long long)b.i, u = 0;
				if ((e->fn == CEL_DIV || e->fn == CEL_MOD) && y == 0)
					return err_val(ev, "division by zero");
				switch (e->fn) {
				case CEL_ADD: over = __builtin_add_overflow(x, y, &u); break;
				case CEL_SUB: over = __builtin_sub_overflow(x, y, &u); break;
				case CEL_MUL: over = __builtin_mul_overflow(x, y, &u); break;
				case CEL_DIV: u = x / y; break;
				default: u = x % y; break;
				}
				if (over)
					return err_val(ev, "unsigned integer overflow");
				return (struct val){ .t = VT_UINT, .i = (long long)u };
			}
			if ((e->fn == CEL_DIV || e->fn == CEL_MOD) && b.i == 0)
				return err_val(ev, "division by zero");
			switch (e->fn) {
			case CEL_ADD: over = __builtin_add_overflow(a.i, b.i, &r); break;
			case CEL_SUB: over = __builtin_sub_overflow(a.i, b.i, &r); break;
			case CEL_MUL: over = __builtin_mul_overflow(a.i, b.i, &r); break;
			case CEL_DIV:
				over = a.i == (-9223372036854775807LL - 1) && b.i == -1;
				r = over ? 0 : a.i / b.i;
				break;
			default:
				over = a.i == (-9223372036854775807LL - 1) && b.i == -1;
				r = over ? 0 : a.i % b.i;
				break;
			}
			if (over)
				return err_val(ev, "integer overflow");
			return (struct val){ .t = a.t, .i = r };
		}
		break;
	default:
		break;
	}
	static const char *const ops[] = {
		"==", "!=", "<", "<=", ">", ">=", "in", "+", "-", "*", "/", "%",
	};
	return err_val(ev, "no matching overload for %s %s %s", type_name(a.t),
		       ops[e->fn], type_name(b.t));
}

static struct val eval(struct ev *ev, const struct cel_expr *e)
{
	if (--ev->budget < 0)
		return err_val(ev, "rule too costly to evaluate");
	switch (e->op) {
	case CE_NULL:
		return (struct val){ .t = VT_NULL };
	case CE_BOOL:
		return bool_val(e->ival != 0);
	case CE_INT:
		return int_val(e->ival);
	case CE_UINT:
		return (struct val){ .t = VT_UINT, .i = e->ival };
	case CE_DOUBLE:
		return (struct val){ .t = VT_DOUBLE, .d = e->dval };
	case CE_STRING:
		return str_val(e->str, e->len);
	case CE_IDENT:
		for (const struct scope *s = ev->vars; s; s = s->up)
			if (s->len == e->len && memcmp(s->name, e->str, e->len) == 0)
				return s->v;
		return err_val(ev, "undeclared reference to '%.*s'", (int)e->len, e->str);
	case CE_SELECT: {
		struct val m = eval(ev, e->a);
		if (m.t == VT_ERROR)
			return m;
		bool found;
		/* CEL escapes a field named like a reserved word: __namespace__. */
		const char *name = e->str;
		size_t len = e->len;
		if (len > 4 && memcmp(name, "__", 2) == 0 && memcmp(name + len - 2, "__", 2) == 0) {
			name += 2;
			len -= 4;
		}
		return field(ev, &m, name, len, &found);
	}
	case CE_HAS: {
		struct val m = eval(ev, e->a->a);
		if (m.t == VT_ERROR)
			return m;
		if (m.t != VT_MAP)
			return err_val(ev, "invalid type for field selection: %s", type_name(m.t));
		const char *name = e->a->str;
		size_t len = e->a->len;
		if (len > 4 && memcmp(name, "__", 2) == 0 && memcmp(name + len - 2, "__", 2) == 0) {
			name += 2;
			len -= 4;
		}
		bool found;
		field(ev, &m, name, len, &found);
		return bool_val(found);
	}
	case CE_INDEX: {
		struct val c = eval(ev, e->a);
		if (c.t == VT_ERROR)
			return c;
		struct val k = eval(ev, e->b);
		if (k.t == VT_ERROR)
			return k;
		if (c.t == VT_LIST && (k.t == VT_INT || k.t == VT_UINT)) {
			if (k.i < 0 || (size_t)k.i >= count_of(&c))
				return err_val(ev, "index out of range: %lld", k.i);
			return list_item(ev, &c, (size_t)k.i);
		}
		if (c.t == VT_MAP && k.t == VT_STRING) {
			bool found;
			return field(ev, &c, k.s, k.n, &found);
		}
		return err_val(ev, "no matching overload for %s[%s]", type_name(c.t),
			       type_name(k.t));
	}
	case CE_CALL:
		return call(ev, e);
	case CE_MACRO:
		return macro(ev, e);
	case CE_LIST: {
		struct val *o = arena_alloc(ev->a, (e->nargs + 1) * sizeof(*o));
		for (size_t i = 0; i < e->nargs; i++) {
			o[i] = eval(ev, e->args[i]);
			if (o[i].t == VT_ERROR)
				return o[i];
		}
		return (struct val){ .t = VT_LIST, .items = o, .count = e->nargs };
	}
	case CE_MAP: {
		struct val *o = arena_alloc(ev->a, (e->nargs + 1) * sizeof(*o));
		for (size_t i = 0; i < e->nargs; i++) {
			o[i] = eval(ev, e->args[i]);
			if (o[i].t == VT_ERROR)
				return o[i];
		}
		return (struct val){ .t = VT_MAP, .items = o, .count = e->nargs / 2 };
	}
	case CE_NOT: {
		struct val v = eval(ev, e->a);
		if (v.t == VT_ERROR)
			return v;
		if (v.t != VT_BOOL)
			return err_val(ev, "no matching overload for !%s", type_name(v.t));
		return bool_val(!v.i);
	}
	case CE_NEG: {
		struct val v = eval(ev, e->a);
		if (v.t == VT_INT && v.i != (-9223372036854775807LL - 1))
			return int_val(-v.i);
		if (v.t == VT_DOUBLE)
			return (struct val){ .t = VT_DOUBLE, .d = -v.d };
		if (v.t == VT_DURATION)
			return (struct val){ .t = VT_DURATION, .i = -v.i };
		if (v.t == VT_ERROR)
			return v;
		return err_val(ev, "no matching overload for -%s", type_name(v.t));
	}
	case CE_AND:
	case CE_OR: {
		/* Commutative: a deciding side wins over an error on the other. */
		bool decide = e->op == CE_OR;
		struct val a = eval(ev, e->a);
		if (a.t == VT_BOOL && (a.i != 0) == decide)
			return a;
		struct val b = eval(ev, e->b);
		if (b.t == VT_BOOL && (b.i != 0) == decide)
			return b;
		if (a.t == VT_ERROR)
			return a;
		if (b.t == VT_ERROR)
			return b;
		if (a.t != VT_BOOL || b.t != VT_BOOL)
			return err_val(ev, "no matching overload for %s %s %s", type_name(a.t),
				       decide ? "||" : "&&", type_name(b.t));
		return bool_val(!decide);
	}
	case CE_COND: {
		struct val c = eval(ev, e->a);
		if (c.t == VT_ERROR)
			return c;
		if (c.t != VT_BOOL)
			return err_val(ev, "no matching overload for %s ? _ : _", type_name(c.t));
		return eval(ev, c.i ? e->b : e->c);
	}
	case CE_BINARY:
		return binary(ev, e);
	}
	return err_val(ev, "unknown expression");
}

/* Each thread's scratch arena, released when the thread ends (the
 * loading workers end after each pass). */
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *a)
{
	arena_release(a);
	free(a);
}

static void scratch_key_init(void)
{
	if (pthread_key_create(&scratch_key, scratch_free) != 0)
		die_oom();
}

static struct arena *thread_scratch(void)
{
	pthread_once(&scratch_once, scratch_key_init);
	struct arena *a = pthread_getspecific(scratch_key);
	if (!a) {
		a = xmalloc(sizeof(*a));
		arena_init(a);
		if (pthread_setspecific(scratch_key, a) != 0)
			die_oom();
	}
	return a;
}

enum cel_outcome cel_eval_program(const struct cel_program *p, const struct node *n,
				  const struct schema_node *s, char *err, size_t errcap)
{
	cel_init();
	if (p->uses_old_self)
		return CEL_NOT_APPLICABLE;
	struct arena *scratch = thread_scratch();
	struct ev ev = { scratch, BUDGET, NULL };
	struct scope self = { "self", 4, { .t = VT_NULL }, NULL };
	if (n)
		self.v = from_node(&ev, n, s);
	ev.vars = &self;
	struct val v = eval(&ev, p->root);
	enum cel_outcome out;
	if (v.t == VT_BOOL) {
		out = v.i ? CEL_PASS : CEL_FAIL;
	} else {
		snprintf(err, errcap, "%s", v.t == VT_ERROR && v.s ? v.s :
			 "the rule does not give a bool");
		out = CEL_ERROR;
	}
	/* Keep one block for the next rule: releasing it each time was an
	 * mmap and munmap per rule evaluated (blocks of 64 KB and up come
	 * from mmap, cli/main.c), most of check's system time on Gateway API
	 * inputs (t_scaling gwapi). A larger evaluation's blocks go back. */
	if (scratch->used_bytes <= 32 * 1024) {
		arena_reset(scratch);
	} else {
		arena_release(scratch);
		arena_init(scratch);
	}
	return out;
}

enum cel_outcome cel_eval_rule(unsigned cel, const struct node *n,
			       const struct schema_node *s, char *err, size_t errcap)
{
	cel_init();
	if (cel >= schema_ncels || !programs[cel].root) {
		snprintf(err, errcap, "rule %u is not a CEL expression", cel);
		return CEL_ERROR;
	}
	return cel_eval_program(&programs[cel], n, s, err, errcap);
}
