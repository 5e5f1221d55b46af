/*
 * Trusting a route table: what mrt_open() must refuse, how long it may
 * take, and what it must never block on. The tables are written by the
 * emitter from small route models, then damaged on purpose:
 *  - any byte of the header (the checksum covers it);
 *  - crafted with a recomputed checksum, so only the verifier can catch
 *    them: index entries pointing into another listener's virtual hosts
 *    (the HTTPS-redirect bypass), overlapping listener ranges, a wrong
 *    slot hash, a host listed twice, an unreachable slot, long probe runs;
 *  - open time against table size, for an ordinary and a hostile shape
 *    (a scaling bound on thread CPU time, best of several runs).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compiler.h"
#include "meshrt.h"
#include "mrt_format.h"
#include "route_model.h"
#include "unit.h"

static struct rm_route *route_to(struct route_model *m, const char *name,
				 const char *host, unsigned port)
{
	struct rm_route *r = arena_alloc(&m->arena, sizeof(*r));
	r->name = name;
	r->vs = "edge/web";
	r->kind = MRT_ROUTE_HTTP;
	r->action = MRT_ACTION_ROUTE;
	r->timeout_ms = MRT_UNSET;
	r->dests = arena_alloc(&m->arena, sizeof(*r->dests));
	r->dests[0].cluster = route_model_cluster(m, host, NULL, port);
	r->dests[0].weight = 100;
	r->n_dests = 1;
	return r;
}

/*
 * A gateway with an HTTP server on port 80 that redirects a.example.com
 * to HTTPS, and an HTTPS server on 443; each listener has the exact
 * host, a wildcard and "*".
 */
static void *build_gateway(size_t *len)
{
	static const char *const hosts[] = { "a.example.com", "*.example.com", "*" };
	struct route_model m;
	char err[256];
	route_model_init(&m, "cluster.local");
	for (int port = 80; port <= 443; port += 363) {
		struct rm_listener *l = route_model_listener(&m, "edge/gw", (unsigned)port, NULL);
		for (int i = 0; i < 3; i++) {
			struct rm_vhost *vh = route_model_vhost(&m, l, hosts[i]);
			if (port == 80 && i == 0)
				vh->flags = MRT_VH_HTTPS_REDIRECT;
			/* (named for what it stands for: the redirect is the
			 * route of port 80's a.example.com) */
			route_list_add(&m, vh->routes, route_to(&m,
				port == 443 ? "tls" : i == 0 ? "redirect" : "plain",
				"web.edge.svc.cluster.local", 8080));
		}
	}
	void *blob = route_emit(&m, len, err, sizeof(err));
	route_model_release(&m);
	return blob;
}

static uint8_t *copy_of(const void *blob, size_t len)
{
	uint8_t *b = aligned_alloc(8, (len + 7) & ~(size_t)7);
	memcpy(b, blob, len);
	return b;
}

static struct mrt_fmt_header *hdr(uint8_t *b)
{
	return (struct mrt_fmt_header *)(void *)b;
}

static void *sec(uint8_t *b, enum mrt_section s)
{
	return b + hdr(b)->sections[s].offset;
}

static uint32_t count(uint8_t *b, enum mrt_section s)
{
	return hdr(b)->sections[s].length / mrt_fmt_record_size[s];
}

/* Opens b; the verifier's message, or "" when it opened. With fix, the
 * checksum is recomputed first (a crafted table). */
static const char *try_open(uint8_t *b, size_t len, bool fix)
{
	static char err[256];
	mrt_table *t;
	if (fix)
		hdr(b)->checksum = mrt_fmt_table_checksum(b, len);
	err[0] = 0;
	if (mrt_open_buffer(b, len, &t, err, sizeof(err)) == 0) {
		mrt_close(t);
		return "";
	}
	return err;
}

/* The listener index of (edge/gw, port) in table bytes b. */
static uint32_t listener_at(uint8_t *b, unsigned port)
{
	struct mrt_fmt_listener *l = sec(b, MRT_SEC_LSTN);
	for (uint32_t i = 0; i < count(b, MRT_SEC_LSTN); i++)
		if (l[i].port == port)
			return i;
	return MRT_NONE;
}

/* The vhost index named `host` in listener li. */
static uint32_t vhost_named(uint8_t *b, uint32_t li, const char *host)
{
	struct mrt_fmt_listener *l = (struct mrt_fmt_listener *)sec(b, MRT_SEC_LSTN) + li;
	struct mrt_fmt_vhost *v = sec(b, MRT_SEC_VHST);
	for (uint32_t i = l->vhost_first; i < l->vhost_first + l->vhost_count; i++)
		if (strcmp((const char *)b + v[i].name, host) == 0)
			return i;
	return MRT_NONE;
}

/* The route name a request to a.example.com on port `port` reaches. */
static const char *route_for(uint8_t *b, size_t len, unsigned port)
{
	static char name[64];
	mrt_table *t;
	char err[256];
	if (mrt_open_buffer(b, len, &t, err, sizeof(err)) != 0)
		return "(refused)";
	mrt_request q = { .gateway = "edge/gw", .host = "a.example.com", .port = port,
			  .path = "/" };
	const mrt_route *r = mrt_match(t, &q);
	snprintf(name, sizeof(name), "%s", r ? mrt_route_name(t, r) : "(none)");
	mrt_close(t);
	return name;
}

/* Every byte of the header is covered: one flipped bit anywhere in it
 * is refused, the domain reference (byte 44) included. */
static void test_header_checksum(void)
{
	size_t len;
	void *blob = build_gateway(&len);
	CHECK(blob != NULL);
	if (!blob)
		return;
	uint8_t *b = copy_of(blob, len);
	CHECK(strcmp(try_open(b, len, false), "") == 0);
	unsigned refused = 0;
	for (size_t i = 0; i < sizeof(struct mrt_fmt_header); i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(b, blob, len);
			b[i] ^= (uint8_t)(1u << bit);
			refused += try_open(b, len, false)[0] != 0;
		}
	}
	CHECK(refused == 8 * sizeof(struct mrt_fmt_header));
	/* The domain moved to another valid string (a host name): without
	 * the header in the checksum this opened and broke short names. */
	memcpy(b, blob, len);
	struct mrt_fmt_vhost *v = sec(b, MRT_SEC_VHST);
	hdr(b)->domain = v[0].name;
	CHECK(strstr(try_open(b, len, false), "checksum mismatch"));
	/* mrt_fmt_table_checksum skips exactly the checksum field. */
	memcpy(b, blob, len);
	uint64_t sum = hdr(b)->checksum;
	hdr(b)->checksum = 0;
	CHECK(mrt_fmt_table_checksum(b, len) == sum);
	CHECK(mrt_fmt_checksum(b, len) == sum);
	free(b);
	free(blob);
}

/* Index entries must point into their own listener's virtual hosts:
 * each crafted table below, checksum recomputed, is refused. The first
 * is the bypass: port 80's slot for a.example.com pointing at port 443's
 * virtual host, so requests skip the redirect a dump shows. */
static void test_ownership(void)
{
	size_t len;
	void *blob = build_gateway(&len);
	if (!blob) {
		CHECK(blob != NULL);
		return;
	}
	uint8_t *b = copy_of(blob, len);
	uint32_t l80 = listener_at(b, 80), l443 = listener_at(b, 443);
	CHECK(l80 != MRT_NONE && l443 != MRT_NONE);
	CHECK_STR(route_for(b, len, 80), "redirect");
	CHECK_STR(route_for(b, len, 443), "tls");
	struct mrt_fmt_listener *l = sec(b, MRT_SEC_LSTN);
	struct mrt_fmt_slot *slot = sec(b, MRT_SEC_HASH);
	uint32_t *wild = sec(b, MRT_SEC_WILD);
	uint32_t own = vhost_named(b, l80, "a.example.com");
	uint32_t other = vhost_named(b, l443, "a.example.com");
	CHECK(own != MRT_NONE && other != MRT_NONE);

	/* 1. the bypass */
	for (uint32_t k = 0; k < l[l80].hash_size; k++)
		if (slot[l[l80].hash_first + k].vhost == own)
			slot[l[l80].hash_first + k].vhost = other;
	CHECK(*try_open(b, len, true) != 0);
	/* 2. a wildcard entry into the other listener */
	memcpy(b, blob, len);
	wild[l[l80].wild_first] = vhost_named(b, l443, "*.example.com");
	CHECK(strstr(try_open(b, len, true), "wildcard entry"));
	/* 3. the catch-all into the other listener */
	memcpy(b, blob, len);
	l[l80].star = vhost_named(b, l443, "*");
	CHECK(strstr(try_open(b, len, true), "catch-all"));
	/* 4. two listeners sharing virtual hosts (ranges overlap) */
	memcpy(b, blob, len);
	l[l443].vhost_first = l[l80].vhost_first;
	CHECK(strstr(try_open(b, len, true), "overlaps"));
	memcpy(b, blob, len);
	l[l443].hash_first = l[l80].hash_first;
	l[l443].hash_size = l[l80].hash_size;
	CHECK(strstr(try_open(b, len, true), "overlaps"));
	/* 5. a slot with a wrong hash: the lookup would miss the host */
	memcpy(b, blob, len);
	for (uint32_t k = 0; k < l[l80].hash_size; k++)
		if (slot[l[l80].hash_first + k].vhost == own)
			slot[l[l80].hash_first + k].hash ^= 0x100;
	CHECK(strstr(try_open(b, len, true), "wrong hash"));
	/* 6. a slot moved away from its probe sequence (an empty slot before
	 * it): unreachable, requests would fall through to the wildcard */
	memcpy(b, blob, len);
	{
		struct mrt_fmt_slot *s = &slot[l[l80].hash_first];
		uint32_t n = l[l80].hash_size, at = 0;
		while (at < n && s[at].vhost != own)
			at++;
		uint32_t to = (at + n / 2) & (n - 1);
		CHECK(at < n && s[to].vhost == MRT_NONE);
		s[to] = s[at];
		s[at].vhost = s[at].hash = MRT_NONE;
		CHECK(strstr(try_open(b, len, true), "cannot be found"));
	}
	/* 7. a host listed twice in one listener */
	memcpy(b, blob, len);
	{
		struct mrt_fmt_vhost *v = sec(b, MRT_SEC_VHST);
		v[l[l80].vhost_first + 1].name = v[l[l80].vhost_first].name;
		CHECK(strstr(try_open(b, len, true), "listed twice"));
	}
	/* and the untouched copy still opens */
	memcpy(b, blob, len);
	CHECK(strcmp(try_open(b, len, true), "") == 0);
	free(b);
	free(blob);
}

/* The emitter keeps probe runs short; a crafted index with a long run
 * (every lookup would walk it) is refused. */
static void test_probe_runs(void)
{
	struct route_model m;
	char err[256], host[64];
	size_t len;
	route_model_init(&m, "cluster.local");
	struct rm_listener *l = route_model_listener(&m, "mesh", 80, NULL);
	for (int i = 0; i < 200; i++) {
		snprintf(host, sizeof(host), "h%d.example.com", i);
		struct rm_vhost *vh = route_model_vhost(&m, l, host);
		route_list_add(&m, vh->routes, route_to(&m, NULL, host, 80));
	}
	void *blob = route_emit(&m, &len, err, sizeof(err));
	route_model_release(&m);
	CHECK(blob != NULL);
	if (!blob)
		return;
	uint8_t *b = copy_of(blob, len);
	CHECK(strcmp(try_open(b, len, false), "") == 0);
	/* Re-insert the 200 hosts into the first 256 slots in a row from
	 * slot 0 (reachable, as each home is 0): one run of 200. */
	struct mrt_fmt_listener *lf = sec(b, MRT_SEC_LSTN);
	struct mrt_fmt_slot *s = (struct mrt_fmt_slot *)sec(b, MRT_SEC_HASH) + lf->hash_first;
	struct mrt_fmt_vhost *v = sec(b, MRT_SEC_VHST);
	CHECK(lf->hash_size >= 256);
	uint32_t n = lf->hash_size;
	for (uint32_t k = 0; k < n; k++)
		s[k].vhost = s[k].hash = MRT_NONE;
	for (uint32_t k = 0; k < 200; k++) {
		s[k].vhost = lf->vhost_first + k;
		s[k].hash = mrt_fmt_hash((const char *)b + v[s[k].vhost].name,
					 strlen((const char *)b + v[s[k].vhost].name));
	}
	CHECK(*try_open(b, len, true) != 0);
	free(b);
	free(blob);
}

/* A FIFO (or a device) is refused before any open that could block: a
 * proxy reloading its table never hangs. */
static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "test_table: mrt_open blocked on a FIFO\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(3);
}

static void test_fifo(void)
{
	char dir[] = "/tmp/mrt-fifo-XXXXXX", path[64], err[256];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.mrt", dir);
	CHECK(mkfifo(path, 0600) == 0);
	signal(SIGALRM, on_alarm);
	alarm(10);
	mrt_table *t = NULL;
	CHECK(mrt_open(path, &t, err, sizeof(err)) == -1 && t == NULL);
	CHECK(strstr(err, "not a regular file") != NULL);
	CHECK(mrt_open("/dev/zero", &t, err, sizeof(err)) == -1);
	CHECK(strstr(err, "not a regular file") != NULL);
	alarm(0);
	unlink(path);
	rmdir(dir);
}

/* ---- open time against table size ---- */

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Best of several mrt_open_buffer() runs, in seconds; *ok when it opened. */
static double open_time(const void *blob, size_t len, bool *ok)
{
	double best = 1e9;
	for (int run = 0; run < 5; run++) {
		mrt_table *t;
		char err[256];
		double t0 = cpu_now();
		int rc = mrt_open_buffer(blob, len, &t, err, sizeof(err));
		double dt = cpu_now() - t0;
		*ok = rc == 0;
		if (rc == 0)
			mrt_close(t);
		if (dt < best)
			best = dt;
	}
	return best;
}

/* An ordinary mesh: n services, each its own host on port 80 and its
 * Service port, with one route. */
static void *build_mesh(unsigned n, size_t *len)
{
	struct route_model m;
	char err[256], host[96];
	route_model_init(&m, "cluster.local");
	struct rm_listener *l80 = route_model_listener(&m, "mesh", 80, NULL);
	for (unsigned i = 0; i < n; i++) {
		snprintf(host, sizeof(host), "svc-%u.ns-%u.svc.cluster.local", i, i % 50);
		struct rm_listener *l = route_model_listener(&m, "mesh", 8000 + i % 100, NULL);
		struct rm_route *r = route_to(&m, NULL, host, 80);
		route_list_add(&m, route_model_vhost(&m, l80, host)->routes, r);
		route_list_add(&m, route_model_vhost(&m, l, host)->routes, r);
	}
	void *blob = route_emit(&m, len, err, sizeof(err));
	route_model_release(&m);
	return blob;
}

/*
 * A hostile shape: n listeners whose virtual hosts all name one string
 * as long as the whole table is large (a cluster host of n * 64 bytes,
 * its reference copied into every virtual host). Checking each host's
 * name again would make opening quadratic; names are bounded, so it is
 * refused at once.
 */
static void *build_shared_name(unsigned n, size_t *len)
{
	struct route_model m;
	char err[256];
	route_model_init(&m, "cluster.local");
	size_t ll = (size_t)n * 64;
	char *longname = malloc(ll + 1);
	memset(longname, 'a', ll);
	longname[ll] = 0;
	(void)route_model_cluster(&m, longname, NULL, 1);
	for (unsigned i = 0; i < n; i++) {
		struct rm_listener *l = route_model_listener(&m, "mesh", 1 + i, NULL);
		struct rm_vhost *vh = route_model_vhost(&m, l, "x");
		route_list_add(&m, vh->routes, route_to(&m, NULL, "x", 1));
	}
	uint8_t *blob = route_emit(&m, len, err, sizeof(err));
	route_model_release(&m);
	if (!blob) {
		free(longname);
		return NULL;
	}
	/* The long string's reference: the cluster whose host it is. */
	struct mrt_fmt_cluster *c = sec(blob, MRT_SEC_CLST);
	uint32_t ref = 0;
	for (uint32_t i = 0; i < count(blob, MRT_SEC_CLST); i++)
		if (strlen((const char *)blob + c[i].host) == ll)
			ref = c[i].host;
	struct mrt_fmt_vhost *v = sec(blob, MRT_SEC_VHST);
	for (uint32_t i = 0; i < count(blob, MRT_SEC_VHST); i++)
		v[i].name = ref;
	hdr(blob)->checksum = mrt_fmt_table_checksum(blob, *len);
	free(longname);
	return ref ? blob : NULL;
}

/* The most each reference may cost: n listeners whose one virtual host
 * has a name of the largest size allowed, the same string for all. */
static void *build_longest_names(unsigned n, size_t *len)
{
	struct route_model m;
	char err[256], name[MRT_NAME_MAX + 1];
	route_model_init(&m, "cluster.local");
	memset(name, 'a', MRT_NAME_MAX);
	name[MRT_NAME_MAX] = 0;
	for (unsigned i = 0; i < n; i++) {
		struct rm_listener *l = route_model_listener(&m, "mesh", 1 + i, NULL);
		struct rm_vhost *vh = route_model_vhost(&m, l, name);
		route_list_add(&m, vh->routes, route_to(&m, NULL, "x", 1));
	}
	void *blob = route_emit(&m, len, err, sizeof(err));
	route_model_release(&m);
	return blob;
}

/* 8x the table may take at most 32x the time (and 2 ms of slack for a
 * busy machine): linear, with room for noise; quadratic fails by far. */
static void check_scaling(const char *what, void *(*build)(unsigned, size_t *),
			  unsigned n, bool want_open)
{
	size_t l1 = 0, l8 = 0;
	void *a = build(n, &l1), *b = build(8 * n, &l8);
	CHECK(a && b);
	if (a && b) {
		bool ok1, ok8;
		double t1 = open_time(a, l1, &ok1), t8 = open_time(b, l8, &ok8);
		CHECK(ok1 == want_open && ok8 == want_open);
		CHECK(l8 > 6 * l1);
		if (getenv("TEST_TABLE_VERBOSE") || !(t8 < 32 * t1 + 0.002))
			fprintf(stderr, "%s: %zu bytes open in %.3f ms, %zu bytes in %.3f ms\n",
				what, l1, t1 * 1e3, l8, t8 * 1e3);
		CHECK(t8 < 32 * t1 + 0.002);
	}
	free(a);
	free(b);
}

static void test_open_scaling(void)
{
	check_scaling("ordinary mesh", build_mesh, 2000, true);
	check_scaling("shared long name", build_shared_name, 1000, false);
	check_scaling("longest names", build_longest_names, 1000, true);
}

int main(void)
{
	RUN(test_header_checksum);
	RUN(test_ownership);
	RUN(test_probe_runs);
	RUN(test_fifo);
	RUN(test_open_scaling);
	return unit_end();
}
