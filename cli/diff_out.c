/*
 * Printing a diff: text for people (and git's external diff), JSON for
 * scripts (cli.md's shape), Markdown for pull-request comments.
 *
 * Values are printed as JSON in every format, keeping their types: YAML
 * integers and floats stay numbers (floats in their shortest exact form),
 * booleans booleans, and maps keep the key order they were written in.
 * A Secret's data is never printed: its fields carry "redacted": true in
 * JSON and "(redacted)" elsewhere. Text and Markdown shorten long values.
 * The JSON is written by hand (one field or route per line) rather than
 * through jansson, which prints 0.1 as 0.10000000000000001.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compiler.h"
#include "output.h"
#include "route_json.h"

/* ---- a growable string ---- */

struct sbuf {
	char *s;                     /* heap, NUL-terminated */
	size_t len, cap;
};

static void sbuf_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 256;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sbuf_put(b, s, strlen(s));
}

static void sb_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t need;
	unsigned min;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		need = 2;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		need = 3;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		need = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	unsigned cp = s[0] & (0x7f >> need);
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

/* A JSON string of s[0..n); bytes that are not UTF-8 become '?'. */
static void sb_json_strn(struct sbuf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	sbuf_put(b, "\"", 1);
	for (size_t i = 0; i < n;) {
		unsigned char ch = p[i];
		if (ch == '"' || ch == '\\') {
			char e[2] = { '\\', (char)ch };
			sbuf_put(b, e, 2);
			i++;
		} else if (ch < 0x20 || ch == 0x7f) {
			char e[8];
			const char *sh = ch == '\n' ? "\\n" : ch == '\t' ? "\\t" :
					 ch == '\r' ? "\\r" : NULL;
			if (sh)
				sb_str(b, sh);
			else {
				snprintf(e, sizeof(e), "\\u%04x", ch);
				sb_str(b, e);
			}
			i++;
		} else {
			size_t l = utf8_len(p + i, n - i);
			if (l == 0) {
				sbuf_put(b, "?", 1);
				i++;
			} else {
				sbuf_put(b, s + i, l);
				i += l;
			}
		}
	}
	sbuf_put(b, "\"", 1);
}

static void sb_json_cstr(struct sbuf *b, const char *s)
{
	if (s)
		sb_json_strn(b, s, strlen(s));
	else
		sb_str(b, "null");
}

/* The shortest %g form that reads back as x, marked as a float. */
static void sb_float(struct sbuf *b, double x)
{
	char t[40];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(t, sizeof(t), "%.*g", prec, x);
		if (strtod(t, NULL) == x)
			break;
	}
	sb_str(b, t);
	if (!strpbrk(t, ".eEn"))
		sb_str(b, ".0");
}

static bool decimal_text(const char *s, size_t n)
{
	size_t i = (n && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
	if (i == n)
		return false;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* A node as JSON (compact), its maps in written order. */
static void sb_node(struct sbuf *b, const struct node *n, unsigned depth)
{
	if (!n || depth > 512) {
		sb_str(b, "null");
		return;
	}
	switch (n->type) {
	case NODE_NULL:
		sb_str(b, "null");
		break;
	case NODE_BOOL:
		sb_str(b, n->bval ? "true" : "false");
		break;
	case NODE_INT:
		if (n->int_overflow) {
			if (decimal_text(n->text, n->len))
				sbuf_put(b, n->text[0] == '+' ? n->text + 1 : n->text,
				       n->text[0] == '+' ? n->len - 1 : n->len);
			else
				sb_json_strn(b, n->text, n->len);
		} else {
			char t[32];
			snprintf(t, sizeof(t), "%lld", node_ival(n));
			sb_str(b, t);
		}
		break;
	case NODE_FLOAT:
		if (isfinite(node_dval(n)))
			sb_float(b, node_dval(n));
		else
			sb_json_strn(b, n->text, n->len);   /* JSON has no inf/nan */
		break;
	case NODE_STR:
		sb_json_strn(b, n->text, n->len);
		break;
	case NODE_MAP:
		sbuf_put(b, "{", 1);
		for (size_t i = 0; i < n->n; i++) {
			if (i)
				sbuf_put(b, ",", 1);
			const struct node *k = n->pairs[i].key;
			sb_json_strn(b, k->text ? k->text : "", k->text ? k->len : 0);
			sbuf_put(b, ":", 1);
			sb_node(b, n->pairs[i].value, depth + 1);
		}
		sbuf_put(b, "}", 1);
		break;
	case NODE_SEQ:
		sbuf_put(b, "[", 1);
		for (size_t i = 0; i < n->n; i++) {
			if (i)
				sbuf_put(b, ",", 1);
			sb_node(b, n->items[i], depth + 1);
		}
		sbuf_put(b, "]", 1);
		break;
	}
}

/* ---- outcomes ---- */

static void sb_uint(struct sbuf *b, unsigned v)
{
	char t[16];
	snprintf(t, sizeof(t), "%u", v);
	sb_str(b, t);
}

/* An outcome as JSON: null, [destinations], {"redirect":..}, {"directResponse":..}. */
static void sb_outcome_json(struct sbuf *b, const struct diff_outcome *o)
{
	if (!o->r) {
		sb_str(b, "null");
		return;
	}
	const mrt_table *t = o->t;
	mrt_redirect rd;
	mrt_direct_response dr;
	switch (mrt_route_action(t, o->r)) {
	case MRT_ACTION_REDIRECT:
		if (mrt_route_redirect(t, o->r, &rd) != 0)
			break;
		sb_str(b, "{\"redirect\":{\"uri\":");
		sb_json_cstr(b, rd.uri);
		sb_str(b, ",\"authority\":");
		sb_json_cstr(b, rd.authority);
		sb_str(b, ",\"scheme\":");
		sb_json_cstr(b, rd.scheme);
		sb_str(b, ",\"code\":");
		sb_uint(b, rd.code);
		if (rd.port != MRT_UNSET) {
			sb_str(b, ",\"port\":");
			sb_uint(b, rd.port);
		}
		if (rd.derive_port != MRT_DERIVE_NONE)
			sb_str(b, rd.derive_port == MRT_DERIVE_FROM_REQUEST_PORT ?
			       ",\"derivePort\":\"FROM_REQUEST_PORT\"" :
			       ",\"derivePort\":\"FROM_PROTOCOL_DEFAULT\"");
		if (rd.prefix_rewrite) {
			sb_str(b, ",\"prefixRewrite\":");
			sb_json_cstr(b, rd.prefix_rewrite);
		}
		sb_str(b, "}}");
		return;
	case MRT_ACTION_DIRECT_RESPONSE:
		if (mrt_route_direct_response(t, o->r, &dr) != 0)
			break;
		sb_str(b, "{\"directResponse\":{\"status\":");
		sb_uint(b, dr.status);
		sb_str(b, ",\"body\":");
		if (dr.body)
			sb_json_strn(b, dr.body, dr.body_len);
		else
			sb_str(b, "null");
		sb_str(b, "}}");
		return;
	default:
		break;
	}
	sbuf_put(b, "[", 1);
	size_t n = mrt_route_destination_count(t, o->r);
	for (size_t i = 0, k = 0; i < n; i++) {
		mrt_destination d;
		if (mrt_route_destination(t, o->r, i, &d) != 0)
			continue;
		if (k++)
			sbuf_put(b, ",", 1);
		sb_str(b, "{\"host\":");
		sb_json_cstr(b, d.host);
		sb_str(b, ",\"subset\":");
		sb_json_cstr(b, d.subset);
		sb_str(b, ",\"port\":");
		sb_uint(b, d.port);
		sb_str(b, ",\"weight\":");
		sb_uint(b, d.weight);
		if (route_json_invalid_backend(&d))
			sb_str(b, ",\"invalidBackend\":true");
		mrt_cluster c;
		if (mrt_cluster_get(t, d.cluster_index, &c) == 0 && c.policy_json) {
			sb_str(b, ",\"policy\":");
			sb_str(b, c.policy_json);   /* canonical JSON already */
		}
		sbuf_put(b, "}", 1);
	}
	sbuf_put(b, "]", 1);
}

/* An outcome for people: "h:9080 subset v1 weight 90, ...", "redirect ...". */
static void sb_outcome_text(struct sbuf *b, const struct diff_outcome *o)
{
	if (!o->r) {
		sb_str(b, "none");
		return;
	}
	const mrt_table *t = o->t;
	mrt_redirect rd;
	mrt_direct_response dr;
	switch (mrt_route_action(t, o->r)) {
	case MRT_ACTION_REDIRECT:
		if (mrt_route_redirect(t, o->r, &rd) != 0)
			break;
		sb_str(b, "redirect ");
		sb_uint(b, rd.code);
		if (rd.scheme) {
			sb_str(b, " scheme ");
			sb_str(b, rd.scheme);
		}
		if (rd.authority) {
			sb_str(b, " authority ");
			sb_str(b, rd.authority);
		}
		if (rd.port != MRT_UNSET) {
			sb_str(b, " port ");
			sb_uint(b, rd.port);
		}
		if (rd.uri) {
			sb_str(b, " uri ");
			sb_str(b, rd.uri);
		}
		if (rd.prefix_rewrite) {
			sb_str(b, " prefix ");
			sb_str(b, rd.prefix_rewrite);
		}
		return;
	case MRT_ACTION_DIRECT_RESPONSE:
		if (mrt_route_direct_response(t, o->r, &dr) != 0)
			break;
		sb_str(b, "direct response ");
		sb_uint(b, dr.status);
		if (dr.body) {
			sb_str(b, " body ");
			sb_json_strn(b, dr.body, dr.body_len > 80 ? 80 : dr.body_len);
		}
		return;
	default:
		break;
	}
	size_t n = mrt_route_destination_count(t, o->r);
	if (n == 0)
		sb_str(b, "no destinations");
	for (size_t i = 0, k = 0; i < n; i++) {
		mrt_destination d;
		if (mrt_route_destination(t, o->r, i, &d) != 0)
			continue;
		if (k++)
			sb_str(b, ", ");
		if (route_json_invalid_backend(&d))
			sb_str(b, MRT_CLUSTER_UNKNOWN " (invalid backend)");
		else
			sb_str(b, d.host ? d.host : "?");
		if (d.port) {
			sbuf_put(b, ":", 1);
			sb_uint(b, d.port);
		}
		if (d.subset) {
			sb_str(b, " subset ");
			sb_str(b, d.subset);
		}
		sb_str(b, " weight ");
		sb_uint(b, d.weight);
		mrt_cluster c;
		if (mrt_cluster_get(t, d.cluster_index, &c) == 0 && c.policy_json) {
			sb_str(b, " policy ");
			sb_str(b, c.policy_json);
		}
	}
}

/* A route setting that differs: "timeout: "3s" -> none", values as JSON. */
static void sb_setting_text(struct sbuf *b, const struct diff_setting *st)
{
	sb_str(b, st->name);
	sb_str(b, ": ");
	sb_str(b, strcmp(st->oldj, "null") ? st->oldj : "none");
	sb_str(b, " -> ");
	sb_str(b, strcmp(st->newj, "null") ? st->newj : "none");
}

/* ---- formats ---- */

static const char *const change_names[] = {
	[DIFF_ADDED] = "added", [DIFF_REMOVED] = "removed", [DIFF_CHANGED] = "changed",
};

#define SHORT_VALUE 300

/* A value for text and Markdown: compact JSON, shortened. */
static void sb_value_short(struct sbuf *b, const struct node *n, bool redact)
{
	if (redact) {
		sb_str(b, "(redacted)");
		return;
	}
	size_t start = b->len;
	sb_node(b, n, 0);
	if (b->len - start > SHORT_VALUE) {
		size_t cut = start + SHORT_VALUE;
		/* do not cut a UTF-8 sequence */
		while (cut > start && ((unsigned char)b->s[cut] & 0xc0) == 0x80)
			cut--;
		b->len = cut;
		b->s[cut] = '\0';
		sb_str(b, "...");
	}
}

/* One field as text: "PATH: OLD -> NEW", "PATH: added V", ... */
static void sb_field_text(struct sbuf *b, const struct diff_field *f)
{
	sb_str(b, f->path);
	sb_str(b, ": ");
	if (f->moved_from) {
		sb_str(b, "moved from ");
		sb_str(b, f->moved_from);
		if (!f->oldv && !f->newv)
			return;
		sb_str(b, ", ");
	}
	if (f->oldv && f->newv) {
		sb_value_short(b, f->oldv, f->redact);
		sb_str(b, " -> ");
		sb_value_short(b, f->newv, f->redact);
	} else if (f->newv) {
		sb_str(b, "added ");
		sb_value_short(b, f->newv, f->redact);
	} else {
		sb_str(b, "removed ");
		sb_value_short(b, f->oldv, f->redact);
	}
}

static void summary(struct sbuf *b, const struct diff_result *d)
{
	size_t cnt[3] = { 0, 0, 0 };
	for (size_t i = 0; i < d->nres; i++)
		cnt[d->res[i].change]++;
	char t[256];
	snprintf(t, sizeof(t), "%zu resource%s differ%s (%zu added, %zu removed, %zu changed), "
		 "%zu request class%s route%s differently",
		 d->nres, d->nres == 1 ? "" : "s", d->nres == 1 ? "s" : "",
		 cnt[DIFF_ADDED], cnt[DIFF_REMOVED], cnt[DIFF_CHANGED],
		 d->nroutes, d->nroutes == 1 ? "" : "es", d->nroutes == 1 ? "s" : "");
	sb_str(b, t);
}

static void print_text(struct sbuf *b, const struct diff_result *d)
{
	if (diff_result_empty(d))
		return;
	for (size_t i = 0; i < d->nres; i++) {
		const struct diff_resource *r = &d->res[i];
		sb_str(b, change_names[r->change]);
		sbuf_put(b, " ", 1);
		sb_str(b, r->kind);
		sbuf_put(b, " ", 1);
		sb_str(b, r->namespace);
		sbuf_put(b, "/", 1);
		sb_str(b, r->name);
		sbuf_put(b, "\n", 1);
		for (size_t k = 0; k < r->nfields; k++) {
			sb_str(b, "  ");
			sb_field_text(b, &r->fields[k]);
			sbuf_put(b, "\n", 1);
		}
	}
	for (size_t i = 0; i < d->nroutes; i++) {
		const struct diff_route *rt = &d->routes[i];
		sb_str(b, "route ");
		sb_str(b, rt->listener);
		sbuf_put(b, " ", 1);
		sb_str(b, rt->host ? rt->host : "(no host)");
		sb_str(b, " [");
		sb_str(b, rt->match);
		sb_str(b, "]\n  old: ");
		sb_outcome_text(b, &rt->oldo);
		sb_str(b, "\n  new: ");
		sb_outcome_text(b, &rt->newo);
		sbuf_put(b, "\n", 1);
		for (size_t k = 0; k < rt->nsettings; k++) {
			sb_str(b, "  ");
			sb_setting_text(b, &rt->settings[k]);
			sbuf_put(b, "\n", 1);
		}
	}
	summary(b, d);
	sbuf_put(b, "\n", 1);
}

static void print_json(struct sbuf *b, const struct diff_result *d)
{
	if (diff_result_empty(d)) {
		sb_str(b, "{\"resources\":[],\"routes\":[]}\n");
		return;
	}
	sb_str(b, d->nres ? "{\n  \"resources\": [\n" : "{\n  \"resources\": [],\n");
	for (size_t i = 0; i < d->nres; i++) {
		const struct diff_resource *r = &d->res[i];
		sb_str(b, "    {\"change\":\"");
		sb_str(b, change_names[r->change]);
		sb_str(b, "\",\"kind\":");
		sb_json_cstr(b, r->kind);
		sb_str(b, ",\"namespace\":");
		sb_json_cstr(b, r->namespace);
		sb_str(b, ",\"name\":");
		sb_json_cstr(b, r->name);
		sb_str(b, r->nfields ? ",\"fields\":[\n" : ",\"fields\":[]}");
		for (size_t k = 0; k < r->nfields; k++) {
			const struct diff_field *f = &r->fields[k];
			sb_str(b, "      {\"path\":");
			sb_json_cstr(b, f->path);
			if (f->moved_from) {
				sb_str(b, ",\"movedFrom\":");
				sb_json_cstr(b, f->moved_from);
			}
			if (f->redact && (f->oldv || f->newv)) {
				sb_str(b, ",\"redacted\":true");
			} else {
				if (f->oldv) {
					sb_str(b, ",\"old\":");
					sb_node(b, f->oldv, 0);
				}
				if (f->newv) {
					sb_str(b, ",\"new\":");
					sb_node(b, f->newv, 0);
				}
			}
			sb_str(b, k + 1 < r->nfields ? "},\n" : "}\n    ]}");
		}
		sb_str(b, i + 1 < d->nres ? ",\n" : "\n  ],\n");
	}
	sb_str(b, d->nroutes ? "  \"routes\": [\n" : "  \"routes\": []\n");
	for (size_t i = 0; i < d->nroutes; i++) {
		const struct diff_route *rt = &d->routes[i];
		sb_str(b, "    {\"listener\":");
		sb_json_cstr(b, rt->listener);
		sb_str(b, ",\"host\":");
		sb_json_cstr(b, rt->host);
		sb_str(b, ",\"match\":");
		sb_json_cstr(b, rt->match);
		sb_str(b, ",\"old\":");
		sb_outcome_json(b, &rt->oldo);
		sb_str(b, ",\"new\":");
		sb_outcome_json(b, &rt->newo);
		sb_str(b, ",\"settings\":[");
		for (size_t k = 0; k < rt->nsettings; k++) {
			const struct diff_setting *st = &rt->settings[k];
			sb_str(b, k ? ",{\"field\":" : "{\"field\":");
			sb_json_cstr(b, st->name);
			sb_str(b, ",\"old\":");
			sb_str(b, st->oldj);   /* compact JSON from jansson */
			sb_str(b, ",\"new\":");
			sb_str(b, st->newj);
			sbuf_put(b, "}", 1);
		}
		sbuf_put(b, "]", 1);
		sb_str(b, i + 1 < d->nroutes ? "},\n" : "}\n  ]\n");
	}
	sb_str(b, "}\n");
}

/* Text for a Markdown table cell: `|` escaped, line breaks as spaces. */
static void sb_md_cell(struct sbuf *b, const char *s, bool code)
{
	bool tick = code && strchr(s, '`');
	if (code)
		sb_str(b, tick ? "`` " : "`");
	for (const char *p = s; *p; p++) {
		if (*p == '|')
			sb_str(b, "\\|");
		else if (*p == '\n' || *p == '\r')
			sbuf_put(b, " ", 1);
		else
			sbuf_put(b, p, 1);
	}
	if (code)
		sb_str(b, tick ? " ``" : "`");
}

static void sb_md_value(struct sbuf *b, struct sbuf *tmp, const struct node *n,
			bool redact)
{
	if (!n)
		return;
	sb_reset(tmp);
	sb_value_short(tmp, n, redact);
	sb_md_cell(b, tmp->s, !redact);
}

static void print_markdown(struct sbuf *b, const struct diff_result *d)
{
	struct sbuf tmp = { 0 };
	if (diff_result_empty(d)) {
		sb_str(b, "No differences.\n");
		return;
	}
	sb_str(b, "**meshc diff:** ");
	summary(b, d);
	sb_str(b, "\n");
	if (d->nres) {
		sb_str(b, "\n### Resources\n\n"
		       "| change | resource | field | old | new |\n"
		       "| --- | --- | --- | --- | --- |\n");
		for (size_t i = 0; i < d->nres; i++) {
			const struct diff_resource *r = &d->res[i];
			char *id = NULL;
			size_t idn = strlen(r->kind) + strlen(r->namespace) + strlen(r->name) + 3;
			id = xmalloc(idn);
			snprintf(id, idn, "%s %s/%s", r->kind, r->namespace, r->name);
			for (size_t k = 0; k < (r->nfields ? r->nfields : 1); k++) {
				const struct diff_field *f = r->nfields ? &r->fields[k] : NULL;
				sb_str(b, "| ");
				sb_str(b, change_names[r->change]);
				sb_str(b, " | ");
				sb_md_cell(b, id, false);
				sb_str(b, " | ");
				if (f) {
					sb_md_cell(b, f->path, true);
					if (f->moved_from) {
						sb_str(b, " (moved from ");
						sb_md_cell(b, f->moved_from, true);
						sb_str(b, ")");
					}
				}
				sb_str(b, " | ");
				if (f)
					sb_md_value(b, &tmp, f->oldv, f->redact);
				sb_str(b, " | ");
				if (f)
					sb_md_value(b, &tmp, f->newv, f->redact);
				sb_str(b, " |\n");
			}
			free(id);
		}
	}
	if (d->nroutes) {
		sb_str(b, "\n### Routes\n\n"
		       "| listener | host | match | old | new |\n"
		       "| --- | --- | --- | --- | --- |\n");
		for (size_t i = 0; i < d->nroutes; i++) {
			const struct diff_route *rt = &d->routes[i];
			sb_str(b, "| ");
			sb_md_cell(b, rt->listener, false);
			sb_str(b, " | ");
			sb_md_cell(b, rt->host ? rt->host : "(no host)", false);
			sb_str(b, " | ");
			sb_md_cell(b, rt->match, false);
			sb_str(b, " | ");
			sb_reset(&tmp);
			sb_outcome_text(&tmp, &rt->oldo);
			sb_md_cell(b, tmp.s, false);
			sb_str(b, " | ");
			sb_reset(&tmp);
			sb_outcome_text(&tmp, &rt->newo);
			sb_md_cell(b, tmp.s, false);
			for (size_t k = 0; k < rt->nsettings; k++) {
				sb_str(b, k ? "; " : "<br>");
				sb_reset(&tmp);
				sb_setting_text(&tmp, &rt->settings[k]);
				sb_md_cell(b, tmp.s, true);
			}
			sb_str(b, " |\n");
		}
	}
	free(tmp.s);
}

int diff_format_lookup(const char *name)
{
	if (strcasecmp(name, "text") == 0)
		return DIFF_TEXT;
	if (strcasecmp(name, "json") == 0)
		return DIFF_JSON;
	if (strcasecmp(name, "markdown") == 0 || strcasecmp(name, "md") == 0)
		return DIFF_MARKDOWN;
	return -1;
}

int diff_print(FILE *out, const struct diff_result *d, enum diff_format f)
{
	struct sbuf b = { 0 };
	switch (f) {
	case DIFF_TEXT:
		print_text(&b, d);
		break;
	case DIFF_JSON:
		print_json(&b, d);
		break;
	case DIFF_MARKDOWN:
		print_markdown(&b, d);
		break;
	}
	int rc = 0;
	if (b.len && fwrite(b.s, 1, b.len, out) != b.len)
		rc = -1;
	free(b.s);
	return rc;
}
