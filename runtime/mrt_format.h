/*
 * The on-disk layout of a meshc route table (meshrt(5) is the prose
 * version). Shared by the runtime (reader) and compiler/route_emit.c
 * (writer), so the two cannot drift apart.
 *
 * Everything is little-endian and naturally aligned; every offset is a
 * byte offset from the start of the file; every section starts on an
 * 8-byte boundary. A string reference is the file offset of the string's
 * first byte: the four bytes before it hold its length, and a NUL follows
 * it; 0 means "no string". Indices are zero-based record numbers within
 * the section they name; MRT_NONE (0xffffffff) means "none".
 */
#ifndef MESHRT_FORMAT_H
#define MESHRT_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* "\x89MRT\r\n\x1a\n": a high byte, CR LF and ^Z catch text-mode damage. */
#define MRT_MAGIC "\x89MRT\r\n\x1a\n"
#define MRT_MAGIC_LEN 8
#define MRT_FORMAT_VERSION 4u
#define MRT_BYTE_ORDER 0x01020304u   /* reads 0x04030201 on big-endian */
#define MRT_NONE 0xffffffffu
#define MRT_MAX_SECTIONS 16
#define MRT_MAX_SIZE 0xfffffff0u     /* offsets are 32-bit */
/* Virtual host names are at most this long, and a listener's server
 * names this long in all, so checking one (its case, its hash, its
 * order) costs a bounded time per reference. */
#define MRT_NAME_MAX 1024u
#define MRT_LIST_MAX 65536u
/* The host and gateway indexes never hold a run of more used slots than
 * this, so a lookup probes a bounded number of slots. */
#define MRT_PROBE_MAX 64u

enum mrt_section {
	MRT_SEC_STRS,   /* string table */
	MRT_SEC_LSTN,   /* struct mrt_fmt_listener, sorted by gateway, port */
	MRT_SEC_GWAY,   /* struct mrt_fmt_gateway: hash slots (name 0: empty) */
	MRT_SEC_VHST,   /* struct mrt_fmt_vhost */
	MRT_SEC_HASH,   /* struct mrt_fmt_slot per slot (vhost MRT_NONE: empty) */
	MRT_SEC_WILD,   /* uint32_t vhost index, per listener longest suffix first */
	MRT_SEC_ROUT,   /* struct mrt_fmt_route: what the matcher reads */
	MRT_SEC_RDAT,   /* struct mrt_fmt_route_data, one per route: the rest */
	MRT_SEC_MTCH,   /* struct mrt_fmt_match */
	MRT_SEC_COND,   /* struct mrt_fmt_cond */
	MRT_SEC_DEST,   /* struct mrt_fmt_dest */
	MRT_SEC_EXTR,   /* struct mrt_fmt_extra */
	MRT_SEC_HOPS,   /* struct mrt_fmt_hop */
	MRT_SEC_CLST,   /* struct mrt_fmt_cluster */
	MRT_SEC_REGX,   /* struct mrt_fmt_regex */
	MRT_SEC_GSEL,   /* struct mrt_fmt_gwsel, sorted by name */
	MRT_SEC_COUNT
};

struct mrt_fmt_section {
	uint32_t offset;             /* from the start of the file; 8-aligned */
	uint32_t length;             /* bytes; a multiple of the record size */
};

struct mrt_fmt_header {
	uint8_t magic[MRT_MAGIC_LEN];
	uint32_t version;            /* MRT_FORMAT_VERSION */
	uint32_t byte_order;         /* MRT_BYTE_ORDER */
	uint32_t flags;              /* none defined yet: must be 0 */
	uint32_t header_size;        /* sizeof(struct mrt_fmt_header) = 176 */
	uint64_t total_size;         /* the whole file */
	uint64_t checksum;           /* mrt_fmt_table_checksum(): every byte but this field */
	uint32_t nsections;          /* MRT_SEC_COUNT */
	uint32_t domain;             /* string: the cluster domain */
	struct mrt_fmt_section sections[MRT_MAX_SECTIONS];  /* unused: zero */
};

/*
 * A listener: the mesh's port, or one filter chain of a gateway
 * workload's port (all plain-HTTP servers of the port share one; each
 * TLS-terminating server has its own, chosen by SNI). Sorted by gateway,
 * port, then sni (0 first).
 */
#define MRT_LS_TERMINATES_TLS 1u     /* HTTPS server that terminates TLS:
				        routes HTTP by the Host header */
struct mrt_fmt_listener {
	uint32_t gateway;            /* string: "mesh", "namespace/name", or the
				        comma-joined names of merged Gateways */
	uint32_t port;               /* 0: any port */
	uint32_t flags;              /* MRT_LS_* */
	uint32_t sni;                /* string: comma-separated server names
				        ("*.x.org" wildcards) it is chosen for,
				        or 0: any */
	uint32_t protocol;           /* string or 0 */
	uint32_t tls_mode;           /* string or 0 */
	uint32_t name;               /* string or 0 */
	uint32_t vhost_first, vhost_count;   /* VHST range */
	uint32_t hash_first, hash_size;      /* HASH range; size 0 or a power of 2 */
	uint32_t wild_first, wild_count;     /* WILD range */
	uint32_t star;               /* vhost index of "*", or MRT_NONE */
	uint32_t l4_first, l4_count; /* ROUT range: TLS/TCP routes without a host */
};

/*
 * The gateway index: an open-addressing hash table (a power-of-two
 * number of slots, linear probing from mrt_fmt_hash(name) & (n - 1))
 * mapping each gateway name to its listeners, so a lookup needs no
 * binary search over strings.
 */
struct mrt_fmt_gateway {
	uint32_t name;               /* string (the listeners' gateway), 0: empty slot */
	uint32_t hash;               /* mrt_fmt_hash() of name */
	uint32_t lstn_first, lstn_count;     /* LSTN range: all of the gateway's */
};

#define MRT_VH_HTTPS_REDIRECT 1u
/* The routes are one VirtualService's, some guarded by the caller's
 * labels or namespace: for a caller none of its routes applies to, the
 * VirtualService does not exist (Istio leaves it out of that sidecar's
 * config) and `fallback` answers instead, or nothing when MRT_NONE. */
#define MRT_VH_SOURCE_SCOPED  2u
struct mrt_fmt_vhost {
	uint32_t name;               /* string, lower case: host, "*.suffix" or "*" */
	uint32_t flags;              /* MRT_VH_* */
	uint32_t route_first, route_count;   /* ROUT range (shared between vhosts) */
	uint32_t fallback;           /* ROUT index or MRT_NONE (MRT_VH_SOURCE_SCOPED) */
};

/* A host index slot: the hash sits beside the index, so probing past
 * other hosts never touches their virtual host records. */
struct mrt_fmt_slot {
	uint32_t hash;               /* mrt_fmt_hash() of the vhost's name */
	uint32_t vhost;              /* VHST index, MRT_NONE: empty slot */
};

/* Route info word: kind, action and the position in the list. */
#define MRT_RT_KIND(info)   ((info) & 3u)
#define MRT_RT_ACTION(info) (((info) >> 2) & 3u)
#define MRT_RT_INDEX(info)  ((info) >> 4)
#define MRT_RT_INDEX_MAX    0x0fffffffu

/*
 * A route is split in two parallel records with the same index: what
 * the matcher reads (so a virtual host's route list spans few cache
 * lines), and what only a matched route's accessors read.
 */
struct mrt_fmt_route {
	uint32_t match_first, match_count;   /* MTCH range; 0 matches: any */
	uint32_t info;               /* kind | action << 2 | position << 4 */
};

struct mrt_fmt_route_data {
	uint32_t extra;              /* EXTR index or MRT_NONE */
	uint32_t dest_first, dest_count;     /* DEST range */
	uint32_t name;               /* string or 0 */
	uint32_t vs;                 /* string "namespace/name" or 0 */
};

struct mrt_fmt_match {
	uint32_t name;               /* string or 0 */
	uint32_t cond_first, cond_count;     /* COND range, ANDed */
};

struct mrt_fmt_cond {
	uint8_t field;               /* enum mrt_field */
	uint8_t op;                  /* enum mrt_op */
	uint8_t flags;               /* MRT_COND_* */
	uint8_t pad;                 /* 0 */
	uint32_t key;                /* string or 0 */
	uint32_t value;              /* string, or the port for MRT_FIELD_PORT */
	uint32_t regex;              /* REGX index for MRT_OP_REGEX, else MRT_NONE */
};

struct mrt_fmt_dest {
	uint32_t cluster;            /* CLST index */
	uint32_t weight;
	uint32_t hop_first, hop_count;       /* HOPS range */
};

struct mrt_fmt_extra {
	/* redirect */
	uint32_t rd_uri, rd_authority, rd_scheme, rd_prefix;   /* strings */
	uint32_t rd_port, rd_derive, rd_code;
	/* direct response */
	uint32_t dr_status, dr_body;
	/* rewrite */
	uint32_t rw_uri, rw_authority, rw_regex, rw_sub;       /* rw_regex: REGX */
	/* retries, as Envoy gets them (Istio's retry.ConvertPolicy) */
	uint32_t rt_attempts, rt_per_try_ms, rt_retry_on, rt_backoff_ms;
	uint32_t rt_flags;           /* 2 bits each: remote localities, ignore previous
				        hosts; MRT_RT_DEFAULT_POLICY */
	uint32_t rt_status_codes;    /* string: retriable status codes "503,504", or 0 */
	/* fault */
	uint32_t fd_delay_ms, fd_delay_ppm, fa_status, fa_ppm, fa_grpc, fa_http2;
	/* mirrors */
	uint32_t mirror_first, mirror_count; /* DEST range */
	/* cors */
	uint32_t cors_set;           /* 1 when the route has a corsPolicy */
	uint32_t cors_origin_first, cors_origin_count;   /* COND range */
	uint32_t cors_methods, cors_allow_headers, cors_expose_headers;
	uint32_t cors_max_age_ms, cors_credentials, cors_preflight;
	/* header operations of the route */
	uint32_t hop_first, hop_count;
	/* route timeout */
	uint32_t timeout_ms;
};

struct mrt_fmt_hop {
	uint8_t target;              /* enum mrt_header_target */
	uint8_t op;                  /* enum mrt_header_op */
	uint16_t pad;                /* 0 */
	uint32_t name, value;        /* strings; value 0 for remove */
};

/* rt_flags: the mesh's default policy (the route sets no retries). */
#define MRT_RT_DEFAULT_POLICY 16u

struct mrt_fmt_cluster {
	uint32_t name, host, subset; /* strings; subset 0 when none */
	uint32_t port;
	uint32_t lb_policy, tls_mode;   /* strings or 0 */
	uint32_t policy;             /* string: the merged TrafficPolicy as canonical JSON, or 0 */
	uint32_t destination_rule;   /* string "namespace/name" of its DestinationRule, or 0 */
};

struct mrt_fmt_regex {
	uint32_t pattern;            /* string: the source text */
};

/*
 * A Gateway resource: its selector and the listeners' gateway it routes
 * on, which merges it with every Gateway whose selector its workload
 * also satisfies (Istio's MergeGateways), so a request naming the
 * Gateway is routed as on its workload.
 */
struct mrt_fmt_gwsel {
	uint32_t name;               /* string "namespace/name" */
	uint32_t selector;           /* string "k1=v1,k2=v2" sorted by key, or 0: none */
	uint32_t workload;           /* string: the listeners' gateway */
};

/* Record size of each section (the string section: 1; the wildcard index: 4). */
static const uint32_t mrt_fmt_record_size[MRT_SEC_COUNT] = {
	1, sizeof(struct mrt_fmt_listener), sizeof(struct mrt_fmt_gateway),
	sizeof(struct mrt_fmt_vhost), sizeof(struct mrt_fmt_slot), 4,
	sizeof(struct mrt_fmt_route), sizeof(struct mrt_fmt_route_data),
	sizeof(struct mrt_fmt_match),
	sizeof(struct mrt_fmt_cond), sizeof(struct mrt_fmt_dest),
	sizeof(struct mrt_fmt_extra), sizeof(struct mrt_fmt_hop),
	sizeof(struct mrt_fmt_cluster), sizeof(struct mrt_fmt_regex),
	sizeof(struct mrt_fmt_gwsel),
};

/*
 * ASCII lower case of eight bytes at once: every byte in 'A'..'Z' gains
 * 0x20; bytes with the high bit set are left alone. (Each byte's low
 * seven bits plus a bias sets its high bit when it is >= the bound; no
 * carry crosses a byte.)
 */
static inline uint64_t mrt_fmt_lower8(uint64_t x)
{
	uint64_t low7 = x & 0x7f7f7f7f7f7f7f7fULL;
	uint64_t ge_a = low7 + 0x3f3f3f3f3f3f3f3fULL;     /* >= 'A' (0x41) */
	uint64_t gt_z = low7 + 0x2525252525252525ULL;     /* >= '[' (0x5b) */
	uint64_t upper = ge_a & ~gt_z & ~x & 0x8080808080808080ULL;
	return x | (upper >> 2);
}

/*
 * The little-endian word of s[0..n), 0 < n < 8, zero-padded, reading
 * only those bytes (two overlapping 4-byte loads, or three bytes).
 */
static inline uint64_t mrt_fmt_tail(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	if (n >= 4) {
		uint32_t lo, hi;
		memcpy(&lo, p, 4);
		memcpy(&hi, p + n - 4, 4);
		return (uint64_t)lo | (uint64_t)hi << (8 * (n - 4));
	}
	return (uint64_t)p[0] | (uint64_t)p[n / 2] << (8 * (n / 2)) |
		(uint64_t)p[n - 1] << (8 * (n - 1));
}

/* The zero-padded word of the last r bytes (0 < r <= 8) of s[0..len),
 * len >= 8: one load of the last eight bytes, shifted. */
static inline uint64_t mrt_fmt_last(const char *s, size_t len, size_t r)
{
	uint64_t w;
	memcpy(&w, s + len - 8, 8);
	return w >> (8 * (8 - r));
}

/*
 * The index hash of s[0..len), ASCII case-insensitive: the bytes are
 * read as little-endian 64-bit words (the last one zero-padded), each
 * lower-cased, and mixed into a 64-bit state that starts as len; the
 * result is the low 32 bits. Eight bytes per step (the host index and
 * the gateway index both use it; meshrt(5) specifies it).
 */
#define MRT_HASH_MUL 0x9E3779B97F4A7C15ULL
static inline uint64_t mrt_fmt_hash_step(uint64_t h, uint64_t w)
{
	h = (h ^ w) * MRT_HASH_MUL;
	return h ^ (h >> 32);
}

static inline uint32_t mrt_fmt_hash(const char *s, size_t len)
{
	uint64_t h = len, w;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);            /* little-endian hosts only */
		h = mrt_fmt_hash_step(h, mrt_fmt_lower8(w));
	}
	if (i < len)
		h = mrt_fmt_hash_step(h, mrt_fmt_lower8(len >= 8 ? mrt_fmt_last(s, len, len - i) :
							 mrt_fmt_tail(s, len)));
	return (uint32_t)h;
}

/* XXH64 with seed 0 of data[0..len); in mrt_checksum.c. */
uint64_t mrt_fmt_checksum(const void *data, size_t len);
/*
 * The header's checksum of a table of len bytes: XXH64 (seed 0) of the
 * whole file, header included, with the 8 bytes of the checksum field
 * read as zeros. A flipped bit anywhere changes it.
 */
uint64_t mrt_fmt_table_checksum(const void *table, size_t len);

#endif
