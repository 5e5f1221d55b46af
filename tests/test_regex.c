/*
 * Regexes in the route table match as RE2 would (runtime/mrt_regex.c):
 *  - long values and nested quantifiers that exhaust PCRE2's backtracking
 *    limits are still decided (by the linear-time engine), so a request
 *    never falls through to a later route because a regex gave up;
 *  - the linear-time engine agrees with PCRE2 wherever PCRE2 finishes,
 *    over a spread of RE2 syntax and of values (ASCII, UTF-8, invalid
 *    UTF-8, newlines);
 *  - a match neither engine can decide (a hand-made table only) is
 *    MRT_MATCH_ERROR from mrt_match_checked(), never "no match".
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler.h"
#include "meshrt.h"
#include "mrt_internal.h"
#include "route_model.h"
#include "unit.h"

#define VALUE_MAX (60 * 1024)      /* Envoy's default header size limit */

static struct rm_route *route(struct route_model *m, const char *name,
			      const char *regex)
{
	struct rm_route *r = arena_alloc(&m->arena, sizeof(*r));
	r->name = name;
	r->vs = "t/vs";
	r->kind = MRT_ROUTE_HTTP;
	r->action = MRT_ACTION_ROUTE;
	r->timeout_ms = MRT_UNSET;
	if (regex) {
		r->matches = arena_alloc(&m->arena, sizeof(*r->matches));
		r->matches[0].conds = arena_alloc(&m->arena, sizeof(struct rm_cond));
		memset(r->matches[0].conds, 0, sizeof(struct rm_cond));
		r->matches[0].conds[0].field = MRT_FIELD_HEADER;
		r->matches[0].conds[0].op = MRT_OP_REGEX;
		r->matches[0].conds[0].key = "x-v";
		r->matches[0].conds[0].value = regex;
		r->matches[0].n = 1;
		r->n_matches = 1;
	}
	r->dests = arena_alloc(&m->arena, sizeof(*r->dests));
	r->dests[0].cluster = route_model_cluster(m, "svc.t.svc.cluster.local", NULL, 80);
	r->dests[0].weight = 100;
	r->n_dests = 1;
	return r;
}

/* A table of one host with routes "re<i>" (header x-v matching
 * patterns[i]) in order, then a catch-all route "later". */
static void *table_of(const char *const *patterns, size_t n, size_t *len)
{
	struct route_model m;
	char err[256], name[16];
	route_model_init(&m, "cluster.local");
	struct rm_listener *l = route_model_listener(&m, "mesh", 80, NULL);
	struct rm_vhost *vh = route_model_vhost(&m, l, "svc.t.svc.cluster.local");
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "re%zu", i);
		route_list_add(&m, vh->routes, route(&m, arena_strdup(&m.arena, name),
						      patterns[i]));
	}
	route_list_add(&m, vh->routes, route(&m, "later", NULL));
	void *blob = route_emit(&m, len, err, sizeof(err));
	route_model_release(&m);
	return blob;
}

static mrt_table *open_patterns(const char *const *patterns, size_t n, void **blob)
{
	size_t len;
	char err[256];
	mrt_table *t = NULL;
	*blob = table_of(patterns, n, &len);
	if (!*blob || mrt_open_buffer(*blob, len, &t, err, sizeof(err)) != 0)
		return NULL;
	return t;
}

/* The route a request with header x-v: value reaches; "(error)" for
 * MRT_MATCH_ERROR. */
static const char *routed(const mrt_table *t, const char *value)
{
	mrt_header h = { "x-v", value };
	mrt_request q = { .host = "svc.t.svc.cluster.local", .port = 80, .path = "/",
			  .headers = &h, .n_headers = 1 };
	mrt_result res;
	switch (mrt_match_checked(t, &q, &res)) {
	case MRT_MATCH_FOUND: return mrt_route_name(t, res.route);
	case MRT_MATCH_NONE: return "(none)";
	default: return "(error)";
	}
}

/* fill + count copies of unit + tail, in a static buffer */
static const char *value(const char *unit, size_t total, const char *tail)
{
	static char buf[VALUE_MAX + 64];
	size_t ul = strlen(unit), n = 0;
	while (n + ul <= total && n + ul < sizeof(buf) - 64) {
		memcpy(buf + n, unit, ul);
		n += ul;
	}
	snprintf(buf + n, sizeof(buf) - n, "%s", tail);
	return buf;
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "test_regex: a match did not finish in time\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(3);
}

/*
 * Each pattern first, on a value it matches and one it does not, both
 * near Envoy's 60 KiB limit: the right route, never the later one.
 * These exhaust PCRE2's JIT stack or match limit (the first is the
 * issue's `(a|b)*c` on a 5 KB header).
 */
static void test_long_values(void)
{
	static const char *const pats[] = {
		"(a|b)*c",                   /* deep: one backtrack frame per byte */
		"(a|aa)*c",                  /* exponential alternatives */
		"(x+x+)+y",                  /* nested quantifiers */
		"(.*)*z",
		"(\\w+\\s?)+!",
		"^(([a-z])+.)+[A-Z]([a-z])+$",
		"((ab)*|(ba)*)*c",
	};
	struct { size_t pat; const char *unit; const char *tail; const char *want; } cases[] = {
		{ 0, "ab", "c", "re0" }, { 0, "ab", "", "later" },
		{ 1, "a", "c", "re1" }, { 1, "a", "b", "later" },
		{ 2, "x", "y", "re2" }, { 2, "x", "z", "later" },
		{ 3, "ab", "z", "re3" }, { 3, "ab", "", "later" },
		{ 4, "word ", "!", "re4" }, { 4, "word ", "?", "later" },
		{ 5, "aaaa", "Ab", "re5" }, { 5, "aaaa", "!", "later" },
		{ 6, "ab", "c", "re6" }, { 6, "ab", "d", "later" },
	};
	signal(SIGALRM, on_alarm);
	alarm(120);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		void *blob;
		mrt_table *t = open_patterns(&pats[cases[i].pat], 1, &blob);
		CHECK(t != NULL);
		if (!t)
			continue;
		const char *want = strcmp(cases[i].want, "later") == 0 ? "later" : "re0";
		for (size_t size = 5000; size <= VALUE_MAX; size += VALUE_MAX - 5000) {
			const char *got = routed(t, value(cases[i].unit, size, cases[i].tail));
			if (strcmp(got, want) != 0)
				fprintf(stderr, "  %s on %zu bytes of \"%s\"+\"%s\": %s, want %s\n",
					pats[cases[i].pat], size, cases[i].unit, cases[i].tail, got, want);
			CHECK_STR(got, want);
		}
		mrt_close(t);
		free(blob);
	}
	alarm(0);
}

/* Patterns RE2 accepts, each with values: the NFA must agree with PCRE2
 * (which finishes on all of these) on every one. */
static void test_engines_agree(void)
{
	static const char *const pats[] = {
		"abc", "a.c", "(?s)a.c", "a.*c", "a+b*c?", "(ab|cd)+", "ab|cd|", "(|x)y",
		"[a-c]+", "[^a-c]+", "[]a]", "[^]a]+", "[a-]+", "[[:alpha:]]+", "[[:^digit:]]+",
		"\\d+", "\\D+", "\\w+", "\\W+", "\\s+", "\\S+", "\\pL+", "\\PL+", "\\p{Greek}+",
		"\\p{Lu}\\p{Ll}*", "[\\p{Greek}\\d]+", "(?i)abc", "(?i)straße", "(?i)[a-z]+",
		"(?i:ab)c", "a(?i)b(?-i)c", "\\x41\\x{42}\\x{1F600}?", "\\0101?", "a\\.b\\*\\?",
		"\\Qa.b*\\E+", "a{2}", "a{2,}", "a{2,4}", "a{,2}", "a{", "(a{2}){2,3}b",
		"a*?b", "a+?b", "a??b", "(?U)a+b", "^abc$", "(?m)^b$", "(?m)a$\\n^b",
		"\\Aab\\z", "\\bfoo\\b", "foo\\B", "\\B\\w+", "(?P<n>a)+", "(?<n>b)+",
		"(?:a|b)*c", "((a)|(b))*", "é+", "[é-ë]+", ".", "...", "(?s).+", "[\\x{100}-\\x{10FFFF}]+",
		"\\t\\n\\r\\f\\v\\a", "[\\d\\s]+", "a|b|c|d|e|f|g", "(a*)*b", "(a|b)*?c",
		"x*", "", "\\*+", "[.]", "\\$\\^", "a\\b", "\\W\\b\\w", "(?i)k", "(?i)\\x{212A}",
	};
	static const char *const values[] = {
		"", "a", "abc", "aBc", "ABC", "a\nc", "abab", "cdcd", "abcd", "y", "xy", "]",
		"a]", "ab-", "héllo", "123", "  \t", "word_1", "αβγ", "Αλφα", "Straße", "STRASSE",
		"AB\xf0\x9f\x98\x80", "AB", "A1", "a.b*?", "a.b*a.b*", "aa", "aaa", "aaaaa",
		"xxxxxx", "aab", "aaab", "b", "ab", "abc\n", "a\nb", "foo", "foo bar", "foobar",
		"éèë", "ëéè", "\xff", "a\xff" "b", "\xc3", "ab\xc3\xa9", "\t\n\r\f\x0b\x07",
		"12 34", "g", "k", "K", "\xe2\x84\xaa", "**", ".", "$^", "a b", "a!b", "!b",
		"xyzzy", "cabbage", "\xf4\x90\x80\x80", "\xed\xa0\x80", "{", "a{", "a{,2}",
	};
	size_t np = sizeof(pats) / sizeof(pats[0]), nv = sizeof(values) / sizeof(values[0]);
	void *blob;
	mrt_table *t = open_patterns(pats, np, &blob);
	CHECK(t != NULL);
	if (!t)
		return;
	unsigned compared = 0, differ = 0, refused = 0;
	for (size_t p = 0; p < np; p++) {
		for (size_t v = 0; v < nv; v++) {
			int a = mrt_regex_match(t, (uint32_t)p, values[v], strlen(values[v]));
			int b = mrt_regex_match_nfa(t, p, values[v], strlen(values[v]));
			if (b < 0) {
				refused++;
				fprintf(stderr, "  the NFA cannot run /%s/\n", pats[p]);
				break;
			}
			compared++;
			if (a != b) {
				differ++;
				fprintf(stderr, "  /%s/ on \"%s\": PCRE2 %d, NFA %d\n", pats[p],
					values[v], a, b);
			}
		}
	}
	CHECK(compared == np * nv);
	CHECK(differ == 0);
	CHECK(refused == 0);
	mrt_close(t);
	free(blob);
}

/* A pattern the NFA cannot run (a backreference: only in a hand-made
 * table) on a value PCRE2 gives up on: MRT_MATCH_ERROR, and the later
 * route is not taken. mrt_match() says NULL, as its contract allows. */
static void test_undecidable(void)
{
	static const char *const pats[] = { "(a|aa)+\\1c" };
	void *blob;
	mrt_table *t = open_patterns(pats, 1, &blob);
	CHECK(t != NULL);
	if (!t)
		return;
	CHECK_STR(routed(t, "aac"), "re0");             /* PCRE2 decides this one */
	CHECK_STR(routed(t, value("a", 5000, "bc")), "(error)");
	mrt_header h = { "x-v", value("a", 5000, "bc") };
	mrt_request q = { .host = "svc.t.svc.cluster.local", .port = 80, .path = "/",
			  .headers = &h, .n_headers = 1 };
	CHECK(mrt_match(t, &q) == NULL);
	mrt_close(t);
	free(blob);
}

int main(void)
{
	RUN(test_long_values);
	RUN(test_engines_agree);
	RUN(test_undecidable);
	return unit_end();
}
