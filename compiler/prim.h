/*
 * Istio's shared validation primitives (istio.md §2.1): host names, ports,
 * durations, regexes, labels, header names and values, exportTo, IPs,
 * protocols, host overlap. Each check returns NULL when the value is valid,
 * otherwise an error message in Istio's words (lower case, no full stop),
 * allocated in `a` or static. Pure functions: safe from any thread.
 */
#ifndef MESHC_PRIM_H
#define MESHC_PRIM_H

#include <stdbool.h>
#include <stddef.h>

struct arena;

/* DNS-1123 label: [a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?, at most 63. */
bool prim_is_dns1123_label(const char *s);
/* ValidateFQDN: 1..255 chars, labels DNS-1123, TLD not all-numeric. */
const char *prim_check_fqdn(struct arena *a, const char *host);
/* ValidateWildcardDomain: as FQDN, first label may be a wildcard label. */
const char *prim_check_wildcard_domain(struct arena *a, const char *host);
/* Gateway server host `[ns/]host` (Gateway rules). */
const char *prim_check_gateway_host(struct arena *a, const char *host);
/* "partial wildcard ... not allowed" unless `*` or starting `*.`. */
const char *prim_check_partial_wildcard(struct arena *a, const char *host);

/* ValidatePort: 1..65535. */
const char *prim_check_port(struct arena *a, long long port);

/*
 * Go time.ParseDuration syntax ("1.5s", "300ms", "1h30m"). Returns true
 * and the value in nanoseconds when it parses; false (as Go's "invalid
 * duration") when it does not, including values beyond int64 nanoseconds.
 */
bool prim_parse_duration(const char *s, long long *ns);
/* ValidateDuration on a parsed value: >= 1ms and whole milliseconds. */
const char *prim_check_duration_ns(struct arena *a, long long ns);

/*
 * A regex as Istio checks it: non-empty, at most 1024 characters, RE2
 * syntax. Rejects what RE2 rejects (backreferences, lookaround, atomic
 * groups, possessive quantifiers, recursion, callouts, \C, option-setting
 * start items) naming the construct, and PCRE2 compile errors. On error
 * *offset (when not NULL) is the byte offset in the pattern of the
 * offending character, or 0.
 */
const char *prim_check_regex(struct arena *a, const char *re, size_t *offset);

/* labels.Instance.Validate rules for one key / one value. */
const char *prim_check_label_key(struct arena *a, const char *key);
const char *prim_check_label_value(struct arena *a, const char *value);

/* Match header names (JWT-claim form and pseudo-headers allowed). */
const char *prim_check_match_header_name(struct arena *a, const char *name);
bool prim_is_jwt_claim_header(const char *name);
/* Header values for add/set: control characters and Envoy %VAR% syntax. */
const char *prim_check_header_value(struct arena *a, const char *value);
/*
 * Header names in headers.request/response operations. request_add_set:
 * the name is a request add/set key (`:authority` and `host` allowed);
 * otherwise (request remove, response add/set/remove) `host` and any
 * `:` name are rejected.
 */
const char *prim_check_header_op_name(struct arena *a, const char *name,
				      bool request_add_set);
/* `:authority` or `host`, case-insensitive. */
bool prim_is_authority_header(const char *name);
/* CORS allowHeaders/exposeHeaders entries: `*` or an RFC 7230 token. */
const char *prim_check_cors_header_name(struct arena *a, const char *name);

/*
 * Go's %q of a string (strconv.Quote): in double quotes, with Go's
 * escapes for quotes, backslashes, control characters, invalid UTF-8
 * bytes (\xff) and code points Go does not print (\u2028); printable
 * UTF-8 passes through. An arena string; _n for s[0..len), NULs allowed.
 */
const char *prim_go_quote(struct arena *a, const char *s);
const char *prim_go_quote_n(struct arena *a, const char *s, size_t len);
/* Unicode code points in UTF-8 s[0..n) (lead bytes counted). */
size_t prim_utf8_count(const char *s, size_t n);

/* Go's strings.HasPrefix: whether s starts with p. */
bool prim_has_prefix(const char *s, const char *p);

bool prim_is_ip(const char *s);
bool prim_is_cidr(const char *s);
/* IP or CIDR. */
const char *prim_check_ip_or_cidr(struct arena *a, const char *s);

enum prim_protocol {
	PROTO_UNSUPPORTED, PROTO_TCP, PROTO_UDP, PROTO_GRPC, PROTO_GRPC_WEB,
	PROTO_HTTP, PROTO_HTTP_PROXY, PROTO_HTTP2, PROTO_HTTPS, PROTO_TLS,
	PROTO_MONGO, PROTO_REDIS, PROTO_MYSQL,
};
/* protocol.Parse, case-insensitive. */
enum prim_protocol prim_protocol_parse(const char *s);
bool prim_protocol_is_http(enum prim_protocol p);   /* HTTP, HTTP2, HTTP_PROXY, GRPC, GRPC-WEB */
bool prim_protocol_is_tls(enum prim_protocol p);    /* HTTPS, TLS */
const char *prim_protocol_name(enum prim_protocol p);

/* host.Name.Matches: equality, or wildcard suffix overlap either way. */
bool prim_host_matches(const char *a, const char *b);
/* host.Name.SubsetOf: every name a covers is covered by b. */
bool prim_host_subset_of(const char *a, const char *b);

/*
 * validateExportTo over a resource's exportTo entries (`entries[i]` may
 * be NULL for a non-string entry, treated as ""). Returns the number of
 * problems and sets *out to an arena array of them; each names the
 * index of the entry it concerns (list-level problems name the last
 * entry). `namespace` is the resource's own namespace.
 */
enum prim_export_kind {
	PRIM_EXPORT_DEFAULT,            /* VirtualService, DestinationRule */
	PRIM_EXPORT_SERVICE_ENTRY,      /* `~` allowed (alone) */
	PRIM_EXPORT_DR_WITH_SELECTOR,   /* only the own namespace, once */
};
struct prim_problem {
	size_t index;
	const char *message;
};
size_t prim_check_export_to(struct arena *a, const char *namespace,
			    const char *const *entries, size_t n,
			    enum prim_export_kind kind, struct prim_problem **out);

#endif
