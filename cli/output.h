/*
 * Output formats for diagnostics: one printer per format, found by name
 * in output.c's table; text and json live in output.c, the CI formats in
 * out_<name>.c. A printer writes the (already suppressed, filtered and
 * sorted) diagnostics; it returns 0, or -1 on a write error. Exit codes
 * are decided by cmd_check.c, never by a printer, so they are the same in
 * every format.
 */
#ifndef MESHC_OUTPUT_H
#define MESHC_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "compiler.h"

struct output_ctx {
	const struct project *p;   /* sources (for text excerpts) and resources */
	bool excerpt;              /* show the source line and a caret */
	bool color;
	enum diag_level failure;   /* --failure-threshold (junit failures) */
	const char *base_dir;      /* github: paths relative to it (GITHUB_WORKSPACE,
	                              else the working directory); NULL: as given */
	bool gitlab;               /* junit: add GitLab's testcase `file` attribute,
	                              beyond the JUnit schema (GITLAB_CI=true) */
};

struct printer {
	const char *name;
	int (*print)(FILE *out, const struct diag *items, size_t n,
		     const struct output_ctx *ctx);
};

/* The printer called `name`, or NULL. */
const struct printer *output_find(const char *name);
/* "text, json, ..." for messages. */
const char *output_names(void);

int output_text(FILE *out, const struct diag *items, size_t n,
		const struct output_ctx *ctx);
int output_json(FILE *out, const struct diag *items, size_t n,
		const struct output_ctx *ctx);
int output_sarif(FILE *out, const struct diag *items, size_t n,
		 const struct output_ctx *ctx);
int output_github(FILE *out, const struct diag *items, size_t n,
		  const struct output_ctx *ctx);
int output_junit(FILE *out, const struct diag *items, size_t n,
		 const struct output_ctx *ctx);
int output_yaml(FILE *out, const struct diag *items, size_t n,
		const struct output_ctx *ctx);

/* Istio's page of analysis messages; a code's page is <this>/ist0101/. */
#define ISTIO_ANALYSIS_URL "https://istio.io/latest/docs/reference/config/analysis"

/*
 * The documentation page of a code, as istioctl's documentationUrl: Istio's
 * page for an IST code, written into buf; NULL for meshc's own codes.
 */
const char *output_doc_url(const char *code, char *buf, size_t size);

/* A JSON string of s; bytes that are not valid UTF-8 become '?'. */
json_t *output_json_string(const char *s);

/*
 * A code's EXPLANATION split into its parts: what it means (the text
 * before the first labelled line), "Why it matters:", "Example:", "Fix:",
 * "When it runs:", and how meshc differs from Istio (lines starting
 * "Differences from Istio...:", "Difference from Istio...:", "Where meshc
 * differs from Istio:", or "Istio quirks, kept for parity:", which is
 * kept as the part's first words). Each part is a heap string with the
 * label removed and surrounding blank space trimmed, or NULL when absent;
 * a second label of a part already begun stays in its text. Free with
 * explain_parts_free().
 */
struct explain_parts {
	char *what, *why, *example, *fix, *when, *differences;
};
void explain_parts_split(const char *text, struct explain_parts *out);
void explain_parts_free(struct explain_parts *e);

/* ---- meshc diff's result (diff_out.c) ---- */

enum diff_format {
	DIFF_TEXT,
	DIFF_JSON,
	DIFF_MARKDOWN,
};

/* "text", "json", "markdown" -> format; -1 when unknown. */
int diff_format_lookup(const char *name);

/*
 * Writes d to out in the given format. Text prints nothing for an empty
 * result; JSON always prints both keys ({"resources":[],"routes":[]}).
 * Returns 0, or -1 on a write error.
 */
int diff_print(FILE *out, const struct diff_result *d, enum diff_format f);

#endif
