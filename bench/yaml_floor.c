/*
 * yaml_floor: the floor peer of `make bench`. It reads the same files meshc
 * reads (paths are files or directories, recursed for *.yaml and *.yml)
 * and runs libyaml's bare event parse over each, building nothing: no
 * tree, no validation. Whatever meshc does on top of parsing costs time
 * above this figure. Single-threaded, like the parse of one file.
 *
 * Usage: yaml_floor PATH...
 * Prints "files=N bytes=B events=E" on standard output; exit 0, or 1 when
 * a file cannot be read or does not parse (named on standard error).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

struct floor_stats {
	unsigned long files;
	unsigned long long bytes;
	unsigned long long events;
	int failed;
};

/* Reads a whole file into a heap buffer; NULL (errno set) on failure. */
static unsigned char *floor_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	unsigned char *buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n < cap) {
			if (ferror(f)) {
				free(buf);
				buf = NULL;
			}
			break;
		}
		unsigned char *nb = realloc(buf, cap * 2);
		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* Parses one file's bytes as a YAML event stream, counting events. */
static void floor_parse_file(const char *path, struct floor_stats *st)
{
	size_t len = 0;
	unsigned char *buf = floor_read(path, &len);
	if (!buf) {
		fprintf(stderr, "yaml_floor: cannot read '%s': %s\n", path, strerror(errno));
		st->failed = 1;
		return;
	}
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser)) {
		fprintf(stderr, "yaml_floor: out of memory\n");
		exit(2);
	}
	yaml_parser_set_input_string(&parser, buf, len);
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			fprintf(stderr, "yaml_floor: '%s': %s at line %lu\n", path,
				parser.problem ? parser.problem : "parse error",
				(unsigned long)parser.problem_mark.line + 1);
			st->failed = 1;
			break;
		}
		int done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		st->events++;
		if (done)
			break;
	}
	yaml_parser_delete(&parser);
	free(buf);
	st->files++;
	st->bytes += len;
}

/* True when name ends in .yaml or .yml. */
static int floor_is_yaml(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

/* Parses a file, or every YAML file under a directory (hidden ones skipped). */
static void floor_walk(const char *path, struct floor_stats *st)
{
	struct stat sb;
	if (stat(path, &sb) != 0) {
		fprintf(stderr, "yaml_floor: cannot read '%s': %s\n", path, strerror(errno));
		st->failed = 1;
		return;
	}
	if (!S_ISDIR(sb.st_mode)) {
		floor_parse_file(path, st);
		return;
	}
	struct dirent **ents;
	int n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "yaml_floor: cannot read '%s': %s\n", path, strerror(errno));
		st->failed = 1;
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		if (name[0] != '.') {
			size_t len = strlen(path) + strlen(name) + 2;
			char *sub = malloc(len);
			if (!sub) {
				fprintf(stderr, "yaml_floor: out of memory\n");
				exit(2);
			}
			snprintf(sub, len, "%s/%s", path, name);
			struct stat cs;
			if (stat(sub, &cs) == 0 && (S_ISDIR(cs.st_mode) || floor_is_yaml(name)))
				floor_walk(sub, st);
			free(sub);
		}
		free(ents[i]);
	}
	free(ents);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: yaml_floor PATH...\n");
		return 2;
	}
	struct floor_stats st = {0};
	for (int i = 1; i < argc; i++)
		floor_walk(argv[i], &st);
	printf("files=%lu bytes=%llu events=%llu\n", st.files, st.bytes, st.events);
	return st.failed;
}
