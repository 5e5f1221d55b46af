/*
 * CEL, the Common Expression Language of Kubernetes x-kubernetes-validations
 * rules: the subset the Gateway API CRDs use. cel_parse.c turns a rule into
 * a tree (it depends on libc only: schemagen links it to reject, at build
 * time, a rule meshc could not evaluate); cel_eval.c evaluates a tree with
 * `self` bound to a node of a resource and its schema.
 *
 * The subset: literals (int, uint, double, string with every quoting and
 * the r prefix, bool, null, lists, maps); field selection and indexing;
 * ! - * / % + - == != < <= > >= in && || ?: with CEL's commutative
 * error handling of && and ||; the macros has(), all(), exists(),
 * exists_one(), filter(), map(); the functions size(), matches(),
 * contains(), startsWith(), endsWith(), split(), substring(),
 * lowerAscii(), upperAscii(), trim(), isIP(), duration(), int(), uint(),
 * double(), string(). Any other function is a parse error.
 */
#ifndef MESHC_CEL_H
#define MESHC_CEL_H

#include <stdbool.h>
#include <stddef.h>

enum cel_op {
	CE_NULL, CE_BOOL, CE_INT, CE_UINT, CE_DOUBLE, CE_STRING,
	CE_IDENT,          /* str: a variable (self, oldSelf, a macro's) */
	CE_SELECT,         /* a.str */
	CE_HAS,            /* has(a.str) */
	CE_INDEX,          /* a[b] */
	CE_CALL,           /* fn (enum cel_fn) on target a (or NULL), args */
	CE_MACRO,          /* fn on list/map a, variable str, body b */
	CE_LIST,           /* args */
	CE_MAP,            /* args: key, value, key, value, ... */
	CE_NOT, CE_NEG,
	CE_AND, CE_OR,
	CE_COND,           /* a ? b : c */
	CE_BINARY,         /* a fn b: CEL_EQ ... CEL_IN */
};

enum cel_fn {
	/* binary operators */
	CEL_EQ, CEL_NE, CEL_LT, CEL_LE, CEL_GT, CEL_GE, CEL_IN,
	CEL_ADD, CEL_SUB, CEL_MUL, CEL_DIV, CEL_MOD,
	/* macros */
	CEL_ALL, CEL_EXISTS, CEL_EXISTS_ONE, CEL_FILTER, CEL_MAP_MACRO,
	/* functions */
	CEL_SIZE, CEL_MATCHES, CEL_CONTAINS, CEL_STARTS_WITH, CEL_ENDS_WITH,
	CEL_SPLIT, CEL_SUBSTRING, CEL_LOWER, CEL_UPPER, CEL_TRIM, CEL_IS_IP,
	CEL_DURATION, CEL_TO_INT, CEL_TO_UINT, CEL_TO_DOUBLE, CEL_TO_STRING,
};

struct cel_expr {
	enum cel_op op;
	int fn;                      /* enum cel_fn, for CE_CALL, CE_MACRO, CE_BINARY */
	const char *str;             /* CE_STRING (decoded), names */
	size_t len;                  /* bytes of str */
	long long ival;              /* CE_BOOL, CE_INT, CE_UINT */
	double dval;                 /* CE_DOUBLE */
	const struct cel_expr *a, *b, *c;
	const struct cel_expr **args;
	size_t nargs;
};

/* A parsed rule: its tree and whether it reads oldSelf (a transition rule). */
struct cel_program {
	const struct cel_expr *root;
	bool uses_old_self;
	struct cel_pool *pool;       /* owns the tree */
};

/*
 * Parses src into prog; on failure returns false with a message in err
 * ("at offset N: ...").
 */
bool cel_parse(const char *src, struct cel_program *prog, char *err, size_t errcap);
void cel_program_free(struct cel_program *prog);
/* NULL when src parses, else a message (static storage, not thread-safe). */
const char *cel_check_syntax(const char *src);

/* ---- evaluation (cel_eval.c) ---- */

struct node;
struct schema_node;

enum cel_outcome {
	CEL_PASS,          /* the rule holds */
	CEL_FAIL,          /* the rule is false: its message applies */
	CEL_ERROR,         /* evaluation failed (the API server rejects too) */
	CEL_NOT_APPLICABLE,    /* a transition rule: not run when creating */
};

/*
 * Evaluates rule `cel` (an index into schema_cels, a CEL_EXPR rule) with
 * self = node n, whose schema is s. Absent fields with a schema default
 * read as the default, as the API server defaults before it validates.
 * On CEL_ERROR err holds the reason. Thread-safe.
 */
enum cel_outcome cel_eval_rule(unsigned cel, const struct node *n,
			       const struct schema_node *s, char *err, size_t errcap);
/* The same for a parsed program (n NULL: self is null). */
enum cel_outcome cel_eval_program(const struct cel_program *p, const struct node *n,
				  const struct schema_node *s, char *err, size_t errcap);
/*
 * Parses every CEL_EXPR rule and every default of the schema tables (done
 * once, on first use). Returns the number of rules; a rule or default that
 * does not parse is a fatal error (it cannot happen unless the tables and
 * the parser disagree: schemagen parses every rule).
 */
size_t cel_init(void);
/*
 * 1 when s (n bytes) contains a match of Go regular expression re, as
 * regexp.MatchString and the OpenAPI `pattern` keyword; 0 when not; -1
 * when re does not compile. Patterns are compiled once (PCRE2).
 */
int cel_regex_search(const char *re, const char *s, size_t n);

#endif
