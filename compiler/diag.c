/*
 * The diagnostics engine: the code table (expanded from diag_codes.def),
 * reporting with positions and field paths taken from nodes, sorting and
 * de-duplication. Printing lives in cli/output.c.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "diag.h"
#include "node.h"
#include "resource.h"

static const struct diag_info diag_table[DIAG_CODE_COUNT] = {
#define X(id, level, layer, name, tmpl, explain) \
	[id] = { #id, level, layer, name, tmpl, explain },
#include "diag_codes.def"
#undef X
};

const struct diag_info *diag_info(enum diag_code code)
{
	return &diag_table[code];
}

int diag_code_lookup(const char *id)
{
	for (int i = 0; i < DIAG_CODE_COUNT; i++)
		if (strcasecmp(diag_table[i].id, id) == 0)
			return i;
	return -1;
}

const char *diag_level_name(enum diag_level level)
{
	switch (level) {
	case LEVEL_ERROR: return "Error";
	case LEVEL_WARNING: return "Warning";
	case LEVEL_INFO: return "Info";
	}
	return "Error";
}

const char *diag_layer_name(enum diag_layer layer)
{
	switch (layer) {
	case LAYER_YAML: return "YAML reading (as kubectl reads it)";
	case LAYER_APISERVER: return "API-server schema (CRD and CEL rules)";
	case LAYER_WEBHOOK: return "Istio webhook (admission validation)";
	case LAYER_ANALYZER: return "Istio analyzer (istioctl analyze)";
	case LAYER_MESHC: return "meshc (a check of its own)";
	}
	return "meshc";
}

void diag_list_init(struct diag_list *l, struct arena *a)
{
	memset(l, 0, sizeof(*l));
	l->arena = a;
}

void diag_list_release(struct diag_list *l)
{
	free(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
	free(l->counts);
	l->counts = NULL;
	l->ncounts = l->counts_mask = 0;
	l->summary = NULL;
}

/* Reports of one code in one document (see DIAG_CAP_PER_KIND). */
struct diag_count {
	uintptr_t scope;         /* the resource, or list.scope * 2 + 1; 0: free slot */
	enum diag_code code;
	size_t n;                /* reports counted, kept or not */
	char *summary;           /* the summary line's message buffer, once made */
};

#define SUMMARY_BYTES 200

static struct diag_count *count_slot(struct diag_count *t, size_t mask,
				     uintptr_t scope, enum diag_code code)
{
	size_t i = (size_t)((scope * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)code * 0xff51afd7ed558ccdULL);
	i = (i ^ (i >> 29)) & mask;
	while (t[i].scope && !(t[i].scope == scope && t[i].code == code))
		i = (i + 1) & mask;
	return &t[i];
}

/*
 * Counts a report of `code` on `res` (or in the list's current scope);
 * false when the report is to be dropped. The first report past the cap is
 * kept as the summary: l->summary tells push() to give it the summary's
 * message, which later drops keep up to date.
 */
static bool admit(struct diag_list *l, enum diag_code code,
		  const struct resource *res)
{
	uintptr_t scope = res ? (uintptr_t)res : (uintptr_t)l->scope * 2 + 1;
	if ((l->ncounts + 1) * 2 > l->counts_mask + 1) {
		size_t slots = l->counts ? (l->counts_mask + 1) * 2 : 16;
		struct diag_count *t = xcalloc(slots, sizeof(*t));
		for (size_t i = 0; l->counts && i <= l->counts_mask; i++)
			if (l->counts[i].scope)
				*count_slot(t, slots - 1, l->counts[i].scope,
					    l->counts[i].code) = l->counts[i];
		free(l->counts);
		l->counts = t;
		l->counts_mask = slots - 1;
	}
	struct diag_count *c = count_slot(l->counts, l->counts_mask, scope, code);
	if (!c->scope) {
		*c = (struct diag_count){ .scope = scope, .code = code };
		l->ncounts++;
	}
	c->n++;
	if (c->n <= DIAG_CAP_PER_KIND || l->uncapped)
		return true;
	l->next_hint = NULL;   /* this report is not kept as such */
	if (!c->summary) {
		c->summary = arena_alloc_raw(l->arena, SUMMARY_BYTES);
		l->summary = c;
	}
	snprintf(c->summary, SUMMARY_BYTES,
		 "%zu more %s (%s) in this document not shown: at most %d of one kind are reported per document",
		 c->n - DIAG_CAP_PER_KIND, diag_table[code].id, diag_table[code].name,
		 DIAG_CAP_PER_KIND);
	return l->summary == c;
}

void diag_next_hint(struct diag_list *l, const char *hint)
{
	l->next_hint = hint;
}

void diag_list_append(struct diag_list *dst, struct diag_list *src)
{
	for (size_t i = 0; i < src->n; i++) {
		GROW(dst->items, dst->n, dst->cap);
		dst->items[dst->n++] = src->items[i];
	}
	src->n = 0;
}

static void push(struct diag_list *l, enum diag_code code, const char *message,
		 const char *origin, const char *file, unsigned line,
		 unsigned col, const char *path, const struct resource *res);

void diag_list_replay(struct diag_list *dst, struct diag_list *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct diag *d = &src->items[i];
		if (!admit(dst, d->code, d->res))
			continue;
		push(dst, d->code, arena_strdup(dst->arena, d->message),
		     d->origin ? arena_strdup(dst->arena, d->origin) : NULL, d->file,
		     d->line, d->col, d->path ? arena_strdup(dst->arena, d->path) : NULL, d->res);
	}
	src->n = 0;
}

/* A key can be written `.key` in a path unless it has unusual characters. */
static bool plain_path_key(const char *k, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)k[i];
		if (!isalnum(c) && c != '_' && c != '-' && c != '$' && c != '@')
			return false;
	}
	return true;
}

char *diag_node_path(struct arena *a, const struct node *root,
		     const struct node *at)
{
	/* Collect the chain from `at` up to (not including) root. */
	const struct node *chain[512];
	size_t depth = 0;
	for (const struct node *n = at; n && n != root && n->parent; n = n->parent) {
		if (depth == sizeof(chain) / sizeof(chain[0]))
			break;
		chain[depth++] = n;
	}
	size_t cap = 64, len = 0;
	char *buf = xmalloc(cap);
	buf[0] = '\0';
	while (depth > 0) {
		const struct node *n = chain[--depth];
		char piece[64];
		const char *s = piece;
		size_t slen;
		char *big = NULL;
		const struct node *key = node_key(n);
		if (n->parent->type == NODE_SEQ) {
			slen = (size_t)snprintf(piece, sizeof(piece), "[%u]", node_index(n));
		} else if (key && plain_path_key(key->text, key->len)) {
			big = xmalloc(key->len + 2);
			slen = (size_t)snprintf(big, key->len + 2, "%s%s",
						len ? "." : "", key->text);
			s = big;
		} else {
			const char *k = key ? key->text : "";
			size_t kl = strlen(k);
			big = xmalloc(kl * 2 + 8);
			char *w = big;
			*w++ = '[';
			*w++ = '"';
			for (size_t i = 0; i < kl; i++) {
				if (k[i] == '"' || k[i] == '\\')
					*w++ = '\\';
				*w++ = k[i];
			}
			*w++ = '"';
			*w++ = ']';
			*w = '\0';
			s = big;
			slen = (size_t)(w - big);
		}
		while (len + slen + 1 > cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		memcpy(buf + len, s, slen + 1);
		len += slen;
		free(big);
	}
	char *out = arena_strndup(a, buf, len);
	free(buf);
	return out;
}

static void push(struct diag_list *l, enum diag_code code, const char *message,
		 const char *origin, const char *file, unsigned line,
		 unsigned col, const char *path, const struct resource *res)
{
	const char *hint = l->next_hint;
	l->next_hint = NULL;
	if (l->summary) {
		message = l->summary->summary;
		l->summary = NULL;
		hint = NULL;
	}
	GROW(l->items, l->n, l->cap);
	struct diag *d = &l->items[l->n++];
	memset(d, 0, sizeof(*d));
	d->hint = hint;
	d->code = code;
	d->level = diag_table[code].level;
	d->message = message;
	d->origin = origin;
	d->file = file;
	d->line = line;
	d->col = col;
	d->path = path && *path ? path : NULL;
	d->res = res;
}

static void vreport(struct diag_list *l, enum diag_code code,
		    const struct resource *res, const struct node *at,
		    const char *message)
{
	const struct node *pos = at ? at : (res ? res->root : NULL);
	char *path = NULL;
	if (at && res)
		path = diag_node_path(l->arena, res->root, at);
	push(l, code, message, res ? resource_origin(res, l->arena) : NULL,
	     res ? res->file : NULL,
	     pos ? pos->line : 0, pos ? pos->col : 0, path, res);
}

void diag_report(struct diag_list *l, enum diag_code code,
		 const struct resource *res, const struct node *at, ...)
{
	if (!admit(l, code, res))
		return;
	va_list ap;
	va_start(ap, at);
	char *msg = arena_vprintf(l->arena, diag_table[code].tmpl, ap);
	va_end(ap);
	vreport(l, code, res, at, msg);
}

void diag_vreportf(struct diag_list *l, enum diag_code code,
		   const struct resource *res, const struct node *at,
		   const char *fmt, va_list ap)
{
	if (!admit(l, code, res))
		return;
	char *detail = arena_vprintf(l->arena, fmt, ap);
	char *msg = arena_printf(l->arena, diag_table[code].tmpl, detail);
	vreport(l, code, res, at, msg);
}

void diag_reportf(struct diag_list *l, enum diag_code code,
		  const struct resource *res, const struct node *at,
		  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vreportf(l, code, res, at, fmt, ap);
	va_end(ap);
}

/* The path for position `at` of r: as recorded at distil time, else `path`. */
static const char *model_path(const struct resource *r, const struct mpos *at,
			      const char *path)
{
	for (size_t i = 0; i < r->nxpaths; i++)
		if (r->xpaths[i].at == at)
			return r->xpaths[i].path;
	return path;
}

const char *diag_model_path(const struct resource *r, const struct mpos *at,
			    const char *path)
{
	return model_path(r, at, path);
}

static void vreport_at(struct diag_list *l, enum diag_code code,
		       const struct resource *res, const struct mpos *at,
		       const char *path, const char *message)
{
	bool here = at && at->line;
	const struct mpos *pos = here ? at : &res->pos;
	push(l, code, message, resource_origin(res, l->arena), res->file, pos->line, pos->col,
	     here ? model_path(res, at, path) : NULL, res);
}

void diag_report_at(struct diag_list *l, enum diag_code code,
		    const struct resource *res, const struct mpos *at,
		    const char *path, ...)
{
	if (!admit(l, code, res))
		return;
	va_list ap;
	va_start(ap, path);
	char *msg = arena_vprintf(l->arena, diag_table[code].tmpl, ap);
	va_end(ap);
	vreport_at(l, code, res, at, path, msg);
}

void diag_reportf_at(struct diag_list *l, enum diag_code code,
		     const struct resource *res, const struct mpos *at,
		     const char *path, const char *fmt, ...)
{
	if (!admit(l, code, res))
		return;
	va_list ap;
	va_start(ap, fmt);
	char *detail = arena_vprintf(l->arena, fmt, ap);
	va_end(ap);
	char *msg = arena_printf(l->arena, diag_table[code].tmpl, detail);
	vreport_at(l, code, res, at, path, msg);
}

char *diag_path_key(struct arena *a, const char *prefix, const char *key)
{
	size_t kl = strlen(key), pl = strlen(prefix);
	if (plain_path_key(key, kl))
		return arena_printf(a, "%s%s%s", prefix, pl ? "." : "", key);
	char *out = arena_alloc_raw(a, pl + kl * 2 + 5), *w = out;
	memcpy(w, prefix, pl);
	w += pl;
	*w++ = '[';
	*w++ = '"';
	for (size_t i = 0; i < kl; i++) {
		if (key[i] == '"' || key[i] == '\\')
			*w++ = '\\';
		*w++ = key[i];
	}
	*w++ = '"';
	*w++ = ']';
	*w = '\0';
	return out;
}

void diag_report_pos(struct diag_list *l, enum diag_code code,
		     const char *file, unsigned line, unsigned col,
		     const char *origin, const char *path, ...)
{
	if (!admit(l, code, NULL))
		return;
	va_list ap;
	va_start(ap, path);
	char *msg = arena_vprintf(l->arena, diag_table[code].tmpl, ap);
	va_end(ap);
	push(l, code, msg, origin, file, line, col, path, NULL);
}

static int strcmp_null(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int diag_cmp(const void *pa, const void *pb)
{
	const struct diag *a = pa, *b = pb;
	int c = strcmp_null(a->file, b->file);
	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	c = strcmp(diag_table[a->code].id, diag_table[b->code].id);
	if (c)
		return c;
	c = strcmp_null(a->message, b->message);
	if (c)
		return c;
	c = strcmp_null(a->origin, b->origin);
	if (c)
		return c;
	return strcmp_null(a->path, b->path);
}

void diag_sort(struct diag_list *l)
{
	if (l->n < 2)
		return;
	qsort(l->items, l->n, sizeof(l->items[0]), diag_cmp);
	size_t w = 1;
	for (size_t r = 1; r < l->n; r++)
		if (diag_cmp(&l->items[r], &l->items[w - 1]) != 0)
			l->items[w++] = l->items[r];
	l->n = w;
}

bool diag_annotation_suppresses(const struct diag *d)
{
	const char *list = d->res ? resource_annotation(d->res,
				RESOURCE_ANN_SUPPRESS) : NULL;
	if (!list)
		return false;
	const char *id = diag_info(d->code)->id;
	size_t idlen = strlen(id);
	for (const char *s = list;;) {
		size_t len = strcspn(s, ",");
		if ((len == 1 && s[0] == '*') || (len == idlen && strncmp(s, id, len) == 0))
			return true;
		if (!s[len])
			return false;
		s += len + 1;
	}
}
