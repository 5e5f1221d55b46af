/*
 * Suppression rules from the command line and the config file, and the
 * per-resource annotation, with istioctl analyze's semantics: the value
 * must hold exactly one '=', the code is compared as a whole (or `*`), the
 * resource part is a glob over the origin, and the annotation is a comma
 * list of codes (not trimmed, as Istio does not trim it) or `*`. Then
 * meshc's own line comments, `# meshc:ignore CODE`, read from the source
 * bytes (libyaml drops comments, so they are found here, by line).
 */
#include <ctype.h>
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

bool suppress_match(const struct suppress_list *l, const struct diag *d)
{
	if (diag_annotation_suppresses(d))
		return true;
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

/* ---- `# meshc:ignore` comments ---- */

#define IGNORE_MARK MESHC_IGNORE_MARK

/* The lines of a source unit that holds IGNORE_MARK somewhere. */
struct unit_lines {
	const struct source_unit *u;
	size_t *start;               /* heap; start[i]: offset of line i + 1 */
	size_t n;
};

static bool has_mark(const struct source_unit *u)
{
	return u->bytes && memmem(u->bytes, u->len, IGNORE_MARK,
				  sizeof(IGNORE_MARK) - 1) != NULL;
}

static void lines_index(struct unit_lines *ul, const struct source_unit *u)
{
	size_t cap = 0;
	ul->u = u;
	ul->start = NULL;
	ul->n = 0;
	for (size_t off = 0; off < u->len;) {
		GROW(ul->start, ul->n, cap);
		ul->start[ul->n++] = off;
		const char *nl = memchr(u->bytes + off, '\n', u->len - off);
		off = nl ? (size_t)(nl - u->bytes) + 1 : u->len;
	}
}

/* Line `line` (1-based) of ul without its line break, or NULL. */
static const char *line_at(const struct unit_lines *ul, unsigned line, size_t *len)
{
	if (line == 0 || line > ul->n)
		return NULL;
	size_t a = ul->start[line - 1];
	size_t b = line < ul->n ? ul->start[line] : ul->u->len;
	const char *s = ul->u->bytes + a;
	while (b > a && (s[b - a - 1] == '\n' || s[b - a - 1] == '\r'))
		b--;
	*len = b - a;
	return s;
}

/*
 * Where the comment of a YAML line starts ('#' at the line start or after
 * a blank, outside quotes), or len. A quote opens a quoted scalar only
 * where one can start (line start, after ':', '-', ',', '[', '{', '?'),
 * so the apostrophe of a plain `it's` does not; a quoted scalar that
 * spans lines is not followed (its continuation lines read as plain).
 */
static size_t comment_start(const char *s, size_t len)
{
	char quote = 0, prev = 0;   /* prev: the last non-blank character */
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (quote) {
			if (quote == '"' && c == '\\')
				i++;
			else if (c == quote && quote == '\'' && i + 1 < len && s[i + 1] == '\'')
				i++;
			else if (c == quote)
				quote = 0, prev = c;
			continue;
		}
		if (c == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t'))
			return i;
		if ((c == '"' || c == '\'') && (!prev || strchr(":-,[{?", prev)))
			quote = c;
		if (c != ' ' && c != '\t')
			prev = c;
	}
	return len;
}

/*
 * The codes of comment text t (len bytes from the '#') when it is a
 * `meshc:ignore` comment, with *end past them; NULL otherwise.
 */
static const char *directive(const char *t, size_t len, const char **end)
{
	size_t i = 1, m = sizeof(IGNORE_MARK) - 1;
	while (i < len && (t[i] == ' ' || t[i] == '\t'))
		i++;
	if (len - i < m || memcmp(t + i, IGNORE_MARK, m) != 0)
		return NULL;
	i += m;
	if (i < len && t[i] != ' ' && t[i] != '\t' && t[i] != ',')
		return NULL;   /* "meshc:ignored", not ours */
	*end = t + len;
	return t + i;
}

/*
 * The next code of a directive at *s (before end): letters then digits
 * ("IST0101"), or "*"; its length, with *s at its start. 0 when the codes
 * are over: the rest is a free reason ("-- legacy route").
 */
static size_t next_code(const char **s, const char *end)
{
	const char *p = *s, *q;
	while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
		p++;
	*s = p;
	if (p < end && *p == '*')
		q = p + 1;
	else {
		for (q = p; q < end && isalpha((unsigned char)*q); q++)
			;
		if (q == p || q == end || !isdigit((unsigned char)*q))
			return 0;
		while (q < end && isdigit((unsigned char)*q))
			q++;
	}
	if (q < end && *q != ' ' && *q != '\t' && *q != ',')
		return 0;
	return (size_t)(q - p);
}

/* True when the comment text t (len bytes, from '#') ignores id. */
static bool comment_ignores(const char *t, size_t len, const char *id)
{
	const char *end, *s = directive(t, len, &end);
	size_t n;
	for (; s && (n = next_code(&s, end)) != 0; s += n)
		if ((n == 1 && *s == '*') ||
		    (n == strlen(id) && strncasecmp(s, id, n) == 0))
			return true;
	return false;
}

/* True when a `# meshc:ignore` comment on d's line or above it drops d. */
static bool line_ignores(const struct unit_lines *ul, const struct diag *d)
{
	const char *id = diag_info(d->code)->id;
	size_t len;
	const char *s = line_at(ul, d->line, &len);
	if (!s)
		return false;
	size_t c = comment_start(s, len);
	if (c < len && comment_ignores(s + c, len - c, id))
		return true;
	/* the run of comment lines directly above */
	for (unsigned line = d->line - 1; (s = line_at(ul, line, &len)); line--) {
		size_t i = 0;
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == len || s[i] != '#')
			return false;
		if (comment_ignores(s + i, len - i, id))
			return true;
	}
	return false;
}

/* The indexed lines of d's file, or NULL when it has no comment of ours. */
static const struct unit_lines *lines_of(const struct unit_lines *all, size_t n,
					 const struct diag *d, size_t *last)
{
	if (!d->file || d->line == 0)
		return NULL;
	for (size_t k = 0; k < n; k++) {
		size_t i = (*last + k) % n;   /* diagnostics come grouped by file */
		if (all[i].u->file == d->file || strcmp(all[i].u->file, d->file) == 0) {
			*last = i;
			return &all[i];
		}
	}
	return NULL;
}

size_t suppress_filter(const struct suppress_list *l, const struct project *p,
		       struct diag *items, size_t n)
{
	struct unit_lines *lines = NULL;
	size_t nlines = 0, last = 0;
	for (size_t i = 0; p && i < p->nunits; i++)
		if (has_mark(&p->units[i])) {
			if (!lines)
				lines = xcalloc(p->nunits, sizeof(*lines));
			lines_index(&lines[nlines++], &p->units[i]);
		}
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		const struct unit_lines *ul = nlines ? lines_of(lines, nlines, &items[i], &last) : NULL;
		if (!suppress_match(l, &items[i]) && !(ul && line_ignores(ul, &items[i])))
			items[kept++] = items[i];
	}
	for (size_t i = 0; i < nlines; i++)
		free(lines[i].start);
	free(lines);
	return kept;
}

size_t suppress_lint_comments(const struct project *p)
{
	size_t warned = 0;
	for (size_t i = 0; i < p->nunits; i++) {
		const struct source_unit *u = &p->units[i];
		if (!has_mark(u))
			continue;
		struct unit_lines ul;
		lines_index(&ul, u);
		for (unsigned line = 1; line <= ul.n; line++) {
			size_t len, n, c;
			const char *s = line_at(&ul, line, &len), *end, *code;
			if (!memmem(s, len, IGNORE_MARK, sizeof(IGNORE_MARK) - 1))
				continue;
			c = comment_start(s, len);
			if (c == len || !(code = directive(s + c, len - c, &end)))
				continue;
			unsigned codes = 0;
			for (; (n = next_code(&code, end)) != 0; code += n, codes++) {
				char id[16] = "";
				if (n == 1 && *code == '*')
					continue;
				if (n < sizeof(id))
					memcpy(id, code, n);
				if (!id[0] || diag_code_lookup(id) < 0) {
					fprintf(stderr, "meshc: warning: %s:%u:%zu: code \"%.*s\" "
						"in meshc:ignore is unknown\n", u->file, line,
						(size_t)(code - s) + 1, (int)n, code);
					warned++;
				}
			}
			if (!codes) {
				fprintf(stderr, "meshc: warning: %s:%u:%zu: meshc:ignore names "
					"no code (write # meshc:ignore IST0101)\n", u->file,
					line, c + 1);
				warned++;
			}
		}
		free(ul.start);
	}
	return warned;
}
