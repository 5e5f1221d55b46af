/*
 * Unit tests for compiler/prim.c: Istio's validation primitives, one
 * behaviour per test, with the cases of Istio's own tests where they
 * exist (validation_test.go) and the RE2-vs-PCRE2 regex differences.
 */
#include <string.h>

#include "arena.h"
#include "prim.h"
#include "unit.h"

static struct arena A;

#define OK(expr) CHECK((expr) == NULL)
#define BAD(expr) CHECK((expr) != NULL)

static void test_dns_label(void)
{
	CHECK(prim_is_dns1123_label("reviews"));
	CHECK(prim_is_dns1123_label("Reviews-V1"));
	CHECK(prim_is_dns1123_label("a"));
	CHECK(!prim_is_dns1123_label(""));
	CHECK(!prim_is_dns1123_label("-a"));
	CHECK(!prim_is_dns1123_label("a-"));
	CHECK(!prim_is_dns1123_label("a_b"));
	CHECK(!prim_is_dns1123_label("a.b"));
	char l63[64], l64[65];
	memset(l63, 'a', 63); l63[63] = '\0';
	memset(l64, 'a', 64); l64[64] = '\0';
	CHECK(prim_is_dns1123_label(l63));
	CHECK(!prim_is_dns1123_label(l64));
}

static void test_fqdn(void)
{
	OK(prim_check_fqdn(&A, "reviews"));
	OK(prim_check_fqdn(&A, "reviews.default.svc.cluster.local"));
	OK(prim_check_fqdn(&A, "istio.io."));
	OK(prim_check_fqdn(&A, "UPPER.case.COM"));
	CHECK_STR(prim_check_fqdn(&A, ""), "empty domain name not allowed");
	CHECK_STR(prim_check_fqdn(&A, "1.2.3.4"),
		  "domain name \"1.2.3.4\" invalid (top level domain \"4\" cannot be all-numeric)");
	CHECK_STR(prim_check_fqdn(&A, "foo..bar"),
		  "domain name \"foo..bar\" invalid (label \"\" invalid)");
	BAD(prim_check_fqdn(&A, "*.foo.com"));
	BAD(prim_check_fqdn(&A, "foo_bar.com"));
	char big[300];
	memset(big, 'a', 299); big[299] = '\0';
	for (int i = 50; i < 299; i += 50) big[i] = '.';
	CHECK(strstr(prim_check_fqdn(&A, big), "too long (max 255)") != NULL);
}

static void test_wildcard_domain(void)
{
	OK(prim_check_wildcard_domain(&A, "*"));
	OK(prim_check_wildcard_domain(&A, "*.foo.com"));
	OK(prim_check_wildcard_domain(&A, "*foo.com"));
	OK(prim_check_wildcard_domain(&A, "*-foo.com"));
	OK(prim_check_wildcard_domain(&A, "reviews"));
	CHECK_STR(prim_check_wildcard_domain(&A, "foo.*.com"),
		  "domain name \"*.com\" invalid (label \"*\" invalid)");
	CHECK_STR(prim_check_wildcard_domain(&A, "**.foo"),
		  "domain name \"**.foo\" invalid (label \"**\" invalid)");
	BAD(prim_check_wildcard_domain(&A, "foo*.com"));
	BAD(prim_check_wildcard_domain(&A, "10.0.0.1"));
	BAD(prim_check_wildcard_domain(&A, ""));
}

static void test_partial_wildcard(void)
{
	OK(prim_check_partial_wildcard(&A, "*"));
	OK(prim_check_partial_wildcard(&A, "*.bar.com"));
	OK(prim_check_partial_wildcard(&A, "bar.com"));
	CHECK_STR(prim_check_partial_wildcard(&A, "*bar.com"),
		  "partial wildcard \"*bar.com\" not allowed");
}

static void test_gateway_host(void)
{
	OK(prim_check_gateway_host(&A, "foo.bar.com"));
	OK(prim_check_gateway_host(&A, "*"));
	OK(prim_check_gateway_host(&A, "ns/foo.bar.com"));
	OK(prim_check_gateway_host(&A, "*/foo.bar.com"));
	OK(prim_check_gateway_host(&A, "./foo.bar.com"));
	OK(prim_check_gateway_host(&A, "ns/*"));
	OK(prim_check_gateway_host(&A, "ns/*.bar.com"));
	OK(prim_check_gateway_host(&A, "192.168.0.1"));
	CHECK_STR(prim_check_gateway_host(&A, "~/foo.bar.com"),
		  "invalid namespace value \"~\" in gateway");
	CHECK_STR(prim_check_gateway_host(&A, "ns/foo"),
		  "short names (non FQDN) are not allowed");
	CHECK_STR(prim_check_gateway_host(&A, "foo"),
		  "short names (non FQDN) are not allowed");
	CHECK_STR(prim_check_gateway_host(&A, "ns/*bar.com"),
		  "partial wildcard \"*bar.com\" not allowed");
	CHECK_STR(prim_check_gateway_host(&A, "/foo.com"),
		  "config namespace and dnsName in host entry cannot be empty");
	BAD(prim_check_gateway_host(&A, "ns/foo..com"));
	BAD(prim_check_gateway_host(&A, "ns/foo.bar.com/x"));
}

static void test_port(void)
{
	OK(prim_check_port(&A, 1));
	OK(prim_check_port(&A, 65535));
	CHECK_STR(prim_check_port(&A, 0), "port number 0 must be in the range 1..65535");
	CHECK_STR(prim_check_port(&A, 65536), "port number 65536 must be in the range 1..65535");
	BAD(prim_check_port(&A, -1));
}

static long long dur(const char *s, bool *ok)
{
	long long ns = -12345;
	*ok = prim_parse_duration(s, &ns);
	return ns;
}

static void test_duration_parse(void)
{
	bool ok;
	CHECK(dur("1h30m", &ok) == 5400000000000LL && ok);
	CHECK(dur("1.5s", &ok) == 1500000000LL && ok);
	CHECK(dur("300ms", &ok) == 300000000LL && ok);
	CHECK(dur("1.5ms", &ok) == 1500000LL && ok);
	CHECK(dur("0", &ok) == 0 && ok);
	CHECK(dur("0s", &ok) == 0 && ok);
	CHECK(dur("-2s", &ok) == -2000000000LL && ok);
	CHECK(dur("10us", &ok) == 10000 && ok);
	CHECK(dur("10\xc2\xb5s", &ok) == 10000 && ok);
	CHECK(dur(".5s", &ok) == 500000000LL && ok);
	CHECK(dur("1.s", &ok) == 1000000000LL && ok);
	dur("", &ok); CHECK(!ok);
	dur("1", &ok); CHECK(!ok);            /* missing unit */
	dur("1d", &ok); CHECK(!ok);           /* unknown unit */
	dur(".s", &ok); CHECK(!ok);
	dur("s", &ok); CHECK(!ok);
	dur("1 s", &ok); CHECK(!ok);
	dur("3000000h", &ok); CHECK(!ok);     /* overflows int64 nanoseconds */
	dur("-", &ok); CHECK(!ok);
}

static void test_duration_check(void)
{
	long long ns;
	CHECK(prim_parse_duration("1.5ms", &ns));
	CHECK_STR(prim_check_duration_ns(&A, ns), "only durations to ms precision are supported");
	CHECK(prim_parse_duration("0s", &ns));
	CHECK_STR(prim_check_duration_ns(&A, ns), "duration must be greater than 1ms");
	CHECK(prim_parse_duration("1h30m", &ns));
	OK(prim_check_duration_ns(&A, ns));
	CHECK(prim_parse_duration("1ms", &ns));
	OK(prim_check_duration_ns(&A, ns));
	CHECK(prim_parse_duration("999us", &ns));
	BAD(prim_check_duration_ns(&A, ns));
	CHECK(prim_parse_duration("-1s", &ns));
	BAD(prim_check_duration_ns(&A, ns));
}

static void regex_ok(const char *re)
{
	size_t off = 99;
	const char *err = prim_check_regex(&A, re, &off);
	if (err)
		fprintf(stderr, "regex %s: unexpected error: %s\n", re, err);
	CHECK(err == NULL);
}

/* Rejected, with `want` in the message and the offending offset. */
static void regex_bad(const char *re, const char *want, size_t want_off)
{
	size_t off = 99;
	const char *err = prim_check_regex(&A, re, &off);
	CHECK(err != NULL);
	if (!err)
		return;
	if (!strstr(err, want))
		fprintf(stderr, "regex %s: message %s lacks %s\n", re, err, want);
	CHECK(strstr(err, want) != NULL);
	if (off != want_off)
		fprintf(stderr, "regex %s: offset %zu, want %zu\n", re, off, want_off);
	CHECK(off == want_off);
}

static void test_regex_accept(void)
{
	regex_ok("^/api/v[0-9]+/.*$");
	regex_ok("(?i)foo|bar");
	regex_ok("(?P<name>a+)b");
	regex_ok("(?<name>a+)b");
	regex_ok("(?:ab)*?c+?d??");
	regex_ok("a{2,5}b{3}c{1,}");
	regex_ok("[]a-z]");
	regex_ok("[^\\]\\\\]");
	regex_ok("[[:alpha:][:digit:]]+");
	regex_ok("\\d\\D\\s\\S\\w\\W\\b\\B\\A\\z");
	regex_ok("\\pL\\p{Greek}\\PN\\p{^Greek}");
	regex_ok("\\x41\\x{263a}\\t\\n\\r\\f\\v\\a");
	regex_ok("\\Q(a+)\\E+");
	regex_ok("\\.\\*\\?\\(\\)\\[\\{\\|\\$\\^");
	regex_ok("\\0\\012");
	regex_ok("(?s:.)(?m)^x$(?U)a*");
	regex_ok("a{,5}");           /* literal braces in RE2 */
	regex_ok("x{1000}");
	regex_ok("[(?=x)]");          /* a class, not a lookahead */
	regex_ok("[a+*]+");
	regex_ok("caf\xc3\xa9.*");
	regex_ok(".*");
}

static void test_regex_reject_re2(void)
{
	regex_bad("(a)\\1", "backreference `\\1`", 3);
	regex_bad("(?P<n>a)\\k<n>", "named backreference", 8);
	regex_bad("(?P<n>a)(?P=n)", "named backreference `(?P=name)`", 8);
	regex_bad("a\\g1", "backreference", 1);
	regex_bad("foo(?=bar)", "lookahead `(?=`", 3);
	regex_bad("foo(?!bar)", "negative lookahead", 3);
	regex_bad("(?<=a)b", "lookbehind `(?<=`", 0);
	regex_bad("(?<!a)b", "negative lookbehind", 0);
	regex_bad("(?>a+)b", "atomic group", 0);
	regex_bad("a*+b", "possessive quantifier `*+`", 1);
	regex_bad("a++b", "possessive quantifier `++`", 1);
	regex_bad("a?+b", "possessive quantifier `?+`", 1);
	regex_bad("a{2}+b", "possessive quantifier `{2}+`", 1);
	regex_bad("(a|b(?R))", "recursion `(?R`", 4);
	regex_bad("(a)(?1)", "recursion or subroutine call `(?1`", 3);
	regex_bad("(?<n>a)(?&n)", "subroutine call `(?&name`", 7);
	regex_bad("(?<n>a)(?P>n)", "subroutine call `(?P>name)`", 7);
	regex_bad("a(?C1)b", "callout `(?C`", 1);
	regex_bad("a\\Cb", "`\\C`", 1);
	regex_bad("(*UTF)abc", "start-of-pattern option `(*UTF)`", 0);
	regex_bad("(*LIMIT_MATCH=10)a", "`(*LIMIT_MATCH=10)`", 0);
	regex_bad("(?(1)a|b)", "conditional group", 0);
	regex_bad("(?x) a b", "flag `x`", 2);
	regex_bad("a(?#comment)", "comment group", 1);
	regex_bad("a**", "invalid nested repetition operator: `*`", 2);
	regex_bad("a{1001}", "invalid repeat count", 1);
	regex_bad("ab\\Z", "`\\Z`", 2);
	regex_bad("a\\Kb", "`\\K`", 1);
	regex_bad("\\R", "`\\R`", 0);
	regex_bad("[\\b]", "invalid escape sequence", 1);
	regex_bad("\\e", "invalid escape sequence: `\\e`", 0);
	regex_bad("(?'n'a)", "named group syntax", 0);
}

static void test_regex_reject_syntax(void)
{
	size_t off;
	CHECK_STR(prim_check_regex(&A, "", &off), "regex string match should not be empty");
	char big[1100];
	memset(big, 'a', 1025); big[1025] = '\0';
	CHECK_STR(prim_check_regex(&A, big, &off), "regex is too large, max length allowed is 1024");
	big[1024] = '\0';
	OK(prim_check_regex(&A, big, &off));
	regex_bad("(abc", "missing closing parenthesis", 4);
	regex_bad("abc)", "unmatched closing parenthesis", 3);
	regex_bad("[z-a]", "range out of order", 3);
	regex_bad("*a", "quantifier does not follow a repeatable item", 0);
	regex_bad("a\\", "trailing backslash", 1);
	regex_bad("[abc", "missing terminating ]", 4);
	regex_bad("[[:foo:]]", "unknown POSIX class name", 3);
}

/* A pattern checked again (from the per-thread cache) gets the same answer. */
static void test_regex_repeat(void)
{
	for (int round = 0; round < 3; round++) {
		OK(prim_check_regex(&A, "^/items/[0-9]+$", NULL));
		regex_bad("(abc", "missing closing parenthesis", 4);
		OK(prim_check_regex(&A, "/v[0-9]+/search/.*", NULL));
	}
	/* Longer than the cache keeps: checked in full each time. */
	char big[200];
	memset(big, 'b', 150);
	big[150] = '\0';
	OK(prim_check_regex(&A, big, NULL));
	OK(prim_check_regex(&A, big, NULL));
	big[149] = '(';
	CHECK(prim_check_regex(&A, big, NULL) != NULL);
}

static void test_labels(void)
{
	OK(prim_check_label_key(&A, "app"));
	OK(prim_check_label_key(&A, "app.kubernetes.io/name"));
	OK(prim_check_label_key(&A, "Version_1.x"));
	OK(prim_check_label_value(&A, ""));
	OK(prim_check_label_value(&A, "v1"));
	OK(prim_check_label_value(&A, "a-b_c.d"));
	CHECK_STR(prim_check_label_key(&A, ""), "invalid tag key: \"\"");
	CHECK_STR(prim_check_label_key(&A, "-app"), "invalid tag key: \"-app\"");
	CHECK_STR(prim_check_label_key(&A, "a/b/c"), "invalid tag key: \"a/b/c\"");
	CHECK_STR(prim_check_label_key(&A, "/app"), "invalid tag key: \"/app\"");
	CHECK_STR(prim_check_label_key(&A, "a..b/app"), "invalid tag key: \"a..b/app\"");
	CHECK_STR(prim_check_label_value(&A, "v1-"), "invalid tag value: \"v1-\"");
	CHECK_STR(prim_check_label_value(&A, "a b"), "invalid tag value: \"a b\"");
	char name[70];
	memset(name, 'a', 64); name[64] = '\0';
	CHECK(strstr(prim_check_label_key(&A, name), "(name is too long)") != NULL);
	char prefix[300];
	memset(prefix, 'a', 254);
	for (int i = 50; i < 254; i += 50) prefix[i] = '.';
	strcpy(prefix + 254, "/app");
	CHECK(strstr(prim_check_label_key(&A, prefix), "(DNS prefix is too long)") != NULL);
	/* Go does not limit label value length */
	OK(prim_check_label_value(&A, name));
}

static void test_match_header_name(void)
{
	OK(prim_check_match_header_name(&A, "header1"));
	OK(prim_check_match_header_name(&A, "X-Requested-With"));
	OK(prim_check_match_header_name(&A, ":authority"));
	OK(prim_check_match_header_name(&A, "funky!$#_"));
	OK(prim_check_match_header_name(&A, "@request.auth.claims.group"));
	OK(prim_check_match_header_name(&A, "@Request.Auth.Claims[a][b]"));
	CHECK_STR(prim_check_match_header_name(&A, ""), "header name cannot be empty");
	BAD(prim_check_match_header_name(&A, "::"));
	BAD(prim_check_match_header_name(&A, "illegal\"char"));
	BAD(prim_check_match_header_name(&A, "@request.auth.claims"));
	BAD(prim_check_match_header_name(&A, "with space"));
	CHECK(prim_is_jwt_claim_header("@request.auth.claims.sub"));
	CHECK(prim_is_jwt_claim_header("@request.auth.claims[sub]"));
	CHECK(!prim_is_jwt_claim_header("@request.auth.claims."));
	CHECK(!prim_is_jwt_claim_header("@request.auth.claims[]"));
	CHECK(!prim_is_jwt_claim_header("x-claim"));
}

static void test_header_op_name(void)
{
	OK(prim_check_header_op_name(&A, "x-foo", true));
	OK(prim_check_header_op_name(&A, ":authority", true));
	OK(prim_check_header_op_name(&A, "Host", true));
	CHECK_STR(prim_check_header_op_name(&A, ":path", true),
		  "invalid header \":path\": header cannot have \":\" prefix");
	CHECK_STR(prim_check_header_op_name(&A, "", false), "header name cannot be empty");
	CHECK_STR(prim_check_header_op_name(&A, "HOST", false),
		  "invalid header \"HOST\": cannot set Host header");
	BAD(prim_check_header_op_name(&A, ":authority", false));
	OK(prim_check_header_op_name(&A, "x-foo", false));
	CHECK(prim_is_authority_header(":Authority"));
	CHECK(prim_is_authority_header("host"));
	CHECK(!prim_is_authority_header("x-host"));
	OK(prim_check_cors_header_name(&A, "*"));
	OK(prim_check_cors_header_name(&A, "X-Foo"));
	BAD(prim_check_cors_header_name(&A, "X Foo"));
	BAD(prim_check_cors_header_name(&A, ""));
}

static void test_header_value(void)
{
	OK(prim_check_header_value(&A, ""));
	OK(prim_check_header_value(&A, "foo"));
	OK(prim_check_header_value(&A, "%HOSTNAME%"));
	OK(prim_check_header_value(&A, "100%%"));
	OK(prim_check_header_value(&A, "prefix %HOSTNAME% suffix"));
	OK(prim_check_header_value(&A, "%REQ(x-foo)%"));
	OK(prim_check_header_value(&A, "%PER_REQUEST_STATE([\"a\", \"b\"])%"));
	OK(prim_check_header_value(&A, "tab\there"));
	CHECK_STR(prim_check_header_value(&A, "abc%"),
		  "header value configuration: invalid header configuration. Un-escaped %");
	CHECK_STR(prim_check_header_value(&A, "abc%123"),
		  "header value configuration: invalid header configuration. Un-terminated variable expression 'abc%123'");
	BAD(prim_check_header_value(&A, "%START_TIME%%"));
	BAD(prim_check_header_value(&A, "%VAR([x])%"));
	BAD(prim_check_header_value(&A, "%VAR([\"x\" y])%"));
	CHECK_STR(prim_check_header_value(&A, "a\nb"), "header value configuration a\nb is invalid");
	BAD(prim_check_header_value(&A, "a\x7f"));
}

static void test_ip_cidr(void)
{
	CHECK(prim_is_ip("10.0.0.1"));
	CHECK(prim_is_ip("::1"));
	CHECK(prim_is_ip("2001:db8::1"));
	CHECK(prim_is_ip("fe80::1%eth0"));
	CHECK(prim_is_ip("::ffff:1.2.3.4"));
	CHECK(!prim_is_ip("10.0.0"));
	CHECK(!prim_is_ip("10.0.0.256"));
	CHECK(!prim_is_ip("010.0.0.1"));
	CHECK(!prim_is_ip("foo.bar"));
	CHECK(!prim_is_ip(""));
	CHECK(!prim_is_ip("fe80::1%"));
	CHECK(prim_is_cidr("10.0.0.0/8"));
	CHECK(prim_is_cidr("10.1.2.3/32"));
	CHECK(prim_is_cidr("2001:db8::/32"));
	CHECK(!prim_is_cidr("10.0.0.0/33"));
	CHECK(!prim_is_cidr("10.0.0.0/08"));
	CHECK(!prim_is_cidr("10.0.0.0/"));
	CHECK(!prim_is_cidr("2001:db8::/129"));
	CHECK(!prim_is_cidr("10.0.0.0"));
	OK(prim_check_ip_or_cidr(&A, "1.2.3.4"));
	OK(prim_check_ip_or_cidr(&A, "1.2.3.0/24"));
	CHECK_STR(prim_check_ip_or_cidr(&A, "1.2.3.0/40"), "1.2.3.0/40 is not a valid CIDR block");
	CHECK_STR(prim_check_ip_or_cidr(&A, "foo"), "foo is not a valid IP");
	CHECK_STR(prim_check_ip_or_cidr(&A, "1.2.3.0/24/1"), "1.2.3.0/24/1 is not a valid IP");
}

static void test_protocol(void)
{
	CHECK(prim_protocol_parse("http") == PROTO_HTTP);
	CHECK(prim_protocol_parse("HTTP2") == PROTO_HTTP2);
	CHECK(prim_protocol_parse("grpc-web") == PROTO_GRPC_WEB);
	CHECK(prim_protocol_parse("Http_Proxy") == PROTO_HTTP_PROXY);
	CHECK(prim_protocol_parse("tls") == PROTO_TLS);
	CHECK(prim_protocol_parse("MONGO") == PROTO_MONGO);
	CHECK(prim_protocol_parse("mysql") == PROTO_MYSQL);
	CHECK(prim_protocol_parse("udp") == PROTO_UDP);
	CHECK(prim_protocol_parse("http3") == PROTO_UNSUPPORTED);
	CHECK(prim_protocol_parse("") == PROTO_UNSUPPORTED);
	CHECK(prim_protocol_is_http(PROTO_GRPC));
	CHECK(!prim_protocol_is_http(PROTO_HTTPS));
	CHECK(prim_protocol_is_tls(PROTO_HTTPS));
	CHECK(!prim_protocol_is_tls(PROTO_TCP));
	CHECK_STR(prim_protocol_name(PROTO_GRPC_WEB), "GRPC-Web");
}

static void test_host_overlap(void)
{
	CHECK(prim_host_matches("foo.com", "foo.com"));
	CHECK(!prim_host_matches("foo.com", "bar.com"));
	CHECK(prim_host_matches("*.foo.com", "a.foo.com"));
	CHECK(prim_host_matches("a.foo.com", "*.foo.com"));
	CHECK(!prim_host_matches("*.foo.com", "foo.com"));
	CHECK(prim_host_matches("*.foo.bar", "*.bar"));
	CHECK(prim_host_matches("*.bar", "*.foo.bar"));
	CHECK(prim_host_matches("*", "anything.com"));
	CHECK(!prim_host_matches("*.foo.com", "*.bar.com"));
	CHECK(prim_host_subset_of("a.foo.com", "*.foo.com"));
	CHECK(prim_host_subset_of("*.a.foo.com", "*.foo.com"));
	CHECK(!prim_host_subset_of("*.foo.com", "*.a.foo.com"));
	CHECK(!prim_host_subset_of("*.foo.com", "a.foo.com"));
	CHECK(prim_host_subset_of("foo.com", "foo.com"));
	CHECK(prim_host_subset_of("foo.com", "*"));
}

static void test_export_to(void)
{
	struct prim_problem *p;
	const char *ok1[] = { "." , "ns1" };
	CHECK(prim_check_export_to(&A, "default", ok1, 2, PRIM_EXPORT_DEFAULT, &p) == 0);
	const char *star[] = { "*" };
	CHECK(prim_check_export_to(&A, "default", star, 1, PRIM_EXPORT_DEFAULT, &p) == 0);
	const char *none[] = { "~" };
	CHECK(prim_check_export_to(&A, "default", none, 1, PRIM_EXPORT_SERVICE_ENTRY, &p) == 0);
	CHECK(prim_check_export_to(&A, "default", none, 1, PRIM_EXPORT_DEFAULT, &p) == 1);
	CHECK_STR(p[0].message, "exportTo ~ (none) is not allowed for Istio configuration objects");
	const char *dotstar[] = { ".", "*" };
	CHECK(prim_check_export_to(&A, "default", dotstar, 2, PRIM_EXPORT_DEFAULT, &p) == 1);
	CHECK_STR(p[0].message, "cannot have both public (*) and non-public exportTo values for a resource");
	const char *same[] = { "default", "." };
	CHECK(prim_check_export_to(&A, "default", same, 2, PRIM_EXPORT_DEFAULT, &p) == 1);
	CHECK_STR(p[0].message, "duplicate entries in exportTo: . and current namespace default");
	CHECK(p[0].index == 1);
	const char *dup[] = { "ns1", "ns1" };
	CHECK(prim_check_export_to(&A, "default", dup, 2, PRIM_EXPORT_DEFAULT, &p) == 1);
	CHECK_STR(p[0].message, "duplicate entries in exportTo for entry ns1");
	const char *badns[] = { "Ns_1" };
	CHECK(prim_check_export_to(&A, "default", badns, 1, PRIM_EXPORT_DEFAULT, &p) == 1);
	CHECK_STR(p[0].message, "only .,*, or a valid DNS 1123 label is allowed as exportTo entry");
	const char *nonemix[] = { "~", "ns1" };
	CHECK(prim_check_export_to(&A, "default", nonemix, 2, PRIM_EXPORT_SERVICE_ENTRY, &p) == 1);
	CHECK_STR(p[0].message, "cannot export service entry to no one (~) and someone");
	CHECK(prim_check_export_to(&A, "default", star, 1, PRIM_EXPORT_DR_WITH_SELECTOR, &p) == 1);
	const char *dot[] = { "." };
	CHECK(prim_check_export_to(&A, "default", dot, 1, PRIM_EXPORT_DR_WITH_SELECTOR, &p) == 0);
	const char *other[] = { "ns1" };
	CHECK(prim_check_export_to(&A, "default", other, 1, PRIM_EXPORT_DR_WITH_SELECTOR, &p) == 1);
	const char *both[] = { ".", "ns1" };
	CHECK(prim_check_export_to(&A, "default", both, 2, PRIM_EXPORT_DR_WITH_SELECTOR, &p) == 1);
}

/* Go's strconv.Quote, which every %q in Istio's messages is. */
static void test_go_quote(void)
{
	CHECK_STR(prim_go_quote(&A, "reviews"), "\"reviews\"");
	CHECK_STR(prim_go_quote(&A, "a\"b\\c"), "\"a\\\"b\\\\c\"");
	CHECK_STR(prim_go_quote(&A, "\t\n\r\a\b\f\v"), "\"\\t\\n\\r\\a\\b\\f\\v\"");
	CHECK_STR(prim_go_quote(&A, "\x01\x7f"), "\"\\x01\\x7f\"");
	CHECK_STR(prim_go_quote(&A, "caf\xc3\xa9"), "\"caf\xc3\xa9\"");       /* printable: as is */
	CHECK_STR(prim_go_quote(&A, "\xff\xc3"), "\"\\xff\\xc3\"");          /* invalid UTF-8 */
	CHECK_STR(prim_go_quote(&A, "\xe2\x80\xa8"), "\"\\u2028\"");        /* line separator */
	CHECK_STR(prim_go_quote(&A, "\xf3\xb0\x80\x80"), "\"\\U000f0000\""); /* private use */
	CHECK_STR(prim_go_quote_n(&A, "a\0b", 3), "\"a\\x00b\"");
	CHECK_STR(prim_go_quote(&A, ""), "\"\"");
}

int main(void)
{
	arena_init(&A);
	RUN(test_dns_label);
	RUN(test_fqdn);
	RUN(test_wildcard_domain);
	RUN(test_partial_wildcard);
	RUN(test_gateway_host);
	RUN(test_port);
	RUN(test_duration_parse);
	RUN(test_duration_check);
	RUN(test_regex_accept);
	RUN(test_regex_reject_re2);
	RUN(test_regex_reject_syntax);
	RUN(test_regex_repeat);
	RUN(test_labels);
	RUN(test_match_header_name);
	RUN(test_header_op_name);
	RUN(test_header_value);
	RUN(test_ip_cidr);
	RUN(test_protocol);
	RUN(test_host_overlap);
	RUN(test_export_to);
	RUN(test_go_quote);
	arena_release(&A);
	return unit_end();
}
