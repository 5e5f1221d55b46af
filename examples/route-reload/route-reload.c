/*
 * route-reload: a tiny "proxy" that routes requests through a compiled
 * meshc table with libmeshrt, and picks up a new table when `meshc
 * compile` replaces the file. Build it against an installed libmeshrt
 * with pkg-config alone:
 *
 *   cc -o route-reload route-reload.c $(pkg-config --cflags --libs meshrt)
 *
 * Usage: route-reload [-g GATEWAY] TABLE
 * Reads one request per line on standard input,
 *
 *   METHOD HOST[:PORT] PATH [HEADER=VALUE ...]
 *
 * and prints one line per request: the generation and checksum of the
 * table that routed it, then the route and where it goes.
 *
 * Reloading, as runtime.md and meshrt(3) describe it: compile renames a
 * new file into place, so the table we have mapped stays complete and
 * valid. Before each request we ask mrt_table_changed() whether the path
 * now names another file (one stat(); a real proxy would do this on a
 * timer or on an inotify event for the directory, not per request). If it
 * does, we open and verify the new file first, swap, and only then close
 * the old table; a file that fails verification is reported and the old
 * table keeps serving. This program is single-threaded, so the old table
 * can be closed at once; a multi-threaded proxy publishes the new pointer
 * atomically and closes the old table when the last request using it has
 * finished (reference count, RCU or epoch).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <meshrt.h>

enum { MAX_HEADERS = 32 };

/* Opens a new table if path was replaced; keeps *t on any failure. */
static void maybe_reload(mrt_table **t, const char *path)
{
	if (mrt_table_changed(*t, path) != 1)
		return;
	mrt_table *fresh;
	char err[512];
	if (mrt_open(path, &fresh, err, sizeof(err)) != 0) {
		fprintf(stderr, "route-reload: keeping table %" PRIu64 ": %s\n",
			mrt_table_generation(*t), err);
		return;
	}
	mrt_table *old = *t;
	*t = fresh;
	mrt_close(old);
	fprintf(stderr, "route-reload: loaded table %" PRIu64 " (checksum %016" PRIx64 ")\n",
		mrt_table_generation(fresh), mrt_table_checksum(fresh));
}

/* Prints where route r sends the request. */
static void print_action(const mrt_table *t, const mrt_route *r)
{
	const char *vs = mrt_route_virtual_service(t, r);
	const char *name = mrt_route_name(t, r);
	printf("%s[%u]%s%s%s ->", vs ? vs : "(meshc)", mrt_route_index(t, r),
	       name ? " \"" : "", name ? name : "", name ? "\"" : "");
	mrt_redirect rd;
	mrt_direct_response dr;
	if (mrt_route_redirect(t, r, &rd) == 0) {
		printf(" redirect %u", rd.code);
	} else if (mrt_route_direct_response(t, r, &dr) == 0) {
		printf(" respond %u", dr.status);
	} else {
		for (size_t i = 0; i < mrt_route_destination_count(t, r); i++) {
			mrt_destination d;
			if (mrt_route_destination(t, r, i, &d) == 0)
				printf(" %s (weight %u)", d.cluster, d.weight);
		}
	}
	putchar('\n');
}

/* Routes one request line; returns -1 for a malformed line. */
static int route_line(const mrt_table *t, const char *gateway, char *line)
{
	char *save, *method = strtok_r(line, " \t\r\n", &save);
	char *host = strtok_r(NULL, " \t\r\n", &save);
	char *path = strtok_r(NULL, " \t\r\n", &save);
	if (!method || !host || !path)
		return -1;
	mrt_header headers[MAX_HEADERS];
	size_t n = 0;
	for (char *h; (h = strtok_r(NULL, " \t\r\n", &save)) && n < MAX_HEADERS;) {
		char *eq = strchr(h, '=');
		if (!eq)
			return -1;
		*eq = '\0';
		headers[n++] = (mrt_header){ h, eq + 1 };
	}
	mrt_request q = { .gateway = gateway, .host = host, .method = method,
			  .path = path, .headers = headers, .n_headers = n };
	char *colon = strrchr(host, ':');
	if (colon)
		q.port = (unsigned)strtoul(colon + 1, NULL, 10);
	printf("table %" PRIu64 " %016" PRIx64 ": %s %s %s: ", mrt_table_generation(t),
	       mrt_table_checksum(t), method, host, path);
	const mrt_route *r = mrt_match(t, &q);
	if (r)
		print_action(t, r);
	else
		printf("no route\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *gateway = "mesh";
	if (argc == 4 && strcmp(argv[1], "-g") == 0) {
		gateway = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: route-reload [-g GATEWAY] TABLE < requests\n");
		return 2;
	}
	const char *path = argv[1];
	mrt_table *t;
	char err[512];
	if (mrt_open(path, &t, err, sizeof(err)) != 0) {
		fprintf(stderr, "route-reload: %s\n", err);
		return 1;
	}
	/* One output line per request, at once: whoever drives us can wait for it. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	char line[4096];
	int rc = 0;
	while (fgets(line, sizeof(line), stdin)) {
		maybe_reload(&t, path);
		if (route_line(t, gateway, line) != 0) {
			fprintf(stderr, "route-reload: want METHOD HOST[:PORT] PATH [HEADER=VALUE ...]\n");
			rc = 1;
		}
	}
	mrt_close(t);
	return rc;
}
