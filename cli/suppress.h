/*
 * Suppression: dropping diagnostics the user has accepted, in the two
 * forms istioctl analyze understands, so existing suppressions keep
 * working:
 *   - `-S/--suppress "CODE=Kind namespace/name"` (also `suppress:` in
 *     .meshc.yaml): CODE is a diagnostic id or `*`; the resource part is a
 *     glob (`*`, `?`, `[...]`; `*` also matches `/`) matched against the
 *     diagnostic's origin, "Kind namespace/name";
 *   - the annotation `galley.istio.io/analyze-suppress: "IST0101,IST0130"`
 *     (or `"*"`) on the resource the diagnostic is about.
 * Diagnostics without an origin (YAML errors) cannot be suppressed that
 * way. meshc adds a third form, for one finding next to its line:
 *   - a comment `# meshc:ignore IST0101` (codes separated by commas or
 *     spaces, `*` for any; words after the codes are a free reason) at
 *     the end of the line the diagnostic points at, or on the comment
 *     lines directly above it.
 */
#ifndef MESHC_SUPPRESS_H
#define MESHC_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "compiler.h"

struct suppress_rule {
	char *code;          /* "*" or the code as written; heap */
	char *pattern;       /* glob over "Kind namespace/name"; heap */
	bool known;          /* code is "*" or in the diagnostics table */
};

struct suppress_list {
	struct suppress_rule *items;   /* heap array */
	size_t n, cap;
};

void suppress_init(struct suppress_list *l);
void suppress_release(struct suppress_list *l);

/*
 * Parses one "CODE=RESOURCE" value and appends it. `where` names the
 * source for messages ("--suppress", ".meshc.yaml:4"). A value without
 * exactly one '=' prints an error and returns -1 (a usage error); an
 * unknown code prints a warning on stderr, as istioctl does, and the rule
 * is kept but can never match. Returns 0 otherwise.
 */
int suppress_add(struct suppress_list *l, const char *value, const char *where);

/* True when a rule of l or the origin resource's annotation drops d. */
bool suppress_match(const struct suppress_list *l, const struct diag *d);

/*
 * Removes the suppressed items in place, keeping order; returns the new
 * count. Besides l and the annotation, the `# meshc:ignore` comments in
 * the source units of p (NULL: none) drop the items they name.
 */
size_t suppress_filter(const struct suppress_list *l, const struct project *p,
		       struct diag *items, size_t n);

/*
 * Warns on stderr ("meshc: warning: FILE:LINE:COL: ...") about each
 * `# meshc:ignore` comment of p that names no code or an unknown one, as
 * -S does for an unknown code. Returns how many it warned about.
 */
size_t suppress_lint_comments(const struct project *p);

#endif
