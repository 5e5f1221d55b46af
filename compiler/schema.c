/*
 * The schema layer: walks a resource's node tree once against the embedded
 * schema of its kind (schema.h, generated from schemas/ at build time) and
 * reports, as IST0106, what the Kubernetes API server would reject for that
 * CRD or built-in type: unknown fields (with a suggestion when a known field
 * is close), wrong types (strict: `weight: "50"` and `simple: 2` are errors,
 * as the API server's structural schema makes them), bad enum values,
 * missing required fields, "at most one of" groups, numeric ranges, list,
 * string and map size limits, base64 and date-time formats, Go durations
 * with the CRD's ">= 1ms" rule, and the CRDs' other CEL rules: Istio's
 * as hand-written checks, the Gateway API's evaluated by compiler/cel_eval.c.
 *
 * Null field values count as absent (the API server prunes them). Where a
 * diagnostic points follows cli.md: unknown field and "at most one of" at
 * the key, a missing field at the key of the mapping that lacks it, type
 * and value problems at the value.
 *
 * The happy path allocates nothing: property lookups are binary searches
 * in static tables, and a per-mapping bit mask records required fields.
 * Nothing here is mutable static state, so workers may run it in parallel.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cel.h"
#include "checks.h"
#include "prim.h"
#include "schema.h"

struct walk {
	struct diag_list *d;
	const struct resource *r;
};

/* Lists longer than this skip the quadratic uniqueness checks. */
#define UNIQUE_SCAN_MAX 4096

/* ---- table lookups ---- */

const struct schema_node *schema_root_for(const char *kind)
{
	if (!kind)
		return NULL;
	for (size_t i = 0; i < schema_nroots; i++)
		if (strcmp(schema_roots[i].kind, kind) == 0)
			return &schema_nodes[schema_roots[i].node];
	return NULL;
}

/* strcmp order between a table name and a counted key. */
static int name_cmp(const char *name, size_t nlen, const char *key, size_t klen)
{
	/* Most probes differ in the first byte: decide those without memcmp. */
	if (nlen && klen && name[0] != key[0])
		return (unsigned char)name[0] < (unsigned char)key[0] ? -1 : 1;
	size_t m = nlen < klen ? nlen : klen;
	int c = memcmp(name, key, m);
	if (c)
		return c;
	return (nlen > klen) - (nlen < klen);
}

const struct schema_prop *schema_find_prop(const struct schema_node *s,
					   const char *name, size_t len)
{
	size_t lo = 0, hi = s->nprops;
	const struct schema_prop *p = &schema_props[s->props];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = name_cmp(p[mid].name, p[mid].len, name, len);
		if (c == 0)
			return &p[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct schema_prop *schema_find_prop_key(const struct schema_node *s,
					       const char *name, size_t len,
					       unsigned long long kbits)
{
	const struct schema_prop *p = &schema_props[s->props];
	for (unsigned i = 0; i < s->nprops; i++)
		if (p[i].kbits == kbits &&
		    (len <= 7 || (p[i].len == len &&
				  memcmp(p[i].name + 7, name + 7, len - 7) == 0)))
			return &p[i];
	return NULL;
}

/* ---- suggestions ---- */

unsigned schema_edit_distance(const char *a, size_t alen, const char *b,
			      unsigned limit)
{
	size_t blen = strlen(b);
	enum { MAXL = 64 };
	if (alen >= MAXL || blen >= MAXL)
		return limit + 1;
	size_t diff = alen > blen ? alen - blen : blen - alen;
	if (diff > limit)
		return limit + 1;
	unsigned rows[3][MAXL + 1];
	unsigned *pp = rows[0], *prev = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= blen; j++)
		prev[j] = (unsigned)j;
	for (size_t i = 1; i <= alen; i++) {
		cur[0] = (unsigned)i;
		unsigned best = cur[0];
		for (size_t j = 1; j <= blen; j++) {
			unsigned cost = a[i - 1] == b[j - 1] ? 0 : 1;
			unsigned v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
			if (v < best)
				best = v;
		}
		if (best > limit)
			return limit + 1;
		unsigned *t = pp;
		pp = prev;
		prev = cur;
		cur = t;
	}
	return prev[blen] <= limit ? prev[blen] : limit + 1;
}

/* Equal ignoring case, '_' and '-' ("mirror_percentage", "MirrorPercentage"). */
static bool loose_equal(const char *a, size_t alen, const char *b)
{
	size_t i = 0;
	for (;;) {
		while (i < alen && (a[i] == '_' || a[i] == '-'))
			i++;
		while (*b == '_' || *b == '-')
			b++;
		if (i == alen || !*b)
			return i == alen && !*b;
		if (tolower((unsigned char)a[i]) != tolower((unsigned char)*b))
			return false;
		i++;
		b++;
	}
}

const char *schema_closest(const void *cands, size_t n, size_t stride,
			   const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		const char *c = *(const char *const *)((const char *)cands + i * stride);
		if (loose_equal(name, len, c))
			return c;
	}
	unsigned limit = len < 4 ? 1 : len < 9 ? 2 : 3;
	unsigned best = limit + 1;
	const char *pick = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *c = *(const char *const *)((const char *)cands + i * stride);
		unsigned dist = schema_edit_distance(name, len, c, limit);
		if (dist < best && dist * 3 <= len) {
			best = dist;
			pick = c;
		}
	}
	return pick;
}

const char *schema_suggest(const struct schema_node *s, const char *name,
			   size_t len)
{
	if (s->nprops == 0)
		return NULL;
	return schema_closest(&schema_props[s->props].name, s->nprops,
		       sizeof(struct schema_prop), name, len);
}

/* ---- formats ---- */

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

bool schema_is_base64(const char *s, size_t len)
{
	if (len % 4 != 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (b64_value((unsigned char)s[i]) >= 0)
			continue;
		/* '=' only as the last one or two characters. */
		if (s[i] != '=' || i + 2 < len)
			return false;
		if (i + 2 == len && s[i + 1] != '=')
			return false;
	}
	return true;
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int num2(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

bool schema_is_date_time(const char *s, size_t len)
{
	/* 2006-01-02T15:04:05[.frac](Z|+07:00) */
	if (len < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
	    s[7] != '-' || !digits(s + 8, 2) || s[10] != 'T' ||
	    !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) ||
	    s[16] != ':' || !digits(s + 17, 2))
		return false;
	int mon = num2(s + 5), day = num2(s + 8);
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || num2(s + 11) > 23 ||
	    num2(s + 14) > 59 || num2(s + 17) > 60)
		return false;
	size_t i = 19;
	if (i < len && s[i] == '.') {
		size_t j = ++i;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == j)
			return false;
	}
	if (i < len && s[i] == 'Z')
		return i + 1 == len;
	return i + 6 == len && (s[i] == '+' || s[i] == '-') &&
	       digits(s + i + 1, 2) && s[i + 3] == ':' && digits(s + i + 4, 2) &&
	       num2(s + i + 1) <= 23 && num2(s + i + 4) <= 59;
}

/* Kubernetes IsDNS1123Label: lower case, at most 63. */
static bool k8s_dns_label(const char *s, size_t n)
{
	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (c != '-' || i == 0 || i == n - 1))
			return false;
	}
	return true;
}

/* Kubernetes IsValidPortName (IANA_SVC_NAME). */
static bool iana_svc_name(const char *s, size_t n)
{
	if (n == 0 || n > 15 || s[0] == '-' || s[n - 1] == '-')
		return false;
	bool letter = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'a' && c <= 'z')
			letter = true;
		else if (!(c >= '0' && c <= '9') && c != '-')
			return false;
		if (c == '-' && i > 0 && s[i - 1] == '-')
			return false;
	}
	return letter;
}

/* The CEL port-name rule: size < 63 and ^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$ */
static bool cel_port_name(const char *s, size_t n)
{
	if (n == 0 || n >= 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && (c != '-' || i == 0 || i == n - 1))
			return false;
	}
	return true;
}

/* ---- reporting ---- */

/*
 * Reports IST0106 with the field path of `at` and, when pos is not NULL,
 * the line and column of pos instead (a key node has no parent link, so
 * the path comes from its value while the position is the key's).
 */
static void report(struct walk *w, const struct node *at, const struct node *pos,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void report(struct walk *w, const struct node *at, const struct node *pos,
		   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = arena_vprintf(w->d->arena, fmt, ap);
	va_end(ap);
	size_t before = w->d->n;
	diag_reportf(w->d, IST0106, w->r, at, "%s", msg);
	if (pos && w->d->n > before) {
		w->d->items[w->d->n - 1].line = pos->line;
		w->d->items[w->d->n - 1].col = pos->col;
	}
}

/* Reports at the key of pair p (path of its value). */
#define REPORT_KEY(w, p, ...) report((w), (p)->value, (p)->key, __VA_ARGS__)

/*
 * The node a "missing field" diagnostic points at: the mapping's key when
 * the mapping is a field's value, else the mapping itself.
 */
static const struct node *mapping_pos(const struct node *m)
{
	const struct node *key = node_key(m);
	if (key)
		return key;
	return m;
}

/*
 * Writes scalar text for a message into buf: quotes and control characters
 * escaped, long values cut with "...".
 */
static const char *show(char *buf, size_t cap, const char *s, size_t n)
{
	size_t o = 0, limit = 60;
	for (size_t i = 0; i < n && o + 8 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i == limit) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
	return buf;
}

/* "string \"50\"", "integer 50", "boolean yes", "map", ... */
static const char *describe(char *buf, size_t cap, const struct node *n)
{
	char tmp[256];
	switch (n->type) {
	case NODE_STR:
		snprintf(buf, cap, "string \"%s\"", show(tmp, sizeof(tmp), n->text, n->len));
		break;
	case NODE_INT:
	case NODE_FLOAT:
	case NODE_BOOL:
		snprintf(buf, cap, "%s %s", node_type_name(n->type),
			 show(tmp, sizeof(tmp), n->text, n->len));
		break;
	default:
		snprintf(buf, cap, "%s", node_type_name(n->type));
		break;
	}
	return buf;
}

/* Would the text of a quoted string be read as an integer unquoted? */
static bool text_is_integer(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	return i < n && digits(s + i, n - i);
}

static bool text_is_number(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	char buf[72];
	memcpy(buf, s, n);
	buf[n] = '\0';
	char *end;
	strtod(buf, &end);
	return *end == '\0' && isdigit((unsigned char)buf[n - 1]);
}

static const char *const type_words[] = {
	[ST_ANY] = "any value", [ST_OBJECT] = "map", [ST_ARRAY] = "list",
	[ST_STRING] = "string", [ST_INTEGER] = "integer", [ST_NUMBER] = "number",
	[ST_BOOLEAN] = "boolean", [ST_INT_OR_STRING] = "integer or string",
};

/*
 * The hint for scalar n where a string was expected: " (quote it: ...)"
 * for a plain scalar YAML 1.1 reads as a boolean or a number, "" otherwise.
 */
static const char *string_hint(char *buf, size_t cap, const struct node *n)
{
	char tmp[256];
	const char *text = show(tmp, sizeof(tmp), n->text ? n->text : "", n->len);
	buf[0] = '\0';
	if (n->type == NODE_BOOL)
		snprintf(buf, cap,
			 " (YAML 1.1 reads unquoted %s as a boolean; quote it: \"%s\")",
			 text, text);
	else if (n->type == NODE_INT || n->type == NODE_FLOAT)
		snprintf(buf, cap, " (quote it: \"%s\")", text);
	return buf;
}

const char *schema_expected_string(char *buf, size_t cap, const struct node *n)
{
	char got[300], hint[300];
	snprintf(buf, cap, "expected string, got %s%s", describe(got, sizeof(got), n),
		 string_hint(hint, sizeof(hint), n));
	return buf;
}

/* A wrong-type report at n with a hint where one helps. */
static void type_error(struct walk *w, const struct schema_node *s,
		       const struct node *n)
{
	if (s->flags & SCHEMA_QUIET_TYPE)
		return;
	char got[300], hint[300] = "";
	describe(got, sizeof(got), n);
	switch (s->type) {
	case ST_STRING:
	case ST_INT_OR_STRING:
		if (n->type == NODE_BOOL)
			string_hint(hint, sizeof(hint), n);
		else if (s->nenums && n->type == NODE_INT)
			snprintf(hint, sizeof(hint), " (enum values are written by name%s%s%s)",
				 node_ival(n) >= 0 && (unsigned long long)node_ival(n) < s->nenums ?
				 ": \"" : "",
				 node_ival(n) >= 0 && (unsigned long long)node_ival(n) < s->nenums ?
				 schema_strings[s->enums + (size_t)node_ival(n)] : "",
				 node_ival(n) >= 0 && (unsigned long long)node_ival(n) < s->nenums ?
				 "\"" : "");
		else if (n->type == NODE_INT || n->type == NODE_FLOAT)
			string_hint(hint, sizeof(hint), n);
		break;
	case ST_INTEGER:
		if (n->type == NODE_STR && text_is_integer(n->text, n->len))
			snprintf(hint, sizeof(hint), " (remove the quotes)");
		break;
	case ST_NUMBER:
		if (n->type == NODE_STR && text_is_number(n->text, n->len))
			snprintf(hint, sizeof(hint), " (remove the quotes)");
		break;
	case ST_BOOLEAN:
		if (n->type == NODE_STR && (strcmp(n->text, "true") == 0 ||
					    strcmp(n->text, "false") == 0))
			snprintf(hint, sizeof(hint), " (remove the quotes)");
		break;
	default:
		break;
	}
	report(w, n, NULL, "expected %s, got %s%s", type_words[s->type], got, hint);
}

/* ---- values ---- */

static void check_value(struct walk *w, const struct schema_node *s,
			const struct node *n);

/* The value of field `name` in map m, NULL when absent or null. */
static const struct node_pair *field(const struct node *m, const char *name)
{
	const struct node_pair *p = node_get_pair(m, name);
	return p && p->value->type != NODE_NULL ? p : NULL;
}

static void check_range(struct walk *w, const struct schema_node *s,
			const struct node *n, double v)
{
	char tmp[256];
	if ((s->flags & SCHEMA_HAS_MIN) && v < s->min)
		report(w, n, NULL, "value %s is less than the minimum %.17g",
		       show(tmp, sizeof(tmp), n->text, n->len), s->min);
	else if ((s->flags & SCHEMA_HAS_MAX) && v > s->max)
		report(w, n, NULL, "value %s is greater than the maximum %.17g",
		       show(tmp, sizeof(tmp), n->text, n->len), s->max);
}

/* A non-negative decimal literal at most 2^64-1 (uint64 past int64). */
static bool fits_uint64(const char *s, size_t n)
{
	if (n > 0 && s[0] == '+') {
		s++;
		n--;
	}
	while (n > 1 && s[0] == '0') {
		s++;
		n--;
	}
	if (n == 0 || !digits(s, n) || n > 20)
		return false;
	return n < 20 || memcmp(s, "18446744073709551615", 20) <= 0;
}

static void check_integer(struct walk *w, const struct schema_node *s,
			  const struct node *n)
{
	char tmp[256];
	if (n->int_overflow) {
		if (s->format == SF_UINT64 && fits_uint64(n->text, n->len))
			return;
		report(w, n, NULL, "value %s is out of range for an integer",
		       show(tmp, sizeof(tmp), n->text, n->len));
		return;
	}
	if (s->format == SF_INT32 && (node_ival(n) < INT32_MIN || node_ival(n) > INT32_MAX)) {
		report(w, n, NULL, "value %s does not fit in a 32-bit integer",
		       show(tmp, sizeof(tmp), n->text, n->len));
		return;
	}
	check_range(w, s, n, (double)node_ival(n));
	if (s->nenums && s->type == ST_INTEGER) {
		/* integer enums are kept as decimal text */
		char num[32], list[256];
		snprintf(num, sizeof(num), "%lld", node_ival(n));
		size_t o = 0;
		for (size_t i = 0; i < s->nenums; i++) {
			if (strcmp(schema_strings[s->enums + i], num) == 0)
				return;
			if (o + 40 < sizeof(list))
				o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s",
						      i ? ", " : "", schema_strings[s->enums + i]);
		}
		report(w, n, NULL, "unsupported value %s: expected one of %s", num, list);
	}
}

static void check_enum(struct walk *w, const struct schema_node *s,
		       const struct node *n)
{
	for (size_t i = 0; i < s->nenums; i++) {
		const char *e = schema_strings[s->enums + i];
		if (strlen(e) == n->len && memcmp(e, n->text, n->len) == 0)
			return;
	}
	char list[1024], tmp[256];
	size_t o = 0;
	for (size_t i = 0; i < s->nenums && o + 80 < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s\"%s\"",
				      i ? ", " : "", schema_strings[s->enums + i]);
	const char *near = schema_closest(&schema_strings[s->enums], s->nenums,
				   sizeof(const char *), n->text, n->len);
	if (near)
		report(w, n, NULL, "unsupported value \"%s\", did you mean \"%s\"? (one of %s)",
		       show(tmp, sizeof(tmp), n->text, n->len), near, list);
	else
		report(w, n, NULL, "unsupported value \"%s\": expected one of %s",
		       show(tmp, sizeof(tmp), n->text, n->len), list);
}

static void check_duration(struct walk *w, const struct schema_node *s,
			   const struct node *n)
{
	char tmp[256];
	long long ns;
	if (!prim_parse_duration(n->text, &ns) || strlen(n->text) != n->len) {
		report(w, n, NULL,
		       "invalid duration \"%s\" (Go syntax such as \"300ms\", \"1.5s\", \"1h30m\")",
		       show(tmp, sizeof(tmp), n->text, n->len));
		return;
	}
	/*
	 * The CRD's CEL rule. Worded as Go's ValidateDuration words it, so
	 * that where the admission rules report the same value the two
	 * diagnostics are identical and merge.
	 */
	if (s->duration == SD_MIN_1MS && ns < 1000000)
		report(w, n, NULL, "%s", prim_check_duration_ns(w->d->arena, ns));
}

/*
 * A CEL rule of the Gateway API CRDs on node n (schema s), reported at n
 * with the CRD's message. A rule that fails to evaluate rejects the object
 * at the API server, so it is reported too, with the reason. Transition
 * rules (oldSelf) do not apply to a new object: nothing to check offline.
 */
static void cel_expr_rule(struct walk *w, const struct schema_node *s,
			  const struct schema_cel *c, const struct node *n)
{
	char err[256];
	switch (cel_eval_rule((unsigned)(c - schema_cels), n, s, err, sizeof(err))) {
	case CEL_FAIL:
		report(w, n, NULL, "%s", c->message);
		break;
	case CEL_ERROR:
		report(w, n, NULL, "%s (the rule could not be evaluated: %s)", c->message, err);
		break;
	default:
		break;
	}
}

static void check_string(struct walk *w, const struct schema_node *s,
			 const struct node *n)
{
	char tmp[256];
	if (s->max_length != SCHEMA_NO_LIMIT) {
		size_t c = prim_utf8_count(n->text, n->len);
		if (c > s->max_length)
			report(w, n, NULL, "too long: %zu characters, at most %u allowed",
			       c, s->max_length);
	}
	if (s->min_length != SCHEMA_NO_LIMIT && prim_utf8_count(n->text, n->len) < s->min_length)
		report(w, n, NULL, "too short: at least %u character%s required",
		       s->min_length, s->min_length == 1 ? "" : "s");
	if (s->pattern && cel_regex_search(s->pattern, n->text, n->len) != 1)
		report(w, n, NULL, "\"%s\" does not match the pattern %s",
		       show(tmp, sizeof(tmp), n->text, n->len), s->pattern);
	if (s->nenums)
		check_enum(w, s, n);
	if (s->format == SF_BYTE && !schema_is_base64(n->text, n->len))
		report(w, n, NULL, "not valid base64: \"%s\"",
		       show(tmp, sizeof(tmp), n->text, n->len));
	if (s->format == SF_DATE_TIME && !schema_is_date_time(n->text, n->len))
		report(w, n, NULL, "not an RFC 3339 date-time: \"%s\"",
		       show(tmp, sizeof(tmp), n->text, n->len));
	if (s->duration != SD_NONE)
		check_duration(w, s, n);
}

/* ---- CEL rules ---- */

static bool scalar_eq(const struct node *a, const struct node *b)
{
	if (a->type == NODE_INT && b->type == NODE_INT && !a->int_overflow &&
	    !b->int_overflow)
		return node_ival(a) == node_ival(b);
	return a->type == b->type && node_is_scalar(a) && a->len == b->len &&
	       memcmp(a->text, b->text, a->len) == 0;
}

/* Rules on a scalar value. */
static void cel_scalar(struct walk *w, const struct schema_node *s,
		       const struct schema_cel *c, const struct node *n)
{
	switch (c->id) {
	case CEL_EXPR:
		cel_expr_rule(w, s, c, n);
		break;
	case CEL_PORT_RANGE:
		if (n->type == NODE_INT && !n->int_overflow &&
		    (node_ival(n) <= 0 || node_ival(n) > 65535))
			report(w, n, NULL, "%s", c->message);
		break;
	case CEL_NO_WILDCARD:
		if (n->type == NODE_STR && memchr(n->text, '*', n->len))
			report(w, n, NULL, "%s", c->message);
		break;
	case CEL_NOT_STAR:
		if (n->type == NODE_STR && n->len == 1 && n->text[0] == '*')
			report(w, n, NULL, "%s", c->message);
		break;
	case CEL_UDS_ABSOLUTE:
		if (n->type == NODE_STR && prim_has_prefix(n->text, "unix://") &&
		    (n->len < 8 || (n->text[7] != '/' && n->text[7] != '@')))
			report(w, n, NULL, "%s", c->message);
		break;
	case CEL_UDS_NOT_DIR:
		if (n->type == NODE_STR && prim_has_prefix(n->text, "unix://") &&
		    n->text[n->len - 1] == '/')
			report(w, n, NULL, "%s", c->message);
		break;
	case CEL_DNS_LABEL:
		if (n->type == NODE_STR && n->len && !k8s_dns_label(n->text, n->len))
			report(w, n, NULL, "%s", c->message);
		break;
	case CEL_IANA_SVC_NAME:
		if (n->type == NODE_STR && n->len && !iana_svc_name(n->text, n->len))
			report(w, n, NULL, "%s", c->message);
		break;
	default:
		break;
	}
}

/* Rules on a mapping (its keys or fields). */
static void cel_map(struct walk *w, const struct schema_node *s,
		    const struct schema_cel *c, const struct node *m)
{
	switch (c->id) {
	case CEL_EXPR:
		cel_expr_rule(w, s, c, m);
		break;
	case CEL_KEYS_NO_WILDCARD:
	case CEL_KEYS_NONEMPTY:
	case CEL_KEYS_PORT_NAME:
		for (size_t i = 0; i < m->n; i++) {
			const struct node *k = m->pairs[i].key;
			bool bad = c->id == CEL_KEYS_NO_WILDCARD ? memchr(k->text, '*', k->len) != NULL :
				   c->id == CEL_KEYS_NONEMPTY ? k->len == 0 :
				   !cel_port_name(k->text, k->len);
			if (bad)
				REPORT_KEY(w, &m->pairs[i], "%s", c->message);
		}
		break;
	case CEL_ONLY_ONE_OF: {
		/* Istio's Gateway CRD states one pair twice: report it once. */
		for (const struct schema_cel *o = &schema_cels[s->cels]; o < c; o++)
			if (o->id == CEL_ONLY_ONE_OF &&
			    ((strcmp(o->arg[0], c->arg[0]) == 0 && strcmp(o->arg[1], c->arg[1]) == 0) ||
			     (strcmp(o->arg[0], c->arg[1]) == 0 && strcmp(o->arg[1], c->arg[0]) == 0)))
				return;
		const struct node_pair *a = field(m, c->arg[0]), *b = field(m, c->arg[1]);
		if (a && b)
			REPORT_KEY(w, a > b ? a : b, "%s", c->message);
		break;
	}
	case CEL_ANY_OF:
		if (!field(m, c->arg[0]) && !field(m, c->arg[1]))
			report(w, m, mapping_pos(m), "%s", c->message);
		break;
	case CEL_UDS_FORBIDS: {
		const struct node_pair *a = field(m, c->arg[0]), *b = field(m, c->arg[1]);
		if (a && b && a->value->type == NODE_STR && prim_has_prefix(a->value->text, "unix://"))
			REPORT_KEY(w, b, "%s", c->message);
		break;
	}
	case CEL_CIDR_NEEDS_RESOLUTION: {
		const struct node_pair *addrs = field(m, c->arg[0]);
		const struct node_pair *res = field(m, c->arg[1]);
		const char *rv = res ? node_str(res->value) : c->arg[2];
		if (!rv || !addrs || addrs->value->type != NODE_SEQ ||
		    strcmp(rv, c->arg[2]) == 0 || strcmp(rv, c->arg[3]) == 0)
			break;
		for (size_t i = 0; i < addrs->value->n; i++) {
			const struct node *a = addrs->value->items[i];
			if (a->type == NODE_STR && memchr(a->text, '/', a->len))
				report(w, a, NULL, "%s", c->message);
		}
		break;
	}
	case CEL_NONE_FORBIDS: {
		const struct node_pair *res = field(m, c->arg[0]);
		const struct node_pair *b = field(m, c->arg[1]);
		const char *rv = res ? node_str(res->value) : "NONE";
		if (b && rv && strcmp(rv, "NONE") == 0)
			REPORT_KEY(w, b, "%s", c->message);
		break;
	}
	case CEL_DNS_RR_SINGLE: {
		const struct node_pair *res = field(m, c->arg[0]);
		const struct node_pair *b = field(m, c->arg[1]);
		const char *rv = res ? node_str(res->value) : NULL;
		if (b && rv && strcmp(rv, "DNS_ROUND_ROBIN") == 0 &&
		    b->value->type == NODE_SEQ && b->value->n > 1)
			report(w, b->value->items[1], NULL, "%s", c->message);
		break;
	}
	default:
		break;
	}
}

/* Rules on a list. */
static void cel_list(struct walk *w, const struct schema_node *s,
		     const struct schema_cel *c, const struct node *l)
{
	size_t n = l->n < UNIQUE_SCAN_MAX ? l->n : UNIQUE_SCAN_MAX;
	switch (c->id) {
	case CEL_EXPR:
		cel_expr_rule(w, s, c, l);
		break;
	case CEL_UNIQUE_FIELD:
		for (size_t i = 1; i < n; i++) {
			const struct node_pair *fi = field(l->items[i], c->arg[0]);
			if (!fi || !node_is_scalar(fi->value))
				continue;
			for (size_t j = 0; j < i; j++) {
				const struct node_pair *fj = field(l->items[j], c->arg[0]);
				if (fj && scalar_eq(fi->value, fj->value)) {
					report(w, fi->value, NULL, "%s", c->message);
					break;
				}
			}
		}
		break;
	case CEL_REQUIRED_IF_MANY:
		if (l->n < 2)
			break;
		for (size_t i = 0; i < l->n; i++) {
			const struct node *it = l->items[i];
			if (it->type == NODE_MAP && !field(it, c->arg[0]))
				report(w, it, NULL, "%s", c->message);
		}
		break;
	default:
		break;
	}
}

/* x-kubernetes-list-type: set: scalar items must be unique. */
static void check_list_set(struct walk *w, const struct node *l)
{
	char tmp[256];
	size_t n = l->n < UNIQUE_SCAN_MAX ? l->n : UNIQUE_SCAN_MAX;
	for (size_t i = 1; i < n; i++) {
		if (!node_is_scalar(l->items[i]))
			continue;
		for (size_t j = 0; j < i; j++)
			if (scalar_eq(l->items[i], l->items[j])) {
				report(w, l->items[i], NULL, "duplicate value \"%s\" in a set",
				       show(tmp, sizeof(tmp), l->items[i]->text,
					    l->items[i]->len));
				break;
			}
	}
}

/* x-kubernetes-list-type: map with one key: key values must be unique. */
static void check_list_key(struct walk *w, const struct schema_node *s,
			   const struct node *l)
{
	char tmp[256];
	size_t n = l->n < UNIQUE_SCAN_MAX ? l->n : UNIQUE_SCAN_MAX;
	for (size_t i = 1; i < n; i++) {
		const struct node_pair *fi = field(l->items[i], s->list_key);
		if (!fi || !node_is_scalar(fi->value))
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct node_pair *fj = field(l->items[j], s->list_key);
			if (fj && scalar_eq(fi->value, fj->value)) {
				report(w, fi->value, NULL,
				       "duplicate value \"%s\": \"%s\" must be unique in the list (also in item %zu)",
				       show(tmp, sizeof(tmp), fi->value->text, fi->value->len),
				       s->list_key, j);
				break;
			}
		}
	}
}

/* ---- collections ---- */

/* The keys of oneOf group g of s, quoted and comma-separated, into buf. */
static const char *group_keys(char *buf, size_t cap, const struct schema_node *s,
			      unsigned g)
{
	size_t o = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < s->nprops && o + 70 < cap; i++) {
		const struct schema_prop *p = &schema_props[s->props + i];
		if (p->group == g)
			o += (size_t)snprintf(buf + o, cap - o, "%s\"%s\"", o ? ", " : "",
					      p->name);
	}
	return buf;
}

/*
 * An unknown key: a typo suggestion, or a sibling object that knows it.
 * `seen` holds the required fields the mapping has: a typo of one it
 * lacks says so here, and its bit is set in *covered so the mapping does
 * not also report it missing (one mistake, one diagnostic).
 */
static void unknown_field(struct walk *w, const struct schema_node *s,
			  const struct node_pair *p, uint64_t seen, uint64_t *covered)
{
	char tmp[256];
	const struct node *k = p->key;
	const char *name = show(tmp, sizeof(tmp), k->text, k->len);
	const char *near = schema_suggest(s, k->text, k->len);
	if (near) {
		const struct schema_prop *np = schema_find_prop(s, near, strlen(near));
		if (np && np->req_bit >= 0 && !(seen & ((uint64_t)1 << np->req_bit))) {
			*covered |= (uint64_t)1 << np->req_bit;
			REPORT_KEY(w, p, "unknown field \"%s\", did you mean \"%s\"? "
				   "(required field \"%s\" is missing)", name, near, near);
			return;
		}
		REPORT_KEY(w, p, "unknown field \"%s\", did you mean \"%s\"?", name, near);
		return;
	}
	for (unsigned i = 0; i < s->nprops; i++) {
		const struct schema_prop *sp = &schema_props[s->props + i];
		const struct schema_node *c = &schema_nodes[sp->node];
		if (c->type == ST_OBJECT && c->nprops &&
		    schema_find_prop(c, k->text, k->len)) {
			REPORT_KEY(w, p, "unknown field \"%s\" (does it belong under \"%s\"?)",
				   name, sp->name);
			return;
		}
	}
	REPORT_KEY(w, p, "unknown field \"%s\"", name);
}

static void check_object(struct walk *w, const struct schema_node *s,
			 const struct node *m)
{
	if (s->max_props != SCHEMA_NO_LIMIT && m->n > s->max_props)
		report(w, m, NULL, "too many entries: %u, at most %u allowed",
		       m->n, s->max_props);
	uint64_t seen = 0, covered = 0;
	size_t unknown = 0;
	const struct node_pair *first[8] = { NULL };
	const struct schema_node *child = s->child ? &schema_nodes[s->child] : NULL;
	for (size_t i = 0; i < m->n; i++) {
		const struct node_pair *p = &m->pairs[i];
		const struct schema_prop *sp = s->nprops ?
			schema_find_prop_key(s, p->key->text, p->key->len, p->kbits) : NULL;
		if (!sp) {
			if (child) {
				if (p->value->type != NODE_NULL)
					check_value(w, child, p->value);
			} else if (!(s->flags & SCHEMA_PRESERVE)) {
				unknown++;   /* reported below, once `seen` is known */
			}
			continue;
		}
		const struct schema_node *ps = &schema_nodes[sp->node];
		if (sp->req_bit >= 0)
			seen |= (uint64_t)1 << sp->req_bit;
		if (p->value->type == NODE_NULL && !(ps->flags & SCHEMA_NULLABLE)) {
			if (sp->req_bit >= 0)
				report(w, p->value, p->key, "required field \"%s\" is null",
				       sp->name);
			continue;
		}
		if (sp->group && sp->group <= 8 && p->value->type != NODE_NULL) {
			const struct node_pair **f = &first[sp->group - 1];
			if (*f) {
				char keys[600], tmp[256];
				REPORT_KEY(w, p, "\"%s\" cannot be set together with \"%s\" (at most one of %s)",
					   sp->name, show(tmp, sizeof(tmp), (*f)->key->text, (*f)->key->len),
					   group_keys(keys, sizeof(keys), s, sp->group));
			} else {
				*f = p;
			}
		}
		check_value(w, ps, p->value);
	}
	for (size_t i = 0; unknown && i < m->n; i++)
		if (!s->nprops ||
		    !schema_find_prop(s, m->pairs[i].key->text, m->pairs[i].key->len))
			unknown_field(w, s, &m->pairs[i], seen, &covered);
	seen |= covered;
	if (s->nreq && seen != (((uint64_t)1 << s->nreq) - 1)) {
		for (unsigned i = 0; i < s->nprops; i++) {
			const struct schema_prop *sp = &schema_props[s->props + i];
			if (sp->req_bit >= 0 && !(seen & ((uint64_t)1 << sp->req_bit)))
				report(w, m, mapping_pos(m), "missing required field \"%s\"",
				       sp->name);
		}
	}
	for (unsigned i = 0; i < s->ncels; i++)
		cel_map(w, s, &schema_cels[s->cels + i], m);
}

static void check_array(struct walk *w, const struct schema_node *s,
			const struct node *l)
{
	if (s->max_items != SCHEMA_NO_LIMIT && l->n > s->max_items)
		report(w, l, NULL, "too many items: %u, at most %u allowed",
		       l->n, s->max_items);
	if (s->min_items != SCHEMA_NO_LIMIT && l->n < s->min_items)
		report(w, l, NULL, "too few items: %u, at least %u required",
		       l->n, s->min_items);
	const struct schema_node *item = &schema_nodes[s->child];
	for (size_t i = 0; i < l->n; i++)
		check_value(w, item, l->items[i]);
	if (s->list_key)
		check_list_key(w, s, l);
	if (s->flags & SCHEMA_LIST_SET)
		check_list_set(w, l);
	for (unsigned i = 0; i < s->ncels; i++)
		cel_list(w, s, &schema_cels[s->cels + i], l);
}

/* Checks node n against schema s (n may be any node of the tree). */
static void check_value(struct walk *w, const struct schema_node *s,
			const struct node *n)
{
	if (s->type == ST_ANY)
		return;
	if (n->type == NODE_NULL && (s->flags & SCHEMA_NULLABLE))
		return;
	switch (s->type) {
	case ST_OBJECT:
		if (n->type != NODE_MAP) {
			type_error(w, s, n);
			return;
		}
		check_object(w, s, n);
		return;
	case ST_ARRAY:
		if (n->type != NODE_SEQ) {
			type_error(w, s, n);
			return;
		}
		check_array(w, s, n);
		return;
	case ST_STRING:
		if (n->type != NODE_STR) {
			type_error(w, s, n);
			return;
		}
		check_string(w, s, n);
		break;
	case ST_INTEGER:
		if (n->type != NODE_INT) {
			type_error(w, s, n);
			return;
		}
		check_integer(w, s, n);
		break;
	case ST_NUMBER:
		if (n->type != NODE_INT && n->type != NODE_FLOAT) {
			type_error(w, s, n);
			return;
		}
		if (n->type == NODE_FLOAT && !isfinite(node_dval(n))) {
			char tmp[256];
			report(w, n, NULL, "value %s is not a finite number",
			       show(tmp, sizeof(tmp), n->text, n->len));
			return;
		}
		if (n->type == NODE_INT && n->int_overflow) {
			check_integer(w, s, n);
			return;
		}
		check_range(w, s, n, n->type == NODE_INT ? (double)node_ival(n) : node_dval(n));
		break;
	case ST_BOOLEAN:
		if (n->type != NODE_BOOL) {
			type_error(w, s, n);
			return;
		}
		break;
	case ST_INT_OR_STRING:
		if (n->type == NODE_INT)
			check_integer(w, s, n);
		else if (n->type == NODE_STR)
			check_string(w, s, n);
		else {
			type_error(w, s, n);
			return;
		}
		break;
	default:
		return;
	}
	for (unsigned i = 0; i < s->ncels; i++)
		cel_scalar(w, s, &schema_cels[s->cels + i], n);
}

void schema_check(struct diag_list *d, const struct resource *r)
{
	const struct schema_node *s = NULL;
	if (resource_kind_is_gateway_api(r->kind) && r->api_version) {
		/* A version whose schema differs: "group/version/Kind". */
		char key[160];
		snprintf(key, sizeof(key), "%s/%s", r->api_version, r->kind_name);
		s = schema_root_for(key);
	}
	if (!s)
		s = schema_root_for(resource_schema_name(r->kind));
	if (!s || !r->root)
		return;
	struct walk w = { d, r };
	check_value(&w, s, r->root);
}
