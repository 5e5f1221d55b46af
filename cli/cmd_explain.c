/*
 * meshc explain CODE: what a diagnostic code means, which layer it comes
 * from (YAML reading, API-server schema, Istio webhook, Istio analyzer,
 * meshc), why it matters, an example that triggers it and how to fix it,
 * all from the diagnostics table's EXPLANATION.
 *
 * `meshc explain --man` (not advertised) prints the DIAGNOSTICS section of
 * man/meshc.1 from the same table; tools/update-man.sh splices it in and
 * tests/t_man.sh checks the page is current.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "output.h"

/* Prints text with every line indented by two spaces, its first letter upper case. */
static void indented(const char *text)
{
	for (const char *s = text; *s;) {
		if (s == text && *s >= 'a' && *s <= 'z') {
			printf("  %c", *s - 'a' + 'A');
			s++;
			size_t len = strcspn(s, "\n");
			printf("%.*s\n", (int)len, s);
			s += len;
			if (*s == '\n')
				s++;
			continue;
		}
		size_t len = strcspn(s, "\n");
		printf("  %.*s\n", (int)len, s);
		s += len;
		if (*s == '\n')
			s++;
	}
}

/* The message template as a reader sees it: "%s" -> "...", "%u" -> "N". */
static void print_template(const char *tmpl)
{
	char buf[512];
	size_t w = 0;
	for (const char *s = tmpl; *s && w + 4 < sizeof(buf); s++) {
		if (*s != '%') {
			buf[w++] = *s;
			continue;
		}
		s++;
		while (*s && strchr("0123456789.-+ #lzh", *s))
			s++;
		if (!*s)
			break;
		if (*s == '%') {
			buf[w++] = '%';
		} else if (*s == 's') {
			memcpy(buf + w, "...", 3);
			w += 3;
		} else {
			buf[w++] = 'N';
		}
	}
	buf[w] = '\0';
	if (strcmp(buf, "...") != 0)
		printf("message: %s\n", buf);
}

/*
 * When a code without its own "When it runs:" runs, from its layer: the
 * reading and single-resource layers always do; so do the cross-resource
 * checks whose text names no condition (cli.md, "Which checks run when").
 */
static const char *default_when(enum diag_layer layer)
{
	switch (layer) {
	case LAYER_YAML:
		return "Always: on every document read.";
	case LAYER_APISERVER:
	case LAYER_WEBHOOK:
		return "Always: on every resource it applies to, on its own, as the\n"
		       "API server and Istio's webhook check each resource.";
	default:
		return "Always: on the resources of the input, as istioctl analyze\n"
		       "does offline.";
	}
}

static int explain_code(const char *id)
{
	int code = diag_code_lookup(id);
	if (code < 0) {
		fprintf(stderr, "meshc: unknown code \"%s\" (meshc check --list-codes lists them)\n",
			id);
		return 2;
	}
	const struct diag_info *d = diag_info((enum diag_code)code);
	struct explain_parts e;
	explain_parts_split(d->explain, &e);
	printf("%s %s\nlevel: %s\nlayer: %s\n", d->id, d->name,
	       diag_level_name(d->level), diag_layer_name(d->layer));
	print_template(d->tmpl);
	static const char *const titles[] = {
		"What it means", "Why it matters", "Example", "How to fix it",
		"When it runs", "Differences from Istio",
	};
	const char *parts[] = { e.what, e.why, e.example, e.fix,
				e.when ? e.when : default_when(d->layer), e.differences };
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i]) {
			printf("\n%s:\n", titles[i]);
			indented(parts[i]);
		}
	explain_parts_free(&e);
	return ferror(stdout) || fflush(stdout) ? 2 : 0;
}

/* Writes one word of roff text, escaping backslashes and a leading control character. */
static void roff_word(const char *w, size_t len, bool bol)
{
	if (bol && len && (w[0] == '.' || w[0] == '\''))
		fputs("\\&", stdout);
	for (size_t i = 0; i < len; i++) {
		if (w[i] == '\\')
			fputs("\\e", stdout);
		else
			fputc(w[i], stdout);
	}
}

/*
 * Writes text as roff text lines: words refilled to lines of at most 72
 * bytes, a new line after each sentence (mdoc style), escapes applied.
 */
static void roff_text(const char *text)
{
	size_t col = 0;
	bool end_sentence = false;
	for (const char *s = text; *s;) {
		while (*s == ' ' || *s == '\n' || *s == '\t')
			s++;
		size_t len = strcspn(s, " \n\t");
		if (!len)
			break;
		if (col && (end_sentence || col + 1 + len > 72)) {
			fputc('\n', stdout);
			col = 0;
		} else if (col) {
			fputc(' ', stdout);
			col++;
		}
		roff_word(s, len, col == 0);
		col += len;
		char last = s[len - 1];
		end_sentence = (last == '.' || last == '?' || last == '!') &&
			       !(len == 4 && (strncmp(s, "e.g.", 4) == 0 ||
					      strncmp(s, "i.e.", 4) == 0));
		s += len;
	}
	if (col)
		fputc('\n', stdout);
}

/*
 * Cuts the explanation's own "Layer: ..." sentence (starting a line of
 * `what`) out of what and returns it as one line (caller frees); NULL
 * when there is none. It names the layer more precisely than the
 * table's category (the analyzer, or the status Istio's Gateway API
 * controller writes), so the man page prints it in the category's
 * place: one Layer line per entry.
 */
static char *cut_layer_sentence(char *what)
{
	char *s = what;
	while (s && strncmp(s, "Layer:", 6) != 0) {
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	if (!s)
		return NULL;
	/* The sentence ends at a full stop outside parentheses
	 * ("(virtualservice.GatewayAnalyzer)" does not end it). */
	char *e = s;
	for (int depth = 0; *e; e++) {
		if (*e == '(')
			depth++;
		else if (*e == ')' && depth)
			depth--;
		else if (*e == '.' && !depth && (e[1] == ' ' || e[1] == '\n' || !e[1])) {
			e++;
			break;
		}
	}
	size_t len = (size_t)(e - s);
	char *sentence = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		sentence[i] = s[i] == '\n' ? ' ' : s[i];
	sentence[len] = 0;
	if (*e == ' ' || *e == '\n')
		e++;
	memmove(s, e, strlen(e) + 1);
	return sentence;
}

static int explain_man(void)
{
	fputs(".Sh DIAGNOSTICS\n"
	      "Each diagnostic has a code, a level and a name.\n"
	      "Codes of the form IST0000 are Istio's, reported for the same problem\n"
	      "with Istio's level and message; MSH0000 codes are meshc's own.\n"
	      ".Ic meshc explain Ar CODE\n"
	      "prints the full explanation: why it matters, an example and the fix.\n"
	      "This list is generated from the diagnostics table by\n"
	      ".Ic meshc explain --man .\n"
	      ".Bl -tag -width Ds\n", stdout);
	for (int i = 0; i < DIAG_CODE_COUNT; i++) {
		const struct diag_info *d = diag_info((enum diag_code)i);
		struct explain_parts e;
		explain_parts_split(d->explain, &e);
		printf(".It Sy %s Em %s Pq %s\n", d->id, d->name,
		       diag_level_name(d->level));
		char *own = e.what ? cut_layer_sentence(e.what) : NULL;
		if (own)
			roff_text(own);
		else
			printf("Layer: %s.\n", diag_layer_name(d->layer));
		free(own);
		roff_text(e.what && *e.what ? e.what : d->name);
		explain_parts_free(&e);
	}
	fputs(".El\n", stdout);
	return ferror(stdout) || fflush(stdout) ? 2 : 0;
}

int cmd_explain(int argc, char **argv)
{
	/* --man is for tools/update-man.sh, so not in the option table. */
	if (argc == 2 && strcmp(argv[1], "--man") == 0)
		return explain_man();
	int c;
	while ((c = cli_getopt("explain", argc, argv)) != -1)
		return c == CLI_HELP ? 0 : 2;
	if (optind + 1 != argc)
		return cli_usage_error("explain", "explain needs one CODE");
	return explain_code(argv[optind]);
}
