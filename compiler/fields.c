/*
 * Field access for the Istio admission rules, as Istio's protojson
 * decoder reads a resource: JSON or proto field names, null as unset,
 * quoted integers, enums by name or number (contracts in fields.h), and
 * the exportTo, label-map and metadata-annotation checks. One copy shared by rules_dr.c,
 * rules_gw.c and rules_se.c, so the three kinds read their values the
 * same way.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"

/*
 * True when map key `key` names field `json`: protojson accepts the proto
 * name too, so `_x` in the key reads as `X`.
 */
static bool key_is(const struct node *key, const char *json)
{
	if (!key || !key->text)
		return false;
	const char *k = key->text;
	size_t klen = key->len, j = 0;
	for (size_t i = 0; i < klen; i++) {
		char c = k[i];
		if (c == '_' && i + 1 < klen) {
			c = k[++i];
			if (c >= 'a' && c <= 'z')
				c = (char)(c - 'a' + 'A');
		}
		if (json[j] != c)
			return false;
		j++;
	}
	return json[j] == '\0';
}

/*
 * Folding only drops characters, so a key as long as `json` names it
 * exactly when it equals it (compared by kbits), a shorter key never, and
 * only a longer key needs key_is; its first byte, held in kbits, is the
 * name's or a '_'.
 */
const struct node *field_raw(const struct node *map, const char *json)
{
	if (!map || map->type != NODE_MAP)
		return NULL;
	size_t jlen = strlen(json);
	unsigned long long kb = node_key_bits(json, jlen);
	for (size_t i = 0; i < map->n; i++) {
		const struct node_pair *p = &map->pairs[i];
		bool hit;
		if (p->kbits == kb) {
			hit = jlen <= 7 || (p->key->len == jlen &&
					    memcmp(p->key->text + 7, json + 7, jlen - 7) == 0);
		} else {
			unsigned char b0 = (unsigned char)(p->kbits & 0xff);
			hit = (p->kbits >> 56) > jlen && (b0 == (unsigned char)json[0] || b0 == '_') &&
			      key_is(p->key, json);
		}
		if (hit)
			return p->value;
	}
	return NULL;
}

const struct node *field_value(const struct node *map, const char *json)
{
	const struct node *v = field_raw(map, json);
	return v && v->type != NODE_NULL ? v : NULL;
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
		*out = n->ival;
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
	if (n->type == NODE_INT || n->type == NODE_FLOAT) {
		*out = n->dval;
		return true;
	}
	if (n->type == NODE_STR && n->len > 0) {
		char *end;
		double v = strtod(n->text, &end);
		if (*end == '\0') {
			*out = v;
			return true;
		}
	}
	return false;
}

long long field_int(const struct node *map, const char *json)
{
	long long v = 0;
	return field_as_int(field_value(map, json), &v) ? v : 0;
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

void field_check_export_to(struct diag_list *d, const struct resource *r,
			   const struct node *list, enum prim_export_kind kind)
{
	if (!list || list->type != NODE_SEQ || list->n == 0)
		return;
	const char **entries = arena_alloc(d->arena, list->n * sizeof(*entries));
	for (size_t i = 0; i < list->n; i++)
		entries[i] = node_str(list->items[i]);
	struct prim_problem *probs;
	size_t np = prim_check_export_to(d->arena, r->namespace, entries, list->n, kind, &probs);
	/* prim_check_export_to names entries below n; the clamp is a guard. */
	for (size_t i = 0; i < np; i++)
		FIELD_ERR(list->items[probs[i].index < list->n ? probs[i].index : list->n - 1],
			  "%s", probs[i].message);
}

void field_check_labels(struct diag_list *d, const struct resource *r,
			const struct node *labels)
{
	for (size_t k = 0; labels && labels->type == NODE_MAP && k < labels->n; k++) {
		const struct node *key = labels->pairs[k].key;
		const struct node *val = labels->pairs[k].value;
		const char *e = prim_check_label_key(d->arena, key->text ? key->text : "");
		if (e)
			FIELD_ERR(key, "%s", e);
		const char *vs = node_str(val);
		if (vs && (e = prim_check_label_value(d->arena, vs)) != NULL)
			FIELD_ERR(val, "%s", e);
	}
}

void field_check_metadata(struct diag_list *d, const struct resource *r)
{
	static const char *const reserved[] = {
		"internal.istio.io/parent-namespace", "internal.istio.io/parents",
	};
	const struct node *ann = r->annotations;
	if (!ann || ann->type != NODE_MAP)
		return;
	const struct node_pair *p = node_get_pair(ann, "istio.io/dry-run");
	if (p)
		FIELD_ERR(p->key, "%s/%s has unsupported annotation istio.io/dry-run, please remove the annotation",
			  r->namespace ? r->namespace : "", r->name ? r->name : "");
	p = node_get_pair(ann, "internal.istio.io/webhook-always-reject");
	if (p)
		FIELD_ERR(p->key, "\"internal.istio.io/webhook-always-reject\" annotation found, rejecting");
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		p = node_get_pair(ann, reserved[i]);
		if (p)
			FIELD_ERR(p->key, "\"%s\" annotation found, this may not be set by users", reserved[i]);
	}
}
