/*
 * schemagen: the build-time generator that turns the schema files
 * (the JSON files in schemas/, format in schemas/README.md) into static C tables
 * (compiler/schema.h), so meshc embeds its schemas and parses nothing at
 * start-up. A host program, linked with jansson; never part of meshc.
 *
 *   schemagen OUT.c FILE.json...
 *
 * Identical subtrees (the DestinationRule traffic policy appears three
 * times, for example) are emitted once. Every keyword is checked: an
 * unknown keyword, an unknown type, a required or oneOf key that is not a
 * property, or a dangling "$ref" stops the build with a message naming the
 * file and the path in it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../compiler/cel.h"

struct gen_node {
	int type, format, duration;
	unsigned flags;
	size_t props, nprops, nreq, ngroups, child;
	size_t enums, nenums, cels, ncels;
	const char *list_key, *dur_message, *pattern, *default_json;
	double min, max;
	unsigned long long min_items, max_items, max_length, min_length, max_props;
};

struct gen_prop {
	const char *name;
	size_t node;
	int req_bit, group;
};

struct gen_cel {
	const char *id, *message, *expr;
	const char *arg[4];
};

struct gen_file {
	const char *path;
	const char *kind;
	json_t *schema;
	size_t node;          /* 0 until emitted */
	int busy;             /* emitting: a $ref cycle */
};

static struct gen_node *nodes;
static size_t nnodes, cap_nodes;
static struct gen_prop *props;
static size_t nprops, cap_props;
static const char **strs;
static size_t nstrs, cap_strs;
static struct gen_cel *cels;
static size_t ncels, cap_cels;
static struct gen_file *files;
static size_t nfiles;

/* Dedup table: canonical JSON text -> node index (open addressing). */
static char **dedup_key;
static size_t *dedup_val;
static size_t dedup_cap;

static const char *cur_file;

static void die(const char *path, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "schemagen: %s: %s: ", cur_file ? cur_file : "-",
		path && *path ? path : "(root)");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *grow(void *p, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 64;
	p = realloc(p, *cap * size);
	if (!p) {
		fputs("schemagen: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d) {
		fputs("schemagen: out of memory\n", stderr);
		exit(1);
	}
	return d;
}

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static size_t *dedup_slot(const char *key, int *found)
{
	if (dedup_cap == 0 || nnodes * 2 >= dedup_cap) {
		size_t ocap = dedup_cap;
		char **okey = dedup_key;
		size_t *oval = dedup_val;
		dedup_cap = ocap ? ocap * 2 : 1024;
		dedup_key = calloc(dedup_cap, sizeof(*dedup_key));
		dedup_val = calloc(dedup_cap, sizeof(*dedup_val));
		if (!dedup_key || !dedup_val) {
			fputs("schemagen: out of memory\n", stderr);
			exit(1);
		}
		for (size_t i = 0; i < ocap; i++) {
			if (!okey[i])
				continue;
			size_t j = hash_str(okey[i]) & (dedup_cap - 1);
			while (dedup_key[j])
				j = (j + 1) & (dedup_cap - 1);
			dedup_key[j] = okey[i];
			dedup_val[j] = oval[i];
		}
		free(okey);
		free(oval);
	}
	size_t j = hash_str(key) & (dedup_cap - 1);
	while (dedup_key[j] && strcmp(dedup_key[j], key) != 0)
		j = (j + 1) & (dedup_cap - 1);
	*found = dedup_key[j] != NULL;
	if (!*found)
		dedup_key[j] = xstrdup(key);
	return &dedup_val[j];
}

static const char *get_str(json_t *s, const char *key, const char *path)
{
	json_t *v = json_object_get(s, key);
	if (!v)
		return NULL;
	if (!json_is_string(v))
		die(path, "\"%s\" must be a string", key);
	return json_string_value(v);
}

static int lookup(const char *const *names, size_t n, const char *v,
		  const char *what, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], v) == 0)
			return (int)i;
	die(path, "unknown %s \"%s\"", what, v);
	return -1;
}

static const char *const type_names[] = {
	"any", "object", "array", "string", "integer", "number", "boolean",
	"int-or-string",
};
static const char *const type_enum[] = {
	"ST_ANY", "ST_OBJECT", "ST_ARRAY", "ST_STRING", "ST_INTEGER",
	"ST_NUMBER", "ST_BOOLEAN", "ST_INT_OR_STRING",
};
static const char *const format_names[] = {
	"", "int32", "uint32", "int64", "uint64", "double", "byte", "date-time",
};
static const char *const format_enum[] = {
	"SF_NONE", "SF_INT32", "SF_UINT32", "SF_INT64", "SF_UINT64", "SF_DOUBLE",
	"SF_BYTE", "SF_DATE_TIME",
};
static const char *const duration_names[] = { "", "parse", "min1ms" };
static const char *const duration_enum[] = { "SD_NONE", "SD_PARSE", "SD_MIN_1MS" };
/* CEL rule ids and the number of arguments each takes. */
static const struct { const char *name, *id; size_t nargs; } cel_ids[] = {
	{ "port_range", "CEL_PORT_RANGE", 0 },
	{ "keys_no_wildcard", "CEL_KEYS_NO_WILDCARD", 0 },
	{ "keys_nonempty", "CEL_KEYS_NONEMPTY", 0 },
	{ "no_wildcard", "CEL_NO_WILDCARD", 0 },
	{ "not_star", "CEL_NOT_STAR", 0 },
	{ "unique_field", "CEL_UNIQUE_FIELD", 1 },
	{ "keys_port_name", "CEL_KEYS_PORT_NAME", 0 },
	{ "only_one_of", "CEL_ONLY_ONE_OF", 2 },
	{ "cidr_needs_resolution", "CEL_CIDR_NEEDS_RESOLUTION", 4 },
	{ "none_forbids", "CEL_NONE_FORBIDS", 2 },
	{ "dns_rr_single", "CEL_DNS_RR_SINGLE", 2 },
	{ "uds_absolute", "CEL_UDS_ABSOLUTE", 0 },
	{ "uds_not_dir", "CEL_UDS_NOT_DIR", 0 },
	{ "any_of", "CEL_ANY_OF", 2 },
	{ "uds_forbids", "CEL_UDS_FORBIDS", 2 },
	{ "required_if_many", "CEL_REQUIRED_IF_MANY", 1 },
	{ "dns_label", "CEL_DNS_LABEL", 0 },
	{ "iana_svc_name", "CEL_IANA_SVC_NAME", 0 },
};

static const char *const known_keywords[] = {
	"type", "properties", "required", "items", "additionalProperties",
	"enum", "format", "minimum", "maximum", "minItems", "maxItems",
	"maxLength", "maxProperties", "nullable", "oneOf", "duration",
	"durationMessage", "cel", "listMapKeys", "preserveUnknownFields",
	"quietType", "$ref", "pattern", "minLength", "default", "listSet",
};

static size_t emit(json_t *s, const char *path);

static struct gen_file *file_by_kind(const char *kind)
{
	for (size_t i = 0; i < nfiles; i++)
		if (strcmp(files[i].kind, kind) == 0)
			return &files[i];
	return NULL;
}

static size_t emit_file(struct gen_file *f)
{
	if (f->node)
		return f->node;
	if (f->busy)
		die(f->kind, "\"$ref\" cycle");
	f->busy = 1;
	const char *saved = cur_file;
	cur_file = f->path;
	f->node = emit(f->schema, "");
	cur_file = saved;
	f->busy = 0;
	return f->node;
}

static unsigned long long get_count(json_t *s, const char *key, const char *path)
{
	json_t *v = json_object_get(s, key);
	if (!v)
		return 0xffffffffull;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) >= 0xffffffffll)
		die(path, "\"%s\" must be a non-negative integer", key);
	return (unsigned long long)json_integer_value(v);
}

static int get_bool(json_t *s, const char *key, const char *path)
{
	json_t *v = json_object_get(s, key);
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		die(path, "\"%s\" must be true or false", key);
	return json_is_true(v);
}

static int cmp_prop(const void *a, const void *b)
{
	return strcmp(((const struct gen_prop *)a)->name,
		      ((const struct gen_prop *)b)->name);
}

/* Appends the node for schema s (after its children); returns its index. */
static size_t emit(json_t *s, const char *path)
{
	if (!json_is_object(s))
		die(path, "a schema must be an object");
	const char *ref = get_str(s, "$ref", path);
	if (ref) {
		if (json_object_size(s) != 1)
			die(path, "\"$ref\" must stand alone");
		struct gen_file *f = file_by_kind(ref);
		if (!f)
			die(path, "\"$ref\" to unknown kind \"%s\"", ref);
		return emit_file(f);
	}
	const char *key;
	json_t *val;
	json_object_foreach(s, key, val) {
		size_t k;
		for (k = 0; k < sizeof(known_keywords) / sizeof(*known_keywords); k++)
			if (strcmp(key, known_keywords[k]) == 0)
				break;
		if (k == sizeof(known_keywords) / sizeof(*known_keywords))
			die(path, "unknown keyword \"%s\"", key);
	}
	char *canon = json_dumps(s, JSON_SORT_KEYS | JSON_COMPACT);
	if (!canon)
		die(path, "cannot serialise");
	int found;
	size_t *slot = dedup_slot(canon, &found);
	free(canon);
	if (found)
		return *slot;

	struct gen_node n;
	memset(&n, 0, sizeof(n));
	const char *t = get_str(s, "type", path);
	if (!t)
		die(path, "no \"type\"");
	n.type = lookup(type_names, sizeof(type_names) / sizeof(*type_names), t,
			"type", path);
	const char *fmt = get_str(s, "format", path);
	n.format = fmt ? lookup(format_names, sizeof(format_names) /
				sizeof(*format_names), fmt, "format", path) : 0;
	const char *dur = get_str(s, "duration", path);
	n.duration = dur ? lookup(duration_names, sizeof(duration_names) /
				  sizeof(*duration_names), dur, "duration", path) : 0;
	n.dur_message = get_str(s, "durationMessage", path);
	if (n.duration == 2 && !n.dur_message)
		die(path, "\"duration\": \"min1ms\" needs \"durationMessage\"");
	if (n.duration && n.type != 3)
		die(path, "\"duration\" needs type string");
	if (get_bool(s, "nullable", path))
		n.flags |= 0x01u;
	if (get_bool(s, "preserveUnknownFields", path))
		n.flags |= 0x02u;
	if (get_bool(s, "quietType", path))
		n.flags |= 0x04u;
	json_t *mn = json_object_get(s, "minimum"), *mx = json_object_get(s, "maximum");
	if (mn) {
		if (!json_is_number(mn))
			die(path, "\"minimum\" must be a number");
		n.flags |= 0x08u;
		n.min = json_number_value(mn);
	}
	if (mx) {
		if (!json_is_number(mx))
			die(path, "\"maximum\" must be a number");
		n.flags |= 0x10u;
		n.max = json_number_value(mx);
	}
	n.min_items = get_count(s, "minItems", path);
	n.max_items = get_count(s, "maxItems", path);
	n.max_length = get_count(s, "maxLength", path);
	n.min_length = get_count(s, "minLength", path);
	n.pattern = get_str(s, "pattern", path);
	if (n.pattern && n.type != 3)
		die(path, "\"pattern\" needs type string");
	if (get_bool(s, "listSet", path)) {
		if (n.type != 2)
			die(path, "\"listSet\" needs type array");
		n.flags |= 0x20u;
	}
	json_t *def = json_object_get(s, "default");
	if (def) {
		/* Kept as JSON text: CEL reads it as a literal (compiler/cel.c). */
		n.default_json = json_dumps(def, JSON_COMPACT | JSON_ENCODE_ANY |
					    JSON_SORT_KEYS);
		if (!n.default_json)
			die(path, "cannot serialise \"default\"");
	}
	n.max_props = get_count(s, "maxProperties", path);

	/* Children first: items / additionalProperties, then properties. */
	char sub[4096];
	json_t *items = json_object_get(s, "items");
	json_t *addl = json_object_get(s, "additionalProperties");
	if (items && n.type != 2)
		die(path, "\"items\" needs type array");
	if (n.type == 2 && !items)
		die(path, "an array needs \"items\"");
	if (addl && n.type != 1)
		die(path, "\"additionalProperties\" needs type object");
	if (items) {
		snprintf(sub, sizeof(sub), "%s[]", path);
		n.child = emit(items, sub);
	} else if (addl) {
		snprintf(sub, sizeof(sub), "%s{}", path);
		n.child = emit(addl, sub);
	}
	json_t *pr = json_object_get(s, "properties");
	struct gen_prop *local = NULL;
	size_t nlocal = 0;
	if (pr) {
		if (!json_is_object(pr) || n.type != 1)
			die(path, "\"properties\" must be an object, on type object");
		local = calloc(json_object_size(pr) + 1, sizeof(*local));
		if (!local)
			die(path, "out of memory");
		json_object_foreach(pr, key, val) {
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", key);
			local[nlocal].name = xstrdup(key);
			local[nlocal].node = emit(val, sub);
			local[nlocal].req_bit = -1;
			nlocal++;
		}
		qsort(local, nlocal, sizeof(*local), cmp_prop);
	}
	json_t *req = json_object_get(s, "required");
	if (req) {
		if (!json_is_array(req))
			die(path, "\"required\" must be a list");
		for (size_t i = 0; i < json_array_size(req); i++) {
			const char *r = json_string_value(json_array_get(req, i));
			size_t j;
			for (j = 0; j < nlocal && r; j++)
				if (strcmp(local[j].name, r) == 0)
					break;
			if (!r || j == nlocal)
				die(path, "required \"%s\" is not a property", r ? r : "?");
			if (n.nreq >= 63)
				die(path, "more than 63 required properties");
			if (local[j].req_bit < 0)
				local[j].req_bit = (int)n.nreq++;
		}
	}
	json_t *oneof = json_object_get(s, "oneOf");
	if (oneof) {
		if (!json_is_array(oneof))
			die(path, "\"oneOf\" must be a list of key lists");
		for (size_t g = 0; g < json_array_size(oneof); g++) {
			json_t *grp = json_array_get(oneof, g);
			if (!json_is_array(grp) || g >= 8)
				die(path, "\"oneOf\" must be at most 8 lists of keys");
			for (size_t i = 0; i < json_array_size(grp); i++) {
				const char *k = json_string_value(json_array_get(grp, i));
				size_t j;
				for (j = 0; j < nlocal && k; j++)
					if (strcmp(local[j].name, k) == 0)
						break;
				if (!k || j == nlocal)
					die(path, "oneOf key \"%s\" is not a property", k ? k : "?");
				if (local[j].group)
					die(path, "\"%s\" is in two oneOf groups", k);
				local[j].group = (int)g + 1;
			}
		}
		n.ngroups = json_array_size(oneof);
	}
	json_t *en = json_object_get(s, "enum");
	if (en) {
		if (!json_is_array(en) || (n.type != 3 && n.type != 4))
			die(path, "\"enum\" must be a list, on type string or integer");
		n.enums = nstrs;
		for (size_t i = 0; i < json_array_size(en); i++) {
			json_t *ev = json_array_get(en, i);
			char num[32];
			const char *e = json_string_value(ev);
			if (n.type == 4) {
				/* integer enums are kept as their decimal text */
				if (!json_is_integer(ev))
					die(path, "enum values must be integers");
				snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(ev));
				e = num;
			}
			if (!e)
				die(path, "enum values must be strings");
			strs = grow(strs, nstrs, &cap_strs, sizeof(*strs));
			strs[nstrs++] = xstrdup(e);
		}
		n.nenums = json_array_size(en);
	}
	json_t *lk = json_object_get(s, "listMapKeys");
	if (lk) {
		if (!json_is_array(lk) || json_array_size(lk) != 1 ||
		    !json_is_string(json_array_get(lk, 0)) || n.type != 2)
			die(path, "\"listMapKeys\" must list one key, on type array");
		n.list_key = xstrdup(json_string_value(json_array_get(lk, 0)));
	}
	json_t *cl = json_object_get(s, "cel");
	if (cl) {
		if (!json_is_array(cl))
			die(path, "\"cel\" must be a list");
		n.cels = ncels;
		for (size_t i = 0; i < json_array_size(cl); i++) {
			json_t *c = json_array_get(cl, i);
			const char *id = get_str(c, "id", path);
			const char *msg = get_str(c, "message", path);
			const char *expr = get_str(c, "expr", path);
			json_t *args = json_object_get(c, "args");
			if (expr) {
				/* A CEL expression compiler/cel.c evaluates. */
				if (id || args || !msg)
					die(path, "a cel expression needs \"expr\" and \"message\" only");
				const char *err = cel_check_syntax(expr);
				if (err)
					die(path, "CEL rule does not parse: %s: %s", err, expr);
				cels = grow(cels, ncels, &cap_cels, sizeof(*cels));
				struct gen_cel *gc = &cels[ncels++];
				memset(gc, 0, sizeof(*gc));
				gc->id = "CEL_EXPR";
				gc->message = xstrdup(msg);
				gc->expr = xstrdup(expr);
				continue;
			}
			if (!id || !msg || (args && !json_is_array(args)))
				die(path, "a cel rule needs \"id\", \"message\" and \"args\"");
			size_t k;
			for (k = 0; k < sizeof(cel_ids) / sizeof(*cel_ids); k++)
				if (strcmp(cel_ids[k].name, id) == 0)
					break;
			if (k == sizeof(cel_ids) / sizeof(*cel_ids))
				die(path, "unknown cel rule id \"%s\"", id);
			if (json_array_size(args) != cel_ids[k].nargs)
				die(path, "cel rule \"%s\" takes %zu arguments", id,
				    cel_ids[k].nargs);
			cels = grow(cels, ncels, &cap_cels, sizeof(*cels));
			struct gen_cel *gc = &cels[ncels++];
			memset(gc, 0, sizeof(*gc));
			gc->id = cel_ids[k].id;
			gc->message = xstrdup(msg);
			for (size_t a = 0; a < json_array_size(args); a++) {
				const char *av = json_string_value(json_array_get(args, a));
				if (!av)
					die(path, "cel arguments must be strings");
				gc->arg[a] = xstrdup(av);
			}
		}
		n.ncels = json_array_size(cl);
	}
	n.props = nprops;
	n.nprops = nlocal;
	for (size_t i = 0; i < nlocal; i++) {
		props = grow(props, nprops, &cap_props, sizeof(*props));
		props[nprops++] = local[i];
	}
	free(local);
	nodes = grow(nodes, nnodes, &cap_nodes, sizeof(*nodes));
	nodes[nnodes] = n;
	/* The slot may have moved while children were emitted: look again. */
	canon = json_dumps(s, JSON_SORT_KEYS | JSON_COMPACT);
	slot = dedup_slot(canon, &found);
	free(canon);
	*slot = nnodes;
	return nnodes++;
}

static void put_cstr(FILE *o, const char *s)
{
	if (!s) {
		fputs("NULL", o);
		return;
	}
	fputc('"', o);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(o, "\\%03o", c);
		else
			fputc(c, o);
	}
	fputc('"', o);
}

static void put_count(FILE *o, unsigned long long v)
{
	if (v == 0xffffffffull)
		fputs("SCHEMA_NO_LIMIT", o);
	else
		fprintf(o, "%lluu", v);
}

static void write_tables(FILE *o)
{
	fputs("/* Generated by schemas/schemagen.c from the JSON files in schemas/: do not edit. */\n"
	      "#include <stddef.h>\n\n#include \"schema.h\"\n\n", o);
	fprintf(o, "const size_t schema_nnodes = %zu;\n\n", nnodes);
	fputs("const struct schema_node schema_nodes[] = {\n", o);
	for (size_t i = 0; i < nnodes; i++) {
		const struct gen_node *n = &nodes[i];
		fprintf(o, "\t{ %s, %s, %s, 0x%02xu, %zuu, %zuu, %zuu, %zuu, %zuu, %zuu, %zuu, %zuu, %zuu, ",
			type_enum[n->type], format_enum[n->format],
			duration_enum[n->duration], n->flags, n->props, n->nprops,
			n->nreq, n->ngroups, n->child, n->enums, n->nenums,
			n->cels, n->ncels);
		put_cstr(o, n->list_key);
		fputs(", ", o);
		put_cstr(o, n->dur_message);
		fputs(", ", o);
		put_cstr(o, n->pattern);
		fputs(", ", o);
		put_cstr(o, n->default_json);
		fprintf(o, ", %.17g, %.17g, ", n->min, n->max);
		put_count(o, n->min_items);
		fputs(", ", o);
		put_count(o, n->max_items);
		fputs(", ", o);
		put_count(o, n->max_length);
		fputs(", ", o);
		put_count(o, n->min_length);
		fputs(", ", o);
		put_count(o, n->max_props);
		fprintf(o, " },\n");
	}
	fputs("};\n\nconst struct schema_prop schema_props[] = {\n", o);
	for (size_t i = 0; i < nprops; i++) {
		fputs("\t{ ", o);
		put_cstr(o, props[i].name);
		size_t len = strlen(props[i].name);
		/* node_key_bits() of the name, a value independent of the
		 * byte order of the host or the target. */
		unsigned long long kbits = (unsigned long long)(len < 255 ? len : 255) << 56;
		for (size_t k = 0; k < len && k < 7; k++)
			kbits |= (unsigned long long)(unsigned char)props[i].name[k] << (8 * k);
		fprintf(o, ", %zuu, %zuu, %d, %du, 0x%llxULL },\n", len,
			props[i].node, props[i].req_bit, props[i].group, kbits);
	}
	if (nprops == 0)
		fputs("\t{ NULL, 0, 0, -1, 0, 0 },\n", o);
	fputs("};\n\nconst char *const schema_strings[] = {\n", o);
	for (size_t i = 0; i < nstrs; i++) {
		fputc('\t', o);
		put_cstr(o, strs[i]);
		fputs(",\n", o);
	}
	fputs("\tNULL,\n};\n\nconst struct schema_cel schema_cels[] = {\n", o);
	for (size_t i = 0; i < ncels; i++) {
		fprintf(o, "\t{ %s, ", cels[i].id);
		put_cstr(o, cels[i].message);
		fputs(", { ", o);
		for (int a = 0; a < 4; a++) {
			put_cstr(o, cels[i].arg[a]);
			fputs(a < 3 ? ", " : " }, ", o);
		}
		put_cstr(o, cels[i].expr);
		fputs(" },\n", o);
	}
	if (ncels == 0)
		fputs("\t{ CEL_PORT_RANGE, NULL, { NULL, NULL, NULL, NULL }, NULL },\n", o);
	fprintf(o, "};\n\nconst size_t schema_ncels = %zu;\n", ncels);
	fputs("\nconst struct schema_root schema_roots[] = {\n", o);
	for (size_t i = 0; i < nfiles; i++) {
		fputs("\t{ ", o);
		put_cstr(o, files[i].kind);
		fprintf(o, ", %zuu },\n", files[i].node);
	}
	fprintf(o, "};\n\nconst size_t schema_nroots = %zu;\n", nfiles);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fputs("usage: schemagen OUT.c FILE.json...\n", stderr);
		return 2;
	}
	files = calloc((size_t)argc, sizeof(*files));
	if (!files)
		return 1;
	for (int i = 2; i < argc; i++) {
		json_error_t err;
		json_t *doc = json_load_file(argv[i], 0, &err);
		cur_file = argv[i];
		if (!doc)
			die("", "%s (line %d)", err.text, err.line);
		const char *kind = get_str(doc, "kind", "");
		json_t *schema = json_object_get(doc, "schema");
		if (!kind || !schema)
			die("", "a schema file needs \"kind\" and \"schema\"");
		if (file_by_kind(kind))
			die("", "kind \"%s\" defined twice", kind);
		files[nfiles].path = argv[i];
		files[nfiles].kind = kind;
		files[nfiles].schema = schema;
		nfiles++;
	}
	/* Index 0 is "none". */
	nodes = grow(nodes, nnodes, &cap_nodes, sizeof(*nodes));
	memset(&nodes[0], 0, sizeof(nodes[0]));
	nnodes = 1;
	for (size_t i = 0; i < nfiles; i++)
		emit_file(&files[i]);
	if (nnodes > 65535)
		die("", "too many schema nodes (%zu)", nnodes);
	cur_file = NULL;
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	FILE *o = fopen(tmp, "w");
	if (!o) {
		fprintf(stderr, "schemagen: %s: %s\n", tmp, strerror(errno));
		return 1;
	}
	write_tables(o);
	if (fclose(o) != 0 || rename(tmp, argv[1]) != 0) {
		fprintf(stderr, "schemagen: %s: %s\n", argv[1], strerror(errno));
		remove(tmp);
		return 1;
	}
	return 0;
}
