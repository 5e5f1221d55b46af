/*
 * libFuzzer target for the table loader and matcher: any bytes go to
 * mrt_open_buffer(); when they verify, a few requests are routed and
 * every accessor of the matched route is called. Verification must
 * reject whatever the matcher could not read safely.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iruntime \
 *     fuzz/fuzz_blob.c runtime/mrt_*.c -lpcre2-8 -pthread -o build-fuzz/fuzz_blob
 * The checksum is recomputed over the mutated bytes (or the fuzzer would
 * only ever test the checksum).
 * Seed corpus: build-fuzz/seeds/fuzz_blob, tables `meshc compile` writes
 * from testdata (fuzz.mk), so mutations start past the header.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meshrt.h"
#include "mrt_format.h"

static void touch_route(const mrt_table *t, const mrt_route *r, const mrt_request *q)
{
	char buf[512];
	mrt_destination d;
	mrt_redirect rd;
	mrt_direct_response dr;
	mrt_rewrite rw;
	mrt_retries rt;
	mrt_fault f;
	mrt_cors c;
	mrt_condition cd;
	mrt_header_op_info h;
	(void)mrt_route_name(t, r);
	(void)mrt_route_virtual_service(t, r);
	for (size_t i = 0; i < mrt_route_destination_count(t, r); i++)
		mrt_route_destination(t, r, i, &d);
	(void)mrt_route_pick(t, r, 12345);
	if (mrt_route_redirect(t, r, &rd) == 0)
		mrt_redirect_location(t, r, q, buf, sizeof(buf));
	mrt_route_direct_response(t, r, &dr);
	if (mrt_route_rewrite(t, r, &rw) == 0)
		mrt_rewrite_path(t, r, q, buf, sizeof(buf));
	mrt_route_retries(t, r, &rt);
	mrt_route_fault(t, r, &f);
	for (size_t i = 0; i < mrt_route_mirror_count(t, r); i++)
		mrt_route_mirror(t, r, i, &d);
	if (mrt_route_cors(t, r, &c) == 0)
		for (size_t i = 0; i < c.n_origins; i++)
			mrt_route_cors_origin(t, r, i, &cd);
	for (size_t m = 0; m < mrt_route_match_count(t, r); m++)
		for (size_t i = 0; i < mrt_route_condition_count(t, r, m); i++)
			mrt_route_condition(t, r, m, i, &cd);
	for (size_t i = 0; i < mrt_route_header_op_count(t, r, MRT_UNSET); i++)
		mrt_route_header_op(t, r, MRT_UNSET, i, &h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* mrt_open_buffer wants 8-byte alignment, as mmap gives. */
	void *buf = aligned_alloc(8, (size + 8) & ~(size_t)7);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (size >= sizeof(struct mrt_fmt_header)) {
		struct mrt_fmt_header *h = buf;
		h->checksum = mrt_fmt_table_checksum(buf, size);
	}
	mrt_table *t;
	char err[256];
	if (mrt_open_buffer(buf, size, &t, err, sizeof(err)) == 0) {
		mrt_header hs[2] = { { "end-user", "jason" }, { "x-b3", "1" } };
		mrt_request qs[4] = {
			{ .gateway = "mesh", .host = "reviews.books.svc.cluster.local", .port = 9080,
			  .method = "GET", .path = "/api/v1?x=1", .headers = hs, .n_headers = 2 },
			{ .gateway = "mesh", .host = "reviews", .source_namespace = "books",
			  .path = "/" },
			{ .gateway = "books/books-gw", .host = "a.example.com:443", .port = 0,
			  .path = "/tea/1", .scheme = "https" },
			{ .gateway = "istio-system/gw", .sni = "x.tls.example.org", .port = 443 },
		};
		for (int i = 0; i < 4; i++) {
			const mrt_route *r = mrt_match(t, &qs[i]);
			if (r)
				touch_route(t, r, &qs[i]);
		}
		for (size_t i = 0; i < mrt_route_count(t) && i < 64; i++)
			touch_route(t, mrt_route_at(t, i), &qs[0]);
		for (size_t i = 0; i < mrt_listener_count(t); i++) {
			mrt_listener l;
			mrt_vhost v;
			mrt_listener_get(t, i, &l);
			for (size_t k = 0; k < l.n_vhosts && k < 16; k++)
				mrt_vhost_get(t, i, k, &v);
		}
		for (size_t i = 0; i < mrt_cluster_count(t); i++) {
			mrt_cluster c;
			mrt_cluster_get(t, i, &c);
		}
		mrt_close(t);
	}
	free(buf);
	return 0;
}
