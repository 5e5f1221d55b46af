/*
 * -o sarif: SARIF 2.1.0 (OASIS), the format code-scanning services
 * (GitHub's upload-sarif, GitLab, Azure DevOps) take. One run whose tool
 * (name, version, informationUri) lists, as rules, the codes the results
 * use (id, name, descriptions and help from the diagnostics table's
 * explanation, helpUri, default level); one result per diagnostic with
 * its file, line and column (columns count Unicode code points, declared
 * with columnKind) and the origin resource as a logical location.
 * GitHub code scanning needs a physical location on every result, so
 * standard input gets one too: its --stdin-filename, or the URI "stdin"
 * described as standard input.
 *
 * helpUri and informationUri: Istio's page for an IST code (as istioctl's
 * documentationUrl); meshc's own codes are documented in its man page,
 * named by the URI "man:meshc(1)" (RFC 3986 allows any scheme; there is
 * no web page for them).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "output.h"

#ifndef MESHC_VERSION
#define MESHC_VERSION "0.0.0"
#endif
#define MESHC_MAN_URI "man:meshc(1)"

static const char *sarif_level(enum diag_level l)
{
	return l == LEVEL_ERROR ? "error" : l == LEVEL_WARNING ? "warning" : "note";
}

static json_t *text_object(const char *text)
{
	json_t *o = json_object();
	if (!o)
		die_oom();
	json_object_set_new(o, "text", output_json_string(text));
	return o;
}

/* The first sentence of s (up to ". " or the end), lines joined; heap. */
static char *first_sentence(const char *s)
{
	size_t n = 0;
	while (s[n] && !(s[n] == '.' && (s[n + 1] == ' ' || s[n + 1] == '\n' || !s[n + 1])))
		n++;
	if (s[n] == '.')
		n++;
	char *out = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		out[i] = s[i] == '\n' ? ' ' : s[i];
	out[n] = '\0';
	return out;
}

static json_t *rule_object(const struct diag_info *info)
{
	struct explain_parts e;
	explain_parts_split(info->explain, &e);
	json_t *r = json_object();
	if (!r)
		die_oom();
	json_object_set_new(r, "id", json_string(info->id));
	json_object_set_new(r, "name", json_string(info->name));
	char *shortd = first_sentence(e.what ? e.what : info->name);
	json_object_set_new(r, "shortDescription", text_object(shortd));
	free(shortd);
	json_object_set_new(r, "fullDescription",
			    text_object(e.what ? e.what : info->name));
	json_object_set_new(r, "help", text_object(info->explain ? info->explain :
						   info->name));
	char url[128];
	const char *doc = output_doc_url(info->id, url, sizeof(url));
	json_object_set_new(r, "helpUri", json_string(doc ? doc : MESHC_MAN_URI));
	json_t *conf = json_object();
	if (!conf)
		die_oom();
	json_object_set_new(conf, "level", json_string(sarif_level(info->level)));
	json_object_set_new(r, "defaultConfiguration", conf);
	json_t *props = json_object();
	if (!props)
		die_oom();
	json_object_set_new(props, "layer", json_string(diag_layer_name(info->layer)));
	json_object_set_new(r, "properties", props);
	explain_parts_free(&e);
	return r;
}

/* A URI reference for a file name: percent-encoded, file:// when absolute. */
static json_t *file_uri(const char *file)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(file);
	char *buf = xmalloc(n * 3 + 8);
	char *w = buf;
	if (file[0] == '/') {
		memcpy(w, "file://", 7);
		w += 7;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)file[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~/", c)) {
			*w++ = (char)c;
		} else {
			*w++ = '%';
			*w++ = hex[c >> 4];
			*w++ = hex[c & 15];
		}
	}
	*w = '\0';
	json_t *j = json_string(buf);
	free(buf);
	if (!j)
		die_oom();
	return j;
}

static json_t *result_object(const struct diag *d, int rule_index)
{
	const struct diag_info *info = diag_info(d->code);
	json_t *r = json_object();
	if (!r)
		die_oom();
	json_object_set_new(r, "ruleId", json_string(info->id));
	json_object_set_new(r, "ruleIndex", json_integer(rule_index));
	json_object_set_new(r, "level", json_string(sarif_level(d->level)));
	json_object_set_new(r, "message", text_object(d->message));

	json_t *loc = json_object();
	if (!loc)
		die_oom();
	if (d->file) {
		json_t *phys = json_object(), *art = json_object();
		if (!phys || !art)
			die_oom();
		if (strcmp(d->file, "<stdin>") == 0) {
			json_object_set_new(art, "uri", json_string("stdin"));
			json_object_set_new(art, "description", text_object("standard input"));
		} else {
			json_object_set_new(art, "uri", file_uri(d->file));
		}
		json_object_set_new(phys, "artifactLocation", art);
		if (d->line > 0) {
			json_t *region = json_object();
			if (!region)
				die_oom();
			json_object_set_new(region, "startLine", json_integer(d->line));
			if (d->col > 0)
				json_object_set_new(region, "startColumn",
						    json_integer(d->col));
			json_object_set_new(phys, "region", region);
		}
		json_object_set_new(loc, "physicalLocation", phys);
	}
	if (d->origin) {
		json_t *logs = json_array(), *lg = json_object();
		if (!logs || !lg)
			die_oom();
		json_object_set_new(lg, "fullyQualifiedName", output_json_string(d->origin));
		const char *sp = strchr(d->origin, ' ');
		json_object_set_new(lg, "name", output_json_string(sp ? sp + 1 : d->origin));
		json_object_set_new(lg, "kind", json_string("resource"));
		json_array_append_new(logs, lg);
		json_object_set_new(loc, "logicalLocations", logs);
	}
	if (d->path) {
		json_t *props = json_object();
		if (!props)
			die_oom();
		json_object_set_new(props, "path", output_json_string(d->path));
		json_object_set_new(loc, "properties", props);
	}
	/* A diagnostic without a file or resource: nothing to point at. */
	if (json_object_size(loc) == 0) {
		json_decref(loc);
		return r;
	}
	json_t *locs = json_array();
	if (!locs)
		die_oom();
	json_array_append_new(locs, loc);
	json_object_set_new(r, "locations", locs);
	return r;
}

int output_sarif(FILE *out, const struct diag *items, size_t n,
		 const struct output_ctx *ctx)
{
	(void)ctx;
	/* Rules: the codes used, in table order; index[code] is the rule's place. */
	int index[DIAG_CODE_COUNT];
	for (int c = 0; c < DIAG_CODE_COUNT; c++)
		index[c] = -1;
	for (size_t i = 0; i < n; i++)
		index[items[i].code] = 0;
	json_t *rules = json_array(), *results = json_array();
	if (!rules || !results)
		die_oom();
	int nrules = 0;
	for (int c = 0; c < DIAG_CODE_COUNT; c++)
		if (index[c] == 0) {
			index[c] = nrules++;
			json_array_append_new(rules, rule_object(diag_info((enum diag_code)c)));
		}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(results, result_object(&items[i], index[items[i].code]));

	json_t *driver = json_object(), *tool = json_object(), *run = json_object();
	json_t *runs = json_array(), *log = json_object();
	if (!driver || !tool || !run || !runs || !log)
		die_oom();
	json_object_set_new(driver, "name", json_string("meshc"));
	json_object_set_new(driver, "version", json_string(MESHC_VERSION));
	json_object_set_new(driver, "semanticVersion", json_string(MESHC_VERSION));
	json_object_set_new(driver, "informationUri", json_string(MESHC_MAN_URI));
	json_object_set_new(driver, "rules", rules);
	json_object_set_new(tool, "driver", driver);
	json_object_set_new(run, "tool", tool);
	json_object_set_new(run, "columnKind", json_string("unicodeCodePoints"));
	json_object_set_new(run, "results", results);
	json_array_append_new(runs, run);
	json_object_set_new(log, "$schema",
			    json_string("https://json.schemastore.org/sarif-2.1.0.json"));
	json_object_set_new(log, "version", json_string("2.1.0"));
	json_object_set_new(log, "runs", runs);
	int rc = json_dumpf(log, out, JSON_PRESERVE_ORDER | JSON_INDENT(2));
	json_decref(log);
	fputc('\n', out);
	return rc != 0 || ferror(out) ? -1 : 0;
}
