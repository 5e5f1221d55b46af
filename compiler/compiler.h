/*
 * The one header cli/ includes: a run over a set of inputs ("project"),
 * and the pipeline's phases in order (compiler/README.md draws it and
 * names the file that owns each step):
 *   project_load      paths -> bytes -> per document: node tree ->
 *                     resources -> (validated) -> typed model (model.h)
 *   project_validate  schema checks and Istio's admission rules, per resource
 *   project_analyze   cross-references between resources
 * Diagnostics of every phase end up in project.diags. Each command's
 * sequence of phases is one function at the end (pipeline.c:
 * meshc_check, meshc_compile, meshc_table_load, meshc_diff).
 */
#ifndef MESHC_COMPILER_H
#define MESHC_COMPILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "arena.h"
#include "diag.h"
#include "node.h"
#include "node_json.h"
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
	bool canonical_hashes;       /* fill resource.chash while loading (diff) */
	unsigned jobs;               /* worker threads; 0 = number of cores */
	/*
	 * Nothing reads a node tree after loading (check, diff): each
	 * document's tree is dropped once it is checked (when loading
	 * validates) and distilled; the Gateway API conversion keeps a copy
	 * of what it reads (gwapi_keep). project_validate after
	 * project_load has no trees to read then.
	 */
	bool release_trees;
	/*
	 * Nothing reads an input's bytes after loading (no source excerpts
	 * are printed): with release_trees, each input's bytes are freed once
	 * it is loaded (source_release_bytes), except an input holding a
	 * MESHC_IGNORE_MARK comment, which cli/suppress.c reads later.
	 */
	bool release_inputs;
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

/* The comment that suppresses diagnostics on its line (cli/suppress.c). */
#define MESHC_IGNORE_MARK "meshc:ignore"

/* One input: a file, or standard input. */
struct source_unit {
	const char *file;            /* display name: path as given, or "<stdin>" */
	char *bytes;                 /* heap copy of the contents; NULL once
	                              * released (source_release_bytes) */
	size_t len;
	bool from_stdin;             /* read from "-": cannot be read again */
	unsigned long long digest;   /* hash_bytes of the bytes, once released */
	struct arena arena;          /* nodes, strings and diagnostics of this unit */
	struct diag_list diags;
	struct node **docs;          /* heap array of document roots (NULL: empty) */
	bool *doc_irregular;         /* heap, per document: aliases or merge keys used */
	size_t ndocs, docs_cap;
	struct resource **res;       /* heap array, in document order */
	size_t nres, res_cap;
	/* What the Gateway API conversion reads past distilling: copies of
	 * the trees of its objects, in document order (gwapi_keep; heap). */
	const struct node **gw_trees;
	size_t ngw_trees, gw_trees_cap;
	bool gateway_api;            /* one of them is a Gateway API object */
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
	bool gateway_api;            /* an input holds a Gateway API object */
	bool has_kind[KIND_COUNT];   /* which kinds the input has */
	/* The cross-reference index (xref_index.h), built once by the first
	 * phase that needs it (project_index) and shared by the analyzers,
	 * the route builder and diff; released with the project. */
	struct xref *index;
	/*
	 * meshc diff's NEW side, set before project_load: the OLD side's
	 * project (loaded with the same options, trees released). An input
	 * named as one of OLD's below the path given (`root`) takes the
	 * resources of the leading and trailing chunks it shares byte for
	 * byte with OLD's from there, parsing only what lies between
	 * (project.c share_plan). OLD must outlive this project.
	 */
	const struct project *share_from;
	const char *root;            /* the one path loaded, or NULL */
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
/*
 * The run's cross-reference index over p->res (xref_index.c), built on
 * the first call. Resources loaded later are not in it.
 */
struct xref *project_index(struct project *p);
/* project_release's part: the index project_index built, if any. */
void project_index_release(struct project *p);
/* Gathers every unit's diagnostics into p->diags and sorts them. */
void project_finish_diags(struct project *p);

/* ---- shared with the CLI ---- */

/*
 * schema.c: the candidate closest to name (len bytes) within a small edit distance
 * (equal ignoring case, '-' and '_' first), or NULL when none is close.
 * cands points at the first candidate string pointer; the next is stride
 * bytes further (an array of structs whose first field is the name, or of
 * plain strings with stride sizeof(char *)).
 */
const char *schema_closest(const void *cands, size_t n, size_t stride,
			   const char *name, size_t len);

/*
 * `meshc convert` (gwapi_out.c): the Istio config Istio derives from the
 * project's Gateway API resources, or with `status` their statuses, as
 * YAML on f.
 */
void gwapi_convert_print(const struct project *p, const char *domain, bool status,
			 FILE *f);

/* ---- compile: route build and emit (route_*.c) ---- */

struct mrt_table;
/*
 * route_compile.c: the route table of a project that has been loaded,
 * validated and analysed: route_build() then route_emit(). Returns a heap
 * buffer (*len bytes; caller frees) or NULL with a message in err. The
 * MSH04xx warnings go to d.
 */
void *route_compile(struct project *p, struct diag_list *d, size_t *len,
		    char *err, size_t errlen);
/* route_compile for meshc diff: only the virtual hosts overlapping
 * `only` (host_set.h; NULL: all) are sure to be complete. */
struct host_set;
void *route_compile_only(struct project *p, const struct host_set *only,
			 struct diag_list *d, size_t *len, char *err, size_t errlen);

/*
 * route_write.c: writes buf atomically to path: a temporary file in the
 * target's directory, fsync, rename, fsync of the directory. A symbolic
 * link is written through (the file it names is replaced); anything but
 * a regular file at the target is refused; an existing file keeps its
 * mode. 0, or -1 with a message in err (path left untouched, unless only
 * the directory's fsync failed after the rename).
 */
int route_write_atomic(const char *path, const void *buf, size_t len,
		       char *err, size_t errlen);


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
 * source_read_paths calling each(ctx, u) as soon as each unit u is read
 * (its diagnostics list not yet ready; u moves as later units are added),
 * so that a caller can drop bytes it will not parse before the next
 * input is read (meshc diff's NEW side, project.c).
 */
void source_read_paths_each(struct project *p, char *const *paths, size_t npaths,
			    void (*each)(void *ctx, struct source_unit *u), void *ctx);
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
/*
 * Frees u's bytes once loaded (meshc_options.release_inputs), keeping
 * their digest, unless u cannot be read again (standard input), is empty
 * (or was not read: past the size limit) or holds a MESHC_IGNORE_MARK
 * comment. True when they were freed.
 */
bool source_release_bytes(struct source_unit *u);
/*
 * Reads an input whose bytes were released again (a second load pass
 * needs them). False, with a message naming it on stderr and usage_error
 * set, when it cannot be read or is no longer what was loaded; u is then
 * left empty.
 */
bool source_reread(struct project *p, struct source_unit *u);
/*
 * The bytes of an input that source_release_bytes freed, read again into
 * a heap buffer the caller frees (*len their length), for a reader that
 * needs a part of them once (meshc diff); NULL when the input cannot be
 * read again or is no longer what was loaded.
 */
char *source_read_again(const struct source_unit *u, size_t max, size_t *len);

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
/*
 * A part of an input parsed on its own: project.c splits a large input
 * at document boundaries (yaml_split_point) so that its parts load in
 * parallel. The source unit of a part holds the part's bytes; line0 is
 * the number of lines before it, budget_bytes the size of the whole
 * input (the node budget is the input's); nodes returns the nodes made,
 * so that the caller can tell whether the parts together stayed within
 * the budget (else the input is loaded again in one piece).
 */
struct yaml_part {
	unsigned line0;
	size_t budget_bytes;
	size_t nodes;                /* out: nodes made (tried) */
	size_t budget;               /* out: the budget they count against */
};
void yaml_parse_part(struct source_unit *u, const struct meshc_limits *lim,
		     struct arena *tree, yaml_chunk_fn *fn, void *ctx,
		     struct yaml_part *part);
/*
 * The offset of the first line at or after byte `from` where the front
 * end starts a new chunk of the input (a `---` line), so that parsing
 * the two sides apart gives the same documents; 0 when there is none.
 */
size_t yaml_split_point(const char *bytes, size_t len, size_t from);
void resources_from_docs(struct source_unit *u, const struct meshc_options *opt,
			 size_t first);
/*
 * The byte range [*off, *off + *clen) of bytes that yaml_parse_unit parses
 * as one chunk (documents sharing no anchors or directives with the rest)
 * and that holds 1-based line `line`; false when there is none.
 */
bool yaml_chunk_at(const char *bytes, size_t len, unsigned line,
		   size_t *off, size_t *clen);
void resources_from_unit(struct source_unit *u, const struct meshc_options *opt);
void validate_resource(struct diag_list *d, const struct resource *r,
		       const struct meshc_options *opt);

/*
 * meshc diff's result and phases (diff.h): included here, after the
 * types it uses, so that cli/ reaches the compiler through this header.
 */
#include "diff.h"

/* ---- the commands, one pipeline each (pipeline.c) ---- */

/*
 * Each command's phases, written once as straight-line calls. The caller
 * (cli/) keeps what is about the terminal and the user's settings: it
 * draws progress, prints timings and applies suppression through these
 * hooks; every one may be NULL.
 */
enum meshc_phase {
	MESHC_LOADED,                /* read, validated, distilled */
	MESHC_ANALYZED,              /* cross-references checked */
	MESHC_SORTED,                /* p->diags gathered and sorted */
	MESHC_BUILT,                 /* compile: the route table emitted */
};

struct meshc_hooks {
	/* The load pass: units done of total, from any worker thread. */
	void (*progress)(void *ctx, size_t done, size_t total);
	/* A phase has ended (calling thread). */
	void (*phase_done)(void *ctx, enum meshc_phase phase, const struct project *p);
	/*
	 * Suppression: keeps the diagnostics items[0..n) the user has not
	 * accepted, in order, at the front; returns how many. Called on
	 * p->diags once sorted (MESHC_SORTED), and by compile on the route
	 * builder's warnings (MESHC_BUILT) before they join p->diags.
	 */
	size_t (*filter)(void *ctx, const struct project *p, enum meshc_phase phase,
			 struct diag *items, size_t n);
	/*
	 * diff: which virtual hosts are built and compared: `only` (NULL:
	 * all, for the reason `why`; why NULL: the caller asked for the
	 * plain comparison).
	 */
	void (*scoped)(void *ctx, const struct host_set *only, const char *why);
	void *ctx;
};

/*
 * meshc check: load and validate (each document distilled to its record
 * as it is checked), analyze, then gather and sort the diagnostics into
 * p->diags, filtered. p must be initialised.
 */
void meshc_check(struct project *p, char *const *paths, size_t npaths,
		 const struct meshc_hooks *h);

/*
 * meshc compile: meshc_check, then, when every input was read and no
 * error is left after filtering, the route table (route_compile: index,
 * Gateway API conversion, build, emit). The route builder's warnings
 * (MSH04xx), filtered, join p->diags, which stays sorted. Returns 0 with
 * the table in *table (heap, *len bytes; caller frees); 1 when the config
 * has errors or an input could not be read (p->usage_error); -1 when the
 * build failed, with the reason in err. *table is NULL unless 0.
 */
int meshc_compile(struct project *p, char *const *paths, size_t npaths,
		  const struct meshc_hooks *h, void **table, size_t *len,
		  char *err, size_t errlen);

/*
 * meshc query, dump and test: opens TABLE, a compiled table (recognised
 * by its magic), or else config paths (a directory, or a .yaml/.yml file)
 * compiled in memory as meshc_compile does with the default options,
 * namespace `ns` (NULL: default) and input limits `lim` (NULL: the
 * defaults). Config with errors (after the analyze-suppress annotation)
 * is refused. On success *t is open and *buf holds the bytes it uses
 * (free after mrt_close; NULL for a mapped file). -1 with a message
 * otherwise.
 */
int meshc_table_load(const char *path, const char *ns,
		     const struct meshc_limits *lim, struct mrt_table **t,
		     void **buf, char *err, size_t errlen);

/* One side of meshc diff: config loaded as a project, or a compiled table. */
struct meshc_diff_side {
	const char *path;            /* in: a file, a directory, or "-" */
	bool empty;                  /* in: git's /dev/null, no file on this side */
	bool is_table;               /* a compiled table (by its magic bytes) */
	bool loaded;                 /* p is initialised */
	bool rejected;               /* YAML errors: p.diags holds just those */
	struct project p;
	struct mrt_table *t;         /* the table (opened, or compiled from config) */
	void *buf;                   /* compiled bytes behind t, or NULL */
};

/*
 * meshc diff: loads (not validates) or opens each side, diffs the
 * resources of two configs, then, when their routes can differ, compiles
 * the config sides and compares the routes (of the hosts diff_scope says
 * can differ, or all; `plain`: every host, and NEW parsed on its own).
 * The sides must be zeroed but for their inputs; they outlive d (release
 * them after it). 0, or 2 with a message in err (empty when the loader has
 * printed it already: an unreadable path).
 */
struct diff_result;
int meshc_diff(struct diff_result *d, struct meshc_diff_side *old_side,
	       struct meshc_diff_side *new_side, const struct meshc_options *opt,
	       bool plain, const struct meshc_hooks *h, char *err, size_t errlen);
void meshc_diff_side_release(struct meshc_diff_side *s);

#endif
