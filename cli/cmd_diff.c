/*
 * meshc diff OLD NEW [options]: what changed between two configurations,
 * at the resource level (added, removed and changed resources with field
 * paths) and at the route level (request classes that now go somewhere
 * else). Each side is a config path (file, directory, or `-`) or a
 * compiled route table (recognised by its magic bytes); with a table on
 * either side only routes are compared. Config sides are only loaded, not
 * validated: a side with YAML errors (syntax, limits, encoding, duplicate
 * keys, documents that are not objects, nameless objects) is an error,
 * its diagnostics printed on stderr; other problems are `meshc check`'s
 * business. Routes of a config side are compiled in memory as `meshc
 * compile` would.
 *
 * Exit 0 no difference, 1 differences, 2 error. With --git meshc acts as
 * git's external diff driver (GIT_EXTERNAL_DIFF or diff.<driver>.command):
 * seven arguments (path old-file old-hex old-mode new-file new-hex
 * new-mode; nine for a rename), /dev/null for an added or removed file;
 * it prints the text diff and exits 0 even for data errors, as git before
 * 2.46 stops at any other exit status.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "output.h"
#include "route_json.h"

/* One side of the diff: a loaded project, or an opened table. */
struct side {
	const char *path;
	bool empty;                  /* git's /dev/null: no file on this side */
	bool is_table;
	struct project p;            /* config sides */
	bool loaded;
	mrt_table *t;                /* the table (opened, or compiled from config) */
	void *buf;                   /* compiled bytes behind t, or NULL */
};

/* Whether path is a regular file starting with the table magic. */
static bool is_table_file(const char *path)
{
	if (strcmp(path, "-") == 0)
		return false;
	char err[256];
	int fd = source_open(path, err, sizeof(err));
	if (fd < 0)
		return false;
	unsigned char magic[8];
	ssize_t n = read(fd, magic, sizeof(magic));
	close(fd);
	return n > 0 && mrt_is_table(magic, (size_t)n);
}

/* Diagnostics that make a side unreadable as config (see the top comment). */
static bool load_error(const struct diag *d)
{
	const struct diag_info *i = diag_info(d->code);
	return d->level == LEVEL_ERROR &&
	       (i->layer == LAYER_YAML || d->code == MSH0006);
}

/*
 * Opens or loads one side. Returns 0, or 2 after printing why it cannot
 * be compared (unreadable, a bad table, YAML errors). `share`: the other
 * side's project, whose resources this one takes where their inputs are
 * the same bytes (NULL: none).
 */
static int side_open(struct side *s, const struct meshc_options *opt,
		     const struct project *share)
{
	char err[512];
	if (!s->empty && is_table_file(s->path)) {
		s->is_table = true;
		if (mrt_open(s->path, &s->t, err, sizeof(err)) != 0) {
			fprintf(stderr, "meshc: %s\n", err);
			return 2;
		}
		return 0;
	}
	project_init(&s->p, opt);
	s->p.share_from = share;
	s->loaded = true;
	char *paths[1] = { (char *)s->path };
	project_load(&s->p, paths, s->empty ? 0 : 1);
	if (s->p.usage_error)
		return 2;
	project_finish_diags(&s->p);
	size_t kept = 0;
	for (size_t i = 0; i < s->p.diags.n; i++)
		if (load_error(&s->p.diags.items[i]))
			s->p.diags.items[kept++] = s->p.diags.items[i];
	if (kept) {
		struct output_ctx ctx = { .p = &s->p, .failure = LEVEL_ERROR };
		output_text(stderr, s->p.diags.items, kept, &ctx);
		fprintf(stderr, "meshc: %s: cannot compare: the YAML has errors\n",
			strcmp(s->path, "-") != 0 ? s->path :
			opt->stdin_name ? opt->stdin_name : "<stdin>");
		return 2;
	}
	return 0;
}

/* Compiles a config side's routes in memory (the virtual hosts
 * overlapping `only`, NULL: all) and opens the table. */
static int side_compile(struct side *s, const struct host_set *only)
{
	char err[512] = "";
	size_t len = 0;
	struct diag_list warn;
	diag_list_init(&warn, &s->p.arena);
	s->buf = route_compile_only(&s->p, only, &warn, &len, err, sizeof(err));
	diag_list_release(&warn);
	if (!s->buf || mrt_open_buffer(s->buf, len, &s->t, err, sizeof(err)) != 0) {
		fprintf(stderr, "meshc: %s: cannot build the route table: %s\n",
			s->path, err);
		return 2;
	}
	return 0;
}

static void side_release(struct side *s)
{
	if (s->t)
		mrt_close(s->t);
	free(s->buf);
	if (s->loaded)
		project_release(&s->p);
}

/*
 * Whether the route tables of two configs can differ, given their resource
 * diff d. The route builder reads only VirtualServices, DestinationRules,
 * Gateways, ServiceEntries and Services (route_build.c), and a table does
 * not depend on input order, comments, host forms or cluster metadata,
 * none of which the resource diff reports either. So when no resource of
 * those kinds differs, compiling both sides (the slow part of a diff) is
 * skipped: the tables are equal.
 */
static bool routes_may_differ(const struct diff_result *d)
{
	for (size_t i = 0; i < d->nres; i++) {
		const char *k = d->res[i].kind;
		if (strcmp(k, "Pod") != 0 && strcmp(k, "Node") != 0 && strcmp(k, "Secret") != 0)
			return true;
	}
	return false;
}

/*
 * MESHC_DIFF_SCOPE, for tests/t_diff_scope.sh only: "full" diffs the
 * plain way (NEW parsed on its own, every host compared), "show" says on
 * stderr how many hosts were compared.
 */
static bool plain_diff(void)
{
	const char *how = getenv("MESHC_DIFF_SCOPE");
	return how && strcmp(how, "full") == 0;
}

/* Runs the comparison into d; 0, or 2 after printing a message. */
static int run_diff(struct side *so, struct side *sn, const struct meshc_options *opt,
		    struct diff_result *d)
{
	int rc = side_open(so, opt, NULL);
	if (rc == 0)
		rc = side_open(sn, opt, so->loaded && !plain_diff() ? &so->p : NULL);
	if (rc)
		return rc;
	if (!so->is_table && !sn->is_table) {
		char err[1024];
		if (diff_resources(d, &so->p, &sn->p, opt->domain, err, sizeof(err)) != 0) {
			fprintf(stderr, "meshc: %s\n", err);
			return 2;
		}
	}
	if (!so->is_table && !sn->is_table && !routes_may_differ(d))
		return 0;
	/* Between two configs, only the hosts whose inputs changed are
	 * built and compared, when diff_scope knows which they are. */
	const char *how = getenv("MESHC_DIFF_SCOPE");
	struct host_set *only = NULL;
	char why[256] = "a table side";
	if (plain_diff())
		snprintf(why, sizeof(why), "MESHC_DIFF_SCOPE=full");
	else if (!so->is_table && !sn->is_table)
		only = diff_scope(d, &so->p, &sn->p, why, sizeof(why));
	if (how && strcmp(how, "show") == 0) {
		if (only)
			fprintf(stderr, "meshc: diff scope: %zu hosts\n", diff_scope_size(only));
		else
			fprintf(stderr, "meshc: diff scope: all hosts (%s)\n", why);
	}
	rc = (!so->is_table && side_compile(so, only)) || (!sn->is_table && side_compile(sn, only));
	if (!rc)
		diff_routes(d, so->t, sn->t, only);
	diff_scope_free(only);
	return rc ? 2 : 0;
}

int cmd_diff(int argc, char **argv)
{
	struct meshc_options mopt;
	meshc_options_init(&mopt);
	mopt.canonical_hashes = true;   /* diff_resources skips equal resources */
	mopt.release_trees = true;      /* nothing reads a tree after loading */
	const char *format = "text";
	bool quiet = false, git = false;
	int c;

	while ((c = cli_getopt("diff", argc, argv)) != -1) {
		switch (c) {
		case CLI_HELP:
			return 0;
		case CLI_ERROR:
			return 2;
		case 'o':
			format = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case OPT_GIT:
			git = true;
			break;
		default:
			if (cli_input_option(c, optarg, &mopt) < 0)
				return 2;
			break;
		}
	}
	int fmt = diff_format_lookup(format);
	if (fmt < 0) {
		fprintf(stderr, "meshc: unknown output format \"%s\" (text, json, markdown)\n",
			format);
		return 2;
	}
	int npos = argc - optind;
	char **pos = argv + optind;
	struct side so = { 0 }, sn = { 0 };
	const char *gpath = NULL, *gnew = NULL;
	if (git) {
		if (npos != 7 && npos != 9) {
			fprintf(stderr, "meshc: diff --git takes the seven arguments git passes "
				"(path old-file old-hex old-mode new-file new-hex new-mode), got %d\n",
				npos);
			return 2;
		}
		gpath = pos[0];
		gnew = npos == 9 ? pos[7] : pos[0];
		so.path = pos[1];
		sn.path = pos[4];
		so.empty = strcmp(so.path, "/dev/null") == 0;
		sn.empty = strcmp(sn.path, "/dev/null") == 0;
		fmt = DIFF_TEXT;
	} else {
		if (npos != 2)
			return cli_usage_error("diff", "diff needs OLD and NEW");
		so.path = pos[0];
		sn.path = pos[1];
		if (strcmp(so.path, "-") == 0 && strcmp(sn.path, "-") == 0) {
			fprintf(stderr, "meshc: only one side can be - (standard input)\n");
			return 2;
		}
	}

	struct diff_result d;
	diff_result_init(&d);
	d.route_view = route_json_action;
	int rc = run_diff(&so, &sn, &mopt, &d);
	if (git) {
		printf("meshc diff a/%s b/%s\n", gpath, gnew);
		if (rc)
			printf("cannot compare semantically (see the messages above)\n");
		else if (diff_result_empty(&d))
			printf("no semantic difference (formatting, comments or order only)\n");
		else if (diff_print(stdout, &d, DIFF_TEXT) != 0)
			rc = -1;
		rc = rc < 0 || fflush(stdout) != 0 ? 2 : 0;
	} else if (rc == 0) {
		bool differ = !diff_result_empty(&d);
		if (!quiet && (diff_print(stdout, &d, (enum diff_format)fmt) != 0 ||
			       fflush(stdout) != 0)) {
			fprintf(stderr, "meshc: cannot write the output\n");
			rc = 2;
		} else {
			rc = differ ? 1 : 0;
		}
	}
	diff_result_release(&d);
	side_release(&so);
	side_release(&sn);
	return rc;
}
