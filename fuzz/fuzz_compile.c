/*
 * libFuzzer target for what `meshc compile` does after parsing: cross-
 * resource analysis, the route builder and the emitter, on arbitrary YAML.
 * The table is built whatever the diagnostics say (as `meshc diff` builds
 * configs it has not checked), and the bytes the emitter writes must pass
 * the library's own verification: a table meshc writes that mrt_open
 * refuses is a bug, reported as a crash. A few requests are then routed.
 * Seeds: build-fuzz/seeds/fuzz_compile (testdata's YAML, see fuzz.mk).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"
#include "fuzz_io.h"
#include "meshrt.h"
#include "route_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void route_some(const mrt_table *t)
{
	static const char *const hosts[] = { "reviews", "reviews.default.svc.cluster.local",
					     "a.example.com", "*", "" };
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		mrt_request q = { .gateway = "mesh", .host = hosts[i], .method = "GET",
				  .path = "/api/v1?x=1", .port = 80 };
		mrt_result r;
		(void)mrt_match_checked(t, &q, &r);
		q.port = 443;
		q.scheme = "https";
		(void)mrt_match_checked(t, &q, &r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_path(0, "compile.yaml");
	fuzz_write(path, data, size);
	struct meshc_options opt;
	meshc_options_init(&opt);
	opt.jobs = 1;
	struct project p;
	project_init(&p, &opt);
	char *paths[1] = { (char *)path };
	project_load_validated(&p, paths, 1);
	project_analyze(&p);
	project_finish_diags(&p);
	struct diag_list warn;
	diag_list_init(&warn, &p.arena);
	char err[512] = "";
	size_t len = 0;
	void *bytes = route_compile(&p, &warn, &len, err, sizeof(err));
	diag_list_release(&warn);
	if (bytes) {
		mrt_table *t;
		char verr[512];
		if (mrt_open_buffer(bytes, len, &t, verr, sizeof(verr)) != 0) {
			fprintf(stderr, "emitted table fails verification: %s\n", verr);
			__builtin_trap();
		}
		route_some(t);
		mrt_close(t);
		free(bytes);
	}
	project_release(&p);
	return 0;
}
