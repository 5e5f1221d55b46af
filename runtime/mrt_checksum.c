/*
 * The table checksum: XXH64 (seed 0), written here as a streaming hash
 * so that the header's own checksum field can be skipped without copying
 * the file. mrt_fmt_table_checksum() is what the writer stores and what
 * mrt_open() compares: every byte of the file is covered, header
 * included, the 8 bytes of the checksum field read as zeros.
 */
#include <string.h>

#include "mrt_format.h"

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static inline uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;            /* little-endian hosts only; checked at open */
}

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t xround(uint64_t acc, uint64_t in)
{
	acc += in * P2;
	acc = rotl64(acc, 31);
	return acc * P1;
}

static inline uint64_t xmerge(uint64_t acc, uint64_t v)
{
	acc ^= xround(0, v);
	return acc * P1 + P4;
}

/* XXH64's state: four lanes over 32-byte stripes, and a partial stripe. */
struct xxh64 {
	uint64_t v[4];
	uint64_t total;
	uint8_t buf[32];
	size_t nbuf;
};

static void xxh64_init(struct xxh64 *x)
{
	x->v[0] = P1 + P2;
	x->v[1] = P2;
	x->v[2] = 0;
	x->v[3] = 0 - P1;
	x->total = 0;
	x->nbuf = 0;
}

static inline void stripe(struct xxh64 *x, const uint8_t *p)
{
	x->v[0] = xround(x->v[0], rd64(p));
	x->v[1] = xround(x->v[1], rd64(p + 8));
	x->v[2] = xround(x->v[2], rd64(p + 16));
	x->v[3] = xround(x->v[3], rd64(p + 24));
}

static void xxh64_update(struct xxh64 *x, const void *data, size_t len)
{
	const uint8_t *p = data, *end = p + len;
	x->total += len;
	if (x->nbuf) {
		size_t take = 32 - x->nbuf < len ? 32 - x->nbuf : len;
		memcpy(x->buf + x->nbuf, p, take);
		x->nbuf += take;
		p += take;
		if (x->nbuf < 32)
			return;
		stripe(x, x->buf);
		x->nbuf = 0;
	}
	for (; end - p >= 32; p += 32)
		stripe(x, p);
	memcpy(x->buf, p, (size_t)(end - p));
	x->nbuf = (size_t)(end - p);
}

static uint64_t xxh64_digest(const struct xxh64 *x)
{
	const uint8_t *p = x->buf, *end = p + x->nbuf;
	uint64_t h;
	if (x->total >= 32) {
		h = rotl64(x->v[0], 1) + rotl64(x->v[1], 7) + rotl64(x->v[2], 12) +
		    rotl64(x->v[3], 18);
		for (int i = 0; i < 4; i++)
			h = xmerge(h, x->v[i]);
	} else {
		h = P5;
	}
	h += x->total;
	for (; p + 8 <= end; p += 8) {
		h ^= xround(0, rd64(p));
		h = rotl64(h, 27) * P1 + P4;
	}
	if (p + 4 <= end) {
		h ^= (uint64_t)rd32(p) * P1;
		h = rotl64(h, 23) * P2 + P3;
		p += 4;
	}
	while (p < end) {
		h ^= (*p++) * P5;
		h = rotl64(h, 11) * P1;
	}
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	h ^= h >> 32;
	return h;
}

uint64_t mrt_fmt_checksum(const void *data, size_t len)
{
	struct xxh64 x;
	xxh64_init(&x);
	xxh64_update(&x, data, len);
	return xxh64_digest(&x);
}

uint64_t mrt_fmt_table_checksum(const void *table, size_t len)
{
	static const uint8_t zero[8];
	const size_t at = offsetof(struct mrt_fmt_header, checksum);
	const uint8_t *b = table;
	struct xxh64 x;
	xxh64_init(&x);
	if (len < at + 8) {
		xxh64_update(&x, b, len);
		return xxh64_digest(&x);
	}
	xxh64_update(&x, b, at);
	xxh64_update(&x, zero, 8);
	xxh64_update(&x, b + at + 8, len - at - 8);
	return xxh64_digest(&x);
}
