/*
 * libFuzzer target for the `.meshc.yaml` loader (cli/config.c): the
 * libyaml position pass, libcyaml's schema load, and the limit keys'
 * range check, on arbitrary bytes. A malformed file must be a message
 * and -1, never a crash or a leak.
 * Seeds: build-fuzz/seeds/fuzz_config (testdata/config's files, fuzz.mk).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "fuzz_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_path(0, "meshc.yaml");
	fuzz_write(path, data, size);
	struct config c;
	memset(&c, 0, sizeof(c));
	if (config_load(&c, path) == 0) {
		struct meshc_options o;
		meshc_options_init(&o);
		(void)cli_config_limits(&c, &o);
		char where[512];
		(void)config_where(&c, "suppress", 0, where, sizeof(where));
		(void)config_where(&c, "max-depth", -1, where, sizeof(where));
	}
	config_release(&c);
	return 0;
}
