/*
 * The command table and every command's options (see commands.h), and
 * what is generated from them: --help text, option parsing with
 * did-you-mean, and usage errors. The table lives here rather than in
 * main.c because help, completion and the tests read it too.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "commands.h"

/* ---- the tables ---- */

static const struct cli_option limit_options[] = {
	{ .name = "max-depth", .key = OPT_MAX_DEPTH, .arg = "N",
	  .help = "YAML nesting depth limit (256)" },
	{ .name = "max-aliases", .key = OPT_MAX_ALIASES, .arg = "N",
	  .help = "alias expansion limit, nodes per document (10000)" },
	{ .name = "max-scalar-bytes", .key = OPT_MAX_SCALAR_BYTES, .arg = "N",
	  .help = "scalar size limit (1 MiB)" },
	{ .name = "max-document-bytes", .key = OPT_MAX_DOCUMENT_BYTES, .arg = "N",
	  .help = "document size limit (64 MiB)" },
	{ 0 },
};

/* How every command that reads config reads it. */
static const struct cli_option input_options[] = {
	{ .name = "namespace", .key = 'n', .arg = "NS",
	  .help = "namespace of resources without one (default)" },
	{ .name = "domain", .key = OPT_DOMAIN, .arg = "D",
	  .help = "cluster domain (cluster.local)" },
	{ .name = "stdin-filename", .key = OPT_STDIN_FILENAME, .arg = "NAME",
	  .help = "the name standard input (-) has in diagnostics (<stdin>)" },
	{ .name = "jobs", .key = 'j', .arg = "N",
	  .help = "worker threads (default: the number of cores)" },
	{ .include = limit_options },
	{ 0 },
};

static const struct cli_option check_options[] = {
	{ .name = "output", .key = 'o', .arg = "FORMAT",
	  .help = "output format (text)",
	  .values = "text json yaml sarif github junit", .complete = COMPLETE_WORDS },
	{ .name = "failure-threshold", .key = OPT_FAILURE_THRESHOLD, .arg = "LEVEL",
	  .help = "exit 1 at or above LEVEL (error)",
	  .values = "error warning info", .complete = COMPLETE_WORDS },
	{ .name = "output-threshold", .key = OPT_OUTPUT_THRESHOLD, .arg = "LEVEL",
	  .help = "print at or above LEVEL (info)",
	  .values = "error warning info", .complete = COMPLETE_WORDS },
	{ .name = "suppress", .key = 'S', .arg = "CODE=RES",
	  .help = "drop CODE (or *) on resources matching RES, \"Kind namespace/name\" "
		  "with * wildcards (repeatable)",
	  .repeat = true },
	{ .name = "require-hosts", .key = OPT_REQUIRE_HOSTS,
	  .help = "check destination hosts even without Services" },
	{ .name = "config", .key = OPT_CONFIG, .arg = "FILE",
	  .help = "read FILE instead of searching for .meshc.yaml",
	  .complete = COMPLETE_FILE },
	{ .name = "no-config", .key = OPT_NO_CONFIG,
	  .help = "ignore .meshc.yaml" },
	{ .name = "color", .key = OPT_COLOR, .arg = "WHEN",
	  .help = "colour text output (auto: on a terminal)",
	  .values = "auto always never", .complete = COMPLETE_WORDS },
	{ .name = "quiet", .key = 'q',
	  .help = "no summary line on stderr" },
	{ .name = "list-codes", .key = OPT_LIST_CODES,
	  .help = "list every diagnostic code and exit" },
	{ .include = input_options },
	{ 0 },
};

static const struct cli_option compile_options[] = {
	{ .name = "output", .key = 'o', .arg = "OUT",
	  .help = "the route table to write (atomically)",
	  .complete = COMPLETE_FILE },
	{ .name = "suppress", .key = 'S', .arg = "CODE=RES",
	  .help = "drop CODE on resources matching RES, as check does (repeatable)",
	  .repeat = true },
	{ .name = "require-hosts", .key = OPT_REQUIRE_HOSTS,
	  .help = "check destination hosts even without Services" },
	{ .name = "color", .key = OPT_COLOR, .arg = "WHEN",
	  .help = "colour the diagnostics (auto: on a terminal)",
	  .values = "auto always never", .complete = COMPLETE_WORDS },
	{ .include = input_options },
	{ 0 },
};

static const struct cli_option completion_options[] = {
	{ 0 },
};

static const struct cli_option convert_options[] = {
	{ .name = "status", .key = OPT_STATUS,
	  .help = "print the status Istio writes on each input resource" },
	{ .include = input_options },
	{ 0 },
};

static const struct cli_option diff_options[] = {
	{ .name = "output", .key = 'o', .arg = "FORMAT",
	  .help = "output format (text)",
	  .values = "text json markdown", .complete = COMPLETE_WORDS },
	{ .name = "quiet", .key = 'q',
	  .help = "print nothing; the exit status tells" },
	{ .name = "git", .key = OPT_GIT,
	  .help = "act as git's external diff driver" },
	{ .include = input_options },
	{ 0 },
};

static const struct cli_option dump_options[] = {
	{ .name = "output", .key = 'o', .arg = "FORMAT",
	  .help = "output format (json)",
	  .values = "json text", .complete = COMPLETE_WORDS },
	{ .name = "namespace", .key = 'n', .arg = "NS",
	  .help = "namespace of config without one, when TABLE is config" },
	{ .include = limit_options },
	{ 0 },
};

static const struct cli_option explain_options[] = {
	{ 0 },
};

static const struct cli_option help_options[] = {
	{ 0 },
};

/* What a sidecar does with a request no route matches (query, test). */
static const struct cli_option outbound_options[] = {
	{ .name = "outbound-traffic-policy", .key = OPT_OUTBOUND_TRAFFIC_POLICY,
	  .arg = "POLICY",
	  .help = "unmatched sidecar requests pass through or are dropped (ALLOW_ANY, "
		  "or the .meshc.yaml key)",
	  .values = "ALLOW_ANY REGISTRY_ONLY", .complete = COMPLETE_WORDS },
	{ .name = "config", .key = OPT_CONFIG, .arg = "FILE",
	  .help = "read the outbound traffic policy from FILE, not .meshc.yaml",
	  .complete = COMPLETE_FILE },
	{ .name = "no-config", .key = OPT_NO_CONFIG,
	  .help = "ignore .meshc.yaml" },
	{ 0 },
};

static const struct cli_option query_options[] = {
	{ .name = "gateway", .key = OPT_GATEWAY, .arg = "GW",
	  .help = "mesh, or NAMESPACE/NAME of a Gateway (mesh)" },
	{ .name = "host", .key = OPT_HOST, .arg = "HOST",
	  .help = "the request's authority (a :PORT suffix is ignored)" },
	{ .name = "port", .key = OPT_PORT, .arg = "N",
	  .help = "the listener port" },
	{ .name = "method", .key = OPT_METHOD, .arg = "M",
	  .help = "the request method (GET)" },
	{ .name = "path", .key = OPT_PATH, .arg = "P",
	  .help = "the path, may carry ?QUERY (/)" },
	{ .name = "header", .key = OPT_HEADER, .arg = "K=V",
	  .help = "a request header (repeatable)",
	  .repeat = true },
	{ .name = "scheme", .key = OPT_SCHEME, .arg = "S",
	  .help = "http or https" },
	{ .name = "source-label", .key = OPT_SOURCE_LABEL, .arg = "K=V",
	  .help = "a label of the sending workload (repeatable)",
	  .repeat = true },
	{ .name = "source-namespace", .key = OPT_SOURCE_NAMESPACE, .arg = "NS",
	  .help = "the sending workload's namespace" },
	{ .name = "sni", .key = OPT_SNI, .arg = "NAME",
	  .help = "the TLS server name (TLS routes; a gateway's TLS server, "
		  "the host by default)" },
	{ .name = "workload", .key = OPT_WORKLOAD, .arg = "K=V",
	  .help = "a gateway workload by its labels, instead of --gateway (repeatable)",
	  .repeat = true },
	{ .include = outbound_options },
	{ .name = "output", .key = 'o', .arg = "FORMAT",
	  .help = "output format (text)",
	  .values = "text json", .complete = COMPLETE_WORDS },
	{ .name = "namespace", .key = 'n', .arg = "NS",
	  .help = "namespace of config without one, when TABLE is config" },
	{ .include = limit_options },
	{ 0 },
};

static const struct cli_option test_options[] = {
	{ .name = "fail-under", .key = OPT_FAIL_UNDER, .arg = "PCT",
	  .help = "exit 1 when fewer than PCT% of the routes are exercised" },
	{ .include = outbound_options },
	{ .name = "quiet", .key = 'q',
	  .help = "print failures only, no coverage line" },
	{ .name = "namespace", .key = 'n', .arg = "NS",
	  .help = "namespace of config without one, when TABLE is config" },
	{ .include = limit_options },
	{ 0 },
};

/* Sorted by name. */
const struct cli_command cli_commands[] = {
	{ "check", cmd_check, "validate and cross-reference Istio config",
	  "[options] PATH...", check_options,
	  "PATH is a file, a directory (*.yaml, *.yml, recursively) or - for stdin.",
	  COMPLETE_FILE },
	{ "compile", cmd_compile, "compile config to a binary route table",
	  "[options] -o OUT PATH...", compile_options,
	  "Runs every check of meshc check; writes nothing when an error is found.",
	  COMPLETE_FILE },
	{ "completion", cmd_completion, "print a shell completion script",
	  "bash|zsh|fish", completion_options,
	  "bash: source <(meshc completion bash); installed by make install.",
	  COMPLETE_SHELL },
	{ "convert", cmd_convert, "print the Istio resources Istio derives from Gateway API config",
	  "[options] PATH...", convert_options,
	  "Prints the Istio Gateways and VirtualServices (or, with --status, the\n"
	  "statuses) Istio derives from Kubernetes Gateway API resources.",
	  COMPLETE_FILE },
	{ "diff", cmd_diff, "compare two configs or route tables",
	  "[options] OLD NEW", diff_options,
	  "OLD and NEW are each a file, a directory, - (stdin, one side) or a\n"
	  "compiled route table. Exit 0 no difference, 1 differences, 2 error.\n"
	  "With --git: meshc diff --git PATH OLD-FILE OLD-HEX OLD-MODE NEW-FILE\n"
	  "NEW-HEX NEW-MODE, as git's external diff driver.",
	  COMPLETE_FILE },
	{ "dump", cmd_dump, "decode a route table", "[options] TABLE", dump_options,
	  NULL, COMPLETE_FILE },
	{ "explain", cmd_explain, "explain a diagnostic code", "CODE", explain_options,
	  "Prints what CODE means, which layer it comes from, why it matters, an\n"
	  "example and how to fix it (meshc check --list-codes lists the codes).",
	  COMPLETE_CODE },
	{ "help", cmd_help, "print the help of meshc or of a command", "[COMMAND]",
	  help_options, NULL, COMPLETE_COMMAND },
	{ "query", cmd_query, "route one request through a table",
	  "TABLE [options]", query_options,
	  "TABLE is a compiled route table, or config compiled in memory.\n"
	  "Exit 0 a route matched, 1 none did, 2 usage error or bad table.",
	  COMPLETE_FILE },
	{ "test", cmd_test, "run router_check_tool tests against a table",
	  "[options] TABLE CASES.yaml", test_options, NULL, COMPLETE_FILE },
};
const size_t cli_ncommands = sizeof(cli_commands) / sizeof(cli_commands[0]);

static const struct cli_option help_option = {
	.name = "help", .key = 'h', .help = "print this help and exit",
};

/* ---- lookups ---- */

const struct cli_command *cli_command_find(const char *name)
{
	for (size_t i = 0; i < cli_ncommands; i++)
		if (strcmp(cli_commands[i].name, name) == 0)
			return &cli_commands[i];
	return NULL;
}

enum { MAX_OPTIONS = 96 };

static size_t flatten(const struct cli_option *t, const struct cli_option **out,
		      size_t n)
{
	for (; t->name || t->include; t++) {
		if (t->include) {
			n = flatten(t->include, out, n);
			continue;
		}
		if (n >= MAX_OPTIONS - 1) {
			fprintf(stderr, "meshc: internal error: too many options\n");
			abort();
		}
		out[n++] = t;
	}
	return n;
}

const struct cli_option *const *cli_command_options(const struct cli_command *c,
						    size_t *n)
{
	static const struct cli_option *flat[sizeof(cli_commands) /
					     sizeof(cli_commands[0])][MAX_OPTIONS];
	static size_t nflat[sizeof(cli_commands) / sizeof(cli_commands[0])];
	size_t i = (size_t)(c - cli_commands);
	if (!nflat[i]) {
		nflat[i] = flatten(c->options, flat[i], 0);
		flat[i][nflat[i]++] = &help_option;
	}
	*n = nflat[i];
	return flat[i];
}

/* ---- help ---- */

/* Writes text wrapped at 79 columns, continuation lines indented by `indent`. */
static void wrap(FILE *f, const char *text, size_t col, size_t indent)
{
	const char *s = text;
	while (*s) {
		size_t len = strcspn(s, " ");
		if (col > indent && col + 1 + len > 79) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)len, s);
		col += len;
		s += len;
		while (*s == ' ')
			s++;
	}
	fputc('\n', f);
}

enum { HELP_COLUMN = 32 };

static void option_usage(const struct cli_option *o, FILE *f)
{
	char left[128];
	int n = snprintf(left, sizeof(left), "  %c%c%s--%s%s%s",
			 o->key < 256 ? '-' : ' ', o->key < 256 ? o->key : ' ',
			 o->key < 256 ? ", " : "  ", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
	fputs(left, f);
	size_t col = (size_t)n;
	if (col + 1 >= HELP_COLUMN) {
		fprintf(f, "\n%*s", HELP_COLUMN, "");
	} else {
		fprintf(f, "%*s", (int)(HELP_COLUMN - col), "");
	}
	char help[512];
	if (o->values) {
		char vals[256];
		snprintf(vals, sizeof(vals), "%s", o->values);
		size_t k = 0;
		char list[300];
		for (char *p = vals; *p && k + 3 < sizeof(list); p++) {
			if (*p == ' ') {
				list[k++] = ',';
			}
			list[k++] = *p;
		}
		list[k] = '\0';
		snprintf(help, sizeof(help), "%s: %s", o->help, list);
	} else {
		snprintf(help, sizeof(help), "%s", o->help);
	}
	wrap(f, help, HELP_COLUMN, HELP_COLUMN);
}

void cli_command_usage(const struct cli_command *c, FILE *f)
{
	fprintf(f, "usage: meshc %s %s\n%s\n", c->name, c->synopsis, c->summary);
	size_t n;
	const struct cli_option *const *opts = cli_command_options(c, &n);
	fputs("\noptions:\n", f);
	for (size_t i = 0; i < n; i++)
		option_usage(opts[i], f);
	if (c->notes)
		fprintf(f, "\n%s\n", c->notes);
	fprintf(f, "\nman meshc for more.\n");
}

void cli_usage(FILE *f)
{
	fputs("usage: meshc <command> [options] [args]\n\ncommands:\n", f);
	for (size_t i = 0; i < cli_ncommands; i++)
		fprintf(f, "  %-11s %s\n", cli_commands[i].name, cli_commands[i].summary);
	fputs("\nmeshc help COMMAND (or meshc COMMAND --help) for a command's options;\n"
	      "meshc --version; man meshc for more.\n", f);
}

/* ---- parsing ---- */

int cli_usage_error(const char *name, const char *fmt, ...)
{
	va_list ap;
	fputs("meshc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	const struct cli_command *c = cli_command_find(name);
	if (c)
		fprintf(stderr, "\nmeshc: usage: meshc %s %s (meshc help %s for more)\n",
			c->name, c->synopsis, c->name);
	else
		fputc('\n', stderr);
	return 2;
}

/* The option of c whose long name is closest to word (len bytes), or NULL. */
static const struct cli_option *nearest_option(const struct cli_command *c,
					       const char *word, size_t len)
{
	size_t n;
	const struct cli_option *const *opts = cli_command_options(c, &n);
	const char *names[MAX_OPTIONS];
	for (size_t i = 0; i < n; i++)
		names[i] = opts[i]->name;
	const char *near = schema_closest(names, n, sizeof(names[0]), word, len);
	for (size_t i = 0; near && i < n; i++)
		if (opts[i]->name == near)
			return opts[i];
	return NULL;
}

/* The option of c whose key is key. */
static const struct cli_option *option_by_key(const struct cli_command *c, int key)
{
	size_t n;
	const struct cli_option *const *opts = cli_command_options(c, &n);
	for (size_t i = 0; i < n; i++)
		if (opts[i]->key == key)
			return opts[i];
	return NULL;
}

/* Whether value is one of the space-separated words of values (any case). */
static bool value_allowed(const char *values, const char *value)
{
	size_t vlen = strlen(value);
	for (const char *s = values; *s;) {
		size_t len = strcspn(s, " ");
		if (len == vlen && strncasecmp(s, value, len) == 0)
			return true;
		s += len;
		while (*s == ' ')
			s++;
	}
	return false;
}

static int bad_value(const struct cli_command *c, const struct cli_option *o,
		     const char *value)
{
	const char *words[32];
	char buf[256];
	size_t n = 0;
	snprintf(buf, sizeof(buf), "%s", o->values);
	for (char *s = strtok(buf, " "); s && n < 32; s = strtok(NULL, " "))
		words[n++] = s;
	const char *near = schema_closest(words, n, sizeof(words[0]), value,
					  strlen(value));
	char list[300];
	size_t k = 0;
	for (const char *p = o->values; *p && k + 3 < sizeof(list); p++) {
		if (*p == ' ')
			list[k++] = ',';
		list[k++] = *p;
	}
	list[k] = '\0';
	fprintf(stderr, "meshc: %s: unknown value \"%s\" for --%s", c->name, value,
		o->name);
	if (near)
		fprintf(stderr, ", did you mean \"%s\"?", near);
	fprintf(stderr, " (one of %s)\n", list);
	return CLI_ERROR;
}

/* Reports the option at argv[optind - 1] that getopt did not accept. */
static int bad_option(const struct cli_command *c, int argc, char **argv, int ret)
{
	const char *arg = optind - 1 < argc ? argv[optind - 1] : "";
	if (ret == ':') {
		const struct cli_option *o = optopt ? option_by_key(c, optopt) : NULL;
		if (o && o->key < 256)
			fprintf(stderr, "meshc: %s: option -%c/--%s needs a value (%s)\n",
				c->name, o->key, o->name, o->arg);
		else if (o)   /* a long-only option: its key is no character */
			fprintf(stderr, "meshc: %s: option --%s needs a value (%s)\n",
				c->name, o->name, o->arg);
		else
			fprintf(stderr, "meshc: %s: option %s needs a value\n", c->name, arg);
		return CLI_ERROR;
	}
	if (optopt && optopt < 256 && strncmp(arg, "--", 2) != 0) {
		fprintf(stderr, "meshc: %s: unknown option -%c", c->name, optopt);
	} else if (optopt) {
		/* A known long option given a value it does not take. */
		const struct cli_option *o = option_by_key(c, optopt);
		fprintf(stderr, "meshc: %s: option --%s takes no value\n", c->name,
			o ? o->name : "?");
		return CLI_ERROR;
	} else {
		const char *word = arg + (strncmp(arg, "--", 2) == 0 ? 2 : 1);
		size_t len = strcspn(word, "="), n, nprefix = 0;
		const struct cli_option *const *opts = cli_command_options(c, &n);
		for (size_t i = 0; i < n; i++)
			nprefix += strncmp(opts[i]->name, word, len) == 0;
		if (nprefix > 1) {
			fprintf(stderr, "meshc: %s: ambiguous option --%.*s:", c->name,
				(int)len, word);
			for (size_t i = 0; i < n; i++)
				if (strncmp(opts[i]->name, word, len) == 0)
					fprintf(stderr, " --%s", opts[i]->name);
		} else {
			fprintf(stderr, "meshc: %s: unknown option --%.*s", c->name,
				(int)len, word);
			const struct cli_option *near = nearest_option(c, word, len);
			if (near)
				fprintf(stderr, ", did you mean --%s?", near->name);
		}
	}
	fprintf(stderr, "\nmeshc: meshc help %s lists its options\n", c->name);
	return CLI_ERROR;
}

int cli_getopt(const char *name, int argc, char **argv)
{
	static const struct cli_command *cur;
	static char **cur_argv;
	static struct option longopts[MAX_OPTIONS + 1];
	static char shortopts[2 * MAX_OPTIONS + 2];
	const struct cli_command *c = cli_command_find(name);
	if (!c)
		abort();
	if (cur != c || cur_argv != argv) {
		size_t n, k = 0;
		const struct cli_option *const *opts = cli_command_options(c, &n);
		shortopts[k++] = ':';
		for (size_t i = 0; i < n; i++) {
			longopts[i] = (struct option){ opts[i]->name,
				opts[i]->arg ? required_argument : no_argument, NULL,
				opts[i]->key };
			if (opts[i]->key < 256) {
				shortopts[k++] = (char)opts[i]->key;
				if (opts[i]->arg)
					shortopts[k++] = ':';
			}
		}
		longopts[n] = (struct option){ 0 };
		shortopts[k] = '\0';
		cur = c;
		cur_argv = argv;
		optind = 0;     /* glibc: full reinitialisation */
	}
	opterr = 0;
	int key = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (key == '?' || key == ':')
		return bad_option(c, argc, argv, key);
	if (key == 'h') {
		cli_command_usage(c, stdout);
		return CLI_HELP;
	}
	if (key >= 0) {
		const struct cli_option *o = option_by_key(c, key);
		if (o && o->values && optarg && !value_allowed(o->values, optarg))
			return bad_value(c, o, optarg);
	}
	return key;
}

/*
 * The input limits, as --max-* options and .meshc.yaml keys of the same
 * names, with the range each accepts (one table, so both agree).
 */
const struct cli_limit cli_limits[CLI_NLIMITS] = {
	{ "max-depth", OPT_MAX_DEPTH, 1, 10000 },
	{ "max-aliases", OPT_MAX_ALIASES, 0, 10000000 },
	{ "max-scalar-bytes", OPT_MAX_SCALAR_BYTES, 1, 256LL << 20 },
	{ "max-document-bytes", OPT_MAX_DOCUMENT_BYTES, 1, 1LL << 30 },
};

void cli_limit_store(size_t i, long long v, struct meshc_options *o)
{
	switch (cli_limits[i].key) {
	case OPT_MAX_DEPTH:
		o->limits.max_depth = (unsigned)v;
		break;
	case OPT_MAX_ALIASES:
		o->limits.max_alias_nodes = (size_t)v;
		break;
	case OPT_MAX_SCALAR_BYTES:
		o->limits.max_scalar_bytes = (size_t)v;
		break;
	case OPT_MAX_DOCUMENT_BYTES:
		o->limits.max_document_bytes = (size_t)v;
		break;
	}
}

/* Sets *out from an option value within [min, max]; false if invalid. */
static bool set_limit(const char *opt, const char *val, long long min,
		      long long max, long long *out)
{
	long long v = cli_parse_uint(val, min, max);
	if (v < 0) {
		fprintf(stderr, "meshc: --%s must be an integer in %lld..%lld\n",
			opt, min, max);
		return false;
	}
	*out = v;
	return true;
}

int cli_input_option(int key, const char *arg, struct meshc_options *o)
{
	long long v;
	switch (key) {
	case 'n':
		o->namespace = arg;
		return 1;
	case OPT_DOMAIN:
		o->domain = arg;
		return 1;
	case 'j':
		if (!set_limit("jobs", arg, 1, 64, &v))
			return -1;
		o->jobs = (unsigned)v;
		return 1;
	case OPT_STDIN_FILENAME:
		if (!*arg) {
			fprintf(stderr, "meshc: --stdin-filename needs a non-empty name\n");
			return -1;
		}
		o->stdin_name = arg;
		return 1;
	default:
		for (size_t i = 0; i < CLI_NLIMITS; i++) {
			const struct cli_limit *l = &cli_limits[i];
			if (l->key != key)
				continue;
			if (!set_limit(l->name, arg, l->min, l->max, &v))
				return -1;
			cli_limit_store(i, v, o);
			o->limits_given |= 1u << i;
			return 1;
		}
		return 0;
	}
}
