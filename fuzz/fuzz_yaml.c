/*
 * libFuzzer target for the YAML front end and the per-resource checks:
 * arbitrary bytes -> node trees -> resources -> validation. Diagnostics
 * are collected and dropped (nothing is printed).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compiler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct meshc_options opt;
	meshc_options_init(&opt);
	struct source_unit u;
	memset(&u, 0, sizeof(u));
	arena_init(&u.arena);
	diag_list_init(&u.diags, &u.arena);
	u.file = "fuzz.yaml";
	u.bytes = malloc(size + 1);
	if (!u.bytes)
		return 0;
	memcpy(u.bytes, data, size);
	u.bytes[size] = '\0';
	u.len = size;
	yaml_parse_unit(&u, &opt.limits);
	resources_from_unit(&u, &opt);
	for (size_t i = 0; i < u.nres; i++)
		validate_resource(&u.diags, u.res[i], &opt);
	diag_sort(&u.diags);
	diag_list_release(&u.diags);
	arena_release(&u.arena);
	free(u.bytes);
	free(u.docs);
	free(u.doc_irregular);
	free(u.res);
	return 0;
}
