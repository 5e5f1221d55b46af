/*
 * Accessors: the public, typed view of a verified table's routes,
 * actions, clusters, listeners and virtual hosts (meshrt(3)). Every
 * index argument coming from the caller is checked; table data is not
 * (mrt_open() verified it).
 */
#include <stdio.h>
#include <string.h>

#include "mrt_internal.h"

static inline const struct mrt_fmt_route *R(const mrt_route *r)
{
	return (const struct mrt_fmt_route *)(const void *)r;
}

/* The route's data record (name, destinations, extra). */
static inline const struct mrt_fmt_route_data *D(const mrt_table *t, const mrt_route *r)
{
	return &t->rdat[R(r) - t->rout];
}

static inline const struct mrt_fmt_extra *X(const mrt_table *t, const mrt_route *r)
{
	uint32_t x = D(t, r)->extra;
	return x == MRT_NONE ? NULL : &t->extr[x];
}

static inline unsigned opt(uint32_t v)
{
	return v == MRT_NONE ? MRT_UNSET : v;
}

const char *mrt_table_domain(const mrt_table *t)
{
	return mrt_str(t, t->hdr->domain);
}

size_t mrt_route_count(const mrt_table *t)
{
	return t->n[MRT_SEC_ROUT];
}

const mrt_route *mrt_route_at(const mrt_table *t, size_t i)
{
	return i < t->n[MRT_SEC_ROUT] ? (const mrt_route *)(const void *)&t->rout[i] : NULL;
}

size_t mrt_route_id(const mrt_table *t, const mrt_route *r)
{
	return (size_t)(R(r) - t->rout);
}

const char *mrt_route_name(const mrt_table *t, const mrt_route *r)
{
	return mrt_str(t, D(t, r)->name);
}

const char *mrt_route_virtual_service(const mrt_table *t, const mrt_route *r)
{
	return mrt_str(t, D(t, r)->vs);
}

unsigned mrt_route_index(const mrt_table *t, const mrt_route *r)
{
	(void)t;
	return MRT_RT_INDEX(R(r)->info);
}

enum mrt_route_kind mrt_route_kind(const mrt_table *t, const mrt_route *r)
{
	(void)t;
	return (enum mrt_route_kind)MRT_RT_KIND(R(r)->info);
}

enum mrt_action mrt_route_action(const mrt_table *t, const mrt_route *r)
{
	(void)t;
	return (enum mrt_action)MRT_RT_ACTION(R(r)->info);
}

unsigned mrt_route_timeout_ms(const mrt_table *t, const mrt_route *r)
{
	const struct mrt_fmt_extra *e = X(t, r);
	return e ? opt(e->timeout_ms) : MRT_UNSET;
}

size_t mrt_route_match_count(const mrt_table *t, const mrt_route *r)
{
	(void)t;
	return R(r)->match_count;
}

const char *mrt_route_match_name(const mrt_table *t, const mrt_route *r, size_t m)
{
	if (m >= R(r)->match_count)
		return NULL;
	return mrt_str(t, t->mtch[R(r)->match_first + m].name);
}

size_t mrt_route_condition_count(const mrt_table *t, const mrt_route *r, size_t m)
{
	if (m >= R(r)->match_count)
		return 0;
	return t->mtch[R(r)->match_first + m].cond_count;
}

static void cond_fill(const mrt_table *t, const struct mrt_fmt_cond *c,
		      mrt_condition *out)
{
	out->field = (enum mrt_field)c->field;
	out->op = (enum mrt_op)c->op;
	out->flags = c->flags;
	out->key = mrt_str(t, c->key);
	out->value = c->field == MRT_FIELD_PORT ? NULL : mrt_str(t, c->value);
	out->number = c->field == MRT_FIELD_PORT ? c->value : 0;
}

int mrt_route_condition(const mrt_table *t, const mrt_route *r, size_t m,
			size_t c, mrt_condition *out)
{
	if (m >= R(r)->match_count)
		return -1;
	const struct mrt_fmt_match *mt = &t->mtch[R(r)->match_first + m];
	if (c >= mt->cond_count)
		return -1;
	cond_fill(t, &t->cond[mt->cond_first + c], out);
	return 0;
}

static void dest_fill(const mrt_table *t, const struct mrt_fmt_dest *d,
		      mrt_destination *out)
{
	const struct mrt_fmt_cluster *c = &t->clst[d->cluster];
	out->host = mrt_str(t, c->host);
	out->subset = mrt_str(t, c->subset);
	out->port = c->port;
	out->weight = d->weight;
	out->cluster = mrt_str(t, c->name);
	out->cluster_index = d->cluster;
}

size_t mrt_route_destination_count(const mrt_table *t, const mrt_route *r)
{
	return D(t, r)->dest_count;
}

int mrt_route_destination(const mrt_table *t, const mrt_route *r, size_t i,
			  mrt_destination *out)
{
	const struct mrt_fmt_route_data *d = D(t, r);
	if (i >= d->dest_count)
		return -1;
	dest_fill(t, &t->dest[d->dest_first + i], out);
	return 0;
}

unsigned mrt_route_pick(const mrt_table *t, const mrt_route *r, uint64_t random_value)
{
	const struct mrt_fmt_route_data *rt = D(t, r);
	uint64_t total = 0;
	if (rt->dest_count == 0)
		return MRT_UNSET;
	for (uint32_t i = 0; i < rt->dest_count; i++)
		total += t->dest[rt->dest_first + i].weight;
	if (total == 0)
		return 0;
	uint64_t x = random_value % total, acc = 0;
	for (uint32_t i = 0; i < rt->dest_count; i++) {
		acc += t->dest[rt->dest_first + i].weight;
		if (x < acc)
			return i;
	}
	return rt->dest_count - 1;
}

int mrt_route_redirect(const mrt_table *t, const mrt_route *r, mrt_redirect *out)
{
	const struct mrt_fmt_extra *e = X(t, r);
	if (MRT_RT_ACTION(R(r)->info) != MRT_ACTION_REDIRECT || !e)
		return -1;
	out->uri = mrt_str(t, e->rd_uri);
	out->authority = mrt_str(t, e->rd_authority);
	out->scheme = mrt_str(t, e->rd_scheme);
	out->prefix_rewrite = mrt_str(t, e->rd_prefix);
	out->port = opt(e->rd_port);
	out->derive_port = (enum mrt_derive_port)e->rd_derive;
	out->code = e->rd_code == MRT_NONE ? 301 : e->rd_code;
	return 0;
}

/* Appends s[0..n) to the output, counting what would not fit. */
struct sbuf { char *buf; size_t cap, len; };

static void put(struct sbuf *b, const char *s, size_t n)
{
	if (b->len < b->cap) {
		size_t room = b->cap - b->len;
		memcpy(b->buf + b->len, s, n < room ? n : room);
	}
	b->len += n;
}

/*
 * The Location as Envoy's Utility::newUri builds it from the redirect
 * Istio's ApplyRedirect configures: the port is `port`, or the listener
 * port for FROM_REQUEST_PORT, dropped when it is the default of the
 * scheme; the host is the authority, or the request's host whose own
 * port is dropped when a port is set, or when the scheme changes and it
 * is the old scheme's default; the path is `uri` (the request's query
 * appended unless uri has one), or prefixRewrite in place of the prefix
 * the route matched, or the request's path.
 */
int mrt_redirect_location(const mrt_table *t, const mrt_route *r,
			  const mrt_request *req, char *buf, size_t buflen)
{
	mrt_redirect rd;
	if (mrt_route_redirect(t, r, &rd) != 0)
		return -1;
	struct sbuf b = { buf, buflen ? buflen - 1 : 0, 0 };
	const char *req_scheme = req->scheme && *req->scheme ? req->scheme : "http";
	const char *scheme = rd.scheme ? rd.scheme : req_scheme;
	const char *host = req->host ? req->host : "";
	const char *path = req->path ? req->path : "/";
	char num[16];

	unsigned port = rd.port != MRT_UNSET ? rd.port :
			rd.derive_port == MRT_DERIVE_FROM_REQUEST_PORT ? req->port : 0;
	if ((port == 80 && strcmp(scheme, "http") == 0) ||
	    (port == 443 && strcmp(scheme, "https") == 0))
		port = 0;
	size_t hn = strlen(host);
	if (!rd.authority) {
		const char *colon = host[0] == '[' ? strstr(host, "]:") : strrchr(host, ':');
		if (colon && host[0] == '[')
			colon++;
		if (colon) {
			bool drop = port != 0;
			if (strcmp(scheme, req_scheme) != 0)
				drop |= (strcmp(req_scheme, "https") == 0 && strcmp(colon, ":443") == 0) ||
					(strcmp(req_scheme, "http") == 0 && strcmp(colon, ":80") == 0);
			if (drop)
				hn = (size_t)(colon - host);
		}
	}
	put(&b, scheme, strlen(scheme));
	put(&b, "://", 3);
	if (rd.authority)
		put(&b, rd.authority, strlen(rd.authority));
	else
		put(&b, host, hn);
	if (port) {
		snprintf(num, sizeof(num), ":%u", port);
		put(&b, num, strlen(num));
	}
	size_t pn = strcspn(path, "?");
	const char *query = path + pn;
	if (rd.uri) {
		if (rd.uri[0] != '/')
			put(&b, "/", 1);
		put(&b, rd.uri, strlen(rd.uri));
		if (!strchr(rd.uri, '?'))
			put(&b, query, strlen(query));
	} else if (rd.prefix_rewrite) {
		bool exact;
		size_t cut = mrt_matched_uri_len(t, R(r), req, &exact);
		if (cut > strlen(path))
			cut = strlen(path);
		put(&b, rd.prefix_rewrite, strlen(rd.prefix_rewrite));
		put(&b, path + cut, strlen(path + cut));
	} else {
		put(&b, path, strlen(path));
	}
	if (buflen)
		buf[b.len < b.cap ? b.len : b.cap] = 0;
	return (int)b.len;
}

int mrt_route_direct_response(const mrt_table *t, const mrt_route *r,
			      mrt_direct_response *out)
{
	const struct mrt_fmt_extra *e = X(t, r);
	if (MRT_RT_ACTION(R(r)->info) != MRT_ACTION_DIRECT_RESPONSE || !e)
		return -1;
	out->status = e->dr_status;
	out->body = mrt_str(t, e->dr_body);
	out->body_len = e->dr_body ? mrt_strlen(t, e->dr_body) : 0;
	return 0;
}

int mrt_route_rewrite(const mrt_table *t, const mrt_route *r, mrt_rewrite *out)
{
	const struct mrt_fmt_extra *e = X(t, r);
	if (!e || (!e->rw_uri && !e->rw_authority && e->rw_regex == MRT_NONE))
		return -1;
	out->uri = mrt_str(t, e->rw_uri);
	out->authority = mrt_str(t, e->rw_authority);
	out->regex = e->rw_regex == MRT_NONE ? NULL : mrt_str(t, t->regx[e->rw_regex].pattern);
	out->regex_substitution = mrt_str(t, e->rw_sub);
	return 0;
}

static int tri(uint32_t bits)
{
	return bits == 0 ? -1 : (int)(bits - 1);
}

int mrt_route_retries(const mrt_table *t, const mrt_route *r, mrt_retries *out)
{
	const struct mrt_fmt_extra *e = X(t, r);
	if (!e || e->rt_attempts == MRT_NONE)
		return -1;
	out->attempts = opt(e->rt_attempts);
	out->per_try_timeout_ms = opt(e->rt_per_try_ms);
	out->retry_on = mrt_str(t, e->rt_retry_on);
	out->backoff_ms = opt(e->rt_backoff_ms);
	out->retry_remote_localities = tri(e->rt_flags & 3);
	out->retry_ignore_previous_hosts = tri((e->rt_flags >> 2) & 3);
	out->retriable_status_codes = mrt_str(t, e->rt_status_codes);
	out->is_default = (e->rt_flags & MRT_RT_DEFAULT_POLICY) != 0;
	return 0;
}

int mrt_route_fault(const mrt_table *t, const mrt_route *r, mrt_fault *out)
{
	const struct mrt_fmt_extra *e = X(t, r);
	if (!e || (e->fd_delay_ms == MRT_NONE && e->fa_status == MRT_NONE &&
		   !e->fa_grpc && !e->fa_http2))
		return -1;
	out->delay_ms = opt(e->fd_delay_ms);
	out->delay_ppm = opt(e->fd_delay_ppm);
	out->abort_status = opt(e->fa_status);
	out->abort_ppm = opt(e->fa_ppm);
	out->abort_grpc = mrt_str(t, e->fa_grpc);
	out->abort_http2 = mrt_str(t, e->fa_http2);
	return 0;
}

size_t mrt_route_mirror_count(const mrt_table *t, const mrt_route *r)
{
	const struct mrt_fmt_extra *e = X(t, r);
	return e ? e->mirror_count : 0;
}

int mrt_route_mirror(const mrt_table *t, const mrt_route *r, size_t i,
		     mrt_destination *out)
{
	const struct mrt_fmt_extra *e = X(t, r);
	if (!e || i >= e->mirror_count)
		return -1;
	dest_fill(t, &t->dest[e->mirror_first + i], out);
	return 0;
}

int mrt_route_cors(const mrt_table *t, const mrt_route *r, mrt_cors *out)
{
	const struct mrt_fmt_extra *e = X(t, r);
	if (!e || !e->cors_set)
		return -1;
	out->allow_methods = mrt_str(t, e->cors_methods);
	out->allow_headers = mrt_str(t, e->cors_allow_headers);
	out->expose_headers = mrt_str(t, e->cors_expose_headers);
	out->max_age_ms = opt(e->cors_max_age_ms);
	out->allow_credentials = e->cors_credentials == MRT_NONE ? -1 : (int)(e->cors_credentials != 0);
	out->unmatched_preflights = mrt_str(t, e->cors_preflight);
	out->n_origins = e->cors_origin_count;
	return 0;
}

int mrt_route_cors_origin(const mrt_table *t, const mrt_route *r, size_t i,
			  mrt_condition *out)
{
	const struct mrt_fmt_extra *e = X(t, r);
	if (!e || i >= e->cors_origin_count)
		return -1;
	cond_fill(t, &t->cond[e->cors_origin_first + i], out);
	return 0;
}

/* The header-operation range of the route or of one destination. */
static int hop_range(const mrt_table *t, const mrt_route *r, unsigned dest,
		     uint32_t *first, uint32_t *count)
{
	if (dest == MRT_UNSET) {
		const struct mrt_fmt_extra *e = X(t, r);
		*first = e ? e->hop_first : 0;
		*count = e ? e->hop_count : 0;
		return 0;
	}
	const struct mrt_fmt_route_data *rd = D(t, r);
	if (dest >= rd->dest_count)
		return -1;
	const struct mrt_fmt_dest *d = &t->dest[rd->dest_first + dest];
	*first = d->hop_first;
	*count = d->hop_count;
	return 0;
}

size_t mrt_route_header_op_count(const mrt_table *t, const mrt_route *r, unsigned dest)
{
	uint32_t f, c;
	return hop_range(t, r, dest, &f, &c) ? 0 : c;
}

int mrt_route_header_op(const mrt_table *t, const mrt_route *r, unsigned dest,
			size_t i, mrt_header_op_info *out)
{
	uint32_t f, c;
	if (hop_range(t, r, dest, &f, &c) || i >= c)
		return -1;
	const struct mrt_fmt_hop *h = &t->hops[f + i];
	out->target = (enum mrt_header_target)h->target;
	out->op = (enum mrt_header_op)h->op;
	out->name = mrt_str(t, h->name);
	out->value = mrt_str(t, h->value);
	return 0;
}

size_t mrt_cluster_count(const mrt_table *t)
{
	return t->n[MRT_SEC_CLST];
}

int mrt_cluster_get(const mrt_table *t, size_t i, mrt_cluster *out)
{
	if (i >= t->n[MRT_SEC_CLST])
		return -1;
	const struct mrt_fmt_cluster *c = &t->clst[i];
	out->name = mrt_str(t, c->name);
	out->host = mrt_str(t, c->host);
	out->subset = mrt_str(t, c->subset);
	out->port = c->port;
	out->lb_policy = mrt_str(t, c->lb_policy);
	out->tls_mode = mrt_str(t, c->tls_mode);
	out->policy_json = mrt_str(t, c->policy);
	out->destination_rule = mrt_str(t, c->destination_rule);
	return 0;
}

size_t mrt_listener_count(const mrt_table *t)
{
	return t->n[MRT_SEC_LSTN];
}

int mrt_listener_get(const mrt_table *t, size_t i, mrt_listener *out)
{
	if (i >= t->n[MRT_SEC_LSTN])
		return -1;
	const struct mrt_fmt_listener *l = &t->lstn[i];
	out->gateway = mrt_str(t, l->gateway);
	out->port = l->port;
	out->protocol = mrt_str(t, l->protocol);
	out->tls_mode = mrt_str(t, l->tls_mode);
	out->name = mrt_str(t, l->name);
	out->n_vhosts = l->vhost_count;
	out->n_l4_routes = l->l4_count;
	out->sni = mrt_str(t, l->sni);
	out->terminates_tls = (l->flags & MRT_LS_TERMINATES_TLS) != 0;
	return 0;
}

const mrt_route *mrt_listener_l4_route(const mrt_table *t, size_t l, size_t i)
{
	if (l >= t->n[MRT_SEC_LSTN] || i >= t->lstn[l].l4_count)
		return NULL;
	return (const mrt_route *)(const void *)&t->rout[t->lstn[l].l4_first + i];
}

int mrt_vhost_get(const mrt_table *t, size_t l, size_t v, mrt_vhost *out)
{
	if (l >= t->n[MRT_SEC_LSTN] || v >= t->lstn[l].vhost_count)
		return -1;
	const struct mrt_fmt_vhost *h = &t->vhst[t->lstn[l].vhost_first + v];
	out->host = mrt_str(t, h->name);
	out->flags = h->flags;
	out->n_routes = h->route_count;
	out->first_route = h->route_first;
	out->fallback = h->fallback == MRT_NONE ? NULL :
			(const mrt_route *)(const void *)&t->rout[h->fallback];
	return 0;
}

size_t mrt_gateway_count(const mrt_table *t)
{
	return t->n[MRT_SEC_GSEL];
}

int mrt_gateway_get(const mrt_table *t, size_t i, mrt_gateway *out)
{
	if (i >= t->n[MRT_SEC_GSEL])
		return -1;
	out->name = mrt_str(t, t->gsel[i].name);
	out->selector = mrt_str(t, t->gsel[i].selector);
	out->workload = mrt_str(t, t->gsel[i].workload);
	return 0;
}

/* Whether every "k=v" of selector (comma-separated, sorted) is a label. */
static int selector_within(const char *sel, const mrt_header *labels, size_t n)
{
	for (const char *p = sel; p && *p;) {
		size_t len = strcspn(p, ","), kl = strcspn(p, "=");
		if (kl > len)
			return 0;
		int found = 0;
		for (size_t i = 0; i < n && !found; i++)
			found = labels[i].name && labels[i].value &&
				strlen(labels[i].name) == kl && memcmp(labels[i].name, p, kl) == 0 &&
				strlen(labels[i].value) == len - kl - 1 &&
				memcmp(labels[i].value, p + kl + 1, len - kl - 1) == 0;
		if (!found)
			return 0;
		p += len + (p[len] == ',');
	}
	return 1;
}

const char *mrt_workload_gateway(const mrt_table *t, const mrt_header *labels,
				 size_t n_labels)
{
	/* The workload's Gateways, comma-joined in name order: the gateway
	 * its listeners carry, when the table was compiled for it. */
	char key[8192];
	size_t len = 0;
	/* The Gateways Istio derives from one Kubernetes Gateway carry its
	 * "namespace/name" as their workload, and the listeners carry that
	 * (route_gateway.c): so do the labels' when every Gateway they
	 * select names the same workload. */
	uint32_t same = MRT_NONE;
	bool agree = true;
	for (uint32_t i = 0; i < t->n[MRT_SEC_GSEL]; i++) {
		if (!selector_within(mrt_str(t, t->gsel[i].selector), labels, n_labels))
			continue;
		if (same == MRT_NONE)
			same = t->gsel[i].workload;
		else if (mrt_strlen(t, same) != mrt_strlen(t, t->gsel[i].workload) ||
			 memcmp(mrt_str(t, same), mrt_str(t, t->gsel[i].workload),
				mrt_strlen(t, same)) != 0)
			agree = false;
		uint32_t nl = mrt_strlen(t, t->gsel[i].name);
		if (len + nl + 2 > sizeof(key))
			return NULL;
		if (len)
			key[len++] = ',';
		memcpy(key + len, mrt_str(t, t->gsel[i].name), nl);
		len += nl;
	}
	if (len == 0)
		return NULL;
	uint32_t g = mrt_gateway_find(t, key, len);
	if (g == MRT_NONE && agree)
		g = mrt_gateway_find(t, mrt_str(t, same), mrt_strlen(t, same));
	return g == MRT_NONE ? NULL : mrt_str(t, t->gway[g].name);
}

size_t mrt_regex_count(const mrt_table *t)
{
	return t->n[MRT_SEC_REGX];
}

const char *mrt_regex_source(const mrt_table *t, size_t i)
{
	return i < t->n[MRT_SEC_REGX] ? mrt_str(t, t->regx[i].pattern) : NULL;
}
