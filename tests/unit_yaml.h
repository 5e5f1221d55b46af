/*
 * Setup shared by the unit tests that parse YAML held in a string
 * (test_yaml.c, test_schema.c, test_rules_dr_gw_se.c): one source unit
 * named "t.yaml", parsed with the default options, plus a diagnostic list
 * for the checks under test.
 *
 *   struct unit_yaml *p = unit_yaml_parse("a: 1\n");
 *   resources_from_unit(&p->u, &p->opt);     (when the test wants resources)
 *   ... CHECK(...) ...
 *   unit_yaml_free(p);
 */
#ifndef MESHC_UNIT_YAML_H
#define MESHC_UNIT_YAML_H

#include <stdlib.h>
#include <string.h>

#include "compiler.h"

struct unit_yaml {
	struct source_unit u;        /* u.diags: the front end's diagnostics */
	struct meshc_options opt;    /* defaults */
	struct diag_list d;          /* empty, for the checks a test runs; in u's arena */
};

/*
 * Parses `text` (copied, NUL-terminated) into p->u's documents and
 * diagnostics, with an alias budget of alias_budget nodes (0: the
 * default); builds no resources. Never returns NULL (allocation failure
 * exits). Free with unit_yaml_free().
 */
static inline struct unit_yaml *unit_yaml_parse_budget(const char *text, size_t alias_budget)
{
	struct unit_yaml *p = xcalloc(1, sizeof(*p));
	meshc_options_init(&p->opt);
	if (alias_budget)
		p->opt.limits.max_alias_nodes = alias_budget;
	arena_init(&p->u.arena);
	diag_list_init(&p->u.diags, &p->u.arena);
	diag_list_init(&p->d, &p->u.arena);
	p->u.file = "t.yaml";
	p->u.len = strlen(text);
	p->u.bytes = xmalloc(p->u.len + 1);
	memcpy(p->u.bytes, text, p->u.len + 1);
	yaml_parse_unit(&p->u, &p->opt.limits);
	return p;
}

/* unit_yaml_parse_budget() with the default limits. */
static inline struct unit_yaml *unit_yaml_parse(const char *text)
{
	return unit_yaml_parse_budget(text, 0);
}

/* Frees everything unit_yaml_parse() and the checks since allocated. */
static inline void unit_yaml_free(struct unit_yaml *p)
{
	diag_list_release(&p->d);
	diag_list_release(&p->u.diags);
	arena_release(&p->u.arena);
	free(p->u.bytes);
	free(p->u.docs);
	free(p->u.doc_irregular);
	free(p->u.res);
	free(p);
}

#endif
