/*
 * The one header cli/ includes: a run over a set of inputs ("project"),
 * and the pipeline's phases in order (compiler/README.md draws it and
 * names the file that owns each step):
 *   project_load      paths -> bytes -> per document: node tree ->
 *                     resources -> (validated) -> typed model (model.h)
 *   project_validate  schema checks and Istio's admission rules, per resource
 *   project_analyze   cross-references between resources
 * Diagnostics of every phase end up in project.diags.
 */
#ifndef MESHC_COMPILER_H
#define MESHC_COMPILER_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "diag.h"
#include "node.h"
#include "resource.h"

struct meshc_limits {
	unsigned max_depth;          /* nesting depth, default 256 */
	size_t max_alias_nodes;      /* alias expansion budget per document, 10,000 */
	size_t max_scalar_bytes;     /* 1 MiB */
	size_t max_document_bytes;   /* 64 MiB */
	size_t max_file_bytes;       /* a file or standard input, 64 MiB */
};

struct meshc_options {
	const char *namespace;       /* default for resources without one */
	const char *domain;          /* cluster domain, "cluster.local" */
	const char *stdin_name;      /* what "-" is called in diagnostics; NULL: "<stdin>" */
	bool require_hosts;          /* host checks even without Services */
	unsigned jobs;               /* worker threads; 0 = number of cores */
	/*
	 * Nothing reads a node tree after loading (check): each document's
	 * tree is dropped once it is checked and distilled, unless the input
	 * holds Gateway API objects, whose conversion reads trees.
	 */
	bool release_trees;
	struct meshc_limits limits;
	unsigned limits_given;       /* bit i: limit i of cli_limits[] set on the
	                              * command line (config keys do not override it) */
	/*
	 * Path globs (fnmatch) of inputs to skip, walked or named: a pattern
	 * without '/' matches any component of a path, one with '/' the path
	 * or a leading part of it (source.c path_ignored). NULL when none.
	 */
	const char *const *ignore;
	size_t nignore;
	/*
	 * Called by the worker pool after each unit of a pass (from any worker
	 * thread) with the units done and the total, for a progress line;
	 * NULL for none.
	 */
	void (*progress)(void *ctx, size_t done, size_t total);
	void *progress_ctx;
};

void meshc_options_init(struct meshc_options *o);

/* One input: a file, or standard input. */
struct source_unit {
	const char *file;            /* display name: path as given, or "<stdin>" */
	char *bytes;                 /* heap copy of the contents */
	size_t len;
	struct arena arena;          /* nodes, strings and diagnostics of this unit */
	struct diag_list diags;
	struct node **docs;          /* heap array of document roots (NULL: empty) */
	bool *doc_irregular;         /* heap, per document: aliases or merge keys used */
	size_t ndocs, docs_cap;
	struct resource **res;       /* heap array, in document order */
	size_t nres, res_cap;
	bool trees_needed;           /* a dropped tree was a Gateway API object */
};

struct project {
	struct meshc_options opt;
	struct source_unit *units;   /* heap array, sorted as the inputs were walked */
	size_t nunits;
	struct resource **res;       /* every resource, in input order */
	size_t nres;
	size_t nseq;                 /* resources loaded: every seq is below it
	                              * (nres may shrink, see resource.shadowed) */
	struct arena arena;          /* run-wide allocations */
	struct diag_list diags;      /* every diagnostic after project_finish_diags */
	bool usage_error;            /* an unreadable path: exit 2 */
	bool validated;              /* project_validate's work is done */
	bool trees_released;         /* resources have no trees (release_trees) */
	bool has_kind[KIND_COUNT];   /* which kinds the input has */
};

void project_init(struct project *p, const struct meshc_options *opt);
void project_release(struct project *p);

/*
 * Reads every path (file, directory, or "-" for stdin) and builds node
 * trees and resources. An unreadable path prints a message naming it on
 * stderr and sets usage_error; the other paths are still read.
 */
void project_load(struct project *p, char *const *paths, size_t npaths);
/*
 * project_load, then project_validate, in one pass over each unit: each
 * tree is validated right after it is built, while it is still in cache.
 */
void project_load_validated(struct project *p, char *const *paths,
			    size_t npaths);
/* Schema and admission checks of every resource (parallel per unit);
 * nothing to do after project_load_validated. */
void project_validate(struct project *p);
/* Cross-resource analysis over all resources. */
void project_analyze(struct project *p);
/* Gathers every unit's diagnostics into p->diags and sorts them. */
void project_finish_diags(struct project *p);

/*
 * Reads every path (file, directory, or "-" for stdin) into p->units
 * (source.c); project_load's first step. Each unit's diagnostics list is
 * ready afterwards. A path that cannot be read (including one met during
 * a directory walk) prints a message naming it on stderr and sets
 * usage_error; an input past limits.max_file_bytes is an MSH0002 error
 * of its unit and is left empty.
 */
void source_read_paths(struct project *p, char *const *paths, size_t npaths);
/*
 * Opens path for reading if it is a regular file, refusing anything else
 * (FIFO, device, directory) before an open that could block. The
 * descriptor, or -1 with the reason in err.
 */
int source_open(const char *path, char *err, size_t errlen);
/*
 * Reads the regular file at path ("-": standard input) into a heap
 * buffer (NUL-terminated), at most max bytes. 0; 1 when it is larger
 * than max (*bytes NULL); -1 when it cannot be read. The reason is in
 * err when not 0.
 */
int source_read_file(const char *path, size_t max, char **bytes, size_t *len,
		     char *err, size_t errlen);

/* Phases, one module each; each reports into the unit's diagnostics. */
void yaml_parse_unit(struct source_unit *u, const struct meshc_limits *lim);
/*
 * yaml_parse_unit with the trees in `tree`, calling fn after each chunk
 * of the input (a document, or the few that share a `---`-free stretch)
 * with the documents it added, u->docs[first..u->ndocs). The anchors of
 * a chunk do not reach past it, so fn may drop those documents: it sets
 * u->ndocs back to first and returns true, and `tree` is reset for the
 * next chunk. fn runs with u->diags.scope 0, as the phases after parsing
 * do.
 */
typedef bool yaml_chunk_fn(struct source_unit *u, size_t first, void *ctx);
void yaml_parse_unit_each(struct source_unit *u, const struct meshc_limits *lim,
			  struct arena *tree, yaml_chunk_fn *fn, void *ctx);
void resources_from_docs(struct source_unit *u, const struct meshc_options *opt,
			 size_t first);
void resources_from_unit(struct source_unit *u, const struct meshc_options *opt);
void validate_resource(struct diag_list *d, const struct resource *r,
		       const struct meshc_options *opt);

#endif
