/*
 * -o junit: JUnit XML for CI test reports (Jenkins, GitLab, Azure
 * DevOps). One <testsuite> ("meshc check"); one <testcase> per resource
 * read, in input order (classname = the kind, name = namespace/name),
 * so a clean resource shows as a passing
 * test; diagnostics without a resource (YAML errors, documents that are
 * not Kubernetes objects) make one testcase per file (classname "file").
 *
 * Decision: a testcase fails when it has a diagnostic at or above the
 * failure threshold, so the report agrees with the exit status. It then
 * carries exactly one <failure> (strict JUnit readers accept one per
 * testcase): type and message from the first such diagnostic, and as body
 * every such diagnostic, one "FILE:LINE:COL: level[CODE] message" line
 * each. Printed diagnostics below the failure threshold go to the
 * testcase's <system-out> in the same form and do not fail it.
 *
 * The report validates against the JUnit schema Jenkins' xUnit plugin
 * uses (junit-10.xsd). The one attribute beyond it, GitLab's testcase
 * `file` (GitLab links a failed test to that file), is written only
 * under GitLab CI (ctx->gitlab), the viewer that reads it.
 */
#include <stdlib.h>
#include <string.h>

#include "output.h"

/* Writes s XML-escaped; bytes XML 1.0 forbids (controls, bad UTF-8) become '?'. */
static void xml_put(FILE *out, const char *s, bool attr)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned char c = *p;
		if (c < 0x80) {
			switch (c) {
			case '&': fputs("&amp;", out); break;
			case '<': fputs("&lt;", out); break;
			case '>': fputs("&gt;", out); break;
			case '"': fputs(attr ? "&quot;" : "\"", out); break;
			case '\'': fputs(attr ? "&apos;" : "'", out); break;
			case '\n': fputs(attr ? "&#10;" : "\n", out); break;
			case '\t': fputs(attr ? "&#9;" : "\t", out); break;
			case '\r': fputs("&#13;", out); break;
			default: fputc(c < 0x20 ? '?' : c, out);
			}
			p++;
			continue;
		}
		/* A multi-byte sequence: copied when well formed. */
		size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 :
			     (c & 0xF8) == 0xF0 ? 4 : 0;
		bool ok = len > 0 && !(c == 0xC0 || c == 0xC1 || c > 0xF4);
		for (size_t i = 1; ok && i < len; i++)
			ok = (p[i] & 0xC0) == 0x80;
		if (ok && len == 3) {
			unsigned cp = ((c & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
			ok = cp >= 0x800 && !(cp >= 0xD800 && cp <= 0xDFFF) &&
			     cp != 0xFFFE && cp != 0xFFFF;
		}
		if (!ok) {
			fputc('?', out);
			p++;
			continue;
		}
		fwrite(p, 1, len, out);
		p += len;
	}
}

static const char *level_word(enum diag_level l)
{
	return l == LEVEL_ERROR ? "error" : l == LEVEL_WARNING ? "warning" : "info";
}

/* One diagnostic as a text line (escaped for element content). */
static void diag_line(FILE *out, const struct diag *d)
{
	xml_put(out, d->file ? d->file : "<input>", false);
	fprintf(out, ":%u:%u: %s[%s] ", d->line, d->col, level_word(d->level),
		diag_info(d->code)->id);
	if (d->origin) {
		xml_put(out, d->origin, false);
		fputs(": ", out);
	}
	xml_put(out, d->message, false);
	if (d->path) {
		fputs(" (", out);
		xml_put(out, d->path, false);
		fputc(')', out);
	}
	fputc('\n', out);
}

/* A testcase: a resource, or a file's diagnostics that have no resource. */
struct tcase {
	const char *classname, *name, *file;
	size_t *diags;            /* heap array of indices into items */
	size_t n, cap;
	bool failed;
};

static void tcase_add(struct tcase *t, size_t i, const struct diag *d,
		      enum diag_level failure)
{
	GROW(t->diags, t->n, t->cap);
	t->diags[t->n++] = i;
	if (d->level >= failure)
		t->failed = true;
}

/* The testcase for d: its resource's, else the file's (created on demand). */
static struct tcase *case_for(struct tcase **cases, size_t *ncases, size_t *cap,
			      const struct project *p, const struct diag *d,
			      struct tcase *res_cases)
{
	if (p && d->res && d->res->seq < p->nres && p->res[d->res->seq] == d->res)
		return &res_cases[d->res->seq];
	if (p && d->origin && d->file)
		for (size_t r = 0; r < p->nres; r++)
			if (strcmp(p->res[r]->origin, d->origin) == 0 &&
			    strcmp(p->res[r]->file, d->file) == 0)
				return &res_cases[r];
	const char *file = d->file ? d->file : "<input>";
	for (size_t i = 0; i < *ncases; i++)
		if (strcmp((*cases)[i].file, file) == 0)
			return &(*cases)[i];
	GROW(*cases, *ncases, *cap);
	struct tcase *t = &(*cases)[(*ncases)++];
	memset(t, 0, sizeof(*t));
	t->classname = "file";
	t->name = file;
	t->file = file;
	return t;
}

static void print_case(FILE *out, const struct tcase *t, const struct diag *items,
		       enum diag_level failure, bool gitlab)
{
	fputs("    <testcase classname=\"", out);
	xml_put(out, t->classname, true);
	fputs("\" name=\"", out);
	xml_put(out, t->name, true);
	if (gitlab) {
		fputs("\" file=\"", out);
		xml_put(out, t->file, true);
	}
	if (t->n == 0) {
		fputs("\"/>\n", out);
		return;
	}
	fputs("\">\n", out);
	if (t->failed) {
		const struct diag *first = NULL;
		for (size_t i = 0; i < t->n && !first; i++)
			if (items[t->diags[i]].level >= failure)
				first = &items[t->diags[i]];
		fputs("      <failure type=\"", out);
		xml_put(out, diag_info(first->code)->id, true);
		fputs("\" message=\"", out);
		xml_put(out, first->message, true);
		fputs("\">", out);
		for (size_t i = 0; i < t->n; i++)
			if (items[t->diags[i]].level >= failure)
				diag_line(out, &items[t->diags[i]]);
		fputs("</failure>\n", out);
	}
	bool other = false;
	for (size_t i = 0; i < t->n; i++)
		if (items[t->diags[i]].level < failure) {
			if (!other)
				fputs("      <system-out>", out);
			other = true;
			diag_line(out, &items[t->diags[i]]);
		}
	if (other)
		fputs("</system-out>\n", out);
	fputs("    </testcase>\n", out);
}

int output_junit(FILE *out, const struct diag *items, size_t n,
		 const struct output_ctx *ctx)
{
	const struct project *p = ctx->p;
	size_t nres = p ? p->nres : 0;
	struct tcase *res_cases = xcalloc(nres ? nres : 1, sizeof(*res_cases));
	struct tcase *file_cases = NULL;
	size_t nfile = 0, fcap = 0;
	struct arena names;          /* the resources' origins */
	arena_init(&names);
	for (size_t r = 0; r < nres; r++) {
		const struct resource *res = p->res[r];
		const char *o = resource_origin(res, &names);
		res_cases[r].classname = res->kind_name;
		res_cases[r].name = !o ? "" : o + strcspn(o, " ") + (strchr(o, ' ') ? 1 : 0);
		res_cases[r].file = res->file;
	}
	for (size_t i = 0; i < n; i++) {
		struct tcase *t = case_for(&file_cases, &nfile, &fcap, p, &items[i],
					   res_cases);
		tcase_add(t, i, &items[i], ctx->failure);
	}

	size_t tests = nres + nfile, failures = 0;
	for (size_t r = 0; r < nres; r++)
		failures += res_cases[r].failed;
	for (size_t f = 0; f < nfile; f++)
		failures += file_cases[f].failed;

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out, "<testsuites name=\"meshc check\" tests=\"%zu\" failures=\"%zu\" "
		"errors=\"0\">\n", tests, failures);
	fprintf(out, "  <testsuite name=\"meshc check\" tests=\"%zu\" failures=\"%zu\" "
		"errors=\"0\" skipped=\"0\">\n", tests, failures);
	/* Files in input order: each file's own testcase, then its resources. */
	bool *done = xcalloc(nfile ? nfile : 1, sizeof(bool));
	size_t r = 0;
	for (size_t u = 0; p && u < p->nunits; u++) {
		for (size_t f = 0; f < nfile; f++)
			if (!done[f] && strcmp(file_cases[f].file, p->units[u].file) == 0) {
				print_case(out, &file_cases[f], items, ctx->failure, ctx->gitlab);
				done[f] = true;
			}
		for (; r < nres && strcmp(p->res[r]->file, p->units[u].file) == 0; r++)
			print_case(out, &res_cases[r], items, ctx->failure, ctx->gitlab);
	}
	for (; r < nres; r++)
		print_case(out, &res_cases[r], items, ctx->failure, ctx->gitlab);
	for (size_t f = 0; f < nfile; f++)
		if (!done[f])
			print_case(out, &file_cases[f], items, ctx->failure, ctx->gitlab);
	fputs("  </testsuite>\n</testsuites>\n", out);

	for (size_t i = 0; i < nres; i++)
		free(res_cases[i].diags);
	for (size_t i = 0; i < nfile; i++)
		free(file_cases[i].diags);
	free(res_cases);
	arena_release(&names);
	free(file_cases);
	free(done);
	return ferror(out) ? -1 : 0;
}
