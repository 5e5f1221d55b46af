/*
 * A fast non-cryptographic hash of a byte string for in-memory lookup
 * tables (never written to a file): eight bytes per step, then the tail,
 * then a final mix so the low bits used as slot numbers depend on every
 * byte.
 */
#ifndef MESHC_HASH_H
#define MESHC_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	uint64_t t = 0;
	for (size_t k = 0; i < n; i++, k += 8)
		t |= (uint64_t)(unsigned char)s[i] << k;
	h = (h ^ t) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 32;
	return h;
}

#endif
