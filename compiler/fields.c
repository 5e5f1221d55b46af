/*
 * The rules files' shared shape (contracts in fields.h): reporting
 * (rule_report, rule_check), field access as Istio's protojson decoder
 * reads a resource (JSON or proto field names, null as unset, quoted
 * integers, enums by name or number; the API server's types for
 * rules_vs.c), and the exportTo, label-map and metadata-annotation
 * checks. One copy for rules_vs.c, rules_dr.c, rules_gw.c and rules_se.c,
 * so the kinds read their values and report the same way.
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"

void rule_report(struct rule_ctx *c, enum diag_code code, const struct node *at,
		 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vreportf(c->d, code, c->r, at, fmt, ap);
	va_end(ap);
}

void rule_check(struct rule_ctx *c, const struct node *at, const char *problem)
{
	if (problem)
		RULE_ERR(c, at, "%s", problem);
}

/*
 * True when map key `key` names field `json`: protojson accepts the proto
 * name too, so the key is read folded (field_fold_next).
 */
static bool key_is(const struct node *key, const char *json)
{
	if (!key || !key->text)
		return false;
	size_t j = 0;
	for (size_t i = 0; i < key->len; j++)
		if (json[j] != field_fold_next(key->text, key->len, &i))
			return false;
	return json[j] == '\0';
}

/*
 * The JSON name is looked for first: a key as long as `json` names it
 * exactly when it equals it (compared by kbits, and past 7 bytes by its
 * text). Folding only drops characters, so a proto name is longer; only
 * longer keys whose first byte (held in kbits) is the name's or a '_'
 * need key_is, and the first such key is kept in case the JSON name is
 * absent.
 */
const struct node_pair *field_pairn(const struct node *map, const char *json,
				    size_t jlen, unsigned long long kb)
{
	if (!map || map->type != NODE_MAP)
		return NULL;
	const struct node_pair *proto = NULL;
	for (size_t i = 0; i < map->n; i++) {
		const struct node_pair *p = &map->pairs[i];
		if (p->kbits == kb) {
			if (jlen <= 7 || (p->key->len == jlen &&
					  memcmp(p->key->text + 7, json + 7, jlen - 7) == 0))
				return p;
		} else if (!proto) {
			unsigned char b0 = (unsigned char)(p->kbits & 0xff);
			if ((p->kbits >> 56) > jlen && (b0 == (unsigned char)json[0] || b0 == '_') &&
			    key_is(p->key, json))
				proto = p;
		}
	}
	return proto;
}

const struct node *field_key(const struct node *map, const char *json)
{
	const struct node_pair *p = field_pair(map, json);
	return p ? p->key : map;
}

const struct node *field_later_key(const struct node *map, const char *a, const char *b)
{
	const struct node_pair *pa = field_pair(map, a), *pb = field_pair(map, b);
	if (!pa)
		return pb ? pb->key : map;
	if (!pb)
		return pa->key;
	return pa > pb ? pa->key : pb->key;   /* pairs are stored in document order */
}

const char *field_str(const struct node *map, const char *json)
{
	const char *s = node_str(field_value(map, json));
	return s ? s : "";
}

const struct node *field_map(const struct node *map, const char *json)
{
	const struct node *v = field_value(map, json);
	return v && v->type == NODE_MAP ? v : NULL;
}

const struct node *field_nonempty_str(const struct node *map, const char *json)
{
	const struct node *v = field_value(map, json);
	return v && v->type == NODE_STR && v->len > 0 ? v : NULL;
}

const struct node *field_nonempty_list(const struct node *map, const char *json)
{
	const struct node *v = field_value(map, json);
	return v && v->type == NODE_SEQ && v->n > 0 ? v : NULL;
}

bool field_true(const struct node *map, const char *json)
{
	const struct node *v = field_value(map, json);
	return v && v->type == NODE_BOOL && v->bval;
}

bool field_as_int(const struct node *n, long long *out)
{
	if (!n)
		return false;
	if (n->type == NODE_INT && !n->int_overflow) {
		*out = node_ival(n);
		return true;
	}
	/* 20 characters hold any int64 with its sign. */
	if (n->type == NODE_STR && n->len > 0 && n->len < 21) {
		char *end;
		long long v = strtoll(n->text, &end, 10);
		if (*end == '\0' && (n->text[0] == '-' || (n->text[0] >= '0' && n->text[0] <= '9'))) {
			*out = v;
			return true;
		}
	}
	return false;
}

bool field_as_num(const struct node *n, double *out)
{
	if (!n)
		return false;
	double v;
	if (n->type == NODE_INT || n->type == NODE_FLOAT) {
		v = node_dval(n);
	} else if (n->type == NODE_STR && n->len > 0) {
		char *end;
		v = strtod(n->text, &end);
		if (*end != '\0')
			return false;
	} else {
		return false;
	}
	if (!isfinite(v))
		return false;
	*out = v;
	return true;
}

long long field_int(const struct node *map, const char *json)
{
	long long v = 0;
	return field_as_int(field_value(map, json), &v) ? v : 0;
}

bool field_typed_int(const struct node *map, const char *json, long long *out)
{
	const struct node *n = field_value(map, json);
	if (!n || n->type != NODE_INT || n->int_overflow)
		return false;
	*out = node_ival(n);
	return true;
}

bool field_typed_num(const struct node *map, const char *json, double *out)
{
	const struct node *n = field_value(map, json);
	if (!n || (n->type != NODE_INT && n->type != NODE_FLOAT) || !isfinite(node_dval(n)))
		return false;
	*out = node_dval(n);
	return true;
}

int field_enum(const struct node *map, const char *json,
	       const char *const *names, int count, int dflt)
{
	const struct node *v = field_value(map, json);
	if (!v)
		return dflt;
	if (v->type == NODE_STR) {
		for (int i = 0; i < count; i++)
			if (strcmp(v->text, names[i]) == 0)
				return i;
		return -1;
	}
	long long n;
	if (v->type == NODE_INT && field_as_int(v, &n) && n >= 0 && n < count)
		return (int)n;
	return -1;
}

void field_check_export_to(struct rule_ctx *c, const struct node *list,
			   enum prim_export_kind kind)
{
	if (!list || list->type != NODE_SEQ || list->n == 0)
		return;
	const char **entries = arena_alloc(c->a, list->n * sizeof(*entries));
	for (size_t i = 0; i < list->n; i++)
		entries[i] = node_str(list->items[i]);
	struct prim_problem *probs;
	size_t np = prim_check_export_to(c->a, c->r->namespace, entries, list->n, kind, &probs);
	/* prim_check_export_to names entries below n; the clamp is a guard. */
	for (size_t i = 0; i < np; i++)
		RULE_ERR(c, list->items[probs[i].index < list->n ? probs[i].index : list->n - 1],
			    "%s", probs[i].message);
}

long long field_check_duration(struct rule_ctx *c, const struct node *v)
{
	const char *s = node_str(v);
	long long ns;
	if (!s || !prim_parse_duration(s, &ns))
		return -1;               /* the schema reports the syntax */
	rule_check(c, v, prim_check_duration_ns(c->a, ns));
	return ns;
}

void field_check_labels(struct rule_ctx *c, const struct node *labels)
{
	for (size_t k = 0; labels && labels->type == NODE_MAP && k < labels->n; k++) {
		const struct node *key = labels->pairs[k].key;
		const struct node *val = labels->pairs[k].value;
		const char *e = prim_check_label_key(c->a, key->text ? key->text : "");
		rule_check(c, key, e);
		const char *vs = node_str(val);
		if (vs && (e = prim_check_label_value(c->a, vs)) != NULL)
			RULE_ERR(c, val, "%s", e);
	}
}

void field_check_metadata(struct rule_ctx *c)
{
	static const char *const reserved[] = {
		"internal.istio.io/parent-namespace", "internal.istio.io/parents",
	};
	const struct node *ann = c->r->annotations;
	if (!ann || ann->type != NODE_MAP)
		return;
	const struct node_pair *p = node_get_pair(ann, "istio.io/dry-run");
	if (p)
		RULE_ERR(c, p->key, "%s/%s has unsupported annotation istio.io/dry-run, please remove the annotation",
			    c->r->namespace ? c->r->namespace : "", c->r->name ? c->r->name : "");
	p = node_get_pair(ann, "internal.istio.io/webhook-always-reject");
	if (p)
		RULE_ERR(c, p->key, "\"internal.istio.io/webhook-always-reject\" annotation found, rejecting");
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		p = node_get_pair(ann, reserved[i]);
		if (p)
			RULE_ERR(c, p->key, "\"%s\" annotation found, this may not be set by users", reserved[i]);
	}
}
