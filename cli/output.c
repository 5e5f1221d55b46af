/*
 * The printer table, the two basic formats (text for people, with a
 * source excerpt and colour on a terminal; json for scripts, the exact
 * shape of cli.md), and helpers the other printers share.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "output.h"

/* Sorted by name. */
static const struct printer printers[] = {
	{ "github", output_github },
	{ "json", output_json },
	{ "junit", output_junit },
	{ "sarif", output_sarif },
	{ "text", output_text },
	{ "yaml", output_yaml },
};

const struct printer *output_find(const char *name)
{
	for (size_t i = 0; i < sizeof(printers) / sizeof(printers[0]); i++)
		if (strcasecmp(printers[i].name, name) == 0)
			return &printers[i];
	return NULL;
}

const char *output_names(void)
{
	static char names[256];
	if (!names[0])
		for (size_t i = 0; i < sizeof(printers) / sizeof(printers[0]); i++) {
			if (i)
				strcat(names, ", ");
			strcat(names, printers[i].name);
		}
	return names;
}

static const char *level_word(enum diag_level l)
{
	return l == LEVEL_ERROR ? "error" : l == LEVEL_WARNING ? "warning" : "info";
}

static const char *level_color(enum diag_level l)
{
	return l == LEVEL_ERROR ? "\033[1;31m" : l == LEVEL_WARNING ? "\033[1;33m" :
	       "\033[1;36m";
}

/* The bytes of line `line` (1-based) of the diagnostic's file, or NULL. */
static const char *source_line(const struct project *p, const char *file,
			       unsigned line, size_t *len)
{
	if (!p || !file || line == 0)
		return NULL;
	for (size_t i = 0; i < p->nunits; i++) {
		const struct source_unit *u = &p->units[i];
		if (strcmp(u->file, file) != 0)
			continue;
		if (!u->bytes)
			return NULL;   /* released after loading (release_inputs) */
		const char *s = u->bytes, *end = u->bytes + u->len;
		for (unsigned l = 1; l < line && s < end; l++) {
			const char *nl = memchr(s, '\n', (size_t)(end - s));
			if (!nl)
				return NULL;
			s = nl + 1;
		}
		const char *e = memchr(s, '\n', (size_t)(end - s));
		*len = (size_t)((e ? e : end) - s);
		if (*len && s[*len - 1] == '\r')
			(*len)--;
		return s;
	}
	return NULL;
}

static void excerpt(FILE *out, const struct diag *d, const struct output_ctx *ctx)
{
	size_t len;
	const char *s = source_line(ctx->p, d->file, d->line, &len);
	if (!s || len > 400)
		return;
	fprintf(out, "  %.*s\n  ", (int)len, s);
	/* The caret goes under column col, counted in characters. */
	unsigned col = 1;
	for (size_t i = 0; i < len && col < d->col; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c & 0xC0) == 0x80)
			continue;
		fputc(c == '\t' ? '\t' : ' ', out);
		col++;
	}
	fprintf(out, "%s^%s\n", ctx->color ? level_color(d->level) : "",
		ctx->color ? "\033[0m" : "");
}

int output_text(FILE *out, const struct diag *items, size_t n,
		const struct output_ctx *ctx)
{
	for (size_t i = 0; i < n; i++) {
		const struct diag *d = &items[i];
		const char *id = diag_info(d->code)->id;
		fprintf(out, "%s:%u:%u: ", d->file ? d->file : "<input>", d->line, d->col);
		if (ctx->color)
			fprintf(out, "%s%s[%s]\033[0m", level_color(d->level),
				level_word(d->level), id);
		else
			fprintf(out, "%s[%s]", level_word(d->level), id);
		if (d->origin)
			fprintf(out, " %s", d->origin);
		fprintf(out, ": %s\n", d->message);
		if (ctx->excerpt)
			excerpt(out, d, ctx);
		/* a suggestion beyond Istio's message, on a line of its own */
		if (d->hint)
			fprintf(out, "  hint: %s\n", d->hint);
	}
	return ferror(out) ? -1 : 0;
}

json_t *output_json_string(const char *s)
{
	json_t *j = json_string(s);
	if (j)
		return j;
	size_t n = strlen(s);
	char *copy = xmalloc(n + 1);
	for (size_t i = 0; i <= n; i++)
		copy[i] = (s[i] & 0x80) ? '?' : s[i];
	j = json_string(copy);
	free(copy);
	if (!j)
		die_oom();
	return j;
}

const char *output_doc_url(const char *code, char *buf, size_t size)
{
	if (strncmp(code, "IST", 3) != 0)
		return NULL;
	size_t k = 0;
	char lower[16];
	for (; code[k] && k + 1 < sizeof(lower); k++)
		lower[k] = (char)tolower((unsigned char)code[k]);
	lower[k] = '\0';
	snprintf(buf, size, "%s/%s/", ISTIO_ANALYSIS_URL, lower);
	return buf;
}

/* The diagnostics as cli.md's JSON array (also the source of -o yaml). */
static json_t *diags_json(const struct diag *items, size_t n)
{
	json_t *arr = json_array();
	if (!arr)
		die_oom();
	for (size_t i = 0; i < n; i++) {
		const struct diag *d = &items[i];
		json_t *o = json_object();
		if (!o)
			die_oom();
		const char *id = diag_info(d->code)->id;
		char url[128];
		json_object_set_new(o, "code", json_string(id));
		json_object_set_new(o, "level", json_string(diag_level_name(d->level)));
		json_object_set_new(o, "message", output_json_string(d->message));
		json_object_set_new(o, "origin", d->origin ? output_json_string(d->origin) : json_null());
		json_object_set_new(o, "file", d->file ? output_json_string(d->file) : json_null());
		json_object_set_new(o, "line", json_integer(d->line));
		json_object_set_new(o, "column", json_integer(d->col));
		json_object_set_new(o, "path", d->path ? output_json_string(d->path) : json_null());
		if (output_doc_url(id, url, sizeof(url)))
			json_object_set_new(o, "documentationUrl", json_string(url));
		json_array_append_new(arr, o);
	}
	return arr;
}

int output_json(FILE *out, const struct diag *items, size_t n,
		const struct output_ctx *ctx)
{
	(void)ctx;
	json_t *arr = diags_json(items, n);
	int rc = json_dumpf(arr, out, JSON_PRESERVE_ORDER | JSON_INDENT(2));
	json_decref(arr);
	fputc('\n', out);
	return rc != 0 || ferror(out) ? -1 : 0;
}

/*
 * Writes a JSON value as block-style YAML at the given indent. Strings
 * are written double-quoted with JSON's escapes, which YAML reads the
 * same way, so no value can turn into another type.
 */
static void yaml_value(FILE *out, json_t *v, int indent, bool in_seq)
{
	if (json_is_object(v) && json_object_size(v)) {
		const char *key;
		json_t *val;
		bool first = true;
		json_object_foreach(v, key, val) {
			if (!(first && in_seq))
				fprintf(out, "%*s", indent, "");
			first = false;
			fprintf(out, "%s:", key);
			if ((json_is_object(val) && json_object_size(val)) ||
			    (json_is_array(val) && json_array_size(val))) {
				fputc('\n', out);
				yaml_value(out, val, indent + 2, false);
			} else {
				fputc(' ', out);
				yaml_value(out, val, indent, false);
			}
		}
	} else if (json_is_array(v) && json_array_size(v)) {
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item) {
			fprintf(out, "%*s- ", indent, "");
			yaml_value(out, item, indent + 2, true);
		}
	} else {
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		if (!s)
			die_oom();
		fprintf(out, "%s\n", s);
		free(s);
	}
}

int output_yaml(FILE *out, const struct diag *items, size_t n,
		const struct output_ctx *ctx)
{
	(void)ctx;
	json_t *arr = diags_json(items, n);
	yaml_value(out, arr, 0, false);
	json_decref(arr);
	return ferror(out) ? -1 : 0;
}

/*
 * The part a labelled line starts, or NULL. *skip is how many bytes of
 * the line the label takes (0 when the label is kept as text).
 */
static char **part_for_line(const char *line, struct explain_parts *e,
			    size_t *skip)
{
	static const struct { const char *label; int slot; bool keep; } labels[] = {
		{ "Why it matters:", 0, false },
		{ "Example:", 1, false },
		{ "Fix:", 2, false },
		{ "When it runs:", 3, false },
		{ "Differences from Istio", 4, false },
		{ "Difference from Istio", 4, false },
		{ "Where meshc differs from Istio:", 4, false },
		{ "Istio quirks, kept for parity:", 4, true },
	};
	char **slots[] = { &e->why, &e->example, &e->fix, &e->when, &e->differences };
	size_t eol = strcspn(line, "\n");
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		size_t n = strlen(labels[i].label);
		if (strncmp(line, labels[i].label, n) != 0)
			continue;
		/* "Differences from Istio, on purpose:": up to the colon. */
		const char *colon = memchr(line + n - 1, ':', eol - (n - 1));
		if (!colon)
			continue;
		*skip = labels[i].keep ? 0 : (size_t)(colon - line) + 1;
		return slots[labels[i].slot];
	}
	return NULL;
}

/* A heap copy of s[0..len) without leading and trailing blank space. */
static char *trimmed(const char *s, size_t len)
{
	while (len && (*s == ' ' || *s == '\n' || *s == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\n' || s[len - 1] == '\t'))
		len--;
	if (!len)
		return NULL;
	char *out = xmalloc(len + 1);
	memcpy(out, s, len);
	out[len] = '\0';
	return out;
}

void explain_parts_split(const char *text, struct explain_parts *e)
{
	memset(e, 0, sizeof(*e));
	if (!text)
		return;
	char **slot = &e->what;
	const char *start = text, *s = text;
	for (;;) {
		size_t skip = 0;
		char **next = *s ? part_for_line(s, e, &skip) : NULL;
		/* A part's second label (or one already done) is text of the part. */
		if (next && (next == slot || *next))
			next = NULL;
		if (!*s || next) {
			if (!*slot)
				*slot = trimmed(start, (size_t)(s - start));
			if (!*s)
				return;
			slot = next;
			start = s + skip;
		}
		const char *nl = strchr(s, '\n');
		if (!nl)
			s += strlen(s);
		else
			s = nl + 1;
	}
}

void explain_parts_free(struct explain_parts *e)
{
	free(e->what);
	free(e->why);
	free(e->example);
	free(e->fix);
	free(e->when);
	free(e->differences);
	memset(e, 0, sizeof(*e));
}
