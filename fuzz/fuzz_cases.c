/*
 * libFuzzer target for the `meshc test` cases file (router_check_tool
 * format): each input is a cases file, run by the command against a fixed
 * table compiled once from examples/bookinfo (or the directory named by
 * FUZZ_TABLE_CONFIG). Failures and errors are exit statuses; a crash or a
 * leak is a finding.
 * Seeds: build-fuzz/seeds/fuzz_cases (testdata's cases files, fuzz.mk).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compiler.h"
#include "fuzz_io.h"
#include "route_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int cmd_test(int argc, char **argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *cfg = getenv("FUZZ_TABLE_CONFIG");
	char *paths[1] = { (char *)(cfg ? cfg : "examples/bookinfo") };
	struct meshc_options opt;
	meshc_options_init(&opt);
	opt.jobs = 1;
	struct project p;
	project_init(&p, &opt);
	project_load_validated(&p, paths, 1);
	project_analyze(&p);
	project_finish_diags(&p);
	struct diag_list warn;
	diag_list_init(&warn, &p.arena);
	char err[512];
	size_t len = 0;
	void *bytes = route_compile(&p, &warn, &len, err, sizeof(err));
	diag_list_release(&warn);
	if (!bytes || p.nres == 0) {
		fprintf(stderr, "fuzz_cases: cannot compile %s (run from the repository root): %s\n",
			paths[0], bytes ? "no resources" : err);
		abort();
	}
	fuzz_write(fuzz_path(0, "table.mrt"), bytes, len);
	free(bytes);
	project_release(&p);
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *cases = fuzz_path(1, "cases.yaml");
	fuzz_write(cases, data, size);
	char *argv[] = { "test", "--no-config", (char *)fuzz_path(0, "table.mrt"),
			 (char *)cases, NULL };
	(void)cmd_test(4, argv);
	return 0;
}
