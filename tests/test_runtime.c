/*
 * Unit tests of the route table: models built by hand, emitted, opened
 * and matched (every match type and action, host selection), the
 * atomic writer, and damaged tables (truncated, bad magic, bad
 * checksum, out-of-range offsets and indices, unterminated strings),
 * which must be rejected with a message and never crash.
 */
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler.h"
#include "meshrt.h"
#include "mrt_format.h"
#include "route_model.h"
#include "unit.h"

static struct route_model model;

static struct rm_cond cond(enum mrt_field f, enum mrt_op op, const char *key,
			   const char *value)
{
	struct rm_cond c = { .field = f, .op = op, .key = key, .value = value };
	return c;
}

static struct rm_route *route_new(const char *name, const char *vs, unsigned idx)
{
	struct rm_route *r = arena_alloc(&model.arena, sizeof(*r));
	r->name = name;
	r->vs = vs;
	r->index = idx;
	r->kind = MRT_ROUTE_HTTP;
	r->action = MRT_ACTION_ROUTE;
	r->timeout_ms = MRT_UNSET;
	return r;
}

static void route_match(struct rm_route *r, const struct rm_cond *c, size_t n)
{
	struct rm_match *m = arena_alloc(&model.arena, (r->n_matches + 1) * sizeof(*m));
	if (r->n_matches)
		memcpy(m, r->matches, r->n_matches * sizeof(*m));
	struct rm_cond *cc = arena_alloc(&model.arena, (n ? n : 1) * sizeof(*cc));
	memcpy(cc, c, n * sizeof(*cc));
	m[r->n_matches].conds = cc;
	m[r->n_matches].n = n;
	r->matches = m;
	r->n_matches++;
}

static void route_dest(struct rm_route *r, const char *host, const char *subset,
		       unsigned port, unsigned weight)
{
	struct rm_dest *d = arena_alloc(&model.arena, (r->n_dests + 1) * sizeof(*d));
	if (r->n_dests)
		memcpy(d, r->dests, r->n_dests * sizeof(*d));
	d[r->n_dests].cluster = route_model_cluster(&model, host, subset, port);
	d[r->n_dests].weight = weight;
	r->dests = d;
	r->n_dests++;
}

static struct rm_extra *extra_new(void)
{
	struct rm_extra *x = arena_alloc(&model.arena, sizeof(*x));
	x->rd_port = x->rd_code = MRT_UNSET;
	x->rt_attempts = x->rt_per_try_ms = x->rt_backoff_ms = MRT_UNSET;
	x->fd_delay_ms = x->fd_delay_ppm = x->fa_status = x->fa_ppm = MRT_UNSET;
	x->cors_max_age_ms = x->cors_credentials = MRT_UNSET;
	return x;
}

#define REVIEWS "reviews.books.svc.cluster.local"

/* The model most tests use. */
static void build_model(void)
{
	route_model_init(&model, "cluster.local");
	struct rm_listener *l = route_model_listener(&model, "mesh", 9080, NULL);
	struct rm_vhost *vh = route_model_vhost(&model, l, REVIEWS);
	struct rm_route *r;
	struct rm_cond c[3];

	r = route_new("jason", "books/reviews", 0);
	c[0] = cond(MRT_FIELD_HEADER, MRT_OP_EXACT, "end-user", "jason");
	route_match(r, c, 1);
	route_dest(r, REVIEWS, "v2", 9080, 100);
	route_list_add(&model, vh->routes, r);

	r = route_new("api", "books/reviews", 1);
	c[0] = cond(MRT_FIELD_URI, MRT_OP_PREFIX, NULL, "/API");
	c[0].flags = MRT_COND_IGNORE_CASE;
	c[1] = cond(MRT_FIELD_METHOD, MRT_OP_EXACT, NULL, "GET");
	route_match(r, c, 2);
	c[0] = cond(MRT_FIELD_URI, MRT_OP_EXACT, NULL, "/exact");
	route_match(r, c, 1);
	route_dest(r, REVIEWS, "v3", 9080, 80);
	route_dest(r, REVIEWS, "v1", 9080, 20);
	route_list_add(&model, vh->routes, r);

	r = route_new("regex", "books/reviews", 2);
	c[0] = cond(MRT_FIELD_URI, MRT_OP_REGEX, NULL, "/re/[0-9]+");
	route_match(r, c, 1);
	c[0] = cond(MRT_FIELD_QUERY, MRT_OP_REGEX, "id", "qa-[0-9]+");
	route_match(r, c, 1);
	r->action = MRT_ACTION_DIRECT_RESPONSE;
	r->extra = extra_new();
	r->extra->dr_status = 418;
	r->extra->dr_body = "teapot";
	r->extra->dr_body_len = 6;
	route_list_add(&model, vh->routes, r);

	r = route_new("without", "books/reviews", 3);
	c[0] = cond(MRT_FIELD_HEADER, MRT_OP_EXACT, "x-skip", "yes");
	c[0].flags = MRT_COND_INVERT;
	c[1] = cond(MRT_FIELD_QUERY, MRT_OP_EXACT, "w", "1");
	route_match(r, c, 2);
	route_dest(r, REVIEWS, "v4", 9080, 100);
	route_list_add(&model, vh->routes, r);

	r = route_new("labels", "books/reviews", 4);
	c[0] = cond(MRT_FIELD_SOURCE_LABEL, MRT_OP_EXACT, "app", "productpage");
	c[1] = cond(MRT_FIELD_SOURCE_NAMESPACE, MRT_OP_EXACT, NULL, "books");
	c[2] = cond(MRT_FIELD_PORT, MRT_OP_EXACT, NULL, NULL);
	c[2].number = 9080;
	route_match(r, c, 3);
	route_dest(r, REVIEWS, "v5", 9080, 100);
	route_list_add(&model, vh->routes, r);

	r = route_new(NULL, "books/reviews", 5);
	route_dest(r, REVIEWS, "v1", 9080, 100);
	r->timeout_ms = 3000;
	r->extra = extra_new();
	r->extra->rt_attempts = 3;
	r->extra->rt_per_try_ms = 2000;
	r->extra->rt_retry_on = "5xx";
	r->extra->rw_uri = "/v1";
	route_list_add(&model, vh->routes, r);

	/* Three hosts sharing one route list; a wildcard; the catch-all. */
	struct rm_route_list *shared = route_list_new(&model);
	r = route_new("shared", "web/site", 0);
	route_dest(r, "site.web.svc.cluster.local", NULL, 80, 100);
	r->timeout_ms = 1500;
	route_list_add(&model, shared, r);
	struct rm_listener *gw = route_model_listener(&model, "istio-system/gw", 80, NULL);
	route_model_vhost(&model, gw, "a.example.org")->routes = shared;
	route_model_vhost(&model, gw, "b.example.org")->routes = shared;
	route_model_vhost(&model, gw, "C.Example.Org")->routes = shared;

	struct rm_vhost *w = route_model_vhost(&model, gw, "*.example.org");
	r = route_new("wild", "web/wild", 0);
	r->action = MRT_ACTION_REDIRECT;
	r->extra = extra_new();
	r->extra->rd_uri = "/moved";
	r->extra->rd_authority = "new.example.org";
	r->extra->rd_code = 308;
	route_list_add(&model, w->routes, r);
	struct rm_vhost *w2 = route_model_vhost(&model, gw, "*.deep.example.org");
	r = route_new("deep", "web/deep", 0);
	route_dest(r, "deep.web.svc.cluster.local", NULL, 80, 100);
	route_list_add(&model, w2->routes, r);
	struct rm_vhost *star = route_model_vhost(&model, gw, "*");
	r = route_new("star", "web/star", 0);
	route_dest(r, "star.web.svc.cluster.local", NULL, 80, 100);
	route_list_add(&model, star->routes, r);

	/* An https-redirect listener and an any-port mesh listener. */
	struct rm_listener *h = route_model_listener(&model, "istio-system/gw", 8080, NULL);
	struct rm_vhost *hv = route_model_vhost(&model, h, "secure.example.org");
	hv->flags = MRT_VHOST_HTTPS_REDIRECT;
	r = route_new(NULL, NULL, 0);
	r->action = MRT_ACTION_REDIRECT;
	r->extra = extra_new();
	r->extra->rd_scheme = "https";
	r->extra->rd_code = 301;
	route_list_add(&model, hv->routes, r);
	struct rm_listener *any = route_model_listener(&model, "mesh", 0, NULL);
	struct rm_vhost *av = route_model_vhost(&model, any, "ext.example.com");
	r = route_new("ext", "books/ext", 0);
	route_dest(r, "ext.example.com", NULL, 0, 100);
	route_list_add(&model, av->routes, r);

	/* TLS route by SNI on a gateway. */
	struct rm_listener *t = route_model_listener(&model, "istio-system/gw", 443, NULL);
	r = route_new("tls", "web/tls", 0);
	r->kind = MRT_ROUTE_TLS;
	c[0] = cond(MRT_FIELD_SNI, MRT_OP_HOST_ANY_OF, NULL, "*.tls.example.org,tls.example.org");
	route_match(r, c, 1);
	route_dest(r, "tls.web.svc.cluster.local", NULL, 443, 100);
	route_list_add(&model, t->l4, r);
}

static void *blob;
static size_t blob_len;
static mrt_table *table;

static void open_model(void)
{
	char err[256];
	build_model();
	blob = route_emit(&model, &blob_len, err, sizeof(err));
	CHECK(blob != NULL);
	CHECK(mrt_open_buffer(blob, blob_len, &table, err, sizeof(err)) == 0);
	if (!table)
		fprintf(stderr, "open: %s\n", err);
}

static const char *route_of(const mrt_request *q)
{
	const mrt_route *r = mrt_match(table, q);
	if (!r)
		return "(none)";
	const char *n = mrt_route_name(table, r);
	return n ? n : "(unnamed)";
}

static void test_checksum(void)
{
	CHECK(mrt_fmt_checksum("", 0) == 0xEF46DB3751D8E999ULL);
	CHECK(mrt_fmt_checksum("abc", 3) == 0x44BC2CF5AD770999ULL);
}

/* A table is told from config by its first eight bytes. */
static void test_is_table(void)
{
	CHECK(blob && mrt_is_table(blob, blob_len) == 1);
	CHECK(blob && mrt_is_table(blob, 8) == 1);
	CHECK(blob && mrt_is_table(blob, 7) == 0);
	CHECK(mrt_is_table("apiVersion: v1\n", 15) == 0);
	CHECK(mrt_is_table(NULL, 0) == 0);
}

/* Record sizes and section numbers as meshrt(5) documents them. */
static void test_layout(void)
{
	CHECK(sizeof(struct mrt_fmt_header) == 176);
	CHECK(MRT_FORMAT_VERSION == 4 && MRT_SEC_COUNT == 16);
	CHECK(sizeof(struct mrt_fmt_listener) == 64 && MRT_SEC_LSTN == 1);
	CHECK(sizeof(struct mrt_fmt_gateway) == 16 && MRT_SEC_GWAY == 2);
	CHECK(sizeof(struct mrt_fmt_vhost) == 20 && MRT_SEC_VHST == 3);
	CHECK(sizeof(struct mrt_fmt_slot) == 8 && MRT_SEC_HASH == 4);
	CHECK(MRT_SEC_WILD == 5);
	CHECK(sizeof(struct mrt_fmt_route) == 12 && MRT_SEC_ROUT == 6);
	CHECK(sizeof(struct mrt_fmt_route_data) == 20 && MRT_SEC_RDAT == 7);
	CHECK(sizeof(struct mrt_fmt_match) == 12 && MRT_SEC_MTCH == 8);
	CHECK(sizeof(struct mrt_fmt_cond) == 16 && MRT_SEC_COND == 9);
	CHECK(sizeof(struct mrt_fmt_dest) == 16 && MRT_SEC_DEST == 10);
	CHECK(sizeof(struct mrt_fmt_extra) == 156 && MRT_SEC_EXTR == 11);
	CHECK(sizeof(struct mrt_fmt_hop) == 12 && MRT_SEC_HOPS == 12);
	CHECK(sizeof(struct mrt_fmt_cluster) == 32 && MRT_SEC_CLST == 13);
	CHECK(sizeof(struct mrt_fmt_regex) == 4 && MRT_SEC_REGX == 14);
	CHECK(sizeof(struct mrt_fmt_gwsel) == 12 && MRT_SEC_GSEL == 15);
}

/* The index hash as meshrt(5) specifies it (values from an independent
 * implementation of that text): ASCII case-insensitive, 8 bytes a step. */
static void test_index_hash(void)
{
	CHECK(mrt_fmt_hash("", 0) == 0);
	CHECK(mrt_fmt_hash("mesh", 4) == 0x0c21a0b6u);
	CHECK(mrt_fmt_hash(REVIEWS, strlen(REVIEWS)) == 0xf07fe97eu);
	CHECK(mrt_fmt_hash("REVIEWS.Books.svc.cluster.local", strlen(REVIEWS)) == 0xf07fe97eu);
	CHECK(mrt_fmt_hash("istio-system/gw", 15) == 0x5609a4bau);
	CHECK(mrt_fmt_hash("\xc3\x84" "bc", 4) == 0x14f48500u);   /* non-ASCII kept */
	CHECK(mrt_fmt_lower8(0x5a41405b7a61c1e1ULL) == 0x7a61405b7a61c1e1ULL);
}

static void test_match_types(void)
{
	mrt_request q = { .gateway = "mesh", .host = REVIEWS, .port = 9080,
			  .method = "GET", .path = "/" };
	mrt_header h[2] = { { "End-User", "jason" }, { "x-skip", "no" } };
	CHECK_STR(route_of(&q), "(unnamed)");
	q.headers = h;
	q.n_headers = 1;
	CHECK_STR(route_of(&q), "jason");            /* header names any case */
	h[0].value = "jasonx";
	CHECK_STR(route_of(&q), "(unnamed)");        /* exact is exact */
	q.n_headers = 0;
	q.path = "/api/x";
	CHECK_STR(route_of(&q), "api");
	q.path = "/Api-v2?x=1";
	CHECK_STR(route_of(&q), "api");              /* byte prefix, ignoreUriCase */
	q.method = "POST";
	CHECK_STR(route_of(&q), "(unnamed)");        /* ANDed with method */
	q.path = "/exact?z=1";
	CHECK_STR(route_of(&q), "api");              /* exact ignores the query; ORed */
	q.path = "/exact/";
	CHECK_STR(route_of(&q), "(unnamed)");
	q.path = "/re/123";
	CHECK_STR(route_of(&q), "regex");
	q.path = "/re/123x";
	CHECK_STR(route_of(&q), "(unnamed)");        /* regex matches the whole path */
	q.path = "/x/re/1";
	CHECK_STR(route_of(&q), "(unnamed)");
	q.path = "/p?a=b&id=qa-12";
	CHECK_STR(route_of(&q), "regex");
	q.path = "/p?id=xqa-1";
	CHECK_STR(route_of(&q), "(unnamed)");
	/* withoutHeaders: present and different matches, and so does absent
	 * (Istio sets treat_missing_header_as_empty on inverted matchers). */
	q.path = "/p?w=1";
	q.headers = h + 1;
	q.n_headers = 1;
	CHECK_STR(route_of(&q), "without");
	h[1].value = "yes";
	CHECK_STR(route_of(&q), "(unnamed)");
	q.n_headers = 0;
	CHECK_STR(route_of(&q), "without");
	/* source labels, namespace and port */
	mrt_header lab = { "app", "productpage" };
	q.path = "/";
	q.source_labels = &lab;
	q.n_source_labels = 1;
	CHECK_STR(route_of(&q), "(unnamed)");
	q.source_namespace = "books";
	CHECK_STR(route_of(&q), "labels");
	mrt_result res;
	mrt_match_result(table, &q, &res);
	CHECK(res.match_index == 0);
	q.host = "reviews.books.svc.cluster.local:9080";
	q.port = 0;
	CHECK_STR(route_of(&q), "labels");           /* port from the host */
}

static void test_hosts(void)
{
	mrt_request q = { .gateway = "mesh", .host = "reviews", .port = 9080,
			  .path = "/", .source_namespace = "books" };
	CHECK_STR(route_of(&q), "(unnamed)");        /* short name in the source ns */
	q.source_namespace = "other";
	CHECK_STR(route_of(&q), "(none)");
	q.host = "reviews.books";
	CHECK_STR(route_of(&q), "(unnamed)");
	q.host = "REVIEWS.books.svc.";
	CHECK_STR(route_of(&q), "(unnamed)");        /* case, trailing dot */
	q.host = "ext.example.com";
	CHECK_STR(route_of(&q), "ext");              /* any-port listener */
	q.port = 1234;
	CHECK_STR(route_of(&q), "ext");

	q.gateway = "istio-system/gw";
	q.port = 80;
	q.host = "b.example.org";
	CHECK_STR(route_of(&q), "shared");
	q.host = "c.example.org:80";
	CHECK_STR(route_of(&q), "shared");
	q.host = "x.example.org";
	CHECK_STR(route_of(&q), "wild");
	q.host = "y.x.example.org";
	CHECK_STR(route_of(&q), "wild");             /* suffix of any depth */
	q.host = "a.deep.example.org";
	CHECK_STR(route_of(&q), "deep");             /* longest suffix first */
	q.host = "example.org";
	CHECK_STR(route_of(&q), "star");             /* *.example.org excludes it */
	q.port = 81;
	CHECK_STR(route_of(&q), "(none)");
	q.gateway = "istio-system/other";
	q.port = 80;
	CHECK_STR(route_of(&q), "(none)");

	/* the route list is shared, not copied */
	mrt_vhost a, b;
	size_t gl = 0;
	mrt_listener li;
	for (size_t i = 0; i < mrt_listener_count(table); i++)
		if (mrt_listener_get(table, i, &li) == 0 &&
		    strcmp(li.gateway, "istio-system/gw") == 0 && li.port == 80)
			gl = i;
	/* (virtual hosts are sorted by name: "*" and the wildcards first) */
	size_t ia = 0, ib = 0;
	CHECK(mrt_listener_get(table, gl, &li) == 0);
	for (size_t v = 0; v < li.n_vhosts; v++)
		if (mrt_vhost_get(table, gl, v, &a) == 0) {
			if (strcmp(a.host, "b.example.org") == 0)
				ia = v;
			if (strcmp(a.host, "c.example.org") == 0)
				ib = v;
		}
	CHECK(mrt_vhost_get(table, gl, ia, &a) == 0 && strcmp(a.host, "b.example.org") == 0);
	CHECK(mrt_vhost_get(table, gl, ib, &b) == 0 && strcmp(b.host, "c.example.org") == 0);
	CHECK(a.first_route == b.first_route && a.n_routes == 1);
}

static void test_actions(void)
{
	mrt_request q = { .gateway = "mesh", .host = REVIEWS, .port = 9080,
			  .method = "GET", .path = "/api" };
	const mrt_route *r = mrt_match(table, &q);
	mrt_destination d;
	CHECK(r && mrt_route_destination_count(table, r) == 2);
	CHECK(mrt_route_destination(table, r, 0, &d) == 0);
	CHECK_STR(d.cluster, "outbound|9080|v3|" REVIEWS);
	CHECK(d.weight == 80);
	CHECK(mrt_route_pick(table, r, 79) == 0);
	CHECK(mrt_route_pick(table, r, 80) == 1);
	CHECK(mrt_route_pick(table, r, 100) == 0);   /* random % total */
	CHECK(mrt_route_index(table, r) == 1);
	CHECK_STR(mrt_route_virtual_service(table, r), "books/reviews");

	q.path = "/re/1";
	r = mrt_match(table, &q);
	mrt_direct_response dr;
	CHECK(r && mrt_route_action(table, r) == MRT_ACTION_DIRECT_RESPONSE);
	CHECK(r && mrt_route_direct_response(table, r, &dr) == 0 && dr.status == 418 &&
	      dr.body_len == 6 && memcmp(dr.body, "teapot", 6) == 0);

	q.path = "/";
	r = mrt_match(table, &q);
	mrt_retries rt;
	mrt_rewrite rw;
	CHECK(r && mrt_route_timeout_ms(table, r) == 3000);
	CHECK(r && mrt_route_retries(table, r, &rt) == 0 && rt.attempts == 3 &&
	      rt.per_try_timeout_ms == 2000 && strcmp(rt.retry_on, "5xx") == 0);
	CHECK(r && mrt_route_rewrite(table, r, &rw) == 0 && strcmp(rw.uri, "/v1") == 0);
	CHECK(r && mrt_route_redirect(table, r, &(mrt_redirect){0}) == -1);

	q.gateway = "istio-system/gw";
	q.port = 80;
	q.host = "x.example.org";
	q.path = "/old?k=v";
	r = mrt_match(table, &q);
	char loc[128];
	CHECK(r && mrt_route_action(table, r) == MRT_ACTION_REDIRECT);
	CHECK(r && mrt_redirect_location(table, r, &q, loc, sizeof(loc)) > 0);
	CHECK_STR(loc, "http://new.example.org/moved?k=v");
	mrt_redirect rd;
	CHECK(r && mrt_route_redirect(table, r, &rd) == 0 && rd.code == 308);

	q.port = 8080;
	q.host = "secure.example.org:8080";
	q.path = "/a";
	r = mrt_match(table, &q);
	/* Envoy keeps a non-default port on a scheme change (newUri) */
	CHECK(r && mrt_redirect_location(table, r, &q, loc, sizeof(loc)) > 0);
	CHECK_STR(loc, "https://secure.example.org:8080/a");
	q.host = "secure.example.org:80";   /* the old scheme's default goes */
	CHECK(r && mrt_redirect_location(table, r, &q, loc, sizeof(loc)) > 0);
	CHECK_STR(loc, "https://secure.example.org/a");

	mrt_request t = { .gateway = "istio-system/gw", .port = 443,
			  .sni = "a.tls.example.org" };
	CHECK_STR(route_of(&t), "tls");
	t.sni = "tls.example.org";
	CHECK_STR(route_of(&t), "tls");
	t.sni = "other.example.org";
	CHECK_STR(route_of(&t), "(none)");
}

/* A route whose only extra is its timeout answers every other accessor
 * as a route without extras does. */
static void test_timeout_only(void)
{
	mrt_request q = { .gateway = "istio-system/gw", .port = 80, .host = "b.example.org",
			  .path = "/" };
	const mrt_route *r = mrt_match(table, &q);
	CHECK(r && mrt_route_timeout_ms(table, r) == 1500);
	CHECK(r && mrt_route_retries(table, r, &(mrt_retries){0}) == -1);
	CHECK(r && mrt_route_rewrite(table, r, &(mrt_rewrite){0}) == -1);
	CHECK(r && mrt_route_fault(table, r, &(mrt_fault){0}) == -1);
	CHECK(r && mrt_route_cors(table, r, &(mrt_cors){0}) == -1);
	CHECK(r && mrt_route_mirror_count(table, r) == 0);
	CHECK(r && mrt_route_header_op_count(table, r, MRT_UNSET) == 0);
	q.gateway = "mesh";
	q.host = "ext.example.com";
	r = mrt_match(table, &q);
	CHECK(r && mrt_route_timeout_ms(table, r) == MRT_UNSET);
	CHECK(r && mrt_route_kind(table, r) == MRT_ROUTE_HTTP &&
	      mrt_route_action(table, r) == MRT_ACTION_ROUTE && mrt_route_index(table, r) == 0);
	q.gateway = "istio-system/gw";
	q.port = 443;
	q.host = NULL;
	q.sni = "a.tls.example.org";
	r = mrt_match(table, &q);
	CHECK(r && mrt_route_kind(table, r) == MRT_ROUTE_TLS);
}

static void test_deterministic(void)
{
	char err[128];
	size_t len2;
	void *again = route_emit(&model, &len2, err, sizeof(err));
	CHECK(again && len2 == blob_len && memcmp(again, blob, blob_len) == 0);
	free(again);
}

static void test_atomic_write(void)
{
	char dir[] = "/tmp/mrt-test-XXXXXX", path[64], err[256];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.mrt", dir);
	CHECK(route_write_atomic(path, blob, blob_len, err, sizeof(err)) == 0);
	mrt_table *t2;
	CHECK(mrt_open(path, &t2, err, sizeof(err)) == 0);
	mrt_close(t2);
	CHECK(route_write_atomic("/nonexistent-dir/x.mrt", blob, blob_len,
				 err, sizeof(err)) == -1 && strstr(err, "x.mrt"));
	unlink(path);
	rmdir(dir);
}

/*
 * Table identity for reloading: the checksum is the header's, equal for
 * equal bytes; generations grow with each open; mrt_table_changed sees a
 * rename into place (another inode) and an in-place rewrite (size or
 * mtime), and answers -1 for a missing path or a buffer table.
 */
static void test_identity(void)
{
	char dir[] = "/tmp/mrt-id-XXXXXX", path[64], tmp[80], err[256];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.mrt", dir);
	snprintf(tmp, sizeof(tmp), "%s/t.new", dir);
	CHECK(route_write_atomic(path, blob, blob_len, err, sizeof(err)) == 0);
	mrt_table *a = NULL, *b = NULL;
	CHECK(mrt_open(path, &a, err, sizeof(err)) == 0);
	CHECK(mrt_open(path, &b, err, sizeof(err)) == 0);
	if (!a || !b)
		return;
	uint64_t sum;
	memcpy(&sum, (const uint8_t *)blob + offsetof(struct mrt_fmt_header, checksum), 8);
	CHECK(mrt_table_checksum(a) == sum && mrt_table_checksum(b) == sum);
	CHECK(mrt_table_checksum(table) == sum);
	CHECK(mrt_table_generation(b) == mrt_table_generation(a) + 1);
	CHECK(mrt_table_generation(a) > mrt_table_generation(table));
	CHECK(mrt_table_changed(a, path) == 0);
	CHECK(mrt_table_changed(table, path) == -1);
	/* compile's way: a new file renamed over the old one. */
	CHECK(route_write_atomic(tmp, blob, blob_len, err, sizeof(err)) == 0);
	CHECK(rename(tmp, path) == 0);
	CHECK(mrt_table_changed(a, path) == 1);
	mrt_close(b);
	CHECK(mrt_open(path, &b, err, sizeof(err)) == 0);
	CHECK(b && mrt_table_changed(b, path) == 0);
	/* The old mapping still routes, complete. */
	mrt_request q = { .gateway = "mesh", .host = "reviews.books.svc.cluster.local",
			  .port = 9080, .method = "GET", .path = "/" };
	CHECK(mrt_route_count(a) == mrt_route_count(table) && mrt_match(a, &q) != NULL);
	unlink(path);
	CHECK(mrt_table_changed(b, path) == -1);
	mrt_close(a);
	mrt_close(b);
	rmdir(dir);
}

/* Opens a damaged copy; returns the error message ("" when it opened). */
static const char *open_damaged(uint8_t *b, size_t len, bool fix_checksum)
{
	static char err[256];
	mrt_table *t;
	if (fix_checksum && len >= sizeof(struct mrt_fmt_header)) {
		struct mrt_fmt_header *h = (void *)b;
		h->checksum = mrt_fmt_table_checksum(b, len);
	}
	err[0] = 0;
	if (mrt_open_buffer(b, len, &t, err, sizeof(err)) == 0) {
		mrt_close(t);
		return "";
	}
	return err;
}

static uint8_t *copy(void)
{
	uint8_t *b = aligned_alloc(8, (blob_len + 7) & ~(size_t)7);
	memcpy(b, blob, blob_len);
	return b;
}

static void test_corrupt(void)
{
	uint8_t *b = copy();
	struct mrt_fmt_header *h = (void *)b;
	CHECK(strstr(open_damaged(b, blob_len - 8, false), "size mismatch"));
	CHECK(strstr(open_damaged(b, 100, false), "truncated"));
	CHECK(strstr(open_damaged(b, 3, false), "bad magic"));
	b[4] = '\n';                                 /* CR LF -> LF damage */
	CHECK(strstr(open_damaged(b, blob_len, false), "text mode"));
	memcpy(b, blob, blob_len);
	b[blob_len - 1] ^= 1;
	CHECK(strstr(open_damaged(b, blob_len, false), "checksum mismatch"));
	memcpy(b, blob, blob_len);
	h->version = 99;
	CHECK(strstr(open_damaged(b, blob_len, false), "version"));
	memcpy(b, blob, blob_len);
	h->byte_order = 0x04030201;
	CHECK(strstr(open_damaged(b, blob_len, false), "byte order"));
	memcpy(b, blob, blob_len);
	h->sections[MRT_SEC_ROUT].offset = (uint32_t)blob_len;
	CHECK(strstr(open_damaged(b, blob_len, true), "outside the file"));
	memcpy(b, blob, blob_len);
	h->sections[MRT_SEC_ROUT].length -= 4;
	CHECK(strstr(open_damaged(b, blob_len, true), "whole number"));

	/* an index out of range: the first route's destination range */
	memcpy(b, blob, blob_len);
	struct mrt_fmt_route_data *r = (void *)(b + h->sections[MRT_SEC_RDAT].offset);
	r->dest_first = 1000000;
	CHECK(strstr(open_damaged(b, blob_len, true), "range outside"));
	memcpy(b, blob, blob_len);
	h->sections[MRT_SEC_RDAT].length -= sizeof(*r);
	CHECK(strstr(open_damaged(b, blob_len, true), "route data"));
	memcpy(b, blob, blob_len);
	struct mrt_fmt_route *hot = (void *)(b + h->sections[MRT_SEC_ROUT].offset);
	hot->info |= 3;
	CHECK(strstr(open_damaged(b, blob_len, true), "bad kind"));
	memcpy(b, blob, blob_len);
	struct mrt_fmt_dest *d = (void *)(b + h->sections[MRT_SEC_DEST].offset);
	d->cluster = 5000;
	CHECK(strstr(open_damaged(b, blob_len, true), "index out of range"));
	memcpy(b, blob, blob_len);
	struct mrt_fmt_slot *slot = (void *)(b + h->sections[MRT_SEC_HASH].offset);
	slot[0].vhost = 77777;
	CHECK(strstr(open_damaged(b, blob_len, true), "host index"));
	memcpy(b, blob, blob_len);
	slot[0].vhost = MRT_NONE;
	slot[0].hash = 5;
	CHECK(strstr(open_damaged(b, blob_len, true), "empty slot"));

	/* virtual host names must be lower case (only requests are folded) */
	memcpy(b, blob, blob_len);
	struct mrt_fmt_vhost *vh = (void *)(b + h->sections[MRT_SEC_VHST].offset);
	b[vh[0].name] = 'R';
	CHECK(strstr(open_damaged(b, blob_len, true), "lower case"));

	/* the gateway index: bad hash, a range that misses or exceeds a
	 * gateway's listeners, a listener left out */
	struct mrt_fmt_gateway *g = (void *)(b + h->sections[MRT_SEC_GWAY].offset);
	uint32_t ng = h->sections[MRT_SEC_GWAY].length / sizeof(*g), gi = 0;
	CHECK(ng >= 2 && (ng & (ng - 1)) == 0);
	memcpy(b, blob, blob_len);
	while (gi < ng && (g[gi].name == 0 || g[gi].lstn_count < 2))
		gi++;
	CHECK(gi < ng);
	if (gi < ng) {
		g[gi].hash ^= 1;
		CHECK(strstr(open_damaged(b, blob_len, true), "does not lead to its"));
		memcpy(b, blob, blob_len);
		g[gi].lstn_count--;
		CHECK(strstr(open_damaged(b, blob_len, true), "does not lead to its"));
		memcpy(b, blob, blob_len);
		g[gi].lstn_first++;
		CHECK(strstr(open_damaged(b, blob_len, true), "gateway index"));
		memcpy(b, blob, blob_len);
		memset(&g[gi], 0, sizeof(g[gi]));
		CHECK(strstr(open_damaged(b, blob_len, true), "gateway index"));
		memcpy(b, blob, blob_len);
		g[gi].lstn_count = 1000;
		CHECK(strstr(open_damaged(b, blob_len, true), "range outside"));
	}

	/* an unterminated string: overwrite the NUL after the first one */
	memcpy(b, blob, blob_len);
	uint32_t so = h->sections[MRT_SEC_STRS].offset, len0;
	memcpy(&len0, b + so, 4);
	b[so + 4 + len0] = 'x';
	CHECK(strstr(open_damaged(b, blob_len, true), "not terminated"));
	/* a string reference pointing outside the string table */
	memcpy(b, blob, blob_len);
	struct mrt_fmt_cluster *c = (void *)(b + h->sections[MRT_SEC_CLST].offset);
	c->name = h->sections[MRT_SEC_ROUT].offset;
	CHECK(strstr(open_damaged(b, blob_len, true), "bad string reference"));
	memcpy(b, blob, blob_len);
	CHECK(strcmp(open_damaged(b, blob_len, true), "") == 0);
	free(b);
}

/* Random damage with a valid checksum: open either refuses or the
 * table routes without crashing (run under ASan to mean something). */
static void test_random_damage(void)
{
	uint8_t *b = copy();
	unsigned seed = 12345, opened = 0, refused = 0;
	mrt_request q = { .gateway = "istio-system/gw", .host = "x.example.org",
			  .port = 80, .path = "/a" };
	for (int i = 0; i < 3000; i++) {
		memcpy(b, blob, blob_len);
		for (int k = 0; k < 1 + i % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = sizeof(struct mrt_fmt_header) + (seed >> 8) %
				(blob_len - sizeof(struct mrt_fmt_header));
			b[at] ^= (uint8_t)(1u << ((seed >> 4) & 7));
		}
		struct mrt_fmt_header *h = (void *)b;
		h->checksum = mrt_fmt_table_checksum(b, blob_len);
		char err[256];
		mrt_table *t;
		if (mrt_open_buffer(b, blob_len, &t, err, sizeof(err)) != 0) {
			refused++;
			continue;
		}
		opened++;
		const mrt_route *r = mrt_match(t, &q);
		if (r)
			(void)mrt_route_pick(t, r, 7);
		mrt_close(t);
	}
	CHECK(refused > 0);
	CHECK(opened + refused == 3000);
	free(b);
}

static const char *const docs[] = {
	"apiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: books}\n"
	"spec:\n  ports: [{name: http, port: 9080}]\n",
	"apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
	"metadata: {name: b-edge, namespace: books}\nspec:\n  hosts: [books.example.com]\n"
	"  gateways: [gw]\n  http:\n  - name: b\n    match: [{uri: {prefix: /b}}]\n"
	"    route: [{destination: {host: reviews}}]\n",
	"apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
	"metadata: {name: a-edge, namespace: books}\nspec:\n  hosts: [books.example.com]\n"
	"  gateways: [gw]\n  http:\n  - name: a\n    match: [{uri: {prefix: /a}}]\n"
	"    route: [{destination: {host: reviews}}]\n",
	"apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: books}\n"
	"spec:\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n"
	"    hosts: [\"*/*.example.com\"]\n",
};

/* Compiles docs in the given order from a temporary file. */
static void *compile_docs(const int *order, size_t *len)
{
	char path[] = "/tmp/mrt-order-XXXXXX.yaml", err[256];
	int fd = mkstemps(path, 5);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f)
		return NULL;
	for (int i = 0; i < 4; i++)
		fprintf(f, "---\n%s", docs[order[i]]);
	fclose(f);
	struct meshc_options opt;
	meshc_options_init(&opt);
	struct project p;
	project_init(&p, &opt);
	char *paths[1] = { path };
	project_load(&p, paths, 1);
	project_validate(&p);
	project_analyze(&p);
	project_finish_diags(&p);
	void *buf = route_compile(&p, &p.diags, len, err, sizeof(err));
	project_release(&p);
	unlink(path);
	return buf;
}

/* Input order never changes the table; VirtualServices merge by name. */
static void test_input_order(void)
{
	static const int fwd[4] = { 0, 1, 2, 3 }, rev[4] = { 3, 2, 1, 0 };
	size_t la = 0, lb = 0;
	void *a = compile_docs(fwd, &la), *b = compile_docs(rev, &lb);
	CHECK(a && b && la == lb && memcmp(a, b, la) == 0);
	mrt_table *t;
	char err[256];
	if (a && mrt_open_buffer(a, la, &t, err, sizeof(err)) == 0) {
		mrt_request q = { .gateway = "books/gw", .host = "books.example.com",
				  .port = 80, .path = "/a" };
		const mrt_route *r = mrt_match(t, &q);
		CHECK(r && strcmp(mrt_route_virtual_service(t, r), "books/a-edge") == 0);
		mrt_vhost vh;
		CHECK(mrt_vhost_get(t, 0, 0, &vh) == 0 && vh.n_routes == 2 &&
		      strcmp(mrt_route_name(t, mrt_route_at(t, vh.first_route)), "a") == 0);
		mrt_destination d;
		CHECK(r && mrt_route_destination(t, r, 0, &d) == 0 &&
		      strcmp(d.cluster, "outbound|9080||reviews.books.svc.cluster.local") == 0);
		mrt_close(t);
	}
	free(a);
	free(b);
}

/*
 * A regex that does not compile (possible only in a hand-made table:
 * meshc compile refuses one) never matches: not as a header match, and
 * not inverted either (an inverted failure must not turn into a match).
 */
static void test_bad_regex(void)
{
	struct route_model saved = model;
	route_model_init(&model, "cluster.local");
	struct rm_listener *l = route_model_listener(&model, "mesh", 80, NULL);
	struct rm_vhost *vh = route_model_vhost(&model, l, "web.ns.svc.cluster.local");
	struct rm_cond c = cond(MRT_FIELD_HEADER, MRT_OP_REGEX, "x-id", "(unclosed");
	struct rm_route *r = route_new("bad", "ns/web", 0);
	route_match(r, &c, 1);
	route_dest(r, "web.ns.svc.cluster.local", "bad", 80, 100);
	route_list_add(&model, vh->routes, r);
	c.flags = MRT_COND_INVERT;
	r = route_new("bad-inverted", "ns/web", 1);
	route_match(r, &c, 1);
	route_dest(r, "web.ns.svc.cluster.local", "bad", 80, 100);
	route_list_add(&model, vh->routes, r);
	r = route_new("fallthrough", "ns/web", 2);
	route_dest(r, "web.ns.svc.cluster.local", "good", 80, 100);
	route_list_add(&model, vh->routes, r);
	char err[256];
	size_t len = 0;
	void *b = route_emit(&model, &len, err, sizeof(err));
	mrt_table *t;
	CHECK(b && mrt_open_buffer(b, len, &t, err, sizeof(err)) == 0);
	if (b && t) {
		mrt_header h = { "x-id", "anything" };
		mrt_request q = { .host = "web.ns.svc.cluster.local", .port = 80, .path = "/" };
		const mrt_route *m = mrt_match(t, &q);
		CHECK(m && strcmp(mrt_route_name(t, m), "fallthrough") == 0);
		q.headers = &h;
		q.n_headers = 1;
		m = mrt_match(t, &q);
		CHECK(m && strcmp(mrt_route_name(t, m), "fallthrough") == 0);
		CHECK(mrt_regex_check(t, 0, err, sizeof(err)) == -1);
		mrt_close(t);
	}
	free(b);
	route_model_release(&model);
	model = saved;
}

/*
 * Linear scoring of a listener's server names, written apart from the
 * runtime's (mrt_match.c sni_score, mrt_sni.c): exact 3, the longest "*"
 * suffix 2 + its length... as Envoy's filter chain match orders them.
 */
static unsigned long sni_ref_score(const char *names, const char *name)
{
	if (!names)
		return 1;
	unsigned long best = 0;
	size_t n = name ? strlen(name) : 0;
	const char *p = names;
	while (*p) {
		size_t pl = strcspn(p, ",");
		if (pl == 1 && p[0] == '*') {
			if (best < 1)
				best = 1;
		} else if (pl >= 2 && p[0] == '*') {
			if (name && n > pl - 1 && memcmp(name + n - (pl - 1), p + 1, pl - 1) == 0 &&
			    best < 2 + pl)
				best = 2 + pl;
		} else if (name && pl == n && memcmp(name, p, n) == 0) {
			return (unsigned long)-1;
		}
		p += pl;
		if (*p == ',')
			p++;
	}
	return best;
}

/*
 * A port with many TLS servers (a workload merged from many Gateways):
 * the listener a connection takes through the server-name index built at
 * open (runs of 8 or more) must be the one the linear score picks (the
 * first of the best), for exact names, nested wildcards, "*", no names,
 * repeats, and names nothing takes.
 */
static void test_sni_index(void)
{
	struct route_model saved = model;
	route_model_init(&model, "cluster.local");
	static const char *const snis[] = {
		"a.example.com", "*.example.com", "b.example.com,*.b.example.com",
		"*.deep.b.example.com", "a.example.com", "*.example.com,c.example.com",
		"x.org,y.org,*.y.org", "*", "*.com", "tail.example.com,",
		"*.a.example.com,,z.org", NULL, "*.y.org", "only.example.net",
		"m.example.com", "*.m.example.com",
	};
	char name[32];
	size_t ns = sizeof(snis) / sizeof(snis[0]);
	for (int half = 0; half < 2; half++) {
		/* gw-full has every entry; gw-nostar lacks the catch-alls. */
		const char *gw = half ? "edge/gw-nostar" : "edge/gw-full";
		for (size_t i = 0; i < ns; i++) {
			if (half && (!snis[i] || strcmp(snis[i], "*") == 0))
				continue;
			struct rm_listener *l = route_model_listener(&model, gw, 443, snis[i]);
			snprintf(name, sizeof(name), "%s#%zu", gw, i);
			struct rm_route *r = route_new(arena_strdup(&model.arena, name), "edge/vs", 0);
			r->kind = MRT_ROUTE_TLS;
			route_dest(r, "tls.web.svc.cluster.local", NULL, 443, 100);
			route_list_add(&model, l->l4, r);
		}
	}
	char err[256];
	size_t len = 0;
	void *b = route_emit(&model, &len, err, sizeof(err));
	mrt_table *t = NULL;
	CHECK(b && mrt_open_buffer(b, len, &t, err, sizeof(err)) == 0);
	static const char *const names[] = {
		"a.example.com", "b.example.com", "q.b.example.com", "r.deep.b.example.com",
		"deep.b.example.com", "c.example.com", "example.com", "z.example.com",
		"y.org", "w.y.org", "x.org", "q.a.example.com", "z.org", "tail.example.com",
		"only.example.net", "other.net", "com", "m.example.com", "n.m.example.com",
		"", NULL,
	};
	size_t checked = 0;
	for (int half = 0; t && half < 2; half++) {
		const char *gw = half ? "edge/gw-nostar" : "edge/gw-full";
		for (size_t j = 0; j < sizeof(names) / sizeof(names[0]); j++) {
			/* The reference: the first listener of the gateway's port
			 * with the best score, in table order. */
			size_t want = SIZE_MAX;
			unsigned long best = 0;
			mrt_listener li;
			for (size_t k = 0; k < mrt_listener_count(t); k++) {
				if (mrt_listener_get(t, k, &li) != 0 || strcmp(li.gateway, gw) != 0)
					continue;
				unsigned long sc = sni_ref_score(li.sni, names[j]);
				if (sc > best) {
					best = sc;
					want = k;
				}
			}
			mrt_request q = { .gateway = gw, .port = 443, .sni = names[j] };
			mrt_result res;
			mrt_match_result(t, &q, &res);   /* the listener, even with no route */
			size_t got = res.listener == MRT_UNSET ? SIZE_MAX : res.listener;
			if (got != want)
				fprintf(stderr, "sni %s on %s: listener %zu, want %zu\n",
					names[j] ? names[j] : "(none)", gw, got, want);
			CHECK(got == want);
			checked++;
		}
	}
	CHECK(checked == 2 * sizeof(names) / sizeof(names[0]));
	mrt_close(t);
	free(b);
	route_model_release(&model);
	model = saved;
}

int main(void)
{
	RUN(test_bad_regex);
	RUN(test_sni_index);
	RUN(test_input_order);
	RUN(test_checksum);
	RUN(test_layout);
	RUN(test_index_hash);
	RUN(open_model);
	if (table) {
		RUN(test_is_table);
		RUN(test_match_types);
		RUN(test_hosts);
		RUN(test_actions);
		RUN(test_timeout_only);
		RUN(test_deterministic);
		RUN(test_atomic_write);
		RUN(test_identity);
		RUN(test_corrupt);
		RUN(test_random_damage);
		mrt_close(table);
	}
	free(blob);
	route_model_release(&model);
	return unit_end();
}
