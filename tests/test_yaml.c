/*
 * Unit tests of the YAML front end: scalar typing as go-yaml v2 does it,
 * positions, merge keys, aliases by reference, duplicate keys, limits, and
 * field paths.
 */
#include <stdlib.h>
#include <string.h>

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
	CHECK_STR(p->u.res[0]->origin, "Gateway default/g");
	CHECK(p->u.diags.n == 0);
	unit_yaml_free(p);
}

int main(void)
{
	RUN(test_yaml11_scalars);
	RUN(test_int_values);
	RUN(test_positions);
	RUN(test_merge_and_alias);
	RUN(test_duplicate_keys_large_map);
	RUN(test_errors_do_not_stop_other_documents);
	RUN(test_limits);
	RUN(test_paths);
	RUN(test_resources);
	return unit_end();
}
