/*
 * A minimal unit-test harness. Each tests/test_*.c is one program:
 *
 *   static void test_something(void) { CHECK(x == 1); CHECK_STR(s, "a"); }
 *   int main(void) { RUN(test_something); return unit_end(); }
 *
 * The last line printed is "N passed, N failed" (checks, not functions).
 */
#ifndef MESHC_UNIT_H
#define MESHC_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;
static const char *unit_current;

#define CHECK(cond) do { \
	if (cond) { unit_passed++; } else { unit_failed++; \
		fprintf(stderr, "%s:%d: %s: check failed: %s\n", \
			__FILE__, __LINE__, unit_current, #cond); } \
} while (0)

#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	if (g_ && w_ && strcmp(g_, w_) == 0) { unit_passed++; } else { \
		unit_failed++; \
		fprintf(stderr, "%s:%d: %s: got \"%s\", want \"%s\"\n", \
			__FILE__, __LINE__, unit_current, \
			g_ ? g_ : "(null)", w_ ? w_ : "(null)"); } \
} while (0)

#define RUN(fn) do { unit_current = #fn; fn(); } while (0)

static inline int unit_end(void)
{
	printf("%d passed, %d failed\n", unit_passed, unit_failed);
	return unit_failed != 0;
}

#endif
