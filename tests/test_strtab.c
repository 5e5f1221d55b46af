/*
 * Unit tests of the string table (compiler/strtab.c): equal bytes give
 * the same pointer, different bytes (length, embedded NUL) another one,
 * and the strings survive the index growing and the table's end.
 */
#include <stdio.h>
#include <string.h>

#include "strtab.h"
#include "unit.h"

static void test_same_bytes_same_pointer(void)
{
	struct strtab t;
	strtab_init(&t);
	const char *a = strtab_intern(&t, "reviews", 7);
	char buf[] = "reviews.default";
	const char *b = strtab_intern(&t, buf, 7);
	CHECK(a == b);
	CHECK_STR(a, "reviews");
	CHECK(strtab_intern(&t, buf, 15) != a);
	CHECK_STR(strtab_intern(&t, buf, 15), "reviews.default");
	CHECK(strtab_intern(&t, "", 0)[0] == '\0');
	CHECK(strtab_intern(&t, "a\0b", 3) != strtab_intern(&t, "a\0c", 3));
	CHECK(memcmp(strtab_intern(&t, "a\0b", 3), "a\0b", 4) == 0);
	struct arena owner;
	arena_init(&owner);
	strtab_finish(&t, &owner);
	CHECK_STR(a, "reviews");                  /* now the owner's */
	arena_release(&owner);
}

static void test_growth_keeps_strings(void)
{
	struct strtab t;
	strtab_init(&t);
	const char *first[1000];
	char buf[32];
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(buf, sizeof(buf), "host-%d", i);
		first[i] = strtab_intern(&t, buf, (size_t)n);
	}
	CHECK(t.n == 1000);
	int same = 0;
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(buf, sizeof(buf), "host-%d", i);
		same += strtab_intern(&t, buf, (size_t)n) == first[i] &&
			strcmp(first[i], buf) == 0;
	}
	CHECK(same == 1000);
	CHECK(t.n == 1000);
	struct arena owner;
	arena_init(&owner);
	strtab_finish(&t, &owner);
	CHECK(t.n == 0 && t.slots == NULL);
	arena_release(&owner);
}

int main(void)
{
	RUN(test_same_bytes_same_pointer);
	RUN(test_growth_keeps_strings);
	return unit_end();
}
