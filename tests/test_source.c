/*
 * Unit tests of releasing inputs after loading (compiler/source.c,
 * meshc_options.release_inputs): which inputs keep their bytes, and
 * reading a released input again only when it is still what was loaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler.h"
#include "unit.h"

static char dir[] = "/tmp/meshc-test-source-XXXXXX";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

/* A project holding the one file at path, read. */
static void read_one(struct project *p, char *path)
{
	struct meshc_options o;
	meshc_options_init(&o);
	project_init(p, &o);
	source_read_paths(p, &path, 1);
}

static void test_release_and_reread(void)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/a.yaml", dir);
	write_file(path, "kind: A\n");
	struct project p;
	read_one(&p, path);
	CHECK(p.nunits == 1);
	struct source_unit *u = &p.units[0];
	CHECK(source_release_bytes(u));
	CHECK(u->bytes == NULL && u->len == 8);
	CHECK(source_reread(&p, u));              /* unchanged: read again */
	CHECK_STR(u->bytes, "kind: A\n");
	CHECK(!p.usage_error);

	CHECK(source_release_bytes(u));
	write_file(path, "kind: B\n");            /* same size, other bytes */
	int err = dup(2);                         /* its message: not here */
	FILE *null = freopen("/dev/null", "w", stderr);
	CHECK(!source_reread(&p, u));
	fflush(stderr);
	dup2(err, 2);
	close(err);
	(void)null;
	CHECK(p.usage_error);
	CHECK(u->bytes != NULL && u->len == 0);   /* left empty */
	project_release(&p);
	unlink(path);
}

static void test_kept(void)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/b.yaml", dir);
	/* suppress.c reads the comment's line after loading */
	write_file(path, "kind: A  # meshc:ignore IST0101\n");
	struct project p;
	read_one(&p, path);
	CHECK(!source_release_bytes(&p.units[0]));
	CHECK(p.units[0].bytes != NULL);
	project_release(&p);

	write_file(path, "");                     /* nothing to free */
	read_one(&p, path);
	CHECK(!source_release_bytes(&p.units[0]));
	project_release(&p);
	unlink(path);

	struct source_unit in = { .file = "<stdin>", .from_stdin = true };
	in.bytes = xstrdup("kind: A\n");
	in.len = 8;
	CHECK(!source_release_bytes(&in));        /* cannot be read again */
	free(in.bytes);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_release_and_reread);
	RUN(test_kept);
	rmdir(dir);
	return unit_end();
}
