/*
 * -o github: GitHub Actions workflow commands, one line per diagnostic,
 * which the runner turns into annotations on the pull request's files:
 *   ::error file=routes.yaml,line=39,col=17,title=IST0101::VirtualService books/reviews: Referenced ...
 * Info diagnostics become ::notice. Escaping follows the runner's rules
 * (actions/toolkit's command encoding): in the message '%', CR and LF are
 * percent-encoded; in property values ',' and ':' are too. Chosen by
 * default when GITHUB_ACTIONS=true and no -o is given.
 */
#include <string.h>

#include "output.h"

static const char *command_name(enum diag_level l)
{
	return l == LEVEL_ERROR ? "error" : l == LEVEL_WARNING ? "warning" : "notice";
}

/* Writes s percent-encoding '%', CR, LF, and also ',' ':' when property. */
static void put_escaped(FILE *out, const char *s, bool property)
{
	for (; *s; s++) {
		switch (*s) {
		case '%': fputs("%25", out); break;
		case '\r': fputs("%0D", out); break;
		case '\n': fputs("%0A", out); break;
		case ':':
			if (property) {
				fputs("%3A", out);
				break;
			}
			fputc(*s, out);
			break;
		case ',':
			if (property) {
				fputs("%2C", out);
				break;
			}
			fputc(*s, out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

int output_github(FILE *out, const struct diag *items, size_t n,
		  const struct output_ctx *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++) {
		const struct diag *d = &items[i];
		fprintf(out, "::%s ", command_name(d->level));
		bool sep = false;
		if (d->file && strcmp(d->file, "<stdin>") != 0) {
			fputs("file=", out);
			put_escaped(out, d->file, true);
			sep = true;
			if (d->line > 0) {
				fprintf(out, ",line=%u", d->line);
				if (d->col > 0)
					fprintf(out, ",col=%u", d->col);
			}
		}
		fprintf(out, "%stitle=", sep ? "," : "");
		put_escaped(out, diag_info(d->code)->id, true);
		fputs("::", out);
		if (d->origin) {
			put_escaped(out, d->origin, false);
			fputs(": ", out);
		}
		put_escaped(out, d->message, false);
		fputc('\n', out);
	}
	return ferror(out) ? -1 : 0;
}
