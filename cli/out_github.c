/*
 * -o github: GitHub Actions workflow commands, one line per diagnostic,
 * which the runner turns into annotations on the pull request's files:
 *   ::error file=routes.yaml,line=39,col=17,title=IST0101::routes.yaml:39:17: VirtualService ...
 * Info diagnostics become ::notice. Paths are relative to ctx->base_dir
 * (GITHUB_WORKSPACE, else the working directory), as annotations need
 * them; the message repeats FILE:LINE:COL so the raw log keeps the
 * location. Escaping follows the runner's rules (actions/toolkit's command
 * encoding): in the message '%', CR and LF are percent-encoded; in
 * property values ',' and ':' are too. Chosen by default when
 * GITHUB_ACTIONS=true and no -o is given.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/*
 * Removes "." and "" components and resolves ".." lexically in the
 * absolute path p, in place.
 */
static void normalize(char *p)
{
	char *w = p;
	for (const char *r = p; *r;) {
		while (*r == '/')
			r++;
		size_t len = strcspn(r, "/");
		if (len == 0)
			break;
		if (len == 1 && r[0] == '.') {
			/* skip */
		} else if (len == 2 && r[0] == '.' && r[1] == '.') {
			while (w > p && *--w != '/')
				;
		} else {
			*w++ = '/';
			memmove(w, r, len);
			w += len;
		}
		r += len;
	}
	if (w == p)
		*w++ = '/';
	*w = '\0';
}

/*
 * file as a path relative to base (both made absolute against the working
 * directory, symlinks in base resolved), written into buf; file itself
 * when it lies outside base or cannot be resolved.
 */
static const char *relative_to(const char *file, const char *base, char *buf,
			       size_t size)
{
	char cwd[PATH_MAX], root[PATH_MAX];
	if (!base || (file[0] != '/' && !getcwd(cwd, sizeof(cwd))) ||
	    !realpath(base, root))
		return file;
	int n = file[0] == '/' ? snprintf(buf, size, "%s", file) :
		snprintf(buf, size, "%s/%s", cwd, file);
	if (n < 0 || (size_t)n >= size)
		return file;
	normalize(buf);
	size_t rlen = strlen(root);
	if (strcmp(root, "/") == 0)
		return buf + 1;
	if (strncmp(buf, root, rlen) != 0 || buf[rlen] != '/')
		return buf;
	return buf + rlen + 1;
}

int output_github(FILE *out, const struct diag *items, size_t n,
		  const struct output_ctx *ctx)
{
	for (size_t i = 0; i < n; i++) {
		const struct diag *d = &items[i];
		fprintf(out, "::%s ", command_name(d->level));
		bool sep = false;
		const char *file = NULL;
		char buf[2 * PATH_MAX];
		if (d->file && strcmp(d->file, "<stdin>") != 0) {
			file = relative_to(d->file, ctx->base_dir, buf, sizeof(buf));
			fputs("file=", out);
			put_escaped(out, file, true);
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
		/* The location again, for readers of the raw log. */
		if (file || d->file) {
			put_escaped(out, file ? file : d->file, false);
			if (d->line > 0) {
				fprintf(out, ":%u", d->line);
				if (d->col > 0)
					fprintf(out, ":%u", d->col);
			}
			fputs(": ", out);
		}
		if (d->origin) {
			put_escaped(out, d->origin, false);
			fputs(": ", out);
		}
		put_escaped(out, d->message, false);
		fputc('\n', out);
	}
	return ferror(out) ? -1 : 0;
}
