/*
 * The project config file, `.meshc.yaml`: defaults for `meshc check`
 * that command-line flags override. It is searched from the current
 * directory upward to the filesystem root (the first one found wins),
 * named with `--config FILE`, or ignored with `--no-config`. libcyaml
 * loads it into struct config_data; a libyaml pass over the same bytes
 * first records where each key and list item is, so every error names
 * the file, line and column.
 *
 *   output: github                 # text|json|sarif|github|junit
 *   failure-threshold: warning     # error|warning|info
 *   output-threshold: info
 *   suppress: ["IST0101=VirtualService legacy/reviews"]
 *   namespace: default
 *   domain: cluster.local
 *   require-hosts: true
 *   ignore: [charts, "*.tmpl.yaml"]
 *   outbound-traffic-policy: REGISTRY_ONLY   # query, test: ALLOW_ANY|REGISTRY_ONLY
 *   max-depth: 64                  # the input limits, as the --max-* options
 *   max-aliases: 1000              #   (check, query, test)
 *   max-scalar-bytes: 65536
 *   max-document-bytes: 1048576
 */
#ifndef MESHC_CONFIG_H
#define MESHC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_FILE_NAME ".meshc.yaml"

enum config_bool { CONFIG_UNSET, CONFIG_TRUE, CONFIG_FALSE };
enum config_outbound { CONFIG_ALLOW_ANY = 1, CONFIG_REGISTRY_ONLY };

/* The file as libcyaml loads it; NULL strings and 0 levels are unset. */
struct config_data {
	char *output;
	int failure_threshold;        /* LEVEL_* + 1; 0 when unset */
	int output_threshold;         /* LEVEL_* + 1; 0 when unset */
	char **suppress;
	unsigned suppress_count;
	char *namespace;
	char *domain;
	int require_hosts;            /* enum config_bool */
	char **ignore;
	unsigned ignore_count;
	int outbound_traffic_policy;  /* enum config_outbound; 0 when unset */
	/* max-depth, max-aliases, max-scalar-bytes, max-document-bytes, in
	 * the order of cli_limits[]; NULL when unset. */
	long long *limit[4];
};

/* Where a top-level key, its value and its list items are (1-based). */
struct config_pos {
	char *key;                    /* heap */
	unsigned line, col;           /* the key */
	unsigned vline, vcol;         /* its value */
	unsigned *item_line, *item_col;   /* heap arrays, one per list item */
	size_t nitems, cap;
};

struct config {
	char *path;                   /* as displayed and opened; heap; NULL: none */
	struct config_data *data;     /* NULL for an empty file or none */
	struct config_pos *pos;       /* heap array */
	size_t npos, cap;
};

/*
 * Looks for CONFIG_FILE_NAME in the current directory and each parent up
 * to the root. Returns a heap path relative to the current directory
 * (".meshc.yaml", "../../.meshc.yaml"), or NULL when there is none.
 */
char *config_find(void);

/*
 * Reads and loads the config file at `path` into c (zeroed first). On a
 * malformed file prints "meshc: FILE:LINE:COL: ..." on stderr and returns
 * -1 (the caller exits 2); returns 0 on success. c must be released with
 * config_release() in both cases.
 */
int config_load(struct config *c, const char *path);
void config_release(struct config *c);

/*
 * The position of top-level `key` (item < 0) or of its list item `item`,
 * as "FILE:LINE:COL" for messages, written into buf. Falls back to the
 * file name alone when the position is unknown.
 */
const char *config_where(const struct config *c, const char *key, long item,
			 char *buf, size_t size);

#endif
