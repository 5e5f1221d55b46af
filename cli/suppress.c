/*
 * Suppression rules from the command line and the config file, and the
 * per-resource annotation, with istioctl analyze's semantics: the value
 * must hold exactly one '=', the code is compared as a whole (or `*`), the
 * resource part is a glob over the origin, and the annotation is a comma
 * list of codes (not trimmed, as Istio does not trim it) or `*`.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "suppress.h"

void suppress_init(struct suppress_list *l)
{
	memset(l, 0, sizeof(*l));
}

void suppress_release(struct suppress_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].code);
		free(l->items[i].pattern);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

int suppress_add(struct suppress_list *l, const char *value, const char *where)
{
	const char *eq = strchr(value, '=');
	if (!eq || strchr(eq + 1, '=')) {
		fprintf(stderr, "meshc: %s: \"%s\" is not a valid suppression "
			"(CODE=Kind namespace/name)\n", where, value);
		return -1;
	}
	size_t clen = (size_t)(eq - value);
	char *code = xmalloc(clen + 1);
	memcpy(code, value, clen);
	code[clen] = '\0';
	bool known = strcmp(code, "*") == 0 || diag_code_lookup(code) >= 0;
	if (!known)
		fprintf(stderr, "meshc: warning: %s: code \"%s\" is unknown and "
			"the suppression has no effect\n", where, code);
	GROW(l->items, l->n, l->cap);
	struct suppress_rule *r = &l->items[l->n++];
	r->code = code;
	r->pattern = xstrdup(eq + 1);
	r->known = known;
	return 0;
}

/* True when `code` names d's code: the id, compared case-insensitively. */
static bool code_matches(const char *code, const struct diag *d)
{
	return strcmp(code, "*") == 0 ||
	       strcasecmp(code, diag_info(d->code)->id) == 0;
}

/* True when the comma list `list` holds d's code or `*` (items untrimmed). */
static bool annotation_matches(const char *list, const struct diag *d)
{
	const char *id = diag_info(d->code)->id;
	size_t idlen = strlen(id);
	const char *s = list;
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		if ((len == 1 && s[0] == '*') ||
		    (len == idlen && strncmp(s, id, len) == 0))
			return true;
		if (!comma)
			return false;
		s = comma + 1;
	}
}

bool suppress_match(const struct suppress_list *l, const struct diag *d)
{
	if (d->res) {
		const char *ann = resource_annotation(d->res, SUPPRESS_ANNOTATION);
		if (ann && annotation_matches(ann, d))
			return true;
	}
	if (!d->origin || !l)
		return false;
	for (size_t i = 0; i < l->n; i++) {
		const struct suppress_rule *r = &l->items[i];
		if (r->known && code_matches(r->code, d) &&
		    fnmatch(r->pattern, d->origin, 0) == 0)
			return true;
	}
	return false;
}

size_t suppress_filter(const struct suppress_list *l, struct diag *items, size_t n)
{
	size_t kept = 0;
	for (size_t i = 0; i < n; i++)
		if (!suppress_match(l, &items[i]))
			items[kept++] = items[i];
	return kept;
}
