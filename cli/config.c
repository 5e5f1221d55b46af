/*
 * Finding and loading `.meshc.yaml` (see config.h). Two passes over the
 * same bytes: libyaml events first, to catch syntax errors at their exact
 * position and to record where every top-level key and list item is
 * (libcyaml's messages do not always carry a line); then libcyaml, which
 * checks the schema and fills struct config_data. Its log messages are
 * captured and printed as one "FILE:LINE:COL: message" line.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cyaml/cyaml.h>
#include <yaml.h>

#include "compiler.h"
#include "config.h"

#define CONFIG_MAX_BYTES (1024 * 1024)
#define CONFIG_MAX_ITEMS 4096
#define CONFIG_MAX_STRING 4096

/* ---- the schema ---- */

static const cyaml_strval_t level_strings[] = {
	{ "error", LEVEL_ERROR + 1 },
	{ "warning", LEVEL_WARNING + 1 },
	{ "info", LEVEL_INFO + 1 },
};

static const cyaml_strval_t bool_strings[] = {
	{ "true", CONFIG_TRUE }, { "false", CONFIG_FALSE },
	{ "yes", CONFIG_TRUE }, { "no", CONFIG_FALSE },
	{ "on", CONFIG_TRUE }, { "off", CONFIG_FALSE },
};

static const cyaml_strval_t outbound_strings[] = {
	{ "ALLOW_ANY", CONFIG_ALLOW_ANY }, { "REGISTRY_ONLY", CONFIG_REGISTRY_ONLY },
};

static const cyaml_schema_value_t string_entry = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, CONFIG_MAX_STRING),
};

#define OPT_STRING (CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER_NULL_STR)
#define OPT_ENUM (CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT | CYAML_FLAG_CASE_INSENSITIVE)

static const cyaml_schema_field_t config_fields[] = {
	CYAML_FIELD_STRING_PTR("output", OPT_STRING, struct config_data, output,
			       0, 64),
	CYAML_FIELD_ENUM("failure-threshold", OPT_ENUM, struct config_data,
			 failure_threshold, level_strings,
			 CYAML_ARRAY_LEN(level_strings)),
	CYAML_FIELD_ENUM("output-threshold", OPT_ENUM, struct config_data,
			 output_threshold, level_strings,
			 CYAML_ARRAY_LEN(level_strings)),
	CYAML_FIELD_SEQUENCE("suppress", CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER,
			     struct config_data, suppress, &string_entry, 0,
			     CONFIG_MAX_ITEMS),
	CYAML_FIELD_STRING_PTR("namespace", OPT_STRING, struct config_data,
			       namespace, 0, 253),
	CYAML_FIELD_STRING_PTR("domain", OPT_STRING, struct config_data, domain,
			       0, 253),
	CYAML_FIELD_ENUM("require-hosts", OPT_ENUM, struct config_data,
			 require_hosts, bool_strings, CYAML_ARRAY_LEN(bool_strings)),
	CYAML_FIELD_SEQUENCE("ignore", CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER,
			     struct config_data, ignore, &string_entry, 0,
			     CONFIG_MAX_ITEMS),
	CYAML_FIELD_ENUM("outbound-traffic-policy", OPT_ENUM, struct config_data,
			 outbound_traffic_policy, outbound_strings,
			 CYAML_ARRAY_LEN(outbound_strings)),
	/* The input limits (ranges checked by cli_config_limits). */
	CYAML_FIELD_INT_PTR("max-depth", CYAML_FLAG_OPTIONAL, struct config_data,
			    limit[0]),
	CYAML_FIELD_INT_PTR("max-aliases", CYAML_FLAG_OPTIONAL, struct config_data,
			    limit[1]),
	CYAML_FIELD_INT_PTR("max-scalar-bytes", CYAML_FLAG_OPTIONAL, struct config_data,
			    limit[2]),
	CYAML_FIELD_INT_PTR("max-document-bytes", CYAML_FLAG_OPTIONAL,
			    struct config_data, limit[3]),
	CYAML_FIELD_END
};

static const cyaml_schema_value_t config_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct config_data, config_fields),
};

/* What each key accepts, appended to libcyaml's message about its value. */
static const char *key_hint(const char *key)
{
	if (!key)
		return NULL;
	if (strcmp(key, "failure-threshold") == 0 || strcmp(key, "output-threshold") == 0)
		return "expected error, warning or info";
	if (strcmp(key, "require-hosts") == 0)
		return "expected true or false";
	if (strcmp(key, "outbound-traffic-policy") == 0)
		return "expected ALLOW_ANY or REGISTRY_ONLY";
	if (strcmp(key, "suppress") == 0 || strcmp(key, "ignore") == 0)
		return "expected a list of strings";
	if (strncmp(key, "max-", 4) == 0)
		return "expected an integer";
	return "expected a string";
}

/* ---- finding the file ---- */

char *config_find(void)
{
	char dir[PATH_MAX];
	if (!getcwd(dir, sizeof(dir)))
		return NULL;
	for (unsigned up = 0; up < 256; up++) {
		char path[PATH_MAX + sizeof(CONFIG_FILE_NAME) + 1];
		struct stat st;
		snprintf(path, sizeof(path), "%s%s%s", dir,
			 strcmp(dir, "/") == 0 ? "" : "/", CONFIG_FILE_NAME);
		/* Anything by that name counts (a FIFO or a directory is then
		 * refused when read, not silently passed over). */
		if (lstat(path, &st) == 0) {
			char *rel = xmalloc(3 * up + sizeof(CONFIG_FILE_NAME));
			rel[0] = '\0';
			for (unsigned i = 0; i < up; i++)
				strcat(rel, "../");
			strcat(rel, CONFIG_FILE_NAME);
			return rel;
		}
		if (strcmp(dir, "/") == 0)
			return NULL;
		char *slash = strrchr(dir, '/');
		if (!slash)
			return NULL;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	return NULL;
}

/* ---- reading ---- */

/* The file's bytes (heap, NUL-terminated) or NULL with a message printed.
 * A FIFO or device is refused before it is opened. */
static char *read_config(const char *path, size_t *len)
{
	char *buf, err[256];
	int rc = source_read_file(path, CONFIG_MAX_BYTES, &buf, len, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "meshc: cannot read config file \"%s\": %s\n", path, err);
		return NULL;
	}
	return buf;
}

/* ---- pass 1: libyaml, for positions ---- */

static struct config_pos *pos_find(const struct config *c, const char *key)
{
	for (size_t i = 0; key && i < c->npos; i++)
		if (strcmp(c->pos[i].key, key) == 0)
			return &c->pos[i];
	return NULL;
}

struct frame {
	bool map;
	bool want_key;       /* a map whose next node is a key */
};

/* The node starting at mark m; records positions at depth 1 and 2. */
static int note_node(struct config *c, struct frame *stack, size_t depth,
		     const yaml_event_t *ev, const char *path)
{
	unsigned line = (unsigned)ev->start_mark.line + 1;
	unsigned col = (unsigned)ev->start_mark.column + 1;
	if (depth == 0) {
		bool null_root = ev->type == YAML_SCALAR_EVENT &&
			ev->data.scalar.plain_implicit &&
			(ev->data.scalar.length == 0 ||
			 strcmp((const char *)ev->data.scalar.value, "~") == 0 ||
			 strcmp((const char *)ev->data.scalar.value, "null") == 0);
		if (ev->type != YAML_MAPPING_START_EVENT && !null_root) {
			fprintf(stderr, "meshc: %s:%u:%u: the config file must be a "
				"mapping of options (output, failure-threshold, "
				"output-threshold, suppress, namespace, domain, "
				"require-hosts, ignore)\n", path, line, col);
			return -1;
		}
		return 0;
	}
	struct frame *top = &stack[depth - 1];
	if (top->map) {
		if (top->want_key) {
			top->want_key = false;
			if (depth != 1 || ev->type != YAML_SCALAR_EVENT)
				return 0;
			const char *key = (const char *)ev->data.scalar.value;
			const struct config_pos *dup = pos_find(c, key);
			if (dup) {
				fprintf(stderr, "meshc: %s:%u:%u: duplicate key \"%s\" "
					"(first at line %u)\n", path, line, col, key,
					dup->line);
				return -1;
			}
			GROW(c->pos, c->npos, c->cap);
			struct config_pos *p = &c->pos[c->npos++];
			memset(p, 0, sizeof(*p));
			p->key = xstrdup(key);
			p->line = line;
			p->col = col;
		} else {
			top->want_key = true;
			if (depth == 1 && c->npos) {
				c->pos[c->npos - 1].vline = line;
				c->pos[c->npos - 1].vcol = col;
			}
		}
	} else if (depth == 2 && stack[0].map && c->npos) {
		struct config_pos *p = &c->pos[c->npos - 1];
		if (p->nitems == p->cap) {
			p->cap = p->cap ? p->cap * 2 : 8;
			p->item_line = xrealloc(p->item_line, p->cap * sizeof(unsigned));
			p->item_col = xrealloc(p->item_col, p->cap * sizeof(unsigned));
		}
		p->item_line[p->nitems] = line;
		p->item_col[p->nitems++] = col;
	}
	return 0;
}

/*
 * Parses bytes with libyaml, recording positions into c. Prints a
 * message and returns -1 on a syntax error, a duplicate top-level key,
 * a second document, or a top level that is not a mapping; returns 1
 * when the file holds no options at all (empty, comments, `~`), else 0.
 */
static int scan_positions(struct config *c, const char *bytes, size_t len,
			  const char *path)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct frame stack[64];
	size_t depth = 0, skipped = 0, docs = 0;
	bool mapping = false;
	int rc = 0;

	if (!yaml_parser_initialize(&parser))
		die_oom();
	yaml_parser_set_input_string(&parser, (const unsigned char *)bytes, len);
	for (bool done = false; !done;) {
		if (!yaml_parser_parse(&parser, &ev)) {
			fprintf(stderr, "meshc: %s:%zu:%zu: YAML syntax error: %s\n",
				path, parser.problem_mark.line + 1,
				parser.problem_mark.column + 1,
				parser.problem ? parser.problem : "unknown error");
			rc = -1;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				fprintf(stderr, "meshc: %s:%zu:%zu: the config file must "
					"hold one YAML document\n", path,
					ev.start_mark.line + 1, ev.start_mark.column + 1);
				rc = -1;
				done = true;
			}
			break;
		case YAML_SCALAR_EVENT:
		case YAML_ALIAS_EVENT:
			if (skipped == 0 && note_node(c, stack, depth, &ev, path) != 0) {
				rc = -1;
				done = true;
			}
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (skipped == 0 && note_node(c, stack, depth, &ev, path) != 0) {
				rc = -1;
				done = true;
				break;
			}
			if (depth == 0 && ev.type == YAML_MAPPING_START_EVENT)
				mapping = true;
			if (skipped || depth == sizeof(stack) / sizeof(stack[0])) {
				skipped++;
				break;
			}
			stack[depth].map = ev.type == YAML_MAPPING_START_EVENT;
			stack[depth].want_key = true;
			depth++;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			if (skipped)
				skipped--;
			else if (depth)
				depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (rc == 0 && !mapping)
		rc = 1;
	return rc;
}

/* ---- pass 2: libcyaml ---- */

struct log_capture {
	char lines[8][256];
	size_t n;
};

static void capture_log(cyaml_log_t level, void *ctx, const char *fmt,
			va_list args)
{
	struct log_capture *cap = ctx;
	(void)level;
	if (cap->n == sizeof(cap->lines) / sizeof(cap->lines[0]))
		return;
	char *s = cap->lines[cap->n++];
	vsnprintf(s, sizeof(cap->lines[0]), fmt, args);
	size_t l = strlen(s);
	while (l && (s[l - 1] == '\n' || s[l - 1] == ' '))
		s[--l] = '\0';
}

/* What a libyaml event type found instead of the expected value is. */
static const char *event_word(const char *ev)
{
	if (strncmp(ev, "SEQUENCE", 8) == 0)
		return "a list";
	if (strncmp(ev, "MAPPING", 7) == 0)
		return "a mapping";
	if (strncmp(ev, "SCALAR", 6) == 0)
		return "a scalar";
	if (strncmp(ev, "ALIAS", 5) == 0)
		return "an alias";
	return NULL;
}

/*
 * libcyaml's message in meshc's words where its form is known ("Invalid
 * ENUM value: x" -> invalid value "x"), else lower-cased, into buf.
 */
static void reword(const char *msg, char *buf, size_t size)
{
	static const char invalid[] = "Invalid ENUM value: ";
	static const char unexpected[] = "Unexpected key: ";
	const char *got = strstr(msg, ", got event: ");
	if (strncmp(msg, invalid, sizeof(invalid) - 1) == 0) {
		snprintf(buf, size, "invalid value \"%s\"", msg + sizeof(invalid) - 1);
	} else if (strncmp(msg, unexpected, sizeof(unexpected) - 1) == 0) {
		snprintf(buf, size, "unknown key \"%s\"", msg + sizeof(unexpected) - 1);
	} else if (strncmp(msg, "Expecting ", 10) == 0 && got &&
		   event_word(got + 13)) {
		snprintf(buf, size, "found %s", event_word(got + 13));
	} else {
		snprintf(buf, size, "%s", msg);
		if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
			buf[0] = (char)(buf[0] - 'A' + 'a');
	}
}

/* Prints libcyaml's complaint as "FILE:LINE:COL: message". */
static void report_cyaml(const struct config *c, const struct log_capture *cap,
			 cyaml_err_t err, const char *path)
{
	const char *msg = NULL;
	unsigned line = 0, col = 0;
	char key[128] = "";
	bool in_item = false;
	for (size_t i = 0; i < cap->n; i++) {
		const char *s = cap->lines[i];
		if (strstr(s, "in sequence entry"))
			in_item = true;
		if (strncmp(s, "Load: ", 6) == 0)
			s += 6;
		if (strcmp(s, "Backtrace:") == 0)
			continue;
		const char *field = strstr(s, "in mapping field '");
		if (field && !key[0]) {
			field += strlen("in mapping field '");
			size_t kl = strcspn(field, "'");
			if (kl < sizeof(key)) {
				memcpy(key, field, kl);
				key[kl] = '\0';
			}
		}
		const char *at = strstr(s, "(line: ");
		if (at && line == 0) {
			if (sscanf(at, "(line: %u, column: %u)", &line, &col) != 2)
				line = col = 0;
			continue;
		}
		if (!msg && strncmp(s, "in ", 3) != 0 && strncmp(s, "  in ", 5) != 0 &&
		    s[0] != ' ')
			msg = s;
	}
	/* An unknown key: point at the key itself, not at its mapping. */
	const char *unexpected = msg ? strstr(msg, "Unexpected key: ") : NULL;
	const struct config_pos *p = NULL;
	if (unexpected)
		p = pos_find(c, unexpected + strlen("Unexpected key: "));
	else if (key[0])
		p = pos_find(c, key);
	if (p && unexpected) {
		line = p->line;
		col = p->col;
	} else if (p && line == 0) {
		line = p->vline;
		col = p->vcol;
	}
	if (line == 0 && c->npos) {
		line = c->pos[0].line;
		col = c->pos[0].col;
	}
	char text[400], known[300];
	reword(msg ? msg : cyaml_strerror(err), text, sizeof(text));
	const char *hint = unexpected ? NULL : in_item ? "each item must be a string" :
			   key_hint(key[0] ? key : NULL);
	if (unexpected) {
		/* A likely typo gets its key named; every key is listed. */
		const char *name = unexpected + strlen("Unexpected key: ");
		size_t nfields = CYAML_ARRAY_LEN(config_fields) - 1, o;
		const char *near = schema_closest(config_fields, nfields,
						  sizeof(config_fields[0]), name,
						  strlen(name));
		o = strlen(text);
		if (near)
			snprintf(text + o, sizeof(text) - o, ", did you mean \"%s\"?", near);
		o = (size_t)snprintf(known, sizeof(known), "known keys:");
		for (size_t i = 0; i < nfields && o < sizeof(known); i++)
			o += (size_t)snprintf(known + o, sizeof(known) - o, "%s %s",
					      i ? "," : "", config_fields[i].key);
		hint = known;
	}
	if (line)
		fprintf(stderr, "meshc: %s:%u:%u: invalid config: %s%s%s%s\n", path,
			line, col, text, hint ? " (" : "", hint ? hint : "",
			hint ? ")" : "");
	else
		fprintf(stderr, "meshc: %s: invalid config: %s%s%s%s\n", path, text,
			hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
}

static const cyaml_config_t cyaml_base = {
	.log_fn = capture_log,
	.mem_fn = cyaml_mem,
	.log_level = CYAML_LOG_ERROR,
	.flags = CYAML_CFG_DEFAULT,
};

int config_load(struct config *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	c->path = xstrdup(path);
	size_t len;
	char *bytes = read_config(path, &len);
	if (!bytes)
		return -1;
	int rc = scan_positions(c, bytes, len, path);
	if (rc != 0) {
		free(bytes);
		return rc < 0 ? -1 : 0;
	}
	struct log_capture cap = { .n = 0 };
	cyaml_config_t cfg = cyaml_base;
	cfg.log_ctx = &cap;
	cyaml_err_t err = cyaml_load_data((const uint8_t *)bytes, len, &cfg,
					  &config_schema, (cyaml_data_t **)&c->data,
					  NULL);
	free(bytes);
	if (err == CYAML_ERR_OOM)
		die_oom();
	if (err != CYAML_OK) {
		report_cyaml(c, &cap, err, path);
		c->data = NULL;
		return -1;
	}
	return 0;
}

void config_release(struct config *c)
{
	if (c->data) {
		cyaml_config_t cfg = cyaml_base;
		cyaml_free(&cfg, &config_schema, c->data, 0);
	}
	for (size_t i = 0; i < c->npos; i++) {
		free(c->pos[i].key);
		free(c->pos[i].item_line);
		free(c->pos[i].item_col);
	}
	free(c->pos);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

const char *config_where(const struct config *c, const char *key, long item,
			 char *buf, size_t size)
{
	const struct config_pos *p = pos_find(c, key);
	const char *path = c->path ? c->path : CONFIG_FILE_NAME;
	if (p && item >= 0 && (size_t)item < p->nitems)
		snprintf(buf, size, "%s:%u:%u", path, p->item_line[item],
			 p->item_col[item]);
	else if (p && item < 0)
		snprintf(buf, size, "%s:%u:%u", path, p->vline, p->vcol);
	else
		snprintf(buf, size, "%s", path);
	return buf;
}
