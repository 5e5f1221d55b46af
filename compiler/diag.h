/*
 * Diagnostics: one table lists every code (diag_*.def, expanded with an
 * X-macro), and every check reports through diag_report*(). Reports are
 * collected per unit of work, merged, sorted by file, line, column and
 * code, filtered, then handed to a printer (cli/output.c).
 */
#ifndef MESHC_DIAG_H
#define MESHC_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct arena;
struct mpos;
struct node;
struct resource;

enum diag_level {
	LEVEL_INFO,
	LEVEL_WARNING,
	LEVEL_ERROR,
};

/* Which layer a check stands for (printed by `meshc explain`). */
enum diag_layer {
	LAYER_YAML,        /* reading YAML as kubectl does */
	LAYER_APISERVER,   /* the CRD schema and CEL rules the API server enforces */
	LAYER_WEBHOOK,     /* Istio's validating webhook (Go validation) */
	LAYER_ANALYZER,    /* istioctl analyze */
	LAYER_MESHC,       /* a check of meshc's own */
};

/*
 * X(ID, LEVEL, LAYER, NAME, TEMPLATE, EXPLANATION)
 * TEMPLATE is a printf format filled by diag_report()'s arguments.
 * EXPLANATION is what `meshc explain` prints: what it means, why it
 * matters, an example, how to fix it.
 */
enum diag_code {
#define X(id, level, layer, name, tmpl, explain) id,
#include "diag_codes.def"
#undef X
	DIAG_CODE_COUNT
};

struct diag_info {
	const char *id;          /* "IST0101" */
	enum diag_level level;
	enum diag_layer layer;
	const char *name;        /* "ReferencedResourceNotFound" */
	const char *tmpl;
	const char *explain;
};

struct diag {
	enum diag_code code;
	enum diag_level level;
	const char *message;
	const char *origin;      /* "Kind namespace/name", or NULL */
	const char *file;        /* as given on the command line, or "<stdin>" */
	unsigned line, col;      /* 1-based; 0 when unknown */
	const char *path;        /* "spec.http[0].route", or NULL */
	const struct resource *res;   /* for annotation suppression; may be NULL */
	const struct diag *related;   /* unused by printers yet; kept for duplicates */
	const char *hint;        /* a suggestion kept apart from the message, or NULL */
};

/*
 * At most DIAG_CAP_PER_KIND reports of one code per document (per resource,
 * or per `scope` for reports tied to no resource) are kept; the first one
 * past the cap becomes a summary line counting the rest, so a hostile
 * document cannot turn into gigabytes of diagnostics.
 */
#define DIAG_CAP_PER_KIND 100

struct diag_count;

struct diag_list {
	struct diag *items;      /* heap array */
	size_t n, cap;
	struct arena *arena;     /* messages and paths live here */
	/*
	 * The document reports without a resource belong to (the YAML front
	 * end sets it per document; 0: the whole list). Reports per
	 * (code, resource or scope) are counted in `counts`, a heap hash
	 * table of counts_mask + 1 slots (NULL until the first report).
	 */
	size_t scope;
	struct diag_count *counts;
	size_t ncounts, counts_mask;
	struct diag_count *summary;   /* set by the cap for the next push */
	const char *next_hint;        /* set by diag_next_hint for the next push */
	bool uncapped;                /* keep every report: a worker's list,
					 replayed into a capped one */
};

void diag_list_init(struct diag_list *l, struct arena *a);
void diag_list_release(struct diag_list *l);
/* Moves every item of src to the end of dst (strings stay in src's arena). */
void diag_list_append(struct diag_list *dst, struct diag_list *src);
/*
 * Reports the items of src (an uncapped list filled elsewhere, such as
 * by a worker thread) into dst in order, as if they were reported there
 * now: counted against dst's cap, strings copied into dst's arena.
 * src is left empty.
 */
void diag_list_replay(struct diag_list *dst, struct diag_list *src);

const struct diag_info *diag_info(enum diag_code code);
/* The code whose id is `id` ("ist0101" too); -1 when unknown. */
int diag_code_lookup(const char *id);
const char *diag_level_name(enum diag_level level);   /* "Error" */
const char *diag_layer_name(enum diag_layer layer);

/*
 * The next report on l carries `hint` (an arena string the list outlives,
 * or NULL): what meshc suggests beyond the message, such as the subsets
 * that do exist. Istio's codes keep Istio's message templates exactly, so
 * a suggestion goes here; the text printer shows it on a line of its own.
 * Dropped if that report is not kept (the per-kind cap).
 */
void diag_next_hint(struct diag_list *l, const char *hint);

/*
 * Reports `code` on resource `res` at node `at` (the resource's root when
 * NULL). The variable arguments fill the code's template. The position is
 * at's line and column; the field path is computed from at up to the
 * resource's root.
 */
void diag_report(struct diag_list *l, enum diag_code code,
		 const struct resource *res, const struct node *at, ...);
/* For codes whose template is "...%s...": formats the detail first. */
void diag_reportf(struct diag_list *l, enum diag_code code,
		  const struct resource *res, const struct node *at,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void diag_vreportf(struct diag_list *l, enum diag_code code,
		   const struct resource *res, const struct node *at,
		   const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
/*
 * Reports `code` on resource `res` at a position of its typed model (the
 * resource's own position when `at` is NULL or has line 0): the phases
 * after distilling, which have no nodes. `path` is the field path of `at`
 * as the model knows it (spec.http[0].route[1].destination.host; NULL
 * for a key, which has none); when the document spelt the path
 * differently (aliases, merge keys), the path recorded at distil time
 * wins. The variable arguments fill the code's template.
 */
void diag_report_at(struct diag_list *l, enum diag_code code,
		    const struct resource *res, const struct mpos *at,
		    const char *path, ...);
/* For codes whose template is "...%s...": formats the detail first. */
void diag_reportf_at(struct diag_list *l, enum diag_code code,
		     const struct resource *res, const struct mpos *at,
		     const char *path, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/*
 * The field path of position `at` of r's record: as written when r's
 * document uses aliases or merge keys (resource.xpaths), else `path`.
 * For a report on another resource than the one holding `at`.
 */
const char *diag_model_path(const struct resource *r, const struct mpos *at,
			    const char *path);
/*
 * A map key as a field path writes it, appended to `prefix`: `.key`, or
 * `["key"]` when it has unusual characters (arena string).
 */
char *diag_path_key(struct arena *a, const char *prefix, const char *key);

/* A report not tied to a node (YAML errors, whole-file problems). */
void diag_report_pos(struct diag_list *l, enum diag_code code,
		     const char *file, unsigned line, unsigned col,
		     const char *origin, const char *path, ...);

/* The field path of `at` relative to `root`: spec.http[0].route. */
char *diag_node_path(struct arena *a, const struct node *root,
		     const struct node *at);

/*
 * Whether d's resource drops it with the annotation istioctl analyze
 * honours, galley.istio.io/analyze-suppress: "*" or a comma-separated
 * list of codes (items untrimmed). False when d has no resource.
 */
bool diag_annotation_suppresses(const struct diag *d);

/* Sorts by file, line, column, code, message; removes exact duplicates. */
void diag_sort(struct diag_list *l);

#endif
