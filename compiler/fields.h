/*
 * The one shape of the Istio admission rules files (rules_vs.c,
 * rules_dr.c, rules_gw.c, rules_se.c; rules_unreachable.c reads fields
 * the same way): a context (struct rule_ctx), field access, and one
 * reporting call (rule_report, with the shorthands RULE_ERR and
 * RULE_WARN).
 *
 * Values are read as Istio's protojson decoder reads them. A field is
 * found under its JSON name (`caCertificates`) or its proto name
 * (`ca_certificates`), the JSON name first; an explicit null counts as
 * unset, integers may be quoted, enums may be written by name or by
 * number. A value of the wrong type reads as absent: type errors are the
 * schema layer's to report.
 *
 * Also here: the checks several kinds apply alike (exportTo, label maps,
 * metadata).
 */
#ifndef MESHC_FIELDS_H
#define MESHC_FIELDS_H

#include <stdbool.h>
#include <string.h>

#include "compiler.h"
#include "prim.h"

/* What a rules function reads and reports into: one per resource checked. */
struct rule_ctx {
	struct diag_list *d;
	const struct resource *r;
	struct arena *a;             /* scratch and message parts: d's arena
	                              * (RULE_CTX), or one the caller releases */
};

#define RULE_CTX(list, res) { (list), (res), (list)->arena }

/*
 * Reports `code` (a code whose template is "...%s...") on the resource
 * at `at` (the resource's root when NULL), the detail printf-style.
 */
void rule_report(struct rule_ctx *c, enum diag_code code, const struct node *at,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* An Istio admission error (IST0106) or warning (IST0133). */
#define RULE_ERR(c, at, ...) rule_report((c), IST0106, (at), __VA_ARGS__)
#define RULE_WARN(c, at, ...) rule_report((c), IST0133, (at), __VA_ARGS__)
/* A prim_check_* result: an IST0106 at `at` when not NULL. */
void rule_check(struct rule_ctx *c, const struct node *at, const char *problem);

/*
 * The next character of key[*i..len) as a field name reads (advancing
 * *i): the proto name (`query_params`) and the JSON name (`queryParams`)
 * are the same field, so snake_case folds to lowerCamelCase, as Go's
 * JSONCamelCase derives one from the other: `_`s before another
 * character are dropped and a lower-case letter after them raised. One
 * fold for field lookup (field_pair) and for rules_unreachable.c's
 * canonical match keys, so that both read a key alike.
 */
static inline char field_fold_next(const char *key, size_t len, size_t *i)
{
	char c = key[(*i)++];
	bool upper = false;
	while (c == '_' && *i < len) {
		upper = true;
		c = key[(*i)++];
	}
	return upper && c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/*
 * The pair of field `json` (its lowerCamelCase JSON name) in `map`: the
 * key spelt so, else the first key that is its proto name (`_x` read as
 * `X`). NULL when `map` is NULL or not a map, or the field is absent.
 */
const struct node_pair *field_pairn(const struct node *map, const char *json,
				    size_t jlen, unsigned long long kbits);
/* Inline, so that a literal name's length and kbits fold to constants:
 * the rules look fields up by literal names, millions of times. */
static inline const struct node_pair *field_pair(const struct node *map,
						 const char *json)
{
	size_t jlen = strlen(json);
	return field_pairn(map, json, jlen, node_key_bits(json, jlen));
}
/* As field_value, but an explicit null value is returned, not NULL. */
static inline const struct node *field_raw(const struct node *map, const char *json)
{
	const struct node_pair *p = field_pair(map, json);
	return p ? p->value : NULL;
}
/* The value of field `json`; NULL when absent or null. */
static inline const struct node *field_value(const struct node *map, const char *json)
{
	const struct node *v = field_raw(map, json);
	return v && v->type != NODE_NULL ? v : NULL;
}
/* The key of field `json`, for a report about the field; `map` when absent. */
const struct node *field_key(const struct node *map, const char *json);
/* The key of whichever of fields a and b comes later in `map` (`map`: neither). */
const struct node *field_later_key(const struct node *map, const char *a, const char *b);
/* A string field's text; "" when absent, null or not a string. */
const char *field_str(const struct node *map, const char *json);
/* A mapping field (possibly empty); NULL when absent, null or not a map. */
const struct node *field_map(const struct node *map, const char *json);
/* A string field that Go would see as set: a non-empty string, else NULL. */
const struct node *field_nonempty_str(const struct node *map, const char *json);
/* A list field with at least one item, else NULL. */
const struct node *field_nonempty_list(const struct node *map, const char *json);
/* True only for a boolean field that is present and true. */
bool field_true(const struct node *map, const char *json);

/*
 * The integer in node `n`: a YAML integer that fits in 64 bits, or a
 * string holding a decimal integer (protojson accepts both). Stores it in
 * *out and returns true; false (with *out untouched) for anything else,
 * NULL included.
 */
bool field_as_int(const struct node *n, long long *out);
/*
 * The number in node `n`: a YAML integer or float, or a string strtod()
 * reads whole, if finite (.inf and .nan are the schema's to report).
 * Stores it in *out and returns true; false for anything else, NULL
 * included.
 */
bool field_as_num(const struct node *n, double *out);
/* An integer field; 0 (proto's zero value) when absent or unreadable. */
long long field_int(const struct node *map, const char *json);
/*
 * An integer or finite number field as the API server types it: a YAML
 * integer (or float, for a number), never a quoted one. rules_vs.c reads
 * its numbers so, as its golden cases pin (testdata/schema/type.yaml: a
 * quoted weight counts as absent); the other kinds read them as protojson
 * does (field_as_int, field_as_num). False when absent or unreadable.
 */
bool field_typed_int(const struct node *map, const char *json, long long *out);
bool field_typed_num(const struct node *map, const char *json, double *out);

/* Set as the decoder sees a value: present and not null. */
static inline bool field_is_set(const struct node *v)
{
	return v && v->type != NODE_NULL;
}

static inline bool field_is_map(const struct node *v)
{
	return v && v->type == NODE_MAP;
}

/* The items of a list value; 0 when absent or not a list. */
static inline size_t field_len(const struct node *v)
{
	return v && v->type == NODE_SEQ ? v->n : 0;
}

/* Empty as the decoder sees a list: absent, null or []; not a wrong type. */
static inline bool field_list_empty(const struct node *v)
{
	return !v || v->type == NODE_NULL || (v->type == NODE_SEQ && v->n == 0);
}
/*
 * An enum field read by name (a string equal to one of `names[0..count)`)
 * or by number (a YAML integer in 0..count-1): its index. `dflt` when the
 * field is absent or null, -1 when it names no value.
 */
int field_enum(const struct node *map, const char *json,
	       const char *const *names, int count, int dflt);

/*
 * validateExportTo (prim_check_export_to) over an `exportTo` list, each
 * problem reported as IST0106 at the entry it names. Does nothing when
 * `list` is NULL, not a sequence or empty.
 */
void field_check_export_to(struct rule_ctx *c, const struct node *list,
			   enum prim_export_kind kind);

/*
 * A google.protobuf.Duration value `v` (a string such as "1.5s"):
 * ValidateDuration's problems reported as IST0106 at v. Its length in
 * nanoseconds, or -1 when v is absent or not a duration string (the
 * schema layer's to report).
 */
long long field_check_duration(struct rule_ctx *c, const struct node *v);

/*
 * labels.Instance.Validate over a map of labels (subset and endpoint
 * labels): a bad key reported as IST0106 at the key, a bad value at the
 * value.
 * Does nothing when `labels` is NULL or not a map.
 */
void field_check_labels(struct rule_ctx *c, const struct node *labels);

/*
 * validateMetadata, the wrapper Istio's webhook applies to every kind:
 * the annotation `istio.io/dry-run` (AuthorizationPolicy only) and the
 * reserved annotations `internal.istio.io/webhook-always-reject`,
 * `internal.istio.io/parent-namespace` and `internal.istio.io/parents`
 * are rejected (IST0106 at the annotation's key). Istio stops at the
 * first; every one present is reported here.
 */
void field_check_metadata(struct rule_ctx *c);

#endif
