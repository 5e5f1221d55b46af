/*
 * libFuzzer target for `meshc diff` on a pair of inputs: the bytes are
 * split at the first line "#---8<---" (none: both sides get the whole
 * input, which must then be no difference) into OLD and NEW files, and
 * the command runs as a user would run it, in JSON and text. Exit status
 * 2 (an input that cannot be compared) is fine; a crash, a leak or a
 * difference between identical sides is not.
 * Seeds: build-fuzz/seeds/fuzz_diff (pairs of testdata files, fuzz.mk).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fuzz_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int cmd_diff(int argc, char **argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static const char SEP[] = "\n#---8<---\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *oldp = fuzz_path(0, "old.yaml"), *newp = fuzz_path(1, "new.yaml");
	const uint8_t *cut = memmem(data, size, SEP, sizeof(SEP) - 1);
	if (cut) {
		fuzz_write(oldp, data, (size_t)(cut - data) + 1);
		const uint8_t *rest = cut + sizeof(SEP) - 1;
		fuzz_write(newp, rest, size - (size_t)(rest - data));
	} else {
		fuzz_write(oldp, data, size);
		fuzz_write(newp, data, size);
	}
	char *json[] = { "diff", "-j", "1", "-o", "json", (char *)oldp, (char *)newp, NULL };
	int rc = cmd_diff(7, json);
	if (!cut && rc == 1) {
		fprintf(stdout, "identical sides differ\n");
		__builtin_trap();
	}
	char *text[] = { "diff", "-j", "1", (char *)oldp, (char *)newp, NULL };
	(void)cmd_diff(5, text);
	return 0;
}
