/*
 * The embedded schemas: static tables generated at build time from the
 * JSON files in schemas/ by schemas/schemagen.c into $(B)/schema_tables.c,
 * so that start-up parses nothing. schema.c walks a resource's node tree against
 * them (schema_check() in checks.h).
 *
 * A schema is a tree of schema_node rows; identical subtrees are shared.
 * Index 0 of schema_nodes is unused, so 0 means "none" in every index.
 */
#ifndef MESHC_SCHEMA_H
#define MESHC_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

struct node;

enum schema_type {
	ST_ANY,            /* anything; not descended */
	ST_OBJECT,
	ST_ARRAY,
	ST_STRING,
	ST_INTEGER,
	ST_NUMBER,
	ST_BOOLEAN,
	ST_INT_OR_STRING,
};

enum schema_format {
	SF_NONE,
	SF_INT32,
	SF_UINT32,
	SF_INT64,
	SF_UINT64,
	SF_DOUBLE,
	SF_BYTE,           /* base64 */
	SF_DATE_TIME,      /* RFC 3339 */
};

enum schema_duration {
	SD_NONE,
	SD_PARSE,          /* must parse as a Go duration (Istio's decoder) */
	SD_MIN_1MS,        /* CEL duration(self) >= duration('1ms') */
};

/* schema_node.flags */
#define SCHEMA_NULLABLE   0x01u   /* null is a value, not an absent field */
#define SCHEMA_PRESERVE   0x02u   /* unknown fields allowed (not descended) */
#define SCHEMA_QUIET_TYPE 0x04u   /* a type mismatch is reported elsewhere */
#define SCHEMA_HAS_MIN    0x08u
#define SCHEMA_HAS_MAX    0x10u
#define SCHEMA_LIST_SET   0x20u   /* x-kubernetes-list-type: set */

#define SCHEMA_NO_LIMIT 0xffffffffu

/* CEL rules (and API-server rules written as data), by id. */
enum schema_cel_id {
	CEL_PORT_RANGE,            /* 0 < self && self <= 65535 */
	CEL_KEYS_NO_WILDCARD,      /* map keys without '*' */
	CEL_KEYS_NONEMPTY,         /* map keys not empty */
	CEL_NO_WILDCARD,           /* string without '*' */
	CEL_NOT_STAR,              /* string != "*" */
	CEL_UNIQUE_FIELD,          /* list items' arg0 values unique */
	CEL_KEYS_PORT_NAME,        /* map keys DNS-label-like, < 63 chars */
	CEL_ONLY_ONE_OF,           /* at most one of arg0, arg1 */
	CEL_CIDR_NEEDS_RESOLUTION, /* arg0 item with '/' needs arg1 in {arg2, arg3} (default arg2) */
	CEL_NONE_FORBIDS,          /* arg0 (default NONE) == NONE forbids arg1 */
	CEL_DNS_RR_SINGLE,         /* arg0 == DNS_ROUND_ROBIN: at most one arg1 */
	CEL_UDS_ABSOLUTE,          /* unix:// followed by '/' or '@' */
	CEL_UDS_NOT_DIR,           /* unix:// not ending in '/' */
	CEL_ANY_OF,                /* arg0 or arg1 set */
	CEL_UDS_FORBIDS,           /* arg0 starting unix:// forbids arg1 */
	CEL_REQUIRED_IF_MANY,      /* list items need arg0 when there are >1 */
	CEL_DNS_LABEL,             /* string is a DNS-1123 label */
	CEL_IANA_SVC_NAME,         /* string form is an IANA service name */
	CEL_EXPR,                  /* a CEL expression (expr), compiler/cel.c */
};

struct schema_cel {
	enum schema_cel_id id;
	const char *message;       /* the CRD's message, verbatim */
	const char *arg[4];        /* field names or values, NULL when unused */
	const char *expr;          /* CEL_EXPR: the CRD's rule */
};

struct schema_prop {
	const char *name;
	unsigned short len;
	unsigned short node;       /* index into schema_nodes */
	signed char req_bit;       /* bit in the node's required mask, or -1 */
	unsigned char group;       /* 1-based oneOf group within the node, or 0 */
	unsigned long long kbits;  /* node_key_bits() of the name */
};

struct schema_node {
	unsigned char type;        /* enum schema_type */
	unsigned char format;      /* enum schema_format */
	unsigned char duration;    /* enum schema_duration */
	unsigned char flags;       /* SCHEMA_* */
	unsigned props, nprops;    /* schema_props[props .. props+nprops), sorted by name */
	unsigned nreq;             /* required properties (bits 0..nreq-1) */
	unsigned ngroups;          /* oneOf groups */
	unsigned short child;      /* items (array) or additionalProperties (object), 0 none */
	unsigned enums, nenums;    /* schema_strings[enums .. enums+nenums) */
	unsigned cels, ncels;      /* schema_cels[cels .. cels+ncels) */
	const char *list_key;      /* x-kubernetes-list-map-keys (one key), or NULL */
	const char *dur_message;   /* the CEL message of SD_MIN_1MS */
	const char *pattern;       /* a Go regexp the string must contain a match of */
	const char *default_json;  /* the default, as JSON (a CEL literal), or NULL */
	double min, max;
	unsigned min_items, max_items, max_length, min_length, max_props;   /* SCHEMA_NO_LIMIT: none */
};

struct schema_root {
	const char *kind;          /* "VirtualService", "Service", "ObjectMeta" */
	unsigned short node;
};

extern const struct schema_node schema_nodes[];
extern const struct schema_prop schema_props[];
extern const char *const schema_strings[];
extern const struct schema_cel schema_cels[];
extern const size_t schema_ncels;
extern const struct schema_root schema_roots[];
extern const size_t schema_nroots;
extern const size_t schema_nnodes;

/* The root schema for `kind`, or NULL. */
const struct schema_node *schema_root_for(const char *kind);
/* The property `name` (len bytes) of object schema s, or NULL (binary search). */
const struct schema_prop *schema_find_prop(const struct schema_node *s,
					   const char *name, size_t len);
/*
 * The same for a map key, screened by its kbits (node_key_bits): a key
 * decides most probes by one compare, so a scan beats the binary search on
 * the objects Istio's kinds have.
 */
const struct schema_prop *schema_find_prop_key(const struct schema_node *s,
					       const char *name, size_t len,
					       unsigned long long kbits);
/*
 * Optimal-string-alignment edit distance between a (alen bytes) and b,
 * giving up (returning limit + 1) once it exceeds limit. Exposed for tests.
 */
unsigned schema_edit_distance(const char *a, size_t alen, const char *b,
			      unsigned limit);
/* schema_closest, which the CLI shares, is declared in compiler.h. */
/* The known property of s closest to `name` within a small distance, or NULL. */
const char *schema_suggest(const struct schema_node *s, const char *name,
			   size_t len);
/*
 * "expected string, got boolean yes (YAML 1.1 reads unquoted yes as a
 * boolean; quote it: \"yes\")" for node n into buf: the message the schema
 * gives a string field, for fields checked outside the schema walk.
 */
const char *schema_expected_string(char *buf, size_t cap, const struct node *n);
/* Standard base64 (with padding), as the API server's "byte" format. */
bool schema_is_base64(const char *s, size_t len);
/* RFC 3339 date-time, as the API server's "date-time" format. */
bool schema_is_date_time(const char *s, size_t len);

#endif
