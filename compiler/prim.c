/*
 * Istio's shared validation primitives (istio.md §2.1), ported from the
 * Go sources named beside each function: host names and wildcards
 * (pkg/config/validation/agent), label keys and values
 * (pkg/config/labels), header names and values (including the port of
 * Envoy's %VAR% header-format parser), durations (Go time.ParseDuration
 * plus ValidateDuration), IP addresses and prefixes (Go net/netip),
 * protocols (pkg/config/protocol), host overlap (pkg/config/host) and
 * exportTo (validateExportTo).
 *
 * Regexes: Istio compiles them with Go's regexp package, which accepts
 * RE2 syntax only. meshc compiles with PCRE2 for the syntax errors both
 * engines share, and first scans the pattern for the constructs PCRE2
 * accepts but RE2 rejects, naming the construct.
 *
 * Every function is pure: messages are static or allocated in the
 * caller's arena, so they may run on any thread. (prim_check_regex
 * remembers the patterns it found valid, per thread.)
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "prim.h"

#define DNS1123_LABEL_MAX 63
#define DNS_PREFIX_MAX 253
#define REGEX_MAX_LEN 1024
#define RE2_MAX_REPEAT 1000
#define RE2_MAX_NEST 1000

/* Decodes one UTF-8 sequence of s[0..len); its length, or 0 when invalid. */
static size_t utf8_decode(const unsigned char *s, size_t len, unsigned *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t n;
	unsigned c, min;
	if ((s[0] & 0xE0) == 0xC0) {
		n = 2; c = s[0] & 0x1F; min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 3; c = s[0] & 0x0F; min = 0x800;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n = 4; c = s[0] & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

/*
 * Go's unicode.IsPrint for the code points that show up in names: false
 * for C0/C1 controls, non-ASCII spaces, format characters, line and
 * paragraph separators, private use and non-characters. An approximation
 * of Go's tables for the rest of Unicode (treated as printable).
 */
static bool go_is_print(unsigned c)
{
	if (c < 0x20 || (c >= 0x7F && c <= 0xA0) || c == 0xAD)
		return false;
	if (c == 0x1680 || (c >= 0x2000 && c <= 0x200F) ||
	    (c >= 0x2028 && c <= 0x202F) || (c >= 0x205F && c <= 0x206F) ||
	    c == 0x3000 || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB))
		return false;
	if ((c >= 0xE000 && c <= 0xF8FF) || c >= 0xF0000)
		return false;
	if ((c & 0xFFFE) == 0xFFFE || (c >= 0xFDD0 && c <= 0xFDEF))
		return false;
	return true;
}

const char *prim_go_quote_n(struct arena *a, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	/* At most 4 bytes out per byte in ("\xff"; "\u2028" is 6 for 3). */
	char *out = arena_alloc_raw(a, len * 4 + 3), *w = out;
	const unsigned char *p = (const unsigned char *)s;
	*w++ = '"';
	for (size_t i = 0; i < len;) {
		unsigned c;
		size_t n = utf8_decode(p + i, len - i, &c);
		if (n == 0) {
			*w++ = '\\';
			*w++ = 'x';
			*w++ = hex[p[i] >> 4];
			*w++ = hex[p[i] & 15];
			i++;
			continue;
		}
		const char *esc = NULL;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\a': esc = "\\a"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\v': esc = "\\v"; break;
		}
		if (esc) {
			w = stpcpy(w, esc);
		} else if (go_is_print(c)) {
			memcpy(w, p + i, n);
			w += n;
		} else if (c < 0x80) {
			w += sprintf(w, "\\x%02x", c);
		} else if (c < 0x10000) {
			w += sprintf(w, "\\u%04x", c);
		} else {
			w += sprintf(w, "\\U%08x", c);
		}
		i += n;
	}
	*w++ = '"';
	*w = '\0';
	return out;
}

const char *prim_go_quote(struct arena *a, const char *s)
{
	return prim_go_quote_n(a, s, strlen(s));
}

size_t prim_utf8_count(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

static bool is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* [a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])? on s[0..n), without the length limit. */
static bool dns_label_n(const char *s, size_t n)
{
	if (n == 0 || !is_alnum((unsigned char)s[0]) ||
	    !is_alnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_alnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

bool prim_is_dns1123_label(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n <= DNS1123_LABEL_MAX && dns_label_n(s, n);
}

/* IsWildcardDNS1123Label: `*`, or an optional `*` / `*-` before a DNS label. */
static bool wildcard_label_n(const char *s, size_t n)
{
	if (n > DNS1123_LABEL_MAX || n == 0)
		return false;
	if (n == 1 && s[0] == '*')
		return true;
	if (dns_label_n(s, n))
		return true;
	if (s[0] == '*' && dns_label_n(s + 1, n - 1))
		return true;
	return n > 2 && s[0] == '*' && s[1] == '-' && dns_label_n(s + 2, n - 2);
}

/* strconv.Atoi succeeds: optional sign, then one or more decimal digits. */
static bool go_atoi_ok(const char *s, size_t n)
{
	size_t i = 0;
	if (n > 0 && (s[0] == '+' || s[0] == '-'))
		i = 1;
	if (i == n)
		return false;
	for (; i < n; i++)
		if (!is_digit((unsigned char)s[i]))
			return false;
	/* Atoi also fails on int64 overflow; such a TLD is not a DNS label either. */
	return n - (s[0] == '+' || s[0] == '-') <= 18;
}

static const char *dns_preconditions(struct arena *a, const char *name)
{
	size_t n = strlen(name);
	if (n > 255)
		return arena_printf(a, "domain name %s too long (max 255)", prim_go_quote(a, name));
	if (n == 0)
		return "empty domain name not allowed";
	return NULL;
}

/*
 * validateDNS1123Labels on `domain`. Messages quote `domain` as given,
 * which for a wildcard domain is the rest after the first label, as in
 * Istio.
 */
static const char *dns_labels(struct arena *a, const char *domain)
{
	const char *last = strrchr(domain, '.');
	const char *tld = last ? last + 1 : domain;

	if (go_atoi_ok(tld, strlen(tld)))
		return arena_printf(a, "domain name %s invalid (top level domain %s cannot be all-numeric)",
				    prim_go_quote(a, domain), prim_go_quote(a, tld));
	for (const char *p = domain;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (!dot && n == 0)
			return NULL;    /* trailing dot */
		if (n > DNS1123_LABEL_MAX || !dns_label_n(p, n))
			return arena_printf(a, "domain name %s invalid (label %s invalid)",
					    prim_go_quote(a, domain),
					    prim_go_quote(a, arena_strndup(a, p, n)));
		if (!dot)
			return NULL;
		p = dot + 1;
	}
}

const char *prim_check_fqdn(struct arena *a, const char *host)
{
	const char *err = dns_preconditions(a, host);
	return err ? err : dns_labels(a, host);
}

const char *prim_check_wildcard_domain(struct arena *a, const char *host)
{
	const char *err = dns_preconditions(a, host);
	if (err)
		return err;
	const char *dot = strchr(host, '.');
	size_t n = dot ? (size_t)(dot - host) : strlen(host);
	if (!wildcard_label_n(host, n))
		return arena_printf(a, "domain name %s invalid (label %s invalid)",
				    prim_go_quote(a, host), prim_go_quote(a, arena_strndup(a, host, n)));
	return dot ? dns_labels(a, dot + 1) : NULL;
}

const char *prim_check_partial_wildcard(struct arena *a, const char *host)
{
	if (strchr(host, '*') && strlen(host) != 1 && strncmp(host, "*.", 2) != 0)
		return arena_printf(a, "partial wildcard %s not allowed", prim_go_quote(a, host));
	return NULL;
}

/* validateSidecarOrGatewayHostnamePart for a Gateway: the first problem. */
static const char *gateway_host_part(struct arena *a, const char *host)
{
	if (strcmp(host, "*") != 0 && !strchr(host, '.'))
		return "short names (non FQDN) are not allowed";
	const char *err = prim_check_wildcard_domain(a, host);
	if (err && !prim_is_ip(host))
		return err;
	return prim_check_partial_wildcard(a, host);
}

const char *prim_check_gateway_host(struct arena *a, const char *host)
{
	const char *slash = strchr(host, '/');
	if (!slash)
		return gateway_host_part(a, host);   /* legacy form without a namespace */

	char *ns = arena_strndup(a, host, (size_t)(slash - host));
	const char *name = slash + 1;
	if (ns[0] == '\0' || name[0] == '\0')
		return "config namespace and dnsName in host entry cannot be empty";
	if (strcmp(ns, "*") != 0 && strcmp(ns, ".") != 0 && !prim_is_dns1123_label(ns))
		return arena_printf(a, "invalid namespace value %s in gateway", prim_go_quote(a, ns));
	return gateway_host_part(a, name);
}

const char *prim_check_port(struct arena *a, long long port)
{
	if (port >= 1 && port <= 65535)
		return NULL;
	return arena_printf(a, "port number %lld must be in the range 1..65535", port);
}

/* ---- durations: Go time.ParseDuration ---- */

#define DUR_MAX ((uint64_t)1 << 63)

/* The unit's length in nanoseconds; 0 when unknown. */
static uint64_t duration_unit(const char *u, size_t n)
{
	static const struct { const char *name; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "\xc2\xb5s", 1000 },
		{ "\xce\xbcs", 1000 }, { "ms", 1000000 }, { "s", 1000000000 },
		{ "m", 60ull * 1000000000 }, { "h", 3600ull * 1000000000 },
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0)
			return units[i].ns;
	return 0;
}

bool prim_parse_duration(const char *s, long long *ns)
{
	uint64_t d = 0;
	bool neg = false;

	if (!s)
		return false;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return true;
	}
	if (*s == '\0')
		return false;
	while (*s) {
		uint64_t v = 0, f = 0;
		double scale = 1;
		bool pre = false, post = false, f_overflow = false;

		if (!(*s == '.' || is_digit((unsigned char)*s)))
			return false;
		for (; is_digit((unsigned char)*s); s++) {
			if (v > (DUR_MAX - 1) / 10)
				return false;          /* leadingInt overflow */
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > DUR_MAX)
				return false;
			pre = true;
		}
		if (*s == '.') {
			s++;
			for (; is_digit((unsigned char)*s); s++) {
				post = true;
				if (f_overflow)
					continue;
				if (f > (DUR_MAX - 1) / 10) {
					f_overflow = true;   /* further digits only lose precision */
					continue;
				}
				uint64_t y = f * 10 + (uint64_t)(*s - '0');
				if (y > DUR_MAX) {
					f_overflow = true;
					continue;
				}
				f = y;
				scale *= 10;
			}
		}
		if (!pre && !post)
			return false;
		const char *u = s;
		while (*s && *s != '.' && !is_digit((unsigned char)*s))
			s++;
		uint64_t unit = duration_unit(u, (size_t)(s - u));
		if (unit == 0)
			return false;                  /* missing or unknown unit */
		if (v > DUR_MAX / unit)
			return false;
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > DUR_MAX)
				return false;
		}
		d += v;
		if (d > DUR_MAX)
			return false;
	}
	if (neg) {
		*ns = d == DUR_MAX ? INT64_MIN : -(long long)d;
		return true;
	}
	if (d > DUR_MAX - 1)
		return false;
	*ns = (long long)d;
	return true;
}

const char *prim_check_duration_ns(struct arena *a, long long ns)
{
	(void)a;
	if (ns < 1000000)
		return "duration must be greater than 1ms";
	if (ns % 1000000 != 0)
		return "only durations to ms precision are supported";
	return NULL;
}

/* ---- regexes: RE2 syntax ---- */

struct re_scan {
	struct arena *a;
	const char *re;
	size_t n;
	const char *err;
	size_t off;
};

/* Records the first RE2 rejection; returns 0 (the scanners' failure index). */
static size_t re_fail(struct re_scan *sc, size_t off, const char *msg)
{
	sc->err = msg;
	sc->off = off;
	return 0;
}

/* The construct at [off, off+len) for a message, in backquotes like Go's. */
static const char *re_snip(struct re_scan *sc, size_t off, size_t len)
{
	if (off + len > sc->n)
		len = sc->n - off;
	return arena_strndup(sc->a, sc->re + off, len);
}

/* Length of a UTF-8 sequence starting with byte c (1 for invalid bytes). */
static size_t utf8_len(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return c < 0xf0 ? 3 : 1;
	if (c >= 0xc0)
		return 2;
	return 1;
}

/*
 * One escape at sc->re[i] == '\\'. Returns the index after it, or 0 on
 * an RE2 rejection (sc->err set). in_class: inside [...], where digits
 * are never backreferences.
 */
static size_t re_escape(struct re_scan *sc, size_t i, bool in_class)
{
	const char *re = sc->re;
	size_t n = sc->n;

	if (i + 1 >= n)
		return re_fail(sc, i, "trailing backslash at end of expression");
	unsigned char c = (unsigned char)re[i + 1];
	size_t j = i + 2;

	if (c >= 0x80)
		return re_fail(sc, i, arena_printf(sc->a, "invalid escape sequence: `%s`",
						   re_snip(sc, i, 1 + utf8_len(c))));
	if (!is_alnum(c))
		return j;                             /* escaped punctuation is literal */
	switch (c) {
	case '0':
		/* \0 and up to two more octal digits */
		for (int k = 0; k < 2 && j < n && re[j] >= '0' && re[j] <= '7'; k++)
			j++;
		return j;
	case '1': case '2': case '3': case '4': case '5': case '6': case '7':
		if (j < n && re[j] >= '0' && re[j] <= '7') {
			/* octal \NN or \NNN, as Go reads it */
			j++;
			if (j < n && re[j] >= '0' && re[j] <= '7')
				j++;
			return j;
		}
		/* fall through */
	case '8': case '9':
		if (in_class)
			return re_fail(sc, i, arena_printf(sc->a, "invalid escape sequence: `%s`",
							   re_snip(sc, i, 2)));
		return re_fail(sc, i, arena_printf(sc->a,
			"backreference `%s` is not supported by RE2", re_snip(sc, i, 2)));
	case 'k':
		if (!in_class && j < n && (re[j] == '<' || re[j] == '{' || re[j] == '\''))
			return re_fail(sc, i, "named backreference `\\k` is not supported by RE2");
		break;
	case 'g':
		if (!in_class)
			return re_fail(sc, i, "backreference or subroutine call `\\g` is not supported by RE2");
		break;
	case 'C':
		return re_fail(sc, i, "`\\C` (match a single byte) is not supported");
	case 'K':
		return re_fail(sc, i, "match reset `\\K` is not supported by RE2");
	case 'G':
		return re_fail(sc, i, "`\\G` (end of previous match) is not supported by RE2");
	case 'Z':
		return re_fail(sc, i, "`\\Z` is not supported by RE2 (use `\\z` or `$`)");
	case 'R':
		return re_fail(sc, i, "newline sequence `\\R` is not supported by RE2");
	case 'X':
		return re_fail(sc, i, "extended grapheme cluster `\\X` is not supported by RE2");
	case 'A': case 'z': case 'b': case 'B':
		if (in_class)
			break;                        /* not valid inside a class in Go */
		return j;
	case 'd': case 'D': case 's': case 'S': case 'w': case 'W':
	case 'a': case 'f': case 't': case 'n': case 'r': case 'v':
		return j;
	case 'p': case 'P':
		if (j < n && re[j] == '{') {
			const char *close = memchr(re + j, '}', n - j);
			if (!close)
				return re_fail(sc, i, arena_printf(sc->a,
					"invalid character class range: `%s`", re_snip(sc, i, n - i)));
			return (size_t)(close - re) + 1;
		}
		return j < n ? j + utf8_len((unsigned char)re[j]) : j;
	case 'x':
		if (j < n && re[j] == '{') {
			const char *close = memchr(re + j, '}', n - j);
			return close ? (size_t)(close - re) + 1 : n;   /* PCRE2 reports the error */
		}
		for (int k = 0; k < 2 && j < n && isxdigit((unsigned char)re[j]); k++)
			j++;
		return j;
	case 'Q':
		if (in_class)
			break;
		/* \Q...\E: literal text */
		for (; j + 1 < n; j++)
			if (re[j] == '\\' && re[j + 1] == 'E')
				return j + 2;
		return n;
	case 'E':
		if (!in_class)
			return j;                     /* stray \E is ignored by Go */
		break;
	default:
		break;
	}
	return re_fail(sc, i, arena_printf(sc->a, "invalid escape sequence: `%s`",
					   re_snip(sc, i, 2)));
}

/* A character class starting at sc->re[i] == '['. Returns the index after it, 0 on error. */
static size_t re_class(struct re_scan *sc, size_t i)
{
	const char *re = sc->re;
	size_t n = sc->n, j = i + 1;

	if (j < n && re[j] == '^')
		j++;
	if (j < n && re[j] == ']')
		j++;                                  /* leading ] is literal */
	while (j < n && re[j] != ']') {
		if (re[j] == '\\') {
			j = re_escape(sc, j, true);
			if (!j)
				return 0;
		} else if (re[j] == '[' && j + 1 < n && re[j + 1] == ':') {
			const char *end = strstr(re + j + 2, ":]");
			j = end ? (size_t)(end - re) + 2 : j + 1;
		} else {
			j++;
		}
	}
	return j < n ? j + 1 : n;                 /* unterminated: PCRE2 reports it */
}

/* A {n}, {n,} or {n,m} quantifier at re[i]; its length, or 0 if literal braces. */
static size_t re_brace(struct re_scan *sc, size_t i, long *lo, long *hi)
{
	const char *re = sc->re;
	size_t n = sc->n, j = i + 1;
	long a = 0, b = -1;

	if (j >= n || !is_digit((unsigned char)re[j]))
		return 0;
	for (; j < n && is_digit((unsigned char)re[j]); j++)
		a = a < 100000 ? a * 10 + (re[j] - '0') : a;
	if (j < n && re[j] == '}') {
		*lo = a;
		*hi = a;
		return j + 1 - i;
	}
	if (j >= n || re[j] != ',')
		return 0;
	j++;
	if (j < n && is_digit((unsigned char)re[j])) {
		b = 0;
		for (; j < n && is_digit((unsigned char)re[j]); j++)
			b = b < 100000 ? b * 10 + (re[j] - '0') : b;
	}
	if (j >= n || re[j] != '}')
		return 0;
	*lo = a;
	*hi = b;
	return j + 1 - i;
}

/* The length of a quantifier at re[i] (*, +, ?, {..}), or 0. */
static size_t re_quant(struct re_scan *sc, size_t i, long *lo, long *hi)
{
	char c = sc->re[i];
	*lo = 0;
	*hi = -1;
	if (c == '*' || c == '+' || c == '?')
		return 1;
	if (c == '{')
		return re_brace(sc, i, lo, hi);
	return 0;
}

/*
 * The group opener at re[i] == '('. Returns the index after the opener
 * ("(", "(?:", "(?P<name>", "(?i)", ...) or 0 on a construct RE2 lacks.
 */
static size_t re_group(struct re_scan *sc, size_t i)
{
	const char *re = sc->re;
	size_t n = sc->n, j = i + 1;

	if (j < n && re[j] == '*') {
		const char *close = memchr(re + j, ')', n - j);
		size_t len = close ? (size_t)(close - (re + i)) + 1 : n - i;
		return re_fail(sc, i, arena_printf(sc->a,
			"PCRE verb or start-of-pattern option `%s` is not supported by RE2",
			re_snip(sc, i, len)));
	}
	if (j >= n || re[j] != '?')
		return j;                             /* plain capture group */
	j++;
	if (j >= n)
		return re_fail(sc, i, "missing closing ): `(?`");
	switch (re[j]) {
	case ':':
		return j + 1;
	case '=':
		return re_fail(sc, i, "lookahead `(?=` is not supported by RE2");
	case '!':
		return re_fail(sc, i, "negative lookahead `(?!` is not supported by RE2");
	case '>':
		return re_fail(sc, i, "atomic group `(?>` is not supported by RE2");
	case '|':
		return re_fail(sc, i, "branch reset group `(?|` is not supported by RE2");
	case '#':
		return re_fail(sc, i, "comment group `(?#` is not supported by RE2");
	case '(':
		return re_fail(sc, i, "conditional group `(?(` is not supported by RE2");
	case 'C':
		return re_fail(sc, i, "callout `(?C` is not supported by RE2");
	case 'R':
		return re_fail(sc, i, "recursion `(?R` is not supported by RE2");
	case '&':
		return re_fail(sc, i, "subroutine call `(?&name` is not supported by RE2");
	case '\'':
		return re_fail(sc, i, "named group syntax `(?'name'` is not supported by RE2 (use `(?P<name>`)");
	case '<':
		if (j + 1 < n && re[j + 1] == '=')
			return re_fail(sc, i, "lookbehind `(?<=` is not supported by RE2");
		if (j + 1 < n && re[j + 1] == '!')
			return re_fail(sc, i, "negative lookbehind `(?<!` is not supported by RE2");
		goto named;
	case 'P':
		if (j + 1 < n && re[j + 1] == '=')
			return re_fail(sc, i, "named backreference `(?P=name)` is not supported by RE2");
		if (j + 1 < n && re[j + 1] == '>')
			return re_fail(sc, i, "subroutine call `(?P>name)` is not supported by RE2");
		if (j + 1 < n && re[j + 1] == '<') {
			j++;
			goto named;
		}
		return re_fail(sc, i, arena_printf(sc->a,
			"invalid or unsupported Perl syntax: `%s`", re_snip(sc, i, 3)));
	default:
		break;
	}
	if (is_digit((unsigned char)re[j]) || re[j] == '+' ||
	    (re[j] == '-' && j + 1 < n && is_digit((unsigned char)re[j + 1])))
		return re_fail(sc, i, arena_printf(sc->a,
			"recursion or subroutine call `%s` is not supported by RE2",
			re_snip(sc, i, 3)));
	/* flags: [imsU]* optionally - [imsU]*, then ) or : */
	for (size_t k = j; k < n; k++) {
		char f = re[k];
		if (f == ')' || f == ':')
			return k + 1;
		if (f == 'i' || f == 'm' || f == 's' || f == 'U' || f == '-')
			continue;
		return re_fail(sc, k, arena_printf(sc->a,
			"flag `%s` in `%s` is not supported by RE2 (only i, m, s and U are)",
			re_snip(sc, k, utf8_len((unsigned char)f)), re_snip(sc, i, k - i + 1)));
	}
	return re_fail(sc, i, arena_printf(sc->a, "missing closing ): `%s`",
					   re_snip(sc, i, n - i)));
named:
	/* re[j] == '<': the name up to '>' */
	for (size_t k = j + 1; k < n; k++) {
		if (re[k] == '>')
			return k + 1;
		if (!is_alnum((unsigned char)re[k]) && re[k] != '_')
			break;
	}
	return re_fail(sc, i, arena_printf(sc->a, "invalid named capture: `%s`",
					   re_snip(sc, i, n - i < 16 ? n - i : 16)));
}

/* Scans for RE2 rejections; false with sc->err/off set on the first one. */
static bool re2_scan(struct re_scan *sc)
{
	const char *re = sc->re;
	size_t n = sc->n, i = 0;
	long depth = 0;
	/* After an atom a quantifier may follow; after a quantifier, not another. */
	bool after_quant = false;

	while (i < n) {
		long lo, hi;
		size_t q = re_quant(sc, i, &lo, &hi);

		if (q) {
			if (after_quant) {
				if (re[i] == '+')
					return re_fail(sc, i - 1, arena_printf(sc->a,
						"possessive quantifier `%s` is not supported by RE2",
						re_snip(sc, i - 1, 2)));
				return re_fail(sc, i, arena_printf(sc->a,
					"invalid nested repetition operator: `%s`", re_snip(sc, i, q)));
			}
			if (lo > RE2_MAX_REPEAT || hi > RE2_MAX_REPEAT)
				return re_fail(sc, i, arena_printf(sc->a,
					"invalid repeat count: `%s` (RE2 allows at most 1000)",
					re_snip(sc, i, q)));
			i += q;
			if (i < n && re[i] == '?')
				i++;                  /* lazy */
			else if (i < n && re[i] == '+')
				return re_fail(sc, i - q, arena_printf(sc->a,
					"possessive quantifier `%s` is not supported by RE2",
					re_snip(sc, i - q, q + 1)));
			after_quant = true;
			continue;
		}
		after_quant = false;
		switch (re[i]) {
		case '\\': {
			size_t j = re_escape(sc, i, false);
			if (!j)
				return false;
			i = j;
			break;
		}
		case '[': {
			size_t j = re_class(sc, i);
			if (!j)
				return false;
			i = j;
			break;
		}
		case '(': {
			size_t j = re_group(sc, i);
			if (!j)
				return false;
			/* a flags-only group "(?i)" opens nothing */
			if (re[j - 1] != ')')
				depth++;
			if (depth > RE2_MAX_NEST)
				return re_fail(sc, i, "expression nests too deeply");
			i = j;
			break;
		}
		case ')':
			depth--;
			i++;
			break;
		default:
			i += utf8_len((unsigned char)re[i]);
			break;
		}
	}
	return true;
}

/*
 * Patterns found valid on this thread: meshes repeat a few regexes many
 * times, and a PCRE2 compile costs far more than a lookup. Direct-mapped
 * by hash; patterns longer than REGEX_CACHE_TEXT are not kept. Only
 * valid patterns are kept, so a hit returns NULL as the full check would.
 */
#define REGEX_CACHE_SLOTS 64
#define REGEX_CACHE_TEXT 96

struct regex_cache_slot {
	unsigned short len;          /* 0: empty */
	char text[REGEX_CACHE_TEXT];
};

static _Thread_local struct regex_cache_slot regex_cache[REGEX_CACHE_SLOTS];

static struct regex_cache_slot *regex_cache_slot(const char *re, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)re[i]) * 16777619u;
	return &regex_cache[h % REGEX_CACHE_SLOTS];
}

const char *prim_check_regex(struct arena *a, const char *re, size_t *offset)
{
	size_t n = re ? strlen(re) : 0;

	if (offset)
		*offset = 0;
	if (n == 0)
		return "regex string match should not be empty";
	if (n > REGEX_MAX_LEN)
		return "regex is too large, max length allowed is 1024";
	struct regex_cache_slot *slot = n <= REGEX_CACHE_TEXT ? regex_cache_slot(re, n) : NULL;
	if (slot && slot->len == n && memcmp(slot->text, re, n) == 0)
		return NULL;

	struct re_scan sc = { a, re, n, NULL, 0 };
	if (!re2_scan(&sc)) {
		if (offset)
			*offset = sc.off;
		return arena_printf(a, "error parsing regexp: %s", sc.err);
	}

	int code;
	PCRE2_SIZE erroff;
	pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
	if (cc)
		pcre2_set_parens_nest_limit(cc, RE2_MAX_NEST);
	pcre2_code *pc = pcre2_compile((PCRE2_SPTR)re, n,
				       PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C,
				       &code, &erroff, cc);
	pcre2_compile_context_free(cc);
	if (pc) {
		pcre2_code_free(pc);
		if (slot) {
			memcpy(slot->text, re, n);
			slot->len = (unsigned short)n;
		}
		return NULL;
	}
	PCRE2_UCHAR buf[256];
	if (pcre2_get_error_message(code, buf, sizeof(buf)) < 0)
		snprintf((char *)buf, sizeof(buf), "error %d", code);
	if (erroff > n)
		erroff = n;
	if (offset)
		*offset = erroff;
	return arena_printf(a, "error parsing regexp: %s at offset %zu: `%s`",
			    (const char *)buf, (size_t)erroff, re);
}

/* ---- labels ---- */

/* qualifiedNameFmt: (?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool qualified_name_n(const char *s, size_t n)
{
	if (n == 0 || !is_alnum((unsigned char)s[0]) ||
	    !is_alnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++) {
		char c = s[i];
		if (!is_alnum((unsigned char)c) && c != '-' && c != '_' && c != '.')
			return false;
	}
	return true;
}

const char *prim_check_label_key(struct arena *a, const char *key)
{
	const char *slash = strchr(key, '/');
	const char *name = slash ? slash + 1 : key;

	if (slash) {
		/* dnsNamePrefixFmt: DNS labels (no length limit each) joined by dots */
		size_t plen = (size_t)(slash - key);
		if (plen == 0)
			return arena_printf(a, "invalid tag key: %s", prim_go_quote(a, key));
		for (const char *p = key; p < slash;) {
			const char *dot = memchr(p, '.', (size_t)(slash - p));
			size_t ln = dot ? (size_t)(dot - p) : (size_t)(slash - p);
			if (!dns_label_n(p, ln))
				return arena_printf(a, "invalid tag key: %s", prim_go_quote(a, key));
			p += ln + (dot ? 1 : 0);
			if (dot && p == slash)
				return arena_printf(a, "invalid tag key: %s", prim_go_quote(a, key));
		}
		if (!qualified_name_n(name, strlen(name)))
			return arena_printf(a, "invalid tag key: %s", prim_go_quote(a, key));
		if (plen > DNS_PREFIX_MAX)
			return arena_printf(a, "invalid tag key: %s (DNS prefix is too long)", prim_go_quote(a, key));
	} else if (!qualified_name_n(name, strlen(name))) {
		return arena_printf(a, "invalid tag key: %s", prim_go_quote(a, key));
	}
	if (strlen(name) > DNS1123_LABEL_MAX)
		return arena_printf(a, "invalid tag key: %s (name is too long)", prim_go_quote(a, key));
	return NULL;
}

const char *prim_check_label_value(struct arena *a, const char *value)
{
	size_t n = strlen(value);
	if (n == 0 || qualified_name_n(value, n))
		return NULL;
	return arena_printf(a, "invalid tag value: %s", prim_go_quote(a, value));
}

/* ---- header names and values ---- */

/* validHeaderNameRegex: RFC 7230 tchar. */
static bool is_tchar(unsigned char c)
{
	return is_alnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!is_tchar((unsigned char)*s))
			return false;
	return true;
}

bool prim_is_jwt_claim_header(const char *name)
{
	static const char prefix[] = "@request.auth.claims";
	size_t pn = sizeof(prefix) - 1, n = strlen(name);

	if (n < pn || strncasecmp(name, prefix, pn) != 0)
		return false;
	const char *rest = name + pn;
	size_t rn = n - pn;
	if (rn > 1 && rest[0] == '.')
		return true;
	return rn > 2 && rest[0] == '[' && rest[rn - 1] == ']';
}

const char *prim_check_match_header_name(struct arena *a, const char *name)
{
	static const char *const pseudo[] = {
		":method", ":scheme", ":authority", ":path", ":status",
	};
	if (name[0] == '\0')
		return "header name cannot be empty";
	if (prim_is_jwt_claim_header(name))
		return NULL;
	for (size_t i = 0; i < sizeof(pseudo) / sizeof(pseudo[0]); i++)
		if (strcmp(name, pseudo[i]) == 0)
			return NULL;
	if (!is_token(name))
		return arena_printf(a, "header name %s is not a valid header name", name);
	return NULL;
}

const char *prim_check_cors_header_name(struct arena *a, const char *name)
{
	if (name[0] == '\0')
		return "header name cannot be empty";
	if (strcmp(name, "*") == 0 || is_token(name))
		return NULL;
	return arena_printf(a, "header name %s is not a valid header name", name);
}

bool prim_is_authority_header(const char *name)
{
	return strcasecmp(name, ":authority") == 0 || strcasecmp(name, "host") == 0;
}

const char *prim_check_header_op_name(struct arena *a, const char *name,
				      bool request_add_set)
{
	if (name[0] == '\0')
		return "header name cannot be empty";
	if (request_add_set) {
		if ((name[0] == ':' || strcasecmp(name, "host") == 0) &&
		    !prim_is_authority_header(name))
			return arena_printf(a, "invalid header %s: header cannot have \":\" prefix",
					    prim_go_quote(a, name));
		return NULL;
	}
	if (strcasecmp(name, "host") == 0)
		return arena_printf(a, "invalid header %s: cannot set Host header", prim_go_quote(a, name));
	if (name[0] == ':')
		return arena_printf(a, "invalid header %s: header cannot have \":\" prefix",
				    prim_go_quote(a, name));
	return NULL;
}

/* The port of Envoy's header-format parser (header_value_validator.go). */
static const char *envoy_header_format(struct arena *a, const char *v)
{
	enum {
		LITERAL, VAR_NAME, EXPECT_ARRAY, EXPECT_STRING, STRING,
		EXPECT_DELIM_OR_END, EXPECT_ARGS_END, EXPECT_VAR_END,
	} state = LITERAL;
	size_t n = strlen(v);

	for (size_t pos = 0; pos < n; pos++) {
		char ch = v[pos];
		bool has_next = pos + 1 < n;

		switch (state) {
		case LITERAL:
			if (ch != '%')
				break;
			if (!has_next)
				return "invalid header configuration. Un-escaped %";
			if (v[pos + 1] == '%') {
				pos++;
				break;
			}
			state = VAR_NAME;
			break;
		case VAR_NAME:
			if (ch == '%')
				state = LITERAL;
			else if (ch == '(')
				state = EXPECT_ARRAY;
			break;
		case EXPECT_ARRAY:
			if (ch == '[')
				state = EXPECT_STRING;
			else if (ch != ' ')
				state = STRING;
			break;
		case EXPECT_DELIM_OR_END:
			if (ch == ',')
				state = EXPECT_STRING;
			else if (ch == ']')
				state = EXPECT_ARGS_END;
			else if (ch != ' ')
				return "invalid header configuration. Expecting ',', ']', or whitespace";
			break;
		case EXPECT_STRING:
			if (ch == '"')
				state = STRING;
			else if (ch != ' ')
				return "invalid header configuration. Expecting '\"'";
			break;
		case STRING:
			if (ch == '\\') {
				if (!has_next)
					return "invalid header configuration. Un-terminated backslash in JSON string";
				pos++;
			} else if (ch == ')') {
				state = EXPECT_VAR_END;
			} else if (ch == '"') {
				state = EXPECT_DELIM_OR_END;
			}
			break;
		case EXPECT_ARGS_END:
			if (ch == ')')
				state = EXPECT_VAR_END;
			else if (ch != ' ')
				return "invalid header configuration. Expecting ')' or whitespace after '{}', but found '{}'";
			break;
		case EXPECT_VAR_END:
			if (ch == '%')
				state = LITERAL;
			else if (ch != ' ')
				return "invalid header configuration. Expecting '%' or whitespace after";
			break;
		}
	}
	if (state != LITERAL)
		return arena_printf(a, "invalid header configuration. Un-terminated variable expression '%s'", v);
	return NULL;
}

const char *prim_check_header_value(struct arena *a, const char *value)
{
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return arena_printf(a, "header value configuration %s is invalid", value);
	const char *err = envoy_header_format(a, value);
	if (err)
		return arena_printf(a, "header value configuration: %s", err);
	return NULL;
}

/* ---- IP addresses (Go netip) ---- */

static bool parse_ipv4(const char *s, size_t n)
{
	char buf[16];
	struct in_addr addr;
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET, buf, &addr) == 1;   /* glibc rejects leading zeros, as netip does */
}

static bool parse_ipv6(const char *s, size_t n)
{
	char buf[64];
	struct in6_addr addr;
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, &addr) == 1;
}

bool prim_has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* netip.ParseAddr: IPv4, or IPv6 with an optional non-empty %zone. */
bool prim_is_ip(const char *s)
{
	if (!s)
		return false;
	if (!strchr(s, ':'))
		return parse_ipv4(s, strlen(s));
	const char *zone = strchr(s, '%');
	if (zone && zone[1] == '\0')
		return false;
	return parse_ipv6(s, zone ? (size_t)(zone - s) : strlen(s));
}

/* netip.ParsePrefix: addr/bits, no zone, decimal bits without leading zeros. */
bool prim_is_cidr(const char *s)
{
	const char *slash = s ? strrchr(s, '/') : NULL;
	if (!slash)
		return false;
	const char *bits = slash + 1;
	size_t bn = strlen(bits);
	if (bn == 0 || bn > 3 || (bn > 1 && bits[0] == '0'))
		return false;
	int b = 0;
	for (size_t i = 0; i < bn; i++) {
		if (!is_digit((unsigned char)bits[i]))
			return false;
		b = b * 10 + (bits[i] - '0');
	}
	size_t an = (size_t)(slash - s);
	if (memchr(s, '%', an))
		return false;
	if (memchr(s, ':', an))
		return parse_ipv6(s, an) && b <= 128;
	return parse_ipv4(s, an) && b <= 32;
}

const char *prim_check_ip_or_cidr(struct arena *a, const char *s)
{
	size_t slashes = 0;
	for (const char *p = s; *p; p++)
		slashes += *p == '/';
	if (slashes == 1) {
		if (!prim_is_cidr(s))
			return arena_printf(a, "%s is not a valid CIDR block", s);
		return NULL;
	}
	if (!prim_is_ip(s))
		return arena_printf(a, "%s is not a valid IP", s);
	return NULL;
}

/* ---- protocols ---- */

static const char *const protocol_names[] = {
	[PROTO_UNSUPPORTED] = "UnsupportedProtocol", [PROTO_TCP] = "TCP",
	[PROTO_UDP] = "UDP", [PROTO_GRPC] = "GRPC", [PROTO_GRPC_WEB] = "GRPC-Web",
	[PROTO_HTTP] = "HTTP", [PROTO_HTTP_PROXY] = "HTTP_PROXY",
	[PROTO_HTTP2] = "HTTP2", [PROTO_HTTPS] = "HTTPS", [PROTO_TLS] = "TLS",
	[PROTO_MONGO] = "Mongo", [PROTO_REDIS] = "Redis", [PROTO_MYSQL] = "MySQL",
};

enum prim_protocol prim_protocol_parse(const char *s)
{
	if (!s)
		return PROTO_UNSUPPORTED;
	for (size_t i = PROTO_TCP; i < sizeof(protocol_names) / sizeof(protocol_names[0]); i++)
		if (strcasecmp(s, protocol_names[i]) == 0)
			return (enum prim_protocol)i;
	return PROTO_UNSUPPORTED;
}

bool prim_protocol_is_http(enum prim_protocol p)
{
	return p == PROTO_HTTP || p == PROTO_HTTP2 || p == PROTO_HTTP_PROXY ||
	       p == PROTO_GRPC || p == PROTO_GRPC_WEB;
}

bool prim_protocol_is_tls(enum prim_protocol p)
{
	return p == PROTO_HTTPS || p == PROTO_TLS;
}

const char *prim_protocol_name(enum prim_protocol p)
{
	if ((size_t)p >= sizeof(protocol_names) / sizeof(protocol_names[0]))
		return protocol_names[PROTO_UNSUPPORTED];
	return protocol_names[p];
}

/* ---- host overlap (pkg/config/host/name.go) ---- */

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return m <= n && memcmp(s + n - m, suffix, m) == 0;
}

bool prim_host_matches(const char *a, const char *b)
{
	bool aw = a[0] == '*', bw = b[0] == '*';
	if (aw && bw) {
		if (strlen(a) < strlen(b))
			return has_suffix(b + 1, a + 1);
		return has_suffix(a + 1, b + 1);
	}
	if (aw)
		return has_suffix(b, a + 1);
	if (bw)
		return has_suffix(a, b + 1);
	return strcmp(a, b) == 0;
}

bool prim_host_subset_of(const char *a, const char *b)
{
	bool aw = a[0] == '*', bw = b[0] == '*';
	if (aw && bw)
		return strlen(a) >= strlen(b) && has_suffix(a + 1, b + 1);
	if (aw)
		return false;
	if (bw)
		return has_suffix(a, b + 1);
	return strcmp(a, b) == 0;
}

/* ---- exportTo (validateExportTo) ---- */

size_t prim_check_export_to(struct arena *a, const char *namespace,
			    const char *const *entries, size_t n,
			    enum prim_export_kind kind, struct prim_problem **out)
{
	/* seen: the keys accepted so far (entries with "." replaced by the namespace) */
	const char **seen = arena_alloc(a, (n + 1) * sizeof(*seen));
	struct prim_problem *probs = arena_alloc(a, (2 * n + 2) * sizeof(*probs));
	size_t nseen = 0, np = 0;
	bool has_public = false, has_none = false, has_own = false;
	const char *ns = namespace ? namespace : "";

	for (size_t i = 0; i < n; i++) {
		const char *e = entries[i] ? entries[i] : "";
		const char *key = strcmp(e, ".") == 0 ? ns : e;
		bool dup = false;
		for (size_t k = 0; k < nseen && !dup; k++)
			dup = strcmp(seen[k], key) == 0;
		if (dup) {
			probs[np].index = i;
			probs[np++].message = key != e
				? arena_printf(a, "duplicate entries in exportTo: . and current namespace %s", ns)
				: arena_printf(a, "duplicate entries in exportTo for entry %s", e);
			continue;
		}
		const char *err = NULL;
		if (strcmp(key, "~") == 0) {
			if (kind != PRIM_EXPORT_SERVICE_ENTRY)
				err = "exportTo ~ (none) is not allowed for Istio configuration objects";
		} else if (strcmp(key, "*") != 0 && strcmp(key, ".") != 0 &&
			   !prim_is_dns1123_label(key)) {
			err = "only .,*, or a valid DNS 1123 label is allowed as exportTo entry";
		}
		if (err) {
			probs[np].index = i;
			probs[np++].message = err;
			continue;
		}
		seen[nseen++] = key;
		has_public |= strcmp(key, "*") == 0;
		has_none |= strcmp(key, "~") == 0;
		has_own |= strcmp(key, ns) == 0;
	}
	if (kind == PRIM_EXPORT_DR_WITH_SELECTOR && nseen > 0) {
		probs[np].index = n - 1;
		if (!has_own)
			probs[np++].message = "destination rule with workload selector cannot have exportTo beyond current namespace";
		else if (nseen > 1)
			probs[np++].message = "destination rule with workload selector cannot have multiple entries in exportTo";
	}
	if (has_public && n > 1) {
		probs[np].index = n - 1;
		probs[np++].message = "cannot have both public (*) and non-public exportTo values for a resource";
	}
	if (has_none && n > 1) {
		probs[np].index = n - 1;
		probs[np++].message = "cannot export service entry to no one (~) and someone";
	}
	*out = probs;
	return np;
}
