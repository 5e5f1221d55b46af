/*
 * bench_rt: lookup figures of `make bench`, linked against libmeshrt.a.
 *
 * Given a table compiled by `meshc compile` from a gen_mesh mesh and the
 * TSV of sample requests gen_mesh wrote beside it (kind, gateway, host,
 * port, path, expected route name), it measures:
 *   - mrt_open + mrt_close of the table, in microseconds (median, p99);
 *   - mrt_match per call, in ns (median, p99), for three kinds of
 *     request: "plain" (mesh routes reached without any regex), "regex"
 *     (mesh requests that reach and match a regex route) and "edge"
 *     (gateway-bound routes), each warm (a small working set called over
 *     and over) and cold (every CPU cache evicted before each call by
 *     streaming through a buffer larger than the last-level cache; the
 *     request's own strings are touched again, as a proxy that has just
 *     parsed them would have them cached);
 *   - the cost of reaching a regex route: the difference between a
 *     regex request and the plain request of the same service timed back
 *     to back (median);
 *   - the floor peer: one probe of an open-addressing hash table holding
 *     the same host names (FNV-1a, linear probing, byte comparison), warm
 *     and cold, for the plain requests' hosts.
 * Before timing, every request is matched once and its route's name is
 * compared with the expected one; this also compiles every regex, so the
 * timed calls measure matching, not first-use compilation.
 *
 * Each call is timed on its own with the time-stamp counter (rdtscp,
 * calibrated against CLOCK_MONOTONIC) on x86, clock_gettime elsewhere;
 * the timer's own median cost is subtracted. A cold sample during which
 * the thread was switched out is taken again (NAME_retried counts them).
 *
 * Usage: bench_rt [-w WARM_CALLS] [-c COLD_CALLS] [-e EVICT_MB] TABLE REQUESTS.tsv
 * Output: key=value lines on standard output (see bench/README.md);
 * exit 0, 1 when a request matched no route or the wrong one, 2 on error.
 */
#include "meshrt.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define RT_HAVE_TSC 1
#endif

enum rt_kind { RT_PLAIN, RT_REGEX, RT_EDGE, RT_KIND_COUNT };
static const char *const rt_kind_names[RT_KIND_COUNT] = {"plain", "regex", "edge"};

struct rt_req {
	enum rt_kind kind;
	char *expected;
	mrt_request req;
};

struct rt_reqs {
	struct rt_req *v;
	size_t n, cap;
};

static double rt_ns_per_tick = 1.0;
static volatile uintptr_t rt_sink;

static void *rt_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "bench_rt: out of memory\n");
		exit(2);
	}
	return p;
}

static char *rt_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(rt_xmalloc(n), s, n);
}

static uint64_t rt_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The cheapest serialising timestamp available, in ticks. */
static inline uint64_t rt_ticks(void)
{
#ifdef RT_HAVE_TSC
	unsigned aux;
	return __rdtscp(&aux);
#else
	return rt_mono_ns();
#endif
}

/* Sets rt_ns_per_tick by timing the tick counter against the clock. */
static void rt_calibrate(void)
{
#ifdef RT_HAVE_TSC
	uint64_t n0 = rt_mono_ns(), t0 = rt_ticks();
	while (rt_mono_ns() - n0 < 100000000u)
		;
	uint64_t n1 = rt_mono_ns(), t1 = rt_ticks();
	rt_ns_per_tick = (double)(n1 - n0) / (double)(t1 - t0);
#endif
}

static int rt_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Sorts samples (ticks) and returns the q-quantile (0..1) in ns. */
static double rt_quantile(uint64_t *s, size_t n, double q)
{
	if (n == 0)
		return 0;
	qsort(s, n, sizeof *s, rt_cmp_u64);
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);
	return (double)s[i] * rt_ns_per_tick;
}

/* The median cost of an empty timed region, in ticks. */
static uint64_t rt_timer_overhead(void)
{
	enum { N = 10001 };
	uint64_t *s = rt_xmalloc(N * sizeof *s);
	for (size_t i = 0; i < N; i++) {
		uint64_t t0 = rt_ticks();
		uint64_t t1 = rt_ticks();
		s[i] = t1 - t0;
	}
	qsort(s, N, sizeof *s, rt_cmp_u64);
	uint64_t o = s[N / 2];
	free(s);
	return o;
}

/*
 * Reads the TSV gen_mesh wrote. Each line: kind, gateway, host, port,
 * path, expected route name. Exits 2 on a malformed line.
 */
static void rt_load_requests(const char *path, struct rt_reqs *out)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "bench_rt: cannot read '%s': %s\n", path, strerror(errno));
		exit(2);
	}
	char line[4096];
	unsigned long lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		char *field[6];
		int nf = 0;
		char *p = line;
		while (nf < 6) {
			field[nf++] = p;
			char *tab = strchr(p, '\t');
			if (!tab)
				break;
			*tab = '\0';
			p = tab + 1;
		}
		int kind = -1;
		for (int k = 0; k < RT_KIND_COUNT; k++)
			if (nf == 6 && strcmp(field[0], rt_kind_names[k]) == 0)
				kind = k;
		char *end;
		unsigned long port = nf == 6 ? strtoul(field[3], &end, 10) : 0;
		if (kind < 0 || port == 0 || port > 65535 || *end != '\0') {
			fprintf(stderr, "bench_rt: %s:%lu: malformed request line\n", path, lineno);
			exit(2);
		}
		if (out->n == out->cap) {
			out->cap = out->cap ? out->cap * 2 : 1024;
			struct rt_req *nv = realloc(out->v, out->cap * sizeof *nv);
			if (!nv) {
				fprintf(stderr, "bench_rt: out of memory\n");
				exit(2);
			}
			out->v = nv;
		}
		struct rt_req *r = &out->v[out->n++];
		memset(r, 0, sizeof *r);
		r->kind = (enum rt_kind)kind;
		r->expected = rt_xstrdup(field[5]);
		r->req.gateway = rt_xstrdup(field[1]);
		r->req.host = rt_xstrdup(field[2]);
		r->req.port = (unsigned)port;
		r->req.method = "GET";
		r->req.path = rt_xstrdup(field[4]);
		r->req.scheme = port == 443 ? "https" : "http";
	}
	fclose(f);
}

/* ---- The floor peer: one probe of a hash table of host names ---------- */

struct rt_hslot {
	uint64_t hash;
	const char *host;           /* NULL: empty slot */
};

struct rt_htable {
	struct rt_hslot *slots;
	size_t mask;
};

static uint64_t rt_fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211u;
	}
	return h;
}

/* The slot holding host, or NULL. */
static const char *rt_hprobe(const struct rt_htable *t, const char *host)
{
	uint64_t h = rt_fnv1a(host);
	for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
		const struct rt_hslot *s = &t->slots[i];
		if (!s->host)
			return NULL;
		if (s->hash == h && strcmp(s->host, host) == 0)
			return s->host;
	}
}

/* Builds the table of the requests' distinct hosts (own copies, so they
 * are as cold as the table when the caches are evicted). */
static void rt_hbuild(struct rt_htable *t, const struct rt_reqs *rs)
{
	size_t cap = 16;
	while (cap < rs->n * 2)
		cap *= 2;
	t->slots = calloc(cap, sizeof *t->slots);
	if (!t->slots) {
		fprintf(stderr, "bench_rt: out of memory\n");
		exit(2);
	}
	t->mask = cap - 1;
	for (size_t i = 0; i < rs->n; i++) {
		const char *host = rs->v[i].req.host;
		if (rt_hprobe(t, host))
			continue;
		uint64_t h = rt_fnv1a(host);
		size_t j = h & t->mask;
		while (t->slots[j].host)
			j = (j + 1) & t->mask;
		t->slots[j].hash = h;
		t->slots[j].host = rt_xstrdup(host);
	}
}

/* ---- Measurements ------------------------------------------------------ */

static unsigned char *rt_evict_buf;
static size_t rt_evict_len;

/* Streams (reads) through a buffer larger than the caches, then touches
 * the request's own strings again. Reading keeps the evicted lines clean,
 * so the timed call pays no write-backs. */
static void rt_evict(const mrt_request *q)
{
	uintptr_t acc = 0;
	for (size_t i = 0; i < rt_evict_len; i += 64)
		acc += rt_evict_buf[i];
	acc += strlen(q->host) + strlen(q->path) + strlen(q->gateway) + strlen(q->method);
	rt_sink = acc;
}

struct rt_subject {
	const mrt_table *table;     /* NULL: probe the host table instead */
	const struct rt_htable *hosts;
};

static inline uintptr_t rt_call(const struct rt_subject *s, const mrt_request *q)
{
	if (s->table)
		return (uintptr_t)mrt_match(s->table, q);
	return (uintptr_t)rt_hprobe(s->hosts, q->host);
}

/*
 * Times `calls` calls cycling over the first `set` entries of idx (warm),
 * or `calls` calls on pseudo-random entries with the caches evicted
 * before each (cold). Prints NAME_median_ns and NAME_p99_ns.
 */
static void rt_measure(const char *name, const struct rt_subject *s, const struct rt_reqs *rs,
		       const size_t *idx, size_t nidx, size_t calls, int cold, uint64_t overhead)
{
	if (nidx == 0) {
		printf("%s_median_ns=skipped\n%s_p99_ns=skipped\n", name, name);
		return;
	}
	uint64_t *samples = rt_xmalloc(calls * sizeof *samples);
	size_t set = nidx < 64 ? nidx : 64;
	uint64_t rnd = 88172645463325252u;
	size_t retried = 0;
	for (size_t i = 0; i < calls; i++) {
		size_t k;
		if (!cold) {
			k = idx[i % set];
			const mrt_request *q = &rs->v[k].req;
			uint64_t t0 = rt_ticks();
			uintptr_t r = rt_call(s, q);
			uint64_t t1 = rt_ticks();
			rt_sink = r;
			uint64_t d = t1 - t0;
			samples[i] = d > overhead ? d - overhead : 0;
			continue;
		}
		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		k = idx[rnd % nidx];
		const mrt_request *q = &rs->v[k].req;
		/* A cold call is one sample among few: one that the scheduler
		 * interrupted is measured again (up to three times). */
		for (int attempt = 0;; attempt++) {
			struct rusage ru0, ru1;
			rt_evict(q);
			getrusage(RUSAGE_THREAD, &ru0);
			uint64_t t0 = rt_ticks();
			uintptr_t r = rt_call(s, q);
			uint64_t t1 = rt_ticks();
			getrusage(RUSAGE_THREAD, &ru1);
			rt_sink = r;
			uint64_t d = t1 - t0;
			samples[i] = d > overhead ? d - overhead : 0;
			if (attempt == 3 || (ru0.ru_nivcsw == ru1.ru_nivcsw &&
					     ru0.ru_nvcsw == ru1.ru_nvcsw))
				break;
			retried++;
		}
	}
	printf("%s_median_ns=%.1f\n", name, rt_quantile(samples, calls, 0.5));
	printf("%s_p99_ns=%.1f\n", name, rt_quantile(samples, calls, 0.99));
	if (cold) {
		printf("%s_retried=%zu\n", name, retried);
	} else {
		/* Cross-check without per-call timers: a plain loop's mean. */
		uint64_t t0 = rt_mono_ns();
		for (size_t i = 0; i < calls; i++)
			rt_sink = rt_call(s, &rs->v[idx[i % set]].req);
		uint64_t batch_ns = rt_mono_ns() - t0;
		printf("%s_loop_mean_ns=%.1f\n", name, (double)batch_ns / (double)calls);
	}
	free(samples);
}

/*
 * The cost of reaching a regex route, by pairs: for services with a regex
 * route, the request answered before it (plain) and the one that reaches
 * and matches it (regex) are timed back to back, warm, so both see the
 * same interference from the rest of the machine; prints the median of
 * the differences. The regex request also passes the routes between the
 * two (a failed prefix pair, sometimes an exact match), so this is an
 * upper bound on the regex's own cost.
 */
static void rt_measure_regex_cost(const mrt_table *t, const struct rt_reqs *rs, size_t calls)
{
	size_t *plain = rt_xmalloc(rs->n * sizeof *plain);
	size_t *regex = rt_xmalloc(rs->n * sizeof *regex);
	size_t npairs = 0;
	for (size_t i = 1; i < rs->n && npairs < 64; i++) {
		const struct rt_req *a = &rs->v[i - 1], *b = &rs->v[i];
		if (a->kind == RT_PLAIN && b->kind == RT_REGEX &&
		    strcmp(a->req.host, b->req.host) == 0 &&
		    mrt_match(t, &a->req) && mrt_match(t, &b->req)) {
			plain[npairs] = i - 1;
			regex[npairs] = i;
			npairs++;
		}
	}
	if (npairs == 0) {
		printf("regex_cost_warm_median_ns=skipped\n");
		free(plain);
		free(regex);
		return;
	}
	int64_t *diff = rt_xmalloc(calls * sizeof *diff);
	for (size_t i = 0; i < calls; i++) {
		const mrt_request *qp = &rs->v[plain[i % npairs]].req;
		const mrt_request *qr = &rs->v[regex[i % npairs]].req;
		uint64_t t0 = rt_ticks();
		rt_sink = (uintptr_t)mrt_match(t, qp);
		uint64_t t1 = rt_ticks();
		rt_sink = (uintptr_t)mrt_match(t, qr);
		uint64_t t2 = rt_ticks();
		/* The timer's own cost is in both halves and cancels out. */
		diff[i] = (int64_t)(t2 - t1) - (int64_t)(t1 - t0);
	}
	/* Sort signed differences by shifting them into unsigned order. */
	uint64_t *u = (uint64_t *)diff;
	for (size_t i = 0; i < calls; i++)
		u[i] = (uint64_t)diff[i] ^ (UINT64_C(1) << 63);
	qsort(u, calls, sizeof *u, rt_cmp_u64);
	int64_t med = (int64_t)(u[calls / 2] ^ (UINT64_C(1) << 63));
	printf("regex_cost_warm_median_ns=%.1f\n", (double)med * rt_ns_per_tick);
	free(diff);
	free(plain);
	free(regex);
}

/* Times mrt_open + mrt_close; prints open_us_median and open_us_p99. */
static void rt_measure_open(const char *path)
{
	enum { N = 201 };
	uint64_t s[N];
	char err[256];
	for (int i = -5; i < N; i++) {
		mrt_table *t;
		uint64_t t0 = rt_mono_ns();
		if (mrt_open(path, &t, err, sizeof err) != 0) {
			fprintf(stderr, "bench_rt: %s: %s\n", path, err);
			exit(2);
		}
		uint64_t t1 = rt_mono_ns();
		mrt_close(t);
		if (i >= 0)
			s[i] = t1 - t0;
	}
	qsort(s, N, sizeof *s, rt_cmp_u64);
	printf("open_us_median=%.1f\nopen_us_p99=%.1f\n", (double)s[N / 2] / 1e3,
	       (double)s[(size_t)(0.99 * (N - 1) + 0.5)] / 1e3);
}

static void rt_usage(void)
{
	fprintf(stderr, "usage: bench_rt [-w WARM_CALLS] [-c COLD_CALLS] [-e EVICT_MB] "
		"TABLE REQUESTS.tsv\n");
	exit(2);
}

int main(int argc, char **argv)
{
	size_t warm_calls = 200000, cold_calls = 400, evict_mb = 64;
	int ai = 1;
	for (; ai + 1 < argc && argv[ai][0] == '-'; ai += 2) {
		unsigned long v = strtoul(argv[ai + 1], NULL, 10);
		if (strcmp(argv[ai], "-w") == 0 && v > 0)
			warm_calls = v;
		else if (strcmp(argv[ai], "-c") == 0 && v > 0)
			cold_calls = v;
		else if (strcmp(argv[ai], "-e") == 0 && v > 0 && v < 65536)
			evict_mb = v;
		else
			rt_usage();
	}
	if (argc - ai != 2)
		rt_usage();
	const char *table_path = argv[ai], *req_path = argv[ai + 1];

	struct rt_reqs rs = {0};
	rt_load_requests(req_path, &rs);
	rt_calibrate();
	uint64_t overhead = rt_timer_overhead();
	printf("timer=%s timer_overhead_ns=%.1f\n",
#ifdef RT_HAVE_TSC
	       "rdtscp",
#else
	       "clock_gettime",
#endif
	       (double)overhead * rt_ns_per_tick);

	rt_measure_open(table_path);
	mrt_table *t;
	char err[256];
	if (mrt_open(table_path, &t, err, sizeof err) != 0) {
		fprintf(stderr, "bench_rt: %s: %s\n", table_path, err);
		return 2;
	}
	printf("table_routes=%zu table_regexes=%zu\n", mrt_route_count(t), mrt_regex_count(t));

	/* Verify every request, which also compiles every regex once. */
	size_t bad = 0;
	size_t *idx[RT_KIND_COUNT], nidx[RT_KIND_COUNT] = {0};
	for (int k = 0; k < RT_KIND_COUNT; k++)
		idx[k] = rt_xmalloc(rs.n * sizeof(size_t));
	for (size_t i = 0; i < rs.n; i++) {
		const mrt_route *r = mrt_match(t, &rs.v[i].req);
		const char *name = r ? mrt_route_name(t, r) : NULL;
		if (!name || strcmp(name, rs.v[i].expected) != 0) {
			if (bad < 5)
				fprintf(stderr, "bench_rt: %s %s %s: matched %s, expected %s\n",
					rs.v[i].req.gateway, rs.v[i].req.host, rs.v[i].req.path,
					r ? (name ? name : "(unnamed route)") : "nothing",
					rs.v[i].expected);
			bad++;
			continue;
		}
		idx[rs.v[i].kind][nidx[rs.v[i].kind]++] = i;
	}
	printf("requests=%zu verified=%zu mismatched=%zu\n", rs.n, rs.n - bad, bad);

	/* Shuffle each kind's indices deterministically so the warm working
	 * set is spread over the table. */
	uint64_t rnd = 0x9E3779B97F4A7C15u;
	for (int k = 0; k < RT_KIND_COUNT; k++) {
		for (size_t i = nidx[k]; i > 1; i--) {
			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			size_t j = rnd % i, tmp = idx[k][i - 1];
			idx[k][i - 1] = idx[k][j];
			idx[k][j] = tmp;
		}
	}

	rt_evict_len = evict_mb << 20;
	rt_evict_buf = rt_xmalloc(rt_evict_len);
	/* Distinct bytes on every page: untouched pages would all map the
	 * kernel's one zero page and evict nothing. */
	for (size_t i = 0; i < rt_evict_len; i++)
		rt_evict_buf[i] = (unsigned char)(i * 131u >> 7);
	struct rt_htable hosts;
	rt_hbuild(&hosts, &rs);
	struct rt_subject mrt = {t, NULL}, probe = {NULL, &hosts};
	char name[64];
	for (int k = 0; k < RT_KIND_COUNT; k++) {
		snprintf(name, sizeof name, "match_%s_warm", rt_kind_names[k]);
		rt_measure(name, &mrt, &rs, idx[k], nidx[k], warm_calls, 0, overhead);
		snprintf(name, sizeof name, "match_%s_cold", rt_kind_names[k]);
		rt_measure(name, &mrt, &rs, idx[k], nidx[k], cold_calls, 1, overhead);
	}
	rt_measure_regex_cost(t, &rs, warm_calls);
	rt_measure("probe_warm", &probe, &rs, idx[RT_PLAIN], nidx[RT_PLAIN], warm_calls, 0,
		   overhead);
	rt_measure("probe_cold", &probe, &rs, idx[RT_PLAIN], nidx[RT_PLAIN], cold_calls, 1,
		   overhead);
	mrt_close(t);
	return bad ? 1 : 0;
}
