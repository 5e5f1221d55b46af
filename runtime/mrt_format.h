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

#include <stdint.h>

/* "\x89MRT\r\n\x1a\n": a high byte, CR LF and ^Z catch text-mode damage. */
#define MRT_MAGIC "\x89MRT\r\n\x1a\n"
#define MRT_MAGIC_LEN 8
#define MRT_FORMAT_VERSION 1u
#define MRT_BYTE_ORDER 0x01020304u   /* reads 0x04030201 on big-endian */
#define MRT_NONE 0xffffffffu
#define MRT_MAX_SECTIONS 16
#define MRT_MAX_SIZE 0xfffffff0u     /* offsets are 32-bit */

enum mrt_section {
	MRT_SEC_STRS,   /* string table */
	MRT_SEC_LSTN,   /* struct mrt_fmt_listener, sorted by gateway, port */
	MRT_SEC_VHST,   /* struct mrt_fmt_vhost */
	MRT_SEC_HASH,   /* uint32_t vhost index per slot (MRT_NONE: empty) */
	MRT_SEC_WILD,   /* uint32_t vhost index, per listener longest suffix first */
	MRT_SEC_ROUT,   /* struct mrt_fmt_route */
	MRT_SEC_MTCH,   /* struct mrt_fmt_match */
	MRT_SEC_COND,   /* struct mrt_fmt_cond */
	MRT_SEC_DEST,   /* struct mrt_fmt_dest */
	MRT_SEC_EXTR,   /* struct mrt_fmt_extra */
	MRT_SEC_HOPS,   /* struct mrt_fmt_hop */
	MRT_SEC_CLST,   /* struct mrt_fmt_cluster */
	MRT_SEC_REGX,   /* struct mrt_fmt_regex */
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
	uint64_t checksum;           /* XXH64, seed 0, of bytes [header_size, total_size) */
	uint32_t nsections;          /* MRT_SEC_COUNT */
	uint32_t domain;             /* string: the cluster domain */
	struct mrt_fmt_section sections[MRT_MAX_SECTIONS];  /* unused: zero */
};

struct mrt_fmt_listener {
	uint32_t gateway;            /* string: "mesh" or "namespace/name" */
	uint32_t port;               /* 0: any port */
	uint32_t protocol;           /* string or 0 */
	uint32_t tls_mode;           /* string or 0 */
	uint32_t name;               /* string or 0 */
	uint32_t vhost_first, vhost_count;   /* VHST range */
	uint32_t hash_first, hash_size;      /* HASH range; size 0 or a power of 2 */
	uint32_t wild_first, wild_count;     /* WILD range */
	uint32_t star;               /* vhost index of "*", or MRT_NONE */
	uint32_t l4_first, l4_count; /* ROUT range: TLS/TCP routes without a host */
};

#define MRT_VH_HTTPS_REDIRECT 1u
struct mrt_fmt_vhost {
	uint32_t name;               /* string, lower case: host, "*.suffix" or "*" */
	uint32_t hash;               /* mrt_fmt_hash() of name (exact hosts) */
	uint32_t flags;              /* MRT_VH_* */
	uint32_t route_first, route_count;   /* ROUT range (shared between vhosts) */
};

struct mrt_fmt_route {
	uint32_t name;               /* string or 0 */
	uint32_t vs;                 /* string "namespace/name" or 0 */
	uint32_t index;              /* position in the VirtualService's list */
	uint16_t kind;               /* enum mrt_route_kind */
	uint16_t action;             /* enum mrt_action */
	uint32_t match_first, match_count;   /* MTCH range; 0 matches: any */
	uint32_t dest_first, dest_count;     /* DEST range */
	uint32_t timeout_ms;         /* or MRT_NONE */
	uint32_t extra;              /* EXTR index or MRT_NONE */
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
	/* retries */
	uint32_t rt_attempts, rt_per_try_ms, rt_retry_on, rt_backoff_ms;
	uint32_t rt_flags;           /* 2 bits each: remote localities, ignore previous hosts */
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
};

struct mrt_fmt_hop {
	uint8_t target;              /* enum mrt_header_target */
	uint8_t op;                  /* enum mrt_header_op */
	uint16_t pad;                /* 0 */
	uint32_t name, value;        /* strings; value 0 for remove */
};

struct mrt_fmt_cluster {
	uint32_t name, host, subset; /* strings; subset 0 when none */
	uint32_t port;
	uint32_t lb_policy, tls_mode, policy;   /* strings or 0 */
};

struct mrt_fmt_regex {
	uint32_t pattern;            /* string: the source text */
};

/* Record size of each section (the string and index sections: 1 and 4). */
static const uint32_t mrt_fmt_record_size[MRT_SEC_COUNT] = {
	1, sizeof(struct mrt_fmt_listener), sizeof(struct mrt_fmt_vhost), 4, 4,
	sizeof(struct mrt_fmt_route), sizeof(struct mrt_fmt_match),
	sizeof(struct mrt_fmt_cond), sizeof(struct mrt_fmt_dest),
	sizeof(struct mrt_fmt_extra), sizeof(struct mrt_fmt_hop),
	sizeof(struct mrt_fmt_cluster), sizeof(struct mrt_fmt_regex),
};

/* FNV-1a over the lower-cased bytes of s[0..len): the host index hash. */
static inline uint32_t mrt_fmt_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		h = (h ^ c) * 16777619u;
	}
	return h;
}

/* XXH64 with seed 0 (the header's checksum); in mrt_open.c. */
uint64_t mrt_fmt_checksum(const void *data, size_t len);

#endif
