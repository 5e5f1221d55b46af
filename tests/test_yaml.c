/*
 * Unit tests of the YAML front end: scalar typing as go-yaml v2 does it,
 * positions, merge keys, aliases by reference, duplicate keys, limits, and
 * field paths; hostile input (issue 11): anchors in linear time, memory
 * bounded per input byte, repeated diagnostics capped per document, NUL
 * escapes refused at their position, byte order marks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compiler.h"
#include "unit.h"
#include "unit_yaml.h"

/* The type the plain scalar `text` resolves to. */
static enum node_type plain_type(const char *text)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "v: %s\n", text);
	struct unit_yaml *p = unit_yaml_parse(buf);
	enum node_type t = p->u.ndocs ? node_get(p->u.docs[0], "v")->type : NODE_MAP;
	unit_yaml_free(p);
	return t;
}

static void test_yaml11_scalars(void)
{
	const char *bools[] = { "yes", "No", "ON", "off", "y", "N", "true", "FALSE" };
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
		CHECK(plain_type(bools[i]) == NODE_BOOL);
	CHECK(plain_type("~") == NODE_NULL);
	CHECK(plain_type("null") == NODE_NULL);
	CHECK(plain_type("42") == NODE_INT);
	CHECK(plain_type("-0x1F") == NODE_INT);
	CHECK(plain_type("0b101") == NODE_INT);
	CHECK(plain_type("1_000") == NODE_INT);
	CHECK(plain_type("1.5") == NODE_FLOAT);
	CHECK(plain_type("1e3") == NODE_FLOAT);
	CHECK(plain_type(".inf") == NODE_FLOAT);
	CHECK(plain_type("08") == NODE_FLOAT);   /* not octal: ParseFloat */
	CHECK(plain_type("1.2.3") == NODE_STR);
	CHECK(plain_type("yesno") == NODE_STR);
	CHECK(plain_type("\"yes\"") == NODE_STR);
	CHECK(plain_type("!!str 42") == NODE_STR);
	CHECK(plain_type("'42'") == NODE_STR);
	CHECK(plain_type("18446744073709551615") == NODE_INT);
	CHECK(plain_type("18446744073709551616") == NODE_FLOAT);
}

static void test_int_values(void)
{
	struct unit_yaml *p = unit_yaml_parse("a: 0x10\nb: 017\nc: -5\nd: 1_000\n");
	const struct node *d = p->u.docs[0];
	CHECK(node_get(d, "a")->ival == 16);
	CHECK(node_get(d, "b")->ival == 15);
	CHECK(node_get(d, "c")->ival == -5);
	CHECK(node_get(d, "d")->ival == 1000);
	unit_yaml_free(p);
}

static void test_positions(void)
{
	struct unit_yaml *p = unit_yaml_parse("# c\nspec:\n  hosts:\n  - \"a\"\n  - b\n---\nx: 1\n");
	CHECK(p->u.ndocs == 2);
	const struct node *hosts = node_get(node_get(p->u.docs[0], "spec"), "hosts");
	CHECK(hosts && hosts->line == 4 && hosts->col == 3);
	CHECK(hosts->items[0]->line == 4 && hosts->items[0]->col == 5);
	CHECK(hosts->items[1]->line == 5 && hosts->items[1]->col == 5);
	const struct node_pair *x = node_get_pair(p->u.docs[1], "x");
	CHECK(x->key->line == 7 && x->key->col == 1);
	CHECK(x->value->line == 7 && x->value->col == 4);
	unit_yaml_free(p);
}

static void test_merge_and_alias(void)
{
	struct unit_yaml *p = unit_yaml_parse("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\nr: *b\n");
	const struct node *d = p->u.docs[0];
	const struct node *m = node_get(d, "m");
	CHECK(m->n == 2);
	CHECK(node_get(m, "x")->ival == 1);
	CHECK(node_get(m, "y")->ival == 3);   /* explicit keys win */
	CHECK(node_get(d, "r") == node_get(d, "base"));   /* by reference */
	CHECK(p->u.diags.n == 0);
	/* The place a node was written: an alias does not move it. */
	const struct node *base = node_get(d, "base");
	CHECK(node_key(base) && strcmp(node_key(base)->text, "base") == 0);
	CHECK(node_index(base) == 0 && node_index(m) == 1);
	CHECK(node_index(node_get(m, "y")) == 0);
	CHECK(node_key(d) == NULL);
	unit_yaml_free(p);
}

/* Plain scalars that start like numbers: which are numbers. */
static void test_number_like(void)
{
	struct unit_yaml *p = unit_yaml_parse(
		"a: 10s\nb: 1_\nc: 0x1F\nd: 1.\ne: 1e3\nf: 12_345\ng: 5xx\nh: 0b\ni: -.5\nj: 500ms\n");
	const struct node *d = p->u.docs[0];
	CHECK(node_get(d, "a")->type == NODE_STR);
	CHECK(node_get(d, "b")->type == NODE_INT && node_ival(node_get(d, "b")) == 1);
	CHECK(node_get(d, "c")->type == NODE_INT && node_ival(node_get(d, "c")) == 31);
	CHECK(node_get(d, "d")->type == NODE_FLOAT && node_dval(node_get(d, "d")) == 1.0);
	CHECK(node_get(d, "e")->type == NODE_FLOAT && node_dval(node_get(d, "e")) == 1000.0);
	CHECK(node_get(d, "f")->type == NODE_INT && node_ival(node_get(d, "f")) == 12345);
	CHECK(node_get(d, "g")->type == NODE_STR);
	CHECK(node_get(d, "h")->type == NODE_STR);
	CHECK(node_get(d, "i")->type == NODE_FLOAT && node_dval(node_get(d, "i")) == -0.5);
	CHECK(node_get(d, "j")->type == NODE_STR);
	unit_yaml_free(p);
}

/* Parses text with an alias budget of `budget` nodes; the errors found. */
static size_t parse_with_alias_budget(const char *text, size_t budget)
{
	struct unit_yaml *p = unit_yaml_parse_budget(text, budget);
	size_t n = p->u.diags.n;
	unit_yaml_free(p);
	return n;
}

/*
 * Each alias spends its anchor's whole subtree, nested aliases counted:
 * a is 3 nodes, b is 1 + 3 + 3; the aliases spend 2 * 3 + 2 * 7 = 20.
 */
static void test_alias_weight(void)
{
	const char *text = "a: &a [1, 2]\nb: &b [*a, *a]\nc: [*b, *b]\n";
	CHECK(parse_with_alias_budget(text, 20) == 0);
	CHECK(parse_with_alias_budget(text, 19) == 1);
	/* A name taken again inside its own collection names the inner node. */
	const char *inner = "a: &x [&x [1, 2], 3]\nb: *x\n";
	CHECK(parse_with_alias_budget(inner, 3) == 0);
	CHECK(parse_with_alias_budget(inner, 2) == 1);
	struct unit_yaml *p = unit_yaml_parse(text);
	const struct node *c = node_get(p->u.docs[0], "c");
	CHECK(c && c->n == 2 && c->items[1] == node_get(p->u.docs[0], "b"));
	unit_yaml_free(p);
}

static void test_duplicate_keys_large_map(void)
{
	char buf[4096];
	size_t n = 0;
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "k%d: 1\n", i);
	snprintf(buf + n, sizeof(buf) - n, "k42: 2\n");
	struct unit_yaml *p = unit_yaml_parse(buf);
	CHECK(p->u.diags.n == 1);
	CHECK(p->u.diags.items[0].code == MSH0004);
	CHECK(p->u.diags.items[0].line == 101);
	unit_yaml_free(p);
}

static void test_errors_do_not_stop_other_documents(void)
{
	struct unit_yaml *p = unit_yaml_parse("a: [1\n---\nb: 2\n---\nc: \"x\n---\nd: 4\n");
	CHECK(p->u.ndocs == 2);
	CHECK(p->u.diags.n == 2);
	unit_yaml_free(p);
}

static void test_limits(void)
{
	struct unit_yaml *p = unit_yaml_parse("a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
					      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n");
	CHECK(p->u.diags.n == 1 && p->u.diags.items[0].code == MSH0002);
	CHECK(p->u.ndocs == 0);
	unit_yaml_free(p);
	p = unit_yaml_parse("a: &a [1]\nb: [*a, *a]\n");   /* small expansions are fine */
	CHECK(p->u.diags.n == 0 && p->u.ndocs == 1);
	unit_yaml_free(p);
}

static void test_paths(void)
{
	struct unit_yaml *p = unit_yaml_parse("spec:\n  http:\n  - route:\n    - destination: {host: a}\n"
					      "  labels:\n    topology.kubernetes.io/zone: z\n");
	const struct node *root = p->u.docs[0];
	const struct node *spec = node_get(root, "spec");
	const struct node *host = node_get(node_get(node_get(node_get(spec, "http")->items[0],
							   "route")->items[0], "destination"), "host");
	struct arena a;
	arena_init(&a);
	CHECK_STR(diag_node_path(&a, root, host), "spec.http[0].route[0].destination.host");
	const struct node *zone = node_get(node_get(spec, "labels"), "topology.kubernetes.io/zone");
	CHECK_STR(diag_node_path(&a, root, zone), "spec.labels[\"topology.kubernetes.io/zone\"]");
	arena_release(&a);
	unit_yaml_free(p);
}

static void test_resources(void)
{
	struct unit_yaml *p = unit_yaml_parse("apiVersion: v1\nkind: List\nitems:\n"
					      "- apiVersion: networking.istio.io/v1beta1\n  kind: Gateway\n"
					      "  metadata: {name: g}\n  spec: {}\n"
					      "- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: d}\n");
	resources_from_unit(&p->u, &p->opt);
	CHECK(p->u.nres == 1);
	CHECK(p->u.res[0]->kind == KIND_GATEWAY);
	CHECK_STR(resource_origin(p->u.res[0], &p->u.arena), "Gateway default/g");
	CHECK(p->u.diags.n == 0);
	unit_yaml_free(p);
}


/* ---- hostile input (issue 11) ---- */

/* A heap buffer that grows as text is appended. */
struct text {
	char *s;
	size_t n, cap;
};

static void text_add(struct text *t, const char *s)
{
	size_t l = strlen(s);
	if (t->n + l + 1 > t->cap) {
		t->cap = (t->n + l + 1) * 2;
		t->s = xrealloc(t->s, t->cap);
	}
	memcpy(t->s + t->n, s, l + 1);
	t->n += l;
}

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A document of n anchors, then an alias to every 100th (within the alias budget). */
static char *anchors_doc(size_t n)
{
	struct text t = { 0 };
	char line[64];
	text_add(&t, "defs:\n");
	for (size_t i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "- &a%zu v%zu\n", i, i);
		text_add(&t, line);
	}
	text_add(&t, "uses:\n");
	for (size_t i = 0; i < n; i += 100) {
		snprintf(line, sizeof(line), "- *a%zu\n", i);
		text_add(&t, line);
	}
	return t.s;
}

/* Best of two parses: CPU seconds. */
static double parse_time(const char *text, size_t *diags)
{
	double best = 1e9;
	for (int r = 0; r < 2; r++) {
		double t0 = cpu_seconds();
		struct unit_yaml *p = unit_yaml_parse(text);
		double t = cpu_seconds() - t0;
		*diags = p->u.diags.n;
		unit_yaml_free(p);
		if (t < best)
			best = t;
	}
	return best;
}

/*
 * Anchors are found by hash: 8x the anchors costs about 8x the time
 * (a linear scan per anchor and alias made it 64x: 200,000 anchors took
 * over a minute). Bound: 24x plus 50 ms of slack.
 */
static void test_anchors_linear(void)
{
	char *small = anchors_doc(25000), *big = anchors_doc(200000);
	size_t ds = 1, db = 1;
	double ts = parse_time(small, &ds), tb = parse_time(big, &db);
	CHECK(ds == 0 && db == 0);
	CHECK(tb <= 24 * ts + 0.05);
	if (tb > 24 * ts + 0.05)
		fprintf(stderr, "anchors: 25k %.3fs, 200k %.3fs\n", ts, tb);
	free(small);
	free(big);
	/* A redefined anchor: aliases after it see the new node. */
	struct unit_yaml *p = unit_yaml_parse("a: &x 1\nb: *x\nc: &x 2\nd: *x\n---\ne: *x\n");
	CHECK(node_get(p->u.docs[0], "b")->ival == 1);
	CHECK(node_get(p->u.docs[0], "d")->ival == 2);
	/* Anchors do not outlive their document. */
	CHECK(p->u.ndocs == 1 && p->u.diags.n == 1 && p->u.diags.items[0].code == MSH0001);
	unit_yaml_free(p);
}

/*
 * Memory per input byte is bounded: a flow sequence of two-byte items
 * (`[1,1,...]`, 50 bytes of tree per input byte without a bound) stops
 * at the node budget with MSH0002 at the node, and the arena stays within
 * 20 bytes per input byte plus the floor's share.
 */
static void test_memory_per_input_byte(void)
{
	size_t items = 1500000;
	char *s = xmalloc(items * 2 + 8);
	size_t n = 0;
	s[n++] = 'x'; s[n++] = ':'; s[n++] = ' '; s[n++] = '[';
	for (size_t i = 0; i < items; i++) {
		s[n++] = '1';
		s[n++] = i + 1 < items ? ',' : ']';
	}
	s[n++] = '\n';
	s[n] = '\0';
	struct unit_yaml *p = unit_yaml_parse(s);
	CHECK(p->u.ndocs == 0);
	CHECK(p->u.diags.n == 1 && p->u.diags.items[0].code == MSH0002);
	CHECK(p->u.diags.n == 1 && p->u.diags.items[0].line == 1 &&
	      p->u.diags.items[0].col > 100000);
	CHECK(p->u.arena.used_bytes <= 20 * n + 100 * 65536);
	if (p->u.arena.used_bytes > 20 * n + 100 * 65536)
		fprintf(stderr, "tree: %zu bytes for %zu bytes of input\n",
			p->u.arena.used_bytes, n);
	unit_yaml_free(p);
	free(s);
	/* An ordinary dense config is far from the budget. */
	struct text t = { 0 };
	for (int i = 0; i < 20000; i++)
		text_add(&t, "- host: a\n  port: 80\n");
	p = unit_yaml_parse(t.s);
	CHECK(p->u.ndocs == 1 && p->u.diags.n == 0);
	unit_yaml_free(p);
	free(t.s);
}

/*
 * 10,000 duplicate keys in one document (a flow map writes them in 5
 * bytes each) give 100 diagnostics and one summary counting the rest;
 * the next document has its own count.
 */
static void test_duplicate_key_cap(void)
{
	struct text t = { 0 };
	text_add(&t, "{");
	for (int i = 0; i < 10000; i++)
		text_add(&t, i ? ",a: 1" : "a: 1");
	text_add(&t, "}\n---\nb: 1\nb: 2\n");
	struct unit_yaml *p = unit_yaml_parse(t.s);
	size_t dup = 0, summary = 0;
	for (size_t i = 0; i < p->u.diags.n; i++) {
		const struct diag *d = &p->u.diags.items[i];
		CHECK(d->code == MSH0004);
		if (strstr(d->message, "9899 more MSH0004 (DuplicateKey)"))
			summary++;
		else if (strstr(d->message, "duplicate key \"a\""))
			dup++;
	}
	CHECK(dup == DIAG_CAP_PER_KIND && summary == 1);
	CHECK(p->u.diags.n == DIAG_CAP_PER_KIND + 2);   /* + b in document 2 */
	unit_yaml_free(p);
	free(t.s);
}

/* The one diagnostic of `text`: its code, line, column. */
static void one_diag(const char *text, enum diag_code code, unsigned line,
		     unsigned col, size_t ndocs)
{
	struct unit_yaml *p = unit_yaml_parse(text);
	CHECK(p->u.diags.n == 1);
	if (p->u.diags.n == 1) {
		const struct diag *d = &p->u.diags.items[0];
		CHECK(d->code == code && d->line == line && d->col == col);
		if (!(d->code == code && d->line == line && d->col == col))
			fprintf(stderr, "  %u:%u %s\n", d->line, d->col, d->message);
	}
	CHECK(p->u.ndocs == ndocs);
	unit_yaml_free(p);
}

/*
 * A NUL from an escape is refused at the escape, whatever its form; the
 * value is never cut short (`exact: "jason\0admin"` read as "jason").
 */
static void test_nul_escapes(void)
{
	one_diag("m:\n  exact: \"jason\\0admin\"\n", MSH0003, 2, 16, 0);
	one_diag("a: \"x\\x00\"\n", MSH0003, 1, 6, 0);
	one_diag("a: \"\\\\0 \\u0000\"\n", MSH0003, 1, 9, 0);
	one_diag("a: \"p\\\n  \\U00000000\"\n", MSH0003, 2, 3, 0);
	one_diag("{k: \"\\0\"}\n---\nb: 1\n", MSH0003, 1, 6, 1);   /* next document read */
	/* "\\0" is a backslash and a zero, not a NUL. */
	struct unit_yaml *p = unit_yaml_parse("a: \"\\\\0\"\n");
	CHECK(p->u.diags.n == 0);
	CHECK_STR(node_str(node_get(p->u.docs[0], "a")), "\\0");
	unit_yaml_free(p);
}

/* A UTF-8 byte order mark opens a stream as YAML allows; elsewhere it is named. */
static void test_byte_order_mark(void)
{
	struct unit_yaml *p = unit_yaml_parse("\xEF\xBB\xBF" "a: 1\nb: 2\n");
	CHECK(p->u.diags.n == 0 && p->u.ndocs == 1);
	CHECK(node_get(p->u.docs[0], "b") && node_get(p->u.docs[0], "b")->ival == 2);
	CHECK(node_get_pair(p->u.docs[0], "a")->key->col == 1);
	unit_yaml_free(p);
	p = unit_yaml_parse("a: 1\n\xEF\xBB\xBF" "b: 2\n");
	bool named = false;
	for (size_t i = 0; i < p->u.diags.n; i++)
		named |= p->u.diags.items[i].code == MSH0003 &&
			 p->u.diags.items[i].line == 2 &&
			 strstr(p->u.diags.items[i].message, "byte order mark") != NULL;
	CHECK(named);
	unit_yaml_free(p);
}

int main(void)
{
	RUN(test_yaml11_scalars);
	RUN(test_int_values);
	RUN(test_positions);
	RUN(test_merge_and_alias);
	RUN(test_alias_weight);
	RUN(test_number_like);
	RUN(test_duplicate_keys_large_map);
	RUN(test_errors_do_not_stop_other_documents);
	RUN(test_limits);
	RUN(test_paths);
	RUN(test_anchors_linear);
	RUN(test_memory_per_input_byte);
	RUN(test_duplicate_key_cap);
	RUN(test_nul_escapes);
	RUN(test_byte_order_mark);
	RUN(test_resources);
	return unit_end();
}
