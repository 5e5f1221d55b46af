/*
 * Output formats for diagnostics: one printer per format, found by name.
 * A printer writes the (already filtered and sorted) diagnostics; it
 * returns 0, or -1 on a write error.
 */
#ifndef MESHC_OUTPUT_H
#define MESHC_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "compiler.h"

struct output_ctx {
	const struct project *p;   /* sources (for text excerpts) and resources */
	bool excerpt;              /* show the source line and a caret */
	bool color;
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

#endif
