/*
 * The runtime's private view of an opened table: typed pointers to each
 * verified section and the lazily compiled regexes. Shared by
 * mrt_open.c (which fills it), mrt_match.c and mrt_access.c (which only
 * read it). Nothing here is part of the public API.
 */
#ifndef MESHRT_INTERNAL_H
#define MESHRT_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "meshrt.h"
#include "mrt_format.h"

struct mrt_table {
	const uint8_t *base;         /* the mapping or the caller's buffer */
	size_t size;
	bool mapped;                 /* munmap at close */
	const struct mrt_fmt_header *hdr;
	const struct mrt_fmt_listener *lstn;
	const struct mrt_fmt_gateway *gway;
	const struct mrt_fmt_vhost *vhst;
	const struct mrt_fmt_slot *hash;
	const uint32_t *wild;
	const struct mrt_fmt_route *rout;
	const struct mrt_fmt_route_data *rdat;   /* rdat[i] belongs to rout[i] */
	const struct mrt_fmt_match *mtch;
	const struct mrt_fmt_cond *cond;
	const struct mrt_fmt_dest *dest;
	const struct mrt_fmt_extra *extr;
	const struct mrt_fmt_hop *hops;
	const struct mrt_fmt_cluster *clst;
	const struct mrt_fmt_regex *regx;
	const struct mrt_fmt_gwsel *gsel;
	uint32_t n[MRT_SEC_COUNT];   /* records per section */
	/* Per gateway selector: the gateway record of its workload, or
	 * MRT_NONE; resolved once at open (mrt_gsel_resolve), because a
	 * workload merged from many Gateways has a name joining all of
	 * theirs, too long to hash and compare per request. */
	uint32_t *gsel_gway;
	/* The server-name index of long runs of one port's listeners
	 * (mrt_sni.c), built at open; NULL when no run is long enough. */
	struct mrt_sni *sni;
	/* Per regex: 0 not compiled yet, 1 failed to compile, else pcre2_code*. */
	_Atomic uintptr_t *rx;
	/* Per regex: 0 not built yet, 1 cannot be built, else its linear-time
	 * program (mrt_regex.c), built on the first match PCRE2 gives up on. */
	_Atomic uintptr_t *nfa;
	pcre2_match_context *mctx;   /* match limits; shared read-only */
	uint32_t domain_len;         /* length of the header's domain string */
	uint64_t generation;         /* mrt_table_generation */
	/* The file mrt_open mapped, for mrt_table_changed (mapped only). */
	uint64_t file_dev, file_ino, file_size;
	int64_t file_mtime_sec, file_mtime_nsec;
};

/*
 * The next name of a listener's comma-separated server names [*p, end):
 * [*name, *name + *len), and *p moved past it; false when none is left
 * (a trailing comma ends the list). sni_score and the server-name index
 * (mrt_sni.c) read the list through this one reader, so they agree.
 */
static inline bool mrt_next_name(const char **p, const char *end, const char **name,
				 size_t *len)
{
	if (*p >= end)
		return false;
	const char *q = memchr(*p, ',', (size_t)(end - *p));
	if (!q)
		q = end;
	*name = *p;
	*len = (size_t)(q - *p);
	*p = q < end ? q + 1 : end;
	return true;
}

/* A verified string reference: its text, or NULL for 0. */
static inline const char *mrt_str(const struct mrt_table *t, uint32_t ref)
{
	return ref ? (const char *)t->base + ref : NULL;
}

static inline uint32_t mrt_strlen(const struct mrt_table *t, uint32_t ref)
{
	uint32_t len;
	__builtin_memcpy(&len, t->base + ref - 4, 4);
	return len;
}

/* The gateway index slot of gateway gw[0..n) (listeners' gateway), or
 * MRT_NONE. In mrt_match.c. */
uint32_t mrt_gateway_find(const struct mrt_table *t, const char *gw, size_t n);
/* Fills t->gsel_gway (verified tables only); -1 when out of memory. */
int mrt_gsel_resolve(struct mrt_table *t);
/* mrt_sni.c: builds t->sni (verified tables only); -1 when out of memory. */
int mrt_sni_build(struct mrt_table *t);
void mrt_sni_release(struct mrt_table *t);
/* Whether listeners [first, end) are indexed; then *pick is the one that
 * takes lower-case server name[0..n) (NULL: none given), or MRT_NONE. */
bool mrt_sni_pick(const struct mrt_table *t, uint32_t first, uint32_t end,
		  const char *name, size_t n, uint32_t *pick);

/* mrt_regex.c: the regex slots and match context of a verified table
 * (0, or -1 out of memory), and their release. */
int mrt_regex_init(struct mrt_table *t);
void mrt_regex_release(struct mrt_table *t);
/* The next table generation (1, 2, ...), for a table just verified. */
uint64_t mrt_next_generation(void);

/* The compiled regex i, compiling it on first use; NULL if it fails. */
pcre2_code *mrt_regex_get(const struct mrt_table *t, uint32_t i);
/*
 * Whole-value match of s[0..n) against regex i: 1 it matches, 0 it does
 * not (or the pattern does not compile), -1 it could not be decided
 * (neither PCRE2 nor the linear-time engine could finish).
 */
int mrt_regex_match(const struct mrt_table *t, uint32_t i, const char *s, size_t n);
/* The linear-time engine alone, as mrt_regex_match() falls back to it
 * (for tests comparing the two engines). */
int mrt_regex_match_nfa(const mrt_table *t, size_t i, const char *s, size_t n);

/*
 * The length of the path part route r matched req on, as Envoy's
 * prefix_rewrite replaces it: the prefix of the first match whose
 * conditions hold; the whole path (without the query) for an exact or
 * regex URI match (*exact set); 1 ("/") when that match has no URI
 * condition. In mrt_match.c.
 */
size_t mrt_matched_uri_len(const struct mrt_table *t, const struct mrt_fmt_route *r,
			   const mrt_request *req, bool *exact);

#endif
