/*
 * Field access for the Istio admission rules (rules_dr.c, rules_gw.c,
 * rules_se.c): values read as Istio's protojson decoder reads them. A
 * field is found under its JSON name (`caCertificates`) or its proto name
 * (`ca_certificates`), an explicit null counts as unset, integers may be
 * quoted, enums may be written by name or by number. A value of the wrong
 * type reads as absent: type errors are the schema layer's to report.
 *
 * Also here: the two checks these kinds apply alike, exportTo and label
 * maps. rules_vs.c keeps its own reader (it looks the JSON name up first
 * and does not accept quoted integers) and shares only
 * field_check_export_to.
 */
#ifndef MESHC_FIELDS_H
#define MESHC_FIELDS_H

#include <stdbool.h>

#include "compiler.h"
#include "prim.h"

/*
 * Report shorthands for a rules function with `struct diag_list *d` and
 * `const struct resource *r` in scope: an Istio admission error (IST0106)
 * or warning (IST0133) at `node`, the rest printf-style.
 */
#define FIELD_ERR(node, ...) diag_reportf(d, IST0106, r, (node), __VA_ARGS__)
#define FIELD_WARN(node, ...) diag_reportf(d, IST0133, r, (node), __VA_ARGS__)

/*
 * The value of field `json` (its lowerCamelCase JSON name) in `map`: the
 * first pair whose key names it in either spelling. NULL when `map` is
 * NULL or not a map, the field is absent, or its value is null.
 */
const struct node *field_value(const struct node *map, const char *json);
/* As field_value, but an explicit null value is returned, not NULL. */
const struct node *field_raw(const struct node *map, const char *json);
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
 * reads whole. Stores it in *out and returns true; false for anything
 * else, NULL included.
 */
bool field_as_num(const struct node *n, double *out);
/* An integer field; 0 (proto's zero value) when absent or unreadable. */
long long field_int(const struct node *map, const char *json);
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
void field_check_export_to(struct diag_list *d, const struct resource *r,
			   const struct node *list, enum prim_export_kind kind);

/*
 * labels.Instance.Validate over a map of labels (subset and endpoint
 * labels): a bad key reported as IST0106 at the key, a bad value at the
 * value.
 * Does nothing when `labels` is NULL or not a map.
 */
void field_check_labels(struct diag_list *d, const struct resource *r,
			const struct node *labels);

/*
 * validateMetadata, the wrapper Istio's webhook applies to every kind:
 * the annotation `istio.io/dry-run` (AuthorizationPolicy only) and the
 * reserved annotations `internal.istio.io/webhook-always-reject`,
 * `internal.istio.io/parent-namespace` and `internal.istio.io/parents`
 * are rejected (IST0106 at the annotation's key). Istio stops at the
 * first; every one present is reported here.
 */
void field_check_metadata(struct diag_list *d, const struct resource *r);

#endif
