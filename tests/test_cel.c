/*
 * Unit tests of the CEL interpreter (compiler/cel_parse.c, cel_eval.c):
 * every rule of the embedded Gateway API schemas parses and evaluates (none
 * is skipped: each gives a pass, a failure or an evaluation error on an
 * empty object and an empty list, never "cannot evaluate"), the language
 * semantics the rules rely on, and the parser's rejections.
 */
#include <stdlib.h>
#include <string.h>

#include "cel.h"
#include "compiler.h"
#include "schema.h"
#include "unit.h"
#include "unit_yaml.h"

/* Evaluates src with self = the first document of yaml (NULL: null). */
static enum cel_outcome run(const char *src, const char *yaml, char *err, size_t cap)
{
	struct cel_program prog;
	char perr[160];
	if (!cel_parse(src, &prog, perr, sizeof(perr))) {
		snprintf(err, cap, "parse: %s", perr);
		return (enum cel_outcome)-1;
	}
	struct unit_yaml *p = yaml ? unit_yaml_parse(yaml) : NULL;
	const struct node *self = p && p->u.ndocs ? p->u.docs[0] : NULL;
	enum cel_outcome o = cel_eval_program(&prog, self, NULL, err, cap);
	if (p)
		unit_yaml_free(p);
	cel_program_free(&prog);
	return o;
}

static bool holds(const char *src, const char *yaml)
{
	char err[256] = "";
	enum cel_outcome o = run(src, yaml, err, sizeof(err));
	if (o != CEL_PASS)
		fprintf(stderr, "    %s -> %d %s\n", src, (int)o, err);
	return o == CEL_PASS;
}

static bool fails(const char *src, const char *yaml)
{
	char err[256] = "";
	return run(src, yaml, err, sizeof(err)) == CEL_FAIL;
}

static bool errs(const char *src, const char *yaml, const char *want)
{
	char err[256] = "";
	enum cel_outcome o = run(src, yaml, err, sizeof(err));
	if (o != CEL_ERROR || !strstr(err, want))
		fprintf(stderr, "    %s -> %d %s (want error %s)\n", src, (int)o, err, want);
	return o == CEL_ERROR && strstr(err, want);
}

/* Every CEL_EXPR rule of the tables parses and evaluates on {} and []. */
static void test_every_rule(void)
{
	size_t n = cel_init(), seen = 0, transition = 0;
	CHECK(n >= 90);
	struct unit_yaml *m = unit_yaml_parse("{}\n");
	struct unit_yaml *l = unit_yaml_parse("[]\n");
	for (size_t i = 0; i < schema_ncels; i++) {
		if (schema_cels[i].id != CEL_EXPR)
			continue;
		seen++;
		char err[256];
		for (int k = 0; k < 2; k++) {
			const struct node *self = (k ? l : m)->u.docs[0];
			enum cel_outcome o = cel_eval_rule((unsigned)i, self, NULL, err, sizeof(err));
			if (o == CEL_NOT_APPLICABLE) {
				transition += k == 0;
				CHECK(strstr(schema_cels[i].expr, "oldSelf") != NULL);
				continue;
			}
			CHECK(o == CEL_PASS || o == CEL_FAIL || o == CEL_ERROR);
			if (o == CEL_ERROR && (strstr(err, "undeclared") ||
					       strstr(err, "not a CEL") ||
					       strstr(err, "unknown expression"))) {
				CHECK(!"rule cannot be evaluated");
				fprintf(stderr, "    rule %zu: %s: %s\n", i, err, schema_cels[i].expr);
			}
		}
	}
	CHECK(seen == n);
	CHECK(transition >= 1);   /* GatewayClass controllerName: self == oldSelf */
	unit_yaml_free(m);
	unit_yaml_free(l);
}

static void test_literals_and_operators(void)
{
	CHECK(holds("1 + 2 * 3 == 7", NULL));
	CHECK(holds("-5 % 3 == -2 && 7 / 2 == 3", NULL));
	CHECK(holds("'a' + \"b\" == 'ab'", NULL));
	CHECK(holds("r\"\"\"^\\d+$\"\"\" == '^\\\\d+$'", NULL));
	CHECK(holds("'\\x41\\u00e9' == 'Aé' && size('Aé') == 2", NULL));
	CHECK(holds("[1, 2] + [3] == [1, 2, 3] && 2 in [1, 2]", NULL));
	CHECK(holds("{'a': 1}['a'] == 1 && 'a' in {'a': 1}", NULL));
	CHECK(holds("1 == 1.0 && 1u == 1 && 2 > 1u", NULL));
	CHECK(holds("true ? 1 == 1 : 1 / 0 == 1", NULL));
	CHECK(holds("'abc' < 'abd' && !(2 < 1)", NULL));
	CHECK(errs("1 / 0 == 1", NULL, "division by zero"));
	CHECK(errs("9223372036854775807 + 1 > 0", NULL, "overflow"));
	CHECK(errs("'a' < 1", NULL, "no matching overload"));
	CHECK(errs("1 ? true : false", NULL, "no matching overload"));
}

/* && and || absorb an error when the other side decides (cel-spec). */
static void test_error_absorption(void)
{
	CHECK(fails("self.missing == 1 && false", "{}\n"));
	CHECK(holds("self.missing == 1 || true", "{}\n"));
	CHECK(holds("true || self.missing == 1", "{}\n"));
	CHECK(errs("self.missing == 1 && true", "{}\n", "no such key: missing"));
	CHECK(errs("self.missing == 1 || false", "{}\n", "no such key: missing"));
}

static void test_fields(void)
{
	const char *y = "a: {b: 2}\nnamespace: ns\nl: [x, w]\nn: null\n";
	CHECK(holds("self.a.b == 2 && has(self.a.b) && !has(self.a.c)", y));
	CHECK(holds("self.__namespace__ == 'ns' && has(self.__namespace__)", y));
	CHECK(holds("self.l[1] == 'w' && self.l.size() == 2 && size(self.l) == 2", y));
	CHECK(holds("!has(self.n)", y));   /* a null is pruned */
	CHECK(errs("self.l[2] == 'z'", y, "index out of range"));
	CHECK(errs("self.a.c == 1", y, "no such key: c"));
	CHECK(errs("self.l.b == 1", y, "no such key"));
}

static void test_macros(void)
{
	const char *y = "- {n: a, p: 1}\n- {n: b, p: 2}\n- {n: c, p: 2}\n";
	CHECK(holds("self.all(x, x.p > 0) && self.exists(x, x.n == 'b')", y));
	CHECK(fails("self.all(l1, self.exists_one(l2, l1.p == l2.p))", y));
	CHECK(holds("self.filter(x, x.p == 2).size() == 2", y));
	CHECK(holds("self.map(x, x.n) == ['a', 'b', 'c']", y));
	CHECK(holds("self.map(x, x.p == 2, x.n) == ['b', 'c']", y));
	CHECK(holds("self.exists_one(x, x.n == 'a')", y));
	/* all(): a false element wins over an error, else the error. */
	CHECK(fails("self.all(x, x.q == 1 || x.n == 'z')", "- {n: a}\n- {n: b, q: 2}\n") ||
	      errs("self.all(x, x.q == 1 || x.n == 'z')", "- {n: a}\n- {n: b, q: 2}\n", "no such key"));
	CHECK(fails("self.all(x, x.n == 'z' && x.q == 1)", "- {n: a}\n"));
	CHECK(errs("self.all(x, x.q == 1)", "- {n: a}\n", "no such key: q"));
	CHECK(holds("self.all(k, k.startsWith('a'))", "a1: 1\na2: 2\n"));
}

static void test_strings(void)
{
	CHECK(holds("'example.com'.matches('^[a-z.]+$') && !'A'.matches('^[a-z]$')", NULL));
	CHECK(holds("'Foo'.matches('(?i)^foo$')", NULL));
	CHECK(holds("'abc'.contains('b') && 'abc'.startsWith('ab') && 'abc'.endsWith('bc')", NULL));
	CHECK(holds("'a/b/c'.split('/') == ['a', 'b', 'c'] && 'a/b'.split('/')[0] == 'a'", NULL));
	CHECK(holds("'a/b/c'.split('/', 2) == ['a', 'b/c'] && ''.split('/') == ['']", NULL));
	CHECK(holds("'*.example.com'.substring(2) == 'example.com'", NULL));
	CHECK(holds("'unix:///x'.substring(7, 8) == '/'", NULL));
	CHECK(errs("'ab'.substring(3) == ''", NULL, "out of range"));
	CHECK(holds("isIP('10.0.0.1') && isIP('::1') && !isIP('example.com')", NULL));
	CHECK(holds("!isIP('fe80::1%eth0') && !isIP('010.0.0.1')", NULL));
	CHECK(holds("duration('1m30s') > duration('90s') == false && duration('2s') > duration('1500ms')", NULL));
	CHECK(errs("duration('soon') > duration('1s')", NULL, "invalid duration"));
	CHECK(holds("int('42') == 42 && string(42) == '42' && 'AbC'.lowerAscii() == 'abc'", NULL));
	CHECK(errs("'['.matches('[')", NULL, "invalid regular expression"));
}

static void test_parse_errors(void)
{
	CHECK(cel_check_syntax("self.foo(1)") != NULL);        /* unknown function */
	CHECK(cel_check_syntax("frobnicate(self)") != NULL);
	CHECK(cel_check_syntax("self.all(1, true)") != NULL);  /* macro variable */
	CHECK(cel_check_syntax("has(self)") != NULL);          /* has() needs a.b */
	CHECK(cel_check_syntax("1 +") != NULL);
	CHECK(cel_check_syntax("'open") != NULL);
	CHECK(cel_check_syntax("a b") != NULL);
	CHECK(cel_check_syntax("self.x == oldSelf.x") == NULL);
}

int main(void)
{
	RUN(test_every_rule);
	RUN(test_literals_and_operators);
	RUN(test_error_absorption);
	RUN(test_fields);
	RUN(test_macros);
	RUN(test_strings);
	RUN(test_parse_errors);
	return unit_end();
}
